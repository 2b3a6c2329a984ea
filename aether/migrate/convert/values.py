"""Values (YAML and colon dialects): ``name: value`` lines, goals, assignments, dash items.

Bare text values become strings, ``meta:`` values literals; ``intent:`` becomes
``goal:``, a goal's trailing attributes a ``meta:`` block; ``x = v`` becomes a binding
and ``a.b["k"] = v`` an update target (``a.b["k"]: v``); ``1. x`` and YAML items become ``- ...`` entries.

Rules: M001 intent-to-goal, M003 goal-quote, M012 assignments, M013 member-assignment,
M016 bare-values, M017 dash-items.
Also: M011 (`agent: on`).
"""

from __future__ import annotations

from typing import Optional

from .. import ir
from ..parser import KEYWORDS_12
from ..tokens import Tok
from .context import (_NAME_RE, _CONFIG_SECTIONS, Row, _Ctx, _prec, _quote, _literal,
    _root_name, expr_source, _as_text, _tokens_text, _parse_tokens, _has_bad_names, _hyphenated)


def _update_target(target: ir.Expr, line: int) -> tuple[str, ir.Expr]:
    """``a.b[k]`` of ``a.b[k] = v`` as an Aether 1.2 update target: (root name, target).

    A member whose name cannot be written after a dot (a keyword, a hyphen) becomes the
    index with that key, which updates the same key. Raises Unconvertible when the root is
    not a name (``f(x).b = v``).
    """
    steps = []
    node = target
    while isinstance(node, (ir.Member, ir.Index)):
        steps.append(node)
        node = node.value
    if not isinstance(node, ir.Name):
        raise ir.Unconvertible("this assignment target has no Aether 1.2 form", line)
    out: ir.Expr = node
    for step in reversed(steps):
        if isinstance(step, ir.Index):
            out = ir.Index(out, step.index, step.line)
        elif _NAME_RE.match(step.attr) and step.attr not in KEYWORDS_12:
            out = ir.Member(out, step.attr, step.line)
        else:
            out = ir.Index(out, ir.Str(_quote(step.attr)), step.line)
    return node.id, out


def _goal_attributes(ctx: _Ctx, toks: list[Tok]) -> tuple[str, list]:
    """Split ``text priority: high metrics: x`` into the quoted text and its attributes."""
    cut = []
    for j in range(1, len(toks) - 1):
        t = toks[j]
        if t.kind == "WORD" and toks[j + 1].kind == "OP" and toks[j + 1].text == ":" and \
                _NAME_RE.match(t.text) and j + 2 < len(toks):
            cut.append(j)
    text_toks = toks[:cut[0]] if cut else toks
    if len(text_toks) == 1 and text_toks[0].kind == "STR":
        text = text_toks[0].text
    else:
        text = _quote(_tokens_text(ctx, text_toks))
    attrs = []
    for n, j in enumerate(cut):
        end = cut[n + 1] if n + 1 < len(cut) else len(toks)
        attrs.append((toks[j].text, toks[j + 2:end]))
    return text, attrs


class Values:
    """``name: value`` lines, goals, assignments, dash items of the Converter."""

    def bind(self, s: ir.Simple, pre: list, depth: float, section) -> str | list:
        ctx = self.ctx
        target = s.target.id
        name = target
        if target.startswith("$"):
            name = target.lstrip("$")
            ctx.hit("M012", s.first)
        colon = s.op is None  # `name: value` (not `let name = value` / `define`)
        if target == "intent" and colon and (section is None or depth == 0):
            ctx.hit("M001", s.first)
            name = "goal"
        if name == "goal" and colon:
            return self.goal(s, pre, depth)
        if name in KEYWORDS_12 or name in ctx.renamed:
            name = self.fix_name(name, s.first)
        value = s.value
        if value is not None and colon and _hyphenated(s.value_tokens):
            value = None  # `mode: read-write` is text
        if name in ("plugin", "meta") and section is None and colon and (
                value is None or isinstance(value, ir.Call) or (
                    name == "plugin" and isinstance(value, ir.Member) and
                    _root_name(value) not in ctx.bound)):
            # `plugin: name args` / `plugin: f()` / `plugin: tool.status` (a function of
            # a plugin the file does not bind): a command (`plugin: name` alone is a
            # valid binding and stays one)
            return self.plugin_command(s, name, pre)
        if name == "agent" and colon and isinstance(value, ir.Name) and \
                value.id in ("on", "off"):
            ctx.hit("M011", s.first)
            return f"agent({'true' if value.id == 'on' else 'false'})"
        if s.kind == "bindblock":
            # `behavior: x` + indented attributes: the binding stays; the attributes become
            # a section named after its value (the section is made from the attribute lines)
            ctx.hit("M016", s.first)
            plain = ir.Simple("bind", s.first, s.first, target=s.target, value=s.value,
                              tokens=s.tokens, value_tokens=s.value_tokens)
            plain.trailing = s.trailing
            plain.op = s.op
            head = self.simple(plain, depth, section, False)
            label = value.id if isinstance(value, ir.Name) and _NAME_RE.match(value.id) and \
                value.id not in KEYWORDS_12 else f"{name}_details"
            origin = next((x.first for x in s.body if not isinstance(x, ir.Comment)),
                          s.body[0].first)
            ctx.bound.add(label)
            return head + [Row(depth, f"{label}:", origin)] + self.block(s.body, depth + 1,
                                                                          label)
        if value is None or _has_bad_names(value):
            toks = s.tokens or s.value_tokens or []
            if toks and toks[0].kind == "WORD" and toks[0].text in ("remember", "recall",
                                                                    "store", "forget"):
                call = self.command_call(toks, pre, binding=True)
                if call is not None:
                    return f"{name}: {self.p.expr(call)}"
            text = _as_text(ctx, toks, s.first) if toks else expr_source(value)
            ctx.hit("M016", s.first)
            if section in _CONFIG_SECTIONS or section == "meta":
                return f"{name}: {_quote(text)}"
            return f"{name}: {_quote(text)}"
        if section in _CONFIG_SECTIONS:
            raw = _tokens_text(ctx, s.value_tokens) if s.value_tokens else expr_source(value)
            lit = _literal(value, raw)
            if lit is not value:
                ctx.hit("M016", s.first)
            return f"{name}: {self.p.expr(lit)}"
        low = self.lower(value, pre)
        ctx.bound.add(name)
        return f"{name}: {self.p.expr(low)}"

    def goal(self, s: ir.Simple, pre: list, depth: float) -> str | list:
        ctx = self.ctx
        value = s.value
        if s.kind == "bindblock":
            # the rows below are the goal line alone: the indented block would be lost
            raise ir.Unconvertible("`goal:` is followed by an indented block, which Aether "
                                   "1.2 has no place for (a goal is one text): move the "
                                   "block out of it by hand", s.first)
        if isinstance(value, ir.Str):
            return f"goal: {self.p.expr(self.lower(value, pre))}"
        if isinstance(value, ir.Name) and value.id not in ctx.bound:
            ctx.hit("M003", s.first)
            return f"goal: {_quote(value.id)}"
        if value is not None and not _has_bad_names(value) and not s.tokens:
            return f"goal: {self.p.expr(self.lower(value, pre))}"
        toks = s.tokens
        if not toks:
            raise ir.Unconvertible("`goal:` has no text", s.first)
        if len(toks) > 2 and toks[0].kind == "STR" and toks[1].kind == "OP" and \
                toks[1].text == "{" and toks[-1].kind == "OP" and toks[-1].text == "}":
            # `goal: "text" { ... }`: a block of code after the goal, not words of its text
            raise ir.Unconvertible("`goal:` is followed by a block, which Aether 1.2 has no "
                                   "place for (a goal is one text): move the block out of "
                                   "it by hand", s.first)
        ctx.hit("M003", s.first)
        text, attrs = _goal_attributes(ctx, toks)
        rows = [Row(depth, "goal: " + text + self.trailing(s.trailing, s.first), s.first)]
        if attrs:
            rows.append(Row(depth, "meta:", s.first))
            for key, raw_toks in attrs:
                val = _parse_tokens(raw_toks)
                lit = _literal(val, _tokens_text(ctx, raw_toks)) if val is not None and not \
                    _has_bad_names(val) else ir.Str(_quote(_tokens_text(ctx, raw_toks)))
                rows.append(Row(depth + 1, f"{self.fix_name(key, s.first)}: "
                                f"{self.p.expr(lit)}", s.first))
        return rows

    def assign(self, s: ir.Simple, pre: list, section) -> str:
        ctx = self.ctx
        target = s.target
        op = s.op
        value = s.value
        if isinstance(value, tuple):  # ("command", tokens)
            call = self.command_call(value[1], pre, binding=True)
            if call is None:
                raise ir.Unconvertible("cannot read the value of this assignment", s.first)
            value = call
        else:
            value = self.lower(value, pre)
        if section in _CONFIG_SECTIONS and isinstance(target, ir.Name) and op == "=":
            # `key = value` is valid in configuration blocks
            return f"{self.p.name(target.id.lstrip('$'), s.first)} = {self.p.expr(value)}"
        if isinstance(target, ir.Name):
            name = self.fix_name(target.id.lstrip("$"), s.first)
            if target.id.startswith("$"):
                ctx.hit("M012", s.first)
            ctx.bound.add(name)
            if op == "=":
                ctx.hit("M012", s.first)
                return f"{self.p.name(name, s.first)}: {self.p.expr(value)}"
            if op in ("+=", "-="):
                return f"{self.p.name(name, s.first)} {op} {self.p.expr(value)}"
            ctx.hit("M012", s.first)
            new = ir.Bin(op[0], ir.Name(name), ir.Paren(value) if _prec(value) < 9 else value)
            return f"{self.p.name(name, s.first)}: {self.p.expr(new)}"
        # a member or index target: an update target, written as the original was
        ctx.hit("M013", s.first)
        root, target = _update_target(self.lower(target, pre), s.first)
        ctx.bound.add(root)
        if op == "=":
            return f"{self.p.expr(target)}: {self.p.expr(value)}"
        if op in ("+=", "-="):
            return f"{self.p.expr(target)} {op} {self.p.expr(value)}"
        new = ir.Bin(op[0], target, ir.Paren(value) if _prec(value) < 9 else value)
        return f"{self.p.expr(target)}: {self.p.expr(new)}"

    def dash(self, s: ir.Simple, pre: list) -> str:
        ctx = self.ctx
        if s.value is None:
            text = _as_text(ctx, s.tokens, s.first)
            ctx.hit("M017", s.first)
            return "- " + _quote(text)
        if _has_bad_names(s.value) and not s.options:
            toks = ctx.tokens(s.first, s.last)[1:]
            ctx.hit("M017", s.first)
            return "- " + _quote(_as_text(ctx, toks, s.first))
        parts = ["- " + self.p.expr(self.lower(s.value, pre))]
        for key, value in s.options:
            if key == "as":
                parts.append("as " + self.p.expr(self.lower(value, pre)))
            else:
                parts.append(f"{key}={self.p.expr(self.lower(value, pre))}")
        return " ".join(parts)

    def dashmap(self, s: ir.Simple, pre: list) -> str:
        ctx = self.ctx
        key = self.fix_name(s.target.id, s.first)
        if s.value is None and not s.tokens:
            if not s.body:
                raise ir.Unconvertible(f"`- {key}:` has no value", s.first)
            # `- key:` + block: the block (a list or a map) becomes the value
            value = self.block_value(s.body, pre)
            if value is None:
                raise ir.Unconvertible(f"`- {key}:` followed by a block of statements has no "
                                       "Aether 1.2 form", s.first)
            ctx.hit("M017", s.first)
            s.body = []
            return f"- {key}: {self.p.expr(value)}"
        if s.value is None or _has_bad_names(s.value):
            text = _as_text(ctx, s.tokens, s.first) if s.tokens else expr_source(s.value)
            ctx.hit("M016", s.first)
            return f"- {key}: {_quote(text)}"
        return f"- {key}: {self.p.expr(self.lower(s.value, pre))}"

    def block_value(self, body: list, pre: list) -> Optional[ir.Expr]:
        """A YAML-style nested block as a list (``- item`` lines) or dict (``key: value``
        lines, nested blocks recursively), comments kept beside their entries; None when
        the block holds other statements."""
        ctx = self.ctx
        items: list = []
        keys: list = []
        comments: dict = {}
        lead: list = []
        kind = None
        for st in body:
            if isinstance(st, ir.Comment):
                lead.append(self.p.comment(st.text))
                continue
            if isinstance(st, ir.Simple) and st.kind == "dash" and not st.options and \
                    kind in (None, "list"):
                kind = "list"
                if st.value is None or _has_bad_names(st.value):
                    toks = st.tokens or ctx.tokens(st.first, st.last)[1:]
                    value = ir.Str(_quote(_as_text(ctx, toks, st.first)))
                else:
                    value = self.lower(st.value, pre)
            elif isinstance(st, ir.Simple) and st.kind in ("bind", "strbind") and \
                    kind in (None, "dict"):
                kind = "dict"
                if st.value is None or _has_bad_names(st.value):
                    value = ir.Str(_quote(_as_text(ctx, st.tokens, st.first)))
                else:
                    value = self.lower(st.value, pre)
                if st.kind == "strbind":
                    keys.append(st.target.raw)
                else:
                    keys.append(st.target.id if _NAME_RE.match(st.target.id) and st.target.id
                                not in KEYWORDS_12 else '"' + st.target.id + '"')
            elif isinstance(st, ir.Block) and st.kind == "section" and kind in (None, "dict"):
                kind = "dict"
                value = self.block_value(st.body, pre)
                if value is None:
                    return None
                keys.append(st.name if st.name not in KEYWORDS_12 else '"' + st.name + '"')
            else:
                return None
            index = len(items)
            trail = self.p.comment(st.trailing) if st.trailing else None
            if lead or trail:
                comments[index] = (lead, trail)
            lead = []
            items.append(value)
        if lead:
            comments[len(items)] = (lead, None)
        if kind == "list":
            return ir.ListE(items, comments, True)
        if kind == "dict":
            return ir.DictE(keys, items, comments, True)
        return None
