"""The migration's intermediate tree: what a legacy file says, before it is Aether 1.2.

Expressions and statements of every dialect (brace, colon-and-``end``, line commands,
YAML-style plugins) map onto these few node classes. Each statement keeps the source lines
it came from (``first``/``last``; for a block statement, ``head_last`` ends its header) and
its comments, so the printer can keep untouched code byte for byte and put every comment
back.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["Expr", "Name", "Str", "Num", "Lit", "ListE", "DictE", "Call", "Member", "Index",
           "Unary", "Bin", "Lambda", "Ternary", "Comp", "Paren", "Stmt", "Comment", "Simple",
           "Block", "Unconvertible"]


class Unconvertible(Exception):
    """A construct with no Aether 1.2 form: ``line`` and a one-line ``reason``."""

    def __init__(self, reason: str, line: Optional[int] = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        # a construct recognised as having no Aether 1.2 form (not merely unreadable
        # here): no fallback may turn it into text
        self.definite = "no Aether 1.2 form" in reason


# ---------------------------------------------------------------- expressions

class Expr:
    __slots__ = ("line",)
    multiline = False


class Name(Expr):
    __slots__ = ("id",)

    def __init__(self, id: str, line: int = 0):
        self.id = id
        self.line = line


class Str(Expr):
    """A string literal as written (``raw`` keeps its quotes and escapes)."""

    __slots__ = ("raw",)

    def __init__(self, raw: str, line: int = 0):
        self.raw = raw
        self.line = line


class Num(Expr):
    """A number, duration or other literal token kept as written (``raw``)."""

    __slots__ = ("raw",)

    def __init__(self, raw: str, line: int = 0):
        self.raw = raw
        self.line = line


class Lit(Expr):
    """``true``, ``false`` or ``null``."""

    __slots__ = ("value",)

    def __init__(self, value: str, line: int = 0):
        self.value = value
        self.line = line


class ListE(Expr):
    __slots__ = ("items", "comments", "multiline")

    def __init__(self, items, comments=None, multiline=False, line: int = 0):
        self.items = items
        self.comments = comments or {}  # item index -> (leading [str], trailing str|None)
        self.multiline = multiline
        self.line = line


class DictE(Expr):
    """``keys`` are key spellings as they must be printed (``name`` or ``"quoted"``)."""

    __slots__ = ("keys", "values", "comments", "multiline")

    def __init__(self, keys, values, comments=None, multiline=False, line: int = 0):
        self.keys = keys
        self.values = values
        self.comments = comments or {}
        self.multiline = multiline
        self.line = line


class Call(Expr):
    __slots__ = ("func", "args", "kwargs", "comments", "multiline")

    def __init__(self, func, args, kwargs=None, comments=None, multiline=False, line: int = 0):
        self.func = func
        self.args = args
        self.kwargs = kwargs or []  # [(name, expr)]
        self.comments = comments or {}
        self.multiline = multiline
        self.line = line


class Member(Expr):
    __slots__ = ("value", "attr")

    def __init__(self, value, attr, line: int = 0):
        self.value = value
        self.attr = attr
        self.line = line


class Index(Expr):
    __slots__ = ("value", "index")

    def __init__(self, value, index, line: int = 0):
        self.value = value
        self.index = index
        self.line = line


class Unary(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op, operand, line: int = 0):
        self.op = op  # "-", "not"
        self.operand = operand
        self.line = line


class Bin(Expr):
    """Binary operation; ``op`` is already the Aether 1.2 spelling (``and``, ``==``...)."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op, left, right, line: int = 0):
        self.op = op
        self.left = left
        self.right = right
        self.line = line


class Lambda(Expr):
    """``x => expr`` / ``(a, b) => { ... }`` / ``function (a) { ... }``: ``body`` is an
    expression or a list of statements."""

    __slots__ = ("params", "body")

    def __init__(self, params, body, line: int = 0):
        self.params = params
        self.body = body
        self.line = line


class Ternary(Expr):
    __slots__ = ("test", "then", "other")

    def __init__(self, test, then, other, line: int = 0):
        self.test = test
        self.then = then
        self.other = other
        self.line = line


class Comp(Expr):
    """``[expr for target in iter if cond]`` / a generator argument ``f(x for x in xs)``."""

    __slots__ = ("elt", "target", "iter", "cond")

    def __init__(self, elt, target, iter, cond, line: int = 0):
        self.elt = elt
        self.target = target
        self.iter = iter
        self.cond = cond
        self.line = line


class Paren(Expr):
    __slots__ = ("value",)

    def __init__(self, value, line: int = 0):
        self.value = value
        self.line = line


# ---------------------------------------------------------------- statements

class Stmt:
    """Base: source lines ``first``..``last``, comments, and the rules that touched it."""

    __slots__ = ("first", "last", "trailing", "rules", "synthetic")

    def __init__(self, first: int, last: int):
        self.first = first
        self.last = last
        self.synthetic = False  # made by a rule (hoisted), never copied from the source
        self.trailing: Optional[str] = None
        self.rules: list[str] = []


class Comment(Stmt):
    __slots__ = ("text", "indent")

    def __init__(self, text: str, line: int, indent: int = 0):
        super().__init__(line, line)
        self.text = text
        self.indent = indent


class Simple(Stmt):
    """A one-line statement.

    ``kind``: bind (``target: value``; ``target`` a name), assign (``target = value``, a
    name, member or index target, ``op`` one of ``=``, ``+=``, ``-=``), expr (an expression
    statement), return, break, continue, await (``names``), dash (``- value`` with
    ``options``), dashmap (``- key: value``, with a continuation block in ``body``), raw
    (``tokens`` kept for the command rule).
    """

    __slots__ = ("kind", "target", "op", "value", "options", "names", "tokens", "body",
                 "indent", "text", "value_tokens")

    def __init__(self, kind: str, first: int, last: int, **kw):
        super().__init__(first, last)
        self.kind = kind
        self.target = kw.get("target")
        self.op = kw.get("op")
        self.value = kw.get("value")
        self.options = kw.get("options", [])
        self.names = kw.get("names", [])
        self.tokens = kw.get("tokens", [])
        self.body = kw.get("body")
        self.indent = kw.get("indent", 0)
        self.text = kw.get("text")
        self.value_tokens = kw.get("value_tokens", [])


class Block(Stmt):
    """A statement with a body.

    ``kind``: if (``test``, ``body``, ``orelse``: a list holding one nested elif Block,
    or the else body), for (``target`` name or list of names, ``iter``), while, try
    (``catch_name``, ``handler``), fn (``name``, ``params`` [(name, default expr|None)]),
    section (``name``), match (``test``, ``cases`` [(pattern exprs|None, body)]),
    plugin (``name``, brace or YAML plugin), header (a legacy header: ``words`` tokens).
    ``style`` records how the body was delimited: colon, colonless, brace, end.
    """

    __slots__ = ("kind", "name", "test", "target", "iter", "params", "body", "orelse",
                 "catch_name", "handler", "cases", "words", "style", "head_last",
                 "indent", "is_elif", "else_trailing", "catch_trailing", "head_tokens",
                 "else_line", "catch_line", "closer_comments", "final", "lowered")

    def __init__(self, kind: str, first: int, **kw):
        super().__init__(first, first)
        self.kind = kind
        self.name = kw.get("name")
        self.test = kw.get("test")
        self.target = kw.get("target")
        self.iter = kw.get("iter")
        self.params = kw.get("params", [])
        self.body: list = kw.get("body", [])
        self.orelse: list = kw.get("orelse", [])
        self.catch_name = kw.get("catch_name")
        self.handler: list = kw.get("handler", [])
        self.cases = kw.get("cases", [])
        self.words = kw.get("words", [])
        self.style = kw.get("style", "colon")
        self.head_last = first
        self.indent = kw.get("indent", 0)
        self.is_elif = False
        self.else_trailing = None
        self.catch_trailing = None
        self.head_tokens = kw.get("head_tokens", [])
        self.else_line = None
        self.catch_line = None
        self.closer_comments: list = []
        self.final: list = []
        self.lowered = False
