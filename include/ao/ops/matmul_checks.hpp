// ao/ops/matmul_checks.hpp: the argument checks that every matmul entry point shares (ao::matmul on the CPU,
// ao::cuda::matmul on the GPU), after each has checked its weight view:
//
//   check_matmul_arguments(op, where, x, n, k, w_buffers, bias, y)
//       x is M x K (K = W's columns), y is M x N with rows that do not overlap, bias (when given) has N values;
//       x, y and bias have no negative stride and a contiguous last dim; y overlaps neither x, bias nor any of W's
//       buffers (w_buffers: their names and byte ranges). Returns bias's data (nullptr without one).
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

template <class Src, class Dst>
const float* check_matmul_arguments(const char* op, const std::string& where, const strided_view<const Src, 2>& x,
                                    std::size_t n, std::size_t k,
                                    std::vector<std::pair<std::string, byte_range>> w_buffers,
                                    const strided_view<const float, 1>* bias, const strided_view<Dst, 2>& y) {
  check_strides(op, "x", x);
  check_strides(op, "y", y);
  const std::size_t m = x.extent(0);
  if (x.extent(1) != k) {
    throw ao::error(where + "x is " + std::to_string(m) + " x " + std::to_string(x.extent(1)) + " but W (N x K) is " +
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
  inputs.push_back({"x", range_of_view(x)});
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

// W's buffers for check_matmul_arguments, named "W's data", "W's scales", ...
template <class F, bool Const>
std::vector<std::pair<std::string, byte_range>> weight_buffers(const quantized_view<F, Const>& w,
                                                               std::size_t row_bytes) {
  std::vector<std::pair<std::string, byte_range>> r;
  for (const auto& buffer : ranges_of(w, row_bytes)) r.push_back({std::string("W's ") + buffer.first, buffer.second});
  return r;
}

}  // namespace ao::detail
