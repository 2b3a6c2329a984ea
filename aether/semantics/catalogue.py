"""The catalogue model, and the builtin catalogue (``stdlib/*.json``) loaded into it.

The catalogue is data, not code: adding a builtin is an edit to ``stdlib/builtins.json``.
One :class:`Catalogue` object serves checker, runtime and policy: the builtins (loaded once
per process by :func:`load_catalogue`), and, merged over them by
:mod:`aether.semantics.project`, a project's own tools, plugin members and host inputs.
Its digest is part of cache keys.
"""

from __future__ import annotations

import os
from functools import lru_cache

from ..record import SET, FrozenRecord
from ..resources import stdlib_dir

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["Signature", "CallProblem", "Builtin", "Plugin", "Catalogue", "load_catalogue",
           "EFFECTS", "RISKS", "json_digest", "catalogue_data_from_json"]

# What a callable may do (stdlib/builtins.json `_doc`) and how much review it needs.
# `unreviewed` is for project tools nobody has assessed yet (`aether tools infer`): the
# runtime treats it as high.
EFFECTS = ("pure", "memory", "tool", "observability")
RISKS = ("low", "medium", "high", "unreviewed")


class CallProblem(tuple):
    """Why a call does not fit a signature: ``(rule, message, keyword)``, the rule (AE303 /
    AE304), the message, and the keyword argument at fault, if one is (so the finding can
    point at it). A tuple, as the NamedTuple it replaces (which cost start-up time)."""

    __slots__ = ()

    def __new__(cls, rule: str, message: str, keyword: Optional[str] = None):
        return tuple.__new__(cls, (rule, message, keyword))

    @property
    def rule(self) -> str:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]

    @property
    def keyword(self) -> Optional[str]:
        return self[2]

    def __repr__(self) -> str:
        return f"CallProblem(rule={self[0]!r}, message={self[1]!r}, keyword={self[2]!r})"

    def __getnewargs__(self):
        return tuple(self)


class Signature(FrozenRecord):
    """Parameters of a callable: names, how many are required, varargs, any keywords."""

    __slots__ = _fields = ("params", "required", "varargs", "any_keywords", "positional")
    params: tuple[str, ...]
    required: int
    varargs: bool
    any_keywords: bool
    positional: int  # how many params can be given by position (-1: all)

    def __init__(self, params, required, varargs=False, any_keywords=False, positional=-1):
        SET(self, "params", params)
        SET(self, "required", required)
        SET(self, "varargs", varargs)
        SET(self, "any_keywords", any_keywords)
        SET(self, "positional", positional)

    @classmethod
    def parse(cls, specs: list[str]) -> "Signature":
        """From catalogue notation: ``x`` required, ``x?`` optional, ``*x``, ``**x``.

        Parameters after ``*x`` are keyword-only, as in Python.
        """
        params: list[str] = []
        required = 0
        varargs = any_kw = False
        positional = -1
        for spec in specs:
            if spec.startswith("**"):
                any_kw = True
            elif spec.startswith("*"):
                varargs = True
                positional = len(params)
            elif spec.endswith("?"):
                params.append(spec[:-1])
            else:
                params.append(spec)
                required = len(params)
        return cls(tuple(params), required, varargs, any_kw, positional)

    def check(self, n_positional: int, keywords: list[str]) -> Optional[CallProblem]:
        """None when a call fits; else the problem (AE303 arity / AE304 keyword)."""
        n_params = len(self.params) if self.positional < 0 else self.positional
        if n_positional > n_params and not self.varargs:
            return CallProblem("AE303", f"takes {self._count()} but {n_positional} "
                               f"{'was' if n_positional == 1 else 'were'} given")
        given = set(self.params[:min(n_positional, n_params)])
        for kw in keywords:
            if kw in self.params:
                if kw in given:
                    return CallProblem("AE304", f"got '{kw}' both by position and by "
                                       "keyword", kw)
                given.add(kw)
            elif not self.any_keywords:
                return CallProblem("AE304", f"has no parameter '{kw}'" + self._known(), kw)
        missing = [p for p in self.params[:self.required] if p not in given]
        if missing:
            return CallProblem("AE303", "is missing required argument"
                               f"{'s' if len(missing) > 1 else ''} "
                               + ", ".join(f"'{m}'" for m in missing))
        return None

    def _count(self) -> str:
        n = len(self.params) if self.positional < 0 else self.positional
        r = min(self.required, n)
        if self.varargs:
            return f"at least {r} argument{'s' if r != 1 else ''}"
        if n == r:
            return f"{n} argument{'s' if n != 1 else ''}"
        return f"{r} to {n} arguments"

    def _known(self) -> str:
        return f" (parameters: {', '.join(self.params)})" if self.params else " (it takes none)"


class Builtin(FrozenRecord):
    """A callable of the catalogue: a builtin, a project tool or a plugin member.

    ``params`` is the notation it was declared with; ``source`` is ``file:line`` for a
    project declaration (None for a builtin); ``binding`` holds the runtime keys of a
    project tool (``python``, ``command``, ... used by `aether run`) as read.
    """

    __slots__ = _fields = ("name", "signature", "effect", "risk", "capabilities", "summary",
                           "params", "source", "binding")
    name: str
    signature: Signature
    effect: str
    risk: str
    capabilities: tuple[str, ...]
    summary: str
    params: tuple[str, ...]
    source: Optional[str]
    binding: tuple[tuple[str, object], ...]

    def __init__(self, name, signature, effect, risk, capabilities, summary, params=(),
                 source=None, binding=()):
        SET(self, "name", name)
        SET(self, "signature", signature)
        SET(self, "effect", effect)
        SET(self, "risk", risk)
        SET(self, "capabilities", capabilities)
        SET(self, "summary", summary)
        SET(self, "params", params)
        SET(self, "source", source)
        SET(self, "binding", binding)

    def bound(self, key: str, default=None):
        """The value of runtime key ``key`` (python, command, mcp, compensate,
        idempotent) of this entry's binding, or ``default``."""
        for k, v in self.binding:
            if k == key:
                return v
        return default

    @property
    def compensate(self) -> Optional[str]:
        """The tool that undoes a call of this one (``compensate = "TOOL"``), or None."""
        return self.bound("compensate")

    @property
    def idempotent(self) -> bool:
        return self.bound("idempotent") is True


class Plugin(FrozenRecord):
    """A plugin the project declares, with the members a workflow may call on it."""

    __slots__ = _fields = ("name", "functions", "summary", "source")
    name: str
    functions: dict[str, Builtin]
    summary: str
    source: Optional[str]

    def __init__(self, name, functions, summary="", source=None):
        SET(self, "name", name)
        SET(self, "functions", functions)
        SET(self, "summary", summary)
        SET(self, "source", source)


class Catalogue(FrozenRecord):
    """Everything a name in a workflow can resolve to.

    ``tools``, ``plugins`` and ``inputs`` are the project's (empty for the builtins alone);
    ``functions`` is builtins and tools together (no tool may shadow a builtin);
    ``files`` are the project catalogue files read, in order.
    """

    __slots__ = _fields = ("builtins", "methods", "error_kinds", "policy", "digest", "tools",
                           "plugins", "inputs", "files", "functions")
    builtins: dict[str, Builtin]
    methods: frozenset[str]
    error_kinds: frozenset[str]
    policy: dict[str, dict]
    digest: str
    tools: dict[str, Builtin]
    plugins: dict[str, Plugin]
    inputs: dict[str, str]
    files: tuple[str, ...]
    functions: dict[str, Builtin]  # derived; not compared

    def __init__(self, builtins, methods, error_kinds, policy, digest, tools=None,
                 plugins=None, inputs=None, files=(), functions=None):
        SET(self, "builtins", builtins)
        SET(self, "methods", methods)
        SET(self, "error_kinds", error_kinds)
        SET(self, "policy", policy)
        SET(self, "digest", digest)
        SET(self, "tools", {} if tools is None else tools)
        SET(self, "plugins", {} if plugins is None else plugins)
        SET(self, "inputs", {} if inputs is None else inputs)
        SET(self, "files", files)
        if not functions:
            functions = {**builtins, **self.tools} if self.tools else builtins
        SET(self, "functions", functions)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        # ``functions`` is derived from builtins and tools: not compared
        return self._values()[:-1] == other._values()[:-1]  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values()[:-1])


def _raw_files() -> tuple[bytes, bytes]:
    root = stdlib_dir()
    with open(os.path.join(root, "builtins.json"), "rb") as fh:
        raw_b = fh.read()
    with open(os.path.join(root, "policy.json"), "rb") as fh:
        raw_p = fh.read()
    return raw_b, raw_p


def _digest(raw_b: bytes, raw_p: bytes) -> str:
    from ..digest import sha256  # not hashlib: avoids loading OpenSSL at start-up

    return sha256(raw_b + b"\0" + raw_p).hexdigest()


def json_digest() -> str:
    """SHA-256 (hex) of ``stdlib/builtins.json`` and ``policy.json``: the catalogue's digest
    (part of cache keys) and what the generated ``_builtins`` module is checked against."""
    return _digest(*_raw_files())


def catalogue_data_from_json(files: Optional[tuple[bytes, bytes]] = None) -> tuple[str, dict]:
    """``(digest, data)`` read from the JSON files: ``data`` holds ``builtins`` (name ->
    ``(params, effect, risk, capabilities, summary)``), ``methods``, ``error_kinds`` and
    ``policy`` as plain Python values, as tools/build_catalogue.py stores them."""
    import json

    raw_b, raw_p = files or _raw_files()
    data = json.loads(raw_b)
    pol = json.loads(raw_p)
    builtins = {name: (tuple(spec["params"]), spec["effect"], spec["risk"],
                       tuple(spec.get("capabilities", ())), spec.get("summary", ""))
                for name, spec in data["builtins"].items()}
    return _digest(raw_b, raw_p), {"builtins": builtins, "methods": tuple(data["methods"]),
                                   "error_kinds": tuple(data["error_kinds"]),
                                   "policy": pol["keys"]}


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The catalogue from ``stdlib/`` (cached for the process).

    Taken from the generated module ``_builtins`` when it was made from the current JSON
    files (the usual case: no json import, no parsing), else read from the JSON itself.
    """
    files = _raw_files()
    digest = _digest(*files)
    try:
        from . import _builtins
    except ImportError:  # pragma: no cover - not generated yet
        _builtins = None
    if _builtins is not None and _builtins.DIGEST == digest:
        data = {"builtins": _builtins.BUILTINS, "methods": _builtins.METHODS,
                "error_kinds": _builtins.ERROR_KINDS, "policy": _builtins.POLICY}
    else:
        digest, data = catalogue_data_from_json(files)
    builtins = {
        name: Builtin(name, Signature.parse(params), effect, risk, caps, summary, params)
        for name, (params, effect, risk, caps, summary) in data["builtins"].items()
    }
    return Catalogue(builtins, frozenset(data["methods"]), frozenset(data["error_kinds"]),
                     data["policy"], digest)
