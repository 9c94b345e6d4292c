// ao/config.hpp: compiler and platform macros shared by every ao header.
//
// AO_HOST_DEVICE   marks a function callable from host code and, under nvcc/hipcc, from device code.
// AO_GPUCC         defined when the translation unit is compiled by nvcc or hipcc (host and device passes).
// AO_DEVICE_PASS   defined only during a device compilation pass (__CUDA_ARCH__ or __HIP_DEVICE_COMPILE__).
// AO_FORCEINLINE   strong inlining hint, host and device.
// AO_RESTRICT      pointer restrict qualifier.
// AO_UNROLL        `#pragma unroll` in device passes, nothing elsewhere.
// AO_REQUIRES(...) a C++20 requires-clause where concepts exist, nothing in C++17.
//
// Reserved, never defined by ao: AO_TYPE_*, AO_FMT_*, AO_E<UPPER>* (Debian's libao-dev owns them).
#pragma once

#if defined(__CUDACC__) || defined(__HIPCC__)
#define AO_GPUCC 1
#endif

#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
#define AO_DEVICE_PASS 1
#endif

#if defined(AO_GPUCC)
#define AO_HOST_DEVICE __host__ __device__
#define AO_DEVICE __device__
#define AO_FORCEINLINE __forceinline__
#else
#define AO_HOST_DEVICE
#define AO_DEVICE
#if defined(__GNUC__) || defined(__clang__)
#define AO_FORCEINLINE inline __attribute__((always_inline))
#else
#define AO_FORCEINLINE inline
#endif
#endif

#if defined(__GNUC__) || defined(__clang__) || defined(AO_GPUCC)
#define AO_RESTRICT __restrict__
#else
#define AO_RESTRICT
#endif

#if defined(AO_DEVICE_PASS)
#define AO_UNROLL _Pragma("unroll")
#else
#define AO_UNROLL
#endif

#if defined(__cpp_concepts) && __cpp_concepts >= 201907L
#define AO_REQUIRES(...) requires(__VA_ARGS__)
#else
#define AO_REQUIRES(...)
#endif

#if __cplusplus < 201703L && !defined(_MSVC_LANG)
#error "ao needs C++17 or later"
#endif
