// src/cpu_dispatch_matmul.cc: dynamic dispatch of ao::matmul's inner kernels, compiled once per Highway target:
// MatmulDot (ao/backends/hwy/matmul-inl.h) and MatmulPanel (matmul_panel-inl.h, the GEMM kernel), which do not
// depend on the weight format (the formats' tiles are decoded by their dequantize kernels, dispatched by the other
// units); MatmulDotFused, which decodes in registers, for the registry's NVFP4, FP8 and affine formats
// (AO_FORMAT_LIST_NVFP4, _FLOAT8, _AFFINE) and its floor-rule MX formats (AO_MATMUL_FUSED_LIST_MX in matmul-inl.h:
// the other rules decode with these); and Int8Dot, GroupInt8Dot and Int8Panel, the integer kernels of ao::matmul
// over quantized activations (ao/backends/hwy/int8_dot-inl.h, group_int8_dot-inl.h, int8_panel-inl.h), and
// Int8Epilogue, the GEMM path's epilogue (int8_epilogue-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu_dispatch_matmul.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ao/backends/hwy/group_int8_dot-inl.h"
#include "ao/backends/hwy/int8_dot-inl.h"
#include "ao/backends/hwy/int8_epilogue-inl.h"
#include "ao/backends/hwy/int8_panel-inl.h"
#include "ao/backends/hwy/matmul-inl.h"
#include "ao/backends/hwy/matmul_panel-inl.h"
#include "ao/formats/registry.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
#define AO_CPU_DISPATCH_WRAP_MATMUL(id, type) \
  void MatmulDotFused_##id(const ::ao::highway::matmul_fused_task<type>& t) { MatmulDotFused(t); }
AO_MATMUL_FUSED_LIST_MX(AO_CPU_DISPATCH_WRAP_MATMUL)
AO_FORMAT_LIST_NVFP4(AO_CPU_DISPATCH_WRAP_MATMUL)
AO_FORMAT_LIST_FLOAT8(AO_CPU_DISPATCH_WRAP_MATMUL)
AO_FORMAT_LIST_AFFINE(AO_CPU_DISPATCH_WRAP_MATMUL)
#undef AO_CPU_DISPATCH_WRAP_MATMUL
}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "ao/backends/hwy/int8_dot.hpp"
#include "ao/backends/hwy/matmul.hpp"
namespace ao::highway {
HWY_EXPORT(MatmulDot);
HWY_EXPORT(MatmulPanel);
HWY_EXPORT(Int8Dot);
HWY_EXPORT(GroupInt8Dot);
HWY_EXPORT(Int8Panel);
HWY_EXPORT(Int8PanelFast);
HWY_EXPORT(Int8Epilogue);
void dynamic_int8_dot::run(const int8_dot_task& t) { HWY_DYNAMIC_DISPATCH(Int8Dot)(t); }
void dynamic_int8_dot::run_group(const group_int8_dot_task& t) { HWY_DYNAMIC_DISPATCH(GroupInt8Dot)(t); }
void dynamic_int8_dot::panel(const int8_panel_task& t) { HWY_DYNAMIC_DISPATCH(Int8Panel)(t); }
bool dynamic_int8_dot::panel_fast() { return HWY_DYNAMIC_DISPATCH(Int8PanelFast)(); }
void dynamic_int8_dot::epilogue(const int8_epilogue_task& t) { HWY_DYNAMIC_DISPATCH(Int8Epilogue)(t); }
void dynamic_matmul::dot(const matmul_dot_task& t) { HWY_DYNAMIC_DISPATCH(MatmulDot)(t); }
void dynamic_matmul::panel(const matmul_panel_task& t) { HWY_DYNAMIC_DISPATCH(MatmulPanel)(t); }
#define AO_CPU_DISPATCH_EXPORT_MATMUL(id, type)                            \
  HWY_EXPORT(MatmulDotFused_##id);                                         \
  void dynamic_matmul_fused<type>::run(const matmul_fused_task<type>& t) { \
    HWY_DYNAMIC_DISPATCH(MatmulDotFused_##id)(t);                          \
  }
AO_MATMUL_FUSED_LIST_MX(AO_CPU_DISPATCH_EXPORT_MATMUL)
AO_FORMAT_LIST_NVFP4(AO_CPU_DISPATCH_EXPORT_MATMUL)
AO_FORMAT_LIST_FLOAT8(AO_CPU_DISPATCH_EXPORT_MATMUL)
AO_FORMAT_LIST_AFFINE(AO_CPU_DISPATCH_EXPORT_MATMUL)
#undef AO_CPU_DISPATCH_EXPORT_MATMUL
}  // namespace ao::highway
#endif
