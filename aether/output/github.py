"""GitHub Actions workflow commands: one ``::error`` annotation per finding.

Escaping follows GitHub's actions/toolkit (``escapeData`` / ``escapeProperty``): in the
message ``%``, CR and LF are percent-encoded; in properties ``:`` and ``,`` are as well,
since they separate properties. Any other invisible character is shown as a placeholder
(as in text output), so a file name or source text cannot drive the job log.
"""

from __future__ import annotations

from typing import Optional, Sequence, TextIO

from ..diagnostics import FileResult, Finding
from .records import all_findings

__all__ = ["escape_data", "escape_property", "command", "write_github"]


def escape_data(text: str) -> str:
    """``text`` escaped for the message part of a workflow command. Other invisible
    characters (an escape sequence in a file name or a quoted source character) are
    shown as placeholders: the job log would obey them."""
    from .text import printable

    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """``text`` escaped for a ``key=value`` property of a workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(path: str, finding: Finding, suppressed: bool = False) -> str:
    """The workflow command line (no newline) for one finding.

    Active findings are ``::error``; suppressed ones (only printed on request) are
    ``::notice`` so they never fail a job that greps for errors. Unknown positions are
    left out rather than guessed.
    """
    props: list[tuple[str, Optional[object]]] = [
        ("file", path),
        ("line", finding.line),
        ("col", finding.column if finding.line else None),
        ("endLine", finding.end_line if finding.line else None),
        ("endColumn", finding.end_column if finding.line and finding.column else None),
        ("title", f"{finding.rule} {finding.rule_name}" + (" (suppressed)" if suppressed
                                                            else "")),
    ]
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props
                        if value is not None)
    message = finding.message
    if finding.hint:
        message += "\nhint: " + finding.hint
    kind = "notice" if suppressed else "error"
    return f"::{kind} {rendered}::{escape_data(message)}"


def write_github(results: Sequence[FileResult], out: TextIO, *,
                 show_suppressed: bool = False) -> None:
    """Write one command per finding: files in the given order, findings in source order."""
    for result in results:
        for finding, suppressed in all_findings(result):
            if suppressed and not show_suppressed:
                continue
            out.write(command(result.path, finding, suppressed) + "\n")
