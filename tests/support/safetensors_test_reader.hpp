// A minimal safetensors reader for tests: loads a whole file and returns tensors' raw bytes, dtype and shape.
// It trusts its input (the files torchao wrote, in ../shared/data/torchao); the library's validating reader is
// ao/io (its own issue).
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace ao::testing {

struct test_tensor {
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  // Values as float: F32 as is, BF16 widened (exact).
  std::vector<float> as_float() const {
    std::vector<float> out(static_cast<std::size_t>(numel()));
    if (dtype == "F32") {
      std::memcpy(out.data(), bytes.data(), bytes.size());
    } else if (dtype == "BF16") {
      for (std::size_t i = 0; i < out.size(); ++i) {
        const std::uint32_t b = static_cast<std::uint32_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
        std::memcpy(&out[i], &b, 4);
      }
    } else {
      throw std::runtime_error("as_float: dtype " + dtype);
    }
    return out;
  }
};

class test_safetensors {
 public:
  explicit test_safetensors(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    data_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    std::uint64_t n = 0;
    std::memcpy(&n, data_.data(), 8);
    header_ = nlohmann::json::parse(data_.begin() + 8, data_.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    base_ = 8 + n;
  }
  bool has(const std::string& name) const { return header_.contains(name); }
  test_tensor get(const std::string& name) const {
    const auto& e = header_.at(name);
    test_tensor t;
    t.dtype = e.at("dtype").get<std::string>();
    t.shape = e.at("shape").get<std::vector<std::int64_t>>();
    const auto offsets = e.at("data_offsets").get<std::vector<std::uint64_t>>();
    t.bytes.assign(data_.begin() + static_cast<std::ptrdiff_t>(base_ + offsets[0]),
                   data_.begin() + static_cast<std::ptrdiff_t>(base_ + offsets[1]));
    return t;
  }

 private:
  std::vector<char> data_;
  nlohmann::json header_;
  std::uint64_t base_ = 0;
};

// The folder of torchao's files (../shared/data/torchao beside the checkout), from the build.
inline std::string torchao_data_dir() { return AO_TORCHAO_DATA_DIR; }

// torchao's files, each loaded once per test program.
inline const test_safetensors& torchao_inputs() {
  static const test_safetensors f(torchao_data_dir() + "/inputs.safetensors");
  return f;
}
inline const test_safetensors& torchao_mx() {
  static const test_safetensors f(torchao_data_dir() + "/mx.safetensors");
  return f;
}
inline const test_safetensors& torchao_other() {
  static const test_safetensors f(torchao_data_dir() + "/other.safetensors");
  return f;
}

// The float32 bit pattern of f.
inline std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

}  // namespace ao::testing
