"""Absurd numbers and malformed documents end as a usage error (exit 2) or an input error with
its documented status and a message naming the value, file or key: never exit 27 or a
traceback. Inputs: every numeric option, the gate's JSON inputs (baseline, migration report)
with every field of the wrong type or nested 100,000 deep, configuration files, the cache.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys

import pytest
from aether.cli.main import main

DEEP = 100_000


def run(*args, cwd=None):
    """The real entry point in-process (as `aether` runs it: click outside standalone mode
    and the last-line handler), with stdout and stderr captured."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    texts = []
    for stream in (out, err):
        stream.flush()
        texts.append(stream.buffer.getvalue().decode("utf-8", "replace"))
    return code, texts[0], texts[1]


def assert_refused(result, code, *named):
    status, out, err = result
    assert status == code, (status, out, err)
    assert "Traceback" not in out + err and "internal error" not in out + err
    for text in named:
        assert text in err, (text, err)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "a.aether").write_text('goal: "x"\nlog(1)\nfoo(1)\n')
    (tmp_path / "b.aether").write_text('goal: "x"\nbar(1)\n')
    status, out, err = run("baseline", "--isolated", "--no-cache", "a.aether", "b.aether",
                           "-o", "base.json", cwd=tmp_path)
    assert status == 0, err
    return tmp_path


# ------------------------------------------------------------------ numeric options

HUGE = "9223372036854775807"
BAD_NUMBERS = [
    (["check", "--max-file-size", HUGE, "a.aether"], "--max-file-size", HUGE),
    (["check", "--max-file-size", "99999999999999999999999", "a.aether"], "--max-file-size",
     "99999999999999999999999"),
    (["check", "--max-file-size", "0", "a.aether"], "--max-file-size", "0"),
    (["check", "--max-file-size", "-1", "a.aether"], "--max-file-size", "-1"),
    (["check", "-j", HUGE, "a.aether"], "--jobs", HUGE),
    (["check", "-j", "0", "a.aether"], "--jobs", "0"),
    (["check", "-j", "-3", "a.aether"], "--jobs", "-3"),
    (["baseline", "-j", HUGE, "a.aether"], "--jobs", HUGE),
    (["migrate", "-j", HUGE, "a.aether"], "--jobs", HUGE),
    (["migrate", "-j", "0", "a.aether"], "--jobs", "0"),
] + [
    (["gate", "--new", "base.json", "--ref", "base.json", option, value], option, value)
    for option in ("--abs-threshold", "--rel-threshold")
    for value in ("inf", "-inf", "nan", "1e400", "-1", "Infinity")
]


@pytest.mark.parametrize("args,option,value", BAD_NUMBERS,
                         ids=[" ".join(a[:1] + a[-2:] if a[0] != "gate" else a[-2:])
                              for a, _, _ in BAD_NUMBERS])
def test_absurd_numbers_are_usage_errors(project, args, option, value):
    assert_refused(run(*args, cwd=project), 2, option, value)


def test_the_largest_accepted_sizes_work(project):
    """The top of each range is usable: no allocation of max-file-size bytes up front."""
    status, _, err = run("check", "--isolated", "--no-cache", "--max-file-size",
                         str(2 ** 40), "-j", "1024", "a.aether", cwd=project)
    assert status == 25, err
    status, _, err = run("gate", "--new", "base.json", "--ref", "base.json",
                         "--abs-threshold", "1e300", "--rel-threshold", "1e300", cwd=project)
    assert status == 0, err


@pytest.mark.parametrize("setting", ["jobs = 100000", "jobs = 0", f"max-file-size = {HUGE}",
                                     "max-file-size = -1", "jobs = 1.5", "jobs = true"])
def test_absurd_numbers_in_configuration_are_config_errors(project, setting):
    (project / "aether.toml").write_text(setting + "\n")
    key = setting.split(" ")[0]
    for command in (["check", "a.aether"], ["fmt", "--check", "a.aether"]):
        assert_refused(run(*command, cwd=project), 26, "aether.toml", f"'{key}'",
                       setting.split(" = ")[1])
    assert_refused(run("baseline", "a.aether", cwd=project), 2, "aether.toml", f"'{key}'")


# ------------------------------------------------------------------ configuration files

@pytest.mark.parametrize("text,named", [
    ('tool = "x"\n# [tool.aether]\n', "'tool' must be a table"),
    ("[tool]\naether = 3\n# [tool.aether]\n", "[tool.aether] must be a table"),
    ('[tool]\naether = "x"\n# [tool.aether]\n', "[tool.aether] must be a table"),
    ("[tool]\naether = [1]\n# [tool.aether]\n", "[tool.aether] must be a table"),
    ("x = " + "[" * DEEP + "]" * DEEP + "\n# [tool.aether]\n", "nested too deeply"),
    ("[tool.aether]\nselect = " + "[" * DEEP + "]" * DEEP + "\n", "nested too deeply"),
    ("[tool.aether]\nx = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", "nested too deeply"),
    # more digits than int() converts: tomllib raised a plain ValueError (was exit 27)
    ("[tool.aether]\njobs = " + "9" * 5000 + "\n", "not valid TOML"),
])
def test_malformed_pyproject_is_a_config_error(project, text, named):
    (project / "pyproject.toml").write_text(text)
    assert_refused(run("check", "a.aether", cwd=project), 26, "pyproject.toml", named)
    assert_refused(run("fmt", "--check", "a.aether", cwd=project), 26, "pyproject.toml")
    assert_refused(run("baseline", "a.aether", cwd=project), 2, "pyproject.toml", named)
    # named explicitly, even without the `[tool.aether` text that discovery looks for
    (project / "pyproject.toml").write_text(text.replace("# [tool.aether]\n", ""))
    assert_refused(run("check", "--config", "pyproject.toml", "a.aether", cwd=project), 26,
                   "pyproject.toml", named)


def test_aether_toml_whose_table_is_not_a_table(project):
    (project / "aether.toml").write_text("aether = 3\n")
    assert_refused(run("check", "a.aether", cwd=project), 26, "[aether] must be a table")


# ------------------------------------------------------------------ baselines

WRONG_VALUES = [None, 1, 1.5, "x", True, [], {}, [1], {"a": 1}]


def _paths(value, at=()):
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, at + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, at + (i,))


def _replaced(doc, at, value):
    if not at:
        return value
    doc = copy.deepcopy(doc)
    cur = doc
    for k in at[:-1]:
        cur = cur[k]
    cur[at[-1]] = value
    return doc


def test_every_field_of_a_baseline_of_the_wrong_type(project):
    """Each field of a real baseline (one with findings, a listed and an inline
    suppression), replaced by each JSON type in turn, as --new and as --ref: the gate
    passes, fails or refuses the file (exit 0, 1, 2), naming it; never exit 27."""
    (project / "b.aether").write_text('goal: "x"\nbar(1)  # aether: ignore[AE301] -- ok\n'
                                      'baz(1)\n')
    run("baseline", "--isolated", "--no-cache", "a.aether", "b.aether", "-o", "base.json",
        cwd=project)
    doc = json.loads((project / "base.json").read_text())
    listed = next(f for e in doc["files"] for f in e["findings"] if "baz" in f["message"])
    (project / "list.txt").write_text(f"{listed['fingerprint']} -- accepted\n")
    status, _, err = run("baseline", "--isolated", "--no-cache", "--suppressions",
                         "list.txt", "a.aether", "b.aether", "-o", "base.json", cwd=project)
    doc = json.loads((project / "base.json").read_text())
    assert any(f.get("by") == "list" for e in doc["files"] for f in e["suppressed"])
    empty = dict(doc, files=[], by_code={})
    (project / "empty.json").write_text(json.dumps(empty))
    failures = []
    for at in _paths(doc):
        for value in WRONG_VALUES:
            (project / "mut.json").write_text(json.dumps(_replaced(doc, at, value)))
            for new, ref in (("mut.json", "empty.json"), ("empty.json", "mut.json"),
                             ("mut.json", "base.json")):
                status, out, err = run("gate", "--new", new, "--ref", ref, "--suppressions",
                                       "list.txt", "--markdown", "md.md", cwd=project)
                if status not in (0, 1, 2) or "Traceback" in err or (
                        status == 2 and "mut.json" not in err):
                    failures.append((at, value, new, status, err[-200:]))
    assert not failures, failures[:5]


@pytest.mark.parametrize("text,named", [
    ("[" * DEEP + "]" * DEEP, "nested too deeply"),
    ('{"by_code": {}, "files": [], "x": ' + "[" * 500 + "]" * 500 + "}", "nested too deeply"),
    ('{"by_code": {}, "files": [], "_meta": ' + '{"a": ' * 150 + "1" + "}" * 150 + "}",
     "nested too deeply"),
    ('{"by_code": {"SUCCESS": NaN}, "files": []}', "NaN"),
    ('{"by_code": {}, "files": [], "_meta": null}', "'_meta' must be an object"),
    ('{"by_code": {}, "_meta": {"fingerprint": "aether/v1"}, "files": [{"path": "a", '
     '"findings": [{"fingerprint": "0", "code_name": "PARSE_ERROR", "line": "3"}]}]}',
     "files[0].findings[0].line must be a whole number or null"),
    ('{"by_code": {}, "_meta": {"fingerprint": "aether/v1"}, "files": [{"path": "a", '
     '"findings": [{"fingerprint": "0", "code_name": "PARSE_ERROR", "message": 7}]}]}',
     "files[0].findings[0].message must be a string or null"),
    ('{"by_code": {}, "files": [{"path": "a", "line": [1]}]}', "files[0].line"),
])
def test_malformed_baseline_is_an_input_error(project, text, named):
    (project / "bad.json").write_text(text)
    for new, ref in (("bad.json", "base.json"), ("base.json", "bad.json")):
        assert_refused(run("gate", "--new", new, "--ref", ref, cwd=project), 2, "bad.json",
                       named)


# ------------------------------------------------------------------ migration reports

@pytest.mark.parametrize("text", [
    "[" * DEEP + "]" * DEEP,
    '{"fingerprint_remap": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
    '{"fingerprint_remap": {"a": NaN}}',
    "\xff",
])
def test_malformed_remap_is_an_input_error(project, text):
    (project / "report.json").write_bytes(text.encode("utf-8", "surrogateescape")
                                          if text != "\xff" else b"\xff{}")
    (project / "list.txt").write_text("0123456789abcdef -- x\n")
    assert_refused(run("gate", "--new", "base.json", "--ref", "base.json", "--remap",
                       "report.json", "--no-suppressions", cwd=project), 2, "report.json")
    assert_refused(run("suppressions", "remap", "report.json", "--suppressions", "list.txt",
                       cwd=project), 2, "report.json")
    assert (project / "list.txt").read_text() == "0123456789abcdef -- x\n"


# ------------------------------------------------------------------ the result cache

@pytest.mark.parametrize("entries", [
    "[" * DEEP + "]" * DEEP,
    '{"format": 3, "stamps": {"a.aether": 5}, "results": {}}',
    '{"format": 3, "stamps": {"a.aether": ["S"]}, "results": {}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": {"a.aether": [1, 2, 3]}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": {"a.aether": 7}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": {"a.aether": [[], []]}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": '
    '{"a.aether": [[{"rule": "AE999x", "message": "m"}], []]}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": '
    '{"a.aether": [[{"rule": "AE301", "message": 3}], []]}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": '
    '{"a.aether": [[{"rule": "AE301", "message": "m", "line": "x"}], []]}}',
    '{"format": 3, "stamps": {"a.aether": "S"}, "results": '
    '{"a.aether": [[{"rule": "AE301", "message": "m", "line": [[[]]]}], []]}}',
    '{"format": 3, "stamps": [], "results": {}}',
    '{"format": 3, "stamps": {}, "results": []}',
    '{"format": NaN}',
])
def test_a_corrupt_cache_is_ignored(project, entries):
    """Whatever the cache files hold, the check reports the files' own findings."""
    cache = project / "cache"
    args = ("check", "--isolated", "--cache-dir", str(cache), "--format", "json", "-j", "1",
            "a.aether", "b.aether")
    status, first, err = run(*args, cwd=project)
    assert status == 25, err
    files = list(cache.rglob("*.json"))
    assert files
    for f in files:
        text = entries
        if '"S"' in entries:  # the right stamp (digest and stat), so the result is used
            stored = json.loads(f.read_text())["stamps"]["a.aether"]
            text = entries.replace('"S"', json.dumps(stored))
        f.write_text(text)
    status, again, err = run(*args, cwd=project)
    assert status == 25 and "Traceback" not in err, err
    assert json.loads(again)["files"] == json.loads(first)["files"]


def test_console_script_never_prints_a_traceback(project):
    """The same through a real process (what CI runs)."""
    proc = subprocess.run([sys.executable, "-m", "aether", "gate", "--new", "base.json",
                           "--ref", "base.json", "--abs-threshold", "1e400"],
                          capture_output=True, text=True, cwd=project)
    assert proc.returncode == 2 and "'1e400' is not a finite number" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- number literals in a workflow -------------------------------------------------------

@pytest.mark.parametrize("literal", [
    "9" * 5000,  # int() refuses it past 4,300 digits: was exit 27 in check, fmt and run
    "99999999999999999999999999",
    "9223372036854775809",
    "1e999999", "-1e999999",  # infinite: run then failed inside a tool with OverflowError
    "9" * 400 + "h",  # an infinite duration
    "{99999999999999999999: 1}",
])
@pytest.mark.parametrize("command", [("check",), ("fmt", "--check"), ("run",)])
def test_a_number_literal_out_of_range_is_a_syntax_finding(tmp_path, literal, command):
    (tmp_path / "t.aether").write_text(f'goal: "x"\nx: {literal}\nlog(x)\n')
    code, out, err = run(*command, "t.aether", cwd=tmp_path)
    assert code == 20, err
    assert "AE112" in out + err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("literal", ["9223372036854775807", "-9223372036854775808", "1e308",
                                     "0000000000000000000000000001", "1e-999999",
                                     "999999999999h"])
def test_a_number_literal_in_range_passes(tmp_path, literal):
    (tmp_path / "t.aether").write_text(f'goal: "x"\nx: {literal}\nlog(x)\n')
    assert run("check", "t.aether", cwd=tmp_path)[0] == 0


@pytest.mark.parametrize("content, says", [
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ('{"x": NaN}', "NaN is not a JSON value"),
    (b"\xff", "not UTF-8 text"),
    ("[1]", "must hold a JSON object"),
])
def test_run_inputs_file_errors_name_the_file_once(tmp_path, content, says):
    (tmp_path / "r.aether").write_text('goal: "x"\nlog("hi")\n')
    path = tmp_path / "in.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _, err = run("run", "--inputs", "in.json", "r.aether", cwd=tmp_path)
    assert code == 26, err
    assert says in err and err.count("in.json") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["0s", "0", "0ms", "9" * 400 + "h"])
def test_run_timeout_must_be_above_zero_and_finite(tmp_path, value):
    # 0s silently meant the default 300 s; 400 digits meant no limit at all
    (tmp_path / "r.aether").write_text('goal: "x"\nlog("hi")\n')
    code, _, err = run("run", "--timeout", value, "r.aether", cwd=tmp_path)
    assert code == 2 and "above zero and finite" in err, err
