// ao/numeric/detail/float6_via_float8.hpp: float6 codes through a float8 conversion, for kernels that have a fast
// one (sm_89+'s cvt.rn.satfinite.{e4m3,e5m2}x2, two values an instruction; used by the GPU's MXFP6 quantize).
//
// float6_e2m3fn and float8_e4m3fn both keep 3 mantissa bits, float6_e3m2fn and float8_e5m2 both 2. Scaling y by
// 2^-(float8 min exponent - float6 min exponent) (2^-6 for e2m3 -> e4m3, 2^-12 for e3m2 -> e5m2) maps float6's
// smallest normal onto float8's and its subnormal step onto float8's, so float8's round-to-nearest-even of the
// scaled value lands on the same grid point, and the float8 magnitude code is the float6 one for every value up
// to float6's largest; beyond it, min(code, 31) saturates as float6 does. The scaling is exact except below
// 2^-120, where both codes are 0. The sign moves from bit 7 to bit 5.
// Contract: y is not NaN; the float8 conversion saturates (float8 e5m2's default overflow is infinity, so the host
// path names overflow::saturate). tests/numeric/encode_exhaustive_test.cc checks every non-NaN float32.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/numeric/convert.hpp"
#include "ao/numeric/float6.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::detail {

// F6 is float6_e2m3fn or float6_e3m2fn: the float8 type with its mantissa width, and the factor y is scaled by.
template <class F6>
struct float6_via_float8;
template <>
struct float6_via_float8<float6_e2m3fn> {
  using float8_type = float8_e4m3fn;
  static constexpr float scale = 0.015625f;  // 2^-6: float6 2^0 -> float8 2^-6
};
template <>
struct float6_via_float8<float6_e3m2fn> {
  using float8_type = float8_e5m2;
  static constexpr float scale = 0.000244140625f;  // 2^-12: float6 2^-2 -> float8 2^-14
};

// The float6 code of the value whose saturated float8 code is c (that value scaled as above).
AO_HOST_DEVICE constexpr std::uint32_t float6_code_from_float8_code(std::uint32_t c) noexcept {
  const std::uint32_t magnitude = c & 0x7Fu;
  return ((c & 0x80u) >> 2) | (magnitude < 31u ? magnitude : 31u);
}

// The float6 code of y through the generic float8 cast (the host's path; kernels convert y * scale themselves).
template <class F6>
AO_HOST_DEVICE constexpr std::uint32_t float6_code_via_float8(float y) noexcept {
  using V = float6_via_float8<F6>;
  return float6_code_from_float8_code(
      convert<typename V::float8_type, overflow::saturate>(y * V::scale).bits());
}

}  // namespace ao::detail
