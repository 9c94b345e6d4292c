// ao/numeric/float6.hpp: the 6-bit OCP MX element types, one code in the low 6 bits of a byte (sign = bit 5).
//
// type             bias  max   min normal  min subnormal  NaN/inf
// float6_e2m3fn      1   7.5   1.0         0.125          none: every code is finite; -0 exists
// float6_e3m2fn      3   28.0  0.25        0.0625         none
// Out-of-range values and infinities saturate to +-max under every overflow option (there is nothing else).
// A NaN input encodes to +max (0x1F), as CUDA's __nv_cvt_float_to_fp6 does; torchao leaves it unspecified
// (its blocks with NaN get a NaN scale).
#pragma once

#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

struct float6_e2m3fn_spec : exmy_spec<2, 3, 1, nan_encoding::none> {
  static constexpr const char* name = "float6_e2m3fn";
};
struct float6_e3m2fn_spec : exmy_spec<3, 2, 3, nan_encoding::none> {
  static constexpr const char* name = "float6_e3m2fn";
};

using float6_e2m3fn = float_exmy<float6_e2m3fn_spec>;
using float6_e3m2fn = float_exmy<float6_e3m2fn_spec>;

}  // namespace ao
