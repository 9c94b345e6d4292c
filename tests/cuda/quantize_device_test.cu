// ao::cuda::quantize / ao::cuda::dequantize (ao/backends/cuda/quantize.cuh) against the scalar oracle on the host:
// every byte of the codes, the scales and the NVFP4 global scale, and every bit of the dequantized values, for
// every MX element with each scale rule, MX with other block sizes, NVFP4 single and two level, FP8 per
// tensor / row / 1x128 / 128x128 block (e4m3, e5m2, fnuz, torch_cuda arithmetic, a clamped amax), and affine
// integers (scales and zero points; per row, group-wise, per tensor, tinygemm's floating zero point); from fp32,
// bf16 and fp16 sources, to fp32 / bf16 / fp16 outputs. Inputs: Gaussian rows whose magnitudes span 2^-30..2^30,
// heavy-tailed outliers, all-zero rows, subnormals, values on rounding ties, +-Inf and NaN; shapes that are not
// multiples of any kernel tile; padded (unaligned) row strides and odd base addresses, which take the kernels'
// narrow-access paths. The same for scales in the 128x4 swizzled layout (against layout::to_blocked of the
// oracle's) and for the column-wise cast, quantize_dim1 (against the oracle on the transposed source). Also the
// host-side argument checks (each must throw ao::error and launch nothing).
//
// Self-contained (no GoogleTest: the GPU machine has none). One line per check, then "N passed, N failed".
// Exit 0 when all pass, 77 (CTest's skip code) when no CUDA device is present.
#include <cuda_runtime.h>

#include <algorithm>
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
                bool specials, bool all_zero = false) {
  using traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  using Z = ao::zero_point_storage_t<F>;
  constexpr bool has_zps = ao::has_zero_points_v<F>;
  const std::string what = name_of<F>() + " " + dtype_name<Src>() + "->" + dtype_name<Dst>() + " " +
                           std::to_string(rows) + "x" + std::to_string(cols) + (pad ? " pad" + std::to_string(pad) : "") +
                           (offset ? " off" + std::to_string(offset) : "") + (specials ? " specials" : "") +
                           (all_zero ? " all-zero" : "");
  if (const char* filter = std::getenv("AO_TEST_FILTER"); filter != nullptr && what.find(filter) == std::string::npos) {
    return;
  }
  std::vector<float> values = make_values(rows, cols, seed, specials);
  if (all_zero) std::fill(values.begin(), values.end(), 0.0f);
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
  std::vector<Z> want_zps(has_zps ? want_scales.size() : 0);
  if (has_zps) std::memset(static_cast<void*>(want_zps.data()), 0xA5, want_zps.size() * sizeof(Z));
  float want_global = 0.0f;
  ao::quantized_view<F> host_q;
  host_q.data = want_data.data();
  host_q.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  host_q.scales = want_scales.data();
  host_q.scales_stride = static_cast<std::ptrdiff_t>(scales_stride);
  host_q.rows = rows;
  host_q.cols = cols;
  if constexpr (has_zps) {
    host_q.zero_points = want_zps.data();
    host_q.zero_points_stride = static_cast<std::ptrdiff_t>(scales_stride);
  }
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
      d_global(sizeof(float)), d_zps(std::max<std::size_t>(1, want_zps.size() * sizeof(Z)), offset ? sizeof(Z) : 0);
  ao::quantized_view<F> q = host_q;
  q.data = d_data.as<std::uint8_t>();
  q.scales = d_scales.as<S>();
  if constexpr (has_zps) q.zero_points = d_zps.as<Z>();
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
  std::vector<std::uint8_t> got_zps;
  if constexpr (has_zps) {
    got_zps = d_zps.download();
    const auto* want_zp_bytes = reinterpret_cast<const std::uint8_t*>(want_zps.data());
    for (std::size_t r = 0; r < scale_rows; ++r)
      for (std::size_t b = 0; b < scale_cols * sizeof(Z); ++b)
        if (got_zps[r * scales_stride * sizeof(Z) + b] != want_zp_bytes[r * scales_stride * sizeof(Z) + b])
          ++bad_scales;  // a zero point counts with the scales
  }
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
  std::vector<Z> got_zps_typed(want_zps.size());
  if constexpr (has_zps) {
    std::memcpy(static_cast<void*>(got_zps_typed.data()), got_zps.data(), got_zps_typed.size() * sizeof(Z));
    host_got.zero_points = got_zps_typed.data();
  }
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

// The oracle's quantize of a dense rows x cols matrix of Src: data rows of data_row_bytes(cols) bytes, row-major
// scales, the NVFP4 global scale; view() shows them as a quantized view.
template <class F>
struct oracle_quantized {
  std::size_t rows = 0, cols = 0;
  std::vector<std::uint8_t> data;
  std::vector<ao::scale_storage_t<F>> scales;
  float global = 0.0f;

  ao::quantized_view<F> view() {
    using traits = ao::format_traits<F>;
    ao::quantized_view<F> q;
    q.data = data.data();
    q.data_stride = static_cast<std::ptrdiff_t>(traits::data_row_bytes(cols));
    q.scales = scales.data();
    q.scales_stride = static_cast<std::ptrdiff_t>(traits::scale_cols(rows, cols));
    q.rows = rows;
    q.cols = cols;
    if constexpr (std::is_same_v<typename traits::family, ao::format_family::nvfp4>) {
      if constexpr (F::global_scale) q.global_scale = &global;
    }
    return q;
  }
  // The scales as bytes, row-major or in the 128x4 blocked layout (layout::to_blocked).
  std::vector<std::uint8_t> scale_bytes(bool swizzled) const {
    using traits = ao::format_traits<F>;
    const std::size_t scale_rows = traits::scale_rows(rows, cols), scale_cols = traits::scale_cols(rows, cols);
    std::vector<std::uint8_t> bytes(scales.size() * sizeof(scales[0]));
    std::memcpy(bytes.data(), scales.data(), bytes.size());
    if (!swizzled) return bytes;
    std::vector<std::uint8_t> blocked(ao::layout::swizzled_size(scale_rows, scale_cols));
    ao::layout::to_blocked(bytes.data(), scale_rows, scale_cols, blocked.data());
    return blocked;
  }
};

template <class F, class Src>
void oracle_quantize(const std::vector<Src>& src, oracle_quantized<F>& out) {
  using traits = ao::format_traits<F>;
  out.data.assign(out.rows * traits::data_row_bytes(out.cols), 0);
  out.scales.assign(traits::scale_rows(out.rows, out.cols) * traits::scale_cols(out.rows, out.cols), {});
  ao::quantize<F>(ao::strided_view<const Src, 2>(src.data(), {out.rows, out.cols}), out.view(), ao::backend::scalar{});
}

// Swizzled scales (ao::cuda::scale_layout::swizzled): the GPU's codes equal the oracle's, its scale buffer equals
// layout::to_blocked of the oracle's row-major scales byte for byte, padding zeros included (the device buffer
// starts poisoned), and dequantizing from the swizzled scales gives the oracle's dequantize of the same bytes.
template <class F, class Src, class Dst = Src>
void check_swizzled_case(std::size_t rows, std::size_t cols, std::uint32_t seed) {
  using S = ao::scale_storage_t<F>;
  const std::string what = name_of<F>() + " " + dtype_name<Src>() + "->" + dtype_name<Dst>() + " " +
                           std::to_string(rows) + "x" + std::to_string(cols) + " swizzled scales";
  if (const char* filter = std::getenv("AO_TEST_FILTER"); filter != nullptr && what.find(filter) == std::string::npos) {
    return;
  }
  const std::vector<float> values = make_values(rows, cols, seed, true);
  std::vector<Src> src(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) src[i] = Src(values[i]);
  oracle_quantized<F> want;
  want.rows = rows;
  want.cols = cols;
  oracle_quantize<F>(src, want);
  const ao::quantized_view<F> host_q = want.view();
  const std::vector<std::uint8_t>& want_data = want.data;
  const std::vector<std::uint8_t> want_blocked = want.scale_bytes(true);

  device_buffer d_src(src.size() * sizeof(Src)), d_data(want_data.size()), d_scales(want_blocked.size()),
      d_global(sizeof(float));
  d_src.upload(src.data(), src.size() * sizeof(Src));
  ao::quantized_view<F> q = host_q;
  q.data = d_data.as<std::uint8_t>();
  q.scales = d_scales.as<S>();
  q.scales_stride = 0;  // ignored with swizzled scales
  q.global_scale = host_q.global_scale ? d_global.as<float>() : nullptr;
  ao::cuda::quantize<F>(ao::strided_view<const Src, 2>(d_src.as<const Src>(), {rows, cols}), q, nullptr,
                        ao::cuda::scale_layout::swizzled);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<std::uint8_t> got_data = d_data.download(), got_blocked = d_scales.download();
  std::size_t bad_data = 0, bad_scales = 0;
  for (std::size_t i = 0; i < want_data.size(); ++i) bad_data += got_data[i] != want_data[i];
  for (std::size_t i = 0; i < want_blocked.size(); ++i) bad_scales += got_blocked[i] != want_blocked[i];
  report(bad_data == 0 && bad_scales == 0, "quantize   " + what,
         std::to_string(bad_data) + " code bytes, " + std::to_string(bad_scales) + "/" +
             std::to_string(want_blocked.size()) + " swizzled scale bytes differ");

  std::vector<Dst> want_out(rows * cols);
  ao::dequantize(ao::const_quantized_view<F>(host_q), ao::strided_view<Dst, 2>(want_out.data(), {rows, cols}),
                 ao::backend::scalar{});
  device_buffer d_out(want_out.size() * sizeof(Dst));
  ao::cuda::dequantize(ao::const_quantized_view<F>(q), ao::strided_view<Dst, 2>(d_out.as<Dst>(), {rows, cols}), nullptr,
                       ao::cuda::scale_layout::swizzled);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<std::uint8_t> got_out = d_out.download();
  report(std::memcmp(got_out.data(), want_out.data(), got_out.size()) == 0, "dequantize " + what,
         "every value, from the swizzled scales");
}

// Column-wise quantize (ao::cuda::quantize_dim1) of an m x k source with row strides padded by `pad` elements and
// buffers offset by `offset` bytes: the GPU's k x m result against the oracle's quantize of the transposed source,
// every code byte and every scale byte (row-major, or swizzled against layout::to_blocked).
template <class F, class Src>
void check_dim1_case(std::size_t m, std::size_t k, std::size_t pad, std::size_t offset, std::uint32_t seed,
                     bool specials, ao::cuda::scale_layout layout) {
  using traits = ao::format_traits<F>;
  using S = ao::scale_storage_t<F>;
  const bool swizzled = layout == ao::cuda::scale_layout::swizzled;
  const std::string what = name_of<F>() + " " + dtype_name<Src>() + " " + std::to_string(m) + "x" +
                           std::to_string(k) + (pad ? " pad" + std::to_string(pad) : "") +
                           (offset ? " off" + std::to_string(offset) : "") + (specials ? " specials" : "") +
                           (swizzled ? " swizzled" : "");
  if (const char* filter = std::getenv("AO_TEST_FILTER"); filter != nullptr && what.find(filter) == std::string::npos) {
    return;
  }
  // make_values gives each of its rows its own magnitude and specials: generate the transposed matrix (k rows of
  // m values, so each source column differs), then lay it out as the m x k source.
  const std::vector<float> transposed = make_values(k, m, seed, specials);
  const std::size_t src_stride = k + pad;
  std::vector<Src> src(m * src_stride, Src(0.0f)), src_t(k * m);
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t r = 0; r < m; ++r) {
      src[r * src_stride + c] = Src(transposed[c * m + r]);
      src_t[c * m + r] = Src(transposed[c * m + r]);
    }
  oracle_quantized<F> want;
  want.rows = k;
  want.cols = m;
  oracle_quantize<F>(src_t, want);
  const ao::quantized_view<F> host_q = want.view();
  const std::vector<std::uint8_t>& want_data = want.data;
  const std::vector<std::uint8_t> want_scale_bytes = want.scale_bytes(swizzled);
  const std::size_t row_bytes = traits::data_row_bytes(m);

  const std::size_t data_stride = row_bytes + pad;
  device_buffer d_src(src.size() * sizeof(Src), offset * sizeof(Src)), d_data(k * data_stride, offset),
      d_scales(want_scale_bytes.size(), offset), d_global(sizeof(float));
  d_src.upload(src.data(), src.size() * sizeof(Src));
  ao::quantized_view<F> q = host_q;
  q.data = d_data.as<std::uint8_t>();
  q.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  q.scales = d_scales.as<S>();
  q.global_scale = host_q.global_scale ? d_global.as<float>() : nullptr;
  ao::cuda::quantize_dim1<F>(ao::strided_view<const Src, 2>(d_src.as<const Src>(), {m, k},
                                                            {static_cast<std::ptrdiff_t>(src_stride), 1}),
                             q, nullptr, layout);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<std::uint8_t> got_data = d_data.download(), got_scales = d_scales.download();
  std::size_t bad_data = 0, bad_scales = 0, first_bad = SIZE_MAX;
  for (std::size_t r = 0; r < k; ++r)
    for (std::size_t c = 0; c < row_bytes; ++c)
      if (got_data[r * data_stride + c] != want_data[r * row_bytes + c] && bad_data++ == 0) first_bad = r * row_bytes + c;
  for (std::size_t i = 0; i < want_scale_bytes.size(); ++i) bad_scales += got_scales[i] != want_scale_bytes[i];
  bool global_ok = true;
  if (host_q.global_scale) {
    const auto g = d_global.download();
    global_ok = std::memcmp(g.data(), &want.global, sizeof(float)) == 0;
  }
  report(bad_data == 0 && bad_scales == 0 && global_ok, "dim1       " + what,
         std::to_string(bad_data) + "/" + std::to_string(k * row_bytes) + " code bytes differ" +
             (bad_data ? " (first at " + std::to_string(first_bad) + ")" : "") + ", " + std::to_string(bad_scales) +
             " scale bytes" + (global_ok ? "" : ", global scale differs"));
}

template <class F, class Src>
void check_dim1(std::uint32_t seed) {
  constexpr std::size_t b = F::block_size;
  check_dim1_case<F, Src>(b, 8, 0, 0, seed, false, ao::cuda::scale_layout::row_major);
  check_dim1_case<F, Src>(b * 5, 77, 0, 0, seed + 1, true, ao::cuda::scale_layout::row_major);
  check_dim1_case<F, Src>(b * 3, 300, 3, 1, seed + 2, true, ao::cuda::scale_layout::row_major);
  check_dim1_case<F, Src>(b * 9, 136, 0, 0, seed + 3, true, ao::cuda::scale_layout::swizzled);
  check_dim1_case<F, Src>(b * 40, 1000, 0, 0, seed + 4, true, ao::cuda::scale_layout::row_major);
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
  expect_error("swizzled scales for an FP8 format", [&] {
    ao::quantized_view<ao::float8_e4m3_per_row> q;
    q.data = data.p;
    q.data_stride = 96;
    q.scales = reinterpret_cast<float*>(scales.p);
    q.scales_stride = 1;
    q.rows = 32;
    q.cols = 96;
    ao::cuda::quantize<ao::float8_e4m3_per_row>(ao::strided_view<const ao::bfloat16, 2>(src.p, {32, 96}), q, nullptr,
                                                ao::cuda::scale_layout::swizzled);
  });
  expect_error("dim1: a source whose rows are not a multiple of the block", [&] {
    ao::cuda::quantize_dim1<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {90, 64}), view(64, 90));
  });
  expect_error("dim1: dst not the transpose of src", [&] {
    ao::cuda::quantize_dim1<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p, {64, 96}), view(64, 96));
  });
  expect_error("dim1: src overlapping the swizzled scales", [&] {
    auto q = view(32, 64);  // 32 x 2 scales: 64 bytes row-major, 512 swizzled, so only the swizzled ones overlap
    q.scales = reinterpret_cast<ao::float8_e8m0fnu*>(src.p) + 1600;
    ao::cuda::quantize_dim1<ao::mxfp8_e4m3>(ao::strided_view<const ao::bfloat16, 2>(src.p + 1000, {64, 32}), q,
                                            nullptr, ao::cuda::scale_layout::swizzled);
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
  // FP8 rows held in registers up to 16384 values (4 and 8 runs of 8 per thread), and longer ones (the
  // warp-per-row kernel).
  check_case<float8_e4m3_per_row, bf16, bf16>(9, 12288, 0, 0, 95, true);
  check_case<float8_e5m2_per_row, float, float>(4, 16384, 8, 8, 96, true);
  check_case<float8_e4m3_per_row, bf16, float>(3, 16392, 0, 0, 97, true);
  check_case<float8_e4m3_per_tensor, f16, f16>(6, 16400, 0, 0, 98, true);
  check_case<float8_e4m3fnuz_per_row, bf16, bf16>(33, 1000, 0, 0, 99, true);
  // An all-zero tensor: two-level NVFP4's global scale is 0, so its block multiplier (1 / 0) / s is Inf and the
  // codes take the oracle's path, not the step encoder (block_codec.cuh).
  check_case<nvfp4_global_scale, bf16, bf16>(4, 64, 0, 0, 100, false, true);
  check_case<mxfp4, bf16, bf16>(4, 64, 0, 0, 101, false, true);
  // Affine integers: every mapping, signed and unsigned targets of 8, 4 and 2 bits, per row / group / tensor, the
  // floating zero point (tinygemm), bf16 and fp16 scales, groups of one value (a NaN keeps its bits).
  check_format<int8_symmetric_per_row, bf16>(102);
  check_format<int8_asymmetric_per_row, float>(103);
  check_format<int8_symmetric_per_tensor, bf16>(104);
  check_format<int4_asymmetric_group32, float>(108);
  check_format<uint4_asymmetric_group64, bf16>(109);
  check_format<int2_symmetric_group32, f16>(110);
  check_format<tinygemm_int4_group32, bf16>(111);
  check_format<tinygemm_int4_group128, bf16, float>(112);
  check_format<int4_asymmetric_group32::with_scale_type<bfloat16>, bf16>(113);
  check_format<affine<int8, mapping::asymmetric, per_tensor, float16>, f16>(114);
  check_format<affine<ao::uint4, mapping::asymmetric, group<1>, float, zero_point_domain::floating>, float>(115);
  check_format<affine<ao::int4, mapping::symmetric_no_clipping_err, group<24>, float16>, bf16, f16>(116);
  check_case<int8_symmetric_per_row, bf16, bf16>(33, 8192, 0, 0, 117, true);
  check_case<int8_symmetric_per_tensor, bf16, bf16>(64, 4096, 0, 0, 118, false);
  check_case<affine<uint8, mapping::asymmetric, per_tensor>, float, bf16>(9, 1000, 3, 1, 119, false);
  check_case<tinygemm_int4_group128, bf16, bf16>(16, 4096, 0, 0, 120, true);
  // Long rows (a team of 32 lanes loops over them, loading each run twice; aligned and not), and groups of 512
  // values.
  check_case<int8_asymmetric_per_row, float, float>(5, 12288, 0, 0, 121, true);
  check_case<uint8_asymmetric_per_row, bf16, bf16>(7, 16384, 8, 8, 122, true);
  check_case<int8_symmetric_no_clipping_err_per_row, f16, f16>(130, 520, 0, 0, 123, true);
  check_case<affine<ao::int4, mapping::asymmetric, group<512>>, bf16, bf16>(12, 2048, 0, 0, 124, true);
  // Swizzled scales: whole 128 x 4 tiles, and padded rows and columns.
  check_swizzled_case<mxfp8_e4m3, bf16>(256, 512, 39);
  check_swizzled_case<mxfp4, bf16>(130, 96, 40);
  check_swizzled_case<mxfp6_e3m2_rceil, float, bf16>(77, 32 * 9, 41);
  check_swizzled_case<nvfp4, bf16>(129, 16 * 5, 42);
  check_swizzled_case<nvfp4_global_scale, f16, float>(300, 16 * 12, 43);
  // Column-wise (dim1).
  check_dim1<mxfp8_e4m3, bf16>(44);
  check_dim1<mxfp8_e5m2_rceil, bf16>(49);
  check_dim1<mxfp6_e2m3, float>(54);
  check_dim1<mxfp4, bf16>(59);
  check_dim1<mxfp4_even, f16>(64);
  check_dim1<nvfp4, bf16>(69);
  check_dim1<nvfp4_global_scale, bf16>(74);
  check_dim1<mxfp8_e4m3::with_block_size<64>, bf16>(79);
  check_dim1<mxfp8_e4m3::with_block_size<1>, float>(84);
  check_dim1<mxfp4::with_block_size<48>, bf16>(89);
  check_errors();
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
