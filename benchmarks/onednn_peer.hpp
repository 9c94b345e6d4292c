// benchmarks/onednn_peer.hpp: oneDNN's matmul (Debian's libdnnl-dev 2.6) as the peer of ao::matmul in
// matmul_bench.cc: u8 x s8 -> s32 (what torch's int8 CPU path and issue 5's int8 x int8 target compare with) and
// f32 x f32 -> f32, on the same shapes, W (N x K, row-major like ao's) reordered once into oneDNN's preferred
// layout before timing, as an engine would prepack it. Benchmark-only; built when CMake finds dnnl
// (AO_BENCH_WITH_DNNL). oneDNN threads with OpenMP: run with OMP_NUM_THREADS=1 for the one-core rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <dnnl.hpp>
#include <vector>

namespace ao_bench {

class onednn_matmul {
 public:
  // x: M x K (u8 or f32), w: N x K row-major (s8 or f32), y: M x N (s32 or f32).
  onednn_matmul(std::size_t m, std::size_t n, std::size_t k, bool int8, const void* w)
      : eng_(dnnl::engine::kind::cpu, 0), stream_(eng_) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(n),
               K = static_cast<dnnl::memory::dim>(k);
    const dnnl::memory::desc x_md({M, K}, int8 ? dt::u8 : dt::f32, tag::ab);
    const dnnl::memory::desc w_any({K, N}, int8 ? dt::s8 : dt::f32, tag::any);
    const dnnl::memory::desc y_md({M, N}, int8 ? dt::s32 : dt::f32, tag::ab);
    pd_ = dnnl::matmul::primitive_desc(dnnl::matmul::desc(x_md, w_any, y_md), eng_);
    prim_ = dnnl::matmul(pd_);
    // W as K x N in "ba" order is exactly ao's N x K row-major buffer.
    dnnl::memory w_plain({{K, N}, int8 ? dt::s8 : dt::f32, tag::ba}, eng_, const_cast<void*>(w));
    w_ = dnnl::memory(pd_.weights_desc(), eng_);
    dnnl::reorder(w_plain, w_).execute(stream_, w_plain, w_);
    stream_.wait();
    x_md_ = x_md;
    y_md_ = y_md;
  }
  void run(const void* x, void* y) {
    dnnl::memory xm(x_md_, eng_, const_cast<void*>(x)), ym(y_md_, eng_, y);
    prim_.execute(stream_, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, w_}, {DNNL_ARG_DST, ym}});
    stream_.wait();
  }
  const char* implementation() const { return pd_.impl_info_str(); }

 private:
  dnnl::engine eng_;
  dnnl::stream stream_;
  dnnl::matmul::primitive_desc pd_;
  dnnl::matmul prim_;
  dnnl::memory w_;
  dnnl::memory::desc x_md_, y_md_;
};

}  // namespace ao_bench
