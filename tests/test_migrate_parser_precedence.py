"""The legacy parser's binary operators (precedence climbing over a table of binding
powers, issue 15 item 3) build the tree a plain recursive descent, one function per
precedence level, builds: the same grouping, the same one-operator comparisons and ranges,
the same errors, and the same place where the expression stops.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from aether.migrate import ir
from aether.migrate import parser as P
from aether.migrate import tokens as T

# ------------------------------------------------------------------ the reference


class _Reference:
    """One function per level, as the parser read these operators before."""

    _COMPARE = {"==": "==", "===": "==", "!=": "!=", "!==": "!=", "<": "<", "<=": "<=",
                ">": ">", ">=": ">=", "in": "in"}

    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, *texts):
        t = self.peek()
        return t.text in texts and t.kind in ("OP", "WORD")

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def or_(self):
        left = self.and_()
        while self.at("or", "||", "??"):
            t = self.take()
            left = ir.Bin("or", left, self.and_(), t.line)
        return left

    def and_(self):
        left = self.not_()
        while self.at("and", "&&"):
            t = self.take()
            left = ir.Bin("and", left, self.not_(), t.line)
        return left

    def not_(self):
        if self.at("not") and self.peek().kind == "WORD":
            t = self.take()
            return ir.Unary("not", self.not_(), t.line)
        return self.compare()

    def _compare_op(self, t):
        return t.text in self._COMPARE and (t.kind == "OP" or t.text == "in")

    def compare(self):
        left = self.bitwise()
        t = self.peek()
        if self._compare_op(t):
            self.take()
            left = ir.Bin(self._COMPARE[t.text], left, self.bitwise(), t.line)
            if self._compare_op(self.peek()):
                raise ir.Unconvertible("chained comparisons (`a < b < c`) have no Aether 1.2 "
                                       "form", self.peek().line)
        elif t.kind == "WORD" and t.text == "not" and self.peek(1).text == "in":
            self.take()
            self.take()
            right = self.bitwise()
            left = ir.Unary("not", ir.Paren(ir.Bin("in", left, right, t.line)), t.line)
        elif t.kind == "WORD" and t.text == "is":
            raise ir.Unconvertible("`is` comparisons have no Aether 1.2 form", t.line)
        return left

    def bitwise(self):
        left = self.range_()
        if self.peek().kind == "OP" and self.peek().text in ("&", "|", "^", "<<", ">>", "~"):
            t = self.take()
            raise ir.Unconvertible(f"the bitwise operator `{t.text}` has no Aether 1.2 form",
                                   t.line)
        return left

    def range_(self):
        left = self.additive()
        if self.at(".."):
            t = self.take()
            right = self.additive()
            stop = ir.Num(str(int(right.raw) + 1), t.line) if isinstance(right, ir.Num) \
                else ir.Bin("+", right, ir.Num("1"), t.line)
            return ir.Call(ir.Name("range"), [left, stop], line=t.line)
        return left

    def additive(self):
        left = self.term()
        while self.peek().kind == "OP" and self.peek().text in ("+", "-"):
            t = self.take()
            left = ir.Bin(t.text, left, self.term(), t.line)
        return left

    def term(self):
        left = self.unary()
        while self.peek().kind == "OP" and self.peek().text in ("*", "/", "%"):
            t = self.take()
            left = ir.Bin(t.text, left, self.unary(), t.line)
        return left

    def unary(self):
        t = self.peek()
        if t.kind == "OP" and t.text in ("-", "!"):
            self.take()
            return ir.Unary("-" if t.text == "-" else "not", self.unary(), t.line)
        if t.kind == "OP" and t.text == "+":
            self.take()
            return self.unary()
        value = self.primary()
        if self.at("**"):
            op = self.take()
            return ir.Call(ir.Name("pow"), [value, self.unary()], line=op.line)
        return value

    def primary(self):
        t = self.take()
        if t.kind == "NUM":
            return ir.Num(t.text, t.line)
        if t.kind == "WORD":
            return ir.Name(t.text, t.line)
        assert t.text == "(", t  # the strategy below makes nothing else
        inner = self.or_()
        close = self.take()
        if close.text != ")":  # (`(a == not b)`: `not` is a name there, `b` is left)
            found = "the end of the line" if close.kind == "NL" else f"'{close.text}'"
            raise ir.Unconvertible(f"expected ')' to close the parenthesis, found {found}",
                                   close.line)
        return ir.Paren(inner, t.line)


def _dump(node):
    if isinstance(node, list):
        return [_dump(x) for x in node]
    if isinstance(node, ir.Expr):
        slots = sorted(s for c in type(node).__mro__ for s in getattr(c, "__slots__", ()))
        return (type(node).__name__,) + tuple((s, _dump(getattr(node, s, None))) for s in slots)
    return node


def _show(node) -> str:
    """A tree as a short prefix form: ``(- (- a b) c)``."""
    if isinstance(node, ir.Name):
        return node.id
    if isinstance(node, ir.Num):
        return node.raw
    if isinstance(node, ir.Bin):
        return f"({node.op} {_show(node.left)} {_show(node.right)})"
    if isinstance(node, ir.Unary):
        return f"({node.op} {_show(node.operand)})"
    if isinstance(node, ir.Paren):
        return f"[{_show(node.value)}]"
    assert isinstance(node, ir.Call)
    return f"({_show(node.func)} {' '.join(_show(a) for a in node.args)})"


def _outcome(text, reference=False):
    """The tree and where the expression stopped, or the error."""
    toks = T.tokenize(text)
    reader = _Reference(toks) if reference else P.Parser(toks, text)
    try:
        tree = reader.or_() if reference else reader.expr()
    except ir.Unconvertible as exc:
        return ("error", exc.reason, exc.line)
    return ("tree", _dump(tree), reader.i)


# ------------------------------------------------------------------ the property

_OPERATORS = ["or", "||", "??", "and", "&&", "==", "===", "!=", "<", "<=", ">", ">=", "in",
              "not in", "is", "..", "+", "-", "*", "/", "%", "**", "|", "<<"]
_PREFIXES = ["", "", "", "not ", "-", "!", "+", "not not ", "- -"]


@st.composite
def _expressions(draw, depth=0):
    def operand():
        prefix = draw(st.sampled_from(_PREFIXES))
        if depth < 2 and draw(st.integers(0, 5)) == 0:
            # (no `not` before a parenthesis: where `not` is a name, `not (x)` is a call)
            return prefix.replace("not ", "!") + "(" + draw(_expressions(depth + 1)) + ")"
        return prefix + draw(st.sampled_from(["a", "b", "c", "1", "2", "x1"]))

    parts = [operand()]
    for _ in range(draw(st.integers(0, 5))):
        parts += [draw(st.sampled_from(_OPERATORS)), operand()]
    return " ".join(parts)


@settings(max_examples=600, deadline=None)
@given(_expressions())
def test_binary_operators_group_as_the_recursive_descent_did(text):
    assert _outcome(text + "\n") == _outcome(text + "\n", reference=True)


def test_the_levels_and_their_grouping():
    """A few trees spelt out (the property above compares them with the reference)."""
    def tree(text):
        return _show(P.Parser(T.tokenize(text + "\n"), text).expr())

    assert tree("a - b - c") == "(- (- a b) c)"
    assert tree("a or b and c || d") == "(or (or a (and b c)) d)"
    assert tree("not a == b and c") == "(and (not (== a b)) c)"
    assert tree("a + b * c ** 2 ** d") == "(+ a (* b (pow c (pow 2 d))))"
    assert tree("1..n + 1") == "(range 1 (+ (+ n 1) 1))"
    assert tree("a not in b or -c") == "(or (not [(in a b)]) (- c))"
    # a comparison and a range take one operator: after it `is`, `not in` and `..` end the
    # expression (and `not` is a name after a comparison operator)
    for text, stop in (("a == b is c", "is"), ("a < b not in c", "not"),
                       ("1..2..3", ".."), ("a == not b", "b")):
        p = P.Parser(T.tokenize(text + "\n"))
        p.expr()
        assert p.peek().text == stop, text


def test_chained_comparisons_and_bitwise_operators_are_refused():
    for text, reason in (("a < b < c", "chained comparisons"), ("a | b", "bitwise operator"),
                         ("a + b << c", "bitwise operator"), ("a is b", "`is` comparisons")):
        try:
            P.Parser(T.tokenize(text + "\n")).expr()
        except ir.Unconvertible as exc:
            assert reason in exc.reason and exc.definite
        else:
            raise AssertionError(text)
