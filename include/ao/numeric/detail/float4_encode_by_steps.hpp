// ao/numeric/detail/float4_encode_by_steps.hpp: the float4_e2m1fn code of a float by two comparisons and one
// rounding addition, for kernels where the generic codec (exmy_codec.hpp: integer rounding of the bits, a
// subnormal path and a saturation path) costs more instructions than the memory traffic allows (the GPU's MXFP4
// and NVFP4 quantize).
//
// e2m1's magnitudes are 0, 0.5, 1, 1.5, 2, 3, 4, 6 (codes 0..7), to which |y| rounds to nearest, ties to the
// even code (0.25 -> 0, 0.75 -> 1.0, 1.25 -> 1.0, 1.75 -> 2.0, 2.5 -> 2.0, 3.5 -> 4.0, 5.0 -> 4.0); above 5
// everything is code 7 (6.0): saturation, infinity included. The sign bit (bit 3) is y's, so -0 and negative
// values that round to 0 give code 8, as the codec does.
// Contract: y is not NaN (the codec sends NaN to code 7; callers keep NaN off this path).
// tests/numeric/encode_exhaustive_test.cc checks it against float4_e2m1fn(y) for every non-NaN float32.
#pragma once

#include <cstdint>

#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::detail {

AO_HOST_DEVICE constexpr std::uint32_t float4_e2m1fn_code_by_steps(float y) noexcept {
  const std::uint32_t bits = bit_cast<std::uint32_t>(y);
  const float a = bit_cast<float>(bits & 0x7FFFFFFFu);
  // Within each of e2m1's steps the codes are consecutive: step 0.5 below 2 (codes 0..4), 1 in [2, 4) (codes 4..6),
  // 2 from 4 up (codes 6, 7). So the code is base + rint(a / step), ties to even, where the even integer is the
  // even code (base is even). a / step is exact (a power of two), and adding 1.5 * 2^23 rounds it to an integer
  // that the float's low bits then hold; beyond 2^22 the difference of the bits is far above 7, so min() saturates
  // (infinity included).
  const bool below_2 = a < 2.0f, below_4 = a < 4.0f;
  const float inverse_step = below_2 ? 2.0f : (below_4 ? 1.0f : 0.5f);
  const std::uint32_t base = below_2 ? 0u : (below_4 ? 2u : 4u);
  const std::uint32_t rounded = bit_cast<std::uint32_t>(a * inverse_step + 12582912.0f) - 0x4B400000u + base;
  return ((bits >> 28) & 8u) | (rounded < 7u ? rounded : 7u);
}

}  // namespace ao::detail
