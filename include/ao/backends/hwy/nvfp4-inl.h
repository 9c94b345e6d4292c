// ao/backends/hwy/nvfp4-inl.h: Highway kernels for NVFP4 (ao::basic_nvfp4<G>, single and two level): quantize and
// dequantize one task, byte- and bit-identical to ao::scalar::quantize / dequantize (ao/backends/scalar/nvfp4.hpp,
// whose operation order ao/formats/nvfp4.hpp spells out) on every Highway target.
//
// Per block of 16 (whole vectors): amax as fp32 bits (NaN wins), Lanes blocks folded into one vector at a time
// (BlockAbsMaxes, reduce-inl.h); the e4m3 scale s and the reciprocal r are the oracle's expressions (amax / 6,
// clamp to [2^-6, 448], e4m3 RNE; r = 1 / s or (1 / g) / s), evaluated lane by lane for 64 blocks at a time, the
// source of the next 64 hinted meanwhile (streaming.hpp); codes are fp4(clamp(x * r, -6, 6)) with NaN passing the
// clamp (fp4 has no NaN: +6, code 7), which is the saturating encoder's code of x * r; narrowed and nibble-packed.
// Dequantize: fp4 value * s (fp32), s = e4m3 value or fl32(g * e4m3), rounded once to Dst (torchao's to_dtype).

#if defined(AO_BACKENDS_HWY_NVFP4_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_NVFP4_INL_H_
#undef AO_BACKENDS_HWY_NVFP4_INL_H_
#else
#define AO_BACKENDS_HWY_NVFP4_INL_H_
#endif

#include <hwy/highway.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/backends/hwy/exmy-inl.h"
#include "ao/backends/hwy/reduce-inl.h"
#include "ao/backends/hwy/streaming.hpp"
#include "ao/backends/scalar/nvfp4.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/nvfp4.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float8.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace detail {

// The fp32 values of the 256 e4m3fn codes (the scalar codec's): a block scale is one load, not a scalar decode.
constexpr std::array<float, 256> E4m3ValueTable() {
  std::array<float, 256> v{};
  for (int i = 0; i < 256; ++i)
    v[static_cast<size_t>(i)] = float(ao::float8_e4m3fn::from_bits(static_cast<uint8_t>(i)));
  return v;
}
inline constexpr std::array<float, 256> kE4m3Values = E4m3ValueTable();

// A block's dequantization multiplier: its e4m3 scale's value, times the global scale g (fl32(g * s)) when there is
// one.
template <bool G>
HWY_INLINE float Nvfp4BlockMultiplier(ao::float8_e4m3fn scale, float g) {
  float s = kE4m3Values[scale.bits()];
  if constexpr (G) s = ao::detail::torch_multiply(g, s);
  return s;
}

// The block scales of n <= kNvfp4ScaleBatch blocks from their amaxes, a vector at a time (the oracle's scalar
// expressions lane by lane): s = e4m3(clamp(amax / 6 [/ g], scale_min, scale_max)) into `codes`, and the
// reciprocal the elements are multiplied by, 1 / s or (1 / g) / s, into `inverse`. `amax` is read up to n rounded
// up to whole vectors (the caller zero-fills that tail).
inline constexpr size_t kNvfp4ScaleBatch = 64;

template <bool G>
HWY_INLINE void Nvfp4Scales(const float* HWY_RESTRICT amax, size_t n, float global_scale, uint8_t* HWY_RESTRICT codes,
                            float* HWY_RESTRICT inverse) {
  using S = ao::float8_e4m3fn;
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto six = hn::Set(d, ao::nvfp4::element_max);
  const auto lo = hn::Set(d, ao::nvfp4::scale_min);
  const auto hi = hn::Set(d, ao::nvfp4::scale_max);
  const auto g = hn::Set(d, global_scale);
  const auto one_over_g = hn::Set(d, G ? 1.0f / global_scale : 1.0f);
  for (size_t j = 0; j < n; j += lanes) {
    auto v = hn::Div(hn::LoadU(d, amax + j), six);
    if constexpr (G) v = hn::Div(v, g);
    v = hn::IfThenElse(hn::Lt(v, lo), lo, hn::IfThenElse(hn::Gt(v, hi), hi, v));  // NaN passes
    const auto code = EncodeExmy<typename S::spec, S::default_overflow>(d, v);
    hn::StoreU(hn::Div(one_over_g, DecodeExmy<typename S::spec>(d, code)), d, inverse + j);
    StoreCodes<1>(d, code, codes + j);
  }
}

}  // namespace detail

template <bool G, class Src>
void Quantize(const ao::quantize_task<ao::basic_nvfp4<G>, Src>& t) {
  using Spec = ao::float4_e2m1fn::spec;
  constexpr size_t kN = static_cast<size_t>(ao::nvfp4::block_size);
  constexpr size_t kBatch = detail::kNvfp4ScaleBatch;
  const hn::CappedTag<float, kN> d;
  const hn::RebindToSigned<decltype(d)> di;
  constexpr bool kVectorPack = hn::MaxLanes(decltype(d)()) >= 2;
  const size_t lanes = hn::Lanes(d);
  const size_t blocks = t.cols / kN;
  // Blocks whose amaxes are folded into one vector (reduce-inl.h): Lanes(d), fixed on fixed-width targets.
  constexpr size_t kFold = HWY_HAVE_SCALABLE ? 1 : hn::MaxLanes(decltype(d)());
  static_assert(kBatch % kFold == 0, "NVFP4 quantize: whole folds per batch");
  // fp4(clamp(x * r, -6, 6)) is the saturating encoder's code of x * r (rounding is monotone and 6 is fp4's max;
  // a NaN passes the clamp and encodes as +max either way).
  auto encode = [&](hn::Vec<decltype(d)> x, hn::Vec<decltype(d)> r) {
    return EncodeExmy<Spec, ao::overflow::saturate>(d, hn::Mul(x, r));
  };
  // Per batch of blocks: the amaxes, then every scale at once (vectorized across blocks), then the codes.
  HWY_ALIGN float amax[kBatch + hn::MaxLanes(hn::ScalableTag<float>())] = {};
  HWY_ALIGN float inverse[kBatch + hn::MaxLanes(hn::ScalableTag<float>())];
  HWY_ALIGN uint8_t scale_codes[kBatch + hn::MaxLanes(hn::ScalableTag<float>())];
  float g = 1.0f;
  if constexpr (G) g = t.tensor.global_scale;
  for (size_t row = 0; row < t.rows; ++row) {
    const Src* src = t.src + static_cast<std::ptrdiff_t>(row) * t.src_stride;
    uint8_t* data = t.data + static_cast<std::ptrdiff_t>(row) * t.data_stride;
    ao::float8_e4m3fn* scales = t.scales + static_cast<std::ptrdiff_t>(row) * t.scales_stride;
    for (size_t b0 = 0; b0 < blocks; b0 += kBatch) {
      const size_t n = blocks - b0 < kBatch ? blocks - b0 : kBatch;
      PrefetchLines(AddressAhead(src + b0 * kN, kStreamAheadBytes), kBatch * kN * sizeof(Src));  // hints only
      size_t j = 0;
      for (; j < n; j += kFold) {  // kFold blocks' amaxes at a time, block j + k in lane k (0 past n)
        const auto m = BlockAbsMaxes<kFold, kN>(d, src + b0 * kN, n, j);
        if constexpr (kFold == 1) {
          amax[j] = AbsMaxOfLanes(di, m);
        } else {
          hn::Store(hn::BitCast(d, m), d, amax + j);
        }
      }
      for (; j < kBatch; ++j) amax[j] = 0.0f;
      detail::Nvfp4Scales<G>(amax, n, g, scale_codes, inverse);
      for (size_t j = 0; j < n; ++j) {
        const size_t b = b0 + j;
        scales[b] = ao::float8_e4m3fn::from_bits(scale_codes[j]);
        const Src* x = src + b * kN;
        uint8_t* out = data + b * kN / 2;
        const auto vr = hn::Set(d, inverse[j]);
        if constexpr (kVectorPack) {
          if (amax[j] - amax[j] == 0.0f && inverse[j] - inverse[j] == 0.0f) {  // finite x and r: finite products
            for (size_t i = 0; i < kN; i += lanes) {
              const auto y = hn::Mul(LoadF32Finite(d, x + i), vr);
              StoreCodes<2>(d, EncodeExmy<Spec, ao::overflow::saturate, true>(d, y), out + i / 2);
            }
          } else {
            for (size_t i = 0; i < kN; i += lanes) StoreCodes<2>(d, encode(LoadF32(d, x + i), vr), out + i / 2);
          }
        } else {
          for (size_t i = 0; i < kN; i += 2) {
            const auto c0 = hn::GetLane(encode(LoadF32(d, x + i), vr));
            const auto c1 = hn::GetLane(encode(LoadF32(d, x + i + 1), vr));
            out[i / 2] = static_cast<uint8_t>(c0 | (c1 << 4));
          }
        }
      }
    }
  }
}

template <bool G, class Dst>
void Dequantize(const ao::dequantize_task<ao::basic_nvfp4<G>, Dst>& t) {
  using Spec = ao::float4_e2m1fn::spec;
  constexpr size_t kN = static_cast<size_t>(ao::nvfp4::block_size);
  const hn::CappedTag<float, kN> d;
  const size_t lanes = hn::Lanes(d);
  const size_t blocks = t.cols / kN;
  float g = 1.0f;
  if constexpr (G) g = t.tensor.global_scale;
  for (size_t row = 0; row < t.rows; ++row) {
    const uint8_t* data = t.data + static_cast<std::ptrdiff_t>(row) * t.data_stride;
    const ao::float8_e4m3fn* scales = t.scales + static_cast<std::ptrdiff_t>(row) * t.scales_stride;
    Dst* dst = t.dst + static_cast<std::ptrdiff_t>(row) * t.dst_stride;
    for (size_t b = 0; b < blocks; ++b) {
      const auto vs = hn::Set(d, detail::Nvfp4BlockMultiplier<G>(scales[b], g));  // for every Dst
      const uint8_t* in = data + b * kN / 2;
      for (size_t i = 0; i < kN; i += lanes) {
        StoreF32(d, hn::Mul(DecodeExmy<Spec>(d, LoadCodesAt<2>(d, in, i)), vs), dst + b * kN + i);
      }
    }
  }
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_NVFP4_INL_H_
