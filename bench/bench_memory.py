#!/usr/bin/env python3
"""Benchmark the memory `aether check` needs for one large file, as a multiple of its size.

    python bench/bench_memory.py [--sizes 250000,500000,1000000] [--breakdown 250000]

Each file joins files of ``tools/gen_corpus.py`` (no injected errors) into one valid file
of about the given number of lines: from the second file on, its ``goal:`` line is left out
(one goal per file) and every generated name ending in a number (``report_12``,
``audit_fn_3``, ``task_4``) gets the file's number appended, so no fn is defined twice and
the file checks clean. Each file is checked by ``aether check FILE`` in a child process;
the figure is its peak RSS (``ru_maxrss`` of the child) minus the peak RSS of
``aether --version`` (interpreter and start-up), divided by the file's size in bytes. The
breakdown then checks one file in this process under tracemalloc and prints the peak and
what is still allocated after the check, by module and line.

Figures, not assertions: nothing here fails a build. Files go to bench/out/ (ignored).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AETHER = [sys.executable, "-m", "aether"]
sys.path.insert(0, str(ROOT / "tools"))

_NUMBERED = re.compile(r"\b([A-Za-z]\w*?_\d+)\b")


def build_file(n_lines: int, path: Path) -> tuple[int, int]:
    """Write a file of at least ``n_lines`` lines joined from generated files; return
    (lines, files joined). The same arguments give the same bytes."""
    from gen_corpus import build

    parts: list[str] = []
    lines = index = 0
    while lines < n_lines:
        index += 1
        text, injected = build(index, 1, 0.0)
        assert not injected
        if index > 1:
            text = "\n".join(x for x in text.split("\n") if not x.startswith("goal:"))
        text = _NUMBERED.sub(lambda m: f"{m.group(1)}_f{index}", text)
        parts.append(text)
        lines += text.count("\n")
    path.write_text("".join(parts), encoding="utf-8")
    return lines, index


def peak_rss(cmd: list[str]) -> tuple[int, float, int, str]:
    """(peak RSS in bytes, CPU seconds, exit status, first output line) of ``cmd`` run
    in a fresh child of a small probe process (so only that child is measured)."""
    probe = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "line = (p.stdout.strip().splitlines() or [''])[-1]\n"
        "print(u.ru_maxrss, u.ru_utime + u.ru_stime, p.returncode, line, sep='\\t')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True,
                         text=True, check=True).stdout.rstrip("\n").split("\t")
    return int(out[0]) * 1024, float(out[1]), int(out[2]), out[3]


def breakdown(path: Path, top: int) -> None:
    """Check ``path`` in this process under tracemalloc: peak and what stays, by line."""
    import tracemalloc

    from aether.checker import CheckOptions, check_text
    from aether.source import read_source

    check_text('goal: "warm"\n', "warm.aether")  # parser tables, catalogue: not the file's
    options = CheckOptions(max_file_size=1 << 40, keep_source=True)
    size = path.stat().st_size
    tracemalloc.start(1)
    read = read_source(str(path), options.max_file_size)
    text = read.text
    del read
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    result = check_text(text, str(path), options)
    current, peak = tracemalloc.get_traced_memory()
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    mib = 1 << 20
    print(f"\ntracemalloc, check_text of {path.name} ({size / mib:.1f} MiB, "
          f"{len(result.findings)} findings) in this process:")
    print(f"  source text {base / mib:.1f} MiB; during the check peak +{(peak - base) / mib:.1f}"
          f" MiB ({(peak - base) / size:.1f}x the file); kept after it (the result, the "
          f"parser's memo of the last text) +{(current - base) / mib:.1f} MiB")
    by_file: dict[str, int] = {}
    stats = snap.statistics("lineno")
    for st in stats:
        name = st.traceback[0].filename
        short = name.split("/aether/", 1)[-1] if "/aether/" in name else os.path.basename(name)
        by_file[short] = by_file.get(short, 0) + st.size
    print("  kept after the check, by module:")
    for name, n in sorted(by_file.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {n / mib:8.1f} MiB  {n / size:5.2f}x  {name}")
    print("  kept after the check, by line:")
    for st in stats[:top]:
        frame = st.traceback[0]
        short = frame.filename.split("/aether/", 1)[-1]
        print(f"    {st.size / mib:8.1f} MiB  {st.count:9,d} blocks  {short}:{frame.lineno}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="250000,500000,1000000",
                    help="lines per file, comma-separated")
    ap.add_argument("--breakdown", type=int, default=250_000,
                    help="lines of the file to break down with tracemalloc (0: none)")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "aether")],
                   check=True)
    start_rss, _, _, version = peak_rss(AETHER + ["--version"])
    mib = 1 << 20
    print(f"start-up (`aether --version`, {version}): peak RSS {start_rss / mib:.1f} MiB")
    tiny = OUT / "memory_tiny.aether"
    tiny.write_text('goal: "g"\nlog("x")\n', encoding="utf-8")
    tiny_rss = peak_rss(AETHER + ["check", str(tiny), "--isolated", "--no-cache"])[0]
    print(f"`aether check` of a 2-line file (parser tables and catalogue loaded): peak RSS "
          f"{tiny_rss / mib:.1f} MiB; the multiples below subtract the start-up figure")
    print(f"{'lines':>10} {'bytes':>12} {'peak RSS':>10} {'- start-up':>11} "
          f"{'x file':>7} {'CPU s':>7}  result")
    files = {}
    for n in sizes:
        path = OUT / f"memory_{n // 1000}k_lines.aether"
        lines, joined = build_file(n, path)
        files[n] = path
        size = path.stat().st_size
        rss, cpu, rc, last = peak_rss(AETHER + ["check", str(path), "--isolated",
                                                "--no-cache", "--max-file-size",
                                                str(size + 1)])
        over = rss - start_rss
        print(f"{lines:>10,} {size:>12,} {rss / mib:>8.1f}Mi {over / mib:>9.1f}Mi "
              f"{over / size:>7.2f} {cpu:>7.1f}  exit {rc}: {last} ({joined} files joined)")
    if args.breakdown:
        path = files.get(args.breakdown)
        if path is None:
            path = OUT / f"memory_{args.breakdown // 1000}k_lines.aether"
            build_file(args.breakdown, path)
        t = time.process_time()
        breakdown(path, args.top)
        print(f"  ({time.process_time() - t:.1f} s under tracemalloc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
