"""Every statement form and expression of Aether 1.2, executed, with its expected result."""

from __future__ import annotations

import pytest

from aether.runtime.api import run_source
from aether.runtime.context import VirtualClock
from runtime_support import StubDispatcher, outputs, run

CASES = [
    # bindings, rebinding, typed bindings, += / -=
    ("x: 1\nx: x + 1\n", {"x": 2}),
    ("flags: List[Str] = [\"a\"]\n", {"flags": ["a"]}),
    ("n: 5\nn += 2\nn -= 10\n", {"n": -3}),
    ("s: \"a\"\ns += \"b\"\n", {"s": "ab"}),
    # literals
    ("d: 250ms\nh: 1h\n", {"d": 0.25, "h": 3600.0}),
    ("m: {warn: 0.3, \"crit\": 0.9, 1: \"one\"}\n",
     {"m": {"warn": 0.3, "crit": 0.9, "1": "one"}}),
    ("n: null\nb: true\nf: 2.5\nbig: 20_000\n", {"n": None, "b": True, "f": 2.5, "big": 20000}),
    # arithmetic with Aether semantics
    ("a: 7 / 2\nb: 7 % 3\nc: -7 % 3\nd: 2 * 3 + 10 % 4\n", {"a": 3.5, "b": 1, "c": 2, "d": 8}),
    ("l: [1] + [2]\ns: \"ab\" * 2\n", {"l": [1, 2], "s": "abab"}),
    # comparisons, in, and/or/not
    ("a: 1 == 1.0\nb: true == 1\nc: [1, [2]] == [1, [2]]\nd: \"b\" > \"a\"\n",
     {"a": True, "b": False, "c": True, "d": True}),
    ("a: 2 in [1, 2]\nb: \"ell\" in \"hello\"\nc: \"k\" in {k: 1}\nd: 1 in null\n",
     {"a": True, "b": True, "c": True, "d": False}),
    ("a: 0 or \"x\"\nb: 1 and 0\nc: not []\n", {"a": "x", "b": 0, "c": True}),
    # if / elif / else
    ("s: 0.4\nif s > 0.8:\n    r: \"hi\"\nelif s > 0.3:\n    r: \"mid\"\nelse:\n    r: \"lo\"\n",
     {"r": "mid"}),
    # for over lists, maps, strings, null; the target stays bound
    ("t: 0\nfor i in [1, 2, 3]:\n    t += i\n", {"t": 6, "i": 3}),
    ("ks: []\nfor k in {a: 1, b: 2}:\n    ks: append(ks, k)\n", {"ks": ["a", "b"]}),
    ("cs: \"\"\nfor c in \"abc\":\n    cs: c + cs\n", {"cs": "cba"}),
    ("n: 0\nfor x in null:\n    n += 1\n", {"n": 0}),
    # while, break, continue
    ("n: 0\nodd: []\nwhile n < 10:\n    n += 1\n    if n % 2 == 0:\n        continue\n"
     "    if n > 7:\n        break\n    odd: append(odd, n)\n", {"odd": [1, 3, 5, 7], "n": 9}),
    # fn, return, defaults, keywords, recursion
    ("fn clamp(v, low=0, high=1):\n    if v < low:\n        return low\n    if v > high:\n"
     "        return high\n    return v\na: clamp(1.5)\nb: clamp(-2, low=-1)\n"
     "c: map([0.2, 1.7], clamp)\n", {"a": 1, "b": -1, "c": [0.2, 1]}),
    ("fn fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)\nf: fact(10)\n",
     {"f": 3628800}),
    ("fn nothing():\n    return\nv: nothing()\n", {"v": None}),
    ("fn later():\n    return early()\nfn early():\n    return 1\nv: later()\n", {"v": 1}),
    ("limit: 3\nfn over(x):\n    return x > limit\nv: filter([1, 5, 2, 9], over)\n",
     {"v": [5, 9]}),
    # try / catch binds an error value
    ("try:\n    x: 1 / 0\ncatch err:\n    k: err.kind\n    r: err.rule\n",
     {"k": "RuntimeError", "r": "AE402"}),
    ("try:\n    x: 1\ncatch:\n    x: 2\n", {"x": 1}),
    # member access, indexing, methods
    ("m: {a: {b: [10, 20]}}\nv: m.a.b[1]\nw: m[\"a\"][\"b\"][-1]\n", {"v": 20, "w": 20}),
    ("t: \" Hello \"\nu: t.strip().upper()\nparts: \"a,b\".split(\",\")\n"
     "j: [\"x\", \"y\"].join(\"-\")\nk: {a: 1}.keys()\ng: {a: 1}.get(\"z\", 0)\n",
     {"u": "HELLO", "parts": ["a", "b"], "j": "x-y", "k": ["a"], "g": 0}),
    # value semantics: a method on a variable rebinds it; an alias never changes
    ("xs: [1]\nys: xs\nxs.append(2)\n", {"xs": [1, 2], "ys": [1]}),
    ("xs: [1, 2, 3]\nlast: xs.pop()\n", {"xs": [1, 2], "last": 3}),
    ("m: {a: {b: [1]}}\nalias: m\nm.a.b.push(2)\n", {"m": {"a": {"b": [1, 2]}},
                                                     "alias": {"a": {"b": [1]}}}),
    ("m: {a: 1}\nn: put(m, \"b\", 2)\no: merge(m, {a: 5})\n",
     {"m": {"a": 1}, "n": {"a": 1, "b": 2}, "o": {"a": 5}}),
    # format with positions and names
    ("s: format(\"{0}-{name}-{{x}}\", 1, name=\"n\")\nt: \"{} {}\".format(1, 2)\n",
     {"s": "1-n-{x}", "t": "1 2"}),
    # parallel / await
    ("parallel:\n    a: len([1, 2])\n    b: upper(\"x\")\nawait a, b\n", {"a": 2, "b": "X"}),
    # memory: what is remembered can be recalled (simulate's memory store)
    ("memory: remember(\"deploy done\", tag=\"notes\")\nr: recall(tag=\"notes\")\n",
     {"r": ["deploy done"]}),
    # workflow steps: bare-name step, as NAME, retry, timeout
    ("workflow:\n    output: \"report\"\n    steps:\n        - parse_input as parsed\n"
     "        - str(parsed) as report retry=2 timeout=30s\n", {"report": "{}"}),
    # config sections are data, not bindings
    ("meta:\n    owner = \"ops\"\n    tags:\n        - \"a\"\nx: 1\n", {"x": 1}),
    # builtins by the catalogue
    ("a: sorted([3, 1, 2])\nb: sorted([{n: 2}, {n: 1}], key=\"n\")\nc: unique([1, 1.0, 2, \"1\"])\n"
     "d: range(3)\ne: round(2.567, 2)\nf: int(\"42\")\ng: typeof([])\nh: percent(1, 4)\n",
     {"a": [1, 2, 3], "b": [{"n": 1}, {"n": 2}], "c": [1, 2, "1"], "d": [0, 1, 2],
      "e": 2.57, "f": 42, "g": "list", "h": 25.0}),
]


@pytest.mark.parametrize("body,want", CASES, ids=[c[0].split("\n")[0][:40] for c in CASES])
def test_statement_forms(body, want):
    got = outputs(body)
    for key, value in want.items():
        assert got.get(key) == value, (key, got)
        assert type(got.get(key)) is type(value), (key, got)


def test_goal_is_the_intent_of_tool_calls():
    d = StubDispatcher()
    result = run('think("a")\ngoal: "first"\nthink("b")\ngoal: "second"\nthink("c")\n',
                 simulate=False, dispatcher=d, goal=False)
    assert result.status == 0
    # the file's first goal is in force from the start; a later goal replaces it
    assert [c.intent for c in d.calls] == ["first", "first", "second"]


def test_tool_call_records_step_line_and_run_id():
    d = StubDispatcher(answers={"generate_report": "R"})
    result = run("workflow:\n    steps:\n        - generate_report(\"x\") as report "
                 "requires=[\"storage.write\"]\n", simulate=False, dispatcher=d)
    assert result.status == 0 and result.outputs["report"] == "R"
    call = d.calls[0]
    assert (call.tool, call.args, call.step, call.line) == ("generate_report", ("x",),
                                                           "report", 4)
    assert call.step_requires == ("storage.write",)
    assert call.run_id == result.run_id and call.effect == "tool"
    assert call.capabilities == ("model.invoke",)


def test_retry_reruns_a_failing_step():
    attempts = []

    def flaky(call):
        attempts.append(1)
        if len(attempts) < 3:
            raise TimeoutError("slow")
        return "ok"
    d = StubDispatcher(answers={"think": flaky})
    result = run("workflow:\n    steps:\n        - think(\"x\") as t retry=2\n",
                 simulate=False, dispatcher=d)
    assert result.status == 0 and result.outputs["t"] == "ok" and len(attempts) == 3
    attempts.clear()
    d = StubDispatcher(answers={"think": flaky})
    result = run("workflow:\n    steps:\n        - think(\"x\") as t retry=1\n",
                 simulate=False, dispatcher=d)
    assert result.error["rule"] == "AE410" and len(attempts) == 2


def test_step_timeout_through_the_clock_hook():
    clock = VirtualClock()
    d = StubDispatcher(answers={"think": lambda call: clock.advance(5)})
    result = run("workflow:\n    steps:\n        - think(\"x\") timeout=2s\n",
                 simulate=False, dispatcher=d, clock=clock)
    assert result.error["rule"] == "AE409" and result.status == 23


def test_on_error_runs_the_matching_handler():
    d = StubDispatcher()
    result = run("on_error:\n    - when: Timeout\n      do: escalate_to(\"a\")\n"
                 "    - when: Any\n      do: notify(\"b\")\nx: 1 / 0\n",
                 simulate=False, dispatcher=d)
    assert result.status == 21 and result.handled_by == "Any"
    assert [c.tool for c in d.calls] == ["notify"]


def test_on_error_runs_after_a_budget_error():
    d = StubDispatcher()
    result = run("on_error:\n    - when: BudgetExceeded\n      do: escalate_to(\"ops\")\n"
                 "while true:\n    x: 1\n", simulate=False, dispatcher=d, max_steps=500)
    assert result.status == 23 and result.handled_by == "BudgetExceeded"
    assert [c.tool for c in d.calls] == ["escalate_to"]


def test_outputs_are_the_declared_ones_when_bound():
    got = outputs("a: 1\nb: 2\nworkflow:\n    output: [\"b\"]\n    steps:\n"
                  "        - log(\"x\")\n")
    assert got == {"b": 2}


def test_inputs_reach_parse_input():
    assert outputs("x: parse_input()\n", inputs={"n": 3})["x"] == {"n": 3}
    assert outputs("x: parse_input(\"[1, 2]\")\n")["x"] == [1, 2]


def test_error_stack_names_fn_frames():
    result = run("fn inner(x):\n    return x / 0\nfn outer():\n    return inner(1)\n"
                 "v: outer()\n")
    assert result.error["rule"] == "AE402" and result.error["line"] == 3
    assert [f["fn"] for f in result.error["stack"]] == ["outer", "inner"]
    assert [f["line"] for f in result.error["stack"]] == [6, 5]


def test_check_failure_runs_nothing():
    d = StubDispatcher()
    result = run_source('goal: "x"\nthink("a")\nsummarise(1)\n', "t.aether",
                        dispatcher=d)
    assert result.status == 25 and [f.rule for f in result.findings] == ["AE301"]
    assert d.calls == []


def test_unbound_tool_names_the_tool_and_the_fix():
    result = run_source('goal: "x"\nthink("a")\n', "t.aether")
    assert result.error["rule"] == "AE411" and "think" in result.error["message"]
    assert "--simulate" in result.error["message"]


def test_deterministic_runs_repeat_exactly():
    body = ('policy:\n    deterministic: true\n    seed: 7\n'
            'a: random()\nb: uuid()\nc: now()\n')
    one, two = run(body), run(body)
    assert one.outputs == two.outputs and one.run_id == two.run_id
    assert one.outputs["c"].startswith("2023-11-14T22:13:20")


def test_print_goes_to_the_result_not_stdout(capsys):
    result = run('print("hi", 1)\nlog("not printed")\n')
    assert result.printed == ["hi 1"]
    assert capsys.readouterr().out == ""


def test_cli_run_json_and_exit_status(tmp_path, monkeypatch):
    import json

    # no configuration file: the project root is the working folder, where the state goes
    monkeypatch.chdir(tmp_path)

    from click.testing import CliRunner

    from aether.cli.main import cli

    f = tmp_path / "w.aether"
    f.write_text('goal: "x"\nv: parse_input()\nz: 1 / v.n\n', encoding="utf-8")
    r = CliRunner().invoke(cli, ["run", str(f), "--input", "n=0", "--json"])
    assert r.exit_code == 21 and json.loads(r.output)["error"]["rule"] == "AE402"
    r = CliRunner().invoke(cli, ["run", str(f), "--input", "n=4"])
    assert r.exit_code == 0 and "z: 0.25" in r.output
    r = CliRunner().invoke(cli, ["run", str(f), "--input", "n=4", "--max-steps", "1"])
    assert r.exit_code == 23
    r = CliRunner().invoke(cli, ["run", str(tmp_path / "missing.aether")])
    assert r.exit_code == 26
    assert (tmp_path / ".aether" / "state.db").is_file()


def test_nested_fn_is_a_lexical_closure():
    """A nested fn reads the enclosing fn's locals from the call it was made in, as they
    are when it runs (late binding); its own locals win; a global of the same name is not
    what it sees. Values of nested fns carry their enclosing call (map, returned)."""
    late = ('x: 100\nfn outer(x):\n    fn inner():\n        return x + 1\n    a: inner()\n'
            '    x: 10\n    b: inner()\n    return [a, b]\nr: outer(1)\n')
    assert outputs(late)["r"] == [2, 11]
    three = ('fn a(x):\n    fn b(y):\n        fn c(z):\n            return x + y + z\n'
             '        return c(3)\n    return b(2)\nr: a(1)\n')
    assert outputs(three)["r"] == 6
    rec = ('fn outer(limit):\n    fn count(n):\n        if n >= limit:\n            return n\n'
           '        return count(n + 1)\n    return count(0)\nr: outer(7)\n')
    assert outputs(rec)["r"] == 7
    sibling = ('fn outer(x):\n    fn one():\n        return x\n    fn two():\n'
               '        return one() + 1\n    return two()\nr: outer(5)\n')
    assert outputs(sibling)["r"] == 6
    own = 'fn outer(x):\n    fn inner(x):\n        return x * 2\n    return inner(4)\nr: outer(1)\n'
    assert outputs(own)["r"] == 8
    default = 'fn outer(x):\n    fn inner(y=x):\n        return y\n    return inner()\nr: outer(3)\n'
    assert outputs(default)["r"] == 3
    as_value = ('fn scale(xs, k):\n    fn one(v):\n        return v * k\n'
                '    return map(xs, one)\nr: scale([1, 2], 10)\n')
    assert outputs(as_value)["r"] == [10, 20]
    escaped = ('fn adder(n):\n    fn add(v):\n        return v + n\n    return add\n'
               'r: map([1, 2], adder(5))\ns: map([1], adder(7))\n')
    assert outputs(escaped) == {"r": [6, 7], "s": [8]}
    in_loop = ('fn outer(xs):\n    t: 0\n    for x in xs:\n        fn get():\n'
               '            return x\n        t += get()\n    return t\nr: outer([1, 2, 3])\n')
    assert outputs(in_loop)["r"] == 6
    same = ('fn outer(x):\n    fn inner():\n        return x\n    a: inner\n    b: inner\n'
            '    return [a == b, len(unique([a, b]))]\nr: outer(1)\n'
            'fn make(x):\n    fn got():\n        return x\n    return got\n'
            's: make(1) == make(1)\n')
    assert outputs(same) == {"r": [True, 1], "s": False}  # one call's closure, two calls'


def test_nested_fn_called_outside_its_enclosing_fn_is_a_coded_error():
    """Functions are hoisted, so the top level can name a nested fn; if it reads the
    enclosing fn's locals there is no call of that fn to read them from: AE415 at the read,
    with the fn frame, never the global of that name."""
    body = ('x: 100\nfn outer(x):\n    fn inner():\n        return x\n    return inner()\n'
            'r: inner()\n')
    result = run(body)
    assert result.status == 21 and result.error["rule"] == "AE415"
    assert result.error["line"] == 5 and "'outer'" in result.error["message"]
    assert result.error["stack"][0]["fn"] == "inner"
    # a nested fn that reads only its own locals and globals runs from anywhere
    ok = run('x: 100\nfn outer(y):\n    fn inner(z):\n        return x + z\n'
             '    return inner(y)\nr: outer(1)\ns: inner(2)\n')
    assert ok.status == 0 and ok.outputs["r"] == 101 and ok.outputs["s"] == 102
    # a nested fn whose own parameter has the enclosing local's name reads its own
    own = run('fn outer(x):\n    fn inner(x):\n        return x * 2\n'
              '    return inner(x + 1)\nr: outer(1)\n')
    assert own.status == 0 and own.outputs["r"] == 4


def test_an_error_raised_in_a_catch_block_does_not_chain_the_caught_one(monkeypatch):
    # A catch block that fails again (a retry by recursion) must not make each new error
    # carry every error caught before it as its Python __context__: raising walks that
    # chain, so a run of n such retries took time quadratic in n (100,000 steps of
    # `fn f(x): try: return f(x + 1) catch e: return f(x + 1)`: 26 s of CPU, and past the
    # step budget for hours), and kept every caught error alive.
    from aether.runtime import compiler
    from aether.runtime.values import ErrorValue

    caught = []
    of = ErrorValue.of.__func__

    def record(cls, err):
        caught.append(err)
        return of(cls, err)

    monkeypatch.setattr(compiler.ErrorValue, "of", classmethod(record))
    body = ("fn g(n):\n    if n == 0:\n        return 1 / 0\n    try:\n        x: 1 / 0\n"
            "    catch e:\n        return g(n - 1)\ng(100)\n")
    result = run(body)
    assert result.status == 21 and result.error["rule"] == "AE402"
    assert len(caught) == 100

    def chain(err):
        n = 0
        while err is not None:
            n, err = n + 1, err.__context__
        return n

    assert max(chain(e) for e in caught) <= 2
