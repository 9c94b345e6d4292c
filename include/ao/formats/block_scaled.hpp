// ao/formats/block_scaled.hpp: ao::block_scaled<Element, Block, Scale, Rule, Packing>, the policy type of every
// format whose blocks of consecutive values along the last dimension share one scale (MX, and NVFP4 later).
//
// A format is a pure type: it holds no data and selects behaviour at compile time. Orthogonal choices rebind:
//   ao::mxfp4::with_scale_rule<ao::scale_rule::rceil>                   same elements and blocks, RCEIL scales
//   ao::mxfp8_e4m3::with_block_size<16>                                 blocks of 16
//   ao::mxfp6_e2m3::with_packing<ao::element_packing::fp6_4in3>         fp6 codes four in three bytes
// Packing defaults to torchao's storage (ao/formats/element_packing.hpp), so a four-parameter spelling is the
// torchao format it always was.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/formats/element_packing.hpp"
#include "ao/numeric/float8.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

template <int N>
struct block {
  static_assert(N >= 1, "a block holds at least one value");
  static constexpr int size = N;
};

template <class Element, class Block, class Scale, class Rule, class Packing = element_packing::torchao>
struct block_scaled {
  using element_type = Element;
  using scale_type = Scale;
  using scale_rule = Rule;
  static constexpr int block_size = Block::size;
  static constexpr int element_bits = Element::bits_per_value;
  static constexpr int scale_bits = Scale::bits_per_value;
  // Element storage: the packing policy, and the byte layout of a row of codes it gives (element_storage: groups
  // of storage::group_values codes in storage::group_bytes bytes, storage::pack / unpack). A block holds whole
  // groups, so the bytes of a block never share a byte with another block's.
  using packing = Packing;
  using storage = element_storage<Element, Packing>;
  // Codes per byte where a byte holds whole codes (torchao's packing: 2 for 4-bit elements, else 1); 0 where
  // codes straddle bytes (fp6_4in3), for which no kernel may address code k as byte k / elements_per_byte.
  static constexpr int elements_per_byte = storage::codes_per_byte;
  static_assert(!std::is_same_v<Packing, element_packing::torchao> || block_size % storage::group_values == 0,
                "4-bit elements pack two a byte: the block size must be even");
  static_assert(!std::is_same_v<Packing, element_packing::fp6_4in3> || block_size % 4 == 0,
                "ao::element_packing::fp6_4in3 packs four values in three bytes: the block size must be a multiple "
                "of 4");
  // The scale rules (ao/formats/scale_rule.hpp) choose a power of two and every kernel stores and reads it as an
  // e8m0 byte, so that is the one scale type a block_scaled format can have; e4m3 block scales are ao::nvfp4's.
  static_assert(std::is_same_v<Scale, float8_e8m0fnu>,
                "block_scaled: the scale type must be ao::float8_e8m0fnu (power-of-two scales; for e4m3 block scales "
                "see ao::nvfp4)");

  template <class NewRule>
  using with_scale_rule = block_scaled<Element, Block, Scale, NewRule, Packing>;
  template <int N>
  using with_block_size = block_scaled<Element, ao::block<N>, Scale, Rule, Packing>;
  template <class NewPacking>
  using with_packing = block_scaled<Element, Block, Scale, Rule, NewPacking>;
};

}  // namespace ao
