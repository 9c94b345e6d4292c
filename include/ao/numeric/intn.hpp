// ao/numeric/intn.hpp: sub-byte integers ao::intn<N> (two's complement) and ao::uintn<N>, N = 1..8, with the
// aliases ao::int1 .. ao::int8 and ao::uint1 .. ao::uint8.
//
// Storage: the N-bit code in the low N bits of one byte, upper bits zero (intn<4>(-1).bits() == 0x0F).
// Construction from an integer wraps modulo 2^N, like a C++ narrowing conversion and ml_dtypes' intN;
// ao::convert<intn<N>>(x) instead rounds (floats) and saturates (any source), as quantizers want.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "ao/config.hpp"

namespace ao {

template <int N, bool Signed>
class basic_intn {
  static_assert(N >= 1 && N <= 8, "ao::intn/uintn hold 1 to 8 bits");
  static constexpr unsigned kMask = (1u << N) - 1u;

 public:
  using storage_type = std::uint8_t;
  static constexpr int bits_per_value = N;
  static constexpr bool is_signed = Signed;
  static constexpr int min_value = Signed ? -(1 << (N - 1)) : 0;
  static constexpr int max_value = Signed ? (1 << (N - 1)) - 1 : (1 << N) - 1;

  basic_intn() = default;
  template <class Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
  AO_HOST_DEVICE constexpr explicit basic_intn(Int v) noexcept
      : bits_(static_cast<storage_type>(static_cast<unsigned>(v) & kMask)) {}

  // The value whose code is the low N bits of `code`.
  AO_HOST_DEVICE static constexpr basic_intn from_bits(storage_type code) noexcept {
    basic_intn r(0);
    r.bits_ = static_cast<storage_type>(code & kMask);
    return r;
  }
  AO_HOST_DEVICE constexpr storage_type bits() const noexcept { return bits_; }
  // The integer value: sign-extended for intn.
  AO_HOST_DEVICE constexpr int value() const noexcept {
    if constexpr (Signed) {
      return (bits_ & (1u << (N - 1))) ? static_cast<int>(bits_) - (1 << N) : static_cast<int>(bits_);
    } else {
      return static_cast<int>(bits_);
    }
  }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  AO_HOST_DEVICE constexpr explicit operator T() const noexcept {
    return static_cast<T>(value());
  }

  AO_HOST_DEVICE friend constexpr bool operator==(basic_intn a, basic_intn b) noexcept { return a.bits_ == b.bits_; }
  AO_HOST_DEVICE friend constexpr bool operator!=(basic_intn a, basic_intn b) noexcept { return a.bits_ != b.bits_; }
  AO_HOST_DEVICE friend constexpr bool operator<(basic_intn a, basic_intn b) noexcept { return a.value() < b.value(); }
  AO_HOST_DEVICE friend constexpr bool operator<=(basic_intn a, basic_intn b) noexcept { return a.value() <= b.value(); }
  AO_HOST_DEVICE friend constexpr bool operator>(basic_intn a, basic_intn b) noexcept { return a.value() > b.value(); }
  AO_HOST_DEVICE friend constexpr bool operator>=(basic_intn a, basic_intn b) noexcept { return a.value() >= b.value(); }

 private:
  storage_type bits_;
};

template <int N>
using intn = basic_intn<N, true>;
template <int N>
using uintn = basic_intn<N, false>;

using int1 = intn<1>;
using int2 = intn<2>;
using int3 = intn<3>;
using int4 = intn<4>;
using int5 = intn<5>;
using int6 = intn<6>;
using int7 = intn<7>;
using int8 = intn<8>;
using uint1 = uintn<1>;
using uint2 = uintn<2>;
using uint3 = uintn<3>;
using uint4 = uintn<4>;
using uint5 = uintn<5>;
using uint6 = uintn<6>;
using uint7 = uintn<7>;
using uint8 = uintn<8>;

template <class T>
struct is_intn : std::false_type {};
template <int N, bool Signed>
struct is_intn<basic_intn<N, Signed>> : std::true_type {};
template <class T>
inline constexpr bool is_intn_v = is_intn<T>::value;

}  // namespace ao

namespace std {
template <int N, bool Signed>
class numeric_limits<ao::basic_intn<N, Signed>> {
  using T = ao::basic_intn<N, Signed>;

 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = Signed;
  static constexpr bool is_integer = true;
  static constexpr bool is_exact = true;
  static constexpr bool has_infinity = false;
  static constexpr bool has_quiet_NaN = false;
  static constexpr bool has_signaling_NaN = false;
  static constexpr std::float_denorm_style has_denorm = std::denorm_absent;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style = std::round_toward_zero;
  static constexpr bool is_iec559 = false;
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;  // ao::convert saturates; only the raw constructor wraps
  static constexpr int digits = Signed ? N - 1 : N;
  static constexpr int digits10 = digits * 30103 / 100000;
  static constexpr int max_digits10 = 0;
  static constexpr int radix = 2;
  static constexpr int min_exponent = 0;
  static constexpr int min_exponent10 = 0;
  static constexpr int max_exponent = 0;
  static constexpr int max_exponent10 = 0;
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;

  AO_HOST_DEVICE static constexpr T min() noexcept { return T(T::min_value); }
  AO_HOST_DEVICE static constexpr T max() noexcept { return T(T::max_value); }
  AO_HOST_DEVICE static constexpr T lowest() noexcept { return T(T::min_value); }
  AO_HOST_DEVICE static constexpr T epsilon() noexcept { return T(0); }
  AO_HOST_DEVICE static constexpr T round_error() noexcept { return T(0); }
  AO_HOST_DEVICE static constexpr T infinity() noexcept { return T(0); }
  AO_HOST_DEVICE static constexpr T quiet_NaN() noexcept { return T(0); }
  AO_HOST_DEVICE static constexpr T signaling_NaN() noexcept { return T(0); }
  AO_HOST_DEVICE static constexpr T denorm_min() noexcept { return T(0); }
};
}  // namespace std
