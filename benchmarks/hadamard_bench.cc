// ao::hadamard and ao::hadamard_quantize (ao/ops/hadamard.hpp), single thread (issue 5's Hadamard targets).
//   nice -n 19 build/benchmarks/ao_hadamard_bench      (docs/performance.md, "Hadamard (issue 5)")
//
// Names (bytes_per_second: the fp32 input bytes per call; the output is as large again for ao::hadamard):
//   hadamard/rows4096/<backend>           ao::hadamard of 32 rows of 4096 fp32 values (512 KiB in, 512 KiB out: in
//                                         the 1 MiB L2), the whole-row transform, out of place
//   hadamard/rows4096_inplace/<backend>   the same in place (512 KiB)
//   hadamard/block16/<backend>            the same rows, 16-value blocks with TransformerEngine's signs (RHT)
//   fused/nvfp4_rht16                     ao::hadamard_quantize<nvfp4>: RHT of 16-blocks + NVFP4 quantize of a
//                                         4096 x 4096 fp32 matrix (64 MiB: out of the 32 MiB L3)
//   fused/nvfp4_rows4096                  the same with the whole-row 4096 transform
//   quantize/nvfp4                        ao::quantize<nvfp4> alone, same matrix: the fused ratio's denominator
//   hadamard_then_quantize/nvfp4_rht16    ao::hadamard into an fp32 matrix, then ao::quantize (two passes)
//   ratio/nvfp4_rht16, ratio/nvfp4_rows4096   fused and quantize alone back to back per iteration; counters: the
//                                         fastest of each (ms) and their ratio quantize / fused (robust to a busy
//                                         machine, where the medians of separate benchmarks drift)
// The butterfly is the static-dispatch Highway kernel of this unit's -march=native target; quantize runs through
// ao::cpu_dispatch.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <random>
#include <vector>

#include "ao/ops/hadamard.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"

namespace {

std::vector<float> values(std::size_t n) {
  std::mt19937 gen(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(gen);
  return v;
}

constexpr std::size_t kCols = 4096, kL2Rows = 32, kBigRows = 4096;

template <class Backend, class... Options>
void run_hadamard(benchmark::State& state, bool in_place, Options... options) {
  std::vector<float> x = values(kL2Rows * kCols), y(x.size());
  ao::strided_view<const float, 2> src(x.data(), {kL2Rows, kCols});
  ao::strided_view<float, 2> dst(in_place ? x.data() : y.data(), {kL2Rows, kCols});
  for (auto _ : state) {
    ao::hadamard(src, dst, Backend{}, options...);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * x.size() * sizeof(float)));
}

void BM_rows(benchmark::State& s) { run_hadamard<ao::backend::highway>(s, false); }
void BM_rows_scalar(benchmark::State& s) { run_hadamard<ao::backend::scalar>(s, false); }
void BM_rows_inplace(benchmark::State& s) { run_hadamard<ao::backend::highway>(s, true); }
void BM_block16(benchmark::State& s) {
  run_hadamard<ao::backend::highway>(s, false, ao::hadamard_block{16}, ao::hadamard_signs::transformer_engine());
}
void BM_block16_scalar(benchmark::State& s) {
  run_hadamard<ao::backend::scalar>(s, false, ao::hadamard_block{16}, ao::hadamard_signs::transformer_engine());
}
BENCHMARK(BM_rows)->Name("hadamard/rows4096/highway");
BENCHMARK(BM_rows_scalar)->Name("hadamard/rows4096/scalar");
BENCHMARK(BM_rows_inplace)->Name("hadamard/rows4096_inplace/highway");
BENCHMARK(BM_block16)->Name("hadamard/block16/highway");
BENCHMARK(BM_block16_scalar)->Name("hadamard/block16/scalar");

const std::vector<float>& big() {
  static const std::vector<float> v = values(kBigRows * kCols);
  return v;
}

// 0: fused RHT16, 1: fused rows, 2: quantize alone, 3: hadamard then quantize.
void BM_nvfp4(benchmark::State& state, int kind) {
  ao::strided_view<const float, 2> src(big().data(), {kBigRows, kCols});
  auto q = ao::quantized_tensor<ao::nvfp4>::allocate(kBigRows, kCols);
  std::vector<float> rotated(kind == 3 ? big().size() : 0);
  const auto te = ao::hadamard_signs::transformer_engine();
  for (auto _ : state) {
    if (kind == 0) ao::hadamard_quantize<ao::nvfp4>(src, q.view(), ao::hadamard_block{16}, te);
    if (kind == 1) ao::hadamard_quantize<ao::nvfp4>(src, q.view());
    if (kind == 2) ao::quantize<ao::nvfp4>(src, q.view());
    if (kind == 3) {
      ao::hadamard(src, ao::strided_view<float, 2>(rotated.data(), {kBigRows, kCols}), ao::hadamard_block{16}, te);
      ao::quantize<ao::nvfp4>(ao::strided_view<const float, 2>(rotated.data(), {kBigRows, kCols}), q.view());
    }
    benchmark::DoNotOptimize(q.view().data);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * big().size() * sizeof(float)));
}
BENCHMARK_CAPTURE(BM_nvfp4, fused_rht16, 0)->Name("fused/nvfp4_rht16")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_nvfp4, fused_rows, 1)->Name("fused/nvfp4_rows4096")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_nvfp4, quantize, 2)->Name("quantize/nvfp4")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_nvfp4, two_pass, 3)->Name("hadamard_then_quantize/nvfp4_rht16")->Unit(benchmark::kMillisecond);

// The fused ratio on a shared (noisy) machine: each iteration runs the fused call and quantize alone back to back;
// counters: the fastest of each over the iterations (ms), and quantize_min / fused_min (the issue's >= 80%).
void BM_ratio(benchmark::State& state, bool rows) {
  using clock = std::chrono::steady_clock;
  ao::strided_view<const float, 2> src(big().data(), {kBigRows, kCols});
  auto q = ao::quantized_tensor<ao::nvfp4>::allocate(kBigRows, kCols);
  const auto te = ao::hadamard_signs::transformer_engine();
  double fused = 1e30, alone = 1e30;
  for (auto _ : state) {
    const auto t0 = clock::now();
    if (rows) {
      ao::hadamard_quantize<ao::nvfp4>(src, q.view());
    } else {
      ao::hadamard_quantize<ao::nvfp4>(src, q.view(), ao::hadamard_block{16}, te);
    }
    const auto t1 = clock::now();
    ao::quantize<ao::nvfp4>(src, q.view());
    const auto t2 = clock::now();
    fused = std::min(fused, std::chrono::duration<double, std::milli>(t1 - t0).count());
    alone = std::min(alone, std::chrono::duration<double, std::milli>(t2 - t1).count());
    benchmark::DoNotOptimize(q.view().data);
  }
  state.counters["fused_min_ms"] = fused;
  state.counters["quantize_min_ms"] = alone;
  state.counters["ratio"] = alone / fused;
}
BENCHMARK_CAPTURE(BM_ratio, rht16, false)->Name("ratio/nvfp4_rht16")->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_ratio, rows, true)->Name("ratio/nvfp4_rows4096")->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
#if !defined(AO_DISABLE_HIGHWAY)
  benchmark::AddCustomContext("hadamard_highway_target", hwy::TargetName(HWY_STATIC_TARGET));
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
