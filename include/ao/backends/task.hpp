// ao/backends/task.hpp: the unit of work every backend's quantize and dequantize kernels take: a band of rows of a
// matrix (the tensor's leading dims flattened, the last dim along the row), with a row stride on every side.
// ao::quantize / ao::dequantize (ao/ops/quantize.hpp) cut a tensor into such bands, one per executor task; the
// scalar oracle (ao/backends/scalar/task.hpp) and the Highway kernels (ao/backends/hwy/) implement
//   void quantize(const ao::quantize_task<F, Src>&);     Src: float, ao::bfloat16, ao::float16
//   void dequantize(const ao::dequantize_task<F, Dst>&); Dst: float, ao::bfloat16, ao::float16
// and must give the same bytes for every task.
//
// Contracts (checked by the caller, not by the kernels):
//   - rows and cols satisfy format_traits<F>::accepts(rows, cols): blocks, groups and tiles never straddle a task.
//   - Element (r, c) of the source is src[r * src_stride + c]: rows may be strided, a row is contiguous.
//     Strides are in elements of their own type (bytes for `data`); they may be larger than a row, never smaller.
//   - The scale (and zero point) of the granule holding (r, c) is scales[sr * scales_stride + sc], where (sr, sc) is
//     the granule's index within the task (for per_block<R, C>, sr = r / R, sc = c / C).
//   - `tensor` holds the values computed over the whole tensor beforehand (format_traits<F>::tensor_params: the
//     NVFP4 global scale, the per-tensor FP8 scale or affine qparams); per-tensor formats write their single
//     scale themselves, the kernels do not.
//   - Buffers do not overlap (ao::quantize checks this for the views it is given).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/formats/format_traits.hpp"

namespace ao {

template <class F, class Src>
struct quantize_task {
  const Src* src;
  std::ptrdiff_t src_stride;  // elements
  std::size_t rows;
  std::size_t cols;
  std::uint8_t* data;
  std::ptrdiff_t data_stride;  // bytes
  scale_storage_t<F>* scales;
  std::ptrdiff_t scales_stride;  // elements
  zero_point_storage_t<F>* zero_points;
  std::ptrdiff_t zero_points_stride;  // elements
  tensor_params_t<F> tensor;
};

template <class F, class Dst>
struct dequantize_task {
  const std::uint8_t* data;
  std::ptrdiff_t data_stride;  // bytes
  const scale_storage_t<F>* scales;
  std::ptrdiff_t scales_stride;  // elements
  const zero_point_storage_t<F>* zero_points;
  std::ptrdiff_t zero_points_stride;  // elements
  tensor_params_t<F> tensor;
  std::size_t rows;
  std::size_t cols;
  Dst* dst;
  std::ptrdiff_t dst_stride;  // elements
};

// A band of rows of a source matrix, for the whole-tensor reductions (abs max, min and max).
template <class Src>
struct rows_view {
  const Src* src;
  std::ptrdiff_t src_stride;  // elements
  std::size_t rows;
  std::size_t cols;
};

}  // namespace ao
