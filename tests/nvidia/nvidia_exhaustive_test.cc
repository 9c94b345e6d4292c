// Every float32 bit pattern (both signs; AO_NVIDIA_FLOAT_STRIDE, else AO_EXHAUSTIVE_STRIDE, visits every n-th)
// is converted by NVIDIA's host converters from the CUDA toolkit headers and by ao, in every rounding and
// saturation mode both sides offer.
// The double entry points get the same patterns widened to double, every 5th one (AO_NVIDIA_DOUBLE_STRIDE=1 for
// all: the widened values are the float values again, and it halves the run). Every outcome must have the
// category its check documents (see nvidia_crosscheck.hpp); in a sweep of every pattern every category must
// also have its exact documented count. Label "exhaustive": about 2^32 patterns per test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "nvidia_crosscheck.hpp"

namespace {

using namespace ao::nvidia_check;

// The float sweeps' stride: AO_NVIDIA_FLOAT_STRIDE when set, else AO_EXHAUSTIVE_STRIDE's. (CI keeps these at 1,
// every pattern with the exact counts, while the reference-oracle sweeps of encode_exhaustive_test take every 3rd.)
std::uint32_t float_stride() {
  const char* s = std::getenv("AO_NVIDIA_FLOAT_STRIDE");
  if (s == nullptr) return ao::testing::exhaustive_stride();
  const long v = std::strtol(s, nullptr, 10);
  return v >= 1 ? static_cast<std::uint32_t>(v) : 1u;
}

std::uint32_t double_stride() {
  const char* s = std::getenv("AO_NVIDIA_DOUBLE_STRIDE");
  const long v = s ? std::strtol(s, nullptr, 10) : 5;
  return float_stride() * static_cast<std::uint32_t>(v >= 1 ? v : 1);
}

template <class Tuple>
void sweep_and_check(const char* what, const Tuple& checks, std::uint32_t stride) {
  const auto start = std::chrono::steady_clock::now();
  sweep_float32(checks, stride);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[nvidia] %s: every %u-th float32 pattern, %zu checks, %.1f s\n", what, stride, std::tuple_size_v<Tuple>,
              seconds);
  finish_all(checks, stride == 1);
}

TEST(NvidiaExhaustive, Float8E4M3) { sweep_and_check("e4m3", checks_e4m3<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float8E4M3FromDouble) {
  sweep_and_check("e4m3 from double", checks_e4m3<double>(), double_stride());
}
TEST(NvidiaExhaustive, Float8E5M2) { sweep_and_check("e5m2", checks_e5m2<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float8E5M2FromDouble) {
  sweep_and_check("e5m2 from double", checks_e5m2<double>(), double_stride());
}
TEST(NvidiaExhaustive, Float6E2M3) { sweep_and_check("e2m3", checks_e2m3<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float6E2M3FromDouble) {
  sweep_and_check("e2m3 from double", checks_e2m3<double>(), double_stride());
}
TEST(NvidiaExhaustive, Float6E3M2) { sweep_and_check("e3m2", checks_e3m2<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float6E3M2FromDouble) {
  sweep_and_check("e3m2 from double", checks_e3m2<double>(), double_stride());
}
TEST(NvidiaExhaustive, Float4E2M1) { sweep_and_check("e2m1", checks_e2m1<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float4E2M1FromDouble) {
  sweep_and_check("e2m1 from double", checks_e2m1<double>(), double_stride());
}
TEST(NvidiaExhaustive, Float8E8M0) { sweep_and_check("e8m0", checks_e8m0<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float8E8M0FromDouble) {
  sweep_and_check("e8m0 from double", checks_e8m0<double>(), double_stride());
}
TEST(NvidiaExhaustive, BFloat16) { sweep_and_check("bf16", checks_bf16<float>(), float_stride()); }
TEST(NvidiaExhaustive, BFloat16FromDouble) {
  sweep_and_check("bf16 from double", checks_bf16<double>(), double_stride());
}
TEST(NvidiaExhaustive, Float16) { sweep_and_check("f16", checks_f16<float>(), float_stride()); }
TEST(NvidiaExhaustive, Float16FromDouble) { sweep_and_check("f16 from double", checks_f16<double>(), double_stride()); }

}  // namespace
