// ao/tensor.hpp: ao::quantized_tensor<F>, an owning quantized tensor: element data, scales, zero points and the
// NVFP4 global scale in std::vectors, densely packed (data rows of format_traits<F>::data_row_bytes(cols) bytes,
// row-major scale and zero point matrices), plus the tensor's shape. view() and cview() give the views the kernels
// take. Shapes whose byte counts overflow std::size_t are rejected with ao::error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ao/error.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/registry.hpp"
#include "ao/view.hpp"

namespace ao {
namespace detail {

// a * b, or ao::error naming `what` when it overflows.
inline std::size_t checked_mul(std::size_t a, std::size_t b, const char* what) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) {
    throw ao::error(std::string(what) + ": " + std::to_string(a) + " x " + std::to_string(b) + " overflows size_t");
  }
  return a * b;
}

// The size of a tensor with these extents, refusing overflow and sizes whose bytes cannot be addressed.
template <class Extents>
std::size_t checked_size(const Extents& extents, std::size_t element_bytes, const char* what) {
  std::size_t n = 1;
  for (std::size_t e : extents) n = checked_mul(n, e, what);
  checked_mul(n, element_bytes, what);
  if (n > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / (element_bytes == 0 ? 1 : element_bytes)) {
    throw ao::error(std::string(what) + ": " + std::to_string(n) + " elements do not fit ptrdiff_t");
  }
  return n;
}

// "[2, 3]": a shape for messages (any unsigned extent type: std::size_t, std::uint64_t).
template <class Extent>
std::string shape_string(const std::vector<Extent>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace detail

template <class F>
class quantized_tensor {
 public:
  using format = F;
  using traits = format_traits<F>;
  using scale_type = scale_storage_t<F>;
  using zero_point_type = zero_point_storage_t<F>;

  quantized_tensor() = default;

  // Storage for a tensor of this shape (any rank >= 1; the last dim is quantized in blocks). ao::error when the
  // format does not accept it (see check_format_shape), unless pad_last_dim: then the last dim is rounded up to
  // the format's multiple and logical_cols() keeps the original length.
  static quantized_tensor allocate(std::vector<std::size_t> shape, bool pad_last_dim = false) {
    if (shape.empty()) throw ao::error("quantized_tensor::allocate: a tensor has rank >= 1 (got a rank-0 shape)");
    quantized_tensor t;
    t.shape_ = shape;
    const std::size_t cols = shape.back();
    std::size_t rows = 1;
    for (std::size_t d = 0; d + 1 < shape.size(); ++d) rows = detail::checked_mul(rows, shape[d], "quantized_tensor");
    std::size_t stored_cols = cols;
    if (pad_last_dim && cols % traits::col_multiple != 0) stored_cols += traits::col_multiple - cols % traits::col_multiple;
    const std::string op = "quantized_tensor<" + std::string(display_name<F>()) + ">::allocate(" +
                           detail::shape_string(shape) + ")";
    check_format_shape<F>(op.c_str(), rows, stored_cols);
    t.logical_cols_ = cols;
    t.view_.rows = rows;
    t.view_.cols = stored_cols;
    const std::size_t row_bytes = traits::data_row_bytes(stored_cols);
    t.data_.resize(detail::checked_mul(rows, row_bytes, "quantized_tensor data"));
    const std::size_t srows = traits::scale_rows(rows, stored_cols), scols = traits::scale_cols(rows, stored_cols);
    t.scales_.resize(detail::checked_mul(srows, scols, "quantized_tensor scales"));
    if constexpr (has_zero_points_v<F>) t.zero_points_.resize(srows * scols);
    t.view_.data_stride = static_cast<std::ptrdiff_t>(row_bytes);
    t.view_.scales_stride = static_cast<std::ptrdiff_t>(scols);
    t.view_.zero_points_stride = has_zero_points_v<F> ? static_cast<std::ptrdiff_t>(scols) : 0;
    t.rebind();
    return t;
  }
  static quantized_tensor allocate(std::size_t rows, std::size_t cols, bool pad_last_dim = false) {
    return allocate(std::vector<std::size_t>{rows, cols}, pad_last_dim);
  }

  quantized_tensor(const quantized_tensor& other) { *this = other; }
  quantized_tensor& operator=(const quantized_tensor& other) {
    if (this != &other) {
      shape_ = other.shape_;
      logical_cols_ = other.logical_cols_;
      data_ = other.data_;
      scales_ = other.scales_;
      zero_points_ = other.zero_points_;
      global_scale_ = other.global_scale_;
      view_ = other.view_;
      rebind();
    }
    return *this;
  }
  quantized_tensor(quantized_tensor&& other) noexcept { *this = std::move(other); }
  quantized_tensor& operator=(quantized_tensor&& other) noexcept {
    shape_ = std::move(other.shape_);
    logical_cols_ = other.logical_cols_;
    data_ = std::move(other.data_);
    scales_ = std::move(other.scales_);
    zero_points_ = std::move(other.zero_points_);
    global_scale_ = other.global_scale_;
    view_ = other.view_;
    rebind();
    return *this;
  }

  quantized_view<F> view() noexcept { return view_; }
  const_quantized_view<F> cview() const noexcept { return view_; }
  const_quantized_view<F> view() const noexcept { return view_; }

  // The logical shape (the last dim unpadded), rows (leading dims flattened), and the stored (padded) last dim.
  const std::vector<std::size_t>& shape() const noexcept { return shape_; }
  std::size_t rows() const noexcept { return view_.rows; }
  std::size_t logical_cols() const noexcept { return logical_cols_; }
  std::size_t stored_cols() const noexcept { return view_.cols; }

  std::vector<std::uint8_t>& data() noexcept { return data_; }
  const std::vector<std::uint8_t>& data() const noexcept { return data_; }
  std::vector<scale_type>& scales() noexcept { return scales_; }
  const std::vector<scale_type>& scales() const noexcept { return scales_; }
  std::vector<zero_point_type>& zero_points() noexcept { return zero_points_; }
  const std::vector<zero_point_type>& zero_points() const noexcept { return zero_points_; }
  float global_scale() const noexcept { return global_scale_; }

  // Storage bytes: data + scales + zero points (+ 4 for a global scale).
  std::size_t bytes() const noexcept {
    return data_.size() + scales_.size() * sizeof(scale_type) + zero_points_.size() * sizeof(zero_point_type) +
           (view_.global_scale != nullptr ? sizeof(float) : 0);
  }

 private:
  void rebind() noexcept {
    view_.data = data_.data();
    view_.scales = scales_.data();
    view_.zero_points = has_zero_points_v<F> ? zero_points_.data() : nullptr;
    view_.global_scale = needs_global_scale() ? &global_scale_ : nullptr;
  }
  static constexpr bool needs_global_scale() noexcept {
    if constexpr (std::is_same_v<typename traits::family, format_family::nvfp4>) {
      return F::global_scale;
    } else {
      return false;
    }
  }

  std::vector<std::size_t> shape_;
  std::size_t logical_cols_ = 0;
  std::vector<std::uint8_t> data_;
  std::vector<scale_type> scales_;
  std::vector<zero_point_type> zero_points_;
  float global_scale_ = 0.0f;
  quantized_view<F> view_;
};

}  // namespace ao
