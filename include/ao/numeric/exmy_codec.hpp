// ao/numeric/exmy_codec.hpp: the one generic, exact, constexpr codec behind every floating-point element type.
//
// A code is first unpacked into an exact value (sign, integer significand, power of two), then packed into the
// target format with the requested rounding and overflow behaviour. float and double are described by specs too,
// so decoding (to float/double) and encoding (from float/double/integers) are the same two steps. Nothing here
// rounds twice: an unpacked value is exact, and encode rounds it once.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/rounding.hpp"

namespace ao::detail {

// IEEE 754 binary32 and binary64 as specs, so the codec can read and write them.
struct ieee_float_spec {
  static constexpr int exponent_bits = 8, mantissa_bits = 23, exponent_bias = 127;
  static constexpr bool is_signed = true, has_infinity = true, has_subnormals = true;
  static constexpr nan_encoding nan = nan_encoding::ieee;
  static constexpr overflow default_overflow = overflow::to_inf_or_nan;
  static constexpr const char* name = "float32";
};
struct ieee_double_spec {
  static constexpr int exponent_bits = 11, mantissa_bits = 52, exponent_bias = 1023;
  static constexpr bool is_signed = true, has_infinity = true, has_subnormals = true;
  static constexpr nan_encoding nan = nan_encoding::ieee;
  static constexpr overflow default_overflow = overflow::to_inf_or_nan;
  static constexpr const char* name = "float64";
};

enum class value_kind : std::uint8_t { zero, finite, infinite, nan };

// An exact value: (-1)^negative * significand * 2^exponent, significand != 0 when kind == finite.
struct unpacked_value {
  value_kind kind;
  bool negative;
  std::uint64_t significand;
  int exponent;
};

template <class Spec>
AO_HOST_DEVICE constexpr unpacked_value unpack(std::uint64_t code) noexcept {
  using L = exmy_layout<Spec>;
  code &= L::code_mask;
  const bool negative = (code & L::sign_mask) != 0;
  const std::uint64_t magnitude = code & L::magnitude_mask;
  if constexpr (L::nan == nan_encoding::negative_zero) {
    if (code == L::nan_code) return {value_kind::nan, false, 0, 0};
  }
  if constexpr (L::nan == nan_encoding::all_ones) {
    if (magnitude == L::magnitude_mask) return {value_kind::nan, negative, 0, 0};
  }
  const std::uint64_t field = magnitude >> L::M;
  const std::uint64_t mantissa = magnitude & L::mantissa_mask;
  if constexpr (L::nan == nan_encoding::ieee) {
    if (field == L::field_all_ones) return {mantissa ? value_kind::nan : value_kind::infinite, negative, 0, 0};
  }
  if (L::has_subnormals && field == 0) {
    if (mantissa == 0) return {value_kind::zero, negative, 0, 0};
    return {value_kind::finite, negative, mantissa, L::min_exponent - L::M};
  }
  return {value_kind::finite, negative, mantissa | (L::one << L::M),
          static_cast<int>(field) - L::bias - L::M};
}

// Exact value of an integer.
template <class Int>
AO_HOST_DEVICE constexpr unpacked_value unpack_integer(Int v) noexcept {
  if (v == 0) return {value_kind::zero, false, 0, 0};
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) {
      // -(v + 1) + 1 avoids overflow at the minimum value.
      const std::uint64_t magnitude = static_cast<std::uint64_t>(-(v + 1)) + 1;
      return {value_kind::finite, true, magnitude, 0};
    }
  }
  return {value_kind::finite, false, static_cast<std::uint64_t>(v), 0};
}

// Rounds significand * 2^-shift to an integer (shift >= 0). `negative` is the sign of the value, used by the
// directed modes; nearest_even sends ties to the even integer.
template <rounding R>
AO_HOST_DEVICE constexpr std::uint64_t round_shift_right(std::uint64_t significand, int shift,
                                                          bool negative) noexcept {
  if (shift <= 0) return significand;
  std::uint64_t kept = 0, rest = significand;  // shift >= 64: everything is the remainder
  int rest_bits = 64;
  if (shift < 64) {
    kept = significand >> shift;
    rest = significand & ((std::uint64_t{1} << shift) - 1);
    rest_bits = shift;
  }
  if (rest == 0) return kept;
  bool away = false;
  if constexpr (R == rounding::nearest_even) {
    if (shift > 64) {
      away = false;  // the remainder is below half of 2^shift
    } else {
      const std::uint64_t half = std::uint64_t{1} << (rest_bits - 1);
      away = rest > half || (rest == half && (kept & 1));
    }
  } else if constexpr (R == rounding::up) {
    away = !negative;
  } else if constexpr (R == rounding::down) {
    away = negative;
  }
  return kept + (away ? 1 : 0);
}

// Whether rounding mode R moves a value of this sign away from zero on inexact results (so that a finite value
// beyond the range overflows, rather than stopping at the largest finite value).
template <rounding R>
AO_HOST_DEVICE constexpr bool rounds_away_from_zero(bool negative) noexcept {
  return R == rounding::nearest_even || (R == rounding::up && !negative) || (R == rounding::down && negative);
}

// The code a NaN of this sign encodes to: sign | the NaN code, the one NaN of fnuz formats, +max in formats
// without NaN (as CUDA's __nv_cvt_*_to_fp4/fp6 do).
template <class Spec>
AO_HOST_DEVICE constexpr std::uint64_t nan_code(bool negative) noexcept {
  using L = exmy_layout<Spec>;
  if constexpr (L::nan == nan_encoding::negative_zero) return L::nan_code;
  else if constexpr (L::has_nan) return (L::is_signed && negative ? L::sign_mask : 0) | L::nan_code;
  else return L::max_code;
}

// Packs an exact value into format Spec. Unsigned formats encode |value|.
template <class Spec, rounding R, overflow O>
AO_HOST_DEVICE constexpr std::uint64_t encode(const unpacked_value& v) noexcept {
  using L = exmy_layout<Spec>;
  const bool negative = L::is_signed && v.negative;
  const std::uint64_t sign = negative ? L::sign_mask : 0;
  // A signed zero, except in fnuz formats, whose only zero is +0.
  const std::uint64_t zero_code = (L::nan == nan_encoding::negative_zero) ? 0 : sign;
  auto nan_result = [&]() -> std::uint64_t { return nan_code<Spec>(negative); };
  auto overflow_result = [&](bool from_infinity) -> std::uint64_t {
    if (O == overflow::saturate || (!from_infinity && !rounds_away_from_zero<R>(negative)))
      return sign | L::max_code;
    if constexpr (L::has_inf) return sign | L::infinity_code;
    else if constexpr (L::has_nan) return nan_result();
    else return sign | L::max_code;
  };

  if (v.kind == value_kind::nan) return nan_result();
  if (v.kind == value_kind::infinite) return overflow_result(true);
  if (v.kind == value_kind::zero) return L::has_subnormals ? zero_code : 0;  // no zero: the smallest value

  const int top = msb_index(v.significand) + v.exponent;  // floor(log2 |value|)
  if (!L::has_subnormals && top < L::min_exponent) {
    // Below the smallest value of a format without zero: every rounding gives the smallest value, except rounding
    // down past it, which has nowhere to go either.
    return 0;
  }
  // Exponent of one unit in the last place at this magnitude.
  int quantum = (top > L::min_exponent ? top : L::min_exponent) - L::M;
  std::uint64_t r = 0;
  if (v.exponent >= quantum) {
    r = v.significand << (v.exponent - quantum);  // exact; r < 2^(M+1)
  } else {
    // Ties go to the even significand. Without mantissa bits (float8_e8m0fnu) the significand of a normal value
    // is the implicit 1, odd on both sides of a tie, so 1.5 * 2^k rounds up, as PyTorch and ml_dtypes do.
    r = round_shift_right<R>(v.significand, quantum - v.exponent, negative);
  }
  if (r >> (L::M + 1)) {  // rounding carried into the next binade
    r >>= 1;
    quantum += 1;
  }
  if (r == 0) return zero_code;
  std::uint64_t magnitude = r;  // subnormal: exponent field 0
  if (r >= (L::one << L::M)) {
    const int field = quantum + L::M + L::bias;
    if (field > static_cast<int>(L::field_all_ones)) return overflow_result(false);
    magnitude = (static_cast<std::uint64_t>(field) << L::M) | (r & L::mantissa_mask);
  }
  if (magnitude > L::max_code) return overflow_result(false);
  return sign | magnitude;
}

// Whether encode_float<Spec, R, O> goes through sm_89+'s float8 conversion on the GPU (see encode_float): float8
// e4m3fn / e5m2, round to nearest even, saturating. GPU kernels test it to convert two values in one instruction
// (hardware_float8x2_satfinite) where encode_float would take it for each.
template <class Spec, rounding R, overflow O>
inline constexpr bool float8_hardware_cast =
    R == rounding::nearest_even && O == overflow::saturate && exmy_layout<Spec>::is_signed &&
    exmy_layout<Spec>::E + exmy_layout<Spec>::M == 7 &&
    ((exmy_layout<Spec>::E == 4 && exmy_layout<Spec>::bias == 7 && exmy_layout<Spec>::nan == nan_encoding::all_ones) ||
     (exmy_layout<Spec>::E == 5 && exmy_layout<Spec>::bias == 15 && exmy_layout<Spec>::nan == nan_encoding::ieee));

#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
// The sm_89+ conversion of one float to float8 (e4m3fn when E4, else e5m2), round to nearest even, saturating.
template <bool E4>
__device__ inline std::uint64_t hardware_float8_satfinite(float x) noexcept {
  unsigned short pair = 0;
  if constexpr (E4) {
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(0.0f), "f"(x));
  } else {
    asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(0.0f), "f"(x));
  }
  return pair & 0xFFu;
}
// Two at once: x0's code in bits 0-7, x1's in bits 8-15 (one instruction for both).
template <bool E4>
__device__ inline std::uint32_t hardware_float8x2_satfinite(float x0, float x1) noexcept {
  unsigned short pair = 0;
  if constexpr (E4) {
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(x1), "f"(x0));
  } else {
    asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(x1), "f"(x0));
  }
  return pair;
}
#endif

// Encodes a float32 given by its bits: the same result as encode<Spec, R, O>(unpack<ieee_float_spec>(bits)),
// with a short path for round-to-nearest-even of values in the target's normal range (and float's), where
// adding half an ulp minus one plus the kept significand LSB to the bits rounds them (the LSB is the implicit
// 1 when the target has no mantissa bits). Everything else takes the general path.
template <class Spec, rounding R, overflow O>
AO_HOST_DEVICE constexpr std::uint64_t encode_float(std::uint32_t bits) noexcept {
  using L = exmy_layout<Spec>;
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  // GPU only (sm_89+): float8 e4m3fn / e5m2 with saturation through the hardware's conversion, which rounds to
  // nearest even and saturates exactly as ao does for every number, infinities included; NaNs take the path below
  // (the instruction gives +NaN whatever the sign). tests/cuda/numeric_device_test.cu checks every float32.
  if constexpr (float8_hardware_cast<Spec, R, O>) {
    if ((bits & 0x7FFFFFFFu) <= 0x7F800000u) return hardware_float8_satfinite<L::E == 4>(bit_cast<float>(bits));
  }
#endif
  if constexpr (R == rounding::nearest_even && L::M < 23) {
    constexpr int shift = 23 - L::M;
    // Float bits of the smallest value normal in both formats, and of the target's largest finite value (0, which
    // turns this path off, when that is beyond float's range).
    constexpr std::uint32_t lo = static_cast<std::uint32_t>((L::min_exponent > -126 ? L::min_exponent : -126) + 127)
                                 << 23;
    constexpr unpacked_value max_value = unpack<Spec>(L::max_code);
    constexpr int max_top = msb_index(max_value.significand) + max_value.exponent;
    constexpr std::uint32_t hi =
        max_top + 127 >= 255
            ? 0u
            : (static_cast<std::uint32_t>(max_top + 127) << 23) |
                  static_cast<std::uint32_t>((max_value.significand << (23 - L::M)) & 0x7FFFFFu);
    const std::uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude >= lo && magnitude <= hi) {
      const std::uint32_t lsb = L::M > 0 ? (magnitude >> shift) & 1u : 1u;
      const std::uint32_t rounded = magnitude + ((std::uint32_t{1} << (shift - 1)) - 1) + lsb;
      const std::uint64_t code = (rounded >> shift) - (static_cast<std::uint64_t>(127 - L::bias) << L::M);
      const bool negative = L::is_signed && (bits >> 31) != 0;
      return (negative ? L::sign_mask : 0) | code;
    }
    if (O == overflow::saturate && hi != 0 && magnitude > hi && magnitude <= 0x7F800000u) {
      const bool negative = L::is_signed && (bits >> 31) != 0;
      return (negative ? L::sign_mask : 0) | L::max_code;  // beyond the largest value, infinity included
    }
#if defined(AO_DEVICE_PASS)
    // GPU only: the target's subnormals and zeros without the 64-bit general path (the common case of fp4 / fp6
    // elements in a block). |x| + 2^k, k = min_exponent - M + 23, lies in [2^k, 2^(k+1)), whose ulp is the
    // target's subnormal step, so the float addition itself rounds |x| to the nearest step, ties to even; the
    // integer difference of the bits is the code (2^M when it rounds up into the first normal binade, which is
    // that binade's code). tests/cuda/numeric_device_test.cu checks every float32 against the host's general path.
    constexpr int k = L::min_exponent - L::M + 23;
    if constexpr (L::has_subnormals && L::min_exponent >= -126 && k >= -126 && k <= 127) {
      if (magnitude < lo) {
        constexpr float magic = bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23);
        const std::uint64_t code = bit_cast<std::uint32_t>(bit_cast<float>(magnitude) + magic) -
                                   bit_cast<std::uint32_t>(magic);
        const bool negative = L::is_signed && (bits >> 31) != 0;
        // fnuz formats have no -0 (their code 1000...0 is the NaN): a negative value that rounds to 0 is +0.
        if (L::nan == nan_encoding::negative_zero && code == 0) return 0;
        return (negative ? L::sign_mask : 0) | code;
      }
    }
#endif
  }
  return encode<Spec, R, O>(unpack<ieee_float_spec>(bits));
}

// GPU only: the float32 bits of a finite code of a format no wider than float's fields (E <= 8, M <= 22,
// bias <= 127), by moving the fields (normal codes) or one exact multiplication (subnormals, when their step is a
// normal float); false for NaN and infinity codes and for the rest, which take the general path. Formats without
// subnormals are e8m0-like (unsigned, no mantissa): code c is 2^(c - bias). tests/cuda/numeric_device_test.cu
// checks every code against the host's general decode.
template <class Spec>
AO_HOST_DEVICE constexpr bool decode_finite_float_bits(std::uint32_t code, std::uint32_t& out) noexcept {
  using L = exmy_layout<Spec>;
  static_assert(L::E <= 8 && L::M <= 22 && L::bias <= 127 && L::bias >= 0 &&
                    (L::has_subnormals || (L::M == 0 && !L::is_signed)),
                "decode_finite_float_bits: a format whose fields fit float's");
  const std::uint32_t magnitude = code & static_cast<std::uint32_t>(L::magnitude_mask);
  const std::uint32_t exponent = magnitude >> L::M, mantissa = magnitude & ((1u << L::M) - 1u);
  const bool negative = L::is_signed && (code & static_cast<std::uint32_t>(L::sign_mask)) != 0;
  if constexpr (L::nan == nan_encoding::all_ones) {
    if (magnitude == L::magnitude_mask) return false;
  } else if constexpr (L::nan == nan_encoding::ieee) {
    if (exponent == L::field_all_ones) return false;
  } else if constexpr (L::nan == nan_encoding::negative_zero) {
    if (negative && magnitude == 0) return false;
  }
  std::uint32_t bits = 0;
  if constexpr (!L::has_subnormals) {
    // 2^(code - bias): float's field when normal there, else float's subnormal 2^(code - bias) = 2^-149 * 2^(...).
    if (exponent + 127u <= static_cast<std::uint32_t>(L::bias)) {
      const int shift = static_cast<int>(exponent) - L::bias + 149;  // >= 0 for bias <= 127 and E <= 8
      if (shift < 0) return false;
      bits = 1u << shift;
    } else {
      bits = (exponent + static_cast<std::uint32_t>(127 - L::bias)) << 23;
    }
  } else if (exponent == 0) {
    if constexpr (L::min_exponent - L::M >= -126) {
      constexpr float step = bit_cast<float>(static_cast<std::uint32_t>(L::min_exponent - L::M + 127) << 23);
      bits = bit_cast<std::uint32_t>(static_cast<float>(mantissa) * step);
    } else {
      return false;
    }
  } else {
    bits = ((exponent + static_cast<std::uint32_t>(127 - L::bias)) << 23) | (mantissa << (23 - L::M));
  }
  out = bits | (negative ? 0x80000000u : 0u);
  return true;
}

// Whether every finite value of format Small is exactly representable in format Big.
template <class Big, class Small>
AO_HOST_DEVICE constexpr bool values_fit() noexcept {
  using B = exmy_layout<Big>;
  using S = exmy_layout<Small>;
  const unpacked_value largest = unpack<Small>(S::max_code);
  const unpacked_value smallest = unpack<Small>(S::has_subnormals ? 1 : 0);
  const int smallest_exponent = smallest.exponent + (S::has_subnormals ? 0 : S::M);  // of its lowest set bit
  const int big_smallest_exponent = B::min_exponent - B::M;
  const int big_largest_top = static_cast<int>(B::field_all_ones) - 1 - B::bias;
  return S::M <= B::M && smallest_exponent >= big_smallest_exponent &&
         msb_index(largest.significand) + largest.exponent <= big_largest_top;
}

// Rounds an exact value to an integer in [lo, hi] (saturating); NaN gives 0.
template <rounding R>
AO_HOST_DEVICE constexpr std::int64_t round_to_integer(const unpacked_value& v, std::int64_t lo,
                                                        std::int64_t hi) noexcept {
  if (v.kind == value_kind::nan || v.kind == value_kind::zero) return 0;
  if (v.kind == value_kind::infinite) return v.negative ? lo : hi;
  std::uint64_t magnitude = 0;
  if (v.exponent >= 0) {
    if (msb_index(v.significand) + v.exponent >= 63) return v.negative ? lo : hi;
    magnitude = v.significand << v.exponent;
  } else {
    magnitude = round_shift_right<R>(v.significand, -v.exponent, v.negative);
  }
  if (v.negative) {
    const std::uint64_t lo_magnitude = static_cast<std::uint64_t>(-(lo + 1)) + 1;  // lo <= 0
    return magnitude >= lo_magnitude ? lo : -static_cast<std::int64_t>(magnitude);
  }
  return magnitude >= static_cast<std::uint64_t>(hi) ? hi : static_cast<std::int64_t>(magnitude);
}

}  // namespace ao::detail
