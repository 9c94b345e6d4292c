// ao::matmul over int8 activations and group-wise integer weights (W4A8 and the like; ao/ops/integer_matmul.hpp)
// against references written here from the codes: the exact per-group integer sums S_g = sum (x - zx)(w - zw),
// combined as sx * sum_g sw[g] S_g in double. Both backends, every Highway target (the AVX-512 VNNI path where the
// CPU has it: groups of 16, 32 and multiples of 64 with w - zw within int8; the generic path otherwise) must stay
// within a stated float error bound; with power-of-two scales every float step is exact, so y must equal the exact
// integer result bit for bit. Plus ao::matmul_dynamic, ao::dequantize + float64 as a second reference, executors,
// empty shapes and the argument errors.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "ao/ops/integer_matmul.hpp"
#include "expect_error.hpp"

namespace {

using ao::testing::expect_error;

// Random codes over F's range with random scales and zero points (one per row, per tensor or per group), rows
// stride_pad bytes longer than K filled with garbage. pow2: scales are powers of two (so float products are exact).
template <class F>
struct operand {
  static constexpr bool kPerTensor = std::is_same_v<typename F::granularity, ao::per_tensor>;
  std::size_t groups_per_row = 1, group = 0;
  std::vector<std::uint8_t> data;
  std::vector<ao::scale_storage_t<F>> scales;
  std::vector<std::int32_t> zero_points;
  ao::quantized_view<F> view;

  operand(std::size_t rows, std::size_t k, std::size_t stride_pad, bool zero_zp, bool pow2, std::mt19937& rng) {
    if constexpr (ao::is_group_integer_matmul_weight_v<F>) {
      group = static_cast<std::size_t>(F::granularity::size);
      groups_per_row = k / group;
    } else {
      group = k;
    }
    const std::size_t stride = k + stride_pad;
    data.assign(rows * stride + 1, 0xA5);
    std::uniform_int_distribution<int> code(F::quant_min, F::quant_max);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < k; ++i) data[r * stride + i] = static_cast<std::uint8_t>(code(rng));
    }
    const std::size_t param_rows = kPerTensor ? 1 : rows;
    std::uniform_real_distribution<float> unit(0.001f, 0.1f);
    std::uniform_int_distribution<int> exponent(-6, -1);
    for (std::size_t i = 0; i < param_rows * groups_per_row; ++i) {
      scales.push_back(ao::scale_storage_t<F>(pow2 ? std::ldexp(1.0f, exponent(rng)) : unit(rng)));
      zero_points.push_back(zero_zp ? 0 : code(rng));
    }
    view.data = data.data();
    view.data_stride = static_cast<std::ptrdiff_t>(stride);
    view.scales = scales.data();
    view.scales_stride = static_cast<std::ptrdiff_t>(groups_per_row);
    view.zero_points = zero_points.data();
    view.zero_points_stride = static_cast<std::ptrdiff_t>(groups_per_row);
    view.rows = rows;
    view.cols = k;
  }
  std::size_t param(std::size_t r, std::size_t k) const {
    return (kPerTensor ? 0 : r) * groups_per_row + (group == 0 ? 0 : k / group);
  }
  std::int64_t code(std::size_t r, std::size_t i) const {
    const std::uint8_t b = data[r * static_cast<std::size_t>(view.data_stride) + i];
    return F::quant_min < 0 ? std::int64_t{static_cast<std::int8_t>(b)} : std::int64_t{b};
  }
  double scale(std::size_t r, std::size_t k) const { return static_cast<float>(scales[param(r, k)]); }
  std::int64_t zero_point(std::size_t r, std::size_t k) const { return zero_points[param(r, k)]; }
};

template <class Dst>
double as_double(Dst v) {
  return static_cast<double>(static_cast<float>(v));
}

// The exact result (double; exact for the test's pow2 cases) and the error bound of any fp32 summation order:
// gamma_n * sx * sum_g sw[g] sum_k (|x'| + |zx'|) |w - zw|, x' and zx' x's code and zero point as the Highway
// backend's int8 copy holds them (uint8 codes less 128), n = K / 16 + 8 terms at most in any float sum, plus the
// bias's rounding and, for a bf16 y, its rounding.
template <class A, class W, class Dst>
void reference(const operand<A>& x, const operand<W>& w, const std::vector<float>* bias, std::size_t m, std::size_t n,
               std::size_t k, std::vector<double>& want, std::vector<double>& bound) {
  const std::int64_t shift = A::quant_min < 0 ? 0 : 128;
  const double u = std::ldexp(1.0, -24);
  const double gamma = (k / 16.0 + 8.0) * u / (1.0 - (k / 16.0 + 8.0) * u);
  want.assign(m * n, 0.0);
  bound.assign(m * n, 0.0);
  const std::size_t g = static_cast<std::size_t>(W::granularity::size);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const std::int64_t zx = x.zero_point(i, 0);
      double exact = 0.0, mag = 0.0;
      for (std::size_t g0 = 0; g0 < k; g0 += g) {
        const std::int64_t zw = w.zero_point(j, g0);
        std::int64_t s = 0, a = 0;
        for (std::size_t t = g0; t < g0 + g; ++t) {
          s += (x.code(i, t) - zx) * (w.code(j, t) - zw);
          a += (std::llabs(x.code(i, t) - shift) + std::llabs(zx - shift)) * std::llabs(w.code(j, t) - zw);
        }
        exact += w.scale(j, g0) * static_cast<double>(s);
        mag += std::fabs(w.scale(j, g0)) * static_cast<double>(a);
      }
      exact *= x.scale(i, 0);
      mag *= std::fabs(x.scale(i, 0));
      const double b = bias != nullptr ? (*bias)[j] : 0.0;
      want[i * n + j] = exact + b;
      bound[i * n + j] = gamma * mag + 2 * u * (std::fabs(exact) + std::fabs(b)) +
                         (std::is_same_v<Dst, ao::bfloat16> ? std::ldexp(std::fabs(exact + b), -8) : 0.0);
    }
  }
}

// Runs every backend and target; exact: y must equal want bit for bit (pow2 scales, no bias, fp32 y).
template <class A, class W, class Dst = float>
void check(std::size_t m, std::size_t n, std::size_t k, std::uint32_t seed, bool with_bias = true, bool exact = false) {
  SCOPED_TRACE(std::string(ao::display_name<A>()) + " x " + ao::display_name<W>() + " M=" + std::to_string(m) +
               " N=" + std::to_string(n) + " K=" + std::to_string(k) + " seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const bool sym_x = std::is_same_v<typename A::mapping_type, ao::mapping::symmetric> && A::quant_min < 0;
  const bool sym_w = std::is_same_v<typename W::mapping_type, ao::mapping::symmetric> && W::quant_min < 0;
  const operand<A> x(m, k, seed % 3 * 5, sym_x, exact, rng);
  const operand<W> w(n, k, seed % 2 * 7, sym_w, exact, rng);
  std::vector<float> bias(n);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& b : bias) b = normal(rng);
  std::vector<double> want, bound;
  reference<A, W, Dst>(x, w, with_bias ? &bias : nullptr, m, n, k, want, bound);
  const std::size_t y_stride = n + 3;
  auto run = [&](auto backend, const char* what) {
    std::vector<Dst> y(m * y_stride + 1, Dst(-7.0f));
    const ao::strided_view<Dst, 2> yv(y.data(), {m, n}, {static_cast<std::ptrdiff_t>(y_stride), 1});
    if (with_bias) {
      ao::matmul(x.view, w.view, ao::strided_view<const float, 1>(bias.data(), {n}), yv, backend);
    } else {
      ao::matmul(x.view, w.view, yv, backend);
    }
    int bad = 0;
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        const double got = as_double(y[i * y_stride + j]), ref = want[i * n + j];
        const bool ok = exact ? got == ref : std::fabs(got - ref) <= bound[i * n + j];
        if (!ok && ++bad <= 3) {
          ADD_FAILURE() << what << " y[" << i << "][" << j << "] = " << got << ", reference " << ref << " (bound "
                        << bound[i * n + j] << ")";
        }
      }
      for (std::size_t j = n; j < y_stride && i + 1 < m; ++j) {
        EXPECT_EQ(as_double(y[i * y_stride + j]), -7.0) << what << ": wrote between rows";
      }
    }
    EXPECT_EQ(bad, 0) << what;
  };
  run(ao::backend::scalar{}, "scalar");
  for (std::int64_t target : ::hwy::SupportedAndGeneratedTargets()) {
    ::hwy::SetSupportedTargetsForTest(target);
    run(ao::backend::highway{}, ::hwy::TargetName(target));
  }
  ::hwy::SetSupportedTargetsForTest(0);
}

using int8_asym = ao::int8_asymmetric_per_row;  // torchao's int8_asym_per_token activations
using int8_sym = ao::int8_symmetric_per_row;
using uint8_asym = ao::uint8_asymmetric_per_row;
using int8_tensor = ao::int8_symmetric_per_tensor;
using int4_sym_g32 = ao::int4_symmetric_group32;
using int4_asym_g32 = ao::int4_asymmetric_group32;
using uint4_asym_g64 = ao::uint4_asymmetric_group64;
using int4_sym_g16 = ao::affine<ao::int4, ao::mapping::symmetric, ao::group<16>>;
using int4_asym_g128 = ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<128>>;
using int8_sym_g128 = ao::affine<ao::int8, ao::mapping::symmetric, ao::group<128>>;
using int8_asym_g32 = ao::affine<ao::int8, ao::mapping::asymmetric, ao::group<32>>;   // w - zw leaves int8
using int4_asym_g48 = ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<48>>;   // not a VNNI group size
using int2_asym_g8 = ao::affine<ao::int2, ao::mapping::asymmetric, ao::group<8>>;
using int4_sym_g256 = ao::affine<ao::int4, ao::mapping::symmetric, ao::group<256>>;
using uint4_asym_g96 = ao::affine<ao::uint4, ao::mapping::asymmetric, ao::group<96>>;  // generic, x in place
using int4_sym_g32_bf16 = ao::int4_symmetric_group32::with_scale_type<ao::bfloat16>;

TEST(GroupIntegerMatmul, GroupSizesAndMappings) {
  check<int8_asym, int4_sym_g32>(5, 9, 256, 1);  // torchao's Int8DynamicActivationIntxWeight default
  check<int8_asym, int4_asym_g32>(3, 7, 192, 2);
  check<int8_asym, uint4_asym_g64>(4, 6, 320, 3);
  check<int8_asym, int4_sym_g16>(2, 5, 80, 4);  // K not a multiple of 64: a partial last vector
  check<int8_asym, int4_asym_g128>(6, 5, 512, 5);
  check<int8_sym, int8_sym_g128>(3, 4, 384, 6);
  check<int8_asym, int8_asym_g32>(3, 4, 96, 7);  // the generic kernel on every target
  check<int8_asym, int4_asym_g48>(2, 3, 144, 8);
  check<int8_asym, int2_asym_g8>(2, 3, 40, 9);
  check<int8_asym, int4_sym_g256>(5, 6, 768, 10);
  check<uint8_asym, uint4_asym_g96>(3, 5, 288, 11);
}

TEST(GroupIntegerMatmul, ActivationFormatsAndDtypes) {
  check<int8_sym, int4_sym_g32>(3, 5, 128, 10);
  check<uint8_asym, int4_asym_g32>(4, 5, 160, 11);
  check<uint8_asym, uint4_asym_g64>(2, 5, 192, 12);
  check<int8_tensor, int4_sym_g32>(3, 4, 64, 13);
  check<int8_asym, int4_sym_g32_bf16, ao::bfloat16>(3, 5, 256, 14);
  check<int8_asym, int4_sym_g32, ao::bfloat16>(2, 4, 64, 15, false);
}

TEST(GroupIntegerMatmul, ShapesNotMultiplesOfAnyTile) {
  for (std::size_t m : {1, 2, 3, 4, 5, 8, 9}) {
    for (std::size_t k : {32, 96, 160, 1056}) check<int8_asym, int4_asym_g32>(m, 1 + m * 3 % 7, k, 20 + m + k);
  }
  check<int8_asym, int4_sym_g32>(70, 67, 64, 21);  // past one 64-row block of x and one band of W rows
}

TEST(GroupIntegerMatmul, IntegerSumsAreExact) {
  // Power-of-two scales, no bias, fp32 y, sums below 2^24: every float step is exact, so y is the exact result.
  check<int8_asym, int4_asym_g32>(3, 5, 2048, 30, false, true);
  check<int8_sym, int4_sym_g16>(2, 3, 1024, 31, false, true);
  check<uint8_asym, uint4_asym_g64>(4, 3, 1024, 32, false, true);
  check<int8_asym, int8_sym_g128>(2, 3, 512, 33, false, true);
  check<int8_asym, int8_asym_g32>(2, 3, 256, 34, false, true);
  check<int8_asym, int4_asym_g48>(1, 3, 480, 35, false, true);
  check<int8_asym, int4_sym_g256>(4, 5, 1024, 36, false, true);
}

TEST(GroupIntegerMatmul, ExecutorsGiveTheSameBits) {
  std::mt19937 rng(40);
  const operand<int8_asym> x(9, 320, 0, false, false, rng);
  const operand<int4_asym_g32> w(77, 320, 0, false, false, rng);
  std::vector<float> one(9 * 77), two(9 * 77);
  ao::thread_pool pool(2);
  ao::matmul(x.view, w.view, ao::strided_view<float, 2>(one.data(), {9, 77}));
  ao::matmul(x.view, w.view, ao::strided_view<float, 2>(two.data(), {9, 77}), pool);
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
}

TEST(GroupIntegerMatmul, DynamicAgainstDequantizedFloat64) {
  // matmul_dynamic<A>(x, W) against the other reference of issue 5: x quantized by ao::quantize<A>, both operands
  // dequantized by the scalar oracle, a float64 matmul. And against the float matmul of the unquantized values.
  const std::size_t m = 5, n = 11, k = 512;
  std::mt19937 rng(50);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(m * k), wf(n * k), bias(n);
  for (float& v : x) v = normal(rng);
  for (float& v : wf) v = normal(rng) * 0.05f;
  for (float& v : bias) v = normal(rng);
  const auto w = ao::quantize<int4_asym_g32>(ao::strided_view<const float, 2>(wf.data(), {n, k}));
  const ao::strided_view<const float, 2> xv(x.data(), {m, k});
  const ao::strided_view<const float, 1> bv(bias.data(), {n});
  const auto xq = ao::quantize<int8_asym>(xv, ao::backend::scalar{});
  std::vector<float> xd(m * k), wd(n * k);
  ao::dequantize(xq.cview(), ao::strided_view<float, 2>(xd.data(), {m, k}), ao::backend::scalar{});
  ao::dequantize(w.cview(), ao::strided_view<float, 2>(wd.data(), {n, k}), ao::backend::scalar{});
  for (auto backend : {0, 1}) {
    std::vector<float> y(m * n);
    if (backend == 0) {
      ao::matmul_dynamic<int8_asym>(xv, w, bv, ao::strided_view<float, 2>(y.data(), {m, n}), ao::backend::scalar{});
    } else {
      ao::matmul_dynamic<int8_asym>(xv, w, bv, ao::strided_view<float, 2>(y.data(), {m, n}));
    }
    double err = 0.0, ref = 0.0, qerr = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double d = bias[j], f = bias[j], mag = std::fabs(bias[j]);
        for (std::size_t t = 0; t < k; ++t) {
          d += double(xd[i * k + t]) * double(wd[j * k + t]);
          f += double(x[i * k + t]) * double(wf[j * k + t]);
          mag += std::fabs(double(xd[i * k + t]) * double(wd[j * k + t]));
        }
        // Dequantized values are rounded to fp32 (one ulp each), and the kernels sum in fp32.
        EXPECT_LE(std::fabs(y[i * n + j] - d), (k / 16.0 + 12) * std::ldexp(mag, -24)) << i << ", " << j;
        qerr += (y[i * n + j] - f) * (y[i * n + j] - f);
        ref += f * f;
        err += (y[i * n + j] - d) * (y[i * n + j] - d);
      }
    }
    EXPECT_LT(std::sqrt(err / ref), 1e-6) << "against the dequantized operands";
    EXPECT_LT(std::sqrt(qerr / ref), 0.15) << "W4A8 against the unquantized float matmul";
  }
}

TEST(GroupIntegerMatmul, EmptyShapesAndNonFiniteScales) {
  std::mt19937 rng(60);
  const operand<int8_asym> x(2, 0, 0, false, false, rng);
  const operand<int4_sym_g32> w(3, 0, 0, true, false, rng);
  std::vector<float> bias = {1.5f, -2.0f, 0.25f}, y(6, 9.0f);
  ao::matmul(x.view, w.view, ao::strided_view<const float, 1>(bias.data(), {3}),
             ao::strided_view<float, 2>(y.data(), {2, 3}));
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(y[i], bias[i % 3]) << "K = 0: y = bias";
  // A NaN scale of one group poisons its row of W only, on both backends.
  const operand<int8_asym> x2(2, 64, 0, false, false, rng);
  operand<int4_sym_g32> w2(3, 64, 0, true, false, rng);
  w2.scales[1 * 2 + 1] = NAN;
  for (int backend = 0; backend < 2; ++backend) {
    std::vector<float> out(6, 0.0f);
    if (backend == 0) {
      ao::matmul(x2.view, w2.view, ao::strided_view<float, 2>(out.data(), {2, 3}), ao::backend::scalar{});
    } else {
      ao::matmul(x2.view, w2.view, ao::strided_view<float, 2>(out.data(), {2, 3}));
    }
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_TRUE(std::isnan(out[i * 3 + 1])) << backend;
      EXPECT_TRUE(std::isfinite(out[i * 3 + 0]) && std::isfinite(out[i * 3 + 2])) << backend;
    }
  }
}

TEST(GroupIntegerMatmul, ArgumentErrors) {
  std::mt19937 rng(70);
  const operand<int8_asym> x(2, 64, 0, false, false, rng);
  operand<int4_asym_g32> w(3, 64, 0, false, false, rng);
  std::vector<float> y(16);
  w.zero_points[4] = 9;  // int4 codes are -8..7
  for (int backend = 0; backend < 2; ++backend) {
    expect_error(
        [&] {
          if (backend == 0) {
            ao::matmul(x.view, w.view, ao::strided_view<float, 2>(y.data(), {2, 3}), ao::backend::scalar{});
          } else {
            ao::matmul(x.view, w.view, ao::strided_view<float, 2>(y.data(), {2, 3}));
          }
        },
        {"W's zero point 9 (row 2, group 0)", "[-8, 7]"});
  }
  w.zero_points[4] = 0;
  const operand<int4_asym_g32> w96(3, 96, 0, false, false, rng);
  expect_error([&] { ao::matmul(x.view, w96.view, ao::strided_view<float, 2>(y.data(), {2, 3})); },
               {"x's columns must equal W's K"});
  auto bad = w.view;
  bad.cols = 48;  // not a multiple of the group
  const operand<int8_asym> x48(2, 48, 0, false, false, rng);
  expect_error([&] { ao::matmul(x48.view, bad, ao::strided_view<float, 2>(y.data(), {2, 3})); }, {"32"});
}

}  // namespace
