"""Find the files a command should process: paths given, directories searched for *.aether.

Directories are walked recursively in sorted order, skipping hidden folders, virtual
environments and caches, and anything matching an exclude glob. A file named explicitly is
always processed (even if excluded or not ending in .aether), like ruff; a path that does
not exist is passed through so the reader can report it (AE001), and so is a folder that
cannot be listed (AE003).
"""

from __future__ import annotations

import os
from functools import lru_cache

from .gcpause import gc_paused
from .record import SET, FrozenRecord

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Iterable, Iterator, Optional, Sequence

__all__ = ["SourceFile", "iter_files", "list_files", "display_path", "printable_path", "path_bytes",
           "EXTENSION", "SKIP_DIRS"]

EXTENSION = ".aether"
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                       ".aether_cache", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


class SourceFile(FrozenRecord):
    """A file to process: ``path`` to open, ``display`` to show (cwd-relative, posix)."""

    __slots__ = _fields = ("path", "display", "explicit")
    path: str
    display: str
    explicit: bool

    def __init__(self, path, display, explicit=False):
        SET(self, "path", path)
        SET(self, "display", display)
        SET(self, "explicit", explicit)


_new_object = object.__new__


def _source_file(path: str, display: str) -> SourceFile:
    """``SourceFile(path, display)`` without the call of ``__init__`` (one per file of a
    walk; the fields are set as ``__init__`` sets them)."""
    src = _new_object(SourceFile)
    SET(src, "path", path)
    SET(src, "display", display)
    SET(src, "explicit", False)
    return src


def printable_path(path: str) -> str:
    """``path`` with bytes that are not UTF-8 shown as ``\\xff`` escapes.

    Python hands such file names over as lone surrogates (U+DC80..U+DCFF), which no
    report, hash or JSON document can encode; the file is still opened by its real name.
    Any other lone surrogate (from ``--stdin-filename``, say) is shown as ``\\udXXX``.
    A backslash of the name is doubled where it would otherwise read as the start of such
    an escape (before ``x80``..``xff``, another backslash or an escaped byte): two files
    named ``a\\x80`` and ``a<byte 0x80>`` must not be shown (and fingerprinted) as one.
    Every other name is shown as it is; :func:`path_bytes` undoes this.
    """
    if path.isascii() and "\\" not in path:
        return path
    out = []
    for i, ch in enumerate(path):
        if "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif "\ud800" <= ch <= "\udfff":
            out.append(f"\\u{ord(ch):04x}")
        elif ch == "\\" and _reads_as_escape(path, i + 1):
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


_HEX = "0123456789abcdef"


def _reads_as_escape(path: str, at: int) -> bool:
    """Whether a backslash followed by ``path[at:]`` would read as one of
    :func:`printable_path`'s escapes: another backslash, a lone surrogate (shown as an
    escape) or ``x80``..``xff``."""
    nxt = path[at:at + 3]
    if not nxt:
        return False
    first = nxt[0]
    return (first == "\\" or "\ud800" <= first <= "\udfff"
            or (len(nxt) == 3 and first == "x" and nxt[1] in "89abcdef" and nxt[2] in _HEX))


_BYTE_ESCAPE = r"\\(?:x([89a-f][0-9a-f])|(\\))"  # printable_path's forms of a byte, a backslash


def path_bytes(shown: str) -> bytes:
    """The bytes of the file name a :func:`printable_path` result stands for (its
    ``\\xff`` escapes turned back into those bytes, a doubled backslash into one): what a
    URI must percent-encode."""
    import re  # compiled when first needed (start-up time)

    out = bytearray()
    pos = 0
    for m in re.finditer(_BYTE_ESCAPE, shown):
        out += shown[pos:m.start()].encode("utf-8", "surrogateescape")
        out += b"\\" if m.group(2) else bytes([int(m.group(1), 16)])
        pos = m.end()
    out += shown[pos:].encode("utf-8", "surrogateescape")
    return bytes(out)


def display_path(path: str, cwd: Optional[str] = None) -> str:
    """``path`` relative to ``cwd`` when inside it, with ``/`` separators, printable."""
    if not path:
        return '""'  # an empty argument, not the working directory
    cwd = cwd or os.getcwd()
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, cwd)
    except ValueError:  # another drive on Windows
        rel = absolute
    if rel.startswith(".."):
        rel = absolute
    return printable_path(rel.replace(os.sep, "/"))


# Exclude globs are matched by a small automaton (Thompson's construction, run as a DFA
# built lazily, one state per set of automaton states met): time linear in the path for
# any pattern. The regular expressions used before backtracked: `*a*a*a*a*a*a*a*b` took
# 23 s per name, eight `**/` segments 44 s per path.
_CHAR, _SPLIT, _MATCH = 0, 1, 2
_DFA_LIMIT = 4096  # DFA states kept per pattern; past that the cache starts afresh


class _Glob:
    """One glob compiled to an automaton; :meth:`match` says whether it matches a path."""

    def __init__(self) -> None:
        self.kind: list[int] = []
        self.test: list = []  # for a _CHAR state: the predicate on one character
        self.out: list[int] = []
        self.alt: list[int] = []
        self._ids: dict[frozenset, int] = {}
        self._sets: list[frozenset] = []
        self._moves: list[dict[str, int]] = []
        self.start = -1

    def state(self, kind: int, test=None) -> int:
        self.kind.append(kind)
        self.test.append(test)
        self.out.append(-1)
        self.alt.append(-1)
        return len(self.kind) - 1

    def _closure(self, states) -> int:
        seen: set[int] = set()
        stack = list(states)
        while stack:
            s = stack.pop()
            if s < 0 or s in seen:
                continue
            seen.add(s)
            if self.kind[s] == _SPLIT:
                stack.append(self.out[s])
                stack.append(self.alt[s])
        key = frozenset(s for s in seen if self.kind[s] != _SPLIT)
        found = self._ids.get(key)
        if found is None:
            if len(self._sets) >= _DFA_LIMIT:  # a bound on memory, not on time
                self._ids.clear()
                self._sets.clear()
                self._moves.clear()
            found = len(self._sets)
            self._ids[key] = found
            self._sets.append(key)
            self._moves.append({})
        return found

    def match(self, path: str) -> bool:
        """Whether the whole of ``path`` matches."""
        d = self._closure([self.start])
        for ch in path:
            moves = self._moves[d]
            nxt = moves.get(ch)
            if nxt is None:
                nxt = self._closure([self.out[s] for s in self._sets[d]
                                     if self.kind[s] == _CHAR and self.test[s](ch)])
                moves[ch] = nxt  # (into a dropped table if _closure just started afresh)
            if not self._sets[nxt]:
                return False
            d = nxt
        return any(self.kind[s] == _MATCH for s in self._sets[d])


def _any(ch: str) -> bool:
    return True


def _in_folder(ch: str) -> bool:
    return ch != "/"


def _build(*alternatives: list) -> _Glob:
    """An automaton for any of ``alternatives``, each a list of pieces in sequence: a
    predicate on one character, or ("*", predicate) for any run of such characters, or
    ("opt", pieces) for optional ``pieces``. Built back to front so each piece knows
    where it continues."""
    g = _Glob()

    def chain(items: list, then: int) -> int:
        for item in reversed(items):
            if isinstance(item, tuple) and item[0] == "*":
                loop = g.state(_SPLIT)
                step = g.state(_CHAR, item[1])
                g.out[step] = loop
                g.out[loop], g.alt[loop] = step, then
                then = loop
            elif isinstance(item, tuple) and item[0] == "opt":
                split = g.state(_SPLIT)
                g.out[split], g.alt[split] = chain(item[1], then), then
                then = split
            else:
                step = g.state(_CHAR, item)
                g.out[step] = then
                then = step
        return then

    done = g.state(_MATCH)
    g.start = chain(alternatives[0], done)
    for other in alternatives[1:]:
        split = g.state(_SPLIT)
        g.out[split], g.alt[split] = g.start, chain(other, done)
        g.start = split
    return g


def _literal(ch: str):
    return ch.__eq__


def _glob_pieces(pattern: str) -> list:
    """The pieces (see :func:`_build`) of a glob where ``**`` crosses folders and ``*``
    stays within one; it matches a suffix of whole folders (``dir/`` means the folder; a
    leading ``/`` anchors at the root), and anything under what it matches."""
    pattern = pattern.strip().replace("\\", "/").rstrip("/")
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    folders = ("opt", [("*", _any), _literal("/")])  # (?:.*/)?
    pieces: list = [] if anchored else [folders]
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            pieces.append(folders)
            i += 3
        elif pattern.startswith("**", i):
            pieces.append(("*", _any))
            i += 2
        elif pattern[i] == "*":
            pieces.append(("*", _in_folder))
            i += 1
        elif pattern[i] == "?":
            pieces.append(_in_folder)
            i += 1
        else:
            pieces.append(_literal(pattern[i]))
            i += 1
    pieces.append(("opt", [_literal("/"), ("*", _any)]))  # (?:/.*)?
    return pieces


def _fnmatch_pieces(pattern: str) -> list:
    """:func:`fnmatch.fnmatch`'s reading of ``pattern`` (``*`` and ``?`` cross folders,
    ``[...]`` is a class; the caller applies ``os.path.normcase``)."""
    pieces: list = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if not (pieces and pieces[-1] == ("*", _any)):
                pieces.append(("*", _any))
        elif c == "?":
            pieces.append(_any)
        elif c == "[":
            j = i  # the end of the class, found as fnmatch.translate finds it
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                pieces.append(_literal("["))
            else:
                import fnmatch
                import re

                one = re.compile(fnmatch.translate(pattern[i - 1:j + 1]))
                pieces.append(lambda ch, one=one: one.match(ch) is not None)
                i = j + 1
        else:
            pieces.append(_literal(c))
    return pieces


_SAME_CASE = os.path.normcase("A/b") == "A/b"  # fnmatch's normcase changes nothing here


@lru_cache(maxsize=256)
def _matchers(pattern: str) -> tuple[_Glob, ...]:
    """The automata for one exclude glob: one for both readings where ``normcase`` is the
    identity (one pass over each path), else one per reading."""
    ours = _glob_pieces(pattern)
    if _SAME_CASE:
        return (_build(ours, _fnmatch_pieces(pattern)),)
    return (_build(ours), _build(_fnmatch_pieces(os.path.normcase(pattern))))


def is_excluded(rel_posix: str, patterns: Sequence[str]) -> bool:
    """Whether a root-relative posix path matches one of the exclude globs, read as
    :func:`_glob_pieces` says or as :func:`fnmatch.fnmatch` does; linear in the path."""
    for p in patterns:
        if not p.strip():
            continue
        both = _matchers(p)
        if both[0].match(rel_posix) or \
                len(both) > 1 and both[1].match(os.path.normcase(rel_posix)):
            return True
    return False


def iter_files(paths: Iterable[str], exclude: Sequence[str] = (), root: Optional[str] = None,
               cwd: Optional[str] = None) -> Iterator[SourceFile]:
    """Yield the files to process for ``paths``, each once, directories in sorted order.

    ``exclude`` globs are matched against paths relative to ``root`` (the configuration's
    folder; defaults to the working directory).
    """
    cwd = cwd or os.getcwd()
    root_abs = os.path.abspath(root or cwd)
    seen: set[str] = set()

    def rel_to_root(p: str) -> str:
        try:
            return os.path.relpath(p, root_abs).replace(os.sep, "/")
        except ValueError:
            return p.replace(os.sep, "/")

    patterns = [p for p in exclude if p.strip()]
    for given in paths:
        if not given:  # "" is not the working directory (os.path.abspath would say so)
            yield SourceFile(given, display_path(given), explicit=True)
            continue
        absolute = os.path.abspath(given)
        if os.path.isdir(absolute):
            # A folder that cannot be listed is yielded itself, so the reader reports it
            # (AE003 for permission denied) instead of the walk skipping it in silence.
            unlisted: list[OSError] = []
            for dirpath, dirnames, filenames in _walk(absolute, unlisted.append):
                yield from _unlisted(unlisted, seen, cwd)
                # Paths are worked out once per folder, not per file: trees can be large.
                dir_rel = rel_to_root(dirpath) if patterns else ""
                dir_shown = display_path(dirpath, cwd)
                prefix = "" if dir_shown == "." else dir_shown + "/"
                rel_prefix = "" if dir_rel == "." else dir_rel + "/"
                dirnames[:] = sorted(
                    d for d in dirnames
                    if d not in SKIP_DIRS and not d.startswith(".")
                    and not (patterns and is_excluded(rel_prefix + d, patterns)))
                # what os.path.join(dirpath, name) gives, joined once per folder (a
                # warm re-check of a large tree spent a fifth of its walk in join)
                base = dirpath if dirpath.endswith(os.sep) else dirpath + os.sep
                for name in sorted(filenames):
                    if not name.endswith(EXTENSION):
                        continue
                    full = base + name
                    if full in seen or (patterns and is_excluded(rel_prefix + name, patterns)):
                        continue
                    seen.add(full)
                    shown = name if name.isascii() and "\\" not in name else printable_path(name)
                    yield _source_file(full, prefix + shown)
            yield from _unlisted(unlisted, seen, cwd)
        else:
            if absolute in seen:
                continue
            seen.add(absolute)
            yield SourceFile(given, display_path(given, cwd), explicit=True)


@gc_paused  # a record per file, acyclic: the collector would only walk them again and again
def list_files(paths: Iterable[str], exclude: Sequence[str] = (),
               root: Optional[str] = None) -> list[SourceFile]:
    """``list(iter_files(paths, exclude, root))``."""
    return list(iter_files(paths, exclude, root))


def _walk(top: str, onerror) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, onerror=onerror)`` (top-down, ``dirnames`` prunable, links to folders
    listed but not entered) with an explicit stack: ``os.walk`` recurses once per level
    (before Python 3.12), so a tree 1,000 folders deep was a RecursionError (exit 27)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError as exc:
            onerror(exc)
            continue
        dirs: list[str] = []
        files: list[str] = []
        with entries:
            while True:
                try:
                    entry = next(entries)
                except StopIteration:
                    break
                except OSError as exc:
                    onerror(exc)
                    break
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                (dirs if is_dir else files).append(entry.name)
        yield folder, dirs, files
        for name in reversed(dirs):  # popped in the order the caller left them
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                stack.append(path)


def _unlisted(errors: list[OSError], seen: set[str], cwd: str) -> Iterator[SourceFile]:
    """The folders ``os.walk`` could not list, as entries for the reader to report."""
    while errors:
        folder = errors.pop(0).filename
        if folder and folder not in seen:
            seen.add(folder)
            yield SourceFile(folder, display_path(folder, cwd))
