// ao/backends/hwy/int8_panel-inl.h: the integer GEMM kernel of ao::matmul over int8 activations (M >= 32,
// ao/ops/integer_matmul.hpp), in namespace ao::highway::HWY_NAMESPACE:
//
//   Int8Panel(const ao::highway::int8_panel_task& t)
//     for j < kWRows (6), i < kColumns (64):
//       t.acc[j * t.acc_stride + i] += sum over k < t.k of x'[i][k] * w'[j][k]          (exact, int32)
//     x' the unsigned bytes of a packed panel of 64 activation rows, w' the weight codes as int8: the bytes of row j
//     (t.w[j]), or those bytes ^ 0x80 (w - 128) when t.w_unsigned.
//   Int8PanelFast()  whether Int8Panel runs vpdpbusd on this CPU (AVX-512 VNNI on the AVX3 targets); elsewhere it is
//                    a scalar loop, correct but slow, and ao::matmul keeps its dot-product path.
//
// Layout: the panel holds 64 rows of x, 4 k values at a time: byte (k / 4) * 256 + i * 4 + k % 4 is row i at k, so
// that one 64-byte vector holds 4 consecutive k of 16 rows, vpdpbusd's unsigned operand. Each step broadcasts 4
// bytes of one weight row (the signed operand) and adds 4 products into each of 16 int32 lanes: the lanes run over
// rows of x and each output is one lane of one accumulator (6 weight rows x 4 vectors = 24 in registers), as in
// MatmulPanel.
//
// Contract (the caller's): t.k is a multiple of 4 and at most kMaxK (so |sum| <= kMaxK * 255 * 128 < 2^31); the
// panel holds t.k / 4 * 256 bytes; each of the 6 weight rows holds t.k bytes (rows past N point at codes whose w' is
// 0); acc holds 6 rows of 64 int32; nothing overlaps.

// ---- Once-only part: the task (no Highway types) ----
#ifndef AO_BACKENDS_HWY_INT8_PANEL_INL_H_ONCE_
#define AO_BACKENDS_HWY_INT8_PANEL_INL_H_ONCE_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ao::highway {

struct int8_panel_task {
  static constexpr std::size_t kWRows = 6;     // weight rows (outputs n) per call
  static constexpr std::size_t kColumns = 64;  // activation rows (outputs m) per panel
  static constexpr std::size_t kMaxK = 32768;  // k * 255 * 128 < 2^31
  const std::uint8_t* w[kWRows];               // weight rows: t.k codes each
  bool w_unsigned;                             // codes are uint8 (w' = w - 128), else int8
  const std::uint8_t* x;                       // the packed panel (layout above)
  std::size_t k;                               // a multiple of 4
  std::int32_t* acc;                           // kWRows x kColumns sums, updated
  std::ptrdiff_t acc_stride;                   // elements
};

// The panel byte of activation row i (< kColumns) at k, in the layout above.
constexpr std::size_t int8_panel_offset(std::size_t i, std::size_t k) noexcept {
  return k / 4 * (4 * int8_panel_task::kColumns) + i * 4 + k % 4;
}

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_INT8_PANEL_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_INT8_PANEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_INT8_PANEL_INL_H_
#undef AO_BACKENDS_HWY_INT8_PANEL_INL_H_
#else
#define AO_BACKENDS_HWY_INT8_PANEL_INL_H_
#endif

#include <hwy/highway.h>

#include "ao/backends/hwy/unroll.hpp"

#undef AO_INT8_PANEL_VNNI
#if (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL) && defined(__GNUC__) && HWY_ARCH_X86_64
#include <immintrin.h>
#define AO_INT8_PANEL_VNNI 1
#undef AO_INT8_PANEL_VNNI_ATTR
#define AO_INT8_PANEL_VNNI_ATTR __attribute__((target("avx512f,avx512bw,avx512vnni")))
#else
#define AO_INT8_PANEL_VNNI 0
#endif

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace int8_panel_detail {

using task = ::ao::highway::int8_panel_task;

inline void Scalar(const task& t) {
  const std::int32_t flip = t.w_unsigned ? 128 : 0;
  for (size_t j = 0; j < task::kWRows; ++j) {
    for (size_t i = 0; i < task::kColumns; ++i) {
      std::int32_t s = 0;
      for (size_t k = 0; k < t.k; ++k) {
        const std::int32_t w = t.w_unsigned ? std::int32_t{t.w[j][k]} : std::int32_t{static_cast<int8_t>(t.w[j][k])};
        s += std::int32_t{t.x[::ao::highway::int8_panel_offset(i, k)]} * (w - flip);
      }
      t.acc[static_cast<std::ptrdiff_t>(j) * t.acc_stride + static_cast<std::ptrdiff_t>(i)] += s;
    }
  }
}

#if AO_INT8_PANEL_VNNI
template <bool WUnsigned>
AO_INT8_PANEL_VNNI_ATTR inline void Vnni(const task& t) {
  constexpr size_t R = task::kWRows, NV = 4;
  __m512i a[R][NV];
  AO_HWY_UNROLL
  for (size_t j = 0; j < R; ++j) {
    AO_HWY_UNROLL
    for (size_t v = 0; v < NV; ++v) {
      a[j][v] = _mm512_loadu_si512(t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride + 16 * v);
    }
  }
  const uint8_t* x = t.x;
  for (size_t k = 0; k < t.k; k += 4, x += 4 * task::kColumns) {
    __m512i xv[NV];
    AO_HWY_UNROLL
    for (size_t v = 0; v < NV; ++v) xv[v] = _mm512_loadu_si512(x + 64 * v);
    AO_HWY_UNROLL
    for (size_t j = 0; j < R; ++j) {
      int32_t word;
      std::memcpy(&word, t.w[j] + k, 4);
      if constexpr (WUnsigned) word ^= static_cast<int32_t>(0x80808080u);
      const __m512i b = _mm512_set1_epi32(word);
      AO_HWY_UNROLL
      for (size_t v = 0; v < NV; ++v) a[j][v] = _mm512_dpbusd_epi32(a[j][v], xv[v], b);
    }
  }
  AO_HWY_UNROLL
  for (size_t j = 0; j < R; ++j) {
    AO_HWY_UNROLL
    for (size_t v = 0; v < NV; ++v) {
      _mm512_storeu_si512(t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride + 16 * v, a[j][v]);
    }
  }
}

inline bool HaveVnni() {
  static const bool have = __builtin_cpu_supports("avx512vnni");
  return have;
}
#endif

}  // namespace int8_panel_detail

inline void Int8Panel(const ao::highway::int8_panel_task& t) {
#if AO_INT8_PANEL_VNNI
  if (int8_panel_detail::HaveVnni()) {
    return t.w_unsigned ? int8_panel_detail::Vnni<true>(t) : int8_panel_detail::Vnni<false>(t);
  }
#endif
  int8_panel_detail::Scalar(t);
}

inline bool Int8PanelFast() {
#if AO_INT8_PANEL_VNNI
  return int8_panel_detail::HaveVnni();
#else
  return false;
#endif
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_INT8_PANEL_INL_H_
