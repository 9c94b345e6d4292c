// ao/backends/hwy/convert-inl.h: Highway helpers that move rows of the source and output dtypes of every kernel
// (float, ao::bfloat16, ao::float16) in and out of fp32 vectors, with exactly the scalar library's conversions:
//
//   LoadF32(d, p)          Lanes(d) values of Src at p as fp32: exact, as float(ao::bfloat16) / float(ao::float16)
//                          compute them, including their NaN: a bf16/fp16 NaN becomes the canonical fp32 NaN with its
//                          sign (sign | 0x7FC00000; the payload is not kept, as ao's codec does not keep it).
//   LoadNF32(d, p, n)      the first n (< Lanes(d) allowed) values; lanes n.. are 0. Reads only n values.
//   LoadF32Finite(d, p)    LoadF32 for values the caller knows hold no NaN (their block's or row's amax is finite):
//                          the same lanes without making NaNs canonical (bf16: a widening and a shift).
//   StoreF32(d, v, p)      Lanes(d) fp32 lanes stored as Dst: float as is; bf16 and fp16 rounded to nearest even,
//                          exactly as ao::bfloat16(float) / ao::float16(float): overflow to +-inf, subnormals kept,
//                          NaN to the canonical quiet NaN with its sign (bf16 sign | 0x7FC0, fp16 sign | 0x7E00).
//   StoreNF32(d, v, p, n)  the first n lanes only; writes only n values.
//   RoundToDtype<T>(d, v)  v rounded to T's precision (as StoreF32 then LoadF32), held in fp32 lanes; the identity
//                          for T = float (ao::detail::round_to_dtype for vectors).
//
// d is any Highway float tag (full, capped or partial vector; HWY_SCALAR too). Highway 1.0.3's bf16 DemoteTo
// truncates and its software fp16 conversions (targets without F16C) mishandle infinities and NaN, so both
// directions are written here by hand; fp16 uses F16C (vcvtph2ps / vcvtps2ph, RNE) where the target has it.
//
// Per-target header: include it after hwy/highway.h (or from a file compiled through hwy/foreach_target.h).

// Per-target include guard (Highway's toggle idiom).
#if defined(AO_BACKENDS_HWY_CONVERT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_CONVERT_INL_H_
#undef AO_BACKENDS_HWY_CONVERT_INL_H_
#else
#define AO_BACKENDS_HWY_CONVERT_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// Whether this target converts fp16 with F16C (Highway uses it on AVX2 and above unless HWY_DISABLE_F16C).
#undef AO_HWY_HAVE_F16C
#if HWY_TARGET <= HWY_AVX2 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128 && !defined(HWY_DISABLE_F16C) && \
    (HWY_ARCH_X86)
#define AO_HWY_HAVE_F16C 1
#else
#define AO_HWY_HAVE_F16C 0
#endif

namespace detail {

// The source and output dtypes a kernel accepts.
template <class T>
inline constexpr bool kIsIoType =
    std::is_same_v<T, float> || std::is_same_v<T, ao::bfloat16> || std::is_same_v<T, ao::float16>;

// fp32 lanes from the bits of bf16 (in the low 16 bits of u32 lanes): exact, NaN canonical with its sign.
template <class DF, class VU>
HWY_INLINE hn::Vec<DF> F32FromBF16Bits(DF df, VU bits16) {
  const hn::RebindToUnsigned<DF> du;
  const auto f = hn::BitCast(df, hn::ShiftLeft<16>(bits16));
  const auto canonical =
      hn::BitCast(df, hn::Or(hn::And(hn::BitCast(du, f), hn::Set(du, 0x80000000u)), hn::Set(du, 0x7FC00000u)));
  return hn::IfThenElse(hn::IsNaN(f), canonical, f);
}

// fp32 lanes from the bits of fp16 (low 16 bits of u32 lanes), by hand: exact, NaN canonical with its sign.
template <class DF, class VU>
HWY_INLINE hn::Vec<DF> F32FromF16Bits(DF df, VU h) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const auto sign = hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000u)));
  const auto mag = hn::And(h, hn::Set(du, 0x7FFFu));
  // Normal: rebias the exponent (112 = 127 - 15). Subnormal (exponent field 0): mantissa * 2^-24, exact.
  const auto normal = hn::Add(hn::ShiftLeft<13>(mag), hn::Set(du, 112u << 23));
  const auto sub =
      hn::BitCast(du, hn::Mul(hn::ConvertTo(df, hn::BitCast(di, mag)), hn::Set(df, 5.9604644775390625e-8f)));
  const auto mag_i = hn::BitCast(di, mag);
  auto bits = hn::IfThenElse(hn::RebindMask(du, hn::Lt(mag_i, hn::Set(di, 0x0400))), sub, normal);
  bits = hn::IfThenElse(hn::RebindMask(du, hn::Eq(mag_i, hn::Set(di, 0x7C00))), hn::Set(du, 0x7F800000u), bits);
  bits = hn::IfThenElse(hn::RebindMask(du, hn::Gt(mag_i, hn::Set(di, 0x7C00))), hn::Set(du, 0x7FC00000u), bits);
  return hn::BitCast(df, hn::Or(sign, bits));
}

// bf16 bits (low 16 bits of u32 lanes) of fp32 lanes: RNE, overflow to inf, NaN -> sign | 0x7FC0.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> BF16BitsFromF32(DF /*df*/, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const auto bits = hn::BitCast(du, v);
  const auto lsb = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u));
  const auto rounded = hn::ShiftRight<16>(hn::Add(hn::Add(bits, hn::Set(du, 0x7FFFu)), lsb));
  const auto nan = hn::Or(hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 0x8000u)), hn::Set(du, 0x7FC0u));
  return hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), nan, rounded);
}

// fp16 bits (low 16 bits of u32 lanes) of fp32 lanes, by hand: RNE, overflow to inf, NaN -> sign | 0x7E00.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> F16BitsFromF32(DF df, hn::Vec<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const auto bits = hn::BitCast(du, v);
  const auto sign = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 0x8000u));
  const auto a = hn::And(bits, hn::Set(du, 0x7FFFFFFFu));
  // Normal range (|v| >= 2^-14): add half an ulp minus one plus the kept LSB, then rebias; >= 0x7C00 is inf.
  const auto lsb = hn::And(hn::ShiftRight<13>(a), hn::Set(du, 1u));
  const auto normal =
      hn::Sub(hn::ShiftRight<13>(hn::Add(hn::Add(a, hn::Set(du, 0x0FFFu)), lsb)), hn::Set(du, 112u << 10));
  const auto normal_i = hn::Min(hn::BitCast(di, normal), hn::Set(di, 0x7C00));
  // Subnormal range: |v| + 0.5 rounds |v| to a multiple of 2^-24 (the FPU's RNE); the low bits are the code.
  const auto sub = hn::Sub(hn::BitCast(du, hn::Add(hn::BitCast(df, a), hn::Set(df, 0.5f))), hn::Set(du, 0x3F000000u));
  const auto a_i = hn::BitCast(di, a);
  auto mag = hn::IfThenElse(hn::Lt(a_i, hn::Set(di, 0x38800000)), hn::BitCast(di, sub), normal_i);
  mag = hn::IfThenElse(hn::Gt(a_i, hn::Set(di, 0x7F800000)), hn::Set(di, 0x7E00), mag);
  return hn::Or(sign, hn::BitCast(du, mag));
}

}  // namespace detail

// ---- Loads: Src -> fp32 ----

template <class DF, class Src, std::enable_if_t<std::is_same_v<Src, float>, int> = 0>
HWY_INLINE hn::Vec<DF> LoadF32(DF df, const Src* HWY_RESTRICT p) {
  return hn::LoadU(df, p);
}

template <class DF, class Src, std::enable_if_t<std::is_same_v<Src, ao::bfloat16>, int> = 0>
HWY_INLINE hn::Vec<DF> LoadF32(DF df, const Src* HWY_RESTRICT p) {
  const hn::RebindToUnsigned<DF> du;
  const hn::Rebind<uint16_t, DF> du16;
  return detail::F32FromBF16Bits(df, hn::PromoteTo(du, hn::LoadU(du16, reinterpret_cast<const uint16_t*>(p))));
}

template <class DF, class Src, std::enable_if_t<std::is_same_v<Src, ao::float16>, int> = 0>
HWY_INLINE hn::Vec<DF> LoadF32(DF df, const Src* HWY_RESTRICT p) {
#if AO_HWY_HAVE_F16C
  (void)df;
  const hn::Rebind<::hwy::float16_t, DF> df16;
  const auto f = hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const ::hwy::float16_t*>(p)));
  const hn::RebindToUnsigned<DF> du;
  const auto canonical =
      hn::BitCast(df, hn::Or(hn::And(hn::BitCast(du, f), hn::Set(du, 0x80000000u)), hn::Set(du, 0x7FC00000u)));
  return hn::IfThenElse(hn::IsNaN(f), canonical, f);
#else
  const hn::RebindToUnsigned<DF> du;
  const hn::Rebind<uint16_t, DF> du16;
  return detail::F32FromF16Bits(df, hn::PromoteTo(du, hn::LoadU(du16, reinterpret_cast<const uint16_t*>(p))));
#endif
}

template <class DF, class Src>
HWY_INLINE hn::Vec<DF> LoadF32Finite(DF df, const Src* HWY_RESTRICT p) {
  if constexpr (std::is_same_v<Src, ao::bfloat16>) {
    const hn::RebindToUnsigned<DF> du;
    const hn::Rebind<uint16_t, DF> du16;
    return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du, hn::LoadU(du16, reinterpret_cast<const uint16_t*>(p)))));
  } else {
    return LoadF32(df, p);
  }
}

// The first n values (n <= Lanes(d)); the other lanes are 0. Never reads past p + n.
template <class DF, class Src>
HWY_INLINE hn::Vec<DF> LoadNF32(DF df, const Src* HWY_RESTRICT p, size_t n) {
  static_assert(detail::kIsIoType<Src>, "LoadNF32: Src is float, ao::bfloat16 or ao::float16");
  constexpr size_t kMax = hn::MaxLanes(DF());
  Src buffer[kMax];
  std::memset(static_cast<void*>(buffer), 0, sizeof(buffer));
  std::memcpy(static_cast<void*>(buffer), p, (n < kMax ? n : kMax) * sizeof(Src));
  return LoadF32(df, static_cast<const Src*>(buffer));
}

// ---- Stores: fp32 -> Dst ----

template <class DF, class Dst, std::enable_if_t<std::is_same_v<Dst, float>, int> = 0>
HWY_INLINE void StoreF32(DF df, hn::Vec<DF> v, Dst* HWY_RESTRICT p) {
  hn::StoreU(v, df, p);
}

template <class DF, class Dst, std::enable_if_t<std::is_same_v<Dst, ao::bfloat16>, int> = 0>
HWY_INLINE void StoreF32(DF df, hn::Vec<DF> v, Dst* HWY_RESTRICT p) {
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<uint16_t, DF> du16;
  hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, detail::BF16BitsFromF32(df, v))), du16, reinterpret_cast<uint16_t*>(p));
}

template <class DF, class Dst, std::enable_if_t<std::is_same_v<Dst, ao::float16>, int> = 0>
HWY_INLINE void StoreF32([[maybe_unused]] DF df, hn::Vec<DF> v, Dst* HWY_RESTRICT p) {
  const hn::Rebind<uint16_t, DF> du16;
#if AO_HWY_HAVE_F16C
  const hn::Rebind<::hwy::float16_t, DF> df16;
  const hn::RebindToSigned<decltype(du16)> di16;
  // vcvtps2ph rounds to nearest even and overflows to inf; only its NaN (payload kept) differs from ao::float16.
  const auto h = hn::BitCast(du16, hn::DemoteTo(df16, v));
  const auto is_nan = hn::Gt(hn::BitCast(di16, hn::And(h, hn::Set(du16, 0x7FFF))), hn::Set(di16, 0x7C00));
  const auto nan16 = hn::Or(hn::And(h, hn::Set(du16, 0x8000)), hn::Set(du16, 0x7E00));
  hn::StoreU(hn::IfThenElse(hn::RebindMask(du16, is_nan), nan16, h), du16, reinterpret_cast<uint16_t*>(p));
#else
  const hn::RebindToSigned<DF> di;
  hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di, detail::F16BitsFromF32(df, v))), du16, reinterpret_cast<uint16_t*>(p));
#endif
}

// The first n lanes (n <= Lanes(d)). Never writes past p + n.
template <class DF, class Dst>
HWY_INLINE void StoreNF32(DF df, hn::Vec<DF> v, Dst* HWY_RESTRICT p, size_t n) {
  static_assert(detail::kIsIoType<Dst>, "StoreNF32: Dst is float, ao::bfloat16 or ao::float16");
  constexpr size_t kMax = hn::MaxLanes(DF());
  Dst buffer[kMax];
  StoreF32(df, v, static_cast<Dst*>(buffer));
  std::memcpy(static_cast<void*>(p), buffer, (n < kMax ? n : kMax) * sizeof(Dst));
}

// v rounded to T's precision and held in fp32 (round_to_dtype<T>): RNE, IEEE overflow, NaN canonical.
template <class T, class DF>
HWY_INLINE hn::Vec<DF> RoundToDtype(DF df, hn::Vec<DF> v) {
  static_assert(detail::kIsIoType<T>, "RoundToDtype: T is float, ao::bfloat16 or ao::float16");
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else if constexpr (std::is_same_v<T, ao::bfloat16>) {
    // The bf16 round trip without leaving the fp32 bit positions: RNE on the low 16 bits (a finite v never rounds
    // to a NaN; past the largest bf16 it carries into inf), then a NaN becomes sign | 0x7FC00000 as LoadF32 makes it.
    const hn::RebindToUnsigned<DF> du;
    const auto bits = hn::BitCast(du, v);
    const auto lsb = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u));
    const auto rounded = hn::And(hn::Add(hn::Add(bits, hn::Set(du, 0x7FFFu)), lsb), hn::Set(du, 0xFFFF0000u));
    const auto nan = hn::Or(hn::And(bits, hn::Set(du, 0x80000000u)), hn::Set(du, 0x7FC00000u));
    return hn::BitCast(df, hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), nan, rounded));
  } else {
    return detail::F32FromF16Bits(df, detail::F16BitsFromF32(df, v));
  }
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_CONVERT_INL_H_
