// ao::matmul over quantized activations (ao/ops/integer_matmul.hpp) against a reference written here: the exact
// integer sum S[m, n] = sum_k (x[m, k] - zx[m]) (w[n, k] - zw[n]) in int64 over the codes, then torchao's epilogue
// step by step (numerics spec §4.4; torch's promotion rules spelled out below). Both backends, every Highway target
// (the AVX-512 VNNI path where the CPU has it), every signedness of x and W, per-row and per-tensor parameters,
// fp32/bf16/fp16 scales, fp32 and bf16 outputs, K past one 32768-value chunk, strided rows: every output must be
// bit-identical to the reference. Plus ao::matmul_dynamic (x quantized per call) and the argument errors.
#include "ao/ops/integer_matmul.hpp"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "expect_error.hpp"

namespace {

using ao::testing::expect_error;

// Quantized operands of format F with random codes over F's whole range, random zero points (0 when zero_zp),
// random scales (powers of two when pow2: the epilogue is then exact, so y shows S itself), rows stride_pad bytes
// longer than K.
template <class F>
struct operand {
  std::vector<std::uint8_t> data;
  std::vector<ao::scale_storage_t<F>> scales;
  std::vector<std::int32_t> zero_points;
  ao::quantized_view<F> view;

  operand(std::size_t rows, std::size_t k, std::size_t stride_pad, bool zero_zp, bool pow2, std::mt19937& rng,
          int code_mode = 0) {
    const std::size_t stride = k + stride_pad;
    data.assign(rows * stride + 1, 0xA5);  // padding bytes are garbage: the kernels must not use them
    std::uniform_int_distribution<int> code(F::quant_min, F::quant_max);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < k; ++i) {
        // code_mode 1: every code the range's extreme (the largest |sums|); 2: alternating extremes.
        const int c =
            code_mode == 1 ? F::quant_min : (code_mode == 2 ? ((i & 1) ? F::quant_max : F::quant_min) : code(rng));
        data[r * stride + i] = static_cast<std::uint8_t>(c);
      }
    }
    const bool per_tensor = std::is_same_v<typename F::granularity, ao::per_tensor>;
    const std::size_t params = per_tensor ? 1 : rows;
    std::uniform_real_distribution<float> unit(0.001f, 0.1f);
    std::uniform_int_distribution<int> exponent(-12, -2);
    for (std::size_t r = 0; r < params; ++r) {
      const float s = pow2 ? std::ldexp(1.0f, exponent(rng)) : unit(rng);
      scales.push_back(ao::scale_storage_t<F>(s));
      zero_points.push_back(zero_zp ? 0 : code(rng));
    }
    view.data = data.data();
    view.data_stride = static_cast<std::ptrdiff_t>(stride);
    view.scales = scales.data();
    view.scales_stride = 1;
    view.zero_points = zero_points.data();
    view.zero_points_stride = 1;
    view.rows = rows;
    view.cols = k;
  }
  std::size_t param(std::size_t r) const { return std::is_same_v<typename F::granularity, ao::per_tensor> ? 0 : r; }
  std::int64_t code(std::size_t r, std::size_t i) const {
    const std::uint8_t b = data[r * static_cast<std::size_t>(view.data_stride) + i];
    return F::quant_min < 0 ? std::int64_t{static_cast<std::int8_t>(b)} : std::int64_t{b};
  }
};

template <class T>
float as_float(T v) {
  return static_cast<float>(v);
}

// T's rounding of a float (nearest even), for float, bf16 and fp16, written without the library's helper.
template <class T>
float rounded(float v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return static_cast<float>(T(v));
  }
}

// x86's arithmetic on NaN and inf, written out (what torch's CPU kernels give): a NaN operand comes back quieted,
// the first one first; an invalid operation (0 * inf, inf - inf) gives the default NaN 0xFFC00000.
float nan_bits(std::uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}
float quieted(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return nan_bits(bits | 0x00400000u);
}
float x86_multiply(float a, float b) {
  if (std::isnan(a)) return quieted(a);
  if (std::isnan(b)) return quieted(b);
  const float r = a * b;
  return std::isnan(r) ? nan_bits(0xFFC00000u) : r;
}
float x86_add(float a, float b) {
  if (std::isnan(a)) return quieted(a);
  if (std::isnan(b)) return quieted(b);
  const float r = a + b;
  return std::isnan(r) ? nan_bits(0xFFC00000u) : r;
}

template <class A, class W, class Dst>
std::vector<Dst> reference(const operand<A>& x, const operand<W>& w, const std::vector<float>* bias, std::size_t m,
                           std::size_t n, std::size_t k) {
  using SA = ao::scale_storage_t<A>;
  using SW = ao::scale_storage_t<W>;
  // torch: the int32 result .to(scale dtype) (fp16 scales are upcast to fp32 first), times the scale.
  using I = std::conditional_t<std::is_same_v<SA, ao::float16>, float, SA>;
  // torch: Dst tensor * W-scale tensor: the common dtype (fp32 unless both are the same 16-bit type).
  using P = std::conditional_t<std::is_same_v<Dst, SW>, Dst, float>;
  std::vector<Dst> y(m * n);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      std::int64_t s = 0;
      const std::int64_t zx = x.zero_points[x.param(i)], zw = w.zero_points[w.param(j)];
      for (std::size_t t = 0; t < k; ++t) s += (x.code(i, t) - zx) * (w.code(j, t) - zw);
      float v = rounded<I>(static_cast<float>(s));
      v = rounded<I>(x86_multiply(v, as_float(x.scales[x.param(i)])));
      v = rounded<Dst>(v);
      v = rounded<P>(x86_multiply(v, as_float(w.scales[w.param(j)])));
      if (bias != nullptr) v = rounded<P>(x86_add(v, (*bias)[j]));
      y[i * n + j] = Dst(v);
    }
  }
  return y;
}

template <class Dst>
std::uint32_t bits_of(Dst v) {
  if constexpr (std::is_same_v<Dst, float>) {
    std::uint32_t b;
    std::memcpy(&b, &v, 4);
    return b;
  } else {
    return v.bits();
  }
}

// Runs the integer matmul with every backend and target and compares each output bit for bit.
// Non-finite parameters for check(): NaN (signaling, and negative with a payload), +-inf and 0 among x's and W's
// scales and the bias, and a row of x and of W whose codes are its zero point (S = 0, so inf scales give 0 * inf).
template <class F>
void make_nonfinite(operand<F>& o, std::size_t first) {
  using S = ao::scale_storage_t<F>;
  const float values[] = {nan_bits(0x7F800001u), -INFINITY, nan_bits(0xFFC12345u), INFINITY, 0.0f};
  for (std::size_t i = 0; i < 5 && first + i < o.scales.size(); ++i) o.scales[first + i] = S(values[i]);
  const std::size_t zero_row = first + 3;  // the +inf scale's row (per row formats)
  if (zero_row < o.view.rows) {
    for (std::size_t c = 0; c < o.view.cols; ++c) {
      o.data[zero_row * static_cast<std::size_t>(o.view.data_stride) + c] =
          static_cast<std::uint8_t>(o.zero_points[o.param(zero_row)]);
    }
  }
}

template <class A, class W, class Dst = float>
void check(std::size_t m, std::size_t n, std::size_t k, std::uint32_t seed, bool with_bias = true, bool pow2 = false,
           int code_mode = 0, bool nonfinite = false) {
  SCOPED_TRACE(std::string(ao::display_name<A>()) + " x " + ao::display_name<W>() + " M=" + std::to_string(m) +
               " N=" + std::to_string(n) + " K=" + std::to_string(k) + " seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const bool sym_x = std::is_same_v<typename A::mapping_type, ao::mapping::symmetric> && A::quant_min < 0;
  const bool sym_w = std::is_same_v<typename W::mapping_type, ao::mapping::symmetric> && W::quant_min < 0;
  operand<A> x(m, k, seed % 3 * 5, sym_x, pow2, rng, code_mode);
  operand<W> w(n, k, seed % 2 * 7, sym_w, pow2, rng, code_mode);
  std::vector<float> bias(n);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& b : bias) b = rounded<Dst>(normal(rng));
  if (nonfinite) {
    make_nonfinite(x, 0);
    make_nonfinite(w, 1);
    const float values[] = {nan_bits(0x7FC00007u), INFINITY, -INFINITY, nan_bits(0xFF800003u)};
    for (std::size_t j = 0; j < 4 && 4 + j < n; ++j) bias[4 + j] = values[j];
  }
  const std::vector<Dst> want = reference<A, W, Dst>(x, w, with_bias ? &bias : nullptr, m, n, k);
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
        const Dst got = y[i * y_stride + j];
        if (bits_of(got) != bits_of(want[i * n + j]) && ++bad <= 3) {
          ADD_FAILURE() << what << " y[" << i << "][" << j << "] = " << as_float(got) << ", reference "
                        << as_float(want[i * n + j]);
        }
      }
      for (std::size_t j = n; j < y_stride && i + 1 < m; ++j) {
        EXPECT_EQ(bits_of(y[i * y_stride + j]), bits_of(Dst(-7.0f))) << what << ": wrote between rows";
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

using int8_sym = ao::int8_symmetric_per_row;
using int8_asym = ao::int8_asymmetric_per_row;
using uint8_asym = ao::affine<ao::uint8, ao::mapping::asymmetric, ao::per_row>;
using int8_sym_tensor = ao::int8_symmetric_per_tensor;
using int4_sym = ao::affine<ao::int4, ao::mapping::symmetric, ao::per_row>;
using int8_sym_bf16 = ao::int8_symmetric_per_row::with_scale_type<ao::bfloat16>;
using int8_sym_fp16 = ao::int8_symmetric_per_row::with_scale_type<ao::float16>;

TEST(IntegerMatmul, SignednessOfXAndW) {
  // Signed x signed (the VNNI path's w ^ 0x80 trick), unsigned x signed W, signed x unsigned W, unsigned x
  // unsigned (the generic kernel on every target).
  check<int8_sym, int8_sym>(3, 9, 200, 1);
  check<uint8_asym, int8_sym>(5, 6, 131, 2);
  check<int8_sym, uint8_asym>(2, 7, 64, 3);
  check<uint8_asym, uint8_asym>(4, 5, 77, 4);
  check<int8_asym, int8_asym>(6, 5, 300, 5);
}

TEST(IntegerMatmul, ShapesNotMultiplesOfAnyTile) {
  for (std::size_t m : {1, 2, 3, 4, 5, 8, 9}) {
    for (std::size_t k : {1, 15, 63, 64, 65, 129, 1000}) check<int8_sym, int8_sym>(m, 1 + m * 3 % 7, k, 10 + m + k);
  }
  // M past one 64-row block of x, N past one band of W rows.
  check<int8_asym, int8_sym>(70, 67, 96, 11);
}

// The GEMM path (M >= 32, K a multiple of 4 up to 32768: packed x panels and vpdpbusd where the CPU has AVX-512
// VNNI): every signedness of x and W (x + 128 and w - 128 corrections), zero points, per-tensor parameters, M past
// one 256-row block and not a multiple of the 64-row panel, N not a multiple of the 6-row tile or the 48-row band,
// K past one 256-value chunk, extreme codes at K = 32768 (the int32 bound), bf16 y. Bit for bit as everywhere.
TEST(IntegerMatmul, GemmPath) {
  check<int8_sym, int8_sym>(40, 53, 260, 60);
  check<uint8_asym, int8_sym>(33, 13, 516, 61);
  check<int8_sym, uint8_asym>(65, 7, 128, 62);
  check<int8_asym, int8_asym>(300, 50, 36, 63);
  check<uint8_asym, uint8_asym>(32, 6, 68, 64);
  check<int8_sym_tensor, int8_sym_tensor>(34, 9, 100, 65);
  check<int8_sym_bf16, int8_sym_bf16, ao::bfloat16>(40, 11, 256, 66);
  check<int8_sym, int8_sym>(33, 7, 32768, 67, false, true, 1);
  check<uint8_asym, int8_sym>(32, 5, 32768, 68, false, true, 2);
  check<int8_asym, uint8_asym>(35, 6, 32764, 69, false, true, 2);
}

// NaN, inf and 0 scales, 0 * inf products and NaN/inf bias: the epilogue's NaN rules (torch's on x86: the first NaN
// operand quieted, the default NaN for invalid operations, bf16's canonical NaN) on the dot-product path (M < 32) and
// the GEMM path's vector epilogue (M >= 32), fp32 and bf16 y, fp32 and bf16 scales.
TEST(IntegerMatmul, NonFiniteScalesAndBias) {
  check<int8_sym, int8_sym>(5, 9, 64, 70, true, false, 0, true);
  check<int8_sym, int8_sym>(40, 9, 64, 71, true, false, 0, true);
  check<int8_asym, uint8_asym>(37, 11, 68, 72, true, false, 0, true);
  check<int8_sym, int8_sym, ao::bfloat16>(33, 10, 128, 73, true, false, 0, true);
  check<int8_sym_bf16, int8_sym_bf16, ao::bfloat16>(34, 12, 256, 74, true, false, 0, true);
  check<int8_sym_bf16, int8_sym_bf16, float>(36, 8, 32, 75, true, false, 0, true);
  check<int8_sym_fp16, int8_sym_fp16, ao::bfloat16>(32, 8, 32, 76, true, false, 0, true);
}

TEST(IntegerMatmul, ParametersAndDtypes) {
  check<int8_sym_tensor, int8_sym_tensor>(3, 5, 100, 20);
  check<int8_sym, int8_sym_tensor>(3, 5, 100, 21);
  check<int8_sym, int4_sym>(4, 6, 128, 22);
  check<int8_sym_bf16, int8_sym_bf16, ao::bfloat16>(3, 5, 256, 23);  // torchao's bf16 model
  check<int8_sym_bf16, int8_sym_bf16, float>(3, 5, 256, 24);
  check<int8_sym_fp16, int8_sym_fp16, ao::bfloat16>(3, 5, 256, 25);  // fp16 scales: fp32 intermediate
  check<int8_sym, int8_sym_bf16, ao::bfloat16>(2, 4, 99, 26);
  check<int8_sym, int8_sym, ao::bfloat16>(2, 4, 99, 27, false);
}

TEST(IntegerMatmul, IntegerSumsAreExact) {
  // Power-of-two scales and fp32 y: the epilogue is exact, so y is float(S). Extreme codes give the largest sums,
  // and K past one 32768-value chunk (several int32 chunk sums, combined in int64).
  check<int8_sym, int8_sym>(2, 3, 1000, 30, false, true);
  check<int8_sym, int8_sym>(2, 3, 40000, 31, false, true, 1);
  check<uint8_asym, uint8_asym>(1, 2, 33000, 32, false, true, 1);
  check<int8_asym, uint8_asym>(3, 2, 32768 + 64, 33, false, true, 2);
  check<uint8_asym, int8_sym>(1, 4, 70000, 34, false, true, 2);
}

TEST(IntegerMatmul, ExecutorsGiveTheSameBits) {
  std::mt19937 rng(40);
  const operand<int8_asym> x(9, 300, 0, false, false, rng);
  const operand<int8_sym> w(77, 300, 0, true, false, rng);
  std::vector<float> one(9 * 77), two(9 * 77);
  ao::thread_pool pool(2);
  ao::matmul(x.view, w.view, ao::strided_view<float, 2>(one.data(), {9, 77}));
  ao::matmul(x.view, w.view, ao::strided_view<float, 2>(two.data(), {9, 77}), pool);
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
}

TEST(IntegerMatmul, DynamicQuantizesXAsAoQuantize) {
  // matmul_dynamic<A>(x, ...) is ao::quantize<A>(x) then the integer matmul; close to the float matmul.
  const std::size_t m = 5, n = 11, k = 256;
  std::mt19937 rng(50);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(m * k), wf(n * k), bias(n);
  for (float& v : x) v = normal(rng);
  for (float& v : wf) v = normal(rng) * 0.05f;
  for (float& v : bias) v = normal(rng);
  const auto w = ao::quantize<int8_sym>(ao::strided_view<const float, 2>(wf.data(), {n, k}));
  const ao::strided_view<const float, 2> xv(x.data(), {m, k});
  const ao::strided_view<const float, 1> bv(bias.data(), {n});
  std::vector<float> dyn(m * n), stat(m * n);
  ao::matmul_dynamic<int8_sym>(xv, w, bv, ao::strided_view<float, 2>(dyn.data(), {m, n}));
  const auto xq = ao::quantize<int8_sym>(xv, ao::backend::scalar{});
  ao::matmul(xq, w, bv, ao::strided_view<float, 2>(stat.data(), {m, n}), ao::backend::scalar{});
  EXPECT_EQ(std::memcmp(dyn.data(), stat.data(), dyn.size() * sizeof(float)), 0);
  double err = 0.0, ref = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double s = bias[j];
      for (std::size_t t = 0; t < k; ++t) s += double(x[i * k + t]) * double(wf[j * k + t]);
      err += (dyn[i * n + j] - s) * (dyn[i * n + j] - s);
      ref += s * s;
    }
  }
  EXPECT_LT(std::sqrt(err / ref), 0.02) << "int8 x int8 relative Frobenius error";
  // bf16 activations, asymmetric per-token activation quantization.
  std::vector<ao::bfloat16> xb(m * k);
  for (std::size_t i = 0; i < xb.size(); ++i) xb[i] = ao::bfloat16(x[i]);
  std::vector<ao::bfloat16> yb(m * n), yb_ref(m * n);
  const ao::strided_view<const ao::bfloat16, 2> xbv(xb.data(), {m, k});
  ao::matmul_dynamic<int8_asym>(xbv, w, ao::strided_view<ao::bfloat16, 2>(yb.data(), {m, n}));
  ao::matmul(ao::quantize<int8_asym>(xbv), w, ao::strided_view<ao::bfloat16, 2>(yb_ref.data(), {m, n}),
             ao::backend::scalar{});
  for (std::size_t i = 0; i < yb.size(); ++i) EXPECT_EQ(yb[i].bits(), yb_ref[i].bits()) << i;
}

TEST(IntegerMatmul, StaticActivationParameters) {
  // With the scale and zero point that dynamic per-tensor quantization would choose, matmul_static gives the same
  // bits as matmul_dynamic; and with a chosen scale the codes are round(x / scale) + zero point, clamped.
  using A = ao::int8_symmetric_per_tensor;
  const std::size_t m = 3, n = 5, k = 96;
  std::mt19937 rng(55);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(m * k), wf(n * k);
  for (float& v : x) v = normal(rng);
  for (float& v : wf) v = normal(rng) * 0.1f;
  const auto w = ao::quantize<int8_sym>(ao::strided_view<const float, 2>(wf.data(), {n, k}));
  const ao::strided_view<const float, 2> xv(x.data(), {m, k});
  const auto xq = ao::quantize<A>(xv);
  std::vector<float> dyn(m * n), stat(m * n);
  ao::matmul_dynamic<A>(xv, w, ao::strided_view<float, 2>(dyn.data(), {m, n}));
  ao::matmul_static<A>(xv, xq.scales()[0], xq.zero_points()[0], w, ao::strided_view<float, 2>(stat.data(), {m, n}));
  EXPECT_EQ(std::memcmp(dyn.data(), stat.data(), dyn.size() * sizeof(float)), 0);
  // x = [1.5, -0.25, 100, 0.0625 ...] with scale 1/8 and zero point 3 (asymmetric): codes 15, 1, 127 (clamped), 3 (0.5
  // ties to even 0).
  using Asym = ao::affine<ao::int8, ao::mapping::asymmetric, ao::per_tensor>;
  const std::vector<float> xs = {1.5f, -0.25f, 100.0f, 0.0625f};
  const std::vector<float> ones(4, 1.0f);
  const auto w1 = ao::quantize<ao::int8_symmetric_per_tensor>(ao::strided_view<const float, 2>(ones.data(), {1, 4}));
  float y = 0.0f;
  ao::matmul_static<Asym>(ao::strided_view<const float, 2>(xs.data(), {1, 4}), 0.125f, 3, w1,
                          ao::strided_view<float, 2>(&y, {1, 1}), ao::backend::scalar{});
  // W = ones quantizes to 127 codes with scale 1/127.5 (symmetric): S = sum (code - 3) * 127.
  const float sw = w1.scales()[0];
  const std::int64_t s = ((15 - 3) + (1 - 3) + (127 - 3) + (3 - 3)) * 127;
  EXPECT_EQ(y, static_cast<float>(s) * 0.125f * sw);
  std::vector<float> y2(1);
  expect_error(
      [&] {
        ao::matmul_static<Asym>(ao::strided_view<const float, 2>(xs.data(), {1, 4}), 0.125f, 300, w1,
                                ao::strided_view<float, 2>(y2.data(), {1, 1}));
      },
      {"zero point 300"});
}

TEST(IntegerMatmul, NonFiniteActivations) {
  // NaN and inf in x: whatever ao::quantize makes of them, both backends agree and nothing crashes.
  const std::size_t m = 3, n = 4, k = 70;
  std::vector<float> x(m * k, 0.5f), wf(n * k, 0.25f);
  x[3] = std::nanf("");
  x[k + 5] = INFINITY;
  const auto w = ao::quantize<int8_sym>(ao::strided_view<const float, 2>(wf.data(), {n, k}));
  std::vector<float> a(m * n), b(m * n);
  const ao::strided_view<const float, 2> xv(x.data(), {m, k});
  ao::matmul_dynamic<int8_sym>(xv, w, ao::strided_view<float, 2>(a.data(), {m, n}), ao::backend::scalar{});
  ao::matmul_dynamic<int8_sym>(xv, w, ao::strided_view<float, 2>(b.data(), {m, n}));
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  for (std::size_t j = 0; j < n; ++j) {
    EXPECT_NEAR(a[2 * n + j], 0.5f * 0.25f * k, 0.01f * 0.5f * 0.25f * k) << "a finite row stays finite and close";
  }
}

TEST(IntegerMatmul, EmptyShapes) {
  std::mt19937 rng(60);
  const operand<int8_sym> x(2, 0, 0, true, false, rng);
  const operand<int8_sym> w(3, 0, 0, true, false, rng);
  std::vector<float> bias = {1.5f, -2.0f, 0.25f}, y(6, 9.0f);
  ao::matmul(x.view, w.view, ao::strided_view<const float, 1>(bias.data(), {3}),
             ao::strided_view<float, 2>(y.data(), {2, 3}));
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(y[i], bias[i % 3]) << "K = 0: y = bias";
  const operand<int8_sym> x0(0, 16, 0, true, false, rng);
  const operand<int8_sym> w16(3, 16, 0, true, false, rng);
  ao::matmul(x0.view, w16.view, ao::strided_view<float, 2>(y.data(), {0, 3}));  // M = 0: nothing to do
}

TEST(IntegerMatmul, ArgumentErrors) {
  std::mt19937 rng(70);
  const operand<int8_sym> x(2, 32, 0, true, false, rng);
  const operand<int8_sym> w(3, 32, 0, true, false, rng);
  const operand<int8_sym> w31(3, 31, 0, true, false, rng);
  std::vector<float> y(16);
  expect_error(
      [&] {
        ao::matmul(x.view, w31.view, ao::strided_view<float, 2>(y.data(), {2, 3}));
      },
      {"x's columns must equal W's K"});
  expect_error([&] { ao::matmul(x.view, w.view, ao::strided_view<float, 2>(y.data(), {2, 4})); }, {"y is 2 x 4"});
  expect_error(
      [&] {
        ao::matmul(x.view, w.view, ao::strided_view<const float, 1>(y.data(), {2}),
                   ao::strided_view<float, 2>(y.data() + 4, {2, 3}));
      },
      {"bias has 2 values"});
  // y over x's codes.
  auto* alias = reinterpret_cast<float*>(const_cast<std::uint8_t*>(x.data.data()));
  expect_error([&] { ao::matmul(x.view, w.view, ao::strided_view<float, 2>(alias, {2, 3})); }, {"overlap"});
  auto bad = x.view;
  bad.scales = nullptr;
  expect_error([&] { ao::matmul(bad, w.view, ao::strided_view<float, 2>(y.data(), {2, 3})); }, {"scales"});
  auto padded = ao::quantized_tensor<int8_sym>::allocate({2, 3, 4});
  expect_error(
      [&] {
        ao::matmul(padded, w.view, ao::strided_view<float, 2>(y.data(), {2, 3}));
      },
      {"x must be a 2-D (M x K) tensor"});
}

}  // namespace
