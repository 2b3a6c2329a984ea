"""Parse Aether 1.2 source into an :class:`aether.ast.Module`, collecting every syntax error.

Lark computes the LALR tables (:mod:`aether.syntax.tables`, the only module that imports
Lark); the parser is built from them once per process and builds AST nodes directly on
each reduce (no intermediate parse tree). After an error the offending statement (and its
indented block) is masked out and parsing resumes one top-level statement before it, so one
run reports the errors of every statement; the top-level statements before that point are
kept from the attempt that met the error, so a file with errors costs about one parse.
"""

from __future__ import annotations

import re
from _weakref import ref as _weak_ref  # what weakref.ref is; `weakref` costs start-up time

from .. import ast as A
from ..outofmemory import RESERVE, arm, spend
from ..record import SET, FrozenRecord, Record
from .builder import AstBuilder
from .errors import AetherSyntaxError
from .lalr import Parser, Tok, UnexpectedToken
from .lexer import Scanner
from .memo import Memo
from .tables import grammar_hash, grammar_text, load_tables

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Optional
    from weakref import ReferenceType

__all__ = ["ParseResult", "SyntaxIssue", "parse", "grammar_text", "grammar_hash", "get_parser",
           "MAX_ERRORS", "RECOVERED", "memo_parses", "memoising", "parse_items"]

MAX_ERRORS = 25
RECOVERED = "__aether_recovered__"

_PARSER: Optional[tuple[Parser, Scanner]] = None


def get_parser() -> tuple[Parser, Scanner]:
    """The process-wide parser and scanner (built on first use)."""
    global _PARSER
    if _PARSER is None:
        tables = load_tables()
        _PARSER = (Parser(tables, AstBuilder()), Scanner(tables.terminals))
    return _PARSER


# ---------------------------------------------------------------- results

class SyntaxIssue(FrozenRecord):
    """One syntax error, positioned, with its rule id."""

    __slots__ = _fields = ("rule", "message", "line", "column", "end_line", "end_column",
                           "hint")
    rule: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    hint: Optional[str]

    def __init__(self, rule, message, line, column, end_line, end_column, hint=None):
        SET(self, "rule", rule)
        SET(self, "message", message)
        SET(self, "line", line)
        SET(self, "column", column)
        SET(self, "end_line", end_line)
        SET(self, "end_column", end_column)
        SET(self, "hint", hint)


class ParseResult(Record):
    """What parsing a file produced: a (possibly partial) module and its syntax errors.

    ``masked`` lists the line ranges (first, last) that error recovery removed; names bound
    there are unknown, so the validator does not report unbound names after an error.
    ``spans`` is None or, from :func:`parse` when the text needed no normalising and has
    syntax errors, where each range of ``masked`` lies in the text:
    (offset of its first line, offset of the end of its last line; None for a range of no
    line of the text), so that the checker reads those lines without counting the lines
    before them.
    """

    _fields = ("module", "errors", "masked", "spans")
    __slots__ = _fields + ("__weakref__",)  # the last-parse cache refers to it weakly
    module: A.Module
    errors: list[SyntaxIssue]
    masked: list[tuple[int, int]]
    spans: Optional[list[Optional[tuple[int, int]]]]

    def __init__(self, module, errors=None, masked=None, spans=None):
        self.module = module
        self.errors = [] if errors is None else errors
        self.masked = [] if masked is None else masked
        self.spans = spans

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- error wording

_WORDS = {
    "NAME": "a name", "STRING": "a string", "INT": "a number", "FLOAT": "a number",
    "DURATION": "a duration", "_NL": "the end of the line", "_INDENT": "an indented block",
    "_DEDENT": "the end of the block", "$END": "the end of the file",
    "COLON": "':'", "EQUAL": "'='", "COMMA": "','", "DOT": "'.'", "LPAR": "'('",
    "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'",
    "PLUSEQ": "'+='", "MINUSEQ": "'-='", "DASH": "'-'", "PLUS": "'+'", "STAR": "'*'",
    "SLASH": "'/'", "PERCENT": "'%'", "EQEQ": "'=='", "NOTEQ": "'!='", "LESS": "'<'",
    "LESSEQ": "'<='", "MORE": "'>'", "MOREEQ": "'>='",
}
_EXPR_START = {"NAME", "STRING", "INT", "FLOAT", "DURATION", "TRUE", "FALSE", "NULL",
               "LSQB", "LBRACE", "LPAR", "DASH", "NOT"}
_OPERATORS = {"PLUS", "DASH", "STAR", "SLASH", "PERCENT", "EQEQ", "NOTEQ", "LESS", "LESSEQ",
              "MORE", "MOREEQ", "IN", "AND", "OR", "DOT", "LSQB", "LPAR"}
_STMT_START = {"IF", "FOR", "WHILE", "FN", "TRY", "RETURN", "BREAK", "CONTINUE", "AWAIT"}
_KEYWORDS = {"IF", "ELIF", "ELSE", "FOR", "IN", "WHILE", "FN", "RETURN", "TRY", "CATCH",
             "BREAK", "CONTINUE", "AWAIT", "NOT", "AND", "OR", "TRUE", "FALSE", "NULL", "AS"}


def _word(term: str) -> str:
    if term in _WORDS:
        return _WORDS[term]
    if term in _KEYWORDS:
        return f"'{term.lower()}'"
    return term


def _expected_words(expected: set[str]) -> str:
    exp = set(expected)
    words: list[str] = []
    if _STMT_START <= exp:
        words.append("a statement")
        exp -= _STMT_START | _EXPR_START
    if len(exp & _EXPR_START) >= 5:
        words.append("an expression")
        exp -= _EXPR_START
    if len(exp & _OPERATORS) >= 5:
        words.append("an operator")
        exp -= _OPERATORS
    words.extend(sorted({_word(t) for t in exp}))
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    if len(words) > 6:
        words = words[:6] + ["..."]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _found(tok) -> str:
    if tok.type in ("_NL", "_INDENT", "_DEDENT", "$END"):
        return _word(tok.type)
    return f"'{tok.value}'"


def _header_before(lines: list[str], line: int) -> Optional[tuple[int, str]]:
    """The nearest code line above ``line`` (1-based), as (line, stripped text)."""
    i = line - 2
    while i >= 0:
        s = lines[i].strip()
        if s and not s.startswith("#"):
            return i + 1, s
        i -= 1
    return None


def _try_before(lines: list[str], line: int, at_code: bool = True) -> Optional[int]:
    """The line of the `try:` header above ``line`` that is still waiting for its `catch`:
    the nearest one with no `catch` at its own indentation between it and ``line`` and,
    when the parser stopped at the code on ``line`` (``at_code``; not at the end of a
    block), indented no deeper than that code."""
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    limit = len(here) - len(here.lstrip()) if here.strip() and at_code else None
    caught: set[int] = set()  # indentations of `catch` lines seen (walking up)
    i = min(line, len(lines) + 1) - 2
    while i >= 0:
        s = lines[i]
        stripped = s.strip()
        if stripped and not stripped.startswith("#"):
            indent = len(s) - len(s.lstrip())
            if _CONTINUATION_RE.match(s) and stripped.startswith("catch"):
                caught.add(indent)
            elif re.match(r"try\s*:", stripped):
                if indent in caught:
                    caught.discard(indent)
                elif limit is None or indent <= limit:
                    return i + 1
            elif limit is not None and indent < limit:
                limit = indent  # left the block: an enclosing try must be shallower
        i -= 1
    return None


def _translate(exc: UnexpectedToken, lines: list[str],
               open_brackets: list[tuple[str, int, int]] = (), current: Optional[str] = None,
               logical: Optional[dict[int, int]] = None,
               current_lines: Optional[list[str]] = None,
               learnt: Optional[_Learnt] = None) -> AetherSyntaxError:
    """A parser error in the user's terms: what was expected, what was found, where.

    ``lines`` are the original source lines (for messages), ``current`` the text the parser
    was given (earlier errors masked; same line count) and ``current_lines`` its lines
    when the caller has them (read only), ``open_brackets`` and ``logical`` the scanner's
    bracket stack and logical-line starts at the error; ``learnt`` what the scans of the
    earlier errors of this parse found past them (None: scan afresh).
    """
    tok = exc.token
    text = current if current is not None else "\n".join(lines)
    cur = current_lines if current_lines is not None else text.split("\n")
    scanner = get_parser()[1]

    def close_line(line: int, column: int) -> Optional[int]:
        if learnt is not None and learnt.never_closed(line, column, cur[line - 1],
                                                      scanner.pair):
            return None
        return _close_line(scanner, text, _offset(cur, line, column), line, learnt)

    through = 0
    last_closed = None  # (bracket, line where it closes) when that was looked up
    if open_brackets and open_brackets[-1][1] < tok.line:
        opener, oline, ocol = open_brackets[-1]
        closed = close_line(oline, ocol)
        last_closed = (open_brackets[-1], closed)
        if closed is None:
            # The statement ran on past its line inside a bracket that is never closed:
            # the bracket is the problem, and the error token's line starts afresh.
            return AetherSyntaxError("AE102", f"'{opener}' opened at line {oline}, column "
                                     f"{ocol} is not closed before line {tok.line}", oline, ocol,
                                     recover_line=oline, resume_line=tok.line)
    if open_brackets:
        # The token is the problem (a missing comma, say), and the statement runs on to
        # where its outermost bracket closes: recovery removes it all.
        _, bline, bcol = open_brackets[0]
        if last_closed is not None and last_closed[0] == open_brackets[0]:
            through = last_closed[1] or 0  # the only bracket open: looked up above
        else:
            through = close_line(bline, bcol) or 0
    err = _classify(exc, lines, text, cur, logical or {}, learnt)
    err.mask_through = max(err.mask_through, through)
    return err


def _offset(cur: list[str], line: int, column: int) -> int:
    """The offset in the text of ``cur`` (its lines) of a 1-based line and column."""
    before = cur[:line - 1]
    return sum(map(len, before)) + len(before) + column - 1  # map: no Python loop per line


def _key(line: int, column: int) -> int:
    """One int for a (line, column): _Learnt keeps one per bracket, a tuple costs more."""
    return line << 32 | column


class _Learnt:
    """What the bracket scans of one parse's error recovery found in the text after the
    error they were made for, kept for the errors after it (which would scan that text
    again: a file whose every line opens a bracket it never closes took a scan to its end
    per error, 25 passes over the file).

    A finding about the text from line L on holds until recovery masks a line at or past
    L (masking changes no other line, nor the line count): each finding is kept with the
    number of ranges masked when it was made, ``lasts`` the last line of each range
    masked since the parse began.
    """

    __slots__ = ("never_closed_at", "no_closer_after", "runs_on", "lasts")

    def __init__(self) -> None:
        # (generation, key): no bracket after the one at the key closes a bracket opened
        # before it, but the end of a pair (lexer.Scanner.pair)
        self.no_closer_after: list[tuple[int, int]] = []
        # (generation, keys of the brackets found never closed, ascending)
        self.never_closed_at: list[tuple[int, list[int]]] = []
        # (generation, first line, depth at the newline ending each line from it on,
        #  their suffix minima, the text's last line, the depth at the end of the text)
        self.runs_on: list[tuple[int, int, list[int], list[int], int, int]] = []
        self.lasts: list[int] = []

    def masked(self, last: int) -> None:
        """Recovery masked a range of lines ending at ``last``."""
        self.lasts.append(last)

    def _holds(self, generation: int, line: int) -> bool:
        """Whether what was learnt at ``generation`` about the text from ``line`` on holds."""
        for last in self.lasts[generation:]:  # at most MAX_ERRORS of them
            if last >= line:
                return False
        return True

    def left_open(self, opened: list[int]) -> None:
        """A bracket scan ended (at the end of the text or at a closing bracket of the wrong
        kind) with the brackets at these keys (ascending) still open: each of them is
        never closed (a scan from one of them meets what this scan met after it)."""
        self.never_closed_at.append((len(self.lasts), opened))

    def no_closer(self, line: int, column: int) -> None:
        """A scan found that no bracket after the one at ``line``, ``column`` closes one
        opened before it but the end of a pair: that bracket, and every one after it
        not the start of a pair, is never closed."""
        self.no_closer_after.append((len(self.lasts), _key(line, column)))

    def _closerless(self, line: int, column: int) -> bool:
        """Whether no bracket after ``line``, ``column`` closes one opened before it but
        the end of a pair (False: not known)."""
        key = _key(line, column)
        for generation, after in self.no_closer_after:
            if after <= key and self._holds(generation, line):
                return True
        return False

    def never_closed(self, line: int, column: int, text: str, pair: Optional[re.Pattern]
                     ) -> bool:
        """True when a scan found the bracket at ``line``, ``column`` (of the line
        ``text``) never closed (False: not known; scan). ``pair``: the scanner's."""
        from bisect import bisect_left

        if pair is not None and self._closerless(line, column) \
                and not pair.match(text, column - 1):
            return True
        key = _key(line, column)
        for generation, keys in self.never_closed_at:
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key and self._holds(generation, line):
                return True
        return False

    def ran_on(self, line: int, depths: list[int], last: int, depth: int) -> None:
        """A statement scan from ``line`` reached the end of the text (its line ``last``, at
        bracket depth ``depth``) without ending: ``depths`` its depth at the newline
        ending each line from ``line`` on (all above 0)."""
        minima = depths[:]
        for i in range(len(minima) - 2, -1, -1):
            if minima[i + 1] < minima[i]:
                minima[i] = minima[i + 1]
        self.runs_on.append((len(self.lasts), line, depths, minima, last, depth))

    def statement_end(self, line: int, column: int, text: str, lines: int,
                      opens: Optional[re.Pattern]) -> Optional[tuple[int, bool]]:
        """What :func:`_statement_end` gives a statement starting at ``line``, ``column``
        (its first character; ``text`` that line, of ``lines`` in all) when a scan went
        past it: when no bracket after it closes one but the end of a pair and the line
        opens one that is not the start of a pair (``opens``: the scanner's), or an
        earlier statement's scan reached the end of the text and no newline after this
        statement's start came back to its depth; None: not known, scan."""
        if opens is not None and self._closerless(line, column) and opens.match(text,
                                                                                column - 1):
            return lines, True  # the depth only grows from the end of this line
        for generation, first, depths, minima, last, depth in self.runs_on:
            at = line - 1 - first  # the newline ending the line before `line`
            if 0 <= at < len(depths) and self._holds(generation, line):
                base = depths[at]
                if at + 1 == len(minima) or minima[at + 1] > base:
                    return last, depth > base
        return None


def _close_line(scanner: Scanner, text: str, pos: int, line: int,
                learnt: Optional[_Learnt] = None) -> Optional[int]:
    """The line of the bracket closing the one at ``pos`` (on ``line``), following the
    brackets that ``scanner`` finds (one step per bracket: a bracket never closed is
    looked for to the end of the file).

    None when it is never closed, or a bracket inside it is closed by the wrong kind.
    Then ``learnt`` (when given) is told which brackets the scan left open.
    """
    closer = scanner.next_closer
    if closer is not None and closer.match(text, pos + 1).group("OP") is None:
        # No bracket after it closes one (but the end of a pair): one pass in C.
        if learnt is not None:
            learnt.no_closer(line, pos - text.rfind("\n", 0, pos))
        return None
    stack: list[str] = []
    opened: Optional[list[int]] = None if learnt is None else []  # the keys of `stack`
    jump = scanner.next_bracket
    if jump is not None:
        at = pos
        count = text.count
        line_start = text.rfind("\n", 0, pos) + 1
        for m in jump.finditer(text, pos):
            value = m.group("OP")
            if value is None:  # the end of the text
                break
            start = m.end() - 1
            newlines = count("\n", at, start)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", at, start) + 1
            at = start
            if value in _OPEN:
                stack.append(value)
                if opened is not None:
                    opened.append(_key(line, start - line_start + 1))
            elif not stack or stack.pop() != _CLOSE[value]:
                break
            else:
                if opened is not None:
                    opened.pop()
                if not stack:
                    return line
        if opened:
            learnt.left_open(opened)
        return None
    line_start = text.rfind("\n", 0, pos) + 1
    for m in scanner.bracket_scan.finditer(text, pos):
        kind = m.lastgroup
        if kind == "NL":
            line += 1
            line_start = m.end()
        elif kind == "OP":
            value = m.group()
            if value in _OPEN:
                stack.append(value)
                if opened is not None:
                    opened.append(_key(line, m.start() - line_start + 1))
            elif value in _CLOSE:
                if not stack or stack.pop() != _CLOSE[value]:
                    break
                if opened is not None:
                    opened.pop()
                if not stack:
                    return line
    if opened:
        learnt.left_open(opened)
    return None


def _statement_end(master: re.Pattern, text: str, pos: int, line: int,
                   learnt: Optional[_Learnt] = None,
                   closer: Optional[re.Pattern] = None) -> tuple[int, bool]:
    """The last line of the logical line starting at ``pos`` (on ``line``), and whether
    the text ends inside it with more brackets opened than closed in it (then nothing
    from ``pos`` on parses). ``learnt`` (when given) is told of a scan that reached the
    end of the text; with it and ``closer`` (the scanner's ``next_closer``), a statement
    that runs past its first line is followed no further when no bracket after that line
    closes one (but the end of a pair): the depth never falls again (one pass in C)."""
    depth = 0
    first = line
    depths: Optional[list[int]] = None if learnt is None else []
    for m in master.finditer(text, pos):
        kind = m.lastgroup
        if kind == "NL":
            if depth <= 0:
                return line, False
            if depths is not None:
                if closer is not None and line == first \
                        and closer.match(text, m.end()).group("OP") is None:
                    learnt.no_closer(line + 1, 0)
                    return line + 1 + text.count("\n", m.end()), True
                depths.append(depth)
            line += 1
        elif kind == "OP":
            value = m.group()
            if value in _OPEN:
                depth += 1
            elif value in _CLOSE:
                depth -= 1
    if depths is not None:
        learnt.ran_on(first, depths, line, depth)
    return line, depth > 0


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")": "(", "]": "[", "}": "{"}
_PROBE_SCANNER: Optional[Scanner] = None

_KIND = {A.Compare: "a comparison", A.BoolOp: "an 'and' / 'or' expression",
         A.BinOp: "an arithmetic expression", A.Unary: "a negation", A.Str: "a string",
         A.Int: "a number", A.Float: "a number", A.Duration: "a duration",
         A.Bool: "a truth value", A.Null: "'null'", A.ListExpr: "a list", A.DictExpr: "a dict",
         A.Member: "a member access", A.Index: "an index", A.Name: "a name"}


def _near_keyword(name: str) -> Optional[str]:
    """A statement keyword that ``name`` looks like a typo of (``brek``), or None."""
    import difflib

    best = difflib.get_close_matches(name.lower(), ["break", "continue", "return"], n=1,
                                     cutoff=0.75)
    return best[0] if best and best[0] != name else None


def _bare_expression(text: str, cur: list[str], tok, logical: dict[int, int],
                     learnt: Optional[_Learnt] = None) -> Optional[AetherSyntaxError]:
    """AE109 when the statement holding ``tok`` is a whole expression but not a call.

    The statement (its logical line) is parsed again as the value of a binding; only when
    that succeeds is the line a bare expression. The error must lie past the statement's
    first token, or the statement itself is fine and its place is wrong. A statement that
    runs to the end of the text with a bracket never closed cannot parse: it is not
    parsed. ``learnt``: as :func:`_translate` takes it.
    """
    global _PROBE_SCANNER
    line = tok.line
    if not line or line > len(cur):
        return None
    first = logical.get(line, line)
    head = cur[first - 1]
    col = len(head) - len(head.lstrip(" ")) + 1
    if not head.strip() or (tok.line, tok.column) <= (first, col):
        return None
    scanner = get_parser()[1]
    known = None if learnt is None else \
        learnt.statement_end(first, col, head, len(cur), scanner.opens)
    start = _offset(cur, first, col)
    end, unclosed = known if known is not None else \
        _statement_end(scanner.bracket_scan, text, start, first, learnt, scanner.next_closer)
    if unclosed:  # the probe's scanner would stop at the bracket left open
        return None
    stop = _offset(cur, end, len(cur[end - 1]) + 1)
    if _PROBE_SCANNER is None:
        _PROBE_SCANNER = Scanner(load_tables().terminals)
    try:
        module = get_parser()[0].parse(_PROBE_SCANNER.scan("_: " + text[start:stop] + "\n"))
    except (UnexpectedToken, AetherSyntaxError):
        return None
    if len(module.body) != 1 or not isinstance(module.body[0], A.Binding):
        return None
    stmt = module.body[0]
    value = stmt.value
    if stmt.type_hint is not None or isinstance(value, A.Call) or type(value) not in _KIND:
        return None
    end_line = first + value.end_line - 1
    end_col = value.end_column - 3 + col - 1 if value.end_line == 1 else value.end_column
    keyword = _near_keyword(value.id) if isinstance(value, A.Name) else None
    if keyword:
        hint = f"did you mean `{keyword}`?"
    elif isinstance(value, (A.Name, A.Member)):
        hint = "add '(...)' to call it, or put `name: ` before it to bind its value"
    else:
        hint = "bind it with `name: ...`, pass it to a call such as `log(...)`, or test it " \
               "with `if ...:`"
    return AetherSyntaxError("AE109", f"this line is {_KIND[type(value)]} on its own, which "
                             "does nothing: a statement must be a call, a binding or a block",
                             first, col, end_line, end_col, hint=hint)


def _classify(exc: UnexpectedToken, lines: list[str], text: str, cur: list[str],
              logical: dict[int, int], learnt: Optional[_Learnt] = None) -> AetherSyntaxError:
    tok = exc.token
    expected = set(exc.expected)
    # The heuristics below read the state's raw action set; messages name only the
    # terminals that would really be shifted (LALR merges lookaheads of similar states).
    parser = get_parser()[0]
    shown = parser.accepted(exc.stack, expected) or expected
    ttype = tok.type
    line = tok.line
    column = tok.column
    if ttype == "$END" or line is None or line < 1:
        line = max(1, len(lines))
        column = len(lines[-1]) + 1 if lines else 1
    end_col = (tok.end_column if getattr(tok, "end_column", None) and tok.end_line == line
               else column + 1)
    if ttype == "_INDENT":
        return AetherSyntaxError("AE103", "unexpected indentation: no block starts here",
                                 line, 1, line, column,
                                 hint="only a line ending in ':' opens an indented block")
    if "_INDENT" in expected and ttype in ("NAME", "DASH", "_DEDENT", "$END") or (
            "_INDENT" in expected and ttype not in ("_NL",)):
        # At the end of the file (no final newline) the header may be on the last line.
        at_eof = ttype == "$END" or tok.pos >= len(text)
        head = _header_before(lines, line + 1 if at_eof else line)
        where = f" after '{head[1]}' (line {head[0]})" if head else ""
        hline = head[0] if head else line
        return AetherSyntaxError("AE106", f"expected an indented block{where}",
                                 hline, 1, hline, len(lines[hline - 1]) + 1 if lines else 2,
                                 hint="an empty block is an error; give it at least one entry")
    if shown == {"CATCH"}:
        opened = _try_before(cur, line if ttype != "$END" else len(cur) + 1,
                             at_code=ttype not in ("_DEDENT", "$END"))
        where = f"the `try` block at line {opened}" if opened else "a `try` block"
        if ttype == "$END":
            rule, msg = "AE111", f"the file ends before the `catch` of {where}"
        else:
            rule, msg = "AE100", f"{where} has no `catch`: expected 'catch' here, " \
                                 f"found {_found(tok)}"
        return AetherSyntaxError(
            rule, msg, line, column, line, end_col,
            hint="after the `try` block, at its indentation, add `catch err:` (or `catch:`) "
                 "and an indented block")
    text_line = lines[line - 1] if 0 < line <= len(lines) else ""
    header = _BLOCK_HEADER_RE.match(text_line)
    if shown == {"_NL"} and ttype not in ("$END", "_NL") and header and \
            text_line[:column - 1].split("#", 1)[0].rstrip().endswith(":"):
        return AetherSyntaxError(
            "AE100", f"the body of `{header.group(1)}` goes on the lines below its header, "
            "not after the ':'", line, column, line, len(text_line.rstrip()) + 1,
            hint="end the header at ':' and put each statement of the body on its own line, "
                 "indented")
    c = _CONTINUATION_RE.match(text_line)
    if c and ttype.lower() == c.group(1):
        owner = _CONTINUATIONS[c.group(1)]
        return AetherSyntaxError("AE100", f"'{c.group(1)}' must follow {owner} block at the "
                                 "same indentation", line, c.start(1) + 1, line, c.end(1) + 1)
    m = _LEAD_WORD.match(text_line)
    if m and m.group(2).upper() in _KEYWORDS and m.group(2).islower() and \
            column <= m.end(2) + len(m.group(3)) + 2 and ttype != "_INDENT":
        return AetherSyntaxError("AE107", f"'{m.group(2)}' is a reserved word and cannot be "
                                 "used as a name", line, m.start(2) + 1, line, m.end(2) + 1)
    if ttype == "COLON" and "EQUAL" in expected and ("RPAR" in expected or "COMMA" in expected):
        return AetherSyntaxError("AE214", "a keyword argument is written `name=value`, not "
                                 "`name: value`", line, column, line, end_col,
                                 hint="run `aether migrate` to convert this file to Aether 1.2")
    if ttype in _KEYWORDS and "NAME" in expected and not (expected & (_EXPR_START - {"NAME"})):
        return AetherSyntaxError("AE107", f"'{tok.value}' is a reserved word and cannot be "
                                 "used as a name", line, column, line, end_col)
    if ttype == "DASH" and "DASH" not in expected and _STMT_START <= expected:
        return AetherSyntaxError("AE100", "a line starting with '-' is a list item, and only "
                                 "a section's block (such as `steps:` or `transaction:`) can "
                                 "hold list items", line, column, line, end_col,
                                 hint="a statement cannot start with '-'; to bind a negative "
                                 "value write `name: -value`")
    bare = _bare_expression(text, cur, tok, logical, learnt) if ttype != "$END" else None
    if bare is not None:
        return bare
    if ttype == "$END":
        return AetherSyntaxError("AE111", "the file ends in the middle of a statement; "
                                 f"expected {_expected_words(shown)}", line, column)
    if ttype == "_NL" and {"COLON", "EQUAL", "LPAR"} <= expected:
        return AetherSyntaxError("AE109", "a statement must be a call, a binding or a block; "
                                 "this line is a bare expression", line,
                                 _first_col(lines, line), line, column,
                                 hint="add '(...)' to call it, or ': value' to bind it")
    if ttype == "NAME" and {"COLON", "EQUAL", "LPAR"} <= expected:
        return AetherSyntaxError("AE109", f"unexpected word '{tok.value}': a statement must be "
                                 "a call, a binding or a block", line, column, line, end_col)
    if ttype in ("_NL", "_DEDENT") and not any(
            x.strip() and not x.strip().startswith("#") for x in lines[line:]):
        return AetherSyntaxError("AE111", "the file ends in the middle of a statement; "
                                 f"expected {_expected_words(shown)}", line, column)
    if ttype == "NOT" and expected & _EXPR_START:
        return AetherSyntaxError("AE100", "'not' cannot stand here: it binds more loosely than "
                                 "comparisons and arithmetic", line, column, line, end_col,
                                 hint="put it in parentheses, e.g. `1 + (not x)`")
    msg = f"expected {_expected_words(shown)}, found {_found(tok)}"
    hint = None
    if ttype in _EXPR_START and "COMMA" in shown:
        hint = "is a ',' missing before it?"
    elif ttype == "EQUAL" and re.match(r"\s*(?:if|elif|while)\b", text_line):
        hint = "to compare, write `==`"
    return AetherSyntaxError("AE100", msg, line, column, line, end_col, hint=hint)


_CONTINUATIONS = {"else": "an `if` or `elif`", "elif": "an `if` or `elif`",
                  "catch": "a `try`"}
_CONTINUATION_RE = re.compile(r"^\s*(else|elif|catch)\b")
_BLOCK_HEADER_RE = re.compile(r"^\s*(if|elif|else|for|while|try|catch|fn)\b")
_LEAD_WORD = re.compile(r"^(\s*-?\s*)([A-Za-z_]\w*)(\s*)(?::|=|\+=|-=)")


def _first_col(lines: list[str], line: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text) - len(text.lstrip()) + 1


# ---------------------------------------------------------------- recovery

def _mask(lines: list[str], err: AetherSyntaxError, logical: dict[int, int],
          indents: list[int]) -> tuple[int, int]:
    """Blank out the statement at the error (and its deeper block); return the range.

    The first masked line becomes a placeholder call at the current block's indentation,
    so the enclosing block never becomes empty.
    """
    n = len(lines)
    unexpected_indent = err.rule == "AE103"
    resume = err.resume_line or n + 1  # from here on no line continues the statement
    through = err.mask_through  # up to here every line belongs to the statement
    line = min(max(err.recover_line, 1), n)
    first = logical.get(line, line)
    # Walk back over continuation lines of a bracketed expression.
    while first > 1 and logical.get(first, first) != first:
        first = logical[first]
    head = lines[first - 1]
    indent = len(head) - len(head.lstrip(" \t"))
    last = first
    i = first  # 0-based index of the next line
    while i < n:
        s = lines[i]
        stripped = s.strip()
        if stripped and not stripped.startswith("#"):
            ind = len(s) - len(s.lstrip(" \t"))
            # An unexpected indent opens a stray block: its siblings go with it.
            if (ind < indent if unexpected_indent else ind <= indent) and i + 1 > through \
                    and (logical.get(i + 1, i + 1) == i + 1 or i + 1 >= resume):
                break
        last = i + 1
        i += 1
    last = max(last, line)
    # Indentation of the block the statement sits in: the deepest open level <= indent.
    level = 0
    for width in indents:
        if width < indent or (width == indent and not unexpected_indent):
            level = width
    # When the statement was the first of a block, the placeholder must stay in that block,
    # or the header is left with an empty body (a second, misleading error).
    prev = first - 2
    while prev >= 0 and (not lines[prev].strip() or lines[prev].strip().startswith("#")):
        prev -= 1
    if prev >= 0 and lines[prev].split("#", 1)[0].rstrip().endswith(":"):
        header_indent = len(lines[prev]) - len(lines[prev].lstrip(" \t"))
        if header_indent >= level:
            level = header_indent + 4
    for k in range(first - 1, last):
        lines[k] = ""
    lines[first - 1] = " " * level + RECOVERED + "()"
    return first, last


_BRACE_RE = re.compile(r"^[ \t]*(?:plugin[ \t]+[\w.\-]+[ \t]*\{|[A-Za-z_]\w*[ \t]*\{[ \t]*$)",
                       re.M)


def _prefix_result(current: str, err: AetherSyntaxError, errors: list[SyntaxIssue],
                   masked: list[tuple[int, int]],
                   current_lines: Optional[list[str]] = None) -> ParseResult:
    """The module of the lines before ``err``'s top-level statement, the rest masked
    (``current_lines``: the lines of ``current`` when the caller has them; not changed)."""
    parser, scanner = get_parser()
    work = list(current_lines) if current_lines is not None else current.split("\n")
    first = max(1, min(err.recover_line, len(work)))
    while first > 1 and (work[first - 1][:1] in (" ", "\t", "") or
                         work[first - 1].lstrip().startswith("#")):
        first -= 1
    rng = (first, len(work))
    for k in range(first - 1, len(work)):
        work[k] = ""
    try:
        module = parser.parse(scanner.scan("\n".join(work)))
    except (UnexpectedToken, AetherSyntaxError):
        module, rng = A.Module(1, 1, 1, 1, ()), (1, len(work))
    return ParseResult(module, errors, masked + [rng])


def _with_spans(result: ParseResult, lines: list[str]) -> ParseResult:
    """``result`` with its ``spans``: where each masked range of the text of ``lines``
    (its lines) lies in it, the offsets found in one pass over the lines (however many
    ranges)."""
    n = len(lines)
    ranges = [(max(first, 1), min(last, n)) for first, last in result.masked]
    offsets = {}  # line index -> offset of the line's start (index n: just past the end)
    at = pos = 0
    for index in sorted({i for first, last in ranges if first <= last
                         for i in (first - 1, last)}):
        skipped = lines[at:index]
        pos += sum(map(len, skipped)) + len(skipped)  # map: no Python loop per line
        at = index
        offsets[index] = pos
    result.spans = [(offsets[first - 1], offsets[last] - 1) if first <= last else None
                    for first, last in ranges]  # (None: recovery masks lines of the text)
    return result


def _top_starts_before(lines: list[str], line: int, logical: dict[int, int]) -> int:
    """Where to resume parsing after a statement at ``line`` was masked: the start of the
    top-level statement before the one holding ``line`` (1 when there is none).

    Top-level statements are independent in the grammar, so the text before that line
    (which parsed) need not be parsed again to find the next error, nor to build the
    module (its statements are kept from the failed attempt): a file with many errors
    costs about one parse, not one per error. Resuming one statement earlier than
    needed keeps the parser in the state it had there in a whole-file parse (after a
    statement, not at the file's start), and re-checks that the statement before the
    masked one is complete (a `try` waiting for its `catch`).
    """
    found = 0
    i = min(line, len(lines))
    while i > 1:
        s = lines[i - 1]
        if s[:1] not in ("", " ", "\t", "#") and logical.get(i, i) == i \
                and not _CONTINUATION_RE.match(s):
            found += 1
            if found == 2:
                return i
        i -= 1
    return 1


# The last text parsed and a weak reference to its result. One file is often parsed
# several times in a row in one process (``run_source`` checks then compiles it; the
# classifier also reads its capability manifest): the result is read-only (nodes are never
# mutated: docs STYLE), so the same object serves them all while one of them holds it. It
# is not kept alive for them: once nobody holds the tree it goes, and the entry (with its
# text) with it, rather than staying for the life of the process. One entry, replaced as
# a whole (safe across threads).
_LAST: Optional[tuple[str, bool, "ReferenceType[ParseResult]"]] = None


def _forget_last(ref) -> None:
    """The last result was freed: drop the entry (its text too) unless it was replaced."""
    global _LAST
    last = _LAST
    if last is not None and last[2] is ref:
        _LAST = None


# The results of `parse` within a `memo_parses` block, by text (no table outside one).
_PARSES = Memo()


def memo_parses():
    """A context manager (``with memo_parses():``) within which :func:`parse` gives the
    same text the result it gave it before: a migration parses the text it converts at
    several stages (its plugin probe, its section rewrite, the check of the result), each
    a whole parse otherwise. The memo ends with the block, so it never keeps a module
    alive beyond the file it belongs to."""
    return _PARSES.block()


def _complete_statements(values: list) -> Optional[list]:
    """The top-level statements a failed parse had completed, from its value stack: the
    list at its bottom (the statements so far), or none when the first statement failed.
    None when the bottom is not recognisably that (the caller then parses again)."""
    if not values or type(values[0]) is not list:
        # a token (kept: a Tok; dropped: the scanner's tuple) means no statement was done
        return [] if values and (isinstance(values[0], Tok) or type(values[0]) is tuple) \
            else None
    done = values[0]
    if all(isinstance(s, A.Stmt) and s.column == 1 for s in done):
        return list(done)
    return None


def _module(body: list) -> A.Module:
    """The module of these top-level statements, spanned as the builder's ``start``."""
    if body:
        last = body[-1]
        return A.Module(1, 1, last.end_line, last.end_column, tuple(body))
    return A.Module(1, 1, 1, 1, ())


def memoising() -> bool:
    """Whether a :func:`memo_parses` block is open (its parses are kept for reuse)."""
    return _PARSES.open()


def _normalised(text: str) -> str:
    """``text`` as the parser reads it: any newline style as ``\\n``, a leading BOM dropped."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def parse_items(text: str, on_item: Callable[[A.Stmt], object]) -> None:
    """Parse ``text`` (as :func:`parse` takes it), handing each top-level statement to
    ``on_item`` as soon as it is complete, in order, and keeping none: the tree of a large
    file is never whole in memory, only the statement being built. They are the
    statements of ``parse(text).module.body`` when the text has no syntax error.

    Raises UnexpectedToken or AetherSyntaxError at the first syntax error (the statements
    before it handed on already), and whatever ``on_item`` raises; it neither reports nor
    recovers (:func:`parse` does both: a caller meeting an error parses with it)."""
    text = _normalised(text)
    parser, scanner = get_parser()
    done = parser.builder.item_done

    def item(stmt: A.Stmt) -> None:
        done()
        on_item(stmt)

    try:
        parser.parse(scanner.scan(text), on_item=item)
    finally:
        done()


def parse(text: str, incremental: bool = True) -> ParseResult:
    """Parse ``text`` (already decoded; any newline style). Never raises on bad input.

    The same text parsed again right after, while its first result is still held, gets
    that same object (do not mutate it).

    Returns the module (statements of error regions replaced by placeholders) and every
    syntax error found, at most MAX_ERRORS. After each error the search for the next one
    resumes near it (``incremental``); the module is built by one parse of the whole text
    once no error is left. ``incremental=False`` parses the whole text every time (the
    reference the tests compare against).
    """
    memo = _PARSES.table if incremental else None
    if memo is not None:  # a migration's stages: every text it has seen in this file
        seen = memo.get(text)
        if seen is None:
            seen = memo[text] = _parse_last(text, incremental)
        return seen
    return _parse_last(text, incremental)


def _parse_last(text: str, incremental: bool) -> ParseResult:
    """:func:`_parse`, or the result of the text parsed last when it is this text."""
    global _LAST
    last = _LAST
    if last is not None and last[1] == incremental and (last[0] is text or last[0] == text):
        result = last[2]()
        if result is not None:
            return result
    # Let the last tree go before this one is built: holding it through the parse made a
    # run over several large files need two trees at once.
    _LAST = None
    result = _parse(text, incremental)
    _LAST = (text, incremental, _weak_ref(result, _forget_last))
    return result


def _parse(text: str, incremental: bool) -> ParseResult:
    given = text
    text = _normalised(text)
    # the masked ranges' offsets (ParseResult.spans) are given in the text as given: not
    # when normalising changed it (the result is then returned as it is)
    located = _with_spans if text is given else (lambda result, _lines: result)
    parser, scanner = get_parser()
    if not RESERVE:  # the first parse, or the first since a MemoryError freed it
        arm()
    errors: list[SyntaxIssue] = []
    masked: list[tuple[int, int]] = []
    lines: Optional[list[str]] = None
    current = text
    current_lines: Optional[list[str]] = None  # the lines of `current`, once split
    seen: set[tuple[int, int, str]] = set()
    resume = 1  # the line the next parse starts at (1: the whole text)
    resume_at = 0  # its offset in current
    logical_all: dict[int, int] = {}  # logical-line starts seen by every scan so far
    # The top-level statements before line `resume`, taken from the attempts that failed
    # after them (None: not known, so the whole text is parsed again at the end).
    kept: Optional[list] = []
    # what recovery's scans past an error found, for the errors after it (resumed parses
    # only: the whole-text reparse is the reference the tests compare against)
    learnt = _Learnt() if incremental else None
    while True:
        values: list = []
        try:
            if resume == 1:
                module = parser.parse(scanner.scan(current), values)
                if not errors:
                    return ParseResult(module)
                return located(ParseResult(module, errors, masked), lines)
            tail = parser.parse(scanner.scan(current, start=resume_at, start_line=resume),
                                values)
            if kept is not None:
                # Top-level statements are independent: what parsed before `resume` and the
                # rest make the module a whole parse of `current` would (the tests compare).
                return located(ParseResult(_module(kept + list(tail.body)), errors,
                                           masked), lines)
            resume, resume_at = 1, 0  # the rest parses: now build the whole module once
            continue
        except MemoryError:
            # The first clause, and nothing allocates before these two calls: in a
            # function this long, Python 3.11 unwinding past this handler allocates an
            # int, and retries that forever while memory is full (outofmemory.py). The
            # reserve and what the parse built go first: memory is free again before the
            # error leaves this frame, and the frames its traceback holds (the token
            # generator among them: closing it allocates) are freed with room to spare.
            spend()
            values.clear()
            raise
        except (UnexpectedToken, AetherSyntaxError) as exc:
            if lines is None:
                lines = text.split("\n")
            if current_lines is None:  # no error masked yet: `current` is `text`
                current_lines = lines
            if isinstance(exc, UnexpectedToken):
                if exc.token.value == RECOVERED:
                    # The masked statement left its surroundings incomplete (a `try`
                    # without its `catch`...): a cascade of the error already reported.
                    cascade = AetherSyntaxError("AE100", "cascade", exc.token.line, 1)
                    return located(_prefix_result(current, cascade, errors, masked,
                                                   current_lines), lines)
                err = _translate(exc, lines, scanner.brackets, current,
                                 scanner.logical_start, current_lines, learnt)
            else:
                # Without its traceback: kept in `err`, the raised error would hold this
                # frame (a cycle once the function returns, the tree and the lines with
                # it), freed only by the cyclic collector.
                err = exc.with_traceback(None)
            key = (err.line, err.column, err.rule)
            if key in seen:  # no progress: keep what parses before it, report no more
                return located(_prefix_result(current, err, errors, masked,
                                              current_lines), lines)
            seen.add(key)
            errors.append(SyntaxIssue(err.rule, err.message, err.line, err.column,
                                      err.end_line, err.end_column, err.hint))
            if len(errors) >= MAX_ERRORS or err.rule == "AE110":
                # Too many errors, or runaway nesting (a property of the whole file): stop
                # reporting, and keep what parses before the first unreported statement.
                return located(_prefix_result(current, err, errors, masked,
                                              current_lines), lines)
            work = list(current_lines)  # `lines` stay the original text's
            rng = _mask(work, err, scanner.logical_start, scanner.indent_stack)
            masked.append(rng)
            if learnt is not None:
                learnt.masked(rng[1])
            current = "\n".join(work)
            current_lines = work
            if incremental:
                logical_all.update(scanner.logical_start)
                at = min(rng[0], err.line, exc.token.line if isinstance(exc, UnexpectedToken)
                         else err.line)
                resume = _top_starts_before(work, at, logical_all)
                before = work[:resume - 1]
                resume_at = sum(map(len, before)) + len(before)
                done = _complete_statements(values)
                if kept is None or done is None:
                    kept = None
                else:  # all of them lie before the masked statement: its text unchanged
                    kept = [s for s in kept if s.line < resume] + \
                        [s for s in done if s.line < resume]
