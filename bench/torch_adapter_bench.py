#!/usr/bin/python3
"""xent.torch.cross_entropy against torch.nn.functional.cross_entropy: one training step's loss,
forward and backward through autograd (loss.backward()), class indices, reduction 'mean'.

Shapes are bench/'s (bench/README.md): tiny 1 x 10, L2 128 x 1024, vocab 64 x 32000 and
DRAM 65536 x 1024 (--dram; slow). float32, and bfloat16 where both run. Threads 1 and 2: each
run sets torch.set_num_threads(n) and xent.set_num_threads(n). Each timing is the minimum over
--repeat runs (time.perf_counter) of one forward + backward, after --warmup runs. Prints the CPU
model, torch's and xent's versions and a markdown table (speedup = torch ms / xent.torch ms).
Which xent.torch path runs (custom ops on torch >= 2.4, autograd.Function before) is printed.
  XENT_LIBRARY=build/libxent.so PYTHONPATH=bindings/python bench/torch_adapter_bench.py [--dram]
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

import xent
import xent.torch as xt

SHAPES = [("tiny", 1, 10), ("L2", 128, 1024), ("vocab", 64, 32000)]
DRAM = ("DRAM", 65536, 1024)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def step_ms(fn, x, t, warmup, repeat):
    """Min over repeat of forward + backward, in ms (x.grad reset outside the timed region)."""
    best = float("inf")
    for i in range(warmup + repeat):
        x.grad = None
        t0 = time.perf_counter()
        fn(x, t).backward()
        dt = time.perf_counter() - t0
        if i >= warmup:
            best = min(best, dt)
    return best * 1e3


def runs(fn, x, t):
    try:
        x.grad = None
        fn(x, t).backward()
        return True
    except (RuntimeError, TypeError, ValueError):
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dram", action="store_true", help="also the DRAM shape (65536 x 1024)")
    ap.add_argument("--repeat", type=int, default=0, help="timed runs per case (default: by shape)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    print(f"CPU: {cpu_model()}")
    print(f"torch {torch.__version__}, xent {xent.version()} ({xent.simd_isa()}), xent.torch path: "
          f"{'torch.library custom ops' if xt._ops is not None else 'autograd.Function'}")
    print()
    print("| shape | dtype | threads | torch ms | xent.torch ms | speedup |")
    print("|---|---|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for name, b, c in SHAPES + ([DRAM] if args.dram else []):
        x32 = torch.from_numpy(rng.uniform(-4, 4, (b, c)).astype(np.float32))
        t = torch.from_numpy(rng.integers(0, c, b))
        repeat = args.repeat or (200 if b * c <= 1 << 17 else 50 if b * c <= 1 << 22 else 5)
        for dtype in (torch.float32, torch.bfloat16):
            x = x32.to(dtype).requires_grad_(True)
            if not (runs(F.cross_entropy, x, t) and runs(xt.cross_entropy, x, t)):
                print(f"| {name} {b}x{c} | {str(dtype)[6:]} | - | skipped: not run by both | | |")
                continue
            for n in args.threads:
                torch.set_num_threads(n)
                xent.set_num_threads(n)
                ms_torch = step_ms(F.cross_entropy, x, t, args.warmup, repeat)
                ms_xent = step_ms(xt.cross_entropy, x, t, args.warmup, repeat)
                print(f"| {name} {b}x{c} | {str(dtype)[6:]} | {n} | {ms_torch:.4f} | {ms_xent:.4f} | "
                      f"{ms_torch / ms_xent:.2f}x |", flush=True)
    xent.set_num_threads(0)


if __name__ == "__main__":
    main()
