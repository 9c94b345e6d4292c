// ao/backends/cuda/gemv_kernel.cuh: the CUDA weight-only skinny matmul, y[m, n] = sum over k of x[m, k] * W[n, k]
// (+ bias[n]) for up to 16 rows of bf16 x, W quantized (weight_decoder.cuh), decoded in registers.
//
// Work split. A block of 128 threads is 4 warps; a warp owns R = 2 consecutive rows of W (so blocks cover 8 rows
// of N) and a tile of MT rows of x (MT = 1 or 4; the tiles of one block of W are neighbouring blocks, so W is read
// from DRAM about once; a tile of 16 rows compiled 4x slower and ran slower than 4 tiles of 4, docs/gpu.md). Lane l
// reads chunks l, l + 32, l + 64, ... of each W row, a chunk being LB bytes of codes (LB = 16: one 16-byte load, 16 or
// 32 values; LB = 1: the fallback for rows that are not 16-byte aligned or whose length or groups do not divide into
// 16-byte chunks), so a warp reads 512 contiguous bytes of a row per step; a lane loads 4 such chunks of each row (8
// for 1-byte chunks) before it decodes any, so that 8 loads of 16 bytes per lane are in flight.
//
// Arithmetic. Each W value is decoded to its exact fp32 value (the oracle's), multiplied with x's fp32 value and
// added with one fma into the lane's fp32 sum for that (m, n); at the end the 32 lanes' sums are added by a
// butterfly of shuffles (xor 16, 8, 4, 2, 1), then bias[n] is added and the sum is rounded once to y's dtype.
// So y is a float sum of K products in a fixed order (per lane in increasing k, then the butterfly): it is within
// gamma_(K + 5) * sum |x W| of the exact sum, like ao::matmul on the CPU (the order differs, the bound is the same
// kind; tests/cuda/matmul_device_test.cu checks it against a float64 sum).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/backends/cuda/weight_decoder.cuh"
#include "ao/config.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

constexpr unsigned gemv_threads = 128;  // 4 warps per block
constexpr unsigned gemv_rows_per_warp = 2;

// Codes per chunk and per param lookup (a group, or the whole chunk when a group spans several chunks).
template <class D, int LB>
struct gemv_chunk {
  static constexpr int values = LB * D::codes_per_byte;
  static constexpr int run = (D::group == 0 || D::group >= values) ? values : D::group;
  // A 16-byte chunk needs groups that are whole chunks or whole fractions of one.
  static constexpr bool fits = values % run == 0 && (D::group == 0 || D::group % run == 0);
};

AO_DEVICE AO_FORCEINLINE float bf16_bits_to_float(std::uint32_t bits) { return __uint_as_float(bits << 16); }

// LB bytes of W codes as 32-bit words (a 16-byte chunk: one streaming 16-byte load, not kept in L1, which holds
// x; a 1-byte chunk: the byte in word 0).
template <int LB>
AO_DEVICE AO_FORCEINLINE void load_code_words(std::uint32_t* w, const std::uint8_t* p) {
  if constexpr (LB == 16) {
#if defined(__HIPCC__)
    const ::uint4 v = *reinterpret_cast<const ::uint4*>(p);
#else
    const ::uint4 v = __ldcs(reinterpret_cast<const ::uint4*>(p));
#endif
    w[0] = v.x;
    w[1] = v.y;
    w[2] = v.z;
    w[3] = v.w;
  } else {
    static_assert(LB == 1, "load_code_words: 16-byte or 1-byte chunks");
    w[0] = *p;
  }
}

// Code j of a chunk held as words: a nibble (E = 2) or a byte.
template <int E>
AO_DEVICE AO_FORCEINLINE unsigned code_of(const std::uint32_t* w, int j) {
  if constexpr (E == 2) {
    return (w[j / 8] >> (4 * (j % 8))) & 0xFu;
  } else {
    return (w[j / 4] >> (8 * (j % 4))) & 0xFFu;
  }
}

template <class D, int MT, int LB>
__global__ void __launch_bounds__(gemv_threads)
    gemv_kernel(const ao::bfloat16* AO_RESTRICT x, std::ptrdiff_t x_stride, unsigned m, std::size_t n, std::size_t k,
                const std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride, D decoder,
                const float* AO_RESTRICT bias, void* AO_RESTRICT y, std::ptrdiff_t y_stride, bool y_bf16, bool wide_x) {
  constexpr int R = gemv_rows_per_warp, V = gemv_chunk<D, LB>::values, RUN = gemv_chunk<D, LB>::run;
  constexpr int U = LB == 16 ? 4 : 8;          // chunks in flight per row and lane
  constexpr int WORDS = LB >= 4 ? LB / 4 : 1;  // of a chunk's codes
  constexpr int S = V < 8 ? V : 8;             // values per slice: x is loaded and multiplied 8 values at a time
  constexpr int E = D::codes_per_byte;
  static_assert(gemv_chunk<D, LB>::fits, "gemv_kernel: this chunk width does not divide the format's groups");
  const unsigned lane = threadIdx.x % 32u;
  // Block b: x's rows [MT * (b % tiles), + MT) against W's rows of block b / tiles, so that the blocks that run
  // together read the same rows of W (from L2 after the first).
  const unsigned tiles = (m + MT - 1) / MT, tile = blockIdx.x % tiles;
  x += static_cast<std::ptrdiff_t>(tile) * MT * x_stride;
  y = static_cast<char*>(y) + static_cast<std::ptrdiff_t>(tile) * MT * y_stride * (y_bf16 ? 2 : 4);
  m = m - tile * MT < MT ? m - tile * MT : MT;
  const std::size_t n0 = (static_cast<std::size_t>(blockIdx.x / tiles) * (gemv_threads / 32u) + threadIdx.x / 32u) * R;
  if (n0 >= n) return;  // the whole warp
  const std::size_t chunks = k / V;
  const std::uint8_t* rows[R];
  std::size_t row_index[R];
  AO_UNROLL
  for (int r = 0; r < R; ++r) {
    // A row past N reads row n0 again (valid memory); its sums are never stored.
    row_index[r] = n0 + r < n ? n0 + r : n0;
    rows[r] = data + static_cast<std::ptrdiff_t>(row_index[r]) * data_stride;
  }
  float acc[MT][R];
  AO_UNROLL
  for (int i = 0; i < MT; ++i) {
    AO_UNROLL
    for (int r = 0; r < R; ++r) acc[i][r] = 0.0f;
  }
  // Each step: U chunks of each row per lane, chunks first + u * 32 + lane, all loaded (codes and params) before
  // any is used.
  constexpr int PARAMS = V / RUN;  // per chunk
  for (std::size_t first = 0; first < chunks; first += 32 * U) {
    std::uint32_t words[U][R][WORDS];
    typename D::param params[U][R][PARAMS];
    AO_UNROLL
    for (int u = 0; u < U; ++u) {
      const std::size_t c = first + u * 32 + lane;
      AO_UNROLL
      for (int r = 0; r < R; ++r) {
        if (c < chunks) {
          load_code_words<LB>(words[u][r], rows[r] + c * LB);
          AO_UNROLL
          for (int q = 0; q < PARAMS; ++q) params[u][r][q] = decoder.load(row_index[r], c * V + q * RUN);
        } else {
          AO_UNROLL
          for (int q = 0; q < WORDS; ++q) words[u][r][q] = 0;
        }
      }
    }
    AO_UNROLL
    for (int u = 0; u < U; ++u) {
      const std::size_t c = first + u * 32 + lane;
      if (c >= chunks) continue;
      const std::size_t k0 = c * V;
      AO_UNROLL
      for (int s0 = 0; s0 < V; s0 += S) {
        // x[i, k0 + s0 .. + S) for every row of the tile (rows past m read row 0; their sums are never stored).
        float xs[MT][S];
        AO_UNROLL
        for (int i = 0; i < MT; ++i) {
          std::uint8_t raw[S * 2];
          const unsigned row = static_cast<unsigned>(i) < m ? static_cast<unsigned>(i) : 0u;
          load_bytes<S * 2>(raw, x + static_cast<std::ptrdiff_t>(row) * x_stride + k0 + s0, wide_x);
          AO_UNROLL
          for (int j = 0; j < S; ++j) {
            xs[i][j] = bf16_bits_to_float(raw[2 * j] | (static_cast<std::uint32_t>(raw[2 * j + 1]) << 8));
          }
        }
        AO_UNROLL
        for (int r = 0; r < R; ++r) {
          AO_UNROLL
          for (int j = s0; j < s0 + S; ++j) {
            const float w = decoder.decode(code_of<E>(words[u][r], j), params[u][r][j / RUN]);
            AO_UNROLL
            for (int i = 0; i < MT; ++i) acc[i][r] = fmaf(xs[i][j - s0], w, acc[i][r]);
          }
        }
      }
    }
  }
  AO_UNROLL
  for (int i = 0; i < MT; ++i) {
    AO_UNROLL
    for (int r = 0; r < R; ++r) {
      AO_UNROLL
      for (int o = 16; o > 0; o /= 2) acc[i][r] += shuffle_xor(acc[i][r], o);
    }
  }
  // Lane i * R + r stores (i, r): the sums are the same in every lane after the butterfly.
  AO_UNROLL
  for (int i = 0; i < MT; ++i) {
    AO_UNROLL
    for (int r = 0; r < R; ++r) {
      if (lane == static_cast<unsigned>((i * R + r) % 32) && static_cast<unsigned>(i) < m && n0 + r < n) {
        const float s = bias != nullptr ? acc[i][r] + bias[n0 + r] : acc[i][r];
        const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(i) * y_stride + static_cast<std::ptrdiff_t>(n0 + r);
        if (y_bf16) {
          static_cast<ao::bfloat16*>(y)[at] = narrow<ao::bfloat16>(s);
        } else {
          static_cast<float*>(y)[at] = s;
        }
      }
    }
  }
}

}  // namespace ao::cuda::detail
