// tools/ao-quant/recipe.hpp: what `ao-quant quantize` makes of its flags (a recipe), and the compile-time format
// a recipe and a source dtype select (with_format).
//
//   --format mxfp8_e4m3|mxfp8_e5m2|mxfp6_e2m3|mxfp6_e3m2|mxfp4  --scale-mode floor|rceil|ceil|even   MXTensor
//   --format nvfp4 [--global-scale]                                                                  NVFP4Tensor
//   --format float8_e4m3|float8_e5m2  --granularity row|tensor                                       Float8Tensor
//   --format int8  --granularity row|tensor  --mapping symmetric|asymmetric                          Int8Tensor
//   --format intx  --bits 1..8  --group N  --mapping symmetric|asymmetric         IntxUnpackedToInt8Tensor
// A flag that does not apply to the format is an error, so a typo never quantizes silently with defaults.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "ao/error.hpp"
#include "ao/formats/registry.hpp"
#include "ao/io/torchao_tensor.hpp"
#include "command_line.hpp"
#include "tool_formats.hpp"

namespace ao_quant {

struct recipe {
  std::string format;               // the --format value
  std::string scale_mode = "floor";  // MX
  bool global_scale = false;         // NVFP4
  std::string granularity = "row";   // float8, int8
  std::string mapping = "symmetric";  // int8, intx
  int bits = 4;                       // intx
  std::uint64_t group = 32;           // intx

  // "mxfp4 (scale mode floor)", "intx (4 bits, groups of 32, symmetric)", ...
  std::string describe() const {
    if (format.rfind("mx", 0) == 0) return format + " (scale mode " + scale_mode + ")";
    if (format == "nvfp4") return global_scale ? "nvfp4 (with a global scale)" : "nvfp4";
    if (format.rfind("float8", 0) == 0) return format + " (per " + granularity + ")";
    if (format == "int8") return "int8 (per " + granularity + ", " + mapping + ")";
    return "intx (" + std::to_string(bits) + " bits, groups of " + std::to_string(group) + ", " + mapping + ")";
  }
};

inline recipe parse_recipe(const command_line& cl) {
  recipe r;
  if (!cl.has("format")) throw ao::error("quantize needs --format (ao-quant formats lists them)");
  r.format = cl.get("format");
  const bool mx = r.format == "mxfp8_e4m3" || r.format == "mxfp8_e5m2" || r.format == "mxfp6_e2m3" ||
                  r.format == "mxfp6_e3m2" || r.format == "mxfp4";
  const bool nvfp4 = r.format == "nvfp4", float8 = r.format == "float8_e4m3" || r.format == "float8_e5m2";
  const bool int8 = r.format == "int8", intx = r.format == "intx";
  if (!(mx || nvfp4 || float8 || int8 || intx)) {
    throw ao::error("--format " + r.format +
                    ": expected mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, nvfp4, float8_e4m3, "
                    "float8_e5m2, int8 or intx");
  }
  auto only_for = [&](const char* flag, bool applies, const char* formats) {
    if (cl.has(flag) && !applies) throw ao::error(std::string("--") + flag + " applies to " + formats + " only");
  };
  only_for("scale-mode", mx, "the MX formats");
  only_for("global-scale", nvfp4, "nvfp4");
  only_for("granularity", float8 || int8, "float8_* and int8");
  only_for("mapping", int8 || intx, "int8 and intx");
  only_for("bits", intx, "intx");
  only_for("group", intx, "intx");
  r.scale_mode = cl.get_choice("scale-mode", "floor", {"floor", "rceil", "ceil", "even"});
  r.global_scale = cl.has("global-scale");
  r.granularity = cl.get_choice("granularity", "row", {"row", "tensor"});
  r.mapping = cl.get_choice("mapping", "symmetric", {"symmetric", "asymmetric"});
  r.bits = static_cast<int>(cl.get_int("bits", 4, 1, 8));
  r.group = static_cast<std::uint64_t>(cl.get_int("group", 32, 1, 1LL << 30));
  if (intx && r.bits == 1 && r.mapping == "symmetric") {
    throw ao::error("--bits 1 needs --mapping asymmetric (a symmetric 1-bit code has one level)");
  }
  return r;
}

namespace detail {

template <class... Fs, class Fn>
bool call_if_id(ao::format_id id, Fn& fn) {
  return ((ao::id_of<Fs>() == id ? (fn(ao::format_tag<Fs>{}), true) : false) || ...);
}

template <class Src, class Fn, int Bits>
void with_intx(const recipe& r, Fn& fn) {
  if constexpr (Bits <= 8) {
    if (r.bits != Bits) return with_intx<Src, Fn, Bits + 1>(r, fn);
    if (r.mapping == "asymmetric") {
      fn(ao::format_tag<intx_format<Bits, ao::mapping::asymmetric, Src>>{});
    } else {
      fn(ao::format_tag<intx_format<Bits, ao::mapping::symmetric, Src>>{});
    }
  }
}

}  // namespace detail

// Calls fn(ao::format_tag<F>{}) with the format the recipe selects for a Src (float, ao::bfloat16, ao::float16)
// source. intx selects a per_row format whose rows are the groups (see tool_formats.hpp); class_of says which
// torchao class the result is written as, group_of how many values a row of F holds (0: the tensor's own rows).
template <class Src, class Fn>
void with_format(const recipe& r, Fn&& fn) {
  if (r.format == "intx") return detail::with_intx<Src, Fn, 1>(r, fn);
  if (r.format == "int8") {
    const bool row = r.granularity == "row";
    if (r.mapping == "asymmetric") {
      return row ? fn(ao::format_tag<int8_tensor_format<ao::mapping::asymmetric, ao::per_row>>{})
                 : fn(ao::format_tag<int8_tensor_format<ao::mapping::asymmetric, ao::per_tensor>>{});
    }
    return row ? fn(ao::format_tag<int8_tensor_format<ao::mapping::symmetric, ao::per_row>>{})
               : fn(ao::format_tag<int8_tensor_format<ao::mapping::symmetric, ao::per_tensor>>{});
  }
  std::string id = r.format;
  if (r.format.rfind("mx", 0) == 0 && r.scale_mode != "floor") id += "_" + r.scale_mode;
  if (r.format == "nvfp4" && r.global_scale) id = "nvfp4_global_scale";
  if (r.format.rfind("float8", 0) == 0) id += "_per_" + r.granularity;
#define AO_QUANT_TYPE(id_, type) , type
  const bool found = detail::call_if_id<ao::float8_e4m3_per_row AO_FORMAT_LIST_MX(AO_QUANT_TYPE)
                                            AO_FORMAT_LIST_NVFP4(AO_QUANT_TYPE),
                                        ao::float8_e4m3_per_tensor, ao::float8_e5m2_per_row,
                                        ao::float8_e5m2_per_tensor>(ao::format_from_name(id), fn);
#undef AO_QUANT_TYPE
  if (!found) throw ao::error("no format for " + r.describe());
}

inline ao::io::torchao_class class_of(const recipe& r) {
  if (r.format.rfind("mx", 0) == 0) return ao::io::torchao_class::mx_tensor;
  if (r.format == "nvfp4") return ao::io::torchao_class::nvfp4_tensor;
  if (r.format.rfind("float8", 0) == 0) return ao::io::torchao_class::float8_tensor;
  if (r.format == "int8") return ao::io::torchao_class::int8_tensor;
  return ao::io::torchao_class::intx_unpacked_to_int8_tensor;
}

inline std::uint64_t group_of(const recipe& r) { return r.format == "intx" ? r.group : 0; }

}  // namespace ao_quant
