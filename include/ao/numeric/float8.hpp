// ao/numeric/float8.hpp: the 8-bit floating element types (names as in PyTorch and ml_dtypes).
//
// type               bias  max        min normal  min subnormal  NaN                 inf  -0
// float8_e4m3fn        7   448        2^-6        2^-9           S.1111.111 (0x7F)   no   yes
// float8_e4m3fnuz      8   240        2^-7        2^-10          0x80 only           no   no
// float8_e5m2         15   57344      2^-14       2^-16          S.11111.xx, xx != 0 yes  yes
// float8_e5m2fnuz     16   57344      2^-15       2^-17          0x80 only           no   no
// float8_e8m0fnu     127   2^127      2^-127      (none)         0xFF                no   (unsigned, no zero)
// float8_e8m0fnu is the OCP MX block scale: code b means 2^(b-127). It encodes |x| (the sign is ignored, as
// CUDA's cvt.*.ue8m0 and PyTorch do), and 0 or anything below 2^-127 encodes to 2^-127 (code 0).
#pragma once

#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

struct float8_e4m3fn_spec : exmy_spec<4, 3, 7, nan_encoding::all_ones> {
  static constexpr const char* name = "float8_e4m3fn";
};
struct float8_e4m3fnuz_spec : exmy_spec<4, 3, 8, nan_encoding::negative_zero> {
  static constexpr const char* name = "float8_e4m3fnuz";
};
struct float8_e5m2_spec : exmy_spec<5, 2, 15, nan_encoding::ieee> {
  static constexpr const char* name = "float8_e5m2";
};
struct float8_e5m2fnuz_spec : exmy_spec<5, 2, 16, nan_encoding::negative_zero> {
  static constexpr const char* name = "float8_e5m2fnuz";
};
struct float8_e8m0fnu_spec : exmy_spec<8, 0, 127, nan_encoding::all_ones, /*IsSigned=*/false,
                                       /*HasSubnormals=*/false> {
  static constexpr const char* name = "float8_e8m0fnu";
};

using float8_e4m3fn = float_exmy<float8_e4m3fn_spec>;
using float8_e4m3fnuz = float_exmy<float8_e4m3fnuz_spec>;
using float8_e5m2 = float_exmy<float8_e5m2_spec>;
using float8_e5m2fnuz = float_exmy<float8_e5m2fnuz_spec>;
using float8_e8m0fnu = float_exmy<float8_e8m0fnu_spec>;

}  // namespace ao
