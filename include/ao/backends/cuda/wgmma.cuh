// ao/backends/cuda/wgmma.cuh: Hopper's warpgroup matrix multiply (wgmma, sm_90a only) for FP8 operands, as the
// GEMM kernels of this folder use it. CUDA only; compiled to instructions only for the sm_90a target
// (AO_CUDA_WGMMA is 1 there); elsewhere the functions are empty and a kernel must not call them (its host side
// asks wgmma_compiled() first).
//
//   smem_descriptor(p)    a shared-memory matrix descriptor for a K-major tile whose rows are 128 bytes, written by
//                         the copy engine with the 128-byte swizzle (ao/backends/cuda/tma.cuh): 8-row core groups
//                         1024 bytes apart. p must lie in a 1024-byte aligned tile; p + 32 j selects k-slice j.
//   wgmma_fence / wgmma_commit / wgmma_wait<N>
//                         order register accumulators before the first wgmma, close a group of wgmmas, and wait until
//                         at most N groups are in flight.
//   wgmma_m64k32<N, EA, EB>(d, a, b, accumulate)
//                         d (N / 2 floats per thread of the warpgroup) = [d +] A (64 x 32, descriptor a) * B^T
//                         (N x 32, descriptor b), N = 128, EA / EB = ao::float8_e4m3fn or ao::float8_e5m2.
//                         Fragment of d: thread t = 32 w + l of the warpgroup holds rows 16 w + l / 4 (+ 8) and, for
//                         j = 0..N/8-1, columns 8 j + 2 (l % 4) (+ 1): d[4 j + 0..3] = (r, c), (r, c + 1), (r + 8, c),
//                         (r + 8, c + 1).
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/numeric/float8.hpp"

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define AO_CUDA_WGMMA 1
#else
#define AO_CUDA_WGMMA 0
#endif

namespace ao::cuda::detail {

__device__ __forceinline__ std::uint64_t smem_descriptor(const void* p) {
  const std::uint64_t address = static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
  std::uint64_t d = (address & 0x3FFFF) >> 4;  // start address, 16-byte units
  d |= std::uint64_t{16 >> 4} << 16;           // leading byte offset (unused by swizzled K-major tiles)
  d |= std::uint64_t{1024 >> 4} << 32;         // stride byte offset: 8 rows of 128 bytes
  d |= std::uint64_t{1} << 62;                 // 128-byte swizzle
  return d;
}

__device__ __forceinline__ void wgmma_fence() {
#if AO_CUDA_WGMMA
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
#endif
}
__device__ __forceinline__ void wgmma_commit() {
#if AO_CUDA_WGMMA
  asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
#endif
}
template <int N>
__device__ __forceinline__ void wgmma_wait() {
#if AO_CUDA_WGMMA
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory");
#endif
}

// The FP8 elements wgmma multiplies (it has no fnuz types).
template <class E>
inline constexpr bool is_wgmma_fp8_v = std::is_same_v<E, ao::float8_e4m3fn> || std::is_same_v<E, ao::float8_e5m2>;

#define AO_WGMMA_M64N128K32(TA, TB)                                                                                 \
  asm volatile(                                                                                                     \
      "{\n\t.reg .pred p;\n\tsetp.ne.b32 p, %66, 0;\n\t"                                                            \
      "wgmma.mma_async.sync.aligned.m64n128k32.f32." TA "." TB                                                      \
      " {"                                                                                                          \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                      \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                            \
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                            \
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63},"                            \
      " %64, %65, p, 1, 1;\n}"                                                                                      \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), \
        "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]),      \
        "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]),     \
        "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]),     \
        "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]),     \
        "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]),     \
        "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]),     \
        "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])                   \
      : "l"(a), "l"(b), "r"(accumulate))

template <int N, class EA, class EB>
__device__ __forceinline__ void wgmma_m64k32(float (&d)[N / 2], std::uint64_t a, std::uint64_t b, int accumulate) {
  static_assert(is_wgmma_fp8_v<EA> && is_wgmma_fp8_v<EB>,
                "wgmma_m64k32: FP8 operands are float8_e4m3fn or float8_e5m2 (wgmma has no fnuz types)");
  static_assert(N == 128, "wgmma_m64k32: N is 128 (the one shape the kernels use so far)");
#if AO_CUDA_WGMMA
  constexpr bool a4 = std::is_same_v<EA, ao::float8_e4m3fn>, b4 = std::is_same_v<EB, ao::float8_e4m3fn>;
  if constexpr (a4 && b4) {
    AO_WGMMA_M64N128K32("e4m3", "e4m3");
  } else if constexpr (a4) {
    AO_WGMMA_M64N128K32("e4m3", "e5m2");
  } else if constexpr (b4) {
    AO_WGMMA_M64N128K32("e5m2", "e4m3");
  } else {
    AO_WGMMA_M64N128K32("e5m2", "e5m2");
  }
#else
  (void)d, (void)a, (void)b, (void)accumulate;
#endif
}

#undef AO_WGMMA_M64N128K32

}  // namespace ao::cuda::detail
