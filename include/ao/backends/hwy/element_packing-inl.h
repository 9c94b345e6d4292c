// ao/backends/hwy/element_packing-inl.h: Highway kernels for the element packings of block_scaled formats whose
// codes straddle bytes (ao/formats/element_packing.hpp), between one code a byte (what the codec's
// StoreCodes<1> / LoadCodes<1> write and read, exmy-inl.h) and the packed bytes:
//
//   PackFp6x4In3(d8, codes, out)     4 * Lanes(d8) codes (one a byte; bits above 6 ignored) -> 3 * Lanes(d8) bytes
//   UnpackFp6x4In3(d8, in, codes)    the inverse: 4 * Lanes(d8) codes in [0, 64), one a byte
//
// The bytes are ao::layout::pack_fp6_4in3's (the definition, ao/layout/bit_packing.hpp; tests compare the two):
// group g = codes 4g .. 4g + 3 in bytes 3g .. 3g + 2,
//   byte 0 = c0 | c1 << 6,  byte 1 = c1 >> 2 | c2 << 4,  byte 2 = c2 >> 4 | c3 << 2        (each mod 256)
// Method: lane g of four u8 vectors holds code k of group g (LoadInterleaved4 deinterleaves the codes), three
// vectors of shifts and ORs make the three bytes of every group at once, and StoreInterleaved3 writes them in
// order; unpacking is the mirror image. d8 is a tag of uint8_t lanes (any width; one lane on HWY_SCALAR).

#if defined(AO_BACKENDS_HWY_ELEMENT_PACKING_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_ELEMENT_PACKING_INL_H_
#undef AO_BACKENDS_HWY_ELEMENT_PACKING_INL_H_
#else
#define AO_BACKENDS_HWY_ELEMENT_PACKING_INL_H_
#endif

#include <hwy/highway.h>

#include <cstdint>

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

template <class D8>
HWY_INLINE void PackFp6x4In3(D8 d8, const uint8_t* HWY_RESTRICT codes, uint8_t* HWY_RESTRICT out) {
  static_assert(sizeof(hn::TFromD<D8>) == 1, "PackFp6x4In3: a tag of uint8_t lanes");
  hn::Vec<D8> c0, c1, c2, c3;
  hn::LoadInterleaved4(d8, codes, c0, c1, c2, c3);
  const auto low6 = hn::Set(d8, uint8_t{0x3F});
  c0 = hn::And(c0, low6);
  c1 = hn::And(c1, low6);
  c2 = hn::And(c2, low6);  // (c3's bits above 6 leave the byte in c3 << 2)
  const auto byte0 = hn::Or(c0, hn::ShiftLeft<6>(c1));
  const auto byte1 = hn::Or(hn::ShiftRight<2>(c1), hn::ShiftLeft<4>(c2));
  const auto byte2 = hn::Or(hn::ShiftRight<4>(c2), hn::ShiftLeft<2>(c3));
  hn::StoreInterleaved3(byte0, byte1, byte2, d8, out);
}

template <class D8>
HWY_INLINE void UnpackFp6x4In3(D8 d8, const uint8_t* HWY_RESTRICT in, uint8_t* HWY_RESTRICT codes) {
  static_assert(sizeof(hn::TFromD<D8>) == 1, "UnpackFp6x4In3: a tag of uint8_t lanes");
  hn::Vec<D8> byte0, byte1, byte2;
  hn::LoadInterleaved3(d8, in, byte0, byte1, byte2);
  const auto low6 = hn::Set(d8, uint8_t{0x3F});
  const auto c0 = hn::And(byte0, low6);
  const auto c1 = hn::And(hn::Or(hn::ShiftRight<6>(byte0), hn::ShiftLeft<2>(byte1)), low6);
  const auto c2 = hn::And(hn::Or(hn::ShiftRight<4>(byte1), hn::ShiftLeft<4>(byte2)), low6);
  const auto c3 = hn::ShiftRight<2>(byte2);
  hn::StoreInterleaved4(c0, c1, c2, c3, d8, codes);
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_ELEMENT_PACKING_INL_H_
