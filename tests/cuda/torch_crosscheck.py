#!/usr/bin/env python3
"""Compares ao's element encoders with PyTorch's casts (on the GPU) and ml_dtypes' casts (CPU) over float32 bit
patterns, and prints where they differ, by category. Run by scripts/gpu-check on the GPU machine, where torch and
ml_dtypes are installed. Usage: torch_crosscheck.py LIBAO_ENCODE.so [--stride N] [--mldtypes-stride N]

This is a measurement, not a pass/fail test of ao: torch's and ml_dtypes' plain casts do not saturate (ao's
overflow::to_inf_or_nan, mode 1), and their NaN and e8m0 rules are their own. docs/numerics.md records the result.
"""
import argparse
import ctypes
import sys

import numpy as np

TYPES = {  # name: (ao type id, torch dtype name, ml_dtypes name)
    "float8_e4m3fn": (0, "float8_e4m3fn", "float8_e4m3fn"),
    "float8_e4m3fnuz": (1, "float8_e4m3fnuz", "float8_e4m3fnuz"),
    "float8_e5m2": (2, "float8_e5m2", "float8_e5m2"),
    "float8_e5m2fnuz": (3, "float8_e5m2fnuz", "float8_e5m2fnuz"),
    "float8_e8m0fnu": (4, "float8_e8m0fnu", "float8_e8m0fnu"),
    "float6_e2m3fn": (5, None, "float6_e2m3fn"),
    "float6_e3m2fn": (6, None, "float6_e3m2fn"),
    "float4_e2m1fn": (7, None, "float4_e2m1fn"),
    "bfloat16": (8, "bfloat16", "bfloat16"),
    "float16": (9, "float16", None),
}


CATEGORIES = ("nan_input", "negative", "zero", "f32_subnormal", "tie", "other")


def classify(bits, ours, theirs):
    """Counts the mismatches by input category (first match wins): NaN input, negative, +-0, fp32 subnormal,
    a tie of a zero-mantissa target (significand exactly 1.5), anything else; with a few examples of each."""
    diff = ours != theirs
    mag = bits & 0x7FFFFFFF
    cats = {
        "nan_input": mag > 0x7F800000,
        "negative": (bits >> 31) == 1,
        "zero": mag == 0,
        "f32_subnormal": mag < 0x00800000,
        "tie": (mag & 0x7FFFFF) == 0x400000,
    }
    left = diff.copy()
    counts, examples = {}, {}
    for name in CATEGORIES:
        sel = left & cats[name] if name != "other" else left
        counts[name] = int(sel.sum())
        examples[name] = [(int(b), int(o), int(t)) for b, o, t in zip(bits[sel][:2], ours[sel][:2], theirs[sel][:2])]
        left = left & ~sel
    return int(diff.sum()), counts, examples


def describe(examples):
    return "; ".join(f"x=0x{b:08x} ({np.uint32(b).view(np.float32)!r}): ao 0x{o:x}, peer 0x{t:x}" for b, o, t in examples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--mldtypes-stride", type=int, default=7)
    args = ap.parse_args()
    lib = ctypes.CDLL(args.lib)
    lib.ao_encode.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]

    def ao(type_id, mode, bits):
        out = np.empty(bits.shape, dtype=np.uint16)
        assert lib.ao_encode(type_id, mode, bits.ctypes.data, out.ctypes.data, bits.size) == 0
        return out

    import torch
    try:
        import ml_dtypes
    except ImportError:
        ml_dtypes = None
    chunk = 1 << 27
    print(f"torch {torch.__version__}, ml_dtypes {getattr(ml_dtypes, '__version__', 'absent')}, "
          f"stride {args.stride} (torch), {args.mldtypes_stride} (ml_dtypes)")
    for name, (tid, tname, mname) in TYPES.items():
        for peer, stride in (("torch", args.stride), ("ml_dtypes", args.mldtypes_stride)):
            dtype_name = tname if peer == "torch" else mname
            if dtype_name is None or (peer == "ml_dtypes" and ml_dtypes is None):
                continue
            total_n, total_diff = 0, 0
            counts = {c: 0 for c in CATEGORIES}
            examples = {c: [] for c in CATEGORIES}
            for start in range(0, 1 << 32, chunk * stride):
                bits = np.arange(start, min(1 << 32, start + chunk * stride), stride, dtype=np.uint64).astype(np.uint32)
                ours = ao(tid, 1, bits)  # nearest even, IEEE-style overflow: the plain cast of both peers
                if peer == "torch":
                    x = torch.from_numpy(bits.view(np.int32)).cuda().view(torch.float32)
                    y = x.to(getattr(torch, dtype_name))
                    ints = y.view(torch.uint8 if y.element_size() == 1 else torch.int16).cpu().numpy()
                    theirs = ints.view(np.uint8 if y.element_size() == 1 else np.uint16).astype(np.uint16)
                else:
                    with np.errstate(invalid="ignore"):
                        y = bits.view(np.float32).astype(getattr(ml_dtypes, dtype_name))
                    theirs = y.view(np.uint8 if y.itemsize == 1 else np.uint16).astype(np.uint16)
                n, c, ex = classify(bits, ours, theirs)
                total_n += bits.size
                total_diff += n
                for k in CATEGORIES:
                    counts[k] += c[k]
                    if len(examples[k]) < 2:
                        examples[k] += ex[k][: 2 - len(examples[k])]
            breakdown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
            print(f"{name:16s} vs {peer:9s}: {total_n} patterns, {total_diff} differ" + (f" ({breakdown})" if breakdown else ""))
            for k in CATEGORIES:
                if examples[k] and k != "nan_input":
                    print(f"    {k}: {describe(examples[k])}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
