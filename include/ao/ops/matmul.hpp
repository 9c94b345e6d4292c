// ao/ops/matmul.hpp: ao::matmul, the weight-only quantized matmul (torch's F.linear with a quantized weight):
//
//   ao::matmul(x, w, y, options...)          y[m, n] = sum over k of x[m, k] * W[n, k]
//   ao::matmul(x, w, bias, y, options...)    y[m, n] = bias[n] + sum over k of x[m, k] * W[n, k]
//
//   x     ao::strided_view<const Src, 2>, M x K, Src = float or ao::bfloat16; rows may be strided, a row is
//         contiguous (stride 1)
//   w     ao::quantized_view<F> (or const, or an ao::quantized_tensor<F> of rank 2): N x K, any format F whose
//         layout is row-blocked along K (every format of the registry). W[n, k] is its dequantized value in fp32,
//         exactly what ao::dequantize to float gives (the scalar oracle's value; the Highway kernels give the same
//         bits)
//   bias  ao::strided_view<const float, 1> of N values (contiguous)
//   y     ao::strided_view<Dst, 2>, M x N, Dst = float or ao::bfloat16 (rounded to nearest even once, at the end)
// Options, in any order, each at most once (as for ao::quantize):
//   a backend tag   ao::backend::highway{} (default) or ao::backend::scalar{} (the reference)
//   an executor     anything with parallel_for(n, fn) (ao/executor.hpp); default: the calling thread only. Work is
//                   split over N (bands of W rows), so results do not depend on the executor.
//
// Accumulation (fp32, deterministic):
//   scalar   for each (m, n): s = 0; for k = 0, 1, ..., K-1: s = fma(x[m, k], W[n, k], s) (std::fma: one rounding
//            per step whatever the compiler's contraction flags); y = Dst(s + bias[n]) (or Dst(s)).
//   highway  M >= 32 (GEMM): the scalar backend's order, so on targets with FMA (AVX2 and later, NEON) the result
//            is the scalar backend's bit for bit. M < 32 (GEMV, decode): K is cut into chunks of about 512 values
//            (whole blocks, groups and tiles, a multiple of 16); for each chunk, a vector dot product (lane i sums
//            k = i mod L, one MulAdd per step, then the lanes are summed, ao/backends/hwy/matmul-inl.h) is added to
//            s, chunk after chunk in increasing k; y = Dst(s + bias[n]). The order depends on M's side of 32 and on
//            the target's vector width L, never on the executor or the strides.
//   Both are within the usual bound of a float sum of K products: |y - exact| <= gamma_K * sum_k |x W| (before the
//   bias and the final rounding to Dst), gamma_K = K u / (1 - K u), u = 2^-24; tests/ops/matmul_test.cc checks it
//   elementwise, and a relative Frobenius error against a float64 matmul of the same dequantized W.
//
// Method of the Highway backend: W is never dequantized whole.
//   M < 32: per band of W rows (an executor task), each tile of 4 W rows x one chunk of K is decoded by the format's
//   Highway dequantize kernel into an fp32 scratch of 8 KiB (L1-resident) and multiplied with every row of x; W is
//   streamed exactly once. x is converted to fp32 once per call (a copy only when it is bf16 or K is not a multiple
//   of 16). Affine and FP8 formats with one or two x rows skip the scratch: ao::highway::matmul_dot_fused decodes in
//   registers, with bit-identical results.
//   M >= 32: x is copied once, transposed, into panels of 64 rows (an fp32 copy the size of x); per band of 48 W
//   rows, per block of 256 x rows, per chunk of about 128 values of K, each tile of 6 W rows is decoded into a 3 KiB
//   scratch and multiplied with the block's panels by ao::highway::matmul_panel (6 x 64 outputs in registers, one
//   broadcast weight times vectors of 16 rows of x per step). W is decoded once per block of 256 x rows.
//
// What is checked (ao::error naming the argument and the rule; nothing is written on error): x.cols == K,
// y is M x N and its rows do not overlap, bias has N values; last dims contiguous, no negative stride, no null data
// when not empty; W's view (format shape, strides, null pointers; a quantized_tensor must not be padded: its logical
// last dim must equal the stored one); y does not overlap x, W's buffers or bias. M = 0 or N = 0: nothing is
// written; K = 0: y = bias (or 0).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backend.hpp"
#include "ao/backends/hwy/matmul.hpp"
#include "ao/error.hpp"
#include "ao/executor.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/ops/matmul_checks.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

namespace ao {
namespace detail {

// A quantized matmul operand as a read-only view: a view as it is; a tensor must be 2-D and unpadded. `who` names
// it in errors ("W", rows x cols called "N x K"; or "x", "M x K").
template <class F, bool Const>
const_quantized_view<F> matmul_operand(const char*, const char*, const quantized_view<F, Const>& q) {
  return q;
}
template <class F>
const_quantized_view<F> matmul_operand(const char* who, const char* dims, const quantized_tensor<F>& q) {
  const std::string where = std::string("ao::matmul<") + format_name<F>() + ">: ";
  if (q.shape().size() != 2) {
    throw ao::error(where + who + " must be a 2-D (" + dims + ") tensor, its shape is " + shape_string(q.shape()));
  }
  if (q.logical_cols() != q.stored_cols()) {
    throw ao::error(where + who + " is padded (K = " + std::to_string(q.logical_cols()) + " values stored as " +
                    std::to_string(q.stored_cols()) + "); matmul needs an unpadded " + who +
                    " (K a multiple of the block)");
  }
  return q.cview();
}
template <class W>
const_quantized_view<typename W::format> matmul_weights(const W& w) {
  return matmul_operand("W", "N x K", w);
}
template <class W>
inline constexpr bool is_matmul_weights_v = is_quantized_view_v<W>;
template <class F>
inline constexpr bool is_matmul_weights_v<quantized_tensor<F>> = true;

// The dequantize task of W's rows [row, row + rows) and columns [col, col + cols) into fp32 (col and cols whole
// blocks; the rows within one tile row of per_block<R, C> formats: the kernels index scales by row / R).
template <class F>
dequantize_task<F, float> weight_tile(const const_quantized_view<F>& w, const tensor_params_t<F>& tensor,
                                      std::size_t row, std::size_t rows, std::size_t col, std::size_t cols, float* dst,
                                      std::ptrdiff_t dst_stride) {
  using traits = format_traits<F>;
  // The first scale column of `col`: one scale per col_multiple values, or a single column (per row, per tensor).
  const std::size_t scale_col = traits::col_multiple == 1 ? 0 : col / traits::col_multiple;
  const auto scale_row = static_cast<std::ptrdiff_t>(row / traits::row_multiple);
  dequantize_task<F, float> t{};
  t.data = w.data + static_cast<std::ptrdiff_t>(row) * w.data_stride +
           static_cast<std::ptrdiff_t>(traits::data_row_bytes(col));
  t.data_stride = w.data_stride;
  t.scales =
      w.scales == nullptr ? nullptr : w.scales + scale_row * w.scales_stride + static_cast<std::ptrdiff_t>(scale_col);
  t.scales_stride = w.scales_stride;
  if constexpr (has_zero_points_v<F>) {
    t.zero_points = w.zero_points + scale_row * w.zero_points_stride + static_cast<std::ptrdiff_t>(scale_col);
    t.zero_points_stride = w.zero_points_stride;
  }
  t.tensor = tensor;
  t.rows = rows;
  t.cols = cols;
  t.dst = dst;
  t.dst_stride = dst_stride;
  return t;
}

// Asks the CPU to start loading the element data of W's rows [row, row + rows), columns [col, col + cols): the
// next tile's bytes arrive while this tile is decoded and multiplied (a hint; no effect on results).
template <class F>
void prefetch_weights(const const_quantized_view<F>& w, std::size_t row, std::size_t rows, std::size_t col,
                      std::size_t cols) noexcept {
#if defined(__GNUC__)
  using traits = format_traits<F>;
  const std::size_t from = traits::data_row_bytes(col), to = traits::data_row_bytes(col + cols);
  for (std::size_t r = row; r < row + rows; ++r) {
    const std::uint8_t* base = w.data + static_cast<std::ptrdiff_t>(r) * w.data_stride;
    for (std::size_t b = from; b < to; b += 64) __builtin_prefetch(base + b);
  }
#else
  (void)w, (void)row, (void)rows, (void)col, (void)cols;
#endif
}

// The fused kernel's task for the same tile of W (w_rows rows from `row`, len values from `col`) and rows rows of x
// (at x, row stride x_stride), adding to acc (rows x 4, row stride acc_stride).
template <class F>
highway::matmul_fused_task<F> fused_weight_tile(const const_quantized_view<F>& w, const tensor_params_t<F>& tensor,
                                                std::size_t row, std::size_t w_rows, std::size_t col, std::size_t len,
                                                const float* x, std::ptrdiff_t x_stride, std::size_t rows, float* acc,
                                                std::ptrdiff_t acc_stride) {
  const dequantize_task<F, float> d = weight_tile<F>(w, tensor, row, w_rows, col, len, nullptr, 0);
  return {x,
          x_stride,
          rows,
          d.data,
          d.data_stride,
          w_rows,
          d.scales,
          d.scales_stride,
          d.zero_points,
          d.zero_points_stride,
          tensor,
          len,
          acc,
          acc_stride};
}

template <class T>
float matmul_to_float(T v) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return float(v);
  }
}

// What one call computes, shared by both backends.
template <class F, class Src, class Dst>
struct matmul_problem {
  strided_view<const Src, 2> x;
  const_quantized_view<F> w;
  tensor_params_t<F> tensor;
  const float* bias;  // N values, or null
  strided_view<Dst, 2> y;
  std::size_t m, n, k;

  // y[row, col] = Dst(s + bias[col]).
  void store(std::size_t row, std::size_t col, float s) const {
    if (bias != nullptr) s += bias[col];
    y.data()[static_cast<std::ptrdiff_t>(row) * y.stride(0) + static_cast<std::ptrdiff_t>(col)] =
        scalar::detail::from_float<Dst>(s);
  }
};

// W rows per executor task: multiples of 4 (the Highway kernel's tile), about 64 Ki weights per task.
inline std::size_t matmul_rows_per_task(std::size_t k) {
  const std::size_t target = (std::size_t{1} << 16) / std::max<std::size_t>(k, 1);
  return std::min<std::size_t>(64, std::max<std::size_t>(4, target / 4 * 4));
}

// ---- The scalar backend: the reference ----

template <class F, class Src, class Dst, class Executor>
void matmul_run(backend::scalar, const matmul_problem<F, Src, Dst>& p, Executor& ex) {
  // x as fp32 (exact), once: a bf16 value is widened by the exact codec, which is slow.
  std::vector<float> x(p.m * p.k);
  for (std::size_t m = 0; m < p.m; ++m) {
    const Src* row = p.x.data() + static_cast<std::ptrdiff_t>(m) * p.x.stride(0);
    for (std::size_t k = 0; k < p.k; ++k) x[m * p.k + k] = matmul_to_float(row[k]);
  }
  const std::size_t step = matmul_rows_per_task(p.k);
  ex.parallel_for((p.n + step - 1) / step, [&](std::size_t task) {
    std::vector<float> w(p.k);
    for (std::size_t n = task * step; n < std::min(p.n, (task + 1) * step); ++n) {
      scalar::dequantize(weight_tile<F>(p.w, p.tensor, n, 1, 0, p.k, w.data(), static_cast<std::ptrdiff_t>(p.k)));
      for (std::size_t m = 0; m < p.m; ++m) {
        float s = 0.0f;
        for (std::size_t k = 0; k < p.k; ++k) s = std::fma(x[m * p.k + k], w[k], s);
        p.store(m, n, s);
      }
    }
  });
}

// ---- The Highway backend ----

// The K chunk of both Highway paths: whole blocks (groups, tiles) of F and whole vectors, about `about` values.
template <class F>
std::size_t matmul_chunk(std::size_t about) {
  std::size_t unit = format_traits<F>::col_multiple;
  while (unit % highway::matmul_dot_task::kKMultiple != 0) unit += format_traits<F>::col_multiple;
  return std::max(unit, about / unit * unit);
}

// Rows of x from which the Highway backend takes the GEMM path (matmul_run_panels).
inline constexpr std::size_t kMatmulPanelMinRows = 32;

// The Highway GEMM path (M >= kMatmulPanelMinRows). x is copied once, transposed, into panels of 64 rows (x^T:
// k-major, zero past M). Per band of 48 W rows (an executor task), per block of up to 256 rows of x, per chunk of
// about 128 values of K: each tile of 6 W rows is decoded by the format's Highway dequantize kernel into an fp32 scratch
// (6 KiB) and multiplied with the block's panels by ao::highway::matmul_panel, which sums into an fp32 y^T block.
// Every output is a chain of fused multiply-adds over k in increasing order from 0: the scalar backend's sum.
template <class F, class Src, class Dst, class Executor>
void matmul_run_panels(const matmul_problem<F, Src, Dst>& p, Executor& ex) {
  using task_t = highway::matmul_panel_task;
  constexpr std::size_t P = task_t::kColumns, R = task_t::kWRows;
  constexpr std::size_t kMBlock = 4 * P;  // x^T chunk of a block: 4 panels x 128 values of K, 128 KiB (L2)
  constexpr std::size_t kBand = 8 * R;    // W rows per task
  const std::size_t chunk = matmul_chunk<F>(128);
  const std::size_t panels = (p.m + P - 1) / P;
  // Panel q at q * k * P: xt[q][k][i] = x[q * P + i, k], zero past M. Not value-initialized: every value is written.
  const std::unique_ptr<float[]> xt(new float[panels * p.k * P]);
  for (std::size_t m = 0; m < panels * P; ++m) {
    float* dst = xt.get() + (m / P) * p.k * P + m % P;
    if (m < p.m) {
      const Src* row = p.x.data() + static_cast<std::ptrdiff_t>(m) * p.x.stride(0);
      for (std::size_t k = 0; k < p.k; ++k) dst[k * P] = matmul_to_float(row[k]);
    } else {
      for (std::size_t k = 0; k < p.k; ++k) dst[k * P] = 0.0f;
    }
  }
  ex.parallel_for((p.n + kBand - 1) / kBand, [&](std::size_t task) {
    const std::size_t n0 = task * kBand, rows = std::min(kBand, p.n - n0);
    const std::size_t tiles = (rows + R - 1) / R;
    std::vector<float> w(R * chunk, 0.0f), acc(tiles * R * kMBlock);
    const auto acc_stride = static_cast<std::ptrdiff_t>(kMBlock);
    for (std::size_t m0 = 0; m0 < p.m; m0 += kMBlock) {
      const std::size_t mb = std::min(kMBlock, p.m - m0);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (std::size_t k0 = 0; k0 < p.k; k0 += chunk) {
        const std::size_t len = std::min(chunk, p.k - k0);
        for (std::size_t j0 = 0; j0 < rows; j0 += R) {
          const std::size_t tile_rows = std::min(R, rows - j0);
          highway::dequantize(
              weight_tile<F>(p.w, p.tensor, n0 + j0, tile_rows, k0, len, w.data(), static_cast<std::ptrdiff_t>(chunk)));
          std::fill(w.begin() + static_cast<std::ptrdiff_t>(tile_rows * chunk), w.end(), 0.0f);
          for (std::size_t q = m0 / P; q * P < m0 + mb; ++q) {
            highway::matmul_panel_task t{};
            t.w = w.data();
            t.w_stride = static_cast<std::ptrdiff_t>(chunk);
            t.x = xt.get() + (q * p.k + k0) * P;
            t.k = len;
            t.acc = acc.data() + static_cast<std::ptrdiff_t>(j0) * acc_stride + static_cast<std::ptrdiff_t>(q * P - m0);
            t.acc_stride = acc_stride;
            highway::matmul_panel(t);
          }
        }
      }
      for (std::size_t j = 0; j < rows; ++j) {
        for (std::size_t i = 0; i < mb; ++i) p.store(m0 + i, n0 + j, acc[j * kMBlock + i]);
      }
    }
  });
}

template <class F, class Src, class Dst, class Executor>
void matmul_run(backend::highway, const matmul_problem<F, Src, Dst>& p, Executor& ex) {
  if (p.m >= kMatmulPanelMinRows) {
    matmul_run_panels(p, ex);
    return;
  }
  constexpr std::size_t kTile = highway::matmul_dot_task::kWRows;
  constexpr std::size_t kLanes = highway::matmul_dot_task::kKMultiple;
  auto round_up = [](std::size_t v, std::size_t to) { return (v + to - 1) / to * to; };
  // Chunks of K: whole blocks, a multiple of 16, about 512 values.
  const std::size_t chunk = matmul_chunk<F>(512);
  const std::size_t kp = round_up(p.k, kLanes);
  // x as fp32 rows of kp values (zeros past K), unless it already is.
  std::vector<float> x_copy;
  const float* x = nullptr;
  std::ptrdiff_t x_stride = 0;
  if constexpr (std::is_same_v<Src, float>) {
    if (kp == p.k) {
      x = p.x.data();
      x_stride = p.x.stride(0);
    }
  }
  if (x == nullptr) {
    x_copy.assign(p.m * kp, 0.0f);
    for (std::size_t m = 0; m < p.m; ++m) {
      const Src* row = p.x.data() + static_cast<std::ptrdiff_t>(m) * p.x.stride(0);
      for (std::size_t k = 0; k < p.k; ++k) x_copy[m * kp + k] = matmul_to_float(row[k]);
    }
    x = x_copy.data();
    x_stride = static_cast<std::ptrdiff_t>(kp);
  }
  const std::size_t step = matmul_rows_per_task(p.k);
  const std::size_t chunk_pad = round_up(chunk, kLanes);
  ex.parallel_for((p.n + step - 1) / step, [&](std::size_t task) {
    const std::size_t n0 = task * step, rows = std::min(step, p.n - n0);
    const std::size_t acc_width = round_up(rows, kTile);
    std::vector<float> scratch(kTile * chunk_pad, 0.0f);  // 4 decoded rows of one chunk: 8 KiB
    std::vector<float> acc(p.m * acc_width, 0.0f);
    auto tile = [&](std::size_t j0, std::size_t k0, std::size_t next_j0, std::size_t next_k0) {
      const std::size_t len = std::min(chunk, p.k - k0), tile_rows = std::min(kTile, rows - j0);
      if (next_j0 < rows) {
        prefetch_weights(p.w, n0 + next_j0, std::min(kTile, rows - next_j0), next_k0, std::min(chunk, p.k - next_k0));
      }
      float* const acc_tile = acc.data() + j0;
      const auto acc_stride = static_cast<std::ptrdiff_t>(acc_width);
      const float* const x_tile = x + static_cast<std::ptrdiff_t>(k0);
      if constexpr (highway::kMatmulFused<F>) {
        // Decoded in registers, with the same results, for one or two rows of x (the kernel decodes again for
        // every two rows: more rows share one decode through the scratch below). The last chunk of a K that is
        // not a multiple of 16 takes the general path, whose zero padding gives the same sums.
        if (len % kLanes == 0 && p.m <= 2) {
          highway::matmul_dot_fused(fused_weight_tile<F>(p.w, p.tensor, n0 + j0, tile_rows, k0, len, x_tile, x_stride,
                                                         p.m, acc_tile, acc_stride));
          return;
        }
      }
      highway::dequantize(weight_tile<F>(p.w, p.tensor, n0 + j0, tile_rows, k0, len, scratch.data(),
                                         static_cast<std::ptrdiff_t>(chunk_pad)));
      const std::size_t len_pad = round_up(len, kLanes);
      for (std::size_t r = 0; r < kTile; ++r) {
        // Zeros past the chunk's end, and in rows past W's end (their sums are never stored).
        const std::size_t from = r < tile_rows ? len : 0;
        std::fill(scratch.begin() + static_cast<std::ptrdiff_t>(r * chunk_pad + from),
                  scratch.begin() + static_cast<std::ptrdiff_t>(r * chunk_pad + len_pad), 0.0f);
      }
      highway::matmul_dot_task t{};
      t.x = x_tile;
      t.x_stride = x_stride;
      t.rows = p.m;
      t.w = scratch.data();
      t.w_stride = static_cast<std::ptrdiff_t>(chunk_pad);
      t.k = len_pad;
      t.acc = acc_tile;
      t.acc_stride = acc_stride;
      highway::matmul_dot(t);
    };
    // Each tile's rows are read front to back, a few streams at a time, with the next tile prefetched.
    for (std::size_t j0 = 0; j0 < rows; j0 += kTile) {
      for (std::size_t k0 = 0; k0 < p.k; k0 += chunk) {
        const bool last = k0 + chunk >= p.k;
        tile(j0, k0, last ? j0 + kTile : j0, last ? 0 : k0 + chunk);
      }
    }
    for (std::size_t i = 0; i < p.m; ++i) {
      for (std::size_t j = 0; j < rows; ++j) p.store(i, n0 + j, acc[i * acc_width + j]);
    }
  });
}

template <class F, class Src, class Dst, class Backend, class Executor>
void matmul_checked(strided_view<const Src, 2> x, const const_quantized_view<F>& w, const float* bias,
                    strided_view<Dst, 2> y, Backend be, Executor& ex) {
  matmul_problem<F, Src, Dst> p{x, w, {}, bias, y, x.extent(0), w.rows, w.cols};
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {
    for (std::size_t m = 0; m < p.m; ++m) {
      for (std::size_t n = 0; n < p.n; ++n) p.store(m, n, 0.0f);
    }
    return;
  }
  p.tensor = stored_tensor_params(w);
  matmul_run(be, p, ex);
}

template <class SrcT, class W, class DstT, class... Options>
void matmul(strided_view<SrcT, 2> x_in, const W& w_in, const strided_view<const float, 1>* bias_in,
            strided_view<DstT, 2> y, Options&... options) {
  using Src = std::remove_const_t<SrcT>;
  static_assert(std::is_same_v<Src, float> || std::is_same_v<Src, bfloat16>, "ao::matmul: x is float or ao::bfloat16");
  static_assert(std::is_same_v<DstT, float> || std::is_same_v<DstT, bfloat16>,
                "ao::matmul: y is a mutable view of float or ao::bfloat16");
  using opts = options_of<Options...>;
  static_assert(!opts::pad, "ao::matmul: ao::pad_last_dim does not apply (W must be unpadded)");
  using Backend = typename backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = executor_of(sequential, options...);
  const strided_view<const Src, 2> x = x_in;
  const auto w = matmul_weights(w_in);
  using F = typename decltype(w)::format;
  const char* op = "ao::matmul";
  const std::string where = std::string(op) + "<" + format_name<F>() + ">: ";
  check_quantized_view(op, w);
  const float* bias =
      check_matmul_arguments(op, where, x, w.rows, w.cols, weight_buffers(w, w.data_row_bytes()), bias_in, y);
  if (x.extent(0) == 0 || w.rows == 0) return;
  matmul_checked<F, Src, DstT>(x, w, bias, y, Backend{}, ex);
}

}  // namespace detail

template <class Src, class W, class Dst, class... Options, class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void matmul(strided_view<Src, 2> x, const W& w, strided_view<Dst, 2> y, Options&&... options) {
  detail::matmul(x, w, static_cast<const strided_view<const float, 1>*>(nullptr), y, options...);
}

template <class Src, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && std::is_same_v<std::remove_const_t<Bias>, float>>>
void matmul(strided_view<Src, 2> x, const W& w, strided_view<Bias, 1> bias, strided_view<Dst, 2> y,
            Options&&... options) {
  const strided_view<const float, 1> b = bias;
  detail::matmul(x, w, &b, y, options...);
}

}  // namespace ao
