// ao/formats/float8.hpp: ao::float8_scaled<Element, Granularity, AmaxClamp, Arithmetic>, the policy type of FP8
// with a float scale: torchao's inference Float8Tensor numerics (numerics spec §3.1, torch kernel path). One fp32
// scale per granule; the scale is amax / max(Element), computed in the *input* dtype (a bf16 input gives a
// bf16-precision scale, held as fp32); an element is cast(clamp(x / scale, -max, max)) with division and RNE;
// dequantization is value(code) * scale in fp32. The scalar oracle is ao/backends/scalar/float8.hpp.
//
// Element: float8_e4m3fn (max 448), float8_e5m2 (57344), and AMD MI300's float8_e4m3fnuz (240) and
// float8_e5m2fnuz (57344) (spec §3.3: every scale divides by the element's own max).
//
// Granularity (torchao's granularity, for a row-major rows x cols matrix; scale shapes as torchao's):
//   per_tensor              one scale                                  scale shape 1 x 1          (PerTensor)
//   per_row                 one scale per row                          scale shape rows x 1       (PerRow)
//   per_block<R, C>         one scale per R x C tile                   scale shape rows/R x cols/C (PerBlock)
//   per_block_1x128         DeepSeek-style activations (1 x 128)
//   per_block_128x128       DeepSeek-style weights (128 x 128)
// per_block needs rows % R == 0 and cols % C == 0, as torchao's get_block_size asserts.
//
// AmaxClamp (torchao's hp_value_lb / hp_value_ub): the amax is clamped to [lower, upper] in the input dtype before
// the division. Any type with `static constexpr float lower, upper` works.
//   amax_clamp::none        torchao's default: no clamp. An all-zero granule has amax 0, scale 0, and 0/0 = NaN
//                           elements (torchao's bytes on an x86 CPU: 0xFF for e4m3fn/e5m2; 0x7F on CUDA; 0x80 for
//                           fnuz) that dequantize to NaN.
//   amax_clamp::min_1e_12   amax >= 1e-12 (the hp_value_lb that torchao's QAT fake quantizer uses): an all-zero
//                           granule gets a tiny positive scale and exact zero elements. Use it (or your own bound)
//                           for finite results.
//
// Arithmetic: whose arithmetic the scale and the NaNs follow. torchao computes with torch's kernels, which differ
// between devices (checked with torch 2.11 on an x86 CPU and an H200):
//   float8_arithmetic::torch_cpu   (default; torchao's files were written on it) scale = amax / max, an fp32
//                                  division; an invalid quotient x / scale (0/0, inf/inf) is x86's default NaN,
//                                  which is negative (code 0xFF), and a NaN operand keeps its sign.
//   float8_arithmetic::torch_cuda  scale = amax * fl32(1 / max): torch's CUDA division by a CPU scalar multiplies by
//                                  its reciprocal, which changes about half of the fp32-input scales by one ulp
//                                  (bf16 inputs give the same scales either way: checked for every finite bf16
//                                  amax); every NaN quotient is CUDA's canonical NaN, positive (code 0x7F).
// Elements are x / scale, a true division, on both.
//
// Orthogonal choices rebind, as with block_scaled:
//   ao::float8_e4m3_per_row::with_granularity<ao::per_block_1x128>
//   ao::float8_e4m3_per_row::with_element<ao::float8_e4m3fnuz>
//   ao::float8_e4m3_per_row::with_amax_clamp<ao::amax_clamp::min_1e_12>
//   ao::float8_e4m3_per_row::with_arithmetic<ao::float8_arithmetic::torch_cuda>
#pragma once

#include <limits>

#include "ao/formats/granularity.hpp"
#include "ao/numeric/float8.hpp"
#include "ao/numeric/float_exmy.hpp"

namespace ao {

namespace amax_clamp {

struct none {
  static constexpr const char* name = "none";
  static constexpr float lower = 0.0f;
  static constexpr float upper = std::numeric_limits<float>::infinity();
};

struct min_1e_12 {
  static constexpr const char* name = "min_1e_12";
  static constexpr float lower = 1e-12f;
  static constexpr float upper = std::numeric_limits<float>::infinity();
};

}  // namespace amax_clamp

namespace float8_arithmetic {

struct torch_cpu {
  static constexpr const char* name = "torch_cpu";
};

struct torch_cuda {
  static constexpr const char* name = "torch_cuda";
};

}  // namespace float8_arithmetic

template <class Element, class Granularity, class AmaxClamp = amax_clamp::none,
          class Arithmetic = float8_arithmetic::torch_cpu>
struct float8_scaled {
  static_assert(is_float_exmy_v<Element> && Element::bits_per_value == 8,
                "float8_scaled: the element is an 8-bit float (float8_e4m3fn, float8_e5m2, or an fnuz variant)");
  using element_type = Element;
  using granularity = Granularity;
  using amax_clamp = AmaxClamp;
  using arithmetic = Arithmetic;
  using scale_type = float;
  // torch.finfo(element).max: the divisor of every scale and the clamp bound of every element.
  static constexpr float max_value = float(std::numeric_limits<Element>::max());

  template <class G>
  using with_granularity = float8_scaled<Element, G, AmaxClamp, Arithmetic>;
  template <class E>
  using with_element = float8_scaled<E, Granularity, AmaxClamp, Arithmetic>;
  template <class C>
  using with_amax_clamp = float8_scaled<Element, Granularity, C, Arithmetic>;
  template <class A>
  using with_arithmetic = float8_scaled<Element, Granularity, AmaxClamp, A>;
};

using float8_e4m3_per_tensor = float8_scaled<float8_e4m3fn, per_tensor>;
using float8_e4m3_per_row = float8_scaled<float8_e4m3fn, per_row>;
using float8_e4m3_per_block_1x128 = float8_scaled<float8_e4m3fn, per_block_1x128>;
using float8_e4m3_per_block_128x128 = float8_scaled<float8_e4m3fn, per_block_128x128>;
using float8_e5m2_per_tensor = float8_scaled<float8_e5m2, per_tensor>;
using float8_e5m2_per_row = float8_scaled<float8_e5m2, per_row>;

}  // namespace ao
