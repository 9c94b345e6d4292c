// Encoding from double, integers and other element types: every tie between adjacent codes, and one double ulp
// on either side of it (values float cannot hold, so a conversion through float would round twice), random
// doubles against the table oracle, integers beyond 2^53, and every code of every type converted to every other.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>

#include "ao/numeric.hpp"
#include "exhaustive.hpp"
#include "reference_formats.hpp"

namespace {

using namespace ao::testing;
using ao::overflow;
using ao::rounding;

template <class T>
class EncodeDoubleTest : public ::testing::Test {};
TYPED_TEST_SUITE(EncodeDoubleTest, all_float_types, type_names);

TYPED_TEST(EncodeDoubleTest, TiesBetweenAdjacentCodesGoToEvenAndOneUlpDecides) {
  using T = TypeParam;
  const value_table<T> t;
  const std::uint32_t sign_bit = nearest_oracle<T>::kSignBit;
  int double_rounding_cases = 0;
  for (size_t i = 0; i + 1 < t.values.size(); ++i) {
    const double lo = t.values[i], hi = t.values[i + 1];
    const double mid = (lo + hi) / 2;  // exact in double
    const std::uint32_t even = tie_winner<T>(t.codes[i], t.codes[i + 1]);
    const double below = std::nextafter(mid, 0.0), above = std::nextafter(mid, 2 * hi);
    EXPECT_EQ(T(mid).bits(), even) << "tie " << mid;
    EXPECT_EQ(T(below).bits(), t.codes[i]) << "below tie " << mid;
    EXPECT_EQ(T(above).bits(), t.codes[i + 1]) << "above tie " << mid;
    if (reference<T>::is_signed) {
      const std::uint32_t neg_even = (even == 0 && T::nan == ao::nan_encoding::negative_zero) ? 0 : sign_bit | even;
      const std::uint32_t neg_lo =
          (t.codes[i] == 0 && T::nan == ao::nan_encoding::negative_zero) ? 0 : sign_bit | t.codes[i];
      EXPECT_EQ(T(-mid).bits(), neg_even) << "tie " << -mid;
      EXPECT_EQ(T(-below).bits(), neg_lo) << "below tie " << -mid;
      EXPECT_EQ(T(-above).bits(), sign_bit | t.codes[i + 1]) << "above tie " << -mid;
    }
    // Directed modes at the tie.
    EXPECT_EQ((ao::convert<T, rounding::toward_zero>(mid).bits()), t.codes[i]);
    EXPECT_EQ((ao::convert<T, rounding::up>(mid).bits()), t.codes[i + 1]);
    EXPECT_EQ((ao::convert<T, rounding::down>(mid).bits()), t.codes[i]);
    if (static_cast<double>(static_cast<float>(above)) == mid) ++double_rounding_cases;
  }
  // For the 16-bit types the one-ulp neighbours are not floats: this test is where double rounding would show.
  if (reference<T>::bits == 16) {
    EXPECT_GT(double_rounding_cases, 1000);
  }
}

TYPED_TEST(EncodeDoubleTest, RandomDoublesMatchTheOracle) {
  using T = TypeParam;
  const value_table<T> t;
  nearest_oracle<T> oracle(t);
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<std::uint64_t> bits;
  const double range = t.max() * 4;
  std::uniform_real_distribution<double> near_range(-range, range);
  for (int n = 0; n < 200000; ++n) {
    double x;
    if (n % 2 == 0) {
      const std::uint64_t b = bits(rng);
      std::memcpy(&x, &b, 8);
      if (std::isnan(x) || std::isinf(x)) continue;
      // Keep exponents in a band around the format's range, where the interesting cases are.
      int unused_exponent;
      x = std::ldexp(std::frexp(x, &unused_exponent), static_cast<int>(b % 300) - 150);
    } else {
      x = near_range(rng) * std::ldexp(1.0, -static_cast<int>(bits(rng) % 40));
    }
    const double a = std::fabs(x);
    oracle.reset(a);
    const bool neg = std::signbit(x);
    ASSERT_EQ(T(x).bits(), oracle.expect(neg, rounding::nearest_even, T::default_overflow)) << x;
    ASSERT_EQ((ao::convert<T, rounding::toward_zero, overflow::saturate>(x).bits()),
              oracle.expect(neg, rounding::toward_zero, overflow::saturate))
        << x;
    ASSERT_EQ((ao::convert<T, rounding::up, overflow::to_inf_or_nan>(x).bits()),
              oracle.expect(neg, rounding::up, overflow::to_inf_or_nan))
        << x;
    ASSERT_EQ((ao::convert<T, rounding::down, overflow::saturate>(x).bits()),
              oracle.expect(neg, rounding::down, overflow::saturate))
        << x;
  }
}

TYPED_TEST(EncodeDoubleTest, DoublesBeyondFloatRange) {
  using T = TypeParam;
  const value_table<T> t;
  nearest_oracle<T> oracle(t);
  for (double x : {1e300, 1e39, 1e-300, 1e-46, 4.9e-324}) {
    oracle.reset(x);
    EXPECT_EQ(T(x).bits(), oracle.expect(false, rounding::nearest_even, T::default_overflow)) << x;
    EXPECT_EQ(T(-x).bits(), oracle.expect(true, rounding::nearest_even, T::default_overflow)) << x;
    EXPECT_EQ((ao::convert<T, rounding::up>(x).bits()), oracle.expect(false, rounding::up, T::default_overflow)) << x;
  }
}

TYPED_TEST(EncodeDoubleTest, IntegersEncodeExactlyOnce) {
  using T = TypeParam;
  const value_table<T> t;
  nearest_oracle<T> oracle(t);
  for (std::int64_t i = -70000; i <= 70000; i += 7) {
    oracle.reset(static_cast<double>(i < 0 ? -i : i));
    ASSERT_EQ(T(i).bits(), oracle.expect(i < 0, rounding::nearest_even, T::default_overflow)) << i;
    ASSERT_EQ(T(static_cast<int>(i)).bits(), T(static_cast<double>(i)).bits()) << i;
  }
  EXPECT_EQ(T(std::numeric_limits<std::int64_t>::min()).bits(), T(-std::ldexp(1.0, 63)).bits());
  EXPECT_EQ(T(std::numeric_limits<std::uint64_t>::max()).bits(), T(std::ldexp(1.0, 64)).bits());
}

TEST(EncodeInteger, LargeIntegersDoNotRoundTwice) {
  // 2^60 + 2^52 + 1 lies just above the bfloat16 tie 2^60 (1 + 2^-8); as a double it would be the tie itself
  // (2^60 + 2^52), which rounds to even (2^60). Exact encoding rounds up.
  const std::int64_t i = (std::int64_t{1} << 60) + (std::int64_t{1} << 52) + 1;
  EXPECT_EQ(static_cast<double>(i), std::ldexp(1.0, 60) + std::ldexp(1.0, 52));
  EXPECT_EQ(double(ao::bfloat16(i)), std::ldexp(1.0, 60) * (1 + 1.0 / 128));
  EXPECT_EQ(double(ao::bfloat16(static_cast<double>(i))), std::ldexp(1.0, 60));
  EXPECT_EQ(double(ao::bfloat16(-i)), -std::ldexp(1.0, 60) * (1 + 1.0 / 128));
}

// Every code of Src converted to Dst equals Dst(float(src)) (float holds every Src value exactly).
template <class Src, class Dst>
void check_all_codes() {
  for (std::uint32_t c = 0; c < (1u << reference<Src>::bits); ++c) {
    const Src s = Src::from_bits(static_cast<typename Src::storage_type>(c));
    const float f = float(s);
    ASSERT_EQ(ao::convert<Dst>(s).bits(), Dst(f).bits()) << name(Src{}) << " code " << c << " to " << name(Dst{});
    if constexpr (!std::is_same_v<Src, Dst>) {
      ASSERT_EQ(Dst(s).bits(), Dst(f).bits()) << name(Src{}) << " code " << c << " to " << name(Dst{});
    } else {
      ASSERT_EQ(Dst(s).bits(), c);  // same type: a copy, NaN payloads and infinities included
    }
    ASSERT_EQ((ao::convert<Dst, rounding::toward_zero>(s).bits()), (ao::convert<Dst, rounding::toward_zero>(f).bits()));
    ASSERT_EQ((ao::convert<Dst, overflow::to_inf_or_nan, rounding::up>(s).bits()),
              (ao::convert<Dst, rounding::up, overflow::to_inf_or_nan>(f).bits()));
  }
}

template <class Src, class... Dsts>
void check_all_targets(::testing::Types<Dsts...>) {
  (check_all_codes<Src, Dsts>(), ...);
}

TYPED_TEST(EncodeDoubleTest, EveryCodeOfThisTypeToEveryOtherType) {
  check_all_targets<TypeParam>(all_float_types{});
}

}  // namespace
