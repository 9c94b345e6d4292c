// ao/ops/quantize.hpp: the public entry points ao::quantize<F> and ao::dequantize.
//
//   ao::quantize<F>(src, dst, options...)     src: ao::strided_view<const Src, Rank>, Src = float, ao::bfloat16 or
//                                             ao::float16, any rank; dst: ao::quantized_view<F> of rows x cols,
//                                             rows = the product of src's leading dims, cols = its last dim
//   ao::quantize<F>(src, options...)          the same into a new ao::quantized_tensor<F>
//   ao::dequantize(q, dst, options...)        q: ao::quantized_view<F> (or a const one); dst: ao::strided_view<Dst,
//                                             Rank>, Dst = float, ao::bfloat16 or ao::float16
// Options, in any order, each at most once:
//   a backend tag       ao::backend::highway{} (default) or ao::backend::scalar{} (ao/backend.hpp)
//   an executor         anything with parallel_for(n, fn) (ao/executor.hpp); default: the calling thread only
//   ao::pad_last_dim    accept a last dim that is not a multiple of the format's block (or group, or tile width):
//                       quantize as if the row were padded with zeros to the next multiple (dst.cols is then the
//                       padded length), and dequantize only the first dst.cols values of each row
//
// What is checked (ao::error, naming the argument and the rule; nothing is written on error):
//   - the format accepts the shape (format_traits<F>::accepts), unless padded; per_block<R, C> tiles also need
//     the rows of each run of the leading dims to be a multiple of R
//   - src's last dim is contiguous (stride 1) and no stride is negative; dst's sizes and strides hold the shape
//   - no input buffer overlaps an output buffer, and the outputs do not overlap each other
// Empty tensors are fine: nothing is read or written.
//
// Work is cut into bands of rows (about 64 Ki values each, whole blocks and tiles) run through the executor;
// whole-tensor values (the NVFP4 global scale, per-tensor FP8 scales and affine qparams) are reduced first.
// The bytes do not depend on the backend, the executor, the band size or the strides.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backend.hpp"
#include "ao/backends/hwy/highway.hpp"
#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/error.hpp"
#include "ao/executor.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/registry.hpp"
#include "ao/ops/view_checks.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

namespace ao {

struct pad_last_dim_t {
  explicit constexpr pad_last_dim_t() = default;
};
inline constexpr pad_last_dim_t pad_last_dim{};

namespace detail {

// ---- Options ----

template <class T>
inline constexpr bool is_quantized_view_v = false;
template <class F, bool Const>
inline constexpr bool is_quantized_view_v<quantized_view<F, Const>> = true;

template <class T>
inline constexpr bool is_quantize_flag_v =
    backend::is_backend_v<std::decay_t<T>> || std::is_same_v<std::decay_t<T>, pad_last_dim_t>;

template <class... Opts>
struct options_of {
  static constexpr bool pad = (std::is_same_v<std::decay_t<Opts>, pad_last_dim_t> || ...);
  static constexpr int backends = (0 + ... + (backend::is_backend_v<std::decay_t<Opts>> ? 1 : 0));
  static constexpr int executors = (0 + ... + (is_quantize_flag_v<Opts> ? 0 : 1));
  static_assert(backends <= 1 && executors <= 1 &&
                    (0 + ... + (std::is_same_v<std::decay_t<Opts>, pad_last_dim_t> ? 1 : 0)) <= 1,
                "ao::quantize/dequantize: each option (backend, executor, pad_last_dim) at most once");
};

template <class Default, class... Opts>
struct backend_of {
  using type = Default;
};
template <class Default, class First, class... Rest>
struct backend_of<Default, First, Rest...> {
  using type = std::conditional_t<backend::is_backend_v<std::decay_t<First>>, std::decay_t<First>,
                                  typename backend_of<Default, Rest...>::type>;
};

template <class Fallback>
Fallback& executor_of(Fallback& fallback) {
  return fallback;
}
template <class Fallback, class First, class... Rest>
decltype(auto) executor_of(Fallback& fallback, First& first, Rest&... rest) {
  if constexpr (is_quantize_flag_v<First>) {
    return executor_of(fallback, rest...);
  } else {
    return (first);
  }
}

// ---- Backends ----

template <class F, class Src>
void run_task(backend::scalar, const quantize_task<F, Src>& t) {
  scalar::quantize(t);
}
template <class F, class Dst>
void run_task(backend::scalar, const dequantize_task<F, Dst>& t) {
  scalar::dequantize(t);
}
template <class Src>
float run_abs_max(backend::scalar, const rows_view<Src>& v) {
  return scalar::abs_max(v);
}
template <class Src>
scalar::affine_range run_min_max(backend::scalar, const rows_view<Src>& v) {
  return scalar::min_max(v);
}
template <class F, class Src>
void run_task(backend::highway, const quantize_task<F, Src>& t) {
  highway::quantize(t);
}
template <class F, class Dst>
void run_task(backend::highway, const dequantize_task<F, Dst>& t) {
  highway::dequantize(t);
}
template <class Src>
float run_abs_max(backend::highway, const rows_view<Src>& v) {
  return highway::abs_max(v);
}
template <class Src>
scalar::affine_range run_min_max(backend::highway, const rows_view<Src>& v) {
  return highway::min_max(v);
}

// ---- Tasks ----

// Rows per task: whole tiles, about 64 Ki values.
template <class F>
std::size_t rows_per_task(std::size_t cols) {
  const std::size_t m = format_traits<F>::row_multiple;
  const std::size_t target = std::max<std::size_t>(1, (std::size_t{1} << 16) / std::max<std::size_t>(1, cols));
  return std::max(m, (target + m - 1) / m * m);
}

// A band cut into tasks: [row, row + rows) within the band.
struct task_span {
  std::size_t band, row, rows;
};
template <class F, class T>
std::vector<task_span> split_bands(const char* op, const std::vector<band<T>>& bands, std::size_t cols) {
  std::vector<task_span> spans;
  const std::size_t step = rows_per_task<F>(cols);
  for (std::size_t b = 0; b < bands.size(); ++b) {
    if (bands[b].rows % format_traits<F>::row_multiple != 0) {
      throw ao::error(std::string(op) + "<" + format_name<F>() + ">: a run of " + std::to_string(bands[b].rows) +
                      " rows is not a multiple of the format's " + std::to_string(format_traits<F>::row_multiple) +
                      "-row tiles");
    }
    for (std::size_t r = 0; r < bands[b].rows; r += step) spans.push_back({b, r, std::min(step, bands[b].rows - r)});
  }
  return spans;
}

template <class F, class Src, class Backend, class Executor>
void quantize_bands(const std::vector<band<const Src>>& bands, std::size_t cols, const quantized_view<F>& dst,
                    Backend be, Executor& ex) {
  using traits = format_traits<F>;
  const std::vector<task_span> spans = split_bands<F>("quantize", bands, cols);
  tensor_params_t<F> tensor{};
  auto view_of = [&](const task_span& s) {
    const band<const Src>& b = bands[s.band];
    return rows_view<Src>{b.base + static_cast<std::ptrdiff_t>(s.row) * b.stride, b.stride, s.rows, cols};
  };
  if constexpr (!scalar::tensor_statistic<F>::none) {
    if constexpr (scalar::tensor_statistic<F>::range) {
      std::vector<scalar::affine_range> parts(spans.size());
      ex.parallel_for(spans.size(), [&](std::size_t i) { parts[i] = run_min_max(be, view_of(spans[i])); });
      scalar::affine_range all = parts[0];
      for (std::size_t i = 1; i < parts.size(); ++i) all = scalar::affine_merge(all, parts[i]);
      tensor = scalar::tensor_params_from_range<F, Src>(all);
      dst.scales[0] = tensor.scale;
      dst.zero_points[0] = tensor.zero_point;
    } else {
      std::vector<float> parts(spans.size());
      ex.parallel_for(spans.size(), [&](std::size_t i) { parts[i] = run_abs_max(be, view_of(spans[i])); });
      float amax = 0.0f;
      for (float p : parts) amax = scalar::abs_max_merge(amax, p);
      tensor = scalar::tensor_params_from_abs_max<F, Src>(amax);
      if constexpr (std::is_same_v<typename traits::family, format_family::nvfp4>) {
        *dst.global_scale = tensor.global_scale;
      } else {
        dst.scales[0] = tensor.scale;
      }
    }
  }
  ex.parallel_for(spans.size(), [&](std::size_t i) {
    const task_span& s = spans[i];
    const std::size_t row = bands[s.band].first_row + s.row;  // row of the flattened matrix
    const std::size_t scale_row = row / traits::row_multiple;
    quantize_task<F, Src> t{};
    t.src = bands[s.band].base + static_cast<std::ptrdiff_t>(s.row) * bands[s.band].stride;
    t.src_stride = bands[s.band].stride;
    t.rows = s.rows;
    t.cols = cols;
    t.data = dst.data + static_cast<std::ptrdiff_t>(row) * dst.data_stride;
    t.data_stride = dst.data_stride;
    t.scales = dst.scales + static_cast<std::ptrdiff_t>(scale_row) * dst.scales_stride;
    t.scales_stride = dst.scales_stride;
    if constexpr (has_zero_points_v<F>) {
      t.zero_points = dst.zero_points + static_cast<std::ptrdiff_t>(scale_row) * dst.zero_points_stride;
      t.zero_points_stride = dst.zero_points_stride;
    }
    t.tensor = tensor;
    run_task(be, t);
  });
}

template <class F>
tensor_params_t<F> stored_tensor_params(const const_quantized_view<F>& q) {
  tensor_params_t<F> tensor{};
  if constexpr (!scalar::tensor_statistic<F>::none) {
    if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
      tensor.global_scale = *q.global_scale;
    } else if constexpr (scalar::tensor_statistic<F>::range) {
      tensor.scale = q.scales[0];
      tensor.zero_point = q.zero_points[0];
    } else {
      tensor.scale = q.scales[0];
    }
  }
  return tensor;
}

}  // namespace detail

template <class F, class Src, int Rank, class... Options>
void quantize(strided_view<const Src, Rank> src, const quantized_view<F>& dst, Options&&... options) {
  static_assert(ao::detail::is_torch_float_v<Src>, "ao::quantize: the source is float, ao::bfloat16 or ao::float16");
  using opts = detail::options_of<Options...>;
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = detail::executor_of(sequential, options...);
  const char* op = "ao::quantize";
  const std::string where = std::string(op) + "<" + detail::format_name<F>() + ">: ";
  detail::check_strides(op, "src", src);
  const std::size_t rows = src.rows(), cols = src.cols();
  std::size_t stored_cols = cols;
  if (opts::pad && cols % format_traits<F>::col_multiple != 0) {
    stored_cols += format_traits<F>::col_multiple - cols % format_traits<F>::col_multiple;
  }
  if (dst.rows != rows || dst.cols != stored_cols) {
    throw ao::error(where + "src is " + std::to_string(rows) + " x " + std::to_string(cols) +
                    " (rows x last dim) but dst is " + std::to_string(dst.rows) + " x " + std::to_string(dst.cols) +
                    (stored_cols != cols ? " (padded: expected " + std::to_string(stored_cols) + " cols)" : ""));
  }
  detail::check_quantized_view(op, dst);
  if (rows == 0 || cols == 0) return;
  auto buffers = detail::ranges_of(dst);
  detail::check_disjoint(op, buffers);
  buffers.push_back({"src", detail::range_of_view(src)});
  detail::check_disjoint(op, buffers);
  if (stored_cols == cols) {
    detail::quantize_bands<F, Src>(detail::bands_of(src), cols, dst, Backend{}, ex);
  } else {
    // ao::pad_last_dim: a zero-padded copy of the source.
    std::vector<Src> padded(rows * stored_cols, Src(0.0f));
    std::size_t r = 0;
    for (const auto& b : detail::bands_of(src)) {
      for (std::size_t i = 0; i < b.rows; ++i, ++r) {
        std::copy(b.base + static_cast<std::ptrdiff_t>(i) * b.stride,
                  b.base + static_cast<std::ptrdiff_t>(i) * b.stride + static_cast<std::ptrdiff_t>(cols),
                  padded.begin() + static_cast<std::ptrdiff_t>(r * stored_cols));
      }
    }
    const std::vector<detail::band<const Src>> bands{
        {padded.data(), static_cast<std::ptrdiff_t>(stored_cols), rows, 0}};
    detail::quantize_bands<F, Src>(bands, stored_cols, dst, Backend{}, ex);
  }
}

// A view of mutable values quantizes like a view of const ones.
template <class F, class Src, int Rank, class... Options, class = std::enable_if_t<!std::is_const_v<Src>>>
void quantize(strided_view<Src, Rank> src, const quantized_view<F>& dst, Options&&... options) {
  quantize<F>(strided_view<const Src, Rank>(src), dst, std::forward<Options>(options)...);
}

// Into a new quantized tensor of src's shape (padded with ao::pad_last_dim).
template <class F, class Src, int Rank, class... Options,
          class = std::enable_if_t<(!detail::is_quantized_view_v<std::decay_t<Options>> && ...)>>
quantized_tensor<F> quantize(strided_view<Src, Rank> src, Options&&... options) {
  std::vector<std::size_t> shape(src.extents().begin(), src.extents().end());
  quantized_tensor<F> q = quantized_tensor<F>::allocate(shape, detail::options_of<Options...>::pad);
  quantize<F>(strided_view<const Src, Rank>(src), q.view(), std::forward<Options>(options)...);
  return q;
}

template <class F, bool Const, class Dst, int Rank, class... Options>
void dequantize(const quantized_view<F, Const>& quantized, strided_view<Dst, Rank> dst, Options&&... options) {
  static_assert(ao::detail::is_torch_float_v<Dst>, "ao::dequantize: the output is float, ao::bfloat16 or ao::float16");
  using opts = detail::options_of<Options...>;
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  const const_quantized_view<F> q = quantized;
  sequential_executor sequential;
  auto& ex = detail::executor_of(sequential, options...);
  const char* op = "ao::dequantize";
  const std::string where = std::string(op) + "<" + detail::format_name<F>() + ">: ";
  detail::check_strides(op, "dst", dst);
  detail::check_quantized_view(op, q);
  const std::size_t rows = dst.rows(), cols = dst.cols();
  const bool padded = cols != q.cols;
  if (rows != q.rows || cols > q.cols || (padded && (!opts::pad || q.cols - cols >= format_traits<F>::col_multiple))) {
    throw ao::error(where + "the quantized tensor is " + std::to_string(q.rows) + " x " + std::to_string(q.cols) +
                    " but dst is " + std::to_string(rows) + " x " + std::to_string(cols) +
                    (padded && !opts::pad ? " (pass ao::pad_last_dim to drop the padding)" : ""));
  }
  if (rows == 0 || cols == 0) return;
  auto buffers = detail::ranges_of(q);
  buffers.push_back({"dst", detail::range_of_view(dst)});
  detail::check_disjoint(op, buffers);
  const tensor_params_t<F> tensor = detail::stored_tensor_params(q);
  const std::vector<detail::band<Dst>> bands = detail::bands_of(dst);
  const std::vector<detail::task_span> spans = detail::split_bands<F>(op, bands, q.cols);
  using traits = format_traits<F>;
  ex.parallel_for(spans.size(), [&](std::size_t i) {
    const detail::task_span& s = spans[i];
    const std::size_t row = bands[s.band].first_row + s.row;
    const std::size_t scale_row = row / traits::row_multiple;
    std::vector<Dst> scratch;
    dequantize_task<F, Dst> t{};
    t.data = q.data + static_cast<std::ptrdiff_t>(row) * q.data_stride;
    t.data_stride = q.data_stride;
    t.scales = q.scales + static_cast<std::ptrdiff_t>(scale_row) * q.scales_stride;
    t.scales_stride = q.scales_stride;
    if constexpr (has_zero_points_v<F>) {
      t.zero_points = q.zero_points + static_cast<std::ptrdiff_t>(scale_row) * q.zero_points_stride;
      t.zero_points_stride = q.zero_points_stride;
    }
    t.tensor = tensor;
    t.rows = s.rows;
    t.cols = q.cols;
    Dst* out = bands[s.band].base + static_cast<std::ptrdiff_t>(s.row) * bands[s.band].stride;
    if (!padded) {
      t.dst = out;
      t.dst_stride = bands[s.band].stride;
      detail::run_task(Backend{}, t);
    } else {
      scratch.resize(s.rows * q.cols);
      t.dst = scratch.data();
      t.dst_stride = static_cast<std::ptrdiff_t>(q.cols);
      detail::run_task(Backend{}, t);
      for (std::size_t r = 0; r < s.rows; ++r) {
        std::copy(scratch.begin() + static_cast<std::ptrdiff_t>(r * q.cols),
                  scratch.begin() + static_cast<std::ptrdiff_t>(r * q.cols + cols),
                  out + static_cast<std::ptrdiff_t>(r) * bands[s.band].stride);
      }
    }
  });
}

}  // namespace ao
