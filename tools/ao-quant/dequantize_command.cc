// tools/ao-quant/dequantize_command.cc: `ao-quant dequantize IN OUT [--dtype auto|float32|bfloat16|float16]`.
// Reads a torchao checkpoint and writes a plain safetensors file: every quantized tensor dequantized (ao's
// Highway kernels) under its own name and shape, in the dtype torchao's dequantize() returns (auto: the dtype
// recorded in the metadata) or the one asked for; plain tensors copied as they are. Other metadata is kept.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ao/executor.hpp"
#include "ao/io/safetensors.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "ao/ops/quantize.hpp"
#include "checkpoint_formats.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "float_source.hpp"
#include "progress.hpp"

namespace ao_quant {
namespace {

// The dequantized values of t as bytes of `out` (F32, BF16 or F16), in t's row-major order.
std::vector<std::uint8_t> dequantize_tensor(const ao::io::torchao_checkpoint& ckpt, const ao::io::torchao_tensor& t,
                                            ao::io::dtype out, ao::thread_pool& pool) {
  std::vector<std::uint8_t> bytes;
  with_float_type(out, [&](auto dst_tag) {
    using Dst = decltype(dst_tag);
    with_loaded(ckpt, t, [&](const auto& q) {
      std::vector<Dst> values(q.rows() * q.stored_cols());
      ao::dequantize(q.cview(), ao::strided_view<Dst, 2>(values.data(), {q.rows(), q.stored_cols()}), pool);
      bytes.resize(values.size() * sizeof(Dst));
      if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    });
  });
  return bytes;
}

}  // namespace

int run_dequantize(const arguments& args) {
  const command_line cl(args, {{"dtype", "threads"}, {"quiet"}});
  if (cl.positional().size() != 2) throw ao::error("usage: ao-quant dequantize IN.safetensors OUT.safetensors [--dtype D]");
  const std::string in = cl.positional()[0], out = cl.positional()[1];
  const std::string want = cl.get_choice("dtype", "auto", {"auto", "float32", "bfloat16", "float16"});
  const bool quiet = cl.has("quiet");
  ao::thread_pool pool(static_cast<std::size_t>(cl.get_int("threads", 0, 0, 1024)));

  const auto start = std::chrono::steady_clock::now();
  const auto ckpt = ao::io::torchao_checkpoint::open(in);
  std::uint64_t todo_bytes = 0;
  std::size_t todo = 0;
  for (const auto& t : ckpt) {
    if (!t.quantized()) continue;
    ++todo;
    for (const auto& c : t.components) todo_bytes += c.entry.bytes.size;
  }
  progress bar("dequantizing", todo, todo_bytes, quiet);
  ao::io::safetensors_writer w;
  std::vector<std::unique_ptr<std::vector<std::uint8_t>>> owned;  // the writer borrows the bytes
  std::uint64_t written = 0;
  for (const auto& t : ckpt) {
    if (!t.quantized()) {
      const ao::io::tensor_entry& e = t.components.at(0).entry;
      w.add(t.name, e.dtype, e.shape, e.bytes.data, e.bytes.size);
      written += e.bytes.size;
      continue;
    }
    const ao::io::dtype dt = want == "auto"       ? t.attributes.dtype
                             : want == "float32"  ? ao::io::dtype::f32
                             : want == "bfloat16" ? ao::io::dtype::bf16
                                                  : ao::io::dtype::f16;
    owned.push_back(std::make_unique<std::vector<std::uint8_t>>(dequantize_tensor(ckpt, t, dt, pool)));
    w.add(t.name, dt, t.shape, owned.back()->data(), owned.back()->size());
    written += owned.back()->size();
    std::uint64_t in_bytes = 0;
    for (const auto& c : t.components) in_bytes += c.entry.bytes.size;
    bar.advance(in_bytes);
  }
  if (!ckpt.other_metadata().empty()) w.set_metadata(ckpt.other_metadata());
  w.write(out);
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet) {
    std::printf("dequantized %zu of %zu tensors (%s), %.2f s, wrote %s (%s)\n", todo, ckpt.size(),
                want == "auto" ? "dtypes from the metadata" : want.c_str(), secs, out.c_str(),
                progress::human_bytes(double(written)).c_str());
  }
  return 0;
}

}  // namespace ao_quant
