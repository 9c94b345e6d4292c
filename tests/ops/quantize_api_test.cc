// ao::quantize / ao::dequantize (ao/ops/quantize.hpp) with the scalar backend against the per-family raw-pointer
// oracles, for every format of the registry. (Highway against scalar: quantize_backends_test.cc; executors and
// strides: quantize_layout_test.cc; padding and strided quantized views: quantize_padding_test.cc; errors, empty
// tensors and the registry: quantize_errors_test.cc.)
//
// Every expected value comes from outside the code under test: the older per-family oracles (block_scaled.hpp,
// nvfp4.hpp, float8.hpp, affine.hpp, themselves tested against torchao's files).
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

// ---- The scalar backend against the older oracles ----

template <class F, class Src>
void check_against_oracle(std::uint32_t seed, bool specials) {
  SCOPED_TRACE(std::string(ao::name<F>()) + " from " + ao_test::dtype_name<Src>() + (specials ? " with specials" : ""));
  const std::size_t rows = test_rows<F>(12), cols = 256;
  const std::vector<Src> x = ao_test::llm_like<Src>(rows, cols, seed, specials);
  const ao::quantized_tensor<F> q = ao::quantize<F>(cview_of<Src, 2>(x, {rows, cols}), ao::backend::scalar{});
  ASSERT_EQ(q.rows(), rows);
  ASSERT_EQ(q.stored_cols(), cols);
  const snapshot expected = oracle_quantize<F, Src>(x, rows, cols);
  EXPECT_EQ(ao_test::snap(q).data, expected.data);
  EXPECT_EQ(ao_test::snap(q).scales, expected.scales);
  EXPECT_EQ(ao_test::snap(q).zero_points, expected.zero_points);
  EXPECT_EQ(ao_test::snap(q).global_scale_bits, expected.global_scale_bits);

  auto check_dequantize = [&](auto dst_tag) {
    using Dst = decltype(dst_tag);
    const oracle_dequantize_result<F, Dst> want = oracle_dequantize<F, Dst>(q);
    if (!want.available) return;
    const std::vector<Dst> got = dequantize_all<F, Dst>(q, ao::backend::scalar{});
    EXPECT_EQ(ao_test::first_bit_difference(got, want.values), -1) << "dequantize to " << ao_test::dtype_name<Dst>();
  };
  check_dequantize(float{});
  check_dequantize(ao::bfloat16{});
}

TEST(QuantizeApi, ScalarBackendEqualsFamilyOracles) {
  int formats = 0;
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    ++formats;
    check_against_oracle<F, float>(1, false);
    check_against_oracle<F, float>(2, true);
    check_against_oracle<F, ao::bfloat16>(3, false);
    check_against_oracle<F, ao::bfloat16>(4, true);
  });
  EXPECT_EQ(static_cast<std::size_t>(formats), ao::format_count);
}

}  // namespace
