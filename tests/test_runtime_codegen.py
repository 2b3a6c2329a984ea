"""The generated block functions agree with the closure-only reference, everywhere.

``Compiler(inline=False)`` runs blocks as closures only (the shape before code
generation); every program here must give the same outputs, steps and error (rule, line,
column, stack) both ways. The generated fast paths (arithmetic, comparisons, fn calls,
append/len/str, for/while/if inline, fallbacks past the nesting limits) are exercised
with values on and off the fast path and at the value-size limit.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aether.runtime.api as api
from aether.runtime.compiler import Compiler
from tests.runtime_support import run


def both(body, **options):
    """(generated, reference) results of one program."""
    fast = run(body, **options)
    saved = api.Compiler
    api.Compiler = functools.partial(Compiler, inline=False)
    try:
        ref = run(body, **options)
    finally:
        api.Compiler = saved
    return fast, ref


def same(body, **options):
    fast, ref = both(body, **options)
    assert (fast.status, fast.error, fast.outputs, fast.steps) == \
        (ref.status, ref.error, ref.outputs, ref.steps), body
    return fast


PROGRAMS = [
    # arithmetic on and off the int fast path; overflow; division and modulo by zero
    "a: 9223372036854775807\nb: a + 1\n",
    "a: -9223372036854775807\nb: a - 2\n",
    "a: 4294967296\nb: a * a\n",
    "a: 7\nb: a % 0\n",
    "a: 7\nb: a / 0\n",
    "a: 7\nb: a / 2\nc: a % 3\nd: 1.5 + a\ne: a * 2.5\n",
    'a: "x" + 1\n',
    'a: "ab" * 3\nb: [1] + [2]\nc: 3 * "z"\n',
    "a: null + 1\n",
    # comparisons
    'a: 1 == 1.0\nb: "a" < "b"\nc: [1] == [1]\nd: 1 != "1"\ne: null == null\n',
    'a: 1 < "x"\n',
    "a: [1] < [2]\n",
    # control flow, break/continue, also through try: (a closure) inside a loop
    "t: 0\nfor i in range(10):\n    if i == 3:\n        continue\n    if i == 7:\n"
    "        break\n    t += i\n",
    "t: 0\nfor i in range(10):\n    try:\n        if i == 2:\n            continue\n"
    "        if i == 5:\n            break\n        t += i\n    catch e:\n        t: -1\n",
    "n: 0\nwhile n < 5:\n    n += 1\n    if n == 2:\n        continue\n",
    "t: 0\nfor c in \"abc\":\n    t += 1\nfor k in {\"a\": 1, \"b\": 2}:\n    t += 1\n"
    "for z in null:\n    t += 100\n",
    "for x in 5:\n    y: 1\n",
    # fn calls: values, recursion, depth, errors inside with the Aether stack
    "fn f(a, b):\n    return a * b\nx: f(3, 4)\n",
    "fn f(n):\n    if n <= 1:\n        return 1\n    return n * f(n - 1)\nx: f(20)\n",
    "fn f(n):\n    return f(n + 1)\nx: f(0)\n",
    "fn f(a):\n    return a + 1\nx: f(\"s\")\n",
    "fn f(a):\n    t: 0\n    for i in range(a):\n        if i == 3:\n            return i\n"
    "    return -1\nx: f(10)\ny: f(2)\n",
    "fn f(a):\n    a += 1\nx: f(1)\n",
    # the hot builtins, on and off their fast paths
    'a: append([1, 2], 3)\nb: append(null, 1)\nc: len("abc") + len([1]) + len({"k": 1})'
    "\nd: len(null)\ne: str(12)\nf: str(\"s\")\ng: str([1, \"a\"])\nh: str(1.5)\n",
    "a: append(1, 2)\n",
    "a: len(3)\n",
    # names: unbound, globals read from a fn
    "a: b\n",
    "g: 5\nfn f():\n    return g + 1\nx: f()\n",
    # closures: reads of enclosing locals, values of nested fns, a call from outside
    "fn o(x):\n    fn i(y):\n        return x + y\n    z: i(1)\n    x: 5\n    return [z, i(1)]"
    "\nr: o(1)\ns: map([1], o)\n",
    "fn o(x):\n    fn i():\n        return x\n    return i()\nr: i()\n",
    # and/or/not, unary minus
    "a: 1 and 0\nb: 0 or \"x\"\nc: not []\nd: -(3)\ne: -9223372036854775807 - 1\nf: -e\n",
]


@pytest.mark.parametrize("body", PROGRAMS)
def test_generated_blocks_match_the_closures(body):
    same(body)


def test_value_size_limit_on_every_fast_path():
    for body in ('a: "abcd"\nb: a + a\n', "a: append([1, 2, 3, 4], 5)\n", "a: str(123456)\n",
                 'a: "abcdef"\nb: str(a)\n', "a: str(12)\n"):
        result = same(body, max_value_size=4)
        if "12)" not in body:
            assert result.error["rule"] == "AE407", body


def test_nesting_past_the_inline_limits_falls_back_to_closures():
    # 30 nested ifs (past _MAX_INDENT) and 11 nested loops (past _MAX_LOOPS)
    ifs = "x: 0\n" + "".join("    " * i + "if true:\n" for i in range(30)) \
        + "    " * 30 + "x: 1\n"
    assert same(ifs).outputs["x"] == 1
    loops = "n: 0\n" + "".join("    " * i + f"for i{i} in range(2):\n" for i in range(11)) \
        + "    " * 11 + "n += 1\n" + "    " * 10 + "if n > 100:\n" + "    " * 11 + "break\n"
    assert same(loops).status == 0
    long = "a: 1\nb: " + " + ".join(["a"] * 120) + "\n"
    assert same(long).outputs["b"] == 120


def test_step_budget_is_counted_the_same():
    body = "t: 0\nfor i in range(1000):\n    if i % 2 == 0:\n        t += 1\n"
    ok = same(body)
    over = same(body, max_steps=ok.steps - 1)
    assert over.error["rule"] == "AE408"


values = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1),
                   st.floats(allow_nan=False, allow_infinity=False, width=32),
                   st.text(max_size=3), st.lists(st.integers(0, 3), max_size=2))
OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">="]


@settings(max_examples=150, deadline=None)
@given(values, values, st.sampled_from(OPS))
def test_operators_match_the_closures_on_any_values(a, b, op):
    body = f"fn f(x, y):\n    return x {op} y\nr: f(a, b)\ns: a {op} b\n"
    fast, ref = both(body, inputs={"a": a, "b": b})
    assert (fast.status, fast.error, fast.outputs) == (ref.status, ref.error, ref.outputs)
