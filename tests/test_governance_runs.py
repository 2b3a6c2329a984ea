"""Governed runs end to end, approvals bound to the exact request, replay, and the CLI."""

from __future__ import annotations

import json

import pytest

from aether.cli.main import main
from aether.governance.approvals import (Approval, MemoryApprovalStore, binding_of,
                                         validate)
from aether.governance.decide import Request
from aether.governance.dispatcher import GovernedDispatcher
from aether.governance.ledger import Ledger, MemoryLedgerBackend, verify_run
from aether.governance.policy import parse_policy
from aether.governance.replay import replay
from aether.governance.service import GovernanceError, record_approval
from aether.governance.approvals import StoreApprovals
from aether.store import open_state_store
from aether.runtime.api import RunOptions, run_source
from aether.runtime.dispatch import SimulateDispatcher

FLOW = '''goal: "tidy the notes"
x: think("a")
try:
    publish("notes", target="prod-eu")
catch e:
    log("denied: " + e.rule + " " + e.kind)
store("k", tag="x")
'''


def governed(policy=None, backend=None, approvals=None, actor="agent-ops", **kw):
    led = Ledger(backend if backend is not None else MemoryLedgerBackend())
    return GovernedDispatcher(SimulateDispatcher(), policy, led, approvals, actor, **kw)


def kinds(backend, run):
    return [e.parsed()["kind"] for e in backend.entries(run)]


def test_a_denial_is_a_catchable_coded_error_and_the_ledger_verifies():
    policy = parse_policy({"allowed_tools": ["think", "log", "store"]})
    g = governed(policy)
    r = run_source(FLOW, "f.aether", dispatcher=g, options=RunOptions(run_id="run1"))
    assert r.status == 0, r.error
    assert r.outputs["e"]["rule"] == "AE601" and r.outputs["e"]["kind"] == "PolicyDenied"
    assert "tool-not-allowed" in r.outputs["e"]["message"]
    b = g.ledger.backend
    k = kinds(b, "run1")
    assert k[0] == "run" and k[-1] == "close"
    assert k.count("request") == 4 and k.count("decision") == 4 and k.count("result") == 3
    decisions = [e.parsed()["data"] for e in b.entries("run1") if e.parsed()["kind"] ==
                 "decision"]
    assert [d["effect"] for d in decisions] == ["allow", "deny", "allow", "allow"]
    assert all(d["policy_digest"] == policy.digest for d in decisions)
    request = [e.parsed()["data"] for e in b.entries("run1")
               if e.parsed()["kind"] == "request"][1]
    assert request["intent"] == "tidy the notes" and request["actor"] == "agent-ops"
    assert request["params"] == {"_args": ["notes"], "target": "prod-eu"}
    assert verify_run(b, "run1").status == 0


def test_an_uncaught_denial_fails_the_run_with_runtime_error():
    g = governed(parse_policy({"allowed_tools": ["log"]}))
    r = run_source('goal: "g"\nstore("x")\n', "f.aether", dispatcher=g)
    assert r.status == 21 and r.error["rule"] == "AE601"
    assert verify_run(g.ledger.backend, r.run_id).final_status == 21


def test_simulate_and_mock_io_keep_governance_and_mark_entries_simulated():
    g = governed(parse_policy({"allowed_tools": ["log"]}))
    r = run_source('goal: "g"\npolicy:\n    mock_io: true\nstore("x")\n', "f.aether",
                   dispatcher=g)
    assert r.error["rule"] == "AE601"
    g2 = governed()
    r = run_source('goal: "g"\nstore("x")\n', "f.aether", dispatcher=g2, simulate=True)
    assert r.status == 0
    bodies = [e.parsed() for e in g2.ledger.backend.entries(r.run_id)]
    assert all(b["data"]["simulated"] for b in bodies if b["kind"] in ("decision", "call"))


def test_approval_required_stops_the_run_waiting_and_leaves_the_ledger_open():
    g = governed()
    src = ('goal: "g"\non_error:\n    - when: Any\n      do: log("handler")\n'
           'try:\n    escalate_to("ops")\ncatch e:\n    log("caught")\n')
    r = run_source(src, "f.aether", dispatcher=g, options=RunOptions(run_id="w1"))
    assert r.status == 1 and r.error["rule"] == "AE603" and r.error["state"] == "waiting"
    assert r.handled_by is None and "aether approve w1 r" in r.error["message"]
    b = g.ledger.backend
    assert kinds(b, "w1")[-1] == "waiting"
    rep = verify_run(b, "w1")
    assert (rep.status, rep.state) == (0, "open")


def test_required_capability_missing_fails_before_the_first_step():
    g = governed(parse_policy({"capabilities": ["memory.*"]}))
    src = 'goal: "g"\nrequire:\n    capabilities:\n        - "payments.send"\nlog("x")\n'
    r = run_source(src, "f.aether", dispatcher=g)
    assert r.error["rule"] == "AE609" and r.status == 21
    assert r.tool_calls == [] and r.steps == 0


def test_risk_budget_of_the_script_is_enforced():
    g = governed(parse_policy({"approval": {"required_for": []}}))
    src = 'goal: "g"\npolicy:\n    risk_budget: 0.1\nstore("a")\nstore("b")\nstore("c")\n'
    r = run_source(src, "f.aether", dispatcher=g)
    assert r.error["rule"] == "AE601" and "script.risk_budget" in r.error["message"]
    assert r.error["line"] == 6  # 0.05 + 0.05 fit, the third medium call does not


# ------------------------------------------------------------------ approvals
POLICY = parse_policy({"approval": {"approvers": ["alice", "bob"], "expires_after": "1h"}})
REQ = Request("agent-ops", "g", "escalate_to", {"_args": ["ops"]}, risk="high",
              workflow_digest="w1", run_id="run")


def approval(**kw):
    base = dict(run_id="run", request_id="r2", binding=binding_of(REQ), decision="approve",
                approver="alice", reason="ok", time=1000.0, expires=4600.0,
                requester="agent-ops")
    base.update(kw)
    return Approval(**base)


def test_a_matching_approval_counts():
    assert validate(approval(), REQ, POLICY, 2000.0) is None


@pytest.mark.parametrize("change,why", [
    (lambda: (approval(), Request(**{**REQ.__dict__, "params": {"_args": ["all"]}})),
     "params-changed"),
    (lambda: (approval(), REQ), "expired"),
    (lambda: (approval(), Request(**{**REQ.__dict__, "workflow_digest": "w2"})),
     "workflow-changed"),
    (lambda: (approval(approver="mallory"), REQ), "approver-not-allowed"),
    (lambda: (approval(approver="agent-ops"), REQ), "self-approval"),
])
def test_an_approval_bound_elsewhere_fails(change, why):
    a, request = change()
    now = 5000.0 if why == "expired" else 2000.0
    assert validate(a, request, POLICY, now).startswith(why)


def test_per_tier_approvers_and_signed_approvals():
    p = parse_policy({"approval": {"approvers": {"high": ["carol"], "default": ["dave"]},
                                   "require_signed": True}})
    assert validate(approval(approver="alice"), REQ, p, 2000.0).startswith(
        "approver-not-allowed")
    assert validate(approval(approver="carol"), REQ, p, 2000.0).startswith("unsigned")


def test_an_approved_request_is_allowed_on_the_next_run_and_the_ledger_shows_it():
    backend, store = MemoryLedgerBackend(), MemoryApprovalStore()
    src = 'goal: "g"\nescalate_to("ops")\n'
    g = governed(POLICY, backend, store)
    r = run_source(src, "f.aether", dispatcher=g, options=RunOptions(run_id="run"))
    assert r.status == 1
    with pytest.raises(GovernanceError) as e:
        record_approval(backend, store, POLICY, "run", "r2", "agent-ops", "me")
    assert e.value.rule == "AE608"
    with pytest.raises(GovernanceError):
        record_approval(backend, store, POLICY, "run", "r2", "mallory", "x")
    record_approval(backend, store, POLICY, "run", "r2", "alice", "checked")
    # a changed parameter is not covered by that approval
    g3 = governed(POLICY, backend, store)
    g3._begun, g3.digest = True, g.digest
    r = run_source('goal: "g"\nescalate_to("everyone")\n', "f.aether", dispatcher=g3,
                   options=RunOptions(run_id="run"))
    assert r.status == 1
    # (resume belongs to the run store; a re-run of the same run id stands in for it here)
    g2 = governed(POLICY, backend, store)
    g2._begun = True
    g2.digest = g.digest
    r = run_source(src, "f.aether", dispatcher=g2, options=RunOptions(run_id="run"))
    assert r.status == 0, r.error
    # the run is closed now: a further governed call cannot be recorded, so it is refused
    g4 = governed(POLICY, backend, store)
    g4._begun = True
    r = run_source('goal: "g"\nlog("late")\n', "f.aether", dispatcher=g4,
                   options=RunOptions(run_id="run"))
    assert r.error["rule"] == "AE601" and "ledger-unavailable" in r.error["message"]
    d = [e.parsed()["data"] for e in backend.entries("run") if e.parsed()["kind"] ==
         "decision"][-1]
    assert d["effect"] == "allow" and d["reasons"][0] == "approved" and d["approval"]
    assert verify_run(backend, "run").status == 0


def test_a_refusal_is_a_catchable_approval_denied_error():
    backend, store = MemoryLedgerBackend(), MemoryApprovalStore()
    src = 'goal: "g"\nescalate_to("ops")\n'
    run_source(src, "f.aether", dispatcher=governed(POLICY, backend, store),
               options=RunOptions(run_id="run"))
    record_approval(backend, store, POLICY, "run", "r2", "bob", "no", decision="deny")
    g = governed(POLICY, backend, store)
    g._begun = True
    r = run_source(src, "f.aether", dispatcher=g, options=RunOptions(run_id="run"))
    assert r.error["rule"] == "AE602" and r.error["kind"] == "ApprovalDenied"


# ------------------------------------------------------------------ replay
def _recorded():
    backend = MemoryLedgerBackend()
    old = parse_policy({"allowed_tools": ["think", "store", "log"],
                        "approval": {"required_for": ["high"]}})
    for actor in ("ann", "ben"):
        run_source(FLOW, "f.aether", dispatcher=governed(old, backend, actor=actor))
    return backend, old


def test_replay_under_the_same_policy_changes_nothing():
    backend, old = _recorded()
    rep = replay(backend, old)
    assert rep.requests == 8 and rep.changes == []


def test_replay_under_a_stricter_policy_reports_exactly_the_changes():
    backend, _ = _recorded()
    stricter = parse_policy({"allowed_tools": ["think", "log"],
                             "approval": {"required_for": ["high"]},
                             "rules": [{"tool": "think", "effect": "require_approval"}]})
    rep = replay(backend, stricter)
    assert sorted((c.tool, c.actor, c.kind) for c in rep.changes) == sorted(
        [("store", a, "allow->deny") for a in ("ann", "ben")]
        + [("think", a, "allow->require_approval") for a in ("ann", "ben")])
    assert rep.counts()["by_tool"] == {"store": 2, "think": 2}
    assert rep.counts()["by_actor"] == {"ann": 2, "ben": 2}
    assert json.loads(json.dumps(rep.to_json()))["changed"] == 4 and "think" in rep.text()


def test_replay_under_a_looser_policy_reports_exactly_the_changes():
    backend, _ = _recorded()
    looser = parse_policy({"approval": {"required_for": []}})
    rep = replay(backend, looser)
    assert sorted((c.tool, c.kind) for c in rep.changes) == [("publish", "deny->allow")] * 2
    rep = replay(backend, parse_policy({}))  # default: high-risk publish needs approval
    assert sorted((c.tool, c.kind) for c in rep.changes) == [
        ("publish", "deny->require_approval")] * 2
    assert replay(backend, looser, since="2999-01-01T00:00:00.000000Z").requests == 0


# ------------------------------------------------------------------ command line
def test_cli_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.toml").write_text('allowed_tools = ["think", "log", "store", '
                                     '"escalate_to"]\n[approval]\napprovers = ["alice"]\n')
    assert main(["validate-config", "p.toml"]) == 0
    (tmp_path / "bad.toml").write_text("max_intent_length = \"x\"\n")
    assert main(["validate-config", "bad.toml"]) == 26
    assert "max_intent_length" in capsys.readouterr().err
    from aether.governance.policy import load_policy
    backend = open_state_store(str(tmp_path))
    store = StoreApprovals(backend)
    g = GovernedDispatcher(SimulateDispatcher(), load_policy("p.toml"), Ledger(backend),
                           store, "bot")
    run_source('goal: "g"\nthink("a")\nescalate_to("ops")\n', "f.aether", dispatcher=g,
               options=RunOptions(run_id="R"))
    run_source(FLOW, "f.aether", dispatcher=governed(None, backend, actor="bot"),
               options=RunOptions(run_id="S"))
    capsys.readouterr()
    assert main(["runs", "--waiting"]) == 0 and "r6 escalate_to" in capsys.readouterr().out
    assert main(["approve", "R", "r6", "--approver", "bot", "--reason", "x"]) == 25
    assert main(["approve", "R", "r6", "--approver", "bob", "--reason", "x"]) == 25
    assert main(["deny", "R", "r6", "--approver", "alice", "--reason", "no"]) == 0
    assert main(["audit", "verify", "S"]) == 0
    assert main(["audit", "export", "S", "-o", "ev.json"]) == 0
    assert main(["audit", "verify", "ev.json"]) == 0
    doc = json.loads((tmp_path / "ev.json").read_text())
    doc["entries"] = doc["entries"][:-1]
    from aether.governance.ledger import dump_export
    (tmp_path / "cut.json").write_bytes(dump_export(doc))
    assert main(["audit", "verify", "cut.json"]) == 25
    (tmp_path / "junk.json").write_text("{")
    assert main(["audit", "verify", "junk.json"]) == 26
    import sqlite3
    sqlite3.connect(str(tmp_path / ".aether" / "state.db")).execute(
        "UPDATE ledger SET body = replace(body, 'notes', 'NOTES') WHERE run_id='S'").connection.commit()
    assert main(["audit", "verify", "S"]) == 22
    capsys.readouterr()
    (tmp_path / "strict.toml").write_text('allowed_tools = ["log"]\n')
    assert main(["policy", "replay", "strict.toml", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["by_change"]["allow->deny"] >= 2
    assert main(["audit", "verify", "nosuchrun"]) == 26


# ------------------------------------------------------------------ hostile approvals
@pytest.mark.parametrize("spelling", ["Agent-Ops", " agent-ops ", "AGENT-OPS",
                                      "\uff41\uff47\uff45\uff4e\uff54-ops",  # fullwidth
                                      "\u0430gent-ops",  # Cyrillic a
                                      "agent\u2011ops"])  # non-breaking hyphen
def test_the_requester_under_another_spelling_cannot_approve(spelling):
    assert validate(approval(approver=spelling), REQ, parse_policy({}), 2000.0).startswith(
        "self-approval")
    backend, store = MemoryLedgerBackend(), MemoryApprovalStore()
    run_source('goal: "g"\nescalate_to("ops")\n', "f.aether",
               dispatcher=governed(parse_policy({}), backend, store),
               options=RunOptions(run_id="run"))
    with pytest.raises(GovernanceError) as e:
        record_approval(backend, store, parse_policy({}), "run", "r2", spelling, "me")
    assert "separation of duties" in e.value.message


@pytest.mark.parametrize("name", ["", "   ", "ali\u200bce", "alice\u202e", "al\x00ice"])
def test_an_approver_name_with_invisible_characters_is_refused(name):
    backend, store = MemoryLedgerBackend(), MemoryApprovalStore()
    run_source('goal: "g"\nescalate_to("ops")\n', "f.aether",
               dispatcher=governed(parse_policy({}), backend, store),
               options=RunOptions(run_id="run"))
    with pytest.raises(GovernanceError) as e:
        record_approval(backend, store, parse_policy({}), "run", "r2", name, "ok")
    assert e.value.rule == "AE608"
    assert store.for_run("run") == []


def test_an_approval_allows_one_call_not_every_identical_call():
    # one approval of publish("notes") allowed both identical calls of the run
    backend, store = MemoryLedgerBackend(), MemoryApprovalStore()
    src = 'goal: "g"\nescalate_to("ops")\nescalate_to("ops")\n'
    g = governed(POLICY, backend, store)
    assert run_source(src, "f.aether", dispatcher=g,
                      options=RunOptions(run_id="run")).status == 1
    record_approval(backend, store, POLICY, "run", "r2", "alice", "once")
    g2 = governed(POLICY, backend, store)
    g2._begun, g2.digest = True, g.digest
    r = run_source(src, "f.aether", dispatcher=g2, options=RunOptions(run_id="run"))
    assert r.status == 1  # the second call waits for its own approval
    decisions = [e.parsed()["data"] for e in backend.entries("run")
                 if e.parsed()["kind"] == "decision"]
    assert [d["effect"] for d in decisions][-2:] == ["allow", "require_approval"]
    assert any("used:" in why for why in decisions[-1]["rejected_approvals"])
    # a later dispatcher of the same run (a resume) reads the use from the ledger
    g3 = governed(POLICY, backend, store)
    assert g3._used_approvals("run") == {decisions[-2]["approval"]}


# ------------------------------------------------------------------ hostile state and files
def _one_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    backend = open_state_store(str(tmp_path))
    run_source(FLOW, "f.aether", dispatcher=governed(None, backend, actor="bot"),
               options=RunOptions(run_id="S"))
    backend.close()


def test_audit_verify_of_an_evidence_fifo_or_folder_is_refused_at_once(tmp_path, capsys,
                                                                      monkeypatch):
    import os
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "ev.json")  # open() waited forever for a writer
    assert main(["audit", "verify", "ev.json"]) == 26
    assert "FIFO" in capsys.readouterr().err
    (tmp_path / "d.json").mkdir()
    assert main(["audit", "verify", "d.json"]) == 26
    assert "directory" in capsys.readouterr().err


def test_run_of_a_workflow_fifo_is_refused_at_once(tmp_path):
    # the signature pre-check opened the workflow with open() and waited forever for a
    # writer; a subprocess with a timeout so that the regression fails instead of hanging
    import os
    import subprocess
    import sys
    os.mkfifo(tmp_path / "f.aether")
    r = subprocess.run([sys.executable, "-m", "aether", "run", "f.aether"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 26
    assert "not a regular file" in r.stderr and "Traceback" not in r.stderr


def test_the_signature_probe_of_run_reads_only_the_head_of_a_big_workflow(tmp_path,
                                                                          monkeypatch):
    # the probe for a signature header read the whole file (up to 128 MiB) to look at
    # its first 4 KiB; every byte os.read returns is counted here
    import os
    from aether.cli import run as run_cli
    big = tmp_path / "big.aether"
    real_read = os.read
    for first, expected in (('goal: "g"\n', None),
                            ("# @aether-signature v1 ns=x keyid=0123456789abcdef\n", "v")):
        with open(big, "wb") as fh:
            fh.write(first.encode())
            fh.truncate(16 * 1024 * 1024)  # sparse: big, cheap to make
        got = []

        def spy(fd, n):
            data = real_read(fd, n)
            got.append(len(data))
            return data
        monkeypatch.setattr(os, "read", spy)
        monkeypatch.setattr("aether.cli.sigopts.load_verify_options", lambda *a, **k: "v")
        result = run_cli._signature_options(None, str(big), False, None, None, False)
        monkeypatch.undo()
        assert result == expected and 0 < sum(got) <= 4096, (first, sum(got))


def test_a_state_database_with_a_dropped_table_is_an_io_error_not_a_crash(tmp_path, capsys,
                                                                         monkeypatch):
    import sqlite3
    _one_run(tmp_path, monkeypatch)
    db = sqlite3.connect(str(tmp_path / ".aether" / "state.db"))
    db.execute("DROP TABLE ledger")
    db.commit()
    db.close()
    assert main(["audit", "verify"]) == 26  # was 27, internal error: StoreError
    err = capsys.readouterr().err
    assert "no such table: ledger" in err and "internal error" not in err


def test_a_damaged_checkpoint_is_an_io_error_naming_it(tmp_path, capsys, monkeypatch):
    import sqlite3

    from aether.store import StoreError
    _one_run(tmp_path, monkeypatch)
    backend = open_state_store(str(tmp_path))
    backend.save_checkpoint("S", {"state": "waiting"})
    backend.close()
    db = sqlite3.connect(str(tmp_path / ".aether" / "state.db"))
    db.execute("UPDATE checkpoints SET body = 'garbage'")
    db.commit()
    db.close()
    backend = open_state_store(str(tmp_path))
    with pytest.raises(StoreError):  # was json.JSONDecodeError
        backend.load_checkpoint("S")
    backend.close()
    assert main(["resume", "S"]) == 26
    assert "checkpoint of run 'S' is not JSON" in capsys.readouterr().err


def test_replay_skips_and_counts_malformed_entries_of_an_edited_ledger():
    # data that is a list, or a spent budget that is not a number, raised AttributeError
    # and ValueError out of replay (an internal error of `aether policy replay`)
    backend = MemoryLedgerBackend()
    led = Ledger(backend)
    led.append("x", "run", ["not", "an", "object"])
    led.append("x", "request", {**REQ.to_json(), "run_id": "x"})
    led.append("x", "decision", {"request": "r2", "effect": "allow", "spent": {"risk": "x"}})
    led.append("x", "request", {**REQ.to_json(), "run_id": "x"})
    led.append("x", "decision", {"request": "r4", "effect": "allow"})
    report = replay(backend, parse_policy({}))
    assert (report.requests, report.skipped) == (1, 2)
    assert "2 ledger entries skipped" in report.text()
    assert report.to_json()["skipped"] == 2


def test_replay_and_verify_of_an_empty_ledger_say_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    open_state_store(str(tmp_path)).close()
    assert main(["audit", "verify"]) == 0
    assert "nothing to verify" in capsys.readouterr().out
    (tmp_path / "p.toml").write_text('mode = "strict"\n')
    assert main(["policy", "replay", "p.toml"]) == 0
    assert "replayed 0 request(s)" in capsys.readouterr().out


# ------------------------------------------------------------------ parameter hashes
def test_params_hash_is_the_hash_of_the_canonical_json():
    import hashlib

    from aether.governance.approvals import params_hash

    want = hashlib.sha256('{"a":[1,2.5,null],"b":"é"}'.encode("utf-8")).hexdigest()
    assert params_hash({"b": "é", "a": [1, 2.5, None]}) == want
    assert params_hash({"a": (1, 2.5, None), "b": "é"}) == want  # a tuple is a JSON list


@pytest.mark.parametrize("params, why", [
    ({"x": object()}, "object"),
    ({"x": float("nan")}, "nan"),
    ({"x": {1: "a"}}, "not a string"),  # json.dumps would write it as "1": {"1": "a"}'s hash
])
def test_params_without_a_canonical_form_are_refused_not_hashed_by_repr(params, why):
    from aether.governance.approvals import ParamsError, params_hash

    with pytest.raises(ParamsError, match=why):
        params_hash(params)


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deeply_nested_params_are_refused_without_recursing(depth):
    from aether.governance.approvals import MAX_PARAMS_DEPTH, ParamsError, params_hash

    value: list = []
    for _ in range(depth):
        value = [value]
    with pytest.raises(ParamsError, match=f"more than {MAX_PARAMS_DEPTH} levels"):
        params_hash({"x": value})
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(ParamsError):
        params_hash({"x": cyclic})


def test_a_deeply_nested_parameter_ends_the_run_with_one_coded_message(tmp_path, monkeypatch):
    """A workflow builds a value 100 000 levels deep and hands it to an effectful tool: the
    governed call is refused (AE407, exit 21) naming the tool, rather than recorded as a
    cut-short repr (two values would share an approval) or ending in a RecursionError."""
    from click.testing import CliRunner

    from aether.cli.main import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.aether").write_text(
        'goal: "deep"\nx: []\nfor i in range(100000):\n    x: [x]\nstore("k", x)\n')
    r = CliRunner().invoke(cli, ["run", "deep.aether"])
    assert r.exit_code == 21, (r.stdout, r.stderr)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "AE407" in lines[0], lines
    assert "parameters of 'store'" in lines[0] and "100 levels" in lines[0]
    assert "Traceback" not in r.stderr
