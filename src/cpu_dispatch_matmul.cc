// src/cpu_dispatch_matmul.cc: dynamic dispatch of ao::matmul's inner kernel (MatmulDot, ao/backends/hwy/matmul-inl.h),
// compiled once per Highway target. The kernel does not depend on the weight format (the formats' tiles are decoded
// by their dequantize kernels, dispatched by the other units), so this unit compiles one small function per target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu_dispatch_matmul.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "ao/backends/hwy/matmul-inl.h"

#if HWY_ONCE
#include "ao/backends/hwy/matmul.hpp"
namespace ao::highway {
HWY_EXPORT(MatmulDot);
void dynamic_matmul::dot(const matmul_dot_task& t) { HWY_DYNAMIC_DISPATCH(MatmulDot)(t); }
}  // namespace ao::highway
#endif
