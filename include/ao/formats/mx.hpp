// ao/formats/mx.hpp: the OCP microscaling formats (numerics spec §1): blocks of 32 values along the last dimension
// share one float8_e8m0fnu scale. The default scale rule is torchao's to_mx default, floor.
//
// format       element          bits  storage of the elements (torchao)
// mxfp8_e4m3   float8_e4m3fn    8     one per byte
// mxfp8_e5m2   float8_e5m2      8     one per byte
// mxfp6_e2m3   float6_e2m3fn    6     one per byte, bits 0-5
// mxfp6_e3m2   float6_e3m2fn    6     one per byte, bits 0-5
// mxfp4        float4_e2m1fn    4     two per byte, element 2i in the low nibble
// (ao's other storage of fp6, four codes in three bytes: F::with_packing<ao::element_packing::fp6_4in3>, for
// mxfp6_e2m3 and mxfp6_e3m2; ao/formats/element_packing.hpp.)
#pragma once

#include "ao/formats/block_scaled.hpp"
#include "ao/formats/scale_rule.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float6.hpp"
#include "ao/numeric/float8.hpp"

namespace ao {

template <class Element, class Rule = scale_rule::floor>
using mx_format = block_scaled<Element, block<32>, float8_e8m0fnu, Rule>;

using mxfp8_e4m3 = mx_format<float8_e4m3fn>;
using mxfp8_e5m2 = mx_format<float8_e5m2>;
using mxfp6_e2m3 = mx_format<float6_e2m3fn>;
using mxfp6_e3m2 = mx_format<float6_e3m2fn>;
using mxfp4 = mx_format<float4_e2m1fn>;

}  // namespace ao
