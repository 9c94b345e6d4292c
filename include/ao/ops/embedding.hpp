// ao/ops/embedding.hpp: embedding lookups over a quantized table (torch.nn.functional.embedding, embedding_bag,
// and torchao's _scaled_embedding_bag):
//
//   ao::embedding(indices, table, out, options...)                   out[i, :] = table[indices[i], :]
//   ao::embedding_bag(indices, offsets, table, out, mode, options...) out[b, :] = reduce over bag b of table rows
//   ao::scaled_embedding_bag(indices, offsets, table, out, output_scale, options...)   torchao's scaled bag
//
//   indices  ao::strided_view<const I, 1>, I = std::int32_t or std::int64_t (const or not), contiguous
//   offsets  ao::strided_view<const O, 1>, O = std::int32_t or std::int64_t (independent of I), contiguous
//   table    ao::quantized_view<F> (or const, or a 2-D unpadded ao::quantized_tensor<F>): num_embeddings x dim,
//            any format F (every format of the registry). table[r, :] is row r dequantized to fp32: exactly what
//            ao::dequantize to float gives (the scalar oracle's values; the Highway kernels give the same bits)
//   out      ao::strided_view<Dst, 2>, Dst = float or ao::bfloat16 (scaled bag: float, std::int8_t or
//            ao::float8_e4m3fn); rows may be strided, a row is contiguous
// Options, in any order, each at most once:
//   a backend tag             ao::backend::highway{} (default) or ao::backend::scalar{} (the reference)
//   an executor               anything with parallel_for(n, fn) (ao/executor.hpp); default: the calling thread.
//                             Work is split over bags (or indices), so results never depend on it.
//   ao::include_last_offset   (embedding_bag) offsets has B + 1 entries, bag b = [offsets[b], offsets[b + 1])
//   ao::padding_idx{p}        (embedding_bag) entries whose index is p (-N <= p < N; negative counts from the end,
//                             as torch) are left out of their bag, and of the mean's count
//   ao::per_sample_weights{w} (embedding_bag, mode sum only, as torch) w: strided_view<const float, 1>, one weight
//                             per index
//
// ao::embedding: out[i, :] = Dst(table[indices[i], :]): for Dst = bfloat16, ao::dequantize's bf16 value of the row
// (the fp32 value rounded to nearest even once). torch's padding_idx of F.embedding only changes gradients: there is
// none here.
//
// ao::embedding_bag, torch.nn.functional.embedding_bag's forward semantics:
//   bags     without include_last_offset: B = offsets.size(), bag b = [offsets[b], offsets[b + 1]), the last bag
//            ending at indices.size(). With it: B = offsets.size() - 1 (offsets must not be empty). offsets[0] must
//            be 0 (torch's F.embedding_bag rule), offsets must not decrease and must not pass indices.size(). With
//            include_last_offset, indices past offsets[B] belong to no bag (torch runs them through no bag either);
//            they are still range-checked.
//   sum      acc = 0 (fp32); for j = begin .. end - 1 in order, skipping padding_idx: acc += table[idx[j], :]
//            (with per_sample_weights: acc = fma(w[j], table[idx[j], :], acc), one rounding, as fbgemm's FMA);
//            out = Dst(acc)
//   mean     the sum (no weights), then acc / float(count) (an fp32 division, as torch's output /= bag_size),
//            count = the bag's entries that are not padding_idx; out = Dst(that)
//   max      acc = the first non-padding row; then for each later one, elementwise acc = row if row > acc (torch's
//            comparison: a NaN in the first row stays, a NaN in a later row is never taken); out = Dst(acc)
//   empty    a bag with no entry, or only padding_idx entries, gives 0 in every mode (torch's zero-filled output)
//   Every operation is elementwise and in index order, so the result is exactly one fp32 value per output,
//   identical for both backends, every Highway target and any executor; with a bf16 out, it is rounded once at the
//   end (round to nearest even). (torch with a bf16 weight would round the mean twice: ao rounds once.)
//
// ao::scaled_embedding_bag: torchao's torch.ops.torchao._scaled_embedding_bag (x86), mode sum with
// include_last_offset, the numerics of its AVX-512 path (every dim, not only multiples of 128):
//   table    float8_e4m3fn codes with a per-tensor fp32 scale (ao::float8_e4m3_per_tensor, any AmaxClamp and
//            Arithmetic policy) or int8 codes with a per-tensor fp32 scale and zero point 0
//            (ao::int8_symmetric_per_tensor; a nonzero stored zero point is an error)
//   offsets  B + 1 entries, offsets[0] = 0, not decreasing, offsets[B] = indices.size() (torchao ends its last bag
//            at indices.numel() whatever offsets[B] says; ao requires the two to agree)
//   sum      acc = code(table[idx[begin]]) exactly in fp32 (the element's value, not yet scaled), then
//            acc += code(table[idx[j]]) for j = begin + 1 .. end - 1 (fp32, in order); an empty bag gives 0
//            (torchao reads past its bag there)
//   scale    s = fl32(w_scale / output_scale) (fp32 division: what current torchao computes; torchao's older
//            double division rounded to float is the same value for an fp32 output_scale), v = fl32(acc * s)
//   store    float: v. int8: as _mm512_cvt_roundps_epi32 then _mm512_cvtsepi32_epi8: round half to EVEN, saturate to
//            [-128, 127]; NaN and |v| >= 2^31 give -128 (the conversion's "integer indefinite"). float8_e4m3fn:
//            torch's cast (cvtfp32_fp8e4m3, c10's rule): round to nearest even, |v| > 464 gives NaN (0x7F with v's
//            sign), i.e. ao::convert<float8_e4m3fn, overflow::to_inf_or_nan>.
//   Tie rule: torchao's AVX-512 path rounds int8 halves to even, its scalar fallback (dims not a multiple of 128,
//   or no AVX-512) away from zero (std::round). ao takes the AVX-512 rule for every dim: it is what torchao runs
//   for the usual dims on the x86 servers the op exists for, it is torch's quantization rounding everywhere else
//   (quantize_per_tensor, ao::convert<ao::int8>), and it does not depend on the dim. output_scale must be finite
//   and positive.
//
// What is checked (ao::error naming the argument and the rule; nothing is written on error): every index in
// [0, num_embeddings); the offsets rules above; out's shape (indices.size() or B rows, dim columns) and that its
// rows do not overlap; per_sample_weights' size, and mode sum; padding_idx's range; last dims contiguous, no
// negative strides, no null data when not empty; the table's view (format shape, strides, null pointers; a tensor
// must be 2-D and unpadded); out overlaps none of the inputs (table buffers, indices, offsets, weights).
//
// Method: each row of a bag is decoded by the format's dequantize kernel (ao::backend::scalar: the oracle;
// highway: the Highway kernel) into an fp32 scratch row, then added into an fp32 accumulator row (both in L1 for
// dims up to several thousand). The Highway backend prefetches the rows of the next few indices while it decodes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backend.hpp"
#include "ao/error.hpp"
#include "ao/executor.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/convert.hpp"
#include "ao/numeric/float8.hpp"
#include "ao/ops/matmul.hpp"
#include "ao/ops/quantize.hpp"
#include "ao/tensor.hpp"
#include "ao/view.hpp"

namespace ao {

// torch's EmbeddingBagMode values.
enum class embedding_bag_mode { sum = 0, mean = 1, max = 2 };

struct include_last_offset_t {
  explicit constexpr include_last_offset_t() = default;
};
inline constexpr include_last_offset_t include_last_offset{};

// torch's padding_idx: -num_embeddings <= index < num_embeddings (a negative one counts from the end).
struct padding_idx {
  std::int64_t index;
};

// One fp32 weight per index (mode sum only).
struct per_sample_weights {
  strided_view<const float, 1> weights;
};

namespace detail {

// ---- Options ----

template <class T>
inline constexpr bool is_embedding_flag_v =
    backend::is_backend_v<std::decay_t<T>> || std::is_same_v<std::decay_t<T>, include_last_offset_t> ||
    std::is_same_v<std::decay_t<T>, padding_idx> || std::is_same_v<std::decay_t<T>, per_sample_weights>;

template <class T, class... Opts>
inline constexpr int embedding_count_v = (0 + ... + (std::is_same_v<std::decay_t<Opts>, T> ? 1 : 0));

template <class... Opts>
struct embedding_options_of {
  static constexpr int backends = (0 + ... + (backend::is_backend_v<std::decay_t<Opts>> ? 1 : 0));
  static constexpr int executors = (0 + ... + (is_embedding_flag_v<Opts> ? 0 : 1));
  static_assert(backends <= 1 && executors <= 1 && embedding_count_v<include_last_offset_t, Opts...> <= 1 &&
                    embedding_count_v<padding_idx, Opts...> <= 1 && embedding_count_v<per_sample_weights, Opts...> <= 1,
                "ao::embedding_bag: each option (backend, executor, include_last_offset, padding_idx, "
                "per_sample_weights) at most once");
};

template <class Fallback>
Fallback& embedding_executor_of(Fallback& fallback) {
  return fallback;
}
template <class Fallback, class First, class... Rest>
decltype(auto) embedding_executor_of(Fallback& fallback, First& first, Rest&... rest) {
  if constexpr (is_embedding_flag_v<First>) {
    return embedding_executor_of(fallback, rest...);
  } else {
    return (first);
  }
}

// The bag options given at run time.
struct bag_settings {
  bool include_last_offset = false;
  bool has_padding = false;
  std::int64_t padding = 0;
  bool has_weights = false;
  strided_view<const float, 1> weights;
};
template <class Opt>
void collect_bag_option(bag_settings& s, const Opt& o) {
  if constexpr (std::is_same_v<Opt, include_last_offset_t>) {
    s.include_last_offset = true;
  } else if constexpr (std::is_same_v<Opt, padding_idx>) {
    s.has_padding = true;
    s.padding = o.index;
  } else if constexpr (std::is_same_v<Opt, per_sample_weights>) {
    s.has_weights = true;
    s.weights = o.weights;
  }
}

// ---- Index arrays (int32 or int64, read through one type) ----

struct index_array {
  const void* data = nullptr;
  bool wide = false;  // int64 (else int32)
  std::size_t size = 0;
  std::int64_t operator[](std::size_t i) const noexcept {
    return wide ? static_cast<const std::int64_t*>(data)[i] : static_cast<const std::int32_t*>(data)[i];
  }
};
template <class I>
index_array index_array_of(const char* op, const char* arg, strided_view<I, 1> v) {
  using T = std::remove_const_t<I>;
  static_assert(std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>,
                "ao::embedding: indices and offsets are std::int32_t or std::int64_t");
  check_strides(op, arg, v);
  return {v.data(), std::is_same_v<T, std::int64_t>, v.extent(0)};
}

// ---- The table ----

template <class F, bool Const>
const_quantized_view<F> embedding_table(const char*, const quantized_view<F, Const>& t) {
  return t;
}
template <class F>
const_quantized_view<F> embedding_table(const char* op, const quantized_tensor<F>& t) {
  const std::string where = std::string(op) + "<" + format_name<F>() + ">: ";
  if (t.shape().size() != 2) {
    throw ao::error(where + "the table must be a 2-D (num_embeddings x dim) tensor, its shape is " +
                    shape_string(t.shape()));
  }
  if (t.logical_cols() != t.stored_cols()) {
    throw ao::error(where + "the table is padded (dim = " + std::to_string(t.logical_cols()) + " values stored as " +
                    std::to_string(t.stored_cols()) + "); an embedding table must be unpadded");
  }
  return t.cview();
}

// Decodes row r of the table (all its columns) to Dst with the backend's dequantize kernel.
template <class F, class Dst, class Backend>
void decode_row(Backend be, const const_quantized_view<F>& w, const tensor_params_t<F>& tensor, std::size_t r,
                Dst* dst) {
  const dequantize_task<F, float> f = weight_tile<F>(w, tensor, r, 1, 0, w.cols, nullptr, 0);
  if constexpr (std::is_same_v<Dst, float>) {
    dequantize_task<F, float> t = f;
    t.dst = dst;
    run_task(be, t);
  } else {
    const dequantize_task<F, Dst> t{
        f.data, f.data_stride, f.scales, f.scales_stride, f.zero_points, f.zero_points_stride, f.tensor, 1,
        w.cols, dst,           0};
    run_task(be, t);
  }
}

template <class F>
void prefetch_row(backend::scalar, const const_quantized_view<F>&, std::size_t) noexcept {}
template <class F>
void prefetch_row(backend::highway, const const_quantized_view<F>& w, std::size_t r) noexcept {
  prefetch_weights(w, r, 1, 0, w.cols);
}
// Rows ahead of the one being decoded that the Highway backend asks the CPU to load.
inline constexpr std::size_t kEmbeddingPrefetchRows = 4;

// The checks shared by the three entry points. Returns the table's view.
template <class Dst, class W>
auto embedding_common_checks(const char* op, const W& table_in, strided_view<Dst, 2> out, std::size_t out_rows,
                             const char* rows_rule) {
  const auto w = embedding_table(op, table_in);
  using F = typename decltype(w)::format;
  const std::string where = std::string(op) + "<" + format_name<F>() + ">: ";
  check_quantized_view(op, w);
  check_strides(op, "out", out);
  const std::size_t dim = w.cols;
  if (out.extent(0) != out_rows || out.extent(1) != dim) {
    throw ao::error(where + "out is " + std::to_string(out.extent(0)) + " x " + std::to_string(out.extent(1)) +
                    " but must be " + std::to_string(out_rows) + " x " + std::to_string(dim) + " (" + rows_rule +
                    " x the table's dim)");
  }
  if (out_rows > 1 && dim > 0 && out.stride(0) < static_cast<std::ptrdiff_t>(dim)) {
    throw ao::error(where + "out's rows overlap: its row stride " + std::to_string(out.stride(0)) +
                    " is below dim = " + std::to_string(dim));
  }
  return w;
}

template <class F>
void check_indices_in_range(const char* op, const index_array& idx, std::size_t num_embeddings) {
  for (std::size_t i = 0; i < idx.size; ++i) {
    const std::int64_t v = idx[i];
    if (v < 0 || static_cast<std::uint64_t>(v) >= num_embeddings) {
      throw ao::error(
          std::string(op) + "<" + format_name<F>() + ">: indices[" + std::to_string(i) + "] = " + std::to_string(v) +
          " is out of range: an index must satisfy 0 <= index < num_embeddings = " + std::to_string(num_embeddings));
    }
  }
}

// The bags: B and their [begin, end) from the offsets, after checking the offsets' rules.
struct bag_list {
  index_array offsets;
  std::size_t count = 0;      // B
  std::size_t n_indices = 0;  // indices.size()
  std::size_t begin(std::size_t b) const noexcept { return static_cast<std::size_t>(offsets[b]); }
  std::size_t end(std::size_t b) const noexcept {
    return b + 1 < offsets.size ? static_cast<std::size_t>(offsets[b + 1]) : n_indices;
  }
};
inline bag_list make_bags(const std::string& where, const index_array& offsets, std::size_t n_indices,
                          bool include_last) {
  if (include_last && offsets.size == 0) {
    throw ao::error(where + "offsets is empty, but include_last_offset needs at least one offset (B + 1 entries)");
  }
  if (offsets.size > 0 && offsets[0] != 0) {
    throw ao::error(where + "offsets[0] = " + std::to_string(offsets[0]) +
                    " but the first bag must start at index 0 (offsets[0] == 0)");
  }
  for (std::size_t b = 0; b < offsets.size; ++b) {
    const std::int64_t o = offsets[b];
    if (b > 0 && o < offsets[b - 1]) {
      throw ao::error(where + "offsets must not decrease, but offsets[" + std::to_string(b) +
                      "] = " + std::to_string(o) + " < offsets[" + std::to_string(b - 1) +
                      "] = " + std::to_string(offsets[b - 1]));
    }
    if (o < 0 || static_cast<std::uint64_t>(o) > n_indices) {
      throw ao::error(where + "offsets[" + std::to_string(b) + "] = " + std::to_string(o) +
                      " is past the end of indices (an offset must satisfy 0 <= offset <= indices.size() = " +
                      std::to_string(n_indices) + ")");
    }
  }
  return {offsets, include_last ? offsets.size - 1 : offsets.size, n_indices};
}

// Output buffers must not alias an input.
inline void check_out_disjoint(const std::string& where, const byte_range& out,
                               const std::vector<std::pair<std::string, byte_range>>& inputs) {
  for (const auto& in : inputs) {
    if (in.second.overlaps(out)) {
      throw ao::error(where + "out and " + in.first + " overlap in memory (the output may not alias an input)");
    }
  }
}
template <class F>
std::vector<std::pair<std::string, byte_range>> table_ranges(const const_quantized_view<F>& w) {
  std::vector<std::pair<std::string, byte_range>> r;
  for (const auto& buffer : ranges_of(w)) r.push_back({std::string("the table's ") + buffer.first, buffer.second});
  return r;
}
template <class I>
byte_range index_range(strided_view<I, 1> v) {
  return range_of_view(v);
}

// Bags (or indices) per executor task: about 64 Ki decoded values each.
inline std::size_t embedding_items_per_task(std::size_t items, std::size_t rows, std::size_t dim) {
  const std::size_t per_item =
      std::max<std::size_t>(1, dim * std::max<std::size_t>(1, rows / std::max<std::size_t>(1, items)));
  return std::max<std::size_t>(1, (std::size_t{1} << 16) / per_item);
}

template <class Dst>
Dst embedding_from_float(float v) noexcept {
  return scalar::detail::from_float<Dst>(v);
}

// ---- embedding ----

template <class F, class Dst, class Backend, class Executor>
void embedding_run(Backend be, const const_quantized_view<F>& w, const index_array& idx, strided_view<Dst, 2> out,
                   Executor& ex) {
  const tensor_params_t<F> tensor = stored_tensor_params(w);
  const std::size_t n = idx.size;
  const std::size_t step = embedding_items_per_task(n, n, w.cols);
  ex.parallel_for((n + step - 1) / step, [&](std::size_t task) {
    const std::size_t first = task * step, last = std::min(n, first + step);
    for (std::size_t i = first; i < last; ++i) {
      if (i + kEmbeddingPrefetchRows < last) {
        prefetch_row(be, w, static_cast<std::size_t>(idx[i + kEmbeddingPrefetchRows]));
      }
      decode_row<F, Dst>(be, w, tensor, static_cast<std::size_t>(idx[i]),
                         out.data() + static_cast<std::ptrdiff_t>(i) * out.stride(0));
    }
  });
}

// ---- embedding_bag ----

template <class F>
struct bag_problem {
  const_quantized_view<F> w;
  tensor_params_t<F> tensor;
  index_array idx;
  bag_list bags;
  embedding_bag_mode mode;
  bool has_padding;
  std::int64_t padding;  // normalized to [0, N)
  const float* weights;  // per_sample_weights or null
};

// One task's bags [first, last): accumulate in fp32, store to Dst.
template <class F, class Dst, class Backend>
void embedding_bag_bags(Backend be, const bag_problem<F>& p, strided_view<Dst, 2> out, std::size_t first,
                        std::size_t last) {
  const std::size_t dim = p.w.cols;
  std::vector<float> row(dim), acc(dim);
  for (std::size_t b = first; b < last; ++b) {
    const std::size_t begin = p.bags.begin(b), end = p.bags.end(b);
    std::fill(acc.begin(), acc.end(), 0.0f);
    std::size_t count = 0;
    for (std::size_t j = begin; j < end; ++j) {
      if (j + kEmbeddingPrefetchRows < p.idx.size) {
        prefetch_row(be, p.w, static_cast<std::size_t>(p.idx[j + kEmbeddingPrefetchRows]));
      }
      const std::int64_t r = p.idx[j];
      if (p.has_padding && r == p.padding) continue;
      float* const a = acc.data();
      if (p.mode == embedding_bag_mode::max) {
        if (count == 0) {
          decode_row<F, float>(be, p.w, p.tensor, static_cast<std::size_t>(r), a);
        } else {
          decode_row<F, float>(be, p.w, p.tensor, static_cast<std::size_t>(r), row.data());
          const float* const v = row.data();
          for (std::size_t d = 0; d < dim; ++d) a[d] = v[d] > a[d] ? v[d] : a[d];
        }
      } else {
        decode_row<F, float>(be, p.w, p.tensor, static_cast<std::size_t>(r), row.data());
        const float* const v = row.data();
        if (p.weights != nullptr) {
          const float s = p.weights[j];
          for (std::size_t d = 0; d < dim; ++d) a[d] = std::fma(s, v[d], a[d]);
        } else {
          for (std::size_t d = 0; d < dim; ++d) a[d] += v[d];
        }
      }
      ++count;
    }
    Dst* const o = out.data() + static_cast<std::ptrdiff_t>(b) * out.stride(0);
    if (p.mode == embedding_bag_mode::mean && count > 0) {
      const float c = static_cast<float>(count);
      for (std::size_t d = 0; d < dim; ++d) o[d] = embedding_from_float<Dst>(acc[d] / c);
    } else {
      for (std::size_t d = 0; d < dim; ++d) o[d] = embedding_from_float<Dst>(acc[d]);
    }
  }
}

template <class F, class Dst, class Backend, class Executor>
void embedding_bag_run(Backend be, const bag_problem<F>& p, strided_view<Dst, 2> out, Executor& ex) {
  const std::size_t nb = p.bags.count;
  const std::size_t step = embedding_items_per_task(nb, p.idx.size, p.w.cols);
  ex.parallel_for((nb + step - 1) / step, [&](std::size_t task) {
    embedding_bag_bags<F, Dst>(be, p, out, task * step, std::min(nb, (task + 1) * step));
  });
}

// ---- scaled_embedding_bag ----

template <class F>
struct scaled_bag_table {
  static constexpr bool fp8 = false, int8 = false;
};
template <class C, class A>
struct scaled_bag_table<float8_scaled<float8_e4m3fn, per_tensor, C, A>> {
  static constexpr bool fp8 = true, int8 = false;
};
template <class M, class E>
struct scaled_bag_table<affine<int8, M, per_tensor, float, zero_point_domain::integer, E>> {
  static constexpr bool fp8 = false, int8 = true;
};

// torchao's AVX-512 int8 store: _mm512_cvt_roundps_epi32 (round half to even; NaN and values outside int32 give
// INT32_MIN), then _mm512_cvtsepi32_epi8 (signed saturation).
inline std::int8_t scaled_bag_to_int8(float v) noexcept {
  if (!(v >= -0x1p31f && v < 0x1p31f)) return -128;
  v = std::min(std::max(v, -129.0f), 128.0f);  // the saturation below gives the same result for every larger |v|
  float a = std::fabs(v);
  a = (a + 0x1p23f) - 0x1p23f;  // |v| < 2^23: rounds to an integer, ties to even (the default rounding mode)
  const int i = static_cast<int>(v < 0.0f ? -a : a);
  return static_cast<std::int8_t>(std::min(127, std::max(-128, i)));
}

template <class Out>
Out scaled_bag_store(float v) noexcept {
  if constexpr (std::is_same_v<Out, float>) {
    return v;
  } else if constexpr (std::is_same_v<Out, std::int8_t>) {
    return scaled_bag_to_int8(v);
  } else {
    return convert<float8_e4m3fn, overflow::to_inf_or_nan>(v);
  }
}

template <class F, class Out, class Backend, class Executor>
void scaled_embedding_bag_run(Backend be, const const_quantized_view<F>& table, const index_array& idx,
                              const bag_list& bags, float scale, strided_view<Out, 2> out, Executor& ex) {
  // The codes' exact values: the table decoded with a scale of 1 and a zero point of 0.
  const scale_storage_t<F> one = scale_storage_t<F>(1.0f);
  zero_point_storage_t<F> zero{};
  const_quantized_view<F> w = table;
  w.scales = &one;
  w.scales_stride = 1;
  if constexpr (has_zero_points_v<F>) {
    w.zero_points = &zero;
    w.zero_points_stride = 1;
  }
  const tensor_params_t<F> tensor = stored_tensor_params(w);
  const std::size_t dim = w.cols, nb = bags.count;
  const std::size_t step = embedding_items_per_task(nb, idx.size, dim);
  ex.parallel_for((nb + step - 1) / step, [&](std::size_t task) {
    std::vector<float> row(dim), acc(dim);
    for (std::size_t b = task * step; b < std::min(nb, (task + 1) * step); ++b) {
      const std::size_t begin = bags.begin(b), end = bags.end(b);
      float* const a = acc.data();
      if (begin == end) {
        std::fill(acc.begin(), acc.end(), 0.0f);
      } else {
        for (std::size_t j = begin; j < end; ++j) {
          if (j + kEmbeddingPrefetchRows < idx.size) {
            prefetch_row(be, w, static_cast<std::size_t>(idx[j + kEmbeddingPrefetchRows]));
          }
          const auto r = static_cast<std::size_t>(idx[j]);
          if (j == begin) {
            decode_row<F, float>(be, w, tensor, r, a);
          } else {
            decode_row<F, float>(be, w, tensor, r, row.data());
            const float* const v = row.data();
            for (std::size_t d = 0; d < dim; ++d) a[d] += v[d];
          }
        }
      }
      Out* const o = out.data() + static_cast<std::ptrdiff_t>(b) * out.stride(0);
      for (std::size_t d = 0; d < dim; ++d) o[d] = scaled_bag_store<Out>(a[d] * scale);
    }
  });
}

}  // namespace detail

// out[i, :] = the table's row indices[i], dequantized to Dst.
template <class I, class W, class Dst, class... Options, class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void embedding(strided_view<I, 1> indices, const W& table, strided_view<Dst, 2> out, Options&&... options) {
  static_assert(std::is_same_v<Dst, float> || std::is_same_v<Dst, bfloat16>,
                "ao::embedding: out is a mutable view of float or ao::bfloat16");
  using opts = detail::embedding_options_of<Options...>;
  static_assert(detail::embedding_count_v<include_last_offset_t, Options...> == 0 &&
                    detail::embedding_count_v<padding_idx, Options...> == 0 &&
                    detail::embedding_count_v<per_sample_weights, Options...> == 0,
                "ao::embedding: include_last_offset, padding_idx and per_sample_weights are embedding_bag options");
  (void)sizeof(opts);
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = detail::embedding_executor_of(sequential, options...);
  const char* op = "ao::embedding";
  const detail::index_array idx = detail::index_array_of(op, "indices", indices);
  const auto w = detail::embedding_common_checks(op, table, out, idx.size, "indices.size()");
  using F = typename decltype(w)::format;
  const std::string where = std::string(op) + "<" + detail::format_name<F>() + ">: ";
  detail::check_indices_in_range<F>(op, idx, w.rows);
  if (idx.size == 0 || w.cols == 0) return;
  auto inputs = detail::table_ranges(w);
  inputs.push_back({"indices", detail::index_range(indices)});
  detail::check_out_disjoint(where, detail::range_of_view(out), inputs);
  detail::embedding_run<F, Dst>(Backend{}, w, idx, out, ex);
}

// torch.nn.functional.embedding_bag(indices, table, offsets, mode=..., ...) over a quantized table.
template <class I, class O, class W, class Dst, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void embedding_bag(strided_view<I, 1> indices, strided_view<O, 1> offsets, const W& table, strided_view<Dst, 2> out,
                   embedding_bag_mode mode, Options&&... options) {
  static_assert(std::is_same_v<Dst, float> || std::is_same_v<Dst, bfloat16>,
                "ao::embedding_bag: out is a mutable view of float or ao::bfloat16");
  using opts = detail::embedding_options_of<Options...>;
  (void)sizeof(opts);
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = detail::embedding_executor_of(sequential, options...);
  detail::bag_settings s;
  (detail::collect_bag_option(s, options), ...);
  const char* op = "ao::embedding_bag";
  const detail::index_array idx = detail::index_array_of(op, "indices", indices);
  const detail::index_array off = detail::index_array_of(op, "offsets", offsets);
  // The bag count first (out's shape depends on it); the rules on the offsets' values after the table's checks.
  const std::string plain_where = std::string(op) + ": ";
  if (s.include_last_offset && off.size == 0) {
    throw ao::error(plain_where +
                    "offsets is empty, but include_last_offset needs at least one offset (B + 1 entries)");
  }
  const std::size_t nb = s.include_last_offset ? off.size - 1 : off.size;
  const auto w = detail::embedding_common_checks(op, table, out, nb, "B, the number of bags");
  using F = typename decltype(w)::format;
  const std::string where = std::string(op) + "<" + detail::format_name<F>() + ">: ";
  if (mode != embedding_bag_mode::sum && mode != embedding_bag_mode::mean && mode != embedding_bag_mode::max) {
    throw ao::error(where + "mode " + std::to_string(static_cast<int>(mode)) + " is not sum (0), mean (1) or max (2)");
  }
  const detail::bag_list bags = detail::make_bags(where, off, idx.size, s.include_last_offset);
  detail::check_indices_in_range<F>(op, idx, w.rows);
  std::int64_t padding = 0;
  if (s.has_padding) {
    const auto n = static_cast<std::int64_t>(w.rows);
    if (s.padding < -n || s.padding >= n) {
      throw ao::error(
          where + "padding_idx = " + std::to_string(s.padding) +
          " is out of range: it must satisfy -num_embeddings <= padding_idx < num_embeddings = " + std::to_string(n));
    }
    padding = s.padding < 0 ? s.padding + n : s.padding;
  }
  auto inputs = detail::table_ranges(w);
  inputs.push_back({"indices", detail::index_range(indices)});
  inputs.push_back({"offsets", detail::index_range(offsets)});
  if (s.has_weights) {
    if (mode != embedding_bag_mode::sum) {
      throw ao::error(where + "per_sample_weights is only supported for mode sum (as torch), the mode is " +
                      (mode == embedding_bag_mode::mean ? "mean" : "max"));
    }
    detail::check_strides(op, "per_sample_weights", s.weights);
    if (s.weights.extent(0) != idx.size) {
      throw ao::error(where + "per_sample_weights has " + std::to_string(s.weights.extent(0)) +
                      " values but indices has " + std::to_string(idx.size) + " (one weight per index)");
    }
    inputs.push_back({"per_sample_weights", detail::range_of_view(s.weights)});
  }
  if (nb == 0 || w.cols == 0) return;
  detail::check_out_disjoint(where, detail::range_of_view(out), inputs);
  // (A table of no rows has no scales to read: every bag is empty then, as every index would be out of range.)
  const tensor_params_t<F> tensor = w.rows > 0 ? detail::stored_tensor_params(w) : tensor_params_t<F>{};
  const detail::bag_problem<F> p{w,    tensor,        idx,     bags,
                                 mode, s.has_padding, padding, s.has_weights ? s.weights.data() : nullptr};
  detail::embedding_bag_run<F, Dst>(Backend{}, p, out, ex);
}

// torchao's _scaled_embedding_bag (mode sum, include_last_offset): see the header comment.
template <class I, class O, class W, class Out, class... Options,
          class = std::enable_if_t<detail::is_matmul_weights_v<W>>>
void scaled_embedding_bag(strided_view<I, 1> indices, strided_view<O, 1> offsets, const W& table,
                          strided_view<Out, 2> out, float output_scale, Options&&... options) {
  static_assert(std::is_same_v<Out, float> || std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, float8_e4m3fn>,
                "ao::scaled_embedding_bag: out is a mutable view of float, std::int8_t or ao::float8_e4m3fn");
  using opts = detail::options_of<Options...>;
  static_assert(!opts::pad, "ao::scaled_embedding_bag: options are a backend and an executor");
  using Backend = typename detail::backend_of<backend::highway, Options...>::type;
  sequential_executor sequential;
  auto& ex = detail::executor_of(sequential, options...);
  const char* op = "ao::scaled_embedding_bag";
  const detail::index_array idx = detail::index_array_of(op, "indices", indices);
  const detail::index_array off = detail::index_array_of(op, "offsets", offsets);
  if (off.size == 0) {
    throw ao::error(std::string(op) + ": offsets is empty, but it holds B + 1 entries (include_last_offset)");
  }
  const auto w = detail::embedding_common_checks(op, table, out, off.size - 1, "B = offsets.size() - 1");
  using F = typename decltype(w)::format;
  static_assert(detail::scaled_bag_table<F>::fp8 || detail::scaled_bag_table<F>::int8,
                "ao::scaled_embedding_bag: the table is float8_e4m3fn per tensor (ao::float8_e4m3_per_tensor) or int8 "
                "per tensor with fp32 scales (ao::int8_symmetric_per_tensor), as torchao's qweight");
  const std::string where = std::string(op) + "<" + detail::format_name<F>() + ">: ";
  if (!(output_scale > 0.0f) || !std::isfinite(output_scale)) {
    throw ao::error(where + "output_scale = " + std::to_string(output_scale) + " must be finite and positive");
  }
  const detail::bag_list bags = detail::make_bags(where, off, idx.size, true);
  if (static_cast<std::size_t>(off[off.size - 1]) != idx.size) {
    throw ao::error(where + "offsets[B] = " + std::to_string(off[off.size - 1]) + " must equal indices.size() = " +
                    std::to_string(idx.size) + " (torchao ends the last bag at indices.size())");
  }
  detail::check_indices_in_range<F>(op, idx, w.rows);
  if (bags.count == 0 || w.cols == 0) return;
  if constexpr (detail::scaled_bag_table<F>::int8) {
    if (w.rows > 0 && w.zero_points[0] != 0) {
      throw ao::error(where + "the table's zero point is " + std::to_string(w.zero_points[0]) +
                      "; torchao's int8 qweight has none (zero point 0)");
    }
  }
  auto inputs = detail::table_ranges(w);
  inputs.push_back({"indices", detail::index_range(indices)});
  inputs.push_back({"offsets", detail::index_range(offsets)});
  detail::check_out_disjoint(where, detail::range_of_view(out), inputs);
  // (A table of no rows: every bag is empty, the scale multiplies zeros.)
  const float scale = w.rows > 0 ? static_cast<float>(w.scales[0]) / output_scale : 1.0f;
  detail::scaled_embedding_bag_run<F, Out>(Backend{}, w, idx, bags, scale, out, ex);
}

}  // namespace ao
