"""Rewrite the goldens: report formats (tests/golden/output/, from tests/test_output.py) and
capability manifests (tests/golden/manifest/, from tests/test_tools_catalogue.py), gate
results and sign-off pages (tests/golden/gates/, from tests/test_fleet_gates.py).

Run after an intended change to an output format, then review ``git diff tests/golden``:
the diff is the user-visible change. ``--check`` only reports which goldens differ.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# golden folder -> the test module whose golden_outputs() produces its files
SOURCES = {"output": "test_output", "manifest": "test_tools_catalogue",
           "gates": "test_fleet_gates"}


def _load_tests(name: str = "test_output"):
    """tests/<name>.py as a module (tests/ is not a package)."""
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a golden is out of date")
    args = parser.parse_args(argv)
    stale = []
    for folder, module in SOURCES.items():
        stale += _update(ROOT / "tests" / "golden" / folder,
                         _load_tests(module).golden_outputs(), args.check)
    verb = "out of date" if args.check else "rewritten"
    for name in stale:
        print(f"{verb}: {name}")
    if not stale:
        print("goldens up to date")
    return 1 if args.check and stale else 0


def _update(golden: Path, outputs: dict, check: bool) -> list:
    """Bring ``golden`` in line with ``outputs``; the paths that were (or are) stale."""
    golden.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, text in sorted(outputs.items()):
        path = golden / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.relative_to(ROOT).as_posix())
        if not check:
            # newline="\n": goldens are compared byte for byte on every platform
            path.write_text(text, encoding="utf-8", newline="\n")
    for path in sorted(p for p in golden.iterdir() if p.name not in outputs):
        stale.append(path.relative_to(ROOT).as_posix())
        if not check:
            path.unlink()
    return stale


if __name__ == "__main__":
    sys.exit(main())
