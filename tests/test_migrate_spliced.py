"""A migration that requires the plugins its file calls (M031, M029) does not parse the
converted text (issue 15 item 3), neither to convert it nor to check it: the text is
the M031 probe's with a ``require:`` block inserted, shown to parse without error as the
probe's statements with the block's statement between them (``whole_file._spliced``),
and its validation is derived from the probe's (``validator.validate_spliced``,
tests/derivations.py). Here: whenever ``_spliced`` shows it, the parse of the text is that
module, for every ``.aether`` file of the project and generated ones; the outcome is the
one of parsing and validating it, and so are the results kept (``checked``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether.checker import check_text
from aether.migrate.convert import whole_file as W
from aether.migrate.engine import check_options, migrate_text
from aether.semantics import validator as V
from aether.syntax import parser as P
from derivations import derivations_compared, spliced_module
from test_migrate_validated_once import PLUGINS, _BLOCKS, _HEADS

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for d in ("workflows", "tests") for p in (ROOT / d).rglob("*.aether"))


def _reference(text: str, checked=None):
    """The migration with the converted text parsed and validated (nothing spliced)."""
    real, real_required = W._spliced, V.validate_required
    try:
        W._spliced = lambda *a: None
        V.validate_required = lambda *a, **k: False
        return migrate_text(text, "input.aether", checked=checked)
    finally:
        W._spliced, V.validate_required = real, real_required


def _splices_compared(monkeypatch) -> Counter:
    """Each statement ``_spliced`` gives checked: the text parses (a fresh parse, not the
    migration's memo) without error to the probe's statements with it between them."""
    seen: Counter = Counter()
    real = W._spliced

    def compared(probe, block, i):
        req = real(probe, block, i)
        seen["shown" if req is not None else "not"] += 1
        if req is not None:
            lines = probe.split("\n")
            text = "\n".join(lines[:i] + block + lines[i:])
            whole = P._parse(text, True)
            assert not whole.errors
            was = P._parse(probe, True).module
            assert whole.module.body == spliced_module(was, req, i + 1, len(block)).body
        return req

    monkeypatch.setattr(W, "_spliced", compared)
    return seen


def _migrated_like_the_reference(text: str, monkeypatch, keep: bool = False) -> Counter:
    reference_checked: dict = {}
    reference = _reference(text, reference_checked if keep else None)
    seen = _splices_compared(monkeypatch)
    checked: dict = {}
    with derivations_compared():
        out = migrate_text(text, "input.aether", checked=checked if keep else None)
    assert out.to_dict() == reference.to_dict() and out.text == reference.text
    assert checked == reference_checked
    return seen


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_project_file(path, monkeypatch):
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    _migrated_like_the_reference(text, monkeypatch)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_HEADS), st.lists(st.sampled_from(_BLOCKS + [
    "else:\n    log(1)\n", "    indented.call()\n", "require:\n    plugins:\n        - \"a\"\n",
    "fn f():\n    return sysmon.x()\n", "meta:\n    owner: \"me\"\n", "goal: \"two\"\n",
    "workflow w {\n    report.send(1)\n}\n", "steps:\n    - alert.raise(2)\n"]),
    min_size=1, max_size=6), st.booleans())
def test_generated_files(head, blocks, keep):
    text = head + "".join(blocks)
    with pytest.MonkeyPatch.context() as mp:
        _migrated_like_the_reference(text, mp, keep)


def _final_parses(monkeypatch, final: str) -> list:
    parsed: list = []
    real = P._parse

    def counting(text, incremental):
        if text == final:
            parsed.append(text)
        return real(text, incremental)

    monkeypatch.setattr(P, "_parse", counting)
    return parsed


@pytest.mark.parametrize("keep", [False, True], ids=["dry", "kept"])
def test_the_converted_text_is_not_parsed(keep, monkeypatch):
    reference = _reference(PLUGINS)
    assert {"M031"} <= set(reference.rules) and reference.text
    before = check_text(PLUGINS, "input.aether", check_options())
    with pytest.MonkeyPatch.context() as mp:
        seen = _splices_compared(mp)
        migrate_text(PLUGINS, "input.aether", before=before, checked={} if keep else None)
        assert seen == {"shown": 1}
    parsed = _final_parses(monkeypatch, reference.text)
    out = migrate_text(PLUGINS, "input.aether", before=before,
                       checked={} if keep else None)
    assert parsed == []  # neither by the conversion nor by the check of the result
