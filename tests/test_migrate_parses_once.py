"""A migration parses each text it looks at once: the legacy file, the converted text and
its rewritten form are each handed to the parser several times by the stages (plugin
probe, section rewrite, the check of the result), which share one result per text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aether.migrate.engine import migrate_text
from aether.syntax import parser as P

GOLDEN = Path(__file__).resolve().parent / "migrate_golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "before.aether").is_file())


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_each_text_parsed_once_and_outcome_unchanged(case, monkeypatch):
    text = (case / "before.aether").read_text(encoding="utf-8")
    reference = migrate_text(text, "input.aether")  # memo in force: compare with it off
    calls: Counter = Counter()
    real = P._parse

    def counting(t, incremental):
        calls[t] += 1
        return real(t, incremental)

    monkeypatch.setattr(P, "_parse", counting)
    outcome = migrate_text(text, "input.aether")
    assert calls and max(calls.values()) == 1
    assert not P.memoising()  # the memo ends with the migration

    monkeypatch.setattr(P, "memo_parses", _no_memo)
    plain = migrate_text(text, "input.aether")
    assert outcome.to_dict() == reference.to_dict() == plain.to_dict()
    assert outcome.text == plain.text


class _no_memo:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
