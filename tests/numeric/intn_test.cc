// ao::intn<N> / ao::uintn<N>, N = 1..8: codes, wrapping construction, saturating and rounding conversion,
// numeric_limits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <utility>

#include "ao/numeric.hpp"

namespace {

template <int N, bool Signed>
void check_width() {
  using T = ao::basic_intn<N, Signed>;
  const int lo = Signed ? -(1 << (N - 1)) : 0;
  const int hi = Signed ? (1 << (N - 1)) - 1 : (1 << N) - 1;
  SCOPED_TRACE(std::string(Signed ? "int" : "uint") + std::to_string(N));
  EXPECT_EQ(T::min_value, lo);
  EXPECT_EQ(T::max_value, hi);
  EXPECT_EQ(std::numeric_limits<T>::min().value(), lo);
  EXPECT_EQ(std::numeric_limits<T>::max().value(), hi);
  EXPECT_EQ(std::numeric_limits<T>::digits, Signed ? N - 1 : N);
  EXPECT_TRUE(std::numeric_limits<T>::is_integer);
  // Every code: two's complement value in the low N bits.
  for (unsigned c = 0; c < (1u << N); ++c) {
    const T x = T::from_bits(static_cast<std::uint8_t>(c | (0xFFu << N)));  // upper bits ignored
    ASSERT_EQ(x.bits(), c);
    const int want = (Signed && c >= (1u << (N - 1))) ? static_cast<int>(c) - (1 << N) : static_cast<int>(c);
    ASSERT_EQ(x.value(), want);
    ASSERT_EQ(static_cast<float>(x), static_cast<float>(want));
  }
  for (int v = -300; v <= 300; ++v) {
    // The constructor wraps modulo 2^N; convert saturates.
    ASSERT_EQ(T(v).bits(), static_cast<unsigned>(v) & ((1u << N) - 1)) << v;
    ASSERT_EQ(ao::convert<T>(v).value(), std::min(std::max(v, lo), hi)) << v;
    // Half-integers round to even; directed modes.
    const double h = v + 0.5;
    const long even = std::lrint(h);  // default FE_TONEAREST: ties to even
    ASSERT_EQ(ao::convert<T>(h).value(), std::min<long>(std::max<long>(even, lo), hi)) << h;
    ASSERT_EQ(ao::convert<T>(static_cast<float>(h)).value(), std::min<long>(std::max<long>(even, lo), hi)) << h;
    ASSERT_EQ((ao::convert<T, ao::rounding::toward_zero>(h).value()),
              std::min<long>(std::max<long>(static_cast<long>(std::trunc(h)), lo), hi));
    ASSERT_EQ((ao::convert<T, ao::rounding::up>(h - 0.25).value()),
              std::min<long>(std::max<long>(static_cast<long>(std::ceil(h - 0.25)), lo), hi));
    ASSERT_EQ((ao::convert<T, ao::rounding::down>(h + 0.25).value()),
              std::min<long>(std::max<long>(static_cast<long>(std::floor(h + 0.25)), lo), hi));
  }
  EXPECT_EQ(ao::convert<T>(std::numeric_limits<float>::quiet_NaN()).value(), 0);
  EXPECT_EQ(ao::convert<T>(std::numeric_limits<float>::infinity()).value(), hi);
  EXPECT_EQ(ao::convert<T>(-std::numeric_limits<double>::infinity()).value(), lo);
  EXPECT_EQ(ao::convert<T>(1e300).value(), hi);
  EXPECT_EQ(ao::convert<T>(-1e300).value(), lo);
  EXPECT_EQ(ao::convert<T>(-0.4).value(), 0);
  EXPECT_EQ(ao::convert<T>(std::numeric_limits<long long>::min()).value(), lo);
  // Between element types: intn -> float exact, float -> intn rounded.
  EXPECT_EQ(float(ao::convert<ao::float16>(T(hi))), static_cast<float>(hi));
  EXPECT_EQ(float(ao::convert<ao::float16>(T(lo))), static_cast<float>(lo));
}

template <int... Ns>
void check_all(std::integer_sequence<int, Ns...>) {
  (check_width<Ns + 1, true>(), ...);
  (check_width<Ns + 1, false>(), ...);
}

TEST(Intn, EveryWidth) { check_all(std::make_integer_sequence<int, 8>{}); }

TEST(Intn, Aliases) {
  static_assert(std::is_same_v<ao::int4, ao::intn<4>>);
  static_assert(std::is_same_v<ao::uint1, ao::uintn<1>>);
  static_assert(sizeof(ao::int4) == 1);
  EXPECT_EQ(ao::int4(-1).bits(), 0x0Fu);
  EXPECT_EQ(ao::uint4(17).value(), 1);
  EXPECT_EQ(ao::int1(1).value(), -1);  // a 1-bit signed integer holds -1 and 0
  EXPECT_LT(ao::int4(-8), ao::int4(7));
  EXPECT_EQ(ao::int8(-128).value(), -128);
}

}  // namespace
