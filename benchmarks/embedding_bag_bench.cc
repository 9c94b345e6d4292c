// ao::embedding_bag (ao/ops/embedding.hpp) over a quantized table far larger than the L3, bags of 20 random rows of
// dim 2048 (issue 5's shape).
//   nice -n 19 build/benchmarks/ao_embedding_bag_bench      (docs/performance.md, "Embedding bag (issue 5)")
//
// Names:
//   bag/<format>/<t>t/<backend>   mode sum, fp32 out, 256 bags of 20 indices per call (uniform over the table's
//                                 rows, a new batch every call); bytes_per_second: the weight rows' bytes read (codes
//                                 + scales + zero points of 5120 rows) per call.
//   bag_mean_pad/<format>/1t      mode mean with a padding_idx (the same bytes, counted as if none were skipped)
//   scaled/<format>/<t>t          ao::scaled_embedding_bag, int8 out (torchao's op), same shape
//   roofline/stream/<format>/<t>t a streaming read (a sum of 64-bit words) of the table's first 256 MiB: the
//                                 same-run DRAM read bandwidth the bags are divided by
//   roofline/gather/<format>/<t>t the same rows as the bags read as 64-bit words (no decode; prefetched 8 rows
//                                 ahead): what a random gather of these rows costs on this machine
// <t>t: 1 or 2 threads (ao::thread_pool through the executor; the rooflines split their work in 2).
// The table: 256 MiB of rows (8x the 32 MiB L3), filled with copies of one quantized 1024 x 2048 block.
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
#include "ao/ops/embedding.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "read_roofline.hpp"

namespace {

constexpr std::size_t kDim = 2048, kBags = 256, kBagSize = 20, kBatches = 64;
// The table's bytes: 256 MiB (8x the L3), or AO_BENCH_TABLE_MIB from the environment (say 8: the table stays in
// the L3, which shows the decode's own speed).
const std::size_t kTableBytes = ao_bench::mib_from_env("AO_BENCH_TABLE_MIB", 256);
constexpr std::size_t kBlockRows = 1024;

ao::thread_pool& pool() {
  static ao::thread_pool p(2);
  return p;
}

template <class F>
std::size_t row_bytes() {
  // Codes, and the scales and zero points of a block of rows divided among its rows.
  using traits = ao::format_traits<F>;
  const std::size_t scales = traits::scale_rows(kBlockRows, kDim) * traits::scale_cols(kBlockRows, kDim);
  std::size_t b = scales * sizeof(ao::scale_storage_t<F>);
  if constexpr (ao::has_zero_points_v<F>) b += scales * sizeof(ao::zero_point_storage_t<F>);
  return traits::data_row_bytes(kDim) + b / kBlockRows;
}

// The table: kTableBytes of rows, copies of one quantized block of kBlockRows rows (one table per format, kept).
template <class F>
const ao::quantized_tensor<F>& big_table() {
  static const ao::quantized_tensor<F> t = [] {
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(kBlockRows * kDim);
    for (float& x : w) x = normal(rng);
    const ao::quantized_tensor<F> block =
        ao::quantize<F>(ao::strided_view<const float, 2>(w.data(), {kBlockRows, kDim}));
    const std::size_t rows = kTableBytes / row_bytes<F>() / kBlockRows * kBlockRows;
    ao::quantized_tensor<F> big = ao::quantized_tensor<F>::allocate(rows, kDim);
    auto copy = [&](auto* dst, const auto* src, std::size_t n_block) {
      for (std::size_t r = 0; r < rows / kBlockRows; ++r) std::memcpy(dst + r * n_block, src, n_block * sizeof(*src));
    };
    copy(big.view().data, block.cview().data, block.data().size());
    if (block.scales().size() == 1) {
      big.view().scales[0] = block.cview().scales[0];  // per tensor
    } else {
      copy(big.view().scales, block.cview().scales, block.scales().size());
    }
    if constexpr (ao::has_zero_points_v<F>) {
      if (block.zero_points().size() == 1) {
        big.view().zero_points[0] = block.cview().zero_points[0];
      } else {
        copy(big.view().zero_points, block.cview().zero_points, block.zero_points().size());
      }
    }
    if (big.view().global_scale != nullptr) *big.view().global_scale = *block.cview().global_scale;
    return big;
  }();
  return t;
}

struct batches {
  std::vector<std::int64_t> indices;  // kBatches x kBags x kBagSize
  std::vector<std::int64_t> offsets;  // kBags + 1 (the same for every batch)
};
const batches& random_batches(std::size_t rows) {
  static batches b;
  static std::size_t made_for = 0;
  if (made_for != rows) {
    std::mt19937_64 rng(7);
    b.indices.resize(kBatches * kBags * kBagSize);
    for (auto& i : b.indices) i = static_cast<std::int64_t>(rng() % rows);
    b.offsets.resize(kBags + 1);
    for (std::size_t i = 0; i <= kBags; ++i) b.offsets[i] = static_cast<std::int64_t>(i * kBagSize);
    made_for = rows;
  }
  return b;
}

template <class F>
std::size_t bytes_per_call() {
  return kBags * kBagSize * row_bytes<F>();
}

template <class F, class Backend>
void bag(benchmark::State& state, int threads, bool mean_pad) {
  const auto& t = big_table<F>();
  const batches& b = random_batches(t.rows());
  std::vector<float> out(kBags * kDim);
  const ao::strided_view<float, 2> ov(out.data(), {kBags, kDim});
  const ao::strided_view<const std::int64_t, 1> offs(b.offsets.data(), {kBags});
  std::size_t i = 0;
  for (auto _ : state) {
    const ao::strided_view<const std::int64_t, 1> idx(b.indices.data() + i * kBags * kBagSize, {kBags * kBagSize});
    if (mean_pad) {
      ao::embedding_bag(idx, offs, t, ov, ao::embedding_bag_mode::mean, ao::padding_idx{0}, Backend{});
    } else if (threads == 1) {
      ao::embedding_bag(idx, offs, t, ov, ao::embedding_bag_mode::sum, Backend{});
    } else {
      ao::embedding_bag(idx, offs, t, ov, ao::embedding_bag_mode::sum, Backend{}, pool());
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    i = (i + 1) % kBatches;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_call<F>()));
}

template <class F>
void scaled(benchmark::State& state, int threads) {
  const auto& t = big_table<F>();
  const batches& b = random_batches(t.rows());
  std::vector<std::int8_t> out(kBags * kDim);
  const ao::strided_view<std::int8_t, 2> ov(out.data(), {kBags, kDim});
  const ao::strided_view<const std::int64_t, 1> offs(b.offsets.data(), {kBags + 1});
  std::size_t i = 0;
  for (auto _ : state) {
    const ao::strided_view<const std::int64_t, 1> idx(b.indices.data() + i * kBags * kBagSize, {kBags * kBagSize});
    if (threads == 1) {
      ao::scaled_embedding_bag(idx, offs, t, ov, 0.05f);
    } else {
      ao::scaled_embedding_bag(idx, offs, t, ov, 0.05f, pool());
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    i = (i + 1) % kBatches;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_call<F>()));
}

using ao_bench::read_words;

// Runs half(0) and half(1): on the calling thread, or on the two threads of the pool.
template <class Half>
void run_halves(int threads, Half&& half) {
  if (threads == 1) {
    half(0);
    half(1);
  } else {
    pool().parallel_for(2, half);
  }
}

// The table's code bytes front to back, in slices of one call's bytes (so that the time per byte compares).
template <class F>
void roofline_stream(benchmark::State& state, int threads) {
  const auto& t = big_table<F>();
  const std::uint8_t* data = t.cview().data;
  const std::size_t total = t.data().size() / 8 * 8;
  const std::size_t slice = std::min(bytes_per_call<F>(), total) / 16 * 16;  // a small table: all of it
  std::size_t at = 0;
  for (auto _ : state) {
    if (at + slice > total) at = 0;
    std::uint64_t sum[2] = {0, 0};
    auto half = [&](std::size_t h) { sum[h] = read_words(data + at + h * slice / 2, slice / 2); };
    run_halves(threads, half);
    benchmark::DoNotOptimize(sum);
    at += slice;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * slice));
}

// The bags' rows (codes only, as words), the same indices as bag/, each row's lines prefetched kPrefetchAhead rows
// ahead (as the Highway backend does): the best a gather of these rows does here.
constexpr std::size_t kPrefetchAhead = 8;
template <class F>
void roofline_gather(benchmark::State& state, int threads) {
  const auto& t = big_table<F>();
  const batches& b = random_batches(t.rows());
  const auto q = t.cview();
  const std::size_t code_bytes = q.data_row_bytes() / 8 * 8;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::int64_t* idx = b.indices.data() + i * kBags * kBagSize;
    std::uint64_t sum[2] = {0, 0};
    auto half = [&](std::size_t h) {
      const std::size_t n = kBags * kBagSize / 2;
      for (std::size_t j = h * n; j < (h + 1) * n; ++j) {
        if (j + kPrefetchAhead < (h + 1) * n) {
          const std::uint8_t* ahead = q.data + idx[j + kPrefetchAhead] * q.data_stride;
          for (std::size_t c = 0; c < code_bytes; c += 64) __builtin_prefetch(ahead + c);
        }
        sum[h] += read_words(q.data + idx[j] * q.data_stride, code_bytes);
      }
    };
    run_halves(threads, half);
    benchmark::DoNotOptimize(sum);
    i = (i + 1) % kBatches;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBags * kBagSize * code_bytes));
}

template <class F>
void register_format(bool scalar) {
  const std::string name = ao::name<F>();
  for (int t : {1, 2}) {
    const std::string ts = "/" + std::to_string(t) + "t";
    benchmark::RegisterBenchmark(("roofline/stream/" + name + ts).c_str(),
                                 [t](benchmark::State& s) { roofline_stream<F>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("roofline/gather/" + name + ts).c_str(),
                                 [t](benchmark::State& s) { roofline_gather<F>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("bag/" + name + ts + "/highway").c_str(),
                                 [t](benchmark::State& s) { bag<F, ao::backend::highway>(s, t, false); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  if (scalar) {
    benchmark::RegisterBenchmark(("bag/" + name + "/1t/scalar").c_str(),
                                 [](benchmark::State& s) { bag<F, ao::backend::scalar>(s, 1, false); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_format<ao::mxfp4>(true);
  register_format<ao::nvfp4>(false);
  register_format<ao::int4_symmetric_group32>(true);
  register_format<ao::int8_symmetric_per_row>(false);
  register_format<ao::float8_e4m3_per_row>(false);
  register_format<ao::mxfp8_e4m3>(false);
  benchmark::RegisterBenchmark("bag_mean_pad/mxfp4/1t",
                               [](benchmark::State& s) { bag<ao::mxfp4, ao::backend::highway>(s, 1, true); })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  for (int t : {1, 2}) {
    benchmark::RegisterBenchmark(("roofline/stream/float8_e4m3_per_tensor/" + std::to_string(t) + "t").c_str(),
                                 [t](benchmark::State& s) { roofline_stream<ao::float8_e4m3_per_tensor>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("scaled/float8_e4m3_per_tensor/" + std::to_string(t) + "t").c_str(),
                                 [t](benchmark::State& s) { scaled<ao::float8_e4m3_per_tensor>(s, t); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
