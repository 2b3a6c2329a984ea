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
        # Stmt's fields set here rather than by super().__init__ (see Simple)
        self.first = line
        self.last = line
        self.synthetic = False
        self.trailing = None
        self.rules = []
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

    # Explicit keyword parameters (not ``**kw`` read by ``dict.get``) and Stmt's fields
    # set here rather than by ``super().__init__``: node construction was about a quarter
    # of the legacy parse. The keywords are those ``**kw`` read; a list field left out
    # (None) starts as a new empty list.
    def __init__(self, kind: str, first: int, last: int, target=None, op=None, value=None,
                 options=None, names=None, tokens=None, body=None, indent: int = 0,
                 text=None, value_tokens=None):
        self.first = first
        self.last = last
        self.synthetic = False  # see Stmt
        self.trailing = None
        self.rules = []
        self.kind = kind
        self.target = target
        self.op = op
        self.value = value
        self.options = [] if options is None else options
        self.names = [] if names is None else names
        self.tokens = [] if tokens is None else tokens
        self.body = body
        self.indent = indent
        self.text = text
        self.value_tokens = [] if value_tokens is None else value_tokens


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

    # explicit keyword parameters and Stmt's fields set here, as in Simple
    def __init__(self, kind: str, first: int, name=None, test=None, target=None, iter=None,
                 params=None, body=None, orelse=None, catch_name=None, handler=None,
                 cases=None, words=None, style: str = "colon", indent: int = 0,
                 head_tokens=None):
        self.first = first
        self.last = first
        self.synthetic = False  # see Stmt
        self.trailing = None
        self.rules = []
        self.kind = kind
        self.name = name
        self.test = test
        self.target = target
        self.iter = iter
        self.params = [] if params is None else params
        self.body: list = [] if body is None else body
        self.orelse: list = [] if orelse is None else orelse
        self.catch_name = catch_name
        self.handler: list = [] if handler is None else handler
        self.cases = [] if cases is None else cases
        self.words = [] if words is None else words
        self.style = style
        self.head_last = first
        self.indent = indent
        self.is_elif = False
        self.else_trailing = None
        self.catch_trailing = None
        self.head_tokens = [] if head_tokens is None else head_tokens
        self.else_line = None
        self.catch_line = None
        self.closer_comments: list = []
        self.final: list = []
        self.lowered = False
