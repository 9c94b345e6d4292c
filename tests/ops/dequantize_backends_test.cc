// ao::backend::highway against ao::backend::scalar through ao::dequantize: the same output bits (NaN included) for
// every format and output dtype, from tensors quantized from data with outliers and specials (NaN and Inf blocks,
// zeros, subnormals, ties). Quantize: quantize_backends_test.cc.
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

template <class F>
void check_highway_dequantize_equals_scalar(std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<F>()) + ", seed " + std::to_string(seed));
  const std::size_t rows = test_rows<F>(24), cols = 256;
  const std::vector<float> x = ao_test::llm_like<float>(rows, cols, seed, true);
  const ao::quantized_tensor<F> qs = ao::quantize<F>(cview_of<float, 2>(x, {rows, cols}), ao::backend::scalar{});
  auto check_dequantize = [&](auto dst_tag) {
    using Dst = decltype(dst_tag);
    const std::vector<Dst> s = dequantize_all<F, Dst>(qs, ao::backend::scalar{});
    const std::vector<Dst> h = dequantize_all<F, Dst>(qs, ao::backend::highway{});
    EXPECT_EQ(ao_test::first_bit_difference(h, s), -1) << "dequantize to " << ao_test::dtype_name<Dst>();
  };
  check_dequantize(float{});
  check_dequantize(ao::bfloat16{});
  check_dequantize(ao::float16{});
}

TEST(QuantizeApi, HighwayDequantizeEqualsScalarBits) {
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    for (std::uint32_t seed : {31u, 32u, 33u, 34u}) check_highway_dequantize_equals_scalar<F>(seed);
  });
}

}  // namespace
