// What the CUDA test programs and benchmarks share (they are self-contained: the GPU machine has no GoogleTest):
//   CUDA_CHECK(expr)               a CUDA call whose failure prints file, line, call and error, then exits 2
//   have_device()                  false (after printing "no CUDA device: skipped") when there is no GPU: main
//                                  then returns 77, CTest's skip code
//   report(ok, what, detail)       one "PASS/FAIL what detail" line, counted in g_passed / g_failed
//   device_buffer                  device memory at a chosen byte offset, poisoned, with upload / download
//   median_ms(run, before)         the median time of run() in ms over 30 timed calls (CUDA events around each,
//                                  5 untimed calls first); before(), if given, runs ahead of each call, untimed
//   l2_flush                       a 256 MiB device buffer; flush() overwrites it (asynchronously), evicting the
//                                  L2 before a timed call (pass [&] { f.flush(); } as median_ms's before)
//   fill_bytes_kernel(p, n, seed, mask)  byte i of p = a hash of (i, seed) & mask (grid-stride)
//   fill_value_kernel(p, n, v)     every element of p = v (grid-stride)
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#define CUDA_CHECK(expr)                                                                            \
  do {                                                                                              \
    cudaError_t err_ = (expr);                                                                      \
    if (err_ != cudaSuccess) {                                                                      \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, cudaGetErrorString(err_)); \
      std::exit(2);                                                                                 \
    }                                                                                               \
  } while (0)

inline bool have_device() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device: skipped\n");
    return false;
  }
  return true;
}

inline int g_passed = 0, g_failed = 0;

inline void report(bool ok, const std::string& what, const std::string& detail) {
  (ok ? g_passed : g_failed)++;
  std::printf("%s %-64s %s\n", ok ? "PASS" : "FAIL", what.c_str(), detail.c_str());
  std::fflush(stdout);
}

// Device memory with a byte offset (to make addresses odd on purpose), filled with a poison byte so that an
// unwritten output never matches.
struct device_buffer {
  std::uint8_t* base = nullptr;
  std::size_t bytes = 0, offset = 0;
  device_buffer(std::size_t n, std::size_t off = 0) : bytes(n), offset(off) {
    CUDA_CHECK(cudaMalloc(&base, n + off + 16));
    CUDA_CHECK(cudaMemset(base, 0xA5, n + off + 16));
  }
  ~device_buffer() { cudaFree(base); }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(base + offset);
  }
  void upload(const void* src, std::size_t n) { CUDA_CHECK(cudaMemcpy(base + offset, src, n, cudaMemcpyHostToDevice)); }
  std::vector<std::uint8_t> download() const {
    std::vector<std::uint8_t> v(bytes);
    CUDA_CHECK(cudaMemcpy(v.data(), base + offset, bytes, cudaMemcpyDeviceToHost));
    return v;
  }
};

inline double median_ms(const std::function<void()>& run, const std::function<void()>& before = {}) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 5; ++i) run();
  std::vector<float> ms;
  for (int i = 0; i < 30; ++i) {
    if (before) before();
    CUDA_CHECK(cudaEventRecord(start));
    run();
    CUDA_CHECK(cudaEventRecord(stop));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float t = 0;
    CUDA_CHECK(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

struct l2_flush {
  static constexpr std::size_t bytes = std::size_t(256) << 20;
  std::uint8_t* buffer = nullptr;
  l2_flush() { CUDA_CHECK(cudaMalloc(&buffer, bytes)); }
  ~l2_flush() { cudaFree(buffer); }
  l2_flush(const l2_flush&) = delete;
  l2_flush& operator=(const l2_flush&) = delete;
  void flush() const {
    CUDA_CHECK(cudaMemsetAsync(buffer, static_cast<int>(reinterpret_cast<std::uintptr_t>(buffer) & 1), bytes));
  }
};

template <class Byte = std::uint8_t>  // a template, so that programs that do not use it compile no code for it
__global__ void fill_bytes_kernel(Byte* p, std::size_t n, std::uint32_t seed, Byte mask) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x) {
    std::uint32_t h = static_cast<std::uint32_t>(i) * 2654435761u + seed;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    p[i] = static_cast<Byte>(static_cast<Byte>(h) & mask);
  }
}

template <class T>
__global__ void fill_value_kernel(T* p, std::size_t n, T v) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x) {
    p[i] = v;
  }
}
