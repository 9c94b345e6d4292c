// ao/numeric/convert.hpp: ao::convert<To, Options...>(x), every conversion between element types with explicit
// rounding and overflow (options from rounding.hpp, in any order; defaults nearest_even and To's default overflow).
//
//   ao::convert<ao::float8_e4m3fn, ao::overflow::to_inf_or_nan>(480.0f)   // NaN, as torch's eager cast
//   ao::convert<ao::float8_e8m0fnu, ao::rounding::up, ao::overflow::to_inf_or_nan>(amax)  // RCEIL-style scale
//   ao::convert<ao::int4>(2.5f)                                           // 2 (ties to even), saturating
//   ao::convert<float, ao::rounding::toward_zero>(1.0 / 3.0)              // double -> float, truncated
//
// From: float, double, any integer, ao::float_exmy<...>, ao::intn/uintn. To: the same set (integers and intn
// saturate to their range, NaN becomes 0; overflow options do not apply to them).
// Every conversion rounds exactly once from the exact source value (no double rounding through float).
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/exmy_codec.hpp"
#include "ao/numeric/float_exmy.hpp"
#include "ao/numeric/intn.hpp"
#include "ao/numeric/rounding.hpp"

namespace ao {
namespace detail {

template <class T>
AO_HOST_DEVICE constexpr unpacked_value unpack_any(T x) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return unpack<ieee_float_spec>(bit_cast<std::uint32_t>(x));
  } else if constexpr (std::is_same_v<T, double>) {
    return unpack<ieee_double_spec>(bit_cast<std::uint64_t>(x));
  } else if constexpr (is_float_exmy_v<T>) {
    return unpack<typename T::spec>(x.bits());
  } else if constexpr (is_intn_v<T>) {
    return unpack_integer(x.value());
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return unpack_integer(x);
  } else {
    static_assert(sizeof(T) == 0, "ao::convert: unsupported source type");
    return {};
  }
}

}  // namespace detail

template <class To, auto... Options, class From>
AO_HOST_DEVICE constexpr To convert(From x) noexcept {
  static_assert(detail::valid_conversion_options<Options...>,
                "ao::convert options are at most one ao::rounding and one ao::overflow value");
  constexpr rounding R = detail::pick_option<rounding, rounding::nearest_even, Options...>();
  if constexpr (std::is_same_v<To, float>) {
    constexpr overflow O = detail::pick_option<overflow, overflow::to_inf_or_nan, Options...>();
    return detail::bit_cast<float>(static_cast<std::uint32_t>(detail::encode<detail::ieee_float_spec, R, O>(detail::unpack_any(x))));
  } else if constexpr (std::is_same_v<To, double>) {
    constexpr overflow O = detail::pick_option<overflow, overflow::to_inf_or_nan, Options...>();
    return detail::bit_cast<double>(detail::encode<detail::ieee_double_spec, R, O>(detail::unpack_any(x)));
  } else if constexpr (is_float_exmy_v<To>) {
    constexpr overflow O = detail::pick_option<overflow, To::default_overflow, Options...>();
    if constexpr (std::is_same_v<From, float>) {
      return To::from_bits(static_cast<typename To::storage_type>(
          detail::encode_float<typename To::spec, R, O>(detail::bit_cast<std::uint32_t>(x))));
    } else {
      return To::from_bits(static_cast<typename To::storage_type>(detail::encode<typename To::spec, R, O>(detail::unpack_any(x))));
    }
  } else if constexpr (is_intn_v<To>) {
    return To(static_cast<int>(detail::round_to_integer<R>(detail::unpack_any(x), To::min_value, To::max_value)));
  } else if constexpr (std::is_integral_v<To> && !std::is_same_v<To, bool>) {
    static_assert(sizeof(To) <= 4 || std::is_signed_v<To>, "ao::convert: 64-bit unsigned targets are not supported");
    return static_cast<To>(detail::round_to_integer<R>(detail::unpack_any(x), static_cast<std::int64_t>(std::numeric_limits<To>::min()),
                                                        static_cast<std::int64_t>(std::numeric_limits<To>::max())));
  } else {
    static_assert(sizeof(To) == 0, "ao::convert: unsupported target type");
    return To{};
  }
}

}  // namespace ao
