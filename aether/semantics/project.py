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

__all__ = ["code_lines", "CATALOGUE_FILE", "TOOL_KEYS", "BINDING_KEYS", "load_project_catalogue", "merge_catalogue",
           "catalogue_files", "parse_catalogue_text"]

CATALOGUE_FILE = "aether-tools.toml"

# Patterns as strings: re compiles (and caches) them when a catalogue file is first read,
# not when `aether check` without one starts (start-up time). Each is used with
# re.fullmatch: `$` would also match before a final newline (`"log\n"` is no name).
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PARAM = r"(?:\*\*?[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\??)"
# the validator's notation for capabilities (`require: capabilities:`)
_CAPABILITY = r"[a-z_][a-z0-9_]*(?:\.[a-z_*][a-z0-9_*]*)+"
_TYPE_TOKEN = r"(?s) *(?:([A-Za-z_][A-Za-z0-9_]*)|([^ ]))"
_RESERVED = frozenset({"if", "elif", "else", "for", "in", "while", "fn", "return", "try",
                       "catch", "break", "continue", "await", "not", "and", "or", "true",
                       "false", "null", "as"})


def _is_str(v) -> bool:
    return isinstance(v, str)


def _is_str_list(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _is_params(v) -> bool:
    return _is_str_list(v) and all(re.fullmatch(_PARAM, x) for x in v) and \
        len({x.lstrip("*").rstrip("?") for x in v}) == len(v)


def _params_order(params: list[str]) -> Optional[str]:
    """Why a list of parameters (already of the right notation) cannot be read as one
    signature, or None: required parameters come before optional ones (in the keyword-only
    part after ``*x`` too: the checker counts the required ones from the front, so a
    required ``b`` after an optional ``a?`` would make ``a`` required in silence), ``*x``
    at most once, ``**x`` at most once and last. (A reserved word is a parameter name in the
    builtins too, `map(values, fn)`: it is passed by position.)"""
    optional = None
    star = None
    for i, p in enumerate(params):
        if p.startswith("**"):
            if i != len(params) - 1:
                return f"'{p}' (any other keyword) must be the last parameter"
        elif p.startswith("*"):
            if star is not None:
                return f"'{p}' follows '{star}': a tool takes at most one '*x' parameter"
            star = p
        elif p.endswith("?"):
            optional = optional or p
        elif optional is not None:
            return (f"the required parameter '{p}' follows the optional '{optional}' "
                    "(required parameters come first)")
    return None


def _is_type(v) -> bool:
    """Whether ``v`` is a type string in the shape of a type hint: ``Name`` or
    ``Name[Type, ...]``, brackets balanced (read without recursion: any length is fine)."""
    if not isinstance(v, str):
        return False
    depth = 0
    expect_name = True  # else: after a name or `]`
    after_name = False
    pos = 0
    token = re.compile(_TYPE_TOKEN)
    while True:
        m = token.match(v, pos)
        if m is None:  # only spaces left
            return not expect_name and depth == 0
        pos = m.end()
        name, other = m.groups()
        if expect_name:
            if name is None:
                return False
            expect_name = False
            after_name = True
            continue
        if other == "[" and after_name:
            depth += 1
            expect_name = True
        elif other == "," and depth:
            expect_name = True
        elif other == "]" and depth:
            depth -= 1
        else:
            return False
        after_name = False


def _is_capabilities(v) -> bool:
    return _is_str_list(v) and all(re.fullmatch(_CAPABILITY, x) for x in v)


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
    ``catalogue`` key names, then ``aether-tools.toml`` in the project root if present.

    Anything at that name counts, not only a regular file: a FIFO, a folder or a dangling
    link there is then reported by :func:`load_project_catalogue` (one clear error)
    instead of being skipped as if the project had no catalogue, which would check its
    workflows against the builtins alone in silence. A file named twice is read once."""
    files = list(config.catalogue)
    default = os.path.join(config.root, CATALOGUE_FILE)
    if os.path.lexists(default):
        files.append(default)
    seen: set[str] = set()
    out = []
    for f in files:
        try:
            key = os.path.realpath(f)
        except ValueError:  # a NUL in the name: reported when it is read
            key = f
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
    named = set(config.catalogue)
    parts = []
    for path in files:
        try:
            raw = read_document(path)
        except (DocumentReadError, ValueError) as exc:  # ValueError: a NUL in the name
            reason = exc if isinstance(exc, DocumentReadError) else \
                "is not a file name (it holds a NUL character)"
            if isinstance(exc, DocumentReadError) and exc.missing and os.path.islink(path):
                reason = f"is a symbolic link to {os.readlink(path)!r}, which does not exist"
            if path in named:  # say which setting named it
                raise ConfigError(f"{config.path}: 'catalogue' names the tool catalogue "
                                  f"{_shown(path)!r}, which cannot be read: it {reason}") \
                    from None
            raise ConfigError(f"cannot read the tool catalogue {_shown(path)}: it {reason}") \
                from None
        parts.append((path, raw))
    return merge_catalogue(load_catalogue(), parts)


def _shown(path: str) -> str:
    rel = os.path.relpath(path) if os.path.isabs(path) else path
    return path if rel.startswith("..") else rel


def parse_catalogue_text(raw: bytes, path: str) -> dict:
    """The TOML table of one catalogue file's bytes. Raises ConfigError when it is not
    TOML (any nesting depth or size ends in that error, never a crash)."""
    from ..config import toml_reader

    tomllib = toml_reader()
    try:
        # a leading BOM (editors on Windows write one) is no TOML error
        return tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_shown(path)} is not UTF-8 text ({exc.reason} at byte "
                          f"{exc.start})") from None
    except ValueError as exc:  # TOMLDecodeError, or an integer of more digits than
        # int() converts (a plain ValueError from inside tomllib)
        raise ConfigError(f"{_shown(path)} is not valid TOML: {exc}") from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{_shown(path)} is not valid TOML: nested too deeply") from None


def code_lines(text: str) -> list[bool]:
    """For each line of the TOML ``text`` (split on ``\n``), whether it starts outside a
    multi-line string: a line inside one (a ``summary = \"\"\"`` ... ``\"\"\"`` holding
    ``[inputs]``, say) is text, never a table header. One pass over the characters; strings
    on one line, escapes and comments are skipped so that their quotes open nothing."""
    out = []
    closing = ""  # the delimiter of the multi-line string we are in, if any
    for line in text.split("\n"):
        out.append(not closing)
        i, n = 0, len(line)
        while i < n:
            if closing:
                if closing == '"""' and line[i] == "\\":
                    i += 2
                    continue
                if line.startswith(closing, i):
                    i += 3
                    while i < n and line[i] == closing[0]:  # up to two quotes end it too
                        i += 1
                    closing = ""
                    continue
                i += 1
                continue
            c = line[i]
            if c == "#":
                break
            if line.startswith('"""', i) or line.startswith("'''", i):
                closing = line[i:i + 3]
                i += 3
            elif c == '"' or c == "'":
                i += 1
                while i < n and line[i] != c:
                    i += 2 if c == '"' and line[i] == "\\" else 1
                i += 1
            else:
                i += 1
    return out


def _header_lines(text: str) -> dict[str, int]:
    """Line numbers of table headers (``tools.x``, ``plugins.p.functions.f``, ``inputs``),
    for ``source`` and messages; a table written another way just has no line."""
    out: dict[str, int] = {}
    lines = text.split("\n")
    for n, (line, code) in enumerate(zip(lines, code_lines(text)), 1):
        s = line.strip()
        if code and s.startswith("[") and not s.startswith("[["):
            end = s.find("]")
            if end > 0:
                key = ".".join(p.strip().strip('"').strip("'") for p in s[1:end].split("."))
                out.setdefault(key, n)
    return out


def merge_catalogue(base: Catalogue, parts: list[tuple[str, bytes]]) -> Catalogue:
    """``base`` with the catalogue files ``parts`` ((path, bytes), in order) merged over it.

    Raises ConfigError naming file and key for a bad file, a tool that shadows a builtin,
    and a name declared twice."""
    from ..digest import sha256

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
        lines = _header_lines(raw.decode("utf-8").removeprefix("\ufeff"))

        def where(key: str) -> str:
            line = lines.get(key)
            return f"{shown}:{line}" if line else shown

        for key in data:
            if key not in TOP_KEYS:
                raise ConfigError(f"{shown}: unknown key {key!r} (a catalogue file holds "
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
            if not re.fullmatch(_NAME, name) or name in _RESERVED:
                raise ConfigError(f"{where(key)}: [{_key_shown(key)}]: a plugin name is a "
                                  "name such as 'sysmon' (its functions are called as "
                                  f"sysmon.fn(...)); {name!r} is not: "
                                  f"{_why_not_a_name(name)}")
            if not isinstance(spec, dict):
                raise ConfigError(f"{where(key)}: '{key}' must be a table")
            for k in spec:
                if k not in PLUGIN_KEYS:
                    raise ConfigError(f"{where(key)}: [{key}] unknown key {k!r} (known: "
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
            if not re.fullmatch(_NAME, name) or name in _RESERVED:
                raise ConfigError(f"{where('inputs')}: [inputs] {name!r} is not a name a "
                                  f"workflow can use ({_why_not_a_name(name)})")
            if not _is_type(kind):
                raise ConfigError(f"{where('inputs')}: [inputs] '{name}' must be a type "
                                  'string such as "any", "str" or "list[str]"')
            if name in inputs and inputs[name] != kind:
                raise ConfigError(f"{where('inputs')}: [inputs] '{name}' is \"{kind}\" here "
                                  f"but \"{inputs[name]}\" in {input_where[name]}")
            inputs[name] = kind
            input_where[name] = where("inputs")
    for name in inputs:
        clash = "builtin" if name in base.builtins else "tool" if name in tools else \
            "plugin" if name in plugins else None
        if clash:
            raise ConfigError(f"{input_where[name]}: [inputs] '{name}' is also a {clash}: "
                              "a name is either a value the host supplies or a "
                              f"{'plugin' if clash == 'plugin' else 'function'}")
    for name, plugin in plugins.items():
        if name in tools:
            # `foo(x)` would call the tool and `foo.f()` the plugin, but `foo` as a value is
            # the plugin at run time (a required plugin comes first) and the tool to the
            # manifest: the reviewer would approve one and the run use the other
            raise ConfigError(f"{plugin.source}: [plugins.{name}] has the name of the tool "
                              f"'{name}' ({tools[name].source}): a name is either a tool or "
                              "a plugin; rename one")
    _no_case_twins(base, tools, inputs, input_where)
    return Catalogue(builtins, base.methods, base.error_kinds, base.policy,
                     digest.hexdigest(), tools, plugins, inputs,
                     tuple(_shown(p) for p, _ in parts))


def _no_case_twins(base: Catalogue, tools: dict, inputs: dict, input_where: dict) -> None:
    """Raise ConfigError for a project tool or input whose name differs from a builtin's,
    another tool's or another input's only in case (`Log` next to the builtin `log`,
    `Deploy` next to `deploy`): a reader takes one for the other, and `aether tools infer`
    counts such a pair as a typo. Names are otherwise ASCII, so no other look-alike can be
    declared (see _why_not_a_name)."""
    seen: dict[str, str] = {n.lower(): f"the builtin '{n}'" for n in base.builtins}
    names: dict[str, str] = {n.lower(): n for n in base.builtins}
    declared = [(n, t.source, "tool") for n, t in sorted(tools.items())] + \
        [(n, input_where[n], "input") for n in sorted(inputs)]
    for name, at, kind in declared:
        folded = name.lower()
        if folded in names and names[folded] != name:
            raise ConfigError(
                f"{at}: {'[tools.' + name + ']' if kind == 'tool' else '[inputs] ' + repr(name)}"
                f" differs only in case from {seen[folded]}: a reader takes one for the "
                "other; rename it")
        names.setdefault(folded, name)
        seen.setdefault(folded, f"the {kind} '{name}' ({at})")


def _table(data: dict, key: str, shown: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{shown}: '{key}' must be a table ([{key}...])")
    return value


def _why_not_a_name(name: str) -> str:
    """Why ``name`` (a TOML key) is no Aether name, for a message."""
    if name in _RESERVED:
        return "a reserved word"
    odd = next((c for c in name if not (c.isascii() and (c.isalnum() or c == "_"))), None)
    if odd is not None:
        return (f"it holds {odd!r} (U+{ord(odd):04X}); a name is ASCII letters, digits and _"
                + (", so a look-alike of an ASCII letter is refused" if odd.isalpha() else ""))
    return "a name starts with a letter or _" if name else "it is empty"


def _key_shown(key: str) -> str:
    """A table key for a message on one line (a quoted TOML key may hold anything)."""
    return key if key.isprintable() else repr(key)[1:-1]


def _tool(name: str, spec, key: str, where, base: Optional[Catalogue]) -> Builtin:
    """One ``[tools.NAME]`` table as a catalogue entry (``base``: the builtins it may not
    shadow; None for a plugin member, which lives in its plugin's namespace)."""
    at = where(key)
    if not re.fullmatch(_NAME, name) or name in _RESERVED:
        raise ConfigError(f"{at}: [{_key_shown(key)}]: {name!r} is not a name a workflow can "
                          f"call ({_why_not_a_name(name)})")
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
            raise ConfigError(f"{at}: [{key}] unknown key {k!r} (known: "
                              f"{', '.join(TOOL_KEYS)})")
        accepts, what, runtime = rule
        if not accepts(v):
            raise ConfigError(f"{at}: [{key}] '{k}' must be {what}")
        problem = _params_order(v) if k == "params" else None
        if problem:
            raise ConfigError(f"{at}: [{key}] 'params': {problem}")
        if runtime:
            binding.append((k, v))
        else:
            values[k] = v
    return Builtin(name, Signature.parse(values["params"]), values["effect"], values["risk"],
                   tuple(values["capabilities"]), values["summary"], tuple(values["params"]),
                   at, tuple(binding))
