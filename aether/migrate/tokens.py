"""A forgiving tokenizer for every legacy dialect (LANGUAGE.md section 6).

Unlike the Aether 1.2 scanner it never stops at an unknown character: JavaScript operators
(``||``, ``=>``, ``?.``, ``++``), ``//`` comments, ``$variables``, percentages (``80%``),
``30_seconds``-style words and stray symbols all become tokens, so the migration parser
can decide what each construct means and, when it has no Aether 1.2 form, name it. Tabs
in indentation count to the next multiple of 4 columns.

:func:`tokenize` runs the compiled tokenizer (``legacy_tokenize`` of the optional C
extension aether/syntax/_speedups.c) when it is built and selected, as the parser's loop is
(not with ``AETHER_PURE_PYTHON=1``, nor when built from other sources; aether.syntax.lalr
decides), else :func:`_tokenize_python`; the two give the same tokens, field by field, and
the same LexError (tests/test_migrate_tokens_compiled.py). The tokenizer was a tenth of a
migration after a check. The compiled one makes its tokens as instances of the classes
below (their slots filled from C, as the Python loop fills them one by one) rather than of
a C type: the migrator reads and sets their attributes and tests their class, and it then
sees one kind of token whichever tokenizer ran. It scans the frequent tokens by hand and
hands any step its ASCII rules cannot decide (a character outside ASCII that starts a
token, continues a word or follows a number) to :data:`_MASTER` itself, so the regex stays
the one definition of a token.
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
    first token of a physical line and ``indent`` is that line's indentation width. The
    fields hold str, int and bool values only: the compiled tokenizer leaves its tokens out
    of the garbage collector's lists, which is safe only while no token is in a cycle.
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


class _Scanned(Tok):
    """A token as :func:`tokenize` makes it: called without arguments, then its fields set
    one by one. Its ``__init__`` is object's, so the call runs no Python code (the
    tokenizer made each token with ``object.__new__(Tok)``, whose call packs and copies an
    argument tuple: a fifth of the cost of a token's step)."""

    __slots__ = ()
    __init__ = object.__init__


_OPS = ["===", "!==", "...", "**=", "=>", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=",
        "%=", "++", "--", "&&", "||", "?.", "??", "->", "<<", ">>", "**", "::", ".."]
_DQ = r'[^"\\\n]*(?:\\.[^"\\\n]*)*"'  # the rest of a string after its opening quote
_SQ = r"[^'\\\n]*(?:\\.[^'\\\n]*)*'"
# Each match is one token with the blanks before it (one step of the loop per token,
# not two): the blanks are greedy and every other character starts some token, so they
# are never given back; so the matches are contiguous and END (last) takes the blanks at
# the end of the text. Group 1 holds the blanks, so the token starts where it ends.
# The kind is the last group that closed: an empty group after each alternative's first
# character (an operator has none: group 1 is the last one). Every alternative opens
# with a character or a character set, which Python's re tests before it tries the
# alternative; with the kind's group around the whole token it entered each in turn
# (saving its marks), and the regex was half of the tokenizer's time. The alternatives
# are tried in turn, so the frequent ones come first (`:`, `.` and `=` are a seventh of
# the tokens, and were tried after all 26 longer operators), and the longer operators
# are grouped by their first character (one test instead of up to four). Alternatives
# that begin with the same character keep their order (the first that matches wins),
# and a grouped operator takes its longest spelling first, as the list did.
_MASTER = re.compile(r"""
    (?P<BLANKS>[ \t\f\v]*)
    (?:
        [(),{}\[\]]                       # an operator that begins no longer token
      | \n(?P<NL>)
      | [fF](?P<FSTR>)(?:""" + '"' + _DQ + "|'" + _SQ + r""")
      | [A-Za-z_$](?P<WORD>)[\w$]*
      | :[:]?                             # `:` `::`
      | \.(?:\.\.?)?                       # `.` `..` `...`
      | "(?P<STR>)""" + _DQ + r"""
      | =(?:==?|>)?                       # `=` `==` `===` `=>`
      | \#(?P<COMMENT>)[^\n]*
      | '(?P<SQSTR>)""" + _SQ + r"""
      | //(?P<SLASHCOMMENT>)[^\n]*
      | [^\W\d](?P<UWORD>)[\w$]*
      | ["'`](?P<BADSTR>)
      | 0[xX](?P<HEX>)[0-9a-fA-F]+
      | \d(?P<DUR>)[\d_]*(?:\.\d+)?(?:ms|s|m|h)(?![\w])
      | \d(?P<PCT>)[\d_]*(?:\.\d+)?%(?![\w(\d])
      | \d(?P<NUMWORD>)(?![\d_]*[eE][+-]?\d+(?![\w]))[\d_]*[A-Za-z_]\w*  # not 1e5
      | \d(?P<NUM>)[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?
      | -[-=>]?                           # the other operators of _OPS, by first character
      | !(?:==?)?
      | \*(?:\*=?|=)?
      | <[<=]?
      | >[>=]?
      | \+[+=]?
      | /=?
      | %=?
      | &&?
      | \|\|?
      | \?[.?]?
      | [^ \t\f\v\n]                      # any other character: an operator of its own
      | \Z(?P<END>)
    )
""", re.X)
# group number -> token kind (HEX is a NUM, NUMWORD a WORD, the strings STR, an operator
# leaves BLANKS last; SLASHCOMMENT is decided below)
_KINDS = [None] * (_MASTER.groups + 1)
for _name, _number in _MASTER.groupindex.items():
    _KINDS[_number] = {"BLANKS": "OP", "FSTR": "STR", "SQSTR": "STR", "UWORD": "WORD",
                       "HEX": "NUM", "NUMWORD": "WORD"}.get(_name, _name)
# the groups the loop does more with than make a token of the text
_SPECIAL = frozenset(_MASTER.groupindex[n]
                     for n in ("NL", "END", "COMMENT", "SLASHCOMMENT", "BADSTR"))
_NL = _MASTER.groupindex["NL"]
# group number -> the kind of a plain token (a word, an operator, a string or a number),
# None for the groups above: one list index and an `is` test per token told them apart
# (a set membership test and the list index were both paid before)
_PLAIN = [None if number in _SPECIAL else kind for number, kind in enumerate(_KINDS)]


def _bad_string(value: str, line: int, col: int) -> LexError:
    """The LexError for a quote ``value`` that starts no closed string (or a backtick)."""
    if value == "`":
        return LexError("a backtick template string has no Aether 1.2 form", line, col)
    return LexError(f"string starting with {value} is not closed on this line", line, col)


def _compiled_tokenizer():
    """``_speedups.legacy_tokenize`` when the extension is built and selected (the
    parser's choice: aether.syntax.lalr), else None."""
    from ..syntax.lalr import compiled

    return compiled("legacy_tokenize")


_COMPILED = _compiled_tokenizer()
_MATCH = _MASTER.match
_KIND_NAMES = tuple(_KINDS)  # group number -> kind, for the steps C hands to the regex


def tokenize(text: str) -> list[Tok]:
    """Tokens of ``text`` (``\\n`` newlines), ending with NL (if missing) and EOF: the
    compiled tokenizer's when it is built (see the module docstring), else
    :func:`_tokenize_python`'s, the same.

    Raises LexError only for an unterminated string or a backtick template.
    """
    if _COMPILED is not None:
        return _COMPILED(text, Tok, _Scanned, _MATCH, _KIND_NAMES, _bad_string, False)
    return _tokenize_python(text)


def _tokenize_python(text: str) -> list[Tok]:
    """:func:`tokenize` in Python: its tokens and LexError (the fallback, and the
    definition the compiled one is tested against)."""
    toks: list[Tok] = []
    append = toks.append
    kinds = _KINDS
    plain = _PLAIN
    nl = _NL
    tok = _Scanned
    line = 1
    line_start = 0
    bol = True
    indent = 0
    # `a//b` restarts the scan after its two slashes (below): -1, or where the last did
    slashes_end = -1
    scan = _MASTER.finditer(text)
    while scan is not None:
        matches, scan = scan, None
        for m in matches:
            group = m.lastindex
            kind = plain[group]
            if kind is not None:
                # a word, an operator, a string or a number: most tokens. Made slot by slot:
                # calling Tok(...) cost twice as much, and the tokenizer was a fifth of a
                # migration (it reads the original and, for its comments, the new text)
                start = m.end(1)
                end = m.end()
                t = tok()
                t.kind = kind
                t.text = text[start:end]
                t.line = line
                t.col = start - line_start + 1
                t.start = start
                t.end = end
                if bol:
                    lead = text[line_start:start]
                    indent = len(lead.expandtabs(TAB_SIZE)) if "\t" in lead else len(lead)
                    t.bol = True
                    bol = False
                else:
                    t.bol = False
                t.indent = indent
                append(t)
                continue
            if group == nl:  # a fifth of the tokens: made slot by slot too
                end = m.end()
                t = tok()
                t.kind = "NL"
                t.text = "\n"
                t.line = line
                t.col = end - line_start
                t.start = end - 1
                t.end = end
                t.bol = bol
                t.indent = indent
                append(t)
                line += 1
                line_start = end
                bol = True
                continue
            kind = kinds[group]
            if kind == "END":
                break
            start = m.end(1)
            end = m.end()
            col = start - line_start + 1
            if bol:
                lead = text[line_start:start]
                indent = len(lead.expandtabs(TAB_SIZE)) if "\t" in lead else len(lead)
            value = text[start:end]
            if kind == "SLASHCOMMENT":
                if m.start() == start and not bol and start != slashes_end:
                    # `a//b` (no blank before it): not a comment; read it as two slashes (no
                    # dialect uses it) and scan on after them, where a `//` is a comment
                    # again (`a////b`). The rest of the line was tokenized by a call of
                    # its own, once per `a//`: a line of them went quadratic, and past the
                    # recursion limit, "nested too deeply".
                    append(Tok("OP", "/", line, col, start, start + 1, bol, indent))
                    append(Tok("OP", "/", line, col + 1, start + 1, start + 2, False, indent))
                    bol = False
                    slashes_end = start + 2
                    scan = _MASTER.finditer(text, slashes_end)
                    break
                kind = "COMMENT"
            elif kind == "BADSTR":
                raise _bad_string(value, line, col)
            # a comment: trailing whitespace is not part of it (made slot by slot too: the
            # class call cost as much as the rest of the comment's step)
            t = tok()
            t.kind = kind
            t.text = value.rstrip()
            t.line = line
            t.col = col
            t.start = start
            t.end = end
            t.bol = bol
            t.indent = indent
            append(t)
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
