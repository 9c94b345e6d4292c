// ao::pad_last_dim: quantizing equals quantizing a zero-padded copy, and dequantize writes exactly the logical
// columns; and quantized views with padded data and scale rows hold the dense bytes at their strided places.
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

constexpr std::uint32_t sentinel_bits = 0x7FA5A5A5u;  // a NaN no kernel writes

// A dst quantized view with padded data rows and scale rows: the dense bytes, at the strided places, and the
// gaps untouched.
template <class F>
void check_strided_quantized_view() {
  SCOPED_TRACE(std::string(ao::name<F>()) + ": strided quantized view");
  using traits = ao::format_traits<F>;
  const std::size_t rows = test_rows<F>(6), cols = 256;
  const std::vector<float> x = ao_test::llm_like<float>(rows, cols, 41, false);
  const ao::quantized_tensor<F> dense = ao::quantize<F>(cview_of<float, 2>(x, {rows, cols}), ao::backend::scalar{});
  const std::size_t row_bytes = traits::data_row_bytes(cols), srows = traits::scale_rows(rows, cols),
                    scols = traits::scale_cols(rows, cols);
  const std::size_t data_stride = row_bytes + 8, scales_stride = scols + 3;
  std::vector<std::uint8_t> data(rows * data_stride, 0xA5);
  std::vector<ao::scale_storage_t<F>> scales(srows * scales_stride);
  std::vector<ao::zero_point_storage_t<F>> zero_points(srows * scales_stride);
  std::memset(static_cast<void*>(scales.data()), 0xA5, scales.size() * sizeof(scales[0]));
  std::memset(static_cast<void*>(zero_points.data()), 0xA5, zero_points.size() * sizeof(zero_points[0]));
  float global_scale = 0.0f;
  ao::quantized_view<F> v;
  v.data = data.data();
  v.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  v.scales = scales.data();
  v.scales_stride = static_cast<std::ptrdiff_t>(scales_stride);
  if constexpr (ao::has_zero_points_v<F>) {
    v.zero_points = zero_points.data();
    v.zero_points_stride = static_cast<std::ptrdiff_t>(scales_stride);
  }
  if (dense.cview().global_scale != nullptr) v.global_scale = &global_scale;
  v.rows = rows;
  v.cols = cols;
  ao::quantize<F>(cview_of<float, 2>(x, {rows, cols}), v);
  for (std::size_t r = 0; r < rows; ++r) {
    EXPECT_EQ(std::memcmp(data.data() + r * data_stride, dense.data().data() + r * row_bytes, row_bytes), 0) << r;
    for (std::size_t i = row_bytes; i < data_stride; ++i) EXPECT_EQ(data[r * data_stride + i], 0xA5) << r;
  }
  const std::size_t sb = sizeof(ao::scale_storage_t<F>);
  const auto scale_bytes = ao_test::bytes_of(scales.data(), scales.size());
  const auto dense_scale_bytes = ao_test::bytes_of(dense.scales().data(), dense.scales().size());
  for (std::size_t r = 0; r < srows; ++r) {
    EXPECT_EQ(
        std::memcmp(scale_bytes.data() + r * scales_stride * sb, dense_scale_bytes.data() + r * scols * sb, scols * sb),
        0)
        << r;
    for (std::size_t i = scols * sb; i < scales_stride * sb; ++i)
      EXPECT_EQ(scale_bytes[r * scales_stride * sb + i], 0xA5);
  }
  if constexpr (ao::has_zero_points_v<F>) {
    for (std::size_t r = 0; r < srows; ++r) {
      for (std::size_t c = 0; c < scols; ++c) {
        EXPECT_EQ(bits_of(float(zero_points[r * scales_stride + c])),
                  bits_of(float(dense.zero_points()[r * scols + c])));
      }
    }
  }
  if (v.global_scale != nullptr) {
    EXPECT_EQ(bits_of(global_scale), bits_of(dense.global_scale()));
  }

  // And back: the strided quantized view dequantizes like the dense one.
  std::vector<float> from_strided(rows * cols), from_dense = dequantize_all<F, float>(dense, ao::backend::scalar{});
  ao::dequantize(v, ao::strided_view<float, 2>(from_strided.data(), {rows, cols}));
  EXPECT_EQ(ao_test::first_bit_difference(from_strided, from_dense), -1);
}

TEST(QuantizeApi, StridedQuantizedViews) {
  for_each_storage_shape([&](auto tag) { check_strided_quantized_view<typename decltype(tag)::type>(); });
}

// ---- Padding ----

template <class F>
void check_padding() {
  SCOPED_TRACE(ao::name<F>());
  using traits = ao::format_traits<F>;
  const std::size_t cm = traits::col_multiple;
  const std::size_t rows = test_rows<F>(5), cols = cm == 1 ? 37 : 2 * cm + 3;
  const std::size_t padded_cols = (cols + cm - 1) / cm * cm;
  const std::vector<float> x = ao_test::llm_like<float>(rows, cols, 51, false);
  std::vector<float> padded(rows * padded_cols, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) std::copy_n(x.begin() + r * cols, cols, padded.begin() + r * padded_cols);

  const ao::quantized_tensor<F> q = ao::quantize<F>(cview_of<float, 2>(x, {rows, cols}), ao::pad_last_dim);
  const ao::quantized_tensor<F> q_scalar =
      ao::quantize<F>(cview_of<float, 2>(x, {rows, cols}), ao::backend::scalar{}, ao::pad_last_dim);
  const ao::quantized_tensor<F> want =
      ao::quantize<F>(cview_of<float, 2>(padded, {rows, padded_cols}), ao::backend::scalar{});
  EXPECT_EQ(q.stored_cols(), padded_cols);
  EXPECT_EQ(q.logical_cols(), cols);
  EXPECT_EQ(q.shape(), (std::vector<std::size_t>{rows, cols}));
  EXPECT_TRUE(ao_test::snap(q) == ao_test::snap(want));
  EXPECT_TRUE(ao_test::snap(q_scalar) == ao_test::snap(want));

  // Dequantize writes the logical columns of each row and nothing after them (a guard of 40 values a row).
  const std::vector<float> full = dequantize_all<F, float>(want, ao::backend::scalar{});
  const std::size_t stride = cols + 40;
  for (int hwy = 0; hwy < 2; ++hwy) {
    std::vector<float> out(rows * stride, ao::detail::bit_cast<float>(sentinel_bits));
    const ao::strided_view<float, 2> dst(out.data(), {rows, cols}, {static_cast<std::ptrdiff_t>(stride), 1});
    if (hwy) {
      ao::dequantize(q.cview(), dst, ao::pad_last_dim);
    } else {
      ao::dequantize(q.cview(), dst, ao::pad_last_dim, ao::backend::scalar{});
    }
    std::size_t wrong = 0, touched = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < stride; ++c) {
        const std::uint32_t b = bits_of(out[r * stride + c]);
        if (c < cols) {
          wrong += b != bits_of(full[r * padded_cols + c]);
        } else {
          touched += b != sentinel_bits;
        }
      }
    }
    EXPECT_EQ(wrong, 0u) << (hwy ? "highway" : "scalar");
    EXPECT_EQ(touched, 0u) << (hwy ? "highway" : "scalar");
  }
  if (cols != padded_cols) {
    // Without ao::pad_last_dim the logical shape is refused, naming both shapes and the option.
    std::vector<float> out(rows * cols);
    try {
      ao::dequantize(q.cview(), ao::strided_view<float, 2>(out.data(), {rows, cols}));
      ADD_FAILURE() << "no ao::error";
    } catch (const ao::error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(std::to_string(padded_cols)), std::string::npos) << m;
      EXPECT_NE(m.find(std::to_string(cols)), std::string::npos) << m;
      EXPECT_NE(m.find("pad_last_dim"), std::string::npos) << m;
    }
  }
}

TEST(QuantizeApi, PadLastDimEqualsZeroPaddedCopy) {
  for_each_storage_shape([&](auto tag) { check_padding<typename decltype(tag)::type>(); });
}

}  // namespace
