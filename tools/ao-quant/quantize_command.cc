// tools/ao-quant/quantize_command.cc: `ao-quant quantize IN OUT --format F [options]`.
// Every floating tensor of IN (F32, BF16, F16) of rank >= 2 whose name matches --include and not --exclude is
// quantized (ao's Highway kernels, dynamic dispatch) and written in torchao's checkpoint layout, with torchao's
// attributes for the recipe (recipe.hpp); every other tensor is copied as it is, in IN's order.
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>

#include "ao/executor.hpp"
#include "ao/io/safetensors.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "ao/ops/quantize.hpp"
#include "commands.hpp"
#include "float_source.hpp"
#include "format_bits.hpp"
#include "progress.hpp"
#include "recipe.hpp"

namespace ao_quant {
namespace {

// Quantizes one tensor with format F into the writer; returns the stored bytes.
template <class F, class Src>
std::size_t quantize_tensor(const recipe& r, const ao::io::tensor_entry& e, ao::io::torchao_checkpoint_writer& w,
                            ao::thread_pool& pool) {
  const std::uint64_t rows = rows_of(e.shape), cols = cols_of(e.shape), group = group_of(r);
  if (group != 0 && cols % group != 0) {
    throw ao::error("tensor '" + e.name + "': the last dim " + std::to_string(cols) + " is not a multiple of --group " +
                    std::to_string(group) + " (choose another group, or --exclude this tensor)");
  }
  // intx: one row of F per group (written back with the tensor's own shape, as_shape).
  const std::vector<std::size_t> held =
      group != 0 ? std::vector<std::size_t>{static_cast<std::size_t>(rows * (cols / group)), static_cast<std::size_t>(group)}
                 : std::vector<std::size_t>(e.shape.begin(), e.shape.end());
  const std::vector<std::uint64_t> as_shape = group != 0 ? e.shape : std::vector<std::uint64_t>{};
  ao::quantized_tensor<F> q;
  try {
    q = ao::quantized_tensor<F>::allocate(held);
  } catch (const ao::error& err) {
    throw ao::error("tensor '" + e.name + "': " + err.what() + " (--exclude it, or choose another format)");
  }
  const float_source<Src> src(e, group != 0 ? rows * (cols / group) : rows, group != 0 ? group : cols);
  ao::quantize<F>(src.view(), q.view(), pool);
  ao::io::torchao_attributes a = ao::io::torchao_default_attributes<F>(e.dtype);
  a.cls = class_of(r);
  const std::size_t bytes = stored_bytes(q);
  w.add(e.name, std::move(q), a, as_shape);
  return bytes;
}

}  // namespace

int run_quantize(const arguments& args) {
  const command_line cl(args, {{"format", "scale-mode", "granularity", "mapping", "bits", "group", "include",
                                "exclude", "threads"},
                               {"global-scale", "quiet"}});
  if (cl.positional().size() != 2) throw ao::error("usage: ao-quant quantize IN.safetensors OUT.safetensors --format F");
  const std::string in = cl.positional()[0], out = cl.positional()[1];
  const recipe r = parse_recipe(cl);
  const std::regex include = cl.get_regex("include", "weight$");
  const bool has_exclude = cl.has("exclude");
  const std::regex exclude = cl.get_regex("exclude", "");
  const bool quiet = cl.has("quiet");
  ao::thread_pool pool(static_cast<std::size_t>(cl.get_int("threads", 0, 0, 1024)));

  const auto start = std::chrono::steady_clock::now();
  const ao::io::safetensors_file file = ao::io::safetensors_file::open(in);
  for (const auto& kv : file.metadata_entries()) {
    if (kv.first == "tensor_names") {
      throw ao::error("'" + in + "' is already a torchao checkpoint (it has \"tensor_names\"); dequantize it first");
    }
  }
  auto selected = [&](const ao::io::tensor_entry& e) {
    return is_float_dtype(e.dtype) && e.shape.size() >= 2 && std::regex_search(e.name, include) &&
           !(has_exclude && std::regex_search(e.name, exclude));
  };
  std::uint64_t todo_bytes = 0;
  std::size_t todo = 0;
  for (const auto& e : file) {
    if (selected(e)) {
      todo_bytes += e.bytes.size;
      ++todo;
    }
  }

  ao::io::torchao_checkpoint_writer w;
  progress bar("quantizing", todo, todo_bytes, quiet);
  std::uint64_t in_bytes = 0, out_bytes = 0, values = 0;
  for (const auto& e : file) {
    if (!selected(e)) {
      w.add_tensor(e.name, e.dtype, e.shape, e.bytes.data, e.bytes.size);
      continue;
    }
    with_float_type(e.dtype, [&](auto src_tag) {
      using Src = decltype(src_tag);
      with_format<Src>(r, [&](auto format_tag) {
        using F = typename decltype(format_tag)::type;
        out_bytes += quantize_tensor<F, Src>(r, e, w, pool);
      });
    });
    in_bytes += e.bytes.size;
    values += e.numel();
    bar.advance(e.bytes.size);
  }
  for (const auto& kv : file.metadata_entries()) w.add_metadata(kv.first, kv.second);
  w.write(out);
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet) {
    std::printf("quantized %zu of %zu tensors to %s: %s -> %s (%.3f bits per weight as stored), %.2f s, wrote %s\n",
                todo, file.size(), r.describe().c_str(), progress::human_bytes(double(in_bytes)).c_str(),
                progress::human_bytes(double(out_bytes)).c_str(), values ? 8.0 * double(out_bytes) / double(values) : 0.0,
                secs, out.c_str());
  }
  return 0;
}

}  // namespace ao_quant
