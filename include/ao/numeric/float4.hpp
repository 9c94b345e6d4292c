// ao/numeric/float4.hpp: float4_e2m1fn, the 4-bit OCP MX / NVFP4 element (code in the low nibble of a byte).
//
// codes 0..7: 0, 0.5, 1, 1.5, 2, 3, 4, 6; bit 3 is the sign (code 8 is -0). Bias 1, no NaN, no infinity.
// Out-of-range values and infinities saturate to +-6; a NaN input encodes to +6 (code 7), as CUDA's
// __nv_cvt_float_to_fp4 does (torchao's converter gives a payload-dependent code; its NaN blocks get a NaN scale).
#pragma once

#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

struct float4_e2m1fn_spec : exmy_spec<2, 1, 1, nan_encoding::none> {
  static constexpr const char* name = "float4_e2m1fn";
};

using float4_e2m1fn = float_exmy<float4_e2m1fn_spec>;

}  // namespace ao
