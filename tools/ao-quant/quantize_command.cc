// tools/ao-quant/quantize_command.cc: `ao-quant quantize IN OUT --format F [options]`.
// Every floating tensor of IN (F32, BF16, F16) of rank >= 2 whose name matches --include and not --exclude is
// quantized (ao's Highway kernels, dynamic dispatch) and written in torchao's checkpoint layout, with torchao's
// attributes for the recipe (recipe.hpp); every other tensor is copied as it is, in IN's order.
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
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
#include "tensor_cache.hpp"

namespace ao_quant {
namespace {

// How one selected tensor is held as format F: its shape, and the shape it is written with. intx holds one row
// of F per group (written back with the tensor's own shape, as_shape).
struct held_shape {
  std::vector<std::size_t> q_shape;
  std::vector<std::uint64_t> as_shape;  // empty: q_shape
  std::uint64_t rows = 0, cols = 0;     // of the source view
};

held_shape held_shape_of(const recipe& r, const ao::io::tensor_entry& e) {
  const std::uint64_t rows = rows_of(e.shape), cols = cols_of(e.shape), group = group_of(r);
  if (group != 0 && cols % group != 0) {
    throw ao::error("tensor '" + e.name + "': the last dim " + std::to_string(cols) + " is not a multiple of --group " +
                    std::to_string(group) + " (choose another group, or --exclude this tensor)");
  }
  held_shape h;
  if (group != 0) {
    h.rows = rows * (cols / group);
    h.cols = group;
    h.q_shape = {static_cast<std::size_t>(h.rows), static_cast<std::size_t>(group)};
    h.as_shape = e.shape;
  } else {
    h.rows = rows;
    h.cols = cols;
    h.q_shape.assign(e.shape.begin(), e.shape.end());
  }
  return h;
}

template <class F>
ao::io::torchao_attributes attributes_of(const recipe& r, const ao::io::tensor_entry& e) {
  ao::io::torchao_attributes a = ao::io::torchao_default_attributes<F>(e.dtype);
  a.cls = class_of(r);
  return a;
}

// Calls fn(Src{}, tag of F) with the source type and the recipe's format for entry e.
template <class Fn>
void with_tensor_types(const recipe& r, const ao::io::tensor_entry& e, Fn&& fn) {
  with_float_type(e.dtype, [&](auto src_tag) {
    using Src = decltype(src_tag);
    with_format<Src>(r, [&](auto format_tag) { fn(src_tag, format_tag); });
  });
}

// Maps a file's pages [p, p + n) into this process before a kernel reads them, on the calling thread: with
// madvise(MADV_POPULATE_READ) where the kernel has it (Linux 5.14), one call for the whole range; otherwise by
// reading one byte of every page (a page fault each: on a virtual machine whose faults trap to the hypervisor,
// that cost 0.3 s of a 1 GiB file's 1.0 s). Hints only: a failure leaves the faults to the kernel's reads.
void map_pages(const std::uint8_t* p, std::size_t n) {
  constexpr std::size_t page = 4096;
#if defined(__linux__) && defined(MADV_POPULATE_READ)
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{page - 1};
  const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(p) + n;
  if (n == 0 || madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ) == 0) return;
#endif
  for (std::size_t i = 0; i < n; i += page) (void)*static_cast<const volatile std::uint8_t*>(p + i);  // kept: volatile
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

  // Pass 1: lay the output out. Every quantized tensor's entries follow from its shape and the recipe, so the
  // header (and every copied tensor) is written before anything is quantized, and each tensor is written as soon
  // as it is made: one quantized tensor in memory at a time (tensor_cache keeps a few for reuse), not all.
  ao::io::torchao_checkpoint_writer w;
  std::uint64_t todo_bytes = 0, in_bytes = 0, out_bytes = 0, values = 0;
  std::size_t todo = 0;
  for (const auto& e : file) {
    if (!selected(e)) {
      w.add_tensor_borrowed(e.name, e.dtype, e.shape, e.bytes.data, e.bytes.size);  // the file stays mapped
      continue;
    }
    const held_shape h = held_shape_of(r, e);
    with_tensor_types(r, e, [&](auto, auto format_tag) {
      using F = typename decltype(format_tag)::type;
      try {
        w.add_planned<F>(e.name, h.q_shape, attributes_of<F>(r, e), h.as_shape);
      } catch (const ao::error& err) {
        throw ao::error(std::string(err.what()) + " (--exclude it, or choose another format)");  // names the tensor
      }
    });
    todo_bytes += e.bytes.size;
    ++todo;
  }
  for (const auto& kv : file.metadata_entries()) w.add_metadata(kv.first, kv.second);
  ao::io::torchao_checkpoint_writer::output o = w.open(out);

  // Pass 2: quantize each selected tensor (ao's Highway kernels, dynamic dispatch) and write it. The write of one
  // tensor (a copy into the page cache, as costly as quantizing on a small machine) runs on its own thread while
  // the next is quantized, and that thread then maps the input pages of the tensor after it (page faults that
  // the kernels' threads would otherwise take); one write at a time, so the output is used by one thread at a time.
  progress bar("quantizing", todo, todo_bytes, quiet);
  tensor_cache cache;
  std::vector<const ao::io::tensor_entry*> order;
  for (const auto& e : file) {
    if (selected(e)) order.push_back(&e);
  }
  std::future<void> writing;  // the previous tensor's write
  const void* busy = nullptr;  // the tensor it writes
  for (std::size_t k = 0; k < order.size(); ++k) {
    const ao::io::tensor_entry& e = *order[k];
    const ao::io::tensor_entry* after_next = k + 2 < order.size() ? order[k + 2] : nullptr;
    const held_shape h = held_shape_of(r, e);
    with_tensor_types(r, e, [&](auto src_tag, auto format_tag) {
      using Src = decltype(src_tag);
      using F = typename decltype(format_tag)::type;
      std::shared_ptr<ao::quantized_tensor<F>> q = cache.get<F>(h.q_shape, busy);
      const float_source<Src> src(e, h.rows, h.cols);
      ao::quantize<F>(src.view(), q->view(), pool);
      out_bytes += stored_bytes(*q);
      if (writing.valid()) writing.get();  // rethrows its error
      busy = q.get();
      writing = std::async(std::launch::async, [&o, name = e.name, q, after_next] {
        o.write(name, *q);
        if (after_next != nullptr) map_pages(after_next->bytes.data, after_next->bytes.size);
      });
    });
    in_bytes += e.bytes.size;
    values += e.numel();
    bar.advance(e.bytes.size);
  }
  if (writing.valid()) writing.get();
  o.commit();
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
