// ao::matmul over activations quantized to FP8, MX or NVFP4 (ao/ops/float_matmul.hpp) against a float64 reference
// written here: X = the scalar oracle's dequantization of ao::quantize<A>(x) (scalar backend), W likewise, then
// y_ref = bias + sum_k X W in double and a = |bias| + sum_k |X W|. Pairs: FP8 x FP8 (per row, per tensor, e4m3 and
// e5m2), MXFP8 x MXFP8, MXFP8 x MXFP4, MXFP8 e5m2 x MXFP6, NVFP4 x NVFP4.
//   - both backends within |y - y_ref| <= gamma_(K+2) a (fp32 y; plus bf16's rounding for a bf16 y);
//   - for M >= 32, the Highway result equals the scalar one bit for bit where the GEMM kernel fuses its
//     multiply-adds (panel_fma_probe.hpp; the GEMM path sums in k order, as the scalar backend does);
//   - MX x MX is exact MX arithmetic: with values whose fp32 partial sums are exact (small dyadic numbers), y is
//     the exact dot product on both backends;
//   - matmul_dynamic<A>(x, ...) equals matmul(quantize<A>(x), ...) bit for bit; an executor changes nothing;
//   - NaN activations poison their row only; the argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "ao/ops/integer_matmul.hpp"
#include "expect_error.hpp"
#include "ops_test_util.hpp"
#include "panel_fma_probe.hpp"

namespace {

using ao::testing::expect_error;

double gamma_of(std::size_t n) { return n * 0x1p-24 / (1.0 - n * 0x1p-24); }

template <class T>
double wide(T v) {
  return static_cast<double>(static_cast<float>(v));
}

template <class A, class W, class Src>
struct problem {
  std::size_t m, n, k;
  std::vector<Src> x;
  ao::quantized_tensor<W> w;
  std::vector<float> bias;
  std::vector<double> ref, abs;

  problem(std::size_t m_, std::size_t n_, std::size_t k_, std::uint32_t seed) : m(m_), n(n_), k(k_) {
    const std::vector<float> xv = ao_test::randn(m * k, seed);
    for (float v : xv) x.push_back(Src(v));
    const std::vector<float> wv = ao_test::llm_like<float>(n, k, seed + 1, false);
    w = ao::quantize<W>(ao_test::cview_of<float, 2>(wv, {n, k}), ao::backend::scalar{});
    bias = ao_test::randn(n, seed + 2);
    reference();
  }
  ao::strided_view<const Src, 2> xview() const { return ao::strided_view<const Src, 2>(x.data(), {m, k}); }
  void reference() {
    const ao::quantized_tensor<A> xq = ao::quantize<A>(xview(), ao::backend::scalar{});
    std::vector<float> xd(m * k), wd(n * k);
    ao::dequantize(xq.cview(), ao::strided_view<float, 2>(xd.data(), {m, k}), ao::backend::scalar{});
    ao::dequantize(w.cview(), ao::strided_view<float, 2>(wd.data(), {n, k}), ao::backend::scalar{});
    ref.assign(m * n, 0.0);
    abs.assign(m * n, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double s = bias[j], a = std::fabs(bias[j]);
        for (std::size_t c = 0; c < k; ++c) {
          const double p = static_cast<double>(xd[i * k + c]) * static_cast<double>(wd[j * k + c]);
          s += p;
          a += std::fabs(p);
        }
        ref[i * n + j] = s;
        abs[i * n + j] = a;
      }
    }
  }
  template <class Dst, class... Options>
  std::vector<Dst> dynamic(Options&&... options) const {
    std::vector<Dst> y(m * n, Dst(-7.0f));
    ao::matmul_dynamic<A>(xview(), w, ao::strided_view<const float, 1>(bias.data(), {n}),
                          ao::strided_view<Dst, 2>(y.data(), {m, n}), options...);
    return y;
  }
};

template <class A, class W, class Src, class Dst>
void check_pair(std::size_t m, std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<A>()) + " x " + ao::name<W>() + " M=" + std::to_string(m) + " " +
               ao_test::dtype_name<Src>() + " -> " + ao_test::dtype_name<Dst>());
  const std::size_t n = 37, k = 320;
  const problem<A, W, Src> p(m, n, k, seed);
  const std::vector<Dst> s = p.template dynamic<Dst>(ao::backend::scalar{});
  const std::vector<Dst> h = p.template dynamic<Dst>(ao::backend::highway{});
  for (const auto* y : {&s, &h}) {
    int reported = 0;
    for (std::size_t i = 0; i < m * n; ++i) {
      double bound = gamma_of(k + 2) * p.abs[i];
      if (std::is_same_v<Dst, ao::bfloat16>) bound = bound * (1.0 + 0x1p-8) + 0x1p-8 * std::fabs(p.ref[i]);
      if (!(std::fabs(wide((*y)[i]) - p.ref[i]) <= bound) && reported++ < 5) {
        ADD_FAILURE() << (y == &s ? "scalar" : "highway") << " y[" << i / n << ", " << i % n << "] = " << wide((*y)[i])
                      << ", reference " << p.ref[i] << ", bound " << bound;
      }
    }
  }
  if (m >= ao::detail::kMatmulPanelMinRows && ao_test::matmul_panel_fuses()) {
    EXPECT_EQ(ao_test::first_bit_difference(h, s), -1) << "the GEMM path must equal the scalar backend";
  }
  // matmul_dynamic is ao::quantize then ao::matmul over the quantized x.
  const ao::quantized_tensor<A> xq = ao::quantize<A>(p.xview());
  std::vector<Dst> y(m * n, Dst(-7.0f));
  ao::matmul(xq, p.w, ao::strided_view<const float, 1>(p.bias.data(), {n}), ao::strided_view<Dst, 2>(y.data(), {m, n}));
  EXPECT_EQ(ao_test::first_bit_difference(y, h), -1) << "matmul_dynamic differs from quantize + matmul";
}

template <class A, class W>
void check_all(std::uint32_t seed) {
  check_pair<A, W, float, float>(1, seed);
  check_pair<A, W, float, float>(40, seed + 10);
  check_pair<A, W, ao::bfloat16, ao::bfloat16>(5, seed + 20);
  check_pair<A, W, ao::bfloat16, float>(70, seed + 30);
}

TEST(FloatMatmul, Float8TimesFloat8) {
  check_all<ao::float8_e4m3_per_row, ao::float8_e4m3_per_row>(1);
  check_all<ao::float8_e4m3_per_tensor, ao::float8_e4m3_per_tensor>(2);
  check_all<ao::float8_e5m2_per_row, ao::float8_e4m3_per_row>(3);
}

TEST(FloatMatmul, MxTimesMx) {
  check_all<ao::mxfp8_e4m3, ao::mxfp8_e4m3>(4);
  check_all<ao::mxfp8_e4m3, ao::mxfp4>(5);
  check_all<ao::mxfp8_e5m2, ao::mxfp6_e2m3>(6);
}

TEST(FloatMatmul, Nvfp4TimesNvfp4) { check_all<ao::nvfp4, ao::nvfp4>(7); }

// Exact MX arithmetic: x and W hold small multiples of 1/8 whose blocks quantize exactly (block amax 4, so the
// floor rule's scale is 2^-6 x ... and every value is an e4m3 / e2m1 value times it), and whose fp32 partial sums
// are exact: y must be the exact dot product, on both backends, for a GEMV and a GEMM.
TEST(FloatMatmul, MxfpIsExact) {
  const std::size_t n = 12, k = 256;
  for (std::size_t m : {std::size_t{3}, std::size_t{33}}) {
    std::vector<float> x(m * k), w(n * k);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i * 7 % 17) - 8) / 2.0f;
    for (std::size_t i = 0; i < w.size(); ++i) {
      static const float kE2m1[] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
      w[i] = (i % 3 == 0 ? -1.0f : 1.0f) * kE2m1[(i * 5) % 8];
    }
    const auto wq = ao::quantize<ao::mxfp4>(ao_test::cview_of<float, 2>(w, {n, k}), ao::backend::scalar{});
    std::vector<float> wd(n * k), xd(m * k);
    ao::dequantize(wq.cview(), ao::strided_view<float, 2>(wd.data(), {n, k}), ao::backend::scalar{});
    const auto xq = ao::quantize<ao::mxfp8_e4m3>(ao_test::cview_of<float, 2>(x, {m, k}), ao::backend::scalar{});
    ao::dequantize(xq.cview(), ao::strided_view<float, 2>(xd.data(), {m, k}), ao::backend::scalar{});
    ASSERT_EQ(ao_test::first_bit_difference(wd, w), -1) << "W is not exactly representable in MXFP4";
    ASSERT_EQ(ao_test::first_bit_difference(xd, x), -1) << "x is not exactly representable in MXFP8";
    for (int be = 0; be < 2; ++be) {
      std::vector<float> y(m * n);
      const ao::strided_view<float, 2> yv(y.data(), {m, n});
      if (be == 0) {
        ao::matmul_dynamic<ao::mxfp8_e4m3>(ao_test::cview_of<float, 2>(x, {m, k}), wq, yv, ao::backend::scalar{});
      } else {
        ao::matmul_dynamic<ao::mxfp8_e4m3>(ao_test::cview_of<float, 2>(x, {m, k}), wq, yv);
      }
      for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
          double exact = 0.0;
          for (std::size_t c = 0; c < k; ++c) exact += static_cast<double>(x[i * k + c]) * w[j * k + c];
          ASSERT_EQ(static_cast<double>(y[i * n + j]), exact) << "backend " << be << " at " << i << ", " << j;
        }
      }
    }
  }
}

// Two threads give the same bits as one; a NaN in x poisons its row of y only.
TEST(FloatMatmul, ExecutorsAndNaN) {
  using A = ao::mxfp8_e4m3;
  problem<A, ao::mxfp4, float> p(45, 100, 256, 11);
  ao::thread_pool pool(2);
  EXPECT_EQ(ao_test::first_bit_difference(p.dynamic<float>(), p.dynamic<float>(pool)), -1);
  p.x[7 * p.k + 100] = std::nanf("");
  for (const std::vector<float>& y : {p.dynamic<float>(), p.dynamic<float>(ao::backend::scalar{})}) {
    for (std::size_t i = 0; i < p.m; ++i) {
      for (std::size_t j = 0; j < p.n; ++j) EXPECT_EQ(std::isnan(y[i * p.n + j]), i == 7) << i << ", " << j;
    }
  }
}

TEST(FloatMatmul, Errors) {
  const std::size_t m = 2, n = 3, k = 64;
  const std::vector<float> xv(m * k, 1.0f), wv(n * k, 0.5f);
  const auto w = ao::quantize<ao::mxfp4>(ao_test::cview_of<float, 2>(wv, {n, k}));
  auto xq = ao::quantize<ao::mxfp8_e4m3>(ao_test::cview_of<float, 2>(xv, {m, k}));
  std::vector<float> y(m * n);
  const ao::strided_view<float, 2> yv(y.data(), {m, n});
  const auto w32 = ao::quantize<ao::mxfp4>(ao_test::cview_of<float, 2>(std::vector<float>(n * 32, 1.0f), {n, 32}));
  expect_error([&] { ao::matmul(xq, w32, yv); },
               {"ao::matmul<mxfp8_e4m3 x mxfp4>", "x is 2 x 64", "W (N x K) is 3 x 32"});
  expect_error([&] { ao::matmul(xq, w, ao::strided_view<float, 2>(y.data(), {m, n - 1})); }, {"y is 2 x 2"});
  const std::vector<float> bias(n - 1, 0.0f);
  expect_error([&] { ao::matmul(xq, w, ao::strided_view<const float, 1>(bias.data(), {n - 1}), yv); }, {"bias"});
  // y on top of x's codes.
  expect_error(
      [&] {
        ao::matmul(xq, w, ao::strided_view<float, 2>(reinterpret_cast<float*>(xq.view().data), {m, n}));
      },
      {"overlap"});
  expect_error(
      [&] {
        ao::matmul_dynamic<ao::mxfp8_e4m3>(ao_test::cview_of<float, 2>(xv, {m * 2, k / 2}), w, yv);
      },
      {"x is 4 x 32"});
}

}  // namespace
