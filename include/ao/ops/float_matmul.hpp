// ao/ops/float_matmul.hpp: ao::matmul over activations quantized to a floating-point format (FP8, MX, NVFP4): the
// "dynamic activation" recipes of torchao other than the integer ones, on a CPU without low-precision float dot
// products:
//   Float8DynamicActivationFloat8Weight    A = ao::float8_e4m3_per_row (or per_tensor), W an FP8 format
//   MXDynamicActivationMXWeight            A = ao::mxfp8_e4m3 (block 32, e8m0 scales), W = ao::mxfp8_e4m3 or
//                                          ao::mxfp4 (MXFP8 x MXFP4), any MX element and scale rule
//   NVFP4DynamicActivationNVFP4Weight      A = ao::nvfp4, W = ao::nvfp4
// The public calls are those of ao/ops/integer_matmul.hpp, which routes a floating-point A here:
//   ao::matmul(xq, w, [bias,] y, options...)          xq: quantized_view<A> (or an unpadded 2-D quantized_tensor<A>)
//   ao::matmul_dynamic<A>(x, w, [bias,] y, options...)  x (fp32 or bf16) quantized per call with ao::quantize<A>
//                                                     (bit-exact with torchao's activation quantization for A)
//
// What is computed: y[m, n] = Dst(sum over k of X[m, k] * W[n, k] + bias[n]), where X and W are the fp32 values
// ao::dequantize gives (the scalar oracle's: torchao's dequantized values), summed in fp32 in exactly the weight-only
// ao::matmul's order (ao/ops/matmul.hpp): for M >= 32 on both backends a chain of fused multiply-adds in k order,
// so the Highway result equals the scalar one bit for bit on targets with FMA.
// - MX x MX: every product of two dequantized MX values is exact in fp32 (at most 4 x 4 significant bits, power-of-two
//   scales), so the only roundings are the K additions: this is exact MX arithmetic (the OCP dot product, block scale
//   products included) up to fp32 accumulation, |y - exact| <= gamma_K sum_k |X W| (gamma_K = K u / (1 - K u),
//   u = 2^-24), plus 2^-150 per product whose magnitude falls below fp32's normal range (block scales near 2^-127).
//   torchao's emulated mode (its path off Blackwell) computes the same sum as a bf16 matmul of the dequantized
//   operands, so ao is at least as exact.
// - FP8 x FP8: torch._scaled_mm multiplies the code sums by scale_x[m] * scale_w[n] at the end; ao multiplies the
//   dequantized values (one fp32 rounding each). Both are within gamma_(K+2) sum_k |X W| of the exact result.
// - NVFP4: as MX, with NVFP4's e4m3 block scales and its optional per-tensor scale folded into the dequantized
//   values (each one fp32 rounding at most).
// Activations are dequantized once per call into an fp32 copy of x (M x K) with ao::dequantize, on the call's
// backend and executor; then W goes through the weight-only ao::matmul (decoded tile by tile, never whole).
// Checks: ao::matmul's over quantized activations, in ao/ops/integer_matmul.hpp (argument names, shapes, strides,
// overlaps; nothing written on error).
#pragma once

#include <memory>
#include <type_traits>

#include "ao/formats/format_traits.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/view.hpp"

namespace ao {

// Whether ao::matmul takes F as the format of quantized activations computed in floating point (above): FP8 with a
// float scale, MX (block-scaled) and NVFP4 formats.
template <class F>
inline constexpr bool is_float_matmul_format_v =
    std::is_same_v<typename format_traits<F>::family, format_family::float8> ||
    std::is_same_v<typename format_traits<F>::family, format_family::block_scaled> ||
    std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>;

namespace detail {

// The computation above, for checked operands (ao::matmul's checks: ao/ops/integer_matmul.hpp), M, N > 0.
template <class A, class W, class Dst, class Backend, class Executor>
void float_matmul_checked(const const_quantized_view<A>& x, const const_quantized_view<W>& w, const float* bias,
                          strided_view<Dst, 2> y, Backend be, Executor& ex) {
  static_assert(is_float_matmul_format_v<A>, "ao::matmul: x's format is not an FP8, MX or NVFP4 format");
  const std::unique_ptr<float[]> xd(new float[x.rows * x.cols]);  // every value written by ao::dequantize
  const strided_view<float, 2> xv(xd.get(), {x.rows, x.cols});
  ao::dequantize(x, xv, be, ex);
  matmul_checked<W, float, Dst>(strided_view<const float, 2>(xv), w, bias, y, be, ex);
}

}  // namespace detail
}  // namespace ao
