// ao/ops/matmul_checks.hpp: the argument checks that every matmul entry point shares (ao::matmul on the CPU,
// ao::cuda::matmul on the GPU), after each has checked its weight view:
//
//   check_matmul_arguments(op, where, x, n, k, w_buffers, bias, y)
//       x is M x K (K = W's columns), y is M x N with rows that do not overlap, bias (when given) has N values;
//       x, y and bias have no negative stride and a contiguous last dim; y overlaps neither x, bias nor any of W's
//       buffers (w_buffers: their names and byte ranges). Returns bias's data (nullptr without one).
//   check_matmul_operands(op, where, m, x_cols, x_buffers, n, k, w_buffers, bias, y)
//       the same past x's strides, for an x given by its shape and buffers (a quantized x).
// Each failure is an ao::error that starts with `where` (the op and format) and names the argument and the rule.
// Host code only, and free of any backend (the CUDA headers include it without Highway).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "ao/error.hpp"
#include "ao/ops/view_checks.hpp"
#include "ao/view.hpp"

namespace ao::detail {

// The checks of check_matmul_arguments past x's own strides: x is m x x_cols and occupies x_buffers (a float x:
// its one range; a quantized x: its data, scales and zero points).
template <class Dst>
const float* check_matmul_operands(const char* op, const std::string& where, std::size_t m, std::size_t x_cols,
                                   std::vector<std::pair<std::string, byte_range>> x_buffers, std::size_t n,
                                   std::size_t k, std::vector<std::pair<std::string, byte_range>> w_buffers,
                                   const strided_view<const float, 1>* bias, const strided_view<Dst, 2>& y) {
  check_strides(op, "y", y);
  if (x_cols != k) {
    throw ao::error(where + "x is " + std::to_string(m) + " x " + std::to_string(x_cols) + " but W (N x K) is " +
                    std::to_string(n) + " x " + std::to_string(k) + ": x's columns must equal W's K");
  }
  if (y.extent(0) != m || y.extent(1) != n) {
    throw ao::error(where + "y is " + std::to_string(y.extent(0)) + " x " + std::to_string(y.extent(1)) +
                    " but x @ W^T is " + std::to_string(m) + " x " + std::to_string(n) + " (M x N)");
  }
  if (m > 1 && n > 0 && y.stride(0) < static_cast<std::ptrdiff_t>(n)) {
    throw ao::error(where + "y's rows overlap: its row stride " + std::to_string(y.stride(0)) +
                    " is below N = " + std::to_string(n));
  }
  std::vector<std::pair<std::string, byte_range>> inputs = std::move(w_buffers);
  for (auto& b : x_buffers) inputs.push_back(std::move(b));
  if (bias != nullptr) {
    check_strides(op, "bias", *bias);
    if (bias->extent(0) != n) {
      throw ao::error(where + "bias has " + std::to_string(bias->extent(0)) +
                      " values but W has N = " + std::to_string(n) + " rows");
    }
    inputs.push_back({"bias", range_of_view(*bias)});
  }
  if (m > 0 && n > 0) {
    const byte_range out = range_of_view(y);
    for (const auto& in : inputs) {
      if (in.second.overlaps(out)) {
        throw ao::error(where + "y and " + in.first + " overlap in memory (the output may not alias an input)");
      }
    }
  }
  return bias != nullptr ? bias->data() : nullptr;
}

template <class Src, class Dst>
const float* check_matmul_arguments(const char* op, const std::string& where, const strided_view<const Src, 2>& x,
                                    std::size_t n, std::size_t k,
                                    std::vector<std::pair<std::string, byte_range>> w_buffers,
                                    const strided_view<const float, 1>* bias, const strided_view<Dst, 2>& y) {
  check_strides(op, "x", x);
  return check_matmul_operands(op, where, x.extent(0), x.extent(1), {{"x", range_of_view(x)}}, n, k,
                               std::move(w_buffers), bias, y);
}

// A quantized operand's buffers for check_matmul_arguments, named "<who>'s data", "<who>'s scales", ...
template <class F, bool Const>
std::vector<std::pair<std::string, byte_range>> operand_buffers(const char* who, const quantized_view<F, Const>& q,
                                                                std::size_t row_bytes) {
  std::vector<std::pair<std::string, byte_range>> r;
  for (const auto& buffer : ranges_of(q, row_bytes))
    r.push_back({std::string(who) + "'s " + buffer.first, buffer.second});
  return r;
}

// W's buffers for check_matmul_arguments, named "W's data", "W's scales", ...
template <class F, bool Const>
std::vector<std::pair<std::string, byte_range>> weight_buffers(const quantized_view<F, Const>& w,
                                                               std::size_t row_bytes) {
  return operand_buffers("W", w, row_bytes);
}

}  // namespace ao::detail
