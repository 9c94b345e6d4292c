// A user-defined block-scaled format, defined here and nowhere in the library: e3m2 elements (ao::exmy_spec<3, 2, 3>:
// 3 exponent bits, 2 mantissa bits, bias 3, no NaN/Inf, signed, with subnormals), blocks of 16, e8m0 scales, the
// floor scale rule. Its quantize_block is checked at compile time against bytes derived by hand from the format's
// definition, and the same block goes through ao::quantize / ao::dequantize on both backends.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"

namespace {

using e3m2 = ao::float_exmy<ao::exmy_spec<3, 2, 3>>;
using user_format = ao::block_scaled<e3m2, ao::block<16>, ao::float8_e8m0fnu, ao::scale_rule::floor>;

static_assert(!ao::is_registered_v<user_format>, "a format outside the registry");
static_assert(user_format::block_size == 16 && user_format::elements_per_byte == 1);
static_assert(ao::format_traits<user_format>::data_row_bytes(32) == 32);
static_assert(ao::format_traits<user_format>::scale_cols(2, 32) == 2);

// The hand derivation.
//
// e3m2 (exmy_spec<3, 2, 3>): code = sign (bit 5) | field (bits 4..2) | mantissa (bits 1..0).
//   field 1..7: 2^(field - 3) * (1 + m/4): 0.25 ... 28 (= 2^4 * 1.75, the max; emax = floor(log2 28) = 4)
//   field 0:    subnormals 2^(1 - 3) * m/4 = 0.0625 * m; -0 exists (0x20). 6 bits <= 8, so out-of-range values
//               saturate to +-28 (exmy_spec's default_overflow); round to nearest, ties to even.
// Scale (floor rule, numerics spec §1.2): amax = max |x| = 124 = 1.9375 * 2^6, so E(amax) = 6, u = 6 - emax = 2,
//   byte = u + 127 = 129 (the scale is 2^2 = 4). Elements are x * 2^(127 - 129) = x / 4, then cast to e3m2:
//   x        x/4        e3m2                                               code
//   0        0          zero                                               0x00
//   -0       -0         negative zero                                      0x20
//   96       24         1.5 * 2^4: field 4+3 = 7, m = 2                    0x1E
//   -96      -24        as above with the sign                             0x3E
//   1        0.25       1.0 * 2^-2: field 1, m = 0 (the smallest normal)   0x04
//   4        1          field 3, m = 0                                     0x0C
//   5        1.25       field 3, m = 1                                     0x0D
//   4.5      1.125      tie between 1.0 (m 0) and 1.25 (m 1): even, m = 0  0x0C
//   5.5      1.375      tie between 1.25 (m 1) and 1.5 (m 2): even, m = 2  0x0E
//   0.25     0.0625     the smallest subnormal, m = 1                      0x01
//   0.125    0.03125    tie between 0 and 0.0625: even, 0                  0x00
//   0.1875   0.046875   nearer 0.0625 than 0                               0x01
//   -3       -0.75      1.5 * 2^-1: field 2, m = 2; negative               0x2A
//   124      31         above the max 28: saturates to 28 (field 7, m 3)   0x1F
//   92       23         between 20 (m 1) and 24 (m 2), nearer 24          0x1E
//   -0.5     -0.125     subnormal 2 * 0.0625: m = 2; negative              0x22
// Dequantized (code value * 4): 0, -0, 96, -96, 1, 4, 5, 4, 6, 0.25, 0, 0.25, -3, 112, 96, -0.5.
constexpr float block_a[16] = {0.0f, -0.0f, 96.0f,  -96.0f,  1.0f,  4.0f,   5.0f,  4.5f,
                               5.5f, 0.25f, 0.125f, 0.1875f, -3.0f, 124.0f, 92.0f, -0.5f};
constexpr std::uint8_t block_a_scale = 129;
constexpr std::uint8_t block_a_codes[16] = {0x00, 0x20, 0x1E, 0x3E, 0x04, 0x0C, 0x0D, 0x0C,
                                            0x0E, 0x01, 0x00, 0x01, 0x2A, 0x1F, 0x1E, 0x22};
constexpr float block_a_values[16] = {0.0f, -0.0f, 96.0f, -96.0f, 1.0f,  4.0f,   5.0f,  4.0f,
                                      6.0f, 0.25f, 0.0f,  0.25f,  -3.0f, 112.0f, 96.0f, -0.5f};

// A second block: fifteen 0.75s and one -3. amax = 3 = 1.5 * 2^1: u = 1 - 4 = -3, byte 124 (scale 2^-3), elements
// x * 8: 0.75 * 8 = 6 = 1.5 * 2^2 (field 5, m 2: 0x16); -3 * 8 = -24 (0x3E). Dequantized: 0.75 and -3 exactly.
constexpr float block_b[16] = {0.75f, 0.75f, 0.75f, 0.75f, 0.75f, -3.0f, 0.75f, 0.75f,
                               0.75f, 0.75f, 0.75f, 0.75f, 0.75f, 0.75f, 0.75f, 0.75f};
constexpr std::uint8_t block_b_scale = 124;

struct block_result {
  std::uint8_t scale;
  std::uint8_t codes[16];
};

constexpr block_result quantize_at_compile_time(const float (&x)[16]) {
  block_result r{};
  r.scale = ao::scalar::quantize_block<user_format>(x, r.codes);
  return r;
}

constexpr bool codes_are(const block_result& r, std::uint8_t scale, const std::uint8_t (&codes)[16]) {
  if (r.scale != scale) return false;
  for (int i = 0; i < 16; ++i) {
    if (r.codes[i] != codes[i]) return false;
  }
  return true;
}

constexpr bool dequantizes_to(const std::uint8_t (&codes)[16], std::uint8_t scale, const float (&values)[16]) {
  float out[16] = {};
  ao::scalar::dequantize_block<user_format>(codes, scale, out);
  for (int i = 0; i < 16; ++i) {
    if (ao::detail::bit_cast<std::uint32_t>(out[i]) != ao::detail::bit_cast<std::uint32_t>(values[i])) return false;
  }
  return true;
}

constexpr block_result result_a = quantize_at_compile_time(block_a);
static_assert(result_a.scale == block_a_scale, "floor rule: amax 124 gives 2^2");
static_assert(codes_are(result_a, block_a_scale, block_a_codes), "the hand-derived e3m2 codes");
static_assert(dequantizes_to(block_a_codes, block_a_scale, block_a_values), "code value * 4, -0 kept");
static_assert(codes_are(quantize_at_compile_time(block_b), block_b_scale,
                        {0x16, 0x16, 0x16, 0x16, 0x16, 0x3E, 0x16, 0x16, 0x16, 0x16, 0x16, 0x16, 0x16, 0x16, 0x16,
                         0x16}),
              "0.75 -> 0x16, -3 -> 0x3E at scale 2^-3");

TEST(UserFormat, CompileTimeBytesHold) {
  // The static_asserts above are the test; this repeats them at run time so that a failure also reads well.
  const block_result r = quantize_at_compile_time(block_a);
  EXPECT_EQ(r.scale, block_a_scale);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(r.codes[i], block_a_codes[i]) << i;
}

// Through the public API, no library change: 2 x 32 values, rows [A, B] and [B, A], on both backends and to every
// output dtype.
template <class Backend>
void check_through_api(Backend be) {
  SCOPED_TRACE(Backend::name);
  std::vector<float> x(64);
  std::copy_n(block_a, 16, x.begin());
  std::copy_n(block_b, 16, x.begin() + 16);
  std::copy_n(block_b, 16, x.begin() + 32);
  std::copy_n(block_a, 16, x.begin() + 48);
  const ao::quantized_tensor<user_format> q =
      ao::quantize<user_format>(ao::strided_view<const float, 2>(x.data(), {2, 32}), be);
  ASSERT_EQ(q.data().size(), 64u);
  ASSERT_EQ(q.scales().size(), 4u);
  const std::uint8_t scales[4] = {block_a_scale, block_b_scale, block_b_scale, block_a_scale};
  for (int b = 0; b < 4; ++b) EXPECT_EQ(q.scales()[b].bits(), scales[b]) << b;
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(q.data()[i], block_a_codes[i]) << i;
    EXPECT_EQ(q.data()[48 + i], block_a_codes[i]) << i;
    EXPECT_EQ(q.data()[16 + i], i == 5 ? 0x3E : 0x16) << i;
  }
  // Every value of both blocks is exact in fp32, bf16 and fp16, so each output dtype holds exactly these.
  std::vector<float> want(64);
  std::copy_n(block_a_values, 16, want.begin());
  std::copy_n(block_b, 16, want.begin() + 16);
  std::copy_n(block_b, 16, want.begin() + 32);
  std::copy_n(block_a_values, 16, want.begin() + 48);
  std::vector<float> f(64);
  ao::dequantize(q.cview(), ao::strided_view<float, 2>(f.data(), {2, 32}), be);
  std::vector<ao::bfloat16> b(64);
  ao::dequantize(q.cview(), ao::strided_view<ao::bfloat16, 2>(b.data(), {2, 32}), be);
  std::vector<ao::float16> h(64);
  ao::dequantize(q.cview(), ao::strided_view<ao::float16, 2>(h.data(), {2, 32}), be);
  for (std::size_t i = 0; i < 64; ++i) {
    EXPECT_EQ(ao_test::bits_of(f[i]), ao_test::bits_of(want[i])) << i;
    EXPECT_EQ(b[i].bits(), ao::bfloat16(want[i]).bits()) << i;
    EXPECT_EQ(h[i].bits(), ao::float16(want[i]).bits()) << i;
  }
  // And from bf16 / fp16 sources (every input value is exact in both): the same bytes.
  std::vector<ao::bfloat16> xb(64);
  std::vector<ao::float16> xh(64);
  for (std::size_t i = 0; i < 64; ++i) {
    xb[i] = ao::bfloat16(x[i]);
    xh[i] = ao::float16(x[i]);
  }
  const auto qb = ao::quantize<user_format>(ao::strided_view<const ao::bfloat16, 2>(xb.data(), {2, 32}), be);
  const auto qh = ao::quantize<user_format>(ao::strided_view<const ao::float16, 2>(xh.data(), {2, 32}), be);
  EXPECT_TRUE(ao_test::snap(qb) == ao_test::snap(q));
  EXPECT_TRUE(ao_test::snap(qh) == ao_test::snap(q));
}

TEST(UserFormat, ThroughQuantizeAndDequantizeScalar) { check_through_api(ao::backend::scalar{}); }
TEST(UserFormat, ThroughQuantizeAndDequantizeHighway) { check_through_api(ao::backend::highway{}); }

TEST(UserFormat, ErrorsNameTheUserFormat) {
  const std::vector<float> x(2 * 24, 1.0f);
  try {
    (void)ao::quantize<user_format>(ao::strided_view<const float, 2>(x.data(), {2, 24}));
    ADD_FAILURE() << "no ao::error";
  } catch (const ao::error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("user-defined"), std::string::npos) << m;
    EXPECT_NE(m.find("2 x 24"), std::string::npos) << m;
    EXPECT_NE(m.find("blocks of 16"), std::string::npos) << m;
  }
}

}  // namespace
