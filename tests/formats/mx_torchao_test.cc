// The scalar MX oracle reproduces torchao's to_mx byte for byte: every scale byte, every element byte and every
// dequantized value of ../shared/data/torchao/mx.safetensors (5 element types x 4 scale rules x 6 inputs, fp32
// and bf16), and the spec's tables (§1.2 worked example and scale-byte table, §1.7 corner cases).
// In blocks whose scale is NaN (255), torchao's fp4/fp6 element bytes are its CPU converter's codes for the NaN
// products (its CUDA kernels differ; the spec §1.3 calls them unspecified): ao reproduces the CPU's, and they are
// compared like every other byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/formats/mx.hpp"
#include "safetensors_test_reader.hpp"

namespace {

using ao::testing::bits_of;
using ao::testing::test_safetensors;


const char* const kInputs[] = {"gauss_f32", "gauss_bf16", "outlier_f32", "outlier_bf16", "special_f32", "nan_f32"};

template <class F>
void check_against_torchao(const std::string& elem, const std::string& mode) {
  for (const char* input : kInputs) {
    SCOPED_TRACE(elem + "." + mode + "." + input);
    const auto src = ao::testing::torchao_inputs().get(input);
    const std::vector<float> x = src.as_float();
    const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
    const std::string key = elem + "." + mode + "." + input;
    const auto want_scale = ao::testing::torchao_mx().get(key + ".scale").bytes;
    const auto want_q = ao::testing::torchao_mx().get(key + ".qdata").bytes;
    const std::vector<float> want_dq = ao::testing::torchao_mx().get(key + ".dequant").as_float();

    std::vector<std::uint8_t> scale(rows * ao::scalar::scales_per_row<F>(cols));
    std::vector<std::uint8_t> q(rows * ao::scalar::packed_row_bytes<F>(cols));
    ao::scalar::quantize_rows<F>(x.data(), rows, cols, q.data(), scale.data());
    ASSERT_EQ(scale.size(), want_scale.size());
    ASSERT_EQ(q.size(), want_q.size());

    int bad_scales = 0, bad_q = 0, bad_dq = 0, nan_block_bytes = 0;
    for (std::size_t i = 0; i < scale.size(); ++i) bad_scales += scale[i] != want_scale[i];
    const std::size_t bytes_per_block = F::block_size / F::elements_per_byte;
    for (std::size_t i = 0; i < q.size(); ++i) {
      nan_block_bytes += scale[i / bytes_per_block] == 255;
      if (q[i] != want_q[i] && bad_q++ < 3) {
        ADD_FAILURE() << "qdata byte " << i << ": ao " << int(q[i]) << ", torchao " << int(want_q[i]);
      }
    }
    std::vector<float> dq(rows * cols);
    ao::scalar::dequantize_rows<F>(q.data(), scale.data(), rows, cols, dq.data());
    for (std::size_t i = 0; i < dq.size(); ++i) {
      std::uint32_t a, b;
      std::memcpy(&a, &dq[i], 4);
      std::memcpy(&b, &want_dq[i], 4);
      const bool same = a == b || (std::isnan(dq[i]) && std::isnan(want_dq[i]));
      if (!same && bad_dq++ < 3) {
        ADD_FAILURE() << "dequant " << i << ": ao " << dq[i] << ", torchao " << want_dq[i];
      }
    }
    EXPECT_EQ(bad_scales, 0);
    EXPECT_EQ(bad_q, 0);
    EXPECT_EQ(bad_dq, 0);
    // NaN-scale blocks come from NaN/Inf inputs, and in EVEN mode from values near fp32's max (spec §1.2): the
    // files have them, so the comparison above covered such bytes.
    if (std::string(input) == "nan_f32") {
      EXPECT_GT(nan_block_bytes, 0);
    } else if (mode != "even") {
      EXPECT_EQ(nan_block_bytes, 0);
    }
  }
}

template <class Rule>
void check_all_elements(const std::string& mode) {
  check_against_torchao<ao::mx_format<ao::float8_e4m3fn, Rule>>("e4m3", mode);
  check_against_torchao<ao::mx_format<ao::float8_e5m2, Rule>>("e5m2", mode);
  check_against_torchao<ao::mx_format<ao::float6_e2m3fn, Rule>>("fp6e2m3", mode);
  check_against_torchao<ao::mx_format<ao::float6_e3m2fn, Rule>>("fp6e3m2", mode);
  check_against_torchao<ao::mx_format<ao::float4_e2m1fn, Rule>>("fp4", mode);
}

TEST(MxTorchao, Floor) { check_all_elements<ao::scale_rule::floor>("floor"); }
TEST(MxTorchao, Rceil) { check_all_elements<ao::scale_rule::rceil>("rceil"); }
TEST(MxTorchao, Ceil) { check_all_elements<ao::scale_rule::ceil>("ceil"); }
TEST(MxTorchao, Even) { check_all_elements<ao::scale_rule::even>("even"); }

// §1.2 worked example: one block of 32 values, amax 30.
const float kWorked[32] = {0, .1f, -.2f, .3f, .5f, -.75f, 1, 1.25f, 1.5f, 1.75f, 2, 2.5f, 3, 3.5f, 4, 5,
                           6, 7, -7.5f, 8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 24, 28, -30};

template <class F>
std::uint8_t scale_of(const float* block) {
  std::uint8_t codes[32];
  return ao::scalar::quantize_block<F>(block, codes);
}

TEST(MxSpec, WorkedExample) {
  using ao::scale_rule::ceil;
  using ao::scale_rule::even;
  using ao::scale_rule::floor;
  using ao::scale_rule::rceil;
  std::uint8_t codes[32];
  EXPECT_EQ(ao::scalar::quantize_block<ao::mxfp8_e4m3>(kWorked, codes), 123);
  const unsigned want_e4m3[] = {0, 61, 197, 74, 80, 212, 88};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(codes[i], want_e4m3[i]) << i;
  EXPECT_EQ(codes[31], 0xFE);
  float dq[32];
  ao::scalar::dequantize_block<ao::mxfp8_e4m3>(codes, 123, dq);
  EXPECT_EQ(dq[31], -28.0f);
  EXPECT_EQ(ao::scalar::quantize_block<ao::mxfp8_e4m3::with_scale_rule<rceil>>(kWorked, codes), 124);
  EXPECT_EQ(codes[31], 0xF7);
  EXPECT_EQ(scale_of<ao::mxfp8_e4m3::with_scale_rule<ceil>>(kWorked), 124);
  EXPECT_EQ(ao::scalar::quantize_block<ao::mxfp4>(kWorked, codes), 129);
  EXPECT_EQ(codes[31], 0xF);  // -30/4 = -7.5 saturates to -6
  EXPECT_EQ(codes[6], 0x0);   // 1/4 = 0.25 ties to 0
  EXPECT_EQ(codes[7], 0x1);   // 1.25/4 rounds to 0.5
  EXPECT_EQ(codes[2], 0x8);   // -0.2/4 gives -0
  for (auto s : {scale_of<ao::mxfp4::with_scale_rule<rceil>>(kWorked), scale_of<ao::mxfp4::with_scale_rule<ceil>>(kWorked),
                 scale_of<ao::mxfp4::with_scale_rule<even>>(kWorked)}) {
    EXPECT_EQ(s, 130);
  }
  EXPECT_EQ(scale_of<ao::mxfp6_e2m3>(kWorked), 129);
  EXPECT_EQ(scale_of<ao::mxfp6_e2m3::with_scale_rule<rceil>>(kWorked), 129);
  EXPECT_EQ(scale_of<ao::mxfp6_e2m3::with_scale_rule<even>>(kWorked), 129);
  EXPECT_EQ(scale_of<ao::mxfp6_e2m3::with_scale_rule<ceil>>(kWorked), 130);
  EXPECT_EQ(scale_of<ao::mxfp6_e3m2>(kWorked), 127);
  EXPECT_EQ(scale_of<ao::mxfp6_e3m2::with_scale_rule<rceil>>(kWorked), 128);
}

// §1.2 table: [v0] + 31 filler values; scale bytes per element type and rule (floor, rceil, ceil, even).
template <class E>
void expect_scales(float v0, float filler, std::uint8_t f, std::uint8_t r, std::uint8_t c, std::uint8_t e) {
  float block[32];
  block[0] = v0;
  for (int i = 1; i < 32; ++i) block[i] = filler;
  EXPECT_EQ((scale_of<ao::mx_format<E, ao::scale_rule::floor>>(block)), f) << name(E{}) << " " << v0;
  EXPECT_EQ((scale_of<ao::mx_format<E, ao::scale_rule::rceil>>(block)), r) << name(E{}) << " " << v0;
  EXPECT_EQ((scale_of<ao::mx_format<E, ao::scale_rule::ceil>>(block)), c) << name(E{}) << " " << v0;
  EXPECT_EQ((scale_of<ao::mx_format<E, ao::scale_rule::even>>(block)), e) << name(E{}) << " " << v0;
}

TEST(MxSpec, ScaleByteTable) {
  const float fmax = std::numeric_limits<float>::max();
  expect_scales<ao::float8_e4m3fn>(7.0f, 0.1f, 121, 121, 122, 121);
  expect_scales<ao::float8_e5m2>(7.0f, 0.1f, 114, 114, 115, 114);
  expect_scales<ao::float6_e2m3fn>(7.0f, 0.1f, 127, 127, 128, 127);
  expect_scales<ao::float6_e3m2fn>(7.0f, 0.1f, 125, 125, 126, 125);
  expect_scales<ao::float4_e2m1fn>(7.0f, 0.1f, 127, 128, 128, 128);
  expect_scales<ao::float8_e4m3fn>(0.99f, 0.5f, 118, 119, 119, 119);
  expect_scales<ao::float8_e5m2>(0.99f, 0.5f, 111, 112, 112, 112);
  expect_scales<ao::float6_e2m3fn>(0.99f, 0.5f, 124, 125, 125, 125);
  expect_scales<ao::float6_e3m2fn>(0.99f, 0.5f, 122, 123, 123, 123);
  expect_scales<ao::float4_e2m1fn>(0.99f, 0.5f, 124, 125, 125, 125);
  expect_scales<ao::float8_e4m3fn>(1.75f, 1.75f, 119, 119, 120, 119);
  expect_scales<ao::float8_e5m2>(1.75f, 1.75f, 112, 112, 113, 112);
  expect_scales<ao::float6_e2m3fn>(1.75f, 1.75f, 125, 125, 126, 125);
  expect_scales<ao::float6_e3m2fn>(1.75f, 1.75f, 123, 123, 124, 123);
  expect_scales<ao::float4_e2m1fn>(1.75f, 1.75f, 125, 126, 126, 126);
  expect_scales<ao::float8_e4m3fn>(fmax, 1.0f, 246, 247, 247, 255);
  expect_scales<ao::float8_e5m2>(fmax, 1.0f, 239, 240, 240, 255);
  expect_scales<ao::float6_e2m3fn>(fmax, 1.0f, 252, 253, 253, 255);
  expect_scales<ao::float6_e3m2fn>(fmax, 1.0f, 250, 251, 251, 255);
  expect_scales<ao::float4_e2m1fn>(fmax, 1.0f, 252, 253, 253, 255);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    expect_scales<ao::float8_e4m3fn>(bad, 1.0f, 255, 255, 255, 255);
    expect_scales<ao::float4_e2m1fn>(bad, 1.0f, 255, 255, 255, 255);
  }
  expect_scales<ao::float8_e4m3fn>(0.0f, 0.0f, 0, 0, 0, 0);
}

// §1.7: torchao's bit-exact MXFP8 contract (e4m3, block 32, fp32 input), floor and rceil.
struct contract_case {
  const char* name;
  float first, rest;
  std::uint8_t floor_scale, floor_first, floor_rest, rceil_scale, rceil_first, rceil_rest;
};

TEST(MxSpec, Mxfp8Contract) {
  const float fmax = std::numeric_limits<float>::max();
  const float sub = std::numeric_limits<float>::denorm_min();
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float b1, b2;
  const std::uint32_t u1 = 0x40600001u, u2 = 0x43FFFFFFu;
  std::memcpy(&b1, &u1, 4);
  std::memcpy(&b2, &u2, 4);
  const contract_case cases[] = {
      {"zero", 0, 0, 0, 0x00, 0x00, 0, 0x00, 0x00},
      {"smallest_normal", 0x1p-126f, 0x1p-126f, 0, 0x40, 0x40, 0, 0x40, 0x40},
      {"mixed_inf", inf, 1, 255, 0x7F, 0x7F, 255, 0x7F, 0x7F},
      {"mixed_nan", nan, 1, 255, 0x7F, 0x7F, 255, 0x7F, 0x7F},
      {"all_nan", nan, nan, 255, 0x7F, 0x7F, 255, 0x7F, 0x7F},
      {"fp8_max", 448, 448, 127, 0x7E, 0x7E, 127, 0x7E, 0x7E},
      {"neg_fp8_max", -448, -448, 127, 0xFE, 0xFE, 127, 0xFE, 0xFE},
      {"dtype_max", fmax, fmax, 246, 0x7E, 0x7E, 247, 0x78, 0x78},
      {"neg_dtype_max", -fmax, -fmax, 246, 0xFE, 0xFE, 247, 0xF8, 0xF8},
      {"smallest_subnormal", sub, sub, 0, 0x00, 0x00, 0, 0x00, 0x00},
      {"neg_smallest_subnormal", -sub, -sub, 0, 0x80, 0x80, 0, 0x80, 0x80},
      {"mixed_underflow", sub, 1, 119, 0x00, 0x78, 119, 0x00, 0x78},
      {"mixed_neg_underflow", -sub, 1, 119, 0x80, 0x78, 119, 0x80, 0x78},
      {"mixed_saturation_and_underflow", fmax, 1, 246, 0x7E, 0x00, 247, 0x78, 0x00},
      {"rceil_premature_bf16_lowers_scale", b1, b1, 120, 0x7E, 0x7E, 121, 0x76, 0x76},
      {"floor_premature_bf16_raises_scale", b2, b2, 127, 0x7E, 0x7E, 128, 0x78, 0x78},
      {"satfinite", 480, 480, 127, 0x7E, 0x7E, 128, 0x77, 0x77},
      {"neg_satfinite", -480, -480, 127, 0xFE, 0xFE, 128, 0xF7, 0xF7},
  };
  for (const auto& c : cases) {
    float block[32];
    block[0] = c.first;
    for (int i = 1; i < 32; ++i) block[i] = c.rest;
    std::uint8_t codes[32];
    EXPECT_EQ(ao::scalar::quantize_block<ao::mxfp8_e4m3>(block, codes), c.floor_scale) << c.name;
    EXPECT_EQ(codes[0], c.floor_first) << c.name;
    EXPECT_EQ(codes[1], c.floor_rest) << c.name;
    EXPECT_EQ(ao::scalar::quantize_block<ao::mxfp8_e4m3::with_scale_rule<ao::scale_rule::rceil>>(block, codes),
              c.rceil_scale)
        << c.name;
    EXPECT_EQ(codes[0], c.rceil_first) << c.name;
    EXPECT_EQ(codes[1], c.rceil_rest) << c.name;
  }
}

TEST(MxShapes, RowsThatDoNotDivideTheBlockAreRejected) {
  std::vector<float> x(3 * 48, 1.0f);
  std::vector<std::uint8_t> q(3 * 48), s(3 * 2);
  EXPECT_THROW(ao::scalar::quantize_rows<ao::mxfp8_e4m3>(x.data(), 3, 48, q.data(), s.data()), ao::error);
  try {
    ao::scalar::quantize_rows<ao::mxfp4>(x.data(), 3, 48, q.data(), s.data());
  } catch (const ao::error& e) {
    EXPECT_NE(std::string(e.what()).find("48"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("32"), std::string::npos);
  }
  // Empty tensors are fine.
  ao::scalar::quantize_rows<ao::mxfp4>(x.data(), 0, 64, q.data(), s.data());
  ao::scalar::quantize_rows<ao::mxfp4>(x.data(), 3, 0, q.data(), s.data());
}

}  // namespace

// The codes torchao's CPU converter gives NaNs (spec §1.3: "fp4 NaN gives code 3 on CPU", fp6 12 / 14), and the
// sign bit of a negative NaN, worked by hand from its normal-number branch: fp4, canonical NaN 0x7FC00000:
// 0x7FC00000 - (126 << 23) + (2^21 - 1) + 1 = 0x40E00000, >> 22 = 0x103, as a byte 0x03; payload 0x7FFFFFFF:
// 0x7FFFFFFF - 0x3F000000 + 0x1FFFFF + 1 = 0x411FFFFF, >> 22 = 0x104 -> 4.
TEST(MxSpec, TorchaoNanCodes) {
  auto f = [](std::uint32_t bits) {
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  };
  EXPECT_EQ(ao::scalar::torchao_nan_code<ao::float4_e2m1fn>(f(0x7FC00000u)), 3);
  EXPECT_EQ(ao::scalar::torchao_nan_code<ao::float4_e2m1fn>(f(0xFFC00000u)), 3 | 8);
  EXPECT_EQ(ao::scalar::torchao_nan_code<ao::float4_e2m1fn>(f(0x7FFFFFFFu)), 4);
  EXPECT_EQ(ao::scalar::torchao_nan_code<ao::float6_e2m3fn>(f(0x7FC00000u)), 12);
  EXPECT_EQ(ao::scalar::torchao_nan_code<ao::float6_e3m2fn>(f(0x7FC00000u)), 14);
  EXPECT_EQ(ao::scalar::torchao_nan_code<ao::float6_e3m2fn>(f(0xFFC00000u)), 14 | 32);
  // In a block: every code of a NaN-scale fp4 block is 3, whatever the finite values beside the NaN.
  float block[32];
  for (int i = 0; i < 32; ++i) block[i] = static_cast<float>(i) - 7.5f;
  block[5] = std::numeric_limits<float>::quiet_NaN();
  std::uint8_t codes[32];
  EXPECT_EQ(ao::scalar::quantize_block<ao::mxfp4>(block, codes), 255);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(codes[i], 3) << i;
}
