// ao/backends/hwy/kernels-inl.h: every Highway kernel family, for one target per inclusion (no include guard of
// its own on purpose: hwy/foreach_target.h re-includes it once per target, and each family's -inl.h carries
// Highway's per-target toggle guard). Defines, in ao::highway::HWY_NAMESPACE, the overload sets
//   Quantize(const quantize_task<F, Src>&)  Dequantize(const dequantize_task<F, Dst>&)
//   AbsMax(const rows_view<Src>&)           MinMax(const rows_view<Src>&)
// for every format family that has SIMD kernels. A format of a family without them (none of ao's own) reaches the
// fallback at the end, the scalar oracle: more specialized overloads always win, so the fallback is only a floor.
#include "ao/backends/hwy/affine-inl.h"
#include "ao/backends/hwy/block_scaled-inl.h"
#include "ao/backends/hwy/float8-inl.h"
#include "ao/backends/hwy/nvfp4-inl.h"
#include "ao/backends/hwy/reduce-inl.h"

#if defined(AO_HWY_KERNELS_FALLBACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_HWY_KERNELS_FALLBACK_INL_H_
#undef AO_HWY_KERNELS_FALLBACK_INL_H_
#else
#define AO_HWY_KERNELS_FALLBACK_INL_H_
#endif

#include "ao/backends/scalar/task.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {

template <class F, class Src>
void Quantize(const ao::quantize_task<F, Src>& t) {
  ao::scalar::quantize(t);
}
template <class F, class Dst>
void Dequantize(const ao::dequantize_task<F, Dst>& t) {
  ao::scalar::dequantize(t);
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif
