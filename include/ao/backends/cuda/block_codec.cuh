// ao/backends/cuda/block_codec.cuh: ao::cuda::detail::block_codec<F>, what the CUDA block kernels need from a
// format whose blocks of consecutive values share one scale (MX and any block_scaled format with torchao's element
// packing: has_gpu_element_storage_v; NVFP4, single and two level; FP8 with 1 x C blocks, quantize only). Each
// member is one step of the scalar oracle (ao/backends/scalar/block_scaled.hpp, nvfp4.hpp), called as it is, so
// the device computes the oracle's bytes by construction:
//
//   block_params of<Src>(amax)            the scale of a block whose max |x| (as the oracle computes it) is amax
//   stored_scale(block_params)            what the scales buffer holds for it (scale_storage: a byte, or fp32)
//   std::uint8_t encode(x, block_params)  one element code (unpacked: one code in the low bits of a byte)
//   encode_finite_pair(x0, x1, params)    (optional) two codes of a block with no NaN or Inf, faster
//   float multiplier<Out>(scale byte)     what a block's elements are multiplied by when dequantizing to Out
//   float decode(code, multiplier)        one dequantized value in fp32 (before the rounding to Out)
//
// Two-level NVFP4 reads its global scale from device memory (`global_scale`, set by ao::cuda::quantize).
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "ao/backends/cuda/float8_values.cuh"
#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/backends/scalar/nvfp4.hpp"
#include "ao/config.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/element_packing.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/formats/nvfp4.hpp"
#include "ao/numeric/detail/float4_encode_by_steps.hpp"
#include "ao/numeric/detail/float6_via_float8.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float6.hpp"

namespace ao::cuda::detail {

// Whether the CUDA kernels can read and write F's element data: they address code k at byte k / elements_per_byte
// (one code a byte, or two, low nibble first), so a block_scaled format needs torchao's element packing; codes
// that straddle bytes (ao::element_packing::fp6_4in3) have no GPU kernels yet. Every other family: yes.
template <class F>
inline constexpr bool has_gpu_element_storage_v = true;
template <class E, class B, class S, class R, class P>
inline constexpr bool has_gpu_element_storage_v<block_scaled<E, B, S, R, P>> =
    std::is_same_v<P, element_packing::torchao>;

template <class F>
struct block_codec;

template <class E, class B, class S, class R>
struct block_codec<block_scaled<E, B, S, R>> {
  using format = block_scaled<E, B, S, R>;
  using scale_storage = std::uint8_t;
  static constexpr int block_size = format::block_size, elements_per_byte = format::elements_per_byte;
  struct block_params {
    std::uint8_t scale;
    float inverse;
  };
  const float* global_scale = nullptr;  // unused

  template <class Src>
  AO_DEVICE AO_FORCEINLINE block_params of(float amax) const {
    const std::uint8_t s = scalar::block_scale_byte<format>(amax);
    return {s, scalar::block_inverse_scale(s)};
  }
  AO_DEVICE AO_FORCEINLINE std::uint8_t encode(float x, const block_params& b) const {
    return scalar::quantize_element<format>(x, b.scale, b.inverse);
  }
  // encode() of two values of a finite block (max |x| below +Inf, so no NaN or Inf in it and a finite, nonzero
  // inverse): x0's code in bits 0-7, x1's in bits 8-15. The products are then plain fp32 products, cast by the
  // element cast alone (scalar::cast_element), or by an equal shortcut: fp4 by its steps
  // (float4_encode_by_steps.hpp); on sm_89+ the saturating float8 elements convert both in one cvt.rn.satfinite, as
  // their single-value cast does (tests/cuda/numeric_device_test.cu checks every float32), and fp6 through that
  // conversion of the scaled products (float6_via_float8.hpp; tests/numeric/encode_exhaustive_test.cc checks
  // both shortcuts against the codec for every float32).
  AO_DEVICE AO_FORCEINLINE std::uint32_t encode_finite_pair(float x0, float x1, const block_params& b) const {
    const float y0 = x0 * b.inverse, y1 = x1 * b.inverse;
    if constexpr (std::is_same_v<E, float4_e2m1fn>) {
      // fp4 by its steps: the saturating cast, which is also rceil's plain one (e2m1 has no infinity).
      return ao::detail::float4_e2m1fn_code_by_steps(y0) | ao::detail::float4_e2m1fn_code_by_steps(y1) << 8;
    } else {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
      constexpr bool hardware =
          ao::detail::float8_hardware_cast<typename E::spec, rounding::nearest_even, E::default_overflow>;
      if constexpr (hardware && !std::is_same_v<R, scale_rule::rceil>) {
        return ao::detail::hardware_float8x2_satfinite<E::exponent_bits == 4>(y0, y1);
      } else if constexpr (hardware) {
        // rceil: the plain cast, which equals the saturating one unless a product exceeds the largest value
        // (possible only through fp32 rounding of the scale); such pairs take the element cast.
        if (fmaxf(fabsf(y0), fabsf(y1)) <= float(std::numeric_limits<E>::max())) {
          return ao::detail::hardware_float8x2_satfinite<E::exponent_bits == 4>(y0, y1);
        }
        return scalar::cast_element<format>(y0) | static_cast<std::uint32_t>(scalar::cast_element<format>(y1)) << 8;
      } else if constexpr (std::is_same_v<E, float6_e2m3fn> || std::is_same_v<E, float6_e3m2fn>) {
        // fp6 through the float8 conversion of the scaled values (both rules: fp6 has no infinity).
        using via = ao::detail::float6_via_float8<E>;
        const std::uint32_t pair = ao::detail::hardware_float8x2_satfinite<std::is_same_v<E, float6_e2m3fn>>(
            y0 * via::scale, y1 * via::scale);
        return ao::detail::float6_code_from_float8_code(pair & 0xFFu) |
               ao::detail::float6_code_from_float8_code(pair >> 8) << 8;
      } else  // NOLINT: the return below is the else of the ones above on sm_89+
#endif
      {
        return scalar::cast_element<format>(y0) | static_cast<std::uint32_t>(scalar::cast_element<format>(y1)) << 8;
      }
    }
  }
  AO_DEVICE AO_FORCEINLINE static std::uint8_t stored_scale(const block_params& b) { return b.scale; }
  template <class Out>
  AO_DEVICE AO_FORCEINLINE float multiplier(std::uint8_t scale) const {
    return scalar::block_dequantize_scale<Out>(scale);
  }
  AO_DEVICE AO_FORCEINLINE float decode(std::uint8_t code, float m) const {
    return scalar::dequantize_element<format, float>(code, m);
  }
};

template <bool G>
struct block_codec<basic_nvfp4<G>> {
  using format = basic_nvfp4<G>;
  using scale_storage = std::uint8_t;
  static constexpr int block_size = format::block_size, elements_per_byte = format::elements_per_byte;
  struct block_params {
    float8_e4m3fn scale;
    float multiplier;
  };
  const float* global_scale = nullptr;  // device memory, two level only

  template <class Src>
  AO_DEVICE AO_FORCEINLINE block_params of(float amax) const {
    if constexpr (G) {
      const float g = *global_scale;
      const float8_e4m3fn s = scalar::nvfp4_block_scale(amax, g);
      return {s, scalar::nvfp4_block_multiplier(s, g)};
    } else {
      const float8_e4m3fn s = scalar::nvfp4_block_scale(amax);
      return {s, scalar::nvfp4_block_multiplier(s)};
    }
  }
  AO_DEVICE AO_FORCEINLINE std::uint8_t encode(float x, const block_params& b) const {
    return scalar::nvfp4_encode_value(x, b.multiplier);
  }
  // encode() of two values of a block with no NaN or Inf (x0's code in bits 0-7): with a finite multiplier the
  // products are not NaN, and clamping them to +-6 before the saturating cast changes nothing, so the step
  // encoder gives the oracle's codes. A non-finite multiplier (a two-level global scale of 0, Inf or NaN) takes
  // encode() for each value.
  AO_DEVICE AO_FORCEINLINE std::uint32_t encode_finite_pair(float x0, float x1, const block_params& b) const {
    if (!(ao::detail::bit_cast<std::uint32_t>(b.multiplier) << 1 < 0xFF000000u)) {
      return encode(x0, b) | static_cast<std::uint32_t>(encode(x1, b)) << 8;
    }
    return ao::detail::float4_e2m1fn_code_by_steps(x0 * b.multiplier) |
           ao::detail::float4_e2m1fn_code_by_steps(x1 * b.multiplier) << 8;
  }
  AO_DEVICE AO_FORCEINLINE static std::uint8_t stored_scale(const block_params& b) {
    return static_cast<std::uint8_t>(b.scale.bits());
  }
  template <class Out>
  AO_DEVICE AO_FORCEINLINE float multiplier(std::uint8_t scale) const {
    if constexpr (G) {
      return scalar::nvfp4_dequantize_multiplier(scale, *global_scale);
    } else {
      return scalar::nvfp4_dequantize_multiplier(scale);
    }
  }
  AO_DEVICE AO_FORCEINLINE float decode(std::uint8_t code, float m) const {
    return scalar::nvfp4_dequantize_value<float>(code, m);
  }
};

// FP8 with 1 x C blocks (DeepSeek-style activations): the quantize side only (one fp32 scale per block, computed
// in the source dtype as the oracle's float8_scale does); dequantize uses the FP8 kernel.
template <class E, int C, class Clamp, class A>
struct block_codec<float8_scaled<E, per_block<1, C>, Clamp, A>> {
  using format = float8_scaled<E, per_block<1, C>, Clamp, A>;
  using scale_storage = float;
  static constexpr int block_size = C, elements_per_byte = 1;
  struct block_params {
    float scale;
  };
  const float* global_scale = nullptr;  // unused

  template <class Src>
  AO_DEVICE AO_FORCEINLINE block_params of(float amax) const {
    return {scalar::float8_scale<format, Src>(amax)};
  }
  AO_DEVICE AO_FORCEINLINE std::uint8_t encode(float x, const block_params& b) const {
    return scalar::quantize_value<format>(x, b.scale);
  }
  // encode() of two values (x0's code in bits 0-7): quantize_values' fast path when the scale is finite and
  // nonzero (an all-zero block's is not).
  AO_DEVICE AO_FORCEINLINE std::uint32_t encode_finite_pair(float x0, float x1, const block_params& b) const {
    const float x[2] = {x0, x1};
    std::uint8_t codes[2];
    quantize_values<format, 2>(x, b.scale, codes);
    return codes[0] | static_cast<std::uint32_t>(codes[1]) << 8;
  }
  AO_DEVICE AO_FORCEINLINE static float stored_scale(const block_params& b) { return b.scale; }
};

}  // namespace ao::cuda::detail
