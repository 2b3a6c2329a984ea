"""Findings and per-file results: the data every checker pass produces and every format prints.

A :class:`Finding` is one coded, positioned problem; a :class:`FileResult` gathers a file's
findings (active and suppressed) and derives the file's status code. Nothing here prints:
output formats live in :mod:`aether.output`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Optional

from .codes import RULES, Status

__all__ = ["Finding", "FileResult", "status_of", "STATUS_PRECEDENCE", "aggregate_status"]

# Which finding decides a file's status when it has several: the earliest phase wins
# (a file that cannot be read has no parse errors; a parse error hides validation).
STATUS_PRECEDENCE = (Status.INTERNAL_ERROR, Status.IO_ERROR, Status.PARSE_ERROR,
                     Status.UNSUPPORTED_FEATURE, Status.VALIDATION_ERROR,
                     Status.SIGNATURE_ERROR, Status.RUNTIME_ERROR, Status.TIMEOUT_ERROR,
                     Status.GENERIC_FAILURE)


@dataclass(frozen=True)
class Finding:
    """One problem in one file.

    ``anchor`` names the enclosing block (``fn:load/if``) and ``content`` is the
    whitespace-normalised source line; both feed the line-independent fingerprint.
    ``fingerprint`` / ``legacy_fingerprint`` are filled in by :mod:`aether.fingerprint`.
    """

    rule: str
    message: str
    line: Optional[int] = None
    column: Optional[int] = None
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    hint: Optional[str] = None
    anchor: str = ""
    content: str = ""
    fingerprint: str = ""
    legacy_fingerprint: str = ""

    @property
    def status(self) -> Status:
        return RULES[self.rule].status

    @property
    def code(self) -> int:
        return int(self.status)

    @property
    def code_name(self) -> str:
        return self.status.name

    @property
    def phase(self) -> str:
        return self.status.phase

    @property
    def rule_name(self) -> str:
        return RULES[self.rule].name

    def sort_key(self) -> tuple:
        return (self.line or 0, self.column or 0, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (cache, baselines): every field, nothing derived."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        return cls(**data)

    def with_(self, **changes: Any) -> "Finding":
        return replace(self, **changes)


def status_of(findings: Iterable[Finding]) -> Status:
    """The status a set of findings gives a file (SUCCESS when there are none)."""
    if not findings:  # most files (an empty list): no set, no walk over the table
        return Status.SUCCESS
    statuses = {f.status for f in findings}
    for status in STATUS_PRECEDENCE:
        if status in statuses:
            return status
    return Status.SUCCESS


def aggregate_status(statuses: Iterable[Status]) -> Status:
    """Exit status for a run over many files (docs/cli.md "Exit status").

    SUCCESS when every file is clean; otherwise the status that comes first in
    STATUS_PRECEDENCE among the files' statuses (INTERNAL_ERROR > IO_ERROR > PARSE_ERROR >
    VALIDATION_ERROR ...), so the exit status names the most fundamental failure.
    """
    present = set(statuses)
    for status in STATUS_PRECEDENCE:
        if status in present:
            return status
    return Status.SUCCESS


@dataclass
class FileResult:
    """Everything a check found in one file.

    ``path`` is the display path (relative to the working directory when inside it, with
    ``/`` separators); ``source`` is the decoded text when it could be read (for snippets).
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    source: Optional[str] = None
    cached: bool = False

    @property
    def status(self) -> Status:
        return status_of(self.findings)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def primary(self) -> Optional[Finding]:
        """The finding that decides the status (first in source order among the worst)."""
        status = self.status
        for f in self.findings:
            if f.status == status:
                return f
        return None

    def source_line(self, line: Optional[int]) -> str:
        """Source line ``line`` (1-based) without its newline, or '' when unknown."""
        if not self.source or not line:
            return ""
        lines = self.source.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""
