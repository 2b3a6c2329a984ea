"""The `aether` command end to end: exit statuses, --check, JSON status, stdin, config, cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aether.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
CLEAN = 'goal: "demo"\nlog("hi")\n'
BAD_CALL = 'goal: "demo"\nsummarise(1)\n'
BAD_SYNTAX = 'goal: "demo"\nx: (1 + )\n'


def run(*args, input=None, env=None):
    """Run the real console entry point in a subprocess (exit codes, stdout/stderr split)."""
    e = dict(os.environ, NO_COLOR="1")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, input=input, env=e, cwd=env.get("CWD") if env else None)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "ok.aether").write_text(CLEAN)
    (tmp_path / "call.aether").write_text(BAD_CALL)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "syntax.aether").write_text(BAD_SYNTAX)
    (sub / "notes.txt").write_text("not a workflow")
    return tmp_path


def test_bundled_examples_check_clean():
    proc = run("check", str(ROOT / "workflows" / "examples"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_file_exit_status_is_its_code(tree):
    assert run("check", str(tree / "ok.aether")).returncode == 0
    assert run("check", str(tree / "call.aether")).returncode == 25
    assert run("check", str(tree / "sub" / "syntax.aether")).returncode == 20
    assert run("check", str(tree / "missing.aether")).returncode == 26


def test_many_files_exit_status_is_most_fundamental(tree):
    proc = run("check", str(tree), "--format", "json")
    assert proc.returncode == 20  # PARSE_ERROR comes before VALIDATION_ERROR
    data = json.loads(proc.stdout)
    assert data["summary"]["files"] == 3 and data["summary"]["failed"] == 2
    assert run("check", str(tree), "--exit-zero").returncode == 0


def test_legacy_check_form_and_json_status(tree):
    proc = run("--check", str(tree / "call.aether"), "--json-status", "--emit-error-code")
    assert proc.returncode == 25
    status = json.loads(proc.stdout)
    for key in ("ok", "code", "code_name", "file", "phase", "message", "line"):
        assert key in status
    assert status["ok"] is False and status["code"] == 25 and status["line"] == 2
    assert status["code_name"] == "VALIDATION_ERROR" and status["phase"] == "validate"
    assert "AETHER_ERROR_CODE:25" in proc.stderr.splitlines()
    ok = json.loads(run("--check", str(tree / "ok.aether"), "--json-status").stdout)
    assert ok["ok"] is True and ok["code"] == 0 and ok["code_name"] == "SUCCESS"


def test_legacy_check_refuses_a_directory(tree):
    proc = run("--check", str(tree), "--json-status")
    assert proc.returncode == 26
    assert json.loads(proc.stdout)["code_name"] == "IO_ERROR"


def test_results_on_stdout_hints_on_stderr(tree):
    (tree / "legacy.aether").write_text('intent: "old"\n')
    proc = run("check", str(tree / "legacy.aether"), str(tree / "ok.aether"))
    assert "AE201" in proc.stdout and "AE201" not in proc.stderr
    assert "aether migrate" in proc.stderr


def test_stdin_with_filename():
    proc = run("check", "-", "--stdin-filename", "flows/x.aether", "--format", "json",
               input=BAD_CALL)
    assert proc.returncode == 25
    assert json.loads(proc.stdout)["files"][0]["file"] == "flows/x.aether"


def test_directories_are_searched_recursively_sorted(tree):
    data = json.loads(run("check", str(tree), "--format", "json").stdout)
    names = [Path(f["file"]).name for f in data["files"]]
    assert names == ["call.aether", "ok.aether", "syntax.aether"]


def test_select_ignore_exclude_flags(tree):
    assert run("check", str(tree / "call.aether"), "--ignore", "AE301").returncode == 0
    assert run("check", str(tree / "call.aether"), "--select", "AE302").returncode == 0
    assert run("check", str(tree), "--exclude", "sub/**").returncode == 25


def test_config_in_pyproject_is_found_walking_up(tree):
    (tree / "pyproject.toml").write_text('[tool.aether]\nignore = ["AE301"]\n'
                                         'exclude = ["sub"]\nfancy = 1\n')
    proc = run("check", str(tree))
    assert proc.returncode == 0, proc.stdout
    assert "unknown key 'fancy'" in proc.stderr
    assert run("check", str(tree), "--isolated").returncode == 20


def test_bad_config_is_a_clear_io_error(tree):
    (tree / "aether.toml").write_text("select = [\n")
    proc = run("check", str(tree))
    assert proc.returncode == 26
    assert "not valid TOML" in proc.stderr and "Traceback" not in proc.stderr
    (tree / "aether.toml").write_text("jobs = 'many'\n")
    proc = run("check", str(tree))
    assert proc.returncode == 26 and "'jobs' must be a whole number from 1 to 1024, found \"many\"" \
        in proc.stderr


def test_inline_suppression_and_no_suppress(tree):
    path = tree / "supp.aether"
    path.write_text('goal: "x"\nsummarise(1)  # aether: ignore[AE301] -- legacy name\n')
    assert run("check", str(path)).returncode == 0
    assert run("check", str(path), "--no-suppress").returncode == 25
    path.write_text('goal: "x"\nlog(1)  # aether: ignore[AE301]\n')
    proc = run("check", str(path), "--format", "json")
    assert proc.returncode == 25
    assert json.loads(proc.stdout)["files"][0]["findings"][0]["rule"] == "AE319"


def test_jobs_and_cache_give_identical_results(tree, tmp_path_factory):
    for i in range(80):
        (tree / f"gen{i:03d}.aether").write_text(BAD_CALL if i % 3 else CLEAN)
    cache_dir = tmp_path_factory.mktemp("cache")
    serial = run("check", str(tree), "--format", "json", "-j", "1", "--no-cache").stdout
    parallel = run("check", str(tree), "--format", "json", "-j", "2", "--cache-dir",
                   str(cache_dir)).stdout
    warm = run("check", str(tree), "--format", "json", "-j", "2", "--cache-dir",
               str(cache_dir)).stdout
    assert json.loads(serial) == json.loads(parallel) == json.loads(warm)
    assert list(cache_dir.rglob("*.json"))
    # an edit invalidates exactly that file's entry (keyed by content)
    (tree / "gen001.aether").write_text(CLEAN)
    after = json.loads(run("check", str(tree), "--format", "json", "--cache-dir",
                           str(cache_dir)).stdout)
    assert next(f for f in after["files"] if f["file"].endswith("gen001.aether"))["ok"]


def test_corrupt_cache_is_ignored(tree, tmp_path):
    cache_dir = tmp_path / "c"
    run("check", str(tree), "--cache-dir", str(cache_dir))
    for f in cache_dir.rglob("*.json"):
        f.write_text("{not json")
    assert run("check", str(tree), "--cache-dir", str(cache_dir)).returncode == 20


def test_output_file_is_written_atomically(tree, tmp_path):
    out = tmp_path / "report.sarif"
    proc = run("check", str(tree), "--format", "sarif", "-o", str(out))
    assert proc.returncode == 20 and proc.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_explain_and_rules():
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", "AE301"])
    assert result.exit_code == 0 and "unknown-function" in result.output
    assert runner.invoke(cli, ["explain", "unknown-function"]).exit_code == 0
    assert runner.invoke(cli, ["explain", "25"]).output.startswith("25 VALIDATION_ERROR")
    assert runner.invoke(cli, ["explain", "AE000"]).exit_code == 2
    listing = runner.invoke(cli, ["rules"]).output
    assert "AE301" in listing and "AE105" in listing


def test_python_dash_m_and_version():
    proc = subprocess.run([sys.executable, "-m", "aether", "--version"], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and "aether" in proc.stdout


def test_no_color_when_piped(tree):
    proc = run("check", str(tree / "call.aether"), env={"NO_COLOR": ""})
    assert "\x1b[" not in proc.stdout


def test_fingerprints_do_not_depend_on_the_working_directory(tree):
    (tree / "aether.toml").write_text("")
    top = json.loads(run("check", ".", "--format", "json", env={"CWD": str(tree)}).stdout)
    sub = json.loads(run("check", "..", "--format", "json",
                         env={"CWD": str(tree / "sub")}).stdout)

    def prints(data):
        return sorted(f["fingerprint"] for file in data["files"] for f in file["findings"])

    assert prints(top) and prints(top) == prints(sub)


def test_report_file_honours_umask(tree, tmp_path):
    out = tmp_path / "r.json"
    run("check", str(tree), "--format", "json", "-o", str(out))
    assert out.stat().st_mode & 0o044  # group/other readable under the usual umask 022


def test_suppression_list_applies_to_check(tree):
    (tree / "aether.toml").write_text("")  # the project root: fingerprints are relative to it
    data = json.loads(run("check", str(tree / "call.aether"), "--format", "json").stdout)
    fp = data["files"][0]["findings"][0]["fingerprint"]
    (tree / ".aether").mkdir()
    (tree / ".aether" / "suppressions.txt").write_text(f"{fp}  owner=ops  # known\n")
    proc = run("check", str(tree / "call.aether"), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (sup,) = json.loads(proc.stdout)["files"][0]["suppressed"]
    assert sup["category"] == "Suppressed-ValidationError"
    assert run("check", str(tree / "call.aether"), "--no-suppress").returncode == 25
    (tree / ".aether" / "suppressions.txt").write_text("not-a-fingerprint!\n")
    bad = run("check", str(tree / "call.aether"))
    assert bad.returncode == 26 and "Traceback" not in bad.stderr


def test_syntax_errors_cannot_be_suppressed_inline(tree):
    path = tree / "s.aether"
    path.write_text('goal: "x"\nx: (1 +  # aether: ignore\n')
    assert run("check", str(path)).returncode == 20


def test_exclude_glob_with_trailing_slash(tree):
    assert run("check", str(tree), "--exclude", "sub/").returncode == 25


def test_report_file_gets_no_colour_even_with_force_color(tree, tmp_path):
    out = tmp_path / "r.txt"
    run("check", str(tree), "-o", str(out), env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" not in out.read_text()


def test_misspelt_selector_is_a_usage_error(tree):
    proc = run("check", str(tree), "--select", "AE3O1")
    assert proc.returncode == 2 and "matches no rule" in proc.stderr


def test_an_empty_file_name_is_a_usage_error_saying_so(tmp_path):
    # `-o "$REPORT"` with the variable unset: one clear line, exit 2 (was an OS error)
    from click.testing import CliRunner

    from aether.cli.main import cli

    (tmp_path / "a.aether").write_text('goal: "g"\n')
    for args in (["check", str(tmp_path / "a.aether"), "-o", ""], ["run", ""]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and "no file name given" in result.output, args


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("args", [["rules"], ["explain", "AE301"], ["--help"],
                                  ["tools", "list"], ["check", "ok.aether"],
                                  ["--check", "ok.aether", "--json-status"],
                                  ["run", "--simulate", "--json", "ok.aether"]],
                         ids=" ".join)
def test_a_full_standard_output_is_an_io_error_not_a_crash(tree, args, unbuffered):
    # `> /dev/full` (or a file over `ulimit -f`) was status 27 "internal error ... this is
    # a bug" for every command but `check`, and with buffered output (PYTHONUNBUFFERED
    # unset) `check` ended in "Exception ignored" and status 120 after its own message;
    # it is the output's fault: status 26, one line, the status emitted is the exit's
    check = args[0] in ("check", "--check")
    env = dict(os.environ, PYTHONUNBUFFERED=unbuffered)
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "aether", *args,
                               *(["--emit-error-code"] if check else [])], stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=tree, env=env)
    assert proc.returncode == 26, proc.stderr
    lines = proc.stderr.strip().splitlines()
    if check:
        assert lines == ["aether check: cannot write the report: [Errno 28] No space left "
                         "on device", "AETHER_ERROR_CODE:26"]
    else:
        assert lines == ["aether: cannot write to standard output: No space left on device"]


@pytest.mark.parametrize("args", [["check", "ok.aether"], ["rules"]], ids=" ".join)
def test_a_closed_standard_output_is_not_a_crash(tree, args):
    # `aether check FILE >&-` ended in a traceback (sys.stdout is None then); like print(),
    # the report goes nowhere, and descriptor 1 is the null device, so no file opened later
    # can take its place
    proc = subprocess.run([sys.executable, "-m", "aether", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, cwd=tree,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_standard_output_is_wrapped_once_whatever_the_calls_of_main():
    # main() in one process again (a tool's loop, a test) wrapped the wrapper each time and
    # kept every old one
    script = ("import sys\nfrom aether import stdstreams as S\nS.prepare()\nfirst = sys.stdout\n"
              "S.prepare()\nS.prepare()\nprint(sys.stdout is first, len(S._REPLACED))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout.split() == ["True", "1"], proc.stderr
