// ao/backends/cuda/float8_matmul.cuh: ao::cuda::matmul over FP8 activations and FP8 weights, the GPU twin of
// ao::matmul's FP8 x FP8 path (torchao's Float8DynamicActivationFloat8Weight; torch._scaled_mm):
//
//   ao::cuda::matmul(x, w, y, stream)          y[m, n] = sum over k of X[m, k] * W[n, k]
//   ao::cuda::matmul(x, w, bias, y, stream)    y[m, n] = bias[n] + sum over k of X[m, k] * W[n, k]
//
//   x     ao::quantized_view<A> (or const), M x K, device memory; A = ao::float8_scaled<E, G, ...> with E
//         float8_e4m3fn or float8_e5m2 and G per_tensor, per_row or per_block<R, 128> (torchao's 1 x 128)
//   w     ao::quantized_view<W>, N x K (F.linear's weight), W FP8 the same way, G per_tensor, per_row or
//         per_block<R, 128> with R a multiple of 128 (torchao's 128 x 128)
//   bias  ao::strided_view<const float, 1> of N values
//   y     ao::strided_view<Dst, 2>, M x N, Dst = float or ao::bfloat16
//   X[m, k], W[n, k]: the FP8 values of the codes; the scales multiply as torch._scaled_mm does: per-tensor and
//   per-row scales once, on the finished sum; block scales on each 128-value K slice's partial sum.
//   MXFP8: x and W both ao::mxfp8_e4m3 / ao::mxfp8_e5m2 (any mix; e8m0 scales, one per 32 K values, row-major as
//   ao stores them): each 32-value block's partial sum times its two scales, added in fp32 (the result of
//   dequantizing both operands exactly and multiplying, up to the order of the additions; no rebasing of scales).
//
// Needs a Hopper GPU and code compiled for sm_90a (`-gencode arch=compute_90a,code=sm_90a`): the kernel is
// ao/backends/cuda/float8_gemm_kernel.cuh (TMA + wgmma). Else an ao::error says so; nothing runs.
// Layout: codes row-major with K contiguous, each operand's base address and row stride (data_stride) multiples
// of 16 bytes (what the copy engine reads; torch._scaled_mm needs the same). M, N, K are free otherwise.
// Numerics: each 128-value K slice is summed on the tensor cores (exact products; Hopper's FP8 accumulation keeps
// fewer bits than fp32: docs/gpu.md gives the measured error), the slices are added in fp32 in K order; then
// y = sum * (scale_x * scale_w) + bias in one rounding, then one rounding to Dst. A NaN code or scale gives NaN in
// the outputs it reaches; codes are not checked.
// Checked on the host (ao::error, nothing launched): the views (format shape, pointers, strides), K equal, y's
// shape and strides, no overlap of y with an input, the alignment above. Asynchronous: returns once enqueued.
#pragma once

#if !defined(__HIPCC__)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/backends/cuda/float8_gemm_kernel.cuh"
#include "ao/backends/cuda/runtime.cuh"
#include "ao/formats/float8.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/mx.hpp"
#include "ao/ops/matmul_checks.hpp"
#include "ao/ops/view_checks.hpp"
#include "ao/view.hpp"

namespace ao::cuda {

// How the FP8 GEMM adds its products (the choice torch._scaled_mm names use_fast_accum):
//   promoted  (default) each 128-value K slice summed on the tensor cores, the slices added in fp32, as cuBLAS's
//             default mode and DeepGEMM do. Block scales (1 x 128, 128 x 128) always take this path: they scale
//             each slice.
//   chained   the whole K sum in the tensor cores' accumulator, which keeps fewer bits than fp32: the numerics of
//             torch's use_fast_accum=True (torchao's default for per-tensor and per-row FP8), 3-9% faster than
//             `promoted` (docs/performance.md, "GPU FP8 GEMM").
enum class float8_accumulation { promoted, chained };

namespace detail {

template <class F>
struct float8_gemm_operand : std::false_type {};
template <class E, class G, class Clamp, class Arithmetic>
struct float8_gemm_operand<float8_scaled<E, G, Clamp, Arithmetic>> {
  static constexpr bool value = is_wgmma_fp8_v<E>;
  using element = E;
  using granularity = G;
};

// MXFP8 (e4m3 or e5m2 elements): e8m0 scales per 32 K values.
template <class E, class Rule>
struct float8_gemm_operand<block_scaled<E, block<32>, float8_e8m0fnu, Rule>> {
  static constexpr bool value = is_wgmma_fp8_v<E>;
  using element = E;
  using granularity = mx_k32_scales;
};

template <class G>
inline constexpr bool float8_gemm_weight_granularity_v = true;
template <int R, int C>
inline constexpr bool float8_gemm_weight_granularity_v<per_block<R, C>> = R % float8_gemm_tile == 0;

// Whether the current device runs float8_gemm_kernel: a compute capability 9.0 GPU, and code for it built with
// the sm_90a instructions (the probe kernel's shared array tells, without a launch).
inline void check_float8_gemm_device(const std::string& where) {
  int device = 0, major = 0, minor = 0;
  check(cudaGetDevice(&device), "ao::cuda::matmul: cudaGetDevice");
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute");
  check(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device), "cudaDeviceGetAttribute");
  cudaFuncAttributes attributes{};
  const bool built = major == 9 && minor == 0 &&
                     cudaFuncGetAttributes(&attributes, float8_gemm_probe_kernel<>) == cudaSuccess &&
                     attributes.sharedSizeBytes == 64 * sizeof(int);
  if (!built) {
    cudaGetLastError();  // a failed attribute query leaves its error behind
    throw ao::error(where + "the FP8 GEMM needs a Hopper GPU (compute capability 9.0, this one is " +
                    std::to_string(major) + "." + std::to_string(minor) +
                    ") and code built for it with -gencode arch=compute_90a,code=sm_90a");
  }
}

template <class Dst>
__global__ void float8_gemm_fill_kernel(Dst* y, std::ptrdiff_t y_stride, int m, int n, const float* bias) {
  for (int r = blockIdx.y; r < m; r += gridDim.y) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < n; c += gridDim.x * blockDim.x) {
      y[static_cast<std::ptrdiff_t>(r) * y_stride + c] = narrow<Dst>(bias != nullptr ? bias[c] : 0.0f);
    }
  }
}

template <class A, bool CA, class W, bool CW, class Dst>
void float8_matmul(const quantized_view<A, CA>& x_in, const quantized_view<W, CW>& w_in,
                   const strided_view<const float, 1>* bias_in, strided_view<Dst, 2> y, cudaStream_t stream,
                   float8_accumulation accumulation) {
  static_assert(std::is_same_v<Dst, float> || std::is_same_v<Dst, ao::bfloat16>,
                "ao::cuda::matmul: y is a mutable view of float or ao::bfloat16");
  static_assert(float8_gemm_operand<A>::value && float8_gemm_operand<W>::value,
                "ao::cuda::matmul over FP8 activations: x and W are ao::float8_scaled or MXFP8 with element "
                "float8_e4m3fn or float8_e5m2 (wgmma has no fnuz types)");
  using GX = typename float8_gemm_operand<A>::granularity;
  using GW = typename float8_gemm_operand<W>::granularity;
  constexpr bool mx = std::is_same_v<GX, mx_k32_scales>;
  static_assert(mx == std::is_same_v<GW, mx_k32_scales>,
                "ao::cuda::matmul over FP8 activations: MXFP8 x takes MXFP8 W and the other way round");
  static_assert(float8_gemm_weight_granularity_v<GW>,
                "ao::cuda::matmul over FP8 activations: W's block scales cover a multiple of 128 rows (128 x 128)");
  const const_quantized_view<A> x = x_in;
  const const_quantized_view<W> w = w_in;
  const char* op = "ao::cuda::matmul";
  const std::string where =
      std::string(op) + "<" + ao::detail::format_name<A>() + " x " + ao::detail::format_name<W>() + ">: ";
  ao::detail::check_quantized_view(op, x);
  ao::detail::check_quantized_view(op, w);
  const float* bias = ao::detail::check_matmul_operands(
      op, where, x.rows, x.cols, ao::detail::operand_buffers("x", x, x.data_row_bytes()), w.rows, w.cols,
      ao::detail::weight_buffers(w, w.data_row_bytes()), bias_in, y);
  const std::size_t m = x.rows, n = w.rows, k = w.cols;
  if (m == 0 || n == 0) return;
  constexpr std::size_t limit = std::size_t{1} << 31;
  if (m >= limit || n >= limit || k >= limit) throw ao::error(where + "M, N and K must each be below 2^31");
  if (k == 0) {  // an empty sum: y = bias (or 0)
    const dim3 grid(static_cast<unsigned>(std::min<std::size_t>((n + 255) / 256, 1024)),
                    static_cast<unsigned>(std::min<std::size_t>(m, 65535)));
    float8_gemm_fill_kernel<Dst><<<grid, 256, 0, stream>>>(y.data(), y.stride(0), int(m), int(n), bias);
    check_launch("ao::cuda float8_gemm_fill_kernel");
    return;
  }
  check_float8_gemm_device(where);
  constexpr std::uint32_t T = float8_gemm_tile;
  float8_gemm_params p{};
  p.m = int(m);
  p.n = int(n);
  p.k = int(k);
  if constexpr (mx) {
    p.x_e8m0 = reinterpret_cast<const std::uint8_t*>(x.scales);
    p.x_e8m0_stride = x.scales_stride;
    p.w_e8m0 = reinterpret_cast<const std::uint8_t*>(w.scales);
    p.w_e8m0_stride = w.scales_stride;
    p.mx_scale_words = aligned(p.x_e8m0, p.x_e8m0_stride, 4) && aligned(p.w_e8m0, p.w_e8m0_stride, 4) && k % 128 == 0;
  } else {
    p.x_scales = x.scales;
    p.x_scales_stride = x.scales_stride;
    p.w_scales = w.scales;
    p.w_scales_stride = w.scales_stride;
  }
  p.bias = bias;
  p.y = y.data();
  p.y_stride = y.stride(0);
  p.pair_stores = reinterpret_cast<std::uintptr_t>(y.data()) % (2 * sizeof(Dst)) == 0 && y.stride(0) % 2 == 0;
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "ao::cuda::matmul: cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  auto launch = [&](auto chained) {
    constexpr bool Chained = decltype(chained)::value;
    constexpr std::size_t BN = float8_gemm_tile_n;
    const CUtensorMap x_map = tensor_map_2d((where + "x").c_str(), x.data, m, k, x.data_stride, T, T);
    const CUtensorMap w_map = tensor_map_2d((where + "W").c_str(), w.data, n, k, w.data_stride, BN, T);
    auto kernel = float8_gemm_kernel<typename float8_gemm_operand<A>::element, GX,
                                     typename float8_gemm_operand<W>::element, GW, Dst, Chained>;
    constexpr std::size_t shared = float8_gemm_shared_bytes<mx>;
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(shared)),
          "ao::cuda::matmul: cudaFuncSetAttribute");
    const std::size_t tiles = ((m + T - 1) / T) * ((n + BN - 1) / BN);
    if (tiles >= limit) throw ao::error(where + "too many output tiles for one grid");
    const unsigned blocks = static_cast<unsigned>(std::min<std::size_t>(tiles, static_cast<std::size_t>(sms)));
    kernel<<<blocks, float8_gemm_threads, shared, stream>>>(x_map, w_map, p);
  };
  constexpr bool blocks = float8_gemm_scale<GX>::per_slice || float8_gemm_scale<GW>::per_slice;
  if constexpr (blocks || mx) {
    launch(std::false_type{});
  } else {
    if (accumulation == float8_accumulation::chained) {
      launch(std::true_type{});
    } else {
      launch(std::false_type{});
    }
  }
  check_launch("ao::cuda float8_gemm_kernel");
}

}  // namespace detail

template <class A, bool CA, class W, bool CW, class Dst>
void matmul(const quantized_view<A, CA>& x, const quantized_view<W, CW>& w, strided_view<Dst, 2> y,
            cudaStream_t stream = nullptr, float8_accumulation accumulation = float8_accumulation::promoted) {
  detail::float8_matmul(x, w, static_cast<const strided_view<const float, 1>*>(nullptr), y, stream, accumulation);
}

template <class A, bool CA, class W, bool CW, class Dst>
void matmul(const quantized_view<A, CA>& x, const quantized_view<W, CW>& w, strided_view<const float, 1> bias,
            strided_view<Dst, 2> y, cudaStream_t stream = nullptr,
            float8_accumulation accumulation = float8_accumulation::promoted) {
  detail::float8_matmul(x, w, &bias, y, stream, accumulation);
}

}  // namespace ao::cuda

#endif  // !__HIPCC__
