#!/usr/bin/python3
"""Run xent_bench (or read its JSON) and write bench/RESULTS.md and bench/results.png.

  report.py --bench build-bench/bench/xent_bench [--json-out run.json] [-- BENCH_ARGS...]
  report.py --json run.json

Benchmark names are impl/case/dtype/shape/threads:N (bench/bench.h). Key cases run 3
repetitions; their median is used. Needs matplotlib (Agg) for the plot only.
"""
import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = [("L2", "(128, 1024)"), ("L3", "(8192, 1024)"), ("DRAM", "(65536, 1024)"),
          ("vocab", "(64, 32000)"), ("tiny", "(1, 10)")]
HEADLINE = "sparse_softmax_ce_with_logits.none"
ONEDNN = ("onednn", "softmax", "f32")
READ_BW = ("baseline", "read_bw")
CONTENDED = 1.15  # real / main-thread CPU time above which a result is marked †


def run_bench(binary, json_out, extra):
    cmd = [binary, f"--benchmark_out={json_out}", "--benchmark_out_format=json"] + extra
    print("running:", shlex.join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    return cmd


def parse(doc):
    """{(impl, case, dtype, shape, threads): {"ns": ns per element, "call": ns per call}}."""
    results = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        m = re.match(r"([^/]+)/([^/]+)/([^/]+)/([^/]+)/threads:(\d+)", b["run_name"])
        if not m:
            continue
        impl, case, dtype, shape, threads = m.groups()
        entry = {"error": b.get("error_message")} if b.get("error_occurred") else {
            "ns": b["ns_per_elem"], "call": b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]],
            # Wall time well over the main thread's CPU time: it waited for a core or a descheduled worker.
            "contended": b["real_time"] > CONTENDED * b["cpu_time"]}
        results[(impl, case, dtype, shape, int(threads))] = entry
    return results


def value(results, impl, case, dtype, shape, threads=1, field="ns"):
    return results.get((impl, case, dtype, shape, threads), {}).get(field)


def fmt(x, digits=3):
    if x is None:
        return "—"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"


def row_order(key):
    impl, case, dtype = key
    rank = {"xent": 0, "naive": 1, "baseline": 2}.get(impl, 3)
    return (rank, impl, not case.startswith(HEADLINE), case.split(".")[0], dtype, case)


def cases(results, threads):
    return sorted({k[:3] for k in results if k[4] == threads}, key=row_order)


def time_table(results, threads):
    head = "| implementation / case | dtype | " + " | ".join(
        f"{s} {dims}" + (" ns/call" if s == "tiny" else "") for s, dims in SHAPES) + " |"
    lines = [head, "|" + "---|" * (len(SHAPES) + 2)]
    for impl, case, dtype in cases(results, threads):
        cells = []
        for s, _ in SHAPES:
            entry = results.get((impl, case, dtype, s, threads), {})
            if "error" in entry:
                cells.append("error")
                continue
            x = entry.get("call" if s == "tiny" else "ns")
            t1 = value(results, impl, case, dtype, s, 1, "call")
            speedup = t1 / entry["call"] if threads > 1 and t1 and entry.get("call") else None
            cells.append(fmt(x) + ("†" if entry.get("contended") else "") + (f" ({speedup:.2f}×)" if speedup else ""))
        lines.append(f"| {impl} {case} | {dtype} | " + " | ".join(cells) + " |")
    return lines


def ratio_table(results):
    lines = ["| implementation / case | " + " | ".join(s for s, _ in SHAPES[:4]) + " |",
             "|" + "---|" * 5]
    for impl, case, dtype in cases(results, 1):
        if dtype != "f32" or (impl, case) == READ_BW:
            continue
        cells = []
        for s, _ in SHAPES[:4]:
            ns = value(results, impl, case, dtype, s)
            ref, bw = value(results, *ONEDNN, s), value(results, *READ_BW, dtype, s)
            cells.append("—" if not ns else
                         f"{fmt(ref / ns if ref else None)}× / " + (f"{100 * bw / ns:.{0 if bw >= 0.1 * ns else 1}f}%" if bw else "—"))
        lines.append(f"| {impl} {case} | " + " | ".join(cells) + " |")
    return lines


def torch_loss(variant, torch_name, dtypes=("f32", "f64")):
    """xent's variant.none.loss / .loss_grad against libtorch's torch_name.mean ones."""
    return [(f"{variant}.none.{kind}", dtype, [("libtorch", f"{torch_name}.mean.{kind}")])
            for kind in ("loss", "loss_grad") for dtype in dtypes]


# Each xent function and the peers that compute the same operation (1 thread); a peer not
# in this run (not found by meson, or filtered out) is left out of its row.
PEERS = [
    (HEADLINE + ".loss", "f32", [("onednn", "softmax"), ("xnnpack", "softmax"), ("libtorch", "cross_entropy.mean.loss")]),
    (HEADLINE + ".loss_grad", "f32", [("onednn", "softmax"), ("libtorch", "cross_entropy.mean.loss_grad")]),
] + torch_loss(HEADLINE.split(".")[0], "cross_entropy", ("bf16", "f64")) \
  + torch_loss("softmax_ce_with_logits", "cross_entropy_soft") \
  + torch_loss("sigmoid_ce_with_logits", "binary_cross_entropy_with_logits") \
  + torch_loss("binary_ce", "binary_cross_entropy") \
  + torch_loss("nll_loss", "nll_loss") + [
    ("softmax", "f32", [("onednn", "softmax"), ("xnnpack", "softmax"), ("libtorch", "softmax")]),
    ("softmax", "f64", [("libtorch", "softmax")]),
    ("log_softmax", "f32", [("onednn", "log_softmax"), ("libtorch", "log_softmax")]),
    ("log_softmax", "f64", [("libtorch", "log_softmax")]),
    ("exp", "f32", [("sleef", "exp_u10")]),
    ("log", "f32", [("sleef", "log_u10")]),
]


def peer_table(results):
    """Each xent function against the fastest peer on the same operation, L2 and vocab."""
    shapes = ["L2", "vocab"]
    lines = ["| xent function | dtype | " + " | ".join(f"{s}: xent / best peer (ratio)" for s in shapes) + " |",
             "|" + "---|" * (len(shapes) + 2)]
    for case, dtype, peers in PEERS:
        cells = []
        for s in shapes:
            ns = value(results, "xent", case, dtype, s)
            timed = [(value(results, impl, pcase, dtype, s), f"{impl} {pcase}") for impl, pcase in peers]
            timed = [(t, name) for t, name in timed if t]
            if not ns or not timed:
                cells.append("—")
                continue
            best, name = min(timed)
            cells.append(f"{fmt(ns)} / {fmt(best)} {name} ({best / ns:.2f}×)")
        lines.append(f"| {case} | {dtype} | " + " | ".join(cells) + " |")
    return lines


def targets(results):
    """(what, target, measured text, pass) for the issue's targets."""
    f32 = lambda impl, case, shape, t=1, field="ns": value(results, impl, case, "f32", shape, t, field)
    loss, grad = HEADLINE + ".loss", HEADLINE + ".loss_grad"

    def ratio(num, den):
        return num / den if num and den else None

    rows = [
        ("L2 loss only vs oneDNN softmax", "≥ 2.0× faster", ratio(f32(*ONEDNN[:2], "L2"), f32("xent", loss, "L2")), 2.0, "×"),
        ("L2 loss+grad vs oneDNN softmax", "≥ 1.2× faster", ratio(f32(*ONEDNN[:2], "L2"), f32("xent", grad, "L2")), 1.2, "×"),
        ("vocab loss only vs oneDNN softmax", "≥ 2.0× faster", ratio(f32(*ONEDNN[:2], "vocab"), f32("xent", loss, "vocab")), 2.0, "×"),
        ("DRAM loss only vs read bandwidth", "≥ 70% of read bandwidth", ratio(f32(*READ_BW, "DRAM"), f32("xent", loss, "DRAM")), 0.70, "%"),
        ("tiny (1, 10) loss only", "≤ 30 ns/call", f32("xent", loss, "tiny", 1, "call"), 30.0, "ns"),
        ("exp f32 in L2 vs SLEEF expf u10", "≥ 1.25× throughput", ratio(f32("sleef", "exp_u10", "L2"), f32("xent", "exp", "L2")), 1.25, "×"),
        ("2 threads vs 1, loss only, vocab", "≥ 1.8×", ratio(f32("xent", loss, "vocab", 1, "call"), f32("xent", loss, "vocab", 2, "call")), 1.8, "×"),
        ("2 threads vs 1, loss only, L3", "≥ 1.8×", ratio(f32("xent", loss, "L3", 1, "call"), f32("xent", loss, "L3", 2, "call")), 1.8, "×"),
    ]
    out = []
    for what, target, measured, bound, unit in rows:
        if measured is None:
            out.append((what, target, "not measured", "n/a"))
            continue
        ok = measured <= bound if unit == "ns" else measured >= bound
        text = f"{100 * measured:.0f}%" if unit == "%" else f"{measured:.3g} {unit}" if unit == "ns" else f"{measured:.2f}×"
        out.append((what, target, text, "PASS" if ok else "FAIL"))
    return out


def machine():
    model, flags = platform.processor() or "unknown", set()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in lscpu.splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "Model name":
                model = val.strip()
            elif key.strip() == "Flags":
                flags = set(val.split())
    except (OSError, subprocess.CalledProcessError):
        pass
    wanted = ["sse2", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "asimd", "sve"]
    return model, " ".join(f for f in wanted if f in flags) or "unknown", "avx512f" not in flags


def git_commit():
    try:
        head = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain"], capture_output=True, text=True).stdout
        return head + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "none (no commit yet)"


def write_markdown(path, doc, results, command, outer):
    ctx = doc["context"]
    model, flags, no512 = machine()
    caches = ", ".join(f"L{c['level']} {c['type'][0]} {c['size'] // 1024} KiB" for c in ctx.get("caches", []))
    lines = [
        "# xent benchmark results", "",
        "Generated by `bench/report.py` from one run of `xent_bench` (Google Benchmark, real time).",
        "Times are ns per element of logits (rows × cols), lower is better; the tiny (1, 10) column is ns",
        "per call. Key cases (the headline loss, oneDNN softmax, SLEEF exp, xent exp, read bandwidth)",
        "are the median of 3 repetitions; all else one run.", "",
        "## Targets (1 thread unless stated, f32 sparse softmax CE with logits, reduction NONE, C API)", "",
        "| target | required | measured | result |", "|---|---|---|---|",
    ] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in targets(results)] + [
        "", "## Speed ratios (f32, 1 thread)", "",
        "Each cell: how many times faster than oneDNN softmax on the same shape / the fraction of the",
        "SIMD read bandwidth (100% = as fast as reading the logits once).", "",
    ] + ratio_table(results) + [
        "", "## Each xent function against the best peer for the same operation (1 thread, ns/element)", "",
        "Ratio > 1: xent is faster. The ISA path is this run's (`XENT_ISA` selects another: run the",
        "script again with `XENT_ISA=avx2` on an AVX-512 machine for the AVX2 path).",
        "xent's losses are reduction NONE (one loss per sample, per element for sigmoid and binary CE);",
        "libtorch's are reduction mean, torch's default (`.mean`), on the same input buffers.", "",
    ] + peer_table(results) + [
        "", "## ns per element, 1 thread", "",
    ] + time_table(results, 1) + [
        "", "## ns per element, 2 threads (speedup over 1 thread in parentheses)", "",
    ] + time_table(results, 2) + [
        "", f"† real time over {CONTENDED}× the calling thread's CPU time: it waited for a core or for a",
        "descheduled worker (other load on the machine), so the value is pessimistic.",
        f"{sum(1 for e in results.values() if e.get('contended'))} of {len(results)} results are marked.",
        "", "![speed ratios](results.png)", "",
        "## Machine and run", "",
        f"- CPU: {model}, {ctx.get('num_cpus')} cores at {ctx.get('mhz_per_cpu')} MHz; caches: {caches}",
        f"- SIMD flags: {flags}" + (" (no AVX-512)" if no512 else ""),
        f"- xent {ctx.get('xent_version')}, ISA path `{ctx.get('xent_isa')}`; SLEEF path `{ctx.get('sleef_isa', '—')}`;"
        f" peers compiled in: {ctx.get('peers') or 'none'}",
        f"- load average at start: {', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}"
        " (other processes on these 2 cores disturb the 2-thread numbers most)",
        f"- date: {ctx.get('date')}; git commit: {git_commit()}",
        f"- command: `{command}`" + (f" (run by `{outer}`)" if outer else ""), "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def write_plot(path, results, subtitle):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    series = [("xent sparse CE loss", ("xent", HEADLINE + ".loss")), ("xent sparse CE loss+grad", ("xent", HEADLINE + ".loss_grad")),
              ("xent softmax", ("xent", "softmax")), ("XNNPACK softmax", ("xnnpack", "softmax")),
              ("libtorch cross_entropy", ("libtorch", "cross_entropy.mean.loss")),
              ("naive scalar loss", ("naive", HEADLINE + ".loss")), ("read bandwidth (limit)", READ_BW)]
    shapes = [s for s, _ in SHAPES[:4]]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(series)
    for i, (label, (impl, case)) in enumerate(series):
        ys = []
        for s in shapes:
            ref, ns = value(results, *ONEDNN, s), value(results, impl, case, "f32", s)
            ys.append(ref / ns if ref and ns else 0)
        ax.bar([j + i * width for j in range(len(shapes))], ys, width, label=label)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(shapes))], [f"{s}\n{d}" for s, d in SHAPES[:4]])
    ax.set_ylabel("speed relative to oneDNN softmax (×, log)")
    ax.set_title("f32, 1 thread: higher is faster")
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.16))

    scaling = [("xent sparse CE loss", ("xent", HEADLINE + ".loss")), ("oneDNN softmax", ONEDNN[:2]),
               ("XNNPACK softmax", ("xnnpack", "softmax")), ("libtorch cross_entropy", ("libtorch", "cross_entropy.mean.loss"))]
    width2 = 0.8 / len(scaling)
    for i, (label, (impl, case)) in enumerate(scaling):
        ys = []
        for s in shapes:
            t1, t2 = (value(results, impl, case, "f32", s, t, "call") for t in (1, 2))
            ys.append(t1 / t2 if t1 and t2 else 0)
        ax2.bar([j + i * width2 for j in range(len(shapes))], ys, width2, label=label)
    ax2.axhline(1.0, color="black", linewidth=0.8)
    ax2.axhline(2.0, color="gray", linewidth=0.8, linestyle="--")
    ax2.set_xticks([j + 0.4 - width2 / 2 for j in range(len(shapes))], shapes)
    ax2.set_ylabel("2 threads / 1 thread (×)")
    ax2.set_title("thread scaling, f32")
    ax2.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.suptitle(subtitle, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--bench", help="xent_bench binary to run")
    src.add_argument("--json", help="read this Google Benchmark JSON instead of running")
    ap.add_argument("--json-out", default="xent_bench.json", help="where --bench writes its JSON")
    ap.add_argument("--md", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--png", default=os.path.join(HERE, "results.png"))
    ap.add_argument("bench_args", nargs="*", help="after --: extra xent_bench flags")
    args = ap.parse_args()

    json_path = args.json_out if args.bench else args.json
    command = shlex.join(run_bench(args.bench, json_path, args.bench_args)) if args.bench else None
    with open(json_path) as f:
        doc = json.load(f)
    ctx = doc["context"]
    if command:  # keep the command lines in the JSON, for re-rendering with --json
        ctx["xent_bench_command"], ctx["outer_command"] = command, os.environ.get("XENT_BENCH_COMMAND")
        with open(json_path, "w") as f:
            json.dump(doc, f, indent=1)
    results = parse(doc)
    write_markdown(args.md, doc, results, ctx.get("xent_bench_command", f"{ctx.get('executable')} (flags unknown)"),
                   ctx.get("outer_command"))
    write_plot(args.png, results, f"xent {ctx.get('xent_version')} ({ctx.get('xent_isa')}), {ctx.get('date')}, "
               f"load average {ctx.get('load_avg', [float('nan')])[0]:.2f} at start")
    for what, target, measured, verdict in targets(results):
        print(f"{verdict:4}  {what}: {measured} (target {target})")
    print(f"wrote {args.md} and {args.png}")


if __name__ == "__main__":
    main()
