// Round-trip accuracy through ao::quantize / ao::dequantize: the SQNR thresholds of torchao's own tests (numerics
// spec §8, "SQNR thresholds"), on deterministic randn bf16 inputs. SQNR = 20 log10(||x|| / ||x - y||) (torchao's
// compute_error), in double. Each threshold names the spec line it comes from; the thresholds are torchao's, the
// inputs are ours (Box-Muller on a fixed-seed std::mt19937, so every standard library gives the same values).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"
#include "sqnr_test_util.hpp"

namespace {

using namespace ao_sqnr;  // NOLINT: the shared helpers of the SQNR tests

TEST(Sqnr, MxRoundTripBlock32) { check_mx_block<32>(); }
// The registered MX formats through the default backend (the one users get), 128 x 128.
TEST(Sqnr, MxRegisteredFormatsDefaultBackend) {
  const std::vector<ao::bfloat16> x = randn_bf16(128 * 128, 7);
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    if constexpr (std::is_same_v<typename ao::format_traits<F>::family, ao::format_family::block_scaled>) {
      const double threshold = std::is_same_v<typename F::element_type, ao::float8_e4m3fn> ? 18.0 : 13.0;
      EXPECT_GE(sqnr_db(ao_test::widen(x), round_trip<F, 2>(x, ao::backend::highway{})), threshold) << ao::name<F>();
    }
  });
}

// Spec §8, "NVFP4 (test_nvfp4_tensor.py): reconstructed block amax (scale*6) vs true amax >= 30 dB; data round trip
// >= 8 dB".
template <class F>
void check_nvfp4() {
  SCOPED_TRACE(ao::name<F>());
  const std::vector<ao::bfloat16> x = randn_bf16(128 * 128, 201);
  EXPECT_GE(sqnr_db(ao_test::widen(x), round_trip<F, 2>(x, ao::backend::highway{})), 8.0);
  const ao::quantized_tensor<F> q =
      ao::quantize<F>(ao::strided_view<const ao::bfloat16, 2>(x.data(), {128, 128}), ao::backend::highway{});
  std::vector<float> true_amax, reconstructed;
  for (std::size_t b = 0; b < 128 * 128 / 16; ++b) {
    float amax = 0.0f;
    for (std::size_t i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(float(x[b * 16 + i])));
    true_amax.push_back(amax);
    // torchao's get_hp_scales: the e4m3 block scale, times the global scale when there is one.
    const float s = float(q.scales()[b]) * (F::global_scale ? q.global_scale() : 1.0f);
    reconstructed.push_back(s * 6.0f);
  }
  EXPECT_GE(sqnr_db(true_amax, reconstructed), 30.0);
}

TEST(Sqnr, Nvfp4) {
  check_nvfp4<ao::nvfp4>();
  check_nvfp4<ao::nvfp4_global_scale>();
}

// Spec §8, "Float8 (test/float8/test_base.py): axiswise dynamic cast round trip >= 25 dB" (e4m3, one scale per row)
// and "Float8Tensor tests > 25/15/20 dB" (we take the 25 for the e4m3 tensor-, row- and block-wise round trips).
TEST(Sqnr, Float8E4m3RoundTrip) {
  const std::vector<ao::bfloat16> x = randn_bf16(128 * 128, 301);
  const std::vector<float> xf = ao_test::widen(x);
  EXPECT_GE(sqnr_db(xf, round_trip<ao::float8_e4m3_per_row, 2>(x, ao::backend::highway{})), 25.0);
  EXPECT_GE(sqnr_db(xf, round_trip<ao::float8_e4m3_per_tensor, 2>(x, ao::backend::highway{})), 25.0);
  EXPECT_GE(sqnr_db(xf, round_trip<ao::float8_e4m3_per_block_1x128, 2>(x, ao::backend::highway{})), 25.0);
  EXPECT_GE(sqnr_db(xf, round_trip<ao::float8_e4m3_per_block_128x128, 2>(x, ao::backend::highway{})), 25.0);
  EXPECT_GE(sqnr_db(xf, round_trip<ao::float8_e4m3fnuz_per_row, 2>(x, ao::backend::highway{})), 25.0);
}

// Spec §8, "Int8Tensor: > 20 dB (linear output and weight dequant)": the int8 weight round trips.
TEST(Sqnr, Int8WeightDequant) {
  const std::vector<ao::bfloat16> w = randn_bf16(128 * 128, 401);
  const std::vector<float> wf = ao_test::widen(w);
  EXPECT_GT(sqnr_db(wf, round_trip<ao::int8_symmetric_per_row, 2>(w, ao::backend::highway{})), 20.0);
  EXPECT_GT(sqnr_db(wf, round_trip<ao::int8_asymmetric_per_row, 2>(w, ao::backend::highway{})), 20.0);
  EXPECT_GT(sqnr_db(wf, round_trip<ao::int8_symmetric_per_tensor, 2>(w, ao::backend::highway{})), 20.0);
  EXPECT_GT(sqnr_db(wf, round_trip<ao::uint8_asymmetric_per_row, 2>(w, ao::backend::highway{})), 20.0);
}

// Weight-only linear layers: y = x W^T with W quantized and x not (bf16 x, computed in double), against the
// unquantized W. Spec §8: "Int4 (linear output vs bf16 linear): Int4Tensor > 18 dB" (Int4WeightOnlyConfig, a
// weight-only config) and "NVFP4 linear: weight-only >= 18 dB". The spec's other Int4 numbers (> 20/15 dB) are
// for specific layouts and dynamic activations, and the MX linear ones quantize the activations too: not taken.
template <class F>
double weight_only_linear_sqnr() {
  const std::size_t in = 128, out = 128, batch = 32;
  const std::vector<ao::bfloat16> w = randn_bf16(out * in, 501);
  const std::vector<float> wf = ao_test::widen(w);
  const std::vector<float> wq = round_trip<F, 2>(w, ao::backend::highway{});
  const std::vector<float> x = ao_test::widen(randn_bf16(batch * in, 502));
  std::vector<float> y(batch * out), yq(batch * out);
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t o = 0; o < out; ++o) {
      double s = 0.0, sq = 0.0;
      for (std::size_t i = 0; i < in; ++i) {
        s += double(x[b * in + i]) * double(wf[o * in + i]);
        sq += double(x[b * in + i]) * double(wq[o * in + i]);
      }
      y[b * out + o] = static_cast<float>(s);
      yq[b * out + o] = static_cast<float>(sq);
    }
  }
  return sqnr_db(y, yq);
}

TEST(Sqnr, Int4WeightOnlyLinear) {
  EXPECT_GT(weight_only_linear_sqnr<ao::tinygemm_int4_group128>(), 18.0);
  EXPECT_GT(weight_only_linear_sqnr<ao::tinygemm_int4_group32>(), 18.0);
  EXPECT_GT(weight_only_linear_sqnr<ao::int4_symmetric_group32>(), 18.0);
  EXPECT_GT(weight_only_linear_sqnr<ao::int4_asymmetric_group32>(), 18.0);
}

TEST(Sqnr, Nvfp4WeightOnlyLinear) {
  EXPECT_GE(weight_only_linear_sqnr<ao::nvfp4>(), 18.0);
  EXPECT_GE(weight_only_linear_sqnr<ao::nvfp4_global_scale>(), 18.0);
}

}  // namespace
