// ao::quantize / ao::dequantize: the bytes do not depend on the executor, the band size or the strides of the
// source and output views. Expected values
// are the family oracles (ops_test_util.hpp) or the same API on a contiguous / padded copy.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"

namespace {

using namespace ao_test;  // NOLINT: the shared helpers of tests/ops

// ---- Executors ----

// Several tasks per call, with the tensor's extremes in different tasks (the per-tensor values must be reduced
// across all of them): the bytes equal the whole-matrix oracle and do not depend on the executor.
template <class F>
void check_executors(std::size_t rows, std::size_t cols, std::size_t threads) {
  SCOPED_TRACE(std::string(ao::name<F>()) + ", " + std::to_string(rows) + " x " + std::to_string(cols) + ", " +
               std::to_string(threads) + " threads");
  ASSERT_GE(rows / ao::detail::rows_per_task<F>(cols), 2u) << "the test needs several tasks";
  std::vector<float> x = ao_test::llm_like<float>(rows, cols, 21, false);
  x[(rows - 1) * cols + 5] = 1000.0f;       // the max, in the last task
  x[(rows / 2 + 1) * cols + 7] = -1500.0f;  // the min and the abs max, in a middle task
  const auto src = cview_of<float, 2>(x, {rows, cols});
  ao::sequential_executor seq;
  ao::thread_pool pool(threads);
  const ao::quantized_tensor<F> q_seq = ao::quantize<F>(src, ao::backend::scalar{}, seq);
  EXPECT_TRUE(ao_test::snap(q_seq) == (oracle_quantize<F, float>(x, rows, cols)));
  const ao::quantized_tensor<F> q_pool_hwy = ao::quantize<F>(src, pool);
  EXPECT_TRUE(ao_test::snap(q_pool_hwy) == ao_test::snap(q_seq));
  const std::vector<float> d_seq = dequantize_all<F, float>(q_seq, ao::backend::scalar{}, seq);
  const std::vector<float> d_pool = dequantize_all<F, float>(q_seq, ao::backend::highway{}, pool);
  EXPECT_EQ(ao_test::first_bit_difference(d_pool, d_seq), -1);
}

TEST(QuantizeApi, ThreadPoolEqualsSequential) {
  for_each_storage_shape([&](auto tag) {
    using F = typename decltype(tag)::type;
    check_executors<F>(1024, 256, 2);
  });
}

TEST(QuantizeApi, ManySmallTasksStress) {
  // 2048 columns: 32 rows a task (128 for 128 x 128 tiles), so 8 (2) tasks on 4 threads.
  for_each_storage_shape([&](auto tag) {
    using F = typename decltype(tag)::type;
    check_executors<F>(256, 2048, 4);
  });
}

// ---- Strides ----

// The elements of a strided view in row-major order.
template <class T, int Rank>
std::vector<std::remove_const_t<T>> gather(const ao::strided_view<T, Rank>& v) {
  std::vector<std::remove_const_t<T>> out(v.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::size_t rest = i;
    std::ptrdiff_t offset = 0;
    for (int d = Rank - 1; d >= 0; --d) {
      offset += static_cast<std::ptrdiff_t>(rest % v.extent(d)) * v.stride(d);
      rest /= v.extent(d);
    }
    out[i] = v.data()[offset];
  }
  return out;
}

// One past the last element a view reaches, from its data pointer.
template <int Rank>
std::size_t reach(const std::array<std::size_t, Rank>& extents, const std::array<std::ptrdiff_t, Rank>& strides) {
  std::size_t last = 0;
  for (int d = 0; d < Rank; ++d) last += (extents[d] - 1) * static_cast<std::size_t>(strides[d]);
  return last + 1;
}

constexpr std::uint32_t sentinel_bits = 0x7FA5A5A5u;  // a NaN no kernel writes

// Quantizing a strided view gives the bytes of its contiguous copy; dequantizing into the same strided layout
// writes the contiguous result to exactly the view's elements.
template <class F, int Rank>
void check_strided(const std::array<std::size_t, Rank>& extents, const std::array<std::ptrdiff_t, Rank>& strides,
                   std::size_t offset, const char* what) {
  SCOPED_TRACE(std::string(ao::name<F>()) + ": " + what);
  const std::size_t n = offset + reach<Rank>(extents, strides);
  const std::vector<float> parent = ao_test::llm_like<float>(1, n, 31, false);
  const ao::strided_view<const float, Rank> view(parent.data() + offset, extents, strides);
  const std::vector<float> dense = gather(view);
  const ao::quantized_tensor<F> q_dense = ao::quantize<F>(cview_of<float, Rank>(dense, extents), ao::backend::scalar{});
  const ao::quantized_tensor<F> q_strided = ao::quantize<F>(view, ao::backend::scalar{});
  const ao::quantized_tensor<F> q_strided_hwy = ao::quantize<F>(view);
  EXPECT_TRUE(ao_test::snap(q_strided) == ao_test::snap(q_dense));
  EXPECT_TRUE(ao_test::snap(q_strided_hwy) == ao_test::snap(q_dense));
  EXPECT_EQ(q_strided.shape(), std::vector<std::size_t>(extents.begin(), extents.end()));

  std::vector<float> out_dense(dense.size());
  ao::dequantize(q_dense.cview(), ao::strided_view<float, Rank>(out_dense.data(), extents), ao::backend::scalar{});
  for (int hwy = 0; hwy < 2; ++hwy) {
    std::vector<float> out(n, ao::detail::bit_cast<float>(sentinel_bits));
    const ao::strided_view<float, Rank> dst(out.data() + offset, extents, strides);
    if (hwy) {
      ao::dequantize(q_dense.cview(), dst);
    } else {
      ao::dequantize(q_dense.cview(), dst, ao::backend::scalar{});
    }
    EXPECT_EQ(ao_test::first_bit_difference(gather(ao::strided_view<const float, Rank>(dst)), out_dense), -1);
    // Everything outside the view is untouched.
    std::vector<char> inside(n, 0);
    for (std::size_t i = 0; i < dense.size(); ++i) {
      std::size_t rest = i;
      std::size_t o = offset;
      for (int d = Rank - 1; d >= 0; --d) {
        o += (rest % extents[d]) * static_cast<std::size_t>(strides[d]);
        rest /= extents[d];
      }
      inside[o] = 1;
    }
    std::size_t touched = 0;
    for (std::size_t i = 0; i < n; ++i) touched += !inside[i] && bits_of(out[i]) != sentinel_bits;
    EXPECT_EQ(touched, 0u) << (hwy ? "highway" : "scalar");
  }
}

// One format of each kind the band logic treats differently: MX (packed and not), NVFP4 two level (a global
// scale), FP8 per tensor (a reduction), per row, 1 x 128 and 128 x 128 tiles, affine per row, per tensor (a
// min/max reduction) and groups (int and bf16 qparams).
template <class F>
void check_all_strides() {
  const std::size_t m = ao::format_traits<F>::row_multiple;
  const std::size_t inner = m == 1 ? 5 : 128;  // rows of one run of the leading dims
  const std::size_t rows2 = m == 1 ? 7 : 256;
  check_strided<F, 2>({rows2, 256}, {300, 1}, 17, "row-strided 2-D");
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>((inner + 3) * 320);
  check_strided<F, 3>({3, inner, 256}, {plane, 320, 1}, static_cast<std::size_t>(plane) + 2 * 320 + 32,
                      "3-D slice (leading dims do not collapse)");
  check_strided<F, 3>({2, inner, 256}, {static_cast<std::ptrdiff_t>(inner) * 300, 300, 1}, 3,
                      "3-D with a row stride (leading dims collapse)");
  if constexpr (ao::format_traits<F>::row_multiple == 1) check_strided<F, 1>({256}, {1}, 5, "rank 1");
  const std::ptrdiff_t plane4 = static_cast<std::ptrdiff_t>((inner + 1) * 288);
  check_strided<F, 4>({2, 3, inner, 256}, {3 * plane4 + 50, plane4, 288, 1}, 9, "rank 4 with gaps");
}

TEST(QuantizeApi, StridedViewsEqualContiguousCopies) {
  for_each_storage_shape([&](auto tag) { check_all_strides<typename decltype(tag)::type>(); });
}

}  // namespace
