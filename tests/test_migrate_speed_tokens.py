"""The cheaper legacy tokenizer and layout's token comparison (issue 15 item 3) answer as
the plain ones did.

- every alternative of the tokenizer's regex opens with a character or a character set
  (Python's re tests it before entering the alternative) and the tokens are the ones the
  old two-step loop gave, on a wider alphabet than test_migrate_speed_lexparse's;
- ``Layout.same_tokens`` answers a re-indented statement without tokenizing it, and every
  statement as tokenizing it would.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from aether.migrate import tokens as T
from aether.migrate.convert import layout as L
from aether.migrate.convert.context import _Ctx
from test_migrate_speed_lexparse import _fields, _reference_tokenize

try:  # Python 3.11+
    from re import _constants as _sre_constants, _parser as _sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants
    import sre_parse as _sre_parse


def test_every_alternative_opens_with_a_character_test():
    """An alternative that opens with a group is entered (its marks saved) before its first
    character is read; one that opens with a character or a set is skipped at once."""
    parsed = _sre_parse.parse(T._MASTER.pattern, T._MASTER.flags)
    (blanks, _), (branch, (_, alternatives)) = parsed.data
    assert blanks == _sre_constants.SUBPATTERN  # group 1
    assert branch == _sre_constants.BRANCH
    firsts = [alt.data[0][0] for alt in alternatives]
    assert all(f in (_sre_constants.LITERAL, _sre_constants.IN) for f in firsts[:-1])
    assert firsts[-1] == _sre_constants.AT  # END, only where nothing else matches
    assert len(alternatives) > 20


_CHARS = st.sampled_from(["a", "f", "F", "b1", "_x", "$v", "é", "ß", "\u0663", "1", "0",
                          "0x", "0x1F", "0X", "2s", "2sx", "1.5m", "5ms", "80%", "80%x",
                          "80%(", "3e5", "3e5x", "1e", "10_seconds", "4.", " ", "  ", "\t",
                          "\f", "\v", "\u00a0", "\r", "\n", "\n  ", "\n\t", "#c ", "//",
                          "/", "/=", "a//b", "x //c", '"s t"', "'q'", 'f"x"', "f'y'", '"',
                          "'", "`", '"a\\"b"', "(", ")", "{", "}", "[", "]", ",", ":", "::",
                          ".", "..", "...", "=", "==", "===", "!==", "!=", "=>", "?.", "??",
                          "->", "-", "--", "-=", "+", "++", "*", "**", "**=", "<", "<<",
                          "<=", ">", ">>", "&", "&&", "|", "||", "%", "%=", "\\", ";", "@",
                          "~", "^"])


@settings(max_examples=800, deadline=None)
@given(st.lists(_CHARS, max_size=30).map("".join))
def test_tokens_are_the_two_step_loops(text):
    try:
        want = _reference_tokenize(text)
    except T.LexError as exc:
        with pytest.raises(T.LexError) as got:
            T.tokenize(text)
        assert (got.value.line, got.value.column) == (exc.line, exc.column)
        return
    toks = T.tokenize(text)
    assert _fields(toks) == want
    # Toks (the scanned ones of the no-argument subclass, the NL and EOF added at the end
    # made by the class itself)
    assert all(isinstance(t, T.Tok) for t in toks)


# ------------------------------------------------------------------ Layout.same_tokens

class _Layout(L.Layout):
    def __init__(self, text: str):
        self.ctx = _Ctx(text, T.tokenize(text))


def _by_tokenizing(ctx: _Ctx, first: int, last: int, new_text: str) -> bool:
    src = ctx.tokens(first, last)
    try:
        new = [t for t in T.tokenize(new_text) if t.kind not in ("NL", "COMMENT", "EOF")]
    except T.LexError:
        return False
    return [(t.kind, t.text) for t in src] == [(t.kind, t.text) for t in new]


def _counting(monkeypatch) -> list:
    calls = []
    plain = L.tokenize

    def counted(text):
        calls.append(text)
        return plain(text)

    monkeypatch.setattr(L, "tokenize", counted)
    return calls


def test_a_reindented_statement_is_not_tokenized_again(monkeypatch):
    text = "x = 1\nitems = [\n        \"a\",  # first\n        b,\n    ]\ny = 2\n"
    lay = _Layout(text)
    calls = _counting(monkeypatch)
    assert lay.same_tokens(2, 5, 'items = [\n    "a",  # first\n    b,\n]')
    assert calls == []
    # not the same tokens: a blank inside a line is not skipped ("a" b -> "a"b is the same
    # tokens, but the comparison must tokenize to know it)
    assert lay.same_tokens(2, 5, 'items = [\n    "a", # first\n    b,\n]')
    assert len(calls) == 1
    assert not lay.same_tokens(2, 5, 'items = [\n    "a",\n    c,\n]')


def test_a_comment_inside_the_source_is_no_token():
    """The whitespace comparison reads the source's characters only when no comment is
    among them (the new text drops the comment between the list's lines)."""
    text = 'items = [\n    "a",  # first\n    b\n]\n'
    lay = _Layout(text)
    assert lay.same_tokens(1, 4, 'items = [\n    "a",\n    b\n]')
    assert lay.same_tokens(1, 4, 'items = ["a", b]')
    assert not lay.same_tokens(1, 4, 'items = ["a", c]')


_LINE = st.lists(st.sampled_from(["a", "b", "1", "2s", "80%", "x", '"s"', "'q'", "f",
                                  '"', "(", ")", "[", "]", ",", ":", "=", "/", "//", "#",
                                  "# c", " ", "\t", "\f", "\u00a0", "\r", "\x85", "\u2028",
                                  "."]),
                 max_size=8).map("".join)
_LEAD = st.sampled_from(["", " ", "  ", "    ", "\t", " \t", "\f", "\v", "\u00a0"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_LEAD, _LINE), min_size=1, max_size=5), st.data())
def test_same_tokens_answers_as_tokenizing(lines, data):
    text = "\n".join(lead + body for lead, body in lines) + "\n"
    try:
        lay = _Layout(text)
    except T.LexError:
        return
    first = data.draw(st.integers(1, len(lines)))
    last = data.draw(st.integers(first, len(lines)))
    src = lay.ctx.tokens(first, last)
    if not src:
        return
    old = text[src[0].start:src[-1].end].split("\n")
    # the same lines re-indented, or one of them changed
    leads = data.draw(st.lists(_LEAD, min_size=len(old), max_size=len(old)))
    new = [lead + line.lstrip(" \t\f\v") for lead, line in zip(leads, old)]
    if data.draw(st.booleans()):
        k = data.draw(st.integers(0, len(new) - 1))
        new[k] = data.draw(_LINE)
    new_text = "\n".join(new)
    assert lay.same_tokens(first, last, new_text) == \
        _by_tokenizing(lay.ctx, first, last, new_text)


def test_a_line_of_many_slash_pairs_is_one_scan_not_a_call_each():
    # `a//b` read the rest of its line by a call of its own: a line of n of them cost
    # n**2 / 2 token copies, and past the recursion limit the file was "nested too deeply"
    n = 5000
    text = "x = " + "a//" * n + "b  // note\n"
    toks = T.tokenize(text)
    assert [t.kind for t in toks[-4:]] == ["WORD", "COMMENT", "NL", "EOF"]
    assert len(toks) == 2 + 3 * n + 4
    assert toks[-3].text == "// note" and toks[-4].col == len("x = ") + 3 * n + 1
    calls = []
    real = T._MASTER

    class Counting:
        groups, groupindex = real.groups, real.groupindex

        def finditer(self, *args):
            calls.append(args[1:])
            return real.finditer(*args)

    T._MASTER = Counting()
    try:  # the Python tokenizer's scans (the compiled one makes no call of its own)
        assert [(t.kind, t.text, t.col) for t in T._tokenize_python(text)] == \
            [(t.kind, t.text, t.col) for t in toks]
    finally:
        T._MASTER = real
    assert len(calls) == n + 1  # one scan, restarted after each pair: no nesting


def test_operators_grouped_by_first_character_read_as_the_list_did():
    # the regex groups the longer operators by their first character (`=(?:==?|>)?`):
    # every run of operator characters splits as the list of operators (longest first)
    # split it, wherever the run ends
    chars = sorted({c for op in T._OPS for c in op})
    runs = [a + b + c for a in [""] + chars for b in [""] + chars for c in chars]
    runs += [a + b for a in T._OPS for b in T._OPS]
    for run in runs:
        for text in (run, "x" + run + "y", " " + run + " 1"):
            assert _fields(T.tokenize(text)) == _reference_tokenize(text), text
