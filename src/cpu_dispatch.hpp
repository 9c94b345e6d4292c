// src/cpu_dispatch.hpp: shared by the translation units of ao::cpu_dispatch (not installed). Each unit includes
// the kernels for every Highway target (hwy/foreach_target.h), wraps one format family's registry formats into
// non-template functions per target, exports them (HWY_EXPORT) and defines the dynamic_quantize /
// dynamic_dequantize specializations declared in ao/backends/hwy/highway.hpp.
//
// AO_CPU_DISPATCH_WRAP(id, type) defines, inside ao::highway::HWY_NAMESPACE, Quantize_<id>_<dtype> and
// Dequantize_<id>_<dtype> for dtype in f32, bf16, f16; AO_CPU_DISPATCH_EXPORT(id, type) exports them and defines
// the run functions (after HWY_ONCE).
#pragma once

#define AO_CPU_DISPATCH_WRAP_DTYPE(id, type, dtype, suffix)                                      \
  void Quantize_##id##_##suffix(const ::ao::quantize_task<type, dtype>& t) { Quantize(t); }      \
  void Dequantize_##id##_##suffix(const ::ao::dequantize_task<type, dtype>& t) { Dequantize(t); }
#define AO_CPU_DISPATCH_WRAP(id, type)                            \
  AO_CPU_DISPATCH_WRAP_DTYPE(id, type, float, f32)                \
  AO_CPU_DISPATCH_WRAP_DTYPE(id, type, ::ao::bfloat16, bf16)      \
  AO_CPU_DISPATCH_WRAP_DTYPE(id, type, ::ao::float16, f16)

#define AO_CPU_DISPATCH_EXPORT_DTYPE(id, type, dtype, suffix)                                        \
  HWY_EXPORT(Quantize_##id##_##suffix);                                                              \
  HWY_EXPORT(Dequantize_##id##_##suffix);                                                            \
  void dynamic_quantize<type, dtype>::run(const ::ao::quantize_task<type, dtype>& t) {               \
    HWY_DYNAMIC_DISPATCH(Quantize_##id##_##suffix)(t);                                               \
  }                                                                                                  \
  void dynamic_dequantize<type, dtype>::run(const ::ao::dequantize_task<type, dtype>& t) {           \
    HWY_DYNAMIC_DISPATCH(Dequantize_##id##_##suffix)(t);                                             \
  }
#define AO_CPU_DISPATCH_EXPORT(id, type)                          \
  AO_CPU_DISPATCH_EXPORT_DTYPE(id, type, float, f32)              \
  AO_CPU_DISPATCH_EXPORT_DTYPE(id, type, ::ao::bfloat16, bf16)    \
  AO_CPU_DISPATCH_EXPORT_DTYPE(id, type, ::ao::float16, f16)
