// ao/interop/eigen.hpp: Eigen objects as ao views and back (shapes, strides, the data they alias), every op with
// Eigen arguments against the same op on ao views (bit for bit: the Eigen overloads only convert their arguments),
// ao::matmul against an Eigen float64 product of the dequantized weights (the op's documented error bound), and the
// lazily dequantized expression against ao::dequantize (bit for bit), for MXFP4, NVFP4 (two level), int4 asymmetric
// group-32 affine and FP8 e4m3 per row. Then the errors: strides the kernels cannot take, shape mismatches, aliasing.
#include "ao/interop/eigen.hpp"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "ao/executor.hpp"
#include "expect_error.hpp"
#include "ops_test_util.hpp"

namespace {

using ao::testing::expect_error;
using RowMajorXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMajorXbf = Eigen::Matrix<ao::bfloat16, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using DynStride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;

// Which Eigen objects the ops take (rows contiguous, or possibly so until run time) and which they reject at compile
// time (column-major matrices, compile-time inner strides, expressions without storage).
static_assert(ao::eigen::has_contiguous_rows_v<RowMajorXf>);
static_assert(ao::eigen::has_contiguous_rows_v<const RowMajorXf&>);
static_assert(ao::eigen::has_contiguous_rows_v<Eigen::VectorXf>);
static_assert(ao::eigen::has_contiguous_rows_v<Eigen::RowVectorXf>);
static_assert(ao::eigen::has_contiguous_rows_v<Eigen::Block<RowMajorXf>>);
static_assert(ao::eigen::has_contiguous_rows_v<Eigen::Ref<const RowMajorXf>>);
static_assert(ao::eigen::has_contiguous_rows_v<Eigen::Transpose<Eigen::MatrixXf>>);
static_assert(ao::eigen::has_contiguous_rows_v<Eigen::Map<RowMajorXf, 0, DynStride>>);
static_assert(!ao::eigen::has_contiguous_rows_v<Eigen::MatrixXf>);
static_assert(!ao::eigen::has_contiguous_rows_v<Eigen::Block<Eigen::MatrixXf>>);
static_assert(!ao::eigen::has_contiguous_rows_v<Eigen::Map<RowMajorXf, 0, Eigen::InnerStride<2>>>);
static_assert(!ao::eigen::is_direct_v<decltype(RowMajorXf() + RowMajorXf())>);
static_assert(ao::eigen::is_direct_v<Eigen::ArrayXXf>);
static_assert(!ao::eigen::is_dense_v<std::vector<float>> && !ao::eigen::is_dense_v<ao::strided_view<float, 2>>);

template <class T, int Rank>
T at(const ao::strided_view<T, Rank>& v, std::size_t i, std::size_t j = 0) {
  std::ptrdiff_t off = static_cast<std::ptrdiff_t>(i) * v.stride(0);
  if constexpr (Rank == 2) off += static_cast<std::ptrdiff_t>(j) * v.stride(1);
  return v.data()[off];
}

// Every element of the view is the Eigen object's.
template <class T, class E>
void expect_same_elements(const ao::strided_view<T, 2>& v, const E& m) {
  ASSERT_EQ(v.extent(0), static_cast<std::size_t>(m.rows()));
  ASSERT_EQ(v.extent(1), static_cast<std::size_t>(m.cols()));
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      EXPECT_EQ(at(v, static_cast<std::size_t>(i), static_cast<std::size_t>(j)), m(i, j)) << i << ", " << j;
    }
  }
}

RowMajorXf counting(Eigen::Index rows, Eigen::Index cols) {
  RowMajorXf m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = static_cast<float>(100 * i + j);
  }
  return m;
}

RowMajorXf matrix_of(const std::vector<float>& v, std::size_t rows, std::size_t cols) {
  return Eigen::Map<const RowMajorXf>(v.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
}

// The float bits of an Eigen matrix against a row-major buffer: the index of the first difference, or -1.
template <class E>
long first_difference(const E& m, const std::vector<float>& ref) {
  const auto cols = static_cast<std::size_t>(m.cols());
  if (static_cast<std::size_t>(m.size()) != ref.size()) return 0;
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * cols + static_cast<std::size_t>(j);
      if (ao_test::bits_of(float(m(i, j))) != ao_test::bits_of(ref[k])) return static_cast<long>(k);
    }
  }
  return -1;
}

// ---- Views ----

TEST(EigenView, MatricesMapsRefsBlocksKeepTheirStrides) {
  RowMajorXf m = counting(6, 10);
  const auto v = ao::view_of(m);
  static_assert(std::is_same_v<decltype(v), const ao::strided_view<float, 2>>);
  EXPECT_EQ(v.data(), m.data());
  EXPECT_EQ(v.stride(0), 10);
  EXPECT_EQ(v.stride(1), 1);
  expect_same_elements(v, m);

  const RowMajorXf& c = m;
  static_assert(std::is_same_v<decltype(ao::view_of(c)), ao::strided_view<const float, 2>>);

  const auto b = ao::view_of(m.block(1, 2, 3, 4));
  static_assert(std::is_same_v<decltype(b), const ao::strided_view<float, 2>>);
  EXPECT_EQ(b.data(), &m(1, 2));
  EXPECT_EQ(b.stride(0), 10);
  expect_same_elements(b, m.block(1, 2, 3, 4));

  std::vector<float> buf(5 * 12);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<float>(i);
  Eigen::Map<RowMajorXf, 0, Eigen::OuterStride<>> padded(buf.data(), 5, 7, Eigen::OuterStride<>(12));
  EXPECT_EQ(ao::view_of(padded).stride(0), 12);
  expect_same_elements(ao::view_of(padded), padded);

  Eigen::Ref<const RowMajorXf> r = m.middleRows(2, 3);
  EXPECT_EQ(ao::view_of(r).data(), &m(2, 0));
  expect_same_elements(ao::view_of(r), r);

  // A general stride: the view is faithful (the ops then reject its non-contiguous rows).
  Eigen::Map<RowMajorXf, 0, DynStride> strided(buf.data(), 3, 4, DynStride(12, 2));
  EXPECT_EQ(ao::view_of(strided).stride(1), 2);
  expect_same_elements(ao::view_of(strided), strided);

  // Column-major: element (i, j) is still m(i, j), with strides {1, rows}; its transpose is row-major.
  Eigen::MatrixXf cm = counting(4, 3);
  const auto cv = ao::view_of(cm);
  EXPECT_EQ(cv.stride(0), 1);
  EXPECT_EQ(cv.stride(1), 4);
  expect_same_elements(cv, cm);
  const auto tv = ao::view_of(cm.transpose());
  EXPECT_EQ(tv.stride(0), 4);
  EXPECT_EQ(tv.stride(1), 1);
  expect_same_elements(tv, cm.transpose());

  // Arrays and ao::bfloat16 scalars.
  Eigen::Array<float, 2, 3, Eigen::RowMajor> a;
  a << 1, 2, 3, 4, 5, 6;
  expect_same_elements(ao::view_of(a), a);
  RowMajorXbf h = counting(2, 3).cast<ao::bfloat16>();
  static_assert(std::is_same_v<decltype(ao::view_of(h)), ao::strided_view<ao::bfloat16, 2>>);
  EXPECT_EQ(float(at(ao::view_of(h), 1, 2)), 102.0f);
}

TEST(EigenView, Vectors) {
  Eigen::VectorXf v = Eigen::VectorXf::LinSpaced(7, 0.0f, 6.0f);
  const auto v1 = ao::view_of<1>(v);
  EXPECT_EQ(v1.extent(0), 7u);
  EXPECT_EQ(v1.stride(0), 1);
  EXPECT_EQ(at(v1, 6), 6.0f);
  const auto v2 = ao::view_of(v);  // 7 x 1
  EXPECT_EQ(v2.extent(0), 7u);
  EXPECT_EQ(v2.extent(1), 1u);

  RowMajorXf m = counting(6, 10);
  EXPECT_EQ(ao::view_of<1>(m.row(2)).data(), &m(2, 0));
  EXPECT_EQ(ao::view_of<1>(m.row(2)).stride(0), 1);
  EXPECT_EQ(ao::view_of<1>(m.col(3)).stride(0), 10);
  EXPECT_EQ(at(ao::view_of<1>(m.col(3)), 4), 403.0f);
  Eigen::MatrixXf cm = counting(4, 3);
  EXPECT_EQ(ao::view_of<1>(cm.col(1)).stride(0), 1);
  EXPECT_EQ(ao::view_of<1>(cm.row(1)).stride(0), 4);

  // as_view: ao views pass through.
  ao::strided_view<float, 1> plain(v.data(), {7});
  EXPECT_EQ(ao::as_view<1>(plain).data(), v.data());
  EXPECT_EQ(ao::as_view<1>(v).data(), v.data());

  expect_error([&] { (void)ao::view_of<1>(m); }, {"ao::view_of<1>", "6 x 10", "not a vector"});
}

TEST(EigenMap, ViewsAsMapsAndBack) {
  std::vector<float> buf(5 * 12, 0.0f);
  ao::strided_view<float, 2> v(buf.data(), {5, 7}, {12, 1});
  auto m = ao::eigen::map(v);
  EXPECT_EQ(m.data(), buf.data());
  EXPECT_EQ(m.rows(), 5);
  EXPECT_EQ(m.cols(), 7);
  EXPECT_EQ(m.outerStride(), 12);
  m(2, 3) = 42.0f;  // writes through
  EXPECT_EQ(buf[2 * 12 + 3], 42.0f);
  const auto back = ao::view_of(m);
  EXPECT_EQ(back.data(), v.data());
  EXPECT_EQ(back.strides(), v.strides());
  EXPECT_EQ(back.extents(), v.extents());

  const auto cm = ao::eigen::map(ao::strided_view<const float, 2>(v));
  static_assert(std::is_const_v<std::remove_pointer_t<decltype(cm.data())>>);
  EXPECT_EQ(cm(2, 3), 42.0f);

  ao::strided_view<float, 1> column(buf.data() + 1, {5}, {12});
  auto m1 = ao::eigen::map(column);
  m1(3) = 7.0f;
  EXPECT_EQ(buf[3 * 12 + 1], 7.0f);
  EXPECT_EQ(ao::view_of<1>(m1).stride(0), 12);

  // Eigen -> view -> Eigen over a block: the same elements, the same memory.
  RowMajorXf big = counting(6, 10);
  const auto bm = ao::eigen::map(ao::view_of(big.block(1, 2, 3, 4)));
  EXPECT_EQ(bm.data(), &big(1, 2));
  EXPECT_TRUE(bm == big.block(1, 2, 3, 4));

  // bf16 views map to Eigen matrices of ao::bfloat16, which Eigen casts.
  RowMajorXbf h = counting(2, 3).cast<ao::bfloat16>();
  EXPECT_TRUE(ao::eigen::map(ao::view_of(h)).cast<float>() == counting(2, 3));

  expect_error([&] { (void)ao::eigen::map(ao::strided_view<float, 2>(buf.data(), {3, 4}, {12, 2})); },
               {"ao::eigen::map", "contiguous", "{12, 2}"});
}

TEST(EigenMap, EigenHalfTypesAreBitCopies) {
  Eigen::Matrix<Eigen::bfloat16, 2, 2> e;
  e << Eigen::bfloat16(1.5f), Eigen::bfloat16(-2.0f), Eigen::bfloat16(0.1f), Eigen::bfloat16(65504.0f);
  const RowMajorXbf a = ao::eigen::from_eigen_bits(e);
  EXPECT_EQ(a(0, 0).bits(), 0x3fc0);
  EXPECT_EQ(a(0, 1).bits(), 0xc000);
  for (Eigen::Index i = 0; i < 2; ++i) {
    for (Eigen::Index j = 0; j < 2; ++j) EXPECT_EQ(float(a(i, j)), static_cast<float>(e(i, j)));
  }
  const auto back = ao::eigen::to_eigen_bits(a);
  for (Eigen::Index i = 0; i < 2; ++i) {
    for (Eigen::Index j = 0; j < 2; ++j) {
      EXPECT_EQ(Eigen::numext::bit_cast<std::uint16_t>(back(i, j)), Eigen::numext::bit_cast<std::uint16_t>(e(i, j)));
    }
  }
  Eigen::Matrix<Eigen::half, 1, 2> f;
  f << Eigen::half(0.5f), Eigen::half(-3.0f);
  EXPECT_EQ(ao::eigen::from_eigen_bits(f)(0, 1).bits(), 0xc200);
}

// ---- The ops, per format ----

template <class F>
class EigenFormat : public ::testing::Test {};
using Formats =
    ::testing::Types<ao::mxfp4, ao::nvfp4_global_scale, ao::int4_asymmetric_group32, ao::float8_e4m3_per_row>;
TYPED_TEST_SUITE(EigenFormat, Formats);

constexpr std::size_t kRows = 24, kCols = 128;  // W: N x K

TYPED_TEST(EigenFormat, QuantizeFromEigenEqualsQuantizeFromView) {
  using F = TypeParam;
  const std::vector<float> w = ao_test::llm_like<float>(kRows, kCols, 1, false);
  const ao_test::snapshot ref = ao_test::snap(ao::quantize<F>(ao_test::cview_of<float, 2>(w, {kRows, kCols})));
  const RowMajorXf m = matrix_of(w, kRows, kCols);
  EXPECT_TRUE(ao_test::snap(ao::quantize<F>(m)) == ref);

  // A block of a larger matrix (its rows kCols + 40 apart), a Map with that outer stride, a Ref.
  const auto r = static_cast<Eigen::Index>(kRows), c = static_cast<Eigen::Index>(kCols);
  RowMajorXf big = RowMajorXf::Constant(r + 3, c + 40, 1e30f);
  big.block(2, 8, r, c) = m;
  EXPECT_TRUE(ao_test::snap(ao::quantize<F>(big.block(2, 8, r, c))) == ref);
  Eigen::Map<const RowMajorXf, 0, Eigen::OuterStride<>> map(&big(2, 8), r, c, Eigen::OuterStride<>(big.cols()));
  EXPECT_TRUE(ao_test::snap(ao::quantize<F>(map)) == ref);
  const Eigen::Ref<const RowMajorXf> ref_of_block = big.block(2, 8, r, c);
  EXPECT_EQ(ref_of_block.data(), &big(2, 8));  // no copy
  EXPECT_TRUE(ao_test::snap(ao::quantize<F>(ref_of_block)) == ref);

  // Into a view, with the scalar backend and an executor.
  ao::thread_pool pool(2);
  auto q = ao::quantized_tensor<F>::allocate(kRows, kCols);
  ao::quantize<F>(big.block(2, 8, r, c), q.view(), ao::backend::scalar{}, pool);
  EXPECT_TRUE(ao_test::snap(q) == ref);
}

TYPED_TEST(EigenFormat, DequantizeIntoEigenAndTheLazyExpression) {
  using F = TypeParam;
  const std::vector<float> w = ao_test::llm_like<float>(kRows, kCols, 2, false);
  const ao::quantized_tensor<F> q = ao::quantize<F>(ao_test::cview_of<float, 2>(w, {kRows, kCols}));
  std::vector<float> ref(kRows * kCols);
  ao::dequantize(q.cview(), ao::strided_view<float, 2>(ref.data(), {kRows, kCols}));
  const auto r = static_cast<Eigen::Index>(kRows), c = static_cast<Eigen::Index>(kCols);

  RowMajorXf d(r, c);
  ao::dequantize(q, d);
  EXPECT_EQ(first_difference(d, ref), -1);
  // Into a block of a larger matrix: the rest is untouched.
  RowMajorXf big = RowMajorXf::Constant(r + 2, c + 16, -7.0f);
  ao::dequantize(q.cview(), big.block(1, 8, r, c), ao::backend::scalar{});
  EXPECT_EQ(first_difference(big.block(1, 8, r, c), ref), -1);
  EXPECT_EQ((big.array() == -7.0f).count(), big.size() - r * c);
  EXPECT_EQ(first_difference(ao::eigen::dequantize(q), ref), -1);

  // The lazy expression: assigned column by column (a block decode for nearly every access), row by row (cached
  // blocks), read coefficient by coefficient, and multiplied.
  const Eigen::MatrixXf lazy_col_major = ao::eigen::dequantized(q);
  EXPECT_EQ(first_difference(lazy_col_major, ref), -1);
  const RowMajorXf lazy_row_major = ao::eigen::dequantized(q.cview());
  EXPECT_EQ(first_difference(lazy_row_major, ref), -1);
  const auto expr = ao::eigen::dequantized(q);
  EXPECT_EQ(expr.rows(), r);
  EXPECT_EQ(expr.cols(), c);
  EXPECT_EQ(ao_test::bits_of(expr(5, 77)), ao_test::bits_of(ref[5 * kCols + 77]));
  EXPECT_EQ(ao_test::bits_of(expr.coeff(23, 0)), ao_test::bits_of(ref[23 * kCols]));

  const Eigen::VectorXf v = matrix_of(ao_test::randn(kCols, 3), kCols, 1);
  const Eigen::VectorXf product = ao::eigen::dequantized(q) * v;
  // (Eigen picks the product's kernel and summation order from the expression type: compared with the exact
  // product of the same values, within the bound of a float dot product of K terms.)
  const Eigen::VectorXd exact = lazy_row_major.cast<double>() * v.cast<double>();
  const Eigen::VectorXd magnitude = lazy_row_major.cast<double>().cwiseAbs() * v.cast<double>().cwiseAbs();
  const double gamma = (kCols + 2) * 0x1p-24 / (1 - (kCols + 2) * 0x1p-24);
  for (Eigen::Index i = 0; i < r; ++i) EXPECT_LE(std::abs(product(i) - exact(i)), gamma * magnitude(i)) << i;
}

TYPED_TEST(EigenFormat, MatmulWithEigenEqualsMatmulWithViews) {
  using F = TypeParam;
  constexpr std::size_t M = 5, N = kRows, K = kCols;
  const std::vector<float> w = ao_test::llm_like<float>(N, K, 4, false);
  const ao::quantized_tensor<F> q = ao::quantize<F>(ao_test::cview_of<float, 2>(w, {N, K}));
  const std::vector<float> xs = ao_test::randn(M * K, 5), bias_values = ao_test::randn(N, 6);
  const auto m = static_cast<Eigen::Index>(M), n = static_cast<Eigen::Index>(N), k = static_cast<Eigen::Index>(K);

  std::vector<float> ref(M * N), ref_bias(M * N);
  ao::matmul(ao_test::cview_of<float, 2>(xs, {M, K}), q, ao::strided_view<float, 2>(ref.data(), {M, N}));
  ao::matmul(ao_test::cview_of<float, 2>(xs, {M, K}), q, ao_test::cview_of<float, 1>(bias_values, {N}),
             ao::strided_view<float, 2>(ref_bias.data(), {M, N}));

  const RowMajorXf x = matrix_of(xs, M, K);
  RowMajorXf y(m, n);
  ao::matmul(x, q, y);
  EXPECT_EQ(first_difference(y, ref), -1);
  ao::matmul(x, q.cview(), y, ao::backend::highway{});
  EXPECT_EQ(first_difference(y, ref), -1);

  // x a block of a larger matrix, y a block of another; a bias vector; an executor.
  RowMajorXf x_big = RowMajorXf::Constant(m + 1, k + 32, 1e30f);
  x_big.block(1, 16, m, k) = x;
  RowMajorXf y_big = RowMajorXf::Constant(m + 2, n + 3, -7.0f);
  const Eigen::VectorXf bias = matrix_of(bias_values, N, 1);
  ao::thread_pool pool(2);
  ao::matmul(x_big.block(1, 16, m, k), q, bias, y_big.block(2, 1, m, n), pool);
  EXPECT_EQ(first_difference(y_big.block(2, 1, m, n), ref_bias), -1);
  EXPECT_EQ((y_big.array() == -7.0f).count(), y_big.size() - m * n);

  // Mixed: x an ao view and y Eigen, x Eigen and y a view, bias a view.
  RowMajorXf y2(m, n);
  ao::matmul(ao_test::cview_of<float, 2>(xs, {M, K}), q, y2);
  EXPECT_EQ(first_difference(y2, ref), -1);
  std::vector<float> y3(M * N);
  ao::matmul(x, q, ao_test::cview_of<float, 1>(bias_values, {N}), ao::strided_view<float, 2>(y3.data(), {M, N}));
  EXPECT_EQ(ao_test::first_bit_difference(y3, ref_bias), -1);

  // One row (a GEMV): a RowVectorXf in and out gives row 0 of the matmul.
  const Eigen::RowVectorXf x1 = x.row(0);
  Eigen::RowVectorXf y1(n);
  ao::matmul(x1, q, y1);
  for (Eigen::Index j = 0; j < n; ++j) EXPECT_EQ(ao_test::bits_of(y1(j)), ao_test::bits_of(y(0, j)));

  // Against Eigen in float64 on the dequantized weights: within the op's bound gamma_(K+2) * sum |x W| (+ |bias|).
  const Eigen::MatrixXd wd = ao::eigen::dequantized(q).template cast<double>();
  const Eigen::MatrixXd exact = (x.cast<double>() * wd.transpose()).rowwise() + bias.cast<double>().transpose();
  const Eigen::MatrixXd magnitude =
      (x.cast<double>().cwiseAbs() * wd.cwiseAbs().transpose()).rowwise() + bias.cast<double>().cwiseAbs().transpose();
  const double gamma = (K + 2) * 0x1p-24 / (1 - (K + 2) * 0x1p-24);
  const RowMajorXf got = y_big.block(2, 1, m, n);
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      EXPECT_LE(std::abs(got(i, j) - exact(i, j)), gamma * magnitude(i, j)) << i << ", " << j;
    }
  }
}

// NF4 (no quantized_view: torchao's NF4Tensor buffers) against ao::scalar::dequantize, fp32 and bf16 inputs.
template <class Input>
void expect_nf4_lazy_equals_oracle(std::uint32_t seed) {
  using F = ao::nf4<>;
  constexpr std::size_t rows = 64, cols = 256, n = rows * cols;  // n = block_size * scaler_block_size
  const std::vector<float> x = ao_test::randn(n, seed);
  std::vector<std::uint8_t> qdata(ao::scalar::nf4_packed_bytes<F>(n));
  std::vector<std::int8_t> qs(ao::scalar::nf4_scaler_count<F>(n));
  std::vector<Input> factors(ao::scalar::nf4_factor_count<F>(n));
  Input mean{};
  ao::scalar::quantize<F, Input>(x.data(), n, qdata.data(), qs.data(), factors.data(), &mean);
  std::vector<float> ref(n);
  ao::scalar::dequantize<F, Input, float>(qdata.data(), qs.data(), factors.data(), mean, n, ref.data());
  const ao::eigen::nf4_storage<F, Input> s{qdata.data(), qs.data(), factors.data(), mean, rows, cols};
  const Eigen::MatrixXf d = ao::eigen::dequantized(s);
  EXPECT_EQ(first_difference(d, ref), -1);
  const RowMajorXf t = ao::eigen::dequantized(ao::eigen::nf4_storage<F, Input>{
      qdata.data(), qs.data(), factors.data(), mean, 128, 128});  // another shape of the same values
  EXPECT_EQ(first_difference(t, ref), -1);
  expect_error([&] {
    (void)ao::eigen::dequantized(ao::eigen::nf4_storage<F, Input>{qdata.data(), qs.data(), factors.data(), mean, 3, 100});
  }, {"ao::eigen::dequantized", "n = 300", "not a multiple"});
}

TEST(EigenLazy, Nf4EqualsTheScalarOracle) {
  expect_nf4_lazy_equals_oracle<float>(14);
  expect_nf4_lazy_equals_oracle<ao::bfloat16>(15);
}

// ---- bf16 matrices, embedding bags (one format: the Eigen overloads are format-independent) ----

TEST(EigenOps, Bfloat16MatricesInAndOut) {
  using F = ao::mxfp4;
  constexpr std::size_t M = 3, N = 8, K = 64;
  const ao::quantized_tensor<F> q = ao::quantize<F>(RowMajorXf(matrix_of(ao_test::randn(N * K, 7), N, K)));
  const RowMajorXbf x = matrix_of(ao_test::randn(M * K, 8), M, K).cast<ao::bfloat16>();
  std::vector<ao::bfloat16> ref(M * N);
  ao::matmul(ao::strided_view<const ao::bfloat16, 2>(x.data(), {M, K}), q,
             ao::strided_view<ao::bfloat16, 2>(ref.data(), {M, N}));
  RowMajorXbf y(static_cast<Eigen::Index>(M), static_cast<Eigen::Index>(N));
  ao::matmul(x, q, y);
  for (std::size_t i = 0; i < M * N; ++i) EXPECT_EQ(y.data()[i].bits(), ref[i].bits()) << i;

  // Quantize from bf16 and dequantize to bf16.
  const ao::quantized_tensor<F> qb = ao::quantize<F>(x);
  const ao_test::snapshot snap = ao_test::snap(ao::quantize<F>(ao::strided_view<const ao::bfloat16, 2>(x.data(), {M, K})));
  EXPECT_TRUE(ao_test::snap(qb) == snap);
  RowMajorXbf back(static_cast<Eigen::Index>(M), static_cast<Eigen::Index>(K));
  ao::dequantize(qb, back);
  std::vector<ao::bfloat16> back_ref(M * K);
  ao::dequantize(qb.cview(), ao::strided_view<ao::bfloat16, 2>(back_ref.data(), {M, K}));
  for (std::size_t i = 0; i < M * K; ++i) EXPECT_EQ(back.data()[i].bits(), back_ref[i].bits()) << i;
}

TEST(EigenOps, EmbeddingAndBags) {
  using F = ao::mxfp4;
  constexpr std::size_t rows = 37, dim = 64;
  const ao::quantized_tensor<F> table = ao::quantize<F>(matrix_of(ao_test::llm_like<float>(rows, dim, 9, false), rows, dim));
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> idx(6);
  idx << 3, 0, 36, 3, 12, 5;
  const ao::strided_view<const std::int64_t, 1> idx_view(idx.data(), {6});

  RowMajorXf out(6, static_cast<Eigen::Index>(dim));
  ao::embedding(idx, table, out);
  std::vector<float> ref(6 * dim);
  ao::embedding(idx_view, table, ao::strided_view<float, 2>(ref.data(), {6, dim}));
  EXPECT_EQ(first_difference(out, ref), -1);
  // Spot check against the table itself.
  const RowMajorXf t = ao::eigen::dequantize(table);
  EXPECT_TRUE(out.row(2) == t.row(36));

  // Bags with int32 offsets {0, 2, 2, 5} (an empty bag), mean with a padding index, sum with per-sample weights.
  Eigen::VectorXi offsets(4);
  offsets << 0, 2, 2, 5;
  const ao::strided_view<const int, 1> off_view(offsets.data(), {4});
  const Eigen::VectorXf weights = Eigen::VectorXf::LinSpaced(6, 0.5f, 3.0f);
  RowMajorXf bags(4, static_cast<Eigen::Index>(dim));
  std::vector<float> bags_ref(4 * dim);
  const ao::strided_view<float, 2> bags_ref_view(bags_ref.data(), {4, dim});
  ao::embedding_bag(idx, offsets, table, bags, ao::embedding_bag_mode::mean, ao::padding_idx{3});
  ao::embedding_bag(idx_view, off_view, table, bags_ref_view, ao::embedding_bag_mode::mean, ao::padding_idx{3});
  EXPECT_EQ(first_difference(bags, bags_ref), -1);
  ao::embedding_bag(idx, off_view, table, bags, ao::embedding_bag_mode::sum,
                    ao::per_sample_weights{ao::view_of<1>(weights)});
  ao::embedding_bag(idx_view, off_view, table, bags_ref_view, ao::embedding_bag_mode::sum,
                    ao::per_sample_weights{ao::strided_view<const float, 1>(weights.data(), {6})});
  EXPECT_EQ(first_difference(bags, bags_ref), -1);

  // torchao's scaled bag (an FP8 per-tensor table, B + 1 offsets) into an int8 Eigen matrix.
  const auto fp8 = ao::quantize<ao::float8_e4m3_per_tensor>(
      matrix_of(ao_test::llm_like<float>(rows, dim, 13, false), rows, dim));
  Eigen::VectorXi offsets_last(4);
  offsets_last << 0, 2, 2, 6;
  using RowMajorXi8 = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMajorXi8 scaled(3, static_cast<Eigen::Index>(dim));
  std::vector<std::int8_t> scaled_ref(3 * dim);
  ao::scaled_embedding_bag(idx, offsets_last, fp8, scaled, 0.05f);
  ao::scaled_embedding_bag(idx_view, ao::strided_view<const int, 1>(offsets_last.data(), {4}), fp8,
                           ao::strided_view<std::int8_t, 2>(scaled_ref.data(), {3, dim}), 0.05f);
  EXPECT_EQ(std::memcmp(scaled.data(), scaled_ref.data(), scaled_ref.size()), 0);
}

TEST(EigenMap, QuantizedStorage) {
  using F = ao::int4_asymmetric_group32;
  ao::quantized_tensor<F> q = ao::quantize<F>(matrix_of(ao_test::randn(4 * 64, 16), 4, 64));
  const auto data = ao::eigen::map_data(q);
  EXPECT_EQ(data.data(), q.data().data());
  EXPECT_EQ(data.rows(), 4);
  EXPECT_EQ(data.cols(), 64);  // one code per byte
  const auto scales = ao::eigen::map_scales(q.cview());
  static_assert(std::is_const_v<std::remove_pointer_t<decltype(scales.data())>>);
  EXPECT_EQ(scales.cols(), 2);
  EXPECT_EQ(ao_test::bits_of(scales(3, 1)), ao_test::bits_of(q.scales()[7]));
  auto zero_points = ao::eigen::map_zero_points(q);  // mutable through a mutable tensor
  zero_points(2, 0) = 5;
  EXPECT_EQ(q.zero_points()[4], 5);
}

// ---- Errors ----

TEST(EigenErrors, StridesShapesAndAliasing) {
  using F = ao::mxfp4;
  const ao::quantized_tensor<F> q = ao::quantize<F>(matrix_of(ao_test::randn(8 * 64, 10), 8, 64));
  const RowMajorXf x = matrix_of(ao_test::randn(4 * 64, 11), 4, 64);
  RowMajorXf y = RowMajorXf::Constant(4, 8, -7.0f);
  auto untouched = [&] { EXPECT_TRUE((y.array() == -7.0f).all()); };

  // Rows that are not contiguous: an inner stride, a row of a column-major matrix.
  std::vector<float> buf(4 * 128);
  Eigen::Map<const RowMajorXf, 0, DynStride> x_strided(buf.data(), 4, 64, DynStride(128, 2));
  expect_error([&] { ao::matmul(x_strided, q, y); }, {"ao::matmul", "x (an Eigen object)", "not contiguous", "2 apart"});
  untouched();
  Eigen::MatrixXf cm = Eigen::MatrixXf::Zero(3, 8);
  expect_error([&] { ao::matmul(x, q, cm.row(0), y); }, {"ao::matmul", "bias", "not contiguous", "3 apart"});
  untouched();
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> idx = Eigen::Matrix<std::int64_t, 2, 3>::Zero();
  expect_error([&] { ao::embedding(idx.row(0), q, y); }, {"ao::embedding", "indices", "not contiguous"});
  expect_error([&] { ao::embedding(idx, q, y); }, {"ao::view_of<1>", "2 x 3", "not a vector"});
  untouched();

  // Shapes: the ops' own checks.
  RowMajorXf x_narrow(4, 32), y_wide(4, 9);
  expect_error([&] { ao::matmul(x_narrow, q, y); }, {"ao::matmul", "x's columns must equal W's K"});
  expect_error([&] { ao::matmul(x, q, y_wide); }, {"ao::matmul", "y is 4 x 9"});
  const Eigen::VectorXf bias7 = Eigen::VectorXf::Zero(7);
  expect_error([&] { ao::matmul(x, q, bias7, y); }, {"ao::matmul", "bias has 7 values"});
  untouched();
  const RowMajorXf ragged = RowMajorXf::Zero(3, 40);
  expect_error([&] { (void)ao::quantize<F>(ragged); }, {"3 x 40", "does not divide"});
  RowMajorXf narrow(8, 32);
  expect_error([&] { ao::dequantize(q, narrow); }, {"ao::dequantize", "8 x 64", "8 x 32"});

  // Aliasing: y over x's memory.
  RowMajorXf xy = x;
  expect_error([&] { ao::matmul(xy, q, xy.leftCols(8)); }, {"ao::matmul", "overlap"});
  EXPECT_TRUE(xy == x);

  // The lazy expression needs a 2-D, unpadded tensor.
  const std::vector<float> w3 = ao_test::randn(2 * 3 * 64, 12);
  const auto q3 = ao::quantize<F>(ao::strided_view<const float, 3>(w3.data(), {2, 3, 64}));
  expect_error([&] { (void)ao::eigen::dequantized(q3); }, {"ao::eigen::dequantized", "2-D", "[2, 3, 64]"});
  const auto padded = ao::quantize<F>(ao::strided_view<const float, 2>(w3.data(), {2, 40}), ao::pad_last_dim);
  expect_error([&] { (void)ao::eigen::dequantized(padded); }, {"ao::eigen::dequantized", "padded", "40"});
}

}  // namespace
