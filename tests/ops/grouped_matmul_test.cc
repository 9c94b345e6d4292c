// ao::grouped_matmul and ao::bmm (ao/ops/grouped_matmul.hpp). The stacked weights are quantized as one 3-D tensor;
// each expert's weights are also quantized alone as a 2-D tensor (for the per-row, group and block formats here the
// two give the same codes and scales), and ao::matmul on that 2-D tensor and the expert's rows of x must give the
// same bits as the grouped call: so the slicing of codes, scales and zero points and of x and y is checked against
// an independent construction. One format is also checked against a float64 reference of the dequantized weights.
// Plus the integer path (quantized x, W4A8), bias, rows past the last offset, empty experts and argument errors.
#include "ao/ops/grouped_matmul.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "expect_error.hpp"

namespace {

using ao::testing::expect_error;

std::vector<float> normal_values(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

template <class T>
std::uint32_t bits(T v) {
  const float f = static_cast<float>(v);
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Grouped weight-only matmul of format F: E experts of N x K, T tokens with the given offsets, bias or not.
template <class F, class Dst = float>
void check_grouped(std::size_t n, std::size_t k, const std::vector<std::int64_t>& offsets, std::size_t t,
                   bool with_bias, std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::display_name<F>()) + " N=" + std::to_string(n) + " K=" + std::to_string(k));
  const std::size_t e = offsets.size();
  const std::vector<float> wf = normal_values(e * n * k, seed, 0.1f);
  const std::vector<float> x = normal_values(t * (k + 3), seed + 1);
  const std::vector<float> bias = normal_values(e * n, seed + 2);
  const auto w = ao::quantize<F>(ao::strided_view<const float, 3>(wf.data(), {e, n, k}));
  const ao::strided_view<const float, 2> xv(x.data(), {t, k}, {static_cast<std::ptrdiff_t>(k + 3), 1});
  std::vector<Dst> y(t * n, Dst(-5.0f));
  const ao::strided_view<Dst, 2> yv(y.data(), {t, n});
  const ao::strided_view<const std::int64_t, 1> off(offsets.data(), {e});
  const ao::strided_view<const float, 2> bv(bias.data(), {e, n});
  ao::thread_pool pool(2);
  if (with_bias) {
    ao::grouped_matmul(xv, w, off, bv, yv, pool);
  } else {
    ao::grouped_matmul(xv, w, off, yv);
  }
  std::size_t begin = 0;
  for (std::size_t ex = 0; ex < e; ++ex) {
    const auto end = static_cast<std::size_t>(offsets[ex]);
    const auto we = ao::quantize<F>(ao::strided_view<const float, 2>(wf.data() + ex * n * k, {n, k}));
    std::vector<Dst> ye((end - begin) * n);
    const ao::strided_view<const float, 2> xe(x.data() + begin * (k + 3), {end - begin, k},
                                              {static_cast<std::ptrdiff_t>(k + 3), 1});
    if (with_bias) {
      ao::matmul(xe, we, ao::strided_view<const float, 1>(bias.data() + ex * n, {n}),
                 ao::strided_view<Dst, 2>(ye.data(), {end - begin, n}));
    } else {
      ao::matmul(xe, we, ao::strided_view<Dst, 2>(ye.data(), {end - begin, n}));
    }
    for (std::size_t i = 0; i < ye.size(); ++i) {
      ASSERT_EQ(bits(y[begin * n + i]), bits(ye[i])) << "expert " << ex << " output " << i;
    }
    begin = end;
  }
  for (std::size_t i = begin * n; i < t * n; ++i) EXPECT_EQ(static_cast<float>(y[i]), 0.0f) << "past the last offset";
}

TEST(GroupedMatmul, WeightOnlyFormatsAgainstPerExpertMatmul) {
  check_grouped<ao::int4_asymmetric_group32>(20, 64, {5, 5, 12}, 14, true, 1);  // an empty expert, 2 rows past
  check_grouped<ao::mxfp4>(7, 96, {3, 9}, 9, false, 2);
  check_grouped<ao::nvfp4>(5, 64, {0, 4, 6, 11}, 11, true, 3);
  check_grouped<ao::float8_e4m3_per_row, ao::bfloat16>(9, 32, {1, 2}, 3, true, 4);
  check_grouped<ao::float8_e4m3_per_block_128x128>(128, 128, {2, 5}, 5, false, 5);
  check_grouped<ao::tinygemm_int4_group32>(6, 64, {8}, 8, true, 6);
}

TEST(GroupedMatmul, AgainstFloat64OfDequantizedWeights) {
  // y[t] = x[t] @ dequant(W[e])^T + bias[e], with the dequantized stack from the scalar oracle, in double.
  using F = ao::int4_symmetric_group32;
  const std::size_t e = 3, n = 11, k = 128, t = 10;
  const std::vector<std::int32_t> offsets = {4, 4, 10};
  const std::vector<float> wf = normal_values(e * n * k, 10, 0.1f), x = normal_values(t * k, 11),
                           bias = normal_values(e * n, 12);
  const auto w = ao::quantize<F>(ao::strided_view<const float, 3>(wf.data(), {e, n, k}));
  std::vector<float> wd(e * n * k), y(t * n);
  ao::dequantize(w.cview(), ao::strided_view<float, 2>(wd.data(), {e * n, k}), ao::backend::scalar{});
  ao::grouped_matmul(ao::strided_view<const float, 2>(x.data(), {t, k}), w,
                     ao::strided_view<const std::int32_t, 1>(offsets.data(), {e}),
                     ao::strided_view<const float, 2>(bias.data(), {e, n}), ao::strided_view<float, 2>(y.data(), {t, n}));
  for (std::size_t i = 0; i < t; ++i) {
    const std::size_t ex = i < 4 ? 0 : 2;
    for (std::size_t j = 0; j < n; ++j) {
      double s = bias[ex * n + j], mag = std::fabs(bias[ex * n + j]);
      for (std::size_t c = 0; c < k; ++c) {
        s += double(x[i * k + c]) * double(wd[(ex * n + j) * k + c]);
        mag += std::fabs(double(x[i * k + c]) * double(wd[(ex * n + j) * k + c]));
      }
      EXPECT_LE(std::fabs(y[i * n + j] - s), (k + 2) * std::ldexp(mag, -24)) << i << ", " << j;
    }
  }
}

TEST(GroupedMatmul, QuantizedActivations) {
  // The integer path: x quantized per token, W4A8 (group-wise W) and int8 x int8 (per-row W).
  using A = ao::int8_asymmetric_per_row;
  const std::size_t e = 3, n = 8, k = 128, t = 9;
  const std::vector<std::int64_t> offsets = {2, 7, 9};
  const std::vector<float> wf = normal_values(e * n * k, 20, 0.1f), x = normal_values(t * k, 21);
  const auto xq = ao::quantize<A>(ao::strided_view<const float, 2>(x.data(), {t, k}));
  auto run = [&](auto format_tag) {
    using F = decltype(format_tag);
    SCOPED_TRACE(ao::display_name<F>());
    const auto w = ao::quantize<F>(ao::strided_view<const float, 3>(wf.data(), {e, n, k}));
    std::vector<float> y(t * n);
    ao::grouped_matmul(xq, w, ao::strided_view<const std::int64_t, 1>(offsets.data(), {e}),
                       ao::strided_view<float, 2>(y.data(), {t, n}));
    std::size_t begin = 0;
    for (std::size_t ex = 0; ex < e; ++ex) {
      const std::size_t end = static_cast<std::size_t>(offsets[ex]), rows = end - begin;
      const auto we = ao::quantize<F>(ao::strided_view<const float, 2>(wf.data() + ex * n * k, {n, k}));
      const auto xe = ao::quantize<A>(ao::strided_view<const float, 2>(x.data() + begin * k, {rows, k}));
      std::vector<float> ye(rows * n);
      ao::matmul(xe, we, ao::strided_view<float, 2>(ye.data(), {rows, n}));
      for (std::size_t i = 0; i < ye.size(); ++i) ASSERT_EQ(bits(y[begin * n + i]), bits(ye[i])) << ex << ", " << i;
      begin = end;
    }
  };
  run(ao::int4_symmetric_group32{});
  run(ao::int8_symmetric_per_row{});
}

TEST(Bmm, AgainstPerBatchMatmul) {
  using F = ao::mxfp4;
  const std::size_t b = 3, m = 5, n = 6, k = 64;
  const std::vector<float> wf = normal_values(b * n * k, 30, 0.1f), bias = normal_values(b * n, 31);
  // x: B x M x K with padded rows and a padded batch stride.
  const std::size_t row = k + 5, batch = m * row + 7;
  const std::vector<float> x = normal_values(b * batch, 32);
  const auto w = ao::quantize<F>(ao::strided_view<const float, 3>(wf.data(), {b, n, k}));
  std::vector<ao::bfloat16> y(b * m * n);
  ao::bmm(ao::strided_view<const float, 3>(x.data(), {b, m, k},
                                           {static_cast<std::ptrdiff_t>(batch), static_cast<std::ptrdiff_t>(row), 1}),
          w, ao::strided_view<const float, 2>(bias.data(), {b, n}), ao::strided_view<ao::bfloat16, 3>(y.data(), {b, m, n}));
  for (std::size_t i = 0; i < b; ++i) {
    const auto wi = ao::quantize<F>(ao::strided_view<const float, 2>(wf.data() + i * n * k, {n, k}));
    std::vector<ao::bfloat16> yi(m * n);
    ao::matmul(ao::strided_view<const float, 2>(x.data() + i * batch, {m, k}, {static_cast<std::ptrdiff_t>(row), 1}),
               wi, ao::strided_view<const float, 1>(bias.data() + i * n, {n}),
               ao::strided_view<ao::bfloat16, 2>(yi.data(), {m, n}));
    for (std::size_t j = 0; j < m * n; ++j) ASSERT_EQ(y[i * m * n + j].bits(), yi[j].bits()) << i << ", " << j;
  }
}

TEST(GroupedMatmul, ArgumentErrors) {
  const std::size_t n = 4, k = 32;
  const std::vector<float> wf = normal_values(2 * n * k, 40), x = normal_values(6 * k, 41);
  const auto w = ao::quantize<ao::int4_symmetric_group32>(ao::strided_view<const float, 3>(wf.data(), {2, n, k}));
  const ao::strided_view<const float, 2> xv(x.data(), {6, k});
  std::vector<float> y(6 * n, 3.0f);
  const ao::strided_view<float, 2> yv(y.data(), {6, n});
  auto offsets = [](const std::vector<std::int64_t>& o) {
    return ao::strided_view<const std::int64_t, 1>(o.data(), {o.size()});
  };
  const std::vector<std::int64_t> down = {4, 2}, past = {2, 7}, three = {1, 2, 6}, none = {}, ok = {2, 6};
  expect_error([&] { ao::grouped_matmul(xv, w, offsets(down), yv); }, {"offsets[1] = 2", "non-decreasing"});
  expect_error([&] { ao::grouped_matmul(xv, w, offsets(past), yv); }, {"offsets[1] = 7", "[2, 6]"});
  expect_error([&] { ao::grouped_matmul(xv, w, offsets(three), yv); }, {"3-D tensor of 3"});
  expect_error([&] { ao::grouped_matmul(xv, w, offsets(none), yv); }, {"at least one expert"});
  expect_error([&] { ao::grouped_matmul(xv, w, offsets(ok), ao::strided_view<float, 2>(y.data(), {6, 3})); },
               {"y is 6 x 3", "6 x 4"});
  for (float v : y) EXPECT_EQ(v, 3.0f) << "nothing written on error";
  // A view of 7 rows is not 2 experts; and a 128 x 128 block format cannot be cut at row 64.
  auto view = w.cview();
  view.rows = 7;
  expect_error([&] { ao::grouped_matmul(xv, view, offsets(ok), yv); }, {"7 rows are not 2 experts"});
  const std::vector<float> big = normal_values(128 * 128, 42);
  const auto blocks =
      ao::quantize<ao::float8_e4m3_per_block_128x128>(ao::strided_view<const float, 2>(big.data(), {128, 128}));
  const std::vector<float> x128 = normal_values(2 * 128, 43);
  std::vector<float> y64(2 * 64);
  expect_error(
      [&] {
        ao::grouped_matmul(ao::strided_view<const float, 2>(x128.data(), {2, 128}), blocks.cview(),
                           offsets({1, 2}), ao::strided_view<float, 2>(y64.data(), {2, 64}));
      },
      {"rows 0 to 64", "128 rows each"});
  // bmm: W of 2 matrices for 3 batches.
  std::vector<float> y3(3 * 2 * n);
  expect_error(
      [&] {
        ao::bmm(ao::strided_view<const float, 3>(x.data(), {3, 2, k}), w,
                ao::strided_view<float, 3>(y3.data(), {3, 2, n}));
      },
      {"3-D tensor of 3"});
}

}  // namespace
