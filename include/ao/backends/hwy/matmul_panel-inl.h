// ao/backends/hwy/matmul_panel-inl.h: the Highway inner kernel of ao::matmul's GEMM path (M >= 16, ao/ops/matmul.hpp),
// in namespace ao::highway::HWY_NAMESPACE:
//
//   MatmulPanel(const ao::highway::matmul_panel_task& t)
//     for j < kWRows (6) and i < kColumns (64), in increasing k < t.k:
//       t.acc[j * t.acc_stride + i] = fma(t.w[j * t.w_stride + k], t.x[k * kColumns + i], t.acc[j * t.acc_stride + i])
//
// Roles: w holds 6 decoded weight rows (one k chunk, fp32, row-major); x is a panel of 64 activation rows stored
// transposed (k-major, 64 consecutive floats per k: "x^T"), so that one vector holds one k of several rows of x; acc
// is the 6 x 64 block of y^T being summed (fp32). Each step broadcasts one weight and multiplies it with the panel's
// vectors: lanes run over rows of x, so no horizontal sum is ever needed, and each output is one lane of one
// accumulator.
//
// Order of operations: every output is a chain of fused multiply-adds over k in increasing order, starting from the
// value in acc. A caller that starts acc at 0 and calls the kernel for consecutive k chunks gets, on every target
// with FMA, exactly the scalar backend's sum `s = fma(x[m, k], W[n, k], s)` for k = 0, 1, ...: the result does not
// depend on the target, the chunking, M or the executor. (Targets without FMA, SSE4 and older, multiply then add.)
//
// Contract (the caller's): x holds t.k * kColumns floats (rows of x past the real M are any
// finite value, zero in ao::matmul; their lanes are never stored); w holds kWRows rows of t.k floats (rows past the
// real N are zero); acc holds kWRows rows of kColumns floats; none of them overlap.

// ---- Once-only part: the task (no Highway types) ----
#ifndef AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_ONCE_
#define AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_ONCE_

#include <cstddef>

namespace ao::highway {

struct matmul_panel_task {
  static constexpr std::size_t kWRows = 6;     // weight rows (outputs n) per call
  static constexpr std::size_t kColumns = 64;  // activation rows (outputs m) per panel
  const float* w;                              // kWRows x k decoded weights
  std::ptrdiff_t w_stride;                     // elements
  const float* x;  // k x kColumns: x[k * kColumns + i] is activation row i of the panel at k
  std::size_t k;
  float* acc;                 // kWRows x kColumns sums, updated
  std::ptrdiff_t acc_stride;  // elements
};

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_
#undef AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_
#else
#define AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_
#endif

#include <hwy/highway.h>

#include <cmath>

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace panel_detail {

using task = ::ao::highway::matmul_panel_task;

#if HWY_HAVE_SCALABLE
// Sizeless vectors cannot live in arrays, and their lane count need not divide kColumns: plain fused multiply-adds
// (the same order of operations, not vectorized).
template <class D>
HWY_INLINE void Columns(D, const task& t, size_t) {
  for (size_t j = 0; j < task::kWRows; ++j) {
    float* acc = t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride;
    const float* w = t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride;
    for (size_t i = 0; i < task::kColumns; ++i) {
      float a = acc[i];
      for (size_t k = 0; k < t.k; ++k) a = std::fma(w[k], t.x[k * task::kColumns + i], a);
      acc[i] = a;
    }
  }
}
#else
// 6 weight rows x NV vectors of columns in registers: 24 accumulators on targets with 32 vector registers (512-bit
// vectors), 12 on the others (AO_HWY_UNROLL on every loop over them, so that the arrays become registers).

constexpr size_t kVectors = HWY_MAX_BYTES >= 64 ? 4 : 2;
template <class D>
HWY_INLINE void Columns(D d, const task& t, size_t c0) {
  using V = hn::Vec<D>;
  constexpr size_t R = task::kWRows, NV = kVectors;
  const size_t L = hn::Lanes(d);
  V a[R][NV];
  const float* w[R];
  AO_HWY_UNROLL
  for (size_t j = 0; j < R; ++j) {
    w[j] = t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride;
    AO_HWY_UNROLL
    for (size_t v = 0; v < NV; ++v) {
      a[j][v] =
          hn::LoadU(d, t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride + static_cast<std::ptrdiff_t>(c0 + v * L));
    }
  }
  const float* x = t.x + c0;
  for (size_t k = 0; k < t.k; ++k, x += task::kColumns) {
    V xv[NV];
    AO_HWY_UNROLL
    for (size_t v = 0; v < NV; ++v) xv[v] = hn::LoadU(d, x + v * L);
    AO_HWY_UNROLL
    for (size_t j = 0; j < R; ++j) {
      const V b = hn::Set(d, w[j][k]);
      AO_HWY_UNROLL
      for (size_t v = 0; v < NV; ++v) a[j][v] = hn::MulAdd(b, xv[v], a[j][v]);
    }
  }
  AO_HWY_UNROLL
  for (size_t j = 0; j < R; ++j) {
    AO_HWY_UNROLL
    for (size_t v = 0; v < NV; ++v) {
      hn::StoreU(a[j][v], d,
                 t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride + static_cast<std::ptrdiff_t>(c0 + v * L));
    }
  }
}
#endif

}  // namespace panel_detail

inline void MatmulPanel(const ao::highway::matmul_panel_task& t) {
  const hn::ScalableTag<float> d;
#if HWY_HAVE_SCALABLE
  panel_detail::Columns(d, t, 0);
#else
  const size_t step = panel_detail::kVectors * hn::Lanes(d);
  for (size_t c0 = 0; c0 < ao::highway::matmul_panel_task::kColumns; c0 += step) panel_detail::Columns(d, t, c0);
#endif
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_MATMUL_PANEL_INL_H_
