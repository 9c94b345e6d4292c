// ao/ops/view_checks.hpp: what every entry point that takes views (ao::quantize, ao::dequantize, ao::matmul, the
// CUDA backend's ao::cuda::quantize ...) checks before it touches memory, and how it walks a strided view:
//
//   bands_of(v)                 a view's rows as runs with one row stride each (one run when its leading dims
//                               collapse, else one per index of the dims before the last two)
//   check_strides(op, arg, v)   no negative stride, last dim contiguous, no null data when not empty
//   check_quantized_view(op, q) the format accepts the shape; data / scales / zero points / global scale present
//                               and their strides hold a row
//   ranges_of(q), range_of_view(v), check_disjoint(op, buffers)
//                               the byte ranges of every buffer, and ao::error when two of them overlap
// Each failure is an ao::error that names the operation, the argument and the rule. Host code only, and free of
// any backend (the CUDA headers include it without Highway).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/error.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/registry.hpp"
#include "ao/view.hpp"

namespace ao::detail {

template <class F>
std::string format_name() {
  return ao::display_name<F>();
}

// A run of rows that are evenly spaced in a strided view: rows [first_row, first_row + rows) of the flattened
// matrix start at base + r * stride.
template <class T>
struct band {
  T* base;
  std::ptrdiff_t stride;
  std::size_t rows;
  std::size_t first_row;
};

// The bands of a view: one when its leading dims collapse to one row stride, else one per index of the dims
// before the last two.
template <class T, int Rank>
std::vector<band<T>> bands_of(const strided_view<T, Rank>& v) {
  std::vector<band<T>> bands;
  if (v.empty()) return bands;
  if constexpr (Rank == 1) {
    bands.push_back({v.data(), 0, 1, 0});
  } else {
    bool collapsible = true;
    for (int d = 0; d + 2 < Rank; ++d) {
      if (v.extent(d) > 1 && v.stride(d) != v.stride(d + 1) * static_cast<std::ptrdiff_t>(v.extent(d + 1))) {
        collapsible = false;
      }
    }
    if (collapsible) {
      bands.push_back({v.data(), v.stride(Rank - 2), v.rows(), 0});
      return bands;
    }
    const std::size_t inner = v.extent(Rank - 2);
    const std::size_t outer = v.rows() / inner;
    for (std::size_t o = 0; o < outer; ++o) {
      std::size_t rest = o;
      std::ptrdiff_t offset = 0;
      for (int d = Rank - 3; d >= 0; --d) {
        offset += static_cast<std::ptrdiff_t>(rest % v.extent(d)) * v.stride(d);
        rest /= v.extent(d);
      }
      bands.push_back({v.data() + offset, v.stride(Rank - 2), inner, o * inner});
    }
  }
  return bands;
}

template <class T, int Rank>
void check_strides(const char* op, const char* arg, const strided_view<T, Rank>& v) {
  for (int d = 0; d < Rank; ++d) {
    if (v.stride(d) < 0) {
      throw ao::error(std::string(op) + ": " + arg + " has a negative stride in dim " + std::to_string(d));
    }
  }
  if (v.cols() > 1 && v.stride(Rank - 1) != 1) {
    throw ao::error(std::string(op) + ": " + arg + "'s last dim must be contiguous (stride 1), its stride is " +
                    std::to_string(v.stride(Rank - 1)));
  }
  if (!v.empty() && v.data() == nullptr) throw ao::error(std::string(op) + ": " + arg + " is null but not empty");
}

// [begin, end) in bytes, for overlap checks.
struct byte_range {
  std::uintptr_t begin = 0, end = 0;
  bool overlaps(const byte_range& o) const noexcept { return begin < o.end && o.begin < end; }
};
template <class T>
byte_range range_of_matrix(const T* p, std::size_t rows, std::ptrdiff_t stride, std::size_t row_elems) {
  if (p == nullptr || rows == 0 || row_elems == 0) return {};
  const auto b = reinterpret_cast<std::uintptr_t>(p);
  return {b, b + ((rows - 1) * static_cast<std::size_t>(stride) + row_elems) * sizeof(T)};
}
template <class T, int Rank>
byte_range range_of_view(const strided_view<T, Rank>& v) {
  if (v.empty()) return {};
  std::size_t last = 0;
  for (int d = 0; d < Rank; ++d) last += (v.extent(d) - 1) * static_cast<std::size_t>(v.stride(d));
  const auto b = reinterpret_cast<std::uintptr_t>(v.data());
  return {b, b + (last + 1) * sizeof(T)};
}

// The buffers of a quantized view. `row_bytes`: the bytes of a data row, when its codes are packed other than as
// the format stores them (ao::cuda::nibble_packed: two affine codes a byte).
template <class F, bool Const>
std::vector<std::pair<const char*, byte_range>> ranges_of(const quantized_view<F, Const>& q, std::size_t row_bytes) {
  std::vector<std::pair<const char*, byte_range>> r;
  r.push_back({"data", range_of_matrix(q.data, q.rows, q.data_stride, row_bytes)});
  r.push_back({"scales", range_of_matrix(q.scales, q.scale_rows(), q.scales_stride, q.scale_cols())});
  if constexpr (has_zero_points_v<F>) {
    r.push_back({"zero_points", range_of_matrix(q.zero_points, q.scale_rows(), q.zero_points_stride, q.scale_cols())});
  }
  if (q.global_scale != nullptr) r.push_back({"global_scale", range_of_matrix(q.global_scale, 1, 1, 1)});
  return r;
}
template <class F, bool Const>
std::vector<std::pair<const char*, byte_range>> ranges_of(const quantized_view<F, Const>& q) {
  return ranges_of(q, q.data_row_bytes());
}

template <class F, bool Const>
void check_quantized_view(const char* op, const quantized_view<F, Const>& q, std::size_t row_bytes) {
  const std::string where = std::string(op) + "<" + format_name<F>() + ">: ";
  check_format_shape<F>(op, q.rows, q.cols);
  if (q.rows == 0 || q.cols == 0) return;
  if (q.data == nullptr) throw ao::error(where + "the quantized view's data is null");
  if (q.data_stride < static_cast<std::ptrdiff_t>(row_bytes)) {
    throw ao::error(where + "data_stride " + std::to_string(q.data_stride) + " is below the " +
                    std::to_string(row_bytes) + " bytes of a row");
  }
  if (q.scale_rows() > 0) {
    if (q.scales == nullptr) throw ao::error(where + "the quantized view's scales are null");
    if (q.scale_rows() > 1 && q.scales_stride < static_cast<std::ptrdiff_t>(q.scale_cols())) {
      throw ao::error(where + "scales_stride " + std::to_string(q.scales_stride) + " is below the " +
                      std::to_string(q.scale_cols()) + " scales of a row");
    }
    if constexpr (has_zero_points_v<F>) {
      if (q.zero_points == nullptr) throw ao::error(where + "the quantized view's zero_points are null");
      if (q.scale_rows() > 1 && q.zero_points_stride < static_cast<std::ptrdiff_t>(q.scale_cols())) {
        throw ao::error(where + "zero_points_stride " + std::to_string(q.zero_points_stride) + " is below the " +
                        std::to_string(q.scale_cols()) + " zero points of a row");
      }
    }
  }
  if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
    if (F::global_scale && q.global_scale == nullptr) throw ao::error(where + "the view's global_scale is null");
  }
}

template <class F, bool Const>
void check_quantized_view(const char* op, const quantized_view<F, Const>& q) {
  check_quantized_view(op, q, q.data_row_bytes());
}

inline void check_disjoint(const char* op, const std::vector<std::pair<const char*, byte_range>>& buffers) {
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    for (std::size_t j = i + 1; j < buffers.size(); ++j) {
      if (buffers[i].second.overlaps(buffers[j].second)) {
        throw ao::error(std::string(op) + ": " + buffers[i].first + " and " + buffers[j].first +
                        " overlap in memory (aliasing buffers are not allowed)");
      }
    }
  }
}

}  // namespace ao::detail
