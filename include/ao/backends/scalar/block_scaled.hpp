// ao/backends/scalar/block_scaled.hpp: the scalar oracle for block-scaled formats (MX today): quantize and
// dequantize one block (as codes, and as the bytes F stores: its element packing), and whole row-major matrices.
// Plain loops, bit-exact with torchao's to_mx / to_dtype (numerics spec §1.2, §1.6); every SIMD and CUDA kernel is
// tested against these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/error.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/scale_rule.hpp"
#include "ao/numeric/convert.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::scalar {
namespace detail {

// max |x| over n values, NaN when any value is NaN (torch.amax), 0 for n == 0: compares |x| as bits, which are
// ordered like the values, with NaN above everything.
AO_HOST_DEVICE constexpr float abs_max(const float* x, std::size_t n) noexcept {
  std::uint32_t amax_bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t a = ao::detail::bit_cast<std::uint32_t>(x[i]) & 0x7FFFFFFFu;
    amax_bits = a > amax_bits ? a : amax_bits;
  }
  return ao::detail::bit_cast<float>(amax_bits);
}

}  // namespace detail

// The code torchao's CPU converter (_f32_to_floatx_unpacked, spec §1.3) gives a NaN for an element type without
// NaN (fp4, fp6): the NaN's magnitude bits take its normal-number branch, b + ((bias - 127) << 23) +
// (2^(22 - M) - 1) + odd, shifted right by 23 - M and truncated to a byte, then the sign bit. For the canonical
// NaN 0x7FC00000: fp4 3, fp6 e2m3 12, fp6 e3m2 14. (torchao's CUDA kernels give other codes; the scale of such a
// block is NaN, so every value of it dequantizes to NaN either way.)
template <class E>
AO_HOST_DEVICE constexpr std::uint8_t torchao_nan_code(float y) noexcept {
  using Spec = typename E::spec;
  constexpr int M = Spec::mantissa_bits, width = Spec::exponent_bits + M;
  static_assert(M <= 22 && width <= 7, "torchao_nan_code: an element of at most 8 bits");
  const std::uint32_t bits = ao::detail::bit_cast<std::uint32_t>(y), magnitude = bits & 0x7FFFFFFFu;
  const std::uint32_t odd = (magnitude >> (23 - M)) & 1u;
  const std::uint32_t rebias = static_cast<std::uint32_t>(Spec::exponent_bias - 127) << 23;  // mod 2^32
  const std::uint32_t code = (magnitude + rebias + ((1u << (22 - M)) - 1u) + odd) >> (23 - M);
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(code) | ((bits >> (31 - width)) & (1u << width)));
}

// The element-level steps of quantize_block, for kernels that split a block across lanes (the CUDA backend):
//   block_scale_byte<F>(amax)           the e8m0 scale byte of a block whose max |x| is amax (NaN amax: 255)
//   block_inverse_scale(scale)          2^(127 - scale) in fp32, what a block's values are multiplied by: the e8m0
//                                       value of byte 254 - scale (2^-127 for 254, 2^127 for 0); NaN for 255
//   quantize_element<F>(x, scale, inv)  the code of one value of that block
// Elements are x * 2^(127 - scale) in fp32, then cast: clamped to +-max and rounded (floor/ceil/even), or with
// the element's plain cast under rceil, which cannot overflow except by fp32 rounding (torchao does the same).
// A NaN scale (255) makes every fp4 / fp6 code torchao_nan_code's.
template <class F>
AO_HOST_DEVICE constexpr std::uint8_t block_scale_byte(float amax) noexcept {
  return F::scale_rule::template e8m0_byte<typename F::element_type>(amax);
}
AO_HOST_DEVICE constexpr float block_inverse_scale(std::uint8_t scale) noexcept {
  return scale == 255 ? ao::detail::bit_cast<float>(0x7FC00000u)  // NaN (device code has no numeric_limits<float>)
                      : float(float8_e8m0fnu::from_bits(static_cast<std::uint8_t>(254 - scale)));
}
// The element cast of a scaled value y = x * inverse (quantize_element's last step): clamping and rounding, or
// under rceil the element's plain cast. Kernels that know a block is finite (no NaN or Inf in it, so its scale is
// not NaN and each product is the plain fp32 product) may call it on x * inverse directly.
template <class F>
AO_HOST_DEVICE constexpr std::uint8_t cast_element(float y) noexcept {
  using E = typename F::element_type;
  constexpr bool plain_cast = std::is_same_v<typename F::scale_rule, scale_rule::rceil>;
  return static_cast<std::uint8_t>(plain_cast ? convert<E, overflow::to_inf_or_nan>(y).bits() : E(y).bits());
}
template <class F>
AO_HOST_DEVICE constexpr std::uint8_t quantize_element(float x, std::uint8_t scale, float inverse) noexcept {
  using E = typename F::element_type;
  const float y = ao::detail::torch_multiply(x, inverse);
  if constexpr (!E::has_nan) {
    // A NaN scale makes every y NaN: torchao's converter codes, as its CPU path writes them (see above).
    if (scale == 255) return torchao_nan_code<E>(y);
  }
  return cast_element<F>(y);
}

// Quantizes one block of F::block_size floats: writes one element code per byte (unpacked) to `codes` and returns
// the e8m0 scale byte. The amax is NaN when any value is NaN (torch.amax), so such a block's scale is 255 (NaN);
// its fp4 / fp6 codes are torchao_nan_code's.
template <class F>
AO_HOST_DEVICE constexpr std::uint8_t quantize_block(const float* AO_RESTRICT x,
                                                     std::uint8_t* AO_RESTRICT codes) noexcept {
  const std::uint8_t scale = block_scale_byte<F>(detail::abs_max(x, F::block_size));
  const float inverse = block_inverse_scale(scale);
  for (int i = 0; i < F::block_size; ++i) codes[i] = quantize_element<F>(x[i], scale, inverse);
  return scale;
}

// The element-level steps of dequantize_block: block_dequantize_scale<Out>(scale) is the block's scale as Out
// rounds it (held in fp32), dequantize_element<F, Out>(code, s) one value.
template <class Out = float>
AO_HOST_DEVICE constexpr float block_dequantize_scale(std::uint8_t scale) noexcept {
  return ao::detail::round_to_dtype<Out>(float(float8_e8m0fnu::from_bits(scale)));
}
template <class F, class Out = float>
AO_HOST_DEVICE constexpr Out dequantize_element(std::uint8_t code, float s) noexcept {
  const float v = ao::detail::torch_multiply(float(F::element_type::from_bits(code)), s);
  if constexpr (std::is_same_v<Out, float>) {
    return v;
  } else {
    return Out(v);
  }
}

// Dequantizes one block: out[i] = value(codes[i]) * 2^(scale - 127) (NaN for scale 255). To fp32, or to Out =
// ao::bfloat16 / ao::float16 as torchao's to_dtype does: the fp32 scale is cast to Out, and the element (exact in
// Out) is multiplied by it in Out's arithmetic (fp32, rounded once). In fp16 a scale >= 2^16 becomes inf and one
// below 2^-25 becomes 0, exactly as in torch.
template <class F, class Out = float>
AO_HOST_DEVICE constexpr void dequantize_block(const std::uint8_t* AO_RESTRICT codes, std::uint8_t scale,
                                               Out* AO_RESTRICT out) noexcept {
  const float s = block_dequantize_scale<Out>(scale);
  for (int i = 0; i < F::block_size; ++i) out[i] = dequantize_element<F, Out>(codes[i], s);
}

// One block as F stores it: quantize_stored_block writes the block's F::storage::row_bytes(F::block_size) bytes
// of element data (its codes packed by F's element packing: ao/formats/element_packing.hpp) and returns the scale
// byte; dequantize_stored_block reads them back. A block holds whole packing groups, so a row is its blocks'
// bytes one after the other. Host only (the packers are); constexpr.
template <class F>
constexpr std::uint8_t quantize_stored_block(const float* AO_RESTRICT x, std::uint8_t* AO_RESTRICT out) {
  std::uint8_t codes[F::block_size] = {};
  const std::uint8_t scale = quantize_block<F>(x, codes);
  F::storage::pack(codes, F::block_size, out);
  return scale;
}
template <class F, class Out = float>
constexpr void dequantize_stored_block(const std::uint8_t* AO_RESTRICT in, std::uint8_t scale, Out* AO_RESTRICT out) {
  std::uint8_t codes[F::block_size] = {};
  F::storage::unpack(in, F::block_size, codes);
  dequantize_block<F, Out>(codes, scale, out);
}

namespace detail {

template <class F>
void check_block_shape(const char* op, std::size_t cols) {
  if (cols % static_cast<std::size_t>(F::block_size) != 0) {
    throw ao::error(std::string(op) + ": cols = " + std::to_string(cols) + " is not a multiple of the block size " +
                    std::to_string(F::block_size));
  }
}

}  // namespace detail

// Bytes of element storage per row, and scales per row, for `cols` values (a multiple of the block size), of a
// block_scaled format or NVFP4 (whose blocks use these too): cols / elements_per_byte where a byte holds whole
// codes, else the element packing's row bytes (fp6_4in3: cols * 3 / 4).
template <class F>
constexpr std::size_t packed_row_bytes(std::size_t cols) noexcept {
  if constexpr (F::elements_per_byte == 0) {
    return F::storage::row_bytes(cols);
  } else {
    return cols / static_cast<std::size_t>(F::elements_per_byte);
  }
}
template <class F>
constexpr std::size_t scales_per_row(std::size_t cols) noexcept {
  return cols / static_cast<std::size_t>(F::block_size);
}

// Quantizes a row-major rows x cols matrix: qdata is rows x packed_row_bytes<F>(cols) bytes, scales rows x
// scales_per_row<F>(cols) bytes (row-major). cols must be a multiple of the block size (ao::error otherwise).
template <class F>
void quantize_rows(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* qdata, std::uint8_t* scales) {
  detail::check_block_shape<F>("quantize", cols);
  constexpr std::size_t block_bytes = packed_row_bytes<F>(F::block_size);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t b = 0; b < scales_per_row<F>(cols); ++b) {
      std::uint8_t* out = qdata + r * packed_row_bytes<F>(cols) + b * block_bytes;
      scales[r * scales_per_row<F>(cols) + b] = quantize_stored_block<F>(x + r * cols + b * F::block_size, out);
    }
  }
}

// The inverse of quantize_rows, to fp32.
template <class F>
void dequantize_rows(const std::uint8_t* qdata, const std::uint8_t* scales, std::size_t rows, std::size_t cols,
                     float* out) {
  detail::check_block_shape<F>("dequantize", cols);
  constexpr std::size_t block_bytes = packed_row_bytes<F>(F::block_size);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t b = 0; b < scales_per_row<F>(cols); ++b) {
      dequantize_stored_block<F>(qdata + r * packed_row_bytes<F>(cols) + b * block_bytes,
                                 scales[r * scales_per_row<F>(cols) + b], out + r * cols + b * F::block_size);
    }
  }
}

}  // namespace ao::scalar
