// ao/backends/cuda/quantize.cuh: ao::cuda::quantize<F> and ao::cuda::dequantize, the GPU twins of ao::quantize /
// ao::dequantize (ao/ops/quantize.hpp) for the formats whose kernels exist on the GPU so far: every block-scaled
// format with torchao's element packing (MX: any element, block size and scale rule; fp6 four in three bytes,
// ao::element_packing::fp6_4in3, is a compile error), NVFP4 single and two level, FP8 with a float scale
// (per tensor, per row, per R x C block; every element type and arithmetic), and affine integers (every target,
// mapping, scale dtype and zero-point domain, per tensor, per row and group-wise: affine_kernels.cuh).
//
//   ao::cuda::quantize<F>(src, dst, stream)    src: ao::strided_view<const Src, Rank> of device memory, Src =
//                                              float, ao::bfloat16 or ao::float16; dst: ao::quantized_view<F>
//                                              of device memory, rows x cols as for ao::quantize
//   ao::cuda::dequantize(q, dst, stream)       q: a (const) ao::quantized_view<F> of device memory; dst: an
//                                              ao::strided_view<Dst, Rank> of device memory, Dst = float,
//                                              ao::bfloat16 or ao::float16
//   ao::cuda::quantize_dim1<F>(src, dst, stream)   column-wise ("dim1", MX training's cast for the backward
//                                              GEMMs): src an M x K ao::strided_view<const Src, 2>, dst an
//                                              ao::quantized_view<F> of K x M, the quantized TRANSPOSE of src
//                                              (blocks run down src's columns); the bytes are those of
//                                              ao::quantize<F> of src transposed. MX and NVFP4 formats.
//
// Bytes: identical to the scalar oracle's (ao::quantize<F>(..., ao::backend::scalar{})) for every input, NaN and
// Inf included: the kernels call the oracle's per-block and per-value functions (block_codec.cuh, the FP8 oracle).
// tests/cuda/quantize_device_test.cu checks it on the GPU.
//
// Each takes a last, optional ao::cuda::scale_layout (MX and NVFP4 only):
//   scale_layout::row_major   (default) scales[r * scales_stride + b], as everywhere in ao
//   scale_layout::swizzled    torchao's 128x4 blocked layout (to_blocked; ao/layout/scale_swizzle.hpp), what
//                             cuBLAS / CUTLASS block-scaled GEMMs read: dst.scales holds
//                             layout::swizzled_size(scale_rows, scale_cols) bytes, the padding written as zeros;
//                             scales_stride is ignored
//
// Layout: as on the CPU (data rows data_stride bytes apart). The leading dims of src / dst must collapse to one
// row stride (a row-major tensor, or any 2-D view with a row stride); the last dim contiguous. NVFP4 two level
// computes its global scale on the GPU into *dst.global_scale (device memory); per-tensor FP8 its scale into
// dst.scales[0]; per-tensor affine formats their qparams into dst.scales[0] and dst.zero_points[0] (through 12
// bytes of stream-ordered scratch, cudaMallocAsync).
//
// Host-side checks before anything is launched (ao::error naming the argument and the rule): the format accepts
// the shape, strides (no negative stride, last dim contiguous), the quantized view's strides and pointers,
// mismatched shapes, overlapping buffers. Pointers are not checked to be device memory: a host pointer fails in
// the kernel (cudaErrorIllegalAddress at the next synchronization), as with any CUDA library. Asynchronous:
// returns once the kernels are enqueued on `stream`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backends/cuda/abs_max.cuh"
#include "ao/backends/cuda/affine_kernels.cuh"
#include "ao/backends/cuda/block_kernels.cuh"
#include "ao/backends/cuda/dim1_kernels.cuh"
#include "ao/backends/cuda/float8_kernels.cuh"
#include "ao/backends/cuda/float8_row_kernel.cuh"
#include "ao/backends/cuda/runtime.cuh"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/layout/scale_swizzle.hpp"
#include "ao/ops/view_checks.hpp"
#include "ao/view.hpp"

namespace ao::cuda {

// How the scales of an MX or NVFP4 result are laid out (see above).
enum class scale_layout { row_major, swizzled };

namespace detail {

constexpr unsigned threads_per_block = 256;

// Formats with one scale byte per block (MX, NVFP4): those whose scales can be swizzled.
template <class F>
constexpr bool has_byte_scales() {
  using family = typename format_traits<F>::family;
  return std::is_same_v<family, format_family::block_scaled> || std::is_same_v<family, format_family::nvfp4>;
}

// Checks a quantized view for `layout` (ao::error naming op) and returns the byte ranges of its buffers. With
// swizzled scales the scales span the blocked layout's bytes, and their stride is not looked at.
template <class F, bool Const>
std::vector<std::pair<const char*, ao::detail::byte_range>> checked_ranges(const char* op,
                                                                          quantized_view<F, Const> q,
                                                                          scale_layout layout) {
  const bool swizzled = layout == scale_layout::swizzled;
  if (swizzled) {
    if constexpr (!has_byte_scales<F>()) {
      throw ao::error(std::string(op) + "<" + ao::detail::format_name<F>() +
                      ">: swizzled scales exist for MX and NVFP4 formats only");
    }
    q.scales_stride = static_cast<std::ptrdiff_t>(q.scale_cols());
  }
  ao::detail::check_quantized_view(op, q);
  auto ranges = ao::detail::ranges_of(q);
  if (swizzled) {
    for (auto& r : ranges) {
      if (std::string(r.first) == "scales") {
        r.second = ao::detail::range_of_matrix(reinterpret_cast<const std::uint8_t*>(q.scales), 1, 0,
                                               layout::swizzled_size(q.scale_rows(), q.scale_cols()));
      }
    }
  }
  return ranges;
}

// Zeroes the padding of a swizzled scale layout (when the scale matrix does not fill whole 128 x 4 tiles, the
// whole buffer: the kernels then write every scale over it).
inline void clear_swizzle_padding(void* scales, std::size_t scale_rows, std::size_t scale_cols, cudaStream_t stream) {
  if (scale_rows % layout::swizzle_tile_rows == 0 && scale_cols % layout::swizzle_tile_cols == 0) return;
  check(cudaMemsetAsync(scales, 0, layout::swizzled_size(scale_rows, scale_cols), stream),
        "ao::cuda::quantize: cudaMemsetAsync (swizzle padding)");
}

// Block-scaled formats with torchao's element packing (not ao::element_packing::fp6_4in3, whose codes straddle
// bytes: has_gpu_element_storage_v), NVFP4, FP8 and affine integers.
template <class F>
constexpr bool has_cuda_kernels() {
  using family = typename format_traits<F>::family;
  if constexpr (std::is_same_v<family, format_family::affine>) {
    return true;
  } else {
    return (std::is_same_v<family, format_family::block_scaled> || std::is_same_v<family, format_family::nvfp4> ||
            std::is_same_v<family, format_family::float8>) &&
           has_gpu_element_storage_v<F>;
  }
}

// A view's rows as one (base, row stride) pair; ao::error when its leading dims do not collapse.
template <class T, int Rank>
ao::detail::band<T> single_band(const char* op, const char* arg, const strided_view<T, Rank>& v) {
  const auto bands = ao::detail::bands_of(v);
  if (bands.size() != 1) {
    throw ao::error(std::string(op) + ": " + arg +
                    "'s leading dims do not collapse to one row stride; the CUDA kernels take a matrix with a row "
                    "stride (make the view contiguous in its leading dims)");
  }
  return bands[0];
}

template <class F>
granules granules_of(std::size_t rows, std::size_t cols, std::ptrdiff_t scales_stride) {
  using G = typename F::granularity;
  if constexpr (std::is_same_v<G, per_tensor>) {
    return {rows, cols, 0};
  } else if constexpr (std::is_same_v<G, per_row>) {
    return {1, cols, scales_stride};
  } else {
    return {static_cast<std::size_t>(G::rows), static_cast<std::size_t>(G::cols), scales_stride};
  }
}

// The max |x| bits of a matrix into *slot (4 bytes of device memory), on stream.
template <class Src>
void abs_max_bits(const ao::detail::band<const Src>& b, std::size_t cols, std::uint32_t* slot, cudaStream_t stream) {
  check(cudaMemsetAsync(slot, 0, sizeof(std::uint32_t), stream), "ao::cuda::quantize: cudaMemsetAsync");
  const bool wide =
      cols % 8 == 0 && aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), access_width<8 * sizeof(Src)>());
  // Few enough blocks that the per-warp atomics do not queue on the one address.
  if (wide) {
    const launch_shape l = row_grid(b.rows, cols / 8, 2048);
    abs_max_bits_kernel<Src, 8><<<l.grid, l.block, 0, stream>>>(b.base, b.stride, b.rows, cols, slot, true);
  } else {
    const launch_shape l = row_grid(b.rows, cols, 2048);
    abs_max_bits_kernel<Src, 1><<<l.grid, l.block, 0, stream>>>(b.base, b.stride, b.rows, cols, slot, false);
  }
  check_launch("ao::cuda abs_max_bits_kernel");
}

template <bool G>
__global__ void nvfp4_global_scale_kernel(float* slot) {
  const std::uint32_t amax = *reinterpret_cast<const std::uint32_t*>(slot);
  *slot = scalar::nvfp4_global_scale(ao::detail::bit_cast<float>(amax));
}

// The codec of a block-scaled quantize of the rows of b; for two-level NVFP4, first the global scale (an amax
// pass over b) into *dst.global_scale.
template <class F, class Src>
block_codec<F> prepare_codec(const ao::detail::band<const Src>& b, std::size_t cols, const quantized_view<F>& dst,
                             cudaStream_t stream) {
  block_codec<F> codec;
  if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
    if constexpr (F::global_scale) {
      abs_max_bits(b, cols, reinterpret_cast<std::uint32_t*>(dst.global_scale), stream);
      nvfp4_global_scale_kernel<true><<<1, 1, 0, stream>>>(dst.global_scale);
      check_launch("ao::cuda nvfp4_global_scale_kernel");
      codec.global_scale = dst.global_scale;
    }
  }
  return codec;
}

template <class F, class Src>
void quantize_blocks(const ao::detail::band<const Src>& b, std::size_t cols, const quantized_view<F>& dst,
                     cudaStream_t stream, scale_layout layout = scale_layout::row_major) {
  using split = block_split<F>;
  constexpr int V = split::values, E = block_codec<F>::elements_per_byte;
  const block_codec<F> codec = prepare_codec<F, Src>(b, cols, dst, stream);
  const bool wide_src = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), access_width<V * sizeof(Src)>());
  const bool wide_data = aligned(dst.data, dst.data_stride, access_width<V / E>());
  const launch_shape l = row_grid(b.rows, cols / V);
  auto* scales = reinterpret_cast<typename block_codec<F>::scale_storage*>(dst.scales);
  if constexpr (has_byte_scales<F>()) {
    if (layout == scale_layout::swizzled) {
      clear_swizzle_padding(dst.scales, dst.scale_rows(), dst.scale_cols(), stream);
      quantize_blocks_kernel<F, Src, true><<<l.grid, l.block, 0, stream>>>(
          b.base, b.stride, b.rows, cols, dst.data, dst.data_stride, scales, 0, codec, wide_src, wide_data);
      check_launch("ao::cuda quantize_blocks_kernel (swizzled scales)");
      return;
    }
  }
  quantize_blocks_kernel<F, Src><<<l.grid, l.block, 0, stream>>>(b.base, b.stride, b.rows, cols, dst.data,
                                                                 dst.data_stride, scales, dst.scales_stride, codec,
                                                                 wide_src, wide_data);
  check_launch("ao::cuda quantize_blocks_kernel");
}

template <class F, class Src>
void quantize_dim1(const ao::detail::band<const Src>& b, std::size_t k, const quantized_view<F>& dst,
                   cudaStream_t stream, scale_layout layout) {
  using tile = dim1_tile<F>;
  constexpr int V = block_split<F>::values, E = block_codec<F>::elements_per_byte;
  const block_codec<F> codec = prepare_codec<F, Src>(b, k, dst, stream);
  const bool wide_src = k % 8 == 0 && aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), 8 * sizeof(Src));
  const bool wide_data = aligned(dst.data, dst.data_stride, access_width<V / E>());
  const std::size_t col_tiles = (k + tile::cols - 1) / tile::cols, row_runs = b.rows / tile::rows;
  if (col_tiles > 0x7FFFFFFFu) throw ao::error("ao::cuda::quantize_dim1: the source has too many columns");
  const dim3 grid(static_cast<unsigned>(col_tiles), static_cast<unsigned>(row_runs < 65535 ? row_runs : 65535));
  auto* scales = reinterpret_cast<std::uint8_t*>(dst.scales);
  if (layout == scale_layout::swizzled) {
    clear_swizzle_padding(dst.scales, dst.scale_rows(), dst.scale_cols(), stream);
    quantize_dim1_kernel<F, Src, true><<<grid, tile::threads, 0, stream>>>(
        b.base, b.stride, b.rows, k, dst.data, dst.data_stride, scales, 0, codec, wide_src, wide_data);
  } else {
    quantize_dim1_kernel<F, Src, false><<<grid, tile::threads, 0, stream>>>(
        b.base, b.stride, b.rows, k, dst.data, dst.data_stride, scales, dst.scales_stride, codec, wide_src,
        wide_data);
  }
  check_launch("ao::cuda quantize_dim1_kernel");
}

// Rows held in registers (float8_row_kernel.cuh): cols % 8 == 0 and cols <= 256 * 8 * 8.
template <class F, class Src, bool GivenScale>
void quantize_float8_rows(const ao::detail::band<const Src>& b, std::size_t cols, const quantized_view<F>& dst,
                          cudaStream_t stream) {
  const std::size_t runs = cols / 8;
  const bool wide_src = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), access_width<8 * sizeof(Src)>());
  const bool wide_data = aligned(dst.data, dst.data_stride, access_width<8>());
  const unsigned grid = static_cast<unsigned>(b.rows < (std::size_t{1} << 20) ? b.rows : (std::size_t{1} << 20));
  auto launch = [&](auto chunks) {
    constexpr int C = decltype(chunks)::value;
    const std::size_t per_thread = (runs + C - 1) / C;
    const unsigned threads = static_cast<unsigned>(per_thread <= 32 ? 32 : (per_thread + 31) / 32 * 32);
    quantize_float8_rows_kernel<F, Src, C, GivenScale><<<grid, threads, 0, stream>>>(
        b.base, b.stride, b.rows, cols, dst.data, dst.data_stride, dst.scales, GivenScale ? 0 : dst.scales_stride,
        wide_src, wide_data);
  };
  if (runs <= 256 * 4) {
    launch(std::integral_constant<int, 4>{});
  } else {
    launch(std::integral_constant<int, 8>{});
  }
  check_launch("ao::cuda quantize_float8_rows_kernel");
}

template <class F, class Src>
void quantize_float8(const ao::detail::band<const Src>& b, std::size_t cols, const quantized_view<F>& dst,
                     cudaStream_t stream) {
  using G = typename F::granularity;
  if constexpr (!std::is_same_v<G, per_tensor> && !std::is_same_v<G, per_row>) {
    if constexpr (G::rows == 1) {
      if constexpr (block_split<F>::lanes > 1) {
        // 1 x C blocks of 16..256 values: lanes share a block as in MX (the FP8 kernel would leave lanes idle).
        quantize_blocks<F, Src>(b, cols, dst, stream);
        return;
      }
    }
  }
  constexpr bool per_tensor_scale = std::is_same_v<G, per_tensor>;
  const granules g = granules_of<F>(b.rows, cols, dst.scales_stride);
  if constexpr (per_tensor_scale) {
    abs_max_bits(b, cols, reinterpret_cast<std::uint32_t*>(dst.scales), stream);
    float8_tensor_scale_kernel<F, Src><<<1, 1, 0, stream>>>(dst.scales);
    check_launch("ao::cuda float8_tensor_scale_kernel");
  }
  if constexpr (per_tensor_scale || std::is_same_v<G, per_row>) {
    if (cols % 8 == 0 && cols <= 256 * 8 * 8) {
      quantize_float8_rows<F, Src, per_tensor_scale>(b, cols, dst, stream);
      return;
    }
  }
  // per_tensor: each row is a granule whose scale is the tensor's
  const granules work = per_tensor_scale ? granules{1, cols, 0} : g;
  const std::size_t warps = (b.rows / work.rows) * (cols / work.cols);
  const unsigned blocks = grid_size(warps * 32, threads_per_block);
  const bool v8 = work.cols % 8 == 0;
  auto launch = [&](auto vector) {
    constexpr int V = decltype(vector)::value;
    const bool wide_src = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), access_width<V * sizeof(Src)>());
    const bool wide_data = aligned(dst.data, dst.data_stride, access_width<V>());
    quantize_float8_kernel<F, Src, V, per_tensor_scale><<<blocks, threads_per_block, 0, stream>>>(
        b.base, b.stride, b.rows, cols, dst.data, dst.data_stride, dst.scales, work, wide_src, wide_data);
  };
  if (v8) {
    launch(std::integral_constant<int, 8>{});
  } else {
    launch(std::integral_constant<int, 1>{});
  }
  check_launch("ao::cuda quantize_float8_kernel");
}

// Device memory for the length of one stream's work: cudaMallocAsync now, cudaFreeAsync (ordered after the work
// enqueued meanwhile) when it goes out of scope, also when a launch check throws.
class stream_scratch {
 public:
  stream_scratch(std::size_t bytes, cudaStream_t stream) : stream_(stream) {
    check(cudaMallocAsync(&ptr_, bytes, stream), "ao::cuda: cudaMallocAsync (scratch)");
  }
  stream_scratch(const stream_scratch&) = delete;
  stream_scratch& operator=(const stream_scratch&) = delete;
  ~stream_scratch() { (void)cudaFreeAsync(ptr_, stream_); }
  template <class T>
  T* as() const noexcept {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_;
};

// Affine integers (affine_kernels.cuh). Per tensor, first the tensor's range into scratch keys and the qparams
// from them into dst.scales[0] / dst.zero_points[0].
template <class F, class Src>
void quantize_affine(const ao::detail::band<const Src>& b, std::size_t cols, const quantized_view<F>& dst,
                     cudaStream_t stream) {
  constexpr bool tensor = std::is_same_v<typename F::granularity, per_tensor>;
  const std::size_t length = tensor ? cols : ao::detail::affine_group_length<F>(1, cols);
  if constexpr (tensor) {
    const stream_scratch keys(3 * sizeof(std::uint32_t), stream);
    check(cudaMemsetAsync(keys.as<std::uint32_t>(), 0xFF, sizeof(std::uint32_t), stream),
          "ao::cuda::quantize: cudaMemsetAsync");
    check(cudaMemsetAsync(keys.as<std::uint32_t>() + 1, 0, 2 * sizeof(std::uint32_t), stream),
          "ao::cuda::quantize: cudaMemsetAsync");
    const bool wide =
        cols % 8 == 0 && aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), access_width<8 * sizeof(Src)>());
    if (wide) {
      const launch_shape l = row_grid(b.rows, cols / 8, 2048);
      affine_range_keys_kernel<Src, 8><<<l.grid, l.block, 0, stream>>>(b.base, b.stride, b.rows, cols,
                                                                        keys.as<std::uint32_t>(), true);
    } else {
      const launch_shape l = row_grid(b.rows, cols, 2048);
      affine_range_keys_kernel<Src, 1><<<l.grid, l.block, 0, stream>>>(b.base, b.stride, b.rows, cols,
                                                                        keys.as<std::uint32_t>(), false);
    }
    check_launch("ao::cuda affine_range_keys_kernel");
    affine_tensor_qparams_kernel<F, Src><<<1, 1, 0, stream>>>(
        keys.as<std::uint32_t>(), b.rows * cols == 1 ? b.base : nullptr, dst.scales, dst.zero_points);
    check_launch("ao::cuda affine_tensor_qparams_kernel");
  }
  auto launch = [&](auto vector) {
    constexpr int V = decltype(vector)::value;
    const std::size_t runs = length / V;
    unsigned team = 1;
    while (team < 32 && 2 * team <= runs) team *= 2;
    const std::size_t groups = b.rows * (cols / length), warps = (groups + 32 / team - 1) / (32 / team);
    const bool wide_src = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Src)), access_width<V * sizeof(Src)>());
    const bool wide_data = aligned(dst.data, dst.data_stride, access_width<V>());
    const unsigned blocks = grid_size(warps * 32, threads_per_block);
    if constexpr (!tensor && V > 1) {
      // Groups of up to 32 lanes x V values: a lane's run stays in registers between the passes.
      if (runs <= team) {
        affine_quantize_kernel<F, Src, V, 1><<<blocks, threads_per_block, 0, stream>>>(
            b.base, b.stride, b.rows, cols, length, team, dst.data, dst.data_stride, dst.scales, dst.scales_stride,
            dst.zero_points, dst.zero_points_stride, wide_src, wide_data);
        return;
      }
    }
    affine_quantize_kernel<F, Src, V, 0><<<blocks, threads_per_block, 0, stream>>>(
        b.base, b.stride, b.rows, cols, length, team, dst.data, dst.data_stride, dst.scales, dst.scales_stride,
        dst.zero_points, dst.zero_points_stride, wide_src, wide_data);
  };
  if (length % 8 == 0) {
    launch(std::integral_constant<int, 8>{});
  } else {
    launch(std::integral_constant<int, 1>{});
  }
  check_launch("ao::cuda affine_quantize_kernel");
}

template <class F, class Dst>
void dequantize_affine(const const_quantized_view<F>& q, const ao::detail::band<Dst>& b, cudaStream_t stream) {
  const std::size_t rows = q.rows, cols = q.cols;
  const std::size_t length = std::is_same_v<typename F::granularity, per_tensor>
                                 ? cols
                                 : ao::detail::affine_group_length<F>(1, cols);
  auto launch = [&](auto vector) {
    constexpr int V = decltype(vector)::value;
    const bool wide_data = aligned(q.data, q.data_stride, access_width<V>());
    const bool wide_dst = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Dst)), access_width<V * sizeof(Dst)>());
    const launch_shape l = row_grid(rows, cols / V);
    affine_dequantize_kernel<F, Dst, V><<<l.grid, l.block, 0, stream>>>(
        q.data, q.data_stride, q.scales, q.scales_stride, q.zero_points, q.zero_points_stride, length, rows, cols,
        b.base, b.stride, wide_data, wide_dst);
  };
  if (length % 8 == 0) {
    launch(std::integral_constant<int, 8>{});
  } else {
    launch(std::integral_constant<int, 1>{});
  }
  check_launch("ao::cuda affine_dequantize_kernel");
}

}  // namespace detail

template <class F, class Src, int Rank>
void quantize(strided_view<const Src, Rank> src, const quantized_view<F>& dst, cudaStream_t stream = nullptr,
              scale_layout layout = scale_layout::row_major) {
  static_assert(ao::detail::is_torch_float_v<Src>,
                "ao::cuda::quantize: the source is float, ao::bfloat16 or ao::float16");
  static_assert(detail::has_cuda_kernels<F>(),
                "ao::cuda::quantize: GPU kernels exist for block-scaled (MX) formats with torchao's element packing "
                "(not ao::element_packing::fp6_4in3), NVFP4, FP8 and affine integer formats so far");
  const char* op = "ao::cuda::quantize";
  const std::string where = std::string(op) + "<" + ao::detail::format_name<F>() + ">: ";
  ao::detail::check_strides(op, "src", src);
  const std::size_t rows = src.rows(), cols = src.cols();
  if (dst.rows != rows || dst.cols != cols) {
    throw ao::error(where + "src is " + std::to_string(rows) + " x " + std::to_string(cols) +
                    " (rows x last dim) but dst is " + std::to_string(dst.rows) + " x " + std::to_string(dst.cols));
  }
  auto buffers = detail::checked_ranges(op, dst, layout);
  if (rows == 0 || cols == 0) return;
  ao::detail::check_disjoint(op, buffers);
  buffers.push_back({"src", ao::detail::range_of_view(src)});
  ao::detail::check_disjoint(op, buffers);
  const ao::detail::band<const Src> b = detail::single_band(op, "src", src);
  if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::float8>) {
    detail::quantize_float8<F, Src>(b, cols, dst, stream);
  } else if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::affine>) {
    detail::quantize_affine<F, Src>(b, cols, dst, stream);
  } else {
    detail::quantize_blocks<F, Src>(b, cols, dst, stream, layout);
  }
}

template <class F, class Src, int Rank>
void quantize(strided_view<Src, Rank> src, const quantized_view<F>& dst, cudaStream_t stream = nullptr,
              scale_layout layout = scale_layout::row_major) {
  quantize<F>(strided_view<const Src, Rank>(src), dst, stream, layout);
}

template <class F, class Src>
void quantize_dim1(strided_view<const Src, 2> src, const quantized_view<F>& dst, cudaStream_t stream = nullptr,
                   scale_layout layout = scale_layout::row_major) {
  static_assert(ao::detail::is_torch_float_v<Src>,
                "ao::cuda::quantize_dim1: the source is float, ao::bfloat16 or ao::float16");
  static_assert(detail::has_byte_scales<F>() && detail::has_cuda_kernels<F>(),
                "ao::cuda::quantize_dim1: a column-wise kernel exists for MX (torchao's element packing) and NVFP4");
  const char* op = "ao::cuda::quantize_dim1";
  const std::string where = std::string(op) + "<" + ao::detail::format_name<F>() + ">: ";
  ao::detail::check_strides(op, "src", src);
  const std::size_t m = src.extent(0), k = src.extent(1);
  if (dst.rows != k || dst.cols != m) {
    throw ao::error(where + "src is " + std::to_string(m) + " x " + std::to_string(k) + " so dst (its transpose) " +
                    "must be " + std::to_string(k) + " x " + std::to_string(m) + ", not " + std::to_string(dst.rows) +
                    " x " + std::to_string(dst.cols));
  }
  auto buffers = detail::checked_ranges(op, dst, layout);
  if (m == 0 || k == 0) return;
  ao::detail::check_disjoint(op, buffers);
  buffers.push_back({"src", ao::detail::range_of_view(src)});
  ao::detail::check_disjoint(op, buffers);
  detail::quantize_dim1<F, Src>(detail::single_band(op, "src", src), k, dst, stream, layout);
}

template <class F, class Src>
void quantize_dim1(strided_view<Src, 2> src, const quantized_view<F>& dst, cudaStream_t stream = nullptr,
                   scale_layout layout = scale_layout::row_major) {
  quantize_dim1<F>(strided_view<const Src, 2>(src), dst, stream, layout);
}

template <class F, bool Const, class Dst, int Rank>
void dequantize(const quantized_view<F, Const>& quantized, strided_view<Dst, Rank> dst, cudaStream_t stream = nullptr,
                scale_layout layout = scale_layout::row_major) {
  static_assert(ao::detail::is_torch_float_v<Dst>,
                "ao::cuda::dequantize: the output is float, ao::bfloat16 or ao::float16");
  static_assert(detail::has_cuda_kernels<F>(),
                "ao::cuda::dequantize: GPU kernels exist for block-scaled (MX) formats with torchao's element packing "
                "(not ao::element_packing::fp6_4in3), NVFP4, FP8 and affine integer formats so far");
  const const_quantized_view<F> q = quantized;
  const char* op = "ao::cuda::dequantize";
  const std::string where = std::string(op) + "<" + ao::detail::format_name<F>() + ">: ";
  ao::detail::check_strides(op, "dst", dst);
  auto buffers = detail::checked_ranges(op, q, layout);
  const std::size_t rows = dst.rows(), cols = dst.cols();
  if (rows != q.rows || cols != q.cols) {
    throw ao::error(where + "the quantized tensor is " + std::to_string(q.rows) + " x " + std::to_string(q.cols) +
                    " but dst is " + std::to_string(rows) + " x " + std::to_string(cols));
  }
  if (rows == 0 || cols == 0) return;
  buffers.push_back({"dst", ao::detail::range_of_view(dst)});
  ao::detail::check_disjoint(op, buffers);
  const ao::detail::band<Dst> b = detail::single_band(op, "dst", dst);
  using namespace detail;
  if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::affine>) {
    dequantize_affine<F, Dst>(q, b, stream);
  } else if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::float8>) {
    const granules g = granules_of<F>(rows, cols, q.scales_stride);
    auto launch = [&](auto vector) {
      constexpr int V = decltype(vector)::value;
      const bool wide_data = aligned(q.data, q.data_stride, access_width<V>());
      const bool wide_dst = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Dst)), access_width<V * sizeof(Dst)>());
      const launch_shape l = row_grid(rows, cols / V);
      dequantize_float8_kernel<F, Dst, V><<<l.grid, l.block, 0, stream>>>(q.data, q.data_stride, q.scales, g, rows,
                                                                          cols, b.base, b.stride, wide_data, wide_dst);
    };
    if (cols % 8 == 0 && g.cols % 8 == 0) {
      launch(std::integral_constant<int, 8>{});
    } else {
      launch(std::integral_constant<int, 1>{});
    }
    check_launch("ao::cuda dequantize_float8_kernel");
  } else {
    constexpr int V = dequantize_vector<F>(), E = F::elements_per_byte;
    block_codec<F> codec;
    codec.global_scale = q.global_scale;
    const bool wide_data = aligned(q.data, q.data_stride, access_width<V / E>());
    const bool wide_dst = aligned(b.base, b.stride * std::ptrdiff_t(sizeof(Dst)), access_width<V * sizeof(Dst)>());
    const launch_shape l = row_grid(rows, cols / V);
    const auto* scales = reinterpret_cast<const std::uint8_t*>(q.scales);
    if (layout == scale_layout::swizzled) {
      dequantize_blocks_kernel<F, Dst, true><<<l.grid, l.block, 0, stream>>>(
          q.data, q.data_stride, scales, 0, rows, cols, b.base, b.stride, codec, wide_data, wide_dst);
    } else {
      dequantize_blocks_kernel<F, Dst><<<l.grid, l.block, 0, stream>>>(
          q.data, q.data_stride, scales, q.scales_stride, rows, cols, b.base, b.stride, codec, wide_data, wide_dst);
    }
    check_launch("ao::cuda dequantize_blocks_kernel");
  }
}

}  // namespace ao::cuda
