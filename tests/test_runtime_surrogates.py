"""Text that is not Unicode (a lone UTF-16 surrogate, U+D800..U+DFFF) never enters a
program: such a string could be neither printed, nor recorded in the state store, nor
sent to a tool (UTF-8 cannot encode it), and `aether run` ended in status 27 'internal
error: UnicodeEncodeError' after the run itself had succeeded.

Where text enters a program it is refused with a coded error: a tool's result, an input
and ``parse_json``/``parse_input`` (AE405, status 21), a string literal's ``\\uXXXX``
escape (AE113, status 20; a pair of escapes is one character, as in JSON).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from aether.cli.main import main
from aether.runtime.api import run_source

G = 'goal: "text"\n'
FIXTURES = Path(__file__).parent / "bindings_fixtures"


def run_cli(tmp_path, monkeypatch, capsys, body, *args):
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text(G + body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    status = main(["run", "a.aether", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line_without_traceback(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"', '{"\\udc80": 1}',
                                  '["ok", {"k": ["\\ud83d"]}]'])
def test_parse_json_refuses_a_lone_surrogate(text):
    result = run_source(G + f"x: parse_json({json.dumps(text)})\n", "t.aether", simulate=True)
    assert result.status == 21 and result.error["rule"] == "AE405", result.error
    assert "surrogate" in result.error["message"]


def test_parse_json_keeps_a_surrogate_pair_as_one_character():
    result = run_source(G + 'x: parse_json("\\"\\\\ud83d\\\\ude00\\"")\n', "t.aether",
                        simulate=True)
    assert result.status == 0, result.error
    assert result.outputs["x"] == "\U0001F600"


@pytest.mark.parametrize("value", ["\ud800", "ok\udcff", {"\udc80": 1}, ["x", ["\udfff"]]])
def test_an_input_with_a_lone_surrogate_is_refused_before_the_run(value):
    result = run_source(G + "x: parse_input()\n", "t.aether", simulate=True,
                        inputs={"v": value})
    assert result.status in (21, 26) and result.error is not None
    assert "surrogate" in result.error["message"]


def test_cli_input_with_a_byte_that_is_not_utf8_is_a_coded_error(tmp_path, monkeypatch,
                                                                  capsys):
    # Python hands a non-UTF-8 byte of argv over as a lone surrogate (U+DC80..U+DCFF)
    status, out, err = run_cli(tmp_path, monkeypatch, capsys, "x: parse_input()\nprint(x)\n",
                               "--simulate", "--input", "v=caf\udce9")
    one_line_without_traceback(err)
    assert status == 21 and "AE405" in err and "U+DCE9" in err


def test_cli_input_of_json_with_a_lone_surrogate_escape_is_kept_as_its_text(
        tmp_path, monkeypatch, capsys):
    # --input is JSON when it is a JSON value, else the text as given (as for 1e999)
    status, out, err = run_cli(tmp_path, monkeypatch, capsys, 'print(parse_input().v)\n',
                               "--simulate", "--input", 'v="\\ud800"')
    assert status == 0, err
    assert out.splitlines()[0] == '"\\ud800"'


def test_a_command_tool_answering_a_lone_surrogate_is_its_failure(tmp_path, monkeypatch,
                                                                   capsys):
    shutil.copy(FIXTURES / "command_tool.py", tmp_path / "command_tool.py")
    (tmp_path / "aether-tools.toml").write_text(
        f'[tools.cmd]\nparams = ["*args", "**kwargs"]\nrisk = "low"\n'
        f'command = ["{sys.executable}", "command_tool.py"]\n')
    status, out, err = run_cli(tmp_path, monkeypatch, capsys,
                               'r: cmd(mode="raw", text="\\"\\\\ud800\\"")\nprint(r)\n')
    one_line_without_traceback(err)
    assert status == 21 and "AE405" in err and "tool 'cmd'" in err and "surrogate" in err


def test_a_python_tool_returning_a_lone_surrogate_is_refused(tmp_path):
    mod = tmp_path / "surrogate_tool_mod.py"
    mod.write_text("def bad():\n    return {'k': 'x\\ud800'}\n")
    (tmp_path / "aether-tools.toml").write_text(
        '[tools.bad]\nparams = []\npython = "surrogate_tool_mod:bad"\n')
    (tmp_path / "aether.toml").write_text("")
    from aether.config import load_config
    from aether.semantics.project import load_project_catalogue
    cat = load_project_catalogue(load_config(str(tmp_path)))
    result = run_source(G + "r: bad()\n", str(tmp_path / "t.aether"), catalogue=cat,
                        root=str(tmp_path))
    assert result.status == 21 and result.error["rule"] == "AE405", result.error
    assert "tool 'bad'" in result.error["message"]


@pytest.mark.parametrize("how", ["argv", "file"])
def test_a_governed_run_refuses_such_an_input_before_recording_it(tmp_path, monkeypatch,
                                                                   capsys, how):
    (tmp_path / "in.json").write_text('{"v": ["\\udcff"]}')
    args = ["--input", "v=caf\udce9"] if how == "argv" else ["--inputs", "in.json"]
    status, out, err = run_cli(tmp_path, monkeypatch, capsys, "x: parse_input()\n", *args)
    one_line_without_traceback(err)
    assert status == 21 and "AE405" in err and "surrogate" in err
@pytest.mark.parametrize("literal", ['"\\ud800"', "'x\\udfff'", '"\\ude00\\ud83d"',
                                     '"\\ud83d"'])
def test_a_literal_escaping_a_lone_surrogate_is_a_parse_error(tmp_path, monkeypatch, capsys,
                                                              literal):
    for body in (f"x: {literal}\nprint(x)\n", f"m: {{{literal}: 1}}\nprint(m)\n"):
        status, out, err = run_cli(tmp_path, monkeypatch, capsys, body)
        one_line_without_traceback(err)
        assert status == 20 and "AE113" in err, err
        assert main(["check", "a.aether"]) == 20


def test_a_literal_escaping_a_surrogate_pair_is_one_character(tmp_path, monkeypatch, capsys):
    status, out, err = run_cli(tmp_path, monkeypatch, capsys,
                               'x: "\\ud83d\\ude00!"\nprint(len(x))\nprint(x)\n')
    assert status == 0, err
    assert out.splitlines()[:2] == ["2", "\U0001F600!"]


# ------------------------------------------------------------ names that are not UTF-8
def last_run(root):
    from aether.store import open_state_store

    store = open_state_store(str(root))
    try:
        return store.list_runs()[0]
    finally:
        store.close()


def test_a_governed_run_of_a_file_name_that_is_not_utf8_is_recorded_and_resumed(
        tmp_path, monkeypatch, capsys):
    """Python names the file b'\\xff.aether' with a lone surrogate: the run's row, its
    checkpoint and its claim on resumption were UTF-8 text and the run ended in 27."""
    shutil.copy(FIXTURES / "command_tool.py", tmp_path / "command_tool.py")
    (tmp_path / "aether-tools.toml").write_text(
        f'[tools.cmd]\nparams = ["*args", "**kwargs"]\nrisk = "high"\n'
        f'command = ["{sys.executable}", "command_tool.py"]\n')
    (tmp_path / "aether.toml").write_text("")
    name = os.fsdecode(b"\xff.aether")
    (tmp_path / name).write_text(G + 'r: cmd(mode="raw", text="42")\nprint(r)\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", name]) == 1  # waits for an approval
    run = last_run(tmp_path)
    assert run.workflow == "\\xff.aether"  # the row shows the byte
    assert main(["approve", run.run_id, "r2", "--approver", "bob", "--reason", "ok"]) == 0
    capsys.readouterr()
    assert main(["resume", run.run_id]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "42", captured.err
    assert main(["audit", "verify", run.run_id]) == 0
    assert main(["runs"]) == 0 and "\\xff.aether" in capsys.readouterr().out


def test_memory_of_a_project_whose_folder_name_is_not_utf8(tmp_path, monkeypatch, capsys):
    root = tmp_path / os.fsdecode(b"\xfd")
    root.mkdir()
    status, out, err = run_cli(root, monkeypatch, capsys,
                               'id: remember("hello")\nprint(recall("hello"))\n')
    assert status == 0, err
    assert out.splitlines()[0] == '["hello"]'


BAD = os.fsdecode(b"a\xff")  # an argument byte that is not UTF-8


@pytest.mark.parametrize("args", [
    ["run", "--actor", BAD, "a.aether"], ["run", "--run-id", BAD, "a.aether"],
    ["resume", BAD], ["audit", "verify", BAD], ["audit", "export", BAD, "-o", "e.json"],
    ["approve", BAD, "r1", "--approver", "bob", "--reason", "ok"],
    ["approve", "run", BAD, "--approver", "bob", "--reason", "ok"],
    ["deny", "run", "r1", "--approver", BAD, "--reason", "ok"],
    ["deny", "run", "r1", "--approver", "bob", "--reason", BAD],
    ["runs", "--status", BAD],
])
def test_names_recorded_or_looked_up_must_be_utf8_text(tmp_path, monkeypatch, capsys, args):
    """A run id, actor, approver, reason or status goes into the state database and the
    ledger's hashes: one that is not UTF-8 ended in 27 'internal error: UnicodeEncodeError'
    (resume, audit verify/export, run --run-id) or in a misleading ledger-unavailable."""
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text(G + "x: 1\n")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    status = main(args)
    err = capsys.readouterr().err
    one_line_without_traceback(err)
    assert status == 2 and "'a\\xff' is not UTF-8 text" in err, err
