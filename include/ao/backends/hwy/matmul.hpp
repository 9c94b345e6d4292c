// ao/backends/hwy/matmul.hpp: the Highway backend's matmul entry point, what ao::matmul (ao/ops/matmul.hpp) calls
// for ao::backend::highway:
//   ao::highway::matmul_dot(const ao::highway::matmul_dot_task&)    (the tasks and their contracts: matmul-inl.h)
//   ao::highway::matmul_panel(const ao::highway::matmul_panel_task&)  the GEMM kernel (matmul_panel-inl.h)
//   ao::highway::matmul_dot_fused(const ao::highway::matmul_fused_task<F>&)   affine, FP8, MX and NVFP4 F, decoded in
//                                        registers; kMatmulFused<F> says whether ao::matmul uses it for F
// With ao::cpu_dispatch linked (AO_CPU_DISPATCH), the call goes through Highway's dispatch table to the best
// target of this CPU (src/cpu_dispatch_matmul.cc); otherwise to the kernel compiled for the including translation
// unit's target (static dispatch, header-only). With AO_DISABLE_HIGHWAY, a plain scalar loop (one sum per dot
// product, k ascending).
#pragma once

#include <cstddef>

#if defined(AO_DISABLE_HIGHWAY)

#include <cmath>

#include "ao/backends/hwy/matmul-inl.h"
#include "ao/backends/hwy/matmul_panel-inl.h"

namespace ao::highway {
template <class F>
inline constexpr bool kMatmulFused = false;
template <class F>
void matmul_dot_fused(const matmul_fused_task<F>&) {}
inline void matmul_dot(const matmul_dot_task& t) {
  for (std::size_t m = 0; m < t.rows; ++m) {
    for (std::size_t j = 0; j < matmul_dot_task::kWRows; ++j) {
      float s = 0.0f;
      for (std::size_t k = 0; k < t.k; ++k)
        s += t.x[static_cast<std::ptrdiff_t>(m) * t.x_stride + static_cast<std::ptrdiff_t>(k)] *
             t.w[static_cast<std::ptrdiff_t>(j) * t.w_stride + static_cast<std::ptrdiff_t>(k)];
      t.acc[static_cast<std::ptrdiff_t>(m) * t.acc_stride + static_cast<std::ptrdiff_t>(j)] += s;
    }
  }
}
inline void matmul_panel(const matmul_panel_task& t) {
  for (std::size_t j = 0; j < matmul_panel_task::kWRows; ++j) {
    float* acc = t.acc + static_cast<std::ptrdiff_t>(j) * t.acc_stride;
    const float* w = t.w + static_cast<std::ptrdiff_t>(j) * t.w_stride;
    for (std::size_t i = 0; i < matmul_panel_task::kColumns; ++i) {
      for (std::size_t k = 0; k < t.k; ++k) acc[i] = std::fma(w[k], t.x[k * matmul_panel_task::kColumns + i], acc[i]);
    }
  }
}
}  // namespace ao::highway

#else

#include <hwy/highway.h>

#include <type_traits>

#include "ao/backends/hwy/matmul-inl.h"
#include "ao/backends/hwy/matmul_panel-inl.h"
#include "ao/formats/registry.hpp"

namespace ao::highway {

// The formats ao::matmul decodes in registers (matmul_fuses<F>(), and FP8 elements with a vector codec).
template <class F, class = void>
inline constexpr bool kMatmulFused = matmul_fuses<F>();
template <class E, class G, class C, class A>
inline constexpr bool kMatmulFused<float8_scaled<E, G, C, A> > =
    matmul_fuses<float8_scaled<E, G, C, A> >() && HWY_NAMESPACE::kExmyVectorizable<typename E::spec>;
template <class E, class B, class S, class R>
inline constexpr bool kMatmulFused<block_scaled<E, B, S, R> > =
    matmul_fuses<block_scaled<E, B, S, R> >() && E::bits_per_value <= 8 &&
    HWY_NAMESPACE::kExmyVectorizable<typename E::spec>;

// Specialized (available = true, run defined in src/cpu_dispatch_matmul.cc) for the registry's NVFP4, FP8 and
// affine formats and the MX twins above when ao::cpu_dispatch is linked.
template <class F>
struct dynamic_matmul_fused {
  static constexpr bool available = false;
};
#if defined(AO_CPU_DISPATCH)
#define AO_HWY_DECLARE_MATMUL_FUSED(id, type)          \
  template <>                                          \
  struct dynamic_matmul_fused<type> {                  \
    static constexpr bool available = true;            \
    static void run(const matmul_fused_task<type>& t); \
  };
AO_MATMUL_FUSED_LIST_MX(AO_HWY_DECLARE_MATMUL_FUSED)
AO_FORMAT_LIST_NVFP4(AO_HWY_DECLARE_MATMUL_FUSED)
AO_FORMAT_LIST_FLOAT8(AO_HWY_DECLARE_MATMUL_FUSED)
AO_FORMAT_LIST_AFFINE(AO_HWY_DECLARE_MATMUL_FUSED)
#undef AO_HWY_DECLARE_MATMUL_FUSED
#endif

template <class F>
void matmul_dot_fused(const matmul_fused_task<F>& t) {
  using Twin = typename matmul_decode_twin<F>::type;
  if constexpr (!std::is_same_v<Twin, F>) {
    matmul_dot_fused(matmul_fused_task<Twin>{t.x, t.x_stride, t.rows, t.data, t.data_stride, t.w_rows, t.scales,
                                             t.scales_stride, t.zero_points, t.zero_points_stride, t.tensor, t.k, t.acc,
                                             t.acc_stride});
  } else if constexpr (dynamic_matmul_fused<F>::available) {
    dynamic_matmul_fused<F>::run(t);
  } else {
    HWY_STATIC_DISPATCH(MatmulDotFused)(t);
  }
}

// available = true (and run defined in src/cpu_dispatch_matmul.cc) when ao::cpu_dispatch is linked.
struct dynamic_matmul {
#if defined(AO_CPU_DISPATCH)
  static constexpr bool available = true;
  static void dot(const matmul_dot_task& t);
  static void panel(const matmul_panel_task& t);
#else
  static constexpr bool available = false;
  static void dot(const matmul_dot_task&) {}
  static void panel(const matmul_panel_task&) {}
#endif
};

inline void matmul_dot(const matmul_dot_task& t) {
  if constexpr (dynamic_matmul::available) {
    dynamic_matmul::dot(t);
  } else {
    HWY_STATIC_DISPATCH(MatmulDot)(t);
  }
}

inline void matmul_panel(const matmul_panel_task& t) {
  if constexpr (dynamic_matmul::available) {
    dynamic_matmul::panel(t);
  } else {
    HWY_STATIC_DISPATCH(MatmulPanel)(t);
  }
}

}  // namespace ao::highway

#endif
