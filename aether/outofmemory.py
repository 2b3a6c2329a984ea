"""Free what a MemoryError holds, so that it can be reported in one line.

A MemoryError's traceback keeps every frame it passed through, and with them what filled
memory (the parser's value stack, the tokens of a huge file): reporting it (an import, a
message, a finding) then fails too, and the second MemoryError escapes as a traceback.
"""

from __future__ import annotations

__all__ = ["release", "describe"]


def release(exc: BaseException) -> BaseException:
    """``exc``; when it is a MemoryError, with the tracebacks of it and of the exceptions
    it was raised while handling dropped (their frames freed). Never raises."""
    if isinstance(exc, MemoryError):
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
