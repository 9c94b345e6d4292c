// tests/ops/panel_fma_probe.hpp: whether the GEMM kernel that ao::matmul runs now (ao::highway::matmul_panel, through
// the current dispatch: the CPU's best target, the one a test forced with hwy::SetSupportedTargetsForTest, or what
// the dispatch library was compiled with) fuses its multiply-adds. Only then is the GEMM path bit-identical to the
// scalar backend's std::fma chain. The probe: 6 x 64 outputs of (1 + 2^-12)^2 - 1, which is 2^-11 + 2^-24 with one
// rounding and 2^-11 with two.
#pragma once

#include <cstddef>
#include <vector>

#include "ao/backends/hwy/matmul.hpp"

namespace ao_test {

inline bool matmul_panel_fuses() {
  using task = ao::highway::matmul_panel_task;
  const float v = 1.0f + 0x1p-12f;
  std::vector<float> w(task::kWRows, v), x(task::kColumns, v), acc(task::kWRows * task::kColumns, -1.0f);
  task t{};
  t.w = w.data();
  t.w_stride = 1;
  t.x = x.data();
  t.k = 1;
  t.acc = acc.data();
  t.acc_stride = static_cast<std::ptrdiff_t>(task::kColumns);
  ao::highway::matmul_panel(t);
  for (float a : acc) {
    if (a != 0x1p-11f + 0x1p-24f) return false;
  }
  return true;
}

}  // namespace ao_test
