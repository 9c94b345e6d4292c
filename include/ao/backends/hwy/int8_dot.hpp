// ao/backends/hwy/int8_dot.hpp: the Highway backend's integer dot-product entry points, what ao::matmul over
// quantized activations (ao/ops/integer_matmul.hpp) calls:
//   ao::highway::int8_dot(const ao::highway::int8_dot_task&)     (per-row W; the task and its contract: int8_dot-inl.h)
//   ao::highway::group_int8_dot(const ao::highway::group_int8_dot_task&)    (group-wise W: group_int8_dot-inl.h)
//   ao::highway::int8_panel(const ao::highway::int8_panel_task&)   the GEMM kernel (int8_panel-inl.h), and
//   ao::highway::int8_panel_fast()   whether it runs vpdpbusd on this CPU (ao::matmul uses it only then)
//   ao::highway::int8_epilogue(const ao::highway::int8_epilogue_task&)   the GEMM path's epilogue
//                                    (int8_epilogue-inl.h)
// With ao::cpu_dispatch linked (AO_CPU_DISPATCH), the call goes through Highway's dispatch table to the best target
// of this CPU (src/cpu_dispatch_matmul.cc); otherwise to the kernel compiled for the including translation unit's
// target (static dispatch). With AO_DISABLE_HIGHWAY, a plain scalar loop.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ao/backends/hwy/group_int8_dot-inl.h"
#include "ao/backends/hwy/int8_dot-inl.h"
#include "ao/backends/hwy/int8_epilogue-inl.h"
#include "ao/backends/hwy/int8_panel-inl.h"

#if !defined(AO_DISABLE_HIGHWAY)
#include <hwy/highway.h>
#endif

namespace ao::highway {

#if defined(AO_DISABLE_HIGHWAY)
inline void int8_dot(const int8_dot_task& t) {
  auto code = [](const std::uint8_t* p, std::size_t k, bool s) {
    return s ? std::int32_t{static_cast<std::int8_t>(p[k])} : std::int32_t{p[k]};
  };
  for (std::size_t j = 0; j < t.w_rows; ++j) {
    const std::uint8_t* w = t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride;
    for (std::size_t m = 0; m < t.x_rows; ++m) {
      const std::uint8_t* x = t.x + static_cast<std::ptrdiff_t>(m) * t.x_stride;
      std::int32_t s = 0;
      for (std::size_t k = 0; k < t.k; ++k) s += code(x, k, t.x_signed) * code(w, k, t.w_signed);
      t.dots[static_cast<std::ptrdiff_t>(m) * t.dots_stride + static_cast<std::ptrdiff_t>(j)] = s;
    }
    if (t.w_sums != nullptr) {
      std::int32_t s = 0;
      for (std::size_t k = 0; k < t.k; ++k) s += code(w, k, t.w_signed);
      t.w_sums[j] = s;
    }
  }
}
inline void group_int8_dot(const group_int8_dot_task& t) { group_int8_dot_loops(t); }
inline void int8_panel(const int8_panel_task&) {}  // never called: int8_panel_fast() is false
inline bool int8_panel_fast() { return false; }
inline void int8_epilogue(const int8_epilogue_task&) {}  // never called (the GEMM path's)
#else
// available = true (and run defined in src/cpu_dispatch_matmul.cc) when ao::cpu_dispatch is linked.
struct dynamic_int8_dot {
#if defined(AO_CPU_DISPATCH)
  static constexpr bool available = true;
  static void run(const int8_dot_task& t);
  static void run_group(const group_int8_dot_task& t);
  static void panel(const int8_panel_task& t);
  static bool panel_fast();
  static void epilogue(const int8_epilogue_task& t);
#else
  static constexpr bool available = false;
  static void run(const int8_dot_task&) {}
  static void run_group(const group_int8_dot_task&) {}
  static void panel(const int8_panel_task&) {}
  static bool panel_fast() { return false; }
  static void epilogue(const int8_epilogue_task&) {}
#endif
};

inline void int8_dot(const int8_dot_task& t) {
  if constexpr (dynamic_int8_dot::available) {
    dynamic_int8_dot::run(t);
  } else {
    HWY_STATIC_DISPATCH(Int8Dot)(t);
  }
}

inline void group_int8_dot(const group_int8_dot_task& t) {
  if constexpr (dynamic_int8_dot::available) {
    dynamic_int8_dot::run_group(t);
  } else {
    HWY_STATIC_DISPATCH(GroupInt8Dot)(t);
  }
}

inline void int8_panel(const int8_panel_task& t) {
  if constexpr (dynamic_int8_dot::available) {
    dynamic_int8_dot::panel(t);
  } else {
    HWY_STATIC_DISPATCH(Int8Panel)(t);
  }
}

inline bool int8_panel_fast() {
  if constexpr (dynamic_int8_dot::available) {
    return dynamic_int8_dot::panel_fast();
  } else {
    return HWY_STATIC_DISPATCH(Int8PanelFast)();
  }
}

inline void int8_epilogue(const int8_epilogue_task& t) {
  if constexpr (dynamic_int8_dot::available) {
    dynamic_int8_dot::epilogue(t);
  } else {
    HWY_STATIC_DISPATCH(Int8Epilogue)(t);
  }
}
#endif

}  // namespace ao::highway
