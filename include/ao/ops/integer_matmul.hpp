// ao/ops/integer_matmul.hpp: ao::matmul over quantized activations and weights, with integer dot products
// (torchao's Int8DynamicActivationInt8Weight and Int8StaticActivationInt8Weight, numerics spec §4.4; and with
// group-wise W, Int8DynamicActivationIntxWeight, W4A8):
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
// A may also be an FP8, MX or NVFP4 format (is_float_matmul_format_v: FP8 x FP8, MXFP8 x MXFP8 or MXFP4, NVFP4 x
// NVFP4): those go to ao/ops/float_matmul.hpp, whose header says what is computed. The rest of this header is the
// integer case.
//
//   xq    ao::quantized_view<A> (or const, or an unpadded 2-D ao::quantized_tensor<A>): M x K codes.
//   w     ao::quantized_view<W> (same forms): N x K.
//   A, W  integer-matmul formats (is_integer_matmul_format_v): ao::affine with an integer zero point, per_row (per
//         token for x, per output channel for W) or per_tensor, any target range (codes one per byte, int8 or
//         uint8), any scale dtype (float, bf16, fp16). torchao's: ao::int8_symmetric_per_row for both, with the
//         scale dtype of the model (Int8Tensor.from_hp computes scales in the input's dtype).
//         W may also be group-wise (is_group_integer_matmul_weight_v: ao::affine<..., ao::group<G>> with an
//         integer zero point, any width 1..8, e.g. ao::int4_symmetric_group32): W4A8, below.
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
// Each product and sum keeps torch's NaN on x86 (ao::detail::torch_multiply, torch_add): a NaN operand comes back
// quieted, the first one (t, then v) first; 0 * inf and inf - inf give the default NaN 0xFFC00000.
// So for Dst equal to x's dtype and torchao's formats the result is torchao's byte for byte. (torchao's current
// Int8Tensor supports symmetric activations only; ao's asymmetric activations use the exact S above, which is what
// the integer arithmetic means, rather than a float correction term.)
//
// Integer kernels (ao/backends/hwy/int8_dot-inl.h): the Highway backend's Int8Dot, vpdpbusd on CPUs with AVX-512
// VNNI, int16 multiply-add elsewhere; K is cut into chunks of int8_dot_task::kMaxK (32768) so that no int32 partial
// sum overflows. The scalar backend sums in int64 directly. Both give the same S, so the same bytes.
//
// Group-wise W (W4A8: torchao's Int8DynamicActivationIntxWeight, IntxUnpackedToInt8Tensor with int8 per-token
// activations, which torchao itself computes as a float matmul of the dequantized operands). Per group g of G
// values the integer S_g[m, n] = sum over the group of (xq - zx[m]) * (w - zw[n, g]) is exact, then
//   y = Dst(sx[m] * sum_g sw[n, g] * S_g + bias[n])
// with fp32 arithmetic in an order of each backend's own, so the result is within the float error bound below, not
// bit-exact across backends and targets:
//   scalar   each S_g in int64, sum_g sw S_g and the product with sx in double, rounded to float; + bias in fp32.
//   highway  (ao/backends/hwy/group_int8_dot-inl.h) with x' = xq (int8 codes) or xq - 128 (uint8 codes) and zx' the
//            same shift of zx: f = sum_g sw * sum x' (w - zw) (exact int32 parts of 8 values, summed in fp32),
//            q = sum_g sw * sum (w - zw) when some zx' != 0, then y = Dst((f - zx' q) * sx + bias) in fp32.
//   bound    |y - y_exact| <= gamma_(K/16 + 8) * |sx| * sum_g |sw| sum_k (|x'| + |zx'|) |w - zw|
//            + 2^-23 (|y_exact| + |bias|), plus bf16's rounding for a bf16 y (tests/ops/group_integer_matmul_test.cc).
// With power-of-two scales and sums below 2^24 every step is exact: y is then the exact result on every path.
// Zero points must be codes of W (ao::error otherwise, found band by band as the matmul runs: y may then be partly
// written). AVX-512 VNNI runs groups of 32, 64 and multiples of 128 whose w - zw fit int8 (every width up to 7 bits,
// and 8-bit symmetric W); other groups, asymmetric 8-bit W and other CPUs take the generic kernel.
//
// What is checked (ao::error naming the argument; nothing is written on error unless said above): x's and W's
// views, K equal, y M x N with rows that do not overlap, bias N values, no output aliasing any input. M = 0 or
// N = 0: nothing is written; K = 0: S = 0.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backend.hpp"
#include "ao/backends/hwy/int8_dot.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/error.hpp"
#include "ao/executor.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/ops/float_matmul.hpp"
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

template <class F>
struct group_integer_weight_format : std::false_type {};
template <class T, class M, int G, class S, class E>
struct group_integer_weight_format<affine<T, M, group<G>, S, zero_point_domain::integer, E>> : std::true_type {};

}  // namespace detail

// Whether F can be an operand of the integer ao::matmul (above): x's format, or W's with per-row parameters.
template <class F>
inline constexpr bool is_integer_matmul_format_v = detail::integer_matmul_format<F>::value;

// Whether F can be W's format in the integer ao::matmul with group-wise scales (W4A8 and the like, above).
template <class F>
inline constexpr bool is_group_integer_matmul_weight_v = detail::group_integer_weight_format<F>::value;

namespace detail {

// A quantized operand's codes and per-row parameters.
template <class F>
struct integer_operand {
  const_quantized_view<F> q;

  static constexpr bool kSigned = F::quant_min < 0;
  std::size_t param_row(std::size_t r) const noexcept {
    return std::is_same_v<typename F::granularity, per_tensor> ? 0 : r;
  }
  // Row r's parameters (of its group g, for group-wise W).
  float scale(std::size_t r, std::size_t g = 0) const noexcept {
    return static_cast<float>(
        q.scales[static_cast<std::ptrdiff_t>(param_row(r)) * q.scales_stride + static_cast<std::ptrdiff_t>(g)]);
  }
  std::int32_t zero_point(std::size_t r, std::size_t g = 0) const noexcept {
    return q
        .zero_points[static_cast<std::ptrdiff_t>(param_row(r)) * q.zero_points_stride + static_cast<std::ptrdiff_t>(g)];
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

  // The epilogue's dtypes (file comment): I for S times x's scale, P for the product with W's scale and the bias.
  using I = std::conditional_t<std::is_same_v<scale_storage_t<A>, float16>, float, scale_storage_t<A>>;
  using P = torch_promoted_t<Dst, scale_storage_t<W>>;

  // y[row, col] from the exact S (the epilogue in the file comment).
  void store(std::size_t row, std::size_t col, std::int64_t s) const {
    float t = round_to_dtype<I>(static_cast<float>(s));
    t = round_to_dtype<I>(torch_multiply(t, x.scale(row)));
    t = round_to_dtype<Dst>(t);
    float v = round_to_dtype<P>(torch_multiply(t, w.scale(col)));
    if (bias != nullptr) v = round_to_dtype<P>(torch_add(v, bias[col]));
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

// The Highway GEMM path of the per-row integer matmul (ao::highway::int8_panel, on CPUs with AVX-512 VNNI, for
// M >= 32, K a multiple of 4 up to 32768). x is packed once into panels of 64 rows as unsigned bytes x' = x + a
// (a = 128 for int8 codes, 0 for uint8); W is read in place, as int8 w' = w - b (b = 128 for uint8 codes, else 0).
// Per band of 48 W rows, per block of 256 x rows, per chunk of 256 values of K, each tile of 6 W rows is multiplied
// with the block's panels into an int32 y^T block, exactly: sum x'w' = sum xw - b sum x + a sum w - a b K. Then
// ao::highway::int8_epilogue turns the block into y: sum (x - zx)(w - zw) from it and the row sums of x and W
// (int32 arithmetic modulo 2^32, exact since the result fits int32 for K <= 32768), then store's epilogue in
// vectors, so the bytes are the same as the dot-product path's.
inline constexpr std::size_t kIntegerPanelMinRows = 32;

// The sum of k codes (int8 when Signed, else uint8), k <= 2^23 (int32 partial sums; a plain loop compilers vectorize).
template <bool Signed>
std::int64_t code_sum(const std::uint8_t* codes, std::size_t k) {
  std::int32_t s = 0;
  for (std::size_t i = 0; i < k; ++i) s += Signed ? std::int32_t{static_cast<std::int8_t>(codes[i])} : codes[i];
  return s;
}

// The epilogue task's name for a torch dtype of the epilogue (float or ao::bfloat16).
template <class T>
constexpr highway::int8_epilogue_task::dtype epilogue_dtype() noexcept {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, bfloat16>, "the epilogue runs in fp32 or bf16");
  return std::is_same_v<T, bfloat16> ? highway::int8_epilogue_task::dtype::bf16
                                     : highway::int8_epilogue_task::dtype::f32;
}

template <class A, class W, class Dst, class Executor>
void integer_matmul_run_panels(const integer_matmul_problem<A, W, Dst>& p, Executor& ex) {
  using task_t = highway::int8_panel_task;
  using epilogue_t = highway::int8_epilogue_task;
  constexpr std::size_t P = task_t::kColumns, R = task_t::kWRows;
  constexpr std::size_t kMBlock = 4 * P, kBand = 8 * R, kChunk = 256;
  static_assert(P % epilogue_t::kColumnPadding == 0, "x's per-row arrays are padded to whole panels");
  constexpr std::int32_t a = integer_operand<A>::kSigned ? 128 : 0;
  constexpr std::int32_t b = integer_operand<W>::kSigned ? 0 : 128;
  const std::size_t panels = (p.m + P - 1) / P, padded_m = panels * P;
  const std::size_t panel_bytes = p.k * P;
  // x packed (4 codes of one row are one 32-bit word of the panel), and per row its code sum (modulo 2^32, as the
  // epilogue computes), zero point and scale.
  const std::unique_ptr<std::uint8_t[]> xp(new std::uint8_t[panels * panel_bytes]);
  std::vector<std::int32_t> x_sum(padded_m, 0), x_zero(padded_m, 0);
  std::vector<float> x_scale(padded_m, 0.0f);
  constexpr std::uint32_t flip = a != 0 ? 0x80808080u : 0u;
  for (std::size_t m = 0; m < padded_m; ++m) {
    std::uint8_t* const panel = xp.get() + (m / P) * panel_bytes;
    const std::uint8_t* row = m < p.m ? p.x.row(m) : nullptr;
    for (std::size_t k = 0; k < p.k; k += 4) {
      std::uint32_t word = 0;
      if (row != nullptr) {
        std::memcpy(&word, row + k, 4);
        word ^= flip;
      }
      std::memcpy(panel + highway::int8_panel_offset(m % P, k), &word, 4);
    }
    if (row != nullptr) {
      x_sum[m] = static_cast<std::int32_t>(code_sum<integer_operand<A>::kSigned>(row, p.k));
      x_zero[m] = p.x.zero_point(m);
      x_scale[m] = p.x.scale(m);
    }
  }
  // Rows past N: codes whose w' is 0.
  const std::vector<std::uint8_t> zero_row(p.k, b != 0 ? 0x80 : 0);
  using problem = integer_matmul_problem<A, W, Dst>;
  ex.parallel_for((p.n + kBand - 1) / kBand, [&](std::size_t task) {
    const std::size_t n0 = task * kBand, rows = std::min(kBand, p.n - n0);
    const std::size_t tiles = (rows + R - 1) / R;
    std::int32_t w_sum[kBand], w_zero[kBand];
    float w_scale[kBand];
    for (std::size_t j = 0; j < rows; ++j) {
      w_sum[j] = static_cast<std::int32_t>(code_sum<integer_operand<W>::kSigned>(p.w.row(n0 + j), p.k));
      w_zero[j] = p.w.zero_point(n0 + j);
      w_scale[j] = p.w.scale(n0 + j);
    }
    std::vector<std::int32_t> acc(tiles * R * kMBlock);
    for (std::size_t m0 = 0; m0 < p.m; m0 += kMBlock) {
      const std::size_t mb = std::min(kMBlock, p.m - m0);
      std::fill(acc.begin(), acc.end(), 0);
      for (std::size_t k0 = 0; k0 < p.k; k0 += kChunk) {
        const std::size_t len = std::min(kChunk, p.k - k0);
        for (std::size_t j0 = 0; j0 < rows; j0 += R) {
          task_t t{};
          for (std::size_t j = 0; j < R; ++j) t.w[j] = (j0 + j < rows ? p.w.row(n0 + j0 + j) : zero_row.data()) + k0;
          t.w_unsigned = b != 0;
          t.k = len;
          t.acc_stride = static_cast<std::ptrdiff_t>(kMBlock);
          for (std::size_t q = m0 / P; q * P < m0 + mb; ++q) {
            t.x = xp.get() + q * panel_bytes + highway::int8_panel_offset(0, k0);
            t.acc =
                acc.data() + static_cast<std::ptrdiff_t>(j0) * t.acc_stride + static_cast<std::ptrdiff_t>(q * P - m0);
            highway::int8_panel(t);
          }
        }
      }
      epilogue_t e{};
      e.acc = acc.data();
      e.acc_stride = static_cast<std::ptrdiff_t>(kMBlock);
      e.rows = rows;
      e.columns = mb;
      e.x_sum = x_sum.data() + m0;
      e.x_zero = x_zero.data() + m0;
      e.x_scale = x_scale.data() + m0;
      e.w_sum = w_sum;
      e.w_zero = w_zero;
      e.w_scale = w_scale;
      e.bias = p.bias != nullptr ? p.bias + n0 : nullptr;
      e.a = a;
      e.b = b;
      e.k = static_cast<std::int32_t>(p.k);
      e.i_type = epilogue_dtype<typename problem::I>();
      e.p_type = epilogue_dtype<typename problem::P>();
      e.y_type = epilogue_dtype<Dst>();
      e.y = p.y.data() + static_cast<std::ptrdiff_t>(m0) * p.y.stride(0) + static_cast<std::ptrdiff_t>(n0);
      e.y_stride = p.y.stride(0);
      highway::int8_epilogue(e);
    }
  });
}

template <class A, class W, class Dst, class Executor>
void integer_matmul_run(backend::highway, const integer_matmul_problem<A, W, Dst>& p, Executor& ex) {
  if (p.m >= kIntegerPanelMinRows && p.k % 4 == 0 && p.k <= highway::int8_panel_task::kMaxK &&
      highway::int8_panel_fast()) {
    integer_matmul_run_panels(p, ex);
    return;
  }
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

// ---- Group-wise W (W4A8): y = sx * sum over groups of sw[g] * S_g + bias ----

template <class A, class W, class Dst>
struct group_integer_matmul_problem {
  static constexpr std::size_t kGroup = static_cast<std::size_t>(W::granularity::size);
  integer_operand<A> x;
  integer_operand<W> w;
  const float* bias;  // N values, or null
  strided_view<Dst, 2> y;
  std::size_t m, n, k;

  std::size_t groups() const noexcept { return k / kGroup; }
  // y[row, col] = Dst(v + bias[col]), in fp32.
  void store(std::size_t row, std::size_t col, float v) const {
    if (bias != nullptr) v += bias[col];
    y.data()[static_cast<std::ptrdiff_t>(row) * y.stride(0) + static_cast<std::ptrdiff_t>(col)] =
        scalar::detail::from_float<Dst>(v);
  }
};

// The smallest and largest zero point of W's rows [r0, r1). They must be codes of W (what ao::quantize writes;
// others would change the kernels' integer arithmetic): an ao::error names the first that is not. Checked band by
// band as the matmul runs (the band's zero points are then in cache), so on this error y is left partly written.
template <class A, class W>
std::pair<std::int32_t, std::int32_t> group_zero_point_range(const integer_operand<W>& w, std::size_t r0,
                                                             std::size_t r1, std::size_t groups) {
  std::int32_t lo = W::quant_min, hi = W::quant_min;
  if (r0 < r1 && groups > 0) lo = hi = w.zero_point(r0, 0);
  for (std::size_t r = r0; r < r1; ++r) {
    const std::int32_t* z = w.q.zero_points + static_cast<std::ptrdiff_t>(r) * w.q.zero_points_stride;
    for (std::size_t g = 0; g < groups; ++g) {
      lo = std::min(lo, z[g]);
      hi = std::max(hi, z[g]);
    }
  }
  if (lo >= W::quant_min && hi <= W::quant_max) return {lo, hi};
  for (std::size_t r = r0; r < r1; ++r) {
    for (std::size_t g = 0; g < groups; ++g) {
      const std::int32_t z = w.zero_point(r, g);
      if (z < W::quant_min || z > W::quant_max) {
        throw ao::error(std::string("ao::matmul<") + format_name<A>() + " x " + format_name<W>() +
                        ">: W's zero point " + std::to_string(z) + " (row " + std::to_string(r) + ", group " +
                        std::to_string(g) + ") is outside its codes' range [" + std::to_string(W::quant_min) + ", " +
                        std::to_string(W::quant_max) + "]");
      }
    }
  }
  return {lo, hi};
}

// Asks for `rows` rows of `count` elements (`stride` elements apart) to be brought into cache.
template <class T>
void prefetch_rows(const T* p, std::ptrdiff_t stride, std::size_t rows, std::size_t count) {
  for (std::size_t r = 0; r < rows; ++r) {
    const char* row = reinterpret_cast<const char*>(p + static_cast<std::ptrdiff_t>(r) * stride);
    for (std::size_t b = 0; b < count * sizeof(T); b += 64) __builtin_prefetch(row + b);
  }
}

// The reference: each S_g = sum over the group of (x - zx)(w - zw) exactly (int64), sum_g sw[g] * S_g and the
// product with sx in double, rounded once to float; then + bias in fp32 and Dst.
template <class A, class W, class Dst, class Executor>
void integer_matmul_run(backend::scalar, const group_integer_matmul_problem<A, W, Dst>& p, Executor& ex) {
  constexpr std::size_t G = group_integer_matmul_problem<A, W, Dst>::kGroup;
  const std::size_t step = matmul_rows_per_task(p.k);
  ex.parallel_for((p.n + step - 1) / step, [&](std::size_t task) {
    group_zero_point_range<A>(p.w, task * step, std::min(p.n, (task + 1) * step), p.groups());
    for (std::size_t n = task * step; n < std::min(p.n, (task + 1) * step); ++n) {
      for (std::size_t m = 0; m < p.m; ++m) {
        const std::int64_t zx = p.x.zero_point(m);
        double acc = 0.0;
        for (std::size_t g = 0; g < p.groups(); ++g) {
          const std::int64_t zw = p.w.zero_point(n, g);
          std::int64_t s = 0;
          for (std::size_t k = g * G; k < (g + 1) * G; ++k) s += (p.x.code(m, k) - zx) * (p.w.code(n, k) - zw);
          acc += static_cast<double>(p.w.scale(n, g)) * static_cast<double>(s);
        }
        p.store(m, n, static_cast<float>(static_cast<double>(p.x.scale(m)) * acc));
      }
    }
  });
}

// The Highway backend. x is copied as int8 codes (uint8 ones less 128, with their zero points) in the kernel's
// layout, zero-padded to 128 values, with the VNNI path's lane sums (group_int8_dot-inl.h). W is read in place (fp32
// scales too; bf16 and fp16 ones are widened per band of W rows); with more than 4 rows of x, the VNNI kernel packs
// each band of W once (zero points subtracted, shuffled) and the other x tiles read the packed band. The kernel gives f
// = sum_g sw[g] sum x (w - zw) and q = sum_g sw[g] sum (w - zw); then y = ((f - zx q) * sx) + bias in fp32 (q only for
// x with a zero point).
template <class A, class W, class Dst, class Executor>
void integer_matmul_run(backend::highway, const group_integer_matmul_problem<A, W, Dst>& p, Executor& ex) {
  using task_t = highway::group_int8_dot_task;
  constexpr std::size_t kR = task_t::kMaxRows;
  constexpr std::size_t kMBlock = 64;
  constexpr std::size_t G = group_integer_matmul_problem<A, W, Dst>::kGroup;
  static_assert(G <= task_t::kMaxGroup, "ao::matmul: groups of W above 65536 values are not supported");
  constexpr std::int32_t kXShift = integer_operand<A>::kSigned ? 0 : 128;
  constexpr bool kFloatScales = std::is_same_v<scale_storage_t<W>, float>;
  const std::size_t kp = (p.k + task_t::kXPadding - 1) / task_t::kXPadding * task_t::kXPadding;
  const std::size_t lanes_per_row = kp / task_t::kXPadding * task_t::kLanesPer;
  // (Not value-initialized: group_int8_dot_prepare_x writes every byte and lane.)
  const std::unique_ptr<std::int8_t[]> x(new std::int8_t[p.m * kp]);
  const std::unique_ptr<std::int32_t[]> x_lanes(new std::int32_t[p.m * lanes_per_row]);
  std::vector<std::int8_t> codes(p.k);
  std::vector<std::int32_t> zx(p.m);
  bool x_zero_points = false;
  for (std::size_t m = 0; m < p.m; ++m) {
    const std::uint8_t* row = p.x.row(m);
    for (std::size_t k = 0; k < p.k; ++k) codes[k] = static_cast<std::int8_t>(row[k] ^ (kXShift != 0 ? 0x80 : 0));
    highway::group_int8_dot_prepare_x(G, codes.data(), p.k, x.get() + m * kp, x_lanes.get() + m * lanes_per_row);
    zx[m] = p.x.zero_point(m) - kXShift;
    x_zero_points = x_zero_points || zx[m] != 0;
  }
  const std::size_t groups = p.groups();
  const std::size_t step = matmul_rows_per_task(p.k);
  ex.parallel_for((p.n + step - 1) / step, [&](std::size_t task) {
    const std::size_t n0 = task * step, rows = std::min(step, p.n - n0);
    const auto [lo, hi] = group_zero_point_range<A>(p.w, n0, n0 + rows, groups);
    if (n0 + rows < p.n) {
      // The next band's zero points and scales, to cache while this band's codes stream (the range check above
      // would otherwise wait for them from memory, a small share of W's bytes with nothing to overlap).
      const std::size_t next = std::min(step, p.n - n0 - rows);
      prefetch_rows(p.w.q.zero_points + static_cast<std::ptrdiff_t>(n0 + rows) * p.w.q.zero_points_stride,
                    p.w.q.zero_points_stride, next, groups);
      prefetch_rows(p.w.q.scales + static_cast<std::ptrdiff_t>(n0 + rows) * p.w.q.scales_stride, p.w.q.scales_stride,
                    next, groups);
    }
    const bool fits = W::quant_min - hi >= -128 && W::quant_max - lo <= 127;  // every w - zw within int8
    const bool zeros = lo != 0 || hi != 0;
    std::vector<float> widened(kFloatScales ? 0 : rows * groups), q(rows, 0.0f);
    // With more than one x tile, the first packs the band's W as the VNNI kernel uses it and the others read that.
    // (Not value-initialized: the first x tile writes every byte before any is read.)
    const std::size_t packed_stride = kp;
    const std::unique_ptr<std::uint8_t[]> packed(p.m > kR ? new std::uint8_t[rows * packed_stride] : nullptr);
    for (std::size_t i = 0; i < widened.size(); ++i) widened[i] = p.w.scale(n0 + i / groups, i % groups);
    float f[kR * kR];
    for (std::size_t mb = 0; mb < p.m; mb += kMBlock) {
      const std::size_t m_end = std::min(p.m, mb + kMBlock);
      for (std::size_t j0 = 0; j0 < rows; j0 += kR) {
        const std::size_t w_rows = std::min(kR, rows - j0);
        for (std::size_t m0 = mb; m0 < m_end; m0 += kR) {
          task_t t{};
          t.x = x.get() + static_cast<std::ptrdiff_t>(m0 * kp);
          t.x_stride = static_cast<std::ptrdiff_t>(kp);
          t.x_rows = std::min(kR, m_end - m0);
          t.x_lanes = x_lanes.get() + static_cast<std::ptrdiff_t>(m0 * lanes_per_row);
          t.x_lanes_stride = static_cast<std::ptrdiff_t>(lanes_per_row);
          t.w = p.w.row(n0 + j0);
          t.w_stride = p.w.q.data_stride;
          t.w_rows = w_rows;
          t.w_signed = integer_operand<W>::kSigned;
          t.w_fits_int8 = fits;
          t.group = G;
          if constexpr (kFloatScales) {
            t.w_scales = p.w.q.scales + static_cast<std::ptrdiff_t>(n0 + j0) * p.w.q.scales_stride;
            t.w_scales_stride = p.w.q.scales_stride;
          } else {
            t.w_scales = widened.data() + static_cast<std::ptrdiff_t>(j0 * groups);
            t.w_scales_stride = static_cast<std::ptrdiff_t>(groups);
          }
          t.w_zero_points =
              zeros ? p.w.q.zero_points + static_cast<std::ptrdiff_t>(n0 + j0) * p.w.q.zero_points_stride : nullptr;
          t.w_zero_points_stride = p.w.q.zero_points_stride;
          t.k = p.k;
          t.f = f;
          t.f_stride = static_cast<std::ptrdiff_t>(kR);
          t.q = x_zero_points && m0 == 0 ? q.data() + j0 : nullptr;  // once per W tile, on the first x tile
          t.w_packed = packed == nullptr ? nullptr : packed.get() + j0 * packed_stride;
          t.w_packed_stride = static_cast<std::ptrdiff_t>(packed_stride);
          t.pack_w = m0 == 0;
          t.w_next = n0 + j0 + kR < p.n ? t.w + static_cast<std::ptrdiff_t>(kR) * t.w_stride : nullptr;
          highway::group_int8_dot(t);
          for (std::size_t i = 0; i < t.x_rows; ++i) {
            const float sx = p.x.scale(m0 + i);
            for (std::size_t j = 0; j < w_rows; ++j) {
              const float v = f[i * kR + j] - static_cast<float>(zx[m0 + i]) * q[j0 + j];
              p.store(m0 + i, n0 + j0 + j, v * sx);
            }
          }
        }
      }
    }
  });
}

template <class T>
inline constexpr bool is_quantized_operand_v = is_matmul_weights_v<T>;

// ao::matmul with a quantized x: the checks, then the integer matmul, or for an FP8, MX or NVFP4 x the
// floating-point one (ao/ops/float_matmul.hpp).
template <class XIn, class WIn, class DstT, class... Options>
void quantized_matmul(const XIn& x_in, const WIn& w_in, const strided_view<const float, 1>* bias_in,
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
  static_assert(is_integer_matmul_format_v<A> || is_float_matmul_format_v<A>,
                "ao::matmul: a quantized x must be ao::affine with an integer zero point, per_row or per_tensor, or "
                "an FP8, MX or NVFP4 format");
  static_assert(is_float_matmul_format_v<A> || is_integer_matmul_format_v<W> || is_group_integer_matmul_weight_v<W>,
                "ao::matmul with an integer x: W must be ao::affine with an integer zero point, per_row, "
                "per_tensor or group-wise");
  const char* op = "ao::matmul";
  const std::string where = std::string(op) + "<" + format_name<A>() + " x " + format_name<W>() + ">: ";
  check_quantized_view(op, x);
  check_quantized_view(op, w);
  const float* bias = check_matmul_operands(op, where, x.rows, x.cols, operand_buffers("x", x, x.data_row_bytes()),
                                            w.rows, w.cols, weight_buffers(w, w.data_row_bytes()), bias_in, y);
  if (x.rows == 0 || w.rows == 0) return;
  if constexpr (is_float_matmul_format_v<A>) {
    float_matmul_checked(x, w, bias, y, Backend{}, ex);
  } else if constexpr (is_group_integer_matmul_weight_v<W>) {
    integer_matmul_run(Backend{}, group_integer_matmul_problem<A, W, DstT>{{x}, {w}, bias, y, x.rows, w.rows, w.cols},
                       ex);
  } else {
    integer_matmul_run(Backend{}, integer_matmul_problem<A, W, DstT>{{x}, {w}, bias, y, x.rows, w.rows, w.cols}, ex);
  }
}

}  // namespace detail

template <class X, class W, class Dst, class... Options,
          class = std::enable_if_t<detail::is_quantized_operand_v<X> && detail::is_matmul_weights_v<W>>>
void matmul(const X& xq, const W& w, strided_view<Dst, 2> y, Options&&... options) {
  detail::quantized_matmul(xq, w, static_cast<const strided_view<const float, 1>*>(nullptr), y, options...);
}

template <class X, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_quantized_operand_v<X> && detail::is_matmul_weights_v<W> &&
                                   std::is_same_v<std::remove_const_t<Bias>, float>>>
void matmul(const X& xq, const W& w, strided_view<Bias, 1> bias, strided_view<Dst, 2> y, Options&&... options) {
  const strided_view<const float, 1> b = bias;
  detail::quantized_matmul(xq, w, &b, y, options...);
}

// x quantized per call with A, then the integer matmul. Options as above (the executor also quantizes x).
template <class A, class Src, class W, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void matmul_dynamic(strided_view<Src, 2> x, const W& w, strided_view<Dst, 2> y, Options&&... options) {
  static_assert(is_integer_matmul_format_v<A> || is_float_matmul_format_v<A>,
                "ao::matmul_dynamic: A must be an integer-matmul format or an FP8, MX or NVFP4 format");
  matmul(quantize<A>(x, options...), w, y, options...);
}

template <class A, class Src, class W, class Bias, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && std::is_same_v<std::remove_const_t<Bias>, float>>>
void matmul_dynamic(strided_view<Src, 2> x, const W& w, strided_view<Bias, 1> bias, strided_view<Dst, 2> y,
                    Options&&... options) {
  static_assert(is_integer_matmul_format_v<A> || is_float_matmul_format_v<A>,
                "ao::matmul_dynamic: A must be an integer-matmul format or an FP8, MX or NVFP4 format");
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
