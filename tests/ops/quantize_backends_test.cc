// ao::backend::highway against ao::backend::scalar through ao::quantize / ao::dequantize: the same bytes and the
// same output bits (NaN included) for every format, source dtype and output dtype, on data with outliers and
// specials (NaN and Inf blocks, zeros, subnormals, ties).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"

namespace {

using namespace ao_test;  // NOLINT: the shared helpers of tests/ops

// ---- Highway against scalar: quantize (dequantize: dequantize_backends_test.cc) ----

template <class F, class Src>
void check_highway_equals_scalar(std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<F>()) + " from " + ao_test::dtype_name<Src>());
  const std::size_t rows = test_rows<F>(24), cols = 256;
  const std::vector<Src> x = ao_test::llm_like<Src>(rows, cols, seed, true);
  const ao::quantized_tensor<F> qs = ao::quantize<F>(cview_of<Src, 2>(x, {rows, cols}), ao::backend::scalar{});
  const ao::quantized_tensor<F> qh = ao::quantize<F>(cview_of<Src, 2>(x, {rows, cols}), ao::backend::highway{});
  EXPECT_TRUE(ao_test::snap(qh) == ao_test::snap(qs));
  if constexpr (std::is_same_v<Src, float>) {
    const ao::quantized_tensor<F> qd = ao::quantize<F>(cview_of<Src, 2>(x, {rows, cols}));  // the default backend
    EXPECT_TRUE(ao_test::snap(qd) == ao_test::snap(qs));
  }
}

TEST(QuantizeApi, HighwayQuantizeEqualsScalarBytes) {
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    for (std::uint32_t seed : {11u, 12u}) {
      check_highway_equals_scalar<F, float>(seed);
      check_highway_equals_scalar<F, ao::bfloat16>(seed + 10);
      check_highway_equals_scalar<F, ao::float16>(seed + 20);
    }
  });
}

}  // namespace
