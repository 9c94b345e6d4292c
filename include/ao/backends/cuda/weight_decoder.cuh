// ao/backends/cuda/weight_decoder.cuh: ao::cuda::detail::weight_decoder<F, Nibbles>, what the CUDA matmul kernels
// need to read a quantized weight matrix W (N x K, row-major codes, row-major scales) one value at a time. Each
// member is one step of the scalar oracle, called as it is, so a decoded value is bit for bit the fp32 value
// ao::dequantize gives on the host:
//
//   codes_per_byte        2 for nibbles (low nibble first: MX fp4, NVFP4, ao::cuda::nibble_packed affine), else 1
//   group                 consecutive values along K that share one param (a block, group or 1 x C granule), or
//                         0 when a whole row (or the whole tensor) shares it
//   param load(n, k)      the param of W[n, k]: its block's dequantize multiplier, its FP8 scale, its affine
//                         scale and zero point (read from the view's scale / zero point buffers)
//   float decode(c, p)    W's value for code c (the code's bits, unsigned, in the low bits) under param p
//
// and, for the tensor-core kernel (skinny_mma_kernel.cuh), when `mma` is true: W[n, k] = mma_value(c, p) *
// row_factor(n), where mma_value is exact in bf16 (at most 8 significant bits: an fp4 / fp8 code times a
// power-of-two or e4m3 block scale, or an integer q - z) and row_factor is the per-row (or per-tensor) fp32
// factor applied once to each output: the FP8 or affine per-row scale, NVFP4's global scale, else 1.
//   mma_param mma_load(n, k), float mma_value(c, p), float row_factor(n)
//   mma_fp4               true when the codes are e2m1 nibbles in blocks of a multiple of 8 (MX fp4, NVFP4): the
//                         kernel then decodes 8 codes at a time (e2m1_bf16_pairs) and multiplies by the block's
//                         mma_load value as a bf16 pair
//
// Formats: block-scaled (MX: any element, block size and scale rule), NVFP4 single and two level, FP8 with a float
// scale (per tensor, per row, R x C blocks), affine integers per row or group-wise (one code per byte as ao stores
// them, or two per byte through ao::cuda::nibble_packed for 4-bit targets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/block_codec.cuh"
#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/config.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/view.hpp"

namespace ao::cuda::detail {

// The scales (or zero points) index of W[n, k] under granularity G: row-major, one row of params per granule row.
template <class G>
struct granule_index {
  static constexpr int group = 0;  // per_tensor and per_row: the whole row shares the param
  AO_DEVICE AO_FORCEINLINE static std::ptrdiff_t of(std::size_t n, std::size_t, std::ptrdiff_t stride) {
    if constexpr (std::is_same_v<G, per_tensor>) {
      return 0;
    } else {
      return static_cast<std::ptrdiff_t>(n) * stride;
    }
  }
};
template <int Gs>
struct granule_index<group<Gs>> {
  static constexpr int group = Gs;
  AO_DEVICE AO_FORCEINLINE static std::ptrdiff_t of(std::size_t n, std::size_t k, std::ptrdiff_t stride) {
    return static_cast<std::ptrdiff_t>(n) * stride + static_cast<std::ptrdiff_t>(k / Gs);
  }
};
template <int R, int C>
struct granule_index<per_block<R, C>> {
  static constexpr int group = C;
  AO_DEVICE AO_FORCEINLINE static std::ptrdiff_t of(std::size_t n, std::size_t k, std::ptrdiff_t stride) {
    return static_cast<std::ptrdiff_t>(n / R) * stride + static_cast<std::ptrdiff_t>(k / C);
  }
};

// The fp32 value of a code of a small float element E (at most 8 bits, signed, with subnormals: fp4, fp6, fp8),
// the same value as float(E::from_bits(code)) for every code, NaN payloads aside, without a branch: the code's
// magnitude bits, placed so that its mantissa lines up with float's, make a float 2^(bias - 127) times the value
// (a float subnormal for the element's subnormals), and one multiply by 2^(127 - bias) rescales it exactly.
// NaN and infinity codes are selected afterwards.
template <class E>
AO_DEVICE AO_FORCEINLINE float element_value(std::uint32_t code) {
  using L = ao::detail::exmy_layout<typename E::spec>;
  static_assert(L::bits <= 8 && L::is_signed && L::has_subnormals && L::bias <= 127 && L::M <= 23,
                "element_value: a signed fp4 / fp6 / fp8 element with subnormals");
  constexpr std::uint32_t magnitude_mask = static_cast<std::uint32_t>(L::magnitude_mask);
  constexpr float rescale = ao::detail::bit_cast<float>(static_cast<std::uint32_t>(254 - L::bias) << 23);
  const std::uint32_t magnitude = code & magnitude_mask;
  const std::uint32_t sign = (code & static_cast<std::uint32_t>(L::sign_mask)) << (31 - (L::E + L::M));
  float v = __uint_as_float(sign | (magnitude << (23 - L::M))) * rescale;
  if constexpr (L::nan == ao::nan_encoding::all_ones) {
    if (magnitude == magnitude_mask) v = __uint_as_float(sign | 0x7FC00000u);
  } else if constexpr (L::nan == ao::nan_encoding::ieee) {
    if ((magnitude >> L::M) == static_cast<std::uint32_t>(L::field_all_ones)) {
      v = __uint_as_float(
          sign | ((magnitude & static_cast<std::uint32_t>(L::mantissa_mask)) != 0 ? 0x7FC00000u : 0x7F800000u));
    }
  } else if constexpr (L::nan == ao::nan_encoding::negative_zero) {
    if (code == static_cast<std::uint32_t>(L::sign_mask)) v = __uint_as_float(0x7FC00000u);
  }
  return v;
}

template <class F, bool Nibbles = format_traits<F>::elements_per_byte == 2>
struct weight_decoder;

// MX and NVFP4: one scale byte per block of consecutive values; the block codec's own dequantize steps.
template <class F, bool Nibbles>
struct block_weight_decoder {
  static constexpr int codes_per_byte = F::elements_per_byte;
  static constexpr int group = F::block_size;
  using param = float;
  using element = typename F::element_type;
  static constexpr bool fast = ao::detail::exmy_layout<typename element::spec>::bits <= 8 &&
                               ao::detail::exmy_layout<typename element::spec>::is_signed &&
                               ao::detail::exmy_layout<typename element::spec>::has_subnormals;
  block_codec<F> codec;
  const std::uint8_t* scales;
  std::ptrdiff_t scales_stride;

  AO_DEVICE AO_FORCEINLINE param load(std::size_t n, std::size_t k) const {
    const std::uint8_t s =
        scales[static_cast<std::ptrdiff_t>(n) * scales_stride + static_cast<std::ptrdiff_t>(k / group)];
    if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
      // The oracle's nvfp4_dequantize_multiplier: the e4m3 scale's value (times the global scale), NaN payloads aside.
      const float v = element_value<float8_e4m3fn>(s);
      if constexpr (F::global_scale) {
        return __fmul_rn(*codec.global_scale, v);
      } else {
        return v;
      }
    } else {
      return codec.template multiplier<float>(s);
    }
  }
  // Tensor cores: the element times its block's scale (2^e for MX, the e4m3 value for NVFP4) is exact in bf16.
  static constexpr bool mma = fast && ao::detail::exmy_layout<typename element::spec>::M <= 3;
  using mma_param = float;
  AO_DEVICE AO_FORCEINLINE mma_param mma_load(std::size_t n, std::size_t k) const {
    const std::uint8_t s =
        scales[static_cast<std::ptrdiff_t>(n) * scales_stride + static_cast<std::ptrdiff_t>(k / group)];
    if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
      return element_value<float8_e4m3fn>(s);
    } else {
      return codec.template multiplier<float>(s);
    }
  }
  AO_DEVICE AO_FORCEINLINE float mma_value(unsigned code, mma_param m) const {
    return __fmul_rn(element_value<element>(code), m);
  }
  // fp4 (e2m1) elements, two a byte: the tensor-core kernel decodes a word of 8 codes at once
  // (e2m1_bf16_pairs, then one bf16x2 multiply by the block's scale per pair), for blocks of a multiple of 8.
  static constexpr bool mma_fp4 = mma && Nibbles && F::block_size % 8 == 0 &&
                                  std::is_same_v<typename element::spec, typename ao::float4_e2m1fn::spec>;
  AO_DEVICE AO_FORCEINLINE float row_factor(std::size_t) const {
    if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
      if constexpr (F::global_scale) return *codec.global_scale;
    }
    return 1.0f;
  }
  AO_DEVICE AO_FORCEINLINE float decode(unsigned code, param m) const {
    if constexpr (fast) {
      return __fmul_rn(element_value<element>(code), m);  // the oracle's value; a NaN's payload may differ
    } else {
      return codec.decode(static_cast<std::uint8_t>(code), m);
    }
  }
};
template <class E, class B, class S, class R, bool N>
struct weight_decoder<block_scaled<E, B, S, R>, N> : block_weight_decoder<block_scaled<E, B, S, R>, N> {};
template <bool G, bool N>
struct weight_decoder<basic_nvfp4<G>, N> : block_weight_decoder<basic_nvfp4<G>, N> {};

// FP8 with a float scale per tensor, row or R x C block: float(element) * scale, as the oracle's dequantize_value.
template <class E, class G, class Clamp, class A>
struct weight_decoder<float8_scaled<E, G, Clamp, A>, false> {
  using format = float8_scaled<E, G, Clamp, A>;
  static constexpr int codes_per_byte = 1;
  static constexpr int group = granule_index<G>::group;
  using param = float;
  const float* scales;
  std::ptrdiff_t scales_stride;

  AO_DEVICE AO_FORCEINLINE param load(std::size_t n, std::size_t k) const {
    return scales[granule_index<G>::of(n, k, scales_stride)];
  }
  AO_DEVICE AO_FORCEINLINE float decode(unsigned code, param s) const {
    return __fmul_rn(element_value<E>(code), s);  // the oracle's dequantize_value; a NaN's payload may differ
  }
  // Tensor cores: per tensor or per row only (the element is exact in bf16; the scale is the row's factor).
  static constexpr bool mma = group == 0;
  static constexpr bool mma_fp4 = false;
  using mma_param = int;
  AO_DEVICE AO_FORCEINLINE mma_param mma_load(std::size_t, std::size_t) const { return 0; }
  AO_DEVICE AO_FORCEINLINE float mma_value(unsigned code, mma_param) const { return element_value<E>(code); }
  AO_DEVICE AO_FORCEINLINE float row_factor(std::size_t n) const {
    return scales[granule_index<G>::of(n, 0, scales_stride)];
  }
};

// Affine integers per row or group-wise: the oracle's dequantize_code with the group's scale and zero point, in
// its order of operations: (q - z) * s, or ((q - mid) * s) + z with a floating zero point, each rounded to fp32
// (no fma). Codes are stored as F::code_type (int8 for signed targets) or as nibbles (the low 4 bits of a 4-bit
// code). q - z is formed without an int-to-float conversion: 2^23 + (code with its sign bit flipped) is a float,
// and subtracting 2^23 + offset + z from it is exact.
template <class T, class M, class G, class S, class Z, class Eps, bool Nibbles>
struct weight_decoder<affine<T, M, G, S, Z, Eps>, Nibbles> {
  using format = affine<T, M, G, S, Z, Eps>;
  static_assert(!std::is_same_v<G, per_tensor>,
                "ao::cuda::matmul: per-tensor affine weights are not supported on the GPU yet (per row or group)");
  static constexpr int codes_per_byte = Nibbles ? 2 : 1;
  static constexpr int group = granule_index<G>::group;
  static constexpr bool is_signed = format::quant_min < 0;
  // Flipping the sign bit of a two's complement code adds `offset` to it.
  static constexpr std::uint32_t flip = is_signed ? (Nibbles ? 0x8u : 0x80u) : 0u;
  static constexpr float offset = is_signed ? (Nibbles ? 8.0f : 128.0f) : 0.0f;
  struct param {
    float base;  // 2^23 + offset + z (integer zero point) or 2^23 + offset + mid (floating zero point)
    float scale;
    float zero_point;  // floating zero point only
  };
  const S* scales;
  std::ptrdiff_t scales_stride;
  const typename format::zero_point_type* zero_points;
  std::ptrdiff_t zero_points_stride;

  AO_DEVICE AO_FORCEINLINE param load(std::size_t n, std::size_t k) const {
    const float s = float(scales[granule_index<G>::of(n, k, scales_stride)]);
    const float z = float(zero_points[granule_index<G>::of(n, k, zero_points_stride)]);
    if constexpr (format::float_zero_point) {
      return {8388608.0f + offset + static_cast<float>(format::twice_mid_point) / 2.0f, s, z};
    } else {
      // Exact for |z| < 2^22, which every zero point ao::quantize writes meets (it lies in the codes' range);
      // a larger one (a hand-made view) gives a value within an ulp of the oracle's.
      return {8388608.0f + offset + static_cast<float>(static_cast<std::int32_t>(z)), s, z};
    }
  }
  // Tensor cores: per row with an integer zero point only (q - z is exact in bf16 when |q - z| < 256, which codes
  // and a zero point in an 8-bit range meet; the scale is the row's factor).
  static constexpr bool mma = group == 0 && !format::float_zero_point;
  static constexpr bool mma_fp4 = false;
  using mma_param = float;
  AO_DEVICE AO_FORCEINLINE mma_param mma_load(std::size_t n, std::size_t k) const { return load(n, k).base; }
  AO_DEVICE AO_FORCEINLINE float mma_value(unsigned code, mma_param base) const {
    return __fsub_rn(__uint_as_float(0x4B000000u | (code ^ flip)), base);
  }
  AO_DEVICE AO_FORCEINLINE float row_factor(std::size_t n) const {
    return float(scales[granule_index<G>::of(n, 0, scales_stride)]);
  }
  AO_DEVICE AO_FORCEINLINE float decode(unsigned code, const param& p) const {
    const float q_minus = __fsub_rn(__uint_as_float(0x4B000000u | (code ^ flip)), p.base);
    if constexpr (format::float_zero_point) {
      return __fadd_rn(__fmul_rn(q_minus, p.scale), p.zero_point);
    } else {
      return __fmul_rn(q_minus, p.scale);
    }
  }
};

// The decoder of a (const) quantized view's buffers.
template <class F, bool Nibbles>
weight_decoder<F, Nibbles> weight_decoder_of(const const_quantized_view<F>& w) {
  using family = typename format_traits<F>::family;
  weight_decoder<F, Nibbles> d{};
  if constexpr (std::is_same_v<family, format_family::affine>) {
    d.scales = w.scales;
    d.scales_stride = w.scales_stride;
    d.zero_points = w.zero_points;
    d.zero_points_stride = w.zero_points_stride;
  } else if constexpr (std::is_same_v<family, format_family::float8>) {
    d.scales = w.scales;
    d.scales_stride = w.scales_stride;
  } else {
    d.scales = reinterpret_cast<const std::uint8_t*>(w.scales);  // one-byte scale codes (e8m0, e4m3)
    d.scales_stride = w.scales_stride;
    if constexpr (std::is_same_v<family, format_family::nvfp4>) d.codec.global_scale = w.global_scale;
  }
  return d;
}

}  // namespace ao::cuda::detail
