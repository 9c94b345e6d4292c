// ao/ops/grouped_matmul.hpp: matmuls over a stack of quantized weights, every format and path of ao::matmul:
//
//   ao::grouped_matmul(x, w, offsets, y, options...)        MoE experts (torch._grouped_mm's 2-D x 3-D form):
//   ao::grouped_matmul(x, w, offsets, bias, y, options...)  y[t] = x[t] @ W[e]^T (+ bias[e]) for the tokens t of
//                                                           expert e, offsets[e-1] <= t < offsets[e]
//   ao::bmm(x, w, y, options...)                            batched: y[b] = x[b] @ W[b]^T (+ bias[b])
//   ao::bmm(x, w, bias, y, options...)
//
//   x        grouped: strided_view<const Src, 2> (T x K, tokens sorted by expert; Src = float or ao::bfloat16: the
//            weight-only path) or a quantized x (quantized_view<A> or unpadded 2-D quantized_tensor<A>, A an
//            integer-matmul format: the integer path of ao/ops/integer_matmul.hpp).
//            bmm: strided_view<const Src, 3> (B x M x K), any strides but the last dim's.
//   w        E (or B) weights of N x K each, stacked: a quantized_tensor<F> of shape {E, N, K} (unpadded), or a
//            quantized_view<F> of E * N rows (expert e: rows e N .. e N + N - 1). Any format ao::matmul takes; a
//            format whose scales cover several rows (per_block<R, C>) needs N a multiple of R, and a per_tensor
//            format shares its one scale across all experts.
//   offsets  strided_view<const I, 1>, I = std::int32_t or std::int64_t: E non-decreasing end rows (the first
//            expert starts at row 0), the last at most T. Rows of y past the last offset are set to 0.
//   bias     optional, strided_view<const float, 2>: E (or B) x N.
//   y        grouped: strided_view<Dst, 2>, T x N; bmm: strided_view<Dst, 3>, B x M x N (Dst = float or bf16).
// Options: as ao::matmul (a backend tag, an executor: each expert's matmul is split over bands of its W rows).
//
// Each expert (batch) runs ao::matmul on its rows, so the values are exactly ao::matmul's for those rows (its
// accumulation order and error bound, docs/ops.md); experts with no tokens cost nothing.
// Checks (ao::error naming the argument; nothing written): E >= 1 (B >= 1 unless everything is empty), W's rows E
// times N, offsets non-decreasing within [0, T], a tensor W 3-D with E (B) experts, bias E x N, the shapes of x and
// y, and each of ao::matmul's checks on every expert's slice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/error.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/ops/integer_matmul.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

namespace ao {
namespace detail {

// Rows [r0, r0 + n) of a quantized view (data, scales and zero points moved to them). The rows must start and end
// on the format's scale rows (per_block<R, C>: multiples of R); a format with one scale keeps it.
template <class F>
const_quantized_view<F> quantized_rows(const std::string& where, const const_quantized_view<F>& q, std::size_t r0,
                                       std::size_t n) {
  const_quantized_view<F> out = q;
  out.rows = n;
  out.data = q.data == nullptr ? nullptr : q.data + static_cast<std::ptrdiff_t>(r0) * q.data_stride;
  const std::size_t scale_rows = q.scale_rows();
  if (q.rows == 0 || scale_rows == 0) return out;
  if (scale_rows == 1 && format_traits<F>::scale_rows(n, q.cols) == 1) return out;  // one scale for any rows: shared
  if ((r0 * scale_rows) % q.rows != 0 || (n * scale_rows) % q.rows != 0) {
    throw ao::error(where + "rows " + std::to_string(r0) + " to " + std::to_string(r0 + n) +
                    " of W do not fall on its scale rows (" + std::to_string(q.rows / scale_rows) +
                    " rows each): each expert's N must be a multiple of that");
  }
  const auto s0 = static_cast<std::ptrdiff_t>(r0 * scale_rows / q.rows);
  if (q.scales != nullptr) out.scales = q.scales + s0 * q.scales_stride;
  if constexpr (has_zero_points_v<F>) {
    if (q.zero_points != nullptr) out.zero_points = q.zero_points + s0 * q.zero_points_stride;
  }
  return out;
}

// Rows [r0, r0 + n) of a strided 2-D view.
template <class T>
strided_view<T, 2> view_rows(const strided_view<T, 2>& v, std::size_t r0, std::size_t n) {
  return strided_view<T, 2>(v.data() == nullptr ? nullptr : v.data() + static_cast<std::ptrdiff_t>(r0) * v.stride(0),
                            {n, v.extent(1)}, v.strides());
}

// The stacked weights as one read-only view of E * N rows; a tensor must be 3-D with `experts` leading entries.
template <class F, bool Const>
const_quantized_view<F> stacked_weights(const std::string&, const quantized_view<F, Const>& w, std::size_t) {
  return w;
}
template <class F>
const_quantized_view<F> stacked_weights(const std::string& where, const quantized_tensor<F>& w, std::size_t experts) {
  if (w.shape().size() != 3 || w.shape()[0] != experts) {
    throw ao::error(where + "W must be a 3-D tensor of " + std::to_string(experts) + " (E or B) x N x K, its shape is " +
                    shape_string(w.shape()));
  }
  if (w.logical_cols() != w.stored_cols()) {
    throw ao::error(where + "W is padded (K = " + std::to_string(w.logical_cols()) + " values stored as " +
                    std::to_string(w.stored_cols()) + "); the matmul needs an unpadded W");
  }
  return w.cview();
}

// x's rows as the matmul of one expert takes them: a float view or a quantized x.
template <class T>
strided_view<const T, 2> x_rows(const std::string&, const strided_view<T, 2>& x, std::size_t r0, std::size_t n) {
  return view_rows(strided_view<const T, 2>(x), r0, n);
}
template <class X, class = std::enable_if_t<is_matmul_weights_v<X>>>
auto x_rows(const std::string& where, const X& x, std::size_t r0, std::size_t n) {
  const auto q = matmul_operand("x", "T x K", x);
  return quantized_rows(where, q, r0, n);
}
template <class T>
std::size_t x_count(const strided_view<T, 2>& x) {
  return x.extent(0);
}
template <class X, class = std::enable_if_t<is_matmul_weights_v<X>>>
std::size_t x_count(const X& x) {
  return matmul_operand("x", "T x K", x).rows;
}

// N, the rows of each of the `count` matrices W stacks (`what` names them in the error).
template <class F>
std::size_t stacked_n(const std::string& where, const const_quantized_view<F>& w, std::size_t count,
                      const char* what) {
  if (w.rows % count != 0) {
    throw ao::error(where + "W's " + std::to_string(w.rows) + " rows are not " + std::to_string(count) + " " + what +
                    " of N rows each");
  }
  return w.rows / count;
}

// ao::matmul of one expert (batch) e, with row e of bias when there is one.
template <class X, class F, class Dst, class... Options>
void stacked_matmul(const X& x, const const_quantized_view<F>& w, const strided_view<const float, 2>* bias,
                    std::size_t e, strided_view<Dst, 2> y, Options&... options) {
  if (bias != nullptr) {
    const strided_view<const float, 1> row(bias->data() + static_cast<std::ptrdiff_t>(e) * bias->stride(0),
                                           {bias->extent(1)}, {bias->stride(1)});
    ::ao::matmul(x, w, row, y, options...);
  } else {
    ::ao::matmul(x, w, y, options...);
  }
}

template <class X, class W, class I, class Dst, class... Options>
void grouped_matmul(const X& x, const W& w_in, strided_view<I, 1> offsets, const strided_view<const float, 2>* bias,
                    strided_view<Dst, 2> y, Options&... options) {
  static_assert(std::is_same_v<std::remove_const_t<I>, std::int32_t> || std::is_same_v<std::remove_const_t<I>, std::int64_t>,
                "ao::grouped_matmul: offsets are std::int32_t or std::int64_t");
  using F = typename std::remove_cv_t<std::remove_reference_t<decltype(matmul_weights(w_in))>>::format;
  const std::string where = std::string("ao::grouped_matmul<") + format_name<F>() + ">: ";
  const std::size_t experts = offsets.extent(0), tokens = x_count(x);
  if (experts == 0) throw ao::error(where + "offsets is empty: there must be at least one expert");
  if (offsets.stride(0) != 1 && experts > 1) throw ao::error(where + "offsets must be contiguous");
  if (offsets.data() == nullptr) throw ao::error(where + "offsets' data is null");
  const const_quantized_view<F> w = stacked_weights(where, w_in, experts);
  const std::size_t n = stacked_n(where, w, experts, "experts");
  if (y.extent(0) != tokens || y.extent(1) != n) {
    throw ao::error(where + "y is " + std::to_string(y.extent(0)) + " x " + std::to_string(y.extent(1)) +
                    ", it must be T x N = " + std::to_string(tokens) + " x " + std::to_string(n));
  }
  if (bias != nullptr && (bias->extent(0) != experts || bias->extent(1) != n)) {
    throw ao::error(where + "bias is " + std::to_string(bias->extent(0)) + " x " + std::to_string(bias->extent(1)) +
                    ", it must be E x N = " + std::to_string(experts) + " x " + std::to_string(n));
  }
  std::vector<std::size_t> begin(experts + 1, 0);
  for (std::size_t e = 0; e < experts; ++e) {
    const auto end = static_cast<std::int64_t>(offsets.data()[e]);
    if (end < static_cast<std::int64_t>(begin[e]) || end > static_cast<std::int64_t>(tokens)) {
      throw ao::error(where + "offsets[" + std::to_string(e) + "] = " + std::to_string(end) + " is outside [" +
                      std::to_string(begin[e]) + ", " + std::to_string(tokens) +
                      "]: offsets must be non-decreasing end rows of x");
    }
    begin[e + 1] = static_cast<std::size_t>(end);
  }
  // Every slice is checked before anything is written.
  for (std::size_t e = 0; e < experts; ++e) quantized_rows(where, w, e * n, n);
  for (std::size_t e = 0; e < experts; ++e) {
    const std::size_t rows = begin[e + 1] - begin[e];
    if (rows == 0) continue;
    const auto xe = x_rows(where, x, begin[e], rows);
    const auto we = quantized_rows(where, w, e * n, n);
    stacked_matmul(xe, we, bias, e, view_rows(y, begin[e], rows), options...);
  }
  for (std::size_t t = begin[experts]; t < tokens; ++t) {
    for (std::size_t j = 0; j < n; ++j) {
      y.data()[static_cast<std::ptrdiff_t>(t) * y.stride(0) + static_cast<std::ptrdiff_t>(j)] = Dst(0.0f);
    }
  }
}

template <class Src, class W, class Dst, class... Options>
void bmm(strided_view<Src, 3> x, const W& w_in, const strided_view<const float, 2>* bias, strided_view<Dst, 3> y,
         Options&... options) {
  using F = typename std::remove_cv_t<std::remove_reference_t<decltype(matmul_weights(w_in))>>::format;
  const std::string where = std::string("ao::bmm<") + format_name<F>() + ">: ";
  const std::size_t batches = x.extent(0), m = x.extent(1);
  if (y.extent(0) != batches || y.extent(1) != m) {
    throw ao::error(where + "y is " + std::to_string(y.extent(0)) + " x " + std::to_string(y.extent(1)) + " x " +
                    std::to_string(y.extent(2)) + ", it must be B x M x N with B x M = " + std::to_string(batches) +
                    " x " + std::to_string(m));
  }
  if (batches == 0) return;
  const const_quantized_view<F> w = stacked_weights(where, w_in, batches);
  const std::size_t n = stacked_n(where, w, batches, "matrices");
  if (y.extent(2) != n) {
    throw ao::error(where + "y's last dim is " + std::to_string(y.extent(2)) + ", W's N is " + std::to_string(n));
  }
  if (bias != nullptr && (bias->extent(0) != batches || bias->extent(1) != n)) {
    throw ao::error(where + "bias is " + std::to_string(bias->extent(0)) + " x " + std::to_string(bias->extent(1)) +
                    ", it must be B x N = " + std::to_string(batches) + " x " + std::to_string(n));
  }
  for (std::size_t b = 0; b < batches; ++b) quantized_rows(where, w, b * n, n);
  for (std::size_t b = 0; b < batches; ++b) {
    const strided_view<Src, 2> xb(x.data() + static_cast<std::ptrdiff_t>(b) * x.stride(0), {m, x.extent(2)},
                                  {x.stride(1), x.stride(2)});
    const strided_view<Dst, 2> yb(y.data() + static_cast<std::ptrdiff_t>(b) * y.stride(0), {m, n},
                                  {y.stride(1), y.stride(2)});
    stacked_matmul(xb, quantized_rows(where, w, b * n, n), bias, b, yb, options...);
  }
}

}  // namespace detail

template <class X, class W, class I, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void grouped_matmul(const X& x, const W& w, strided_view<I, 1> offsets, strided_view<Dst, 2> y,
                    Options&&... options) {
  detail::grouped_matmul(x, w, offsets, static_cast<const strided_view<const float, 2>*>(nullptr), y, options...);
}

template <class X, class W, class I, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && std::is_same_v<std::remove_const_t<Bias>, float>>>
void grouped_matmul(const X& x, const W& w, strided_view<I, 1> offsets, strided_view<Bias, 2> bias,
                    strided_view<Dst, 2> y, Options&&... options) {
  const strided_view<const float, 2> b = bias;
  detail::grouped_matmul(x, w, offsets, &b, y, options...);
}

template <class Src, class W, class Dst, class... Options, class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void bmm(strided_view<Src, 3> x, const W& w, strided_view<Dst, 3> y, Options&&... options) {
  detail::bmm(x, w, static_cast<const strided_view<const float, 2>*>(nullptr), y, options...);
}

template <class Src, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && std::is_same_v<std::remove_const_t<Bias>, float>>>
void bmm(strided_view<Src, 3> x, const W& w, strided_view<Bias, 2> bias, strided_view<Dst, 3> y,
         Options&&... options) {
  const strided_view<const float, 2> b = bias;
  detail::bmm(x, w, &b, y, options...);
}

}  // namespace ao
