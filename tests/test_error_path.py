"""Files with syntax errors check at close to the speed of clean ones (issue 15, item 2):
the steps only they need (the full legacy scan, locating the syntax errors, the masked
lines, following a bracket to where it closes) do work in proportion to what they look
at, not to the file. Counted (lines read, matches taken), never timed; each faster step
is compared with the plain one it replaces."""

from __future__ import annotations

import re

import pytest

from hypothesis import given
from hypothesis import strategies as st

from aether import checker
from aether.checker import Finding, _iter_lines, _lines_at, _locate, _masked_lines, _scan_lines
from aether.syntax import legacy
from aether.syntax.errors import AetherSyntaxError
from aether.syntax.lalr import UnexpectedToken
from aether.syntax.parser import _CLOSE, _OPEN, _close_line, get_parser
from test_parser_properties import FRAGMENTS, SETTINGS

# ------------------------------------------------------------------ the legacy scan

# Line pieces that reach every alternative of the legacy patterns, and near misses.
_WORDS = ["intent", "goal", "define", "end", "when", "on", "plugin", "let", "remember",
          "recall", "think", "suggest", "reflect", "learn", "analyze", "verify", "optimize",
          "adapt", "agent", "if", "elif", "else", "while", "for", "try", "catch", "fn",
          "workflow", "meta", "policy", "require", "parallel", "transaction", "on_error",
          "steps", "plugin_contract", "do", "return", "x", "as", "in", "event", "from",
          "off", "plugin.x", "_"]
_PIECES = _WORDS + [" ", " ", "\t", ":", "{", "}", "-", "=", '"', "'", "#", "(", ")", "a b",
                    "1", ".", "\f", "\u00a0"]
_LINE = st.tuples(st.sampled_from(["", "", " ", "    ", "\t", " \t"]),
                  st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)).map("".join)
_TEXT = st.lists(_LINE, max_size=12).map("\n".join)


def _plain_scan() -> re.Pattern:
    return legacy._compile([name for name, _ in legacy._PATTERNS])


@SETTINGS
@given(_TEXT)
def test_the_candidate_lines_find_what_the_plain_scan_finds(text):
    plain = [(m.start(), m.lastgroup, m.end()) for m in _plain_scan().finditer(text)]
    assert [(m.start(), m.lastgroup, m.end()) for m in legacy._matches(text, False)] == plain


# Every word above, in every position the full scan's patterns give meaning to: after
# `}` / `-` / `name =`, with each separator, followed by each kind of rest of the line.
_LEADS = ["", "} ", "}", "- ", "-\t", "x = ", "x=", "a.b = ", "return "]
_SEPS = ["", " ", "\t", ":", " :", ": ", "  ", "."]
_RESTS = ["", "x", "x y", "x:", "x :", "x:  ", "x: # c", "x # c", "# c", "{", " {", "{ # c",
          "{}", "x {", '"s"', "'s'", "(x)", "x(y)", "event x:", "on", "x in y", "x in y:",
          "x as 'a'", "x as \"a\"", "= remember x", "on x", "from x", "off", "1", "x -",
          "when x"]


def test_the_candidate_lines_find_what_the_plain_scan_finds_for_every_word():
    lines = [f"{indent}{lead}{word}{sep}{rest}"
             for indent in ("", "    ") for lead in _LEADS for word in _WORDS
             for sep in _SEPS for rest in _RESTS]
    for text in ("x: 1\n" + "\n".join(lines),  # all in one text: merged in order
                 "\n".join(lines[::7]), "\n".join(lines[3::11]) + "\n",
                 # texts without one of the words that call for a search of their own
                 "\n".join(x for x in lines[::3] if "remember" not in x),
                 "\n".join(x for x in lines[1::3] if "recall" not in x),
                 "\n".join(x for x in lines[2::3] if "{" not in x)):
        plain = [(m.start(), m.lastgroup, m.end()) for m in _plain_scan().finditer(text)]
        assert len(plain) > len(text) // 2000  # the lines do reach the patterns
        assert [(m.start(), m.lastgroup, m.end())
                for m in legacy._matches(text, False)] == plain


class _CountingScan:
    """A compiled pattern that counts the lines it is tried at (finditer: every line)."""

    def __init__(self, real: re.Pattern):
        self.real = real
        self.lines = 0

    def match(self, text, pos=0):
        self.lines += 1
        return self.real.match(text, pos)

    def finditer(self, text):
        self.lines += text.count("\n") + 1
        return self.real.finditer(text)


def test_the_full_legacy_scan_is_tried_only_at_candidate_lines(monkeypatch):
    body = "".join(f"value_{i}: compute(item_{i}, limit={i})\nlog(value_{i})\n"
                   for i in range(1000))
    text = 'goal: "g"\n' + body + "x: $\nend\n"
    counting = _CountingScan(legacy._scanner(False))
    monkeypatch.setattr(legacy, "_SCAN_FULL", counting)
    hits = legacy.scan_legacy(text)
    assert [(h.rule, h.line) for h in hits] == [("AE206", 2003)]
    assert counting.lines <= 5  # the first line and the candidates, not 2,004 lines



class _CountingRfind(str):
    """A text that counts the characters its ``rfind`` calls may search."""

    searched = 0

    def rfind(self, sub, start=0, end=None):
        end = len(self) if end is None else end
        _CountingRfind.searched += max(end - start, 0)
        return str.rfind(self, sub, start, end)


@pytest.mark.parametrize("line", ["a = recall t ", "b = remember 1 as 't' ", "{ # "])
def test_candidates_many_to_a_line_cost_one_search_back_per_line(line):
    # A hostile line holding the brace or memory candidate thousands of times: a search
    # back to the line's start for each of them made the scan quadratic in the line.
    for n in (200, 2000):
        text = "x: 1 +\n" + line * n + "\n" + line * n
        _CountingRfind.searched = 0
        found = [(m.start(), m.lastgroup, m.end())
                 for m in legacy._matches(_CountingRfind(text), False)]
        assert found == [(m.start(), m.lastgroup, m.end())
                         for m in legacy._scanner(False).finditer(text)]
        assert _CountingRfind.searched <= 2 * len(text)  # not once per candidate


# ------------------------------------------------------------------ the error's wording

_ALL_TERMINALS = sorted({t for row in get_parser()[0].states for t in row
                         if t.isupper() or t == "$END"})


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_the_shared_walk_accepts_what_a_walk_per_terminal_accepts(text):
    """The terminals an error message names are found by one walk shared by the terminals
    whose reductions agree (Parser.accepted): the same as one walk each (accepts), from
    the stack of the error in the text and in each of its beginnings (cut anywhere: the
    parser stops at the end of the text in every kind of state)."""
    parser, scanner = get_parser()
    text = text.replace("\r", "\n").replace("\ufeff", "")
    for cut in range(len(text), -1, -1):
        try:
            parser.parse(scanner.scan(text[:cut]))
        except UnexpectedToken as exc:
            for types in (_ALL_TERMINALS, exc.expected):
                assert parser.accepted(exc.stack, types) == \
                    {t for t in types if parser.accepts(exc.stack, t)}
        except AetherSyntaxError:
            pass
    assert parser.accepted((), _ALL_TERMINALS) == set()


# ------------------------------------------------------------------ locating findings

_INDENTS = ["", "", " ", "  ", "    ", "        ", "\t", "\f", " \u00a0"]
_CODE = ["x: 1", "if a:", "for x in y:", "fn f(a):", "# c", "", "else:", "try:  # z",
         "w:", "- a:", "catch e:", "foo(  # :", "a # b:", "q:  ", "fn:", "- b"]
_SOURCE = st.lists(st.tuples(st.sampled_from(_INDENTS), st.sampled_from(_CODE))
                   .map("".join), min_size=1, max_size=40).map("\n".join)


@SETTINGS
@given(_SOURCE, st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_lines_are_located_as_one_pass_locates_them(text, wanted):
    n = text.count("\n") + 1
    targets = sorted({min(w, n) for w in wanted})
    assert _lines_at(text, targets) == _scan_lines(_iter_lines(text), targets)


@SETTINGS
@given(st.lists(st.integers(0, 300), min_size=1, max_size=700), st.data())
def test_skipping_lines_finds_the_offset_a_split_finds(lengths, data):
    """_skip_lines over lines short and long: a window that holds the lines wanted, one
    that does not (the rest counted on), and the plain find per line."""
    text = "\n".join("x" * n for n in lengths)
    lines = text.split("\n")
    start = data.draw(st.integers(0, len(lines) - 1), label="start")
    k = data.draw(st.integers(0, len(lines) - 1 - start), label="k")
    pos = sum(map(len, lines[:start])) + start
    assert checker._skip_lines(text, pos, k) == pos + sum(map(len, lines[start:start + k])) + k


@pytest.mark.parametrize("width", [0, 1, 25, 63, 64, 65, 200, 9000])
def test_skipping_lines_of_every_width_finds_the_offset_a_split_finds(width):
    text = "\n".join("x" * width for _ in range(600))
    for start in (0, 1, 7):
        pos = start * (width + 1)
        for k in (0, 1, 16, 17, 100, 255, 256, 257, 590):
            assert checker._skip_lines(text, pos, k) == pos + k * (width + 1)


class _CountingText(str):
    """Source text that counts the slices taken of it (a pass over its lines takes one a
    line)."""

    slices = 0

    def __getitem__(self, key):
        if isinstance(key, slice):
            type(self).slices += 1
        return str.__getitem__(self, key)


def _long_file(n: int) -> str:
    return 'goal: "g"\n' + "".join(
        f"fn f_{i}(a):\n    if a > {i}:\n        log(a)\n    return a\n" for i in range(n))


def test_a_finding_is_located_without_a_pass_over_the_lines_before_it():
    text = _long_file(1000) + "fn last(a):\n    for q in a:\n        log(nope)\n"
    line = text.count("\n")
    finding = Finding("AE301", "unknown name 'nope'", line, 13, line, 17)
    _CountingText.slices = 0
    located = _locate([finding], _CountingText(text))
    assert (located[0].anchor, located[0].content) == ("fn:last/for", "log(nope)")
    assert located == _locate([finding], text)
    assert _CountingText.slices < 30  # a few windows and the statement, not 4,000 lines


def test_masked_lines_are_read_without_a_pass_over_the_lines_before_them():
    text = _long_file(1000)
    _CountingText.slices = 0
    got = _masked_lines(_CountingText(text), [(4000, 4001)])
    assert got == ["log(a)", "return a"]
    assert _CountingText.slices < 10


@SETTINGS
@given(st.lists(st.tuples(st.integers(-2, 45), st.integers(-2, 45)), max_size=4),
       st.lists(st.sampled_from(["", " a ", "b", "  c:  ", "\t"]), max_size=40))
def test_masked_lines_are_the_stripped_lines_of_the_ranges(ranges, lines):
    text = "\n".join(lines)
    n = text.count("\n") + 1
    every = text.split("\n")
    expected = [every[i - 1].strip() for a, b in ranges for i in range(max(a, 1),
                                                                       min(b, n) + 1)]
    assert _masked_lines(text, ranges) == expected


def test_the_checker_locates_findings_with_the_walk():
    # check_text's findings are those of the plain pass (located the same way)
    text = _long_file(50) + "fn g(a):\n    if a:\n        log(undefined_thing)\n"
    result = checker.check_text(text, "x.aether")
    lines = text.split("\n")
    assert result.findings
    for f in result.findings:
        anchor, line = _scan_lines(iter(lines), [f.line])[f.line]
        assert f.anchor == anchor


# ------------------------------------------------------------------ brackets

_BRACKET_PIECES = ["(", ")", "[", "]", "{", "}", "\n", "'a(b'", '"x]"', "'open(", '"op[',
                   "# c(", "#", " ", "\t", "\\", "ab", "1.5e3", "3ms", "$", "\r", "é", "==",
                   "'", '"', "a'b'", "\\'", '"\\"(', "x#y(\n", "f(a, b)\n"]


def _plain_close_line(text: str, pos: int, line: int):
    """_close_line over every token of the scanner's master pattern (the reference)."""
    stack: list[str] = []
    for m in get_parser()[1].master.finditer(text, pos):
        kind = m.lastgroup
        if kind == "NL":
            line += 1
        elif kind == "OP":
            value = m.group()
            if value in _OPEN:
                stack.append(value)
            elif value in _CLOSE:
                if not stack or stack.pop() != _CLOSE[value]:
                    return None
                if not stack:
                    return line
    return None


@SETTINGS
@given(st.lists(st.sampled_from(_BRACKET_PIECES), min_size=1, max_size=40).map("".join),
       st.integers(0, 1000))
def test_a_bracket_closes_where_the_tokens_say(text, pick):
    scanner = get_parser()[1]
    opens = [m.start() for m in scanner.master.finditer(text) if m.group() in _OPEN]
    if opens:
        pos = opens[pick % len(opens)]
        expected = _plain_close_line(text, pos, 3)
        assert _close_line(scanner, text, pos, 3) == expected
        assert _close_line(_TokenByToken(scanner), text, pos, 3) == expected


class _TokenByToken:
    """A scanner without ``next_bracket`` (a grammar whose tokens could hold a bracket):
    _close_line then follows ``bracket_scan``."""

    next_bracket = next_closer = None

    def __init__(self, scanner):
        self.bracket_scan = scanner.bracket_scan


class _CountingBrackets:
    """The scanner's bracket patterns, counting the matches taken of ``next_bracket``
    (without ``next_closer``: every bracket is followed)."""

    next_closer = None

    def __init__(self, scanner):
        self.real = scanner.next_bracket
        self.bracket_scan = scanner.bracket_scan
        self.taken = 0

    @property
    def next_bracket(self):
        return self

    def finditer(self, text, pos):
        for m in self.real.finditer(text, pos):
            self.taken += 1
            yield m


def test_a_bracket_never_closed_is_followed_bracket_by_bracket():
    text = "x: f(1,\n" + "".join(f'    "item {i}",  # note\n' for i in range(2000)) + "y: [1]\n"
    counting = _CountingBrackets(get_parser()[1])
    assert _close_line(counting, text, 4, 1) is None
    assert _close_line(counting, text + ")\n", 4, 1) == 2003
    assert counting.taken <= 8  # the brackets and the end, not 6,000 tokens


# ------------------------------------------------------------------ what an error leaves


@pytest.mark.parametrize("line", ["\tlog(x)", 'x: "open', "x: 1 ?", "x: (1]", "log(x))",
                                  "x: 1 2", "if x\n    log(x)"])
def test_a_syntax_error_leaves_nothing_for_the_cyclic_collector(line):
    """Recovery keeps no raised error whose traceback holds the parser's frame: that cycle
    kept the file's tree and lines alive until the collector ran, and made it run (each
    file with a lexical error left about a thousand objects to it)."""
    import gc

    from aether.checker import check_text
    from aether.syntax import parse

    before = "".join(f"step_{i}: run({i})\n" for i in range(5))
    text = 'goal: "g"\n' + before + line + "\n" + before.replace("step", "after")
    parse('goal: "g"\nx: 1 2\n')  # the parser built (its tables: not this test's)
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        result = parse(text)
        assert result.errors
        del result
        assert gc.collect() == 0
        assert check_text(text + "\n", "x.aether").findings
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
