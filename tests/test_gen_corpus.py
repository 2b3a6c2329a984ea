"""tools/gen_corpus.py: deterministic, in range, laid out in folders of 1,000; its clean
files check clean and every file with injected errors has findings."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from aether.checker import check_text

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "gen_corpus.py"


def _load_tool():
    spec = importlib.util.spec_from_file_location("gen_corpus", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_tool()


def run_tool(tmp: Path, n: int, *extra: str) -> list[Path]:
    subprocess.run([sys.executable, str(TOOL), str(n), str(tmp), *extra], check=True)
    return sorted(tmp.rglob("*.aether"))


def test_same_arguments_give_byte_identical_files(tmp_path):
    a = run_tool(tmp_path / "a", 30)
    b = run_tool(tmp_path / "b", 30)
    assert [p.relative_to(tmp_path / "a") for p in a] == [p.relative_to(tmp_path / "b")
                                                          for p in b]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    c = run_tool(tmp_path / "c", 30, "--seed", "2")
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]


def test_files_go_in_folders_of_a_thousand(tmp_path):
    files = run_tool(tmp_path, 1001, "--error-share", "0")
    names = [p.relative_to(tmp_path).as_posix() for p in files]
    assert len(names) == 1001
    assert names[0] == "000/wf_00001.aether"
    assert names[999] == "000/wf_01000.aether"
    assert names[1000] == "001/wf_01001.aether"


def test_line_counts_are_50_to_500():
    counts = [gen.generate(i, 3, 0.5).count("\n") for i in range(1, 400)]
    assert min(counts) >= 50 and max(counts) <= 500
    assert max(counts) - min(counts) > 300  # varied sizes, not one template


def test_clean_files_check_clean_and_error_files_have_findings():
    injected_kinds = set()
    n_error_files = 0
    for i in range(1, 151):
        text, injected = gen.build(i, 5, 0.4)
        findings = check_text(text, f"wf_{i:05d}.aether").findings
        if injected:
            n_error_files += 1
            injected_kinds.update(injected)
            assert findings, (i, injected)
        else:
            assert findings == [], (i, [(f.line, f.rule, f.message) for f in findings])
    assert 35 <= n_error_files <= 90  # about 40% of 150
    assert len(injected_kinds) >= 8  # a mix of syntax and validation errors


def test_every_injected_error_is_found_alone():
    """Each entry of ERRORS, injected into a clean file, yields a finding."""
    import random

    base = gen.generate(1, 9, 0)
    for kind, text, what in gen.ERRORS:
        lines = base.rstrip("\n").split("\n")
        gen._inject(lines, _Fixed(kind, text, what, random.Random(0)))
        findings = check_text("\n".join(lines) + "\n", "e.aether").findings
        assert findings, what
        statuses = {f.status.name for f in findings}
        assert ("PARSE_ERROR" in statuses) == (kind == "syntax"), (what, statuses)


class _Fixed:
    """A stand-in for random.Random whose choice() of an error is fixed."""

    def __init__(self, kind, text, what, rng):
        self.entry, self.rng = (kind, text, what), rng

    def choice(self, seq):
        return self.entry if seq is gen.ERRORS else self.rng.choice(seq)


def test_error_share_zero_and_one():
    assert not any(gen.build(i, 1, 0.0)[1] for i in range(1, 60))
    assert all(gen.build(i, 1, 1.0)[1] for i in range(1, 60))


@pytest.mark.parametrize("bad", [["-1", "x"], ["3", "x", "--error-share", "1.5"]])
def test_bad_arguments_are_usage_errors(tmp_path, bad):
    args = [a if a != "x" else str(tmp_path / "out") for a in bad]
    proc = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)
    assert proc.returncode == 2


def test_all_constructs_appear():
    text = "".join(gen.generate(i, 1, 0) for i in range(1, 41))
    for construct in ("goal:", "meta:", "policy:", "require:", "plugin_contract:",
                      "parallel:", "await ", "workflow:", "input:", "output:", "requires:",
                      "steps:", "on_error:", "- when:", "  do:", "transaction:", "memory:",
                      "fn ", "return ", "return\n", "try:", "catch ", "while ", "for ",
                      "if ", "elif ", "else:", "break", "continue", "+= ", "-= ", " = ",
                      "retry=", "timeout=", 'timeout="', "requires=[", " as ", "List[",
                      "Dict[", "ms", "h)", "m\n", "s,", "null", "true", "false", "{", "[",
                      "_000", "\\n", '\\"', "\\'", "\\\\", "-0.", " not ", " and ", " or ",
                      " in ", " % ", "_plugin.", "# ", ",  # ", "level=", "\n    ]",
                      "\n)"):
        assert construct in text, construct


def test_missing_goal_twice_does_not_crash():
    """Two injections may both draw "missing goal": the second picks another error."""
    import random

    lines = ["goal: \"g\"", "a: 1", "b: 2", "c: 3", "d: 4", "e: 5", "f: 6"]
    r = random.Random(0)
    ERRORS = gen.ERRORS
    gen.ERRORS = [e for e in ERRORS if e[1] == "missing goal"] + [ERRORS[0]]
    try:
        for _ in range(20):
            gen._inject(lines, r)
    finally:
        gen.ERRORS = ERRORS
    assert not any(line.startswith("goal:") for line in lines)
