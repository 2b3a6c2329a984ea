"""The compiled parse loop (aether/syntax/_speedups.c) and the pure-Python one in
aether/syntax/lalr.py give identical trees, syntax errors and findings: on every file under
workflows/ and on hypothesis-generated programs with errors mixed in. AETHER_PURE_PYTHON=1
selects the pure-Python path (the fallback when no C compiler was there at install)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aether.checker import check_text
from aether.syntax import lalr
from aether.syntax import parser as P
from aether.syntax.builder import AstBuilder
from aether.syntax.tables import load_tables
from test_parser_properties import BREAKERS, SETTINGS, programs

ROOT = Path(__file__).resolve().parent.parent


def _compiler_present() -> bool:
    return any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))


# Where a C compiler is present the README's install builds the extension: its absence
# then is a broken build, not a reason to skip (AETHER_NO_COMPILE=1 opts out at install).
if lalr._speedups is None and (os.environ.get("AETHER_NO_COMPILE", "") not in ("", "0")
                               or os.environ.get("AETHER_PURE_PYTHON", "") not in ("", "0")
                               or not _compiler_present()):
    pytest.skip("the compiled parser is not built (no C compiler at install time)",
                allow_module_level=True)


def _parsers():
    tables = load_tables()
    scanner = P.get_parser()[1]
    return ((lalr.Parser(tables, AstBuilder(), compiled=True), scanner),
            (lalr.Parser(tables, AstBuilder(compiled=False), compiled=False), scanner))


COMPILED, PURE = _parsers()


def _with(pair, fn, *args):
    """``fn(*args)`` with ``pair`` as the process's parser (the parse memo cleared)."""
    saved, P._PARSER, P._LAST = P._PARSER, pair, None
    try:
        return fn(*args)
    finally:
        P._PARSER, P._LAST = saved, None


def _same(text: str) -> None:
    assert COMPILED[0].compiled and not PURE[0].compiled
    fast = _with(COMPILED, P.parse, text)
    slow = _with(PURE, P.parse, text)
    assert fast.errors == slow.errors
    assert fast.masked == slow.masked
    assert fast.spans == slow.spans  # where the masked lines lie (the checker reads them)
    assert fast.module == slow.module
    a = _with(COMPILED, check_text, text, "x.aether")
    b = _with(PURE, check_text, text, "x.aether")
    assert a.findings == b.findings
    assert a.suppressed == b.suppressed


FILES = sorted(p for p in (ROOT / "workflows").rglob("*.aether"))


def test_the_fixtures_exist():
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_and_pure_agree_on_the_fixtures(path):
    _same(path.read_text(encoding="utf-8", errors="replace"))


@SETTINGS
@given(programs(), st.data())
def test_compiled_and_pure_agree_on_generated_programs(src, data):
    lines = src.split("\n")
    for _ in range(data.draw(st.integers(0, 3), label="breaks")):
        at = data.draw(st.integers(0, len(lines)), label="at")
        lines.insert(at, data.draw(st.sampled_from(BREAKERS), label="line"))
    _same("\n".join(lines))


@pytest.mark.parametrize("line", ["\tlog(x)", 'x: "open', "x: 1 ?", "x: (1]", "log(x))",
                                  "x: 1 2", "if x\n    log(x)", "x: [1,\n", "brek"])
def test_compiled_and_pure_agree_on_each_kind_of_error_after_statements(line):
    """Lexical and grammar errors after and before complete statements: the recovery,
    its wording and the masked lines' offsets alike on both paths."""
    before = "".join(f"step_{i}: run({i})\n" for i in range(4))
    _same('goal: "g"\n' + before + line + "\n" + before.replace("step", "after"))
    _same('goal: "g"\n' + (before + line + "\n") * 30)  # past the 25th error


@pytest.mark.parametrize("shape", ["x{i}: foo({i},", "log([1, 2", "x{i}: foo() {{",
                                   "fn f{i}() {{", "if f(x{i}:\n    log(1)", "y{i}: [1, # ]"])
def test_compiled_and_pure_agree_on_lines_leaving_brackets_open(shape):
    body = "".join(shape.format(i=i) + "\n" for i in range(80))
    _same('goal: "g"\n' + body)
    _same('goal: "g"\n' + body + "x: 1\n)\n")


def test_the_process_parser_is_compiled_when_built():
    assert lalr.COMPILED and P.get_parser()[0].compiled
    assert lalr.Tok is lalr._speedups.Tok


def test_deep_nesting_grows_the_compiled_stack():
    # each bracket level holds several parser states: far past the 64 the stack starts with
    _same("x: " + "[" * 99 + "1" + "]" * 99 + "\n" + "y: " + "f(" * 99 + ")" * 99 + "\n")
    _same("x: " + "-(" * 99 + "1" + ")" * 99 + "\n")


def test_aether_pure_python_selects_the_python_loop():
    code = ("import aether.syntax.lalr as l, aether.syntax.parser as p; "
            "print(l.COMPILED, p.get_parser()[0].compiled, l.Tok.__module__)")
    env = dict(os.environ, AETHER_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "False", "aether.syntax.lalr"]
    env["AETHER_PURE_PYTHON"] = "0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "True", "aether.syntax._speedups"]


def test_the_cli_reports_the_same_on_both_paths():
    cmd = [sys.executable, "-m", "aether", "check", "--isolated", "--no-cache", "--format",
           "json", "workflows"]
    runs = []
    for pure in ("0", "1"):
        env = dict(os.environ, AETHER_PURE_PYTHON=pure)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        runs.append((done.returncode, done.stdout))
    assert runs[0] == runs[1]
    assert runs[0][1].strip()


# ---------------------------------------------------------------- the compiled scanner

def _scanners():
    from aether.syntax.lexer import Scanner

    terminals = load_tables().terminals
    fast, slow = Scanner(terminals), Scanner(terminals)
    slow._compiled = None  # the Python scanner only
    return fast, slow


FAST_SCANNER, SLOW_SCANNER = _scanners()


def _scan_trace(scanner, text: str, keep_comments: bool = False, start: int = 0,
                line: int = 1) -> list:
    """Every token with the scanner's bracket and indentation stacks after it, then the
    error (all its fields) or the end, the logical-line table and the comments."""
    from aether.syntax.errors import AetherSyntaxError

    trace: list = []
    try:
        for tok in scanner.scan(text, keep_comments, start, line):
            trace.append((tok, list(scanner.brackets), list(scanner.indent_stack)))
    except AetherSyntaxError as exc:
        trace.append(("error", sorted(vars(exc).items()), str(exc)))
    trace.append((sorted(scanner.logical_start.items()), list(scanner.comments)))
    return trace


def _same_tokens(text: str) -> None:
    assert FAST_SCANNER._compiled is not None
    for keep in (False, True):
        assert _scan_trace(FAST_SCANNER, text, keep) == _scan_trace(SLOW_SCANNER, text, keep)


def test_the_compiled_scanner_is_used_when_built():
    assert P.get_parser()[1]._compiled is lalr._speedups.Scan


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_and_pure_scanners_agree_on_the_fixtures(path):
    _same_tokens(path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n"))


# Characters where token shapes meet: number suffixes and exponents, quotes and escapes,
# two-character operators, brackets, blanks of every kind, characters no token starts with.
TRICKY = list(" \t\f\n#\"'\\()[]{}:.,=<>!+-*/%_") + list("aeEsmhx019") + ["é", "\r", "\v",
                                                                          "ms", "1.5", "    "]


@SETTINGS
@given(st.lists(st.sampled_from(TRICKY), max_size=60).map("".join))
def test_compiled_and_pure_scanners_agree_on_any_text(text):
    _same_tokens(text)


@SETTINGS
@given(programs(), st.data())
def test_compiled_and_pure_scanners_agree_on_generated_programs(src, data):
    lines = src.split("\n")
    for _ in range(data.draw(st.integers(0, 3), label="breaks")):
        at = data.draw(st.integers(0, len(lines)), label="at")
        lines.insert(at, data.draw(st.sampled_from(BREAKERS + ["\tx: 1", "  y: 2", "x: (]",
                                                               "é: 1", "s: 'a\\"]),
                                   label="line"))
    _same_tokens("\n".join(lines))


def test_compiled_scanner_resumes_mid_text():
    text = "a: 1\nif a:\n    b: [1,\n  2]\nc: 'x'\n"
    start = text.index("c:")
    assert _scan_trace(FAST_SCANNER, text, False, start, 5) == \
        _scan_trace(SLOW_SCANNER, text, False, start, 5)


@pytest.mark.parametrize("text", [
    "x: " + "(" * 101 + ")" * 101 + "\n",
    "".join(" " * i + "if x:\n" for i in range(102)) + " " * 102 + "y\n",
    "if x:\n    a\n  b\n", "if x:\n\ty\n", "x: 1)\n", "x: (1]\n", "x: 'abc\n", "x: 1 $ 2\n",
    "x: (1,\n", "x: 10msx 1.5.3s 1_0.5_0s 1e 1e+ 1e+5 1.5e-3ms 0x\n", "if a:\n  if b:\n    c\n",
    "", "\n\n", "# only\n", "x", "x:\n", "  x\n", "a \\\n b\n",
])
def test_compiled_and_pure_scanners_agree_on_edge_cases(text):
    _same_tokens(text)


# ---------------------------------------------------------------- hostile use of the C API
# Scan and Engine are callable from Python, and the scanner's lists are open to Python code
# between tokens. Whatever is done to them ends in an exception, never a read outside an
# object; each snippet runs in a child process (a crash there fails the test, not the run),
# on both paths when the behaviour is defined for both.

_PRELUDE = """
from aether.syntax import lalr, parser as P
from aether.syntax.tables import load_tables
from aether.syntax.lexer import Scanner
sc = Scanner(load_tables().terminals)
def show(fn):
    try:
        print(repr(fn())[:300])
    except Exception as e:
        print("raised", type(e).__name__)
"""


def _run(code: str, pure: str) -> str:
    env = dict(os.environ, AETHER_PURE_PYTHON=pure)
    done = subprocess.run([sys.executable, "-c", _PRELUDE + code], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _both(code: str) -> str:
    fast, slow = _run(code, "0"), _run(code, "1")
    assert fast == slow
    return fast


@pytest.mark.parametrize("start", [-1, -7, -1000000, 5, 6, 1000000])
def test_a_start_outside_the_text_scans_as_the_python_scanner_does(start):
    # the C scanner read the characters before the text (a negative start)
    out = _both(f"show(lambda: list(sc.scan('x: 1\\n', False, {start}, 1)))")
    assert out.strip()


def test_keep_comments_whose_truth_test_raises():
    # the C scanner went on with the exception set: SystemError
    out = _both("class B:\n    def __bool__(self): raise ValueError\n"
                "show(lambda: list(sc.scan('# c\\nx: 1\\n', B())))")
    assert out.strip() == "raised ValueError"


def _change_mid_scan(source: str, taken: int, change: str) -> None:
    """Both loops agree when the scanner's state is changed by ``change`` after ``taken``
    tokens of ``source`` (a Python literal's text: its escapes are the script's)."""
    _both(f"""
it = sc.scan('{source}')
toks = [next(it) for _ in range({taken})]
{change}
show(lambda: list(it))
""")


@pytest.mark.parametrize("change", [
    "sc.indent_stack.clear()", "sc.indent_stack[:] = ['a', 'b']",
    "sc.indent_stack[:] = [0, -4]", "sc.indent_stack[:] = [0, 10**30]",
    "sc.indent_stack.append(None)"])
def test_an_indentation_stack_changed_mid_scan(change):
    # an emptied stack was read at index -1 (a crash), a non-int as an int
    _change_mid_scan("if x:\\n    y\\nz\\n  w\\n", 6, change)


@pytest.mark.parametrize("change", [
    "sc.brackets[:] = [1]", "sc.brackets[:] = [()]", "sc.brackets[:] = [('', 1, 1)]",
    "sc.brackets[:] = [(5, 1, 1)]", "sc.brackets[:] = [('((', 1, 1)]"])
def test_a_bracket_stack_changed_mid_scan(change):
    # an entry that is not a tuple of a one-character string was read as one
    _change_mid_scan("x: (1\\n)\\n", 4, change)


def test_a_value_stack_changed_mid_parse_is_an_error():
    # the engine read past the end of an emptied value stack
    out = _run("""
p = P.get_parser()[0]
vals = []
def tokens():
    for t in sc.scan('x: 1\\ny: [1, 2]\\n'):
        vals.clear()
        yield t
show(lambda: p.parse(tokens(), vals))
""", "0")
    assert out.strip() == "raised RuntimeError"


@pytest.mark.parametrize("states,rules,error", [
    ("({'A': -5}, {})", "((1, None, 'r', 0, b'\\0'),)", "ValueError"),
    ("({'A': ~0}, {})", "((0, None, 'r', 0, b''),)", "ValueError"),
    ("({'A': ~0}, {})", "((3, print, 'r', 2, b'\\0\\0\\0'),)", "RuntimeError"),
    ("({'A': ~0}, {})", "((1, print, 'r', 2, b'\\0'),)", "RuntimeError"),
    ("({'B': 1, 'A': ~0}, {'A': ~0})", "((0, print, 'r', 2, b''),)", "RuntimeError"),
])
def test_an_engine_over_inconsistent_tables_raises(states, rules, error):
    # a reduction by a rule past the last, a unit rule of two symbols, a goto that is not
    # there, a reduction deeper than the stack: each read outside the engine's arrays
    out = _run(f"""
def build():
    e = lalr._speedups.Engine({states}, {rules}, set(), 0, 1, print)
    return e.parse([('A', '', 0, 1, 1, 1, 1), ('$END', '', 0, 1, 1, 1, 1)], [])
show(build)
""", "0")
    assert out.strip().splitlines()[-1] == f"raised {error}"


@pytest.mark.parametrize("literal", ["1", "1.5", "9" * 18])
def test_a_run_of_signs_before_a_literal_costs_linear_time(literal):
    # each `-` folded into the literal copied its text: n signs made n**2 / 2 characters
    # (a 10 MB file of them took hours on either path); past 64 they stay negations
    from aether import ast as A

    text = "x: " + "-" * 200 + literal + "\n"
    _same(text)
    value = _with(COMPILED, P.parse, text).module.body[0].value
    depth = 0
    while isinstance(value, A.Unary):
        value, depth = value.operand, depth + 1
    assert depth == 200 - 64 and value.raw == "-" * 64 + literal
    short = _with(COMPILED, P.parse, "x: --1\n").module.body[0].value
    assert isinstance(short, A.Int) and short.raw == "--1" and short.value == 1


def test_parsing_again_and_again_keeps_no_memory():
    # every way out of the C loop and scanner drops what it holds: a parse that succeeds,
    # a scanner error handed to the Python scanner, an error raised by a rule's callback
    # (a number out of range), the parser's own error, an exception from the token stream
    # and a KeyboardInterrupt raised from a callback; a reference kept on any of them
    # grows the count of allocated blocks by at least one per round
    import gc

    from aether.syntax.errors import AetherSyntaxError

    texts = [FILES[0].read_text(encoding="utf-8"), "x: (1]\n", "x: " + "9" * 30 + "\n",
             "x: = 1\ny: 2\n", "# c\nx: 'a\n", "if x:\n\ty: 1\n", "x: é\n"]

    class Interrupting(AstBuilder):
        def binding(self, c):
            raise KeyboardInterrupt

    interrupting = lalr.Parser(load_tables(), Interrupting(), compiled=True)
    scanner = COMPILED[1]

    def stream():
        for i, tok in enumerate(scanner.scan(texts[0])):
            if i == 30:
                raise ZeroDivisionError
            yield tok

    def once():
        for text in texts:
            _with(COMPILED, P.parse, text)
            try:
                list(scanner.scan(text, True))
            except AetherSyntaxError:
                pass
        for parse in (lambda: interrupting.parse(scanner.scan("x: 1\n")),
                      lambda: COMPILED[0].parse(stream())):
            try:
                parse()
            except (KeyboardInterrupt, ZeroDivisionError):
                pass

    for _ in range(20):
        once()
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(300):
        once()
    gc.collect()
    assert sys.getallocatedblocks() - before < 150


def test_a_token_copies_and_pickles_on_both_paths():
    # the C Tok had no __reduce__: copy, deepcopy and pickle raised TypeError where
    # lalr.py's Tok (plain __slots__) worked; an UnexpectedToken holds one
    out = _both("""
import copy, pickle
t = lalr.Tok('NAME', 'x', 3, 1, 4, 1, 5)
for f in (copy.copy, copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))):
    c = f(t)
    print(type(c) is lalr.Tok, c is not t, [getattr(c, k) for k in
          ('type', 'value', 'pos', 'line', 'column', 'end_line', 'end_column')])
""")
    assert out.count("True True ['NAME', 'x', 3, 1, 4, 1, 5]") == 3


def test_a_scan_kept_on_its_scanner_is_collected():
    # the C Scan took no part in garbage collection: a cycle through it (here the scan kept
    # on its own scanner) was never freed, where the Python scanner's generator is
    out = _both("""
import gc, weakref
for started in (False, True):
    s = Scanner(load_tables().terminals)
    s.kept = s.scan('x: 1\\ny: (2,\\n 3)\\n# c\\n', True)
    if started:
        next(s.kept)
    ref = weakref.ref(s)
    del s
    gc.collect()
    print(ref() is None)
""")
    assert out.split() == ["True", "True"]


# ------------------------------------------------------------ node makers (builder.py)

def _node_classes():
    from aether import ast as A

    return [c for c in vars(A).values() if isinstance(c, type) and issubclass(c, A.Node)]


def test_every_node_class_has_a_compiled_maker():
    # without makers the compiled path called each class's Python __init__ (an
    # object.__setattr__ per field): four fifths of the cost of a node
    from aether.syntax import builder as B

    makers = B._makers()
    assert {name: type(m).__name__ for name, m in makers.items()} == {
        c.__name__: "Maker" for c in _node_classes()}
    fast = B.AstBuilder(compiled=True)
    assert all(getattr(fast, name) is m for name, m in makers.items())
    slow = B.AstBuilder(compiled=False)
    assert all(getattr(slow, c.__name__) is c for c in _node_classes())


_FIELD_VALUES = st.one_of(st.none(), st.integers(), st.booleans(), st.text(max_size=8),
                          st.tuples(st.integers()))


def _fresh(value):
    """``value``, a str as a new object (two strings of the same text are then the same
    object only when interned)."""
    if type(value) is str:
        return "".join(["\x00", value])[1:]
    return value


@given(st.sampled_from(sorted(_node_classes(), key=lambda c: c.__name__)), st.data())
def test_a_maker_makes_what_its_class_makes(cls, data):
    from aether.syntax import builder as B

    maker = B._makers()[cls.__name__]
    required = len(cls._fields) - len(cls.__init__.__defaults__ or ())
    n = data.draw(st.integers(required, len(cls._fields)))
    args = data.draw(st.lists(_FIELD_VALUES, min_size=n, max_size=n))
    args = [v + "xy" if type(v) is str else v for v in args]  # no one-character singletons
    a, b = maker(*map(_fresh, args)), cls(*map(_fresh, args))
    assert type(a) is cls and a == b
    for field in cls._fields:
        x, y = getattr(a, field), getattr(b, field)
        assert x == y and type(x) is type(y)
        if type(x) is str and len(x) > 1:  # interned by both (one object) or by neither
            assert (x is y) == (sys.intern(_fresh(x)) is y)


def test_a_class_whose_init_does_more_gets_no_maker():
    from aether import ast as A
    from aether.syntax import builder as B

    class Converts(A.Expr):
        __slots__ = ("items",)
        _fields = A.Expr._fields + __slots__

        def __init__(self, line, column, end_line, end_column, items=()):
            object.__setattr__(self, "line", line)
            object.__setattr__(self, "column", column)
            object.__setattr__(self, "end_line", end_line)
            object.__setattr__(self, "end_column", end_column)
            object.__setattr__(self, "items", tuple(items))

    class ExtraSlot(A.Name):
        __slots__ = ("cached",)

    class OwnNew(A.Name):
        __slots__ = ()

        def __new__(cls, *args):
            return super().__new__(cls)

    class Checks(A.Name):
        __slots__ = ()

        def __init__(self, line, column, end_line, end_column, id=""):
            if not id.isidentifier():
                raise ValueError(id)
            super().__init__(line, column, end_line, end_column, id)

    for cls in (Converts, ExtraSlot, OwnNew, Checks):
        assert B._maker(cls, lalr._speedups.Maker) is cls, cls
    assert type(B._maker(A.Name, lalr._speedups.Maker)).__name__ == "Maker"


@pytest.mark.parametrize("code", [
    "Maker(int, (), (), ())",                        # not a slotted class
    "Maker(A.Name, ('nope',), (), (False,))",        # not a slot
    "Maker(A.Name, ('__class__',), (), (False,))",   # not a member descriptor
    "Maker(A.Name, ('id',), (), ())",                # flags do not match the fields
    "Maker(A.Name, ('id',), (1, 2), (False,))",      # more defaults than fields
    "Maker(type('D', (), {}), (), (), ())",          # instances with a __dict__
    "Maker(A.Name, A.Name._fields, (), (0,) * 5)(1, 2, 3, 4, id='x')",  # keywords
    "Maker(A.Name, A.Name._fields, (), (0,) * 5)(1, 2, 3, 4)",          # too few
    "Maker(A.Name, A.Name._fields, (), (0,) * 5)(1, 2, 3, 4, 5, 6)",    # too many
])
def test_a_maker_refuses_what_it_cannot_make(code):
    out = _run(f"""
from aether import ast as A
Maker = lalr._speedups.Maker
show(lambda: {code})
""", "0")
    assert out.strip().splitlines()[-1] == "raised TypeError"


@pytest.mark.parametrize("callback", [
    "print", "(print, M)", "(print, print, None)", "(print, M, 5)",
    "(print, M, (1, 2, 3, 4, 5))", "(None, M, None)"])
def test_an_engine_refuses_an_inconsistent_token_rule(callback):
    out = _run(f"""
from aether import ast as A
M = lalr._speedups.Maker(A.Name, A.Name._fields, ('',), (0,) * 5)
show(lambda: lalr._speedups.Engine(({{'A': 1}}, {{}}), ((1, {callback}, 'r', 5, b'\\0'),),
                                   set(), 0, 1, print))
""", "0")
    assert out.strip().splitlines()[-1] == "raised ValueError"


def test_token_rules_make_their_nodes_in_the_compiled_loop():
    # `name`, `true`, `false` and `null` are made by the loop: their methods are not called
    from aether.syntax import builder as B

    class Counting(B.AstBuilder):
        calls = 0

        def name(self, c):
            Counting.calls += 1
            return super().name(c)

        name.token_node = B.AstBuilder.name.token_node

    p = lalr.Parser(load_tables(), Counting(compiled=True), compiled=True)
    module = p.parse(P.get_parser()[1].scan("x: a + true\ny: [null, false, b]\n"))
    assert Counting.calls == 0
    slow = lalr.Parser(load_tables(), Counting(compiled=False), compiled=False)
    assert slow.parse(P.get_parser()[1].scan("x: a + true\ny: [null, false, b]\n")) == module
    assert Counting.calls == 4  # x, a, y and b


@pytest.mark.parametrize("kept", [set(), {"A"}])
def test_a_token_rule_over_a_child_that_is_no_token_calls_its_method(kept):
    # tables.py keeps the token of such a rule; should it not, the method makes the value
    from aether import ast as A
    from aether.syntax import builder as B

    maker = B._makers()["Name"]
    calls = []

    def method(children):
        calls.append(children)
        return "made by the method"

    engine = lalr._speedups.Engine(({"A": 1, "r": 2}, {"$END": ~0}, {}),
                                   ((1, (method, maker, None), "r", 5, b"\0"),), kept,
                                   0, 2, print)
    value = engine.parse([("A", "abc", 0, 1, 1, 1, 4), ("$END", "", 3, 1, 4, 1, 4)], [])
    if kept:
        assert value == A.Name(1, 1, 1, 4, "abc") and not calls
    else:
        assert value == "made by the method" and calls == [[("A", "abc", 0, 1, 1, 1, 4)]]


def test_an_extension_built_before_the_makers_still_parses():
    # an editable install not rebuilt since: its module has no Maker; the builder then calls
    # the classes and the loop their methods, instead of failing on every parse
    out = _run("""
import types
from aether.syntax import builder as B
old = types.SimpleNamespace(**{k: getattr(lalr._speedups, k) for k in ("Engine", "Tok", "Scan")})
lalr._speedups = old
b = B.AstBuilder(compiled=True)
assert B._makers() == {} and b.Name is B.A.Name
p = lalr.Parser(load_tables(), b, compiled=True)
show(lambda: p.parse(sc.scan("x: a + true\\n")).body[0].value.right)
""", "0")
    assert out.strip() == "Bool(line=1, column=8, end_line=1, end_column=12, value=True)"


# ---------------------------------------------------------------- hostile input, both paths
# What a pull request can bring: any bytes at all (decoded as `aether check` decodes a
# file), and token soups over every terminal of the grammar with the layout between them
# (newlines, indents of every width, tabs, comments, blank lines, form feeds). Both paths
# must give the same findings, and neither may crash (an AE999 is a crash contained).

_TERMINAL_WORDS = sorted({pattern for _, kind, pattern in load_tables().terminals
                          if kind == "str"})
_SOUP = _TERMINAL_WORDS + [
    "x", "goal", "workflow", "steps", "_a1", "1", "0_0", "1.5", "1e9", "2.5e-3", "10ms", "1.5h",
    "9" * 25, '"s"', "'s'", '"a\\"b"', "'\\", '"', "'", "# c", "\n", "\n", "\n    ", "\n  ",
    "\n\t", "\n \t", " ", "  ", "\f", "\\", "é", "$", "\u00a0", "\u2028", "-" * 70, "\ufeff"]


def _same_checked(text: str) -> None:
    _same(text)
    for result in (_with(COMPILED, check_text, text, "x.aether"),):
        assert not any(f.rule == "AE999" for f in result.findings), result.findings


@SETTINGS
@given(st.binary(max_size=400))
def test_compiled_and_pure_agree_on_any_bytes(data):
    from aether.source import decode_source

    decoded = decode_source(data)
    if decoded.text is not None:
        _same_checked(decoded.text)


@SETTINGS
@given(st.lists(st.sampled_from(_SOUP), max_size=80).map(" ".join),
       st.lists(st.sampled_from(_SOUP), max_size=80).map("".join))
def test_compiled_and_pure_agree_on_token_soups(spaced, glued):
    _same_checked(spaced)
    _same_checked(glued)
    _same_tokens(glued)


_NOMEMORY = """
import _testcapi
from aether.syntax.errors import AetherSyntaxError
p = P.get_parser()[0]
text = "goal: 'g'\\nif a:\\n    b: [1, (2), {'k': -3.5e1}]\\n  c: 10ms\\nx: 'abc\\n# c\\n"
errors = set()
for n in range(600):
    for keep in (False, True):
        _testcapi.set_nomemory(n, n + 1)  # only the n-th allocation from here fails
        try:
            p.parse(sc.scan(text, keep))
        except (MemoryError, AetherSyntaxError, lalr.UnexpectedToken):
            pass
        except BaseException as exc:
            _testcapi.remove_mem_hooks()
            errors.add(repr(exc))
        finally:
            _testcapi.remove_mem_hooks()
print(sorted(errors))
"""


def test_an_allocation_failing_anywhere_in_a_parse_is_a_memory_error():
    # Scan() looked its scanner's six lists up before checking any: a MemoryError from the
    # first lookup was cleared by the next ones, and Scan returned NULL with no exception
    # set (SystemError). Every allocation of a parse is made to fail in turn, on both paths.
    pytest.importorskip("_testcapi")
    for out in (_run(_NOMEMORY, "0"), _run(_NOMEMORY, "1")):
        assert out.strip().splitlines()[-1] == "[]"
