"""The converter: one :class:`Converter` that dispatches each statement to its rule family.

Statement kinds go to the mixins of the rule modules (values, commands, blocks, handlers,
with expressions and layout shared); the rules a statement's parse recorded are noted.

Rules: none.
"""

from __future__ import annotations

from typing import Optional

from .. import ir
from .context import Row, _Ctx, _Printer
from .layout import Layout
from .expressions import Expressions
from .values import Values
from .commands import Commands
from .blocks import Blocks
from .handlers import Handlers


class Converter(Layout, Expressions, Values, Commands, Blocks, Handlers):
    """Converts statements to rows: dispatches each statement kind to the rule modules.

    The methods live in the mixins, one per rule family (see each module's ``Rules:``);
    all share ``self.ctx`` (:class:`~.context._Ctx`) and ``self.p`` (the printer).
    """

    def __init__(self, ctx: _Ctx):
        self.ctx = ctx
        self.p = _Printer(ctx)

    def block(self, stmts: list, depth: float, section: Optional[str] = None,
              in_fn: bool = False) -> list[Row]:
        rows: list[Row] = []
        n = len(stmts)
        i = 0
        # :meth:`stmt` inlined (a call per statement of every block was a tenth of the
        # dispatch): ``s`` is the statement whose error gets its line, as there; None
        # while a run of comments is read (the command after it is converted by stmt)
        s = None
        try:
            while i < n:
                s = stmts[i]
                if isinstance(s, ir.Comment):
                    s = None
                    got, i = self.comments_and_command(stmts, i, depth, section, in_fn)
                    rows.extend(got)
                    continue
                if isinstance(s, ir.Simple):
                    rows.extend(self.simple(s, depth, section, in_fn))
                else:
                    rows.extend(self.compound(s, depth, section, in_fn))
                i += 1
        except ir.Unconvertible as exc:
            if s is not None and not exc.line:
                exc.line = s.first if s.first > 0 else None
            raise
        return rows

    def comments_and_command(self, stmts: list, i: int, depth: float, section,
                             in_fn) -> tuple[list[Row], int]:
        """The rows of the run of comments from ``stmts[i]`` on and the index after it;
        when some of them are ones the parser met inside the brackets of the command after
        them (``setup config: { a: 5000, // note``), that command's rows too, and the index
        after it. Those comments go back where they stood when the command's call has a
        line for them (M026, :meth:`place_inner_comments`), else before it, with the
        others. (A run is read once: a file of comments is converted in linear time.)"""
        n = len(stmts)
        j = i + 1
        while j < n and isinstance(stmts[j], ir.Comment):
            j += 1
        nxt = stmts[j] if j < n else None
        inner = [c for c in stmts[i:j] if nxt.first <= c.first <= nxt.last] if \
            isinstance(nxt, ir.Simple) and nxt.kind == "raw" and nxt.last > nxt.first else []
        if not inner:
            # (what stmt() gives a comment, without its dispatch per comment)
            comment_row = self.comment_row
            return [comment_row(c, depth) for c in stmts[i:j]], j
        got = self.stmt(nxt, depth, section, in_fn)
        placed = self.place_inner_comments(nxt, got, inner)
        # inner ones told apart by their line, not looked for in the list `inner`: that
        # search per comment was quadratic (8,000 comment lines before a command with as
        # many notes in its brackets: 1.5 s of CPU, four times as much per doubling)
        first, last = nxt.first, nxt.last
        rows = [self.comment_row(c, depth) for c in stmts[i:j]
                if placed is None or not first <= c.first <= last]
        return rows + (got if placed is None else placed), j + 1

    def stmt(self, s, depth: float, section: Optional[str], in_fn: bool) -> list[Row]:
        try:
            if isinstance(s, ir.Comment):
                return [self.comment_row(s, depth)]
            if isinstance(s, ir.Simple):
                return self.simple(s, depth, section, in_fn)
            return self.compound(s, depth, section, in_fn)
        except ir.Unconvertible as exc:
            if not exc.line:
                exc.line = s.first if s.first > 0 else None
            raise

    def simple(self, s: ir.Simple, depth: float, section, in_fn) -> list[Row]:
        ctx = self.ctx
        if s.kind == "dashmap" and s.value is None and not s.tokens and s.body:
            pre0: list = []
            text = self.dashmap(s, pre0)
            return self.block(pre0, depth, section, in_fn) + [
                Row(depth, text + self.trailing(s.trailing, s.first), s.first)]
        for r in s.rules:
            ctx.hit(r, s.first)
        pre: list = []
        kind = s.kind
        if kind == "bind" or kind == "bindblock":
            out = self.bind(s, pre, depth, section)
        elif kind == "assign":
            out = self.assign(s, pre, section)
        elif kind == "expr":
            out = self.expr_stmt(s, pre)
        elif kind == "return":
            value = self.lower(s.value, pre) if s.value is not None else None
            out = "return" + (" " + self.p.expr(value) if value is not None else "")
        elif kind in ("break", "continue"):
            out = kind
        elif kind in ("dash", "dashmap") and section is None:
            raise ir.Unconvertible("a `- item` outside any section has no Aether 1.2 form",
                                   s.first)
        elif kind == "dash":
            out = self.dash(s, pre)
        elif kind == "dashmap":
            out = self.dashmap(s, pre)
        elif kind == "raw":
            out = self.command_stmt(s, pre, section)
        elif kind == "strbind":
            raise ir.Unconvertible("a `\"key\": value` entry outside a dict", s.first)
        else:  # pragma: no cover
            raise ir.Unconvertible(f"unknown statement kind {kind}", s.first)
        if not pre and not s.body and type(out) is str:
            # (most statements: one printed line, nothing before it; the rows are made
            # fresh by rows_for, not copied onto an empty list)
            return self.rows_for(s, depth, out, s.trailing)
        rows = self.block(pre, depth, section, in_fn) if pre else []
        if isinstance(out, list):  # already rows
            return rows + out
        body_rows: list[Row] = []
        if s.body:
            # dash-map continuation / record attributes
            inner_depth = depth + (0.5 if kind == "dashmap" else 1)
            body_rows = self.block(s.body, inner_depth, section, in_fn)
            last = s.body[0].first - 1
            while last > s.first and not ctx.src[last - 1].strip():
                last -= 1
            head = self.rows_for(s, depth, out, s.trailing, s.first, max(s.first, last))
            return rows + head + body_rows
        return rows + self.rows_for(s, depth, out, s.trailing)

    def compound(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        ctx = self.ctx
        for r in b.rules:
            ctx.hit(r, b.first)
        self.block_style(b)
        kind = b.kind
        if kind == "if":
            return self.if_chain(b, depth, section, in_fn)
        if kind == "for":
            return self.for_loop(b, depth, section, in_fn)
        if kind == "while":
            return self.while_loop(b, depth, section, in_fn)
        if kind == "try":
            return self.try_stmt(b, depth, section, in_fn)
        if kind == "fn":
            return self.fn_def(b, depth, section, in_fn)
        if kind == "section":
            return self.section_block(b, depth, section, in_fn)
        if kind == "match":
            return self.match_stmt(b, depth, section, in_fn)
        if kind == "plugin":
            raise ir.Unconvertible("a plugin block inside another block", b.first)
        if kind == "header":
            return self.legacy_header(b, depth, section, in_fn)
        raise ir.Unconvertible(f"unknown block kind {kind}", b.first)  # pragma: no cover
