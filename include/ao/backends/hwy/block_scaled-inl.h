// ao/backends/hwy/block_scaled-inl.h: Highway kernels for the block-scaled (MX) formats,
// ao::block_scaled<Element, block<N>, Scale, Rule, Packing>: quantize and dequantize one ao::quantize_task /
// ao::dequantize_task (ao/backends/task.hpp), byte- and bit-identical to ao::scalar::quantize / dequantize
// (ao/backends/scalar/task.hpp, block_scaled.hpp) on every Highway target.
//
// Per block of N values (whole vectors: the tag d is capped at the largest power of two dividing N, so a block is
// N / Lanes(d) vectors and never straddles one), Lanes(d) blocks at a time (a batch; one on scalable targets):
//   amax   max |x| as fp32 bits (NaN wins): each block's vectors merged with Max, then the batch's Lanes(d)
//          vectors folded into one vector holding block j's amax in lane j (BlockAbsMaxes, reduce-inl.h: a
//          transpose-style tree of ConcatEven/ConcatOdd + Max, instead of a horizontal reduction per block)
//   scale  Rule::e8m0_byte<Element>(amax) for the whole batch in vector lanes (E8M0Bytes: the same bytes), and
//          the inverses 2^(127 - scale) from bits (NaN for 255); each block then broadcasts its lane
//   codes  Element(x * 2^(127 - scale)) in fp32, RNE: saturating (floor/ceil/even) or the plain cast, overflowing
//          to inf/NaN (rceil). A NaN x keeps its own NaN (x86's first-operand rule of the scalar x[i] * inverse,
//          written out so that every target agrees); NaN-scale blocks (255) take that path, fp4 / fp6 the oracle's
//          torchao converter codes; finite blocks skip the NaN and inf handling.
//   store  codes narrowed to bytes, as the element packing stores them (ao/formats/element_packing.hpp): torchao's
//          straight into the row, 4-bit codes nibble-packed (element 2i in the low nibble); fp6_4in3 one a byte
//          into a block of scratch, then four in three bytes by PackFp6x4In3 (element_packing-inl.h).
// Dequantize: value(code) * s, s = the e8m0 value rounded to Dst's dtype (fp16: >= 2^16 is inf, <= 2^-25 is 0),
// rounded to Dst (convert-inl.h); fp6_4in3 blocks are first unpacked to one code a byte (UnpackFp6x4In3).
// Element types without a vector codec (kExmyVectorizable) use the scalar oracle.

#if defined(AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
#undef AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
#else
#define AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/backends/hwy/element_packing-inl.h"
#include "ao/backends/hwy/exmy-inl.h"
#include "ao/backends/hwy/reduce-inl.h"
#include "ao/backends/hwy/streaming.hpp"
#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/element_packing.hpp"
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

// The dequantized values value(code) * s of one vector of Element codes (DecodeExmy's values v) and a block's
// scale s: a NaN element stays itself (x86's rule for NaN * s, written out); elements without NaN skip that test.
template <class Spec, class D>
HWY_INLINE hn::Vec<D> ScaleElements(hn::Vec<D> v, hn::Vec<D> s) {
  if constexpr (ao::detail::exmy_layout<Spec>::nan == ao::nan_encoding::none) {
    return hn::Mul(v, s);
  } else {
    return hn::IfThenElse(hn::IsNaN(v), v, hn::Mul(v, s));
  }
}

// The e8m0 scale bytes (in i32 lanes) of block amaxes given as AbsMaxBits lanes, lane by lane the bytes of
// Rule::e8m0_byte<Element>(amax) (ao/formats/scale_rule.hpp): floor, ceil and even read the exponent field as
// floor_rule_byte does (even after rounding the bits up to the element's precision); rceil reads the bits of the
// fp32 product amax * fl32(1 / max), rounding up (an fp32 subnormal product only above 2^-127, byte 0's value).
// A NaN or infinite amax, or an even-rounded or rceil product that overflows, gives 255.
template <class Rule, class Element, class DI>
HWY_INLINE hn::Vec<DI> E8M0Bytes(DI di, hn::Vec<DI> amax_bits) {
  const hn::RebindToUnsigned<DI> du;
  const auto zero = hn::Zero(di);
  const auto nan_byte = hn::Set(di, 255);
  const auto max_finite = hn::Set(di, 0x7F7FFFFF);
  const auto mantissa_mask = hn::Set(di, 0x7FFFFF);
  if constexpr (std::is_same_v<Rule, ao::scale_rule::rceil>) {
    const hn::RebindToFloat<DI> df;
    constexpr float kInverseMax = 1.0f / float(std::numeric_limits<Element>::max());
    const auto p = hn::And(hn::BitCast(di, hn::Mul(hn::BitCast(df, amax_bits), hn::Set(df, kInverseMax))),
                           hn::Set(di, 0x7FFFFFFF));
    const auto field = hn::ShiftRight<23>(p);
    const auto threshold = hn::IfThenElseZero(hn::Eq(field, zero), hn::Set(di, 0x400000));
    const auto up = hn::Gt(hn::And(p, mantissa_mask), threshold);
    const auto byte = hn::Sub(field, hn::VecFromMask(di, up));  // field + 1 where rounded up (254 + 1: 255)
    return hn::IfThenElse(hn::Gt(p, max_finite), nan_byte, byte);
  } else {
    static_assert(std::is_same_v<Rule, ao::scale_rule::floor> || std::is_same_v<Rule, ao::scale_rule::ceil> ||
                      std::is_same_v<Rule, ao::scale_rule::even>,
                  "E8M0Bytes: floor, ceil, even or rceil");
    auto bits = amax_bits;
    if constexpr (std::is_same_v<Rule, ao::scale_rule::even>) {  // unsigned: a NaN's bits may carry into bit 31
      constexpr uint32_t kHalf = uint32_t{1} << (22 - Element::mantissa_bits);
      bits = hn::BitCast(di, hn::And(hn::Add(hn::BitCast(du, bits), hn::Set(du, kHalf)), hn::Set(du, 0x7F800000u)));
    }
    auto field = hn::ShiftRight<23>(bits);
    if constexpr (std::is_same_v<Rule, ao::scale_rule::ceil>) {
      field = hn::Sub(field, hn::VecFromMask(di, hn::Ne(hn::And(bits, mantissa_mask), zero)));
    }
    constexpr int32_t kEmax = ao::detail::element_emax<Element>();
    const auto byte = hn::Min(hn::Max(hn::Sub(field, hn::Set(di, kEmax)), zero), nan_byte);
    return hn::IfThenElse(hn::Gt(hn::Max(amax_bits, bits), max_finite), nan_byte, byte);
  }
}

// The inverse scales 2^(127 - byte) as fp32 bits, lane by lane: the e8m0 value of 254 - byte (byte 254: the fp32
// subnormal 2^-127), NaN for byte 255.
template <class DI>
HWY_INLINE hn::Vec<DI> E8M0InverseBits(DI di, hn::Vec<DI> bytes) {
  const hn::RebindToUnsigned<DI> du;
  const auto v = hn::BitCast(du, hn::Sub(hn::Set(di, 254), bytes));
  const auto bits = hn::IfThenElse(hn::Eq(v, hn::Zero(du)), hn::Set(du, 0x00400000u), hn::ShiftLeft<23>(v));
  return hn::IfThenElse(hn::Eq(bytes, hn::Set(di, 255)), hn::Set(di, 0x7FC00000), hn::BitCast(di, bits));
}

template <class E>
inline constexpr bool kBlockScaledVectorizable = E::bits_per_value <= 8 && kExmyVectorizable<typename E::spec>;

// The largest power of two dividing n (the lane cap of a block's vectors).
constexpr size_t PowerOfTwoDivisor(size_t n) { return n & (~n + 1); }

// How the block loops store a block's codes under F's element packing: kCodesPerByte codes a byte (1, or 2
// nibble-packed) at the block's bytes (torchao's packing), or, with kFp6x4In3, one a byte into a block of scratch
// that PackFp6x4In3 / UnpackFp6x4In3 convert, kGroupLanes groups of four codes at a time. kBlockBytes: a block's
// bytes in the row.
template <class F>
struct BlockStorage {
  static constexpr size_t kN = static_cast<size_t>(F::block_size);
  static constexpr bool kFp6x4In3 = std::is_same_v<typename F::packing, ao::element_packing::fp6_4in3>;
  static constexpr int kCodesPerByte = kFp6x4In3 ? 1 : F::elements_per_byte;
  static_assert(kCodesPerByte == 1 || kCodesPerByte == 2, "block_scaled kernels: an element packing they know");
  static constexpr size_t kBlockBytes = F::storage::row_bytes(kN);
  static constexpr size_t kGroupLanes = PowerOfTwoDivisor(kFp6x4In3 ? kN / 4 : 1);
  static constexpr size_t kScratch = kFp6x4In3 ? kN : 1;  // bytes of the dequantize kernel's block of scratch
};

}  // namespace detail

template <class E, class B, class S, class R, class P, class Src>
void Quantize(const ao::quantize_task<ao::block_scaled<E, B, S, R, P>, Src>& t) {
  using F = ao::block_scaled<E, B, S, R, P>;
  if constexpr (!detail::kBlockScaledVectorizable<E>) {
    ao::scalar::quantize(t);
  } else {
    using Spec = typename E::spec;
    using Storage = detail::BlockStorage<F>;
    constexpr ao::overflow kOverflow =
        std::is_same_v<R, ao::scale_rule::rceil> ? ao::overflow::to_inf_or_nan : E::default_overflow;
    constexpr int kEpb = Storage::kCodesPerByte;
    constexpr size_t kN = static_cast<size_t>(F::block_size);
    const hn::CappedTag<float, detail::PowerOfTwoDivisor(kN)> d;
    const hn::RebindToSigned<decltype(d)> di;
    constexpr bool kVectorPack = kEpb == 1 || hn::MaxLanes(decltype(d)()) >= 2;
    const size_t lanes = hn::Lanes(d);
    const size_t blocks = t.cols / kN;
    // Blocks per batch: one per lane of d (Lanes(d) is fixed on fixed-width targets), 1 on scalable ones.
    constexpr size_t kBatch = HWY_HAVE_SCALABLE ? 1 : hn::MaxLanes(decltype(d)());
    static_assert(sizeof(S) == 1 && std::is_trivially_copyable_v<S>, "block_scaled: e8m0 scales are bytes");
    HWY_ALIGN uint8_t bytes[hn::MaxLanes(decltype(d)())];
    HWY_ALIGN float inverses[hn::MaxLanes(decltype(d)())];
    // Codes of one block with scale byte `byte` and inverse 2^(127 - byte) (NaN for 255) in every lane.
    auto encode_block = [&](const Src* x, uint8_t* out, uint8_t byte, hn::Vec<decltype(d)> inverse) {
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
          return;
        }
      }
      if constexpr (kVectorPack) {
        if (byte != 255) {  // no NaN or inf in the block (its amax would be one), so every y is finite
          for (size_t i = 0; i < kN; i += lanes) {
            const auto y = hn::Mul(LoadF32Finite(d, x + i), inverse);
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
    };
    for (size_t r = 0; r < t.rows; ++r) {
      const Src* row = t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride;
      uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
      S* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
      for (size_t b0 = 0; b0 < blocks; b0 += kBatch) {
        const Src* x = row + b0 * kN;
        const size_t n = blocks - b0 < kBatch ? blocks - b0 : kBatch;
        PrefetchLines(AddressAhead(x, kStreamAheadBytes), kBatch * kN * sizeof(Src));  // hints only
        // Lane j: block b0 + j's amax bits (a whole batch with n folded to a constant; the row's last, partial
        // batch reads only its n blocks).
        auto m = n == kBatch ? BlockAbsMaxes<kBatch, kN>(d, x, kBatch) : BlockAbsMaxes<kBatch, kN>(d, x, n);
        if constexpr (kBatch == 1) m = hn::MaxOfLanes(di, m);
        const auto scale_bytes = detail::E8M0Bytes<R, E>(di, m);
        StoreCodes<1>(d, scale_bytes, bytes);
        hn::Store(hn::BitCast(d, detail::E8M0InverseBits(di, scale_bytes)), d, inverses);
        std::memcpy(static_cast<void*>(scales + b0), bytes, n);
        for (size_t j = 0; j < n; ++j) {
          uint8_t* out = data + (b0 + j) * Storage::kBlockBytes;
          if constexpr (Storage::kFp6x4In3) {
            HWY_ALIGN uint8_t block_codes[kN];  // one a byte
            const hn::CappedTag<uint8_t, Storage::kGroupLanes> d8;
            encode_block(x + j * kN, block_codes, bytes[j], hn::Set(d, inverses[j]));
            for (size_t g = 0; g < kN / 4; g += hn::Lanes(d8)) PackFp6x4In3(d8, block_codes + 4 * g, out + 3 * g);
          } else {
            encode_block(x + j * kN, out, bytes[j], hn::Set(d, inverses[j]));
          }
        }
      }
    }
  }
}

template <class E, class B, class S, class R, class P, class Dst>
void Dequantize(const ao::dequantize_task<ao::block_scaled<E, B, S, R, P>, Dst>& t) {
  using F = ao::block_scaled<E, B, S, R, P>;
  if constexpr (!detail::kBlockScaledVectorizable<E>) {
    ao::scalar::dequantize(t);
  } else {
    using Spec = typename E::spec;
    using Storage = detail::BlockStorage<F>;
    constexpr int kEpb = Storage::kCodesPerByte;
    constexpr size_t kN = static_cast<size_t>(F::block_size);
    const hn::CappedTag<float, detail::PowerOfTwoDivisor(kN)> d;
    const size_t lanes = hn::Lanes(d);
    const size_t blocks = t.cols / kN;
    [[maybe_unused]] HWY_ALIGN uint8_t block_codes[Storage::kScratch];  // fp6_4in3: a block's codes, one a byte
    for (size_t r = 0; r < t.rows; ++r) {
      const uint8_t* data = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
      const S* scales = t.scales + static_cast<std::ptrdiff_t>(r) * t.scales_stride;
      Dst* row = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* in = data + b * Storage::kBlockBytes;
        if constexpr (Storage::kFp6x4In3) {
          const hn::CappedTag<uint8_t, Storage::kGroupLanes> d8;
          for (size_t g = 0; g < kN / 4; g += hn::Lanes(d8)) UnpackFp6x4In3(d8, in + 3 * g, block_codes + 4 * g);
          in = block_codes;
        }
        Dst* out = row + b * kN;
        const auto s = hn::Set(d, detail::E8M0ScaleAs<Dst>(scales[b].bits()));
        for (size_t i = 0; i < kN; i += lanes) {
          const auto codes = LoadCodesAt<kEpb>(d, in, i);
          StoreF32(d, detail::ScaleElements<Spec, decltype(d)>(DecodeExmy<Spec>(d, codes), s), out + i);
        }
      }
    }
  }
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_BLOCK_SCALED_INL_H_
