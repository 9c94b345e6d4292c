// tools/ao-quant/commands.hpp: one function per ao-quant command, each taking the arguments after the command's
// name. They print their result on stdout and throw ao::error on bad input (main() turns that into one line).
#pragma once

#include <string>
#include <vector>

namespace ao_quant {

using arguments = std::vector<std::string>;

int run_quantize(const arguments& args);
int run_dequantize(const arguments& args);
int run_inspect(const arguments& args);
int run_formats(const arguments& args);
int run_explore(const arguments& args);
int run_synth(const arguments& args);

}  // namespace ao_quant
