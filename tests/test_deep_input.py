"""Long and deeply nested expressions: every command ends with a status of the table, never a
RecursionError, and `fmt` goes on to the next file when one fails.

A left-associative chain (``1 + 1 + ... + 1``, ``a.b.c...``, ``f()()()...``) is a tree as
deep as it is long, and is ordinary code of its length: it must be checked and formatted.
Only bracket and block nesting has a limit (AE110).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from aether.cli.main import cli
from aether.fmt import ast_shape, format_text
from aether.syntax import parse

G = 'goal: "x"\n'
N = 5000

# name -> (source, expected status of `aether check`)
CASES = {
    "sum": (G + "x: " + " + ".join(["1"] * N) + "\n", 0),
    "product": (G + "x: " + " * ".join(["2"] * N) + "\n", 0),
    "and": (G + "x: " + " and ".join(["true"] * N) + "\n", 0),
    "not": (G + "x: " + "not " * (10 * N) + "true\n", 0),
    "minus": (G + "x: " + "-" * (10 * N) + "1\n", 0),
    "member": (G + "a: 1\nx: a" + ".b" * (20 * N) + "\n", 0),
    "call": (G + "x: f" + "()" * N + "\n", 25),
    "call-350": (G + "x: f" + "()" * 350 + "\n", 25),
    "method": (G + "x: [1]" + ".f()" * N + "\n", 0),
    "method-500": (G + "x: [1]" + ".f()" * 500 + "\n", 0),
    "index": (G + "x: [1]" + "[0]" * N + "\n", 0),
    "call-statement": (G + "log(1)" + ".f()" * N + "\n", 0),
    "step": (G + "workflow:\n    steps:\n        - log(1)" + ".f()" * N + "\n", 0),
    "memory": (G + "memory: remember(1)" + "()" * N + "\n", 0),
    "on_error": (G + "on_error:\n    - when: Timeout\n      do: escalate_to(\"ops\")"
                 + ".f()" * N + "\n", 0),
    "bare-member": (G + "a: 1\na" + ".b" * N + "\n", 20),
    "unfinished-sum": (G + "x: " + " + ".join(["1"] * N) + " +\n", 20),
    "parens": (G + "x: " + "(" * 100_000 + "1" + ")" * 100_000 + "\n", 20),
    "brackets": (G + "x: " + "[" * 100_000 + "]" * 100_000 + "\n", 20),
    "blocks": (G + "".join(" " * i + "if true:\n" for i in range(1000)) + " " * 1000
               + "log(1)\n", 20),
    # as deep as the limits allow: 99 blocks, 99 brackets, long call chains inside
    "deepest-allowed": (G + "".join("    " * i + "if true:\n" for i in range(99)) + "    " * 99
                        + "x: " + "[" * 99 + " + ".join(["log(1)" + ".f()" * 50] * 100)
                        + "]" * 99 + "\n", 0),
}


def aether(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          cwd=cwd, env=dict(os.environ, NO_COLOR="1"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_gives_the_status_of_the_file(tmp_path, name):
    text, status = CASES[name]
    p = tmp_path / f"{name}.aether"
    p.write_text(text)
    for fmt in ("text", "json", "sarif"):
        proc = aether("check", "--no-cache", "--format", fmt, str(p))
        out = proc.stdout + proc.stderr
        assert proc.returncode == status, (fmt, proc.returncode, out[-2000:])
        assert b"Traceback" not in out and b"RecursionError" not in out
        assert b"AE999" not in out


@pytest.mark.parametrize("name", sorted(CASES))
def test_fmt_gives_the_status_of_the_file(tmp_path, name):
    text, status = CASES[name]
    p = tmp_path / f"{name}.aether"
    p.write_text(text)
    proc = aether("fmt", "--check", str(p))
    out = proc.stdout + proc.stderr
    assert proc.returncode == (20 if status == 20 else 0), out[-2000:]
    assert b"Traceback" not in out and b"RecursionError" not in out
    assert b"internal error" not in out


def test_fmt_formats_the_files_after_a_long_chain(tmp_path):
    (tmp_path / "a.aether").write_text(G + "x:  " + " + ".join(["1"] * 500) + "\n")
    (tmp_path / "b.aether").write_text(G + "y:  " + "not " * 50_000 + "true\n")
    (tmp_path / "c.aether").write_text(G + "z:   1\n")
    proc = aether("fmt", "a.aether", "b.aether", "c.aether", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "c.aether").read_text() == G + "z: 1\n"
    assert (tmp_path / "a.aether").read_text().startswith(G + "x: 1 + 1")


def test_a_formatter_bug_on_one_file_does_not_stop_the_others(tmp_path, monkeypatch):
    """The containment itself: whatever format_text raises stays with its file (27)."""
    from aether import fmt as fmt_module

    real = fmt_module.format_text

    def flaky(text):
        if "boom" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text)

    monkeypatch.setattr(fmt_module, "format_text", flaky)
    (tmp_path / "a.aether").write_text(G + "boom: 1\n")
    (tmp_path / "b.aether").write_text(G + "z:   1\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["fmt", "a.aether", "b.aether"])
    assert result.exit_code == 27
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "a.aether" in result.output and "RecursionError" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "b.aether").read_text() == G + "z: 1\n"
    assert (tmp_path / "a.aether").read_text() == G + "boom: 1\n"


def test_ast_shape_of_a_deep_tree_is_flat_and_compares():
    text = G + "x: " + " + ".join(["1"] * 20_000) + "\n"
    a, b = parse(text).module, parse(text.replace(" + ", "+")).module
    assert ast_shape(a) == ast_shape(b)
    assert ast_shape(a) != ast_shape(parse(text.replace("+ 1\n", "- 1\n")).module)
    assert format_text(text.replace(" + ", "+")).text == text


def test_ast_shape_tells_trees_apart():
    shapes = {ast_shape(parse(G + src + "\n").module) for src in (
        "x: f(a, b)", "x: f(a)(b)", "x: f([a, b])",
        "x: a.b", "x: a[b]", "x: [a, b]", "x: [[a], b]", "x: [a, [b]]", "x: 'a'", "x: a",
        "x: -a", "x: not a", "x: a + b", "x: a - b", "x: {a: b}", "x: {b: a}")}
    assert len(shapes) == 16


def test_a_folder_tree_deeper_than_the_recursion_limit_is_searched(tmp_path):
    # os.walk recursed once per level: 1,100 nested folders were RecursionError, exit 27,
    # in every command that searches folders
    levels = [tmp_path]
    for _ in range(1100):
        levels.append(levels[-1] / "a")
        os.mkdir(levels[-1])  # os.makedirs recurses too
    (levels[-1] / "x.aether").write_text('goal:   "x"\n')
    try:
        for args in (("check", "--no-cache", "."), ("fmt", "--check", "."), ("migrate", "."),
                     ("tools", "manifest", ".")):
            proc = subprocess.run([sys.executable, "-m", "aether", *args], cwd=tmp_path,
                                  capture_output=True, text=True)
            assert proc.returncode in (0, 1), (args, proc.stderr[-300:])
            assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    finally:
        # bottom-up by hand: pytest's clean-up of old tmp_path folders (shutil.rmtree)
        # recurses too, and would fail at the end of every later run
        (levels[-1] / "x.aether").unlink()
        for folder in reversed(levels[1:]):
            os.rmdir(folder)


def test_the_folder_walk_visits_what_os_walk_visits(tmp_path):
    from aether.walk import _walk

    for d in ("b/c", "b/d/e", "a", ".hidden/x"):
        os.makedirs(tmp_path / d)
    for f in ("b/c/1.aether", "a/2.aether", "top.aether"):
        (tmp_path / f).write_text("")
    os.symlink("b", tmp_path / "link_to_b")  # listed as a folder, not entered
    os.symlink("nowhere", tmp_path / "dangling.aether")
    os.symlink("..", tmp_path / "b" / "loop")
    norm = lambda rows: [(p, sorted(d), sorted(f)) for p, d, f in rows]  # noqa: E731
    got, want = [], []
    for rows, walk in ((got, _walk(str(tmp_path), lambda e: None)),
                       (want, os.walk(str(tmp_path)))):
        for path, dirs, files in walk:
            dirs.sort()
            rows.append((path, list(dirs), list(files)))
    assert norm(got) == norm(want)
