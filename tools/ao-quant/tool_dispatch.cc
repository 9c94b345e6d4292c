// tools/ao-quant/tool_dispatch.cc: Highway dynamic dispatch of the kernels for ao-quant's own formats
// (tool_formats.hpp), compiled once per Highway target as ao::cpu_dispatch does for the registry (src/).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tool_dispatch.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "ao/backends/hwy/kernels-inl.h"
#include "tool_formats.hpp"

#define AO_QUANT_WRAP_QUANTIZE(id, type, src) \
  void Quantize_##id(const ::ao::quantize_task<AO_QUANT_UNPAREN type, src>& t) { Quantize(t); }
#define AO_QUANT_WRAP_DEQUANTIZE(id, type)                                                                      \
  void Dequantize_##id##_f32(const ::ao::dequantize_task<AO_QUANT_UNPAREN type, float>& t) { Dequantize(t); } \
  void Dequantize_##id##_bf16(const ::ao::dequantize_task<AO_QUANT_UNPAREN type, ::ao::bfloat16>& t) {        \
    Dequantize(t);                                                                                              \
  }                                                                                                             \
  void Dequantize_##id##_f16(const ::ao::dequantize_task<AO_QUANT_UNPAREN type, ::ao::float16>& t) { Dequantize(t); }

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
AO_QUANT_FORMAT_LIST_QUANTIZE(AO_QUANT_WRAP_QUANTIZE)
AO_QUANT_FORMAT_LIST_DEQUANTIZE(AO_QUANT_WRAP_DEQUANTIZE)
}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ao::highway {
#define AO_QUANT_EXPORT_QUANTIZE(id, type, src)                                                      \
  HWY_EXPORT(Quantize_##id);                                                                         \
  void dynamic_quantize<AO_QUANT_UNPAREN type, src>::run(                                            \
      const ::ao::quantize_task<AO_QUANT_UNPAREN type, src>& t) {                                    \
    HWY_DYNAMIC_DISPATCH(Quantize_##id)(t);                                                          \
  }
#define AO_QUANT_EXPORT_DEQUANTIZE_DTYPE(id, type, dst, suffix)                                      \
  HWY_EXPORT(Dequantize_##id##_##suffix);                                                            \
  void dynamic_dequantize<AO_QUANT_UNPAREN type, dst>::run(                                          \
      const ::ao::dequantize_task<AO_QUANT_UNPAREN type, dst>& t) {                                  \
    HWY_DYNAMIC_DISPATCH(Dequantize_##id##_##suffix)(t);                                             \
  }
#define AO_QUANT_EXPORT_DEQUANTIZE(id, type)                            \
  AO_QUANT_EXPORT_DEQUANTIZE_DTYPE(id, type, float, f32)                \
  AO_QUANT_EXPORT_DEQUANTIZE_DTYPE(id, type, ::ao::bfloat16, bf16)      \
  AO_QUANT_EXPORT_DEQUANTIZE_DTYPE(id, type, ::ao::float16, f16)
AO_QUANT_FORMAT_LIST_QUANTIZE(AO_QUANT_EXPORT_QUANTIZE)
AO_QUANT_FORMAT_LIST_DEQUANTIZE(AO_QUANT_EXPORT_DEQUANTIZE)
}  // namespace ao::highway
#endif
