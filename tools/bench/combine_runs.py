"""Combines several outputs of the end-to-end benchmark (`e2e`) into one table: for each thread count and case,
the median over the runs of our time and of PyTorch's time, GFLOP/s and % of the median measured peak from those
medians, and the ratio of the two medians. Usage: python3 tools/bench/combine_runs.py RUN.txt [RUN.txt ...]
"""
import re
import statistics
import sys


def parse(path):
    """{threads: {"peak": [..], "cases": {name: (ours_ms, gflop_per_ms, torch_ms or None)}}} of one run."""
    runs, threads = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"## (\d+) thread\(s\): measured FP32 peak ([\d.]+)", line)
        if m:
            threads = int(m.group(1))
            runs[threads] = {"peak": float(m.group(2)), "cases": {}}
            continue
        m = re.match(r"Measured FP32 peak again after the cases: ([\d.]+)", line)
        if m and threads is not None:
            runs[threads]["peak"] = max(runs[threads]["peak"], float(m.group(1)))
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if threads is None or len(cells) != 8 or not re.match(r"[\d.]+$", cells[1]):
            continue
        ours_ms, ours_gf = float(cells[1]), float(cells[2])
        torch_ms = float(cells[4]) if cells[4] != "n/a" else None
        # GFLOP per run of the case, from its rate and time.
        runs[threads]["cases"][cells[0]] = (ours_ms, ours_gf * ours_ms / 1e3, torch_ms)
    return runs


def main(paths):
    parsed = [parse(p) for p in paths]
    for threads in sorted({t for run in parsed for t in run}):
        per_thread = [run[threads] for run in parsed if threads in run]
        peak = statistics.median(r["peak"] for r in per_thread)
        print(f"## {threads} thread(s): median of {len(per_thread)} runs; median measured FP32 peak {peak:.1f} GFLOP/s\n")
        print("| case | ours ms | ours GFLOP/s | ours % peak | torch ms | torch GFLOP/s | torch % peak | torch ms / ours ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in per_thread[0]["cases"]:
            rows = [r["cases"][name] for r in per_thread if name in r["cases"]]
            ours = statistics.median(r[0] for r in rows)
            gflop = rows[0][1]
            share = 0.5 if name.endswith(" f64") else 1.0  # float64 vectors hold half as many lanes
            torch = [r[2] for r in rows if r[2] is not None]
            row = f"| {name} | {ours:.2f} | {gflop / ours * 1e3:.1f} | {100 * gflop / ours * 1e3 / (peak * share):.0f}% |"
            if torch:
                t = statistics.median(torch)
                row += f" {t:.2f} | {gflop / t * 1e3:.1f} | {100 * gflop / t * 1e3 / (peak * share):.0f}% | {t / ours:.2f}x |"
            else:
                row += " n/a | n/a | n/a | n/a |"
            print(row)
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
