// ao/layout/scale_swizzle.hpp: the swizzled ("blocked") layout of block scales that NVIDIA's block-scaled GEMMs
// read (cuBLAS / CUTLASS; torch's SwizzleType.SWIZZLE_32_4_4), as torchao's to_blocked / from_blocked
// (mx_formats/utils.py; numerics spec §1.5). It is the same for MX (e8m0) and NVFP4 (e4m3) scales: one byte each.
//
// A rows x cols scale matrix S (rows = M, the flattened leading dims; cols = K / block_size) is padded with zero
// bytes to R = ceil(rows/128)*128 rows and C4 = ceil(cols/4)*4 columns and cut into 128 x 4 tiles of 512 bytes,
// stored row-block-major (all the tiles of rows 0-127 first). Inside a tile, byte (rr % 32) * 16 + (rr / 32) * 4 +
// c % 4 holds S[r][c] (rr = r % 128): each tile is a 32 x 16 byte block whose row i is
// [S[i][0..3], S[i+32][0..3], S[i+64][0..3], S[i+96][0..3]].
//   offset(r, c) = ((r / 128) * (C4 / 4) + c / 4) * 512 + (r % 32) * 16 + ((r % 128) / 32) * 4 + c % 4
// Padding bytes are 0 (2^-127 as e8m0, 0.0 as e4m3). torchao's 2-D view of the result is (R / 4, C4 * 4) bytes:
// MX (ceil(M/128)*32, ceil(K/128)*16), NVFP4 (ceil(M/128)*32, ceil(K/64)*16).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/config.hpp"

namespace ao::layout {

inline constexpr std::size_t swizzle_tile_rows = 128;
inline constexpr std::size_t swizzle_tile_cols = 4;
inline constexpr std::size_t swizzle_tile_bytes = swizzle_tile_rows * swizzle_tile_cols;  // 512

// Rows and columns after padding to whole tiles.
AO_HOST_DEVICE constexpr std::size_t swizzled_rows(std::size_t rows) noexcept {
  return (rows + swizzle_tile_rows - 1) / swizzle_tile_rows * swizzle_tile_rows;
}
AO_HOST_DEVICE constexpr std::size_t swizzled_cols(std::size_t cols) noexcept {
  return (cols + swizzle_tile_cols - 1) / swizzle_tile_cols * swizzle_tile_cols;
}

// Bytes of the swizzled layout of a rows x cols scale matrix, padding included.
AO_HOST_DEVICE constexpr std::size_t swizzled_size(std::size_t rows, std::size_t cols) noexcept {
  return swizzled_rows(rows) * swizzled_cols(cols);
}

// Where scale (r, c) of a matrix with `cols` columns lands in the swizzled layout.
AO_HOST_DEVICE constexpr std::size_t swizzled_offset(std::size_t r, std::size_t c, std::size_t cols) noexcept {
  const std::size_t col_tiles = swizzled_cols(cols) / swizzle_tile_cols;
  const std::size_t tile = (r / swizzle_tile_rows) * col_tiles + c / swizzle_tile_cols;
  const std::size_t rr = r % swizzle_tile_rows;
  return tile * swizzle_tile_bytes + (rr % 32) * 16 + (rr / 32) * 4 + c % swizzle_tile_cols;
}

// torchao's to_blocked: writes swizzled_size(rows, cols) bytes to `out`, the padding as zeros. `scales` is the
// row-major rows x cols matrix.
inline void to_blocked(const std::uint8_t* scales, std::size_t rows, std::size_t cols, std::uint8_t* out) {
  const std::size_t n = swizzled_size(rows, cols);
  for (std::size_t i = 0; i < n; ++i) out[i] = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) out[swizzled_offset(r, c, cols)] = scales[r * cols + c];
  }
}

// torchao's from_blocked: the inverse, reading swizzled_size(rows, cols) bytes and writing the row-major rows x cols
// matrix (the padding is dropped).
inline void from_blocked(const std::uint8_t* blocked, std::size_t rows, std::size_t cols, std::uint8_t* out) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) out[r * cols + c] = blocked[swizzled_offset(r, c, cols)];
  }
}

}  // namespace ao::layout
