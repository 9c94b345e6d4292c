// ao/backends/cuda/float8_decode.cuh: decode_scaled_float8<E, V>(codes, m, y), a fast path of the CUDA dequantize
// kernels for elements that sm_89+'s float8 -> fp16 conversion can decode (MX, NVFP4 and FP8 with a float scale):
// y[j] = value(codes[j]) * m, what the oracle's torch_multiply(value, m) gives (scalar::dequantize_element,
// scalar::dequantize_value, scalar::nvfp4_dequantize_value before their rounding to the output), when it applies:
// no code is NaN or Inf and m is finite, so the product is the plain one. The codes (one a byte, unpacked) decode
// two per cvt.rn.f16x2 (exact: every e4m3 and e5m2 value is an fp16 value):
//   float8_e4m3fn, float8_e5m2   as they are;
//   float6_e2m3fn, float6_e3m2fn as the float8 code with the same magnitude bits (e4m3, e5m2) and the sign moved
//                                to bit 7, whose value is the fp6 value times 2^-6 (e2m3) or 2^-12 (e3m2): the
//                                fp6 grid, subnormals included, is float8's scaled (float6_via_float8.hpp);
//   float4_e2m1fn                as the e4m3 code magnitude << 2, whose value is the fp4 value times 2^-6 (normal
//                                codes: same exponent field, mantissa bit moved to e4m3's top; code 1, 0.5,
//                                is e4m3's subnormal 4 * 2^-9);
// then multiplied back by that power of two (exact) before the product with m.
// Returns false, writing nothing, when it does not apply (other elements, other GPUs, a special code or
// multiplier): the caller then takes the oracle's functions. tests/cuda/quantize_device_test.cu checks the bits.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/hip.cuh"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/detail/float6_via_float8.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float6.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::cuda::detail {

// How decode_scaled_float8 reads element type E: whether it can, the float8 code of an E code, whether that
// float8 is e4m3 (else e5m2), and the power of two that turns the float8 value back into E's.
template <class E>
struct float8_decode_route {
  static constexpr bool supported = false;
};
template <>
struct float8_decode_route<float8_e4m3fn> {
  static constexpr bool supported = true, e4m3 = true, has_special = true;
  static constexpr std::uint32_t special = 0x7Fu;  // magnitude all ones: NaN
  static constexpr float factor = 1.0f;
  AO_DEVICE AO_FORCEINLINE static std::uint32_t code(std::uint32_t c) { return c; }
};
template <>
struct float8_decode_route<float8_e5m2> {
  static constexpr bool supported = true, e4m3 = false, has_special = true;
  static constexpr std::uint32_t special = 0x7Cu;  // exponent all ones: Inf and NaN
  static constexpr float factor = 1.0f;
  AO_DEVICE AO_FORCEINLINE static std::uint32_t code(std::uint32_t c) { return c; }
};
// fp6: the float8 type and scale of the quantize side's route (float6_via_float8.hpp), read backwards.
template <class F6>
struct float6_decode_route {
  using via = ao::detail::float6_via_float8<F6>;
  static constexpr bool supported = true, has_special = false;
  static constexpr bool e4m3 = std::is_same_v<typename via::float8_type, float8_e4m3fn>;
  static constexpr std::uint32_t special = 0;
  static constexpr float factor = 1.0f / via::scale;  // a power of two: exact
  AO_DEVICE AO_FORCEINLINE static std::uint32_t code(std::uint32_t c) { return (c & 0x1Fu) | (c & 0x20u) << 2; }
};
template <>
struct float8_decode_route<float6_e2m3fn> : float6_decode_route<float6_e2m3fn> {};
template <>
struct float8_decode_route<float6_e3m2fn> : float6_decode_route<float6_e3m2fn> {};
template <>
struct float8_decode_route<float4_e2m1fn> {
  static constexpr bool supported = true, e4m3 = true, has_special = false;
  static constexpr std::uint32_t special = 0;
  static constexpr float factor = 64.0f;
  AO_DEVICE AO_FORCEINLINE static std::uint32_t code(std::uint32_t c) { return (c & 0x7u) << 2 | (c & 0x8u) << 4; }
};

template <class E, int V>
AO_DEVICE AO_FORCEINLINE bool decode_scaled_float8(const std::uint8_t* codes, float m, float* y) {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  using route = float8_decode_route<E>;
  if constexpr (V % 2 == 0 && route::supported) {
    bool plain = (ao::detail::bit_cast<std::uint32_t>(m) & 0x7FFFFFFFu) < 0x7F800000u;
    if constexpr (route::has_special) {
      AO_UNROLL
      for (int j = 0; j < V; ++j) plain = plain && (codes[j] & route::special) != route::special;
    }
    if (!plain) return false;
    AO_UNROLL
    for (int j = 0; j < V; j += 2) {
      const unsigned short pair = static_cast<unsigned short>(route::code(codes[j]) | (route::code(codes[j + 1]) << 8));
      unsigned halves = 0;
      if constexpr (route::e4m3) {
        asm("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(halves) : "h"(pair));
      } else {
        asm("cvt.rn.f16x2.e5m2x2 %0, %1;" : "=r"(halves) : "h"(pair));
      }
      float lo = 0.0f, hi = 0.0f;
      asm("cvt.f32.f16 %0, %1;" : "=f"(lo) : "h"(static_cast<unsigned short>(halves & 0xFFFFu)));
      asm("cvt.f32.f16 %0, %1;" : "=f"(hi) : "h"(static_cast<unsigned short>(halves >> 16)));
      if constexpr (route::factor != 1.0f) {
        lo *= route::factor;
        hi *= route::factor;
      }
      y[j] = lo * m;
      y[j + 1] = hi * m;
    }
    return true;
  }
#endif
  (void)codes;
  (void)m;
  (void)y;
  return false;
}

}  // namespace ao::cuda::detail
