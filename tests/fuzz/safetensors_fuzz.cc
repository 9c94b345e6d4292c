// libFuzzer target: ao's validating safetensors reader and torchao checkpoint parser on arbitrary bytes.
//
// Build and run: ./scripts/fuzz [SECONDS] (clang++-14, -fsanitize=fuzzer,address,undefined; docs/testing.md,
// "Fuzzing"). Seeds: tests/fuzz/corpus/safetensors/ (tests/fuzz/make_corpus.cc writes them).
//
// For every input:
//   1. ao::io::safetensors_file::from_bytes parses it (the same validation as open(): both construct through one
//      private constructor). ao::error is the expected rejection of a bad file; anything else escaping is a bug.
//   2. An independent model of the rules (model_parse: nlohmann's DOM parser, none of ao's helpers) must agree:
//      ao accepts exactly the files the model accepts, with the same tensors (name, dtype, shape, offsets) and
//      metadata in the same order.
//   3. If it was accepted, the invariants the reader promises are checked (each view lies in the data section and
//      holds byte_size(dtype, shape) bytes, the views tile the data section, find() finds every name, the header
//      text is the declared length) and every byte of every tensor is read, so that a view past the buffer is an
//      ASan report. The accepted file is written again with ao's writer and must read back equal.
//   4. torchao_checkpoint parses the same file (ao::error again the expected rejection); every component's bytes
//      are read; each tensor with a registry format is visit()ed (to_quantized<F>) and, when it has at most
//      kMaxDequantValues values, dequantized with the scalar backend (AO_DISABLE_HIGHWAY: no Highway here);
//      flatten<F> must give back the entries it was read from.
// A violated invariant prints what and aborts (a libFuzzer crash). ASan, UBSan (no recovery), leaks, an
// uncaught exception, a timeout (-timeout) or an allocation over -malloc_limit_mb are findings as well.
#ifndef AO_DISABLE_HIGHWAY
#define AO_DISABLE_HIGHWAY 1
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "ao/backend.hpp"
#include "ao/error.hpp"
#include "ao/io/safetensors.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/view.hpp"

namespace {

// At most this many values are dequantized per tensor (inputs are at most -max_len bytes, so this bounds the
// work per tensor without skipping the tensors a small file can hold).
constexpr std::size_t kMaxDequantValues = std::size_t{1} << 17;

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "safetensors_fuzz: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}
#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) bug(std::string(#cond) + " (line " + std::to_string(__LINE__) + ")"); \
  } while (0)

// Reads every byte of [p, p + n): ASan reports any of them outside live memory.
std::uint64_t touch(const std::uint8_t* p, std::size_t n) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += p[i];
  return sum;
}

bool within(const ao::io::byte_view& inner, const ao::io::byte_view& outer) {
  if (inner.size == 0) return true;
  return inner.data >= outer.data && inner.size <= outer.size &&
         static_cast<std::size_t>(inner.data - outer.data) <= outer.size - inner.size;
}

volatile std::uint64_t g_sink;  // keeps the sums (and so the reads) alive

void check_file(const ao::io::safetensors_file& f, const std::uint8_t* data, std::size_t size) {
  const ao::io::byte_view file = f.file_bytes();
  FUZZ_CHECK(file.size == size);
  FUZZ_CHECK(file.size == 0 || std::memcmp(file.data, data, size) == 0);
  FUZZ_CHECK(f.header_size() + 8 <= file.size);
  FUZZ_CHECK(f.header_text().size() == f.header_size());
  const ao::io::byte_view ds = f.data_section();
  FUZZ_CHECK(ds.size == file.size - 8 - f.header_size());
  std::uint64_t covered = 0, sum = touch(file.data, file.size);
  for (const ao::io::tensor_entry& t : f) {
    FUZZ_CHECK(f.find(t.name) == &t);
    FUZZ_CHECK(t.end >= t.begin && t.end <= ds.size);
    FUZZ_CHECK(t.bytes.size == t.end - t.begin);
    FUZZ_CHECK(within(t.bytes, ds));
    FUZZ_CHECK(t.bytes.size == 0 || t.bytes.data == ds.data + t.begin);
    const ao::io::byte_size_result s = ao::io::byte_size(t.dtype, t.shape);
    FUZZ_CHECK(s.state == ao::io::byte_size_result::status::ok && s.bytes == t.bytes.size);
    FUZZ_CHECK(s.elements == t.numel());
    FUZZ_CHECK(ao::io::detail::is_valid_utf8(t.name));
    covered += t.bytes.size;
    sum += touch(t.bytes.data, t.bytes.size);
  }
  FUZZ_CHECK(covered == ds.size);  // the ranges tile the data section: no gap, no overlap, no trailing bytes
  for (const auto& kv : f.metadata_entries()) {
    FUZZ_CHECK(ao::io::detail::is_valid_utf8(kv.first) && ao::io::detail::is_valid_utf8(kv.second));
  }
  g_sink = sum;
}

// An independent model of the format's rules (docs/io.md, "Validation rules"), built on nlohmann's DOM parser
// instead of ao's SAX handler and written without ao's helpers: the file is valid iff this returns a header. The
// fuzzer checks that ao accepts exactly the files the model accepts, and reads the same tensors and metadata.
// (Both share nlohmann's lexer; NUL bytes, which end its input early, are refused before either parses.)
struct model_tensor {
  std::string name, dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0, end = 0;
};
struct model_header {
  std::vector<model_tensor> tensors;  // header order
  bool has_metadata = false;
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Bits of an element of the named dtype; 0 for an unknown name.
std::uint64_t model_bits(const std::string& d) {
  static const std::pair<const char*, std::uint64_t> table[] = {
      {"BOOL", 8},    {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6},     {"U8", 8},          {"I8", 8},
      {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"I16", 16},
      {"U16", 16},    {"F16", 16},    {"BF16", 16},   {"I32", 32},        {"U32", 32},        {"F32", 32},
      {"C64", 64},    {"F64", 64},    {"I64", 64},    {"U64", 64}};
  for (const auto& e : table) {
    if (d == e.first) return e.second;
  }
  return 0;
}

std::optional<model_header> model_parse(const std::uint8_t* data, std::size_t size) {
  using json = nlohmann::ordered_json;
  if (size < 8) return std::nullopt;
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(data[i]) << (8 * i);
  if (n > 100000000 || n > size - 8) return std::nullopt;
  const std::uint8_t* text = data + 8;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (text[i] == 0) return std::nullopt;
  }
  // Duplicate keys in any object (the DOM keeps one of them): the parser's callback sees every key.
  std::vector<std::vector<std::string>> keys;
  bool duplicate = false;
  auto cb = [&](int, json::parse_event_t e, json& v) {
    if (e == json::parse_event_t::object_start) keys.emplace_back();
    if (e == json::parse_event_t::object_end) keys.pop_back();
    if (e == json::parse_event_t::key) {
      const std::string& k = v.get_ref<const std::string&>();
      for (const std::string& o : keys.back()) duplicate = duplicate || o == k;
      keys.back().push_back(k);
    }
    return true;
  };
  const json h = json::parse(text, text + n, cb, /*allow_exceptions=*/false);
  if (h.is_discarded() || duplicate || !h.is_object()) return std::nullopt;
  // Depth: [ and { nest at most 64 levels (the top object is level 1).
  std::vector<std::pair<const json*, std::size_t>> stack{{&h, 1}};
  while (!stack.empty()) {
    const auto [v, depth] = stack.back();
    stack.pop_back();
    if (v->is_structured()) {
      if (depth > 64) return std::nullopt;
      for (const json& c : *v) stack.emplace_back(&c, depth + 1);
    }
  }
  model_header out;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const json& v = it.value();
    if (it.key() == "__metadata__") {
      if (!v.is_object()) return std::nullopt;
      out.has_metadata = true;
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) return std::nullopt;
        out.metadata.emplace_back(m.key(), m.value().get<std::string>());
      }
      continue;
    }
    if (!v.is_object() || v.size() != 3 || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets")) {
      return std::nullopt;
    }
    model_tensor t;
    t.name = it.key();
    if (!v["dtype"].is_string()) return std::nullopt;
    t.dtype = v["dtype"].get<std::string>();
    if (model_bits(t.dtype) == 0 || !v["shape"].is_array()) return std::nullopt;
    for (const json& d : v["shape"]) {
      if (!d.is_number_unsigned()) return std::nullopt;
      t.shape.push_back(d.get<std::uint64_t>());
    }
    const json& o = v["data_offsets"];
    if (!o.is_array() || o.size() != 2 || !o[0].is_number_unsigned() || !o[1].is_number_unsigned()) {
      return std::nullopt;
    }
    t.begin = o[0].get<std::uint64_t>();
    t.end = o[1].get<std::uint64_t>();
    out.tensors.push_back(std::move(t));
  }
  const std::uint64_t data_size = size - 8 - n;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const model_tensor& t : out.tensors) {
    if (t.end < t.begin) return std::nullopt;
    std::uint64_t elements = 1, bits = 0;
    for (std::uint64_t d : t.shape) {
      if (__builtin_mul_overflow(elements, d, &elements)) return std::nullopt;
    }
    if (__builtin_mul_overflow(elements, model_bits(t.dtype), &bits) || bits % 8 != 0) return std::nullopt;
    if (t.end - t.begin != bits / 8 || t.end > data_size) return std::nullopt;
    ranges.emplace_back(t.begin, t.end);
  }
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t at = 0;
  for (const auto& r : ranges) {
    if (r.first != at) return std::nullopt;  // a gap or an overlap
    at = r.second;
  }
  if (at != data_size) return std::nullopt;
  return out;
}

// ao's verdict against the model's.
void check_model(const std::optional<ao::io::safetensors_file>& f, const std::string& ao_error,
                 const std::uint8_t* data, std::size_t size) {
  const std::optional<model_header> m = model_parse(data, size);
  if (f.has_value() != m.has_value()) {
    bug(f ? "ao accepted a file the model refuses" : "ao refused a file the model accepts: " + ao_error);
  }
  if (!f) return;
  FUZZ_CHECK(f->size() == m->tensors.size());
  for (std::size_t i = 0; i < m->tensors.size(); ++i) {
    const ao::io::tensor_entry& a = f->tensors()[i];
    const model_tensor& b = m->tensors[i];
    FUZZ_CHECK(a.name == b.name && ao::io::name(a.dtype) == b.dtype && a.shape == b.shape);
    FUZZ_CHECK(a.begin == b.begin && a.end == b.end);
  }
  FUZZ_CHECK(f->has_metadata() == m->has_metadata && f->metadata_entries() == m->metadata);
}

// What the reader accepted, ao's writer must write, and the reader must read back the same.
void check_round_trip(const ao::io::safetensors_file& f) {
  ao::io::safetensors_writer w;
  for (const ao::io::tensor_entry& t : f) w.add(t.name, t.dtype, t.shape, t.bytes.data, t.bytes.size);
  if (f.has_metadata()) w.set_metadata(f.metadata_entries());
  const std::vector<std::uint8_t> again = w.to_bytes();
  const auto g = ao::io::safetensors_file::from_bytes(again.data(), again.size(), "round trip");
  FUZZ_CHECK(g.size() == f.size());
  FUZZ_CHECK(g.has_metadata() == f.has_metadata() && g.metadata_entries() == f.metadata_entries());
  for (const ao::io::tensor_entry& t : f) {
    const ao::io::tensor_entry* u = g.find(t.name);
    FUZZ_CHECK(u != nullptr && u->dtype == t.dtype && u->shape == t.shape && u->bytes.size == t.bytes.size);
    FUZZ_CHECK(t.bytes.size == 0 || std::memcmp(u->bytes.data, t.bytes.data, t.bytes.size) == 0);
  }
}

template <class F>
void dequantize_small(const ao::quantized_tensor<F>& q, ao::io::dtype out) {
  const std::size_t rows = q.rows(), cols = q.stored_cols();
  if (rows == 0 || cols == 0 || cols > kMaxDequantValues / rows) return;
  if (out == ao::io::dtype::bf16) {
    std::vector<ao::bfloat16> b(rows * cols);
    ao::dequantize(q.cview(), ao::strided_view<ao::bfloat16, 2>(b.data(), {rows, cols}), ao::backend::scalar{});
  } else {
    std::vector<float> r(rows * cols);
    ao::dequantize(q.cview(), ao::strided_view<float, 2>(r.data(), {rows, cols}), ao::backend::scalar{});
    std::uint64_t sum = 0;
    for (float v : r) sum += static_cast<std::uint64_t>(v != v);  // read every value
    g_sink = sum;
  }
}

void check_checkpoint(const ao::io::safetensors_file& f) {
  std::optional<ao::io::torchao_checkpoint> ckpt;
  try {
    ckpt.emplace(f);
  } catch (const ao::error&) {
    return;  // not a torchao checkpoint, or a broken one
  }
  std::uint64_t sum = 0;
  for (const ao::io::torchao_tensor& t : *ckpt) {
    FUZZ_CHECK(ckpt->find(t.name) == &t);
    for (const ao::io::torchao_component& c : t.components) {
      FUZZ_CHECK(within(c.entry.bytes, f.data_section()));
      sum += touch(c.entry.bytes.data, c.entry.bytes.size);
    }
    if (!t.format) continue;
    // The parser accepted the tensor and found its registry format, so to_quantized<F>, flatten<F> and dequantize
    // must all take it: an ao::error from any of them reaches LLVMFuzzerTestOneInput's handler, a finding.
    ckpt->visit(t.name, [&](auto&& q) {
      // Flattened back, the tensor gives the entries it was read from (in torchao's order, which the file need not
      // follow): same names, dtypes and shapes, and the same bytes except swizzled scales (padding is not kept).
      std::string meta;
      const std::vector<ao::io::torchao_entry> back = ao::io::flatten(t.name, q, t.attributes, meta);
      FUZZ_CHECK(back.size() == t.components.size());
      for (const ao::io::torchao_component& c : t.components) {
        const ao::io::tensor_entry& e = c.entry;
        const ao::io::torchao_entry* b = nullptr;
        for (const auto& x : back) b = x.name == e.name ? &x : b;
        FUZZ_CHECK(b != nullptr && b->dtype == e.dtype && b->shape == e.shape && b->bytes.size() == e.bytes.size);
        const bool swizzled = t.attributes.is_swizzled_scales && c.attribute == "scale";
        FUZZ_CHECK(swizzled || e.bytes.size == 0 || std::memcmp(b->bytes.data(), e.bytes.data, e.bytes.size) == 0);
      }
      dequantize_small(q, t.attributes.dtype);
    });
  }
  g_sink = sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    std::optional<ao::io::safetensors_file> f;
    std::string refused;
    try {
      f.emplace(ao::io::safetensors_file::from_bytes(data, size, "fuzz.safetensors"));
    } catch (const ao::error& e) {
      refused = e.what();  // the expected rejection of a bad file
    }
    check_model(f, refused, data, size);
    if (!f) return 0;
    check_file(*f, data, size);
    check_round_trip(*f);
    check_checkpoint(*f);
  } catch (const ao::error& e) {
    bug(std::string("ao::error from a check after the file was accepted: ") + e.what());
  } catch (const std::exception& e) {
    bug(std::string("an exception other than ao::error: ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    bug("an exception of unknown type");
  }
  return 0;
}
