// tests/hwy/float8_hwy_test.cc: the Highway kernels of the float-scaled formats, FP8 (float8_scaled: per_tensor,
// per_row, per_block, both arithmetics) and NVFP4 (single and two level), against the scalar oracle, byte for byte,
// on every Highway target this CPU supports.
//
// NaN times NaN (a NaN code and a NaN scale, or NVFP4's NaN global scale and a NaN block scale) must give the same
// bits too: the oracle and the kernels both return the first operand's NaN (ao::detail::torch_multiply).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "float8_hwy_test.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ao/backends/hwy/float8-inl.h"
#include "ao/backends/hwy/nvfp4-inl.h"
#include "ao/formats/float8.hpp"
#include "ao/formats/nvfp4.hpp"

#ifndef AO_FLOAT8_HWY_TEST_TYPES_
#define AO_FLOAT8_HWY_TEST_TYPES_
namespace ao::hwy_test::f8 {
using f32 = float;
using bf16 = ao::bfloat16;
using f16 = ao::float16;
using E4m3Row = ao::float8_e4m3_per_row;
using E4m3Tensor = ao::float8_e4m3_per_tensor;
using E4m3Block1x128 = ao::float8_e4m3_per_block_1x128;
using E4m3Block128x128 = ao::float8_e4m3_per_block_128x128;
using E4m3Block2x3 = ao::float8_scaled<ao::float8_e4m3fn, ao::per_block<2, 3>>;
using E4m3RowCuda = ao::float8_e4m3_per_row::with_arithmetic<ao::float8_arithmetic::torch_cuda>;
using E4m3RowClamp = ao::float8_e4m3_per_row::with_amax_clamp<ao::amax_clamp::min_1e_12>;
using E5m2Row = ao::float8_e5m2_per_row;
using E5m2Tensor = ao::float8_e5m2_per_tensor;
using E4m3FnuzRow = ao::float8_e4m3_per_row::with_element<ao::float8_e4m3fnuz>;
using E5m2FnuzRowCuda = E4m3RowCuda::with_element<ao::float8_e5m2fnuz>;
using Nvfp4 = ao::nvfp4;
using Nvfp4Global = ao::nvfp4_global_scale;
}  // namespace ao::hwy_test::f8

// X(name, format, src/dst type)
#define AO_F8_TEST_KERNELS(X)                     \
  X(E4m3Row, E4m3Row, f32)                        \
  X(E4m3RowBf16, E4m3Row, bf16)                   \
  X(E4m3RowF16, E4m3Row, f16)                     \
  X(E4m3Tensor, E4m3Tensor, f32)                  \
  X(E4m3TensorBf16, E4m3Tensor, bf16)             \
  X(E4m3Block1x128, E4m3Block1x128, f32)          \
  X(E4m3Block128x128, E4m3Block128x128, f32)      \
  X(E4m3Block128x128Bf16, E4m3Block128x128, bf16) \
  X(E4m3Block2x3, E4m3Block2x3, f16)              \
  X(E4m3RowCuda, E4m3RowCuda, f32)                \
  X(E4m3RowClamp, E4m3RowClamp, f32)              \
  X(E5m2Row, E5m2Row, f32)                        \
  X(E5m2Tensor, E5m2Tensor, f32)                  \
  X(E4m3FnuzRow, E4m3FnuzRow, f32)                \
  X(E5m2FnuzRowCuda, E5m2FnuzRowCuda, bf16)       \
  X(Nvfp4, Nvfp4, f32)                            \
  X(Nvfp4Bf16, Nvfp4, bf16)                       \
  X(Nvfp4F16, Nvfp4, f16)                         \
  X(Nvfp4Global, Nvfp4Global, f32)                \
  X(Nvfp4GlobalBf16, Nvfp4Global, bf16)           \
  X(Nvfp4GlobalF16, Nvfp4Global, f16)
#endif  // AO_FLOAT8_HWY_TEST_TYPES_

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace f8t = ::ao::hwy_test::f8;
#define AO_F8_DEFINE(NAME, F, T)                                                   \
  void Quantize##NAME(const ao::quantize_task<f8t::F, f8t::T>& t) { Quantize(t); } \
  void Dequantize##NAME(const ao::dequantize_task<f8t::F, f8t::T>& t) { Dequantize(t); }
AO_F8_TEST_KERNELS(AO_F8_DEFINE)
#undef AO_F8_DEFINE
}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "hwy_kernel_test_util.h"

namespace ao::highway {
#define AO_F8_EXPORT(NAME, F, T) \
  HWY_EXPORT(Quantize##NAME);    \
  HWY_EXPORT(Dequantize##NAME);
AO_F8_TEST_KERNELS(AO_F8_EXPORT)
#undef AO_F8_EXPORT

namespace {

using ao::hwy_test::FromBits;
using ao::hwy_test::Generator;

template <class G>
struct Shape {  // per_tensor and per_row: any shape
  static constexpr size_t kRowStep = 1, kColStep = 1, kGranule = 0;
};
template <int R, int C>
struct Shape<ao::per_block<R, C>> {
  static constexpr size_t kRowStep = R, kColStep = C, kGranule = C;
};
template <class F>
struct ShapeOf : Shape<typename F::granularity> {};
template <bool G>
struct ShapeOf<ao::basic_nvfp4<G>> {
  static constexpr size_t kRowStep = 1, kColStep = 16, kGranule = 16;
};

template <class F>
constexpr bool kNeedsTensor = !std::is_same_v<ao::tensor_params_t<F>, ao::no_tensor_params>;

// Tensor parameters: from the band's abs max as ao::quantize computes them, or an adversarial value.
template <class F, class T>
ao::tensor_params_t<F> TensorParams(Generator& gen, const std::vector<T>& src, size_t rows, size_t cols,
                                    size_t stride) {
  if constexpr (!kNeedsTensor<F>) {
    return {};
  } else {
    const float amax =
        ao::scalar::abs_max(ao::rows_view<T>{src.data(), static_cast<std::ptrdiff_t>(stride), rows, cols});
    auto p = ao::scalar::tensor_params_from_abs_max<F, T>(amax);
    const int pick = gen.Int(0, 9);
    const float odd = pick == 0   ? 0.0f
                      : pick == 1 ? FromBits(0x7FC00000u)
                      : pick == 2 ? FromBits(0x7F800000u)
                      : pick == 3 ? FromBits(0x00000010u)
                                  : gen.Special();
    if (pick < 5) {
      if constexpr (std::is_same_v<typename ao::format_traits<F>::family, ao::format_family::nvfp4>) {
        p.global_scale = odd;
      } else {
        p.scale = odd;
      }
    }
    return p;
  }
}

template <class F, class T, class Q, class D>
void CheckFormat(Q quantize, D dequantize, const char* target, const char* name) {
  using Traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  using Sh = ShapeOf<F>;
  Generator gen(99 + static_cast<uint32_t>(Sh::kColStep));
  const std::vector<size_t> row_counts =
      Sh::kRowStep == 1 ? std::vector<size_t>{0, 1, 3, 17} : std::vector<size_t>{0, Sh::kRowStep, 3 * Sh::kRowStep};
  std::vector<size_t> col_counts;
  if (Sh::kColStep == 1) {
    for (size_t c = 0; c <= 300; c += (c < 40 ? 1 : 37)) col_counts.push_back(c);
    for (size_t c : {600, 1000}) col_counts.push_back(c);  // several of the per_row kernel's 256-value chunks
  } else {
    for (size_t k = 0; k * Sh::kColStep <= 400 || k <= 3; ++k) col_counts.push_back(k * Sh::kColStep);
    if (Sh::kColStep <= 16) {  // NVFP4: whole batches of 64 blocks and a partial one
      for (size_t k : {64, 65, 129}) col_counts.push_back(k * Sh::kColStep);
    }
  }
  for (size_t rows : row_counts) {
    if (Sh::kRowStep >= 128 && rows > Sh::kRowStep) continue;
    for (size_t cols : col_counts) {
      for (int rep = 0; rep < (Sh::kRowStep >= 128 ? 1 : 2); ++rep) {
        const size_t src_stride = cols + 2 * (cols % 3) + 1;
        const std::string what =
            std::string(target) + " " + name + " " + std::to_string(rows) + "x" + std::to_string(cols);
        const auto src = ao::hwy_test::MakeSource<T>(gen, rows, cols, src_stride, Sh::kGranule);
        const auto tensor = TensorParams<F, T>(gen, src, rows, cols, src_stride);
        if (!ao::hwy_test::CheckQuantize<F, T>(quantize, src, rows, cols, src_stride, tensor, what + " quantize")) {
          return;
        }
        const size_t data_stride = Traits::data_row_bytes(cols) + 3;
        const size_t scale_rows = Traits::scale_rows(rows, cols), scales_stride = Traits::scale_cols(rows, cols) + 1;
        std::vector<uint8_t> data(rows * data_stride + 1);
        std::vector<S> scales(scale_rows * scales_stride + 1);
        ao::quantize_task<F, T> qt{src.data(),    static_cast<std::ptrdiff_t>(src_stride),
                                   rows,          cols,
                                   data.data(),   static_cast<std::ptrdiff_t>(data_stride),
                                   scales.data(), static_cast<std::ptrdiff_t>(scales_stride),
                                   nullptr,       0,
                                   tensor};
        ao::scalar::quantize(qt);
        if (!ao::hwy_test::CheckDequantize<F, T>(dequantize, data, data_stride, scales, scales_stride, rows, cols,
                                                 tensor, what + " dequantize")) {
          return;
        }
        for (auto& byte : data) byte = gen.Byte();
        for (auto& s : scales) {
          if constexpr (std::is_same_v<S, float>) {
            float v = 0.0f;
            gen.Fill(&v, 1);
            s = gen.Int(0, 3) == 0 ? gen.Special() : v;
          } else {
            s = S::from_bits(gen.Byte());
          }
        }
        if (!ao::hwy_test::CheckDequantize<F, T>(dequantize, data, data_stride, scales, scales_stride, rows, cols,
                                                 tensor, what + " dequantize random")) {
          return;
        }
      }
    }
  }
}

TEST(HwyFloat8AndNvfp4, QuantizeAndDequantizeAsTheOracle) {
  ao::hwy_test::ForEachTarget([](const char* target) {
#define AO_F8_CHECK(NAME, F, T)                                                               \
  CheckFormat<ao::hwy_test::f8::F, ao::hwy_test::f8::T>(HWY_DYNAMIC_DISPATCH(Quantize##NAME), \
                                                        HWY_DYNAMIC_DISPATCH(Dequantize##NAME), target, #NAME);
    AO_F8_TEST_KERNELS(AO_F8_CHECK)
#undef AO_F8_CHECK
  });
}

}  // namespace
}  // namespace ao::highway
#endif  // HWY_ONCE
