"""The canonical layout of Aether 1.2 (``aether fmt``): re-print the tokens, keep every comment.

The formatter works on the token stream of :class:`aether.syntax.lexer.Scanner`, not on the
AST, so nothing the parser drops (comments, line breaks inside brackets, number spelling)
is lost. It changes only layout:

- indentation: 4 spaces per block level; the continuation lines of a dash entry
  (``- when: X`` / ``do: ...``) line up 2 columns after the dash; tabs in indentation
  are expanded (tab stops every 4 columns) before anything else;
- spacing: one space around binary operators, ``=`` of bindings and after ``,`` / ``:``;
  none inside brackets, before ``(`` / ``[`` of a call or index, around ``.``, after unary
  ``-``, or around ``=`` of keyword arguments, parameter defaults and step options;
- lines broken inside brackets stay broken where the author broke them; continuation
  lines are indented one level per open bracket;
- blank lines: at most one in a row, none at the start of a block or the end of the file;
- quotes: ``'text'`` becomes ``"text"`` unless the text contains a double quote;
- comments: kept verbatim (trailing whitespace dropped); a trailing comment gets two
  spaces before ``#``; a comment on its own line takes the indentation of the block it
  was written in.

Formatting is idempotent and verified: the result must parse to the same AST as the input
(positions and quote spelling aside), otherwise :class:`FormatError` is raised and the
caller leaves the file alone. A file that does not parse is not formatted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import ast as A
from .gcpause import gc_paused
from .outofmemory import release

__all__ = ["FormatError", "FormatResult", "format_text", "ast_shape", "expand_indent_tabs",
           "strip_trailing", "FileOutcome", "format_file", "internal_error_message",
           "TAB_SIZE"]

TAB_SIZE = 4
INDENT = "    "

_OPENERS = {"LPAR", "LSQB", "LBRACE"}
_CLOSERS = {"RPAR", "RSQB", "RBRACE"}
_NO_SPACE_BEFORE = {"COMMA", "COLON", "RPAR", "RSQB", "RBRACE", "DOT"}
_OPERANDS = {"NAME", "STRING", "INT", "FLOAT", "DURATION", "TRUE", "FALSE", "NULL",
             "RPAR", "RSQB", "RBRACE"}
_POSTFIX_BEFORE = {"NAME", "STRING", "RPAR", "RSQB", "RBRACE", "TRUE", "FALSE", "NULL"}


class FormatError(Exception):
    """The file cannot be formatted: ``line`` and ``message`` say why (a syntax error, or
    a safety check that failed)."""

    def __init__(self, message: str, line: Optional[int] = None, rule: str = "AE100"):
        super().__init__(message)
        self.message = message
        self.line = line
        self.rule = rule


@dataclass(frozen=True)
class FormatResult:
    text: str
    changed: bool


def expand_indent_tabs(text: str, tab_size: int = TAB_SIZE) -> str:
    """Expand tabs in the leading whitespace of every line (tab stops every ``tab_size``)."""
    if "\t" not in text:
        return text
    out = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        lead = line[:len(line) - len(body)]
        if "\t" in lead:
            lead = lead.expandtabs(tab_size)
        out.append(lead + body)
    return "\n".join(out)


def strip_trailing(text: str) -> str:
    """``text`` with the blanks at the end of each line removed (line by line: linear)."""
    return "\n".join(line.rstrip(" \t\f\v") for line in text.split("\n"))


def _scanner():
    from .syntax.parser import get_parser

    got = get_parser()
    return got[1] if isinstance(got, tuple) else got.parser.lexer.scanner


def ast_shape(node) -> tuple:
    """A position-free, comparable form of an AST (string literals compared by value).

    Returns a flat tuple, the tree in preorder: ``("node", class name)``, ``("field",
    name)``, ``("tuple", length)`` and ``("value", v)`` entries. Two trees are equal exactly
    when their shapes are. Flat, because a long chain such as ``1 + 1 + ... + 1`` or
    ``a.b.c...`` is a tree as deep as it is long: building, comparing or hashing nested
    tuples of that depth would exhaust the stack.
    """
    out: list[tuple] = []
    stack = [node]
    skip = ("line", "column", "end_line", "end_column", "raw")
    while stack:
        item = stack.pop()
        if isinstance(item, _Field):
            out.append(("field", item.name))
            continue
        if isinstance(item, A.Node):
            out.append(("node", type(item).__name__))
            todo = []
            for name in item._fields:
                if name not in skip:
                    todo.append(_Field(name))
                    todo.append(getattr(item, name))
            stack.extend(reversed(todo))
        elif isinstance(item, tuple):
            out.append(("tuple", len(item)))
            stack.extend(reversed(item))
        else:
            out.append(("value", item))
    return tuple(out)


class _Field:
    """A field-name marker on :func:`ast_shape`'s work stack."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


def _double_quoted(raw: str) -> str:
    """``'text'`` as ``"text"`` when that needs no new escapes; other literals unchanged."""
    if not raw.startswith("'") or '"' in raw:
        return raw
    inner = raw[1:-1]
    out = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            nxt = inner[i + 1]
            out.append("'" if nxt == "'" else ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return '"' + "".join(out) + '"'


class _Line:
    """One logical line: its tokens, block level and whether it opens a block."""

    __slots__ = ("tokens", "level", "first", "last", "width")

    def __init__(self, tokens, level, width):
        self.tokens = tokens
        self.level = level
        self.first = tokens[0].line
        self.last = tokens[-1].line
        self.width = width


def _logical_lines(text: str):
    """Logical lines (with levels) and the comments of ``text``; raises the lexer's error."""
    from .syntax.lalr import Tok

    scanner = _scanner()
    lines: list[_Line] = []
    level = 0
    current: list = []
    src_lines = text.split("\n")
    for raw in scanner.scan(text, keep_comments=True):
        kind = raw[0]
        if kind == "$END":
            break
        tok = Tok(*raw)  # the scanner yields tuples; the layout below reads fields by name
        if kind == "_INDENT":
            level += 1
        elif kind == "_DEDENT":
            level -= 1
        elif kind == "_NL":
            if current:
                first = current[0]
                lines.append(_Line(current, level, first.column - 1))
            current = []
        else:
            current.append(tok)
    if current:
        lines.append(_Line(current, level, current[0].column - 1))
    comments = list(scanner.comments)
    del src_lines
    return lines, comments


def _render_tokens(tokens, dash_line: bool) -> list[tuple[int, str, int]]:
    """The physical rows of a logical line: ``(depth at start, text, depth at end)``.

    ``depth`` counts the rows that opened brackets still open (several brackets opened on
    one row indent the rows after it once); a row that starts with closing brackets is
    indented like the row that opened them.
    """
    rows: list[tuple[int, str, int]] = []
    stack: list[tuple[str, int]] = []
    parts: list[str] = []
    row_depth = 0
    row = 0
    prev = None
    prev_unary = False
    row_line = tokens[0].line

    def depth_of(entries) -> int:
        return len({r for _, r in entries})

    for i, tok in enumerate(tokens):
        kind = tok.type
        if tok.line != row_line:
            rows.append((row_depth, "".join(parts), depth_of(stack)))
            parts = []
            row_line = tok.line
            row += 1
            # Read in place: a copy of the rest (``tokens[i:]``) per row made a logical
            # line of n rows (a list literal one item a row) cost n**2 / 2.
            closers = 0
            for j in range(i, len(tokens)):
                t = tokens[j]
                if t.line != tok.line or t.type not in _CLOSERS:
                    break
                closers += 1
            row_depth = depth_of(stack[:max(0, len(stack) - closers)])
            prev = None
        if prev is not None and _space_between(prev, tok, stack, dash_line, prev_unary, i):
            parts.append(" ")
        # A minus is unary unless it follows an operand (the first one on a dash line is
        # the dash itself).
        unary = kind == "DASH" and i > 0 and tokens[i - 1].type not in _OPERANDS
        parts.append(_double_quoted(tok.value) if kind == "STRING" else tok.value)
        if kind in _OPENERS:
            stack.append((kind, row))
        elif kind in _CLOSERS and stack:
            stack.pop()
        prev = tok
        prev_unary = unary
    rows.append((row_depth, "".join(parts), depth_of(stack)))
    return rows


def _space_between(prev, tok, stack, dash_line, prev_unary, index) -> bool:
    p, k = prev.type, tok.type
    if k in _NO_SPACE_BEFORE:
        return False
    if p in _OPENERS or p == "DOT":
        return False
    if p == "DASH" and index == 1 and dash_line and not stack:
        return True  # "- item"
    if prev_unary:
        return False
    if k in ("LPAR", "LSQB") and p in _POSTFIX_BEFORE:
        return False
    in_parens = bool(stack) and stack[-1][0] == "LPAR"
    if k == "EQUAL" or p == "EQUAL":
        if in_parens or (dash_line and not stack):
            return False
        return True
    return True


@gc_paused
def format_text(text: str) -> FormatResult:
    """The canonical layout of ``text`` (decoded, ``\\n`` newlines).

    Raises FormatError when `aether check` would call the text a parse error (a syntax
    error or a legacy-dialect construct, with the first one's line and rule id; tabs in
    indentation, AE105, are the one error the formatter repairs) or, as a safety net, when
    the result would not parse to the same AST.
    """
    from .checker import CheckOptions, check_text
    from .codes import Status
    from .syntax import parse
    from .syntax.errors import AetherSyntaxError

    # Judged by `aether check` itself, on the text as written (only indentation tabs
    # expanded): stripping trailing whitespace first would drop a stray \f or \v that
    # check reports (AE101) and "repair" a file that does not parse; a legacy-dialect
    # line (AE2xx, from the scanner or the validator) is a parse error too.
    expanded = expand_indent_tabs(text)
    verdict = check_text(expanded, "<fmt>", CheckOptions(keep_source=False))
    e = next((f for f in verdict.findings if f.status == Status.PARSE_ERROR), None)
    if e is not None:
        raise FormatError(f"{e.message} ({e.rule})", e.line, e.rule)
    before = parse(expanded)
    if before.errors:  # pragma: no cover - check_text reported them already
        e = before.errors[0]
        raise FormatError(f"{e.message} ({e.rule})", e.line, e.rule)
    work = strip_trailing(expanded)
    try:
        lines, comments = _logical_lines(work)
    except AetherSyntaxError as exc:  # pragma: no cover - parse() reported it already
        raise FormatError(str(exc), getattr(exc, "line", None))
    src = work.split("\n")
    out = _layout(src, lines, comments)
    del lines, comments, src  # the tokens are not needed to parse the result
    after = parse(out)
    if after.errors or not _same_program(before.module, after.module):
        raise FormatError("internal check failed: the formatted text would not parse to the "
                          "same program; the file was left as it is", None, "AE999")
    return FormatResult(out, out != text)


def _same_program(a: A.Module, b: A.Module) -> bool:
    """Whether two modules have the same :func:`ast_shape`, worked out one top-level
    statement at a time: two shapes of a whole large file at once took about 100 bytes
    of memory per byte of the file."""
    return len(a.body) == len(b.body) and all(
        ast_shape(x) == ast_shape(y) for x, y in zip(a.body, b.body))


def _layout(src: list[str], lines: list[_Line], comments) -> str:
    comment_at: dict[int, str] = {c[0]: c[2].rstrip() for c in comments}
    out: list[str] = []
    canon: list[int] = [0]  # canonical width of each open level
    orig: list[int] = [0]   # original width of each open level
    state = {"blank": False, "header": True}  # header: at file start or after a block header
    prev_line: Optional[_Line] = None

    def canon_width(level: int) -> int:
        if level < len(canon):
            return canon[level]
        step = 2 if prev_line is not None and prev_line.tokens[0].type == "DASH" else 4
        return canon[-1] + step * (level - len(canon) + 1)

    def flush_blank():
        if state["blank"] and not state["header"]:
            out.append("")
        state["blank"] = False

    def emit_gap(lo: int, hi: int, next_line: Optional[_Line]):
        low = next_line.level if next_line is not None else 0
        high = prev_line.level if prev_line is not None else low
        widths = list(orig[:high + 1])
        if next_line is not None and prev_line is not None and next_line.level > high:
            high = next_line.level
            widths.append(next_line.width)
        for number in range(lo, hi):
            text = src[number - 1]
            if number not in comment_at:
                if not text.strip() and not state["header"]:
                    state["blank"] = True
                continue
            col = len(text) - len(text.lstrip())
            level = low
            for lv in range(low, high + 1):
                if lv < len(widths) and widths[lv] <= col:
                    level = lv
            flush_blank()
            out.append(" " * canon_width(level) + comment_at[number])
            state["header"] = False

    cursor = 1
    for ln in lines:
        emit_gap(cursor, ln.first, ln)
        if ln.level >= len(canon):
            width = canon_width(ln.level)
            while len(canon) <= ln.level:
                canon.append(width)
                orig.append(ln.width)
        else:
            del canon[ln.level + 1:]
            del orig[ln.level + 1:]
        flush_blank()
        base = canon[ln.level]
        rows = _render_tokens(ln.tokens, ln.tokens[0].type == "DASH")
        lines_with_tokens = []
        for tok in ln.tokens:
            if not lines_with_tokens or lines_with_tokens[-1] != tok.line:
                lines_with_tokens.append(tok.line)
        row_of = {number: i for i, number in enumerate(lines_with_tokens)}
        depth = 0
        for number in range(ln.first, ln.last + 1):
            if number in row_of:
                start, text, depth = rows[row_of[number]]
                line_text = " " * (base + 4 * start if row_of[number] else base) + text
                if number in comment_at:
                    line_text += "  " + comment_at[number]
                out.append(line_text)
            elif number in comment_at:
                out.append(" " * (base + 4 * max(depth, 1)) + comment_at[number])
            # blank lines inside brackets are dropped
        state["header"] = ln.tokens[-1].type == "COLON"
        prev_line = ln
        cursor = ln.last + 1
    emit_gap(cursor, len(src) + 1, None)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n" if out else ""


# ---------------------------------------------------------------- files

def internal_error_message(exc: BaseException) -> str:
    """The one-line report of a formatter bug on one file (the traceback with AETHER_DEBUG)."""
    release(exc)  # a MemoryError's frames hold what filled memory: free it first
    import os
    import sys
    import traceback

    if os.environ.get("AETHER_DEBUG"):
        sys.stderr.write(traceback.format_exc())
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"internal error while formatting this file: {detail} (this is a bug; " \
           "AETHER_DEBUG=1 shows the details)"


@dataclass
class FileOutcome:
    """What formatting one file did: ``state`` is unchanged, changed (or would change with
    ``write=False``) or error; ``code`` is its status code (0, 20, 26, 27)."""

    display: str
    state: str
    code: int = 0
    message: str = ""
    line: Optional[int] = None
    diff: str = ""


def format_file(path: str, display: Optional[str] = None, write: bool = False,
                want_diff: bool = False, max_size: Optional[int] = None,
                follow_links: bool = False) -> FileOutcome:
    """Format the file at ``path``; with ``write`` rewrite it atomically when it changes.

    A symbolic link is rewritten (its target replaced) only with ``follow_links``, for a
    path named on the command line; otherwise it is an IO_ERROR outcome saying it was
    skipped (docs/security.md).

    Never raises for a bad file: unreadable, binary or non-UTF-8 input is an IO_ERROR (26)
    outcome, a syntax error PARSE_ERROR (20), a failed write IO_ERROR with the reason, and
    a bug of the formatter itself an INTERNAL_ERROR (27) outcome for this file alone, so a
    run over many files goes on to the next one.
    """
    from .fileio import WriteError, encode_like, unified_diff, write_atomic
    from .source import DEFAULT_MAX_FILE_SIZE, read_source

    shown = display if display is not None else path
    read = read_source(path, max_size or DEFAULT_MAX_FILE_SIZE)
    if read.error is not None:
        return FileOutcome(shown, "error", 26, read.error.message)
    try:
        result = format_text(read.text)
    except FormatError as exc:
        code = 27 if exc.rule == "AE999" else 20
        return FileOutcome(shown, "error", code, f"cannot format: {exc.message}", exc.line)
    except Exception as exc:  # noqa: BLE001 - a formatter bug must not stop the other files
        from .interrupt import interrupt_behind

        if interrupt_behind(exc) is not None:  # Ctrl-C wrapped (a RuntimeError): no bug
            raise interrupt_behind(exc) from None
        return FileOutcome(shown, "error", 27, internal_error_message(exc))
    if not result.changed:
        return FileOutcome(shown, "unchanged")
    new_bytes = encode_like(read.data, result.text)
    if new_bytes == read.data:
        return FileOutcome(shown, "unchanged")
    diff = ""
    if want_diff:
        diff = unified_diff(read.data.decode("utf-8"), new_bytes.decode("utf-8"), shown)
    if write:
        try:
            write_atomic(path, new_bytes, expect=read.data, follow_links=follow_links)
        except WriteError as exc:
            return FileOutcome(shown, "error", 26, exc.reason, diff=diff)
    return FileOutcome(shown, "changed", diff=diff)
