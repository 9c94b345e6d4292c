"""torch's casts on the GPU, the peers of benchmarks/cuda/quantize_bench.cu, on the same 16384 x 8192 bf16 shape
and with the same byte accounting (bf16 read once, codes and scales written once).

Peers: torchao's own casts when torchao is installed (to_mx for MXFP8 / MXFP4, nvfp4 quantize), compiled with
torch.compile; else the same math written in torch ops (MX floor scale from the amax's exponent, torchao's
to_mx algorithm, spec section 1.2, row-wise and column-wise ("dim1": blocks down the columns, the result
transposed); FP8 row-wise and tensor-wise as torchao's Float8Tensor computes them; affine int8 per row and int4
group-wise as choose_qparams_affine + quantize_affine compute them, fp32 scales and int32 zero points), eager
and under torch.compile. Times are medians of triton.testing.do_bench (L2 flushed between runs).
Usage: python3 torch_casts.py [out.jsonl]
"""
import json
import sys

import torch
from triton.testing import do_bench

M, K = 16384, 8192
x = torch.randn(M, K, device="cuda", dtype=torch.bfloat16) * 3.0
IN = M * K * 2


def fp8_rowwise(x):
    amax = x.abs().amax(dim=1, keepdim=True)  # in the input dtype, as torchao
    scale = (amax.float() / 448.0).to(x.dtype).float()
    return (x.float() / scale).clamp(-448.0, 448.0).to(torch.float8_e4m3fn), scale


def fp8_tensorwise(x):
    amax = x.abs().amax()
    scale = (amax.float() / 448.0).to(x.dtype).float()
    return (x.float() / scale).clamp(-448.0, 448.0).to(torch.float8_e4m3fn), scale


def mxfp8_floor(x):
    b = x.reshape(-1, 32)
    amax = b.abs().amax(dim=1, keepdim=True).float()
    e = ((amax.view(torch.int32) >> 23) & 0xFF) - 127 - 8  # floor(log2(amax)) - emax(e4m3)
    e = e.clamp(-127, 127)
    y = (b.float() * torch.exp2(-e.float())).clamp(-448.0, 448.0).to(torch.float8_e4m3fn)
    return y.reshape(x.shape), (e + 127).to(torch.uint8)


def mxfp8_floor_dim1(x):
    # The column-wise cast of MX training: blocks of 32 down each column, the result laid out as x.t() (K x M).
    return mxfp8_floor(x.t().contiguous())


def int8_symmetric_rowwise(x):
    # torchao's choose_qparams_affine (symmetric, int8, per row; in the input dtype) + quantize_affine.
    min_neg = x.amin(dim=1, keepdim=True).clamp(max=0)
    max_pos = x.amax(dim=1, keepdim=True).clamp(min=0)
    scale = (torch.maximum(-min_neg, max_pos) / 127.5).clamp(min=torch.finfo(x.dtype).smallest_normal)
    q = torch.clamp(torch.round(x * (1.0 / scale)), -128, 127).to(torch.int8)
    return q, scale.float(), torch.zeros_like(scale, dtype=torch.int32)


def int4_asymmetric_group32(x):
    # The same, asymmetric, int4 codes one a byte, groups of 32 (IntxUnpackedToInt8Tensor's layout).
    b = x.reshape(-1, 32)
    min_neg = b.amin(dim=1, keepdim=True).clamp(max=0)
    max_pos = b.amax(dim=1, keepdim=True).clamp(min=0)
    scale = ((max_pos - min_neg) / 15.0).clamp(min=torch.finfo(x.dtype).smallest_normal)
    zero = torch.clamp(-8 - torch.round(min_neg / scale), -8, 7).to(torch.int32)
    q = torch.clamp(torch.round(b * (1.0 / scale)) + zero, -8, 7).to(torch.int8)
    return q.reshape(x.shape), scale.float(), zero


def measure(name, fn, out_bytes, rows):
    try:
        ms = do_bench(lambda: fn(x), warmup=50, rep=300, return_mode="median")
    except Exception as e:  # a peer that does not run here is reported, not fatal
        print(f"{name:<44} failed: {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}")
        return
    tbs = (IN + out_bytes) / (ms * 1e-3) / 1e12
    print(f"{name:<44} {ms * 1e3:9.1f} us {tbs:7.2f} TB/s")
    rows.append({"peer": name, "us": ms * 1e3, "tb_per_s": tbs, "bytes": IN + out_bytes})


def main():
    rows = []
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}; {M} x {K} bf16")
    copy_ms = do_bench(lambda: x.clone(), warmup=50, rep=300, return_mode="median")
    print(f"{'copy (clone, read+write)':<44} {copy_ms * 1e3:9.1f} us {2 * IN / (copy_ms * 1e-3) / 1e12:7.2f} TB/s")
    rows.append({"peer": "clone", "us": copy_ms * 1e3, "tb_per_s": 2 * IN / (copy_ms * 1e-3) / 1e12})
    try:
        from torchao.prototype.mx_formats.mx_tensor import to_mx  # noqa: F401
        have_torchao = True
    except Exception as e:  # torchao absent or incompatible
        have_torchao = False
        print(f"torchao not available ({type(e).__name__}); torch-op versions of its casts instead")
    fp8_out = M * K + M * 4
    mx8_out = M * K + M * K // 32
    for mode in ("eager", "compile"):
        wrap = (lambda f: f) if mode == "eager" else (lambda f: torch.compile(f))
        measure(f"float8_e4m3 per row, torch {mode}", wrap(fp8_rowwise), fp8_out, rows)
        measure(f"float8_e4m3 per tensor, torch {mode}", wrap(fp8_tensorwise), M * K + 4, rows)
        measure(f"mxfp8_e4m3 floor, torch ops {mode}", wrap(mxfp8_floor), mx8_out, rows)
        measure(f"int8 symmetric per row, torch ops {mode}", wrap(int8_symmetric_rowwise), M * K + M * 8, rows)
        measure(f"int4 asymmetric group 32, torch ops {mode}", wrap(int4_asymmetric_group32),
                M * K + M * K // 32 * 8, rows)
        measure(f"mxfp8_e4m3 floor dim1, torch ops {mode}", wrap(mxfp8_floor_dim1), mx8_out, rows)
        if have_torchao:
            from torchao.prototype.mx_formats.mx_tensor import to_mx
            measure(f"mxfp8_e4m3 floor, torchao to_mx {mode}",
                    wrap(lambda t: to_mx(t, torch.float8_e4m3fn, 32)), mx8_out, rows)
            measure(f"mxfp4 floor, torchao to_mx {mode}",
                    wrap(lambda t: to_mx(t, torch.float4_e2m1fn_x2, 32)), M * K // 2 + M * K // 32, rows)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
