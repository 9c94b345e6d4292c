// Helpers of the SQNR tests (sqnr_test.cc, sqnr_mx_blocks_test.cc): randn bf16 inputs, round trips through
// ao::quantize / ao::dequantize at ranks 1-4, torchao's compute_error, and the MX sweep of numerics spec §8.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"

namespace ao_sqnr {

inline double sqnr_db(const std::vector<float>& x, const std::vector<float>& y) {
  double signal = 0.0, noise = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    signal += double(x[i]) * double(x[i]);
    noise += (double(x[i]) - double(y[i])) * (double(x[i]) - double(y[i]));
  }
  return 20.0 * std::log10(std::sqrt(signal) / std::sqrt(noise));
}

// randn of n values, as bf16 (torch.randn(..., dtype=torch.bfloat16)).
inline std::vector<ao::bfloat16> randn_bf16(std::size_t n, std::uint32_t seed) {
  const std::vector<float> x = ao_test::randn(n, seed);
  std::vector<ao::bfloat16> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = ao::bfloat16(x[i]);
  return out;
}

// The 128 x 128 values as a tensor of rank 1 to 4 (16384, 128 x 128, 2 x 64 x 128, 2 x 2 x 32 x 128).
template <int Rank>
std::array<std::size_t, Rank> shape_of_rank() {
  if constexpr (Rank == 1) {
    return {128 * 128};
  } else if constexpr (Rank == 2) {
    return {128, 128};
  } else if constexpr (Rank == 3) {
    return {2, 64, 128};
  } else {
    return {2, 2, 32, 128};
  }
}

// Quantize (from bf16) and dequantize (to bf16, the input's dtype, as torchao's tests do); the round trip as fp32.
template <class F, int Rank, class Backend>
std::vector<float> round_trip(const std::vector<ao::bfloat16>& x, Backend be) {
  const std::array<std::size_t, Rank> shape = shape_of_rank<Rank>();
  const ao::quantized_tensor<F> q = ao::quantize<F>(ao::strided_view<const ao::bfloat16, Rank>(x.data(), shape), be);
  std::vector<ao::bfloat16> y(x.size());
  ao::dequantize(q.cview(), ao::strided_view<ao::bfloat16, Rank>(y.data(), shape), be);
  return ao_test::widen(y);
}

template <class F, int Rank>
void check_mx(double threshold, std::uint32_t seed) {
  const std::vector<ao::bfloat16> x = randn_bf16(128 * 128, seed);
  const double db = sqnr_db(ao_test::widen(x), round_trip<F, Rank>(x, ao::backend::scalar{}));
  EXPECT_GE(db, threshold) << F::element_type::spec::name << ", " << F::scale_rule::name << ", block " << F::block_size
                           << ", rank " << Rank;
  // All zeros in, all zeros out (torchao: the SQNR is NaN, the output all zero).
  const std::vector<ao::bfloat16> zeros(128 * 128, ao::bfloat16(0.0f));
  const std::vector<float> y = round_trip<F, Rank>(zeros, ao::backend::scalar{});
  std::size_t nonzero = 0;
  for (float v : y) nonzero += ao_test::bits_of(v) != 0;
  EXPECT_EQ(nonzero, 0u) << F::element_type::spec::name << ", " << F::scale_rule::name << ", block " << F::block_size;
}

template <class F>
void check_mx_all_ranks(double threshold) {
  check_mx<F, 1>(threshold, 101);
  check_mx<F, 2>(threshold, 102);
  check_mx<F, 3>(threshold, 103);
  check_mx<F, 4>(threshold, 104);
}

template <class Element, int Block>
void check_mx_element(double threshold) {
  check_mx_all_ranks<typename ao::mx_format<Element, ao::scale_rule::floor>::template with_block_size<Block>>(
      threshold);
  check_mx_all_ranks<typename ao::mx_format<Element, ao::scale_rule::ceil>::template with_block_size<Block>>(threshold);
  check_mx_all_ranks<typename ao::mx_format<Element, ao::scale_rule::even>::template with_block_size<Block>>(threshold);
  check_mx_all_ranks<typename ao::mx_format<Element, ao::scale_rule::rceil>::template with_block_size<Block>>(
      threshold);
}

// Spec §8, "MX round trip (test_mx_tensor.py `_test_mx`): e4m3 >= 18.0 dB; all other elem dtypes (e5m2, fp6x2,
// fp4) >= 13.0 dB, on randn bf16, for all 4 scaling modes at 128x128 with block 32, and also for block sizes
// 1/4/32 and ranks 1-4. All-zero input must give an all-zero output."
template <int Block>
void check_mx_block() {
  check_mx_element<ao::float8_e4m3fn, Block>(18.0);
  check_mx_element<ao::float8_e5m2, Block>(13.0);
  check_mx_element<ao::float6_e2m3fn, Block>(13.0);
  check_mx_element<ao::float6_e3m2fn, Block>(13.0);
  // fp4 packs two values a byte, so its blocks are even: block 1 does not exist (a static_assert in
  // block_scaled.hpp; torchao's test_block_sizes skips fp4 at block size 1 too).
  if constexpr (Block % 2 == 0) check_mx_element<ao::float4_e2m1fn, Block>(13.0);
}

}  // namespace ao_sqnr
