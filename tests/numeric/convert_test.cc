// ao::convert's options and its float, double and built-in integer endpoints.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "ao/numeric.hpp"

namespace {

using ao::overflow;
using ao::rounding;

TEST(Convert, OptionsInAnyOrder) {
  const float x = 1e6f;
  EXPECT_EQ((ao::convert<ao::float8_e4m3fn, overflow::to_inf_or_nan, rounding::toward_zero>(x).bits()), 0x7Eu);
  EXPECT_EQ((ao::convert<ao::float8_e4m3fn, rounding::toward_zero, overflow::to_inf_or_nan>(x).bits()), 0x7Eu);
  EXPECT_EQ((ao::convert<ao::float8_e4m3fn, rounding::up, overflow::to_inf_or_nan>(x).bits()), 0x7Fu);
  EXPECT_EQ((ao::convert<ao::float8_e4m3fn, overflow::to_inf_or_nan, rounding::up>(-x).bits()), 0xFEu);
  EXPECT_EQ((ao::convert<ao::float8_e4m3fn, overflow::to_inf_or_nan, rounding::down>(-x).bits()), 0xFFu);
  EXPECT_EQ(ao::convert<ao::float8_e4m3fn>(x).bits(), ao::float8_e4m3fn(x).bits());
}

TEST(Convert, DoubleToFloatInEveryMode) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int i = 0; i < 100000; ++i) {
    const double x = u(rng) * std::ldexp(1.0, static_cast<int>(rng() % 400) - 200);
    const float rn = static_cast<float>(x);  // the hardware conversion, round to nearest even
    ASSERT_EQ(ao::convert<float>(x), rn) << x;
    const float lo = static_cast<double>(rn) <= x ? rn : std::nextafter(rn, -INFINITY);
    const float hi = static_cast<double>(rn) >= x ? rn : std::nextafter(rn, INFINITY);
    ASSERT_EQ((ao::convert<float, rounding::down>(x)), lo) << x;
    ASSERT_EQ((ao::convert<float, rounding::up>(x)), hi) << x;
    ASSERT_EQ((ao::convert<float, rounding::toward_zero>(x)), x < 0 ? hi : lo) << x;
  }
  EXPECT_TRUE(std::isinf(ao::convert<float>(1e300)));
  EXPECT_EQ((ao::convert<float, overflow::saturate>(1e300)), std::numeric_limits<float>::max());
  EXPECT_EQ((ao::convert<float, rounding::toward_zero>(1e300)), std::numeric_limits<float>::max());
  EXPECT_EQ(ao::convert<double>(ao::bfloat16::from_bits(0x3F80)), 1.0);
}

TEST(Convert, BuiltInIntegersRoundAndSaturate) {
  EXPECT_EQ(ao::convert<std::int8_t>(127.5f), 127);
  EXPECT_EQ(ao::convert<std::int8_t>(-1e9), -128);
  EXPECT_EQ(ao::convert<std::int8_t>(2.5f), 2);
  EXPECT_EQ(ao::convert<std::int8_t>(3.5f), 4);
  EXPECT_EQ(ao::convert<std::uint8_t>(-3.0f), 0);
  EXPECT_EQ(ao::convert<std::uint8_t>(255.49), 255);
  EXPECT_EQ(ao::convert<std::int32_t>(std::numeric_limits<float>::quiet_NaN()), 0);
  EXPECT_EQ(ao::convert<std::int32_t>(3e9f), std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(ao::convert<std::int64_t>(-0x1p63), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(ao::convert<std::int64_t>(0x1p63), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ao::convert<std::int64_t>(0x1p62), std::int64_t{1} << 62);
  EXPECT_EQ((ao::convert<std::int32_t, rounding::down>(-2.5)), -3);
  EXPECT_EQ((ao::convert<std::int32_t, rounding::up>(-2.5)), -2);
  EXPECT_EQ(ao::convert<std::int16_t>(ao::float8_e4m3fn::from_bits(0x7E)), 448);
  EXPECT_EQ(ao::convert<std::int32_t>(ao::float8_e8m0fnu::from_bits(127 + 20)), 1 << 20);
}

}  // namespace
