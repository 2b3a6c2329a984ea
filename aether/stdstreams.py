"""The standard streams aether starts with: closed ones filled, failed output told apart.

A command's report goes to standard output, which may be a full disk (``> /dev/full``),
a file over ``ulimit -f``, or closed (``>&-``). Such a write failure is the output's
fault, not a bug of aether: :func:`prepare` wraps standard output so that its failed
writes raise :class:`OutputError` (the entry point reports it in one line, exit 26), and
fills a closed descriptor 0, 1 or 2 with the null device (Python leaves ``sys.stdout``
``None`` then, and the next file aether opens, a state database, would get descriptor 1,
where a tool's subprocess writes).
"""

from __future__ import annotations

import io
import os
import sys

__all__ = ["OutputError", "prepare", "flush_stdout"]

# The interpreter's own standard output once wrapped: kept, for its collection would close
# descriptor 1.
_REPLACED: list = []


class OutputError(OSError):
    """A write to standard output failed (other than a closed pipe, BrokenPipeError)."""


class _StdoutFile(io.FileIO):
    """Descriptor 1, whose failed write raises OutputError. Once one has, later writes
    are dropped: the failure was raised to (and reported by) the command, and the bytes
    the buffer still holds would fail again at exit, as "Exception ignored" and status
    120."""

    failed = False

    def write(self, data):
        if self.failed:
            return len(data)
        if not len(data):  # click probes a stream with an empty write: no system call
            return 0
        try:
            return super().write(data)
        except BrokenPipeError:
            raise  # `aether ... | head`: handled as such by the entry point
        except OSError as exc:
            self.failed = True
            raise OutputError(exc.errno, exc.strerror) from None


def _fill_closed(fd: int, flags: int) -> bool:
    """Open the null device on ``fd`` when it is closed; return whether it was."""
    try:
        os.fstat(fd)
        return False
    except OSError:
        pass
    new = os.open(os.devnull, flags)
    if new != fd:
        os.dup2(new, fd)
        os.close(new)
    return True


def prepare() -> None:
    """Fill closed standard descriptors with the null device and wrap standard output
    (only the interpreter's own: a test's captured stream is left alone). Raises
    nothing: a stream it cannot wrap stays as it is."""
    try:
        for fd, name, flags in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY),
                                (2, "stderr", os.O_WRONLY)):
            if getattr(sys, name) is None and _fill_closed(fd, flags):
                stream = open(fd, "r" if fd == 0 else "w", encoding="utf-8",  # noqa: SIM115
                              errors="backslashreplace" if fd == 2 else "strict",
                              closefd=False)
                setattr(sys, name, stream)
                setattr(sys, f"__{name}__", stream)
        out = sys.stdout
        if out is not sys.__stdout__ or not isinstance(out, io.TextIOWrapper) \
                or out.fileno() != 1:
            return
        if isinstance(getattr(out.buffer, "raw", out.buffer), _StdoutFile):
            return  # wrapped already (main() called again in one process)
        out.flush()
        _REPLACED.append(out)
        raw = _StdoutFile(1, "w", closefd=False)
        # buffered as it was (PYTHONUNBUFFERED / -u leave no buffer under the text layer)
        layer = raw if isinstance(out.buffer, io.RawIOBase) else io.BufferedWriter(raw)
        wrapped = io.TextIOWrapper(layer, encoding=out.encoding, errors=out.errors,
                                   line_buffering=out.line_buffering,
                                   write_through=out.write_through)
        sys.stdout = sys.__stdout__ = wrapped
    except (OSError, ValueError, AttributeError):
        return


def flush_stdout() -> None:
    """Flush standard output. Raises OutputError when that fails (BrokenPipeError for a
    closed pipe)."""
    if sys.stdout is not None:
        sys.stdout.flush()
