"""The result cache: findings of files already checked, keyed by their content.

One JSON file per configuration under ``<root>/.aether_cache/v1/``: its name hashes the tool
version, the grammar, the builtin catalogue and the options that change results, and it
maps each file's display path to the SHA-256 of its bytes and the stored result. A file
whose bytes are unchanged is not parsed again. Written atomically (temp file +
os.replace); a corrupt or foreign cache file is ignored, never an error.

A file is not even read when its stat (size, mtime, ctime, inode) is the one recorded and
its last change is older than the recorded run by more than the file system's timestamp
resolution (git's "racy" rule): any later write then shows in mtime or ctime. Restoring the
mtime (``touch -d``, ``os.utime``) still changes ctime, which no user can set.

Saving never writes through a symbolic link (docs/security.md): if the cache folder, its
``v1`` folder, the cache file, ``CACHEDIR.TAG`` or ``.gitignore`` is a link, or a
configured folder lies outside the project, the cache is not saved (a one-line warning).
``CACHEDIR.TAG`` and ``.gitignore`` are only ever created, never overwritten, and only in a
folder aether made itself or the default ``.aether_cache`` (so ``--cache-dir .`` never
adds a ``.gitignore`` of ``*`` to a project).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional

from . import __version__
from .diagnostics import FileResult, Finding

__all__ = ["ResultCache", "cache_key", "content_digest", "DEFAULT_DIR"]

_FORMAT = 2  # 2: entries hold the full stat key and the time it was recorded

# A change within this long before a file was read might not show in its timestamps (FAT
# has 2 s mtime resolution; most others 1 s or finer): such a file is always hashed.
RACY_MARGIN_NS = 2_000_000_000


def stat_key(st: os.stat_result) -> list[int]:
    """What must be unchanged for a file to be trusted without reading it."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


DEFAULT_DIR = ".aether_cache"
_TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
        b"# This file is a cache directory tag created by aether.\n")
_GITIGNORE = b"# Automatically created by aether.\n*\n"


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


def _shallow(entry: list) -> bool:
    """Whether a cache entry nests no deeper than this version writes one: its parts are
    scalars or lists, and a list holds scalars or objects (findings) of scalars."""
    for part in entry:
        kind = type(part)
        if kind is list:
            for item in part:
                kind = type(item)
                if kind is dict:
                    for value in item.values():
                        if type(value) in _NESTED:
                            return False
                elif kind is list:
                    return False
        elif kind is dict:
            return False
    return True


_NESTED = (dict, list)


class ResultCache:
    """Load once, look up and store while checking, save once at the end."""

    def __init__(self, directory: str, key: str, confine: Optional[str] = None):
        """``confine``: a folder the cache folder must resolve into (the project root, for
        a cache folder chosen by the default or a repository's configuration)."""
        self.directory = directory
        self.confine = confine
        self.path = os.path.join(directory, "v1", key + ".json")
        self.entries: dict[str, list] = {}
        self.dirty = False
        # Taken before any file of this run is read, so it is never later than the read
        # that a digest recorded now stands for.
        self.opened_ns = time.time_ns()
        self._load()

    def _load(self) -> None:
        from .jsondoc import read_json

        try:
            # the nesting is checked here, per entry (_shallow), not by a walk over every
            # value of the 10,000 entries of a large project (a twentieth of a warm run)
            data = read_json(self.path, "cache", depth_checked=True)
        except ValueError:  # missing, unreadable, not JSON, too deep: start afresh
            return
        if isinstance(data, dict) and data.get("format") == _FORMAT:
            entries = data.get("entries")
            if isinstance(entries, dict):
                # lookups index into each entry: keep only lists nested no deeper than
                # this version writes them (the rest of an entry is checked as it is
                # used, by _result); the kept entries are written back by save()
                self.entries = {k: v for k, v in entries.items()
                                if type(v) is list and _shallow(v)}

    def get(self, display: str, digest: str,
            st: Optional[os.stat_result] = None) -> Optional[FileResult]:
        """The stored result for these exact bytes (``digest``), or None.

        With ``st`` (the file's stat, taken before it was read) a hit also refreshes the
        recorded stat, so that a file hashed once because it was new is trusted by
        :meth:`get_by_stat` again on later runs.
        """
        entry = self.entries.get(display)
        if not entry or entry[0] != digest:
            return None
        result = self._result(display, entry)
        if result is not None and st is not None:
            fresh = self._stat_record(st)
            if entry[3:] != fresh:
                entry[3:] = fresh
                self.dirty = True
        return result

    def get_by_stat(self, display: str, st: os.stat_result) -> Optional[FileResult]:
        """The stored result when the file can be trusted unread, else None (the caller
        then reads and hashes it and asks :meth:`get`).

        Trusted only when size, mtime, ctime and inode are those recorded with the digest
        and both times are older than the recording by more than RACY_MARGIN_NS: a write
        in the same timestamp tick as the read, or an mtime put back after an edit of the
        same size, would otherwise pass as unchanged.
        """
        entry = self.entries.get(display)
        if not entry or len(entry) != 5 or entry[3] != stat_key(st):
            return None
        recorded = entry[4]
        if not isinstance(recorded, int) or \
                max(st.st_mtime_ns, st.st_ctime_ns) >= recorded - RACY_MARGIN_NS:
            return None
        return self._result(display, entry)

    def _stat_record(self, st: os.stat_result) -> list:
        return [stat_key(st), self.opened_ns]

    @staticmethod
    def _result(display: str, entry: list) -> Optional[FileResult]:
        """The stored result, or None when the entry is not one this version wrote (a
        corrupt or foreign cache is a miss, never an error)."""
        if type(entry) is not list or len(entry) < 3 or type(entry[1]) is not list \
                or type(entry[2]) is not list:
            return None
        if not entry[1] and not entry[2]:  # a clean file: most of a warm re-check
            return FileResult(display, [], [], cached=True)
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
            entry += self._stat_record(st)
        self.entries[result.path] = entry
        self.dirty = True

    def save(self) -> Optional[str]:
        """Write the cache if anything changed. A failure does not stop the run (it is only
        a cache): its reason is returned, for a warning, and None on success."""
        if not self.dirty:
            return None
        from .fileio import WriteError, make_dir, write_output

        try:
            self._make_cache_dir()
            make_dir(os.path.dirname(self.path))  # v1: refused if it is a link
            data = json.dumps({"format": _FORMAT, "version": __version__,
                               "entries": self.entries}, separators=(",", ":"))
            write_output(self.path, data.encode("utf-8"))  # refused if it is a link
        except WriteError as exc:
            return str(exc)
        except OSError as exc:
            return f"{exc.filename or self.directory}: {exc.strerror or exc}"
        self.dirty = False
        return None

    def _make_cache_dir(self) -> None:
        """Create the cache folder (and its parents) unless it is there; mark it as a cache
        when it is aether's own. Raises WriteError when a link is met or the folder lies
        outside ``confine``."""
        from .fileio import WriteError, create_new, make_dir

        folder = os.path.abspath(self.directory)
        if os.path.islink(folder):
            raise WriteError(self.directory, "is a symbolic link; aether does not write "
                             "through it")
        if self.confine is not None:
            # realpath resolves every link already on the way (a committed `build -> /x`)
            real, home = os.path.realpath(folder), os.path.realpath(self.confine)
            if os.path.commonpath([real, home]) != home:
                raise WriteError(self.directory, f"the cache folder resolves to {real}, "
                                 "outside the project")
        parent = os.path.dirname(folder)
        if not os.path.isdir(parent):
            os.makedirs(parent, exist_ok=True)
        created = make_dir(folder)
        marks = {"CACHEDIR.TAG": _TAG, ".gitignore": _GITIGNORE}
        for name in marks:
            if os.path.islink(os.path.join(folder, name)):
                raise WriteError(os.path.join(self.directory, name),
                                 "is a symbolic link; the cache folder is not aether's")
        if created or os.path.basename(folder) == DEFAULT_DIR:
            for name, data in marks.items():
                create_new(os.path.join(folder, name), data)  # never overwrites
