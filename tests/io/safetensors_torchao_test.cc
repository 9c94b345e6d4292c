// ao::io against the files torchao and Python's safetensors wrote (../shared/data/torchao): every file opens and
// agrees with an independent parse (the trusting test reader of tests/support), and writing its tensors and
// metadata back gives the same bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ao/io/safetensors.hpp"
#include "io_test_util.hpp"

#ifdef AO_TORCHAO_DATA_DIR
#include "safetensors_test_reader.hpp"
#endif

namespace {

using ao_io_test::bytes;

// Every *.safetensors of the data folder and of its checkpoints/ folder, sorted; empty without the data.
std::vector<std::string> torchao_files() {
  std::vector<std::string> files;
#ifdef AO_TORCHAO_DATA_DIR
  for (const std::string& dir : {std::string(AO_TORCHAO_DATA_DIR), std::string(AO_TORCHAO_DATA_DIR) + "/checkpoints"}) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".safetensors") files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
#endif
  return files;
}

#define AO_REQUIRE_TORCHAO_FILES(files)                                                      \
  if ((files).empty()) GTEST_SKIP() << "torchao's files are not here (AO_TORCHAO_DATA_DIR)"; \
  ASSERT_GE((files).size(), 126u) << "expected at least the 6 top-level files and the 120 checkpoint files"

TEST(SafetensorsTorchao, EveryFileValidatesAndMatchesAnIndependentParse) {
  const auto files = torchao_files();
  AO_REQUIRE_TORCHAO_FILES(files);
#ifdef AO_TORCHAO_DATA_DIR
  std::size_t tensors = 0, with_metadata = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    const auto f = ao::io::safetensors_file::open(path);
    EXPECT_EQ(f.name(), path);
    const ao::testing::test_safetensors ref(path);

    // The header, parsed by nlohmann into a DOM: same names (and count), same metadata.
    const bytes raw = ao_io_test::read_bytes(path);
    ASSERT_EQ(raw.size(), f.file_bytes().size);
    EXPECT_EQ(std::memcmp(raw.data(), f.file_bytes().data, raw.size()), 0);
    const auto header = nlohmann::json::parse(f.header_text());
    std::size_t names = 0;
    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        EXPECT_TRUE(f.has_metadata());
        const auto expected = value.get<std::map<std::string, std::string>>();
        EXPECT_EQ(expected, f.metadata());
        EXPECT_EQ(f.metadata_entries().size(), value.size());
      } else {
        ++names;
        EXPECT_TRUE(f.contains(key)) << key;
      }
    }
    EXPECT_EQ(f.has_metadata(), header.contains("__metadata__"));
    with_metadata += f.has_metadata();
    ASSERT_EQ(f.size(), names);
    ASSERT_GT(f.size(), 0u);

    for (const ao::io::tensor_entry& t : f) {
      SCOPED_TRACE(t.name);
      ASSERT_TRUE(ref.has(t.name));
      const ao::testing::test_tensor r = ref.get(t.name);
      EXPECT_EQ(std::string(ao::io::name(t.dtype)), r.dtype);
      ASSERT_EQ(t.shape.size(), r.shape.size());
      for (std::size_t i = 0; i < t.shape.size(); ++i) EXPECT_EQ(static_cast<std::int64_t>(t.shape[i]), r.shape[i]);
      ASSERT_EQ(t.bytes.size, r.bytes.size());
      EXPECT_TRUE(std::equal(t.bytes.begin(), t.bytes.end(), r.bytes.begin()));
      EXPECT_EQ(t.numel(), static_cast<std::uint64_t>(r.numel()));
      EXPECT_EQ(&f.at(t.name), &t);
      // The view lies in the file's data section.
      EXPECT_GE(t.bytes.data, f.data_section().data);
      EXPECT_LE(t.bytes.data + t.bytes.size, f.data_section().data + f.data_section().size);
      ++tensors;
    }
  }
  // What the files hold (README.md of the data folder): enough that the loops above did something.
  EXPECT_GT(tensors, 1500u);
  EXPECT_GT(with_metadata, 40u);
#endif
}

// Python's writer orders tensors by descending dtype then name, so its files list their tensors in data order.
TEST(SafetensorsTorchao, HeaderOrderIsDataOrderAndDataIsAligned) {
  const auto files = torchao_files();
  AO_REQUIRE_TORCHAO_FILES(files);
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    const auto f = ao::io::safetensors_file::open(path);
    std::uint64_t at = 0;
    for (const auto& t : f) {
      EXPECT_EQ(t.begin, at) << t.name;
      at = t.end;
    }
    EXPECT_EQ(f.header_size() % 8, 0u);
  }
}

// Read, write back with the same metadata order: byte for byte the file Python wrote, through to_bytes and
// through an atomic write() to disk (read back and compared again).
TEST(SafetensorsTorchao, RoundTripIsByteIdentical) {
  const auto files = torchao_files();
  AO_REQUIRE_TORCHAO_FILES(files);
  ao_io_test::temp_dir dir;
  std::size_t identical = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    const auto f = ao::io::safetensors_file::open(path);
    ao::io::safetensors_writer w;
    for (const auto& t : f) w.add(t.name, t.dtype, t.shape, t.bytes.data, t.bytes.size);
    if (f.has_metadata()) w.set_metadata(f.metadata_entries());
    EXPECT_EQ(w.header(), std::string(f.header_text()));
    const bytes out = w.to_bytes();
    const bytes raw = ao_io_test::read_bytes(path);
    EXPECT_TRUE(out == raw);
    identical += out == raw;

    const std::string copy = dir.path() + "/" + std::filesystem::path(path).filename().string();
    w.write(copy);
    EXPECT_TRUE(ao_io_test::read_bytes(copy) == raw);
    const auto g = ao::io::safetensors_file::open(copy);
    ASSERT_EQ(g.size(), f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      const auto& a = f.tensors()[i];
      const auto& b = g.tensors()[i];
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(a.dtype, b.dtype);
      EXPECT_EQ(a.shape, b.shape);
      EXPECT_TRUE(std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end()));
    }
    EXPECT_EQ(g.metadata(), f.metadata());
    EXPECT_EQ(g.metadata_entries(), f.metadata_entries());
    std::filesystem::remove(copy);
  }
  EXPECT_EQ(identical, files.size());
  EXPECT_TRUE(dir.entries().empty());  // no temporary file left behind
}

// The same tensors added in any order and with the metadata as a sorted map: the same tensor order and bytes
// (only the metadata keys' order may differ from Python's, which is a HashMap's).
TEST(SafetensorsTorchao, WriterOrderDoesNotDependOnInsertionOrder) {
  const auto files = torchao_files();
  AO_REQUIRE_TORCHAO_FILES(files);
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    const auto f = ao::io::safetensors_file::open(path);
    ao::io::safetensors_writer w;
    for (auto it = f.tensors().rbegin(); it != f.tensors().rend(); ++it) {
      w.add(it->name, it->dtype, it->shape, it->bytes.data, it->bytes.size);
    }
    if (f.has_metadata()) w.set_metadata(f.metadata());
    const bytes out = w.to_bytes();
    const auto g = ao::io::safetensors_file::from_bytes(out.data(), out.size(), "rewritten " + path);
    EXPECT_EQ(g.metadata(), f.metadata());
    EXPECT_EQ(g.header_size(), f.header_size());
    ASSERT_EQ(g.size(), f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      EXPECT_EQ(g.tensors()[i].name, f.tensors()[i].name);
      EXPECT_EQ(g.tensors()[i].begin, f.tensors()[i].begin);
    }
    // The data sections are equal byte for byte.
    ASSERT_EQ(g.data_section().size, f.data_section().size);
    EXPECT_TRUE(std::equal(g.data_section().begin(), g.data_section().end(), f.data_section().begin()));
  }
}

}  // namespace
