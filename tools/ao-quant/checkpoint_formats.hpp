// tools/ao-quant/checkpoint_formats.hpp: the compile-time format that holds a quantized tensor of a torchao
// checkpoint, chosen at run time from how the file stores it.
//   - a registry format that stores it exactly (torchao_tensor::format): MX, NVFP4, FP8, Int8Tensor, ...;
//   - otherwise an affine tensor whose scales cover runs of one row (IntxUnpackedToInt8Tensor of any width and
//     group, bf16 / fp16 scales): affine_holder (int8 or uint8 codes, the file's scale dtype) with one row per
//     run, shape (R*C/G, G), the values in the same order (ao::io::reshapes_to).
#pragma once

#include <cstdint>
#include <vector>

#include "ao/error.hpp"
#include "ao/io/torchao_checkpoint.hpp"
#include "tool_formats.hpp"

namespace ao_quant {

// Calls fn(q) with the tensor as an ao::quantized_tensor<F> (shape (R*C/G, G) for a held affine tensor: its
// values in row-major order are the tensor's).
template <class Fn>
void with_loaded(const ao::io::torchao_checkpoint& ckpt, const ao::io::torchao_tensor& t, Fn&& fn) {
  if (t.format) return ckpt.visit(t.name, fn);
  const ao::io::torchao_storage& s = t.storage;
  if (s.family == ao::io::torchao_storage_family::affine && s.block_rows == 1 && s.block_cols != 0) {
    std::uint64_t n = 1;
    for (std::uint64_t d : t.shape) n *= d;
    const std::vector<std::uint64_t> held{n / s.block_cols, s.block_cols};
    auto run = [&](auto holder_tag) {
      using F = typename decltype(holder_tag)::type;
      fn(ao::io::to_quantized<F>(t, held));
    };
    const bool is_signed = s.qmin < 0;
    switch (s.scale_dtype) {
      case ao::io::dtype::f32:
        return is_signed ? run(ao::format_tag<affine_holder<true, float>>{})
                         : run(ao::format_tag<affine_holder<false, float>>{});
      case ao::io::dtype::bf16:
        return is_signed ? run(ao::format_tag<affine_holder<true, ao::bfloat16>>{})
                         : run(ao::format_tag<affine_holder<false, ao::bfloat16>>{});
      case ao::io::dtype::f16:
        return is_signed ? run(ao::format_tag<affine_holder<true, ao::float16>>{})
                         : run(ao::format_tag<affine_holder<false, ao::float16>>{});
      default:
        break;
    }
  }
  throw ao::error("tensor '" + t.name + "': ao has no format that holds " + ao::io::describe(t.storage));
}

}  // namespace ao_quant
