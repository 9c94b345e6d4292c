// benchmarks/quantize_bench.hpp: what the units of ao_quantize_bench share: the shape and sizes, the source data,
// the executors, the roofline keys, and the ao::quantize / ao::dequantize benchmarks of one format. The formats
// register from one unit per family (quantize_bench_<family>.cc) so that their instantiations compile in parallel;
// quantize_bench.cc has the rooflines, memcpy, xsimd and main. Names and counters: see quantize_bench.cc.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ao/executor.hpp"
#include "ao/formats/registry.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"

namespace ao_bench {

inline constexpr std::size_t kCols = 4096;
inline constexpr std::size_t kInCache = std::size_t{256} << 10;
inline constexpr std::size_t kOutOfCache = std::size_t{64} << 20;
inline constexpr std::size_t kTaskRows = 16;  // 64 Ki values per task, as ao's bands
inline constexpr std::size_t kSizes[] = {kInCache, kOutOfCache};
inline constexpr int kThreads[] = {1, 2};

template <class T>
const char* dtype_name() {
  return std::is_same_v<T, float> ? "f32" : "bf16";
}
inline std::string size_name(std::size_t bytes) {
  return bytes >= (std::size_t{1} << 20) ? std::to_string(bytes >> 20) + "MiB" : std::to_string(bytes >> 10) + "KiB";
}

// Normally distributed values (sigma 1, a few rows scaled by powers of two), shared by every benchmark: grown once.
template <class T>
const T* source(std::size_t n) {
  static std::vector<T> v;
  if (v.size() < n) {
    v.resize(n);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (std::size_t i = 0; i < n; ++i) {
      const float row_scale = std::ldexp(1.0f, static_cast<int>((i / kCols) % 7) - 3);
      v[i] = T(normal(rng) * row_scale);
    }
  }
  return v.data();
}

inline ao::thread_pool& pool() {
  static ao::thread_pool p(2);
  return p;
}

template <class Fn>
void with_executor(int threads, Fn&& fn) {
  if (threads == 1) {
    ao::sequential_executor ex;
    fn(ex);
  } else {
    fn(pool());
  }
}

// Runs fn(first_row, rows) over tasks of kTaskRows rows, on 1 or 2 threads.
template <class Fn>
void for_row_tasks(int threads, std::size_t rows, Fn&& fn) {
  const std::size_t tasks = (rows + kTaskRows - 1) / kTaskRows;
  auto task = [&](std::size_t i) { fn(i * kTaskRows, std::min(kTaskRows, rows - i * kTaskRows)); };
  if (threads == 1) {
    for (std::size_t i = 0; i < tasks; ++i) task(i);
  } else {
    pool().parallel_for(tasks, task);
  }
}

template <class F, class T>
std::size_t rows_for(std::size_t bytes) {
  const std::size_t m = ao::format_traits<F>::row_multiple;
  const std::size_t rows = std::max<std::size_t>(1, bytes / (kCols * sizeof(T)));
  return (rows + m - 1) / m * m;
}

inline void set_counters(benchmark::State& st, std::size_t values, std::size_t bytes) {
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * values));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * bytes));
}

// ---- Streaming roofline: the quantized size moved, no arithmetic ----

struct roofline_key {
  std::size_t values, bytes, side;  // `bytes` data bytes per `values` values, plus `side` bytes per row
  bool operator<(const roofline_key& o) const {
    return std::tie(values, bytes, side) < std::tie(o.values, o.bytes, o.side);
  }
  std::string name() const {
    return "v" + std::to_string(values) + "b" + std::to_string(bytes) + "s" + std::to_string(side);
  }
};

template <class F>
roofline_key roofline_of() {
  using traits = ao::format_traits<F>;
  const std::size_t data = traits::data_row_bytes(kCols);
  const std::size_t g = std::gcd(kCols, data);
  const std::size_t m = traits::row_multiple;
  const ao::quantized_tensor<F> q = ao::quantized_tensor<F>::allocate(m, kCols);
  const std::size_t side = (q.bytes() - m * data + m - 1) / m;
  return {kCols / g, data / g, side};
}

// ---- ao::quantize / ao::dequantize ----

template <class F, class Src, class Backend>
void bm_quantize(benchmark::State& st, std::size_t bytes, int threads) {
  const std::size_t rows = rows_for<F, Src>(bytes), n = rows * kCols;
  const ao::strided_view<const Src, 2> src(source<Src>(n), {rows, kCols});
  ao::quantized_tensor<F> q = ao::quantized_tensor<F>::allocate(rows, kCols);
  with_executor(threads, [&](auto& ex) {
    for (auto _ : st) {
      ao::quantize<F>(src, q.view(), Backend{}, ex);
      benchmark::DoNotOptimize(q.data().data());
      benchmark::ClobberMemory();
    }
  });
  set_counters(st, n, n * sizeof(Src));
  st.SetLabel(roofline_of<F>().name());
}

template <class F, class Dst, class Backend>
void bm_dequantize(benchmark::State& st, std::size_t bytes, int threads) {
  const std::size_t rows = rows_for<F, Dst>(bytes), n = rows * kCols;
  const ao::strided_view<const Dst, 2> src(source<Dst>(n), {rows, kCols});
  const ao::quantized_tensor<F> q = ao::quantize<F>(src, Backend{});
  std::vector<Dst> out(n);
  const ao::strided_view<Dst, 2> dst(out.data(), {rows, kCols});
  with_executor(threads, [&](auto& ex) {
    for (auto _ : st) {
      ao::dequantize(q.view(), dst, Backend{}, ex);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  });
  set_counters(st, n, n * sizeof(Dst));
  st.SetLabel(roofline_of<F>().name());
}

inline std::string bench_name(const char* op, const char* format, const char* dtype, std::size_t bytes, int threads,
                       const char* backend) {
  return std::string(op) + "/" + format + "/" + dtype + "/" + size_name(bytes) + "/" + std::to_string(threads) + "t/" +
         backend;
}

template <class F, class T, class Backend>
void register_format_dtype_backend() {
  for (std::size_t bytes : kSizes) {
    for (int t : kThreads) {
      benchmark::RegisterBenchmark(
          bench_name("quantize", ao::name<F>(), dtype_name<T>(), bytes, t, Backend::name).c_str(),
          bm_quantize<F, T, Backend>, bytes, t)
          ->UseRealTime();
      benchmark::RegisterBenchmark(
          bench_name("dequantize", ao::name<F>(), dtype_name<T>(), bytes, t, Backend::name).c_str(),
          bm_dequantize<F, T, Backend>, bytes, t)
          ->UseRealTime();
    }
  }
}

// Registers F's benchmarks (fp32 and bf16, highway and scalar) and adds its roofline key to `keys`.
template <class F>
void register_format(std::set<roofline_key>& keys) {
  keys.insert(roofline_of<F>());
  register_format_dtype_backend<F, float, ao::backend::highway>();
  register_format_dtype_backend<F, float, ao::backend::scalar>();
  register_format_dtype_backend<F, ao::bfloat16, ao::backend::highway>();
  register_format_dtype_backend<F, ao::bfloat16, ao::backend::scalar>();
}

// One per family, in registry order (quantize_bench_<family>.cc).
void register_mx_formats(std::set<roofline_key>& keys);
void register_nvfp4_formats(std::set<roofline_key>& keys);
void register_float8_formats(std::set<roofline_key>& keys);
void register_affine_formats(std::set<roofline_key>& keys);

}  // namespace ao_bench
