// ao/backends/cuda/hip.cuh: the portability layer that lets the CUDA backend's source compile with hipcc too.
// Under nvcc it includes the CUDA runtime; under hipcc it includes HIP's and maps the few CUDA names ao uses to
// their HIP equivalents. Device code uses ao::cuda::detail::shuffle_xor (CUDA's __shfl_xor_sync over the whole
// warp; HIP's __shfl_xor over the wavefront, 32 or 64 lanes): ao's kernels only exchange values between lanes of
// an aligned group of at most 32, so the same code is right for both widths.
#pragma once

#if defined(__HIPCC__)
#include <hip/hip_runtime.h>
#define cudaError_t hipError_t
#define cudaSuccess hipSuccess
#define cudaStream_t hipStream_t
#define cudaGetErrorName hipGetErrorName
#define cudaGetErrorString hipGetErrorString
#define cudaGetLastError hipGetLastError
#define cudaGetDevice hipGetDevice
#define cudaDeviceGetAttribute hipDeviceGetAttribute
#define cudaDevAttrMultiProcessorCount hipDeviceAttributeMultiprocessorCount
#define cudaMemsetAsync hipMemsetAsync
#define cudaMallocAsync hipMallocAsync
#define cudaFreeAsync hipFreeAsync
#else
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#endif

namespace ao::cuda::detail {

template <class T>
__device__ __forceinline__ T shuffle_xor(T v, int lane_mask) {
#if defined(__HIPCC__)
  return __shfl_xor(v, lane_mask);
#else
  return __shfl_xor_sync(0xFFFFFFFFu, v, lane_mask);
#endif
}

}  // namespace ao::cuda::detail
