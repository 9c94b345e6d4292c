// ao/ops/integer_matmul.hpp: ao::matmul over quantized activations and weights, with integer dot products
// (torchao's Int8DynamicActivationInt8Weight and Int8StaticActivationInt8Weight, numerics spec §4.4):
//
//   ao::matmul(xq, w, y, options...)                 y[m, n] = epilogue(S[m, n])
//   ao::matmul(xq, w, bias, y, options...)           the same, with bias[n] added in the epilogue
//   ao::matmul_dynamic<A>(x, w, [bias,] y, options...)  x (float or ao::bfloat16, M x K) quantized per call with
//                                                   ao::quantize<A> (bit-exact with torchao's activation
//                                                   quantization for the same A), then ao::matmul(xq, w, ...)
//   ao::matmul_static<A>(x, scale, zero_point, w, [bias,] y, options...)   static (calibrated) activations: x
//                                                   quantized with the given per-tensor scale and zero point
//                                                   (A per_tensor; torchao's quantize_affine with those qparams,
//                                                   Int8StaticActivationInt8Weight), then ao::matmul(xq, w, ...)
//
//   xq    ao::quantized_view<A> (or const, or an unpadded 2-D ao::quantized_tensor<A>): M x K codes.
//   w     ao::quantized_view<W> (same forms): N x K.
//   A, W  integer-matmul formats (is_integer_matmul_format_v): ao::affine with an integer zero point, per_row (per
//         token for x, per output channel for W) or per_tensor, any target range (codes one per byte, int8 or
//         uint8), any scale dtype (float, bf16, fp16). torchao's: ao::int8_symmetric_per_row for both, with the
//         scale dtype of the model (Int8Tensor.from_hp computes scales in the input's dtype); group-wise W
//         (W4A8) is not an integer-matmul format (a per-group float scale breaks the one integer sum).
//   bias  ao::strided_view<const float, 1> of N values (a bf16 model's bias widened to float: the same values).
//   y     ao::strided_view<Dst, 2>, M x N, Dst = float or ao::bfloat16 (torchao: the activation's dtype).
// Options: a backend tag (ao::backend::highway{}, the default, or ao::backend::scalar{}, the reference) and an
// executor (work split over bands of W rows; results never depend on it), each at most once.
//
// What is computed. S[m, n] = sum over k of (xq[m, k] - zx[m]) * (w[n, k] - zw[n]), exactly (in 64 bits; the
// symmetric formats' zero points are 0, so S is torch._int_mm's int32 result). Then the epilogue of torchao's CPU
// path (int_scaled_matmul's decomposition, then Int8Tensor's linear), with torch's type promotion, each step
// rounded to its dtype (round_to_dtype):
//   I  = the activation scale dtype, fp32 for an fp16 scale ("Cast FP16 scale to float")
//   t  = I(float(S))                         int32 -> I (through fp32, as c10 converts)
//   t  = I(t * sx[m])                        c.to(scales1.dtype) * scales1
//   t  = Dst(t)                              .to(output_dtype)
//   P  = promote(Dst, W's scale dtype)       fp32 if either is fp32 or they differ, else that 16-bit dtype
//   v  = P(t * sw[n]);  v = P(v + bias[n])   y_dot_scaled * w_scales; y += bias
//   y  = Dst(v)
// So for Dst equal to x's dtype and torchao's formats the result is torchao's byte for byte. (torchao's current
// Int8Tensor supports symmetric activations only; ao's asymmetric activations use the exact S above, which is what
// the integer arithmetic means, rather than a float correction term.)
//
// Integer kernels (ao/backends/hwy/int8_dot-inl.h): the Highway backend's Int8Dot, vpdpbusd on CPUs with AVX-512
// VNNI, int16 multiply-add elsewhere; K is cut into chunks of int8_dot_task::kMaxK (32768) so that no int32 partial
// sum overflows. The scalar backend sums in int64 directly. Both give the same S, so the same bytes.
//
// What is checked (ao::error naming the argument; nothing is written on error): x's and W's views, K equal, y
// M x N with rows that do not overlap, bias N values, no output aliasing any input. M = 0 or N = 0: nothing is
// written; K = 0: S = 0.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backend.hpp"
#include "ao/backends/hwy/int8_dot.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/error.hpp"
#include "ao/executor.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/ops/matmul_checks.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

namespace ao {
namespace detail {

template <class F, class = void>
struct integer_matmul_format : std::false_type {};
template <class T, class M, class G, class S, class E>
struct integer_matmul_format<affine<T, M, G, S, zero_point_domain::integer, E>>
    : std::bool_constant<std::is_same_v<G, per_row> || std::is_same_v<G, per_tensor>> {};

}  // namespace detail

// Whether F can be an operand of the integer ao::matmul (above).
template <class F>
inline constexpr bool is_integer_matmul_format_v = detail::integer_matmul_format<F>::value;

namespace detail {

// A quantized operand's codes and per-row parameters.
template <class F>
struct integer_operand {
  const_quantized_view<F> q;

  static constexpr bool kSigned = F::quant_min < 0;
  std::size_t param_row(std::size_t r) const noexcept {
    return std::is_same_v<typename F::granularity, per_tensor> ? 0 : r;
  }
  float scale(std::size_t r) const noexcept {
    return static_cast<float>(q.scales[static_cast<std::ptrdiff_t>(param_row(r)) * q.scales_stride]);
  }
  std::int32_t zero_point(std::size_t r) const noexcept {
    return q.zero_points[static_cast<std::ptrdiff_t>(param_row(r)) * q.zero_points_stride];
  }
  const std::uint8_t* row(std::size_t r) const noexcept {
    return q.data + static_cast<std::ptrdiff_t>(r) * q.data_stride;
  }
  std::int32_t code(std::size_t r, std::size_t k) const noexcept {
    const std::uint8_t b = row(r)[k];
    return kSigned ? std::int32_t{static_cast<std::int8_t>(b)} : std::int32_t{b};
  }
};

// torch's result dtype of a * b for two tensors of dtypes A and B (float, bf16, fp16).
template <class A, class B>
using torch_promoted_t = std::conditional_t<std::is_same_v<A, B>, A, float>;

template <class A, class W, class Dst>
struct integer_matmul_problem {
  integer_operand<A> x;
  integer_operand<W> w;
  const float* bias;  // N values, or null
  strided_view<Dst, 2> y;
  std::size_t m, n, k;

  // y[row, col] from the exact S (the epilogue in the file comment).
  void store(std::size_t row, std::size_t col, std::int64_t s) const {
    using SA = scale_storage_t<A>;
    using I = std::conditional_t<std::is_same_v<SA, float16>, float, SA>;
    using P = torch_promoted_t<Dst, scale_storage_t<W>>;
    float t = round_to_dtype<I>(static_cast<float>(s));
    t = round_to_dtype<I>(torch_multiply(t, x.scale(row)));
    t = round_to_dtype<Dst>(t);
    float v = round_to_dtype<P>(torch_multiply(t, w.scale(col)));
    if (bias != nullptr) v = round_to_dtype<P>(v + bias[col]);
    y.data()[static_cast<std::ptrdiff_t>(row) * y.stride(0) + static_cast<std::ptrdiff_t>(col)] =
        scalar::detail::from_float<Dst>(v);
  }
};

// ---- The scalar backend: the reference ----

template <class A, class W, class Dst, class Executor>
void integer_matmul_run(backend::scalar, const integer_matmul_problem<A, W, Dst>& p, Executor& ex) {
  const std::size_t step = matmul_rows_per_task(p.k);
  ex.parallel_for((p.n + step - 1) / step, [&](std::size_t task) {
    for (std::size_t n = task * step; n < std::min(p.n, (task + 1) * step); ++n) {
      const std::int64_t zw = p.w.zero_point(n);
      for (std::size_t m = 0; m < p.m; ++m) {
        const std::int64_t zx = p.x.zero_point(m);
        std::int64_t s = 0;
        for (std::size_t k = 0; k < p.k; ++k) s += (p.x.code(m, k) - zx) * (p.w.code(n, k) - zw);
        p.store(m, n, s);
      }
    }
  });
}

// ---- The Highway backend ----

template <class A, class W, class Dst, class Executor>
void integer_matmul_run(backend::highway, const integer_matmul_problem<A, W, Dst>& p, Executor& ex) {
  using task_t = highway::int8_dot_task;
  constexpr std::size_t kR = task_t::kMaxRows;
  constexpr std::size_t kChunk = task_t::kMaxK;  // a multiple of kXPadding
  constexpr std::size_t kMBlock = 64;            // x rows per block (with a band of W rows, both in L2)
  const std::size_t kp = (p.k + task_t::kXPadding - 1) / task_t::kXPadding * task_t::kXPadding;
  const std::size_t chunks = (p.k + kChunk - 1) / kChunk;
  // x's codes, zero past K (the kernel reads whole vectors of x), and per row the sum of each chunk's codes.
  std::vector<std::uint8_t> x(p.m * kp, 0);
  std::vector<std::int32_t> x_sums(p.m * chunks, 0);
  std::vector<std::int64_t> x_total(p.m, 0);
  bool asymmetric_x = false;
  for (std::size_t m = 0; m < p.m; ++m) {
    std::copy(p.x.row(m), p.x.row(m) + p.k, x.begin() + static_cast<std::ptrdiff_t>(m * kp));
    for (std::size_t k = 0; k < p.k; ++k) x_sums[m * chunks + k / kChunk] += p.x.code(m, k);
    for (std::size_t c = 0; c < chunks; ++c) x_total[m] += x_sums[m * chunks + c];
    asymmetric_x = asymmetric_x || p.x.zero_point(m) != 0;
  }
  const std::size_t step = matmul_rows_per_task(p.k);
  ex.parallel_for((p.n + step - 1) / step, [&](std::size_t task) {
    const std::size_t n0 = task * step, rows = std::min(step, p.n - n0);
    std::int32_t dots[kR * kR], w_sums[kR];
    std::int64_t acc[kR * kR], w_total[kR];
    for (std::size_t mb = 0; mb < p.m; mb += kMBlock) {
      const std::size_t m_end = std::min(p.m, mb + kMBlock);
      for (std::size_t j0 = 0; j0 < rows; j0 += kR) {
        const std::size_t w_rows = std::min(kR, rows - j0);
        for (std::size_t m0 = mb; m0 < m_end; m0 += kR) {
          const std::size_t x_rows = std::min(kR, m_end - m0);
          std::fill(acc, acc + kR * kR, std::int64_t{0});
          std::fill(w_total, w_total + kR, std::int64_t{0});
          for (std::size_t c = 0; c < chunks; ++c) {
            const std::size_t k0 = c * kChunk;
            std::int32_t chunk_x_sums[kR];
            for (std::size_t i = 0; i < x_rows; ++i) chunk_x_sums[i] = x_sums[(m0 + i) * chunks + c];
            task_t t{};
            t.x = x.data() + static_cast<std::ptrdiff_t>(m0 * kp + k0);
            t.x_stride = static_cast<std::ptrdiff_t>(kp);
            t.x_rows = x_rows;
            t.x_signed = integer_operand<A>::kSigned;
            t.x_sums = chunk_x_sums;
            t.w = p.w.row(n0 + j0) + k0;
            t.w_stride = p.w.q.data_stride;
            t.w_rows = w_rows;
            t.w_signed = integer_operand<W>::kSigned;
            t.k = std::min(kChunk, p.k - k0);
            t.dots = dots;
            t.dots_stride = static_cast<std::ptrdiff_t>(kR);
            t.w_sums = asymmetric_x ? w_sums : nullptr;
            // The next 4 rows of W, into the next band too (the next task's, on one thread).
            t.w_next = n0 + j0 + kR < p.n ? t.w + static_cast<std::ptrdiff_t>(kR) * t.w_stride : nullptr;
            highway::int8_dot(t);
            for (std::size_t i = 0; i < x_rows; ++i) {
              for (std::size_t j = 0; j < w_rows; ++j) acc[i * kR + j] += dots[i * kR + j];
            }
            if (asymmetric_x) {
              for (std::size_t j = 0; j < w_rows; ++j) w_total[j] += w_sums[j];
            }
          }
          // S = sum (x - zx)(w - zw) = sum x w - zw sum x - zx sum w + K zx zw.
          for (std::size_t i = 0; i < x_rows; ++i) {
            const std::int64_t zx = p.x.zero_point(m0 + i);
            for (std::size_t j = 0; j < w_rows; ++j) {
              const std::int64_t zw = p.w.zero_point(n0 + j0 + j);
              const std::int64_t s =
                  acc[i * kR + j] - zw * x_total[m0 + i] - zx * w_total[j] + static_cast<std::int64_t>(p.k) * zx * zw;
              p.store(m0 + i, n0 + j0 + j, s);
            }
          }
        }
      }
    }
  });
}

template <class XIn, class WIn, class DstT, class... Options>
void integer_matmul(const XIn& x_in, const WIn& w_in, const strided_view<const float, 1>* bias_in,
                    strided_view<DstT, 2> y, Options&... options) {
  static_assert(std::is_same_v<DstT, float> || std::is_same_v<DstT, bfloat16>,
                "ao::matmul: y is a mutable view of float or ao::bfloat16");
  using opts = options_of<Options...>;
  static_assert(!opts::pad, "ao::matmul: ao::pad_last_dim does not apply");
  using Backend = typename backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = executor_of(sequential, options...);
  const auto x = matmul_operand("x", "M x K", x_in);
  const auto w = matmul_weights(w_in);
  using A = typename decltype(x)::format;
  using W = typename decltype(w)::format;
  static_assert(is_integer_matmul_format_v<A>,
                "ao::matmul: a quantized x must be ao::affine with an integer zero point, per_row or per_tensor");
  static_assert(is_integer_matmul_format_v<W>,
                "ao::matmul with a quantized x: W must be ao::affine with an integer zero point, per_row or "
                "per_tensor (group-wise W is not supported)");
  const char* op = "ao::matmul";
  const std::string where = std::string(op) + "<" + format_name<A>() + " x " + format_name<W>() + ">: ";
  check_quantized_view(op, x);
  check_quantized_view(op, w);
  const float* bias = check_matmul_operands(op, where, x.rows, x.cols, operand_buffers("x", x, x.data_row_bytes()),
                                            w.rows, w.cols, weight_buffers(w, w.data_row_bytes()), bias_in, y);
  const integer_matmul_problem<A, W, DstT> p{{x}, {w}, bias, y, x.rows, w.rows, w.cols};
  if (p.m == 0 || p.n == 0) return;
  integer_matmul_run(Backend{}, p, ex);
}

template <class T>
inline constexpr bool is_quantized_operand_v = is_matmul_weights_v<T>;

}  // namespace detail

template <class X, class W, class Dst, class... Options,
          class = std::enable_if_t<detail::is_quantized_operand_v<X> && detail::is_matmul_weights_v<W>>>
void matmul(const X& xq, const W& w, strided_view<Dst, 2> y, Options&&... options) {
  detail::integer_matmul(xq, w, static_cast<const strided_view<const float, 1>*>(nullptr), y, options...);
}

template <class X, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_quantized_operand_v<X> && detail::is_matmul_weights_v<W> &&
                                   std::is_same_v<std::remove_const_t<Bias>, float>>>
void matmul(const X& xq, const W& w, strided_view<Bias, 1> bias, strided_view<Dst, 2> y, Options&&... options) {
  const strided_view<const float, 1> b = bias;
  detail::integer_matmul(xq, w, &b, y, options...);
}

// x quantized per call with A, then the integer matmul. Options as above (the executor also quantizes x).
template <class A, class Src, class W, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void matmul_dynamic(strided_view<Src, 2> x, const W& w, strided_view<Dst, 2> y, Options&&... options) {
  static_assert(is_integer_matmul_format_v<A>, "ao::matmul_dynamic: A must be an integer-matmul format");
  matmul(quantize<A>(x, options...), w, y, options...);
}

template <class A, class Src, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && std::is_same_v<std::remove_const_t<Bias>, float>>>
void matmul_dynamic(strided_view<Src, 2> x, const W& w, strided_view<Bias, 1> bias, strided_view<Dst, 2> y,
                    Options&&... options) {
  static_assert(is_integer_matmul_format_v<A>, "ao::matmul_dynamic: A must be an integer-matmul format");
  matmul(quantize<A>(x, options...), w, bias, y, options...);
}

namespace detail {

// x quantized with a given per-tensor scale and zero point (scalar::quantize_group: torchao's quantize_affine).
template <class A, class Src>
quantized_tensor<A> quantize_static(strided_view<Src, 2> x, scale_storage_t<A> scale, std::int32_t zero_point) {
  static_assert(is_integer_matmul_format_v<A> && std::is_same_v<typename A::granularity, per_tensor>,
                "ao::matmul_static: A must be a per_tensor integer-matmul format (one calibrated scale)");
  using S = std::remove_const_t<Src>;
  static_assert(std::is_same_v<S, float> || std::is_same_v<S, bfloat16>, "ao::matmul_static: x is float or bf16");
  check_strides("ao::matmul_static", "x", x);
  if (zero_point < A::quant_min || zero_point > A::quant_max) {
    throw ao::error(std::string("ao::matmul_static<") + format_name<A>() + ">: the zero point " +
                    std::to_string(zero_point) + " is outside the codes' range [" + std::to_string(A::quant_min) +
                    ", " + std::to_string(A::quant_max) + "]");
  }
  const std::size_t m = x.extent(0), k = x.extent(1);
  quantized_tensor<A> q = quantized_tensor<A>::allocate({m, k});
  auto v = q.view();
  if (v.scales != nullptr) v.scales[0] = scale;
  if (v.zero_points != nullptr) v.zero_points[0] = zero_point;
  std::vector<float> row(k);
  for (std::size_t r = 0; r < m; ++r) {
    const S* src = x.data() + static_cast<std::ptrdiff_t>(r) * x.stride(0);
    for (std::size_t i = 0; i < k; ++i) row[i] = matmul_to_float(src[i]);
    scalar::quantize_group<A, S>(
        row.data(), k, {scale, zero_point},
        reinterpret_cast<typename A::code_type*>(v.data + static_cast<std::ptrdiff_t>(r) * v.data_stride));
  }
  return q;
}

}  // namespace detail

template <class A, class Src, class W, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void matmul_static(strided_view<Src, 2> x, scale_storage_t<A> scale, std::int32_t zero_point, const W& w,
                   strided_view<Dst, 2> y, Options&&... options) {
  matmul(detail::quantize_static<A>(x, scale, zero_point), w, y, options...);
}

template <class A, class Src, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && std::is_same_v<std::remove_const_t<Bias>, float>>>
void matmul_static(strided_view<Src, 2> x, scale_storage_t<A> scale, std::int32_t zero_point, const W& w,
                   strided_view<Bias, 1> bias, strided_view<Dst, 2> y, Options&&... options) {
  matmul(detail::quantize_static<A>(x, scale, zero_point), w, bias, y, options...);
}

}  // namespace ao
