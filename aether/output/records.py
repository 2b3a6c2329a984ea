"""The JSON-ready records every report format shares: findings, files, summaries, statuses.

Each format prints the same facts, so they are computed once here: one dict per finding
(with its status, phase and reference category), one per file (its deciding finding) and
the run summary. Every dict is built in a fixed key order so that serialising it twice
gives identical bytes.
"""

from __future__ import annotations

from ..codes import RULES, Status, category_of
from ..diagnostics import FileResult, Finding, aggregate_status

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any, Iterable, Optional, Sequence

__all__ = ["finding_record", "file_record", "json_status", "summary", "ordered",
           "all_findings", "utc_timestamp"]


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` in source order (stable, so equal positions keep their given order)."""
    return sorted(findings, key=Finding.sort_key)


def all_findings(result: FileResult) -> list[tuple[Finding, bool]]:
    """Active and suppressed findings of ``result`` merged in source order.

    Returns ``(finding, suppressed)`` pairs.
    """
    pairs = [(f, False) for f in result.findings] + [(f, True) for f in result.suppressed]
    return sorted(pairs, key=lambda pair: pair[0].sort_key())


def finding_record(finding: Finding, suppressed: bool = False) -> dict[str, Any]:
    """One finding as a JSON object (the ``findings`` / ``suppressed`` entries of --format json).

    A suppressed finding's ``category`` is ``Suppressed-<Category>`` (REFERENCE.md).
    """
    rule = RULES[finding.rule]  # what Finding's properties look up, looked up once
    status = rule.status
    category = category_of(status)
    return {
        "rule": finding.rule,
        "rule_name": rule.name,
        "code": int(status),
        "code_name": status.name,
        "phase": status.phase,
        "category": "Suppressed-" + category if suppressed else category,
        "message": finding.message,
        "hint": finding.hint,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "fingerprint": finding.fingerprint,
        "legacy_fingerprint": finding.legacy_fingerprint,
    }


def _status_fields(result: FileResult) -> dict[str, Any]:
    """The REFERENCE.md status fields of one file, in their documented order."""
    primary = result.primary
    if primary is None:
        return {"ok": True, "code": int(Status.SUCCESS), "code_name": Status.SUCCESS.name,
                "file": result.path, "phase": "validate", "message": "ok", "line": None}
    return {"ok": False, "code": primary.code, "code_name": primary.code_name,
            "file": result.path, "phase": primary.phase, "message": primary.message,
            "line": primary.line}


_SUCCESS_CODE = int(Status.SUCCESS)


def file_record(result: FileResult) -> dict[str, Any]:
    """One file as a JSON object: its status fields, then every finding, then suppressed ones."""
    if not result.findings and not result.suppressed:  # the common case, made directly
        return {"file": result.path, "ok": True, "code": _SUCCESS_CODE, "code_name": "SUCCESS",
                "phase": "validate", "message": "ok", "line": None, "findings": [],
                "suppressed": []}
    status = _status_fields(result)
    return {
        "file": status["file"],
        "ok": status["ok"],
        "code": status["code"],
        "code_name": status["code_name"],
        "phase": status["phase"],
        "message": status["message"],
        "line": status["line"],
        "findings": [finding_record(f) for f in ordered(result.findings)],
        "suppressed": [finding_record(f, True) for f in ordered(result.suppressed)],
    }


def utc_timestamp(now: Optional[datetime] = None) -> str:
    """A timezone-aware ISO-8601 UTC timestamp (seconds precision)."""
    from datetime import datetime, timezone  # only --json-status needs it (start-up time)

    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(
        timespec="seconds")


def json_status(result: FileResult, *, now: Optional[datetime] = None) -> dict[str, Any]:
    """The ``--json-status`` object for one file.

    Exactly REFERENCE.md's ``{"ok", "code", "code_name", "file", "phase", "message",
    "line"}`` (for a clean file: ok, 0, SUCCESS, phase "validate", message "ok", line
    null), followed by the added fields ``column``, ``rule`` (null when clean),
    ``findings`` (the number of active findings) and ``timestamp`` (UTC ISO-8601).
    """
    record = _status_fields(result)
    primary = result.primary
    record["column"] = primary.column if primary is not None else None
    record["rule"] = primary.rule if primary is not None else None
    record["findings"] = len(result.findings)
    record["timestamp"] = utc_timestamp(now)
    return record


def summary(results: Sequence[FileResult]) -> dict[str, Any]:
    """Counts over a run: the ``summary`` object of --format json, also used by text.

    ``by_code`` counts files per status name (SUCCESS included) in status-code order;
    ``by_rule`` counts active findings per rule id; ``status`` is the run's exit status
    (:func:`aether.diagnostics.aggregate_status`).
    """
    # one pass: a clean file (most of a large run) is counted and skipped
    counts: dict[Status, int] = {}
    by_rule: dict[str, int] = {}
    clean = findings = suppressed = 0
    for r in results:
        if r.suppressed:
            suppressed += len(r.suppressed)
        found = r.findings
        if not found:
            clean += 1
            continue
        findings += len(found)
        status = r.status
        counts[status] = counts.get(status, 0) + 1
        for f in found:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    if clean:
        counts[Status.SUCCESS] = counts.get(Status.SUCCESS, 0) + clean
    by_code = {status.name: counts[status] for status in sorted(counts)}
    overall = aggregate_status(counts)
    failed = len(results) - clean
    return {
        "files": len(results),
        "passed": clean,
        "failed": failed,
        "findings": findings,
        "suppressed": suppressed,
        "by_code": by_code,
        "by_rule": dict(sorted(by_rule.items())),
        "status": int(overall),
        "status_name": overall.name,
    }
