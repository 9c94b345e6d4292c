// ao::cuda::matmul over FP8 activations and weights (ao/backends/cuda/float8_matmul.cuh, the wgmma GEMM) against
// a float64 reference on the host: for each output, the exact sum of code products of each 128-value K slice
// (MX: 32-value block), times the slice's block scales, summed, times the per-tensor / per-row scales, plus the bias.
//
// Checks, per case (x: M x K, W: N x K, random finite codes spanning each element's whole range, random scales):
//   - every output within |y - ref| <= (2^-9 + gamma_(K/128 + 3)) * sum_k |X W| (+ the rounding of a bf16 y):
//     the first term is Hopper's FP8 accumulation inside a 128-value slice, which keeps fewer bits than fp32 (the
//     worst ratio seen is printed: 2^-10.1 on the H100; cuBLAS's _scaled_mm: 2^-12.0 in its default mode, 2^-9.9
//     with use_fast_accum, benchmarks/cuda/torch_gemm.py), the second the fp32 adds across slices and the scale
//     products. In the chained mode (all of K on the tensor cores) the first term is 2^-9 * max(1, K / 512)
//     (seen: 2^-9.8);
//   - both accumulation modes (ao::cuda::float8_accumulation) for per-tensor and per-row scales;
//   - codes in {0, +-0.5, +-1} with power-of-two scales: every partial sum is exact in the tensor cores' narrower
//     accumulator, so y must equal the reference bit for bit (this pins down the data layout and the scale
//     indexing without any tolerance);
//   - a NaN code in one row of x: that row of y is NaN, every other row passes;
//   - shapes not multiples of the 128 x 128 x 128 tile (M = 1, N = 1, K = 16, 1040), more tiles than SMs (the
//     persistent grid's stage ring wraps across tiles), padded row strides, y with an odd row stride and an
//     unaligned base (single-element stores), K = 0 (y = bias);
//   - formats: e4m3 per tensor, per row, 1 x 128 / 128 x 128 blocks, mixed granularities, e5m2 x e4m3, e5m2 x e5m2;
//     MXFP8 (e8m0 scales 2^-12..2^12 per 32 K values; e4m3 x e4m3, e5m2 x e4m3, e4m3 x e5m2; the NaN row there
//     comes from a NaN scale, e8m0 0xFF, in the row's last block);
//     bf16 and fp32 y, with and without bias;
//   - host-side checks: misaligned x, a row stride that is not a multiple of 16, K mismatch, y aliasing x: each an
//     ao::error, nothing launched.
// Self-contained (no GoogleTest on the GPU machine). Exit 0 when all pass, 77 when no CUDA device is present.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/ao.hpp"
#include "ao/backends/cuda/float8_matmul.cuh"
#include "device_check.cuh"

namespace {

using bf16 = ao::bfloat16;

struct shape {
  std::size_t m, n, k;
};

enum class codes { random, small_exact };

template <class F>
struct operand_host {
  using E = typename F::element_type;
  using G = typename ao::cuda::detail::float8_gemm_operand<F>::granularity;
  static constexpr bool mx = std::is_same_v<G, ao::cuda::detail::mx_k32_scales>;
  std::size_t rows, cols, stride;
  std::vector<std::uint8_t> data;
  std::vector<float> scales;              // fp32 scales (float8_scaled)
  std::vector<std::uint8_t> scale_codes;  // e8m0 codes (MX)
  std::size_t scale_rows, scale_cols;

  operand_host(std::size_t r, std::size_t c, std::size_t pad, codes kind, std::mt19937& rng)
      : rows(r), cols(c), stride(std::max<std::size_t>((c + 15) / 16 * 16 + (pad ? 16 : 0), 16)) {
    data.assign(rows * stride, 0xEE);
    scale_rows = ao::format_traits<F>::scale_rows(rows, cols);
    scale_cols = ao::format_traits<F>::scale_cols(rows, cols);
    // Small-exact scales 2^-2..2^2: every partial sum and every sum of scaled slices stays within fp32's 24 bits.
    std::uniform_int_distribution<int> byte(0, 255), small(0, 4), exponent(-2, 2);
    const std::uint8_t exact[5] = {0x00, value_code(0.5f), value_code(1.0f), value_code(-0.5f), value_code(-1.0f)};
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        std::uint8_t b;
        if (kind == codes::small_exact) {
          b = exact[small(rng)];
        } else {
          do b = static_cast<std::uint8_t>(byte(rng));
          while (!std::isfinite(float(E::from_bits(b))));
        }
        data[i * stride + j] = b;
      }
    }
    std::uniform_real_distribution<float> unit(0.25f, 4.0f);
    std::uniform_int_distribution<int> mx_exponent(-12, 12);
    if constexpr (mx) {
      scale_codes.resize(std::max<std::size_t>(scale_rows * scale_cols, 1));
      for (auto& c : scale_codes)
        c = std::uint8_t(127 + (kind == codes::small_exact ? exponent(rng) : mx_exponent(rng)));
    } else {
      scales.resize(std::max<std::size_t>(scale_rows * scale_cols, 1));
      for (float& s : scales) s = kind == codes::small_exact ? std::ldexp(1.0f, exponent(rng)) : unit(rng);
    }
    values.resize(rows * cols);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) values[i * cols + j] = double(float(E::from_bits(data[i * stride + j])));
    }
  }
  std::vector<double> values;  // the codes' values, rows x cols
  static std::uint8_t value_code(float v) { return E(v).bits(); }
  std::size_t scale_bytes() const { return mx ? scale_codes.size() : scales.size() * sizeof(float); }
  // The scale applied at the end (per tensor, per row) and per block of K (1 x 128, 128 x 128, MX).
  double end_scale(std::size_t r) const {
    if constexpr (std::is_same_v<G, ao::per_tensor>) return scales[0];
    if constexpr (std::is_same_v<G, ao::per_row>) return scales[r];
    return 1.0;
  }
  double slice_scale(std::size_t r, std::size_t kt) const {
    if constexpr (mx) {
      const std::uint8_t c = scale_codes[r * scale_cols + kt];
      return c == 0xFF ? NAN : std::ldexp(1.0, int(c) - 127);
    } else if constexpr (std::is_same_v<G, ao::per_tensor> || std::is_same_v<G, ao::per_row>) {
      return 1.0;
    } else {
      return scales[(r / G::rows) * scale_cols + kt];
    }
  }
};

template <class F>
ao::const_quantized_view<F> upload(const operand_host<F>& h, device_buffer& data, device_buffer& scales) {
  data.upload(h.data.data(), h.data.size());
  ao::const_quantized_view<F> v;
  if constexpr (operand_host<F>::mx) {
    scales.upload(h.scale_codes.data(), h.scale_codes.size());
    v.scales = scales.as<const ao::float8_e8m0fnu>();
  } else {
    scales.upload(h.scales.data(), h.scales.size() * sizeof(float));
    v.scales = scales.as<float>();
  }
  v.data = data.as<std::uint8_t>();
  v.data_stride = static_cast<std::ptrdiff_t>(h.stride);
  v.scales_stride = static_cast<std::ptrdiff_t>(h.scale_cols);
  v.rows = h.rows;
  v.cols = h.cols;
  return v;
}

// The accumulation mode under test, and the max |y - ref| / sum |X W| over the random cases (Dst = float) per
// kind: promoted per 128-value slice, chained, MX (promoted per 32-value block).
ao::cuda::float8_accumulation g_mode = ao::cuda::float8_accumulation::promoted;
double g_worst_ratio[3] = {0, 0, 0};

template <class A, class W, class Dst>
void check_case(const char* name, shape s, std::size_t pad, bool with_bias, codes kind, std::size_t nan_row,
                std::uint32_t seed, std::size_t y_offset = 0) {
  std::mt19937 rng(seed);
  operand_host<A> x(s.m, s.k, pad, kind, rng);
  operand_host<W> w(s.n, s.k, pad, kind, rng);
  if (nan_row < s.m) {  // a NaN code in e4m3fn and in e5m2; MX: a NaN scale (e8m0 0xFF) of the row's last block
    if constexpr (operand_host<A>::mx) {
      x.scale_codes[nan_row * x.scale_cols + x.scale_cols - 1] = 0xFF;
    } else {
      x.data[nan_row * x.stride + s.k / 2] = 0x7F;
      x.values[nan_row * s.k + s.k / 2] = NAN;
    }
  }
  std::vector<float> bias(s.n);
  std::uniform_real_distribution<float> bd(-8.0f, 8.0f);
  for (float& b : bias) b = kind == codes::small_exact ? std::round(bd(rng)) : bd(rng);
  device_buffer dx(x.data.size()), dxs(x.scale_bytes()), dw(w.data.size()), dws(w.scale_bytes()),
      db(bias.size() * 4 + 4);
  const std::size_t y_stride = s.n + (pad ? 3 : 0);
  device_buffer dy(std::max<std::size_t>(s.m * y_stride, 1) * sizeof(Dst), y_offset);
  const auto xv = upload(x, dx, dxs);
  const auto wv = upload(w, dw, dws);
  db.upload(bias.data(), bias.size() * 4);
  ao::strided_view<Dst, 2> yv(dy.as<Dst>(), {s.m, s.n}, {static_cast<std::ptrdiff_t>(y_stride), 1});
  try {
    if (with_bias) {
      ao::cuda::matmul(xv, wv, ao::strided_view<const float, 1>(db.as<const float>(), {s.n}), yv, nullptr, g_mode);
    } else {
      ao::cuda::matmul(xv, wv, yv, nullptr, g_mode);
    }
    CUDA_CHECK(cudaDeviceSynchronize());
  } catch (const ao::error& e) {
    report(false, name, std::string("threw: ") + e.what());
    return;
  }
  const auto yb = dy.download();
  const Dst* y = reinterpret_cast<const Dst*>(yb.data());
  constexpr bool mx = operand_host<A>::mx;
  constexpr std::size_t B = mx ? 32 : 128;  // K values per scaled partial sum: MX blocks or slices
  const std::size_t slices = (s.k + B - 1) / B;
  // Block scales and MX always promote per block; chained accumulation sums all of K on the tensor cores.
  const bool chained = g_mode == ao::cuda::float8_accumulation::chained && !mx &&
                       !ao::cuda::detail::float8_gemm_scale<typename operand_host<A>::G>::per_slice &&
                       !ao::cuda::detail::float8_gemm_scale<typename operand_host<W>::G>::per_slice;
  const double tc = std::ldexp(1.0, -9) * (chained ? std::max(1.0, double(s.k) / 512) : 1.0);
  const double gamma = (slices + 3) * std::ldexp(1.0, -24) / (1 - (slices + 3) * std::ldexp(1.0, -24));
  std::size_t bad = 0, nan_ok = 0;
  double worst = 0, worst_bound = 0;
  std::string first;
  for (std::size_t i = 0; i < s.m; ++i) {
    for (std::size_t j = 0; j < s.n; ++j) {
      double ref = 0, mag = 0;
      for (std::size_t kt = 0; kt < slices; ++kt) {
        double part = 0, part_mag = 0;
        const double* xr = &x.values[i * s.k];
        const double* wr = &w.values[j * s.k];
        for (std::size_t k = kt * B; k < std::min(s.k, kt * B + B); ++k) {
          const double p = xr[k] * wr[k];
          part += p;
          part_mag += std::fabs(p);
        }
        const double f = x.slice_scale(i, kt) * w.slice_scale(j, kt);
        ref += part * f;
        mag += part_mag * std::fabs(f);
      }
      const double e = x.end_scale(i) * w.end_scale(j);
      ref *= e;
      mag *= e;
      if (with_bias) ref += bias[j];
      const double got = double(float(y[i * y_stride + j]));
      if (i == nan_row) {
        nan_ok += std::isnan(got) ? 1 : 0;
        continue;
      }
      double bound = (tc + gamma) * mag + (with_bias ? std::fabs(bias[j]) * std::ldexp(1.0, -24) : 0.0);
      if (kind == codes::small_exact) bound = 0;
      double err = std::fabs(got - ref);
      if (std::is_same_v<Dst, bf16>) {
        // y is the float result rounded once to bf16: allow that rounding on top.
        bound += std::fabs(ref) * std::ldexp(1.0, -8) * (kind == codes::small_exact ? 0 : 1);
        if (kind == codes::small_exact) err = std::fabs(got - double(float(bf16(float(ref)))));
      }
      if (!(err <= bound)) {
        if (bad++ == 0) {
          first = "y[" + std::to_string(i) + "," + std::to_string(j) + "] = " + std::to_string(got) + ", ref " +
                  std::to_string(ref) + ", bound " + std::to_string(bound);
        }
      }
      if (mag > 0 && std::is_same_v<Dst, float> && kind == codes::random) {
        worst = std::max(worst, err / mag);
        worst_bound = std::max(worst_bound, err / bound);
      }
    }
  }
  g_worst_ratio[mx ? 2 : chained] = std::max(g_worst_ratio[mx ? 2 : chained], worst);
  const bool nan_pass = nan_row >= s.m || nan_ok == s.n;
  char detail[256];
  std::snprintf(detail, sizeof detail, "M=%zu N=%zu K=%zu: %zu bad%s, worst err/sum|XW| %.3g (%.2f of bound) %s", s.m,
                s.n, s.k, bad, nan_pass ? "" : ", NaN row not NaN", worst, worst_bound, first.c_str());
  report(bad == 0 && nan_pass, name, detail);
}

enum class kind { plain, blocks, mx };

template <class A, class W>
void check_formats(const char* name, kind fk, std::uint32_t seed) {
  const std::string n(name);
  const bool blocks = fk == kind::blocks;
  // Block formats need M (1 x 128: any), N multiples of 128 and K a multiple of 128; MX K a multiple of 32.
  const std::vector<shape> shapes =
      blocks           ? std::vector<shape>{{128, 128, 128}, {200, 256, 1024}, {1, 384, 256}, {2176, 1152, 256}}
      : fk == kind::mx ? std::vector<shape>{{128, 128, 128},  {1, 1, 32},        {200, 300, 544},
                                            {257, 129, 1056}, {2176, 1152, 288}, {64, 256, 8192}}
                       : std::vector<shape>{{128, 128, 128},  {1, 1, 16},        {200, 300, 528},
                                            {257, 129, 1040}, {2176, 1152, 272}, {64, 256, 8192}};
  std::uint32_t s = seed;
  for (const shape sh : shapes) {
    check_case<A, W, float>((n + " f32").c_str(), sh, 0, false, codes::random, SIZE_MAX, ++s);
    check_case<A, W, bf16>((n + " bf16 bias").c_str(), sh, 0, true, codes::random, SIZE_MAX, ++s);
  }
  check_case<A, W, float>((n + " exact f32 bias").c_str(), {256, 384, 512}, 0, true, codes::small_exact, SIZE_MAX, ++s);
  check_case<A, W, bf16>((n + " exact bf16").c_str(), {300, 128, 1024}, 0, false, codes::small_exact, SIZE_MAX, ++s);
  const shape padded = blocks ? shape{130, 256, 384} : fk == kind::mx ? shape{130, 200, 320} : shape{130, 200, 300};
  check_case<A, W, bf16>((n + " padded, odd y").c_str(), padded, 1, true, codes::random, SIZE_MAX, ++s, 2);
  check_case<A, W, float>((n + " padded, odd y").c_str(), padded, 1, false, codes::random, SIZE_MAX, ++s, 4);
  check_case<A, W, float>((n + " NaN row").c_str(), {150, 256, 256}, 0, true, codes::random, 77, ++s);
  check_case<A, W, float>((n + " K=0").c_str(), {5, blocks ? 128u : 7u, 0}, 0, true, codes::random, SIZE_MAX, ++s);
}

template <class Fn>
void expect_error(const char* what, Fn fn) {
  try {
    fn();
    report(false, what, "no ao::error");
  } catch (const ao::error& e) {
    report(true, what, e.what());
  }
}

void check_errors() {
  using F = ao::float8_e4m3_per_row;
  std::mt19937 rng(5);
  operand_host<F> x(64, 256, 0, codes::random, rng), w(64, 256, 0, codes::random, rng);
  device_buffer dx(x.data.size() + 64), dxs(x.scales.size() * 4), dw(w.data.size()), dws(w.scales.size() * 4),
      dy(64 * 64 * 4);
  const auto xv = upload(x, dx, dxs);
  const auto wv = upload(w, dw, dws);
  ao::strided_view<float, 2> y(dy.as<float>(), {64, 64});
  expect_error("error: x misaligned", [&] {
    auto v = xv;
    v.data += 1;
    ao::cuda::matmul(v, wv, y);
  });
  expect_error("error: row stride not a multiple of 16", [&] {
    auto v = xv;
    v.cols = 200;
    v.data_stride = 200;
    auto u = wv;
    u.cols = 200;
    u.data_stride = 200;
    ao::cuda::matmul(v, u, y);
  });
  expect_error("error: K mismatch", [&] {
    auto v = xv;
    v.cols = 128;
    ao::cuda::matmul(v, wv, y);
  });
  expect_error("error: y aliases x", [&] {
    ao::strided_view<float, 2> bad(reinterpret_cast<float*>(const_cast<std::uint8_t*>(xv.data)), {64, 64});
    ao::cuda::matmul(xv, wv, bad);
  });
  expect_error("error: y's shape", [&] {
    ao::strided_view<float, 2> bad(dy.as<float>(), {64, 63});
    ao::cuda::matmul(xv, wv, bad);
  });
}

}  // namespace

int main() {
  if (!have_device()) return 77;
  using ao::cuda::float8_accumulation;
  for (const auto mode : {float8_accumulation::chained, float8_accumulation::promoted}) {
    g_mode = mode;
    const std::string m = mode == float8_accumulation::chained ? "chained: " : "promoted: ";
    check_formats<ao::float8_e4m3_per_tensor, ao::float8_e4m3_per_tensor>((m + "e4m3 tensor x tensor").c_str(),
                                                                          kind::plain, 100);
    check_formats<ao::float8_e4m3_per_row, ao::float8_e4m3_per_row>((m + "e4m3 row x row").c_str(), kind::plain, 200);
    check_formats<ao::float8_e5m2_per_row, ao::float8_e4m3_per_row>((m + "e5m2 row x e4m3 row").c_str(), kind::plain,
                                                                    600);
    check_formats<ao::float8_e5m2_per_tensor, ao::float8_e5m2_per_tensor>((m + "e5m2 x e5m2 tensor").c_str(),
                                                                          kind::plain, 700);
  }
  check_formats<ao::float8_e4m3_per_block_1x128, ao::float8_e4m3_per_block_128x128>("e4m3 1x128 x 128x128",
                                                                                    kind::blocks, 300);
  check_formats<ao::float8_e4m3_per_row, ao::float8_e4m3_per_block_128x128>("e4m3 row x 128x128", kind::blocks, 400);
  check_formats<ao::float8_e4m3_per_block_1x128, ao::float8_e4m3_per_tensor>("e4m3 1x128 x tensor", kind::blocks, 500);
  check_formats<ao::mxfp8_e4m3, ao::mxfp8_e4m3>("mxfp8 e4m3 x e4m3", kind::mx, 800);
  check_formats<ao::mxfp8_e5m2, ao::mxfp8_e4m3>("mxfp8 e5m2 x e4m3", kind::mx, 900);
  check_formats<ao::mxfp8_e4m3, ao::mxfp8_e5m2>("mxfp8 e4m3 x e5m2", kind::mx, 1000);
  check_errors();
  std::printf(
      "worst |y - ref| / sum |X W| (f32 y, random codes): chained %.3g = 2^%.2f, promoted per "
      "128-value slice %.3g = 2^%.2f, MX (promoted per 32-value block) %.3g = 2^%.2f\n",
      g_worst_ratio[1], std::log2(g_worst_ratio[1]), g_worst_ratio[0], std::log2(g_worst_ratio[0]), g_worst_ratio[2],
      std::log2(g_worst_ratio[2]));
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
