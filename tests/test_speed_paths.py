"""The fast paths of issue 15 give exactly what the plain ones gave.

- a migration lays out and section-rewrites its rows once when the M031 probe's rows are
  the final ones (no ``require:`` inserted);
- ``ast.walk`` visits the nodes in the order of a walk over ``iter_children``;
- a ``NameIndex`` that files its names only when a lookup needs them answers as one that
  files each name as it is added;
- ``--format json`` writes exactly ``json.dumps(report_document(...), indent=2,
  ensure_ascii=False)``, clean files' records included, and its summary, counted in one
  pass, is the one counted over each field;
- the result cache checks nesting per entry: a too-deep entry is a miss, the others hit.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether import ast as A
from aether.cache import ResultCache
from aether.codes import RULES, category_of
from aether.diagnostics import FileResult, Finding, aggregate_status
from aether.migrate.convert import whole_file
from aether.migrate.engine import migrate_text
from aether.output.json_report import report_document, write_json
from aether.output.records import finding_record, summary
from aether.semantics.suggest import NameIndex
from aether.syntax import parse

ROOT = Path(__file__).resolve().parent
GOLDEN = ROOT / "migrate_golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "before.aether").is_file())


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_rows_laid_out_once_unless_plugins_are_required(case, monkeypatch):
    calls = []
    real = whole_file.rewrite_sections

    def counting(ctx, text, origins):
        calls.append(text)
        return real(ctx, text, origins)

    monkeypatch.setattr(whole_file, "rewrite_sections", counting)
    text = (case / "before.aether").read_text(encoding="utf-8")
    out = migrate_text(text, "input.aether")
    assert out.text == (case / "after.aether").read_text(encoding="utf-8")
    if {"M029", "M031"} & set(out.rules):
        assert len(calls) <= 2  # the probe's rows, then the rows with `require:`
    else:
        assert len(calls) <= 1  # a goal row (M028) goes in before the probe


def _reference_walk(node):
    yield node
    for child in A.iter_children(node):
        yield from _reference_walk(child)


def test_walk_order_is_iter_children_order():
    texts = [p.read_text(encoding="utf-8") for p in GOLDEN.glob("*/after.aether")]
    texts += [p.read_text(encoding="utf-8", errors="replace")
              for p in ROOT.rglob("*.aether")][:200]
    nodes = 0
    for text in texts:
        module = parse(text).module
        got = list(A.walk(module))
        assert [id(n) for n in got] == [id(n) for n in _reference_walk(module)]
        nodes += len(got)
    assert nodes > 1000


class _EagerIndex(NameIndex):
    """The index as it was: each name filed when it is added."""

    def add(self, name):
        super().add(name)
        self._file()

    def update(self, names):
        for name in names:
            self.add(name)


_NAMES = st.text(alphabet="abcdeABx_", min_size=1, max_size=7)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("add"), st.lists(_NAMES, max_size=150)),
                          st.tuples(st.just("ask"), _NAMES)), max_size=12))
def test_lazy_index_answers_as_an_eager_one(steps):
    lazy, eager = NameIndex(), _EagerIndex()
    pool: list[str] = []
    for op, arg in steps:
        if op == "add":
            lazy.update(arg)
            eager.update(arg)
            pool.extend(arg)
        else:
            assert lazy.near(arg, 8) == eager.near(arg, 8)
            assert lazy.suggest(arg, pool) == eager.suggest(arg, pool)
            assert len(lazy) == len(eager)


def test_index_files_nothing_until_asked():
    index = NameIndex(["alpha", "beta"])
    assert not index._by_len  # filing waits for a lookup (most files never ask)
    assert index.near("alpah") and index._by_len


_PATHS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                 min_size=1, max_size=12)


def _finding(rule: str, line, message: str, hint=None) -> Finding:
    return Finding(rule, message, line, 1 if line else None, line, 3 if line else None, hint,
                   "a", "c", "f" * 16, "g" * 16)


_RESULTS = st.lists(st.tuples(
    _PATHS,
    st.lists(st.tuples(st.sampled_from(sorted(RULES)), st.none() | st.integers(1, 9), _PATHS,
                       st.none() | _PATHS), max_size=3),
    st.sampled_from(["active", "suppressed", "both"])), max_size=12)


def _results(files) -> list[FileResult]:
    results = []
    for path, found, kind in files:
        findings = [_finding(*f) for f in found]
        results.append(FileResult(path, [] if kind == "suppressed" else findings,
                                  [] if kind == "active" else findings[::-1]))
    return results


@settings(max_examples=150, deadline=None)
@given(_RESULTS)
def test_json_report_is_json_dumps(files):
    results = _results(files)
    out = io.StringIO()
    write_json(results, out)
    assert out.getvalue() == json.dumps(report_document(results), indent=2,
                                        ensure_ascii=False) + "\n"


def _reference_summary(results):
    """The summary as it was computed before it became one pass over the results."""
    statuses = [r.status for r in results]
    by_rule: dict = {}
    for r in results:
        for f in r.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    overall = aggregate_status(statuses)
    failed = sum(1 for r in results if not r.ok)
    return {"files": len(results), "passed": len(results) - failed, "failed": failed,
            "findings": sum(len(r.findings) for r in results),
            "suppressed": sum(len(r.suppressed) for r in results),
            "by_code": {s.name: statuses.count(s) for s in sorted(set(statuses))},
            "by_rule": dict(sorted(by_rule.items())), "status": int(overall),
            "status_name": overall.name}


@settings(max_examples=150, deadline=None)
@given(_RESULTS)
def test_summary_in_one_pass_is_the_summary(files):
    results = _results(files)
    expected = _reference_summary(results)
    got = summary(results)
    assert got == expected and list(got["by_code"]) == list(expected["by_code"])


def test_finding_record_is_the_findings_own_fields():
    for rule in sorted(RULES):
        f = _finding(rule, 2, "m")
        record = finding_record(f, True)
        assert (record["rule_name"], record["code"], record["code_name"], record["phase"],
                record["category"]) == (f.rule_name, f.code, f.code_name, f.phase,
                                        "Suppressed-" + category_of(f.status))


def test_cache_entry_nested_too_deeply_is_a_miss(tmp_path, monkeypatch):
    cache = ResultCache(str(tmp_path), "k")
    cache.put("d1", FileResult("good.aether", [_finding("AE301", 2, "m")], []))
    cache.put("d2", FileResult("deep.aether", [_finding("AE301", 3, "m")], []))
    cache.put("d4", FileResult("stamp.aether", [], []))
    cache.save()
    path = Path(cache.path)
    data = json.loads(path.read_text())
    deep: list = []
    for _ in range(150):  # deeper than any document may nest (jsondoc.MAX_DEPTH)
        deep = [deep]
    data["results"]["deep.aether"][1] = [{"rule": deep}]
    data["results"]["unused.aether"] = [[{"rule": deep}], []]  # never looked up this run
    data["stamps"]["unused.aether"] = "d5 "
    data["stamps"]["stamp.aether"] = deep  # a stamp is a string
    path.write_text(json.dumps(data))
    import aether.jsondoc as jsondoc

    def no_walk(*args, **kwargs):  # the whole-document walk is not what guards it
        raise AssertionError("check_depth walked the cache")

    monkeypatch.setattr(jsondoc, "check_depth", no_walk)
    again = ResultCache(str(tmp_path), "k")
    assert again.get("good.aether", "d1").findings[0].rule == "AE301"
    assert again.get("deep.aether", "d2") is None
    assert again.get("stamp.aether", "d4") is None
    again.put("d3", FileResult("new.aether", [], []))
    assert again.save() is None  # written back without the deep entry
    saved = json.loads(path.read_text())
    assert "deep.aether" not in saved["results"] and "stamp.aether" not in saved["stamps"]
    assert "unused.aether" not in saved["results"] and "unused.aether" not in saved["stamps"]
    assert saved["results"]["good.aether"][0][0]["rule"] == "AE301"
