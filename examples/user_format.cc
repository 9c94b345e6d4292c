// Defines a block-scaled format of its own (no library change: a type alias) and compares it with ao's standard
// formats on an LLM-like weight matrix: storage bits per weight and round-trip SQNR.
//
//   e3m2_block16  6-bit e3m2 elements (3 exponent bits, 2 mantissa bits, bias 3, no NaN/Inf), one e8m0 (power of
//                 two) scale per block of 16 values, chosen by the floor rule of the OCP MX spec
//
// Every format here goes through the same two calls, ao::quantize<F> and ao::dequantize.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "ao/ops/quantize.hpp"

namespace {

using e3m2 = ao::float_exmy<ao::exmy_spec<3, 2, 3>>;
using e3m2_block16 = ao::block_scaled<e3m2, ao::block<16>, ao::float8_e8m0fnu, ao::scale_rule::floor>;

constexpr std::size_t rows = 256, cols = 1024;

// randn by Box-Muller on a fixed-seed mt19937 (std::normal_distribution differs between standard libraries).
double gaussian(std::mt19937& gen) {
  const double u1 = ((gen() >> 8) + 0.5) * 0x1p-24, u2 = ((gen() >> 8) + 0.5) * 0x1p-24;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Rows of Gaussian weights with a per-row spread, and a few outlier columns, like a transformer projection; bf16.
std::vector<ao::bfloat16> llm_weights() {
  std::mt19937 gen(2024);
  std::vector<ao::bfloat16> w(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const double spread = 0.02 * std::exp(0.3 * gaussian(gen));
    for (std::size_t c = 0; c < cols; ++c) {
      double v = gaussian(gen) * spread;
      if (c % 211 == 17) v *= 12.0;      // outlier channels
      if (gen() % 4096 == 0) v *= 30.0;  // rare outlier weights
      w[r * cols + c] = ao::bfloat16(static_cast<float>(v));
    }
  }
  return w;
}

struct result {
  double bits_per_weight;
  double sqnr_db;
};

template <class F>
result evaluate(const std::vector<ao::bfloat16>& w) {
  const ao::strided_view<const ao::bfloat16, 2> src(w.data(), {rows, cols});
  const ao::quantized_tensor<F> q = ao::quantize<F>(src);
  std::vector<float> back(rows * cols);
  ao::dequantize(q.cview(), ao::strided_view<float, 2>(back.data(), {rows, cols}));
  double signal = 0.0, noise = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double x = double(float(w[i]));
    signal += x * x;
    noise += (x - back[i]) * (x - back[i]);
  }
  return {double(q.bytes()) * 8.0 / double(w.size()), 10.0 * std::log10(signal / noise)};
}

bool ok = true;

template <class F>
void row(const std::vector<ao::bfloat16>& w, const char* label) {
  const result r = evaluate<F>(w);
  std::printf("  %-26s %14.3f %10.2f\n", label, r.bits_per_weight, r.sqnr_db);
  ok = ok && r.sqnr_db > 10.0;
}

template <class F>
void row(const std::vector<ao::bfloat16>& w) {
  row<F>(w, ao::name<F>());
}

}  // namespace

int main() {
  const std::vector<ao::bfloat16> w = llm_weights();
  std::printf("A %zu x %zu bf16 weight matrix (Gaussian rows, outlier channels), quantized and dequantized.\n", rows,
              cols);
  std::printf(
      "Bits per weight are storage bytes * 8 / values (6-bit and int4 affine codes are stored one a byte).\n\n");
  std::printf("  %-26s %14s %10s\n", "format", "bits/weight", "SQNR dB");
  row<e3m2_block16>(w, "e3m2, blocks of 16 (user)");
  row<ao::mxfp8_e4m3>(w);
  row<ao::mxfp8_e5m2>(w);
  row<ao::mxfp6_e3m2>(w);
  row<ao::mxfp6_e2m3>(w);
  row<ao::mxfp4>(w);
  row<ao::mxfp4_rceil>(w);
  row<ao::nvfp4>(w);
  row<ao::nvfp4_global_scale>(w);
  row<ao::float8_e4m3_per_row>(w);
  row<ao::int8_symmetric_per_row>(w);
  row<ao::int4_asymmetric_group32>(w);
  row<ao::tinygemm_int4_group128>(w);
  if (!ok) {
    std::printf("\nFAILED: a round trip lost more than it should (SQNR <= 10 dB)\n");
    return 1;
  }
  return 0;
}
