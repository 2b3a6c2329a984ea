"""The PostgreSQL state store: chosen by URL (``--state``, the configuration's ``state``),
passwords never shown, a clear error without psycopg, schema migration by several hosts at
once, and ``aether run`` / ``aether runs`` against a real server (AETHER_TEST_POSTGRES)."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys

import pytest

from aether.config import ConfigError, load_config
from aether.store import (SQLiteStore, StoreError, describe_state, is_postgres_url,
                          open_state_store, redact_url)
from aether.store.postgres import MIGRATIONS, PostgresStore


def test_the_url_scheme_chooses_the_backend(tmp_path):
    assert is_postgres_url("postgresql://h/db") and is_postgres_url("POSTGRES://h/db")
    assert not is_postgres_url(str(tmp_path / "s.db")) and not is_postgres_url(None)
    assert not is_postgres_url("sqlite:///x.db")
    with open_state_store(str(tmp_path), str(tmp_path / "s.db")) as s:
        assert isinstance(s, SQLiteStore)


def test_passwords_are_redacted_in_every_form():
    assert redact_url("postgresql://ops:s3cr%40t@db.example:5432/aether") == \
        "postgresql://ops:***@db.example:5432/aether"
    assert redact_url("postgresql://ops@db/aether?sslmode=require&password=hunter2") == \
        "postgresql://ops@db/aether?sslmode=require&password=***"
    assert redact_url("postgresql:///aether?host=/run/pg") == "postgresql:///aether?host=/run/pg"
    assert redact_url("postgresql://a:b@c@h?password=x#f") == "postgresql://a:***@h?password=***#f"
    assert describe_state("/p", "postgres://u:pw@h/d") == "postgres://u:***@h/d"
    assert describe_state("/p", None).endswith(".aether/state.db")


def test_a_failed_connection_never_shows_the_password(tmp_path):
    pytest.importorskip("psycopg")
    # a socket folder with no server in it: fails at once, without any network
    url = (f"postgresql://ops:Tr0ub4dor@/aether?host={tmp_path}&port=1"
           "&connect_timeout=2")
    with pytest.raises(StoreError) as exc:
        open_state_store(str(tmp_path), url)
    message = str(exc.value)
    assert "Tr0ub4dor" not in message and "ops:***@" in message
    assert "cannot open the state database" in message
    with pytest.raises(StoreError) as exc:  # a URL libpq refuses
        open_state_store(str(tmp_path), "postgresql://ops:Tr0ub4dor@/aether?bogus=1")
    assert "Tr0ub4dor" not in str(exc.value) and "bogus" in str(exc.value)


def test_without_psycopg_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(StoreError, match=r"aether\[postgres\]"):
        open_state_store(str(tmp_path), "postgresql://u@h/d")


def test_the_configuration_names_the_state_store(tmp_path):
    (tmp_path / "aether.toml").write_text('state = "var/state.db"\n')
    assert load_config(str(tmp_path)).state == str(tmp_path / "var" / "state.db")
    (tmp_path / "aether.toml").write_text('state = "postgresql://ops@db/aether"\n')
    assert load_config(str(tmp_path)).state == "postgresql://ops@db/aether"
    (tmp_path / "aether.toml").write_text("state = 3\n")
    with pytest.raises(ConfigError, match="state"):
        load_config(str(tmp_path))
    (tmp_path / "aether.toml").write_text("")
    assert load_config(str(tmp_path)).state is None


# ------------------------------------------------------------------ against a real server
def test_open_state_store_gives_a_postgres_store_that_is_also_the_ledger(postgres_db):
    from aether.governance.approvals import Approval, Binding
    from aether.governance.approvals import StoreApprovals
    from aether.governance.ledger import Ledger, export_run, verify_run

    with open_state_store(".", postgres_db.state) as s:
        assert isinstance(s, PostgresStore)
        assert s.schema_version() == max(v for v, _, _ in MIGRATIONS)
        led = Ledger(s)
        led.append("r", "run", {"workflow_digest": "w" * 64, "text": "é \u2028 \"q\""})
        led.close("r", 0)
        assert s.waiting_runs() == [] and s.runs() == ["r"]
        assert verify_run(s, "r").status == 0
        assert export_run(s, "r")["entries"][0]["body"]["data"]["text"] == "é \u2028 \"q\""
        a = Approval("r", "req-1", Binding("publish", "p" * 64, "w" * 64), "approve",
                     "alice", "ok", 10.0, 20.0, requester="bot")
        approvals = StoreApprovals(s)
        approvals.add(a)
        approvals.add(a)  # the same approval again replaces itself
        assert approvals.for_run("r") == [a]
        s.save_checkpoint("r", {"workflow": "w.aether", "seed": 7})
        assert s.load_checkpoint("r") == {"workflow": "w.aether", "seed": 7}
    # the body is stored byte for byte: the hash is over the exact text
    body = postgres_db.execute("SELECT body FROM ledger WHERE seq = 1")[0][0]
    assert "\\u2028" not in body and "é" in body


def _open(url, out):
    try:
        PostgresStore(url).close()
        out.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out.put(repr(exc))


def test_hosts_opening_a_fresh_database_at_once_migrate_it_once(postgres_db):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_open, args=(postgres_db.state, out)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert results == ["ok"] * 3
    versions = postgres_db.execute("SELECT version FROM schema_migrations ORDER BY version")
    assert [v for (v,) in versions] == [v for v, _, _ in MIGRATIONS]


def test_aether_run_and_runs_use_a_postgres_state(postgres_db, tmp_path):
    (tmp_path / "w.aether").write_text('goal: "pg"\nmemory: remember("kept", tag="n")\n'
                                       'r: recall(tag="n")\n')

    def aether(*args):
        return subprocess.run([sys.executable, "-m", "aether", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    p = aether("run", "w.aether", "--state", postgres_db.state, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["outputs"]["r"] == ["kept"]
    # the configuration's state, and the memory kept across runs in the same database
    (tmp_path / "aether.toml").write_text(f"state = {json.dumps(postgres_db.state)}\n")
    p = aether("run", "w.aether", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["outputs"]["r"] == ["kept", "kept"]
    assert not (tmp_path / ".aether" / "state.db").exists()
    p = aether("runs", "--format", "json")
    assert p.returncode == 0, p.stderr
    runs = json.loads(p.stdout)
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
    assert {r["run_id"] for r in runs} == {r[0] for r in postgres_db.execute(
        "SELECT run_id FROM runs")}


def test_governed_run_approve_resume_and_audit_on_a_postgres_state(postgres_db, tmp_path):
    # every governance command takes the configuration's postgresql:// state (they
    # checked for a SQLite file at that "path" and said there was no database)
    (tmp_path / "aether.toml").write_text(f"state = {json.dumps(postgres_db.state)}\n")
    (tmp_path / "w.aether").write_text('goal: "notify"\nescalate_to("oncall")\n')

    def aether(*args):
        return subprocess.run([sys.executable, "-m", "aether", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    p = aether("run", "w.aether", "--json")
    assert p.returncode == 1, p.stderr  # waiting for an approval
    run_id = json.loads(p.stdout)["run_id"]
    assert "waiting" in aether("runs").stdout
    p = aether("approve", run_id, "r2", "--approver", "alice", "--reason", "ok")
    assert p.returncode == 0, p.stderr
    p = aether("resume", run_id)
    assert p.returncode == 21 and "AE411" in p.stderr, p.stderr  # no binding: coded
    p = aether("audit", "verify", run_id)
    assert p.returncode == 0 and "verified" in p.stdout, p.stdout + p.stderr
    assert not (tmp_path / ".aether" / "state.db").exists()
