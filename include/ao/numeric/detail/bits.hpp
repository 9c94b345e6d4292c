// ao/numeric/detail/bits.hpp: constexpr bit helpers usable on host and device.
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/config.hpp"

namespace ao::detail {

// Reinterprets the bytes of `from` as a `To` (same size, trivially copyable), in constant expressions too.
template <class To, class From>
AO_HOST_DEVICE constexpr To bit_cast(const From& from) noexcept {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs types of the same size");
  static_assert(std::is_trivially_copyable_v<To> && std::is_trivially_copyable_v<From>,
                "bit_cast needs trivially copyable types");
  return __builtin_bit_cast(To, from);
}

// Index of the most significant set bit of x (x != 0): 0 for 1, 63 for 2^63.
AO_HOST_DEVICE constexpr int msb_index(std::uint64_t x) noexcept {
  int n = 0;
  if (x >> 32) { x >>= 32; n += 32; }
  if (x >> 16) { x >>= 16; n += 16; }
  if (x >> 8) { x >>= 8; n += 8; }
  if (x >> 4) { x >>= 4; n += 4; }
  if (x >> 2) { x >>= 2; n += 2; }
  if (x >> 1) { n += 1; }
  return n;
}

// The smallest unsigned integer type with at least `Bits` bits (Bits <= 64).
template <int Bits>
using uint_least_t = std::conditional_t<
    (Bits <= 8), std::uint8_t,
    std::conditional_t<(Bits <= 16), std::uint16_t,
                       std::conditional_t<(Bits <= 32), std::uint32_t, std::uint64_t>>>;

// A float with exactly these bits, a NaN's sign and payload included, for NaN constants whose bits matter (x86's
// default NaN 0xFFC00000). On the host a bit_cast. In CUDA device code an opaque register move: ptxas does not keep
// the sign and payload of a NaN immediate (seen with CUDA 13.0 for sm_90a: 0xFFC00000 came out as 0x7FFFFFFF,
// tests/cuda/quantize_device_test.cu).
#if defined(__CUDA_ARCH__) && !defined(__HIPCC__)
__device__ inline float exact_float_bits(std::uint32_t bits) noexcept {
  float f;
  asm volatile("mov.b32 %0, %1;" : "=f"(f) : "r"(bits));
  return f;
}
#else
AO_HOST_DEVICE constexpr float exact_float_bits(std::uint32_t bits) noexcept { return bit_cast<float>(bits); }
#endif

}  // namespace ao::detail
