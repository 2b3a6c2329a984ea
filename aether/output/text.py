"""The text report for people: each finding with its source line and a caret, then a summary.

The report is built once as styled lines (text, style) and then either joined as plain
text or handed to rich for colour, so both have exactly the same layout. rich is imported
only inside :func:`_write_rich`: printing plain text must not pay its import time.

Source lines are shown as a terminal would draw them: tabs expand to the next multiple of
:data:`TAB_SIZE`, wide (East Asian) characters take two cells, combining marks none, and
control and invisible format characters (escape sequences, bidi overrides) are shown as
visible placeholders so a source file cannot drive the terminal. Carets are placed by the
same widths, so they sit under the span whatever the line contains. A line longer than
:data:`SNIPPET_MAX` code points is clipped to a window around the span, marked ``...``.
"""

from __future__ import annotations

import unicodedata

from ..diagnostics import FileResult, Finding, SourceLines
from .records import all_findings, summary

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Optional, Sequence, TextIO

__all__ = ["printable", "printable_message", "PrintableLines", "diff_stream", "markdown_text",
           "TAB_SIZE", "render_lines", "render_text", "write_text", "display_line",
           "caret_span", "clip_line", "summary_line"]

TAB_SIZE = 4
SNIPPET_MAX = 200  # code points of a source line shown whole; longer ones are clipped
SNIPPET_CONTEXT = 60  # code points kept before (and after) the span of a clipped line
ELLIPSIS = "..."

if TYPE_CHECKING:  # annotations only
    Part = tuple[str, Optional[str]]  # (text, rich style or None)
    Line = list[Part]

_STYLES = {
    "location": "bold",
    "rule": "bold red",
    "status": "red",
    "suppressed": "dim",
    "gutter": "bold blue",
    "caret": "bold red",
    "hint": "cyan",
    "ok": "bold green",
    "failed": "bold red",
}


def _visible(ch: str) -> str:
    """How one non-tab character is drawn: itself, or a placeholder when it is invisible."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block: ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    category = unicodedata.category(ch)
    if category == "Cc" or category == "Cf" or category in ("Zl", "Zp"):
        return f"<U+{code:04X}>"
    return ch


def _width(text: str) -> int:
    """Terminal cells taken by already-visible ``text``."""
    cells = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        cells += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cells


def display_line(line: str) -> tuple[str, list[int]]:
    """``line`` as drawn, and the display cell at which each code point starts.

    The returned offsets have ``len(line) + 1`` entries: the last is the line's width, so
    a column just past the end (an end-of-line or end-of-file position) has a cell too.
    """
    out: list[str] = []
    starts: list[int] = []
    cells = 0
    for ch in line:
        starts.append(cells)
        if ch == "\t":
            pad = TAB_SIZE - cells % TAB_SIZE
            out.append(" " * pad)
            cells += pad
        else:
            shown = _visible(ch)
            out.append(shown)
            cells += _width(shown)
    starts.append(cells)
    return "".join(out), starts


def caret_span(line: str, column: Optional[int], end_line: Optional[int],
               end_column: Optional[int], line_no: int) -> tuple[int, int]:
    """(first cell, number of carets) to underline on ``line`` (source line ``line_no``).

    Columns are 1-based code points, ``end_column`` exclusive. A span that continues on
    later lines is underlined to the end of this line; an unknown column underlines the
    line's text; there is always at least one caret.
    """
    _, starts = display_line(line)
    n = len(line)
    if column is None:
        first = len(line) - len(line.lstrip())
        last = len(line.rstrip())
        if last <= first:
            return starts[min(first, n)], 1
        return starts[first], max(1, starts[last] - starts[first])
    begin = min(max(column, 1) - 1, n)
    extra = max(column - 1 - n, 0)  # a column past the end (EOF) still gets its caret
    if end_line is not None and end_line > line_no:
        end = n
    elif end_column is None:
        end = begin + 1
    else:
        end = min(max(end_column - 1, begin), n)
    start_cell = starts[begin] + extra
    if begin >= n:
        return start_cell, 1
    return start_cell, max(1, starts[end] - starts[begin])


def _clean(text: str) -> str:
    """A message or path made safe to print: invisible characters shown as placeholders.

    A tab becomes one space, so plain and rich output (which expands tabs itself) agree.
    """
    return "".join(" " if ch == "\t" else _visible(ch) for ch in text)


#: :func:`_clean` for the other text outputs (`aether tools list/show` print the
#: catalogue's free text, which a repository controls).
printable = _clean


def markdown_text(text: str) -> str:
    """``text`` for one Markdown table cell or list item (the reports for a pull request:
    gate, migrate, classify, gates): ``|`` escaped, every line ending (CR too, which
    CommonMark also ends a line with, so two of them would start a heading or a list of
    the file name's choosing) a space, other invisible characters as placeholders."""
    flat = text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return _clean(flat)


def printable_message(text: str) -> str:
    """A command's error message made safe to print, its newlines kept: the file names and
    document values it repeats (a link a shell glob handed over, a configured path) are
    the repository's text, and their escape sequences are shown as placeholders."""
    return "\n".join(_clean(part) for part in text.split("\n"))


class PrintableLines:
    """A text stream wrapper whose ``write`` shows invisible characters of each line as
    placeholders (newlines kept): for the messages of `fmt`, `migrate`, `sign` and
    `verify`, which name files and quote source text a repository controls; an escape
    sequence there would be obeyed by the terminal or CI log that shows it."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` made printable; returns the number of characters given."""
        self.stream.write("\n".join(_clean(part) for part in text.split("\n")))
        return len(text)

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self.stream.flush()


def diff_stream(stream: TextIO):
    """Where to write a unified diff of the repository's text: on a terminal, through
    :class:`PrintableLines` (a comment the diff quotes may hold an escape sequence the
    terminal would obey); piped, ``stream`` itself, so ``| patch -p0`` gets exact lines."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        terminal = False
    return PrintableLines(stream) if terminal else stream


def _header(path: str, finding: Finding, suppressed: bool) -> list[Line]:
    where = _clean(path)
    if finding.line:
        where += f":{finding.line}"
        if finding.column:
            where += f":{finding.column}"
    first, *rest = finding.message.split("\n")
    parts: Line = [(where + ":", "location"), (" ", None), (finding.rule, "rule"), (" ", None),
                   (f"[{finding.code_name}]", "status"), (" ", None), (_clean(first), None)]
    if suppressed:
        parts = [(text, "suppressed") for text, _ in parts] + [(" (suppressed)", "suppressed")]
    # a message of several lines continues indented under its header
    return [parts] + [[("    " + _clean(more), "suppressed" if suppressed else None)]
                      for more in rest]


def _source_lines(result: FileResult) -> Optional[SourceLines]:
    """The source's lines, numbered as the lexer counts them (None: not kept). Each is
    found when a finding asks for it: no list of every line of the file."""
    return None if result.source is None else SourceLines(result.source)


def _source_line(lines: Optional[SourceLines], line: Optional[int]) -> Optional[str]:
    """Source line ``line`` (1-based), or None when unknown."""
    if lines is None:
        return None
    return lines.get(line)


def clip_line(line: str, column: Optional[int], end_line: Optional[int],
              end_column: Optional[int], line_no: int
              ) -> tuple[str, Optional[int], Optional[int], Optional[int], bool, bool]:
    """A long line cut to a window around the finding, for the snippet.

    Returns (text, column, end_line, end_column, cut_left, cut_right), the columns moved
    into the window. Lines up to :data:`SNIPPET_MAX` code points are returned whole; a
    longer one (minified data, a generated call) keeps :data:`SNIPPET_CONTEXT` code points
    before the span and fills the rest of the window, so a report never repeats a huge
    line once per finding.
    """
    n = len(line)
    if n <= SNIPPET_MAX:
        return line, column, end_line, end_column, False, False
    if column is None:
        begin = n - len(line.lstrip())
        end = len(line.rstrip())
    else:
        begin = min(max(column, 1) - 1, n)
        if end_line is not None and end_line > line_no:
            end = n
        elif end_column is None:
            end = begin + 1
        else:
            end = min(max(end_column - 1, begin + 1), n)
    start = max(0, begin - SNIPPET_CONTEXT)
    stop = min(n, max(end, begin + 1) + SNIPPET_CONTEXT, start + SNIPPET_MAX)
    text = line[start:stop]
    if column is None:
        column, end_line, end_column = begin - start + 1, line_no, end - start + 1
    else:
        column = begin - start + 1
        if end_line is not None and end_line > line_no:
            end_line, end_column = line_no, len(text) + 1
        elif end_column is not None:
            end_column = min(end, stop) - start + 1
    return text, column, end_line, end_column, start > 0, stop < n


def _finding_lines(result: FileResult, finding: Finding, suppressed: bool,
                   show_source: bool, source_lines: Optional[SourceLines] = None) -> list[Line]:
    lines: list[Line] = _header(result.path, finding, suppressed)
    gutter = "  "
    source = _source_line(source_lines, finding.line) if show_source else None
    if source is not None and finding.line:
        number = str(finding.line)
        gutter = " " * (len(number) + 1)
        text, column, end_line, end_column, cut_left, cut_right = clip_line(
            source, finding.column, finding.end_line, finding.end_column, finding.line)
        shown, _ = display_line(text)
        first, count = caret_span(text, column, end_line, end_column, finding.line)
        if cut_left:
            shown, first = ELLIPSIS + shown, first + len(ELLIPSIS)
        if cut_right:
            shown += ELLIPSIS
        lines.append([(gutter + "|", "gutter")])
        lines.append([(number + " |", "gutter")] + ([(" " + shown, None)] if shown else []))
        lines.append([(gutter + "|", "gutter"), (" " + " " * first, None),
                      ("^" * count, "caret")])
    if finding.hint:
        first, *rest = finding.hint.split("\n")
        lines.append([(gutter + "= ", "gutter"), ("hint: " + _clean(first), "hint")])
        lines.extend([(gutter + "        " + _clean(more), "hint")] for more in rest)
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(counts: dict) -> str:
    """The closing sentence, e.g. ``Found 3 findings in 2 of 5 files (1 suppressed).``."""
    files, failed = counts["files"], counts["failed"]
    note = f" ({counts['suppressed']} suppressed)" if counts["suppressed"] else ""
    if files == 0:
        return f"No files checked{note}."
    if failed == 0:
        passed = "1 file passed" if files == 1 else f"All {files} files passed"
        return f"{passed}{note}."
    where = "in 1 file" if files == 1 else f"in {failed} of {files} files"
    return f"Found {_plural(counts['findings'], 'finding')} {where}{note}."


def render_lines(results: Sequence[FileResult], *, show_source: bool = True,
                 show_suppressed: bool = False) -> list[Line]:
    """The whole report as styled lines (no newlines inside)."""
    lines: list[Line] = []
    for result in results:
        source_lines = _source_lines(result) if show_source else None
        for finding, suppressed in all_findings(result):
            if suppressed and not show_suppressed:
                continue
            if show_source and lines:
                lines.append([])  # with source lines, a blank line between findings
            lines.extend(_finding_lines(result, finding, suppressed, show_source,
                                        source_lines))
    counts = summary(results)
    if lines:
        lines.append([])
    lines.append([(summary_line(counts), "failed" if counts["failed"] else "ok")])
    return lines


def render_text(results: Sequence[FileResult], *, show_source: bool = True,
                show_suppressed: bool = False) -> str:
    """The plain-text report, ending in a newline."""
    return "".join("".join(text for text, _ in line) + "\n"
                   for line in render_lines(results, show_source=show_source,
                                            show_suppressed=show_suppressed))


def _write_rich(lines: list[Line], out: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, no_color=False, color_system="standard",
                      highlight=False, markup=False, emoji=False, legacy_windows=False,
                      soft_wrap=True, tab_size=TAB_SIZE)
    for line in lines:
        console.print(Text.assemble(*[(text, _STYLES[style]) if style else text
                                      for text, style in line]), soft_wrap=True)


def write_text(results: Sequence[FileResult], out: TextIO, *, color: bool = False,
               show_source: bool = True, show_suppressed: bool = False) -> None:
    """Write the text report to ``out``; with ``color``, styled through rich."""
    if color:
        _write_rich(render_lines(results, show_source=show_source,
                                 show_suppressed=show_suppressed), out)
    else:
        out.write(render_text(results, show_source=show_source,
                              show_suppressed=show_suppressed))
