// ao/io/torchao_tensor.hpp: one logical tensor of a torchao checkpoint (numerics spec §9; torchao's
// torchao/prototype/safetensors flatten_tensor_state_dict): its class, attributes, storage and component entries,
// and the conversions between it and ao::quantized_tensor<F>. Needs nlohmann-json. docs/io.md ("torchao
// checkpoints") has the table of classes, attributes and ao formats.
//
//   ao::io::torchao_class       Tensor (plain), MXTensor, NVFP4Tensor, Float8Tensor, Int8Tensor,
//                               IntxUnpackedToInt8Tensor
//   ao::io::torchao_attributes  the attributes ao does not derive from the format: the dequantized dtype, torchao's
//                               kernel settings, activation settings (kept as JSON), optional component tensors
//   ao::io::torchao_tensor      what the reader found: name, class, logical shape, attributes, storage, registry
//                               format (when there is one), the component entries (views into the file)
//   ao::io::to_quantized<F>(t)  a torchao_tensor as ao::quantized_tensor<F> (bytes copied, layouts converted)
//   ao::io::flatten<F>(name, q, attributes)   the inverse: the safetensors entries and the metadata string torchao
//                               writes for that tensor
//
// How ao holds each class (torchao's storage -> ao's):
//   MXTensor                 qdata, scale (F8_E8M0 [.., K/block])   -> block_scaled<E, block<B>, e8m0, rule>: the
//                            same bytes (fp8 one a byte, fp6 one a byte in bits 0-5, fp4 two a byte low nibble first);
//                            swizzled scales (is_swizzled_scales, 2-D) are unswizzled to row-major
//   NVFP4Tensor              qdata, scale (F8_E4M3), per_tensor_scale (F32 [], optional) -> nvfp4 / nvfp4_global_scale:
//                            the same bytes; the global scale as the tensor's fp32 global scale
//   Float8Tensor             qdata (F8_*), scale (F32, torchao's keepdim shape) -> float8_scaled<E, G>: the same bytes
//   Int8Tensor               qdata (I8), scale (F32), zero_point (I8, optional) -> affine<int8 (or [-64, 63] with
//                            reduce_range), M, G, float>: codes the same bytes; zero points widened to int32 (zeros
//                            when absent)
//   IntxUnpackedToInt8Tensor qdata (I8, one code a byte in [-2^(b-1), 2^(b-1)-1]), scale (F32/BF16/F16), zero_point
//                            (I8) -> affine<intn<b>, M, G, S>: ao stores affine codes exactly so, one a byte as int8;
//                            zero points widened to int32
// torchao does not record how a tensor was quantized beyond what dequantization needs: the MX scale rule, the
// affine mapping (symmetric, asymmetric) and FP8's amax clamp are not in a checkpoint. to_quantized<F> accepts any
// F whose storage_of<F> equals the tensor's (ao/io/torchao_storage.hpp), whatever those choices.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/error.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/registry.hpp"
#include "ao/io/detail/json_text.hpp"
#include "ao/io/detail/python_json.hpp"
#include "ao/io/safetensors_dtype.hpp"
#include "ao/io/safetensors_reader.hpp"
#include "ao/io/torchao_storage.hpp"
#include "ao/layout/scale_swizzle.hpp"
#include "ao/tensor.hpp"

namespace ao::io {

enum class torchao_class : std::uint8_t {
  tensor,                        // "Tensor": a plain torch.Tensor, stored under its own name
  mx_tensor,                     // "MXTensor" (torchao/prototype/mx_formats/mx_tensor.py)
  nvfp4_tensor,                  // "NVFP4Tensor" (nvfp4_tensor.py)
  float8_tensor,                 // "Float8Tensor" (quantize_/workflows/float8/float8_tensor.py)
  int8_tensor,                   // "Int8Tensor" (quantize_/workflows/int8/int8_tensor.py)
  intx_unpacked_to_int8_tensor,  // "IntxUnpackedToInt8Tensor" (quantize_/workflows/intx/)
};

// The "_type" string torchao writes.
constexpr const char* name(torchao_class c) noexcept {
  switch (c) {
    case torchao_class::tensor: return "Tensor";
    case torchao_class::mx_tensor: return "MXTensor";
    case torchao_class::nvfp4_tensor: return "NVFP4Tensor";
    case torchao_class::float8_tensor: return "Float8Tensor";
    case torchao_class::int8_tensor: return "Int8Tensor";
    case torchao_class::intx_unpacked_to_int8_tensor: return "IntxUnpackedToInt8Tensor";
  }
  return "?";
}

inline std::optional<torchao_class> torchao_class_from_name(std::string_view s) noexcept {
  for (auto c : {torchao_class::tensor, torchao_class::mx_tensor, torchao_class::nvfp4_tensor,
                 torchao_class::float8_tensor, torchao_class::int8_tensor,
                 torchao_class::intx_unpacked_to_int8_tensor}) {
    if (s == name(c)) return c;
  }
  return std::nullopt;
}

// A component tensor ao does not use (an activation's static scale: NVFP4Tensor's act_per_tensor_scale,
// Int8Tensor's act_quant_scale, act_quant_zero_point, act_pre_scale), kept so that it is written back. Owns its
// bytes (row-major, little-endian, as in the file).
struct torchao_extra_tensor {
  std::string attribute;
  io::dtype dtype = io::dtype::f32;
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> bytes;
};

// The attributes of a torchao tensor that ao's format type does not determine. (The element dtype, block size,
// block_size list, target_dtype and reduce_range follow from the format and the shape; see flatten.)
struct torchao_attributes {
  torchao_class cls = torchao_class::tensor;
  // orig_dtype (MX, NVFP4) / dtype (the others): the dtype dequantize() returns; F32, BF16 or F16.
  io::dtype dtype = io::dtype::f32;
  // KernelPreference member name (MX, Float8), "" for JSON null. torchao_default_attributes sets torchao's
  // default: "EMULATED" for MX (what to_mx gives), "AUTO" for Float8.
  std::string kernel_preference;
  // MX, NVFP4: scales in the 128x4 swizzled layout (torchao's to_blocked, ao/layout/scale_swizzle.hpp) in the
  // file; ao holds them row-major (unswizzled on load, swizzled again on write). 2-D tensors only.
  bool is_swizzled_scales = false;
  bool use_triton_kernel = false;   // NVFP4
  // Activation settings and the FP8 matmul config, which ao does not interpret: kept as JSON, null by default.
  nlohmann::ordered_json act_quant_kwargs;         // MX, NVFP4, Float8, Int8
  nlohmann::ordered_json mm_config;                // Float8
  nlohmann::ordered_json activation_quantization;  // Intx
  // Int8 / Intx zero points: their dtype in the file (I8; I32 also read) and, for Int8Tensor, whether the
  // optional zero_point tensor is there (when absent ao holds zeros and writes none back).
  io::dtype zero_point_dtype = io::dtype::i8;
  bool has_zero_point = true;
  std::vector<torchao_extra_tensor> extras;
};

// A tensor of a torchao checkpoint, as the reader found it.
struct torchao_component {
  std::string attribute;  // "qdata", "scale", "zero_point", "per_tensor_scale", ...; "" for a plain tensor
  tensor_entry entry;     // the safetensors entry "<module>._<leaf>_<attribute>": dtype, shape, bytes (views into
                          // the file, valid while the checkpoint or any copy of its safetensors_file lives)
};

struct torchao_tensor {
  std::string name;                  // the state-dict name, "<module>.<leaf>"
  std::vector<std::uint64_t> shape;  // the logical shape (torchao's tensor.shape); a plain tensor's own shape
  torchao_attributes attributes;     // attributes.cls is the class
  torchao_storage storage;           // family none for a plain tensor
  std::optional<format_id> format;   // the first registry format (id order) with this storage, if any
  std::vector<torchao_component> components;  // in "_tensor_data_names" order; a plain tensor: its one entry
  std::string metadata;                        // the metadata string as stored

  torchao_class cls() const noexcept { return attributes.cls; }
  bool quantized() const noexcept { return attributes.cls != torchao_class::tensor; }
  // rows (the leading dims flattened) and cols (the last dim) of the logical shape.
  std::uint64_t cols() const noexcept { return shape.empty() ? 1 : shape.back(); }
  std::uint64_t rows() const noexcept {
    std::uint64_t r = 1;
    for (std::size_t i = 0; i + 1 < shape.size(); ++i) r *= shape[i];
    return r;
  }
  const tensor_entry* component(std::string_view attribute) const noexcept {
    for (const auto& c : components) {
      if (c.attribute == attribute) return &c.entry;
    }
    return nullptr;
  }
};

// An entry to write: name, dtype, shape and owned bytes.
struct torchao_entry {
  std::string name;
  std::string attribute;  // the component ("qdata", "scale", ...; see torchao_component), "" for a plain tensor
  io::dtype dtype = io::dtype::u8;
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> bytes;
};

namespace detail {

inline std::string torchao_shape_string(const std::vector<std::uint64_t>& s) { return ao::detail::shape_string(s); }

// Whether F holds integer zero points (affine formats of torchao's ZeroPointDomain.INT).
template <class F, class = void>
struct torchao_int_zero_points : std::false_type {};
template <class F>
struct torchao_int_zero_points<F, std::enable_if_t<is_affine_v<F>>> : std::bool_constant<!F::float_zero_point> {};
template <class F>
inline constexpr bool torchao_int_zero_points_v = torchao_int_zero_points<F>::value;

// torch dtype names of the dequantized dtype.
inline const char* torchao_float_dtype_name(io::dtype t) noexcept {
  switch (t) {
    case io::dtype::f32: return "float32";
    case io::dtype::bf16: return "bfloat16";
    case io::dtype::f16: return "float16";
    default: return nullptr;
  }
}
inline std::optional<io::dtype> torchao_float_dtype_from_name(std::string_view s) noexcept {
  if (s == "float32") return io::dtype::f32;
  if (s == "bfloat16") return io::dtype::bf16;
  if (s == "float16") return io::dtype::f16;
  return std::nullopt;
}

// The torchao block_size list (one entry per dim of the logical shape) of a storage tile.
inline std::vector<std::uint64_t> torchao_block_list(const torchao_storage& s, const std::vector<std::uint64_t>& shape) {
  const std::size_t n = shape.size();
  std::vector<std::uint64_t> b(n, 1);
  if (n == 0) return b;
  b[n - 1] = s.block_cols;
  if (n == 1) return b;
  std::uint64_t rows = 1;
  for (std::size_t i = 0; i + 1 < n; ++i) rows *= shape[i];
  if (s.block_rows == rows) {
    for (std::size_t i = 0; i + 1 < n; ++i) b[i] = shape[i];  // the tile spans every row: all leading dims
  } else {
    b[n - 2] = s.block_rows;
  }
  return b;
}

// torchao's scale (and zero point) shape: shape[i] / block[i] in every dim (keepdim).
inline std::vector<std::uint64_t> torchao_scale_shape(const torchao_storage& s, const std::vector<std::uint64_t>& shape) {
  const std::vector<std::uint64_t> b = torchao_block_list(s, shape);
  std::vector<std::uint64_t> out(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) out[i] = b[i] == 0 ? 0 : shape[i] / b[i];
  return out;
}

// The scale shape torchao stores for swizzled scales of a 2-D rows x K tensor: (R / 4, C4 * 4), R and C4 the
// scale rows and cols padded to the 128 x 4 tiles (MX: ceil(M/128)*32 x ceil(K/128)*16; NVFP4 ceil(K/64)*16).
inline std::vector<std::uint64_t> torchao_swizzled_scale_shape(const torchao_storage& s,
                                                               const std::vector<std::uint64_t>& shape) {
  const std::uint64_t rows = shape.size() == 2 ? shape[0] : 0, cols = s.block_cols ? shape.back() / s.block_cols : 0;
  return {layout::swizzled_rows(rows) / 4, layout::swizzled_cols(cols) * 4};
}

// The qdata entry's dtype and shape.
inline io::dtype torchao_qdata_dtype(const torchao_storage& s) noexcept {
  switch (s.family) {
    case torchao_storage_family::float8:
    case torchao_storage_family::block_scaled:
      switch (s.element) {
        case torchao_element::float8_e4m3fn: return io::dtype::f8_e4m3;
        case torchao_element::float8_e5m2: return io::dtype::f8_e5m2;
        case torchao_element::float8_e4m3fnuz: return io::dtype::f8_e4m3fnuz;
        case torchao_element::float8_e5m2fnuz: return io::dtype::f8_e5m2fnuz;
        default: return io::dtype::u8;  // fp6 one a byte, fp4 two a byte
      }
    case torchao_storage_family::affine: return io::dtype::i8;
    default: return io::dtype::u8;  // NVFP4
  }
}
inline std::vector<std::uint64_t> torchao_qdata_shape(const torchao_storage& s, std::vector<std::uint64_t> shape) {
  if (s.element == torchao_element::float4_e2m1fn && !shape.empty()) shape.back() /= 2;
  return shape;
}

// The "_tensor_data_names" torchao writes, in its order (optional names first, then the required ones).
inline std::vector<std::string> torchao_data_names(torchao_class c, const torchao_storage& s, const torchao_attributes& a) {
  std::vector<std::string> names;
  auto extra = [&](const char* n) {
    for (const auto& e : a.extras) {
      if (e.attribute == n) names.push_back(n);
    }
  };
  switch (c) {
    case torchao_class::nvfp4_tensor:
      if (s.global_scale) names.push_back("per_tensor_scale");
      extra("act_per_tensor_scale");
      names.insert(names.end(), {"qdata", "scale"});
      break;
    case torchao_class::int8_tensor:
      if (a.has_zero_point) names.push_back("zero_point");
      extra("act_quant_scale");
      extra("act_quant_zero_point");
      extra("act_pre_scale");
      names.insert(names.end(), {"qdata", "scale"});
      break;
    case torchao_class::intx_unpacked_to_int8_tensor:
      names = {"qdata", "scale", "zero_point"};
      break;
    case torchao_class::tensor:
      break;
    default:
      names = {"qdata", "scale"};
  }
  return names;
}

// The component attributes a class may have that ao keeps without using.
inline bool torchao_is_extra(torchao_class c, std::string_view attribute) noexcept {
  if (c == torchao_class::nvfp4_tensor) return attribute == "act_per_tensor_scale";
  if (c == torchao_class::int8_tensor) {
    return attribute == "act_quant_scale" || attribute == "act_quant_zero_point" || attribute == "act_pre_scale";
  }
  return false;
}

inline nlohmann::ordered_json torchao_dtype_json(const char* torch_name) {
  nlohmann::ordered_json j;
  j["_type"] = "torch.dtype";
  j["_data"] = torch_name;
  return j;
}
inline nlohmann::ordered_json torchao_enum_json(const char* type, const std::string& member) {
  if (member.empty()) return nullptr;
  nlohmann::ordered_json j;
  j["_type"] = type;
  j["_data"] = member;
  return j;
}

// The metadata string torchao writes for a quantized tensor (json.dumps of {"_type", "_data",
// "_tensor_data_names"}, "_data" in the class's attribute order: optional_tensor_attribute_names, then
// tensor_attribute_names). ao::error when the class cannot hold the storage.
inline std::string torchao_metadata_string(const std::string& tensor_name, const torchao_storage& s,
                                           const std::vector<std::uint64_t>& shape, const torchao_attributes& a) {
  auto fail = [&](const std::string& what) {
    throw ao::error("torchao checkpoint: tensor " + quote_for_message(tensor_name) + ": " + what);
  };
  const char* dtype_name = torchao_float_dtype_name(a.dtype);
  if (dtype_name == nullptr) fail("dtype " + std::string(io::name(a.dtype)) + " is not F32, BF16 or F16");
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  std::vector<std::uint64_t> block = torchao_block_list(s, shape);
  nlohmann::ordered_json block_json = nlohmann::ordered_json::array();
  for (std::uint64_t b : block) block_json.push_back(b);
  switch (a.cls) {
    case torchao_class::mx_tensor: {
      if (s.family != torchao_storage_family::block_scaled || s.scale_dtype != io::dtype::f8_e8m0) {
        fail("MXTensor holds MX formats (e8m0 block scales), not " + describe(s));
      }
      switch (s.element) {
        case torchao_element::float8_e4m3fn: data["elem_dtype"] = torchao_dtype_json("float8_e4m3fn"); break;
        case torchao_element::float8_e5m2: data["elem_dtype"] = torchao_dtype_json("float8_e5m2"); break;
        case torchao_element::float4_e2m1fn: data["elem_dtype"] = torchao_dtype_json("float4_e2m1fn_x2"); break;
        case torchao_element::float6_e2m3fn: data["elem_dtype"] = "fp6_e2m3"; break;
        case torchao_element::float6_e3m2fn: data["elem_dtype"] = "fp6_e3m2"; break;
        default: fail(std::string("MXTensor has no element ") + io::name(s.element));
      }
      data["block_size"] = s.block_cols;
      data["orig_dtype"] = torchao_dtype_json(dtype_name);
      data["kernel_preference"] = torchao_enum_json("KernelPreference", a.kernel_preference);
      data["act_quant_kwargs"] = a.act_quant_kwargs;
      data["is_swizzled_scales"] = a.is_swizzled_scales;
      break;
    }
    case torchao_class::nvfp4_tensor:
      if (s.family != torchao_storage_family::nvfp4) fail("NVFP4Tensor holds NVFP4, not " + describe(s));
      data["is_swizzled_scales"] = a.is_swizzled_scales;
      data["use_triton_kernel"] = a.use_triton_kernel;
      data["act_quant_kwargs"] = a.act_quant_kwargs;
      data["block_size"] = s.block_cols;
      data["orig_dtype"] = torchao_dtype_json(dtype_name);
      break;
    case torchao_class::float8_tensor:
      if (s.family != torchao_storage_family::float8) fail("Float8Tensor holds FP8 with fp32 scales, not " + describe(s));
      data["block_size"] = block_json;
      data["mm_config"] = a.mm_config;
      data["act_quant_kwargs"] = a.act_quant_kwargs;
      data["kernel_preference"] = torchao_enum_json("KernelPreference", a.kernel_preference);
      data["dtype"] = torchao_dtype_json(dtype_name);
      break;
    case torchao_class::int8_tensor:
      if (s.family != torchao_storage_family::affine || s.scale_dtype != io::dtype::f32 || s.qmax != -s.qmin - 1 ||
          (s.qmin != -128 && s.qmin != -64)) {
        fail("Int8Tensor holds int8 codes (range [-128, 127], or [-64, 63] with reduce_range) with fp32 scales, not " +
             describe(s));
      }
      data["act_quant_kwargs"] = a.act_quant_kwargs;
      data["reduce_range"] = s.qmin == -64;
      data["block_size"] = block_json;
      data["dtype"] = torchao_dtype_json(dtype_name);
      break;
    case torchao_class::intx_unpacked_to_int8_tensor: {
      int bits = 0;
      for (int b = 1; b <= 8; ++b) {
        if (s.qmin == -(1 << (b - 1)) && s.qmax == (1 << (b - 1)) - 1) bits = b;
      }
      if (s.family != torchao_storage_family::affine || bits == 0) {
        fail("IntxUnpackedToInt8Tensor holds int1..int8 codes (the full signed range), not " + describe(s));
      }
      const std::string target = "int" + std::to_string(bits);
      data["target_dtype"] = torchao_dtype_json(target.c_str());
      data["block_size"] = block_json;
      data["dtype"] = torchao_dtype_json(dtype_name);
      data["activation_quantization"] = a.activation_quantization;
      break;
    }
    case torchao_class::tensor:
      return "{\"_type\": \"Tensor\"}";
  }
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const auto& n : torchao_data_names(a.cls, s, a)) names.push_back(n);
  nlohmann::ordered_json top;
  top["_type"] = name(a.cls);
  top["_data"] = std::move(data);
  top["_tensor_data_names"] = std::move(names);
  return python_json_dumps(top);
}

// "<module>._<leaf>_<attribute>": torchao's entry name of a component (the state-dict name split at its last dot).
inline std::string torchao_entry_name(const std::string& tensor_name, const std::string& attribute) {
  const std::size_t dot = tensor_name.rfind('.');
  if (dot == std::string::npos) {
    throw ao::error("torchao checkpoint: tensor " + quote_for_message(tensor_name) +
                    ": a quantized tensor's name must contain a '.' (torchao splits it into module and leaf)");
  }
  return tensor_name.substr(0, dot) + "._" + tensor_name.substr(dot + 1) + "_" + attribute;
}

}  // namespace detail

// The attributes torchao gives a tensor of format F quantized from `dtype` by its default path: Int8Tensor for
// int8 codes with fp32 scales per row or tensor, IntxUnpackedToInt8Tensor for other affine formats, MXTensor,
// NVFP4Tensor, Float8Tensor; kernel_preference "EMULATED" (MX, as to_mx) or "AUTO" (Float8), everything else off.
template <class F>
torchao_attributes torchao_default_attributes(io::dtype dtype) {
  torchao_attributes a;
  a.dtype = dtype;
  using family = typename format_traits<F>::family;
  if constexpr (std::is_same_v<family, format_family::block_scaled>) {
    a.cls = torchao_class::mx_tensor;
    a.kernel_preference = "EMULATED";
  } else if constexpr (std::is_same_v<family, format_family::nvfp4>) {
    a.cls = torchao_class::nvfp4_tensor;
  } else if constexpr (std::is_same_v<family, format_family::float8>) {
    a.cls = torchao_class::float8_tensor;
    a.kernel_preference = "AUTO";
  } else {
    constexpr bool int8_codes = (F::quant_min == -128 && F::quant_max == 127) || (F::quant_min == -64 && F::quant_max == 63);
    constexpr bool row_or_tensor = std::is_same_v<typename F::granularity, per_row> ||
                                   std::is_same_v<typename F::granularity, per_tensor>;
    a.cls = int8_codes && row_or_tensor && std::is_same_v<typename F::scale_type, float>
                ? torchao_class::int8_tensor
                : torchao_class::intx_unpacked_to_int8_tensor;
  }
  return a;
}

// A torchao tensor's bytes as ao::quantized_tensor<F>. ao::error, naming the tensor, when t is a plain tensor or
// F cannot hold it (can_hold(storage_of<F>, t.storage): F stores it so, or F is affine with a wider code range),
// or its shape is not one F accepts.
// as_shape (empty: t.shape) holds the values under another shape of the same count, when reshapes_to allows it:
// an IntxUnpackedToInt8Tensor of groups of G values, shape (R, C), loads as a per_row format of shape (R*C/G, G).
template <class F>
quantized_tensor<F> to_quantized(const torchao_tensor& t, const std::vector<std::uint64_t>& as_shape = {}) {
  const std::string where = "torchao checkpoint: tensor " + detail::quote_for_message(t.name) + ": ";
  if (!t.quantized()) throw ao::error(where + "a plain tensor, not a quantized one");
  const std::vector<std::uint64_t>& held = as_shape.empty() ? t.shape : as_shape;
  if (!reshapes_to(t.storage, t.shape, held) || (held != t.shape && t.attributes.is_swizzled_scales)) {
    throw ao::error(where + "its values cannot be held with shape " + detail::torchao_shape_string(held) +
                    " (the shape " + detail::torchao_shape_string(t.shape) + " stored as " + describe(t.storage) +
                    " reshapes only to shapes of the same count whose rows hold whole blocks)");
  }
  std::uint64_t rows = 1;
  for (std::size_t d = 0; d + 1 < held.size(); ++d) rows *= held[d];
  const std::uint64_t cols = held.empty() ? 1 : held.back();
  const torchao_storage want = storage_of<F>(rows, cols);
  if (!can_hold(want, t.storage)) {
    throw ao::error(where + "stored as " + describe(t.storage) + " (" + name(t.cls()) + "), not as " +
                    display_name<F>() + " stores it (" + describe(want) + ")");
  }
  std::vector<std::size_t> shape(held.begin(), held.end());
  quantized_tensor<F> q = quantized_tensor<F>::allocate(shape);
  using scale_type = typename quantized_tensor<F>::scale_type;
  const tensor_entry* qdata = t.component("qdata");
  const tensor_entry* scale = t.component("scale");
  const bool swizzled = t.attributes.is_swizzled_scales;
  const std::size_t srows = q.view().scale_rows(), scols = q.view().scale_cols();
  const std::size_t scale_bytes = swizzled ? layout::swizzled_size(srows, scols) : q.scales().size() * sizeof(scale_type);
  if (qdata == nullptr || scale == nullptr || qdata->bytes.size != q.data().size() || scale->bytes.size != scale_bytes ||
      (swizzled && sizeof(scale_type) != 1)) {
    throw ao::error(where + "the qdata / scale bytes do not match the shape " + detail::torchao_shape_string(t.shape));
  }
  if (!q.data().empty()) std::memcpy(q.data().data(), qdata->bytes.data, qdata->bytes.size);
  if (swizzled) {
    layout::from_blocked(scale->bytes.data, srows, scols, reinterpret_cast<std::uint8_t*>(q.scales().data()));
  } else if (!q.scales().empty()) {
    std::memcpy(q.scales().data(), scale->bytes.data, scale->bytes.size);
  }
  if constexpr (detail::torchao_int_zero_points_v<F>) {
    auto& zp = q.zero_points();
    if (const tensor_entry* z = t.component("zero_point")) {
      const std::size_t width = z->dtype == io::dtype::i32 ? 4 : 1;
      if (z->bytes.size != zp.size() * width) throw ao::error(where + "the zero_point bytes do not match the scales");
      for (std::size_t i = 0; i < zp.size(); ++i) {
        if (width == 1) {
          zp[i] = static_cast<std::int8_t>(z->bytes.data[i]);
        } else {
          std::int32_t v;
          std::memcpy(&v, z->bytes.data + 4 * i, 4);
          zp[i] = v;
        }
      }
    } else {
      std::fill(zp.begin(), zp.end(), 0);
    }
  }
  if constexpr (std::is_same_v<typename format_traits<F>::family, format_family::nvfp4>) {
    if constexpr (F::global_scale) {
      const tensor_entry* g = t.component("per_tensor_scale");
      if (g == nullptr || g->bytes.size != 4) throw ao::error(where + "no fp32 per_tensor_scale");
      std::memcpy(q.view().global_scale, g->bytes.data, 4);
    }
  }
  return q;
}

// The entries torchao's flatten_tensor_state_dict makes of a tensor of format F held with shape q_shape (ao's
// shape, unpadded) and named `name` ("<module>.<leaf>"), in "_tensor_data_names" order, without their bytes:
// names, dtypes and shapes only; and (in `metadata`) the metadata string it writes for it. What flatten writes,
// planned before the values exist (a streaming writer lays out the file first; see torchao_checkpoint_writer).
// as_shape (empty: q_shape) writes the values under another shape, when reshapes_to allows it (the inverse of
// to_quantized's as_shape: a per_row tensor of shape (R*C/G, G) is written as groups of G of shape (R, C)).
// ao::error, naming the tensor, when F does not accept q_shape (check_format_shape), the attributes' class cannot
// hold F, or the shapes do not fit.
template <class F>
std::vector<torchao_entry> flatten_plan(const std::string& name, const std::vector<std::size_t>& q_shape,
                                        const torchao_attributes& attributes, std::string& metadata,
                                        const std::vector<std::uint64_t>& as_shape = {}) {
  const std::string where = "torchao checkpoint: tensor " + detail::quote_for_message(name) + ": ";
  if (q_shape.empty()) throw ao::error(where + "a quantized tensor has rank >= 1");
  const std::vector<std::uint64_t> held(q_shape.begin(), q_shape.end());
  std::uint64_t rows = 1;
  for (std::size_t d = 0; d + 1 < held.size(); ++d) rows *= held[d];
  try {
    check_format_shape<F>(display_name<F>(), static_cast<std::size_t>(rows), static_cast<std::size_t>(held.back()));
  } catch (const ao::error& e) {
    throw ao::error(where + e.what());
  }
  const torchao_storage s = storage_of<F>(rows, held.back());
  if (s.family == torchao_storage_family::none) {
    throw ao::error(where + display_name<F>() + " has no torchao class (no torchao tensor stores it)");
  }
  const std::vector<std::uint64_t> shape = as_shape.empty() ? held : as_shape;
  if (!reshapes_to(s, held, shape) || (shape != held && attributes.is_swizzled_scales)) {
    throw ao::error(where + "a tensor of shape " + detail::torchao_shape_string(held) + " stored as " + describe(s) +
                    " cannot be written with shape " + detail::torchao_shape_string(shape) +
                    " (a reshape keeps the count, and rows of whole blocks)");
  }
  metadata = detail::torchao_metadata_string(name, s, shape, attributes);  // checks the class against F
  const auto& a = attributes;
  std::vector<torchao_entry> out;
  const std::vector<std::uint64_t> scale_shape = detail::torchao_scale_shape(s, shape);
  for (const std::string& attribute : detail::torchao_data_names(a.cls, s, a)) {
    torchao_entry e;
    e.name = detail::torchao_entry_name(name, attribute);
    e.attribute = attribute;
    if (attribute == "qdata") {
      e.dtype = detail::torchao_qdata_dtype(s);
      e.shape = detail::torchao_qdata_shape(s, shape);
    } else if (attribute == "scale") {
      e.dtype = s.scale_dtype;
      if (a.is_swizzled_scales) {
        const bool mx_or_nvfp4 = s.family == torchao_storage_family::block_scaled || s.family == torchao_storage_family::nvfp4;
        if (!mx_or_nvfp4 || shape.size() != 2 || sizeof(typename quantized_tensor<F>::scale_type) != 1) {
          throw ao::error(where + "swizzled scales are those of a 2-D MX or NVFP4 tensor");
        }
        e.shape = detail::torchao_swizzled_scale_shape(s, shape);
      } else {
        e.shape = scale_shape;
      }
    } else if (attribute == "per_tensor_scale") {
      e.dtype = io::dtype::f32;
    } else if (attribute == "zero_point") {
      e.dtype = a.zero_point_dtype;
      e.shape = scale_shape;
      if (a.zero_point_dtype != io::dtype::i8 && a.zero_point_dtype != io::dtype::i32) {
        throw ao::error(where + "zero points are I8 or I32, not " + std::string(io::name(a.zero_point_dtype)));
      }
    } else {  // an extra component, kept as read
      for (const auto& x : a.extras) {
        if (x.attribute == attribute) {
          e.dtype = x.dtype;
          e.shape = x.shape;
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace detail {

// The bytes of component `attribute` of q as torchao stores them (flatten_plan gave its entry): a view into q
// (qdata; row-major scales) or into the attributes (extras), or else built in `scratch` (swizzled scales, zero
// points narrowed to their dtype, the global scale). ao::error, naming the tensor, when a zero point does not fit
// its dtype or Int8Tensor's zero points are not all zero while attributes.has_zero_point is false.
template <class F>
std::pair<const std::uint8_t*, std::size_t> torchao_component_bytes(const std::string& where, const std::string& attribute,
                                                                    const quantized_tensor<F>& q,
                                                                    const torchao_attributes& a,
                                                                    std::vector<std::uint8_t>& scratch) {
  using scale_type = typename quantized_tensor<F>::scale_type;
  scratch.clear();
  if (attribute == "qdata") return {q.data().data(), q.data().size()};
  if (attribute == "scale") {
    const auto* scales = reinterpret_cast<const std::uint8_t*>(q.scales().data());
    if (!a.is_swizzled_scales) return {scales, q.scales().size() * sizeof(scale_type)};
    const std::size_t srows = q.view().scale_rows(), scols = q.view().scale_cols();
    scratch.resize(layout::swizzled_size(srows, scols));
    layout::to_blocked(scales, srows, scols, scratch.data());
    return {scratch.data(), scratch.size()};
  }
  if (attribute == "per_tensor_scale") {
    const float g = q.global_scale();
    scratch.resize(4);
    std::memcpy(scratch.data(), &g, 4);
    return {scratch.data(), 4};
  }
  if (attribute == "zero_point") {
    if constexpr (torchao_int_zero_points_v<F>) {
      const auto& zp = q.zero_points();
      if (a.zero_point_dtype == io::dtype::i8) {
        scratch.reserve(zp.size());
        for (const auto z : zp) {
          if (z < -128 || z > 127) throw ao::error(where + "zero point " + std::to_string(z) + " does not fit I8");
          scratch.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(z)));
        }
      } else {
        scratch.resize(zp.size() * 4);
        for (std::size_t i = 0; i < zp.size(); ++i) {
          const std::int32_t z = zp[i];
          std::memcpy(scratch.data() + 4 * i, &z, 4);
        }
      }
    }
    return {scratch.data(), scratch.size()};
  }
  for (const auto& x : a.extras) {
    if (x.attribute == attribute) return {x.bytes.data(), x.bytes.size()};
  }
  return {scratch.data(), 0};
}

// Int8Tensor without a zero_point entry holds zeros: anything else cannot be written so.
template <class F>
void torchao_check_absent_zero_points(const std::string& where, const quantized_tensor<F>& q, const torchao_attributes& a) {
  if constexpr (torchao_int_zero_points_v<F>) {
    if (a.cls == torchao_class::int8_tensor && !a.has_zero_point) {
      for (const auto z : q.zero_points()) {
        if (z != 0) throw ao::error(where + "non-zero zero points, but attributes.has_zero_point is false");
      }
    }
  }
}

}  // namespace detail

// The entries torchao's flatten_tensor_state_dict makes of a tensor of format F named `name` ("<module>.<leaf>"),
// in "_tensor_data_names" order, and (in `metadata`) the metadata string it writes for it: flatten_plan's entries
// with their bytes. Bytes are copied, or moved when q is passed as an rvalue (std::move(q): no copy of the element
// data). as_shape as flatten_plan's.
// ao::error, naming the tensor, as flatten_plan and torchao_component_bytes, or when the tensor is padded.
template <class F>
std::vector<torchao_entry> flatten(const std::string& name, quantized_tensor<F> q,
                                   const torchao_attributes& attributes, std::string& metadata,
                                   const std::vector<std::uint64_t>& as_shape = {}) {
  const std::string where = "torchao checkpoint: tensor " + detail::quote_for_message(name) + ": ";
  if (q.logical_cols() != q.stored_cols()) throw ao::error(where + "a padded tensor has no torchao layout");
  std::vector<torchao_entry> out = flatten_plan<F>(name, q.shape(), attributes, metadata, as_shape);
  std::vector<std::uint8_t> scratch;
  for (torchao_entry& e : out) {
    if (e.attribute == "qdata") continue;  // moved below, once nothing else reads q
    const auto bytes = detail::torchao_component_bytes<F>(where, e.attribute, q, attributes, scratch);
    e.bytes.assign(bytes.first, bytes.first + bytes.second);
  }
  detail::torchao_check_absent_zero_points<F>(where, q, attributes);
  for (torchao_entry& e : out) {
    if (e.attribute == "qdata") e.bytes = std::move(q.data());  // q is this function's own
  }
  return out;
}

}  // namespace ao::io
