// Scalar element-codec throughput: ao's generic constexpr codec (the oracle every SIMD/CUDA kernel is tested
// against) beside the peers a user might call instead for one value at a time: CUDA's host converters
// (cuda_fp8.h, cuda_bf16.h, cuda_fp16.h; when the toolkit is installed) and the compiler's _Float16 (F16C /
// AVX512-FP16 instructions). 64 Ki values per iteration, inputs spread over the types' ranges.
//   build/benchmarks/ao_numeric_codec_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "ao/numeric.hpp"

#if defined(AO_BENCH_WITH_CUDA_HEADERS)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#endif

namespace {

constexpr std::size_t kCount = 1 << 16;

const std::vector<float>& inputs() {
  static const std::vector<float> v = [] {
    std::vector<float> x(kCount);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& f : x) f = normal(rng) * 64.0f;
    return x;
  }();
  return v;
}

template <class T>
void BM_Encode(benchmark::State& state) {
  const auto& x = inputs();
  std::vector<typename T::storage_type> out(kCount);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kCount; ++i) out[i] = T(x[i]).bits();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCount));
}

template <class T>
void BM_Decode(benchmark::State& state) {
  const auto& x = inputs();
  std::vector<typename T::storage_type> codes(kCount);
  for (std::size_t i = 0; i < kCount; ++i) codes[i] = T(x[i]).bits();
  std::vector<float> out(kCount);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kCount; ++i) out[i] = float(T::from_bits(codes[i]));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCount));
}

#define AO_CODEC_BENCH(T)                                       \
  BENCHMARK_TEMPLATE(BM_Encode, ao::T)->Name("ao/encode/" #T); \
  BENCHMARK_TEMPLATE(BM_Decode, ao::T)->Name("ao/decode/" #T);
AO_CODEC_BENCH(float8_e4m3fn)
AO_CODEC_BENCH(float8_e5m2)
AO_CODEC_BENCH(float8_e8m0fnu)
AO_CODEC_BENCH(float6_e2m3fn)
AO_CODEC_BENCH(float4_e2m1fn)
AO_CODEC_BENCH(bfloat16)
AO_CODEC_BENCH(float16)

template <class Fn>
void run_peer(benchmark::State& state, Fn fn) {
  const auto& x = inputs();
  std::vector<std::uint16_t> out(kCount);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kCount; ++i) out[i] = fn(x[i]);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCount));
}

#if defined(__FLT16_MAX__)
void BM_PeerFloat16(benchmark::State& state) {
  run_peer(state, [](float f) {
    const _Float16 h = static_cast<_Float16>(f);
    std::uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
  });
}
BENCHMARK(BM_PeerFloat16)->Name("peer/encode/float16 (_Float16)");
#endif

#if defined(AO_BENCH_WITH_CUDA_HEADERS)
void BM_PeerCudaE4m3(benchmark::State& state) {
  run_peer(state, [](float f) { return std::uint16_t(__nv_cvt_float_to_fp8(f, __NV_SATFINITE, __NV_E4M3)); });
}
void BM_PeerCudaE5m2(benchmark::State& state) {
  run_peer(state, [](float f) { return std::uint16_t(__nv_cvt_float_to_fp8(f, __NV_SATFINITE, __NV_E5M2)); });
}
void BM_PeerCudaBf16(benchmark::State& state) {
  run_peer(state, [](float f) {
    const __nv_bfloat16 h = __float2bfloat16_rn(f);
    std::uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
  });
}
void BM_PeerCudaFp16(benchmark::State& state) {
  run_peer(state, [](float f) {
    const __half h = __float2half_rn(f);
    std::uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
  });
}
BENCHMARK(BM_PeerCudaE4m3)->Name("peer/encode/float8_e4m3fn (CUDA host)");
BENCHMARK(BM_PeerCudaE5m2)->Name("peer/encode/float8_e5m2 (CUDA host)");
BENCHMARK(BM_PeerCudaBf16)->Name("peer/encode/bfloat16 (CUDA host)");
BENCHMARK(BM_PeerCudaFp16)->Name("peer/encode/float16 (CUDA host)");
#endif

}  // namespace

BENCHMARK_MAIN();
