// ao/backends/cuda/float8_decode.cuh: decode_scaled_float8<E, V>(codes, m, y), a fast path of the CUDA dequantize
// kernels for float8 e4m3fn / e5m2 elements (MX and FP8 with a float scale): y[j] = value(codes[j]) * m, what the
// oracle's torch_multiply(value, m) gives (scalar::dequantize_element, scalar::dequantize_value before their
// rounding to the output), when it applies: no code is NaN or Inf and m is finite, so the product is the plain
// one; the codes then decode two per cvt.rn.f16x2 (sm_89+, exact: every e4m3 and e5m2 value is an fp16 value).
// Returns false, writing nothing, when it does not apply (other elements, other GPUs, a special code or
// multiplier): the caller then takes the oracle's functions. tests/cuda/quantize_device_test.cu checks the bits.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/hip.cuh"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::cuda::detail {

template <class E, int V>
AO_DEVICE AO_FORCEINLINE bool decode_scaled_float8(const std::uint8_t* codes, float m, float* y) {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  constexpr bool e4m3 = std::is_same_v<E, float8_e4m3fn>, e5m2 = std::is_same_v<E, float8_e5m2>;
  if constexpr (V % 2 == 0 && (e4m3 || e5m2)) {
    // The codes whose magnitude bits are all ones (e4m3fn's NaN) or whose exponent is (e5m2's Inf and NaN).
    constexpr std::uint32_t special = e4m3 ? 0x7Fu : 0x7Cu;
    bool plain = (ao::detail::bit_cast<std::uint32_t>(m) & 0x7FFFFFFFu) < 0x7F800000u;
    AO_UNROLL
    for (int j = 0; j < V; ++j) plain = plain && (codes[j] & special) != special;
    if (!plain) return false;
    AO_UNROLL
    for (int j = 0; j < V; j += 2) {
      const unsigned short pair = static_cast<unsigned short>(codes[j] | (codes[j + 1] << 8));
      unsigned halves = 0;
      if constexpr (e4m3) {
        asm("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(halves) : "h"(pair));
      } else {
        asm("cvt.rn.f16x2.e5m2x2 %0, %1;" : "=r"(halves) : "h"(pair));
      }
      float lo = 0.0f, hi = 0.0f;
      asm("cvt.f32.f16 %0, %1;" : "=f"(lo) : "h"(static_cast<unsigned short>(halves & 0xFFFFu)));
      asm("cvt.f32.f16 %0, %1;" : "=f"(hi) : "h"(static_cast<unsigned short>(halves >> 16)));
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
