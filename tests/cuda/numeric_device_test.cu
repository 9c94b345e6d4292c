// The element codecs in CUDA device code return the same bits as on the host, for every code (decode) and every
// float32 bit pattern (encode), and agree with NVIDIA's own device conversions (the sm_90 cvt instructions for
// e4m3/e5m2/bf16/fp16; CUDA's software paths for fp4/fp6/e8m0) outside the documented NaN differences.
//
// Self-contained (no GoogleTest: the GPU machine has none). Prints one line per check and closes with
// "N passed, N failed". Exit 0 when all pass, 77 (CTest's skip code) when no CUDA device is present.
// AO_DEVICE_TEST_STRIDE=k visits every k-th float32 (default 1: all 2^32).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp4.h>
#include <cuda_fp6.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ao/ao.hpp"
#include "device_check.cuh"

namespace {

__host__ __device__ inline float float_of(std::uint32_t bits) { return ao::detail::bit_cast<float>(bits); }

// ---- ao on the device against ao on the host ----

template <class T, ao::rounding R, ao::overflow O>
__global__ void encode_kernel(std::uint64_t first, std::uint64_t stride, std::uint64_t count, std::uint16_t* out) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < count;
       i += std::uint64_t(gridDim.x) * blockDim.x) {
    out[i] = ao::convert<T, R, O>(float_of(static_cast<std::uint32_t>(first + i * stride))).bits();
  }
}

// The format oracles' block functions compile in device code too (compiled by CI's nvcc; run by gpu-check).
__global__ void block_functions_kernel(const float* x, std::uint8_t* codes, std::uint8_t* scales, float* out) {
  scales[0] = ao::scalar::quantize_block<ao::mxfp4>(x, codes);
  scales[1] = ao::scalar::quantize_block<ao::mxfp8_e4m3::with_scale_rule<ao::scale_rule::rceil>>(x, codes + 32);
  ao::scalar::dequantize_block<ao::mxfp4>(codes, scales[0], out);
  scales[2] = ao::scalar::nvfp4_quantize_block(x, codes + 64);
}

template <class T>
__global__ void decode_kernel(std::uint32_t* out_float_bits, std::uint64_t* out_double_bits) {
  const std::uint32_t c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c < (1u << T::bits_per_value)) {
    const T x = T::from_bits(static_cast<typename T::storage_type>(c));
    out_float_bits[c] = ao::detail::bit_cast<std::uint32_t>(float(x));
    out_double_bits[c] = ao::detail::bit_cast<std::uint64_t>(double(x));
  }
}

template <class Fn>
void host_parallel(std::uint64_t n, Fn fn) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::uint64_t i = n * t / threads; i < n * (t + 1) / threads; ++i) fn(i);
    });
  for (auto& th : pool) th.join();
}

template <class T>
void check_decode() {
  constexpr std::uint32_t n = 1u << T::bits_per_value;
  std::uint32_t* df;
  std::uint64_t* dd;
  CUDA_CHECK(cudaMalloc(&df, n * 4));
  CUDA_CHECK(cudaMalloc(&dd, n * 8));
  decode_kernel<T><<<(n + 255) / 256, 256>>>(df, dd);
  CUDA_CHECK(cudaGetLastError());
  std::vector<std::uint32_t> hf(n);
  std::vector<std::uint64_t> hd(n);
  CUDA_CHECK(cudaMemcpy(hf.data(), df, n * 4, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(hd.data(), dd, n * 8, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaFree(df));
  CUDA_CHECK(cudaFree(dd));
  int bad = 0;
  for (std::uint32_t c = 0; c < n; ++c) {
    const T x = T::from_bits(static_cast<typename T::storage_type>(c));
    bad += hf[c] != ao::detail::bit_cast<std::uint32_t>(float(x));
    bad += hd[c] != ao::detail::bit_cast<std::uint64_t>(double(x));
  }
  report(bad == 0, std::string("decode every code, device == host: ") + name(T{}),
         std::to_string(n) + " codes, " + std::to_string(bad) + " differ");
}

template <class T, ao::rounding R, ao::overflow O>
void check_encode(const char* mode, std::uint64_t stride) {
  const std::uint64_t total = ((1ull << 32) + stride - 1) / stride;
  const std::uint64_t chunk = 1ull << 27;
  std::uint16_t* d;
  CUDA_CHECK(cudaMalloc(&d, chunk * 2));
  std::vector<std::uint16_t> h(chunk);
  std::atomic<std::uint64_t> bad{0};
  std::atomic<std::uint32_t> first_bad{0};
  for (std::uint64_t begin = 0; begin < total; begin += chunk) {
    const std::uint64_t count = std::min(chunk, total - begin);
    encode_kernel<T, R, O><<<1024, 256>>>(begin * stride, stride, count, d);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaMemcpy(h.data(), d, count * 2, cudaMemcpyDeviceToHost));
    host_parallel(count, [&](std::uint64_t i) {
      const std::uint32_t bits = static_cast<std::uint32_t>((begin + i) * stride);
      if (h[i] != ao::convert<T, R, O>(float_of(bits)).bits()) {
        if (bad++ == 0) first_bad = bits;
      }
    });
  }
  CUDA_CHECK(cudaFree(d));
  char detail[160];
  std::snprintf(detail, sizeof detail, "%llu patterns, %llu differ (first at float32 bits 0x%08x)",
                (unsigned long long)total, (unsigned long long)bad.load(), bad ? first_bad.load() : 0u);
  report(bad == 0, std::string("encode every float32, device == host: ") + name(T{}) + " " + mode, detail);
}

template <class T>
void check_type(std::uint64_t stride) {
  check_decode<T>();
  check_encode<T, ao::rounding::nearest_even, T::default_overflow>("default", stride);
}

// The MX and NVFP4 block oracles on the device equal the host, on blocks of random values of random magnitude.
void check_block_functions() {
  std::uint32_t state = 12345;
  auto next = [&state] { return state = state * 1664525u + 1013904223u; };
  int bad = 0;
  float *dx, *dout;
  std::uint8_t *dcodes, *dscales;
  CUDA_CHECK(cudaMalloc(&dx, 32 * 4));
  CUDA_CHECK(cudaMalloc(&dout, 32 * 4));
  CUDA_CHECK(cudaMalloc(&dcodes, 96));
  CUDA_CHECK(cudaMalloc(&dscales, 3));
  for (int trial = 0; trial < 200; ++trial) {
    float x[32];
    const int e = static_cast<int>(next() % 60) - 30;
    for (float& v : x) v = std::ldexp(static_cast<float>(static_cast<std::int32_t>(next())) / 2147483648.0f, e);
    CUDA_CHECK(cudaMemcpy(dx, x, sizeof x, cudaMemcpyHostToDevice));
    block_functions_kernel<<<1, 1>>>(dx, dcodes, dscales, dout);
    CUDA_CHECK(cudaGetLastError());
    std::uint8_t codes[96], scales[3];
    float out[32];
    CUDA_CHECK(cudaMemcpy(codes, dcodes, 96, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(scales, dscales, 3, cudaMemcpyDeviceToHost));
    CUDA_CHECK(cudaMemcpy(out, dout, sizeof out, cudaMemcpyDeviceToHost));
    std::uint8_t hcodes[96], hscales[3];
    float hout[32];
    hscales[0] = ao::scalar::quantize_block<ao::mxfp4>(x, hcodes);
    hscales[1] = ao::scalar::quantize_block<ao::mxfp8_e4m3::with_scale_rule<ao::scale_rule::rceil>>(x, hcodes + 32);
    ao::scalar::dequantize_block<ao::mxfp4>(hcodes, hscales[0], hout);
    hscales[2] = ao::scalar::nvfp4_quantize_block(x, hcodes + 64);
    bad += std::memcmp(codes, hcodes, 32 + 32 + 16) != 0 || std::memcmp(scales, hscales, 3) != 0 ||
           std::memcmp(out, hout, sizeof out) != 0;
  }
  CUDA_CHECK(cudaFree(dx));
  CUDA_CHECK(cudaFree(dout));
  CUDA_CHECK(cudaFree(dcodes));
  CUDA_CHECK(cudaFree(dscales));
  report(bad == 0, "MX/NVFP4 block oracles, device == host", "200 random blocks, " + std::to_string(bad) + " differ");
}

// ---- ao on the device against NVIDIA's device conversions ----

struct compare_counters {
  unsigned long long compared, differ_finite, differ_nan_input;
  unsigned first_finite;
};

enum class nv_op {
  e4m3_sat, e4m3_nosat, e5m2_sat, e5m2_nosat, e2m3, e3m2, e2m1, e8m0_rz_sat, e8m0_rz_nosat, e8m0_rp_sat,
  e8m0_rp_nosat, bf16_rn, fp16_rn, bf16_rz, fp16_rz
};

template <nv_op Op>
__device__ void both(float x, unsigned& ours, unsigned& theirs) {
  using ao::overflow;
  using ao::rounding;
  if constexpr (Op == nv_op::e4m3_sat) {
    ours = ao::float8_e4m3fn(x).bits();
    theirs = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
  } else if constexpr (Op == nv_op::e4m3_nosat) {
    ours = ao::convert<ao::float8_e4m3fn, overflow::to_inf_or_nan>(x).bits();
    theirs = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3);
  } else if constexpr (Op == nv_op::e5m2_sat) {
    ours = ao::float8_e5m2(x).bits();
    theirs = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
  } else if constexpr (Op == nv_op::e5m2_nosat) {
    ours = ao::convert<ao::float8_e5m2, overflow::to_inf_or_nan>(x).bits();
    theirs = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2);
  } else if constexpr (Op == nv_op::e2m3) {
    ours = ao::float6_e2m3fn(x).bits();
    theirs = __nv_cvt_float_to_fp6(x, __NV_E2M3, cudaRoundNearest);
  } else if constexpr (Op == nv_op::e3m2) {
    ours = ao::float6_e3m2fn(x).bits();
    theirs = __nv_cvt_float_to_fp6(x, __NV_E3M2, cudaRoundNearest);
  } else if constexpr (Op == nv_op::e2m1) {
    ours = ao::float4_e2m1fn(x).bits();
    theirs = __nv_cvt_float_to_fp4(x, __NV_E2M1, cudaRoundNearest);
  } else if constexpr (Op == nv_op::e8m0_rz_sat) {
    ours = ao::convert<ao::float8_e8m0fnu, rounding::toward_zero, overflow::saturate>(x).bits();
    theirs = __nv_cvt_float_to_e8m0(x, __NV_SATFINITE, cudaRoundZero);
  } else if constexpr (Op == nv_op::e8m0_rz_nosat) {
    ours = ao::convert<ao::float8_e8m0fnu, rounding::toward_zero, overflow::to_inf_or_nan>(x).bits();
    theirs = __nv_cvt_float_to_e8m0(x, __NV_NOSAT, cudaRoundZero);
  } else if constexpr (Op == nv_op::e8m0_rp_sat) {
    ours = ao::convert<ao::float8_e8m0fnu, rounding::up, overflow::saturate>(x).bits();
    theirs = __nv_cvt_float_to_e8m0(x, __NV_SATFINITE, cudaRoundPosInf);
  } else if constexpr (Op == nv_op::e8m0_rp_nosat) {
    ours = ao::convert<ao::float8_e8m0fnu, rounding::up, overflow::to_inf_or_nan>(x).bits();
    theirs = __nv_cvt_float_to_e8m0(x, __NV_NOSAT, cudaRoundPosInf);
  } else if constexpr (Op == nv_op::bf16_rn) {
    ours = ao::bfloat16(x).bits();
    theirs = __bfloat16_as_ushort(__float2bfloat16_rn(x));
  } else if constexpr (Op == nv_op::fp16_rn) {
    ours = ao::float16(x).bits();
    theirs = __half_as_ushort(__float2half_rn(x));
  } else if constexpr (Op == nv_op::bf16_rz) {
    ours = ao::convert<ao::bfloat16, rounding::toward_zero>(x).bits();
    theirs = __bfloat16_as_ushort(__float2bfloat16_rz(x));
  } else {
    ours = ao::convert<ao::float16, rounding::toward_zero>(x).bits();
    theirs = __half_as_ushort(__float2half_rz(x));
  }
}

template <nv_op Op>
__global__ void compare_kernel(std::uint64_t first, std::uint64_t stride, std::uint64_t count, compare_counters* c) {
  unsigned long long finite = 0, nan_in = 0;
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < count;
       i += std::uint64_t(gridDim.x) * blockDim.x) {
    const std::uint32_t bits = static_cast<std::uint32_t>(first + i * stride);
    const float x = float_of(bits);
    unsigned ours, theirs;
    both<Op>(x, ours, theirs);
    if (ours != theirs) {
      if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
        ++nan_in;
      } else {
        if (finite++ == 0) atomicCAS(&c->first_finite, 0u, bits | 1u);  // |1: nonzero marker (approximate)
      }
    }
  }
  atomicAdd(&c->compared, 0ull);
  atomicAdd(&c->differ_finite, finite);
  atomicAdd(&c->differ_nan_input, nan_in);
}

template <nv_op Op>
compare_counters run_compare(std::uint64_t stride) {
  const std::uint64_t total = ((1ull << 32) + stride - 1) / stride;
  compare_counters* d;
  CUDA_CHECK(cudaMalloc(&d, sizeof(compare_counters)));
  CUDA_CHECK(cudaMemset(d, 0, sizeof(compare_counters)));
  compare_kernel<Op><<<4096, 256>>>(0, stride, total, d);
  CUDA_CHECK(cudaGetLastError());
  compare_counters h;
  CUDA_CHECK(cudaMemcpy(&h, d, sizeof h, cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaFree(d));
  h.compared = total;
  return h;
}

// Expected differences, established by the exhaustive host cross-check (tests/nvidia) and docs/numerics.md:
// NaN inputs only (NVIDIA returns one canonical NaN or +max; ao keeps the sign of NaN where the format has one).
template <nv_op Op>
void check_against_nvidia(const char* what, std::uint64_t stride, bool nan_inputs_may_differ) {
  const compare_counters c = run_compare<Op>(stride);
  const bool ok = c.differ_finite == 0 && (nan_inputs_may_differ || c.differ_nan_input == 0);
  char detail[200];
  std::snprintf(detail, sizeof detail, "%llu patterns; differ: %llu non-NaN inputs (one at 0x%08x), %llu NaN inputs",
                c.compared, c.differ_finite, c.differ_finite ? (c.first_finite & ~1u) : 0u, c.differ_nan_input);
  report(ok, std::string("device ao == NVIDIA device cvt: ") + what, detail);
}

}  // namespace

int main() {
  if (!have_device()) return 77;
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const char* s = std::getenv("AO_DEVICE_TEST_STRIDE");
  const std::uint64_t stride = s ? std::max(1L, std::strtol(s, nullptr, 10)) : 1;
  std::printf("device: %s (sm_%d%d), float32 stride %llu\n", prop.name, prop.major, prop.minor,
              (unsigned long long)stride);
  const auto t0 = std::chrono::steady_clock::now();

  check_block_functions();
  check_type<ao::float8_e4m3fn>(stride);
  check_type<ao::float8_e4m3fnuz>(stride);
  check_type<ao::float8_e5m2>(stride);
  check_type<ao::float8_e5m2fnuz>(stride);
  check_type<ao::float8_e8m0fnu>(stride);
  check_type<ao::float6_e2m3fn>(stride);
  check_type<ao::float6_e3m2fn>(stride);
  check_type<ao::float4_e2m1fn>(stride);
  check_type<ao::bfloat16>(stride);
  check_type<ao::float16>(stride);
  check_encode<ao::float8_e8m0fnu, ao::rounding::up, ao::overflow::to_inf_or_nan>("up, to_inf_or_nan (RCEIL)", stride);
  check_encode<ao::float8_e8m0fnu, ao::rounding::toward_zero, ao::overflow::saturate>("toward_zero", stride);
  check_encode<ao::float8_e4m3fn, ao::rounding::nearest_even, ao::overflow::to_inf_or_nan>("to_inf_or_nan", stride);
  check_encode<ao::float4_e2m1fn, ao::rounding::down, ao::overflow::saturate>("down", stride);
  check_encode<ao::bfloat16, ao::rounding::up, ao::overflow::saturate>("up, saturate", stride);

  check_against_nvidia<nv_op::e4m3_sat>("e4m3 satfinite", stride, true);
  check_against_nvidia<nv_op::e4m3_nosat>("e4m3 nosat", stride, true);
  check_against_nvidia<nv_op::e5m2_sat>("e5m2 satfinite", stride, true);
  check_against_nvidia<nv_op::e5m2_nosat>("e5m2 nosat", stride, true);
  check_against_nvidia<nv_op::e2m3>("fp6 e2m3 rn", stride, true);
  check_against_nvidia<nv_op::e3m2>("fp6 e3m2 rn", stride, true);
  check_against_nvidia<nv_op::e2m1>("fp4 e2m1 rn", stride, true);
  check_against_nvidia<nv_op::e8m0_rz_sat>("e8m0 rz satfinite", stride, true);
  check_against_nvidia<nv_op::e8m0_rz_nosat>("e8m0 rz nosat", stride, true);
  check_against_nvidia<nv_op::e8m0_rp_sat>("e8m0 rp satfinite", stride, true);
  check_against_nvidia<nv_op::e8m0_rp_nosat>("e8m0 rp nosat", stride, true);
  check_against_nvidia<nv_op::bf16_rn>("bf16 rn", stride, true);
  check_against_nvidia<nv_op::fp16_rn>("fp16 rn", stride, true);
  check_against_nvidia<nv_op::bf16_rz>("bf16 rz", stride, true);
  check_against_nvidia<nv_op::fp16_rz>("fp16 rz", stride, true);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("time: %.1f s\n", seconds);
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
