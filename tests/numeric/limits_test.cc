// std::numeric_limits of every element type against the spec's constants (numerics.md §1.1, IEEE 754) and the
// standard's definitions computed with <cmath>.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ao/numeric.hpp"
#include "reference_formats.hpp"

namespace {

struct expected_limits {
  double max, min_normal, denorm_min, epsilon;
  int digits;
  bool has_infinity, has_nan, is_signed;
};

template <class T>
expected_limits expected();
// Typed in from numerics.md §1.1 and IEEE 754 (not computed by ao).
template <> expected_limits expected<ao::float8_e4m3fn>() { return {448, 0x1p-6, 0x1p-9, 0.125, 4, false, true, true}; }
template <> expected_limits expected<ao::float8_e4m3fnuz>() { return {240, 0x1p-7, 0x1p-10, 0.125, 4, false, true, true}; }
template <> expected_limits expected<ao::float8_e5m2>() { return {57344, 0x1p-14, 0x1p-16, 0.25, 3, true, true, true}; }
template <> expected_limits expected<ao::float8_e5m2fnuz>() { return {57344, 0x1p-15, 0x1p-17, 0.25, 3, false, true, true}; }
template <> expected_limits expected<ao::float8_e8m0fnu>() { return {0x1p127, 0x1p-127, 0x1p-127, 1.0, 1, false, true, false}; }
template <> expected_limits expected<ao::float6_e2m3fn>() { return {7.5, 1.0, 0.125, 0.125, 4, false, false, true}; }
template <> expected_limits expected<ao::float6_e3m2fn>() { return {28, 0.25, 0.0625, 0.25, 3, false, false, true}; }
template <> expected_limits expected<ao::float4_e2m1fn>() { return {6, 1.0, 0.5, 0.5, 2, false, false, true}; }
template <> expected_limits expected<ao::bfloat16>() { return {0x1.FEp127, 0x1p-126, 0x1p-133, 0x1p-7, 8, true, true, true}; }
template <> expected_limits expected<ao::float16>() { return {65504, 0x1p-14, 0x1p-24, 0x1p-10, 11, true, true, true}; }

template <class T>
class LimitsTest : public ::testing::Test {};
TYPED_TEST_SUITE(LimitsTest, ao::testing::all_float_types, ao::testing::type_names);

TYPED_TEST(LimitsTest, MatchTheSpec) {
  using T = TypeParam;
  using L = std::numeric_limits<T>;
  const expected_limits e = expected<T>();
  EXPECT_TRUE(L::is_specialized);
  EXPECT_FALSE(L::is_integer);
  EXPECT_EQ(double(L::max()), e.max);
  EXPECT_EQ(double(L::lowest()), e.is_signed ? -e.max : e.min_normal);
  EXPECT_EQ(double(L::min()), e.min_normal);
  EXPECT_EQ(double(L::denorm_min()), e.denorm_min);
  EXPECT_EQ(double(L::epsilon()), e.epsilon);
  EXPECT_EQ(double(L::round_error()), 0.5);
  EXPECT_EQ(L::digits, e.digits);
  EXPECT_EQ(L::has_infinity, e.has_infinity);
  EXPECT_EQ(L::has_quiet_NaN, e.has_nan);
  EXPECT_EQ(L::is_signed, e.is_signed);
  EXPECT_EQ(L::radix, 2);
  EXPECT_EQ(L::has_denorm == std::denorm_present, e.denorm_min < e.min_normal);
  // The standard's definitions.
  EXPECT_EQ(L::digits10, static_cast<int>(std::floor((e.digits - 1) * std::log10(2.0))));
  EXPECT_EQ(L::max_digits10, static_cast<int>(std::ceil(e.digits * std::log10(2.0)) + 1));
  int exp;
  std::frexp(e.min_normal, &exp);
  EXPECT_EQ(L::min_exponent, exp);  // min normal = 0.5 * 2^min_exponent
  std::frexp(e.max, &exp);
  EXPECT_EQ(L::max_exponent, exp);
  EXPECT_EQ(L::min_exponent10, static_cast<int>(std::ceil(std::log10(e.min_normal))));
  EXPECT_EQ(L::max_exponent10, static_cast<int>(std::floor(std::log10(e.max))));
  // epsilon is the distance from 1 to the next value.
  EXPECT_EQ(double(T(1.0 + e.epsilon)), 1.0 + e.epsilon);
  EXPECT_EQ(double(T(1.0 + e.epsilon * 0.49)), 1.0);
}

TYPED_TEST(LimitsTest, InfinityAndNanAreWhatConversionGives) {
  using T = TypeParam;
  using L = std::numeric_limits<T>;
  const double inf = double(L::infinity());
  const double qnan = double(L::quiet_NaN());
  if (L::has_infinity) {
    EXPECT_TRUE(std::isinf(inf) && inf > 0);
  } else if (L::has_quiet_NaN) {
    EXPECT_TRUE(std::isnan(inf));  // +inf under overflow::to_inf_or_nan
  } else {
    EXPECT_EQ(inf, double(L::max()));
  }
  if (L::has_quiet_NaN) {
    EXPECT_TRUE(std::isnan(qnan));
    EXPECT_TRUE(std::isnan(double(L::signaling_NaN())));
  } else {
    EXPECT_EQ(qnan, double(L::max()));
  }
  EXPECT_EQ(L::infinity().bits(),
            (ao::convert<T, ao::overflow::to_inf_or_nan>(std::numeric_limits<float>::infinity()).bits()));
  EXPECT_EQ(L::quiet_NaN().bits(), T(std::numeric_limits<float>::quiet_NaN()).bits());
}

TEST(LimitsIeee, Float16AndBfloat16MatchIeeeCounts) {
  using H = std::numeric_limits<ao::float16>;
  EXPECT_EQ(H::digits10, 3);
  EXPECT_EQ(H::max_digits10, 5);
  EXPECT_EQ(H::min_exponent, -13);
  EXPECT_EQ(H::max_exponent, 16);
  EXPECT_EQ(H::min_exponent10, -4);
  EXPECT_EQ(H::max_exponent10, 4);
  using B = std::numeric_limits<ao::bfloat16>;
  EXPECT_EQ(B::min_exponent, std::numeric_limits<float>::min_exponent);
  EXPECT_EQ(B::max_exponent, std::numeric_limits<float>::max_exponent);
  EXPECT_EQ(B::min_exponent10, std::numeric_limits<float>::min_exponent10);
  EXPECT_EQ(B::max_exponent10, std::numeric_limits<float>::max_exponent10);
}

}  // namespace
