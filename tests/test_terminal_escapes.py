"""A repository's file names and source text never reach a terminal or a CI log as raw
control characters: an escape sequence (colours, a cleared screen, an OSC 8 link, a
window title) in a file name or a quoted source character is shown as a placeholder by
every command that prints it, not only by `check`'s text report.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

NAME = "x\x1b[31mRED\x07\x9b2J.aether"


def run(*args, cwd):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    # an unknown function (a finding), then a raw escape character (a parse error that
    # quotes it); fmt and migrate name the file and quote the character
    (tmp_path / NAME).write_text('goal: "g"\nbar(1)\n\x1b[2J\n')
    (tmp_path / "b.aether").write_text('goal: "g"\nbar(1)\n')
    return tmp_path


@pytest.mark.parametrize("args", [
    ["check", "--no-cache", "--format", "github"],  # the annotations GitHub shows
    ["fmt"], ["fmt", "--check"], ["fmt", "--diff"],
    ["migrate"], ["migrate", "--check"],
    ["verify"], ["verify", "-v"],
])
def test_no_raw_control_character_is_printed(project, args):
    proc = run(*args, ".", cwd=project)
    assert "Traceback" not in proc.stderr
    printed = proc.stdout + proc.stderr
    if args[0] != "check":  # the summary or the message names the file
        assert "x\u241b[31mRED\u2407" in printed, printed
    for ch in ("\x1b", "\x07", "\x9b"):
        assert ch not in printed, (ch, printed)


def test_github_annotation_keeps_its_escapes(project):
    """CR, LF, '%', ':' and ',' keep GitHub's percent-encoding; only the other invisible
    characters become placeholders."""
    (project / "c%,:\r.aether").write_text('goal: "g"\nbar(1)\n')
    proc = run("check", "--no-cache", "--format", "github", "c%,:\r.aether", cwd=project)
    assert proc.stdout.startswith("::error file=c%25%2C%3A%0D.aether,line=2,"), proc.stdout


def test_run_diagnostics_show_the_workflows_text_as_placeholders(tmp_path):
    """`run --simulate` is safe on untrusted input: the error message a workflow chooses
    (and the trace that repeats it) is shown with placeholders, not obeyed (click strips
    colour sequences only when not on a terminal, and never a bell or an OSC title)."""
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "w.aether").write_text(
        'goal: "g"\nverify(false, "\\u0007\\u001b]0;owned\\u0007\\u001b[2J\\u009b1m")\n')
    for args in (["run", "--simulate", "w.aether"], ["run", "--simulate", "--trace",
                                                     "w.aether"]):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 21, proc.stderr
        assert "AE414" in proc.stderr and "\u2407\u241b]0;owned" in proc.stderr
        for ch in ("\x1b", "\x07", "\x9b"):
            assert ch not in proc.stderr, (ch, proc.stderr)


# ------------------------------------------------------------------ Markdown reports

CR_NAME = "a\r\r# LGTM: merge me\r\r\x1b[2J.aether"


def _lines_outside_tables(markdown: str) -> list[str]:
    """The lines of ``markdown`` (CommonMark: CR, LF and CRLF all end a line)."""
    return markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def test_markdown_reports_keep_a_file_name_on_its_line(tmp_path):
    """A file name with CRs (or LFs) cannot end the table row or list item of a report for
    a pull request and start a heading of its choosing (`gate --markdown`,
    `classify --markdown`, `migrate --report`); escapes become placeholders."""
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "ok.aether").write_text('goal: "g"\n')
    (tmp_path / CR_NAME).write_text('goal: "g"\nbar(1)\n')
    (tmp_path / "legacy.aether").write_text('goal: "g"\nx = 1\n')
    assert run("baseline", "--no-cache", "ok.aether", "-o", "ref.json",
               cwd=tmp_path).returncode == 0
    assert run("baseline", "--no-cache", ".", "-o", "new.json", cwd=tmp_path).returncode == 0
    gate = run("gate", "--new", "new.json", "--ref", "ref.json", "--no-suppressions",
               "--mode", "fingerprints", "--markdown", "gate.md", cwd=tmp_path)
    assert gate.returncode == 1, gate.stderr
    classify = run("classify", "-j", "1", "--no-history", "-o", "c.json", "--markdown",
                   "c.md", ".", cwd=tmp_path)
    assert classify.returncode == 0, classify.stderr
    run("migrate", "--report", "m.md", CR_NAME, "legacy.aether", cwd=tmp_path)
    for report in ("gate.md", "c.md", "m.md"):
        text = (tmp_path / report).read_bytes().decode("utf-8")
        assert "LGTM" in text, report
        assert not any(line.startswith("# LGTM") for line in _lines_outside_tables(text)), \
            (report, text)
        assert "\x1b" not in text and "\u241b[2J" in text, (report, text)


def test_gate_sign_off_markdown_keeps_a_gate_name_on_its_line(tmp_path):
    from aether.fleet.gates import sign_off_markdown

    doc = {"_meta": {"profile": "p\r\r# GO", "ts": "t"},
           "x\r\r# GO\x1b[2J": {"ok": False, "mandatory": True, "manual": False,
                                "duration_sec": 0.0, "details": {"summary": "s\r\r# GO"}}}
    text = sign_off_markdown(doc)
    assert not any(line.startswith("# GO") for line in _lines_outside_tables(text)), text
    assert "\x1b" not in text and "x  # GO\u241b[2J" in text


def test_suppressions_list_and_prune_show_the_lists_text_as_placeholders(tmp_path):
    """An owner or comment of a suppression list is the repository's text."""
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text('goal: "g"\n')
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text(
        "3f9a0c1d2e4b5a67  owner=\x1b]0;pwn\x07x expires=2020-01-01  # \x1b[2Jwhy\x07\n")
    for args in (["suppressions", "list"], ["suppressions", "list", "a.aether"],
                 ["suppressions", "prune", "--dry-run", "a.aether"]):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "\u241b[2Jwhy\u2407" in proc.stdout, proc.stdout
        for ch in ("\x1b", "\x07"):
            assert ch not in proc.stdout + proc.stderr, (args, proc.stdout)


def test_configuration_keys_cache_folder_and_gate_names_are_shown_not_obeyed(tmp_path):
    """An unknown configuration key, a `cache-dir` outside the project and a declared
    gate's name are the repository's text in a warning or a result line."""
    (tmp_path / "aether.toml").write_text(
        '"\\u001b]0;k\\u0007" = 1\ncache-dir = "/tmp/\\u001b]0;c\\u0007"\n'
        '[gates."\\u001b]0;g\\u0007"]\nkind = "manual"\n')
    (tmp_path / "a.aether").write_text('goal: "g"\n')
    (tmp_path / "b.aether").write_text('goal: "g"\n')
    check = run("check", "a.aether", "b.aether", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "unknown key" in check.stderr and "cache not saved" in check.stderr
    gates = run("gates", "--gates", "\x1b]0;g\x07", "-o", "g.json", "--markdown", "g.md",
                cwd=tmp_path)
    assert gates.returncode == 0 and "0;g" in gates.stderr, gates.stderr
    for proc in (check, gates):
        for ch in ("\x1b", "\x07"):
            assert ch not in proc.stdout + proc.stderr, proc.stderr



def test_runs_and_stats_show_the_databases_workflow_names_as_placeholders(tmp_path):
    """The state database is data (a repository may commit one): a workflow name in it
    holding an OSC title or a bell is shown, not obeyed."""
    import sqlite3

    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "w.aether").write_text('goal: "g"\nx: 1\n')
    assert run("run", "w.aether", cwd=tmp_path).returncode == 0
    db = sqlite3.connect(tmp_path / ".aether" / "state.db")
    db.execute("UPDATE runs SET workflow = ?", ("w\x1b]0;owned\x07.aether",))
    db.commit()
    db.close()
    for args in (["runs"], ["stats"]):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "w\u241b]0;owned\u2407.aether" in proc.stdout, proc.stdout
        for ch in ("\x1b", "\x07"):
            assert ch not in proc.stdout, (args, proc.stdout)


def test_gate_markdown_shows_a_forged_rule_and_an_owner_as_text(tmp_path):
    """A pull request controls its baseline's rule fields and the suppression list's
    owners: in `gate --markdown` neither may end its list item (CR), break out of the
    row (`|`), or carry an escape sequence into the comment."""
    from datetime import date

    from aether.baseline import build_baseline, dumps, parse_baseline
    from aether.checker import check_text
    from aether.gate import run_gate, to_markdown
    from aether.suppressions import SuppressionList, parse_text

    ref = parse_baseline(dumps(build_baseline([check_text('goal: "g"\n', "a.aether")])))
    data = build_baseline([check_text('goal: "g"\nbar(1)\n', "a.aether")])
    fp = data["files"][0]["findings"][0]["fingerprint"]
    data["files"][0]["findings"][0]["rule"] = "AE301\r\r# LGTM\x1b[2J|"
    new = parse_baseline(dumps(data))
    slist = SuppressionList(parse_text(f"{fp} owner=o\x1b]0;t\x07|`x expires=2020-01-01\n",
                                       "s.txt"), ["s.txt"])
    text = to_markdown(run_gate(new, ref, suppressions=slist, today=date(2030, 1, 1)))
    assert "Expired suppressions (1)" in text and "LGTM" in text, text
    assert not any(line.startswith("# LGTM") for line in _lines_outside_tables(text)), text
    for ch in ("\x1b", "\x07", "`x"):
        assert ch not in text, (ch, text)
    assert "\u241b[2J\\|" in text and "o\u241b]0;t\u2407\\|'x" in text, text


def test_a_bad_suppression_entry_is_quoted_not_obeyed(tmp_path):
    """The first word of a suppression entry that is not a fingerprint is repeated in the
    error of every command that reads the list: as text, not as the escape it holds."""
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text('goal: "g"\n')
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text("\x1b]0;pwn\x07\x1b[2J\n")
    for args, status in ((["check", "a.aether"], 26), (["suppressions", "list"], 2)):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == status, proc.stderr
        assert "is not a fingerprint" in proc.stderr and "]0;pwn" in proc.stderr, proc.stderr
        for ch in ("\x1b", "\x07"):
            assert ch not in proc.stdout + proc.stderr, (args, proc.stderr)


@pytest.mark.parametrize("args, status", [
    (["baseline", "-o", "b.json", "DANGLING"], 2),  # `aether baseline *.aether`
    (["classify", "--no-history", "-o", "c.json", "DANGLING"], 2),
    (["check", "--config", "DANGLING", "a.aether"], 26),
    (["gate", "--new", "b.json", "--ref", "b.json", "--suppressions", "DANGLING"], 2),
    (["suppressions", "list", "--suppressions", "DANGLING"], 2),
])
def test_a_path_in_a_commands_error_is_shown_not_obeyed(tmp_path, args, status):
    """A file name a command cannot use (here a dangling link a shell glob handed over)
    is repeated in its one-line error as text: the escape sequence it holds is shown."""
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text('goal: "g"\n')
    assert run("baseline", "-o", "b.json", "a.aether", cwd=tmp_path).returncode == 0
    name = "d\x1b]0;pwn\x07.aether"
    os.symlink("nowhere", tmp_path / name)
    proc = run(*[name if a == "DANGLING" else a for a in args], cwd=tmp_path)
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr and "d\u241b]0;pwn\u2407.aether" in proc.stderr, \
        proc.stderr
    for ch in ("\x1b", "\x07"):
        assert ch not in proc.stdout + proc.stderr, (args, proc.stderr)


def test_trends_shows_a_forged_timestamp_as_text(tmp_path):
    """trends.json lies in the project (`.aether/history`), so a repository can commit
    one: its timestamps are drawn in `aether trends`' table as text, neither read as rich
    markup (`[/x]` was an internal error, exit 27; `[b]x[/b]` was drawn as a bold x) nor
    passing an escape sequence to the terminal."""
    import json

    (tmp_path / "aether.toml").write_text("")
    history = tmp_path / ".aether" / "history"
    history.mkdir(parents=True)
    entry = {"file": "w.json", "failed": 0, "total": 1, "failure_rate": 0.0,
             "by_category": {}}
    (history / "trends.json").write_text(json.dumps(
        [dict(entry, timestamp="[/x]\x1b]0;pwn\x07"), dict(entry, timestamp="[b]x[/b]")]))
    proc = run("trends", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[/x]\u241b]0;pwn\u2407" in proc.stdout and "[b]x[/b]" in proc.stdout, proc.stdout
    for ch in ("\x1b", "\x07"):
        assert ch not in proc.stdout + proc.stderr, proc.stdout


@pytest.mark.parametrize("args", [["check", "a.aether"], ["check", "--format", "json", "."],
                                  ["baseline", "."], ["suppressions", "list", "."]])
def test_a_configured_rule_pattern_is_quoted_not_obeyed(tmp_path, args):
    """A `select` pattern that matches no rule is the configuration's text, repeated in
    the usage error of every command that reads it."""
    (tmp_path / "aether.toml").write_text('select = ["Z\\u001b]0;pwn\\u0007"]\n')
    (tmp_path / "a.aether").write_text('goal: "g"\n')
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "matches no rule" in proc.stderr and "]0;PWN" in proc.stderr, proc.stderr
    for ch in ("\x1b", "\x07"):
        assert ch not in proc.stdout + proc.stderr, (args, proc.stderr)


def _run_on_a_terminal(*args, cwd) -> str:
    """What `aether ARGS` writes to standard output when that is a terminal (a pty)."""
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "aether", *args], cwd=cwd,
                              stdout=follower, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, NO_COLOR="1"), timeout=120)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed, all is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert "Traceback" not in proc.stderr, proc.stderr
    return b"".join(chunks).decode("utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="no pseudo-terminals")
@pytest.mark.parametrize("args", [["fmt", "--diff", "f.aether"], ["migrate", "m.aether"]])
def test_a_diff_on_a_terminal_shows_a_comments_escapes(tmp_path, args):
    """A comment may hold any character, and a diff quotes the comments around a change:
    on a terminal they are placeholders (piped, the diff stays exact for `patch -p0`)."""
    comment = "# \x1b]0;pwn\x07 \x1b[2J hi\n"
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "f.aether").write_text(f'goal:   "g"\n{comment}x:   1\n')
    (tmp_path / "m.aether").write_text(f'goal: "g"\n{comment}x = 1\n')
    shown = _run_on_a_terminal(*args, cwd=tmp_path)
    assert "\u241b]0;pwn\u2407 \u241b[2J hi" in shown, shown
    for ch in ("\x1b", "\x07"):
        assert ch not in shown, shown
    piped = run(*args, cwd=tmp_path)
    assert comment in piped.stdout, piped.stdout
