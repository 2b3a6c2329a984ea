"""Compound statements (brace, ``end`` and colon dialects): if, for, while, fn, try, match.

Rules: M004 colon-headers, M005 end-blocks, M006 brace-blocks, M023 match-to-if,
M024 loops, M030 try-finally.
Also: M025 (section names), M027 (flat YAML sections).
"""

from __future__ import annotations

from .. import ir
from ..parser import KEYWORDS_12
from .context import _CONFIG_SECTIONS, Row, _dotted


def _exits(body: list) -> bool:
    for s in body:
        if isinstance(s, ir.Simple) and s.kind in ("return", "break", "continue"):
            return True
        if isinstance(s, ir.Block) and s.kind != "fn":
            if _exits(s.body) or _exits(s.orelse) or _exits(s.handler):
                return True
    return False


def _unpack_loop(it: ir.Expr, targets: list[str], line: int):
    """``for k, v in d`` / ``d.items()`` / ``enumerate(xs)`` as a one-name loop + binding."""
    if len(targets) != 2:
        raise ir.Unconvertible("a loop over more than two names has no Aether 1.2 form", line)
    k, v = targets
    if isinstance(it, ir.Call) and isinstance(it.func, ir.Name) and it.func.id == "enumerate" \
            and len(it.args) == 1 and _dotted(it.args[0]):
        seq = it.args[0]
        new_it = ir.Call(ir.Name("range"), [ir.Call(ir.Name("len"), [seq])])
        extra = [ir.Simple("bind", line, line, target=ir.Name(v), value=ir.Index(seq,
                                                                                 ir.Name(k)))]
        return new_it, k, extra
    base = it
    if isinstance(it, ir.Call) and isinstance(it.func, ir.Member) and it.func.attr == "items" \
            and not it.args:
        base = it.func.value
    elif isinstance(it, ir.Call) and isinstance(it.func, ir.Name) and it.func.id == "items" \
            and len(it.args) == 1:
        base = it.args[0]
    if not _dotted(base):
        raise ir.Unconvertible("`for k, v in ...` over a computed value", line)
    new_it = ir.Call(ir.Name("keys"), [base])
    extra = [ir.Simple("bind", line, line, target=ir.Name(v), value=ir.Index(base, ir.Name(k)))]
    return new_it, k, extra


class Blocks:
    """Compound statements of :class:`~.converter.Converter`."""

    def block_style(self, b: ir.Block) -> None:
        """The rule of a block's legacy shape (brace, ``end``, header without colon)."""
        ctx = self.ctx
        if b.style in ("brace",):
            ctx.hit("M006", b.first)
        elif b.style == "end":
            ctx.hit("M005", b.first)
        elif b.style == "colonless":
            ctx.hit("M004", b.first)

    def for_loop(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        ctx = self.ctx
        rows_pre: list = []
        it = self.lower(b.iter, rows_pre)
        target = b.target
        extra: list = []
        if isinstance(target, list):
            ctx.hit("M024", b.first)
            it, target, extra = _unpack_loop(it, target, b.first)
        if isinstance(b.iter, ir.Call) and isinstance(b.iter.func, ir.Name) and \
                b.iter.func.id == "range" and isinstance(b.iter.args[-1], (ir.Num, ir.Bin)) \
                and b.iter.line and ".." in ctx.src[b.iter.line - 1]:
            ctx.hit("M024", b.first)
        tname = self.fix_name(target.lstrip("$"), b.first)
        ctx.bound.add(tname)
        text = f"for {self.p.name(tname, b.first)} in {self.p.expr(it)}:"
        rows = self.block(rows_pre, depth, section, in_fn)
        rows += self.header_rows(b, depth, text)
        body = self.block(extra, depth + 1, section, in_fn) + self.body_rows(
            b.body, depth + 1, section, in_fn, b.first)
        return rows + body + self.closer(b, depth)

    def while_loop(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        pre: list = []
        test = self.lower(b.test, pre, "while")
        if pre and any(not isinstance(x, ir.Block) or x.kind != "fn" for x in pre):
            raise ir.Unconvertible("a `while` condition that needs a temporary", b.first)
        rows = self.block(pre, depth, section, in_fn)
        rows += self.header_rows(b, depth, f"while {self.p.expr(test)}:")
        return rows + self.body_rows(b.body, depth + 1, section, in_fn, b.first) + \
            self.closer(b, depth)

    def fn_def(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        ctx = self.ctx
        pre: list = []
        name = self.fix_name(b.name, b.first)
        params = []
        for pname, default in b.params:
            pn = self.fix_name(pname.lstrip("$"), b.first)
            if default is not None:
                d = self.lower(default, pre)
                params.append(f"{self.p.name(pn, b.first)}={self.p.expr(d)}")
            else:
                params.append(self.p.name(pn, b.first))
        ctx.fn_names.add(name)
        text = f"fn {self.p.name(name, b.first)}({', '.join(params)}):"
        rows = self.block(pre, depth, section, in_fn)
        rows += self.header_rows(b, depth, text)
        return rows + self.body_rows(b.body, depth + 1, None, True, b.first,
                                     allow_empty_fn=True) + self.closer(b, depth)

    def section_block(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        ctx = self.ctx
        name = b.name
        if name in KEYWORDS_12:
            ctx.hit("M025", b.first)
            name += "_"
        text = f"{self.p.name(name, b.first)}:"
        rows = self.header_rows(b, depth, text)
        inner = section if section in _CONFIG_SECTIONS else b.name
        if b.style == "yamlflat":
            ctx.hit("M027", b.first)
        return rows + self.body_rows(b.body, depth + 1, inner, in_fn, b.first) + \
            self.closer(b, depth)

    def if_chain(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        pre: list = []
        test = self.lower(b.test, pre, "if")
        rows = self.block(pre, depth, section, in_fn)
        rows += self.header_rows(b, depth, f"if {self.p.expr(test)}:")
        rows += self.body_rows(b.body, depth + 1, section, in_fn, b.first)
        cur = b
        while cur.orelse:
            if len(cur.orelse) == 1 and isinstance(cur.orelse[0], ir.Block) and \
                    cur.orelse[0].kind == "if" and cur.orelse[0].is_elif:
                nxt = cur.orelse[0]
                for r in nxt.rules:
                    self.ctx.hit(r, nxt.first)
                epre: list = []
                etest = self.lower(nxt.test, epre, "elif")
                if epre:
                    # a fn the condition needs goes before the whole chain
                    if any(not (isinstance(x, ir.Block) and x.kind == "fn") for x in epre):
                        raise ir.Unconvertible("an `elif` condition that needs a temporary",
                                               nxt.first)
                    rows = self.block(epre, depth, section, in_fn) + rows
                rows += self.header_rows(nxt, depth, f"elif {self.p.expr(etest)}:")
                rows += self.body_rows(nxt.body, depth + 1, section, in_fn, nxt.first)
                cur = nxt
                continue
            line = cur.else_line or cur.first
            rows.append(self.else_row(cur, depth, "else:", line, cur.else_trailing))
            rows += self.body_rows(cur.orelse, depth + 1, section, in_fn, line)
            break
        return rows + self.closer(b, depth)

    def try_stmt(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        rows = self.header_rows(b, depth, "try:")
        rows += self.body_rows(b.body, depth + 1, section, in_fn, b.first)
        name = b.catch_name
        text = "catch:"
        if name:
            text = f"catch {self.p.name(self.fix_name(name, b.first), b.first)}:"
        if name:
            self.ctx.bound.add(name)
        line = b.catch_line or b.first
        rows.append(self.else_row(b, depth, text, line, b.catch_trailing))
        rows += self.body_rows(b.handler, depth + 1, section, in_fn, line)
        final = getattr(b, "final", None)
        if final:
            if _exits(b.body) or _exits(b.handler):
                raise ir.Unconvertible("a `finally` body that a `return`, `break` or "
                                       "`continue` could skip", b.first)
            self.ctx.hit("M030", b.first)
            rows += self.block(final, depth, section, in_fn)
        return rows + self.closer(b, depth)

    def match_stmt(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        ctx = self.ctx
        ctx.hit("M023", b.first)
        pre: list = []
        subject = self.lower(b.test, pre)
        rows = self.block(pre, depth, section, in_fn)
        if not isinstance(subject, (ir.Name, ir.Member)):
            temp = ctx.temp("match")
            ctx.bound.add(temp)
            rows.append(Row(depth, f"{temp}: {self.p.expr(subject)}", b.first))
            subject = ir.Name(temp)
        first = True
        default_body = None
        for patterns, body, holder in b.cases:
            if patterns is None:
                default_body = (body, holder)
                continue
            tests = [ir.Bin("==", subject, self.lower(pt, pre)) for pt in patterns]
            test = tests[0]
            for t in tests[1:]:
                test = ir.Bin("or", test, t)
            kw = "if" if first else "elif"
            rows.append(Row(depth, f"{kw} {self.p.expr(test)}:" +
                            self.trailing(holder.trailing, holder.first), holder.first))
            rows += self.body_rows(body, depth + 1, section, in_fn, holder.first)
            first = False
        if default_body is not None:
            body, holder = default_body
            if first:
                rows += self.block(body, depth, section, in_fn)
            else:
                rows.append(Row(depth, "else:" + self.trailing(holder.trailing, holder.first),
                                holder.first))
                rows += self.body_rows(body, depth + 1, section, in_fn, holder.first)
        return rows + self.closer(b, depth)
