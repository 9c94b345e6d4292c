// ao/backends/cuda/runtime.cuh: what every CUDA kernel file of ao shares on the host side: CUDA status codes as
// ao::error, and the grid size of a grid-stride kernel. Only for nvcc (and hipcc through ao/backends/cuda/hip.cuh);
// a plain C++ compiler never sees the files of this folder.
//
// Streams and ownership: every ao::cuda entry point takes device pointers (in ao::strided_view /
// ao::quantized_view, as the CPU entry points do) and a cudaStream_t, enqueues its kernels on that stream and
// returns without waiting. Arguments are checked on the host before anything is enqueued (ao::error, nothing
// launched); a launch failure is an ao::error naming the kernel. Errors of the kernels themselves surface, as in
// CUDA, at the next synchronizing call.
#pragma once

#if !defined(__CUDACC__) && !defined(__HIPCC__)
#error "ao/backends/cuda/*.cuh are compiled by nvcc or hipcc only"
#endif

#include <cstddef>
#include <string>

#include "ao/backends/cuda/hip.cuh"
#include "ao/error.hpp"

namespace ao::cuda {

// ao::error("<what>: <CUDA error name>: <its description>") unless status is cudaSuccess.
inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw ao::error(std::string(what) + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
  }
}

// After a launch: a bad configuration (or an earlier asynchronous error) becomes an ao::error naming the kernel.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

namespace detail {

// Blocks for a grid-stride kernel over `items` work items, `threads` per block: enough to cover them, at most
// 32 blocks per SM of the current device (a grid-stride loop covers the rest).
inline unsigned grid_size(std::size_t items, unsigned threads) {
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  const std::size_t wanted = (items + threads - 1) / threads;
  const std::size_t cap = static_cast<std::size_t>(sms > 0 ? sms : 1) * 32;
  return static_cast<unsigned>(wanted < 1 ? 1 : (wanted < cap ? wanted : cap));
}

// The launch shape of a kernel over `rows` rows of `per_row` work items each (the row kernels: blockIdx.y strides
// over rows, x over a row's items): blockDim.x a multiple of 32 up to 256, enough blocks in x to cover a row (at
// most 1024), at most max_rows blocks in y. ao::error when a row has more than 2^31 items (the kernels index a
// row's items with 32-bit integers).
struct launch_shape {
  dim3 grid, block;
};
inline launch_shape row_grid(std::size_t rows, std::size_t per_row, std::size_t max_rows = 65535) {
  if (per_row > (std::size_t{1} << 31)) {
    throw ao::error("ao::cuda: a row of " + std::to_string(per_row) + " work items is longer than the kernels index");
  }
  unsigned threads = 32;
  while (threads < 256 && threads < per_row) threads *= 2;
  const std::size_t x = (per_row + threads - 1) / threads;
  const std::size_t y = rows < max_rows ? rows : max_rows;
  return {dim3(static_cast<unsigned>(x < 1 ? 1 : (x > 1024 ? 1024 : x)), static_cast<unsigned>(y < 1 ? 1 : y)),
          dim3(threads)};
}

}  // namespace detail
}  // namespace ao::cuda
