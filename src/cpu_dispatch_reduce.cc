// src/cpu_dispatch_reduce.cc: dynamic dispatch of the whole-tensor reductions (abs max, min and max) for float,
// bf16 and fp16 sources; see cpu_dispatch.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu_dispatch_reduce.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "ao/backends/hwy/kernels-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
#define AO_CPU_DISPATCH_WRAP_REDUCE(dtype, suffix)                                                 \
  float AbsMax_##suffix(const ::ao::rows_view<dtype>& v) { return AbsMax(v); }                      \
  ::ao::scalar::affine_range MinMax_##suffix(const ::ao::rows_view<dtype>& v) { return MinMax(v); }
AO_CPU_DISPATCH_WRAP_REDUCE(float, f32)
AO_CPU_DISPATCH_WRAP_REDUCE(::ao::bfloat16, bf16)
AO_CPU_DISPATCH_WRAP_REDUCE(::ao::float16, f16)
#undef AO_CPU_DISPATCH_WRAP_REDUCE
}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "ao/backends/hwy/dispatch.hpp"
namespace ao::highway {
#define AO_CPU_DISPATCH_EXPORT_REDUCE(dtype, suffix)                                      \
  HWY_EXPORT(AbsMax_##suffix);                                                            \
  HWY_EXPORT(MinMax_##suffix);                                                            \
  float dynamic_reduce<dtype>::abs_max(const ::ao::rows_view<dtype>& v) {                 \
    return HWY_DYNAMIC_DISPATCH(AbsMax_##suffix)(v);                                      \
  }                                                                                       \
  ::ao::scalar::affine_range dynamic_reduce<dtype>::min_max(const ::ao::rows_view<dtype>& v) { \
    return HWY_DYNAMIC_DISPATCH(MinMax_##suffix)(v);                                      \
  }
AO_CPU_DISPATCH_EXPORT_REDUCE(float, f32)
AO_CPU_DISPATCH_EXPORT_REDUCE(::ao::bfloat16, bf16)
AO_CPU_DISPATCH_EXPORT_REDUCE(::ao::float16, f16)
#undef AO_CPU_DISPATCH_EXPORT_REDUCE
}  // namespace ao::highway
#endif
