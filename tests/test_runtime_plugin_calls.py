"""A dotted call on a required plugin calls the plugin, in `check` and `run` alike.

`check` treats `p.fn(...)` as a call of plugin `p`'s member whenever `p` is listed in
`require: plugins:`, whatever value a binding, parameter or local named `p` holds (the
same precedence as a call by name: callables before values; docs/language.md, name
resolution). The run must call the same thing, in the generated code and in the
closure-only reference. When `p` is not a required plugin, `p.fn(...)` is a method call
on the value bound to `p`.
"""

from __future__ import annotations

import pytest

from aether.checker import check_text
from tests.runtime_support import GOAL
from tests.test_runtime_codegen import same

REQUIRE = 'require:\n    plugins: ["p"]\n'

# (program, the tool calls the run makes, the outputs it gives): each checks clean
PLUGIN_CALLS = [
    # required and unbound
    (REQUIRE + 'x: p.upper("a")\n', [("p.upper", ["a"])], {"x": None}),
    # required and bound by a binding: the plugin is called, reading `p` gives the value
    (REQUIRE + 'p: "abc"\nx: p.upper()\ny: p\n', [("p.upper", [])],
     {"p": "abc", "x": None, "y": "abc"}),
    (REQUIRE + 'p: {"upper": 1}\nx: p.upper(2)\ny: p.upper\n', [("p.upper", [2])],
     {"x": None, "y": 1}),
    # required and bound as a fn parameter, as a fn's local, as a loop variable
    (REQUIRE + 'fn f(p):\n    return p.upper()\nx: f("abc")\n', [("p.upper", [])],
     {"x": None}),
    (REQUIRE + 'fn f():\n    p: "abc"\n    return p.upper()\nx: f()\n',
     [("p.upper", [])], {"x": None}),
    (REQUIRE + 'for p in ["a", "b"]:\n    p.send(p)\n',
     [("p.send", ["a"]), ("p.send", ["b"])], {"p": "b"}),
    # bound but not required: a method on the bound value
    ('p: "abc"\nx: p.upper()\n', [], {"p": "abc", "x": "ABC"}),
    ('fn f(p):\n    return p.upper()\nx: f("abc")\n', [], {"x": "ABC"}),
]


@pytest.mark.parametrize("body,calls,expected", PLUGIN_CALLS)
def test_a_dotted_call_runs_as_checked(body, calls, expected):
    assert check_text(GOAL + body, "t.aether").findings == []
    result = same(body)  # generated code and closures agree
    assert result.status == 0, result.error
    assert [(c["tool"], c["args"]) for c in result.tool_calls] == calls, body
    for name, value in expected.items():
        assert result.outputs[name] == value, (body, name)


@pytest.mark.parametrize("body,message", [
    # bound but not required, and no such method on the value
    ('p: "abc"\nx: p.send()\n', "unknown method 'send' on 'p'"),
    # neither bound nor required
    ("x: p.send()\n", "unknown function 'p.send'"),
])
def test_a_dotted_call_on_no_plugin_is_refused_by_check_before_a_run(body, message):
    findings = check_text(GOAL + body, "t.aether").findings
    assert [(f.rule, f.message) for f in findings] == [("AE301", message)]
    result = same(body)
    assert result.status == 25 and result.tool_calls == [], body
