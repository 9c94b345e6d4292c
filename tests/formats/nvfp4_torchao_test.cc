// The scalar NVFP4 oracle reproduces torchao's nvfp4_quantize byte for byte: every scale byte and every qdata byte
// of ../shared/data/torchao/other.safetensors (single level and with the global scale amax/2688, 5 inputs, fp32 and
// bf16), the global scales themselves, torchao's NVFP4Tensor checkpoint of interop_torchao.safetensors and its
// bf16 dequantization, and the spec's §2 worked example and edge cases. The swizzled scale layout is checked
// against mx.safetensors' swizzle.* tensors and the §1.5 examples.
// Dequantization to fp32 is checked against a float64 reference written here from the formats' definitions.
// The files settle the order of fp32 operations: torchao multiplies by a reciprocal, x * (1/s) and
// x * ((1/g)/s) (spec §2). Older torchao sources divide, x / s and x / (g*s); that form misses 1 (single) and 11
// (global) codes of gauss_bf16 and 6 and 9 of outlier_bf16, so these tests tell the two apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "ao/backends/scalar/nvfp4.hpp"
#include "ao/formats/nvfp4.hpp"
#include "ao/layout/scale_swizzle.hpp"
#include "safetensors_test_reader.hpp"

namespace {

using ao::testing::bits_of;
using ao::testing::test_safetensors;


// The inputs other.safetensors has nvfp4 tensors for (nan_f32 has none: torchao's NaN-block codes are unspecified).
const char* const kInputs[] = {"gauss_f32", "gauss_bf16", "outlier_f32", "outlier_bf16", "special_f32"};


// The reference decoders, from the formats' definitions (not ao's codec).
double fp4_value(unsigned code) {
  static const double mag[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  return (code & 8 ? -1.0 : 1.0) * mag[code & 7];
}
double e4m3_value(unsigned byte) {
  const unsigned e = (byte >> 3) & 0xF, m = byte & 7;
  if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
  const double v = e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1.0 + m / 8.0, int(e) - 7);
  return byte & 0x80 ? -v : v;
}

// fp32 dequantization in float64: fp4 * fl32(g * s). Both products are exact in double (at most 24 + 4 significant
// bits), so each cast to float is the one fp32 rounding torchao does.
float reference_dequant(unsigned code, std::uint8_t scale, const float* global) {
  const double s = e4m3_value(scale);
  const double gs = global ? double(float(double(*global) * s)) : s;
  return float(fp4_value(code) * gs);
}

struct quantized {
  std::vector<std::uint8_t> q, scale;
};

quantized quantize(const std::vector<float>& x, std::size_t rows, std::size_t cols, const float* global) {
  quantized out;
  out.q.resize(rows * ao::scalar::packed_row_bytes<ao::nvfp4>(cols));
  out.scale.resize(rows * ao::scalar::scales_per_row<ao::nvfp4>(cols));
  if (global) {
    ao::scalar::nvfp4_quantize_rows(x.data(), rows, cols, *global, out.q.data(), out.scale.data());
  } else {
    ao::scalar::nvfp4_quantize_rows(x.data(), rows, cols, out.q.data(), out.scale.data());
  }
  return out;
}

int count_mismatches(const char* what, const std::vector<std::uint8_t>& got, const std::vector<std::uint8_t>& want) {
  EXPECT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (got[i] != want[i] && bad++ < 3) {
      ADD_FAILURE() << what << " byte " << i << ": ao " << int(got[i]) << ", torchao " << int(want[i]);
    }
  }
  return bad;
}

// Dequantizes and compares with the float64 reference, bit for bit; returns the SQNR against x in dB over the
// blocks whose scale is not clamped (gauss rows span 10^-4..10^4: single level, their scales hit 2^-6 and 448).
double check_dequant(const std::vector<float>& x, std::size_t rows, std::size_t cols, const quantized& qz,
                     const float* global) {
  std::vector<float> dq(rows * cols);
  if (global) {
    ao::scalar::nvfp4_dequantize_rows(qz.q.data(), qz.scale.data(), rows, cols, *global, dq.data());
  } else {
    ao::scalar::nvfp4_dequantize_rows(qz.q.data(), qz.scale.data(), rows, cols, dq.data());
  }
  int bad = 0;
  double signal = 0, noise = 0;
  for (std::size_t i = 0; i < dq.size(); ++i) {
    const unsigned code = (qz.q[i / 2] >> (4 * (i % 2))) & 0xF;
    const float want = reference_dequant(code, qz.scale[i / 16], global);
    if (bits_of(dq[i]) != bits_of(want) && bad++ < 3) {
      ADD_FAILURE() << "dequant " << i << ": ao " << dq[i] << ", reference " << want;
    }
    if (std::isfinite(x[i]) && qz.scale[i / 16] > 0x08 && qz.scale[i / 16] < 0x7E) {
      signal += double(x[i]) * x[i];
      noise += (double(x[i]) - dq[i]) * (double(x[i]) - dq[i]);
    }
  }
  EXPECT_EQ(bad, 0);
  return 10 * std::log10(signal / noise);
}

TEST(Nvfp4Torchao, SingleLevel) {
  std::size_t compared = 0;
  for (const char* input : kInputs) {
    SCOPED_TRACE(input);
    const std::string key = std::string("nvfp4.single.") + input;
    ASSERT_TRUE(ao::testing::torchao_other().has(key + ".qdata"));
    const auto src = ao::testing::torchao_inputs().get(input);
    const std::vector<float> x = src.as_float();
    const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
    const quantized qz = quantize(x, rows, cols, nullptr);
    EXPECT_EQ(count_mismatches("scale", qz.scale, ao::testing::torchao_other().get(key + ".scale").bytes), 0);
    EXPECT_EQ(count_mismatches("qdata", qz.q, ao::testing::torchao_other().get(key + ".qdata").bytes), 0);
    compared += qz.scale.size() + qz.q.size();
    const double sqnr = check_dequant(x, rows, cols, qz, nullptr);
    if (std::string(input).rfind("gauss", 0) == 0) {
      EXPECT_GE(sqnr, 8.0);  // spec §8: NVFP4 >= 8 dB
    }
  }
  EXPECT_EQ(compared, 5u * 64 * (16 + 128));
}

TEST(Nvfp4Torchao, GlobalScale) {
  std::size_t compared = 0;
  for (const char* input : kInputs) {
    SCOPED_TRACE(input);
    const std::string key = std::string("nvfp4.global.") + input;
    ASSERT_TRUE(ao::testing::torchao_other().has(key + ".qdata"));
    const auto src = ao::testing::torchao_inputs().get(input);
    const std::vector<float> x = src.as_float();
    const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
    const float g = ao::scalar::nvfp4_global_scale(x.data(), x.size());
    const float want_g = ao::testing::torchao_other().get(key + ".global_scale").as_float().at(0);
    EXPECT_EQ(bits_of(g), bits_of(want_g)) << g << " vs " << want_g;
    const quantized qz = quantize(x, rows, cols, &want_g);
    EXPECT_EQ(count_mismatches("scale", qz.scale, ao::testing::torchao_other().get(key + ".scale").bytes), 0);
    EXPECT_EQ(count_mismatches("qdata", qz.q, ao::testing::torchao_other().get(key + ".qdata").bytes), 0);
    compared += 4 + qz.scale.size() + qz.q.size();
    const double sqnr = check_dequant(x, rows, cols, qz, &want_g);
    if (std::string(input).rfind("gauss", 0) == 0) {
      EXPECT_GE(sqnr, 8.0);
    }
  }
  EXPECT_EQ(compared, 5u * (4 + 64 * (16 + 128)));
}

// torchao's NVFP4Tensor.to_nvfp4 of a 96x256 bf16 weight, with and without the global scale, as saved in a
// checkpoint, and its dequantize() (to bf16, then widened to fp32 in interop_ref). The bf16 values also match
// bf16(fp4 * fl32(g * s)) (no bf16 rounding of the scale): this file cannot tell the two apart; ao follows
// PyTorch's promotion rules (see nvfp4_dequantize_block).
TEST(Nvfp4Torchao, CheckpointAndBf16Dequant) {
  const test_safetensors ckpt(ao::testing::torchao_data_dir() + "/interop_torchao.safetensors");
  const test_safetensors ref(ao::testing::torchao_data_dir() + "/interop_ref.safetensors");
  const auto w = ref.get("w_bf16");
  const std::vector<float> x = w.as_float();
  const auto rows = static_cast<std::size_t>(w.shape[0]), cols = static_cast<std::size_t>(w.shape[1]);
  for (const bool with_global : {false, true}) {
    const std::string name = with_global ? "nvfp4g" : "nvfp4";
    SCOPED_TRACE(name);
    const float g = ao::scalar::nvfp4_global_scale(x.data(), x.size());
    if (with_global) {
      EXPECT_EQ(bits_of(g), bits_of(ckpt.get(name + "._weight_per_tensor_scale").as_float().at(0)));
    }
    const quantized qz = quantize(x, rows, cols, with_global ? &g : nullptr);
    EXPECT_EQ(count_mismatches("scale", qz.scale, ckpt.get(name + "._weight_scale").bytes), 0);
    EXPECT_EQ(count_mismatches("qdata", qz.q, ckpt.get(name + "._weight_qdata").bytes), 0);

    std::vector<ao::bfloat16> dq(rows * cols);
    if (with_global) {
      ao::scalar::nvfp4_dequantize_rows(qz.q.data(), qz.scale.data(), rows, cols, g, dq.data());
    } else {
      ao::scalar::nvfp4_dequantize_rows(qz.q.data(), qz.scale.data(), rows, cols, dq.data());
    }
    const std::vector<float> want = ref.get(name + ".dequant_f32").as_float();
    int bad = 0;
    for (std::size_t i = 0; i < dq.size(); ++i) {
      if (bits_of(float(dq[i])) != bits_of(want[i]) && bad++ < 3) {
        ADD_FAILURE() << "bf16 dequant " << i << ": ao " << float(dq[i]) << ", torchao " << want[i];
      }
    }
    EXPECT_EQ(bad, 0);
  }
}

// §2.9 worked example: row0 = (arange(16) - 7.3) * 0.37, row1 has amax 40.
TEST(Nvfp4Spec, WorkedExample) {
  std::vector<float> x(32);
  for (int i = 0; i < 16; ++i) x[i] = (float(i) - 7.3f) * 0.37f;
  // row0 in fp32 as torch computes it; the spec gives row1 only by its amax (40), so only its scales are checked.
  const std::uint8_t want_q[8] = {239, 222, 205, 138, 49, 84, 102, 119};
  std::uint8_t codes[16];
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(x.data(), codes), 47);  // 0.4748 -> e4m3 0.46875
  for (int i = 0; i < 8; ++i) EXPECT_EQ(codes[2 * i] | (codes[2 * i + 1] << 4), want_q[i]) << i;
  const float g = ao::scalar::nvfp4_global_scale(40.0f);
  EXPECT_EQ(bits_of(g), 1014222653u);
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(x.data(), g, codes), 96);  // 32.0
  for (int i = 0; i < 8; ++i) EXPECT_EQ(codes[2 * i] | (codes[2 * i + 1] << 4), want_q[i]) << i;
  float row1[16] = {};
  row1[3] = 40.0f;
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(row1, codes), 77);     // 6.667 -> 6.5
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(row1, g, codes), 126);  // 448
  EXPECT_EQ(codes[3], 7);
}

// The block functions are constexpr (and AO_HOST_DEVICE).
constexpr unsigned constexpr_block(float global_scale) {
  float x[16] = {};
  x[3] = 40.0f;
  x[4] = -1.0f;
  std::uint8_t codes[16] = {};
  const unsigned s = global_scale > 0 ? ao::scalar::nvfp4_quantize_block(x, global_scale, codes)
                                      : ao::scalar::nvfp4_quantize_block(x, codes);
  return s << 16 | unsigned(codes[3]) << 8 | codes[4];
}
static_assert(constexpr_block(0) == (77u << 16 | 0x7u << 8 | 0x8u));  // -1/6.5 = -0.154 -> -0
static_assert(constexpr_block(40.0f / 2688.0f) == (126u << 16 | 0x7u << 8 | 0x8u));

// §2.8 edge cases.
TEST(Nvfp4Spec, EdgeCases) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float block[16] = {};
  std::uint8_t codes[16];
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(block, codes), 0x08);  // 2^-6, the clamp's lower bound
  for (auto c : codes) EXPECT_EQ(c, 0);
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(block, 0.01f, codes), 0x08);
  for (auto c : codes) EXPECT_EQ(c, 0);
  for (int i = 0; i < 16; ++i) block[i] = 0.25f * float(i + 1);
  block[5] = inf;
  block[6] = -inf;
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(block, codes), 0x7E);  // clamp(inf) = 448
  EXPECT_EQ(codes[5], 0x7);
  EXPECT_EQ(codes[6], 0xF);
  EXPECT_EQ(codes[15], 0x0);  // 4 / 448 -> 0
  // A NaN block: scale 0x7F (NaN), as torchao. torchao's codes are unspecified there (its fp4 converter gives a
  // payload-dependent code); ao's are +6 (code 7), float4_e2m1fn's encoding of NaN, and dequant is NaN.
  block[5] = nan;
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(block, codes), 0x7F);
  for (auto c : codes) EXPECT_EQ(c, 0x7);
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(block, 0.01f, codes), 0x7F);
  for (auto c : codes) EXPECT_EQ(c, 0x7);
  float out[16];
  ao::scalar::nvfp4_dequantize_block(codes, 0x7F, out);
  for (float v : out) EXPECT_TRUE(std::isnan(v));
  // -0 keeps its sign (code 8); a tie rounds to even: 0.25 * (1 / s) with s = 1 (amax 6).
  for (float& v : block) v = 0;
  block[0] = 6.0f;
  block[1] = -0.0f;
  block[2] = 0.25f;
  block[3] = 0.75f;
  block[4] = -5.0f;
  EXPECT_EQ(ao::scalar::nvfp4_quantize_block(block, codes), 0x38);  // 1.0
  EXPECT_EQ(codes[1], 0x8);
  EXPECT_EQ(codes[2], 0x0);
  EXPECT_EQ(codes[3], 0x2);
  EXPECT_EQ(codes[4], 0xE);  // -5 ties to -4 (code 6, even)
}

// The nan_f32 input (8x256, NaN and +-Inf in some blocks): torchao wrote no nvfp4 bytes for it (NaN-block codes are
// unspecified); ao's are asserted here: NaN blocks get scale 0x7F and all codes 7, Inf blocks scale 0x7E.
TEST(Nvfp4Spec, NanInput) {
  const auto src = ao::testing::torchao_inputs().get("nan_f32");
  const std::vector<float> x = src.as_float();
  const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
  const quantized qz = quantize(x, rows, cols, nullptr);
  int nan_blocks = 0, inf_blocks = 0;
  for (std::size_t b = 0; b < qz.scale.size(); ++b) {
    bool has_nan = false, has_inf = false;
    for (int i = 0; i < 16; ++i) {
      has_nan |= std::isnan(x[b * 16 + i]);
      has_inf |= std::isinf(x[b * 16 + i]);
    }
    if (has_nan) {
      ++nan_blocks;
      EXPECT_EQ(qz.scale[b], 0x7F) << b;
      for (int i = 0; i < 8; ++i) EXPECT_EQ(qz.q[b * 8 + i], 0x77) << b;
    } else if (has_inf) {
      ++inf_blocks;
      EXPECT_EQ(qz.scale[b], 0x7E) << b;
    }
  }
  EXPECT_GT(nan_blocks, 0);
  EXPECT_GT(inf_blocks, 0);
  // The global scale of a tensor holding NaN is NaN (torch.max propagates it).
  EXPECT_TRUE(std::isnan(ao::scalar::nvfp4_global_scale(x.data(), x.size())));
}

TEST(Nvfp4Shapes, ColsThatDoNotDivideTheBlockAreRejected) {
  std::vector<float> x(3 * 40, 1.0f);
  std::vector<std::uint8_t> q(3 * 40), s(3 * 3);
  std::vector<float> out(3 * 40);
  EXPECT_THROW(ao::scalar::nvfp4_quantize_rows(x.data(), 3, 40, q.data(), s.data()), ao::error);
  EXPECT_THROW(ao::scalar::nvfp4_quantize_rows(x.data(), 3, 40, 1.0f, q.data(), s.data()), ao::error);
  EXPECT_THROW(ao::scalar::nvfp4_dequantize_rows(q.data(), s.data(), 3, 40, out.data()), ao::error);
  EXPECT_THROW(ao::scalar::nvfp4_dequantize_rows(q.data(), s.data(), 3, 40, 1.0f, out.data()), ao::error);
  try {
    ao::scalar::nvfp4_quantize_rows(x.data(), 3, 40, q.data(), s.data());
    ADD_FAILURE() << "no throw";
  } catch (const ao::error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("3 x 40"), std::string::npos) << what;
    EXPECT_NE(what.find("16"), std::string::npos) << what;
  }
  // Empty tensors are fine.
  ao::scalar::nvfp4_quantize_rows(x.data(), 0, 64, q.data(), s.data());
  ao::scalar::nvfp4_quantize_rows(x.data(), 3, 0, q.data(), s.data());
}

// Swizzle: compile-time offsets (§1.5) ...
static_assert(ao::layout::swizzled_size(3, 5) == 1024);
static_assert(ao::layout::swizzled_size(128, 4) == 512);
static_assert(ao::layout::swizzled_size(200, 3) == 1024);
static_assert(ao::layout::swizzled_size(0, 7) == 0);
static_assert(ao::layout::swizzled_offset(0, 4, 5) == 512);
static_assert(ao::layout::swizzled_offset(1, 0, 5) == 16);
static_assert(ao::layout::swizzled_offset(2, 4, 5) == 544);
static_assert(ao::layout::swizzled_offset(32, 0, 4) == 4);

// ... torchao's to_blocked of mx.safetensors' 200x3 scales (1024 bytes), and from_blocked back.
TEST(SwizzleTorchao, BlockedScales) {
  const auto scale = ao::testing::torchao_mx().get("swizzle.scale");
  const auto want = ao::testing::torchao_mx().get("swizzle.blocked").bytes;
  ASSERT_EQ(scale.shape.size(), 2u);
  const auto rows = static_cast<std::size_t>(scale.shape[0]), cols = static_cast<std::size_t>(scale.shape[1]);
  ASSERT_EQ(ao::layout::swizzled_size(rows, cols), want.size());
  std::vector<std::uint8_t> blocked(want.size(), 0xAA);
  ao::layout::to_blocked(scale.bytes.data(), rows, cols, blocked.data());
  EXPECT_EQ(count_mismatches("blocked", blocked, want), 0);
  std::vector<std::uint8_t> back(rows * cols);
  ao::layout::from_blocked(want.data(), rows, cols, back.data());
  EXPECT_EQ(count_mismatches("from_blocked", back, scale.bytes), 0);
}

TEST(SwizzleSpec, Examples) {
  // to_blocked(arange(128*4).view(128, 4)) starts 0,1,2,3,128,129,130,131,256,...,387,4,5,6,7,132,... (as int32;
  // here bytes, so the values mod 256).
  std::vector<std::uint8_t> a(128 * 4), blocked(512);
  std::iota(a.begin(), a.end(), std::uint8_t{0});
  ao::layout::to_blocked(a.data(), 128, 4, blocked.data());
  const unsigned want[] = {0, 1, 2, 3, 128, 129, 130, 131, 256, 257, 258, 259, 384, 385, 386, 387, 4, 5, 6, 7, 132};
  for (std::size_t i = 0; i < sizeof(want) / sizeof(want[0]); ++i) EXPECT_EQ(blocked[i], want[i] % 256) << i;
  // Each tile row i is [S[i][0..3], S[i+32][0..3], S[i+64][0..3], S[i+96][0..3]].
  for (std::size_t i = 0; i < 32; ++i) {
    for (std::size_t j = 0; j < 16; ++j) EXPECT_EQ(blocked[i * 16 + j], a[(i + 32 * (j / 4)) * 4 + j % 4]);
  }
  // A 3x5 input: 1024 bytes, (0,4) at 512, (1,0) at 16, (2,4) at 544, everything else zero padding.
  std::vector<std::uint8_t> s(15);
  std::iota(s.begin(), s.end(), std::uint8_t{1});
  std::vector<std::uint8_t> b(ao::layout::swizzled_size(3, 5), 0xAA);
  ASSERT_EQ(b.size(), 1024u);
  ao::layout::to_blocked(s.data(), 3, 5, b.data());
  EXPECT_EQ(b[512], s[0 * 5 + 4]);
  EXPECT_EQ(b[16], s[1 * 5 + 0]);
  EXPECT_EQ(b[544], s[2 * 5 + 4]);
  EXPECT_EQ(std::count(b.begin(), b.end(), std::uint8_t{0}), 1024 - 15);
  std::vector<std::uint8_t> back(15);
  ao::layout::from_blocked(b.data(), 3, 5, back.data());
  EXPECT_EQ(back, s);
}

}  // namespace
