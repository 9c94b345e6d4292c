// ao/backends/cuda/skinny_mma_kernel.cuh: the tensor-core version of the weight-only skinny matmul (M = 2..16 rows
// of bf16 x), for weights whose values are exact in bf16 up to a per-row factor (weight_decoder.cuh's `mma`): MX,
// NVFP4, FP8 per tensor or row, affine per row with an integer zero point.
//
// Work split. A block of 4 warps owns 8 rows of W (the n of one m16n8k16 mma) and splits K between its warps:
// round r (4 * V consecutive values of K, V = a 16-byte chunk's values: 16 for 8-bit codes, 32 for 4-bit) goes to
// warp r % 4. In a round, lane (g, t) = (lane / 4, lane % 4) loads the 16 bytes of row n0 + g holding values
// [round + t V, round + (t + 1) V), decodes them in registers to bf16 (exact), and the same V values of x's rows g
// and g + 8 (raw bf16 words, zero rows past M). Since a dot product does not depend on which k goes to which of
// the mma's 16 k slots, mma j takes the lane's values 4j .. 4j + 3 as its slots 2t, 2t + 1, 2t + 8, 2t + 9 for A
// (x) and B (W) alike: no shuffles, and x's words are the A fragment as they are.
//
// Arithmetic. x and the decoded W are exact; the tensor cores add their products into fp32 accumulators (in their
// own order and rounding; NVIDIA does not specify it beyond fp32 accumulation). The 4 warps' 16 x 8 tiles are then
// added in warp order through shared memory, multiplied by the row factor (the FP8 / affine scale, NVFP4's
// global scale), the bias added, and the result rounded once to y's dtype. tests/cuda/matmul_device_test.cu checks
// the result against a float64 sum within a stated bound.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/backends/cuda/gemv_kernel.cuh"
#include "ao/backends/cuda/hip.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/backends/cuda/weight_decoder.cuh"
#include "ao/config.hpp"
#include "ao/numeric/bfloat16.hpp"

namespace ao::cuda::detail {

constexpr unsigned mma_warps = 4;

// The bf16 bits of a float that is exact in bf16 (its low 16 bits are zero), two to a word, a in the low half.
AO_DEVICE AO_FORCEINLINE std::uint32_t pack_exact_bf16(float a, float b) {
  return (__float_as_uint(a) >> 16) | (__float_as_uint(b) & 0xFFFF0000u);
}

// d += A (16 x 16, bf16, row) * B (16 x 8, bf16, col), fp32 accumulators.
AO_DEVICE AO_FORCEINLINE void mma_bf16_16816(float* d, const std::uint32_t* a, std::uint32_t b0, std::uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
  (void)d, (void)a, (void)b0, (void)b1;
  __builtin_trap();  // the host launches this kernel only on sm_80 and later
#endif
}

template <class D>
struct mma_chunk {
  static constexpr int values = 16 * D::codes_per_byte;  // per lane and round
  static constexpr int round = 4 * values;               // K values per round
  static constexpr int run = (D::group == 0 || D::group >= values) ? values : D::group;
  static constexpr bool fits = D::mma && values % run == 0 && (D::group == 0 || D::group % run == 0);
};

template <class D>
__global__ void __launch_bounds__(mma_warps * 32)
    skinny_mma_kernel(const ao::bfloat16* AO_RESTRICT x, std::ptrdiff_t x_stride, unsigned m, std::size_t n,
                      std::size_t k, const std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride, D decoder,
                      const float* AO_RESTRICT bias, void* AO_RESTRICT y, std::ptrdiff_t y_stride, bool y_bf16) {
  constexpr int V = mma_chunk<D>::values, ROUND = mma_chunk<D>::round, RUN = mma_chunk<D>::run;
  constexpr int E = D::codes_per_byte, PARAMS = V / RUN, XW = V / 2;  // x words per row and round
  constexpr int U = E == 2 ? 2 : 4;                                   // rounds in flight per warp
  static_assert(mma_chunk<D>::fits, "skinny_mma_kernel: a format without the tensor-core decode");
  const unsigned warp = threadIdx.x / 32u, lane = threadIdx.x % 32u, g = lane / 4u, t = lane % 4u;
  const std::size_t n0 = static_cast<std::size_t>(blockIdx.x) * 8;
  const std::size_t row = n0 + g < n ? n0 + g : n - 1;  // rows past N repeat the last one (never stored)
  const std::uint8_t* w_row = data + static_cast<std::ptrdiff_t>(row) * data_stride;
  const bool x_lo = g < m, x_hi = g + 8 < m;
  const ao::bfloat16* x_lo_row = x + static_cast<std::ptrdiff_t>(x_lo ? g : 0) * x_stride;
  const ao::bfloat16* x_hi_row = x + static_cast<std::ptrdiff_t>(x_hi ? g + 8 : 0) * x_stride;
  const std::size_t rounds = k / ROUND;
  float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (std::size_t first = warp; first < rounds; first += mma_warps * U) {
    std::uint32_t words[U][4];
    typename D::mma_param params[U][PARAMS];
    std::uint32_t xa[U][XW], xb[U][XW];
    AO_UNROLL
    for (int u = 0; u < U; ++u) {
      const std::size_t r = first + static_cast<std::size_t>(u) * mma_warps;
      const std::size_t k0 = r * ROUND + t * V;  // this lane's first value
      if (r < rounds) {
        load_code_words<16>(words[u], w_row + k0 / E);
        AO_UNROLL
        for (int q = 0; q < PARAMS; ++q) params[u][q] = decoder.mma_load(row, k0 + q * RUN);
        AO_UNROLL
        for (int i = 0; i < XW; i += 4) {
          const ::uint4 lo = x_lo ? *reinterpret_cast<const ::uint4*>(x_lo_row + k0 + 2 * i) : ::uint4{0, 0, 0, 0};
          const ::uint4 hi = x_hi ? *reinterpret_cast<const ::uint4*>(x_hi_row + k0 + 2 * i) : ::uint4{0, 0, 0, 0};
          xa[u][i] = lo.x, xa[u][i + 1] = lo.y, xa[u][i + 2] = lo.z, xa[u][i + 3] = lo.w;
          xb[u][i] = hi.x, xb[u][i + 1] = hi.y, xb[u][i + 2] = hi.z, xb[u][i + 3] = hi.w;
        }
      }
    }
    AO_UNROLL
    for (int u = 0; u < U; ++u) {
      if (first + static_cast<std::size_t>(u) * mma_warps >= rounds) continue;
      AO_UNROLL
      for (int j = 0; j < V / 4; ++j) {
        float w[4];
        AO_UNROLL
        for (int v = 0; v < 4; ++v)
          w[v] = decoder.mma_value(code_of<E>(words[u], 4 * j + v), params[u][(4 * j + v) / RUN]);
        const std::uint32_t a[4] = {xa[u][2 * j], xb[u][2 * j], xa[u][2 * j + 1], xb[u][2 * j + 1]};
        mma_bf16_16816(d, a, pack_exact_bf16(w[0], w[1]), pack_exact_bf16(w[2], w[3]));
      }
    }
  }
  // The warps' tiles, added in warp order; lane (g, t) holds (row g, cols 2t, 2t + 1) and (row g + 8, same cols).
  __shared__ float tiles[mma_warps][32][4];
  AO_UNROLL
  for (int i = 0; i < 4; ++i) tiles[warp][lane][i] = d[i];
  __syncthreads();
  if (warp != 0) return;
  AO_UNROLL
  for (int i = 0; i < 4; ++i) {
    float s = tiles[0][lane][i];
    AO_UNROLL
    for (unsigned w = 1; w < mma_warps; ++w) s += tiles[w][lane][i];
    const unsigned mi = i < 2 ? g : g + 8;
    const std::size_t col = n0 + 2 * t + (i & 1);
    if (mi < m && col < n) {
      s = __fmul_rn(s, decoder.row_factor(col));
      if (bias != nullptr) s += bias[col];
      const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(mi) * y_stride + static_cast<std::ptrdiff_t>(col);
      if (y_bf16) {
        static_cast<ao::bfloat16*>(y)[at] = narrow<ao::bfloat16>(s);
      } else {
        static_cast<float*>(y)[at] = s;
      }
    }
  }
}

}  // namespace ao::cuda::detail
