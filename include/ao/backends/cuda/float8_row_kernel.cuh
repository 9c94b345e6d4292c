// ao/backends/cuda/float8_row_kernel.cuh: the CUDA quantize kernel of FP8 rows that fit in registers: per_row
// granules, and per_tensor with its scale computed beforehand, for rows of at most 256 * 8 * Chunks values whose
// length is a multiple of 8 (every other case takes quantize_float8_kernel, float8_kernels.cuh).
//
// One CTA per row (rows striding by gridDim.x), each thread holding up to Chunks runs of 8 consecutive values of
// it in registers, loaded at once (several 16-byte loads in flight per thread): the row is read from memory
// once, where the warp-per-row kernel reads it twice (the second time mostly from DRAM, as the rows in flight
// outgrow the L2). The CTA reduces the row's max |x| (shuffles, then one value per warp in shared memory), one
// thread computes and stores the scale with the oracle's function, and every thread encodes its values with the
// oracle's per-value function (quantize_values: scalar::quantize_value, or its NaN-free part for a run without
// NaN or Inf). blockDim.x is a multiple of 32 and at most 256.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/float8_values.cuh"
#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/backends/scalar/float8.hpp"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

// src rows x cols (cols % 8 == 0, cols <= blockDim.x * 8 * Chunks); data rows data_stride bytes apart; scales:
// per row at scales[r * scales_stride], or (GivenScale) the one per-tensor scale read from scales[0].
template <class F, class Src, int Chunks, bool GivenScale>
__global__ void __launch_bounds__(256)
    quantize_float8_rows_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t rows,
                                std::size_t cols, std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride,
                                float* AO_RESTRICT scales, std::ptrdiff_t scales_stride, bool wide_src,
                                bool wide_data) {
  __shared__ std::uint32_t warp_amax[8];
  __shared__ float row_scale;
  const unsigned runs = static_cast<unsigned>(cols / 8), lane = threadIdx.x % 32u, warp = threadIdx.x / 32u;
  for (std::size_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const Src* src_row = src + static_cast<std::ptrdiff_t>(r) * src_stride;
    float x[Chunks][8];
    std::uint32_t amax = 0;
    AO_UNROLL
    for (int c = 0; c < Chunks; ++c) {
      const unsigned run = threadIdx.x + static_cast<unsigned>(c) * blockDim.x;
      if (run < runs) {
        load_values_unfinished<8>(src_row + static_cast<std::size_t>(run) * 8, x[c], wide_src);
      } else {
        AO_UNROLL
        for (int j = 0; j < 8; ++j) x[c][j] = 0.0f;
      }
      AO_UNROLL
      for (int j = 0; j < 8; ++j) amax = max(amax, ao::detail::bit_cast<std::uint32_t>(x[c][j]) & 0x7FFFFFFFu);
    }
    // NaNs as widen() gives them (only where there is one), and the max |x| with those.
    if (amax >= 0x7F800000u) {
      AO_UNROLL
      for (int c = 0; c < Chunks; ++c) {
        AO_UNROLL
        for (int j = 0; j < 8; ++j) x[c][j] = finish_widen<Src>(x[c][j]);
      }
      if constexpr (!std::is_same_v<Src, float>) amax = amax > 0x7F800000u ? 0x7FC00000u : amax;
    }
    float scale;
    if constexpr (GivenScale) {
      scale = scales[0];
    } else {
      AO_UNROLL
      for (int o = 16; o > 0; o /= 2) amax = max(amax, shuffle_xor(amax, o));
      if (lane == 0) warp_amax[warp] = amax;
      __syncthreads();
      if (warp == 0) {
        std::uint32_t a = lane < blockDim.x / 32u ? warp_amax[lane] : 0u;
        AO_UNROLL
        for (int o = 4; o > 0; o /= 2) a = max(a, shuffle_xor(a, o));
        if (lane == 0) {
          const float s = scalar::float8_scale<F, Src>(ao::detail::bit_cast<float>(a));
          row_scale = s;
          scales[static_cast<std::ptrdiff_t>(r) * scales_stride] = s;
        }
      }
      __syncthreads();
      scale = row_scale;
    }
    std::uint8_t* data_row = data + static_cast<std::ptrdiff_t>(r) * data_stride;
    AO_UNROLL
    for (int c = 0; c < Chunks; ++c) {
      const unsigned run = threadIdx.x + static_cast<unsigned>(c) * blockDim.x;
      if (run < runs) {
        std::uint32_t codes[2];
        quantize_words<F, 8>(x[c], scale, codes);
        store_words<2>(data_row + static_cast<std::size_t>(run) * 8, codes, wide_data);
      }
    }
  }
}

}  // namespace ao::cuda::detail
