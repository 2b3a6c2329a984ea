"""Shared state and printing of the converter: what every rule module uses, no rule itself.

:class:`_Ctx` (the file's lines and tokens, the names it binds, the rules that fired),
:class:`Row` (one output line), :class:`Conversion` (the result), the expression printer
(:func:`expr_text`, :func:`expr_source`; precedence, quoting) and the token helpers that
read a value as prose or as an expression (:func:`_as_text`, :func:`_parse_tokens`,
:func:`_has_bad_names`, :func:`_literal`).

Rules: none.
Also: M026 (the printer turns `//` comments between arguments into `#`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .. import ir
from ..parser import KEYWORDS_12, Parser
from ..tokens import Tok


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONFIG_SECTIONS = {"meta", "policy", "require", "plugin_contract"}
_PREC = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4,
         "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


@dataclass(slots=True)
class Row:
    """One output line (or a block of lines: ``text`` may hold newlines, the lines after
    the first indented relative to this row). ``verbatim``: the source line it copies."""

    depth: float
    text: str
    origin: int
    verbatim: Optional[int] = None
    first: bool = True  # the first row of a statement (takes part in the indent check)


@dataclass
class Conversion:
    """The converted text, the rules that fired (id -> first line), notes for review
    (line, message) and, for each output line, the source line it came from."""

    text: str
    rules: dict[str, int] = field(default_factory=dict)
    review: list[tuple[int, str]] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    # when shown (whole_file._validated): the text parses without a syntax error, and these
    # are the findings of validating it (builtins, unbound names reported, the hints
    # asked for); its check then needs no parse of it
    validated: Optional[list] = None


class _Ctx:
    def __init__(self, text: str, toks: list[Tok]):
        self.text = text  # ``toks`` are its tokens (their offsets index it)
        self.src = text.split("\n")
        self.toks = toks
        self.rules: dict[str, int] = {}
        self.review: list[tuple[int, str]] = []
        self.bound: set[str] = set()
        self.fn_names: set[str] = set()
        self.defined_fns: set[str] = set()  # every fn the source defines, known up front
        # names the source binds as variables (`let`, `=`, `for`, parameters, `catch`),
        # known up front; `name: value` lines are not among them (see whole_file)
        self.variables: set[str] = set()
        # plugin name -> the comments of the import lines M029 made it of (kept with it)
        self.import_notes: dict[str, list[str]] = {}
        self.import_lines: dict[str, int] = {}  # plugin name -> line of its first import
        self.counter = 0
        self.brace = False
        self.renamed: dict[str, str] = {}
        self.suffix: dict[str, int] = {}  # next free number for a handler name
        self.handlers: dict[str, str] = {}  # legacy event name -> the fn M009 made of it
        # (rows, (text, origins), (text, origins) before the section rewrite):
        # whole_file._laid_out's last result
        self.laid_out = None
        # (text, probe text, its `require:` statement, its line, its lines): the last text
        # whole_file._require_inserted derived and showed to parse (see _spliced)
        self.spliced = None
        # the code tokens of each line (comments aside): what :meth:`tokens` gives for most
        # statements (one line), asked for each of them; a line of comments alone has an
        # empty list
        self.code_by_line: dict[int, list[Tok]] = {}
        self.slash_lines: set[int] = set()  # lines with a `//` comment
        self._by_line: Optional[dict[int, list[Tok]]] = None  # (see by_line)
        code_by_line = self.code_by_line
        slash_lines = self.slash_lines
        # one pass over the tokens, in text order (each line's tokens come together, the
        # NL that ends a line last): a line's list is made at its first token, and a
        # token that opens no line (most of them) costs one test of its line and of its
        # kind. (Grouping the tokens and filtering each group twice cost twice the pass
        # that also listed every line's tokens with its comments, and that pass was half
        # of the work outside the statements' conversion; those lists are made only when
        # asked for, by_line.)
        code: list[Tok] = []
        current = None
        for t in toks:
            kind = t.kind
            line = t.line
            if line != current:
                if kind == "NL" or kind == "EOF":  # a blank line's, or the end
                    continue
                current = line
                code = code_by_line[line] = []
            if kind == "COMMENT":
                if t.text.startswith("//"):
                    slash_lines.add(line)
            elif kind != "NL":
                code.append(t)

    @property
    def by_line(self) -> dict[int, list[Tok]]:
        """The tokens of each line that has any, comments included (made when first asked
        for: the conversion reads the code tokens alone, :attr:`code_by_line`)."""
        if self._by_line is None:
            by_line: dict[int, list[Tok]] = {}
            for t in self.toks:
                if t.kind != "NL" and t.kind != "EOF":
                    got = by_line.get(t.line)
                    if got is None:
                        by_line[t.line] = [t]
                    else:
                        got.append(t)
            self._by_line = by_line
        return self._by_line

    def tokens(self, first: int, last: int, comments: bool = False) -> list[Tok]:
        """Tokens of source lines first..last (comments only when asked); a new list."""
        lines = self.by_line if comments else self.code_by_line
        if first == last:
            return list(lines.get(first, ()))
        out: list[Tok] = []
        for n in range(first, last + 1):
            got = lines.get(n)
            if got:
                out.extend(got)
        return out

    def hit(self, rule: str, line: int) -> None:
        if rule not in self.rules or line < self.rules[rule]:
            self.rules[rule] = line

    def temp(self, prefix: str) -> str:
        self.counter += 1
        name = f"_{prefix}_{self.counter}"
        while name in self.bound or name in self.fn_names:
            self.counter += 1
            name = f"_{prefix}_{self.counter}"
        return name


#: the precedence of an expression by its class alone (the IR's expression classes have no
#: subclasses, so ``type(e)`` decides what ``isinstance`` would); Bin and Unary go by operator
_PREC_OF_TYPE = {ir.Call: 8, ir.Member: 8, ir.Index: 8}


def _prec(e: ir.Expr) -> int:
    cls = type(e)
    if cls is ir.Bin:
        return _PREC[e.op]
    if cls is ir.Unary:
        return 3 if e.op == "not" else 7
    return _PREC_OF_TYPE.get(cls, 9)


def _quote(text: str) -> str:
    """A double-quoted (or, to avoid escapes, single-quoted) literal holding ``text``."""
    text = text.replace("\\", "\\\\")
    if '"' not in text:
        return '"' + text + '"'
    if "'" not in text:
        return "'" + text + "'"
    return '"' + text.replace('"', '\\"') + '"'


def expr_text(e: ir.Expr, ctx: Optional[_Ctx] = None) -> str:
    """``e`` printed as Aether 1.2 (continuation lines indented relative to the first)."""
    return _Printer(ctx).expr(e)


class _Printer:
    def __init__(self, ctx: Optional[_Ctx]):
        self.ctx = ctx
        self.line = 0
        # names already found valid: a file prints the same few names again and again
        self.names: set[str] = set()

    def comment(self, text: str) -> str:
        if text.startswith("//"):
            if self.ctx is not None:
                self.ctx.hit("M026", self.line or 1)
            return "#" + text[2:]
        return text

    def name(self, ident: str, line: int) -> str:
        if ident in self.names:
            return ident
        if _NAME_RE.match(ident) and ident not in KEYWORDS_12:
            self.names.add(ident)
            return ident
        raise ir.Unconvertible(f"'{ident}' cannot be a name in Aether 1.2", line or None)

    def child(self, e: ir.Expr, min_prec: int) -> str:
        cls = type(e)
        # a name or a literal (most operands) binds tighter than any operator: printed
        # here, without the call of expr and the precedence test
        if cls is ir.Name:
            ident = e.id
            return ident if ident in self.names else self.name(ident, e.line)
        if cls is ir.Str or cls is ir.Num:
            return e.raw
        text = self.expr(e)
        # (_prec inlined: asked of every operand printed)
        if cls is ir.Bin:
            prec = _PREC[e.op]
        elif cls is ir.Unary:
            prec = 3 if e.op == "not" else 7
        else:
            prec = _PREC_OF_TYPE.get(cls, 9)
        if prec < min_prec:
            return "(" + text + ")"
        return text

    def expr(self, e: ir.Expr) -> str:
        # dispatched on ``type(e)`` (the IR's expression classes have no subclasses), the
        # commonest first: printing was a tenth of the statement conversion, most of it the
        # chain of isinstance tests
        cls = type(e)
        if cls is ir.Name:
            ident = e.id
            return ident if ident in self.names else self.name(ident, e.line)
        if cls is ir.Str or cls is ir.Num:
            return e.raw
        if cls is ir.Call:
            return self.call(e)
        if cls is ir.Member:
            attr = e.attr
            if attr not in self.names:
                if not _NAME_RE.match(attr) or attr in KEYWORDS_12:
                    raise ir.Unconvertible(f"the member name '.{attr}' is not possible in "
                                           "Aether 1.2", e.line or None)
                self.names.add(attr)
            return self.child(e.value, 8) + "." + attr
        if cls is ir.Lit:
            return e.value
        if cls is ir.Bin:
            p = _PREC[e.op]
            if p == 4:  # comparisons do not chain
                return f"{self.child(e.left, 5)} {e.op} {self.child(e.right, 5)}"
            return f"{self.child(e.left, p)} {e.op} {self.child(e.right, p + 1)}"
        if cls is ir.ListE:
            return self.seq("[", "]", self.texts(e.items), e)
        if cls is ir.DictE:
            parts = [f"{k}: {v}" for k, v in zip(e.keys, self.texts(e.values))]
            return self.seq("{", "}", parts, e)
        if cls is ir.Paren:
            return "(" + self.expr(e.value) + ")"
        if cls is ir.Unary:
            if e.op == "not":
                return "not " + self.child(e.operand, 3)
            return "-" + self.child(e.operand, 7)
        if cls is ir.Index:
            return self.child(e.value, 8) + "[" + self.expr(e.index) + "]"
        if cls is ir.Lambda:  # pragma: no cover - lowered before printing
            raise ir.Unconvertible("a function expression in this position", e.line)
        if cls is ir.Ternary:  # pragma: no cover - lowered before printing
            raise ir.Unconvertible("a conditional expression in this position", e.line)
        raise ir.Unconvertible("an expression with no Aether 1.2 form", getattr(e, "line", None))

    def call(self, e: ir.Call) -> str:
        func = e.func
        names = self.names
        # the callee and the arguments that are names or literals printed in place (most
        # of them, texts): a call was a third of the printing, much of it the calls per
        # argument
        if type(func) is ir.Name and func.id in names:
            text = func.id
        else:
            text = self.child(func, 8)
        parts = self.texts(e.args)
        if e.kwargs:
            parts += [f"{k if k in names else self.name(k, e.line)}={self.expr(v)}"
                      for k, v, *_ in e.kwargs]
        if not e.multiline and not e.comments:  # (seq's first case, most calls)
            self.line = e.line or self.line
            return text + "(" + ", ".join(parts) + ")"
        return text + self.seq("(", ")", parts, e)

    def texts(self, items: list) -> list[str]:
        """``[self.expr(x) for x in items]``, with the strings, numbers and names already
        found valid (most arguments, items and values) printed in place."""
        names = self.names
        expr = self.expr
        out = []
        for a in items:
            cls = type(a)
            if cls is ir.Str or cls is ir.Num:
                out.append(a.raw)
            elif cls is ir.Name and a.id in names:
                out.append(a.id)
            else:
                out.append(expr(a))
        return out

    def seq(self, open_: str, close: str, parts: list[str], e) -> str:
        comments = getattr(e, "comments", None) or {}
        self.line = e.line or self.line
        if not e.multiline and not comments:
            return open_ + ", ".join(parts) + close
        if not comments and isinstance(e, ir.Call) and all("\n" not in p for p in parts) \
                and len(", ".join(parts)) <= 80:
            return open_ + ", ".join(parts) + close  # the arguments fit on one line now
        if not comments and parts and "\n" in parts[-1] and all(
                "\n" not in p for p in parts[:-1]) and parts[-1][-1:] in ("}", "]", ")"):
            # only the last argument spans lines: keep it hugging the call
            return open_ + ", ".join(parts) + close
        lines = [open_]
        fix = self.comment
        for i, part in enumerate(parts):
            lead, trail = comments.get(i, ([], None))
            trail = fix(trail) if trail else trail
            for c in lead:
                lines.append("    " + fix(c))
            text = part.replace("\n", "\n    ")
            sep = "," if i < len(parts) - 1 else ""
            lines.append("    " + text + sep + ("  " + trail if trail else ""))
        lead, trail = comments.get(len(parts), ([], None))
        for c in lead:
            lines.append("    " + fix(c))
        lines.append(close)
        return "\n".join(lines)


def _root_name(e: ir.Expr) -> Optional[str]:
    while isinstance(e, (ir.Member, ir.Index)):
        e = e.value
    return e.id if isinstance(e, ir.Name) else None


def _dotted(e: ir.Expr) -> Optional[str]:
    parts = []
    while isinstance(e, ir.Member):
        parts.append(e.attr)
        e = e.value
    if isinstance(e, ir.Name):
        parts.append(e.id)
        return ".".join(reversed(parts))
    return None


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    if not s:
        s = "block"
    if s[0].isdigit():
        s = "n" + s
    return s[:48].rstrip("_")


def _literal(e: Optional[ir.Expr], raw: str) -> ir.Expr:
    """``e`` as a literal for ``meta:`` (bare words and other expressions become strings)."""
    if isinstance(e, (ir.Str, ir.Num, ir.Lit)):
        if isinstance(e, ir.Num) and not re.match(r"^-?\d[\d_]*(\.\d+)?$", e.raw):
            return ir.Str(_quote(e.raw))
        return e
    if isinstance(e, ir.Unary) and e.op == "-" and isinstance(e.operand, ir.Num):
        return ir.Num("-" + e.operand.raw)
    if isinstance(e, ir.ListE):
        items = []
        for item in e.items:
            items.append(_literal(item, expr_source(item)))
        return ir.ListE(items, e.comments, e.multiline, e.line)
    if isinstance(e, ir.DictE):
        return ir.DictE(e.keys, [_literal(v, expr_source(v)) for v in e.values], e.comments,
                        e.multiline, e.line)
    if isinstance(e, ir.Name):
        return ir.Str(_quote(e.id))
    return ir.Str(_quote(raw.strip()))


def expr_source(e: ir.Expr) -> str:
    """A readable spelling of ``e`` for turning it into text (never raises)."""
    try:
        return _Printer(None).expr(e)
    except ir.Unconvertible:
        if isinstance(e, ir.Name):
            return e.id
        return "?"


_BINARY = frozenset({"+", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "=", ",", ".",
                     "&&", "||", "===", "!=="})
_BINARY_WORDS = frozenset({"and", "or"})
_OPENER = {")": "(", "]": "[", "}": "{"}


def _as_text(ctx: _Ctx, toks: list[Tok], line: int) -> str:
    """A value that is no expression, as the text to quote (M011, M016, M017); Unconvertible
    when it reads as a broken expression rather than prose: a bracket left unmatched, an
    operator at its end or just before a closing bracket, or no word at all. Quoting
    `ready and` or `(1 + )` would hide a mistake in a string; prose such as `every 24h`,
    `read-only`, `fetch (daily)`, `{{n}}` or a criterion `> 0.8` is still quoted."""
    stack: list[str] = []
    for k, t in enumerate(toks):
        if t.kind != "OP":
            continue
        if t.text in ("(", "[", "{"):
            stack.append(t.text)
        elif t.text in _OPENER:
            if not stack or _OPENER[t.text] != stack.pop():
                raise ir.Unconvertible(f"'{t.text}' closes no bracket in this value: it is "
                                       "neither text nor an expression; fix it by hand",
                                       t.line)
        elif t.text in _BINARY and k + 1 < len(toks) and toks[k + 1].kind == "OP" and \
                toks[k + 1].text in _OPENER:
            raise ir.Unconvertible(f"'{t.text}' has no right-hand side in this value: it is "
                                   "neither text nor an expression; fix it by hand", t.line)
    if stack:
        raise ir.Unconvertible(f"'{stack[-1]}' is never closed in this value: it is neither "
                               "text nor an expression; fix it by hand", line)
    if toks:
        # (a final '.' or ',' ends prose)
        last = toks[-1]
        if (last.kind == "OP" and last.text in _BINARY - {".", ","}) or (
                last.kind == "WORD" and last.text in _BINARY_WORDS | {"not"}):
            raise ir.Unconvertible(f"this value ends with '{last.text}': it is a broken "
                                   "expression, not text; fix it by hand", last.line)
        criterion = toks[0].kind == "OP" and toks[0].text in ("<", "<=", ">", ">=", "==", "!=")
        if not criterion and not any(t.kind == "DUR" or (
                t.kind in ("WORD", "NUMWORD") and re.search("[A-Za-z]", t.text)) for t in toks):
            raise ir.Unconvertible("this value has no words: it is a broken expression, not "
                                   "text; fix it by hand", toks[0].line)
    return _tokens_text(ctx, toks)


def _tokens_text(ctx: _Ctx, toks: list[Tok]) -> str:
    """The source text a token run spans, lines joined by single spaces."""
    if not toks:
        return ""
    parts = []
    line = None
    for t in toks:
        if line is not None and t.line != line:
            parts.append(" ")
        parts.append(t)
        line = t.line
    out = []
    prev = None
    for p in parts:
        if p == " ":
            out.append(" ")
            prev = None
            continue
        if prev is not None and p.start > prev.end:
            out.append(" ")
        out.append(p.text)
        prev = p
    return "".join(out).strip()


def _sub_parser(toks: list[Tok]) -> Parser:
    line = toks[-1].line if toks else 1
    extra = [Tok("NL", "\n", line, 1, 0, 0, False, 0), Tok("EOF", "", line + 1, 1, 0, 0, True, 0)]
    return Parser(list(toks) + extra)


def _parse_tokens(toks: list[Tok]) -> Optional[ir.Expr]:
    """The tokens as one expression, or None."""
    if not toks:
        return None
    p = _sub_parser(toks)
    try:
        e = p.expr()
    except ir.Unconvertible:
        return None
    if p.peek().kind != "NL":
        return None
    return e


def _has_bad_names(e) -> bool:
    """Whether ``e`` holds a name no rule can make valid (``gpt-4o`` read as ``gpt - 4o``,
    non-ASCII words): such a value is text, not code."""
    # dispatched on ``type(x)`` (the IR's expression classes have no subclasses): asked
    # of every value, its chain of isinstance tests was a twentieth of the conversion
    cls = type(e)
    if cls is ir.Str or cls is ir.Num or cls is ir.Lit:  # (a third of the values asked)
        return False
    stack = [e]
    while stack:
        x = stack.pop()
        if x is None:
            continue
        cls = type(x)
        if cls is ir.Name:
            ident = x.id.lstrip("$")
            if not _NAME_RE.match(ident) and not (ident[:1].isdigit() and
                                                  _NAME_RE.match("_" + ident)):
                return True
            if ident[:1].isdigit():
                return True
        elif cls is ir.Str or cls is ir.Num or cls is ir.Lit:
            continue
        elif cls is ir.Call:
            stack.append(x.func)
            stack.extend(x.args)
            stack.extend(v for _, v, *_ in x.kwargs)
        elif cls is ir.Member:
            stack.append(x.value)
        elif cls is ir.Index:
            stack.extend((x.value, x.index))
        elif cls is ir.Unary:
            stack.append(x.operand)
        elif cls is ir.Bin:
            stack.extend((x.left, x.right))
        elif cls is ir.Paren:
            stack.append(x.value)
        elif cls is ir.ListE:
            stack.extend(x.items)
        elif cls is ir.DictE:
            stack.extend(x.values)
        elif cls is ir.Ternary:
            stack.extend((x.test, x.then, x.other))
        elif cls is ir.Comp:
            stack.extend((x.elt, x.iter, x.cond))
    return False


def _hyphenated(toks: list[Tok]) -> bool:
    """``read-write`` / ``gpt-4o``: words joined by ``-`` without spaces are text."""
    if len(toks) < 3:  # (no `-` between two tokens: most values, one token)
        return False
    if any(t.kind not in ("WORD", "NUM", "OP") or t.kind == "OP" and t.text not in (
            "-", ".") for t in toks):
        return False
    return any(t.kind == "OP" and t.text == "-" and 0 < i < len(toks) - 1 and
               toks[i - 1].end == t.start and toks[i + 1].start == t.end
               for i, t in enumerate(toks))
