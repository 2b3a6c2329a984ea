"""The cheaper legacy front end (issue 15 item 3) gives what the plain one gave.

- the parser makes its statement nodes without a class call (``_simple``, ``_block``,
  ``_comment``): every field as the node classes' ``__init__`` sets it;
- a parser given its source looks past a line end for a chained call (``.filter(x)``
  opening the next line) only when some line opens with ``.`` or ``?.``: the same tree
  as the parser that looks past every line end, and no look when there is no such line.
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

def _tree(text: str, source: bool):
    try:
        return _dump(P.Parser(T.tokenize(text), text if source else "").module())
    except (ir.Unconvertible, T.LexError) as exc:
        return ("error", str(exc), getattr(exc, "line", None))


_LINES = st.sampled_from([
    "x = a", "x = f(a)", "log(a, b)", "y: b.c", "  .strip()", ".g", "?.h", "    ?.k(1)",
    "  # note", "// note", "", "z = [a,", "  b]", "if a", "end", "..x", "\t.t", "w = a..b",
    "f(a)  // c", "return a", "- a", "x = a +", "  b"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=6))
def test_the_chain_flag_builds_the_tree_of_the_full_look(lines):
    text = "\n".join(lines) + "\n"
    # without its source the parser looks past every line end, as it always did
    assert _tree(text, True) == _tree(text, False)


def test_no_line_opening_with_a_dot_means_no_look_past_line_ends(monkeypatch):
    looks = []
    real = P.Parser._chain_ahead
    monkeypatch.setattr(P.Parser, "_chain_ahead",
                        lambda self, j: looks.append(j) or real(self, j))
    text = "x = a\nlog(a, b)\ny = f(a) // c\nz = a..b\n"
    assert _tree(text, True) == _tree(text, False)
    n = len(looks)
    looks.clear()
    _tree(text, True)
    assert looks == [] and n > 0
    chained = "x = a\n    .strip()\n"
    tree = _tree(chained, True)
    assert looks and tree == _tree(chained, False)
    assert "Member" in repr(tree) and "strip" in repr(tree)
