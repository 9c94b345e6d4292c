// ao/io/safetensors.hpp: safetensors files, read (validated, memory-mapped) and written (atomically).
// ao::io::safetensors_file (safetensors_reader.hpp; needs nlohmann-json), ao::io::safetensors_writer
// (safetensors_writer.hpp), ao::io::dtype (safetensors_dtype.hpp). docs/io.md describes the API and the rules.
#pragma once

#include "ao/io/mapped_file.hpp"
#include "ao/io/safetensors_dtype.hpp"
#include "ao/io/safetensors_reader.hpp"
#include "ao/io/safetensors_writer.hpp"
