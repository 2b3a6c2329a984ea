"""Parse baselines: a deterministic JSON snapshot of every finding in a tree, and reading one back.

The document keeps the reference schema (``timestamp``, ``total``, ``by_code``,
``failure_rate``, ``files`` with ``path``/``code_name``/``line``/``message`` per file) and
adds, per file, every active finding (rule, position, both fingerprints) and the suppressed
ones, plus ``suppressed_failures`` and a ``_meta`` block (tool version, grammar hash,
fingerprint scheme). Two runs over unchanged files differ only in ``timestamp``.

Counting: ``by_code`` counts files by their status over *active* findings (SUCCESS
included). A file whose every failing finding is matched by the suppression list is not in
``by_code``; it is counted in ``suppressed_failures`` and shown with the category
``Suppressed-<Category>`` (so ``sum(by_code) + suppressed_failures == total``).
Inline ``# aether: ignore`` suppressions are part of checking: such findings are listed
under ``suppressed`` (``"by": "inline"``) and do not make a file fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable, Optional, Sequence

from . import __version__
from .codes import Status, category_of
from .diagnostics import FileResult, Finding, status_of
from .jsondoc import MAX_DEPTH, DocumentError, check_depth, parse_json, read_json, type_name
from .suppressions import SuppressionList, split_findings, suppressed_category

__all__ = ["SCHEMA", "FINGERPRINT_SCHEME", "Baseline", "BaselineError", "build_baseline",
           "dumps", "load_baseline", "parse_baseline", "run_checks", "run_checks_on_data",
           "check_paths", "utc_now"]

SCHEMA = 1
# Names the formula of Finding.fingerprint (aether/fingerprint.py); baselines whose scheme
# differs cannot be compared finding by finding.
FINGERPRINT_SCHEME = "aether/v1"


class BaselineError(Exception):
    """A baseline file that cannot be used: missing, empty, not JSON or the wrong shape."""


def utc_now() -> str:
    """The current time as timezone-aware ISO-8601 in UTC."""
    return datetime.now(timezone.utc).isoformat()


def _finding(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "code_name": f.code_name, "line": f.line, "column": f.column,
            "message": f.message, "fingerprint": f.fingerprint,
            "legacy_fingerprint": f.legacy_fingerprint}


def _suppressed(f: Finding, by: str, entry: Optional[str] = None) -> dict[str, Any]:
    out = _finding(f)
    out["category"] = suppressed_category(f.code_name)
    out["by"] = by
    if entry is not None:
        out["entry"] = entry
    return out


def _file_entry(result: FileResult, suppressions: Optional[SuppressionList],
                today: date) -> tuple[dict[str, Any], Status, bool, int]:
    """(entry, active status, whether only list suppressions keep it from failing, n listed)."""
    active, pairs = split_findings(result.findings, suppressions, today)
    listed = [(f, entry.fingerprint) for f, entry in pairs]
    status = status_of(active)
    shown = FileResult(result.path, active).primary
    category: Optional[str] = None
    suppressed_only = False
    if status is not Status.SUCCESS:
        category = category_of(status)
    elif listed:
        suppressed_only = True
        hidden = FileResult(result.path, [f for f, _ in listed])
        shown = hidden.primary
        category = suppressed_category(hidden.status.name)
    code_name = (shown.code_name if shown is not None else Status.SUCCESS.name)
    suppressed = [_suppressed(f, "inline") for f in result.suppressed]
    suppressed += [_suppressed(f, "list", fp) for f, fp in listed]
    suppressed.sort(key=lambda d: (d["line"] or 0, d["column"] or 0, d["rule"], d["message"]))
    entry = {
        "path": result.path,
        "code_name": code_name,
        "line": shown.line if shown is not None else None,
        "message": shown.message if shown is not None else "",
        "category": category,
        "findings": [_finding(f) for f in active],
        "suppressed": suppressed,
    }
    return entry, status, suppressed_only, len(listed)


def build_baseline(results: Iterable[FileResult], *,
                   suppressions: Optional[SuppressionList] = None,
                   today: Optional[date] = None, timestamp: Optional[str] = None,
                   meta: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The baseline document for check results (files sorted by path).

    ``suppressions`` entries valid on ``today`` (default: the UTC date) move matching
    findings to ``suppressed``. ``meta`` adds keys to ``_meta`` (e.g. the git revision).
    """
    from .syntax import grammar_hash

    today = today or datetime.now(timezone.utc).date()
    files: list[dict[str, Any]] = []
    by_code: dict[Status, int] = {}
    suppressed_failures = 0
    listed_total = 0
    inline_total = 0
    for result in sorted(results, key=lambda r: r.path):
        entry, status, suppressed_only, n_listed = _file_entry(result, suppressions, today)
        files.append(entry)
        listed_total += n_listed
        inline_total += len(result.suppressed)
        if suppressed_only:
            suppressed_failures += 1
        else:
            by_code[status] = by_code.get(status, 0) + 1
    total = len(files)
    failed = total - by_code.get(Status.SUCCESS, 0) - suppressed_failures
    meta_block: dict[str, Any] = {
        "tool": "aether", "version": __version__, "schema": SCHEMA,
        "grammar_hash": grammar_hash(), "fingerprint": FINGERPRINT_SCHEME,
        "suppression_files": list(suppressions.files) if suppressions else [],
    }
    meta_block.update(meta or {})
    return {
        "timestamp": timestamp or utc_now(),
        "total": total,
        "by_code": {s.name: by_code[s] for s in sorted(by_code)},
        "failure_rate": round(failed / total, 4) if total else 0.0,
        "suppressed_failures": suppressed_failures,
        "suppressed_findings": {"list": listed_total, "inline": inline_total},
        "findings_total": sum(len(f["findings"]) for f in files),
        "_meta": meta_block,
        "files": files,
    }


def dumps(doc: dict[str, Any]) -> str:
    """The baseline as JSON text: one line per top-level key and per file entry.

    Stable key order; a diff of two baselines shows the files that changed (and the
    timestamp). Never writes NaN or Infinity (not JSON): ValueError instead. Laid out by hand because ``indent`` would bypass the C encoder, several
    times slower on large trees.
    """
    parts = []
    for key, value in doc.items():
        if key == "files" and value:
            text = "[\n" + ",\n".join(json.dumps(f, ensure_ascii=False, allow_nan=False)
                                      for f in value) + "\n]"
        else:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


# --------------------------------------------------------------------------- reading back

@dataclass
class Baseline:
    """A baseline read from disk.

    ``fingerprinted`` is True when every file entry carries its findings with fingerprints
    of this tool's scheme; a reference-style baseline (counts and one finding per file) is
    False and can only be compared by counts.
    """

    path: str
    data: dict[str, Any]
    fingerprinted: bool
    scheme: Optional[str]

    @property
    def by_code(self) -> dict[str, int]:
        return self.data["by_code"]

    @property
    def files(self) -> list[dict[str, Any]]:
        return self.data.get("files") or []


def _where(path: str) -> str:
    return f"baseline {path}"


_STR = (str,)
_OPT_STR = (str, type(None))
_OPT_INT = (int, type(None))  # type() is exact: a boolean is not a line number
# The fields of a listed finding that aether reads, and their JSON types. Other fields
# (category, entry, ...) are kept as they are; only their nesting is limited.
_FINDING_FIELDS = {"fingerprint": _STR, "code_name": _STR, "legacy_fingerprint": _STR,
                   "rule": _OPT_STR, "message": _OPT_STR, "line": _OPT_INT,
                   "column": _OPT_INT, "by": _OPT_STR}
_FILE_FIELDS = {"path": _STR, "code_name": _OPT_STR, "line": _OPT_INT, "message": _OPT_STR,
                "category": _OPT_STR}
_JSON_NAMES = {str: "a string", int: "a whole number", type(None): "null"}


def _wanted(types: tuple) -> str:
    return " or ".join(_JSON_NAMES[t] for t in types)


def _check_fields(obj: dict, fields: dict, where: str, label: str, depth: int,
                  skip: tuple = ()) -> None:
    """Types of ``obj``'s known ``fields``; nesting of the others (``obj`` at ``depth``),
    except those in ``skip`` (checked by the caller)."""
    for key, value in obj.items():
        if key in skip:
            continue
        want = fields.get(key)
        if want is not None:
            if type(value) not in want:
                raise BaselineError(f"{where}: {label}.{key} must be {_wanted(want)}, found "
                                    f"{type_name(value)} {_short(value)}")
        elif type(value) is dict or type(value) is list:
            check_depth(value, f"{where}: {label}.{key}", MAX_DEPTH - depth)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)[:40] if type(value) not in (dict, list) else ""
    return f"({text})" if text else ""


def parse_baseline(text: str, path: str = "<baseline>") -> Baseline:
    """Validate and wrap a baseline document's text.

    Every field aether reads is checked for its type, and no part may nest more than
    :data:`aether.jsondoc.MAX_DEPTH` levels. Raises BaselineError with a message naming
    the file, the field and what is wrong with it.
    """
    where = _where(path)
    if not text.strip():
        raise BaselineError(f"{where} is empty")
    try:
        data = parse_json(text, where, depth_checked=True)
    except DocumentError as exc:
        raise BaselineError(str(exc)) from None
    return _validate(data, path)


def _validate(data: Any, path: str) -> Baseline:
    try:
        return _validate_data(data, path)
    except DocumentError as exc:  # too deep, from check_depth
        raise BaselineError(str(exc)) from None


def _validate_data(data: Any, path: str) -> Baseline:
    where = _where(path)
    if not isinstance(data, dict):
        raise BaselineError(f"{where} is not a baseline: expected a JSON object, "
                            f"found {type_name(data)}")
    by_code = data.get("by_code")
    if not isinstance(by_code, dict):
        raise BaselineError(f"{where} is not a baseline: no 'by_code' object (was it "
                            "written by `aether baseline`?)")
    for key, value in by_code.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BaselineError(f"{where}: by_code[{key!r}] must be a count, found {value!r}")
    if "_meta" in data and not isinstance(data["_meta"], dict):
        raise BaselineError(f"{where}: '_meta' must be an object, found "
                            f"{type_name(data['_meta'])}")
    meta = data.get("_meta") or {}
    schema = meta.get("schema")
    if isinstance(schema, int) and schema > SCHEMA:
        raise BaselineError(f"{where} uses baseline schema {schema}; this aether "
                            f"({__version__}) reads up to {SCHEMA}: upgrade aether")
    files = data.get("files", [])
    if not isinstance(files, list):
        raise BaselineError(f"{where}: 'files' must be a list, found {type_name(files)}")
    for key, value in data.items():
        if key != "files" and (type(value) is dict or type(value) is list):
            check_depth(value, f"{where}: {key}", MAX_DEPTH - 1)
    scheme = meta.get("fingerprint") if isinstance(meta.get("fingerprint"), str) else None
    fingerprinted = scheme is not None
    finding_fields = _FINDING_FIELDS.get
    lists = ("findings", "suppressed") if fingerprinted else ()
    for i, entry in enumerate(files):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise BaselineError(f"{where}: files[{i}] must be an object with a 'path'")
        _check_fields(entry, _FILE_FIELDS, where, f"files[{i}]", 2, skip=lists)
        for key in lists:
            items = entry.get(key, [])
            if not isinstance(items, list):
                raise BaselineError(f"{where}: files[{i}].{key} must be a list")
            for j, f in enumerate(items):
                if not (type(f) is dict and type(f.get("fingerprint")) is str
                        and type(f.get("code_name")) is str):
                    raise BaselineError(f"{where}: files[{i}].{key}[{j}] needs string "
                                        "'fingerprint' and 'code_name'")
                # inline, not _check_fields: this loop runs once per finding (100,000s)
                for name, value in f.items():
                    want = finding_fields(name)
                    if want is None:
                        if type(value) is dict or type(value) is list:
                            _check_fields({name: value}, {}, where,
                                          f"files[{i}].{key}[{j}]", 4)
                    elif type(value) not in want:
                        _check_fields(f, _FINDING_FIELDS, where, f"files[{i}].{key}[{j}]", 4)
        if fingerprinted and "findings" not in entry:
            raise BaselineError(f"{where}: files[{i}] has no 'findings' although _meta "
                                "names a fingerprint scheme")
    return Baseline(path, data, fingerprinted, scheme)


def load_baseline(path: str) -> Baseline:
    """Read and validate the baseline file at ``path``.

    Raises BaselineError when it is missing, unreadable, empty, not JSON or the wrong shape.
    """
    try:
        data = read_json(path, _where(path), depth_checked=True)
    except DocumentError as exc:
        raise BaselineError(str(exc)) from None
    return _validate(data, path)


# --------------------------------------------------------------------------- producing results

def run_checks(files, options, config, jobs: Optional[int] = None, use_cache: bool = True,
               cache_dir: Optional[str] = None) -> list[FileResult]:
    """Check ``files`` (SourceFile list) with the result cache and worker pool `check` uses."""
    from .runner import check_files, open_cache, resolve_jobs

    cache = open_cache(options, config, use_cache, cache_dir, len(files))
    results = check_files(files, options, resolve_jobs(jobs, config.jobs, len(files))[0], cache)
    if cache is not None:
        cache.save()
    return results


def run_checks_on_data(items: Sequence[tuple[str, bytes]], options, config,
                       jobs: Optional[int] = None, use_cache: bool = True,
                       cache_dir: Optional[str] = None) -> list[FileResult]:
    """Like :func:`run_checks` for contents already in memory: ``(display path, bytes)``.

    Used for files read from git (``--git-ref``), so nothing touches the disk.
    """
    from .runner import check_blobs, open_cache, resolve_jobs

    cache = open_cache(options, config, use_cache, cache_dir, len(items))
    results = check_blobs(items, options, resolve_jobs(jobs, config.jobs, len(items))[0], cache)
    if cache is not None:
        cache.save()
    return results


def check_paths(paths: Sequence[str], options, config, exclude: Sequence[str] = (),
                jobs: Optional[int] = None, use_cache: bool = True,
                cache_dir: Optional[str] = None) -> list[FileResult]:
    """Walk ``paths`` as `aether check` does and check every file found, except those a
    git revision could not hold (ignored, or inside a submodule: see
    :func:`aether.gitsource.as_git_sees`), so that a baseline of the working tree and one
    of ``--git-ref`` select the same files."""
    from .gitsource import as_git_sees
    from .walk import iter_files

    files = as_git_sees(
        list(iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root)), paths)
    return run_checks(files, options, config, jobs, use_cache, cache_dir)
