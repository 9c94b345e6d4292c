// ao/backends/cuda/float8_kernels.cuh: the CUDA kernels of FP8 with a float scale (ao::float8_scaled: per tensor,
// per row, per R x C block), calling the scalar oracle's per-value functions (ao/backends/scalar/float8.hpp), so
// the bytes are the oracle's by construction.
//
// Quantize. One warp per granule (a row for per_row, an R x C tile for per_block; per_tensor: a row, whose scale
// was computed beforehand from the whole tensor's max |x| and is read from scales[0]). Pass 1 reduces the
// granule's max |x| over the warp, lane 0 stores the scale; pass 2 reads the granule again (from L1/L2) and
// stores the codes (quantize_values, float8_values.cuh). V = 8 values per load when the granule's width allows,
// else 1. (Rows that fit in registers take float8_row_kernel.cuh instead.)
//
// Dequantize. One thread per V values; the scale of element (r, c) is scales[(r / R) * stride + c / C]
// (per_tensor: R = rows, C = cols, stride 0).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/backends/cuda/float8_decode.cuh"
#include "ao/backends/cuda/float8_values.cuh"
#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/backends/scalar/float8.hpp"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

// The granules of a rows x cols matrix: granule_rows x granule_cols tiles, scales[(r / R) * stride + c / C].
struct granules {
  std::size_t rows, cols;  // of one granule
  std::ptrdiff_t scales_stride;
};

template <class F, class Src, int V, bool GivenScale>
__global__ void __launch_bounds__(256)
    quantize_float8_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t rows, std::size_t cols,
                           std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride, float* AO_RESTRICT scales,
                           granules g, bool wide_src, bool wide_data) {
  const unsigned lane = threadIdx.x % 32u;
  const std::size_t grid_cols = cols / g.cols, count = (rows / g.rows) * grid_cols;
  const std::size_t warp_step = static_cast<std::size_t>(gridDim.x) * (blockDim.x / 32u);
  for (std::size_t w = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32u; w < count;
       w += warp_step) {
    const std::size_t gr = w / grid_cols, gc = w - gr * grid_cols;  // once per granule
    const Src* base = src + static_cast<std::ptrdiff_t>(gr * g.rows) * src_stride + gc * g.cols;
    std::uint8_t* out = data + static_cast<std::ptrdiff_t>(gr * g.rows) * data_stride + gc * g.cols;
    float scale;
    if constexpr (GivenScale) {
      scale = scales[0];
    } else {
      std::uint32_t amax = 0;
      for (std::size_t rr = 0; rr < g.rows; ++rr) {
        for (std::size_t cc = lane * V; cc < g.cols; cc += 32 * V) {
          float x[V];
          load_values<V>(base + static_cast<std::ptrdiff_t>(rr) * src_stride + cc, x, wide_src);
          AO_UNROLL
          for (int j = 0; j < V; ++j) amax = max(amax, ao::detail::bit_cast<std::uint32_t>(x[j]) & 0x7FFFFFFFu);
        }
      }
      AO_UNROLL
      for (int o = 16; o > 0; o /= 2) amax = max(amax, shuffle_xor(amax, o));
      scale = scalar::float8_scale<F, Src>(ao::detail::bit_cast<float>(amax));
      if (lane == 0) scales[static_cast<std::ptrdiff_t>(gr) * g.scales_stride + gc] = scale;
    }
    for (std::size_t rr = 0; rr < g.rows; ++rr) {
      for (std::size_t cc = lane * V; cc < g.cols; cc += 32 * V) {
        float x[V];
        load_values<V>(base + static_cast<std::ptrdiff_t>(rr) * src_stride + cc, x, wide_src);
        std::uint8_t* run_out = out + static_cast<std::ptrdiff_t>(rr) * data_stride + cc;
        if constexpr (V % 4 == 0) {
          std::uint32_t codes[V / 4];
          quantize_words<F, V>(x, scale, codes);
          store_words<V / 4>(run_out, codes, wide_data);
        } else {
          std::uint8_t codes[V];
          quantize_values<F, V>(x, scale, codes);
          store_bytes<V>(run_out, codes, wide_data);
        }
      }
    }
  }
}

// 2-D grid as the block kernels: rows by blockIdx.y, runs of V values by x.
template <class F, class Out, int V>
__global__ void __launch_bounds__(256)
    dequantize_float8_kernel(const std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride,
                             const float* AO_RESTRICT scales, granules g, std::size_t rows, std::size_t cols,
                             Out* AO_RESTRICT dst, std::ptrdiff_t dst_stride, bool wide_data, bool wide_dst) {
  const unsigned per_row = static_cast<unsigned>(cols / V);
  const unsigned vectors_per_granule = static_cast<unsigned>(g.cols / V);
  for (std::size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const std::uint8_t* data_row = data + static_cast<std::ptrdiff_t>(r) * data_stride;
    // The divisions are skipped where a granule is a whole row (per row) or the whole tensor (per tensor).
    const std::size_t granule_row = g.rows == 1 ? r : g.rows >= rows ? 0 : r / g.rows;
    const float* scale_row = scales + static_cast<std::ptrdiff_t>(granule_row) * g.scales_stride;
    Out* dst_row = dst + static_cast<std::ptrdiff_t>(r) * dst_stride;
    for (unsigned v = blockIdx.x * blockDim.x + threadIdx.x; v < per_row; v += gridDim.x * blockDim.x) {
      std::uint8_t codes[V];
      load_bytes<V>(codes, data_row + static_cast<std::size_t>(v) * V, wide_data);
      const float scale = scale_row[vectors_per_granule >= per_row ? 0u : v / vectors_per_granule];
      float y[V];
      // dequantize_value rounds the product to Out (round_to_dtype) before the store narrows it: for the fast
      // path's products (no NaN) store_values' round to nearest even is that rounding, so it is left to the store.
      if (!decode_scaled_float8<typename F::element_type, V>(codes, scale, y)) {
        AO_UNROLL
        for (int j = 0; j < V; ++j) y[j] = scalar::dequantize_value<F, Out>(codes[j], scale);
      }
      store_values<V>(dst_row + static_cast<std::size_t>(v) * V, y, wide_dst);
    }
  }
}

// Stores the per-tensor scale computed from the max |x| bits a reduction left in *slot (the scale's own storage).
template <class F, class Src>
__global__ void float8_tensor_scale_kernel(float* slot) {
  const std::uint32_t amax = *reinterpret_cast<const std::uint32_t*>(slot);
  *slot = scalar::float8_scale<F, Src>(ao::detail::bit_cast<float>(amax));
}

}  // namespace ao::cuda::detail
