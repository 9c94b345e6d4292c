// ao/formats/block_scaled.hpp: ao::block_scaled<Element, Block, Scale, Rule>, the policy type of every format
// whose blocks of consecutive values along the last dimension share one scale (MX, and NVFP4 later).
//
// A format is a pure type: it holds no data and selects behaviour at compile time. Orthogonal choices rebind:
//   ao::mxfp4::with_scale_rule<ao::scale_rule::rceil>    same elements and blocks, RCEIL scales
//   ao::mxfp8_e4m3::with_block_size<16>                  blocks of 16
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/numeric/float8.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

template <int N>
struct block {
  static_assert(N >= 1, "a block holds at least one value");
  static constexpr int size = N;
};

template <class Element, class Block, class Scale, class Rule>
struct block_scaled {
  using element_type = Element;
  using scale_type = Scale;
  using scale_rule = Rule;
  static constexpr int block_size = Block::size;
  static constexpr int element_bits = Element::bits_per_value;
  static constexpr int scale_bits = Scale::bits_per_value;
  // Element storage, torchao's: 4-bit elements two per byte (element 2i in the low nibble), others one per byte
  // in the low bits. (Other packings, such as fp6 four in three bytes, will be policies of their own.)
  static constexpr int elements_per_byte = Element::bits_per_value <= 4 ? 2 : 1;
  static_assert(block_size % elements_per_byte == 0, "4-bit elements pack two a byte: the block size must be even");
  // The scale rules (ao/formats/scale_rule.hpp) choose a power of two and every kernel stores and reads it as an
  // e8m0 byte, so that is the one scale type a block_scaled format can have; e4m3 block scales are ao::nvfp4's.
  static_assert(std::is_same_v<Scale, float8_e8m0fnu>,
                "block_scaled: the scale type must be ao::float8_e8m0fnu (power-of-two scales; for e4m3 block scales "
                "see ao::nvfp4)");

  template <class NewRule>
  using with_scale_rule = block_scaled<Element, Block, Scale, NewRule>;
  template <int N>
  using with_block_size = block_scaled<Element, ao::block<N>, Scale, Rule>;
};

}  // namespace ao
