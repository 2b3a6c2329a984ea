"""The cheaper legacy front end (issue 15 item 3) gives what the plain one gave.

- the parser makes its statement nodes without a class call (``_simple``, ``_block``,
  ``_comment``): every field as the node classes' ``__init__`` sets it;
- a parser given the tokenizer's list looks past a line end for a chained call
  (``.filter(x)`` opening the next line) only when some line opens with ``.`` or ``?.``
  (``TokList.chained``): the same tree as the parser that looks past every line end (a
  plain list of the tokens), and no look when there is no such line.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from aether.migrate import ir
from aether.migrate import parser as P
from aether.migrate import tokens as T

from tests.test_migrate_speed_lexparse import _dump


def _fields(node) -> dict:
    slots = [s for c in type(node).__mro__ for s in getattr(c, "__slots__", ())]
    missing = [s for s in slots if not hasattr(node, s)]
    assert not missing, f"{type(node).__name__} fields left unset: {missing}"
    return {s: getattr(node, s) for s in slots}


_VALUE = ir.Name("v", 3)


@pytest.mark.parametrize("kw", [
    {}, {"target": _VALUE, "value": _VALUE, "indent": 4},
    {"op": "+=", "value": _VALUE, "options": [("as", _VALUE)], "tokens": ["t"], "indent": 2}])
def test_simple_nodes_have_every_field_the_class_gives(kw):
    made = P._simple("assign", 3, 5, **kw)
    want = ir.Simple("assign", 3, 5, **kw)
    assert type(made) is ir.Simple and _fields(made) == _fields(want)
    # each list field is a list of its own (appended to by the rules)
    assert made.rules is not P._simple("assign", 3, 5, **kw).rules


@pytest.mark.parametrize("kw", [
    {}, {"name": "f", "params": [("a", None)], "indent": 4},
    {"test": _VALUE, "target": "x", "iter": _VALUE, "words": ["w"], "head_tokens": ["h"]}])
def test_block_nodes_have_every_field_the_class_gives(kw):
    made = P._block("fn", 7, **kw)
    want = ir.Block("fn", 7, **kw)
    assert type(made) is ir.Block and _fields(made) == _fields(want)
    assert made.body is not P._block("fn", 7, **kw).body


def test_comment_nodes_have_every_field_the_class_gives():
    made = P._comment("# c", 2, 8)
    assert type(made) is ir.Comment and _fields(made) == _fields(ir.Comment("# c", 2, 8))


# ------------------------------------------------------------------ chained calls

def _tree(text: str):
    try:
        return _dump(P.Parser(T.tokenize(text), text).module())
    except (ir.Unconvertible, T.LexError) as exc:
        return ("error", str(exc), getattr(exc, "line", None))


_LINES = st.sampled_from([
    "x = a", "x = f(a)", "log(a, b)", "y: b.c", "  .strip()", ".g", "?.h", "    ?.k(1)",
    "  # note", "// note", "", "z = [a,", "  b]", "if a", "end", "..x", "\t.t", "w = a..b",
    "f(a)  // c", "return a", "- a", "x = a +", "  b", "v = a.b", "u = -a", "t = a[1]"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=6))
def test_operands_at_line_ends_read_as_when_postfix_looked(lines):
    text = "\n".join(lines) + "\n"
    got = _tree(text)
    # a parser told a chain follows every line end takes _postfix (and the long paths of
    # expr) at each one, and its loop decides, as the parser did before
    real = P.Parser._chain_ahead
    P.Parser._chain_ahead = lambda self, j: True
    try:
        always = _tree(text)
    finally:
        P.Parser._chain_ahead = real
    assert got == always


def test_an_operand_ending_its_line_costs_no_postfix_call(monkeypatch):
    calls = []
    real = P.Parser._postfix
    monkeypatch.setattr(P.Parser, "_postfix",
                        lambda self, value: calls.append(self.toks[self.i].kind) or
                        real(self, value))
    text = "x = a + b\nz = d * e  # note\nlog(f, g + h)\n"
    _tree(text)
    assert calls and "NL" not in calls and "COMMENT" not in calls  # (before: at b, e, h)
    calls.clear()
    chained = "x = a + b\n    .strip()\n"
    tree = _tree(chained)
    assert calls and "strip" in repr(tree) and "Member" in repr(tree)


# ------------------------------------------------------------------ command lines

_COMMAND_LINES = st.sampled_from([
    'think "x"', "log a b", 'ask user "q" (a, b)', "run f(a,", "  b)", "say [1,", "2]",
    "emit x  # note", "do {a: 1}", "go a)", "  nested x", "when a", "end", "",
    "wait 5s", "call a/b", "f a {", "}", "g x:", "   h y"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_COMMAND_LINES, min_size=1, max_size=6))
def test_command_lines_take_the_tokens_the_header_scan_read(lines):
    text = "\n".join(lines) + "\n"
    got = _tree(text)
    real = P.Parser._header_ahead

    def forgetful(self):  # the header scan as before: rest_tokens reads the line again
        head = real(self)
        self._line_scan = None
        return head

    P.Parser._header_ahead = forgetful
    try:
        again = _tree(text)
    finally:
        P.Parser._header_ahead = real
    assert got == again


def test_a_command_line_is_read_once(monkeypatch):
    calls = []
    real = P.Parser.rest_tokens
    monkeypatch.setattr(P.Parser, "rest_tokens", lambda self: calls.append(self.i) or real(self))
    tree = _tree('think "x"\nlog a (b, c)\nsay [1,\n  2]\n')
    assert calls == [11]  # `say`: the line with a line end in its brackets only
    assert [s.tokens[0].text for s in P.Parser(T.tokenize('think "x"\n')).module()] == ["think"]
    assert "raw" in repr(tree)


# ------------------------------------------------------------------ the tokens

def test_scanned_tokens_are_made_without_a_python_call():
    # a Tok subclass whose __init__ is object's: calling it runs no Python frame and
    # takes no argument tuple (object.__new__(Tok) did)
    toks = T.tokenize('x = f(a, "s")  # c\n')
    scanned = {type(t) for t in toks[:-1]}
    assert scanned == {T._Scanned} and issubclass(T._Scanned, T.Tok)
    assert T._Scanned.__init__ is object.__init__ and T._Scanned.__slots__ == ()
    assert [(t.kind, t.text, t.col) for t in toks] == [
        ("WORD", "x", 1), ("OP", "=", 3), ("WORD", "f", 5), ("OP", "(", 6), ("WORD", "a", 7),
        ("OP", ",", 8), ("STR", '"s"', 10), ("OP", ")", 13), ("COMMENT", "# c", 16),
        ("NL", "\n", 19), ("EOF", "", 1)]


_PIECES = st.sampled_from(["a", " ", "(", ")", "[", "]", "\n", "  # c\n", "// d\n", '"s"',
                           ",", ":", "1", "{", "}", "x.y"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=20).map("".join), st.data())
def test_code_tokens_are_the_tokens_without_line_ends_and_comments(text, data):
    toks = T.tokenize(text)
    start = data.draw(st.integers(0, len(toks) - 1))
    end = data.draw(st.integers(max(start, 1), len(toks)))
    assert P._code_tokens(toks, start, end) == [
        x for x in toks[start:end] if x.kind not in ("NL", "COMMENT")]
