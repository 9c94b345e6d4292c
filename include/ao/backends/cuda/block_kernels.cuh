// ao/backends/cuda/block_kernels.cuh: the CUDA kernels of block-scaled formats (MX, NVFP4), row-wise: blocks of
// F::block_size consecutive values along the last dim, one scale byte each, row-major scales.
//
// Quantize. A block is split over T lanes of a warp (T = block_size / 8 when that is a power of two <= 32, e.g. 4
// lanes for MX's 32, 2 for NVFP4's 16), each lane holding V = block_size / T consecutive values in registers
// (loaded 16 bytes at a time when aligned). The lanes of a block exchange their max |x| with shuffles, compute
// the block's scale with the oracle's function, encode their own V values and store them (V bytes, or V / 2 for
// 4-bit elements); the block's first lane stores the scale. Any other block size: one lane per block (T = 1).
// Groups of T lanes are aligned within a warp and the row length is a multiple of the block, so a block never
// straddles warps, and every lane of a warp takes part in every shuffle.
//
// Dequantize. One thread per V values (V = 8 when the block allows), codes loaded and outputs stored as vectors.
//
// Scales: row-major (scale (r, b) at scales[r * scales_stride + b]) or, with SwizzledScales, torchao's 128x4
// blocked layout of the rows x cols/block_size scale matrix (ao/layout/scale_swizzle.hpp; scales_stride unused),
// one byte per scale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/block_codec.cuh"
#include "ao/backends/cuda/float8_decode.cuh"
#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/config.hpp"
#include "ao/layout/scale_swizzle.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::cuda::detail {

// Lanes per block (T) and values per lane (V) of the quantize kernel.
template <class F>
struct block_split {
  static constexpr int block = block_codec<F>::block_size;
  static constexpr bool split = block % 8 == 0 && block / 8 <= 32 && ((block / 8) & (block / 8 - 1)) == 0;
  static constexpr int lanes = split ? block / 8 : 1;
  static constexpr int values = block / lanes;
};

// Values per thread of the dequantize kernel: the largest of 8, 4, 2, 1 that divides the block and holds whole
// bytes of codes.
template <class F>
AO_HOST_DEVICE constexpr int dequantize_vector() {
  constexpr int b = F::block_size, e = F::elements_per_byte;
  return b % 8 == 0 ? 8 : b % 4 == 0 && 4 % e == 0 ? 4 : b % 2 == 0 && 2 % e == 0 ? 2 : 1;
}

AO_DEVICE AO_FORCEINLINE std::uint32_t abs_bits(float x) {
  return ao::detail::bit_cast<std::uint32_t>(x) & 0x7FFFFFFFu;
}

// Where scale (r, b) of a matrix with scale_cols scales a row lives, in elements from the scales' base.
template <bool SwizzledScales>
AO_DEVICE AO_FORCEINLINE std::size_t scale_index(std::size_t r, std::size_t b, std::ptrdiff_t scales_stride,
                                                 std::size_t scale_cols) {
  if constexpr (SwizzledScales) {
    return layout::swizzled_offset(r, b, scale_cols);
  } else {
    return static_cast<std::size_t>(static_cast<std::ptrdiff_t>(r) * scales_stride) + b;
  }
}

template <class Codec, class = void>
struct has_finite_pair_encoder : std::false_type {};
template <class Codec>
struct has_finite_pair_encoder<Codec, std::void_t<decltype(&Codec::encode_finite_pair)>> : std::true_type {};

// The codes of V values of one block (scale b, max |x| bits amax) as the format stores them: one a byte, or two a
// byte, low nibble first. A finite block (amax below +Inf's bits) whose codec has encode_finite_pair takes it.
template <int V, class Codec>
AO_DEVICE AO_FORCEINLINE void encode_values(const Codec& codec, const float* x, const typename Codec::block_params& b,
                                            std::uint32_t amax, std::uint8_t* packed) {
  constexpr int E = Codec::elements_per_byte;
  if constexpr (has_finite_pair_encoder<Codec>::value && V % 2 == 0) {
    if (amax < 0x7F800000u) {
      AO_UNROLL
      for (int j = 0; j < V; j += 2) {
        const std::uint32_t pair = codec.encode_finite_pair(x[j], x[j + 1], b);
        if constexpr (E == 2) {
          packed[j / 2] = static_cast<std::uint8_t>((pair & 0xF) | ((pair >> 4) & 0xF0));
        } else {
          packed[j] = static_cast<std::uint8_t>(pair);
          packed[j + 1] = static_cast<std::uint8_t>(pair >> 8);
        }
      }
      return;
    }
  }
  AO_UNROLL
  for (int j = 0; j < V; j += E) {
    if constexpr (E == 2) {
      packed[j / 2] = static_cast<std::uint8_t>(codec.encode(x[j], b) | (codec.encode(x[j + 1], b) << 4));
    } else {
      packed[j] = codec.encode(x[j], b);
    }
  }
}

// Both kernels run on a 2-D grid: blockIdx.y (striding by gridDim.y) walks rows, x walks the row's runs of V
// values (striding by gridDim.x * blockDim.x), so no thread divides by the row length. blockDim.x is a multiple of
// 32, and per_row is a multiple of T, so a warp's groups of T lanes are all valid or all invalid together.
template <class F, class Src, bool SwizzledScales = false>
__global__ void __launch_bounds__(256)
    quantize_blocks_kernel(const Src* AO_RESTRICT src, std::ptrdiff_t src_stride, std::size_t rows, std::size_t cols,
                           std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride,
                           typename block_codec<F>::scale_storage* AO_RESTRICT scales, std::ptrdiff_t scales_stride,
                           block_codec<F> codec, bool wide_src, bool wide_data) {
  using codec_type = block_codec<F>;
  using S = typename codec_type::scale_storage;
  constexpr int T = block_split<F>::lanes, V = block_split<F>::values, E = codec_type::elements_per_byte;
  const unsigned per_row = static_cast<unsigned>(cols / V);
  const std::size_t scale_cols = cols / codec_type::block_size;
  const unsigned lane = threadIdx.x % 32u;
  for (std::size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const Src* src_row = src + static_cast<std::ptrdiff_t>(r) * src_stride;
    std::uint8_t* data_row = data + static_cast<std::ptrdiff_t>(r) * data_stride;
    for (unsigned first = blockIdx.x * blockDim.x; first < per_row; first += gridDim.x * blockDim.x) {
      const unsigned v = first + threadIdx.x;
      const bool valid = v < per_row;
      float x[V];
      if (valid) {
        load_values<V>(src_row + static_cast<std::size_t>(v) * V, x, wide_src);
      } else {
        AO_UNROLL
        for (int j = 0; j < V; ++j) x[j] = 0.0f;
      }
      // max |x| as bits (ordered like the values, NaN above all), as the oracle's abs_max computes it.
      std::uint32_t amax = 0;
      AO_UNROLL
      for (int j = 0; j < V; ++j) amax = max(amax, abs_bits(x[j]));
      AO_UNROLL
      for (int o = T / 2; o > 0; o /= 2) amax = max(amax, shuffle_xor(amax, o));
      if (!valid) continue;
      const auto b = codec.template of<Src>(ao::detail::bit_cast<float>(amax));
      std::uint8_t packed[V / E];
      encode_values<V>(codec, x, b, amax, packed);
      store_bytes<V / E>(data_row + static_cast<std::size_t>(v) * (V / E), packed, wide_data);
      if (lane % T == 0) {
        const std::size_t block = static_cast<std::size_t>(v) * V / codec_type::block_size;
        scales[scale_index<SwizzledScales>(r, block, scales_stride, scale_cols)] = codec.stored_scale(b);
      }
    }
  }
}

template <class F, class Out, bool SwizzledScales = false>
__global__ void __launch_bounds__(256)
    dequantize_blocks_kernel(const std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride,
                             const std::uint8_t* AO_RESTRICT scales, std::ptrdiff_t scales_stride, std::size_t rows,
                             std::size_t cols, Out* AO_RESTRICT dst, std::ptrdiff_t dst_stride, block_codec<F> codec,
                             bool wide_data, bool wide_dst) {
  constexpr int V = dequantize_vector<F>(), E = F::elements_per_byte;
  const unsigned per_row = static_cast<unsigned>(cols / V);
  const std::size_t scale_cols = cols / F::block_size;
  for (std::size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const std::uint8_t* data_row = data + static_cast<std::ptrdiff_t>(r) * data_stride;
    Out* dst_row = dst + static_cast<std::ptrdiff_t>(r) * dst_stride;
    for (unsigned v = blockIdx.x * blockDim.x + threadIdx.x; v < per_row; v += gridDim.x * blockDim.x) {
      std::uint8_t packed[V / E];
      load_bytes<V / E>(packed, data_row + static_cast<std::size_t>(v) * (V / E), wide_data);
      const std::size_t block = static_cast<std::size_t>(v) * V / F::block_size;
      const float m =
          codec.template multiplier<Out>(scales[scale_index<SwizzledScales>(r, block, scales_stride, scale_cols)]);
      float y[V];
      bool decoded = false;
      if constexpr (E == 1) decoded = decode_scaled_float8<typename F::element_type, V>(packed, m, y);
      if (!decoded) {
        AO_UNROLL
        for (int j = 0; j < V; ++j) {
          const std::uint8_t code =
              E == 2 ? static_cast<std::uint8_t>((packed[j / E] >> (4 * (j % E))) & 0xF) : packed[j];
          y[j] = codec.decode(code, m);
        }
      }
      store_values<V>(dst_row + static_cast<std::size_t>(v) * V, y, wide_dst);
    }
  }
}

}  // namespace ao::cuda::detail
