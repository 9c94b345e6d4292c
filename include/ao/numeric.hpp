// ao/numeric.hpp: every element type and conversion (the include/ao/numeric/ folder).
#pragma once

#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/convert.hpp"
#include "ao/numeric/exmy_codec.hpp"
#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float6.hpp"
#include "ao/numeric/float8.hpp"
#include "ao/numeric/float_exmy.hpp"
#include "ao/numeric/intn.hpp"
#include "ao/numeric/rounding.hpp"
