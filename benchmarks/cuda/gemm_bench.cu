// GPU FP8 GEMM of ao::cuda::matmul over FP8 activations (ao/backends/cuda/float8_matmul.cuh, TMA + wgmma):
// y = x @ W^T with x M x K and W N x K in e4m3, bf16 y, for the scale granularities torch._scaled_mm takes:
// tensorwise, rowwise, and 1 x 128 (x) with 128 x 128 (W) blocks (DeepSeek's recipe, torchao's PerBlock); and
// MXFP8 e4m3 x e4m3 (e8m0 scales per 32 K values; torchao's Hopper path dequantizes both to bf16 and multiplies,
// which torch_gemm.py times beside it).
// Shapes: 8192^3 (issue 6's figure) and M = 2048 (a prefill chunk). Figure of merit: TFLOP/s (2 M N K per call);
// torch's _scaled_mm and bf16 matmul run beside it in the same gpu-check (benchmarks/cuda/torch_gemm.py).
//
// Codes are random finite bytes, scales 1 (e8m0 127 for MX; the speed does not depend on the values). Timing: the L2 is
// flushed before each of 30 timed calls (as triton's do_bench does for the peers), CUDA events around the call, median.
// Prints a table, and one JSON object per line to the file named by argv[1] (if any).
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "../../tests/cuda/device_check.cuh"
#include "ao/ao.hpp"
#include "ao/backends/cuda/float8_matmul.cuh"

namespace {

FILE* g_json = nullptr;
const l2_flush* g_l2 = nullptr;

template <class F>
ao::const_quantized_view<F> operand(std::size_t rows, std::size_t cols, std::uint32_t seed) {
  using S = ao::scale_storage_t<F>;
  ao::const_quantized_view<F> v;
  std::uint8_t* data = nullptr;
  S* scales = nullptr;
  const std::size_t sr = ao::format_traits<F>::scale_rows(rows, cols),
                    sc = ao::format_traits<F>::scale_cols(rows, cols);
  CUDA_CHECK(cudaMalloc(&data, rows * cols));
  CUDA_CHECK(cudaMalloc(&scales, sr * sc * sizeof(S)));
  fill_bytes_kernel<<<1024, 256>>>(data, rows * cols, seed, std::uint8_t{0xF7});  // no NaN code (0x7F, 0xFF)
  fill_value_kernel<<<256, 256>>>(scales, sr * sc, S(1.0f));
  v.data = data;
  v.data_stride = static_cast<std::ptrdiff_t>(cols);
  v.scales = scales;
  v.scales_stride = static_cast<std::ptrdiff_t>(sc);
  v.rows = rows;
  v.cols = cols;
  return v;
}

template <class A, class W>
void bench(const char* name, std::size_t m, std::size_t n, std::size_t k,
           ao::cuda::float8_accumulation accumulation = ao::cuda::float8_accumulation::promoted) {
  const auto x = operand<A>(m, k, 1);
  const auto w = operand<W>(n, k, 2);
  ao::bfloat16* y = nullptr;
  CUDA_CHECK(cudaMalloc(&y, m * n * sizeof(ao::bfloat16)));
  const ao::strided_view<ao::bfloat16, 2> yv(y, {m, n});
  CUDA_CHECK(cudaDeviceSynchronize());
  const double ms = median_ms([&] { ao::cuda::matmul(x, w, yv, nullptr, accumulation); }, [] { g_l2->flush(); });
  const double tflops = 2.0 * double(m) * double(n) * double(k) / (ms * 1e-3) / 1e12;
  std::printf("gemm  %-32s M=%-5zu N=%-5zu K=%-5zu %9.1f us %7.1f TFLOP/s\n", name, m, n, k, ms * 1e3, tflops);
  if (g_json) {
    std::fprintf(g_json,
                 "{\"op\": \"gemm\", \"format\": \"%s\", \"m\": %zu, \"n\": %zu, \"k\": %zu, \"us\": %.2f, "
                 "\"tflops\": %.2f}\n",
                 name, m, n, k, ms * 1e3, tflops);
  }
  CUDA_CHECK(cudaFree(const_cast<std::uint8_t*>(x.data)));
  CUDA_CHECK(cudaFree(const_cast<ao::scale_storage_t<A>*>(x.scales)));
  CUDA_CHECK(cudaFree(const_cast<std::uint8_t*>(w.data)));
  CUDA_CHECK(cudaFree(const_cast<ao::scale_storage_t<W>*>(w.scales)));
  CUDA_CHECK(cudaFree(y));
}

}  // namespace

int main(int argc, char** argv) {
  if (!have_device()) return 77;
  if (argc > 1) g_json = std::fopen(argv[1], "w");
  const l2_flush l2;
  g_l2 = &l2;
  using ao::cuda::float8_accumulation;
  for (std::size_t m : {8192, 2048}) {
    bench<ao::float8_e4m3_per_tensor, ao::float8_e4m3_per_tensor>("fp8 e4m3 tensorwise chained", m, 8192, 8192,
                                                                  float8_accumulation::chained);
    bench<ao::float8_e4m3_per_tensor, ao::float8_e4m3_per_tensor>("fp8 e4m3 tensorwise promoted", m, 8192, 8192,
                                                                  float8_accumulation::promoted);
    bench<ao::float8_e4m3_per_row, ao::float8_e4m3_per_row>("fp8 e4m3 rowwise chained", m, 8192, 8192,
                                                            float8_accumulation::chained);
    bench<ao::float8_e4m3_per_row, ao::float8_e4m3_per_row>("fp8 e4m3 rowwise promoted", m, 8192, 8192,
                                                            float8_accumulation::promoted);
    bench<ao::float8_e4m3_per_block_1x128, ao::float8_e4m3_per_block_128x128>("fp8 e4m3 1x128 x 128x128", m, 8192,
                                                                              8192);
    bench<ao::mxfp8_e4m3, ao::mxfp8_e4m3>("mxfp8 e4m3 x e4m3", m, 8192, 8192);
  }
  if (g_json) std::fclose(g_json);
  return 0;
}
