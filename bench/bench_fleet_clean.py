#!/usr/bin/env python3
"""Acceptance figure for a migrated fleet: the share of files that check clean.

What a new user does on a folder of legacy ``.aether`` files, run with the ``aether``
console script (or ``python -m aether``) on a temporary copy of the folder:

1. ``aether migrate --apply .``
2. ``aether tools infer . --write`` (declares the project's own tools and inputs)
3. ``aether check . --format json --no-cache``

It prints the share of files with no finding (target: at least 90% on ../shared/corpus),
and for every remaining file its first rule and message, plus the counts per rule. Works on
any folder of legacy files; the folder itself is never written (the copy is).

    python bench/bench_fleet_clean.py [FOLDER] [--json OUT] [--keep]

The default folder is ../shared/corpus/files; those files are GPL and are only read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpus" / "files"


def _aether() -> list[str]:
    """The console script beside this interpreter when installed, else ``-m aether``."""
    script = Path(sys.executable).with_name("aether")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aether"]


def _run(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run(_aether() + args, cwd=cwd, capture_output=True, text=True,
                          errors="replace")


def measure(folder: Path, keep: bool = False) -> dict:
    """Copy ``folder`` (its .aether files, tree kept) to a temporary project and run the
    three steps there; return the figures as a dict."""
    work = tempfile.mkdtemp(prefix="aether-fleet-")
    try:
        copied = 0
        for src in sorted(folder.rglob("*.aether")):
            if not src.is_file() or src.is_symlink():
                continue
            dst = Path(work) / src.relative_to(folder)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)
            copied += 1
        timings = {}
        steps = {"migrate": ["migrate", "--apply", "."],
                 "infer": ["tools", "infer", ".", "--write"],
                 "check": ["check", ".", "--format", "json", "--no-cache"]}
        results = {}
        for name, args in steps.items():
            began = time.perf_counter()
            results[name] = _run(args, work)
            timings[name] = time.perf_counter() - began
        report = json.loads(results["check"].stdout or "{}")
        files = report.get("files", [])
        clean = [f for f in files if not f.get("findings")]
        remaining = []
        per_rule: Counter = Counter()
        for f in files:
            findings = f.get("findings") or []
            for x in findings:
                per_rule[x["rule"]] += 1
            if findings:
                first = findings[0]
                remaining.append({"file": f["file"], "findings": len(findings),
                                  "rule": first["rule"], "line": first.get("line"),
                                  "message": first["message"],
                                  "rules": sorted({x["rule"] for x in findings})})
        return {"folder": str(folder), "files": copied, "checked": len(files),
                "clean": len(clean),
                "share_clean": round(len(clean) / len(files), 4) if files else 0.0,
                "per_rule": dict(per_rule.most_common()), "remaining": remaining,
                "seconds": {k: round(v, 3) for k, v in timings.items()},
                "exit": {k: r.returncode for k, r in results.items()},
                "infer_stderr": results["infer"].stderr.strip().splitlines()[-3:],
                "workdir": work if keep else None}
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"no such folder: {folder}", file=sys.stderr)
        return 2
    fig = measure(folder, keep=args.keep)
    print(f"folder: {fig['folder']}")
    print(f"files: {fig['files']}  checked: {fig['checked']}  clean: {fig['clean']}  "
          f"share clean: {fig['share_clean']:.1%} (target 90%)")
    print("steps: " + ", ".join(f"{k} {v:.2f} s (exit {fig['exit'][k]})"
                                for k, v in fig["seconds"].items()))
    if fig["per_rule"]:
        print("findings per rule: " + ", ".join(f"{k} {v}" for k, v in fig["per_rule"].items()))
    for row in fig["remaining"]:
        print(f"  {row['file']}:{row['line']}: {row['rule']} {row['message']} "
              f"({row['findings']} finding{'s' if row['findings'] != 1 else ''}: "
              f"{', '.join(row['rules'])})")
    if fig["workdir"]:
        print(f"kept: {fig['workdir']}")
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
