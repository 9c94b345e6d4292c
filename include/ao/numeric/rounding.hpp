// ao/numeric/rounding.hpp: the rounding and overflow behaviours of every conversion, as compile-time options.
//
// ao::convert<To, Options...>(x) takes any of these enum values, in any order:
//   ao::rounding::nearest_even  (default) round to nearest, ties to the even code
//   ao::rounding::toward_zero   truncate the magnitude
//   ao::rounding::up            toward +infinity (what ceil-style scale rules such as RCEIL use)
//   ao::rounding::down          toward -infinity
//   ao::overflow::saturate      out-of-range values, infinities included, give the largest finite value of their
//                               sign (CUDA __NV_SATFINITE, CUTLASS, torchao's clamp-then-cast)
//   ao::overflow::to_inf_or_nan IEEE overflow: a result beyond the largest finite value becomes infinity where
//                               the type has one, else NaN where it has one, else the largest finite value
//                               (ml_dtypes' and PyTorch's plain cast). Rounding toward zero never overflows a
//                               finite input, as in IEEE 754.
// A type's plain constructor uses nearest_even and the type's default overflow: saturate for 8-bit and smaller
// floats, to_inf_or_nan for bfloat16 and float16.
#pragma once

#include <type_traits>

#include "ao/config.hpp"

namespace ao {

enum class rounding { nearest_even, toward_zero, up, down };
enum class overflow { saturate, to_inf_or_nan };

namespace detail {

template <class Enum, auto Option>
AO_HOST_DEVICE constexpr void assign_if_same_type(Enum& result) noexcept {
  if constexpr (std::is_same_v<decltype(Option), Enum>) result = Option;
}

// Picks the option of type Enum among Options, or Default when none is given.
template <class Enum, Enum Default, auto... Options>
AO_HOST_DEVICE constexpr Enum pick_option() noexcept {
  Enum result = Default;
  (assign_if_same_type<Enum, Options>(result), ...);
  return result;
}

template <class Enum, auto... Options>
inline constexpr int count_options = (0 + ... + (std::is_same_v<decltype(Options), Enum> ? 1 : 0));

template <auto... Options>
inline constexpr bool valid_conversion_options =
    (... && (std::is_same_v<decltype(Options), rounding> || std::is_same_v<decltype(Options), overflow>)) &&
    count_options<rounding, Options...> <= 1 && count_options<overflow, Options...> <= 1;

}  // namespace detail
}  // namespace ao
