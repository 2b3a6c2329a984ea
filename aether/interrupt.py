"""Signals: SIGTERM becomes an exception, and SIGINT/SIGTERM wait while a file is replaced.

Python turns SIGINT into KeyboardInterrupt, so ``finally`` blocks and ``except
BaseException`` clean-ups run, but SIGTERM kills the process outright: a temporary file
of :mod:`aether.fileio` would be left behind and the run would end with no message. The
command installs :func:`handle_signals` for its lifetime: SIGTERM raises
:class:`Terminated` (reported as one line, exit 143) and SIGINT KeyboardInterrupt as
usual. A worker process (``--jobs``) never runs these handlers: the pools
(:mod:`aether.workers`, :mod:`aether.fleet.pool`) fork it with the signals held and it
replaces them (:class:`aether.workers.worker_signals`: it ends at once, 130 or 143, with
no traceback) before it lets them through. :func:`signals_held` defers both signals (and
the other :data:`HELD_SIGNALS`) across the few system calls that create, fill and rename
a temporary file, so an interrupted run never leaves one and every file is either fully
old or fully new.

Before the command installs :func:`handle_signals` (while the interpreter imports the
entry point) and after it has ended, the entry point (:mod:`aether.__main__`) has
:func:`handle_startup` answer either signal: the same one line and status, at once, since
nothing is being written then. A KeyboardInterrupt that Python wrapped in another
exception (an interrupt inside a class body's ``__set_name__`` is a RuntimeError) is
still an interrupt: :func:`interrupt_behind` finds it.
"""

from __future__ import annotations

import os

try:
    # The C module under `signal`: the same functions, without the enum classes that
    # `signal` builds at import (about 1 ms of every command's start-up).
    import _signal as signal
except ImportError:  # pragma: no cover - interpreters without it
    import signal  # type: ignore[no-redef]

__all__ = ["Terminated", "handle_signals", "signals_held", "handle_startup", "interrupt_behind",
           "HELD_SIGNALS",
           "SIGINT_STATUS", "SIGTERM_STATUS"]

SIGINT_STATUS = 130  # 128 + the signal number, as shells report a death by signal
SIGTERM_STATUS = 143

# Held by signals_held: SIGINT and SIGTERM, and the other signals sent from outside whose
# default action ends the process (SIGHUP when the terminal closes, SIGQUIT from Ctrl-\,
# SIGUSR1/2, SIGALRM, SIGXCPU at a CPU limit...): these still end it, just after the
# temporary file is renamed or removed, instead of leaving it behind.
HELD_SIGNALS = tuple(getattr(signal, name) for name in (
    "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGXCPU",
    "SIGVTALRM", "SIGPROF") if hasattr(signal, name))


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that no ``except
    Exception`` (which guards each file against bugs) swallows it."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def _on_sigint(signum, frame) -> None:
    raise KeyboardInterrupt


def _end_at_startup(signum, frame) -> None:
    """SIGINT or SIGTERM outside :func:`handle_signals` in the entry point: one line and
    the status, at once (no file is being written; an exception here would escape an
    import as a traceback)."""
    term = signum == getattr(signal, "SIGTERM", None)
    try:
        os.write(2, b"aether: terminated (SIGTERM)\n" if term else b"aether: interrupted\n")
    except OSError:
        pass
    os._exit(SIGTERM_STATUS if term else SIGINT_STATUS)


def handle_startup() -> None:
    """From now until the process ends, SIGINT and SIGTERM end it with one line on stderr
    and status 130 or 143, except while :func:`handle_signals` is in force (which takes
    over from it and gives it back). For the entry point alone (it ends the process): a
    SIGINT that is ignored (a background job) or handled by someone else is left alone.
    Never raises."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _end_at_startup)
        if hasattr(signal, "SIGTERM") and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _end_at_startup)
    except (ValueError, OSError):  # not the main thread, or no such signal here
        pass


def interrupt_behind(exc: BaseException):
    """The KeyboardInterrupt or :class:`Terminated` that ``exc`` is or was raised from
    (its ``__cause__`` / ``__context__`` chain: Python wraps an exception raised in
    ``__set_name__`` in a RuntimeError, so a Ctrl-C while a class is built arrives so),
    else None. Never raises."""
    seen = 0
    link = exc
    while link is not None and seen < 100:  # a chain may loop: bounded
        if isinstance(link, (KeyboardInterrupt, Terminated)):
            return link
        link = link.__cause__ or link.__context__
        seen += 1
    return None


# The two context managers are classes, not @contextlib.contextmanager generators: the
# one-file check does not otherwise import contextlib (start-up time).

class handle_signals:
    """While the block runs, SIGTERM raises :class:`Terminated` and SIGINT
    KeyboardInterrupt (the previous handlers are restored afterwards). A SIGINT that was
    ignored when Python started (a background job of a script) stays ignored. A no-op
    outside the main thread."""

    def __enter__(self) -> None:
        installed = self._installed = []
        try:
            if hasattr(signal, "SIGTERM"):
                installed.append((signal.SIGTERM, signal.signal(signal.SIGTERM, _on_sigterm)))
            if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _end_at_startup):
                installed.append((signal.SIGINT, signal.signal(signal.SIGINT, _on_sigint)))
        except ValueError:  # not the main thread: signals are not ours to handle
            pass

    def __exit__(self, *exc) -> None:
        for signum, previous in reversed(self._installed):
            signal.signal(signum, previous)


class signals_held:
    """SIGINT and SIGTERM (and the other :data:`HELD_SIGNALS`) arriving during the block
    are delivered when it ends.

    Only for short stretches of system calls (a file replacement): the handlers, and so
    KeyboardInterrupt or Terminated, then run just after the block. Where signals cannot
    be masked (Windows) the block simply runs; the callers' clean-ups still apply.
    """

    def __enter__(self) -> None:
        self._previous = None
        if hasattr(signal, "pthread_sigmask") and HELD_SIGNALS:
            self._previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._previous)
