"""Commands: bare command lines (``think "x"``, ``reflect on x``) and memory sugar as calls.

A line that is no statement is a command: its first word names the function, the rest
becomes the arguments (see "Commands" in ``docs/migrate.md``); ``remember x as "t"`` and
its kin become ``memory:`` calls; ``goal "text"`` gets its colon. A list sorted in place
(``xs.sort(key=k)``, Python) is rebound to its sorted copy (M039). A builtin verb standing
between the values of a command starts a second command (M041); a builtin command given
more values than its signature takes gets them as one list or one text (M042).

Rules: M002 goal-colon, M010 memory-sugar, M011 commands, M039 in-place-sort,
M041 chained-commands, M042 command-fit.
Also: M001, M004 (`do call()`), M018 (`tag: x` arguments), M025 (`if COND` entries).
"""

from __future__ import annotations

from typing import Optional

from .. import ir
from ..parser import KEYWORDS_12
from ..tokens import Tok
from .expressions import legacy_keywords, builtin_of
from .context import (_NAME_RE, _quote, _as_text, _tokens_text, _sub_parser, _parse_tokens,
    _has_bad_names)


# verb + preposition pairs whose preposition only reads well in English
_PREPOSITIONS = {"from", "on", "for", "about", "to", "with", "into", "at", "by", "of", "in"}

# the builtins that are verbs of the legacy command language (M041): those that act (ask
# the model, use a tool, read or write memory), not pure helpers such as `count` or `first`
_VERB_EFFECTS = ("tool", "memory")


class Commands:
    """Bare commands and memory sugar of :class:`~.converter.Converter`."""

    def plugin_command(self, s: ir.Simple, name: str, pre: list) -> str:
        """``plugin: name args`` / ``meta: plugin action``: a call of the plugin function."""
        ctx = self.ctx
        ctx.hit("M011", s.first)
        value = s.value
        if isinstance(value, ir.Call):
            return self.p.expr(self.lower(value, pre))
        if isinstance(value, (ir.Member, ir.Name)):
            return self.p.expr(self.lower(value, pre)) + "()"
        toks = list(s.tokens)
        if not toks or toks[0].kind != "WORD":
            raise ir.Unconvertible(f"cannot read this `{name}:` command", s.first)
        call = self.command_call(toks, pre, plugin=True)
        if call is None:
            raise ir.Unconvertible(f"cannot read this `{name}:` command", s.first)
        return self.p.expr(call)

    def expr_stmt(self, s: ir.Simple, pre: list) -> str:
        value = s.value
        if isinstance(value, ir.Call) and isinstance(value.func, ir.Member) and \
                value.func.attr == "sort" and isinstance(value.func.value, ir.Name) and \
                value.func.value.id in self.ctx.bound and not value.args and \
                {k for k, *_ in value.kwargs} <= {"key", "reverse"}:
            # `xs.sort(key=k, reverse=true)` sorts the list in place: with value semantics
            # that is `xs: sorted(xs, key=k, reverse=true)` (a list has no `sort` method)
            self.ctx.hit("M039", s.first)
            xs = value.func.value
            call = self.lower(ir.Call(ir.Name("sorted", value.line), [xs], value.kwargs,
                                      line=value.line), pre)
            return f"{self.p.expr(self.lower(xs, pre))}: {self.p.expr(call)}"
        if isinstance(value, ir.Call):
            return self.p.expr(self.lower(value, pre))
        if isinstance(value, (ir.Name, ir.Member)) and not _has_bad_names(value):
            # a bare word or dotted name: a command without arguments
            self.ctx.hit("M011", s.first)
            return self.p.expr(self.lower(value, pre)) + "()"
        raise ir.Unconvertible("a bare expression is not a statement (and not a known command)",
                               s.first)

    def command_stmt(self, s: ir.Simple, pre: list, section) -> str | list:
        ctx = self.ctx
        toks = s.tokens
        head = toks[0]
        if head.kind == "OP" and head.text == ",":
            # the rest of a value the parser could not read as one (a line of a block)
            raise ir.Unconvertible("cannot read this line: it starts with ',' but the "
                                   "statement before it has ended, so it continues nothing "
                                   "(a `{` at the end of a line opens a block of statements "
                                   "unless its first entry is a map's `key: value,`); move "
                                   "the comma to the end of the entry before it", s.first)
        if head.kind != "WORD":
            raise ir.Unconvertible(f"cannot read this line (it starts with '{head.text}')",
                                   s.first)
        word = head.text
        if word in ("import", "from") or word == "use" and _module_path(toks[1:]):
            # (`use ../x`, `use a/b-c`, `use /etc/x`: a module path, never a division)
            raise ir.Unconvertible(f"this `{word}` has no Aether 1.2 form (`import \"path\" "
                                   "as name` and `use a/b` become `require:` entries, each "
                                   "part of the path a name, unless one is all its block "
                                   "holds)", s.first)
        if word == "plugin" and len(toks) == 2 and toks[1].kind in ("WORD", "STR") and \
                "plugin" not in ctx.defined_fns and "plugin" not in ctx.variables:
            # `plugin NAME` alone becomes a `require:` entry (M029, whole_file); left here
            # only when it is all its block holds (an empty block has no form)
            raise ir.Unconvertible(f"`{_tokens_text(ctx, toks)}` names a plugin the file "
                                   "uses, which becomes a `require: plugins:` entry, but it "
                                   "is all its block holds and an empty block has no Aether "
                                   "1.2 form: move it out of the block by hand", s.first)
        if word in ("goal", "intent") and len(toks) > 5 and toks[1].text == "(" and \
                toks[2].kind == "STR" and toks[3].text == ")" and toks[4].text == "{" and \
                toks[-1].text == "}":
            # `goal("text") { ... }` on one line: its block is code, not words of a text
            # (over several lines it becomes the goal and its statements, Handlers)
            raise ir.Unconvertible(f"`{word}(...)` is followed by a block on the same line, "
                                   "which Aether 1.2 has no place for (a goal is one text): "
                                   "put the block's statements on lines of their own", s.first)
        # goal "text"
        if word in ("goal", "intent") and len(toks) >= 2 and toks[1].kind == "STR":
            ctx.hit("M002", s.first)
            if word == "intent":
                ctx.hit("M001", s.first)
            fake = ir.Simple("bind", s.first, s.last, target=ir.Name("goal"),
                             value=_parse_tokens(toks[1:]), tokens=toks[1:])
            fake.trailing = s.trailing
            got = self.goal(fake, pre, 0)
            return got if isinstance(got, str) else got
        # do call()  (on_error rule without its colon)
        if word == "do" and len(toks) >= 2:
            value = _parse_tokens(toks[1:])
            if isinstance(value, ir.Call):
                ctx.hit("M004", s.first)
                return "do: " + self.p.expr(self.lower(value, pre))
        # if COND (no body): a YAML condition entry
        if word in ("if", "when") and len(toks) >= 2:
            value = _parse_tokens(toks[1:])
            if value is not None and not _has_bad_names(value):
                ctx.hit("M025", s.first)
                return f"{word}_: {self.p.expr(self.lower(value, pre))}"
        # recall "x" → $name: what is recalled is bound to the name
        bound = self.recall_into(s, toks, pre)
        if bound is not None:
            return bound
        # `analyze "a" suggest "b"`: a builtin verb between two values starts a second
        # command; each command before the last becomes a statement of its own (M041)
        # (each command is found from where the last one started: a line of thousands of
        # commands is read once, never copied again per command)
        start = 0
        cut = self.chained_command(toks)
        while cut is not None:
            ctx.hit("M041", s.first)
            head_stmt = ir.Simple("raw", s.first, s.first, tokens=list(toks[start:cut]))
            head_stmt.synthetic = True
            pre.append(head_stmt)
            start = cut
            cut = self.chained_command(toks, start)
        if start:
            toks = toks[start:]
            word = toks[0].text
            # the last command may bind what it recalls: `analyze "a" recall "t" -> res`
            bound = self.recall_into(s, toks, pre)
            if bound is not None:
                return bound
        # $x = ... / remember ... / recall ... / think ... / generic
        memory = word in ("remember", "recall", "store", "forget")
        call = self.command_call(toks, pre)
        if call is None:
            raise ir.Unconvertible("cannot read this line as a command", s.first)
        text = self.p.expr(call)
        if memory and isinstance(call.func, ir.Name) and call.func.id in (
                "remember", "recall", "store", "forget"):
            ctx.hit("M010", s.first)
            return "memory: " + text
        ctx.hit("M011", s.first)
        return text

    def recall_into(self, s: ir.Simple, toks: list[Tok], pre: list) -> Optional[str]:
        """The command ``toks`` of statement ``s`` as a binding when it is ``recall X ->
        $name`` (or ``→``): ``name: recall(X)`` (M010); None for any other command."""
        if toks[0].text != "recall" or len(toks) < 3 or toks[-2].text not in ("→", "->") or \
                toks[-1].kind != "WORD" or not _NAME_RE.match(toks[-1].text.lstrip("$")) or \
                any(t.text in ("→", "->") for t in toks[:-2]):
            return None
        call = self.memory_sugar("recall", list(toks[1:-2]), pre)
        if call is None:
            return None
        self.ctx.hit("M010", s.first)
        target = toks[-1].text.lstrip("$")
        self.ctx.bound.add(target)
        return f"{self.p.name(target, s.first)}: {self.p.expr(call)}"

    def chained_command(self, toks: list[Tok], start: int = 0) -> Optional[int]:
        """Where a second command starts in the command ``toks[start:]`` (M041), as an index
        of ``toks``, else None.

        ``analyze "requirements" suggest "architecture"`` is two commands: a word that names
        a builtin verb of the legacy command language (effect tool or memory, see
        ``_VERB_EFFECTS``) that the file does not define as a ``fn``, standing at the top
        level right after a value (a string, a number or a closing bracket) and right before
        another (a string, a number or a word), starts the second; not a variable or parameter
        of the file (the runtime would call its value). Anywhere else the word
        is text, as any other word of a command (``analyze recurring errors``).
        """
        ctx = self.ctx
        depth = 0
        for j in range(start + 1, len(toks) - 1):
            t = toks[j]
            if t.kind == "OP" and t.text in ("(", "[", "{"):
                depth += 1
            elif t.kind == "OP" and t.text in (")", "]", "}"):
                depth -= 1
            if depth or t.kind != "WORD" or j < start + 2:
                continue
            before, after = toks[j - 1], toks[j + 1]
            if not (before.kind in ("STR", "NUM") or before.kind == "OP" and
                    before.text in (")", "]")):
                continue
            if after.kind not in ("STR", "NUM", "WORD") or after.start == t.end:
                continue
            if t.text in ctx.defined_fns or t.text in ctx.fn_names or t.text in ctx.variables:
                # a variable (`let`, `=`, `for`, a parameter) is a value here, as in any
                # command (`analyze "a" suggest "b"` passes the variable `suggest`): a call
                # of it would call its value. (A legacy `suggest: "x"` line is the YAML
                # form of a command, not a variable; see fit_command.)
                continue
            builtin = builtin_of(t.text)
            if builtin is not None and builtin.effect in _VERB_EFFECTS:
                return j
        return None

    def command_call(self, toks: list[Tok], pre: list, binding: bool = False,
                     plugin: bool = False) -> Optional[ir.Call]:
        """A command's tokens as a call: ``verb [words] [args] [key=value...]``.

        Arguments that are expressions stay expressions (a name only when the file binds
        it); runs of plain words become one string; when the rest cannot be read as
        arguments it is passed as one string, verbatim.
        """
        ctx = self.ctx
        i = 0
        if not toks or toks[0].kind != "WORD":
            return None
        callee: ir.Expr = ir.Name(toks[0].text.lstrip("$"), toks[0].line)
        i = 1
        while i + 1 < len(toks) and toks[i].text == "." and toks[i].kind == "OP" and \
                toks[i + 1].kind == "WORD" and toks[i].start == toks[i - 1].end:
            callee = ir.Member(callee, toks[i + 1].text, toks[i].line)
            i += 2
        verb = toks[0].text
        rest = toks[i:]
        # `plugin: name action args`: the action word names the function
        if plugin and rest and rest[0].kind == "WORD" and rest[0].text not in ctx.bound and \
                (len(rest) == 1 or rest[1].kind != "OP" or rest[1].text in (",",)):
            callee = ir.Member(callee, rest[0].text, rest[0].line)
            rest = rest[1:]
        # a call written out: `run check()` / `plugin: analyze()`
        if rest and rest[0].kind == "OP" and rest[0].text == "(" and rest[0].start == toks[
                i - 1].end:
            whole = _parse_tokens(toks[:])
            if isinstance(whole, ir.Call):
                return self.lower(whole, pre)
        if verb == "run" and rest:
            inner = _parse_tokens(rest)
            if isinstance(inner, ir.Call):
                return self.lower(inner, pre)
        memory = self.memory_sugar(verb, rest, pre)
        if memory is not None:
            return memory
        if verb in ("wait", "sleep") and len(rest) == 1 and rest[0].kind in ("DUR", "NUM"):
            return ir.Call(ir.Name("sleep"), [ir.Num(rest[0].text)], line=toks[0].line)
        args, kwargs, joiners = self.command_args(rest, pre)
        if args is None:
            args = [ir.Str(_quote(_as_text(ctx, rest, toks[0].line)))]
            kwargs = []
        if isinstance(callee, ir.Name):
            callee = ir.Name(self.fix_name(callee.id, callee.line), callee.line)
        kwargs = legacy_keywords(ctx, callee, kwargs, toks[0].line)
        if joiners is not None:
            args = self.fit_command(callee, args, kwargs, joiners, toks[0].line)
        return ir.Call(callee, args, kwargs, line=toks[0].line)

    def fit_command(self, callee: ir.Expr, args: list, kwargs: list, joiners: list,
                    line: int) -> list:
        """The positional ``args`` of a command of the builtin ``callee`` fitted to its
        signature (M042); ``args`` itself when they fit, or when no fit applies (the
        checker then reports the call, AE303, a real finding).

        ``joiners[k]`` says what stood before ``args[k]`` in the command: ``","``, a
        preposition the command rule dropped (``for``), or None. Values listed with commas,
        more than the builtin takes (``analyze a.x, a.y, a.z``), are one list; string and
        number values joined by prepositions (``optimize "x" for "y"``) are one text with
        the prepositions kept (``"x for y"``), as the command's words are.
        """
        if len(args) < 2:  # (a builtin takes at least one value, or none fits: as below)
            return args
        ctx = self.ctx
        # a name the file binds to a value (the legacy `optimize: "x"` line) is still the
        # builtin when called, as the checker reads it; a `fn` of the file's is not
        if not isinstance(callee, ir.Name) or callee.id in ctx.defined_fns or \
                callee.id in ctx.fn_names:
            return args
        builtin = builtin_of(callee.id)
        if builtin is None:
            return args
        sig = builtin.signature
        room = len(sig.params) if sig.positional < 0 else sig.positional
        if sig.varargs or room < 1 or len(args) <= room or \
                sig.check(1, [k for k, *_ in kwargs]) is not None:
            return args
        later = joiners[1:]
        if all(j == "," for j in later):
            ctx.hit("M042", line)
            return [ir.ListE(list(args), line=line)]
        if all(j is not None and j != "," for j in later):
            parts = [_plain_text(a) for a in args]
            if all(p is not None for p in parts):
                ctx.hit("M042", line)
                text = parts[0]
                for joiner, part in zip(later, parts[1:]):
                    text += f" {joiner} {part}"
                return [ir.Str(_quote(text), line)]
        return args

    def command_args(self, rest: list[Tok], pre: list):
        """Arguments of a command (see command_call): ``(args, kwargs, joiners)``, with
        ``joiners`` as :meth:`fit_command` takes them; (None, None, None) when unreadable."""
        if not rest:
            return [], [], []
        # drop one leading preposition (`learn from x`, `reflect on x`)
        candidates = [rest]
        if rest[0].kind == "WORD" and rest[0].text in _PREPOSITIONS and len(rest) > 1:
            candidates.insert(0, rest[1:])
        for toks in candidates:
            got = self._args(toks, pre)
            if got is not None:
                return got
        return None, None, None

    def _args(self, toks: list[Tok], pre: list):
        ctx = self.ctx
        if len(toks) == 1 and toks[0].kind == "STR":
            # one string (`log "text"`, most commands' arguments): what the loop below
            # makes of it, without a parser made for one token
            return [self.lower(ir.Str(toks[0].text, toks[0].line), pre)], [], [None]
        p = _sub_parser(toks)
        items: list = []  # ("words", [str]) | ("expr", e) | ("kw", name, e)
        try:
            while p.peek().kind != "NL":
                t = p.peek()
                if t.kind == "OP" and t.text == ",":
                    p.next()
                    items.append(("sep", ","))
                    continue
                nxt = p.peek(1)
                if t.kind == "WORD" and nxt.kind == "OP" and nxt.text in ("=", ":") and \
                        p.peek(2).kind != "NL" and p.peek(2).text != "=":
                    p.next()
                    p.next()
                    if nxt.text == ":":
                        ctx.hit("M018", t.line)
                    value = p.expr()
                    items.append(("kw", t.text, value))
                    continue
                if t.kind == "WORD" and (t.text in KEYWORDS_12 or t.text in _PREPOSITIONS
                                         or not _NAME_RE.match(t.text.lstrip("$"))):
                    if t.text not in ("true", "false", "null", "not"):
                        p.next()
                        items.append(("word", t.text))
                        continue
                value = p.expr()
                if isinstance(value, ir.Name) and value.id.lstrip("$") not in ctx.bound and \
                        not value.id.startswith("$"):
                    items.append(("word", value.id))
                    continue
                items.append(("expr", value))
        except ir.Unconvertible:
            return None
        # a lone preposition between two values only joins them: `analyze "a" for "b"`
        # passes "a" and "b" (as a leading one is dropped: `reflect on x`)
        # (it is kept as the joiner of the second value, for M042)
        items = [("join", it[1]) if it[0] == "word" and it[1] in _PREPOSITIONS and
                 0 < k < len(items) - 1 and items[k - 1][0] == "expr" and
                 items[k + 1][0] == "expr" else it for k, it in enumerate(items)]
        args: list = []
        kwargs: list = []
        words: list[str] = []
        joiners: list = []
        joiner = None

        def flush():
            nonlocal joiner
            if words:
                args.append(ir.Str(_quote(" ".join(words))))
                joiners.append(joiner)
                joiner = None
                words.clear()
        for item in items:
            if item[0] in ("sep", "join"):
                # a comma inside a run of words stays part of the text, as before
                if not words:
                    joiner = item[1]
                continue
            if item[0] == "word":
                if kwargs:
                    return None
                words.append(item[1])
            elif item[0] == "expr":
                if kwargs:
                    return None
                flush()
                if _has_bad_names(item[1]):
                    return None
                args.append(self.lower(item[1], pre))
                joiners.append(joiner)
                joiner = None
            else:
                flush()
                if not _NAME_RE.match(item[1]) or item[1] in KEYWORDS_12:
                    return None
                if any(k == item[1] for k, _ in kwargs):
                    return None
                if _has_bad_names(item[2]):
                    return None
                kwargs.append((item[1], self.lower(item[2], pre)))
        flush()
        return args, kwargs, joiners

    def memory_sugar(self, verb: str, rest: list[Tok], pre: list) -> Optional[ir.Call]:
        """``remember X as T``, ``recall tag: T``, ``store X in memory as T`` as a call."""
        if verb not in ("remember", "recall", "store", "forget"):
            return None
        ctx = self.ctx
        # split on a top-level `as`
        depth = 0
        as_at = None
        arrow_at = None
        for j, t in enumerate(rest):
            if t.kind == "OP" and t.text in "([{" and len(t.text) == 1:
                depth += 1
            elif t.kind == "OP" and t.text in ")]}" and len(t.text) == 1:
                depth -= 1
            elif depth == 0 and t.kind == "WORD" and t.text == "as":
                as_at = j
            elif depth == 0 and t.text in ("→", "->"):
                arrow_at = j
        if arrow_at is not None:
            return None
        value_toks = rest if as_at is None else rest[:as_at]
        tag_toks = [] if as_at is None else rest[as_at + 1:]
        details = None
        if verb in ("remember", "store") and len(tag_toks) >= 3 and \
                tag_toks[1].kind == "OP" and tag_toks[1].text == "{" and \
                tag_toks[0].kind in ("STR", "NUM"):
            # `remember x as "t" { "k": v }`: a block of details the header form (see
            # handlers) did not take, a dict written out; never part of the tag
            details = _parse_tokens(tag_toks[1:])
            if not isinstance(details, ir.DictE):
                return None
            tag_toks = tag_toks[:1]
        if verb == "remember" and as_at is None and len(rest) >= 3 and rest[0].kind == "WORD" \
                and rest[1].text == ":" and rest[1].kind == "OP":
            # `remember tag: value`
            value_toks = rest[2:]
            tag_toks = [Tok("STR", _quote(rest[0].text), rest[0].line, 1, 0, 0, False, 0)]
        # `store X in memory`
        if verb == "store" and len(value_toks) >= 3 and value_toks[-2].text == "in" and \
                value_toks[-1].text == "memory":
            value_toks = value_toks[:-2]
        if verb == "remember" and value_toks and value_toks[0].text == "(" and \
                value_toks[-1].text == ")":
            inner_call = _parse_tokens([Tok("WORD", "remember", value_toks[0].line, 1, 0, 0,
                                            False, 0)] + value_toks)
            if isinstance(inner_call, ir.Call):
                call = inner_call
            else:
                return None
        elif verb == "recall" and len(value_toks) >= 2 and value_toks[0].kind == "WORD" and \
                value_toks[1].text == ":":
            key = value_toks[0].text
            value = _parse_tokens(value_toks[2:])
            if value is None:
                return None
            call = ir.Call(ir.Name("recall"), [],
                           legacy_keywords(ctx, ir.Name("recall"), [(key, value)],
                                           value_toks[0].line), line=value_toks[0].line)
        else:
            if not value_toks:
                if verb == "recall":
                    call = ir.Call(ir.Name(verb), [])
                else:
                    return None
            else:
                value = _parse_tokens(value_toks)
                if value is None:
                    value = ir.Str(_quote(_tokens_text(ctx, value_toks)))
                elif isinstance(value, ir.Name) and value.id.lstrip("$") not in ctx.bound \
                        and not value.id.startswith("$"):
                    value = ir.Str(_quote(value.id))  # a word, as in commands
                call = ir.Call(ir.Name(verb), [value])
        if details is not None:
            if len(call.args) != 1 or call.kwargs:
                return None
            call = ir.Call(call.func, [ir.DictE(["value", "details"], [call.args[0], details],
                                                line=call.line)], line=call.line)
        if tag_toks:
            if len(tag_toks) == 1 and tag_toks[0].kind == "STR":
                tag: ir.Expr = ir.Str(tag_toks[0].text)
            else:
                tag_value = _parse_tokens(tag_toks)
                if isinstance(tag_value, (ir.Str, ir.Num)):
                    tag = tag_value
                else:
                    tag = ir.Str(_quote(_tokens_text(ctx, tag_toks)))
            if any(k == "tag" for k, *_ in call.kwargs):
                return None
            call = ir.Call(call.func, call.args, list(call.kwargs) + [("tag", tag)],
                           line=call.line)
        ctx.hit("M010", rest[0].line if rest else 0)
        return self.lower(call, pre)


def _module_path(toks: list[Tok]) -> bool:
    """Whether ``toks`` (what follows a ``use``) read as one module path: written without
    spaces and holding a ``/`` (``a/b``, ``../x``, ``/etc/x``, ``a/b-c``), not a string."""
    return bool(toks) and any(t.kind == "OP" and t.text == "/" for t in toks) and \
        all(t.kind != "STR" for t in toks) and all(a.end == b.start for a, b in zip(toks, toks[1:]))


def _plain_text(e: ir.Expr) -> Optional[str]:
    """The text of a plain string literal (no escapes, no prefix) or of a number; None for
    any other value (M042 joins only what reads the same as text)."""
    if isinstance(e, ir.Num):
        return e.raw
    if isinstance(e, ir.Str) and len(e.raw) >= 2 and e.raw[0] in "\"'" and \
            e.raw[-1] == e.raw[0] and "\\" not in e.raw and \
            e.raw[0] not in e.raw[1:-1]:
        return e.raw[1:-1]
    return None
