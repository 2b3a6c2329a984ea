"""Project configuration: ``[tool.aether]`` in pyproject.toml or an ``aether.toml``.

Found by walking up from the checked path; the nearest file wins (an ``aether.toml`` beats
a ``pyproject.toml`` in the same folder, and a pyproject.toml without ``[tool.aether]`` is
skipped). Keys may be written with ``-`` or ``_``. Unknown keys produce warnings, wrong
types a :class:`ConfigError`. Command-line flags override what is read here.
"""

from __future__ import annotations

import os
import sys

from .record import SET, FrozenRecord

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = ["Config", "ConfigError", "load_config", "find_config_file", "KNOWN_KEYS",
           "INT_RANGES", "MAX_JOBS", "MAX_FILE_SIZE_LIMIT", "read_toml", "toml_reader"]


def toml_reader():
    """The TOML reader module (tomllib, or tomli before Python 3.11), imported only when a
    TOML file is read (start-up time)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


class ConfigError(Exception):
    """A configuration file that cannot be used (unreadable, bad TOML, wrong types)."""


KNOWN_KEYS = {
    "select": list, "ignore": list, "exclude": list, "extend-exclude": list,
    "jobs": int, "cache": bool, "cache-dir": str, "max-file-size": int,
    "catalogue": list,  # project tool catalogue files besides aether-tools.toml
    # signatures (docs/signing.md): trust files relative to the root, strict mode
    "allowed-signers": str, "revoked-keys": str, "strict-signatures": bool,
    # go/no-go gates (docs/fleet.md): settings of built-in gates, declared gates, profiles;
    # read and checked by aether.fleet.gates
    "gates": dict,
    # governance (docs/governance.md): the policy file of `aether run`, relative to the root
    "policy": str,
    # the state store (docs/runtime.md#state): a SQLite file or a postgresql:// URL
    "state": str,
}

# The accepted range of each whole-number setting, in the configuration and on the command
# line alike (docs/configuration.md): beyond these a value is a mistake, and would fail
# deep inside the run (a read of 2**63 bytes, a pool of a million processes).
MAX_JOBS = 1024
MAX_FILE_SIZE_LIMIT = 2 ** 40  # 1 TiB
INT_RANGES = {"jobs": (1, MAX_JOBS), "max-file-size": (1, MAX_FILE_SIZE_LIMIT)}


class Config(FrozenRecord):
    """Settings after reading a file (``path`` None when no file was found)."""

    __slots__ = _fields = ("path", "root", "select", "ignore", "exclude", "jobs", "cache",
                           "cache_dir", "max_file_size", "catalogue", "allowed_signers",
                           "revoked_keys", "strict_signatures", "gates", "policy",
                           "state", "warnings")
    path: Optional[str]
    root: str
    select: Optional[tuple[str, ...]]
    ignore: tuple[str, ...]
    exclude: tuple[str, ...]
    jobs: Optional[int]
    cache: bool
    cache_dir: Optional[str]
    max_file_size: Optional[int]
    catalogue: tuple[str, ...]  # absolute paths (relative ones are read from root)
    allowed_signers: Optional[str]  # as written; relative to root
    revoked_keys: Optional[str]
    strict_signatures: bool
    gates: Optional[dict]  # the raw [gates] table (not part of the hash)
    policy: Optional[str]  # absolute path of the governance policy file
    state: Optional[str]  # a postgresql:// URL, or a SQLite path (absolute)
    warnings: tuple[str, ...]

    def __init__(self, path=None, root=".", select=None, ignore=(), exclude=(), jobs=None,
                 cache=True, cache_dir=None, max_file_size=None, catalogue=(),
                 allowed_signers=None, revoked_keys=None, strict_signatures=False,
                 gates=None, policy=None, state=None, warnings=()):
        SET(self, "path", path)
        SET(self, "root", root)
        SET(self, "select", select)
        SET(self, "ignore", ignore)
        SET(self, "exclude", exclude)
        SET(self, "jobs", jobs)
        SET(self, "cache", cache)
        SET(self, "cache_dir", cache_dir)
        SET(self, "max_file_size", max_file_size)
        SET(self, "catalogue", catalogue)
        SET(self, "allowed_signers", allowed_signers)
        SET(self, "revoked_keys", revoked_keys)
        SET(self, "strict_signatures", strict_signatures)
        SET(self, "gates", gates)
        SET(self, "policy", policy)
        SET(self, "state", state)
        SET(self, "warnings", warnings)

    def __hash__(self) -> int:
        return hash(tuple(v for f, v in zip(self._fields, self._values()) if f != "gates"))


def find_config_file(start: str) -> Optional[tuple[str, bool]]:
    """``(path, is_pyproject)`` of the nearest config file at or above ``start``."""
    current = os.path.abspath(start)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    while True:
        candidate = os.path.join(current, "aether.toml")
        if os.path.isfile(candidate):
            return candidate, False
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate) and _has_tool_aether(candidate):
            return candidate, True
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _has_tool_aether(path: str) -> bool:
    from .readfile import DocumentReadError, read_document

    try:
        return b"[tool.aether" in read_document(path)
    except DocumentReadError:
        return False


def read_toml(path: str, pipe_ok: bool = False) -> dict:
    """The table of the TOML file ``path`` (a FIFO only with ``pipe_ok``). Raises
    ConfigError, one line naming the file, when it cannot be read or is not TOML."""
    from .readfile import DocumentReadError, read_document

    tomllib = toml_reader()
    try:
        return tomllib.loads(read_document(path, pipe_ok=pipe_ok).decode("utf-8"))
    except DocumentReadError as exc:
        raise ConfigError(f"cannot read {path}: it {exc}") from None
    except ValueError as exc:  # TOMLDecodeError, UnicodeDecodeError, and an integer of
        # more digits than int() converts (ValueError from inside tomllib)
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:  # the reader recurses once per nested array or inline table
        raise ConfigError(f"{path} is not usable TOML: it is nested too deeply") from None


def _coerce(key: str, value: Any, where: str) -> Any:
    expected = KNOWN_KEYS[key]
    if expected is list:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    if expected is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be true or false")
    if expected is int:
        low, high = INT_RANGES[key]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(f"{where}: '{key}' must be a whole number from {low} to "
                              f"{high}, found {_toml_value(value)}")
    if expected is dict and not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a table ([tool.aether.{key}])")
    if expected is str and not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a string")
    return value


def _explicit_kind(path: str) -> str:
    """``file``, ``pipe`` (a FIFO, as from ``--config <(...)``) or ``null`` (the null
    device) for a ``--config`` path. Raises ConfigError saying what anything else is."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return "file"  # an empty file is an empty configuration
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISCHR(mode) and os.path.exists(os.devnull) and os.path.samefile(path,
                                                                              os.devnull):
        return "null"
    what = ("a directory" if stat.S_ISDIR(mode) else "a character device"
            if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise ConfigError(f"config file {path} is {what}, not a TOML file")


def _toml_value(value: Any) -> str:
    """A value as TOML writes it (``true``, ``"x"``, ``[1]``), shortened, for messages."""
    import json

    shown = json.dumps(value, default=str, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _toml_type(value: Any) -> str:
    """A TOML value's kind and the value, for messages ("a string \"x\"")."""
    kinds = {str: "a string", bool: "a boolean", int: "an integer", float: "a float",
             list: "an array"}
    return f"{kinds.get(type(value), type(value).__name__)} {_toml_value(value)}"


def _state_inside(where: str, root: str, state: str) -> str:
    """The configuration's ``state`` file as a path under ``root``.

    Raises ConfigError when it resolves (links on the way included) outside the project
    or into its ``.git`` folder:
    a repository's configuration must not make ``aether run`` write its database
    anywhere else on the machine; ``--state``, given by whoever runs aether, may."""
    from .fileio import OUTSIDE, place_in_project  # here: only a configured state needs it

    path = os.path.join(root, state)  # an absolute ``state`` stays itself
    real, home = os.path.realpath(path), os.path.realpath(root)
    place = place_in_project(home, real)
    if place == OUTSIDE:
        raise ConfigError(f"{where}: 'state' resolves to {real}, outside the project "
                          f"({home}); give --state to keep the state database elsewhere")
    if place is not None:
        # git's own folder, as for a link rewritten (fileio): what git runs or reads next
        raise ConfigError(f"{where}: 'state' resolves to {real}, inside the project's .git "
                          "folder; give --state to keep the state database there")
    return path


def _is_url(state: str) -> bool:
    """Whether ``state`` is a database URL (``postgresql://``), not a SQLite path: only
    the schemes the store opens as URLs count, since any other text with ``://``
    (``a://../../x.db``) is opened as a file path and so must be checked as one."""
    if "://" not in state:
        return False
    from .store.postgres import is_postgres_url

    return is_postgres_url(state)


def load_config(start: str = ".", explicit: Optional[str] = None,
                isolated: bool = False) -> Config:
    """Read the configuration for a run over ``start`` (or the file ``explicit``).

    Raises ConfigError for a file that exists but cannot be used.
    """
    if isolated:
        return Config(root=os.getcwd())
    root: Optional[str] = None
    if explicit is not None:
        kind = _explicit_kind(explicit)
        if kind == "null":  # --config /dev/null: an empty configuration, as on git's CLI
            return Config(root=os.getcwd())
        found: Optional[tuple[str, bool]] = (explicit, explicit.endswith("pyproject.toml"))
        if kind == "pipe":  # --config <(...): no folder of its own to be the root
            root = os.getcwd()
    else:
        found = find_config_file(start)
    if found is None:
        return Config(root=os.getcwd())
    path, is_pyproject = found
    data = read_toml(path, pipe_ok=explicit is not None)
    if is_pyproject:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: 'tool' must be a table ([tool.aether]), found "
                              f"{_toml_type(tool)}")
        table = tool.get("aether", {})
        name = "[tool.aether]"
    else:
        table = data.get("aether", data)
        name = "[aether]"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table, found {_toml_type(table)}")
    where = f"{path} [tool.aether]" if is_pyproject else path
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in KNOWN_KEYS:
            # a quoted TOML key may hold anything: shown escaped, on one line
            shown = raw_key if raw_key.isprintable() else repr(raw_key)[1:-1]
            warnings.append(f"{where}: unknown key '{shown}' (known: "
                            f"{', '.join(sorted(KNOWN_KEYS))})")
            continue
        values[key] = _coerce(key, value, where)
    if "select" in values and not any(s.strip() for s in values["select"]):
        # ruff reads `select = []` as "no rule"; a checker switched off in silence in CI
        # is worse than an error (leave `select` out to check every rule).
        raise ConfigError(f"{where}: 'select' is empty, which would check nothing "
                          "(remove it to check every rule)")
    if any(not c.strip() for c in values.get("catalogue", ())):
        raise ConfigError(f"{where}: 'catalogue' holds an empty file name (each entry names "
                          "a tool catalogue file, relative to this file)")
    for key in ("state", "policy", "cache-dir"):
        # no file name holds a NUL: os.path.realpath and open() raise ValueError on one
        # (`state = "a\\u0000"` was an internal error, 27)
        if "\0" in (values.get(key) or ""):
            raise ConfigError(f"{where}: '{key}' is not a file name (it holds a NUL "
                              "character)")
    root = root or os.path.dirname(os.path.abspath(path))
    cache_dir = values.get("cache-dir")
    if cache_dir is not None and not os.path.isabs(cache_dir):
        cache_dir = os.path.join(root, cache_dir)
    state = values.get("state")
    if state is not None and not _is_url(state):
        state = _state_inside(where, root, state)
    return Config(
        path=path, root=root,
        select=values.get("select"),
        ignore=values.get("ignore", ()),
        exclude=values.get("exclude", ()) + values.get("extend-exclude", ()),
        jobs=values.get("jobs"),
        cache=values.get("cache", True),
        cache_dir=cache_dir,
        max_file_size=values.get("max-file-size"),
        catalogue=tuple(os.path.join(root, p) for p in values.get("catalogue", ())),
        allowed_signers=values.get("allowed-signers"),
        revoked_keys=values.get("revoked-keys"),
        strict_signatures=values.get("strict-signatures", False),
        gates=values.get("gates"),
        policy=(os.path.join(root, values["policy"]) if values.get("policy") else None),
        state=state,
        warnings=tuple(warnings),
    )
