// benchmarks/read_roofline.hpp: the memory-read loop the benchmarks' same-run rooflines time (matmul_bench.cc,
// embedding_bag_bench.cc): what one core's plain loads of a buffer reach, with no decode; and the size of the
// weights those benchmarks stream, which an environment variable can shrink to fit the L3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace ao_bench {

// Bytes: the environment variable `name` in MiB (say 0 or 8: the data stays in the L3, which shows a kernel's
// speed without DRAM), else default_mib MiB.
inline std::size_t mib_from_env(const char* name, std::size_t default_mib) {
  const char* mib = std::getenv(name);
  return static_cast<std::size_t>(mib != nullptr ? std::strtoull(mib, nullptr, 10) : default_mib) << 20;
}

// Sum of n bytes as 64-bit words (n a multiple of 8), four independent sums.
inline std::uint64_t read_words(const std::uint8_t* p, std::size_t n) {
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    std::uint64_t v[4];
    std::memcpy(v, p + i, 32);
    a0 += v[0];
    a1 += v[1];
    a2 += v[2];
    a3 += v[3];
  }
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    a0 += v;
  }
  return a0 + a1 + a2 + a3;
}

}  // namespace ao_bench
