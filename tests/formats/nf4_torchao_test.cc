// The scalar NF4 oracle reproduces torchao's to_nf4(gauss_bf16, 64, 256) byte for byte: the bf16 LUT, every packed
// code byte, the int8 quantized scalers, the bf16 quantization factor and scaler mean (nf4.* of
// ../shared/data/torchao/other.safetensors), and every fp32 value of torchao's dequantized tensor, both from ao's
// own quantization and from torchao's stored bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/nf4.hpp"
#include "ao/error.hpp"
#include "ao/formats/nf4.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "safetensors_test_reader.hpp"

namespace {

using ao::testing::bits_of;
using F = ao::nf4<>;

std::uint16_t bf16_bits_at(const ao::testing::test_tensor& t, std::size_t i) {
  return static_cast<std::uint16_t>(t.bytes[2 * i] | t.bytes[2 * i + 1] << 8);
}

TEST(Nf4Format, Policy) {
  static_assert(F::block_size == 64 && F::scaler_block_size == 256, "torchao's defaults");
  static_assert(ao::is_nf4_v<F> && ao::is_nf4_v<ao::nf4<32, 128>> && !ao::is_nf4_v<int>, "trait");
  static_assert(std::is_same_v<F::nibble_order, ao::layout::nibble_order::high_first>, "first element high");
  static_assert(std::is_same_v<F::with_block_sizes<128>, ao::nf4<128, 256>>, "rebind");
  EXPECT_EQ(F::lut[0], -1.0);
  EXPECT_EQ(F::lut[7], 0.0);
  EXPECT_EQ(F::lut[15], 1.0);
  for (int j = 1; j < 16; ++j) EXPECT_LT(F::lut[j - 1], F::lut[j]);
}

TEST(Nf4Torchao, LutInBf16IsTorchaos) {
  const auto lut = ao::testing::torchao_other().get("nf4.nf4");
  ASSERT_EQ(lut.dtype, "BF16");
  ASSERT_EQ(lut.numel(), 16);
  for (int j = 0; j < 16; ++j) {
    const float v = ao::scalar::nf4_lut_value<F, ao::bfloat16>(j);
    EXPECT_EQ(ao::bfloat16(v).bits(), bf16_bits_at(lut, static_cast<std::size_t>(j))) << j;
  }
  // In fp32 the LUT is the float nearest to each decimal constant.
  EXPECT_EQ(ao::scalar::nf4_lut_value<F>(1), -0.6962f);
  EXPECT_EQ(ao::scalar::nf4_lut_value<F>(14), 0.7230f);
}

TEST(Nf4Torchao, QuantizeIsByteExact) {
  const auto& other = ao::testing::torchao_other();
  const auto src = ao::testing::torchao_inputs().get("gauss_bf16");
  ASSERT_EQ(src.dtype, "BF16");
  const std::vector<float> x = src.as_float();
  const std::size_t n = x.size();
  const auto want_q = other.get("nf4.quantized_data");
  const auto want_qs = other.get("nf4.quantized_scalers");
  const auto want_f = other.get("nf4.quantization_factor");
  const auto want_mean = other.get("nf4.scaler_mean");
  ASSERT_EQ(want_q.dtype, "U8");
  ASSERT_EQ(want_qs.dtype, "I8");
  ASSERT_EQ(want_f.dtype, "BF16");
  ASSERT_EQ(want_mean.dtype, "BF16");
  ASSERT_EQ(static_cast<std::size_t>(want_q.numel()), ao::scalar::nf4_packed_bytes<F>(n));
  ASSERT_EQ(static_cast<std::size_t>(want_qs.numel()), ao::scalar::nf4_scaler_count<F>(n));
  ASSERT_EQ(static_cast<std::size_t>(want_f.numel()), ao::scalar::nf4_factor_count<F>(n));

  std::vector<std::uint8_t> q(ao::scalar::nf4_packed_bytes<F>(n));
  std::vector<std::int8_t> qs(ao::scalar::nf4_scaler_count<F>(n));
  std::vector<ao::bfloat16> f(ao::scalar::nf4_factor_count<F>(n));
  ao::bfloat16 mean{};
  ao::scalar::quantize<F, ao::bfloat16>(x.data(), n, q.data(), qs.data(), f.data(), &mean);

  EXPECT_EQ(mean.bits(), bf16_bits_at(want_mean, 0)) << "mean " << float(mean);
  for (std::size_t g = 0; g < f.size(); ++g) EXPECT_EQ(f[g].bits(), bf16_bits_at(want_f, g)) << "factor " << g;
  int bad_qs = 0, bad_q = 0;
  for (std::size_t b = 0; b < qs.size(); ++b) {
    const auto want = static_cast<std::int8_t>(want_qs.bytes[b]);
    if (qs[b] != want && bad_qs++ < 5)
      ADD_FAILURE() << "scaler " << b << ": ao " << int(qs[b]) << ", torchao " << int(want);
  }
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] != want_q.bytes[i] && bad_q++ < 5) {
      ADD_FAILURE() << "byte " << i << ": ao " << int(q[i]) << ", torchao " << int(want_q.bytes[i])
                    << " (x = " << x[2 * i] << ", " << x[2 * i + 1] << ")";
    }
  }
  EXPECT_EQ(bad_qs, 0);
  EXPECT_EQ(bad_q, 0);
}

// How many of torchao's codes needed the tie rule (two LUT entries at the same bf16 distance): the file's codes
// are checked above, this makes sure the rule was exercised and picks the lower index.
TEST(Nf4Torchao, TiesGoToTheLowerIndex) {
  const auto src = ao::testing::torchao_inputs().get("gauss_bf16");
  const std::vector<float> x = src.as_float();
  const auto want_q = ao::testing::torchao_other().get("nf4.quantized_data");
  namespace d = ao::detail;
  std::size_t ties = 0;
  for (std::size_t b = 0; b < x.size() / 64; ++b) {
    float a = 0.0f;
    for (std::size_t i = 0; i < 64; ++i) a = std::max(a, std::fabs(x[b * 64 + i]));
    for (std::size_t i = 0; i < 64; ++i) {
      const float y = d::round_to_dtype<ao::bfloat16>(x[b * 64 + i] / a);
      float best = std::numeric_limits<float>::infinity();
      int first = -1, count = 0;
      for (int j = 0; j < 16; ++j) {
        const float dist =
            std::fabs(d::round_to_dtype<ao::bfloat16>(y - ao::scalar::nf4_lut_value<F, ao::bfloat16>(j)));
        if (dist < best) {
          best = dist;
          first = j;
          count = 1;
        } else if (dist == best) {
          ++count;
        }
      }
      if (count > 1) {
        ++ties;
        const std::size_t k = b * 64 + i;
        const int torchao_code = (want_q.bytes[k / 2] >> (k % 2 == 0 ? 4 : 0)) & 0xF;
        EXPECT_EQ(torchao_code, first) << "value " << k;
      }
    }
  }
  std::printf("NF4: %zu of %zu codes were ties in bf16\n", ties, x.size());
  EXPECT_GT(ties, 0u);
}

void expect_dequant_equal(const std::vector<float>& got, const ao::testing::test_tensor& want) {
  ASSERT_EQ(want.dtype, "F32");
  ASSERT_EQ(static_cast<std::size_t>(want.numel()), got.size());
  const std::vector<float> w = want.as_float();
  int bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (bits_of(got[i]) != bits_of(w[i]) && bad++ < 5) {
      ADD_FAILURE() << "value " << i << ": ao " << got[i] << ", torchao " << w[i];
    }
  }
  EXPECT_EQ(bad, 0);
}

TEST(Nf4Torchao, DequantizeTorchaosBytesIsExact) {
  const auto& other = ao::testing::torchao_other();
  const auto q = other.get("nf4.quantized_data");
  const auto qs = other.get("nf4.quantized_scalers");
  const auto f = other.get("nf4.quantization_factor");
  const auto mean = other.get("nf4.scaler_mean");
  const std::size_t n = 2 * q.bytes.size();
  std::vector<ao::bfloat16> factors;
  for (std::size_t g = 0; g < static_cast<std::size_t>(f.numel()); ++g) {
    factors.push_back(ao::bfloat16::from_bits(bf16_bits_at(f, g)));
  }
  std::vector<float> out(n);
  ao::scalar::dequantize<F, ao::bfloat16>(q.bytes.data(), reinterpret_cast<const std::int8_t*>(qs.bytes.data()),
                                          factors.data(), ao::bfloat16::from_bits(bf16_bits_at(mean, 0)), n,
                                          out.data());
  expect_dequant_equal(out, other.get("nf4.dequant"));

  // The same values as bf16, and the scalers on their own.
  std::vector<ao::bfloat16> out16(n);
  ao::scalar::dequantize<F, ao::bfloat16, ao::bfloat16>(
      q.bytes.data(), reinterpret_cast<const std::int8_t*>(qs.bytes.data()), factors.data(),
      ao::bfloat16::from_bits(bf16_bits_at(mean, 0)), n, out16.data());
  for (std::size_t i = 0; i < n; i += 97) EXPECT_EQ(float(out16[i]), out[i]) << i;
  std::vector<ao::bfloat16> scalers(static_cast<std::size_t>(qs.numel()));
  ao::scalar::dequantize_scalers<F, ao::bfloat16>(reinterpret_cast<const std::int8_t*>(qs.bytes.data()), factors.data(),
                                                  ao::bfloat16::from_bits(bf16_bits_at(mean, 0)), scalers.size(),
                                                  scalers.data());
  // Element 0's code is the high nibble of byte 0; its value is LUT[code] * scaler 0 (rounded to bf16).
  const int code0 = q.bytes[0] >> 4;
  EXPECT_EQ(out[0], float(ao::bfloat16(ao::scalar::nf4_lut_value<F, ao::bfloat16>(code0) * float(scalers[0]))));
}

TEST(Nf4Torchao, QuantizeThenDequantizeIsTorchaos) {
  const auto src = ao::testing::torchao_inputs().get("gauss_bf16");
  const std::vector<float> x = src.as_float();
  const std::size_t n = x.size();
  std::vector<std::uint8_t> q(n / 2);
  std::vector<std::int8_t> qs(n / 64);
  std::vector<ao::bfloat16> f(n / 64 / 256);
  ao::bfloat16 mean{};
  ao::scalar::quantize<F, ao::bfloat16>(x.data(), n, q.data(), qs.data(), f.data(), &mean);
  std::vector<float> out(n);
  ao::scalar::dequantize<F, ao::bfloat16>(q.data(), qs.data(), f.data(), mean, n, out.data());
  expect_dequant_equal(out, ao::testing::torchao_other().get("nf4.dequant"));
}

TEST(Nf4, NearestCodeEdges) {
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(-1.0f), 0);
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(1.0f), 15);
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(0.0f), 7);
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(-0.0f), 7);
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(0.04f), 8);   // |0.04 - 0.0796| < |0.04 - 0|
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(0.039f), 7);  // |0.039 - 0| < |0.039 - 0.0796|
  EXPECT_EQ(ao::scalar::nf4_nearest_code<F>(std::numeric_limits<float>::quiet_NaN()), 0);  // 0/0 of a zero block
}

TEST(Nf4, ZeroBlockAndFloatInput) {
  // A tensor of 64 * 256 values where block 0 is all zero: its codes are 0 (0/0 = NaN), and it dequantizes to
  // LUT[0] * scaler; every other block holds -2..2 ramps, so their codes and values are checked against a direct
  // computation.
  const std::size_t n = 64 * 256;
  std::vector<float> x(n, 0.0f);
  for (std::size_t i = 64; i < n; ++i) x[i] = -2.0f + 4.0f * static_cast<float>(i % 64) / 63.0f;
  std::vector<std::uint8_t> q(n / 2);
  std::vector<std::int8_t> qs(n / 64);
  float f = 0.0f, mean = 0.0f;
  ao::scalar::quantize<F>(x.data(), n, q.data(), qs.data(), &f, &mean);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(q[i], 0) << i;
  // Every other block has absmax 2: mean = 2 * 255 / 256; c = 2 - mean = 2/256 or -mean; max |c| = mean.
  EXPECT_EQ(mean, 2.0f * 255.0f / 256.0f);
  EXPECT_EQ(f, 1.0f / (2.0f * mean) * 256.0f);
  EXPECT_EQ(qs[0], -128);  // round(-mean * f) = round(-128)
  EXPECT_EQ(qs[1], 1);     // round((2/256) * 256 / (2 * mean)) = round(0.5039...)
  // The ramp: x = -2 gives code 0, x = 2 gives 15 (y = +-1 exactly), in the high nibble for even elements.
  EXPECT_EQ(q[32] >> 4, 0);
  EXPECT_EQ(q[63] & 0xF, 15);
}

TEST(Nf4, BadSizeThrows) {
  std::vector<float> x(64 * 255, 1.0f);
  std::vector<std::uint8_t> q(x.size());
  std::vector<std::int8_t> qs(x.size());
  float f = 0.0f, mean = 0.0f;
  try {
    ao::scalar::quantize<F>(x.data(), x.size(), q.data(), qs.data(), &f, &mean);
    ADD_FAILURE() << "no throw";
  } catch (const ao::error& e) {
    EXPECT_NE(std::string(e.what()).find("16384"), std::string::npos) << e.what();
  }
  std::vector<float> out(x.size());
  EXPECT_THROW(ao::scalar::dequantize<F>(q.data(), qs.data(), &f, mean, 100, out.data()), ao::error);
  EXPECT_THROW(ao::scalar::dequantize_scalers<F>(qs.data(), &f, mean, 100, out.data()), ao::error);
  // Smaller blocks rebind: nf4<32, 4> takes multiples of 128 values.
  using G = ao::nf4<32, 4>;
  std::vector<float> y(128, 0.5f);
  y[3] = -1.0f;
  EXPECT_NO_THROW(ao::scalar::quantize<G>(y.data(), y.size(), q.data(), qs.data(), &f, &mean));
  EXPECT_EQ(q[1] & 0xF, 0);  // element 3: -1 / 1 -> LUT[0]
}

}  // namespace
