// ao/io/safetensors_dtype.hpp: the element types a safetensors file names ("F32", "BF16", "F8_E4M3", ...), their
// sizes, the byte size of a shape (checked for overflow), and the format's size limits. Standard library only.
//
// The set and the sizes are those of the safetensors Rust crate (huggingface/safetensors, safetensors/src/tensor.rs,
// enum Dtype, 0.7/0.8): every dtype has a size in bits; F4 (two fp4 e2m1 codes a byte, low nibble first) and
// F6_E2M3 / F6_E3M2 (fp6, four codes in three bytes) are sub-byte, so a tensor of them must hold a whole number of
// bytes (elements x bits a multiple of 8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ao/error.hpp"

namespace ao::io {

// Format limits. The header bound is the Rust crate's MAX_HEADER_SIZE (100,000,000 bytes, decimal: readers
// refuse more, writers never write more); the depth bound is ao's reader's (a valid header nests 3 deep:
// object, entry, shape).
inline constexpr std::uint64_t safetensors_max_header_size = 100'000'000;
inline constexpr std::size_t safetensors_max_json_depth = 64;

// The enumerators are declared in the order of the Rust crate's enum Dtype, which is the writers' sort key:
// safetensors (Rust and Python) writes tensors by descending dtype in this order, then by name. ao's writer
// (safetensors_writer.hpp) uses the same order, so keep it when adding a dtype.
enum class dtype : std::uint8_t {
  boolean,      // "BOOL": one byte, 0 or 1
  f4,           // "F4": float4_e2m1fn, 4 bits
  f6_e2m3,      // "F6_E2M3": float6_e2m3fn, 6 bits
  f6_e3m2,      // "F6_E3M2": float6_e3m2fn, 6 bits
  u8,           // "U8"
  i8,           // "I8"
  f8_e5m2,      // "F8_E5M2": float8_e5m2
  f8_e4m3,      // "F8_E4M3": float8_e4m3fn (torch.float8_e4m3fn)
  f8_e8m0,      // "F8_E8M0": float8_e8m0fnu
  f8_e4m3fnuz,  // "F8_E4M3FNUZ"
  f8_e5m2fnuz,  // "F8_E5M2FNUZ"
  i16,          // "I16"
  u16,          // "U16"
  f16,          // "F16"
  bf16,         // "BF16"
  i32,          // "I32"
  u32,          // "U32"
  f32,          // "F32"
  c64,          // "C64": complex64, two float32
  f64,          // "F64"
  i64,          // "I64"
  u64,          // "U64"
};

// Every dtype, in enum order.
inline constexpr dtype all_dtypes[] = {
    dtype::boolean, dtype::f4,      dtype::f6_e2m3, dtype::f6_e3m2,     dtype::u8,          dtype::i8,
    dtype::f8_e5m2, dtype::f8_e4m3, dtype::f8_e8m0, dtype::f8_e4m3fnuz, dtype::f8_e5m2fnuz, dtype::i16,
    dtype::u16,     dtype::f16,     dtype::bf16,    dtype::i32,         dtype::u32,         dtype::f32,
    dtype::c64,     dtype::f64,     dtype::i64,     dtype::u64};

// The name a safetensors header uses ("F32"); "?" for a value outside the enum.
constexpr std::string_view name(dtype t) noexcept {
  switch (t) {
    case dtype::boolean:
      return "BOOL";
    case dtype::f4:
      return "F4";
    case dtype::f6_e2m3:
      return "F6_E2M3";
    case dtype::f6_e3m2:
      return "F6_E3M2";
    case dtype::u8:
      return "U8";
    case dtype::i8:
      return "I8";
    case dtype::f8_e5m2:
      return "F8_E5M2";
    case dtype::f8_e4m3:
      return "F8_E4M3";
    case dtype::f8_e8m0:
      return "F8_E8M0";
    case dtype::f8_e4m3fnuz:
      return "F8_E4M3FNUZ";
    case dtype::f8_e5m2fnuz:
      return "F8_E5M2FNUZ";
    case dtype::i16:
      return "I16";
    case dtype::u16:
      return "U16";
    case dtype::f16:
      return "F16";
    case dtype::bf16:
      return "BF16";
    case dtype::i32:
      return "I32";
    case dtype::u32:
      return "U32";
    case dtype::f32:
      return "F32";
    case dtype::c64:
      return "C64";
    case dtype::f64:
      return "F64";
    case dtype::i64:
      return "I64";
    case dtype::u64:
      return "U64";
  }
  return "?";
}

// The dtype a header names; nullopt for an unknown name (names are case-sensitive, as in the Rust crate).
constexpr std::optional<dtype> dtype_from_name(std::string_view s) noexcept {
  for (dtype t : all_dtypes) {
    if (name(t) == s) return t;
  }
  return std::nullopt;
}

// Bits of one element: 4 (F4), 6 (F6_*), 8, 16, 32 or 64 (C64: two float32).
constexpr unsigned element_bits(dtype t) noexcept {
  switch (t) {
    case dtype::f4:
      return 4;
    case dtype::f6_e2m3:
    case dtype::f6_e3m2:
      return 6;
    case dtype::boolean:
    case dtype::u8:
    case dtype::i8:
    case dtype::f8_e5m2:
    case dtype::f8_e4m3:
    case dtype::f8_e8m0:
    case dtype::f8_e4m3fnuz:
    case dtype::f8_e5m2fnuz:
      return 8;
    case dtype::i16:
    case dtype::u16:
    case dtype::f16:
    case dtype::bf16:
      return 16;
    case dtype::i32:
    case dtype::u32:
    case dtype::f32:
      return 32;
    case dtype::c64:
    case dtype::f64:
    case dtype::i64:
    case dtype::u64:
      return 64;
  }
  return 0;
}

// Bytes of one element. Throws ao::error for the sub-byte dtypes (F4, F6_*), whose elements have no byte size:
// use element_bits or byte_size for them.
constexpr std::size_t element_size(dtype t) {
  const unsigned bits = element_bits(t);
  if (bits % 8 != 0 || bits == 0) {
    throw error("ao::io::element_size: dtype " + std::string(name(t)) + " is " + std::to_string(bits) +
                " bits an element, not a whole number of bytes (use element_bits)");
  }
  return bits / 8;
}

// The outcome of byte_size: the number of bytes, or why there is none.
struct byte_size_result {
  enum class status : std::uint8_t {
    ok,
    overflow,     // the product of the dims, or the product times the element bits, exceeds 2^64 - 1
    partial_byte  // elements x bits is not a multiple of 8 (sub-byte dtypes only)
  };
  status state = status::ok;
  std::uint64_t bytes = 0;     // valid when state == ok
  std::uint64_t elements = 0;  // valid when state != overflow
};

// Bytes of a tensor of `t` and `shape` (row-major, no padding), with the Rust crate's rule and order of checks:
// the dims are multiplied left to right from 1, each product checked (so [2^40, 2^40, 0] overflows even though
// it holds no element), then times the element's bits (checked), which must be a multiple of 8.
inline byte_size_result byte_size(dtype t, const std::vector<std::uint64_t>& shape) noexcept {
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  byte_size_result r;
  std::uint64_t n = 1;
  for (std::uint64_t d : shape) {
    if (d != 0 && n > max / d) {
      r.state = byte_size_result::status::overflow;
      return r;
    }
    n *= d;
  }
  r.elements = n;
  const std::uint64_t bits = element_bits(t);
  if (bits == 0 || n > max / bits) {
    r.state = byte_size_result::status::overflow;
    return r;
  }
  if ((n * bits) % 8 != 0) {
    r.state = byte_size_result::status::partial_byte;
    return r;
  }
  r.bytes = n * bits / 8;
  return r;
}

}  // namespace ao::io
