// tests/hwy/affine_hwy_test.cc: the affine Highway kernels (ao/backends/hwy/affine-inl.h) against the scalar
// oracle (ao::scalar::quantize / dequantize / min_max), byte for byte, on every Highway target compiled here that
// this CPU supports. Every buffer is compared whole, padding between rows included (it must stay untouched).
//
// Inputs: strided bands (rows 0, 1, 3, 17; every legal cols up to a few hundred; odd strides) filled group by group
// with random normals over random binades, exact .5 ties after a power-of-two scale (reaching qmin - 1 and
// qmax + 1), all-equal, all-zero, fp32-subnormal, huge and mixed groups, with NaN, +-inf and +-0 sprinkled in,
// then every group of a band of one adversarial kind at a time (zeros, all-equal, NaN, +-inf, +-FLT_MAX, ...);
// float, bf16 and fp16 sources and outputs; dequantize also from random bytes, scales and zero points (NaN, inf,
// negative, zero and subnormal scales included).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "hwy/affine_hwy_test.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ao/backends/hwy/affine-inl.h"

// The formats under test: X_ALL with float, bf16 and fp16 sources and outputs, X_F32 with float only. Every width
// int1..int8 and uint1..uint8 is here at least once (the kernels see a width only through qmin, qmax and the code
// type), and every mapping with every granularity.
#define AO_AFFINE_TEST_FORMATS(X_ALL, X_F32)                                                             \
  X_ALL(I8SymRow, (ao::affine<ao::int8, ao::mapping::symmetric, ao::per_row>))                           \
  X_ALL(I8AsymRow, (ao::affine<ao::int8, ao::mapping::asymmetric, ao::per_row>))                         \
  X_ALL(I8SymTensor, (ao::affine<ao::int8, ao::mapping::symmetric, ao::per_tensor>))                     \
  X_ALL(I4AsymG32, (ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<32>>))                       \
  X_ALL(Tinygemm32, (ao::tinygemm_int4<32>))                                                             \
  X_ALL(I4SymG32F16Scale, (ao::affine<ao::int4, ao::mapping::symmetric, ao::group<32>, ao::float16>))    \
  X_F32(I4SymG32, (ao::affine<ao::int4, ao::mapping::symmetric, ao::group<32>>))                         \
  X_F32(U4AsymG64, (ao::affine<ao::uint4, ao::mapping::asymmetric, ao::group<64>>))                      \
  X_F32(I2SymG32, (ao::affine<ao::int2, ao::mapping::symmetric, ao::group<32>>))                         \
  X_F32(Tinygemm128, (ao::tinygemm_int4<128>))                                                           \
  X_F32(I8AsymRowBF16Scale, (ao::affine<ao::int8, ao::mapping::asymmetric, ao::per_row, ao::bfloat16>))  \
  X_F32(ReducedRangeSymRow, (ao::affine<ao::quant_range<-64, 63>, ao::mapping::symmetric, ao::per_row>)) \
  X_F32(U8AsymTensor, (ao::affine<ao::uint8, ao::mapping::asymmetric, ao::per_tensor>))                  \
  X_F32(I3NoClipG24, (ao::affine<ao::int3, ao::mapping::symmetric_no_clipping_err, ao::group<24>>))      \
  X_F32(U2NoClipG8, (ao::affine<ao::uint2, ao::mapping::symmetric_no_clipping_err, ao::group<8>>))       \
  X_F32(I1AsymG6, (ao::affine<ao::int1, ao::mapping::asymmetric, ao::group<6>>))                         \
  X_ALL(U3AsymG16, (ao::affine<ao::uint3, ao::mapping::asymmetric, ao::group<16>>))                      \
  X_F32(I5NoClipRow, (ao::affine<ao::int5, ao::mapping::symmetric_no_clipping_err, ao::per_row>))        \
  X_F32(I6AsymTensor, (ao::affine<ao::int6, ao::mapping::asymmetric, ao::per_tensor>))                   \
  X_F32(I7SymG40, (ao::affine<ao::int7, ao::mapping::symmetric, ao::group<40>>))                         \
  X_F32(I1NoClipRow, (ao::affine<ao::int1, ao::mapping::symmetric_no_clipping_err, ao::per_row>))        \
  X_F32(U1SymRow, (ao::affine<ao::uint1, ao::mapping::symmetric, ao::per_row>))                          \
  X_F32(U1AsymG8, (ao::affine<ao::uint1, ao::mapping::asymmetric, ao::group<8>>))                        \
  X_F32(U3NoClipTensor, (ao::affine<ao::uint3, ao::mapping::symmetric_no_clipping_err, ao::per_tensor>)) \
  X_F32(U5AsymRow, (ao::affine<ao::uint5, ao::mapping::asymmetric, ao::per_row>))                        \
  X_F32(U6SymTensor, (ao::affine<ao::uint6, ao::mapping::symmetric, ao::per_tensor>))                    \
  X_F32(U7NoClipG12, (ao::affine<ao::uint7, ao::mapping::symmetric_no_clipping_err, ao::group<12>>))     \
  X_F32(FloatZeroF32ScaleG16,                                                                            \
        (ao::affine<ao::uint4, ao::mapping::asymmetric, ao::group<16>, float, ao::zero_point_domain::floating>))

#define AO_UNPAREN(...) __VA_ARGS__

HWY_BEFORE_NAMESPACE();
namespace ao::affine_hwy_test::HWY_NAMESPACE {

// Non-template wrappers, one per (format, dtype), so that HWY_EXPORT can build a dispatch table for each.
#define AO_WRAP(id, F, T, tname)                                                                                     \
  void Quantize##id##tname(const ao::quantize_task<AO_UNPAREN F, T>& t) { ao::highway::HWY_NAMESPACE::Quantize(t); } \
  void Dequantize##id##tname(const ao::dequantize_task<AO_UNPAREN F, T>& t) {                                        \
    ao::highway::HWY_NAMESPACE::Dequantize(t);                                                                       \
  }
#define AO_WRAP_ALL(id, F) \
  AO_WRAP(id, F, float, F32) AO_WRAP(id, F, ao::bfloat16, BF16) AO_WRAP(id, F, ao::float16, F16)
#define AO_WRAP_F32(id, F) AO_WRAP(id, F, float, F32)
AO_AFFINE_TEST_FORMATS(AO_WRAP_ALL, AO_WRAP_F32)

ao::scalar::affine_range MinMaxF32(const ao::rows_view<float>& v) { return ao::highway::HWY_NAMESPACE::MinMax(v); }
ao::scalar::affine_range MinMaxBF16(const ao::rows_view<ao::bfloat16>& v) {
  return ao::highway::HWY_NAMESPACE::MinMax(v);
}
ao::scalar::affine_range MinMaxF16(const ao::rows_view<ao::float16>& v) {
  return ao::highway::HWY_NAMESPACE::MinMax(v);
}

}  // namespace ao::affine_hwy_test::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/task.hpp"
#include "hwy/hwy_kernel_test_util.h"

namespace ao::affine_hwy_test {

#define AO_EXPORT(id, F, T, tname) \
  HWY_EXPORT(Quantize##id##tname); \
  HWY_EXPORT(Dequantize##id##tname);
#define AO_EXPORT_ALL(id, F) \
  AO_EXPORT(id, F, float, F32) AO_EXPORT(id, F, ao::bfloat16, BF16) AO_EXPORT(id, F, ao::float16, F16)
#define AO_EXPORT_F32(id, F) AO_EXPORT(id, F, float, F32)
AO_AFFINE_TEST_FORMATS(AO_EXPORT_ALL, AO_EXPORT_F32)
HWY_EXPORT(MinMaxF32);
HWY_EXPORT(MinMaxBF16);
HWY_EXPORT(MinMaxF16);

using ao::hwy_test::ForEachTarget;  // every compiled target this CPU supports, each selected in turn
using ao::hwy_test::FromBits;

// Fills one group of n values of format F with one of several kinds of data.
template <class F>
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // Adversarial groups: FillGroup gives kind k of FillAdversarial to every group while k >= 0.
  static constexpr int kAdversarialKinds = 12;
  void SetAdversarial(int k) { adversarial_ = k; }

  void FillGroup(float* x, size_t n) {
    if (adversarial_ >= 0) {
      FillAdversarial(x, n, adversarial_);
      return;
    }
    const int kind = Int(0, 11);
    const int e = Int(-30, 30);
    for (size_t i = 0; i < n; ++i) x[i] = Value(kind, e, i);
    if (kind == 4) ApplyTieEnds(x, n, e);
    // Specials sprinkled in (rarely, so that most groups stay finite).
    if (n > 0 && Int(0, 9) == 0) {
      static const uint32_t kSpecials[] = {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7F800000u, 0xFF800000u,
                                           0x00000000u, 0x80000000u, 0x00000001u, 0x807FFFFFu, 0x7F7FFFFFu};
      x[static_cast<size_t>(Int(0, static_cast<int>(n) - 1))] = FromBits(kSpecials[Int(0, 9)]);
    }
  }

  std::mt19937& Rng() { return rng_; }

 private:
  // All +0; zeros of both signs; all equal (positive, negative); one NaN, one +inf, one -inf among normals; both
  // infinities; +-FLT_MAX (the range overflows to inf); one -FLT_MAX among normals; fp32 subnormals only (the scale
  // clamps to eps); one value among zeros.
  void FillAdversarial(float* x, size_t n, int k) {
    const float inf = std::numeric_limits<float>::infinity(), big = std::numeric_limits<float>::max();
    for (size_t i = 0; i < n; ++i) {
      const float r = std::ldexp(Normal(), Int(-8, 8));
      float v = r;
      switch (k) {
        case 0:
          v = 0.0f;
          break;
        case 1:
          v = i % 2 ? -0.0f : 0.0f;
          break;
        case 2:
          v = 0.7f;
          break;
        case 3:
          v = -3.25f;
          break;
        case 4:
          v = i == n / 2 ? std::numeric_limits<float>::quiet_NaN() : r;
          break;
        case 5:
          v = i == 0 ? inf : r;
          break;
        case 6:
          v = i + 1 == n ? -inf : r;
          break;
        case 7:
          v = i % 2 ? inf : -inf;
          break;
        case 8:
          v = i % 3 == 0 ? big : (i % 3 == 1 ? -big : r);
          break;
        case 9:
          v = i == 0 ? -big : r;
          break;
        case 10:
          v = std::ldexp(static_cast<float>(Int(-3, 3)), -149);
          break;
        default:
          v = i == n / 2 ? r : 0.0f;
          break;
      }
      x[i] = v;
    }
  }

  int adversarial_ = -1;
  float Normal() { return std::normal_distribution<float>(0.0f, 1.0f)(rng_); }

  float Value(int kind, int e, size_t i) {
    constexpr int qmin = F::quant_min, qmax = F::quant_max;
    switch (kind) {
      case 0:
      case 1:
        return std::ldexp(Normal(), e);
      case 2:  // positive only (ReLU-like), zeros included
        return Int(0, 3) == 0 ? 0.0f : std::ldexp(std::fabs(Normal()), e);
      case 3:  // wide binade spread in one group
        return std::ldexp(Normal(), Int(-140, 120));
      case 4:  // exact ties (k + 0.5) * 2^e of a group whose scale is 2^e (ends set by ApplyTieEnds)
        return std::ldexp(static_cast<float>(Int(qmin - 2, qmax + 1)) + 0.5f, e) + TieOffset(e);
      case 5:
        return i == 0 || Int(0, 1) ? 0.0f : -0.0f;
      case 6: {  // all equal
        return std::ldexp(1.0f + static_cast<float>(e & 7) / 8.0f, e);
      }
      case 7:  // fp32 subnormals
        return FromBits(static_cast<uint32_t>(Int(0, 0x7FFFFF))) * (Int(0, 1) ? 1.0f : -1.0f);
      case 8:  // huge
        return std::ldexp(Normal(), Int(100, 127));
      case 9:  // small integers and halves (ties under many scales)
        return static_cast<float>(Int(-32, 32)) * 0.5f;
      case 10:  // near the fp16 limits
        return std::ldexp(Normal(), Int(-26, 16));
      default:
        return std::ldexp(static_cast<float>(Int(-1000, 1000)), e - 8);
    }
  }

  // The grid of kind 4 is shifted so that its scale is 2^e for F's mapping (see ApplyTieEnds).
  float TieOffset(int e) {
    if constexpr (F::float_zero_point) {
      return std::ldexp(-8.0f, e);
    } else {
      (void)e;
      return 0.0f;
    }
  }

  // Sets two values of a kind-4 group so that its scale is exactly 2^e and its zero point an integer.
  void ApplyTieEnds(float* x, size_t n, int e) {
    constexpr int qmin = F::quant_min, qmax = F::quant_max;
    using M = typename F::mapping_type;
    if (n < 2) return;
    float lo = 0.0f, hi = 0.0f;
    if constexpr (F::float_zero_point) {
      lo = std::ldexp(-8.0f, e);
      hi = lo + std::ldexp(static_cast<float>(qmax - qmin), e);
    } else if constexpr (std::is_same_v<M, ao::mapping::symmetric>) {
      hi = std::ldexp(static_cast<float>(qmax - qmin) / 2.0f, e);
      lo = -hi;
    } else if constexpr (std::is_same_v<M, ao::mapping::symmetric_no_clipping_err>) {
      lo = std::ldexp(static_cast<float>(qmin), e);
      hi = std::ldexp(static_cast<float>(qmax), e);
    } else {
      const int a = (qmax - qmin + 1) / 2;
      lo = std::ldexp(static_cast<float>(-a), e);
      hi = std::ldexp(static_cast<float>(qmax - qmin - a), e);
    }
    for (size_t i = 0; i < n; ++i) x[i] = std::fmin(std::fmax(x[i], lo), hi);
    x[0] = lo;
    x[n - 1] = hi;
  }

  std::mt19937 rng_;
};

template <class T>
T FromFloat(float v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return T(v);
  }
}

template <class T>
void FillBytes(std::vector<T>& v, uint8_t byte) {
  std::memset(static_cast<void*>(v.data()), byte, v.size() * sizeof(T));
}

template <class T>
bool SameBytes(const std::vector<T>& a, const std::vector<T>& b, size_t* first) {
  const auto* pa = reinterpret_cast<const uint8_t*>(a.data());
  const auto* pb = reinterpret_cast<const uint8_t*>(b.data());
  for (size_t i = 0; i < a.size() * sizeof(T); ++i) {
    if (pa[i] != pb[i]) {
      *first = i;
      return false;
    }
  }
  return true;
}

// The cols to try for F: every legal value up to ~300 (per_row / per_tensor: 0..40 all, then around powers of 2).
template <class F>
std::vector<size_t> ColsToTry() {
  using G = typename F::granularity;
  std::vector<size_t> cols;
  if constexpr (std::is_same_v<G, ao::per_row> || std::is_same_v<G, ao::per_tensor>) {
    for (size_t c = 0; c <= 40; ++c) cols.push_back(c);
    for (size_t c : {47, 63, 64, 65, 96, 127, 128, 129, 191, 255, 256, 257, 300, 1023}) cols.push_back(c);
  } else {
    for (size_t c = 0; c <= 320; c += static_cast<size_t>(G::size)) cols.push_back(c);
  }
  return cols;
}

int g_cases = 0;

// One band: quantize with the oracle and the kernel, compare every buffer; then dequantize the oracle's codes and
// random bytes with both, to every output dtype the kernel wrappers cover (Dst = Src here).
template <class F, class Src, class QuantizeFn, class DequantizeFn>
void CheckBand(Generator<F>& gen, size_t rows, size_t cols, QuantizeFn quantize, DequantizeFn dequantize,
               const char* target) {
  using S = ao::scale_storage_t<F>;
  using Z = ao::zero_point_storage_t<F>;
  using G = typename F::granularity;
  ++g_cases;
  const size_t src_stride = cols + 1 + 2 * static_cast<size_t>(gen.Int(0, 3));
  const size_t data_stride = cols + static_cast<size_t>(gen.Int(0, 5));
  const size_t dst_stride = cols + 3;
  const size_t scale_cols = ao::format_traits<F>::scale_cols(rows, cols) + (std::is_same_v<G, ao::per_tensor> ? 1 : 0);
  const size_t scales_stride = scale_cols + static_cast<size_t>(gen.Int(0, 2));
  const size_t length = cols == 0 ? 1 : ao::detail::affine_group_length<F>(1, cols);

  std::vector<float> row(cols);
  std::vector<Src> src(rows * src_stride + 1);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t g = 0; g < cols / length; ++g) gen.FillGroup(row.data() + g * length, length);
    for (size_t c = 0; c < src_stride; ++c) {
      src[r * src_stride + c] = FromFloat<Src>(c < cols ? row[c] : 12345.0f);
    }
  }

  ao::quantize_task<F, Src> t{};
  t.src = src.data();
  t.src_stride = static_cast<std::ptrdiff_t>(src_stride);
  t.rows = rows;
  t.cols = cols;
  t.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  t.scales_stride = static_cast<std::ptrdiff_t>(scales_stride);
  t.zero_points_stride = static_cast<std::ptrdiff_t>(scales_stride);
  if constexpr (std::is_same_v<G, ao::per_tensor>) {
    const ao::scalar::affine_range range =
        ao::scalar::min_max(ao::rows_view<Src>{src.data(), t.src_stride, rows, cols});
    t.tensor = ao::scalar::tensor_params_from_range<F, Src>(range);
  }
  std::vector<uint8_t> data_ref(rows * data_stride + 8), data_hwy(data_ref.size());
  std::vector<S> scales_ref(rows * scales_stride + 2), scales_hwy(scales_ref.size());
  std::vector<Z> zeros_ref(scales_ref.size()), zeros_hwy(scales_ref.size());
  FillBytes(data_ref, 0xA5);
  FillBytes(data_hwy, 0xA5);
  FillBytes(scales_ref, 0x5A);
  FillBytes(scales_hwy, 0x5A);
  FillBytes(zeros_ref, 0x3C);
  FillBytes(zeros_hwy, 0x3C);

  t.data = data_ref.data();
  t.scales = scales_ref.data();
  t.zero_points = zeros_ref.data();
  ao::scalar::quantize(t);
  t.data = data_hwy.data();
  t.scales = scales_hwy.data();
  t.zero_points = zeros_hwy.data();
  quantize(t);

  size_t at = 0;
  const std::string where = std::string(target) + " rows " + std::to_string(rows) + " cols " + std::to_string(cols);
  ASSERT_TRUE(SameBytes(data_ref, data_hwy, &at))
      << "codes differ at byte " << at << " (row " << at / data_stride << ", col " << at % data_stride << "): oracle "
      << int(data_ref[at]) << " kernel " << int(data_hwy[at]) << " input "
      << (at / data_stride < rows && at % data_stride < cols
              ? float(src[at / data_stride * src_stride + at % data_stride])
              : 0.0f)
      << " " << where;
  ASSERT_TRUE(SameBytes(scales_ref, scales_hwy, &at)) << "scales differ at byte " << at << " " << where;
  ASSERT_TRUE(SameBytes(zeros_ref, zeros_hwy, &at)) << "zero points differ at byte " << at << " " << where;

  // Dequantize: the oracle's codes and qparams, then random bytes with random qparams.
  for (int pass = 0; pass < 2; ++pass) {
    ao::dequantize_task<F, Src> dt{};
    std::vector<uint8_t> data = data_ref;
    std::vector<S> scales = scales_ref;
    std::vector<Z> zeros = zeros_ref;
    if (pass == 1) {
      static const uint32_t kScales[] = {0x3F800000u, 0x3C000000u, 0x7FC00000u, 0xFFC00000u, 0x7F800000u,
                                         0xFF800000u, 0x00000000u, 0x80000000u, 0x00000001u, 0x00800000u,
                                         0x387FC000u, 0x477FE000u, 0xBF000000u, 0x3EAAAAABu, 0x7F7FFFFFu};
      for (auto& b : data) b = static_cast<uint8_t>(gen.Int(0, 255));
      for (size_t i = 0; i < scales.size(); ++i) {
        const float s = gen.Int(0, 2) == 0
                            ? FromBits(kScales[gen.Int(0, 14)])
                            : std::ldexp(1.0f + static_cast<float>(gen.Int(0, 4095)) / 4096.0f, gen.Int(-20, 10));
        scales[i] = FromFloat<S>(s);
        if constexpr (F::float_zero_point) {
          // Not NaN where the scale is NaN: the oracle's d + z of two NaNs keeps whichever operand the compiler
          // puts first (its result differs between builds: -O3 vs -fsanitize), so no kernel can match it.
          float z = gen.Int(0, 3) == 0 ? FromBits(kScales[gen.Int(0, 14)])
                                       : std::ldexp(static_cast<float>(gen.Int(-5000, 5000)), -8);
          if (std::isnan(z) && std::isnan(float(scales[i]))) z = 0.25f;
          zeros[i] = FromFloat<S>(z);
        } else {
          zeros[i] = gen.Int(0, 3) == 0 ? static_cast<int32_t>(gen.Rng()()) : gen.Int(-300, 300);
        }
      }
      if constexpr (std::is_same_v<G, ao::per_tensor>) {
        dt.tensor = {scales[0], zeros[0]};
      }
    } else if constexpr (std::is_same_v<G, ao::per_tensor>) {
      dt.tensor = t.tensor;
    }
    dt.data = data.data();
    dt.data_stride = static_cast<std::ptrdiff_t>(data_stride);
    dt.scales = scales.data();
    dt.scales_stride = static_cast<std::ptrdiff_t>(scales_stride);
    dt.zero_points = zeros.data();
    dt.zero_points_stride = static_cast<std::ptrdiff_t>(scales_stride);
    dt.rows = rows;
    dt.cols = cols;
    dt.dst_stride = static_cast<std::ptrdiff_t>(dst_stride);
    std::vector<Src> out_ref(rows * dst_stride + 2), out_hwy(out_ref.size());
    FillBytes(out_ref, 0x77);
    FillBytes(out_hwy, 0x77);
    dt.dst = out_ref.data();
    ao::scalar::dequantize(dt);
    dt.dst = out_hwy.data();
    dequantize(dt);
    ASSERT_TRUE(SameBytes(out_ref, out_hwy, &at))
        << "dequantize (pass " << pass << ") differs at byte " << at << " (element " << at / sizeof(Src) << ", row "
        << at / sizeof(Src) / dst_stride << ", col " << at / sizeof(Src) % dst_stride << ") " << where << " oracle "
        << std::hex << ao::detail::bit_cast<uint32_t>(float(out_ref[at / sizeof(Src)])) << " kernel "
        << ao::detail::bit_cast<uint32_t>(float(out_hwy[at / sizeof(Src)])) << " code "
        << int(reinterpret_cast<const typename F::code_type*>(
               data.data())[at / sizeof(Src) / dst_stride * data_stride + at / sizeof(Src) % dst_stride])
        << " scale "
        << ao::detail::bit_cast<uint32_t>(float(scales[at / sizeof(Src) / dst_stride * scales_stride +
                                                       (cols ? (at / sizeof(Src) % dst_stride) / length : 0)]))
        << " zero "
        << float(zeros[at / sizeof(Src) / dst_stride * scales_stride +
                       (cols ? (at / sizeof(Src) % dst_stride) / length : 0)])
        << std::dec;
  }
}

template <class F, class Src, class QuantizeFn, class DequantizeFn>
void CheckFormat(QuantizeFn quantize, DequantizeFn dequantize, uint32_t seed) {
  ForEachTarget([&](const char* target) {
    Generator<F> gen(seed);
    for (size_t rows : {size_t{0}, size_t{1}, size_t{3}, size_t{17}}) {
      for (size_t cols : ColsToTry<F>()) {
        const int repeats = rows == 17 ? 2 : 4;
        for (int k = 0; k < repeats; ++k) {
          CheckBand<F, Src>(gen, rows, cols, quantize, dequantize, target);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
    // Each adversarial kind in every group of a band (per_tensor: every row of it).
    using G = typename F::granularity;
    std::vector<size_t> cols_list = {1, 7, 33, 64};
    if constexpr (!std::is_same_v<G, ao::per_row> && !std::is_same_v<G, ao::per_tensor>) {
      cols_list = {static_cast<size_t>(G::size), 5 * static_cast<size_t>(G::size)};
    }
    for (int kind = 0; kind < Generator<F>::kAdversarialKinds; ++kind) {
      gen.SetAdversarial(kind);
      for (size_t rows : {size_t{1}, size_t{4}}) {
        for (size_t cols : cols_list) {
          SCOPED_TRACE("adversarial kind " + std::to_string(kind));
          CheckBand<F, Src>(gen, rows, cols, quantize, dequantize, target);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  });
}

#define AO_TEST(id, F, T, tname)                                      \
  TEST(AffineHwy, id##tname) {                                        \
    CheckFormat<AO_UNPAREN F, T>(                                     \
        [](const ao::quantize_task<AO_UNPAREN F, T>& t) {             \
          HWY_DYNAMIC_DISPATCH(Quantize##id##tname)                   \
          (t);                                                        \
        },                                                            \
        [](const ao::dequantize_task<AO_UNPAREN F, T>& t) {           \
          HWY_DYNAMIC_DISPATCH(Dequantize##id##tname)                 \
          (t);                                                        \
        },                                                            \
        static_cast<uint32_t>(std::hash<std::string>()(#id #tname))); \
  }
#define AO_TEST_ALL(id, F) \
  AO_TEST(id, F, float, F32) AO_TEST(id, F, ao::bfloat16, BF16) AO_TEST(id, F, ao::float16, F16)
#define AO_TEST_F32(id, F) AO_TEST(id, F, float, F32)
AO_AFFINE_TEST_FORMATS(AO_TEST_ALL, AO_TEST_F32)

// MinMax: random bands with NaN, +-0 in every position, all-zero bands and empty bands.
template <class Src, class Fn>
void CheckMinMax(Fn min_max) {
  ForEachTarget([&](const char* target) {
    std::mt19937 rng(7);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int iter = 0; iter < 3000; ++iter) {
      const size_t rows = static_cast<size_t>(pick(0, 4)), cols = static_cast<size_t>(pick(0, 70));
      const size_t stride = cols + static_cast<size_t>(pick(0, 3));
      std::vector<Src> src(rows * stride + 1);
      const int kind = pick(0, 5);
      for (size_t i = 0; i < src.size(); ++i) {
        float v = std::ldexp(std::normal_distribution<float>()(rng), pick(-10, 10));
        if (kind == 1) v = std::fabs(v);   // min is a zero when one appears
        if (kind == 2) v = -std::fabs(v);  // max is a zero when one appears
        if (kind == 3) v = 0.0f;           // all zero (signs below)
        if (kind >= 1 && pick(0, 6) == 0) v = pick(0, 1) ? 0.0f : -0.0f;
        if (kind == 4 && pick(0, 40) == 0) v = FromBits(pick(0, 1) ? 0xFFC00000u : 0x7F800001u);
        if (kind == 5 && pick(0, 30) == 0) v = FromBits(pick(0, 1) ? 0x7F800000u : 0xFF800000u);
        src[i] = FromFloat<Src>(v);
      }
      const ao::rows_view<Src> view{src.data(), static_cast<std::ptrdiff_t>(stride), rows, cols};
      const ao::scalar::affine_range ref = ao::scalar::min_max(view), got = min_max(view);
      ASSERT_EQ(ao::detail::bit_cast<uint32_t>(ref.lo), ao::detail::bit_cast<uint32_t>(got.lo))
          << target << " iter " << iter << " rows " << rows << " cols " << cols;
      ASSERT_EQ(ao::detail::bit_cast<uint32_t>(ref.hi), ao::detail::bit_cast<uint32_t>(got.hi))
          << target << " iter " << iter << " rows " << rows << " cols " << cols;
    }
  });
}

TEST(AffineHwy, MinMaxF32) {
  CheckMinMax<float>([](const ao::rows_view<float>& v) { return HWY_DYNAMIC_DISPATCH(MinMaxF32)(v); });
}
TEST(AffineHwy, MinMaxBF16) {
  CheckMinMax<ao::bfloat16>([](const ao::rows_view<ao::bfloat16>& v) { return HWY_DYNAMIC_DISPATCH(MinMaxBF16)(v); });
}
TEST(AffineHwy, MinMaxF16) {
  CheckMinMax<ao::float16>([](const ao::rows_view<ao::float16>& v) { return HWY_DYNAMIC_DISPATCH(MinMaxF16)(v); });
}

// The targets this CPU runs (ForEachTarget prints them): at least one.
TEST(AffineHwy, TargetsTested) {
  int count = 0;
  ForEachTarget([&](const char*) { ++count; });
  EXPECT_GE(count, 1);
}

}  // namespace ao::affine_hwy_test

#endif  // HWY_ONCE
