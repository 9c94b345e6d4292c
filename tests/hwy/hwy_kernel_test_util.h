// tests/hwy/hwy_kernel_test_util.h: what the Highway kernel tests share (plain C++, compiled once): adversarial
// input generators, and the comparison of one kernel call with the scalar oracle on a strided band of rows, every
// byte of the output buffers included (padding between rows must stay untouched).
#pragma once

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/numeric/detail/bits.hpp"

namespace ao::hwy_test {

inline float FromBits(uint32_t b) { return ao::detail::bit_cast<float>(b); }
inline uint32_t ToBits(float f) { return ao::detail::bit_cast<uint32_t>(f); }

// The targets to test: every compiled target this CPU supports. Runs fn(target_name) with each one selected.
template <class Fn>
void ForEachTarget(Fn&& fn) {
  std::string names;
  for (int64_t target : ::hwy::SupportedAndGeneratedTargets()) {
    ::hwy::SetSupportedTargetsForTest(target);
    names += std::string(" ") + ::hwy::TargetName(target);
    fn(::hwy::TargetName(target));
  }
  ::hwy::SetSupportedTargetsForTest(0);
  std::printf("[ targets  ]%s\n", names.c_str());
}

// Values for one granule (a block, a row or a tile's row segment) of n values: one of several kinds, chosen at
// random: random normals over a random binade, exact ties of fine dyadic grids (halves, quarters of a random
// binade, which become ties of every element grid after a power-of-two scale), specials scattered in (+-0, NaN of
// both signs and payloads, +-inf, fp32 subnormals, +-FLT_MAX, values near the element max), all-zero, all-tiny and
// all-huge granules.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  void Fill(float* x, size_t n) {
    const int kind = Int(0, 9);
    const int k = kind == 7 ? Int(100, 127) : (kind == 8 ? Int(-149, -100) : Int(-40, 40));
    for (size_t i = 0; i < n; ++i) {
      float v = 0.0f;
      switch (kind) {
        case 0:
        case 1:
          v = std::ldexp(static_cast<float>(normal_(rng_)), k);
          break;
        case 2:
        case 3:
        case 4: {  // dyadic grid points and midpoints
          const int j = Int(0, 63);
          const int quarter = Int(0, 3);
          v = std::ldexp(static_cast<float>(j) + 0.25f * static_cast<float>(quarter), k - 5);
          if (Int(0, 1)) v = -v;
          break;
        }
        case 5:
          v = Int(0, 1) ? 0.0f : -0.0f;
          break;
        case 6:  // a wide range in one granule: scale extremes against small elements
          v = std::ldexp(static_cast<float>(normal_(rng_)), Int(-140, 127));
          break;
        case 7:  // huge
          v = std::ldexp(1.0f + static_cast<float>(Int(0, 1023)) / 1024.0f, k) * (Int(0, 1) ? 1.0f : -1.0f);
          if (std::isinf(v)) v = std::numeric_limits<float>::max();
          break;
        default:  // tiny: fp32 subnormals and the smallest normals
          v = FromBits(static_cast<uint32_t>(Int(0, 0x00FFFFFF)) | (Int(0, 1) ? 0x80000000u : 0u));
          break;
      }
      if (Int(0, 15) == 0) v = Special();
      x[i] = v;
    }
  }

  float Special() {
    static const uint32_t kSpecials[] = {0x00000000u, 0x80000000u, 0x7FC00000u, 0xFFC00000u, 0x7F800001u,
                                         0xFFA00000u, 0x7F800000u, 0xFF800000u, 0x00000001u, 0x807FFFFFu,
                                         0x7F7FFFFFu, 0xFF7FFFFFu, 0x43E00000u, 0x43E80000u, 0x47600000u,
                                         0x47700000u, 0x40C00000u, 0x40D00000u, 0x40F00000u, 0x41E00000u};
    // 448, 464 (e4m3 max and the tie above), 57344, 61440, 6, 6.5, 7.5, 28
    const float v = FromBits(kSpecials[Int(0, sizeof(kSpecials) / sizeof(kSpecials[0]) - 1)]);
    return Int(0, 1) && !std::isnan(v) ? std::ldexp(v, Int(-20, 20)) : v;
  }

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  uint8_t Byte() { return static_cast<uint8_t>(Int(0, 255)); }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
  std::normal_distribution<float> normal_{0.0f, 1.0f};
};

// The columns whose codes byte `byte` of a data row holds (for messages): [first, first + count). One byte per
// code, two a byte, or a packing whose codes straddle bytes (block_scaled elements_per_byte 0: groups of
// storage::group_values codes in storage::group_bytes bytes).
struct ColumnSpan {
  size_t first, count;
};
template <class F>
ColumnSpan ColumnsOfByte(size_t byte) {
  constexpr int kPerByte = ao::format_traits<F>::elements_per_byte;
  if constexpr (kPerByte == 0) {
    using Storage = typename F::storage;
    const size_t group = byte / Storage::group_bytes;
    return {group * Storage::group_values, static_cast<size_t>(Storage::group_values)};
  } else {
    return {byte * kPerByte, static_cast<size_t>(kPerByte)};
  }
}

template <class T>
std::string BitsOf(T v) {
  char buf[32];
  if constexpr (std::is_same_v<T, float>) {
    std::snprintf(buf, sizeof(buf), "0x%08X", ToBits(v));
  } else {
    std::snprintf(buf, sizeof(buf), "0x%04X", static_cast<unsigned>(v.bits()));
  }
  return buf;
}

// A source matrix of rows x cols values of Src with row stride `stride` (padding filled with NaN-ish garbage),
// granules of `granule` consecutive values filled by the generator (a whole row when granule == 0).
template <class Src>
std::vector<Src> MakeSource(Generator& gen, size_t rows, size_t cols, size_t stride, size_t granule) {
  std::vector<Src> src(rows * stride + 1);
  std::vector<float> row(cols);
  for (size_t r = 0; r < rows; ++r) {
    const size_t g = granule == 0 ? (cols == 0 ? 1 : cols) : granule;
    for (size_t c = 0; c < cols; c += g) gen.Fill(row.data() + c, std::min(g, cols - c));
    for (size_t c = 0; c < stride; ++c) {
      const float v = c < cols ? row[c] : FromBits(0x7FBADBADu);
      if constexpr (std::is_same_v<Src, float>) {
        src[r * stride + c] = v;
      } else if (std::isnan(v) && gen.Int(0, 1)) {
        // Any NaN of the 16-bit type, not only the canonical one Src(v) makes: raw bf16/fp16 data holds any.
        constexpr bool kBf16 = std::is_same_v<Src, ao::bfloat16>;
        const unsigned exponent = kBf16 ? 0x7F80u : 0x7C00u, mantissa = kBf16 ? 0x7Fu : 0x3FFu;
        const unsigned sign = gen.Int(0, 1) ? 0x8000u : 0u;
        const unsigned payload = 1u + static_cast<unsigned>(gen.Int(0, static_cast<int>(mantissa) - 1));
        src[r * stride + c] = Src::from_bits(static_cast<uint16_t>(sign | exponent | payload));
      } else {
        src[r * stride + c] = Src(v);
      }
    }
  }
  return src;
}

// Runs the kernel and the oracle on the same quantize task (strided outputs prefilled with a sentinel) and
// expects identical bytes everywhere. Returns false (after reporting) on the first mismatch.
template <class F, class Src, class Kernel>
bool CheckQuantize(Kernel kernel, const std::vector<Src>& src, size_t rows, size_t cols, size_t src_stride,
                   const ao::tensor_params_t<F>& tensor, const std::string& what) {
  using T = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  const size_t row_bytes = T::data_row_bytes(cols);
  const size_t data_stride = row_bytes + 5;
  const size_t scale_rows = T::scale_rows(rows, cols), scale_cols = T::scale_cols(rows, cols);
  const size_t scales_stride = scale_cols + 3;
  std::vector<uint8_t> data_ref(rows * data_stride + 1, 0xA5), data_hwy(data_ref);
  std::vector<S> scales_ref((scale_rows + 1) * scales_stride), scales_hwy;
  std::memset(static_cast<void*>(scales_ref.data()), 0x5A, scales_ref.size() * sizeof(S));
  scales_hwy = scales_ref;
  ao::quantize_task<F, Src> t{src.data(),
                              static_cast<std::ptrdiff_t>(src_stride),
                              rows,
                              cols,
                              data_ref.data(),
                              static_cast<std::ptrdiff_t>(data_stride),
                              scales_ref.data(),
                              static_cast<std::ptrdiff_t>(scales_stride),
                              nullptr,
                              0,
                              tensor};
  ao::scalar::quantize(t);
  t.data = data_hwy.data();
  t.scales = scales_hwy.data();
  kernel(t);
  for (size_t i = 0; i < data_ref.size(); ++i) {
    if (data_ref[i] != data_hwy[i]) {
      const size_t r = i / data_stride, byte = i % data_stride;
      const ColumnSpan span = ColumnsOfByte<F>(byte);
      std::string inputs;
      for (size_t j = span.first; j < span.first + span.count && j < cols && r < rows; ++j) {
        inputs += " " + BitsOf(src[r * src_stride + j]);
      }
      ADD_FAILURE() << what << ": data byte (" << r << ", " << byte << ") oracle 0x" << std::hex << int(data_ref[i])
                    << " hwy 0x" << int(data_hwy[i]) << std::dec << " inputs" << inputs;
      return false;
    }
  }
  if (std::memcmp(scales_ref.data(), scales_hwy.data(), scales_ref.size() * sizeof(S)) != 0) {
    for (size_t i = 0; i < scales_ref.size(); ++i) {
      if (std::memcmp(&scales_ref[i], &scales_hwy[i], sizeof(S)) != 0) {
        ADD_FAILURE() << what << ": scale " << i / scales_stride << ", " << i % scales_stride << " oracle "
                      << BitsOf(scales_ref[i]) << " hwy " << BitsOf(scales_hwy[i]);
        return false;
      }
    }
  }
  return true;
}

// Dequantizes the same data and scales with the kernel and the oracle into strided outputs; expects identical bits,
// NaNs included (both write a NaN element's own NaN when its scale is NaN too: ao::detail::torch_multiply).
template <class F, class Dst, class Kernel>
bool CheckDequantize(Kernel kernel, const std::vector<uint8_t>& data, size_t data_stride,
                     const std::vector<ao::scale_storage_t<F>>& scales, size_t scales_stride, size_t rows, size_t cols,
                     const ao::tensor_params_t<F>& tensor, const std::string& what) {
  const size_t dst_stride = cols + 3;
  std::vector<Dst> ref(rows * dst_stride + 1), hwy;
  std::memset(static_cast<void*>(ref.data()), 0x3C, ref.size() * sizeof(Dst));
  hwy = ref;
  ao::dequantize_task<F, Dst> t{data.data(),
                                static_cast<std::ptrdiff_t>(data_stride),
                                scales.data(),
                                static_cast<std::ptrdiff_t>(scales_stride),
                                nullptr,
                                0,
                                tensor,
                                rows,
                                cols,
                                ref.data(),
                                static_cast<std::ptrdiff_t>(dst_stride)};
  ao::scalar::dequantize(t);
  t.dst = hwy.data();
  kernel(t);
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::memcmp(&ref[i], &hwy[i], sizeof(Dst)) != 0) {
      const size_t r = i / dst_stride, c = i % dst_stride;
      const size_t byte = ao::format_traits<F>::data_row_bytes(c);  // (the first byte of c's packing group)
      ADD_FAILURE() << what << ": value (" << r << ", " << c << ") oracle " << BitsOf(ref[i]) << " hwy "
                    << BitsOf(hwy[i]) << " data byte 0x" << std::hex
                    << (r < rows && c < cols ? int(data[r * data_stride + byte]) : -1) << std::dec;
      return false;
    }
  }
  return true;
}

}  // namespace ao::hwy_test
