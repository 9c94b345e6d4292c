// tools/ao-quant/inspect_command.cc: `ao-quant inspect FILE`: one line per tensor (name, torchao class, how it is
// stored, shape, bytes, bits per weight) and a total. A torchao checkpoint (one with "tensor_names") lists its
// logical tensors; any other safetensors file lists its entries as plain tensors.
#include <algorithm>
#include <cstdio>
#include <string>

#include "ao/io/safetensors.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "ao/tensor.hpp"
#include "commands.hpp"
#include "command_line.hpp"
#include "float_source.hpp"
#include "format_bits.hpp"
#include "progress.hpp"
#include "text_table.hpp"

namespace ao_quant {
namespace {

// How a quantized tensor is stored, in a few words (what the file records: not the MX scale rule nor the affine
// mapping, which only quantizing used).
std::string storage_text(const ao::io::torchao_tensor& t) {
  const auto& s = t.storage;
  const std::uint64_t rows = t.rows(), cols = t.cols();
  auto tiles = [&]() -> std::string {
    if (s.block_rows == rows && s.block_cols == cols) return "per tensor";
    if (s.block_rows == 1 && s.block_cols == cols) return "per row";
    if (s.block_rows == 1) return "groups of " + std::to_string(s.block_cols);
    return "tiles " + std::to_string(s.block_rows) + "x" + std::to_string(s.block_cols);
  };
  switch (s.family) {
    case ao::io::torchao_storage_family::block_scaled:
      return std::string("MX ") + ao::io::name(s.element) + ", blocks of " + std::to_string(s.block_cols);
    case ao::io::torchao_storage_family::nvfp4:
      return s.global_scale ? "NVFP4, global scale" : "NVFP4";
    case ao::io::torchao_storage_family::float8:
      return std::string(ao::io::name(s.element)) + " " + tiles();
    case ao::io::torchao_storage_family::affine:
      return (s.qmin < 0 ? "int" : "uint") + std::to_string(bits_for_range(s.qmin, s.qmax)) + " " + tiles() + ", " +
             std::string(ao::io::name(s.scale_dtype)) + " scales";
    default:
      return ao::io::describe(s);
  }
}

}  // namespace

int run_inspect(const arguments& args) {
  const command_line cl(args, {{}, {}});
  if (cl.positional().size() != 1) throw ao::error("usage: ao-quant inspect FILE.safetensors");
  const std::string path = cl.positional()[0];
  const ao::io::safetensors_file file = ao::io::safetensors_file::open(path);
  const bool torchao = std::any_of(file.metadata_entries().begin(), file.metadata_entries().end(),
                                   [](const auto& kv) { return kv.first == "tensor_names"; });
  text_table table({"name", "class", "stored as", "shape", "bytes", "bits/weight"}, {false, false, false, false, true, true});
  std::uint64_t total_bytes = 0, total_values = 0;
  std::size_t quantized = 0;
  auto row = [&](const std::string& name, const std::string& cls, const std::string& how,
                 const std::vector<std::uint64_t>& shape, std::uint64_t bytes) {
    std::uint64_t n = 1;
    for (std::uint64_t d : shape) n *= d;
    table.add({name, cls, how, ao::detail::shape_string(shape), std::to_string(bytes), n ? fixed(8.0 * double(bytes) / double(n), 3) : "-"});
    total_bytes += bytes;
    total_values += n;
  };
  std::size_t count = 0;
  if (torchao) {
    const auto ckpt = ao::io::torchao_checkpoint(file);
    for (const auto& t : ckpt) {
      std::uint64_t bytes = 0;
      for (const auto& c : t.components) bytes += c.entry.bytes.size;
      const std::string how = t.quantized() ? storage_text(t) : std::string(ao::io::name(t.components.at(0).entry.dtype));
      row(t.name, ao::io::name(t.cls()), how, t.shape, bytes);
      quantized += t.quantized() ? 1 : 0;
    }
    count = ckpt.size();
  } else {
    for (const auto& e : file) row(e.name, "Tensor", std::string(ao::io::name(e.dtype)), e.shape, e.bytes.size);
    count = file.size();
  }
  table.add_rule();
  table.add({"total: " + std::to_string(count) + " tensors, " + std::to_string(quantized) + " quantized", "", "", "",
             std::to_string(total_bytes), total_values ? fixed(8.0 * double(total_bytes) / double(total_values), 3) : "-"});
  std::printf("%s: %s, %s\n", path.c_str(), torchao ? "torchao checkpoint" : "plain safetensors",
              progress::human_bytes(double(file.tensors().empty() ? 0 : total_bytes)).c_str());
  table.print();
  return 0;
}

}  // namespace ao_quant
