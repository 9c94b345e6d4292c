// ao/backends/cuda/matmul.cuh: ao::cuda::matmul, the GPU twin of ao::matmul's weight-only path (F.linear with a
// quantized weight) for decode-sized batches:
//
//   ao::cuda::matmul(x, w, y, stream)          y[m, n] = sum over k of x[m, k] * W[n, k]
//   ao::cuda::matmul(x, w, bias, y, stream)    y[m, n] = bias[n] + sum over k of x[m, k] * W[n, k]
//
//   x     ao::strided_view<const ao::bfloat16, 2>, M x K, device memory, rows strided, a row contiguous
//   w     ao::quantized_view<F> (or const) of device memory, N x K: MX (any element, block and rule), NVFP4 single
//         and two level, FP8 with a float scale (per tensor, per row, R x C blocks), affine integers per row or
//         group-wise with codes one per byte (as ao stores them); or ao::cuda::nibble_packed<F> for a 4-bit affine
//         F whose codes are packed two a byte (low nibble first: code k in bits 0-3 of byte k / 2 when k is even),
//         half the bytes to read. W[n, k] is the oracle's fp32 value (what ao::dequantize to float gives).
//   bias  ao::strided_view<const float, 1> of N values, device memory
//   y     ao::strided_view<Dst, 2>, M x N, device memory, Dst = float or ao::bfloat16 (rounded once, at the end)
//
// Method: W is never dequantized in memory. One row of x (decode): gemv_kernel.cuh, each warp decodes two rows of
// W in registers, 16 bytes per lane per step, into fp32 fmas in a fixed order (within gamma_(K+5) * sum |x W| of
// the exact sum); for fp4 weights (MX fp4, NVFP4) the tensor-core kernel below instead. 2..16 rows:
// skinny_mma_kernel.cuh when the format's values are exact in bf16 up to a per-row
// factor (MX, NVFP4, FP8 per tensor / row, affine per row) and the rows are 16-byte aligned: W decoded to bf16 in
// registers and multiplied on the tensor cores (fp32 accumulation in the hardware's order); else gemv_kernel.cuh.
// M > 16 runs once per 16 rows of x, reading W again each time: correct, but the GEMM that prefill needs is not
// written yet. Results depend only on the inputs (not on the stream or timing).
//
// Checked on the host before anything is launched (ao::error naming the argument and the rule): shapes (x's K,
// y's M x N, bias's N), strides (no negative stride, last dim contiguous, y's rows disjoint), the quantized view
// (format shape, pointers, strides), and that y overlaps no input. Asynchronous: returns once enqueued.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backends/cuda/gemv_kernel.cuh"
#include "ao/backends/cuda/runtime.cuh"
#include "ao/backends/cuda/skinny_mma_kernel.cuh"
#include "ao/formats/format_traits.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/ops/matmul_checks.hpp"
#include "ao/ops/view_checks.hpp"
#include "ao/view.hpp"

namespace ao::cuda {

// A 4-bit affine weight whose codes are packed two a byte, low nibble first (data rows of cols / 2 bytes,
// data_stride bytes apart); scales and zero points as ao stores them. Pack ao's one-code-a-byte rows with
// ao::layout::pack_nibbles<ao::layout::nibble_order::low_first> (ao/layout/bit_packing.hpp).
template <class F>
struct nibble_packed {
  static_assert(std::is_same_v<typename format_traits<F>::family, format_family::affine>,
                "ao::cuda::nibble_packed: for affine formats (MX fp4 and NVFP4 are packed already)");
  static_assert((F::quant_min >= -8 && F::quant_max <= 7) || (F::quant_min >= 0 && F::quant_max <= 15),
                "ao::cuda::nibble_packed: the format's codes must fit 4 bits");
  const_quantized_view<F> view;
};

namespace detail {

template <class W>
struct matmul_weights;
template <class F, bool Const>
struct matmul_weights<quantized_view<F, Const>> {
  using format = F;
  static constexpr bool nibbles = format_traits<F>::elements_per_byte == 2;
  static const_quantized_view<F> view(const quantized_view<F, Const>& w) { return w; }
  // The bytes of a data row.
  static std::size_t check(const std::string&, const const_quantized_view<F>& v) { return v.data_row_bytes(); }
};
template <class F>
struct matmul_weights<nibble_packed<F>> {
  using format = F;
  static constexpr bool nibbles = true;
  static const_quantized_view<F> view(const nibble_packed<F>& w) { return w.view; }
  static std::size_t check(const std::string& where, const const_quantized_view<F>& v) {
    if (v.cols % 2 != 0) throw ao::error(where + "nibble-packed W needs an even K, not " + std::to_string(v.cols));
    return v.cols / 2;
  }
};

template <class D, int MT>
void launch_gemv(const ao::bfloat16* x, std::ptrdiff_t x_stride, unsigned m, std::size_t n, std::size_t k,
                 const std::uint8_t* data, std::ptrdiff_t data_stride, const D& decoder, const float* bias, void* y,
                 std::ptrdiff_t y_stride, bool y_bf16, cudaStream_t stream) {
  const std::size_t warps = (n + gemv_rows_per_warp - 1) / gemv_rows_per_warp;
  const std::size_t blocks = (warps + gemv_threads / 32 - 1) / (gemv_threads / 32) * ((m + MT - 1) / MT);
  if (blocks > 0x7FFFFFFFu) throw ao::error("ao::cuda::matmul: N is too large for one grid");
  // 16-byte chunks when W's rows and groups allow them, else a byte at a time.
  constexpr int V16 = gemv_chunk<D, 16>::values;
  const bool chunk16 = gemv_chunk<D, 16>::fits && k % V16 == 0 && aligned(data, data_stride, 16);
  auto run = [&](auto lb) {
    constexpr int LB = decltype(lb)::value;
    constexpr int V = gemv_chunk<D, LB>::values;
    const bool wide_x = aligned(x, x_stride * 2, access_width<V * 2>());
    gemv_kernel<D, MT, LB><<<static_cast<unsigned>(blocks), gemv_threads, 0, stream>>>(
        x, x_stride, m, n, k, data, data_stride, decoder, bias, y, y_stride, y_bf16, wide_x);
  };
  if constexpr (gemv_chunk<D, 16>::fits) {
    if (chunk16) {
      run(std::integral_constant<int, 16>{});
    } else {
      run(std::integral_constant<int, 1>{});
    }
  } else {
    run(std::integral_constant<int, 1>{});
  }
  check_launch("ao::cuda gemv_kernel");
}

// Whether the tensor-core kernel takes this problem: a format with an exact bf16 decode, K a multiple of its
// rounds (64 or 128 values), 16-byte aligned rows of W and x, a GPU of compute capability 8.0 or later (mma.sync
// with bf16), and not under HIP. Else the CUDA-core kernel runs.
#if !defined(__HIPCC__)
template <class D>
bool use_tensor_cores(const ao::bfloat16* x, std::ptrdiff_t x_stride, std::size_t k, const std::uint8_t* data,
                      std::ptrdiff_t data_stride) {
  if (k == 0 || k % mma_chunk<D>::round != 0 || !aligned(data, data_stride, 16) || !aligned(x, x_stride * 2, 16)) {
    return false;
  }
  int device = 0, major = 0;
  check(cudaGetDevice(&device), "ao::cuda::matmul: cudaGetDevice");
  check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
        "ao::cuda::matmul: cudaDeviceGetAttribute");
  return major >= 8;
}
#endif

template <class W, class Dst>
void matmul(strided_view<const ao::bfloat16, 2> x, const W& w_in, const strided_view<const float, 1>* bias_in,
            strided_view<Dst, 2> y, cudaStream_t stream) {
  static_assert(std::is_same_v<Dst, float> || std::is_same_v<Dst, ao::bfloat16>,
                "ao::cuda::matmul: y is a mutable view of float or ao::bfloat16");
  using weights = matmul_weights<W>;
  using F = typename weights::format;
  static_assert(has_gpu_element_storage_v<F>,
                "ao::cuda::matmul: block-scaled weights with codes packed across bytes "
                "(ao::element_packing::fp6_4in3) have no GPU decoder yet; use torchao's packing");
  const const_quantized_view<F> w = weights::view(w_in);
  const char* op = "ao::cuda::matmul";
  const std::string where = std::string(op) + "<" + ao::detail::format_name<F>() + ">: ";
  const std::size_t row_bytes = weights::check(where, w);
  ao::detail::check_quantized_view(op, w, row_bytes);
  const float* bias = ao::detail::check_matmul_arguments(op, where, x, w.rows, w.cols,
                                                         ao::detail::weight_buffers(w, row_bytes), bias_in, y);
  const std::size_t m = x.extent(0), n = w.rows, k = w.cols;
  if (m == 0 || n == 0) return;
  const auto decoder = weight_decoder_of<F, weights::nibbles>(w);
  using D = std::remove_const_t<decltype(decoder)>;
  constexpr bool y_bf16 = std::is_same_v<Dst, ao::bfloat16>;
  // K = 0: the kernel reads nothing and stores bias (or 0).
  for (std::size_t m0 = 0; m0 < m; m0 += 16) {
    const unsigned mt = static_cast<unsigned>(std::min<std::size_t>(16, m - m0));
    const ao::bfloat16* xt = x.data() + static_cast<std::ptrdiff_t>(m0) * x.stride(0);
    void* yt = y.data() + static_cast<std::ptrdiff_t>(m0) * y.stride(0);
    bool done = false;
#if !defined(__HIPCC__)
    if constexpr (mma_chunk<D>::fits) {
      // One row of x: the CUDA-core kernel, except for fp4 weights, whose 8-codes-at-a-time decode makes the
      // tensor-core kernel faster even with 15 of its 16 rows zero (docs/performance.md, "GPU weight-only GEMV").
      if ((mt > 1 || D::mma_fp4) && use_tensor_cores<D>(xt, x.stride(0), k, w.data, w.data_stride)) {
        const std::size_t blocks = mt > 8 ? (n + 7) / 8 : (n + 15) / 16;  // W rows per block: 8, or 16
        if (blocks > 0x7FFFFFFFu) throw ao::error(where + "N is too large for one grid");
        if (mt > 8) {
          skinny_mma_kernel<D, true><<<static_cast<unsigned>(blocks), mma_warps * 32, 0, stream>>>(
              xt, x.stride(0), mt, n, k, w.data, w.data_stride, decoder, bias, yt, y.stride(0), y_bf16);
        } else {
          skinny_mma_kernel<D, false><<<static_cast<unsigned>(blocks), mma_warps * 32, 0, stream>>>(
              xt, x.stride(0), mt, n, k, w.data, w.data_stride, decoder, bias, yt, y.stride(0), y_bf16);
        }
        check_launch("ao::cuda skinny_mma_kernel");
        done = true;
      }
    }
#endif
    if (done) {
      // the tensor cores took this tile of x
    } else if (mt == 1) {
      launch_gemv<D, 1>(xt, x.stride(0), mt, n, k, w.data, w.data_stride, decoder, bias, yt, y.stride(0), y_bf16,
                        stream);
    } else {
      launch_gemv<D, 4>(xt, x.stride(0), mt, n, k, w.data, w.data_stride, decoder, bias, yt, y.stride(0), y_bf16,
                        stream);
    }
  }
}

}  // namespace detail

template <class W, class Dst>
void matmul(strided_view<const ao::bfloat16, 2> x, const W& w, strided_view<Dst, 2> y, cudaStream_t stream = nullptr) {
  detail::matmul(x, w, static_cast<const strided_view<const float, 1>*>(nullptr), y, stream);
}

template <class W, class Dst>
void matmul(strided_view<const ao::bfloat16, 2> x, const W& w, strided_view<const float, 1> bias,
            strided_view<Dst, 2> y, cudaStream_t stream = nullptr) {
  detail::matmul(x, w, &bias, y, stream);
}

}  // namespace ao::cuda
