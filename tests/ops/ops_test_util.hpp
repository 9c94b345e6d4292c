// Shared helpers of the ao::quantize / ao::dequantize tests: deterministic inputs, bit patterns, byte snapshots of
// quantized tensors.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/backends/scalar/nvfp4.hpp"
#include "ao/numeric.hpp"
#include "ao/ops/quantize.hpp"

namespace ao_test {

// The bit pattern of a float, ao::bfloat16 or ao::float16 (NaNs compare by their bits).
inline std::uint32_t bits_of(float v) { return ao::detail::bit_cast<std::uint32_t>(v); }
inline std::uint32_t bits_of(ao::bfloat16 v) { return v.bits(); }
inline std::uint32_t bits_of(ao::float16 v) { return v.bits(); }

template <class T>
T from_float(float v) {
  if constexpr (std::is_same_v<T, float>) {
    return v;
  } else {
    return T(v);
  }
}

// Uniform in (0, 1), from 24 random bits: never 0, so log() is finite.
inline double uniform01(std::mt19937& gen) { return ((gen() >> 8) + 0.5) * 0x1p-24; }

// A standard normal value by Box-Muller (std::normal_distribution differs between standard libraries).
inline double gaussian(std::mt19937& gen) {
  const double u1 = uniform01(gen), u2 = uniform01(gen);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// n values of randn (fp32), from a fixed seed.
inline std::vector<float> randn(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(gaussian(gen));
  return x;
}

// An LLM-like rows x cols matrix: Gaussian values with a per-row spread, a few large outliers, and, when
// `specials`, also blocks of zeros, subnormals, NaN and +-Inf, and exact powers of two and ties. Every value is
// then rounded to T (so that the float copy holds exactly what a T tensor holds).
template <class T>
std::vector<T> llm_like(std::size_t rows, std::size_t cols, std::uint32_t seed, bool specials) {
  std::mt19937 gen(seed);
  std::vector<T> out(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const double spread = 0.02 * std::exp(gaussian(gen));
    const int kind = static_cast<int>(gen() % 16);
    for (std::size_t c = 0; c < cols; ++c) {
      double v = gaussian(gen) * spread;
      if (gen() % 97 == 0) v *= 40.0;  // outlier
      if (specials) {
        const std::size_t block = c / 16;
        if (kind == 1 && block % 3 == 0) v = 0.0;
        if (kind == 2 && block % 4 == 1) v = (gen() % 2 ? -1.0 : 1.0) * std::ldexp(1.0 + (gen() % 8) / 8.0, -130);
        if (kind == 3 && c % 37 == 5) v = std::nan("");
        if (kind == 4 && c % 41 == 7) v = (c % 2 ? -1.0 : 1.0) * INFINITY;
        if (kind == 5) v = std::ldexp(c % 2 ? 1.0 : -1.0, static_cast<int>(gen() % 20) - 10);
        if (kind == 6) v = (c % 2 ? -1.0 : 1.0) * (static_cast<double>(gen() % 64) / 8.0 + 0.0625);
        if (kind == 7 && c == 3) v = 60000.0;
        if (kind == 8 && c % 5 == 0) v = -0.0;
      }
      out[r * cols + c] = from_float<T>(static_cast<float>(v));
    }
  }
  return out;
}

template <class T>
std::vector<float> widen(const std::vector<T>& x) {
  std::vector<float> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = float(x[i]);
  return out;
}

// Everything a quantized tensor stores, as bytes: what "the same bytes" compares.
struct snapshot {
  std::vector<std::uint8_t> data, scales, zero_points;
  std::uint32_t global_scale_bits = 0;
  bool operator==(const snapshot& o) const {
    return data == o.data && scales == o.scales && zero_points == o.zero_points &&
           global_scale_bits == o.global_scale_bits;
  }
};

template <class T>
std::vector<std::uint8_t> bytes_of(const T* p, std::size_t n) {
  std::vector<std::uint8_t> b(n * sizeof(T));
  if (n != 0) std::memcpy(b.data(), p, b.size());
  return b;
}

template <class F>
snapshot snap(const ao::quantized_tensor<F>& q) {
  snapshot s;
  s.data = q.data();
  s.scales = bytes_of(q.scales().data(), q.scales().size());
  if constexpr (ao::has_zero_points_v<F>) s.zero_points = bytes_of(q.zero_points().data(), q.zero_points().size());
  s.global_scale_bits = bits_of(q.global_scale());
  return s;
}

// Index of the first differing element of two equally long sequences of values, compared as bits; -1 if none.
template <class T>
long first_bit_difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (bits_of(a[i]) != bits_of(b[i])) return static_cast<long>(i);
  }
  return -1;
}

template <class T>
const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) {
    return "float";
  } else if constexpr (std::is_same_v<T, ao::bfloat16>) {
    return "bfloat16";
  } else {
    return "float16";
  }
}

// ---- What the API tests compare with ----

template <class F, class Family>
constexpr bool is_family_v = std::is_same_v<typename ao::format_traits<F>::family, Family>;

// One format of each storage shape the API treats differently: MX one code a byte and packed, NVFP4 with and
// without its global scale, FP8 per tensor / row / 1x128 / 128x128 tiles, affine per row / tensor / group with
// integer and float zero points. The executor, stride, padding and empty-shape tests run on these only: what they
// check depends on the storage shape, not on the element type or the scale rule, and the bytes of every registry
// format are compared with the oracles by quantize_api_test and the two backends tests. (Instantiating the whole
// API for all 41 formats in every test unit made these units most of CI's build time.)
template <class Fn>
void for_each_storage_shape(Fn&& fn) {
  fn(ao::format_tag<ao::mxfp4>{});
  fn(ao::format_tag<ao::mxfp6_e3m2_rceil>{});
  fn(ao::format_tag<ao::mxfp8_e4m3>{});
  fn(ao::format_tag<ao::nvfp4>{});
  fn(ao::format_tag<ao::nvfp4_global_scale>{});
  fn(ao::format_tag<ao::float8_e4m3_per_tensor>{});
  fn(ao::format_tag<ao::float8_e5m2_per_row>{});
  fn(ao::format_tag<ao::float8_e4m3_per_block_1x128>{});
  fn(ao::format_tag<ao::float8_e4m3_per_block_128x128>{});
  fn(ao::format_tag<ao::int8_asymmetric_per_row>{});
  fn(ao::format_tag<ao::int8_symmetric_per_tensor>{});
  fn(ao::format_tag<ao::int4_asymmetric_group32>{});
  fn(ao::format_tag<ao::tinygemm_int4_group128>{});
}

// A shape every format accepts: 256 columns (a multiple of every block, group and tile width), and rows a
// multiple of the format's tile height.
template <class F>
std::size_t test_rows(std::size_t small) {
  return ao::format_traits<F>::row_multiple == 1 ? small : ao::format_traits<F>::row_multiple;
}

// ---- The older oracles, over a whole row-major matrix ----

template <class F, class Src>
snapshot oracle_quantize(const std::vector<Src>& src, std::size_t rows, std::size_t cols) {
  const std::vector<float> x = widen(src);
  snapshot s;
  if constexpr (is_family_v<F, ao::format_family::block_scaled>) {
    // MX computes in fp32 whatever the source dtype (the oracle takes the widened values).
    s.data.resize(rows * ao::scalar::packed_row_bytes<F>(cols));
    s.scales.resize(rows * ao::scalar::scales_per_row<F>(cols));  // one e8m0 byte per block
    ao::scalar::quantize_rows<F>(x.data(), rows, cols, s.data.data(), s.scales.data());
  } else if constexpr (is_family_v<F, ao::format_family::nvfp4>) {
    s.data.resize(rows * cols / 2);
    s.scales.resize(rows * cols / 16);
    if constexpr (F::global_scale) {
      const float g = ao::scalar::nvfp4_global_scale(x.data(), x.size());
      ao::scalar::nvfp4_quantize_rows(x.data(), rows, cols, g, s.data.data(), s.scales.data());
      s.global_scale_bits = bits_of(g);
    } else {
      ao::scalar::nvfp4_quantize_rows(x.data(), rows, cols, s.data.data(), s.scales.data());
    }
  } else if constexpr (is_family_v<F, ao::format_family::float8>) {
    s.data.resize(rows * cols);
    std::vector<float> scales(ao::scalar::scale_rows<F>(rows) * ao::scalar::scale_cols<F>(cols));
    ao::scalar::quantize_rows<F, Src>(x.data(), rows, cols, s.data.data(), scales.data());
    s.scales = bytes_of(scales.data(), scales.size());
  } else {
    const std::size_t n = ao::scalar::qparams_count<F>(rows, cols);
    std::vector<typename F::scale_type> scales(n);
    std::vector<typename F::zero_point_type> zero_points(n);
    std::vector<typename F::code_type> codes(rows * cols);
    ao::scalar::choose_qparams<F, Src>(x.data(), rows, cols, scales.data(), zero_points.data());
    ao::scalar::quantize<F, Src>(x.data(), rows, cols, scales.data(), zero_points.data(), codes.data());
    s.data = bytes_of(codes.data(), codes.size());
    s.scales = bytes_of(scales.data(), scales.size());
    s.zero_points = bytes_of(zero_points.data(), zero_points.size());
  }
  return s;
}

// The older oracles' dequantize of a quantized tensor, to Dst (float always; bfloat16 where the oracle has it,
// else nothing: `available` says which).
template <class F, class Dst>
struct oracle_dequantize_result {
  bool available = false;
  std::vector<Dst> values;
};

template <class F, class Dst>
oracle_dequantize_result<F, Dst> oracle_dequantize(const ao::quantized_tensor<F>& q) {
  const std::size_t rows = q.rows(), cols = q.stored_cols();
  oracle_dequantize_result<F, Dst> out;
  out.values.resize(rows * cols);
  const std::vector<std::uint8_t> scale_bytes = bytes_of(q.scales().data(), q.scales().size());
  if constexpr (is_family_v<F, ao::format_family::block_scaled>) {
    if constexpr (std::is_same_v<Dst, float>) {
      ao::scalar::dequantize_rows<F>(q.data().data(), scale_bytes.data(), rows, cols, out.values.data());
    } else {
      // dequantize_block<F, Out> per block, unpacking fp4 low nibble first (numerics spec §1.4).
      std::uint8_t codes[F::block_size];
      for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t b = 0; b < cols / F::block_size; ++b) {
          for (int i = 0; i < F::block_size; ++i) {
            const std::size_t c = b * F::block_size + static_cast<std::size_t>(i);
            const std::uint8_t byte = q.data()[(r * cols + c) / F::elements_per_byte];
            codes[i] = F::elements_per_byte == 2 ? static_cast<std::uint8_t>(c % 2 ? byte >> 4 : byte & 0x0F) : byte;
          }
          ao::scalar::dequantize_block<F, Dst>(codes, scale_bytes[r * (cols / F::block_size) + b],
                                               out.values.data() + r * cols + b * F::block_size);
        }
      }
    }
    out.available = true;
  } else if constexpr (is_family_v<F, ao::format_family::nvfp4>) {
    if constexpr (std::is_same_v<Dst, float> || std::is_same_v<Dst, ao::bfloat16>) {
      if constexpr (F::global_scale) {
        ao::scalar::nvfp4_dequantize_rows(q.data().data(), scale_bytes.data(), rows, cols, q.global_scale(),
                                          out.values.data());
      } else {
        ao::scalar::nvfp4_dequantize_rows(q.data().data(), scale_bytes.data(), rows, cols, out.values.data());
      }
      out.available = true;
    }
  } else if constexpr (is_family_v<F, ao::format_family::float8>) {
    std::vector<float> values(rows * cols);
    ao::scalar::dequantize_rows<F, Dst>(q.data().data(), q.scales().data(), rows, cols, values.data());
    for (std::size_t i = 0; i < values.size(); ++i) out.values[i] = from_float<Dst>(values[i]);
    out.available = true;
  } else {
    ao::scalar::dequantize<F, Dst>(reinterpret_cast<const typename F::code_type*>(q.data().data()), q.scales().data(),
                                   q.zero_points().data(), rows, cols, out.values.data());
    out.available = true;
  }
  return out;
}

template <class T, int Rank>
ao::strided_view<const T, Rank> cview_of(const std::vector<T>& v, const std::array<std::size_t, Rank>& extents) {
  return ao::strided_view<const T, Rank>(v.data(), extents);
}

template <class F, class Dst, class Backend, class... Executor>
std::vector<Dst> dequantize_all(const ao::quantized_tensor<F>& q, Backend be, Executor&... ex) {
  std::vector<Dst> out(q.rows() * q.stored_cols());
  ao::dequantize(q.cview(), ao::strided_view<Dst, 2>(out.data(), {q.rows(), q.stored_cols()}), be, ex...);
  return out;
}

}  // namespace ao_test
