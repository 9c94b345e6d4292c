// ao/backends/hwy/exmy-inl.h: the vectorized element codec, generic over an eXmY spec (ao/numeric/exmy_spec.hpp):
//
//   EncodeExmy<Spec, O>(df, v)   fp32 lanes -> codes (in the low bits of i32 lanes), rounded to nearest even with
//                                overflow rule O, bit-identical to ao::detail::encode_float<Spec, nearest_even, O>
//                                (so to T(float) for O = T::default_overflow, and to ao::convert<T, O>(float)):
//                                signed zeros (fnuz: +0 only), subnormals, NaN codes, saturation or inf/NaN.
//   DecodeExmy<Spec>(df, codes)  codes (low bits of i32 lanes; bits above the code are ignored) -> the exact fp32
//                                value, bit-identical to float(T::from_bits(code)) (NaN: sign | 0x7FC00000, fnuz
//                                NaN positive).
//
// Method. Encode: in the target's normal range, add half an ulp minus one plus the kept LSB to |v|'s bits and
// shift (one integer add rounds to nearest even); below it, add the magic number 2^(emin - M + 23) in fp32, whose
// ulp is the target's subnormal quantum, so the FPU's round-to-nearest-even rounds |v| and the low bits of the sum
// are the code (this needs the default MXCSR rounding, no FTZ/DAZ). Anything that rounds past the largest code is
// overflow. Decode: shift the magnitude into fp32's fields and rebias; subnormals are mantissa * 2^(emin - M).
//
// kExmyVectorizable<Spec>: the specs these handle (signed, with subnormals, at most 16 bits, normal range and
// subnormal quantum inside fp32's normal range): every float8/float6/float4 element and fp16. Kernels fall back to
// the scalar codec for other specs.

#if defined(AO_BACKENDS_HWY_EXMY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_EXMY_INL_H_
#undef AO_BACKENDS_HWY_EXMY_INL_H_
#else
#define AO_BACKENDS_HWY_EXMY_INL_H_
#endif

#include <hwy/highway.h>

#include <cstdint>
#include <cstring>

#include "ao/numeric/exmy_codec.hpp"
#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float_exmy.hpp"
#include "ao/numeric/rounding.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace detail {

// Constants of the vector codec for one spec.
template <class Spec>
struct ExmyConstants {
  using L = ao::detail::exmy_layout<Spec>;
  static constexpr int kM = L::M;
  static constexpr int kShift = 23 - L::M;
  // fp32 bits of the smallest normal value of the target.
  static constexpr uint32_t kLo = static_cast<uint32_t>(L::min_exponent + 127) << 23;
  // Code bias between fp32's exponent field and the target's (normal range): code = (bits >> shift) - kRebias.
  static constexpr uint32_t kRebias = static_cast<uint32_t>(127 - L::bias) << L::M;
  // fp32 bits of the magic number 2^(emin - M + 23) of the subnormal path.
  static constexpr uint32_t kMagic = static_cast<uint32_t>(L::min_exponent - L::M + 23 + 127) << 23;
  // fp32 bits of the subnormal quantum 2^(emin - M).
  static constexpr uint32_t kQuantum = static_cast<uint32_t>(L::min_exponent - L::M + 127) << 23;
  static constexpr int32_t kMaxCode = static_cast<int32_t>(L::max_code);
  static constexpr int kSignShift = 31 - (L::E + L::M);  // fp32 sign bit -> code sign bit
  static constexpr int32_t kSignMask = static_cast<int32_t>(L::sign_mask);
  static constexpr int32_t kMagnitudeMask = static_cast<int32_t>(L::magnitude_mask);
  static constexpr int32_t kCodeMask = static_cast<int32_t>(L::code_mask);
  static constexpr int32_t kNanCode = static_cast<int32_t>(L::nan_code);
  static constexpr int32_t kInfinityCode = static_cast<int32_t>(L::infinity_code);
  static constexpr int32_t kFieldAllOnes = static_cast<int32_t>(L::field_all_ones);
  // The largest finite value's top exponent must stay inside fp32's finite range.
  static constexpr int kMaxTop = static_cast<int>(L::field_all_ones) - L::bias + 1;
};

// NaN lanes (|v| bits above inf) get the spec's NaN code (with the sign where it has one; +max without NaN).
template <class Spec, class DI>
HWY_INLINE hn::Vec<DI> ExmyNaNCode(DI di, hn::Vec<DI> a, hn::Vec<DI> code_sign, hn::Vec<DI> code) {
  using C = ExmyConstants<Spec>;
  using L = typename C::L;
  const auto is_nan = hn::Gt(a, hn::Set(di, 0x7F800000));
  if constexpr (L::nan == ao::nan_encoding::negative_zero) {
    return hn::IfThenElse(is_nan, hn::Set(di, C::kNanCode), code);
  } else if constexpr (L::has_nan) {
    return hn::IfThenElse(is_nan, hn::Or(code_sign, hn::Set(di, C::kNanCode)), code);
  } else {
    return hn::IfThenElse(is_nan, hn::Set(di, C::kMaxCode), code);  // no NaN: +max, as the scalar codec
  }
}

}  // namespace detail

template <class Spec>
inline constexpr bool kExmyVectorizable =
    Spec::is_signed&& Spec::has_subnormals && (Spec::exponent_bits + Spec::mantissa_bits + 1) <= 16 &&
    Spec::mantissa_bits < 23 && ao::detail::exmy_layout<Spec>::min_exponent - Spec::mantissa_bits >= -126 &&
    ao::detail::exmy_layout<Spec>::min_exponent + 23 - Spec::mantissa_bits <= 127 &&
    detail::ExmyConstants<Spec>::kMaxTop <= 127;

// Codes of fp32 lanes (RNE, overflow O) in the low bits of i32 lanes. kFinite: the caller guarantees that no lane
// is NaN or infinite (an MX block whose scale is not NaN, say), which saves the operations that handle them.
template <class Spec, ao::overflow O, bool kFinite = false, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> EncodeExmy(DF df, hn::Vec<DF> v) {
  static_assert(kExmyVectorizable<Spec>, "EncodeExmy: this spec has no vector codec (see kExmyVectorizable)");
  using C = detail::ExmyConstants<Spec>;
  using L = typename C::L;
  const hn::RebindToSigned<DF> di;
  const auto bits = hn::BitCast(di, v);
  const auto a = hn::And(bits, hn::Set(di, 0x7FFFFFFF));  // |v| as bits
  // Normal range: |v| clamped below inf so that the add cannot wrap (finite lanes need no clamp); one add rounds
  // to nearest even and rebiases: (a + half - 1 + lsb - (rebias << shift)) >> shift. Anything past max_code
  // overflows. (Below the normal range the result is unused, so the rebias may make it negative.)
  const auto a_c = kFinite ? a : hn::Min(a, hn::Set(di, 0x7F7FFFFF));
  const auto lsb = C::kM > 0 ? hn::And(hn::ShiftRight<C::kShift>(a_c), hn::Set(di, 1)) : hn::Set(di, 1);
  constexpr int32_t kRoundAndRebias =
      static_cast<int32_t>((uint32_t{1} << (C::kShift - 1)) - 1u - (C::kRebias << C::kShift));
  const auto normal = hn::ShiftRight<C::kShift>(hn::Add(hn::Add(a_c, hn::Set(di, kRoundAndRebias)), lsb));
  // Subnormal range: the magic-number addition rounds in the FPU.
  const auto magic = hn::BitCast(df, hn::Set(di, static_cast<int32_t>(C::kMagic)));
  const auto sub = hn::Sub(hn::BitCast(di, hn::Add(hn::BitCast(df, a), magic)), hn::BitCast(di, magic));
  auto mag = hn::IfThenElse(hn::Lt(a, hn::Set(di, static_cast<int32_t>(C::kLo))), sub, normal);
  // The code's sign bit: fp32 bit 31 moved to bit E + M (logical shift of the unsigned bits).
  const hn::RebindToUnsigned<DF> du;
  const auto code_sign = hn::BitCast(di, hn::ShiftLeft<L::E + L::M>(hn::ShiftRight<31>(hn::BitCast(du, bits))));
  constexpr bool kFnuz = L::nan == ao::nan_encoding::negative_zero;
  if constexpr (O == ao::overflow::saturate) {
    mag = hn::Min(mag, hn::Set(di, C::kMaxCode));
    auto code = hn::Or(mag, code_sign);
    if constexpr (kFnuz) code = hn::IfThenElse(hn::Eq(mag, hn::Zero(di)), hn::Zero(di), code);  // only +0
    if constexpr (!kFinite) code = detail::ExmyNaNCode<Spec>(di, a, code_sign, code);
    return code;
  } else {
    const auto over = hn::Gt(mag, hn::Set(di, C::kMaxCode));
    if constexpr (L::has_inf) {
      mag = hn::IfThenElse(over, hn::Set(di, C::kInfinityCode), mag);
    } else if constexpr (L::nan == ao::nan_encoding::all_ones) {
      mag = hn::IfThenElse(over, hn::Set(di, C::kNanCode), mag);
    } else if constexpr (!kFnuz) {
      mag = hn::IfThenElse(over, hn::Set(di, C::kMaxCode), mag);
    }
    auto code = hn::Or(mag, code_sign);
    if constexpr (kFnuz) {
      code = hn::IfThenElse(hn::Eq(mag, hn::Zero(di)), hn::Zero(di), code);  // the only zero is +0
      code = hn::IfThenElse(over, hn::Set(di, C::kNanCode), code);
    }
    if constexpr (!kFinite) code = detail::ExmyNaNCode<Spec>(di, a, code_sign, code);
    return code;
  }
}

namespace detail {

// The fp32 values of the 16 codes of a 4-bit spec without NaN or inf (fp4 e2m1), from the scalar codec: the table
// DecodeExmy permutes (on 8-lane vectors, its first 8 entries, the magnitudes, and the sign separately).
template <class Spec>
struct Exmy4BitValues {
  static constexpr float value(int i) {
    using T = ao::float_exmy<Spec>;
    return static_cast<float>(T::from_bits(static_cast<typename T::storage_type>(i)));
  }
  alignas(64) static constexpr float kValues[16] = {value(0),  value(1),  value(2),  value(3), value(4),  value(5),
                                                    value(6),  value(7),  value(8),  value(9), value(10), value(11),
                                                    value(12), value(13), value(14), value(15)};
};

// How many lanes DecodeExmy reads Spec's values from that table on tag DF (0: it does not): one lane permutation
// instead of about a dozen integer operations, for fp4 on vectors of 16 lanes (the signed table) or 8 (the
// magnitudes, then the sign).
template <class Spec, class DF>
constexpr size_t TableDecodeLanes() {
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR
  return 0;
#else
  using L = ao::detail::exmy_layout<Spec>;
  constexpr size_t lanes = hn::MaxLanes(DF());
  const bool fp4 = L::E + L::M == 3 && L::nan == ao::nan_encoding::none && L::sign_mask != 0;
  return fp4 && (lanes == 8 || lanes == 16) ? lanes : 0;
#endif
}

}  // namespace detail

// The exact fp32 values of codes in the low bits of i32 lanes (higher bits ignored).
template <class Spec, class DF>
HWY_INLINE hn::Vec<DF> DecodeExmy(DF df, hn::Vec<hn::RebindToSigned<DF>> codes) {
  static_assert(kExmyVectorizable<Spec>, "DecodeExmy: this spec has no vector codec (see kExmyVectorizable)");
  using C = detail::ExmyConstants<Spec>;
  using L = typename C::L;
  const hn::RebindToSigned<DF> di;
  constexpr size_t kTable = detail::TableDecodeLanes<Spec, DF>();
  if constexpr (kTable == 16) {
    return hn::TableLookupLanes(hn::LoadU(df, detail::Exmy4BitValues<Spec>::kValues),
                                hn::IndicesFromVec(df, hn::And(codes, hn::Set(di, C::kCodeMask))));
  } else if constexpr (kTable == 8) {
    const auto magnitude = hn::TableLookupLanes(hn::LoadU(df, detail::Exmy4BitValues<Spec>::kValues),
                                                hn::IndicesFromVec(df, hn::And(codes, hn::Set(di, C::kMagnitudeMask))));
    const auto sign = hn::ShiftLeft<C::kSignShift>(hn::And(codes, hn::Set(di, C::kSignMask)));
    return hn::BitCast(df, hn::Or(hn::BitCast(di, magnitude), sign));
  }
  const auto code = hn::And(codes, hn::Set(di, C::kCodeMask));
  const auto mag = hn::And(code, hn::Set(di, C::kMagnitudeMask));
  const auto sign = hn::ShiftLeft<C::kSignShift>(hn::And(code, hn::Set(di, C::kSignMask)));
  const auto normal =
      hn::Add(hn::ShiftLeft<C::kShift>(mag), hn::Set(di, static_cast<int32_t>(C::kRebias << C::kShift)));
  const auto sub =
      hn::BitCast(di, hn::Mul(hn::ConvertTo(df, mag), hn::BitCast(df, hn::Set(di, static_cast<int32_t>(C::kQuantum)))));
  auto bits = hn::IfThenElse(hn::Lt(mag, hn::Set(di, int32_t{1} << C::kM)), sub, normal);
  if constexpr (L::nan == ao::nan_encoding::ieee) {
    const auto inf_or_nan = hn::Gt(mag, hn::Set(di, C::kInfinityCode - 1));
    const auto special =
        hn::IfThenElse(hn::Eq(mag, hn::Set(di, C::kInfinityCode)), hn::Set(di, 0x7F800000), hn::Set(di, 0x7FC00000));
    bits = hn::IfThenElse(inf_or_nan, special, bits);
  } else if constexpr (L::nan == ao::nan_encoding::all_ones) {
    bits = hn::IfThenElse(hn::Eq(mag, hn::Set(di, C::kMagnitudeMask)), hn::Set(di, 0x7FC00000), bits);
  }
  auto result = hn::Or(sign, bits);
  if constexpr (L::nan == ao::nan_encoding::negative_zero) {
    result = hn::IfThenElse(hn::Eq(code, hn::Set(di, C::kNanCode)), hn::Set(di, 0x7FC00000), result);
  }
  return hn::BitCast(df, result);
}

// DecodeExmy with torch's NaN bits (ao::detail::torch_value): a NaN code's sign and mantissa stay in the fp32
// NaN (sign | 0x7FC00000 | mantissa << (23 - M)); other codes, fnuz types and types without NaN as DecodeExmy.
template <class Spec, class DF>
HWY_INLINE hn::Vec<DF> DecodeExmyTorch(DF df, hn::Vec<hn::RebindToSigned<DF>> codes) {
  using L = ao::detail::exmy_layout<Spec>;
  const auto v = DecodeExmy<Spec>(df, codes);
  if constexpr (L::nan == ao::nan_encoding::all_ones || L::nan == ao::nan_encoding::ieee) {
    const auto is_nan = hn::IsNaN(v);
    if (HWY_LIKELY(hn::AllFalse(df, is_nan))) return v;  // NaN codes are rare: one test, not six operations
    const hn::RebindToSigned<DF> di;
    using C = detail::ExmyConstants<Spec>;
    const auto payload = hn::ShiftLeft<23 - L::M>(hn::And(codes, hn::Set(di, static_cast<int32_t>(L::mantissa_mask))));
    const auto sign = hn::ShiftLeft<C::kSignShift>(hn::And(codes, hn::Set(di, C::kSignMask)));
    const auto nan = hn::Or(hn::Or(sign, payload), hn::Set(di, 0x7FC00000));
    return hn::IfThenElse(is_nan, hn::BitCast(df, nan), v);
  }
  return v;
}

// ---- Code storage (torchao's): one code a byte, or two a byte with element 2i in the low nibble ----

// Stores the Lanes(d) codes of i32 lanes (each < 256; < 16 when packed) at `out`: Lanes(d) bytes, or Lanes(d) / 2
// bytes when ElementsPerByte == 2 (then the tag must have at least 2 lanes: kernels pack 1-lane vectors by hand).
template <int ElementsPerByte, class DF>
HWY_INLINE void StoreCodes(DF df, hn::Vec<hn::RebindToSigned<DF>> codes, uint8_t* HWY_RESTRICT out) {
  static_assert(ElementsPerByte == 1 || hn::MaxLanes(DF()) >= 2, "StoreCodes: packing needs 2 lanes");
  (void)df;
  const hn::Rebind<uint8_t, DF> du8;
  const auto bytes = hn::DemoteTo(du8, codes);
  if constexpr (ElementsPerByte == 1) {
    hn::StoreU(bytes, du8, out);
  } else {
    // Pairs of bytes as u16 lanes: (lo | hi << 8) | (lo | hi << 8) >> 4 has lo | hi << 4 in its low byte.
    const hn::Repartition<uint16_t, decltype(du8)> du16;
    const hn::RebindToSigned<decltype(du16)> di16;
    const hn::Rebind<uint8_t, decltype(du16)> du8h;
    const auto w = hn::BitCast(du16, bytes);
    const auto packed = hn::And(hn::Or(w, hn::ShiftRight<4>(w)), hn::Set(du16, 0x00FF));
    hn::StoreU(hn::DemoteTo(du8h, hn::BitCast(di16, packed)), du8h, out);
  }
}

namespace detail {
// Whether LoadCodes<2> unpacks nibbles with per-lane shifts of one broadcast word (8 or 16 lanes with AVX2's
// variable shifts) rather than by widening bytes.
template <class DF>
inline constexpr bool kNibbleShiftLanes =
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128 || !HWY_ARCH_X86
    false;
#else
    HWY_TARGET <= HWY_AVX2 && (hn::MaxLanes(DF()) == 8 || hn::MaxLanes(DF()) == 16);
#endif
}  // namespace detail

// Loads Lanes(d) codes stored as StoreCodes stores them, into i32 lanes.
template <int ElementsPerByte, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> LoadCodes(DF df, const uint8_t* HWY_RESTRICT in) {
  static_assert(ElementsPerByte == 1 || hn::MaxLanes(DF()) >= 2, "LoadCodes: unpacking needs 2 lanes");
  (void)df;
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<uint8_t, DF> du8;
  if constexpr (ElementsPerByte == 1) {
    return hn::PromoteTo(di, hn::LoadU(du8, in));
  } else if constexpr (detail::kNibbleShiftLanes<DF>) {
    // The Lanes / 2 bytes as 32-bit words, word i / 8 in lane i, shifted right by 4 (i mod 8), low nibble kept.
    constexpr size_t kLanes = hn::MaxLanes(DF());
    const hn::RebindToUnsigned<DF> du;
    uint64_t bits = 0;
    std::memcpy(&bits, in, kLanes / 2);
    hn::Vec<decltype(du)> words;
    if constexpr (kLanes == 16) {
      const hn::Repartition<uint64_t, decltype(du)> du64;
      alignas(64) static constexpr int32_t kWord[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
      words = hn::TableLookupLanes(hn::BitCast(du, hn::Set(du64, bits)), hn::SetTableIndices(du, kWord));
    } else {
      words = hn::Set(du, static_cast<uint32_t>(bits));
    }
    alignas(64) static constexpr uint32_t kShift[16] = {0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28};
    return hn::BitCast(di, hn::And(hn::Shr(words, hn::LoadU(du, kShift)), hn::Set(du, 0xFu)));
  } else {
    const hn::Repartition<uint16_t, decltype(du8)> du16;
    const hn::Rebind<uint8_t, decltype(du16)> du8h;
    const auto w = hn::PromoteTo(du16, hn::LoadU(du8h, in));
    const auto split = hn::Or(hn::And(w, hn::Set(du16, 0x000F)), hn::ShiftLeft<4>(hn::And(w, hn::Set(du16, 0x00F0))));
    return hn::PromoteTo(di, hn::BitCast(du8, split));
  }
}

// The codes of elements i .. i + Lanes(d) - 1 of a row stored as StoreCodes stores them (`row` its first byte);
// with two codes a byte on 1-lane targets, the nibble of element i.
template <int ElementsPerByte, class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> LoadCodesAt(DF df, const uint8_t* HWY_RESTRICT row, size_t i) {
  if constexpr (ElementsPerByte == 1 || hn::MaxLanes(DF()) >= 2) {
    return LoadCodes<ElementsPerByte>(df, row + i / ElementsPerByte);
  } else {
    const uint8_t byte = row[i / 2];
    return hn::Set(hn::RebindToSigned<DF>(), (i & 1) ? (byte >> 4) : (byte & 0x0F));
  }
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_EXMY_INL_H_
