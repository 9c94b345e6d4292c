// ao/numeric/exmy_spec.hpp: what describes a small binary floating-point format (eXmY), and the constants derived
// from that description. One generic codec (exmy_codec.hpp) serves every format described this way, including
// user-defined ones.
//
// A spec is any type with these static constexpr members:
//   int  exponent_bits   E >= 1
//   int  mantissa_bits   M >= 0 (explicit fraction bits; the leading 1 of normal values is implicit)
//   int  exponent_bias   value of a normal code = 2^(field - bias) * (1 + mantissa / 2^M)
//   bool is_signed       a sign bit above the exponent (sign-magnitude); unsigned formats encode |x|
//   bool has_infinity    field all-ones with mantissa 0 is +-infinity; true exactly when nan == ieee
//   bool has_subnormals  field 0 encodes 0 and subnormals 2^(1 - bias) * (mantissa / 2^M); when false, field 0 is
//                        an ordinary normal binade and the format has no zero (float8_e8m0fnu)
//   nan_encoding nan     which codes are NaN (below)
//   overflow default_overflow   what T(float) does with out-of-range values
//   const char* name     a printable name
// Code layout, from the least significant bit: M mantissa bits, E exponent bits, then the sign bit if signed.
#pragma once

#include <cstdint>

#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/rounding.hpp"

namespace ao {

enum class nan_encoding {
  ieee,           // exponent field all ones with a non-zero mantissa (IEEE 754: float16, bfloat16, float8_e5m2)
  all_ones,       // only the all-ones magnitude (S.1111.111 for float8_e4m3fn, 0xFF for float8_e8m0fnu)
  negative_zero,  // only the code 1000...0: the "negative zero" code; no -0 exists ("fnuz": AMD MI300 float8)
  none,           // no NaN at all (float4_e2m1fn, float6_*): every code is a finite number
};

// A spec from template arguments, for user-defined formats:
//   using my_e3m3 = ao::float_exmy<ao::exmy_spec<3, 3, 3, ao::nan_encoding::none>>;
template <int ExponentBits, int MantissaBits, int ExponentBias, nan_encoding Nan = nan_encoding::none,
          bool IsSigned = true, bool HasSubnormals = true>
struct exmy_spec {
  static constexpr int exponent_bits = ExponentBits;
  static constexpr int mantissa_bits = MantissaBits;
  static constexpr int exponent_bias = ExponentBias;
  static constexpr bool is_signed = IsSigned;
  static constexpr bool has_infinity = Nan == nan_encoding::ieee;
  static constexpr bool has_subnormals = HasSubnormals;
  static constexpr nan_encoding nan = Nan;
  static constexpr overflow default_overflow =
      (ExponentBits + MantissaBits + (IsSigned ? 1 : 0)) <= 8 ? overflow::saturate : overflow::to_inf_or_nan;
  static constexpr const char* name = "float_exmy";
};

namespace detail {

// Everything the codec needs, derived from a spec and checked once.
template <class Spec>
struct exmy_layout {
  static constexpr int E = Spec::exponent_bits;
  static constexpr int M = Spec::mantissa_bits;
  static constexpr int bias = Spec::exponent_bias;
  static constexpr bool is_signed = Spec::is_signed;
  static constexpr bool has_inf = Spec::has_infinity;
  static constexpr bool has_subnormals = Spec::has_subnormals;
  static constexpr nan_encoding nan = Spec::nan;
  static constexpr bool has_nan = nan != nan_encoding::none;

  static constexpr int bits = E + M + (is_signed ? 1 : 0);
  using storage_type = uint_least_t<bits>;

  static constexpr std::uint64_t one = 1;
  static constexpr std::uint64_t code_mask = (bits == 64) ? ~std::uint64_t{0} : (one << bits) - 1;
  static constexpr std::uint64_t sign_mask = is_signed ? (one << (E + M)) : 0;
  static constexpr std::uint64_t magnitude_mask = (one << (E + M)) - 1;
  static constexpr std::uint64_t mantissa_mask = (one << M) - 1;
  static constexpr std::uint64_t field_all_ones = (one << E) - 1;
  static constexpr std::uint64_t infinity_code = has_inf ? (field_all_ones << M) : 0;  // positive infinity

  // The largest finite magnitude code: one below infinity (IEEE) or below the all-ones NaN, else all ones.
  static constexpr std::uint64_t max_code = nan == nan_encoding::ieee       ? (field_all_ones << M) - 1
                                            : nan == nan_encoding::all_ones ? magnitude_mask - 1
                                                                            : magnitude_mask;
  // The NaN a conversion produces (positive; the sign is added where the format has one): the all-ones magnitude
  // for formats of 8 bits or fewer (float8_e5m2: 0x7F, as PyTorch's and CUDA's casts), the canonical quiet NaN
  // (mantissa MSB) for wider IEEE formats (bfloat16 0x7FC0, float16 0x7E00).
  static constexpr std::uint64_t nan_code = nan == nan_encoding::ieee
                                                ? (bits <= 8 ? magnitude_mask
                                                             : (field_all_ones << M) | (one << (M > 0 ? M - 1 : 0)))
                                            : nan == nan_encoding::all_ones      ? magnitude_mask
                                            : nan == nan_encoding::negative_zero ? (one << (E + M))
                                                                                 : 0;
  // Exponent of the smallest normal binade: values there are 2^min_exponent * 1.m.
  static constexpr int min_exponent = has_subnormals ? 1 - bias : -bias;

  static_assert(E >= 1 && E <= 11 && M >= 0 && M <= 52 && bits <= 64, "unsupported eXmY shape");
  static_assert(has_inf == (nan == nan_encoding::ieee), "infinities exist exactly with the IEEE NaN encoding");
  static_assert(nan != nan_encoding::ieee || M >= 1, "IEEE NaN encoding needs a mantissa bit");
  static_assert(nan != nan_encoding::negative_zero || is_signed, "the fnuz NaN code needs a sign bit");
  static_assert(has_subnormals || !is_signed, "a format without zero must be unsigned");
  static_assert(nan != nan_encoding::ieee || E >= 2, "IEEE encoding needs finite exponent fields");
};

}  // namespace detail
}  // namespace ao
