"""A call by the name of a builtin or a ``fn`` calls it, in `check` and `run` alike.

`check` resolves `name(...)` among callables only (docs/language.md, name resolution):
a builtin's or a declared fn's name is that builtin or fn, whatever value a binding,
parameter or enclosing local of the same name holds. The run must call the same thing,
in the generated code and in the closure-only reference. A call by any other name calls
the value it is bound to.
"""

from __future__ import annotations

import pytest

from aether.checker import check_text
from aether.migrate.engine import migrate_text
from tests.runtime_support import GOAL
from tests.test_runtime_codegen import same

# (program, the outputs the run gives): each checks clean
SHADOWED = [
    # a top-level binding named like a tool builtin, then the call (what the migrator
    # makes of a legacy `suggest: "..."` line followed by a `suggest "..."` command)
    ('suggest: "some text"\nr: suggest("optimal architecture")\n',
     {"suggest": "some text", "r": None}),
    # a top-level binding named like a pure builtin (the generated fast path too)
    ('len: 5\nx: len("abc") + len\n', {"len": 5, "x": 8}),
    ('str: "s"\nx: str(12) + str\n', {"str": "s", "x": "12s"}),
    # a parameter and a local named like builtins
    ('fn f(len):\n    return len("ab") + len\nx: f(10)\n', {"x": 12}),
    ('fn f():\n    append: [9]\n    return append(append, 1)\nx: f()\n', {"x": [9, 1]}),
    # a parameter, a local and a global named like a declared fn
    ("fn g():\n    return 1\nfn h(g):\n    return g() + g\ny: h(5)\n", {"y": 6}),
    ("fn g(a=2):\n    return a\nfn h():\n    g: 40\n    return g() + g\ny: h()\n", {"y": 42}),
    ("fn g(a):\n    return a * 2\ng: 1\ny: g(21)\n", {"g": 1, "y": 42}),
    # a nested fn called by its name while its enclosing fn binds that name as well
    ("fn o(x):\n    fn i():\n        return x\n    i: 3\n    return i() + i\nr: o(7)\n",
     {"r": 10}),
    # an enclosing fn's parameter named like a builtin, read and called in a nested fn
    ("fn o(len):\n    fn i():\n        return len([1, 2]) + len\n    return i()\n"
     "r: o(40)\n", {"r": 42}),
]


@pytest.mark.parametrize("body,expected", SHADOWED)
def test_a_builtin_or_fn_name_bound_as_a_value_is_called_as_checked(body, expected):
    assert check_text(GOAL + body, "t.aether").findings == []
    result = same(body)  # generated code and closures agree
    assert result.status == 0, result.error
    for name, value in expected.items():
        got = result.outputs[name]
        assert (list(got) if isinstance(got, tuple) else got) == value, (body, name)


def test_the_tool_builtin_is_called_not_the_string():
    result = same('suggest: "some text"\nsuggest("optimal architecture")\n')
    assert result.status == 0, result.error
    assert [(c["tool"], c["args"]) for c in result.tool_calls] == \
        [("suggest", ["optimal architecture"])]


def test_a_migrated_file_that_checks_clean_runs():
    # M011 turns the legacy command into a call next to the legacy value line
    legacy = GOAL + 'suggest: "some text"\nsuggest "optimal architecture"\n'
    out = migrate_text(legacy, "t.aether")
    assert out.text is not None and 'suggest("optimal architecture")' in out.text
    assert check_text(out.text, "t.aether").findings == []
    assert same(out.text[len(GOAL):]).status == 0


def test_a_call_by_any_other_name_is_refused_by_check_before_a_run():
    # a nested fn held in a local, a fn passed as a parameter, a plain value: `check`
    # reports the call (AE301), so a run never calls a value by name
    for body in ("fn o():\n    fn i(n):\n        return n + 1\n    k: i\n    return k(1)\n",
                 "fn ap(f, v):\n    return f(v)\n", "x: 3\ny: x()\n"):
        assert [f.rule for f in check_text(GOAL + body, "t.aether").findings] == ["AE301"]
        assert same(body).status == 25, body
