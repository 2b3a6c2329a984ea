"""Findings and per-file results: the data every checker pass produces and every format prints.

A :class:`Finding` is one coded, positioned problem; a :class:`FileResult` gathers a file's
findings (active and suppressed) and derives the file's status code. Nothing here prints:
output formats live in :mod:`aether.output`.
"""

from __future__ import annotations

from .codes import RULES, Status
from .record import SET, FrozenRecord, Record

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional

__all__ = ["Finding", "FileResult", "SourceLines", "status_of", "STATUS_PRECEDENCE",
           "aggregate_status"]

# Which finding decides a file's status when it has several: the earliest phase wins
# (a file that cannot be read has no parse errors; a parse error hides validation).
STATUS_PRECEDENCE = (Status.INTERNAL_ERROR, Status.IO_ERROR, Status.PARSE_ERROR,
                     Status.UNSUPPORTED_FEATURE, Status.VALIDATION_ERROR,
                     Status.SIGNATURE_ERROR, Status.RUNTIME_ERROR, Status.TIMEOUT_ERROR,
                     Status.GENERIC_FAILURE)


class Finding(FrozenRecord):
    """One problem in one file.

    ``anchor`` names the enclosing block (``fn:load/if``) and ``content`` is the
    whitespace-normalised source line; both feed the line-independent fingerprint.
    ``fingerprint`` / ``legacy_fingerprint`` are filled in by :mod:`aether.fingerprint`.
    """

    __slots__ = _fields = ("rule", "message", "line", "column", "end_line", "end_column",
                           "hint", "anchor", "content", "fingerprint", "legacy_fingerprint")
    rule: str
    message: str
    line: Optional[int]
    column: Optional[int]
    end_line: Optional[int]
    end_column: Optional[int]
    hint: Optional[str]
    anchor: str
    content: str
    fingerprint: str
    legacy_fingerprint: str

    def __init__(self, rule, message, line=None, column=None, end_line=None, end_column=None,
                 hint=None, anchor="", content="", fingerprint="", legacy_fingerprint=""):
        SET(self, "rule", rule)
        SET(self, "message", message)
        SET(self, "line", line)
        SET(self, "column", column)
        SET(self, "end_line", end_line)
        SET(self, "end_column", end_column)
        SET(self, "hint", hint)
        SET(self, "anchor", anchor)
        SET(self, "content", content)
        SET(self, "fingerprint", fingerprint)
        SET(self, "legacy_fingerprint", legacy_fingerprint)

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
        return self.as_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        return cls(**data)

    def with_(self, **changes: Any) -> "Finding":
        return self.replace(**changes)


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


class FileResult(Record):
    """Everything a check found in one file.

    ``path`` is the display path (relative to the working directory when inside it, with
    ``/`` separators); ``source`` is the decoded text when it could be read (for snippets).
    """

    __slots__ = _fields = ("path", "findings", "suppressed", "source", "cached")
    path: str
    findings: list[Finding]
    suppressed: list[Finding]
    source: Optional[str]
    cached: bool

    def __init__(self, path, findings=None, suppressed=None, source=None, cached=False):
        self.path = path
        self.findings = [] if findings is None else findings
        self.suppressed = [] if suppressed is None else suppressed
        self.source = source
        self.cached = cached

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
        return SourceLines(self.source).get(line) or ""


class SourceLines:
    """The lines of a source text by number, as ``text.split("\\n")`` numbers them (not
    ``splitlines``: form feeds and U+2028 would shift every later line), each found when
    asked. A list of every line of a large file cost about three times the file, and a
    report needs the few lines its findings are on: the newlines before a line are counted
    in windows from the last line asked for (or the start, for an earlier line)."""

    __slots__ = ("text", "line", "pos")

    def __init__(self, text: str) -> None:
        self.text = text
        self.line = 1  # the last line found, and its offset
        self.pos = 0

    def get(self, line: Optional[int]) -> Optional[str]:
        """Line ``line`` (1-based) without its newline; None past the last line or for a
        number below 1."""
        if not line or line < 1:
            return None
        text = self.text
        if line < self.line:
            self.line, self.pos = 1, 0
        k = line - self.line
        pos = self.pos
        while k:
            window = text[pos:pos + 8192]
            if not window:
                return None
            n = window.count("\n")
            if n < k:
                pos += len(window)
                k -= n
                continue
            pos += len(window) - len(window.split("\n", k)[-1])
            k = 0
        self.line, self.pos = line, pos
        end = text.find("\n", pos)
        return text[pos:] if end < 0 else text[pos:end]
