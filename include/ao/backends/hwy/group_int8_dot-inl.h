// ao/backends/hwy/group_int8_dot-inl.h: the inner kernel of ao::matmul over int8 activations and group-wise integer
// weights (W4A8; ao/ops/integer_matmul.hpp), in namespace ao::highway::HWY_NAMESPACE:
//
//   GroupInt8Dot(const ao::highway::group_int8_dot_task& t)
//     t.f[m * t.f_stride + j] = sum over groups g of s[j][g] * D[m][j][g]
//        D[m][j][g] = sum over k in group g of x[m][k] * (w[j][k] - z[j][g])        (an exact integer)
//     for m < t.x_rows (1..4), j < t.w_rows (1..4); x's codes are int8, w's int8 or uint8 (t.w_signed);
//     and, when t.q is not null, t.q[j] = sum over g of s[j][g] * sum over k in group g of (w[j][k] - z[j][g]).
//
// Contract (the caller's): t.group divides t.k and is at most kMaxGroup; x rows were written by
// group_int8_dot_prepare_x (below: the kernel's layout, zero-padded to a multiple of kXPadding values, with the VNNI
// path's lane sums); s (float scales) and z (int32 zero points, each within w's code range) hold t.k / t.group
// values per w row; z null means every zero point is 0; every w - z fits int8 when t.w_fits_int8. The outputs do
// not overlap the inputs.
//
// Summation order: each D (or an 8-value part of it) is exact; the float sums are each target's own order (below),
// so targets may differ in the last bits; the caller's error bound covers every order.
//
// Method. Generic (every target, every group size): per group, Lanes(int16) codes of x and of w - z widened to int16
// and multiplied pairwise (ReorderWidenMulAccumulate) into int32 lanes, the lanes summed per group, and
// f += s * float(D) group by group. AVX-512 VNNI (checked at run time, raw intrinsics: Highway 1.0.3 has no int8
// dot product), for groups of a multiple of 32 and w - z within int8, 128 values at a time: w's two 64-byte vectors
// are shuffled by 16-byte units (vshufi64x2) into A and B so that int32 lane l of A and of B lie in the same group
// (x is stored so shuffled once, by group_int8_dot_prepare_x); w' = w - z (vpsubb with each group's zero point
// broadcast to its bytes); w' ^ 0x80 = w' + 128 is vpdpbusd's unsigned operand, x the signed one; the int32
// accumulator starts at x's lane sums times -128 and takes A and B, so that each lane ends as the exact sum of
// x * w' over its 8 values; then the 16 lanes are converted to float and multiplied into float accumulators by a
// vector of their groups' scales (vpermps): one conversion and one FMA per 128 values. One x row (GEMV) or four
// (rows past x_rows repeat the last, results dropped) by four w rows; w's last partial 128 bytes are copied into a
// zeroed buffer, and with one x row the next call's w rows (t.w_next) are prefetched.

// ---- Once-only part: the task and x's layout (no Highway types) ----
#ifndef AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_ONCE_
#define AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_ONCE_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ao::highway {

struct group_int8_dot_task {
  static constexpr std::size_t kMaxRows = 4;          // x rows and w rows per call, each
  static constexpr std::size_t kXPadding = 128;       // prepared x rows hold a multiple of this many values
  static constexpr std::size_t kLanesPer = 16;        // x_lanes values per kXPadding values of x
  static constexpr std::size_t kMaxGroup = 1u << 16;  // |D| <= G * 128 * 255 < 2^31
  const std::int8_t* x;                       // x_rows rows prepared by group_int8_dot_prepare_x
  std::ptrdiff_t x_stride;                    // bytes
  std::size_t x_rows;                         // 1..4
  const std::int32_t* x_lanes;                // per x row, its lane sums (group_int8_dot_prepare_x)
  std::ptrdiff_t x_lanes_stride;              // elements between rows
  const std::uint8_t* w;                      // w_rows rows of codes
  std::ptrdiff_t w_stride;                    // bytes
  std::size_t w_rows;                         // 1..4
  bool w_signed;                              // codes are int8, else uint8
  bool w_fits_int8;                           // every w - z is in [-128, 127]
  std::size_t group;                          // values per group (divides k)
  const float* w_scales;                      // per w row: k / group scales
  std::ptrdiff_t w_scales_stride;             // elements between rows
  const std::int32_t* w_zero_points;          // per w row: k / group zero points, or null: all 0
  std::ptrdiff_t w_zero_points_stride;        // elements between rows
  std::size_t k;
  float* f;                                   // x_rows x w_rows results, written
  std::ptrdiff_t f_stride;                    // elements
  float* q;                                   // w_rows results, or null
  const std::uint8_t* w_next;                 // the next call's w rows (same stride), to prefetch; or null
  // Packed w (VNNI path only; others ignore it): per w row, ceil(k / 128) * 128 bytes, w_packed_stride apart. With
  // pack_w the call also writes there each 128 values of w as the kernel uses them (w - z + 128, in x's layout);
  // with w_packed set and pack_w false it reads them from there instead of w (and then needs no zero points). For
  // a band of w rows used by several x tiles: the first call packs, the others read.
  std::uint8_t* w_packed;
  std::ptrdiff_t w_packed_stride;
  bool pack_w;
};

// x's layout for groups of `group` values. Each 128 values are eight 16-byte units; for groups of 32 the units are
// stored in the order 0 2 4 6 1 3 5 7, for groups of 64 in 0 1 4 5 2 3 6 7 (A then B of the VNNI path), otherwise
// in place. Where x's value k is stored:
inline std::size_t group_int8_dot_x_position(std::size_t group, std::size_t k) {
  const std::size_t unit = k % 128 / 16;
  std::size_t stored = unit;
  if (group == 32) stored = unit % 2 * 4 + unit / 2;
  if (group == 64) stored = unit / 2 % 2 * 4 + unit / 4 * 2 + unit % 2;
  return k / 128 * 128 + stored * 16 + k % 16;
}

// Writes an x row of k int8 codes into out (a multiple of kXPadding values: zero past k) in the kernel's layout,
// and its kLanesPer lane sums per kXPadding values: lane l is -128 times the sum of out's values 4l..4l+3 and
// 64+4l..64+4l+3 of those 128.
inline void group_int8_dot_prepare_x(std::size_t group, const std::int8_t* codes, std::size_t k, std::int8_t* out,
                                     std::int32_t* lanes) {
  const std::size_t padded = (k + group_int8_dot_task::kXPadding - 1) / group_int8_dot_task::kXPadding *
                             group_int8_dot_task::kXPadding;
  if (padded == 0) return;
  std::memset(out, 0, padded);
  for (std::size_t i = 0; i < k; ++i) out[group_int8_dot_x_position(group, i)] = codes[i];
  for (std::size_t c = 0; c < padded / 128; ++c) {
    for (std::size_t l = 0; l < 16; ++l) {
      std::int32_t sum = 0;
      for (std::size_t i = 0; i < 4; ++i) sum += out[c * 128 + 4 * l + i] + out[c * 128 + 64 + 4 * l + i];
      lanes[c * 16 + l] = -128 * sum;
    }
  }
}

// The w code at p (int8 or uint8).
inline std::int32_t group_int8_dot_w_code(const group_int8_dot_task& t, const std::uint8_t* p) {
  return t.w_signed ? std::int32_t{static_cast<std::int8_t>(*p)} : std::int32_t{*p};
}

// The same results as the kernel with plain loops, group by group (the kernel of builds without Highway).
inline void group_int8_dot_loops(const group_int8_dot_task& t) {
  for (std::size_t j = 0; j < t.w_rows; ++j) {
    const std::uint8_t* w = t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride;
    const float* s = t.w_scales + static_cast<std::ptrdiff_t>(j) * t.w_scales_stride;
    for (std::size_t m = 0; m <= t.x_rows; ++m) {  // m == x_rows: q
      if (m == t.x_rows && t.q == nullptr) break;
      float f = 0.0f;
      for (std::size_t g = 0; g < t.k / t.group; ++g) {
        const std::int32_t z =
            t.w_zero_points != nullptr ? t.w_zero_points[static_cast<std::ptrdiff_t>(j) * t.w_zero_points_stride +
                                                         static_cast<std::ptrdiff_t>(g)]
                                       : 0;
        std::int32_t d = 0;
        for (std::size_t k = g * t.group; k < (g + 1) * t.group; ++k) {
          const std::int32_t xk =
              m < t.x_rows ? t.x[static_cast<std::ptrdiff_t>(m) * t.x_stride +
                                 static_cast<std::ptrdiff_t>(group_int8_dot_x_position(t.group, k))]
                           : 1;
          d += xk * (group_int8_dot_w_code(t, w + k) - z);
        }
        f += s[g] * static_cast<float>(d);
      }
      if (m < t.x_rows) {
        t.f[static_cast<std::ptrdiff_t>(m) * t.f_stride + j] = f;
      } else {
        t.q[j] = f;
      }
    }
  }
}

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_
#undef AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_
#else
#define AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_
#endif

#include <hwy/highway.h>

#undef AO_GROUP_INT8_DOT_VNNI
#if (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL) && defined(__GNUC__) && HWY_ARCH_X86_64
#include <immintrin.h>
#define AO_GROUP_INT8_DOT_VNNI 1
#undef AO_GROUP_INT8_DOT_VNNI_ATTR
#define AO_GROUP_INT8_DOT_VNNI_ATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define AO_GROUP_INT8_DOT_VNNI 0
#endif

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace detail {

// The generic kernel: per group, int16 widening and pairwise multiply-add (exact: |x (w - z)| <= 128 * 255, and a
// pair of them fits int32; each group's int32 lanes hold at most G / Lanes pairs).
HWY_INLINE void GroupInt8DotGeneric(const group_int8_dot_task& t) {
  const hn::CappedTag<std::int16_t, 16> d16;
  const hn::Repartition<std::int32_t, decltype(d16)> d32;
  const hn::Rebind<std::int8_t, decltype(d16)> di8;
  const hn::Rebind<std::uint8_t, decltype(d16)> du8;
  const std::size_t lanes = hn::Lanes(d16);
  const std::size_t groups = t.k / t.group;
  const bool vector_groups = t.group % lanes == 0;
  for (std::size_t j = 0; j < t.w_rows; ++j) {
    const std::uint8_t* w = t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride;
    const float* s = t.w_scales + static_cast<std::ptrdiff_t>(j) * t.w_scales_stride;
    const std::int32_t* z =
        t.w_zero_points != nullptr ? t.w_zero_points + static_cast<std::ptrdiff_t>(j) * t.w_zero_points_stride : nullptr;
    float f[group_int8_dot_task::kMaxRows] = {};
    float q = 0.0f;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::int32_t zg = z != nullptr ? z[g] : 0;
      const std::uint8_t* wg = w + g * t.group;
      std::int32_t wsum = 0;
      if (t.q != nullptr) {
        for (std::size_t kk = 0; kk < t.group; ++kk) wsum += group_int8_dot_w_code(t, wg + kk) - zg;
      }
      for (std::size_t m = 0; m < t.x_rows; ++m) {
        // x's values of the group, in order (a copy when the layout moves them).
        const std::int8_t* xg = t.x + static_cast<std::ptrdiff_t>(m) * t.x_stride + g * t.group;
        alignas(64) std::int8_t in_order[128];
        if (t.group == 32 || t.group == 64) {
          for (std::size_t kk = 0; kk < t.group; ++kk) {
            in_order[kk] = t.x[static_cast<std::ptrdiff_t>(m) * t.x_stride +
                               static_cast<std::ptrdiff_t>(group_int8_dot_x_position(t.group, g * t.group + kk))];
          }
          xg = in_order;
        }
        std::int32_t d = 0;
        std::size_t kk = 0;
        if (vector_groups) {
          auto acc = hn::Zero(d32);
          const auto zv = hn::Set(d16, static_cast<std::int16_t>(zg));
          for (; kk < t.group; kk += lanes) {
            const auto xv = hn::PromoteTo(d16, hn::LoadU(di8, xg + kk));
            const auto wv = t.w_signed ? hn::PromoteTo(d16, hn::LoadU(di8, reinterpret_cast<const std::int8_t*>(wg + kk)))
                                       : hn::BitCast(d16, hn::PromoteTo(hn::RebindToUnsigned<decltype(d16)>(),
                                                                        hn::LoadU(du8, wg + kk)));
            auto odd = hn::Zero(d32);
            acc = hn::ReorderWidenMulAccumulate(d32, xv, hn::Sub(wv, zv), acc, odd);
            acc = hn::Add(acc, odd);
          }
          d = hn::GetLane(hn::SumOfLanes(d32, acc));
        }
        for (; kk < t.group; ++kk) d += std::int32_t{xg[kk]} * (group_int8_dot_w_code(t, wg + kk) - zg);
        f[m] += s[g] * static_cast<float>(d);
      }
      q += s[g] * static_cast<float>(wsum);
    }
    for (std::size_t m = 0; m < t.x_rows; ++m) t.f[static_cast<std::ptrdiff_t>(m) * t.f_stride + j] = f[m];
    if (t.q != nullptr) t.q[j] = q;
  }
}

#if AO_GROUP_INT8_DOT_VNNI
// The 16 int32 lanes of A (and B) belong to groups lane / (16 / kGpp) of those at s (kGpp groups per 128 values: 4
// for G = 32, 2 for G = 64, 1 for G a multiple of 128; s readable for 4 groups when kGpp > 1). Their scales, spread.
template <std::size_t kGpp>
AO_GROUP_INT8_DOT_VNNI_ATTR inline __m512 GroupScales(const float* s) {
  if constexpr (kGpp == 1) {
    return _mm512_set1_ps(*s);
  } else {
    const __m512i idx = kGpp == 2 ? _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0)
                                  : _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_loadu_ps(s)));
  }
}
// Their zero points (int32 at z, readable for 4 groups when kGpp > 1), each in the bytes of its group, mod 256.
template <std::size_t kGpp>
AO_GROUP_INT8_DOT_VNNI_ATTR inline __m512i GroupZeros(const std::int32_t* z) {
  if constexpr (kGpp == 1) {
    return _mm512_set1_epi8(static_cast<char>(*z));
  } else {
    // z[0..3] as bytes in every 32-bit lane, then in 128-bit lane i every byte picks z[i * kGpp / 4].
    const __m128i bytes = _mm_cvtepi32_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(z)));
    const __m512i pick = kGpp == 2 ? _mm512_set_epi32(0x01010101, 0x01010101, 0x01010101, 0x01010101, 0x01010101,
                                                      0x01010101, 0x01010101, 0x01010101, 0, 0, 0, 0, 0, 0, 0, 0)
                                   : _mm512_set_epi32(0x03030303, 0x03030303, 0x03030303, 0x03030303, 0x02020202,
                                                      0x02020202, 0x02020202, 0x02020202, 0x01010101, 0x01010101,
                                                      0x01010101, 0x01010101, 0, 0, 0, 0);
    return _mm512_shuffle_epi8(_mm512_broadcastd_epi32(bytes), pick);
  }
}

// w's 128 values at p as A and B (group_int8_dot_x_position's unit orders).
template <std::size_t kGpp>
AO_GROUP_INT8_DOT_VNNI_ATTR inline void GroupPairs(const std::uint8_t* p, __m512i& a, __m512i& b) {
  const __m512i r0 = _mm512_loadu_si512(p), r1 = _mm512_loadu_si512(p + 64);
  if constexpr (kGpp == 4) {
    a = _mm512_shuffle_i64x2(r0, r1, _MM_SHUFFLE(2, 0, 2, 0));
    b = _mm512_shuffle_i64x2(r0, r1, _MM_SHUFFLE(3, 1, 3, 1));
  } else if constexpr (kGpp == 2) {
    a = _mm512_shuffle_i64x2(r0, r1, _MM_SHUFFLE(1, 0, 1, 0));
    b = _mm512_shuffle_i64x2(r0, r1, _MM_SHUFFLE(3, 2, 3, 2));
  } else {
    a = r0;
    b = r1;
  }
}

// How a call treats w: reads it (and subtracts zero points, shuffles, flips), also packs what it made, or reads
// the packed bytes.
enum class GroupWMode { kRead, kPack, kPacked };

// One step of 128 values: x rows at xp (their lane sums at lp), w rows at wp (or packed at pp), their groups'
// scales at sp and zero points at zp; into the float accumulators f (and qf for kQ). Forced inline, so that the
// accumulators stay in registers in both loops of the caller.
template <std::size_t X, std::size_t kGpp, bool kZeros, bool kQ, GroupWMode kMode>
AO_GROUP_INT8_DOT_VNNI_ATTR __attribute__((always_inline)) inline void GroupInt8DotVnniStep(
    __m512 (&f)[X][group_int8_dot_task::kMaxRows], __m512 (&qf)[group_int8_dot_task::kMaxRows],
    const std::int8_t* const (&xp)[X], const std::int32_t* const (&lp)[X],
    const std::uint8_t* const (&wp)[group_int8_dot_task::kMaxRows],
    std::uint8_t* const (&pp)[group_int8_dot_task::kMaxRows],
    const float* const (&sp)[group_int8_dot_task::kMaxRows],
    const std::int32_t* const (&zp)[group_int8_dot_task::kMaxRows], const std::uint8_t* prefetch,
    std::ptrdiff_t prefetch_stride) {
  constexpr std::size_t W = group_int8_dot_task::kMaxRows;
  __m512i xa[X], xb[X];
#pragma GCC unroll 4
  for (std::size_t m = 0; m < X; ++m) {
    xa[m] = _mm512_loadu_si512(xp[m]);
    xb[m] = _mm512_loadu_si512(xp[m] + 64);
  }
#pragma GCC unroll 4
  for (std::size_t j = 0; j < W; ++j) {
    __m512i a, b;
    if constexpr (kMode == GroupWMode::kPacked) {
      a = _mm512_loadu_si512(pp[j]);
      b = _mm512_loadu_si512(pp[j] + 64);
    } else {
      GroupPairs<kGpp>(wp[j], a, b);
      if (prefetch != nullptr) {
        // W streams from memory (GEMV, or the first x tile): ask for the next tile's bytes at the same offset.
        const char* next =
            reinterpret_cast<const char*>(prefetch + static_cast<std::ptrdiff_t>(j) * prefetch_stride);
        _mm_prefetch(next, _MM_HINT_T0);
        _mm_prefetch(next + 64, _MM_HINT_T0);
      }
      if constexpr (kZeros) {
        const __m512i zv = GroupZeros<kGpp>(zp[j]);
        a = _mm512_sub_epi8(a, zv);
        b = _mm512_sub_epi8(b, zv);
      }
      const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
      a = _mm512_xor_si512(a, flip);
      b = _mm512_xor_si512(b, flip);
      if constexpr (kMode == GroupWMode::kPack) {
        _mm512_storeu_si512(pp[j], a);
        _mm512_storeu_si512(pp[j] + 64, b);
      }
    }
    const __m512 sv = GroupScales<kGpp>(sp[j]);
#pragma GCC unroll 4
    for (std::size_t m = 0; m < X; ++m) {
      const __m512i d = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_loadu_si512(lp[m]), a, xa[m]), b, xb[m]);
      f[m][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sv, f[m][j]);
    }
    if constexpr (kQ) {
      // The 8 added 128s of each lane of (w' ^ 0x80) against ones.
      const __m512i ones = _mm512_set1_epi8(1);
      const __m512i ws = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_set1_epi32(-1024), a, ones), b, ones);
      qf[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ws), sv, qf[j]);
    }
  }
}

// Steps v0..v1-1 (128 values each, value k = 128 v; groups g0(v) = v * kGpp, or v / per_group for kGpp == 1): x's
// rows at xr and lane sums at xl, w's bytes at wb[j] + (k - k0), packed ones at pb[j] + k, scales at
// sb[j] + (g0 - s0), zero points at zb[j] + (g0 - s0).
template <std::size_t X, std::size_t kGpp, bool kZeros, bool kQ, GroupWMode kMode>
AO_GROUP_INT8_DOT_VNNI_ATTR __attribute__((always_inline)) inline void GroupInt8DotVnniSteps(
    __m512 (&f)[X][group_int8_dot_task::kMaxRows], __m512 (&qf)[group_int8_dot_task::kMaxRows],
    const std::int8_t* const (&xr)[X], const std::int32_t* const (&xl)[X],
    const std::uint8_t* const (&wb)[group_int8_dot_task::kMaxRows],
    const float* const (&sb)[group_int8_dot_task::kMaxRows],
    const std::int32_t* const (&zb)[group_int8_dot_task::kMaxRows],
    std::uint8_t* const (&pb)[group_int8_dot_task::kMaxRows], std::size_t v0, std::size_t v1, std::size_t k0,
    std::size_t s0, std::size_t per_group, const std::uint8_t* prefetch, std::ptrdiff_t prefetch_stride) {
  constexpr std::size_t W = group_int8_dot_task::kMaxRows;
  for (std::size_t v = v0; v < v1; ++v) {
    const std::size_t k = v * 128, g0 = (kGpp == 1 ? v / per_group : v * kGpp) - s0;
    const std::int8_t* xp[X];
    const std::int32_t* lp[X];
    const std::uint8_t* wp[W];
    std::uint8_t* pp[W];
    const float* sp[W];
    const std::int32_t* zp[W];
    for (std::size_t m = 0; m < X; ++m) {
      xp[m] = xr[m] + k;
      lp[m] = xl[m] + v * 16;
    }
    for (std::size_t j = 0; j < W; ++j) {
      wp[j] = wb[j] + (k - k0);
      pp[j] = kMode == GroupWMode::kRead ? nullptr : pb[j] + k;
      sp[j] = sb[j] + g0;
      zp[j] = kZeros ? zb[j] + g0 : zb[j];
    }
    GroupInt8DotVnniStep<X, kGpp, kZeros, kQ, kMode>(f, qf, xp, lp, wp, pp, sp, zp,
                                                    prefetch == nullptr ? nullptr : prefetch + k, prefetch_stride);
  }
}

// X x rows by 4 w rows (X = 1 or 4), everything a compile-time choice so that the 4 X float accumulators stay in
// registers. kZeros: subtract zero points. kQ: also t.q. The steps whose w bytes, scales and zero points are all in
// place read them there; the last ones (at most 2: a partial 128 values, or 4-group loads of scales and zero
// points that would pass the last group) read copies, zero past the end (zero scales, which meet x's zero padding).
template <std::size_t X, std::size_t kGpp, bool kZeros, bool kQ, GroupWMode kMode>
AO_GROUP_INT8_DOT_VNNI_ATTR inline void GroupInt8DotVnniRows(const group_int8_dot_task& t) {
  constexpr std::size_t W = group_int8_dot_task::kMaxRows;
  const std::int8_t* xr[X];
  const std::int32_t* xl[X];
  const std::uint8_t* wr[W];
  const float* sr[W];
  const std::int32_t* zr[W];
  std::uint8_t* pr[W];
  for (std::size_t m = 0; m < X; ++m) {
    const auto row = static_cast<std::ptrdiff_t>(m < t.x_rows ? m : t.x_rows - 1);
    xr[m] = t.x + row * t.x_stride;
    xl[m] = t.x_lanes + row * t.x_lanes_stride;
  }
  static const std::int32_t kNoZeros[8] = {};
  for (std::size_t j = 0; j < W; ++j) {
    const auto row = static_cast<std::ptrdiff_t>(j < t.w_rows ? j : t.w_rows - 1);
    wr[j] = t.w + row * t.w_stride;
    sr[j] = t.w_scales + row * t.w_scales_stride;
    zr[j] = kZeros ? t.w_zero_points + row * t.w_zero_points_stride : kNoZeros;
    pr[j] = kMode == GroupWMode::kRead ? nullptr : t.w_packed + row * t.w_packed_stride;
  }
  __m512 f[X][W];
  __m512 qf[W];
  for (std::size_t j = 0; j < W; ++j) {
    qf[j] = _mm512_setzero_ps();
    for (std::size_t m = 0; m < X; ++m) f[m][j] = _mm512_setzero_ps();
  }
  const std::size_t whole = t.k / 128, steps = (t.k + 127) / 128, groups = t.k / t.group;
  const std::size_t safe = kGpp == 1 ? steps : (groups >= 4 ? (groups - 4) / kGpp + 1 : 0);
  const std::size_t main = whole < safe ? whole : safe;
  const std::size_t per_group = kGpp == 1 ? t.group / 128 : 1;  // steps per group (kGpp == 1)
  GroupInt8DotVnniSteps<X, kGpp, kZeros, kQ, kMode>(f, qf, xr, xl, wr, sr, zr, pr, 0, main, 0, 0, per_group,
                                                   t.w_next, t.w_stride);
  if (main < steps) {
    const std::size_t k0 = main * 128, s0 = kGpp == 1 ? main / per_group : main * kGpp;
    alignas(64) std::uint8_t w_tail[W][256] = {};
    float s_tail[W][12] = {};
    std::int32_t z_tail[W][12] = {};
    const std::uint8_t* wb[W];
    const float* sb[W];
    const std::int32_t* zb[W];
    for (std::size_t j = 0; j < W; ++j) {
      std::memcpy(w_tail[j], wr[j] + k0, t.k - k0);
      for (std::size_t g = s0; g < groups; ++g) {
        s_tail[j][g - s0] = sr[j][g];
        if (kZeros) z_tail[j][g - s0] = zr[j][g];
      }
      wb[j] = w_tail[j];
      sb[j] = s_tail[j];
      zb[j] = kZeros ? z_tail[j] : kNoZeros;
    }
    GroupInt8DotVnniSteps<X, kGpp, kZeros, kQ, kMode>(f, qf, xr, xl, wb, sb, zb, pr, main, steps, k0, s0, per_group,
                                                     nullptr, 0);
  }
  float sums[X][W], q[W];
#pragma GCC unroll 4
  for (std::size_t m = 0; m < X; ++m) {
#pragma GCC unroll 4
    for (std::size_t j = 0; j < W; ++j) sums[m][j] = _mm512_reduce_add_ps(f[m][j]);
  }
#pragma GCC unroll 4
  for (std::size_t j = 0; j < W; ++j) q[j] = kQ ? _mm512_reduce_add_ps(qf[j]) : 0.0f;
  for (std::size_t j = 0; j < t.w_rows; ++j) {
    for (std::size_t m = 0; m < t.x_rows; ++m) t.f[static_cast<std::ptrdiff_t>(m) * t.f_stride + j] = sums[m][j];
    if (kQ) t.q[j] = q[j];
  }
}

template <std::size_t X, std::size_t kGpp, GroupWMode kMode>
inline void GroupInt8DotVnniZq(const group_int8_dot_task& t) {
  const bool zeros = t.w_zero_points != nullptr;
  if (t.q != nullptr) {
    return zeros ? GroupInt8DotVnniRows<X, kGpp, true, true, kMode>(t)
                 : GroupInt8DotVnniRows<X, kGpp, false, true, kMode>(t);
  }
  return zeros ? GroupInt8DotVnniRows<X, kGpp, true, false, kMode>(t)
               : GroupInt8DotVnniRows<X, kGpp, false, false, kMode>(t);
}

// Packing only with 4 x rows (GEMM: one band of w is used by many x tiles); reading packed w needs neither zero
// points nor q (the packing call computes q).
template <std::size_t X, std::size_t kGpp>
inline void GroupInt8DotVnniGpp(const group_int8_dot_task& t) {
  if constexpr (X == 4) {
    if (t.w_packed != nullptr && t.pack_w) return GroupInt8DotVnniZq<X, kGpp, GroupWMode::kPack>(t);
    if (t.w_packed != nullptr && t.q == nullptr) return GroupInt8DotVnniRows<X, kGpp, false, false, GroupWMode::kPacked>(t);
  }
  return GroupInt8DotVnniZq<X, kGpp, GroupWMode::kRead>(t);
}

template <std::size_t X>
inline void GroupInt8DotVnniX(const group_int8_dot_task& t) {
  if (t.group == 32) return GroupInt8DotVnniGpp<X, 4>(t);
  if (t.group == 64) return GroupInt8DotVnniGpp<X, 2>(t);
  return GroupInt8DotVnniGpp<X, 1>(t);
}

inline bool GroupHaveVnni() {
  static const bool have = __builtin_cpu_supports("avx512vnni");
  return have;
}
#endif

}  // namespace detail

inline void GroupInt8Dot(const group_int8_dot_task& t) {
#if AO_GROUP_INT8_DOT_VNNI
  const bool vnni_group = t.group % 32 == 0 && (t.group <= 64 || t.group % 128 == 0);
  if (t.w_fits_int8 && vnni_group && detail::GroupHaveVnni()) {
    return t.x_rows == 1 ? detail::GroupInt8DotVnniX<1>(t) : detail::GroupInt8DotVnniX<4>(t);
  }
#endif
  detail::GroupInt8DotGeneric(t);
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_GROUP_INT8_DOT_INL_H_
