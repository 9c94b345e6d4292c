// The scalar affine oracle reproduces torchao's choose_qparams_affine + quantize_affine byte for byte: every scale
// (fp32 bits), zero point and code of ../shared/data/torchao/other.safetensors' affine.<case>.<input>.* (9 cases x
// 5 inputs, fp32 and bf16), and the tinygemm int4 path's bf16 scales, bf16 zeros and codes (tinygemm.g<32|128>.*).
// Dequantization is checked against a float64 reference with torchao's roundings, and the spec's worked examples
// (§3.5, §4.2, §4.3) are checked value by value.
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

#include "ao/backends/scalar/affine.hpp"
#include "ao/formats/affine.hpp"
#include "safetensors_test_reader.hpp"

namespace {

using ao::testing::bits_of;
using ao::testing::test_safetensors;


const char* const kInputs[] = {"gauss_f32", "gauss_bf16", "outlier_f32", "outlier_bf16", "special_f32"};


std::vector<std::int32_t> as_int32(const ao::testing::test_tensor& t) {
  EXPECT_EQ(t.dtype, "I32");
  std::vector<std::int32_t> out(static_cast<std::size_t>(t.numel()));
  std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
  return out;
}

std::vector<std::uint16_t> as_uint16(const ao::testing::test_tensor& t) {
  std::vector<std::uint16_t> out(static_cast<std::size_t>(t.numel()));
  std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
  return out;
}

// Counts of what was compared, over every test of this file (printed at the end of each test).
struct tally {
  std::size_t scales = 0, zero_points = 0, codes = 0, dequant = 0;
};

template <class F, class Input>
void check_affine_case(const std::string& name, const std::string& input, tally& n) {
  SCOPED_TRACE(name + "." + input);
  const auto src = ao::testing::torchao_inputs().get(input);
  const std::vector<float> x = src.as_float();
  const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
  const std::string key = "affine." + name + "." + input;
  const std::vector<float> want_scale = ao::testing::torchao_other().get(key + ".scale").as_float();
  const std::vector<std::int32_t> want_zp = as_int32(ao::testing::torchao_other().get(key + ".zero_point"));
  const auto want_q = ao::testing::torchao_other().get(key + ".qdata");
  ASSERT_EQ(want_q.dtype, F::quant_min < 0 ? "I8" : "U8");

  const std::size_t groups = ao::scalar::qparams_count<F>(rows, cols);
  ASSERT_EQ(groups, want_scale.size());
  ASSERT_EQ(groups, want_zp.size());
  std::vector<float> scale(groups);
  std::vector<std::int32_t> zp(groups);
  ao::scalar::choose_qparams<F, Input>(x.data(), rows, cols, scale.data(), zp.data());
  std::vector<typename F::code_type> q(rows * cols);
  ao::scalar::quantize<F, Input>(x.data(), rows, cols, scale.data(), zp.data(), q.data());
  ASSERT_EQ(q.size(), want_q.bytes.size());

  int bad_scale = 0, bad_zp = 0, bad_q = 0, bad_dq = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    if (bits_of(scale[g]) != bits_of(want_scale[g]) && bad_scale++ < 3) {
      ADD_FAILURE() << "scale " << g << ": ao " << scale[g] << ", torchao " << want_scale[g];
    }
    if (zp[g] != want_zp[g] && bad_zp++ < 3) {
      ADD_FAILURE() << "zero point " << g << ": ao " << zp[g] << ", torchao " << want_zp[g];
    }
  }
  for (std::size_t i = 0; i < q.size(); ++i) {
    std::uint8_t byte;
    std::memcpy(&byte, &q[i], 1);
    if (byte != want_q.bytes[i] && bad_q++ < 3) {
      ADD_FAILURE() << "code " << i << " (x = " << x[i] << "): ao " << int(q[i]) << ", torchao byte "
                    << int(want_q.bytes[i]);
    }
  }
  // Dequantization: (q - z) * s is exact in float64 (9-bit integer times 24-bit scale), so torchao's fp32 result is
  // that product rounded once.
  std::vector<float> dq(rows * cols);
  ao::scalar::dequantize<F>(q.data(), scale.data(), zp.data(), rows, cols, dq.data());
  const std::size_t length = ao::scalar::group_length<F>(rows, cols);
  for (std::size_t i = 0; i < dq.size(); ++i) {
    const std::size_t g = i / length;
    const float want = static_cast<float>((static_cast<double>(q[i]) - zp[g]) * static_cast<double>(scale[g]));
    if (bits_of(dq[i]) != bits_of(want) && bad_dq++ < 3) {
      ADD_FAILURE() << "dequant " << i << ": ao " << dq[i] << ", float64 reference " << want;
    }
  }
  EXPECT_EQ(bad_scale, 0);
  EXPECT_EQ(bad_zp, 0);
  EXPECT_EQ(bad_q, 0);
  EXPECT_EQ(bad_dq, 0);
  n.scales += groups;
  n.zero_points += groups;
  n.codes += q.size();
  n.dequant += dq.size();
}

template <class F>
void check_affine_case(const std::string& name, tally& n) {
  for (const char* input : kInputs) {
    if (ao::testing::torchao_inputs().get(input).dtype == "BF16") {
      check_affine_case<F, ao::bfloat16>(name, input, n);
    } else {
      check_affine_case<F, float>(name, input, n);
    }
  }
}

void report(const char* what, const tally& n) {
  std::printf("[ %s ] compared with torchao: %zu scales, %zu zero points, %zu codes; %zu dequantized values\n", what,
              n.scales, n.zero_points, n.codes, n.dequant);
}

TEST(AffineTorchao, EveryCase) {
  tally n;
  check_affine_case<ao::affine<ao::int8, ao::mapping::symmetric, ao::per_row>>("int8_sym_row", n);
  check_affine_case<ao::affine<ao::int8, ao::mapping::asymmetric, ao::per_row>>("int8_asym_row", n);
  check_affine_case<ao::affine<ao::uint8, ao::mapping::asymmetric, ao::per_row>>("uint8_asym_row", n);
  check_affine_case<ao::affine<ao::int8, ao::mapping::symmetric, ao::per_tensor>>("int8_sym_tensor", n);
  check_affine_case<ao::affine<ao::int8, ao::mapping::symmetric_no_clipping_err, ao::per_row>>("int8_symnce_row", n);
  check_affine_case<ao::affine<ao::int4, ao::mapping::symmetric, ao::group<32>>>("int4_sym_g32", n);
  check_affine_case<ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<32>>>("int4_asym_g32", n);
  check_affine_case<ao::affine<ao::uint4, ao::mapping::asymmetric, ao::group<64>>>("uint4_asym_g64", n);
  check_affine_case<ao::affine<ao::int2, ao::mapping::symmetric, ao::group<32>>>("int2_sym_g32", n);
  report("affine", n);
  EXPECT_EQ(n.codes, 9u * 5u * 64u * 256u);
}

// A float64 model of torchao's tinygemm dequantization to fp32: (q - 8) * s, then + z, each rounded to fp32.
// float64 holds every fp32 sum and product of these operands to within half an fp32 ulp of the exact result,
// and rounding that to fp32 gives the correctly rounded fp32 operation.
float tinygemm_dequant_reference(int q, float s, float z) {
  const float product = static_cast<float>(static_cast<double>(q - 8) * static_cast<double>(s));
  return static_cast<float>(static_cast<double>(product) + static_cast<double>(z));
}

template <int G>
void check_tinygemm(const std::string& input, tally& n) {
  using F = ao::tinygemm_int4<G>;
  const std::string key = "tinygemm.g" + std::to_string(G) + "." + input;
  SCOPED_TRACE(key);
  const auto src = ao::testing::torchao_inputs().get(input);
  ASSERT_EQ(src.dtype, "BF16");
  const std::vector<float> x = src.as_float();
  const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
  const auto want_scale = ao::testing::torchao_other().get(key + ".scale");
  const auto want_zero = ao::testing::torchao_other().get(key + ".zero");
  const auto want_q = ao::testing::torchao_other().get(key + ".qdata");
  ASSERT_EQ(want_scale.dtype, "BF16");
  ASSERT_EQ(want_zero.dtype, "BF16");
  ASSERT_EQ(want_q.dtype, "U8");
  const std::vector<std::uint16_t> ws = as_uint16(want_scale), wz = as_uint16(want_zero);

  const std::size_t groups = ao::scalar::qparams_count<F>(rows, cols);
  ASSERT_EQ(groups, ws.size());
  std::vector<ao::bfloat16> scale(groups), zero(groups);
  ao::scalar::choose_qparams<F, ao::bfloat16>(x.data(), rows, cols, scale.data(), zero.data());
  std::vector<std::uint8_t> q(rows * cols);
  ao::scalar::quantize<F, ao::bfloat16>(x.data(), rows, cols, scale.data(), zero.data(), q.data());
  ASSERT_EQ(q.size(), want_q.bytes.size());

  int bad_scale = 0, bad_zero = 0, bad_q = 0, bad_dq = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    if (scale[g].bits() != ws[g] && bad_scale++ < 3) {
      ADD_FAILURE() << "scale " << g << ": ao " << std::hex << scale[g].bits() << ", torchao " << ws[g] << std::dec;
    }
    if (zero[g].bits() != wz[g] && bad_zero++ < 3) {
      ADD_FAILURE() << "zero " << g << ": ao " << std::hex << zero[g].bits() << ", torchao " << wz[g] << std::dec;
    }
  }
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] != want_q.bytes[i] && bad_q++ < 3) {
      ADD_FAILURE() << "code " << i << " (x = " << x[i] << "): ao " << int(q[i]) << ", torchao "
                    << int(want_q.bytes[i]);
    }
  }
  std::vector<float> dq(rows * cols);
  ao::scalar::dequantize<F>(q.data(), scale.data(), zero.data(), rows, cols, dq.data());
  for (std::size_t i = 0; i < dq.size(); ++i) {
    const std::size_t g = i / G;
    const float want = tinygemm_dequant_reference(q[i], float(scale[g]), float(zero[g]));
    if (bits_of(dq[i]) != bits_of(want) && bad_dq++ < 3) {
      ADD_FAILURE() << "dequant " << i << ": ao " << dq[i] << ", float64 reference " << want;
    }
  }
  EXPECT_EQ(bad_scale, 0);
  EXPECT_EQ(bad_zero, 0);
  EXPECT_EQ(bad_q, 0);
  EXPECT_EQ(bad_dq, 0);
  n.scales += groups;
  n.zero_points += groups;
  n.codes += q.size();
  n.dequant += dq.size();
}

TEST(TinygemmTorchao, EveryCase) {
  tally n;
  for (const char* input : {"gauss_bf16", "outlier_bf16"}) {
    check_tinygemm<32>(input, n);
    check_tinygemm<128>(input, n);
  }
  report("tinygemm", n);
  EXPECT_EQ(n.codes, 4u * 64u * 256u);
}

// §4.2's worked example: w = [[-1, -.5, 0, .25, .5, .75, 1, 2], [.1, .2, ..., .8]], one group per row, int8.
const float kW[16] = {-1, -.5f, 0, .25f, .5f, .75f, 1, 2, .1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f};

template <class F, class Input = float>
void qparams_and_codes(const float* x, std::size_t rows, std::size_t cols, std::vector<float>& scale,
                       std::vector<std::int32_t>& zp, std::vector<int>& codes) {
  const std::size_t groups = ao::scalar::qparams_count<F>(rows, cols);
  scale.assign(groups, 0.0f);
  zp.assign(groups, 0);
  ao::scalar::choose_qparams<F, Input>(x, rows, cols, scale.data(), zp.data());
  std::vector<typename F::code_type> q(rows * cols);
  ao::scalar::quantize<F, Input>(x, rows, cols, scale.data(), zp.data(), q.data());
  codes.assign(q.begin(), q.end());
}

TEST(AffineSpec, Int8WorkedExample) {
  std::vector<float> s;
  std::vector<std::int32_t> z;
  std::vector<int> q;
  qparams_and_codes<ao::int8_symmetric_per_row>(kW, 2, 8, s, z, q);
  EXPECT_EQ(s[0], 2.0f / 127.5f);
  EXPECT_EQ(s[1], 0.8f / 127.5f);
  EXPECT_EQ(z[0], 0);
  EXPECT_EQ(z[1], 0);
  EXPECT_EQ(std::vector<int>(q.begin(), q.begin() + 8), (std::vector<int>{-64, -32, 0, 16, 32, 48, 64, 127}));
  EXPECT_EQ(q[15], 127);
  EXPECT_EQ(q[14], 112);  // fp32: 0.7 / (0.8 / 127.5) = 111.56
  EXPECT_EQ(q[13], 96);

  qparams_and_codes<ao::int8_symmetric_per_row::with_mapping<ao::mapping::symmetric_no_clipping_err>>(kW, 2, 8, s, z, q);
  EXPECT_EQ(s[0], 2.0f / 127.0f);  // max(1/128, 2/127)
  EXPECT_FLOAT_EQ(s[0], 0.015748031f);

  qparams_and_codes<ao::int8_asymmetric_per_row>(kW, 2, 8, s, z, q);
  EXPECT_EQ(s[0], 3.0f / 255.0f);
  EXPECT_EQ(z[0], -43);  // -128 - round(-85.0)
  EXPECT_EQ(std::vector<int>(q.begin(), q.begin() + 8), (std::vector<int>{-128, -85, -43, -22, -1, 21, 42, 127}));
  EXPECT_EQ(z[1], -128);  // row 1's min 0.1 > 0, so min_neg = 0

  qparams_and_codes<ao::affine<ao::uint8, ao::mapping::asymmetric, ao::per_row>>(kW, 2, 8, s, z, q);
  EXPECT_EQ(z[0], 85);
}

// §3.5 and §4.2: a bf16 input computes the scale in bf16: 2 / 127.5 rounds to 0.0157470703125 (stored as fp32).
TEST(AffineSpec, Bf16ScaleIsComputedInBf16) {
  std::vector<float> s;
  std::vector<std::int32_t> z;
  std::vector<int> q;
  std::vector<float> w(kW, kW + 16);
  for (float& v : w) v = float(ao::bfloat16(v));
  qparams_and_codes<ao::int8_symmetric_per_row, ao::bfloat16>(w.data(), 2, 8, s, z, q);
  EXPECT_EQ(s[0], 0.0157470703125f);
  EXPECT_EQ(s[0], float(ao::bfloat16(2.0f / 127.5f)));
  EXPECT_NE(s[0], 2.0f / 127.5f);
  EXPECT_EQ(q[13], 96);
  EXPECT_EQ(q[14], 111);  // bf16 arithmetic, against 112 for fp32
  EXPECT_EQ(q[15], 127);
  // Float inputs that are not bf16 values are rounded to bf16 first (as x.to(torch.bfloat16) would).
  std::vector<float> s2;
  qparams_and_codes<ao::int8_symmetric_per_row, ao::bfloat16>(kW, 2, 8, s2, z, q);
  EXPECT_EQ(s2, s);
  // The same scale with a bf16 scale dtype: the stored value is the same, the reciprocal is taken in bf16.
  using F = ao::int8_symmetric_per_row::with_scale_type<ao::bfloat16>;
  std::vector<ao::bfloat16> sb(2);
  std::vector<std::int32_t> zb(2);
  ao::scalar::choose_qparams<F, ao::bfloat16>(w.data(), 2, 8, sb.data(), zb.data());
  EXPECT_EQ(float(sb[0]), 0.0157470703125f);
}

TEST(AffineSpec, AllZeroGroup) {
  const float zeros[8] = {};
  std::vector<float> s;
  std::vector<std::int32_t> z;
  std::vector<int> q;
  qparams_and_codes<ao::int8_symmetric_per_row>(zeros, 1, 8, s, z, q);
  EXPECT_EQ(s[0], std::numeric_limits<float>::min());  // eps = finfo(float32).smallest_normal
  EXPECT_EQ(z[0], 0);
  qparams_and_codes<ao::int8_asymmetric_per_row>(zeros, 1, 8, s, z, q);
  EXPECT_EQ(z[0], -128);
  for (int v : q) EXPECT_EQ(v, -128);
  std::vector<std::int8_t> codes(q.begin(), q.end());
  float dq[8];
  ao::scalar::dequantize<ao::int8_asymmetric_per_row>(codes.data(), s.data(), z.data(), 1, 8, dq);
  for (float v : dq) EXPECT_EQ(v, 0.0f);
  // An explicit eps (Int8Tensor's finfo(float32).eps).
  std::vector<float> se(1);
  std::vector<std::int32_t> ze(1);
  ao::scalar::choose_qparams<ao::int8_symmetric_per_row>(zeros, 1, 8, se.data(), ze.data(), 0x1p-23f);
  EXPECT_EQ(se[0], 0x1p-23f);
}

TEST(AffineSpec, RoundHalfToEven) {
  // Scale 1 exactly: amax 127.5 (symmetric int8), so x * (1 / s) = x.
  const float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 127.5f, -127.5f};
  std::vector<float> s;
  std::vector<std::int32_t> z;
  std::vector<int> q;
  qparams_and_codes<ao::int8_symmetric_per_row>(x, 1, 8, s, z, q);
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(q, (std::vector<int>{0, 2, 2, 0, -2, -2, 127, -128}));
}

// §4.3's tinygemm example: bf16, one group of 4 values [-1, -.5, 0, .25].
TEST(TinygemmSpec, WorkedExample) {
  using F = ao::tinygemm_int4<4>;
  const float x[4] = {-1, -.5f, 0, .25f};
  ao::bfloat16 s, z;
  ao::scalar::choose_qparams<F, ao::bfloat16>(x, 1, 4, &s, &z);
  EXPECT_EQ(float(s), 0.08349609375f);
  EXPECT_EQ(float(z), -0.33203125f);
  std::uint8_t q[4];
  ao::scalar::quantize<F, ao::bfloat16>(x, 1, 4, &s, &z, q);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[1], 6);
  EXPECT_EQ(q[2], 12);
  EXPECT_EQ(q[3], 15);
  ao::bfloat16 dq[4];
  ao::scalar::dequantize<F, ao::bfloat16>(q, &s, &z, 1, 4, dq);
  EXPECT_EQ(float(dq[0]), -1.0f);
  EXPECT_EQ(float(dq[1]), -0.5f);
  EXPECT_EQ(float(dq[2]), 0.001953125f);
  EXPECT_EQ(float(dq[3]), 0.25390625f);
  // The one-group primitives give the same, and are usable in constant expressions.
  constexpr float cx[4] = {-1, -.5f, 0, .25f};
  constexpr auto p = ao::scalar::choose_qparams_group<F, ao::bfloat16>(cx, 4);
  static_assert(p.scale.bits() == ao::bfloat16(0.08349609375f).bits());
  static_assert(p.zero_point.bits() == ao::bfloat16(-0.33203125f).bits());
}

TEST(AffineFormats, Constants) {
  using ao::affine;
  static_assert(affine<ao::int8, ao::mapping::symmetric, ao::per_row>::quant_min == -128);
  static_assert(affine<ao::uint4, ao::mapping::asymmetric, ao::group<64>>::quant_max == 15);
  static_assert(affine<ao::int2, ao::mapping::symmetric, ao::per_row>::quant_min == -2);
  static_assert(std::is_same_v<ao::int8_symmetric_per_row::code_type, std::int8_t>);
  static_assert(std::is_same_v<ao::tinygemm_int4<>::code_type, std::uint8_t>);
  static_assert(std::is_same_v<ao::tinygemm_int4<>::zero_point_type, ao::bfloat16>);
  static_assert(std::is_same_v<ao::int8_symmetric_per_row::zero_point_type, std::int32_t>);
  static_assert(ao::int8_symmetric_per_row::with_range<-64, 63>::quant_min == -64);
  static_assert(std::is_same_v<ao::int8_symmetric_per_row::with_group_size<32>::granularity, ao::group<32>>);
  // Symmetric zero points: int((qmax + qmin + 1) / 2).
  const float x[2] = {-1.0f, 3.0f};
  ao::bfloat16 s;
  std::int32_t z;
  ao::scalar::choose_qparams<affine<ao::uint8, ao::mapping::symmetric, ao::per_row, ao::bfloat16>>(x, 1, 2, &s, &z);
  EXPECT_EQ(z, 128);
  EXPECT_EQ(float(s), float(ao::bfloat16(3.0f / 127.5f)));
  ao::scalar::choose_qparams<affine<ao::uint4, ao::mapping::symmetric, ao::per_row, ao::bfloat16>>(x, 1, 2, &s, &z);
  EXPECT_EQ(z, 8);
}

// int4 / int2 / uint4 codes of every value of a ramp, against a float64 model of quantize_affine (fp32 input).
TEST(AffineSpec, DequantizeMatchesFloat64) {
  std::vector<float> x(4 * 64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.37f) * (1.0f + i % 7);
  using F = ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<32>>;
  std::vector<float> s(ao::scalar::qparams_count<F>(4, 64));
  std::vector<std::int32_t> z(s.size());
  ao::scalar::choose_qparams<F>(x.data(), 4, 64, s.data(), z.data());
  std::vector<std::int8_t> q(x.size());
  ao::scalar::quantize<F>(x.data(), 4, 64, s.data(), z.data(), q.data());
  std::vector<float> dq(x.size());
  ao::scalar::dequantize<F>(q.data(), s.data(), z.data(), 4, 64, dq.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t g = i / 32;
    const float r = 1.0f / s[g];
    const double want_q = std::clamp(std::nearbyint(static_cast<double>(x[i] * r)) + z[g], -8.0, 7.0);
    EXPECT_EQ(q[i], static_cast<int>(want_q)) << i;
    EXPECT_EQ(dq[i], static_cast<float>((want_q - z[g]) * static_cast<double>(s[g]))) << i;
    // Within half a step of the input, except where clamped.
    if (want_q > -8 && want_q < 7) {
      EXPECT_LE(std::fabs(dq[i] - x[i]), 0.5 * s[g] * (1 + 1e-6)) << i;
    }
  }
}

TEST(AffineShapes, GroupsThatDoNotDivideTheRowAreRejected) {
  using F = ao::affine<ao::int4, ao::mapping::symmetric, ao::group<32>>;
  std::vector<float> x(3 * 48, 1.0f);
  std::vector<float> s(6);
  std::vector<std::int32_t> z(6);
  std::vector<std::int8_t> q(3 * 48);
  EXPECT_THROW(ao::scalar::choose_qparams<F>(x.data(), 3, 48, s.data(), z.data()), ao::error);
  EXPECT_THROW(ao::scalar::quantize<F>(x.data(), 3, 48, s.data(), z.data(), q.data()), ao::error);
  EXPECT_THROW(ao::scalar::dequantize<F>(q.data(), s.data(), z.data(), 3, 48, x.data()), ao::error);
  try {
    ao::scalar::choose_qparams<F>(x.data(), 3, 48, s.data(), z.data());
  } catch (const ao::error& e) {
    EXPECT_NE(std::string(e.what()).find("48"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("32"), std::string::npos) << e.what();
  }
  // Empty tensors have no groups and write nothing.
  EXPECT_EQ(ao::scalar::qparams_count<F>(0, 64), 0u);
  EXPECT_EQ(ao::scalar::qparams_count<ao::int8_symmetric_per_tensor>(0, 64), 0u);
  EXPECT_EQ(ao::scalar::qparams_count<ao::int8_symmetric_per_row>(3, 0), 0u);
  EXPECT_EQ(ao::scalar::qparams_count<ao::int8_symmetric_per_tensor>(3, 5), 1u);
  ao::scalar::choose_qparams<F>(x.data(), 0, 64, s.data(), z.data());
  ao::scalar::choose_qparams<F>(x.data(), 3, 0, s.data(), z.data());
  ao::scalar::choose_qparams<ao::int8_symmetric_per_tensor>(x.data(), 0, 0, s.data(), z.data());
  ao::scalar::quantize<ao::int8_symmetric_per_row>(x.data(), 3, 0, s.data(), z.data(), q.data());
  ao::scalar::dequantize<ao::int8_symmetric_per_row>(q.data(), s.data(), z.data(), 0, 8, x.data());
}

}  // namespace
