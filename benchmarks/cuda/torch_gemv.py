"""torch's decode GEMVs on the GPU, the peers of benchmarks/cuda/gemv_bench.cu, on the same shape
(y = x @ W^T, N = K = 8192, bf16 x of M = 1, 4, 16 rows) and with the same accounting (weight bytes per second).

Peers: bf16 weights (F.linear, cuBLAS), tinygemm int4 with 128-value groups (torch._weight_int4pack_mm, what
torchao's Int4WeightOnly uses on CUDA) and FP8 row-wise torch._scaled_mm (x and W in e4m3, cuBLASLt; it quantizes
x too, so it is a peer for speed only). Times are medians of triton.testing.do_bench (L2 flushed between runs).
Usage: python3 torch_gemv.py [out.jsonl]
"""
import json
import sys

import torch
from triton.testing import do_bench

N = K = 8192
out = open(sys.argv[1], "w") if len(sys.argv) > 1 else None


def row(name, m, ms, weight_bytes):
    tbs = weight_bytes / (ms * 1e-3) / 1e12
    print(f"torch {name:34s} M={m:<3d} {ms * 1e3:8.1f} us {tbs:6.2f} TB/s of weight bytes")
    if out:
        out.write(json.dumps({"op": "gemv", "peer": name, "m": m, "n": N, "k": K, "us": ms * 1e3,
                              "weight_bytes": weight_bytes, "tb_per_s": tbs}) + "\n")


w = torch.randn(N, K, device="cuda", dtype=torch.bfloat16)
for m in (1, 4, 16):
    x = torch.randn(m, K, device="cuda", dtype=torch.bfloat16)
    row("bf16 F.linear", m, do_bench(lambda: torch.nn.functional.linear(x, w), return_mode="median"), N * K * 2)

# tinygemm int4, group 128: codes 0..15 as int32 [N, K] -> the tiled int4 layout; scales_and_zeros [K/128, N, 2].
try:
    codes = torch.randint(0, 16, (N, K), device="cuda", dtype=torch.int32)
    try:
        packed = torch._convert_weight_to_int4pack(codes, 8)
    except RuntimeError:  # newer torch takes the codes two a byte, high nibble first
        packed = torch._convert_weight_to_int4pack((codes[:, ::2] << 4 | codes[:, 1::2]).to(torch.uint8), 8)
    sz = torch.randn(K // 128, N, 2, device="cuda", dtype=torch.bfloat16)
    for m in (1, 4, 16):
        x = torch.randn(m, K, device="cuda", dtype=torch.bfloat16)
        ms = do_bench(lambda: torch._weight_int4pack_mm(x, packed, 128, sz), return_mode="median")
        row("tinygemm int4 g128", m, ms, N * K // 2 + sz.numel() * 2)
except Exception as e:  # report, do not fail the run
    print(f"torch tinygemm int4: unavailable ({type(e).__name__}: {e})")

try:
    w8 = w.to(torch.float8_e4m3fn)
    sw = torch.ones(1, N, device="cuda", dtype=torch.float32)
    for m in (1, 4, 16):
        x8 = torch.randn(m, K, device="cuda", dtype=torch.bfloat16).to(torch.float8_e4m3fn)
        sx = torch.ones(m, 1, device="cuda", dtype=torch.float32)
        ms = do_bench(lambda: torch._scaled_mm(x8, w8.t(), scale_a=sx, scale_b=sw, out_dtype=torch.bfloat16),
                      return_mode="median")
        row("fp8 rowwise torch._scaled_mm", m, ms, N * K + N * 4)
except Exception as e:
    print(f"torch fp8 _scaled_mm: unavailable ({type(e).__name__}: {e})")
