"""Free what a MemoryError holds, so that it can be reported in one line.

A MemoryError's traceback keeps every frame it passed through, and with them what filled
memory (the parser's value stack, the tokens of a huge file): reporting it (an import, a
message, a finding) then fails too, and the second MemoryError escapes as a traceback.
"""

from __future__ import annotations

__all__ = ["release"]


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
