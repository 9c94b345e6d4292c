// ao/backends/cuda/dim1_kernels.cuh: the column-wise ("dim1") quantize kernel of block-scaled formats (MX, NVFP4):
// the blocks run down the columns of an M x K source, and the result is the quantized TRANSPOSE, a K x M
// quantized matrix (row c of the result = column c of the source, its blocks = runs of block_size rows). This is
// the cast MX training needs for the backward GEMMs (torchao's to_mx on x.t(), its triton "dim1" cast), done
// without writing the transposed bf16 matrix: the bytes equal ao::quantize<F> of the transposed source.
//
// One CTA takes a tile of block_size source rows x tile_cols source columns: it loads the tile into shared memory
// with row-wise (coalesced) reads, widened to fp32, then works on it exactly as the row-wise kernel
// (block_kernels.cuh) works on registers: each column's block is split over T lanes of a warp holding V values
// each (block_split<F>), the lanes exchange their max |x| by shuffles, encode, and store V codes of the result's
// row; the block's first lane stores the scale (row-major or 128x4 swizzled). Shared memory rows are padded by
// one float so that the column reads of a warp hit distinct banks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/backends/cuda/block_codec.cuh"
#include "ao/backends/cuda/block_kernels.cuh"
#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

// The tile of the dim1 kernel: block_size source rows x cols source columns, one block per column, T lanes per
// block, so cols * T threads; cols shrinks for large blocks so that the tile fits 40 KiB of shared memory.
template <class F>
struct dim1_tile {
  static constexpr int rows = block_split<F>::block;
  static constexpr int lanes = block_split<F>::lanes;
  static constexpr int cols = rows * (256 / lanes + 1) * 4 <= 40960 ? 256 / lanes : 32 / lanes;
  static constexpr int threads = cols * lanes;
  static constexpr std::size_t shared_bytes = std::size_t(rows) * (cols + 1) * sizeof(float);
  static_assert(cols >= 1 && shared_bytes <= 40960,
                "ao::cuda dim1 quantize: the block is too large for a shared-memory tile (at most 256 values, or "
                "310 when the block is not 8 times a power of two)");
};

// src: the M x K source (row stride src_stride elements); data / scales: the K x M result (rows data_stride bytes
// apart; scales row-major with scales_stride, or swizzled). Grid: x over tiles of columns, y over runs of
// block_size rows (striding by gridDim.y). wide_src: every row of src is 16-byte aligned and K % 8 == 0, so the
// tile loads 8 values at a time; wide_data: every result row is aligned for V / E byte stores.
template <class F, class Src, bool SwizzledScales>
__global__ void __launch_bounds__(dim1_tile<F>::threads)
    quantize_dim1_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t m, std::size_t k,
                         std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride,
                         std::uint8_t* AO_RESTRICT scales, std::ptrdiff_t scales_stride, block_codec<F> codec,
                         bool wide_src, bool wide_data) {
  using tile = dim1_tile<F>;
  constexpr int B = tile::rows, C = tile::cols, T = tile::lanes, V = block_split<F>::values;
  constexpr int E = block_codec<F>::elements_per_byte;
  __shared__ float x_tile[B][C + 1];
  const std::size_t c0 = static_cast<std::size_t>(blockIdx.x) * C;
  const std::size_t scale_cols = m / B;  // of the K x M result
  const int column = static_cast<int>(threadIdx.x) / T, part = static_cast<int>(threadIdx.x) % T;
  const std::size_t c = c0 + static_cast<std::size_t>(column);  // this block's source column = result row
  for (std::size_t rb = blockIdx.y; rb < scale_cols; rb += gridDim.y) {
    const std::size_t r0 = rb * B;
    // Load: runs of 8 consecutive columns of one row per thread (or single values at the right edge).
    __syncthreads();  // the previous run's reads of x_tile are done
    for (int i = static_cast<int>(threadIdx.x); i < B * (C / 8 > 0 ? C / 8 : 1); i += tile::threads) {
      constexpr int runs = C / 8 > 0 ? C / 8 : 1, width = C / runs;
      const int rr = i / runs, cc = (i % runs) * width;
      const Src* p = src + static_cast<std::ptrdiff_t>(r0 + rr) * src_stride + static_cast<std::ptrdiff_t>(c0 + cc);
      if (width == 8 && wide_src && c0 + cc + 8 <= k) {
        float x[8];
        load_values<8>(p, x, true);
        AO_UNROLL
        for (int j = 0; j < 8; ++j) x_tile[rr][cc + j] = x[j];
      } else {
        for (int j = 0; j < width; ++j) {
          x_tile[rr][cc + j] = c0 + cc + j < k ? widen(p[j]) : 0.0f;
        }
      }
    }
    __syncthreads();
    float x[V];
    AO_UNROLL
    for (int j = 0; j < V; ++j) x[j] = x_tile[part * V + j][column];
    std::uint32_t amax = 0;
    AO_UNROLL
    for (int j = 0; j < V; ++j) amax = max(amax, abs_bits(x[j]));
    AO_UNROLL
    for (int o = T / 2; o > 0; o /= 2) amax = max(amax, shuffle_xor(amax, o));
    if (c >= k) continue;
    const auto b = codec.template of<Src>(ao::detail::bit_cast<float>(amax));
    std::uint8_t* out = data + static_cast<std::ptrdiff_t>(c) * data_stride + (r0 + static_cast<std::size_t>(part) * V) / E;
    encode_and_store<V>(codec, x, b, amax, out, wide_data);
    if (part == 0) scales[scale_index<SwizzledScales>(c, rb, scales_stride, scale_cols)] = codec.stored_scale(b);
  }
}

}  // namespace ao::cuda::detail
