// ao::matmul (weight-only, ao/ops/matmul.hpp) against a float64 reference, for every registry format, both backends
// and every Highway target the CPU has.
//
// Reference: W dequantized by the scalar oracle (ao::dequantize to float, backend scalar: the values the matmul
// must use), then y_ref[m, n] = bias[n] + sum_k double(x[m, k]) * double(W[n, k]) in double, and a[m, n] =
// |bias[n]| + sum_k |x[m, k] W[n, k]|. Bounds (u = 2^-24, gamma_n = n u / (1 - n u)):
//   elementwise, fp32 y:  |y - y_ref| <= gamma_(K+2) a       (any order of K + 1 fp32 additions, products rounded
//                                                             or fused; holds for both backends' orders)
//   elementwise, bf16 y:  |y - y_ref| <= gamma_(K+2) a (1 + 2^-8) + 2^-8 |y_ref|   (plus one bf16 rounding)
//   relative Frobenius:   ||y - y_ref||_F / ||y_ref||_F <= 1e-5 (fp32 y) and 2^-8 (bf16 y), on well-conditioned
//                         random data (Gaussian x, LLM-like W)
//   Highway vs scalar:    |y_h - y_s| <= the sum of their two elementwise bounds (for M below the GEMM path's
//                         threshold their orders differ: the scalar backend sums k in order, Highway by lanes and
//                         chunks); bit for bit from that M on, on targets with FMA; bit-identical across executors.
#include "ao/ops/matmul.hpp"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "expect_error.hpp"
#include "ops_test_util.hpp"
#include "panel_fma_probe.hpp"

namespace {

using ao::testing::expect_error;

// K for format F: a multiple of its block, above one 512-value chunk, with a partial last chunk (and, for
// per-row and per-tensor formats, not a multiple of 16).
template <class F>
std::size_t test_k() {
  const std::size_t cm = ao::format_traits<F>::col_multiple;
  return cm == 1 ? 531 : (530 + cm - 1) / cm * cm;
}
// N for format F: not a multiple of the 4-row tile nor of the 64-row task, unless the format's tiles are taller.
template <class F>
std::size_t test_n() {
  return ao::format_traits<F>::row_multiple == 1 ? 70 : ao::format_traits<F>::row_multiple;
}

template <class T>
T to(float v) {
  return ao_test::from_float<T>(v);
}
template <class T>
double wide(T v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<double>(float(v));
  }
}

// A problem: x (M x K, row stride x_stride), W quantized (N x K), bias (or none), and the reference.
template <class F, class Src>
struct problem {
  std::size_t m, n, k;
  std::ptrdiff_t x_stride;
  std::vector<Src> x;
  ao::quantized_tensor<F> w;
  std::vector<float> bias;  // empty: none
  std::vector<double> ref, abs;

  void reference() {
    std::vector<float> wd(n * k);
    if (n * k > 0) ao::dequantize(w.cview(), ao::strided_view<float, 2>(wd.data(), {n, k}), ao::backend::scalar{});
    ref.assign(m * n, 0.0);
    abs.assign(m * n, 0.0);
    std::vector<double> xd(m * k);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t c = 0; c < k; ++c) xd[i * k + c] = wide(x[i * static_cast<std::size_t>(x_stride) + c]);
    }
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double s = bias.empty() ? 0.0 : bias[j], a = bias.empty() ? 0.0 : std::fabs(bias[j]);
        for (std::size_t c = 0; c < k; ++c) {
          const double p = xd[i * k + c] * static_cast<double>(wd[j * k + c]);
          s += p;
          a += std::fabs(p);
        }
        ref[i * n + j] = s;
        abs[i * n + j] = a;
      }
    }
  }
};

template <class F, class Src>
problem<F, Src> make_problem(std::size_t m, std::size_t n, std::size_t k, std::size_t x_pad, bool bias,
                             std::uint32_t seed, float x_scale = 1.0f) {
  problem<F, Src> p{m, n, k, static_cast<std::ptrdiff_t>(k + x_pad), {}, {}, {}, {}, {}};
  const std::vector<float> xv = ao_test::randn(m * (k + x_pad), seed);
  p.x.resize(xv.size());
  for (std::size_t i = 0; i < xv.size(); ++i) p.x[i] = to<Src>(xv[i] * x_scale);
  const std::vector<float> wv = ao_test::llm_like<float>(n, k, seed + 1, false);
  p.w = ao::quantize<F>(ao_test::cview_of<float, 2>(wv, {n, k}), ao::backend::scalar{});
  if (bias) p.bias = ao_test::randn(n, seed + 2);
  p.reference();
  return p;
}

constexpr double kU = 0x1p-24;
double gamma_of(std::size_t n) { return n * kU / (1.0 - n * kU); }

// y (M x N with row stride y_stride) of one run.
template <class Dst>
struct result {
  std::vector<Dst> y;
  std::ptrdiff_t stride;
  double at(std::size_t i, std::size_t j) const { return wide(y[i * static_cast<std::size_t>(stride) + j]); }
};

template <class Dst, class F, class Src, class Backend, class... Executor>
result<Dst> run(const problem<F, Src>& p, std::size_t y_pad, Backend be, Executor&... ex) {
  result<Dst> r{std::vector<Dst>(p.m * (p.n + y_pad) + 1, to<Dst>(-7.0f)), static_cast<std::ptrdiff_t>(p.n + y_pad)};
  const ao::strided_view<const Src, 2> x(p.x.data(), {p.m, p.k}, {p.x_stride, 1});
  const ao::strided_view<Dst, 2> y(r.y.data(), {p.m, p.n}, {r.stride, 1});
  if (p.bias.empty()) {
    ao::matmul(x, p.w, y, be, ex...);
  } else {
    ao::matmul(x, p.w, ao::strided_view<const float, 1>(p.bias.data(), {p.n}), y, be, ex...);
  }
  return r;
}

// The elementwise bound of one output value.
template <class Dst>
double bound_of(double ref, double abs, std::size_t k) {
  const double g = gamma_of(k + 2) * abs;
  return std::is_same_v<Dst, float> ? g : g * (1.0 + 0x1p-8) + 0x1p-8 * std::fabs(ref);
}

template <class Dst, class F, class Src>
void check_against_reference(const problem<F, Src>& p, const result<Dst>& r, const char* what) {
  SCOPED_TRACE(what);
  double err2 = 0.0, ref2 = 0.0;
  int reported = 0;
  for (std::size_t i = 0; i < p.m; ++i) {
    for (std::size_t j = 0; j < p.n; ++j) {
      const double y = r.at(i, j), ref = p.ref[i * p.n + j];
      const double bound = bound_of<Dst>(ref, p.abs[i * p.n + j], p.k);
      if (!(std::fabs(y - ref) <= bound) && reported++ < 5) {
        ADD_FAILURE() << "y[" << i << ", " << j << "] = " << y << ", reference " << ref << ", bound " << bound;
      }
      err2 += (y - ref) * (y - ref);
      ref2 += ref * ref;
    }
    // Padding between rows of y is untouched.
    for (std::size_t j = p.n; j < static_cast<std::size_t>(r.stride) && i + 1 < p.m; ++j) {
      EXPECT_EQ(r.at(i, j), -7.0) << "y's row padding was written";
    }
  }
  const double frobenius_bound = std::is_same_v<Dst, float> ? 1e-5 : 0x1p-8;
  if (ref2 > 0.0) {
    EXPECT_LE(std::sqrt(err2 / ref2), frobenius_bound) << "relative Frobenius error";
  }
}

template <class Dst, class F, class Src>
void check_backends_close(const problem<F, Src>& p, const result<Dst>& h, const result<Dst>& s) {
  int reported = 0;
  for (std::size_t i = 0; i < p.m; ++i) {
    for (std::size_t j = 0; j < p.n; ++j) {
      const double bound = 2.0 * bound_of<Dst>(p.ref[i * p.n + j], p.abs[i * p.n + j], p.k);
      if (!(std::fabs(h.at(i, j) - s.at(i, j)) <= bound) && reported++ < 5) {
        ADD_FAILURE() << "highway " << h.at(i, j) << " vs scalar " << s.at(i, j) << " at [" << i << ", " << j
                      << "], bound " << bound;
      }
    }
  }
}

template <class F, class Src, class Dst>
void check_format(std::size_t m, std::size_t x_pad, std::size_t y_pad, bool bias, std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<F>()) + " M=" + std::to_string(m) + " " + ao_test::dtype_name<Src>() + " -> " +
               ao_test::dtype_name<Dst>() + (bias ? " bias" : "") + " seed " + std::to_string(seed));
  const problem<F, Src> p = make_problem<F, Src>(m, test_n<F>(), test_k<F>(), x_pad, bias, seed);
  const result<Dst> s = run<Dst>(p, y_pad, ao::backend::scalar{});
  const result<Dst> h = run<Dst>(p, y_pad, ao::backend::highway{});
  check_against_reference(p, s, "scalar");
  check_against_reference(p, h, "highway");
  check_backends_close(p, h, s);
}

// Every registry format: fp32 and bf16 in and out, M in {1, 3, 8, 17}, strided x and y, with and without bias.
TEST(Matmul, EveryFormatMatchesReference) {
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    check_format<F, float, float>(1, 0, 0, false, 1);
    check_format<F, float, float>(17, 5, 3, true, 2);
    check_format<F, ao::bfloat16, ao::bfloat16>(3, 0, 0, true, 3);
    check_format<F, ao::bfloat16, ao::bfloat16>(8, 7, 1, false, 4);
  });
}

// The mixed dtype pairs, on one format per storage shape.
TEST(Matmul, MixedDtypes) {
  ao_test::for_each_storage_shape([&](auto tag) {
    using F = typename decltype(tag)::type;
    check_format<F, float, ao::bfloat16>(8, 1, 2, true, 5);
    check_format<F, ao::bfloat16, float>(17, 0, 0, true, 6);
  });
}

// Every Highway target this CPU has (the dequantize and the dot kernels both switch target).
TEST(Matmul, EveryHighwayTarget) {
  std::string names;
  for (std::int64_t target : ::hwy::SupportedAndGeneratedTargets()) {
    ::hwy::SetSupportedTargetsForTest(target);
    names += std::string(" ") + ::hwy::TargetName(target);
    SCOPED_TRACE(::hwy::TargetName(target));
    ao_test::for_each_storage_shape([&](auto tag) {
      using F = typename decltype(tag)::type;
      check_format<F, float, float>(17, 3, 0, true, 7);
      check_format<F, ao::bfloat16, float>(1, 0, 0, false, 8);
    });
  }
  ::hwy::SetSupportedTargetsForTest(0);
  std::printf("[ targets  ]%s\n", names.c_str());
}

// The in-register decode (MatmulDotFused) gives the same bits as decoding the tile with the format's Dequantize
// kernel and multiplying it (MatmulDot), on every target, for 1 to 4 weight rows and 1 to 7 rows of x, and for each
// storage shape it covers: affine per row, per tensor, group<32>, tinygemm's float zero point; FP8 per tensor, per
// row, 1x128 and 128x128 blocks; MX fp4 (two codes a byte), fp8 and fp6; NVFP4 with and without its global scale.
// Weights include NaN, Inf and zero blocks (LLM-like data with specials).
template <class F>
void check_fused_equals_dequantize_then_dot() {
  static_assert(ao::highway::kMatmulFused<F>, "a format ao::matmul decodes in registers");
  SCOPED_TRACE(ao::name<F>());
  const std::size_t k = 256, n = 4;
  const std::size_t stored_rows = std::max<std::size_t>(n, ao::format_traits<F>::row_multiple);
  const std::vector<float> wv = ao_test::llm_like<float>(stored_rows, k, 21, true);
  const ao::quantized_tensor<F> w =
      ao::quantize<F>(ao_test::cview_of<float, 2>(wv, {stored_rows, k}), ao::backend::scalar{});
  const ao::const_quantized_view<F> q = w.cview();
  const ao::tensor_params_t<F> tensor = ao::detail::stored_tensor_params(q);
  const std::vector<float> x = ao_test::randn(7 * k, 22);
  for (std::size_t w_rows = 1; w_rows <= 4; ++w_rows) {
    for (std::size_t rows = 1; rows <= 7; rows += 3) {
      std::vector<float> scratch(4 * k, 0.0f), acc_dot(rows * 4, 0.5f), acc_fused(rows * 4, 0.5f);
      ao::highway::dequantize(ao::detail::weight_tile<F>(q, tensor, 0, w_rows, 0, k, scratch.data(), k));
      for (std::size_t r = w_rows; r < 4; ++r) {  // rows past the tile repeat the last one, as the fused kernel reads
        std::copy(scratch.begin() + static_cast<std::ptrdiff_t>((w_rows - 1) * k),
                  scratch.begin() + static_cast<std::ptrdiff_t>(w_rows * k),
                  scratch.begin() + static_cast<std::ptrdiff_t>(r * k));
      }
      ao::highway::matmul_dot({x.data(), static_cast<std::ptrdiff_t>(k), rows, scratch.data(),
                               static_cast<std::ptrdiff_t>(k), k, acc_dot.data(), 4});
      ao::highway::matmul_dot_fused(ao::detail::fused_weight_tile<F>(
          q, tensor, 0, w_rows, 0, k, x.data(), static_cast<std::ptrdiff_t>(k), rows, acc_fused.data(), 4));
      EXPECT_EQ(ao_test::first_bit_difference(acc_fused, acc_dot), -1) << w_rows << " weight rows, " << rows << " rows";
    }
  }
}

TEST(Matmul, FusedDecodeEqualsDequantizeThenDot) {
  for (std::int64_t target : ::hwy::SupportedAndGeneratedTargets()) {
    ::hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(::hwy::TargetName(target));
    check_fused_equals_dequantize_then_dot<ao::int8_asymmetric_per_row>();
    check_fused_equals_dequantize_then_dot<ao::int8_symmetric_per_tensor>();
    check_fused_equals_dequantize_then_dot<ao::int4_asymmetric_group32>();
    check_fused_equals_dequantize_then_dot<ao::tinygemm_int4_group128>();
    check_fused_equals_dequantize_then_dot<ao::float8_e4m3_per_tensor>();
    check_fused_equals_dequantize_then_dot<ao::float8_e5m2_per_row>();
    check_fused_equals_dequantize_then_dot<ao::float8_e4m3_per_block_1x128>();
    check_fused_equals_dequantize_then_dot<ao::float8_e4m3_per_block_128x128>();
    check_fused_equals_dequantize_then_dot<ao::mxfp4>();
    check_fused_equals_dequantize_then_dot<ao::mxfp8_e4m3>();
    check_fused_equals_dequantize_then_dot<ao::mxfp8_e5m2_rceil>();
    check_fused_equals_dequantize_then_dot<ao::mxfp6_e3m2>();
    check_fused_equals_dequantize_then_dot<ao::nvfp4>();
    check_fused_equals_dequantize_then_dot<ao::nvfp4_global_scale>();
  }
  ::hwy::SetSupportedTargetsForTest(0);
}

// A long K (several chunks, an M beyond one 64-row block of x: the GEMM order) and two threads: bit-identical to
// one thread, and within the bounds.
TEST(Matmul, LargeMAndExecutors) {
  using F = ao::int4_asymmetric_group32;
  const problem<F, float> p = make_problem<F, float>(150, 133, 2048, 0, true, 9);
  ao::thread_pool pool(2);
  for (auto be : {0, 1}) {
    result<float> one, two;
    if (be == 0) {
      one = run<float>(p, 0, ao::backend::scalar{});
      two = run<float>(p, 0, ao::backend::scalar{}, pool);
    } else {
      one = run<float>(p, 0, ao::backend::highway{});
      two = run<float>(p, 0, ao::backend::highway{}, pool);
    }
    check_against_reference(p, one, be == 0 ? "scalar" : "highway");
    EXPECT_EQ(ao_test::first_bit_difference(one.y, two.y), -1) << "the executor changed the result";
  }
}

// The GEMM path (M >= ao::detail::kMatmulPanelMinRows, ao::highway::matmul_panel): every output is the scalar
// backend's chain of fused multiply-adds in k order, so where the kernel that runs fuses them (AVX2 and later; a
// sanitizer build's dispatch library may lack the forced target and run an older one: panel_fma_probe.hpp) the
// Highway result is the scalar one bit for bit, also with NaN, Inf and all-zero blocks in W (LLM-like data with
// specials); every target must meet the bound. M = 32 and 70 (partial 64-row panels), N not a multiple of the 6-row
// tile nor of the 48-row band, K with a partial last chunk, strided x and y, bias, fp32 and bf16 x and y.
template <class F, class Src, class Dst>
void check_gemm_path(bool fma, std::size_t m, std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<F>()) + " M=" + std::to_string(m) + " " + ao_test::dtype_name<Src>() + " -> " +
               ao_test::dtype_name<Dst>());
  ASSERT_GE(m, ao::detail::kMatmulPanelMinRows);
  problem<F, Src> p = make_problem<F, Src>(m, test_n<F>(), test_k<F>(), 3, true, seed);
  const result<Dst> h = run<Dst>(p, 2, ao::backend::highway{});
  check_against_reference(p, h, "highway");
  if (fma) {
    EXPECT_EQ(ao_test::first_bit_difference(h.y, run<Dst>(p, 2, ao::backend::scalar{}).y), -1);
    const std::size_t stored_rows = std::max(p.n, ao::format_traits<F>::row_multiple);
    const std::vector<float> wv = ao_test::llm_like<float>(stored_rows, p.k, seed + 5, true);
    p.w = ao::quantize<F>(ao_test::cview_of<float, 2>(wv, {p.n, p.k}), ao::backend::scalar{});
    EXPECT_EQ(ao_test::first_bit_difference(run<Dst>(p, 2, ao::backend::highway{}).y,
                                            run<Dst>(p, 2, ao::backend::scalar{}).y),
              -1)
        << "with NaN, Inf and zero blocks in W";
  }
}

TEST(Matmul, GemmPathEqualsScalar) {
  for (std::int64_t target : ::hwy::SupportedAndGeneratedTargets()) {
    ::hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(::hwy::TargetName(target));
    const bool fma = ao_test::matmul_panel_fuses();  // the kernel that runs, not the target's name (see the probe)
    ao_test::for_each_storage_shape([&](auto tag) {
      using F = typename decltype(tag)::type;
      check_gemm_path<F, float, float>(fma, 70, 31);
      check_gemm_path<F, ao::bfloat16, ao::bfloat16>(fma, 32, 32);
    });
  }
  ::hwy::SetSupportedTargetsForTest(0);
  // With this CPU's own choice of target the kernel fuses (so the bit-for-bit checks above ran at least there).
  if ((::hwy::SupportedTargets() & HWY_AVX2) != 0) {
    EXPECT_TRUE(ao_test::matmul_panel_fuses());
  }
}

// Adversarial values: all-zero weights and activations (y = bias exactly), huge activations, NaN in one row of x.
TEST(Matmul, AdversarialValues) {
  ao_test::for_each_storage_shape([&](auto tag) {
    using F = typename decltype(tag)::type;
    SCOPED_TRACE(ao::name<F>());
    const std::size_t n = test_n<F>(), k = test_k<F>(), m = 3;
    // Zeros.
    {
      problem<F, float> p = make_problem<F, float>(m, n, k, 0, true, 10, 0.0f);
      const std::vector<float> zeros(n * k, 0.0f);
      p.w = ao::quantize<F>(ao_test::cview_of<float, 2>(zeros, {n, k}), ao::backend::scalar{});
      p.reference();
      for (const result<float>& r :
           {run<float>(p, 0, ao::backend::scalar{}), run<float>(p, 0, ao::backend::highway{})}) {
        // (An all-zero tensor dequantizes to zeros, or to NaN where the format's scale is 0 / 0: FP8's and NVFP4's
        // global scale; the oracle's values decide.)
        for (std::size_t i = 0; i < m; ++i) {
          for (std::size_t j = 0; j < n; ++j) {
            if (std::isnan(p.ref[i * n + j])) {
              ASSERT_TRUE(std::isnan(r.at(i, j))) << i << ", " << j;
            } else {
              ASSERT_EQ(r.at(i, j), static_cast<double>(p.bias[j])) << i << ", " << j;
            }
          }
        }
      }
    }
    // Huge activations (|x| up to about 5e30; |y| stays finite in fp32).
    {
      const problem<F, float> p = make_problem<F, float>(m, n, k, 0, false, 11, 1e30f);
      check_against_reference(p, run<float>(p, 0, ao::backend::scalar{}), "scalar, huge x");
      check_against_reference(p, run<float>(p, 0, ao::backend::highway{}), "highway, huge x");
    }
    // NaN in row 1 of x: that row of y is NaN, the others are not.
    {
      problem<F, float> p = make_problem<F, float>(m, n, k, 0, false, 12);
      p.x[1 * k + k / 2] = std::numeric_limits<float>::quiet_NaN();
      for (const result<float>& r :
           {run<float>(p, 0, ao::backend::scalar{}), run<float>(p, 0, ao::backend::highway{})}) {
        for (std::size_t j = 0; j < n; ++j) {
          EXPECT_TRUE(std::isnan(r.at(1, j)));
          EXPECT_FALSE(std::isnan(r.at(0, j)));
          EXPECT_FALSE(std::isnan(r.at(2, j)));
        }
      }
    }
  });
}

// Empty shapes: M = 0 or N = 0 write nothing; K = 0 gives y = bias (or 0).
TEST(Matmul, EmptyShapes) {
  using F = ao::float8_e4m3_per_row;
  const ao::quantized_tensor<F> w0 = ao::quantized_tensor<F>::allocate(5, 0);
  const ao::quantized_tensor<F> wn = ao::quantized_tensor<F>::allocate(0, 16);
  const ao::quantized_tensor<F> w = ao::quantized_tensor<F>::allocate(5, 16);
  const std::vector<float> bias{1.0f, -2.0f, 3.0f, 0.5f, -0.25f};
  std::vector<float> x(3 * 16, 1.0f), y(3 * 5, 42.0f);
  for (auto run_k0 : {0, 1}) {
    std::fill(y.begin(), y.end(), 42.0f);
    const ao::strided_view<const float, 2> xk(x.data(), {3, 0});
    const ao::strided_view<float, 2> yv(y.data(), {3, 5});
    if (run_k0 == 0) {
      ao::matmul(xk, w0, ao::strided_view<const float, 1>(bias.data(), {5}), yv, ao::backend::scalar{});
    } else {
      ao::matmul(xk, w0, ao::strided_view<const float, 1>(bias.data(), {5}), yv);
    }
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t j = 0; j < 5; ++j) EXPECT_EQ(y[i * 5 + j], bias[j]);
    }
    ao::matmul(xk, w0, yv);
    for (float v : y) EXPECT_EQ(v, 0.0f);
  }
  std::fill(y.begin(), y.end(), 42.0f);
  ao::matmul(ao::strided_view<const float, 2>(x.data(), {0, 16}), w, ao::strided_view<float, 2>(y.data(), {0, 5}));
  ao::matmul(ao::strided_view<const float, 2>(x.data(), {3, 16}), wn, ao::strided_view<float, 2>(y.data(), {3, 0}));
  for (float v : y) EXPECT_EQ(v, 42.0f);
}

TEST(Matmul, Errors) {
  using F = ao::mxfp4;
  const std::size_t m = 2, n = 3, k = 64;
  const std::vector<float> wv = ao_test::randn(n * k, 1);
  const ao::quantized_tensor<F> w = ao::quantize<F>(ao_test::cview_of<float, 2>(wv, {n, k}));
  std::vector<float> x(m * k, 1.0f), y(m * n), bias(n, 0.0f);
  const ao::strided_view<const float, 2> xv(x.data(), {m, k});
  const ao::strided_view<float, 2> yv(y.data(), {m, n});
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data(), {m, k / 2}), w, yv);
      },
      {"ao::matmul<mxfp4>", "x is 2 x 32", "W (N x K) is 3 x 64"});
  expect_error([&] { ao::matmul(xv, w, ao::strided_view<float, 2>(y.data(), {m, n - 1})); }, {"y is 2 x 2", "M x N"});
  expect_error([&] { ao::matmul(xv, w, ao::strided_view<float, 2>(y.data(), {m - 1, n})); }, {"y is 1 x 3"});
  expect_error([&] { ao::matmul(xv, w, ao::strided_view<const float, 1>(bias.data(), {n - 1}), yv); },
               {"bias has 2 values", "N = 3"});
  expect_error(
      [&] {
        ao::matmul(xv, w, ao::strided_view<float, 2>(y.data(), {m, n}, {2, 1}));
      },
      {"y's rows overlap", "row stride 2 is below N = 3"});
  // Non-contiguous last dims and negative strides.
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data(), {m, k / 2}, {k, 2}), w, yv);
      },
      {"x's last dim must be contiguous"});
  expect_error(
      [&] {
        ao::matmul(xv, w, ao::strided_view<float, 2>(y.data(), {m, n}, {1, 2}));
      },
      {"y's last dim must be contiguous"});
  expect_error([&] { ao::matmul(xv, w, ao::strided_view<const float, 1>(bias.data(), {n}, {2}), yv); },
               {"bias's last dim must be contiguous"});
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data() + k, {m, k}, {-static_cast<std::ptrdiff_t>(k), 1}), w, yv);
      },
      {"x has a negative stride"});
  expect_error([&] { ao::matmul(ao::strided_view<const float, 2>(nullptr, {m, k}), w, yv); }, {"x is null"});
  // A padded W.
  const std::vector<float> wp_values(n * 40, 1.0f);
  const ao::quantized_tensor<F> wp = ao::quantize<F>(ao_test::cview_of<float, 2>(wp_values, {n, 40}), ao::pad_last_dim);
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data(), {m, 40}), wp, yv);
      },
      {"W is padded", "K = 40", "stored as 64"});
  // A broken view of W.
  ao::const_quantized_view<F> bad = w.cview();
  bad.data_stride = 8;
  expect_error([&] { ao::matmul(xv, bad, yv); }, {"data_stride 8 is below the 32 bytes of a row"});
  bad = w.cview();
  bad.scales = nullptr;
  expect_error([&] { ao::matmul(xv, bad, yv); }, {"scales are null"});
  // The format's shape rule.
  ao::const_quantized_view<F> odd = w.cview();
  odd.cols = 48;
  expect_error([&] { ao::matmul(ao::strided_view<const float, 2>(x.data(), {m, 48}), odd, yv); }, {"blocks of 32"});
  // Aliasing: y over x, over W's data and scales, over bias.
  expect_error([&] { ao::matmul(xv, w, ao::strided_view<float, 2>(x.data(), {m, n})); }, {"y and x overlap"});
  ao::quantized_tensor<F> wm = w;
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data(), {1, k}), wm.cview(),
                   ao::strided_view<float, 2>(reinterpret_cast<float*>(wm.data().data()), {1, n}));
      },
      {"y and W's data overlap"});
  const std::vector<float> one_row(k, 1.0f);
  ao::quantized_tensor<F> w1 = ao::quantize<F>(ao_test::cview_of<float, 2>(one_row, {1, k}));
  float* scales_as_y = reinterpret_cast<float*>(w1.scales().data());  // 2 scale bytes; y is never written
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data(), {1, k}), w1.cview(),
                   ao::strided_view<float, 2>(scales_as_y, {1, 1}));
      },
      {"y and W's scales overlap"});
  std::vector<float> both(8, 0.0f);
  expect_error(
      [&] {
        ao::matmul(ao::strided_view<const float, 2>(x.data(), {1, k}), w,
                   ao::strided_view<const float, 1>(both.data(), {n}),
                   ao::strided_view<float, 2>(both.data() + 2, {1, n}));
      },
      {"y and bias overlap"});
  // Nothing was written by any failed call.
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

}  // namespace
