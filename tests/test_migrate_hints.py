"""Did-you-mean hints in a migration's checks (issue 15 item 3): searched only for a
result that is kept (a result cache's entry, or a caller's ``checked`` dict).

- ``validate(..., hints=False)`` gives the findings ``validate`` gives but for their
  hints, and makes no did-you-mean search;
- a migration without ``checked`` searches no hint and has the outcome of one with it;
- what ``checked`` receives, and what ``migrate_file`` stores for a result cache (the
  check before; after ``--apply`` the check of the new text), is exactly ``check_text``'s
  result, hints included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aether.checker import check_text
from aether.migrate.engine import MigrateOptions, check_options, migrate_file, migrate_text
from aether.semantics import suggest as S
from aether.semantics import validator as V
from aether.syntax import parse

ROOT = Path(__file__).resolve().parent.parent

# a legacy file with a typo of each kind the validator suggests for: an unbound name, an
# unknown function, a policy key; and a plugin call (M031 reads the probe's plugin hint)
TYPOS = '''# Nightly report agent
count = 1
print(cuont)
pritn(count)
sysmon.status()
policy:
    run_timout: "30s"
'''


def _searches(monkeypatch) -> list:
    """Every did-you-mean search made from now on (by name)."""
    calls: list = []
    hint, suggest = S.hint, S.NameIndex.suggest

    def counted_hint(name, candidates):
        calls.append(name)
        return hint(name, candidates)

    def counted_suggest(self, name, *pools):
        calls.append(name)
        return suggest(self, name, *pools)

    monkeypatch.setattr(S, "hint", counted_hint)
    monkeypatch.setattr(V, "_hint", counted_hint)
    monkeypatch.setattr(S.NameIndex, "suggest", counted_suggest)
    return calls


def _programs() -> list[Path]:
    return sorted(p for d in ("tests", "workflows") for p in (ROOT / d).rglob("*.aether"))


def _without_hint(f):
    return (f.rule, f.message, f.line, f.column, f.end_line, f.end_column)


@pytest.mark.parametrize("path", _programs()[::7] + [None],
                         ids=lambda p: p.name if p else "typos")
def test_validation_without_hints_differs_only_in_hints(path, monkeypatch):
    text = TYPOS.replace("count = 1", "count: 1") if path is None else \
        path.read_text(encoding="utf-8", errors="replace")
    result = parse(text)
    if result.module is None:
        return
    full = V.validate(result.module)
    calls = _searches(monkeypatch)
    bare = V.validate(result.module, hints=False)
    assert calls == []
    assert [_without_hint(f) for f in bare] == [_without_hint(f) for f in full]
    for f, g in zip(bare, full):
        # only a did-you-mean is left out: the hint is then None or the text a search
        # that finds nothing gives
        assert f.hint == g.hint or g.hint.startswith("did you mean")
    if path is None:
        assert [f.hint for f in full if f.hint and f.hint.startswith("did you mean")]


def test_a_request_without_hints_takes_the_memo_with_them():
    module = parse('goal: "g"\ncount: 1\nlog(cuont)\n').module
    with V.memo_validations():
        bare = V.validate(module, hints=False)
        assert bare[0].hint is None
        full = V.validate(module)
        assert full is not bare and full[0].hint == "did you mean 'count'?"
        assert V.validate(module, hints=False) is bare
        # once it is there, the one with hints answers a request without them
    with V.memo_validations():
        full = V.validate(module)
        assert V.validate(module, hints=False) is full


def test_migration_without_checked_searches_no_hint(monkeypatch):
    kept: dict = {}
    reference = migrate_text(TYPOS, "a.aether", checked=kept)
    assert reference.state == "transformed" and "M031" in reference.rules
    calls = _searches(monkeypatch)
    bare = migrate_text(TYPOS, "a.aether")
    assert calls == []
    assert bare.to_dict() == reference.to_dict() and bare.text == reference.text
    # what `checked` received is check_text's own result, hints included
    options = check_options()
    assert kept["before"] == check_text(TYPOS, "a.aether", options)
    assert kept["after"] == check_text(reference.text, "a.aether", options)
    assert any(f.hint and f.hint.startswith("did you mean")
               for f in kept["after"].findings)


@pytest.mark.parametrize("apply", [False, True])
def test_migrate_file_stores_results_with_hints(tmp_path, monkeypatch, apply):
    path = tmp_path / "a.aether"
    path.write_text(TYPOS)
    store: list = []
    out = migrate_file(str(path), "a.aether", MigrateOptions(apply=apply), store=store)
    assert out.state == "transformed" and out.written == apply
    options = check_options()
    expected = [check_text(TYPOS, "a.aether", options)]
    if apply:
        expected.append(check_text(path.read_text(), "a.aether", options))
    assert [r for _, r in store] == expected
    assert all(any(f.hint and f.hint.startswith("did you mean") for f in r.findings)
               for r in expected)
    # without a cache to fill, no hint is searched, and the outcome is the same
    path.write_text(TYPOS)
    calls = _searches(monkeypatch)
    again = migrate_file(str(path), "a.aether", MigrateOptions(apply=apply))
    assert calls == []
    assert again.to_dict() == out.to_dict() and again.text == out.text
