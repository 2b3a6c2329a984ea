"""A memo table that lives only within ``with`` blocks: the one shape of the parse memo
(``memo_parses`` in this package's parser) and the validation memo (``memo_validations``
in the validator of the semantic layer above).

A migration looks at the same text and the same module at several stages; within its
block each stage's result is kept and handed to the next, and the table ends with the
outermost block, so it never keeps a tree alive beyond the file it belongs to. Plain
Python with no imports (it sits on the one-file start-up path; contextlib is kept off it).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["Memo"]


class Memo:
    """One memo table: ``table`` is a dict while a :meth:`block` is open, else None.

    Blocks nest: an inner block shares the outer block's table, and the table is dropped
    when the outermost block ends (also when it ends by an exception)."""

    __slots__ = ("table",)

    def __init__(self) -> None:
        self.table: Optional[dict] = None

    def open(self) -> bool:
        """Whether a block of this memo is open (its results are being kept)."""
        return self.table is not None

    def block(self) -> "_Block":
        """A context manager that keeps this memo's results until it ends."""
        return _Block(self)


class _Block:
    """One ``with`` block of a :class:`Memo` (see :meth:`Memo.block`)."""

    __slots__ = ("memo", "outer")

    def __init__(self, memo: Memo) -> None:
        self.memo = memo
        self.outer: Optional[dict] = None

    def __enter__(self) -> "_Block":
        memo = self.memo
        self.outer = memo.table
        if memo.table is None:
            memo.table = {}
        return self

    def __exit__(self, *exc) -> None:
        self.memo.table = self.outer
        self.outer = None
