// Weight-only ao::matmul (ao/ops/matmul.hpp), y = x @ dequant(W)^T with fp32 x and y, K = N = 4096.
//   nice -n 19 build/benchmarks/ao_matmul_bench              (docs/performance.md, "Weight-only matmul")
//
// Names:
//   gemv/<format>/M<m>/<t>t/<backend>   M = 1 or 8, backend highway or scalar (the reference backend, this unit
//                                       compiled -O3 -march=native); W cycled over enough copies to pass 3x the
//                                       32 MiB L3, so every call reads W from DRAM. bytes_per_second: W's bytes
//                                       (codes + scales + zero points) per call.
//   roofline/<format>/<t>t              a streaming read (a sum of 64-bit words) of the same copies, the same bytes:
//                                       the same-run bandwidth the GEMV divides by.
//   gemm/<format>/M512/<t>t/highway     M = 512 (prefill), one copy of W; counter GFLOP/s = 2 M N K per call.
//   grouped/<format>/E8/T32/<t>t/highway  ao::grouped_matmul: 8 experts of 1024 x 4096, 32 fp32 tokens (4 per
//                                       expert, MoE decode), the stack cycled like gemv's; bytes: the stack's.
//   dynamic_gemv/<W>/M<m>/<t>t/<backend>  ao::matmul_dynamic<A> (x quantized per call, then integer dot products:
//                                       VNNI where the CPU has it; A in the label: int8_symmetric_per_row for int8
//                                       W, int8_asymmetric_per_row for group-wise int4 W; mxfp8_e4m3 for MX W,
//                                       float8_e4m3_per_row for FP8 W: ao/ops/float_matmul.hpp), W cycled as for
//                                       gemv; bytes_per_second: W's bytes per call (compare with roofline/<W>).
//   dynamic_gemm/<W>/M512/<t>t/highway  the same at M = 512, one copy of W; counter GOP/s = 2 M N K per call.
//   onednn_u8s8/M<m>/1t, onednn_f32/M<m>/1t   the peer (benchmarks/onednn_peer.hpp, when built with oneDNN): its
//                                       matmul on the same shapes, W prepacked once (copies cycled for M = 1 as
//                                       above); run with OMP_NUM_THREADS=1. The label names oneDNN's kernel.
// <t>t: 1 or 2 threads (ao::thread_pool through the executor; the roofline splits the bytes in 2).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "ao/formats/registry.hpp"
#include "ao/ops/grouped_matmul.hpp"
#include "ao/ops/integer_matmul.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "read_roofline.hpp"
#if defined(AO_BENCH_WITH_DNNL)
#include "onednn_peer.hpp"
#endif

namespace {

constexpr std::size_t kN = 4096, kK = 4096;
// Bytes of W copies cycled by the GEMV rows: 96 MiB (3x the L3), or AO_BENCH_CYCLE_MIB from the environment (0:
// one copy, which stays in the L3: the decode's speed without DRAM).
const std::size_t kCycleBytes = ao_bench::mib_from_env("AO_BENCH_CYCLE_MIB", 96);

std::vector<float> normal_values(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

ao::thread_pool& pool() {
  static ao::thread_pool p(2);
  return p;
}

// Copies of one quantized N x K weight, at least `bytes` in all (one copy when bytes is 0).
template <class F>
std::vector<ao::quantized_tensor<F>> weight_copies(std::size_t bytes) {
  const std::vector<float> w = normal_values(kN * kK, 1);
  const ao::quantized_tensor<F> q = ao::quantize<F>(ao::strided_view<const float, 2>(w.data(), {kN, kK}));
  const std::size_t copies = std::max<std::size_t>(1, (bytes + q.bytes() - 1) / q.bytes());
  return std::vector<ao::quantized_tensor<F>>(copies, q);
}

// Times call(x, w, y, extra options...) over copies of W (one copy when m >= 512), with or without the pool.
template <class F, class Call>
void time_matmul(benchmark::State& state, std::size_t m, int threads, Call call) {
  const auto w = weight_copies<F>(m >= 512 ? 0 : kCycleBytes);
  const std::vector<float> x = normal_values(m * kK, 2);
  std::vector<float> y(m * kN);
  const ao::strided_view<const float, 2> xv(x.data(), {m, kK});
  const ao::strided_view<float, 2> yv(y.data(), {m, kN});
  std::size_t i = 0;
  for (auto _ : state) {
    if (threads == 1) {
      call(xv, w[i], yv);
    } else {
      call(xv, w[i], yv, pool());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    i = (i + 1) % w.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w[0].bytes()));
  state.counters["copies"] = static_cast<double>(w.size());
}

template <class F, class Backend>
void gemv(benchmark::State& state, std::size_t m, int threads) {
  time_matmul<F>(state, m, threads,
                 [](auto x, const auto& w, auto y, auto&... ex) { ao::matmul(x, w, y, Backend{}, ex...); });
}

using ao_bench::read_words;

template <class F>
void roofline(benchmark::State& state, int threads) {
  const auto w = weight_copies<F>(kCycleBytes);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& q = w[i];
    // The buffers W is stored in: codes, scales, zero points.
    const std::uint8_t* parts[3] = {q.data().data(), reinterpret_cast<const std::uint8_t*>(q.scales().data()),
                                    reinterpret_cast<const std::uint8_t*>(q.zero_points().data())};
    const std::size_t sizes[3] = {q.data().size(), q.scales().size() * sizeof(q.scales()[0]),
                                  q.zero_points().size() * sizeof(q.zero_points()[0])};
    std::uint64_t sum[2] = {0, 0};
    auto half = [&](std::size_t t) {
      for (int b = 0; b < 3; ++b) {
        const std::size_t per = sizes[b] / 2 / 8 * 8, from = t == 0 ? 0 : per, n = t == 0 ? per : sizes[b] - per;
        sum[t] += read_words(parts[b] + from, n / 8 * 8);
      }
    };
    if (threads == 1) {
      half(0);
      half(1);
    } else {
      pool().parallel_for(2, half);
    }
    benchmark::DoNotOptimize(sum);
    i = (i + 1) % w.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w[0].bytes()));
}

template <class F>
void gemm(benchmark::State& state, int threads) {
  constexpr std::size_t kM = 512;
  time_matmul<F>(state, kM, threads, [](auto x, const auto& w, auto y, auto&... ex) { ao::matmul(x, w, y, ex...); });
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * kM * kN * kK * 1e-9,
                                                 benchmark::Counter::kIsRate);
}

// ao::matmul_dynamic with per-token int8 activations of format A (torchao's Int8DynamicActivationInt8Weight:
// symmetric; Int8DynamicActivationIntxWeight, W4A8 with group-wise W: asymmetric).
template <class A, class F, class Backend>
void dynamic_gemv(benchmark::State& state, std::size_t m, int threads) {
  time_matmul<F>(state, m, threads,
                 [](auto x, const auto& w, auto y, auto&... ex) { ao::matmul_dynamic<A>(x, w, y, Backend{}, ex...); });
  state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * m * kN * kK * 1e-9,
                                               benchmark::Counter::kIsRate);
  state.SetLabel(std::string("x: ") + ao::name<A>());
}

template <class A, class F>
void register_dynamic() {
  const std::string name = ao::name<F>();
  for (int t : {1, 2}) {
    const std::string ts = "/" + std::to_string(t) + "t";
    for (std::size_t m : {1, 8}) {
      benchmark::RegisterBenchmark(("dynamic_gemv/" + name + "/M" + std::to_string(m) + ts + "/highway").c_str(),
                                   [m, t](benchmark::State& s) { dynamic_gemv<A, F, ao::backend::highway>(s, m, t); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("dynamic_gemm/" + name + "/M512" + ts + "/highway").c_str(),
                                 [t](benchmark::State& s) { dynamic_gemv<A, F, ao::backend::highway>(s, 512, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark(("dynamic_gemv/" + name + "/M1/1t/scalar").c_str(),
                               [](benchmark::State& s) { dynamic_gemv<A, F, ao::backend::scalar>(s, 1, 1); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

template <class F>
void register_format() {
  const std::string name = ao::name<F>();
  for (int t : {1, 2}) {
    const std::string ts = "/" + std::to_string(t) + "t";
    benchmark::RegisterBenchmark(("roofline/" + name + ts).c_str(), [t](benchmark::State& s) { roofline<F>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    for (std::size_t m : {1, 8}) {
      benchmark::RegisterBenchmark(("gemv/" + name + "/M" + std::to_string(m) + ts + "/highway").c_str(),
                                   [m, t](benchmark::State& s) { gemv<F, ao::backend::highway>(s, m, t); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark(("gemv/" + name + "/M1/1t/scalar").c_str(),
                               [](benchmark::State& s) { gemv<F, ao::backend::scalar>(s, 1, 1); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

template <class F>
void register_gemm() {
  for (int t : {1, 2}) {
    benchmark::RegisterBenchmark(
        ("gemm/" + std::string(ao::name<F>()) + "/M512/" + std::to_string(t) + "t/highway").c_str(),
        [t](benchmark::State& s) { gemm<F>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

// ao::grouped_matmul over kExperts experts of N x K (MoE decode): kTokens tokens, spread evenly, fp32 x; the
// stacked weights cycled like gemv's (every call reads them from DRAM). bytes_per_second: the stack's bytes per call.
template <class F>
void grouped(benchmark::State& state, int threads) {
  constexpr std::size_t kExperts = 8, kExpertN = 1024, kTokens = 32;
  const std::vector<float> wf = normal_values(kExperts * kExpertN * kK, 1);
  const auto q = ao::quantize<F>(ao::strided_view<const float, 3>(wf.data(), {kExperts, kExpertN, kK}));
  const std::size_t copies = std::max<std::size_t>(1, (kCycleBytes + q.bytes() - 1) / q.bytes());
  const std::vector<ao::quantized_tensor<F>> w(copies, q);
  const std::vector<float> x = normal_values(kTokens * kK, 2);
  std::vector<float> y(kTokens * kExpertN);
  std::vector<std::int64_t> offsets(kExperts);
  for (std::size_t e = 0; e < kExperts; ++e) offsets[e] = static_cast<std::int64_t>((e + 1) * kTokens / kExperts);
  const ao::strided_view<const float, 2> xv(x.data(), {kTokens, kK});
  const ao::strided_view<const std::int64_t, 1> ov(offsets.data(), {kExperts});
  const ao::strided_view<float, 2> yv(y.data(), {kTokens, kExpertN});
  std::size_t i = 0;
  for (auto _ : state) {
    if (threads == 1) {
      ao::grouped_matmul(xv, w[i], ov, yv);
    } else {
      ao::grouped_matmul(xv, w[i], ov, yv, pool());
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    i = (i + 1) % w.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * q.bytes()));
  state.counters["copies"] = static_cast<double>(w.size());
}

template <class F>
void register_grouped() {
  for (int t : {1, 2}) {
    benchmark::RegisterBenchmark(
        ("grouped/" + std::string(ao::name<F>()) + "/E8/T32/" + std::to_string(t) + "t/highway").c_str(),
        [t](benchmark::State& s) { grouped<F>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

#if defined(AO_BENCH_WITH_DNNL)
// oneDNN on the same problem: int8 (u8 activations, s8 weights, s32 out) or f32; copies of W as for gemv.
void onednn(benchmark::State& state, std::size_t m, bool int8) {
  const std::size_t copies = m >= 512 ? 1 : std::max<std::size_t>(1, kCycleBytes / (kN * kK * (int8 ? 1 : 4)));
  const std::vector<float> wf = normal_values(kN * kK, 1);
  std::vector<std::int8_t> w8(wf.size());
  for (std::size_t i = 0; i < wf.size(); ++i)
    w8[i] = static_cast<std::int8_t>(std::clamp(wf[i] * 40.0f, -127.0f, 127.0f));
  std::vector<ao_bench::onednn_matmul> peers;
  for (std::size_t c = 0; c < copies; ++c) {
    peers.emplace_back(m, kN, kK, int8, int8 ? static_cast<const void*>(w8.data()) : wf.data());
  }
  const std::vector<float> xf = normal_values(m * kK, 2);
  std::vector<std::uint8_t> x8(xf.size());
  for (std::size_t i = 0; i < xf.size(); ++i)
    x8[i] = static_cast<std::uint8_t>(std::clamp(xf[i] * 40.0f + 128.0f, 0.0f, 255.0f));
  std::vector<float> y(m * kN);
  std::size_t i = 0;
  for (auto _ : state) {
    peers[i].run(int8 ? static_cast<const void*>(x8.data()) : xf.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    i = (i + 1) % peers.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kN * kK * (int8 ? 1 : 4)));
  state.counters["GOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 2.0 * m * kN * kK * 1e-9,
                                               benchmark::Counter::kIsRate);
  state.SetLabel(peers[0].implementation());
}

void register_onednn() {
  for (bool int8 : {true, false}) {
    for (std::size_t m : {1, 512}) {
      benchmark::RegisterBenchmark(
          (std::string(int8 ? "onednn_u8s8" : "onednn_f32") + "/M" + std::to_string(m) + "/1t").c_str(),
          [m, int8](benchmark::State& s) { onednn(s, m, int8); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  register_format<ao::int4_symmetric_group32>();
  register_format<ao::tinygemm_int4_group128>();
  register_format<ao::int8_symmetric_per_row>();
  register_format<ao::float8_e4m3_per_row>();
  register_format<ao::mxfp4>();
  register_format<ao::mxfp8_e4m3>();
  register_format<ao::nvfp4>();
  register_gemm<ao::int4_symmetric_group32>();
  register_gemm<ao::mxfp4>();
  register_gemm<ao::mxfp8_e4m3>();
  register_gemm<ao::nvfp4>();
  register_gemm<ao::float8_e4m3_per_row>();
  register_grouped<ao::mxfp4>();
  register_grouped<ao::int4_symmetric_group32>();
  register_dynamic<ao::int8_symmetric_per_row, ao::int8_symmetric_per_row>();
  register_dynamic<ao::int8_asymmetric_per_row, ao::int4_symmetric_group32>();
  register_dynamic<ao::int8_asymmetric_per_row, ao::int4_asymmetric_group32>();
  register_dynamic<ao::mxfp8_e4m3, ao::mxfp4>();
  register_dynamic<ao::mxfp8_e4m3, ao::mxfp8_e4m3>();
  register_dynamic<ao::float8_e4m3_per_row, ao::float8_e4m3_per_row>();
#if defined(AO_BENCH_WITH_DNNL)
  register_onednn();
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
