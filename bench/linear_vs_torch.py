#!/usr/bin/python3
"""The fused linear loss's table (docs/LINEAR.md): time and peak extra memory of each case.

Runs every case of xent_linear_bench in its own process (one timed call; its peak RSS from
wait4) and PyTorch's F.linear + F.cross_entropy + backward() in another (Debian's
python3-torch, torch.set_num_threads(2)), f32, MEAN, no bias, N = 4096, H = 2048.
Extra memory: peak RSS minus the RSS of the same process holding only the inputs and the
gradient outputs (xent: the inputs_only case; PyTorch: RSS before the step plus the two
gradients' bytes).
  bench/linear_vs_torch.py --bench build-bench/bench/xent_linear_bench [--vocab 32000 128256]
"""
import argparse
import json
import os
import subprocess
import sys

CASES = ["fused_all", "unfused_all", "fused_loss", "gemm", "inputs_only"]
N, H = 4096, 2048


def run_child(cmd, env=None):
    """stdout of cmd and its peak RSS in bytes."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"{cmd[0]} failed (status {status})")
    return out.decode(), usage.ru_maxrss * 1024


def xent_case(bench, case, v):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    out, rss = run_child([bench, f"--benchmark_filter=^linear/{case}/{N}/{H}/{v}/",
                          "--benchmark_format=json"], env)
    runs = json.loads(out)["benchmarks"]
    return runs[0]["real_time"], rss  # ms


def torch_child(v):
    import resource
    import time
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(1)
    hidden = (torch.rand(N, H, generator=g) * 2 - 1).requires_grad_()
    weight = ((torch.rand(v, H, generator=g) * 2 - 1) * (8.0 / H)).requires_grad_()
    labels = torch.randint(0, v, (N,), generator=g)
    # Warm up at a small shape (the allocator and the threads), not at this one: its memory counts.
    w = torch.zeros(64, H, requires_grad=True)
    F.cross_entropy(F.linear(hidden[:8].detach(), w), labels[:8] % 64).backward()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    loss = F.cross_entropy(F.linear(hidden, weight), labels)
    loss.backward()
    ms = (time.perf_counter() - t0) * 1e3
    grads = (hidden.numel() + weight.numel()) * 4
    print(json.dumps({"ms": ms, "before": before, "grads": grads, "torch": torch.__version__}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build-bench/bench/xent_linear_bench")
    ap.add_argument("--vocab", type=int, nargs="+", default=[32000, 128256])
    ap.add_argument("--torch-child", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_child:
        return torch_child(a.torch_child)
    mib = 1 << 20
    for v in a.vocab:
        res = {c: xent_case(a.bench, c, v) for c in CASES}
        base = res["inputs_only"][1]
        out, peak = run_child([sys.executable, __file__, "--torch-child", str(v)])
        t = json.loads(out)
        logits_mib = N * v * 4 / mib
        print(f"\nN={N} H={H} V={v} f32, 2 threads; logits tensor {logits_mib:.0f} MiB")
        print("| case | time (ms) | extra peak RSS (MiB) |")
        print("|---|---|---|")
        for c in CASES[:-1]:
            print(f"| xent {c} | {res[c][0]:.0f} | {(res[c][1] - base) / mib:.0f} |")
        print(f"| PyTorch {t['torch']} linear + cross_entropy + backward | {t['ms']:.0f} | "
              f"{(peak - t['before'] - t['grads']) / mib:.0f} |")
        fa, ua, fl, gm = (res[c][0] for c in CASES[:4])
        print(f"fused_all / unfused_all = {fa / ua:.3f}; fused_loss / gemm = {fl / gm:.3f}; "
              f"PyTorch / fused_all = {t['ms'] / fa:.2f}")


if __name__ == "__main__":
    main()
