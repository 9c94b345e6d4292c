// The public torchao and PyTorch tables of ../shared/spec/numerics.md: §1.3 (torchao's fp4/fp6 converter codes
// and tie cases), §1.7 (the RCEIL e8m0 bit patterns and scale reciprocals), §1.4 (fp4 sign-preserving -0) and
// §3.4 (torch's eager float8 cast, which is ao's overflow::to_inf_or_nan). Expected bytes are the spec's, typed in.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "ao/numeric.hpp"

namespace {

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

// §1.3: torchao gives these codes (f32_to_f4_unpacked and the fp6 twins) for these inputs.
const std::vector<float> kInputs = {0, .25f, .26f, .75f, 1.25f, 1.75f, 2.5f, 3.5f, 5, 6, 7, 100, -0.0f, -.25f, -5, -100, kInf};

TEST(TorchaoTables, Fp4ScalarCodes) {
  const std::vector<unsigned> want = {0, 0, 1, 2, 2, 4, 4, 6, 6, 7, 7, 7, 8, 8, 14, 15, 7};
  for (size_t i = 0; i < kInputs.size(); ++i) EXPECT_EQ(ao::float4_e2m1fn(kInputs[i]).bits(), want[i]) << kInputs[i];
}

TEST(TorchaoTables, Fp6E2m3ScalarCodes) {
  const std::vector<unsigned> want = {0, 2, 2, 6, 10, 14, 18, 22, 26, 28, 30, 31, 32, 34, 58, 63, 31};
  for (size_t i = 0; i < kInputs.size(); ++i) EXPECT_EQ(ao::float6_e2m3fn(kInputs[i]).bits(), want[i]) << kInputs[i];
}

TEST(TorchaoTables, Fp6E3m2ScalarCodes) {
  const std::vector<unsigned> want = {0, 4, 4, 10, 13, 15, 17, 19, 21, 22, 23, 31, 32, 36, 53, 63, 31};
  for (size_t i = 0; i < kInputs.size(); ++i) EXPECT_EQ(ao::float6_e3m2fn(kInputs[i]).bits(), want[i]) << kInputs[i];
}

TEST(TorchaoTables, TieCasesFromTestKernels) {
  // fp4: 0.25->0, 0.75->1.0, 1.25->1.0, 1.75->2.0, 2.5->2.0, 3.5->4.0, 5.0->4.0
  const std::vector<std::pair<float, float>> fp4 = {{.25f, 0}, {.75f, 1}, {1.25f, 1}, {1.75f, 2},
                                                    {2.5f, 2}, {3.5f, 4}, {5.f, 4}};
  for (auto [in, out] : fp4) EXPECT_EQ(float(ao::float4_e2m1fn(in)), out) << in;
  // fp6 e3m2: 29 -> 0b011111, 26 -> 0b011110 (tie to even), 0.1251 -> 0b000010, 0.0314 -> 0b000001, 0.03 -> 0
  EXPECT_EQ(ao::float6_e3m2fn(29.f).bits(), 0b011111u);
  EXPECT_EQ(ao::float6_e3m2fn(26.f).bits(), 0b011110u);
  EXPECT_EQ(ao::float6_e3m2fn(0.1251f).bits(), 0b000010u);
  EXPECT_EQ(ao::float6_e3m2fn(0.0314f).bits(), 0b000001u);
  EXPECT_EQ(ao::float6_e3m2fn(0.03f).bits(), 0u);
}

TEST(TorchaoTables, Fp4KeepsTheSignOfZero) {
  // §1.2 worked example: the pair (-0.2, 0.3) scaled by 1/4 gives (-0, 0); §1.4 packs -0 as nibble 8.
  EXPECT_EQ(ao::float4_e2m1fn(-0.2f / 4).bits(), 8u);
  EXPECT_EQ(ao::float4_e2m1fn(0.3f / 4).bits(), 0u);
  EXPECT_EQ(ao::float4_e2m1fn(-0.0f).bits(), 8u);
  EXPECT_EQ(ao::float6_e2m3fn(-0.0f).bits(), 0x20u);
}

TEST(TorchaoTables, RceilE8m0BitPatterns) {
  // §1.7 make_f32_to_e8m0_rceil_cases: fp32 bits -> e8m0 byte, rounding up with NaN on overflow.
  const std::vector<std::pair<std::uint32_t, unsigned>> cases = {
      {0x00000000, 0},   {0x00000001, 0},   {0x00400000, 0},   {0x00400001, 1},   {0x007FFFFF, 1},
      {0x00800000, 1},   {0x1F800000, 63},  {0x1F800001, 64},  {0x3F7FFFFF, 127}, {0x3F800000, 127},
      {0x3F800001, 128}, {0x5F800000, 191}, {0x5F800001, 192}, {0x7F000000, 254}, {0x7F000001, 255},
      {0x7F7FFFFF, 255}, {0x7F800000, 255}, {0x7FC00000, 255}};
  for (auto [bits, want] : cases) {
    EXPECT_EQ((ao::convert<ao::float8_e8m0fnu, ao::rounding::up, ao::overflow::to_inf_or_nan>(from_bits(bits)).bits()),
              want)
        << std::hex << bits;
  }
}

TEST(TorchaoTables, E8m0ScaleReciprocals) {
  // §1.7: the reciprocal of scale byte b is the e8m0 value of byte 254 - b: b = 254 gives 2^-127 (fp32 bits
  // 0x00400000), and every reciprocal is exact.
  for (unsigned b = 0; b <= 254; ++b) {
    const float scale = float(ao::float8_e8m0fnu::from_bits(static_cast<std::uint8_t>(b)));
    const float reciprocal = float(ao::float8_e8m0fnu::from_bits(static_cast<std::uint8_t>(254 - b)));
    EXPECT_EQ(static_cast<double>(scale) * reciprocal, 1.0) << b;
  }
  std::uint32_t bits;
  const float r = float(ao::float8_e8m0fnu::from_bits(0));
  std::memcpy(&bits, &r, 4);
  EXPECT_EQ(bits, 0x00400000u);
  EXPECT_TRUE(std::isnan(float(ao::float8_e8m0fnu::from_bits(255))));
}

TEST(TorchaoTables, TorchEagerFloat8CastIsToInfOrNan) {
  // §3.4: torch's x.to(float8_e4m3fn) does not saturate: 448, 460, 464 -> 0x7E; 465, 470, 480, 1e6, inf -> 0x7F;
  // -1e6 -> 0xFF. e5m2: 57344, 61439 -> 0x7B; 61440, 1e6, 1e9 -> 0x7C.
  using e4m3 = ao::float8_e4m3fn;
  using e5m2 = ao::float8_e5m2;
  for (float x : {448.f, 460.f, 464.f}) EXPECT_EQ((ao::convert<e4m3, ao::overflow::to_inf_or_nan>(x).bits()), 0x7Eu);
  for (float x : {465.f, 470.f, 480.f, 1e6f, kInf})
    EXPECT_EQ((ao::convert<e4m3, ao::overflow::to_inf_or_nan>(x).bits()), 0x7Fu) << x;
  EXPECT_EQ((ao::convert<e4m3, ao::overflow::to_inf_or_nan>(-1e6f).bits()), 0xFFu);
  for (float x : {57344.f, 61439.f}) EXPECT_EQ((ao::convert<e5m2, ao::overflow::to_inf_or_nan>(x).bits()), 0x7Bu);
  for (float x : {61440.f, 1e6f, 1e9f}) EXPECT_EQ((ao::convert<e5m2, ao::overflow::to_inf_or_nan>(x).bits()), 0x7Cu);
  // e4m3fnuz: anything above about 248 is NaN (0x80) in the plain cast.
  EXPECT_EQ((ao::convert<ao::float8_e4m3fnuz, ao::overflow::to_inf_or_nan>(247.f).bits()), 0x7Fu);
  EXPECT_EQ((ao::convert<ao::float8_e4m3fnuz, ao::overflow::to_inf_or_nan>(249.f).bits()), 0x80u);
  // ao's default (saturating) cast is torchao's clamp-then-cast: 480 -> 448, -1e6 -> -448.
  EXPECT_EQ(e4m3(480.f).bits(), 0x7Eu);
  EXPECT_EQ(e4m3(-1e6f).bits(), 0xFEu);
  EXPECT_EQ(e5m2(kInf).bits(), 0x7Bu);
}

TEST(TorchaoTables, WorkedExampleElementBytes) {
  // §1.2: e4m3 FLOOR scale 2^4 (multiply by 16): 0.1*16 = 1.6 -> 1.625 = 0x3D; the block starts
  // [0, 61, 197, 74, 80, 212, 88, ...] and -30*16 = -480 clamps to -448 = 0xFE.
  const float block[] = {0, .1f, -.2f, .3f, .5f, -.75f, 1};
  const unsigned want[] = {0, 61, 197, 74, 80, 212, 88};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(ao::float8_e4m3fn(block[i] * 16.0f).bits(), want[i]) << i;
  EXPECT_EQ(ao::float8_e4m3fn(-30.f * 16.0f).bits(), 0xFEu);
  EXPECT_EQ(double(ao::float8_e4m3fn(-30.f * 16.0f)) / 16, -28.0);
  // RCEIL: -30 * 8 = -240 = 0xF7 exactly.
  EXPECT_EQ(ao::float8_e4m3fn(-30.f * 8.0f).bits(), 0xF7u);
  // fp4 FLOOR, scale 4: 30/4 = 7.5 saturates to 6 (code 7); 1/4 = 0.25 ties to 0; 1.25/4 rounds to 0.5.
  EXPECT_EQ(ao::float4_e2m1fn(30.f / 4).bits(), 7u);
  EXPECT_EQ(ao::float4_e2m1fn(1.f / 4).bits(), 0u);
  EXPECT_EQ(ao::float4_e2m1fn(1.25f / 4).bits(), 1u);
}

TEST(TorchaoTables, NanInTypesWithoutNan) {
  // ao's documented choice (as CUDA): NaN encodes to +max in fp4/fp6; torchao leaves these codes unspecified.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(ao::float4_e2m1fn(nan).bits(), 7u);
  EXPECT_EQ(ao::float4_e2m1fn(-nan).bits(), 7u);
  EXPECT_EQ(ao::float6_e2m3fn(nan).bits(), 0x1Fu);
  EXPECT_EQ(ao::float6_e3m2fn(-nan).bits(), 0x1Fu);
  EXPECT_EQ(ao::float8_e8m0fnu(nan).bits(), 0xFFu);
  EXPECT_EQ(ao::float8_e4m3fnuz(-nan).bits(), 0x80u);
  EXPECT_EQ(ao::float8_e4m3fn(-nan).bits(), 0xFFu);
  EXPECT_EQ(ao::float8_e4m3fn(nan).bits(), 0x7Fu);
}

}  // namespace
