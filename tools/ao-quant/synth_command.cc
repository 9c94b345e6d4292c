// tools/ao-quant/synth_command.cc: `ao-quant synth OUT.safetensors [--tensors N] [--rows R] [--cols C]`: writes a
// synthetic bf16 checkpoint of N tensors "layers.<i>.weight", each an R x C matrix of the built-in LLM-like
// weights (builtin_weights.hpp, seed i): inputs for trying and benchmarking `quantize` on files of any size.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ao/io/safetensors.hpp"
#include "builtin_weights.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "progress.hpp"

namespace ao_quant {

int run_synth(const arguments& args) {
  const command_line cl(args, {{"tensors", "rows", "cols"}, {"quiet"}});
  if (cl.positional().size() != 1) throw ao::error("usage: ao-quant synth OUT.safetensors [--tensors N] [--rows R] [--cols C]");
  const auto n = static_cast<std::size_t>(cl.get_int("tensors", 4, 1, 100000));
  const auto rows = static_cast<std::size_t>(cl.get_int("rows", 1024, 1, 1 << 20));
  const auto cols = static_cast<std::size_t>(cl.get_int("cols", 4096, 1, 1 << 20));
  std::vector<std::vector<ao::bfloat16>> tensors;
  ao::io::safetensors_writer w;
  for (std::size_t i = 0; i < n; ++i) {
    tensors.push_back(builtin_weights(rows, cols, 20261122 + i));
    w.add("layers." + std::to_string(i) + ".weight", ao::io::dtype::bf16, {rows, cols}, tensors.back().data(),
          tensors.back().size() * sizeof(ao::bfloat16));
  }
  w.write(cl.positional()[0]);
  if (!cl.has("quiet")) {
    std::printf("wrote %s: %zu bf16 tensors of %zu x %zu (%s)\n", cl.positional()[0].c_str(), n, rows, cols,
                progress::human_bytes(double(n) * double(rows * cols) * 2.0).c_str());
  }
  return 0;
}

}  // namespace ao_quant
