// ao/backends/cuda/float8_values.cuh: quantize_values<F, V>, the codes of V values of an FP8 format (ao::float8_scaled)
// that share one scale, for the CUDA kernels: scalar::quantize_value's for each, with a fast path. When none of the
// values is NaN or Inf and the scale is finite and nonzero, quantize_value's NaN rules cannot apply and torch's
// quotient is the plain x / scale, so the values take the clamped quotients alone, cast two at a time on sm_89+
// where the element's cast is the hardware's (ao::detail::float8_hardware_cast). tests/cuda/quantize_device_test.cu
// checks the bytes against the oracle.
#pragma once

#include <cstdint>
#include <limits>

#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/scalar/float8.hpp"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/exmy_codec.hpp"

namespace ao::cuda::detail {

// Whether V values whose max |x| bits are amax take the fast path with this scale: no NaN or Inf among them, and
// a finite, nonzero scale.
AO_DEVICE AO_FORCEINLINE bool fast_float8_run(std::uint32_t amax, float scale) {
  const std::uint32_t scale_bits = ao::detail::bit_cast<std::uint32_t>(scale) & 0x7FFFFFFFu;
  return amax < 0x7F800000u && scale_bits != 0 && scale_bits < 0x7F800000u;
}

// The fast path's codes of two values (x0's in bits 0-7, x1's in bits 8-15). On sm_89+ the hardware's saturating
// conversion of the plain quotients: satfinite clamps to the element's largest value, which is what clamp_to_max
// does first (F::max_value is the element's), so the clamp is left out.
template <class F>
AO_DEVICE AO_FORCEINLINE std::uint32_t quantize_finite_pair(float x0, float x1, float scale) {
  using E = typename F::element_type;
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  if constexpr (ao::detail::float8_hardware_cast<typename E::spec, rounding::nearest_even, E::default_overflow>) {
    static_assert(F::max_value == float(std::numeric_limits<E>::max()), "the element's saturation is F's clamp");
    return ao::detail::hardware_float8x2_satfinite<E::exponent_bits == 4>(x0 / scale, x1 / scale);
  } else  // NOLINT: the block below is the else of the one above on sm_89+
#endif
  {
    return scalar::quantize_finite_value<F>(x0, scale) |
           static_cast<std::uint32_t>(scalar::quantize_finite_value<F>(x1, scale)) << 8;
  }
}

// The codes of V values: to a byte array (quantize_values), or to V / 4 little-endian words (quantize_words).
template <class F, int V>
AO_DEVICE AO_FORCEINLINE void quantize_values(const float* x, float scale, std::uint8_t* codes) {
  std::uint32_t amax = 0;
  AO_UNROLL
  for (int j = 0; j < V; ++j) amax = max(amax, ao::detail::bit_cast<std::uint32_t>(x[j]) & 0x7FFFFFFFu);
  if (fast_float8_run(amax, scale)) {
    if constexpr (V % 2 == 0) {
      AO_UNROLL
      for (int j = 0; j < V; j += 2) {
        const std::uint32_t pair = quantize_finite_pair<F>(x[j], x[j + 1], scale);
        codes[j] = static_cast<std::uint8_t>(pair);
        codes[j + 1] = static_cast<std::uint8_t>(pair >> 8);
      }
    } else {
      AO_UNROLL
      for (int j = 0; j < V; ++j) codes[j] = scalar::quantize_finite_value<F>(x[j], scale);
    }
    return;
  }
  AO_UNROLL
  for (int j = 0; j < V; ++j) codes[j] = scalar::quantize_value<F>(x[j], scale);
}
template <class F, int V>
AO_DEVICE AO_FORCEINLINE void quantize_words(const float* x, float scale, std::uint32_t* words) {
  static_assert(V % 4 == 0, "quantize_words: whole words of codes");
  std::uint32_t amax = 0;
  AO_UNROLL
  for (int j = 0; j < V; ++j) amax = max(amax, ao::detail::bit_cast<std::uint32_t>(x[j]) & 0x7FFFFFFFu);
  AO_UNROLL
  for (int i = 0; i < V / 4; ++i) words[i] = 0;
  if (fast_float8_run(amax, scale)) {
    AO_UNROLL
    for (int j = 0; j < V; j += 2) words[j / 4] |= quantize_finite_pair<F>(x[j], x[j + 1], scale) << (8 * (j % 4));
    return;
  }
  AO_UNROLL
  for (int j = 0; j < V; ++j) {
    words[j / 4] |= static_cast<std::uint32_t>(scalar::quantize_value<F>(x[j], scale)) << (8 * (j % 4));
  }
}

}  // namespace ao::cuda::detail
