// GPU quantize / dequantize throughput of ao::cuda (ao/backends/cuda/quantize.cuh) on a 16384 x 8192 bf16 matrix
// (issue 6's shape), beside a device-to-device copy of the same bytes (the machine's bandwidth in this run).
// Bytes counted: the fewest any implementation must move, each input read once and each output written once
// (bf16 in; codes, scales and, for two-level NVFP4, the global scale out; the reverse for dequantize). Two-level
// NVFP4 and per-tensor FP8 read the input twice (an amax pass first); their figure still counts it once.
//
// Timing: CUDA events around each launch sequence, 5 warm-up runs, then the median of 30; the 256 MiB input is
// 5x the 50 MB L2. Prints a table, and one JSON object per line to the file named by argv[1] (if any).
// Run by scripts/gpu-check; torch's casts run beside it from benchmarks/cuda/torch_casts.py.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "ao/ao.hpp"
#include "ao/backends/cuda/quantize.cuh"
#include "../../tests/cuda/device_check.cuh"

namespace {

constexpr std::size_t kRows = 16384, kCols = 8192;

// Deterministic Gaussian-like bf16 values (a sum of 4 uniform hashes), with a row scale 2^(r % 16 - 8).
__global__ void fill_kernel(ao::bfloat16* x, std::size_t n, std::size_t cols) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x) {
    std::uint32_t h = static_cast<std::uint32_t>(i) * 2654435761u + 12345u;
    float s = 0.0f;
    for (int k = 0; k < 4; ++k) {
      h ^= h >> 13;
      h *= 0x5bd1e995u;
      h ^= h >> 15;
      s += static_cast<float>(h & 0xFFFFFF) / 16777216.0f - 0.5f;
    }
    const int e = static_cast<int>((i / cols) % 16) - 8;
    x[i] = ao::bfloat16(s * 1.7f * ldexpf(1.0f, e));
  }
}

FILE* g_json = nullptr;
double g_copy_tbs = 0;

void row(const std::string& op, const std::string& format, double bytes, double ms) {
  const double tbs = bytes / (ms * 1e-3) / 1e12;
  std::printf("%-11s %-28s %9.1f us %7.2f TB/s %6.1f%% of copy\n", op.c_str(), format.c_str(), ms * 1e3, tbs,
              g_copy_tbs > 0 ? 100.0 * tbs / g_copy_tbs : 100.0);
  if (g_json) {
    std::fprintf(g_json,
                 "{\"op\": \"%s\", \"format\": \"%s\", \"rows\": %zu, \"cols\": %zu, \"us\": %.2f, \"bytes\": %.0f, "
                 "\"tb_per_s\": %.4f, \"copy_tb_per_s\": %.4f}\n",
                 op.c_str(), format.c_str(), kRows, kCols, ms * 1e3, bytes, tbs, g_copy_tbs);
  }
}

// DIM1: also the swizzled-scale and column-wise (quantize_dim1) casts.
template <class F, bool DIM1 = false>
void bench(const ao::bfloat16* x, ao::bfloat16* y) {
  using traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  using Z = ao::zero_point_storage_t<F>;
  constexpr bool has_zps = ao::has_zero_points_v<F>;
  const std::size_t data_bytes = kRows * traits::data_row_bytes(kCols);
  const std::size_t scale_count = traits::scale_rows(kRows, kCols) * traits::scale_cols(kRows, kCols);
  std::uint8_t* data = nullptr;
  S* scales = nullptr;
  float* global = nullptr;
  Z* zero_points = nullptr;
  CUDA_CHECK(cudaMalloc(&data, data_bytes));
  if (has_zps) CUDA_CHECK(cudaMalloc(&zero_points, scale_count * sizeof(Z)));
  CUDA_CHECK(cudaMalloc(&scales, scale_count * sizeof(S)));
  CUDA_CHECK(cudaMalloc(&global, sizeof(float)));
  ao::quantized_view<F> q;
  q.data = data;
  q.data_stride = static_cast<std::ptrdiff_t>(traits::data_row_bytes(kCols));
  q.scales = scales;
  q.scales_stride = static_cast<std::ptrdiff_t>(traits::scale_cols(kRows, kCols));
  q.rows = kRows;
  q.cols = kCols;
  if constexpr (has_zps) {
    q.zero_points = zero_points;
    q.zero_points_stride = q.scales_stride;
  }
  bool two_level = false;
  if constexpr (std::is_same_v<typename traits::family, ao::format_family::nvfp4>) {
    if constexpr (F::global_scale) {
      q.global_scale = global;
      two_level = true;
    }
  }
  const double out_bytes = double(data_bytes) + double(scale_count * sizeof(S)) + (two_level ? 4.0 : 0.0) +
                           (has_zps ? double(scale_count * sizeof(Z)) : 0.0);
  const double in_bytes = double(kRows * kCols * sizeof(ao::bfloat16));
  const ao::strided_view<const ao::bfloat16, 2> src(x, {kRows, kCols});
  const ao::strided_view<ao::bfloat16, 2> dst(y, {kRows, kCols});
  const std::string name = ao::display_name<F>();
  row("quantize", name, in_bytes + out_bytes, median_ms([&] { ao::cuda::quantize<F>(src, q); }));
  row("dequantize", name, in_bytes + out_bytes,
      median_ms([&] { ao::cuda::dequantize(ao::const_quantized_view<F>(q), dst); }));
  if constexpr (DIM1) {
    // The swizzled scale layout (the scale buffer is big enough: 16384 x 8192 fills whole 128 x 4 tiles), and the
    // column-wise cast into the K x M transpose (the same byte counts).
    const auto swizzled = ao::cuda::scale_layout::swizzled;
    row("quantize", name + ", swizzled", in_bytes + out_bytes,
        median_ms([&] { ao::cuda::quantize<F>(src, q, nullptr, swizzled); }));
    ao::quantized_view<F> qt = q;
    qt.rows = kCols;
    qt.cols = kRows;
    qt.data_stride = static_cast<std::ptrdiff_t>(traits::data_row_bytes(kRows));
    qt.scales_stride = static_cast<std::ptrdiff_t>(traits::scale_cols(kCols, kRows));
    row("quantize", name + ", dim1", in_bytes + out_bytes, median_ms([&] { ao::cuda::quantize_dim1<F>(src, qt); }));
    row("quantize", name + ", dim1 swizzled", in_bytes + out_bytes,
        median_ms([&] { ao::cuda::quantize_dim1<F>(src, qt, nullptr, swizzled); }));
  }
  CUDA_CHECK(cudaFree(data));
  CUDA_CHECK(cudaFree(scales));
  CUDA_CHECK(cudaFree(global));
  if (has_zps) CUDA_CHECK(cudaFree(zero_points));
}

}  // namespace

int main(int argc, char** argv) {
  if (!have_device()) return 77;
  if (argc > 1) g_json = std::fopen(argv[1], "w");
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d SMs; %zu x %zu bf16 (%.0f MiB)\n", prop.name, prop.multiProcessorCount, kRows, kCols,
              kRows * kCols * 2 / 1048576.0);
  ao::bfloat16 *x = nullptr, *y = nullptr;
  CUDA_CHECK(cudaMalloc(&x, kRows * kCols * sizeof(ao::bfloat16)));
  CUDA_CHECK(cudaMalloc(&y, kRows * kCols * sizeof(ao::bfloat16)));
  fill_kernel<<<4096, 256>>>(x, kRows * kCols, kCols);
  CUDA_CHECK(cudaGetLastError());
  const double copy_bytes = 2.0 * kRows * kCols * sizeof(ao::bfloat16);
  const double copy_ms = median_ms([&] {
    CUDA_CHECK(cudaMemcpyAsync(y, x, kRows * kCols * sizeof(ao::bfloat16), cudaMemcpyDeviceToDevice));
  });
  row("copy", "device-to-device (read+write)", copy_bytes, copy_ms);
  g_copy_tbs = copy_bytes / (copy_ms * 1e-3) / 1e12;
  bench<ao::mxfp8_e4m3, true>(x, y);
  bench<ao::mxfp8_e4m3_rceil>(x, y);
  bench<ao::mxfp8_e5m2>(x, y);
  bench<ao::mxfp6_e2m3>(x, y);
  bench<ao::mxfp4, true>(x, y);
  bench<ao::nvfp4, true>(x, y);
  bench<ao::nvfp4_global_scale>(x, y);
  bench<ao::float8_e4m3_per_row>(x, y);
  bench<ao::float8_e4m3_per_tensor>(x, y);
  bench<ao::float8_e4m3_per_block_1x128>(x, y);
  bench<ao::float8_e4m3_per_block_128x128>(x, y);
  bench<ao::int8_symmetric_per_row>(x, y);
  bench<ao::int8_symmetric_per_tensor>(x, y);
  bench<ao::int4_asymmetric_group32>(x, y);
  bench<ao::tinygemm_int4_group128>(x, y);
  CUDA_CHECK(cudaFree(x));
  CUDA_CHECK(cudaFree(y));
  if (g_json) std::fclose(g_json);
  return 0;
}
