"""Rewrite user files safely: whole-file atomic replacement that keeps mode and newline style.

Tools that change files in place (``aether fmt``, ``aether migrate --apply``) write through
:func:`write_atomic`: the new bytes go to a temporary file in the same directory, are
flushed and fsynced, get the original permission bits, and then ``os.replace`` swaps them
in. A run killed at any moment (SIGINT, SIGKILL, power loss after the fsync) therefore
leaves each file either fully old or fully new, never half-written. SIGINT and SIGTERM are
held off while a temporary file exists (:func:`aether.interrupt.signals_held`), so they
leave none behind; only SIGKILL or a power loss can leave a stray
``.NAME.aether-tmp-XXXX``, and it never replaces anything.

Links (docs/security.md): nothing is ever written *through* a symbolic link unless the
caller says the user named that very path (``follow_links``) and its target lies inside
the project holding the link (:func:`link_boundary`): a link met while searching a folder
is refused, and so is a link where a file the tool produces (a report, a
baseline, the cache) would go. A folder link on the way to a file rewritten in place
(``sub -> /etc``, then ``sub/passwd``) must lead inside the project too; the real file
is resolved once, at the check, and the write goes to its real folder. The temporary
file is created with ``O_EXCL`` and ``O_NOFOLLOW`` (``mkstemp``), and ``os.replace``
renames over a name without following it, so a link can never redirect the write itself.
:func:`create_new` makes a file only if the name is free (``O_EXCL | O_NOFOLLOW``).

The text tools work on newline-normalised text (``\\n``); :func:`encode_like` turns the new
text back into bytes in the original's style (CRLF / CR / LF, and a leading BOM).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Optional, Union

__all__ = ["WriteError", "newline_style", "encode_like", "write_atomic", "write_output",
           "check_writable", "create_new", "write_new", "NAME_TAKEN", "lock_file", "make_dir",
           "open_stream", "unified_diff", "TEMP_PREFIX", "LINK_NOT_FOLLOWED", "OUTPUT_IS_LINK",
           "link_boundary", "place_in_project", "OUTSIDE", "IN_GIT"]

TEMP_PREFIX = "."
_TEMP_MARK = ".aether-tmp-"
_BOM = b"\xef\xbb\xbf"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

# The reasons given for a refused link, one line each (shown after "PATH: ").
LINK_NOT_FOLLOWED = ("a symbolic link found while searching a folder: not followed for writing, "
                     "skipped (name it on the command line to rewrite its target)")
OUTPUT_IS_LINK = ("is a symbolic link; aether does not write its output through a link "
                  "(remove the link or name another file)")


@dataclass
class WriteError(Exception):
    """A file could not be rewritten; ``reason`` is one line for the user."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def newline_style(data: Union[bytes, str]) -> str:
    """The newline the file mostly uses: ``"\\r\\n"``, ``"\\r"`` or ``"\\n"`` (default).

    Counted over the whole file, so one stray LF in a CRLF file does not flip it.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    crlf = data.count(b"\r\n")
    lf = data.count(b"\n") - crlf
    cr = data.count(b"\r") - crlf
    if crlf and crlf >= lf and crlf >= cr:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def encode_like(original: bytes, text: str) -> bytes:
    """``text`` (``\\n`` newlines, no BOM) as bytes in the newline style and BOM of ``original``."""
    style = newline_style(original)
    if style != "\n":
        text = text.replace("\n", style)
    data = text.encode("utf-8")
    if original.startswith(_BOM):
        data = _BOM + data
    return data


def _resolve(path: str, follow_links: bool) -> str:
    """The real file a rewrite of ``path`` replaces: its folder with every link on the way
    resolved (the temporary file is made there, so no folder link is written through
    later), joined with its own name; with ``follow_links`` and a link as that name, the
    real file behind the link (so the link itself survives)."""
    if follow_links and os.path.islink(path):
        return os.path.realpath(path)
    # the folder as named, not after abspath: that drops `sub/..` before `sub` is
    # resolved, and `sub/../f` (sub a link) is not the `f` beside `sub` the system opens
    folder, name = os.path.split(path)
    return os.path.join(os.path.realpath(folder or "."), name)


_PROJECT_MARKERS = ((".git",), ("aether.toml", "pyproject.toml"))


def _project_root(folder: str) -> str:
    """The project holding ``folder`` (absolute, its links not resolved): the nearest
    folder above it with a ``.git``, else the nearest with an ``aether.toml`` or
    ``pyproject.toml``, else ``folder``; links are not resolved on the way up, so a link
    inside the project (``sub -> /elsewhere``) does not move the search out of it.

    A marker seen through a link below it proves nothing (``sub -> /other/repo`` shows
    that repository's ``.git``): when one of the folders from there down to ``folder`` is
    a link, the outermost folder with a marker is the project instead, so the link stays
    below the project root and is checked."""
    ancestors = [folder]
    while True:
        parent = os.path.dirname(ancestors[-1])
        if parent == ancestors[-1]:
            break
        ancestors.append(parent)
    found = [[a for a in ancestors if any(os.path.lexists(os.path.join(a, m)) for m in group)]
             for group in _PROJECT_MARKERS]
    nearest = next((group[0] for group in found if group), None)
    if nearest is None:
        return folder
    if any(os.path.islink(a) for a in ancestors[:ancestors.index(nearest) + 1]):
        return max((a for group in found for a in group), key=ancestors.index)
    return nearest


def link_boundary(path: str) -> str:
    """The real folder a file named ``path`` must lie in, once every link on its path
    below the project root is resolved, to be written: the project holding ``path``
    (:func:`_project_root`: the git work tree, else the nearest folder with an
    ``aether.toml`` or ``pyproject.toml``, else the folder holding ``path``), with its
    links resolved. A repository cannot widen it: git tracks no ``.git``, a configuration
    file added inside the tree only narrows it, and a marker seen through a link of the
    tree does not count."""
    return os.path.realpath(_project_root(os.path.dirname(os.path.abspath(path))))


def _outside_boundary(path: str, target: str) -> Optional[str]:
    """The reason ``path``, whose real file is ``target`` (:func:`_resolve`), is not
    written, or None: a link on its path below the project root (the name itself, named
    with ``follow_links``, or a folder on the way) leads outside :func:`link_boundary`
    (a pull request that makes a named file, or its folder, a link to ``/etc`` must not
    make ``aether fmt FILE`` rewrite what is there), or into a ``.git`` folder. Links
    above the project root (``/tmp -> /private/tmp``) change nothing."""
    absolute = os.path.abspath(path)
    if target == absolute:
        return None  # no link anywhere on the path
    lexical_root = _project_root(os.path.dirname(absolute))
    root = os.path.realpath(lexical_root)
    if os.path.join(root, os.path.relpath(absolute, lexical_root)) == target:
        return None  # the links are all above the project root
    if os.path.islink(path):
        what = f"a symbolic link to {target},"
    else:
        what = f"reached through a symbolic link to a folder: the real file {target} lies"
    place = place_in_project(root, target)
    if place is None:
        return None
    if place == IN_GIT:
        return (f"{what} inside git's own folder: not written "
                "through (name that file itself to rewrite it)")
    return (f"{what} outside the project ({root}): not written "
            "through (name that file itself to rewrite it)")


OUTSIDE, IN_GIT = "outside", ".git"


def place_in_project(root: str, real: str) -> Optional[str]:
    """None when the real path ``real`` lies inside the real folder ``root`` and outside
    its ``.git`` folders, else :data:`OUTSIDE` or :data:`IN_GIT` (git's own folder is no
    project file: a write to ``.git/hooks/pre-commit`` or ``.git/config`` would plant
    what git runs or reads next). Shared by the rewrite check above and the ``state``
    key of :mod:`aether.config`."""
    try:
        inside = os.path.commonpath([root, real]) == root
    except ValueError:  # on two drives (Windows): no common path, so outside
        inside = False
    if not inside:
        return OUTSIDE
    return IN_GIT if ".git" in os.path.relpath(real, root).split(os.sep) else None


def check_writable(path: str, follow_links: bool = False) -> Optional[str]:
    """None when ``path`` may be rewritten in place, else the reason why not.

    A symbolic link may be rewritten (its target replaced) only with ``follow_links``,
    which callers pass for a path the user named on the command line. Whatever the
    name, every link on the path below the project root (the name itself, or a folder on
    the way: ``sub -> /etc`` and ``sub/passwd``) must lead to a real file inside the
    project holding the path and outside its ``.git`` (:func:`link_boundary`).
    Read-only means no write bit at all in the mode (so it holds even for root, who
    ``os.access`` would let write anything), or no write access for this user, or a
    directory where the temporary file cannot be created.
    """
    return _check(path, follow_links)[0]


def _check(path: str, follow_links: bool,
           boundary: bool = True) -> tuple[Optional[str], str]:
    """:func:`check_writable`'s reason (None when writable) and the real file
    (:func:`_resolve`) it checked: the one a write then replaces, resolved once, so a
    link on the way that changes after the check cannot send the write elsewhere (a
    real folder on the way replaced by a link after it can: docs/security.md).
    ``boundary`` False skips the project boundary (an output file the user named)."""
    if os.path.islink(path) and not follow_links:
        return LINK_NOT_FOLLOWED, path
    target = _resolve(path, follow_links)
    outside = _outside_boundary(path, target) if boundary else None
    if outside is not None:
        return outside, target
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return "file no longer exists", target
    except OSError as exc:
        return f"cannot stat: {exc.strerror or exc}", target
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file", target
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or \
            not os.access(target, os.W_OK):
        return "file is read-only", target
    folder = os.path.dirname(target) or "."
    if not os.access(folder, os.W_OK | os.X_OK):
        return (f"directory {folder} is not writable (the new file is written beside the "
                "old)"), target
    return None, target


def write_atomic(path: str, data: bytes, expect: Optional[bytes] = None,
                 follow_links: bool = False) -> None:
    """Replace the file at ``path`` with ``data`` atomically, keeping its permission bits.

    ``expect``: the bytes the caller read; if the file changed since (another editor,
    another tool), nothing is written and WriteError is raised, so a concurrent edit is
    never lost, unless it already holds ``data`` (then there is nothing to do).
    ``follow_links``: ``path`` was named by the user, so if it is a symbolic link whose
    target lies inside the project holding it (:func:`link_boundary`) that target is
    replaced (the link kept); without it a link is refused (:data:`LINK_NOT_FOLLOWED`).
    Any link on the path below the project root, the name's or a folder's on the way,
    that leads out of the project or into its ``.git`` is refused too; the file replaced
    is the real one, resolved at the check, and the temporary file is made in its real
    folder. Raises WriteError for a refused link, a read-only file or any OS error; the
    original file is then untouched.
    """
    _rewrite(path, data, expect, follow_links, boundary=True)


def _rewrite(path: str, data: bytes, expect: Optional[bytes], follow_links: bool,
             boundary: bool) -> None:
    """:func:`write_atomic`; ``boundary`` False for a file the tool produces
    (:func:`write_output`), which may lie anywhere the user named, folder links on the
    way included (docs/security.md)."""
    reason, target = _check(path, follow_links, boundary)
    if reason is not None:
        raise WriteError(path, reason)
    try:
        st = os.stat(target)
    except OSError as exc:
        raise WriteError(path, f"cannot stat: {exc.strerror or exc}")
    folder = os.path.dirname(target) or "."
    if expect is not None:
        current = _reread(path, target)
        if current == data:
            return  # another run (two `fmt` on one tree) already wrote these very bytes
        if current != expect:
            raise WriteError(path, "file changed on disk while it was being processed; "
                                   "left as it is")
    _replace_with(path, target, folder, data, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid))


def _reread(path: str, target: str) -> bytes:
    """The bytes now at ``target`` (the file ``path`` names), read to compare with what the
    caller read. Opened first and checked open: a FIFO swapped in since the last check
    would make a plain ``open`` wait forever. Raises WriteError when it is not a regular
    file or cannot be read."""
    from .readfile import file_kind, open_checked

    try:
        fd, st = open_checked(target)
    except OSError as exc:
        raise WriteError(path, f"cannot re-read before writing: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise WriteError(path, f"is now {file_kind(st.st_mode)}, not a regular file; "
                               "left as it is")
    try:
        with open(fd, "rb") as fh:  # closes fd
            return fh.read()
    except OSError as exc:
        raise WriteError(path, f"cannot re-read before writing: {exc.strerror or exc}")


def write_output(path: str, data: bytes) -> None:
    """Write a file the tool produces (report, baseline, cache, generated docs) atomically.

    Like :func:`write_atomic`, but the file may not exist yet: a new file gets the
    ordinary mode for this umask (``mkstemp`` alone would leave it 0600), and missing
    parent folders are created (as ruff does for ``--output-file``); an existing one
    keeps its mode. A symbolic link at ``path`` (dangling or not) is refused
    (:data:`OUTPUT_IS_LINK`): the tool's own files are never written through a link.
    Raises WriteError; the previous file, if any, is then untouched.
    """
    if os.path.islink(path):
        raise WriteError(path, OUTPUT_IS_LINK)
    if os.path.exists(path):
        _rewrite(path, data, None, False, boundary=False)
        return
    umask = os.umask(0)
    os.umask(umask)
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):  # `-o reports/aether.sarif` in a fresh CI checkout
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise WriteError(path, f"cannot create the folder {folder}: "
                                   f"{exc.strerror or exc}")
    _replace_with(path, path, folder, data, 0o666 & ~umask, None)


def write_new(path: str, data: bytes) -> None:
    """Create the file ``path`` with ``data`` atomically, only if nothing has that name
    (no file, folder or link, dangling or not): a reader sees no file or the whole file,
    and a file another process created meanwhile is never replaced. The new file gets the
    ordinary mode for this umask. Raises WriteError (``NAME_TAKEN`` when the name is
    taken)."""
    umask = os.umask(0)
    os.umask(umask)
    folder = os.path.dirname(os.path.abspath(path)) or "."
    _replace_with(path, path, folder, data, 0o666 & ~umask, None, exclusive=True)


#: The reason :func:`write_new` gives when the name is taken.
NAME_TAKEN = "was created by another process meanwhile; left as it is"


def _replace_with(path: str, target: str, folder: str, data: bytes, mode: int,
                  owner: Optional[tuple[int, int]], exclusive: bool = False) -> None:
    """Write ``data`` to a temporary file in ``folder``, fsync it, give it ``mode`` (and
    ``owner`` when root), then ``os.replace`` it onto ``target`` (``exclusive``: link it
    there, which fails if the name is taken). Raises WriteError; on any failure the
    temporary file is removed and ``target`` is untouched."""
    from .interrupt import signals_held

    # SIGINT/SIGTERM wait until the temporary file is renamed or removed: an interrupted
    # run leaves no `.NAME.aether-tmp-*` behind (the handlers run right after).
    with signals_held():
        try:
            # mkstemp opens with O_CREAT | O_EXCL | O_NOFOLLOW: never an existing name.
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + os.path.basename(target)
                                       + _TEMP_MARK, dir=folder)
        except OSError as exc:
            raise WriteError(path, f"cannot create a temporary file in {folder}: "
                                   f"{exc.strerror or exc}")
        try:
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    # Through the descriptor, never the name: nothing can swap it for a link.
                    if hasattr(os, "fchmod"):
                        os.fchmod(fh.fileno(), mode)
                    if owner is not None and hasattr(os, "fchown"):
                        with contextlib.suppress(OSError):  # only root may give a file away
                            if os.geteuid() == 0 and owner != (os.getuid(), os.getgid()):
                                os.fchown(fh.fileno(), *owner)
                    os.fsync(fh.fileno())
                if not hasattr(os, "fchmod"):  # pragma: no cover - Windows
                    os.chmod(tmp, mode)
                if exclusive:
                    _link_new(path, tmp, target)
                else:
                    os.replace(tmp, target)  # renames over the name; a link is replaced
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise WriteError(path, f"permission denied: {exc.strerror or exc}")
                raise WriteError(path, f"write failed: {exc.strerror or exc}")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    _fsync_dir(folder)


def lock_file(path: str) -> Optional[int]:
    """An open descriptor of the regular file at ``path`` holding an exclusive advisory
    lock (``flock``), or None when there is no such file (missing, a link, not a regular
    file, unreadable: the caller's read reports it) or locks are not available.

    For a read-change-write of a file that other aether processes rewrite at the same time
    (``tools infer --write``): the check of :func:`write_atomic`'s ``expect`` and its rename
    are two steps, so two writers can both pass the check; under this lock they take
    turns. A rename replaces the file, so the lock is on the file that is at ``path`` once
    it is held (a waiter that wakes on a replaced file locks the new one). Close the
    descriptor to release it (after the write)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        return None
    while True:
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                os.close(fd)
                return None
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = os.stat(path, follow_symlinks=False)
        except OSError:
            os.close(fd)
            return None
        if (now.st_ino, now.st_dev) == (st.st_ino, st.st_dev):
            return fd
        os.close(fd)  # replaced while we waited: lock the file that is there now


def _link_new(path: str, tmp: str, target: str) -> None:
    """Give the complete file ``tmp`` the name ``target`` only if that name is free: a hard
    link fails on any existing name (a link there is not followed); then ``tmp`` goes.
    On a file system without hard links, a rename after a check (a small window)."""
    try:
        os.link(tmp, target, follow_symlinks=False)
    except FileExistsError:
        raise WriteError(path, NAME_TAKEN) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if os.path.lexists(target):  # pragma: no cover - file systems without links
            raise WriteError(path, NAME_TAKEN) from None
        os.replace(tmp, target)  # pragma: no cover
        return  # pragma: no cover
    os.unlink(tmp)


def create_new(path: str, data: bytes, mode: Optional[int] = None,
               fsync: bool = False) -> bool:
    """Create the file ``path`` with ``data`` only if no file, folder or link (even a
    dangling one) has that name: True when created, False when the name was taken.

    ``O_CREAT | O_EXCL | O_NOFOLLOW``: an existing file is never overwritten and a link is
    never followed. ``mode`` None gives the ordinary mode for this umask; a mode is set
    exactly (the umask neither widens nor narrows a key file's 0600). ``fsync`` flushes
    the data to disk before returning. A write that fails or is interrupted part way
    removes the name it created, so no cut-short file is left to pass for a whole one.
    Raises WriteError for any OS error other than the name being taken.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW,
                     0o666 if mode is None else mode)
    except FileExistsError:
        return False
    except OSError as exc:
        raise WriteError(path, f"cannot create: {exc.strerror or exc}")
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(path)
        if isinstance(exc, OSError):
            raise WriteError(path, f"write failed: {exc.strerror or exc}") from None
        raise
    return True


def open_stream(path: str):
    """Open ``path`` for a stream the tool writes line by line (``aether run --events``):
    created or truncated, never through a symbolic link (``O_NOFOLLOW``; a link there is
    :data:`OUTPUT_IS_LINK`). Returns a text file object (UTF-8, line-buffered). A stream
    cannot be replaced atomically; a reader may see its lines as they are written.
    Raises WriteError."""
    if os.path.islink(path):
        raise WriteError(path, OUTPUT_IS_LINK)
    try:
        # O_NONBLOCK: a named pipe that no process reads fails at once (ENXIO) instead of
        # blocking the open for ever; writes block again below
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW
                     | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WriteError(path, OUTPUT_IS_LINK)
        if exc.errno == errno.ENXIO:
            raise WriteError(path, "is a named pipe that no process reads")
        raise WriteError(path, f"cannot open for writing: {exc.strerror or exc}")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def make_dir(path: str) -> bool:
    """Make sure ``path`` is a real folder: True when this call created it, False when it
    was there. Raises WriteError when the name is a symbolic link (to a folder or not,
    dangling or not) or something other than a folder, or the folder cannot be made
    (its parent must exist)."""
    try:
        os.mkdir(path)  # mkdir never follows a link: a link there is EEXIST
        return True
    except FileExistsError:
        pass
    except OSError as exc:
        raise WriteError(path, f"cannot create the folder: {exc.strerror or exc}")
    if os.path.islink(path):
        raise WriteError(path, "is a symbolic link; aether does not write through it")
    if not os.path.isdir(path):
        raise WriteError(path, "is not a folder")
    return False


def _fsync_dir(folder: str) -> None:
    """Make the rename durable (best effort; not every platform can open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _lines_keepends(text: str) -> list[str]:
    """Lines with their own newline (``\\r\\n``, ``\\n`` or ``\\r``); other separators such
    as U+2028 are text, unlike ``str.splitlines``."""
    out = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            out.append(text[start:i + 1])
            start = i + 1
        elif ch == "\r":
            end = i + 2 if i + 1 < n and text[i + 1] == "\n" else i + 1
            out.append(text[start:end])
            start = end
            i = end - 1
        i += 1
    if start < n:
        out.append(text[start:])
    return out


_C_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n",
              0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r"}


def diff_name(shown: str) -> str:
    """The file name for a ``---`` / ``+++`` line that ``patch -p0`` and ``git apply``
    read back as the real file ``shown`` (a :func:`aether.walk.printable_path` result).

    As git writes it: a name with a quote, backslash, control character, non-UTF-8 byte
    or space at either end is C-quoted (``"tab\\tname"``, octal for other bytes); a name
    with a space inside gets a tab after it, where GNU patch ends an unquoted name.
    """
    from .walk import path_bytes

    raw = path_bytes(shown)
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    if utf8 and raw == raw.strip() and not any(
            b < 0x20 or b == 0x7F or b in (0x22, 0x5C) for b in raw):
        return shown + "\t" if " " in shown else shown
    out = []
    for b in raw:
        if b in _C_ESCAPES:
            out.append(_C_ESCAPES[b])
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def unified_diff(old: str, new: str, path: str, context: int = 3) -> str:
    """A unified diff from ``old`` to ``new`` that ``patch -p0`` applies to ``path``.

    Both texts are compared exactly as stored (newline style and BOM included), so the
    diff applies to CRLF files too; a missing final newline gets the usual
    ``\\ No newline at end of file`` marker. Any file name is written so that patch
    finds the file (see :func:`diff_name`). Empty when the texts are equal.
    """
    import difflib

    if old == new:
        return ""
    a = _lines_keepends(old)
    b = _lines_keepends(new)
    out = []
    name = diff_name(path)
    for line in difflib.unified_diff(a, b, name, name, n=context, lineterm="\n"):
        if line.startswith(("---", "+++", "@@")):
            out.append(line if line.endswith("\n") else line + "\n")
            continue
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
