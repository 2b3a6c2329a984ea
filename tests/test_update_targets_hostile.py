"""Hostile update targets (issue 10, item 4): deep chains, targets whose root is not a
bound value, targets in fns and blocks, and programs deeper than the runtime's stack.
Every one ends in a coded status, never an internal error."""

from __future__ import annotations

import pytest

from aether.checker import CheckOptions, check_text
from aether.fmt import format_text
from aether.syntax import parse
from aether.syntax.lexer import MAX_NESTING
from runtime_support import outputs, run


def rules(text):
    return [f.rule for f in check_text('goal: "g"\n' + text, "t.aether", CheckOptions()).findings]


def test_a_target_up_to_the_nesting_limit_updates_and_formats():
    target = "s" + ".x" * MAX_NESTING
    text = f"s: {{}}\n{target}: 1\n"
    assert rules(text) == []
    assert not format_text('goal: "g"\n' + text).changed
    value = outputs(text)["s"]
    depth = 0
    while isinstance(value, dict):
        value, depth = value["x"], depth + 1
    assert (depth, value) == (MAX_NESTING, 1)


@pytest.mark.parametrize("op", [": 1", " += 1"])
def test_a_target_deeper_than_the_nesting_limit_is_ae110_not_a_crash(op):
    # `run` recursed once per step and ended in AE999 internal error (status 27)
    text = "s: {}\ns" + "[0]" * 1000 + op + "\n"
    assert parse('goal: "g"\n' + text).errors[0].rule == "AE110"
    assert rules(text) == ["AE110"]
    assert run(text).status == 20


def test_long_chains_that_pass_check_run_or_end_in_a_coded_error():
    # compiling recursed on the host's default stack: AE999 internal error (status 27)
    assert outputs('s: {"x": 1}\ny: ' + " + ".join(["s.x"] * 3000) + "\n")["y"] == 3000
    assert outputs('y: "a"' + ".upper()" * 1500 + "\n")["y"] == "A"
    text = 'y: 1' + " + 1" * 100_000 + "\n"
    assert rules(text) == []
    result = run(text)
    assert result.status == 21 and result.error["rule"] == "AE406"


@pytest.mark.parametrize("text, rule", [
    ("zz.b: 1\n", "AE302"),  # the root must be bound
    ('zz["k"] += 1\n', "AE302"),
    ("fn f():\n    q.x: 1\n", "AE302"),
    ("log.x: 1\n", "AE302"),  # a function is no value to update
    ("s: {}\ns.x: Int = 1\n", "AE314"),
    ("s: {}\nparallel:\n    s.x: 1\n", "AE318"),
    ("meta:\n    a.b: 1\n", "AE318"),
    ("s: {}\ns().x: 1\n", "AE100"),
    ("s: {}\n(s).x: 1\n", "AE100"),
])
def test_targets_that_cannot_be_updated_are_findings(text, rule):
    assert rule in rules(text)


def test_targets_on_parameters_and_in_blocks_never_reach_the_caller():
    out = outputs('fn f(p):\n    p.x: 99\n    p["l"][0] += 1\n    return p\n'
                  'o: {"x": 1, "l": [1]}\nn: f(o)\ns: {}\nfor i in range(3):\n'
                  '    s[str(i)]: i\nt: s\nwhile len(t) < 4:\n    t.more: 1\n')
    assert out["o"] == {"x": 1, "l": [1]} and out["n"] == {"x": 99, "l": [2]}
    assert out["s"] == {"0": 0, "1": 1, "2": 2} and out["t"]["more"] == 1
