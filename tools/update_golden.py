"""Rewrite the report-format goldens in tests/golden/output/ from tests/test_output.py.

Run after an intended change to an output format, then review ``git diff tests/golden/output``:
the diff is the user-visible change. ``--check`` only reports which goldens differ.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "output"


def _load_tests():
    """tests/test_output.py as a module (tests/ is not a package)."""
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("test_output", ROOT / "tests" / "test_output.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a golden is out of date")
    args = parser.parse_args(argv)
    outputs = _load_tests().golden_outputs()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, text in sorted(outputs.items()):
        path = GOLDEN / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            # newline="\n": goldens are compared byte for byte on every platform
            path.write_text(text, encoding="utf-8", newline="\n")
    extra = sorted(p.name for p in GOLDEN.iterdir() if p.name not in outputs)
    for name in extra:
        stale.append(name)
        if not args.check:
            (GOLDEN / name).unlink()
    verb = "out of date" if args.check else "rewritten"
    for name in stale:
        print(f"{verb}: tests/golden/output/{name}")
    if not stale:
        print("goldens up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
