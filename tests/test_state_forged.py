"""A state database edited by hand (forged or damaged rows) ends every command that reads
it with a status of the table and one line naming the damage, never an internal error."""

from __future__ import annotations

import json
import sqlite3

import pytest

from aether.cli.main import main

FLOW = 'goal: "x"\nescalate_to("ops")\nlog("after")\n'  # waits for an approval


def _checkpoint(**changes):
    def edit(db, run_id):
        body = json.loads(db.execute("SELECT body FROM checkpoints").fetchone()[0])
        body.update(changes)
        db.execute("UPDATE checkpoints SET body = ?", (json.dumps(body),))
    return edit


def _sql(*statements):
    def edit(db, run_id):
        for s in statements:
            db.execute(s)
    return edit


FORGERIES = {
    "checkpoint workflow not a path": (_checkpoint(workflow=5), ["resume"]),
    "checkpoint root not a path": (_checkpoint(root=[1]), ["resume"]),
    "checkpoint inputs not a map": (_checkpoint(inputs=[1]), ["resume"]),
    "checkpoint pid past any pid": (_checkpoint(state="running", pid=10 ** 30), ["resume"]),
    "checkpoint policy file not a path": (_checkpoint(policy_source=7), ["resume"]),
    "run start time not a number": (_sql("UPDATE runs SET started_at = 'abc'"),
                                    ["runs", "stats"]),
    "run start time infinite": (_sql("UPDATE runs SET started_at = 1e309"), ["runs", "stats"]),
    "run times out of range": (_sql("UPDATE runs SET started_at = -1e300, ended_at = 1e300"),
                               ["runs", "stats"]),
    "ledger entry not JSON": (_sql("UPDATE ledger SET body = '{x'"),
                              ["resume", "approve", "deny"]),
    "ledger entry empty": (_sql("UPDATE ledger SET body = ''"), ["resume", "approve", "deny"]),
    "ledger head count past 64 bits": (
        _sql("UPDATE ledger_heads SET count = 9223372036854775807"),
        ["resume", "approve", "deny"]),
}

COMMANDS = {
    "resume": lambda r: ["resume", r],
    "approve": lambda r: ["approve", r, "r2", "--approver", "alice", "--reason", "ok"],
    "deny": lambda r: ["deny", r, "r2", "--approver", "alice", "--reason", "no"],
    "runs": lambda r: ["runs"],
    "stats": lambda r: ["stats"],
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_state_database_is_a_coded_error_not_a_crash(name, tmp_path, monkeypatch,
                                                              capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.aether").write_text(FLOW)
    assert main(["run", "a.aether"]) == 1  # waiting for r2
    db = sqlite3.connect(str(tmp_path / ".aether" / "state.db"))
    run_id = db.execute("SELECT run_id FROM runs").fetchone()[0]
    edit, commands = FORGERIES[name]
    edit(db, run_id)
    db.commit()
    db.close()
    capsys.readouterr()
    for command in commands:
        code = main(COMMANDS[command](run_id))
        err = capsys.readouterr().err
        assert code in (1, 21, 22, 25, 26), (command, code, err)
        assert "internal error" not in err and "Traceback" not in err, (command, err)
        if code == 26:
            assert "damaged" in err, (command, err)
