#!/usr/bin/env python3
"""Does any command grow faster than its input? Double each dimension four times and see.

For each dimension (lines, statements, names, findings, files, nesting, glob segments)
and the commands it concerns (check, fmt, migrate; exclude matching for globs), the input
is doubled four times from a base size. Printed per row: the time of each size (best of
``--runs``), the ratio of each doubling (target: at most 2.3, which linear or n log n
work meets and quadratic work, about 4, does not), the mean ratio over the four doublings,
PASS/FAIL (every doubling within the target), and the peak memory per input byte
(tracemalloc, one extra run at the largest size). On a shared machine a single doubling
can be off by the load; the mean ratio is steadier.

    python bench/bench_scaling.py [--runs 3] [--scale 1.0] [--only DIMENSION]

Figures, not assertions: the exit status is 0 whatever the ratios (issue 9).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 2.3
GOAL = 'goal: "scaling"\n'


def _lines(n):
    return GOAL + "".join(f"x{i}: {i} + 1\n" for i in range(n))


_BLOCKS = ['a{i}: summarize("text {i}")\n', 'if a{i}:\n    log(a{i})\n',
           'for item{i} in [1, 2, 3]:\n    log(item{i})\n',
           'fn f{i}(p, q=1):\n    return p + q\n',
           'policy:\n    risk_budget: 0.1\n', 'on_error:\n    - when: Timeout\n      do: retry(1)\n']


def _statements(n):
    return GOAL + "".join(_BLOCKS[i % len(_BLOCKS)].format(i=i) for i in range(n))


def _names(n):
    return GOAL + "".join(f"y{i}: z{i}\n" for i in range(n))


def _fn_names(n):
    return GOAL + "".join(f"fn f{i}():\n    return g{i}()\n" for i in range(n))


def _globals_in_fns(n):
    return GOAL + "".join(f"x{i}: 1\n" for i in range(n)) + \
        "".join(f"fn f{i}():\n    return x{i}\n" for i in range(n))


def _findings(n):
    return GOAL + "".join(f"summarise({i})\n" for i in range(n))


def _one_line_findings(n):
    return GOAL + "x: [" + ", ".join(f"summarise({i})" for i in range(n)) + "]\n"


def _nesting(n):
    return GOAL + "x: " + "[" * n + "1" + "]" * n + "\n"


def _whitespace(n):
    return GOAL + "".join("x: 1  \n" if i % 2 else "y: 2\n" for i in range(n))


def _legacy(n):
    return GOAL + "".join(f"x{i} = {i}\n" for i in range(n))


def _check(text):
    from aether.checker import check_text

    return check_text(text, "bench.aether")


def _fmt(text):
    from aether.fmt import FormatError, format_text

    try:
        return format_text(text)
    except (FormatError, RecursionError):
        return None


def _migrate(text):
    from aether.gcpause import gc_paused
    from aether.migrate.engine import migrate_text

    # as `aether migrate` runs it: with the cyclic collector paused (aether/gcpause.py)
    return gc_paused(migrate_text)(text, "bench.aether")


def _glob(k):
    pattern = "**/" * k + "x"
    path = "/".join(["a"] * (8 * k)) + "/y"
    return pattern, path


def _exclude(item):
    from aether.walk import is_excluded

    pattern, path = item
    for _ in range(200):
        is_excluded(path, [pattern])
        is_excluded(path, ["*a" * 8 + "*b"])


def _stars(k):
    return "*a" * k + "*b", "a" * (40 * k)


def _exclude_one(item):
    from aether.walk import is_excluded

    pattern, path = item
    for _ in range(50):
        is_excluded(path, [pattern])


# (dimension, command name, input maker, command, base size)
ROWS = [
    ("lines", "check", _lines, _check, 2000),
    ("lines", "fmt", _lines, _fmt, 1000),
    ("lines", "migrate", _lines, _migrate, 2000),
    ("statements", "check", _statements, _check, 1000),
    ("statements", "fmt", _statements, _fmt, 500),
    ("statements", "migrate", _legacy, _migrate, 500),
    ("names", "check (unknown names)", _names, _check, 1000),
    ("names", "check (unknown functions)", _fn_names, _check, 500),
    ("names", "check (globals x fns)", _globals_in_fns, _check, 500),
    ("names", "migrate (whitespace, repeated lines)", _whitespace, _migrate, 1000),
    ("findings", "check (a line each)", _findings, _check, 1000),
    ("findings", "check (one line)", _one_line_findings, _check, 500),
    ("nesting", "check", _nesting, _check, 12),
    ("nesting", "fmt", _nesting, _fmt, 12),
    ("glob segments", "exclude (**/ x k)", _glob, _exclude, 2),
    ("glob segments", "exclude (*a x k, one name)", _stars, _exclude_one, 2),
]


def _best(command, item, runs):
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        command(item)
        best = min(best, time.perf_counter() - t)
    return best


def _peak_per_byte(command, item):
    size = len(item.encode("utf-8")) if isinstance(item, str) else len("".join(item))
    gc.collect()
    tracemalloc.start()
    command(item)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / max(1, size)


def _files_row(runs, scale):
    """`aether check -j 1 --no-cache DIR` on 125 .. 2,000 files, as a process."""
    import subprocess

    times = []
    base = max(1, int(125 * scale))
    tmp = tempfile.mkdtemp(prefix="aether-bench-files-")
    try:
        made = 0
        for k in range(5):
            n = base * 2 ** k
            while made < n:
                Path(tmp, f"f{made:05d}.aether").write_text(_statements(20), encoding="utf-8")
                made += 1
            best = float("inf")
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "aether", "check", "-j", "1", "--no-cache",
                                "-q", tmp], capture_output=True, check=False,
                               env=dict(os.environ, NO_COLOR="1"))
                best = min(best, time.perf_counter() - t)
            times.append(best)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ("files", "check -j 1 (process)", base, times, None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the base sizes")
    ap.add_argument("--only", default=None, help="one dimension, e.g. names")
    args = ap.parse_args(argv)
    print("| dimension | command | sizes | time per size (best of runs) | ratio per doubling "
          "| mean ratio | verdict | peak memory per input byte |\n|---|---|---|---|---|---|---|---|")
    _check(GOAL)  # load the parser tables and the catalogue once, outside the timings
    results = []
    for dim, name, make, command, base in ROWS:
        if args.only and dim != args.only:
            continue
        base = max(1, int(base * args.scale)) if dim not in ("nesting", "glob segments") \
            else base
        items = [make(base * 2 ** k) for k in range(5)]
        times = [_best(command, item, args.runs) for item in items]
        per_byte = _peak_per_byte(command, items[-1]) if isinstance(items[-1], str) else None
        results.append((dim, name, base, times, per_byte))
        _print_row(results[-1])
    if not args.only or args.only == "files":
        results.append(_files_row(args.runs, args.scale))
        _print_row(results[-1])
    failed = sum(1 for r in results if max(_ratios(r[3])) > TARGET)
    print(f"\n{len(results) - failed} PASS, {failed} FAIL (target: each doubling at most "
          f"{TARGET}x)")
    return 0


def _ratios(times):
    return [b / a if a > 0 else float("inf") for a, b in zip(times, times[1:])]


def _print_row(row):
    dim, name, base, times, per_byte = row
    ratios = _ratios(times)
    verdict = "PASS" if max(ratios) <= TARGET else "FAIL"
    mean = (times[-1] / times[0]) ** 0.25 if times[0] > 0 else float("inf")
    mem = f"{per_byte:.0f} B/B" if per_byte is not None else "-"
    print(f"| {dim} | {name} | {base} .. {base * 16} | "
          + " / ".join(f"{t * 1000:.0f}" for t in times) + " ms | "
          + " ".join(f"{r:.2f}" for r in ratios) + f" | {mean:.2f} | {verdict} | {mem} |",
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
