"""The syntax layer's one exception: a coded, positioned syntax error in plain words."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional

__all__ = ["AetherSyntaxError"]


class AetherSyntaxError(Exception):
    """A syntax error at a position, carrying its rule id (``AE1xx`` / ``AE2xx``).

    ``recover_line`` is the line from which the parser's error recovery should mask
    (defaults to ``line``); ``hint`` is an optional second sentence for the user.
    ``resume_line``, when set, is the first line recovery must keep even if the lexer took
    it for a continuation (a bracket left open before it); ``mask_through`` the last line
    recovery must remove (the statement runs on inside brackets up to there).
    """

    def __init__(self, rule: str, message: str, line: int, column: int,
                 end_line: Optional[int] = None, end_column: Optional[int] = None,
                 hint: Optional[str] = None, recover_line: Optional[int] = None,
                 resume_line: int = 0, mask_through: int = 0):
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line
        self.column = column
        self.end_line = end_line if end_line is not None else line
        self.end_column = end_column if end_column is not None else column + 1
        self.hint = hint
        self.recover_line = recover_line if recover_line is not None else line
        self.resume_line = resume_line
        self.mask_through = mask_through

    def __repr__(self) -> str:
        return f"AetherSyntaxError({self.rule}, {self.message!r}, {self.line}:{self.column})"
