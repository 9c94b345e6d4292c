// ao/io/torchao_checkpoint.hpp: torchao's checkpoint layout (numerics spec §9), read and written.
// Needs nlohmann-json (as safetensors_reader.hpp does). docs/io.md, "torchao checkpoints", has the table.
//
//   auto ckpt = ao::io::torchao_checkpoint::open("model.safetensors");   // validates everything, or ao::error
//   for (const ao::io::torchao_tensor& t : ckpt) {                       // "tensor_names" order
//     // t.name, t.cls(), t.shape (logical), t.attributes.dtype (what dequantize() returns), t.storage, t.format
//     // (std::optional<ao::format_id>), t.components (the safetensors entries, views into the file)
//   }
//   auto q = ckpt.load<ao::mxfp4>("layers.0.mlp.weight");   // ao::quantized_tensor<ao::mxfp4>, or ao::error
//   ckpt.visit("layers.0.mlp.weight", [](auto&& q) { ... });  // q: quantized_tensor<F>, F = *t.format
//
//   ao::io::torchao_checkpoint_writer w;
//   w.add("layers.0.mlp.weight", q, ao::io::torchao_default_attributes<ao::mxfp4>(ao::io::dtype::bf16));
//   w.add_tensor("layers.0.mlp.bias", ao::io::dtype::bf16, {256}, bias.data(), 512);
//   w.write("model.safetensors");                                 // what torchao's flatten_tensor_state_dict +
//                                                                 // safetensors.torch.save_file write
//
// The layout torchao writes (flatten_tensor_state_dict): a tensor subclass named "<module>.<leaf>" becomes one
// safetensors entry per tensor attribute, "<module>._<leaf>_<attribute>" (qdata, scale, ...); a plain tensor keeps
// its name. "__metadata__" maps each tensor name to json.dumps({"_type": class, "_data": {attributes},
// "_tensor_data_names": [attributes stored as entries]}) ({"_type": "Tensor"} for a plain tensor), and
// "tensor_names" to json.dumps([names in state-dict order]). Other metadata keys are kept (other_metadata()).
//
// What the reader refuses (ao::error "torchao checkpoint '<file>': [tensor '<name>': ]<problem>"): no
// "tensor_names"; a name without a metadata entry; metadata that is not the JSON above; a class other than those
// of ao::io::torchao_class (torchao's Int4Tensor, Int4TilePackedTo4dTensor, Int4PlainInt32Tensor and
// Int4OpaqueTensor included: ao has no reader for their packed layouts); an attribute a class does not have, or
// a required one missing; an entry that is missing, or of another dtype or shape than the attributes imply; a
// block_size that does not tile the shape; swizzled scales of a tensor that is not 2-D; affine codes outside the
// target range; an entry that belongs to no tensor of "tensor_names". Swizzled MX / NVFP4 scales (2-D) are
// unswizzled on load and swizzled again on write.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "ao/error.hpp"
#include "ao/formats/registry.hpp"
#include "ao/io/detail/json_text.hpp"
#include "ao/io/detail/python_json.hpp"
#include "ao/io/safetensors_reader.hpp"
#include "ao/io/safetensors_writer.hpp"
#include "ao/io/torchao_storage.hpp"
#include "ao/io/torchao_tensor.hpp"
#include "ao/tensor.hpp"

namespace ao::io {

// The first registry format (in id order) that stores a rows x cols matrix as `s` says, if any.
inline std::optional<format_id> registry_format(const torchao_storage& s, std::uint64_t rows, std::uint64_t cols) {
  std::optional<format_id> found;
  if (s.family == torchao_storage_family::none) return found;
  for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    if (!found && storage_of<F>(rows, cols) == s) found = id_of<F>();
  });
  return found;
}

class torchao_checkpoint {
 public:
  static torchao_checkpoint open(const std::string& path) { return torchao_checkpoint(safetensors_file::open(path)); }

  // Reads the torchao layout of a validated safetensors file (copies of it share its bytes).
  explicit torchao_checkpoint(safetensors_file file) : file_(std::move(file)) { parse(); }

  const safetensors_file& file() const noexcept { return file_; }
  // The logical tensors, in "tensor_names" order.
  const std::vector<torchao_tensor>& tensors() const noexcept { return tensors_; }
  std::size_t size() const noexcept { return tensors_.size(); }
  std::vector<torchao_tensor>::const_iterator begin() const noexcept { return tensors_.begin(); }
  std::vector<torchao_tensor>::const_iterator end() const noexcept { return tensors_.end(); }
  const torchao_tensor* find(std::string_view name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
  }
  const torchao_tensor& at(std::string_view name) const {
    if (const torchao_tensor* t = find(name)) return *t;
    fail("no tensor " + detail::quote_for_message(name) + " in tensor_names");
  }
  // "__metadata__" keys other than "tensor_names" and the tensors' names, in file order.
  const std::vector<std::pair<std::string, std::string>>& other_metadata() const noexcept { return other_metadata_; }

  // The tensor as quantized_tensor<F>: ao::error when it is plain or not stored as F stores it (to_quantized).
  template <class F>
  quantized_tensor<F> load(std::string_view name, const std::vector<std::uint64_t>& as_shape = {}) const {
    return to_quantized<F>(at(name), as_shape);
  }

  // fn(quantized_tensor<F>&&) with F the tensor's registry format; returns what fn returns (for every F alike).
  // ao::error when the tensor has no registry format (a plain tensor, or one only a user-defined type holds).
  template <class Fn>
  decltype(auto) visit(std::string_view name, Fn&& fn) const {
    const torchao_tensor& t = at(name);
    if (!t.format) {
      fail("tensor " + detail::quote_for_message(name) + ": " +
           (t.quantized() ? "no registry format stores " + describe(t.storage) + " (load<F> with such an F)"
                          : std::string("a plain tensor")));
    }
    return visit_format(*t.format, [&](auto tag) -> decltype(auto) {
      using F = typename decltype(tag)::type;
      return fn(to_quantized<F>(t));
    });
  }

 private:
  using json = nlohmann::ordered_json;

  [[noreturn]] void fail(const std::string& what) const {
    throw ao::error("torchao checkpoint " + detail::quote_for_message(file_.name()) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    fail("tensor " + detail::quote_for_message(tensor) + ": " + what);
  }

  json parse_json(const std::string& tensor, const std::string& text) const {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    if (detail::find_depth_over(p, text.size(), safetensors_max_json_depth) != detail::npos) {
      fail(tensor, "its metadata nests too deep");
    }
    // nlohmann's lexer takes a NUL byte for the end of its input ("{...}\0garbage" would parse); JSON text never
    // holds one (the header's "\u0000" escape puts it in the string), so refuse it as the safetensors reader does.
    if (const std::size_t nul = detail::find_nul(p, text.size()); nul != detail::npos) {
      fail(tensor, "its metadata is not JSON: a NUL byte at byte " + std::to_string(nul));
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) fail(tensor, "its metadata is not JSON: " + detail::quote_for_message(text));
    return j;
  }

  void parse() {
    std::map<std::string, std::string, std::less<>> meta;
    for (const auto& kv : file_.metadata_entries()) meta.emplace(kv.first, kv.second);
    const auto names_it = meta.find("tensor_names");
    if (names_it == meta.end()) {
      fail("no \"tensor_names\" in __metadata__ (not a file of torchao's flatten_tensor_state_dict)");
    }
    const json names = parse_json("tensor_names", names_it->second);
    if (!names.is_array()) fail("\"tensor_names\" is not a JSON list");
    std::set<std::string> listed;
    for (const auto& n : names) {
      if (!n.is_string()) fail("\"tensor_names\" holds a non-string");
      const std::string& s = n.get_ref<const std::string&>();
      if (s == "tensor_names" || !listed.insert(s).second) fail("\"tensor_names\" lists " + detail::quote_for_message(s) + " twice or as a reserved name");
    }
    for (const auto& kv : file_.metadata_entries()) {
      if (kv.first != "tensor_names" && listed.count(kv.first) == 0) other_metadata_.push_back(kv);
    }
    std::set<std::string> claimed;
    for (const auto& n : names) {
      const std::string& tname = n.get_ref<const std::string&>();
      const auto m = meta.find(tname);
      if (m == meta.end()) fail(tname, "listed in tensor_names, but __metadata__ has no entry for it");
      index_.emplace(tname, tensors_.size());
      tensors_.push_back(parse_tensor(tname, m->second, claimed));
    }
    for (const tensor_entry& e : file_) {
      if (claimed.count(e.name) == 0) {
        fail("entry " + detail::quote_for_message(e.name) + " belongs to no tensor of tensor_names");
      }
    }
  }

  const tensor_entry& claim(const std::string& tensor, const std::string& entry_name, const std::string& attribute,
                            std::set<std::string>& claimed) const {
    const tensor_entry* e = file_.find(entry_name);
    if (e == nullptr) {
      fail(tensor, (attribute.empty() ? std::string("no entry of that name")
                                      : "no entry " + detail::quote_for_message(entry_name) + " for its " + attribute));
    }
    if (!claimed.insert(entry_name).second) fail(tensor, "entry " + detail::quote_for_message(entry_name) + " is claimed twice");
    return *e;
  }

  // {"_type": "torch.dtype", "_data": "<name>"} -> "<name>"; or fail.
  std::string torch_dtype(const std::string& tensor, const char* key, const json& v) const {
    if (!v.is_object() || v.size() != 2 || !v.contains("_type") || !v.contains("_data") || v["_type"] != "torch.dtype" ||
        !v["_data"].is_string()) {
      fail(tensor, std::string("attribute ") + key + " is not a torch.dtype");
    }
    return v["_data"].get<std::string>();
  }
  io::dtype float_dtype(const std::string& tensor, const char* key, const json& v) const {
    const std::string s = torch_dtype(tensor, key, v);
    const auto t = detail::torchao_float_dtype_from_name(s);
    if (!t) fail(tensor, std::string("attribute ") + key + " is torch." + s + ", not float32, bfloat16 or float16");
    return *t;
  }
  std::string enum_member(const std::string& tensor, const char* key, const char* type, const json& v) const {
    if (v.is_null()) return "";
    if (!v.is_object() || v.size() != 2 || !v.contains("_type") || !v.contains("_data") || v["_type"] != type ||
        !v["_data"].is_string() || v["_data"].get_ref<const std::string&>().empty()) {
      fail(tensor, std::string("attribute ") + key + " is not a " + type);
    }
    return v["_data"].get<std::string>();
  }
  bool boolean(const std::string& tensor, const char* key, const json& v) const {
    if (!v.is_boolean()) fail(tensor, std::string("attribute ") + key + " is not true or false");
    return v.get<bool>();
  }
  std::uint64_t positive(const std::string& tensor, const char* key, const json& v) const {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0) fail(tensor, std::string("attribute ") + key + " is not a positive integer");
    return v.get<std::uint64_t>();
  }

  // block_size (one entry per dim) -> the 2-D tile (block_rows, block_cols) of the rows x cols matrix.
  void tile_of(const std::string& tensor, const json& v, const std::vector<std::uint64_t>& shape, torchao_storage& s) const {
    const std::string what = "block_size " + (v.is_array() ? v.dump() : std::string("(not a list)"));
    if (!v.is_array() || v.size() != shape.size()) {
      fail(tensor, what + " does not have one entry per dim of the shape " + detail::torchao_shape_string(shape));
    }
    std::vector<std::uint64_t> b;
    for (const auto& e : v) b.push_back(positive(tensor, "block_size", e));
    const std::size_t n = shape.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (shape[i] % b[i] != 0) fail(tensor, what + " does not tile the shape " + detail::torchao_shape_string(shape));
    }
    std::uint64_t rows = 1;
    for (std::size_t i = 0; i + 1 < n; ++i) rows *= shape[i];
    bool all_leading_full = true, ones_before_last_leading = true;
    for (std::size_t i = 0; i + 1 < n; ++i) all_leading_full = all_leading_full && b[i] == shape[i];
    for (std::size_t i = 0; i + 2 < n; ++i) ones_before_last_leading = ones_before_last_leading && b[i] == 1;
    s.block_cols = b[n - 1];
    if (n == 1) {
      s.block_rows = 1;
    } else if (all_leading_full) {
      s.block_rows = rows;
    } else if (ones_before_last_leading) {
      s.block_rows = b[n - 2];
    } else {
      fail(tensor, what + ": a tile spanning several leading dims but not all of them has no ao layout");
    }
  }

  void check_entry(const std::string& tensor, const std::string& attribute, const tensor_entry& e, io::dtype want_dtype,
                   const std::vector<std::uint64_t>& want_shape) const {
    if (e.dtype != want_dtype || e.shape != want_shape) {
      fail(tensor, attribute + " is " + std::string(io::name(e.dtype)) + " " + detail::torchao_shape_string(e.shape) +
                       ", but the attributes imply " + std::string(io::name(want_dtype)) + " " +
                       detail::torchao_shape_string(want_shape));
    }
  }

  torchao_tensor parse_tensor(const std::string& tname, const std::string& text, std::set<std::string>& claimed) const {
    const json m = parse_json(tname, text);
    if (!m.is_object() || !m.contains("_type") || !m["_type"].is_string()) {
      fail(tname, "its metadata is not an object with a \"_type\" string");
    }
    const std::string type = m["_type"].get<std::string>();
    const auto cls = torchao_class_from_name(type);
    if (!cls) {
      fail(tname, "unknown class " + detail::quote_for_message(type) +
                      " (ao reads Tensor, MXTensor, NVFP4Tensor, Float8Tensor, Int8Tensor, IntxUnpackedToInt8Tensor)");
    }
    torchao_tensor t;
    t.name = tname;
    t.metadata = text;
    t.attributes.cls = *cls;
    if (*cls == torchao_class::tensor) {
      if (m.size() != 1) fail(tname, "a plain tensor's metadata has keys besides \"_type\"");
      const tensor_entry& e = claim(tname, tname, "", claimed);
      t.shape = e.shape;
      t.attributes.dtype = e.dtype;
      t.components.push_back({"", e});
      return t;
    }
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (it.key() != "_type" && it.key() != "_data" && it.key() != "_tensor_data_names") {
        fail(tname, "unknown metadata key " + detail::quote_for_message(it.key()));
      }
    }
    if (!m.contains("_data") || !m["_data"].is_object()) fail(tname, "no \"_data\" object");
    if (!m.contains("_tensor_data_names") || !m["_tensor_data_names"].is_array()) fail(tname, "no \"_tensor_data_names\" list");
    if (tname.find('.') == std::string::npos) fail(tname, "a quantized tensor's name must contain a '.'");
    const json& data = m["_data"];
    torchao_attributes& a = t.attributes;

    // The attributes each class has (torchao's tensor_attribute_names + optional_tensor_attribute_names), the
    // required ones first; and its component tensors.
    std::vector<std::string> required, optional, components_required, components_optional;
    switch (*cls) {
      case torchao_class::mx_tensor:
        required = {"elem_dtype", "block_size", "orig_dtype"};
        optional = {"kernel_preference", "act_quant_kwargs", "is_swizzled_scales"};
        components_required = {"qdata", "scale"};
        break;
      case torchao_class::nvfp4_tensor:
        required = {"block_size", "orig_dtype"};
        optional = {"is_swizzled_scales", "use_triton_kernel", "act_quant_kwargs"};
        components_required = {"qdata", "scale"};
        components_optional = {"per_tensor_scale", "act_per_tensor_scale"};
        break;
      case torchao_class::float8_tensor:
        required = {"block_size", "dtype"};
        optional = {"mm_config", "act_quant_kwargs", "kernel_preference"};
        components_required = {"qdata", "scale"};
        break;
      case torchao_class::int8_tensor:
        required = {"block_size", "dtype"};
        optional = {"act_quant_kwargs", "reduce_range"};
        components_required = {"qdata", "scale"};
        components_optional = {"zero_point", "act_quant_scale", "act_quant_zero_point", "act_pre_scale"};
        break;
      default:  // intx
        required = {"target_dtype", "block_size", "dtype"};
        optional = {"activation_quantization"};
        components_required = {"qdata", "scale", "zero_point"};
    }
    auto listed = [](const std::vector<std::string>& v, const std::string& k) {
      return std::find(v.begin(), v.end(), k) != v.end();
    };
    for (auto it = data.begin(); it != data.end(); ++it) {
      if (!listed(required, it.key()) && !listed(optional, it.key())) {
        fail(tname, "unknown attribute " + detail::quote_for_message(it.key()) + " of " + type);
      }
    }
    for (const auto& k : required) {
      if (!data.contains(k)) fail(tname, "attribute " + k + " of " + type + " is missing");
    }

    // Components.
    std::set<std::string> seen;
    for (const auto& n : m["_tensor_data_names"]) {
      if (!n.is_string()) fail(tname, "\"_tensor_data_names\" holds a non-string");
      const std::string attribute = n.get<std::string>();
      if (!listed(components_required, attribute) && !listed(components_optional, attribute)) {
        fail(tname, "unknown tensor attribute " + detail::quote_for_message(attribute) + " of " + type);
      }
      if (!seen.insert(attribute).second) fail(tname, "tensor attribute " + attribute + " is listed twice");
      const std::string entry_name = detail::torchao_entry_name(tname, attribute);
      t.components.push_back({attribute, claim(tname, entry_name, attribute, claimed)});
    }
    for (const auto& k : components_required) {
      if (!seen.count(k)) fail(tname, "tensor attribute " + k + " of " + type + " is missing from _tensor_data_names");
    }
    const tensor_entry& qdata = *t.component("qdata");
    const tensor_entry& scale = *t.component("scale");
    if (qdata.shape.empty()) fail(tname, "qdata is a 0-dim tensor");

    torchao_storage& s = t.storage;
    t.shape = qdata.shape;
    auto get = [&](const char* k) -> const json* { return data.contains(k) ? &data[k] : nullptr; };
    switch (*cls) {
      case torchao_class::mx_tensor: {
        s.family = torchao_storage_family::block_scaled;
        const json& e = data["elem_dtype"];
        if (e.is_string()) {
          const std::string es = e.get<std::string>();
          if (es == "fp6_e2m3") s.element = torchao_element::float6_e2m3fn;
          else if (es == "fp6_e3m2") s.element = torchao_element::float6_e3m2fn;
          else fail(tname, "elem_dtype " + detail::quote_for_message(es) + " is not an MX element");
        } else {
          const std::string es = torch_dtype(tname, "elem_dtype", e);
          if (es == "float8_e4m3fn") s.element = torchao_element::float8_e4m3fn;
          else if (es == "float8_e5m2") s.element = torchao_element::float8_e5m2;
          else if (es == "float4_e2m1fn_x2") s.element = torchao_element::float4_e2m1fn;
          else fail(tname, "elem_dtype torch." + es + " is not an MX element");
        }
        if (s.element == torchao_element::float4_e2m1fn) t.shape.back() *= 2;
        s.block_rows = 1;
        s.block_cols = positive(tname, "block_size", data["block_size"]);
        s.scale_dtype = io::dtype::f8_e8m0;
        a.dtype = float_dtype(tname, "orig_dtype", data["orig_dtype"]);
        if (const json* v = get("kernel_preference")) a.kernel_preference = enum_member(tname, "kernel_preference", "KernelPreference", *v);
        if (const json* v = get("act_quant_kwargs")) a.act_quant_kwargs = *v;
        if (const json* v = get("is_swizzled_scales")) a.is_swizzled_scales = boolean(tname, "is_swizzled_scales", *v);
        break;
      }
      case torchao_class::nvfp4_tensor:
        s.family = torchao_storage_family::nvfp4;
        s.element = torchao_element::float4_e2m1fn;
        t.shape.back() *= 2;
        s.block_rows = 1;
        s.block_cols = positive(tname, "block_size", data["block_size"]);
        s.scale_dtype = io::dtype::f8_e4m3;
        s.global_scale = t.component("per_tensor_scale") != nullptr;
        a.dtype = float_dtype(tname, "orig_dtype", data["orig_dtype"]);
        if (const json* v = get("is_swizzled_scales")) a.is_swizzled_scales = boolean(tname, "is_swizzled_scales", *v);
        if (const json* v = get("use_triton_kernel")) a.use_triton_kernel = boolean(tname, "use_triton_kernel", *v);
        if (const json* v = get("act_quant_kwargs")) a.act_quant_kwargs = *v;
        break;
      case torchao_class::float8_tensor:
        s.family = torchao_storage_family::float8;
        switch (qdata.dtype) {
          case io::dtype::f8_e4m3: s.element = torchao_element::float8_e4m3fn; break;
          case io::dtype::f8_e5m2: s.element = torchao_element::float8_e5m2; break;
          case io::dtype::f8_e4m3fnuz: s.element = torchao_element::float8_e4m3fnuz; break;
          case io::dtype::f8_e5m2fnuz: s.element = torchao_element::float8_e5m2fnuz; break;
          default: fail(tname, "qdata is " + std::string(io::name(qdata.dtype)) + ", not an FP8 dtype");
        }
        tile_of(tname, data["block_size"], t.shape, s);
        s.scale_dtype = io::dtype::f32;
        a.dtype = float_dtype(tname, "dtype", data["dtype"]);
        if (const json* v = get("mm_config")) a.mm_config = *v;
        if (const json* v = get("act_quant_kwargs")) a.act_quant_kwargs = *v;
        if (const json* v = get("kernel_preference")) a.kernel_preference = enum_member(tname, "kernel_preference", "KernelPreference", *v);
        break;
      case torchao_class::int8_tensor: {
        s.family = torchao_storage_family::affine;
        tile_of(tname, data["block_size"], t.shape, s);
        s.scale_dtype = io::dtype::f32;
        const bool reduce = get("reduce_range") ? boolean(tname, "reduce_range", data["reduce_range"]) : false;
        s.qmin = reduce ? -64 : -128;
        s.qmax = reduce ? 63 : 127;
        a.dtype = float_dtype(tname, "dtype", data["dtype"]);
        if (const json* v = get("act_quant_kwargs")) a.act_quant_kwargs = *v;
        a.has_zero_point = t.component("zero_point") != nullptr;
        break;
      }
      default: {  // intx
        s.family = torchao_storage_family::affine;
        tile_of(tname, data["block_size"], t.shape, s);
        const std::string target = torch_dtype(tname, "target_dtype", data["target_dtype"]);
        int bits = 0;
        for (int b = 1; b <= 8; ++b) {
          if (target == "int" + std::to_string(b)) bits = b;
        }
        if (bits == 0) fail(tname, "target_dtype torch." + target + " is not int1..int8");
        s.qmin = -(1 << (bits - 1));
        s.qmax = (1 << (bits - 1)) - 1;
        if (scale.dtype != io::dtype::f32 && scale.dtype != io::dtype::bf16 && scale.dtype != io::dtype::f16) {
          fail(tname, "scale is " + std::string(io::name(scale.dtype)) + ", not F32, BF16 or F16");
        }
        s.scale_dtype = scale.dtype;
        a.dtype = float_dtype(tname, "dtype", data["dtype"]);
        if (const json* v = get("activation_quantization")) a.activation_quantization = *v;
      }
    }
    if (a.is_swizzled_scales && t.shape.size() != 2) {
      fail(tname, "swizzled scales of a " + std::to_string(t.shape.size()) +
                      "-D tensor: ao unswizzles those of 2-D tensors only");
    }
    const std::uint64_t rows = t.rows(), cols = t.cols();
    if (s.block_cols == 0 || cols % s.block_cols != 0 || (s.block_rows != 0 && rows % s.block_rows != 0)) {
      fail(tname, "blocks of " + std::to_string(s.block_rows) + "x" + std::to_string(s.block_cols) +
                      " do not tile the shape " + detail::torchao_shape_string(t.shape));
    }
    if (s.element == torchao_element::float4_e2m1fn && s.block_cols % 2 != 0) fail(tname, "fp4 blocks must be even");

    // Every component's dtype and shape.
    const std::vector<std::uint64_t> scale_shape = detail::torchao_scale_shape(s, t.shape);
    check_entry(tname, "qdata", qdata, detail::torchao_qdata_dtype(s), detail::torchao_qdata_shape(s, t.shape));
    check_entry(tname, "scale", scale, s.scale_dtype,
                a.is_swizzled_scales ? detail::torchao_swizzled_scale_shape(s, t.shape) : scale_shape);
    for (const auto& c : t.components) {
      if (c.attribute == "zero_point") {
        if (c.entry.dtype != io::dtype::i8 && c.entry.dtype != io::dtype::i32) {
          fail(tname, "zero_point is " + std::string(io::name(c.entry.dtype)) + ", not I8 or I32");
        }
        a.zero_point_dtype = c.entry.dtype;
        check_entry(tname, "zero_point", c.entry, c.entry.dtype, scale_shape);
      } else if (c.attribute == "per_tensor_scale") {
        check_entry(tname, "per_tensor_scale", c.entry, io::dtype::f32, {});
      } else if (detail::torchao_is_extra(a.cls, c.attribute)) {
        a.extras.push_back({c.attribute, c.entry.dtype, c.entry.shape,
                            std::vector<std::uint8_t>(c.entry.bytes.begin(), c.entry.bytes.end())});
      }
    }
    if (s.family == torchao_storage_family::affine) {
      for (std::size_t i = 0; i < qdata.bytes.size; ++i) {
        const int code = static_cast<std::int8_t>(qdata.bytes.data[i]);
        if (code < s.qmin || code > s.qmax) {
          fail(tname, "qdata code " + std::to_string(code) + " (value " + std::to_string(i) + ") is outside [" +
                          std::to_string(s.qmin) + ", " + std::to_string(s.qmax) + "]");
        }
      }
    }
    t.format = registry_format(s, rows, cols);
    return t;
  }

  safetensors_file file_;
  std::vector<torchao_tensor> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<std::pair<std::string, std::string>> other_metadata_;
};

// Writes the torchao layout: what flatten_tensor_state_dict + safetensors.torch.save_file write for the same
// tensors. Owns copies of every byte it is given, except add_tensor_borrowed's.
//
// Streaming (a checkpoint larger than memory, or written as it is made): add_planned lays a quantized tensor out
// without its values; open() writes the header and every tensor that has its bytes, and the output's write()
// gives each planned tensor its values, in any order; commit() finishes the file.
//
//   w.add_planned<ao::mxfp4>("layers.0.mlp.weight", {4096, 4096}, attributes);
//   auto out = w.open("model.safetensors");
//   out.write("layers.0.mlp.weight", q);   // a quantized_tensor<ao::mxfp4> of that shape
//   out.commit();                          // the same bytes as add(q) + write()
class torchao_checkpoint_writer {
 public:
  // A quantized tensor named "<module>.<leaf>" (torchao_default_attributes<F>(dtype) gives torchao's defaults),
  // written with shape as_shape when given (see flatten). ao::error naming the tensor when the name was added, an
  // entry name collides, or flatten refuses it.
  // Pass std::move(q) to hand over its element data instead of copying it.
  template <class F>
  void add(const std::string& name, quantized_tensor<F> q, const torchao_attributes& attributes,
           const std::vector<std::uint64_t>& as_shape = {}) {
    if (attributes.cls == torchao_class::tensor) fail(name, "a quantized tensor needs a torchao class in its attributes");
    std::string meta;
    std::vector<torchao_entry> entries = flatten(name, std::move(q), attributes, meta, as_shape);
    add_entries(name, std::move(meta), std::move(entries), nullptr);
  }

  // A quantized tensor of format F whose values come later, through open()'s output (output::write), as a
  // quantized_tensor<F> of shape q_shape (unpadded). Checks and entries as add's (flatten_plan).
  template <class F>
  void add_planned(const std::string& name, const std::vector<std::size_t>& q_shape, const torchao_attributes& attributes,
                   const std::vector<std::uint64_t>& as_shape = {}) {
    if (attributes.cls == torchao_class::tensor) fail(name, "a quantized tensor needs a torchao class in its attributes");
    std::string meta;
    std::vector<torchao_entry> entries = flatten_plan<F>(name, q_shape, attributes, meta, as_shape);
    auto p = std::make_shared<planned>();  // shared with the outputs opened later
    p->type = std::type_index(typeid(F));
    p->format = display_name<F>();
    p->q_shape = q_shape;
    p->attributes = attributes;
    for (const auto& e : entries) p->entries.emplace_back(e.name, e.attribute);
    add_entries(name, std::move(meta), std::move(entries), p);
  }

  // A plain tensor, stored under its own name (bytes copied: row-major, little-endian).
  void add_tensor(const std::string& name, io::dtype t, std::vector<std::uint64_t> shape, const void* data,
                  std::size_t size) {
    add_plain(name, t, std::move(shape), data, size, false);
  }
  // The same, with the bytes borrowed, not copied: they must stay valid and unchanged until written.
  void add_tensor_borrowed(const std::string& name, io::dtype t, std::vector<std::uint64_t> shape, const void* data,
                           std::size_t size) {
    add_plain(name, t, std::move(shape), data, size, true);
  }

  // Another "__metadata__" key (not a tensor name, not "tensor_names"), written after the tensors' keys.
  void add_metadata(std::string key, std::string value) {
    if (key == "tensor_names" || names_.count(key) != 0) fail(key, "the metadata key is a tensor name or reserved");
    other_.emplace_back(std::move(key), std::move(value));
  }

  // "__metadata__": each tensor's entry in add order, the other keys, then "tensor_names" (json.dumps of the names
  // in add order). Keys listed in key_order come first, in that order (the order of a Python-written file is a
  // Rust HashMap's, arbitrary: pass the original file's metadata keys to reproduce it byte for byte).
  std::vector<std::pair<std::string, std::string>> metadata(const std::vector<std::string>& key_order = {}) const {
    std::vector<std::pair<std::string, std::string>> all = tensor_meta_;
    all.insert(all.end(), other_.begin(), other_.end());
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (const auto& kv : tensor_meta_) names.push_back(kv.first);
    all.emplace_back("tensor_names", detail::python_json_dumps(names));
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<bool> used(all.size(), false);
    for (const auto& k : key_order) {
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (!used[i] && all[i].first == k) {
          out.push_back(all[i]);
          used[i] = true;
        }
      }
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!used[i]) out.push_back(all[i]);
    }
    return out;
  }

  // A safetensors_writer holding every entry (borrowed from this writer: keep it alive until written); planned
  // tensors' entries are deferred (safetensors_writer::add_deferred).
  safetensors_writer safetensors(const std::vector<std::string>& key_order = {}) const {
    safetensors_writer w;
    for (const auto& e : entries_) {
      if (e->plan) {
        w.add_deferred(e->entry.name, e->entry.dtype, e->entry.shape);
      } else if (e->borrowed) {
        w.add(e->entry.name, e->entry.dtype, e->entry.shape, e->borrowed, e->borrowed_size);
      } else {
        w.add(e->entry.name, e->entry.dtype, e->entry.shape, e->entry.bytes.data(), e->entry.bytes.size());
      }
    }
    w.set_metadata(metadata(key_order));
    return w;
  }
  // The whole file in memory, or written at `path` (safetensors_writer::write). ao::error when a tensor was
  // added with add_planned (write those through open()).
  std::vector<std::uint8_t> to_bytes(const std::vector<std::string>& key_order = {}) const {
    return safetensors(key_order).to_bytes();
  }
  void write(const std::string& path, const std::vector<std::string>& key_order = {}) const {
    safetensors(key_order).write(path);
  }

 private:
  // What add_planned recorded of a tensor: enough for output::write to produce its entries' bytes.
  struct planned {
    std::type_index type = std::type_index(typeid(void));  // F
    std::string format;                                     // display_name<F>(), for messages
    std::vector<std::size_t> q_shape;
    torchao_attributes attributes;
    std::vector<std::pair<std::string, std::string>> entries;  // (entry name, attribute), in flatten_plan's order
  };

 public:
  // The file at `path` being written (safetensors_writer::output): header and every tensor with bytes written;
  // write() gives each planned tensor its values; commit() checks that all were given and renames the file into
  // place. Destroyed without commit(), it leaves `path` untouched. Independent of this writer once returned.
  class output {
   public:
    // The values of planned tensor `name`: q must be a quantized_tensor<F> of the planned format and shape.
    // ao::error naming the tensor when it was not planned, F or the shape differ, or it was written before.
    template <class F>
    void write(const std::string& name, const quantized_tensor<F>& q) {
      const std::string where = "torchao checkpoint: tensor " + detail::quote_for_message(name) + ": ";
      const auto it = planned_.find(name);
      if (it == planned_.end()) throw ao::error(where + "was not added with add_planned");
      const planned& p = *it->second;
      if (p.type != std::type_index(typeid(F))) {
        throw ao::error(where + "planned as " + p.format + ", given " + std::string(display_name<F>()));
      }
      if (q.shape() != p.q_shape || q.logical_cols() != q.stored_cols()) {
        throw ao::error(where + "planned with shape " + ao::detail::shape_string(p.q_shape) + ", given " +
                        ao::detail::shape_string(q.shape()) + (q.logical_cols() != q.stored_cols() ? " (padded)" : ""));
      }
      detail::torchao_check_absent_zero_points<F>(where, q, p.attributes);
      std::vector<std::uint8_t> scratch;
      for (const auto& [entry_name, attribute] : p.entries) {
        const auto bytes = detail::torchao_component_bytes<F>(where, attribute, q, p.attributes, scratch);
        file_.append(entry_name, bytes.first, bytes.second);
      }
    }
    void commit() { file_.commit(); }

   private:
    friend class torchao_checkpoint_writer;
    output(safetensors_writer::output file, std::map<std::string, std::shared_ptr<const planned>> p)
        : file_(std::move(file)), planned_(std::move(p)) {}
    safetensors_writer::output file_;
    std::map<std::string, std::shared_ptr<const planned>> planned_;
  };

  // Opens the output at `path` (safetensors_writer::open), metadata keys ordered as metadata(key_order).
  output open(const std::string& path, const std::vector<std::string>& key_order = {}) const {
    return output(safetensors(key_order).open(path), tensor_plans_);
  }

 private:
  struct stored {
    torchao_entry entry;
    const void* borrowed = nullptr;  // add_tensor_borrowed's bytes
    std::size_t borrowed_size = 0;
    bool plan = false;  // bytes come through output::write
  };

  [[noreturn]] static void fail(const std::string& name, const std::string& what) {
    throw ao::error("ao::io::torchao_checkpoint_writer: tensor " + detail::quote_for_message(name) + ": " + what);
  }
  void add_plain(const std::string& name, io::dtype t, std::vector<std::uint64_t> shape, const void* data,
                 std::size_t size, bool borrow) {
    const byte_size_result s = byte_size(t, shape);
    if (s.state != byte_size_result::status::ok || s.bytes != size) fail(name, "the byte count does not match the shape");
    if (data == nullptr && size != 0) fail(name, "data is null");
    torchao_entry e;
    e.name = name;
    e.dtype = t;
    e.shape = std::move(shape);
    if (!borrow) {
      const auto* p = static_cast<const std::uint8_t*>(data);
      e.bytes.assign(p, p + size);
    }
    std::vector<torchao_entry> entries;
    entries.push_back(std::move(e));
    add_entries(name, "{\"_type\": \"Tensor\"}", std::move(entries), nullptr, borrow ? data : nullptr, size);
  }
  void add_entries(const std::string& name, std::string meta, std::vector<torchao_entry> entries,
                   std::shared_ptr<const planned> plan, const void* borrowed = nullptr, std::size_t borrowed_size = 0) {
    if (name == "tensor_names" || names_.count(name) != 0) fail(name, "the name was added before, or is reserved");
    for (const auto& kv : other_) {
      if (kv.first == name) fail(name, "the name is a metadata key");
    }
    for (const auto& e : entries) {
      if (entry_names_.count(e.name) != 0) fail(name, "entry " + detail::quote_for_message(e.name) + " exists");
    }
    names_.insert(name);
    tensor_meta_.emplace_back(name, std::move(meta));
    if (plan) tensor_plans_.emplace(name, plan);
    for (auto& e : entries) {
      entry_names_.insert(e.name);
      auto st = std::make_unique<stored>();
      st->entry = std::move(e);
      st->borrowed = borrowed;
      st->borrowed_size = borrowed_size;
      st->plan = plan != nullptr;
      entries_.push_back(std::move(st));
    }
  }

  std::set<std::string> names_, entry_names_;
  std::vector<std::pair<std::string, std::string>> tensor_meta_, other_;
  std::vector<std::unique_ptr<stored>> entries_;
  std::map<std::string, std::shared_ptr<const planned>> tensor_plans_;
};

}  // namespace ao::io
