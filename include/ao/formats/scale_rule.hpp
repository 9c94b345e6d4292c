// ao/formats/scale_rule.hpp: how an MX block's power-of-two (e8m0) scale is chosen from the block's amax, as
// policy types (numerics spec §1.2, torchao's ScaleCalculationMode). Every rule is exact and constexpr, host and
// device.
//
//   floor  torchao's to_mx default and the OCP MX spec: 2^(floor(log2 amax) - emax), read off the float's exponent
//          bits (zero and fp32 subnormals count as exponent -127)
//   ceil   like floor, one binade up when amax is not a power of two
//   even   amax first rounded to emax's element precision (the exponent goes up when the significand is at least
//          2 - 2^-mbits), then floor. torchao's quirk is kept: an amax that rounds past fp32's max gives NaN (255)
//   rceil  NVIDIA's rule (cuBLAS, cvt.rp.ue8m0): the smallest power of two >= amax * fl32(1/max), the product
//          rounded to fp32 first; byte 255 (NaN) past 2^127
// emax is floor(log2(max)) of the element type: 8 (e4m3), 15 (e5m2), 2 (e2m3), 4 (e3m2), 2 (e2m1).
// Any non-finite amax (a NaN or infinity in the block) gives byte 255.
#pragma once

#include <cstdint>
#include <limits>

#include "ao/config.hpp"
#include "ao/numeric/convert.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float8.hpp"

namespace ao {
namespace detail {

// floor(log2(max finite value)) of an element type.
template <class Element>
AO_HOST_DEVICE constexpr int element_emax() noexcept {
  const unpacked_value m = unpack<typename Element::spec>(exmy_layout<typename Element::spec>::max_code);
  return msb_index(m.significand) + m.exponent;
}

// The scale byte of the floor rule applied to an amax given by its float32 bits (shared by floor, ceil, even).
AO_HOST_DEVICE constexpr std::uint8_t floor_rule_byte(std::uint32_t amax_bits, int emax, int extra) noexcept {
  if ((amax_bits & 0x7F800000u) == 0x7F800000u) return 255;  // NaN or infinity
  int u = static_cast<int>((amax_bits >> 23) & 0xFFu) - 127 + extra - emax;
  u = u < -127 ? -127 : (u > 128 ? 128 : u);
  return static_cast<std::uint8_t>(u + 127);
}

}  // namespace detail

namespace scale_rule {

struct floor {
  static constexpr const char* name = "floor";
  template <class Element>
  AO_HOST_DEVICE static constexpr std::uint8_t e8m0_byte(float amax) noexcept {
    return detail::floor_rule_byte(detail::bit_cast<std::uint32_t>(amax) & 0x7FFFFFFFu, detail::element_emax<Element>(),
                                   0);
  }
};

struct ceil {
  static constexpr const char* name = "ceil";
  template <class Element>
  AO_HOST_DEVICE static constexpr std::uint8_t e8m0_byte(float amax) noexcept {
    const std::uint32_t bits = detail::bit_cast<std::uint32_t>(amax) & 0x7FFFFFFFu;
    return detail::floor_rule_byte(bits, detail::element_emax<Element>(), (bits & 0x7FFFFFu) != 0 ? 1 : 0);
  }
};

struct even {
  static constexpr const char* name = "even";
  template <class Element>
  AO_HOST_DEVICE static constexpr std::uint8_t e8m0_byte(float amax) noexcept {
    std::uint32_t bits = detail::bit_cast<std::uint32_t>(amax) & 0x7FFFFFFFu;
    if (bits > 0x7F800000u) return 255;  // NaN stays NaN
    bits = (bits + (std::uint32_t{1} << (22 - Element::mantissa_bits))) & 0xFF800000u;
    return detail::floor_rule_byte(bits, detail::element_emax<Element>(), 0);
  }
};

struct rceil {
  static constexpr const char* name = "rceil";
  template <class Element>
  AO_HOST_DEVICE static constexpr std::uint8_t e8m0_byte(float amax) noexcept {
    constexpr float inverse_max = 1.0f / float(std::numeric_limits<Element>::max());
    return convert<float8_e8m0fnu, rounding::up, overflow::to_inf_or_nan>(amax * inverse_max).bits();
  }
};

}  // namespace scale_rule
}  // namespace ao
