"""The typed syntax tree of Aether 1.2: frozen, slotted node classes, each with a source span.

Every node carries ``line``, ``column``, ``end_line`` and ``end_column`` (1-based, end
exclusive, columns in code points). Nodes declare their child fields in ``_children`` and
all their fields in ``_fields``, so generic walkers (``iter_children``, ``walk``,
:class:`Visitor`) need no per-node code. The tree is built by :mod:`aether.syntax.parser`
and never mutated afterwards.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional, Union

__all__ = [
    "Node", "Expr", "Stmt",
    "Name", "Str", "Int", "Float", "Duration", "Bool", "Null", "ListExpr", "DictExpr",
    "Call", "Keyword", "Member", "Index", "Unary", "BinOp", "Compare", "BoolOp",
    "Binding", "Assign", "AugAssign", "CallStmt", "Return", "Break", "Continue", "Await",
    "Section", "DashItem", "DashMap", "StepOption", "If", "For", "While", "FnDef", "Param",
    "Try", "Module", "iter_children", "walk", "Visitor", "dotted_name", "target_steps",
    "replace",
]

# The node classes are plain classes written out in full (``__slots__``, ``_fields``,
# ``__init__``), not dataclasses: creating 37 dataclasses (and importing dataclasses,
# which imports inspect) cost more start-up time than the whole check of a small file.
# They behave as frozen slotted dataclasses do: assigning or deleting an attribute raises
# dataclasses.FrozenInstanceError, equality and hash are by type and fields, and
# ``dataclasses.fields`` / ``replace`` / ``is_dataclass`` work (their field records are
# made on first use). tests/test_syntax.py checks that each class's ``__slots__``,
# annotations and ``__init__`` parameters agree.
_SET = object.__setattr__
# Names, keywords and operators are interned: a file repeats a few thousand of them in
# hundreds of thousands of nodes, and one string per occurrence was about a fifth of the
# memory a parsed file took (a string object costs 50 bytes and more).
_intern = sys.intern
_POSITION = ("line", "column", "end_line", "end_column")


# One helper for records and nodes: ``dataclasses.fields`` / ``replace`` work on both.
from .record import DataclassFields as _DataclassFields  # noqa: E402
from .record import frozen_error as _frozen_error  # noqa: E402


class Node:
    """Base of all nodes: the source span, and equality, hash and repr by fields."""

    __slots__ = _POSITION
    _children: tuple[str, ...] = ()  # names of the child fields
    _fields: tuple[str, ...] = _POSITION  # all fields, in __init__ order
    line: int
    column: int
    end_line: int
    end_column: int
    __dataclass_fields__ = _DataclassFields()
    _frozen = True  # dataclasses.fields() sees a frozen dataclass

    def __init__(self, line, column, end_line, end_column):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)

    def __setattr__(self, name: str, value: Any) -> None:
        raise _frozen_error(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise _frozen_error(f"cannot delete field {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + self._values())

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({args})"

    def __reduce__(self):
        return (type(self), self._values())  # __setattr__ refuses pickle's usual way

    @property
    def span(self) -> tuple[int, int, int, int]:
        """``(line, column, end_line, end_column)`` of this node."""
        return (self.line, self.column, self.end_line, self.end_column)


class Expr(Node):
    """Base of expression nodes."""

    __slots__ = ()


class Stmt(Node):
    """Base of statement nodes."""

    __slots__ = ()


# ---------------------------------------------------------------- expressions

class Name(Expr):
    """A name: ``id``."""

    __slots__ = ("id",)
    _children = ()
    _fields = _POSITION + __slots__
    id: str

    def __init__(self, line, column, end_line, end_column, id=""):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "id", _intern(id) if id.__class__ is str else id)


class Str(Expr):
    """A string literal."""

    __slots__ = ("value", "raw")
    _children = ()
    _fields = _POSITION + __slots__
    value: str
    raw: str  # the literal as written, quotes included

    def __init__(self, line, column, end_line, end_column, value="", raw=""):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)
        _set(self, "raw", raw)


class Int(Expr):
    """An integer literal."""

    __slots__ = ("value", "raw")
    _children = ()
    _fields = _POSITION + __slots__
    value: int
    raw: str

    def __init__(self, line, column, end_line, end_column, value=0, raw=""):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)
        _set(self, "raw", raw)


class Float(Expr):
    """A float literal."""

    __slots__ = ("value", "raw")
    _children = ()
    _fields = _POSITION + __slots__
    value: float
    raw: str

    def __init__(self, line, column, end_line, end_column, value=0.0, raw=""):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)
        _set(self, "raw", raw)


class Duration(Expr):
    """A duration literal such as ``250ms`` (``seconds``)."""

    __slots__ = ("seconds", "raw")
    _children = ()
    _fields = _POSITION + __slots__
    seconds: float
    raw: str

    def __init__(self, line, column, end_line, end_column, seconds=0.0, raw=""):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "seconds", seconds)
        _set(self, "raw", raw)


class Bool(Expr):
    """``true`` / ``false``."""

    __slots__ = ("value",)
    _children = ()
    _fields = _POSITION + __slots__
    value: bool

    def __init__(self, line, column, end_line, end_column, value=False):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)


class Null(Expr):
    """``null``."""

    __slots__ = ()
    _children = ()
    _fields = _POSITION + __slots__

    def __init__(self, line, column, end_line, end_column):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)


class ListExpr(Expr):
    """``[a, b]``."""

    __slots__ = ("items",)
    _children = ("items",)
    _fields = _POSITION + __slots__
    items: tuple[Expr, ...]

    def __init__(self, line, column, end_line, end_column, items=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "items", items)


class DictExpr(Expr):
    """``{key: value}`` (bare keys are strings)."""

    __slots__ = ("keys", "values")
    _children = ("values",)
    _fields = _POSITION + __slots__
    keys: tuple[Union[str, int], ...]
    values: tuple[Expr, ...]

    def __init__(self, line, column, end_line, end_column, keys=(), values=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "keys", keys)
        _set(self, "values", values)


class Keyword(Node):
    """A keyword argument ``name=value``."""

    __slots__ = ("name", "value")
    _children = ("value",)
    _fields = _POSITION + __slots__
    name: str
    value: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, name="", value=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "value", value)


class Call(Expr):
    """``func(args, keywords)``."""

    __slots__ = ("func", "args", "keywords")
    _children = ("func", "args", "keywords")
    _fields = _POSITION + __slots__
    func: Optional[Expr]
    args: tuple[Expr, ...]
    keywords: tuple[Keyword, ...]

    def __init__(self, line, column, end_line, end_column, func=None, args=(), keywords=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "func", func)
        _set(self, "args", args)
        _set(self, "keywords", keywords)


class Member(Expr):
    """``value.attr``."""

    __slots__ = ("value", "attr")
    _children = ("value",)
    _fields = _POSITION + __slots__
    value: Optional[Expr]
    attr: str

    def __init__(self, line, column, end_line, end_column, value=None, attr=""):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)
        _set(self, "attr", _intern(attr) if attr.__class__ is str else attr)


class Index(Expr):
    """``value[index]``."""

    __slots__ = ("value", "index")
    _children = ("value", "index")
    _fields = _POSITION + __slots__
    value: Optional[Expr]
    index: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, value=None, index=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)
        _set(self, "index", index)


class Unary(Expr):
    """``-x`` or ``not x``."""

    __slots__ = ("op", "operand")
    _children = ("operand",)
    _fields = _POSITION + __slots__
    op: str  # "-" or "not"
    operand: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, op="", operand=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "op", _intern(op) if op.__class__ is str else op)
        _set(self, "operand", operand)


class BinOp(Expr):
    """An arithmetic operation."""

    __slots__ = ("op", "left", "right")
    _children = ("left", "right")
    _fields = _POSITION + __slots__
    op: str  # + - * / %
    left: Optional[Expr]
    right: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, op="", left=None, right=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "op", _intern(op) if op.__class__ is str else op)
        _set(self, "left", left)
        _set(self, "right", right)


class Compare(Expr):
    """A comparison (no chaining)."""

    __slots__ = ("op", "left", "right")
    _children = ("left", "right")
    _fields = _POSITION + __slots__
    op: str  # == != < <= > >= in
    left: Optional[Expr]
    right: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, op="", left=None, right=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "op", _intern(op) if op.__class__ is str else op)
        _set(self, "left", left)
        _set(self, "right", right)


class BoolOp(Expr):
    """``a and b`` / ``a or b``."""

    __slots__ = ("op", "values")
    _children = ("values",)
    _fields = _POSITION + __slots__
    op: str  # and / or
    values: tuple[Expr, ...]

    def __init__(self, line, column, end_line, end_column, op="", values=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "op", _intern(op) if op.__class__ is str else op)
        _set(self, "values", values)


# ---------------------------------------------------------------- statements

class Binding(Stmt):
    """``name: value`` or, with ``type_hint``, ``name: Type[Args] = value``.

    An update target (``a.b["k"]: value``) has ``target`` set: the Member / Index chain as
    written, down to a Name whose id is ``name`` (the name the statement rebinds). It is
    None for a plain ``name: value``.
    """

    __slots__ = ("name", "value", "type_hint", "target")
    _children = ("target", "value", "type_hint")
    _fields = _POSITION + __slots__
    name: str
    value: Optional[Expr]
    type_hint: Optional[Expr]
    target: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, name="", value=None,
                 type_hint=None, target=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "value", value)
        _set(self, "type_hint", type_hint)
        _set(self, "target", target)


class Assign(Stmt):
    """``key = value`` (reference-interpreter form, valid inside config blocks only)."""

    __slots__ = ("name", "value")
    _children = ("value",)
    _fields = _POSITION + __slots__
    name: str
    value: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, name="", value=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "value", value)


class AugAssign(Stmt):
    """``name += value`` / ``name -= value``; with ``target`` an update (``a["k"] += 1``).

    ``target`` is as in :class:`Binding`: the Member / Index chain rooted at the Name
    ``name``, or None for a plain name.
    """

    __slots__ = ("name", "op", "value", "target")
    _children = ("target", "value")
    _fields = _POSITION + __slots__
    name: str
    op: str  # "+=" or "-="
    value: Optional[Expr]
    target: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, name="", op="", value=None,
                 target=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "op", _intern(op) if op.__class__ is str else op)
        _set(self, "value", value)
        _set(self, "target", target)


class CallStmt(Stmt):
    """A call used as a statement."""

    __slots__ = ("call",)
    _children = ("call",)
    _fields = _POSITION + __slots__
    call: Optional[Call]

    def __init__(self, line, column, end_line, end_column, call=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "call", call)


class Return(Stmt):
    """``return [value]``."""

    __slots__ = ("value",)
    _children = ("value",)
    _fields = _POSITION + __slots__
    value: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, value=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)


class Break(Stmt):
    """``break``."""

    __slots__ = ()
    _children = ()
    _fields = _POSITION + __slots__

    def __init__(self, line, column, end_line, end_column):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)


class Continue(Stmt):
    """``continue``."""

    __slots__ = ()
    _children = ()
    _fields = _POSITION + __slots__

    def __init__(self, line, column, end_line, end_column):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)


class Await(Stmt):
    """``await a, b``: each task as a Name, with its own span."""

    __slots__ = ("names",)
    _children = ()
    _fields = _POSITION + __slots__
    names: tuple[Name, ...]

    def __init__(self, line, column, end_line, end_column, names=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "names", names)


class StepOption(Node):
    """A step option after a dash item: ``as NAME`` (value is a Name) or ``key=value``."""

    __slots__ = ("name", "value")
    _children = ("value",)
    _fields = _POSITION + __slots__
    name: str
    value: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, name="", value=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "value", value)


class DashItem(Stmt):
    """``- value [options]`` in a section."""

    __slots__ = ("value", "options")
    _children = ("value", "options")
    _fields = _POSITION + __slots__
    value: Optional[Expr]
    options: tuple[StepOption, ...]

    def __init__(self, line, column, end_line, end_column, value=None, options=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "value", value)
        _set(self, "options", options)


class DashMap(Stmt):
    """``- key: value`` followed by continuation entries indented further than the dash."""

    __slots__ = ("entries",)
    _children = ("entries",)
    _fields = _POSITION + __slots__
    entries: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, entries=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "entries", entries)


class Section(Stmt):
    """``name:`` with an indented block."""

    __slots__ = ("name", "body")
    _children = ("body",)
    _fields = _POSITION + __slots__
    name: str
    body: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, name="", body=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "body", body)


class If(Stmt):
    """``if``/``elif``/``else``: an ``elif`` is a nested If alone in ``orelse``."""

    __slots__ = ("test", "body", "orelse", "is_elif")
    _children = ("test", "body", "orelse")
    _fields = _POSITION + __slots__
    test: Optional[Expr]
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    is_elif: bool

    def __init__(self, line, column, end_line, end_column, test=None, body=(), orelse=(),
                 is_elif=False):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "test", test)
        _set(self, "body", body)
        _set(self, "orelse", orelse)
        _set(self, "is_elif", is_elif)


class For(Stmt):
    """``for target in iter:``."""

    __slots__ = ("target", "iter", "body")
    _children = ("iter", "body")
    _fields = _POSITION + __slots__
    target: str
    iter: Optional[Expr]
    body: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, target="", iter=None, body=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "target", _intern(target) if target.__class__ is str else target)
        _set(self, "iter", iter)
        _set(self, "body", body)


class While(Stmt):
    """``while test:``."""

    __slots__ = ("test", "body")
    _children = ("test", "body")
    _fields = _POSITION + __slots__
    test: Optional[Expr]
    body: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, test=None, body=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "test", test)
        _set(self, "body", body)


class Param(Node):
    """A ``fn`` parameter with an optional default."""

    __slots__ = ("name", "default")
    _children = ("default",)
    _fields = _POSITION + __slots__
    name: str
    default: Optional[Expr]

    def __init__(self, line, column, end_line, end_column, name="", default=None):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "default", default)


class FnDef(Stmt):
    """``fn name(params):``."""

    __slots__ = ("name", "params", "body")
    _children = ("params", "body")
    _fields = _POSITION + __slots__
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, name="", params=(), body=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "name", _intern(name) if name.__class__ is str else name)
        _set(self, "params", params)
        _set(self, "body", body)


class Try(Stmt):
    """``try:`` / ``catch name:``."""

    __slots__ = ("body", "catch_name", "handler")
    _children = ("body", "handler")
    _fields = _POSITION + __slots__
    body: tuple[Stmt, ...]
    catch_name: Optional[str]
    handler: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, body=(), catch_name=None,
                 handler=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "body", body)
        _set(self, "catch_name", _intern(catch_name) if catch_name.__class__ is str else catch_name)
        _set(self, "handler", handler)


class Module(Node):
    """A whole file."""

    __slots__ = ("body",)
    _children = ("body",)
    _fields = _POSITION + __slots__
    body: tuple[Stmt, ...]

    def __init__(self, line, column, end_line, end_column, body=()):
        _set = _SET
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "body", body)


# ---------------------------------------------------------------- traversal

def iter_children(node: Node) -> Iterator[Node]:
    """Yield the direct child nodes of ``node`` in source order."""
    for name in node._children:
        value = getattr(node, name)
        if value is None:
            continue
        if isinstance(value, tuple):
            yield from value
        else:
            yield value


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and all its descendants, depth first, in source order.

    Iterative, so deeply nested input cannot exhaust the Python stack.
    """
    stack = [node]
    pop = stack.pop
    push = stack.append
    extend = stack.extend
    while stack:
        current = pop()
        yield current
        # iter_children inlined, children pushed last first: the walk is on the hot path
        # of the validator and the migration passes (a third of its cost was the
        # generator and the list and reversed copies per node)
        for name in reversed(current._children):
            value = getattr(current, name)
            if value is None:
                continue
            if isinstance(value, tuple):
                extend(value[::-1])
            else:
                push(value)


class Visitor:
    """Calls ``visit_<ClassName>`` for a node, falling back to ``generic_visit``."""

    def visit(self, node: Node) -> Any:
        method = getattr(self, "visit_" + type(node).__name__, self.generic_visit)
        return method(node)

    def generic_visit(self, node: Node) -> Any:
        for child in iter_children(node):
            self.visit(child)
        return None


def target_steps(target: Expr) -> tuple[Name, tuple[Union[Member, Index], ...]]:
    """The root Name of an update target and its steps, outermost last.

    ``a.b["k"]`` gives ``(Name a, (Member .b, Index ["k"]))``: each step's ``attr`` or
    ``index`` is what it replaces, one level deeper than the step before. Raises
    ValueError when ``target`` is not a Name followed by Member / Index steps.
    """
    steps: list = []
    node = target
    while isinstance(node, (Member, Index)):
        steps.append(node)
        node = node.value
    if not isinstance(node, Name):
        raise ValueError(f"not an update target: {type(node).__name__}")
    return node, tuple(reversed(steps))


def dotted_name(expr: Optional[Expr]) -> Optional[str]:
    """``a.b.c`` for a Name/Member chain, else None."""
    parts = []
    while isinstance(expr, Member):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def replace(node: Node, **changes: Any) -> Node:
    """A copy of ``node`` with ``changes`` (field name -> value); raises TypeError for a
    name that is not a field (as ``dataclasses.replace`` does)."""
    unknown = set(changes) - set(node._fields)
    if unknown:
        raise TypeError(f"{type(node).__name__} has no field {sorted(unknown)[0]!r}")
    return type(node)(*(changes.get(f, getattr(node, f)) for f in node._fields))
