#!/usr/bin/env python3
"""Benchmark `aether run`: interpreter speed against CPython, and simulated tool calls.

Runs a CPU-bound workflow (loops, arithmetic, string and list work, fn calls) and the
equivalent Python program in the same process, in the same run, and prints statements per
second for both and the ratio (target: at most 15 times slower than CPython). Then runs a
workflow of simulated tool calls and prints calls per second (target: at least 20,000/s).
Figures, not assertions: nothing here fails a build.

    python bench/bench_run.py [--n 200000] [--calls 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aether.runtime.api import RunOptions, run_source  # noqa: E402

WORKFLOW = '''goal: "cpu-bound benchmark"
fn score(i, base):
    return (i * 31 + base) % 1000

fn label(s):
    if s > 900:
        return "high"
    return "low"

total: 0
highs: 0
words: []
text: ""
for i in range(N):
    s: score(i, 7)
    if s > 500:
        total += s
    else:
        total -= 1
    if label(s) == "high":
        highs += 1
    if i % 50 == 0:
        words: []
        text: ""
    words: append(words, str(s))
    text: text + "x"
count: len(words) + len(text)
'''


def python_program(n: int) -> dict:
    """The same work in plain Python (statement for statement)."""
    def score(i, base):
        return (i * 31 + base) % 1000

    def label(s):
        if s > 900:
            return "high"
        return "low"

    total = 0
    highs = 0
    words: list = []
    text = ""
    for i in range(n):
        s = score(i, 7)
        if s > 500:
            total += s
        else:
            total -= 1
        if label(s) == "high":
            highs += 1
        if i % 50 == 0:
            words = []
            text = ""
        words.append(str(s))
        text = text + "x"
    count = len(words) + len(text)
    return {"total": total, "highs": highs, "count": count}


CALLS = '''goal: "simulated tool calls"
for i in range(N):
    think("step")
'''


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def interleaved(fa, fb, runs: int):
    """Time ``fa`` and ``fb`` in turns (a, b, a, b...) so that load on a shared machine
    hits both alike; best and median of each."""
    ta, tb = [], []
    for _ in range(runs):
        for fn, times in ((fa, ta), (fb, tb)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return (min(ta), statistics.median(ta)), (min(tb), statistics.median(tb))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--calls", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)

    src = WORKFLOW.replace("range(N)", f"range({args.n})")
    opts = RunOptions(max_steps=10**9, timeout=3600)
    result = run_source(src, "bench.aether", simulate=True, options=opts)
    assert result.status == 0, result.error
    want = python_program(args.n)
    for key, value in want.items():
        assert result.outputs[key] == value, (key, result.outputs[key], value)
    steps = result.steps

    (a_best, a_med), (p_best, p_med) = interleaved(
        lambda: run_source(src, "bench.aether", simulate=True, options=opts),
        lambda: python_program(args.n), args.runs)
    print(f"machine: {platform.machine()} {platform.system()} Python {platform.python_version()}")
    print(f"cpu-bound workflow, {args.n} iterations, {steps} Aether steps (statements)")
    print(f"  aether run : {a_best:.3f} s best, {a_med:.3f} s median, "
          f"{steps / a_best:,.0f} statements/s")
    print(f"  CPython    : {p_best:.3f} s best, {p_med:.3f} s median, "
          f"{steps / p_best:,.0f} statements/s")
    print(f"  ratio      : {a_best / p_best:.1f}x slower than CPython, best to best "
          f"({a_med / p_med:.1f}x median to median; target <= 15x)")

    calls = CALLS.replace("range(N)", f"range({args.calls})")
    result = run_source(calls, "calls.aether", simulate=True, options=opts)
    assert result.status == 0 and len(result.tool_calls) == args.calls, result.error
    c_best, c_med = best(lambda: run_source(calls, "calls.aether", simulate=True,
                                            options=opts), args.runs)
    print(f"simulated tool calls: {args.calls} calls, {c_best:.3f} s best, "
          f"{args.calls / c_best:,.0f} calls/s (target >= 20,000/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
