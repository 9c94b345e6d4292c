// The nvfp4 formats of the registry in ao_quantize_bench (see quantize_bench.hpp).
#include "quantize_bench.hpp"

namespace ao_bench {

void register_nvfp4_formats(std::set<roofline_key>& keys) {
#define AO_BENCH_REGISTER(id, type) register_format<type>(keys);
  AO_FORMAT_LIST_NVFP4(AO_BENCH_REGISTER)
#undef AO_BENCH_REGISTER
}

}  // namespace ao_bench
