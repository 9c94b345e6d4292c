// ao::cuda::quantize / ao::cuda::dequantize (ao/backends/cuda/quantize.cuh) against the scalar oracle on the host:
// every byte of the codes, the scales and the NVFP4 global scale, and every bit of the dequantized values, for
// every MX element with each scale rule, MX with other block sizes, NVFP4 single and two level, and FP8 per
// tensor / row / 1x128 / 128x128 block (e4m3, e5m2, fnuz, torch_cuda arithmetic, a clamped amax); from fp32,
// bf16 and fp16 sources, to fp32 / bf16 / fp16 outputs. Inputs: Gaussian rows whose magnitudes span 2^-30..2^30,
// heavy-tailed outliers, all-zero rows, subnormals, values on rounding ties, +-Inf and NaN; shapes that are not
// multiples of any kernel tile; padded (unaligned) row strides and odd base addresses, which take the kernels'
// narrow-access paths. Also the host-side argument checks (each must throw ao::error and launch nothing).
//
// Self-contained (no GoogleTest: the GPU machine has none). One line per check, then "N passed, N failed".
// Exit 0 when all pass, 77 (CTest's skip code) when no CUDA device is present.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/ao.hpp"
#include "ao/backends/cuda/quantize.cuh"
#include "ao/ops/quantize.hpp"
#include "device_check.cuh"

namespace {

// Test values: row r of a rows x cols matrix (before the cast to Src).
std::vector<float> make_values(std::size_t rows, std::size_t cols, std::uint32_t seed, bool specials) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> v(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const int kind = specials ? static_cast<int>(r % 9) : 0;
    const float row_scale = std::ldexp(1.0f, static_cast<int>(rng() % 61) - 30);
    for (std::size_t c = 0; c < cols; ++c) {
      float x = normal(rng) * row_scale;
      if (uniform(rng) < 0.01f) x *= 50.0f;  // outliers
      switch (kind) {
        case 1: x = 0.0f; break;                                                       // an all-zero row
        case 2: x = std::ldexp(normal(rng), -130); break;                              // subnormals
        case 3: x = static_cast<float>(static_cast<int>(rng() % 25) - 12) * 0.25f; break;  // ties of fp4 / fp6
        case 4: if (c % 37 == 5) x = (c % 2 ? 1.0f : -1.0f) * INFINITY; break;          // +-Inf
        case 5: if (c % 41 == 7) x = NAN; break;                                       // NaN
        case 6: x = (c % 2 ? 1.0f : -1.0f) * std::ldexp(1.0f, static_cast<int>(c % 40) - 20); break;  // powers of 2
        case 7: x = std::ldexp(normal(rng), 100); break;                              // huge (Inf in fp16)
        default: break;
      }
      v[r * cols + c] = x;
    }
  }
  return v;
}

template <class F>
std::string name_of() {
  return ao::display_name<F>();
}

template <class T>
const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "f32";
  else if constexpr (std::is_same_v<T, ao::bfloat16>) return "bf16";
  else return "f16";
}

// One case: a rows x cols matrix of Src with row strides padded by `pad` elements and data / output buffers
// offset by `offset` bytes: GPU quantize vs the oracle, then GPU dequantize (to Dst) of the GPU's bytes vs the
// oracle's dequantize of the same bytes.
template <class F, class Src, class Dst>
void check_case(std::size_t rows, std::size_t cols, std::size_t pad, std::size_t offset, std::uint32_t seed,
                bool specials) {
  using traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  const std::string what = name_of<F>() + " " + dtype_name<Src>() + "->" + dtype_name<Dst>() + " " +
                           std::to_string(rows) + "x" + std::to_string(cols) + (pad ? " pad" + std::to_string(pad) : "") +
                           (offset ? " off" + std::to_string(offset) : "") + (specials ? " specials" : "");
  if (const char* filter = std::getenv("AO_TEST_FILTER"); filter != nullptr && what.find(filter) == std::string::npos) {
    return;
  }
  const std::vector<float> values = make_values(rows, cols, seed, specials);
  const std::size_t src_stride = cols + pad;
  std::vector<Src> src(rows * src_stride, Src(0.0f));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) src[r * src_stride + c] = Src(values[r * cols + c]);

  // The oracle, on the host.
  const std::size_t data_stride = traits::data_row_bytes(cols) + pad;
  const std::size_t scale_rows = traits::scale_rows(rows, cols), scale_cols = traits::scale_cols(rows, cols);
  const std::size_t scales_stride = scale_cols + (pad ? 1 : 0);
  std::vector<std::uint8_t> want_data(rows * data_stride, 0xA5);
  std::vector<S> want_scales(scale_rows * scales_stride);
  std::memset(want_scales.data(), 0xA5, want_scales.size() * sizeof(S));
  float want_global = 0.0f;
  ao::quantized_view<F> host_q;
  host_q.data = want_data.data();
  host_q.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  host_q.scales = want_scales.data();
  host_q.scales_stride = static_cast<std::ptrdiff_t>(scales_stride);
  host_q.rows = rows;
  host_q.cols = cols;
  if constexpr (std::is_same_v<typename traits::family, ao::format_family::nvfp4>) {
    if constexpr (F::global_scale) host_q.global_scale = &want_global;
  }
  const ao::strided_view<const Src, 2> host_src(src.data(), {rows, cols},
                                                {static_cast<std::ptrdiff_t>(src_stride), 1});
  ao::quantize<F>(host_src, host_q, ao::backend::scalar{});

  // The GPU.
  device_buffer d_src(src.size() * sizeof(Src), offset * sizeof(Src));
  d_src.upload(src.data(), src.size() * sizeof(Src));
  device_buffer d_data(want_data.size(), offset), d_scales(want_scales.size() * sizeof(S), offset ? sizeof(S) : 0),
      d_global(sizeof(float));
  ao::quantized_view<F> q = host_q;
  q.data = d_data.as<std::uint8_t>();
  q.scales = d_scales.as<S>();
  q.global_scale = host_q.global_scale ? d_global.as<float>() : nullptr;
  const ao::strided_view<const Src, 2> dev_src(d_src.as<const Src>(), {rows, cols},
                                               {static_cast<std::ptrdiff_t>(src_stride), 1});
  ao::cuda::quantize<F>(dev_src, q);
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<std::uint8_t> got_data = d_data.download(), got_scales = d_scales.download();
  // Only the bytes of each row's values count (padding is neither read nor written).
  std::size_t bad_data = 0, bad_scales = 0, first_bad = SIZE_MAX;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < traits::data_row_bytes(cols); ++c)
      if (got_data[r * data_stride + c] != want_data[r * data_stride + c]) {
        if (bad_data++ == 0) first_bad = r * data_stride + c;
      }
  const auto* want_scale_bytes = reinterpret_cast<const std::uint8_t*>(want_scales.data());
  for (std::size_t r = 0; r < scale_rows; ++r)
    for (std::size_t b = 0; b < scale_cols * sizeof(S); ++b)
      if (got_scales[r * scales_stride * sizeof(S) + b] != want_scale_bytes[r * scales_stride * sizeof(S) + b])
        ++bad_scales;
  bool global_ok = true;
  if (host_q.global_scale) {
    const auto g = d_global.download();
    global_ok = std::memcmp(g.data(), &want_global, sizeof(float)) == 0;
  }
  char detail[160];
  std::snprintf(detail, sizeof detail, "%zu/%zu code bytes differ, %zu scale bytes%s%s", bad_data,
                rows * traits::data_row_bytes(cols), bad_scales, global_ok ? "" : ", global scale differs",
                bad_data ? (" (first at byte " + std::to_string(first_bad) + ")").c_str() : "");
  report(bad_data == 0 && bad_scales == 0 && global_ok, "quantize   " + what, detail);
  if ((bad_data || bad_scales) && std::getenv("AO_TEST_VERBOSE")) {
    const std::size_t r0 = first_bad == SIZE_MAX ? 0 : first_bad / data_stride;
    std::printf("  row %zu: x, want code, got code:", r0);
    for (std::size_t c = 0; c < std::min<std::size_t>(cols, 16); ++c)
      std::printf(" [%g %02x %02x]", values[r0 * cols + c], want_data[r0 * data_stride + c / traits::elements_per_byte],
                  got_data[r0 * data_stride + c / traits::elements_per_byte]);
    std::printf("\n  scales want/got:");
    for (std::size_t b = 0; b < std::min<std::size_t>(scale_cols * sizeof(S), 8); ++b)
      std::printf(" %02x/%02x", want_scale_bytes[b], got_scales[b]);
    std::printf("\n");
  }

  // Dequantize the GPU's bytes on the GPU and on the host.
  const std::size_t out_stride = cols + pad;
  std::vector<Dst> want_out(rows * out_stride, Dst(0.0f));
  ao::quantized_view<F> host_got = host_q;
  host_got.data = got_data.data();
  std::vector<S> got_scales_typed(want_scales.size());
  std::memcpy(got_scales_typed.data(), got_scales.data(), got_scales.size());
  host_got.scales = got_scales_typed.data();
  ao::dequantize(ao::const_quantized_view<F>(host_got),
                 ao::strided_view<Dst, 2>(want_out.data(), {rows, cols}, {static_cast<std::ptrdiff_t>(out_stride), 1}),
                 ao::backend::scalar{});
  device_buffer d_out(want_out.size() * sizeof(Dst), offset * sizeof(Dst));
  ao::cuda::dequantize(ao::const_quantized_view<F>(q),
                       ao::strided_view<Dst, 2>(d_out.as<Dst>(), {rows, cols}, {static_cast<std::ptrdiff_t>(out_stride), 1}));
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<std::uint8_t> got_out = d_out.download();
  std::size_t bad_out = 0;
  const auto* want_out_bytes = reinterpret_cast<const std::uint8_t*>(want_out.data());
  for (std::size_t r = 0; r < rows; ++r)
    if (std::memcmp(got_out.data() + r * out_stride * sizeof(Dst), want_out_bytes + r * out_stride * sizeof(Dst),
                    cols * sizeof(Dst)) != 0)
      ++bad_out;
  report(bad_out == 0, "dequantize " + what, std::to_string(bad_out) + "/" + std::to_string(rows) + " rows differ");
  if (bad_out && std::getenv("AO_TEST_VERBOSE")) {
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint8_t* g = got_out.data() + r * out_stride * sizeof(Dst);
      const std::uint8_t* w = want_out_bytes + r * out_stride * sizeof(Dst);
      if (std::memcmp(g, w, cols * sizeof(Dst)) == 0) continue;
      std::printf("  row %zu (code, want bits, got bits):", r);
      for (std::size_t c = 0, shown = 0; c < cols && shown < 6; ++c) {
        if (std::memcmp(g + c * sizeof(Dst), w + c * sizeof(Dst), sizeof(Dst)) == 0) continue;
        std::uint32_t gb = 0, wb = 0;
        std::memcpy(&gb, g + c * sizeof(Dst), sizeof(Dst));
        std::memcpy(&wb, w + c * sizeof(Dst), sizeof(Dst));
        std::printf(" [c%zu %02x %08x %08x]", c, got_data[r * data_stride + c / traits::elements_per_byte], wb, gb);
        ++shown;
      }
      std::printf("\n");
      break;
    }
  }
}

// The shapes every format runs: small and odd (rows not a multiple of anything), padded and offset (narrow
// paths), specials, and one large enough to fill the GPU.
template <class F, class Src, class Dst = Src>
void check_format(std::uint32_t seed) {
  using traits = ao::format_traits<F>;
  const std::size_t rm = traits::row_multiple, cm = traits::col_multiple;
  check_case<F, Src, Dst>(rm, cm, 0, 0, seed, false);
  check_case<F, Src, Dst>(rm * 7, cm * 5 > 8 ? cm * 5 : cm * 40, 0, 0, seed + 1, true);
  check_case<F, Src, Dst>(rm * 3, cm * 3 > 8 ? cm * 3 : cm * 24, 1, 1, seed + 2, true);
  check_case<F, Src, float>(rm * (rm > 1 ? 2 : 301), cm * ((511 + cm) / cm), 0, 0, seed + 3, true);
}

// The vector access helpers alone: N bytes through load_bytes into a local array, then store_bytes out, wide and
// narrow; every byte must arrive, and none beyond.
template <std::size_t N>
__global__ void bytes_roundtrip_kernel(const std::uint8_t* in, std::uint8_t* out, bool wide) {
  std::uint8_t local[N];
  ao::cuda::detail::load_bytes<N>(local, in, wide);
  for (std::size_t i = 0; i < N; ++i) local[i] = static_cast<std::uint8_t>(local[i] + 1);
  ao::cuda::detail::store_bytes<N>(out, local, wide);
}

template <std::size_t N>
void check_vector_io(bool wide) {
  std::vector<std::uint8_t> in(N + 16), want(N + 16, 0xA5);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i * 7 + 3);
  for (std::size_t i = 0; i < N; ++i) want[i] = static_cast<std::uint8_t>(in[i] + 1);
  device_buffer d_in(in.size()), d_out(want.size());
  d_in.upload(in.data(), in.size());
  bytes_roundtrip_kernel<N><<<1, 1>>>(d_in.as<std::uint8_t>(), d_out.as<std::uint8_t>(), wide);
  CUDA_CHECK(cudaGetLastError());
  CUDA_CHECK(cudaDeviceSynchronize());
  const auto got = d_out.download();
  std::string hex;
  for (std::size_t i = 0; i < N + 2; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x", got[i]);
    hex += b;
  }
  report(got == want, "vector io " + std::to_string(N) + " bytes" + (wide ? " wide" : " narrow"), hex);
}

template <class T>
struct dev_ptr {
  T* p = nullptr;
  explicit dev_ptr(std::size_t n) { CUDA_CHECK(cudaMalloc(&p, n * sizeof(T) + 16)); }
  ~dev_ptr() { cudaFree(p); }
};

template <class Fn>
void expect_error(const std::string& what, Fn fn) {
  std::string message;
  try {
    fn();
  } catch (const ao::error& e) {
    message = e.what();
  }
  const cudaError_t launched = cudaGetLastError();
  report(!message.empty() && launched == cudaSuccess, "rejects " + what, message.empty() ? "no ao::error" : message);
}

void check_errors() {
  dev_ptr<ao::bfloat16> src(64 * 96);
  dev_ptr<std::uint8_t> data(64 * 96);
  dev_ptr<ao::float8_e8m0fnu> scales(64 * 3);
  auto view = [&](std::size_t rows, std::size_t cols) {
    ao::quantized_view<ao::mxfp8_e4m3> q;
    q.data = data.p;
    q.data_stride = static_cast<std::ptrdiff_t>(cols);
    q.scales = scales.p;
    q.scales_stride = static_cast<std::ptrdiff_t>(cols / 32);
    q.rows = rows;
    q.cols = cols;
    return q;
  };
  expect_error("a last dim that is not a multiple of the block", [&] {
    ao::cuda::quantize<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {64, 90}), view(64, 90));
  });
  expect_error("mismatched shapes", [&] {
    ao::cuda::quantize<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {64, 96}), view(32, 96));
  });
  expect_error("a non-contiguous last dim", [&] {
    ao::cuda::quantize<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {32, 96}, {192, 2}), view(32, 96));
  });
  expect_error("src overlapping the codes", [&] {
    auto q = view(32, 96);
    q.data = reinterpret_cast<std::uint8_t*>(src.p);
    ao::cuda::quantize<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {32, 96}), q);
  });
  expect_error("null scales", [&] {
    auto q = view(64, 96);
    q.scales = nullptr;
    ao::cuda::quantize<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {64, 96}), q);
  });
  expect_error("dequantize into a buffer overlapping the scales", [&] {
    auto q = view(2, 96);
    ao::cuda::dequantize(ao::const_quantized_view<ao::mxfp8_e4m3>(q),
                         ao::strided_view<float, 2>(reinterpret_cast<float*>(scales.p), {2, 96}));
  });
  expect_error("a 3-D view whose leading dims do not collapse", [&] {
    ao::cuda::quantize<ao::mxfp8_e4m3>(
        ao::strided_view<const ao::bfloat16, 3>(src.p, {2, 16, 96}, {96 * 40, 96, 1}), view(32, 96));
  });
}

}  // namespace

int main() {
  if (!have_device()) return 77;
  check_vector_io<1>(true);
  check_vector_io<4>(true);
  check_vector_io<8>(true);
  check_vector_io<8>(false);
  check_vector_io<16>(true);
  check_vector_io<32>(true);
  using namespace ao;
  using bf16 = ao::bfloat16;
  using f16 = ao::float16;
  // MX: every element with every scale rule, from bf16 (torchao's usual input).
  check_format<mxfp8_e4m3, bf16>(1);
  check_format<mxfp8_e5m2, bf16>(2);
  check_format<mxfp6_e2m3, bf16>(3);
  check_format<mxfp6_e3m2, bf16>(4);
  check_format<mxfp4, bf16>(5);
  check_format<mxfp8_e4m3_rceil, bf16>(6);
  check_format<mxfp8_e5m2_rceil, bf16>(7);
  check_format<mxfp6_e2m3_rceil, bf16>(8);
  check_format<mxfp6_e3m2_rceil, bf16>(9);
  check_format<mxfp4_rceil, bf16>(10);
  check_format<mxfp8_e4m3_ceil, bf16>(11);
  check_format<mxfp6_e3m2_ceil, bf16>(12);
  check_format<mxfp4_ceil, bf16>(13);
  check_format<mxfp8_e5m2_even, bf16>(14);
  check_format<mxfp6_e2m3_even, bf16>(15);
  check_format<mxfp4_even, bf16>(16);
  // Other sources and outputs.
  check_format<mxfp8_e4m3, float>(17);
  check_format<mxfp4, f16>(18);
  check_format<mxfp6_e3m2_rceil, float, bf16>(19);
  // Other block sizes: 1 and 4 (one lane per block), 16 and 64 (2 and 8 lanes), 48 (one lane, 48 values).
  check_format<mxfp4::with_block_size<16>, bf16>(20);
  check_format<mxfp8_e4m3::with_block_size<64>, bf16>(21);
  check_format<mxfp8_e5m2::with_block_size<4>, float>(22);
  check_format<mxfp6_e2m3::with_block_size<1>, bf16>(23);
  check_format<mxfp4::with_block_size<48>, bf16>(24);
  // NVFP4.
  check_format<nvfp4, bf16>(25);
  check_format<nvfp4_global_scale, bf16>(26);
  check_format<nvfp4_global_scale, float>(27);
  check_format<nvfp4, f16, float>(28);
  // FP8 with a float scale.
  check_format<float8_e4m3_per_row, bf16>(29);
  check_format<float8_e4m3_per_row, float>(30);
  check_format<float8_e5m2_per_row, f16>(31);
  check_format<float8_e4m3_per_tensor, bf16>(32);
  check_format<float8_e5m2_per_tensor, float>(33);
  check_format<float8_e4m3_per_block_1x128, bf16>(34);
  check_format<float8_e4m3_per_block_128x128, bf16, float>(35);
  check_format<float8_e4m3fnuz_per_row, bf16>(36);
  check_format<float8_e4m3_per_row::with_arithmetic<float8_arithmetic::torch_cuda>, bf16>(37);
  check_format<float8_e4m3_per_row::with_amax_clamp<amax_clamp::min_1e_12>, float>(38);
  check_errors();
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
