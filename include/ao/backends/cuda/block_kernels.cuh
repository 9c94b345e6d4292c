// ao/backends/cuda/block_kernels.cuh: the CUDA kernels of block-scaled formats (MX, NVFP4), row-wise: blocks of
// F::block_size consecutive values along the last dim, one scale byte each, row-major scales.
//
// Quantize. A block is split over T lanes of a warp (T = block_size / 8 when that is a power of two <= 32, e.g. 4
// lanes for MXFP8's 32; block_size / 16 for 4-bit elements: 2 for MXFP4, 1 for NVFP4), each lane holding
// V = block_size / T consecutive values in registers
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

// Lanes per block (T) and values per lane (V) of the quantize kernel: runs of 8 values a lane (16 for 4-bit
// elements, whose software encoder makes the kernel instruction-bound: longer runs spread each lane's fixed work,
// the loop, the addresses and the scale, over more values).
template <class F>
struct block_split {
  static constexpr int block = block_codec<F>::block_size;
  static constexpr int run = block_codec<F>::elements_per_byte == 2 ? 16 : 8;
  static constexpr bool split = block % run == 0 && block / run <= 32 && ((block / run) & (block / run - 1)) == 0;
  static constexpr int lanes = split ? block / run : 1;
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

// Two codes of encode_finite_pair (bits 0-7 and 8-15) as the format stores them: one byte each (bits 0-15), or
// one byte of two nibbles, low nibble first (bits 0-7).
template <int E>
AO_DEVICE AO_FORCEINLINE std::uint32_t stored_pair(std::uint32_t pair) {
  if constexpr (E == 2) {
    return (pair & 0xFu) | ((pair >> 4) & 0xF0u);
  } else {
    return pair;
  }
}

// The codes of V values of one block (scale b, max |x| bits amax) as the format stores them: one a byte, or two a
// byte, low nibble first. A finite block (amax below +Inf's bits) whose codec has encode_finite_pair takes it.
// encode_values writes the V / E bytes to a byte array, encode_words to V / E / 4 little-endian 32-bit words
// (when V / E is a multiple of 4), which kernels store without taking the bytes apart.
template <int V, class Codec>
AO_DEVICE AO_FORCEINLINE void encode_values(const Codec& codec, const float* x, const typename Codec::block_params& b,
                                            std::uint32_t amax, std::uint8_t* packed) {
  constexpr int E = Codec::elements_per_byte;
  if constexpr (has_finite_pair_encoder<Codec>::value && V % 2 == 0) {
    if (amax < 0x7F800000u) {
      AO_UNROLL
      for (int j = 0; j < V; j += 2) {
        const std::uint32_t pair = stored_pair<E>(codec.encode_finite_pair(x[j], x[j + 1], b));
        packed[j / E] = static_cast<std::uint8_t>(pair);
        if constexpr (E == 1) packed[j + 1] = static_cast<std::uint8_t>(pair >> 8);
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
template <int V, class Codec>
AO_DEVICE AO_FORCEINLINE void encode_words(const Codec& codec, const float* x, const typename Codec::block_params& b,
                                           std::uint32_t amax, std::uint32_t* words) {
  constexpr int E = Codec::elements_per_byte, bits_per_code = 8 / E;
  static_assert(V % (4 * E) == 0, "encode_words: whole words of codes");
  AO_UNROLL
  for (int i = 0; i < V / (4 * E); ++i) words[i] = 0;
  if constexpr (has_finite_pair_encoder<Codec>::value) {
    if (amax < 0x7F800000u) {
      AO_UNROLL
      for (int j = 0; j < V; j += 2) {
        const int bit = (j * bits_per_code) % 32;
        words[j * bits_per_code / 32] |= stored_pair<E>(codec.encode_finite_pair(x[j], x[j + 1], b)) << bit;
      }
      return;
    }
  }
  AO_UNROLL
  for (int j = 0; j < V; ++j) {
    words[j * bits_per_code / 32] |= static_cast<std::uint32_t>(codec.encode(x[j], b)) << ((j * bits_per_code) % 32);
  }
}

// Encodes V values of one block and stores their codes (V / E bytes) at `out`; `wide`: out is aligned for
// V / E-byte stores (vector_io.cuh).
template <int V, class Codec>
AO_DEVICE AO_FORCEINLINE void encode_and_store(const Codec& codec, const float* x,
                                               const typename Codec::block_params& b, std::uint32_t amax,
                                               std::uint8_t* out, bool wide) {
  constexpr int bytes = V / Codec::elements_per_byte;
  if constexpr (bytes % 4 == 0) {
    std::uint32_t words[bytes / 4];
    encode_words<V>(codec, x, b, amax, words);
    store_words<bytes / 4>(out, words, wide);
  } else {
    std::uint8_t packed[bytes];
    encode_values<V>(codec, x, b, amax, packed);
    store_bytes<bytes>(out, packed, wide);
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
        load_values_unfinished<V>(src_row + static_cast<std::size_t>(v) * V, x, wide_src);
      } else {
        AO_UNROLL
        for (int j = 0; j < V; ++j) x[j] = 0.0f;
      }
      // max |x| as bits (ordered like the values, NaN above all), as the oracle's abs_max computes it; with the
      // NaNs widen() gives (the canonical one for bf16 / fp16 sources), which only the rare blocks that have a
      // NaN or an Inf finish converting.
      std::uint32_t amax = 0;
      AO_UNROLL
      for (int j = 0; j < V; ++j) amax = max(amax, abs_bits(x[j]));
      AO_UNROLL
      for (int o = T / 2; o > 0; o /= 2) amax = max(amax, shuffle_xor(amax, o));
      if constexpr (!std::is_same_v<Src, float>) amax = amax > 0x7F800000u ? 0x7FC00000u : amax;
      if (!valid) continue;
      if (amax >= 0x7F800000u) {
        AO_UNROLL
        for (int j = 0; j < V; ++j) x[j] = finish_widen<Src>(x[j]);
      }
      const auto b = codec.template of<Src>(ao::detail::bit_cast<float>(amax));
      encode_and_store<V>(codec, x, b, amax, data_row + static_cast<std::size_t>(v) * (V / E), wide_data);
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
      std::uint8_t codes[V];
      AO_UNROLL
      for (int j = 0; j < V; ++j) {
        codes[j] = E == 2 ? static_cast<std::uint8_t>((packed[j / E] >> (4 * (j % E))) & 0xF) : packed[j];
      }
      float y[V];
      if (!decode_scaled_float8<typename F::element_type, V>(codes, m, y)) {
        AO_UNROLL
        for (int j = 0; j < V; ++j) y[j] = codec.decode(codes[j], m);
      }
      store_values<V>(dst_row + static_cast<std::size_t>(v) * V, y, wide_dst);
    }
  }
}

}  // namespace ao::cuda::detail
