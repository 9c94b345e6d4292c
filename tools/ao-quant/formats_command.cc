// tools/ao-quant/formats_command.cc: `ao-quant formats`: every format of ao's registry with its element bits and
// its bits per weight on a 4096 x 4096 matrix (packed, and as torchao stores it), then the quantize flags.
#include <cstdio>
#include <string>

#include "ao/formats/registry.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "format_bits.hpp"
#include "text_table.hpp"

namespace ao_quant {

int run_formats(const arguments& args) {
  const command_line cl(args, {{}, {}});
  if (!cl.positional().empty()) throw ao::error("usage: ao-quant formats");
  text_table t({"format", "element bits", "bits/weight", "stored bits/weight"}, {false, true, true, true});
  ao::for_each_format([&](auto tag) {
    using F = typename decltype(tag)::type;
    const format_bits b = bits_of<F>(4096, 4096);
    t.add({ao::name<F>(), fixed(b.element, 0), fixed(b.packed, 3), fixed(b.stored, 3)});
  });
  std::printf("ao's formats (bits per weight of a 4096 x 4096 matrix; packed: element + scales + zero points)\n");
  t.print();
  std::printf(
      "\nao-quant quantize --format F writes torchao's classes:\n"
      "  mxfp8_e4m3 mxfp8_e5m2 mxfp6_e2m3 mxfp6_e3m2 mxfp4  [--scale-mode floor|rceil|ceil|even]   MXTensor\n"
      "  nvfp4 [--global-scale]                                                            NVFP4Tensor\n"
      "  float8_e4m3 float8_e5m2  [--granularity row|tensor]                               Float8Tensor\n"
      "  int8  [--granularity row|tensor] [--mapping symmetric|asymmetric]                 Int8Tensor\n"
      "  intx  [--bits 1..8] [--group N] [--mapping symmetric|asymmetric]                  IntxUnpackedToInt8Tensor\n");
  return 0;
}

}  // namespace ao_quant
