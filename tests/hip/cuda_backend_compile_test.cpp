// Compiled by scripts/hip-check with hipcc for an AMD GPU (gfx90a by default): the CUDA backend's headers build as
// HIP through ao/backends/cuda/hip.cuh, for every kernel family and every source and output dtype, the fnuz FP8
// types (AMD MI300's) included, and ao::cuda::matmul for each weight family. Nothing runs (CI has no GPU); a
// failure here is a compile error.
#include "ao/backends/cuda/matmul.cuh"
#include "ao/backends/cuda/quantize.cuh"

namespace {

template <class F, class Src, class Dst>
void instantiate(ao::strided_view<const Src, 2> src, ao::quantized_view<F> q, ao::strided_view<Dst, 2> dst,
                 hipStream_t stream) {
  ao::cuda::quantize<F>(src, q, stream);
  ao::cuda::dequantize(ao::const_quantized_view<F>(q), dst, stream);
}

template <class W>
void instantiate_matmul(const W& w, hipStream_t stream) {
  ao::cuda::matmul(ao::strided_view<const ao::bfloat16, 2>{}, w, ao::strided_view<ao::bfloat16, 2>{}, stream);
}

}  // namespace

// Referenced so that every instantiation is emitted.
void ao_hip_compile_test(hipStream_t stream) {
  using bf16 = ao::bfloat16;
  using f16 = ao::float16;
  instantiate<ao::mxfp8_e4m3, bf16, bf16>({}, {}, {}, stream);
  instantiate<ao::mxfp4::with_scale_rule<ao::scale_rule::rceil>, float, float>({}, {}, {}, stream);
  instantiate<ao::mxfp6_e3m2, f16, f16>({}, {}, {}, stream);
  instantiate<ao::nvfp4_global_scale, bf16, float>({}, {}, {}, stream);
  instantiate<ao::float8_e4m3fnuz_per_row, bf16, bf16>({}, {}, {}, stream);
  instantiate<ao::float8_e5m2fnuz_per_row, float, f16>({}, {}, {}, stream);
  instantiate<ao::float8_e4m3_per_tensor, bf16, bf16>({}, {}, {}, stream);
  instantiate<ao::float8_e4m3_per_block_1x128, bf16, float>({}, {}, {}, stream);
  instantiate<ao::float8_e4m3_per_block_128x128, float, bf16>({}, {}, {}, stream);
  instantiate<ao::int8_symmetric_per_tensor, bf16, bf16>({}, {}, {}, stream);
  instantiate<ao::tinygemm_int4_group128, bf16, float>({}, {}, {}, stream);
  instantiate<ao::int4_asymmetric_group32, f16, f16>({}, {}, {}, stream);
  // ao::cuda::matmul: one weight family each (block-scaled, NVFP4, FP8 fnuz, affine, nibble-packed affine).
  instantiate_matmul(ao::const_quantized_view<ao::mxfp4>{}, stream);
  instantiate_matmul(ao::const_quantized_view<ao::nvfp4_global_scale>{}, stream);
  instantiate_matmul(ao::const_quantized_view<ao::float8_e4m3fnuz_per_row>{}, stream);
  instantiate_matmul(ao::const_quantized_view<ao::int8_symmetric_per_row>{}, stream);
  instantiate_matmul(ao::cuda::nibble_packed<ao::tinygemm_int4_group128>{}, stream);
}
