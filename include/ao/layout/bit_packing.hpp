// ao/layout/bit_packing.hpp: sub-byte codes in bytes (numerics spec §1.4, §5.1, §5.2). Pure functions over raw
// uint8 pointers: `codes` holds one code per byte (in its low bits), `out`/`packed` the packed bytes. Sizes are
// counts of codes unless said otherwise. Every pack function ignores the bits of a code above its width (they are
// masked off, never spread into a neighbour) and writes every byte of its output; unpack functions write codes in
// [0, 2^width). Bad sizes and widths throw ao::error (host only).
//
//   nibbles        two 4-bit codes a byte; nibble_order::low_first (MX fp4, NVFP4: element 2i in bits 0-3) or
//                  nibble_order::high_first (NF4, tinygemm's input: element 2i in bits 4-7)
//   lsb_first      any width 1..8: code i occupies bits [i*b, (i+1)*b) of the little-endian bit stream (bit k of the
//                  stream is bit k % 8 of byte k / 8); the bits of the last byte past n*b are zero
//   fp6_4in3       lsb_first with b = 6: four 6-bit codes c0..c3 in three bytes, c0 in bits 0-5 of byte 0
//   uintx          torchao's chunk-planar Python uintx packing (bitpacking.py): widths 1..7 split into shards of
//                  1, 2 or 4 bits, each shard packed planar along the row (see pack_uintx)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/error.hpp"

namespace ao::layout {

// ---------------------------------------------------------------------------------------------------------------
// Nibbles
// ---------------------------------------------------------------------------------------------------------------

// Which nibble of byte i holds element 2i (element 2i + 1 takes the other one).
namespace nibble_order {
struct low_first {  // byte i = code[2i] | code[2i+1] << 4: MX fp4 and NVFP4 (torchao pack_uint4), float4_e2m1fn_x2
  static constexpr int first_shift = 0;
};
struct high_first {  // byte i = code[2i] << 4 | code[2i+1]: NF4, tinygemm's _convert_weight_to_int4pack input
  static constexpr int first_shift = 4;
};
}  // namespace nibble_order

template <class Order>
inline constexpr bool is_nibble_order_v =
    std::is_same_v<Order, nibble_order::low_first> || std::is_same_v<Order, nibble_order::high_first>;

// Bytes that n nibbles take: ceil(n / 2).
constexpr std::size_t packed_nibble_bytes(std::size_t n) noexcept { return (n + 1) / 2; }

// Packs n 4-bit codes (low 4 bits of each byte of `codes`; the high 4 are ignored) into packed_nibble_bytes(n)
// bytes of `out`. With n odd the last byte's second nibble is zero.
template <class Order>
constexpr void pack_nibbles(const std::uint8_t* codes, std::size_t n, std::uint8_t* out) noexcept {
  static_assert(is_nibble_order_v<Order>, "Order is ao::layout::nibble_order::low_first or high_first");
  constexpr int first = Order::first_shift, second = 4 - Order::first_shift;
  for (std::size_t i = 0; 2 * i < n; ++i) {
    const unsigned a = codes[2 * i] & 0xFu;
    const unsigned b = 2 * i + 1 < n ? codes[2 * i + 1] & 0xFu : 0u;
    out[i] = static_cast<std::uint8_t>(a << first | b << second);
  }
}

// Unpacks n 4-bit codes from packed_nibble_bytes(n) bytes; each code lands in the low nibble of its byte.
template <class Order>
constexpr void unpack_nibbles(const std::uint8_t* packed, std::size_t n, std::uint8_t* codes) noexcept {
  static_assert(is_nibble_order_v<Order>, "Order is ao::layout::nibble_order::low_first or high_first");
  constexpr int first = Order::first_shift, second = 4 - Order::first_shift;
  for (std::size_t k = 0; k < n; ++k) {
    const int shift = k % 2 == 0 ? first : second;
    codes[k] = static_cast<std::uint8_t>((packed[k / 2] >> shift) & 0xFu);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// LSB-first bit stream, any width
// ---------------------------------------------------------------------------------------------------------------

namespace detail {
constexpr void check_bits(const char* op, int bits, int lo, int hi) {
  if (bits < lo || bits > hi) {
    throw ao::error(std::string(op) + ": bits = " + std::to_string(bits) + " is not in " + std::to_string(lo) + ".." +
                    std::to_string(hi));
  }
}
}  // namespace detail

// Bytes that n codes of `bits` bits take in a bit stream: ceil(n * bits / 8).
constexpr std::size_t packed_lsb_first_bytes(std::size_t n, int bits) noexcept {
  return (n * static_cast<std::size_t>(bits) + 7) / 8;
}

// Packs n codes of `bits` bits (1..8; ao::error otherwise) LSB first: code i occupies bits [i*bits, (i+1)*bits) of
// the stream, bit k of the stream being bit k % 8 of out[k / 8]. Writes packed_lsb_first_bytes(n, bits) bytes; when
// n * bits is not a multiple of 8 the unused high bits of the last byte are zero. bits = 8 is a copy; bits = 4 is
// nibble_order::low_first.
constexpr void pack_lsb_first(const std::uint8_t* codes, std::size_t n, int bits, std::uint8_t* out) {
  detail::check_bits("pack_lsb_first", bits, 1, 8);
  const unsigned mask = (1u << bits) - 1u;
  const std::size_t bytes = packed_lsb_first_bytes(n, bits);
  for (std::size_t j = 0; j < bytes; ++j) out[j] = 0;
  std::size_t pos = 0;  // bit position in the stream
  for (std::size_t i = 0; i < n; ++i, pos += static_cast<std::size_t>(bits)) {
    const unsigned v = (codes[i] & mask) << (pos % 8);  // at most 15 significant bits: spans two bytes at most
    out[pos / 8] = static_cast<std::uint8_t>(out[pos / 8] | (v & 0xFFu));
    if ((v >> 8) != 0) out[pos / 8 + 1] = static_cast<std::uint8_t>(out[pos / 8 + 1] | (v >> 8));
  }
}

// Unpacks n codes of `bits` bits (1..8) from the stream pack_lsb_first writes; the padding bits are not read as
// codes (and need not be zero).
constexpr void unpack_lsb_first(const std::uint8_t* packed, std::size_t n, int bits, std::uint8_t* codes) {
  detail::check_bits("unpack_lsb_first", bits, 1, 8);
  const unsigned mask = (1u << bits) - 1u;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i, pos += static_cast<std::size_t>(bits)) {
    const std::size_t byte = pos / 8;
    const unsigned shift = static_cast<unsigned>(pos % 8);
    unsigned window = packed[byte];
    if (shift + static_cast<unsigned>(bits) > 8) window |= static_cast<unsigned>(packed[byte + 1]) << 8;
    codes[i] = static_cast<std::uint8_t>((window >> shift) & mask);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// fp6, four codes in three bytes
// ---------------------------------------------------------------------------------------------------------------

// ao's packed fp6 storage (torchao stores fp6 one code a byte; its old pack_uint6 was removed, spec §1.4): the
// LSB-first stream with 6 bits, so four codes c0..c3 fill three bytes as
//   byte 0 = c0 | (c1 & 0x03) << 6,  byte 1 = c1 >> 2 | (c2 & 0x0F) << 4,  byte 2 = c2 >> 4 | c3 << 2.
// n must be a multiple of 4 (ao::error otherwise); 3n/4 bytes.
constexpr std::size_t packed_fp6_4in3_bytes(std::size_t n) noexcept { return n / 4 * 3; }

constexpr void pack_fp6_4in3(const std::uint8_t* codes, std::size_t n, std::uint8_t* out) {
  if (n % 4 != 0) throw ao::error("pack_fp6_4in3: n = " + std::to_string(n) + " is not a multiple of 4");
  pack_lsb_first(codes, n, 6, out);
}
constexpr void unpack_fp6_4in3(const std::uint8_t* packed, std::size_t n, std::uint8_t* codes) {
  if (n % 4 != 0) throw ao::error("unpack_fp6_4in3: n = " + std::to_string(n) + " is not a multiple of 4");
  unpack_lsb_first(packed, n, 6, codes);
}

// ---------------------------------------------------------------------------------------------------------------
// torchao's chunk-planar uintx (Python bitpacking.py, spec §5.1)
// ---------------------------------------------------------------------------------------------------------------

// The shards of a uintx width: shard s holds bits [shift[s], shift[s] + width[s]) of each code.
//   1: [1]  2: [2]  3: [2 (bits 0-1), 1 (bit 2)]  4: [4]  5: [4, 1 (bit 4)]  6: [4, 2 (bits 4-5)]
//   7: [4, 2 (bits 4-5), 1 (bit 6)]
struct uintx_shards {
  int count;
  std::array<int, 3> width;
  std::array<int, 3> shift;
};

// The shards of `bits` (1..7; ao::error otherwise).
constexpr uintx_shards uintx_shard_widths(int bits) {
  switch (bits) {
    case 1:
      return {1, {1, 0, 0}, {0, 0, 0}};
    case 2:
      return {1, {2, 0, 0}, {0, 0, 0}};
    case 3:
      return {2, {2, 1, 0}, {0, 2, 0}};
    case 4:
      return {1, {4, 0, 0}, {0, 0, 0}};
    case 5:
      return {2, {4, 1, 0}, {0, 4, 0}};
    case 6:
      return {2, {4, 2, 0}, {0, 4, 0}};
    case 7:
      return {3, {4, 2, 1}, {0, 4, 6}};
    default:
      throw ao::error("uintx_shard_widths: bits = " + std::to_string(bits) + " is not in 1..7");
  }
}

// Bytes of one row of shard `shard` for n codes a row: n * width / 8.
constexpr std::size_t uintx_shard_row_bytes(int bits, int shard, std::size_t n) {
  return n * static_cast<std::size_t>(uintx_shard_widths(bits).width[static_cast<std::size_t>(shard)]) / 8;
}

namespace detail {
constexpr void check_uintx(const char* op, int bits, std::size_t n) {
  check_bits(op, bits, 1, 7);
  if (n % 8 != 0) throw ao::error(std::string(op) + ": n = " + std::to_string(n) + " is not a multiple of 8");
}
}  // namespace detail

// Packs a row-major rows x n matrix of `bits`-bit codes (bits 1..7, n % 8 == 0; ao::error otherwise) along its
// rows into uintx_shard_widths(bits).count shards: shards[s] is a rows x uintx_shard_row_bytes(bits, s, n) matrix.
// For shard s of width w (p = 8 / w slots a byte, L = n / p bytes a row), with u[i] = (code[i] >> shift) & (2^w - 1):
//   shard_row[k] = OR over j < p of  u[j * L + k] << (j * w)          (k < L: chunk-planar, not adjacent values)
// Example (uint4, one row of 16): codes [5,10,15,4,9,14,3,8,13,2,7,12,1,6,11,0] give [213,42,127,196,25,110,179,8].
constexpr void pack_uintx(const std::uint8_t* codes, std::size_t rows, std::size_t n, int bits,
                          std::uint8_t* const* shards) {
  detail::check_uintx("pack_uintx", bits, n);
  const uintx_shards sh = uintx_shard_widths(bits);
  for (int s = 0; s < sh.count; ++s) {
    const int w = sh.width[static_cast<std::size_t>(s)], shift = sh.shift[static_cast<std::size_t>(s)];
    const unsigned mask = (1u << w) - 1u;
    const std::size_t slots = static_cast<std::size_t>(8 / w), len = n / slots;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint8_t* in = codes + r * n;
      std::uint8_t* out = shards[s] + r * len;
      for (std::size_t k = 0; k < len; ++k) {
        unsigned byte = 0;
        for (std::size_t j = 0; j < slots; ++j) {
          byte |= ((static_cast<unsigned>(in[j * len + k]) >> shift) & mask) << (j * static_cast<std::size_t>(w));
        }
        out[k] = static_cast<std::uint8_t>(byte);
      }
    }
  }
}

// The inverse of pack_uintx: codes (rows x n) in [0, 2^bits).
constexpr void unpack_uintx(const std::uint8_t* const* shards, std::size_t rows, std::size_t n, int bits,
                            std::uint8_t* codes) {
  detail::check_uintx("unpack_uintx", bits, n);
  const uintx_shards sh = uintx_shard_widths(bits);
  for (std::size_t i = 0; i < rows * n; ++i) codes[i] = 0;
  for (int s = 0; s < sh.count; ++s) {
    const int w = sh.width[static_cast<std::size_t>(s)], shift = sh.shift[static_cast<std::size_t>(s)];
    const unsigned mask = (1u << w) - 1u;
    const std::size_t slots = static_cast<std::size_t>(8 / w), len = n / slots;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint8_t* in = shards[s] + r * len;
      std::uint8_t* out = codes + r * n;
      for (std::size_t k = 0; k < len; ++k) {
        for (std::size_t j = 0; j < slots; ++j) {
          const unsigned u = (static_cast<unsigned>(in[k]) >> (j * static_cast<std::size_t>(w))) & mask;
          out[j * len + k] = static_cast<std::uint8_t>(out[j * len + k] | (u << shift));
        }
      }
    }
  }
}

}  // namespace ao::layout
