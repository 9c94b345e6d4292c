// tools/ao-quant/main.cc: ao-quant, quantizes safetensors checkpoints into torchao's formats and shows what each
// format costs. docs/ao-quant.md shows every command. Errors: one line on stderr and exit status 1 (2 for a
// usage error); never a stack trace.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ao/error.hpp"
#include "commands.hpp"

namespace {

const char* const usage = R"(usage: ao-quant COMMAND [ARGS]

  quantize IN.safetensors OUT.safetensors --format F [options]
      quantize the floating weights of IN into torchao's checkpoint layout (see `ao-quant formats` for F)
      --scale-mode floor|rceil|ceil|even   MX scale rule (default floor)
      --global-scale                       nvfp4: with a per-tensor fp32 scale
      --granularity row|tensor             float8_*, int8 (default row)
      --mapping symmetric|asymmetric       int8, intx (default symmetric)
      --bits 1..8  --group N               intx (default 4 bits, groups of 32)
      --include REGEX  --exclude REGEX     which tensors (default: names ending in "weight", rank >= 2)
  dequantize IN OUT [--dtype auto|float32|bfloat16|float16]
      a torchao checkpoint back to plain tensors (auto: the dtype its metadata records)
  inspect FILE        every tensor: class, storage, shape, bytes, bits per weight
  formats             every format and its bits per weight
  explore [FILE] [--formats a,b,...|all] [--plot out.svg] [--json] [--reps N] [--rows R --cols C]
      accuracy, size and speed of each format on FILE's weights, or on a built-in LLM-like matrix
  synth OUT [--tensors N] [--rows R] [--cols C]
      write a bf16 checkpoint of N built-in LLM-like matrices (for trying and timing quantize)

  common: --threads N (default: all cores), --quiet (no progress bar, no summary)
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(usage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "quantize") return ao_quant::run_quantize(args);
    if (command == "dequantize") return ao_quant::run_dequantize(args);
    if (command == "inspect") return ao_quant::run_inspect(args);
    if (command == "formats") return ao_quant::run_formats(args);
    if (command == "explore") return ao_quant::run_explore(args);
    if (command == "synth") return ao_quant::run_synth(args);
    std::fprintf(stderr, "ao-quant: unknown command '%s' (ao-quant --help lists them)\n", command.c_str());
    return 2;
  } catch (const ao::error& e) {
    std::fprintf(stderr, "ao-quant %s: %s\n", command.c_str(), e.what());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "ao-quant %s: out of memory\n", command.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ao-quant %s: %s\n", command.c_str(), e.what());
  }
  return 1;
}
