// Independent reference decoders for every element type, written from the formats' definitions (OCP MX spec,
// IEEE 754, the fnuz papers) with std::ldexp; they share no code with include/ao/numeric. The tests use them as
// the oracle: decode_test checks every code against them, and the encode tests build their sorted value tables
// from them.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ao/numeric.hpp"

namespace ao::testing {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Value of a sign-magnitude code with E exponent bits, M mantissa bits and a bias, where exponent field 0 holds
// subnormals (or, with subnormals == false, an ordinary binade). The exponent field is not masked, so a magnitude
// one past the largest code gives the next value of the unbounded-exponent format.
inline double exmy_value(std::uint32_t magnitude, int M, int bias, bool subnormals = true) {
  const std::uint32_t m = magnitude & ((1u << M) - 1);
  const int e = static_cast<int>(magnitude >> M);
  if (e == 0 && subnormals) return std::ldexp(static_cast<double>(m), 1 - bias - M);
  return std::ldexp(static_cast<double>((1u << M) + m), e - bias - M);
}

inline double float_from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

template <class T>
struct reference;

// Each specialization: mantissa bits, total bits, whether a sign bit exists, and the independent decode of a code.
template <>
struct reference<float8_e4m3fn> {
  static constexpr int mantissa_bits = 3;
  static constexpr int bits = 8;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {
    if ((c & 0x7F) == 0x7F) return kNaN;  // S.1111.111
    const double v = exmy_value(c & 0x7F, 3, 7);
    return (c & 0x80) ? -v : v;
  }
  static double next_after_max() { return exmy_value(0x7F, 3, 7); }  // 480
};
template <>
struct reference<float8_e4m3fnuz> {
  static constexpr int mantissa_bits = 3;
  static constexpr int bits = 8;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {
    if (c == 0x80) return kNaN;
    const double v = exmy_value(c & 0x7F, 3, 8);
    return (c & 0x80) ? -v : v;
  }
  static double next_after_max() { return exmy_value(0x80, 3, 8); }  // 256
};
template <>
struct reference<float8_e5m2> {
  static constexpr int mantissa_bits = 2;
  static constexpr int bits = 8;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {
    const double s = (c & 0x80) ? -1.0 : 1.0;
    if (((c >> 2) & 0x1F) == 0x1F) return (c & 3) ? kNaN : s * kInf;
    return s * exmy_value(c & 0x7F, 2, 15);
  }
  static double next_after_max() { return exmy_value(0x7C, 2, 15); }  // 65536
};
template <>
struct reference<float8_e5m2fnuz> {
  static constexpr int mantissa_bits = 2;
  static constexpr int bits = 8;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {
    if (c == 0x80) return kNaN;
    const double v = exmy_value(c & 0x7F, 2, 16);
    return (c & 0x80) ? -v : v;
  }
  static double next_after_max() { return exmy_value(0x80, 2, 16); }
};
template <>
struct reference<float8_e8m0fnu> {
  static constexpr int mantissa_bits = 0;
  static constexpr int bits = 8;
  static constexpr bool is_signed = false;
  static double decode(std::uint32_t c) { return c == 0xFF ? kNaN : std::ldexp(1.0, static_cast<int>(c) - 127); }
  static double next_after_max() { return std::ldexp(1.0, 128); }
};
template <>
struct reference<float6_e2m3fn> {
  static constexpr int mantissa_bits = 3;
  static constexpr int bits = 6;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {  // e == 0 ? m/8 : 2^(e-1) (1 + m/8)
    const double v = exmy_value(c & 0x1F, 3, 1);
    return (c & 0x20) ? -v : v;
  }
  static double next_after_max() { return exmy_value(0x20, 3, 1); }
};
template <>
struct reference<float6_e3m2fn> {
  static constexpr int mantissa_bits = 2;
  static constexpr int bits = 6;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {  // e == 0 ? m/16 : 2^(e-3) (1 + m/4)
    const double v = exmy_value(c & 0x1F, 2, 3);
    return (c & 0x20) ? -v : v;
  }
  static double next_after_max() { return exmy_value(0x20, 2, 3); }
};
template <>
struct reference<float4_e2m1fn> {
  static constexpr int mantissa_bits = 1;
  static constexpr int bits = 4;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {
    static constexpr double table[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};  // OCP MX spec table
    return (c & 8) ? -table[c & 7] : table[c & 7];
  }
  static double next_after_max() { return 8.0; }
};
template <>
struct reference<bfloat16> {
  static constexpr int mantissa_bits = 7;
  static constexpr int bits = 16;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) { return float_from_bits(c << 16); }  // the top half of a binary32
  static double next_after_max() { return std::ldexp(1.0, 128); }
};
template <>
struct reference<float16> {
  static constexpr int mantissa_bits = 10;
  static constexpr int bits = 16;
  static constexpr bool is_signed = true;
  static double decode(std::uint32_t c) {
    const double s = (c & 0x8000) ? -1.0 : 1.0;
    if (((c >> 10) & 0x1F) == 0x1F) return (c & 0x3FF) ? kNaN : s * kInf;
    return s * exmy_value(c & 0x7FFF, 10, 15);
  }
  static double next_after_max() { return 65536.0; }
};

using all_float_types = ::testing::Types<float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu,
                                         float6_e2m3fn, float6_e3m2fn, float4_e2m1fn, bfloat16, float16>;

struct type_names {
  template <class T>
  static std::string GetName(int) {
    return name(T{});
  }
};

// The non-negative finite values of T in increasing order, with their codes: the oracle of the encode tests.
template <class T>
struct value_table {
  std::vector<double> values;
  std::vector<std::uint32_t> codes;

  value_table() {
    const std::uint32_t sign_bit = reference<T>::is_signed ? (1u << (reference<T>::bits - 1)) : 0;
    for (std::uint32_t c = 0; c < (1u << reference<T>::bits); ++c) {
      if (c & sign_bit) continue;
      const double v = reference<T>::decode(c);
      if (std::isfinite(v)) {
        values.push_back(v);
        codes.push_back(c);
      }
    }
    // Codes of a sign-magnitude format increase with the value; check rather than sort.
    for (size_t i = 1; i < values.size(); ++i)
      if (!(values[i - 1] < values[i])) throw std::logic_error("value table is not strictly increasing");
  }
  double max() const { return values.back(); }
  std::uint32_t max_code() const { return codes.back(); }
};

// Which of two adjacent codes a value exactly halfway between them rounds to: the one with the even significand
// (IEEE ties-to-even), which for adjacent codes is the even code; with no mantissa bits both significands are
// the implicit 1, and the tie goes up (as PyTorch and ml_dtypes round float8_e8m0fnu).
template <class T>
std::uint32_t tie_winner(std::uint32_t lo_code, std::uint32_t hi_code) {
  if (reference<T>::mantissa_bits == 0) return hi_code;
  return (lo_code & 1) == 0 ? lo_code : hi_code;
}

}  // namespace ao::testing
