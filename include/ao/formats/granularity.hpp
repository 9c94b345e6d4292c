// ao/formats/granularity.hpp: which values share one scale (and zero point), for the formats with free-standing
// scales (float8.hpp, affine.hpp). For a row-major rows x cols matrix, as torchao's block_size:
//   per_tensor          one scale                              torchao block_size (rows, cols)   PerTensor
//   per_row             one scale per row                      (1, cols)                         PerRow
//   group<G>            one per G consecutive values of a row  (1, G); G divides cols            PerGroup
//   per_block<R, C>     one per R x C tile                     (R, C); R | rows and C | cols      PerBlock
//   per_block_1x128     DeepSeek-style activations; per_block_128x128 DeepSeek-style weights
// (Block-scaled formats, MX and NVFP4, use ao::block<N> of block_scaled.hpp instead: their block is part of the
// format.)
#pragma once

namespace ao {

struct per_tensor {
  static constexpr const char* name = "per_tensor";
};

struct per_row {
  static constexpr const char* name = "per_row";
};

template <int G>
struct group {
  static_assert(G >= 1, "a group holds at least one value");
  static constexpr const char* name = "group";
  static constexpr int size = G;
};

template <int Rows, int Cols>
struct per_block {
  static_assert(Rows >= 1 && Cols >= 1, "a block holds at least one value");
  static constexpr const char* name = "per_block";
  static constexpr int rows = Rows;
  static constexpr int cols = Cols;
};

using per_block_1x128 = per_block<1, 128>;
using per_block_128x128 = per_block<128, 128>;

}  // namespace ao
