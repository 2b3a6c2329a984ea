"""A large file is checked one top-level statement at a time, never holding its whole tree
(issue 15, item 4; aether.checker.STREAM_ABOVE): the findings, their order, their
fingerprints and every report format are those of the whole-tree check, on the compiled
and on the pure-Python parse loop. The threshold is forced to 0 here, so that every text
takes the statement-by-statement path (a text with a syntax error falls back to the
whole tree, which reports and recovers).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aether import ast as A
from aether import checker
from aether.checker import CheckOptions, check_text
from aether.output import FORMATS, write_report
from aether.semantics.validator import Validator, bound_names
from aether.syntax import lalr
from aether.syntax import parser as P
from aether.syntax.builder import AstBuilder
from aether.syntax.errors import AetherSyntaxError
from aether.syntax.lexer import Scanner
from aether.syntax.tables import load_tables
from test_parser_properties import BREAKERS, SETTINGS, programs

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for p in (ROOT / "workflows").rglob("*.aether"))


def _pairs() -> dict:
    """(parser, scanner) of each parse loop this build has: the pure-Python one always
    (its scanner the regular-expression one), the compiled one when it is built."""
    tables = load_tables()
    pure_scanner = Scanner(tables.terminals)
    pure_scanner._compiled = None
    pairs = {"pure": (lalr.Parser(tables, AstBuilder(compiled=False), compiled=False),
                      pure_scanner)}
    if lalr._speedups is not None:
        pairs["compiled"] = (lalr.Parser(tables, AstBuilder(compiled=True), compiled=True),
                             Scanner(tables.terminals))
    return pairs


PAIRS = _pairs()


def _run(pair, threshold: int, fn, *args):
    """``fn(*args)`` with ``pair`` as the process's parser and ``threshold`` as
    STREAM_ABOVE; also whether the whole-tree parse ran."""
    saved = P._PARSER, P._LAST, checker.STREAM_ABOVE, P._parse
    whole = []

    def counted(text, incremental):
        whole.append(1)
        return saved[3](text, incremental)

    P._PARSER, P._LAST, checker.STREAM_ABOVE, P._parse = pair, None, threshold, counted
    try:
        return fn(*args), bool(whole)
    finally:
        P._PARSER, P._LAST, checker.STREAM_ABOVE, P._parse = saved[0], None, saved[2], \
            saved[3]


def _reports(result) -> list[str]:
    out = []
    for fmt in FORMATS:
        for suppressed in (False, True):
            buf = io.StringIO()
            write_report(fmt, [result], buf, show_suppressed=suppressed)
            out.append(buf.getvalue())
    return out


def _same(text: str, options: CheckOptions = CheckOptions()) -> None:
    for name, pair in PAIRS.items():
        whole, parsed_whole = _run(pair, 1 << 40, check_text, text, "x.aether", options)
        assert parsed_whole
        streamed, fell_back = _run(pair, 0, check_text, text, "x.aether", options)
        clean = _run(pair, 1 << 40, P.parse, text)[0].ok
        assert fell_back == (not clean), name  # statement by statement when it parses
        assert streamed.findings == whole.findings, name  # fingerprints and order too
        assert streamed.suppressed == whole.suppressed, name
        assert streamed.source == whole.source
        assert _reports(streamed) == _reports(whole), name


def test_both_parse_loops_are_compared_where_built():
    assert "pure" in PAIRS and not PAIRS["pure"][0].compiled
    assert ("compiled" in PAIRS) == (lalr._speedups is not None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_streamed_check_is_the_whole_tree_check_on_the_fixtures(path):
    from aether.source import normalise

    _same(normalise(path.read_text(encoding="utf-8", errors="replace")))


@SETTINGS
@given(programs(), st.data())
def test_streamed_check_is_the_whole_tree_check_on_generated_programs(src, data):
    lines = src.split("\n")
    for _ in range(data.draw(st.integers(0, 2), label="breaks")):
        at = data.draw(st.integers(0, len(lines)), label="at")
        lines.insert(at, data.draw(st.sampled_from(BREAKERS), label="line"))
    _same("\n".join(lines))


def _many_names(n: int) -> str:
    """A file binding ``n`` names at its top level, in nested blocks and in fns, with
    misspelt uses of them: the did-you-mean pools are past EXACT_LIMIT, so which names a
    suggestion compares depends on the order they were filed in."""
    out = ['goal: "g"\n', 'require:\n    plugins: ["acme>=1"]\n']
    for i in range(n):
        out.append(f"value_{i}: {i}\n" if i % 3 else
                   f"if true:\n    for item_{i} in [1]:\n        value_{i}: f_{i % 7}({i})\n")
        if i % 25 == 0:
            out.append(f"fn f_{i % 7}(a_{i}, b_{i}=1):\n    local_{i}: a_{i}\n"
                       f"    log(valeu_{i}, lcoal_{i}, value_{i + 1})\n"
                       f"    return f_{(i + 1) % 7}(a_{i})\n")
        if i % 40 == 0:
            out.append(f"parallel:\n    task_{i}: f_1(1)\nawait task_{i}, tsak_{i}\n")
    out.append("log(value_1x, vaule_3, f_9(1), acme.go(1), value_2.nope(), item_3)\n")
    out.append("fn f_1(x):\n    log(x)\n")  # AE313, reported before every other finding
    return "".join(out)


def test_streamed_check_is_the_whole_tree_check_on_large_name_pools():
    text = _many_names(400)
    assert len(P.parse(text).module.body) > 400
    whole = check_text(text, "x.aether")
    assert {f.rule for f in whole.findings} >= {"AE302", "AE301", "AE307", "AE313"}
    assert any(f.hint and "did you mean" in f.hint for f in whole.findings)
    _same(text)


def test_the_noted_top_level_names_come_in_bound_names_order():
    # a set gives its names in an order that follows the order they were added in, and
    # suggestions follow the order the names were filed in: the set made statement by
    # statement must be made in the order bound_names makes it from the whole body
    text = _many_names(300)
    body = P.parse(text).module.body
    validator = Validator()
    for stmt in body:
        validator.note(stmt)
    validator.begin_checks()
    assert list(validator.global_names) == list(bound_names(body))


def test_a_statement_with_a_syntax_error_takes_the_whole_tree_path():
    text = 'goal: "g"\nx: 1\nlog(x +)\ny: nope\n'
    for pair in PAIRS.values():
        result, whole = _run(pair, 0, check_text, text, "x.aether")
        assert whole and [f.rule for f in result.findings] == ["AE100"]


# ---------------------------------------------------------------- the parse loops' hook

SOURCE = ('goal: "g"\n\nfn f(a):\n    log(a)\n    if a:\n        log((a).b)\n    else:\n'
          '        try:\n            log(1)\n        catch e:\n            log(e)\n'
          'policy:\n    timeout: 30s\nf(1)\n')


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_each_top_level_statement_is_handed_on_once_complete(name):
    parser, scanner = PAIRS[name]
    module = parser.parse(scanner.scan(SOURCE))
    assert len(module.body) == 4
    handed: list = []
    rest = parser.parse(scanner.scan(SOURCE), on_item=handed.append)
    assert tuple(handed) == module.body  # nested blocks are kept whole
    assert rest == A.Module(1, 1, 1, 1, ())  # nothing kept at the top level


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_the_statements_before_an_error_are_handed_on(name):
    parser, scanner = PAIRS[name]
    handed: list = []
    with pytest.raises(lalr.UnexpectedToken):
        parser.parse(scanner.scan('goal: "g"\nx: 1\nfn f(:\n    log(1)\n'),
                     on_item=handed.append)
    assert [type(s) for s in handed] == [A.Binding, A.Binding]


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_what_the_callback_raises_ends_the_parse(name):
    parser, scanner = PAIRS[name]

    def refuse(stmt):
        raise AetherSyntaxError("AE100", "refused", stmt.line, 1)

    with pytest.raises(AetherSyntaxError, match="refused"):
        parser.parse(scanner.scan(SOURCE), on_item=refuse)


def test_parse_items_forgets_the_parentheses_of_each_statement():
    # the builder remembers parenthesised expressions (a parenthesis is not a target)
    # until the parse ends: kept for a whole file, they held every such expression
    parser = P.get_parser()[0]
    sizes = []
    P.parse_items("x: (a)\ny: (b)\nz: (c).d\n",
                  lambda s: sizes.append(len(parser.builder._parens)))
    assert sizes == [0, 0, 0]
    # and an update of a parenthesised target is still refused
    with pytest.raises(AetherSyntaxError, match="parentheses"):
        P.parse_items("x: 1\n(x).a: 2\n", lambda s: None)


def test_the_top_level_states_are_those_after_the_start_rules_repetitions():
    for parser, _ in PAIRS.values():
        states, rules = parser.top_states()
        assert states and "__start_star_1" in rules
        # entered only on those rules: a block's statement list never goes there
        for row in parser.states:
            for symbol, goto in row.items():
                if goto in states:
                    assert symbol in rules


def test_a_grammar_without_them_refuses_to_hand_on(monkeypatch):
    parser, scanner = PAIRS["pure"]
    monkeypatch.setattr(parser, "_top", ((), frozenset()))
    with pytest.raises(LookupError):
        parser.parse(scanner.scan('goal: "g"\n'), on_item=print)


# ---------------------------------------------------------------- callers that hold the tree

@pytest.mark.parametrize("name", sorted(PAIRS))
def test_run_checks_the_tree_it_holds_without_parsing_again(name, monkeypatch):
    # `aether run` parses the file (it compiles that tree) before checking it: the check
    # then takes that tree, not two more parses one statement at a time
    from aether.runtime.api import run_source

    items = []
    real = P.parse_items
    monkeypatch.setattr(P, "parse_items", lambda *a: (items.append(1), real(*a))[1])
    text = 'goal: "g"\nx: 1\nlog(x)\nfn f(a):\n    return a\nlog(f(x))\n'
    saved = P._PARSER, P._LAST, checker.STREAM_ABOVE, P._parse
    whole = []

    def counted(text, incremental):
        whole.append(1)
        return saved[3](text, incremental)

    P._PARSER, P._LAST, checker.STREAM_ABOVE, P._parse = PAIRS[name], None, 0, counted
    try:
        result = run_source(text, "x.aether", simulate=True)
        assert result.status == 0
        assert (len(whole), len(items)) == (1, 0)
        # the same check, the tree not held: statement by statement
        assert check_text(text, "x.aether").findings == []
        assert (len(whole), len(items)) == (1, 2)
    finally:
        P._PARSER, P._LAST, checker.STREAM_ABOVE, P._parse = saved[0], None, saved[2], \
            saved[3]
