"""The one place a run binds the catalogue's ``[inputs]``: which it must be given, and
whether each given value is of its declared type.

`check` treats every ``[inputs]`` name as bound from the first statement; a run binds, at
the top level before the first statement, each declared input the workflow reads before
(or without) binding it itself (:func:`aether.semantics.validator.inputs_read`, the
manifest's "inputs it needs"). Such an input with no value, or with a value that is not of
its declared type, refuses the run before anything runs (AE008, status 26). A value whose
name is not declared stays what it was: available through ``parse_input()`` only.
"""

from __future__ import annotations

import re

from .values import type_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .. import ast as A
    from ..semantics.catalogue import Catalogue

__all__ = ["InputError", "inputs_to_bind", "conforms"]

# The catalogue's type notation (aether.semantics.project: ``Name`` or ``Name[T, ...]``),
# one token at a time
_TOKEN = re.compile(r" *(?:([A-Za-z_][A-Za-z0-9_]*)|([^ ]))")

# Type names a run checks (the vocabulary of a tool's ``returns`` in simulate mode, plus
# ``any``), to the runtime type (aether.runtime.values.type_name) a value must have. Any
# other name (a project's own, such as "Path") is not checked: the run cannot know it.
_KINDS = {"any": None, "str": "string", "string": "string", "int": "int",
          "integer": "int", "float": "number", "number": "number", "bool": "bool",
          "boolean": "bool", "list": "list", "array": "list", "map": "map", "dict": "map",
          "object": "map", "null": "null", "none": "null"}


class InputError(Exception):
    """A declared input cannot be bound (missing, or not of its type); ``message`` says
    which, naming the input and the catalogue."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_type(text: str) -> tuple:
    """``text`` in the catalogue's type notation as a tree ``(name, (arg, ...))``, read
    without recursion (the catalogue accepted it: :func:`aether.semantics.project._is_type`).
    Raises ValueError for text not in that notation."""
    root: list = [None, []]
    stack = [root]
    node = None
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        name, other = m.groups()
        if name is not None:
            node = [name, []]
            stack[-1][1].append(node)
        elif other == "[" and node is not None:
            stack.append(node)
        elif other == "]" and len(stack) > 1:
            node = stack.pop()
        elif other == ",":
            node = None
        else:
            raise ValueError(f"not a type: {text!r}")
    if len(stack) != 1 or len(root[1]) != 1:
        raise ValueError(f"not a type: {text!r}")

    def freeze(n):  # a declared type nests as deep as its text: iterate, bottom up
        order, todo = [], [n]
        while todo:
            x = todo.pop()
            order.append(x)
            todo.extend(x[1])
        done = {}
        for x in reversed(order):
            done[id(x)] = (x[0], tuple(done[id(c)] for c in x[1]))
        return done[id(n)]
    return freeze(root[1][0])


def conforms(value: "Any", declared: tuple) -> bool:
    """Whether the Aether ``value`` is of the ``declared`` type (a :func:`parse_type`
    tree): ``list[T]`` checks every item, ``map[V]`` / ``map[K, V]`` every value; an
    unknown type name accepts anything. Recursion follows the value, whose depth the
    runtime bounds (values.MAX_DEPTH)."""
    name, args = declared
    kind = _KINDS.get(name.lower(), None)
    if kind is None:
        return True
    have = type_name(value)
    if kind == "int":
        return have == "number" and type(value) is int
    if kind != have:
        return False
    if kind == "list" and args:
        return all(conforms(v, args[0]) for v in value)
    if kind == "map" and args:
        return all(conforms(v, args[-1]) for v in value.values())
    return True


def inputs_to_bind(module: "A.Module", catalogue: "Catalogue", given: dict,
                   where: str = "") -> dict:
    """The top-level bindings a run of ``module`` starts with: each ``[inputs]`` name of
    ``catalogue`` that the module reads and ``given`` (the run's inputs, Aether values)
    holds, to its value. ``where`` names the catalogue in messages (default: its files).
    Raises InputError for such an input that ``given`` lacks or whose value is not of its
    declared type (the first in name order)."""
    from ..semantics.validator import inputs_read

    needed = inputs_read(module, catalogue)
    if not needed:
        return {}
    where = where or ", ".join(catalogue.files) or "the tool catalogue"
    bound = {}
    for name in needed:
        kind = catalogue.inputs[name]
        if name not in given:
            raise InputError(
                f"the workflow reads the input '{name}' ({kind}), declared in {where} "
                f"[inputs], and the run was given no value for it: pass --input "
                f"{name}=VALUE or --inputs FILE.json")
        value = given[name]
        try:
            ok = conforms(value, parse_type(kind))
        except ValueError:
            ok = True  # the catalogue refuses such a type; nothing to check against
        if not ok:
            from .errors import AetherRuntimeError
            from .values import repr_value

            try:
                shown = repr_value(value)
            except AetherRuntimeError:  # too large or deep to show
                shown = "..."
            if len(shown) > 80:
                shown = shown[:77] + "..."
            raise InputError(
                f"the input '{name}' is declared as {kind} in {where} [inputs], but the "
                f"value given is a {_described(value)}: {shown}")
        bound[name] = value
    return bound


def _described(value: "Any") -> str:
    have = type_name(value)
    if have == "number":
        return "float" if type(value) is float else "int"
    return have

