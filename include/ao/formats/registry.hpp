// ao/formats/registry.hpp: the one list of ao's named formats, joining runtime names and ids (file metadata,
// command-line flags) to the compile-time format types.
//
//   AO_FORMAT_LIST(X)          X(identifier, type) once per format, in id order (for code generation: the
//                              dispatch unit, tests and benchmarks); AO_FORMAT_LIST_MX / _NVFP4 / _FLOAT8 /
//                              _AFFINE: one family each
//   ao::format_id              an enum class with one enumerator per format
//   ao::name<F>()              "mxfp4", "float8_e4m3_per_row", ... (the enumerator's name); nullptr if F is not
//                              in the registry (a user-defined format)
//   ao::id_of<F>()             its format_id (a compile error for a format outside the registry)
//   ao::format_from_name(s)    the id of a name, or ao::error listing the names
//   ao::visit_format(id, fn)   calls fn(ao::format_tag<F>{}) with the format whose id that is, returns its result
//   ao::all_formats            ao::type_list<...> of every format type
// The list: every MX element with each of the four scale rules, NVFP4 single and two level, FP8 per tensor / row /
// 1x128 / 128x128 (and the fnuz variants), and the affine cases of torchao's files (Int8Tensor,
// IntxUnpackedToInt8Tensor, tinygemm int4). Any other format type works with every generic kernel too; it just
// has no runtime id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "ao/error.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/mx.hpp"
#include "ao/formats/nvfp4.hpp"

namespace ao {

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <class F>
struct format_tag {
  using type = F;
};

// Named formats beyond those of mx.hpp, float8.hpp and affine.hpp.
using mxfp8_e4m3_rceil = mx_format<float8_e4m3fn, scale_rule::rceil>;
using mxfp8_e5m2_rceil = mx_format<float8_e5m2, scale_rule::rceil>;
using mxfp6_e2m3_rceil = mx_format<float6_e2m3fn, scale_rule::rceil>;
using mxfp6_e3m2_rceil = mx_format<float6_e3m2fn, scale_rule::rceil>;
using mxfp4_rceil = mx_format<float4_e2m1fn, scale_rule::rceil>;
using mxfp8_e4m3_ceil = mx_format<float8_e4m3fn, scale_rule::ceil>;
using mxfp8_e5m2_ceil = mx_format<float8_e5m2, scale_rule::ceil>;
using mxfp6_e2m3_ceil = mx_format<float6_e2m3fn, scale_rule::ceil>;
using mxfp6_e3m2_ceil = mx_format<float6_e3m2fn, scale_rule::ceil>;
using mxfp4_ceil = mx_format<float4_e2m1fn, scale_rule::ceil>;
using mxfp8_e4m3_even = mx_format<float8_e4m3fn, scale_rule::even>;
using mxfp8_e5m2_even = mx_format<float8_e5m2, scale_rule::even>;
using mxfp6_e2m3_even = mx_format<float6_e2m3fn, scale_rule::even>;
using mxfp6_e3m2_even = mx_format<float6_e3m2fn, scale_rule::even>;
using mxfp4_even = mx_format<float4_e2m1fn, scale_rule::even>;
using float8_e4m3fnuz_per_row = float8_scaled<float8_e4m3fnuz, per_row>;
using float8_e5m2fnuz_per_row = float8_scaled<float8_e5m2fnuz, per_row>;
using uint8_asymmetric_per_row = affine<uint8, mapping::asymmetric, per_row>;
using int8_symmetric_no_clipping_err_per_row = affine<int8, mapping::symmetric_no_clipping_err, per_row>;
using int4_symmetric_group32 = affine<int4, mapping::symmetric, group<32>>;
using int4_asymmetric_group32 = affine<int4, mapping::asymmetric, group<32>>;
using uint4_asymmetric_group64 = affine<uint4, mapping::asymmetric, group<64>>;
using int2_symmetric_group32 = affine<int2, mapping::symmetric, group<32>>;
using tinygemm_int4_group32 = tinygemm_int4<32>;
using tinygemm_int4_group128 = tinygemm_int4<128>;

// clang-format off
// One list per family (each family's kernels compile in a unit of their own; affine in two), then all of them in
// id order.
#define AO_FORMAT_LIST_MX(X) \
  X(mxfp8_e4m3, ::ao::mxfp8_e4m3) \
  X(mxfp8_e5m2, ::ao::mxfp8_e5m2) \
  X(mxfp6_e2m3, ::ao::mxfp6_e2m3) \
  X(mxfp6_e3m2, ::ao::mxfp6_e3m2) \
  X(mxfp4, ::ao::mxfp4) \
  X(mxfp8_e4m3_rceil, ::ao::mxfp8_e4m3_rceil) \
  X(mxfp8_e5m2_rceil, ::ao::mxfp8_e5m2_rceil) \
  X(mxfp6_e2m3_rceil, ::ao::mxfp6_e2m3_rceil) \
  X(mxfp6_e3m2_rceil, ::ao::mxfp6_e3m2_rceil) \
  X(mxfp4_rceil, ::ao::mxfp4_rceil) \
  X(mxfp8_e4m3_ceil, ::ao::mxfp8_e4m3_ceil) \
  X(mxfp8_e5m2_ceil, ::ao::mxfp8_e5m2_ceil) \
  X(mxfp6_e2m3_ceil, ::ao::mxfp6_e2m3_ceil) \
  X(mxfp6_e3m2_ceil, ::ao::mxfp6_e3m2_ceil) \
  X(mxfp4_ceil, ::ao::mxfp4_ceil) \
  X(mxfp8_e4m3_even, ::ao::mxfp8_e4m3_even) \
  X(mxfp8_e5m2_even, ::ao::mxfp8_e5m2_even) \
  X(mxfp6_e2m3_even, ::ao::mxfp6_e2m3_even) \
  X(mxfp6_e3m2_even, ::ao::mxfp6_e3m2_even) \
  X(mxfp4_even, ::ao::mxfp4_even)
#define AO_FORMAT_LIST_NVFP4(X) \
  X(nvfp4, ::ao::nvfp4) \
  X(nvfp4_global_scale, ::ao::nvfp4_global_scale)
#define AO_FORMAT_LIST_FLOAT8(X) \
  X(float8_e4m3_per_tensor, ::ao::float8_e4m3_per_tensor) \
  X(float8_e4m3_per_row, ::ao::float8_e4m3_per_row) \
  X(float8_e4m3_per_block_1x128, ::ao::float8_e4m3_per_block_1x128) \
  X(float8_e4m3_per_block_128x128, ::ao::float8_e4m3_per_block_128x128) \
  X(float8_e5m2_per_tensor, ::ao::float8_e5m2_per_tensor) \
  X(float8_e5m2_per_row, ::ao::float8_e5m2_per_row) \
  X(float8_e4m3fnuz_per_row, ::ao::float8_e4m3fnuz_per_row) \
  X(float8_e5m2fnuz_per_row, ::ao::float8_e5m2fnuz_per_row)
#define AO_FORMAT_LIST_AFFINE(X) AO_FORMAT_LIST_AFFINE_8BIT(X) AO_FORMAT_LIST_AFFINE_SUBBYTE(X)
#define AO_FORMAT_LIST_AFFINE_8BIT(X) \
  X(int8_symmetric_per_row, ::ao::int8_symmetric_per_row) \
  X(int8_asymmetric_per_row, ::ao::int8_asymmetric_per_row) \
  X(int8_symmetric_per_tensor, ::ao::int8_symmetric_per_tensor) \
  X(uint8_asymmetric_per_row, ::ao::uint8_asymmetric_per_row) \
  X(int8_symmetric_no_clipping_err_per_row, ::ao::int8_symmetric_no_clipping_err_per_row)
#define AO_FORMAT_LIST_AFFINE_SUBBYTE(X) \
  X(int4_symmetric_group32, ::ao::int4_symmetric_group32) \
  X(int4_asymmetric_group32, ::ao::int4_asymmetric_group32) \
  X(uint4_asymmetric_group64, ::ao::uint4_asymmetric_group64) \
  X(int2_symmetric_group32, ::ao::int2_symmetric_group32) \
  X(tinygemm_int4_group32, ::ao::tinygemm_int4_group32) \
  X(tinygemm_int4_group128, ::ao::tinygemm_int4_group128)
#define AO_FORMAT_LIST(X) AO_FORMAT_LIST_MX(X) AO_FORMAT_LIST_NVFP4(X) AO_FORMAT_LIST_FLOAT8(X) AO_FORMAT_LIST_AFFINE(X)
// clang-format on

enum class format_id : std::uint16_t {
#define AO_FORMAT_ENUMERATOR(id, type) id,
  AO_FORMAT_LIST(AO_FORMAT_ENUMERATOR)
#undef AO_FORMAT_ENUMERATOR
};

#define AO_FORMAT_COUNT_ONE(id, type) +1
inline constexpr std::size_t format_count = 0 AO_FORMAT_LIST(AO_FORMAT_COUNT_ONE);
#undef AO_FORMAT_COUNT_ONE

namespace detail {
#define AO_FORMAT_TYPE(id, type) , type
template <class Ignored, class... Ts>
struct drop_first {
  using type = type_list<Ts...>;
};
using all_formats_list = typename drop_first<void AO_FORMAT_LIST(AO_FORMAT_TYPE)>::type;
#undef AO_FORMAT_TYPE

template <class F>
struct registry_entry {
  static constexpr bool known = false;
};
#define AO_FORMAT_ENTRY(id_, type)                          \
  template <>                                               \
  struct registry_entry<type> {                             \
    static constexpr bool known = true;                     \
    static constexpr format_id id = format_id::id_;         \
    static constexpr const char* name = #id_;               \
  };
AO_FORMAT_LIST(AO_FORMAT_ENTRY)
#undef AO_FORMAT_ENTRY

inline constexpr const char* format_names[] = {
#define AO_FORMAT_NAME(id, type) #id,
    AO_FORMAT_LIST(AO_FORMAT_NAME)
#undef AO_FORMAT_NAME
};
}  // namespace detail

using all_formats = detail::all_formats_list;

template <class F>
inline constexpr bool is_registered_v = detail::registry_entry<F>::known;

template <class F>
constexpr const char* name() noexcept {
  if constexpr (is_registered_v<F>) {
    return detail::registry_entry<F>::name;
  } else {
    return nullptr;
  }
}

// name<F>(), or "a user-defined format" for a format outside the registry: for messages.
template <class F>
const char* display_name() noexcept {
  const char* n = name<F>();
  return n != nullptr ? n : "a user-defined format";
}

template <class F>
constexpr format_id id_of() noexcept {
  static_assert(is_registered_v<F>, "ao::id_of<F>: F is not in the format registry (ao/formats/registry.hpp)");
  return detail::registry_entry<F>::id;
}

constexpr const char* name(format_id id) noexcept {
  const auto i = static_cast<std::size_t>(id);
  return i < format_count ? detail::format_names[i] : "unknown";
}

inline format_id format_from_name(std::string_view name) {
  for (std::size_t i = 0; i < format_count; ++i) {
    if (name == detail::format_names[i]) return static_cast<format_id>(i);
  }
  std::string known;
  for (std::size_t i = 0; i < format_count; ++i) known += (i ? ", " : "") + std::string(detail::format_names[i]);
  throw ao::error("unknown format \"" + std::string(name) + "\"; the formats are: " + known);
}

// Calls fn(format_tag<F>{}) for the format with this id and returns what it returns (every call must return the
// same type). ao::error for an id outside the registry.
template <class Fn>
decltype(auto) visit_format(format_id id, Fn&& fn) {
  switch (id) {
#define AO_FORMAT_CASE(id_, type) \
  case format_id::id_:            \
    return fn(format_tag<type>{});
    AO_FORMAT_LIST(AO_FORMAT_CASE)
#undef AO_FORMAT_CASE
  }
  throw ao::error("ao::visit_format: format id " + std::to_string(static_cast<unsigned>(id)) +
                  " is not in the registry");
}

// Calls fn(format_tag<F>{}) for every format, in id order.
template <class Fn>
void for_each_format(Fn&& fn) {
#define AO_FORMAT_CALL(id_, type) fn(format_tag<type>{});
  AO_FORMAT_LIST(AO_FORMAT_CALL)
#undef AO_FORMAT_CALL
}

}  // namespace ao
