"""The catalogue model, and the builtin catalogue (``stdlib/*.json``) loaded into it.

The catalogue is data, not code: adding a builtin is an edit to ``stdlib/builtins.json``.
One :class:`Catalogue` object serves checker, runtime and policy: the builtins (loaded once
per process by :func:`load_catalogue`), and, merged over them by
:mod:`aether.semantics.project`, a project's own tools, plugin members and host inputs.
Its digest is part of cache keys.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple, Optional

from ..resources import stdlib_dir

__all__ = ["Signature", "CallProblem", "Builtin", "Plugin", "Catalogue", "load_catalogue",
           "EFFECTS", "RISKS", "json_digest", "catalogue_data_from_json"]

# What a callable may do (stdlib/builtins.json `_doc`) and how much review it needs.
# `unreviewed` is for project tools nobody has assessed yet (`aether tools infer`): the
# runtime treats it as high.
EFFECTS = ("pure", "memory", "tool", "observability")
RISKS = ("low", "medium", "high", "unreviewed")


class CallProblem(NamedTuple):
    """Why a call does not fit a signature: rule (AE303 / AE304), message, and the keyword
    argument at fault, if one is (so the finding can point at it)."""

    rule: str
    message: str
    keyword: Optional[str] = None


@dataclass(frozen=True)
class Signature:
    """Parameters of a callable: names, how many are required, varargs, any keywords."""

    params: tuple[str, ...]
    required: int
    varargs: bool = False
    any_keywords: bool = False
    positional: int = -1  # how many params can be given by position (-1: all)

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


@dataclass(frozen=True)
class Builtin:
    """A callable of the catalogue: a builtin, a project tool or a plugin member.

    ``params`` is the notation it was declared with; ``source`` is ``file:line`` for a
    project declaration (None for a builtin); ``binding`` holds the runtime keys of a
    project tool (``python``, ``command``, ... used by `aether run`) as read.
    """

    name: str
    signature: Signature
    effect: str
    risk: str
    capabilities: tuple[str, ...]
    summary: str
    params: tuple[str, ...] = ()
    source: Optional[str] = None
    binding: tuple[tuple[str, object], ...] = ()

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


@dataclass(frozen=True)
class Plugin:
    """A plugin the project declares, with the members a workflow may call on it."""

    name: str
    functions: dict[str, Builtin]
    summary: str = ""
    source: Optional[str] = None


@dataclass(frozen=True)
class Catalogue:
    """Everything a name in a workflow can resolve to.

    ``tools``, ``plugins`` and ``inputs`` are the project's (empty for the builtins alone);
    ``functions`` is builtins and tools together (no tool may shadow a builtin);
    ``files`` are the project catalogue files read, in order.
    """

    builtins: dict[str, Builtin]
    methods: frozenset[str]
    error_kinds: frozenset[str]
    policy: dict[str, dict]
    digest: str
    tools: dict[str, Builtin] = field(default_factory=dict)
    plugins: dict[str, Plugin] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    functions: dict[str, Builtin] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if not self.functions:
            object.__setattr__(self, "functions", {**self.builtins, **self.tools}
                               if self.tools else self.builtins)


def _raw_files() -> tuple[bytes, bytes]:
    root = stdlib_dir()
    with open(os.path.join(root, "builtins.json"), "rb") as fh:
        raw_b = fh.read()
    with open(os.path.join(root, "policy.json"), "rb") as fh:
        raw_p = fh.read()
    return raw_b, raw_p


def _digest(raw_b: bytes, raw_p: bytes) -> str:
    try:
        from _sha256 import sha256  # CPython's built-in: avoids loading OpenSSL at start-up
    except ImportError:  # pragma: no cover - other interpreters
        from hashlib import sha256

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
