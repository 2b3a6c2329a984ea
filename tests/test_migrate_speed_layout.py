"""Speed work on the IR constructors and the layout of rows keeps their results.

``ir.Simple``/``ir.Block`` take explicit keyword parameters (they read ``**kw`` with
``dict.get`` before): every keyword a caller passes is still accepted and the fields left
out get the same defaults, a new list each. ``_layout`` and ``_indent_step`` (layout.py)
do less work per row; their results are compared with the former code, kept here as the
reference, on generated rows.
"""

from __future__ import annotations

import ast
import inspect
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aether.migrate import ir
from aether.migrate.convert.context import Row
from aether.migrate.convert.layout import _indent_step, _layout

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- IR constructors

def _call_keywords(cls_name: str) -> set[str]:
    """The keywords the code under aether/ passes to ``ir.<cls_name>(...)``."""
    found: set[str] = set()
    for path in (ROOT / "aether" / "migrate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == cls_name and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id == "ir":
                assert all(k.arg is not None for k in node.keywords), \
                    f"{path}: ir.{cls_name}(**...) is not checked here"
                found |= {k.arg for k in node.keywords}
    return found


def test_every_keyword_callers_pass_is_a_parameter():
    for cls in (ir.Simple, ir.Block):
        params = set(inspect.signature(cls.__init__).parameters)
        used = _call_keywords(cls.__name__)
        assert used, cls.__name__
        assert used <= params, (cls.__name__, used - params)


def test_simple_defaults_are_those_kw_gave():
    a, b = ir.Simple("expr", 3, 4), ir.Simple("expr", 3, 4)
    assert (a.kind, a.first, a.last, a.target, a.op, a.value, a.body, a.indent, a.text) == \
        ("expr", 3, 4, None, None, None, None, 0, None)
    assert (a.options, a.names, a.tokens, a.value_tokens, a.rules) == ([], [], [], [], [])
    assert (a.synthetic, a.trailing) == (False, None)
    for field in ("options", "names", "tokens", "value_tokens", "rules"):
        assert getattr(a, field) is not getattr(b, field), field
    toks = ["t"]
    s = ir.Simple("bind", 1, 2, target="x", op="=", value=None, tokens=toks, indent=4,
                  value_tokens=toks, options=[1, 2], names=["n"], body=[], text="t")
    assert (s.target, s.op, s.value, s.tokens, s.indent, s.value_tokens, s.options,
            s.names, s.body, s.text) == ("x", "=", None, toks, 4, toks, [1, 2], ["n"], [], "t")
    assert s.tokens is toks


def test_block_defaults_are_those_kw_gave():
    a, b = ir.Block("if", 7), ir.Block("if", 7)
    assert (a.kind, a.first, a.last, a.head_last, a.name, a.test, a.target, a.iter,
            a.catch_name, a.style, a.indent) == ("if", 7, 7, 7, None, None, None, None, None,
                                                  "colon", 0)
    lists = ("params", "body", "orelse", "handler", "cases", "words", "head_tokens",
             "closer_comments", "final", "rules")
    for field in lists:
        assert getattr(a, field) == [], field
        assert getattr(a, field) is not getattr(b, field), field
    assert (a.is_elif, a.lowered, a.synthetic, a.else_line, a.catch_line) == \
        (False, False, False, None, None)
    body = [ir.Comment("# c", 8)]
    c = ir.Block("fn", 2, name="f", params=[("a", None)], body=body, style="brace", indent=2,
                 words=["w"], head_tokens=["h"], orelse=[1], handler=[2], cases=[3],
                 catch_name="e", test="t", target="x", iter="i")
    assert c.body is body
    assert (c.name, c.params, c.style, c.indent, c.words, c.head_tokens, c.orelse, c.handler,
            c.cases, c.catch_name, c.test, c.target, c.iter) == \
        ("f", [("a", None)], "brace", 2, ["w"], ["h"], [1], [2], [3], "e", "t", "x", "i")


# ---------------------------------------------------------------- layout (reference)

def _ref_is_comment_row(r: Row) -> bool:
    return r.text.lstrip().startswith("#")


def _ref_indent_step(src: list[str]) -> int:
    steps: Counter = Counter()
    prev = 0
    for line in src:
        body = line.lstrip()
        if not body or body.startswith(("#", "//")):
            continue
        width = len(line) - len(body)
        if width > prev:
            steps[width - prev] += 1
        prev = width
    return steps.most_common(1)[0][0] if steps else 4


def _ref_layout(ctx, rows):
    src = ctx.src
    widths: dict = {}
    for r in rows:
        if r.verbatim is not None and r.first:
            line = src[r.verbatim - 1]
            widths.setdefault(r.depth, set()).add(len(line) - len(line.lstrip(" ")))
            if "\t" in line[:len(line) - len(line.lstrip())]:
                widths.setdefault(r.depth, set()).add(-1)
    keep = bool(widths) and all(len(v) == 1 and -1 not in v for v in widths.values())
    if keep:
        mapping = {d: next(iter(v)) for d, v in widths.items()}
        ordered = sorted(mapping)
        step = _ref_indent_step(src)
        keep = mapping.get(0, 0) == 0 and all(
            mapping[a] < mapping[b] for a, b in zip(ordered, ordered[1:])) and all(
            mapping[d] == int(d * step) for d in ordered if d == int(d))
        if keep and any(r.verbatim is None and r.depth not in mapping for r in rows):
            keep = False
    if not keep:
        mapping = {}
    out: list = []
    origins: list = []
    last_src = 0
    base_of_stmt: dict = {}
    for r in rows:
        if r.verbatim is not None or r.first:
            anchor = r.verbatim if r.verbatim is not None else r.origin
            if anchor > last_src + 1 and out:
                blanks = [n for n in range(last_src + 1, anchor) if not src[n - 1].strip()]
                if blanks and (not out or out[-1] != ""):
                    out.append("")
                    origins.append(blanks[0])
            last_src = max(last_src, anchor)
        indent = mapping.get(r.depth, int(4 * r.depth)) if keep else int(4 * r.depth)
        if r.verbatim is not None:
            original = src[r.verbatim - 1]
            if original != original.rstrip() or "\t" in original[:len(original) -
                                                              len(original.lstrip())]:
                ctx.hit("M027", r.verbatim)
            line = original.rstrip()
            lead = len(line) - len(line.lstrip())
            if r.first:
                base_of_stmt[r.origin] = lead
                out.append(line if keep else " " * indent + line.lstrip())
            else:
                first_lead = base_of_stmt.get(r.origin, lead)
                if keep:
                    out.append(line)
                else:
                    extra = max(0, lead - first_lead) if line.strip() else 0
                    if _ref_is_comment_row(r) and r.origin == r.verbatim:
                        out.append(" " * indent + line.lstrip())
                    else:
                        out.append(" " * (indent + extra) + line.lstrip())
            origins.append(r.verbatim)
            continue
        for part in r.text.split("\n"):
            out.append((" " * indent + part) if part.strip() else "")
            origins.append(r.origin)
    while out and not out[-1].strip():
        out.pop()
        origins.pop()
    return ("\n".join(out) + "\n" if out else ""), origins


class _FakeCtx:
    """What _layout reads of a conversion's context: the source lines and rule hits."""

    def __init__(self, src: list[str]):
        self.src = src
        self.rules: dict[str, int] = {}

    def hit(self, rule: str, line: int) -> None:
        if rule not in self.rules or line < self.rules[rule]:
            self.rules[rule] = line


_LEADS = st.sampled_from(["", "  ", "    ", "        ", "\t", "  \t", " ", "      "])
_BODIES = st.sampled_from(["x = 1", "# note", "// old", "", "  ", "- item", "if a:",
                           "call(b)  ", "y: 2\t"])
_LINES = st.lists(st.tuples(_LEADS, _BODIES).map("".join), min_size=1, max_size=14)
_DEPTHS = st.sampled_from([0, 0, 1, 1, 2, 3, 0.5, 1.5])
_TEXTS = st.sampled_from(["done()", "# c", "", "a\nb", "  x\n\n  y", "- z"])


@st.composite
def _src_and_rows(draw):
    src = draw(_LINES)
    # tidy: each copied line at the depth of its own indentation (4 a level) and each
    # printed row at one of those depths, so the file's indentation may be kept (then
    # its step decides); else any depth, which mostly re-indents
    tidy = draw(st.booleans())
    rows = []
    for _ in range(draw(st.integers(0, 16))):
        n = draw(st.integers(1, len(src)))
        origin = draw(st.integers(1, len(src)))
        if draw(st.booleans()):
            line = src[n - 1]
            depth = (len(line) - len(line.lstrip(" "))) / 4 if tidy else draw(_DEPTHS)
            first = True if tidy else draw(st.booleans())
            rows.append(Row(depth, line.rstrip(), origin, n, first))
        else:
            depths = sorted({r.depth for r in rows if r.verbatim is not None}) if tidy \
                else []
            depth = draw(st.sampled_from(depths)) if depths else draw(_DEPTHS)
            rows.append(Row(depth, draw(_TEXTS), origin, None, draw(st.booleans())))
    return src, rows


@settings(max_examples=400, deadline=None)
@given(_src_and_rows())
def test_layout_is_the_former_layout(case):
    src, rows = case
    ref_ctx, new_ctx = _FakeCtx(src), _FakeCtx(src)
    assert _layout(new_ctx, rows) == _ref_layout(ref_ctx, rows)
    assert new_ctx.rules == ref_ctx.rules


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_indent_step_is_the_former_step(src):
    assert _indent_step(src) == _ref_indent_step(src)


def test_indent_step_ties_go_to_the_first_increase():
    # increases of 2 and of 4, twice each: the first seen wins, as Counter.most_common(1)
    src = ["a", "  b", "c", "    d", "e", "  f", "g", "    h"]
    assert _indent_step(src) == _ref_indent_step(src) == 2


def test_layout_keeps_the_indentation_only_at_the_file_step():
    # one level at 6 columns: kept when the file's usual step is 6, re-indented (4 a
    # level from the left) when it is 2; with no whole level (only 0 and 0.5) the step
    # decides nothing
    rows = [Row(0, "a:", 1, 1, True), Row(1, "      b", 1, 2, True), Row(1, "x()", 2)]
    at6 = ["a:", "      b", "c:", "      d"]
    at2 = ["a:", "      b", "c:", "  d", "e:", "  f"]
    for src, expected in ((at6, "a:\n      b\n      x()\n"), (at2, "a:\n    b\n    x()\n")):
        assert _layout(_FakeCtx(src), rows) == _ref_layout(_FakeCtx(src), rows) == \
            (expected, [1, 2, 2])
    half = [Row(0, "a:", 1, 1, True), Row(0.5, "  - b", 1, 2, True), Row(0.5, "- c", 1)]
    for src in (["a:", "  - b"], ["a:", "  - b", "c:", "      d", "e:", "      f"]):
        assert _layout(_FakeCtx(src), half) == _ref_layout(_FakeCtx(src), half) == \
            ("a:\n  - b\n  - c\n", [1, 2, 1])
