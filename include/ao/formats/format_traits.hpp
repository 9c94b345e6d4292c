// ao/formats/format_traits.hpp: ao::format_traits<F>, what generic code needs to know about how a format F stores a
// row-major matrix of rows x cols values: the bytes of one row of element data, the shape and type of the scales
// and zero points, which shapes F accepts, and which values are computed over the whole tensor before its rows
// are quantized independently (the "tensor parameters").
//
// Every format family specializes it:
//   block_scaled (MX)      data rows x storage::row_bytes(cols) bytes (cols/2 fp4, cols fp8 and fp6 as torchao,
//                          cols*3/4 fp6 four in three); scales rows x cols/block codes of scale_type
//   basic_nvfp4            as MX with float8_e4m3fn scales; two level: tensor parameter = the fp32 global scale
//   float8_scaled          data rows x cols bytes; fp32 scales of torchao's shape (1x1, rows x 1, rows/R x cols/C);
//                          per_tensor: tensor parameter = the one scale
//   affine                 data rows x cols codes (int8 or uint8); scales and zero points one per group
//                          (per_tensor: tensor parameter = the one (scale, zero point))
// Element data is always row-major with a row stride; scales and zero points are row-major matrices with a row
// stride of their own (in elements of their type).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/error.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/formats/nvfp4.hpp"

namespace ao {

// Tensor parameters of a format that has none.
struct no_tensor_params {};

// A format without zero points stores this type for them (never read or written).
struct no_zero_point {};

namespace format_family {
struct block_scaled {};
struct nvfp4 {};
struct float8 {};
struct affine {};
}  // namespace format_family

template <class F, class = void>
struct format_traits;  // undefined: F is not a format ao knows

namespace detail {

// The common part: shapes and divisibility. RowMultiple / ColMultiple: rows and cols must be multiples of these.
template <std::size_t RowMultiple, std::size_t ColMultiple>
struct format_shape_rules {
  static constexpr std::size_t row_multiple = RowMultiple;
  static constexpr std::size_t col_multiple = ColMultiple;
  static constexpr bool accepts(std::size_t rows, std::size_t cols) noexcept {
    return rows % RowMultiple == 0 && cols % ColMultiple == 0;
  }
};

template <class G>
struct granularity_shape;
template <>
struct granularity_shape<per_tensor> {
  static constexpr std::size_t row_multiple = 1, col_multiple = 1;
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t cols) noexcept {
    return rows * cols == 0 ? 0 : 1;
  }
  static constexpr std::size_t scale_cols(std::size_t rows, std::size_t cols) noexcept {
    return rows * cols == 0 ? 0 : 1;
  }
};
template <>
struct granularity_shape<per_row> {
  static constexpr std::size_t row_multiple = 1, col_multiple = 1;
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t cols) noexcept { return cols == 0 ? 0 : rows; }
  static constexpr std::size_t scale_cols(std::size_t, std::size_t cols) noexcept { return cols == 0 ? 0 : 1; }
};
template <int G>
struct granularity_shape<group<G>> {
  static constexpr std::size_t row_multiple = 1, col_multiple = static_cast<std::size_t>(G);
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t cols) noexcept { return cols == 0 ? 0 : rows; }
  static constexpr std::size_t scale_cols(std::size_t, std::size_t cols) noexcept { return cols / G; }
};
template <int R, int C>
struct granularity_shape<per_block<R, C>> {
  static constexpr std::size_t row_multiple = static_cast<std::size_t>(R), col_multiple = static_cast<std::size_t>(C);
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t) noexcept { return rows / R; }
  static constexpr std::size_t scale_cols(std::size_t, std::size_t cols) noexcept { return cols / C; }
};

}  // namespace detail

// MX and any other block_scaled format, whatever its element packing (P).
template <class E, class B, class S, class R, class P>
struct format_traits<block_scaled<E, B, S, R, P>>
    : detail::format_shape_rules<1, static_cast<std::size_t>(block_scaled<E, B, S, R, P>::block_size)> {
  using format = block_scaled<E, B, S, R, P>;
  using family = format_family::block_scaled;
  using scale_type = S;  // one code (a byte) per block
  using zero_point_type = no_zero_point;
  using tensor_params = no_tensor_params;
  static constexpr int elements_per_byte = format::elements_per_byte;  // 0 for packings whose codes straddle bytes
  // cols a multiple of the block: cols / 2 (torchao fp4), cols (torchao fp8, fp6), cols * 3 / 4 (fp6_4in3).
  static constexpr std::size_t data_row_bytes(std::size_t cols) noexcept { return format::storage::row_bytes(cols); }
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t) noexcept { return rows; }
  static constexpr std::size_t scale_cols(std::size_t, std::size_t cols) noexcept { return cols / format::block_size; }
};

// NVFP4, single and two level.
template <bool G>
struct format_traits<basic_nvfp4<G>> : detail::format_shape_rules<1, 16> {
  using format = basic_nvfp4<G>;
  using family = format_family::nvfp4;
  using scale_type = float8_e4m3fn;
  using zero_point_type = no_zero_point;
  struct global_scale_params {
    float global_scale;  // torchao's per_tensor_scale: fp32(amax) / 2688
  };
  using tensor_params = std::conditional_t<G, global_scale_params, no_tensor_params>;
  static constexpr int elements_per_byte = 2;
  static constexpr std::size_t data_row_bytes(std::size_t cols) noexcept { return cols / 2; }
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t) noexcept { return rows; }
  static constexpr std::size_t scale_cols(std::size_t, std::size_t cols) noexcept { return cols / 16; }
};

// FP8 with a float scale.
template <class E, class G, class C, class A>
struct format_traits<float8_scaled<E, G, C, A>>
    : detail::format_shape_rules<detail::granularity_shape<G>::row_multiple,
                                 detail::granularity_shape<G>::col_multiple> {
  using format = float8_scaled<E, G, C, A>;
  using family = format_family::float8;
  using scale_type = float;
  using zero_point_type = no_zero_point;
  struct per_tensor_params {
    float scale;
  };
  using tensor_params = std::conditional_t<std::is_same_v<G, per_tensor>, per_tensor_params, no_tensor_params>;
  static constexpr int elements_per_byte = 1;
  static constexpr std::size_t data_row_bytes(std::size_t cols) noexcept { return cols; }
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t cols) noexcept {
    return detail::granularity_shape<G>::scale_rows(rows, cols);
  }
  static constexpr std::size_t scale_cols(std::size_t rows, std::size_t cols) noexcept {
    return detail::granularity_shape<G>::scale_cols(rows, cols);
  }
};

// Affine integers (one code per byte, torchao's IntxUnpackedToInt8 / Int8Tensor storage).
template <class T, class M, class G, class S, class Z, class E>
struct format_traits<affine<T, M, G, S, Z, E>>
    : detail::format_shape_rules<1, detail::granularity_shape<G>::col_multiple> {
  using format = affine<T, M, G, S, Z, E>;
  using family = format_family::affine;
  using scale_type = S;
  using zero_point_type = typename format::zero_point_type;
  struct per_tensor_params {
    S scale;
    zero_point_type zero_point;
  };
  using tensor_params = std::conditional_t<std::is_same_v<G, per_tensor>, per_tensor_params, no_tensor_params>;
  static constexpr int elements_per_byte = 1;
  static constexpr std::size_t data_row_bytes(std::size_t cols) noexcept { return cols; }
  static constexpr std::size_t scale_rows(std::size_t rows, std::size_t cols) noexcept {
    return detail::granularity_shape<G>::scale_rows(rows, cols);
  }
  static constexpr std::size_t scale_cols(std::size_t rows, std::size_t cols) noexcept {
    return detail::granularity_shape<G>::scale_cols(rows, cols);
  }
};

template <class F, class = void>
struct is_format : std::false_type {};
template <class F>
struct is_format<F, std::void_t<typename format_traits<F>::family>> : std::true_type {};
template <class F>
inline constexpr bool is_format_v = is_format<F>::value;

template <class F>
using scale_storage_t = typename format_traits<F>::scale_type;
template <class F>
using zero_point_storage_t = typename format_traits<F>::zero_point_type;
template <class F>
using tensor_params_t = typename format_traits<F>::tensor_params;
template <class F>
inline constexpr bool has_zero_points_v = !std::is_same_v<zero_point_storage_t<F>, no_zero_point>;

// ao::error unless F accepts a rows x cols matrix (the block, group or tile must divide it). An empty matrix
// (rows or cols 0) is always accepted: it has no values, hence no block to straddle.
template <class F>
void check_format_shape(const char* op, std::size_t rows, std::size_t cols) {
  using T = format_traits<F>;
  if (rows != 0 && cols != 0 && !T::accepts(rows, cols)) {
    std::string what = std::string(op) + ": a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix (";
    what += "rows x last dim) does not divide into the format's ";
    what += T::row_multiple > 1 ? std::to_string(T::row_multiple) + " x " + std::to_string(T::col_multiple) + " tiles"
                                : "blocks of " + std::to_string(T::col_multiple) + " values along the last dim";
    what += " (pad the last dim to a multiple, or quantize with ao::pad_last_dim)";
    throw ao::error(what);
  }
}

}  // namespace ao
