"""Read a legacy ``.aether`` file of any dialect into the migration tree (:mod:`.ir`).

One recursive-descent parser (binary operators by precedence climbing over a table of
binding powers) covers all dialects, because real files mix them: blocks may
be delimited by indentation, by braces, or by a header and an ``end`` line (with or
without the header's colon, with the body indented or flat); expressions accept both the
Aether and the JavaScript spellings (``and``/``&&``, ``not``/``!``, ``x => ...``,
``c ? a : b``). A line that is no known statement is kept as a *command* (its tokens),
for the command rule to turn into a call. Comments are collected wherever they appear
and attached to the statement, list item, dict entry or argument they sit beside.

Raises :class:`~.ir.Unconvertible` with a line and a reason for what cannot be read.

Rules: M007 fn-definitions, M008 define-as (read here into a ``fn`` block and a binding;
the converter prints them as it prints any other).
Also: M004, M012, M016, M017 (the statement forms only the parser can tell apart).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Optional

from . import ir
from .tokens import Tok

__all__ = ["Parser", "parse_legacy", "KEYWORDS_12"]

# Reserved words of Aether 1.2 (a name spelt like one cannot be printed as a name).
KEYWORDS_12 = frozenset("if elif else for in while fn return try catch break continue await "
                        "not and or true false null as".split())

_COMPARE = {"==": "==", "===": "==", "!=": "!=", "!==": "!=", "<": "<", "<=": "<=",
            ">": ">", ">=": ">=", "in": "in"}
_BITWISE = {"&", "|", "^", "<<", ">>", "~"}
# Binding powers for Parser._binary (higher binds tighter; _NOT is the prefix `not`).
_OR, _AND, _NOT, _CMP, _BIT, _RANGE, _ADD, _MUL = range(1, 9)
# operator text -> (binding power, the token kinds it is an operator as, the tree's operator)
_BINARY: dict = {}
for _texts, _power, _kinds in (
        (("or", "||", "??"), _OR, ("OP", "WORD")), (("and", "&&"), _AND, ("OP", "WORD")),
        (("==", "===", "!=", "!==", "<", "<=", ">", ">="), _CMP, ("OP",)),
        (("in",), _CMP, ("OP", "WORD")), (("not", "is"), _CMP, ("WORD",)),
        (_BITWISE, _BIT, ("OP",)), (("..",), _RANGE, ("OP",)), (("+", "-"), _ADD, ("OP",)),
        (("*", "/", "%"), _MUL, ("OP",))):
    for _text in _texts:
        _BINARY[_text] = (_power, frozenset(_kinds), {"||": "or", "??": "or", "&&": "and"}.get(
            _text, _COMPARE.get(_text, _text)))
del _texts, _power, _kinds, _text
# words _unary looks at before the operand
_UNARY_WORDS = frozenset(("new", "typeof", "await"))
# tokens skipped inside brackets (Parser._skip)
_SKIPPED = frozenset(("NL", "COMMENT"))
# the kinds Parser.at/accept take an operator or keyword from
_OP_WORD = frozenset(("OP", "WORD"))
# operators that continue an operand (Parser._postfix)
_OPEN_BRACKETS = frozenset(("(", "[", "{"))
_CLOSE_BRACKETS = frozenset((")", "]", "}"))
_POSTFIX_OPS = frozenset((".", "?.", "(", "["))
# a token that ends an expression wherever it stands
_CLOSERS = frozenset((",", ")", "]", "}"))
# kinds of the one-token primaries (see Parser.expr), and the words among them that
# start something else (a lambda, a negation, a call path, an `if` expression)
_ATOM_KINDS = frozenset(("WORD", "STR", "NUM", "DUR", "PCT"))
_NOT_ATOMS = frozenset(("lambda", "function", "not", "if", "call"))
_ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%="}
_STMT_END = {"NL", "EOF", "COMMENT"}
_FN_WORDS = {"fn", "function", "def", "define", "export", "async"}
# the words Parser.statements looks at before it reads a statement
_LOOP_WORDS = frozenset(("end", "else", "elif", "catch", "except"))
# the words Parser.statement looks at (any other word starts a generic statement)
_STATEMENT_WORDS = KEYWORDS_12 | _FN_WORDS | {
    "when", "else", "catch", "elif", "if", "for", "while", "try", "match", "switch", "let",
    "const", "var", "return", "break", "continue", "throw", "raise", "finally", "plugin"}
_LITERAL_WORDS = {"true": "true", "false": "false", "null": "null", "True": "true",
                  "False": "false", "None": "null", "undefined": "null", "nil": "null"}
# words that cannot start an expression, and every word _primary reads as other than a name
_NOT_EXPR_WORDS = frozenset(("if", "else", "elif", "for", "while", "return", "fn", "let",
                             "catch", "try", "break", "continue"))
_SPECIAL_WORDS = _NOT_EXPR_WORDS | frozenset(_LITERAL_WORDS) | {"call"}
# the nodes _primary makes most, made without their __init__ call (see there)
_new = object.__new__
_Name = ir.Name
_Str = ir.Str
_Member = ir.Member
_Simple = ir.Simple
_Block = ir.Block
_Comment = ir.Comment


# The statement nodes, made as their __init__ makes them (every slot; a test holds the two
# to the same fields) without calling the class: a class call with keywords runs __init__
# in an eval loop of its own, with its keywords packed in a dict, and it cost a microsecond
# per statement (a tenth of the legacy parse). Only the keywords the parser passes.
def _simple(kind: str, first: int, last: int, target=None, op=None, value=None,
            options=None, tokens=None, indent: int = 0) -> ir.Simple:
    """An :class:`ir.Simple`, as ``ir.Simple(kind, first, last, ...)`` makes it."""
    s = _new(_Simple)
    s.first = first
    s.last = last
    s.synthetic = False
    s.trailing = None
    s.rules = []
    s.kind = kind
    s.target = target
    s.op = op
    s.value = value
    s.options = [] if options is None else options
    s.names = []
    s.tokens = [] if tokens is None else tokens
    s.body = None
    s.indent = indent
    s.text = None
    s.value_tokens = []
    return s


def _block(kind: str, first: int, name=None, test=None, target=None, iter=None, params=None,
           words=None, indent: int = 0, head_tokens=None) -> ir.Block:
    """An :class:`ir.Block`, as ``ir.Block(kind, first, ...)`` makes it."""
    b = _new(_Block)
    b.first = first
    b.last = first
    b.synthetic = False
    b.trailing = None
    b.rules = []
    b.kind = kind
    b.name = name
    b.test = test
    b.target = target
    b.iter = iter
    b.params = [] if params is None else params
    b.body = []
    b.orelse = []
    b.catch_name = None
    b.handler = []
    b.cases = []
    b.words = [] if words is None else words
    b.style = "colon"
    b.head_last = first
    b.indent = indent
    b.is_elif = False
    b.else_trailing = None
    b.catch_trailing = None
    b.head_tokens = [] if head_tokens is None else head_tokens
    b.else_line = None
    b.catch_line = None
    b.closer_comments = []
    b.final = []
    b.lowered = False
    return b


def _comment(text: str, line: int, indent: int) -> ir.Comment:
    """An :class:`ir.Comment`, as ``ir.Comment(text, line, indent)`` makes it."""
    c = _new(_Comment)
    c.first = line
    c.last = line
    c.synthetic = False
    c.trailing = None
    c.rules = []
    c.text = text
    c.indent = indent
    return c


class Parser:
    """Parser over the tokens of :func:`.tokens.tokenize` (see the module docstring)."""

    def __init__(self, toks: list[Tok], source: str = ""):
        self.toks = toks
        self._source = source
        self._source_lines: Optional[list[str]] = None  # split when a block scalar needs it
        self.i = 0
        self.depth = 0  # open brackets inside an expression (newlines ignored there)
        self.pending: list[tuple[int, str]] = []  # comments met inside brackets
        self._closers: Optional[dict[int, int]] = None  # see _closer
        self._last_end: Optional[int] = None  # see _end_ahead
        self._marks: Optional[tuple] = None  # see _back_to_depth
        # (start, end, tokens) of the last line _header_ahead read that holds no line end
        # (so no comment): what rest_tokens gives from that start (see generic_stmt)
        self._line_scan: Optional[tuple] = None

    # ------------------------------------------------------------ token access
    # These are the hottest calls of the parser (peek ran 350k times for 267 migrations):
    # each reads the token list once and calls _skip only inside brackets at a line end or
    # comment, where it has work.
    def _skip(self) -> None:
        if self.depth:
            toks = self.toks
            while toks[self.i].kind in _SKIPPED:
                t = toks[self.i]
                if t.kind == "COMMENT":
                    self.pending.append((t.line, t.text))
                self.i += 1

    def peek(self, k: int = 0) -> Tok:
        toks = self.toks
        if self.depth:
            if toks[self.i].kind in _SKIPPED:
                self._skip()
            if k:
                return self._peek_far(k)
        elif k:
            j = self.i + k
            return toks[j] if j < len(toks) else toks[-1]
        return toks[self.i]

    def _peek_far(self, k: int) -> Tok:
        """The ``k``-th token after the cursor inside brackets (line ends skipped)."""
        toks = self.toks
        j = self.i
        n = 0
        while True:
            j += 1
            if j >= len(toks):
                return toks[-1]
            if toks[j].kind in _SKIPPED:
                continue
            n += 1
            if n == k:
                return toks[j]

    def next(self) -> Tok:
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        if t.kind != "EOF":
            self.i += 1
        return t

    def at(self, *texts: str) -> bool:
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        return t.text in texts and (t.kind == "OP" or t.kind == "WORD")

    def accept(self, text: str) -> Optional[Tok]:
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        if t.text == text and (t.kind == "OP" or t.kind == "WORD"):
            self.i += 1  # (never EOF: its text is empty)
            return t
        return None

    def expect(self, text: str, what: str = "") -> Tok:
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        if t.text == text and (t.kind == "OP" or t.kind == "WORD"):
            self.i += 1
            return t
        found = "the end of the line" if t.kind == "NL" else (
            "the end of the file" if t.kind == "EOF" else f"'{t.text}'")
        raise ir.Unconvertible(f"expected '{text}'{' ' + what if what else ''}, found {found}",
                               t.line)

    def save(self):
        return (self.i, self.depth, len(self.pending))

    def restore(self, state) -> None:
        self.i, self.depth, n = state
        del self.pending[n:]

    # ------------------------------------------------------------ expressions
    def expr(self) -> ir.Expr:
        """An expression: a lambda, a conditional or the binary operators (``_binary``)."""
        toks = self.toks
        t = toks[self.i]
        if self.depth and t.kind in _SKIPPED:  # self.peek()
            self._skip()
            t = toks[self.i]
        if t.kind in _ATOM_KINDS and t.text not in _NOT_ATOMS:
            # One token before a token that ends the expression (`f(a, "b")`, `x = 5`):
            # the lambda tests, _binary, _postfix and the conditional tests would each look
            # at that end token and return, so the primary is the expression (two in three
            # expressions here).
            nxt = toks[self.i + 1]
            kind = nxt.kind
            if (kind == "OP" and nxt.text in _CLOSERS) or (not self.depth and (
                    kind == "COMMENT" or kind == "EOF" or
                    (kind == "NL" and not self._chain_ahead(self.i + 1)))):
                if t.kind == "WORD" and t.text not in _SPECIAL_WORDS:
                    # a name, as _primary makes it (most of these; no call for it)
                    self.i += 1
                    node = _new(_Name)
                    node.id = t.text
                    node.line = t.line
                    return node
                if t.kind == "STR":  # a string, as _primary makes it (most of the others)
                    self.i += 1
                    node = _new(_Str)
                    node.raw = t.text
                    node.line = t.line
                    return node
                return self._primary()
        if t.kind == "WORD":
            nxt = toks[self.i + 1]  # self.peek(1) (the cursor is on a word)
            if self.depth and nxt.kind in _SKIPPED:
                nxt = self._peek_far(1)
            # x => body
            if nxt.text == "=>" and nxt.kind == "OP":
                self.next()
                self.next()
                return ir.Lambda([(t.text, None)], self._lambda_body(), t.line)
            # lambda a, b: expr  (Python)
            if t.text == "lambda":
                self.next()
                params = []
                while not self.at(":"):
                    n = self.next()
                    if n.kind != "WORD":
                        raise ir.Unconvertible("not a lambda parameter list", n.line)
                    params.append((n.text, None))
                    if not self.accept(","):
                        break
                self.expect(":", "after the lambda parameters")
                return ir.Lambda(params, self.expr(), t.line)
            # function (a) { ... }
            if t.text == "function" and nxt.text == "(":
                self.next()
                params = self._paren_params()
                return ir.Lambda(params, self._lambda_body(require_block=True), t.line)
        # (a, b) => body
        elif t.kind == "OP" and t.text == "(":
            state = self.save()
            try:
                params = self._paren_params()
                if self.at("=>"):
                    self.next()
                    return ir.Lambda(params, self._lambda_body(), t.line)
            except ir.Unconvertible:
                pass
            self.restore(state)
        test = self._binary(_OR)
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        if t.text == "if" and t.kind == "WORD" and self._else_ahead():
            # Python: a if c else b
            kw = self.next()
            cond = self._binary(_OR)
            self.expect("else", "in a conditional expression")
            other = self.expr()
            return ir.Ternary(cond, test, other, kw.line)
        if t.text == "?" and t.kind == "OP":
            q = self.next()
            then = self.expr()
            self.expect(":", "in a `? :` conditional expression")
            other = self.expr()
            return ir.Ternary(test, then, other, q.line)
        return test

    def _chain_ahead(self, j: int) -> bool:
        """Whether the line after the newline at ``j`` continues a chained call (``.x``,
        ``?.x`` opening it), as :meth:`_postfix` reads it."""
        toks = self.toks
        while toks[j].kind in ("NL", "COMMENT"):
            j += 1
        nxt = toks[j]
        return nxt.kind == "OP" and nxt.text in (".", "?.") and nxt.bol

    def _else_ahead(self) -> bool:
        """Whether an ``else`` follows on this logical line, at this bracket depth."""
        j = self.i
        depth = 0
        toks = self.toks
        while True:
            t = toks[j]
            if t.kind == "EOF" or (t.kind == "NL" and depth == 0 and not self.depth):
                return False
            if t.kind == "OP" and t.text in ("(", "[", "{"):
                depth += 1
            elif t.kind == "OP" and t.text in (")", "]", "}"):
                depth -= 1
                if depth < 0:
                    return False
            elif t.kind == "OP" and t.text == "," and depth == 0:
                return False
            elif depth == 0 and t.kind == "WORD" and t.text == "else":
                return True
            j += 1

    def _comp_tail(self, elt: ir.Expr, line: int) -> ir.Comp:
        """``for x in xs [if c]`` after an element expression (a comprehension)."""
        self.expect("for")
        names = [self.next()]
        while self.accept(","):
            names.append(self.next())
        if any(n.kind != "WORD" for n in names):
            raise ir.Unconvertible("expected a loop variable in a comprehension", line)
        self.expect("in", "in a comprehension")
        it = self._binary(_OR)
        cond = None
        if self.accept("if"):
            cond = self._binary(_OR)
        if self.at("for"):
            raise ir.Unconvertible("nested comprehensions have no Aether 1.2 form", line)
        target = names[0].text if len(names) == 1 else [n.text for n in names]
        return ir.Comp(elt, target, it, cond, line)

    def _paren_params(self) -> list:
        """``(a, b=default)``: [(name, default expr or None)]."""
        self.expect("(")
        self.depth += 1
        params = []
        while not self.at(")"):
            if self.at("..."):
                raise ir.Unconvertible("rest parameters (`...args`) have no Aether 1.2 form",
                                       self.peek().line)
            t = self.next()
            if t.kind != "WORD":
                raise ir.Unconvertible("not a parameter list", t.line)
            default = None
            if self.accept("="):
                default = self.expr()
            params.append((t.text, default))
            if not self.accept(","):
                break
        self.depth -= 1
        self.expect(")")
        return params

    def _lambda_body(self, require_block: bool = False):
        if self.at("{") and self.peek().kind == "OP":
            # A block body: statements until the matching brace, newlines significant.
            saved_depth = self.depth
            self.next()
            self.depth = 0
            body = self.statements(until="}")
            self.expect("}")
            self.depth = saved_depth
            return body
        if require_block:
            raise ir.Unconvertible("expected '{' after function parameters", self.peek().line)
        return self.expr()

    def _after_op(self) -> None:
        """After a binary operator a statement continues on the next line (JavaScript)."""
        if self.depth:
            return
        toks = self.toks
        j = self.i
        while toks[j].kind in ("NL", "COMMENT"):
            j += 1
        if j != self.i and toks[j].kind != "EOF":
            for k in range(self.i, j):
                if toks[k].kind == "COMMENT":
                    self.pending.append((toks[k].line, toks[k].text))
            self.i = j

    def _binary(self, min_power: int) -> ir.Expr:
        """The operators binding at least ``min_power`` (see ``_BINARY``) over unary operands.

        Precedence climbing: one loop per operand instead of a recursive call per level
        (eight binary levels on every operand were a third of the legacy parse). The tree
        is the recursive-descent one: ``and``/``or``/``+``/``*`` group to the left,
        comparisons and ``..`` take one operator (``ceiling`` drops below their power
        after it), ``not`` prefixes only ``and``/``or`` operands, and a statement goes on
        after ``and``/``or``/``+``/``-``/``*``/``/``/``%`` at a line end (JavaScript).
        """
        toks = self.toks
        t = toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = toks[self.i]
        kind = t.kind
        if min_power <= _NOT and t.text == "not" and kind == "WORD":
            self.i += 1
            left = ir.Unary("not", self._binary(_NOT), t.line)
            ceiling = _NOT - 1  # the operand took every operator binding tighter
        elif kind == "OP" or (kind == "WORD" and t.text in _UNARY_WORDS):
            left = self._unary()
            ceiling = _MUL
        else:
            # what _unary does with an operand that has no prefix (most of them); a name
            # is made here, and _postfix called only before a token it reads (an operand
            # is a third of the tokens, and most are a name with nothing after it)
            if kind == "WORD" and t.text not in _SPECIAL_WORDS:
                self.i += 1
                left = _new(_Name)
                left.id = t.text
                left.line = t.line
            else:
                left = self._primary()
            t = toks[self.i]
            # (at a line end, _postfix only when a chained call goes on after it: an
            # operand that ends its line is a tenth of the tokens)
            if (t.kind in _SKIPPED and (self.depth or self._chain_ahead(self.i))) or (
                    t.kind == "OP" and t.text in _POSTFIX_OPS):
                left = self._postfix(left)
                t = toks[self.i]
            if self.depth and t.kind in _SKIPPED:
                self._skip()
                t = toks[self.i]
            if t.text == "**" and t.kind == "OP":
                self.i += 1
                left = ir.Call(ir.Name("pow"), [left, self._unary()], line=t.line)
            ceiling = _MUL
        binary = _BINARY
        while True:
            t = toks[self.i]
            if self.depth and t.kind in _SKIPPED:
                self._skip()
                t = toks[self.i]
            entry = binary.get(t.text)
            if entry is None:
                return left
            power, kinds, op = entry
            if power < min_power or power > ceiling or t.kind not in kinds:
                return left
            if power >= _ADD or power <= _AND:
                self.i += 1
                self._after_op()
                right = self._unary() if power == _MUL else self._binary(power + 1)
                left = ir.Bin(op, left, right, t.line)
                ceiling = power
            elif power == _CMP:
                if op == "not":
                    if self.peek(1).text != "in":
                        return left
                    self.i += 1
                    self.next()
                    right = self._binary(_BIT)
                    left = ir.Unary("not", ir.Paren(ir.Bin("in", left, right, t.line)), t.line)
                elif op == "is":
                    raise ir.Unconvertible("`is` comparisons have no Aether 1.2 form", t.line)
                else:
                    self.i += 1
                    right = self._binary(_BIT)
                    left = ir.Bin(op, left, right, t.line)
                    t2 = self.peek()
                    if t2.kind in ("OP", "WORD") and t2.text in _COMPARE and not (
                            t2.kind == "WORD" and t2.text != "in"):
                        raise ir.Unconvertible("chained comparisons (`a < b < c`) have no "
                                               "Aether 1.2 form", t2.line)
                ceiling = _CMP - 1
            elif power == _BIT:
                self.i += 1
                raise ir.Unconvertible(f"the bitwise operator `{t.text}` has no Aether 1.2 "
                                       "form", t.line)
            else:  # _RANGE
                self.i += 1
                right = self._binary(_ADD)
                stop = ir.Bin("+", right, ir.Num("1"), t.line) if not isinstance(
                    right, ir.Num) else ir.Num(_int_plus_one(right.raw), t.line)
                left = ir.Call(ir.Name("range"), [left, stop], line=t.line)
                ceiling = _RANGE - 1

    def _unary(self) -> ir.Expr:
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        kind = t.kind
        if kind == "OP":
            text = t.text
            if text == "-":
                self.i += 1
                return ir.Unary("-", self._unary(), t.line)
            if text == "+":
                self.i += 1
                return self._unary()
            if text == "!":
                self.i += 1
                return ir.Unary("not", self._unary(), t.line)
            if text == "...":
                raise ir.Unconvertible("spread (`...x`) has no Aether 1.2 form", t.line)
        elif kind == "WORD":
            text = t.text
            if text == "new" and self.peek(1).kind == "WORD":
                raise ir.Unconvertible("JavaScript `new` has no Aether 1.2 form", t.line)
            if text in ("typeof", "await") and self.peek(1).kind in ("WORD", "STR", "NUM"):
                raise ir.Unconvertible(f"`{text}` expressions have no Aether 1.2 form", t.line)
        value = self._primary()
        t = self.toks[self.i]
        if (t.kind in _SKIPPED and (self.depth or self._chain_ahead(self.i))) or (
                t.kind == "OP" and t.text in _POSTFIX_OPS):  # (as in _binary)
            value = self._postfix(value)
            t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        if t.text == "**" and t.kind == "OP":
            self.i += 1
            exp = self._unary()
            return ir.Call(ir.Name("pow"), [value, exp], line=t.line)
        return value

    def _postfix(self, value: ir.Expr) -> ir.Expr:
        t = self.toks[self.i]
        if self.depth:
            if t.kind in _SKIPPED:
                self._skip()
                t = self.toks[self.i]
        elif t.kind in _SKIPPED:
            if not self._chain_ahead(self.i):
                return value  # (no chained call goes on on the next line)
            t = None
        if t is not None and (t.kind != "OP" or t.text not in _POSTFIX_OPS):
            return value  # (most operands: no postfix, and no comment to hold)
        held: Optional[list[tuple[int, str]]] = None  # (made for a comment to hold)
        toks = self.toks
        try:
            while True:
                t = toks[self.i]
                kind = t.kind
                if kind in _SKIPPED:
                    if self.depth:
                        self._skip()
                        t = toks[self.i]
                        kind = t.kind
                    else:
                        # a chained call continued on the next line (`.filter(...)`), after
                        # a comment too (`.filter(ok) // kept ones`)
                        j = self.i
                        while toks[j].kind in _SKIPPED:
                            j += 1
                        nxt = toks[j]
                        if nxt.kind == "OP" and nxt.text in (".", "?.") and nxt.bol:
                            for k in range(self.i, j):
                                if toks[k].kind == "COMMENT":
                                    if held is None:
                                        held = []
                                    held.append((toks[k].line, toks[k].text))
                            self.i = j
                            continue
                        return value
                if kind != "OP":
                    return value
                text = t.text
                if text == "." or text == "?.":
                    self.i += 1
                    name = toks[self.i]  # self.next()
                    if self.depth and name.kind in _SKIPPED:
                        self._skip()
                        name = toks[self.i]
                    if name.kind != "EOF":
                        self.i += 1
                    if name.kind != "WORD":
                        raise ir.Unconvertible(f"expected a name after '{t.text}'", name.line)
                    if t.text == "?.":
                        # a?.b: `a.b` when a is not null, else null (a evaluated twice, so it
                        # must be a plain name chain)
                        probe = value
                        while isinstance(probe, (ir.Member, ir.Index)):
                            probe = probe.value
                        if not isinstance(probe, ir.Name) or _has_call(value):
                            raise ir.Unconvertible("optional chaining (`?.`) on a computed value "
                                                   "has no Aether 1.2 form", t.line)
                        value = ir.Ternary(ir.Bin("!=", value, ir.Lit("null"), t.line),
                                           ir.Member(value, name.text, t.line), ir.Lit("null"),
                                           t.line)
                    else:
                        member = _new(_Member)  # (see _primary's names)
                        member.value = value
                        member.attr = name.text
                        member.line = t.line
                        value = member
                # at statement level, `(` / `[` on a new line does not continue the line
                elif text == "(" and (self.depth or not t.bol):
                    value = self._call_args(value)
                elif text == "[" and (self.depth or not t.bol):
                    self.next()
                    self.depth += 1
                    start = None if self.at(":") else self.expr()
                    if self.accept(":"):
                        stop = None if self.at("]") else self.expr()
                        self.depth -= 1
                        self.expect("]")
                        args = [value, start if start is not None else ir.Num("0", t.line)]
                        if stop is not None:
                            args.append(stop)
                        value = ir.Call(ir.Name("slice"), args, line=t.line)
                        continue
                    self.depth -= 1
                    self.expect("]")
                    value = ir.Index(value, start, t.line)
                else:
                    return value
        finally:
            # comments between the lines of a chain go before its statement, not into the
            # arguments of the call on the next line (which takes the pending comments)
            if held:
                self.pending.extend(held)

    def _call_args(self, func: ir.Expr) -> ir.Call:
        # (the cursor reads below are next/peek/at/accept written out: a call's arguments
        # were a fifth of the legacy parse, and its token accesses most of their calls)
        toks = self.toks
        open_ = toks[self.i]  # self.next(): _postfix stands on this `(`
        self.i += 1
        self.depth += 1
        args: list = []
        kwargs: list = []
        comments: dict = {}
        index = 0
        while True:
            # (a call without comments in it is the common case: no _take_pending call)
            if toks[self.i].kind in _SKIPPED:
                self._skip()
            lead = self._take_pending() if self.pending else []
            t = toks[self.i]
            if t.text == ")" and (t.kind == "OP" or t.kind == "WORD"):
                if lead:
                    comments.setdefault(index, ([], None))[0].extend(lead)
                break
            if t.kind == "OP" and t.text == "...":
                raise ir.Unconvertible("spread (`...x`) has no Aether 1.2 form", t.line)
            # self.peek(1), read after a word only (a keyword argument's name; never EOF):
            # the cursor is on no line end here
            nxt = toks[self.i + 1] if t.kind == "WORD" else t
            if nxt.kind in _SKIPPED:
                nxt = self._peek_far(1)
            if t.kind == "WORD" and nxt.kind == "OP" and nxt.text in ("=", ":") and \
                    self.peek(2).text != "=":
                self.next()
                self.next()
                kwargs.append((t.text, self.expr(), nxt.text))
            else:
                if kwargs:
                    raise ir.Unconvertible("a positional argument follows a keyword argument",
                                           t.line)
                arg = self.expr()
                after = toks[self.i]
                if after.kind in _SKIPPED:
                    self._skip()
                    after = toks[self.i]
                if after.text == "for" and after.kind == "WORD":  # self.at("for")
                    arg = self._comp_tail(arg, t.line)
                args.append(arg)
            end_line = toks[self.i - 1].line
            after = toks[self.i]
            if after.kind in _SKIPPED:
                self._skip()
                after = toks[self.i]
            more = after.text == "," and (after.kind == "OP" or after.kind == "WORD")
            if more:  # self.accept(",")
                self.i += 1
            if toks[self.i].kind in _SKIPPED:
                self._skip()
            if self.pending:  # (its _skip has nothing left to do)
                self._attach_trailing(comments, index, end_line, lead)
            elif lead:
                comments[index] = (list(lead), None)
            index += 1
            if not more:
                break
        rest = self._take_pending() if self.pending or toks[self.i].kind in _SKIPPED else None
        if rest:
            comments.setdefault(index, ([], None))[0].extend(rest)
        self.depth -= 1
        close = self.expect(")", "to close the call")
        return ir.Call(func, args, kwargs, comments, close.line != open_.line, open_.line)

    def _take_pending(self) -> list[str]:
        self._skip()
        if not self.pending:
            return []
        out = [text for _, text in self.pending]
        self.pending.clear()
        return out

    def _attach_trailing(self, comments: dict, index: int, end_line: int, lead) -> None:
        self._skip()
        if not self.pending:
            if lead:
                comments[index] = (list(lead), None)
            return
        trailing = None
        keep = []
        for line, text in self.pending:
            if line == end_line and trailing is None:
                trailing = text
            else:
                keep.append((line, text))
        self.pending[:] = keep
        if lead or trailing:
            comments[index] = (list(lead or []), trailing)

    def _primary(self) -> ir.Expr:
        t = self.toks[self.i]
        if self.depth and t.kind in _SKIPPED:
            self._skip()
            t = self.toks[self.i]
        kind = t.kind
        if kind == "WORD":
            if t.text not in _SPECIAL_WORDS:
                self.i += 1
                # made slot by slot, as the tokenizer makes its tokens: a name is a third
                # of the tree's nodes, and calling Name(...) cost twice as much
                node = _new(_Name)
                node.id = t.text
                node.line = t.line
                return node
            if t.text == "call" and self.peek(1).kind == "WORD":
                return self._call_path()
            if t.text in _LITERAL_WORDS:
                self.next()
                return ir.Lit(_LITERAL_WORDS[t.text], t.line)
            if t.text == "if" and self.depth == 0:
                return self._if_expression()
            if t.text in _NOT_EXPR_WORDS:
                raise ir.Unconvertible(f"'{t.text}' cannot start an expression", t.line)
            self.next()
            return ir.Name(t.text, t.line)
        if kind == "STR":
            self.i += 1
            node = _new(_Str)  # (see Name above)
            node.raw = t.text
            node.line = t.line
            return node
        if kind == "NUM" or kind == "DUR":
            self.i += 1
            raw = t.text
            if raw[:2] in ("0x", "0X"):
                raw = str(int(raw, 16))
            return ir.Num(raw, t.line)
        if kind == "PCT":
            self.i += 1
            return ir.Num(_percent(t.text), t.line)
        if kind == "OP":
            if t.text == "(":
                self.next()
                self.depth += 1
                if self.at(")"):
                    raise ir.Unconvertible("an empty tuple `()` has no Aether 1.2 form", t.line)
                inner = self.expr()
                if self.at("for"):
                    inner = self._comp_tail(inner, t.line)
                elif self.at(","):
                    items = [inner]
                    while self.accept(","):
                        if self.at(")"):
                            break
                        items.append(self.expr())
                    self.depth -= 1
                    self.expect(")", "to close the tuple")
                    return ir.ListE(items, None, False, t.line)  # a tuple: a list
                self.depth -= 1
                self.expect(")", "to close the parenthesis")
                return ir.Paren(inner, t.line)
            if t.text == "[":
                return self._list()
            if t.text == "{":
                return self._dict()
            if t.text == "/":
                raise ir.Unconvertible("a regular-expression literal has no Aether 1.2 form",
                                       t.line)
        found = {"NL": "the end of the line", "EOF": "the end of the file"}.get(
            kind, f"'{t.text}'")
        raise ir.Unconvertible(f"expected an expression, found {found}", t.line)

    def _if_expression(self) -> ir.Expr:
        """``if c { a } else { b }`` used as a value (brace dialect)."""
        kw = self.next()
        test = self._binary(_OR)
        self.expect("{", "in an `if` expression")
        self.depth += 1
        then = self.expr()
        self.depth -= 1
        self.expect("}", "in an `if` expression")
        j = self.i
        while self.toks[j].kind == "NL":
            j += 1
        if not (self.toks[j].kind == "WORD" and self.toks[j].text == "else"):
            raise ir.Unconvertible("an `if` expression without `else`", kw.line)
        self.i = j + 1
        if self.at("if"):
            other = self._if_expression()
        else:
            self.expect("{", "in an `if` expression")
            self.depth += 1
            other = self.expr()
            self.depth -= 1
            self.expect("}", "in an `if` expression")
        return ir.Ternary(test, then, other, kw.line)

    def _call_path(self) -> ir.Expr:
        """``call a/b.c(x)`` (brace dialect): the slash path becomes a dotted name."""
        self.next()
        first = self.next()
        value: ir.Expr = ir.Name(first.text, first.line)
        while self.peek().kind == "OP" and self.peek().text in ("/", "."):
            sep = self.next()
            name = self.next()
            if name.kind != "WORD":
                raise ir.Unconvertible(f"expected a name after '{sep.text}' in a call path",
                                       name.line)
            value = ir.Member(value, name.text, sep.line)
        value = self._postfix(value)
        if not isinstance(value, ir.Call) and not self._ends_in_call(value):
            value = ir.Call(value, [], line=first.line)  # `call a/b.c` without arguments
        return value

    @staticmethod
    def _ends_in_call(value) -> bool:
        while isinstance(value, (ir.Member, ir.Index)):
            value = value.value
        return isinstance(value, ir.Call)

    def _list(self) -> ir.ListE:
        open_ = self.next()
        self.depth += 1
        items: list = []
        comments: dict = {}
        spreads: list = []  # (index in items, the spread list)
        toks = self.toks
        while True:
            lead = self._take_pending() if self.pending or toks[self.i].kind in _SKIPPED \
                else []
            if self.at("]"):
                if lead:
                    comments.setdefault(len(items), ([], None))[0].extend(lead)
                break
            if self.at("..."):
                # `[...a, x, ...b]`: the lists joined, `a + [x] + b`
                self.next()
                spreads.append((len(items), self.expr()))
                end_line = self.toks[self.i - 1].line
                if not self.accept(",") and not self.at("]") and self.peek().line == end_line:
                    raise ir.Unconvertible("a spread item must be followed by `,` or `]`",
                                           self.peek().line)
                continue
            item = self.expr()
            if not items and not spreads and self.at("for") and self.peek().kind == "WORD":
                comp = self._comp_tail(item, open_.line)
                self.depth -= 1
                self.expect("]", "to close the comprehension")
                return comp
            items.append(item)
            end_line = toks[self.i - 1].line
            more = self.accept(",")
            if self.pending or toks[self.i].kind in _SKIPPED:
                self._attach_trailing(comments, len(items) - 1, end_line, lead)
            elif lead:
                comments[len(items) - 1] = (list(lead), None)
            if not more:
                nxt = self.peek()
                # YAML-style lists separate items by newlines only
                if nxt.kind == "OP" and nxt.text == "]" or nxt.line == end_line:
                    continue
        rest = self._take_pending()
        if rest:
            comments.setdefault(len(items), ([], None))[0].extend(rest)
        self.depth -= 1
        close = self.expect("]", "to close the list")
        multiline = close.line != open_.line
        if not spreads:
            return ir.ListE(items, comments, multiline, open_.line)
        for _, (lead, trail) in sorted(comments.items()):
            for c in lead + ([trail] if trail else []):
                self.pending.append((open_.line, c))
        parts: list = []
        start = 0
        for at, value in spreads:
            if at > start:
                parts.append(ir.ListE(items[start:at], None, False, open_.line))
            parts.append(value)
            start = at
        if start < len(items):
            parts.append(ir.ListE(items[start:], None, False, open_.line))
        if len(parts) == 1:  # `[...xs]`: a list made of xs
            parts.insert(0, ir.ListE([], None, False, open_.line))
        out = parts[0]
        for part in parts[1:]:
            out = ir.Bin("+", out, part, open_.line)
        return out

    def _dict(self) -> ir.DictE:
        open_ = self.next()
        self.depth += 1
        keys: list = []
        values: list = []
        comments: dict = {}
        spreads: list = []
        toks = self.toks
        while True:
            # (the cursor reads here are _take_pending/at/next/accept written out, as in
            # _call_args: inside the braces every line end is skipped)
            if toks[self.i].kind in _SKIPPED:
                self._skip()
            lead = self._take_pending() if self.pending else []
            k = toks[self.i]
            if k.text == "}" and k.kind in _OP_WORD:  # self.at("}")
                if lead:
                    comments.setdefault(len(keys), ([], None))[0].extend(lead)
                break
            if k.kind != "EOF":  # self.next()
                self.i += 1
            if k.kind == "OP" and k.text == "...":
                # `{...base, k: v}`: merge(base, {k: v}) (later keys win, as in the spread)
                spreads.append((len(keys), self.expr()))
                for c in lead:
                    self.pending.append((k.line, c))
                if not self.accept(","):
                    continue
                continue
            if k.kind == "OP" and k.text == "[":
                raise ir.Unconvertible("computed dict keys (`[k]: v`) have no Aether 1.2 form",
                                       k.line)
            if k.kind == "WORD":
                key = k.text
                if key in KEYWORDS_12 or not (key.isascii() and key.isidentifier()):
                    key = '"' + key + '"'  # (not an ASCII identifier: quoted)
            elif k.kind == "STR":
                key = k.text
            elif k.kind == "NUM" and k.text.isdigit():
                key = k.text
            else:
                raise ir.Unconvertible(f"'{k.text}' cannot be a dict key", k.line)
            # (inside the braces: the token after _skip, read without at/accept calls)
            t = toks[self.i]
            if t.kind in _SKIPPED:
                self._skip()
                t = toks[self.i]
            if k.kind == "WORD" and t.text in (",", "}") and t.kind in _OP_WORD:
                value: ir.Expr = ir.Name(k.text, k.line)  # {a, b} shorthand
            else:
                if t.text in (":", "=") and t.kind in _OP_WORD:
                    self.i += 1
                else:
                    raise ir.Unconvertible(f"expected ':' after the dict key '{k.text}'",
                                           t.line)
                value = self.expr()
                t = toks[self.i]
                if t.kind in _SKIPPED:
                    self._skip()
                    t = toks[self.i]
            if t.text == "for" and t.kind == "WORD":
                raise ir.Unconvertible("dict comprehensions have no Aether 1.2 form", k.line)
            keys.append(key)
            values.append(value)
            end_line = toks[self.i - 1].line
            more = t.text == "," and t.kind in _OP_WORD  # self.accept(",")
            if more:
                self.i += 1
            if toks[self.i].kind in _SKIPPED:
                self._skip()
            if self.pending:  # (its _skip has nothing left to do)
                self._attach_trailing(comments, len(keys) - 1, end_line, lead)
            elif lead:
                comments[len(keys) - 1] = (list(lead), None)
            t = toks[self.i]
            if not more and not (t.text == "}" and t.kind in _OP_WORD) and t.line == end_line:
                raise ir.Unconvertible(f"expected ',' or '}}' in a dict, found '{t.text}'",
                                       t.line)
        rest = self._take_pending()
        if rest:
            comments.setdefault(len(keys), ([], None))[0].extend(rest)
        self.depth -= 1
        close = self.expect("}", "to close the dict")
        multiline = close.line != open_.line
        if not spreads:
            return ir.DictE(keys, values, comments, multiline, open_.line)
        for _, (lead, trail) in sorted(comments.items()):
            for c in lead + ([trail] if trail else []):
                self.pending.append((open_.line, c))
        parts: list = []
        start = 0
        for at, value in spreads:
            if at > start:
                parts.append(ir.DictE(keys[start:at], values[start:at], None, multiline,
                                      open_.line))
            parts.append(value)
            start = at
        if start < len(keys):
            parts.append(ir.DictE(keys[start:], values[start:], None, multiline, open_.line))
        return ir.Call(ir.Name("merge"), parts, line=open_.line)

    # ------------------------------------------------------------ statement helpers
    def at_line_end(self) -> bool:
        t = self.peek() if self.depth else self.toks[self.i]
        return t.kind in _STMT_END or (t.kind == "OP" and t.text in ("}", ";"))

    def end_statement(self, stmt: ir.Stmt) -> ir.Stmt:
        """Consume what ends a simple statement (``;``, a trailing comment, the newline)."""
        t = self.peek() if self.depth else self.toks[self.i]
        if t.text == ";" and (t.kind == "OP" or t.kind == "WORD"):  # self.accept(";")
            self.i += 1
            t = self.peek() if self.depth else self.toks[self.i]
        if t.kind == "COMMENT":  # (a line end or comment is never skipped here)
            stmt.trailing = t.text
            self.i += 1
            t = self.peek() if self.depth else self.toks[self.i]
        if t.kind == "NL":
            self.i += 1
        elif t.kind == "EOF" or (t.kind == "OP" and t.text == "}"):
            pass
        else:
            raise ir.Unconvertible(f"unexpected '{t.text}' after the statement", t.line)
        return stmt

    def rest_tokens(self) -> list[Tok]:
        """Tokens to the end of the logical line (brackets may span lines)."""
        out: list[Tok] = []
        depth = 0
        toks = self.toks
        i = self.i
        while True:
            t = toks[i]
            kind = t.kind
            if kind == "EOF":
                break
            if kind == "OP":
                text = t.text
                if text in _OPEN_BRACKETS:
                    depth += 1
                elif text in _CLOSE_BRACKETS:
                    if depth == 0 and text == "}" and out:
                        break
                    if depth:
                        depth -= 1
                out.append(t)
            elif kind == "NL":
                if depth == 0:
                    break
            elif kind == "COMMENT":
                if depth == 0:
                    break
                self.pending.append((t.line, t.text))
            else:
                out.append(t)
            i += 1
        self.i = i
        return out

    # ------------------------------------------------------------ statements
    def statements(self, until: Optional[str] = None, header_indent: int = -1,
                   body_indent: int = 0, stop_words: frozenset = frozenset(),
                   flat: bool = False) -> list:
        """Statements of one block.

        ``until="}"``: a brace block; ``flat``: a colon-and-end body whose lines are not
        indented (it runs to ``end``); otherwise an indented body (``header_indent`` is the
        header's indentation; -1 at top level).
        """
        body: list = []
        toks = self.toks
        # The loop's tests, decided once per block (the loop runs once per line; its tests
        # were a tenth of the legacy parse): whether the body ends where a line is indented
        # no further than the header, and what a `}` and an `end` line do here.
        indented = until is None and not flat and header_indent >= 0
        brace_ends = until == "}" or header_indent >= 0 or flat
        end_ends = header_indent >= 0 or flat
        # the code token after the comments being read, when it is inside the block: the
        # comments before it stay in the block without a look past them each (a run of n
        # comments under-indented in a body took n**2 / 2 token reads)
        code_inside = -1
        while True:
            i = self.i
            t = toks[i]
            kind = t.kind
            while kind == "NL":  # blank lines and the line end after a block
                i += 1
                t = toks[i]
                kind = t.kind
            self.i = i
            if kind == "COMMENT":
                if indented and t.indent <= header_indent and i > code_inside:
                    j = i + 1  # whether the next code line is outside the block
                    while toks[j].kind in ("NL", "COMMENT"):
                        j += 1
                    if toks[j].kind == "EOF" or toks[j].indent <= header_indent:
                        break
                    code_inside = j
                body.append(_comment(t.text, t.line, t.indent))
                self.i = i + 1
                continue
            if kind == "EOF":
                break
            text = t.text
            if kind == "WORD" and text not in _LOOP_WORDS:
                # a word this loop does nothing with (most lines): the tests below that
                # apply to it, and the statement it starts
                if indented and t.indent <= header_indent:
                    break
                statement = self.generic_stmt if text not in _STATEMENT_WORDS and \
                    not self.depth else self.statement
            elif kind == "OP":
                if text == "}":
                    if brace_ends:
                        break
                    raise ir.Unconvertible("'}' closes a block that was never opened", t.line)
                if indented and t.indent <= header_indent:
                    break
                statement = self.statement
            else:  # another kind, or `end`, `else`, `elif`, `catch`, `except`
                if kind == "WORD" and text == "end" and self._alone_on_line():
                    if end_ends:
                        break
                    if until is None:
                        raise ir.Unconvertible("`end` closes no block", t.line)
                if indented and t.indent <= header_indent:
                    break
                if kind == "WORD":
                    if text in ("else", "elif", "catch", "except") and not (
                            toks[i + 1].text == ":" and toks[i + 2].kind in (
                                "NL", "COMMENT") and text not in stop_words):
                        if text in stop_words and (flat or until == "}" or header_indent < 0
                                                   or t.indent <= header_indent):
                            break
                        raise ir.Unconvertible(f"`{text}` without a matching block", t.line)
                    # (a word statement() has no form for goes straight to generic_stmt)
                    statement = self.generic_stmt if text not in _STATEMENT_WORDS and \
                        not self.depth else self.statement
                else:
                    statement = self.statement
            pending = self.pending
            before = len(pending)
            stmt = statement()
            if len(pending) > before:
                leftovers = pending[before:]
                del pending[before:]
                for line, comment in leftovers:
                    body.append(_comment(comment, line, t.indent))
            if stmt is not None:
                body.append(stmt)
        return body

    def _has_body_ahead(self) -> bool:
        """Whether the line at the cursor is a block header: it ends in ``:`` or ``{``, the
        next code line is indented further, or an ``end`` line follows."""
        j = self.i
        toks = self.toks
        depth = 0
        last = None
        while True:
            t = toks[j]
            kind = t.kind
            if kind == "EOF" or (depth == 0 and kind in _SKIPPED):
                break
            if kind == "OP":
                text = t.text
                if text == "{" and depth == 0 and self._opens_block(j):
                    return True
                if text in _OPEN_BRACKETS:
                    depth += 1
                elif text in _CLOSE_BRACKETS:
                    depth -= 1
                    if depth < 0:
                        # below zero a line end no longer ends the header: it runs on to
                        # where the brackets after it bring the depth back to zero, found
                        # by lookup (scanned, a file of `if x)` lines took n**2 / 2 reads)
                        j = self._back_to_depth(j + 1, depth)
                        last = toks[j - 1]
                        depth = 0
                        continue
            last = t
            j += 1
        if last is not None and last.kind == "OP" and last.text in (":", "{"):
            return True
        while toks[j].kind in ("NL", "COMMENT"):
            j += 1
        nxt = toks[j]
        first = toks[self.i]
        if nxt.kind != "EOF" and nxt.indent > first.indent:
            return True
        return self._end_ahead()

    def _back_to_depth(self, j: int, depth: int) -> int:
        """Where a scan of the tokens from ``j`` that stands at bracket ``depth`` there
        first comes back to depth zero on a line end, a comment or a ``{`` (the tokens
        _has_body_ahead stops or looks at), else the index of EOF.

        The bracket depth before each token and, per depth, where those tokens stand are
        found once per parser; then each question is a binary search.
        """
        if self._marks is None:
            toks = self.toks
            before: list[int] = []
            marks: dict[int, list[int]] = {}
            eof = len(toks) - 1
            level = 0
            for k, t in enumerate(toks):
                before.append(level)
                kind = t.kind
                if kind == "OP":
                    text = t.text
                    if text == "{":
                        marks.setdefault(level, []).append(k)
                    if text in _OPEN_BRACKETS:
                        level += 1
                    elif text in _CLOSE_BRACKETS:
                        level -= 1
                elif kind in _SKIPPED:
                    marks.setdefault(level, []).append(k)
                elif kind == "EOF":
                    eof = k
                    break
            self._marks = (before, marks, eof)
        before, marks, eof = self._marks
        if j >= eof:
            return eof
        at = marks.get(before[j] - depth)
        if at:
            n = bisect_left(at, j)
            if n < len(at) and at[n] < eof:
                return at[n]
        return eof

    def _alone_on_line(self) -> bool:
        nxt = self.toks[self.i + 1]
        return nxt.kind in ("NL", "EOF", "COMMENT") or (nxt.kind == "OP" and nxt.text == ";")

    def statement(self) -> Optional[ir.Stmt]:
        t = self.peek() if self.depth else self.toks[self.i]
        if t.kind == "WORD":
            word = t.text
            if word not in _STATEMENT_WORDS:
                return self.generic_stmt()  # (the checks below are all for other words)
        else:
            word = None
        # the next token: read once, no token is taken before its uses (outside brackets it
        # is the one after the cursor, which is never at the end of the file here)
        n1 = self.toks[self.i + 1] if not self.depth and t.kind != "EOF" else self.peek(1)
        if (word in KEYWORDS_12 or word == "when") and n1.kind == "OP" and \
                n1.text == ":" \
                and (self.peek(2).kind not in ("NL", "COMMENT", "EOF") or
                     word not in ("if", "else", "elif", "for", "while", "try", "catch",
                                  "fn")):
            # a YAML key spelt like a reserved word (`if: x`) or a header word (`when: X`
            # in an on_error rule: a legacy `when COND:` header has no colon after `when`)
            return self.generic_stmt()
        if word in ("else", "catch", "elif") and n1.text == ":" and \
                self.peek(2).kind in ("NL", "COMMENT"):
            return self.section_stmt()  # an orphan `else:` key in YAML-style data
        if word in ("if", "when") and not self._has_body_ahead():
            tokens = self.rest_tokens()
            stmt = _simple("raw", tokens[0].line, tokens[-1].line, tokens=tokens,
                             indent=tokens[0].indent)
            return self.end_statement(stmt)
        if word == "if":
            return self.if_stmt()
        if word == "for" and (n1.kind == "WORD" or n1.text == "("):
            # `for (...)` too: for_stmt refuses it (read as a legacy `NAME {` header it
            # became a fn that is never called, the loop gone)
            return self.for_stmt()
        if word == "while":
            return self.while_stmt()
        if word == "try":
            return self.try_stmt()
        if word in ("match", "switch") and n1.kind != "OP" or (
                word in ("match", "switch") and n1.text == "("):
            state = self.save()
            try:
                return self.match_stmt()
            except ir.Unconvertible:
                self.restore(state)
        if word in _FN_WORDS:
            got = self.fn_stmt()
            if got is not None:
                return got
        if word in ("let", "const", "var") and n1.kind == "WORD":
            return self.let_stmt()
        if word == "return":
            return self.return_stmt()
        if word in ("break", "continue") and self._alone_on_line():
            self.next()
            return self.end_statement(_simple(word, t.line, t.line))
        if word in ("throw", "raise"):
            raise ir.Unconvertible(f"`{word}` has no Aether 1.2 form (verify(false, message) "
                                   "fails a run)", t.line)
        if word == "finally":
            raise ir.Unconvertible("`finally` without `try`", t.line)
        if word == "plugin" and n1.kind in ("WORD", "STR") and not (
                n1.kind == "OP"):
            got = self.plugin_stmt()
            if got is not None:
                return got
        if t.kind == "OP" and t.text == "-" and t.bol:
            return self.dash_stmt()
        if t.kind == "STR" and n1.text == ":" and n1.kind == "OP":
            # `"key": value` inside a data block
            self.next()
            self.next()
            start = self.i
            value, tokens = self._value_or_tokens()
            stmt = _simple("strbind", t.line, self.toks[self.i - 1].line,
                             target=ir.Str(t.text, t.line), value=value, tokens=tokens,
                             indent=t.indent)
            stmt.value_tokens = _code_tokens(self.toks, start, self.i)
            return self.end_statement(stmt)
        if t.kind == "NUM" and t.bol and n1.text == "." and \
                n1.kind == "OP" and self.toks[self.i + 1].start == t.end:
            return self.numbered_stmt()
        return self.generic_stmt()

    # ------------------------------------------------------------ block statements
    def body(self, block: ir.Block, header_indent: int,
             stop_words: frozenset = frozenset()) -> list:
        """The body after a header: ``{ ... }``, ``:`` + indented / ``end`` body, or the
        same without the colon. Sets ``block.style``; consumes the closing brace or ``end``.
        """
        # comments met inside the header's brackets (`fn f( // note`) are the header
        # statement's (they go before it): held back, or the first call of the body would
        # take them as its own (and a call on one line drops them)
        held = self.pending[:]
        del self.pending[:]
        try:
            return self._body(block, header_indent, stop_words)
        finally:
            self.pending[0:0] = held

    def _body(self, block: ir.Block, header_indent: int, stop_words: frozenset) -> list:
        t = self.peek() if self.depth else self.toks[self.i]
        if t.kind == "OP" and t.text == "{":
            self.next()
            block.style = "brace"
            t2 = self.peek() if self.depth else self.toks[self.i]
            if t2.kind == "COMMENT":
                block.trailing = t2.text
                self.next()
            body = self.statements(until="}")
            close = self.expect("}", "to close the block")
            block.last = close.line
            return body
        colon = False
        if t.kind == "OP" and t.text == ":":
            self.next()
            colon = True
            t = self.peek()
            if t.kind not in ("NL", "COMMENT", "EOF"):
                # one-line body: `case 1: log "x"` / `if x: return 1`
                block.style = "inline"
                stmt = self.statement()
                block.last = stmt.last if stmt is not None else t.line
                return [stmt] if stmt is not None else []
        block.style = "colon" if colon else "colonless"
        if t.kind == "COMMENT":
            block.trailing = t.text
            self.next()
        t = self.peek()
        if t.kind == "NL":
            self.next()
        elif t.kind != "EOF":
            raise ir.Unconvertible(f"unexpected '{t.text}' after the block header", t.line)
        # Find the first code line of the body.
        j = self.i
        while self.toks[j].kind in ("NL", "COMMENT"):
            j += 1
        first = self.toks[j]
        if first.kind != "EOF" and first.indent > header_indent and not (
                first.kind == "WORD" and first.text == "end"):
            return self.statements(header_indent=header_indent, body_indent=first.indent,
                                   stop_words=stop_words)
        # flat body closed by `end`
        if not self._end_ahead():
            raise ir.Unconvertible("this block header has no body (nothing is indented after "
                                   "it and no `end` closes it)", block.first)
        block.style = "end"
        return self.statements(flat=True, stop_words=stop_words)

    def _end_ahead(self) -> bool:
        """Whether an ``end`` line (``end`` alone, a comment may follow) comes at or after
        the cursor.

        The index of the last one is found once per parser: each header without a body
        (`if x`, `when x` lines) searched the rest of the file again, and a file of n
        such lines took n**2 / 2 token reads (8,000 lines: 4 seconds).
        """
        if self._last_end is None:
            toks = self.toks
            self._last_end = -1
            for j in range(len(toks) - 2, -1, -1):
                t = toks[j]
                if t.kind == "WORD" and t.text == "end" and t.bol and \
                        toks[j + 1].kind in ("NL", "EOF", "COMMENT"):
                    self._last_end = j
                    break
        return self._last_end >= self.i

    def close_end(self, block: ir.Block, header_indent: int) -> None:
        """Consume an ``end`` line that closes ``block`` (if there is one for it)."""
        j = self.i
        while self.toks[j].kind in ("NL",):
            j += 1
        t = self.toks[j]
        if t.kind == "WORD" and t.text == "end" and self.toks[j + 1].kind in (
                "NL", "EOF", "COMMENT") and (t.indent >= header_indent or block.style == "end"):
            self.i = j + 1
            if self.toks[self.i].kind == "COMMENT":
                block.closer_comments.append(self.toks[self.i].text)
                self.i += 1
            block.last = t.line
            if block.style != "brace":
                block.style = "end"

    def _header_expr(self, what: str) -> ir.Expr:
        """The expression of a block header (it stops before ``{`` / ``:`` / newline)."""
        return self.expr()

    def _finish_block(self, block: ir.Block, header_indent: int, stop_words=frozenset()):
        block.head_last = self.toks[self.i - 1].line if self.i else block.first
        block.body = self.body(block, header_indent, stop_words)
        if block.style != "brace":
            block.last = self._last_line(block)
        return block

    def _last_line(self, block) -> int:
        last = block.head_last
        for part in (block.body, block.orelse, block.handler):
            for s in part:
                if s.last > last:
                    last = s.last
        return last

    def if_stmt(self, is_elif: bool = False) -> ir.Block:
        kw = self.next()
        indent = kw.indent
        test = self._header_expr("if")
        block = _block("if", kw.line, test=test, indent=indent)
        block.is_elif = is_elif
        self._finish_block(block, indent, frozenset({"else", "elif"}))
        self._else_part(block, indent)
        return block

    def _else_part(self, block: ir.Block, indent: int) -> None:
        j = self.i
        between = []
        while self.toks[j].kind in ("NL", "COMMENT"):
            if self.toks[j].kind == "COMMENT":
                between.append(self.toks[j])
            j += 1
        t = self.toks[j]
        if t.kind == "WORD" and t.text in ("else", "elif") and (
                block.style in ("brace", "end") or t.indent <= indent):
            self.i = j
            for c in between:  # comments before `else` stay at the end of the if-body
                block.body.append(_comment(c.text, c.line, c.indent))
            block.else_line = t.line
            if t.text == "elif" or (self.toks[j + 1].kind == "WORD" and
                                    self.toks[j + 1].text == "if"):
                if t.text == "else":
                    self.next()  # `else if`
                    self.toks[self.i].indent = t.indent
                nested = self.if_stmt(is_elif=True)
                block.orelse = [nested]
                block.last = nested.last
                return
            self.next()
            holder = _block("else", t.line, indent=indent)
            holder.head_last = t.line
            block.orelse = self.body(holder, indent)
            block.else_trailing = holder.trailing
            if holder.style != "brace":
                self.close_end(holder, indent)
            block.last = max(holder.last, self._last_line(block))
            return
        if block.style != "brace":
            self.close_end(block, indent)

    def for_stmt(self) -> ir.Block:
        kw = self.next()
        if self.at("each") and self.peek(1).kind == "WORD":
            self.next()
        if self.at("("):
            raise ir.Unconvertible("`for (...)` loops (C-style, or JavaScript's "
                                   "`for (x of xs)`) have no Aether 1.2 form", kw.line)
        names = [self.next()]
        while self.accept(","):
            names.append(self.next())
        for n in names:
            if n.kind != "WORD":
                raise ir.Unconvertible("expected a loop variable after `for`", n.line)
        if not (self.accept("in") or self.accept("of")):
            raise ir.Unconvertible("expected `in` in a `for` loop", self.peek().line)
        it = self._header_expr("for")
        target = names[0].text if len(names) == 1 else [n.text for n in names]
        block = _block("for", kw.line, target=target, iter=it, indent=kw.indent)
        self._finish_block(block, kw.indent)
        if block.style != "brace":
            self.close_end(block, kw.indent)
        return block

    def while_stmt(self) -> ir.Block:
        kw = self.next()
        test = self._header_expr("while")
        block = _block("while", kw.line, test=test, indent=kw.indent)
        self._finish_block(block, kw.indent)
        if block.style != "brace":
            self.close_end(block, kw.indent)
        return block

    def try_stmt(self) -> ir.Block:
        kw = self.next()
        block = _block("try", kw.line, indent=kw.indent)
        self._finish_block(block, kw.indent, frozenset({"catch", "except"}))
        j, between = self._comments_ahead()
        t = self.toks[j]
        if not (t.kind == "WORD" and t.text in ("catch", "except")):
            raise ir.Unconvertible("`try` without `catch` has no Aether 1.2 form", kw.line)
        self.i = j
        # `} # note` / `catch (e) {`: the note stays at the end of the try body (as a
        # comment before `else` stays at the end of the if-body)
        block.body.extend(_comment(c.text, c.line, c.indent) for c in between)
        self.next()
        name = None
        if self.accept("("):
            n = self.next()
            name = n.text
            if self.accept(":"):  # typed catch
                self.next()
            self.expect(")")
        elif self.peek().kind == "WORD" and self.peek().text not in ("as",):
            n = self.next()
            name = n.text
            if self.accept("as"):  # except Exception as e
                name = self.next().text
        elif self.accept("as"):
            name = self.next().text
        holder = _block("catch", t.line, indent=kw.indent)
        block.catch_line = t.line
        block.catch_name = name
        block.handler = self.body(holder, kw.indent)
        block.catch_trailing = holder.trailing
        if holder.style != "brace":
            self.close_end(holder, kw.indent)
        block.last = max(holder.last, self._last_line(block))
        j, between = self._comments_ahead()
        t = self.toks[j]
        if t.kind == "WORD" and t.text == "finally":
            self.i = j
            block.handler.extend(_comment(c.text, c.line, c.indent) for c in between)
            self.next()
            holder = _block("finally", t.line, indent=kw.indent)
            block.final = self.body(holder, kw.indent)
            if holder.style != "brace":
                self.close_end(holder, kw.indent)
            block.last = max(holder.last, block.last)
        return block

    def _comments_ahead(self) -> tuple[int, list]:
        """The index of the next token that is no line end nor comment, and the comments
        met on the way (consumed only if the caller moves ``self.i`` past them)."""
        j = self.i
        between = []
        while self.toks[j].kind in ("NL", "COMMENT"):
            if self.toks[j].kind == "COMMENT":
                between.append(self.toks[j])
            j += 1
        return j, between

    def match_stmt(self) -> ir.Block:
        kw = self.next()
        subject = self._header_expr("match")
        block = _block("match", kw.line, test=subject, indent=kw.indent)
        block.head_last = kw.line
        self.expect("{", "to open the `match` block")
        cases = []
        while True:
            t = self.peek()
            while t.kind in ("NL", "COMMENT"):
                if t.kind == "COMMENT":
                    self.pending.append((t.line, t.text))
                self.next()
                t = self.peek()
            if t.kind == "OP" and t.text == "}":
                close = self.next()
                block.last = close.line
                break
            if t.kind == "WORD" and t.text in ("case", "default"):
                self.next()
                patterns = None
                if t.text == "case":
                    patterns = [self._header_expr("case")]
                    while self.accept(",") or self.accept("|"):
                        patterns.append(self._header_expr("case"))
                holder = _block("case", t.line, indent=t.indent)
                if self.at(":") and self.peek(1).text == "{":
                    self.next()
                body = self.body(holder, t.indent)
                if holder.style not in ("brace", "inline"):
                    self.close_end(holder, t.indent)
                cases.append((patterns, body, holder))
                continue
            raise ir.Unconvertible(f"expected `case` or `default` in `match`, found '{t.text}'",
                                   t.line)
        block.cases = cases
        return block

    def fn_stmt(self) -> Optional[ir.Stmt]:
        start = self.save()
        kw = self.next()
        word = kw.text
        if word == "async" and self.at("fn", "function", "def"):
            self.next()
        if word == "define" and self.peek().kind == "WORD" and self.peek(1).text == "as":
            name = self.next()
            self.next()
            value = self._value_or_raw()
            stmt = _simple("bind", kw.line, self.toks[self.i - 1].line,
                             target=ir.Name(name.text, name.line), value=value, op="let")
            stmt.rules.append("M008")
            return self.end_statement(stmt)
        name = self.peek()
        if name.kind != "WORD":
            self.restore(start)
            return None
        self.next()
        params = []
        if self.at("("):
            params = self._paren_params()
        elif word not in ("define",):
            self.restore(start)
            return None
        block = _block("fn", kw.line, name=name.text, params=params, indent=kw.indent)
        if word != "fn":
            block.rules.append("M007")
        self._finish_block(block, kw.indent)
        if block.style != "brace":
            self.close_end(block, kw.indent)
        return block

    def let_stmt(self) -> ir.Simple:
        kw = self.next()
        name = self.next()
        if self.accept("="):
            self._after_op()
            value = self._value_or_command()
        else:
            value = ir.Lit("null", name.line)
        stmt = _simple("bind", kw.line, self.toks[self.i - 1].line,
                         target=ir.Name(name.text, name.line), value=value, op="let")
        stmt.rules.append("M012")
        return self.end_statement(stmt)

    def return_stmt(self) -> ir.Simple:
        kw = self.next()
        value = None
        if not self.at_line_end():
            value = self.expr()
        return self.end_statement(_simple("return", kw.line, self.toks[self.i - 1].line,
                                            value=value))

    def plugin_stmt(self) -> Optional[ir.Block]:
        start = self.save()
        kw = self.next()
        name = self.next()
        nm = name.text
        if name.kind == "STR":
            nm = name.text[1:-1]
        else:
            while self.peek().kind == "OP" and self.peek().text in (".", "-"):
                nm += self.next().text + self.next().text
        if not self.at("{", ":") and not self._indented_block_after(kw.indent):
            self.restore(start)
            return None
        if self.at(":") and self.peek(1).kind not in ("NL", "COMMENT"):
            self.restore(start)
            return None
        block = _block("plugin", kw.line, name=nm, indent=kw.indent)
        self._finish_block(block, kw.indent)
        if block.style != "brace":
            self.close_end(block, kw.indent)
        return block

    def _indented_block_after(self, header_indent: int) -> bool:
        """Whether the line ends here (a comment may close it) and the next code line is
        indented further than ``header_indent``: ``plugin NAME`` written without its colon
        over an indented body (the colon-less shorthand of ``plugin NAME:``, M004)."""
        t = self.toks[self.i]
        if t.kind == "COMMENT":
            t = self.toks[self.i + 1]
        if t.kind != "NL":
            return False
        nxt = self._next_code()
        return nxt.kind != "EOF" and nxt.indent > header_indent

    # ------------------------------------------------------------ simple statements
    def dash_stmt(self) -> ir.Simple:
        dash = self.next()
        t = self.peek()
        # - key: value  (a dash map, continuation lines indented further)
        if t.kind == "WORD" and self.peek(1).text == ":" and self.peek(1).kind == "OP":
            key = self.next()
            self.next()
            if self.peek().kind in ("NL", "COMMENT", "EOF"):
                value: Optional[ir.Expr] = None
                tokens: list = []
            else:
                value, tokens = self._value_or_tokens()
            stmt = _simple("dashmap", dash.line, self.toks[self.i - 1].line,
                             target=ir.Name(key.text, key.line), value=value, tokens=tokens,
                             indent=dash.indent)
            self.end_statement(stmt)
            nxt = self._next_code()
            if nxt.kind != "EOF" and nxt.indent > dash.indent and not (
                    nxt.kind == "OP" and nxt.text == "-" and nxt.indent <= dash.indent):
                stmt.body = self.statements(header_indent=dash.indent, body_indent=nxt.indent)
                stmt.last = max([stmt.last] + [s.last for s in stmt.body])
            return stmt
        # - when X  (reference-interpreter shorthand)
        if t.kind == "WORD" and t.text == "when" and self.peek(1).kind == "WORD":
            self.next()
            kind = self.next()
            stmt = _simple("dashmap", dash.line, kind.line, target=ir.Name("when"),
                             value=ir.Name(kind.text, kind.line), indent=dash.indent)
            stmt.rules.append("M004")
            self.end_statement(stmt)
            nxt = self._next_code()
            if nxt.kind != "EOF" and nxt.indent > dash.indent:
                stmt.body = self.statements(header_indent=dash.indent, body_indent=nxt.indent)
                stmt.last = max([stmt.last] + [s.last for s in stmt.body])
            return stmt
        if self.at_line_end():
            raise ir.Unconvertible("an empty `-` item", dash.line)
        state = self.save()
        try:
            value = self.expr()
            options = []
            while not self.at_line_end():
                o = self.peek()
                if o.kind == "WORD" and o.text == "as":
                    self.next()
                    n = self.next()
                    options.append(("as", ir.Name(n.text, n.line)))
                elif o.kind == "WORD" and self.peek(1).text == "=":
                    self.next()
                    self.next()
                    options.append((o.text, self.expr()))
                else:
                    raise ir.Unconvertible("not a step", o.line)
            stmt = _simple("dash", dash.line, self.toks[self.i - 1].line, value=value,
                             options=options, indent=dash.indent)
            return self.end_statement(stmt)
        except ir.Unconvertible:
            self.restore(state)
        tokens = self.rest_tokens()
        stmt = _simple("dash", dash.line, tokens[-1].line if tokens else dash.line,
                         value=None, tokens=tokens, indent=dash.indent)
        return self.end_statement(stmt)

    def numbered_stmt(self) -> ir.Simple:
        num = self.next()
        self.next()  # the dot
        tokens_state = self.save()
        try:
            value = self.expr()
            if not self.at_line_end():
                raise ir.Unconvertible("", num.line)
            stmt = _simple("dash", num.line, self.toks[self.i - 1].line, value=value,
                             indent=num.indent)
        except ir.Unconvertible:
            self.restore(tokens_state)
            tokens = self.rest_tokens()
            stmt = _simple("dash", num.line, tokens[-1].line if tokens else num.line,
                             value=None, tokens=tokens, indent=num.indent)
        stmt.rules.append("M017")
        return self.end_statement(stmt)

    def _next_code(self) -> Tok:
        j = self.i
        while self.toks[j].kind in ("NL", "COMMENT"):
            j += 1
        return self.toks[j]

    def _value_or_tokens(self):
        """An expression to the end of the line, or (None, the line's tokens)."""
        state = (self.i, self.depth, len(self.pending))  # self.save()
        try:
            value = self.expr()
            t = self.peek() if self.depth else self.toks[self.i]
            if t.kind in _STMT_END or (t.kind == "OP" and t.text in ("}", ";")):  # at_line_end
                return value, []
        except ir.Unconvertible as exc:
            if exc.definite:
                raise
        self.restore(state)
        return None, self.rest_tokens()

    def _value_or_raw(self):
        value, tokens = self._value_or_tokens()
        return value if value is not None else ("raw", tokens)

    def _value_or_command(self):
        """Right-hand side of ``x = ...``: an expression, else a command (memory sugar...)."""
        value, tokens = self._value_or_tokens()
        return value if value is not None else ("command", tokens)

    def generic_stmt(self) -> Optional[ir.Stmt]:
        t = self.peek() if self.depth else self.toks[self.i]
        # read once: every use below is at this cursor (see statement)
        n1 = self.toks[self.i + 1] if not self.depth and t.kind != "EOF" else self.peek(1)
        state = (self.i, self.depth, len(self.pending))  # self.save()
        # NAME: (section / binding) ------------------------------------------------
        if t.kind == "WORD" and n1.kind == "OP" and n1.text == ":":
            # (outside brackets the token after the colon: no EOF before it, see statement)
            after = self.toks[self.i + 2] if not self.depth else self.peek(2)
            if after.kind in ("NL", "COMMENT", "EOF"):
                return self.section_stmt()
            if after.kind == "OP" and after.text in ("|", ">") and self.peek(3).kind in (
                    "NL", "COMMENT"):
                return self.block_scalar()
            if after.kind == "OP" and after.text == "{" and \
                    self.toks[self.i + 3].kind in ("NL", "COMMENT"):
                # `name: { ... }`: a dict (commas or newlines between entries), else a block
                self.next()
                self.next()
                try:
                    value = self.expr()
                    if self.at_line_end():
                        stmt = _simple("bind", t.line, self.toks[self.i - 1].line,
                                         target=ir.Name(t.text, t.line), value=value,
                                         indent=t.indent)
                        return self.end_statement(stmt)
                except ir.Unconvertible:
                    pass
                self.restore(state)
                return self.section_stmt()
            if self.depth:
                self.next()
                self.next()
            else:
                self.i += 2  # the name and the colon (self.next() twice)
            start = self.i
            value, tokens = self._value_or_tokens()
            stmt = _simple("bind", t.line, self.toks[self.i - 1].line,
                             target=ir.Name(t.text, t.line), value=value, tokens=tokens,
                             indent=t.indent)
            stmt.value_tokens = _code_tokens(self.toks, start, self.i)
            self.end_statement(stmt)
            self._maybe_attr_block(stmt, t)
            return stmt
        # assignment / expression statement ---------------------------------------
        # (not tried on a name followed by a word, string or number, `think "x"`: the name
        # alone would be read, and neither an assignment nor a whole line; a command line
        # is a sixth of the statements)
        if t.kind == "WORD" and t.text not in ("when", "on", "every", "simulate") and not (
                n1.kind in _ATOM_KINDS and t.text not in _SPECIAL_WORDS):
            try:
                target = self._postfix(self._primary())
                op = self.peek() if self.depth else self.toks[self.i]
                if op.kind == "OP" and op.text in _ASSIGN_OPS and self.peek(1).text != "=":
                    self.next()
                    self._after_op()
                    value = self._value_or_command()
                    stmt = _simple("assign", t.line, self.toks[self.i - 1].line,
                                     target=target, op=op.text, value=value, indent=t.indent)
                    return self.end_statement(stmt)
                if op.kind == "OP" and op.text in ("++", "--"):
                    self.next()
                    stmt = _simple("assign", t.line, op.line, target=target,
                                     op="+=" if op.text == "++" else "-=", value=ir.Num("1"),
                                     indent=t.indent)
                    stmt.rules.append("M012")
                    return self.end_statement(stmt)
                if self.at_line_end() and isinstance(target, ir.Call):
                    if self.at("{") and self._brace_block_ahead(0):
                        raise ir.Unconvertible("header", t.line)
                    stmt = _simple("expr", t.line, self.toks[self.i - 1].line, value=target,
                                     indent=t.indent)
                    return self.end_statement(stmt)
                if self.at_line_end():
                    self.restore(state)
                    value = self.expr()
                    if self.at_line_end():
                        stmt = _simple("expr", t.line, self.toks[self.i - 1].line,
                                         value=value, indent=t.indent)
                        return self.end_statement(stmt)
            except ir.Unconvertible as exc:
                if exc.definite:
                    raise
            self.restore(state)
        # NAME(params) { ... } ------------------------------------------------------
        # (not `goal(x) { ... }` / `intent(x) { ... }`: the legacy goal block, whatever its
        # argument, a header of its own, Handlers.goal_block; never a fn named goal)
        if t.kind == "WORD" and n1.text == "(" and t.text not in ("goal", "intent"):
            got = self._brace_fn()
            if got is not None:
                return got
            self.restore(state)
        # a header: words ... { / words ...: + block ---------------------------------
        header = self._header_ahead()
        if header:
            return self.header_stmt(header)
        # a command line -------------------------------------------------------------
        scan = self._line_scan
        if scan is not None and scan[0] == self.i:
            # (the line _header_ahead read: not read again, a command line is a sixth of
            # the statements)
            self.i = scan[1]
            tokens = scan[2]
            self._line_scan = None  # (the list is the statement's own)
        else:
            tokens = self.rest_tokens()
        if not tokens:
            t = self.peek()
            raise ir.Unconvertible(f"unexpected '{t.text}'", t.line)
        stmt = _simple("raw", tokens[0].line, tokens[-1].line, tokens=tokens,
                         indent=tokens[0].indent)
        return self.end_statement(stmt)

    def block_scalar(self) -> ir.Simple:
        """``key: |`` + indented text lines (YAML block scalar) as one string value."""
        key = self.next()
        self.next()
        mark = self.next()
        self.rest_tokens()
        if self.peek().kind == "NL":
            self.next()
        lines = []
        last = key.line
        if self._source_lines is None:
            self._source_lines = self._source.split("\n")
        src_lines = self._source_lines
        while True:
            t = self.toks[self.i]
            if t.kind == "NL":
                self.i += 1
                continue
            if t.kind == "EOF" or t.indent <= key.indent:
                break
            # the whole source line is text
            while self.toks[self.i].kind not in ("NL", "EOF"):
                self.i += 1
            lines.append(src_lines[t.line - 1].strip())
            last = t.line
        t = self.toks[self.i]
        if t.kind == "OP" and t.text == mark.text and t.indent <= key.indent and \
                self.toks[self.i + 1].kind in ("NL", "EOF"):
            last = t.line  # a closing marker line some files use
            self.i += 1
        joiner = "\n" if mark.text == "|" else " "
        text = joiner.join(lines)
        value = ir.Str(_quote_text(text), key.line)
        stmt = _simple("bind", key.line, last, target=ir.Name(key.text, key.line),
                         value=value, indent=key.indent)
        stmt.rules.append("M016")
        if self.peek().kind == "NL":
            self.next()
        return stmt

    def _maybe_attr_block(self, stmt: ir.Simple, t: Tok) -> None:
        """``behavior: x`` followed by indented ``key: value`` lines (YAML-style record)."""
        nxt = self._next_code()
        if nxt.kind != "EOF" and nxt.indent > t.indent and not (
                nxt.kind == "OP" and nxt.text == "}"):
            stmt.body = self.statements(header_indent=t.indent, body_indent=nxt.indent)
            stmt.last = max([stmt.last] + [s.last for s in stmt.body])
            stmt.kind = "bindblock"

    def _brace_block_ahead(self, k: int) -> bool:
        """Whether the ``{`` at lookahead ``k`` ends its line (a block, not a dict)."""
        j = self.i
        n = 0
        while n < k:
            j += 1
            n += 1
        return self._opens_block(j)

    def _opens_block(self, j: int) -> bool:
        """Whether the ``{`` token at index ``j`` opens a block of statements, not a dict."""
        if self.toks[j].text != "{":
            return False
        nxt = self.toks[j + 1]
        if nxt.kind not in ("NL", "COMMENT"):
            return False
        # A dict literal has `key: value,` entries; a block has statements. Look at the
        # first entry line: a trailing comma or a `"key":` start means a dict, and so does
        # a `key:` value spanning lines with a comma after it.
        toks = self.toks
        m = j + 1
        while toks[m].kind in ("NL", "COMMENT"):
            m += 1
        first = toks[m]
        line_toks = []
        depth = 0
        while toks[m].kind not in ("NL", "EOF"):
            t = toks[m]
            line_toks.append(t)
            if t.kind == "OP" and t.text in _CLOSE_BRACKETS:
                depth -= 1
            elif t.kind == "OP" and t.text in _OPEN_BRACKETS and depth == 0 and \
                    len(line_toks) > 2 and line_toks[1].text == ":" and \
                    first.kind in ("WORD", "STR"):
                # `key: {` NL `c: 1}, d: 2`: an entry whose value closes on a later line
                # and is followed by a comma (there or on the next line) is a dict's entry;
                # no statement is a value and a comma. (Read to the bracket that closes
                # it by a table: nested maps are not read again for each level.)
                end = self._closer(m)
                if toks[end].kind != "EOF" and toks[end].line > t.line:
                    nxt = end + 1
                    while toks[nxt].kind in ("NL", "COMMENT"):
                        nxt += 1
                    if toks[nxt].kind == "OP" and toks[nxt].text == ",":
                        return False
            if t.kind == "OP" and t.text in _OPEN_BRACKETS:
                depth += 1
            m += 1
        while line_toks and line_toks[-1].kind == "COMMENT":
            line_toks.pop()
        if first.kind in ("STR",) and len(line_toks) > 1 and line_toks[1].text == ":":
            return False
        if line_toks and line_toks[-1].text == "," and line_toks[-1].kind == "OP":
            return False
        return True

    def _closer(self, j: int) -> int:
        """The index of the bracket that closes the one at ``j``, else of the EOF token
        (brackets paired by nesting, whatever their kind), from a table made by one pass
        over the tokens when first asked: asking costs no scan of what they hold."""
        table = self._closers
        if table is None:
            table = self._closers = {}
            stack: list[int] = []
            for k, t in enumerate(self.toks):
                if t.kind == "OP":
                    if t.text in _OPEN_BRACKETS:
                        stack.append(k)
                    elif t.text in _CLOSE_BRACKETS and stack:
                        table[stack.pop()] = k
        return table.get(j, len(self.toks) - 1)

    def section_stmt(self) -> ir.Block:
        name = self.next()
        block = _block("section", name.line, name=name.text, indent=name.indent)
        if self.at(":"):
            # `NAME:` + `{` block: treat the colon as part of the header
            if self.peek(1).text == "{":
                self.next()
        nxt_state = self.save()
        self.accept(":")
        t = self.peek()
        if t.kind in ("NL", "COMMENT"):
            # YAML allows `key:` followed by `- item` lines at the same indentation.
            trailing = None
            if t.kind == "COMMENT":
                trailing = t.text
                self.next()
            j = self.i
            while self.toks[j].kind in ("NL", "COMMENT"):
                j += 1
            first = self.toks[j]
            if first.kind == "OP" and first.text == "-" and first.indent == name.indent and \
                    first.kind != "EOF":
                self.i = j if self.toks[self.i].kind != "NL" else self.i
                block.head_last = name.line
                block.trailing = trailing
                items = []
                while True:
                    k = self.i
                    while self.toks[k].kind in ("NL", "COMMENT"):
                        if self.toks[k].kind == "COMMENT":
                            items.append(_comment(self.toks[k].text, self.toks[k].line,
                                                    self.toks[k].indent))
                        k += 1
                    t2 = self.toks[k]
                    if not (t2.kind == "OP" and t2.text == "-" and t2.indent == name.indent):
                        break
                    self.i = k
                    items.append(self.dash_stmt())
                # comments collected past the last item belong after the section
                while items and isinstance(items[-1], ir.Comment):
                    items.pop()
                block.body = items
                block.style = "yamlflat"
                block.last = max(s.last for s in items) if items else name.line
                return block
            self.restore(nxt_state)
        self._finish_block(block, name.indent)
        if block.style != "brace":
            self.close_end(block, name.indent)
        return block

    def _brace_fn(self) -> Optional[ir.Block]:
        """``NAME(params) {`` (brace dialect function without ``fn``)."""
        start = self.save()
        name = self.next()
        try:
            params = self._paren_params()
        except ir.Unconvertible:
            self.restore(start)
            return None
        if not (self.at("{") and self._brace_block_ahead(0)) and not (
                self.at(":") and self.peek(1).kind in ("NL", "COMMENT")):
            self.restore(start)
            return None
        block = _block("fn", name.line, name=name.text, params=params, indent=name.indent)
        block.rules.append("M007")
        self._finish_block(block, name.indent)
        if block.style != "brace":
            self.close_end(block, name.indent)
        return block

    def _header_ahead(self) -> Optional[list[Tok]]:
        """Tokens of a legacy block header (``when x:``, ``every 5m:``, ``name {``,
        ``simulate x`` + indented body), or None."""
        j = self.i
        toks = self.toks
        depth = 0
        line_toks: list[Tok] = []
        while True:
            t = toks[j]
            kind = t.kind
            if kind == "EOF" or (depth == 0 and kind in _SKIPPED):
                if line_toks and line_toks[0].line == line_toks[-1].line and \
                        line_toks[-1].kind not in _SKIPPED:
                    # no line end inside: the tokens rest_tokens reads here (see there)
                    self._line_scan = (self.i, j, line_toks)
                break
            if kind == "OP":
                text = t.text
                if text == "{" and depth == 0 and self._opens_block(j):
                    line_toks.append(t)
                    j += 1
                    break
                if text in _OPEN_BRACKETS:
                    depth += 1
                elif text in _CLOSE_BRACKETS:
                    if depth == 0:
                        # a bracket that closes none (`x):`): no header; below zero the
                        # line ends were skipped and the header ran on to the next `{`
                        return None
                    depth -= 1
            line_toks.append(t)
            j += 1
        if not line_toks or line_toks[0].kind != "WORD":
            return None
        last = line_toks[-1]
        k = j
        while toks[k].kind in ("NL", "COMMENT"):
            k += 1
        nxt = toks[k]
        indent = line_toks[0].indent
        if last.kind == "OP" and last.text == "{" and len(line_toks) > 1:
            return line_toks
        if last.kind == "OP" and last.text == ":" and len(line_toks) > 1 and (
                nxt.kind != "EOF" and nxt.indent > indent):
            return line_toks
        if line_toks[0].text in ("when", "on", "every", "simulate") and (
                nxt.kind != "EOF" and nxt.indent > indent or self._end_ahead()):
            return line_toks
        if nxt.kind != "EOF" and nxt.indent > indent and not (
                nxt.kind == "OP" and nxt.text in ("}", ")", "]")) and not (
                len(line_toks) > 1 and _is_builtin(line_toks[0].text)):
            # (a builtin's command, `think "x"`, followed by a line indented further is
            # that command, not the header of a fn named after it: the call would be lost)
            return line_toks
        return None

    def header_stmt(self, head: list[Tok]) -> ir.Block:
        first = head[0]
        words = head
        if head[-1].kind == "OP" and head[-1].text in ("{", ":"):
            words = head[:-1]
        block = _block("header", first.line, words=words, indent=first.indent,
                         head_tokens=head)
        self.i += len(words)
        # the opener ({ or :) is consumed by body()
        self._finish_block(block, first.indent)
        if block.style != "brace":
            self.close_end(block, first.indent)
        return block

    def module(self) -> list:
        body = self.statements()
        t = self.peek()
        if t.kind != "EOF":
            what = "`end`" if t.text == "end" else f"'{t.text}'"
            raise ir.Unconvertible(f"{what} closes no block", t.line)
        return body


def _code_tokens(toks: list[Tok], start: int, end: int) -> list[Tok]:
    """``toks[start:end]`` without its line ends and comments."""
    last = toks[end - 1]
    if end <= start or (toks[start].line == last.line and last.kind not in _SKIPPED):
        # on one line and not ending in a line end or comment: none inside (a comment
        # runs to its line end), so the slice (most values are on one line)
        return toks[start:end]
    return [x for x in toks[start:end] if x.kind not in _SKIPPED]


def _has_call(e) -> bool:
    while isinstance(e, (ir.Member, ir.Index)):
        if isinstance(e, ir.Index) and not isinstance(e.index, (ir.Name, ir.Str, ir.Num)):
            return True
        e = e.value
    return isinstance(e, ir.Call)


def _quote_text(text: str) -> str:
    """A string literal holding ``text`` (newlines as ``\\n``)."""
    body = text.replace("\\", "\\\\").replace("\n", "\\n")
    if '"' not in body:
        return '"' + body + '"'
    if "'" not in body:
        return "'" + body + "'"
    return '"' + body.replace('"', '\\"') + '"'


def _percent(raw: str) -> str:
    """``80%`` -> ``0.8`` (the decimal point moved, no float rounding)."""
    digits = raw[:-1].replace("_", "")
    if "." in digits:
        whole, frac = digits.split(".")
    else:
        whole, frac = digits, ""
    whole = whole.rjust(3, "0")
    new_whole = whole[:-2].lstrip("0") or "0"
    new_frac = (whole[-2:] + frac).rstrip("0")
    return new_whole + ("." + new_frac if new_frac else "")


def _int_plus_one(raw: str) -> str:
    try:
        return str(int(raw.replace("_", "")) + 1)
    except ValueError:
        return raw + " + 1"


def parse_legacy(toks: list[Tok], source: str = "") -> list:
    """The statements of a whole file."""
    return Parser(toks, source).module()


def _is_builtin(name: str) -> bool:
    """Whether ``name`` is a builtin of the catalogue (``stdlib/builtins.json``)."""
    from ..semantics.catalogue import load_catalogue

    return name in load_catalogue().builtins
