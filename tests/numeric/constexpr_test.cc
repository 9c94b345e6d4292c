// The codec is usable in constant expressions: tables built at compile time equal the same conversions at run
// time, and the spec's headline facts are static_asserts (a regression breaks the build of this test).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>

#include "ao/numeric.hpp"

namespace {

static_assert(float(ao::float4_e2m1fn::from_bits(7)) == 6.0f);
static_assert(ao::float4_e2m1fn::decode(0x7) == 6.0f);
static_assert(float(ao::float8_e4m3fn::from_bits(0x7E)) == 448.0f);
static_assert(ao::float8_e4m3fn(464.0f).bits() == 0x7E);  // tie to even
static_assert(ao::float8_e4m3fn(1e30f).bits() == 0x7E);   // saturation
static_assert(ao::convert<ao::float8_e4m3fn, ao::overflow::to_inf_or_nan>(480.0f).bits() == 0x7F);
static_assert(ao::float8_e5m2(std::numeric_limits<float>::infinity()).bits() == 0x7B);
static_assert(ao::isinf(ao::convert<ao::float8_e5m2, ao::overflow::to_inf_or_nan>(1e9)));
static_assert(ao::float8_e4m3fnuz(-0.0f).bits() == 0x00);
static_assert(ao::float8_e8m0fnu(0.0f).bits() == 0);
static_assert(ao::float8_e8m0fnu(-4.0f).bits() == 129);
// e8m0 ties (1.5 * 2^k) round up, as PyTorch's and ml_dtypes' casts do: 1.5 -> 2 (128), 3 -> 4 (129).
static_assert(ao::float8_e8m0fnu(1.5f).bits() == 128 && ao::float8_e8m0fnu(3.0f).bits() == 129);
static_assert(ao::float8_e8m0fnu(1.4999999f).bits() == 127 && ao::float8_e8m0fnu(1.5).bits() == 128);
static_assert(ao::float8_e8m0fnu(ao::detail::bit_cast<float>(0x00600000u)).bits() == 1);  // 1.5 * 2^-127
static_assert(ao::convert<ao::float8_e8m0fnu, ao::rounding::up>(5.0000005f).bits() == 130);
static_assert(ao::bfloat16(1.0f / 3.0f).bits() == 0x3EAB);
static_assert(ao::float16(65520.0f).bits() == 0x7C00);  // IEEE overflow to infinity at max + half ulp
static_assert(ao::float16(65519.0f).bits() == 0x7BFF);
static_assert(ao::convert<ao::float16, ao::overflow::saturate>(1e9f).bits() == 0x7BFF);
static_assert(ao::float6_e3m2fn(26.0f).bits() == 0b011110);
static_assert(ao::convert<ao::int4>(-7.5f).value() == -8);
static_assert(ao::convert<float, ao::rounding::toward_zero>(1.0 / 3.0) < 1.0f / 3.0f);
static_assert(std::numeric_limits<ao::float8_e4m3fn>::max().bits() == 0x7E);
static_assert(double(std::numeric_limits<ao::float8_e8m0fnu>::min()) == 0x1p-127);
static_assert(-ao::float8_e4m3fn(1.0f) == ao::float8_e4m3fn(-1.0f));

// A user-defined format works without touching the library: e3m3, no NaN, bias 3.
using e3m3 = ao::float_exmy<ao::exmy_spec<3, 3, 3>>;
static_assert(e3m3::bits_per_value == 7);
static_assert(float(std::numeric_limits<e3m3>::max()) == 30.0f);  // 2^(7-3) * 1.875
static_assert(e3m3(100.0f).bits() == 0x3F);

template <class T>
constexpr std::array<float, 256> decode_table() {
  std::array<float, 256> t{};
  for (unsigned c = 0; c < (1u << T::bits_per_value); ++c) t[c] = float(T::from_bits(static_cast<std::uint8_t>(c)));
  return t;
}

template <class T>
constexpr std::array<std::uint8_t, 64> encode_table(float step) {
  std::array<std::uint8_t, 64> t{};
  for (int i = 0; i < 64; ++i) t[i] = static_cast<std::uint8_t>(T(step * static_cast<float>(i - 32)).bits());
  return t;
}

template <class T>
void compare_compile_time_and_run_time() {
  constexpr auto decoded = decode_table<T>();
  constexpr auto encoded = encode_table<T>(0.37f);
  for (unsigned c = 0; c < (1u << T::bits_per_value); ++c) {
    const float runtime = float(T::from_bits(static_cast<std::uint8_t>(c)));
    if (runtime != runtime) {
      EXPECT_NE(decoded[c], decoded[c]) << c;  // NaN at compile time too
    } else {
      EXPECT_EQ(decoded[c], runtime) << c;
    }
  }
  for (int i = 0; i < 64; ++i) EXPECT_EQ(encoded[i], T(0.37f * static_cast<float>(i - 32)).bits()) << i;
}

TEST(Constexpr, CompileTimeTablesEqualRunTimeConversions) {
  compare_compile_time_and_run_time<ao::float8_e4m3fn>();
  compare_compile_time_and_run_time<ao::float8_e4m3fnuz>();
  compare_compile_time_and_run_time<ao::float8_e5m2>();
  compare_compile_time_and_run_time<ao::float8_e5m2fnuz>();
  compare_compile_time_and_run_time<ao::float8_e8m0fnu>();
  compare_compile_time_and_run_time<ao::float6_e2m3fn>();
  compare_compile_time_and_run_time<ao::float6_e3m2fn>();
  compare_compile_time_and_run_time<ao::float4_e2m1fn>();
  compare_compile_time_and_run_time<e3m3>();
}

}  // namespace
