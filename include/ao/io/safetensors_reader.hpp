// ao/io/safetensors_reader.hpp: ao::io::safetensors_file, a validating safetensors reader over a memory-mapped
// file (or an in-memory copy). Needs nlohmann-json (header-only; Debian's nlohmann-json3-dev).
//
//   auto f = ao::io::safetensors_file::open("model.safetensors");   // maps, validates everything, or throws
//   for (const ao::io::tensor_entry& t : f) use(t.name, t.dtype, t.shape, t.bytes.data, t.bytes.size);
//   const ao::io::tensor_entry& w = f.at("layer.0.weight");         // ao::error naming the missing tensor
//
// The format (https://github.com/huggingface/safetensors): 8 bytes, a little-endian u64 N; N bytes of UTF-8
// JSON, an object mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (byte offsets
// into the data section) and an optional "__metadata__" object of strings; then the data section, the rest of
// the file, tensors row-major and little-endian.
//
// Validation: everything below is checked before open() returns; any violation throws ao::error whose message
// is "safetensors '<file>': [tensor '<name>': ]<rule>: <detail>" (docs/io.md lists the rules). No input makes
// the reader read outside the buffer, recurse without bound, or run longer than linear-ish time in its size
// (O(n log n) in the number of tensors). The rules are those of the safetensors Rust crate (safetensors/src/
// tensor.rs: SafeTensors::read_metadata and Metadata::validate), which the Python package and torch's
// safetensors.torch.load_file run; ao is stricter in three places, each marked "Stricter than safetensors":
// duplicate names, unknown keys in an entry, and "__metadata__": null.
//
// Lifetime: tensor_entry::bytes points into the file's bytes, owned (shared) by the safetensors_file and its
// copies; it stays valid while any copy of the safetensors_file lives. The bytes are read-only and carry no
// alignment guarantee beyond the file's own (Python's writer pads the header so the data starts at a multiple
// of 8 from the file's start; the mapping is page-aligned).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ao/error.hpp"
#include "ao/io/detail/json_text.hpp"
#include "ao/io/mapped_file.hpp"
#include "ao/io/safetensors_dtype.hpp"

namespace ao::io {

// A read-only byte range: [data, data + size). data may be null when size == 0.
struct byte_view {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  const std::uint8_t* begin() const noexcept { return data; }
  const std::uint8_t* end() const noexcept { return data + size; }
};

// One tensor of a validated file.
struct tensor_entry {
  std::string name;  // valid UTF-8 (may be empty, may contain any character JSON can escape)
  ao::io::dtype dtype = ao::io::dtype::u8;
  std::vector<std::uint64_t> shape;  // row-major dims; [] is a scalar
  std::uint64_t begin = 0, end = 0;  // data_offsets: bytes, relative to the start of the data section
  byte_view bytes;                   // the tensor's bytes in the file: end - begin of them

  // Number of elements (the product of the dims; it fits: the file holds elements x bits / 8 bytes).
  std::uint64_t numel() const noexcept {
    std::uint64_t n = 1;
    for (std::uint64_t d : shape) n *= d;
    return n;
  }
};

namespace detail {

// The header as parsed, before the offsets are checked against the file.
struct parsed_header {
  std::vector<tensor_entry> tensors;  // header order; bytes not set yet
  bool has_metadata = false;
  std::vector<std::pair<std::string, std::string>> metadata;  // file order
  std::map<std::string, std::size_t, std::less<>> index;      // name -> position in tensors
};

// What a SAX handler found wrong: the rule, the tensor (or none) and the detail.
struct header_violation {
  std::string rule;
  std::string tensor;
  bool has_tensor = false;
  std::string detail;
};

// A SAX handler for exactly the safetensors header schema: it records tensors and metadata in file order and
// stops at the first violation (returning false makes nlohmann's parser stop). Built on nlohmann's iterative
// parser: no recursion at any depth.
class safetensors_header_sax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  parsed_header result;
  header_violation violation;

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t) override { return scalar("a negative number"); }
  bool number_unsigned(number_unsigned_t v) override {
    if (state_ == state::in_shape) {
      current().shape.push_back(v);
      return true;
    }
    if (state_ == state::in_offsets) {
      if (offsets_seen_ == 2) {
        return fail("data_offsets.pair", true, "data_offsets has more than 2 elements (must be [begin, end])");
      }
      (offsets_seen_++ == 0 ? current().begin : current().end) = v;
      return true;
    }
    return scalar("a number");
  }
  bool number_float(number_float_t, const string_t& s) override {
    return scalar("the non-integer or out-of-range number " + s);
  }
  bool string(string_t& v) override {
    switch (state_) {
      case state::expect_dtype: {
        const auto t = dtype_from_name(v);
        if (!t) return fail("dtype.known", true, "unknown dtype " + quote_for_message(v));
        current().dtype = *t;
        state_ = state::in_entry;
        return true;
      }
      case state::expect_metadata_value:
        result.metadata.back().second = std::move(v);
        state_ = state::in_metadata;
        return true;
      default:
        return scalar("a string");
    }
  }
  bool binary(binary_t&) override { return scalar("binary data"); }

  bool start_object(std::size_t) override {
    switch (state_) {
      case state::start:
        state_ = state::in_top;
        return true;
      case state::expect_entry:
        state_ = state::in_entry;
        return true;
      case state::expect_metadata:
        state_ = state::in_metadata;
        return true;
      default:
        return scalar("an object");
    }
  }
  bool key(string_t& k) override {
    switch (state_) {
      case state::in_top:
        if (k == "__metadata__") {
          if (result.has_metadata) return fail("name.duplicate", false, "\"__metadata__\" appears twice");
          result.has_metadata = true;
          state_ = state::expect_metadata;
          return true;
        }
        // Stricter than safetensors: serde keeps one of two equal keys; a duplicate name is refused here.
        if (!result.index.emplace(k, result.tensors.size()).second) {
          result.tensors.emplace_back();  // so that the message can name it
          result.tensors.back().name = std::move(k);
          return fail("name.duplicate", true, "the name appears more than once in the header");
        }
        result.tensors.emplace_back();
        result.tensors.back().name = std::move(k);
        keys_seen_ = 0;
        state_ = state::expect_entry;
        return true;
      case state::in_entry: {
        unsigned bit = 0;
        state next = state::in_entry;
        if (k == "dtype") {
          bit = 1, next = state::expect_dtype;
        } else if (k == "shape") {
          bit = 2, next = state::expect_shape;
        } else if (k == "data_offsets") {
          bit = 4, next = state::expect_offsets;
        } else {
          // Stricter than safetensors: its TensorInfo ignores unknown keys; ao refuses them (a misspelt key
          // would otherwise pass silently).
          return fail("entry.keys", true,
                      "unknown key " + quote_for_message(k) + " (an entry has exactly dtype, shape and data_offsets)");
        }
        if (keys_seen_ & bit) return fail("entry.keys", true, "key \"" + std::string(k) + "\" appears twice");
        keys_seen_ |= bit;
        state_ = next;
        return true;
      }
      case state::in_metadata:
        // Stricter than safetensors: serde keeps one of two equal metadata keys; ao refuses them.
        if (!metadata_keys_.insert(k).second) {
          return fail("metadata.duplicate", false, "key " + quote_for_message(k) + " appears twice in __metadata__");
        }
        result.metadata.emplace_back(std::move(k), std::string());
        state_ = state::expect_metadata_value;
        return true;
      default:
        return fail("header.json", false, "unexpected key");  // not reachable: keys occur only in objects
    }
  }
  bool end_object() override {
    switch (state_) {
      case state::in_top:
        state_ = state::done;
        return true;
      case state::in_metadata:
        state_ = state::in_top;
        return true;
      case state::in_entry:
        if (keys_seen_ != 7) {
          std::string missing;
          if (!(keys_seen_ & 1)) missing += " dtype";
          if (!(keys_seen_ & 2)) missing += " shape";
          if (!(keys_seen_ & 4)) missing += " data_offsets";
          return fail("entry.keys", true, "missing key(s):" + missing);
        }
        state_ = state::in_top;
        return true;
      default:
        return fail("header.json", false, "unexpected end of object");  // not reachable
    }
  }
  bool start_array(std::size_t) override {
    if (state_ == state::expect_shape) {
      state_ = state::in_shape;
      return true;
    }
    if (state_ == state::expect_offsets) {
      state_ = state::in_offsets;
      offsets_seen_ = 0;
      return true;
    }
    return scalar("an array");
  }
  bool end_array() override {
    if (state_ == state::in_shape) {
      state_ = state::in_entry;
      return true;
    }
    if (state_ == state::in_offsets) {
      if (offsets_seen_ != 2) {
        return fail("data_offsets.pair", true,
                    "data_offsets has " + std::to_string(offsets_seen_) + " element(s) (must be [begin, end])");
      }
      state_ = state::in_entry;
      return true;
    }
    return fail("header.json", false, "unexpected end of array");  // not reachable
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& ex) override {
    // nlohmann's message quotes the last token read: keep it, it locates the error ("line 1, column 9").
    return fail("header.json", false, "not valid JSON at byte " + std::to_string(position) + ": " + ex.what());
  }

 private:
  enum class state : std::uint8_t {
    start,
    in_top,
    expect_entry,
    in_entry,
    expect_dtype,
    expect_shape,
    in_shape,
    expect_offsets,
    in_offsets,
    expect_metadata,
    in_metadata,
    expect_metadata_value,
    done
  };

  tensor_entry& current() { return result.tensors.back(); }

  bool fail(std::string rule, bool about_tensor, std::string detail) {
    violation.rule = std::move(rule);
    violation.has_tensor = about_tensor && !result.tensors.empty();
    if (violation.has_tensor) violation.tensor = result.tensors.back().name;
    violation.detail = std::move(detail);
    return false;
  }

  // A value (or the start of one) where the schema wants something else: the rule depends on where it is.
  bool scalar(const std::string& what) {
    switch (state_) {
      case state::start:
        return fail("header.object", false, "the header is " + what + ", not a JSON object");
      case state::expect_entry:
        return fail("entry.object", true, "the entry is " + what + ", not an object");
      case state::expect_dtype:
        return fail("dtype.known", true, "dtype is " + what + ", not a string");
      case state::expect_shape:
        return fail("shape.dims", true, "shape is " + what + ", not an array");
      case state::in_shape:
        return fail("shape.dims", true, "a dim is " + what + " (dims are integers in [0, 2^64))");
      case state::expect_offsets:
        return fail("data_offsets.pair", true, "data_offsets is " + what + ", not an array");
      case state::in_offsets:
        return fail("data_offsets.pair", true, "an offset is " + what + " (offsets are integers in [0, 2^64))");
      case state::expect_metadata:
        return fail("metadata.object", false, "__metadata__ is " + what + ", not an object of strings");
      case state::expect_metadata_value:
        return fail("metadata.object", false,
                    "the value of __metadata__ key " + quote_for_message(result.metadata.back().first) + " is " + what +
                        ", not a string");
      default:
        return fail("header.json", false, "unexpected " + what);  // not reachable
    }
  }

  state state_ = state::start;
  unsigned keys_seen_ = 0;  // bits: 1 dtype, 2 shape, 4 data_offsets
  unsigned offsets_seen_ = 0;
  std::set<std::string> metadata_keys_;
};

}  // namespace detail

// A validated safetensors file: its tensors in header order, lookup by name, and its metadata. Cheap to copy
// (the bytes are shared, immutable).
class safetensors_file {
 public:
  // Maps the file at `path` read-only and validates it. Throws ao::error (see the top of this header).
  static safetensors_file open(const std::string& path) {
    auto m = std::make_shared<mapped_file>(mapped_file::open(path));
    const std::uint8_t* p = m->data();
    const std::size_t n = m->size();
    return safetensors_file(std::shared_ptr<const void>(std::move(m)), p, n, path);
  }

  // Validates a copy of the n bytes at `data` (a whole file's content). `name_for_errors` names it in messages.
  // The copy makes the result independent of the caller's buffer.
  static safetensors_file from_bytes(const std::uint8_t* data, std::size_t n, std::string name_for_errors) {
    auto v = std::make_shared<std::vector<std::uint8_t>>(data, data + n);
    const std::uint8_t* p = v->data();
    return safetensors_file(std::shared_ptr<const void>(std::move(v)), p, n, std::move(name_for_errors));
  }

  // The path or the name given to from_bytes.
  const std::string& name() const noexcept { return name_; }

  // Tensors in header order (the order of the keys in the JSON; for files written by safetensors or ao, also
  // the order of their bytes in the data section).
  const std::vector<tensor_entry>& tensors() const noexcept { return header_.tensors; }
  std::size_t size() const noexcept { return header_.tensors.size(); }
  std::vector<tensor_entry>::const_iterator begin() const noexcept { return header_.tensors.begin(); }
  std::vector<tensor_entry>::const_iterator end() const noexcept { return header_.tensors.end(); }

  // The tensor called `tensor_name`, or nullptr.
  const tensor_entry* find(std::string_view tensor_name) const {
    const auto it = header_.index.find(tensor_name);
    return it == header_.index.end() ? nullptr : &header_.tensors[it->second];
  }
  // The tensor called `tensor_name`; throws ao::error naming the file and the tensor if there is none.
  const tensor_entry& at(std::string_view tensor_name) const {
    if (const tensor_entry* t = find(tensor_name)) return *t;
    throw error("safetensors '" + name_ + "': no tensor " + detail::quote_for_message(tensor_name));
  }
  bool contains(std::string_view tensor_name) const { return find(tensor_name) != nullptr; }

  // "__metadata__": whether the header has it, its entries in file order, and as a sorted map.
  bool has_metadata() const noexcept { return header_.has_metadata; }
  const std::vector<std::pair<std::string, std::string>>& metadata_entries() const noexcept { return header_.metadata; }
  std::map<std::string, std::string> metadata() const {
    return std::map<std::string, std::string>(header_.metadata.begin(), header_.metadata.end());
  }

  // The header length N (the first 8 bytes), the JSON text with its padding, and the data section.
  std::uint64_t header_size() const noexcept { return header_size_; }
  std::string_view header_text() const noexcept {
    return {reinterpret_cast<const char*>(bytes_) + 8, static_cast<std::size_t>(header_size_)};
  }
  byte_view data_section() const noexcept {
    return {bytes_ + 8 + header_size_, size_ - 8 - static_cast<std::size_t>(header_size_)};
  }
  // The whole file.
  byte_view file_bytes() const noexcept { return {bytes_, size_}; }

 private:
  safetensors_file(std::shared_ptr<const void> owner, const std::uint8_t* bytes, std::size_t size, std::string name)
      : owner_(std::move(owner)), bytes_(bytes), size_(size), name_(std::move(name)) {
    validate();
  }

  [[noreturn]] void fail(const std::string& rule, const std::string& detail) const {
    throw error("safetensors '" + name_ + "': " + rule + ": " + detail);
  }
  [[noreturn]] void fail(const tensor_entry& t, const std::string& rule, const std::string& detail) const {
    throw error("safetensors '" + name_ + "': tensor " + detail::quote_for_message(t.name) + ": " + rule + ": " +
                detail);
  }
  static std::string range(const tensor_entry& t) {
    return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
  }

  void validate() {
    // The header length: 8 bytes, little-endian, then N <= the bound, then 8 + N <= the file's size
    // (Rust: HeaderTooSmall, HeaderTooLarge, InvalidHeaderLength).
    if (size_ < 8) {
      fail("file.size", "the file is " + std::to_string(size_) + " bytes, shorter than the 8-byte header length");
    }
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes_[i];
    if (n > safetensors_max_header_size) {
      fail("header.max_size", "the header length " + std::to_string(n) + " exceeds the limit of " +
                                  std::to_string(safetensors_max_header_size) + " bytes");
    }
    if (n > size_ - 8) {
      fail("header.length", "the header length " + std::to_string(n) + " runs past the end of the file (" +
                                std::to_string(size_) + " bytes, so at most " + std::to_string(size_ - 8) + ")");
    }
    header_size_ = n;
    const auto* text = bytes_ + 8;
    const auto len = static_cast<std::size_t>(n);

    // UTF-8 (Rust: InvalidHeader, from str::from_utf8 of the whole header), no NUL byte (see find_nul), the
    // depth bound (ao's), then the JSON and the schema (Rust: InvalidHeaderDeserialization). JSON whitespace before and after the object
    // is allowed (writers pad with spaces); anything else after it is not.
    if (const std::size_t bad = detail::find_invalid_utf8(text, len); bad != detail::npos) {
      fail("header.utf8", "the header is not valid UTF-8 (byte " + std::to_string(bad) + " of the header)");
    }
    if (const std::size_t nul = detail::find_nul(text, len); nul != detail::npos) {
      fail("header.json", "not valid JSON: a NUL byte at byte " + std::to_string(nul) + " of the header");
    }
    if (const std::size_t deep = detail::find_depth_over(text, len, safetensors_max_json_depth); deep != detail::npos) {
      fail("header.depth", "the JSON nests deeper than " + std::to_string(safetensors_max_json_depth) +
                               " levels (at byte " + std::to_string(deep) + " of the header)");
    }
    detail::safetensors_header_sax sax;
    bool ok = false;
    try {
      ok = nlohmann::json::sax_parse(text, text + len, &sax, nlohmann::json::input_format_t::json,
                                     /*strict=*/true, /*ignore_comments=*/false);
    } catch (const nlohmann::json::exception& e) {  // not expected (SAX reports errors by parse_error)
      fail("header.json", std::string("not valid JSON: ") + e.what());
    }
    if (!ok) {
      const auto& v = sax.violation;
      if (v.has_tensor) {
        throw error("safetensors '" + name_ + "': tensor " + detail::quote_for_message(v.tensor) + ": " + v.rule +
                    ": " + v.detail);
      }
      fail(v.rule.empty() ? "header.json" : v.rule, v.detail);
    }
    header_ = std::move(sax.result);

    // Each tensor: end >= begin, its byte size from dtype and shape (overflow-checked, whole bytes) equals
    // end - begin, and the range lies in the data section (Rust: InvalidOffset, ValidationOverflow,
    // MisalignedSlice, TensorInvalidInfo, MetadataIncompleteBuffer).
    const std::uint64_t data_size = size_ - 8 - n;
    const std::uint8_t* data = bytes_ + 8 + len;
    for (tensor_entry& t : header_.tensors) {
      if (t.end < t.begin) fail(t, "data_offsets.order", "data_offsets " + range(t) + " ends before it begins");
      const byte_size_result s = byte_size(t.dtype, t.shape);
      if (s.state == byte_size_result::status::overflow) {
        fail(t, "shape.overflow", "the product of the dims times the dtype's bits overflows 64 bits");
      }
      if (s.state == byte_size_result::status::partial_byte) {
        fail(t, "shape.partial_byte",
             std::to_string(s.elements) + " elements of " + std::string(io::name(t.dtype)) + " (" +
                 std::to_string(element_bits(t.dtype)) + " bits) are not a whole number of bytes");
      }
      if (t.end - t.begin != s.bytes) {
        fail(t, "data_offsets.size",
             "data_offsets " + range(t) + " hold " + std::to_string(t.end - t.begin) + " bytes, but " +
                 std::to_string(s.elements) + " elements of " + std::string(io::name(t.dtype)) + " need " +
                 std::to_string(s.bytes));
      }
      if (t.end > data_size) {
        fail(t, "data_offsets.bounds",
             "data_offsets " + range(t) + " run past the data section (" + std::to_string(data_size) + " bytes)");
      }
      t.bytes = {data + t.begin, static_cast<std::size_t>(t.end - t.begin)};
    }

    // The ranges, sorted by (begin, end), tile the data section: the first begins at 0, each begins where the
    // previous ends, the last ends at the end of the file. The header's key order does not matter (the Rust
    // crate sorts by offsets too, and accepts any key order: older writers sorted by name only).
    std::vector<std::size_t> order(header_.tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const tensor_entry& x = header_.tensors[a];
      const tensor_entry& y = header_.tensors[b];
      return x.begin != y.begin ? x.begin < y.begin : (x.end != y.end ? x.end < y.end : a < b);
    });
    std::uint64_t at = 0;
    const tensor_entry* previous = nullptr;
    for (std::size_t i : order) {
      const tensor_entry& t = header_.tensors[i];
      if (t.begin > at) {
        fail(t, "data_offsets.gap",
             "data_offsets " + range(t) + " leave bytes [" + std::to_string(at) + ", " + std::to_string(t.begin) +
                 ") of the data section to no tensor");
      }
      if (t.begin < at) {
        fail(t, "data_offsets.overlap",
             "data_offsets " + range(t) + " overlap those of tensor " + detail::quote_for_message(previous->name) +
                 " " + range(*previous));
      }
      at = t.end;
      previous = &t;
    }
    if (at != data_size) {
      fail("data_offsets.coverage", "the tensors cover " + std::to_string(at) +
                                        " bytes of the data section, which is " + std::to_string(data_size) +
                                        " bytes (the rest belongs to no tensor)");
    }
  }

  std::shared_ptr<const void> owner_;  // keeps the bytes alive: a mapped_file or a std::vector<std::uint8_t>
  const std::uint8_t* bytes_ = nullptr;
  std::size_t size_ = 0;
  std::string name_;
  std::uint64_t header_size_ = 0;
  detail::parsed_header header_;
};

}  // namespace ao::io
