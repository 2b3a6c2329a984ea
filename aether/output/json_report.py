"""The JSON forms of a report: one document (--format json) or one finding per line (jsonl)."""

from __future__ import annotations

import json
from typing import Any, Sequence, TextIO

from .. import __version__
from ..diagnostics import FileResult
from .records import all_findings, file_record, finding_record, summary

__all__ = ["report_document", "write_json", "write_jsonl"]


def report_document(results: Sequence[FileResult]) -> dict[str, Any]:
    """The --format json document: tool, version, summary, then one record per file."""
    return {
        "tool": "aether",
        "version": __version__,
        "summary": summary(results),
        "files": [file_record(r) for r in results],
    }


def write_json(results: Sequence[FileResult], out: TextIO) -> None:
    """Write the document, indented, non-ASCII kept as is, with a trailing newline."""
    from .indented import dumps_indented  # json.dumps with indent is pure Python: slow

    out.write(dumps_indented(report_document(results)) + "\n")


def write_jsonl(results: Sequence[FileResult], out: TextIO, *,
                show_suppressed: bool = False) -> None:
    """Write one finding per line, ``file`` first and ``suppressed`` last on each.

    Files in the given order, findings in source order; suppressed findings only when
    ``show_suppressed``. A run with no findings writes nothing.
    """
    for result in results:
        for finding, suppressed in all_findings(result):
            if suppressed and not show_suppressed:
                continue
            record = {"file": result.path}
            record.update(finding_record(finding, suppressed))
            record["suppressed"] = suppressed
            out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
