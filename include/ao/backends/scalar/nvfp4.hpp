// ao/backends/scalar/nvfp4.hpp: the scalar oracle for NVFP4 (numerics spec §2): quantize and dequantize one block
// of 16, and whole row-major matrices, with and without the fp32 global scale. Plain loops, bit-exact with
// torchao's nvfp4_quantize / per_tensor_amax_to_scale / NVFP4Tensor.to_dtype; the algorithm, operation by
// operation, is in ao/formats/nvfp4.hpp. Every SIMD and CUDA kernel is tested against these.
//
// Scales here are row-major (rows x cols/16 bytes of e4m3); torchao's swizzled layout is ao/layout/scale_swizzle.hpp.
// bf16 inputs: widen them to float first (exact). torchao computes nothing in bf16 when quantizing (it quantizes
// data_hp.float(), and the tensor amax of a bf16 tensor is a bf16 value, exact in fp32), so the bytes are the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/backends/scalar/torch_dtype.hpp"
#include "ao/config.hpp"
#include "ao/error.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/nvfp4.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::scalar {
namespace detail {

// torch.clamp: NaN passes through, sign and payload included. The NaN test is explicit: without it nvcc turns the
// comparisons into min.NaN / max.NaN, which return the canonical NaN (a zero tensor's two-level scale byte, from
// x86's negative 0 / 0, came out 0x7F instead of 0xFF).
AO_HOST_DEVICE constexpr float nvfp4_clamp(float v, float lo, float hi) noexcept {
  if (v != v) return v;
  return v < lo ? lo : (v > hi ? hi : v);
}

}  // namespace detail

// One code: fp4(clamp(x * r, -6, 6)).
AO_HOST_DEVICE constexpr std::uint8_t nvfp4_encode_value(float x, float r) noexcept {
  return float4_e2m1fn(detail::nvfp4_clamp(x * r, -nvfp4::element_max, nvfp4::element_max)).bits();
}

namespace detail {

// codes[i] = fp4(clamp(x[i] * r, -6, 6)), one code per byte.
AO_HOST_DEVICE constexpr void nvfp4_encode_block(const float* AO_RESTRICT x, float r,
                                                 std::uint8_t* AO_RESTRICT codes) noexcept {
  for (int i = 0; i < nvfp4::block_size; ++i) codes[i] = nvfp4_encode_value(x[i], r);
}

inline void check_nvfp4_shape(const char* op, std::size_t rows, std::size_t cols) {
  if (cols % static_cast<std::size_t>(nvfp4::block_size) != 0) {
    throw ao::error(std::string(op) + "<nvfp4>: shape " + std::to_string(rows) + " x " + std::to_string(cols) +
                    ": cols = " + std::to_string(cols) + " is not a multiple of the block size " +
                    std::to_string(nvfp4::block_size));
  }
}

}  // namespace detail

// The global scale torchao computes from a tensor's amax (per_tensor_amax_to_scale): fp32(amax) / 2688.
// A NaN amax gives that NaN, quieted (x86's division, where torchao's files were written; CUDA's would be the
// canonical NaN): written out so that the GPU gives the same bits.
AO_HOST_DEVICE constexpr float nvfp4_global_scale(float amax) noexcept {
  if (amax != amax) return ao::detail::bit_cast<float>(ao::detail::bit_cast<std::uint32_t>(amax) | 0x00400000u);
  return amax / nvfp4::global_scale_divisor;
}

// The global scale of n values (torchao: per_tensor_amax_to_scale(torch.max(torch.abs(x)))). NaN if any is NaN.
AO_HOST_DEVICE constexpr float nvfp4_global_scale(const float* x, std::size_t n) noexcept {
  return nvfp4_global_scale(detail::abs_max(x, n));
}

// The element-level steps of nvfp4_quantize_block, for kernels that split a block across lanes (CUDA):
//   nvfp4_block_scale(amax[, g])   the block's e4m3 scale, e4m3(clamp(amax / 6 [/ g], 2^-6, 448))
//   nvfp4_block_multiplier(s[, g]) what its values are multiplied by: 1 / s, or (1 / g) / s
//   nvfp4_encode_value(x, r)       one code, fp4(clamp(x * r, -6, 6))
AO_HOST_DEVICE constexpr float8_e4m3fn nvfp4_block_scale(float amax) noexcept {
  return float8_e4m3fn(detail::nvfp4_clamp(amax / nvfp4::element_max, nvfp4::scale_min, nvfp4::scale_max));
}
// The division by the global scale is x86's (torch_divide): a tensor of zeros has a global scale of 0, and 0 / 0 is
// x86's negative default NaN (scale byte 0xFF) where the GPU's division would give a positive one (0x7F).
AO_HOST_DEVICE constexpr float8_e4m3fn nvfp4_block_scale(float amax, float global_scale) noexcept {
  return float8_e4m3fn(detail::nvfp4_clamp(
      detail::torch_divide<float8_arithmetic::torch_cpu>(amax / nvfp4::element_max, global_scale), nvfp4::scale_min,
      nvfp4::scale_max));
}
AO_HOST_DEVICE constexpr float nvfp4_block_multiplier(float8_e4m3fn s) noexcept { return 1.0f / float(s); }
AO_HOST_DEVICE constexpr float nvfp4_block_multiplier(float8_e4m3fn s, float global_scale) noexcept {
  return (1.0f / global_scale) / float(s);
}

// Quantizes one block of 16 floats, single level: writes one fp4 code per byte (unpacked) to `codes` and returns
// the e4m3 scale byte, e4m3(clamp(amax / 6, 2^-6, 448)); codes are fp4(clamp(x * (1 / s), -6, 6)).
AO_HOST_DEVICE constexpr std::uint8_t nvfp4_quantize_block(const float* AO_RESTRICT x,
                                                           std::uint8_t* AO_RESTRICT codes) noexcept {
  const float8_e4m3fn s = nvfp4_block_scale(detail::abs_max(x, nvfp4::block_size));
  detail::nvfp4_encode_block(x, nvfp4_block_multiplier(s), codes);
  return s.bits();
}

// Two level, with the global scale g: the scale byte is e4m3(clamp((amax / 6) / g, 2^-6, 448)) and codes are
// fp4(clamp(x * ((1 / g) / s), -6, 6)). g = 1 gives the single-level bytes.
AO_HOST_DEVICE constexpr std::uint8_t nvfp4_quantize_block(const float* AO_RESTRICT x, float global_scale,
                                                           std::uint8_t* AO_RESTRICT codes) noexcept {
  const float8_e4m3fn s = nvfp4_block_scale(detail::abs_max(x, nvfp4::block_size), global_scale);
  detail::nvfp4_encode_block(x, nvfp4_block_multiplier(s, global_scale), codes);
  return s.bits();
}

// The element-level steps of nvfp4_dequantize_block: nvfp4_dequantize_multiplier(scale[, g]) is s, or fl32(g * s);
// nvfp4_dequantize_value<Out>(code, m) is Out(fp4(code) * m), rounded once from fp32.
AO_HOST_DEVICE constexpr float nvfp4_dequantize_multiplier(std::uint8_t scale) noexcept {
  return float(float8_e4m3fn::from_bits(scale));
}
AO_HOST_DEVICE constexpr float nvfp4_dequantize_multiplier(std::uint8_t scale, float global_scale) noexcept {
  return ao::detail::torch_multiply(global_scale, float(float8_e4m3fn::from_bits(scale)));
}
template <class Out = float>
AO_HOST_DEVICE constexpr Out nvfp4_dequantize_value(std::uint8_t code, float multiplier) noexcept {
  const float v = ao::detail::torch_multiply(float(float4_e2m1fn::from_bits(code)), multiplier);  // x86's NaN
  if constexpr (std::is_same_v<Out, float>) {
    return v;
  } else {
    return Out(v);
  }
}

// Dequantizes one block to fp32: out[i] = fp4(codes[i]) * s (exact), or fp4(codes[i]) * fl32(g * s).
//
// To bfloat16 (a tensor quantized from bf16) as torchao's to_dtype(torch.bfloat16) does: the scale in fp32,
// fl32(g * s) with the fp32 global scale (or s alone), the fp32 codes times it, then one rounding to bf16:
// out[i] = bf16(fp4(codes[i]) * fl32(g * s)). That is what torchao's checkpoints hold
// (checkpoints/nvfp4__global-scale.dequant.safetensors: 6,573 of its 32,768 bf16-weight values differ from
// bf16(fp4 * bf16(bf16(g) * s)), the order ao followed before; the interop checkpoint cannot tell the two apart).
// To float16 the same, with fp16 in place of bf16 (a tensor quantized from fp16).
template <class Out = float,
          class = std::enable_if_t<std::is_same_v<Out, float> || std::is_same_v<Out, bfloat16> ||
                                   std::is_same_v<Out, float16>>>
AO_HOST_DEVICE constexpr void nvfp4_dequantize_block(const std::uint8_t* AO_RESTRICT codes, std::uint8_t scale,
                                                     Out* AO_RESTRICT out) noexcept {
  const float m = nvfp4_dequantize_multiplier(scale);
  for (int i = 0; i < nvfp4::block_size; ++i) out[i] = nvfp4_dequantize_value<Out>(codes[i], m);
}
template <class Out = float,
          class = std::enable_if_t<std::is_same_v<Out, float> || std::is_same_v<Out, bfloat16> ||
                                   std::is_same_v<Out, float16>>>
AO_HOST_DEVICE constexpr void nvfp4_dequantize_block(const std::uint8_t* AO_RESTRICT codes, std::uint8_t scale,
                                                     float global_scale, Out* AO_RESTRICT out) noexcept {
  const float m = nvfp4_dequantize_multiplier(scale, global_scale);
  for (int i = 0; i < nvfp4::block_size; ++i) out[i] = nvfp4_dequantize_value<Out>(codes[i], m);
}

namespace detail {

// Quantizes rows x cols (cols a multiple of 16): qdata rows x cols/2 bytes, scales rows x cols/16 bytes.
template <bool Global>
void nvfp4_quantize_rows(const float* x, std::size_t rows, std::size_t cols, float global_scale,
                         std::uint8_t* qdata, std::uint8_t* scales) {
  check_nvfp4_shape("quantize", rows, cols);
  const std::size_t blocks = scales_per_row<nvfp4>(cols);
  std::uint8_t codes[nvfp4::block_size];
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t first = r * cols + b * nvfp4::block_size;
      scales[r * blocks + b] =
          Global ? nvfp4_quantize_block(x + first, global_scale, codes) : nvfp4_quantize_block(x + first, codes);
      std::uint8_t* out = qdata + first / 2;
      for (int i = 0; i < nvfp4::block_size; i += 2) {
        out[i / 2] = static_cast<std::uint8_t>(codes[i] | (codes[i + 1] << 4));
      }
    }
  }
}

template <bool Global, class Out>
void nvfp4_dequantize_rows(const std::uint8_t* qdata, const std::uint8_t* scales, std::size_t rows,
                           std::size_t cols, float global_scale, Out* out) {
  check_nvfp4_shape("dequantize", rows, cols);
  const std::size_t blocks = scales_per_row<nvfp4>(cols);
  std::uint8_t codes[nvfp4::block_size];
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t first = r * cols + b * nvfp4::block_size;
      const std::uint8_t* in = qdata + first / 2;
      for (int i = 0; i < nvfp4::block_size; i += 2) {
        codes[i] = in[i / 2] & 0x0F;
        codes[i + 1] = static_cast<std::uint8_t>(in[i / 2] >> 4);
      }
      if constexpr (Global) {
        nvfp4_dequantize_block(codes, scales[r * blocks + b], global_scale, out + first);
      } else {
        nvfp4_dequantize_block(codes, scales[r * blocks + b], out + first);
      }
    }
  }
}

}  // namespace detail

// Quantizes a row-major rows x cols matrix, single level: qdata is rows x packed_row_bytes<nvfp4>(cols) bytes (fp4
// two a byte, low nibble first), scales rows x scales_per_row<nvfp4>(cols) e4m3 bytes (row-major). cols must be a
// multiple of 16 (ao::error otherwise).
inline void nvfp4_quantize_rows(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* qdata,
                                std::uint8_t* scales) {
  detail::nvfp4_quantize_rows<false>(x, rows, cols, 1.0f, qdata, scales);
}
// Two level, with the global scale g (nvfp4_global_scale, or a calibrated one).
inline void nvfp4_quantize_rows(const float* x, std::size_t rows, std::size_t cols, float global_scale,
                                std::uint8_t* qdata, std::uint8_t* scales) {
  detail::nvfp4_quantize_rows<true>(x, rows, cols, global_scale, qdata, scales);
}

// The inverse of nvfp4_quantize_rows, to fp32 (torchao's to_dtype(torch.float32) of a tensor quantized from fp32).
inline void nvfp4_dequantize_rows(const std::uint8_t* qdata, const std::uint8_t* scales, std::size_t rows,
                                  std::size_t cols, float* out) {
  detail::nvfp4_dequantize_rows<false>(qdata, scales, rows, cols, 1.0f, out);
}
inline void nvfp4_dequantize_rows(const std::uint8_t* qdata, const std::uint8_t* scales, std::size_t rows,
                                  std::size_t cols, float global_scale, float* out) {
  detail::nvfp4_dequantize_rows<true>(qdata, scales, rows, cols, global_scale, out);
}

// To bfloat16, as torchao's to_dtype(torch.bfloat16) of a tensor quantized from bf16 (see nvfp4_dequantize_block).
inline void nvfp4_dequantize_rows(const std::uint8_t* qdata, const std::uint8_t* scales, std::size_t rows,
                                  std::size_t cols, bfloat16* out) {
  detail::nvfp4_dequantize_rows<false>(qdata, scales, rows, cols, 1.0f, out);
}
inline void nvfp4_dequantize_rows(const std::uint8_t* qdata, const std::uint8_t* scales, std::size_t rows,
                                  std::size_t cols, float global_scale, bfloat16* out) {
  detail::nvfp4_dequantize_rows<true>(qdata, scales, rows, cols, global_scale, out);
}

}  // namespace ao::scalar
