// ao/backends/scalar/nf4.hpp: the scalar oracle for NF4 (ao::nf4, numerics spec §7), bit-exact with torchao's
// NF4Tensor.from_tensor (double_quantize_scalers + convert_to_norm_float_weight) and get_original_weight.
//
// Every operation runs in the INPUT's dtype T (float, ao::bfloat16 or ao::float16), one PyTorch operation at a time:
// computed in fp32 and rounded to T (fl(v) below; ao::detail::round_to_dtype), as PyTorch's CPU kernels do. With
// B = block size, S = scaler block size, n values (flattened), nb = n / B scalers and ns = nb / S factors:
//
//   lut[j]  = fl(float(F::lut[j]))                                   torch.tensor([...], dtype=T)
//   a[b]    = max |x| over block b                                    exact (NaN propagates)
//   mean    = fl(fl32(sum of a) / nb)                                 torch's CPU mean for 16-bit T: an fp32 sum, an
//                                                                     fp32 division, then the cast (see below)
//   c[b]    = fl(a[b] - mean)
//   m[g]    = max |c| over scaler block g
//   f[g]    = fl(fl(1 / fl(2 * m[g])) * 256)                          256 / t is t.reciprocal() * 256 in torch
//   qs[b]   = int8(clamp(round(fl(c[b] * f[g])), -128, 127))          round half to even
//   y       = fl(x / a[b])                                            a division, not a reciprocal
//   code    = first j minimizing |fl(y - lut[j])|                     torch.min(dim).indices: the lowest index on
//                                                                     ties; a NaN distance wins at once (a NaN y,
//                                                                     e.g. an all-zero block's 0/0, gives code 0)
//   byte i  = code[2i] << 4 | code[2i+1]
// Dequantization (get_original_weight):
//   s[b]    = fl(fl(float(qs[b]) / f[g]) + mean)
//   value   = fl(lut[code] * s[b])                                    a value of T (stored in float or T)
//
// The mean: torch sums in fp32 in an order that depends on the CPU's vector width; ao sums in double and rounds
// the sum to fp32 once. For 16-bit inputs the final rounding to T makes this agree with torch (checked against
// torchao's bf16 file); for fp32 inputs the mean may differ from torch's in the last bit.
// A scaler block whose centred scalers are all zero gives f = inf and 0 * inf = NaN products; torchao's int8 cast
// of NaN is unspecified, ao gives 0.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/error.hpp"
#include "ao/formats/nf4.hpp"
#include "ao/layout/bit_packing.hpp"

namespace ao {
namespace detail {

// v held in a float, stored as T (exact: v is a value of T).
template <class T>
constexpr T nf4_store(float v) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return T(v);
  }
}

template <class F>
void nf4_check_size(const char* op, std::size_t n) {
  const std::size_t chunk = static_cast<std::size_t>(F::block_size) * static_cast<std::size_t>(F::scaler_block_size);
  if (n % chunk != 0) {
    throw ao::error(std::string(op) + "<" + F::name + ">: n = " + std::to_string(n) + " is not a multiple of " +
                    "block_size * scaler_block_size = " + std::to_string(chunk));
  }
}

// Scaler b dequantized (torchao's dequantize_scalers): fl<T>(fl<T>(qs[b] / f[b / S]) + mean), held in a float.
template <class F, class T>
float nf4_scaler(const std::int8_t* quantized_scalers, const T* quantization_factor, T scaler_mean, std::size_t b) {
  const float f = static_cast<float>(quantization_factor[b / static_cast<std::size_t>(F::scaler_block_size)]);
  const float s = round_to_dtype<T>(static_cast<float>(quantized_scalers[b]) / f);
  return round_to_dtype<T>(s + static_cast<float>(scaler_mean));
}

}  // namespace detail

namespace scalar {

// Sizes for n values: bytes of codes, scalers (int8), factors and the mean (one value of the input's dtype).
template <class F>
constexpr std::enable_if_t<is_nf4_v<F>, std::size_t> nf4_packed_bytes(std::size_t n) noexcept {
  return n / 2;
}
template <class F>
constexpr std::enable_if_t<is_nf4_v<F>, std::size_t> nf4_scaler_count(std::size_t n) noexcept {
  return n / static_cast<std::size_t>(F::block_size);
}
template <class F>
constexpr std::enable_if_t<is_nf4_v<F>, std::size_t> nf4_factor_count(std::size_t n) noexcept {
  return n / static_cast<std::size_t>(F::block_size) / static_cast<std::size_t>(F::scaler_block_size);
}

// torchao's LUT in dtype T, held in a float: fl<T>(float(F::lut[j])).
template <class F, class T = float>
constexpr std::enable_if_t<is_nf4_v<F>, float> nf4_lut_value(int j) noexcept {
  return ao::detail::round_to_dtype<T>(static_cast<float>(F::lut[j]));
}

// The code of one scaled value y (a value of T, held in a float): the first j minimizing |fl<T>(y - lut[j])|.
template <class F, class T = float>
constexpr std::enable_if_t<is_nf4_v<F>, std::uint8_t> nf4_nearest_code(float y) noexcept {
  namespace d = ao::detail;
  int best = 0;
  float best_distance = 0.0f;
  for (int j = 0; j < 16; ++j) {
    float distance = d::round_to_dtype<T>(y - nf4_lut_value<F, T>(j));
    distance = distance < 0.0f ? -distance : distance;
    if (d::affine_isnan(distance)) return static_cast<std::uint8_t>(j);  // torch's min stops at the first NaN
    if (j == 0 || distance < best_distance) {
      best = j;
      best_distance = distance;
    }
  }
  return static_cast<std::uint8_t>(best);
}

// Quantizes n values of dtype Input (given as floats; each is first rounded to Input, which changes nothing for
// values of that type) as torchao's NF4Tensor.from_tensor does; n must be a multiple of block_size *
// scaler_block_size (ao::error otherwise). Writes
//   qdata               nf4_packed_bytes<F>(n) bytes, byte i = code[2i] << 4 | code[2i+1]
//   quantized_scalers   nf4_scaler_count<F>(n) int8
//   quantization_factor nf4_factor_count<F>(n) values of Input
//   scaler_mean         one value of Input
template <class F, class Input = float>
std::enable_if_t<is_nf4_v<F>> quantize(const float* x, std::size_t n, std::uint8_t* qdata,
                                       std::int8_t* quantized_scalers, Input* quantization_factor, Input* scaler_mean) {
  namespace d = ao::detail;
  using T = Input;
  static_assert(d::is_torch_float_v<T>, "NF4 inputs are float, ao::bfloat16 or ao::float16");
  d::nf4_check_size<F>("quantize", n);
  const std::size_t block = static_cast<std::size_t>(F::block_size);
  const std::size_t scaler_block = static_cast<std::size_t>(F::scaler_block_size);
  const std::size_t nb = nf4_scaler_count<F>(n), ns = nf4_factor_count<F>(n);
  if (n == 0) return;

  // First level: the absmax of each block (torchao's get_block_absmax), and the codes.
  std::vector<float> absmax(nb);
  std::uint8_t codes[F::block_size];
  double sum = 0.0;
  for (std::size_t b = 0; b < nb; ++b) {
    float a = 0.0f;
    for (std::size_t i = 0; i < block; ++i) {
      const float v = std::fabs(d::round_to_dtype<T>(x[b * block + i]));
      a = i == 0 ? v : d::affine_max(a, v);
    }
    absmax[b] = a;
    sum += static_cast<double>(a);
    for (std::size_t i = 0; i < block; ++i) {
      const float v = d::round_to_dtype<T>(x[b * block + i]);
      codes[i] = nf4_nearest_code<F, T>(d::round_to_dtype<T>(v / a));
    }
    layout::pack_nibbles<typename F::nibble_order>(codes, block, qdata + b * block / 2);
  }

  // Second level: centre the scalers on their mean over the whole tensor, then int8 per scaler block.
  const float mean = d::round_to_dtype<T>(static_cast<float>(sum) / static_cast<float>(nb));
  *scaler_mean = d::nf4_store<T>(mean);
  for (std::size_t b = 0; b < nb; ++b) absmax[b] = d::round_to_dtype<T>(absmax[b] - mean);  // now c[b]
  for (std::size_t g = 0; g < ns; ++g) {
    const float* c = absmax.data() + g * scaler_block;
    float m = 0.0f;
    for (std::size_t k = 0; k < scaler_block; ++k) m = k == 0 ? std::fabs(c[k]) : d::affine_max(m, std::fabs(c[k]));
    const float two_m = d::round_to_dtype<T>(2.0f * m);
    const float f = d::round_to_dtype<T>(d::round_to_dtype<T>(1.0f / two_m) * 256.0f);
    quantization_factor[g] = d::nf4_store<T>(f);
    for (std::size_t k = 0; k < scaler_block; ++k) {
      const float q = d::affine_round_half_even(d::round_to_dtype<T>(c[k] * f));
      quantized_scalers[g * scaler_block + k] =
          static_cast<std::int8_t>(d::affine_to_int(d::affine_clamp(q, -128.0f, 127.0f)));
    }
  }
}

// torchao's dequantize_scalers: nf4_scaler_count<F>(n) scalers fl<T>(fl<T>(qs / f) + mean), as values of Input.
template <class F, class Input = float>
std::enable_if_t<is_nf4_v<F>> dequantize_scalers(const std::int8_t* quantized_scalers, const Input* quantization_factor,
                                                 Input scaler_mean, std::size_t scaler_count, Input* scalers) {
  namespace d = ao::detail;
  using T = Input;
  if (scaler_count % static_cast<std::size_t>(F::scaler_block_size) != 0) {
    throw ao::error(std::string("dequantize_scalers<") + F::name + ">: scaler_count = " + std::to_string(scaler_count) +
                    " is not a multiple of scaler_block_size = " + std::to_string(F::scaler_block_size));
  }
  for (std::size_t b = 0; b < scaler_count; ++b) {
    scalers[b] = d::nf4_store<T>(d::nf4_scaler<F, T>(quantized_scalers, quantization_factor, scaler_mean, b));
  }
}

// torchao's get_original_weight: n values (a multiple of block_size * scaler_block_size; ao::error otherwise)
// fl<T>(lut[code] * scaler), computed in Input and stored in Out (float or Input: exact either way).
template <class F, class Input = float, class Out = float>
std::enable_if_t<is_nf4_v<F>> dequantize(const std::uint8_t* qdata, const std::int8_t* quantized_scalers,
                                         const Input* quantization_factor, Input scaler_mean, std::size_t n, Out* out) {
  namespace d = ao::detail;
  using T = Input;
  static_assert(std::is_same_v<Out, float> || std::is_same_v<Out, Input>, "Out is float or the input's dtype");
  d::nf4_check_size<F>("dequantize", n);
  const std::size_t block = static_cast<std::size_t>(F::block_size);
  std::uint8_t codes[F::block_size];
  for (std::size_t b = 0; b < nf4_scaler_count<F>(n); ++b) {
    const float s = d::nf4_scaler<F, T>(quantized_scalers, quantization_factor, scaler_mean, b);
    layout::unpack_nibbles<typename F::nibble_order>(qdata + b * block / 2, block, codes);
    for (std::size_t i = 0; i < block; ++i) {
      out[b * block + i] = d::nf4_store<Out>(d::round_to_dtype<T>(nf4_lut_value<F, T>(codes[i]) * s));
    }
  }
}

}  // namespace scalar
}  // namespace ao
