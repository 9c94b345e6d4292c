// ao/backends/cuda/float8_gemm_kernel.cuh: the FP8 x FP8 GEMM kernel behind ao::cuda::matmul over FP8
// activations (ao/backends/cuda/float8_matmul.cuh): y = (X W^T) * scales + bias, X M x K and W N x K FP8 codes
// (row-major, K contiguous: torch._scaled_mm's A and B^T), for Hopper (sm_90a: TMA + wgmma). CUDA only.
//
// Shape of the work: 128 x 128 output tiles, K in slices of 128 bytes. A block is three warpgroups:
//   - warpgroup 0, one thread: the producer. For each of the block's tiles (a persistent grid walks the tiles
//     in groups of 8 tile rows, so that consecutive blocks share W's columns in L2) it copies X's and W's
//     128 x 128 slices into a ring of `float8_gemm_stages` shared-memory stages with the copy engine, one "full"
//     barrier per stage; a stage is reused once both consumers have released it ("empty" barrier).
//   - warpgroups 1 and 2: consumers of rows 0..63 and 64..127 of the tile. Per K slice: 4 wgmma m64n128k32 into a
//     scratch accumulator, then that partial is added into an fp32 accumulator by ordinary fp32 adds
//     ("promotion", as cuBLAS's non-fast-accumulation FP8 mode and DeepGEMM do): Hopper's FP8 tensor cores add
//     with fewer than fp32's bits, so at most 128 products are summed that way. A block-scaled operand (1 x 128 or
//     128 x 128 scales: torchao's PerBlock, DeepSeek's recipe) multiplies its slice's partial by its scale there
//     (one fma); per-tensor and per-row scales are applied once, at the end.
//     MX operands (OCP microscaling: e8m0 scales, one per 32 K values of a row, on both X and W) take the
//     promotion per wgmma instead: each 32-value partial times W's then X's scale by one multiply and one fma
//     (both scales are powers of two, so that is one rounding). Those scales, as floats, come with each stage:
//     warps 1-3 of warpgroup 0 (in turn, a stage each) decode the stage's 128 x 4 + 128 x 4 e8m0 bytes into it
//     (in an order that gives each consumer lane its 32 column scales as 8 16-byte loads) and arrive on the
//     stage's "full" barrier too.
//   - epilogue: y[r, c] = acc * (scale_x(r) * scale_w(c)) + bias[c], rounded once to Dst, stored from registers.
// Edges: the copy engine reads zeros outside X and W, so M, N and K need not be multiples of the tile; rows and
// columns past M and N are not stored.
#pragma once

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/tma.cuh"
#include "ao/backends/cuda/vector_io.cuh"
#include "ao/backends/cuda/wgmma.cuh"
#include "ao/formats/granularity.hpp"
#include "ao/numeric/bfloat16.hpp"

namespace ao::cuda::detail {

inline constexpr int float8_gemm_tile = 128;     // M of a tile, and the K slice (bytes)
inline constexpr int float8_gemm_tile_n = 128;   // N of a tile
inline constexpr int float8_gemm_threads = 384;  // producer + 2 consumer warpgroups

// MX operands' scales: the marker granularity of an MX FP8 operand (e8m0, one scale per 32 K values of a row).
struct mx_k32_scales {};

// One stage's decoded MX scales (floats): X's 128 rows x 4 blocks as [row][block]; W's 128 columns x 4 blocks as
// [block][lane % 4][36], where column c = 8 j + 2 (lane % 4) + e sits at 2 j + e (a lane's 32 columns
// contiguous; the 4 extra floats per lane group put the 4 groups of a warp's loads in different banks).
inline constexpr int float8_gemm_mx_w_group = 36;
inline constexpr int float8_gemm_mx_scale_floats = 128 * 4 + 4 * 4 * float8_gemm_mx_w_group;

// The stages of the ring: 7 of 32 KiB (the deepest that fits: the copy engine's latency, not bandwidth, limits
// the kernel; 6 stages were 7% slower, and 128 x 256 tiles with 4 stages 21% slower); MX: 6, each with its scales.
template <bool MX>
inline constexpr int float8_gemm_stages = MX ? 6 : 7;
template <bool MX>
inline constexpr std::size_t float8_gemm_stage_bytes = 2 * 128 * 128 + (MX ? 4 * float8_gemm_mx_scale_floats : 0);
// Plus alignment and barriers: 230 512 bytes (MX: 223 840) of the 232 448 a block may have.
template <bool MX>
inline constexpr std::size_t float8_gemm_shared_bytes = 1024 +
                                                        std::size_t{float8_gemm_stages<MX>} *
                                                            (float8_gemm_stage_bytes<MX> + 2 * sizeof(std::uint64_t));

// How an operand's fp32 scales apply, by granularity: once at the end (per tensor, per row) or per K slice
// (per_block<R, 128>: the slice's partial times the scale of the operand's row block).
template <class G>
struct float8_gemm_scale {
  static constexpr bool per_slice = false;
  // The end factor of operand row r.
  __device__ __forceinline__ static float end(const float* s, std::ptrdiff_t stride, int r) {
    if constexpr (std::is_same_v<G, per_tensor>) {
      return s[0];
    } else {
      return s[static_cast<std::ptrdiff_t>(r) * stride];
    }
  }
  __device__ __forceinline__ static float slice(const float*, std::ptrdiff_t, int, int) { return 1.0f; }
};
template <int R, int C>
struct float8_gemm_scale<per_block<R, C>> {
  static_assert(C == float8_gemm_tile, "the FP8 GEMM takes block scales of 128 K values (1 x 128, 128 x 128)");
  static constexpr bool per_slice = true;
  static constexpr int rows = R;
  __device__ __forceinline__ static float end(const float*, std::ptrdiff_t, int) { return 1.0f; }
  // The factor of operand row r in K slice kt.
  __device__ __forceinline__ static float slice(const float* s, std::ptrdiff_t stride, int r, int kt) {
    return s[static_cast<std::ptrdiff_t>(r / R) * stride + kt];
  }
};
template <>
struct float8_gemm_scale<mx_k32_scales> {  // applied per 32-value partial, from the stage (above)
  static constexpr bool per_slice = false;
  __device__ __forceinline__ static float end(const float*, std::ptrdiff_t, int) { return 1.0f; }
};

struct float8_gemm_params {
  int m, n, k;                     // y is m x n; k the shared dim
  const float* x_scales;           // X's scales as ao stores them (ao::quantized_view::scales)
  std::ptrdiff_t x_scales_stride;  // elements between scale rows
  const float* w_scales;
  std::ptrdiff_t w_scales_stride;
  const std::uint8_t* x_e8m0;  // MX: X's e8m0 scale codes, m rows of k / 32, row r at x_e8m0 + r * x_e8m0_stride
  std::ptrdiff_t x_e8m0_stride;
  const std::uint8_t* w_e8m0;  // MX: W's, n rows
  std::ptrdiff_t w_e8m0_stride;
  bool mx_scale_words;      // MX: both scale bases and strides 4-byte aligned and k / 32 a multiple of 4
  const float* bias;        // n values or nullptr
  void* y;                  // Dst elements, row r at y + r * y_stride
  std::ptrdiff_t y_stride;  // elements
  bool pair_stores;         // y's base and stride let two adjacent columns be stored as one access
};

// Tile t of a grid of tiles_m x tiles_n, walked in column strips of 8 tile rows.
__device__ __forceinline__ void float8_gemm_tile_of(int t, int tiles_m, int tiles_n, int& tm, int& tn) {
  constexpr int group = 8;
  const int per_group = group * tiles_n;
  const int first_m = (t / per_group) * group;
  const int rows = min(tiles_m - first_m, group);
  const int in_group = t % per_group;
  tm = first_m + in_group % rows;
  tn = in_group / rows;
}

template <class Dst>
__device__ __forceinline__ void float8_gemm_store(const float8_gemm_params& p, int r, int c, float v0, float v1) {
  Dst* row = static_cast<Dst*>(p.y) + static_cast<std::ptrdiff_t>(r) * p.y_stride;
  if (p.pair_stores && c + 1 < p.n) {
    if constexpr (std::is_same_v<Dst, float>) {
      *reinterpret_cast<float2*>(row + c) = make_float2(v0, v1);
    } else {
      const std::uint32_t lo = narrow<Dst>(v0).bits(), hi = narrow<Dst>(v1).bits();
      *reinterpret_cast<std::uint32_t*>(row + c) = lo | (hi << 16);
    }
    return;
  }
  row[c] = narrow<Dst>(v0);
  if (c + 1 < p.n) row[c + 1] = narrow<Dst>(v1);
}

// EX / EW: the FP8 elements of X and W; GX / GW: their scale granularities; Dst: float or ao::bfloat16;
// Chained: the whole K sum in the tensor cores' accumulator (torch's use_fast_accum=True numerics); else
// promotion per K slice (above). Block scales need promotion.
template <class EX, class GX, class EW, class GW, class Dst, bool Chained>
__global__ void __launch_bounds__(float8_gemm_threads, 1)
    float8_gemm_kernel(const __grid_constant__ CUtensorMap x_map, const __grid_constant__ CUtensorMap w_map,
                       const float8_gemm_params p) {
#if AO_CUDA_WGMMA
  using sx = float8_gemm_scale<GX>;
  using sw = float8_gemm_scale<GW>;
  constexpr bool blocks = sx::per_slice || sw::per_slice;
  constexpr bool mx = std::is_same_v<GX, mx_k32_scales>;
  static_assert(mx == std::is_same_v<GW, mx_k32_scales>, "float8_gemm_kernel: MX scales on both operands or neither");
  static_assert(!(Chained && (blocks || mx)), "float8_gemm_kernel: block scales are applied per K slice (promoted)");
  constexpr int T = float8_gemm_tile, BN = float8_gemm_tile_n;
  constexpr int S = float8_gemm_stages<mx>;
  constexpr int x_bytes = T * T, w_bytes = BN * T;  // one K slice of X's 128 rows and of W's BN rows
  constexpr int MXF = float8_gemm_mx_scale_floats, MXG = float8_gemm_mx_w_group;
  extern __shared__ std::uint8_t shared_raw[];
  std::uint8_t* shared = shared_raw + ((1024 - (shared_address(shared_raw) & 1023)) & 1023);
  std::uint8_t* x_slices = shared;  // S slices, each rows of 128 bytes, 1024-byte aligned
  std::uint8_t* w_slices = shared + S * x_bytes;
  float* mx_scales = reinterpret_cast<float*>(shared + S * (x_bytes + w_bytes));  // MX: S x MXF floats
  auto* full = reinterpret_cast<std::uint64_t*>(shared + S * float8_gemm_stage_bytes<mx>);
  std::uint64_t* empty = full + S;
  if (threadIdx.x == 0) {
    for (int s = 0; s < S; ++s) {
      mbarrier_init(&full[s], mx ? 33 : 1);  // the copy thread (+ the 32 lanes of the MX scale warp of the stage)
      mbarrier_init(&empty[s], 2);
    }
    mbarrier_init_fence();
  }
  __syncthreads();
  const int tiles_m = (p.m + T - 1) / T, tiles_n = (p.n + BN - 1) / BN, tiles = tiles_m * tiles_n;
  const int slices = (p.k + T - 1) / T;
  const int warpgroup = threadIdx.x / 128;
  if (warpgroup == 0) {
    // The producer: one thread (+ MX's scale warps). (Each role is one branch of this if / else, so that setmaxnreg
    // takes effect.)
    // The block's registers are what it was launched with (168 x 384 = 64 512) and setmaxnreg only moves them:
    // 128 x producer + 256 x consumer must stay within that, or the consumers' increase waits forever.
    if constexpr (mx) {
      asm volatile("setmaxnreg.dec.sync.aligned.u32 72;");  // the scale warps' 8 loads in flight need 64-72
    } else {
      asm volatile("setmaxnreg.dec.sync.aligned.u32 24;");
    }
    if constexpr (mx) {
      if (threadIdx.x >= 32) {
        // MX's scale warps (1, 2, 3; warp w takes the rounds r with r % 3 == w - 1). Lane l's items are
        // i = l + 32 u: X's row tm * 128 + i for u < 4, else W's row tn * 128 + i - 128; each item's 4 blocks of
        // the slice as floats. Rows past M or N and blocks past K get 1 (their codes read as zeros). All 8 items'
        // codes are loaded before the stage is waited for, so that the loads' latency overlaps the wait.
        const int lane = threadIdx.x % 32, part = threadIdx.x / 32 - 1, k_blocks = (p.k + 31) / 32;
        for (int t = blockIdx.x, round = 0; t < tiles; t += gridDim.x) {
          int tm, tn;
          float8_gemm_tile_of(t, tiles_m, tiles_n, tm, tn);
          for (int kt = 0; kt < slices; ++kt, ++round) {
            if (round % 3 != part) continue;
            std::uint32_t words[8];
#pragma unroll
            for (int u = 0; u < 8; ++u) {
              const bool is_x = u < 4;
              const int r = (is_x ? tm * T : tn * BN) + (lane + 32 * u) % 128;
              const bool in = r < (is_x ? p.m : p.n);
              const std::uint8_t* codes = is_x ? p.x_e8m0 + static_cast<std::ptrdiff_t>(r) * p.x_e8m0_stride
                                               : p.w_e8m0 + static_cast<std::ptrdiff_t>(r) * p.w_e8m0_stride;
              const int b = 4 * kt;
              if (p.mx_scale_words) {  // 4-byte aligned rows and k_blocks % 4 == 0: one load
                words[u] = in ? *reinterpret_cast<const std::uint32_t*>(codes + b) : 0x7F7F7F7Fu;
              } else {
                words[u] = 0;
#pragma unroll
                for (int q = 0; q < 4; ++q) {
                  words[u] |= std::uint32_t{in && b + q < k_blocks ? codes[b + q] : std::uint8_t{0x7F}} << (8 * q);
                }
              }
            }
            const int s = round % S;
            mbarrier_wait(&empty[s], ((round / S) & 1) ^ 1);
            float* xs = mx_scales + s * MXF;
            float* ws = xs + 128 * 4;
#pragma unroll
            for (int u = 0; u < 8; ++u) {
              float f[4];
#pragma unroll
              for (int q = 0; q < 4; ++q) {
                f[q] =
                    static_cast<float>(ao::float8_e8m0fnu::from_bits(static_cast<std::uint8_t>(words[u] >> (8 * q))));
              }
              const int i = lane + 32 * u;
              if (u < 4) {
                *reinterpret_cast<float4*>(xs + 4 * i) = make_float4(f[0], f[1], f[2], f[3]);
              } else {
                const int c = i - 128, at = (c % 8 / 2) * MXG + 2 * (c / 8) + c % 2;
#pragma unroll
                for (int q = 0; q < 4; ++q) ws[q * 4 * MXG + at] = f[q];
              }
            }
            mbarrier_arrive(&full[s]);
          }
        }
      }
    }
    for (int t = blockIdx.x, round = 0; threadIdx.x == 0 && t < tiles; t += gridDim.x) {
      int tm, tn;
      float8_gemm_tile_of(t, tiles_m, tiles_n, tm, tn);
      for (int kt = 0; kt < slices; ++kt, ++round) {
        const int s = round % S;
        mbarrier_wait(&empty[s], ((round / S) & 1) ^ 1);
        mbarrier_arrive_expect_tx(&full[s], x_bytes + w_bytes);
        tma_load_2d(x_slices + s * x_bytes, &x_map, kt * T, tm * T, &full[s]);
        tma_load_2d(w_slices + s * w_bytes, &w_map, kt * T, tn * BN, &full[s]);
      }
    }
  } else {
    if constexpr (mx) {
      asm volatile("setmaxnreg.inc.sync.aligned.u32 216;");
    } else {
      asm volatile("setmaxnreg.inc.sync.aligned.u32 240;");
    }
    const int half = warpgroup - 1;  // rows 64 * half .. + 63 of the tile
    const int t128 = threadIdx.x % 128, warp = t128 / 32, lane = t128 % 32;
    const int row_in_tile = 64 * half + 16 * warp + lane / 4;  // and + 8
    const int col_in_tile = 2 * (lane % 4);                    // + 8 j, and + 1
    int round = 0;
    for (int t = blockIdx.x; t < tiles; t += gridDim.x) {
      int tm, tn;
      float8_gemm_tile_of(t, tiles_m, tiles_n, tm, tn);
      const int r0 = tm * T + row_in_tile, r1 = r0 + 8;
      float acc[BN / 2];
      // Slice kt's 4 wgmmas into d (its stage waited for first), committed as one group.
      auto issue = [&](float(&d)[BN / 2], int kt, bool accumulate) {
        const int s = (round + kt) % S;
        mbarrier_wait(&full[s], ((round + kt) / S) & 1);
        const std::uint8_t* xs = x_slices + s * x_bytes + half * 64 * T;
        const std::uint8_t* ws = w_slices + s * w_bytes;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < T / 32; ++kk) {
          wgmma_m64k32<BN, EX, EW>(d, smem_descriptor(xs + 32 * kk), smem_descriptor(ws + 32 * kk),
                                   accumulate || kk > 0);
        }
        wgmma_commit();
      };
      auto release = [&](int kt) {
        if (t128 == 0) mbarrier_arrive(&empty[(round + kt) % S]);
      };
      if constexpr (mx) {
        // One wgmma (32 K values, one MX block) at a time into part, then acc += part * w scale * x scale.
        // (Overlapping the adds of one block with the next block's wgmma in the same warpgroup makes ptxas
        // serialize the wgmmas, C7514; the two consumer warpgroups overlap each other instead.)
        float part[BN / 2];
#pragma unroll
        for (int i = 0; i < BN / 2; ++i) acc[i] = 0.0f;
        for (int kt = 0; kt < slices; ++kt) {
          const int s = (round + kt) % S;
          mbarrier_wait(&full[s], ((round + kt) / S) & 1);
          const std::uint8_t* xs = x_slices + s * x_bytes + half * 64 * T;
          const std::uint8_t* ws = w_slices + s * w_bytes;
          const float* scales = mx_scales + s * MXF;
          const float4 fx0 = *reinterpret_cast<const float4*>(scales + 4 * row_in_tile);
          const float4 fx1 = *reinterpret_cast<const float4*>(scales + 4 * (row_in_tile + 8));
#pragma unroll
          for (int kk = 0; kk < T / 32; ++kk) {
            wgmma_fence();
            wgmma_m64k32<BN, EX, EW>(part, smem_descriptor(xs + 32 * kk), smem_descriptor(ws + 32 * kk), false);
            wgmma_commit();
            const float4* fw4 = reinterpret_cast<const float4*>(scales + 128 * 4 + kk * 4 * MXG + (lane % 4) * MXG);
            float fw[BN / 4];
#pragma unroll
            for (int q = 0; q < BN / 16; ++q) {
              const float4 v = fw4[q];
              fw[4 * q] = v.x, fw[4 * q + 1] = v.y, fw[4 * q + 2] = v.z, fw[4 * q + 3] = v.w;
            }
            const float f0 = kk == 0 ? fx0.x : kk == 1 ? fx0.y : kk == 2 ? fx0.z : fx0.w;
            const float f1 = kk == 0 ? fx1.x : kk == 1 ? fx1.y : kk == 2 ? fx1.z : fx1.w;
            wgmma_wait<0>();
#pragma unroll
            for (int j = 0; j < BN / 8; ++j) {  // columns 8 j + 2 (lane % 4) + e: scales fw[2 j + e]
              acc[4 * j] = __fmaf_rn(__fmul_rn(part[4 * j], fw[2 * j]), f0, acc[4 * j]);
              acc[4 * j + 1] = __fmaf_rn(__fmul_rn(part[4 * j + 1], fw[2 * j + 1]), f0, acc[4 * j + 1]);
              acc[4 * j + 2] = __fmaf_rn(__fmul_rn(part[4 * j + 2], fw[2 * j]), f1, acc[4 * j + 2]);
              acc[4 * j + 3] = __fmaf_rn(__fmul_rn(part[4 * j + 3], fw[2 * j + 1]), f1, acc[4 * j + 3]);
            }
          }
          release(kt);
        }
      } else if constexpr (Chained) {
#pragma unroll
        for (int i = 0; i < BN / 2; ++i) acc[i] = 0.0f;
        // One chain of wgmmas over all of K; a stage is released once the group after it has been issued.
        for (int kt = 0; kt < slices; ++kt) {
          issue(acc, kt, kt > 0);
          wgmma_wait<1>();
          if (kt > 0) release(kt - 1);
        }
        wgmma_wait<0>();
        release(slices - 1);
      } else {
        // Rows past M read the last row's block scales (their results are not stored).
        const int r0c = min(r0, p.m - 1), r1c = min(r1, p.m - 1);
        float part[BN / 2];
#pragma unroll
        for (int i = 0; i < BN / 2; ++i) acc[i] = 0.0f;
        for (int kt = 0; kt < slices; ++kt) {
          float f0 = 1.0f, f1 = 1.0f;
          if constexpr (blocks) {
            const float w_factor = sw::slice(p.w_scales, p.w_scales_stride, tn * BN, kt);
            f0 = sx::slice(p.x_scales, p.x_scales_stride, r0c, kt) * w_factor;
            f1 = sx::slice(p.x_scales, p.x_scales_stride, r1c, kt) * w_factor;
          }
          issue(part, kt, false);
          wgmma_wait<0>();
          release(kt);
#pragma unroll
          for (int i = 0; i < BN / 2; ++i) {
            if constexpr (blocks) {
              acc[i] = __fmaf_rn(part[i], (i & 2) ? f1 : f0, acc[i]);
            } else {
              acc[i] += part[i];
            }
          }
        }
      }
      round += slices;
      // Epilogue. First every output value (the scale and bias loads before any store, so that they overlap: y
      // may alias nothing, but the compiler cannot know), then the stores.
      const float e0 = r0 < p.m ? sx::end(p.x_scales, p.x_scales_stride, r0) : 0.0f;
      const float e1 = r1 < p.m ? sx::end(p.x_scales, p.x_scales_stride, r1) : 0.0f;
#pragma unroll
      for (int j = 0; j < BN / 8; ++j) {
        const int c = tn * BN + 8 * j + col_in_tile;
        const bool c0 = c < p.n, c1 = c + 1 < p.n;
        const float w0 = c0 ? sw::end(p.w_scales, p.w_scales_stride, c) : 0.0f;
        const float w1 = c1 ? sw::end(p.w_scales, p.w_scales_stride, c + 1) : 0.0f;
        const float b0 = p.bias && c0 ? p.bias[c] : 0.0f;
        const float b1 = p.bias && c1 ? p.bias[c + 1] : 0.0f;
        // acc * (scale_x * scale_w), plus the bias in the same rounding (none without a bias: -0 stays -0).
        auto out = [&](float a, float f, float b) { return p.bias ? __fmaf_rn(a, f, b) : __fmul_rn(a, f); };
        acc[4 * j] = out(acc[4 * j], e0 * w0, b0);
        acc[4 * j + 1] = out(acc[4 * j + 1], e0 * w1, b1);
        acc[4 * j + 2] = out(acc[4 * j + 2], e1 * w0, b0);
        acc[4 * j + 3] = out(acc[4 * j + 3], e1 * w1, b1);
      }
#pragma unroll
      for (int j = 0; j < BN / 8; ++j) {
        const int c = tn * BN + 8 * j + col_in_tile;
        if (c >= p.n) continue;
        if (r0 < p.m) float8_gemm_store<Dst>(p, r0, c, acc[4 * j], acc[4 * j + 1]);
        if (r1 < p.m) float8_gemm_store<Dst>(p, r1, c, acc[4 * j + 2], acc[4 * j + 3]);
      }
    }
  }
#else
  (void)x_map, (void)w_map, (void)p;
#endif
}

// Compiled with a larger static shared array where the sm_90a instructions exist, so that the host can tell, from
// the attributes of the code the runtime picked for the current device, whether float8_gemm_kernel is real there.
// (A template, so that every translation unit that includes this header may define it.)
template <int Unused = 0>
__global__ void float8_gemm_probe_kernel(int* out) {
  __shared__ volatile int marker[AO_CUDA_WGMMA ? 64 : 32];
  marker[threadIdx.x % 32] = static_cast<int>(threadIdx.x);
  if (out != nullptr) out[threadIdx.x] = marker[(threadIdx.x + 1) % 32];
}

}  // namespace ao::cuda::detail
