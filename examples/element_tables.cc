// Prints every element type of ao: its layout, range and special values, and the value of every code for the
// types of 8 bits or fewer. What ./scripts/demo shows until the ao-quant tool exists.
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>

#include "ao/ao.hpp"

namespace {

const char* nan_rule(ao::nan_encoding n) {
  switch (n) {
    case ao::nan_encoding::ieee: return "IEEE (exponent all ones, mantissa != 0)";
    case ao::nan_encoding::all_ones: return "all-ones magnitude only";
    case ao::nan_encoding::negative_zero: return "0x80 only (no -0)";
    case ao::nan_encoding::none: return "none";
  }
  return "?";
}

template <class T>
void print_type() {
  using L = std::numeric_limits<T>;
  std::printf("\n%s: %d bits = %s%d exponent + %d mantissa, bias %d; NaN: %s; infinity: %s; overflow: %s\n",
              name(T{}), T::bits_per_value, T::is_signed ? "sign + " : "", T::exponent_bits, T::mantissa_bits,
              T::exponent_bias, nan_rule(T::nan), T::has_infinity ? "yes" : "no",
              T::default_overflow == ao::overflow::saturate ? "saturates" : "to infinity");
  std::printf("  max %.9g   min normal %.9g   min subnormal %.9g   epsilon %.9g\n", double(L::max()),
              double(L::min()), double(L::denorm_min()), double(L::epsilon()));
  if (T::bits_per_value > 8) return;
  // Signed types: the codes with the sign bit set are the negatives of these (fnuz: 0x80 is NaN, not -0).
  const unsigned codes = 1u << (T::bits_per_value - (T::is_signed ? 1 : 0));
  std::printf("  code:value%s", T::is_signed ? " (non-negative half; set the sign bit for the negatives)" : "");
  for (unsigned c = 0; c < codes; ++c) {
    if (c % 8 == 0) std::printf("\n  ");
    const double v = double(T::from_bits(static_cast<typename T::storage_type>(c)));
    if (std::isnan(v)) {
      std::printf("  %02X:%-9s", c, "NaN");
    } else {
      std::printf("  %02X:%-9.5g", c, v);
    }
  }
  std::printf("\n");
}

}  // namespace

int main() {
  std::printf("ao %s element types (include/ao/numeric): exact constexpr codecs, host and CUDA device\n",
              AO_VERSION_STRING);
  print_type<ao::float4_e2m1fn>();
  print_type<ao::float6_e2m3fn>();
  print_type<ao::float6_e3m2fn>();
  print_type<ao::float8_e4m3fn>();
  print_type<ao::float8_e4m3fnuz>();
  print_type<ao::float8_e5m2>();
  print_type<ao::float8_e5m2fnuz>();
  print_type<ao::float8_e8m0fnu>();
  print_type<ao::bfloat16>();
  print_type<ao::float16>();
  std::printf("\nRounding examples (nearest even; 8-bit types saturate):\n");
  for (float x : {0.3f, 2.5f, 5.0f, 100.0f, 1e9f}) {
    std::printf("  %-6g -> e2m1 %-4g e4m3fn %-6g e5m2 %-8g e8m0 %-8g bf16 %.8g\n", x, float(ao::float4_e2m1fn(x)),
                float(ao::float8_e4m3fn(x)), float(ao::float8_e5m2(x)), float(ao::float8_e8m0fnu(x)),
                float(ao::bfloat16(x)));
  }
  return 0;
}
