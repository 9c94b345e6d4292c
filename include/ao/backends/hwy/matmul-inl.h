// ao/backends/hwy/matmul-inl.h: the Highway inner kernel of ao::matmul's weight-only path (ao/ops/matmul.hpp), in
// namespace ao::highway::HWY_NAMESPACE:
//
//   MatmulDot(const ao::highway::matmul_dot_task& t)
//     t.acc[m * t.acc_stride + j] += sum over k < t.k of t.x[m * t.x_stride + k] * t.w[j * t.w_stride + k]
//     for m < t.rows and j < matmul_dot_task::kWRows (4), all fp32.
//
// The kernel is independent of the weight format: ao::matmul decodes a tile of 4 weight rows x one chunk of K into
// a small fp32 scratch with the format's own Highway dequantize kernel, and this kernel multiplies it with the fp32
// activations. Contract (the caller's): t.k is a multiple of kKMultiple (16, the most fp32 lanes of any target),
// every row of x and w holds t.k readable values (zero-padded past the real K), the buffers do not overlap acc.
//
// Order of operations (deterministic for a target; differs between targets by the vector width): x rows in
// blocks of up to 3, each block against the 4 weight rows with one vector accumulator per (row, weight row): lane i
// of the accumulator sums the products of k = i, i + L, i + 2L, ... (L = Lanes) with one fused multiply-add each
// (MulAdd: fused on targets with FMA, a multiply then an add elsewhere), in increasing k; then the lanes are summed
// (SumOfLanes) and the sum is added to acc once per call.

// ---- Once-only part: the task (no Highway types) ----
#ifndef AO_BACKENDS_HWY_MATMUL_INL_H_ONCE_
#define AO_BACKENDS_HWY_MATMUL_INL_H_ONCE_

#include <cstddef>

namespace ao::highway {

struct matmul_dot_task {
  static constexpr std::size_t kWRows = 4;       // weight rows per call
  static constexpr std::size_t kKMultiple = 16;  // t.k is a multiple of this
  const float* x;                                // rows x k activations
  std::ptrdiff_t x_stride;                       // elements
  std::size_t rows;
  const float* w;            // kWRows x k decoded weights
  std::ptrdiff_t w_stride;   // elements
  std::size_t k;
  float* acc;                // rows x kWRows sums, added to
  std::ptrdiff_t acc_stride; // elements
};

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_MATMUL_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_MATMUL_INL_H_
#undef AO_BACKENDS_HWY_MATMUL_INL_H_
#else
#define AO_BACKENDS_HWY_MATMUL_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace matmul_detail {

// a_j += u * v_j for the 4 weight rows.
template <class V>
HWY_INLINE void MulAdd4(V u, V v0, V v1, V v2, V v3, V& a0, V& a1, V& a2, V& a3) {
  a0 = hn::MulAdd(u, v0, a0);
  a1 = hn::MulAdd(u, v1, a1);
  a2 = hn::MulAdd(u, v2, a2);
  a3 = hn::MulAdd(u, v3, a3);
}
// acc[j] += the sum of a_j's lanes.
template <class D, class V>
HWY_INLINE void AddSums4(D d, V a0, V a1, V a2, V a3, float* HWY_RESTRICT acc) {
  acc[0] += hn::GetLane(hn::SumOfLanes(d, a0));
  acc[1] += hn::GetLane(hn::SumOfLanes(d, a1));
  acc[2] += hn::GetLane(hn::SumOfLanes(d, a2));
  acc[3] += hn::GetLane(hn::SumOfLanes(d, a3));
}

// MR x 4 dot products over k (a multiple of Lanes(d)), added to acc. Vectors live in named variables, not arrays,
// so that the code also compiles for sizeless (scalable) vector types.
template <size_t MR, class D>
HWY_INLINE void DotBlock(D d, const float* HWY_RESTRICT x, std::ptrdiff_t xs, const float* HWY_RESTRICT w,
                         std::ptrdiff_t ws, size_t k, float* HWY_RESTRICT acc, std::ptrdiff_t as) {
  static_assert(MR >= 1 && MR <= 3, "DotBlock: 1 to 3 rows of x");
  const size_t N = hn::Lanes(d);
  auto a00 = hn::Zero(d), a01 = hn::Zero(d), a02 = hn::Zero(d), a03 = hn::Zero(d);
  auto a10 = hn::Zero(d), a11 = hn::Zero(d), a12 = hn::Zero(d), a13 = hn::Zero(d);
  auto a20 = hn::Zero(d), a21 = hn::Zero(d), a22 = hn::Zero(d), a23 = hn::Zero(d);
  for (size_t i = 0; i < k; i += N) {
    const auto v0 = hn::LoadU(d, w + i), v1 = hn::LoadU(d, w + ws + i);
    const auto v2 = hn::LoadU(d, w + 2 * ws + i), v3 = hn::LoadU(d, w + 3 * ws + i);
    MulAdd4(hn::LoadU(d, x + i), v0, v1, v2, v3, a00, a01, a02, a03);
    if constexpr (MR > 1) MulAdd4(hn::LoadU(d, x + xs + i), v0, v1, v2, v3, a10, a11, a12, a13);
    if constexpr (MR > 2) MulAdd4(hn::LoadU(d, x + 2 * xs + i), v0, v1, v2, v3, a20, a21, a22, a23);
  }
  AddSums4(d, a00, a01, a02, a03, acc);
  if constexpr (MR > 1) AddSums4(d, a10, a11, a12, a13, acc + as);
  if constexpr (MR > 2) AddSums4(d, a20, a21, a22, a23, acc + 2 * as);
}

}  // namespace matmul_detail

inline void MatmulDot(const ao::highway::matmul_dot_task& t) {
  const hn::ScalableTag<float> d;
  size_t m = 0;
  for (; m + 3 <= t.rows; m += 3) {
    matmul_detail::DotBlock<3>(d, t.x + static_cast<std::ptrdiff_t>(m) * t.x_stride, t.x_stride, t.w, t.w_stride, t.k,
                               t.acc + static_cast<std::ptrdiff_t>(m) * t.acc_stride, t.acc_stride);
  }
  const float* x = t.x + static_cast<std::ptrdiff_t>(m) * t.x_stride;
  float* acc = t.acc + static_cast<std::ptrdiff_t>(m) * t.acc_stride;
  if (t.rows - m == 2) matmul_detail::DotBlock<2>(d, x, t.x_stride, t.w, t.w_stride, t.k, acc, t.acc_stride);
  if (t.rows - m == 1) matmul_detail::DotBlock<1>(d, x, t.x_stride, t.w, t.w_stride, t.k, acc, t.acc_stride);
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_MATMUL_INL_H_
