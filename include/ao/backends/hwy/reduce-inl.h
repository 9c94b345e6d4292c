// ao/backends/hwy/reduce-inl.h: whole-tensor reductions over a band of rows, bit-identical to the scalar oracle's
// (ao/backends/scalar/task.hpp):
//   AbsMax(view)         max |x| over the band as ao::scalar::abs_max computes it: |x| compared as fp32 bits, so a
//                        NaN anywhere wins (the largest |NaN| bits; bf16/fp16 NaNs are canonical, convert-inl.h),
//                        0 for an empty band.
//   AbsMaxBits(di, v)    per-lane |v| as i32 bits (>= 0), the quantity every kernel's block amax maximizes.
//   BlockAbsMaxes<kCount, kN>(d, x, n, first)
//                        the AbsMaxBits maxima of kCount consecutive blocks of kN values, one block a lane: each
//                        block's vectors are merged with Max, then the kCount vectors are folded into one by a
//                        transpose-style tree (Max of ConcatEven and ConcatOdd of each pair, log2(kCount) levels),
//                        kCount - 1 folds instead of one horizontal reduction per block.
//   Bf16AbsMaxBits(d, x, n)
//                        AbsMaxBits of n bf16 values on their raw 16-bit codes (twice the lanes, no widening): the
//                        bf16 path of the three above
//   LowestLane(d, v), HighestLane(d, v)
//                        the smallest / largest lane of a float vector without NaN, infinities included (on
//                        every target: Highway 1.0.3's EMU128 MinOfLanes / MaxOfLanes are not, see below).

#if defined(AO_BACKENDS_HWY_REDUCE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_REDUCE_INL_H_
#undef AO_BACKENDS_HWY_REDUCE_INL_H_
#else
#define AO_BACKENDS_HWY_REDUCE_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/backends/task.hpp"
#include "ao/numeric/detail/bits.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// |v| as the bits of fp32 lanes in i32 lanes: ordered like the magnitudes, NaN above every number.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> AbsMaxBits(DF df, hn::Vec<DF> v) {
  const hn::RebindToSigned<DF> di;
  (void)df;
  return hn::And(hn::BitCast(di, v), hn::Set(di, 0x7FFFFFFF));
}

// The smallest / largest lane of a float vector with no NaN lane (callers decide NaN first), infinities included.
// Not Highway's MinOfLanes / MaxOfLanes on EMU128: Highway 1.0.3 starts those from +-FLT_MAX (HighestValue<float>
// is the largest finite float), so a vector of +inf came back as FLT_MAX there, and -inf as -FLT_MAX. (EMU128 is
// the fallback target of g++ >= 12.3 and clang; older g++ falls back to HWY_SCALAR, which is not affected.)
#if HWY_TARGET == HWY_EMU128
namespace detail {
// The lane of v that `first` (a strict order) puts before every other lane: a store and a loop.
template <class D, class First>
HWY_INLINE float FirstLane(D d, hn::Vec<D> v, First first) {
  HWY_ALIGN float lanes[hn::MaxLanes(D())];
  hn::Store(v, d, lanes);
  float m = lanes[0];
  for (size_t i = 1; i < hn::Lanes(d); ++i) m = first(lanes[i], m) ? lanes[i] : m;
  return m;
}
}  // namespace detail
#endif

template <class D>
HWY_INLINE float LowestLane(D d, hn::Vec<D> v) {
#if HWY_TARGET == HWY_EMU128
  return detail::FirstLane(d, v, [](float a, float b) { return a < b; });
#else
  return hn::GetLane(hn::MinOfLanes(d, v));
#endif
}
template <class D>
HWY_INLINE float HighestLane(D d, hn::Vec<D> v) {
#if HWY_TARGET == HWY_EMU128
  return detail::FirstLane(d, v, [](float a, float b) { return a > b; });
#else
  return hn::GetLane(hn::MaxOfLanes(d, v));
#endif
}

#if HWY_TARGET != HWY_SCALAR
// AbsMaxBits of the n bf16 values at x (any n), merged into the i32 lanes of one vector, without widening each
// value: the maximum of the raw 16-bit codes with the sign cleared (twice the lanes of LoadF32), then each lane
// moved to the high half of an i32 lane. The bf16 bits of |x| are the high half of its fp32 bits, so the maximum is
// AbsMaxBits(LoadF32(x)), NaN aside: LoadF32 reads every NaN as sign | 0x7FC00000, which sorts above every number
// as any raw NaN does, so a maximum above inf is made 0x7FC00000. Lane j holds the maximum of some subset of the
// values: reduce the lanes (or fold vectors of the same run).
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> Bf16AbsMaxBits(DF /*d*/, const ao::bfloat16* HWY_RESTRICT x, size_t n) {
  const hn::RebindToSigned<DF> di;
  const hn::Repartition<int16_t, decltype(di)> d16;
  const size_t lanes = hn::Lanes(d16);
  const auto magnitude = hn::Set(d16, 0x7FFF);
  const int16_t* bits = reinterpret_cast<const int16_t*>(x);
  auto m16 = hn::Zero(d16);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) m16 = hn::Max(m16, hn::And(hn::LoadU(d16, bits + i), magnitude));
  if (i < n) {
    int16_t tail[hn::MaxLanes(decltype(d16)())] = {};
    std::memcpy(tail, bits + i, (n - i) * sizeof(int16_t));
    m16 = hn::Max(m16, hn::And(hn::LoadU(d16, tail), magnitude));
  }
  const auto zero = hn::Zero(d16);
  const auto m = hn::Max(hn::BitCast(di, hn::ZipLower(di, zero, m16)), hn::BitCast(di, hn::ZipUpper(di, zero, m16)));
  return hn::IfThenElse(hn::Gt(m, hn::Set(di, 0x7F800000)), hn::Set(di, 0x7FC00000), m);
}
#endif

// The largest lane of a vector of AbsMaxBits, as a float.
template <class DI>
HWY_INLINE float AbsMaxOfLanes(DI di, hn::Vec<DI> bits) {
  return ao::detail::bit_cast<float>(static_cast<uint32_t>(hn::GetLane(hn::MaxOfLanes(di, bits))));
}

// Lane j (j < kCount = Lanes(d), a power of two; kN a multiple of Lanes(d)) of the result: max AbsMaxBits of block
// b = first + j, the kN values at x + b * kN, for b < n; 0 for b >= n (those blocks are not read). Each fold keeps
// the order: after the level that pairs runs of k blocks, every block owns Lanes(d) / k contiguous lanes.
// kCount = 1 with more lanes (scalable vectors) leaves the one block's per-lane maxima: reduce them with MaxOfLanes.
template <size_t kCount, size_t kN, class DF, class Src>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> BlockAbsMaxes(DF d, const Src* HWY_RESTRICT x, size_t n, size_t first = 0) {
  const hn::RebindToSigned<DF> di;
  if constexpr (kCount == 1) {
    auto m = hn::Zero(di);
    if (first < n) {
      const Src* block = x + first * kN;
#if HWY_TARGET != HWY_SCALAR
      if constexpr (std::is_same_v<Src, ao::bfloat16> && kN % (2 * hn::MaxLanes(DF())) == 0) {
        return Bf16AbsMaxBits(d, block, kN);  // whole vectors of 16-bit lanes
      }
#endif
      for (size_t i = 0; i < kN; i += hn::Lanes(d)) m = hn::Max(m, AbsMaxBits(d, LoadF32(d, block + i)));
    }
    return m;
  } else {
#if HWY_TARGET == HWY_SCALAR  // one lane: kCount is 1 (and there is no ConcatOdd)
    static_assert(kCount == 1, "BlockAbsMaxes: kCount is Lanes(d)");
    return hn::Zero(di);
#else
    const auto lo = BlockAbsMaxes<kCount / 2, kN>(d, x, n, first);
    const auto hi = BlockAbsMaxes<kCount / 2, kN>(d, x, n, first + kCount / 2);
    return hn::Max(hn::ConcatEven(di, hi, lo), hn::ConcatOdd(di, hi, lo));
#endif
  }
}

template <class Src>
float AbsMax(const ao::rows_view<Src>& v) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const size_t lanes = hn::Lanes(d);
  auto m0 = hn::Zero(di);
  auto m1 = hn::Zero(di);
  for (size_t r = 0; r < v.rows; ++r) {
    const Src* row = v.src + static_cast<std::ptrdiff_t>(r) * v.src_stride;
#if HWY_TARGET != HWY_SCALAR
    if constexpr (std::is_same_v<Src, ao::bfloat16>) {
      m0 = hn::Max(m0, Bf16AbsMaxBits(d, row, v.cols));
      continue;
    }
#endif
    size_t c = 0;
    for (; c + 2 * lanes <= v.cols; c += 2 * lanes) {
      m0 = hn::Max(m0, AbsMaxBits(d, LoadF32(d, row + c)));
      m1 = hn::Max(m1, AbsMaxBits(d, LoadF32(d, row + c + lanes)));
    }
    for (; c < v.cols; c += lanes) {
      const size_t n = v.cols - c < lanes ? v.cols - c : lanes;
      m0 = hn::Max(m0, AbsMaxBits(d, n == lanes ? LoadF32(d, row + c) : LoadNF32(d, row + c, n)));
    }
  }
  return AbsMaxOfLanes(di, hn::Max(m0, m1));
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_REDUCE_INL_H_
