"""SARIF 2.1.0 logs (code-scanning upload): one run, every rule that fired, one result per finding.

Locations are relative to ``%SRCROOT%`` (the directory the check ran from) and the log
carries no absolute machine path, so it is reproducible and safe to publish. Regions count
columns in Unicode code points (``columnKind``), ``endColumn`` exclusive, as the checker
does. A region's ``snippet`` is exactly the region's text (SARIF 3.30.13); the whole
source line goes in ``contextRegion`` when it is larger than the region (for a line over
:data:`SNIPPET_LIMIT` code points, a window of it around the region; a longer region has no
snippet), so a log never repeats a huge line once per finding. Suppressed
findings are results with an ``inSource`` suppression, so viewers show them as dismissed.
"""

from __future__ import annotations

import os
import re
from typing import Any, Optional, Sequence, TextIO
from urllib.parse import quote

from .. import __version__
from ..codes import RULES
from ..diagnostics import FileResult, Finding
from ..walk import path_bytes
from .records import all_findings

__all__ = ["SCHEMA_URI", "artifact_uri", "sarif_log", "write_sarif"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# No `informationUri`: it is optional, and the project has no published home page to name
# (an invented address would send readers nowhere). Add one with [project.urls].
SRCROOT = "%SRCROOT%"
SNIPPET_LIMIT = 1000  # longest snippet text, in code points; longer regions carry none
SNIPPET_CONTEXT = 60  # columns either side of the region in the context of a long line

_DRIVE = re.compile(rb"^[A-Za-z]:/")


def artifact_uri(path: str, sep: str = os.sep) -> tuple[str, Optional[str]]:
    """(uri, uriBaseId) for a display path.

    Relative paths become percent-encoded relative URI references under ``%SRCROOT%``
    (``my flow.aether`` -> ``my%20flow.aether``); absolute paths (a file outside the
    working directory) become ``file://`` URIs with no base. A byte that was not UTF-8 in
    the file name (shown as ``\\xff``, see :func:`aether.walk.printable_path`) becomes
    that byte again, percent-encoded (``%FF``), so the URI names the real file. Only
    ``sep`` (the system's separator) and ``/`` separate folders: on POSIX a backslash is
    part of a file name and is encoded as ``%5C``, and ``C:/x`` is in a folder named
    ``C:`` (``C%3A/x``), not on a drive.
    """
    posix = path_bytes(path)
    drive = False
    if sep != "/":  # only there does `C:/` name a drive; on POSIX `C:` is a folder name
        posix = posix.replace(sep.encode(), b"/")
        drive = _DRIVE.match(posix) is not None
    if posix.startswith(b"/") or drive:
        prefix = "file://" if posix.startswith(b"/") else "file:///"
        return prefix + quote(posix, safe="/:"), None
    while posix.startswith(b"./"):
        posix = posix[2:]
    return quote(posix, safe="/"), SRCROOT


def _region_text(lines: list[str], line: int, column: Optional[int], end_line: int,
                 end_column: Optional[int]) -> Optional[str]:
    """The source text a region covers (columns 1-based, end exclusive); None if unknown."""
    if column is None or end_column is None:
        return None
    if end_line == line:
        return lines[line - 1][column - 1:end_column - 1]
    return "\n".join([lines[line - 1][column - 1:]] + lines[line:end_line - 1]
                     + [lines[end_line - 1][:end_column - 1]])


def _regions(result: FileResult, finding: Finding,
             lines: Optional[list[str]]) -> tuple[Optional[dict], Optional[dict]]:
    """(region, contextRegion) of a finding; (None, None) when it has no line."""
    line = finding.line
    if not line or line < 1:
        return None, None
    region: dict[str, Any] = {"startLine": line}
    column = finding.column if finding.column and finding.column >= 1 else None
    end_line = finding.end_line if finding.end_line and finding.end_line >= line else line
    if column is not None:
        region["startColumn"] = column
    if end_line != line:
        region["endLine"] = end_line
    end_column = finding.end_column
    if column is not None and end_column and (end_line > line or end_column >= column):
        region["endColumn"] = end_column
    else:
        end_column = None
    if lines is None or end_line > len(lines):
        return region, None
    rows = lines[line - 1:end_line]
    size = sum(len(r) for r in rows) + len(rows) - 1  # the lines joined, in code points
    if column is None:  # a region without columns is whole lines (SARIF 3.30.2)
        if size <= SNIPPET_LIMIT:
            region["snippet"] = {"text": "\n".join(rows)}
        return region, None
    huge = end_column is not None and end_line == line and end_column - column > SNIPPET_LIMIT
    text = None if huge else _region_text(lines, line, column, end_line, end_column)
    if text is not None and len(text) <= SNIPPET_LIMIT:
        region["snippet"] = {"text": text}
    if text is not None and len(text) == size:
        return region, None  # the region is the whole lines: a context must be larger
    context: dict[str, Any] = {"startLine": line}
    if end_line != line:
        context["endLine"] = end_line
    if size <= SNIPPET_LIMIT:
        context["snippet"] = {"text": "\n".join(rows)}
        return region, context
    if huge or end_line != line or (text is not None and len(text) > SNIPPET_LIMIT):
        return region, None  # too long to quote, and no window of one line holds it
    # A very long line: the context is a window of it around the region, not all of it.
    stop = min(len(rows[0]) + 1, (end_column or column + 1) + SNIPPET_CONTEXT)
    first = max(1, min(column, stop) - SNIPPET_CONTEXT)
    context.update(startColumn=first, endColumn=stop)
    context["snippet"] = {"text": rows[0][first - 1:stop - 1]}
    return region, context


def _location(result: FileResult, finding: Finding,
              lines: Optional[list[str]]) -> dict[str, Any]:
    uri, base = artifact_uri(result.path)
    artifact: dict[str, Any] = {"uri": uri}
    if base is not None:
        artifact["uriBaseId"] = base
    physical: dict[str, Any] = {"artifactLocation": artifact}
    region, context = _regions(result, finding, lines)
    if region is not None:
        physical["region"] = region
    if context is not None:
        physical["contextRegion"] = context
    return {"physicalLocation": physical}


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    rule = RULES[rule_id]
    help_text = help_md = rule.explanation
    if rule.wrong and rule.right:
        wrong, right = rule.wrong.rstrip("\n"), rule.right.rstrip("\n")
        help_text += f"\n\nWrong:\n{wrong}\n\nRight:\n{right}"
        help_md += f"\n\nWrong:\n\n```\n{wrong}\n```\n\nRight:\n\n```\n{right}\n```"
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": "error"},
        "properties": {"status": int(rule.status), "status_name": rule.status.name},
    }


def _result(result: FileResult, finding: Finding, suppressed: bool,
            index: dict[str, int], lines: Optional[list[str]]) -> dict[str, Any]:
    text = finding.message
    if finding.hint:
        text += "\nhint: " + finding.hint
    record: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": "error",
        "message": {"text": text},
        "locations": [_location(result, finding, lines)],
    }
    prints = {}
    if finding.fingerprint:
        prints["aether/v1"] = finding.fingerprint
    if finding.legacy_fingerprint:
        prints["aether-legacy/v1"] = finding.legacy_fingerprint
    if prints:
        record["partialFingerprints"] = prints
    if suppressed:
        record["suppressions"] = [{"kind": "inSource"}]
    return record


def sarif_log(results: Sequence[FileResult]) -> dict[str, Any]:
    """The SARIF log for ``results``: files in the given order, findings in source order."""
    pairs = [(r, f, s) for r in results for f, s in all_findings(r)]
    # each file's lines split once (not once per finding: quadratic on many findings)
    split = {id(r): None if r.source is None else r.source.split("\n")
             for r in results if r.findings or r.suppressed}
    rule_ids = sorted({f.rule for _, f, _ in pairs})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aether",
                "version": __version__,
                "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids],
            }},
            "columnKind": "unicodeCodePoints",
            "results": [_result(r, f, s, index, split[id(r)]) for r, f, s in pairs],
        }],
    }


def write_sarif(results: Sequence[FileResult], out: TextIO) -> None:
    """Write the SARIF log, indented, non-ASCII kept as is, with a trailing newline."""
    from .indented import dumps_indented  # json.dumps with indent is pure Python: slow

    out.write(dumps_indented(sarif_log(results)) + "\n")
