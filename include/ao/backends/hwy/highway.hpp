// ao/backends/hwy/highway.hpp: the Highway backend's entry points, what ao::backend::highway calls:
//   ao::highway::quantize(const quantize_task<F, Src>&)      ao::highway::dequantize(const dequantize_task<F, Dst>&)
//   ao::highway::abs_max(const rows_view<Src>&)              ao::highway::min_max(const rows_view<Src>&)
// Two ways to reach a kernel:
//   - dynamic dispatch: link the compiled unit ao::cpu_dispatch (CMake target; it defines AO_CPU_DISPATCH for its
//     users). For every format of the registry and every source/output dtype, the call goes through Highway's
//     dispatch table to the best target this CPU supports (AVX-512, AVX2, SSE4, ...), chosen once at run time.
//   - static dispatch (header-only, and every format outside the registry): the kernels compiled for the target of
//     the including translation unit (its -march; plain x86-64 gives Highway's emulated 128-bit target).
// Both run the same per-target code (ao/backends/hwy/*-inl.h), tested byte for byte against the scalar oracle on
// every target. With AO_DISABLE_HIGHWAY defined, ao includes no Highway header and this backend runs the scalar
// oracle (for platforms without Highway).
#pragma once

#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/registry.hpp"

#if defined(AO_DISABLE_HIGHWAY)

namespace ao::highway {
template <class F, class Src>
void quantize(const quantize_task<F, Src>& t) {
  scalar::quantize(t);
}
template <class F, class Dst>
void dequantize(const dequantize_task<F, Dst>& t) {
  scalar::dequantize(t);
}
template <class Src>
float abs_max(const rows_view<Src>& v) {
  return scalar::abs_max(v);
}
template <class Src>
scalar::affine_range min_max(const rows_view<Src>& v) {
  return scalar::min_max(v);
}
}  // namespace ao::highway

#else

#include <hwy/highway.h>

#include "ao/backends/hwy/dispatch.hpp"
#include "ao/backends/hwy/kernels-inl.h"

namespace ao::highway {

template <class F, class Src>
void quantize(const quantize_task<F, Src>& t) {
  if constexpr (dynamic_quantize<F, Src>::available) {
    dynamic_quantize<F, Src>::run(t);
  } else {
    HWY_STATIC_DISPATCH(Quantize)(t);
  }
}
template <class F, class Dst>
void dequantize(const dequantize_task<F, Dst>& t) {
  if constexpr (dynamic_dequantize<F, Dst>::available) {
    dynamic_dequantize<F, Dst>::run(t);
  } else {
    HWY_STATIC_DISPATCH(Dequantize)(t);
  }
}
template <class Src>
float abs_max(const rows_view<Src>& v) {
  if constexpr (dynamic_reduce<Src>::available) {
    return dynamic_reduce<Src>::abs_max(v);
  } else {
    return HWY_STATIC_DISPATCH(AbsMax)(v);
  }
}
template <class Src>
scalar::affine_range min_max(const rows_view<Src>& v) {
  if constexpr (dynamic_reduce<Src>::available) {
    return dynamic_reduce<Src>::min_max(v);
  } else {
    return HWY_STATIC_DISPATCH(MinMax)(v);
  }
}

}  // namespace ao::highway

#endif
