// ao/backends/scalar/float8.hpp: the scalar oracle for FP8 with a float scale (ao/formats/float8.hpp): quantize and
// dequantize one value, one run of values sharing a scale, and whole row-major matrices. Plain loops, byte-exact
// with torchao's Float8Tensor torch path (`_choose_scale_float8`, `_quantize_affine_float8`,
// `_dequantize_affine_float8`; numerics spec §3.1) as torch computes it on an x86 CPU (by default) or on CUDA; every
// SIMD and CUDA kernel is tested against these.
//
// The input dtype. The scale arithmetic runs in the dtype of the tensor torchao was given, so every function that
// computes a scale takes it as a template argument, `Input`: float (the default), ao::bfloat16 or ao::float16. The
// values themselves are always passed as float; with a narrower Input they must be exactly representable in it
// (a bf16 tensor widened to fp32, as the test reader's as_float does).
//
//   amax  = max |x| over the granule (a NaN anywhere gives NaN), clamped to [F::amax_clamp::lower, upper]
//   scale = Input(amax / max(Element)), then held as fp32 (torch_cuda multiplies by fl32(1 / max) instead): with a
//           bf16 input the fp32 quotient is rounded to bf16 (torch computes bf16 / scalar in fp32 and rounds once to
//           bf16: bf16 row amax 600 gives 1.3359375, where an fp32 input gives 1.3392857)
//   code  = Element(clamp(x / scale, -max, max)): fp32 division (not a reciprocal multiply), RNE
//   value = float(Element(code)) * scale in fp32
//
// Arithmetic (F::arithmetic, ao/formats/float8.hpp): torch_cpu (default) is torch on an x86 CPU, where torchao's
// files were written; torch_cuda is torch on CUDA, whose fp32 scales are amax * fl32(1 / max). The NaNs of each are
// written out, so that ao gives the same bytes on any host, in constant evaluation and on the GPU: on x86 a NaN
// operand of x / scale propagates with its sign (x's first) and an invalid quotient (0/0, inf/inf) is x86's default
// NaN, which is negative; on CUDA every NaN is positive. So, under amax_clamp::none, an all-zero granule has scale 0
// and elements 0/0 = NaN: code 0xFF (torch_cpu) or 0x7F (torch_cuda) for e4m3fn and e5m2, 0x80 (the only NaN) for
// fnuz, which dequantize to NaN. Clamp the amax from below (ao::amax_clamp::min_1e_12, torchao's hp_value_lb) for a
// finite result.
//
// Shapes. per_tensor and per_row take any shape; per_block<R, C> needs rows % R == 0 and cols % C == 0 (torchao's
// get_block_size asserts the same), else ao::error. Empty matrices work: no codes, and scales only where the
// granularity still has some (per_tensor's one scale, per_row's one per row of an empty row); an empty reduction
// has amax 0 (torch refuses to reduce an empty tensor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/error.hpp"
#include "ao/formats/float8.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::scalar {
namespace detail {

// x / s as torch computes it on an x86 CPU (divss / vdivps) or on CUDA (div.rn.f32), written out so that ao gives
// the same bits on any host, in constant evaluation and on the GPU. x86: a NaN operand propagates with its sign
// (x's first), and an invalid quotient (0/0, inf/inf) is the default NaN 0xFFC00000, which is negative. CUDA: every
// NaN result is the canonical NaN 0x7FFFFFFF.
// Whether x / s is an invalid operation (0 / 0, inf / inf), whose result is the arithmetic's default NaN.
AO_HOST_DEVICE constexpr bool invalid_quotient(float x, float s) noexcept {
  constexpr float inf = ao::detail::bit_cast<float>(0x7F800000u);
  return (x == 0.0f && s == 0.0f) || ((x == inf || x == -inf) && (s == inf || s == -inf));
}

template <class Arithmetic>
AO_HOST_DEVICE constexpr float torch_divide(float x, float s) noexcept {
  constexpr bool cuda = std::is_same_v<Arithmetic, float8_arithmetic::torch_cuda>;
  static_assert(cuda || std::is_same_v<Arithmetic, float8_arithmetic::torch_cpu>,
                "float8_scaled: the arithmetic is float8_arithmetic::torch_cpu or torch_cuda");
  const float invalid = ao::detail::exact_float_bits(cuda ? 0x7FFFFFFFu : 0xFFC00000u);
  if (x != x) return cuda ? invalid : x;
  if (s != s) return cuda ? invalid : s;
  if (invalid_quotient(x, s)) return invalid;
  constexpr float inf = ao::detail::bit_cast<float>(0x7F800000u);
  if (s == 0.0f) {
    const bool negative =
        ((ao::detail::bit_cast<std::uint32_t>(x) ^ ao::detail::bit_cast<std::uint32_t>(s)) >> 31) != 0;
    return negative ? -inf : inf;
  }
  return x / s;
}

// |x| as bits: ordered like the values, any NaN above every number.
AO_HOST_DEVICE constexpr std::uint32_t abs_bits(float x) noexcept {
  return ao::detail::bit_cast<std::uint32_t>(x) & 0x7FFFFFFFu;
}

}  // namespace detail

// The fp32 scale of a granule whose max |x| is `amax` (>= 0, or NaN), for an input of dtype Input:
// Input(clamp(amax) / max) (torch_cpu) or Input(clamp(amax) * fl32(1 / max)) (torch_cuda), computed in fp32.
template <class F, class Input = float>
AO_HOST_DEVICE constexpr float float8_scale(float amax) noexcept {
  // torch.clamp(max_abs, min=lb, max=ub) on a tensor of the input dtype: the bounds are rounded to it first. NaN
  // passes through (both comparisons are false).
  constexpr float lower = ao::detail::round_to_dtype<Input>(F::amax_clamp::lower);
  constexpr float upper = ao::detail::round_to_dtype<Input>(F::amax_clamp::upper);
  // NaN passes the clamp (torch.clamp); then x86 keeps the operand's NaN (quieted) and CUDA gives its canonical
  // one. Written out, and tested before the clamp, so that the GPU gives the same bits (its min/max lose NaNs).
  if (amax != amax) {
    constexpr bool cuda = std::is_same_v<typename F::arithmetic, float8_arithmetic::torch_cuda>;
    const std::uint32_t nan = cuda ? 0x7FFFFFFFu : ao::detail::bit_cast<std::uint32_t>(amax) | 0x00400000u;
    return ao::detail::round_to_dtype<Input>(ao::detail::bit_cast<float>(nan));
  }
  if (amax < lower) amax = lower;
  if (amax > upper) amax = upper;
  if constexpr (std::is_same_v<typename F::arithmetic, float8_arithmetic::torch_cuda>) {
    constexpr float inverse = 1.0f / F::max_value;  // torch's CUDA division by a CPU scalar
    return ao::detail::round_to_dtype<Input>(amax * inverse);
  } else {
    return ao::detail::round_to_dtype<Input>(amax / F::max_value);
  }
}

// The element code of one value: Element(clamp(x / scale, -max, max)), RNE (NaN as the header says).
// quantize_value's arithmetic once its NaN rules are out of the way (quantize_finite_value): the quotient in
// torch's arithmetic, clamped to +-max (clamp_to_max), then cast. For x neither NaN nor Inf and a finite, nonzero
// scale, torch's quotient is the plain x / scale: GPU kernels compute that directly (float8_row_kernel.cuh).
template <class F>
AO_HOST_DEVICE constexpr float clamp_to_max(float y) noexcept {
  return y < -F::max_value ? -F::max_value : (y > F::max_value ? F::max_value : y);
}
template <class F>
AO_HOST_DEVICE constexpr std::uint8_t quantize_finite_value(float x, float scale) noexcept {
  return static_cast<std::uint8_t>(
      typename F::element_type(clamp_to_max<F>(detail::torch_divide<typename F::arithmetic>(x, scale))).bits());
}

// A NaN quotient's code comes from its sign alone (ao::detail::nan_code), decided on the operands, without
// passing the NaN through float arithmetic: CUDA device code does not keep a NaN's sign there.
template <class F>
AO_HOST_DEVICE constexpr std::uint8_t quantize_value(float x, float scale) noexcept {
  using E = typename F::element_type;
  if (x != x || scale != scale || detail::invalid_quotient(x, scale)) {
    constexpr bool cuda = std::is_same_v<typename F::arithmetic, float8_arithmetic::torch_cuda>;
    // x86: a NaN operand's sign (x first), else the default NaN's (negative); CUDA: positive.
    const float nan = x != x ? x : scale;
    const bool negative = !cuda && (nan != nan ? (ao::detail::bit_cast<std::uint32_t>(nan) >> 31) != 0 : true);
    return static_cast<std::uint8_t>(ao::detail::nan_code<typename E::spec>(negative));
  }
  return quantize_finite_value<F>(x, scale);
}

// The value of one code: float(Element(code)) * scale in fp32, then rounded (RNE) to Output (float, ao::bfloat16 or
// ao::float16) and returned as float: torchao's dequantize(output_dtype), whose default is the input's dtype.
template <class F, class Output = float>
AO_HOST_DEVICE constexpr float dequantize_value(std::uint8_t code, float scale) noexcept {
  return ao::detail::round_to_dtype<Output>(
      ao::detail::torch_multiply(ao::detail::torch_value<typename F::element_type>(code), scale));
}

// Quantizes n values that share one scale (a row under per_row, a 1 x C block under per_block<1, C>, a whole
// tensor under per_tensor): writes n codes and returns the scale. n = 0 gives the scale of amax 0.
template <class F, class Input = float>
AO_HOST_DEVICE constexpr float quantize_run(const float* AO_RESTRICT x, std::size_t n,
                                            std::uint8_t* AO_RESTRICT codes) noexcept {
  std::uint32_t amax_bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t a = detail::abs_bits(x[i]);
    amax_bits = a > amax_bits ? a : amax_bits;
  }
  const float scale = float8_scale<F, Input>(ao::detail::bit_cast<float>(amax_bits));
  for (std::size_t i = 0; i < n; ++i) codes[i] = quantize_value<F>(x[i], scale);
  return scale;
}

// Dequantizes n codes that share one scale.
template <class F, class Output = float>
AO_HOST_DEVICE constexpr void dequantize_run(const std::uint8_t* AO_RESTRICT codes, std::size_t n, float scale,
                                             float* AO_RESTRICT out) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] = dequantize_value<F, Output>(codes[i], scale);
}

// The shape of the scale matrix (torchao's): per_tensor 1 x 1, per_row rows x 1, per_block<R, C> rows/R x cols/C.
template <class F>
constexpr std::size_t scale_rows(std::size_t rows) noexcept {
  using G = typename F::granularity;
  if constexpr (std::is_same_v<G, per_tensor>) {
    return 1;
  } else if constexpr (std::is_same_v<G, per_row>) {
    return rows;
  } else {
    return rows / static_cast<std::size_t>(G::rows);
  }
}
template <class F>
constexpr std::size_t scale_cols(std::size_t cols) noexcept {
  using G = typename F::granularity;
  if constexpr (std::is_same_v<G, per_tensor> || std::is_same_v<G, per_row>) {
    return 1;
  } else {
    return cols / static_cast<std::size_t>(G::cols);
  }
}

namespace detail {

template <class G>
struct is_per_block : std::false_type {};
template <int R, int C>
struct is_per_block<per_block<R, C>> : std::true_type {};

template <class F>
void check_float8_shape(const char* op, std::size_t rows, std::size_t cols) {
  using G = typename F::granularity;
  static_assert(std::is_same_v<G, per_tensor> || std::is_same_v<G, per_row> || is_per_block<G>::value,
                "float8_scaled: the granularity is per_tensor, per_row or per_block<R, C>");
  if constexpr (is_per_block<G>::value) {
    if (rows % static_cast<std::size_t>(G::rows) != 0 || cols % static_cast<std::size_t>(G::cols) != 0) {
      throw ao::error(std::string(op) + "<float8 per_block " + std::to_string(G::rows) + "x" + std::to_string(G::cols) +
                      ">: shape " + std::to_string(rows) + " x " + std::to_string(cols) +
                      " is not a multiple of the block " + std::to_string(G::rows) + " x " + std::to_string(G::cols));
    }
  }
}

// The index, in the row-major scale matrix, of the scale of element (r, c).
template <class F>
constexpr std::size_t scale_index(std::size_t r, std::size_t c, std::size_t cols) noexcept {
  using G = typename F::granularity;
  if constexpr (std::is_same_v<G, per_tensor>) {
    return 0;
  } else if constexpr (std::is_same_v<G, per_row>) {
    return r;
  } else {
    return (r / static_cast<std::size_t>(G::rows)) * scale_cols<F>(cols) + c / static_cast<std::size_t>(G::cols);
  }
}

}  // namespace detail

// Quantizes a row-major rows x cols matrix whose values have dtype Input: qdata is rows x cols codes (one byte
// each), scales is scale_rows<F>(rows) x scale_cols<F>(cols) fp32 values (row-major). ao::error for a per_block
// shape that does not divide into blocks.
template <class F, class Input = float>
void quantize_rows(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* qdata, float* scales) {
  detail::check_float8_shape<F>("quantize", rows, cols);
  const std::size_t n_scales = scale_rows<F>(rows) * scale_cols<F>(cols);
  // First the amax of every granule, held as bits in `scales`, then the scales, then the codes.
  for (std::size_t i = 0; i < n_scales; ++i) scales[i] = 0.0f;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      float& amax = scales[detail::scale_index<F>(r, c, cols)];
      const std::uint32_t a = detail::abs_bits(x[r * cols + c]);
      if (a > ao::detail::bit_cast<std::uint32_t>(amax)) amax = ao::detail::bit_cast<float>(a);
    }
  }
  for (std::size_t i = 0; i < n_scales; ++i) scales[i] = float8_scale<F, Input>(scales[i]);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      qdata[r * cols + c] = quantize_value<F>(x[r * cols + c], scales[detail::scale_index<F>(r, c, cols)]);
    }
  }
}

// The inverse of quantize_rows: fp32 values, rounded to Output when it is narrower (see dequantize_value).
template <class F, class Output = float>
void dequantize_rows(const std::uint8_t* qdata, const float* scales, std::size_t rows, std::size_t cols, float* out) {
  detail::check_float8_shape<F>("dequantize", rows, cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      out[r * cols + c] = dequantize_value<F, Output>(qdata[r * cols + c], scales[detail::scale_index<F>(r, c, cols)]);
    }
  }
}

}  // namespace ao::scalar
