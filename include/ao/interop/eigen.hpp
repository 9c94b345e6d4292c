// ao/interop/eigen.hpp: Eigen 3.4 matrices, maps, refs and blocks in and out of ao's operations, and a lazily
// dequantized Eigen expression of a quantized tensor. Include it yourself (ao/ao.hpp never does) and link
// Eigen3::Eigen; when <Eigen/Core> is not on the include path this header declares nothing (so that it still
// compiles alone, as every ao header must).
//
//   ao::view_of(m)                  a direct-access Eigen object (Matrix, Map, Ref, Block of one, Transpose of one)
//                                   as an ao::strided_view<T, 2> with the same shape and strides (element (i, j) of
//                                   the view is m(i, j); a column-major object gets strides {inner, outer})
//   ao::view_of<1>(v)               a vector (one dim of 1) as an ao::strided_view<T, 1>
//   ao::as_view<Rank>(a)            a, when it is already an ao::strided_view<T, Rank>; else ao::view_of<Rank>(a)
//   ao::eigen::map(view)            an Eigen::Map over an ao view: Rank 2 row-major with an outer stride (its rows
//                                   must be contiguous), Rank 1 a column vector with an inner stride
//   ao::eigen::map_data(q), map_scales(q), map_zero_points(q)
//                                   Eigen::Maps over a quantized view's or tensor's storage (bytes, scale codes)
//   ao::quantize<F>(m, ...), ao::dequantize(q, m, ...), ao::matmul(x, w, [bias,] y, ...), ao::embedding(...),
//   ao::embedding_bag(...), ao::scaled_embedding_bag(...)
//                                   the ops with any matrix or vector argument an Eigen object (the others ao
//                                   views): the same arguments, options and results as with views
//   ao::eigen::dequantize(q, ...)   a new row-major Eigen float matrix, through ao::dequantize (the fast path)
//   ao::eigen::dequantized(q)       an Eigen expression (CwiseNullaryOp) whose coefficient (i, j) is the fp32 value
//                                   ao::dequantize gives, decoded on access by the scalar oracle: one block per
//                                   access (the last block is cached, so a row-major traversal decodes each block
//                                   once). Slow next to ao::dequantize and ao::matmul, which are the fast paths.
//   ao::eigen::dequantized(nf4_storage<F, Input>{...})
//                                   the same for NF4 (which has no quantized_view): ao::scalar::dequantize's values
//
// Layout rule: ao's kernels need each row contiguous (the last dim's stride 1). Eigen objects whose rows cannot be
// contiguous (column-major with more than one column at compile time: MatrixXf, a Block of one) are rejected at
// compile time by the ops, with a static_assert naming the fix (a RowMajor matrix, or pass m.transpose() and
// transpose the problem), and so are compile-time inner strides other than 1 (a Map with InnerStride<2>); a stride
// only known at run time that is not 1 (a Map with Stride<Dynamic, Dynamic>, a row of a column-major matrix used as
// a vector) gives an ao::error naming the op and the argument. Negative strides: ao::error.
//
// Element types: float, ao::bfloat16, ao::float16 (and the ops' index types) are viewed in place. Eigen::bfloat16
// and Eigen::half have the same 16 bits as ao::bfloat16 and ao::float16 (the same encodings; their sizes are
// static_asserted below), but reading an object of one class type through the other is an aliasing violation in
// C++, so they are not viewed in place: keep ao's types in the Eigen matrix (Eigen::Matrix<ao::bfloat16, ...>;
// `.cast<float>()` works on it), or convert with ao::eigen::from_eigen_bits / to_eigen_bits (bit copies).
#pragma once

#if defined(__has_include)
#if __has_include(<Eigen/Core>)
#define AO_INTEROP_EIGEN_AVAILABLE 1
#endif
#endif

#if defined(AO_INTEROP_EIGEN_AVAILABLE)

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backends/scalar/nf4.hpp"
#include "ao/backends/scalar/task.hpp"
#include "ao/error.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/nf4.hpp"
#include "ao/layout/bit_packing.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/ops/embedding.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

static_assert(EIGEN_VERSION_AT_LEAST(3, 4, 0), "ao/interop/eigen.hpp needs Eigen 3.4 or later");

namespace ao {
namespace eigen {

template <class T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;

// ---- What an Eigen argument is ----

// An Eigen dense object (a matrix or an expression).
template <class E, class = void>
struct is_dense : std::false_type {};
template <class E>
struct is_dense<E, std::enable_if_t<std::is_base_of_v<Eigen::DenseBase<remove_cvref_t<E>>, remove_cvref_t<E>>>>
    : std::true_type {};
template <class E>
inline constexpr bool is_dense_v = is_dense<E>::value;

// ...with direct access to its coefficients (data(), innerStride(), outerStride()): Matrix, Array, Map, Ref, a
// Block or Transpose of one.
template <class E>
constexpr bool direct_access() {
  if constexpr (is_dense_v<E>) {
    return (remove_cvref_t<E>::Flags & Eigen::DirectAccessBit) != 0;
  } else {
    return false;
  }
}
template <class E>
inline constexpr bool is_direct_v = direct_access<E>();

// ...whose rows can be contiguous: row-major (inner stride 1 or unknown until run time), or a vector of one column
// at compile time (each row is one value).
template <class E>
constexpr bool rows_can_be_contiguous() {
  if constexpr (is_direct_v<E>) {
    using D = remove_cvref_t<E>;
    if (D::ColsAtCompileTime == 1) return true;
    return D::IsRowMajor && (D::InnerStrideAtCompileTime == 1 || D::InnerStrideAtCompileTime == Eigen::Dynamic);
  } else {
    return false;
  }
}
template <class E>
inline constexpr bool has_contiguous_rows_v = rows_can_be_contiguous<E>();

template <class S>
inline constexpr bool is_eigen_half_v =
    std::is_same_v<std::remove_const_t<S>, Eigen::bfloat16> || std::is_same_v<std::remove_const_t<S>, Eigen::half>;

// Eigen's 16-bit floats have ao's bits (see the header comment: they are copied, never aliased).
static_assert(sizeof(Eigen::bfloat16) == sizeof(ao::bfloat16) && sizeof(Eigen::half) == sizeof(ao::float16),
              "Eigen::bfloat16 / Eigen::half are 16 bits, as ao::bfloat16 / ao::float16");

// ---- Eigen -> ao views ----

namespace detail {

template <class E>
using pointer_t = decltype(std::declval<E&>().data());
template <class E>
using scalar_ptr_t = std::remove_pointer_t<pointer_t<E>>;  // Scalar or const Scalar

template <class E>
constexpr void check_viewable() {
  static_assert(is_dense_v<E>, "ao::view_of: not an Eigen dense object");
  static_assert(is_direct_v<E>,
                "ao::view_of: this Eigen expression has no storage to view (it is computed on access); view a "
                "Matrix, Map, Ref, or a Block or Transpose of one, or evaluate the expression into a matrix first");
  static_assert(!is_eigen_half_v<scalar_ptr_t<E>>,
                "ao::view_of: Eigen::bfloat16 / Eigen::half storage is not viewed in place (reading it as ao's "
                "types would break C++'s aliasing rules): use Eigen::Matrix<ao::bfloat16, ...> (or ao::float16), or "
                "copy with ao::eigen::from_eigen_bits");
}

inline std::ptrdiff_t stride_of(Eigen::Index s) noexcept { return static_cast<std::ptrdiff_t>(s); }

}  // namespace detail

}  // namespace eigen

// An Eigen object as a view with its own shape and strides: element (i, j) of the view is m(i, j). Rank 2 (the
// default): rows x cols. Rank 1: a vector (rows or cols 1; ao::error otherwise).
template <int Rank = 2, class E, class = std::enable_if_t<eigen::is_dense_v<E>>>
auto view_of(E&& m) {
  static_assert(Rank == 1 || Rank == 2, "ao::view_of: an Eigen object is a rank 2 view, or a rank 1 view of a vector");
  eigen::detail::check_viewable<E>();
  using T = eigen::detail::scalar_ptr_t<E>;
  const auto rows = static_cast<std::size_t>(m.rows()), cols = static_cast<std::size_t>(m.cols());
  const std::ptrdiff_t inner = eigen::detail::stride_of(m.innerStride()), outer = eigen::detail::stride_of(m.outerStride());
  constexpr bool row_major = eigen::remove_cvref_t<E>::IsRowMajor;
  const std::ptrdiff_t row_stride = row_major ? outer : inner, col_stride = row_major ? inner : outer;
  if constexpr (Rank == 2) {
    return strided_view<T, 2>(m.data(), {rows, cols}, {row_stride, col_stride});
  } else {
    if (rows != 1 && cols != 1) {
      throw ao::error("ao::view_of<1>: the Eigen object is " + std::to_string(rows) + " x " + std::to_string(cols) +
                      ", not a vector (one of its dims must be 1)");
    }
    // Along the vector: the stride of its long dim (a 1 x 1 object: either).
    return strided_view<T, 1>(m.data(), {rows * cols}, {rows == 1 ? col_stride : row_stride});
  }
}

template <int Rank, class T, int R, class = std::enable_if_t<R == Rank>>
strided_view<T, Rank> as_view(strided_view<T, R> v) noexcept {
  return v;
}
template <int Rank, class E, class = std::enable_if_t<eigen::is_dense_v<E>>>
auto as_view(E&& m) {
  return view_of<Rank>(std::forward<E>(m));
}

namespace eigen {

template <class A, int Rank>
struct is_view_of_rank : std::false_type {};
template <class T, int Rank>
struct is_view_of_rank<strided_view<T, Rank>, Rank> : std::true_type {};

// An argument an op takes as a view of this rank: an ao view of that rank, or an Eigen dense object.
template <class A, int Rank>
inline constexpr bool is_arg_v = is_view_of_rank<remove_cvref_t<A>, Rank>::value || is_dense_v<A>;
// A matrix or vector argument of either kind (an op's options are never one).
template <class A>
inline constexpr bool is_tensor_arg_v = is_arg_v<A, 1> || is_arg_v<A, 2>;

namespace detail {

// An op's Eigen argument as the view the op takes: rank 2 with contiguous rows (compile-time check of the layout,
// run-time check of the strides), or rank 1 contiguous. ao views pass through unchanged (the op checks them).
template <int Rank, class A>
auto op_view(const char* op, const char* arg, A&& a) {
  if constexpr (!is_dense_v<A>) {
    return as_view<Rank>(a);
  } else {
    static_assert(Rank == 1 || has_contiguous_rows_v<A>,
                  "ao: this Eigen argument is column-major (or has a compile-time inner stride other than 1), so its "
                  "rows are not contiguous, and ao's kernels need contiguous rows: use a RowMajor matrix "
                  "(Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>), or pass m.transpose() "
                  "(a row-major view of the transpose) and transpose the problem");
    const auto v = view_of<Rank>(std::forward<A>(a));
    for (int d = 0; d < Rank; ++d) {
      if (v.stride(d) < 0) {
        throw ao::error(std::string(op) + ": " + arg + " (an Eigen object) has a negative stride " +
                        std::to_string(v.stride(d)));
      }
    }
    if (v.extent(Rank - 1) > 1 && v.stride(Rank - 1) != 1) {
      throw ao::error(std::string(op) + ": " + arg + " (an Eigen object) has " +
                      (Rank == 2 ? std::string("rows that are not contiguous: its elements along a row are ")
                                 : std::string("elements that are not contiguous: they are ")) +
                      std::to_string(v.stride(Rank - 1)) +
                      " apart (an inner stride, or a row of a column-major matrix); ao needs stride 1: copy it into "
                      "a " + (Rank == 2 ? "RowMajor matrix" : "vector") + " first");
    }
    return v;
  }
}

}  // namespace detail

// ---- ao -> Eigen maps ----

template <class T>
using row_major_matrix = Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using matrix_map = Eigen::Map<std::conditional_t<std::is_const_v<T>, const row_major_matrix<T>, row_major_matrix<T>>,
                              Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using vector_map = Eigen::Map<std::conditional_t<std::is_const_v<T>, const Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, 1>,
                                                 Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, 1>>,
                              Eigen::Unaligned, Eigen::InnerStride<>>;

// A rank 2 view with contiguous rows as a row-major Eigen::Map (mutable unless T is const).
template <class T>
matrix_map<T> map(strided_view<T, 2> v) {
  if (v.stride(0) < 0 || (v.cols() > 1 && v.stride(1) != 1)) {
    throw ao::error("ao::eigen::map: the view's rows must be contiguous (strides {row >= 0, 1}), its strides are {" +
                    std::to_string(v.stride(0)) + ", " + std::to_string(v.stride(1)) + "}");
  }
  const auto outer = static_cast<Eigen::Index>(v.rows() > 1 ? v.stride(0) : static_cast<std::ptrdiff_t>(v.cols()));
  return matrix_map<T>(v.data(), static_cast<Eigen::Index>(v.extent(0)), static_cast<Eigen::Index>(v.extent(1)),
                       Eigen::OuterStride<>(outer));
}
// A rank 1 view as an Eigen column vector (any stride >= 0).
template <class T>
vector_map<T> map(strided_view<T, 1> v) {
  if (v.stride(0) < 0) throw ao::error("ao::eigen::map: the view has a negative stride " + std::to_string(v.stride(0)));
  return vector_map<T>(v.data(), static_cast<Eigen::Index>(v.extent(0)), Eigen::InnerStride<>(v.extent(0) > 1 ? v.stride(0) : 1));
}

namespace detail {

template <class T, class P>
auto storage_map(P* p, std::size_t rows, std::size_t cols, std::ptrdiff_t stride) {
  using M = std::conditional_t<std::is_const_v<P>, const row_major_matrix<T>, row_major_matrix<T>>;
  return Eigen::Map<M, Eigen::Unaligned, Eigen::OuterStride<>>(
      p, static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols),
      Eigen::OuterStride<>(rows > 1 ? static_cast<Eigen::Index>(stride) : static_cast<Eigen::Index>(cols)));
}
template <class F, bool Const>
quantized_view<F, Const> storage_view(const quantized_view<F, Const>& q) {
  return q;
}
template <class F>
quantized_view<F> storage_view(quantized_tensor<F>& q) {
  return q.view();
}
template <class F>
const_quantized_view<F> storage_view(const quantized_tensor<F>& q) {
  return q.cview();
}

}  // namespace detail

// A quantized view's (or tensor's) storage as Eigen maps: the element bytes (rows x data_row_bytes), the scale codes
// and the zero points (scale_rows x scale_cols, in the format's storage types). Read-only for a const view or tensor.
template <class Q>
auto map_data(Q&& q) {
  const auto v = detail::storage_view(q);
  return detail::storage_map<std::uint8_t>(v.data, v.rows, v.data_row_bytes(), v.data_stride);
}
template <class Q>
auto map_scales(Q&& q) {
  const auto v = detail::storage_view(q);
  using F = typename decltype(v)::format;
  return detail::storage_map<scale_storage_t<F>>(v.scales, v.scale_rows(), v.scale_cols(), v.scales_stride);
}
template <class Q>
auto map_zero_points(Q&& q) {
  const auto v = detail::storage_view(q);
  using F = typename decltype(v)::format;
  static_assert(has_zero_points_v<F>, "ao::eigen::map_zero_points: this format has no zero points");
  return detail::storage_map<zero_point_storage_t<F>>(v.zero_points, v.scale_rows(), v.scale_cols(),
                                                      v.zero_points_stride);
}

// Bit copies between Eigen's 16-bit floats and ao's (same encodings): an Eigen matrix of Eigen::bfloat16 /
// Eigen::half into a new row-major matrix of ao::bfloat16 / ao::float16, and back.
template <class E>
auto from_eigen_bits(const Eigen::DenseBase<E>& m) {
  using S = typename E::Scalar;
  static_assert(is_eigen_half_v<S>, "ao::eigen::from_eigen_bits: the matrix holds Eigen::bfloat16 or Eigen::half");
  using T = std::conditional_t<std::is_same_v<S, Eigen::bfloat16>, ao::bfloat16, ao::float16>;
  row_major_matrix<T> out(m.rows(), m.cols());
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      out(i, j) = T::from_bits(Eigen::numext::bit_cast<std::uint16_t>(S(m(i, j))));
    }
  }
  return out;
}
template <class E>
auto to_eigen_bits(const Eigen::DenseBase<E>& m) {
  using T = typename E::Scalar;
  static_assert(std::is_same_v<T, ao::bfloat16> || std::is_same_v<T, ao::float16>,
                "ao::eigen::to_eigen_bits: the matrix holds ao::bfloat16 or ao::float16");
  using S = std::conditional_t<std::is_same_v<T, ao::bfloat16>, Eigen::bfloat16, Eigen::half>;
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(m.rows(), m.cols());
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      out(i, j) = Eigen::numext::bit_cast<S>(static_cast<std::uint16_t>(T(m(i, j)).bits()));
    }
  }
  return out;
}

// ---- The lazily dequantized expression ----

namespace detail {

// The read-only view of a quantized view, or of a 2-D unpadded quantized tensor.
template <class F, bool Const>
const_quantized_view<F> matrix_of(const char*, const quantized_view<F, Const>& q) {
  return q;
}
template <class F>
const_quantized_view<F> matrix_of(const char* op, const quantized_tensor<F>& q) {
  const std::string where = std::string(op) + "<" + ao::detail::format_name<F>() + ">: ";
  if (q.shape().size() != 2) {
    throw ao::error(where + "the tensor must be 2-D, its shape is " + ao::detail::shape_string(q.shape()));
  }
  if (q.logical_cols() != q.stored_cols()) {
    throw ao::error(where + "the tensor is padded (" + std::to_string(q.logical_cols()) + " columns stored as " +
                    std::to_string(q.stored_cols()) + "); dequantize it with ao::dequantize and ao::pad_last_dim");
  }
  return q.cview();
}

}  // namespace detail

// Coefficient (i, j) of a quantized matrix: the block (or group, or tile row) holding it is decoded by the scalar
// oracle, whose fp32 values ao::dequantize reproduces bit for bit; the last block decoded is cached. Eigen copies the
// functor into each evaluator, so two evaluations never share a cache.
template <class F>
class dequantize_functor {
 public:
  static constexpr std::size_t block = format_traits<F>::col_multiple;

  explicit dequantize_functor(const const_quantized_view<F>& q)
      : q_(q), tensor_(q.rows > 0 && q.cols > 0 ? ao::detail::stored_tensor_params(q) : tensor_params_t<F>{}) {}

  float operator()(Eigen::Index i, Eigen::Index j) const {
    const auto row = static_cast<std::size_t>(i), col = static_cast<std::size_t>(j);
    const std::size_t col0 = col / block * block;
    if (row != cached_row_ || col0 != cached_col_) {
      if (values_.size() != block) values_.resize(block);
      scalar::dequantize(ao::detail::weight_tile<F>(q_, tensor_, row, 1, col0, block, values_.data(),
                                                    static_cast<std::ptrdiff_t>(block)));
      cached_row_ = row;
      cached_col_ = col0;
    }
    return values_[col - col0];
  }

 private:
  const_quantized_view<F> q_;
  tensor_params_t<F> tensor_;
  mutable std::vector<float> values_;
  mutable std::size_t cached_row_ = static_cast<std::size_t>(-1), cached_col_ = 0;
};

template <class F>
using dequantized_expression =
    Eigen::CwiseNullaryOp<dequantize_functor<F>, Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// The lazily dequantized rows x cols fp32 matrix of q (a quantized view, or a 2-D unpadded quantized tensor, which
// must outlive the expression): `Eigen::MatrixXf d = ao::eigen::dequantized(q);`, `ao::eigen::dequantized(q) * v`.
template <class Q>
auto dequantized(const Q& q) {
  const auto v = detail::matrix_of("ao::eigen::dequantized", q);
  using F = typename decltype(v)::format;
  ao::detail::check_quantized_view("ao::eigen::dequantized", v);
  return dequantized_expression<F>(static_cast<Eigen::Index>(v.rows), static_cast<Eigen::Index>(v.cols),
                                   dequantize_functor<F>(v));
}

// NF4 (ao::nf4<B, S>) has no quantized_view: its storage is torchao's NF4Tensor, as ao/backends/scalar/nf4.hpp
// writes it, over the rows x cols tensor flattened row-major (rows * cols a multiple of B * S).
template <class F, class Input = float>
struct nf4_storage {
  const std::uint8_t* qdata = nullptr;             // rows * cols / 2 bytes, two codes a byte
  const std::int8_t* quantized_scalers = nullptr;  // rows * cols / B
  const Input* quantization_factor = nullptr;      // rows * cols / (B * S)
  Input scaler_mean{};
  std::size_t rows = 0, cols = 0;
};

// Coefficient (i, j) of an NF4 tensor: the value ao::scalar::dequantize<F> gives it (torchao's get_original_weight,
// computed in Input, held in a float), from its code and its block's scaler alone.
template <class F, class Input>
class nf4_dequantize_functor {
 public:
  explicit nf4_dequantize_functor(const nf4_storage<F, Input>& s) : s_(s) {}
  float operator()(Eigen::Index i, Eigen::Index j) const {
    const std::size_t e = static_cast<std::size_t>(i) * s_.cols + static_cast<std::size_t>(j);
    const float scaler = ao::detail::nf4_scaler<F, Input>(s_.quantized_scalers, s_.quantization_factor,
                                                          s_.scaler_mean, e / static_cast<std::size_t>(F::block_size));
    std::uint8_t codes[2];
    layout::unpack_nibbles<typename F::nibble_order>(s_.qdata + e / 2, 2, codes);
    return ao::detail::round_to_dtype<Input>(scalar::nf4_lut_value<F, Input>(codes[e % 2]) * scaler);
  }

 private:
  nf4_storage<F, Input> s_;
};

template <class F, class Input>
using nf4_dequantized_expression = Eigen::CwiseNullaryOp<nf4_dequantize_functor<F, Input>,
                                                         Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

// The lazily dequantized NF4 tensor (its buffers must outlive the expression): equal, bit for bit, to
// ao::scalar::dequantize<F>(..., float*) of the flattened tensor, reshaped to rows x cols.
template <class F, class Input>
nf4_dequantized_expression<F, Input> dequantized(const nf4_storage<F, Input>& s) {
  static_assert(is_nf4_v<F>, "ao::eigen::dequantized: nf4_storage<F, Input> holds an ao::nf4 format");
  ao::detail::nf4_check_size<F>("ao::eigen::dequantized", ao::detail::checked_mul(s.rows, s.cols, "ao::eigen::dequantized"));
  if (s.rows * s.cols != 0 && (s.qdata == nullptr || s.quantized_scalers == nullptr || s.quantization_factor == nullptr)) {
    throw ao::error("ao::eigen::dequantized<nf4>: qdata, quantized_scalers and quantization_factor must not be null");
  }
  return nf4_dequantized_expression<F, Input>(static_cast<Eigen::Index>(s.rows), static_cast<Eigen::Index>(s.cols),
                                              nf4_dequantize_functor<F, Input>(s));
}

// q dequantized to a new row-major fp32 Eigen matrix by ao::dequantize (options: a backend, an executor).
template <class Q, class... Options>
row_major_matrix<float> dequantize(const Q& q, Options&&... options) {
  const auto v = detail::matrix_of("ao::eigen::dequantize", q);
  row_major_matrix<float> out(static_cast<Eigen::Index>(v.rows), static_cast<Eigen::Index>(v.cols));
  ao::dequantize(v, view_of(out), std::forward<Options>(options)...);
  return out;
}

}  // namespace eigen
}  // namespace ao

// A coefficient costs a block decode (once per block when traversed row by row): expensive enough that Eigen's
// products and nested expressions evaluate the expression into a temporary instead of reading it repeatedly.
template <class F>
struct Eigen::internal::functor_traits<ao::eigen::dequantize_functor<F>> {
  enum { Cost = 100, PacketAccess = false, IsRepeatable = true };
};
template <class F, class Input>
struct Eigen::internal::functor_traits<ao::eigen::nf4_dequantize_functor<F, Input>> {
  enum { Cost = 50, PacketAccess = false, IsRepeatable = true };
};

namespace ao {

// ---- The ops with Eigen arguments ----
// Each converts its Eigen arguments with eigen::detail::op_view and calls the op on views: the checks, options and
// results are the op's own.

// ao::quantize<F>(m, options...) -> a new quantized_tensor<F>; ao::quantize<F>(m, dst_view, options...).
template <class F, class E, class... Options, class = std::enable_if_t<eigen::is_dense_v<E>>>
decltype(auto) quantize(E&& src, Options&&... options) {
  return ao::quantize<F>(eigen::detail::op_view<2>("ao::quantize", "src", std::forward<E>(src)),
                         std::forward<Options>(options)...);
}

// ao::dequantize(q, m, options...): q a quantized view or tensor, m an Eigen matrix of float, ao::bfloat16 or
// ao::float16 (q.rows x q.cols, or fewer columns with ao::pad_last_dim).
template <class Q, class E, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<Q> && eigen::is_dense_v<E>>>
void dequantize(const Q& q, E&& dst, Options&&... options) {
  const auto dv = eigen::detail::op_view<2>("ao::dequantize", "dst", std::forward<E>(dst));
  if constexpr (detail::is_quantized_view_v<Q>) {
    ao::dequantize(q, dv, std::forward<Options>(options)...);
  } else {
    ao::dequantize(q.cview(), dv, std::forward<Options>(options)...);
  }
}

// ao::matmul(x, w, y, options...) and ao::matmul(x, w, bias, y, options...) with x, bias or y Eigen objects.
template <class X, class W, class Y, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && eigen::is_arg_v<X, 2> && eigen::is_arg_v<Y, 2> &&
                                   (eigen::is_dense_v<X> || eigen::is_dense_v<Y>) &&
                                   !(eigen::is_tensor_arg_v<Options> || ...)>>
void matmul(X&& x, const W& w, Y&& y, Options&&... options) {
  ao::matmul(eigen::detail::op_view<2>("ao::matmul", "x", std::forward<X>(x)), w,
             eigen::detail::op_view<2>("ao::matmul", "y", std::forward<Y>(y)), std::forward<Options>(options)...);
}
template <class X, class W, class B, class Y, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && eigen::is_arg_v<X, 2> && eigen::is_arg_v<B, 1> &&
                                   eigen::is_arg_v<Y, 2> &&
                                   (eigen::is_dense_v<X> || eigen::is_dense_v<B> || eigen::is_dense_v<Y>)>>
void matmul(X&& x, const W& w, B&& bias, Y&& y, Options&&... options) {
  ao::matmul(eigen::detail::op_view<2>("ao::matmul", "x", std::forward<X>(x)), w,
             eigen::detail::op_view<1>("ao::matmul", "bias", std::forward<B>(bias)),
             eigen::detail::op_view<2>("ao::matmul", "y", std::forward<Y>(y)), std::forward<Options>(options)...);
}

// ao::embedding(indices, table, out, options...) with indices or out Eigen objects.
template <class I, class W, class Out, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W> && eigen::is_arg_v<I, 1> && eigen::is_arg_v<Out, 2> &&
                                   (eigen::is_dense_v<I> || eigen::is_dense_v<Out>)>>
void embedding(I&& indices, const W& table, Out&& out, Options&&... options) {
  ao::embedding(eigen::detail::op_view<1>("ao::embedding", "indices", std::forward<I>(indices)), table,
                eigen::detail::op_view<2>("ao::embedding", "out", std::forward<Out>(out)),
                std::forward<Options>(options)...);
}

namespace eigen::detail {

// The bag ops' arguments: indices and offsets (rank 1), a table, out (rank 2), at least one of them Eigen.
template <class I, class O, class W, class Out>
inline constexpr bool bag_args_v = ao::detail::is_matmul_weights_v<W> && is_arg_v<I, 1> && is_arg_v<O, 1> &&
                                   is_arg_v<Out, 2> && (is_dense_v<I> || is_dense_v<O> || is_dense_v<Out>);

// op(indices, offsets, table, out, rest...) with the Eigen arguments as views.
template <class Op, class I, class O, class W, class Out, class... Rest>
void call_bag(const char* name, Op&& op, I&& indices, O&& offsets, const W& table, Out&& out, Rest&&... rest) {
  op(op_view<1>(name, "indices", std::forward<I>(indices)), op_view<1>(name, "offsets", std::forward<O>(offsets)),
     table, op_view<2>(name, "out", std::forward<Out>(out)), std::forward<Rest>(rest)...);
}

}  // namespace eigen::detail

// ao::embedding_bag(indices, offsets, table, out, mode, options...) with indices, offsets or out Eigen objects.
template <class I, class O, class W, class Out, class... Options,
          class = std::enable_if_t<eigen::detail::bag_args_v<I, O, W, Out>>>
void embedding_bag(I&& indices, O&& offsets, const W& table, Out&& out, embedding_bag_mode mode,
                   Options&&... options) {
  eigen::detail::call_bag(
      "ao::embedding_bag", [](auto&&... a) { ao::embedding_bag(std::forward<decltype(a)>(a)...); },
      std::forward<I>(indices), std::forward<O>(offsets), table, std::forward<Out>(out), mode,
      std::forward<Options>(options)...);
}

// ao::scaled_embedding_bag(indices, offsets, table, out, output_scale, options...) with Eigen arguments.
template <class I, class O, class W, class Out, class... Options,
          class = std::enable_if_t<eigen::detail::bag_args_v<I, O, W, Out>>>
void scaled_embedding_bag(I&& indices, O&& offsets, const W& table, Out&& out, float output_scale,
                          Options&&... options) {
  eigen::detail::call_bag(
      "ao::scaled_embedding_bag", [](auto&&... a) { ao::scaled_embedding_bag(std::forward<decltype(a)>(a)...); },
      std::forward<I>(indices), std::forward<O>(offsets), table, std::forward<Out>(out), output_scale,
      std::forward<Options>(options)...);
}

}  // namespace ao

#endif  // AO_INTEROP_EIGEN_AVAILABLE
