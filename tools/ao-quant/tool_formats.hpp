// tools/ao-quant/tool_formats.hpp: the formats ao-quant needs beyond ao's registry, and their Highway dynamic
// dispatch (defined in tool_dispatch.cc, the same way ao::cpu_dispatch does it for the registry).
//
//   intx_format<Bits, Mapping, Scale>   torchao's IntxUnpackedToInt8Tensor codes: intn<Bits> (Bits = 1..8), one
//                                       scale of the input's dtype and one integer zero point per row. ao-quant
//                                       quantizes groups of G values of a (R, C) weight as the (R*C/G, G) matrix of
//                                       this per_row format: the bytes are those of group<G>, for any G at run time
//                                       (ao::io::reshapes_to), with one instantiation per code width.
//   int8_tensor_format<Mapping, G>      Int8Tensor.from_hp's numerics: int8 codes, fp32 scales, eps 2^-23 (the
//                                       registry's int8 formats follow choose_qparams_affine's default eps instead)
//   affine_holder<Signed, Scale>        dequantizes any affine checkpoint tensor whose scales cover runs of one row:
//                                       int8 (or uint8) codes hold every narrower code (ao::io::can_hold)
//
// AO_QUANT_FORMAT_LIST_QUANTIZE(X)   X(id, type, source dtype): the pairs tool_dispatch.cc compiles quantize for
// AO_QUANT_FORMAT_LIST_DEQUANTIZE(X) X(id, type): the formats it compiles dequantize for (to fp32, bf16, fp16)
#pragma once

#include "ao/backends/hwy/dispatch.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/registry.hpp"

namespace ao_quant {

template <int Bits, class Mapping, class Scale>
using intx_format = ao::affine<ao::intn<Bits>, Mapping, ao::per_row, Scale>;
template <class Mapping, class Granularity>
using int8_tensor_format =
    ao::affine<ao::int8, Mapping, Granularity, float, ao::zero_point_domain::integer, ao::eps::float32_epsilon>;
template <bool Signed, class Scale>
using affine_holder =
    ao::affine<std::conditional_t<Signed, ao::int8, ao::uint8>, ao::mapping::asymmetric, ao::per_row, Scale>;

}  // namespace ao_quant

// clang-format off
#define AO_QUANT_INTX_BITS(X, map, mname, scale, sname, src)                                          \
  X(intx1_##mname##_##sname, (::ao_quant::intx_format<1, ::ao::mapping::map, scale>), src)           \
  X(intx2_##mname##_##sname, (::ao_quant::intx_format<2, ::ao::mapping::map, scale>), src)           \
  X(intx3_##mname##_##sname, (::ao_quant::intx_format<3, ::ao::mapping::map, scale>), src)           \
  X(intx4_##mname##_##sname, (::ao_quant::intx_format<4, ::ao::mapping::map, scale>), src)           \
  X(intx5_##mname##_##sname, (::ao_quant::intx_format<5, ::ao::mapping::map, scale>), src)           \
  X(intx6_##mname##_##sname, (::ao_quant::intx_format<6, ::ao::mapping::map, scale>), src)           \
  X(intx7_##mname##_##sname, (::ao_quant::intx_format<7, ::ao::mapping::map, scale>), src)
// 8 bits with fp32 scales are the registry's int8_{a,}symmetric_per_row (dispatched by ao::cpu_dispatch).
#define AO_QUANT_INTX_SCALES(X, map, mname)                                                       \
  AO_QUANT_INTX_BITS(X, map, mname, float, f32, float)                                           \
  AO_QUANT_INTX_BITS(X, map, mname, ::ao::bfloat16, bf16, ::ao::bfloat16)                        \
  X(intx8_##mname##_bf16, (::ao_quant::intx_format<8, ::ao::mapping::map, ::ao::bfloat16>), ::ao::bfloat16) \
  AO_QUANT_INTX_BITS(X, map, mname, ::ao::float16, f16, ::ao::float16)                          \
  X(intx8_##mname##_f16, (::ao_quant::intx_format<8, ::ao::mapping::map, ::ao::float16>), ::ao::float16)
#define AO_QUANT_INT8(X, map, mname, gran, gname)                                                          \
  X(int8_##mname##_##gname##_f32, (::ao_quant::int8_tensor_format<::ao::mapping::map, ::ao::gran>), float) \
  X(int8_##mname##_##gname##_bf16, (::ao_quant::int8_tensor_format<::ao::mapping::map, ::ao::gran>), ::ao::bfloat16) \
  X(int8_##mname##_##gname##_f16, (::ao_quant::int8_tensor_format<::ao::mapping::map, ::ao::gran>), ::ao::float16)
#define AO_QUANT_FORMAT_LIST_QUANTIZE(X)                                                   \
  AO_QUANT_INTX_SCALES(X, symmetric, sym)                                                  \
  AO_QUANT_INTX_SCALES(X, asymmetric, asym)                                                \
  AO_QUANT_INT8(X, symmetric, sym, per_row, row)                                           \
  AO_QUANT_INT8(X, symmetric, sym, per_tensor, tensor)                                     \
  AO_QUANT_INT8(X, asymmetric, asym, per_row, row)                                         \
  AO_QUANT_INT8(X, asymmetric, asym, per_tensor, tensor)
#define AO_QUANT_FORMAT_LIST_DEQUANTIZE(X)                                          \
  X(holder_s_bf16, (::ao_quant::affine_holder<true, ::ao::bfloat16>))               \
  X(holder_s_f16, (::ao_quant::affine_holder<true, ::ao::float16>))                 \
  X(holder_u_bf16, (::ao_quant::affine_holder<false, ::ao::bfloat16>))              \
  X(holder_u_f16, (::ao_quant::affine_holder<false, ::ao::float16>))
// (fp32 scales: the registry's int8_asymmetric_per_row and uint8_asymmetric_per_row.)
// clang-format on

#define AO_QUANT_UNPAREN(...) __VA_ARGS__
#if defined(AO_CPU_DISPATCH)
namespace ao::highway {
#define AO_QUANT_DECLARE_QUANTIZE(id, type, src)                              \
  template <>                                                                 \
  struct dynamic_quantize<AO_QUANT_UNPAREN type, src> {                       \
    static constexpr bool available = true;                                   \
    static void run(const quantize_task<AO_QUANT_UNPAREN type, src>& t);      \
  };
#define AO_QUANT_DECLARE_DEQUANTIZE_DTYPE(type, dst)                          \
  template <>                                                                 \
  struct dynamic_dequantize<AO_QUANT_UNPAREN type, dst> {                     \
    static constexpr bool available = true;                                   \
    static void run(const dequantize_task<AO_QUANT_UNPAREN type, dst>& t);    \
  };
#define AO_QUANT_DECLARE_DEQUANTIZE(id, type)                  \
  AO_QUANT_DECLARE_DEQUANTIZE_DTYPE(type, float)               \
  AO_QUANT_DECLARE_DEQUANTIZE_DTYPE(type, ::ao::bfloat16)      \
  AO_QUANT_DECLARE_DEQUANTIZE_DTYPE(type, ::ao::float16)
AO_QUANT_FORMAT_LIST_QUANTIZE(AO_QUANT_DECLARE_QUANTIZE)
AO_QUANT_FORMAT_LIST_DEQUANTIZE(AO_QUANT_DECLARE_DEQUANTIZE)
#undef AO_QUANT_DECLARE_QUANTIZE
#undef AO_QUANT_DECLARE_DEQUANTIZE_DTYPE
#undef AO_QUANT_DECLARE_DEQUANTIZE
}  // namespace ao::highway
#endif
