// ao/backends/cuda/affine_kernels.cuh: the GPU kernels of affine integer quantization (ao::affine, numerics spec
// §4: torchao's choose_qparams_affine + quantize_affine + dequantize_affine, and the tinygemm form), per row,
// group-wise and per tensor. They call the scalar oracle's own functions (ao/backends/scalar/affine.hpp:
// affine_range_of / affine_extend, affine_merge, qparams_from_range, affine_quantizer, dequantize_code), so the
// bytes are the oracle's, the input-dtype arithmetic included.
//
//   affine_quantize_kernel<F, Src, V, Held>  a team of `team` lanes (a power of two up to 32, within one warp) per
//                                       group (per row: the row; per tensor: the row, with the tensor's qparams);
//                                       each lane takes runs of V consecutive values. Pass 1: the group's range
//                                       (affine_extend over a lane's values, affine_merge across the team's
//                                       lanes); the team's first lane writes the qparams. Pass 2 writes the
//                                       codes, V bytes a store, from registers when a lane has one run (groups up
//                                       to 32 lanes x V), else loading the group again (L1/L2).
//   affine_range_keys_kernel<Src, V>    per tensor, pass 0: the whole tensor's min and max as order-preserving
//                                       32-bit keys, and whether it holds a NaN (atomics into 3 words).
//   affine_tensor_qparams_kernel<F, Src>  one thread: the tensor's qparams from those keys, into scales[0] and
//                                       zero_points[0].
//   affine_dequantize_kernel<F, Dst, V> V values a thread (one group: V divides the group length).
//
// Ranges: min and max do not depend on the order of the reduction, except for the sign of a zero bound (the
// oracle keeps the first of two equal values), which never changes the qparams: every use of a bound either
// compares it with 0, adds it to a nonzero value or subtracts it from the other bound, whose zero result is then
// raised to eps. A group of one value keeps that value's NaN bits, as the oracle does; two or more give the
// oracle's canonical NaN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/backends/scalar/affine.hpp"
#include "ao/config.hpp"
#include "ao/formats/affine.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

// The order-preserving key of a non-NaN float (-inf < ... < -0 < +0 < ... < +inf as unsigned integers).
AO_DEVICE AO_FORCEINLINE std::uint32_t range_key(float x) {
  const std::uint32_t b = ao::detail::bit_cast<std::uint32_t>(x);
  return (b & 0x80000000u) != 0 ? ~b : (b | 0x80000000u);
}
AO_DEVICE AO_FORCEINLINE float range_value(std::uint32_t key) {
  return ao::detail::bit_cast<float>((key & 0x80000000u) != 0 ? (key & 0x7FFFFFFFu) : ~key);
}

// keys[0] = min key (the caller sets it to 0xFFFFFFFF), keys[1] = max key (0), keys[2] = 1 when a value is NaN (0).
template <class Src, int V>
__global__ void __launch_bounds__(256)
    affine_range_keys_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t rows,
                             std::size_t cols, std::uint32_t* AO_RESTRICT keys, bool wide) {
  const unsigned per_row = static_cast<unsigned>(cols / V);
  std::uint32_t lo = 0xFFFFFFFFu, hi = 0, nan = 0;
  for (std::size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const Src* row = src + static_cast<std::ptrdiff_t>(r) * src_stride;
    for (unsigned v = blockIdx.x * blockDim.x + threadIdx.x; v < per_row; v += gridDim.x * blockDim.x) {
      float x[V];
      load_values<V>(row + static_cast<std::size_t>(v) * V, x, wide);
      AO_UNROLL
      for (int j = 0; j < V; ++j) {
        if (x[j] != x[j]) {
          nan = 1;
        } else {
          const std::uint32_t k = range_key(x[j]);
          lo = min(lo, k);
          hi = max(hi, k);
        }
      }
    }
  }
  AO_UNROLL
  for (int o = 16; o > 0; o /= 2) {
    lo = min(lo, shuffle_xor(lo, o));
    hi = max(hi, shuffle_xor(hi, o));
    nan |= shuffle_xor(nan, o);
  }
  if (threadIdx.x % 32u == 0) {
    if (lo != 0xFFFFFFFFu) atomicMin(keys, lo);
    if (hi != 0) atomicMax(keys + 1, hi);
    if (nan != 0) atomicOr(keys + 2, nan);
  }
}

// The tensor's qparams (the oracle's qparams_from_range<F, Src>) from the keys; `single` is the tensor's only
// value when it has one (its range keeps that value's NaN bits, as the oracle's does), else null.
template <class F, class Src>
__global__ void affine_tensor_qparams_kernel(const std::uint32_t* AO_RESTRICT keys, const Src* single,
                                             typename F::scale_type* AO_RESTRICT scales,
                                             typename F::zero_point_type* AO_RESTRICT zero_points) {
  scalar::affine_range range{};
  if (single != nullptr) {
    range = scalar::affine_range_of<Src>(widen(*single));
  } else if (keys[2] != 0) {
    range = {ao::detail::affine_nan(), ao::detail::affine_nan()};
  } else {
    range = {range_value(keys[0]), range_value(keys[1])};
  }
  const scalar::affine_qparams<F> p = scalar::qparams_from_range<F, Src>(range);
  scales[0] = p.scale;
  zero_points[0] = p.zero_point;
}

// Groups of `length` values (length % V == 0; cols % length == 0), `team` lanes each (a power of two <= 32, at
// most length / V). Held > 0: a lane's runs (at most Held: length <= team * V * Held) stay in registers between
// the passes; Held == 0: pass 2 loads them again. Per tensor (F's granularity): length = cols and the qparams are
// read from scales[0] and zero_points[0]; nothing else is written there. A grid-stride loop over warps, uniform
// within each warp (the lanes of a team past the last group take part in the shuffles only).
template <class F, class Src, int V, int Held>
__global__ void __launch_bounds__(256)
    affine_quantize_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t rows, std::size_t cols,
                           std::size_t length, unsigned team, std::uint8_t* AO_RESTRICT data,
                           std::ptrdiff_t data_stride, typename F::scale_type* AO_RESTRICT scales,
                           std::ptrdiff_t scales_stride, typename F::zero_point_type* AO_RESTRICT zero_points,
                           std::ptrdiff_t zero_points_stride, bool wide_src, bool wide_data) {
  constexpr bool tensor = std::is_same_v<typename F::granularity, per_tensor>;
  const std::size_t groups_per_row = cols / length, groups = rows * groups_per_row;
  const unsigned lane = threadIdx.x % 32u, member = lane % team, teams_per_warp = 32u / team;
  const std::size_t first_warp = (static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32u;
  const std::size_t warps = static_cast<std::size_t>(gridDim.x) * blockDim.x / 32u;
  for (std::size_t w = first_warp; w * teams_per_warp < groups; w += warps) {
    const std::size_t g = w * teams_per_warp + lane / team;
    const bool active = g < groups;
    const std::size_t r = active ? g / groups_per_row : 0, c0 = active ? g % groups_per_row * length : 0;
    const Src* x = src + static_cast<std::ptrdiff_t>(r) * src_stride + c0;
    std::uint8_t* out = data + static_cast<std::ptrdiff_t>(r) * data_stride + c0;
    float held[Held > 0 ? Held : 1][V];
    // The codes of the run at i (its values in v) into out.
    auto encode = [&](std::size_t i, const float* v, const scalar::affine_quantizer<F, Src>& quantize_value) {
      std::uint8_t bytes[V];
      AO_UNROLL
      for (int j = 0; j < V; ++j) bytes[j] = static_cast<std::uint8_t>(quantize_value(v[j]));
      store_bytes<V>(out + i, bytes, wide_data);
    };
    scalar::affine_qparams<F> p{};
    if constexpr (tensor) {
      p = {scales[0], zero_points[0]};
    } else {
      scalar::affine_range range{};
      bool has = false;
      auto add = [&](const float* v) {
        AO_UNROLL
        for (int j = 0; j < V; ++j) {
          range = has ? scalar::affine_extend<Src>(range, v[j]) : scalar::affine_range_of<Src>(v[j]);
          has = true;
        }
      };
      if constexpr (Held > 0) {
        AO_UNROLL
        for (int k = 0; k < Held; ++k) {
          const std::size_t i = (member + static_cast<std::size_t>(k) * team) * V;
          if (active && i < length) {
            load_values<V>(x + i, held[k], wide_src);
            add(held[k]);
          }
        }
      } else {
        for (std::size_t i = member * V; active && i < length; i += team * V) {
          float v[V];
          load_values<V>(x + i, v, wide_src);
          add(v);
        }
      }
      for (unsigned o = team / 2; o > 0; o /= 2) {
        const scalar::affine_range other{shuffle_xor(range.lo, static_cast<int>(o)),
                                         shuffle_xor(range.hi, static_cast<int>(o))};
        const bool other_has = shuffle_xor(static_cast<int>(has), static_cast<int>(o)) != 0;
        if (other_has) range = has ? scalar::affine_merge(range, other) : other;
        has = has || other_has;
      }
      p = scalar::qparams_from_range<F, Src>(range);
      if (active && member == 0) {
        const std::size_t gi = c0 / length;
        scales[static_cast<std::ptrdiff_t>(r) * scales_stride + static_cast<std::ptrdiff_t>(gi)] = p.scale;
        zero_points[static_cast<std::ptrdiff_t>(r) * zero_points_stride + static_cast<std::ptrdiff_t>(gi)] =
            p.zero_point;
      }
    }
    const scalar::affine_quantizer<F, Src> quantize_value(p);
    if constexpr (Held > 0 && !tensor) {
      AO_UNROLL
      for (int k = 0; k < Held; ++k) {
        const std::size_t i = (member + static_cast<std::size_t>(k) * team) * V;
        if (active && i < length) encode(i, held[k], quantize_value);
      }
    } else {
      for (std::size_t i = member * V; active && i < length; i += team * V) {
        float v[V];
        load_values<V>(x + i, v, wide_src);
        encode(i, v, quantize_value);
      }
    }
  }
}

// Row-grid (runtime.cuh's row_grid over rows x cols / V): V values a thread, V divides `length`, the group length
// (cols per tensor and per row).
template <class F, class Dst, int V>
__global__ void __launch_bounds__(256)
    affine_dequantize_kernel(const std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride,
                             const typename F::scale_type* AO_RESTRICT scales, std::ptrdiff_t scales_stride,
                             const typename F::zero_point_type* AO_RESTRICT zero_points,
                             std::ptrdiff_t zero_points_stride, std::size_t length, std::size_t rows,
                             std::size_t cols, Dst* AO_RESTRICT dst, std::ptrdiff_t dst_stride, bool wide_data,
                             bool wide_dst) {
  using code_type = typename F::code_type;
  constexpr bool tensor = std::is_same_v<typename F::granularity, per_tensor>;
  const unsigned per_row = static_cast<unsigned>(cols / V);
  for (std::size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const std::uint8_t* codes = data + static_cast<std::ptrdiff_t>(r) * data_stride;
    Dst* out = dst + static_cast<std::ptrdiff_t>(r) * dst_stride;
    for (unsigned v = blockIdx.x * blockDim.x + threadIdx.x; v < per_row; v += gridDim.x * blockDim.x) {
      const std::size_t c0 = static_cast<std::size_t>(v) * V;
      scalar::affine_qparams<F> p{};
      if constexpr (tensor) {
        p = {scales[0], zero_points[0]};
      } else {
        const auto gi = static_cast<std::ptrdiff_t>(c0 / length), row = static_cast<std::ptrdiff_t>(r);
        p = {scales[row * scales_stride + gi], zero_points[row * zero_points_stride + gi]};
      }
      std::uint8_t bytes[V];
      load_bytes<V>(bytes, codes + c0, wide_data);
      float y[V];
      AO_UNROLL
      for (int j = 0; j < V; ++j) {
        y[j] = scalar::dequantize_code<F, Dst>(static_cast<float>(static_cast<code_type>(bytes[j])), p);
      }
      store_values<V>(out + c0, y, wide_dst);
    }
  }
}

}  // namespace ao::cuda::detail
