// ao::embedding, ao::embedding_bag and ao::scaled_embedding_bag (ao/ops/embedding.hpp) against a reference built
// here: the table dequantized whole by ao::dequantize with the scalar oracle, then every bag reduced by hand in fp32
// in index order (torch's embedding_bag on that fp32 table: sum from 0, fma with per-sample weights, mean as an
// fp32 division by the count of non-padding entries, max with `v > acc`, empty bags 0). The op promises exactly
// these fp32 values for both backends and any executor, so the comparison is bit for bit. The scaled bag is checked
// against its codes decoded here (e4m3 and int8) and torchao's AVX-512 stores, with hand-made tie and overflow cases.
#include "ao/ops/embedding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "expect_error.hpp"
#include "ops_test_util.hpp"

namespace {

using ao::testing::expect_error;
using mode = ao::embedding_bag_mode;

// dim for F: a multiple of its block or group (and for per-row formats one that is not a multiple of 16).
template <class F>
std::size_t test_dim() {
  return ao::format_traits<F>::col_multiple == 1 ? 100 : 256;
}
template <class F>
std::size_t test_rows() {
  return ao::format_traits<F>::row_multiple == 1 ? 37 : ao::format_traits<F>::row_multiple;
}

template <class F>
struct table {
  std::size_t n, dim;
  ao::quantized_tensor<F> q;
  std::vector<float> ref;  // n x dim, the scalar oracle's values
  float at(std::int64_t r, std::size_t d) const { return ref[static_cast<std::size_t>(r) * dim + d]; }
};

template <class F>
table<F> make_table(std::uint32_t seed) {
  table<F> t{test_rows<F>(), test_dim<F>(), {}, {}};
  const std::vector<float> v = ao_test::llm_like<float>(t.n, t.dim, seed, false);
  t.q = ao::quantize<F>(ao_test::cview_of<float, 2>(v, {t.n, t.dim}), ao::backend::scalar{});
  t.ref.resize(t.n * t.dim);
  ao::dequantize(t.q.cview(), ao::strided_view<float, 2>(t.ref.data(), {t.n, t.dim}), ao::backend::scalar{});
  return t;
}

// One bag problem: indices with repeats, offsets with empty bags, per-sample weights, the options.
struct bags {
  std::vector<std::int64_t> indices, offsets;  // offsets as passed (B or B + 1 entries)
  std::vector<float> weights;
  bool last = false, has_pad = false, has_weights = false;
  std::int64_t pad = 0;  // as passed (may be negative)
  mode m = mode::sum;
  std::size_t count() const { return last ? offsets.size() - 1 : offsets.size(); }
  std::size_t begin(std::size_t b) const { return static_cast<std::size_t>(offsets[b]); }
  std::size_t end(std::size_t b) const {
    return b + 1 < offsets.size() ? static_cast<std::size_t>(offsets[b + 1]) : indices.size();
  }
};

bags make_bags(std::size_t n, std::size_t num_bags, bool last, std::uint32_t seed) {
  std::mt19937 gen(seed);
  bags c;
  c.last = last;
  std::size_t pos = 0;
  for (std::size_t b = 0; b < num_bags; ++b) {
    c.offsets.push_back(static_cast<std::int64_t>(pos));
    const std::size_t len = b % 5 == 2 ? 0 : gen() % 9;  // every 5th bag empty, some of length 0 at random too
    for (std::size_t i = 0; i < len; ++i) c.indices.push_back(static_cast<std::int64_t>(gen() % n));
    pos += len;
  }
  c.indices.push_back(c.indices.empty() ? 0 : c.indices[0]);  // a repeat in the last bag
  if (last) c.offsets.push_back(static_cast<std::int64_t>(c.indices.size()));
  for (std::size_t i = 0; i < c.indices.size(); ++i) {
    c.weights.push_back(static_cast<float>(ao_test::gaussian(gen)));
  }
  return c;
}

// The reference: fp32, index order, torch's rules.
template <class Dst, class F>
std::vector<Dst> reference(const table<F>& t, const bags& c) {
  const std::size_t nb = c.count();
  const std::int64_t pad = c.pad < 0 ? c.pad + static_cast<std::int64_t>(t.n) : c.pad;
  std::vector<Dst> out(nb * t.dim);
  for (std::size_t b = 0; b < nb; ++b) {
    std::vector<float> acc(t.dim, 0.0f);
    std::size_t count = 0;
    for (std::size_t j = c.begin(b); j < c.end(b); ++j) {
      const std::int64_t r = c.indices[j];
      if (c.has_pad && r == pad) continue;
      for (std::size_t d = 0; d < t.dim; ++d) {
        const float v = t.at(r, d);
        if (c.m == mode::max) {
          if (count == 0 || v > acc[d]) acc[d] = v;
        } else if (c.has_weights) {
          acc[d] = std::fma(c.weights[j], v, acc[d]);
        } else {
          acc[d] = acc[d] + v;
        }
      }
      ++count;
    }
    for (std::size_t d = 0; d < t.dim; ++d) {
      const float v = c.m == mode::mean && count > 0 ? acc[d] / static_cast<float>(count) : acc[d];
      out[b * t.dim + d] = ao_test::from_float<Dst>(v);
    }
  }
  return out;
}

template <class I>
std::vector<I> narrow(const std::vector<std::int64_t>& v) {
  return std::vector<I>(v.begin(), v.end());
}

// Runs ao::embedding_bag with c's options; out has row stride dim + pad_cols, its padding holds -7.
template <class Dst, class I, class O, class F, class Backend, class... Executor>
std::vector<Dst> run_bag(const table<F>& t, const bags& c, std::size_t pad_cols, Backend be, Executor&... ex) {
  const std::vector<I> idx = narrow<I>(c.indices);
  const std::vector<O> off = narrow<O>(c.offsets);
  const std::size_t nb = c.count(), stride = t.dim + pad_cols;
  std::vector<Dst> y(nb * stride, ao_test::from_float<Dst>(-7.0f));
  const ao::strided_view<const I, 1> iv(idx.data(), {idx.size()});
  const ao::strided_view<const O, 1> ov(off.data(), {off.size()});
  const ao::strided_view<Dst, 2> yv(y.data(), {nb, t.dim}, {static_cast<std::ptrdiff_t>(stride), 1});
  const ao::per_sample_weights w{ao::strided_view<const float, 1>(c.weights.data(), {c.weights.size()})};
  const ao::padding_idx p{c.pad};
  if (c.last) {
    if (c.has_weights && c.has_pad) {
      ao::embedding_bag(iv, ov, t.q, yv, c.m, ao::include_last_offset, w, p, be, ex...);
    } else if (c.has_weights) {
      ao::embedding_bag(iv, ov, t.q, yv, c.m, be, ao::include_last_offset, w, ex...);
    } else if (c.has_pad) {
      ao::embedding_bag(iv, ov, t.q, yv, c.m, p, ao::include_last_offset, be, ex...);
    } else {
      ao::embedding_bag(iv, ov, t.q, yv, c.m, ao::include_last_offset, be, ex...);
    }
  } else {
    if (c.has_weights && c.has_pad) {
      ao::embedding_bag(iv, ov, t.q.cview(), yv, c.m, w, p, be, ex...);
    } else if (c.has_weights) {
      ao::embedding_bag(iv, ov, t.q.cview(), yv, c.m, w, be, ex...);
    } else if (c.has_pad) {
      ao::embedding_bag(iv, ov, t.q.cview(), yv, c.m, p, be, ex...);
    } else {
      ao::embedding_bag(iv, ov, t.q.cview(), yv, c.m, be, ex...);
    }
  }
  // The row padding is untouched; return the bags' values densely.
  std::vector<Dst> dense(nb * t.dim);
  for (std::size_t b = 0; b < nb; ++b) {
    for (std::size_t d = 0; d < stride; ++d) {
      if (d < t.dim) {
        dense[b * t.dim + d] = y[b * stride + d];
      } else {
        EXPECT_EQ(ao_test::bits_of(y[b * stride + d]), ao_test::bits_of(ao_test::from_float<Dst>(-7.0f)))
            << "out's row padding was written";
      }
    }
  }
  return dense;
}

template <class Dst>
void expect_same_bits(const std::vector<Dst>& got, const std::vector<Dst>& want, std::size_t dim, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (ao_test::bits_of(got[i]) != ao_test::bits_of(want[i]) && reported++ < 5) {
      ADD_FAILURE() << what << ": out[" << i / dim << ", " << i % dim << "] = " << float(got[i]) << ", reference "
                    << float(want[i]);
    }
  }
}

const char* mode_name(mode m) { return m == mode::sum ? "sum" : m == mode::mean ? "mean" : "max"; }

// Every mode and option combination of one table, both backends.
template <class F, class Dst, class I, class O>
void check_format(std::uint32_t seed) {
  const table<F> t = make_table<F>(seed);
  for (int combo = 0; combo < 12; ++combo) {
    bags c = make_bags(t.n, 23, combo % 2 == 1, seed + static_cast<std::uint32_t>(combo));
    c.m = combo / 4 == 0 ? mode::sum : combo / 4 == 1 ? mode::mean : mode::max;
    c.has_pad = combo % 4 >= 2;
    c.pad = combo % 3 == 0 ? -1 : c.indices[1];  // -1: the last row (negative, as torch allows)
    if (c.has_pad && c.pad == -1) c.indices[2] = static_cast<std::int64_t>(t.n) - 1;
    for (int weighted = 0; weighted < (c.m == mode::sum ? 2 : 1); ++weighted) {
      c.has_weights = weighted == 1;
      SCOPED_TRACE(std::string(ao::name<F>()) + " " + ao_test::dtype_name<Dst>() + " " + mode_name(c.m) +
                   (c.last ? " include_last_offset" : "") + (c.has_pad ? " padding_idx " + std::to_string(c.pad) : "") +
                   (c.has_weights ? " per_sample_weights" : "") + " I" + std::to_string(8 * sizeof(I)) + " O" +
                   std::to_string(8 * sizeof(O)));
      const std::vector<Dst> want = reference<Dst>(t, c);
      expect_same_bits(run_bag<Dst, I, O>(t, c, 3, ao::backend::scalar{}), want, t.dim, "scalar");
      expect_same_bits(run_bag<Dst, I, O>(t, c, 0, ao::backend::highway{}), want, t.dim, "highway");
    }
  }
}

// Several formats: MX fp4 and fp8, NVFP4 (with its global scale too), FP8 per row and 128 x 128 blocks, int8 per
// row and per tensor, int4 group-wise (IntxUnpackedToInt8Tensor's layout), tinygemm int4.
TEST(EmbeddingBag, FormatsMatchReference) {
  check_format<ao::mxfp4, float, std::int64_t, std::int64_t>(1);
  check_format<ao::mxfp8_e4m3, float, std::int32_t, std::int32_t>(2);
  check_format<ao::nvfp4, float, std::int64_t, std::int64_t>(3);
  check_format<ao::nvfp4_global_scale, float, std::int64_t, std::int64_t>(4);
  check_format<ao::float8_e4m3_per_row, float, std::int64_t, std::int64_t>(5);
  check_format<ao::float8_e4m3_per_block_128x128, float, std::int64_t, std::int64_t>(6);
  check_format<ao::int8_symmetric_per_row, float, std::int64_t, std::int64_t>(7);
  check_format<ao::int8_symmetric_per_tensor, float, std::int64_t, std::int64_t>(8);
  check_format<ao::int4_asymmetric_group32, float, std::int64_t, std::int64_t>(9);
  check_format<ao::tinygemm_int4_group128, float, std::int64_t, std::int64_t>(10);
}

// bf16 out (rounded once from the fp32 result), and mixed index dtypes.
TEST(EmbeddingBag, Bfloat16OutAndIndexTypes) {
  check_format<ao::mxfp4, ao::bfloat16, std::int32_t, std::int64_t>(11);
  check_format<ao::int4_asymmetric_group32, ao::bfloat16, std::int64_t, std::int32_t>(12);
}

// torch's documented example with padding_idx: the first bag is all padding (0), the second skips it.
TEST(EmbeddingBag, TorchPaddingExample) {
  const table<ao::int8_symmetric_per_row> t = make_table<ao::int8_symmetric_per_row>(13);
  bags c;
  c.indices = {2, 2, 2, 2, 4, 3, 2, 9};
  c.offsets = {0, 4};
  c.has_pad = true;
  c.pad = 2;
  for (mode m : {mode::sum, mode::mean, mode::max}) {
    c.m = m;
    const std::vector<float> y = run_bag<float, std::int64_t, std::int64_t>(t, c, 0, ao::backend::highway{});
    for (std::size_t d = 0; d < t.dim; ++d) {
      EXPECT_EQ(y[d], 0.0f) << mode_name(m);
      const float a = t.at(4, d), b = t.at(3, d), e = t.at(9, d);
      const float want = m == mode::sum    ? (a + b) + e
                         : m == mode::mean ? ((a + b) + e) / 3.0f
                                           : std::max(std::max(a, b), e);
      EXPECT_EQ(y[t.dim + d], want) << mode_name(m) << " " << d;
    }
  }
}

// Max mode: torch's comparison (a NaN in the first row stays; a later NaN is never taken).
TEST(EmbeddingBag, MaxKeepsTorchNaNRule) {
  using F = ao::int8_symmetric_per_row;
  table<F> t = make_table<F>(14);
  // Row 0's scale NaN: the whole row dequantizes to NaN.
  t.q.view().scales[0] = std::numeric_limits<float>::quiet_NaN();
  bags c;
  c.indices = {0, 1, 1, 0};
  c.offsets = {0, 2};
  c.m = mode::max;
  const std::vector<float> y = run_bag<float, std::int64_t, std::int64_t>(t, c, 0, ao::backend::highway{});
  t.ref.assign(t.n * t.dim, 0.0f);
  ao::dequantize(t.q.cview(), ao::strided_view<float, 2>(t.ref.data(), {t.n, t.dim}), ao::backend::scalar{});
  for (std::size_t d = 0; d < t.dim; ++d) {
    EXPECT_TRUE(std::isnan(y[d])) << d;
    EXPECT_EQ(y[t.dim + d], t.at(1, d)) << d;
  }
}

// Two threads give the same bits as one, for many bags (several executor tasks).
TEST(EmbeddingBag, ExecutorDoesNotChangeResults) {
  using F = ao::int4_symmetric_group32;
  const table<F> t = make_table<F>(15);
  bags c = make_bags(t.n, 3000, false, 16);
  c.m = mode::mean;
  ao::thread_pool pool(2);
  const std::vector<float> want = reference<float>(t, c);
  expect_same_bits(run_bag<float, std::int64_t, std::int64_t>(t, c, 0, ao::backend::highway{}, pool), want, t.dim,
                   "highway, 2 threads");
  expect_same_bits(run_bag<float, std::int64_t, std::int64_t>(t, c, 0, ao::backend::scalar{}, pool), want, t.dim,
                   "scalar, 2 threads");
}

// Empty cases: no bags; no indices (every bag empty: zeros); a table of dim 0.
TEST(EmbeddingBag, EmptyShapes) {
  using F = ao::mxfp4;
  const table<F> t = make_table<F>(17);
  bags c;
  c.offsets = {0, 0, 0};
  for (mode m : {mode::sum, mode::mean, mode::max}) {
    c.m = m;
    const std::vector<float> y = run_bag<float, std::int32_t, std::int32_t>(t, c, 2, ao::backend::highway{});
    for (float v : y) EXPECT_EQ(ao_test::bits_of(v), 0u);
  }
  c.offsets = {};
  EXPECT_TRUE((run_bag<float, std::int32_t, std::int32_t>(t, c, 0, ao::backend::scalar{}).empty()));
  c.offsets = {0};
  c.last = true;
  EXPECT_TRUE((run_bag<float, std::int32_t, std::int32_t>(t, c, 0, ao::backend::scalar{}).empty()));
}

// ---- ao::embedding ----

template <class F, class Dst, class I>
void check_embedding(std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<F>()) + " " + ao_test::dtype_name<Dst>());
  const table<F> t = make_table<F>(seed);
  std::mt19937 gen(seed);
  std::vector<I> idx(41);
  for (I& i : idx) i = static_cast<I>(gen() % t.n);
  idx[5] = idx[3];
  // The reference: ao::dequantize of the table to Dst (bf16: each fp32 value rounded once).
  std::vector<Dst> whole(t.n * t.dim);
  ao::dequantize(t.q.cview(), ao::strided_view<Dst, 2>(whole.data(), {t.n, t.dim}), ao::backend::scalar{});
  const std::size_t stride = t.dim + 5;
  for (int be = 0; be < 2; ++be) {
    std::vector<Dst> y(idx.size() * stride, ao_test::from_float<Dst>(-7.0f));
    const ao::strided_view<Dst, 2> yv(y.data(), {idx.size(), t.dim}, {static_cast<std::ptrdiff_t>(stride), 1});
    if (be == 0) {
      ao::embedding(ao::strided_view<const I, 1>(idx.data(), {idx.size()}), t.q, yv, ao::backend::scalar{});
    } else {
      ao::thread_pool pool(2);
      ao::embedding(ao::strided_view<const I, 1>(idx.data(), {idx.size()}), t.q.cview(), yv, pool);
    }
    for (std::size_t i = 0; i < idx.size(); ++i) {
      for (std::size_t d = 0; d < stride; ++d) {
        const Dst want =
            d < t.dim ? whole[static_cast<std::size_t>(idx[i]) * t.dim + d] : ao_test::from_float<Dst>(-7.0f);
        ASSERT_EQ(ao_test::bits_of(y[i * stride + d]), ao_test::bits_of(want))
            << (be == 0 ? "scalar" : "highway") << " out[" << i << ", " << d << "]";
      }
    }
  }
}

TEST(Embedding, FormatsMatchDequantize) {
  check_embedding<ao::mxfp4, float, std::int64_t>(21);
  check_embedding<ao::nvfp4, ao::bfloat16, std::int32_t>(22);
  check_embedding<ao::float8_e4m3_per_row, float, std::int32_t>(23);
  check_embedding<ao::int4_asymmetric_group32, float, std::int64_t>(24);
  check_embedding<ao::tinygemm_int4_group128, ao::bfloat16, std::int64_t>(25);
  check_embedding<ao::float8_e4m3_per_block_128x128, float, std::int64_t>(26);
}

// ---- Errors ----

TEST(EmbeddingBag, Errors) {
  using F = ao::mxfp4;
  const table<F> t = make_table<F>(31);  // 37 x 256
  const std::size_t dim = t.dim;
  std::vector<std::int64_t> idx{1, 2, 3, 4};
  std::vector<std::int32_t> idx32{1, 2, 3, 4};
  std::vector<std::int64_t> off{0, 2};
  std::vector<float> y(3 * dim, 5.0f), w(4, 1.0f);
  auto iv = [&] { return ao::strided_view<const std::int64_t, 1>(idx.data(), {idx.size()}); };
  auto ov = [&] { return ao::strided_view<const std::int64_t, 1>(off.data(), {off.size()}); };
  const ao::strided_view<float, 2> yv(y.data(), {2, dim});
  auto untouched = [&] {
    for (float v : y) ASSERT_EQ(v, 5.0f) << "out was written before an error";
  };
  // Out-of-range indices, negative and >= N, int64 and int32.
  idx[2] = -1;
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum); },
               {"ao::embedding_bag<mxfp4>", "indices[2] = -1", "0 <= index < num_embeddings = 37"});
  idx[2] = 37;
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum, ao::backend::scalar{}); },
               {"indices[2] = 37", "out of range"});
  idx[2] = 3;
  idx32[3] = 1000;
  expect_error(
      [&] { ao::embedding_bag(ao::strided_view<const std::int32_t, 1>(idx32.data(), {4}), ov(), t.q, yv, mode::mean); },
      {"indices[3] = 1000"});
  untouched();
  // Offsets: decreasing, past the end, first not 0, empty with include_last_offset.
  off = {0, 3, 2};
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum); }, {"out is 2 x 256 but must be 3 x 256"});
  expect_error(
      [&] {
        ao::embedding_bag(iv(), ov(), t.q, ao::strided_view<float, 2>(y.data(), {3, dim}), mode::sum);
      },
      {"offsets must not decrease", "offsets[2] = 2 < offsets[1] = 3"});
  off = {0, 5};
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum); },
               {"offsets[1] = 5 is past the end of indices", "indices.size() = 4"});
  off = {1, 2};
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum); }, {"offsets[0] = 1", "offsets[0] == 0"});
  off = {0, 2, 5};
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum, ao::include_last_offset); },
               {"offsets[2] = 5 is past the end"});
  off = {};
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum, ao::include_last_offset); },
               {"offsets is empty", "include_last_offset"});
  off = {0, 2};
  // Shapes: out's rows (B), its dim, overlapping rows.
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum, ao::include_last_offset); },
               {"out is 2 x 256 but must be 1 x 256", "B, the number of bags"});
  expect_error(
      [&] {
        ao::embedding_bag(iv(), ov(), t.q, ao::strided_view<float, 2>(y.data(), {2, dim - 1}), mode::sum);
      },
      {"out is 2 x 255 but must be 2 x 256"});
  expect_error(
      [&] {
        ao::embedding_bag(iv(), ov(), t.q, ao::strided_view<float, 2>(y.data(), {2, dim}, {10, 1}), mode::sum);
      },
      {"out's rows overlap", "row stride 10 is below dim = 256"});
  // per_sample_weights: only with sum; one per index.
  const ao::per_sample_weights pw{ao::strided_view<const float, 1>(w.data(), {4})};
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::mean, pw); },
               {"per_sample_weights is only supported for mode sum", "mean"});
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::max, pw); }, {"mode sum", "max"});
  expect_error(
      [&] {
        ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum,
                          ao::per_sample_weights{ao::strided_view<const float, 1>(w.data(), {3})});
      },
      {"per_sample_weights has 3 values but indices has 4"});
  // padding_idx out of range; a bad mode.
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum, ao::padding_idx{37}); },
               {"padding_idx = 37", "-num_embeddings <= padding_idx < num_embeddings = 37"});
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, mode::sum, ao::padding_idx{-38}); }, {"padding_idx = -38"});
  expect_error([&] { ao::embedding_bag(iv(), ov(), t.q, yv, static_cast<mode>(3)); }, {"mode 3 is not sum"});
  // Non-contiguous indices.
  expect_error(
      [&] {
        ao::embedding_bag(ao::strided_view<const std::int64_t, 1>(idx.data(), {2}, {2}), ov(), t.q, yv, mode::sum);
      },
      {"indices's last dim must be contiguous"});
  untouched();
  // out overlapping the table's data, the indices, the weights.
  ao::quantized_tensor<F> big = ao::quantized_tensor<F>::allocate(37, 256);
  std::memcpy(big.view().data, t.q.cview().data, 37 * 128);
  std::memcpy(big.view().scales, t.q.cview().scales, 37 * 8);
  expect_error(
      [&] {
        ao::embedding_bag(iv(), ov(), big.cview(),
                          ao::strided_view<float, 2>(reinterpret_cast<float*>(big.view().data), {2, dim}), mode::sum);
      },
      {"out and the table's data overlap"});
  std::vector<float> shared(4 + 2 * dim, 1.0f);
  expect_error(
      [&] {
        ao::embedding_bag(iv(), ov(), t.q, ao::strided_view<float, 2>(shared.data(), {2, dim}), mode::sum,
                          ao::per_sample_weights{ao::strided_view<const float, 1>(shared.data() + 2, {4})});
      },
      {"out and per_sample_weights overlap"});
  // A 3-D tensor table; a padded one.
  const ao::quantized_tensor<F> t3 = ao::quantized_tensor<F>::allocate(std::vector<std::size_t>{2, 2, 64});
  expect_error([&] { ao::embedding_bag(iv(), ov(), t3, yv, mode::sum); }, {"must be a 2-D (num_embeddings x dim)"});
  const ao::quantized_tensor<F> padded = ao::quantized_tensor<F>::allocate(std::vector<std::size_t>{4, 40}, true);
  expect_error([&] { ao::embedding_bag(iv(), ov(), padded, yv, mode::sum); }, {"the table is padded"});
  untouched();
}

TEST(Embedding, Errors) {
  using F = ao::int8_symmetric_per_row;
  const table<F> t = make_table<F>(32);  // 37 x 100
  std::vector<std::int32_t> idx{0, 36, -5};
  std::vector<float> y(3 * t.dim, 5.0f);
  const ao::strided_view<float, 2> yv(y.data(), {3, t.dim});
  const ao::strided_view<const std::int32_t, 1> iv(idx.data(), {3});
  expect_error([&] { ao::embedding(iv, t.q, yv); }, {"ao::embedding<", "indices[2] = -5", "num_embeddings = 37"});
  idx[2] = 37;
  expect_error([&] { ao::embedding(iv, t.q, yv, ao::backend::scalar{}); }, {"indices[2] = 37"});
  idx[2] = 1;
  expect_error(
      [&] {
        ao::embedding(iv, t.q, ao::strided_view<float, 2>(y.data(), {2, t.dim}));
      },
      {"out is 2 x 100 but must be 3 x 100", "indices.size()"});
  std::vector<float> shared(3 * t.dim, 0.0f);  // as int32: three valid indices (0)
  expect_error(
      [&] {
        ao::embedding(
            ao::strided_view<const std::int32_t, 1>(reinterpret_cast<const std::int32_t*>(shared.data()), {3}), t.q,
            ao::strided_view<float, 2>(shared.data(), {3, t.dim}));
      },
      {"out and indices overlap"});
  for (float v : y) ASSERT_EQ(v, 5.0f) << "out was written before an error";
}

// ---- ao::scaled_embedding_bag ----

// torchao's AVX-512 int8 store, written from its description: round half to even, NaN and |v| >= 2^31 give
// INT32_MIN, then signed saturation.
std::int8_t avx512_int8(float v) {
  if (std::isnan(v) || v >= 2147483648.0f || v < -2147483648.0f) return -128;
  const double r = std::nearbyint(static_cast<double>(v));  // the default rounding mode: to nearest even
  return static_cast<std::int8_t>(std::max(-128.0, std::min(127.0, r)));
}

template <class F, class Out>
void check_scaled(std::size_t dim, float o_scale, std::uint32_t seed) {
  SCOPED_TRACE(std::string(ao::name<F>()) + " dim " + std::to_string(dim) + " o_scale " + std::to_string(o_scale));
  const std::size_t n = 29;
  const std::vector<float> v = ao_test::llm_like<float>(n, dim, seed, false);
  const ao::quantized_tensor<F> q = ao::quantize<F>(ao_test::cview_of<float, 2>(v, {n, dim}), ao::backend::scalar{});
  bags c = make_bags(n, 17, true, seed);
  // The codes' values, decoded here.
  std::vector<float> codes(n * dim);
  for (std::size_t i = 0; i < n * dim; ++i) {
    const std::uint8_t byte = q.cview().data[i];
    codes[i] = std::is_same_v<F, ao::float8_e4m3_per_tensor> ? float(ao::float8_e4m3fn::from_bits(byte))
                                                             : static_cast<float>(static_cast<std::int8_t>(byte));
  }
  const float scale = q.cview().scales[0] / o_scale;
  std::vector<Out> want(c.count() * dim);
  for (std::size_t b = 0; b < c.count(); ++b) {
    for (std::size_t d = 0; d < dim; ++d) {
      float acc = 0.0f;
      for (std::size_t j = c.begin(b); j < c.end(b); ++j) {
        const float x = codes[static_cast<std::size_t>(c.indices[j]) * dim + d];
        acc = j == c.begin(b) ? x : acc + x;
      }
      const float r = acc * scale;
      if constexpr (std::is_same_v<Out, float>) {
        want[b * dim + d] = r;
      } else if constexpr (std::is_same_v<Out, std::int8_t>) {
        want[b * dim + d] = avx512_int8(r);
      } else {
        want[b * dim + d] = ao::convert<ao::float8_e4m3fn, ao::overflow::to_inf_or_nan>(r);
      }
    }
  }
  for (int be = 0; be < 2; ++be) {
    std::vector<Out> y(c.count() * (dim + 1), Out{});
    const ao::strided_view<Out, 2> yv(y.data(), {c.count(), dim}, {static_cast<std::ptrdiff_t>(dim + 1), 1});
    const std::vector<std::int32_t> idx = narrow<std::int32_t>(c.indices), off = narrow<std::int32_t>(c.offsets);
    const ao::strided_view<const std::int32_t, 1> iv(idx.data(), {idx.size()}), ov(off.data(), {off.size()});
    if (be == 0) {
      ao::scaled_embedding_bag(iv, ov, q, yv, o_scale, ao::backend::scalar{});
    } else {
      ao::thread_pool pool(2);
      ao::scaled_embedding_bag(iv, ov, q.cview(), yv, o_scale, pool);
    }
    int reported = 0;
    for (std::size_t b = 0; b < c.count(); ++b) {
      for (std::size_t d = 0; d < dim; ++d) {
        const Out got = y[b * (dim + 1) + d], w = want[b * dim + d];
        std::uint32_t gb = 0, wb = 0;
        std::memcpy(&gb, &got, sizeof(Out));
        std::memcpy(&wb, &w, sizeof(Out));
        if (gb != wb && reported++ < 5) {
          ADD_FAILURE() << (be == 0 ? "scalar" : "highway") << " out[" << b << ", " << d << "] bits " << gb
                        << ", reference " << wb;
        }
      }
    }
  }
}

TEST(ScaledEmbeddingBag, MatchesTorchaoNumerics) {
  for (std::size_t dim : {128, 100}) {
    check_scaled<ao::float8_e4m3_per_tensor, float>(dim, 1.0f, 41);
    check_scaled<ao::float8_e4m3_per_tensor, std::int8_t>(dim, 0.02f, 42);
    check_scaled<ao::float8_e4m3_per_tensor, ao::float8_e4m3fn>(dim, 0.003f, 43);
    check_scaled<ao::int8_symmetric_per_tensor, float>(dim, 0.5f, 44);
    check_scaled<ao::int8_symmetric_per_tensor, std::int8_t>(dim, 0.01f, 45);
    check_scaled<ao::int8_symmetric_per_tensor, ao::float8_e4m3fn>(dim, 0.001f, 46);
  }
}

// The stores' edge cases, from hand-made tables: int8 ties go to even (torchao's AVX-512 path; its scalar path would
// give 3 and -3 for 2.5 and -2.5), saturation, NaN and huge values give -128; e4m3 overflow gives NaN.
TEST(ScaledEmbeddingBag, TiesAndOverflow) {
  using I8 = ao::int8_symmetric_per_tensor;
  ao::quantized_tensor<I8> t = ao::quantized_tensor<I8>::allocate(2, 8);
  const std::int8_t row0[8] = {5, -5, 7, -7, 3, 127, -128, 1};
  const std::int8_t row1[8] = {0, 0, 0, 0, 0, 127, -128, 0};
  std::memcpy(t.view().data, row0, 8);
  std::memcpy(t.view().data + t.view().data_stride, row1, 8);
  t.view().scales[0] = 1.0f;
  t.view().zero_points[0] = 0;
  const std::vector<std::int64_t> idx{0, 0, 1};
  const std::vector<std::int64_t> off{0, 1, 3};  // bag 0: row 0; bag 1: rows 0 and 1
  const ao::strided_view<const std::int64_t, 1> iv(idx.data(), {3}), ov(off.data(), {3});
  std::vector<std::int8_t> y(16, 99);
  ao::scaled_embedding_bag(iv, ov, t, ao::strided_view<std::int8_t, 2>(y.data(), {2, 8}), 2.0f);
  // bag 0 / 2: 2.5 -2.5 3.5 -3.5 1.5 63.5 -64 0.5
  const std::vector<std::int8_t> want0{2, -2, 4, -4, 2, 64, -64, 0};
  // bag 1 / 2: 2.5 -2.5 3.5 -3.5 1.5 127 -128 0.5
  const std::vector<std::int8_t> want1{2, -2, 4, -4, 2, 127, -128, 0};
  EXPECT_EQ(std::vector<std::int8_t>(y.begin(), y.begin() + 8), want0);
  EXPECT_EQ(std::vector<std::int8_t>(y.begin() + 8, y.end()), want1);
  // Saturation and the huge case: scale 1e8 / 1 then x 127 x 2: 2.5e10 >= 2^31 gives -128; 1e8 x 1 saturates.
  t.view().scales[0] = 1e8f;
  ao::scaled_embedding_bag(iv, ov, t, ao::strided_view<std::int8_t, 2>(y.data(), {2, 8}), 1.0f, ao::backend::scalar{});
  EXPECT_EQ(y[7], 127);       // 1e8
  EXPECT_EQ(y[8 + 7], 127);   // 1e8
  EXPECT_EQ(y[8 + 5], -128);  // 2.54e10: outside int32
  EXPECT_EQ(y[8 + 6], -128);
  EXPECT_EQ(y[1], -128);  // -5e8
  // e4m3 out: 464 (a tie) -> 448 (0x7E), 465 -> NaN (0x7F), -1000 -> 0xFF; NaN codes -> NaN; e4m3 table.
  using E = ao::float8_e4m3_per_tensor;
  ao::quantized_tensor<E> e = ao::quantized_tensor<E>::allocate(1, 4);
  e.view().data[0] = ao::float8_e4m3fn(232.0f).bits();   // x 2 = 464
  e.view().data[1] = ao::float8_e4m3fn(240.0f).bits();   // x 2 = 480
  e.view().data[2] = ao::float8_e4m3fn(-448.0f).bits();  // x 2 = -896
  e.view().data[3] = 0x7F;                               // NaN
  e.view().scales[0] = 1.0f;
  const std::vector<std::int32_t> i1{0}, o1{0, 1};
  std::vector<ao::float8_e4m3fn> f(4);
  ao::scaled_embedding_bag(ao::strided_view<const std::int32_t, 1>(i1.data(), {1}),
                           ao::strided_view<const std::int32_t, 1>(o1.data(), {2}), e,
                           ao::strided_view<ao::float8_e4m3fn, 2>(f.data(), {1, 4}), 0.5f);
  EXPECT_EQ(f[0].bits(), 0x7E);
  EXPECT_EQ(f[1].bits(), 0x7F);
  EXPECT_EQ(f[2].bits(), 0xFF);
  EXPECT_EQ(f[3].bits() & 0x7F, 0x7F);
  std::vector<std::int8_t> g(4);
  ao::scaled_embedding_bag(ao::strided_view<const std::int32_t, 1>(i1.data(), {1}),
                           ao::strided_view<const std::int32_t, 1>(o1.data(), {2}), e,
                           ao::strided_view<std::int8_t, 2>(g.data(), {1, 4}), 0.5f);
  EXPECT_EQ(g[0], 127);
  EXPECT_EQ(g[2], -128);
  EXPECT_EQ(g[3], -128);  // NaN
}

TEST(ScaledEmbeddingBag, EmptyBagsAndErrors) {
  using E = ao::float8_e4m3_per_tensor;
  const std::vector<float> v = ao_test::randn(5 * 16, 51);
  const ao::quantized_tensor<E> q = ao::quantize<E>(ao_test::cview_of<float, 2>(v, {5, 16}));
  std::vector<std::int64_t> idx{1, 4}, off{0, 0, 2};
  std::vector<float> y(2 * 16, 9.0f);
  auto iv = [&] { return ao::strided_view<const std::int64_t, 1>(idx.data(), {idx.size()}); };
  auto ov = [&] { return ao::strided_view<const std::int64_t, 1>(off.data(), {off.size()}); };
  const ao::strided_view<float, 2> yv(y.data(), {2, 16});
  ao::scaled_embedding_bag(iv(), ov(), q, yv, 1.0f);
  for (std::size_t d = 0; d < 16; ++d) EXPECT_EQ(ao_test::bits_of(y[d]), 0u) << "an empty bag is 0";
  std::fill(y.begin(), y.end(), 9.0f);
  off = {0, 1, 1};
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), q, yv, 1.0f); },
               {"ao::scaled_embedding_bag<", "offsets[B] = 1 must equal indices.size() = 2"});
  off = {0, 2};
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), q, yv, 1.0f); }, {"out is 2 x 16 but must be 1 x 16"});
  off = {0, 1, 2};
  idx[1] = 5;
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), q, yv, 1.0f); }, {"indices[1] = 5"});
  idx[1] = 4;
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), q, yv, 0.0f); }, {"output_scale", "finite and positive"});
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), q, yv, std::numeric_limits<float>::infinity()); },
               {"finite and positive"});
  off = {};
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), q, yv, 1.0f); }, {"offsets is empty"});
  off = {0, 1, 2};
  using I8 = ao::int8_symmetric_per_tensor;
  ao::quantized_tensor<I8> t = ao::quantize<I8>(ao_test::cview_of<float, 2>(v, {5, 16}));
  t.view().zero_points[0] = 3;
  expect_error([&] { ao::scaled_embedding_bag(iv(), ov(), t, yv, 1.0f); }, {"zero point is 3"});
  for (float x : y) ASSERT_EQ(x, 9.0f) << "out was written before an error";
}

}  // namespace
