"""`aether run` binds the catalogue's declared ``[inputs]``, as `check` assumes it does.

Each declared input the workflow reads (before binding it itself) is bound at the top
level before the first statement to the value of ``--input`` / ``--inputs``; a missing
value or one of the wrong type refuses the run (AE008, status 26) before anything runs;
an undeclared name stays available through ``parse_input()`` only. One place binds them
(aether.runtime.inputs): the CLI, governed runs and classify's simulate runs alike, and
both compiler paths (generated code and the closure-only reference) see the same values.
"""

from __future__ import annotations

import functools
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aether.runtime.api as api
from aether.checker import CheckOptions, check_text
from aether.cli.main import main
from aether.runtime.compiler import Compiler
from aether.runtime.inputs import conforms, parse_type
from aether.semantics.catalogue import load_catalogue

G = 'goal: "show x"\n'


def cat(**inputs):
    return load_catalogue().replace(inputs=inputs)


def both(body, catalogue, inputs):
    """(generated, reference) results of one program run with ``inputs``."""
    def one():
        return api.run_source(G + body, "t.aether", inputs=inputs, simulate=True,
                              catalogue=catalogue)
    fast = one()
    saved = api.Compiler
    api.Compiler = functools.partial(Compiler, inline=False)
    try:
        ref = one()
    finally:
        api.Compiler = saved
    assert (fast.status, fast.error, fast.outputs, fast.steps, fast.printed,
            [f.rule for f in fast.findings]) == \
        (ref.status, ref.error, ref.outputs, ref.steps, ref.printed,
         [f.rule for f in ref.findings]), body
    return fast


# (program, printed): each reads the declared input x (int) and checks clean
READERS = [
    ("print(x)\n", ["5"]),
    ("log(x)\nprint(x + 1)\n", ["6"]),
    ("fn f():\n    return x * 2\nprint(f())\n", ["10"]),
    ("t: 0\nfor i in range(3):\n    t += x\nprint(t)\n", ["15"]),
    ("x: x + 1\nprint(x)\n", ["6"]),  # read, then rebound: the program's value wins after
    ("if x > 3:\n    print(\"big\")\n", ["big"]),
]


@pytest.mark.parametrize("body,printed", READERS)
def test_a_declared_input_is_bound_before_the_first_statement_in_both_paths(body, printed):
    c = cat(x="int")
    assert check_text(G + body, "t.aether", CheckOptions(catalogue=c)).findings == []
    result = both(body, c, {"x": 5})
    assert result.status == 0, (result.error, result.findings)
    assert result.printed == printed


@pytest.mark.parametrize("body,_", READERS)
def test_a_declared_input_not_given_refuses_the_run_in_both_paths(body, _):
    result = both(body, cat(x="int"), {})
    assert result.status == 26 and [f.rule for f in result.findings] == ["AE008"]
    assert "'x'" in result.findings[0].message and result.steps == 0 and not result.printed


def test_the_log_shows_the_value_and_the_input_is_no_output_unless_rebound():
    c = cat(x="int")
    r = both("log(x)\ny: 1\n", c, {"x": 5})
    assert [(t["tool"], t["args"]) for t in r.tool_calls] == [("log", [5])]
    assert r.outputs == {"y": 1}
    assert both("x: x * 3\n", c, {"x": 5}).outputs == {"x": 15}


def test_an_input_the_workflow_binds_before_reading_is_not_required():
    # check accepts it with or without the catalogue; the run needs no value, and a value
    # given is replaced by the program's own binding when it runs
    c = cat(x="int")
    body = "x: 1\nprint(x)\n"
    assert check_text(G + body, "t.aether", CheckOptions(catalogue=c)).findings == []
    assert both(body, c, {}).printed == ["1"]
    assert both(body, c, {"x": 5}).printed == ["1"]
    assert both(body, c, {"x": "not an int"}).status == 0  # not read: not checked


def test_an_undeclared_input_stays_in_parse_input_only():
    c = cat(x="int")
    r = both("print(x)\nprint(parse_input())\n", c, {"x": 5, "y": 2})
    assert r.status == 0 and r.printed == ["5", '{"x": 5, "y": 2}']
    # y is not a name: check refuses it, so a run never reads it
    assert [f.rule for f in check_text(G + "print(y)\n", "t.aether",
                                       CheckOptions(catalogue=c)).findings] == ["AE302"]


@pytest.mark.parametrize("kind,value", [
    ("int", "5"), ("int", 5.5), ("int", True), ("float", "1.5"), ("str", 3),
    ("bool", 1), ("list[int]", (1, "a")), ("list", {"a": 1}), ("map[int]", {"a": "b"}),
    ("map[str, int]", {"a": None}), ("null", 0), ("list[list[str]]", ((1,),)),
])
def test_a_value_of_the_wrong_type_refuses_the_run(kind, value):
    r = both("print(x)\n", cat(x=kind), {"x": value})
    assert r.status == 26 and [f.rule for f in r.findings] == ["AE008"], (kind, value)
    assert f"declared as {kind}" in r.findings[0].message


@pytest.mark.parametrize("kind,value", [
    ("int", 5), ("float", 5), ("float", 1.5), ("number", 2), ("str", "a"),
    ("string", ""), ("bool", False), ("list[int]", (1, 2)), ("list", ("a", 1)),
    ("map[int]", {"a": 1}), ("map[str, list[str]]", {"a": ("b",)}), ("null", None),
    ("any", {"a": (1,)}), ("Path", 3), ("list[Path]", ("x",)),
])
def test_a_value_of_the_declared_type_runs(kind, value):
    r = both("log(x)\n", cat(x=kind), {"x": value})
    assert r.status == 0, (kind, value, r.findings)


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-9, 9) | st.text(max_size=3),
                    lambda kids: st.lists(kids, max_size=3).map(tuple)
                    | st.dictionaries(st.text(max_size=2), kids, max_size=3),
                    max_leaves=10))
def test_any_accepts_every_value_and_exactly_one_scalar_type_fits(value):
    assert conforms(value, parse_type("any"))
    fits = [k for k in ("str", "bool", "list", "map", "null") if conforms(value, parse_type(k))]
    assert len(fits) == 1 or (isinstance(value, int) and not isinstance(value, bool)
                              and fits == [])


def test_a_deeply_nested_declared_type_is_read_without_recursion():
    text = "list[" * 5000 + "int" + "]" * 5000
    t = parse_type(text)
    assert t[0] == "list"
    assert conforms((), t) and not conforms(1, t)


# ------------------------------------------------------------------ the CLI
def project(tmp_path, monkeypatch, inputs='x = "int"\n', body="log(x)\nprint(x)\n"):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aether-tools.toml").write_text("[inputs]\n" + inputs)
    (tmp_path / "a.aether").write_text(G + body)
    assert main(["check", "a.aether"]) == 0


def test_cli_run_binds_the_declared_input(tmp_path, monkeypatch, capsys):
    project(tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(["run", "a.aether", "--simulate", "--input", "x=5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["printed"] == ["5"] and out["tool_calls"][0]["args"] == [5]
    # a governed run (state and ledger in the project) and --inputs FILE.json alike
    (tmp_path / "in.json").write_text('{"x": 7}')
    assert main(["run", "a.aether", "--inputs", "in.json"]) == 0
    assert "7" in capsys.readouterr().out


@pytest.mark.parametrize("args,says", [
    ([], ["AE008", "'x'", "aether-tools.toml", "no value", "--input x=VALUE"]),
    (["--input", "x=abc"], ["AE008", "'x'", "aether-tools.toml", "declared as int",
                            "string", '"abc"']),
    (["--input", "x=[1]"], ["AE008", "declared as int", "list"]),
])
def test_cli_run_refuses_a_missing_or_mistyped_input_with_status_26(
        tmp_path, monkeypatch, capsys, args, says):
    project(tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(["run", "a.aether", *args]) == 26
    captured = capsys.readouterr()
    for text in says:
        assert text in captured.err, (text, captured.err)
    assert captured.out == ""  # nothing ran
    # nothing was recorded either: the refusal comes before the state database's run row
    from aether.store import open_state_store
    store = open_state_store(str(tmp_path))
    try:
        assert list(store.list_runs()) == []
    finally:
        store.close()


def test_cli_run_keeps_an_undeclared_input_for_parse_input(tmp_path, monkeypatch, capsys):
    project(tmp_path, monkeypatch, body="print(x)\nprint(parse_input())\n")
    capsys.readouterr()
    assert main(["run", "a.aether", "--simulate", "--input", "x=5", "--input", "extra=2"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["5", '{"x": 5, "extra": 2}']


# ------------------------------------------------------------------ governance, classify
def test_governed_runs_and_their_resumption_bind_through_the_same_path(tmp_path):
    from aether.governance.runner import start_governed_run

    path = tmp_path / "a.aether"
    path.write_text(G + "print(x)\n")
    c = cat(x="int")
    ok = start_governed_run(str(path), store=None, simulate=True, inputs={"x": 5},
                            catalogue=c, root=str(tmp_path))
    assert ok.status == 0 and ok.printed == ["5"]
    missing = start_governed_run(str(path), store=None, simulate=True, inputs={},
                                 catalogue=c, root=str(tmp_path))
    assert missing.status == 26 and [f.rule for f in missing.findings] == ["AE008"]


def test_classify_reports_a_workflow_that_needs_an_input_as_refused(tmp_path):
    from aether.fleet.classify import ClassifyOptions, classify_files
    from aether.walk import iter_files

    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "needs.aether").write_text(G + "print(x)\n")
    (folder / "binds.aether").write_text(G + "x: 1\nprint(x)\n")
    files = sorted(iter_files([str(folder)]), key=lambda f: f.path)
    records = classify_files(files, ClassifyOptions(timeout=5.0, root=str(tmp_path),
                                                    catalogue=cat(x="int")), 1)
    got = {os.path.basename(r["path"]): r for r in records}
    assert got["binds.aether"]["category"] is None
    assert got["needs.aether"]["rule"] == "AE008" and got["needs.aether"]["status"] == 26
