// ao::io::safetensors_writer: the header text (order, escaping, padding) as the safetensors Rust crate writes
// it, its refusals, and the atomic write.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "ao/io/safetensors.hpp"
#include "io_test_util.hpp"

namespace {

using ao::io::dtype;
using ao_io_test::bytes;
using ao_io_test::expect_error;

// Tensors sorted by descending dtype (the crate's enum order) then name; offsets from 0 in that order; compact
// JSON; spaces to a multiple of 8. The expected text is written out by hand from those rules.
TEST(SafetensorsWriter, HeaderOrderAndLayout) {
  const bytes f32 = ao_io_test::iota_bytes(4), bf16 = ao_io_test::iota_bytes(2), u8 = ao_io_test::iota_bytes(2);
  const bytes e8 = ao_io_test::iota_bytes(1), e4 = ao_io_test::iota_bytes(1), i64 = ao_io_test::iota_bytes(8);
  const bytes f4 = ao_io_test::iota_bytes(2);
  ao::io::safetensors_writer w;
  w.add("b", dtype::u8, {2}, u8.data(), u8.size());
  w.add("a2", dtype::u8, {0}, nullptr, 0);
  w.add("c", dtype::bf16, {}, bf16.data(), bf16.size());
  w.add("a", dtype::f32, {1}, f32.data(), f32.size());
  w.add("s", dtype::f8_e4m3, {1}, e4.data(), e4.size());
  w.add("t", dtype::f8_e8m0, {1, 1}, e8.data(), e8.size());
  w.add("z", dtype::i64, {1}, i64.data(), i64.size());
  w.add("p", dtype::f4, {4}, f4.data(), f4.size());
  const std::string expected = R"({"z":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
                               R"("a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                               R"("c":{"dtype":"BF16","shape":[],"data_offsets":[12,14]},)"
                               R"("t":{"dtype":"F8_E8M0","shape":[1,1],"data_offsets":[14,15]},)"
                               R"("s":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[15,16]},)"
                               R"("a2":{"dtype":"U8","shape":[0],"data_offsets":[16,16]},)"
                               R"("b":{"dtype":"U8","shape":[2],"data_offsets":[16,18]},)"
                               R"("p":{"dtype":"F4","shape":[4],"data_offsets":[18,20]}})";
  std::string padded = expected;
  padded.resize((expected.size() + 7) / 8 * 8, ' ');
  ASSERT_NE(padded.size(), expected.size());  // the case exercises the padding
  EXPECT_EQ(w.header(), padded);

  const bytes file = w.to_bytes();
  ASSERT_EQ(file.size(), 8 + padded.size() + 20);
  std::uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);  // little-endian host
  EXPECT_EQ(n, padded.size());
  const auto f = ao::io::safetensors_file::from_bytes(file.data(), file.size(), "written");
  EXPECT_FALSE(f.has_metadata());
  ASSERT_EQ(f.size(), 8u);
  EXPECT_TRUE(std::equal(f.at("z").bytes.begin(), f.at("z").bytes.end(), i64.begin()));
  EXPECT_TRUE(std::equal(f.at("b").bytes.begin(), f.at("b").bytes.end(), u8.begin()));
  EXPECT_TRUE(std::equal(f.at("p").bytes.begin(), f.at("p").bytes.end(), f4.begin()));
  EXPECT_EQ(f.at("a2").bytes.size, 0u);
}

// Metadata first, in the given order; strings escaped as serde_json does.
TEST(SafetensorsWriter, MetadataAndEscaping) {
  ao::io::safetensors_writer w;
  w.set_metadata(std::vector<std::pair<std::string, std::string>>{
      {"z", "1"}, {"q\"b\\s", "\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xf0\x9f\x98\x80"}});
  const bytes one = {1};
  w.add("n\xc3\xa9\n", dtype::boolean, {1}, one.data(), 1);
  const std::string expected =
      "{\"__metadata__\":{\"z\":\"1\",\"q\\\"b\\\\s\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f/\xc3\xa9\xf0\x9f\x98\x80\"},"
      "\"n\xc3\xa9\\n\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}";
  std::string padded = expected;
  padded.resize((expected.size() + 7) / 8 * 8, ' ');
  EXPECT_EQ(w.header(), padded);
  const bytes file = w.to_bytes();
  const auto f = ao::io::safetensors_file::from_bytes(file.data(), file.size(), "escaped");
  ASSERT_EQ(f.metadata_entries().size(), 2u);
  EXPECT_EQ(f.metadata_entries()[0].first, "z");
  EXPECT_EQ(f.metadata_entries()[1].first, "q\"b\\s");
  EXPECT_EQ(f.metadata_entries()[1].second, "\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(f.contains("n\xc3\xa9\n"));

  // Empty metadata is written as {} (Python's metadata={}); none at all without set_metadata.
  ao::io::safetensors_writer e;
  e.set_metadata(std::map<std::string, std::string>{});
  EXPECT_EQ(e.header(), "{\"__metadata__\":{}}     ");
  e.clear_metadata();
  EXPECT_EQ(e.header(), "{}      ");
  const bytes empty = e.to_bytes();
  const auto g = ao::io::safetensors_file::from_bytes(empty.data(), empty.size(), "empty");
  EXPECT_EQ(g.size(), 0u);
  EXPECT_EQ(g.data_section().size, 0u);
}

TEST(SafetensorsWriter, Refusals) {
  const bytes four = ao_io_test::iota_bytes(4);
  ao::io::safetensors_writer w;
  w.add("a", dtype::f32, {1}, four.data(), 4);
  expect_error([&] { w.add("a", dtype::u8, {4}, four.data(), 4); }, {"'a'", "name.duplicate"});
  expect_error([&] { w.add("b", dtype::f32, {2}, four.data(), 4); }, {"'b'", "data_offsets.size", "needs 8"});
  expect_error([&] { w.add("b", dtype::f4, {3}, four.data(), 4); }, {"'b'", "data_offsets.size", "whole byte"});
  expect_error([&] { w.add("b", dtype::u8, {1ull << 32, 1ull << 32}, four.data(), 4); }, {"data_offsets.size"});
  expect_error([&] { w.add("b\xff", dtype::u8, {4}, four.data(), 4); }, {"name.utf8", "\\xff"});
  expect_error([&] { w.add("__metadata__", dtype::u8, {4}, four.data(), 4); }, {"name.reserved"});
  expect_error([&] { w.add("b", dtype::u8, {4}, nullptr, 4); }, {"'b'", "null"});
  // A refused add leaves no trace: "b" can still be added.
  w.add("b", dtype::u8, {4}, four.data(), 4);
  EXPECT_EQ(w.size(), 2u);
  expect_error([&] { w.add_metadata("k\xc0\xaf", "v"); }, {"metadata.utf8"});
  w.add_metadata("k", "v");
  expect_error([&] { w.add_metadata("k", "w"); }, {"metadata.duplicate"});
  expect_error(
      [&] {
        w.set_metadata(std::vector<std::pair<std::string, std::string>>{{"x", "1"}, {"x", "2"}});
      },
      {"metadata.duplicate", "'x'"});
  // The failed set_metadata changed nothing.
  EXPECT_NE(w.header().find("\"__metadata__\":{\"k\":\"v\"}"), std::string::npos);
}

TEST(SafetensorsWriter, AtomicWrite) {
  ao_io_test::temp_dir dir;
  const std::string path = dir.path() + "/model.safetensors";
  const bytes a = ao_io_test::iota_bytes(16), b = ao_io_test::iota_bytes(32);
  ao::io::safetensors_writer w1;
  w1.add("x", dtype::u8, {16}, a.data(), a.size());
  w1.write(path);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
  const auto old = ao::io::safetensors_file::open(path);  // maps the first file
  ASSERT_EQ(old.at("x").bytes.size, 16u);

  // Replace it: the new content is there, nothing else is in the folder, and the old mapping still reads the
  // old bytes (a new inode took the name; the old one lives while mapped).
  ao::io::safetensors_writer w2;
  w2.add("x", dtype::u8, {32}, b.data(), b.size());
  w2.add_metadata("format", "pt");
  w2.write(path);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
  EXPECT_TRUE(ao_io_test::read_bytes(path) == w2.to_bytes());
  EXPECT_TRUE(std::equal(old.at("x").bytes.begin(), old.at("x").bytes.end(), a.begin(), a.end()));
  const auto now = ao::io::safetensors_file::open(path);
  EXPECT_EQ(now.at("x").bytes.size, 32u);
  EXPECT_EQ(now.metadata().at("format"), "pt");

  // The mode is 0666 minus the umask, as for any new file (not mkstemp's 0600).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);

  // A folder that does not exist: ao::error naming the path, and nothing created anywhere.
  const std::string missing = dir.path() + "/no/such/dir/m.safetensors";
  expect_error([&] { w2.write(missing); }, {missing, "open"});
  // The target is a directory: the rename fails, the temporary file is removed.
  const std::string sub = dir.path() + "/sub";
  std::filesystem::create_directory(sub);
  std::filesystem::create_directory(sub + "/inner");
  std::filesystem::create_directory(sub + "/inner/full");
  std::ofstream(sub + "/inner/full/f") << "x";
  expect_error([&] { w2.write(sub + "/inner"); }, {"rename"});
  EXPECT_EQ(ao_io_test::dir_entries(sub), std::vector<std::string>{"inner"});
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"model.safetensors", "sub"}));
}

// Deferred tensors: the header and added tensors first, each deferred tensor's bytes appended in pieces; the file
// equals what write() gives for the same tensors. Every misuse is an ao::error, and an output that is not
// committed leaves nothing behind.
TEST(SafetensorsWriter, StreamingOutput) {
  ao_io_test::temp_dir dir;
  const std::string path = dir.path() + "/m.safetensors";
  const bytes a = ao_io_test::iota_bytes(24), b = ao_io_test::iota_bytes(10), c = ao_io_test::iota_bytes(6);
  ao::io::safetensors_writer whole;
  whole.add("a", dtype::f32, {2, 3}, a.data(), a.size());
  whole.add("b", dtype::u8, {10}, b.data(), b.size());
  whole.add("c", dtype::f16, {3}, c.data(), c.size());
  whole.add_metadata("format", "pt");

  ao::io::safetensors_writer w;
  w.add_deferred("a", dtype::f32, {2, 3});
  w.add("b", dtype::u8, {10}, b.data(), b.size());
  w.add_deferred("c", dtype::f16, {3});
  w.add_metadata("format", "pt");
  EXPECT_EQ(w.header(), whole.header());
  expect_error([&] { (void)w.to_bytes(); }, {"to_bytes", "'a'", "deferred"});
  expect_error([&] { w.write(path); }, {"write", "'a'", "deferred"});
  expect_error([&] { w.add_deferred("a", dtype::u8, {1}); }, {"name.duplicate"});
  expect_error([&] { w.add_deferred("odd", dtype::f4, {3}); }, {"'odd'", "partial byte"});
  expect_error([&] { w.add_deferred("huge", dtype::f64, {1ull << 62, 8}); }, {"'huge'", "overflow"});
  {
    auto out = w.open(path);
    out.append("c", c.data(), c.size());  // any order of tensors
    out.append("a", a.data(), 10);        // in pieces
    expect_error([&] { out.append("b", b.data(), 1); }, {"'b'", "not declared deferred"});
    expect_error([&] { out.append("nope", b.data(), 1); }, {"'nope'", "not declared deferred"});
    expect_error([&] { out.append("c", c.data(), 1); }, {"'c'", "1 more bytes after 6 of 6"});
    expect_error([&] { out.commit(); }, {"'a'", "10 of its 24 bytes"});
    // The failed commit removed the temporary file; the folder holds nothing.
    EXPECT_TRUE(dir.entries().empty());
  }
  {
    auto out = w.open(path);
    out.append("a", a.data(), 0);
    out.append("c", c.data(), c.size());
    EXPECT_EQ(dir.entries().size(), 1u);  // the temporary file
  }  // destroyed without a commit: removed, `path` never created
  EXPECT_TRUE(dir.entries().empty());

  auto out = w.open(path);
  auto moved = std::move(out);  // the output moves (one owner of the file)
  moved.append("a", a.data(), 10);
  moved.append("a", a.data() + 10, 14);
  moved.append("c", c.data(), c.size());
  moved.commit();
  expect_error([&] { moved.commit(); }, {"committed twice"});
  expect_error([&] { moved.append("a", a.data(), 1); }, {"append after commit"});
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.safetensors"});
  EXPECT_TRUE(ao_io_test::read_bytes(path) == whole.to_bytes());
}

TEST(SafetensorsDtype, NamesAndSizes) {
  for (dtype t : ao::io::all_dtypes) {
    const auto back = ao::io::dtype_from_name(ao::io::name(t));
    ASSERT_TRUE(back.has_value()) << ao::io::name(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(std::size(ao::io::all_dtypes), 22u);
  EXPECT_FALSE(ao::io::dtype_from_name("f32").has_value());
  EXPECT_FALSE(ao::io::dtype_from_name("F8_E4M3FN").has_value());
  EXPECT_FALSE(ao::io::dtype_from_name("").has_value());
  EXPECT_EQ(ao::io::element_size(dtype::f64), 8u);
  EXPECT_EQ(ao::io::element_size(dtype::c64), 8u);
  EXPECT_EQ(ao::io::element_size(dtype::bf16), 2u);
  EXPECT_EQ(ao::io::element_size(dtype::f8_e8m0), 1u);
  EXPECT_EQ(ao::io::element_size(dtype::boolean), 1u);
  EXPECT_EQ(ao::io::element_bits(dtype::f4), 4u);
  EXPECT_EQ(ao::io::element_bits(dtype::f6_e3m2), 6u);
  expect_error([] { (void)ao::io::element_size(dtype::f4); }, {"F4", "element_bits"});
  static_assert(ao::io::element_bits(dtype::u64) == 64 && ao::io::name(dtype::f8_e5m2fnuz) == "F8_E5M2FNUZ");
  // The writers' sort key is the enum order: ascending in the crate's enum.
  static_assert(dtype::boolean < dtype::f4 && dtype::u8 < dtype::i8 && dtype::f8_e8m0 < dtype::f8_e4m3fnuz &&
                dtype::bf16 < dtype::i32 && dtype::f32 < dtype::c64 && dtype::c64 < dtype::f64 &&
                dtype::i64 < dtype::u64);

  using st = ao::io::byte_size_result::status;
  EXPECT_EQ(ao::io::byte_size(dtype::f32, {64, 256}).bytes, 65536u);
  EXPECT_EQ(ao::io::byte_size(dtype::f32, {}).bytes, 4u);
  EXPECT_EQ(ao::io::byte_size(dtype::f6_e2m3, {4}).bytes, 3u);
  EXPECT_EQ(ao::io::byte_size(dtype::f6_e2m3, {2}).state, st::partial_byte);
  EXPECT_EQ(ao::io::byte_size(dtype::u8, {1ull << 40, 1ull << 40, 0}).state, st::overflow);
  EXPECT_EQ(ao::io::byte_size(dtype::u8, {0, 1ull << 40, 1ull << 40}).bytes, 0u);
  EXPECT_EQ(ao::io::byte_size(dtype::u8, {(1ull << 61) - 1}).bytes, (1ull << 61) - 1);  // bits fit in 64
  EXPECT_EQ(ao::io::byte_size(dtype::u8, {1ull << 61}).state, st::overflow);            // 2^64 bits do not
  EXPECT_EQ(ao::io::byte_size(dtype::u16, {~0ull}).state, st::overflow);
}

}  // namespace
