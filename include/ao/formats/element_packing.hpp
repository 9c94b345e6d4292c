// ao/formats/element_packing.hpp: how a block_scaled format stores the element codes of a row in bytes, a policy:
// the last parameter of ao::block_scaled<Element, Block, Scale, Rule, Packing>, rebound with
// F::with_packing<P>. The scales are stored the same way whatever the packing (one e8m0 byte per block).
//
//   ao::element_packing::torchao    the default, torchao's MXTensor qdata: 4-bit codes two a byte (element 2i in
//                                   the low nibble, torchao's pack_uint4), wider codes one a byte in its low bits
//                                   (fp6: bits 0-5, bits 6-7 zero)
//   ao::element_packing::fp6_4in3   ao's packed fp6, 6 bits a value: every four consecutive codes of a row, from
//                                   its first, in three bytes, LSB first (ao::layout::pack_fp6_4in3):
//                                     byte 0 = c0 | c1 << 6,  byte 1 = c1 >> 2 | c2 << 4,  byte 2 = c2 >> 4 | c3 << 2
//                                   (each mod 256). fp6 elements only, in blocks of a multiple of 4 values. torchao
//                                   has no such storage (its pack_uint6 was removed): such formats are ao's own.
//
// ao::element_storage<Element, Packing> is what kernels use: the byte layout of a row of Element codes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/layout/bit_packing.hpp"

namespace ao {

namespace element_packing {
struct torchao {};
struct fp6_4in3 {};
}  // namespace element_packing

// The storage of a row of Element codes under Packing:
//   group_values, group_bytes   every group_values consecutive codes of a row (from its first) take group_bytes
//                               bytes, independently of the other groups
//   codes_per_byte              how many whole codes a byte holds (1 or 2, code k in byte k / codes_per_byte);
//                               0 when codes straddle bytes (fp6_4in3): address such rows by groups
//   row_bytes(n)                the bytes of n codes, n a multiple of group_values
//   pack(codes, n, out)         n codes, one a byte in its low bits (higher bits ignored), into row_bytes(n) bytes
//   unpack(in, n, codes)        the inverse: n codes, one a byte
// n must be a multiple of group_values (fp6_4in3: ao::error otherwise). constexpr on the host.
template <class Element, class Packing>
struct element_storage;  // undefined: Packing is not an ao::element_packing policy

template <class Element>
struct element_storage<Element, element_packing::torchao> {
  static constexpr bool nibbles = Element::bits_per_value <= 4;
  static constexpr int group_values = nibbles ? 2 : 1;
  static constexpr int group_bytes = 1;
  static constexpr int codes_per_byte = group_values;
  static constexpr std::size_t row_bytes(std::size_t n) noexcept { return n / group_values; }
  static constexpr void pack(const std::uint8_t* codes, std::size_t n, std::uint8_t* out) {
    if constexpr (nibbles) {
      layout::pack_nibbles<layout::nibble_order::low_first>(codes, n, out);
    } else {
      for (std::size_t i = 0; i < n; ++i) out[i] = codes[i];
    }
  }
  static constexpr void unpack(const std::uint8_t* in, std::size_t n, std::uint8_t* codes) {
    if constexpr (nibbles) {
      layout::unpack_nibbles<layout::nibble_order::low_first>(in, n, codes);
    } else {
      for (std::size_t i = 0; i < n; ++i) codes[i] = in[i];
    }
  }
};

template <class Element>
struct element_storage<Element, element_packing::fp6_4in3> {
  static_assert(Element::bits_per_value == 6,
                "ao::element_packing::fp6_4in3 packs 6-bit elements only (float6_e2m3fn, float6_e3m2fn or another "
                "6-bit float_exmy)");
  static constexpr int group_values = 4;
  static constexpr int group_bytes = 3;
  static constexpr int codes_per_byte = 0;
  static constexpr std::size_t row_bytes(std::size_t n) noexcept { return layout::packed_fp6_4in3_bytes(n); }
  static constexpr void pack(const std::uint8_t* codes, std::size_t n, std::uint8_t* out) {
    layout::pack_fp6_4in3(codes, n, out);
  }
  static constexpr void unpack(const std::uint8_t* in, std::size_t n, std::uint8_t* codes) {
    layout::unpack_fp6_4in3(in, n, codes);
  }
};

}  // namespace ao
