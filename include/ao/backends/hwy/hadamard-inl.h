// ao/backends/hwy/hadamard-inl.h: the Highway Walsh-Hadamard butterfly of ao::hadamard (ao/ops/hadamard.hpp),
// bit-identical to the reference ao::detail::hadamard_scalar::transform_row (ao/ops/detail/hadamard_scalar.hpp):
//
//   HadamardRow(in, out, n, b, signs, scale)   one row of n floats: optional sign flip, the stages of a size-b
//                                               transform on each block of b values (b a power of two dividing n),
//                                               then the fp32 multiply by scale. in may equal out.
//
// Every output is the same fixed tree of fp32 sums and differences as in the reference, each rounded once, so the
// bits are the same on every target (tested per target in tests/ops/hadamard_test.cc). Only the memory order of
// independent pairs differs, and the instruction that computes a rounded sum or difference:
//   - stages with partner distance h < L (the vector's lanes): in registers, x <- MulAdd(x, +-1, partner(x)) with
//     the partner from a lane permutation (Shuffle2301 for h = 1, Shuffle1032 for h = 2, TableLookupLanes above)
//     and +1 on left lanes, -1 on right ones: round(x + x') on the left, round(x' - x) on the right, the same
//     values as the reference's additions and subtractions (x * +-1 is exact, a fused or an unfused MulAdd rounds
//     once);
//   - stages with h >= L: whole vectors, 3 stages per pass over the row (4 on AVX-512: 16 vectors of one butterfly
//     group in registers), Add and Sub on the adders (the lane stages' MulAdds use the FMA ports), so a
//     4096-value row takes two passes over L1 on AVX-512, three on AVX2; the lane stages share the first pass.
// The sign flip happens on the first load (a sign-bit flip: the same value as x * -1) and the scale on the last
// store (a separate Mul, after the last stage).
// NaN payloads may differ from the reference's (which NaN operand propagates); NaN-ness does not.
// Rows or transform sizes shorter than a vector, HWY_SCALAR and scalable targets take the reference loop.

#if defined(AO_BACKENDS_HWY_HADAMARD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_HADAMARD_INL_H_
#undef AO_BACKENDS_HWY_HADAMARD_INL_H_
#else
#define AO_BACKENDS_HWY_HADAMARD_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>

#include "ao/ops/detail/hadamard_scalar.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SCALAR || HWY_HAVE_SCALABLE

inline void HadamardRow(const float* in, float* out, size_t n, size_t b, const float* signs, float scale) {
  ao::detail::hadamard_scalar::transform_row(in, out, n, b, signs, scale);
}

#else

namespace hadamard_detail {

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;
constexpr size_t kLanes = hn::MaxLanes(D());
// Vector stages per pass (2^k vectors of one butterfly group live in registers): 4 with 32 registers.
#if HWY_TARGET <= HWY_AVX3
constexpr size_t kMaxPassStages = 4;
#else
constexpr size_t kMaxPassStages = 3;
#endif
using IndicesF = decltype(hn::IndicesFromVec(D(), hn::Zero(hn::RebindToSigned<D>())));

// The lane stages' constants: per stage s (partner distance 2^s < lanes), +1 on left lanes and -1 on right ones,
// and (for 2^s >= 4) the partner permutation.
struct LaneConsts {
  V sign[8];
  IndicesF partner[8];
  LaneConsts() {
    const D d;
    const hn::RebindToSigned<D> di;
    const auto iota = hn::Iota(di, 0);
    for (size_t s = 0; (size_t{1} << s) < kLanes; ++s) {
      const auto h = hn::Set(di, static_cast<int32_t>(size_t{1} << s));
      const auto right = hn::RebindMask(d, hn::Ne(hn::And(iota, h), hn::Zero(di)));
      sign[s] = hn::IfThenElse(right, hn::Set(d, -1.0f), hn::Set(d, 1.0f));
      partner[s] = hn::IndicesFromVec(d, hn::Xor(iota, h));
    }
  }
};

// Every lane stage on one vector, in order s = 0, 1, ...: x <- fma(x, +-1, partner(x)), i.e. left + right on left
// lanes and left - right on right lanes, each rounded once, as the reference's + and -.
HWY_INLINE V LaneStages(V v, const LaneConsts& k) {
  v = hn::MulAdd(v, k.sign[0], hn::Shuffle2301(v));
  if constexpr (kLanes >= 4) v = hn::MulAdd(v, k.sign[1], hn::Shuffle1032(v));
  if constexpr (kLanes >= 8) v = hn::MulAdd(v, k.sign[2], hn::TableLookupLanes(v, k.partner[2]));
  if constexpr (kLanes >= 16) v = hn::MulAdd(v, k.sign[3], hn::TableLookupLanes(v, k.partner[3]));
  static_assert(kLanes <= 16, "hadamard-inl.h: lane stages written for up to 16 fp32 lanes");
  return v;
}

// K vector stages on the 2^K vectors of a group: pairs (j, j + 2^t), left + right and left - right (Add and Sub:
// the adders, while the lane stages' MulAdds and the scale keep the FMA ports busy).
template <size_t K>
HWY_INLINE void VectorStages(V* v) {
  HWY_UNROLL(4)
  for (size_t t = 0; t < K; ++t) {
    HWY_UNROLL(16)
    for (size_t j = 0; j < (size_t{1} << K); ++j) {
      if ((j & (size_t{1} << t)) != 0) continue;
      const V l = v[j], r = v[j + (size_t{1} << t)];
      v[j] = hn::Add(l, r);
      v[j + (size_t{1} << t)] = hn::Sub(l, r);
    }
  }
}

// Pass 1: load 2^K contiguous vectors (sign flip), lane stages, K vector stages, store (scaled when last).
template <size_t K>
HWY_NOINLINE void FirstPass(const float* in, float* out, size_t n, size_t b, const float* signs, V scale, bool last) {
  const D d;
  const LaneConsts k;
  constexpr size_t kGroup = size_t{1} << K;
  for (size_t c = 0; c < n; c += kGroup * kLanes) {
    V v[kGroup];
    HWY_UNROLL(16)
    for (size_t j = 0; j < kGroup; ++j) {
      V x = hn::LoadU(d, in + c + j * kLanes);
      // x * (+-1) as a flip of the sign bit (exact, the same value; logic ports instead of the FMA ports).
      if (signs != nullptr) x = hn::Xor(x, hn::And(hn::LoadU(d, signs + ((c + j * kLanes) & (b - 1))), hn::SignBit(d)));
      v[j] = LaneStages(x, k);
    }
    VectorStages<K>(v);
    HWY_UNROLL(16)
    for (size_t j = 0; j < kGroup; ++j) hn::StoreU(last ? hn::Mul(v[j], scale) : v[j], d, out + c + j * kLanes);
  }
}

// A later pass, in place: the K stages with partner distances h0, 2 h0, ... (h0 >= lanes).
template <size_t K>
HWY_NOINLINE void LaterPass(float* out, size_t n, size_t h0, V scale, bool last) {
  const D d;
  constexpr size_t kGroup = size_t{1} << K;
  for (size_t base = 0; base < n; base += h0 * kGroup) {
    for (size_t i = base; i < base + h0; i += kLanes) {
      V v[kGroup];
      HWY_UNROLL(16)
      for (size_t j = 0; j < kGroup; ++j) v[j] = hn::LoadU(d, out + i + j * h0);
      VectorStages<K>(v);
      HWY_UNROLL(16)
      for (size_t j = 0; j < kGroup; ++j) hn::StoreU(last ? hn::Mul(v[j], scale) : v[j], d, out + i + j * h0);
    }
  }
}

template <size_t K = 0>
HWY_INLINE void FirstPassK(size_t k, const float* in, float* out, size_t n, size_t b, const float* signs, V scale,
                           bool last) {
  if constexpr (K < kMaxPassStages) {
    if (k != K) return FirstPassK<K + 1>(k, in, out, n, b, signs, scale, last);
  }
  FirstPass<K>(in, out, n, b, signs, scale, last);
}
template <size_t K = 1>
HWY_INLINE void LaterPassK(size_t k, float* out, size_t n, size_t h0, V scale, bool last) {
  if constexpr (K < kMaxPassStages) {
    if (k != K) return LaterPassK<K + 1>(k, out, n, h0, scale, last);
  }
  LaterPass<K>(out, n, h0, scale, last);
}

}  // namespace hadamard_detail

inline void HadamardRow(const float* in, float* out, size_t n, size_t b, const float* signs, float scale) {
  namespace hd = hadamard_detail;
  if (n < hd::kLanes || b < hd::kLanes) {
    ao::detail::hadamard_scalar::transform_row(in, out, n, b, signs, scale);
    return;
  }
  const hd::V vscale = hn::Set(hd::D(), scale);
  size_t vstages = 0;  // stages with partner distance >= lanes
  for (size_t h = hd::kLanes; h < b; h <<= 1) ++vstages;
  size_t k = vstages < hd::kMaxPassStages ? vstages : hd::kMaxPassStages;
  hd::FirstPassK(k, in, out, n, b, signs, vscale, k == vstages);
  for (size_t t0 = k; t0 < vstages; t0 += k) {
    k = vstages - t0 < hd::kMaxPassStages ? vstages - t0 : hd::kMaxPassStages;
    hd::LaterPassK(k, out, n, hd::kLanes << t0, vscale, t0 + k == vstages);
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_HADAMARD_INL_H_
