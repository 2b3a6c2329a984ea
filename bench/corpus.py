"""What the benchmarks share: the generated corpus (tools/gen_corpus.py output, made once),
the standard-library peer for `ast.parse`, and the in-turns CPU timing loop.

The folder name carries a hash of the generator, so a changed generator never leaves a
benchmark measuring stale files.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TOOL = ROOT / "tools" / "gen_corpus.py"


def generated(n: int, seed: int = 1) -> Path:
    """The folder holding ``n`` generated files (created on first use)."""
    tag = hashlib.sha256(TOOL.read_bytes()).hexdigest()[:10]
    folder = OUT / f"corpus{n}-s{seed}-{tag}"
    if folder.exists():
        return folder
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = OUT / f".{folder.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([sys.executable, str(TOOL), str(n), str(tmp), "--seed", str(seed)],
                   check=True)
    tmp.rename(folder)
    return folder


def stdlib_python(lines: int) -> list[str]:
    """Texts of standard-library modules outside test folders that `ast.parse` accepts, in
    path order, until at least ``lines`` lines (all of them if there are fewer)."""
    texts: list[str] = []
    total = 0
    for p in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if total >= lines:
            break
        if "test" in p.parts:
            continue
        try:
            src = p.read_text(encoding="utf-8")
            ast.parse(src)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        texts.append(src)
        total += src.count("\n")
    return texts


def best_cpu_in_turns(sets: dict[str, tuple[Iterable[str], Callable[[str], object]]],
                      runs: int) -> dict[str, float]:
    """The best CPU time (seconds) of ``fn`` over every text, per named set, over ``runs``
    rounds that time the sets in turns, so that load on the machine hits all alike."""
    best = {name: float("inf") for name in sets}
    for _ in range(runs):
        for name, (texts, fn) in sets.items():
            t = time.process_time()
            for text in texts:
                fn(text)
            best[name] = min(best[name], time.process_time() - t)
    return best
