// ao/backends/hwy/int8_epilogue-inl.h: the epilogue of the integer GEMM path of ao::matmul (ao/ops/integer_matmul.hpp):
// from a block of Int8Panel's int32 sums to y, torchao's Int8Tensor epilogue in vectors. In namespace
// ao::highway::HWY_NAMESPACE:
//
//   Int8Epilogue(const ao::highway::int8_epilogue_task& t)
//     for j < t.rows (W rows, outputs n), i < t.columns (x rows, outputs m):
//       S  = acc[j][i] + x_sum[i] * (b - w_zero[j]) + x_zero[i] * (k * w_zero[j] - w_sum[j]) + k * a * b - a * w_sum[j]
//            (int32 arithmetic modulo 2^32: with acc = sum (x + a)(w - b) this is sum (x - zx)(w - zw) exactly, which
//            the caller guarantees fits int32)
//       t  = I(float(S));  t = I(t * x_scale[i]);  t = Dst(t)
//       v  = P(t * w_scale[j]);  v = P(v + bias[j]) when bias;  y[i * y_stride + j] = Dst(v)
//     I, P and Dst (t.i_type, t.p_type, t.y_type) are fp32 or bf16: each step is rounded to its dtype (RNE, NaN to
//     bf16's canonical NaN), the products and the sum follow ao::detail::torch_multiply and torch_add (x86's NaN
//     rule, written out, so every target gives the same bits). That is ao::detail::integer_matmul_problem's store,
//     output by output, so the result is the scalar backend's byte for byte.
//
// Contract (the caller's): the per-column arrays (acc's rows, x_sum, x_zero, x_scale) hold t.columns values rounded
// up to a multiple of kColumnPadding (they are read in whole vectors; the extra lanes are computed and dropped); the
// per-row arrays hold t.rows values; bias is t.rows values or null; y is float or ao::bfloat16 as t.y_type says
// (p_type bf16 only with y_type bf16, as torch's promotion gives) and is written only at the t.rows x t.columns
// outputs; nothing written overlaps anything read.

// ---- Once-only part: the task (no Highway types) ----
#ifndef AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_ONCE_
#define AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_ONCE_

#include <cstddef>
#include <cstdint>

namespace ao::highway {

struct int8_epilogue_task {
  enum class dtype : std::uint8_t { f32, bf16 };
  static constexpr std::size_t kColumnPadding = 64;  // at least the lanes of int32 in any vector
  const std::int32_t* acc;                           // acc[j * acc_stride + i]
  std::ptrdiff_t acc_stride;                         // elements
  std::size_t rows, columns;
  const std::int32_t* x_sum;   // per column i: sum of x's codes over K
  const std::int32_t* x_zero;  // per column i: x's zero point
  const float* x_scale;        // per column i
  const std::int32_t* w_sum;   // per row j: sum of W's codes over K
  const std::int32_t* w_zero;  // per row j
  const float* w_scale;        // per row j
  const float* bias;           // per row j, or null
  std::int32_t a, b, k;        // x' = x + a, w' = w - b (the panel's operands), K
  dtype i_type, p_type, y_type;
  void* y;                  // float or ao::bfloat16 (y_type)
  std::ptrdiff_t y_stride;  // elements between outputs i and i + 1
};

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_
#undef AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_
#else
#define AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/numeric/bfloat16.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace int8_epilogue_detail {

namespace hn = ::hwy::HWY_NAMESPACE;
using task = ::ao::highway::int8_epilogue_task;

// ao::detail::torch_multiply in lanes: a NaN a comes back quieted, else a NaN b quieted, an invalid product (0 * inf)
// is x86's default NaN 0xFFC00000, else a * b.
// r = a * b or a + b as computed; the NaN rule applied to it.
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V TorchNaNRule(DF df, V a, V b, V r) {
  const hn::RebindToUnsigned<DF> du;
  const auto quiet = [&](V v) { return hn::BitCast(df, hn::Or(hn::BitCast(du, v), hn::Set(du, 0x00400000u))); };
  r = hn::IfThenElse(hn::IsNaN(r), hn::BitCast(df, hn::Set(du, 0xFFC00000u)), r);
  r = hn::IfThenElse(hn::IsNaN(b), quiet(b), r);
  return hn::IfThenElse(hn::IsNaN(a), quiet(a), r);
}
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V TorchMultiply(DF df, V a, V b) {
  return TorchNaNRule(df, a, b, hn::Mul(a, b));
}
// ao::detail::torch_add in lanes: the same rule (an invalid sum is inf + -inf).
template <class DF, class V = hn::Vec<DF>>
HWY_INLINE V TorchAdd(DF df, V a, V b) {
  return TorchNaNRule(df, a, b, hn::Add(a, b));
}

// Outputs go through a tile of kRowTile W rows x Lanes(df) x rows (the vectors run over x rows, y's rows run over W
// rows): written to y row by row, contiguously. (Storing each vector's lanes straight into y's column touches one
// cache line per lane, all in one L1 set when y's rows are a multiple of 4 KiB apart: 5x slower.)
constexpr size_t kRowTile = 16;

template <class I, class P, class Dst>
void Run(const task& t) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const size_t L = hn::Lanes(df);
  Dst tile[kRowTile * hn::MaxLanes(df)];
  Dst* y = static_cast<Dst*>(t.y);
  const auto a = static_cast<std::uint32_t>(t.a), b = static_cast<std::uint32_t>(t.b);
  const auto k = static_cast<std::uint32_t>(t.k);
  for (size_t j0 = 0; j0 < t.rows; j0 += kRowTile) {
    const size_t rows = std::min(kRowTile, t.rows - j0);
    // The per-row terms of S, modulo 2^32 (unsigned: no overflow in C++).
    std::int32_t x_sum_factor[kRowTile], x_zero_factor[kRowTile], constant[kRowTile];
    for (size_t r = 0; r < rows; ++r) {
      const auto w_sum = static_cast<std::uint32_t>(t.w_sum[j0 + r]);
      const auto w_zero = static_cast<std::uint32_t>(t.w_zero[j0 + r]);
      x_sum_factor[r] = static_cast<std::int32_t>(b - w_zero);
      x_zero_factor[r] = static_cast<std::int32_t>(k * w_zero - w_sum);
      constant[r] = static_cast<std::int32_t>(k * a * b - a * w_sum);
    }
    for (size_t i = 0; i < t.columns; i += L) {
      const auto x_sum = hn::LoadU(di, t.x_sum + i), x_zero = hn::LoadU(di, t.x_zero + i);
      const auto x_scale = hn::LoadU(df, t.x_scale + i);
      for (size_t r = 0; r < rows; ++r) {
        const size_t j = j0 + r;
        auto s = hn::LoadU(di, t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride + static_cast<std::ptrdiff_t>(i));
        s = hn::Add(s, hn::Mul(x_sum, hn::Set(di, x_sum_factor[r])));
        s = hn::Add(hn::Add(s, hn::Mul(x_zero, hn::Set(di, x_zero_factor[r]))), hn::Set(di, constant[r]));
        auto v = RoundToDtype<I>(df, hn::ConvertTo(df, s));
        v = RoundToDtype<I>(df, TorchMultiply(df, v, x_scale));
        v = RoundToDtype<Dst>(df, v);
        v = RoundToDtype<P>(df, TorchMultiply(df, v, hn::Set(df, t.w_scale[j])));
        if (t.bias != nullptr) v = RoundToDtype<P>(df, TorchAdd(df, v, hn::Set(df, t.bias[j])));
        StoreF32(df, v, tile + r * L);
      }
      const size_t n = std::min(L, t.columns - i);
      for (size_t l = 0; l < n; ++l) {
        Dst* out = y + static_cast<std::ptrdiff_t>(i + l) * t.y_stride + static_cast<std::ptrdiff_t>(j0);
        for (size_t r = 0; r < rows; ++r) out[r] = tile[r * L + l];
      }
    }
  }
}

// The dtype combinations torchao's epilogue can have: P is fp32 unless y and W's scales are both bf16.
inline void Dispatch(const task& t) {
  using bf16 = ::ao::bfloat16;
  const bool i_bf16 = t.i_type == task::dtype::bf16, p_bf16 = t.p_type == task::dtype::bf16;
  if (t.y_type == task::dtype::f32) {
    return i_bf16 ? Run<bf16, float, float>(t) : Run<float, float, float>(t);
  }
  if (i_bf16) return p_bf16 ? Run<bf16, bf16, bf16>(t) : Run<bf16, float, bf16>(t);
  return p_bf16 ? Run<float, bf16, bf16>(t) : Run<float, float, bf16>(t);
}

}  // namespace int8_epilogue_detail

inline void Int8Epilogue(const ao::highway::int8_epilogue_task& t) { int8_epilogue_detail::Dispatch(t); }

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_INT8_EPILOGUE_INL_H_
