// ao::quantize / ao::dequantize errors (ao::error naming the shape and the block, group or tile), empty tensors,
// and the format registry (names, ids, visit_format).
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
#include "expect_error.hpp"
#include "ops_test_util.hpp"

namespace {

using namespace ao_test;  // NOLINT: the shared helpers of tests/ops

// ---- Errors ----

using ao::testing::expect_error;  // tests/support/expect_error.hpp

TEST(QuantizeApiErrors, ColsNotAMultipleOfTheBlock) {
  const std::vector<float> x(4 * 33, 1.0f);
  expect_error([&] { (void)ao::quantize<ao::mxfp4>(cview_of<float, 2>(x, {4, 33})); }, {"4 x 33", "32", "mxfp4"});
  // Into a caller's view of that shape: refused before anything is written.
  std::vector<std::uint8_t> data(4 * 17, 0xA5);
  std::vector<ao::float8_e8m0fnu> scales(8);
  ao::quantized_view<ao::mxfp4> v;
  v.data = data.data();
  v.data_stride = 17;
  v.scales = scales.data();
  v.scales_stride = 2;
  v.rows = 4;
  v.cols = 33;
  expect_error([&] { ao::quantize<ao::mxfp4>(cview_of<float, 2>(x, {4, 33}), v); }, {"4 x 33", "blocks of 32"});
  for (std::uint8_t b : data) EXPECT_EQ(b, 0xA5);
  const std::vector<float> y(3 * 40, 1.0f);
  expect_error(
      [&] {
        (void)ao::quantize<ao::int4_asymmetric_group32>(cview_of<float, 2>(y, {3, 40}));
      },
      {"3 x 40", "32"});
  expect_error([&] { (void)ao::quantize<ao::nvfp4>(cview_of<float, 2>(y, {3, 40})); }, {"3 x 40", "16"});
}

TEST(QuantizeApiErrors, PerBlock128RowsNotAMultipleOf128) {
  using F = ao::float8_e4m3_per_block_128x128;
  const std::vector<float> x(100 * 256, 1.0f);
  expect_error([&] { (void)ao::quantize<F>(cview_of<float, 2>(x, {100, 256})); }, {"100 x 256", "128 x 128"});
  // 2 x 64 rows: 128 rows in all, but each run of the leading dims has 64 (a slice, so they do not collapse).
  std::vector<float> parent(2 * 70 * 256, 1.0f);
  const ao::strided_view<const float, 3> slice(parent.data(), {2, 64, 256}, {70 * 256, 256, 1});
  ao::quantized_tensor<F> q = ao::quantized_tensor<F>::allocate(128, 256);
  std::fill(q.data().begin(), q.data().end(), std::uint8_t{0xA5});
  expect_error([&] { ao::quantize<F>(slice, q.view()); }, {"64 rows", "128"});
  for (std::uint8_t b : q.data()) ASSERT_EQ(b, 0xA5) << "written on error";
  std::vector<float> out(2 * 70 * 256, 0.0f);
  const ao::strided_view<float, 3> out_slice(out.data(), {2, 64, 256}, {70 * 256, 256, 1});
  expect_error([&] { ao::dequantize(q.cview(), out_slice); }, {"64 rows", "128"});
}

TEST(QuantizeApiErrors, DstShapeMismatch) {
  const std::vector<float> x(4 * 64, 1.0f);
  ao::quantized_tensor<ao::mxfp8_e4m3> q = ao::quantized_tensor<ao::mxfp8_e4m3>::allocate(4, 32);
  expect_error(
      [&] {
        ao::quantize<ao::mxfp8_e4m3>(cview_of<float, 2>(x, {4, 64}), q.view());
      },
      {"4 x 64", "4 x 32", "mxfp8_e4m3"});
  ao::quantized_tensor<ao::mxfp8_e4m3> q2 = ao::quantized_tensor<ao::mxfp8_e4m3>::allocate(5, 64);
  expect_error([&] { ao::quantize<ao::mxfp8_e4m3>(cview_of<float, 2>(x, {4, 64}), q2.view()); }, {"4 x 64", "5 x 64"});
  std::vector<float> out(4 * 64);
  expect_error(
      [&] {
        ao::dequantize(q.cview(), ao::strided_view<float, 2>(out.data(), {4, 64}));
      },
      {"4 x 32", "4 x 64"});
}

TEST(QuantizeApiErrors, BadStridesAndNullData) {
  std::vector<float> x(8 * 64, 1.0f);
  ao::quantized_tensor<ao::mxfp8_e4m3> q = ao::quantized_tensor<ao::mxfp8_e4m3>::allocate(4, 64);
  const ao::strided_view<const float, 2> negative(x.data() + 3 * 64, {4, 64}, {-64, 1});
  expect_error([&] { ao::quantize<ao::mxfp8_e4m3>(negative, q.view()); }, {"negative stride", "dim 0"});
  const ao::strided_view<const float, 2> gapped(x.data(), {4, 64}, {128, 2});
  expect_error([&] { ao::quantize<ao::mxfp8_e4m3>(gapped, q.view()); }, {"contiguous", "stride is 2"});
  const ao::strided_view<const float, 2> null_view(nullptr, {4, 64});
  expect_error([&] { ao::quantize<ao::mxfp8_e4m3>(null_view, q.view()); }, {"src", "null"});
  const ao::strided_view<float, 2> null_dst(nullptr, {4, 64});
  expect_error([&] { ao::dequantize(q.cview(), null_dst); }, {"dst", "null"});
  const ao::strided_view<float, 2> negative_dst(x.data() + 3 * 64, {4, 64}, {-64, 1});
  expect_error([&] { ao::dequantize(q.cview(), negative_dst); }, {"negative stride"});
}

TEST(QuantizeApiErrors, OverlappingBuffers) {
  // src overlapping dst's data: a float buffer whose bytes are also the quantized rows.
  std::vector<float> buffer(4 * 64 * 2, 1.0f);
  std::vector<ao::float8_e8m0fnu> scales(8);
  ao::quantized_view<ao::mxfp8_e4m3> v;
  v.data = reinterpret_cast<std::uint8_t*>(buffer.data()) + 100;
  v.data_stride = 64;
  v.scales = scales.data();
  v.scales_stride = 2;
  v.rows = 4;
  v.cols = 64;
  const ao::strided_view<const float, 2> src(buffer.data(), {4, 64});
  expect_error([&] { ao::quantize<ao::mxfp8_e4m3>(src, v); }, {"overlap", "src"});
  // Scales inside the data rows.
  std::vector<std::uint8_t> data(4 * 64 + 16);
  const std::vector<float> x(4 * 64, 1.0f);
  v.data = data.data();
  v.scales = reinterpret_cast<ao::float8_e8m0fnu*>(data.data() + 64);
  expect_error([&] { ao::quantize<ao::mxfp8_e4m3>(cview_of<float, 2>(x, {4, 64}), v); }, {"data", "scales", "overlap"});
  // Dequantize into the quantized bytes.
  ao::quantized_tensor<ao::mxfp8_e4m3> q = ao::quantized_tensor<ao::mxfp8_e4m3>::allocate(4, 64);
  ao::strided_view<float, 2> into_data(reinterpret_cast<float*>(q.data().data()), {1, 32});
  ao::quantized_view<ao::mxfp8_e4m3> one_row = q.view();
  one_row.rows = 1;
  one_row.cols = 32;
  expect_error([&] { ao::dequantize(one_row, into_data); }, {"overlap", "dst"});
}

TEST(QuantizeApiErrors, AllocateOverflow) {
  const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
  expect_error(
      [&] {
        (void)ao::quantized_tensor<ao::mxfp8_e4m3>::allocate({huge, 64});
      },
      {std::to_string(huge), "64", "overflow"});
  expect_error([&] { (void)ao::quantized_tensor<ao::int8_symmetric_per_row>::allocate({huge, 4, 64}); }, {"overflow"});
  expect_error([&] { (void)ao::quantized_tensor<ao::mxfp4>::allocate(std::vector<std::size_t>{}); }, {"rank"});
}

TEST(QuantizeApiErrors, RegistryLookups) {
  expect_error([] { (void)ao::format_from_name("nope"); }, {"nope", "mxfp4", "nvfp4"});
  expect_error([] { (void)ao::visit_format(static_cast<ao::format_id>(9999), [](auto) { return 0; }); }, {"9999"});
  expect_error([] { (void)ao::visit_format(static_cast<ao::format_id>(ao::format_count), [](auto) { return 0; }); },
               {std::to_string(ao::format_count)});
  EXPECT_STREQ(ao::name(static_cast<ao::format_id>(9999)), "unknown");
}

template <class F, int Rank>
void check_empty(const std::array<std::size_t, Rank>& extents, ao::thread_pool& pool) {
  const ao::strided_view<const float, Rank> src(nullptr, extents);
  ao::quantized_tensor<F> q;
  EXPECT_NO_THROW(q = ao::quantize<F>(src, pool)) << ao::name<F>();
  EXPECT_EQ(q.data().size(), 0u);
  EXPECT_EQ(q.scales().size(), 0u);
  EXPECT_NO_THROW(ao::quantize<F>(src, q.view(), pool));
  EXPECT_NO_THROW(ao::dequantize(q.cview(), ao::strided_view<float, Rank>(nullptr, extents), pool));
}

TEST(QuantizeApi, EmptyTensorsDoNothing) {
  ao::thread_pool pool(2);
  ao_test::for_each_storage_shape([&](auto tag) {
    using F = typename decltype(tag)::type;
    const std::size_t cm = ao::format_traits<F>::col_multiple;
    check_empty<F, 2>({0, cm}, pool);
    check_empty<F, 2>({0, 0}, pool);
    check_empty<F, 3>({2, 0, cm}, pool);
    check_empty<F, 3>({0, 3, cm}, pool);
    if (ao::format_traits<F>::row_multiple == 1) {
      check_empty<F, 2>({4, 0}, pool);
      check_empty<F, 3>({2, 3, 0}, pool);
    }
  });
}

// A tensor with rows but no columns, of a format with 128-row tiles: 4 x 0 holds nothing, yet 4 is not a multiple
// of 128.
// A 4 x 0 tensor of a 128x128-tile format is empty, so no tile can straddle it: no error (check_format_shape
// accepts every empty shape).
TEST(QuantizeApi, EmptyTensorWithRowsButNoColumnsPerBlock128) {
  using F = ao::float8_e4m3_per_block_128x128;
  const ao::strided_view<const float, 2> src(nullptr, {4, 0});
  EXPECT_NO_THROW((void)ao::quantize<F>(src));
}

// ---- The registry ----

TEST(Registry, NamesIdsAndTypesRoundTrip) {
  std::size_t expected_id = 0;
  std::set<std::string> names;
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    const char* n = ao::name<F>();
    ASSERT_NE(n, nullptr);
    SCOPED_TRACE(n);
    EXPECT_TRUE(names.insert(n).second) << "duplicate name";
    const ao::format_id id = ao::id_of<F>();
    EXPECT_EQ(static_cast<std::size_t>(id), expected_id++) << "ids are dense, in list order";
    EXPECT_EQ(ao::format_from_name(n), id);
    EXPECT_STREQ(ao::name(id), n);
    EXPECT_STREQ(ao::display_name<F>(), n);
    const bool same = ao::visit_format(id, [](auto t) { return std::is_same_v<typename decltype(t)::type, F>; });
    EXPECT_TRUE(same);
    EXPECT_TRUE(ao::is_registered_v<F>);
  });
  EXPECT_EQ(expected_id, ao::format_count);
  EXPECT_EQ(ao::all_formats::size, ao::format_count);
  // Every id below format_count visits a format whose own id it is.
  for (std::size_t i = 0; i < ao::format_count; ++i) {
    const auto id = static_cast<ao::format_id>(i);
    EXPECT_EQ(ao::visit_format(id, [](auto t) { return ao::id_of<typename decltype(t)::type>(); }), id);
  }
  using user = ao::mxfp4::with_block_size<16>;
  EXPECT_FALSE(ao::is_registered_v<user>);
  EXPECT_EQ(ao::name<user>(), nullptr);
  EXPECT_STREQ(ao::display_name<user>(), "a user-defined format");
}

}  // namespace
