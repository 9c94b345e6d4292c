// ao/numeric/float16.hpp: IEEE 754 binary16 (ao::float16), as a storage type with
// exact, constexpr, host/device conversions. Overflow follows IEEE (to infinity); NaN stays NaN (sign kept,
// canonical quiet payload 0x7E00).
//
// type       bias  max                 min normal  min subnormal
// float16      15  65504               2^-14       2^-24
#pragma once

#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

struct float16_spec : exmy_spec<5, 10, 15, nan_encoding::ieee> {
  static constexpr const char* name = "float16";
};
using float16 = float_exmy<float16_spec>;

}  // namespace ao
