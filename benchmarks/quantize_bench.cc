// Quantize / dequantize throughput of every registry format (ao::for_each_format), beside a same-run streaming
// roofline, memcpy, and (when xsimd is found) hand-written xsimd kernels for MXFP4 and FP8 e4m3 per row.
//   scripts/bench-quantize            builds build-h5 and runs a filtered set, printing docs/performance.md's tables
//
// Names: <op>/<format>/<dtype>/<size>/<threads>t/<backend>, op quantize or dequantize, dtype f32 or bf16 (the source
// of quantize, the output of dequantize), size the bytes of that fp32/bf16 tensor (256KiB: in cache, 64MiB: out of
// cache), backend highway, scalar (ao's oracle; this target is compiled -O3 -march=native, so "scalar" is what the
// compiler's auto-vectorization makes of it) or xsimd. The shape is rows x 4096, rows from the size (rounded up to
// the format's row multiple: 128 for per_block 128x128, so its "256KiB" case is 2 MiB of fp32).
// bytes_per_second counts the fp32/bf16 tensor (read by quantize, written by dequantize); items_per_second values.
// The label is the format's roofline key vVbBsS: the streaming kernels roofline_q/<dtype>/<size>/<t>t/<key> (read
// the source, write B bytes per V values plus S bytes per row: the quantized size, no arithmetic) and roofline_dq
// (the reverse), so each format's bytes/s divides by its roofline's.
//
// What g++ 12 -O3 -march=native makes of the scalar oracle (-fopt-info-vec-optimized on a unit calling
// ao::scalar::quantize/dequantize for mxfp4 and float8_e4m3_per_row, fp32; 2026-11-22):
//   - MXFP4 quantize: the block's abs-max loop is vectorized (32-byte vectors) and the nibble packing partly (SLP);
//     the element loop (the e2m1 encoder: saturation, subnormal and rounding branches) stays scalar.
//   - MXFP4 dequantize: the block's decode-and-scale loop is vectorized (32-byte vectors), the unpacking by SLP.
//   - FP8 per row quantize: the row copy and the abs-max loop are vectorized (one versioned for aliasing); the
//     element loop (torch_divide's NaN/inf/zero cases, the e4m3 encoder) stays scalar.
//   - FP8 per row dequantize: not vectorized.
// So most of the scalar backend's arithmetic stays scalar whatever -march says: the oracle is written for
// exactness, not for the vectorizer.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "quantize_bench.hpp"

#if defined(AO_BENCH_WITH_XSIMD)
#include "xsimd_kernels.hpp"
#endif

namespace {

using namespace ao_bench;  // NOLINT: the shared pieces of this benchmark

template <class T>
using bits_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint16_t>;

template <class Src, std::size_t V, std::size_t B>
void stream_q_rows(const Src* src, std::size_t rows, std::size_t side, std::uint8_t* out, std::uint8_t* side_out) {
  const auto* x = reinterpret_cast<const bits_t<Src>*>(src);
  constexpr std::size_t groups = kCols / V;
  for (std::size_t r = 0; r < rows; ++r) {
    const bits_t<Src>* row = x + r * kCols;
    std::uint8_t* o = out + r * groups * B;
    std::uint32_t acc = 0;
    for (std::size_t g = 0; g < groups; ++g) {
      std::uint32_t h = 0;
      for (std::size_t j = 0; j < V; ++j) h ^= static_cast<std::uint32_t>(row[g * V + j]) >> j;
      for (std::size_t b = 0; b < B; ++b) o[g * B + b] = static_cast<std::uint8_t>(h >> (8 * b));
      acc += h;
    }
    for (std::size_t s = 0; s < side; ++s) side_out[r * side + s] = static_cast<std::uint8_t>(acc + s);
  }
}

template <class Dst, std::size_t V, std::size_t B>
void stream_dq_rows(const std::uint8_t* in, const std::uint8_t* side_in, std::size_t rows, std::size_t side, Dst* dst) {
  auto* out = reinterpret_cast<bits_t<Dst>*>(dst);
  constexpr std::size_t groups = kCols / V;
  for (std::size_t r = 0; r < rows; ++r) {
    std::uint32_t base = 0;
    for (std::size_t s = 0; s < side; ++s) base += side_in[r * side + s];
    const std::uint8_t* i = in + r * groups * B;
    bits_t<Dst>* o = out + r * kCols;
    for (std::size_t g = 0; g < groups; ++g) {
      std::uint32_t h = base;
      for (std::size_t b = 0; b < B; ++b) h ^= static_cast<std::uint32_t>(i[g * B + b]) << (8 * b);
      for (std::size_t j = 0; j < V; ++j) o[g * V + j] = static_cast<bits_t<Dst>>(h + j);
    }
  }
}

template <class T, std::size_t V, std::size_t B>
void bm_roofline(benchmark::State& st, bool quantize, std::size_t bytes, int threads, std::size_t side) {
  const std::size_t rows = std::max<std::size_t>(1, bytes / (kCols * sizeof(T)));
  const std::size_t n = rows * kCols;
  const T* src = source<T>(n);
  std::vector<std::uint8_t> packed(n / V * B, 1), side_bytes(rows * side + 1, 1);
  std::vector<T> out(quantize ? 0 : n);
  for (auto _ : st) {
    for_row_tasks(threads, rows, [&](std::size_t r0, std::size_t nr) {
      if (quantize) {
        stream_q_rows<T, V, B>(src + r0 * kCols, nr, side, packed.data() + r0 * (kCols / V * B),
                               side_bytes.data() + r0 * side);
      } else {
        stream_dq_rows<T, V, B>(packed.data() + r0 * (kCols / V * B), side_bytes.data() + r0 * side, nr, side,
                                out.data() + r0 * kCols);
      }
    });
    benchmark::DoNotOptimize(packed.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(st, n, n * sizeof(T));
}

template <class T>
void register_roofline(const roofline_key& k, bool quantize, std::size_t bytes, int threads) {
  void (*fn)(benchmark::State&, bool, std::size_t, int, std::size_t) = nullptr;
  if (k.values == 1 && k.bytes == 1) fn = bm_roofline<T, 1, 1>;
  if (k.values == 2 && k.bytes == 1) fn = bm_roofline<T, 2, 1>;
  if (k.values == 4 && k.bytes == 1) fn = bm_roofline<T, 4, 1>;
  if (k.values == 4 && k.bytes == 3) fn = bm_roofline<T, 4, 3>;
  if (fn == nullptr) {
    std::fprintf(stderr, "quantize_bench: no roofline kernel for %s\n", k.name().c_str());
    std::abort();
  }
  const std::string name = std::string(quantize ? "roofline_q/" : "roofline_dq/") + dtype_name<T>() + "/" +
                           size_name(bytes) + "/" + std::to_string(threads) + "t/" + k.name();
  benchmark::RegisterBenchmark(name.c_str(), fn, quantize, bytes, threads, k.side)->UseRealTime();
}

void bm_memcpy(benchmark::State& st, std::size_t bytes, int threads) {
  const std::size_t rows = bytes / (kCols * 4);
  const float* src = source<float>(rows * kCols);
  std::vector<float> dst(rows * kCols);
  for (auto _ : st) {
    for_row_tasks(threads, rows, [&](std::size_t r0, std::size_t nr) {
      std::memcpy(dst.data() + r0 * kCols, src + r0 * kCols, nr * kCols * sizeof(float));
    });
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_counters(st, rows * kCols, bytes);
}


// ---- xsimd ----

#if defined(AO_BENCH_WITH_XSIMD)

using xsimd_quantize_fn = void (*)(const float*, std::size_t, std::size_t, std::uint8_t*, void*);
using xsimd_dequantize_fn = void (*)(const std::uint8_t*, const void*, std::size_t, std::size_t, float*);

void xs_mxfp4_q(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* data, void* scales) {
  ao_bench::xs::mxfp4_quantize(x, rows, cols, data, static_cast<std::uint8_t*>(scales));
}
void xs_mxfp4_dq(const std::uint8_t* data, const void* scales, std::size_t rows, std::size_t cols, float* out) {
  ao_bench::xs::mxfp4_dequantize(data, static_cast<const std::uint8_t*>(scales), rows, cols, out);
}
void xs_fp8_q(const float* x, std::size_t rows, std::size_t cols, std::uint8_t* data, void* scales) {
  ao_bench::xs::fp8_e4m3_per_row_quantize(x, rows, cols, data, static_cast<float*>(scales));
}
void xs_fp8_dq(const std::uint8_t* data, const void* scales, std::size_t rows, std::size_t cols, float* out) {
  ao_bench::xs::fp8_e4m3_per_row_dequantize(data, static_cast<const float*>(scales), rows, cols, out);
}

// Runs the xsimd kernel on the rows of a quantized tensor of F (row-dense, scales rows x k): task by task.
template <class F>
void xsimd_quantize_tasks(int threads, const float* x, std::size_t rows, ao::quantized_tensor<F>& q,
                          xsimd_quantize_fn fn) {
  const std::size_t data_row = ao::format_traits<F>::data_row_bytes(kCols);
  const std::size_t scales_row = q.scales().size() / rows;
  for_row_tasks(threads, rows, [&](std::size_t r0, std::size_t nr) {
    fn(x + r0 * kCols, nr, kCols, q.data().data() + r0 * data_row, q.scales().data() + r0 * scales_row);
  });
}
template <class F>
void xsimd_dequantize_tasks(int threads, const ao::quantized_tensor<F>& q, std::size_t rows, float* out,
                            xsimd_dequantize_fn fn) {
  const std::size_t data_row = ao::format_traits<F>::data_row_bytes(kCols);
  const std::size_t scales_row = q.scales().size() / rows;
  for_row_tasks(threads, rows, [&](std::size_t r0, std::size_t nr) {
    fn(q.data().data() + r0 * data_row, q.scales().data() + r0 * scales_row, nr, kCols, out + r0 * kCols);
  });
}

template <class F>
void bm_xsimd_quantize(benchmark::State& st, std::size_t bytes, int threads, xsimd_quantize_fn fn) {
  const std::size_t rows = rows_for<F, float>(bytes), n = rows * kCols;
  const float* x = source<float>(n);
  ao::quantized_tensor<F> q = ao::quantized_tensor<F>::allocate(rows, kCols);
  for (auto _ : st) {
    xsimd_quantize_tasks(threads, x, rows, q, fn);
    benchmark::DoNotOptimize(q.data().data());
    benchmark::ClobberMemory();
  }
  set_counters(st, n, n * sizeof(float));
  st.SetLabel(roofline_of<F>().name());
}

template <class F>
void bm_xsimd_dequantize(benchmark::State& st, std::size_t bytes, int threads, xsimd_dequantize_fn fn) {
  const std::size_t rows = rows_for<F, float>(bytes), n = rows * kCols;
  const ao::quantized_tensor<F> q =
      ao::quantize<F>(ao::strided_view<const float, 2>(source<float>(n), {rows, kCols}), ao::backend::scalar{});
  std::vector<float> out(n);
  for (auto _ : st) {
    xsimd_dequantize_tasks(threads, q, rows, out.data(), fn);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(st, n, n * sizeof(float));
  st.SetLabel(roofline_of<F>().name());
}

template <class F>
void register_xsimd(xsimd_quantize_fn qf, xsimd_dequantize_fn dqf) {
  for (std::size_t bytes : kSizes) {
    for (int t : kThreads) {
      benchmark::RegisterBenchmark(bench_name("quantize", ao::name<F>(), "f32", bytes, t, "xsimd").c_str(),
                                   bm_xsimd_quantize<F>, bytes, t, qf)
          ->UseRealTime();
      benchmark::RegisterBenchmark(bench_name("dequantize", ao::name<F>(), "f32", bytes, t, "xsimd").c_str(),
                                   bm_xsimd_dequantize<F>, bytes, t, dqf)
          ->UseRealTime();
    }
  }
}

// Test data: random rows over many magnitudes, and rows of exact ties of the element grid.
std::vector<float> check_data(std::size_t rows, std::size_t cols) {
  std::vector<float> x(rows * cols);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> magnitude(-40, 40);
  for (std::size_t r = 0; r < rows; ++r) {
    const float s = std::ldexp(1.0f, magnitude(rng));
    for (std::size_t c = 0; c < cols; ++c) x[r * cols + c] = normal(rng) * s;
  }
  // MXFP4 ties: blocks with amax 6 (scale 2^0), so the values are the element grid's midpoints as they are, and
  // blocks with amax 6 * 2^-10 for the same midpoints scaled.
  const float fp4_ties[] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 0.125f, 0.3f, 5.5f, 4.5f, 3.0f, 0.0f, 0.2f};
  // FP8 ties: rows with amax 448 (scale exactly 1): e4m3 midpoints (normal and subnormal) and their neighbours.
  std::vector<float> fp8_ties = {448.0f,
                                 1.0625f,
                                 1.1875f,
                                 1.3125f,
                                 0.0048828125f /* 2.5 * 2^-9 */,
                                 0.0009765625f /* 0.5 * 2^-9 */,
                                 0.0146484375f /* 7.5 * 2^-9 */,
                                 0.0029296875f /* 1.5 * 2^-9 */,
                                 0.015625f,
                                 0.01611328125f,
                                 240.0f,
                                 232.0f,
                                 0.0f,
                                 1e-30f,
                                 440.0f};
  for (std::size_t r = 0; r < std::min<std::size_t>(rows, 8); ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const bool negative = (c / 3) % 2 == 1;
      float v;
      if (r < 4) {
        v = c % 32 == 0 ? 6.0f : fp4_ties[c % (sizeof(fp4_ties) / sizeof(float))];
        if (r >= 2) v = std::ldexp(v, -10);
      } else {
        v = c == 0 ? 448.0f : fp8_ties[c % fp8_ties.size()];
      }
      x[r * cols + c] = negative ? -v : v;
    }
  }
  return x;
}

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <class F>
void verify_xsimd(xsimd_quantize_fn qf, xsimd_dequantize_fn dqf) {
  const std::size_t rows = 64, cols = kCols;
  const std::vector<float> x = check_data(rows, cols);
  const ao::strided_view<const float, 2> view(x.data(), {rows, cols});
  const ao::quantized_tensor<F> oracle = ao::quantize<F>(view, ao::backend::scalar{});
  ao::quantized_tensor<F> mine = ao::quantized_tensor<F>::allocate(rows, cols);
  qf(x.data(), rows, cols, mine.data().data(), mine.scales().data());
  std::vector<float> expected(rows * cols), got(rows * cols);
  ao::dequantize(oracle.view(), ao::strided_view<float, 2>(expected.data(), {rows, cols}), ao::backend::scalar{});
  dqf(oracle.data().data(), oracle.scales().data(), rows, cols, got.data());
  const bool data_ok = same_bytes(oracle.data(), mine.data());
  const bool scales_ok = same_bytes(oracle.scales(), mine.scales());
  const bool out_ok = same_bytes(expected, got);
  if (!data_ok || !scales_ok || !out_ok) {
    for (std::size_t i = 0; i < oracle.data().size(); ++i) {
      if (oracle.data()[i] != mine.data()[i]) {
        std::fprintf(stderr, "  first data difference at byte %zu: oracle 0x%02x, xsimd 0x%02x\n", i, oracle.data()[i],
                     mine.data()[i]);
        break;
      }
    }
    std::fprintf(stderr,
                 "quantize_bench: the xsimd %s kernels differ from ao's scalar oracle (data %s, scales %s, "
                 "dequantized %s)\n",
                 ao::name<F>(), data_ok ? "ok" : "DIFFER", scales_ok ? "ok" : "DIFFER", out_ok ? "ok" : "DIFFER");
    std::abort();
  }
}

#endif  // AO_BENCH_WITH_XSIMD

void register_all() {
  std::set<roofline_key> keys;
  register_mx_formats(keys);
  register_nvfp4_formats(keys);
  register_float8_formats(keys);
  register_affine_formats(keys);
#if defined(AO_BENCH_WITH_XSIMD)
  register_xsimd<ao::mxfp4>(xs_mxfp4_q, xs_mxfp4_dq);
  register_xsimd<ao::float8_e4m3_per_row>(xs_fp8_q, xs_fp8_dq);
#endif
  for (std::size_t bytes : kSizes) {
    for (int t : kThreads) {
      for (const roofline_key& k : keys) {
        for (bool q : {true, false}) {
          register_roofline<float>(k, q, bytes, t);
          register_roofline<ao::bfloat16>(k, q, bytes, t);
        }
      }
      benchmark::RegisterBenchmark(("memcpy/" + size_name(bytes) + "/" + std::to_string(t) + "t").c_str(), bm_memcpy,
                                   bytes, t)
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
#if defined(AO_BENCH_WITH_XSIMD)
  verify_xsimd<ao::mxfp4>(xs_mxfp4_q, xs_mxfp4_dq);
  verify_xsimd<ao::float8_e4m3_per_row>(xs_fp8_q, xs_fp8_dq);
  std::fprintf(stderr, "quantize_bench: xsimd kernels match ao's scalar oracle byte for byte\n");
#endif
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
