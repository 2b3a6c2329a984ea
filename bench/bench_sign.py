#!/usr/bin/env python3
"""Signing speed: ``aether sign`` and ``aether verify --strict`` on generated files.

On a temporary copy of N generated files (tools/gen_corpus.py, default 10,000) in a
project whose ``.aether/allowed_signers`` trusts a fresh key, it times the console script:

1. ``aether sign --key KEY --jobs J -q .``
2. ``aether verify --strict --jobs J -q .`` (every file must verify: exit 0)

and prints files per second for each (target for verify: at least 2,000 files/s with
``--jobs 2``), and the CPU time of all processes (files per CPU-second: the figure a
loaded machine distorts least). Each command runs ``--runs`` times (sign re-signs the signed files); the
best and the median are reported, since a shared machine is noisy.

    python bench/bench_sign.py [--files N] [--jobs J] [--runs R]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generated  # noqa: E402


def _aether() -> list[str]:
    script = Path(sys.executable).with_name("aether")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aether"]


def _timed(args: list[str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(_aether() + args, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    source = generated(args.files)
    work = tempfile.mkdtemp(prefix="aether-sign-")
    try:
        shutil.copytree(source, Path(work) / "flows")
        n = sum(1 for _ in (Path(work) / "flows").rglob("*.aether"))
        (Path(work) / "aether.toml").write_text("[aether]\n")
        out = subprocess.run(_aether() + ["keygen", "-o", "bench.key", "--comment", "bench"],
                             cwd=work, capture_output=True, text=True, check=True).stdout
        (Path(work) / ".aether").mkdir()
        (Path(work) / ".aether" / "allowed_signers").write_text(out.replace("PRINCIPAL",
                                                                            "bench"))
        jobs = str(args.jobs)
        sign = [_timed(["sign", "--key", "bench.key", "--jobs", jobs, "-q", "flows"], work)
                for _ in range(args.runs)]
        verify = [_timed(["verify", "--strict", "--jobs", jobs, "-q", "flows"], work)
                  for _ in range(args.runs)]
        print(f"files: {n}, --jobs {jobs}, runs: {args.runs}")
        for name, runs in (("aether sign", sign), ("aether verify --strict", verify)):
            times = [wall for wall, _ in runs]
            best, median = min(times), statistics.median(times)
            cpu = min(c for _, c in runs)
            print(f"{name}: best {best:.2f} s ({n / best:,.0f} files/s), "
                  f"median {median:.2f} s ({n / median:,.0f} files/s); "
                  f"CPU {cpu:.2f} s over all processes ({n / cpu:,.0f} files per CPU-second)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
