// ao/backends/scalar/affine.hpp: the scalar oracle for affine integer quantization (ao::affine, numerics spec §4):
// choose the scale and zero point of each group, quantize and dequantize, for one group and for whole row-major
// matrices. Plain loops, bit-exact with torchao's choose_qparams_affine + quantize_affine + dequantize_affine and
// the tinygemm path (_choose_qparams_affine_tinygemm, _quantize_affine_tinygemm, _dequantize_affine_tinygemm).
//
// torchao computes every qparam in the INPUT's dtype, one PyTorch operation at a time; this oracle does the same.
// An operation on bfloat16 or float16 operands is computed in fp32 and rounded to the 16-bit type (PyTorch's CPU
// kernels do exactly that: opmath float), and an operation between two dtypes runs in the promoted one (float
// beats both 16-bit types; bfloat16 with float16 gives float). Python scalars (the 127.5 of int8 symmetric, the
// 255 of uint8 asymmetric, the midpoint 8) enter as fp32, without rounding to the 16-bit type. The operations, in
// torchao's order (T = input dtype, S = scale dtype, mid = (qmin + qmax + 1) / 2, fl<X>(v) = v rounded to X):
//
//   min_neg = min(amin, 0), max_pos = max(amax, 0)                    (exact; NaN propagates)
//   symmetric        s = fl<T>(max(-min_neg, max_pos) / ((qmax - qmin) / 2)); z = int(mid)
//   no_clipping_err  s = smin > smax ? smin : smax, smin = fl<T>(min_neg / qmin), smax = fl<T>(max_pos / qmax); z = int(mid)
//   asymmetric       s = fl<T>(fl<T>(max_pos - min_neg) / (qmax - qmin))
//   then             s = max(s, fl<T>(eps))     (eps defaults to the smallest normal of T: fp32/bf16 2^-126, fp16 2^-14)
//   asymmetric       z = clamp(fl<T>(qmin - round(fl<T>(min_neg / s))), qmin, qmax)    (s before the cast to S)
//   floating zero    s = max(fl<T>(fl<T>(amax - amin) / (qmax - qmin)), fl<T>(eps)); z = fl<T>(amin + fl<T>(s * mid))
//   scale = fl<S>(s)  (and a floating zero point fl<S>(z))
//
//   quantize (integer zero point)   r = fl<S>(1 / s); P = promote(T, S)
//                                   q = clamp(fl<P>(round(fl<P>(x * r)) + z), qmin, qmax)
//   quantize (floating zero point)  lo = fl<S>(z - fl<S>(s * mid)); P = promote(T, S)
//                                   q = clamp(round(fl<P>(fl<P>(x - lo) / s)), qmin, qmax)
//   dequantize to Out               integer:  fl<Out>(fl<promote(Out, S)>(fl<Out>(q - z) * s))
//                                   floating: d = fl<Out>(q - mid); d = fl<Out>(d * s); d = fl<Out>(d + z)
//                                   (torchao's in-place *= and +=, each computed in promote(Out, S))
// round() is round half to even (torch.round). A NaN in a group makes its scale NaN; torchao's codes and integer
// zero points are then the cast of NaN to an integer (unspecified); ao gives 0 for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/error.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/formats/affine.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float16.hpp"

namespace ao {
namespace detail {

// PyTorch's type promotion between two floating dtypes.
template <class A, class B>
struct affine_promote {
  using type = float;
};
template <class A>
struct affine_promote<A, A> {
  using type = A;
};
template <class A, class B>
using affine_promote_t = typename affine_promote<A, B>::type;

// a * b and a + b rounded once, as x86 computes them (the oracle's bytes are those of torchao on x86): under nvcc
// the device pass writes out x86's NaN rule (a NaN operand comes back quieted, a's first; an invalid operation
// gives x86's default NaN 0xFFC00000, where the GPU would give 0x7FFFFFFF: torch_multiply / torch_add) and uses
// __fmul_rn / __fadd_rn, which are never fused into an FMA (PyTorch runs these as separate operations). Host
// compilers fuse only when asked to (for example GCC's -ffp-contract=fast with an FMA-capable -march), which the
// oracle must not be built with. Stored NaN bits (a NaN group's floating zero point, dequantized values of a
// NaN or infinite scale) depend on this rule; the codes of NaN values do not (they are 0).
AO_HOST_DEVICE constexpr float affine_mul(float a, float b) noexcept {
#if defined(AO_DEVICE_PASS)
  const float r = __fmul_rn(a, b);
  return r != r ? torch_multiply(a, b) : r;
#else
  return a * b;
#endif
}
AO_HOST_DEVICE constexpr float affine_add(float a, float b) noexcept {
#if defined(AO_DEVICE_PASS)
  const float r = __fadd_rn(a, b);
  return r != r ? torch_add(a, b) : r;
#else
  return a + b;
#endif
}

AO_HOST_DEVICE constexpr bool affine_isnan(float x) noexcept { return x != x; }
AO_HOST_DEVICE constexpr float affine_nan() noexcept { return bit_cast<float>(std::uint32_t{0x7FC00000u}); }

// torch.min / torch.max of two values (NaN propagates).
AO_HOST_DEVICE constexpr float affine_min(float a, float b) noexcept {
  return affine_isnan(a) || affine_isnan(b) ? affine_nan() : (b < a ? b : a);
}
AO_HOST_DEVICE constexpr float affine_max(float a, float b) noexcept {
  return affine_isnan(a) || affine_isnan(b) ? affine_nan() : (a < b ? b : a);
}
// torch.clamp(x, lo, hi) (NaN stays NaN).
AO_HOST_DEVICE constexpr float affine_clamp(float x, float lo, float hi) noexcept {
  return x < lo ? lo : (hi < x ? hi : x);
}

// torch.round: to the nearest integer, ties to even; the sign is kept (-0.4 gives -0), NaN and infinities stay.
AO_HOST_DEVICE constexpr float affine_round_half_even(float x) noexcept {
  const std::uint32_t bits = bit_cast<std::uint32_t>(x);
  const float a = bit_cast<float>(bits & 0x7FFFFFFFu);
  if (!(a < 8388608.0f)) return x;  // 2^23 and above are integers; NaN and infinities stay
  const float r = (a + 8388608.0f) - 8388608.0f;  // the addition rounds to an integer, ties to even
  return bit_cast<float>(bit_cast<std::uint32_t>(r) | (bits & 0x80000000u));
}

// A float holding an integer in [qmin, qmax] (or NaN) as an int: torchao's .to(int) after its clamp; NaN gives 0.
AO_HOST_DEVICE constexpr int affine_to_int(float x) noexcept { return affine_isnan(x) ? 0 : static_cast<int>(x); }

// torch.finfo(T).smallest_normal, torchao's default eps: 2^-126 for float and bfloat16, 2^-14 for float16.
template <class T>
AO_HOST_DEVICE constexpr float affine_default_eps() noexcept {
  static_assert(is_torch_float_v<T>, "affine inputs are float, ao::bfloat16 or ao::float16");
  return std::is_same_v<T, float16> ? 0x1p-14f : 0x1p-126f;
}
// The eps of format F (its ao::eps policy) for inputs of dtype T.
template <class F, class T>
AO_HOST_DEVICE constexpr float affine_eps() noexcept {
  if constexpr (std::is_same_v<typename F::eps_type, eps::float32_epsilon>) {
    return 0x1p-23f;
  } else {
    return affine_default_eps<T>();
  }
}

// Values per group of a rows x cols matrix (the whole matrix for per_tensor).
template <class F>
constexpr std::size_t affine_group_length(std::size_t rows, std::size_t cols) noexcept {
  using G = typename F::granularity;
  if constexpr (std::is_same_v<G, per_tensor>) {
    return rows * cols;
  } else if constexpr (std::is_same_v<G, per_row>) {
    return cols;
  } else {
    return static_cast<std::size_t>(G::size);
  }
}

template <class F>
void affine_check_shape(const char* op, std::size_t cols) {
  using G = typename F::granularity;
  if constexpr (!std::is_same_v<G, per_tensor> && !std::is_same_v<G, per_row>) {
    if (cols % static_cast<std::size_t>(G::size) != 0) {
      throw ao::error(std::string(op) + ": cols = " + std::to_string(cols) + " is not a multiple of the group size " +
                      std::to_string(G::size));
    }
  }
}

}  // namespace detail

namespace scalar {

// One group's quantization parameters: scale in F::scale_type, zero point in F::zero_point_type (std::int32_t, or
// the scale's type for a floating zero point).
template <class F>
struct affine_qparams {
  typename F::scale_type scale;
  typename F::zero_point_type zero_point;
};

// The min and max of n >= 1 values of dtype Input (given as floats; each is first rounded to Input, which changes
// nothing for values of that type): torch.amin / torch.amax, NaN propagates.
struct affine_range {
  float lo, hi;
};
// The range of one value x of dtype Input (given as a float), and a range extended by one more such value: the
// steps of affine_min_max (the GPU kernels take them one value at a time).
template <class Input = float>
AO_HOST_DEVICE constexpr affine_range affine_range_of(float x) noexcept {
  const float v = ao::detail::round_to_dtype<Input>(x);
  return {v, v};
}
template <class Input = float>
AO_HOST_DEVICE constexpr affine_range affine_extend(affine_range r, float x) noexcept {
  const float v = ao::detail::round_to_dtype<Input>(x);
  return {ao::detail::affine_min(r.lo, v), ao::detail::affine_max(r.hi, v)};
}
template <class Input = float>
AO_HOST_DEVICE constexpr affine_range affine_min_max(const float* AO_RESTRICT x, std::size_t n) noexcept {
  affine_range r{0.0f, 0.0f};
  for (std::size_t i = 0; i < n; ++i) r = i == 0 ? affine_range_of<Input>(x[i]) : affine_extend<Input>(r, x[i]);
  return r;
}
// The range of two parts of one group (NaN propagates): what a parallel reduction combines.
AO_HOST_DEVICE constexpr affine_range affine_merge(affine_range a, affine_range b) noexcept {
  return {ao::detail::affine_min(a.lo, b.lo), ao::detail::affine_max(a.hi, b.hi)};
}

// The scale and zero point of a group whose values (of dtype Input) have the range `range` (torchao's
// choose_qparams_affine, or _choose_qparams_affine_tinygemm for a floating zero point). eps is torchao's eps
// argument (rounded to Input, as PyTorch's clamp does).
template <class F, class Input = float>
AO_HOST_DEVICE constexpr std::enable_if_t<is_affine_v<F>, affine_qparams<F>> qparams_from_range(
    affine_range range, float eps = ao::detail::affine_eps<F, Input>()) noexcept {
  namespace d = ao::detail;
  using T = Input;
  using S = typename F::scale_type;
  using M = typename F::mapping_type;
  constexpr float qmin = static_cast<float>(F::quant_min), qmax = static_cast<float>(F::quant_max);
  const float lo = range.lo, hi = range.hi;
  const float eps_t = d::round_to_dtype<T>(eps);
  affine_qparams<F> p{};
  if constexpr (F::float_zero_point) {
    // _choose_qparams_affine_tinygemm: raw min and max, zero = min + scale * mid, both in T.
    float s = d::round_to_dtype<T>(d::round_to_dtype<T>(hi - lo) / (qmax - qmin));
    s = d::affine_max(s, eps_t);
    const float mid = static_cast<float>(F::twice_mid_point) / 2.0f;
    const float z = d::round_to_dtype<T>(d::affine_add(lo, d::round_to_dtype<T>(d::affine_mul(s, mid))));
    p.scale = S(s);
    p.zero_point = S(z);
  } else {
    const float min_neg = d::affine_min(lo, 0.0f), max_pos = d::affine_max(hi, 0.0f);
    float s = 0.0f;
    int z = 0;
    if constexpr (std::is_same_v<M, mapping::asymmetric>) {
      s = d::round_to_dtype<T>(d::round_to_dtype<T>(max_pos - min_neg) / (qmax - qmin));
      s = d::affine_max(s, eps_t);
      const float r = d::affine_round_half_even(d::round_to_dtype<T>(min_neg / s));
      z = d::affine_to_int(d::affine_clamp(d::round_to_dtype<T>(qmin - r), qmin, qmax));
    } else {
      if constexpr (std::is_same_v<M, mapping::symmetric>) {
        constexpr float half_range = static_cast<float>(F::quant_max - F::quant_min) / 2.0f;
        s = d::round_to_dtype<T>(d::affine_max(-min_neg, max_pos) / half_range);
      } else {
        const float smin = d::round_to_dtype<T>(min_neg / qmin), smax = d::round_to_dtype<T>(max_pos / qmax);
        s = smin > smax ? smin : smax;
      }
      s = d::affine_max(s, eps_t);
      z = F::twice_mid_point / 2;  // Python's int((qmax + qmin + 1) / 2): truncation toward zero
    }
    p.scale = S(s);
    p.zero_point = static_cast<std::int32_t>(z);
  }
  return p;
}

// The scale and zero point of one group of n >= 1 values of dtype Input, given as floats.
template <class F, class Input = float>
AO_HOST_DEVICE constexpr std::enable_if_t<is_affine_v<F>, affine_qparams<F>> choose_qparams_group(
    const float* AO_RESTRICT x, std::size_t n, float eps = ao::detail::affine_eps<F, Input>()) noexcept {
  return qparams_from_range<F, Input>(affine_min_max<Input>(x, n), eps);
}

// The code of one value of dtype Input (given as a float) in a group with qparams p: quantize_group's loop body,
// with the scalars it needs computed once, when the quantizer is made.
template <class F, class Input = float>
struct affine_quantizer {
  static_assert(is_affine_v<F>, "affine_quantizer: F is an ao::affine format");
  float scale = 0.0f;
  float factor = 0.0f;  // integer zero point: torchao's 1.0 / scale, in the scale's dtype; floating: the low end
  float zero = 0.0f;    // integer zero point

  AO_HOST_DEVICE constexpr explicit affine_quantizer(affine_qparams<F> p) noexcept : scale(float(p.scale)) {
    namespace d = ao::detail;
    using S = typename F::scale_type;
    if constexpr (F::float_zero_point) {
      const float mid = static_cast<float>(F::twice_mid_point) / 2.0f;
      factor = d::round_to_dtype<S>(
          d::affine_add(float(p.zero_point), -d::round_to_dtype<S>(d::affine_mul(scale, mid))));
    } else {
      factor = d::round_to_dtype<S>(1.0f / scale);
      zero = static_cast<float>(p.zero_point);
    }
  }

  AO_HOST_DEVICE AO_FORCEINLINE constexpr typename F::code_type operator()(float x) const noexcept {
    namespace d = ao::detail;
    using P = d::affine_promote_t<Input, typename F::scale_type>;
    constexpr float qmin = static_cast<float>(F::quant_min), qmax = static_cast<float>(F::quant_max);
    const float v = d::round_to_dtype<Input>(x);
    float q = 0.0f;
    if constexpr (F::float_zero_point) {
      q = d::affine_round_half_even(d::round_to_dtype<P>(d::round_to_dtype<P>(v - factor) / scale));
    } else {
      q = d::round_to_dtype<P>(d::affine_round_half_even(d::round_to_dtype<P>(v * factor)) + zero);
    }
    return static_cast<typename F::code_type>(d::affine_to_int(d::affine_clamp(q, qmin, qmax)));
  }
};

// Quantizes one group of n values of dtype Input with its qparams: one code per byte (F::code_type).
template <class F, class Input = float>
AO_HOST_DEVICE constexpr std::enable_if_t<is_affine_v<F>> quantize_group(const float* AO_RESTRICT x, std::size_t n,
                                                                          affine_qparams<F> p,
                                                                          typename F::code_type* AO_RESTRICT codes) noexcept {
  const affine_quantizer<F, Input> quantize_value(p);
  for (std::size_t i = 0; i < n; ++i) codes[i] = quantize_value(x[i]);
}

// The dequantized value of one code of a group with qparams p, in dtype Out (float by default; ao::bfloat16 or
// ao::float16 follow torchao's output_dtype, rounding after each operation as it does), returned as float.
template <class F, class Out = float>
AO_HOST_DEVICE AO_FORCEINLINE constexpr std::enable_if_t<is_affine_v<F>, float> dequantize_code(
    float q, affine_qparams<F> p) noexcept {
  namespace d = ao::detail;
  using S = typename F::scale_type;
  using P = d::affine_promote_t<Out, S>;
  const float s = float(p.scale);
  if constexpr (F::float_zero_point) {
    const float mid = static_cast<float>(F::twice_mid_point) / 2.0f;
    float v = d::round_to_dtype<Out>(q - mid);
    v = d::round_to_dtype<Out>(d::round_to_dtype<P>(d::affine_mul(v, s)));
    return d::round_to_dtype<Out>(d::round_to_dtype<P>(d::affine_add(v, float(p.zero_point))));
  } else {
    const float v = d::round_to_dtype<Out>(q - static_cast<float>(p.zero_point));
    return d::round_to_dtype<Out>(d::round_to_dtype<P>(d::affine_mul(v, s)));
  }
}

// Dequantizes one group into n values of dtype Out (dequantize_code for each).
template <class F, class Out = float>
AO_HOST_DEVICE constexpr std::enable_if_t<is_affine_v<F>> dequantize_group(const typename F::code_type* AO_RESTRICT codes,
                                                                            std::size_t n, affine_qparams<F> p,
                                                                            Out* AO_RESTRICT out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = dequantize_code<F, Out>(static_cast<float>(codes[i]), p);
    if constexpr (std::is_same_v<Out, float>) {
      out[i] = v;
    } else {
      out[i] = Out(v);  // exact: v is already a value of Out
    }
  }
}

// Values per group and groups (qparams) of a row-major rows x cols matrix: per_tensor one group (none when the
// matrix is empty), per_row one per row (none when cols == 0), group<G> cols / G per row.
template <class F>
constexpr std::enable_if_t<is_affine_v<F>, std::size_t> group_length(std::size_t rows, std::size_t cols) noexcept {
  return ao::detail::affine_group_length<F>(rows, cols);
}
template <class F>
constexpr std::enable_if_t<is_affine_v<F>, std::size_t> qparams_count(std::size_t rows, std::size_t cols) noexcept {
  const std::size_t length = ao::detail::affine_group_length<F>(rows, cols);
  return length == 0 ? 0 : rows * cols / length;
}

// The qparams of every group of a row-major rows x cols matrix of dtype Input: scales and zero_points hold
// qparams_count<F>(rows, cols) entries, in row-major group order (torchao's scale and zero_point tensors).
// With group<G>, cols must be a multiple of G (ao::error otherwise).
template <class F, class Input = float>
std::enable_if_t<is_affine_v<F>> choose_qparams(const float* x, std::size_t rows, std::size_t cols,
                                                typename F::scale_type* scales,
                                                typename F::zero_point_type* zero_points,
                                                float eps = ao::detail::affine_eps<F, Input>()) {
  ao::detail::affine_check_shape<F>("choose_qparams", cols);
  const std::size_t length = group_length<F>(rows, cols);
  for (std::size_t g = 0; g < qparams_count<F>(rows, cols); ++g) {
    const affine_qparams<F> p = choose_qparams_group<F, Input>(x + g * length, length, eps);
    scales[g] = p.scale;
    zero_points[g] = p.zero_point;
  }
}

// torchao's quantize_affine (or _quantize_affine_tinygemm): codes is rows x cols, one per byte.
template <class F, class Input = float>
std::enable_if_t<is_affine_v<F>> quantize(const float* x, std::size_t rows, std::size_t cols,
                                          const typename F::scale_type* scales,
                                          const typename F::zero_point_type* zero_points,
                                          typename F::code_type* codes) {
  ao::detail::affine_check_shape<F>("quantize", cols);
  const std::size_t length = group_length<F>(rows, cols);
  for (std::size_t g = 0; g < qparams_count<F>(rows, cols); ++g) {
    quantize_group<F, Input>(x + g * length, length, affine_qparams<F>{scales[g], zero_points[g]}, codes + g * length);
  }
}

// torchao's dequantize_affine (or _dequantize_affine_tinygemm) to dtype Out: out is rows x cols.
template <class F, class Out = float>
std::enable_if_t<is_affine_v<F>> dequantize(const typename F::code_type* codes, const typename F::scale_type* scales,
                                            const typename F::zero_point_type* zero_points, std::size_t rows,
                                            std::size_t cols, Out* out) {
  ao::detail::affine_check_shape<F>("dequantize", cols);
  const std::size_t length = group_length<F>(rows, cols);
  for (std::size_t g = 0; g < qparams_count<F>(rows, cols); ++g) {
    dequantize_group<F, Out>(codes + g * length, length, affine_qparams<F>{scales[g], zero_points[g]},
                             out + g * length);
  }
}

}  // namespace scalar
}  // namespace ao
