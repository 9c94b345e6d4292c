// ao::io::safetensors_file on broken input: a corpus generated here from valid files (no binary file is checked
// in). Each case must throw ao::error naming the rule it breaks (docs/io.md), and nothing may crash: the
// sanitizer build runs these too.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ao/io/safetensors.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "io_test_util.hpp"

namespace {

using ao_io_test::bytes;
using ao_io_test::expect_error;
using ao_io_test::make_file;

ao::io::safetensors_file open_bytes(const bytes& b, const std::string& name = "case.safetensors") {
  return ao::io::safetensors_file::from_bytes(b.data(), b.size(), name);
}

// A small valid file: two tensors and metadata, written by ao's writer (header padded to 8).
bytes valid_file() {
  static const bytes a = ao_io_test::iota_bytes(24), b = ao_io_test::iota_bytes(6);
  ao::io::safetensors_writer w;
  w.add("weight", ao::io::dtype::f32, {2, 3}, a.data(), a.size());
  w.add("codes", ao::io::dtype::u8, {6}, b.data(), b.size());
  w.set_metadata(std::vector<std::pair<std::string, std::string>>{{"format", "pt"}});
  return w.to_bytes();
}

struct bad_case {
  const char* what;
  std::string header;
  std::size_t data_size;
  std::vector<std::string> expect;  // substrings of the message
};

void check(const bad_case& c) {
  SCOPED_TRACE(c.what);
  const bytes file = make_file(c.header, ao_io_test::iota_bytes(c.data_size));
  try {
    (void)open_bytes(file, "bad.safetensors");
    ADD_FAILURE() << "no ao::error for: " << c.header.substr(0, 200);
  } catch (const ao::error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'bad.safetensors'"), std::string::npos) << m;
    for (const std::string& p : c.expect) EXPECT_NE(m.find(p), std::string::npos) << "\"" << p << "\" not in: " << m;
  } catch (...) {
    ADD_FAILURE() << "an exception other than ao::error";
  }
}

const std::string f32x2 = R"("dtype":"F32","shape":[2])";

TEST(SafetensorsErrors, ValidBaseOpens) {
  const bytes file = valid_file();
  const auto f = open_bytes(file);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.tensors()[0].name, "weight");
  EXPECT_EQ(f.at("codes").shape, std::vector<std::uint64_t>{6});
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.find("nothing"), nullptr);
  expect_error([&] { (void)f.at("nothing"); }, {"case.safetensors", "no tensor 'nothing'"});
}

TEST(SafetensorsErrors, TruncatedAtEveryByte) {
  const bytes file = valid_file();
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file[static_cast<std::size_t>(i)];
  for (std::size_t cut = 0; cut < file.size(); ++cut) {
    SCOPED_TRACE(cut);
    const bytes part(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(cut));
    const char* rule = cut < 8 ? "file.size" : cut < 8 + n ? "header.length" : "data_offsets.bounds";
    expect_error([&] { (void)open_bytes(part); }, {rule, "case.safetensors"});
  }
  // One byte too many: the extra byte belongs to no tensor.
  bytes longer = file;
  longer.push_back(0);
  expect_error([&] { (void)open_bytes(longer); }, {"data_offsets.coverage"});
}

TEST(SafetensorsErrors, HeaderLength) {
  const std::string h = "{}";
  expect_error([&] { (void)open_bytes(make_file(h, {}, 3)); }, {"header.length", "3"});
  expect_error([&] { (void)open_bytes(make_file(h, {}, 1ull << 63)); }, {"header.max_size", "9223372036854775808"});
  expect_error([&] { (void)open_bytes(make_file(h, {}, ~0ull)); }, {"header.max_size"});
  expect_error([&] { (void)open_bytes(make_file(h, {}, 100'000'001)); }, {"header.max_size"});
  // At the bound but longer than the file: the length rule.
  expect_error([&] { (void)open_bytes(make_file(h, {}, 100'000'000)); }, {"header.length"});
  expect_error([&] { (void)open_bytes(make_file(h, {}, 0)); }, {"header.json"});
  expect_error([&] { (void)open_bytes(bytes{}); }, {"file.size", "0 bytes"});
  expect_error([&] { (void)open_bytes(bytes{2, 0, 0}); }, {"file.size"});
  // A header shorter than its length field says, followed by data: the data is read as header text.
  expect_error([&] { (void)open_bytes(make_file("{}", ao_io_test::iota_bytes(4), 4)); }, {"header"});
}

TEST(SafetensorsErrors, Json) {
  for (const std::string h : {"hello", "{", "{\"a\":", "{} x", "{}}", "{\"a\" 1}", "{'a':1}", "{\"__metadata__\":{},}",
                              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "\x01{}",
                              "{\"\\ud800\":{}}", "{\"\\x\":{}}", "{\"s\":\"\x01\"}"}) {
    check({"not JSON", h, 0, {"header.json"}});
  }
  for (const std::string h : {"[]", "\"s\"", "1", "null", "true", "-1", "1.5"}) {
    check({"not an object", h, 0, {"header.object"}});
  }
}

TEST(SafetensorsErrors, Utf8) {
  const std::string tail = "\":{" + f32x2 + R"(,"data_offsets":[0,8]}})";
  check({"0xff", "{\"a\xff" + tail, 8, {"header.utf8", "byte 3"}});
  check({"overlong", "{\"a\xc0\xaf" + tail, 8, {"header.utf8"}});
  check({"surrogate", "{\"a\xed\xa0\x80" + tail, 8, {"header.utf8"}});
  check({"above U+10FFFF", "{\"a\xf4\x90\x80\x80" + tail, 8, {"header.utf8"}});
  check({"lone continuation", "{\"a\x80" + tail, 8, {"header.utf8"}});
  check({"cut sequence", "{\"a\xe2\x82" + tail, 8, {"header.utf8"}});
  check({"cut at the end", "{}\xe2\x82", 0, {"header.utf8"}});
  check({"in metadata", "{\"__metadata__\":{\"k\":\"\xfe\"}}", 0, {"header.utf8"}});
  // Well-formed multi-byte names are fine.
  const bytes ok = make_file("{\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" + tail, ao_io_test::iota_bytes(8));
  EXPECT_TRUE(open_bytes(ok).contains("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
}

TEST(SafetensorsErrors, Depth) {
  check({"100000 [", std::string(100000, '['), 0, {"header.depth", "64"}});
  check({"100000 {\"a\":", "{" + std::string(100000, '['), 0, {"header.depth"}});
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += "{\"a\":";
  check({"70 objects", deep, 0, {"header.depth"}});
  // Brackets inside strings do not count; 64 levels are allowed (and then the schema refuses the array).
  check({"brackets in a name",
         "{\"" + std::string(1000, '[') + "\":{" + f32x2 + R"(,"data_offsets":[0,9]}})",
         8,
         {"data_offsets.size"}});
  check({"64 levels", "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}", 0, {"entry.object"}});
  check({"escaped quote", "{\"\\\"" + std::string(100, '{') + "\":{}}", 0, {"entry.keys", "missing"}});
}

TEST(SafetensorsErrors, Names) {
  const std::string e1 = "{" + f32x2 + R"(,"data_offsets":[0,8]})";
  const std::string e2 = "{" + f32x2 + R"(,"data_offsets":[8,16]})";
  check({"duplicate", "{\"a\":" + e1 + ",\"a\":" + e2 + "}", 16, {"name.duplicate", "'a'"}});
  check({"duplicate metadata", R"({"__metadata__":{},"__metadata__":{}})", 0, {"name.duplicate", "__metadata__"}});
  // Names are compared exactly: "a" and "A" and "a " are three tensors.
  const std::string e3 = "{" + f32x2 + R"(,"data_offsets":[16,24]})";
  const auto f =
      open_bytes(make_file("{\"a\":" + e1 + ",\"A\":" + e2 + ",\"a \":" + e3 + "}", ao_io_test::iota_bytes(24)));
  EXPECT_EQ(f.size(), 3u);
  // The escaped and the raw spelling of a name are the same name.
  check({"escaped duplicate", "{\"a\":" + e1 + ",\"\\u0061\":" + e2 + "}", 16, {"name.duplicate"}});
}

TEST(SafetensorsErrors, Entries) {
  check({"entry is a number", R"({"a":1})", 0, {"entry.object", "'a'"}});
  check({"entry is an array", R"({"a":[]})", 0, {"entry.object"}});
  check({"entry is null", R"({"a":null})", 0, {"entry.object"}});
  check({"unknown key",
         "{\"a\":{" + f32x2 + R"(,"data_offsets":[0,8],"offsets":[0,8]}})",
         8,
         {"entry.keys", "'offsets'", "'a'"}});
  check({"unknown key first", "{\"a\":{\"x\":{}," + f32x2 + R"(,"data_offsets":[0,8]}})", 8, {"entry.keys"}});
  check({"missing dtype", R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8, {"entry.keys", "missing", "dtype"}});
  check({"missing shape", R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8, {"entry.keys", "shape"}});
  check({"missing offsets", R"({"a":{"dtype":"F32","shape":[2]}})", 8, {"entry.keys", "data_offsets"}});
  check({"empty entry", R"({"a":{}})", 0, {"entry.keys", "dtype shape data_offsets"}});
  check({"duplicate key", "{\"a\":{" + f32x2 + R"(,"dtype":"F32","data_offsets":[0,8]}})", 8, {"entry.keys", "twice"}});
  // Keys in any order are fine.
  const auto f =
      open_bytes(make_file(R"({"a":{"data_offsets":[0,8],"shape":[2],"dtype":"F32"}})", ao_io_test::iota_bytes(8)));
  EXPECT_EQ(f.at("a").dtype, ao::io::dtype::f32);
}

TEST(SafetensorsErrors, Dtypes) {
  for (const std::string d :
       {"\"F33\"", "\"f32\"", "\"\"", "\"F8_E4M3FN\"", "\"float32\"", "4", "null", "[\"F32\"]", "{}"}) {
    check({"bad dtype", "{\"a\":{\"dtype\":" + d + R"(,"shape":[2],"data_offsets":[0,8]}})", 8, {"dtype.known"}});
  }
  // Every known dtype opens with a matching size.
  for (ao::io::dtype t : ao::io::all_dtypes) {
    const std::uint64_t bytes_needed = ao::io::element_bits(t);  // 8 elements: bits bytes
    const std::string h = "{\"a\":{\"dtype\":\"" + std::string(ao::io::name(t)) +
                          R"(","shape":[2,4],"data_offsets":[0,)" + std::to_string(bytes_needed) + "]}}";
    const auto f = open_bytes(make_file(h, ao_io_test::iota_bytes(bytes_needed)));
    EXPECT_EQ(f.at("a").dtype, t);
  }
}

TEST(SafetensorsErrors, Shapes) {
  auto with_shape = [](const std::string& shape, const std::string& dt = "F32", std::uint64_t end = 8) {
    return "{\"a\":{\"dtype\":\"" + dt + "\",\"shape\":" + shape + ",\"data_offsets\":[0," + std::to_string(end) +
           "]}}";
  };
  for (const std::string s : {"[-1]", "[1.5]", "[2.0]", "[1e3]", "[18446744073709551616]", "[\"2\"]", "[[2]]", "[null]",
                              "[true]", "\"x\"", "2", "{}", "null", "[2,-0]", "[{}]"}) {
    check({"bad dim", with_shape(s), 8, {"shape.dims", "'a'"}});
  }
  check({"dims overflow", with_shape("[4294967296,4294967296]"), 8, {"shape.overflow"}});
  check({"dims overflow before a 0", with_shape("[1099511627776,1099511627776,0]", "F32", 0), 0, {"shape.overflow"}});
  check({"bits overflow", with_shape("[4611686018427387904]"), 8, {"shape.overflow"}});
  check({"max dim", with_shape("[18446744073709551615]", "U8", 8), 8, {"shape.overflow"}});
  check({"partial byte", with_shape("[3]", "F4", 2), 2, {"shape.partial_byte", "3 elements of F4 (4 bits)"}});
  check({"partial byte f6", with_shape("[2]", "F6_E2M3", 2), 2, {"shape.partial_byte"}});
  check({"size mismatch", with_shape("[3]"), 8, {"data_offsets.size", "12"}});
  check({"size mismatch scalar", with_shape("[]"), 8, {"data_offsets.size", "need 4"}});
  // Zero dims hold nothing; a huge dim times 0 is fine when the running product
  // does not overflow (as in the Rust crate, which multiplies left to right).
  const auto f = open_bytes(make_file(with_shape("[0,18446744073709551615]", "F64", 0), {}));
  EXPECT_EQ(f.at("a").bytes.size, 0u);
  EXPECT_EQ(f.at("a").numel(), 0u);
  const auto g = open_bytes(make_file(with_shape("[]", "F32", 4), ao_io_test::iota_bytes(4)));
  EXPECT_EQ(g.at("a").numel(), 1u);
  const auto h = open_bytes(make_file(with_shape("[4]", "F4", 2), ao_io_test::iota_bytes(2)));
  EXPECT_EQ(h.at("a").numel(), 4u);
}

TEST(SafetensorsErrors, Offsets) {
  auto entry = [](const char* name, const std::string& offsets, int dim = 2) {
    return "\"" + std::string(name) + "\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(dim) +
           "],\"data_offsets\":" + offsets + "}";
  };
  for (const std::string o : {"[0]", "[]", "[0,8,8]", "[-1,7]", "[0.0,8]", "\"0,8\"", "{}", "null", "[0,null]",
                              "[0,[8]]", "[0,18446744073709551616]"}) {
    check({"bad pair", "{" + entry("a", o) + "}", 8, {"data_offsets.pair", "'a'"}});
  }
  check({"end before begin", "{" + entry("a", "[8,0]") + "}", 8, {"data_offsets.order", "'a'"}});
  check({"out of range", "{" + entry("a", "[8,16]") + "}", 8, {"data_offsets.bounds", "'a'", "[8, 16]"}});
  check({"huge offsets",
         "{" + entry("a", "[18446744073709551607,18446744073709551615]") + "}",
         8,
         {"data_offsets.bounds"}});
  check({"huge empty",
         R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}})",
         0,
         {"data_offsets.bounds"}});
  check({"overlap",
         "{" + entry("a", "[0,8]") + "," + entry("b", "[4,12]") + "}",
         12,
         {"data_offsets.overlap", "'b'", "'a'"}});
  check({"same range", "{" + entry("a", "[0,8]") + "," + entry("b", "[0,8]") + "}", 16, {"data_offsets.overlap"}});
  check({"gap",
         "{" + entry("a", "[0,8]") + "," + entry("b", "[12,20]") + "}",
         20,
         {"data_offsets.gap", "'b'", "[8, 12)"}});
  check({"gap at start", "{" + entry("a", "[4,12]") + "}", 12, {"data_offsets.gap", "[0, 4)"}});
  check({"trailing bytes", "{" + entry("a", "[0,8]") + "}", 9, {"data_offsets.coverage", "8", "9"}});
  check({"no tensor, data", "{}", 1, {"data_offsets.coverage"}});
  check({"metadata only, data", R"({"__metadata__":{}})", 3, {"data_offsets.coverage"}});

  // Unsorted header order is valid (the Rust crate sorts by
  // offsets): the tensors keep header order.
  const auto f =
      open_bytes(make_file("{" + entry("b", "[8,16]") + "," + entry("a", "[0,8]") + "}", ao_io_test::iota_bytes(16)));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.tensors()[0].name, "b");
  EXPECT_EQ(f.tensors()[0].bytes.data, f.data_section().data + 8);
  EXPECT_EQ(f.tensors()[1].bytes.data, f.data_section().data);
  // Empty tensors may sit anywhere, even on the same offset
  // as others.
  const auto g = open_bytes(make_file("{" + entry("a", "[0,8]") + "," + entry("e", "[8,8]", 0) + "," +
                                          entry("f", "[0,0]", 0) + "," + entry("g", "[8,8]", 0) + "}",
                                      ao_io_test::iota_bytes(8)));
  EXPECT_EQ(g.size(), 4u);
}

TEST(SafetensorsErrors, Metadata) {
  for (const std::string m : {R"({"k":1})", R"({"k":null})", R"({"k":{}})", R"({"k":["v"]})", R"({"k":true})", R"([])",
                              R"("s")", "null", "1", R"({"a":"b","k":{"x":"y"}})"}) {
    check({"not string->string", "{\"__metadata__\":" + m + "}", 0, {"metadata.object"}});
  }
  check({"duplicate key", R"({"__metadata__":{"k":"a","k":"b"}})", 0, {"metadata.duplicate", "'k'"}});
  const auto f = open_bytes(make_file(R"({"__metadata__":{"b":"2","a":"1","":""}})"));
  EXPECT_EQ(f.metadata_entries()[0].first,
            "b");                              // file order
  EXPECT_EQ(f.metadata().begin()->first, "");  // sorted
  EXPECT_EQ(f.metadata().size(), 3u);
}

TEST(SafetensorsErrors, Whitespace) {
  // JSON whitespace around the object is allowed (writers
  // pad with spaces), nothing else is.
  const auto f = open_bytes(make_file(" \t\r\n{}\n \t ", {}));
  EXPECT_EQ(f.size(), 0u);
  // nlohmann's lexer stops at a NUL byte as at the end of its input: the reader refuses NUL bytes first.
  check({"NUL padding", std::string("{}\0\0", 4), 0, {"header.json", "NUL byte at byte 2"}});
  check({"NUL then garbage", std::string("{}\0{\"a\":1}", 10), 0, {"header.json", "NUL"}});
  check({"NUL alone", std::string("\0", 1), 0, {"header.json", "NUL"}});
  check({"NUL in a name", std::string("{\"a\0\":{}}", 9), 0, {"header.json", "NUL"}});
}

// The same NUL rule for the JSON text of torchao's metadata strings (found by the fuzzer, tests/fuzz): the header's
// "\u0000" puts a NUL byte into the string, where nlohmann's lexer saw the end of its input, so the checkpoint
// parser accepted "{\"_type\": \"Tensor\"}\u0000garbage" (Python's json.loads refuses it: "Extra data").
TEST(SafetensorsErrors, TorchaoMetadataNul) {
  auto checkpoint = [](const std::string& meta_b, const std::string& names) {
    const std::string h = R"({"__metadata__":{"b":")" + meta_b + R"(","tensor_names":")" + names +
                          R"("},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
    return ao::io::torchao_checkpoint(open_bytes(make_file(h, ao_io_test::iota_bytes(1))));
  };
  const std::string plain = R"({\"_type\": \"Tensor\"})", names = R"([\"b\"])";
  EXPECT_EQ(checkpoint(plain, names).size(), 1u);
  expect_error([&] { (void)checkpoint(plain + R"(\u0000garbage)", names); },
               {"torchao checkpoint 'case.safetensors': tensor 'b'", "not JSON: a NUL byte at byte 19"});
  expect_error([&] { (void)checkpoint(plain, names + R"(\u0000]])"); }, {"tensor 'tensor_names'", "NUL byte"});
}

TEST(SafetensorsErrors, Files) {
  expect_error([] { (void)ao::io::safetensors_file::open("/nonexistent/ao/x.safetensors"); },
               {"/nonexistent/ao/x.safetensors", "open", "No such file"});
  ao_io_test::temp_dir dir;
  expect_error([&] { (void)ao::io::safetensors_file::open(dir.path()); }, {"not a regular file"});
  const std::string empty = dir.path() + "/empty.safetensors";
  std::ofstream(empty).close();
  expect_error([&] { (void)ao::io::safetensors_file::open(empty); }, {"file.size", empty});
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error([&] { (void)ao::io::safetensors_file::open(fifo); }, {"not a regular file"});  // and no hang
  const std::string bad = dir.path() + "/bad.safetensors";
  {
    const bytes b = make_file(R"({"a":1})");
    std::ofstream(bad, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  expect_error([&] { (void)ao::io::safetensors_file::open(bad); }, {bad, "entry.object", "'a'"});
}

// Random byte flips, insertions and cuts of a valid file (fixed seed): each result opens or throws ao::error.
TEST(SafetensorsErrors, RandomMutations) {
  const bytes base = valid_file();
  std::mt19937_64 rng(20261122);
  std::size_t opened = 0, refused = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    bytes b = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[pos] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          b[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::uint8_t>(rng()));
          break;
        default:
          if (b.size() > 1) b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos));
      }
    }
    try {
      const auto f = open_bytes(b);
      // Whatever opened is consistent: every tensor's bytes
      // lie inside the data section.
      for (const auto& t : f) {
        ASSERT_LE(t.end, f.data_section().size);
        ASSERT_EQ(t.bytes.size, t.end - t.begin);
      }
      ++opened;
    } catch (const ao::error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 10000u);
  EXPECT_GT(opened,
            0u);  // some flips land in the data or in a name
}

}  // namespace
