// tests/hwy/emu128_test.cc: Highway's EMU128 target (the fallback target of clang and of g++ >= 12.3), where
// Highway 1.0.3's own ops differ from its other targets. The hwy test binaries cannot cover it in CI: g++ 12.2
// falls back to HWY_SCALAR instead (Highway's HWY_BROKEN_EMU128), so tests/hwy/CMakeLists.txt compiles this file
// alone with clang++ and HWY_COMPILE_ONLY_EMU128. Plain main, no GoogleTest: it prints each failure and exits 1.
//
// Checked: LowestLane / HighestLane (reduce-inl.h) of vectors of +-inf (Highway's EMU128 MinOfLanes gave FLT_MAX
// for +inf lanes), and the affine kernel's qparams of +-inf groups against the scalar oracle, byte for byte (an
// all-+inf group's tinygemm scale came out inf instead of NaN on EMU128).
#include <hwy/highway.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "ao/backends/hwy/affine-inl.h"
#include "ao/backends/hwy/reduce-inl.h"
#include "ao/backends/scalar/task.hpp"

#if HWY_TARGET != HWY_EMU128
#error "emu128_test.cc: compile with -DHWY_COMPILE_ONLY_EMU128 and a compiler that has EMU128 (clang, g++ >= 12.3)"
#endif

namespace {

namespace hn = ::hwy::HWY_NAMESPACE;
int failures = 0;

void Expect(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

void CheckLaneReductions() {
  const hn::ScalableTag<float> d;
  const float inf = std::numeric_limits<float>::infinity();
  const float fmax = std::numeric_limits<float>::max();
  Expect(Bits(ao::highway::HWY_NAMESPACE::LowestLane(d, hn::Set(d, inf))) == Bits(inf), "LowestLane(+inf) == +inf");
  Expect(Bits(ao::highway::HWY_NAMESPACE::HighestLane(d, hn::Set(d, -inf))) == Bits(-inf), "HighestLane(-inf) == -inf");
  Expect(ao::highway::HWY_NAMESPACE::LowestLane(d, hn::Set(d, fmax)) == fmax, "LowestLane(FLT_MAX) == FLT_MAX");
  Expect(ao::highway::HWY_NAMESPACE::HighestLane(d, hn::Set(d, 1.5f)) == 1.5f, "HighestLane(1.5) == 1.5");
  const auto ramp = hn::Iota(d, -2.0f);  // -2, -1, 0, 1 ...
  Expect(ao::highway::HWY_NAMESPACE::LowestLane(d, ramp) == -2.0f, "LowestLane(iota from -2) == -2");
  Expect(ao::highway::HWY_NAMESPACE::HighestLane(d, ramp) == -3.0f + static_cast<float>(hn::Lanes(d)),
         "HighestLane(iota from -2) == the last lane");
}

// One row of groups (finite, all +inf, all -inf, +inf and -inf, all zero) through the kernel and the oracle.
template <class F, class Src>
void CheckInfiniteGroups(const char* name) {
  constexpr size_t kGroup = static_cast<size_t>(F::granularity::size);
  const float inf = std::numeric_limits<float>::infinity();
  const size_t cols = 5 * kGroup;
  std::vector<Src> src(cols);
  for (size_t c = 0; c < cols; ++c) {
    const size_t g = c / kGroup, i = c % kGroup;
    const float v = g == 0   ? 0.25f * static_cast<float>(i) - 3.0f
                    : g == 1 ? inf
                    : g == 2 ? -inf
                    : g == 3 ? (i % 2 ? inf : -inf)
                             : 0.0f;
    src[c] = Src(v);
  }
  using S = ao::scale_storage_t<F>;
  using Z = ao::zero_point_storage_t<F>;
  std::vector<uint8_t> data_ref(cols, 0xA5), data_hwy(cols, 0xA5);
  std::vector<S> scales_ref(5), scales_hwy(5);
  std::vector<Z> zeros_ref(5), zeros_hwy(5);
  std::memset(static_cast<void*>(scales_ref.data()), 0x5A, sizeof(S) * 5);
  std::memset(static_cast<void*>(scales_hwy.data()), 0x5A, sizeof(S) * 5);
  std::memset(static_cast<void*>(zeros_ref.data()), 0x3C, sizeof(Z) * 5);
  std::memset(static_cast<void*>(zeros_hwy.data()), 0x3C, sizeof(Z) * 5);
  ao::quantize_task<F, Src> t{};
  t.src = src.data();
  t.src_stride = static_cast<std::ptrdiff_t>(cols);
  t.rows = 1;
  t.cols = cols;
  t.data_stride = static_cast<std::ptrdiff_t>(cols);
  t.scales_stride = 5;
  t.zero_points_stride = 5;
  t.data = data_ref.data();
  t.scales = scales_ref.data();
  t.zero_points = zeros_ref.data();
  ao::scalar::quantize(t);
  t.data = data_hwy.data();
  t.scales = scales_hwy.data();
  t.zero_points = zeros_hwy.data();
  ao::highway::HWY_NAMESPACE::Quantize(t);
  const bool same_scales = std::memcmp(scales_ref.data(), scales_hwy.data(), sizeof(S) * 5) == 0;
  const bool same_zeros = std::memcmp(zeros_ref.data(), zeros_hwy.data(), sizeof(Z) * 5) == 0;
  const bool same_codes = data_ref == data_hwy;
  if (!(same_scales && same_zeros && same_codes)) {
    std::printf("FAILED: %s: the kernel's %s differ from the oracle's\n", name,
                !same_scales  ? "scales"
                : !same_zeros ? "zero points"
                              : "codes");
    ++failures;
  }
}

}  // namespace

int main() {
  CheckLaneReductions();
  CheckInfiniteGroups<ao::tinygemm_int4<32>, ao::float16>("tinygemm_int4<32>, fp16 source");
  CheckInfiniteGroups<ao::tinygemm_int4<32>, float>("tinygemm_int4<32>, fp32 source");
  CheckInfiniteGroups<ao::affine<ao::int4, ao::mapping::asymmetric, ao::group<32>>, ao::bfloat16>(
      "int4 asymmetric g32, bf16 source");
  CheckInfiniteGroups<ao::affine<ao::int8, ao::mapping::symmetric, ao::group<32>>, float>(
      "int8 symmetric g32, fp32 source");
  if (failures == 0) std::printf("emu128_test: all checks passed (%s)\n", hwy::TargetName(HWY_TARGET));
  return failures == 0 ? 0 : 1;
}
