"""Find the files a command should process: paths given, directories searched for *.aether.

Directories are walked recursively in sorted order, skipping hidden folders, virtual
environments and caches, and anything matching an exclude glob. A file named explicitly is
always processed (even if excluded or not ending in .aether), like ruff; a path that does
not exist is passed through so the reader can report it (AE001), and so is a folder that
cannot be listed (AE003).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Optional, Sequence

__all__ = ["SourceFile", "iter_files", "display_path", "printable_path", "path_bytes",
           "EXTENSION", "SKIP_DIRS"]

EXTENSION = ".aether"
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                       ".aether_cache", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


@dataclass(frozen=True)
class SourceFile:
    """A file to process: ``path`` to open, ``display`` to show (cwd-relative, posix)."""

    path: str
    display: str
    explicit: bool = False


def printable_path(path: str) -> str:
    """``path`` with bytes that are not UTF-8 shown as ``\\xff`` escapes.

    Python hands such file names over as lone surrogates (U+DC80..U+DCFF), which no
    report, hash or JSON document can encode; the file is still opened by its real name.
    Any other lone surrogate (from ``--stdin-filename``, say) is shown as ``\\udXXX``.
    """
    if path.isascii():
        return path
    out = []
    for ch in path:
        if "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif "\ud800" <= ch <= "\udfff":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


_BYTE_ESCAPE = re.compile(r"\\x([89a-f][0-9a-f])")  # printable_path's form of a raw byte


def path_bytes(shown: str) -> bytes:
    """The bytes of the file name a :func:`printable_path` result stands for (its
    ``\\xff`` escapes turned back into those bytes): what a URI must percent-encode."""
    out = bytearray()
    pos = 0
    for m in _BYTE_ESCAPE.finditer(shown):
        out += shown[pos:m.start()].encode("utf-8", "surrogateescape")
        out.append(int(m.group(1), 16))
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


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern:
    """A glob where ``**`` crosses folders and ``*`` stays within one; matches a suffix."""
    pattern = pattern.strip().replace("\\", "/").rstrip("/")  # "dir/" means the folder
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            j = i
            while j < len(pattern) and pattern[j] not in "*?":
                j += 1
            out.append(re.escape(pattern[i:j]))
            i = j
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + "".join(out) + "(?:/.*)?$")


def is_excluded(rel_posix: str, patterns: Sequence[str]) -> bool:
    """Whether a root-relative posix path matches one of the exclude globs."""
    return any(_glob_regex(p).match(rel_posix) or fnmatch.fnmatch(rel_posix, p)
               for p in patterns if p.strip())


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
            for dirpath, dirnames, filenames in os.walk(absolute, onerror=unlisted.append):
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
                for name in sorted(filenames):
                    if not name.endswith(EXTENSION):
                        continue
                    full = os.path.join(dirpath, name)
                    if full in seen or (patterns and is_excluded(rel_prefix + name, patterns)):
                        continue
                    seen.add(full)
                    yield SourceFile(full, prefix + printable_path(name))
            yield from _unlisted(unlisted, seen, cwd)
        else:
            if absolute in seen:
                continue
            seen.add(absolute)
            yield SourceFile(given, display_path(given, cwd), explicit=True)


def _unlisted(errors: list[OSError], seen: set[str], cwd: str) -> Iterator[SourceFile]:
    """The folders ``os.walk`` could not list, as entries for the reader to report."""
    while errors:
        folder = errors.pop(0).filename
        if folder and folder not in seen:
            seen.add(folder)
            yield SourceFile(folder, display_path(folder, cwd))
