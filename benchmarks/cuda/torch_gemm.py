"""torch's GEMMs on the GPU, the peers of benchmarks/cuda/gemm_bench.cu, on the same shapes (y = x @ W^T,
N = K = 8192, M = 8192 and 2048, bf16 y) and with the same accounting (2 M N K per call, TFLOP/s).

Peers: torch._scaled_mm (cuBLASLt) with e4m3 x and W, tensorwise and rowwise scales (use_fast_accum=False, the
default: cuBLASLt then adds the FP8 partial sums in fp32, as ao's promoted mode does; and use_fast_accum=True,
torchao's default for these granularities, ao's fast mode), blockwise 1 x 128 / 128 x 128
scales where this torch takes them on this GPU, a bf16 matmul, and MXFP8 the way torchao runs it on Hopper
(both operands dequantized to bf16, then a bf16 matmul; eager and torch.compile'd). Times are medians of triton.testing.do_bench
(L2 flushed between runs). Usage: python3 torch_gemm.py [out.jsonl]
"""
import json
import sys

import torch
from triton.testing import do_bench

N = K = 8192
out = open(sys.argv[1], "w") if len(sys.argv) > 1 else None


def row(name, m, ms):
    tflops = 2 * m * N * K / (ms * 1e-3) / 1e12
    print(f"torch {name:32s} M={m:<5d} N={N:<5d} K={K:<5d} {ms * 1e3:9.1f} us {tflops:7.1f} TFLOP/s")
    if out:
        out.write(json.dumps({"op": "gemm", "peer": name, "m": m, "n": N, "k": K, "us": ms * 1e3,
                              "tflops": tflops}) + "\n")


for m in (8192, 2048):
    a = torch.randn(m, K, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(N, K, device="cuda", dtype=torch.bfloat16)
    row("bf16 matmul", m, do_bench(lambda: a @ b.t(), return_mode="median"))
    a8, b8 = a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn)
    one = torch.ones((), device="cuda", dtype=torch.float32)
    sa = torch.ones(m, 1, device="cuda", dtype=torch.float32)
    sb = torch.ones(1, N, device="cuda", dtype=torch.float32)
    for fast in (False, True):
        tag = "fast" if fast else "     "
        row(f"fp8 tensorwise _scaled_mm {tag}", m, do_bench(
            lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                     use_fast_accum=fast), return_mode="median"))
        row(f"fp8 rowwise _scaled_mm {tag}", m, do_bench(
            lambda: torch._scaled_mm(a8, b8.t(), scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16,
                                     use_fast_accum=fast), return_mode="median"))
    try:  # 1 x 128 activation scales (outer-dim-major, as cuBLASLt wants) and 128 x 128 weight scales
        sa_blk = torch.ones(K // 128, m, device="cuda", dtype=torch.float32).t()
        sb_blk = torch.ones(N // 128, K // 128, device="cuda", dtype=torch.float32).t()
        row("fp8 1x128 x 128x128 _scaled_mm", m, do_bench(
            lambda: torch._scaled_mm(a8, b8.t(), scale_a=sa_blk, scale_b=sb_blk, out_dtype=torch.bfloat16),
            return_mode="median"))
    except Exception as e:  # report, do not fail the run
        print(f"torch fp8 blockwise _scaled_mm: unavailable ({type(e).__name__}: {str(e)[:200]})")
    # MXFP8 as torchao runs it on Hopper (no block-scaled MMA): both operands dequantized to bf16 (codes times
    # 2^(e8m0 - 127) per 32 values), then a bf16 matmul; eager and torch.compile'd.
    sa_mx = torch.full((m, K // 32), 127, device="cuda", dtype=torch.uint8)
    sb_mx = torch.full((N, K // 32), 127, device="cuda", dtype=torch.uint8)

    def mx_dequant_mm(a8, sa, b8, sb):
        def deq(q, s):
            f = torch.exp2(s.to(torch.float32) - 127).repeat_interleave(32, dim=1)
            return (q.to(torch.float32) * f).to(torch.bfloat16)
        return deq(a8, sa) @ deq(b8, sb).t()

    row("mxfp8 dequantize + bf16 mm", m, do_bench(lambda: mx_dequant_mm(a8, sa_mx, b8, sb_mx), return_mode="median"))
    compiled = torch.compile(mx_dequant_mm)
    row("mxfp8 dequantize + bf16 mm, compiled", m,
        do_bench(lambda: compiled(a8, sa_mx, b8, sb_mx), return_mode="median"))

# Accuracy of cuBLASLt's FP8 accumulation, in the unit tests/cuda/float8_gemm_device_test.cu prints for ao's kernel:
# the worst |y - exact| / sum_k |X W| over random finite e4m3 codes (every exponent), fp32 y, unit scales.
torch.manual_seed(0)
m, n, k = 512, 512, 1024
codes = torch.randint(0, 256, (m + n, k), device="cuda", dtype=torch.uint8)
codes[(codes & 0x7F) == 0x7F] = 0  # no NaN code
vals = codes.view(torch.float8_e4m3fn)
a8, b8 = vals[:m], vals[m:]
exact = a8.double() @ b8.double().t()
mag = a8.double().abs() @ b8.double().abs().t()
one = torch.ones((), device="cuda", dtype=torch.float32)
for fast in (False, True):
    y = torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.float32, use_fast_accum=fast)
    ratio = ((y.double() - exact).abs() / mag.clamp_min(1e-300)).max().item()
    print(f"torch fp8 _scaled_mm use_fast_accum={fast}: worst |y - exact| / sum|XW| over {m}x{n}x{k} random codes "
          f"{ratio:.3g} (2^{torch.log2(torch.tensor(ratio)).item():.2f})")
