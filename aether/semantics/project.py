"""Read the project tool catalogue (``aether-tools.toml`` and the files the ``catalogue`` key
names) and merge it over the builtins into one :class:`Catalogue`.

The file is the project's half of the catalogue: ``[tools.NAME]`` tables (same model as
``stdlib/builtins.json``), ``[plugins.NAME.functions.FN]`` plugin members and ``[inputs]``
(``NAME = "TYPE"``: values the host supplies). A file that cannot be used is a
:class:`aether.config.ConfigError` naming the file and key (status 26 in the CLI, like a
bad configuration file); nothing here prints or exits.
"""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Optional

from ..config import Config, ConfigError
from ..readfile import DocumentReadError, read_document
from .catalogue import EFFECTS, RISKS, Builtin, Catalogue, Plugin, Signature, load_catalogue

__all__ = ["CATALOGUE_FILE", "TOOL_KEYS", "BINDING_KEYS", "load_project_catalogue", "merge_catalogue",
           "catalogue_files", "parse_catalogue_text"]

CATALOGUE_FILE = "aether-tools.toml"

# Patterns as strings: re compiles (and caches) them when a catalogue file is first read,
# not when `aether check` without one starts (start-up time).
_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_PARAM = r"^(?:\*\*?[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\??)$"
# the validator's notation for capabilities (`require: capabilities:`)
_CAPABILITY = r"^[a-z_][a-z0-9_]*(?:\.[a-z_*][a-z0-9_*]*)+$"
_TYPE = r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[A-Za-z0-9_\[\], ]*\])?$"
_RESERVED = frozenset({"if", "elif", "else", "for", "in", "while", "fn", "return", "try",
                       "catch", "break", "continue", "await", "not", "and", "or", "true",
                       "false", "null", "as"})


def _is_str(v) -> bool:
    return isinstance(v, str)


def _is_str_list(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_params(v) -> bool:
    return _is_str_list(v) and all(re.match(_PARAM, x) for x in v) and \
        len({x.lstrip("*").rstrip("?") for x in v}) == len(v)


def _is_capabilities(v) -> bool:
    return _is_str_list(v) and all(re.match(_CAPABILITY, x) for x in v)


# The one schema of a `[tools.NAME]` (and `[plugins.P.functions.FN]`) table:
# key -> (accepts the value?, what it must be, used only at run time).
# The runtime keys (binding keys) are kept as read and type-checked; `aether run` uses them
# (aether/runtime/bindings.py). A table for a *builtin* name may hold only binding keys:
# it binds the builtin (think, remember, ...) without changing what the checker knows.
TOOL_KEYS: dict[str, tuple[Callable[[object], bool], str, bool]] = {
    "params": (_is_params, 'a list of distinct parameters in the builtins notation '
               '("x" required, "x?" optional, "*x", "**x")', False),
    "effect": (lambda v: v in EFFECTS, "one of " + ", ".join(f'"{e}"' for e in EFFECTS), False),
    "risk": (lambda v: v in RISKS, "one of " + ", ".join(f'"{r}"' for r in RISKS), False),
    "capabilities": (_is_capabilities, 'a list of dotted capability names such as '
                     '"storage.write"', False),
    "summary": (_is_str, "a string", False),
    "python": (_is_str, 'a string "module:function"', True),
    "command": (lambda v: _is_str_list(v) and bool(v) and bool(v[0]),
                'a non-empty list of strings ["prog", "arg", ...] (no shell)', True),
    "mcp": (lambda v: isinstance(v, dict) and set(v) <= {"command", "tool"}
            and _is_str_list(v.get("command")) and bool(v["command"])
            and _is_str(v.get("tool", "")),
            'a table { command = ["prog", "arg"], tool = "name" } (tool defaults to the '
            'tool\'s own name)', True),
    "compensate": (_is_str, "the name of the tool that undoes a call", True),
    "idempotent": (lambda v: isinstance(v, bool), "true or false", True),
}
BINDING_KEYS = tuple(k for k, (_, _, runtime) in TOOL_KEYS.items() if runtime)
TOOL_DEFAULTS = {"params": [], "effect": "tool", "risk": "unreviewed", "capabilities": [],
                 "summary": ""}
PLUGIN_KEYS = ("functions", "summary")
TOP_KEYS = ("tools", "plugins", "inputs")


def catalogue_files(config: Config) -> list[str]:
    """The catalogue files of the project of ``config``, in reading order: those the
    ``catalogue`` key names, then ``aether-tools.toml`` in the project root if present."""
    files = list(config.catalogue)
    default = os.path.join(config.root, CATALOGUE_FILE)
    if os.path.isfile(default):
        files.append(default)
    seen: set[str] = set()
    out = []
    for f in files:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def load_project_catalogue(config: Config, isolated: bool = False) -> Optional[Catalogue]:
    """The builtins merged with the project's catalogue files, or None when there are none
    (or with ``isolated``): the builtins alone, which the checker loads itself.
    Raises ConfigError for a file that cannot be used: missing, unreadable, not TOML, or
    not of the catalogue's shape."""
    if isolated:
        return None
    files = catalogue_files(config)
    if not files:
        return None
    parts = []
    for path in files:
        try:
            raw = read_document(path)
        except DocumentReadError as exc:
            raise ConfigError(f"cannot read the tool catalogue {_shown(path)}: it {exc}") \
                from None
        parts.append((path, raw))
    return merge_catalogue(load_catalogue(), parts)


def _shown(path: str) -> str:
    rel = os.path.relpath(path) if os.path.isabs(path) else path
    return path if rel.startswith("..") else rel


def parse_catalogue_text(raw: bytes, path: str) -> dict:
    """The TOML table of one catalogue file's bytes. Raises ConfigError when it is not
    TOML (any nesting depth or size ends in that error, never a crash)."""
    from ..config import _toml

    tomllib = _toml()
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_shown(path)} is not UTF-8 text ({exc.reason} at byte "
                          f"{exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_shown(path)} is not valid TOML: {exc}") from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{_shown(path)} is not valid TOML: nested too deeply") from None


def _header_lines(text: str) -> dict[str, int]:
    """Line numbers of table headers (``tools.x``, ``plugins.p.functions.f``, ``inputs``),
    for ``source`` and messages; a table written another way just has no line."""
    out: dict[str, int] = {}
    for n, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if s.startswith("[") and not s.startswith("[["):
            end = s.find("]")
            if end > 0:
                key = ".".join(p.strip().strip('"').strip("'") for p in s[1:end].split("."))
                out.setdefault(key, n)
    return out


def merge_catalogue(base: Catalogue, parts: list[tuple[str, bytes]]) -> Catalogue:
    """``base`` with the catalogue files ``parts`` ((path, bytes), in order) merged over it.

    Raises ConfigError naming file and key for a bad file, a tool that shadows a builtin,
    and a name declared twice."""
    try:
        from _sha256 import sha256
    except ImportError:  # pragma: no cover - other interpreters
        from hashlib import sha256

    tools: dict[str, Builtin] = {}
    builtins = dict(base.builtins)  # a builtin bound by a binding-only table is replaced
    bound_builtins: dict[str, str] = {}  # builtin name -> where its binding is declared
    plugins: dict[str, Plugin] = {}
    inputs: dict[str, str] = {}
    input_where: dict[str, str] = {}
    digest = sha256(base.digest.encode("ascii"))
    for path, raw in parts:
        digest.update(b"\0" + raw)
        data = parse_catalogue_text(raw, path)
        shown = _shown(path)
        lines = _header_lines(raw.decode("utf-8"))

        def where(key: str) -> str:
            line = lines.get(key)
            return f"{shown}:{line}" if line else shown

        for key in data:
            if key not in TOP_KEYS:
                raise ConfigError(f"{shown}: unknown key '{key}' (a catalogue file holds "
                                  "[tools.NAME], [plugins.NAME] and [inputs] tables)")
        for name, spec in _table(data, "tools", shown).items():
            tool = _tool(name, spec, f"tools.{name}", where, base)
            if name in base.builtins:
                if name in bound_builtins:
                    raise ConfigError(f"{where(f'tools.{name}')}: [tools.{name}] is already "
                                      f"declared at {bound_builtins[name]}")
                bound_builtins[name] = tool.source
                builtins[name] = base.builtins[name].replace(binding=tool.binding)
                continue
            if name in tools:
                raise ConfigError(f"{where(f'tools.{name}')}: [tools.{name}] is already "
                                  f"declared at {tools[name].source}")
            tools[name] = tool
        for name, spec in _table(data, "plugins", shown).items():
            key = f"plugins.{name}"
            if not re.match(_NAME, name):
                raise ConfigError(f"{where(key)}: [{key}]: a plugin name is a name such as "
                                  "'sysmon' (its functions are called as sysmon.fn(...))")
            if not isinstance(spec, dict):
                raise ConfigError(f"{where(key)}: '{key}' must be a table")
            for k in spec:
                if k not in PLUGIN_KEYS:
                    raise ConfigError(f"{where(key)}: [{key}] unknown key '{k}' (known: "
                                      f"{', '.join(PLUGIN_KEYS)})")
            if "summary" in spec and not isinstance(spec["summary"], str):
                raise ConfigError(f"{where(key)}: [{key}] 'summary' must be a string")
            fns = spec.get("functions", {})
            if not isinstance(fns, dict):
                raise ConfigError(f"{where(key)}: [{key}] 'functions' must be a table of "
                                  f"[{key}.functions.FN] tables")
            if name in plugins:
                raise ConfigError(f"{where(key)}: [{key}] is already declared at "
                                  f"{plugins[name].source}")
            members = {fn: _tool(fn, fspec, f"{key}.functions.{fn}", where, None)
                       for fn, fspec in fns.items()}
            plugins[name] = Plugin(name, members, spec.get("summary", ""), where(key))
        for name, kind in _table(data, "inputs", shown).items():
            if not re.match(_NAME, name) or name in _RESERVED:
                raise ConfigError(f"{where('inputs')}: [inputs] '{name}' is not a name a "
                                  "workflow can use")
            if not isinstance(kind, str) or not re.match(_TYPE, kind):
                raise ConfigError(f"{where('inputs')}: [inputs] '{name}' must be a type "
                                  'string such as "any", "str" or "list[str]"')
            if name in inputs and inputs[name] != kind:
                raise ConfigError(f"{where('inputs')}: [inputs] '{name}' is \"{kind}\" here "
                                  f"but \"{inputs[name]}\" in {input_where[name]}")
            inputs[name] = kind
            input_where[name] = where("inputs")
    for name in inputs:
        clash = "builtin" if name in base.builtins else "tool" if name in tools else None
        if clash:
            raise ConfigError(f"{input_where[name]}: [inputs] '{name}' is also a {clash}: "
                              "a name is either a value the host supplies or a function")
    return Catalogue(builtins, base.methods, base.error_kinds, base.policy,
                     digest.hexdigest(), tools, plugins, inputs,
                     tuple(_shown(p) for p, _ in parts))


def _table(data: dict, key: str, shown: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{shown}: '{key}' must be a table ([{key}...])")
    return value


def _tool(name: str, spec, key: str, where, base: Optional[Catalogue]) -> Builtin:
    """One ``[tools.NAME]`` table as a catalogue entry (``base``: the builtins it may not
    shadow; None for a plugin member, which lives in its plugin's namespace)."""
    at = where(key)
    if not re.match(_NAME, name) or name in _RESERVED:
        raise ConfigError(f"{at}: [{key}]: '{name}' is not a name a workflow can call")
    if not isinstance(spec, dict):
        raise ConfigError(f"{at}: '{key}' must be a table")
    if base is not None and name in base.builtins:
        other = sorted(k for k in spec if k not in BINDING_KEYS)
        if other or not spec:
            raise ConfigError(
                f"{at}: [{key}] shadows the builtin '{name}' (stdlib/builtins.json, "
                "`aether tools show " + name + "`): a project tool may not replace a "
                f"builtin (here: '{other[0] if other else 'an empty table'}'); rename the "
                "tool, or keep only binding keys (" + ", ".join(BINDING_KEYS) + ") to bind "
                "the builtin")
        effect = base.builtins[name].effect
        impl = sorted(k for k in spec if k in ("python", "command", "mcp"))
        if impl and effect != "tool":
            raise ConfigError(f"{at}: [{key}] '{impl[0]}': the builtin '{name}' has effect "
                              f"\"{effect}\", which aether performs itself (memory in the "
                              "state store, observability as events); only builtins of "
                              "effect \"tool\" (think, analyze, ...) take an implementation")
    values = dict(TOOL_DEFAULTS)
    binding = []
    for k, v in spec.items():
        rule = TOOL_KEYS.get(k)
        if rule is None:
            raise ConfigError(f"{at}: [{key}] unknown key '{k}' (known: "
                              f"{', '.join(TOOL_KEYS)})")
        accepts, what, runtime = rule
        if not accepts(v):
            raise ConfigError(f"{at}: [{key}] '{k}' must be {what}")
        if runtime:
            binding.append((k, v))
        else:
            values[k] = v
    return Builtin(name, Signature.parse(values["params"]), values["effect"], values["risk"],
                   tuple(values["capabilities"]), values["summary"], tuple(values["params"]),
                   at, tuple(binding))
