"""`aether migrate`: golden before/after pairs per rule, never-worse, reports, CLI, file safety.

Golden pairs live in tests/migrate_golden/<rule id>-<name>/ (written for this project, not
taken from the corpus). After a deliberate change, regenerate the `after` files with
``AETHER_UPDATE_MIGRATE_GOLDEN=1 pytest tests/test_migrate.py -k golden`` and review the
diff like any other code change.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aether.checker import check_text
from aether.cli.main import cli
from aether.codes import Status
from aether.migrate import RULES, RuleSelection, migrate_file, migrate_text
from aether.migrate.engine import MigrateOptions
from aether.migrate.report import to_json, write_markdown
from aether.migrate.tokens import count_comments

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "migrate_golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
UPDATE = bool(os.environ.get("AETHER_UPDATE_MIGRATE_GOLDEN"))

LEGACY = ('# flow\n'
          'intent: "Tidy the queue"\n'
          'define limit as 3\n'
          'if limit > 2\n'
          '    log("big")\n'
          'end\n')
CANONICAL = 'goal: "demo"\n\nif true:\n    log("hi")  # note\n'


def parse_errors(text: str) -> list:
    return [f for f in check_text(text, "x.aether").findings if f.status == Status.PARSE_ERROR]


def run(*args, cwd=None, input=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, input=input)


# ---------------------------------------------------------------- golden pairs

@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    folder = GOLDEN / case
    before = (folder / "before.aether").read_text(encoding="utf-8")
    out = migrate_text(before, "before.aether")
    assert out.state == "transformed", out.reason
    rule_id = case.split("-")[0]
    assert rule_id in out.rules
    if UPDATE:
        (folder / "after.aether").write_text(out.text, encoding="utf-8", newline="")
    expected = (folder / "after.aether").read_text(encoding="utf-8")
    assert out.text == expected
    assert not parse_errors(out.text)
    assert migrate_text(out.text, "after.aether").state == "unchanged"
    assert count_comments(before) == count_comments(out.text)


def test_every_rule_has_a_golden_pair():
    # a rule may have more pairs (`M029-imports-into-require`), named after it
    for r in RULES.values():
        assert f"{r.id}-{r.name}" in CASES, f"no golden pair for {r.id} {r.name}"
    for case in CASES:
        assert case.split("-")[0] in RULES, f"golden pair {case} names no rule"


def test_rule_docs_mention_every_rule():
    doc = (ROOT / "docs" / "migrate.md").read_text(encoding="utf-8")
    for r in RULES.values():
        assert f"{r.id}" in doc and r.name in doc


# ---------------------------------------------------------------- the engine

def test_canonical_file_is_untouched():
    out = migrate_text(CANONICAL)
    assert out.state == "unchanged" and out.text is None and not out.rules


def test_whitespace_only_file():
    out = migrate_text('goal: "x"   \nlog("y")\t\n')
    assert out.state == "transformed"
    assert out.text == 'goal: "x"\nlog("y")\n'
    assert set(out.rules) == {"M027"}


def test_second_run_is_empty():
    first = migrate_text(LEGACY)
    assert first.state == "transformed"
    assert migrate_text(first.text).state == "unchanged"


def test_untouched_lines_survive_byte_for_byte():
    text = '# keep   me  exactly\nx:    1   # odd   spacing\nintent: "y"\nlog( x )\n'
    out = migrate_text(text)
    assert out.state == "transformed"
    lines = out.text.split("\n")
    assert lines[0] == "# keep   me  exactly"
    assert lines[1] == "x:    1   # odd   spacing"
    assert lines[3] == "log( x )"


def test_unconvertible_is_left_with_line_and_reason():
    text = 'goal: "x"\nlet xs = [1]\nlet ys = max(...xs, 2)\n'
    out = migrate_text(text)
    assert out.state == "failed"
    assert out.line == 3
    assert "spread" in out.reason
    assert out.text is None


def test_never_worse_rejects_a_new_validation_finding(monkeypatch):
    import aether.migrate.convert as conv

    real = conv.convert

    def sabotage(text, brace=None, name=None, **kw):
        got = real(text, brace, name, **kw)
        got.text = got.text.replace('log("big")', 'lgo("big")')
        return got

    monkeypatch.setattr(conv, "convert", sabotage)
    text = 'goal: "x"\nlog("visible")\nintent: "y"\nlog("big")\n'
    out = migrate_text(text)
    assert out.state == "failed"
    assert out.line == 4 and "AE301" in out.reason


def test_never_worse_rejects_a_parse_error(monkeypatch):
    import aether.migrate.convert as conv

    real = conv.convert

    def broken(text, brace=None, name=None, **kw):
        got = real(text, brace, name, **kw)
        got.text += "x: (\n"
        got.origins.append(1)
        return got

    monkeypatch.setattr(conv, "convert", broken)
    out = migrate_text(LEGACY)
    assert out.state == "failed" and "would not parse" in out.reason


def test_newly_visible_findings_are_counted_not_blocking():
    # the whole file was brace dialect: the checker could read none of it before
    text = 'plugin p {\n  description: "d"\n  on_run {\n    frobnicate(1)\n  }\n}\n'
    out = migrate_text(text)
    assert out.state == "transformed"
    assert out.newly_visible >= 1
    assert out.before["validation_findings"] == 0


def test_selection_blocks_a_file_that_needs_more():
    sel = RuleSelection.make(["M001"])
    assert migrate_text('intent: "x"\n', selection=sel).state == "transformed"
    out = migrate_text(LEGACY, selection=sel)
    assert out.state == "failed"
    assert "not selected" in out.reason and "M008" in out.reason
    ignored = migrate_text(LEGACY, selection=RuleSelection.make(None, ["define-as"]))
    assert ignored.state == "failed"


def test_selection_accepts_ids_prefixes_and_names():
    sel = RuleSelection.make(["M00", "goal-quote"], ["M005"])
    assert sel.allows("M001") and sel.allows("M003") and not sel.allows("M005")
    assert not sel.allows("M012")
    with pytest.raises(KeyError):
        RuleSelection.make(["no-such-rule"])


def test_goal_from_description_is_marked_for_review():
    out = migrate_text('plugin "p":\n  description: "Check the queue"\n')
    assert out.state == "transformed"
    assert out.text.splitlines()[0] == 'goal: "Check the queue"'
    assert any("review" in m or "check" in m for _, m in out.review)


def test_fingerprint_remap_follows_moved_findings():
    # a visible finding below a goal whose attributes become a meta block (lines move)
    text = 'goal: tidy the queue priority: high\nx: 1\nunknown_fn(x)\n'
    before = check_text(text, "f.aether")
    out = migrate_text(text, "f.aether")
    assert out.state == "transformed"
    after = check_text(out.text, "f.aether")
    old = next(f for f in before.findings if f.rule == "AE301")
    new = next(f for f in after.findings if f.rule == "AE301")
    assert old.line != new.line
    assert out.legacy_fingerprint_remap[old.legacy_fingerprint] == new.legacy_fingerprint
    # the default fingerprint has no line in it: it survives as it is
    assert old.fingerprint == new.fingerprint
    assert old.fingerprint not in out.fingerprint_remap
    legacy_fp = next(f.fingerprint for f in before.findings if f.rule == "AE203")
    assert legacy_fp in out.resolved


def test_report_json_and_markdown(tmp_path):
    a = tmp_path / "a.aether"
    a.write_text(LEGACY)
    b = tmp_path / "b.aether"
    b.write_text('goal: "x"\nlet ys = max(...xs)\n')
    c = tmp_path / "c.aether"
    c.write_text(CANONICAL)
    outs = [migrate_file(str(p), p.name) for p in (a, b, c)]
    data = to_json(outs, applied=False)
    assert data["summary"]["transformed"] == 1 and data["summary"]["failed"] == 1
    assert data["summary"]["unchanged"] == 1
    by = {f["path"]: f for f in data["files"]}
    assert by["b.aether"]["reason"] and by["b.aether"]["line"] == 2
    assert {r["id"] for r in by["a.aether"]["rules"]} >= {"M001", "M008", "M005"}
    assert "fingerprint_remap" in data and "legacy_fingerprint_remap" in data
    json.dumps(data)
    import io

    buf = io.StringIO()
    write_markdown(outs, buf, applied=False)
    md = buf.getvalue()
    assert "## Failed (left untouched)" in md and "b.aether" in md and "spread" in md
    assert "## Transformed" in md and "M001" in md


# ---------------------------------------------------------------- files

def test_apply_keeps_crlf_bom_and_mode(tmp_path):
    p = tmp_path / "w.aether"
    p.write_bytes(b"\xef\xbb\xbf" + LEGACY.replace("\n", "\r\n").encode())
    os.chmod(p, 0o640)
    out = migrate_file(str(p), "w.aether", MigrateOptions(apply=True))
    assert out.state == "transformed" and out.written
    data = p.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640
    assert migrate_file(str(p), "w.aether").state == "unchanged"


def test_read_only_file_is_reported_and_others_continue(tmp_path):
    ro = tmp_path / "a_ro.aether"
    ro.write_text(LEGACY)
    os.chmod(ro, 0o444)
    rw = tmp_path / "b_rw.aether"
    rw.write_text(LEGACY)
    r = run("migrate", "--apply", "--no-report", str(tmp_path))
    assert r.returncode == 26, r.stderr
    assert "read-only" in r.stderr
    assert ro.read_text() == LEGACY
    assert rw.read_text() != LEGACY and not parse_errors(rw.read_text())


@pytest.mark.parametrize("content,needle", [
    (b"\x00\x01binary", "binary"),
    (b'goal: "caf\xe9"\n', "UTF-8"),
])
def test_bad_input_is_skipped_with_a_message(tmp_path, content, needle):
    p = tmp_path / "bad.aether"
    p.write_bytes(content)
    r = run("migrate", str(p))
    assert r.returncode == 26
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_missing_path_and_directory(tmp_path):
    r = run("migrate", str(tmp_path / "nope.aether"))
    assert r.returncode == 26 and "no such file" in r.stderr
    (tmp_path / "d").mkdir()
    r = run("migrate", str(tmp_path / "d"))
    assert r.returncode == 0 and "no .aether files" in r.stderr


def test_dry_run_diff_applies_with_patch(tmp_path):
    work = tmp_path / "w"
    (work / "sub").mkdir(parents=True)
    (work / "a.aether").write_text(LEGACY)
    (work / "sub" / "b.aether").write_bytes(LEGACY.replace("\n", "\r\n").encode())
    (work / "c.aether").write_text(CANONICAL)
    copy = tmp_path / "copy"
    shutil.copytree(work, copy)
    r = subprocess.run([sys.executable, "-m", "aether", "migrate", "."], cwd=work,
                       capture_output=True)  # bytes: CRLF lines must reach patch intact
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"--- a.aether\n+++ a.aether\n")
    assert b"would migrate" in r.stderr
    if shutil.which("patch"):
        p = subprocess.run(["patch", "-p0", "--binary"], input=r.stdout,
                           cwd=copy, capture_output=True)
        assert p.returncode == 0, p.stdout + p.stderr
    applied = run("migrate", "--apply", ".", cwd=work)
    assert applied.returncode == 0 and applied.stdout == ""
    report = work / "migration_report.md"
    assert report.exists() and "## Transformed" in report.read_text()
    report.unlink()
    for name in ("a.aether", "sub/b.aether", "c.aether"):
        if shutil.which("patch"):
            assert (copy / name).read_bytes() == (work / name).read_bytes()
    assert (work / "c.aether").read_text() == CANONICAL
    again = run("migrate", ".", cwd=work)
    assert again.returncode == 0 and again.stdout == ""


def test_check_and_failure_exit_codes(tmp_path):
    (tmp_path / "a.aether").write_text(LEGACY)
    assert run("migrate", "--check", str(tmp_path)).returncode == 1
    (tmp_path / "a.aether").write_text(CANONICAL)
    assert run("migrate", "--check", str(tmp_path)).returncode == 0
    (tmp_path / "b.aether").write_text('goal: "x"\nlet ys = max(...xs)\n')
    r = run("migrate", str(tmp_path))
    assert r.returncode == 20
    assert "b.aether:2" in r.stderr and "spread" in r.stderr


def test_cli_reports_and_rule_listing(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    if True:
        Path("x.aether").write_text(LEGACY)
        res = runner.invoke(cli, ["migrate", "x.aether", "--report", "r.md", "--json", "r.json",
                                  "-q"])
        assert res.exit_code == 0, res.output
        assert "# Migration report" in Path("r.md").read_text()
        data = json.loads(Path("r.json").read_text())
        assert data["files"][0]["state"] == "transformed"
        res = runner.invoke(cli, ["migrate", "--list-rules"])
        assert res.exit_code == 0 and "M001" in res.output and "intent-to-goal" in res.output
        res = runner.invoke(cli, ["migrate", "--select", "nonsense", "x.aether"])
        assert res.exit_code == 2


def test_jobs_give_the_same_outcomes(tmp_path):
    from aether.migrate.run import migrate_files

    files = []
    for i in range(8):
        p = tmp_path / f"f{i}.aether"
        p.write_text(LEGACY if i % 2 else CANONICAL)
        files.append((str(p), p.name))
    one = migrate_files(files, MigrateOptions(), 1)
    two = migrate_files(files, MigrateOptions(), 2)
    assert [(o.path, o.state, o.diff) for o in one] == [(o.path, o.state, o.diff) for o in two]


class _Unpicklable(Exception):
    """An exception that cannot be pickled (it holds a lock), as some libraries' are."""

    def __init__(self, message):
        import threading

        super().__init__(message)
        self.lock = threading.Lock()


def _files(tmp_path, n=8):
    files = []
    for i in range(n):
        p = tmp_path / f"f{i}.aether"
        p.write_text(CANONICAL)
        files.append((str(p), p.name[:-7]))
    return files


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("error", [ValueError, _Unpicklable])
def test_a_migration_that_raises_is_reported_naming_the_file(tmp_path, monkeypatch, jobs,
                                                             error):
    # the worker sends its migration's error back as text; before, an exception that
    # could not be pickled killed it with a traceback and the parent said only "worker
    # process ended unexpectedly" (exit 27 "internal error: RuntimeError")
    from aether.migrate import run

    real = run._one

    def odd(item):
        if item[1] == "f5":
            raise error("bug in the migration of f5")
        return real(item)

    monkeypatch.setattr(run, "_one", odd)  # the forked workers inherit it
    with pytest.raises(run.MigrationAborted) as info:
        run.migrate_files(_files(tmp_path), MigrateOptions(), jobs)
    assert str(info.value).startswith(
        f"internal error while migrating f5: {error.__module__}.{error.__qualname__}: "
        "bug in the migration of f5 (this is a bug in aether" if error is _Unpicklable else
        "internal error while migrating f5: ValueError: bug in the migration of f5 (this is")
    assert info.value.status == 27
    # what "AETHER_DEBUG=1 shows the details" shows (the serial run had none)
    assert "Traceback" in info.value.details
    assert "bug in the migration of f5" in info.value.details


def test_a_worker_that_cannot_be_started_is_one_line_and_27(tmp_path, monkeypatch):
    # a failed fork (EAGAIN: the process limit; ENOMEM) was "internal error: BlockingIOError"
    import errno
    import multiprocessing
    from multiprocessing.process import BaseProcess

    from aether.migrate import run

    real_start = BaseProcess.start
    started = []

    def start(self):
        if started:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        started.append(self)
        real_start(self)

    monkeypatch.setattr(BaseProcess, "start", start)
    with pytest.raises(run.MigrationAborted, match=r"^cannot start migration worker process "
                       r"2 of 2: Resource temporarily unavailable \(try fewer --jobs\)$"):
        run.migrate_files(_files(tmp_path), MigrateOptions(), 2)
    assert started and not multiprocessing.active_children()  # the first one was stopped


_KILLED_SCRIPT = r'''
import os, signal, sys
from aether.migrate import run
from aether.cli.main import main

real = run._one

def odd(item):  # the kernel's out-of-memory killer, mid-file
    if item[1].endswith("f5.aether"):
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
    return real(item)

run._one = odd
sys.exit(main(["migrate", "--apply", "-j", "2", sys.argv[1]]))
'''


@pytest.mark.parametrize("sig, name", [("SIGKILL", "SIGKILL"), ("SIGSEGV", "SIGSEGV")])
def test_a_worker_killed_by_a_signal_is_one_line_naming_the_file(tmp_path, sig, name):
    # was "internal error: RuntimeError: a migration worker process ended unexpectedly
    # (exit status -9)", exit 27, with no file named
    import subprocess
    import sys

    for i in range(8):
        (tmp_path / f"f{i}.aether").write_text(LEGACY)
    proc = subprocess.run([sys.executable, "-c", _KILLED_SCRIPT, str(tmp_path), sig],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 27, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("aether migrate: the worker process migrating ")
    assert f"f5.aether was killed by {name}" in last
    assert ("out-of-memory killer" in last) == (sig == "SIGKILL")
    texts = {p.read_text() for p in tmp_path.iterdir() if p.suffix == ".aether"}
    assert LEGACY in texts  # f5 at least: untouched
    assert not [p for p in tmp_path.iterdir() if ".aether-tmp-" in p.name]


def _tree(folder: Path, n: int) -> None:
    folder.mkdir()
    body = LEGACY + "".join(f'if x{i} > 1\n    log("{i}")\nend\n' for i in range(90))
    for i in range(n):
        (folder / f"f{i:04d}.aether").write_text(body)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_apply_leaves_each_file_old_or_new(tmp_path, sig):
    work = tmp_path / "w"
    _tree(work, 60)
    original = (work / "f0000.aether").read_bytes()
    expected = migrate_text(original.decode()).text.encode()
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-m", "aether", "migrate", "--apply", "-q",
                             "--no-report", str(work)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    # wait until the run is under way (some files rewritten), then interrupt it
    deadline = time.time() + 60
    while time.time() < deadline:
        done = sum(1 for p in work.glob("*.aether") if p.read_bytes() != original)
        if done >= 3 or proc.poll() is not None:
            break
        time.sleep(0.01)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    stderr = proc.stderr.read().decode()
    if sig == signal.SIGINT and proc.returncode not in (0,):
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
    states = {"old": 0, "new": 0}
    for p in sorted(work.glob("*.aether")):
        data = p.read_bytes()
        assert data in (original, expected), p.name
        states["old" if data == original else "new"] += 1
    assert states["new"] >= 1
    # a second run finishes the job
    r = run("migrate", "--apply", "-q", "--no-report", str(work))
    assert r.returncode == 0
    assert all(p.read_bytes() == expected for p in work.glob("*.aether"))


def test_remap_applies_to_suppression_lists_and_baselines(tmp_path):
    from aether.migrate.remap import load_remap, remap_baseline, remap_suppression_text
    from aether.migrate.report import to_json

    src = tmp_path / "f.aether"
    src.write_text('goal: tidy the queue priority: high\nx: 1\nunknown_fn(x)\n')
    out = migrate_file(str(src), "f.aether")
    report = to_json([out], applied=False)
    remap = load_remap(report)
    assert len(remap) >= 1
    old, new = next(iter(out.legacy_fingerprint_remap.items()))
    text = (f"# accepted for now\n{old}  owner=ops expires=2030-01-01  # legacy id\r\n"
            "ffff0000ffff0000\n")
    got, n = remap_suppression_text(text, remap)
    assert n == 1
    assert got == text.replace(old, new)
    doc = {"files": [{"path": "f.aether", "findings": [
        {"rule": "AE301", "fingerprint": "a" * 16, "legacy_fingerprint": old}]}]}
    fixed, n = remap_baseline(doc, remap)
    assert n == 1 and fixed["files"][0]["findings"][0]["legacy_fingerprint"] == new
    assert doc["files"][0]["findings"][0]["legacy_fingerprint"] == old
    with pytest.raises(ValueError):
        load_remap({"files": []})


@pytest.mark.parametrize("src, line", [
    ('goal: "x"\nx: (1 +\n', 2),                       # canonical file with a typo
    ('goal: "x"\nmeta:\n    owner: [team\n', 3),        # an unclosed list in meta:
    ('goal: "x"\nschedule: every day)\n', 2),
])
def test_unmatched_bracket_is_not_quoted_into_a_string(src, line):
    """M016 quotes prose values; a broken expression must not vanish into a string."""
    out = migrate_text(src, "w.aether")
    assert out.state == "failed" and out.line == line, (out.state, out.reason)
    assert "neither text nor an expression" in out.reason


def test_prose_with_balanced_brackets_is_still_quoted():
    out = migrate_text('goal: "x"\nmeta:\n    schedule: every day (at 9)\n', "w.aether")
    assert out.state == "transformed" and "M016" in out.rules
    assert 'schedule: "every day (at 9)"' in out.text


@pytest.mark.parametrize("src", [
    'goal: "x"\nready: true\nsend_now: ready and\n',          # was quoted: "ready and"
    'goal: "x"\nx: (1 + )\n',                                   # was quoted: "(1 + )"
    'goal: "x"\nx: 1 $ 2\n',                                    # was quoted: "1 $ 2"
    'goal: "x"\nmeta:\n    budget: 4_000 $ 5\n',                # no words, only numbers
    'goal: "x"\nsteps:\n    - notes.render(raw +) as notes\n',  # a step quoted whole
    'goal: "x"\npublish(digest,\n        target="wiki"\n',      # an argument string
    'goal: "x"\nx: 1\nif x == 1:\n    log("a")\n  log("b")\n',  # re-indented, no rule
])
def test_a_typo_in_aether_12_is_never_papered_over(src):
    """migrate translates dialects; a broken expression is reported, not turned into a
    string or re-laid out into something that parses and means another thing."""
    out = migrate_text(src, "w.aether")
    assert out.state == "failed" and out.line, (out.state, out.text)
    assert "fix it by hand" in out.reason


@pytest.mark.parametrize("src, rule, expect", [
    ('goal: "x"\nmeta:\n    schedule: every 24h\n', "M016", 'schedule: "every 24h"'),
    ('goal: "x"\nmeta:\n    model: gpt-4o\n', "M016", 'model: "gpt-4o"'),
    ('goal: "x"\nchecks:\n    - gaps_detected: > 0\n', "M016", '"> 0"'),
    ('goal: "x"\nfiles: ["a"]\ncleanup files\n', "M011", "cleanup(files)"),
])
def test_legacy_prose_values_and_commands_still_convert(src, rule, expect):
    out = migrate_text(src, "w.aether")
    assert out.state == "transformed" and rule in out.rules, (out.state, out.reason)
    assert expect in out.text


def test_missing_goal_comes_from_a_heading_comment_never_from_the_file_name():
    # M028: a legacy file's heading comment states what it is for; its file name (often
    # an id) does not, so a file with neither keeps its AE312 finding
    out = migrate_text('# 🧬 Disk Usage Watcher ===\n# more words\nx = 1\n',
                       "3f9a11c2.aether")
    assert out.text.startswith('# 🧬 Disk Usage Watcher ===\n# more words\n'
                               'goal: "Disk Usage Watcher"\nx: 1\n'), out.text
    bare = migrate_text("x = 1\nlog(x)\n", "3f9a11c2.aether")
    assert "goal:" not in bare.text and "3f9a11c2" not in bare.text
    assert [f.rule for f in check_text(bare.text, "x.aether").findings] == ["AE312"]


def test_missing_goal_comes_from_a_named_workflow_block():
    # M028: `workflow NAME { }` names its objective as a plugin's name does (and wins over
    # nothing the file says more precisely: a description would come first)
    out = migrate_text("workflow NightlyBackup {\n    schedule: every 24h\n}\n",
                       "3f9a11c2.aether")
    assert out.state == "transformed" and "M028" in out.rules, out.reason
    assert out.text.startswith('goal: "NightlyBackup"\n'), out.text
    assert [f.rule for f in check_text(out.text, "x.aether").findings] == []
    assert any("workflow name" in why for _, why in out.review)


def test_on_error_list_of_calls_runs_from_one_rule():
    # M040: a legacy list of steps with no `when` ran on any error: a `fn` holds the calls
    # and the one rule `when: Any` calls it
    out = migrate_text('goal: "g"\nx = 1\non_error:\n  - log("failed")  # say so\n'
                       '  - notify(team="ops", content="failed")\n', "a.aether")
    assert out.state == "transformed" and "M040" in out.rules, out.reason
    assert 'fn on_error_steps():\n  log("failed")  # say so\n' in out.text, out.text
    assert out.text.endswith("on_error:\n    - when: Any\n      do: on_error_steps()\n")
    assert check_text(out.text, "a.aether").findings == []
    assert migrate_text(out.text, "a.aether").state == "unchanged"


@pytest.mark.parametrize("src", [
    # a rule (however malformed) is M038's or AE317's, not a list of steps
    'goal: "g"\nx = 1\non_error:\n  - when: Timeout\n  - log("x")\n',
    'goal: "g"\nx = 1\non_error:\n  - do: log("x")\n',
    # calls among records: neither form
    'goal: "g"\nx = 1\non_error:\n  - log("x")\n  - action: "page"\n',
    # the file has the name already
    'goal: "g"\nfn on_error_steps():\n    return 1\nx = 1\non_error:\n  - log("x")\n',
])
def test_on_error_steps_leaves_rules_and_mixtures(src):
    out = migrate_text(src, "a.aether")
    assert "M040" not in out.rules and "on_error_steps()\n" not in (out.text or ""), out.text


def test_legacy_tags_keyword_is_the_builtins_tag():
    # M032: a legacy `tags=` of a builtin whose signature says `tag` is that `tag`
    out = migrate_text('goal: "g"\nreflect on tags="ai,programming"\nx = recall(tags="a")\n',
                       "a.aether")
    assert "M032" in out.rules
    assert 'reflect(tag="ai,programming")\nx: recall(tag="a")\n' in out.text, out.text
    assert check_text(out.text, "a.aether").findings == []
    # both given, the file's own fn, or a builtin without `tag`: left as written
    for src in ('goal: "g"\nx = recall(tags="a", tag="b")\n',
                'goal: "g"\nfn reflect(tags):\n    return tags\nreflect on tags="ai"\n',
                'goal: "g"\nx = think("a", tags="b")\n'):
        assert "tags=" in migrate_text(src, "a.aether").text


def test_imports_inside_blocks_are_required_by_the_file():
    # M029: `import "p" as n` / `use a/b` in a block (brace plugin fn, try) is hoisted
    src = ('plugin tidy {\n    description: "Tidy"\n    fn run() {\n        try {\n'
           '            import "lib/a" as alpha\n            use sys/beta\n'
           '            alpha.go()\n            beta.go()\n        } catch (e) {\n'
           '            log("no")\n        }\n    }\n}\n')
    out = migrate_text(src, "a.aether")
    assert out.state == "transformed", out.reason
    assert 'plugins:\n        - "alpha"\n        - "beta"\n' in out.text, out.text
    assert "import" not in out.text and "use" not in out.text.replace("Use", "")
    assert [line for line, msg in out.review if "inside a block" in msg] == [5, 6]
    assert check_text(out.text, "a.aether").findings == []


@pytest.mark.parametrize("src", [
    # the only statement of its block: an empty block has no form
    'goal: "g"\nfn f():\n    import "x" as x\n',
    # a form M029 does not know
    'goal: "g"\nfn f():\n    from x import y\n    log(1)\n',
])
def test_imports_that_cannot_be_hoisted_fail_with_their_line(src):
    out = migrate_text(src, "a.aether")
    assert out.state == "failed" and out.line == 3, (out.reason, out.line)


@pytest.mark.parametrize("src, expected", [
    # `plugins:` dash items: after the last one; a name listed (with a version) is not
    # listed again
    ('goal: "g"\nrequire:\n    plugins:\n        - "git>=1"  # vcs\n'
     'import "lib/a" as alpha\nimport "lib/g" as git\nalpha.go()\ngit.go()\n',
     'goal: "g"\nrequire:\n    plugins:\n        - "git>=1"  # vcs\n        - "alpha"\n'
     'alpha.go()\ngit.go()\n'),
    # a written-out list, on one line or several (its comments kept)
    ('goal: "g"\nrequire:\n  plugins = []  # none yet\nif true:\n'
     '  import "lib/a" as alpha\n  alpha.go()\n',
     'goal: "g"\nrequire:\n  plugins = ["alpha"]  # none yet\nif true:\n  alpha.go()\n'),
    ('goal: "g"\nrequire:\n    plugins: [\n        "git",  # x\n        "b",\n    ]\n'
     'use x/alpha\nalpha.go()\n',
     'goal: "g"\nrequire:\n    plugins: [\n        "git",  # x\n        "b", "alpha"\n'
     '    ]\nalpha.go()\n'),
    # no `plugins` entry yet: one at the end of the block
    ('goal: "g"\nrequire:\n    capabilities: ["storage.write"]\n# code\n'
     'use x/alpha\nalpha.go()\n',
     'goal: "g"\nrequire:\n    capabilities: ["storage.write"]\n    plugins:\n'
     '        - "alpha"\n# code\nalpha.go()\n'),
    # an empty list, spaces in it
    ('goal: "g"\nrequire:\n    plugins: [  ]\nuse x/alpha\nalpha.go()\n',
     'goal: "g"\nrequire:\n    plugins: ["alpha"]\nalpha.go()\n'),
    # every import listed already: nothing added
    ('goal: "g"\nrequire:\n    plugins: ["alpha"]\nuse x/alpha\nalpha.go()\n',
     'goal: "g"\nrequire:\n    plugins: ["alpha"]\nalpha.go()\n'),
])
def test_imports_join_the_files_own_require_block(src, expected):
    # M029: a file with a `require:` block of its own gets no second one
    out = migrate_text(src, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == expected
    assert out.text.count("require:") == 1
    assert check_text(out.text, "a.aether").findings == []
    assert migrate_text(out.text, "a.aether").state == "unchanged"


@pytest.mark.parametrize("value", ['base + ["x"]', '"git"', "[f(x)] + y"])
def test_imports_and_a_require_value_that_is_no_list_fail_with_its_line(value):
    out = migrate_text(f'goal: "g"\nrequire:\n    plugins: {value}\nuse x/alpha\n'
                       'alpha.go()\n', "a.aether")
    assert out.state == "failed" and out.line == 3, (out.reason, out.text)
    assert "require:" in out.reason


def test_use_with_words_is_a_command_not_an_import():
    out = migrate_text('goal: "g"\nuse optimizer to "speed"\nuse a / b\n', "a.aether")
    assert "require:" not in out.text and "M029" not in out.rules, out.text


def test_legacy_category_keyword_is_the_memory_tag():
    # M032: `recall category: "x"` files memories under tags in Aether 1.2
    out = migrate_text('goal: "g"\nrecall category: "general"\nx = recall(category="a")\n',
                       "a.aether")
    assert 'memory: recall(tag="general")\nx: recall(tag="a")\n' in out.text, out.text
    assert check_text(out.text, "a.aether").findings == []
    kept = migrate_text('goal: "g"\nx = recall(category="a", tag="b")\n', "a.aether")
    assert "category=" in kept.text


def test_remember_with_details_block_remembers_one_record():
    # M010: `remember x as "t" { k: v }`: remember takes one value, so the record of both
    src = 'goal: "g"\nremember snapshot as "snap" {\n    files: 3\n}\n'
    out = migrate_text(src, "a.aether")
    assert 'remember({value: "snapshot", details: {' in out.text, out.text
    assert "details=" not in out.text
    assert check_text(out.text, "a.aether").findings == []


def _rules_found(text: str) -> list[str]:
    return [f.rule for f in check_text(text, "a.aether").findings]


@pytest.mark.parametrize("line, expected", [
    ('analyze "a" suggest "b"', 'analyze("a")\nsuggest("b")\n'),
    ('analyze "a" suggest "b" think "c"', 'analyze("a")\nsuggest("b")\nthink("c")\n'),
    ('think "a" remember "b" as "t"', 'think("a")\nmemory: remember("b", tag="t")\n'),
    ('analyze 3 summarize notes', 'analyze(3)\nsummarize("notes")\n'),
])
def test_chained_commands_become_statements(line, expected):
    # M041: a builtin verb (tool or memory effect) between two values starts a command
    out = migrate_text('goal: "g"\n' + line + "\n", "a.aether")
    assert "M041" in out.rules
    assert out.text == 'goal: "g"\n' + expected
    assert _rules_found(out.text) == []


@pytest.mark.parametrize("src", [
    'goal: "g"\nanalyze errors suggest fixes\n',          # words: one text
    'goal: "g"\nanalyze "a" count "b"\n',                 # a pure builtin is a word
    'goal: "g"\nfn suggest(a):\n    return a\nanalyze "a" suggest "b"\n',  # the file's fn
    'goal: "g"\nx = analyze "a" suggest "b"\n',           # not a statement of its own
    'goal: "g"\nanalyze "a" suggest("b")\n',              # a call written out
])
def test_chained_commands_left_where_the_verb_is_no_command(src):
    out = migrate_text(src, "a.aether")
    assert "M041" not in out.rules, out.text


@pytest.mark.parametrize("line, expected", [
    ("analyze s.a, s.b, s.c", "analyze([s.a, s.b, s.c])"),
    ('optimize "x" for "y"', 'optimize("x for y")'),
    ('learn from "x" about "y z"', 'learn("x about y z")'),
    ('learn from "x" about 3', 'learn("x about 3")'),
    ('think "a" for "b" to "c"', 'think("a for b to c")'),
    # a legacy `optimize: "..."` line binds the name; a call is still the builtin's
    ('optimize: "bundle size"\noptimize "x" for "y"', 'optimize("x for y")'),
])
def test_commands_fit_their_builtins_signature(line, expected):
    # M042: more values than the builtin takes: one list (commas) or one text (prepositions)
    out = migrate_text('goal: "g"\ns = {a: 1, b: 2, c: 3}\n' + line + "\n", "a.aether")
    assert "M042" in out.rules
    assert out.text.endswith("\n" + expected + "\n"), out.text
    assert _rules_found(out.text) == []


@pytest.mark.parametrize("line, kept", [
    ('analyze "a" for "b"', 'analyze("a", "b")'),            # fits: data and focus
    ("analyze s.a, s.b", "analyze(s.a, s.b)"),               # fits
    ('suggest "a" for "b" to "c"', 'suggest("a", "b", "c")'),  # *context: fits
    ('learn from s about "y"', 'learn(s, "y")'),             # a name is no text: AE303
    ('learn from "x", "y" about "z"', 'learn("x", "y", "z")'),  # commas and prepositions
    ('notes.add "a", "b", "c"', 'notes.add("a", "b", "c")'),  # no builtin
    ('fn learn(a, b):\n    return a\nlearn from "x" about "y"',  # the file's own fn
     'learn("x", "y")'),
])
def test_command_fit_leaves_what_fits_or_cannot_be_fitted(line, kept):
    out = migrate_text('goal: "g"\ns = {a: 1, b: 2, c: 3}\nnotes = 1\n' + line + "\n",
                       "a.aether")
    assert "M042" not in out.rules
    assert out.text.endswith("\n" + kept + "\n"), out.text


def test_legacy_builtin_names_are_kept_where_the_file_defines_them():
    # M032 maps plugin(...) to run_plugin(...) only where `plugin` is the runtime's builtin
    mapped = migrate_text('goal: "g"\nx = plugin("a.b")\n', "a.aether")
    assert "run_plugin(\"a.b\")" in mapped.text and "M032" in mapped.rules
    own = migrate_text('goal: "g"\nfunction plugin(n):\n    return n\nx = plugin("a.b")\n',
                       "a.aether")
    assert "run_plugin" not in own.text and "M032" not in own.rules


def test_plugin_command_on_a_dotted_name_is_a_call_unless_the_file_binds_it():
    # (a legacy line makes the file one to convert: alone, the binding is Aether 1.2)
    out = migrate_text('goal: "g"\nplugin: probe.status\nthink "x"\n', "a.aether")
    assert "probe.status()" in out.text
    kept = migrate_text('goal: "g"\nprobe = {status: 1}\nplugin: probe.status\n',
                        "a.aether")
    assert "plugin: probe.status\n" in kept.text


# ---------------------------------------------------------------- M013: update targets

@pytest.mark.parametrize("legacy, expected", [
    ('s = {}\ns.results["discovery"] = s\n', 's: {}\ns.results["discovery"]: s\n'),
    ("s = {}\ns.x.y = 1\n", "s: {}\ns.x.y: 1\n"),
    ('c = {}\nk = "a"\nc[k] = 1\nc[k] += 1\n', 'c: {}\nk: "a"\nc[k]: 1\nc[k] += 1\n'),
    ("c = {}\nc.n = 1\nc.n /= 2\n", "c: {}\nc.n: 1\nc.n: c.n / 2\n"),
    ("a = {}\na.if = 1\n", 'a: {}\na["if"]: 1\n'),  # a keyword cannot follow a dot
])
def test_m013_writes_update_targets_not_merge_chains(legacy, expected):
    out = migrate_text('goal: "g"\n' + legacy, "x.aether")
    assert out.state == "transformed" and "M013" in out.rules
    assert out.text == 'goal: "g"\n' + expected
    assert "merge(" not in out.text and "put(" not in out.text
    assert check_text(out.text, "x.aether").findings == []
    assert not out.review  # nothing left for a person to finish


def test_m013_target_rooted_in_a_call_is_left_for_a_person():
    out = migrate_text('goal: "g"\nf(x).b = 1\n', "x.aether")
    assert out.state == "failed" and "assignment target" in out.reason


def test_migrated_goldens_validate_apart_from_names_infer_declares(tmp_path):
    # issue 10 item 3: a migrated file has no AE3xx finding except AE301 / AE302 for the
    # names `aether tools infer` declares (the project's own tools and inputs)
    for case in CASES:
        before = (GOLDEN / case / "before.aether").read_text(encoding="utf-8")
        out = migrate_text(before, "before.aether")
        (tmp_path / f"{case}.aether").write_text(out.text or before, encoding="utf-8")
    proc = run("tools", "infer", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    check = run("check", ".", "--format", "json", "--no-cache", cwd=tmp_path)
    left = [(r["file"], f["rule"])
            for r in json.loads(check.stdout)["files"] for f in r["findings"]
            if f["rule"].startswith("AE3")]
    # the one real finding left: a checklist mixing calls and a prose step
    # (`- verify the restore works`) is neither data (M034) nor actions (M035)
    assert left == [("M017-dash-items.aether", "AE315")]


def test_m036_spec_section_becomes_a_fn_returning_its_entries():
    legacy = 'goal: "g"\nif changed\n    log("x")\nend\ntrigger:\n    every: daily\n' \
             '    if: probe.ready()\n'
    out = migrate_text(legacy, "x.aether")
    assert out.state == "transformed" and "M036" in out.rules
    assert 'fn trigger():\n    return {\n        every: "daily",\n' \
           '        if_: probe.ready(),\n    }\n' in out.text
    assert any("fn trigger()" in m for _, m in out.review)
    # a second run changes nothing (a multi-line `return {` is Aether 1.2, not a brace block)
    assert migrate_text(out.text, "x.aether").state == "unchanged"


@pytest.mark.parametrize("body", [
    # a key given twice, not as records: a map would keep one of the values
    "    on: \"a\"\n    run: f()\n    on: \"b\"\n",
    # a call step among values: neither a specification nor actions
    "    - f()\n    - \"check by hand\"\n    - x > 1\n",
])
def test_m036_leaves_sections_a_map_cannot_hold(body):
    out = migrate_text('goal: "g"\nif changed\n    log("x")\nend\nhooks:\n' + body, "x.aether")
    assert "M036" not in out.rules and "M034" not in out.rules
    assert "\nhooks:\n" in out.text


def test_m036_leaves_a_section_the_file_reads_as_a_value():
    out = migrate_text('goal: "g"\nif changed\n    log("x")\nend\ntrigger:\n    if: p.ok()\n'
                       'log(trigger)\n', "x.aether")
    assert "M036" not in out.rules and "\ntrigger:\n" in out.text


def test_m034_leaves_a_data_section_with_a_key_given_twice():
    out = migrate_text('goal: "g"\nif changed\n    log("x")\nend\nrun:\n    plugin: "a"\n'
                       '    plugin: "b"\n', "x.aether")
    assert "M034" not in out.rules and "\nrun:\n" in out.text


def test_m037_calls_follow_the_handler_unless_the_name_is_the_files_own():
    legacy = 'goal "g"\nwhen ready(x):\n    log(x)\nend\nready(1)\n'
    out = migrate_text(legacy, "x.aether")
    assert "M037" in out.rules and out.text.endswith("\non_ready(1)\n")
    # the file defines `ready` itself: its calls are its own function's
    own = legacy + 'fn ready(y)\n    return y\nend\n'
    out = migrate_text(own, "x.aether")
    assert "M037" not in out.rules and "\nready(1)\n" in out.text


@pytest.mark.parametrize("legacy, expected", [
    ("let ys = [...xs, 3, ...xs]\n", "ys: xs + [3] + xs\n"),
    ("let ys = [...xs]\n", "ys: [] + xs\n"),
    ("let ys = [0, ...(xs or [])]\n", "ys: [0] + (xs or [])\n"),
])
def test_m019_list_spread_joins_the_lists(legacy, expected):
    out = migrate_text('goal: "g"\nlet xs = [1]\n' + legacy, "x.aether")
    assert out.state == "transformed", out.reason
    assert out.text == 'goal: "g"\nxs: [1]\n' + expected
    assert check_text(out.text, "x.aether").findings == []


def test_m035_m036_never_define_a_fn_of_a_builtins_name():
    legacy = 'goal "g"\nif ready\n    log("x")\nend\nmetrics:\n    latency: probe.latency()\n' \
             'summarize:\n    - log("a")\n'
    out = migrate_text(legacy, "x.aether")
    assert "M036" not in out.rules and "M035" not in out.rules
    assert "fn metrics" not in out.text and "fn summarize" not in out.text


def test_m034_m036_read_keys_given_again_in_order_as_records():
    legacy = 'goal "g"\nif changed\n    log("x")\nend\nwatch:\n    on: "a"\n    run: f()\n' \
             '\n    on: "b"\n    run: g(1)\nplan:\n    every: daily\n    task: "backup"\n' \
             '    every: weekly\n    task: "report"\n'
    out = migrate_text(legacy, "x.aether")
    assert {"M034", "M036"} <= set(out.rules)
    assert 'fn watch():\n    return [\n        {on: "a",\n        run: f()},\n\n' \
           '        {on: "b",\n        run: g(1)},\n    ]\n' in out.text
    assert 'plan: [\n    {every: "daily",\n    task: "backup"},\n    {every: "weekly",\n' \
           '    task: "report"},\n]' in out.text
    assert migrate_text(out.text, "x.aether").state == "unchanged"


@pytest.mark.parametrize("legacy, expected", [
    ("x = 1e5\n", "x: 1e5\n"), ("x = 1E5\n", "x: 1E5\n"), ("x = 2.5e3\n", "x: 2.5e3\n")])
def test_exponent_numbers_stay_numbers(legacy, expected):
    # `1e5` was read as a word starting with a digit and became the name `_1e5`
    out = migrate_text('goal: "g"\n' + legacy, "x.aether")
    assert out.text == 'goal: "g"\n' + expected


def test_a_number_out_of_range_leaves_the_file_with_the_reason():
    out = migrate_text('goal: "g"\nx = 1e99999\n', "x.aether")
    assert out.state == "failed" and "AE112" in out.reason


# ------------------------------------------------ M043: the legacy single-record query

_ONE = ('goal: "g"\nfn exists(k) {\n    return search_memory_one({kind: "job", "key": k}) != null\n'
        '}\n')


def test_search_memory_one_becomes_the_first_record_of_a_limited_search():
    out = migrate_text(_ONE, "a.aether")
    assert "M043" in out.rules
    assert 'return first(search_memory(kind="job", key=k, limit=1)) != null' in out.text
    assert _rules_found(out.text) == []  # `first` and `search_memory` are builtins
    # keywords already, the legacy way too
    kw = migrate_text('goal: "g"\nx = search_memory_one(kind="job")\n', "a.aether")
    assert 'x: first(search_memory(kind="job", limit=1))' in kw.text


def test_search_memory_one_keeps_a_comment_among_its_filters():
    text = ('goal: "g"\nfn find(k) {\n    return search_memory_one({\n'
            '        kind: "job", // jobs only\n        key: k\n    })\n}\n')
    out = migrate_text(text, "a.aether")
    assert out.state == "transformed", out.reason
    assert '        kind="job",  # jobs only\n        key=k,\n        limit=1\n' in out.text
    assert not parse_errors(out.text)


@pytest.mark.parametrize("text", [
    # the file defines or binds the name itself
    'goal: "g"\nfunction search_memory_one(q):\n    return q\nx = search_memory_one({a: 1})\n',
    'goal: "g"\nsearch_memory_one = lookup\nx = search_memory_one({a: 1})\n',
    # or one of the names the rewrite would call
    'goal: "g"\nfunction first(xs):\n    return xs\nx = search_memory_one({a: 1})\n',
    # filters that cannot all be keywords: a map in a variable, a key that is
    # search_memory's own text query, a key that is no name
    'goal: "g"\nf = {a: 1}\nx = search_memory_one(f)\n',
    'goal: "g"\nx = search_memory_one({query: "a"})\n',
    'goal: "g"\nx = search_memory_one({"two words": 1})\n',
    # a member of another object is no legacy builtin
    'goal: "g"\nx = store.search_memory_one({a: 1})\n',
])
def test_search_memory_one_is_kept_where_it_is_not_the_legacy_builtin(text):
    out = migrate_text(text, "a.aether")
    assert "M043" not in out.rules
    assert "search_memory_one(" in (out.text or text)


def test_a_canonical_file_calling_search_memory_one_is_left_to_the_checker():
    # Aether 1.2 already: no migration, and the checker keeps its did-you-mean
    text = 'goal: "g"\nx: search_memory_one(kind="job")\n'
    assert migrate_text(text, "a.aether").state == "unchanged"
    assert _rules_found(text) == ["AE301"]


def test_the_migrated_single_record_query_runs_to_the_record_or_null():
    # `aether run` of the rewrite: the record whose fields match, else null
    from aether.runtime.api import run_source

    legacy = ('goal: "g"\n'
              'a = store_memory("first note", tag="notes", kind="job", key="a1")\n'
              'b = store_memory("second note", tag="notes", kind="job", key="b2")\n'
              'hit = search_memory_one({kind: "job", key: "b2"})\n'
              'miss = search_memory_one({kind: "job", key: "zz"})\n'
              'other = search_memory_one({kind: "invoice"})\n')
    out = migrate_text(legacy, "a.aether")
    assert "M043" in out.rules, out.reason
    assert 'hit: first(search_memory(kind="job", key="b2", limit=1))' in out.text
    result = run_source(out.text, "a.aether", simulate=True)
    assert result.status == 0, (result.error, [(f.rule, f.message) for f in result.findings])
    hit = result.outputs["hit"]
    assert hit["value"] == "second note" and hit["key"] == "b2" and hit["kind"] == "job"
    assert hit["id"] == result.outputs["b"]
    assert result.outputs["miss"] is None and result.outputs["other"] is None


def test_a_slash_comment_after_a_plugin_name_is_kept_and_the_result_parses():
    out = migrate_text('goal "g"\nplugin: git_status // which files changed\n', "a.aether")
    assert out.state == "transformed", out.reason
    assert "plugin: git_status  # which files changed\n" in out.text
    assert not parse_errors(out.text)


def test_a_slash_comment_between_the_lines_of_a_call_chain_goes_before_the_statement():
    # `.filter(...) // note` then `.map(...)` on the next line: the chain went on past a
    # line end only, so the comment ended the statement ("cannot read this line (it starts
    # with '.')") and the file was left untouched
    text = ('goal "g"\nitems = [1, 2, 3]\nbig = items\n    .filter(x => x > 1) // big ones\n'
            '    .map(x => x * 2)\n')
    out = migrate_text(text, "a.aether")
    assert out.state == "transformed", out.reason
    assert "# big ones\n" in out.text and "//" not in out.text
    assert out.text.index("# big ones") < out.text.index("big: items.filter(")
    assert "map(\n" not in out.text  # not moved among the next call's arguments
    assert not parse_errors(out.text)
    assert count_comments(text) == count_comments(out.text)


@pytest.mark.parametrize("legacy, expected", [
    # a // comment line keeps the blank line before it (it went below the comment, which
    # then read as a note on the statement above)
    ('goal "g"\nlog "a"\n\n// about b\nlog "b"\n',
     'goal: "g"\nlog("a")\n\n# about b\nlog("b")\n'),
    # a // comment inside the brackets of a command over several lines stays where it
    # stood, at the end of the line of the call that ends as its line did
    ('goal "g"\n\nsetup config: { a: 5000, // five seconds\n    b: 2 }\n',
     'goal: "g"\n\nsetup(config={\n    a: 5000,  # five seconds\n    b: 2\n})\n'),
    ('goal "g"\n\nif ready {\n    log "a"\n\n    notify "ops", {\n        a: 1, // one\n'
     '        b: 2\n    }\n}\n',
     'goal: "g"\n\nif ready:\n    log("a")\n\n    notify("ops", {\n        a: 1,  # one\n'
     '        b: 2\n    })\n'),
    # ... and when the call has no such line (the code of that line changed: 80% is 0.8),
    # on the line right before the command, after the blank line above it
    ('goal "g"\n\nsetup config: { a: 80%, // share\n    b: 2 }\n',
     'goal: "g"\n\n# share\nsetup(config={\n    a: 0.8,\n    b: 2\n})\n'),
])
def test_a_slash_comment_stays_with_the_statement_below_it(legacy, expected):
    out = migrate_text(legacy, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == expected
    assert not parse_errors(out.text)


def test_a_wrapped_interrupt_ends_migrate_file_and_is_no_failed_outcome(tmp_path, monkeypatch):
    # Python wraps a Ctrl-C raised in a class's __set_name__ in a RuntimeError: that is the
    # user stopping the run, not a bug in converting this file
    from aether.migrate import engine

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__") from exc

    f = tmp_path / "a.aether"
    f.write_text('if x > 1\n    log("y")\nend\n', encoding="utf-8")
    monkeypatch.setattr(engine, "migrate_text", interrupted)
    with pytest.raises(RuntimeError) as info:
        engine.migrate_file(str(f))
    assert isinstance(info.value.__cause__, KeyboardInterrupt)
    monkeypatch.setattr(engine, "migrate_text", lambda *a, **k: 1 / 0)
    assert engine.migrate_file(str(f)).state == "failed"
