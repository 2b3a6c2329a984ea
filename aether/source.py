"""Read a workflow file into text, turning every way that can fail into one coded finding.

Missing, not a file, permission denied, too large, binary (NUL bytes) and invalid UTF-8 all
end as an IO_ERROR finding with a clear message; a BOM is dropped and CRLF/CR newlines
become ``\\n`` (neither changes meaning). Never raises for a bad file.
"""

from __future__ import annotations

import os
import stat

from .diagnostics import Finding
from .record import SET, FrozenRecord

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["ReadResult", "read_source", "read_stream", "decode_source", "DEFAULT_MAX_FILE_SIZE",
           "normalise"]

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


class ReadResult(FrozenRecord):
    """Either ``text`` (decoded, normalised) or ``error`` (an IO finding)."""

    __slots__ = _fields = ("text", "error", "data")
    text: Optional[str]
    error: Optional[Finding]
    data: Optional[bytes]  # the raw bytes, when the file could be read

    def __init__(self, text=None, error=None, data=None):
        SET(self, "text", text)
        SET(self, "error", error)
        SET(self, "data", data)


def normalise(text: str) -> str:
    """Drop a leading BOM and turn CRLF / CR newlines into ``\\n``."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def decode_source(data: bytes, max_size: int = DEFAULT_MAX_FILE_SIZE) -> ReadResult:
    """Decode raw bytes of a workflow file (see module docstring for the failure cases)."""
    if len(data) > max_size:
        # max_size + 1 bytes is what a bounded read (stdin, a git blob) stops at: the real
        # size is unknown then, only that it is over
        size = "" if len(data) == max_size + 1 else f" {_size_text(len(data))},"
        return ReadResult(error=Finding(
            "AE006", f"file is{size} over the {_size_text(max_size)} limit",
            hint="raise `max-file-size` in [tool.aether] if this really is a workflow"),
            data=data)
    nul = data.find(b"\0")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        return ReadResult(error=Finding(
            "AE004", f"binary file: NUL byte at line {line}, column {col}", line, col),
            data=data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return ReadResult(error=Finding(
            "AE005", f"not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {col}", line, col, hint="re-save the file as UTF-8"), data=data)
    return ReadResult(text=normalise(text), data=data)


def _read_at_most(fh, limit: int, expected: int) -> bytes:
    """At most ``limit`` bytes of ``fh`` (a file grown since its stat is caught by the size
    check after). ``read(limit)`` would allocate ``limit`` bytes up front: with a generous
    ``max-file-size`` that is a MemoryError on a file of a few bytes."""
    first = fh.read(min(limit, expected + 1))
    if len(first) <= expected:
        return first
    parts = [first]
    total = len(first)
    while total < limit:
        chunk = fh.read(min(limit - total, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def read_stream(fh, max_size: int = DEFAULT_MAX_FILE_SIZE) -> ReadResult:
    """Read and decode a binary stream (standard input) like a file: at most ``max_size``
    + 1 bytes, in bounded chunks, so ``< /dev/zero`` is "over the limit", not all memory,
    and a 1 TiB limit allocates nothing up front."""
    return decode_source(_read_at_most(fh, max_size + 1, 0), max_size)


def read_source(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> ReadResult:
    """Read and decode the file at ``path``.

    The file is opened first and its type and size taken from the open descriptor
    (:func:`aether.readfile.open_checked`): a check by name and then an ``open`` let a
    racing process swap the file for a FIFO in between, and the ``open`` waited forever.
    """
    from .readfile import open_checked

    if not path:
        return ReadResult(error=Finding("AE001", 'empty path ("") given'))
    try:
        fd, st = open_checked(path)
    except FileNotFoundError:
        return ReadResult(error=Finding("AE001", f"no such file: {path}"))
    except PermissionError:
        if os.path.isdir(path):  # a folder without read permission: say it is one
            return ReadResult(error=_not_regular(path, stat.S_IFDIR))
        return ReadResult(error=Finding("AE003", f"permission denied: {path}"))
    except OSError as exc:
        return ReadResult(error=Finding("AE007", f"cannot read {path}: {exc.strerror or exc}"))
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return ReadResult(error=_not_regular(path, st.st_mode))
    if st.st_size > max_size:
        os.close(fd)
        return ReadResult(error=Finding(
            "AE006", f"file is {_size_text(st.st_size)}, over the {_size_text(max_size)} limit",
            hint="raise `max-file-size` in [tool.aether] if this really is a workflow"))
    try:
        with open(fd, "rb") as fh:  # closes fd
            data = _read_at_most(fh, max_size + 1, st.st_size)
    except OSError as exc:
        return ReadResult(error=Finding("AE007", f"cannot read {path}: {exc.strerror or exc}"))
    return decode_source(data, max_size)


def _not_regular(path: str, mode: int) -> Finding:
    """The finding for a path that is not a regular file (``mode``: its type)."""
    if stat.S_ISDIR(mode):
        try:
            os.scandir(path).close()
        except PermissionError:
            return Finding("AE003", f"permission denied: cannot list the folder {path}")
        except OSError:
            pass
        return Finding("AE002", f"{path} is a directory, not a file",
                       hint="`aether check DIR` searches a directory for *.aether files")
    return Finding("AE002", f"{path} is not a regular file")
