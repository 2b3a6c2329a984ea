"""Signed approvals (issue 13 item 6): approve --key signs, require_signed refuses what is
not signed by a trusted key of the approver, the ledger records the key id, and audit
verify re-checks every approval signature, in the database and in an export."""

from __future__ import annotations

import json

from aether.cli.main import main
from aether.governance.approvals import StoreApprovals
from aether.governance.dispatcher import GovernedDispatcher
from aether.governance.ledger import Ledger, dump_export, export_run, load_export, \
    verify_export, verify_run
from aether.governance.policy import load_policy
from aether.runtime.api import RunOptions, run_source
from aether.runtime.dispatch import SimulateDispatcher
from aether.signing.keys import generate, write_key_pair
from aether.store import open_state_store


def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".aether").mkdir()
    alice, mallory = generate("alice"), generate("mallory")
    write_key_pair(str(tmp_path / "alice.key"), alice)
    write_key_pair(str(tmp_path / "mallory.key"), mallory)
    (tmp_path / ".aether" / "allowed_signers").write_text(
        f"alice {alice.public.line()}\nmallory {mallory.public.line()}\n")
    (tmp_path / "p.toml").write_text('[approval]\napprovers = ["alice", "bob"]\n'
                                     'require_signed = true\n')
    store = open_state_store(str(tmp_path))
    g = GovernedDispatcher(SimulateDispatcher(), load_policy("p.toml"), Ledger(store),
                           StoreApprovals(store), "bot")
    r = run_source('goal: "g"\nescalate_to("ops")\n', "f.aether", dispatcher=g,
                   options=RunOptions(run_id="S"))
    assert r.status == 1
    req = r.error["request"]
    return store, req, alice


def test_require_signed_refuses_unsigned_and_foreign_keys(tmp_path, monkeypatch, capsys):
    store, req, alice = setup(tmp_path, monkeypatch)
    assert main(["approve", "S", req, "--approver", "alice", "--reason", "x"]) == 25
    assert "require_signed" in capsys.readouterr().err
    # mallory's key is trusted, but it is not alice's
    assert main(["approve", "S", req, "--approver", "alice", "--reason", "x",
                 "--key", "mallory.key"]) == 25
    assert "not to the approver" in capsys.readouterr().err
    assert main(["approve", "S", req, "--approver", "alice", "--reason", "ok",
                 "--key", "alice.key"]) == 0
    entry = [e.parsed() for e in store.entries("S") if e.parsed()["kind"] == "approval"][-1]
    assert entry["data"]["keyid"] == alice.keyid
    assert entry["data"]["signature"]["keyid"] == alice.keyid
    assert verify_run(store, "S").status == 0
    raw = dump_export(export_run(store, "S"))
    assert verify_export(load_export(raw), raw).status == 0


def test_audit_verify_rechecks_approval_signatures(tmp_path, monkeypatch):
    store, req, _ = setup(tmp_path, monkeypatch)
    assert main(["approve", "S", req, "--approver", "alice", "--reason", "ok",
                 "--key", "alice.key"]) == 0
    entry = [e.parsed() for e in store.entries("S") if e.parsed()["kind"] == "approval"][-1]
    forged = dict(entry["data"])
    forged["reason"] = "changed after signing"
    forged["id"] = "0" * 16
    # a chain-consistent entry (appended through the ledger) whose signature is wrong
    Ledger(store).append("S", "approval", {k: v for k, v in forged.items()})
    rep = verify_run(store, "S")
    assert rep.status == 22 and rep.integrity[0].kind == "bad-signature"
    raw = dump_export(export_run(store, "S"))
    rep = verify_export(load_export(raw), raw)
    assert rep.status == 22 and "bad signature" in rep.integrity[0].message
    (tmp_path / "ev.json").write_bytes(raw)
    assert main(["audit", "verify", "ev.json"]) == 22


def test_a_signed_approval_counts_when_the_run_is_resumed(tmp_path, monkeypatch):
    store, req, alice = setup(tmp_path, monkeypatch)
    assert main(["approve", "S", req, "--approver", "alice", "--reason", "ok",
                 "--key", "alice.key"]) == 0
    from aether.governance.signed import install_verifier
    from aether.signing.trust import load_trust

    install_verifier(load_trust(".aether/allowed_signers"))
    g = GovernedDispatcher(SimulateDispatcher(), load_policy("p.toml"), Ledger(store),
                           StoreApprovals(store), "bot")
    g._begun, g.digest = True, json.loads(store.entries("S")[0].body)["data"][
        "workflow_digest"]
    r = run_source('goal: "g"\nescalate_to("ops")\n', "f.aether", dispatcher=g,
                   options=RunOptions(run_id="S"))
    assert r.status == 0, r.error


def test_the_run_entry_records_the_signer_of_the_workflow(tmp_path, monkeypatch):
    store, _, alice = setup(tmp_path, monkeypatch)
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "w.aether").write_text('goal: "g"\nlog("hello")\n')
    assert main(["sign", "--key", "alice.key", "w.aether"]) == 0
    try:
        main(["run", "w.aether", "--run-id", "W", "--strict-signatures"])
    except SystemExit as exc:
        assert exc.code == 0
    first = store.entries("W")[0].parsed()
    assert first["kind"] == "run"
    assert first["data"]["signature"]["keyid"] == alice.keyid
    assert first["data"]["signature"]["principal"] == "alice"
