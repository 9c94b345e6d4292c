// Writes the seed corpus of the safetensors fuzzer (tests/fuzz/safetensors_fuzz.cc) into a directory: small valid
// safetensors files and torchao checkpoints (written by ao's writers, so byte for byte what torchao would write for
// the same tensors), and broken ones, one per validation rule and then some. The files are checked in
// (tests/fuzz/corpus/safetensors/) so that CI does not build this; rerun it after changing it:
//
//   clang++-14 -std=c++17 -O1 -DAO_DISABLE_HIGHWAY -Iinclude tests/fuzz/make_corpus.cc -o build-fuzz/make_corpus
//   rm -f tests/fuzz/corpus/safetensors/* && build-fuzz/make_corpus tests/fuzz/corpus/safetensors
//
// Each file is under 4 KiB but one (a 128x128 FP8 tensor in 128x128 blocks: 16 KiB); the directory stays far
// below 200 KiB, and every file below the fuzzer's -max_len (64 KiB). Names say what a file is: valid_*, ckpt_* (valid
// checkpoints), bad_* (the reader must refuse it; the rule it breaks is in the name), ckpt_bad_* (a valid safetensors
// file that the checkpoint parser must refuse).
#ifndef AO_DISABLE_HIGHWAY
#define AO_DISABLE_HIGHWAY 1
#endif

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ao/formats/registry.hpp"
#include "ao/io/safetensors.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

namespace {

namespace io = ao::io;
using bytes = std::vector<std::uint8_t>;

std::string g_dir;
int g_count = 0;

void save(const std::string& name, const bytes& b) {
  const std::string path = g_dir + "/" + name + ".safetensors";
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!f) {
    std::fprintf(stderr, "make_corpus: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  ++g_count;
}

// Whether the reader accepts b (and, for checkpoints, the torchao parser): a sanity check of each file's name.
bool reads(const bytes& b) {
  try {
    (void)io::safetensors_file::from_bytes(b.data(), b.size(), "corpus");
    return true;
  } catch (const ao::error&) {
    return false;
  }
}
bool reads_checkpoint(const bytes& b) {
  try {
    io::torchao_checkpoint c(io::safetensors_file::from_bytes(b.data(), b.size(), "corpus"));
    return true;
  } catch (const ao::error&) {
    return false;
  }
}
void expect(bool ok, const std::string& name) {
  if (!ok) {
    std::fprintf(stderr, "make_corpus: %s is not what its name says\n", name.c_str());
    std::exit(1);
  }
}
void save_valid(const std::string& name, const bytes& b) {
  expect(reads(b), name);
  save(name, b);
}
void save_bad(const std::string& name, const bytes& b) {
  expect(!reads(b), name);
  save(name, b);
}
void save_checkpoint(const std::string& name, const bytes& b) {
  expect(reads_checkpoint(b), name);
  save(name, b);
}
void save_bad_checkpoint(const std::string& name, const bytes& b) {
  expect(reads(b) && !reads_checkpoint(b), name);
  save(name, b);
}

// 8-byte little-endian length (the header's size unless given), the header text as is, then data.
bytes make_file(const std::string& header, const bytes& data = {}, std::uint64_t length = ~std::uint64_t{0}) {
  const std::uint64_t n = length == ~std::uint64_t{0} ? header.size() : length;
  bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

bytes iota_bytes(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return b;
}

// Weights with some structure: a ramp, a sine, a few outliers, zeros, signed values.
std::vector<float> weights(std::size_t n, unsigned seed) {
  std::vector<float> w(n);
  for (std::size_t i = 0; i < n; ++i) {
    w[i] = 0.05f * std::sin(0.37f * static_cast<float>(i + seed)) + 0.001f * static_cast<float>((i * 13 + seed) % 17);
    if (i % 29 == 3) w[i] *= -40.0f;
    if (i % 31 == 7) w[i] = 0.0f;
  }
  return w;
}

// A checkpoint of one quantized weight "layer.weight" of format F (rows x cols, or the given shape) and a plain
// bias "layer.bias", in torchao's layout.
template <class F>
io::torchao_checkpoint_writer checkpoint(std::vector<std::size_t> shape, io::dtype dtype, bool swizzled = false) {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  const std::vector<float> w = weights(n, 1);
  const std::size_t cols = shape.back(), rows = n / cols;
  ao::quantized_tensor<F> q = ao::quantized_tensor<F>::allocate(shape);
  ao::quantize<F>(ao::strided_view<const float, 2>(w.data(), {rows, cols}), q.view(), ao::backend::scalar{});
  io::torchao_attributes a = io::torchao_default_attributes<F>(dtype);
  a.is_swizzled_scales = swizzled;
  io::torchao_checkpoint_writer out;
  out.add("layer.weight", q, a);
  const bytes bias = iota_bytes(2 * rows);
  out.add_tensor("layer.bias", io::dtype::bf16, {rows}, bias.data(), bias.size());
  return out;
}

// The checkpoint's bytes with `edit` applied to its metadata entries (the entries themselves unchanged).
bytes with_metadata(const io::torchao_checkpoint_writer& c,
                    const std::function<void(std::vector<std::pair<std::string, std::string>>&)>& edit) {
  io::safetensors_writer w = c.safetensors();
  auto m = c.metadata();
  edit(m);
  w.set_metadata(m);
  return w.to_bytes();
}
std::string& meta(std::vector<std::pair<std::string, std::string>>& m, const std::string& key) {
  for (auto& kv : m) {
    if (kv.first == key) return kv.second;
  }
  std::fprintf(stderr, "make_corpus: no metadata key %s\n", key.c_str());
  std::exit(1);
}
void replace(std::string& s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos) {
    std::fprintf(stderr, "make_corpus: '%s' not in '%s'\n", from.c_str(), s.c_str());
    std::exit(1);
  }
  s.replace(at, from.size(), to);
}

// The small valid file of the error tests: two tensors and metadata.
bytes two_tensors() {
  static const bytes a = iota_bytes(24), b = iota_bytes(6);
  io::safetensors_writer w;
  w.add("weight", io::dtype::f32, {2, 3}, a.data(), a.size());
  w.add("codes", io::dtype::u8, {6}, b.data(), b.size());
  w.set_metadata(std::vector<std::pair<std::string, std::string>>{{"format", "pt"}});
  return w.to_bytes();
}

void valid_files() {
  save_valid("valid_two_tensors", two_tensors());
  save_valid("valid_empty_header", make_file("{}      "));
  save_valid("valid_empty_header_unpadded", make_file("{}"));
  save_valid("valid_metadata_only", make_file(R"({"__metadata__":{"format":"pt","k":"v\u00e9\n"}})"));

  // One small tensor of every dtype (F4: 4 codes in 2 bytes; F6: 4 codes in 3 bytes), a scalar, empty tensors.
  {
    io::safetensors_writer w;
    std::vector<bytes> keep;
    for (io::dtype t : io::all_dtypes) {
      const std::vector<std::uint64_t> shape = io::element_bits(t) == 4   ? std::vector<std::uint64_t>{4}
                                               : io::element_bits(t) == 6 ? std::vector<std::uint64_t>{2, 4}
                                                                          : std::vector<std::uint64_t>{3};
      keep.push_back(iota_bytes(io::byte_size(t, shape).bytes));
      w.add("t_" + std::string(io::name(t)), t, shape, keep.back().data(), keep.back().size());
    }
    static const bytes four = iota_bytes(4);
    w.add("scalar", io::dtype::f32, {}, four.data(), 4);
    w.add("empty", io::dtype::bf16, {0, 3}, nullptr, 0);
    w.add("empty_huge_dims", io::dtype::f64, {0, 18446744073709551615ull, 7}, nullptr, 0);
    w.add("", io::dtype::u8, {1}, four.data(), 1);
    w.set_metadata(std::vector<std::pair<std::string, std::string>>{{"format", "pt"}, {"", ""}});
    save_valid("valid_all_dtypes", w.to_bytes());
  }

  // What another writer may produce: keys out of offset order, no padding, whitespace around the JSON and inside,
  // escaped and non-ASCII names, metadata last.
  save_valid(
      "valid_foreign_order",
      make_file(" \t\n{ \"b\\u00e9\\n\" : { \"data_offsets\" : [ 4 , 8 ] , \"shape\" : [ 2 ] , \"dtype\" : \"BF16\" } ,"
                " \"a\\\"\\\\\" : {\"shape\":[],\"dtype\":\"F32\",\"data_offsets\":[0,4]},"
                " \"\xe6\x97\xa5\xf0\x9f\x98\x80\" : {\"dtype\":\"BOOL\",\"shape\":[1,1],\"data_offsets\":[8,9]},"
                " \"__metadata__\" : { \"x\" : \"\\ud83d\\ude00\" } }\r\n",
                iota_bytes(9)));

  // torchao checkpoints: every class ao reads, written by ao's torchao writer (what torchao writes).
  using bf = std::vector<std::size_t>;
  save_checkpoint("ckpt_mxfp4_bf16", checkpoint<ao::mxfp4>(bf{4, 64}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_mxfp8_e4m3_f32", checkpoint<ao::mxfp8_e4m3>(bf{2, 32}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_mxfp8_e5m2_swizzled", checkpoint<ao::mxfp8_e5m2>(bf{2, 64}, io::dtype::bf16, true).to_bytes());
  save_checkpoint("ckpt_mxfp6_e2m3_3d", checkpoint<ao::mxfp6_e2m3>(bf{2, 2, 32}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_mxfp6_e3m2", checkpoint<ao::mxfp6_e3m2>(bf{1, 32}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_nvfp4", checkpoint<ao::nvfp4>(bf{2, 32}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_nvfp4_global_scale", checkpoint<ao::nvfp4_global_scale>(bf{4, 16}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_nvfp4_swizzled", checkpoint<ao::nvfp4>(bf{1, 64}, io::dtype::f32, true).to_bytes());
  save_checkpoint("ckpt_float8_e4m3_per_row",
                  checkpoint<ao::float8_e4m3_per_row>(bf{3, 16}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_float8_e5m2_per_tensor",
                  checkpoint<ao::float8_e5m2_per_tensor>(bf{2, 2, 8}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_float8_e4m3_block_1x128",
                  checkpoint<ao::float8_e4m3_per_block_1x128>(bf{2, 128}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_float8_e4m3_block_128x128",
                  checkpoint<ao::float8_e4m3_per_block_128x128>(bf{128, 128}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_float8_e4m3fnuz_per_row",
                  checkpoint<ao::float8_e4m3fnuz_per_row>(bf{2, 8}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_int8_per_row", checkpoint<ao::int8_symmetric_per_row>(bf{4, 16}, io::dtype::bf16).to_bytes());
  save_checkpoint("ckpt_int8_asym_per_row",
                  checkpoint<ao::int8_asymmetric_per_row>(bf{2, 16}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_int8_per_tensor",
                  checkpoint<ao::int8_symmetric_per_tensor>(bf{2, 8}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_int4_group32", checkpoint<ao::int4_symmetric_group32>(bf{2, 64}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_int4_asym_group32",
                  checkpoint<ao::int4_asymmetric_group32>(bf{2, 32}, io::dtype::f32).to_bytes());
  save_checkpoint("ckpt_int2_group32", checkpoint<ao::int2_symmetric_group32>(bf{1, 32}, io::dtype::f32).to_bytes());
  // No registry format: IntxUnpackedToInt8Tensor with bf16 scales (what torchao stores for a bf16 weight).
  save_checkpoint(
      "ckpt_int4_group32_bf16_scales",
      checkpoint<ao::affine<ao::int4, ao::mapping::symmetric, ao::group<32>, ao::bfloat16>>(bf{2, 32}, io::dtype::bf16)
          .to_bytes());
  // Only plain tensors, and other metadata kept.
  {
    io::torchao_checkpoint_writer w;
    const bytes b = iota_bytes(16);
    w.add_tensor("embed", io::dtype::f16, {2, 4}, b.data(), b.size());
    w.add_tensor("norm", io::dtype::f32, {}, b.data(), 4);
    w.add_metadata("format", "pt");
    save_checkpoint("ckpt_plain_tensors", w.to_bytes());
  }
}

void broken_files() {
  const bytes good = two_tensors();
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | good[static_cast<std::size_t>(i)];

  // file.size, header.length, header.max_size
  save_bad("bad_file_size_empty", {});
  save_bad("bad_file_size_7_bytes", bytes(good.begin(), good.begin() + 7));
  save_bad("bad_truncated_in_header", bytes(good.begin(), good.begin() + 8 + static_cast<std::ptrdiff_t>(n / 2)));
  save_bad("bad_truncated_in_data", bytes(good.begin(), good.end() - 5));
  save_bad("bad_truncated_after_header", bytes(good.begin(), good.begin() + 8 + static_cast<std::ptrdiff_t>(n)));
  {
    bytes lie = good;
    lie[0] = static_cast<std::uint8_t>(lie[0] + 40);  // longer than the file
    save_bad("bad_header_length_past_end", lie);
    lie = good;
    lie[0] = static_cast<std::uint8_t>(lie[0] - 9);  // cuts the JSON short
    save_bad("bad_header_length_short", lie);
    lie = good;
    lie[7] = 0x80;  // 2^63 + n
    save_bad("bad_header_max_size_2p63", lie);
    save_bad("bad_header_max_size_limit", make_file("{}", {}, 100'000'001));
  }

  // header.utf8
  const std::string d4 = R"({"dtype":"U8","shape":[4],"data_offsets":[0,4]})";
  save_bad("bad_utf8_lone_continuation", make_file("{\"a\x80\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_utf8_overlong_slash", make_file("{\"a\xc0\xaf\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_utf8_surrogate", make_file("{\"a\xed\xa0\x80\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_utf8_above_10ffff", make_file("{\"a\xf4\x90\x80\x80\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_utf8_truncated_sequence", make_file("{\"a\":" + d4 + "}\xe6\x97", iota_bytes(4)));
  save_bad("bad_utf8_in_metadata", make_file("{\"__metadata__\":{\"k\":\"\xff\"},\"a\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_json_escaped_lone_surrogate", make_file("{\"\\ud800\":" + d4 + "}", iota_bytes(4)));

  // header.depth and header.json
  save_bad("bad_depth_65", make_file(std::string(65, '[') + std::string(65, ']')));
  save_bad("bad_depth_4000_unclosed", make_file(std::string(4000, '[')));
  save_bad("bad_depth_in_metadata", make_file("{\"__metadata__\":" + std::string(70, '{') + "}"));
  save_bad("bad_depth_64_not_object", make_file(std::string(64, '[') + std::string(64, ']')));
  save_bad("bad_json_nul_then_garbage", make_file(std::string("{}\0garbage", 10)));
  save_bad("bad_json_trailing", make_file("{} {}"));
  save_bad("bad_json_unterminated_string", make_file("{\"a"));
  save_bad("bad_json_comment", make_file("{/* c */}"));
  save_bad("bad_json_trailing_comma", make_file("{\"a\":" + d4 + ",}", iota_bytes(4)));
  save_bad("bad_header_object_array", make_file("[]"));
  save_bad("bad_header_object_string", make_file("\"{}\""));

  // Names, entries, dtypes, shapes, offsets, metadata.
  save_bad("bad_name_duplicate", make_file("{\"a\":" + d4 + ",\"a\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_name_duplicate_escaped", make_file("{\"a\":" + d4 + ",\"\\u0061\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_metadata_twice", make_file(R"({"__metadata__":{},"__metadata__":{}})"));
  save_bad("bad_entry_not_object", make_file(R"({"a":[1,2]})"));
  save_bad("bad_entry_unknown_key",
           make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"x":1}})", iota_bytes(4)));
  save_bad("bad_entry_missing_offsets", make_file(R"({"a":{"dtype":"U8","shape":[4]}})", iota_bytes(4)));
  save_bad("bad_entry_key_twice",
           make_file(R"({"a":{"dtype":"U8","dtype":"U8","shape":[4],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_dtype_unknown", make_file(R"({"a":{"dtype":"F33","shape":[4],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_dtype_lowercase",
           make_file(R"({"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_dtype_number", make_file(R"({"a":{"dtype":8,"shape":[4],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_shape_negative", make_file(R"({"a":{"dtype":"U8","shape":[-4],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_shape_float", make_file(R"({"a":{"dtype":"U8","shape":[4.0],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_shape_exponent",
           make_file(R"({"a":{"dtype":"U8","shape":[4e0],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_shape_string", make_file(R"({"a":{"dtype":"U8","shape":["4"],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_shape_2p64",
           make_file(R"({"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_shape_overflow_before_zero",
           make_file(R"({"a":{"dtype":"U8","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}})"));
  save_bad("bad_shape_overflow_bits",
           make_file(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", iota_bytes(8)));
  save_bad("bad_shape_huge",
           make_file(R"({"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]}})",
                     iota_bytes(8)));
  save_bad("bad_shape_partial_byte_f4",
           make_file(R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", iota_bytes(2)));
  save_bad("bad_shape_partial_byte_f6",
           make_file(R"({"a":{"dtype":"F6_E2M3","shape":[3],"data_offsets":[0,3]}})", iota_bytes(3)));
  save_bad("bad_offsets_one", make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4]}})", iota_bytes(4)));
  save_bad("bad_offsets_three", make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4,8]}})", iota_bytes(8)));
  save_bad("bad_offsets_reversed",
           make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,0]}})", iota_bytes(4)));
  save_bad("bad_offsets_size", make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", iota_bytes(4)));
  save_bad("bad_offsets_out_of_range",
           make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", iota_bytes(4)));
  save_bad("bad_offsets_wrap",
           make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[18446744073709551614,2]}})", iota_bytes(4)));
  save_bad("bad_offsets_overlap",
           make_file("{\"a\":" + d4 + R"(,"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", iota_bytes(6)));
  save_bad("bad_offsets_same_range", make_file("{\"a\":" + d4 + ",\"b\":" + d4 + "}", iota_bytes(4)));
  save_bad("bad_offsets_gap", make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", iota_bytes(6)));
  save_bad("bad_offsets_trailing_bytes", make_file("{\"a\":" + d4 + "}", iota_bytes(9)));
  save_bad("bad_offsets_data_no_tensor", make_file("{}", iota_bytes(3)));
  save_bad("bad_metadata_null", make_file(R"({"__metadata__":null})"));
  save_bad("bad_metadata_value_number", make_file(R"({"__metadata__":{"k":1}})"));
  save_bad("bad_metadata_value_null", make_file(R"({"__metadata__":{"k":null}})"));
  save_bad("bad_metadata_key_twice", make_file(R"({"__metadata__":{"k":"1","k":"2"}})"));
}

void broken_checkpoints() {
  using bf = std::vector<std::size_t>;
  const auto mx = checkpoint<ao::mxfp4>(bf{2, 32}, io::dtype::bf16);
  const auto i4 = checkpoint<ao::int4_symmetric_group32>(bf{2, 32}, io::dtype::f32);
  const auto f8 = checkpoint<ao::float8_e4m3_per_row>(bf{2, 16}, io::dtype::bf16);
  auto edit = [](const io::torchao_checkpoint_writer& c, const std::string& key, const std::string& from,
                 const std::string& to) { return with_metadata(c, [&](auto& m) { replace(meta(m, key), from, to); }); };
  save_bad_checkpoint("ckpt_bad_no_tensor_names", with_metadata(mx, [](auto& m) {
                        meta(m, "tensor_names") = "null";
                        m.back().first = "names";
                      }));
  save_bad_checkpoint("ckpt_bad_tensor_names_not_list", edit(mx, "tensor_names", "[", "{\"a\": ["));
  save_bad_checkpoint("ckpt_bad_tensor_names_twice", edit(mx, "tensor_names", "\"layer.bias\"", "\"layer.weight\""));
  save_bad_checkpoint("ckpt_bad_unknown_class", edit(mx, "layer.weight", "MXTensor", "Int4Tensor"));
  save_bad_checkpoint("ckpt_bad_metadata_not_json", edit(mx, "layer.weight", "{", "{{"));
  save_bad_checkpoint("ckpt_bad_metadata_deep",
                      edit(mx, "layer.weight", "\"act_quant_kwargs\": null",
                           "\"act_quant_kwargs\": " + std::string(80, '[') + std::string(80, ']')));
  // A NUL byte (the header's "\u0000") ends the metadata text for nlohmann's lexer: refused since the fuzzer's run.
  save_bad_checkpoint("ckpt_bad_metadata_nul", edit(mx, "layer.bias", "}", std::string("}\0garbage", 9)));
  save_bad_checkpoint("ckpt_bad_unknown_attribute",
                      edit(mx, "layer.weight", "\"block_size\"", "\"x\": 1, \"block_size\""));
  save_bad_checkpoint("ckpt_bad_block_size_zero", edit(mx, "layer.weight", "\"block_size\": 32", "\"block_size\": 0"));
  save_bad_checkpoint("ckpt_bad_block_size_not_tiling",
                      edit(mx, "layer.weight", "\"block_size\": 32", "\"block_size\": 12"));
  save_bad_checkpoint("ckpt_bad_elem_dtype", edit(mx, "layer.weight", "float4_e2m1fn_x2", "float8_e8m0fnu"));
  save_bad_checkpoint("ckpt_bad_swizzled_shape",
                      edit(mx, "layer.weight", "\"is_swizzled_scales\": false", "\"is_swizzled_scales\": true"));
  save_bad_checkpoint("ckpt_bad_missing_component", edit(mx, "layer.weight", "[\"qdata\", \"scale\"]", "[\"qdata\"]"));
  save_bad_checkpoint("ckpt_bad_leftover_entry", edit(mx, "tensor_names", ", \"layer.bias\"", ""));
  save_bad_checkpoint("ckpt_bad_plain_with_data", edit(mx, "layer.bias", "}", ", \"_data\": {}}"));
  {
    bytes b = i4.to_bytes();
    const auto f = io::safetensors_file::from_bytes(b.data(), b.size(), "x");
    const io::tensor_entry& q = f.at("layer._weight_qdata");
    b[static_cast<std::size_t>(q.bytes.data - f.file_bytes().data)] = 100;  // int4 codes are in [-8, 7]
    save_bad_checkpoint("ckpt_bad_int4_code_range", b);
  }
  save_bad_checkpoint("ckpt_bad_target_dtype", edit(i4, "layer.weight", "\"_data\": \"int4\"", "\"_data\": \"int9\""));
  save_bad_checkpoint("ckpt_bad_float8_block_size_3d", edit(f8, "layer.weight", "[1, 16]", "[1, 1, 16]"));
  save_bad_checkpoint("ckpt_bad_float8_block_size_float", edit(f8, "layer.weight", "[1, 16]", "[1, 16.0]"));
  save_bad_checkpoint("ckpt_bad_float8_dtype", edit(f8, "layer.weight", "\"bfloat16\"", "\"int8\""));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  g_dir = argv[1];
  valid_files();
  broken_files();
  broken_checkpoints();
  std::printf("make_corpus: %d files in %s\n", g_count, g_dir.c_str());
  return 0;
}
