// ao/backends/cuda/abs_max.cuh: the max |x| of a whole rows x cols matrix on the GPU, as the bits of a float
// (ordered like the values, any NaN above every number: the scalar oracle's abs_max, whose result does not depend
// on the order of the reduction). Used for the tensor-wide parameters: NVFP4's global scale, per-tensor FP8 scales.
//
// abs_max_bits_kernel<Src, V> atomically maxes each warp's result into *out, which the caller zeroes first; V
// values per thread (8 when rows are 16-byte aligned and cols % 8 == 0, else 1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/config.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

template <class Src, int V>
__global__ void __launch_bounds__(256)
    abs_max_bits_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t rows, std::size_t cols,
                        std::uint32_t* AO_RESTRICT out, bool wide) {
  const unsigned per_row = static_cast<unsigned>(cols / V);
  std::uint32_t amax = 0;
  for (std::size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const Src* row = src + static_cast<std::ptrdiff_t>(r) * src_stride;
    for (unsigned v = blockIdx.x * blockDim.x + threadIdx.x; v < per_row; v += gridDim.x * blockDim.x) {
      float x[V];
      load_values<V>(row + static_cast<std::size_t>(v) * V, x, wide);
      AO_UNROLL
      for (int j = 0; j < V; ++j) amax = max(amax, ao::detail::bit_cast<std::uint32_t>(x[j]) & 0x7FFFFFFFu);
    }
  }
  AO_UNROLL
  for (int o = 16; o > 0; o /= 2) amax = max(amax, shuffle_xor(amax, o));
  if (threadIdx.x % 32u == 0 && amax != 0) atomicMax(out, amax);
}

}  // namespace ao::cuda::detail
