"""The fast paths of the legacy tokenizer, the legacy parser and the section rewrite
(issue 15 item 3) give what the plain ones gave.

- the tokenizer takes each token with the blanks before it (one match per token, not a
  second one per run of blanks) and gives the tokens the old two-step loop gave;
- the parser reads a one-token expression before a token that ends it (``f(a, "b")``,
  ``x = 5``) without the lambda tests and the binary-operator loop, and builds the same
  tree;
- a command line (``think "x"``) is not tried as an assignment or expression statement,
  and a name operand is made without a ``_primary``/``_postfix`` call; the same trees;
- the section rewrite hands back a text it has nothing to rewrite in as it is;
- M037 finds the names the file takes and the calls to rename in one walk of the module.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from aether.migrate import parser as P
from aether.migrate import tokens as T
from aether.migrate import ir
from aether.migrate.engine import migrate_text

# ------------------------------------------------------------------ the tokenizer

# The tokenizer as it was: a run of blanks is a match of its own.
_OLD = re.compile(r"""
    (?P<WS>[ \t\f\v]+)
  | (?P<NL>\n)
  | (?P<COMMENT>\#[^\n]*)
  | (?P<SLASHCOMMENT>//[^\n]*)
  | (?P<STR>[fF]?"[^"\\\n]*(?:\\.[^"\\\n]*)*"|[fF]?'[^'\\\n]*(?:\\.[^'\\\n]*)*')
  | (?P<BADSTR>["'`])
  | (?P<HEX>0[xX][0-9a-fA-F]+)
  | (?P<DUR>\d[\d_]*(?:\.\d+)?(?:ms|s|m|h)(?![\w]))
  | (?P<PCT>\d[\d_]*(?:\.\d+)?%(?![\w(\d]))
  | (?P<NUMWORD>(?!\d[\d_]*[eE][+-]?\d+(?![\w]))\d[\d_]*[A-Za-z_]\w*)
  | (?P<NUM>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<WORD>[A-Za-z_$][\w$]*|[^\W\d][\w$]*)
  | (?P<OP>""" + "|".join(re.escape(o) for o in T._OPS) + r"""|.)
""", re.X)


def _reference_tokenize(text: str) -> list[tuple]:
    toks: list[tuple] = []
    line, line_start, bol, indent, prev_ws = 1, 0, True, 0, True
    for m in _OLD.finditer(text):
        kind = m.lastgroup
        start, end = m.start(), m.end()
        if kind == "WS":
            prev_ws = True
            continue
        if kind == "NL":
            toks.append(("NL", "\n", line, start - line_start + 1, start, end, bol, indent))
            line, line_start, bol, prev_ws = line + 1, end, True, True
            continue
        col = start - line_start + 1
        if bol:
            lead = text[line_start:start]
            indent = len(lead.expandtabs(T.TAB_SIZE)) if "\t" in lead else len(lead)
        value = m.group()
        if kind == "SLASHCOMMENT":
            if not prev_ws and not bol:
                toks.append(("OP", "/", line, col, start, start + 1, bol, indent))
                toks.append(("OP", "/", line, col + 1, start + 1, start + 2, False, indent))
                try:
                    rest = _reference_tokenize(text[start + 2:end])[:-1]
                except T.LexError as exc:  # where it stands in the line, not in the rest
                    raise T.LexError("bad", line, col + 2 + exc.column - 1) from None
                for t in rest:
                    if t[0] != "NL":
                        toks.append((t[0], t[1], line, col + 2 + t[3] - 1, start + 2 + t[4],
                                     start + 2 + t[5], False, indent))
                bol = prev_ws = False
                continue
            kind = "COMMENT"
        elif kind == "BADSTR":
            raise T.LexError("bad", line, col)
        elif kind == "HEX":
            kind = "NUM"
        elif kind == "NUMWORD":
            kind = "WORD"
        if kind == "COMMENT":
            value = value.rstrip()
        toks.append((kind, value, line, col, start, end, bol, indent))
        bol = prev_ws = False
    if not toks or toks[-1][0] != "NL":
        toks.append(("NL", "\n", line, len(text) - line_start + 1, len(text), len(text), bol,
                     indent))
        line += 1
    toks.append(("EOF", "", line, 1, len(text), len(text), True, 0))
    return toks


def _fields(toks) -> list[tuple]:
    return [(t.kind, t.text, t.line, t.col, t.start, t.end, t.bol, t.indent) for t in toks]


# tokens against the two-step loop on random texts: tests/test_migrate_speed_tokens.py
# (a wider alphabet), which imports the reference above


def test_one_match_per_token():
    text = "x  =   f( a ,  b )   # note  \n\tif  y :   \n   g()   \n   "
    toks = T.tokenize(text)
    matches = [m.lastgroup for m in T._MASTER.finditer(text)]
    # one match per token but the EOF the tokenizer adds, then END for the blanks after
    # the last newline (the old loop matched each run of blanks apart: 28 matches)
    assert matches.index("END") == len(toks) - 1
    assert _fields(toks) == _reference_tokenize(text)


# ------------------------------------------------------------------ the parser

def _dump(node):
    if isinstance(node, (list, tuple)):
        return [_dump(x) for x in node]
    if isinstance(node, dict):
        return {k: _dump(v) for k, v in node.items()}
    if isinstance(node, T.Tok):
        return _fields([node])[0]
    if hasattr(type(node), "__mro__") and type(node).__module__ == ir.__name__:
        slots = [s for c in type(node).__mro__ for s in getattr(c, "__slots__", ())]
        fields = dict(getattr(node, "__dict__", {}))
        fields.update({s: getattr(node, s) for s in slots if hasattr(node, s)})
        return (type(node).__name__, {k: _dump(v) for k, v in sorted(fields.items())})
    return node


def _parse(text: str):
    try:
        return _dump(P.Parser(T.tokenize(text), text).module())
    except (ir.Unconvertible, T.LexError) as exc:
        return ("error", str(exc), getattr(exc, "line", None))


_ATOMS = st.sampled_from(["a", "b.c", "1", "2s", "80%", "0x10", '"s"', "true", "None", "not",
                          "if", "lambda", "function", "call", "new", "await", "x => 1",
                          "-1", "(a)", "[1, 2]", "{k: 1}", "f(a)", "a + b", "a if b else c",
                          "a ? b : c", "a..b", "a ** 2", "a[1]", "a.b()", "x in y"])
_ENDS = st.sampled_from([",", ")", "]", "}", "\n", "  # c\n", "\n    .f()\n", "\n.g\n", ":",
                         " else 1\n", " for x in y)", "=", ""])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x = ", "f(", "[", "{k: ", "log(a, ", "return ",
                                           "if ", "y: ", "- ", "f(k=", ""]),
                          _ATOMS, _ENDS), min_size=1, max_size=4))
def test_the_fast_path_builds_the_same_tree(parts):
    text = "".join(a + b + c for a, b, c in parts) + "\n"
    fast = _parse(text)
    kinds = P._ATOM_KINDS
    P._ATOM_KINDS = frozenset()  # no one-token fast path
    try:
        plain = _parse(text)
    finally:
        P._ATOM_KINDS = kinds
    assert fast == plain


def test_one_token_arguments_skip_the_precedence_levels(monkeypatch):
    calls = []
    real = P.Parser._binary  # the binary operators (precedence climbing)
    monkeypatch.setattr(P.Parser, "_binary",
                        lambda self, power: calls.append(power) or real(self, power))
    text = 'f(a, 1, "s", 2s)\nx = 5\n'
    tree = _parse(text)
    assert calls == []  # the four arguments and the 5 are one token each
    monkeypatch.setattr(P, "_ATOM_KINDS", frozenset())
    assert _parse(text) == tree and len(calls) == 5


@pytest.mark.parametrize("text", [
    'x = a\n    .strip()\n', 'log(a, b)  // c\n', 'if a\n    f(b)\nend\n',
    'y = not\n', 'z = [lambda]\n', 'call foo\n', 'v = {a: b, c: d}\n'])
def test_migration_unchanged_by_the_fast_path(text, monkeypatch):
    fast = migrate_text(text, "t.aether")
    monkeypatch.setattr(P, "_ATOM_KINDS", frozenset())
    plain = migrate_text(text, "t.aether")
    assert fast.to_dict() == plain.to_dict() and fast.text == plain.text


# ------------------------------------------------------------------ the section rewrite

def test_a_text_with_nothing_to_rewrite_comes_back_as_it_is():
    from aether.migrate.convert.context import _Ctx
    from aether.migrate.convert.sections import rewrite_sections

    text = 'goal: "g"\nx: 1\nlog(x)\n'
    ctx = _Ctx(text, T.tokenize(text))
    new, where = rewrite_sections(ctx, text, [1, 2])
    assert new is text  # no pass over its lines, no copy (the parse memo finds it)
    assert where == [1, 2, 0, 0] and ctx.rules == {}
    edited = 'goal: "g"\nidentity:\n    name: "a"\n'
    got, where = rewrite_sections(ctx, edited, [1, 2, 3, 4])
    assert got == 'goal: "g"\nidentity: {\n    name: "a",\n}\n' and where == [1, 2, 3, 3, 4]


# ------------------------------------------------------------------ the handler calls (M037)

def test_handler_calls_are_renamed_in_one_walk(monkeypatch):
    from pathlib import Path

    from aether import ast as A

    case = Path(__file__).parent / "migrate_golden" / "M037-handler-calls"
    text = (case / "before.aether").read_text(encoding="utf-8")
    want = (case / "after.aether").read_text(encoding="utf-8")
    from aether.migrate.convert import handlers

    walks = []
    real_walk = A.walk
    real_rename = handlers.rename_handler_calls

    def rename(ctx, text, origins):
        monkeypatch.setattr(A, "walk", lambda node: walks.append(node) or real_walk(node))
        try:
            return real_rename(ctx, text, origins)
        finally:
            monkeypatch.setattr(A, "walk", real_walk)

    from aether.migrate.convert import whole_file

    monkeypatch.setattr(whole_file, "rename_handler_calls", rename)
    out = migrate_text(text, "input.aether")
    assert out.text == want and "M037" in out.rules
    assert len(walks) == 1  # the names the file takes and the calls, in one walk


# ------------------------------------------------------------------ command lines, operands

_LINE_HEADS = st.sampled_from(["think", "log", "call", "if", "true", "None", "for", "end",
                               "return", "x", "f", "when", "store", "plugin"])
_LINE_REST = st.sampled_from(['"s"', "1", "2s", "80%", "y", "z.w", "(a)", "= 1", "+= 2",
                              "++", ": 3", ".m(1)", "[0]", "{", "}", "# c", "// c", "and b",
                              "not", "in q", "else", ","])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "    "]), _LINE_HEADS,
                          st.lists(_LINE_REST, max_size=3)), min_size=1, max_size=4))
def test_command_lines_parse_as_without_the_shortcut(lines):
    # a name before a word, string or number (`think "x"`) is not tried as an assignment
    # or expression statement: the shortcut and the plain reading give the same tree
    text = "".join(ind + head + "".join(" " + r for r in rest) + "\n"
                   for ind, head, rest in lines)
    fast = _parse(text)
    kinds = P._ATOM_KINDS
    P._ATOM_KINDS = frozenset()  # no shortcut (nor the one-token expression path)
    try:
        plain = _parse(text)
    finally:
        P._ATOM_KINDS = kinds
    assert fast == plain


def test_a_command_line_and_a_plain_operand_cost_no_parse_calls(monkeypatch):
    calls = []
    for name in ("_primary", "_postfix"):
        real = getattr(P.Parser, name)
        monkeypatch.setattr(P.Parser, name, lambda self, *a, _real=real, _name=name:
                            calls.append(_name) or _real(self, *a))
    tree = _parse('think "x" 1\nlog y\n')
    assert calls == []  # no assignment tried on a command line
    assert [s[1]["kind"] for s in tree] == ["raw", "raw"]
    _parse("f(a + b - d)\n")
    # the statement's first name is read by _primary and _postfix (it might be `f.g(...)`
    # or `x = ...`); each name operand is made in _binary, with no _postfix call after it
    # (there is one before a line end: a chain may go on on the next line)
    assert calls == ["_primary", "_postfix"]
    del calls[:]
    tree = _parse("x = a.b + f(c)\n")
    assert calls == ["_primary", "_postfix", "_postfix", "_postfix"]  # x, `.b`, `(c)`
    assert tree[0][1]["value"] == ("Bin", {
        "left": ("Member", {"attr": "b", "line": 1, "value": ("Name", {"id": "a", "line": 1})}),
        "line": 1, "op": "+", "right": ("Call", {
            "args": [("Name", {"id": "c", "line": 1})], "comments": {}, "func": (
                "Name", {"id": "f", "line": 1}), "kwargs": [], "line": 1, "multiline": False})})


# ------------------------------------------------------------------ linear time

class _CountingList(list):
    """A token list that counts its reads by index (the parser reads tokens only so)."""

    reads = 0

    def __getitem__(self, index):
        _CountingList.reads += 1
        return list.__getitem__(self, index)


def _token_reads(text: str):
    _CountingList.reads = 0
    tree = _dump(P.Parser(_CountingList(T.tokenize(text)), text).module())
    return _CountingList.reads, tree


@pytest.mark.parametrize("make", [
    lambda n: "if x\n" * n,  # headers without a body: each looked for an `end` line
    lambda n: "when ready\n" * n,  # to the end of the file
    lambda n: "if x:\n    a = 1\n" + "# note\n" * n + "    b = 2\n",  # each comment looked
])  # past the rest of the run for the next code line
def test_parse_reads_each_token_a_bounded_number_of_times(make):
    small, tree = _token_reads(make(500))
    large, _ = _token_reads(make(2000))
    assert large < 6 * small  # 4 times the text: linear is 4x, the old parse was 16x
    assert tree == _parse(make(500))


class _ScanningParser(P.Parser):
    """_back_to_depth as the header scan did it: token by token."""

    def _back_to_depth(self, j, depth):
        toks = self.toks
        while True:
            t = toks[j]
            if t.kind == "EOF" or depth == 0 and (
                    t.kind in P._SKIPPED or t.kind == "OP" and t.text == "{"):
                return j
            if t.kind == "OP" and t.text in P._OPEN_BRACKETS:
                depth += 1
            elif t.kind == "OP" and t.text in P._CLOSE_BRACKETS:
                depth -= 1
            j += 1


_HEADER_PIECES = st.sampled_from(["if", "when", "x", "f", ")", "(", "{", "}", "[", "]", ":",
                                  ",", "1", "end", "  # c", "\n", "\n    ", "\n\n", "else"])


@settings(max_examples=600, deadline=None)
@given(st.lists(_HEADER_PIECES, max_size=30).map(" ".join))
def test_headers_with_stray_closers_read_as_by_the_scan(text):
    text += "\n"

    def parse(cls):
        try:
            return _dump(cls(T.tokenize(text), text).module())
        except ir.Unconvertible as exc:
            return ("error", str(exc), exc.line)

    assert parse(P.Parser) == parse(_ScanningParser)
    toks = T.tokenize(text)
    fast, scan = P.Parser(toks, text), _ScanningParser(toks, text)
    for j in range(len(toks)):
        for depth in (-1, -2, -3):
            assert fast._back_to_depth(j, depth) == scan._back_to_depth(j, depth)


def test_headers_with_stray_closers_take_linear_time():
    small, tree = _token_reads("if x)\n" * 500)
    large, _ = _token_reads("if x)\n" * 2000)
    assert large < 6 * small  # each header's scan ran on to the end of the file: 16x
    assert tree == _parse("if x)\n" * 500)
