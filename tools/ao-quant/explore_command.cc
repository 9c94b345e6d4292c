// tools/ao-quant/explore_command.cc: `ao-quant explore [FILE] [--formats a,b,...|all] [--plot out.svg] [--json]`,
// the format explorer. For each format: bits per weight (packed and as stored), SQNR, the mean and max relative
// error |x - q(x)| / |x| over the non-zero finite weights, and quantize / dequantize throughput (GB/s of the
// high-precision side: bytes read by quantize, bytes written by dequantize; the best of --reps runs).
// The input: FILE's floating weights (those --include / --exclude select, rank >= 2), or with no FILE the built-in
// matrix of builtin_weights.hpp. A format that cannot hold some selected tensor (a row not a multiple of its
// block) is reported as skipped for that reason.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ao/executor.hpp"
#include "ao/io/safetensors.hpp"
#include "ao/ops/quantize.hpp"
#include "builtin_weights.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "float_source.hpp"
#include "format_bits.hpp"
#include "frontier_plot.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace ao_quant {
namespace {

// One weight matrix to explore: rows x cols values of dtype `dtype` at `data` (aligned for it).
struct weight {
  std::string name;
  ao::io::dtype dtype;
  std::size_t rows, cols;
  const void* data;
};

struct outcome {
  std::string format;
  std::string skipped;  // why, when the format could not run on some weight
  format_bits bits;
  double signal = 0, noise = 0, rel_sum = 0, rel_max = 0;
  std::uint64_t rel_count = 0, hp_bytes = 0, values = 0, stored_bits = 0;
  double quantize_s = 0, dequantize_s = 0;
  double sqnr_db() const { return noise > 0 ? 10.0 * std::log10(signal / noise) : INFINITY; }
};

using clock_type = std::chrono::steady_clock;

template <class Fn>
double best_time(int reps, Fn&& fn) {
  double best = INFINITY;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = clock_type::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  return best;
}

template <class F, class Src>
void explore_one(const weight& w, outcome& o, ao::thread_pool& pool, int reps) {
  const ao::strided_view<const Src, 2> src(static_cast<const Src*>(w.data), {w.rows, w.cols});
  auto q = ao::quantized_tensor<F>::allocate(w.rows, w.cols);
  o.quantize_s += best_time(reps, [&] { ao::quantize<F>(src, q.view(), pool); });
  std::vector<Src> back(w.rows * w.cols);
  o.dequantize_s += best_time(reps, [&] {
    ao::dequantize(q.cview(), ao::strided_view<Src, 2>(back.data(), {w.rows, w.cols}), pool);
  });
  std::vector<float> exact(w.rows * w.cols);  // fp32 dequantization, for the error metrics
  ao::dequantize(q.cview(), ao::strided_view<float, 2>(exact.data(), {w.rows, w.cols}), pool);
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double x = double(float(src.data()[i])), y = double(exact[i]);
    if (!std::isfinite(x)) continue;
    o.signal += x * x;
    o.noise += (x - y) * (x - y);
    if (x != 0.0) {
      const double rel = std::fabs(x - y) / std::fabs(x);
      o.rel_sum += rel;
      o.rel_max = std::max(o.rel_max, rel);
      ++o.rel_count;
    }
  }
  o.hp_bytes += w.rows * w.cols * sizeof(Src);
  o.values += w.rows * w.cols;
  o.stored_bits += 8 * stored_bytes(q);
  o.bits = bits_of<F>(w.rows, w.cols);  // of the last weight; recomputed as totals below
}

template <class F>
void explore_format(const std::vector<weight>& weights, outcome& o, ao::thread_pool& pool, int reps) {
  double packed_bits = 0;
  for (const weight& w : weights) {
    if (!ao::format_traits<F>::accepts(w.rows, w.cols)) {
      o.skipped = "cannot hold " + w.name + " (" + std::to_string(w.rows) + " x " + std::to_string(w.cols) + ")";
      return;
    }
  }
  for (const weight& w : weights) {
    with_float_type(w.dtype, [&](auto src_tag) { explore_one<F, decltype(src_tag)>(w, o, pool, reps); });
    packed_bits += bits_of<F>(w.rows, w.cols).packed * double(w.rows * w.cols);
  }
  if (o.values) {
    o.bits.packed = packed_bits / double(o.values);
    o.bits.stored = double(o.stored_bits) / double(o.values);
  }
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void write_file_whole(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw ao::error("cannot write '" + path + "'");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw ao::error("cannot write '" + path + "' (rename failed)");
  }
}

}  // namespace

int run_explore(const arguments& args) {
  const command_line cl(args, {{"formats", "plot", "threads", "reps", "include", "exclude", "rows", "cols"},
                               {"json", "quiet"}});
  if (cl.positional().size() > 1) throw ao::error("usage: ao-quant explore [FILE.safetensors] [--formats a,b,...]");
  const bool quiet = cl.has("quiet"), json_out = cl.has("json");
  const int reps = static_cast<int>(cl.get_int("reps", 3, 1, 1000));
  ao::thread_pool pool(static_cast<std::size_t>(cl.get_int("threads", 0, 0, 1024)));

  // Formats.
  std::vector<ao::format_id> ids;
  const std::string list = cl.get("formats", "all");
  if (list == "all") {
    for (std::size_t i = 0; i < ao::format_count; ++i) ids.push_back(static_cast<ao::format_id>(i));
  } else {
    for (const auto& n : split_list(list)) ids.push_back(ao::format_from_name(n));
    if (ids.empty()) throw ao::error("--formats: no format named");
  }

  // Input.
  std::vector<weight> weights;
  std::vector<ao::bfloat16> builtin;
  std::optional<ao::io::safetensors_file> file;
  std::vector<std::unique_ptr<std::vector<std::uint8_t>>> aligned;  // copies of misaligned tensors
  std::string input_name;
  if (cl.positional().empty()) {
    if (cl.has("include") || cl.has("exclude")) throw ao::error("--include / --exclude select tensors of a FILE");
    const auto rows = static_cast<std::size_t>(cl.get_int("rows", 1024, 1, 1 << 20));
    const auto cols = static_cast<std::size_t>(cl.get_int("cols", 4096, 1, 1 << 20));
    builtin = builtin_weights(rows, cols);
    weights.push_back({"builtin", ao::io::dtype::bf16, rows, cols, builtin.data()});
    input_name = "built-in LLM-like weights, " + std::to_string(rows) + " x " + std::to_string(cols) + " bf16";
  } else {
    if (cl.has("rows") || cl.has("cols")) throw ao::error("--rows / --cols size the built-in input (no FILE)");
    input_name = cl.positional()[0];
    file = ao::io::safetensors_file::open(input_name);
    const std::regex include = cl.get_regex("include", "weight$"), exclude = cl.get_regex("exclude", "");
    for (const auto& e : *file) {
      if (!is_float_dtype(e.dtype) || e.shape.size() < 2 || !std::regex_search(e.name, include) ||
          (cl.has("exclude") && std::regex_search(e.name, exclude))) {
        continue;
      }
      const void* data = e.bytes.data;
      if (reinterpret_cast<std::uintptr_t>(data) % (e.dtype == ao::io::dtype::f32 ? 4 : 2) != 0) {
        aligned.push_back(std::make_unique<std::vector<std::uint8_t>>(e.bytes.data, e.bytes.data + e.bytes.size));
        data = aligned.back()->data();  // std::vector's buffer is aligned for any scalar
      }
      weights.push_back({e.name, e.dtype, static_cast<std::size_t>(rows_of(e.shape)),
                         static_cast<std::size_t>(cols_of(e.shape)), data});
    }
    if (weights.empty()) throw ao::error("'" + input_name + "' has no floating weight of rank >= 2 that --include selects");
  }
  std::uint64_t total_values = 0;
  for (const auto& w : weights) total_values += w.rows * w.cols;

  // Run.
  std::vector<outcome> results;
  {
    progress bar("exploring", ids.size(), 0, quiet || json_out);
    for (const ao::format_id id : ids) {
      outcome o;
      o.format = ao::name(id);
      ao::visit_format(id, [&](auto tag) { explore_format<typename decltype(tag)::type>(weights, o, pool, reps); });
      results.push_back(o);
      bar.advance(0);
    }
  }

  // Report.
  if (json_out) {
    nlohmann::ordered_json j;
    j["input"] = input_name;
    j["values"] = total_values;
    j["threads"] = pool.concurrency();
    j["formats"] = nlohmann::ordered_json::array();
    for (const auto& o : results) {
      nlohmann::ordered_json f;
      f["format"] = o.format;
      if (!o.skipped.empty()) {
        f["skipped"] = o.skipped;
      } else {
        f["element_bits"] = o.bits.element;
        f["bits_per_weight"] = o.bits.packed;
        f["stored_bits_per_weight"] = o.bits.stored;
        f["sqnr_db"] = std::isfinite(o.sqnr_db()) ? nlohmann::ordered_json(o.sqnr_db()) : nlohmann::ordered_json(nullptr);
        f["mean_relative_error"] = o.rel_count ? o.rel_sum / double(o.rel_count) : 0.0;
        f["max_relative_error"] = o.rel_max;
        f["quantize_gb_per_s"] = double(o.hp_bytes) / o.quantize_s * 1e-9;
        f["dequantize_gb_per_s"] = double(o.hp_bytes) / o.dequantize_s * 1e-9;
      }
      j["formats"].push_back(f);
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: %llu values, %zu threads, best of %d runs\n", input_name.c_str(),
                static_cast<unsigned long long>(total_values), pool.concurrency(), reps);
    text_table t({"format", "bits/w", "stored", "SQNR dB", "mean rel err", "max rel err", "quant GB/s", "dequant GB/s"},
                 {false, true, true, true, true, true, true, true});
    std::string skipped;  // reasons, printed under the table
    for (const auto& o : results) {
      if (!o.skipped.empty()) {
        t.add({o.format, "-", "-", "-", "-", "-", "-", "-"});
        skipped += o.format + " skipped: " + o.skipped + "\n";
        continue;
      }
      t.add({o.format, fixed(o.bits.packed, 3), fixed(o.bits.stored, 3), fixed(o.sqnr_db(), 2),
             fixed(o.rel_count ? o.rel_sum / double(o.rel_count) : 0.0, 4), fixed(o.rel_max, 3),
             fixed(double(o.hp_bytes) / o.quantize_s * 1e-9, 2), fixed(double(o.hp_bytes) / o.dequantize_s * 1e-9, 2)});
    }
    t.print();
    std::printf("%s", skipped.c_str());
    std::printf("bits/w: element + scales (+ zero points) per weight, packed; stored: in torchao's layout. "
                "GB/s: the bf16/fp32 side.\n");
  }
  if (cl.has("plot")) {
    std::vector<plot_point> pts;
    for (const auto& o : results) {
      if (o.skipped.empty()) pts.push_back({o.format, o.bits.packed, o.sqnr_db()});
    }
    write_file_whole(cl.get("plot"), frontier_svg(pts, "ao formats: SQNR against bits per weight (" + input_name + ")"));
    if (!quiet && !json_out) std::printf("wrote %s\n", cl.get("plot").c_str());
  }
  return 0;
}

}  // namespace ao_quant
