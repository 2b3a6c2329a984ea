"""Legacy block headers: ``when EVENT:``, ``on event "x":``, ``every 5m:``, ``NAME {``.

A header whose body is code becomes a ``fn``, one whose body is data a section. The
legacy runtimes also ran a handler when the file called its event by name
(``execute_requested(x)`` runs ``when execute_requested(name):``, a bare
``initialized`` line fires ``when initialized:``): such a call follows the handler to its
new name (M037), on the converted text.

Rules: M009 event-handlers, M037 handler-calls.
Also: M001, M002 (`goal("text") { ... }`), M010 (`remember x as "t" { ... }`).
"""

from __future__ import annotations

import re
from typing import Optional

from .. import ir
from .context import Row, _dotted, _slug, _tokens_text, _parse_tokens, _has_bad_names


_DATA_KINDS = {"bind", "dash", "dashmap", "bindblock"}
#: the statements of a data block: its entries and `"key": value` lines (one set, not a
#: union made again for each statement of each block)
_DATA_ENTRY_KINDS = frozenset(_DATA_KINDS | {"strbind"})
#: first words of loops and blocks of other languages (`foreach x in xs {`, `unless ok {`,
#: `repeat 3 times:`, `with open(f) as h:`): never a header M009 may turn into a fn
_LOOP_WORDS = frozenset({"foreach", "unless", "until", "loop", "repeat", "do", "with",
                         "forever"})


def _plugin_command(s) -> bool:
    """``plugin: name args`` / ``plugin: f()``: a command (M011), code, not an entry."""
    return isinstance(s, ir.Simple) and s.kind == "bind" and s.op is None and \
        isinstance(s.target, ir.Name) and s.target.id == "plugin" and \
        (s.value is None or isinstance(s.value, ir.Call))


class Handlers:
    """Legacy block headers of :class:`~.converter.Converter`."""

    def legacy_header(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        """``when EVENT:``, ``on event "x":``, ``every 5m:``, ``NAME {``...: a ``fn`` for code,
        a section for data (M009)."""
        ctx = self.ctx
        words = b.words
        first = words[0].text
        if first in ("goal", "intent") and len(words) > 1:
            return self.goal_block(b, depth, section, in_fn)
        ctx.hit("M009", b.first)
        data = first not in ("when", "on", "every") and all(
            isinstance(s, ir.Comment) or isinstance(s, ir.Simple) and s.kind in
            _DATA_ENTRY_KINDS or isinstance(s, ir.Block) and s.kind == "section"
            for s in b.body) and not any(_plugin_command(s) for s in b.body)
        if not data and first in _LOOP_WORDS:
            # as a fn (which nothing calls) its body would never run, where the legacy
            # runtime ran it once or in a loop
            raise ir.Unconvertible(f"`{first} ...` is a loop or block of another language "
                                   "with no Aether 1.2 form (as a fn nothing calls, its body "
                                   "would never run): write it with for, while or if by "
                                   "hand", b.first)
        params: list = []
        guard: Optional[ir.Expr] = None
        event: Optional[str] = None  # a handler for the event of this plain name
        if first in ("when", "on") and len(words) >= 2:
            rest = words[1:]
            if rest[0].kind == "WORD" and rest[0].text == "event" and len(rest) >= 2:
                rest = rest[1:]
            expr = _parse_tokens(rest)
            if len(rest) == 1 and rest[0].kind == "STR":
                name = "on_" + _slug(rest[0].text[1:-1])
            elif isinstance(expr, ir.Call) and isinstance(expr.func, (ir.Name, ir.Member)):
                name = "on_" + _slug(_dotted(expr.func) or "event")
                event = expr.func.id if isinstance(expr.func, ir.Name) else None
                for a in expr.args:
                    if not isinstance(a, ir.Name):
                        raise ir.Unconvertible("event parameters must be names", b.first)
                    params.append((a.id, None))
                for k, v, *_ in expr.kwargs:
                    params.append((k, v))
            elif isinstance(expr, (ir.Name, ir.Member)):
                name = "on_" + _slug(_dotted(expr) or "event")
                event = expr.id if isinstance(expr, ir.Name) else None
            elif expr is not None and not _has_bad_names(expr):
                guard = expr
                names = [t.text for t in rest if t.kind == "WORD"]
                name = "on_" + _slug(names[0] if names else "condition")
            else:
                name = "on_" + _slug(_tokens_text(ctx, rest))
        else:
            name = _slug(_tokens_text(ctx, words))
        base = name
        n = ctx.suffix.get(base, 2)
        while name in ctx.fn_names or (data and name in ctx.bound):
            name = f"{base}_{n}"
            n += 1
        ctx.suffix[base] = n
        if data and first in ("remember", "store") and len(words) > 1:
            # `remember x as "tag" { key: value ... }`: the entries are details of what is
            # remembered; `remember` takes one value, so it remembers both, as the record
            # `{value: x, details: {...}}` (a `details=` keyword is no parameter of it)
            pre: list = []
            call = self.command_call(list(words), pre)
            value = self.block_value(b.body, pre)
            if call is not None and value is not None and len(call.args) == 1:
                ctx.hit("M010", b.first)
                record = ir.DictE(["value", "details"], [call.args[0], value], line=b.first)
                call = ir.Call(call.func, [record], list(call.kwargs), line=b.first)
                return self.block(pre, depth, section, in_fn) + [
                    Row(depth, "memory: " + self.p.expr(call) +
                        self.trailing(b.trailing, b.first), b.first)] + self.closer(b, depth)
        if any(isinstance(x, ir.Simple) and x.kind == "strbind" for x in b.body):
            pre: list = []
            value = self.block_value(b.body, pre)
            if value is None:
                raise ir.Unconvertible("a block mixing `\"key\": value` entries with "
                                       "statements", b.first)
            ctx.bound.add(name)
            return self.block(pre, depth, section, in_fn) + [
                Row(depth, f"{name}: {self.p.expr(value)}" + self.trailing(b.trailing, b.first),
                    b.first)] + self.closer(b, depth)
        if data:
            ctx.bound.add(name)
            rows = [Row(depth, f"{name}:" + self.trailing(b.trailing, b.first), b.first)]
            return rows + self.body_rows(b.body, depth + 1, name, in_fn, b.first) + \
                self.closer(b, depth)
        ctx.fn_names.add(name)
        if event is not None:
            ctx.handlers.setdefault(event, name)
        if first not in ("when", "on", "every"):
            # `workflow main {`, `simulate crash`: the legacy runtime ran the block; as a fn
            # it runs only where it is called (M035 lists its sections the same way)
            ctx.review.append((b.first, f"the block `{_tokens_text(ctx, words).rstrip('{: ')}` "
                                        f"became `fn {name}()`: call it where it should run"))
        # the handler's parameters are names its body may use, as a fn's are (a command's
        # `remember level as "t"` keeps `level` a name, not the text "level")
        ctx.bound.update(p for p, _ in params)
        ctx.variables.update(p for p, _ in params)
        plist = []
        pre: list = []
        for pname, default in params:
            if default is not None:
                plist.append(f"{self.p.name(pname, b.first)}="
                             f"{self.p.expr(self.lower(default, pre))}")
            else:
                plist.append(self.p.name(pname, b.first))
        rows = [Row(depth, f"fn {name}({', '.join(plist)}):" + self.trailing(b.trailing,
                                                                              b.first), b.first)]
        if guard is not None:
            gpre: list = []
            g = self.lower(guard, gpre)
            rows += self.block(gpre, depth + 1, None, True)
            rows.append(Row(depth + 1, f"if {self.p.expr(g)}:", b.first))
            rows += self.body_rows(b.body, depth + 2, None, True, b.first)
        else:
            rows += self.body_rows(b.body, depth + 1, None, True, b.first, allow_empty_fn=True)
        return rows + self.closer(b, depth)

    def goal_block(self, b: ir.Block, depth: float, section, in_fn) -> list[Row]:
        """``goal("text") { ... }`` (or ``intent``): the goal, then the block's statements
        where the block stood. A goal is also the intent of every governed call that
        follows it (LANGUAGE.md section 2), so the calls of the block run under it, as
        they did; a ``fn`` made of the block would never run (M002, M001 for ``intent``)."""
        ctx = self.ctx
        words = b.words
        text = _parse_tokens(words[1:])
        while isinstance(text, ir.Paren):  # `goal("text")`, `goal "text"`
            text = text.value
        if isinstance(text, ir.Name):
            # `goal(name) { ... }`: the dialects' goal block (never a fn named goal, as a
            # fn nothing calls its block would not run), its goal held in a variable
            raise ir.Unconvertible(f"`{words[0].text}({text.id}) {{ ... }}` is the legacy "
                                   "goal block, and its goal is the value of the name "
                                   f"`{text.id}`, not a text: Aether 1.2 states a goal as "
                                   f"one string (`goal: \"...\"`); write the goal's text in "
                                   f"place of `{text.id}` (`{words[0].text}(\"...\") "
                                   "{ ... }`) to migrate it", b.first)
        if not isinstance(text, ir.Str):
            raise ir.Unconvertible(f"`{words[0].text}` followed by a block needs its text as "
                                   "one string (`goal(\"...\") { ... }`) to become "
                                   "`goal: \"...\"`", b.first)
        if depth or section is not None or in_fn:
            # a `goal:` inside a block is a variable, not the goal of the file
            raise ir.Unconvertible(f"`{words[0].text}(...) {{ ... }}` inside another block "
                                   "has no Aether 1.2 form (a goal is set at the top level "
                                   "only): move it to the top level by hand", b.first)
        ctx.hit("M001" if words[0].text == "intent" else "M002", b.first)
        ctx.review.append((b.first, f"the block `{_tokens_text(ctx, words).rstrip('{: ')}` "
                                    "became `goal:` followed by its statements: the goal "
                                    "now holds for the rest of the file, not only for "
                                    "its block"))
        pre: list = []
        goal = self.p.expr(self.lower(text, pre))
        rows = self.block(pre, depth, section, in_fn)
        rows.append(Row(depth, f"goal: {goal}" + self.trailing(b.trailing, b.first), b.first))
        return rows + self.block(b.body, depth, section, in_fn) + self.closer(b, depth)


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_NAME_RUN = re.compile(r"[A-Za-z0-9_]+")  # a maximal run of _NAME_CHARS


def _named(text: str, events) -> bool:
    """Whether one of the names ``events`` stands in ``text`` as a word of its own (no
    letter, digit or ``_`` on either side): a call of one by its name (a Name node) is
    one, as a name is lexed whole. Most files with handlers never call an event by its
    name, and walking the whole tree to find that out was most of this rule's time.
    A name of those characters alone stands so exactly when it is one of the text's
    maximal runs of them: the runs are listed once (a ``str.find`` pass per name over the
    whole text was quadratic in a file of thousands of handlers, each ``on_`` name holding
    its event but not as a word); any other name is found by ``str.find``."""
    chars = _NAME_CHARS
    runs = None
    for event in events:
        if not event:
            continue
        if chars.issuperset(event):
            if runs is None:
                runs = set(_NAME_RUN.findall(text))
            if event in runs:
                return True
            continue
        at = text.find(event)
        while at >= 0:
            end = at + len(event)
            if (at == 0 or text[at - 1] not in chars) and \
                    (end == len(text) or text[end] not in chars):
                return True
            at = text.find(event, at + 1)
    return False


def rename_handler_calls(ctx, text: str, origins: list[int]) -> str:
    """``text`` (converted, Aether 1.2) with each call of a legacy event by its name
    (``execute_requested(x)``) calling the ``fn`` M009 made of its handler
    (``on_execute_requested(x)``, M037); unchanged when it does not parse. A name the file
    defines, binds or that is a builtin keeps its calls."""
    from ... import ast as A
    from ...semantics.catalogue import load_catalogue
    from ...syntax import parse

    if not ctx.handlers or not _named(text, ctx.handlers):
        return text
    result = parse(text)
    if result.errors:
        return text
    module = result.module
    builtins = load_catalogue().functions  # (read, not copied into ``taken``)
    taken: set[str] = set()
    handlers = ctx.handlers
    called: list = []  # calls of a handler's event name, in walk order (one walk)
    # dispatched on ``type(node)`` (the AST's node classes have no subclasses): most nodes
    # are none of these, and the chain of isinstance tests per node was a third of this
    Call, Name, FnDef, For = A.Call, A.Name, A.FnDef, A.For
    named = {A.Binding, A.Assign, A.Section}
    for node in A.walk(module):
        cls = type(node)
        if cls is Call:
            func = node.func
            if type(func) is Name and func.id in handlers:
                called.append(func)
        elif cls in named:
            taken.add(node.name)
        elif cls is FnDef:
            taken.add(node.name)
            taken.update(p.name for p in node.params)
        elif cls is For:
            taken.add(node.target)
    wanted = {e: f for e, f in handlers.items() if e not in taken and e not in builtins}
    lines = text.split("\n")
    edits: dict[int, list[tuple[int, str, str]]] = {}
    for f in called:
        if f.id in wanted:
            edits.setdefault(f.line - 1, []).append((f.column - 1, f.id, wanted[f.id]))
    for i, row in edits.items():
        line = lines[i]
        for col, old, new in sorted(row, reverse=True):
            if line[col:col + len(old)] == old:
                line = line[:col] + new + line[col + len(old):]
        lines[i] = line
        ctx.hit("M037", origins[i] if i < len(origins) else i + 1)
    return "\n".join(lines)
