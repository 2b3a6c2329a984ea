"""Runtime errors: the one exception type a running program raises, with its rule and stack.

Every failure of a program (a type error, a budget, a tool failure) is an
:class:`AetherRuntimeError` carrying an error *kind* from the catalogue's ``error_kinds``
(what ``on_error`` and ``catch`` see), a *rule* id of :mod:`aether.codes` (``AE401`` ...)
whose status is the run's exit status, the position and the Aether-level stack of ``fn``
frames. No other exception ever leaves the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["AetherRuntimeError", "StackFrame", "rt_error"]


@dataclass(frozen=True)
class StackFrame:
    """One Aether ``fn`` frame: the function's name and where it was called from."""

    name: str
    line: int
    column: int

    def to_json(self) -> dict:
        return {"fn": self.name, "line": self.line, "column": self.column}


# Rules whose errors a program cannot catch: once a budget is spent, a handler would spend
# more of it (on_error handlers still run, with a small grace allowance; see compiler).
FATAL_RULES = frozenset({"AE408", "AE409", "AE412", "AE611"})


class AetherRuntimeError(Exception):
    """An Aether error: ``kind`` (catalogue error kind), ``rule`` (AE4xx), message, position.

    ``stack`` lists the ``fn`` frames the error passed through, outermost first, once the
    error has reached the top (frames are appended innermost first while unwinding and
    reversed by :meth:`finish`). ``line == 0`` means "not placed yet": the innermost
    statement or call that sees the error gives it its position.
    """

    def __init__(self, kind: str, rule: str, message: str, line: int = 0, column: int = 0,
                 stack: Optional[list[StackFrame]] = None, value=None):
        super().__init__(message)
        self.kind = kind
        self.rule = rule
        self.message = message
        self.line = line
        self.column = column
        self.stack: list[StackFrame] = list(stack or [])
        self.value = value  # the Aether error value a `catch` binds (built lazily)
        self.catchable = False  # a step's own timeout: fatal rule, but retry/catch see it

    @property
    def fatal(self) -> bool:
        """Budgets and unsupported features cannot be caught by ``try``/``catch``."""
        return self.rule in FATAL_RULES and not self.catchable

    @property
    def status(self) -> int:
        from ..codes import RULES

        r = RULES.get(self.rule)
        return int(r.status) if r is not None else 21

    def place(self, line: int, column: int) -> "AetherRuntimeError":
        """Give the error a position unless it has one."""
        if not self.line:
            self.line, self.column = line, column
        return self

    def to_json(self) -> dict:
        return {"rule": self.rule, "kind": self.kind, "message": self.message,
                "line": self.line, "column": self.column,
                "stack": [f.to_json() for f in self.stack]}

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line else ""
        return f"{where}{self.rule} {self.kind}: {self.message}"


def rt_error(rule: str, message: str, node=None, kind: Optional[str] = None
             ) -> AetherRuntimeError:
    """An error of ``rule`` at ``node``'s position (kind defaults to the rule's kind)."""
    return AetherRuntimeError(kind or RULE_KINDS.get(rule, "RuntimeError"), rule, message,
                              getattr(node, "line", 0) or 0, getattr(node, "column", 0) or 0)


# The error kind each runtime rule raises by default (what `when:` and `catch` see).
RULE_KINDS = {
    "AE401": "RuntimeError",
    "AE402": "RuntimeError",
    "AE403": "RuntimeError",
    "AE404": "RuntimeError",
    "AE405": "RuntimeError",
    "AE406": "BudgetExceeded",
    "AE407": "BudgetExceeded",
    "AE408": "BudgetExceeded",
    "AE409": "Timeout",
    "AE410": "PluginError",
    "AE411": "PluginError",
    "AE412": "RuntimeError",
    "AE413": "ValidationError",
    "AE414": "ValidationError",
    "AE415": "RuntimeError",
    "AE601": "PolicyDenied",
    "AE602": "ApprovalDenied",
    "AE603": "PolicyDenied",
    "AE609": "PolicyDenied",
    "AE610": "PolicyDenied",
    "AE611": "RuntimeError",
}
