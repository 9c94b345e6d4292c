// Must not compile: ao::element_packing::fp6_4in3 on 4-bit (fp4) elements; the packing is defined for 6-bit codes.
// AO_COMPILE_FAIL_CONTROL builds the same TU with an fp6 element, which must compile: the failure is the check's.
#include "ao/formats/mx.hpp"

#ifdef AO_COMPILE_FAIL_CONTROL
using format = ao::mxfp6_e2m3::with_packing<ao::element_packing::fp6_4in3>;
#else
using format = ao::mxfp4::with_packing<ao::element_packing::fp6_4in3>;
#endif
static_assert(format::storage::row_bytes(32) == 24);
