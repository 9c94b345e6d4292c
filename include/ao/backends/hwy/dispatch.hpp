// ao/backends/hwy/dispatch.hpp: the hooks between ao::highway's entry points (highway.hpp) and the compiled
// dispatch unit ao::cpu_dispatch (src/). dynamic_quantize<F, Src>, dynamic_dequantize<F, Dst> and
// dynamic_reduce<Src> have available = false, unless AO_CPU_DISPATCH is defined (the CMake target ao::cpu_dispatch
// defines it for everything that links it): then, for the registry's formats and the dtypes float, bf16 and fp16,
// they declare run functions that the unit defines, each calling Highway's dynamic dispatch. No Highway header here.
#pragma once

#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/registry.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"

namespace ao::highway {

// Specialized (available = true, run declared here, defined in src/) for the pairs ao::cpu_dispatch exports.
template <class F, class Src>
struct dynamic_quantize {
  static constexpr bool available = false;
};
template <class F, class Dst>
struct dynamic_dequantize {
  static constexpr bool available = false;
};
template <class Src>
struct dynamic_reduce {
  static constexpr bool available = false;
};

#if defined(AO_CPU_DISPATCH)
#define AO_HWY_DECLARE_DISPATCH_DTYPE(type, dtype)                        \
  template <>                                                             \
  struct dynamic_quantize<type, dtype> {                                  \
    static constexpr bool available = true;                               \
    static void run(const quantize_task<type, dtype>& t);                 \
  };                                                                      \
  template <>                                                             \
  struct dynamic_dequantize<type, dtype> {                                \
    static constexpr bool available = true;                               \
    static void run(const dequantize_task<type, dtype>& t);               \
  };
#define AO_HWY_DECLARE_DISPATCH(id, type)                    \
  AO_HWY_DECLARE_DISPATCH_DTYPE(type, float)                 \
  AO_HWY_DECLARE_DISPATCH_DTYPE(type, ::ao::bfloat16)        \
  AO_HWY_DECLARE_DISPATCH_DTYPE(type, ::ao::float16)
AO_FORMAT_LIST(AO_HWY_DECLARE_DISPATCH)
#undef AO_HWY_DECLARE_DISPATCH
#undef AO_HWY_DECLARE_DISPATCH_DTYPE
#define AO_HWY_DECLARE_REDUCE(dtype)                                 \
  template <>                                                        \
  struct dynamic_reduce<dtype> {                                     \
    static constexpr bool available = true;                          \
    static float abs_max(const rows_view<dtype>& v);                 \
    static scalar::affine_range min_max(const rows_view<dtype>& v);  \
  };
AO_HWY_DECLARE_REDUCE(float)
AO_HWY_DECLARE_REDUCE(::ao::bfloat16)
AO_HWY_DECLARE_REDUCE(::ao::float16)
#undef AO_HWY_DECLARE_REDUCE
#endif

}  // namespace ao::highway
