// ao/backends/cuda/float8_values.cuh: quantize_values<F, V>, the codes of V values of an FP8 format (ao::float8_scaled)
// that share one scale, for the CUDA kernels: scalar::quantize_value's for each, with a fast path. When none of the
// values is NaN or Inf and the scale is finite and nonzero, quantize_value's NaN rules cannot apply and torch's
// quotient is the plain x / scale, so the values take the clamped quotients alone, cast two at a time on sm_89+
// where the element's cast is the hardware's (ao::detail::float8_hardware_cast). tests/cuda/quantize_device_test.cu
// checks the bytes against the oracle.
#pragma once

#include <cstdint>

#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/scalar/float8.hpp"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/exmy_codec.hpp"

namespace ao::cuda::detail {

template <class F, int V>
AO_DEVICE AO_FORCEINLINE void quantize_values(const float* x, float scale, std::uint8_t* codes) {
  using E = typename F::element_type;
  std::uint32_t amax = 0;
  AO_UNROLL
  for (int j = 0; j < V; ++j) amax = max(amax, ao::detail::bit_cast<std::uint32_t>(x[j]) & 0x7FFFFFFFu);
  const std::uint32_t scale_bits = ao::detail::bit_cast<std::uint32_t>(scale) & 0x7FFFFFFFu;
  if (amax < 0x7F800000u && scale_bits != 0 && scale_bits < 0x7F800000u) {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    if constexpr (V % 2 == 0 &&
                  ao::detail::float8_hardware_cast<typename E::spec, rounding::nearest_even, E::default_overflow>) {
      AO_UNROLL
      for (int j = 0; j < V; j += 2) {
        const std::uint32_t pair = ao::detail::hardware_float8x2_satfinite<E::exponent_bits == 4>(
            scalar::clamp_to_max<F>(x[j] / scale), scalar::clamp_to_max<F>(x[j + 1] / scale));
        codes[j] = static_cast<std::uint8_t>(pair);
        codes[j + 1] = static_cast<std::uint8_t>(pair >> 8);
      }
    } else  // NOLINT: the block below is the else of the one above on sm_89+
#endif
    {
      AO_UNROLL
      for (int j = 0; j < V; ++j) codes[j] = scalar::quantize_finite_value<F>(x[j], scale);
    }
    return;
  }
  AO_UNROLL
  for (int j = 0; j < V; ++j) codes[j] = scalar::quantize_value<F>(x[j], scale);
}

}  // namespace ao::cuda::detail
