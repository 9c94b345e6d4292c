// ao/backends/hwy/matmul.hpp: the Highway backend's matmul entry point, what ao::matmul (ao/ops/matmul.hpp) calls
// for ao::backend::highway:
//   ao::highway::matmul_dot(const ao::highway::matmul_dot_task&)    (the task and its contract: matmul-inl.h)
// With ao::cpu_dispatch linked (AO_CPU_DISPATCH), the call goes through Highway's dispatch table to the best
// target of this CPU (src/cpu_dispatch_matmul.cc); otherwise to the kernel compiled for the including translation
// unit's target (static dispatch, header-only). With AO_DISABLE_HIGHWAY, a plain scalar loop (one sum per dot
// product, k ascending).
#pragma once

#include <cstddef>

#if defined(AO_DISABLE_HIGHWAY)

#include "ao/backends/hwy/matmul-inl.h"

namespace ao::highway {
inline void matmul_dot(const matmul_dot_task& t) {
  for (std::size_t m = 0; m < t.rows; ++m) {
    for (std::size_t j = 0; j < matmul_dot_task::kWRows; ++j) {
      float s = 0.0f;
      for (std::size_t k = 0; k < t.k; ++k) s += t.x[static_cast<std::ptrdiff_t>(m) * t.x_stride + static_cast<std::ptrdiff_t>(k)] *
                                                 t.w[static_cast<std::ptrdiff_t>(j) * t.w_stride + static_cast<std::ptrdiff_t>(k)];
      t.acc[static_cast<std::ptrdiff_t>(m) * t.acc_stride + static_cast<std::ptrdiff_t>(j)] += s;
    }
  }
}
}  // namespace ao::highway

#else

#include <hwy/highway.h>

#include "ao/backends/hwy/matmul-inl.h"

namespace ao::highway {

// available = true (and run defined in src/cpu_dispatch_matmul.cc) when ao::cpu_dispatch is linked.
struct dynamic_matmul {
#if defined(AO_CPU_DISPATCH)
  static constexpr bool available = true;
  static void dot(const matmul_dot_task& t);
#else
  static constexpr bool available = false;
  static void dot(const matmul_dot_task&) {}
#endif
};

inline void matmul_dot(const matmul_dot_task& t) {
  if constexpr (dynamic_matmul::available) {
    dynamic_matmul::dot(t);
  } else {
    HWY_STATIC_DISPATCH(MatmulDot)(t);
  }
}

}  // namespace ao::highway

#endif
