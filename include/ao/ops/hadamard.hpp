// ao/ops/hadamard.hpp: Walsh-Hadamard transforms of rows (issue 5), plain, blockwise and randomized, and fused
// "rotate then quantize":
//
//   ao::hadamard(src, dst, options...)        dst = rows of src transformed; src: ao::strided_view<const S, Rank>,
//                                             dst: ao::strided_view<D, Rank> of the same extents, S and D float or
//                                             ao::bfloat16; dst may be src itself (same data, strides and type)
//   ao::hadamard(x, options...)               in place
//   ao::hadamard_quantize<F>(src, dst, options...)   ao::quantize<F> of ao::hadamard(src) (into fp32), one pass:
//                                             dst: ao::quantized_view<F>; or hadamard_quantize<F>(src, options...)
//                                             into a new ao::quantized_tensor<F>
// Options, in any order, each at most once:
//   a backend tag              ao::backend::highway{} (default) or ao::backend::scalar{} (the reference order)
//   an executor                anything with parallel_for(n, fn); work is split over rows, results never depend on it
//   ao::hadamard_block{b}      transform each block of b consecutive values of a row independently (b a power of
//                              two, 1 .. 32768, dividing the row length); b = 16 is NVFP4 training's RHT block.
//                              Without it the transform is over the whole row, whose length must be a power of
//                              two, 1 .. 32768.
//   ao::hadamard_signs{v}      the randomized form, v: strided_view<const float, 1> of +1/-1 values, one per
//                              position of the transform (b, or the row length);
//                              ao::hadamard_signs::transformer_engine() is TransformerEngine's 16-vector (spec §7)
//
// What it computes (size n = b or the row length; H the n x n Sylvester matrix, H[i][j] = (-1)^popcount(i & j)):
//   y = (x * diag(sign)) @ H / sqrt(n)      each row x (or block) a row vector, like torchao/TransformerEngine's
//                                           `x.reshape(-1, 16) @ (diag(sign) @ H16)`: the sign multiplies the
//                                           INPUT (y_j = sum_i sign_i x_i H[i][j] / sqrt(n)); H is symmetric so
//                                           this is also (H/sqrt(n)) @ (sign .* x) for a column vector. For n = 16
//                                           H/4 is exactly torchao's 16 x 16 matrix (entries +-1/4).
//   Without signs it is self-inverse up to rounding (H @ H = n I); the randomized form is undone by
//   ao::hadamard without signs followed by a multiply by sign (rotation then unsign).
//
// Summation order (spec §7, torchao's FP8-attention butterfly; both backends, every Highway target, bit for bit):
//   x <- x * sign (exact); for stage s = 0 .. log2(n) - 1, every pair (d, d + 2^s) with bit s of d clear:
//   x[d] <- fl(x[d] + x[d + 2^s]), x[d + 2^s] <- fl(x[d] - x[d + 2^s]); then x <- fl(x * fl32(1/sqrt(n)))
//   (one fp32 multiply: exact scaling for n = 4^k, a rounded 1/sqrt(2) factor otherwise). bf16 sources are widened
//   exactly, the transform runs in fp32, a bf16 dst is rounded once (nearest even) at the end.
// NaN and Inf propagate as IEEE arithmetic does: a NaN input makes its whole transform NaN; an Inf input gives
// +-Inf outputs (NaN where Infs of opposite signs meet: Inf - Inf); finite inputs near FLT_MAX can overflow to Inf in
// intermediate stages (the transform grows values by up to sqrt(n) before the final scale). No exception, no UB.
//
// ao::hadamard_quantize<F>: bytes identical to ao::hadamard(src, fp32 buffer, same options) followed by
// ao::quantize<F>(buffer, dst, same backend), for every format whose tiles are one row (MXFP4/6/8, NVFP4 with or
// without its global scale, FP8 per tensor/row/1x128, affine per tensor/row/group, e.g. int4 group-wise). Each
// executor task rotates one row (or, for ao::hadamard_block, a chunk of about 1024 values: whole blocks and
// groups) into an fp32 scratch (4 KiB; 16 KiB for a 4096 row: L1) and quantizes it there with the format's own
// kernel (the unit ao::quantize runs), the next chunk's source prefetched meanwhile. Formats with a whole-tensor value
// (NVFP4's global scale, per-tensor FP8 and affine qparams) take two passes: the rotated rows are reduced first (abs
// max, or min and max), then rotated again and quantized. The rotated fp32 values are never stored in full.
//
// What is checked (ao::error naming the argument and the rule; nothing is written on error): the row length (a
// power of two <= 32768, or a multiple of the block), the block size, the sign vector's length and values (+1 or
// -1, exactly), src and dst extents equal (dst's shape for hadamard_quantize as for ao::quantize), last dims
// contiguous, no negative strides, no null data in a non-empty view, dst's rows not overlapping each other, and no
// overlap between src and dst other than exact in-place use (the quantized outputs never overlap src).
//
// Highway path: static dispatch, the butterfly (ao/backends/hwy/hadamard-inl.h) compiled for the including
// translation unit's target (its -march; ao::cpu_dispatch does not carry it); the quantize step of
// hadamard_quantize goes through ao::cpu_dispatch when linked, like ao::quantize.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backend.hpp"
#include "ao/error.hpp"
#include "ao/executor.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/ops/detail/hadamard_scalar.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

#if !defined(AO_DISABLE_HIGHWAY)
#include <hwy/highway.h>

#include "ao/backends/hwy/hadamard-inl.h"
#endif

namespace ao {

// The largest transform: 2^15 values (a row of 128 KiB in fp32).
inline constexpr std::size_t hadamard_max_size = std::size_t{1} << 15;

// Transform each block of `size` consecutive values of a row on its own.
struct hadamard_block {
  std::size_t size;
};

// TransformerEngine's fixed RHT sign vector (NVFP4 weight-gradient quantization), spec §7.
inline constexpr float transformer_engine_rht_signs[16] = {1, 1, 1, -1, 1, -1, -1, -1, -1, -1, -1, 1, -1, 1, -1, -1};

// The randomized form's sign vector: one +1 or -1 per position of the transform.
struct hadamard_signs {
  strided_view<const float, 1> signs;
  static hadamard_signs transformer_engine() noexcept {
    return {strided_view<const float, 1>(transformer_engine_rht_signs, {16})};
  }
};

namespace detail {

// Whether an argument is a strided_view (then it is no option: it picks the two-view overloads).
template <class T, int R>
std::true_type strided_view_probe(const strided_view<T, R>*);
std::false_type strided_view_probe(const void*);
template <class T>
inline constexpr bool is_strided_view_v = decltype(strided_view_probe(static_cast<std::decay_t<T>*>(nullptr)))::value;

template <class T>
inline constexpr bool is_hadamard_flag_v =
    backend::is_backend_v<std::decay_t<T>> || std::is_same_v<std::decay_t<T>, hadamard_block> ||
    std::is_same_v<std::decay_t<T>, hadamard_signs>;

template <class... Opts>
struct hadamard_options_of {
  template <class T>
  static constexpr int count = (0 + ... + (std::is_same_v<std::decay_t<Opts>, T> ? 1 : 0));
  static constexpr int backends = (0 + ... + (backend::is_backend_v<std::decay_t<Opts>> ? 1 : 0));
  static constexpr int executors = (0 + ... + (is_hadamard_flag_v<Opts> ? 0 : 1));
  static_assert(backends <= 1 && executors <= 1 && count<hadamard_block> <= 1 && count<hadamard_signs> <= 1,
                "ao::hadamard: each option (backend, executor, hadamard_block, hadamard_signs) at most once");
};

// The executor among the options (the one that is no flag), or `fallback`.
template <class... Opts>
constexpr std::size_t hadamard_executor_index() {
  std::size_t i = 0, found = sizeof...(Opts);
  ((found == sizeof...(Opts) && !is_hadamard_flag_v<Opts> ? (found = i++) : i++), ...);
  return found;
}
template <class Fallback, class... Options>
decltype(auto) hadamard_executor_of(Fallback& fallback, Options&... options) {
  constexpr std::size_t i = hadamard_executor_index<Options...>();
  if constexpr (i == sizeof...(Options)) {
    return (fallback);
  } else {
    return std::get<i>(std::tie(options...));
  }
}

// What one row's transform needs: its length n, the transform size b, the signs (b values, or null), the scale.
struct hadamard_plan {
  std::size_t n = 0, b = 0;
  const float* signs = nullptr;
  float scale = 1.0f;
  std::vector<float> sign_copy;  // the sign vector, contiguous
};

inline bool is_pow2(std::size_t v) { return v != 0 && (v & (v - 1)) == 0; }

inline void hadamard_take(hadamard_plan&, std::size_t& block, const hadamard_block& o) { block = o.size; }
inline void hadamard_take(hadamard_plan& p, std::size_t&, const hadamard_signs& o) {
  if (!o.signs.empty() && o.signs.data() == nullptr) throw ao::error("ao::hadamard: the sign vector is null");
  p.sign_copy.resize(o.signs.size());
  for (std::size_t i = 0; i < o.signs.size(); ++i)
    p.sign_copy[i] = o.signs.data()[static_cast<std::ptrdiff_t>(i) * o.signs.stride(0)];
  p.signs = p.sign_copy.data();
}
template <class T>
void hadamard_take(hadamard_plan&, std::size_t&, const T&) {}

// Validates the options against a row length and fills the plan.
template <class... Options>
hadamard_plan make_hadamard_plan(const std::string& op, std::size_t cols, const Options&... options) {
  hadamard_plan p;
  std::size_t block = 0;
  (hadamard_take(p, block, options), ...);
  const bool blocked = (std::is_same_v<std::decay_t<Options>, hadamard_block> || ...);
  p.n = cols;
  if (blocked) {
    if (!is_pow2(block) || block > hadamard_max_size) {
      throw ao::error(op + ": hadamard_block size " + std::to_string(block) + " is not a power of two in [1, " +
                      std::to_string(hadamard_max_size) + "]");
    }
    if (cols % block != 0) {
      throw ao::error(op + ": the row length " + std::to_string(cols) + " is not a multiple of the hadamard_block " +
                      std::to_string(block));
    }
    p.b = block;
  } else {
    if (cols != 0 && (!is_pow2(cols) || cols > hadamard_max_size)) {
      throw ao::error(op + ": the row length " + std::to_string(cols) + " is not a power of two in [1, " +
                      std::to_string(hadamard_max_size) + "] (use ao::hadamard_block for blockwise transforms)");
    }
    p.b = cols;
  }
  if (p.signs != nullptr) {
    if (p.sign_copy.size() != p.b) {
      throw ao::error(op + ": the sign vector has " + std::to_string(p.sign_copy.size()) +
                      " values, the transform size is " + std::to_string(p.b));
    }
    for (std::size_t i = 0; i < p.sign_copy.size(); ++i) {
      if (p.sign_copy[i] != 1.0f && p.sign_copy[i] != -1.0f) {
        throw ao::error(op + ": sign " + std::to_string(i) + " is " + std::to_string(p.sign_copy[i]) +
                        ", not +1 or -1");
      }
    }
  }
  p.scale = p.b == 0 ? 1.0f : hadamard_scalar::scale_of(p.b);
  return p;
}

inline void hadamard_row(backend::scalar, const hadamard_plan& p, const float* in, float* out) {
  hadamard_scalar::transform_row(in, out, p.n, p.b, p.signs, p.scale);
}
inline void hadamard_row(backend::highway, const hadamard_plan& p, const float* in, float* out) {
#if defined(AO_DISABLE_HIGHWAY)
  hadamard_scalar::transform_row(in, out, p.n, p.b, p.signs, p.scale);
#else
  ao::highway::HWY_NAMESPACE::HadamardRow(in, out, p.n, p.b, p.signs, p.scale);  // static dispatch
#endif
}

// Row r of the flattened matrix of a view cut into bands (bands_of: one band, or equal bands of `inner` rows).
template <class T>
T* hadamard_row_ptr(const std::vector<band<T>>& bands, std::size_t r) {
  const std::size_t per = bands[0].rows;
  const band<T>& b = bands[r / per];
  return b.base + static_cast<std::ptrdiff_t>(r % per) * b.stride;
}

// Rows per executor task: about 64 Ki values.
inline std::size_t hadamard_rows_per_task(std::size_t cols) {
  return std::max<std::size_t>(1, (std::size_t{1} << 16) / std::max<std::size_t>(1, cols));
}

// One row from src into the fp32 row `out` (p.n values), transformed (a bf16 row is widened into out first).
template <class Backend, class Src>
void hadamard_into_f32(const hadamard_plan& p, const Src* src, float* out) {
  if constexpr (std::is_same_v<Src, float>) {
    hadamard_row(Backend{}, p, src, out);
  } else {
    for (std::size_t c = 0; c < p.n; ++c) out[c] = static_cast<float>(src[c]);
    hadamard_row(Backend{}, p, out, out);
  }
}

// Prefetch hints for n values from p (none when p is null, or without GCC/Clang builtins).
template <class T>
void hadamard_prefetch(const T* p, std::size_t n) {
#if defined(__GNUC__)
  if (p == nullptr) return;
  const char* b = reinterpret_cast<const char*>(p);
  for (std::size_t off = 0; off < n * sizeof(T); off += 64) __builtin_prefetch(b + off);
#else
  (void)p;
  (void)n;
#endif
}

template <class T, int Rank>
void check_rows_disjoint(const std::string& op, const char* arg, const strided_view<T, Rank>& v) {
  if constexpr (Rank >= 2) {
    for (const auto& b : bands_of(v)) {
      if (b.rows > 1 && b.stride < static_cast<std::ptrdiff_t>(v.cols())) {
        throw ao::error(op + ": " + arg + "'s rows overlap (row stride " + std::to_string(b.stride) + " < " +
                        std::to_string(v.cols()) + " values)");
      }
    }
  }
}

}  // namespace detail

template <class Src, class Dst, int Rank, class... Options,
          class = std::enable_if_t<(!detail::is_strided_view_v<std::decay_t<Options>> && ...)>>
void hadamard(strided_view<const Src, Rank> src, strided_view<Dst, Rank> dst, Options&&... options) {
  static_assert(std::is_same_v<Src, float> || std::is_same_v<Src, bfloat16>,
                "ao::hadamard: the source is float or ao::bfloat16");
  static_assert(std::is_same_v<Dst, float> || std::is_same_v<Dst, bfloat16>,
                "ao::hadamard: the output is float or ao::bfloat16");
  (void)detail::hadamard_options_of<Options...>{};
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = detail::hadamard_executor_of(sequential, options...);
  const std::string op = "ao::hadamard";
  detail::check_strides(op.c_str(), "src", src);
  detail::check_strides(op.c_str(), "dst", dst);
  if (src.extents() != dst.extents()) throw ao::error(op + ": src and dst have different extents");
  const detail::hadamard_plan plan = detail::make_hadamard_plan(op, src.cols(), options...);
  if (src.empty()) return;
  detail::check_rows_disjoint(op, "dst", dst);
  const bool in_place =
      std::is_same_v<Src, Dst> && static_cast<const void*>(src.data()) == dst.data() && src.strides() == dst.strides();
  if (!in_place && detail::range_of_view(src).overlaps(detail::range_of_view(dst))) {
    throw ao::error(op + ": src and dst overlap in memory (only exact in-place use, dst == src, is allowed)");
  }
  const std::size_t rows = src.rows(), cols = src.cols();
  const auto sbands = detail::bands_of(src);
  const auto dbands = detail::bands_of(dst);
  const std::size_t step = detail::hadamard_rows_per_task(cols);
  ex.parallel_for((rows + step - 1) / step, [&](std::size_t task) {
    std::vector<float> scratch(std::is_same_v<Src, float> && std::is_same_v<Dst, float> ? 0 : cols);
    for (std::size_t r = task * step; r < std::min(rows, (task + 1) * step); ++r) {
      const Src* in = detail::hadamard_row_ptr(sbands, r);
      Dst* out = detail::hadamard_row_ptr(dbands, r);
      if constexpr (std::is_same_v<Dst, float>) {
        detail::hadamard_into_f32<Backend>(plan, in, out);
      } else {
        detail::hadamard_into_f32<Backend>(plan, in, scratch.data());
        for (std::size_t c = 0; c < cols; ++c) out[c] = Dst(scratch[c]);
      }
    }
  });
}

// A view of mutable values transforms like a view of const ones.
template <class Src, class Dst, int Rank, class... Options,
          class = std::enable_if_t<!std::is_const_v<Src> && (!detail::is_strided_view_v<std::decay_t<Options>> && ...)>>
void hadamard(strided_view<Src, Rank> src, strided_view<Dst, Rank> dst, Options&&... options) {
  hadamard(strided_view<const Src, Rank>(src), dst, std::forward<Options>(options)...);
}

// In place.
template <class T, int Rank, class... Options,
          class = std::enable_if_t<!std::is_const_v<T> && (!detail::is_strided_view_v<std::decay_t<Options>> && ...)>>
void hadamard(strided_view<T, Rank> x, Options&&... options) {
  hadamard(strided_view<const T, Rank>(x), x, std::forward<Options>(options)...);
}

template <class F, class Src, int Rank, class... Options,
          class = std::enable_if_t<(!detail::is_strided_view_v<std::decay_t<Options>> && ...)>>
void hadamard_quantize(strided_view<const Src, Rank> src, const quantized_view<F>& dst, Options&&... options) {
  static_assert(std::is_same_v<Src, float> || std::is_same_v<Src, bfloat16>,
                "ao::hadamard_quantize: the source is float or ao::bfloat16");
  using traits = format_traits<F>;
  static_assert(traits::row_multiple == 1,
                "ao::hadamard_quantize: formats whose tiles span several rows (per_block<R, C>, R > 1) are not "
                "supported; rotate with ao::hadamard, then ao::quantize");
  (void)detail::hadamard_options_of<Options...>{};
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = detail::hadamard_executor_of(sequential, options...);
  const std::string op = "ao::hadamard_quantize<" + detail::format_name<F>() + ">";
  detail::check_strides(op.c_str(), "src", src);
  const std::size_t rows = src.rows(), cols = src.cols();
  if (dst.rows != rows || dst.cols != cols) {
    throw ao::error(op + ": src is " + std::to_string(rows) + " x " + std::to_string(cols) +
                    " (rows x last dim) but dst is " + std::to_string(dst.rows) + " x " + std::to_string(dst.cols));
  }
  const detail::hadamard_plan plan = detail::make_hadamard_plan(op, cols, options...);
  detail::check_quantized_view(op.c_str(), dst);
  if (rows == 0 || cols == 0) return;
  auto buffers = detail::ranges_of(dst);
  detail::check_disjoint(op.c_str(), buffers);
  buffers.push_back({"src", detail::range_of_view(src)});
  detail::check_disjoint(op.c_str(), buffers);

  // Chunk width: whole blocks and groups of about 1024 values (4 KiB of scratch) for the blockwise transform (when
  // the format's storage is linear in the columns), else the whole row.
  std::size_t width = cols;
  if (plan.b < cols) {
    const std::size_t m = std::max(plan.b, traits::col_multiple);  // both powers of two, or col_multiple a multiple
    if (m % plan.b == 0 && m % traits::col_multiple == 0) {
      const std::size_t w = std::max<std::size_t>(m, 1024 / m * m);
      const std::size_t k = cols / w;
      if (w < cols && cols % w == 0 && traits::data_row_bytes(w) * k == traits::data_row_bytes(cols) &&
          traits::scale_cols(1, w) * k == traits::scale_cols(1, cols)) {
        width = w;
      }
    }
  }
  detail::hadamard_plan chunk_plan;  // the plan of one chunk
  chunk_plan.n = width;
  chunk_plan.b = plan.b;
  chunk_plan.signs = plan.signs;
  chunk_plan.scale = plan.scale;

  const auto sbands = detail::bands_of(src);
  const std::size_t step = detail::hadamard_rows_per_task(cols);
  const std::size_t tasks = (rows + step - 1) / step;
  const std::size_t chunks = cols / width;
  // Calls fn(row, chunk, rotated values) for every chunk of the task's rows.
  auto for_each_chunk = [&](std::size_t task, auto&& fn) {
    std::vector<float> scratch(width);
    for (std::size_t r = task * step; r < std::min(rows, (task + 1) * step); ++r) {
      const Src* in = detail::hadamard_row_ptr(sbands, r);
      const Src* next_row = r + 1 < rows ? detail::hadamard_row_ptr(sbands, r + 1) : nullptr;
      for (std::size_t k = 0; k < chunks; ++k) {
        detail::hadamard_into_f32<Backend>(chunk_plan, in + k * width, scratch.data());
        // The next chunk's source is fetched from memory while this one is quantized.
        detail::hadamard_prefetch(k + 1 < chunks ? in + (k + 1) * width : next_row, std::min<std::size_t>(width, 4096));
        fn(r, k, static_cast<const float*>(scratch.data()));
      }
    }
  };

  tensor_params_t<F> tensor{};
  if constexpr (!scalar::tensor_statistic<F>::none) {
    // The whole-tensor statistic of the rotated values: min and max (affine), else abs max.
    constexpr bool range = scalar::tensor_statistic<F>::range;
    auto reduce = [&](const float* v) {
      if constexpr (range) {
        return detail::run_min_max(Backend{}, rows_view<float>{v, 0, 1, width});
      } else {
        return detail::run_abs_max(Backend{}, rows_view<float>{v, 0, 1, width});
      }
    };
    auto merge = [](auto a, auto b) {
      if constexpr (range) {
        return scalar::affine_merge(a, b);
      } else {
        return scalar::abs_max_merge(a, b);
      }
    };
    using stat_t = decltype(reduce(nullptr));
    std::vector<stat_t> parts(tasks);
    ex.parallel_for(tasks, [&](std::size_t t) {
      bool first_chunk = true;
      for_each_chunk(t, [&](std::size_t, std::size_t, const float* v) {
        parts[t] = first_chunk ? reduce(v) : merge(parts[t], reduce(v));
        first_chunk = false;
      });
    });
    stat_t all = parts[0];
    for (std::size_t i = 1; i < tasks; ++i) all = merge(all, parts[i]);
    if constexpr (range) {
      tensor = scalar::tensor_params_from_range<F, float>(all);
      dst.zero_points[0] = tensor.zero_point;
    } else {
      tensor = scalar::tensor_params_from_abs_max<F, float>(all);
    }
    if constexpr (std::is_same_v<typename traits::family, format_family::nvfp4>) {
      *dst.global_scale = tensor.global_scale;
    } else {
      dst.scales[0] = tensor.scale;  // per-tensor FP8 and affine
    }
  }
  ex.parallel_for(tasks, [&](std::size_t t) {
    for_each_chunk(t, [&](std::size_t r, std::size_t k, const float* v) {
      quantize_task<F, float> q{};
      q.src = v;
      q.src_stride = static_cast<std::ptrdiff_t>(width);
      q.rows = 1;
      q.cols = width;
      q.data = dst.data + static_cast<std::ptrdiff_t>(r) * dst.data_stride +
               static_cast<std::ptrdiff_t>(k * traits::data_row_bytes(width));
      q.data_stride = dst.data_stride;
      q.scales = dst.scales + static_cast<std::ptrdiff_t>(r) * dst.scales_stride +
                 static_cast<std::ptrdiff_t>(k * traits::scale_cols(1, width));
      q.scales_stride = dst.scales_stride;
      if constexpr (has_zero_points_v<F>) {
        q.zero_points = dst.zero_points + static_cast<std::ptrdiff_t>(r) * dst.zero_points_stride +
                        static_cast<std::ptrdiff_t>(k * traits::scale_cols(1, width));
        q.zero_points_stride = dst.zero_points_stride;
      }
      q.tensor = tensor;
      detail::run_task(Backend{}, q);
    });
  });
}

template <class F, class Src, int Rank, class... Options,
          class = std::enable_if_t<!std::is_const_v<Src> && (!detail::is_strided_view_v<std::decay_t<Options>> && ...)>>
void hadamard_quantize(strided_view<Src, Rank> src, const quantized_view<F>& dst, Options&&... options) {
  hadamard_quantize<F>(strided_view<const Src, Rank>(src), dst, std::forward<Options>(options)...);
}

// Into a new quantized tensor of src's shape.
template <class F, class Src, int Rank, class... Options,
          class = std::enable_if_t<(!detail::is_quantized_view_v<std::decay_t<Options>> && ...) &&
                                   (!detail::is_strided_view_v<std::decay_t<Options>> && ...)>>
quantized_tensor<F> hadamard_quantize(strided_view<Src, Rank> src, Options&&... options) {
  std::vector<std::size_t> shape(src.extents().begin(), src.extents().end());
  quantized_tensor<F> q = quantized_tensor<F>::allocate(shape);
  hadamard_quantize<F>(strided_view<const Src, Rank>(src), q.view(), std::forward<Options>(options)...);
  return q;
}

}  // namespace ao
