// ao/backends/hwy/affine-inl.h: Highway kernels for affine integer quantization (ao::affine<Target, Mapping,
// Granularity, Scale, ZeroPoint>, every target range, mapping, granularity, scale dtype and zero-point domain), in
// namespace ao::highway::HWY_NAMESPACE:
//
//   Quantize(const ao::quantize_task<ao::affine<...>, Src>&)      Src: float, ao::bfloat16, ao::float16
//   Dequantize(const ao::dequantize_task<ao::affine<...>, Dst>&)  Dst: float, ao::bfloat16, ao::float16
//   MinMax(const ao::rows_view<Src>&) -> ao::scalar::affine_range
//
// Contract: the same bytes as ao::scalar::quantize / dequantize / min_max (ao/backends/scalar/task.hpp) for every
// task, on every Highway target: codes, scales, zero points, outputs (NaN bits and signed zeros included) and the
// range (NaN: the canonical {NaN, NaN}; a zero bound has the sign of the first zero in row-major order, as the
// oracle's strict comparisons give). The task contracts of ao/backends/task.hpp hold (checked by the caller).
//
// Method. Per group (per_row: the row; group<G>: G values), the min and max are reduced in vectors and the scale
// and zero point come from the oracle's own constexpr ao::scalar::qparams_from_range (a few scalar operations per
// group); per_row reduces row r + 1's range chunk by chunk between row r's chunks of codes, so that the next row's
// DRAM reads overlap this row's arithmetic (ao/backends/hwy/streaming.hpp). Every per-element operation runs in vectors
// and repeats the oracle's operations one by one, each rounded to the dtype the oracle rounds it to (torchao computes
// in the input dtype: bf16/fp16 results are rounded after every operation, ao/backends/scalar/affine.hpp lists them).
// Loads, stores and roundings to bf16/fp16 are those of convert-inl.h. group<G> uses vectors of at most the largest
// power of two dividing G lanes, so a group is always whole vectors; per_row and per_tensor rows end in one partial
// vector (read and written through a buffer, never past the row).
//
// Floating-point contraction. GCC contracts a*b+c into an FMA by default (-ffp-contract=fast in GNU mode) on
// targets with FMA, which would change results. The one vector multiply-add of the oracle (the floating zero
// point's d * s + z) goes through NoContract, and the scalar per-group arithmetic runs in non-inlined functions
// compiled for the translation unit's baseline (as the scalar oracle is), never inlined into FMA-enabled code.

// ---- Once-only part: the per-group scalar arithmetic (baseline target) ----
#ifndef AO_BACKENDS_HWY_AFFINE_INL_H_ONCE_
#define AO_BACKENDS_HWY_AFFINE_INL_H_ONCE_

#include <hwy/base.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"

namespace ao::highway::affine_group {

// The scalars the vector loops of one group need, computed exactly as ao::scalar::quantize_group computes them.
struct QuantizeConstants {
  float scale;      // float(p.scale)
  float inv_scale;  // integer zero point: fl<S>(1 / s)
  float zero;       // integer zero point: float(p.zero_point)
  float lo;         // floating zero point: fl<S>(z - fl<S>(s * mid))
};

template <class F>
HWY_NOINLINE QuantizeConstants QuantizeConstantsOf(ao::scalar::affine_qparams<F> p) {
  namespace d = ao::detail;
  using S = typename F::scale_type;
  QuantizeConstants c{};
  c.scale = float(p.scale);
  if constexpr (F::float_zero_point) {
    const float mid = static_cast<float>(F::twice_mid_point) / 2.0f;
    c.lo = d::round_to_dtype<S>(d::affine_add(float(p.zero_point), -d::round_to_dtype<S>(d::affine_mul(c.scale, mid))));
  } else {
    c.inv_scale = d::round_to_dtype<S>(1.0f / c.scale);
    c.zero = static_cast<float>(p.zero_point);
  }
  return c;
}

// One group's qparams (as ao::scalar::choose_qparams_group gives them for a group with this range) and the
// constants of its quantize loop.
template <class F>
struct Group {
  ao::scalar::affine_qparams<F> qparams;
  QuantizeConstants constants;
};
template <class F, class Src>
HWY_NOINLINE Group<F> GroupOf(ao::scalar::affine_range range) {
  const ao::scalar::affine_qparams<F> p = ao::scalar::qparams_from_range<F, Src>(range);
  return {p, QuantizeConstantsOf<F>(p)};
}

}  // namespace ao::highway::affine_group

#endif  // AO_BACKENDS_HWY_AFFINE_INL_H_ONCE_

// ---- Per-target part ----
#if defined(AO_BACKENDS_HWY_AFFINE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_AFFINE_INL_H_
#undef AO_BACKENDS_HWY_AFFINE_INL_H_
#else
#define AO_BACKENDS_HWY_AFFINE_INL_H_
#endif

#include <hwy/highway.h>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/backends/hwy/reduce-inl.h"
#include "ao/backends/hwy/streaming.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace affine_detail {

// v, opaque to the optimizer: a product passed through it is never fused with a later addition.
template <class V>
HWY_INLINE V NoContract(V v) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR && (HWY_COMPILER_GCC || HWY_COMPILER_CLANG)
#if HWY_TARGET <= HWY_AVX3
  asm("" : "+v"(v.raw));
#else
  asm("" : "+x"(v.raw));
#endif
#endif
  return v;
}

// torch.round: to the nearest integer, ties to even (ao::detail::affine_round_half_even). x86 SSE4 and above
// use roundps; elsewhere add and subtract 2^23 on |v| (Highway 1.0.3's emulated Round misrounds 0.49999997).
// The sign of a zero result may differ from the oracle's, which no caller can observe (codes are integers).
template <class D>
HWY_INLINE hn::Vec<D> RoundHalfEven(D d, hn::Vec<D> v) {
#if HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_SSSE3
  const auto big = hn::Set(d, 8388608.0f);
  const auto a = hn::Abs(v);
  const auto r = hn::Sub(hn::Add(a, big), big);
  return hn::IfThenElse(hn::Lt(a, big), hn::CopySignToAbs(r, v), v);
#else
  (void)d;
  return hn::Round(v);
#endif
}

// q (an integer, +-inf or NaN) clamped to [qmin, qmax] as an int; NaN gives 0 (ao::detail::affine_to_int).
template <class F, class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> ToCode(D d, hn::Vec<D> q) {
  const hn::RebindToSigned<D> di;
  const auto clamped =
      hn::Min(hn::Max(q, hn::Set(d, static_cast<float>(F::quant_min))), hn::Set(d, static_cast<float>(F::quant_max)));
  return hn::ConvertTo(di, hn::IfThenZeroElse(hn::IsNaN(q), clamped));
}

// Codes of Lanes(d) source values v (ao::scalar::quantize_group<F, Src>, one lane per value).
template <class F, class Src, class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> QuantizeVec(D d, hn::Vec<D> v, const affine_group::QuantizeConstants& c) {
  using S = typename F::scale_type;
  using P = ao::detail::affine_promote_t<Src, S>;
  if constexpr (F::float_zero_point) {
    auto t = RoundToDtype<P>(d, hn::Sub(v, hn::Set(d, c.lo)));
    t = RoundToDtype<P>(d, hn::Div(t, hn::Set(d, c.scale)));
    return ToCode<F>(d, RoundHalfEven(d, t));
  } else {
    auto t = RoundToDtype<P>(d, hn::Mul(v, hn::Set(d, c.inv_scale)));
    t = RoundToDtype<P>(d, hn::Add(RoundHalfEven(d, t), hn::Set(d, c.zero)));
    return ToCode<F>(d, t);
  }
}

// Values of Lanes(d) codes q (as fp32), before the final rounding to Dst (StoreF32 does it):
// ao::scalar::dequantize_group<F, Dst>. Its roundings to promote(Dst, S) are implied by those to Dst, since that
// dtype is Dst or float.
template <class F, class Dst, class D>
HWY_INLINE hn::Vec<D> DequantizeVec(D d, hn::Vec<D> q, float scale, float zero) {
  if constexpr (F::float_zero_point) {
    const float mid = static_cast<float>(F::twice_mid_point) / 2.0f;
    auto v = RoundToDtype<Dst>(d, hn::Sub(q, hn::Set(d, mid)));
    v = NoContract(RoundToDtype<Dst>(d, hn::Mul(v, hn::Set(d, scale))));
    // d + z with x86's NaN rule for that operand order (both NaN: d's), which the compiler may otherwise break by
    // swapping the operands of the commutative addition.
    return hn::IfThenElse(hn::IsNaN(v), v, hn::Add(v, hn::Set(d, zero)));
  } else {
    const auto v = RoundToDtype<Dst>(d, hn::Sub(q, hn::Set(d, zero)));
    return hn::Mul(v, hn::Set(d, scale));
  }
}

// Running min, max and NaN flags of one range, lane by lane.
template <class D>
struct RangeAccumulator {
  hn::Vec<D> lo, hi, nan;

  HWY_INLINE void Init(D d, hn::Vec<D> v) {
    lo = hi = v;
    nan = hn::VecFromMask(d, hn::IsNaN(v));
  }
  HWY_INLINE void Add(D d, hn::Vec<D> v) {
    lo = hn::Min(lo, v);
    hi = hn::Max(hi, v);
    nan = hn::Or(nan, hn::VecFromMask(d, hn::IsNaN(v)));
  }
  HWY_INLINE void Merge(const RangeAccumulator& o) {
    lo = hn::Min(lo, o.lo);
    hi = hn::Max(hi, o.hi);
    nan = hn::Or(nan, o.nan);
  }
  // Whether any value was NaN.
  HWY_INLINE bool AnyNaN(D /*d*/) const {
    const hn::RebindToUnsigned<D> du;
    return !hn::AllFalse(du, hn::Ne(hn::BitCast(du, nan), hn::Zero(du)));
  }
  // The range, with the oracle's NaN rule (any NaN: {NaN, NaN}, canonical). The sign of a zero bound is unspecified.
  HWY_INLINE ao::scalar::affine_range Reduce(D d) const {
    if (AnyNaN(d)) return {ao::detail::affine_nan(), ao::detail::affine_nan()};
    return {LowestLane(d, lo), HighestLane(d, hi)};
  }
};

// Adds x[0, n) (n >= 1) to acc (initialized by the first vector when `init`). Reads never pass x + n.
template <class D, class Src>
HWY_INLINE void AccumulateRange(D d, const Src* HWY_RESTRICT x, size_t n, RangeAccumulator<D>& acc, bool init) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if (init) {
    if (n >= N) {
      acc.Init(d, LoadF32(d, x));
      i = N;
    } else {
      const auto v = LoadNF32(d, x, n);
      // Lanes past n repeat the first value, which changes neither the min nor the max.
      acc.Init(d, hn::IfThenElse(hn::FirstN(d, n), v, hn::Set(d, hn::GetLane(v))));
      return;
    }
  }
  if (n >= i + 2 * N) {
    RangeAccumulator<D> acc2;
    acc2.Init(d, LoadF32(d, x + i));
    acc.Add(d, LoadF32(d, x + i + N));
    i += 2 * N;
    for (; i + 2 * N <= n; i += 2 * N) {
      acc2.Add(d, LoadF32(d, x + i));
      acc.Add(d, LoadF32(d, x + i + N));
    }
    acc.Merge(acc2);
  }
  for (; i + N <= n; i += N) acc.Add(d, LoadF32(d, x + i));
  if (i < n) {
    const auto v = LoadNF32(d, x + i, n - i);
    acc.Add(d, hn::IfThenElse(hn::FirstN(d, n - i), v, hn::Set(d, hn::GetLane(acc.lo))));
  }
}

// The range of x[0, n) (n >= 1), signs of zero bounds unspecified.
template <class D, class Src>
HWY_INLINE ao::scalar::affine_range RangeOf(D d, const Src* HWY_RESTRICT x, size_t n) {
  RangeAccumulator<D> acc;
  AccumulateRange(d, x, n, acc, /*init=*/true);
  return acc.Reduce(d);
}

// Codes of x[0, n) with one group's constants. Writes exactly n codes.
template <class F, class Src, class D>
HWY_INLINE void QuantizeSpan(D d, const Src* HWY_RESTRICT x, size_t n, const affine_group::QuantizeConstants& c,
                             typename F::code_type* HWY_RESTRICT codes) {
  using Code = typename F::code_type;
  const hn::Rebind<Code, D> dc;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto q0 = QuantizeVec<F, Src>(d, LoadF32(d, x + i), c);
    const auto q1 = QuantizeVec<F, Src>(d, LoadF32(d, x + i + N), c);
    hn::StoreU(hn::DemoteTo(dc, q0), dc, codes + i);
    hn::StoreU(hn::DemoteTo(dc, q1), dc, codes + i + N);
  }
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::DemoteTo(dc, QuantizeVec<F, Src>(d, LoadF32(d, x + i), c)), dc, codes + i);
  }
  if (i < n) {
    HWY_ALIGN Code buffer[hn::MaxLanes(D())];
    hn::Store(hn::DemoteTo(dc, QuantizeVec<F, Src>(d, LoadNF32(d, x + i, n - i), c)), dc, buffer);
    std::memcpy(codes + i, buffer, (n - i) * sizeof(Code));
  }
}

// Codes of Lanes(d) values at p as fp32.
template <class Code, class D>
HWY_INLINE hn::Vec<D> LoadCodes(D d, const Code* HWY_RESTRICT p) {
  const hn::Rebind<Code, D> dc;
  const hn::RebindToSigned<D> di;
  return hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(dc, p)));
}

// Values of codes[0, n) with one group's scale and zero point. Writes exactly n values.
template <class F, class Dst, class D>
HWY_INLINE void DequantizeSpan(D d, const typename F::code_type* HWY_RESTRICT codes, size_t n, float scale, float zero,
                               Dst* HWY_RESTRICT out) {
  using Code = typename F::code_type;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto v0 = DequantizeVec<F, Dst>(d, LoadCodes(d, codes + i), scale, zero);
    const auto v1 = DequantizeVec<F, Dst>(d, LoadCodes(d, codes + i + N), scale, zero);
    StoreF32(d, v0, out + i);
    StoreF32(d, v1, out + i + N);
  }
  for (; i + N <= n; i += N) StoreF32(d, DequantizeVec<F, Dst>(d, LoadCodes(d, codes + i), scale, zero), out + i);
  if (i < n) {
    HWY_ALIGN Code buffer[hn::MaxLanes(D())] = {};
    std::memcpy(buffer, codes + i, (n - i) * sizeof(Code));
    StoreNF32(d, DequantizeVec<F, Dst>(d, LoadCodes(d, static_cast<const Code*>(buffer)), scale, zero), out + i, n - i);
  }
}

// ---- The qparams of Lanes(d) groups at once (lane k: group k), for group<G>'s many short groups ----

// torch.max / torch.min of two values, NaN propagating as the canonical NaN (ao::detail::affine_max / affine_min).
template <class D>
HWY_INLINE hn::Vec<D> AffineMax(D d, hn::Vec<D> a, hn::Vec<D> b) {
  const auto nan = hn::Or(hn::IsNaN(a), hn::IsNaN(b));
  return hn::IfThenElse(nan, hn::Set(d, ao::detail::affine_nan()), hn::IfThenElse(hn::Lt(a, b), b, a));
}
template <class D>
HWY_INLINE hn::Vec<D> AffineMin(D d, hn::Vec<D> a, hn::Vec<D> b) {
  const auto nan = hn::Or(hn::IsNaN(a), hn::IsNaN(b));
  return hn::IfThenElse(nan, hn::Set(d, ao::detail::affine_nan()), hn::IfThenElse(hn::Lt(b, a), b, a));
}

// Per-lane qparams as fp32 values, and the quantize constants derived from them.
template <class D>
struct QParamsVecs {
  hn::Vec<D> scale;  // the stored scale's value, float(S(s))
  hn::Vec<D> zero;   // the stored zero point's value (an integer, or float(S(z)) for a floating zero point)
  hn::Vec<D> aux;    // integer zero point: fl<S>(1 / scale); floating: fl<S>(zero - fl<S>(scale * mid))
};

// ao::scalar::qparams_from_range<F, Src> (F's eps) and QuantizeConstantsOf, lane by lane, operation by
// operation. lo and hi are ranges as RangeAccumulator::Reduce gives them (NaN canonical).
template <class F, class Src, class D>
HWY_INLINE QParamsVecs<D> QParamsFromRanges(D d, hn::Vec<D> lo, hn::Vec<D> hi) {
  using T = Src;
  using S = typename F::scale_type;
  using M = typename F::mapping_type;
  const float qmin = static_cast<float>(F::quant_min), qmax = static_cast<float>(F::quant_max);
  const auto eps_t = hn::Set(d, ao::detail::round_to_dtype<T>(ao::detail::affine_eps<F, T>()));
  QParamsVecs<D> p;
  if constexpr (F::float_zero_point) {
    const float mid = static_cast<float>(F::twice_mid_point) / 2.0f;
    auto s = RoundToDtype<T>(d, hn::Div(RoundToDtype<T>(d, hn::Sub(hi, lo)), hn::Set(d, qmax - qmin)));
    s = AffineMax(d, s, eps_t);
    const auto z = RoundToDtype<T>(d, hn::Add(lo, NoContract(RoundToDtype<T>(d, hn::Mul(s, hn::Set(d, mid))))));
    p.scale = RoundToDtype<S>(d, s);
    p.zero = RoundToDtype<S>(d, z);
    p.aux = RoundToDtype<S>(d, hn::Sub(p.zero, NoContract(RoundToDtype<S>(d, hn::Mul(p.scale, hn::Set(d, mid))))));
  } else {
    const hn::RebindToSigned<D> di;
    const auto zero = hn::Zero(d);
    const auto min_neg = AffineMin(d, lo, zero), max_pos = AffineMax(d, hi, zero);
    hn::Vec<D> s;
    if constexpr (std::is_same_v<M, ao::mapping::asymmetric>) {
      s = RoundToDtype<T>(d, hn::Div(RoundToDtype<T>(d, hn::Sub(max_pos, min_neg)), hn::Set(d, qmax - qmin)));
      s = AffineMax(d, s, eps_t);
      const auto r = RoundHalfEven(d, RoundToDtype<T>(d, hn::Div(min_neg, s)));
      const auto q = RoundToDtype<T>(d, hn::Sub(hn::Set(d, qmin), r));
      // torch.clamp (NaN stays NaN), then int (NaN: 0).
      const auto c = hn::IfThenElse(hn::Lt(q, hn::Set(d, qmin)), hn::Set(d, qmin),
                                    hn::IfThenElse(hn::Lt(hn::Set(d, qmax), q), hn::Set(d, qmax), q));
      p.zero = hn::ConvertTo(d, hn::ConvertTo(di, hn::IfThenZeroElse(hn::IsNaN(c), c)));
    } else {
      if constexpr (std::is_same_v<M, ao::mapping::symmetric>) {
        const float half_range = static_cast<float>(F::quant_max - F::quant_min) / 2.0f;
        s = RoundToDtype<T>(d, hn::Div(AffineMax(d, hn::Neg(min_neg), max_pos), hn::Set(d, half_range)));
      } else {
        const auto smin = RoundToDtype<T>(d, hn::Div(min_neg, hn::Set(d, qmin)));
        const auto smax = RoundToDtype<T>(d, hn::Div(max_pos, hn::Set(d, qmax)));
        s = hn::IfThenElse(hn::Gt(smin, smax), smin, smax);
      }
      s = AffineMax(d, s, eps_t);
      p.zero = hn::Set(d, static_cast<float>(F::twice_mid_point / 2));
    }
    p.scale = RoundToDtype<S>(d, s);
    p.aux = RoundToDtype<S>(d, hn::Div(hn::Set(d, 1.0f), p.scale));
  }
  return p;
}

// Quantizes groups [g0, g0 + count) of one row (count <= Lanes(dq)): their ranges (vector reductions), their
// qparams in one vector pass (stored to scales / zero_points), then their codes.
template <class F, class Src, class DG, class DQ>
HWY_INLINE void QuantizeGroupBatch(DG d, DQ dq, const Src* HWY_RESTRICT x, size_t length, size_t count,
                                   typename F::code_type* HWY_RESTRICT codes, typename F::scale_type* scales,
                                   typename F::zero_point_type* zero_points) {
  constexpr size_t kMax = hn::MaxLanes(DQ());
  HWY_ALIGN float lo[kMax] = {}, hi[kMax] = {};
  for (size_t k = 0; k < count; ++k) {
    const ao::scalar::affine_range range = RangeOf(d, x + k * length, length);
    lo[k] = range.lo;
    hi[k] = range.hi;
  }
  const QParamsVecs<DQ> p = QParamsFromRanges<F, Src>(dq, hn::Load(dq, lo), hn::Load(dq, hi));
  HWY_ALIGN float scale[kMax], zero[kMax], aux[kMax];
  hn::Store(p.scale, dq, scale);
  hn::Store(p.zero, dq, zero);
  hn::Store(p.aux, dq, aux);
  // The stored values are exactly representable in their types, so these stores are exact.
  StoreNF32(dq, p.scale, scales, count);
  if constexpr (F::float_zero_point) {
    StoreNF32(dq, p.zero, zero_points, count);
  } else {
    for (size_t k = 0; k < count; ++k) zero_points[k] = static_cast<int32_t>(zero[k]);
  }
  for (size_t k = 0; k < count; ++k) {
    affine_group::QuantizeConstants c{};
    c.scale = scale[k];
    c.inv_scale = aux[k];
    c.lo = aux[k];
    c.zero = zero[k];
    QuantizeSpan<F, Src>(d, x + k * length, length, c, codes + k * length);
  }
}

// The float tag of a granularity's groups: full vectors for per_row / per_tensor; for group<G>, at most the largest
// power of two dividing G lanes, so that a group is whole vectors.
template <class G>
struct GroupTag {
  using type = hn::ScalableTag<float>;
};
template <int G>
struct GroupTag<ao::group<G>> {
  static constexpr size_t kPow2 = static_cast<size_t>(G) & (~static_cast<size_t>(G) + 1);
  using type = hn::CappedTag<float, kPow2>;
};

// The sign bit of the first zero of a band (row-major), 0 if none.
template <class Src>
HWY_INLINE uint32_t FirstZeroSign(const ao::rows_view<Src>& v) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  for (size_t r = 0; r < v.rows; ++r) {
    const Src* x = v.src + static_cast<std::ptrdiff_t>(r) * v.src_stride;
    for (size_t i = 0; i < v.cols; i += N) {
      const size_t n = v.cols - i < N ? v.cols - i : N;
      const auto z = hn::And(hn::FirstN(d, n), hn::Eq(n == N ? LoadF32(d, x + i) : LoadNF32(d, x + i, n), hn::Zero(d)));
      const intptr_t k = hn::FindFirstTrue(d, z);
      if (k >= 0) {
        return ao::detail::bit_cast<uint32_t>(float(x[i + static_cast<size_t>(k)])) & 0x80000000u;
      }
    }
  }
  return 0;
}

}  // namespace affine_detail

// ---- Kernels ----

template <class T, class M, class G, class S, class Z, class E, class Src>
void Quantize(const ao::quantize_task<ao::affine<T, M, G, S, Z, E>, Src>& t) {
  using F = ao::affine<T, M, G, S, Z, E>;
  using Code = typename F::code_type;
  namespace ad = affine_detail;
  if (t.cols == 0) return;
  const typename ad::GroupTag<G>::type d;
  if constexpr (std::is_same_v<G, ao::per_row>) {
    // Row r + 1's range pass runs chunk by chunk between row r's chunks of codes (streaming.hpp).
    const size_t length = ao::detail::affine_group_length<F>(1, t.cols);
    auto src_row = [&](size_t r) { return t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride; };
    ad::RangeAccumulator<typename ad::GroupTag<G>::type> range;
    if (t.rows != 0) ad::AccumulateRange(d, src_row(0), length, range, /*init=*/true);
    for (size_t r = 0; r < t.rows; ++r) {
      const affine_group::Group<F> p = affine_group::GroupOf<F, Src>(range.Reduce(d));
      t.scales[static_cast<std::ptrdiff_t>(r) * t.scales_stride] = p.qparams.scale;
      t.zero_points[static_cast<std::ptrdiff_t>(r) * t.zero_points_stride] = p.qparams.zero_point;
      Code* codes = reinterpret_cast<Code*>(t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride);
      for (size_t c = 0; c < length; c += kRowChunkValues) {
        const size_t n = length - c < kRowChunkValues ? length - c : kRowChunkValues;
        if (r + 1 < t.rows) {
          PrefetchLines(AddressAhead(src_row(r + 1) + c, kStreamAheadBytes), n * sizeof(Src));
          ad::AccumulateRange(d, src_row(r + 1) + c, n, range, /*init=*/c == 0);
        }
        ad::QuantizeSpan<F, Src>(d, src_row(r) + c, n, p.constants, codes + c);
      }
    }
  } else {
    for (size_t r = 0; r < t.rows; ++r) {
      const Src* x = t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride;
      Code* codes = reinterpret_cast<Code*>(t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride);
      if constexpr (std::is_same_v<G, ao::per_tensor>) {
        // The task's qparams (the same for every row; recomputing them is a few scalar operations).
        const auto c = affine_group::QuantizeConstantsOf<F>({t.tensor.scale, t.tensor.zero_point});
        ad::QuantizeSpan<F, Src>(d, x, t.cols, c, codes);
      } else {
        const size_t length = ao::detail::affine_group_length<F>(1, t.cols);
        auto* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
        auto* zero_points = t.zero_points + static_cast<std::ptrdiff_t>(r) * t.zero_points_stride;
        // group<G>: many short groups, their qparams computed Lanes(dq) groups at a time.
        const hn::ScalableTag<float> dq;
        const size_t groups = t.cols / length, batch = hn::Lanes(dq);
        for (size_t g = 0; g < groups; g += batch) {
          const size_t count = groups - g < batch ? groups - g : batch;
          ad::QuantizeGroupBatch<F, Src>(d, dq, x + g * length, length, count, codes + g * length, scales + g,
                                         zero_points + g);
        }
      }
    }
  }
}

template <class T, class M, class G, class S, class Z, class E, class Dst>
void Dequantize(const ao::dequantize_task<ao::affine<T, M, G, S, Z, E>, Dst>& t) {
  using F = ao::affine<T, M, G, S, Z, E>;
  using Code = typename F::code_type;
  namespace ad = affine_detail;
  if (t.cols == 0) return;
  const typename ad::GroupTag<G>::type d;
  for (size_t r = 0; r < t.rows; ++r) {
    const Code* codes = reinterpret_cast<const Code*>(t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride);
    Dst* out = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
    if constexpr (std::is_same_v<G, ao::per_tensor>) {
      ad::DequantizeSpan<F, Dst>(d, codes, t.cols, float(t.tensor.scale), static_cast<float>(t.tensor.zero_point), out);
    } else {
      const size_t length = ao::detail::affine_group_length<F>(1, t.cols);
      const auto* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
      const auto* zero_points = t.zero_points + static_cast<std::ptrdiff_t>(r) * t.zero_points_stride;
      for (size_t g = 0; g < t.cols / length; ++g) {
        ad::DequantizeSpan<F, Dst>(d, codes + g * length, length, float(scales[g]), static_cast<float>(zero_points[g]),
                                   out + g * length);
      }
    }
  }
}

// min and max over a band of rows, exactly as ao::scalar::min_max: NaN anywhere gives {NaN, NaN} (canonical);
// {0, 0} when empty; a zero bound carries the sign of the band's first zero (the oracle keeps the first of equal
// values).
template <class Src>
ao::scalar::affine_range MinMax(const ao::rows_view<Src>& v) {
  namespace ad = affine_detail;
  if (v.rows == 0 || v.cols == 0) return {0.0f, 0.0f};
  const hn::ScalableTag<float> d;
  ad::RangeAccumulator<hn::ScalableTag<float>> acc;
  for (size_t r = 0; r < v.rows; ++r) {
    ad::AccumulateRange(d, v.src + static_cast<std::ptrdiff_t>(r) * v.src_stride, v.cols, acc, /*init=*/r == 0);
  }
  ao::scalar::affine_range range = acc.Reduce(d);
  if (range.lo == 0.0f || range.hi == 0.0f) {
    const float zero = ao::detail::bit_cast<float>(ad::FirstZeroSign(v));
    if (range.lo == 0.0f) range.lo = zero;
    if (range.hi == 0.0f) range.hi = zero;
  }
  return range;
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_AFFINE_INL_H_
