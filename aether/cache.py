"""The result cache: findings of files already checked, keyed by their content.

One JSON file per configuration under ``<root>/.aether_cache/v1/``: its name hashes the tool
version, the grammar, the builtin catalogue and the options that change results, and it
maps each file's display path to the SHA-256 of its bytes and the stored result. A file
whose bytes are unchanged is not parsed again. Written atomically (temp file +
os.replace); a corrupt or foreign cache file is ignored, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Optional

from . import __version__
from .diagnostics import FileResult, Finding

__all__ = ["ResultCache", "cache_key", "content_digest"]

_FORMAT = 1


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _code_stamp() -> str:
    """Size and mtime of every module of the package: an edited checker (a development
    install) never reuses results of the code before the edit, even at the same version."""
    package = os.path.dirname(os.path.abspath(__file__))
    stamp = []
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                stamp.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(stamp)


def cache_key(*parts: str) -> str:
    """The cache file's name for this tool build and these result-affecting options."""
    from .semantics.catalogue import load_catalogue
    from .syntax import grammar_hash

    raw = "\0".join((__version__, _code_stamp(), grammar_hash(), load_catalogue().digest,
                     str(_FORMAT)) + parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


_OPT_INT = (int, type(None))
_OPT_STR = (str, type(None))


def _valid(f: Finding) -> bool:
    """Whether a finding read back from the cache has the types the checker gives it."""
    from .codes import RULES

    return type(f.rule) is str and f.rule in RULES and type(f.message) is str \
        and type(f.line) in _OPT_INT and type(f.column) in _OPT_INT \
        and type(f.end_line) in _OPT_INT and type(f.end_column) in _OPT_INT \
        and type(f.hint) in _OPT_STR and type(f.anchor) is str and type(f.content) is str \
        and type(f.fingerprint) is str and type(f.legacy_fingerprint) is str


class ResultCache:
    """Load once, look up and store while checking, save once at the end."""

    def __init__(self, directory: str, key: str):
        self.directory = directory
        self.path = os.path.join(directory, "v1", key + ".json")
        self.entries: dict[str, list] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        from .jsondoc import read_json

        try:
            data = read_json(self.path, "cache")
        except ValueError:  # missing, unreadable, not JSON, too deep: start afresh
            return
        if isinstance(data, dict) and data.get("format") == _FORMAT:
            entries = data.get("entries")
            if isinstance(entries, dict):
                # lookups index into each entry: keep only lists (the rest is checked as
                # an entry is used, by _result)
                self.entries = {k: v for k, v in entries.items() if type(v) is list}

    def get(self, display: str, digest: str) -> Optional[FileResult]:
        """The stored result for these exact bytes (``digest``), or None."""
        entry = self.entries.get(display)
        if not entry or entry[0] != digest:
            return None
        return self._result(display, entry)

    def get_by_stat(self, display: str, st: os.stat_result) -> Optional[FileResult]:
        """The stored result when the file's size and mtime (ns) are those recorded with
        its digest: the bytes are then the same without reading them, as git's index
        assumes. Any change of either sends the caller back to :meth:`get`."""
        entry = self.entries.get(display)
        if not entry or len(entry) < 5 or entry[3] != st.st_mtime_ns or entry[4] != st.st_size:
            return None
        return self._result(display, entry)

    @staticmethod
    def _result(display: str, entry: list) -> Optional[FileResult]:
        """The stored result, or None when the entry is not one this version wrote (a
        corrupt or foreign cache is a miss, never an error)."""
        if type(entry) is not list or len(entry) < 3 or type(entry[1]) is not list \
                or type(entry[2]) is not list:
            return None
        try:
            findings = [Finding.from_dict(f) for f in entry[1]]
            suppressed = [Finding.from_dict(f) for f in entry[2]]
        except (TypeError, KeyError, IndexError):
            return None
        if not all(map(_valid, findings)) or not all(map(_valid, suppressed)):
            return None
        return FileResult(display, findings, suppressed, cached=True)

    def put(self, digest: str, result: FileResult,
            st: Optional[os.stat_result] = None) -> None:
        entry = [digest, [f.to_dict() for f in result.findings],
                 [f.to_dict() for f in result.suppressed]]
        if st is not None:
            entry += [st.st_mtime_ns, st.st_size]
        self.entries[result.path] = entry
        self.dirty = True

    def save(self) -> Optional[str]:
        """Write the cache if anything changed. A failure does not stop the run (it is only
        a cache): its reason is returned, for a warning, and None on success."""
        if not self.dirty:
            return None
        from .fileio import WriteError, write_output

        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._mark_cache_dir()
            data = json.dumps({"format": _FORMAT, "version": __version__,
                               "entries": self.entries}, separators=(",", ":"))
            write_output(self.path, data.encode("utf-8"))
        except WriteError as exc:
            return str(exc)
        except OSError as exc:
            return f"{exc.filename or self.directory}: {exc.strerror or exc}"
        self.dirty = False
        return None

    def _mark_cache_dir(self) -> None:
        tag = os.path.join(self.directory, "CACHEDIR.TAG")
        if not os.path.exists(tag):
            with open(tag, "w", encoding="ascii") as fh:
                fh.write("Signature: 8a477f597d28d172789f06886806bc55\n"
                         "# This file is a cache directory tag created by aether.\n")
            with open(os.path.join(self.directory, ".gitignore"), "w", encoding="ascii") as fh:
                fh.write("# Automatically created by aether.\n*\n")
