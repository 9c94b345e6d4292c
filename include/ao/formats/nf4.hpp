// ao/formats/nf4.hpp: ao::nf4<BlockSize, ScalerBlockSize>, QLoRA's 4-bit NormalFloat with double-quantized scalers
// (numerics spec §7; torchao's NF4Tensor.from_tensor, torchao/quantization/quantize_/workflows/nf4/nf4_tensor.py,
// `to_nf4(t, block_size=64, scaler_block_size=256)`). Over the flattened tensor:
//   - each block of BlockSize consecutive values has a scaler, its absmax; a value's 4-bit code is the index of the
//     LUT entry nearest to x / absmax (ties to the lower index);
//   - the scalers are double quantized: their mean over the WHOLE tensor is subtracted, then each block of
//     ScalerBlockSize centred scalers gets a factor f = 256 / (2 * max |c|) and int8 codes round(c * f);
//   - codes are stored two a byte, the FIRST element in the HIGH nibble (layout::nibble_order::high_first).
//   value ~ LUT[code] * (qs / f + mean)
// torchao holds the LUT, the factors and the mean in the INPUT's dtype (a bf16 tensor gives a bf16 LUT: the decimal
// constants below rounded to bf16) and computes every step in it; ao/backends/scalar/nf4.hpp lists the operations.
#pragma once

#include <type_traits>

#include "ao/layout/bit_packing.hpp"

namespace ao {

template <int BlockSize = 64, int ScalerBlockSize = 256>
struct nf4 {
  static_assert(BlockSize > 0 && BlockSize % 2 == 0, "an NF4 block holds whole bytes: an even number of values");
  static_assert(ScalerBlockSize > 0, "the scaler block size is positive");
  static constexpr const char* name = "nf4";
  static constexpr int block_size = BlockSize;               // values per absmax scaler
  static constexpr int scaler_block_size = ScalerBlockSize;  // scalers per quantization factor
  static constexpr int element_bits = 4;
  static constexpr int elements_per_byte = 2;
  using nibble_order = layout::nibble_order::high_first;  // byte i = code[2i] << 4 | code[2i+1]

  // torchao's LUT exactly as its source writes it (Python floats, i.e. doubles). A tensor of dtype T holds
  // T(float(lut[i])): torch.tensor rounds the double to float, then to T.
  static constexpr double lut[16] = {-1.0000, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0.0000,
                                     0.0796,  0.1609,  0.2461,  0.3379,  0.4407,  0.5626,  0.7230,  1.0000};

  template <int B, int S = ScalerBlockSize>
  using with_block_sizes = nf4<B, S>;
};

template <class T>
struct is_nf4 : std::false_type {};
template <int B, int S>
struct is_nf4<nf4<B, S>> : std::true_type {};
template <class T>
inline constexpr bool is_nf4_v = is_nf4<T>::value;

}  // namespace ao
