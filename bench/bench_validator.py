#!/usr/bin/env python3
"""Benchmark the validator's share of `check_text`: CPU time per line, in-process.

    python bench/bench_validator.py [--files 300] [--runs 5]

Generated files (tools/gen_corpus.py, about 10% with injected errors) are parsed once;
then ``validate`` over every module and ``check_text`` over every text are timed in turns,
CPU time (``time.process_time``), best of ``--runs``, with the cyclic collector off as
``check_text`` has it. Prints microseconds per line for both and the validator's share of
the check. Run it from an exported copy of an older commit to compare (same machine, same
turn): the corpus is the same bytes.

Figures, not assertions: nothing here fails a build.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from corpus import generated

    from aether.checker import check_text
    from aether.semantics.validator import validate
    from aether.syntax import parse

    texts = [p.read_text(encoding="utf-8")
             for p in sorted(generated(args.files).rglob("*.aether"))][:args.files]
    lines = sum(t.count("\n") for t in texts)
    modules = [parse(t).module for t in texts]
    check_text(texts[0], "warm.aether")

    def run_validate():
        for m in modules:
            validate(m)

    def run_check():
        for i, t in enumerate(texts):
            check_text(t, f"f{i}.aether")

    best = {"validate": float("inf"), "check_text": float("inf")}
    gc.disable()
    try:
        for _ in range(args.runs):
            for name, fn in (("validate", run_validate), ("check_text", run_check)):
                t = time.process_time()
                fn()
                best[name] = min(best[name], time.process_time() - t)
    finally:
        gc.enable()
    print(f"{len(texts)} generated files, {lines:,} lines; CPU time, best of {args.runs} "
          f"(package at {ROOT})")
    for name, seconds in best.items():
        print(f"  {name:10s} {seconds:7.3f} s  {seconds / lines * 1e6:6.2f} us/line")
    print(f"  validator share of check_text: {best['validate'] / best['check_text']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
