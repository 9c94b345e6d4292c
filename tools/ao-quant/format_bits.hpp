// tools/ao-quant/format_bits.hpp: what a format costs in storage, per weight of a rows x cols matrix.
//   element  the bits of one element code (intN: N; fp4: 4; ...)
//   packed   element bits plus scale, zero-point and global-scale bits spread over the values: what the format
//            costs once codes are packed tightly (the x axis of `ao-quant explore`'s frontier)
//   stored   bits in torchao's checkpoint layout: affine codes one a byte, fp6 one a byte, fp4 two a byte,
//            integer zero points one a byte
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "ao/formats/format_traits.hpp"
#include "ao/tensor.hpp"

namespace ao_quant {

struct format_bits {
  double element = 0, packed = 0, stored = 0;
};

// The bits a code of [qmin, qmax] needs (int3 for [-4, 3], uint4 for [0, 15]).
constexpr int bits_for_range(int qmin, int qmax) {
  int bits = 0;
  while ((1 << bits) < qmax - qmin + 1) ++bits;
  return bits;
}

template <class F>
constexpr int element_bits() {
  using family = typename ao::format_traits<F>::family;
  if constexpr (std::is_same_v<family, ao::format_family::affine>) {
    return bits_for_range(F::quant_min, F::quant_max);
  } else if constexpr (std::is_same_v<family, ao::format_family::nvfp4>) {
    return 4;
  } else {
    return F::element_type::bits_per_value;
  }
}

template <class F>
format_bits bits_of(std::size_t rows, std::size_t cols) {
  using T = ao::format_traits<F>;
  using scale_t = ao::scale_storage_t<F>;
  using zero_t = ao::zero_point_storage_t<F>;
  const double n = double(rows) * double(cols);
  const double scales = double(T::scale_rows(rows, cols)) * double(T::scale_cols(rows, cols));
  double side = scales * 8.0 * double(sizeof(scale_t));
  // Integer zero points count as torchao stores them (I8); floating ones (tinygemm) at their own size.
  if constexpr (ao::has_zero_points_v<F>) side += scales * (std::is_integral_v<zero_t> ? 8.0 : 8.0 * double(sizeof(zero_t)));
  if constexpr (std::is_same_v<typename T::family, ao::format_family::nvfp4>) {
    if constexpr (F::global_scale) side += 32.0;
  }
  format_bits b;
  b.element = element_bits<F>();
  b.packed = b.element + side / n;
  b.stored = (double(rows) * double(T::data_row_bytes(cols)) * 8.0 + side) / n;
  return b;
}

// The bytes of q in torchao's checkpoint layout: ao holds integer zero points as int32, torchao stores them as I8.
template <class F>
std::size_t stored_bytes(const ao::quantized_tensor<F>& q) {
  std::size_t b = q.bytes();
  if constexpr (ao::has_zero_points_v<F>) {
    using zero_t = ao::zero_point_storage_t<F>;
    if constexpr (std::is_integral_v<zero_t>) b -= q.zero_points().size() * (sizeof(zero_t) - 1);
  }
  return b;
}

}  // namespace ao_quant
