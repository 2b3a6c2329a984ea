"""One-pass tokenizer for Aether 1.2: tokens, comments and indentation in a single scan.

Terminal patterns come from ``grammar/aether.lark`` (through the Lark lexer config), so
the grammar stays the authority on token shapes; this module only adds what a regular
lexer cannot do: ``_INDENT``/``_DEDENT`` from leading spaces, newlines ignored inside
brackets, bracket matching, and friendly coded errors (tabs, bad dedents, unterminated
strings, unbalanced or too deeply nested brackets). Doing all of it in one
``re.finditer`` pass is what makes the checker fast (see docs/benchmarks.md).
"""

from __future__ import annotations

import re

from .errors import AetherSyntaxError

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Iterator, Optional

    RawTok = tuple[str, str, int, int, int, int, int]

__all__ = ["Scanner", "MAX_NESTING", "Comment"]

MAX_NESTING = 100

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")": "(", "]": "[", "}": "{"}


# The token shapes that _speedups.c scans by hand. When the grammar's differ (it changed),
# the C scanner is not used and every token comes from the regular expression above.
_C_SHAPES = {
    "NAME": "[A-Za-z_][A-Za-z0-9_]*",
    "STRING": '"[^"\\\\\n]*(?:\\\\.[^"\\\\\n]*)*"|\'[^\'\\\\\n]*(?:\\\\.[^\'\\\\\n]*)*\'',
    "DURATION": "[0-9][0-9_]*(?:\\.[0-9]+)?(?:ms|s|m|h)(?![A-Za-z0-9_])",
    "FLOAT": "[0-9][0-9_]*\\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?|[0-9][0-9_]*[eE][+-]?[0-9]+",
    "INT": "[0-9][0-9_]*",
    "COMMENT": "#[^\n]*",
}


def _compiled_scan(regex_terms: dict, ops: dict):
    """``_speedups.Scan`` when it is built, selected (AETHER_PURE_PYTHON) and the grammar's
    token shapes are those it implements; else None."""
    from .lalr import _speedups

    if _speedups is None or any(regex_terms.get(k) != v for k, v in _C_SHAPES.items()):
        return None
    if any(len(op) > 2 or op[0].isalnum() or op[0] in "_\"'# \t\f\n" for op in ops):
        return None
    return getattr(_speedups, "Scan", None)


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


class Comment(tuple):
    """``(line, column, text)`` of one ``#`` comment."""
    __slots__ = ()


class Scanner:
    """Turns source text into tokens. Built once per grammar; reusable, not thread-safe.

    After (or during) a scan, ``comments``, ``indent_stack`` and ``logical_start`` describe
    what was seen, for error recovery and for tools that keep comments. ``logical_start``
    maps each line that continues a logical line (inside brackets) to the line where that
    logical line starts; any other line starts its own (read it as ``.get(line, line)``).
    """

    def __init__(self, terminals):
        keywords: dict[str, str] = {}
        ops: dict[str, str] = {}
        regex_terms: dict[str, str] = {}
        for name, kind, pattern in terminals:
            if kind == "str":
                if pattern.isidentifier():
                    keywords[pattern] = name
                elif name != "_NL":
                    ops[pattern] = name
            else:
                regex_terms[name] = pattern
        self.keywords = keywords
        self.ops = ops
        op_alt = "|".join(re.escape(o) for o in sorted(ops, key=len, reverse=True))
        parts = [
            r"(?P<WS>[ \t\f]+)",
            r"(?P<NL>\n)",
            r"(?P<COMMENT>%s)" % regex_terms["COMMENT"],
            r"(?P<STRING>%s)" % regex_terms["STRING"],
            r"(?P<DURATION>%s)" % regex_terms["DURATION"],
            r"(?P<FLOAT>%s)" % regex_terms["FLOAT"],
            r"(?P<INT>%s)" % regex_terms["INT"],
            r"(?P<NAME>%s)" % regex_terms["NAME"],
            r"(?P<OP>%s)" % op_alt,
            r"(?P<ERROR>.)",
        ]
        self.master = re.compile("|".join(parts))
        # Newlines and brackets as ``master`` finds them, and nothing else (error recovery
        # follows bracket depth over the rest of a file with it, and ``master`` made a
        # match of every token there): strings and comments are skipped whole, and no
        # other token can hold a bracket, a quote or '#' (checked: else ``master``).
        plain = all(regex_terms.get(k) == _C_SHAPES[k] for k in ("NAME", "DURATION", "FLOAT",
                                                                "INT"))
        # ``next_bracket`` goes further: one match runs to the next bracket (group OP; None
        # at the end of the text), everything before it skipped in C (its newlines are
        # counted with str.count: no string or comment holds one). The skipped part is
        # matched in a lookahead and then taken as a whole: atomic (Python 3.10 has no
        # possessive `*+`), so a text with no bracket left costs one pass, not one per
        # character.
        self.next_bracket: Optional[re.Pattern] = None
        # With ``next_bracket``, three more, built on a "pair": a bracket closed on its own
        # line with no bracket, comment or stray quote inside. ``pair`` matches one;
        # ``next_closer`` runs to the first closing bracket that is not the end of a pair
        # (group OP; None: there is none, so no bracket open before it is ever closed);
        # ``opens`` matches the start of a line (or a part) up to an opening bracket that
        # is not the start of a pair (none: what the line opens it closes). Error recovery
        # tells with them in one pass in C that a file whose lines leave brackets open
        # never closes them. Each char inside a pair is taken one way (a string or not):
        # a pair that fails costs the length of its line once, not more.
        self.pair: Optional[re.Pattern] = None
        self.next_closer: Optional[re.Pattern] = None
        self.opens: Optional[re.Pattern] = None
        if plain and not any(len(op) > 1 and set(op) & set("()[]{}\"'#") for op in ops):
            comment, string = regex_terms["COMMENT"], regex_terms["STRING"]
            self.bracket_scan = re.compile(r"(?P<NL>\n)|(?:%s)|(?:%s)|(?P<OP>[()\[\]{}])"
                                           % (comment, string))
            self.next_bracket = re.compile(
                r"(?=(?P<skip>(?:[^()\[\]{}\"'#]+|%s|%s|[\"'])*))(?P=skip)(?P<OP>[()\[\]{}])?"
                % (comment, string))
            pair = "|".join(r"\%s(?:[^()\[\]{}\"'#\n]|%s)*\%s" % (o, string, c)
                            for o, c in ("()", "[]", "{}"))
            self.pair = re.compile(pair)
            self.next_closer = re.compile(
                r"(?=(?P<skip>(?:[^()\[\]{}\"'#]+|%s|%s|%s|[\"'(\[{])*))(?P=skip)(?P<OP>[)\]}])?"
                % (comment, string, pair))
            self.opens = re.compile(
                r"(?=(?P<skip>(?:[^()\[\]{}\"'#\n]+|%s|%s|[\"'])*))(?P=skip)[(\[{]"
                % (string, pair))
        else:
            self.bracket_scan = self.master
        self._compiled = _compiled_scan(regex_terms, ops)
        self.comments: list[Comment] = []
        self.indent_stack: list[int] = [0]
        self.logical_start: dict[int, int] = {}
        self.brackets: list[tuple[str, int, int]] = []

    def scan(self, text: str, keep_comments: bool = False, start: int = 0,
             start_line: int = 1) -> Iterator[RawTok]:
        """The tokens of ``text`` (newlines already normalised to ``\\n``), then ``$END``.

        A token is the plain tuple ``(type, value, pos, line, column, end_line,
        end_column)`` (1-based, end exclusive), the fields of :class:`aether.syntax.lalr.Tok`
        in that order: a tuple costs a fraction of an object, and the parser makes a
        ``Tok`` only of the tokens a rule keeps. The last token is ``$END``, placed just
        after the one before it (the parser's lookahead at the end of the text).

        ``start`` (the offset of line ``start_line``, which must begin a top-level
        statement) scans only the rest of the file, positions still counted in the whole
        text. Iterating raises AetherSyntaxError at the first lexical problem; the
        scanner's state (``brackets``, ``indent_stack``...) is that of the last token
        taken. With the compiled extension built, the common tokens are scanned in C
        (``_speedups.Scan``), which hands everything else (errors, the end of the text)
        to :meth:`_scan_from` with its state: the same tokens and errors either way.
        """
        self.comments = []
        self.indent_stack = [0]
        self.logical_start = {}
        self.brackets = []
        if self._compiled is not None:
            return self._compiled(self, text, keep_comments, start, start_line)
        return self._scan_from(text, keep_comments, start, start_line, start, True,
                               start_line, 1, 1)

    def _scan_from(self, text: str, keep_comments: bool, start: int, line: int,
                   line_start: int, at_bol: bool, logical_line: int, end_line: int,
                   end_col: int) -> Iterator[RawTok]:
        """The tokens from offset ``start`` on, in the state given (``line`` and the offset
        ``line_start`` where it starts; ``at_bol``: no token yet on this logical line,
        which started on ``logical_line``; where the last _NL ended) and the scanner's
        lists."""
        keywords = self.keywords
        ops = self.ops
        comments = self.comments
        indents = self.indent_stack
        logical = self.logical_start
        brackets = self.brackets
        last_nl = (end_line, end_col)  # where the last _NL yielded in the loop ends ($END)
        for m in self.master.finditer(text, start):
            kind = m.lastgroup
            if kind == "WS":
                continue
            start = m.start()
            if kind == "NL":
                if not at_bol and not brackets:
                    column = start - line_start + 1
                    yield ("_NL", "\n", start, line, column, line, column + 1)
                    last_nl = (line, column + 1)
                    at_bol = True
                line += 1
                line_start = start + 1
                continue
            if kind == "COMMENT":
                if keep_comments:
                    comments.append(Comment((line, start - line_start + 1, m.group())))
                continue
            column = start - line_start + 1
            if at_bol:
                at_bol = False
                logical_line = line
                width = start - line_start
                if width:
                    lead = text[line_start:start]
                    if "\t" in lead:
                        raise AetherSyntaxError(
                            "AE105", "indentation contains a tab; indent with spaces only",
                            line, lead.index("\t") + 1, hint="run `aether fmt` to convert tabs")
                top = indents[-1]
                if width > top:
                    if len(indents) > MAX_NESTING:
                        raise AetherSyntaxError(
                            "AE110", f"blocks are nested more than {MAX_NESTING} levels deep",
                            line, column)
                    indents.append(width)
                    yield ("_INDENT", "", start, line, 1, line, column)
                elif width < top:
                    while width < indents[-1]:
                        inner = indents.pop()
                        yield ("_DEDENT", "", start, line, column, line, column)
                    if width != indents[-1]:
                        outer = indents[-1]
                        raise AetherSyntaxError(
                            "AE104",
                            f"this line is indented {_spaces(width)}, which lines up with no "
                            f"enclosing block: use {_spaces(outer)} to end the block above, "
                            f"or {_spaces(inner)} to continue it",
                            line, column, hint="a block ends on the first line "
                            "indented less than it, and that line must line up with an "
                            "enclosing block")
            if logical_line != line:  # a continuation line: the others are their own
                logical[line] = logical_line
            value = m.group()
            if kind == "NAME":
                yield (keywords.get(value, "NAME"), value, start, line, column,
                            line, column + len(value))
            elif kind == "OP":
                if value in _OPEN:
                    if len(brackets) >= MAX_NESTING:
                        raise AetherSyntaxError(
                            "AE110", f"brackets are nested more than {MAX_NESTING} levels deep",
                            line, column)
                    brackets.append((value, line, column))
                elif value in _CLOSE:
                    if not brackets:
                        raise AetherSyntaxError(
                            "AE102", f"'{value}' closes a bracket that was never opened",
                            line, column)
                    opener, oline, ocol = brackets.pop()
                    if _CLOSE[value] != opener:
                        raise AetherSyntaxError(
                            "AE102",
                            f"'{value}' does not match '{opener}' opened at line {oline}, "
                            f"column {ocol} (expected '{_OPEN[opener]}')",
                            line, column, recover_line=oline)
                yield (ops[value], value, start, line, column, line, column + len(value))
            elif kind == "ERROR":
                if value in "\"'":
                    raise AetherSyntaxError(
                        "AE108", f"string starting with {value} is not closed on this line",
                        line, column, line, len(text[line_start:].split("\n", 1)[0]) + 1)
                shown = value if value.isprintable() else repr(value)[1:-1]  # quoted below
                raise AetherSyntaxError(
                    "AE101", f"unexpected character '{shown}' (U+{ord(value):04X})",
                    line, column)
            else:
                yield (kind, value, start, line, column, line, column + len(value))
        if brackets:
            opener, oline, ocol = brackets[-1]
            raise AetherSyntaxError(
                "AE102", f"'{opener}' opened at line {oline}, column {ocol} is never closed",
                oline, ocol, recover_line=oline)
        pos = len(text)
        if not at_bol:
            col = pos - line_start + 1
            yield ("_NL", "\n", pos, line, col, line, col)
            last_nl = (line, col)
        if len(indents) > 1:
            for _ in range(len(indents) - 1):
                yield ("_DEDENT", "", pos, line, 1, line, 1)
            last_nl = (line, 1)
        end_line, end_col = last_nl
        yield ("$END", "", -1, end_line, end_col, end_line, end_col)
