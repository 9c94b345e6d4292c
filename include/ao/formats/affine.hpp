// ao/formats/affine.hpp: ao::affine<Target, Mapping, Granularity, Scale, ZeroPoint>, the policy type of affine
// integer quantization (numerics spec §4; torchao's choose_qparams_affine / quantize_affine / dequantize_affine,
// and the tinygemm int4 path of §4.3). A group of values shares one scale s and one zero point z:
//   integer zero point (torchao's default, ZeroPointDomain.INT)  q = clamp(round(x * (1/s)) + z, qmin, qmax)
//                                                                 x ~ (q - z) * s
//   floating zero point (tinygemm, ZeroPointDomain.FLOAT)         q = clamp(round((x - (z - s*mid)) / s), qmin, qmax)
//                                                                 x ~ (q - mid) * s + z,  mid = (qmin + qmax + 1) / 2
//
//   Target       ao::intn<N> / ao::uintn<N> (N = 1..8, the full range of the type), or ao::quant_range<QMin, QMax>
//                for a narrower range (Int8's reduce_range is quant_range<-64, 63>). Codes are stored one per byte,
//                as torchao stores them: int8 when qmin < 0, else uint8.
//   Mapping      ao::mapping::symmetric                  s = max(-min_neg, max_pos) / ((qmax - qmin) / 2), z = mid
//                ao::mapping::symmetric_no_clipping_err  s = larger of min_neg / qmin and max_pos / qmax, z = mid
//                ao::mapping::asymmetric                 s = (max_pos - min_neg) / (qmax - qmin),
//                                                        z = clamp(qmin - round(min_neg / s), qmin, qmax)
//                where min_neg = min(amin, 0), max_pos = max(amax, 0) (zero is always representable) and the
//                symmetric z is int((qmin + qmax + 1) / 2): 0 for signed types, 2^(N-1) for unsigned ones.
//                With a floating zero point the mapping must be asymmetric and uses the raw amin/amax:
//                s = (amax - amin) / (qmax - qmin), z = amin + s * mid.
//   Granularity  ao::per_tensor, ao::per_row (one group per row), ao::group<G> (G consecutive values along the
//                last dimension; G must divide the row).
//   Scale        the dtype scales are stored in: float (default), ao::bfloat16 or ao::float16. As in torchao, the
//                scale is computed in the input's dtype and only then converted to this type.
//   ZeroPoint    ao::zero_point_domain::integer (default: std::int32_t zero points, torchao's zero_point_dtype
//                default) or ao::zero_point_domain::floating (zero points of the Scale type, tinygemm).
//   Eps          the floor of the scale: ao::eps::smallest_normal (default; choose_qparams_affine's default,
//                finfo(input).smallest_normal) or ao::eps::float32_epsilon (2^-23, what Int8Tensor.from_hp uses).
//
//   ao::affine<ao::int8, ao::mapping::symmetric, ao::per_row>                   Int8Tensor's weights
//   ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<32>>                 IntxUnpackedToInt8Tensor, 4 bits
//   ao::tinygemm_int4<128>                                                       Int4TilePackedTo4dTensor's qparams
//   ao::int8_symmetric_per_row::with_range<-64, 63>                              reduce_range
//
// A format is a pure type: it holds no data and selects behaviour at compile time; orthogonal choices rebind
// (with_mapping, with_granularity, with_group_size, with_scale_type, with_range, with_eps).
#pragma once

#include <cstdint>
#include <type_traits>

#include "ao/formats/granularity.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/numeric/intn.hpp"

namespace ao {

// The integer range [QMin, QMax] as a quantization target (torchao's quant_min / quant_max arguments).
template <int QMin, int QMax>
struct quant_range {
  static_assert(QMin < QMax, "quant_range: QMin must be below QMax");
  static_assert(QMin >= -128 && QMax <= 255 && (QMin >= 0 || QMax <= 127),
                "quant_range: codes are stored one per byte, so the range must fit int8 or uint8");
  static constexpr int min_value = QMin;
  static constexpr int max_value = QMax;
};

namespace mapping {
// Each names torchao's MappingType.
struct symmetric {
  static constexpr const char* name = "symmetric";
};
struct symmetric_no_clipping_err {
  static constexpr const char* name = "symmetric_no_clipping_err";
};
struct asymmetric {
  static constexpr const char* name = "asymmetric";
};
}  // namespace mapping

// Granularities (ao/formats/granularity.hpp): per_tensor, per_row and group<G>.

namespace zero_point_domain {
// torchao's ZeroPointDomain.INT: an integer zero point added to the rounded value.
struct integer {
  static constexpr const char* name = "integer";
};
// torchao's ZeroPointDomain.FLOAT (tinygemm): a zero point in the scale's dtype, subtracted before rounding.
struct floating {
  static constexpr const char* name = "floating";
};
}  // namespace zero_point_domain

namespace eps {
// The floor the computed scale is clamped to (torchao's eps argument of choose_qparams_affine).
// torch.finfo(input dtype).smallest_normal, choose_qparams_affine's default: 2^-126 for fp32 and bf16 inputs,
// 2^-14 for fp16.
struct smallest_normal {
  static constexpr const char* name = "smallest_normal";
};
// torch.finfo(torch.float32).eps = 2^-23 whatever the input dtype: what Int8Tensor.from_hp passes (spec §4.4).
struct float32_epsilon {
  static constexpr const char* name = "float32_epsilon";
};
}  // namespace eps

namespace detail {

template <class T>
struct affine_target_range;
template <int N, bool Signed>
struct affine_target_range<basic_intn<N, Signed>> {
  static constexpr int min = basic_intn<N, Signed>::min_value;
  static constexpr int max = basic_intn<N, Signed>::max_value;
};
template <int QMin, int QMax>
struct affine_target_range<quant_range<QMin, QMax>> {
  static constexpr int min = QMin;
  static constexpr int max = QMax;
};

template <class T>
struct is_affine_granularity : std::false_type {};
template <>
struct is_affine_granularity<per_tensor> : std::true_type {};
template <>
struct is_affine_granularity<per_row> : std::true_type {};
template <int G>
struct is_affine_granularity<group<G>> : std::true_type {};

template <class M>
inline constexpr bool is_affine_mapping_v = std::is_same_v<M, mapping::symmetric> ||
                                            std::is_same_v<M, mapping::symmetric_no_clipping_err> ||
                                            std::is_same_v<M, mapping::asymmetric>;

template <class Z>
inline constexpr bool is_zero_point_domain_v =
    std::is_same_v<Z, zero_point_domain::integer> || std::is_same_v<Z, zero_point_domain::floating>;

template <class E>
inline constexpr bool is_affine_eps_v = std::is_same_v<E, eps::smallest_normal> || std::is_same_v<E, eps::float32_epsilon>;

template <class S>
inline constexpr bool is_affine_scale_v =
    std::is_same_v<S, float> || std::is_same_v<S, bfloat16> || std::is_same_v<S, float16>;

}  // namespace detail

template <class Target, class Mapping, class Granularity, class Scale = float,
          class ZeroPoint = zero_point_domain::integer, class Eps = eps::smallest_normal>
struct affine {
  static_assert(detail::is_affine_eps_v<Eps>, "ao::affine: Eps is one of ao::eps::*");
  static_assert(detail::is_affine_mapping_v<Mapping>, "ao::affine: Mapping is one of ao::mapping::*");
  static_assert(detail::is_affine_granularity<Granularity>::value,
                "ao::affine: Granularity is ao::per_tensor, ao::per_row or ao::group<G>");
  static_assert(detail::is_affine_scale_v<Scale>, "ao::affine: Scale is float, ao::bfloat16 or ao::float16");
  static_assert(detail::is_zero_point_domain_v<ZeroPoint>, "ao::affine: ZeroPoint is ao::zero_point_domain::*");
  static_assert(!std::is_same_v<ZeroPoint, zero_point_domain::floating> || std::is_same_v<Mapping, mapping::asymmetric>,
                "ao::affine: a floating zero point needs the asymmetric mapping (as in torchao)");

  using target_type = Target;
  using mapping_type = Mapping;
  using granularity = Granularity;
  using scale_type = Scale;
  using zero_point_domain_type = ZeroPoint;
  using eps_type = Eps;
  static constexpr int quant_min = detail::affine_target_range<Target>::min;
  static constexpr int quant_max = detail::affine_target_range<Target>::max;
  static constexpr bool float_zero_point = std::is_same_v<ZeroPoint, zero_point_domain::floating>;
  // One code per byte, as torchao stores them (int8 for signed ranges, uint8 otherwise).
  using code_type = std::conditional_t<(quant_min < 0), std::int8_t, std::uint8_t>;
  // torchao's zero_point_dtype: int32 by default; the scale's dtype for a floating zero point.
  using zero_point_type = std::conditional_t<float_zero_point, Scale, std::int32_t>;
  // The symmetric zero point and the floating-domain midpoint, doubled (exact): qmin + qmax + 1.
  static constexpr int twice_mid_point = quant_min + quant_max + 1;

  template <class M>
  using with_mapping = affine<Target, M, Granularity, Scale, ZeroPoint, Eps>;
  template <class G>
  using with_granularity = affine<Target, Mapping, G, Scale, ZeroPoint, Eps>;
  template <int G>
  using with_group_size = affine<Target, Mapping, ao::group<G>, Scale, ZeroPoint, Eps>;
  template <class S>
  using with_scale_type = affine<Target, Mapping, Granularity, S, ZeroPoint, Eps>;
  template <int QMin, int QMax>
  using with_range = affine<quant_range<QMin, QMax>, Mapping, Granularity, Scale, ZeroPoint, Eps>;
  template <class E>
  using with_eps = affine<Target, Mapping, Granularity, Scale, ZeroPoint, E>;
};

template <class T>
struct is_affine : std::false_type {};
template <class T, class M, class G, class S, class Z, class E>
struct is_affine<affine<T, M, G, S, Z, E>> : std::true_type {};
template <class T>
inline constexpr bool is_affine_v = is_affine<T>::value;

// Named formats.
using int8_symmetric_per_row = affine<int8, mapping::symmetric, per_row>;
using int8_asymmetric_per_row = affine<int8, mapping::asymmetric, per_row>;
using int8_symmetric_per_tensor = affine<int8, mapping::symmetric, per_tensor>;
// The tinygemm int4 path (spec §4.3, Int4TilePackedTo4dTensor): codes 0..15, bf16 scale and bf16 zero,
// group sizes 32, 64, 128 (torchao's default) or 256.
template <int G = 128>
using tinygemm_int4 = affine<uint4, mapping::asymmetric, group<G>, bfloat16, zero_point_domain::floating>;

}  // namespace ao
