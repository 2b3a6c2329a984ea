"""The typed syntax tree of Aether 1.2: frozen dataclass nodes, each with a source span.

Every node carries ``line``, ``column``, ``end_line`` and ``end_column`` (1-based, end
exclusive, columns in code points). Nodes declare their child fields in ``_children`` so
generic walkers (``iter_children``, ``walk``, :class:`Visitor`) need no per-node code.
The tree is built by :mod:`aether.syntax.parser` and never mutated afterwards.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from typing import Any, ClassVar, Iterator, Optional, Union

__all__ = [
    "Node", "Expr", "Stmt",
    "Name", "Str", "Int", "Float", "Duration", "Bool", "Null", "ListExpr", "DictExpr",
    "Call", "Keyword", "Member", "Index", "Unary", "BinOp", "Compare", "BoolOp",
    "Binding", "Assign", "AugAssign", "CallStmt", "Return", "Break", "Continue", "Await",
    "Section", "DashItem", "DashMap", "StepOption", "If", "For", "While", "FnDef", "Param",
    "Try", "Module", "iter_children", "walk", "Visitor", "dotted_name", "target_steps",
]


# What ``dataclass(frozen=True)`` generates for each class -- ``__init__``, ``__setattr__``,
# ``__delattr__``, ``__eq__``, ``__repr__``, ``__hash__`` -- is written once here instead:
# generating and compiling those functions for all 37 node classes cost more start-up time
# (about 12 ms) than the whole check of a small file. The classes are still dataclasses
# (``dataclasses.fields`` and ``replace`` work) and still frozen: assigning or deleting an
# attribute raises ``FrozenInstanceError``.
@dataclass(slots=True, init=False, eq=False, repr=False)
class Node:
    line: int
    column: int
    end_line: int
    end_column: int

    _children: ClassVar[tuple[str, ...]] = ()  # names of the child fields
    _fields: ClassVar[tuple[str, ...]] = ("line", "column", "end_line", "end_column")

    def __init__(self, line: int, column: int, end_line: int, end_column: int) -> None:
        _set = object.__setattr__
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "end_line", end_line)
        _set(self, "end_column", end_column)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

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

    @property
    def span(self) -> tuple[int, int, int, int]:
        """``(line, column, end_line, end_column)`` of this node."""
        return (self.line, self.column, self.end_line, self.end_column)


def _init_for(names: tuple[str, ...], defaults: dict[str, Any]):
    """An ``__init__`` taking ``names`` in order (``defaults`` for the trailing ones)."""
    params = ", ".join(f"{n}=_d_{n}" if n in defaults else n for n in names)
    body = "".join(f"\n    _set(self, {n!r}, {n})" for n in names)
    namespace: dict[str, Any] = {"_set": object.__setattr__}
    namespace.update({f"_d_{n}": v for n, v in defaults.items()})
    exec(f"def __init__(self, {params}):{body}", namespace)  # noqa: S102 - our own names
    return namespace["__init__"]


def _node(*children: str):
    """Class decorator: a slotted, frozen dataclass whose child fields are ``children``."""
    def wrap(cls):
        cls = dataclass(slots=True, init=False, eq=False, repr=False)(cls)
        cls._children = children  # type: ignore[attr-defined]
        all_fields = fields(cls)
        cls._fields = tuple(f.name for f in all_fields)  # type: ignore[attr-defined]
        defaults = {f.name: f.default for f in all_fields if f.default is not MISSING}
        init = _init_for(cls._fields, defaults)
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        cls.__init__ = init
        return cls
    return wrap


class Expr(Node):
    """Base of expression nodes."""

    __slots__ = ()


class Stmt(Node):
    """Base of statement nodes."""

    __slots__ = ()


# ---------------------------------------------------------------- expressions

@_node()
class Name(Expr):
    """A name: ``id``."""

    id: str = ""


@_node()
class Str(Expr):
    """A string literal."""

    value: str = ""
    raw: str = ""  # the literal as written, quotes included


@_node()
class Int(Expr):
    """An integer literal."""

    value: int = 0
    raw: str = ""


@_node()
class Float(Expr):
    """A float literal."""

    value: float = 0.0
    raw: str = ""


@_node()
class Duration(Expr):
    """A duration literal such as ``250ms`` (``seconds``)."""

    seconds: float = 0.0
    raw: str = ""


@_node()
class Bool(Expr):
    """``true`` / ``false``."""

    value: bool = False


@_node()
class Null(Expr):
    """``null``."""


@_node("items")
class ListExpr(Expr):
    """``[a, b]``."""

    items: tuple[Expr, ...] = ()


@_node("values")
class DictExpr(Expr):
    """``{key: value}`` (bare keys are strings)."""

    keys: tuple[Union[str, int], ...] = ()
    values: tuple[Expr, ...] = ()


@_node("value")
class Keyword(Node):
    """A keyword argument ``name=value``."""

    name: str = ""
    value: Optional[Expr] = None


@_node("func", "args", "keywords")
class Call(Expr):
    """``func(args, keywords)``."""

    func: Optional[Expr] = None
    args: tuple[Expr, ...] = ()
    keywords: tuple[Keyword, ...] = ()


@_node("value")
class Member(Expr):
    """``value.attr``."""

    value: Optional[Expr] = None
    attr: str = ""


@_node("value", "index")
class Index(Expr):
    """``value[index]``."""

    value: Optional[Expr] = None
    index: Optional[Expr] = None


@_node("operand")
class Unary(Expr):
    """``-x`` or ``not x``."""

    op: str = ""  # "-" or "not"
    operand: Optional[Expr] = None


@_node("left", "right")
class BinOp(Expr):
    """An arithmetic operation."""

    op: str = ""  # + - * / %
    left: Optional[Expr] = None
    right: Optional[Expr] = None


@_node("left", "right")
class Compare(Expr):
    """A comparison (no chaining)."""

    op: str = ""  # == != < <= > >= in
    left: Optional[Expr] = None
    right: Optional[Expr] = None


@_node("values")
class BoolOp(Expr):
    """``a and b`` / ``a or b``."""

    op: str = ""  # and / or
    values: tuple[Expr, ...] = ()


# ---------------------------------------------------------------- statements

@_node("target", "value", "type_hint")
class Binding(Stmt):
    """``name: value`` or, with ``type_hint``, ``name: Type[Args] = value``.

    An update target (``a.b["k"]: value``) has ``target`` set: the Member / Index chain as
    written, down to a Name whose id is ``name`` (the name the statement rebinds). It is
    None for a plain ``name: value``.
    """
    name: str = ""
    value: Optional[Expr] = None
    type_hint: Optional[Expr] = None
    target: Optional[Expr] = None


@_node("value")
class Assign(Stmt):
    """``key = value`` (reference-interpreter form, valid inside config blocks only)."""
    name: str = ""
    value: Optional[Expr] = None


@_node("target", "value")
class AugAssign(Stmt):
    """``name += value`` / ``name -= value``; with ``target`` an update (``a["k"] += 1``).

    ``target`` is as in :class:`Binding`: the Member / Index chain rooted at the Name
    ``name``, or None for a plain name.
    """

    name: str = ""
    op: str = ""  # "+=" or "-="
    value: Optional[Expr] = None
    target: Optional[Expr] = None


@_node("call")
class CallStmt(Stmt):
    """A call used as a statement."""

    call: Optional[Call] = None


@_node("value")
class Return(Stmt):
    """``return [value]``."""

    value: Optional[Expr] = None


@_node()
class Break(Stmt):
    """``break``."""


@_node()
class Continue(Stmt):
    """``continue``."""


@_node()
class Await(Stmt):
    """``await a, b``: each task as a Name, with its own span."""

    names: tuple[Name, ...] = ()


@_node("value")
class StepOption(Node):
    """A step option after a dash item: ``as NAME`` (value is a Name) or ``key=value``."""
    name: str = ""
    value: Optional[Expr] = None


@_node("value", "options")
class DashItem(Stmt):
    """``- value [options]`` in a section."""

    value: Optional[Expr] = None
    options: tuple[StepOption, ...] = ()


@_node("entries")
class DashMap(Stmt):
    """``- key: value`` followed by continuation entries indented further than the dash."""
    entries: tuple[Stmt, ...] = ()


@_node("body")
class Section(Stmt):
    """``name:`` with an indented block."""

    name: str = ""
    body: tuple[Stmt, ...] = ()


@_node("test", "body", "orelse")
class If(Stmt):
    """``if``/``elif``/``else``: an ``elif`` is a nested If alone in ``orelse``."""
    test: Optional[Expr] = None
    body: tuple[Stmt, ...] = ()
    orelse: tuple[Stmt, ...] = ()
    is_elif: bool = False


@_node("iter", "body")
class For(Stmt):
    """``for target in iter:``."""

    target: str = ""
    iter: Optional[Expr] = None
    body: tuple[Stmt, ...] = ()


@_node("test", "body")
class While(Stmt):
    """``while test:``."""

    test: Optional[Expr] = None
    body: tuple[Stmt, ...] = ()


@_node("default")
class Param(Node):
    """A ``fn`` parameter with an optional default."""

    name: str = ""
    default: Optional[Expr] = None


@_node("params", "body")
class FnDef(Stmt):
    """``fn name(params):``."""

    name: str = ""
    params: tuple[Param, ...] = ()
    body: tuple[Stmt, ...] = ()


@_node("body", "handler")
class Try(Stmt):
    """``try:`` / ``catch name:``."""

    body: tuple[Stmt, ...] = ()
    catch_name: Optional[str] = None
    handler: tuple[Stmt, ...] = ()


@_node("body")
class Module(Node):
    """A whole file."""

    body: tuple[Stmt, ...] = ()


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
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(iter_children(current))))


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


def node_fields(node: Node) -> dict[str, Any]:
    """All dataclass fields of ``node`` except positions (for tests and dumps)."""
    return {f: getattr(node, f) for f in node._fields
            if f not in ("line", "column", "end_line", "end_column")}
