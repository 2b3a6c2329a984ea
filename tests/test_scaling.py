"""No input is slow: work grows linearly with its size (issue 9, items 3 and 5, "Proven").

Work is counted, not timed: the number of Python and builtin calls made while a command
runs (a profile hook), which does not depend on the machine's load. For sizes n, 2n and
4n the growth from 2n to 4n is compared with the growth from n to 2n (start-up costs
cancel out): linear work gives 2, quadratic 4.
"""

from __future__ import annotations

import fnmatch
import re
import signal
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from aether.checker import check_text
from aether.fmt import format_text
from aether.fmt import expand_indent_tabs
from aether.migrate.engine import _identity_origins, _whitespace_only, migrate_text
from aether.walk import is_excluded

LINEAR = 2.6  # n log n gives about 2.1; quadratic 4


def calls(run) -> int:
    count = 0

    def hook(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(hook)
    try:
        run()
    finally:
        sys.setprofile(None)
    return count


def growth(make, command, n: int) -> float:
    command(make(n))  # warm: caches, lazy imports
    c1, c2, c4 = (calls(lambda k=k: command(make(k))) for k in (n, 2 * n, 4 * n))
    if c4 - c2 <= c2 // 20:
        # no growth to speak of (a text refused at its first lines costs the same at any
        # size): the ratio of two near-zero differences says nothing
        return 0.0
    return (c4 - c2) / max(1, c2 - c1)


def check(text):
    return check_text(text, "t.aether")


def fmt(text):
    try:
        return format_text(text)
    except Exception:  # noqa: BLE001 - a text fmt refuses still costs its parse
        return None


def migrate(text):
    return migrate_text(text, "t.aether")


# ----------------------------------------------------------------- item 3: migrate

@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["x: 1", "x: 1  ", "\ty: 2", "", "  ", "# c ", "z: x"]),
                max_size=30), st.booleans())
def test_whitespace_only_migration_pairs_each_line_with_itself(lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    new = _whitespace_only(text)
    assert _identity_origins(text, new)[:len(text.split("\n"))] == \
        list(range(1, len(text.split("\n")) + 1))


def test_whitespace_only_migration_of_repeated_lines_is_linear():
    def make(n):
        return 'goal: "g"\n' + "".join("x: 1  \n" if i % 2 else "y: 2\n" for i in range(n))

    assert migrate(make(50)).state == "transformed"
    assert growth(make, migrate, 150) <= LINEAR  # difflib's alignment: about 4


# ----------------------------------------------------------------- item 4: names

@pytest.mark.parametrize("make", [
    lambda n: 'goal: "g"\n' + "".join(f"y{i}: z{i}\n" for i in range(n)),
    lambda n: 'goal: "g"\n' + "".join(f"fn f{i}():\n    return g{i}()\n" for i in range(n)),
    lambda n: 'goal: "g"\n' + "".join(f"x{i}: 1\n" for i in range(n)) + "".join(
        f"fn f{i}():\n    return x{i}\n" for i in range(n)),
], ids=["unknown-names", "unknown-functions", "globals-in-fns"])
def test_checking_many_names_is_linear(make):
    assert growth(make, check, 150) <= LINEAR


# ----------------------------------------------------------------- item 5: globs

def old_is_excluded(rel: str, patterns) -> bool:
    """The regular expressions (and fnmatch) used before: the reference for answers."""
    def regex(pattern):
        pattern = pattern.strip().replace("\\", "/").rstrip("/")
        anchored = pattern.startswith("/")
        pattern = pattern.lstrip("/")
        out, i = [], 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                out.append("(?:.*/)?")
                i += 3
            elif pattern.startswith("**", i):
                out.append(".*")
                i += 2
            elif pattern[i] in "*?":
                out.append("[^/]*" if pattern[i] == "*" else "[^/]")
                i += 1
            else:
                j = i
                while j < len(pattern) and pattern[j] not in "*?":
                    j += 1
                out.append(re.escape(pattern[i:j]))
                i = j
        return re.compile(("^" if anchored else "^(?:.*/)?") + "".join(out) + "(?:/.*)?$")

    return any(regex(p).match(rel) or fnmatch.fnmatch(rel, p) for p in patterns if p.strip())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "/", "*", "**", "?", "**/", "[ab]",
                                          "[!a]", "[", "]", "\\", " ", "."]), max_size=6)
                .map("".join), min_size=1, max_size=2),
       st.text(alphabet="ab/.[]", max_size=9))
def test_exclude_globs_answer_as_before(patterns, path):
    assert is_excluded(path, patterns) == old_is_excluded(path, patterns)


@pytest.mark.parametrize("pattern, path", [
    ("*a*a*a*a*a*a*a*b", "a" * 400),
    ("**/" * 8 + "x", "/".join(["a"] * 400) + "/y"),
    ("**/a" * 6 + "/b", "/".join(["a"] * 400)),
])
def test_backtracking_globs_are_linear(pattern, path):
    """Before: `*a*a*a*a*a*a*a*b` took 23 s on a 30-letter name (this one has 400)."""
    def expired(signum, frame):
        raise TimeoutError(f"{pattern!r} still matching after 20 s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        assert not is_excluded(path, [pattern])
        counts = [calls(lambda k=k: is_excluded(path[:k], [pattern]))
                  for k in (100, 200, 400)]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert counts[2] - counts[1] <= LINEAR * max(1, counts[1] - counts[0])


# ----------------------------------------------------------------- item 5: workers

def test_workers_are_capped(monkeypatch):
    from aether import runner

    monkeypatch.setattr(runner, "default_jobs", lambda: 2)
    assert runner.resolve_jobs(None, None) == (2, None)
    assert runner.resolve_jobs(None, 100000)[0] == 2
    assert "configuration" in runner.resolve_jobs(None, 100000)[1]
    assert runner.resolve_jobs(6, 100000) == (6, None)  # asked on the command line
    jobs, warning = runner.resolve_jobs(400, None)
    assert jobs == 2 * runner.MAX_JOBS_PER_CPU and "--jobs 400" in warning
    assert runner.resolve_jobs(8, None, files=3) == (3, None)
    assert runner.resolve_jobs(None, None, files=0) == (1, None)


def test_configured_jobs_start_no_more_workers_than_cpus(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from aether import runner, workers
    from aether.cli.main import cli

    for i in range(100):
        (tmp_path / f"f{i}.aether").write_text(f'goal: "g"\nx: {i}\n')
    (tmp_path / "aether.toml").write_text("jobs = 1000\n")  # in range (1-1024), over the CPUs
    monkeypatch.setattr(runner, "default_jobs", lambda: 2)
    asked = []
    real = workers.run_ranges

    def spy(work, count, ranges, handle, consume, jobs, **kwargs):
        asked.append(jobs)
        return real(work, count, ranges, handle, consume, min(jobs, 2), **kwargs)

    monkeypatch.setattr(workers, "run_ranges", spy)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--no-cache", "."])
    assert result.exit_code == 0, result.output
    assert asked and max(asked) <= 2
    assert "jobs = 1000 in the configuration" in result.output


# ----------------------------------------------------------------- "Proven"

STATEMENTS = ['x{i}: {i} + 1', 'summarize("t{i}")', 'y{i}: z{i}', 'v{i}: [1, 2, "s"]',
              'if x{i} > 1:\n    w{i}: 2', 'fn f{i}(a, b=1):\n    return a + b',
              'n{i} = 3', 'q{i}: unknown_{i}(1)', 'r{i}:   {i}   ', '\tt{i}: 1',
              '# comment {i}', 'on_error:\n    - when: Timeout\n      do: retry(1)']


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=6),
       st.sampled_from([check, fmt, migrate]))
def test_work_per_byte_does_not_grow(templates, command):
    def make(n):
        body = "".join(templates[i % len(templates)].format(i=i) + "\n" for i in range(n))
        return 'goal: "g"\n' + body

    # 150 of each statement and up: past the size (suggest.EXACT_LIMIT, 128 names) below
    # which did-you-mean searches a whole scope, a bounded cost that looks quadratic when
    # small. 150 statements in all were not enough: with one name-binding template in two
    # (`y: z` and a comment), 75 names at the smallest size crossed that limit on the way
    # to the largest, and fmt's "growth" read 3.1
    assert growth(make, command, 150 * len(templates)) <= LINEAR


@pytest.mark.parametrize("item", ["1,", "[1],", "f(\n1),"])
def test_formatting_a_bracket_of_many_rows_reads_each_token_a_bounded_number_of_times(item):
    # each row of a logical line copied the rest of the line's tokens (to count the closing
    # brackets it starts with): a list literal of n rows cost n**2 / 2, and `aether fmt` on
    # a 1.5 MB file of one-item rows ran for hours. Counted, not timed: the token reads.
    from aether.fmt import _logical_lines, _render_tokens

    class Counted(list):
        reads = 0

        def __getitem__(self, at):
            got = super().__getitem__(at)
            Counted.reads += len(got) if isinstance(at, slice) else 1
            return got

    text = 'goal: "g"\nx: [\n' + f"{item}\n" * 2000 + "]\n"
    format_text(text)  # formats as it is
    line = max(_logical_lines(text)[0], key=lambda ln: len(ln.tokens))
    tokens = Counted(line.tokens)
    _render_tokens(tokens, False)
    assert Counted.reads <= 3 * len(tokens)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["x: 1", " ", "\t", "\f", "\v", "  y", "# c  ", "\n", "é"]),
                max_size=40).map("".join))
def test_whitespace_only_migration_strips_what_the_pattern_stripped(text):
    # the old pattern, `[ \t\f\v]+$` (re.M), applied once per file: the same text
    old = re.sub(r"[ \t\f\v]+$", "", expand_indent_tabs(text), flags=re.M)
    if old and not old.endswith("\n"):
        old += "\n"
    assert _whitespace_only(text) == old


def test_whitespace_only_migration_of_a_long_blank_run_is_linear():
    """Before: the pattern was tried again from each blank of a run that does not end its
    line, n**2 / 2 steps for n blanks before a token (80,000: 26 s; this has 300,000)."""
    def expired(signum, frame):
        raise TimeoutError("still stripping after 20 s")

    text = 'goal: "g"\nx:' + " " * 300_000 + "1  \n"
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        assert _whitespace_only(text) == text.replace("1  ", "1")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
