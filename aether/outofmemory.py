"""Free what a MemoryError holds, so that it can be reported in one line.

A MemoryError's traceback keeps every frame it passed through, and with them what filled
memory (the parser's value stack, the tokens of a huge file): reporting it (an import, a
message, a finding) then fails too, and the second MemoryError escapes as a traceback.

Before it is reported it must also get there. Python 3.11 (and later, CPython gh-132508)
allocates an int while unwinding through a ``try`` handler of a function whose bytecode
is longer than 256 units (the offset to resume at), and when that allocation fails it
retries it forever: with memory still full the process spins at the ``except`` line,
ignoring SIGTERM. :data:`RESERVE` (a few MiB of address space held from the first parse
on, see :func:`arm`) is freed first thing where a MemoryError is caught, so that the
unwinding and the report have room; the parser drops what it built there too.
"""

from __future__ import annotations

__all__ = ["RESERVE", "arm", "spend", "release", "describe"]

# Address space given back when a MemoryError is caught: enough for the interpreter's new
# arenas (1 MiB each) while the error is unwound and reported. An untouched calloc'd block
# (``bytes(n)`` maps fresh zero pages): it costs a system call, no memory until written.
RESERVE_SIZE = 4 << 20

# The reserve, while armed: one bytes object, in a list so that it can be freed by a call
# that allocates nothing.
RESERVE: list = []

# Frees the reserve: ``spend()``. The list's own bound ``clear``, made here once: calling
# it allocates nothing (no Python frame, no bound method; ``RESERVE.clear()`` written in
# another module makes a bound method first, as 3.11 compiles a method call on a name
# imported from a module).
spend = RESERVE.clear


def arm() -> None:
    """Hold the reserve again unless it is held (after a MemoryError freed it). Never
    raises: without the room for it, the work goes on without one."""
    if not RESERVE:
        try:
            RESERVE.append(bytes(RESERVE_SIZE))
        except MemoryError:
            pass


def release(exc: BaseException) -> BaseException:
    """``exc``; when it is a MemoryError, with the tracebacks of it and of the exceptions
    it was raised while handling dropped (their frames freed), and the reserve freed
    before that (:data:`RESERVE`). Never raises."""
    if isinstance(exc, MemoryError):
        spend()
        seen = 0
        link = exc
        while link is not None and seen < 100:  # a chain may loop: bounded
            link.__traceback__ = None
            link = link.__context__
            seen += 1
    return exc


def describe(exc: BaseException) -> str:
    """``exc`` in one line for a report: its type, then ``: `` and its message only when
    it has one ("MemoryError", not "MemoryError: "; a MemoryError seldom has a message).
    Frees what a MemoryError holds first (:func:`release`). Never raises."""
    release(exc)
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error
        text = ""
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    return f"{name}: {text}" if text else name
