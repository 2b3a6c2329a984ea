"""The failure classifier: every category from a fixture, Timeout and dead workers without
stopping the run, suppressions, history and trends, the CLI and the HTML page."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest
from click.testing import CliRunner

from aether.cli.main import cli
from aether.fleet.classify import ClassifyOptions, build_report, classify_files, to_markdown
from aether.fleet.history import KEEP, load_trends, record_run
from aether.fleet.html import trends_page
from aether.suppressions import SuppressionList, parse_text
from aether.walk import iter_files

G = 'goal: "demo"\n'
# file name -> (text or bytes, expected category)
FIXTURES = {
    "ok.aether": (G + 'x: 1 + 2\nprint("done")\n', None),
    "parse.aether": (G + 'print("a"\n', "ParseError"),
    "validation.aether": (G + "no_such_function_here(1)\n", "ValidationError"),
    "runtime.aether": (G + 'label: "total: " + 3\n', "RuntimeError"),
    # a config block mixing keys and dash items: recognised, not run (AE412)
    "notimpl.aether": (G + 'meta:\n    a: 1\n    - 2\n', "NotImplemented"),
    "loop.aether": (G + "n: 0\nwhile true:\n    n += 1\n", "Timeout"),
    "binary.aether": (b"\xff\xfe\x00\x00garbage\x00\x81", "IOError"),
}


def _write(folder, fixtures=FIXTURES):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (body, _) in fixtures.items():
        path = folder / name
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    return sorted(iter_files([str(folder)]), key=lambda f: f.path)


def _by_name(records):
    return {os.path.basename(r["path"]): r for r in records}


def test_each_category_is_reached_and_a_forever_loop_times_out(tmp_path):
    files = _write(tmp_path / "wf")
    records = classify_files(files, ClassifyOptions(timeout=1.0, root=str(tmp_path)), 2)
    got = _by_name(records)
    for name, (_, category) in FIXTURES.items():
        assert got[name]["category"] == category, (name, got[name])
    assert got["loop.aether"]["rule"] in ("AE408", "AE409")
    assert got["runtime.aether"]["rule"] == "AE401" and got["runtime.aether"]["line"] == 2
    for r in records:  # every failure carries both fingerprints
        if r["category"]:
            assert re.fullmatch(r"[0-9a-f]{16}", r["fingerprint"])
            assert re.fullmatch(r"[0-9a-f]{16}", r["legacy_fingerprint"])
    assert got["ok.aether"]["signature"]["state"] == "unsigned"
    assert "print" not in (got["ok.aether"]["tools"] or [])  # pure builtins are not tools


def test_strict_signatures_make_an_unsigned_file_signature_missing(tmp_path):
    files = _write(tmp_path / "wf", {"ok.aether": FIXTURES["ok.aether"]})
    rec = classify_files(files, ClassifyOptions(strict_signatures=True), 1)[0]
    assert rec["category"] == "SignatureMissing" and rec["status"] == 22
    assert rec["rule"].startswith("AE5")


def _hang_in_c(display):
    if display.endswith("hang.aether"):
        time.sleep(3600)  # C code: no runtime budget can stop it, only the parent


def _die(display):
    if display.endswith("crash.aether"):
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_stuck_past_the_deadline_is_killed_and_the_run_goes_on(tmp_path):
    fixtures = {"a.aether": FIXTURES["ok.aether"], "hang.aether": FIXTURES["ok.aether"],
                "z.aether": FIXTURES["runtime.aether"]}
    files = _write(tmp_path / "wf", fixtures)
    options = ClassifyOptions(timeout=0.2, before_file=_hang_in_c)
    assert options.deadline() < 10
    started = time.monotonic()
    got = _by_name(classify_files(files, options, 1))
    assert time.monotonic() - started < 60
    assert got["hang.aether"]["category"] == "Timeout"
    assert got["hang.aether"]["phase"] == "worker"
    assert got["a.aether"]["category"] is None
    assert got["z.aether"]["category"] == "RuntimeError"


def test_a_worker_killed_mid_file_is_other_and_the_run_goes_on(tmp_path):
    fixtures = {"a.aether": FIXTURES["ok.aether"], "crash.aether": FIXTURES["ok.aether"],
                "m.aether": FIXTURES["parse.aether"], "z.aether": FIXTURES["runtime.aether"]}
    files = _write(tmp_path / "wf", fixtures)
    got = _by_name(classify_files(files, ClassifyOptions(before_file=_die), 2))
    assert got["crash.aether"]["category"] == "Other"
    assert "SIGKILL" in got["crash.aether"]["message"]
    assert got["a.aether"]["category"] is None
    assert got["m.aether"]["category"] == "ParseError"
    assert got["z.aether"]["category"] == "RuntimeError"


def test_a_worker_that_cannot_be_forked_is_a_worker_error_and_the_others_are_stopped(
        monkeypatch):
    # a fork that fails (EAGAIN under `ulimit -u`, ENOMEM) was an OSError, reported as
    # status 27 "internal error ... (this is a bug)"; it is a WorkerError saying what
    # failed, as in aether.workers, and the worker already started does not outlive it
    import errno
    from multiprocessing.context import ForkProcess

    from aether.fleet.pool import run_pool
    from aether.workers import WorkerError

    started = []
    real_start = ForkProcess.start

    def start(self):
        if started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        real_start(self)
        started.append(self)

    monkeypatch.setattr(ForkProcess, "start", start)
    with pytest.raises(WorkerError) as e:
        run_pool(list(range(10)), lambda n: n * 2, 2, None, lambda *a: None)
    assert str(e.value) == ("cannot start a classify worker process: Resource temporarily "
                            "unavailable (try fewer --jobs)")
    assert len(started) == 1 and started[0].exitcode is not None


def test_suppression_list_turns_categories_into_suppressed_forms(tmp_path):
    names = ("parse.aether", "validation.aether", "runtime.aether", "ok.aether")
    files = _write(tmp_path / "wf", {n: FIXTURES[n] for n in names})
    first = _by_name(classify_files(files, ClassifyOptions(root=str(tmp_path)), 1))
    listed = "\n".join([first["parse.aether"]["fingerprint"] + "  # default formula",
                        first["runtime.aether"]["legacy_fingerprint"] + "  # reference"])
    slist = SuppressionList(parse_text(listed))
    second = _by_name(classify_files(files, ClassifyOptions(root=str(tmp_path),
                                                            suppressions=slist), 1))
    assert second["parse.aether"]["category"] == "Suppressed-ParseError"
    assert second["runtime.aether"]["category"] == "Suppressed-RuntimeError"
    assert second["validation.aether"]["category"] == "ValidationError"
    doc = build_report(second.values())
    assert doc["failed"] == 1 and doc["suppressed_failures"] == 2 and doc["passed"] == 1
    assert doc["by_category"] == {"ValidationError": 1, "Suppressed-ParseError": 1,
                                  "Suppressed-RuntimeError": 1}
    md = to_markdown(doc)
    assert "| ValidationError | 1 |" in md and "| Suppressed-ParseError | 1 |" in md


def _doc(n, failed, total=10):
    return {"timestamp": f"2024-05-{n // 24 + 1:02d}T{n % 24:02d}:00:00+00:00",
            "total": total, "failed": failed, "failure_rate": failed / total,
            "by_category": {"ParseError": failed}, "files": []}


def test_trends_keep_exactly_the_last_twenty(tmp_path):
    directory = str(tmp_path / "hist")
    for n in range(KEEP + 5):
        entries = record_run(_doc(n, n % 10), directory)
        assert len(entries) == min(n + 1, KEEP)
    trends = load_trends(directory)
    assert len(trends) == KEEP
    assert [e["failed"] for e in trends] == [n % 10 for n in range(5, KEEP + 5)]
    assert set(trends[0]) >= {"file", "timestamp", "failed", "total"}
    snapshots = [p for p in os.listdir(directory) if p.startswith("workflow_failures-")]
    assert len(snapshots) == KEEP + 5  # snapshots are all kept; the trend rolls
    # a lost trends.json is rebuilt from the snapshots
    os.remove(os.path.join(directory, "trends.json"))
    entries = record_run(_doc(99, 3), directory)
    assert len(entries) == KEEP and entries[-1]["failed"] == 3


def test_trends_page_has_its_charts_and_numbers():
    entries = [{"file": f"s{n}.json", "timestamp": f"2024-05-0{n + 1}T00:00:00+00:00",
                "failed": f, "total": 8, "by_category": {"ParseError": f - 1, "Timeout": 1}}
               for n, f in enumerate((4, 2, 6))]
    page = trends_page(entries)
    assert page.count("<svg") == 2 and "<polyline" in page and page.count("<circle") == 3
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    for rate in ("50.0%", "25.0%", "75.0%"):
        assert rate in page
    assert "<td>6</td>" in page and "Timeout" in page


def test_cli_classify_writes_reports_history_and_trends(tmp_path, monkeypatch):
    _write(tmp_path / "wf", {n: FIXTURES[n] for n in ("ok.aether", "parse.aether",
                                                      "runtime.aether")})
    monkeypatch.chdir(tmp_path)
    for run in range(2):
        r = CliRunner().invoke(cli, ["classify", "wf", "--jobs", "2", "--timeout", "2s"])
        assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "workflow_failures.json").read_text())
    assert doc["total"] == 3 and doc["failed"] == 2
    assert {f["path"]: f["category"] for f in doc["files"]} == {
        "wf/ok.aether": None, "wf/parse.aether": "ParseError",
        "wf/runtime.aether": "RuntimeError"}
    assert "## By category" in (tmp_path / "workflow_failures.md").read_text()
    trends = json.loads((tmp_path / ".aether" / "history" / "trends.json").read_text())
    assert len(trends) == 2 and trends[-1]["failed"] == 2 and trends[-1]["total"] == 3
    r = CliRunner().invoke(cli, ["classify", "wf", "--limit", "1", "--no-history",
                                 "-o", "one.json", "--markdown", ""])
    assert r.exit_code == 0 and json.loads((tmp_path / "one.json").read_text())["total"] == 1
    r = CliRunner().invoke(cli, ["trends", "--html", "t.html"], env={"NO_COLOR": "1"})
    assert r.exit_code == 0 and "66.7%" in r.output
    assert "<svg" in (tmp_path / "t.html").read_text()


def test_cli_classify_refuses_a_missing_path_and_a_bad_timeout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["classify", "nope"]).exit_code == 2
    (tmp_path / "a.aether").write_text(G)
    assert CliRunner().invoke(cli, ["classify", "a.aether", "--timeout", "x"]).exit_code == 2


def test_trends_without_history_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["trends"])
    assert r.exit_code == 26 and "no classifier history" in r.output


_ENTRY = '"file": "a.json", "timestamp": "t", "failed": 1, "total": 2'


@pytest.mark.parametrize("text", [
    "{}", "[1, 2]", '[{"file": 1}]',
    # fields the table and the HTML page read, hand-edited (each gave a TypeError,
    # AttributeError or a rate over 100%)
    '[{' + _ENTRY + ', "by_category": 5}]',
    '[{' + _ENTRY + ', "by_category": [1]}]',
    '[{' + _ENTRY + ', "by_category": {"x": "y"}}]',
    '[{' + _ENTRY + ', "failure_rate": "x"}]',
    '[{' + _ENTRY + ', "failure_rate": null}]',
    '[{"file": "a.json", "timestamp": "t", "failed": 3, "total": 2}]'])
@pytest.mark.parametrize("args", [[], ["--json"], ["--html", "t.html"]])
def test_a_malformed_trends_file_is_reported(tmp_path, monkeypatch, text, args):
    (tmp_path / ".aether" / "history").mkdir(parents=True)
    (tmp_path / ".aether" / "history" / "trends.json").write_text(text)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["trends", *args])
    assert r.exit_code == 26 and "trends" in r.output
    assert not (tmp_path / "t.html").exists()


@pytest.mark.parametrize("args", [[], ["--json"], ["--html", "t.html"]])
def test_trends_shows_the_last_twenty_runs_of_a_longer_trends_file(tmp_path, monkeypatch,
                                                                   args):
    """A trends.json holding more than the last KEEP runs (edited by hand, or forged:
    300,000 entries) is shown as its last KEEP, as the help says: the table of every
    entry took minutes."""
    entries = [{"file": f"w{i}.json", "timestamp": f"2030-01-01T00:{i // 60 % 60:02}:"
                f"{i % 60:02}", "failed": 1, "total": 2} for i in range(3 * KEEP)]
    (tmp_path / ".aether" / "history").mkdir(parents=True)
    (tmp_path / ".aether" / "history" / "trends.json").write_text(json.dumps(entries))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["trends", *args], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    shown = (tmp_path / "t.html").read_text() if args[:1] == ["--html"] else r.output
    last, first_kept = entries[-1]["timestamp"], entries[-KEEP]["timestamp"]
    dropped = entries[-KEEP - 1]["timestamp"]
    for stamp in (last, first_kept):
        assert stamp[:19].replace("T", " ") in shown or stamp in shown
    assert dropped[:19].replace("T", " ") not in shown and dropped not in shown


def test_the_same_text_parsed_twice_in_a_row_is_parsed_once():
    """run_source checks, then compiles, and the classifier reads the manifest: one parse."""
    from aether.syntax import parse

    text = G + 'print("x")\n'
    first = parse(text)
    assert parse("".join([text])) is first  # equal text, another object
    other = parse(G + 'print("y")\n')
    assert other is not first and parse(text) is not first  # one entry: replaced
    assert parse(text, incremental=False).module == first.module


@pytest.mark.parametrize("kind", ["file", "link", "dangling"])
def test_a_history_dir_that_is_a_file_or_a_link_is_an_io_error_and_nothing_is_written_there(
        tmp_path, monkeypatch, kind):
    # exit status 2 (a usage error) was given for a file the command cannot use
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.aether").write_text(G)
    (tmp_path / ".aether").mkdir()
    history = tmp_path / ".aether" / "history"
    elsewhere = tmp_path / "elsewhere"
    if kind == "file":
        history.write_text("not a folder")
    elif kind == "link":
        elsewhere.mkdir()
        history.symlink_to(elsewhere)
    else:
        history.symlink_to(elsewhere)
    r = CliRunner().invoke(cli, ["classify", "a.aether", "--jobs", "1"])
    assert r.exit_code == 26 and "cannot record the history" in r.output
    assert not elsewhere.exists() or list(elsewhere.iterdir()) == []
    r = CliRunner().invoke(cli, ["trends"])
    assert r.exit_code == 26


def test_classify_help_states_the_exit_statuses_it_uses(tmp_path):
    """The help said 2 for an output error; a report that cannot be written is 26."""
    (tmp_path / "a.aether").write_text('goal: "g"\n')
    os.symlink(tmp_path / "elsewhere", tmp_path / "workflow_failures.json")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        proc = CliRunner().invoke(cli, ["classify", "-j", "1", "--no-history", "a.aether"])
        shown = CliRunner().invoke(cli, ["classify", "--help"])
    finally:
        os.chdir(old)
    assert proc.exit_code == 26 and "symbolic link" in proc.output, proc.output
    assert not (tmp_path / "elsewhere").exists()
    assert "26 for a configuration" in shown.output
