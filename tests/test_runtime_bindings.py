"""Golden tests of the tool bindings with real parts: a Python module written here, a
command tool run as a subprocess, an MCP server (the official SDK) over stdio, and an
entry point found through package metadata."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from aether.config import load_config
from aether.runtime import bindings as B
from aether.runtime.api import RunOptions, run_source
from aether.semantics.project import load_project_catalogue

FIXTURES = Path(__file__).parent / "bindings_fixtures"
PY = sys.executable


def project(tmp_path: Path, tools: str) -> tuple:
    (tmp_path / "aether-tools.toml").write_text(tools)
    (tmp_path / "aether.toml").write_text("")
    return load_project_catalogue(load_config(str(tmp_path))), str(tmp_path)


def run_in(tmp_path, cat, body, **options):
    return run_source('goal: "bindings"\n' + body, str(tmp_path / "t.aether"),
                      catalogue=cat, root=str(tmp_path), options=RunOptions(**options))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie of ours still answers kill(0): reap it if it is our child
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        pass
    try:  # an orphan's zombie waits for init to reap it: dead all the same
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


# ---------------------------------------------------------------- python
@pytest.fixture
def python_project(tmp_path):
    mod = f"aether_test_tools_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{mod}.py").write_text(textwrap.dedent('''
        import time

        class Refused(Exception):
            aether_kind = "ValidationError"

        def add(a, b):
            return {"sum": a + b, "types": [type(a).__name__, type(b).__name__]}

        def shape(xs, opts=None):
            return {"xs": xs, "is_list": isinstance(xs, list), "opts": opts}

        def think(prompt, **kw):
            return "thought about " + prompt

        def refuse(x):
            raise Refused("no " + str(x))

        def nap(seconds):
            time.sleep(seconds)
            return "rested"

        def bad():
            return object()

        def exits():
            raise SystemExit(0)

        def interrupts():
            raise KeyboardInterrupt()

        def recurse():
            return recurse()

        def huge():
            return {"text": "x" * 2000}
    '''))
    (tmp_path / f"{mod}_exits_on_import.py").write_text("import sys\nsys.exit(3)\n")
    tools = "".join(
        f'[tools.{n}]\nparams = {p}\npython = "{mod}:{f}"\n'
        for n, p, f in (("py_add", '["a", "b"]', "add"), ("py_shape", '["xs", "opts?"]', "shape"),
                        ("py_refuse", '["x"]', "refuse"), ("py_nap", '["seconds"]', "nap"),
                        ("py_bad", "[]", "bad"), ("py_missing", "[]", "nothing_here"),
                        ("py_exits", "[]", "exits"), ("py_interrupts", "[]", "interrupts"),
                        ("py_recurse", "[]", "recurse"), ("py_huge", "[]", "huge")))
    tools += f'[tools.py_import_exits]\nparams = []\npython = "{mod}_exits_on_import:f"\n'
    tools += f'[tools.think]\npython = "{mod}:think"\n'
    return project(tmp_path, tools)


def test_python_binding_gets_plain_values_and_returns_json(python_project, tmp_path):
    cat, _ = python_project
    result = run_in(tmp_path, cat, 'r: py_add(2, 3)\ns: py_shape([1, [2]], opts={"k": null})\n'
                    't: think("the plan")\n')
    assert result.status == 0, result.error
    assert result.outputs["r"] == {"sum": 5, "types": ["int", "int"]}
    assert result.outputs["s"] == {"xs": [1, [2]], "is_list": True, "opts": {"k": None}}
    # a builtin bound by a binding-only table is a tool like the others
    assert result.outputs["t"] == "thought about the plan"


def test_python_binding_errors_name_the_tool(python_project, tmp_path):
    cat, _ = python_project
    err = run_in(tmp_path, cat, 'r: py_refuse(1)\n').error
    assert err["rule"] == "AE410" and err["kind"] == "ValidationError"
    assert "py_refuse" in err["message"] and "no 1" in err["message"]
    caught = run_in(tmp_path, cat, 'try:\n    r: py_refuse(1)\ncatch e:\n    r: e.kind\n')
    assert caught.outputs["r"] == "ValidationError"
    err = run_in(tmp_path, cat, 'r: py_missing()\n').error
    assert err["rule"] == "AE410" and "py_missing" in err["message"] and "cannot load" in \
        err["message"]
    err = run_in(tmp_path, cat, 'r: py_bad()\n').error
    assert err["rule"] == "AE405" and "py_bad" in err["message"]


@pytest.mark.parametrize("tool, needle", [
    ("py_exits", "SystemExit"), ("py_interrupts", "KeyboardInterrupt"),
    ("py_recurse", "RecursionError"), ("py_import_exits", "SystemExit: 3"),
])
def test_python_tool_that_exits_interrupts_or_recurses_is_its_own_failure(
        python_project, tmp_path, tool, needle):
    """sys.exit() in a tool (or in its module at import), a KeyboardInterrupt it raises
    and its runaway recursion are AE410 naming the tool: they ended aether itself
    (SystemExit out of run_source) or passed for the program's own depth (AE406)."""
    cat, _ = python_project
    result = run_in(tmp_path, cat, f"r: {tool}()\n")
    assert result.status == 21 and result.error["rule"] == "AE410", result.error
    assert f"tool '{tool}'" in result.error["message"] and needle in result.error["message"]


def test_tool_result_and_inputs_past_the_value_size_limit_are_refused(python_project,
                                                                      tmp_path):
    """A value from outside obeys the value-size limit like one the program builds, at any
    depth (a tool's 2,000-character string with the limit at 1,000 was accepted)."""
    cat, _ = python_project
    err = run_in(tmp_path, cat, "r: py_huge()\n", max_value_size=1000).error
    assert err["rule"] == "AE407" and "py_huge" in err["message"]
    result = run_source('goal: "inputs"\nx: parse_input()\n', "t.aether",
                        inputs={"a": ["y" * 2000]}, options=RunOptions(max_value_size=1000))
    assert result.status == 21 and result.error["rule"] == "AE407"


def test_python_binding_request_timeout_is_enforced_during_the_call(python_project, tmp_path):
    cat, _ = python_project
    result = run_in(tmp_path, cat, 'policy:\n    request_timeout: 200ms\nr: py_nap(30)\n')
    assert result.status == 23 and result.error["rule"] == "AE409"
    assert "py_nap" in result.error["message"] and result.error["kind"] == "Timeout"
    # a tool timeout is catchable, like a step's
    caught = run_in(tmp_path, cat, 'policy:\n    request_timeout: 200ms\ntry:\n'
                    '    r: py_nap(30)\ncatch e:\n    r: e.rule\n')
    assert caught.status == 0 and caught.outputs["r"] == "AE409"


def test_unbound_tool_is_still_ae411(tmp_path):
    cat, _ = project(tmp_path, '[tools.lonely]\nparams = []\n')
    err = run_in(tmp_path, cat, 'r: lonely()\n').error
    assert err["rule"] == "AE411" and "lonely" in err["message"]


def test_entry_point_group_binds_an_undeclared_implementation(tmp_path, monkeypatch):
    """A pip package declaring `[project.entry-points."aether.tools"] NAME = "m:f"`
    binds tool NAME: found through the installed packages' metadata."""
    mod = f"aether_ep_tools_{uuid.uuid4().hex[:8]}"
    site = tmp_path / "site"
    (site / f"{mod}-1.0.dist-info").mkdir(parents=True)
    (site / f"{mod}-1.0.dist-info" / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {mod}\nVersion: 1.0\n")
    (site / f"{mod}-1.0.dist-info" / "entry_points.txt").write_text(
        f"[aether.tools]\nshipped = {mod}:shipped\n")
    (site / f"{mod}.py").write_text("def shipped(x):\n    return x * 2\n")
    monkeypatch.syspath_prepend(str(site))
    proj = tmp_path / "p"
    proj.mkdir()
    cat, _ = project(proj, '[tools.shipped]\nparams = ["x"]\n')
    result = run_in(proj, cat, 'r: shipped(21)\n')
    assert result.status == 0, result.error
    assert result.outputs["r"] == 42


# ---------------------------------------------------------------- command
@pytest.fixture
def command_project(tmp_path):
    shutil.copy(FIXTURES / "command_tool.py", tmp_path / "command_tool.py")
    return project(tmp_path, f'[tools.cmd]\nparams = ["*args", "**kwargs"]\n'
                   f'command = ["{PY}", "command_tool.py"]\n'
                   '[tools.nowhere]\nparams = []\ncommand = ["./no-such-program"]\n')


def test_command_binding_reads_json_stdin_writes_json_stdout(command_project, tmp_path,
                                                            monkeypatch):
    monkeypatch.setenv("AETHER_TEST_SECRET", "do-not-leak")
    cat, root = command_project
    result = run_in(tmp_path, cat, 'r: cmd(1, "two", [3], mode="echo")\n', run_id="run-42")
    assert result.status == 0, result.error
    out = result.outputs["r"]
    req = out["request"]
    assert req["tool"] == "cmd" and req["args"] == [1, "two", [3]]
    assert req["kwargs"] == {"mode": "echo"} and req["run_id"] == "run-42"
    assert req["call_id"].startswith("run-42:")
    assert os.path.realpath(out["cwd"]) == os.path.realpath(root)  # the project root
    env = set(out["env"])
    assert "AETHER_TEST_SECRET" not in env  # a minimal environment
    assert env <= set(B.COMMAND_ENV) | {"AETHER_TOOL", "AETHER_RUN_ID", "AETHER_CALL_ID"}


@pytest.mark.parametrize("mode, rule, needle", [
    ("fail", "AE410", "exited with status 3: boom: disk full"),
    ("badjson", "AE410", "did not write one JSON value"),
    ("huge", "AE410", "wrote more than 1000 bytes"),
])
def test_command_binding_failures_are_coded_and_name_the_tool(command_project, tmp_path,
                                                              monkeypatch, mode, rule, needle):
    monkeypatch.setattr(B, "MAX_OUTPUT", 1000)
    cat, _ = command_project
    err = run_in(tmp_path, cat, f'r: cmd(mode="{mode}")\n').error
    assert err["rule"] == rule and "tool 'cmd'" in err["message"]
    assert needle in err["message"]


def test_command_that_cannot_start_is_coded(command_project, tmp_path):
    cat, _ = command_project
    err = run_in(tmp_path, cat, 'r: nowhere()\n').error
    assert err["rule"] == "AE410" and "nowhere" in err["message"]


def test_command_binding_is_killed_at_the_request_timeout(command_project, tmp_path):
    cat, _ = command_project
    pidfile = tmp_path / "pid"
    result = run_in(tmp_path, cat, 'policy:\n    request_timeout: 1s\n'
                    f'r: cmd(mode="hang", pidfile="{pidfile}")\n')
    assert result.status == 23 and result.error["rule"] == "AE409"
    assert "tool 'cmd'" in result.error["message"]
    assert gone(int(pidfile.read_text()))  # the subprocess was killed, not left behind


def test_step_timeout_bounds_a_command_call(command_project, tmp_path):
    cat, _ = command_project
    pidfile = tmp_path / "pid"
    result = run_in(tmp_path, cat, 'workflow:\n    steps:\n'
                    f'        - cmd(mode="hang", pidfile="{pidfile}") timeout=1s\n')
    assert result.error["rule"] == "AE409"
    assert gone(int(pidfile.read_text()))


def test_command_whose_child_keeps_its_pipe_open_answers_when_it_exits(command_project,
                                                                      tmp_path):
    """The command exited with its answer, but a child it forked holds stdout: the call
    ends shortly after the exit (it waited for the pipe until the deadline, AE409) and
    the child's process group is killed."""
    cat, _ = command_project
    pidfile = tmp_path / "child"
    result = run_in(tmp_path, cat, 'policy:\n    request_timeout: 20s\n'
                    f'r: cmd(mode="fork", pidfile="{pidfile}")\n')
    assert result.status == 0, result.error
    assert result.outputs["r"] == "answered"
    child = int(pidfile.read_text())
    for _ in range(100):  # SIGKILL is delivered asynchronously
        if gone(child):
            break
        time.sleep(0.05)
    assert gone(child)


# ---------------------------------------------------------------- mcp
@pytest.fixture
def mcp_project(tmp_path):
    pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install aether[mcp])")
    shutil.copy(FIXTURES / "mcp_server.py", tmp_path / "mcp_server.py")
    server = f'command = ["{PY}", "mcp_server.py"]'
    tools = "".join(f'[tools.{n}]\nparams = {p}\nmcp = {{ {server}, tool = "{t}" }}\n'
                    for n, p, t in (("mul", '["a", "b"]', "multiply"), ("who", "[]", "whoami"),
                                    ("boom", '["reason"]', "explode"),
                                    ("slow", '["seconds"]', "slow")))
    return project(tmp_path, tools)


def test_mcp_binding_calls_a_real_server_once_per_run(mcp_project, tmp_path):
    cat, _ = mcp_project
    result = run_in(tmp_path, cat, 'x: mul(a=6, b=7)\np1: who()\np2: who()\n')
    assert result.status == 0, result.error
    assert result.outputs["x"] == 42
    pid = result.outputs["p1"]["pid"]
    assert result.outputs["p2"]["pid"] == pid  # one server process, reused
    assert gone(pid)  # and shut down at the end of the run


def test_mcp_binding_errors_and_shutdown_on_error(mcp_project, tmp_path):
    cat, _ = mcp_project
    result = run_in(tmp_path, cat, 'p: who()\nr: boom(reason="testing")\n')
    assert result.error["rule"] == "AE410" and "boom" in result.error["message"]
    assert "reported an error" in result.error["message"]
    err = run_in(tmp_path, cat, 'x: mul(6, 7)\n').error
    assert err["rule"] == "AE405" and "keyword" in err["message"]


def test_mcp_call_is_cancelled_at_the_request_timeout(mcp_project, tmp_path):
    cat, _ = mcp_project
    result = run_in(tmp_path, cat, 'policy:\n    request_timeout: 1s\nr: slow(seconds=60)\n')
    assert result.status == 23 and result.error["rule"] == "AE409"
    assert "slow" in result.error["message"]


@pytest.fixture
def raw_mcp_project(tmp_path):
    pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install aether[mcp])")
    shutil.copy(FIXTURES / "raw_mcp_server.py", tmp_path / "raw_mcp_server.py")
    tools = "".join(
        f'[tools.{m}]\nparams = []\nmcp = {{ command = ["{PY}", "raw_mcp_server.py", "{m}", '
        f'"{tmp_path / (m + ".pid")}"], tool = "t" }}\n'
        for m in ("answers", "crash_at_start", "hang_init", "crash_mid_call", "garbage"))
    return project(tmp_path, tools)


def eventually_gone(pid: int) -> bool:
    for _ in range(100):  # the SDK's transport ends a server asynchronously
        if gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("mode, status, rule", [
    ("answers", 0, None),
    ("crash_at_start", 21, "AE410"),
    ("hang_init", 23, "AE409"),
    ("crash_mid_call", 21, "AE410"),
    ("garbage", 23, "AE409"),
])
def test_hostile_mcp_servers_end_in_coded_errors_and_are_stopped(raw_mcp_project, tmp_path,
                                                                 capfd, mode, status, rule):
    """A server that crashes, hangs in its handshake (it was waited for 60 s whatever the
    deadline, then left running) or answers garbage ends the call with a coded error
    within the call's deadline, leaves no process behind and prints no traceback."""
    cat, _ = raw_mcp_project
    result = run_in(tmp_path, cat, f"policy:\n    request_timeout: 2s\nr: {mode}()\n",
                    timeout=30)
    assert result.status == status, result.error
    if rule is None:
        assert result.outputs["r"] == 42
    else:
        assert result.error["rule"] == rule and f"'{mode}'" in result.error["message"]
    assert eventually_gone(int((tmp_path / f"{mode}.pid").read_text()))
    assert "Traceback" not in capfd.readouterr().err
