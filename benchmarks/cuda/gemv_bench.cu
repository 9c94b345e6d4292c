// GPU weight-only GEMV / skinny matmul of ao::cuda::matmul (ao/backends/cuda/matmul.cuh): y = x @ W^T with
// N = K = 8192 (issue 6's decode shape), bf16 x of M = 1, 4, 16 rows, bf16 y, for the weight formats the issue
// names: int4 group-wise affine (tinygemm's 128-value groups, nibble-packed), int8 per row, FP8 e4m3 per row,
// MXFP4, MXFP8, NVFP4. Figure of merit: weight bytes (codes + scales + zero points) per second, the number torch's
// own GEMV peers are quoted in (benchmarks/cuda/torch_gemv.py runs them in the same gpu-check).
//
// W holds random codes with valid scales (the kernel's speed does not depend on the values). Timing: the L2 is
// flushed (a 256 MiB memset) before each of 30 timed calls, CUDA events around the call alone, median. Prints a
// table, and one JSON object per line to the file named by argv[1] (if any). AO_BENCH_FILTER=text runs
// only the formats whose name contains it.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "../../tests/cuda/device_check.cuh"
#include "ao/ao.hpp"
#include "ao/backends/cuda/matmul.cuh"

namespace {

constexpr std::size_t kN = 8192, kK = 8192;

FILE* g_json = nullptr;
const l2_flush* g_l2 = nullptr;
void flush_l2() { g_l2->flush(); }

template <class T>
T* device_array(std::size_t n) {
  T* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, n * sizeof(T) + 16));
  return p;
}

// One format at M = 1, 4, 16. `scale` / `zero_point`: the value every scale (zero point) holds.
template <class F, bool Packed = false>
void bench(const char* name, ao::scale_storage_t<F> scale, ao::zero_point_storage_t<F> zero_point = {}) {
  if (const char* f = std::getenv("AO_BENCH_FILTER"); f != nullptr && std::string(name).find(f) == std::string::npos) {
    return;
  }
  using traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  using Z = ao::zero_point_storage_t<F>;
  const std::size_t row_bytes = Packed ? kK / 2 : traits::data_row_bytes(kK);
  const std::size_t srows = traits::scale_rows(kN, kK), scols = traits::scale_cols(kN, kK);
  ao::const_quantized_view<F> w;
  w.rows = kN;
  w.cols = kK;
  auto* data = device_array<std::uint8_t>(kN * row_bytes);
  fill_bytes_kernel<<<1024, 256>>>(data, kN * row_bytes, 17u, std::uint8_t{0xFF});
  auto* scales = device_array<S>(srows * scols);
  fill_value_kernel<<<256, 256>>>(scales, srows * scols, scale);
  w.data = data;
  w.data_stride = static_cast<std::ptrdiff_t>(row_bytes);
  w.scales = scales;
  w.scales_stride = static_cast<std::ptrdiff_t>(scols);
  double weight_bytes = double(kN * row_bytes) + double(srows * scols * sizeof(S));
  Z* zero_points = nullptr;
  if constexpr (ao::has_zero_points_v<F>) {
    zero_points = device_array<Z>(srows * scols);
    fill_value_kernel<<<256, 256>>>(zero_points, srows * scols, zero_point);
    w.zero_points = zero_points;
    w.zero_points_stride = static_cast<std::ptrdiff_t>(scols);
    weight_bytes += double(srows * scols * sizeof(Z));
  }
  float* global = device_array<float>(1);
  if constexpr (std::is_same_v<typename traits::family, ao::format_family::nvfp4>) {
    if constexpr (F::global_scale) {
      fill_value_kernel<<<1, 1>>>(global, 1, 1.0f);
      w.global_scale = global;
    }
  }
  auto* x = device_array<ao::bfloat16>(16 * kK);
  fill_value_kernel<<<256, 256>>>(x, 16 * kK, ao::bfloat16(0.5f));
  auto* y = device_array<ao::bfloat16>(16 * kN);
  CUDA_CHECK(cudaDeviceSynchronize());
  double ms1 = 0;
  for (std::size_t m : {1, 4, 16}) {
    const ao::strided_view<const ao::bfloat16, 2> xv(x, {m, kK}, {static_cast<std::ptrdiff_t>(kK), 1});
    const ao::strided_view<ao::bfloat16, 2> yv(y, {m, kN}, {static_cast<std::ptrdiff_t>(kN), 1});
    const double ms = median_ms(
        [&] {
          if constexpr (Packed) {
            ao::cuda::matmul(xv, ao::cuda::nibble_packed<F>{w}, yv);
          } else {
            ao::cuda::matmul(xv, w, yv);
          }
        },
        flush_l2);
    if (m == 1) ms1 = ms;
    const double tbs = weight_bytes / (ms * 1e-3) / 1e12;
    std::printf("gemv  %-34s M=%-3zu %8.1f us %6.2f TB/s of weight bytes  %5.2fx the M=1 time\n", name, m, ms * 1e3,
                tbs, ms / ms1);
    if (g_json) {
      std::fprintf(g_json,
                   "{\"op\": \"gemv\", \"format\": \"%s\", \"m\": %zu, \"n\": %zu, \"k\": %zu, \"us\": %.2f, "
                   "\"weight_bytes\": %.0f, \"tb_per_s\": %.4f}\n",
                   name, m, kN, kK, ms * 1e3, weight_bytes, tbs);
    }
  }
  // fp4 weights run M = 1 on the tensor cores: the CUDA-core kernel beside it, same run.
  constexpr bool nibbles = Packed || traits::elements_per_byte == 2;
  const auto decoder = ao::cuda::detail::weight_decoder_of<F, nibbles>(w);
  if constexpr (std::remove_const_t<decltype(decoder)>::mma_fp4) {
    const double ms = median_ms(
        [&] {
          ao::cuda::detail::launch_gemv<std::remove_const_t<decltype(decoder)>, 1>(
              x, kK, 1, kN, kK, data, w.data_stride, decoder, nullptr, y, kN, true, nullptr);
        },
        flush_l2);
    std::printf("gemv  %-34s M=1   %8.1f us %6.2f TB/s of weight bytes  (CUDA-core kernel)\n", name, ms * 1e3,
                weight_bytes / (ms * 1e-3) / 1e12);
  }
  CUDA_CHECK(cudaFree(data));
  CUDA_CHECK(cudaFree(scales));
  if (zero_points) CUDA_CHECK(cudaFree(zero_points));
  CUDA_CHECK(cudaFree(global));
  CUDA_CHECK(cudaFree(x));
  CUDA_CHECK(cudaFree(y));
}

}  // namespace

int main(int argc, char** argv) {
  if (!have_device()) return 77;
  if (argc > 1) g_json = std::fopen(argv[1], "w");
  const l2_flush l2;
  g_l2 = &l2;
  using bf16 = ao::bfloat16;
  bench<ao::tinygemm_int4_group128, true>("int4 tinygemm g128 nibble-packed", bf16(0.01f), bf16(0.0f));
  bench<ao::int4_symmetric_group32, true>("int4 symmetric g32 nibble-packed", 0.01f, 0);
  bench<ao::int8_symmetric_per_row>("int8 symmetric per row", 0.01f, 0);
  bench<ao::float8_e4m3_per_row>("fp8 e4m3 per row", 0.01f);
  bench<ao::mxfp4>("mxfp4", ao::float8_e8m0fnu::from_bits(120));
  bench<ao::mxfp8_e4m3>("mxfp8 e4m3", ao::float8_e8m0fnu::from_bits(120));
  bench<ao::nvfp4>("nvfp4", ao::float8_e4m3fn(0.25f));
  bench<ao::nvfp4_global_scale>("nvfp4 two level", ao::float8_e4m3fn(0.25f));
  if (g_json) std::fclose(g_json);
  return 0;
}
