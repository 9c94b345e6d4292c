// What the CUDA test programs and benchmarks share (they are self-contained: the GPU machine has no GoogleTest):
//   CUDA_CHECK(expr)               a CUDA call whose failure prints file, line, call and error, then exits 2
//   report(ok, what, detail)       one "PASS/FAIL what detail" line, counted in g_passed / g_failed
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#define CUDA_CHECK(expr)                                                                            \
  do {                                                                                              \
    cudaError_t err_ = (expr);                                                                      \
    if (err_ != cudaSuccess) {                                                                      \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, cudaGetErrorString(err_)); \
      std::exit(2);                                                                                 \
    }                                                                                               \
  } while (0)

inline int g_passed = 0, g_failed = 0;

inline void report(bool ok, const std::string& what, const std::string& detail) {
  (ok ? g_passed : g_failed)++;
  std::printf("%s %-64s %s\n", ok ? "PASS" : "FAIL", what.c_str(), detail.c_str());
  std::fflush(stdout);
}
