"""The one-file fast path (aether/cli/fast.py) against the click path: same bytes, same status.

`aether check FILE` and `aether --check FILE` with the common flags run without importing
click; every other command line must reach click unchanged.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aether.cli import fast, main as cli_main
from aether.cli.fast import fast_check_arguments

ROOT = Path(__file__).resolve().parent.parent
_TIMESTAMP = re.compile(r'"timestamp": "[^"]*"')

FILES = {
    "clean.aether": 'goal: "demo"\nlog("hi")\n',
    "finding.aether": 'goal: "demo"\nsummarise(1)\n',
    "syntax.aether": 'goal: "demo"\nx: (1 + )\n',
    "legacy.aether": 'goal "demo"\nworkflow x\n  log("hi")\nend\n',
    "unbound.aether": 'goal: "demo"\nlog(host_value)\nproject_tool(1)\n',
    "suppressed.aether": 'goal: "demo"\nsummarise(1)  # aether: ignore[AE303]\n'
                         'log(1)  # aether: ignore[AE301]\n',
    "bad-utf8.aether": b'goal: "d\xff"\n',
}


def _project(tmp_path: Path, kind: str) -> Path:
    """A project folder: no config, a config with select/ignore, a tool catalogue, a bad
    config, a suppression list."""
    for name, text in FILES.items():
        data = text if isinstance(text, bytes) else text.encode()
        (tmp_path / name).write_bytes(data)
    if kind == "config":
        (tmp_path / "aether.toml").write_text('ignore = ["AE303"]\nunknown-key = 1\n')
    elif kind == "pyproject":
        (tmp_path / "pyproject.toml").write_text('[tool.aether]\nselect = ["AE1", "AE3"]\n')
    elif kind == "catalogue":
        (tmp_path / "aether-tools.toml").write_text(
            '[tools.project_tool]\nparams = ["x"]\n\n[inputs]\nhost_value = "str"\n')
    elif kind == "bad-catalogue":
        (tmp_path / "aether-tools.toml").write_text('[tools.log]\nparams = ["x"]\n')
    elif kind == "bad-config":
        (tmp_path / "aether.toml").write_text("select = [\n")
    elif kind == "bad-select":  # a misspelt rule in the configuration: a usage error
        (tmp_path / "aether.toml").write_text('select = ["AE3O1"]\n')
    elif kind == "suppression-list":
        (tmp_path / ".aether").mkdir()
        (tmp_path / ".aether" / "suppressions.txt").write_text(
            "finding.aether AE303  # reviewed\n")
    return tmp_path


def _run(argv, capfd, monkeypatch, use_fast: bool):
    taken = []
    real = fast_check_arguments  # the real one, imported before any patching

    def spy(args, environ):
        got = real(args, environ) if use_fast else None
        taken.append(got is not None)
        return got

    monkeypatch.setattr(fast, "fast_check_arguments", spy)
    status = cli_main.main(list(argv))
    out, err = capfd.readouterr()
    out = _TIMESTAMP.sub('"timestamp": "T"', out)  # the one field that may differ
    return status, out, err, taken == [True]


FLAG_SETS = [
    [], ["--emit-error-code"], ["--json-status"], ["--emit-error-code", "--json-status"],
    ["-q"], ["--quiet"], ["--no-show-source"], ["--show-source"], ["--exit-zero"],
    ["--isolated"], ["--no-suppress"], ["--show-suppressed"], ["--no-cache"],
    ["--color", "never"], ["--color", "always"], ["--color", "auto"],
    ["--no-show-source", "--show-source", "-q"],
]
PROJECTS = ["plain", "config", "pyproject", "catalogue", "bad-catalogue", "bad-config",
            "bad-select", "suppression-list"]


@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("name", [*FILES, "missing.aether", "."])
def test_check_form_matches_click(tmp_path, capfd, monkeypatch, project, name):
    monkeypatch.chdir(_project(tmp_path, project))
    monkeypatch.setenv("NO_COLOR", "1")
    for flags in FLAG_SETS[:6] if project != "plain" else FLAG_SETS:
        for argv in (["check", name, *flags], ["check", *flags, name]):
            fast_result = _run(argv, capfd, monkeypatch, True)
            slow_result = _run(argv, capfd, monkeypatch, False)
            assert fast_result[3], argv  # the fast path took it
            assert not slow_result[3]
            assert fast_result[:3] == slow_result[:3], argv


@pytest.mark.parametrize("argv", [["check", "clean.aether"], ["--check", "clean.aether"],
                                  ["check", "."]])
def test_a_configured_rule_that_matches_nothing_is_a_usage_error(tmp_path, capfd,
                                                                 monkeypatch, argv):
    """`select = ["AE3O1"]` in the configuration is exit 2 naming the pattern on the fast
    path too (its click.UsageError was an internal error there, exit 27)."""
    monkeypatch.chdir(_project(tmp_path, "bad-select"))
    status, out, err, taken = _run(argv, capfd, monkeypatch, True)
    assert status == 2 and "'AE3O1' matches no rule" in err, err
    assert "internal error" not in err and out == ""


@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("name", [*FILES, "missing.aether"])
@pytest.mark.parametrize("flags", [[], ["--emit-error-code"], ["--json-status"],
                                   ["--json-status", "--emit-error-code"]])
def test_legacy_check_form_matches_click(tmp_path, capfd, monkeypatch, project, name, flags):
    monkeypatch.chdir(_project(tmp_path, project))
    for argv in (["--check", name, *flags], [*flags, "--check", name]):
        fast_result = _run(argv, capfd, monkeypatch, True)
        slow_result = _run(argv, capfd, monkeypatch, False)
        assert fast_result[3] and not slow_result[3]
        assert fast_result[:3] == slow_result[:3], argv


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"FORCE_COLOR": "1"},
                                 {"FORCE_COLOR": "1", "NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_colour_rules_are_the_same(tmp_path, capfd, monkeypatch, env):
    monkeypatch.chdir(_project(tmp_path, "plain"))
    for key in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for argv in (["check", "finding.aether"], ["--check", "finding.aether"]):
        fast_result = _run(argv, capfd, monkeypatch, True)
        assert fast_result[3]
        assert fast_result[:3] == _run(argv, capfd, monkeypatch, False)[:3]


@pytest.mark.parametrize("argv", [
    [], ["-h"], ["--help"], ["-V"], ["--version"], ["check"], ["check", "-h"],
    ["check", "--help"], ["check", "a.aether", "b.aether"], ["check", "-"],
    ["check", "--", "a.aether"], ["check", ""], ["check", "a.aether", "--bogus"],
    ["check", "a.aether", "--format", "xml"], ["check", "a.aether", "--format=text"],
    ["check", "a.aether", "--format", "JSON"], ["check", "a.aether", "--format"],
    ["check", "a.aether", "--cache-dir"], ["check", "a.aether", "--cache-dir", ""],
    ["check", "a.aether", "--cache-dir", "-q"], ["check", "a.aether", "--cache-dir=c"],
    ["check", "a.aether", "--select", "AE3"], ["check", "a.aether", "--color"],
    ["check", "a.aether", "--color", "rainbow"], ["check", "a.aether", "-qq"],
    ["check", "a.aether", "--quiet=1"], ["check", "a.aether", "-o", "out.txt"],
    ["--check", "a.aether", "--check", "b.aether"], ["--check"], ["--check", "-"],
    ["--check", "--emit-error-code"], ["--check", "a.aether", "check", "a.aether"],
    ["--emit-error-code", "check", "a.aether"], ["--check", "a.aether", "-q"],
    ["--check=a.aether"], ["fmt", "a.aether"], ["a.aether"], ["Check", "a.aether"],
])
def test_everything_else_goes_to_click(argv):
    assert fast_check_arguments(argv, {}) is None


@pytest.mark.parametrize("project", ["plain", "config", "catalogue", "bad-config"])
@pytest.mark.parametrize("name", ["finding.aether", "syntax.aether", "."])
def test_format_and_cache_dir_match_click(tmp_path, capfd, monkeypatch, project, name):
    # the warm re-check's command line (`check DIR --format json --cache-dir D`) runs
    # without click: the same bytes and status as click, cold and warm
    monkeypatch.chdir(_project(tmp_path, project))
    monkeypatch.setenv("NO_COLOR", "1")
    for fmt in ("text", "json", "jsonl", "sarif", "github"):
        for argv in (["check", name, "--format", fmt, "--cache-dir", "c1"],
                     ["check", "--cache-dir", "c2", "-q", "--format", fmt, name],
                     ["check", "--format", fmt, name, "--no-cache"]):
            for _ in range(2):  # the second run reads the cache the first one wrote
                fast_result = _run(argv, capfd, monkeypatch, True)
                slow_result = _run(argv, capfd, monkeypatch, False)
                assert fast_result[3] and not slow_result[3], argv
                assert fast_result[:3] == slow_result[:3], argv


def test_cache_dir_that_is_a_file_goes_to_click(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(_project(tmp_path, "plain"))
    (tmp_path / "afile").write_text("x")
    argv = ["check", "clean.aether", "--cache-dir", "afile"]
    assert fast_check_arguments(argv, {}) is None
    status, _, err, _ = _run(argv, capfd, monkeypatch, True)
    assert status == 2 and "afile" in err  # click's usage error, as before
    assert fast_check_arguments(["check", "clean.aether", "--cache-dir", "new"], {}) == \
        {"paths": ("clean.aether",), "cache_dir": "new"}


def test_shell_completion_goes_to_click():
    assert fast_check_arguments(["check", "a.aether"], {"_AETHER_COMPLETE": "bash_source"}) \
        is None
    assert fast_check_arguments(["check", "a.aether"], {}) == {"paths": ("a.aether",)}


@pytest.mark.parametrize("argv", [["-h"], ["check", "a.aether", "b.aether"],
                                  ["check", "x.aether", "--bogus"], ["--check"]])
def test_fallback_output_is_clicks(tmp_path, capfd, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    fast_result = _run(argv, capfd, monkeypatch, True)
    slow_result = _run(argv, capfd, monkeypatch, False)
    assert not fast_result[3] and fast_result[:3] == slow_result[:3]


def _imports_after(argv, cwd, env=None) -> set[str]:
    """The modules loaded by the end of a run of the real entry point, in a fresh process."""
    code = ("import sys\nfrom aether.cli.main import main\nrc = main(sys.argv[1:])\n"
            "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + ' '.join(sys.modules))\n")
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    e.update(env or {}, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, env=e,
                          capture_output=True, text=True)
    return set(proc.stderr.rsplit("MODULES ", 1)[1].split())


# What a one-file check without configuration must not import (start-up time, issue 10
# item 6): the CLI framework, colour, TOML, Lark; dataclasses (which imports inspect, ast,
# dis, tokenize), typing, json, contextlib, OpenSSL's hashlib; signing (only with strict
# signatures on).
_NOT_ON_THE_ONE_FILE_PATH = {"click", "rich", "tomllib", "lark", "dataclasses", "inspect",
                             "typing", "json", "contextlib", "hashlib", "_hashlib", "datetime",
                             "aether.cli.sigopts", "aether.signing", "aether.cli.group"}


def test_fast_path_imports_no_click_rich_toml_or_lark(tmp_path):
    _project(tmp_path, "plain")
    for argv in (["check", "finding.aether"], ["--check", "clean.aether"],
                 ["check", "clean.aether"], ["--check", "finding.aether"]):
        loaded = _imports_after(argv, tmp_path)
        assert not _NOT_ON_THE_ONE_FILE_PATH & loaded, argv
        assert not [m for m in loaded if m.startswith("aether.signing")], argv
    assert "click" in _imports_after(["check", "-h"], tmp_path)
    loaded = _imports_after(["check", "--json-status", "finding.aether"], tmp_path)
    assert "json" in loaded and "click" not in loaded


def test_fast_path_reads_toml_and_colours_only_when_asked(tmp_path):
    _project(tmp_path, "catalogue")
    loaded = _imports_after(["check", "unbound.aether"], tmp_path)
    assert "tomllib" in loaded and "click" not in loaded
    loaded = _imports_after(["check", "finding.aether"], tmp_path, {"FORCE_COLOR": "1"})
    assert "rich" in loaded and "click" not in loaded


def test_the_one_file_path_knows_the_suppression_files_without_importing_them(tmp_path):
    # the fast path tests for the list files by name (aether.suppressions is not imported
    # when there is none, even in a project with a .aether folder)
    import subprocess
    import sys

    from aether.cli import check_run
    from aether.suppressions import DEFAULT_FILES

    assert check_run.SUPPRESSION_FILES == DEFAULT_FILES
    (tmp_path / ".aether" / "history").mkdir(parents=True)
    (tmp_path / "w.aether").write_text('goal: "g"\nlog(1)\n')
    code = ("import sys, runpy\nsys.argv = ['aether', '--check', 'w.aether']\n"
            "from aether.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('aether.suppressions' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out
