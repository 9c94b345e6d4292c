// src/cpu_dispatch_affine_8bit.cc: dynamic dispatch of the affine kernels for the registry's 8-bit formats
// (AO_FORMAT_LIST_AFFINE_8BIT), compiled once per Highway target; see cpu_dispatch.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu_dispatch_affine_8bit.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "ao/backends/hwy/kernels-inl.h"
#include "ao/formats/registry.hpp"
#include "cpu_dispatch.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
AO_FORMAT_LIST_AFFINE_8BIT(AO_CPU_DISPATCH_WRAP)
}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "ao/backends/hwy/dispatch.hpp"
namespace ao::highway {
AO_FORMAT_LIST_AFFINE_8BIT(AO_CPU_DISPATCH_EXPORT)
}  // namespace ao::highway
#endif
