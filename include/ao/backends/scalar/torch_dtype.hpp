// ao/backends/scalar/torch_dtype.hpp: emulating PyTorch's arithmetic in a tensor's dtype. torchao computes scales
// in the input's dtype (fp32, bf16 or fp16); the scalar oracles compute each such operation in fp32 and round the
// result to the dtype, which is what PyTorch stores after one elementwise operation in bf16 or fp16 (the fp32
// result of one +, -, *, / of 16-bit values is exact before that rounding, so this is bit-exact).
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/config.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/exmy_spec.hpp"
#include "ao/numeric/float16.hpp"

namespace ao::detail {

// The dtypes torch tensors of floating point come in, as far as the oracles need: float, bf16, fp16.
template <class T>
inline constexpr bool is_torch_float_v =
    std::is_same_v<T, float> || std::is_same_v<T, ao::bfloat16> || std::is_same_v<T, ao::float16>;

#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// The GPU's conversions of a non-NaN float to bf16 / fp16 and back (cvt.rn: nearest even, subnormals kept, IEEE
// overflow to infinity), exactly ao's for every non-NaN float (tests/cuda/numeric_device_test.cu checks the
// conversions for every float32).
__device__ inline float hardware_round_to_bfloat16(float x) noexcept {
  unsigned short h = 0;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(x));
  return __uint_as_float(static_cast<unsigned>(h) << 16);
}
__device__ inline float hardware_round_to_float16(float x) noexcept {
  unsigned short h = 0;
  float y = 0.0f;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
  asm("cvt.f32.f16 %0, %1;" : "=f"(y) : "h"(h));
  return y;
}
#endif

// x rounded to T's precision (nearest even, IEEE overflow), held in a float; the identity for T = float. NaNs
// become ao's NaN of T (canonical quiet, sign kept) widened. On sm_80+ GPUs a non-NaN takes the hardware's
// conversions (two instructions, against the codec's dozen).
template <class T>
AO_HOST_DEVICE constexpr float round_to_dtype(float x) noexcept {
  static_assert(is_torch_float_v<T>, "the dtype is float, ao::bfloat16 or ao::float16");
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if (!__builtin_is_constant_evaluated() && x == x) {
      return std::is_same_v<T, ao::bfloat16> ? hardware_round_to_bfloat16(x) : hardware_round_to_float16(x);
    }
#endif
    return float(T(x));
  }
}

// a * b in fp32 with x86's NaN rule written out: a NaN operand comes back quieted, the first one (a) first. torch's
// CPU kernels multiply the tensor (a) by the scale (b), so a NaN element keeps its own NaN (sign included) even when
// the scale is NaN too. Written out because a plain `a * b` of two NaNs gives whichever operand the compiler put
// first, which differs between compilers and optimization levels.
// An invalid product (0 * inf) is x86's default NaN, 0xFFC00000 (negative; a GPU's multiply gives 0x7FFFFFFF).
AO_HOST_DEVICE constexpr float torch_multiply(float a, float b) noexcept {
  if (a != a) return bit_cast<float>(bit_cast<std::uint32_t>(a) | 0x00400000u);
  if (b != b) return bit_cast<float>(bit_cast<std::uint32_t>(b) | 0x00400000u);
  constexpr float inf = bit_cast<float>(0x7F800000u);
  const bool a_inf = a == inf || a == -inf, b_inf = b == inf || b == -inf;
  if ((a == 0.0f && b_inf) || (a_inf && b == 0.0f)) return exact_float_bits(0xFFC00000u);
  return a * b;
}

// a + b in fp32 with the same NaN rule as torch_multiply (torch's CPU add kernels put the tensor (a) first: y += bias
// keeps y's NaN); an invalid sum (inf + -inf) is x86's default NaN.
AO_HOST_DEVICE constexpr float torch_add(float a, float b) noexcept {
  if (a != a) return bit_cast<float>(bit_cast<std::uint32_t>(a) | 0x00400000u);
  if (b != b) return bit_cast<float>(bit_cast<std::uint32_t>(b) | 0x00400000u);
  const float r = a + b;
  return r != r ? exact_float_bits(0xFFC00000u) : r;
}

// The fp32 value of an element code as torch's casts give it (Tensor.to(torch.float32) of a float8 tensor):
// float(E::from_bits(code)), except that a NaN code keeps its sign and mantissa bits in the fp32 NaN (mantissa at
// the top of fp32's, quiet bit set, as any arithmetic on it leaves it): e4m3fn's 0x7F is 0x7FF00000, e5m2's 0xFD
// is 0xFFE00000, where ao's decode gives the canonical quiet NaN. fnuz types (one NaN, 0x80) and types without
// NaN are unchanged. FP8's dequantize uses it: torchao's Float8Tensor values carry these bits (its MX values do
// not: docs/numerics.md).
template <class E>
AO_HOST_DEVICE constexpr float torch_value(std::uint32_t code) noexcept {
  using L = exmy_layout<typename E::spec>;
  const float v = float(E::from_bits(code));
  if constexpr (L::nan == nan_encoding::all_ones || L::nan == nan_encoding::ieee) {
    if (v != v) {
      const std::uint32_t sign = (code & L::sign_mask) != 0 ? 0x80000000u : 0u;
      const std::uint32_t payload = static_cast<std::uint32_t>(code & L::mantissa_mask) << (23 - L::M);
      return bit_cast<float>(sign | 0x7FC00000u | payload);
    }
  }
  return v;
}

}  // namespace ao::detail
