"""Expressions: JavaScript and Python spellings lowered to Aether 1.2 (``lower``).

Lambdas, conditional expressions and comprehensions become statements placed before
their use; reserved words used as names are renamed; interpolated strings become
concatenations; ``Math.floor``-style calls and the legacy runtimes' builtins get their
Aether 1.2 builtin names.

Rules: M018 kwarg-colon, M019 js-expressions, M020 lambdas, M021 conditional-expressions,
M022 string-interpolation, M025 reserved-names, M032 legacy-builtins, M043 memory-search-one.
Also: M012 (`$x`), M024 (a comprehension becomes a loop).
"""

from __future__ import annotations

import re
from typing import Optional

from ...semantics.catalogue import load_catalogue
from .. import ir
from ..parser import KEYWORDS_12
from ..tokens import LexError, tokenize
from .context import _NAME_RE, _dotted, _parse_tokens


_JS_CALLS = {
    "Math.floor": "floor", "Math.ceil": "ceil", "Math.round": "round", "Math.abs": "abs",
    "Math.max": "max", "Math.min": "min", "Math.pow": "pow", "Math.random": "random",
    "JSON.stringify": "to_json", "JSON.parse": "parse_json", "Object.keys": "keys",
    "Object.values": "values", "Object.entries": "items", "console.log": "log",
    "Date.now": "now", "parseInt": "int", "parseFloat": "float", "String": "str",
}

#: builtins of the legacy runtimes that Aether 1.2 has under another name (rule M032); a
#: name belongs here only when the two do the same thing with the same arguments
LEGACY_BUILTINS = {
    "plugin": "run_plugin",  # plugin("sysmon.status"): run a plugin function by name
}

#: the legacy brace-plugin dialect's single-record memory query (rule M043): the record its
#: filters match, or null; Aether 1.2 has only the list query `search_memory`, which takes
#: the filters as keywords (a map passed as its first value would be its text `query`)
_SEARCH_ONE = "search_memory_one"
#: keys a filter map may not have to become keywords of `search_memory`: these name its own
#: parameters, which mean something else than "the record's field equals this"
_NOT_FILTERS = frozenset({"query", "limit"})


def _one_record_filters(e: ir.Call) -> Optional[tuple[list, dict, bool]]:
    """The filters of the legacy call ``search_memory_one({type: "goal", id: id})`` (or
    ``search_memory_one(type="goal")``) as ``search_memory`` keywords: ``(kwargs, comments,
    multiline)`` with ``kwargs`` a list of ``(name, expr)``; None when they cannot all be
    keywords (a map held in a variable, a key that is no name, a key that is a parameter
    of ``search_memory`` of its own, or a key given twice)."""
    if e.args and e.kwargs or len(e.args) > 1:
        return None
    if e.args:
        d = e.args[0]
        if not isinstance(d, ir.DictE):
            return None
        names = [k[1:-1] if k[:1] in "\"'" and k[-1:] == k[:1] and len(k) >= 2 else k
                 for k in d.keys]
        pairs, comments, multiline = list(zip(names, d.values)), dict(d.comments or {}), \
            d.multiline or e.multiline
        # the call's own comments, around the map (`search_memory_one( // note` / `{...}`):
        # those before it lead the first filter, those after it go before the `)`
        outer = e.comments or {}
        lead, trail = outer.get(0, ([], None))
        if lead:
            first_lead, first_trail = comments.get(0, ([], None))
            comments[0] = (list(lead) + list(first_lead), first_trail)
        after = ([trail] if trail else []) + list(outer.get(1, ([], None))[0])
        if after:
            end_lead, end_trail = comments.get(len(pairs), ([], None))
            comments[len(pairs)] = (list(end_lead) + after, end_trail)
    else:
        pairs, comments, multiline = [(k, v) for k, v, *_ in e.kwargs], dict(e.comments), \
            e.multiline
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names) or any(
            not _NAME_RE.fullmatch(k) or k in KEYWORDS_12 or k in _NOT_FILTERS for k in names):
        return None
    # what stood before the closing bracket stays last, after the added `limit=1`
    if len(pairs) in comments:
        comments[len(pairs) + 1] = comments.pop(len(pairs))
    return pairs, comments, multiline


#: keyword names of the legacy runtimes' builtins that Aether 1.2 spells otherwise (rule
#: M032): `tags=` is `tag=` (a legacy tag string names one tag or several, comma-joined,
#: as `remember(x) as "ai,future"` does; Aether 1.2's `tag` takes the same text), and a
#: memory's `category` is its tag (`recall category: "general"` reads the memories filed
#: under "general"; Aether 1.2 files a memory under tags only, and a record has no
#: `category` a filter could match). Renamed only on a builtin whose signature has the new
#: name and not the old one.
LEGACY_KEYWORDS = {"tags": "tag", "category": "tag"}


def builtin_of(name: str):
    """The builtin ``name`` of the catalogue (its ``signature`` and ``effect``), or None
    when there is no such builtin."""
    builtin = load_catalogue().functions.get(name)
    return builtin if builtin is not None and hasattr(builtin, "signature") else None


def legacy_keywords(ctx, func: ir.Expr, kwargs: list, line: int) -> list:
    """``kwargs`` of a call of ``func`` with the legacy keyword names of :data:`LEGACY_KEYWORDS`
    renamed (M032) when ``func`` is a builtin that the file neither defines nor binds, whose
    signature takes the new name and not the old, and the call does not give the new name
    too; ``kwargs`` itself otherwise."""
    if not kwargs:  # (most commands: nothing to rename, no builtin to look up)
        return kwargs
    if not isinstance(func, ir.Name) or func.id in ctx.bound or func.id in ctx.defined_fns:
        return kwargs
    builtin = builtin_of(func.id)
    if builtin is None:
        return kwargs
    params = builtin.signature.params
    given = [k for k, *_ in kwargs]
    out = []
    for k, *rest in kwargs:
        new = LEGACY_KEYWORDS.get(k)
        # only the one keyword that would be `new` (`tags=` and `category=` both given, or
        # one twice, would be `tag=` twice: left as written)
        if new and new in params and k not in params and new not in given and \
                sum(LEGACY_KEYWORDS.get(g) == new for g in given) == 1:
            ctx.hit("M032", line)
            k = new
        out.append((k, *rest))
    return out if out != kwargs else kwargs


#: a pause given as a number and its unit, `sleep(5, "seconds")`, is one duration in
#: Aether 1.2, `sleep(5s)` (rule M032)
_PAUSES = ("sleep", "wait")
_UNITS = {"ms": "ms", "millisecond": "ms", "milliseconds": "ms", "s": "s", "sec": "s",
          "secs": "s", "second": "s", "seconds": "s", "m": "m", "min": "m", "mins": "m",
          "minute": "m", "minutes": "m", "h": "h", "hour": "h", "hours": "h"}
_PLAIN_NUMBER = re.compile(r"\d[\d_]*(\.\d+)?")


def _pause_duration(e: ir.Call) -> Optional[ir.Num]:
    """``sleep(5, "seconds")`` -> the duration ``5s``; None for any other call."""
    if len(e.args) != 2 or e.kwargs or not isinstance(e.args[0], ir.Num) or \
            not isinstance(e.args[1], ir.Str):
        return None
    number, unit = e.args[0].raw, e.args[1].raw[1:-1].strip().lower()
    if not _PLAIN_NUMBER.fullmatch(number) or unit not in _UNITS:
        return None
    return ir.Num(number + _UNITS[unit], e.line)


#: what ends a run of plain text in an interpolated string (_split_interpolation)
_INTERPOLATION_CHARS = re.compile(r"[\\{}]")
_FORMAT_SPEC = re.compile(r"^(.*?):([^:'\"]*)$")


def _split_interpolation(raw: str, fstring: bool):
    """``"a {x} b"`` -> [("text", "a "), ("code", ("x", spec)), ("text", " b")], or None
    when the braces are not interpolation (unbalanced, empty, JSON-looking)."""
    inner = raw[1:-1]
    parts = []
    i = 0
    buf = []
    found = False
    n = len(inner)
    special = _INTERPOLATION_CHARS.search
    while i < n:
        # the text up to the next `\`, `{` or `}` taken whole (it is text, character for
        # character): one character at a time was most of the time spent on a string
        m = special(inner, i)
        if m is None:
            buf.append(inner[i:])
            break
        j = m.start()
        if j > i:
            buf.append(inner[i:j])
            i = j
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            buf.append(inner[i:i + 2])
            i += 2
            continue
        if fstring and inner.startswith("{{", i):
            buf.append("{")
            i += 2
            continue
        if fstring and inner.startswith("}}", i):
            buf.append("}")
            i += 2
            continue
        if ch == "{":
            j = inner.find("}", i + 1)
            if j == -1:
                return None
            code = inner[i + 1:j]
            if not code.strip() or "{" in code or '"' in code and raw[0] == '"':
                return None
            spec = None
            m = _FORMAT_SPEC.match(code)
            if m and fstring and not re.search(r"[\w)\]]\s*$", m.group(2)):
                code, spec = m.group(1), m.group(2)
            elif m and fstring and re.match(r"^\.\d+f$", m.group(2)):
                code, spec = m.group(1), m.group(2)
            parts.append(("text", "".join(buf)))
            buf = []
            parts.append(("code", (code, spec)))
            found = True
            i = j + 1
            continue
        buf.append(ch)
        i += 1
    parts.append(("text", "".join(buf)))
    return parts if found else None


#: what :func:`_fragment` read each interpolated piece of code as, when that is nothing
#: (None) or a name or a chain of members (most pieces: ``{name}``, ``{user.name}``),
#: kept as :func:`_fragment_shape` gives it; bounded, as a cache, in entries and in the
#: length of each piece (a longer one is read each time: the cache outlives the file, and
#: a piece can be most of a large file)
_FRAGMENTS: dict[str, Optional[tuple]] = {}
_FRAGMENTS_MAX = 4096
_FRAGMENT_LEN_MAX = 256
_UNREAD = ("?",)  # a fragment read as something else: read again each time


def _fragment_shape(e: Optional[ir.Expr]) -> Optional[tuple]:
    """``e`` (None, a name or members of a name) as a tuple :func:`_fragment_build` builds
    again, or ``_UNREAD`` for any other expression."""
    if e is None:
        return None
    cls = type(e)
    if cls is ir.Name:
        return ("name", e.id, e.line)
    if cls is ir.Member:
        inner = _fragment_shape(e.value)
        if inner is None or inner is _UNREAD:
            return _UNREAD
        return ("member", inner, e.attr, e.line)
    return _UNREAD


def _fragment_build(shape: tuple) -> ir.Expr:
    if shape[0] == "name":
        return ir.Name(shape[1], shape[2])
    return ir.Member(_fragment_build(shape[1]), shape[2], shape[3])


def _fragment(code: str) -> Optional[ir.Expr]:
    """The interpolated piece of code ``code`` (``x.y`` of ``"a {x.y}"``) read as one
    expression, new nodes each time; None when it is none. The reading depends on the
    code alone, so a name or a member chain, and a piece that is no expression, are read
    once and built again from their shape: tokenizing and parsing each piece was a
    twelfth of the statements' conversion."""
    shape = _FRAGMENTS.get(code, _UNREAD)
    if shape is None:
        return None
    if shape is not _UNREAD and len(code) <= _FRAGMENT_LEN_MAX:
        return _fragment_build(shape)
    try:
        inner = _parse_tokens(tokenize(code)[:-2])
    except LexError:
        inner = None
    shape = _fragment_shape(inner)
    if shape is not _UNREAD and len(code) <= _FRAGMENT_LEN_MAX:
        if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
            _FRAGMENTS.clear()
        _FRAGMENTS[code] = shape
    return inner


#: the first characters of a name lower() changes (``$x``, ``4o``), and "" (no name): a
#: name not opening with one of them is kept unless renamed or reserved
_NAME_FIXED = frozenset("$0123456789") | {""}


class Expressions:
    """Expression lowering of :class:`~.converter.Converter`."""

    def lower_all(self, items: list, pre: list, where: str = "") -> list:
        """``[self.lower(x, pre, where) for x in items]``: a number, a literal, and a name
        or a string that lower() keeps (most items of a call, a list or a map) are taken
        as they are, without a call each."""
        renamed = self.ctx.renamed
        lower = self.lower
        out = []
        for a in items:
            cls = type(a)
            if cls is ir.Num or cls is ir.Lit or cls is ir.Str and "{" not in a.raw and \
                    a.raw[:1] != "f" or cls is ir.Name and a.id[:1] not in _NAME_FIXED and \
                    a.id not in renamed and a.id not in KEYWORDS_12:
                out.append(a)
            else:
                out.append(lower(a, pre, where))
        return out

    def lower(self, e, pre: list, where: str = "") -> ir.Expr:
        """``e`` with lambdas and conditional expressions hoisted into ``pre`` and every
        JavaScript spelling replaced (the result only holds printable nodes)."""
        ctx = self.ctx
        if e is None:
            return None
        # dispatched on ``type(e)`` (the IR's expression classes have no subclasses), the
        # commonest first: lowering was a sixth of the statement conversion, much of it the
        # chain of isinstance tests
        # A name, a string or a member that lowering leaves as it is is returned itself,
        # not a copy (most of them; the tree read is never changed after parsing, and
        # what is lowered only printed): allocating a node per name was a tenth of this.
        cls = type(e)
        if cls is ir.Name:
            ident = e.id
            if ident.startswith("$"):
                ctx.hit("M012", e.line)
                ident = ident.lstrip("$")
            elif ident not in ctx.renamed and ident not in KEYWORDS_12 and \
                    not ident[:1].isdigit():
                return e  # (most names need no fixing)
            if ident in ctx.renamed or ident in KEYWORDS_12 or ident[:1].isdigit():
                ident = self.fix_name(ident, e.line)
            return ir.Name(ident, e.line)
        if cls is ir.Str:
            raw = e.raw
            if "{" not in raw:  # (most strings: no interpolation, see string())
                return ir.Str(raw[1:], e.line) if raw[:2] in ('f"', "f'") else e
            return self.string(e, pre, where)
        if cls is ir.Num or cls is ir.Lit:
            return e
        if cls is ir.Member:
            value = e.value
            if type(value) is ir.Name:  # (most members: of a name lower() keeps)
                ident = value.id
                if ident[:1] not in _NAME_FIXED and ident not in ctx.renamed and \
                        ident not in KEYWORDS_12:
                    return e
            low = self.lower(value, pre, where)
            return e if low is value else ir.Member(low, e.attr, e.line)
        if cls is ir.Call:
            return self.lower_call(e, pre, where)
        if cls is ir.Paren:
            inner = self.lower(e.value, pre, where)
            return ir.Paren(inner, e.line) if not isinstance(inner, ir.Name) else inner
        if cls is ir.Bin:
            left = self.lower(e.left, pre, where)
            if e.op in ("and", "or"):
                # the right operand may not run at all: only fn definitions (no effect)
                # may be moved out of it
                right_pre: list = []
                right = self.lower(e.right, right_pre, where)
                if any(not (isinstance(x, ir.Block) and x.kind == "fn") for x in right_pre):
                    # keep the short circuit: t: left / if t (or not t): <right's prelude>,
                    # t: right
                    if where in ("while", "elif"):
                        raise ir.Unconvertible(
                            f"a comprehension or conditional expression in a `{where}` "
                            "condition cannot be moved before it", e.line or None)
                    ctx.hit("M021", e.line)
                    name = ctx.temp("cond")
                    ctx.bound.add(name)
                    first = ir.Simple("bind", e.line, e.line, target=ir.Name(name), value=left)
                    first.synthetic = True
                    last = ir.Simple("bind", e.line, e.line, target=ir.Name(name), value=right)
                    last.synthetic = True
                    test: ir.Expr = ir.Name(name) if e.op == "and" else \
                        ir.Unary("not", ir.Name(name))
                    guard = ir.Block("if", e.line, test=test, body=right_pre + [last])
                    guard.head_last = guard.last = e.line
                    guard.synthetic = True
                    pre.append(first)
                    pre.append(guard)
                    return ir.Name(name, e.line)
                pre.extend(right_pre)
                return ir.Bin(e.op, left, right, e.line)
            return ir.Bin(e.op, left, self.lower(e.right, pre, where), e.line)
        if cls is ir.Unary:
            return ir.Unary(e.op, self.lower(e.operand, pre, where), e.line)
        if cls is ir.Index:
            return ir.Index(self.lower(e.value, pre, where), self.lower(e.index, pre, where),
                            e.line)
        if cls is ir.ListE:
            return ir.ListE(self.lower_all(e.items, pre, where), e.comments, e.multiline,
                            e.line)
        if cls is ir.DictE:
            return ir.DictE(e.keys, self.lower_all(e.values, pre, where), e.comments,
                            e.multiline, e.line)
        if cls is ir.Lambda:
            ctx.hit("M020", e.line)
            name = ctx.temp("lambda")
            ctx.fn_names.add(name)
            if isinstance(e.body, list):
                body = e.body
            else:
                body = [ir.Simple("return", e.line, e.line, value=e.body)]
            fn = ir.Block("fn", e.line, name=name, params=e.params, body=body)
            fn.head_last = e.line
            fn.last = e.line
            fn.synthetic = True
            pre.append(fn)
            return ir.Name(name, e.line)
        if cls is ir.Comp:
            if where in ("while", "elif"):
                raise ir.Unconvertible(f"a comprehension in a `{where}` condition cannot be "
                                       "moved before it", e.line)
            ctx.hit("M024", e.line)
            name = ctx.temp("items")
            ctx.bound.add(name)
            init = ir.Simple("bind", e.line, e.line, target=ir.Name(name), value=ir.ListE([]))
            init.synthetic = True
            add = ir.Simple("bind", e.line, e.line, target=ir.Name(name),
                            value=ir.Call(ir.Name("append"), [ir.Name(name), e.elt]))
            add.synthetic = True
            body: list = [add]
            if e.cond is not None:
                guard = ir.Block("if", e.line, test=e.cond, body=[add])
                guard.head_last = guard.last = e.line
                guard.synthetic = True
                body = [guard]
            loop = ir.Block("for", e.line, target=e.target, iter=e.iter, body=body)
            loop.head_last = loop.last = e.line
            loop.synthetic = True
            pre.append(init)
            pre.append(loop)
            return ir.Name(name, e.line)
        if cls is ir.Ternary:
            if where in ("while", "elif"):
                raise ir.Unconvertible(f"a conditional expression in a `{where}` condition "
                                       "cannot be moved before it", e.line)
            ctx.hit("M021", e.line)
            name = ctx.temp("cond")
            ctx.bound.add(name)
            test = self.lower(e.test, pre, where)
            inner_then: list = []
            then = self.lower(e.then, inner_then, where)
            inner_other: list = []
            other = self.lower(e.other, inner_other, where)
            block = ir.Block("if", e.line, test=test,
                             body=inner_then + [ir.Simple("bind", e.line, e.line,
                                                          target=ir.Name(name), value=then)],
                             orelse=inner_other + [ir.Simple("bind", e.line, e.line,
                                                             target=ir.Name(name),
                                                             value=other)])
            block.head_last = e.line
            block.last = e.line
            block.synthetic = True
            for part in block.body + block.orelse:
                part.synthetic = True
            pre.append(block)
            return ir.Name(name, e.line)
        raise ir.Unconvertible("an expression with no Aether 1.2 form", getattr(e, "line", None))

    def lower_call(self, e: ir.Call, pre: list, where: str) -> ir.Expr:
        """:meth:`lower` of a call."""
        ctx = self.ctx
        func = e.func
        dotted = func.id if type(func) is ir.Name else _dotted(func)
        if dotted in _JS_CALLS:
            ctx.hit("M019", e.line)
            func = ir.Name(_JS_CALLS[dotted], e.line)
        elif dotted in _PAUSES and dotted not in ctx.bound and \
                dotted not in ctx.defined_fns and _pause_duration(e) is not None:
            ctx.hit("M032", e.line)
            return ir.Call(ir.Name("sleep", e.line), [_pause_duration(e)], [], e.comments,
                           e.multiline, e.line)
        elif dotted == _SEARCH_ONE and not {_SEARCH_ONE, "first", "search_memory"} & (
                ctx.bound | ctx.defined_fns) and _one_record_filters(e) is not None:
            # the legacy single-record query: the first record of the list query
            # limited to one, or null (`first` of an empty list is null); a file that
            # defines or binds one of the three names keeps the call as written
            ctx.hit("M043", e.line)
            pairs, comments, multiline = _one_record_filters(e)
            kwargs = [(self.fix_name(k, e.line), self.lower(v, pre, where))
                      for k, v in pairs]
            kwargs.append(("limit", ir.Num("1", e.line)))
            search = ir.Call(ir.Name("search_memory", e.line), [], kwargs, comments,
                             multiline, e.line)
            return ir.Call(ir.Name("first", e.line), [search], [], {}, False, e.line)
        elif dotted in LEGACY_BUILTINS and dotted not in ctx.bound and \
                dotted not in ctx.defined_fns:
            # the legacy runtimes' builtin under its Aether 1.2 name (a file that
            # defines or binds the name itself keeps it)
            ctx.hit("M032", e.line)
            func = ir.Name(LEGACY_BUILTINS[dotted], e.line)
        elif type(func) is not ir.Name or dotted[:1] in _NAME_FIXED or \
                dotted in ctx.renamed or dotted in KEYWORDS_12:
            func = self.lower(func, pre, where)  # (a name lower() keeps is kept as it is)
        kwargs = []
        for k, v, *style in e.kwargs:
            if style and style[0] == ":":
                ctx.hit("M018", e.line)
            kwargs.append((self.fix_name(k, e.line), self.lower(v, pre, where)))
        if kwargs:  # (without keywords there is nothing to rename)
            kwargs = legacy_keywords(ctx, func, kwargs, e.line)
        return ir.Call(func, self.lower_all(e.args, pre, where), kwargs, e.comments,
                       e.multiline, e.line)

    def fix_name(self, ident: str, line: int) -> str:
        if ident in self.ctx.renamed:
            self.ctx.hit("M025", line)
            return self.ctx.renamed[ident]
        if ident in KEYWORDS_12:
            self.ctx.hit("M025", line)
            return ident + "_"
        if ident and ident[0].isdigit() and _NAME_RE.match("_" + ident):
            self.ctx.hit("M025", line)
            return "_" + ident
        return ident

    def string(self, s: ir.Str, pre: list, where: str) -> ir.Expr:
        raw = s.raw
        fstring = raw.startswith(("f\"", "f'"))
        if fstring:
            raw = raw[1:]
        if not (self.ctx.brace or fstring) or "{" not in raw:
            return ir.Str(raw, s.line)
        parts = _split_interpolation(raw, fstring)
        if parts is None:
            return ir.Str(raw, s.line)
        quote = raw[0]
        pieces: list[ir.Expr] = []
        for kind, value in parts:
            if kind == "text":
                if value:
                    pieces.append(ir.Str(quote + value + quote, s.line))
                continue
            code, spec = value
            inner = _fragment(code)
            if inner is None:
                return ir.Str(raw, s.line)
            inner = self.lower(inner, pre, where)
            if spec:
                m = re.match(r"^\.(\d+)f$", spec)
                if not m:
                    raise ir.Unconvertible(f"the format specification ':{spec}' has no Aether "
                                           "1.2 form", s.line)
                inner = ir.Call(ir.Name("round"), [inner, ir.Num(m.group(1))], line=s.line)
            pieces.append(ir.Call(ir.Name("str"), [inner], line=s.line))
        self.ctx.hit("M022", s.line)
        if not pieces:
            return ir.Str(quote + quote, s.line)
        out = pieces[0]
        if not isinstance(out, ir.Str) and len(pieces) == 1:
            return out
        for p in pieces[1:]:
            out = ir.Bin("+", out, p, s.line)
        return out
