#!/usr/bin/env python3
"""Does checking a file cost more when the project catalogue is larger? It should not.

A fleet of ``--files`` small workflows, each calling a project tool, reading a host input
and misspelling one of each (so every file asks for a did-you-mean), is checked in-process
against catalogues of 1x, 4x and 16x ``--names`` tools (and half as many inputs). Printed:
the CPU time per file of each size (best of ``--runs``) and its ratio to the smallest. A
file's check used to file every catalogue name for its did-you-mean (10,000 files against
7,400 names took 160 s); the target is a ratio near 1.

    python bench/bench_catalogue.py [--files 300] [--names 500] [--runs 3]

Figures, not assertions: the exit status is 0 whatever the ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _catalogue(n_names: int):
    from aether.semantics.catalogue import load_catalogue
    from aether.semantics.project import merge_catalogue

    tools = "".join(f"[tools.tool_number_{i}]\nparams = [\"x\"]\n" for i in range(n_names))
    inputs = "".join(f'value_number_{i} = "any"\n' for i in range(n_names // 2))
    text = tools + "[inputs]\n" + inputs
    return merge_catalogue(load_catalogue(), [("aether-tools.toml", text.encode())])


def _texts(n_files: int) -> list[str]:
    return [f'goal: "g"\nx: tool_number_{i % 50}(value_number_{i % 25})\n'
            f"y: tool_numbr_{i % 50}(1)\nz: valu_number_{i % 25}\n" for i in range(n_files)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--names", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from aether.checker import CheckOptions, check_text

    texts = _texts(args.files)
    base = None
    print(f"{args.files} files; CPU time per file, best of {args.runs}")
    for factor in (1, 4, 16):
        n = args.names * factor
        options = CheckOptions(catalogue=_catalogue(n))
        best = float("inf")
        for _ in range(args.runs):
            t0 = time.process_time()
            for i, text in enumerate(texts):
                check_text(text, f"f{i}.aether", options)
            best = min(best, time.process_time() - t0)
        per_file = best / len(texts) * 1000
        base = base or per_file
        print(f"  catalogue of {n:>6} tools, {n // 2:>6} inputs: {per_file:7.3f} ms/file "
              f"({per_file / base:.2f}x)")


if __name__ == "__main__":
    main()
