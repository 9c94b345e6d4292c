// ao/backends/cuda/tma.cuh: Hopper's bulk tensor copy engine (TMA) and the shared-memory barriers it completes on,
// for the tiled kernels of this folder (CUDA only, compute capability 9.0; never seen by hipcc).
//
// Host:   tensor_map_2d(what, base, rows, cols, row_stride_bytes, box_rows, box_cols)
//         A CUtensorMap over a row-major rows x cols matrix of bytes (FP8 codes), read in boxes of box_rows x
//         box_cols bytes with the 128-byte swizzle that wgmma's shared-memory descriptors expect (box_cols = 128).
//         Elements outside the matrix read as zero bytes (the copy still delivers the whole box). Requirements
//         (ao::error naming `what` otherwise): base and row_stride_bytes multiples of 16, rows and cols >= 1.
//         The driver's encoder is looked up through the runtime (no -lcuda needed).
// Device: mbarrier_init / arrive / arrive_expect_tx / wait(parity), and tma_load_2d(dst, map, col, row, bar): one
//         box into shared memory (dst 1024-byte aligned), completing `bar`'s transaction count.
// Parity convention: a consumer waits for phase parity (round & 1) of a "full" barrier; a producer waits for
// parity (round & 1) ^ 1 of an "empty" barrier, which a fresh barrier satisfies at once (round 0 needs no wait).
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>

#include <cstdint>
#include <string>

#include "ao/backends/cuda/runtime.cuh"

namespace ao::cuda::detail {

inline CUtensorMap tensor_map_2d(const char* what, const void* base, std::uint64_t rows, std::uint64_t cols,
                                 std::uint64_t row_stride_bytes, std::uint32_t box_rows, std::uint32_t box_cols) {
  if (reinterpret_cast<std::uintptr_t>(base) % 16 != 0 || row_stride_bytes % 16 != 0) {
    throw ao::error(std::string(what) +
                    ": the bulk tensor copy needs a 16-byte aligned base and a row stride that "
                    "is a multiple of 16 bytes");
  }
  if (rows == 0 || cols == 0 || row_stride_bytes >= (std::uint64_t{1} << 40) || rows > (std::uint64_t{1} << 31) ||
      cols > (std::uint64_t{1} << 31)) {
    throw ao::error(std::string(what) + ": shape outside what the bulk tensor copy addresses");
  }
  static PFN_cuTensorMapEncodeTiled_v12000 encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    check(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &found),
          "cudaGetDriverEntryPointByVersion(cuTensorMapEncodeTiled)");
    if (found != cudaDriverEntryPointSuccess || fn == nullptr) {
      throw ao::error("ao::cuda: the driver has no cuTensorMapEncodeTiled (a CUDA 12 driver is needed)");
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  CUtensorMap map{};
  const cuuint64_t dims[2] = {cols, rows};
  const cuuint64_t strides[1] = {row_stride_bytes};
  const cuuint32_t box[2] = {box_cols, box_rows};
  const cuuint32_t element_strides[2] = {1, 1};
  const CUresult r = encode(&map, CU_TENSOR_MAP_DATA_TYPE_UINT8, 2, const_cast<void*>(base), dims, strides, box,
                            element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS) {
    throw ao::error(std::string(what) + ": cuTensorMapEncodeTiled failed with CUresult " + std::to_string(int(r)));
  }
  return map;
}

__device__ __forceinline__ std::uint32_t shared_address(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void mbarrier_init(std::uint64_t* bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(shared_address(bar)), "r"(count) : "memory");
}

// After every barrier of a block is initialised, before the copy engine may complete on them.
__device__ __forceinline__ void mbarrier_init_fence() {
  asm volatile("fence.mbarrier_init.release.cluster;\n\tfence.proxy.async.shared::cta;" ::: "memory");
}

__device__ __forceinline__ void mbarrier_arrive(std::uint64_t* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(shared_address(bar)) : "memory");
}

__device__ __forceinline__ void mbarrier_arrive_expect_tx(std::uint64_t* bar, std::uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(shared_address(bar)), "r"(bytes)
               : "memory");
}

__device__ __forceinline__ void mbarrier_wait(std::uint64_t* bar, std::uint32_t parity) {
  asm volatile(
      "{\n\t.reg .pred done;\n"
      "wait_%=:\n\t"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n\t"
      "@!done bra wait_%=;\n}" ::"r"(shared_address(bar)),
      "r"(parity)
      : "memory");
}

__device__ __forceinline__ void tma_load_2d(void* dst, const CUtensorMap* map, int col, int row, std::uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::
          "r"(shared_address(dst)),
      "l"(reinterpret_cast<std::uint64_t>(map)), "r"(col), "r"(row), "r"(shared_address(bar))
      : "memory");
}

}  // namespace ao::cuda::detail
