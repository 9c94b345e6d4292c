// ao/numeric/float_exmy.hpp: ao::float_exmy<Spec>, the one class template behind every floating element type
// (float8_*, float6_*, float4_e2m1fn, bfloat16, float16, and user-defined eXmY formats).
//
// Storage: the code sits in the low `bits` bits of a uint8_t (<= 8 bits) or uint16_t; upper bits are zero.
// Everything is constexpr and AO_HOST_DEVICE. Conversions are exact (decode) or rounded once (encode):
//   T(float), T(double), T(integer)  round to nearest even, overflow per Spec::default_overflow
//   float(x), double(x)              exact
//   ao::convert<T, options...>(x)    any rounding / overflow (convert.hpp)
// A default-constructed value is uninitialized, like float; T{} is the all-zero code (+0; 2^-127 for e8m0).
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/exmy_codec.hpp"
#include "ao/numeric/exmy_spec.hpp"

namespace ao {

template <class Spec>
class float_exmy {
  using layout = detail::exmy_layout<Spec>;
  static_assert(layout::bits <= 16, "float_exmy holds formats of at most 16 bits");

 public:
  using spec = Spec;
  using storage_type = typename layout::storage_type;

  static constexpr int bits_per_value = layout::bits;
  static constexpr int exponent_bits = layout::E;
  static constexpr int mantissa_bits = layout::M;
  static constexpr int exponent_bias = layout::bias;
  static constexpr bool is_signed = layout::is_signed;
  static constexpr bool has_infinity = layout::has_inf;
  static constexpr bool has_nan = layout::has_nan;
  static constexpr bool has_subnormals = layout::has_subnormals;
  static constexpr nan_encoding nan = layout::nan;
  static constexpr overflow default_overflow = Spec::default_overflow;

  float_exmy() = default;

  AO_HOST_DEVICE constexpr explicit float_exmy(float x) noexcept
      : bits_(static_cast<storage_type>(detail::encode_float<Spec, rounding::nearest_even, Spec::default_overflow>(
            detail::bit_cast<std::uint32_t>(x)))) {}
  AO_HOST_DEVICE constexpr explicit float_exmy(double x) noexcept
      : bits_(encode_from(detail::unpack<detail::ieee_double_spec>(detail::bit_cast<std::uint64_t>(x)))) {}
  template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  AO_HOST_DEVICE constexpr explicit float_exmy(Int x) noexcept : bits_(encode_from(detail::unpack_integer(x))) {}
  template <class OtherSpec, std::enable_if_t<!std::is_same_v<OtherSpec, Spec>, int> = 0>
  AO_HOST_DEVICE constexpr explicit float_exmy(float_exmy<OtherSpec> x) noexcept
      : bits_(encode_from(detail::unpack<OtherSpec>(x.bits()))) {}

  // The value whose code is the low bits_per_value bits of `code` (higher bits are ignored).
  AO_HOST_DEVICE static constexpr float_exmy from_bits(storage_type code) noexcept {
    return float_exmy(raw_tag{}, static_cast<storage_type>(code & layout::code_mask));
  }
  AO_HOST_DEVICE constexpr storage_type bits() const noexcept { return bits_; }

  AO_HOST_DEVICE constexpr explicit operator float() const noexcept { return decode(bits_); }
  AO_HOST_DEVICE constexpr explicit operator double() const noexcept {
    static_assert(detail::values_fit<detail::ieee_double_spec, Spec>(), "this format's values do not fit double");
    return detail::bit_cast<double>(static_cast<std::uint64_t>(
        detail::encode<detail::ieee_double_spec, rounding::nearest_even, overflow::to_inf_or_nan>(
            detail::unpack<Spec>(bits_))));
  }

  // The exact float value of a code (static form of operator float).
  AO_HOST_DEVICE static constexpr float decode(storage_type code) noexcept {
    static_assert(detail::values_fit<detail::ieee_float_spec, Spec>(),
                  "this format's values are not all exact in float; decode to double");
#if defined(AO_DEVICE_PASS)
    if constexpr (layout::E <= 8 && layout::M <= 22 && layout::bias <= 127 && layout::bias >= 0 &&
                  (layout::has_subnormals || (layout::M == 0 && !layout::is_signed))) {
      std::uint32_t bits = 0;
      if (detail::decode_finite_float_bits<Spec>(code, bits)) return detail::bit_cast<float>(bits);
    }
#endif
    return detail::bit_cast<float>(static_cast<std::uint32_t>(
        detail::encode<detail::ieee_float_spec, rounding::nearest_even, overflow::to_inf_or_nan>(
            detail::unpack<Spec>(code))));
  }

  // Negation flips the sign bit; in fnuz formats 0 and NaN are their own negation.
  template <bool S = is_signed, std::enable_if_t<S, int> = 0>
  AO_HOST_DEVICE constexpr float_exmy operator-() const noexcept {
    if (nan == nan_encoding::negative_zero && (bits_ & layout::magnitude_mask) == 0) return *this;
    return from_bits(static_cast<storage_type>(bits_ ^ layout::sign_mask));
  }
  AO_HOST_DEVICE constexpr float_exmy operator+() const noexcept { return *this; }

  // Comparisons follow IEEE on the values: NaN is unordered, +0 == -0.
  AO_HOST_DEVICE friend constexpr bool operator==(float_exmy a, float_exmy b) noexcept { return double(a) == double(b); }
  AO_HOST_DEVICE friend constexpr bool operator!=(float_exmy a, float_exmy b) noexcept { return double(a) != double(b); }
  AO_HOST_DEVICE friend constexpr bool operator<(float_exmy a, float_exmy b) noexcept { return double(a) < double(b); }
  AO_HOST_DEVICE friend constexpr bool operator<=(float_exmy a, float_exmy b) noexcept { return double(a) <= double(b); }
  AO_HOST_DEVICE friend constexpr bool operator>(float_exmy a, float_exmy b) noexcept { return double(a) > double(b); }
  AO_HOST_DEVICE friend constexpr bool operator>=(float_exmy a, float_exmy b) noexcept { return double(a) >= double(b); }

 private:
  struct raw_tag {};
  AO_HOST_DEVICE constexpr float_exmy(raw_tag, storage_type code) noexcept : bits_(code) {}

  AO_HOST_DEVICE static constexpr storage_type encode_from(const detail::unpacked_value& v) noexcept {
    return static_cast<storage_type>(detail::encode<Spec, rounding::nearest_even, Spec::default_overflow>(v));
  }

  storage_type bits_;
};

template <class T>
struct is_float_exmy : std::false_type {};
template <class Spec>
struct is_float_exmy<float_exmy<Spec>> : std::true_type {};
template <class T>
inline constexpr bool is_float_exmy_v = is_float_exmy<T>::value;

// Classification, exact and constexpr.
template <class Spec>
AO_HOST_DEVICE constexpr bool isnan(float_exmy<Spec> x) noexcept {
  return detail::unpack<Spec>(x.bits()).kind == detail::value_kind::nan;
}
template <class Spec>
AO_HOST_DEVICE constexpr bool isinf(float_exmy<Spec> x) noexcept {
  return detail::unpack<Spec>(x.bits()).kind == detail::value_kind::infinite;
}
template <class Spec>
AO_HOST_DEVICE constexpr bool isfinite(float_exmy<Spec> x) noexcept {
  const auto kind = detail::unpack<Spec>(x.bits()).kind;
  return kind == detail::value_kind::zero || kind == detail::value_kind::finite;
}
template <class Spec>
AO_HOST_DEVICE constexpr bool signbit(float_exmy<Spec> x) noexcept {
  return (x.bits() & detail::exmy_layout<Spec>::sign_mask) != 0;
}

// The printable name of an element type ("float8_e4m3fn", ...).
template <class Spec>
constexpr const char* name(float_exmy<Spec>) noexcept {
  return Spec::name;
}

}  // namespace ao

namespace ao::detail {

// Floor of log10 of a positive finite double, for numeric_limits' exponent10 members (constexpr, no <cmath>).
AO_HOST_DEVICE constexpr int floor_log10(double x) noexcept {
  int e = 0;
  while (x >= 10.0) { x /= 10.0; ++e; }
  while (x < 1.0) { x *= 10.0; --e; }
  return e;
}

}  // namespace ao::detail

// numeric_limits for every float_exmy. Members that the standard calls meaningless for a type still return
// what a conversion gives: infinity() is what +inf encodes to under overflow::to_inf_or_nan (NaN for e4m3fn,
// the largest value for fp4/fp6), quiet_NaN() is what a NaN encodes to (the largest value for fp4/fp6).
namespace std {
template <class Spec>
class numeric_limits<ao::float_exmy<Spec>> {
  using T = ao::float_exmy<Spec>;
  using L = ao::detail::exmy_layout<Spec>;
  using S = typename T::storage_type;

 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = L::is_signed;
  static constexpr bool is_integer = false;
  static constexpr bool is_exact = false;
  static constexpr bool has_infinity = L::has_inf;
  static constexpr bool has_quiet_NaN = L::has_nan;
  static constexpr bool has_signaling_NaN = false;
  static constexpr std::float_denorm_style has_denorm = L::has_subnormals && L::M > 0 ? std::denorm_present
                                                                                      : std::denorm_absent;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style = std::round_to_nearest;
  static constexpr bool is_iec559 = false;
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;
  static constexpr int digits = L::M + 1;
  static constexpr int digits10 = (digits - 1) * 30103 / 100000;             // floor((digits-1) log10 2)
  static constexpr int max_digits10 = (digits * 30103 + 99999) / 100000 + 1;  // ceil(digits log10 2) + 1
  static constexpr int radix = 2;
  static constexpr int min_exponent = L::min_exponent + 1;
  static constexpr int max_exponent = static_cast<int>(ao::detail::unpack<Spec>(L::max_code).exponent) +
                                      ao::detail::msb_index(ao::detail::unpack<Spec>(L::max_code).significand) + 1;
  static constexpr int min_exponent10 =
      -ao::detail::floor_log10(1.0 / double(T::from_bits(static_cast<S>(L::has_subnormals ? (L::one << L::M) : 0))));
  static constexpr int max_exponent10 = ao::detail::floor_log10(double(T::from_bits(static_cast<S>(L::max_code))));
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;

  // Smallest positive normal value.
  AO_HOST_DEVICE static constexpr T min() noexcept {
    return T::from_bits(static_cast<S>(L::has_subnormals ? (L::one << L::M) : 0));
  }
  AO_HOST_DEVICE static constexpr T max() noexcept { return T::from_bits(static_cast<S>(L::max_code)); }
  AO_HOST_DEVICE static constexpr T lowest() noexcept {
    return L::is_signed ? T::from_bits(static_cast<S>(L::sign_mask | L::max_code)) : min();
  }
  // Distance from 1 to the next larger value.
  AO_HOST_DEVICE static constexpr T epsilon() noexcept {
    return T(ao::detail::bit_cast<double>(std::uint64_t(1023 - L::M) << 52));
  }
  AO_HOST_DEVICE static constexpr T round_error() noexcept { return T(0.5); }
  AO_HOST_DEVICE static constexpr T infinity() noexcept {
    return T::from_bits(static_cast<S>(
        ao::detail::encode<Spec, ao::rounding::nearest_even, ao::overflow::to_inf_or_nan>(
            {ao::detail::value_kind::infinite, false, 0, 0})));
  }
  AO_HOST_DEVICE static constexpr T quiet_NaN() noexcept {
    return T::from_bits(static_cast<S>(ao::detail::encode<Spec, ao::rounding::nearest_even, ao::overflow::saturate>(
        {ao::detail::value_kind::nan, false, 0, 0})));
  }
  AO_HOST_DEVICE static constexpr T signaling_NaN() noexcept { return quiet_NaN(); }
  // Smallest positive value (the smallest subnormal where the format has them, else min()).
  AO_HOST_DEVICE static constexpr T denorm_min() noexcept {
    return T::from_bits(static_cast<S>(L::has_subnormals ? 1 : 0));
  }
};
}  // namespace std
