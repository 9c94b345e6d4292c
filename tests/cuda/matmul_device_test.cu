// ao::cuda::matmul (ao/backends/cuda/matmul.cuh) against a float64 reference on the host: y = x @ W^T (+ bias)
// with W dequantized by the scalar oracle, for MX (fp4, fp6, fp8), NVFP4 single and two level, FP8 per tensor /
// row / 128x128 block, int8 per row, 4-bit affine group-wise (one code a byte, and nibble-packed through
// ao::cuda::nibble_packed, signed and tinygemm). Each y[m, n] must lie within the float bound of the kernel's
// summation (docs/gpu.md): |y - ref| <= gamma_(K+6) * sum |x W| (+ the rounding of the bias add and of a bf16 y).
// Shapes: M = 1..40 (the CUDA-core kernel's 1, 4 and 16-row tiles; at M >= 2 the tensor-core kernel for the
// formats it takes when rows are aligned; M > 16 in passes), N not a multiple of the 8 rows a block covers, K not a
// multiple of the 512 values a warp reads per step; padded (unaligned) W, x and y strides, which take the CUDA-core
// kernel's byte-at-a-time path (and so test it at M >= 2 for every format); NaN in x (its row of y must be NaN, and
// only it); K = 0 (y = bias). Also the host-side argument checks (each must throw ao::error).
//
// Self-contained (no GoogleTest on the GPU machine). Exit 0 when all pass, 77 when no CUDA device is present.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/ao.hpp"
#include "ao/backends/cuda/matmul.cuh"
#include "ao/layout/bit_packing.hpp"
#include "ao/ops/quantize.hpp"
#include "device_check.cuh"

namespace {

using bf16 = ao::bfloat16;

template <class T>
const char* dtype_name() {
  return std::is_same_v<T, float> ? "f32" : "bf16";
}

struct shape {
  std::size_t m, n, k;
};

// One case: x (m x k, bf16) and W (n x k, quantized on the host by the oracle) on the GPU, y = x @ W^T (+ bias)
// against the float64 sum of the same values. `pad` pads every row stride (and makes W's rows unaligned); nan_row
// puts a NaN into that row of x (SIZE_MAX: none).
//
// `wild` (fp4 formats with one-byte block scales: MX fp4, NVFP4) replaces W's codes by random bytes (every code, -0
// included) and its scales, row by row (r % 5): 0 and 4 random scales around 1 (MX: exponents 120..135, across
// the 2^1 boundary of the fp4 decode's scaling), 1 the smallest scales (MX 2^-127, a bf16 subnormal; NVFP4 the e4m3
// subnormals), 2 one NaN scale (its row of y is NaN), 3 one block whose only nonzero code is 6 under the largest
// finite scale (an infinite weight: y is +-inf or NaN, as the float64 sum of the same values).
template <class F>
constexpr bool has_wild_case = sizeof(ao::scale_storage_t<F>) == 1 && ao::format_traits<F>::elements_per_byte == 2 &&
                               !ao::has_zero_points_v<F>;  // MX fp4 and NVFP4

template <class F, bool Packed, class Dst>
void check_case(shape s, std::size_t pad, bool with_bias, std::size_t nan_row, std::uint32_t seed, bool wild = false) {
  using traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  std::string what = std::string(ao::display_name<F>()) + (Packed ? " nibble-packed" : "") + " ->" + dtype_name<Dst>() +
                     " " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
                     (pad ? " pad" + std::to_string(pad) : "") + (with_bias ? " bias" : "") +
                     (nan_row != SIZE_MAX ? " nan-row" : "") + (wild ? " wild-codes-and-scales" : "");
  if (const char* filter = std::getenv("AO_TEST_FILTER"); filter != nullptr && what.find(filter) == std::string::npos) {
    return;
  }
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // W: Gaussian rows with magnitudes spread over 2^-8..2^8, a few outliers.
  std::vector<float> w_values(s.n * s.k);
  for (std::size_t r = 0; r < s.n; ++r) {
    const float row_scale = std::ldexp(1.0f, static_cast<int>(rng() % 17) - 8);
    for (std::size_t c = 0; c < s.k; ++c) {
      w_values[r * s.k + c] = normal(rng) * row_scale * (rng() % 97 == 0 ? 20.0f : 1.0f);
    }
  }
  const ao::strided_view<const float, 2> w_view(w_values.data(), {s.n, s.k}, {static_cast<std::ptrdiff_t>(s.k), 1});
  ao::quantized_tensor<F> wq = ao::quantize<F>(w_view, ao::backend::scalar{});
  if constexpr (has_wild_case<F>) {
    if (wild) {
      constexpr bool nv = std::is_same_v<typename traits::family, ao::format_family::nvfp4>;
      const std::size_t row_bytes = traits::data_row_bytes(s.k), blocks = s.k / F::block_size;
      for (auto& b : wq.data()) b = static_cast<std::uint8_t>(rng());
      auto* scale_bytes = reinterpret_cast<std::uint8_t*>(wq.scales().data());
      for (std::size_t r = 0; r < s.n; ++r) {
        for (std::size_t b = 0; b < blocks; ++b) {
          std::uint8_t v = nv ? static_cast<std::uint8_t>(0x28 + rng() % 0x30 + (rng() % 8 == 0 ? 0x80 : 0))
                              : static_cast<std::uint8_t>(120 + rng() % 16);
          if (r % 5 == 1) v = nv ? static_cast<std::uint8_t>(rng() % 8) : 0;
          if (r % 5 == 2 && b == blocks / 2) v = nv ? 0x7F : 0xFF;
          if (r % 5 == 3 && b == blocks / 2) {
            v = nv ? 0x7E : 254;  // 448 (x 6 = 2688, then the global scale) or 2^127 (x 6 overflows)
            std::uint8_t* codes = wq.data().data() + r * row_bytes + b * F::block_size / 2;
            std::memset(codes, 0, F::block_size / 2);
            codes[1] = 0x60;  // code 6 (+6) at value 3 of the block
          }
          scale_bytes[r * blocks + b] = v;
        }
      }
    }
  }
  std::vector<float> w_ref(s.n * s.k);
  ao::dequantize(wq.cview(),
                 ao::strided_view<float, 2>(w_ref.data(), {s.n, s.k}, {static_cast<std::ptrdiff_t>(s.k), 1}),
                 ao::backend::scalar{});
  // x: bf16 Gaussian, rows padded.
  const std::size_t x_stride = s.k + pad;
  std::vector<bf16> x(s.m * x_stride, bf16(0.0f));
  for (std::size_t i = 0; i < s.m; ++i)
    for (std::size_t c = 0; c < s.k; ++c) x[i * x_stride + c] = bf16(normal(rng));
  if (nan_row < s.m && s.k > 0) x[nan_row * x_stride + s.k / 2] = bf16(NAN);
  std::vector<float> bias(s.n);
  for (auto& b : bias) b = normal(rng);

  // W on the GPU: data rows padded by `pad` bytes (unaligned when pad is odd), nibble-packed when asked.
  const std::size_t row_bytes = Packed ? s.k / 2 : traits::data_row_bytes(s.k);
  const std::size_t data_stride = row_bytes + pad;
  std::vector<std::uint8_t> data(s.n * data_stride, 0);
  for (std::size_t r = 0; r < s.n; ++r) {
    const std::uint8_t* src = wq.data().data() + r * traits::data_row_bytes(s.k);
    if constexpr (Packed) {
      ao::layout::pack_nibbles<ao::layout::nibble_order::low_first>(src, s.k, data.data() + r * data_stride);
    } else {
      std::memcpy(data.data() + r * data_stride, src, row_bytes);
    }
  }
  device_buffer d_data(data.size(), pad ? 1 : 0), d_scales(wq.scales().size() * sizeof(S) + 4), d_global(sizeof(float));
  d_data.upload(data.data(), data.size());
  d_scales.upload(wq.scales().data(), wq.scales().size() * sizeof(S));
  ao::const_quantized_view<F> w = wq.cview();
  w.data = d_data.as<const std::uint8_t>();
  w.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  w.scales = d_scales.as<const S>();
  std::vector<std::uint8_t> zp_bytes;
  device_buffer d_zero_points(ao::has_zero_points_v<F> ? wq.zero_points().size() * 4 + 4 : 4);
  if constexpr (ao::has_zero_points_v<F>) {
    d_zero_points.upload(wq.zero_points().data(), wq.zero_points().size() * sizeof(wq.zero_points()[0]));
    w.zero_points = d_zero_points.as<const ao::zero_point_storage_t<F>>();
  }
  if (w.global_scale != nullptr) {
    const float g = wq.global_scale();
    d_global.upload(&g, sizeof g);
    w.global_scale = d_global.as<const float>();
  }
  device_buffer d_x(x.size() * sizeof(bf16), pad ? 2 : 0), d_bias(bias.size() * sizeof(float));
  d_x.upload(x.data(), x.size() * sizeof(bf16));
  d_bias.upload(bias.data(), bias.size() * sizeof(float));
  const std::size_t y_stride = s.n + pad;
  device_buffer d_y(s.m * y_stride * sizeof(Dst), pad ? sizeof(Dst) : 0);
  const ao::strided_view<const bf16, 2> xv(d_x.as<const bf16>(), {s.m, s.k},
                                           {static_cast<std::ptrdiff_t>(x_stride), 1});
  const ao::strided_view<Dst, 2> yv(d_y.as<Dst>(), {s.m, s.n}, {static_cast<std::ptrdiff_t>(y_stride), 1});
  const ao::strided_view<const float, 1> bv(d_bias.as<const float>(), {s.n}, {1});
  auto run = [&](const auto& weights) {
    if (with_bias) {
      ao::cuda::matmul(xv, weights, bv, yv);
    } else {
      ao::cuda::matmul(xv, weights, yv);
    }
  };
  if constexpr (Packed) {
    run(ao::cuda::nibble_packed<F>{w});
  } else {
    run(w);
  }
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<std::uint8_t> y_bytes = d_y.download();

  const double u = std::ldexp(1.0, -24);
  const double n_terms = static_cast<double>(s.k + 6);
  const double gamma = n_terms * u / (1.0 - n_terms * u);
  std::size_t bad = 0;
  double worst = 0.0;
  std::string first;
  for (std::size_t i = 0; i < s.m; ++i) {
    for (std::size_t j = 0; j < s.n; ++j) {
      double ref = 0.0, mag = 0.0;
      for (std::size_t c = 0; c < s.k; ++c) {
        const double p = static_cast<double>(float(x[i * x_stride + c])) * static_cast<double>(w_ref[j * s.k + c]);
        ref += p;
        mag += std::fabs(p);
      }
      if (with_bias) ref += bias[j];
      Dst got_raw;
      std::memcpy(&got_raw, y_bytes.data() + (i * y_stride + j) * sizeof(Dst), sizeof(Dst));
      const double got = static_cast<double>(float(got_raw));
      bool ok;
      if (std::isnan(ref)) {
        ok = std::isnan(got);
      } else if (std::isinf(ref)) {
        ok = got == ref;
      } else {
        double tol = gamma * mag + u * (std::fabs(ref) + gamma * mag);
        if constexpr (std::is_same_v<Dst, bf16>) tol += std::ldexp(1.0, -8) * (std::fabs(ref) + tol);
        ok = std::isfinite(got) && std::fabs(got - ref) <= tol;
        if (ok && tol > 0) worst = std::max(worst, std::fabs(got - ref) / tol);
      }
      if (!ok && bad++ == 0) {
        char b[160];
        std::snprintf(b, sizeof b, " first at (%zu, %zu): got %.9g, want %.9g", i, j, got, ref);
        first = b;
      }
    }
  }
  char detail[240];
  std::snprintf(detail, sizeof detail, "%zu/%zu outside the bound, worst |err|/bound %.3f%s", bad, s.m * s.n, worst,
                first.c_str());
  report(bad == 0, what, detail);
}

template <class F, bool Packed = false>
void check_format(std::uint32_t seed) {
  using traits = ao::format_traits<F>;
  // N rounded up to the format's row tiles (128 for 128x128 FP8 blocks).
  auto rows = [](std::size_t n) {
    return (n + traits::row_multiple - 1) / traits::row_multiple * traits::row_multiple;
  };
  const shape shapes[] = {{1, rows(1), 128}, {1, rows(13), 1152},  {2, rows(37), 384}, {4, rows(64), 4096},
                          {5, rows(9), 640}, {16, rows(70), 1024}, {17, rows(8), 256}, {40, rows(3), 128}};
  for (const shape& s : shapes) check_case<F, Packed, float>(s, 0, false, SIZE_MAX, seed++);
  check_case<F, Packed, bf16>({3, rows(21), 512}, 0, true, SIZE_MAX, seed++);
  check_case<F, Packed, bf16>({1, rows(256), 2048}, 0, false, SIZE_MAX, seed++);
  // Unaligned rows everywhere: the byte-at-a-time path.
  check_case<F, Packed, float>({1, rows(11), 256}, 3, true, SIZE_MAX, seed++);
  check_case<F, Packed, bf16>({6, rows(5), 384}, 1, false, SIZE_MAX, seed++);
  // NaN in one row of x.
  check_case<F, Packed, float>({4, rows(17), 512}, 0, false, 2, seed++);
  // K = 0: y = bias.
  if constexpr (!Packed) check_case<F, Packed, float>({2, rows(5), 0}, 0, true, SIZE_MAX, seed++);
  // Random codes and extreme block scales, on both kernels (M = 1 and 7; aligned and padded rows).
  if constexpr (has_wild_case<F>) {
    check_case<F, Packed, float>({1, rows(40), 1024}, 0, false, SIZE_MAX, seed++, true);
    check_case<F, Packed, float>({7, rows(40), 512}, 0, true, SIZE_MAX, seed++, true);
    check_case<F, Packed, bf16>({3, rows(25), 256}, 1, false, SIZE_MAX, seed++, true);
  }
}

// The tensor-core kernel's fp4 decode (skinny_mma_kernel.cuh): e2m1_bf16_pairs on words whose low and high halves
// take every 16-bit pattern (so every code at every position), against element_value per code; and bf16x2_mul of
// each code by every MX (e8m0) and NVFP4 (e4m3) block scale as a bf16 pair, against the fp32 product (which must be
// exact in bf16) bit for bit, NaN as any NaN.
__global__ void e2m1_pairs_kernel(unsigned* bad) {
  const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= 65536u) return;
  const std::uint32_t w = i | (((i * 40503u) & 0xFFFFu) << 16);
  std::uint32_t pairs[4];
  ao::cuda::detail::e2m1_bf16_pairs(w, pairs);
  for (int j = 0; j < 8; ++j) {
    const std::uint32_t want =
        __float_as_uint(ao::cuda::detail::element_value<ao::float4_e2m1fn>((w >> (4 * j)) & 0xFu)) >> 16;
    if (((pairs[j / 2] >> (16 * (j % 2))) & 0xFFFFu) != want) atomicAdd(bad, 1u);
  }
}
__global__ void fp4_scale_kernel(unsigned* bad) {
  const unsigned code = threadIdx.x % 16u, byte = blockIdx.x % 256u;
  float scale;
  if (blockIdx.x < 256) {  // e8m0: 2^(byte - 127), NaN for 255
    scale = __uint_as_float(byte == 255 ? 0x7FC00000u : byte == 0 ? 0x00400000u : byte << 23);
  } else {
    scale = ao::cuda::detail::element_value<ao::float8_e4m3fn>(byte);
  }
  std::uint32_t pairs[4];
  ao::cuda::detail::e2m1_bf16_pairs(code * 0x11111111u, pairs);
  const std::uint32_t got =
      ao::cuda::detail::bf16x2_mul(pairs[threadIdx.x / 16u], (__float_as_uint(scale) >> 16) * 0x10001u);
  const float want = __fmul_rn(ao::cuda::detail::element_value<ao::float4_e2m1fn>(code), scale);
  const std::uint32_t lo = got & 0xFFFFu, hi = got >> 16;
  bool ok;
  if (want != want) {
    ok = (lo & 0x7FFFu) > 0x7F80u && (hi & 0x7FFFu) > 0x7F80u;
  } else {
    ok = (__float_as_uint(want) & 0xFFFFu) == 0 && lo == (__float_as_uint(want) >> 16) && hi == lo;
  }
  if (!ok) atomicAdd(bad, 1u);
}
void check_fp4_decode() {
  device_buffer d_bad(2 * sizeof(unsigned));
  CUDA_CHECK(cudaMemset(d_bad.as<unsigned>(), 0, 2 * sizeof(unsigned)));
  e2m1_pairs_kernel<<<256, 256>>>(d_bad.as<unsigned>());
  fp4_scale_kernel<<<512, 64>>>(d_bad.as<unsigned>() + 1);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<std::uint8_t> bytes = d_bad.download();
  unsigned bad[2];
  std::memcpy(bad, bytes.data(), sizeof bad);
  report(bad[0] == 0, "e2m1_bf16_pairs: every code at every position", std::to_string(bad[0]) + " wrong values");
  report(bad[1] == 0, "bf16x2_mul: every fp4 code times every e8m0 and e4m3 scale",
         std::to_string(bad[1]) + " wrong products");
}

// Each must throw ao::error before anything is launched.
void check_errors() {
  using F = ao::mxfp4;
  const ao::quantized_tensor<F> wq = ao::quantized_tensor<F>::allocate(8, 64);
  device_buffer d_data(8 * 32), d_scales(8 * 2), d_x(4 * 64 * 2), d_y(4 * 8 * 4);
  ao::const_quantized_view<F> w = wq.cview();
  w.data = d_data.as<const std::uint8_t>();
  w.scales = d_scales.as<const ao::scale_storage_t<F>>();
  const ao::strided_view<const bf16, 2> x(d_x.as<const bf16>(), {4, 64}, {64, 1});
  const ao::strided_view<float, 2> y(d_y.as<float>(), {4, 8}, {8, 1});
  auto expect_error = [](const char* what, auto&& fn) {
    std::string message;
    try {
      fn();
    } catch (const ao::error& e) {
      message = e.what();
    }
    report(!message.empty(), std::string("error: ") + what, message.empty() ? "no ao::error" : message);
  };
  expect_error("x's K differs from W's", [&] {
    ao::cuda::matmul(ao::strided_view<const bf16, 2>(d_x.as<const bf16>(), {4, 32}, {64, 1}), w, y);
  });
  expect_error("y is not M x N", [&] {
    ao::cuda::matmul(x, w, ao::strided_view<float, 2>(d_y.as<float>(), {4, 7}, {8, 1}));
  });
  expect_error("y's rows overlap", [&] {
    ao::cuda::matmul(x, w, ao::strided_view<float, 2>(d_y.as<float>(), {4, 8}, {4, 1}));
  });
  expect_error("y aliases x", [&] {
    ao::cuda::matmul(x, w, ao::strided_view<float, 2>(reinterpret_cast<float*>(d_x.as<bf16>()), {4, 8}, {8, 1}));
  });
  expect_error("bias has the wrong length", [&] {
    ao::cuda::matmul(x, w, ao::strided_view<const float, 1>(d_data.as<const float>(), {7}, {1}), y);
  });
  ao::const_quantized_view<F> short_rows = w;
  short_rows.data_stride = 31;
  expect_error("W's data_stride below a row", [&] { ao::cuda::matmul(x, short_rows, y); });
  ao::const_quantized_view<F> no_scales = w;
  no_scales.scales = nullptr;
  expect_error("W's scales null", [&] { ao::cuda::matmul(x, no_scales, y); });
  using G = ao::tinygemm_int4_group32;
  const ao::quantized_tensor<G> gq = ao::quantized_tensor<G>::allocate(8, 64);
  ao::const_quantized_view<G> g = gq.cview();
  g.data = d_data.as<const std::uint8_t>();
  g.data_stride = 31;  // a packed row is 32 bytes
  expect_error("nibble-packed W's data_stride below K / 2",
               [&] { ao::cuda::matmul(x, ao::cuda::nibble_packed<G>{g}, y); });
}

}  // namespace

int main() {
  if (!have_device()) return 77;
  check_fp4_decode();
  check_format<ao::mxfp4>(100);
  check_format<ao::mxfp8_e4m3>(200);
  check_format<ao::mxfp6_e2m3>(300);
  check_format<ao::nvfp4>(400);
  check_format<ao::nvfp4_global_scale>(500);
  check_format<ao::float8_e4m3_per_row>(600);
  check_format<ao::float8_e4m3_per_tensor>(700);
  check_format<ao::float8_e4m3_per_block_128x128>(800);
  check_format<ao::int8_symmetric_per_row>(900);
  check_format<ao::int4_asymmetric_group32>(1000);
  check_format<ao::tinygemm_int4_group128>(1100);
  check_format<ao::tinygemm_int4_group128, true>(1200);
  check_format<ao::int4_symmetric_group32, true>(1300);
  check_errors();
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
