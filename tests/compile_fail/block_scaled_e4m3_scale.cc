// Must not compile: a block_scaled format whose scale type is not e8m0. The scale rules choose powers of two and
// every kernel stores them as e8m0 bytes, so an e4m3 scale would hold e8m0 bits read as e4m3 (silent garbage).
// AO_COMPILE_FAIL_CONTROL builds the same TU with the e8m0 scale, which must compile: the failure is the check's.
#include "ao/formats/mx.hpp"

#ifdef AO_COMPILE_FAIL_CONTROL
using scale = ao::float8_e8m0fnu;
#else
using scale = ao::float8_e4m3fn;
#endif
using format = ao::block_scaled<ao::float4_e2m1fn, ao::block<16>, scale, ao::scale_rule::floor>;
static_assert(format::block_size == 16);
