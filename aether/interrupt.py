"""Signals: SIGTERM becomes an exception, and SIGINT/SIGTERM wait while a file is replaced.

Python turns SIGINT into KeyboardInterrupt, so ``finally`` blocks and ``except
BaseException`` clean-ups run, but SIGTERM kills the process outright: a temporary file
of :mod:`aether.fileio` would be left behind and the run would end with no message. The
command installs :func:`sigterm_raises` for its lifetime: in the process that installed
it, SIGTERM raises :class:`Terminated` (reported as one line, exit 143); in a worker
process forked from it, SIGTERM raises ``SystemExit(143)``, which ends the worker quietly
after the same clean-ups. :func:`signals_held` defers both signals across the few system
calls that create, fill and rename a temporary file, so an interrupted run never leaves
one and every file is either fully old or fully new.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Iterator

__all__ = ["Terminated", "sigterm_raises", "signals_held", "SIGINT_STATUS", "SIGTERM_STATUS"]

SIGINT_STATUS = 130  # 128 + the signal number, as shells report a death by signal
SIGTERM_STATUS = 143

_HELD = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
              if s is not None)


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that no ``except
    Exception`` (which guards each file against bugs) swallows it."""


_owner_pid: list[int] = []


def _on_sigterm(signum, frame) -> None:
    if _owner_pid and os.getpid() != _owner_pid[-1]:
        raise SystemExit(SIGTERM_STATUS)  # a forked worker: no traceback, no message
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (the previous handler is
    restored afterwards). A no-op outside the main thread or where there is no SIGTERM."""
    if not hasattr(signal, "SIGTERM"):
        yield
        return
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    _owner_pid.append(os.getpid())
    try:
        yield
    finally:
        _owner_pid.pop()
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM arriving during the block are delivered when it ends.

    Only for short stretches of system calls (a file replacement): the handlers, and so
    KeyboardInterrupt or Terminated, then run just after the block. Where signals cannot
    be masked (Windows) the block simply runs; the callers' clean-ups still apply.
    """
    if not hasattr(signal, "pthread_sigmask") or not _HELD:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
