// ao/numeric/bfloat16.hpp: bfloat16 (the top half of an IEEE binary32), as a storage type with
// exact, constexpr, host/device conversions. Overflow follows IEEE (to infinity); NaN stays NaN (sign kept,
// canonical quiet payload 0x7FC0).
//
// type       bias  max                 min normal  min subnormal
// bfloat16    127  3.3895314e38        2^-126      2^-133
#pragma once

#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

struct bfloat16_spec : exmy_spec<8, 7, 127, nan_encoding::ieee> {
  static constexpr const char* name = "bfloat16";
};
using bfloat16 = float_exmy<bfloat16_spec>;

}  // namespace ao
