"""A migration's check of its result that is not kept (issue 15 item 3) locates and
fingerprints only the findings it pairs with the file's: ``check_findings`` gives the
findings of ``check_text`` in its order, ``fingerprints_at`` the fingerprints
``check_text`` gives any of them, and the outcome is the one the whole check gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether import checker as CH
from aether.checker import CheckOptions, check_findings, check_text, fingerprints_at
from aether.migrate.engine import check_options, migrate_text

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for d in ("workflows", "tests") for p in (ROOT / d).rglob("*.aether"))
_UNLOCATED = ("anchor", "content", "fingerprint", "legacy_fingerprint")


def _same_findings(text: str, path: str, options: CheckOptions, wanted=None) -> None:
    whole = check_text(text, path, options, hints=False).findings
    found = check_findings(text, options, hints=False)
    assert [f.with_(**{k: "" for k in _UNLOCATED}) for f in found] == \
        [f.with_(**{k: "" for k in _UNLOCATED}) for f in whole]
    every = range(len(found)) if wanted is None else [i for i in wanted if i < len(found)]
    got = fingerprints_at(text, path, options, found, every)
    assert got == {i: (whole[i].fingerprint, whole[i].legacy_fingerprint) for i in every}


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_project_file(path):
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    _same_findings(text, "a/b.aether", check_options())
    # each finding alone: its occurrence counted among the lines located for it
    found = check_findings(text, check_options(), hints=False)
    for i in range(min(len(found), 40)):
        _same_findings(text, "a/b.aether", check_options(), [i])


_LINES = st.sampled_from([
    "x.f()", "y.g(1)", "x.f()  # again", "unknown_fn()", "if true:\n    x.f()",
    "fn a():\n    x.f()\n    x.f()", "log(1)   ", "count = 1", "meta:\n    x.f()", "",
    "# aether: ignore[AE301]", "x.f()  # aether: ignore[AE301]", "steps:\n    - x.f()",
    "goal: \"g\"", "for i in [1]:\n    y.g(i)", "\tx.f()", "print(cuont)",
])
_TEXTS = st.lists(_LINES, max_size=14).map(lambda ls: "# Nightly report job\n\n" +
                                           "\n".join(ls) + "\n")


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.sets(st.integers(0, 30), max_size=6))
def test_generated_findings_and_any_of_their_fingerprints(text, wanted):
    _same_findings(text, "w.aether", check_options(), sorted(wanted))
    _same_findings(text, "w.aether", CheckOptions(suppress=False), sorted(wanted))


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_the_outcome_is_the_whole_checks(text):
    kept = migrate_text(text, "w.aether", checked={})  # the check after made whole
    light = migrate_text(text, "w.aether")
    assert light.to_dict() == kept.to_dict()
    assert light.text == kept.text
    assert light.fingerprint_remap == kept.fingerprint_remap
    assert light.legacy_fingerprint_remap == kept.legacy_fingerprint_remap


def test_only_the_paired_findings_are_located(monkeypatch):
    # a brace-dialect file whose result has many findings, newly visible (the check
    # before read none of its lines): at most the one paired (the missing goal, AE312)
    # is located, not every finding's line
    text = "workflow main {\n" + "  frobnicate()\n" * 50 + "}\n"
    known = check_text(text, "w.aether", check_options())  # the check before, cached
    kept = migrate_text(text, "w.aether", before=known, checked={})
    assert kept.state == "transformed" and kept.after["validation_findings"] >= 50
    located: list = []
    real = CH._places

    def counting(findings, text):
        located.extend(f.line for f in findings if not f.content)
        return real(findings, text)

    monkeypatch.setattr(CH, "_places", counting)
    light = migrate_text(text, "w.aether", before=known)
    assert light.to_dict() == kept.to_dict()
    assert light.fingerprint_remap == kept.fingerprint_remap
    assert light.legacy_fingerprint_remap == kept.legacy_fingerprint_remap
    assert len(located) <= 2
