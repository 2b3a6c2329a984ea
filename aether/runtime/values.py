"""The Aether value model: what a program can hold, compare, print and exchange as JSON.

Values are ``None`` (null), ``bool``, ``int``/``float`` (number; a bool is not a number),
``str``, ``tuple`` (list), ``dict`` with string keys (map), :class:`FnValue` (a ``fn``
closure), :class:`BuiltinValue` (a builtin or plugin tool used as a value) and
:class:`ErrorValue`. Lists are tuples and maps are never changed after they are built, so
two names can never alias one mutable object (value semantics): every operation returns a
new value. Nothing else ever reaches a program: :func:`from_host` converts what tools
return and refuses anything that is not JSON-shaped.

Deep operations (equality, printing, JSON) walk values with an explicit node budget and
depth limit, so a value built by sharing (``x: [x, x]`` in a loop) cannot make them run
for ever or exhaust the Python stack.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import AetherRuntimeError, rt_error

__all__ = ["FnValue", "BuiltinValue", "ErrorValue", "type_name", "truthy", "equal",
           "to_string", "to_json", "from_json", "from_host", "INT_MAX", "MAX_DEPTH",
           "check_size", "size_of", "repr_value", "compare_key"]

INT_MAX = 2 ** 63 - 1  # integers are 64-bit signed; beyond is AE407
MAX_DEPTH = 100  # nesting of lists/maps that deep operations accept
DEEP_NODES = 1_000_000  # nodes one deep operation may visit
# characters of strings one text conversion may copy: str() of 1,000 items that are all the
# same 10-million-character string would otherwise build 10 GB before any size check
DEEP_CHARS = 40_000_000


@dataclass(frozen=True, eq=False)
class FnValue:
    """A ``fn`` defined in the program (the compiled body lives in ``code``); ``env`` is
    the frame of the enclosing ``fn`` call a nested ``fn`` reads names from (a closure)."""

    name: str
    params: tuple[str, ...]
    code: Any = field(repr=False, default=None)
    env: Any = field(repr=False, default=None)


@dataclass(frozen=True, eq=False)
class BuiltinValue:
    """A builtin function or a plugin tool used as a value (``map(xs, upper)``)."""

    name: str


@dataclass(frozen=True, eq=False)
class ErrorValue:
    """An error caught by ``catch``: kind, message, rule and position."""

    kind: str
    message: str
    rule: str
    line: int
    column: int

    def as_map(self) -> dict:
        return {"kind": self.kind, "message": self.message, "rule": self.rule,
                "line": self.line, "column": self.column}

    @classmethod
    def of(cls, err: AetherRuntimeError) -> "ErrorValue":
        return cls(err.kind, err.message, err.rule, err.line, err.column)


_NAMES = {type(None): "null", bool: "bool", int: "number", float: "number", str: "string",
          tuple: "list", dict: "map", FnValue: "function", BuiltinValue: "function",
          ErrorValue: "error"}


def type_name(v: Any) -> str:
    """The Aether type of ``v``: null, bool, number, string, list, map, function, error."""
    return _NAMES.get(type(v), "host")


def truthy(v: Any) -> bool:
    """Truth: null, false, 0, "", [] and {} are false; everything else is true."""
    t = type(v)
    if t is bool:
        return v
    if v is None:
        return False
    if t is int or t is float or t is str or t is tuple or t is dict:
        return bool(v)
    return True


class _Budget:
    """Nodes a deep operation may still visit."""

    __slots__ = ("left", "chars", "cap")

    def __init__(self, nodes: int = DEEP_NODES, chars: int = DEEP_CHARS):
        self.left = nodes
        self.chars = chars
        self.cap = chars

    def text(self, n: int) -> None:
        """Spend ``n`` characters of text; AE407 past the budget's characters."""
        self.chars -= n
        if self.chars < 0:
            raise rt_error("AE407", f"value too large to turn into text (more than "
                           f"{self.cap} characters)")

    def spend(self, depth: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise rt_error("AE407", "value too large to compare or print "
                           f"(more than {DEEP_NODES} nested items)")
        if depth > MAX_DEPTH:
            raise rt_error("AE407", f"value nested more than {MAX_DEPTH} levels deep")


def equal(a: Any, b: Any, budget: Optional[_Budget] = None, depth: int = 0) -> bool:
    """Aether equality: deep on lists and maps, 1 == 1.0, but true != 1 (bool is no number)."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta in (int, float) and tb in (int, float):
        return a == b
    if ta is not tb:
        return False
    if ta is tuple:
        if len(a) != len(b):
            return False
        budget = budget or _Budget()
        budget.spend(depth)
        return all(equal(x, y, budget, depth + 1) for x, y in zip(a, b))
    if ta is dict:
        if len(a) != len(b) or a.keys() != b.keys():
            return False
        budget = budget or _Budget()
        budget.spend(depth)
        return all(equal(a[k], b[k], budget, depth + 1) for k in a)
    if ta is ErrorValue:
        return a.as_map() == b.as_map()
    if ta is BuiltinValue:
        return a.name == b.name
    if ta is FnValue:  # one fn, and for a closure the same enclosing call
        return a.code is b.code and a.env is b.env
    return a == b  # str, None


def _equal_positions(container: tuple, item: Any):
    """Positions of ``container`` whose item is :func:`equal` to the scalar ``item``
    (a string, number, bool or null), found by the tuple's own C search: Python's ``==``
    holds for every Aether-equal pair of scalars, and for a string or null only for those,
    so only a bool met by a number (``True == 1``) is looked at again here."""
    exact = item is None or type(item) is str
    index = container.index
    i = 0
    while True:
        try:
            i = index(item, i)
        except ValueError:
            return
        if exact or equal(item, container[i]):
            yield i
        i += 1


_SCALARS = (str, int, float, bool, type(None))


def contains_equal(container: tuple, item: Any) -> bool:
    """Whether an item of ``container`` is :func:`equal` to ``item``; a scalar ``item``
    is searched in C (a scan calling ``equal`` per item took seconds on a list of ten
    million, one step the run's time limit could not interrupt)."""
    if type(item) in _SCALARS:
        return next(_equal_positions(container, item), -1) >= 0
    return any(equal(item, x) for x in container)


def index_equal(container: tuple, item: Any) -> int:
    """The first position of an item :func:`equal` to ``item``, or -1 (see
    :func:`contains_equal`)."""
    if type(item) in _SCALARS:
        return next(_equal_positions(container, item), -1)
    return next((n for n, x in enumerate(container) if equal(x, item)), -1)


def count_equal(container: tuple, item: Any) -> int:
    """How many items of ``container`` are :func:`equal` to ``item`` (see
    :func:`contains_equal`)."""
    if type(item) in _SCALARS:
        if item is None or type(item) is str:
            return container.count(item)
        return sum(1 for _ in _equal_positions(container, item))
    return sum(1 for x in container if equal(x, item))


def compare_key(v: Any) -> tuple:
    """A sort key for ordering a list of numbers, strings, or lists of them (AE401 else)."""
    t = type(v)
    if t is int or t is float:
        return (0, v)
    if t is str:
        return (1, v)
    raise rt_error("AE401", f"cannot order a {type_name(v)}")


def size_of(v: Any) -> int:
    """The size of one value for the value-size budget: characters or items (top level)."""
    t = type(v)
    if t is str or t is tuple or t is dict:
        return len(v)
    return 1


def check_size(v: Any, limit: int) -> Any:
    """``v`` when its size is within ``limit``; else AE407."""
    if size_of(v) > limit:
        raise rt_error("AE407", f"{type_name(v)} of size {size_of(v)} exceeds the value size "
                       f"limit of {limit}")
    return v


def check_sizes(v: Any, limit: int) -> Any:
    """``v`` when it and every list, map and string inside it are within ``limit``; else
    AE407 (for values from outside: a tool's result, an input)."""
    stack = [v]
    while stack:
        x = stack.pop()
        t = type(x)
        if t is str or t is tuple or t is dict:
            check_size(x, limit)
            if t is tuple:
                stack.extend(x)
            elif t is dict:
                stack.extend(x.values())
    return v


def _num_text(v: Any) -> str:
    if type(v) is float:
        if v == int(v) and abs(v) < 1e16:
            return repr(v)  # 3.0 stays 3.0: the type is visible in output
        return repr(v)
    return str(v)


def to_string(v: Any, budget: Optional[_Budget] = None, depth: int = 0) -> str:
    """Canonical text of a value: strings as themselves at the top, JSON-like inside."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v)
    return repr_value(v, budget, depth)


def repr_value(v: Any, budget: Optional[_Budget] = None, depth: int = 0) -> str:
    """Text of a value as it appears inside a list or map (strings quoted)."""
    t = type(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int or t is float:
        if budget is not None:  # a list of 10 million numbers is 100 million characters
            text = _num_text(v)
            budget.text(len(text))
            return text
        return _num_text(v)
    if t is str:
        if budget is not None:
            budget.text(len(v))
        return json.dumps(v, ensure_ascii=False)
    budget = budget or _Budget()
    budget.spend(depth)
    if t is tuple:
        return "[" + ", ".join(repr_value(x, budget, depth + 1) for x in v) + "]"
    if t is dict:
        return "{" + ", ".join(_key_text(k, budget) + ": "
                               + repr_value(x, budget, depth + 1) for k, x in v.items()) + "}"
    if t is FnValue:
        return f"<fn {v.name}>"
    if t is BuiltinValue:
        return f"<builtin {v.name}>"
    if t is ErrorValue:
        return f"<error {v.kind}: {v.message}>"
    return "<value>"


def _key_text(k: Any, budget: _Budget) -> str:
    budget.text(len(k) if type(k) is str else 1)
    return json.dumps(k, ensure_ascii=False)


def to_json(v: Any, budget: Optional[_Budget] = None, depth: int = 0) -> Any:
    """Plain JSON data (lists, dicts, str, int, float, bool, None) for an Aether value.

    Functions become ``"<fn name>"`` and errors a map with their fields.
    """
    t = type(v)
    if t is str and budget is not None:  # inside a list or map: its copies add up in output
        budget.text(len(v))
        return v
    if t is int and budget is not None:
        budget.text(len(str(v)))  # its JSON text, which the caller may write
        return v
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float:
        return v if math.isfinite(v) else None
    budget = budget or _Budget()
    budget.spend(depth)
    if t is tuple:
        return [to_json(x, budget, depth + 1) for x in v]
    if t is dict:
        return {k: to_json(x, budget, depth + 1) for k, x in v.items()}
    if t is ErrorValue:
        return v.as_map()
    return repr_value(v)


def from_json(data: Any, budget: Optional[_Budget] = None, depth: int = 0) -> Any:
    """An Aether value from parsed JSON data (lists become tuples; keys must be strings).

    Raises AetherRuntimeError (AE405) for anything that is not JSON-shaped.
    """
    return from_host(data, budget, depth)


def from_host(data: Any, budget: Optional[_Budget] = None, depth: int = 0) -> Any:
    """Convert what a tool or the caller hands in to an Aether value, refusing other objects.

    Accepts None, bool, int (within 64 bits), finite float, str (no lone surrogate: AE405),
    list/tuple, dict with string keys, and Aether values. Anything else (a module, a
    class, a file...) is AE405: no Python object ever reaches a program.
    """
    t = type(data)
    if t is str:
        return _unicode(data)
    if data is None or t is bool:
        return data
    if t is int:
        if -INT_MAX - 1 <= data <= INT_MAX:
            return data
        raise rt_error("AE407", "integer out of the 64-bit range")
    if t is float:
        if math.isfinite(data):
            return data
        raise rt_error("AE405", "not a finite number")
    if t is FnValue or t is BuiltinValue or t is ErrorValue:
        return data
    budget = budget or _Budget()
    budget.spend(depth)
    if t is list or t is tuple:
        return tuple(from_host(x, budget, depth + 1) for x in data)
    if t is dict:
        out = {}
        for k, x in data.items():
            if type(k) is not str:
                raise rt_error("AE405", f"map keys must be strings, not {type(k).__name__}")
            out[_unicode(k)] = from_host(x, budget, depth + 1)
        return out
    raise rt_error("AE405", f"a value of host type '{t.__name__}' cannot enter a program")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unicode(text: str) -> str:
    """``text`` when it is Unicode text; AE405 when it holds a lone surrogate (JSON's
    ``"\\ud800"``, or a byte that was not UTF-8 in a command-line argument), which
    UTF-8 cannot encode: printing, recording or passing it on would fail."""
    if text.isascii():
        return text
    m = _SURROGATE.search(text)
    if m is None:
        return text
    raise rt_error("AE405", f"text that is not Unicode: a lone surrogate U+{ord(m.group()):04X} "
                   f"at character {m.start()} (a \\u escape of half a pair, or a byte that is "
                   "not UTF-8)")


def parse_json_text(text: str) -> Any:
    """The Aether value of JSON ``text`` (AE405 when it is not JSON)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise rt_error("AE405", f"not valid JSON: {exc}") from None
    return from_json(data)


def is_error(exc: BaseException) -> bool:
    return isinstance(exc, AetherRuntimeError)
