"""The migration after a check (``migrate_text(..., before=known)``, issue 15 item 3) does
less work and gives exactly what the plain migration gives.

- a file whose check before shows a syntax error or a legacy construct is not scanned for
  legacy constructs again (the scan only told whether the file was clean); when the
  check before must be made after all, it scans the file itself;
- the legacy scan's bracket lines (which lines continue inside brackets) are the ones the
  token-by-token walk gave.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from aether.checker import check_text
from aether.codes import Status
from aether.migrate.engine import check_options, migrate_text
from aether.syntax import legacy as LG
from test_migrate_parses_once import CASES


def _known(text: str):
    return check_text(text, "input.aether", check_options())


def _counting_scans(monkeypatch) -> Counter:
    calls: Counter = Counter()
    real = LG.scan_legacy

    def counting(t, parses=False):
        calls[t] += 1
        return real(t, parses)

    monkeypatch.setattr(LG, "scan_legacy", counting)
    return calls


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_a_file_known_not_clean_is_not_scanned_again(case, monkeypatch):
    text = (case / "before.aether").read_text(encoding="utf-8")
    reference = migrate_text(text, "input.aether")
    known = _known(text)
    calls = _counting_scans(monkeypatch)
    outcome = migrate_text(text, "input.aether", before=known)
    assert outcome.to_dict() == reference.to_dict()
    assert outcome.text == reference.text
    if any(f.status == Status.PARSE_ERROR and f.rule != "AE204" for f in known.findings):
        assert calls[text] == 0
    else:
        assert calls[text] == 1


@pytest.mark.parametrize("text", [
    'goal: "g"\nif x > 1\n    log(x\n',  # syntax errors only: the check before is redone
    'goal: "g"\nlog(1)\n',  # clean: scanned, the cheap path
    'goal: "g"\nlog(1)   \n',  # clean, whitespace to tidy
    'intent: "g"\nlog(1)\n',  # a legacy construct the grammar reads
    'goal "g"\n{ log(1) }\n',
])
def test_after_a_check_is_the_plain_migration(text, monkeypatch):
    reference = migrate_text(text, "input.aether")
    known = _known(text)
    calls = _counting_scans(monkeypatch)
    checked: dict = {}
    outcome = migrate_text(text, "input.aether", before=known, checked=checked)
    assert outcome.to_dict() == reference.to_dict()
    assert outcome.text == reference.text
    if "before" in checked:  # made here after all: as the check itself makes it
        assert checked["before"] == known
    assert calls[text] <= 1


def _reference_bracket_lines(text: str) -> tuple[set[int], set[int]]:
    """The walk over every string, comment, bracket and newline token (before issue 15)."""
    inside: set[int] = set()
    open_at_end: set[int] = set()
    depth, line = 0, 1
    for m in re.finditer(LG._STRINGS + r"|#[^\n]*|[()\[\]\n]", text):
        tok = m.group()
        if tok == "\n":
            if depth:
                open_at_end.add(line)
                inside.add(line + 1)
            line += 1
        elif tok in "([":
            depth += 1
        elif tok in ")]":
            depth = max(depth - 1, 0)
    return inside, open_at_end


_PIECES = st.sampled_from(["(", ")", "[", "]", "{", "}", "\n", '"', "'", "#", "a", " ",
                           "\\", '"x(y"', "'[z'", "# (", "f(", "end", "\\'", '\\"'])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_bracket_lines_are_the_token_walks(text):
    assert LG._bracket_lines(text) == _reference_bracket_lines(text)


def test_bracket_lines_of_a_long_text_without_brackets():
    text = 'x: "a(" # (\n' * 3000 + '"unclosed\n' + "y\n" * 3000
    assert LG._bracket_lines(text) == (set(), set())
    text = "f(\n" + 'a "b" # c\n' * 3000
    inside, open_at_end = LG._bracket_lines(text)
    assert open_at_end == set(range(1, 3002)) and inside == set(range(2, 3003))


# ------------------------------------------------------------ findings copied by hand

def test_locate_and_fingerprints_copy_every_field_as_replace_does():
    # _locate and assign_fingerprints build each finding field by field (the generic
    # replace cost twice as much): a field added to Finding must be copied there too
    from aether.checker import _locate
    from aether.diagnostics import Finding
    from aether.fingerprint import _numbered, _prefix, assign_fingerprints, legacy_fingerprint

    assert Finding._fields == ("rule", "message", "line", "column", "end_line", "end_column",
                               "hint", "anchor", "content", "fingerprint",
                               "legacy_fingerprint")
    text = 'goal: "g"\nfn f(a):\n    if a:\n        log(nope)  # x\n'
    found = [Finding("AE302", "'nope' is not bound here", 4, 13, 4, 17, "did you mean"),
             Finding("AE301", "unknown function 'q'", None, None, None, None, None),
             Finding("AE301", "unknown function 'q'", 9, 1, 9, 2, "h", fingerprint="x"),
             Finding("AE312", "no goal", 1, 1, 1, 2, None, "kept", "kept too")]
    located = _locate(found, text)
    assert located == [found[0].with_(anchor="fn:f/if", content="log(nope) # x"),
                       found[1].with_(anchor="", content=""),
                       found[2].with_(anchor="", content=""), found[3]]
    printed = assign_fingerprints("p.aether", located)
    expected = []
    seen: Counter = Counter()
    for f in sorted(located, key=Finding.sort_key):
        key = (f.rule, f.anchor, f.content)
        expected.append(f.with_(
            fingerprint=_numbered(_prefix(f.rule, "p.aether", f.anchor, f.content), seen[key]),
            legacy_fingerprint=legacy_fingerprint(f.code_name, f.line, f.message)))
        seen[key] += 1
    assert printed == expected
    assert all(type(f) is Finding for f in located + printed)


def test_a_whole_file_hidden_lists_no_lines():
    # a brace-dialect file was unreadable as a whole: its lines are not walked one by one
    from aether.migrate.engine import _invisible_lines

    text = 'plugin demo {\n    fn run() {\n        log("x")\n    }\n}\n'
    before = _known(text)
    assert any(f.rule == "AE209" for f in before.findings)
    assert _invisible_lines(text, before) == (set(), True)
    outcome = migrate_text(text, "input.aether", before=before)
    assert outcome.to_dict() == migrate_text(text, "input.aether").to_dict()


_LINE_PIECES = st.sampled_from(["intent", "plugin", "agent", ":", " ", "\t", "x", "(1)",
                                "# c", "on", "off", "\n", "  plugin", "git_log", "5", '"s"'])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_LINE_PIECES, max_size=20).map("".join))
def test_the_parseable_scan_at_candidate_lines_is_the_scan_at_every_line(text):
    every = [(m.span(), m.lastgroup) for m in LG._scanner(True).finditer(text)]
    assert [(m.span(), m.lastgroup) for m in LG._matches(text, True)] == every


# ------------------------------------------------------------ the comment check

def _reference_lost_comment(text, new):
    """_lost_comment as it was: both texts scanned, then the comments compared."""
    from aether.migrate.engine import _comment_words, _comments

    old = _comments(text)
    got_list = _comments(new) if old is not None else None
    if old is None or got_list is None:
        return None
    if len(old) <= len(got_list):
        return None
    got = Counter(_comment_words(c) for _line, c in got_list)
    for line, c in old:
        key = _comment_words(c)
        if got[key]:
            got[key] -= 1
        else:
            return line
    return old[-1][0]


_COMMENT_PIECES = st.sampled_from(["a", " ", "#", "# x", "//", "a//b", "\"#\"", "'//'", "\"",
                                   "`", "\n", "# y\n", "x = 1", "\\", "'#'", "\t", "\v",
                                   "\u00a0"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_COMMENT_PIECES, max_size=12).map("".join),
       st.lists(_COMMENT_PIECES, max_size=12).map("".join))
def test_lost_comment_decides_as_the_two_scans(text, new):
    from aether.migrate.engine import _lost_comment

    assert _lost_comment(text, new) == _reference_lost_comment(text, new)


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_the_original_is_scanned_for_comments_only_when_it_could_hold_more(case,
                                                                           monkeypatch):
    from aether.migrate import engine as E

    text = (case / "before.aether").read_text(encoding="utf-8")
    reference = migrate_text(text, "input.aether")
    scanned: list = []
    checked: list = []
    real_scan, real_check = E._comments, E._lost_comment
    monkeypatch.setattr(E, "_comments", lambda t: scanned.append(t) or real_scan(t))
    monkeypatch.setattr(E, "_lost_comment",
                        lambda t, new: checked.append((t, new)) or real_check(t, new))
    outcome = migrate_text(text, "input.aether")
    assert outcome.to_dict() == reference.to_dict()
    for old, new in checked:
        most = old.count("#") + old.count("//")
        got = real_scan(new)
        if got is not None and most <= len(got):
            assert old not in scanned
        if most <= E._line_comments(new):
            assert scanned == []  # neither text


_SRC_LINES = st.lists(st.sampled_from(["x: 1", "  if a:", "    log(b)  # c", "", "fn f(a):",
                                       "  - q:", "# note", "\tfor x in y:", "else:"]),
                      min_size=1, max_size=12).map("\n".join)
_FINDINGS = st.lists(st.tuples(st.sampled_from(["AE301", "AE302", "AE312", "AE201"]),
                               st.one_of(st.none(), st.integers(-1, 14)),
                               st.sampled_from(["", "preset"])), max_size=8)


@settings(max_examples=800, deadline=None)
@given(_SRC_LINES, _FINDINGS)
def test_fingerprints_given_the_places_are_those_of_the_located_findings(text, specs):
    # check_text locates and fingerprints each finding in one copy: the same findings as
    # locating them (_locate), then fingerprinting those
    from aether.checker import _locate, _places
    from aether.diagnostics import Finding
    from aether.fingerprint import assign_fingerprints

    found = [Finding(rule, f"m{k}", line, 1, line, 2, None, "a" if content else "", content)
             for k, (rule, line, content) in enumerate(specs)]
    assert assign_fingerprints("p", found, _places(found, text)) == \
        assign_fingerprints("p", _locate(found, text))


def test_a_suppressed_finding_and_an_unused_suppression_are_located():
    text = ('goal: "g"\nfn f(a):\n    log(nope)  # aether: ignore[AE302]\n'
            '    log(1)  # aether: ignore[AE301]\n')
    result = check_text(text, "x.aether")
    assert [(f.rule, f.anchor, f.content) for f in result.suppressed] == \
        [("AE302", "fn:f", "log(nope) # aether: ignore[AE302]")]
    assert [(f.rule, f.anchor, f.content) for f in result.findings] == \
        [("AE319", "fn:f", "log(1) # aether: ignore[AE301]")]


@settings(max_examples=1500, deadline=None)
@given(st.lists(_COMMENT_PIECES, max_size=16).map("".join))
def test_lines_opening_with_a_comment_are_no_more_than_the_comments(text):
    from aether.migrate.engine import _comments, _line_comments

    found = _comments(text)
    if found is not None:
        assert _line_comments(text) <= len(found)
        assert _line_comments(text) == sum(
            1 for line in text.split("\n") if line.lstrip(" \t\f\v").startswith("#"))
