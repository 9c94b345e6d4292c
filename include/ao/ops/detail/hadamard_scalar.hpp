// ao/ops/detail/hadamard_scalar.hpp: the reference (ao::backend::scalar) Walsh-Hadamard butterfly of ao::hadamard
// (ao/ops/hadamard.hpp), in the exact order of spec §7 (torchao's FP8-attention butterfly):
//
//   transform_row(in, out, n, b, signs, scale)
//     out[c] = in[c] * signs[c & (b - 1)]     (signs may be null: no sign flip; each sign is +1 or -1, so exact)
//     for each block of b values of the row (b a power of two dividing n), stages s = 0, 1, ..., log2(b) - 1:
//       for every pair (d, d + 2^s) with bit s of d clear:  left = x[d] + x[d + 2^s]  (x + x')
//                                                          right = x[d] - x[d + 2^s] (x' - x seen from the right)
//     then out[c] = out[c] * scale      (scale = fl32(1 / sqrt(b)), one fp32 multiply after the last stage)
//
// Each output is a fixed tree of IEEE fp32 additions and subtractions, one rounding each, so any implementation
// that performs the same pairwise operations per stage (the Highway kernel, ao/backends/hwy/hadamard-inl.h) gives
// the same bits. in may equal out.
#pragma once

#include <cmath>
#include <cstddef>

namespace ao::detail::hadamard_scalar {

// The normalisation of a transform of size b: 1/sqrt(b) computed in double, rounded once to fp32 (exact for
// b = 4^k; for b = 2 * 4^k it is fl32(2^-k / sqrt(2))).
inline float scale_of(std::size_t b) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(b))); }

inline void transform_row(const float* in, float* out, std::size_t n, std::size_t b, const float* signs, float scale) {
  for (std::size_t c = 0; c < n; ++c) out[c] = signs != nullptr ? in[c] * signs[c & (b - 1)] : in[c];
  for (std::size_t base = 0; base < n; base += b) {
    float* x = out + base;
    for (std::size_t h = 1; h < b; h <<= 1) {
      for (std::size_t d = 0; d < b; ++d) {
        if ((d & h) != 0) continue;
        const float left = x[d], right = x[d + h];
        x[d] = left + right;
        x[d + h] = left - right;
      }
    }
  }
  for (std::size_t c = 0; c < n; ++c) out[c] = out[c] * scale;
}

}  // namespace ao::detail::hadamard_scalar
