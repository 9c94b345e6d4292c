// The MX round-trip SQNR sweep of numerics spec §8 at block sizes 4 and 1 (block 32 and the other thresholds:
// sqnr_test.cc), every element type and scale rule, ranks 1-4, on deterministic randn bf16 128 x 128 values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"
#include "sqnr_test_util.hpp"

namespace {

using namespace ao_sqnr;  // NOLINT: the shared helpers of the SQNR tests

TEST(Sqnr, MxRoundTripBlock4) { check_mx_block<4>(); }
TEST(Sqnr, MxRoundTripBlock1) { check_mx_block<1>(); }

}  // namespace
