// ao/backends/hwy/int8_dot-inl.h: the integer inner kernel of ao::matmul over quantized activations
// (ao/ops/integer_matmul.hpp), in namespace ao::highway::HWY_NAMESPACE:
//
//   Int8Dot(const ao::highway::int8_dot_task& t)
//     t.dots[m * t.dots_stride + j] = sum over k < t.k of x[m][k] * w[j][k]        (exact, int32)
//     for m < t.x_rows (1..4) and j < t.w_rows (1..4), each code read as int8 or uint8 (t.x_signed, t.w_signed);
//     and, when t.w_sums is not null, t.w_sums[j] = sum over k < t.k of w[j][k].
//
// Contract (the caller's): t.k <= kMaxK, so that no partial sum leaves int32 (|x w| <= 255 * 255 and k * 65025 <
// 2^31); x rows are readable and zero from t.k up to a multiple of kXPadding (64) values: the kernel reads whole
// vectors of x, and only the w rows stop exactly at t.k; when both x and w are signed, t.x_sums[m] is the sum of x
// row m over k < t.k (the VNNI path needs it, below); the output arrays do not overlap the inputs.
//
// Method. Generic (every target): Lanes(int16) codes of each row widened to int16, and one WidenMulPairwiseAdd
// (ReorderWidenMulAccumulate: pmaddwd on x86) per (x row, w row) into int32 lanes, summed at the end; the k tail
// past the last whole vector is a scalar loop. Exact: every product and partial sum is an integer below 2^31.
// AVX-512 VNNI (x86 with avx512vnni at run time, on the AVX3 targets; raw intrinsics, as Highway 1.0.3 has no
// int8 dot product): vpdpbusd multiplies 64 unsigned by 64 signed bytes, adding groups of 4 into int32 lanes.
// The unsigned operand is w when w is unsigned, x when x is unsigned and w signed; when both are signed, w + 128
// (w ^ 0x80) is the unsigned operand and 128 * x_sums[m] is subtracted at the end. Both unsigned: the generic
// loop. w's tail (past the last whole 64 bytes) is copied into a zeroed buffer, so w is never read past k. One x row
// (GEMV) or four (rows past x_rows repeat the last, results dropped) by four w rows, so that the accumulators stay in
// registers; with one x row, the w rows one after another (one stream through W) and the next call's w rows
// (t.w_next, a hint) prefetched as the current ones stream.

// ---- Once-only part: the task (no Highway types) ----
#ifndef AO_BACKENDS_HWY_INT8_DOT_INL_H_ONCE_
#define AO_BACKENDS_HWY_INT8_DOT_INL_H_ONCE_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ao::highway {

struct int8_dot_task {
  static constexpr std::size_t kMaxRows = 4;    // x rows and w rows per call, each
  static constexpr std::size_t kXPadding = 64;  // x rows are zero up to a multiple of this
  static constexpr std::size_t kMaxK = 32768;   // k * 255 * 255 < 2^31
  const std::uint8_t* x;                        // x_rows rows of codes (int8 or uint8 bytes)
  std::ptrdiff_t x_stride;                      // bytes
  std::size_t x_rows;                           // 1..4
  bool x_signed;                                // codes are int8 (else uint8)
  const std::int32_t* x_sums;                   // per x row: sum of its k codes (both signed; else unused)
  const std::uint8_t* w;                        // w_rows rows of codes
  std::ptrdiff_t w_stride;                      // bytes
  std::size_t w_rows;                           // 1..4
  bool w_signed;
  std::size_t k;
  std::int32_t* dots;          // x_rows x w_rows results, written
  std::ptrdiff_t dots_stride;  // elements
  std::int32_t* w_sums;        // w_rows sums of w's codes, or null
  const std::uint8_t* w_next;  // the next call's w rows (same stride), to prefetch; or null
};

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_INT8_DOT_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_INT8_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_INT8_DOT_INL_H_
#undef AO_BACKENDS_HWY_INT8_DOT_INL_H_
#else
#define AO_BACKENDS_HWY_INT8_DOT_INL_H_
#endif

#include <hwy/highway.h>

#undef AO_INT8_DOT_VNNI
#if (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL) && defined(__GNUC__) && HWY_ARCH_X86_64
#include <immintrin.h>
#define AO_INT8_DOT_VNNI 1
#undef AO_INT8_DOT_VNNI_ATTR
#define AO_INT8_DOT_VNNI_ATTR __attribute__((target("avx512f,avx512bw,avx512vnni")))
#else
#define AO_INT8_DOT_VNNI 0
#endif

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace detail {

inline std::int32_t Int8Code(const std::uint8_t* p, std::size_t k, bool is_signed) {
  return is_signed ? static_cast<std::int32_t>(static_cast<std::int8_t>(p[k])) : static_cast<std::int32_t>(p[k]);
}

// Lanes(d16) codes at p widened to int16 (int8 or uint8 bytes).
template <class D16>
HWY_INLINE hn::Vec<D16> LoadInt8Codes(D16 d16, const std::uint8_t* HWY_RESTRICT p, bool is_signed) {
  const hn::Rebind<std::uint8_t, D16> du8;
  const hn::Rebind<std::int8_t, D16> di8;
  if (is_signed) return hn::PromoteTo(d16, hn::LoadU(di8, reinterpret_cast<const std::int8_t*>(p)));
  return hn::BitCast(d16, hn::PromoteTo(hn::RebindToUnsigned<D16>(), hn::LoadU(du8, p)));
}

// The generic kernel: int16 widening and pairwise multiply-add.
HWY_INLINE void Int8DotGeneric(const int8_dot_task& t) {
  const hn::ScalableTag<std::int16_t> d16;
  const hn::Repartition<std::int32_t, decltype(d16)> d32;
  const std::size_t lanes = hn::Lanes(d16);
  constexpr std::size_t kR = int8_dot_task::kMaxRows;
  hn::Vec<decltype(d32)> acc[kR][kR];
  hn::Vec<decltype(d32)> wsum[kR];
  for (std::size_t m = 0; m < kR; ++m) {
    wsum[m] = hn::Zero(d32);
    for (std::size_t j = 0; j < kR; ++j) acc[m][j] = hn::Zero(d32);
  }
  const auto ones = hn::Set(d16, 1);
  std::size_t k = 0;
  for (; k + lanes <= t.k; k += lanes) {
    hn::Vec<decltype(d16)> xv[kR];
    for (std::size_t m = 0; m < t.x_rows; ++m) xv[m] = LoadInt8Codes(d16, t.x + m * t.x_stride + k, t.x_signed);
    for (std::size_t j = 0; j < t.w_rows; ++j) {
      const auto wv = LoadInt8Codes(d16, t.w + j * t.w_stride + k, t.w_signed);
      auto unused = hn::Zero(d32);  // x86 needs no second sum; other targets' odd lanes (added back below)
      for (std::size_t m = 0; m < t.x_rows; ++m) {
        acc[m][j] = hn::ReorderWidenMulAccumulate(d32, xv[m], wv, acc[m][j], unused);
        acc[m][j] = hn::Add(acc[m][j], unused);
        unused = hn::Zero(d32);
      }
      if (t.w_sums != nullptr) {
        wsum[j] = hn::ReorderWidenMulAccumulate(d32, ones, wv, wsum[j], unused);
        wsum[j] = hn::Add(wsum[j], unused);
      }
    }
  }
  for (std::size_t j = 0; j < t.w_rows; ++j) {
    const std::uint8_t* w = t.w + j * t.w_stride;
    std::int32_t tail_w = 0;
    for (std::size_t kk = k; kk < t.k; ++kk) tail_w += Int8Code(w, kk, t.w_signed);
    for (std::size_t m = 0; m < t.x_rows; ++m) {
      const std::uint8_t* x = t.x + m * t.x_stride;
      std::int32_t s = hn::GetLane(hn::SumOfLanes(d32, acc[m][j]));
      for (std::size_t kk = k; kk < t.k; ++kk) s += Int8Code(x, kk, t.x_signed) * Int8Code(w, kk, t.w_signed);
      t.dots[static_cast<std::ptrdiff_t>(m) * t.dots_stride + static_cast<std::ptrdiff_t>(j)] = s;
    }
    if (t.w_sums != nullptr) t.w_sums[j] = hn::GetLane(hn::SumOfLanes(d32, wsum[j])) + tail_w;
  }
}

#if AO_INT8_DOT_VNNI
// vpdpbusd over 64-byte steps, X x rows by 4 w rows (X = 1 or 4; rows past x_rows or w_rows repeat the last real
// one, and their results are dropped), everything a compile-time choice so that the 4 X + 4 accumulators stay in
// registers. kXFirst: x is the unsigned operand (x unsigned, w signed); else w is, flipped by ^ 0x80 when kFlip
// (both signed). kWSum: also the sums of w.
template <std::size_t X, bool kXFirst, bool kFlip, bool kWSum>
AO_INT8_DOT_VNNI_ATTR inline void Int8DotVnniRows(const int8_dot_task& t) {
  constexpr std::size_t W = int8_dot_task::kMaxRows;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i ones = _mm512_set1_epi8(1);
  const std::uint8_t* xr[X];
  const std::uint8_t* wr[W];
  for (std::size_t m = 0; m < X; ++m)
    xr[m] = t.x + static_cast<std::ptrdiff_t>(m < t.x_rows ? m : t.x_rows - 1) * t.x_stride;
  for (std::size_t j = 0; j < W; ++j)
    wr[j] = t.w + static_cast<std::ptrdiff_t>(j < t.w_rows ? j : t.w_rows - 1) * t.w_stride;
  __m512i acc[X][W];
  __m512i wsum[W];
  for (std::size_t j = 0; j < W; ++j) {
    wsum[j] = _mm512_setzero_si512();
    for (std::size_t m = 0; m < X; ++m) acc[m][j] = _mm512_setzero_si512();
  }
  // w's last partial 64 bytes copied into zeroed buffers, so that every step is a plain load (masked byte loads
  // are slow on some CPUs); one loop for the whole vectors and the tail (a lambda or a second loop makes g++ move
  // the accumulators through memory).
  const std::size_t whole = t.k / 64 * 64;
  alignas(64) std::uint8_t tail[W][64] = {};
  for (std::size_t j = 0; j < W; ++j) std::memcpy(tail[j], wr[j] + whole, t.k - whole);
  // With one x row (GEMV) the w rows go one after another, each a pass over k, so that W is read as one stream
  // when its rows are contiguous (the 4 rows interleaved, 4 streams, reached about 70% of the read roofline on the
  // development CPU; one stream 85-100%); with more x rows one pass reads all 4, so that x is loaded once per step.
  constexpr std::size_t kPasses = X == 1 ? W : 1, kPassRows = W / kPasses;
#pragma GCC unroll 4
  for (std::size_t pass = 0; pass < kPasses; ++pass) {
    for (std::size_t k = 0; k < t.k; k += 64) {
      const bool full = k < whole;
      __m512i xv[X];
#pragma GCC unroll 4
      for (std::size_t m = 0; m < X; ++m) xv[m] = _mm512_loadu_si512(xr[m] + k);
#pragma GCC unroll 4
      for (std::size_t r = 0; r < kPassRows; ++r) {
        const std::size_t j = pass * kPassRows + r;
        const __m512i raw = _mm512_loadu_si512(full ? wr[j] + k : tail[j]);
        // W streams from memory (GEMV, and the first x tile of a small M); ask for the next tile's bytes at the
        // same offset.
        if (t.w_next != nullptr) {
          _mm_prefetch(reinterpret_cast<const char*>(t.w_next + static_cast<std::ptrdiff_t>(j) * t.w_stride + k),
                       _MM_HINT_T0);
        }
        if constexpr (kXFirst) {
#pragma GCC unroll 4
          for (std::size_t m = 0; m < X; ++m) acc[m][j] = _mm512_dpbusd_epi32(acc[m][j], xv[m], raw);
        } else {
          // The tail's zero bytes (0x80 after the flip) meet x's zero padding: no contribution.
          const __m512i wv = kFlip ? _mm512_xor_si512(raw, flip) : raw;
#pragma GCC unroll 4
          for (std::size_t m = 0; m < X; ++m) acc[m][j] = _mm512_dpbusd_epi32(acc[m][j], wv, xv[m]);
        }
        if constexpr (kWSum) {
          // signed w: ones (unsigned) against w; unsigned w: w against ones (signed).
          wsum[j] =
              kXFirst || kFlip ? _mm512_dpbusd_epi32(wsum[j], ones, raw) : _mm512_dpbusd_epi32(wsum[j], raw, ones);
        }
      }
    }
  }
  // Every accumulator reduced with compile-time indices (runtime ones would keep the accumulators in memory).
  std::int32_t sums[X][W], w_totals[W];
#pragma GCC unroll 4
  for (std::size_t m = 0; m < X; ++m) {
#pragma GCC unroll 4
    for (std::size_t j = 0; j < W; ++j) sums[m][j] = _mm512_reduce_add_epi32(acc[m][j]);
  }
#pragma GCC unroll 4
  for (std::size_t j = 0; j < W; ++j) w_totals[j] = kWSum ? _mm512_reduce_add_epi32(wsum[j]) : 0;
  for (std::size_t j = 0; j < t.w_rows; ++j) {
    for (std::size_t m = 0; m < t.x_rows; ++m) {
      t.dots[static_cast<std::ptrdiff_t>(m) * t.dots_stride + static_cast<std::ptrdiff_t>(j)] =
          kFlip ? sums[m][j] - 128 * t.x_sums[m] : sums[m][j];
    }
    if (kWSum) t.w_sums[j] = w_totals[j];
  }
}

template <std::size_t X, bool kXFirst, bool kFlip>
inline void Int8DotVnniSums(const int8_dot_task& t) {
  if (t.w_sums != nullptr) {
    Int8DotVnniRows<X, kXFirst, kFlip, true>(t);
  } else {
    Int8DotVnniRows<X, kXFirst, kFlip, false>(t);
  }
}

template <std::size_t X>
inline void Int8DotVnniX(const int8_dot_task& t) {
  if (!t.x_signed) {
    Int8DotVnniSums<X, true, false>(t);  // x unsigned, w signed
  } else if (t.w_signed) {
    Int8DotVnniSums<X, false, true>(t);  // both signed: w ^ 0x80
  } else {
    Int8DotVnniSums<X, false, false>(t);  // w unsigned, x signed
  }
}

inline bool HaveVnni() {
  static const bool have = __builtin_cpu_supports("avx512vnni");
  return have;
}
#endif

}  // namespace detail

inline void Int8Dot(const int8_dot_task& t) {
#if AO_INT8_DOT_VNNI
  if ((t.x_signed || t.w_signed) && detail::HaveVnni()) {
    switch (t.x_rows) {
      case 1:
        return detail::Int8DotVnniX<1>(t);
      case 2:
        return detail::Int8DotVnniX<2>(t);
      case 3:
        return detail::Int8DotVnniX<3>(t);
      default:
        return detail::Int8DotVnniX<4>(t);
    }
  }
#endif
  detail::Int8DotGeneric(t);
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_INT8_DOT_INL_H_
