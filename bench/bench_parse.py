#!/usr/bin/env python3
"""Where `aether check` spends its time: the scanner, the scanner and parser, the whole check,
beside `ast.parse` over as many standard-library lines, for the parser path in use.

    python bench/bench_parse.py [--files 2000] [--lines 60000] [--runs 3]
    AETHER_PURE_PYTHON=1 python bench/bench_parse.py   # the pure-Python path

One core, CPU time (best of --runs, the sets timed in turns); figures, not assertions
(docs/benchmarks.md, "Speed (issue 15)"). Files with syntax errors count too: the scan and
parse stop at the first error, as the first attempt of a check does.
"""

from __future__ import annotations

import argparse
import ast as pyast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--lines", type=int, default=60_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from corpus import best_cpu_in_turns, generated, stdlib_python

    from aether.checker import check_text
    from aether.syntax.parser import get_parser

    texts, n = [], 0
    for p in sorted(generated(args.files).rglob("*.aether")):
        text = p.read_text(encoding="utf-8")
        texts.append(text)
        n += text.count("\n")
        if n >= args.lines:
            break
    pys = stdlib_python(n)
    parser, scanner = get_parser()

    def scan(text: str) -> None:
        try:
            for _ in scanner.scan(text):
                pass
        except Exception:  # a lexical error ends the scan, as it ends a parse attempt
            pass

    def scan_parse(text: str) -> None:
        try:
            parser.parse(scanner.scan(text))
        except Exception:
            pass

    sets = {"scan": (texts, scan), "scan + parse + AST": (texts, scan_parse),
            "check_text": (texts, lambda t: check_text(t, "x.aether")),
            "ast.parse (Python stdlib)": (pys, pyast.parse)}
    best = best_cpu_in_turns(sets, args.runs)
    path = "compiled" if parser.compiled else "pure Python"
    scan_path = "compiled" if getattr(scanner, "_compiled", None) else "pure Python"
    print(f"parser: {path}, scanner: {scan_path}; {len(texts)} generated files, {n:,} lines "
          f"(CPU time, best of {args.runs})")
    for name, (items, _) in sets.items():
        lines = sum(x.count("\n") for x in items)
        print(f"  {name:28} {best[name]:7.3f} s  {lines / best[name]:10,.0f} lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
