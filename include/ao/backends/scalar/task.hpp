// ao/backends/scalar/task.hpp: the scalar oracle behind ao::backend::scalar: quantize and dequantize one
// ao::quantize_task / ao::dequantize_task (ao/backends/task.hpp) of any format, from and to fp32, bf16 and fp16,
// plus the whole-tensor reductions and the tensor parameters they give. Built from the per-family oracles
// (block_scaled.hpp, nvfp4.hpp, float8.hpp, affine.hpp); this file only walks the task's strides and converts the
// source dtype, so every byte rule lives in exactly one place.
//
// Source dtypes. A bf16/fp16 source is widened to fp32 (exact) and quantized as torchao quantizes a tensor of that
// dtype: MX and NVFP4 compute in fp32 either way; FP8 and affine compute their scales in the input dtype.
// Output dtypes. fp32, or bf16/fp16 as torchao's dequantize(output_dtype) computes them (each family's oracle says
// how); NVFP4's two-level scale to a 16-bit output is g * s computed in that dtype (the original dtype).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/backends/scalar/nvfp4.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/layout/bit_packing.hpp"

namespace ao::scalar {
namespace detail {

// A source row as fp32: the row itself for float, else a widened copy in `buffer`.
template <class Src>
const float* row_as_float(const Src* row, std::size_t cols, std::vector<float>& buffer) {
  if constexpr (std::is_same_v<Src, float>) {
    return row;
  } else {
    buffer.resize(cols);
    for (std::size_t c = 0; c < cols; ++c) buffer[c] = float(row[c]);
    return buffer.data();
  }
}

template <class Dst>
constexpr Dst from_float(float v) noexcept {
  if constexpr (std::is_same_v<Dst, float>) {
    return v;
  } else {
    return Dst(v);
  }
}

// NVFP4's codes to and from storage: two a byte, element 2i in the low nibble, when 4-bit (torchao's pack_uint4,
// ao/layout/bit_packing.hpp); one a byte otherwise. (Block-scaled formats use their element packing's
// F::storage, ao/formats/element_packing.hpp.)
template <int ElementsPerByte>
void pack_codes(const std::uint8_t* codes, std::size_t n, std::uint8_t* out) {
  if constexpr (ElementsPerByte == 2) {
    layout::pack_nibbles<layout::nibble_order::low_first>(codes, n, out);
  } else {
    std::copy(codes, codes + n, out);
  }
}
template <int ElementsPerByte>
void unpack_codes(const std::uint8_t* in, std::size_t n, std::uint8_t* codes) {
  if constexpr (ElementsPerByte == 2) {
    layout::unpack_nibbles<layout::nibble_order::low_first>(in, n, codes);
  } else {
    std::copy(in, in + n, codes);
  }
}

}  // namespace detail

// ---- Whole-tensor reductions ----

// The abs max of two parts (each >= 0 or NaN): the larger as bits, so NaN wins.
inline float abs_max_merge(float a, float b) noexcept {
  const std::uint32_t x = ao::detail::bit_cast<std::uint32_t>(a), y = ao::detail::bit_cast<std::uint32_t>(b);
  return ao::detail::bit_cast<float>(x > y ? x : y);
}

// max |x| over a band of rows (NaN if any is NaN; 0 when empty).
template <class Src>
float abs_max(const rows_view<Src>& v) {
  float amax = 0.0f;
  std::vector<float> buffer;
  for (std::size_t r = 0; r < v.rows; ++r) {
    const float* row = detail::row_as_float(v.src + static_cast<std::ptrdiff_t>(r) * v.src_stride, v.cols, buffer);
    amax = abs_max_merge(amax, detail::abs_max(row, v.cols));
  }
  return amax;
}

// min and max over a band of rows (NaN propagates); {0, 0} when empty.
template <class Src>
affine_range min_max(const rows_view<Src>& v) {
  affine_range range{0.0f, 0.0f};
  bool first = true;
  std::vector<float> buffer;
  for (std::size_t r = 0; r < v.rows && v.cols > 0; ++r) {
    const float* row = detail::row_as_float(v.src + static_cast<std::ptrdiff_t>(r) * v.src_stride, v.cols, buffer);
    const affine_range part = affine_min_max<Src>(row, v.cols);
    range = first ? part : affine_merge(range, part);
    first = false;
  }
  return range;
}

// ---- Quantize ----

// MX and every block_scaled format, with any element packing (P).
template <class E, class B, class S, class R, class P, class Src>
void quantize(const quantize_task<block_scaled<E, B, S, R, P>, Src>& t) {
  using F = block_scaled<E, B, S, R, P>;
  constexpr std::size_t block_bytes = F::storage::row_bytes(F::block_size);
  std::vector<float> buffer;
  for (std::size_t r = 0; r < t.rows; ++r) {
    const float* x = detail::row_as_float(t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride, t.cols, buffer);
    std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
    S* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
    for (std::size_t b = 0; b < t.cols / F::block_size; ++b) {
      scales[b] = S::from_bits(quantize_stored_block<F>(x + b * F::block_size, data + b * block_bytes));
    }
  }
}

// NVFP4, single and two level.
template <bool G, class Src>
void quantize(const quantize_task<basic_nvfp4<G>, Src>& t) {
  std::vector<float> buffer;
  std::uint8_t codes[nvfp4::block_size];
  for (std::size_t r = 0; r < t.rows; ++r) {
    const float* x = detail::row_as_float(t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride, t.cols, buffer);
    std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
    float8_e4m3fn* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
    for (std::size_t b = 0; b < t.cols / nvfp4::block_size; ++b) {
      const float* block = x + b * nvfp4::block_size;
      std::uint8_t s = 0;
      if constexpr (G) {
        s = nvfp4_quantize_block(block, t.tensor.global_scale, codes);
      } else {
        s = nvfp4_quantize_block(block, codes);
      }
      scales[b] = float8_e4m3fn::from_bits(s);
      detail::pack_codes<2>(codes, nvfp4::block_size, data + b * nvfp4::block_size / 2);
    }
  }
}

// FP8 with a float scale: per_tensor uses the task's tensor scale; per_row and per_block<R, C> compute theirs.
template <class E, class G, class C, class A, class Src>
void quantize(const quantize_task<float8_scaled<E, G, C, A>, Src>& t) {
  using F = float8_scaled<E, G, C, A>;
  std::vector<float> buffer;
  if constexpr (std::is_same_v<G, per_tensor>) {
    for (std::size_t r = 0; r < t.rows; ++r) {
      const float* x = detail::row_as_float(t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride, t.cols, buffer);
      std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
      for (std::size_t c = 0; c < t.cols; ++c) data[c] = quantize_value<F>(x[c], t.tensor.scale);
    }
  } else {
    // A tile is tile_rows x tile_cols values (per_row: 1 x cols).
    if (t.cols == 0) return;
    std::size_t tile_rows = 1, tile_cols = t.cols;
    if constexpr (!std::is_same_v<G, per_row>) {
      tile_rows = static_cast<std::size_t>(G::rows);
      tile_cols = static_cast<std::size_t>(G::cols);
    }
    std::vector<float> rows_buffer(tile_rows * t.cols);
    for (std::size_t r0 = 0; r0 < t.rows; r0 += tile_rows) {
      for (std::size_t i = 0; i < tile_rows; ++i) {
        const Src* row = t.src + static_cast<std::ptrdiff_t>(r0 + i) * t.src_stride;
        for (std::size_t c = 0; c < t.cols; ++c) rows_buffer[i * t.cols + c] = float(row[c]);
      }
      float* scales = t.scales + static_cast<std::ptrdiff_t>(r0 / tile_rows) * t.scales_stride;
      for (std::size_t c0 = 0; c0 < t.cols; c0 += tile_cols) {
        std::uint32_t amax_bits = 0;
        for (std::size_t i = 0; i < tile_rows; ++i) {
          for (std::size_t c = c0; c < c0 + tile_cols; ++c) {
            const std::uint32_t a = detail::abs_bits(rows_buffer[i * t.cols + c]);
            amax_bits = a > amax_bits ? a : amax_bits;
          }
        }
        const float scale = float8_scale<F, Src>(ao::detail::bit_cast<float>(amax_bits));
        scales[c0 / tile_cols] = scale;
        for (std::size_t i = 0; i < tile_rows; ++i) {
          std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r0 + i) * t.data_stride;
          for (std::size_t c = c0; c < c0 + tile_cols; ++c) data[c] = quantize_value<F>(rows_buffer[i * t.cols + c], scale);
        }
      }
    }
  }
}

// Affine integers: per_tensor uses the task's qparams; per_row and group<G> compute one pair per group.
template <class T, class M, class G, class S, class Z, class E, class Src>
void quantize(const quantize_task<affine<T, M, G, S, Z, E>, Src>& t) {
  using F = affine<T, M, G, S, Z, E>;
  using Code = typename F::code_type;
  std::vector<float> buffer;
  const std::size_t length = std::is_same_v<G, per_tensor> ? t.cols : ao::detail::affine_group_length<F>(1, t.cols);
  if (t.cols == 0) return;
  for (std::size_t r = 0; r < t.rows; ++r) {
    const float* x = detail::row_as_float(t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride, t.cols, buffer);
    Code* codes = reinterpret_cast<Code*>(t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride);
    for (std::size_t g = 0; g < t.cols / length; ++g) {
      affine_qparams<F> p{};
      if constexpr (std::is_same_v<G, per_tensor>) {
        p = {t.tensor.scale, t.tensor.zero_point};
      } else {
        p = choose_qparams_group<F, Src>(x + g * length, length);
        t.scales[static_cast<std::ptrdiff_t>(r) * t.scales_stride + static_cast<std::ptrdiff_t>(g)] = p.scale;
        t.zero_points[static_cast<std::ptrdiff_t>(r) * t.zero_points_stride + static_cast<std::ptrdiff_t>(g)] =
            p.zero_point;
      }
      quantize_group<F, Src>(x + g * length, length, p, codes + g * length);
    }
  }
}

// ---- Dequantize ----

template <class E, class B, class S, class R, class P, class Dst>
void dequantize(const dequantize_task<block_scaled<E, B, S, R, P>, Dst>& t) {
  using F = block_scaled<E, B, S, R, P>;
  constexpr std::size_t block_bytes = F::storage::row_bytes(F::block_size);
  for (std::size_t r = 0; r < t.rows; ++r) {
    const std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
    const S* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
    Dst* out = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
    for (std::size_t b = 0; b < t.cols / F::block_size; ++b) {
      dequantize_stored_block<F, Dst>(data + b * block_bytes, scales[b].bits(), out + b * F::block_size);
    }
  }
}

template <bool G, class Dst>
void dequantize(const dequantize_task<basic_nvfp4<G>, Dst>& t) {
  std::uint8_t codes[nvfp4::block_size];
  for (std::size_t r = 0; r < t.rows; ++r) {
    const std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
    const float8_e4m3fn* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
    Dst* out = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
    for (std::size_t b = 0; b < t.cols / nvfp4::block_size; ++b) {
      detail::unpack_codes<2>(data + b * nvfp4::block_size / 2, nvfp4::block_size, codes);
      if constexpr (G) {
        nvfp4_dequantize_block(codes, scales[b].bits(), t.tensor.global_scale, out + b * nvfp4::block_size);
      } else {
        nvfp4_dequantize_block(codes, scales[b].bits(), out + b * nvfp4::block_size);
      }
    }
  }
}

template <class E, class G, class C, class A, class Dst>
void dequantize(const dequantize_task<float8_scaled<E, G, C, A>, Dst>& t) {
  using F = float8_scaled<E, G, C, A>;
  for (std::size_t r = 0; r < t.rows; ++r) {
    const std::uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
    Dst* out = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
    for (std::size_t c = 0; c < t.cols; ++c) {
      float scale = 0.0f;
      if constexpr (std::is_same_v<G, per_tensor>) {
        scale = t.tensor.scale;
      } else if constexpr (std::is_same_v<G, per_row>) {
        scale = t.scales[static_cast<std::ptrdiff_t>(r) * t.scales_stride];
      } else {
        scale = t.scales[static_cast<std::ptrdiff_t>(r / G::rows) * t.scales_stride +
                         static_cast<std::ptrdiff_t>(c / G::cols)];
      }
      out[c] = detail::from_float<Dst>(dequantize_value<F, Dst>(data[c], scale));
    }
  }
}

template <class T, class M, class G, class S, class Z, class E, class Dst>
void dequantize(const dequantize_task<affine<T, M, G, S, Z, E>, Dst>& t) {
  using F = affine<T, M, G, S, Z, E>;
  using Code = typename F::code_type;
  if (t.cols == 0) return;
  const std::size_t length = std::is_same_v<G, per_tensor> ? t.cols : ao::detail::affine_group_length<F>(1, t.cols);
  for (std::size_t r = 0; r < t.rows; ++r) {
    const Code* codes = reinterpret_cast<const Code*>(t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride);
    Dst* out = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
    for (std::size_t g = 0; g < t.cols / length; ++g) {
      affine_qparams<F> p{};
      if constexpr (std::is_same_v<G, per_tensor>) {
        p = {t.tensor.scale, t.tensor.zero_point};
      } else {
        p = {t.scales[static_cast<std::ptrdiff_t>(r) * t.scales_stride + static_cast<std::ptrdiff_t>(g)],
             t.zero_points[static_cast<std::ptrdiff_t>(r) * t.zero_points_stride + static_cast<std::ptrdiff_t>(g)]};
      }
      dequantize_group<F, Dst>(codes + g * length, length, p, out + g * length);
    }
  }
}

// ---- Tensor parameters from whole-tensor statistics ----

// What ao::quantize reduces over the whole tensor before the bands are quantized, per family: nothing, the abs
// max (NVFP4 two level, FP8 per tensor) or the min and max (affine per tensor).
template <class F>
struct tensor_statistic {
  static constexpr bool none = std::is_same_v<tensor_params_t<F>, no_tensor_params>;
  static constexpr bool range = !none && std::is_same_v<typename format_traits<F>::family, format_family::affine>;
};

// The tensor parameters of a tensor of dtype Src whose abs max is `amax` (NVFP4 global scale, FP8 per tensor).
template <class F, class Src>
tensor_params_t<F> tensor_params_from_abs_max(float amax) {
  if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
    return {nvfp4_global_scale(amax)};
  } else {
    return {float8_scale<F, Src>(amax)};
  }
}
// The affine per-tensor qparams of a tensor of dtype Src with range `range`.
template <class F, class Src>
tensor_params_t<F> tensor_params_from_range(affine_range range) {
  const affine_qparams<F> p = qparams_from_range<F, Src>(range);
  return {p.scale, p.zero_point};
}

}  // namespace ao::scalar
