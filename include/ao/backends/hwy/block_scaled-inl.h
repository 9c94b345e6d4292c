// ao/backends/hwy/block_scaled-inl.h: Highway kernels for the block-scaled (MX) formats,
// ao::block_scaled<Element, block<N>, Scale, Rule>: quantize and dequantize one ao::quantize_task /
// ao::dequantize_task (ao/backends/task.hpp), byte- and bit-identical to ao::scalar::quantize / dequantize
// (ao/backends/scalar/task.hpp, block_scaled.hpp) on every Highway target.
//
// Per block of N values (whole vectors: the tag is capped at the largest power of two dividing N, so a block is
// N / Lanes vectors and never straddles one):
//   amax   max |x| as fp32 bits (NaN wins), a vector max then one reduction
//   scale  Rule::e8m0_byte<Element>(amax) (rceil computed from the product's bits, same bytes)
//   codes  Element(x * 2^(127 - scale)) in fp32, RNE: saturating (floor/ceil/even) or the plain cast, overflowing
//          to inf/NaN (rceil); 2^(127 - scale) built from bits (NaN for scale 255). A NaN x keeps its own NaN (x86's
//          first-operand rule of the scalar x[i] * inverse, written out so that every target agrees).
//   store  codes narrowed to bytes, 4-bit codes nibble-packed (element 2i in the low nibble).
// Dequantize: value(code) * s, s = the e8m0 value rounded to Dst's dtype (fp16: >= 2^16 is inf, <= 2^-25 is 0),
// rounded to Dst (convert-inl.h). Element types without a vector codec (kExmyVectorizable) use the scalar oracle.

#if defined(AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
#undef AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
#else
#define AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/backends/hwy/exmy-inl.h"
#include "ao/backends/hwy/reduce-inl.h"
#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/scale_rule.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float16.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace detail {

// The value 2^(byte - 127) of an e8m0 byte as fp32 (byte 0: the fp32 subnormal 2^-127), NaN for 255.
HWY_INLINE float E8M0Value(uint32_t byte) {
  const uint32_t bits = byte == 255 ? 0x7FC00000u : (byte == 0 ? 0x00400000u : byte << 23);
  return ao::detail::bit_cast<float>(bits);
}

// The e8m0 value rounded to Out's dtype (round_to_dtype<Out>), by its bits: exact in fp32 and bf16; in fp16
// 2^k is inf for k >= 16 and 0 for k <= -25 (2^-25 is a tie between 0 and 2^-24: to even, 0).
template <class Out>
HWY_INLINE float E8M0ScaleAs(uint32_t byte) {
  if constexpr (std::is_same_v<Out, ao::float16>) {
    const int k = static_cast<int>(byte) - 127;
    if (byte != 255 && k >= 16) return ao::detail::bit_cast<float>(0x7F800000u);
    if (k <= -25) return 0.0f;
  }
  return E8M0Value(byte);
}

// scale_rule::rceil's byte, e8m0 rounded up from amax * fl32(1 / max), read off the product's bits.
template <class Element>
HWY_INLINE uint8_t RceilByte(float amax) {
  constexpr float kInverseMax = 1.0f / float(std::numeric_limits<Element>::max());
  const uint32_t bits = ao::detail::bit_cast<uint32_t>(amax * kInverseMax) & 0x7FFFFFFFu;
  if (bits >= 0x7F800000u) return 255;  // NaN or inf
  const uint32_t field = bits >> 23, mantissa = bits & 0x7FFFFFu;
  if (field == 0) return mantissa > 0x400000u ? 1 : 0;  // fp32 subnormal: 2^-127 (or 0) or up to 2^-126
  const uint32_t code = field + (mantissa != 0 ? 1u : 0u);
  return static_cast<uint8_t>(code > 254 ? 255 : code);
}

template <class Rule, class Element>
HWY_INLINE uint8_t E8M0Byte(float amax) {
  if constexpr (std::is_same_v<Rule, ao::scale_rule::rceil>) {
    return RceilByte<Element>(amax);
  } else {
    return Rule::template e8m0_byte<Element>(amax);
  }
}

template <class E>
inline constexpr bool kBlockScaledVectorizable = E::bits_per_value <= 8 && kExmyVectorizable<typename E::spec>;

// The largest power of two dividing n (the lane cap of a block's vectors).
constexpr size_t PowerOfTwoDivisor(size_t n) { return n & (~n + 1); }

}  // namespace detail

template <class E, class B, class S, class R, class Src>
void Quantize(const ao::quantize_task<ao::block_scaled<E, B, S, R>, Src>& t) {
  using F = ao::block_scaled<E, B, S, R>;
  if constexpr (!detail::kBlockScaledVectorizable<E>) {
    ao::scalar::quantize(t);
  } else {
    using Spec = typename E::spec;
    constexpr ao::overflow kOverflow =
        std::is_same_v<R, ao::scale_rule::rceil> ? ao::overflow::to_inf_or_nan : E::default_overflow;
    constexpr int kEpb = F::elements_per_byte;
    constexpr size_t kN = static_cast<size_t>(F::block_size);
    const hn::CappedTag<float, detail::PowerOfTwoDivisor(kN)> d;
    const hn::RebindToSigned<decltype(d)> di;
    constexpr bool kVectorPack = kEpb == 1 || hn::MaxLanes(decltype(d)()) >= 2;
    const size_t lanes = hn::Lanes(d);
    const size_t blocks = t.cols / kN;
    for (size_t r = 0; r < t.rows; ++r) {
      const Src* row = t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride;
      uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
      S* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
      for (size_t b = 0; b < blocks; ++b) {
        const Src* x = row + b * kN;
        uint8_t* out = data + b * kN / kEpb;
        auto m = hn::Zero(di);
        for (size_t i = 0; i < kN; i += lanes) m = hn::Max(m, AbsMaxBits(d, LoadF32(d, x + i)));
        const uint8_t byte = detail::E8M0Byte<R, E>(AbsMaxOfLanes(di, m));
        scales[b] = S::from_bits(byte);
        // 2^(127 - scale): the e8m0 value of byte 254 - scale; NaN for 255.
        const auto inverse = hn::Set(d, detail::E8M0Value(byte == 255 ? 255u : 254u - byte));
        if constexpr (!E::has_nan) {
          if (byte == 255) {  // a NaN scale (rare): fp4 / fp6 take torchao's converter codes, as the oracle does
            const float nan = ao::detail::bit_cast<float>(0x7FC00000u);
            for (size_t i = 0; i < kN; i += kEpb) {
              uint8_t c[2] = {0, 0};
              for (int k = 0; k < kEpb; ++k) {
                c[k] = ao::scalar::torchao_nan_code<E>(ao::detail::torch_multiply(static_cast<float>(x[i + k]), nan));
              }
              out[i / kEpb] = static_cast<uint8_t>(c[0] | (c[1] << 4));
            }
            continue;
          }
        }
        if constexpr (kVectorPack) {
          if (byte != 255) {  // no NaN or inf in the block (its amax would be one), so every y is finite
            for (size_t i = 0; i < kN; i += lanes) {
              const auto y = hn::Mul(LoadF32(d, x + i), inverse);
              StoreCodes<kEpb>(d, EncodeExmy<Spec, kOverflow, true>(d, y), out + i / kEpb);
            }
          } else {
            for (size_t i = 0; i < kN; i += lanes) {
              const auto v = LoadF32(d, x + i);
              const auto y = hn::IfThenElse(hn::IsNaN(v), v, hn::Mul(v, inverse));
              StoreCodes<kEpb>(d, EncodeExmy<Spec, kOverflow>(d, y), out + i / kEpb);
            }
          }
        } else {  // one lane (HWY_SCALAR) and packed codes: pack pairs by hand
          for (size_t i = 0; i < kN; i += 2) {
            const auto v0 = LoadF32(d, x + i);
            const auto v1 = LoadF32(d, x + i + 1);
            const auto c0 =
                hn::GetLane(EncodeExmy<Spec, kOverflow>(d, hn::IfThenElse(hn::IsNaN(v0), v0, hn::Mul(v0, inverse))));
            const auto c1 =
                hn::GetLane(EncodeExmy<Spec, kOverflow>(d, hn::IfThenElse(hn::IsNaN(v1), v1, hn::Mul(v1, inverse))));
            out[i / 2] = static_cast<uint8_t>(c0 | (c1 << 4));
          }
        }
      }
    }
  }
}

template <class E, class B, class S, class R, class Dst>
void Dequantize(const ao::dequantize_task<ao::block_scaled<E, B, S, R>, Dst>& t) {
  using F = ao::block_scaled<E, B, S, R>;
  if constexpr (!detail::kBlockScaledVectorizable<E>) {
    ao::scalar::dequantize(t);
  } else {
    using Spec = typename E::spec;
    constexpr int kEpb = F::elements_per_byte;
    constexpr size_t kN = static_cast<size_t>(F::block_size);
    const hn::CappedTag<float, detail::PowerOfTwoDivisor(kN)> d;
    const hn::RebindToSigned<decltype(d)> di;
    constexpr bool kVectorPack = kEpb == 1 || hn::MaxLanes(decltype(d)()) >= 2;
    const size_t lanes = hn::Lanes(d);
    const size_t blocks = t.cols / kN;
    for (size_t r = 0; r < t.rows; ++r) {
      const uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
      const S* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
      Dst* row = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* in = data + b * kN / kEpb;
        Dst* out = row + b * kN;
        const auto s = hn::Set(d, detail::E8M0ScaleAs<Dst>(scales[b].bits()));
        for (size_t i = 0; i < kN; i += lanes) {
          hn::Vec<decltype(di)> codes;
          if constexpr (kVectorPack) {
            codes = LoadCodes<kEpb>(d, in + i / kEpb);
          } else {
            codes = hn::Set(di, (i & 1) ? (in[i / 2] >> 4) : (in[i / 2] & 0x0F));
          }
          const auto v = DecodeExmy<Spec>(d, codes);
          StoreF32(d, hn::IfThenElse(hn::IsNaN(v), v, hn::Mul(v, s)), out + i);
        }
      }
    }
  }
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
