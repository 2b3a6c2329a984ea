"""A forgiving tokenizer for every legacy dialect (LANGUAGE.md section 6).

Unlike the Aether 1.2 scanner it never stops at an unknown character: JavaScript operators
(``||``, ``=>``, ``?.``, ``++``), ``//`` comments, ``$variables``, percentages (``80%``),
``30_seconds``-style words and stray symbols all become tokens, so the migration parser
can decide what each construct means and, when it has no Aether 1.2 form, name it. Tabs
in indentation count to the next multiple of 4 columns.
"""

from __future__ import annotations

import re
from typing import Optional

__all__ = ["Tok", "tokenize", "count_comments", "LexError"]

TAB_SIZE = 4


class LexError(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class Tok:
    """One token. ``kind``: WORD STR NUM DUR PCT OP NL COMMENT EOF.

    ``line``/``col`` are 1-based; ``start``/``end`` offsets into the text; ``bol`` marks the
    first token of a physical line and ``indent`` is that line's indentation width.
    """

    __slots__ = ("kind", "text", "line", "col", "start", "end", "bol", "indent")

    def __init__(self, kind, text, line, col, start, end, bol, indent):
        self.kind = kind
        self.text = text
        self.line = line
        self.col = col
        self.start = start
        self.end = end
        self.bol = bol
        self.indent = indent

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Tok({self.kind},{self.text!r},{self.line}:{self.col})"


_OPS = ["===", "!==", "...", "**=", "=>", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=",
        "%=", "++", "--", "&&", "||", "?.", "??", "->", "<<", ">>", "**", "::", ".."]
# Each match is one token with the blanks before it (one step of the loop per token,
# not two): the blanks are greedy and every other character starts some token, so they
# are never given back. END takes the blanks at the end of the text.
_MASTER = re.compile(r"""
    [ \t\f\v]*
    (?:
        (?P<NL>\n)
      | (?P<END>\Z)
      | (?P<COMMENT>\#[^\n]*)
      | (?P<SLASHCOMMENT>//[^\n]*)
      | (?P<STR>[fF]?"[^"\\\n]*(?:\\.[^"\\\n]*)*"|[fF]?'[^'\\\n]*(?:\\.[^'\\\n]*)*')
      | (?P<BADSTR>["'`])
      | (?P<HEX>0[xX][0-9a-fA-F]+)
      | (?P<DUR>\d[\d_]*(?:\.\d+)?(?:ms|s|m|h)(?![\w]))
      | (?P<PCT>\d[\d_]*(?:\.\d+)?%(?![\w(\d]))
      | (?P<NUMWORD>(?!\d[\d_]*[eE][+-]?\d+(?![\w]))\d[\d_]*[A-Za-z_]\w*)  # not 1e5
      | (?P<NUM>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<WORD>[A-Za-z_$][\w$]*|[^\W\d][\w$]*)
      | (?P<OP>""" + "|".join(re.escape(o) for o in _OPS) + r"""|[^ \t\f\v\n])
    )
""", re.X)
# group number -> token kind (HEX is a NUM, NUMWORD a WORD; SLASHCOMMENT is decided below)
_KINDS = [None] * (_MASTER.groups + 1)
for _name, _number in _MASTER.groupindex.items():
    _KINDS[_number] = {"HEX": "NUM", "NUMWORD": "WORD"}.get(_name, _name)


def tokenize(text: str) -> list[Tok]:
    """Tokens of ``text`` (``\\n`` newlines), ending with NL (if missing) and EOF.

    Raises LexError only for an unterminated string or a backtick template.
    """
    toks: list[Tok] = []
    append = toks.append
    kinds = _KINDS
    line = 1
    line_start = 0
    bol = True
    indent = 0
    for m in _MASTER.finditer(text):
        group = m.lastindex
        kind = kinds[group]
        start, end = m.span(group)
        if kind == "NL":
            append(Tok("NL", "\n", line, start - line_start + 1, start, end, bol, indent))
            line += 1
            line_start = end
            bol = True
            continue
        if kind == "END":
            break
        col = start - line_start + 1
        if bol:
            lead = text[line_start:start]
            indent = len(lead.expandtabs(TAB_SIZE)) if "\t" in lead else len(lead)
        value = text[start:end]
        if kind == "SLASHCOMMENT":
            if m.start() == start and not bol:
                # `a//b` (no blank before it): not a comment; read it as two slashes (no
                # dialect uses it)
                append(Tok("OP", "/", line, col, start, start + 1, bol, indent))
                append(Tok("OP", "/", line, col + 1, start + 1, start + 2, False, indent))
                rest = text[start + 2:end]
                sub = tokenize(rest)[:-1]
                for t in sub:
                    if t.kind == "NL":
                        continue
                    append(Tok(t.kind, t.text, line, col + 2 + t.col - 1,
                               start + 2 + t.start, start + 2 + t.end, False, indent))
                bol = False
                continue
            kind = "COMMENT"
        elif kind == "BADSTR":
            if value == "`":
                raise LexError("a backtick template string has no Aether 1.2 form", line, col)
            raise LexError(f"string starting with {value} is not closed on this line",
                           line, col)
        if kind == "COMMENT":
            value = value.rstrip()  # trailing whitespace is not part of the comment
        append(Tok(kind, value, line, col, start, end, bol, indent))
        bol = False
    if not toks or toks[-1].kind != "NL":
        toks.append(Tok("NL", "\n", line, len(text) - line_start + 1, len(text), len(text),
                        bol, indent))
        line += 1
    toks.append(Tok("EOF", "", line, 1, len(text), len(text), True, 0))
    return toks


def count_comments(text: str) -> Optional[int]:
    """How many comments ``text`` holds: ``#`` comments and, for legacy text, ``//`` ones.

    None when the text cannot be tokenized at all.
    """
    try:
        return sum(1 for t in tokenize(text) if t.kind == "COMMENT")
    except LexError:
        return None
