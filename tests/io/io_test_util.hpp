// Helpers of the ao/io tests: files built from a header text, ao::error checks, temporary directories.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "ao/error.hpp"
#include "expect_error.hpp"

namespace ao_io_test {

using bytes = std::vector<std::uint8_t>;

// A safetensors file: the 8-byte little-endian length `n` (by default the header's size), the header text as
// given (no padding added), then `data`.
inline bytes make_file(const std::string& header, const bytes& data = {},
                       std::optional<std::uint64_t> length = std::nullopt) {
  const std::uint64_t n = length ? *length : header.size();
  bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline bytes iota_bytes(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return b;
}

inline bytes read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

using ao::testing::expect_error;  // tests/support/expect_error.hpp

// The names of the entries of the directory at `path`, sorted.
inline std::vector<std::string> dir_entries(const std::string& path) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(path)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

// A fresh directory under $TMPDIR (or /tmp), removed with its content at the end of the scope.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/ao_io_test.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // The names of the entries of the directory, sorted.
  std::vector<std::string> entries() const { return dir_entries(path_); }

 private:
  std::string path_;
};

}  // namespace ao_io_test
