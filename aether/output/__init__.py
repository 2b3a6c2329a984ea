"""Report formats: turn a run's FileResults into text, JSON, JSON Lines, SARIF or GitHub commands.

The checker never prints; this package does. :func:`write_report` is the one entry point
the CLI calls. Each format lives in its own module and is imported only when used (the
text format in particular must not import rich unless colour is on: start-up time matters
for a checker run once per file).
"""

from __future__ import annotations

from ..diagnostics import FileResult
from .records import json_status, summary

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Sequence, TextIO

__all__ = ["FORMATS", "write_report", "json_status", "summary", "shows_source"]

FORMATS = ("text", "json", "jsonl", "sarif", "github")


def shows_source(fmt: str, show_source: bool = True) -> bool:
    """Whether the report in ``fmt`` quotes source lines (text snippets, SARIF regions):
    only then must the source of files whose result came from the cache be read again."""
    return fmt == "sarif" or (fmt == "text" and show_source)


def write_report(fmt: str, results: Sequence[FileResult], out: TextIO, *, color: bool = False,
                 show_source: bool = True, show_suppressed: bool = False) -> None:
    """Write the report for ``results`` in format ``fmt`` to ``out``.

    ``color`` and ``show_source`` only affect the text format; ``show_suppressed`` lists
    suppressed findings in text, jsonl and github output (json and sarif always carry them,
    marked as suppressed). Raises ValueError for a format not in :data:`FORMATS`.
    """
    if fmt == "text":
        from .text import write_text
        write_text(results, out, color=color, show_source=show_source,
                   show_suppressed=show_suppressed)
    elif fmt == "json":
        from .json_report import write_json
        write_json(results, out)
    elif fmt == "jsonl":
        from .json_report import write_jsonl
        write_jsonl(results, out, show_suppressed=show_suppressed)
    elif fmt == "sarif":
        from .sarif import write_sarif
        write_sarif(results, out)
    elif fmt == "github":
        from .github import write_github
        write_github(results, out, show_suppressed=show_suppressed)
    else:
        raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")
