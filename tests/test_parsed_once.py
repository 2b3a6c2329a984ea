"""`aether run` and `aether classify` parse a workflow once and hand that tree to the
check (and the manifest, and the compiler) explicitly: nothing relies on the parser's
memo of its last result. The tests turn that memo off and count whole parses."""

from __future__ import annotations

import pytest

from aether import checker
from aether.checker import check_text
from aether.fleet.classify import ClassifyOptions, classify_one
from aether.runtime.api import run_source
from aether.syntax import parse
from aether.syntax import parser as P

TEXT = 'goal: "g"\nx: 1\nlog(x)\nfn f(a):\n    return a\nlog(f(x))\n'
BAD = 'goal: "g"\nlog(nope)\n'


@pytest.fixture
def parses(monkeypatch):
    """The texts parsed whole (``_parse``) or statement by statement (``parse_items``),
    with the last-result memo off: every ``parse`` call parses."""
    seen: list[tuple[str, str]] = []
    whole, items = P._parse, P.parse_items
    monkeypatch.setattr(P, "_LAST", None)
    monkeypatch.setattr(P, "_parse_last", lambda text, inc: P._parse(text, inc))
    monkeypatch.setattr(P, "_parse", lambda text, inc: (seen.append(("whole", text)),
                                                        whole(text, inc))[1])
    monkeypatch.setattr(P, "parse_items", lambda text, on: (seen.append(("items", text)),
                                                            items(text, on))[1])
    return seen


@pytest.mark.parametrize("stream_above", [checker.STREAM_ABOVE, 0])
def test_run_parses_once(parses, monkeypatch, stream_above):
    monkeypatch.setattr(checker, "STREAM_ABOVE", stream_above)
    result = run_source(TEXT, "x.aether", simulate=True)
    assert result.status == 0
    assert parses == [("whole", TEXT)]


def test_run_of_a_file_with_findings_parses_once_and_reports_them(parses):
    result = run_source(BAD, "x.aether", simulate=True)
    assert [f.rule for f in result.findings] == ["AE302"]
    assert parses == [("whole", BAD)]


@pytest.mark.parametrize("text", [TEXT, BAD])
def test_classify_parses_once(parses, tmp_path, text):
    path = tmp_path / "w.aether"
    path.write_text(text, encoding="utf-8")
    record = classify_one(str(path), "w.aether", ClassifyOptions(root=str(tmp_path)))
    assert record["category"] == (None if text == TEXT else "ValidationError"), record
    assert [p for p in parses if p[1] == text] == [("whole", text)]


def test_check_of_a_given_parse_is_the_check_of_the_text():
    for text in (TEXT, BAD, 'goal: "g"\nlog(\n', "x = = 1\n"):
        parsed = parse(text)
        given = check_text(text, "x.aether", parsed=parsed)
        plain = check_text(text, "x.aether")
        assert given.findings == plain.findings and given.status == plain.status


@pytest.mark.parametrize("stream_above", [checker.STREAM_ABOVE, 0])
def test_tools_infer_parses_a_file_with_candidates_once_below_the_streaming_size(
        parses, monkeypatch, tmp_path, stream_above):
    # below the size the check streams at, the check and the call index share one parse;
    # at or above it the check streams (two statement-by-statement passes, no whole tree)
    # and the call index needs the whole tree once
    from aether.tooling.infer import infer
    from aether.walk import SourceFile

    monkeypatch.setattr(checker, "STREAM_ABOVE", stream_above)
    path = tmp_path / "w.aether"
    text = 'goal: "g"\nlog(fetch_rows(1))\n'
    path.write_text(text, encoding="utf-8")
    proposal = infer([SourceFile(str(path), "w.aether", True)], checker.CheckOptions())
    assert "fetch_rows" in {e.name for e in proposal.tools}
    whole = [p for p in parses if p == ("whole", text)]
    assert len(whole) == 1
    assert len(parses) == (1 if stream_above else 3)
