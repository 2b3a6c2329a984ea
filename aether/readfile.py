"""Read the documents aether is handed (configuration, tool catalogues, suppression lists,
baselines, migration reports, run inputs, a file about to be merged into) with bounds.

Any of these may be a link a repository planted to somewhere else on the machine: a FIFO
(an ordinary ``open`` waits forever for a writer), a device (``/dev/zero`` never ends) or a
huge file (reading it whole eats all memory). :func:`read_document` opens without blocking,
accepts only a regular file, and reads at most :data:`MAX_DOCUMENT_SIZE` bytes, so each
of those ends in one :class:`DocumentReadError` naming the file instead of a hang or an
out-of-memory kill.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["MAX_DOCUMENT_SIZE", "DocumentReadError", "read_document", "read_head", "file_kind",
           "open_checked"]

#: The largest document read: far above any real configuration, list or baseline
#: (a baseline of 100,000 findings is about 20 MiB), far below what exhausts memory.
MAX_DOCUMENT_SIZE = 128 * 1024 * 1024


class DocumentReadError(OSError):
    """A document that cannot be read; ``str()`` is the reason, one line that follows
    "it" ("it does not exist", "it is a FIFO (named pipe), not a regular file").

    ``missing`` is True when nothing has that name (callers that treat an absent file as
    "none" check it)."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        super().__init__(errno.ENOENT if missing else errno.EIO, reason)
        self.reason = reason
        self.missing = missing

    def __str__(self) -> str:
        return self.reason


def file_kind(mode: int) -> str:
    """What a non-regular file is, for a message: "a directory", "a FIFO (named pipe)"..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_checked(path: str) -> tuple[int, os.stat_result]:
    """An open read-only descriptor of ``path`` and the ``fstat`` of that descriptor.

    Opened without blocking (a FIFO does not wait for a writer), links followed. The type
    and size to trust are those returned, of the file actually opened: a check by name
    before an ``open`` lets a racing process swap in a FIFO after the check, and the
    ``open`` then waits forever.
    The caller closes the descriptor and refuses what is not a regular file.
    Raises OSError from ``open`` or ``fstat`` (nothing is left open then).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        return fd, os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise


def _open_document(path: str) -> tuple[int, os.stat_result]:
    """:func:`open_checked` of ``path``, its failures as DocumentReadError."""
    try:
        return open_checked(path)
    except FileNotFoundError:
        raise DocumentReadError("does not exist", missing=True) from None
    except PermissionError:
        raise DocumentReadError("is not readable (permission denied)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DocumentReadError("is a symbolic link loop") from None
        raise DocumentReadError(f"cannot be read ({exc.strerror or exc})") from None


def read_document(path: str, limit: int = MAX_DOCUMENT_SIZE, pipe_ok: bool = False) -> bytes:
    """The bytes of the regular file at ``path`` (links followed), at most ``limit`` bytes.

    Raises DocumentReadError: missing, permission denied, not a regular file (a FIFO is
    opened without waiting for a writer), or larger than ``limit``. The type and size are
    taken from the open descriptor, so a name swapped after a check changes nothing.
    ``pipe_ok``: the user named this path (``--config <(...)``), so a FIFO is read,
    waiting for its writer, up to ``limit`` bytes too.
    """
    fd, st = _open_document(path)
    try:
        if pipe_ok and stat.S_ISFIFO(st.st_mode):
            # Read through the descriptor already open. Closing it to open the name again,
            # blocking, left the FIFO without a reader for a moment: a writer that had
            # connected then died of EPIPE, and the second open waited forever for another.
            _wait_for_writer(fd)
            os.set_blocking(fd, True)
        elif not stat.S_ISREG(st.st_mode):
            raise DocumentReadError(f"is {file_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise DocumentReadError(f"is {st.st_size} bytes, over the {limit}-byte limit "
                                    "for a document aether reads")
        data = _read_up_to(fd, limit + 1, st.st_size)
        if len(data) > limit:
            raise DocumentReadError(f"is over the {limit}-byte limit for a document "
                                    "aether reads")
        return data
    finally:
        if fd >= 0:
            os.close(fd)


def _wait_for_writer(fd: int) -> None:
    """Wait until the FIFO open for reading at ``fd`` (without blocking) has data or a
    writer that came and went: a read before that would see no writer and return an end.

    Raises DocumentReadError for a wait that fails."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        poller.poll()
    except OSError as exc:
        raise DocumentReadError(f"cannot be read ({exc.strerror or exc})") from None


def _read_up_to(fd: int, size: int, hint: int) -> bytes:
    """At most ``size`` bytes of ``fd``, fewer at its end, read in bounded chunks:
    ``hint`` (the size fstat gave) is trusted only to size them (files under /proc report
    0), so a file up to 16 MiB is one read (a 2 MB result cache was four reads and a
    copy) and a read that returns less than asked is read on. Past the hint (a FIFO, a
    /proc file, a file that grew) reads are of 64 KiB, not of one byte each.

    Raises DocumentReadError for a read that fails."""
    parts = []
    total = 0
    try:
        while total < size:
            want = hint - total + 1 if hint > total else 1 << 16
            chunk = os.read(fd, min(want, 1 << 24, size - total))
            if not chunk:
                break
            total += len(chunk)
            parts.append(chunk)
    except OSError as exc:
        raise DocumentReadError(f"cannot be read ({exc.strerror or exc})") from None
    return b"".join(parts)


def read_head(path: str, size: int) -> bytes:
    """The first ``size`` bytes of the regular file at ``path`` (links followed; fewer when
    the file is shorter): a probe of a file's start reads that much and no more, whatever
    the file's size.

    Raises DocumentReadError: missing, permission denied, or not a regular file (a FIFO
    is opened without waiting for a writer and refused).
    """
    fd, st = _open_document(path)
    try:
        if not stat.S_ISREG(st.st_mode):
            raise DocumentReadError(f"is {file_kind(st.st_mode)}, not a regular file")
        return _read_up_to(fd, size, size)
    finally:
        os.close(fd)
