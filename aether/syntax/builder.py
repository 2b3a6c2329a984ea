"""Lark callbacks that build :mod:`aether.ast` nodes directly while the LALR parser reduces.

Passed to Lark as an inline transformer, so no intermediate parse tree is ever built.
Children arrive as lists of lark Tokens (the grammar's named terminals) and AST nodes;
each method returns a node (or a small tuple for helper rules). Positions come from the
first and last child, so every node spans exactly the text it was parsed from.
"""

from __future__ import annotations

import re
import sys

from .. import ast as A
from . import lalr
from .errors import AetherSyntaxError
from .lalr import Tok
from .lexer import MAX_NESTING

__all__ = ["AstBuilder", "unescape", "duration_seconds"]

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_ESC_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DURATION_RE = re.compile(r"([0-9][0-9_]*(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _esc(m: re.Match) -> str:
    body = m.group(1)
    if len(body) == 5:  # uXXXX
        return chr(int(body[1:], 16))
    return _ESCAPES.get(body, body)


def unescape(raw: str) -> str:
    """The value of a quoted string literal as written in source (quotes included).

    Two ``\\uXXXX`` escapes of a UTF-16 surrogate pair are one character (as in JSON);
    raises ValueError naming the escape when one names half a pair alone (no UTF-8 text
    can hold it: printing or recording the string would fail).
    """
    inner = raw[1:-1]
    if "\\" not in inner:
        return inner
    value = _ESC_RE.sub(_esc, inner)
    if value.isascii() or _SURROGATE.search(value) is None:
        return value
    try:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError as exc:
        half = int.from_bytes(exc.object[exc.start:exc.start + 2], "little")
        raise ValueError(f"the escape \\u{half:04x} is half of a UTF-16 surrogate pair "
                         "with no other half: no text can hold it") from None


def _string_literal(t) -> str:
    """The value of a STRING token; AE113 when it escapes a lone surrogate."""
    try:
        return unescape(t.value)
    except ValueError as exc:
        raise AetherSyntaxError("AE113", str(exc), t.line, t.column) from None


def duration_seconds(text: str):
    """Seconds in a duration such as ``250ms`` or ``1.5s``; None if it is not one.

    The whole text must be the duration (``" 30s"`` is not one): a quoted duration means the
    same as the token, and a token has no spaces.
    """
    m = _DURATION_RE.fullmatch(text)  # one token: no spaces, no trailing newline
    if not m:
        return None
    return float(m.group(1).replace("_", "")) * _UNIT[m.group(2)]


# 2**63: the largest literal, since `-9223372036854775808` is the smallest 64-bit integer
_INT_LIMIT = 2 ** 63


def _shown_literal(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"


def _int_literal(t) -> int:
    """The value of an INT token; AE112 beyond the 64-bit range. The length is checked
    first: ``int()`` of thousands of digits is slow, and refused past 4,300."""
    digits = t.value.replace("_", "").lstrip("0") or "0"
    if len(digits) > 19 or int(digits) > _INT_LIMIT:
        raise AetherSyntaxError("AE112", f"the number {_shown_literal(t.value)} is outside the "
                                "64-bit integer range", t.line, t.column)
    return int(digits)


def _finite(value: float, t) -> float:
    """``value`` of a FLOAT or DURATION token; AE112 when it overflowed to infinity."""
    if value != value or value in (float("inf"), float("-inf")):
        raise AetherSyntaxError("AE112", f"the number {_shown_literal(t.value)} is too large "
                                "(it would be infinite)", t.line, t.column)
    return value


_KIND = {A.Call: "a call", A.Str: "a string", A.Int: "a number", A.Float: "a number",
         A.Duration: "a duration", A.Bool: "a truth value", A.Null: "'null'",
         A.ListExpr: "a list", A.DictExpr: "a dict"}
_TARGET_SHAPE = "a name, optionally followed by `.member` and `[key]` steps"


_MAX_FOLD = "-" * 64  # the most signs folded into a literal (see neg)

# The AST node classes the builder makes, by name (every Node subclass of aether/ast.py).
_NODE_CLASSES = {name: cls for name, cls in vars(A).items()
                 if isinstance(cls, type) and issubclass(cls, A.Node)}


def _maker(cls: type, maker):
    """A compiled maker of ``cls`` nodes (made by ``maker``, ``_speedups.Maker``), or ``cls``
    itself when its ``__init__`` does more than store each argument in the slot of the same
    name (and intern str values), so that a maker would not give what ``cls(*args)`` gives.

    Calling a node class runs its Python ``__init__``, an ``object.__setattr__`` per field:
    about four fifths of the cost of a node, which the maker does in C. What the
    ``__init__`` does is read off a probe (one instance made from fresh strings), not
    assumed, so a change to aether/ast.py falls back to the class rather than building
    other nodes (tests/test_compiled_parser.py also compares trees built both ways)."""
    fields = cls._fields
    init = cls.__init__
    code = getattr(init, "__code__", None)
    slots = {s for k in cls.__mro__ for s in k.__dict__.get("__slots__", ())}
    if (code is None or code.co_varnames[1:code.co_argcount] != fields
            or code.co_kwonlyargcount or code.co_flags & 0x0C  # *args, **kwargs
            or slots != set(fields)):
        return cls
    # each probe string is equal to an interned one but not it: interned, it becomes that
    interned_probe = tuple(sys.intern("".join(("\0probe:", f))) for f in fields)
    probe = tuple("".join(("\0", p))[1:] for p in interned_probe)
    try:
        node = cls(*probe)
    except Exception:  # noqa: BLE001 (an __init__ that checks its arguments)
        return cls
    interned = []
    for field, arg, key in zip(fields, probe, interned_probe):
        got = getattr(node, field, None)
        if got is arg:
            interned.append(False)
        elif got is key:
            interned.append(True)
        else:  # stored something else: not a plain __init__
            return cls
    try:
        return maker(cls, fields, init.__defaults__ or (), tuple(interned))
    except TypeError:  # not plain slotted instances (a __new__, a __dict__...)
        return cls


_MAKERS: dict = {}


def _makers() -> dict:
    """Node class name -> its compiled maker (or the class, see _maker); {} when the
    compiled parser is not built (or is a build older than the makers: an editable install
    not rebuilt since). Made on first use, then kept."""
    maker = getattr(lalr._speedups, "Maker", None)
    if not _MAKERS and maker is not None:
        _MAKERS.update((name, _maker(cls, maker)) for name, cls in _NODE_CLASSES.items())
    return _MAKERS


_SHARED_LITERALS = 4096  # see AstBuilder.item_done


class AstBuilder:
    """The inline transformer: one method per grammar rule or alias."""

    def __init__(self, compiled: Optional[bool] = None) -> None:
        """``compiled``: make nodes with the compiled makers (None: when they are built
        and the compiled parser is in use, see ``lalr.COMPILED``)."""
        if compiled is None:
            compiled = lalr.COMPILED
        if compiled:
            # Instance attributes in front of the class's: the methods say `self.Name(...)`
            self.__dict__.update(_makers())
        # Expressions written in parentheses that look like targets (`(a).b`): `paren`
        # returns its inner node, so they are remembered (the node itself is kept, so its
        # id cannot be reused) until the parse ends. A parenthesis is not a target.
        self._parens: dict[int, A.Expr] = {}
        # Literals as written -> (the one string kept for them, the literal's value): a file
        # repeats its literals, and a string per occurrence (two for a string literal, raw
        # and value) was a large share of a parsed file's memory. Emptied when a parse
        # ends, as _parens is, so it holds at most one file's literals.
        self._literals: dict[str, tuple] = {}

    def _target(self, node, what: str):
        """``(root name, update target or None)`` of the expression before a statement's
        ``:`` / ``+=`` / ``-=``; raises AetherSyntaxError (AE100) when it is not a target.
        """
        if isinstance(node, A.Name) and id(node) not in self._parens:
            return node.id, None
        current = node
        steps = 0
        while True:
            if id(current) in self._parens:
                kind = "an expression in parentheses"
                break
            if isinstance(current, (A.Member, A.Index)):
                current = current.value
                steps += 1
                continue
            if isinstance(current, A.Name):
                if steps > MAX_NESTING:
                    # the update rebuilds one level of the value per step: past the
                    # nesting limit the runtime would recurse that deep (it crashed)
                    raise AetherSyntaxError(
                        "AE110", f"the update target has {steps} steps, more than the "
                        f"{MAX_NESTING} levels values and brackets may be nested",
                        node.line, node.column, node.end_line, node.end_column)
                return current.id, node
            kind = _KIND.get(type(current), "an expression")
            break
        message = (f"{kind} cannot be the target of a {what}" if current is node
                   else f"the target of a {what} cannot contain {kind}")
        raise AetherSyntaxError(
            "AE100", f"{message}; a target is {_TARGET_SHAPE}", node.line, node.column,
            node.end_line, node.end_column,
            hint="to use a call's result, bind it first: `x: f(...)`, then `x.key: value`"
            if kind == "a call" else None)

    def item_done(self) -> None:
        """A top-level statement is complete and handed on (a parse that does not keep the
        tree, :func:`aether.syntax.parser.parse_items`): nothing built so far is looked up
        again, so the parentheses remembered go (they would hold every parenthesised
        expression of the file). The literals shared go once there are more than
        _SHARED_LITERALS: kept to the end, they would hold every literal of the file (a
        string shared with statements that are gone saves nothing), and emptied after each
        statement, every literal was worked out again (a tenth of such a parse)."""
        if self._parens:
            self._parens.clear()
        if len(self._literals) > _SHARED_LITERALS:
            self._literals.clear()

    # ------------------------------------------------------------ module & statements
    def start(self, c):
        self._parens.clear()  # the parse is over: nothing built so far is looked up again
        self._literals.clear()
        body = tuple(c)
        if body:
            last = body[-1]
            return self.Module(1, 1, last.end_line, last.end_column, body)
        return self.Module(1, 1, 1, 1, ())

    def binding(self, c):
        head = c[0]
        name, target = self._target(head, "binding")
        if len(c) == 5:
            value = c[4]
            return self.Binding(head.line, head.column, value.end_line, value.end_column,
                                name, value, c[2], target)
        value = c[2]
        return self.Binding(head.line, head.column, value.end_line, value.end_column,
                            name, value, None, target)

    def assign(self, c):
        head, eq, value = c
        name, target = self._target(head, "binding")
        if target is not None:
            # `s.x["k"] = v` is the reference interpreter's update; in Aether 1.2 `=` sets
            # a plain key of a configuration block only.
            raise AetherSyntaxError(
                "AE204", "`= value` after a member or index is the reference interpreter's "
                "form; an update target takes ':' (`a.b: value`)", head.line, head.column,
                eq.end_line, eq.end_column,
                hint="run `aether migrate` to convert this file to Aether 1.2")
        return self.Assign(head.line, head.column, value.end_line, value.end_column,
                           name, value)

    def aug_assign(self, c):
        head, op, value = c
        name, target = self._target(head, f"'{op.value}'")
        return self.AugAssign(head.line, head.column, value.end_line, value.end_column,
                              name, op.value, value, target)

    def call_stmt(self, c):
        call = c[0]
        return self.CallStmt(call.line, call.column, call.end_line, call.end_column, call)

    def return_stmt(self, c):
        kw = c[0]
        if len(c) == 2:
            v = c[1]
            return self.Return(kw.line, kw.column, v.end_line, v.end_column, v)
        return self.Return(kw.line, kw.column, kw.end_line, kw.end_column, None)

    def break_stmt(self, c):
        t = c[0]
        return self.Break(t.line, t.column, t.end_line, t.end_column)

    def continue_stmt(self, c):
        t = c[0]
        return self.Continue(t.line, t.column, t.end_line, t.end_column)

    def await_stmt(self, c):
        kw, last = c[0], c[-1]
        names = tuple(self.Name(t.line, t.column, t.end_line, t.end_column, t.value)
                      for t in c[1:] if t.type == "NAME")
        return self.Await(kw.line, kw.column, last.end_line, last.end_column, names)

    def section(self, c):
        name = c[0]
        if not isinstance(name, A.Name) or id(name) in self._parens:
            raise AetherSyntaxError(
                "AE100", "a block header is a plain name followed by ':' (`name:`)",
                name.line, name.column, name.end_line, name.end_column,
                hint="an update target (`a.b: value`) takes its value on the same line")
        body = tuple(c[2:])
        last = body[-1]
        return self.Section(name.line, name.column, last.end_line, last.end_column,
                            name.id, body)

    def dash_item(self, c):
        dash, value = c[0], c[1]
        options = tuple(c[2:])
        last = options[-1] if options else value
        return self.DashItem(dash.line, dash.column, last.end_line, last.end_column, value,
                             options)

    def step_opt(self, c):
        first = c[0]
        if first.type == "AS":
            name = c[1]
            value = self.Name(name.line, name.column, name.end_line, name.end_column, name.value)
            return self.StepOption(first.line, first.column, name.end_line, name.end_column,
                                   "as", value)
        value = c[2]
        return self.StepOption(first.line, first.column, value.end_line, value.end_column,
                               first.value, value)

    def dash_map(self, c):
        dash, key, value = c[0], c[1], c[3]
        first = self.Binding(key.line, key.column, value.end_line, value.end_column,
                             key.value, value, None)
        entries = (first,) + tuple(c[4:])
        last = entries[-1]
        return self.DashMap(dash.line, dash.column, last.end_line, last.end_column, entries)

    def block(self, c):
        return tuple(c)

    def if_stmt(self, c):
        kw, test, body = c[0], c[1], c[3]
        clauses = c[4:]
        orelse: tuple = ()
        # Fold elif/else clauses from the last one backwards into nested If nodes.
        for clause in reversed(clauses):
            kind, tok, ctest, cbody = clause
            if kind == "else":
                orelse = cbody
            else:
                end = orelse[-1] if orelse else cbody[-1]
                orelse = (self.If(tok.line, tok.column, end.end_line, end.end_column,
                                  ctest, cbody, orelse, True),)
        end = orelse[-1] if orelse else body[-1]
        return self.If(kw.line, kw.column, end.end_line, end.end_column, test, body, orelse, False)

    def elif_clause(self, c):
        return ("elif", c[0], c[1], c[3])

    def else_clause(self, c):
        return ("else", c[0], None, c[2])

    def for_stmt(self, c):
        kw, target, it, body = c[0], c[1], c[3], c[5]
        end = body[-1]
        return self.For(kw.line, kw.column, end.end_line, end.end_column, target.value, it, body)

    def while_stmt(self, c):
        kw, test, body = c[0], c[1], c[3]
        end = body[-1]
        return self.While(kw.line, kw.column, end.end_line, end.end_column, test, body)

    def fn_def(self, c):
        kw, name, body = c[0], c[1], c[-1]
        params = c[3] if len(c) == 7 else ()
        end = body[-1]
        names = [p.name for p in params]
        for i, p in enumerate(params):
            if p.name in names[:i]:
                raise AetherSyntaxError("AE100", f"parameter '{p.name}' is declared twice",
                                        p.line, p.column, p.end_line, p.end_column)
        return self.FnDef(kw.line, kw.column, end.end_line, end.end_column, name.value,
                          tuple(params), body)

    def params(self, c):
        params = tuple(p for p in c if isinstance(p, A.Param))
        seen_default = False
        for p in params:
            if p.default is not None:
                seen_default = True
            elif seen_default:
                raise AetherSyntaxError(
                    "AE100", f"parameter '{p.name}' without a default follows one with a default",
                    p.line, p.column, p.end_line, p.end_column)
        return params

    def param(self, c):
        name = c[0]
        if len(c) == 3:
            d = c[2]
            return self.Param(name.line, name.column, d.end_line, d.end_column, name.value, d)
        return self.Param(name.line, name.column, name.end_line, name.end_column, name.value, None)

    def try_stmt(self, c):
        kw, body = c[0], c[2]
        catch_name = c[4].value if len(c) == 7 else None
        handler = c[-1]
        end = handler[-1]
        return self.Try(kw.line, kw.column, end.end_line, end.end_column, body, catch_name,
                        handler)

    # ------------------------------------------------------------ expressions
    def _boolop(self, c):
        values = tuple(c[0::2])
        first, last = values[0], values[-1]
        return self.BoolOp(first.line, first.column, last.end_line, last.end_column,
                           c[1].value, values)

    or_expr = _boolop
    and_expr = _boolop

    def not_op(self, c):
        kw, operand = c
        return self.Unary(kw.line, kw.column, operand.end_line, operand.end_column, "not", operand)

    def comparison(self, c):
        left, op, right = c
        return self.Compare(left.line, left.column, right.end_line, right.end_column,
                            op.value, left, right)

    def _binop(self, c):
        left = c[0]
        for i in range(1, len(c), 2):
            right = c[i + 1]
            left = self.BinOp(left.line, left.column, right.end_line, right.end_column,
                              c[i].value, left, right)
        return left

    arith = _binop
    term = _binop

    def neg(self, c):
        dash, operand = c
        # `-` before a literal folds into it, but not past _MAX_FOLD signs: each fold copies
        # the literal's text, so a run of n signs cost n**2 / 2 characters (a 10 MB file of
        # them, hours); the rest stay negations of the folded literal.
        if isinstance(operand, (A.Int, A.Float)) and operand.raw.startswith(_MAX_FOLD):
            return self.Unary(dash.line, dash.column, operand.end_line, operand.end_column, "-",
                              operand)
        if isinstance(operand, A.Int):
            return self.Int(dash.line, dash.column, operand.end_line, operand.end_column,
                            -operand.value, "-" + operand.raw)
        if isinstance(operand, A.Float):
            return self.Float(dash.line, dash.column, operand.end_line, operand.end_column,
                              -operand.value, "-" + operand.raw)
        return self.Unary(dash.line, dash.column, operand.end_line, operand.end_column, "-",
                          operand)

    def member(self, c):
        value, name = c[0], c[2]
        return self.Member(value.line, value.column, name.end_line, name.end_column, value,
                           name.value)

    def index(self, c):
        value, close = c[0], c[-1]
        exprs = [x for x in c[2:-1] if not isinstance(x, Tok)]
        if len(exprs) == 1:
            idx = exprs[0]
        else:  # Name[A, B]: only meaningful as a type hint; the validator checks where
            first, last = exprs[0], exprs[-1]
            idx = self.ListExpr(first.line, first.column, last.end_line, last.end_column,
                                tuple(exprs))
        return self.Index(value.line, value.column, close.end_line, close.end_column, value, idx)

    def call(self, c):
        func, close = c[0], c[-1]
        args: list = []
        keywords: list = []
        if len(c) == 4:
            for a in c[2]:
                if isinstance(a, A.Keyword):  # a keyword given twice is AE304 (validator)
                    keywords.append(a)
                elif keywords:
                    raise AetherSyntaxError(
                        "AE100", "a positional argument cannot follow a keyword argument",
                        a.line, a.column, a.end_line, a.end_column)
                else:
                    args.append(a)
        return self.Call(func.line, func.column, close.end_line, close.end_column,
                         func, tuple(args), tuple(keywords))

    def arguments(self, c):
        return [a for a in c if not isinstance(a, Tok)]

    def kwarg(self, c):
        name, value = c[0], c[2]
        return self.Keyword(name.line, name.column, value.end_line, value.end_column,
                            name.value, value)

    def name(self, c):
        t = c[0]
        return self.Name(t.line, t.column, t.end_line, t.end_column, t.value)

    # What `name`, `true`, `false` and `null` do, said to the compiled loop (lalr.py,
    # Parser._token_rule): the node class, and its fields after the token's span (None:
    # the token's value). The loop then makes the node in C; `name` is a third of all
    # reductions. tests/test_compiled_parser.py compares the trees with the methods'.
    name.token_node = ("Name", None)  # type: ignore[attr-defined]

    # The literal rules look the text up first and work its value out only when it is new
    # (a file repeats its literals): one `raw` string (and one value) per text and parse.
    # The text tells STRING, INT, FLOAT and DURATION apart, and a number out of range
    # raises before it is stored.
    def string(self, c):
        t = c[0]
        shared = self._literals.get(t.value)
        if shared is None:
            shared = self._literals[t.value] = (t.value, _string_literal(t))
        return self.Str(t.line, t.column, t.end_line, t.end_column, shared[1], shared[0])

    def int(self, c):
        t = c[0]
        shared = self._literals.get(t.value)
        if shared is None:
            shared = self._literals[t.value] = (t.value, _int_literal(t))
        return self.Int(t.line, t.column, t.end_line, t.end_column, shared[1], shared[0])

    def float(self, c):
        t = c[0]
        shared = self._literals.get(t.value)
        if shared is None:
            shared = self._literals[t.value] = (
                t.value, _finite(float(t.value.replace("_", "")), t))
        return self.Float(t.line, t.column, t.end_line, t.end_column, shared[1], shared[0])

    def duration(self, c):
        t = c[0]
        shared = self._literals.get(t.value)
        if shared is None:
            shared = self._literals[t.value] = (t.value, _finite(duration_seconds(t.value), t))
        return self.Duration(t.line, t.column, t.end_line, t.end_column, shared[1], shared[0])

    def true(self, c):
        t = c[0]
        return self.Bool(t.line, t.column, t.end_line, t.end_column, True)

    true.token_node = ("Bool", (True,))  # type: ignore[attr-defined]

    def false(self, c):
        t = c[0]
        return self.Bool(t.line, t.column, t.end_line, t.end_column, False)

    false.token_node = ("Bool", (False,))  # type: ignore[attr-defined]

    def null(self, c):
        t = c[0]
        return self.Null(t.line, t.column, t.end_line, t.end_column)

    null.token_node = ("Null", ())  # type: ignore[attr-defined]

    def list(self, c):
        open_, close = c[0], c[-1]
        items = tuple(x for x in c[1:-1] if not isinstance(x, Tok))
        return self.ListExpr(open_.line, open_.column, close.end_line, close.end_column, items)

    def dict(self, c):
        open_, close = c[0], c[-1]
        pairs = [x for x in c[1:-1] if isinstance(x, tuple)]
        keys = tuple(k for k, _ in pairs)
        values = tuple(v for _, v in pairs)
        return self.DictExpr(open_.line, open_.column, close.end_line, close.end_column, keys,
                             values)

    def pair(self, c):
        key, value = c[0], c[2]
        if key.type == "STRING":
            k = _string_literal(key)
        elif key.type == "INT":
            k = _int_literal(key)
        else:
            k = key.value
        return (k, value)

    def paren(self, c):
        inner = c[1]
        if isinstance(inner, (A.Name, A.Member, A.Index)):
            self._parens[id(inner)] = inner
        return inner


# What the methods call to make a node (`self.Name(...)`): the classes, unless the
# builder was made for the compiled parser (see AstBuilder.__init__).
for _name, _cls in _NODE_CLASSES.items():
    assert not hasattr(AstBuilder, _name), _name
    setattr(AstBuilder, _name, _cls)
