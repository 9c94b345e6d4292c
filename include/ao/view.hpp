// ao/view.hpp: non-owning views at ao's boundary.
//
//   ao::strided_view<T, Rank>   a tensor of T: pointer, extents, strides in elements (mdspan's layout_stride, and
//                               ggml's ne/nb divided by the element size). Rank >= 1; the last dim must be
//                               contiguous (stride 1) for the kernels, every other stride is free (row strides,
//                               slices, padding).
//   ao::quantized_view<F>       a quantized tensor of format F: element data and scales (and zero points, and the
//                               NVFP4 global scale) of a rows x cols matrix, rows being the leading dims flattened.
//                               Data rows are `data_stride` bytes apart; scales form a scale_rows x scale_cols
//                               matrix (format_traits<F>) whose rows are `scales_stride` elements apart.
//   ao::quantized_view<F, true> the same, read-only (what dequantize takes); a mutable view converts to it.
// A default-constructed view is empty. Views never allocate; ao::quantized_tensor<F> (ao/tensor.hpp) owns storage.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/error.hpp"
#include "ao/formats/format_traits.hpp"

namespace ao {

template <class T, int Rank>
class strided_view {
  static_assert(Rank >= 1, "ao::strided_view: Rank >= 1");

 public:
  using element_type = T;
  using extents_type = std::array<std::size_t, Rank>;
  using strides_type = std::array<std::ptrdiff_t, Rank>;
  static constexpr int rank = Rank;

  constexpr strided_view() noexcept : data_(nullptr), extents_{}, strides_{} {}
  // Contiguous, row-major.
  constexpr strided_view(T* data, const extents_type& extents) noexcept : data_(data), extents_(extents), strides_{} {
    std::ptrdiff_t stride = 1;
    for (int d = Rank - 1; d >= 0; --d) {
      strides_[static_cast<std::size_t>(d)] = stride;
      stride *= static_cast<std::ptrdiff_t>(extents_[static_cast<std::size_t>(d)]);
    }
  }
  // Any strides, in elements.
  constexpr strided_view(T* data, const extents_type& extents, const strides_type& strides) noexcept
      : data_(data), extents_(extents), strides_(strides) {}
  // A view of T converts to a view of const T.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  constexpr strided_view(const strided_view<U, Rank>& other) noexcept  // NOLINT: implicit on purpose
      : data_(other.data()), extents_(other.extents()), strides_(other.strides()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr const extents_type& extents() const noexcept { return extents_; }
  constexpr const strides_type& strides() const noexcept { return strides_; }
  constexpr std::size_t extent(int d) const noexcept { return extents_[static_cast<std::size_t>(d)]; }
  constexpr std::ptrdiff_t stride(int d) const noexcept { return strides_[static_cast<std::size_t>(d)]; }
  constexpr std::size_t size() const noexcept {
    std::size_t n = 1;
    for (std::size_t e : extents_) n *= e;
    return n;
  }
  constexpr bool empty() const noexcept { return size() == 0; }
  // The length of the last dim ("cols") and the number of rows (the product of the leading dims).
  constexpr std::size_t cols() const noexcept { return extents_[Rank - 1]; }
  constexpr std::size_t rows() const noexcept { return cols() == 0 ? size_leading() : size() / cols(); }

 private:
  constexpr std::size_t size_leading() const noexcept {
    std::size_t n = 1;
    for (int d = 0; d + 1 < Rank; ++d) n *= extents_[static_cast<std::size_t>(d)];
    return n;
  }
  T* data_;
  extents_type extents_;
  strides_type strides_;
};

template <class F, bool Const = false>
struct quantized_view {
  static_assert(is_format_v<F>, "ao::quantized_view: F is not a format (see ao/formats/format_traits.hpp)");
  template <class T>
  using ptr = std::conditional_t<Const, const T*, T*>;
  using format = F;
  using traits = format_traits<F>;

  ptr<std::uint8_t> data = nullptr;
  std::ptrdiff_t data_stride = 0;  // bytes between rows
  ptr<scale_storage_t<F>> scales = nullptr;
  std::ptrdiff_t scales_stride = 0;  // elements between scale rows
  ptr<zero_point_storage_t<F>> zero_points = nullptr;
  std::ptrdiff_t zero_points_stride = 0;  // elements between zero point rows
  ptr<float> global_scale = nullptr;      // NVFP4 two level only: the fp32 per-tensor scale
  std::size_t rows = 0;                   // the leading dims flattened
  std::size_t cols = 0;                   // the last dim

  constexpr std::size_t scale_rows() const noexcept { return traits::scale_rows(rows, cols); }
  constexpr std::size_t scale_cols() const noexcept { return traits::scale_cols(rows, cols); }
  constexpr std::size_t data_row_bytes() const noexcept { return traits::data_row_bytes(cols); }

  // A mutable view converts to a read-only one. (The target type is spelled through C so that the read-only view
  // does not declare a conversion to itself, which clang's -Wclass-conversion reports.)
  template <bool C = Const, class = std::enable_if_t<!C>>
  constexpr operator quantized_view<F, !C>() const noexcept {  // NOLINT: implicit on purpose
    return {data, data_stride, scales, scales_stride, zero_points, zero_points_stride, global_scale, rows, cols};
  }
};

template <class F>
using const_quantized_view = quantized_view<F, true>;

}  // namespace ao
