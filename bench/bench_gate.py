#!/usr/bin/env python3
"""Benchmark `aether gate` and `aether baseline` against the targets of issue 3.

1. `aether gate` over two baselines of 100,000 findings each (target: under 2 s, wall
   clock of the whole command including start-up), for a typical PR (1% of findings
   changed) and the worst case (every finding changed: 100,000 new + 100,000 fixed).
2. `aether baseline` against `aether check --format json` on the same N generated files
   (target: baseline adds under 10%), cold (--no-cache) and warm (cache filled).

Figures, not assertions: nothing here fails a build.

    python bench/bench_gate.py [--findings 100000] [--files 10000] [--runs 5] [--jobs N]

Generated inputs go to bench/out/ (ignored by git). The corpus comes from
tools/gen_corpus.py when it exists, else from a small generator here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AETHER = [sys.executable, "-m", "aether"]
sys.path.insert(0, str(ROOT))


def median_wall(cmd: list[str], runs: int, cwd=None) -> tuple[float, int]:
    times, rc = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=cwd).returncode
        times.append(time.perf_counter() - t)
    return statistics.median(times), rc


# --------------------------------------------------------------------------- gate

def synthetic_baseline(n_findings: int, per_file: int, rng: random.Random,
                       replace: float = 0.0, source: dict | None = None) -> dict:
    """A baseline document of ``n_findings`` findings; ``replace`` of them new vs ``source``."""
    from aether.baseline import build_baseline

    doc = build_baseline([], timestamp="2026-01-01T00:00:00+00:00")
    files = []
    if source is None:
        for i in range(n_findings // per_file):
            findings = [{"rule": "AE301", "code_name": "VALIDATION_ERROR", "line": j * 3 + 2,
                         "column": 5, "message": f"unknown function 'tool_{i}_{j}'",
                         "fingerprint": f"{rng.getrandbits(64):016x}",
                         "legacy_fingerprint": f"{rng.getrandbits(64):016x}"}
                        for j in range(per_file)]
            if i % 10 == 0:  # some parse errors too
                findings[0] = dict(findings[0], rule="AE109", code_name="PARSE_ERROR")
            files.append({"path": f"flows/group_{i % 97}/flow_{i:06d}.aether",
                          "code_name": findings[0]["code_name"], "line": 2,
                          "message": findings[0]["message"], "category": "ValidationError",
                          "findings": findings, "suppressed": []})
    else:
        for entry in source["files"]:
            findings = []
            for f in entry["findings"]:
                if rng.random() < replace:
                    f = dict(f, fingerprint=f"{rng.getrandbits(64):016x}")
                findings.append(f)
            files.append(dict(entry, findings=findings))
    doc["files"] = files
    doc["total"] = len(files)
    doc["findings_total"] = sum(len(f["findings"]) for f in files)
    return doc


def _write_gate_inputs(folder: Path, n: int, cases: dict) -> None:
    from aether.baseline import dumps

    rng = random.Random(3)
    ref = synthetic_baseline(n, 5, rng)
    (folder / "ref.json").write_text(dumps(ref))
    for fraction in cases.values():
        new = synthetic_baseline(n, 5, rng, fraction, ref)
        (folder / f"new_{fraction}.json").write_text(dumps(new))


def bench_gate(n: int, runs: int) -> dict:
    import gc

    from aether.baseline import load_baseline
    from aether.gate import run_gate

    folder = OUT / f"gate{n}"
    folder.mkdir(parents=True, exist_ok=True)
    cases = {"typical (1% changed)": 0.01, "worst (all changed)": 1.0}
    _write_gate_inputs(folder, n, cases)
    gc.collect()  # the generator's objects are gone before anything is timed
    ref_path = folder / "ref.json"
    size = ref_path.stat().st_size / 2**20
    print(f"gate inputs: {n} findings per baseline ({size:.1f} MiB each)")
    results = {}
    for label, fraction in cases.items():
        new_path = folder / f"new_{fraction}.json"
        cmd = AETHER + ["gate", "--new", str(new_path), "--ref", str(ref_path),
                        "--no-suppressions", "-o", str(folder / "gate.json"),
                        "--markdown", str(folder / "gate.md")]
        wall, rc = median_wall(cmd, runs)
        t = time.perf_counter()
        a, b = load_baseline(str(new_path)), load_baseline(str(ref_path))
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        result = run_gate(a, b)
        t_cmp = time.perf_counter() - t
        del a, b
        print(f"  aether gate, {label}: {wall:.2f} s wall (exit {rc}; in-process with gc on: "
              f"load {t_load:.2f} s, compare {t_cmp:.2f} s; {len(result.new_findings)} new, "
              f"{len(result.fixed_findings)} fixed)  target < 2 s: "
              f"{'OK' if wall < 2 else 'MISSED'}")
        results[label] = {"wall_s": round(wall, 3), "load_s": round(t_load, 3),
                          "compare_s": round(t_cmp, 3)}
        del result
        gc.collect()
    return results


# --------------------------------------------------------------------------- baseline vs check

_GOOD = ['log("step {k}")', 'narrate("note {k}")', 'x_{k}: summarize("t{k}")']
_BAD = ["unk_{k}(1)", "summarize(nobody_{k})", "stray words {k}"]


def corpus(n: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import generated

    return generated(n)


def bench_baseline(n: int, runs: int, jobs: int | None) -> dict:
    gen = corpus(n)
    files = sum(1 for _ in gen.rglob("*.aether"))
    print(f"corpus: {files} files ({gen.relative_to(ROOT)}; "
          f"{'tools/gen_corpus.py' if (ROOT / 'tools' / 'gen_corpus.py').exists() else 'bench generator'})")
    jobs_args = ["-j", str(jobs)] if jobs else []
    out = Path(tempfile.mkdtemp(prefix="aether-bench-"))
    base = AETHER + ["baseline", str(gen), "--isolated", "-q", "-o", str(out / "b.json"),
                     *jobs_args]
    results = {}
    for fmt in ("json", "text"):
        check = AETHER + ["check", str(gen), "--isolated", "-q", "--format", fmt, "-o",
                          str(out / f"c.{fmt}"), *jobs_args]
        for label, extra in (("cold (--no-cache)", ["--no-cache"]), ("warm (cache)", [])):
            if not extra:  # fill the cache once for both
                subprocess.run(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # interleaved so drift (thermal, other load) hits both alike
            t_check, t_base = [], []
            for _ in range(runs):
                t_check.append(median_wall(check + extra, 1)[0])
                t_base.append(median_wall(base + extra, 1)[0])
            c, b = statistics.median(t_check), statistics.median(t_base)
            over = (b - c) / c
            print(f"  {label}: check --format {fmt} {c:.2f} s, baseline {b:.2f} s: "
                  f"{over:+.1%}  target < +10%: {'OK' if over < 0.10 else 'MISSED'}")
            results[f"{fmt} {label}"] = {"check_s": round(c, 3), "baseline_s": round(b, 3),
                                         "overhead": round(over, 4)}
    shutil.rmtree(out, ignore_errors=True)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    results = {"gate": bench_gate(args.findings, args.runs)}
    if not args.skip_baseline:
        results["baseline"] = bench_baseline(args.files, args.runs, args.jobs)
    (OUT / "bench_gate.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
