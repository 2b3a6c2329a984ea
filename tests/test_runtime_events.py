"""Lifecycle events (--events, the store): the golden sequence of a run with a step, a
retry, tool calls and an error; every event matches the documented schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aether.runtime.api import RunOptions, run_source
from aether.runtime.telemetry import COMMON, EVENTS, check_event
from runtime_support import StubDispatcher

WORKFLOW = ('goal: "events"\n'
            'workflow:\n'
            '    steps:\n'
            '        - think("a") as t retry=1\n'
            '        - notify("ops") as n\n'
            'x: 1 / 0\n')

# (event, line, the fields that do not vary between runs)
GOLDEN = [
    ("run_start", 0, {"workflow": "e.aether", "simulated": False, "inputs": []}),
    ("step_start", 4, {"step": "t", "attempt": 1}),
    ("tool_call", 4, {"tool": "think", "effect": "tool", "step": "t", "outcome": "error",
                      "rule": "AE410"}),
    ("retry", 4, {"step": "t", "attempt": 1, "rule": "AE410"}),
    ("step_start", 4, {"step": "t", "attempt": 2}),
    ("tool_call", 4, {"tool": "think", "effect": "tool", "step": "t", "outcome": "ok"}),
    ("step_end", 4, {"step": "t", "attempt": 2, "outcome": "ok"}),
    ("step_start", 5, {"step": "n", "attempt": 1}),
    ("tool_call", 5, {"tool": "notify", "effect": "tool", "step": "n", "outcome": "ok"}),
    ("step_end", 5, {"step": "n", "attempt": 1, "outcome": "ok"}),
    ("error", 6, {"rule": "AE402", "kind": "RuntimeError", "column": 4, "stack": []}),
    ("run_end", 0, {"status": 21, "outcome": "failed", "rule": "AE402", "steps": 5,
                    "tool_calls": 3}),
]


def test_golden_event_sequence_and_schema():
    tries = []

    def flaky(call):
        tries.append(1)
        if len(tries) == 1:
            raise ConnectionError("model busy")
        return "ok"
    events = []
    result = run_source(WORKFLOW, "e.aether", dispatcher=StubDispatcher(answers={"think": flaky}),
                        options=RunOptions(events=events.append, run_id="run-1"))
    assert result.status == 21
    got = [(e["event"], e["line"], {k: v for k, v in e.items() if k not in COMMON
                                    and k not in ("duration", "message")}) for e in events]
    assert got == GOLDEN
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    for e in events:
        assert check_event(e) == [], e
        assert e["run_id"] == "run-1" and e["digest"] == result.digest
    tool_calls = [e for e in events if e["event"] == "tool_call"]
    assert all(e["duration"] >= 0 for e in tool_calls)


def test_schema_rejects_what_it_should():
    assert check_event({"event": "nope"}) == ["unknown event kind 'nope'"]
    base = {"event": "print", "seq": 1, "ts": 1.0, "run_id": "r", "digest": "d", "line": 0}
    assert check_event({**base, "text": "x"}) == []
    assert check_event({**base, "text": 1})
    assert check_event({**base, "text": "x", "extra": 1})
    assert check_event({**base, "seq": True, "text": "x"})


def test_docs_list_every_event_and_field():
    doc = (Path(__file__).parent.parent / "docs" / "runtime.md").read_text()
    section = doc[doc.index("## Events"):]
    for kind, fields in EVENTS.items():
        assert f"`{kind}`" in section, kind
        for name in fields:
            assert f"`{name}`" in section, (kind, name)
    for name in COMMON:
        assert f"`{name}`" in section


def test_cli_events_file_and_stderr_and_runs_listing(tmp_path):
    (tmp_path / "w.aether").write_text('goal: "x"\nmemory: remember("v")\nr: recall()\n')
    (tmp_path / "bad.aether").write_text('goal: "x"\nr: 1 / 0\n')
    env = {**os.environ, "NO_COLOR": "1"}

    def aether(*args):
        return subprocess.run([sys.executable, "-m", "aether", *args], cwd=tmp_path,
                              capture_output=True, text=True, env=env)
    p = aether("run", "w.aether", "--events", "ev.jsonl")
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert lines[0]["event"] == "run_start" and lines[-1]["event"] == "run_end"
    assert all(check_event(e) == [] for e in lines)
    p = aether("run", "bad.aether", "--events", "-")
    assert p.returncode == 21
    err_events = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
    assert [e["event"] for e in err_events][-2:] == ["error", "run_end"]
    os.symlink(tmp_path / "target.jsonl", tmp_path / "link.jsonl")
    p = aether("run", "w.aether", "--events", "link.jsonl")
    assert p.returncode == 26 and "symbolic link" in p.stderr
    assert not (tmp_path / "target.jsonl").exists()
    # aether runs: newest first, filter, limit, json
    p = aether("runs", "--format", "json")
    runs = json.loads(p.stdout)
    assert [r["workflow"] for r in runs] == ["bad.aether", "w.aether"]
    assert runs[0]["status"] == "failed" and runs[0]["exit_status"] == 21
    p = aether("runs", "--status", "succeeded")
    assert p.returncode == 0 and "w.aether" in p.stdout and "bad.aether" not in p.stdout
    p = aether("runs", "--limit", "1", "--format", "json")
    assert len(json.loads(p.stdout)) == 1
    # --simulate keeps its state in memory: nothing new is recorded
    p = aether("run", "w.aether", "--simulate")
    assert p.returncode == 0
    assert len(json.loads(aether("runs", "--format", "json").stdout)) == 2
    assert oct(os.stat(tmp_path / ".aether" / "state.db").st_mode & 0o777) == "0o600"


def test_runs_without_a_state_database(tmp_path):
    p = subprocess.run([sys.executable, "-m", "aether", "runs"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 0 and "No runs recorded." in p.stdout
    assert not (tmp_path / ".aether").exists()


def test_reflect_on_a_tag_records_the_tag():
    # reflect(topic?, tag?): widened for the legacy `reflect on tags="..."` form
    events = []
    result = run_source('goal: "r"\nreflect(tag="ai,programming")\nreflect("week")\n',
                        "r.aether", options=RunOptions(events=events.append))
    assert result.status == 0, (result.error, result.findings)
    got = [e for e in events if e["event"] == "reflect"]
    assert [(e["topic"], e.get("tag")) for e in got] == [("null", "ai,programming"),
                                                          ("week", None)]
    assert all(check_event(e) == [] for e in got)


def test_a_run_ended_by_a_signal_is_recorded_failed_not_running(monkeypatch):
    # _record_interrupt: no row may say "running" for a process that a signal ended
    import pytest

    import aether.runtime.api as api
    from aether.interrupt import Terminated
    from aether.store.sqlite import SQLiteStore

    for exc, status in ((KeyboardInterrupt(), 130), (Terminated(), 143)):
        def stop(program, ctx, *inputs, exc=exc):
            raise exc

        monkeypatch.setattr(api, "_execute", stop)
        store = SQLiteStore()
        with pytest.raises(type(exc)):
            run_source('goal: "r"\nlog("hi")\n', store=store, options=RunOptions(run_id="r1"))
        run = store.get_run("r1")
        assert (run.status, run.exit_status) == ("failed", status)
        assert run.error["rule"] == "AE409"


def test_an_events_pipe_nobody_reads_is_refused_not_waited_on(tmp_path):
    # `--events FIFO` with no reader blocked in open() for ever; it is refused (exit 26)
    fifo = tmp_path / "ev.fifo"
    os.mkfifo(fifo)
    (tmp_path / "w.aether").write_text('goal: "x"\nlog(1)\n')
    p = subprocess.run([sys.executable, "-m", "aether", "run", "--simulate", "w.aether",
                        "--events", "ev.fifo"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 26, p.stderr
    assert "ev.fifo" in p.stderr and "no process reads" in p.stderr


def test_an_events_file_that_cannot_be_written_is_a_warning_not_a_crash(tmp_path):
    # `--events /dev/full`: the failed sink is dropped with a warning, the run ends with
    # its own status; closing the stream (its unwritten line) was status 27 "this is a bug"
    if not os.path.exists("/dev/full"):
        import pytest

        pytest.skip("needs /dev/full")
    (tmp_path / "w.aether").write_text('goal: "x"\nlog(1)\n')
    p = subprocess.run([sys.executable, "-m", "aether", "run", "--simulate", "w.aether",
                        "--events", "/dev/full"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "events are no longer written" in p.stderr and "Traceback" not in p.stderr
