// ao/backends/hwy/matmul-inl.h: the Highway inner kernel of ao::matmul's weight-only path (ao/ops/matmul.hpp), in
// namespace ao::highway::HWY_NAMESPACE:
//
//   MatmulDot(const ao::highway::matmul_dot_task& t)
//     t.acc[m * t.acc_stride + j] += sum over k < t.k of t.x[m * t.x_stride + k] * t.w[j * t.w_stride + k]
//     for m < t.rows and j < matmul_dot_task::kWRows (4), all fp32.
//
// The kernel is independent of the weight format: ao::matmul decodes a tile of 4 weight rows x one chunk of K into
// a small fp32 scratch with the format's own Highway dequantize kernel, and this kernel multiplies it with the fp32
// activations. Contract (the caller's): t.k is a multiple of kKMultiple (16, the most fp32 lanes of any target),
// every row of x and w holds t.k readable values (zero-padded past the real K), the buffers do not overlap acc.
//
//   MatmulDotFused(const ao::highway::matmul_fused_task<F>& t)     F: an affine, FP8, MX or NVFP4 format that
//     matmul_fuses<F>() accepts
//     The same sums for weights held in F's storage, decoded in registers by F's own dequantize kernels'
//     per-vector functions (affine: DequantizeVec; FP8: Float8DequantizeVec; MX: DecodeExmy and ScaleElements;
//     NVFP4: DecodeExmy and Nvfp4BlockMultiplier), in the same order of operations as
//     MatmulDot: the results are bit-identical to decoding the tile with Dequantize and calling MatmulDot. Contract:
//     t.k is a multiple of kKMultiple and every row holds t.k codes; rows past t.w_rows (up to 4) repeat the last.
//
// Order of operations (deterministic for a target; differs between targets by the vector width): x rows in
// blocks (MatmulDot: 6 on 512-bit targets, else 3; MatmulDotFused: 2; the blocking changes no sum), each block against
// the 4 weight rows with one vector accumulator per (row, weight row): lane i of the accumulator sums the products of k
// = i, i + L, i + 2L, ... (L = Lanes) with one fused multiply-add each (MulAdd: fused on targets with FMA, a multiply
// then an add elsewhere), in increasing k; then the lanes are summed (SumOfLanes) and the sum is added to acc once per
// call.

// ---- Once-only part: the task (no Highway types) ----
#ifndef AO_BACKENDS_HWY_MATMUL_INL_H_ONCE_
#define AO_BACKENDS_HWY_MATMUL_INL_H_ONCE_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/formats/block_scaled.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/formats/registry.hpp"

namespace ao::highway {

struct matmul_dot_task {
  static constexpr std::size_t kWRows = 4;       // weight rows per call
  static constexpr std::size_t kKMultiple = 16;  // t.k is a multiple of this
  const float* x;                                // rows x k activations
  std::ptrdiff_t x_stride;                       // elements
  std::size_t rows;
  const float* w;           // kWRows x k decoded weights
  std::ptrdiff_t w_stride;  // elements
  std::size_t k;
  float* acc;                 // rows x kWRows sums, added to
  std::ptrdiff_t acc_stride;  // elements
};

// W in its format's storage, for the fused kernel: a tile of w_rows (1..4) rows x k values starting at a group
// (block) boundary, rows within one tile row of per_block<R, C>; scales and zero points at the tile's first group,
// indexed as in a dequantize_task.
template <class F>
struct matmul_fused_task {
  const float* x;
  std::ptrdiff_t x_stride;
  std::size_t rows;
  const std::uint8_t* data;
  std::ptrdiff_t data_stride;  // bytes
  std::size_t w_rows;
  const scale_storage_t<F>* scales;
  std::ptrdiff_t scales_stride;
  const zero_point_storage_t<F>* zero_points;
  std::ptrdiff_t zero_points_stride;
  tensor_params_t<F> tensor;
  std::size_t k;
  float* acc;
  std::ptrdiff_t acc_stride;
};

// Whether ao::matmul decodes F in registers: affine and FP8 formats with one code per byte, MX formats with one or
// two a byte, and NVFP4, whose groups (blocks) hold whole vectors of every target (per_row and per_tensor always;
// groups of a multiple of 16 values).
template <class F>
constexpr bool matmul_fuses() {
  using traits = format_traits<F>;
  using family = typename traits::family;
  constexpr bool whole_vectors = traits::col_multiple == 1 || traits::col_multiple % matmul_dot_task::kKMultiple == 0;
  if constexpr (std::is_same_v<family, format_family::affine> || std::is_same_v<family, format_family::float8>) {
    return whole_vectors && traits::elements_per_byte == 1;
  } else if constexpr (std::is_same_v<family, format_family::block_scaled> ||
                       std::is_same_v<family, format_family::nvfp4>) {
    return whole_vectors && (traits::elements_per_byte == 1 || traits::elements_per_byte == 2);
  } else {
    return false;
  }
}

// An MX format decodes exactly as its floor-rule twin (the scale rule only matters when quantizing), so
// matmul_dot_fused runs the twin's kernel: one compiled kernel per element type instead of one per rule.
template <class F>
struct matmul_decode_twin {
  using type = F;
};
template <class E, class B, class S, class R>
struct matmul_decode_twin<block_scaled<E, B, S, R>> {
  using type = block_scaled<E, B, S, scale_rule::floor>;
};

// The registry's MX formats with the floor rule: the twins of all of them.
// clang-format off
#define AO_MATMUL_FUSED_LIST_MX(X) \
  X(mxfp8_e4m3, ::ao::mxfp8_e4m3) \
  X(mxfp8_e5m2, ::ao::mxfp8_e5m2) \
  X(mxfp6_e2m3, ::ao::mxfp6_e2m3) \
  X(mxfp6_e3m2, ::ao::mxfp6_e3m2) \
  X(mxfp4, ::ao::mxfp4)
// clang-format on

}  // namespace ao::highway

#endif  // AO_BACKENDS_HWY_MATMUL_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_MATMUL_INL_H_
#undef AO_BACKENDS_HWY_MATMUL_INL_H_
#else
#define AO_BACKENDS_HWY_MATMUL_INL_H_
#endif

#include <hwy/highway.h>

#include <type_traits>

#include "ao/backends/hwy/affine-inl.h"
#include "ao/backends/hwy/block_scaled-inl.h"
#include "ao/backends/hwy/exmy-inl.h"
#include "ao/backends/hwy/float8-inl.h"
#include "ao/backends/hwy/nvfp4-inl.h"
#include "ao/backends/hwy/unroll.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace matmul_detail {

// a_j += u * v_j for the 4 weight rows.
template <class V>
HWY_INLINE void MulAdd4(V u, V v0, V v1, V v2, V v3, V& a0, V& a1, V& a2, V& a3) {
  a0 = hn::MulAdd(u, v0, a0);
  a1 = hn::MulAdd(u, v1, a1);
  a2 = hn::MulAdd(u, v2, a2);
  a3 = hn::MulAdd(u, v3, a3);
}
// acc[j] += the sum of a_j's lanes.
template <class D, class V>
HWY_INLINE void AddSums4(D d, V a0, V a1, V a2, V a3, float* HWY_RESTRICT acc) {
  acc[0] += hn::GetLane(hn::SumOfLanes(d, a0));
  acc[1] += hn::GetLane(hn::SumOfLanes(d, a1));
  acc[2] += hn::GetLane(hn::SumOfLanes(d, a2));
  acc[3] += hn::GetLane(hn::SumOfLanes(d, a3));
}

// MR x 4 dot products over k (a multiple of Lanes(d) and of group), added to acc. k runs in groups: at the start
// of each, start_group(i) (the weights' per-group constants), then weights(j, i) is the vector of weight row j at
// k = i. Grouping changes no operation or its order. Vectors live in named variables, not arrays, so that the code
// also compiles for sizeless (scalable) vector types.
template <size_t MR, class D, class StartGroup, class Weights>
HWY_INLINE void DotBlock(D d, const float* HWY_RESTRICT x, std::ptrdiff_t xs, size_t group,
                         const StartGroup& start_group, const Weights& weights, size_t k, float* HWY_RESTRICT acc,
                         std::ptrdiff_t as) {
  static_assert(MR >= 1 && MR <= 3, "DotBlock: 1 to 3 rows of x");
  const size_t N = hn::Lanes(d);
  auto a00 = hn::Zero(d), a01 = hn::Zero(d), a02 = hn::Zero(d), a03 = hn::Zero(d);
  auto a10 = hn::Zero(d), a11 = hn::Zero(d), a12 = hn::Zero(d), a13 = hn::Zero(d);
  auto a20 = hn::Zero(d), a21 = hn::Zero(d), a22 = hn::Zero(d), a23 = hn::Zero(d);
  for (size_t g = 0; g < k; g += group) {
    start_group(g);
    for (size_t i = g; i < g + group; i += N) {
      const auto v0 = weights(0, i), v1 = weights(1, i), v2 = weights(2, i), v3 = weights(3, i);
      MulAdd4(hn::LoadU(d, x + i), v0, v1, v2, v3, a00, a01, a02, a03);
      if constexpr (MR > 1) MulAdd4(hn::LoadU(d, x + xs + i), v0, v1, v2, v3, a10, a11, a12, a13);
      if constexpr (MR > 2) MulAdd4(hn::LoadU(d, x + 2 * xs + i), v0, v1, v2, v3, a20, a21, a22, a23);
    }
  }
  AddSums4(d, a00, a01, a02, a03, acc);
  if constexpr (MR > 1) AddSums4(d, a10, a11, a12, a13, acc + as);
  if constexpr (MR > 2) AddSums4(d, a20, a21, a22, a23, acc + 2 * as);
}

#if !HWY_HAVE_SCALABLE
// MR rows of x (MR up to 6) against the 4 decoded weight rows w (w_stride apart), as DotBlock computes them, with
// the accumulators in arrays (registers on targets with 32 of them: 24 accumulators, 4 weight vectors, one of x).
template <size_t MR, class D>
HWY_INLINE void DotBlockArrays(D d, const float* HWY_RESTRICT x, std::ptrdiff_t xs, const float* HWY_RESTRICT w,
                               std::ptrdiff_t ws, size_t k, float* HWY_RESTRICT acc, std::ptrdiff_t as) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  V a[MR][4];
  AO_HWY_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    AO_HWY_UNROLL
    for (size_t j = 0; j < 4; ++j) a[i][j] = hn::Zero(d);
  }
  for (size_t c = 0; c < k; c += N) {
    V wv[4];
    AO_HWY_UNROLL
    for (size_t j = 0; j < 4; ++j) wv[j] = hn::LoadU(d, w + static_cast<std::ptrdiff_t>(j) * ws + c);
    AO_HWY_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      const V xv = hn::LoadU(d, x + static_cast<std::ptrdiff_t>(i) * xs + c);
      AO_HWY_UNROLL
      for (size_t j = 0; j < 4; ++j) a[i][j] = hn::MulAdd(xv, wv[j], a[i][j]);
    }
  }
  AO_HWY_UNROLL
  for (size_t i = 0; i < MR; ++i)
    AddSums4(d, a[i][0], a[i][1], a[i][2], a[i][3], acc + static_cast<std::ptrdiff_t>(i) * as);
}
#endif

// All rows of x, in blocks of MaxMR (then fewer).
template <size_t MaxMR, class D, class StartGroup, class Weights>
HWY_INLINE void DotRows(D d, const float* x, std::ptrdiff_t xs, size_t rows, size_t group,
                        const StartGroup& start_group, const Weights& weights, size_t k, float* acc,
                        std::ptrdiff_t as) {
  size_t m = 0;
  for (; m + MaxMR <= rows; m += MaxMR) {
    DotBlock<MaxMR>(d, x + static_cast<std::ptrdiff_t>(m) * xs, xs, group, start_group, weights, k,
                    acc + static_cast<std::ptrdiff_t>(m) * as, as);
  }
  x += static_cast<std::ptrdiff_t>(m) * xs;
  acc += static_cast<std::ptrdiff_t>(m) * as;
  if (MaxMR > 2 && rows - m == 2) DotBlock<2>(d, x, xs, group, start_group, weights, k, acc, as);
  if (rows - m == 1) DotBlock<1>(d, x, xs, group, start_group, weights, k, acc, as);
}

}  // namespace matmul_detail

inline void MatmulDot(const ao::highway::matmul_dot_task& t) {
  const hn::ScalableTag<float> d;
#if !HWY_HAVE_SCALABLE
  if constexpr (HWY_MAX_BYTES >= 64) {  // 32 vector registers: blocks of 6 rows of x
    size_t m = 0;
    const auto block = [&](auto rows) {
      matmul_detail::DotBlockArrays<decltype(rows)::value>(
          d, t.x + static_cast<std::ptrdiff_t>(m) * t.x_stride, t.x_stride, t.w, t.w_stride, t.k,
          t.acc + static_cast<std::ptrdiff_t>(m) * t.acc_stride, t.acc_stride);
    };
    for (; m + 6 <= t.rows; m += 6) block(std::integral_constant<size_t, 6>());
    switch (t.rows - m) {
      case 5:
        block(std::integral_constant<size_t, 5>());
        break;
      case 4:
        block(std::integral_constant<size_t, 4>());
        break;
      case 3:
        block(std::integral_constant<size_t, 3>());
        break;
      case 2:
        block(std::integral_constant<size_t, 2>());
        break;
      case 1:
        block(std::integral_constant<size_t, 1>());
        break;
      default:
        break;
    }
    return;
  }
#endif
  const auto weights = [&](size_t j, size_t i) {
    return hn::LoadU(d, t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride + static_cast<std::ptrdiff_t>(i));
  };
  matmul_detail::DotRows<3>(
      d, t.x, t.x_stride, t.rows, t.k, [](size_t) {}, weights, t.k, t.acc, t.acc_stride);
}

namespace matmul_detail {

// The per-group constants of row r (of the tile), group g, as F's Dequantize kernel passes them to its per-vector
// decode, and that decode of the Lanes(d) codes of elements i, i + 1, ... of a row whose first byte is `row`.
template <class F, class = void>
struct Fused;
template <class T, class M, class G, class S, class Z, class E>
struct Fused<ao::affine<T, M, G, S, Z, E>> {
  using F = ao::affine<T, M, G, S, Z, E>;
  struct Params {
    float scale, zero;
  };
  static Params Of(const ao::highway::matmul_fused_task<F>& t, std::ptrdiff_t r, std::ptrdiff_t g) {
    if constexpr (std::is_same_v<G, ao::per_tensor>) {
      return {float(t.tensor.scale), static_cast<float>(t.tensor.zero_point)};
    } else {
      return {float(t.scales[r * t.scales_stride + g]),
              static_cast<float>(t.zero_points[r * t.zero_points_stride + g])};
    }
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> Decode(D d, const uint8_t* row, size_t i, const Params& c) {
    return affine_detail::DequantizeVec<F, float>(
        d, affine_detail::LoadCodes(d, reinterpret_cast<const typename F::code_type*>(row + i)), c.scale, c.zero);
  }
};
template <class E, class G, class C, class A>
struct Fused<ao::float8_scaled<E, G, C, A>> {
  using F = ao::float8_scaled<E, G, C, A>;
  using Params = float;
  static Params Of(const ao::highway::matmul_fused_task<F>& t, std::ptrdiff_t r, std::ptrdiff_t g) {
    if constexpr (std::is_same_v<G, ao::per_tensor>) {
      return t.tensor.scale;
    } else if constexpr (std::is_same_v<G, ao::per_row>) {
      return t.scales[r * t.scales_stride];
    } else {
      return t.scales[r / G::rows * t.scales_stride + g];
    }
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> Decode(D d, const uint8_t* row, size_t i, const Params& scale) {
    return HWY_NAMESPACE::detail::Float8DequantizeVec<F>(d, LoadCodes<1>(d, row + i), hn::Set(d, scale));
  }
};

template <class E, class B, class S, class R>
struct Fused<ao::block_scaled<E, B, S, R>> {
  using F = ao::block_scaled<E, B, S, R>;
  using Params = float;  // the block's scale 2^(byte - 127) (NaN for byte 255)
  static Params Of(const ao::highway::matmul_fused_task<F>& t, std::ptrdiff_t r, std::ptrdiff_t g) {
    return HWY_NAMESPACE::detail::E8M0ScaleAs<float>(t.scales[r * t.scales_stride + g].bits());
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> Decode(D d, const uint8_t* row, size_t i, const Params& scale) {
    using Spec = typename E::spec;
    return HWY_NAMESPACE::detail::ScaleElements<Spec, D>(
        DecodeExmy<Spec>(d, LoadCodesAt<F::elements_per_byte>(d, row, i)), hn::Set(d, scale));
  }
};
template <bool G>
struct Fused<ao::basic_nvfp4<G>> {
  using F = ao::basic_nvfp4<G>;
  using Params = float;  // the block's multiplier
  static Params Of(const ao::highway::matmul_fused_task<F>& t, std::ptrdiff_t r, std::ptrdiff_t g) {
    float global = 1.0f;
    if constexpr (G) global = t.tensor.global_scale;
    return HWY_NAMESPACE::detail::Nvfp4BlockMultiplier<G>(t.scales[r * t.scales_stride + g], global);
  }
  template <class D>
  static HWY_INLINE hn::Vec<D> Decode(D d, const uint8_t* row, size_t i, const Params& s) {
    return hn::Mul(DecodeExmy<ao::float4_e2m1fn::spec>(d, LoadCodesAt<2>(d, row, i)), hn::Set(d, s));
  }
};

}  // namespace matmul_detail

template <class F>
void MatmulDotFused(const ao::highway::matmul_fused_task<F>& t) {
  using traits = ao::format_traits<F>;
  using Fused = matmul_detail::Fused<F>;
  constexpr int kEpb = traits::elements_per_byte;
  static_assert(kEpb == 1 || kEpb == 2, "MatmulDotFused: one or two codes per byte");
  if constexpr (std::is_same_v<typename traits::family, ao::format_family::float8> ||
                std::is_same_v<typename traits::family, ao::format_family::block_scaled>) {
    if constexpr (!kExmyVectorizable<typename F::element_type::spec>) return;  // (never chosen: kMatmulFused)
  }
  const hn::ScalableTag<float> d;
  const uint8_t* codes[4];
  std::ptrdiff_t row[4];
  for (size_t j = 0; j < 4; ++j) {
    row[j] = static_cast<std::ptrdiff_t>(j < t.w_rows ? j : t.w_rows - 1);
    codes[j] = t.data + row[j] * t.data_stride;
  }
  const size_t group = traits::col_multiple == 1 ? t.k : traits::col_multiple;
  typename Fused::Params params[4];
  const auto start_group = [&](size_t i) {
    for (size_t j = 0; j < 4; ++j) params[j] = Fused::Of(t, row[j], static_cast<std::ptrdiff_t>(i / group));
  };
  const auto weights = [&](size_t j, size_t i) { return Fused::Decode(d, codes[j], i, params[j]); };
  // Two rows of x at a time: the decode's temporaries need the registers a third row's accumulators would take.
  matmul_detail::DotRows<2>(d, t.x, t.x_stride, t.rows, group, start_group, weights, t.k, t.acc, t.acc_stride);
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_MATMUL_INL_H_
