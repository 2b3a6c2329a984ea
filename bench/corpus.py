"""The generated corpus every benchmark shares: tools/gen_corpus.py output, made once.

The folder name carries a hash of the generator, so a changed generator never leaves a
benchmark measuring stale files.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
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
