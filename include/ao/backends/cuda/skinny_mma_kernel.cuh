// ao/backends/cuda/skinny_mma_kernel.cuh: the tensor-core version of the weight-only skinny matmul (M = 2..16 rows
// of bf16 x, and M = 1 for fp4 weights), for weights whose values are exact in bf16 up to a per-row factor
// (weight_decoder.cuh's `mma`): MX, NVFP4, FP8 per tensor or row, affine per row with an integer zero point.
//
// Work split. A block of 4 warps owns 16 rows of W (up to 8 rows of x) or 8 (9 to 16 rows of x) and splits K
// between its warps: round r (4 * V consecutive values of K, V = a 16-byte chunk's values: 16 for 8-bit codes, 32
// for 4-bit) goes to warp r % 4. In a round, lane (g, t) = (lane / 4, lane % 4) loads the 16 bytes of W's rows
// n0 + g (and n0 + g + 8) holding values [round + t V, round + (t + 1) V), decodes them in registers to bf16
// (exact), and the same V values of x's row g (and g + 8: raw bf16 words, zero rows past M). Up to 8 rows of x,
// W is the m16n8k16 mma's A operand (16 x 16) and x its B (16 x 8); beyond, x is A and W is B. Since a dot
// product does not depend on which k goes to which of the mma's 16 k slots, mma j takes the lane's values
// 4j .. 4j + 3 as its slots 2t, 2t + 1, 2t + 8, 2t + 9 for both operands: no shuffles, and x's words are their
// fragment as they are.
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

// Eight e2m1 codes, code i in bits 4i .. 4i + 3 of w (sign in the top bit), as four words of two bf16 values each:
// pair j holds codes 2j (low half) and 2j + 1, exact (every e2m1 value is a bf16 value). Byte permutes (prmt) do
// the work: with the sign bits masked off, one looks up the high bytes of four magnitudes in an 8-byte table and
// one the low bytes; one gathers the four codes' sign bits into the top bits of four bytes, which are or-ed into
// the high bytes; one interleaves low and high bytes into two pairs. 15 integer instructions for 8 values.
AO_DEVICE AO_FORCEINLINE void e2m1_bf16_pairs(std::uint32_t w, std::uint32_t* pairs) {
  // bf16 of the magnitudes 0, 0.5, 1, 1.5 | 2, 3, 4, 6: 0000 3F00 3F80 3FC0 | 4000 4040 4080 40C0.
  constexpr std::uint32_t hi03 = 0x3F3F3F00u, hi47 = 0x40404040u, lo03 = 0xC0800000u, lo47 = 0xC0804000u;
  // Selector nibbles of 3 bits (prmt's fourth bit would ask for sign replication).
  const std::uint32_t m = w & 0x77777777u, w4 = w << 4;
  AO_UNROLL
  for (int h = 0; h < 2; ++h) {  // codes 4h .. 4h + 3
    const std::uint32_t sel = h == 0 ? m : m >> 16;
    // Byte i: code 4h + i's sign in bit 7 (byte 2h of w << 4 holds code 4h's sign there, byte 2h of w code 4h + 1's).
    const std::uint32_t signs = __byte_perm(w4, w, h == 0 ? 0x5140u : 0x7362u);
    const std::uint32_t hi = __byte_perm(hi03, hi47, sel) | (signs & 0x80808080u);
    const std::uint32_t lo = __byte_perm(lo03, lo47, sel);
    pairs[2 * h] = __byte_perm(lo, hi, 0x5140u);
    pairs[2 * h + 1] = __byte_perm(lo, hi, 0x7362u);
  }
}

// a * b on two bf16 pairs, each half rounded to nearest even (fma with -0, so that a zero product keeps its sign):
// exact here, where every product fits bf16.
AO_DEVICE AO_FORCEINLINE std::uint32_t bf16x2_mul(std::uint32_t a, std::uint32_t b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  std::uint32_t d;
  asm("fma.rn.bf16x2 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(b), "r"(0x80008000u));
  return d;
#else
  const auto half = [](std::uint32_t bits) { return __uint_as_float(bits << 16); };
  const float lo = half(a & 0xFFFFu) * half(b & 0xFFFFu), hi = half(a >> 16) * half(b >> 16);
  return (__float_as_uint(lo) >> 16) | (__float_as_uint(hi) & 0xFFFF0000u);  // exact products only
#endif
}

template <class D>
struct mma_chunk {
  static constexpr int values = 16 * D::codes_per_byte;  // per lane and round
  static constexpr int round = 4 * values;               // K values per round
  static constexpr int run = (D::group == 0 || D::group >= values) ? values : D::group;
  static constexpr bool fits = D::mma && values % run == 0 && (D::group == 0 || D::group % run == 0);
};

// Xs: whether x has more than 8 rows. Up to 8 (Xs = false), W is the mma's A operand (16 rows: lane (g, t)
// decodes rows n0 + g and n0 + g + 8) and x its B operand (8 columns); over 8 (Xs = true), x is A (16 rows) and W
// is B (8 rows). With W as A, no register of an operand is a constant zero row, so the decoded pairs and the
// loaded x words go into the mma as they are, with no moves.
template <class D, bool Xs>
__global__ void __launch_bounds__(mma_warps * 32)
    skinny_mma_kernel(const ao::bfloat16* AO_RESTRICT x, std::ptrdiff_t x_stride, unsigned m, std::size_t n,
                      std::size_t k, const std::uint8_t* AO_RESTRICT data, std::ptrdiff_t data_stride, D decoder,
                      const float* AO_RESTRICT bias, void* AO_RESTRICT y, std::ptrdiff_t y_stride, bool y_bf16) {
  constexpr int V = mma_chunk<D>::values, ROUND = mma_chunk<D>::round, RUN = mma_chunk<D>::run;
  constexpr int E = D::codes_per_byte, PARAMS = V / RUN, XW = V / 2;  // x words per row and round
  constexpr int WR = Xs ? 1 : 2;                                      // W rows per lane
  constexpr int U = E == 2 ? 2 : 4;                                   // rounds in flight per warp
  static_assert(mma_chunk<D>::fits, "skinny_mma_kernel: a format without the tensor-core decode");
  const unsigned warp = threadIdx.x / 32u, lane = threadIdx.x % 32u, g = lane / 4u, t = lane % 4u;
  const std::size_t n0 = static_cast<std::size_t>(blockIdx.x) * 8 * WR;
  std::size_t row[WR];
  const std::uint8_t* w_row[WR];
  AO_UNROLL
  for (int r = 0; r < WR; ++r) {
    row[r] = n0 + g + 8 * r < n ? n0 + g + 8 * r : n - 1;  // rows past N repeat the last one (never stored)
    w_row[r] = data + static_cast<std::ptrdiff_t>(row[r]) * data_stride;
  }
  const bool x_lo = g < m, x_hi = Xs && g + 8 < m;
  const ao::bfloat16* x_lo_row = x + static_cast<std::ptrdiff_t>(x_lo ? g : 0) * x_stride;
  const ao::bfloat16* x_hi_row = x + static_cast<std::ptrdiff_t>(x_hi ? g + 8 : 0) * x_stride;
  const std::size_t rounds = k / ROUND;
  float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  // One mma over 4 values of the lane (its slots 2t, 2t + 1, 2t + 8, 2t + 9): x's pairs xa0, xa1 (row g) and
  // xb0, xb1 (row g + 8, Xs only); W's pairs w[r][0], w[r][1] of its row r.
  const auto mma = [&](std::uint32_t xa0, std::uint32_t xa1, std::uint32_t xb0, std::uint32_t xb1,
                       std::uint32_t(*w)[2]) {
    if constexpr (Xs) {
      const std::uint32_t a[4] = {xa0, xb0, xa1, xb1};
      mma_bf16_16816(d, a, w[0][0], w[0][1]);
    } else {
      const std::uint32_t a[4] = {w[0][0], w[1][0], w[0][1], w[1][1]};
      mma_bf16_16816(d, a, xa0, xa1);
    }
  };
  for (std::size_t first = warp; first < rounds; first += mma_warps * U) {
    std::uint32_t words[U][WR][4];
    typename D::mma_param params[U][WR][PARAMS];
    std::uint32_t xa[U][XW], xb[U][Xs ? XW : 1];
    AO_UNROLL
    for (int u = 0; u < U; ++u) {
      const std::size_t r = first + static_cast<std::size_t>(u) * mma_warps;
      const std::size_t k0 = r * ROUND + t * V;  // this lane's first value
      if (r < rounds) {
        AO_UNROLL
        for (int wr = 0; wr < WR; ++wr) {
          load_code_words<16>(words[u][wr], w_row[wr] + k0 / E);
          AO_UNROLL
          for (int q = 0; q < PARAMS; ++q) params[u][wr][q] = decoder.mma_load(row[wr], k0 + q * RUN);
        }
        AO_UNROLL
        for (int i = 0; i < XW; i += 4) {
          const ::uint4 lo = x_lo ? *reinterpret_cast<const ::uint4*>(x_lo_row + k0 + 2 * i) : ::uint4{0, 0, 0, 0};
          xa[u][i] = lo.x, xa[u][i + 1] = lo.y, xa[u][i + 2] = lo.z, xa[u][i + 3] = lo.w;
          if constexpr (Xs) {
            const ::uint4 hi = x_hi ? *reinterpret_cast<const ::uint4*>(x_hi_row + k0 + 2 * i) : ::uint4{0, 0, 0, 0};
            xb[u][i] = hi.x, xb[u][i + 1] = hi.y, xb[u][i + 2] = hi.z, xb[u][i + 3] = hi.w;
          }
        }
      }
    }
    AO_UNROLL
    for (int u = 0; u < U; ++u) {
      if (first + static_cast<std::size_t>(u) * mma_warps >= rounds) continue;
      const auto xb_at = [&](int i) { return Xs ? xb[u][Xs ? i : 0] : 0u; };
      if constexpr (D::mma_fp4) {
        // A word of codes is 8 values in one block: 4 bf16 pairs, times the block's scale as a bf16 pair.
        AO_UNROLL
        for (int q = 0; q < 4; ++q) {
          std::uint32_t b[WR][4];
          AO_UNROLL
          for (int wr = 0; wr < WR; ++wr) {
            const std::uint32_t scale = (__float_as_uint(params[u][wr][8 * q / RUN]) >> 16) * 0x00010001u;
            e2m1_bf16_pairs(words[u][wr][q], b[wr]);
            AO_UNROLL
            for (int i = 0; i < 4; ++i) b[wr][i] = bf16x2_mul(b[wr][i], scale);
          }
          AO_UNROLL
          for (int h = 0; h < 2; ++h) {
            const int j = 2 * q + h;  // mma j: values 4j .. 4j + 3
            std::uint32_t w[WR][2];
            AO_UNROLL
            for (int wr = 0; wr < WR; ++wr) w[wr][0] = b[wr][2 * h], w[wr][1] = b[wr][2 * h + 1];
            mma(xa[u][2 * j], xa[u][2 * j + 1], xb_at(2 * j), xb_at(2 * j + 1), w);
          }
        }
      } else {
        AO_UNROLL
        for (int j = 0; j < V / 4; ++j) {
          std::uint32_t w[WR][2];
          AO_UNROLL
          for (int wr = 0; wr < WR; ++wr) {
            float v[4];
            AO_UNROLL
            for (int i = 0; i < 4; ++i)
              v[i] = decoder.mma_value(code_of<E>(words[u][wr], 4 * j + i), params[u][wr][(4 * j + i) / RUN]);
            w[wr][0] = pack_exact_bf16(v[0], v[1]);
            w[wr][1] = pack_exact_bf16(v[2], v[3]);
          }
          mma(xa[u][2 * j], xa[u][2 * j + 1], xb_at(2 * j), xb_at(2 * j + 1), w);
        }
      }
    }
  }
  // The warps' tiles, added in warp order. Lane (g, t) holds the accumulator's (row g, cols 2t, 2t + 1) and (row
  // g + 8, same cols): rows of x and columns of W (Xs), or rows of W and columns of x.
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
    const unsigned acc_row = i < 2 ? g : g + 8, acc_col = 2 * t + (i & 1);
    const unsigned mi = Xs ? acc_row : acc_col;
    const std::size_t col = n0 + (Xs ? acc_col : acc_row);
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
