// Must not compile: fp6 codes packed four in three bytes (ao::element_packing::fp6_4in3) in blocks of 6 values: a
// block would end in the middle of a three-byte group, sharing its bytes with the next block's codes.
// AO_COMPILE_FAIL_CONTROL builds the same TU with blocks of 8, which must compile: the failure is the check's.
#include "ao/formats/mx.hpp"

#ifdef AO_COMPILE_FAIL_CONTROL
constexpr int block_size = 8;
#else
constexpr int block_size = 6;
#endif
using format = ao::mxfp6_e3m2::with_block_size<block_size>::with_packing<ao::element_packing::fp6_4in3>;
static_assert(format::block_size == block_size && format::storage::row_bytes(8) == 6);
