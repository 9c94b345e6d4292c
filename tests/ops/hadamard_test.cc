// ao::hadamard and ao::hadamard_quantize (ao/ops/hadamard.hpp): against a float64 product with the explicit
// Sylvester matrix (small sizes), against the reference butterfly (ao::backend::scalar, bit for bit, every power of
// two up to 32768, blockwise and randomized), the stage order of spec §7 on values where it matters, the 16 x 16
// matrix, self-inverse, the randomized form against diag(sign) @ H, fused quantization against rotate-then-quantize
// (bytes), strided and bf16 views, NaN/Inf, and every error. ao::backend::highway runs the butterfly compiled for
// this unit's target (static dispatch: at CI's default flags that is HWY_SCALAR, i.e. the reference loop), so the
// Highway kernel itself is also compiled here for every target (hwy/foreach_target.h) and each target the CPU has
// is compared with the reference, bit for bit (HighwayTargets). The quantize step runs through ao::cpu_dispatch.
// foreach_target.h first (it re-includes the kernel once per target), then the op.
// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ao/backends/hwy/hadamard-inl.h"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include "ao/ops/hadamard.hpp"
// clang-format on

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "expect_error.hpp"

namespace ao::highway {
HWY_EXPORT(HadamardRow);
void hadamard_row_dynamic(const float* in, float* out, std::size_t n, std::size_t b, const float* signs, float scale) {
  HWY_DYNAMIC_DISPATCH(HadamardRow)(in, out, n, b, signs, scale);
}
}  // namespace ao::highway

namespace {

using ao::testing::expect_error;
using view2 = ao::strided_view<float, 2>;
using cview2 = ao::strided_view<const float, 2>;

std::vector<float> random_values(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);  // values only need to be deterministic within one run
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

std::vector<float> random_signs(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<float> s(n);
  for (float& x : s) x = (gen() & 1) != 0 ? 1.0f : -1.0f;
  return s;
}

int sylvester(std::size_t i, std::size_t j) {
  int bits = 0;
  for (std::size_t v = i & j; v != 0; v &= v - 1) ++bits;
  return (bits & 1) != 0 ? -1 : 1;
}

std::uint32_t bits(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

// Bitwise equality, any NaN equal to any NaN.
void expect_same(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool same = (std::isnan(a[i]) && std::isnan(b[i])) || bits(a[i]) == bits(b[i]);
    if (!same && ++bad <= 3) ADD_FAILURE() << what << ": index " << i << ": " << a[i] << " vs " << b[i];
  }
  EXPECT_EQ(bad, 0u) << what;
}

template <class Backend, class... Options>
std::vector<float> transform(const std::vector<float>& x, std::size_t rows, std::size_t cols, Options... options) {
  std::vector<float> y(x.size());
  ao::hadamard(cview2(x.data(), {rows, cols}), view2(y.data(), {rows, cols}), Backend{}, options...);
  return y;
}

// y = (x .* sign) @ H / sqrt(b) per block of b, in double.
std::vector<double> reference(const std::vector<float>& x, std::size_t cols, std::size_t b,
                              const std::vector<float>* signs) {
  std::vector<double> y(x.size(), 0.0);
  for (std::size_t base = 0; base < x.size(); base += b) {
    for (std::size_t j = 0; j < b; ++j) {
      double s = 0;
      for (std::size_t i = 0; i < b; ++i) {
        s += static_cast<double>(x[base + i]) * (signs != nullptr ? (*signs)[i] : 1.0f) * sylvester(i, j);
      }
      y[base + j] = s / std::sqrt(static_cast<double>(b));
    }
  }
  (void)cols;
  return y;
}

// |y - ref| <= (log2(b) + 2) u sum_i |x_i| / sqrt(b) per block (each output is a sum of b terms over log2(b)
// stages, then one rounded scale).
void expect_close(const std::vector<float>& y, const std::vector<double>& ref, const std::vector<float>& x,
                  std::size_t b) {
  int lg = 0;
  while ((std::size_t{1} << lg) < b) ++lg;
  for (std::size_t base = 0; base < x.size(); base += b) {
    double l1 = 0;
    for (std::size_t i = 0; i < b; ++i) l1 += std::fabs(x[base + i]);
    const double bound = (lg + 2) * 0x1p-24 * l1 / std::sqrt(static_cast<double>(b)) * 1.0001;
    for (std::size_t j = 0; j < b; ++j) {
      ASSERT_LE(std::fabs(y[base + j] - ref[base + j]), bound) << "block at " << base << ", j = " << j;
    }
  }
}

TEST(Hadamard, Matrix16Values) {
  // Row i of the transform of e_i is row i of H16 / 4: entries (-1)^popcount(i & j) / 4, exactly.
  std::vector<float> e(16 * 16, 0.0f);
  for (std::size_t i = 0; i < 16; ++i) e[i * 16 + i] = 1.0f;
  for (auto y : {transform<ao::backend::scalar>(e, 16, 16, ao::hadamard_block{16}),
                 transform<ao::backend::highway>(e, 16, 16, ao::hadamard_block{16}),
                 transform<ao::backend::highway>(e, 16, 16)}) {
    for (std::size_t i = 0; i < 16; ++i) {
      for (std::size_t j = 0; j < 16; ++j) ASSERT_EQ(y[i * 16 + j], 0.25f * sylvester(i, j)) << i << "," << j;
    }
  }
  EXPECT_EQ(sylvester(3, 5), -1);  // popcount(1) odd
  EXPECT_EQ(sylvester(3, 3), 1);   // popcount(3) = 2
}

TEST(Hadamard, StageOrderOfTheSpec) {
  // n = 4 by hand, stage 0 (pairs 0-1, 2-3) before stage 1 (pairs 0-2, 1-3), left x + x', right x - x':
  // with 1 and 2^-24 the order decides the rounding (another order gives other bits).
  const float a = 1.0f, t = 0x1p-24f;
  const std::vector<float> x = {a, t, t, t};
  const float s00 = a + t, s01 = a - t, s02 = t + t, s03 = t - t;
  const std::vector<float> want = {(s00 + s02) * 0.5f, (s01 + s03) * 0.5f, (s00 - s02) * 0.5f, (s01 - s03) * 0.5f};
  expect_same(transform<ao::backend::scalar>(x, 1, 4), want, "scalar");
  expect_same(transform<ao::backend::highway>(x, 1, 4), want, "highway");
  // Stage 1 first (pairs 0-2, 1-3, then 0-1, 2-3) gives other bits for elements 1 and 2 of this input.
  const float r0 = a + t, r1 = t + t, r2 = a - t, r3 = t - t;
  const std::vector<float> other = {(r0 + r1) * 0.5f, (r0 - r1) * 0.5f, (r2 + r3) * 0.5f, (r2 - r3) * 0.5f};
  EXPECT_NE(bits(other[1]), bits(want[1]));
  EXPECT_NE(bits(other[2]), bits(want[2]));
  // For 32 values the non-power-of-4 scale is fl32(1/sqrt(32)).
  std::vector<float> one(32, 0.0f);
  one[0] = 1.0f;
  EXPECT_EQ(transform<ao::backend::highway>(one, 1, 32)[5], static_cast<float>(1.0 / std::sqrt(32.0)));
}

TEST(Hadamard, AgainstFloat64Product) {
  for (std::size_t n = 1; n <= 512; n *= 2) {
    const std::size_t rows = 3;
    const std::vector<float> x = random_values(rows * n, 7 + static_cast<std::uint32_t>(n));
    const std::vector<double> ref = reference(x, n, n, nullptr);
    SCOPED_TRACE(n);
    expect_close(transform<ao::backend::scalar>(x, rows, n), ref, x, n);
    expect_close(transform<ao::backend::highway>(x, rows, n), ref, x, n);
  }
}

TEST(Hadamard, HighwayEqualsScalarEveryPowerOfTwo) {
  for (std::size_t n = 1; n <= ao::hadamard_max_size; n *= 2) {
    const std::size_t rows = 3;
    const std::vector<float> x = random_values(rows * n, 11 + static_cast<std::uint32_t>(n));
    SCOPED_TRACE(n);
    expect_same(transform<ao::backend::highway>(x, rows, n), transform<ao::backend::scalar>(x, rows, n), "rows");
    const std::vector<float> s = random_signs(n, 3);
    const ao::hadamard_signs signs{ao::strided_view<const float, 1>(s.data(), {n})};
    expect_same(transform<ao::backend::highway>(x, rows, n, signs), transform<ao::backend::scalar>(x, rows, n, signs),
                "randomized rows");
  }
}

// Every Highway target this CPU runs, against the reference loop: every power of two, blocks, signs, in place.
TEST(Hadamard, HighwayTargets) {
  int tested = 0;
  std::string names;
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    ++tested;
    names += std::string(names.empty() ? "" : " ") + hwy::TargetName(target);
    for (std::size_t n = 1; n <= ao::hadamard_max_size; n *= 2) {
      const std::vector<float> x = random_values(n, 13 + static_cast<std::uint32_t>(n));
      for (std::size_t b : {n, std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{8}, std::size_t{16},
                            std::size_t{64}, n / 2}) {
        if (b == 0 || b > n) continue;
        const std::vector<float> s = random_signs(b, 17);
        for (const float* signs : {static_cast<const float*>(nullptr), s.data()}) {
          std::vector<float> want(n), got(n), inplace = x;
          const float scale = ao::detail::hadamard_scalar::scale_of(b);
          ao::detail::hadamard_scalar::transform_row(x.data(), want.data(), n, b, signs, scale);
          ao::highway::hadamard_row_dynamic(x.data(), got.data(), n, b, signs, scale);
          ao::highway::hadamard_row_dynamic(inplace.data(), inplace.data(), n, b, signs, scale);
          SCOPED_TRACE(::testing::Message() << "n " << n << " b " << b << (signs ? " signs" : ""));
          expect_same(got, want, "out of place");
          expect_same(inplace, want, "in place");
          if (::testing::Test::HasFailure()) {
            hwy::SetSupportedTargetsForTest(0);
            return;
          }
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(tested, 1);
  RecordProperty("targets", names);
}

TEST(Hadamard, BlocksEqualScalarAndMatchFloat64) {
  const std::size_t cols = 1024, rows = 2;
  const std::vector<float> x = random_values(rows * cols, 5);
  for (std::size_t b = 1; b <= cols; b *= 2) {
    SCOPED_TRACE(b);
    const std::vector<float> s = random_signs(b, 9);
    const ao::hadamard_signs signs{ao::strided_view<const float, 1>(s.data(), {b})};
    expect_same(transform<ao::backend::highway>(x, rows, cols, ao::hadamard_block{b}),
                transform<ao::backend::scalar>(x, rows, cols, ao::hadamard_block{b}), "blocks");
    const std::vector<float> y = transform<ao::backend::highway>(x, rows, cols, ao::hadamard_block{b}, signs);
    expect_same(y, transform<ao::backend::scalar>(x, rows, cols, signs, ao::hadamard_block{b}), "randomized blocks");
    if (b <= 256) expect_close(y, reference(x, cols, b, &s), x, b);
  }
  // A block of the whole row is the row transform.
  expect_same(transform<ao::backend::highway>(x, rows, cols, ao::hadamard_block{cols}),
              transform<ao::backend::highway>(x, rows, cols), "block = row");
}

TEST(Hadamard, RandomizedIsDiagSignTimesH) {
  // TransformerEngine's vector: y = x @ (diag(sign) @ H16 / 4), written out as a matrix product here.
  const std::size_t cols = 64, rows = 3;
  const std::vector<float> x = random_values(rows * cols, 21);
  for (auto y :
       {transform<ao::backend::scalar>(x, rows, cols, ao::hadamard_block{16}, ao::hadamard_signs::transformer_engine()),
        transform<ao::backend::highway>(x, rows, cols, ao::hadamard_block{16},
                                        ao::hadamard_signs::transformer_engine())}) {
    double worst = 0, worst_other_side = 0;
    for (std::size_t base = 0; base < x.size(); base += 16) {
      for (std::size_t j = 0; j < 16; ++j) {
        double s = 0, other = 0;
        for (std::size_t i = 0; i < 16; ++i) {
          const double rht = ao::transformer_engine_rht_signs[i] * sylvester(i, j) / 4.0;  // (diag(sign) @ H)[i][j]
          s += x[base + i] * rht;
          other += x[base + i] * sylvester(i, j) / 4.0 * ao::transformer_engine_rht_signs[j];  // H @ diag(sign)
        }
        worst = std::max(worst, std::fabs(y[base + j] - s));
        worst_other_side = std::max(worst_other_side, std::fabs(y[base + j] - other));
      }
    }
    EXPECT_LT(worst, 1e-5);
    EXPECT_GT(worst_other_side, 0.1);  // the sign is on the input side, not the output side
  }
}

TEST(Hadamard, SelfInverse) {
  for (std::size_t n : {1u, 2u, 8u, 32u, 4096u, 32768u}) {
    const std::vector<float> x = random_values(2 * n, 31);
    std::vector<float> y = x;
    view2 v(y.data(), {2, n});
    ao::hadamard(v);
    ao::hadamard(v, ao::backend::scalar{});
    double err = 0, norm = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      err += (y[i] - x[i]) * double(y[i] - x[i]);
      norm += x[i] * double(x[i]);
    }
    EXPECT_LE(std::sqrt(err / norm), 16 * 0x1p-24 * 2) << n;
  }
  // Randomized: hadamard without signs, then the sign, undoes it.
  const std::vector<float> x = random_values(64, 2);
  std::vector<float> y =
      transform<ao::backend::highway>(x, 1, 64, ao::hadamard_block{16}, ao::hadamard_signs::transformer_engine());
  ao::hadamard(view2(y.data(), {1, 64}), ao::hadamard_block{16});
  for (std::size_t i = 0; i < 64; ++i) EXPECT_NEAR(y[i] * ao::transformer_engine_rht_signs[i % 16], x[i], 1e-5);
}

TEST(Hadamard, StridedRowsBf16AndExecutor) {
  const std::size_t rows = 6, cols = 256, stride = 300;
  const std::vector<float> dense = random_values(rows * cols, 41);
  const std::vector<float> want = transform<ao::backend::scalar>(dense, rows, cols);
  // Strided source and destination (rank 3, leading dims that do not collapse).
  std::vector<float> src(rows * stride, 99.0f), dst(2 * 3 * 400, -7.0f);
  for (std::size_t r = 0; r < rows; ++r) std::copy_n(dense.begin() + r * cols, cols, src.begin() + r * stride);
  ao::strided_view<const float, 3> s(src.data(), {2, 3, cols}, {3 * stride, stride, 1});
  ao::strided_view<float, 3> d(dst.data(), {2, 3, cols}, {1200, 400, 1});
  ao::thread_pool pool(2);
  ao::hadamard(s, d, pool);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c)
      ASSERT_EQ(bits(dst[(r / 3) * 1200 + (r % 3) * 400 + c]), bits(want[r * cols + c]));
    ASSERT_EQ(dst[(r / 3) * 1200 + (r % 3) * 400 + cols], -7.0f);  // nothing written past the row
  }
  // bf16 in and out: widened exactly, rounded once at the end.
  std::vector<ao::bfloat16> xb(rows * cols), yb(rows * cols);
  std::vector<float> xw(rows * cols);
  for (std::size_t i = 0; i < xb.size(); ++i) {
    xb[i] = ao::bfloat16(dense[i]);
    xw[i] = static_cast<float>(xb[i]);
  }
  const std::vector<float> wantw = transform<ao::backend::scalar>(xw, rows, cols);
  for (auto be : {0, 1}) {
    ao::strided_view<const ao::bfloat16, 2> in(xb.data(), {rows, cols});
    ao::strided_view<ao::bfloat16, 2> out(yb.data(), {rows, cols});
    if (be == 0) ao::hadamard(in, out, ao::backend::scalar{});
    if (be == 1) ao::hadamard(in, out);
    for (std::size_t i = 0; i < yb.size(); ++i) ASSERT_EQ(yb[i].bits(), ao::bfloat16(wantw[i]).bits()) << i;
  }
  std::vector<float> yf(rows * cols);
  ao::hadamard(ao::strided_view<const ao::bfloat16, 2>(xb.data(), {rows, cols}), view2(yf.data(), {rows, cols}));
  expect_same(yf, wantw, "bf16 -> float");
}

TEST(Hadamard, NanAndInfPropagate) {
  std::vector<float> x = random_values(64, 51);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[40] = std::numeric_limits<float>::infinity();
  for (auto y : {transform<ao::backend::scalar>(x, 1, 64, ao::hadamard_block{16}),
                 transform<ao::backend::highway>(x, 1, 64, ao::hadamard_block{16})}) {
    for (std::size_t i = 0; i < 16; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;      // the NaN's block
    for (std::size_t i = 16; i < 32; ++i) EXPECT_TRUE(std::isfinite(y[i])) << i;  // untouched blocks
    for (std::size_t i = 32; i < 48; ++i) EXPECT_TRUE(std::isinf(y[i])) << i;     // one Inf: +-Inf everywhere
  }
  expect_same(transform<ao::backend::highway>(x, 1, 64), transform<ao::backend::scalar>(x, 1, 64), "nan row");
}

// Every byte of two quantized tensors.
template <class F>
void expect_same_bytes(const ao::quantized_tensor<F>& a, const ao::quantized_tensor<F>& b, const char* what) {
  const auto va = a.cview(), vb = b.cview();
  ASSERT_EQ(va.rows, vb.rows);
  ASSERT_EQ(va.cols, vb.cols);
  EXPECT_EQ(std::memcmp(va.data, vb.data, va.rows * va.data_row_bytes()), 0) << what << ": data";
  const std::size_t ns = va.scale_rows() * va.scale_cols();
  EXPECT_EQ(std::memcmp(va.scales, vb.scales, ns * sizeof(*va.scales)), 0) << what << ": scales";
  if constexpr (ao::has_zero_points_v<F>) {
    EXPECT_EQ(std::memcmp(va.zero_points, vb.zero_points, ns * sizeof(*va.zero_points)), 0) << what << ": zeros";
  }
  if (va.global_scale != nullptr) {
    EXPECT_EQ(bits(*va.global_scale), bits(*vb.global_scale)) << what;
  }
}

// hadamard_quantize<F> == hadamard into fp32, then ao::quantize<F>, for both backends, rows and blocks (chunked).
template <class F>
void check_fused() {
  ao::thread_pool pool(2);
  for (std::size_t cols : {256u, 4096u, 12288u}) {
    const std::size_t rows = cols > 4096 ? 3 : 5;
    std::vector<float> x = random_values(rows * cols, 61 + static_cast<std::uint32_t>(cols));
    x[7] *= 300.0f;  // an outlier
    cview2 src(x.data(), {rows, cols});
    std::vector<float> rotated(x.size());
    for (int be = 0; be < 2; ++be) {
      for (bool blocks : {false, true}) {
        if (!blocks && cols > 4096) continue;  // rows longer than 32768 only go blockwise; 12288 is not a power of 2
        SCOPED_TRACE(::testing::Message() << cols << (blocks ? " blocks" : " rows") << " backend " << be);
        auto run = [&](auto backend) {
          const auto te = ao::hadamard_signs::transformer_engine();
          if (blocks) {
            ao::hadamard(src, view2(rotated.data(), {rows, cols}), backend, ao::hadamard_block{16}, te);
            expect_same_bytes(ao::hadamard_quantize<F>(src, backend, ao::hadamard_block{16}, te, pool),
                              ao::quantize<F>(cview2(rotated.data(), {rows, cols}), backend), "fused blocks");
          } else {
            ao::hadamard(src, view2(rotated.data(), {rows, cols}), backend);
            expect_same_bytes(ao::hadamard_quantize<F>(src, backend),
                              ao::quantize<F>(cview2(rotated.data(), {rows, cols}), backend), "fused rows");
          }
        };
        if (be == 0) run(ao::backend::scalar{});
        if (be == 1) run(ao::backend::highway{});
      }
    }
  }
  // bf16 source: rotated in fp32 from the exactly widened values.
  const std::size_t rows = 2, cols = 512;
  const std::vector<float> x = random_values(rows * cols, 71);
  std::vector<ao::bfloat16> xb(x.size());
  std::vector<float> xw(x.size()), rotated(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    xb[i] = ao::bfloat16(x[i]);
    xw[i] = static_cast<float>(xb[i]);
  }
  ao::hadamard(cview2(xw.data(), {rows, cols}), view2(rotated.data(), {rows, cols}), ao::hadamard_block{16});
  expect_same_bytes(ao::hadamard_quantize<F>(ao::strided_view<const ao::bfloat16, 2>(xb.data(), {rows, cols}),
                                             ao::hadamard_block{16}),
                    ao::quantize<F>(cview2(rotated.data(), {rows, cols})), "bf16 source");
}

TEST(HadamardQuantize, Mxfp4) { check_fused<ao::mxfp4>(); }
TEST(HadamardQuantize, Nvfp4) { check_fused<ao::nvfp4>(); }
TEST(HadamardQuantize, Nvfp4GlobalScale) { check_fused<ao::nvfp4_global_scale>(); }
TEST(HadamardQuantize, Int4SymmetricGroup32) { check_fused<ao::int4_symmetric_group32>(); }
TEST(HadamardQuantize, Int4AsymmetricGroup32) { check_fused<ao::int4_asymmetric_group32>(); }
TEST(HadamardQuantize, Int8SymmetricPerTensor) { check_fused<ao::int8_symmetric_per_tensor>(); }

TEST(HadamardQuantize, IntoAStridedView) {
  const std::size_t rows = 4, cols = 64;
  const std::vector<float> x = random_values(rows * cols, 81);
  auto want = ao::hadamard_quantize<ao::nvfp4>(cview2(x.data(), {rows, cols}));
  std::vector<std::uint8_t> data(rows * 40, 0xAB);
  std::vector<ao::float8_e4m3fn> scales(rows * 6);
  ao::quantized_view<ao::nvfp4> q;
  q.data = data.data();
  q.data_stride = 40;
  q.scales = scales.data();
  q.scales_stride = 6;
  q.rows = rows;
  q.cols = cols;
  ao::hadamard_quantize<ao::nvfp4>(cview2(x.data(), {rows, cols}), q);
  for (std::size_t r = 0; r < rows; ++r) {
    EXPECT_EQ(std::memcmp(data.data() + r * 40, want.cview().data + r * 32, 32), 0);
    EXPECT_EQ(data[r * 40 + 32], 0xAB);  // padding untouched
    EXPECT_EQ(std::memcmp(scales.data() + r * 6, want.cview().scales + r * 4, 4), 0);
  }
}

TEST(Hadamard, Errors) {
  std::vector<float> a(2 * 65536, 1.0f), b(2 * 65536, 0.0f);
  auto x = [&](std::size_t rows, std::size_t cols) { return view2(a.data(), {rows, cols}); };
  auto y = [&](std::size_t rows, std::size_t cols) { return view2(b.data(), {rows, cols}); };
  expect_error([&] { ao::hadamard(x(2, 24), y(2, 24)); }, {"row length 24", "power of two"});
  expect_error([&] { ao::hadamard(x(1, 65536), y(1, 65536)); }, {"row length 65536", "32768"});
  expect_error([&] { ao::hadamard(x(2, 24), y(2, 24), ao::hadamard_block{16}); }, {"24", "multiple", "16"});
  expect_error([&] { ao::hadamard(x(2, 48), y(2, 48), ao::hadamard_block{12}); }, {"block size 12"});
  expect_error([&] { ao::hadamard(x(2, 48), y(2, 48), ao::hadamard_block{0}); }, {"block size 0"});
  expect_error([&] { ao::hadamard(x(1, 65536), y(1, 65536), ao::hadamard_block{65536}); }, {"block size 65536"});
  expect_error([&] { ao::hadamard(x(2, 16), y(2, 32)); }, {"different extents"});
  expect_error([&] { ao::hadamard(x(2, 16), view2(a.data() + 1, {2, 16})); }, {"overlap"});
  expect_error([&] { ao::hadamard(x(2, 16), view2(b.data(), {2, 16}, {8, 1})); }, {"dst's rows overlap"});
  expect_error([&] { ao::hadamard(x(2, 16), view2(b.data(), {2, 16}, {16, 2})); }, {"contiguous"});
  expect_error([&] { ao::hadamard(x(2, 16), view2(nullptr, {2, 16})); }, {"null"});
  std::vector<float> s(8, 1.0f);
  const ao::hadamard_signs s8{ao::strided_view<const float, 1>(s.data(), {8})};
  expect_error([&] { ao::hadamard(x(2, 16), y(2, 16), s8); }, {"sign vector has 8", "16"});
  expect_error([&] { ao::hadamard(x(2, 32), y(2, 32), s8, ao::hadamard_block{16}); }, {"8 values", "16"});
  s[5] = 0.5f;
  expect_error([&] { ao::hadamard(x(2, 16), y(2, 16), s8, ao::hadamard_block{8}); }, {"sign 5", "not +1 or -1"});
  // In place is fine (also spelled as src == dst); nothing is written on error.
  std::fill(b.begin(), b.begin() + 32, 3.0f);
  ao::hadamard(y(2, 16), y(2, 16));
  ao::hadamard(y(2, 16), ao::backend::scalar{});
  EXPECT_EQ(b[0], 3.0f);  // twice: back to the input exactly (power of 4: exact scale, small integers)
  EXPECT_EQ(b[31], 3.0f);
  // Empty views do nothing.
  ao::hadamard(x(0, 16), y(0, 16));
  ao::hadamard(x(3, 0), y(3, 0));
  // Fused: shapes and overlap.
  auto q = ao::quantized_tensor<ao::nvfp4>::allocate(2, 32);
  expect_error([&] { ao::hadamard_quantize<ao::nvfp4>(x(2, 16), q.view()); }, {"2 x 16", "2 x 32"});
  expect_error([&] { ao::hadamard_quantize<ao::nvfp4>(x(2, 48)); }, {"48", "power of two"});
  expect_error([&] { ao::hadamard_quantize<ao::mxfp4>(x(2, 16), ao::hadamard_block{16}); }, {"32"});
  auto qv = q.view();
  qv.data = reinterpret_cast<std::uint8_t*>(a.data());
  expect_error([&] { ao::hadamard_quantize<ao::nvfp4>(x(2, 32), qv); }, {"overlap"});
}

}  // namespace
