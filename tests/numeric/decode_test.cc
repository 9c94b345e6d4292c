// Every code of every element type decodes to the value of the independent reference formula, in float and in
// double, and classifies (isnan/isinf/isfinite/signbit) accordingly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "ao/numeric.hpp"
#include "reference_formats.hpp"

namespace {

using ao::testing::reference;

template <class T>
class DecodeTest : public ::testing::Test {};
TYPED_TEST_SUITE(DecodeTest, ao::testing::all_float_types, ao::testing::type_names);

bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

TYPED_TEST(DecodeTest, EveryCodeMatchesTheReferenceFormula) {
  using T = TypeParam;
  constexpr std::uint32_t codes = 1u << reference<T>::bits;
  for (std::uint32_t c = 0; c < codes; ++c) {
    const T x = T::from_bits(static_cast<typename T::storage_type>(c));
    ASSERT_EQ(x.bits(), c);
    const double want = reference<T>::decode(c);
    EXPECT_TRUE(same_double(double(x), want)) << "code 0x" << std::hex << c << ": " << double(x) << " vs " << want;
    EXPECT_TRUE(same_double(static_cast<double>(float(x)), want)) << "code 0x" << std::hex << c;
    EXPECT_TRUE(same_double(static_cast<double>(T::decode(x.bits())), want)) << "code 0x" << std::hex << c;
    EXPECT_EQ(ao::isnan(x), std::isnan(want)) << c;
    EXPECT_EQ(ao::isinf(x), std::isinf(want)) << c;
    EXPECT_EQ(ao::isfinite(x), std::isfinite(want)) << c;
    if (reference<T>::is_signed) {
      EXPECT_EQ(ao::signbit(x), ((c >> (reference<T>::bits - 1)) & 1) != 0) << c;
    } else {
      EXPECT_FALSE(ao::signbit(x));
    }
  }
}

TYPED_TEST(DecodeTest, FromBitsIgnoresBitsAboveTheCode) {
  using T = TypeParam;
  if constexpr (reference<T>::bits < 8) {
    for (std::uint32_t c = 0; c < 256; ++c) {
      EXPECT_EQ(T::from_bits(static_cast<std::uint8_t>(c)).bits(), c & ((1u << reference<T>::bits) - 1));
    }
  }
}

TYPED_TEST(DecodeTest, EveryNonNanCodeRoundTripsThroughFloatAndDouble) {
  using T = TypeParam;
  for (std::uint32_t c = 0; c < (1u << reference<T>::bits); ++c) {
    const T x = T::from_bits(static_cast<typename T::storage_type>(c));
    if (ao::isnan(x)) continue;
    if (ao::isinf(x) && T::default_overflow == ao::overflow::saturate) {
      // float8_e5m2: infinity saturates to the largest finite value of its sign (0x7B / 0xFB).
      EXPECT_EQ(T(float(x)).bits(), c - 1) << std::hex << c;
      EXPECT_EQ((ao::convert<T, ao::overflow::to_inf_or_nan>(float(x)).bits()), c) << std::hex << c;
      continue;
    }
    EXPECT_EQ(T(float(x)).bits(), c) << std::hex << c;
    EXPECT_EQ(T(double(x)).bits(), c) << std::hex << c;
  }
}

TYPED_TEST(DecodeTest, NegationFlipsTheSignAndKeepsFnuzZeroAndNan) {
  using T = TypeParam;
  if constexpr (T::is_signed) {
    for (std::uint32_t c = 0; c < (1u << reference<T>::bits); ++c) {
      const T x = T::from_bits(static_cast<typename T::storage_type>(c));
      const T n = -x;
      if (T::nan == ao::nan_encoding::negative_zero && (c & ~(1u << (reference<T>::bits - 1))) == 0) {
        EXPECT_EQ(n.bits(), c);  // 0 and the NaN code 0x80 are their own negation
      } else {
        EXPECT_EQ(n.bits(), c ^ (1u << (reference<T>::bits - 1)));
        if (!ao::isnan(x)) {
          EXPECT_EQ(double(n), -double(x));
        }
      }
    }
  }
}

TYPED_TEST(DecodeTest, ComparisonsFollowTheValues) {
  using T = TypeParam;
  for (std::uint32_t a = 0; a < (1u << reference<T>::bits); a += (reference<T>::bits > 8 ? 251 : 1)) {
    for (std::uint32_t b = 0; b < (1u << reference<T>::bits); b += (reference<T>::bits > 8 ? 257 : 1)) {
      const double va = reference<T>::decode(a), vb = reference<T>::decode(b);
      const T x = T::from_bits(static_cast<typename T::storage_type>(a));
      const T y = T::from_bits(static_cast<typename T::storage_type>(b));
      ASSERT_EQ(x == y, va == vb);
      ASSERT_EQ(x != y, va != vb);
      ASSERT_EQ(x < y, va < vb);
      ASSERT_EQ(x <= y, va <= vb);
      ASSERT_EQ(x > y, va > vb);
      ASSERT_EQ(x >= y, va >= vb);
    }
  }
}

TEST(DecodeSpecValues, MatchTheSpecConstants) {
  // numerics.md §1.1 and the fp4 code table.
  const double fp4[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (unsigned c = 0; c < 8; ++c) {
    EXPECT_EQ(double(ao::float4_e2m1fn::from_bits(static_cast<std::uint8_t>(c))), fp4[c]);
    EXPECT_EQ(double(ao::float4_e2m1fn::from_bits(static_cast<std::uint8_t>(c | 8))), -fp4[c]);
  }
  EXPECT_TRUE(std::signbit(double(ao::float4_e2m1fn::from_bits(8))));
  EXPECT_EQ(double(ao::float8_e4m3fn::from_bits(0x7E)), 448.0);
  EXPECT_EQ(double(ao::float8_e4m3fn::from_bits(0x01)), std::ldexp(1.0, -9));
  EXPECT_EQ(double(ao::float8_e4m3fn::from_bits(0x08)), std::ldexp(1.0, -6));
  EXPECT_EQ(double(ao::float8_e4m3fnuz::from_bits(0x7F)), 240.0);
  EXPECT_EQ(double(ao::float8_e4m3fnuz::from_bits(0x01)), std::ldexp(1.0, -10));
  EXPECT_EQ(double(ao::float8_e5m2::from_bits(0x7B)), 57344.0);
  EXPECT_TRUE(std::isinf(double(ao::float8_e5m2::from_bits(0x7C))));
  EXPECT_EQ(double(ao::float8_e5m2::from_bits(0x01)), std::ldexp(1.0, -16));
  EXPECT_EQ(double(ao::float8_e5m2fnuz::from_bits(0x7F)), 57344.0);
  EXPECT_EQ(double(ao::float8_e8m0fnu::from_bits(0)), std::ldexp(1.0, -127));
  EXPECT_EQ(double(ao::float8_e8m0fnu::from_bits(254)), std::ldexp(1.0, 127));
  EXPECT_EQ(double(ao::float6_e2m3fn::from_bits(0x1F)), 7.5);
  EXPECT_EQ(double(ao::float6_e2m3fn::from_bits(0x01)), 0.125);
  EXPECT_EQ(double(ao::float6_e3m2fn::from_bits(0x1F)), 28.0);
  EXPECT_EQ(double(ao::float6_e3m2fn::from_bits(0x01)), 0.0625);
  EXPECT_EQ(double(ao::float16::from_bits(0x7BFF)), 65504.0);
  EXPECT_EQ(double(ao::float16::from_bits(0x0001)), std::ldexp(1.0, -24));
  EXPECT_EQ(double(ao::bfloat16::from_bits(0x0001)), std::ldexp(1.0, -133));
}

#if defined(__FLT16_MAX__) && !defined(__clang__)
TEST(DecodeFloat16, MatchesTheCompilersFloat16) {
  for (std::uint32_t c = 0; c < 65536; ++c) {
    const std::uint16_t b = static_cast<std::uint16_t>(c);
    _Float16 h;
    std::memcpy(&h, &b, 2);
    const double want = static_cast<double>(h);
    const double got = double(ao::float16::from_bits(b));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_EQ(got, want) << c;
    }
  }
}
#endif

}  // namespace
