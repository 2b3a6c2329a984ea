"""The sandbox holds: no Python object reachable, budgets end runaway programs with coded
errors, and random valid programs with random inputs end in a result or a coded error."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether.codes import RULES
from aether.runtime.api import RunOptions, run_source
from aether.runtime.context import VirtualClock
from runtime_support import StubDispatcher, run
from test_parser_properties import programs

ESCAPES = [
    ("x: 1\ny: x.__class__\n", "AE401"),
    ("y: \"\".__class__\n", "AE401"),
    ("y: {}.keys.__globals__\n", "AE403"),
    ("m: {a: 1}\ny: m.__dict__\n", "AE403"),
    ("x: 1\ny: format(\"{0.__class__}\", x)\n", "AE405"),
    ("x: 1\ny: \"{0.__class__.__mro__}\".format(x)\n", "AE405"),
    ("x: \"a\"\ny: \"{0!r:>99999999}\".format(x)\n", "AE405"),
    ("y: \"x\" * 100_000_000_000\n", "AE407"),
    ("y: [0] * 100_000_000_000\n", "AE407"),
    ("y: range(100_000_000_000)\n", "AE407"),
    ("y: replace(\"aaaa\", \"a\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\")\n"
     "while true:\n    y: replace(y, \"a\", \"aaaaaaaaaa\")\n", "AE407"),
    ("fn f(n):\n    return f(n + 1)\nx: f(0)\n", "AE406"),
    ("fn f(n):\n    return [f(n + 1)]\nx: f(0)\n", "AE406"),
    ("xs: [1]\nwhile true:\n    xs: xs + xs\n", "AE407"),
    ("n: 1\nwhile true:\n    n: n * 2\n", "AE407"),
    ("n: 1.5\nwhile true:\n    n: n * n\n", "AE407"),
    ("s: \"ab\"\nwhile true:\n    s: s + s\n", "AE407"),
    ("x: []\nwhile true:\n    x: [x, x]\ny: str(x)\n", "AE408"),
    ("x: []\nfor i in range(200):\n    x: [x]\ny: str(x)\n", "AE407"),
    ("x: []\nfor i in range(60):\n    x: [x, x]\ny: x == [x, x]\nz: str(x)\n", "AE407"),
    ("y: pow(2, 10_000)\n", "AE407"),
    # case mappings that lengthen text: 3x for U+0390, 2x for 'ß' and U+0130
    ("y: upper(\"\u0390\" * 400_000)\n", "AE407"),
    ("s: \"\u00df\" * 600_000\ny: s.upper()\n", "AE407"),
    ("y: lower(\"\u0130\" * 600_000)\n", "AE407"),
    ("y: typeof(print)\nz: print.__code__\n", "AE401"),
]


@pytest.mark.parametrize("body,rule", ESCAPES, ids=[e[0][:30] for e in ESCAPES])
def test_escape_attempts_end_in_coded_errors(body, rule):
    result = run(body, max_steps=200_000, max_value_size=1_000_000)
    assert result.error is not None, result.outputs
    assert result.error["rule"] == rule, result.error


def test_outputs_are_plain_json():
    import json

    result = run("fn f():\n    return 1\ng: f\nh: upper\ne: 1\ntry:\n    x: 1 / 0\ncatch err:\n"
                 "    caught: err\n")
    assert result.status == 0
    json.dumps(result.outputs)  # nothing but JSON data
    assert "g" not in result.outputs and "h" not in result.outputs
    assert result.outputs["caught"]["kind"] == "RuntimeError"


def test_endless_loop_hits_the_step_budget():
    result = run("while true:\n    x: 1\n", max_steps=10_000)
    assert result.status == 23 and result.error["rule"] == "AE408"
    assert 10_000 <= result.steps <= 10_003


def test_endless_loop_hits_the_wall_timeout_on_an_injected_clock():
    clock = VirtualClock(tick=0.01)  # every look at the clock moves it 10 ms
    result = run("while true:\n    x: 1\n", clock=clock, timeout=5.0, max_steps=10**9)
    assert result.status == 23 and result.error["rule"] == "AE409"
    assert result.steps < 10**9


def test_wall_timeout_ends_a_loop_of_few_slow_steps():
    """Each step here builds a two-million item list (tens of milliseconds): the clock
    must be looked at while the steps are few, not only every CLOCK_EVERY steps (512
    of them here took minutes past a one-second limit)."""
    from aether.runtime.context import CLOCK_EVERY

    result = run("while true:\n    x: range(2000000)\n", timeout=0.5, max_steps=10**9,
                 max_memory=None)
    assert result.status == 23 and result.error["rule"] == "AE409", result.error
    assert result.steps < CLOCK_EVERY, result.steps


def test_wall_timeout_holds_in_a_deterministic_run():
    """A deterministic run gives the program a virtual clock (now() is fixed), but its
    time limit is wall time: it ran to the step budget, minutes past --timeout."""
    result = run("policy:\n    deterministic: true\nwhile true:\n    x: range(100)\n",
                 timeout=0.5, max_steps=5_000_000)
    assert result.status == 23 and result.error["rule"] == "AE409", result.error


def test_steps_and_timeout_cannot_be_caught():
    result = run("while true:\n    try:\n        x: 1\n    catch:\n        x: 2\n",
                 max_steps=2_000)
    assert result.error["rule"] == "AE408"


def test_transaction_rolls_back_through_compensations_in_reverse():
    from aether.semantics.catalogue import load_catalogue
    from aether.semantics.project import merge_catalogue

    # the catalogue's compensate keys (binding-only tables for two builtins) are what the
    # transaction reads
    toml = (b'[tools.notify]\ncompensate = "escalate_to"\n'
            b'[tools.publish]\ncompensate = "escalate_to"\n')
    cat = merge_catalogue(load_catalogue(), [("aether-tools.toml", toml)])
    assert cat.builtins["notify"].compensate == "escalate_to"

    def publish(call):
        raise ConnectionError("wiki down")
    d = StubDispatcher(answers={"notify": "n-1", "publish": publish})
    text = ('goal: "t"\ntransaction:\n    - store("draft", tag="t")\n'
            '    - notify("ops", content="c")\n    - log("between")\n'
            '    - publish("x", target="wiki")\n    - notify("never")\nafter: 1\n')
    result = run_source(text, "t.aether", dispatcher=d, catalogue=cat)
    assert result.error["rule"] == "AE410" and "publish" in result.error["message"]
    tools = [c.tool for c in d.calls]
    assert tools == ["store", "notify", "log", "publish", "escalate_to", "delete_memory"]
    undo_notify = d.calls[4]
    assert undo_notify.compensation_of == "notify" and undo_notify.original_result == "n-1"
    assert undo_notify.args == ("ops",) and undo_notify.kwargs == {"content": "c"}
    assert d.calls[5].args == ("mem-1",)
    assert d.memory.op_recall(tag="t") == ()  # the store was undone


def test_transaction_refuses_a_tool_without_compensation_before_starting():
    d = StubDispatcher()
    result = run('transaction:\n    - store("a", tag="t")\n    - publish("x")\n',
                 simulate=False, dispatcher=d)
    assert result.error["rule"] == "AE413" and result.error["line"] == 4
    assert d.calls == []  # nothing ran


def test_parallel_really_overlaps_two_slow_tools():
    d = StubDispatcher(sleeps={"think": 0.3, "suggest": 0.3})
    start = time.perf_counter()
    result = run('parallel:\n    a: think("a")\n    b: suggest("b")\nawait a, b\n',
                 simulate=False, dispatcher=d)
    elapsed = time.perf_counter() - start
    assert result.status == 0 and sorted(t for t, _, _ in d.tool_log) == ["suggest", "think"]
    assert elapsed < 0.55, elapsed  # sequential would be 0.6 s


def test_parallel_task_error_surfaces_at_await():
    d = StubDispatcher()
    result = run('require:\n    plugins: ["fixture"]\nparallel:\n    a: fixture.fail()\n'
                 'await a\n', simulate=False, dispatcher=d)
    assert result.error["rule"] == "AE410"


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70)
                       | st.floats(allow_nan=True) | st.text(max_size=8),
                       lambda c: st.lists(c, max_size=3)
                       | st.dictionaries(st.text(max_size=4), c, max_size=3), max_leaves=10)


@SETTINGS
@given(programs(), st.dictionaries(st.text(max_size=5), JSONISH, max_size=3))
def test_random_valid_programs_end_in_a_result_or_a_coded_error(src, inputs):
    result = run_source(src, "p.aether", inputs=inputs, simulate=True,
                        options=RunOptions(max_steps=20_000, timeout=20.0))
    assert result.status != 27, result.error
    if result.status:
        assert result.findings or result.error["rule"] in RULES, result
    else:
        import json

        json.dumps(result.outputs)


EXPRS = st.recursive(
    st.sampled_from(["1", "0", "-1", "2.5", '"a"', '""', "null", "true", "[]", "{}",
                     "[1, 2]", '{k: 1}', "x", "9223372036854775807"]),
    lambda c: st.one_of(
        st.tuples(c, st.sampled_from(["+", "-", "*", "/", "%", "==", "<", "in", "and", "or"]),
                  c).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        c.map(lambda e: f"-({e})"), c.map(lambda e: f"(not {e})"),
        st.tuples(c, c).map(lambda t: f"({t[0]})[{t[1]}]"),
        st.tuples(st.sampled_from(["len", "str", "int", "float", "sorted", "keys", "first",
                                   "upper", "sum", "reverse", "abs", "stringify", "unique",
                                   "bool", "typeof", "round", "split", "max"]), c)
        .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(c, st.sampled_from(["upper", "keys", "length", "to_string", "first",
                                      "pop", "sum", "strip", "copy"]))
        .map(lambda t: f"({t[0]}).{t[1]}()"),
    ), max_leaves=12)


@SETTINGS
@given(EXPRS, JSONISH)
def test_random_expressions_on_random_inputs_never_raise(expr, value):
    src = f'goal: "e"\nx: parse_input().get("v")\ny: {expr}\n'
    result = run_source(src, "e.aether", inputs={"v": value}, simulate=True,
                        options=RunOptions(max_steps=10_000))
    assert result.status in (0, 21, 23, 25), result.error
    if result.status in (21, 23):
        assert result.error["rule"] in RULES


def test_recursion_limit_is_restored_after_a_run():
    """The runtime raises the host's recursion limit only while a run is going on: an
    in-process caller (the classifier) gets its own limit back, also after an error."""
    import sys

    before = sys.getrecursionlimit()
    deep = run("fn f(n):\n    if n == 0:\n        return 0\n    return f(n - 1)\nr: f(150)\n")
    assert deep.status == 0
    assert sys.getrecursionlimit() == before
    failing = run("fn f(n):\n    return f(n + 1)\nr: f(0)\n")
    assert failing.error["rule"] == "AE406"
    assert sys.getrecursionlimit() == before


def test_recursion_limit_raised_while_running():
    import sys

    from aether.runtime.api import _RECURSION_LIMIT, deep_recursion

    before = sys.getrecursionlimit()
    with deep_recursion():
        with deep_recursion():
            assert sys.getrecursionlimit() >= _RECURSION_LIMIT
        assert sys.getrecursionlimit() >= _RECURSION_LIMIT  # another run still going
    assert sys.getrecursionlimit() == before


def test_text_of_a_value_stops_at_the_character_budget():
    # 1,000 references to one string: cheap to hold, 10 GB as text at full size
    from aether.runtime.errors import AetherRuntimeError
    from aether.runtime.values import _Budget, repr_value, to_json

    shared = ("a" * 1000,) * 1000
    with pytest.raises(AetherRuntimeError, match="too large to turn into text"):
        repr_value(shared, _Budget(chars=100_000))
    with pytest.raises(AetherRuntimeError, match="too large to turn into text"):
        to_json({"k": shared}, _Budget(chars=100_000))
    assert len(repr_value(shared, _Budget(chars=2_000_000))) > 1_000_000


def test_everything_printed_in_a_run_is_bounded():
    # the printed text is kept until the run ends: a loop printing large strings filled
    # memory (MemoryError, exit 27, or the kernel's OOM killer)
    result = run('s: "a" * 999_999\ni: 0\nwhile true:\n    i += 1\n    print(s + str(i))\n')
    assert result.error is not None and result.error["rule"] == "AE407", result.error
    assert "print()" in result.error["message"]
    assert sum(len(p) for p in result.printed) <= 100_000_000


def test_a_tool_call_with_a_value_too_deep_to_show_is_no_internal_error():
    import json

    result = run("x: []\nfor i in range(300):\n    x: [x]\nlog(x)\n", simulate=False)
    assert result.status in (0, 21), result.error  # was 27: the call's record failed
    json.dumps(result.tool_calls)


def test_a_deep_recursion_prints_its_repeated_frames_once():
    from aether.cli.run import _collapsed

    stack = [{"fn": "f", "line": 4}] + [{"fn": "f", "line": 3}] * 199 + [{"fn": "g", "line": 9}]
    assert _collapsed(stack) == [["in fn f called at line 4", 1],
                                 ["in fn f called at line 3", 199],
                                 ["in fn g called at line 9", 1]]


@pytest.mark.parametrize("body", [
    # distinct large values kept alive, each within the value-size limit, through
    # append, update targets, join, list concatenation and a builtin that copies (reverse)
    'l: []\nfor i in range(300):\n    l: append(l, "x" * 1000000 + str(i))\n',
    'm: {}\nfor i in range(300):\n    m[str(i)]: "y" * 1000000 + str(i)\n',
    'l: []\nfor i in range(300):\n    l: append(l, join(["x" * 1000000, str(i)], ""))\n',
    'l: []\nfor i in range(300):\n    l: l + [str(i) * 1000000]\n',
    'l: []\nr: range(1000000)\nfor i in range(300):\n    l: append(l, reverse(r))\n',
    # range() builds each list afresh (36 MB of ints a piece): 20 of them in a statement
    # or two, far fewer steps than the periodic check's interval
    "l: [" + ", ".join(["range(1000000)"] * 20) + "]\n",
])
def test_memory_budget_ends_a_run_that_keeps_many_large_values(body):
    """The value-size limit bounds one value, not their sum: the run's memory budget
    (RunOptions.max_memory) ends it with AE407 long before the machine's memory."""
    result = run(body, max_memory=100 * 1024 ** 2, max_steps=10 ** 9)
    assert result.status == 21 and result.error["rule"] == "AE407", result.error
    assert "memory" in result.error["message"]


@pytest.mark.parametrize("body", [
    'x: "a" * 100000\nxs: [x] * 1000\ny: join(xs, "")\n',
    "xs: [123456789] * 2000000\ny: str(xs)\n",
    "xs: [123456789] * 2000000\ny: stringify(xs)\n",
    "xs: [123456789] * 2000000\ny: join(xs, \",\")\n",
])
def test_text_conversions_stop_at_the_value_size_limit_while_building(body):
    """join, str and stringify refuse a text past the value-size limit before building it
    (they built all of it first: 1,000 copies of a large string is gigabytes)."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = run(body, max_value_size=1_000_000, max_steps=10 ** 9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error is not None and result.error["rule"] == "AE407", result.error
    assert peak < 40 * 1024 ** 2, peak  # the list itself is 16 MB


def test_interrupt_stops_the_program_and_records_the_run(tmp_path):
    """Ctrl-C (KeyboardInterrupt in the calling thread) while a run with a state store
    goes on: the program stops at its next block (it went on writing while the process
    ended), the interrupt reaches the caller, and the run's row says failed with 130
    instead of "running" forever (an ungoverned run has no checkpoint to resume from)."""
    import _thread
    import threading

    from aether.store.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path / "state.db"))
    body = 'goal: "loop"\nn: 0\nwhile true:\n    remember("k", n)\n    n += 1\n'
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        run_source(body, "loop.aether", store=store, root=str(tmp_path),
                   options=RunOptions(timeout=60, max_steps=10 ** 9))
    db = tmp_path / "state.db"
    import sqlite3

    def rows():
        with sqlite3.connect(str(db)) as c:
            return c.execute("SELECT COUNT(*) FROM memory").fetchone()[0]
    before = rows()
    time.sleep(0.5)
    assert rows() == before  # nothing written after the interrupt reached the caller
    with sqlite3.connect(str(db)) as c:
        assert c.execute("SELECT status, exit_status FROM runs").fetchall() == [("failed", 130)]
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("only_in_program", [False, True], ids=["no-thread", "parallel"])
def test_no_thread_to_run_in_is_a_coded_run_error(monkeypatch, only_in_program):
    # Under `ulimit -v 200000` a thread with the program's 256 MiB stack cannot start:
    # that ended as status 27 "internal error: RuntimeError: can't start new thread (this
    # is a bug)"; a run out of resources is a run error (AE407) with the reason
    import threading

    start = threading.Thread.start

    def failing_start(self):
        if only_in_program and threading.current_thread() is threading.main_thread():
            return start(self)
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", failing_start)
    body = "parallel:\n    a: len([1])\nawait a\n" if only_in_program else "x: 1\n"
    result = run(body)
    assert result.status == 21, result.error
    assert result.error["rule"] == "AE407"
    assert "cannot start a thread" in result.error["message"]
    assert "ulimit" in result.error["message"]
