// benchmarks/xsimd_kernels.hpp: MXFP4 and FP8 e4m3 per-row quantize/dequantize written with xsimd (8.1), as a
// third way to vectorize ao's kernels, beside the compiler's auto-vectorization of the scalar oracle and Highway.
// Same bytes as ao's scalar oracle for finite inputs (checked at the benchmark's start-up, ties and element
// subnormals included); NaN and infinity inputs are not handled. fp32 in, fp32 out, row-major, dense.
//
//   mxfp4 (floor rule, block 32): scale byte = max(biased exponent of the block's amax - 2, 0); elements
//     x * 2^(127 - scale), then e2m1 with RNE and saturation at 6: seven threshold compares (a tie goes up only
//     where the upper code is even); the sign kept, so a negative value that rounds to zero is -0 (code 8).
//   float8_e4m3 per row (torchao numerics): scale = amax / 448 (fp32 division); code = e4m3(clamp(x / scale,
//     +-448)), RNE: normals by the add-half-ulp-minus-one-plus-the-kept-lsb trick on the bits, element subnormals
//     by adding 2^14 (whose ulp is e4m3's subnormal step 2^-9) and reading the difference of the bits.
//   Decoding: the code's magnitude bits shifted into fp32's exponent/mantissa fields, times 2^(127 - bias) (exact,
//     also for the element's subnormals, which become fp32 subnormals before the product), then times the scale.
// xsimd 8 has no narrowing store nor byte shuffles, so codes go through a small int32 buffer to bytes (and bytes
// back to int32 lanes) with plain loops; that is part of what this comparison measures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

namespace ao_bench::xs {

using fbatch = xsimd::batch<float>;
using ibatch = xsimd::batch<std::int32_t>;
static_assert(fbatch::size == ibatch::size, "xsimd float and int32 batches of one width");
constexpr std::size_t kLanes = fbatch::size;

inline std::uint32_t bits_of(float f) noexcept {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float float_of(std::uint32_t u) noexcept {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// ---- MXFP4 ----

// e2m1 codes of y (finite), sign in bit 3.
inline ibatch e2m1_codes(const fbatch& y) {
  const fbatch a = xsimd::abs(y);
  const fbatch one(1.0f), zero(0.0f);
  // Codes 0..7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6; a tie rounds to the even code.
  fbatch c = xsimd::select(a > fbatch(0.25f), one, zero);
  c += xsimd::select(a >= fbatch(0.75f), one, zero);
  c += xsimd::select(a > fbatch(1.25f), one, zero);
  c += xsimd::select(a >= fbatch(1.75f), one, zero);
  c += xsimd::select(a > fbatch(2.5f), one, zero);
  c += xsimd::select(a >= fbatch(3.5f), one, zero);
  c += xsimd::select(a > fbatch(5.0f), one, zero);
  const ibatch sign = (xsimd::bitwise_cast<ibatch>(y) >> 31) & ibatch(8);
  return xsimd::to_int(c) | sign;
}

// One block of 32 floats: writes 16 packed bytes (element 2i in the low nibble) and returns the scale byte.
inline std::uint8_t mxfp4_quantize_block(const float* x, std::uint8_t* out) {
  constexpr std::size_t kBatches = 32 / kLanes;
  fbatch v[kBatches];
  fbatch m(0.0f);
  for (std::size_t b = 0; b < kBatches; ++b) {
    v[b] = fbatch::load_unaligned(x + b * kLanes);
    m = xsimd::max(m, xsimd::abs(v[b]));
  }
  alignas(64) float lanes[kLanes];
  m.store_aligned(lanes);
  float amax = lanes[0];
  for (std::size_t i = 1; i < kLanes; ++i) amax = std::max(amax, lanes[i]);
  const int exponent = static_cast<int>((bits_of(amax) >> 23) & 0xFF);
  const std::uint8_t scale = static_cast<std::uint8_t>(exponent >= 2 ? exponent - 2 : 0);
  // 2^(127 - scale); scale <= 252 for finite values, so the exponent field is >= 2.
  const fbatch inverse(float_of(static_cast<std::uint32_t>(254 - scale) << 23));
  alignas(64) std::int32_t codes[32];
  for (std::size_t b = 0; b < kBatches; ++b) e2m1_codes(v[b] * inverse).store_aligned(codes + b * kLanes);
  for (std::size_t i = 0; i < 16; ++i) out[i] = static_cast<std::uint8_t>(codes[2 * i] | (codes[2 * i + 1] << 4));
  return scale;
}

inline void mxfp4_quantize(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* data,
                           std::uint8_t* scales) {
  const std::size_t blocks = rows * cols / 32;
  for (std::size_t b = 0; b < blocks; ++b) scales[b] = mxfp4_quantize_block(x + b * 32, data + b * 16);
}

inline void mxfp4_dequantize(const std::uint8_t* data, const std::uint8_t* scales, std::size_t rows, std::size_t cols,
                             float* out) {
  constexpr std::size_t kBatches = 32 / kLanes;
  const std::size_t blocks = rows * cols / 32;
  const fbatch exp_bias(0x1p126f);  // 2^(127 - 1): e2m1's bias is 1
  for (std::size_t blk = 0; blk < blocks; ++blk) {
    const std::uint8_t s = scales[blk];
    const float sf = s == 255 ? float_of(0x7FC00000u) : (s == 0 ? 0x1p-127f : float_of(std::uint32_t{s} << 23));
    const fbatch scale(sf);
    alignas(64) std::int32_t codes[32];
    const std::uint8_t* in = data + blk * 16;
    for (std::size_t i = 0; i < 16; ++i) {
      codes[2 * i] = in[i] & 0x0F;
      codes[2 * i + 1] = in[i] >> 4;
    }
    for (std::size_t b = 0; b < kBatches; ++b) {
      const ibatch c = ibatch::load_aligned(codes + b * kLanes);
      const ibatch fp32_bits = ((c & ibatch(7)) << 22) | ((c & ibatch(8)) << 28);
      const fbatch v = xsimd::bitwise_cast<fbatch>(fp32_bits) * exp_bias;
      (v * scale).store_unaligned(out + blk * 32 + b * kLanes);
    }
  }
}

// ---- FP8 e4m3 per row ----

// e4m3fn codes of y, |y| <= 448 (finite).
inline ibatch e4m3_codes(const fbatch& y) {
  const ibatch bits = xsimd::bitwise_cast<ibatch>(y);
  const ibatch sign = (bits >> 24) & ibatch(0x80);
  const ibatch a = bits & ibatch(0x7FFFFFFF);
  // Normal range (|y| >= 2^-6): round the fp32 mantissa to 3 bits (RNE), then rebias the exponent (127 -> 7).
  const ibatch rounded = (a + ibatch(0x7FFFF) + ((a >> 20) & ibatch(1))) >> 20;
  const ibatch normal = rounded - ibatch(120 << 3);
  // Below 2^-6: 2^14 + |y| rounds |y| to a multiple of 2^-9 (RNE); the bits above 2^14's are the code (0..8).
  const fbatch sum = xsimd::bitwise_cast<fbatch>(a) + fbatch(16384.0f);
  const ibatch subnormal = xsimd::bitwise_cast<ibatch>(sum) - ibatch(0x46800000);
  return xsimd::select(a < ibatch(0x3C800000), subnormal, normal) | sign;
}

inline void fp8_e4m3_per_row_quantize(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* data,
                                      float* scales) {
  const fbatch lo(-448.0f), hi(448.0f);
  alignas(64) std::int32_t codes[4 * kLanes];
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    std::uint8_t* out = data + r * cols;
    fbatch m0(0.0f), m1(0.0f);
    std::size_t c = 0;
    for (; c + 2 * kLanes <= cols; c += 2 * kLanes) {
      m0 = xsimd::max(m0, xsimd::abs(fbatch::load_unaligned(row + c)));
      m1 = xsimd::max(m1, xsimd::abs(fbatch::load_unaligned(row + c + kLanes)));
    }
    alignas(64) float lanes[kLanes];
    xsimd::max(m0, m1).store_aligned(lanes);
    float amax = 0.0f;
    for (std::size_t i = 0; i < kLanes; ++i) amax = std::max(amax, lanes[i]);
    for (; c < cols; ++c) amax = std::max(amax, std::fabs(row[c]));
    const float scale = amax / 448.0f;
    scales[r] = scale;
    const fbatch s(scale);
    c = 0;
    for (; c + 4 * kLanes <= cols; c += 4 * kLanes) {
      for (std::size_t b = 0; b < 4; ++b) {
        const fbatch y = xsimd::clip(fbatch::load_unaligned(row + c + b * kLanes) / s, lo, hi);
        e4m3_codes(y).store_aligned(codes + b * kLanes);
      }
      for (std::size_t i = 0; i < 4 * kLanes; ++i) out[c + i] = static_cast<std::uint8_t>(codes[i]);
    }
    for (; c < cols; ++c) {  // tail, one lane at a time through the same encoder
      const fbatch y = xsimd::clip(fbatch(row[c]) / s, lo, hi);
      e4m3_codes(y).store_aligned(codes);
      out[c] = static_cast<std::uint8_t>(codes[0]);
    }
  }
}

// fp32 bits of an e4m3fn code's value divided by 2^120 (times 2^120 afterwards: exact); the NaN codes give NaN.
inline ibatch e4m3_to_fp32_bits_scaled_input(const ibatch& c) {
  const ibatch mag = c & ibatch(0x7F);
  return xsimd::select(mag == ibatch(0x7F), ibatch(0x7FC00000), mag << 20) | ((c & ibatch(0x80)) << 24);
}

inline void fp8_e4m3_per_row_dequantize(const std::uint8_t* data, const float* scales, std::size_t rows,
                                        std::size_t cols, float* out) {
  const fbatch exp_bias(0x1p120f);  // 2^(127 - 7)
  alignas(64) std::int32_t codes[kLanes];
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint8_t* in = data + r * cols;
    float* o = out + r * cols;
    const fbatch s(scales[r]);
    std::size_t c = 0;
    for (; c + kLanes <= cols; c += kLanes) {
      for (std::size_t i = 0; i < kLanes; ++i) codes[i] = in[c + i];
      const ibatch code = ibatch::load_aligned(codes);
      const fbatch v = xsimd::bitwise_cast<fbatch>(e4m3_to_fp32_bits_scaled_input(code)) * exp_bias;
      (v * s).store_unaligned(o + c);
    }
    for (; c < cols; ++c) {
      const ibatch code(static_cast<std::int32_t>(in[c]));
      const fbatch v = xsimd::bitwise_cast<fbatch>(e4m3_to_fp32_bits_scaled_input(code)) * exp_bias;
      alignas(64) float lane[kLanes];
      (v * s).store_aligned(lane);
      o[c] = lane[0];
    }
  }
}

}  // namespace ao_bench::xs
