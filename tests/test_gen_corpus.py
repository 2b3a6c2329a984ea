"""tools/gen_corpus.py: deterministic, in range, and its clean files really check clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "gen_corpus.py"


def generate(tmp: Path, n: int, *extra: str) -> list[Path]:
    subprocess.run([sys.executable, str(TOOL), str(n), str(tmp), *extra], check=True)
    return sorted(tmp.rglob("*.aether"))


def test_deterministic(tmp_path):
    a = generate(tmp_path / "a", 30)
    b = generate(tmp_path / "b", 30)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    c = generate(tmp_path / "c", 30, "--seed", "2")
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]


def test_sizes_layout_and_error_share(tmp_path):
    from aether.checker import check_text

    files = generate(tmp_path, 200, "--error-share", "0.2")
    assert len(files) == 200 and files[0].name == "wf_00001.aether"
    failing = 0
    for p in files:
        text = p.read_text()
        assert 50 <= text.count("\n") <= 520
        if check_text(text, p.name).findings:
            failing += 1
    assert 20 <= failing <= 70  # about a fifth carry injected errors


def test_error_free_corpus_checks_clean(tmp_path):
    from aether.checker import check_text

    for p in generate(tmp_path, 60, "--error-share", "0"):
        assert check_text(p.read_text(), p.name).findings == [], p.name


def test_all_constructs_appear(tmp_path):
    text = "".join(p.read_text() for p in generate(tmp_path, 40, "--error-share", "0"))
    for construct in ("meta:", "policy:", "require:", "parallel:", "await ", "workflow:",
                      "steps:", "on_error:", "transaction:", "memory:", "fn ", "return ",
                      "try:", "catch ", "while ", "for ", "elif ", "else:", "break", "continue",
                      "+= ", " = ", "retry=", "timeout=", "requires=", " as ", "List[", "ms",
                      "null", "true", "{", "["):
        assert construct in text, construct
