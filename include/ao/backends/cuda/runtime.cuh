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

}  // namespace detail
}  // namespace ao::cuda
