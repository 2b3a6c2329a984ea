"""The result cache: findings of files already checked, keyed by their content.

One JSON file per configuration under ``<root>/.aether_cache/v1/``: its name hashes the tool
version, the package's code, the grammar, the builtin catalogue and the options that change
results (the project catalogue among them), and it maps each file's display path to a stamp
(the SHA-256 of its bytes, and its stat when that may be trusted) and, for a file with
findings, the stored result. A file whose bytes are unchanged is not parsed again. Written
atomically (temp file + os.replace); a corrupt or foreign cache file is ignored, never an
error.

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

import json
import os
import time
TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional, Sequence

    from .walk import SourceFile

from . import __version__
from .codes import RULES
from .diagnostics import FileResult, Finding
from .gcpause import gc_paused

__all__ = ["ResultCache", "cache_key", "content_digest", "stat_text", "DEFAULT_DIR"]

# 2: entries hold the full stat key and the time it was recorded; 3: a stamp string per
# file ("digest stat") and results only for files with findings
_FORMAT = 3

# A change within this long before a file was read might not show in its timestamps (FAT
# has 2 s mtime resolution; most others 1 s or finer): such a file is always hashed.
RACY_MARGIN_NS = 2_000_000_000


def stat_text(st: os.stat_result) -> str:
    """What must be unchanged for a file to be trusted without reading it: size, mtime,
    ctime and inode, as one string (compared as a whole; ResultCache.stat_hits writes the
    same f-string out)."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


DEFAULT_DIR = ".aether_cache"
_TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
        b"# This file is a cache directory tag created by aether.\n")
_GITIGNORE = b"# Automatically created by aether.\n*\n"


def content_digest(data: bytes) -> str:
    """SHA-256 (hex) of a file's bytes: what a cache entry stands for."""
    from .digest import sha256  # not hashlib: loading OpenSSL is a few ms of a warm run

    return sha256(data).hexdigest()


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
    from .digest import sha256
    from .resources import grammar_path
    from .semantics.catalogue import load_catalogue

    # the grammar's bytes, read here: aether.syntax.grammar_hash would import the parser,
    # which a warm re-check (no file to parse) never needs
    with open(grammar_path(), "rb") as fh:
        grammar = sha256(fh.read()).hexdigest()
    raw = "\0".join((__version__, _code_stamp(), grammar, load_catalogue().digest,
                     str(_FORMAT)) + parts)
    return sha256(raw.encode("utf-8")).hexdigest()[:20]


_OPT_INT = (int, type(None))
_OPT_STR = (str, type(None))


def _valid(f: Finding) -> bool:
    """Whether a finding read back from the cache has the types the checker gives it."""
    return type(f.rule) is str and f.rule in RULES and type(f.message) is str \
        and type(f.line) in _OPT_INT and type(f.column) in _OPT_INT \
        and type(f.end_line) in _OPT_INT and type(f.end_column) in _OPT_INT \
        and type(f.hint) in _OPT_STR and type(f.anchor) is str and type(f.content) is str \
        and type(f.fingerprint) is str and type(f.legacy_fingerprint) is str


def _shallow(entry) -> bool:
    """Whether a stored result nests no deeper than this version writes one: a list of
    lists (findings, suppressed) of objects whose values are scalars."""
    if type(entry) is not list:
        return False
    for part in entry:
        if type(part) is not list:
            return False
        for item in part:
            if type(item) is not dict:
                return False
            for value in item.values():
                if type(value) in _NESTED:
                    return False
    return True


_NESTED = (dict, list)
_CLEAN = object()  # ResultCache.results has no entry: the file had no findings


class ResultCache:
    """Load once, look up and store while checking, save once at the end.

    In memory (and on disk, as two JSON objects keyed by display path):

    - ``stamps``: ``"<sha256 of the bytes> <stat>"``, where ``<stat>`` is
      :func:`stat_text` of the file when the recorded stat may be trusted without reading
      the file (see :meth:`get_by_stat`), else empty;
    - ``results``: ``[findings, suppressed]`` (as :meth:`Finding.to_dict`), only for files
      with findings: a clean file, most of a project, is its stamp alone.

    A warm re-check of an unchanged file is one ``stat``, one string compare and one dict
    lookup; the document holds one string per clean file, which ``json.loads`` reads
    several times faster than a list of numbers per file.
    """

    def __init__(self, directory: str, key: str, confine: Optional[str] = None):
        """``confine``: a folder the cache folder must resolve into (the project root, for
        a cache folder chosen by the default or a repository's configuration)."""
        self.directory = directory
        self.confine = confine
        self.path = os.path.join(directory, "v1", key + ".json")
        self.stamps: dict[str, str] = {}
        self.results: dict[str, list] = {}
        self.dirty = False
        # Taken before any file of this run is read, so it is never later than the read
        # that a digest recorded now stands for.
        self.opened_ns = time.time_ns()
        self._load()

    @gc_paused  # tens of thousands of acyclic objects: nothing for the collector to find
    def _load(self) -> None:
        from .jsondoc import read_json

        try:
            # nesting is checked per stored result (_shallow), not by a walk over every
            # value of the document; stamps are checked to be strings as they are used
            data = read_json(self.path, "cache", depth_checked=True)
        except ValueError:  # missing, unreadable, not JSON, too deep: start afresh
            return
        if type(data) is not dict or data.get("format") != _FORMAT:
            return
        stamps, results = data.get("stamps"), data.get("results")
        if type(stamps) is dict and type(results) is dict:
            # each value is checked as it is used (_result, stat_hits) and before it is
            # written back (save), not here: a warm re-check uses each once
            self.stamps, self.results = stamps, results

    def get(self, display: str, digest: str,
            st: Optional[os.stat_result] = None) -> Optional[FileResult]:
        """The stored result for these exact bytes (``digest``), or None.

        With ``st`` (the file's stat, taken before it was read) a hit also refreshes the
        recorded stat, so that a file hashed once because it was new is trusted by
        :meth:`get_by_stat` again on later runs.
        """
        stamp = self.stamps.get(display)
        if type(stamp) is not str or stamp.partition(" ")[0] != digest:
            return None
        result = self._result(display)
        if result is not None and st is not None:
            fresh = self._stamp(digest, st)
            if stamp != fresh:
                self.stamps[display] = fresh
                self.dirty = True
        return result

    def get_by_stat(self, display: str, st: os.stat_result) -> Optional[FileResult]:
        """The stored result when the file can be trusted unread, else None (the caller
        then reads and hashes it and asks :meth:`get`).

        Trusted only when size, mtime, ctime and inode are those recorded with the digest
        and both times were older than the recording by more than RACY_MARGIN_NS (decided
        when the stamp was made, see :meth:`_stamp`): a write in the same timestamp tick
        as the read, or an mtime put back after an edit of the same size, would otherwise
        pass as unchanged.
        """
        stamp = self.stamps.get(display)
        if type(stamp) is not str or stamp.partition(" ")[2] != stat_text(st):
            return None
        return self._result(display)

    @gc_paused  # a result per file, all acyclic (the collector was a tenth of this loop)
    def stat_hits(self, files: Sequence[SourceFile]) -> tuple[list, dict[int, os.stat_result]]:
        """:meth:`get_by_stat` for each of ``files``, stat'ed here: their results (None
        where the file must be read) and, by index, the stat of each file that must be read
        (None where ``stat`` failed: reading it reports why).

        One loop with nothing per unchanged file but its ``stat``, its stamp compared and
        its result made: this is most of a warm re-check.
        """
        stamps_get = self.stamps.get
        stored = self.results
        stat = os.stat
        out: list = []
        append = out.append
        to_read: dict[int, os.stat_result] = {}
        for i, src in enumerate(files):
            try:
                st = stat(src.path)
            except OSError:
                append(None)
                to_read[i] = None
                continue
            display = src.display
            stamp = stamps_get(display)
            if type(stamp) is str and stamp.partition(" ")[2] == \
                    f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}":
                result = FileResult(display, [], [], None, True) if display not in stored \
                    else self._result(display)
                if result is not None:
                    append(result)
                    continue
            append(None)
            to_read[i] = st
        return out, to_read

    def _stamp(self, digest: str, st: os.stat_result) -> str:
        """The stamp of a file with these bytes and this stat, read after ``opened_ns``:
        with its stat only when both its times are older than the read by more than
        RACY_MARGIN_NS (git's racy rule; the recorded stat must then be unchanged for the
        file to be trusted, so the test needs no later clock)."""
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self.opened_ns - RACY_MARGIN_NS:
            return digest + " "  # racy: hashed on every run until a run refreshes it
        return digest + " " + stat_text(st)

    def _result(self, display: str) -> Optional[FileResult]:
        """The stored result, or None when it is not one this version wrote (a corrupt or
        foreign cache is a miss, never an error)."""
        entry = self.results.get(display, _CLEAN)
        if entry is _CLEAN:  # no findings stored: a clean file, most of a warm re-check
            return FileResult(display, [], [], None, True)
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not list \
                or type(entry[1]) is not list or not (entry[0] or entry[1]):
            return None
        try:
            findings = [Finding(**f) for f in entry[0]]  # Finding.from_dict
            suppressed = [Finding(**f) for f in entry[1]]
        except TypeError:  # not an object, or not the fields of a finding
            return None
        if not all(map(_valid, findings)) or not all(map(_valid, suppressed)):
            return None
        return FileResult(display, findings, suppressed, None, True)

    def put(self, digest: str, result: FileResult,
            st: Optional[os.stat_result] = None) -> None:
        path = result.path
        self.stamps[path] = digest + " " if st is None else self._stamp(digest, st)
        if result.findings or result.suppressed:
            self.results[path] = [[f.to_dict() for f in result.findings],
                                  [f.to_dict() for f in result.suppressed]]
        else:
            self.results.pop(path, None)
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
            # what was read back and not written by this version (a corrupt cache) is not
            # kept: a stamp that is not a string, a result nested deeper than this version
            # writes one (it could not even be encoded again); the file is then a miss
            results = {k: v for k, v in self.results.items() if _shallow(v)}
            stamps = {k: v for k, v in self.stamps.items()
                      if type(v) is str and (k in results or k not in self.results)}
            data = json.dumps({"format": _FORMAT, "version": __version__,
                               "stamps": stamps, "results": results},
                              separators=(",", ":"))
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
