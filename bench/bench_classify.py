#!/usr/bin/env python3
"""Classifier speed: ``aether classify --jobs J`` on N generated files, against the
reference approach (one ``aether --check`` then one ``aether run --simulate`` process per
file, in a loop) measured in the same run on a sample.

The corpus is a realistic mix: files of tools/gen_corpus.py (50-500 lines, a share with
injected syntax or validation errors; most of the rest stop at a runtime type error,
since generated values are random), plus small files that pass, legacy-dialect files,
files that loop forever (they cost the whole ``--timeout``) and unreadable binary files.

    python bench/bench_classify.py [--files 10000] [--jobs 2] [--sample 100] [--timeout 1s]

Prints files per second of both approaches and their ratio (target: at least 30x).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from gen_corpus import build  # noqa: E402

G = 'goal: "bench"\n'
EXTRA = (  # (share, text): the rest of the mix besides generated files
    (0.15, G + 'total: 0\nfor i in range(50):\n    total += i\nprint(str(total))\n'),
    (0.03, 'intent: "legacy"\nx = 1\nprint(x)\n'),
    (0.002, G + "n: 0\nwhile true:\n    n += 1\n"),
    (0.005, b"\xff\xfe\x00garbage\x81"),
)


def make_corpus(folder: Path, n: int, seed: int = 7) -> None:
    r = random.Random(seed)
    for i in range(n):
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        roll, body = r.random(), None
        for share, text in EXTRA:
            if roll < share:
                body = text
                break
            roll -= share
        if body is None:
            body = build(i, seed, 0.15)[0]
        path = sub / f"wf_{i:05d}.aether"
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")


def reference_loop(files: list[Path], timeout: str) -> float:
    """Seconds the per-file two-process loop takes on ``files``."""
    started = time.perf_counter()
    for f in files:
        subprocess.run(["aether", "--check", str(f)], capture_output=True)
        subprocess.run(["aether", "run", "--simulate", "--timeout", timeout, str(f)],
                       capture_output=True)
    return time.perf_counter() - started


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--timeout", default="1s")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        make_corpus(corpus, args.files)
        out = Path(tmp) / "out.json"
        started = time.perf_counter()
        subprocess.run(["aether", "classify", str(corpus), "--jobs", str(args.jobs),
                        "--timeout", args.timeout, "-q", "--isolated", "-o", str(out),
                        "--markdown", "", "--history-dir", str(Path(tmp) / "hist")],
                       check=True, cwd=tmp)
        ours = time.perf_counter() - started
        doc = json.loads(out.read_text())
        mix = Counter(f["category"] or "Passed" for f in doc["files"])
        files = sorted(corpus.rglob("*.aether"))
        sample = random.Random(1).sample(files, min(args.sample, len(files)))
        ref = reference_loop(sample, args.timeout)
    ours_rate = args.files / ours
    ref_rate = len(sample) / ref
    print(f"corpus: {args.files} files; categories: {dict(sorted(mix.items()))}")
    print(f"aether classify --jobs {args.jobs}: {ours:.1f} s, {ours_rate:.1f} files/s")
    print(f"reference loop (--check + run --simulate per file, {len(sample)} files): "
          f"{ref:.1f} s, {ref_rate:.2f} files/s")
    print(f"ratio: {ours_rate / ref_rate:.1f}x (target >= 30x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
