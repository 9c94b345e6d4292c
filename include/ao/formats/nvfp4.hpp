// ao/formats/nvfp4.hpp: ao::nvfp4, NVIDIA's FP4 format (numerics spec §2; torchao nvfp4_tensor.py `nvfp4_quantize`,
// `per_tensor_amax_to_scale`, `NVFP4Tensor.to_dtype`): blocks of 16 consecutive values along the last dimension
// share one float8_e4m3fn scale, elements are float4_e2m1fn packed two a byte (element 2i in the low nibble), and
// an optional fp32 per-tensor ("global") scale g sits above the block scales.
//
// The exact algorithm, every operation in fp32 and in this order (bf16 inputs are widened to fp32 first, exactly:
// torchao quantizes `data_hp.float()`, so nothing is computed in bf16):
//   amax     = max |x| over the block (NaN if any x is NaN)
//   bs       = amax / 6.0f                                      an fp32 division, not a multiply by 1/6
//   single level (no g):
//     s      = e4m3(clamp(bs, 2^-6, 448))                       RNE; 2^-6 = finfo(e4m3fn).tiny, the smallest normal,
//                                                               so no e4m3 subnormal scale is ever produced
//     r      = 1.0f / float(s)
//   two level (global g):
//     s      = e4m3(clamp(bs / g, 2^-6, 448))                   bs / g: another fp32 division
//     r      = (1.0f / g) / float(s)                            two fp32 divisions, in this order
//   code     = fp4(clamp(x * r, -6, 6))                         one fp32 multiply; RNE, -0 kept (spec §1.3)
//   packed   = code[2i] | code[2i+1] << 4
// The global scale (torchao's per_tensor_amax_to_scale) is g = fp32(amax_tensor) / 2688.0f (2688 = 448 * 6).
// Dequantization (NVFP4Tensor.to_dtype via get_hp_scales): value = fp4(code) * fl32(g * float(s)), the product
// g * s rounded to fp32 first; fp4(code) * float(s) without g (exact). Quantize uses (1/g)/s and dequantize g*s:
// they are not exact inverses. To bf16 or fp16 (a tensor quantized from that dtype) the same fp32 value, rounded
// once: bf16(fp4 * fl32(g * s)), as torchao's checkpoints show (ao/backends/scalar/nvfp4.hpp).
// Edge cases, torchao's values: an all-zero block gets scale byte 0x08 (2^-6) and codes 0; a block holding +-inf
// gets scale 448 (0x7E), the infinity code +-6 and the others ~0; a block holding NaN gets scale 0x7F (NaN) and
// unspecified codes in torchao (its fp4 converter gives a payload-dependent code); ao's are +6 (code 7, the fp4
// encoding of NaN, float4.hpp).
#pragma once

#include "ao/numeric/float4.hpp"
#include "ao/numeric/float8.hpp"

namespace ao {

// The policy type: the member names of ao::block_scaled (element_type, scale_type, block_size, element_bits,
// scale_bits, elements_per_byte), plus the constants of the algorithm above. Not a block_scaled: its scale is not
// chosen by an e8m0 scale rule, so the MX oracle's templates do not accept it. GlobalScale selects the two-level
// form (a per-tensor fp32 scale, computed from the tensor's amax when quantizing); ao::nvfp4 is single level and
// ao::nvfp4_global_scale two level: the same bytes layout plus one float.
template <bool GlobalScale>
struct basic_nvfp4 {
  using element_type = float4_e2m1fn;
  using scale_type = float8_e4m3fn;
  static constexpr bool global_scale = GlobalScale;
  static constexpr const char* name = GlobalScale ? "nvfp4_global_scale" : "nvfp4";
  static constexpr int block_size = 16;
  static constexpr int element_bits = element_type::bits_per_value;
  static constexpr int scale_bits = scale_type::bits_per_value;
  // torchao's storage: two fp4 codes a byte, element 2i in the low nibble (pack_uint4).
  static constexpr int elements_per_byte = 2;
  static constexpr float element_max = 6.0f;              // F4_E2M1_MAX
  static constexpr float scale_max = 448.0f;              // F8E4M3_MAX
  static constexpr float scale_min = 0.015625f;           // E4M3_EPS = finfo(float8_e4m3fn).tiny = 2^-6
  static constexpr float global_scale_divisor = 2688.0f;  // F8E4M3_MAX * F4_E2M1_MAX

  template <bool G>
  using with_global_scale = basic_nvfp4<G>;
};

using nvfp4 = basic_nvfp4<false>;
using nvfp4_global_scale = basic_nvfp4<true>;

}  // namespace ao
