// tools/ao-quant/builtin_weights.hpp: the input `ao-quant explore` uses when given no file: a deterministic
// LLM-like weight matrix, rows x cols bf16 (default 1024 x 4096), the same bytes on every machine.
//   - each row r has its own spread s_r = 0.02 * exp(0.5 * z_r) (log-normal, as rows of trained projections differ);
//   - values are s_r * g with g standard normal (Box-Muller on a fixed-seed mt19937_64: std::normal_distribution
//     differs between standard libraries);
//   - outlier channels: 1 column in 64 (chosen by a fixed hash) is scaled by 8, as LLM activations' and weights'
//     few large channels;
//   - heavy-tailed outliers: 1 value in 1024 is multiplied by a factor uniform in [10, 50];
//   - rounded to bf16 (ties to even), the dtype such checkpoints ship in.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "ao/numeric/bfloat16.hpp"

namespace ao_quant {

// seed: another seed gives another matrix of the same statistics (ao-quant synth's tensors).
inline std::vector<ao::bfloat16> builtin_weights(std::size_t rows, std::size_t cols, std::uint64_t seed = 20261122) {
  std::mt19937_64 gen(seed);
  auto uniform = [&]() { return (double(gen() >> 11) + 0.5) * 0x1p-53; };  // (0, 1)
  auto gaussian = [&]() { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()); };
  std::vector<double> channel(cols, 1.0);
  for (std::size_t c = 0; c < cols; ++c) {
    if ((c * 2654435761u >> 7) % 64 == 5) channel[c] = 8.0;
  }
  std::vector<ao::bfloat16> w(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const double spread = 0.02 * std::exp(0.5 * gaussian());
    for (std::size_t c = 0; c < cols; ++c) {
      double v = spread * channel[c] * gaussian();
      if (gen() % 1024 == 0) v *= 10.0 + 40.0 * uniform();
      w[r * cols + c] = ao::bfloat16(static_cast<float>(v));
    }
  }
  return w;
}

}  // namespace ao_quant
