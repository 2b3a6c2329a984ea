"""aether run / approve / resume end to end through the command line, in subprocesses:
approval and resume, replay of completed calls (never twice), recorded clock and seed,
in-doubt calls after a kill, a changed workflow or policy at resume."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "resume_fixtures"
PY = sys.executable

TOOLS = f'''[tools.add_line]
params = ["line"]
risk = "low"
command = ["{PY}", "line_tool.py"]

[tools.release]
params = ["line"]
risk = "high"
command = ["{PY}", "line_tool.py"]

[tools.safe_line]
params = ["line"]
risk = "low"
idempotent = true
command = ["{PY}", "line_tool.py"]
'''

FLOW = '''goal: "append lines"
t0: now()
r0: random()
add_line("start " + str(t0) + " " + str(r0))
for i in range(3):
    add_line("line " + str(i))
release("released")
add_line("end")
'''


def aether(cwd, *args, timeout=120):
    return subprocess.run([PY, "-m", "aether", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def proj(tmp_path):
    shutil.copy(FIXTURES / "line_tool.py", tmp_path / "line_tool.py")
    (tmp_path / "aether-tools.toml").write_text(TOOLS)
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "flow.aether").write_text(FLOW)
    return tmp_path


def lines(p):
    f = p / "lines.txt"
    return f.read_text().splitlines() if f.exists() else []


def ledger(p, run):
    db = sqlite3.connect(str(p / ".aether" / "state.db"))
    rows = db.execute("SELECT body FROM ledger WHERE run_id=? ORDER BY seq", (run,))
    out = [json.loads(r[0]) for r in rows]
    db.close()
    return out


def test_approval_then_resume_replays_completed_calls_with_the_recorded_clock_and_seed(proj):
    r = aether(proj, "run", "flow.aether", "--actor", "bot", "--run-id", "R1")
    assert r.returncode == 1 and "AE603" in r.stderr and "aether approve R1 r" in r.stderr
    assert len(lines(proj)) == 4
    runs = aether(proj, "runs")
    assert "R1  waiting" in runs.stdout and "waiting on r" in runs.stdout
    assert "release (approval.tier:high)" in runs.stdout
    req = [b for b in ledger(proj, "R1") if b["kind"] == "decision"][-1]["data"]["request"]
    assert aether(proj, "approve", "R1", req, "--approver", "bot", "--reason",
                  "me").returncode == 25  # separation of duties
    ok = aether(proj, "approve", "R1", req, "--approver", "alice", "--reason", "checked")
    assert ok.returncode == 0, ok.stderr
    r = aether(proj, "resume", "R1")
    assert r.returncode == 0, r.stderr  # now() and random() replayed: no AE611
    got = lines(proj)
    assert got[1:] == ["line 0", "line 1", "line 2", "released", "end"]
    assert len(got) == len(set(got))  # no call ran twice
    body = ledger(proj, "R1")
    kinds = [b["kind"] for b in body]
    assert kinds[0] == "run" and "resume" in kinds and kinds[-1] == "close"
    assert body[-1]["data"]["replayed"] == 4
    assert aether(proj, "audit", "verify", "R1").returncode == 0
    assert "R1  succeeded" in aether(proj, "runs").stdout
    again = aether(proj, "resume", "R1")
    assert again.returncode == 25 and "has ended" in again.stderr


def test_a_changed_workflow_invalidates_the_approval_and_a_new_policy_is_recorded(proj):
    aether(proj, "run", "flow.aether", "--actor", "bot", "--run-id", "R2")
    req = [b for b in ledger(proj, "R2") if b["kind"] == "decision"][-1]["data"]["request"]
    assert aether(proj, "approve", "R2", req, "--approver", "alice", "--reason",
                  "ok").returncode == 0
    (proj / "flow.aether").write_text(FLOW + "# edited after the approval\n")
    r = aether(proj, "resume", "R2")
    assert r.returncode == 1 and "AE603" in r.stderr and "changed" in r.stderr
    decision = [b for b in ledger(proj, "R2") if b["kind"] == "decision"][-1]["data"]
    assert any("workflow-changed" in x for x in decision["rejected_approvals"])
    assert lines(proj).count("released") == 0
    (proj / "flow.aether").write_text(FLOW)
    (proj / "loose.toml").write_text('[approval]\nrequired_for = []\n')
    r = aether(proj, "resume", "R2", "--policy", "loose.toml")
    assert r.returncode == 0, r.stderr
    resumes = [b["data"] for b in ledger(proj, "R2") if b["kind"] == "resume"]
    assert resumes[-1]["policy_digest"] != resumes[-1]["previous_policy_digest"]
    assert lines(proj).count("released") == 1 and lines(proj).count("line 0") == 1


def killer_flow(tool):
    return ('goal: "in doubt"\nadd_line("one")\ntry:\n    ' + tool + '("two")\n'
            'catch e:\n    print("not called again: " + e.rule)\nadd_line("three")\n')


@pytest.mark.parametrize("decide", ["deny", "approve", "retry"])
def test_an_in_doubt_call_waits_for_a_decision(proj, decide):
    (proj / "flow.aether").write_text(killer_flow("add_line"))
    (proj / "kill-after").write_text("two")  # killed once "two" is written
    r = aether(proj, "run", "flow.aether", "--actor", "bot", "--run-id", "D")
    assert r.returncode == -9 and lines(proj) == ["one", "two"]
    r = aether(proj, "resume", "D")
    assert r.returncode == 1 and "AE610" in r.stderr, r.stderr
    assert lines(proj) == ["one", "two"]  # neither call made a second time
    waiting = aether(proj, "runs", "--waiting").stdout
    assert "add_line (in-doubt)" in waiting
    req = waiting.split(": ")[1].split()[0]
    if decide == "retry":
        r = aether(proj, "resume", "D", "--retry-in-doubt")
        assert r.returncode == 0, r.stderr
        assert lines(proj) == ["one", "two", "two", "three"]  # asked for: called again
    else:
        assert aether(proj, decide, "D", req, "--approver", "alice", "--reason",
                      "checked the file").returncode == 0
        r = aether(proj, "resume", "D")
        assert r.returncode == 0, r.stderr
        if decide == "deny":  # not called again; the try caught AE602
            assert lines(proj) == ["one", "two", "three"]
            assert "not called again: AE602" in r.stdout
        else:
            assert lines(proj) == ["one", "two", "two", "three"]
    assert aether(proj, "audit", "verify", "D").returncode == 0


def test_an_idempotent_in_doubt_call_is_made_again_without_asking(proj):
    (proj / "flow.aether").write_text('goal: "g"\nsafe_line("one")\nadd_line("two")\n')
    (proj / "kill-after").write_text("one")
    assert aether(proj, "run", "flow.aether", "--run-id", "I").returncode == -9
    r = aether(proj, "resume", "I")
    assert r.returncode == 0, r.stderr
    assert lines(proj) == ["one", "one", "two"]
    kinds = [(b["kind"], b["data"].get("resolution")) for b in ledger(proj, "I")]
    assert ("in_doubt", "idempotent") in kinds


def test_resume_refuses_unknown_and_live_runs(proj):
    aether(proj, "run", "flow.aether", "--run-id", "X")
    assert aether(proj, "resume", "nope").returncode == 25
    db = sqlite3.connect(str(proj / ".aether" / "state.db"))
    body = json.loads(db.execute("SELECT body FROM checkpoints WHERE run_id='X'").fetchone()[0])
    body.update(state="running", pid=os.getpid())  # this test process: alive
    db.execute("UPDATE checkpoints SET body=? WHERE run_id='X'", (json.dumps(body),))
    db.commit()
    r = aether(proj, "resume", "X")
    assert r.returncode == 25 and "still running" in r.stderr


# ------------------------------------------------------------------ SIGKILL at random points
KILL_FLOW = '''goal: "append under kills"
for i in range(6):
    try:
        add_line("line " + str(i))
    catch e:
        print("skipped " + e.rule)
'''


def test_sigkill_at_random_points_then_resume_never_calls_a_completed_tool_twice(proj):
    import random
    import time

    rnd = random.Random(1234)
    (proj / "flow.aether").write_text(KILL_FLOW)
    for it in range(15):
        (proj / "lines.txt").unlink(missing_ok=True)
        run = f"K{it}"
        cmd = ["run", "flow.aether", "--actor", "bot", "--run-id", run]
        done = False
        for attempt in range(30):
            p = subprocess.Popen([PY, "-m", "aether", *cmd], cwd=proj,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if attempt < 3:  # kill the first attempts at a random point
                time.sleep(rnd.uniform(0.05, 1.2))
                p.kill()
            out, err = p.communicate(timeout=120)
            if p.returncode == 0:
                done = True
                break
            if p.returncode == 1 and "AE610" in err:  # in doubt: decide from the file
                req = err.split(f"aether approve {run} ")[1].split()[0]
                line = [b for b in ledger(proj, run) if b["kind"] == "request" and
                        f"r{b['seq']}" == req][0]["data"]["params"]["_args"][0]
                # its line is in the file: it happened, do not call it again; else do
                verdict = "deny" if line in lines(proj) else "approve"
                assert aether(proj, verdict, run, req, "--approver", "alice", "--reason",
                              "looked at the file").returncode == 0
            elif p.returncode == 25 and "has ended (status 0)" in err:
                # killed after the run had finished and been recorded, before the process
                # exited: resume says so, and the run is complete
                done = True
                break
            elif p.returncode == 25 and "no checkpoint" in err:
                cmd = ["run", "flow.aether", "--actor", "bot", "--run-id", run]
                continue
            else:
                assert p.returncode in (-9, 1), err
            has_cp = sqlite3.connect(str(proj / ".aether" / "state.db")).execute(
                "SELECT 1 FROM checkpoints WHERE run_id=?", (run,)).fetchone() \
                if (proj / ".aether" / "state.db").exists() else None
            cmd = ["resume", run] if has_cp else cmd
        assert done, f"run {run} did not complete"
        got = lines(proj)
        assert len(got) == len(set(got)), got  # no call ran twice
        assert set(got) == {f"line {i}" for i in range(6)}  # and every one ran once
        assert aether(proj, "audit", "verify", run).returncode == 0


def test_two_runs_appending_to_one_database_at_once_keep_both_chains_valid(proj):
    (proj / "flow.aether").write_text('goal: "g"\nfor i in range(8):\n    log("x")\n'
                                      '    store("k" + str(i))\n')
    procs = [subprocess.Popen([PY, "-m", "aether", "run", "flow.aether", "--run-id", r],
                              cwd=proj, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for r in ("A", "B")]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode(errors="replace")
    r = aether(proj, "audit", "verify", "--json")
    assert r.returncode == 0
    reports = {x["run_id"]: x for x in json.loads(r.stdout)}
    assert reports["A"]["state"] == reports["B"]["state"] == "verified"


def test_resume_in_a_project_without_a_catalogue_file(tmp_path):
    # no aether-tools.toml: the builtins are the catalogue at resume as at run (resume
    # crashed with AttributeError inside the tool call, reported as AE410)
    (tmp_path / "w.aether").write_text('goal: "notify"\nescalate_to("oncall")\n')
    first = aether(tmp_path, "run", "w.aether", "--json")
    assert first.returncode == 1, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    assert aether(tmp_path, "approve", run_id, "r2", "--approver", "alice",
                  "--reason", "ok").returncode == 0
    resumed = aether(tmp_path, "resume", run_id)
    assert resumed.returncode == 21 and "AE411" in resumed.stderr, resumed.stderr
    assert "AttributeError" not in resumed.stderr


# ------------------------------------------------------------------ concurrent resumes
def test_two_resumes_at_once_run_the_approved_call_once_and_one_is_refused(proj):
    # both read the same waiting checkpoint and passed the liveness check; both went on,
    # and the loser failed half-way on the ledger (exit 21) or closed the run as failed
    aether(proj, "run", "flow.aether", "--actor", "bot", "--run-id", "C1")
    req = [b for b in ledger(proj, "C1") if b["kind"] == "decision"][-1]["data"]["request"]
    assert aether(proj, "approve", "C1", req, "--approver", "alice",
                  "--reason", "ok").returncode == 0
    procs = [subprocess.Popen([PY, "-m", "aether", "resume", "C1"], cwd=proj,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in outs)
    assert codes == [0, 25], outs
    loser = [err for code, err in outs if code == 25][0]
    # refused by the liveness check, by the claim, or (a slow start) because the winner
    # had already finished: never a second execution
    assert any(why in loser for why in ("still running", "being resumed by another process",
                                        "has ended")), loser
    got = lines(proj)
    assert got.count("released") == 1 and len(got) == len(set(got))
    assert aether(proj, "audit", "verify", "C1").returncode == 0


def test_a_resume_whose_checkpoint_changed_since_it_read_it_is_refused(proj, monkeypatch):
    from aether.governance.runner import resume_governed_run
    from aether.governance.service import GovernanceError
    from aether.store import SQLiteStore

    aether(proj, "run", "flow.aether", "--actor", "bot", "--run-id", "C2")
    store = SQLiteStore(str(proj / ".aether" / "state.db"))
    seen = store.load_checkpoint("C2")
    # another resume claims the run between this one's read and its claim
    assert store.claim_checkpoint("C2", seen, {**seen, "state": "running", "pid": 1})
    assert not store.claim_checkpoint("C2", seen, {**seen, "pid": 2})
    monkeypatch.setattr(store, "load_checkpoint", lambda run_id: seen)
    monkeypatch.setattr("aether.governance.runner.pid_alive", lambda host, pid: False)
    with pytest.raises(GovernanceError) as e:
        resume_governed_run("C2", store=store)
    assert e.value.status == 25 and "being resumed by another process" in e.value.message
    store.close()
