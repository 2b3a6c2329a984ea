"""The state store (aether/store): runs, events, memory, call journal, schema versions, file
safety (0600, no links), and the memory builtins persisting across runs through it; on
SQLite and, when AETHER_TEST_POSTGRES names a test database, on PostgreSQL (the
``state_db`` fixture of conftest.py)."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aether.runtime.api import RunOptions, run_source
from aether.store import RunRecord, SQLiteStore, StoreError, open_state_store, state_path
from aether.store.postgres import MIGRATIONS as PG_MIGRATIONS
from aether.store.sqlite import MIGRATIONS


@pytest.fixture(params=["memory", "file"])
def store(request, state_db):
    """Every store: SQLite in memory and in a file, PostgreSQL (when the tests have one)."""
    if request.param == "memory":
        if state_db.kind != "sqlite":
            pytest.skip("in memory is SQLite only")
        s = SQLiteStore(":memory:")
    else:
        s = state_db.store()
    yield s
    s.close()


def test_runs_newest_first_with_status_filter_and_limit(store):
    for i, status in enumerate(["succeeded", "failed", "succeeded"]):
        store.create_run(RunRecord(f"r{i}", "w.aether", "d" * 64, {"n": i},
                                   started_at=100.0 + i))
        store.finish_run(f"r{i}", status, 0 if status == "succeeded" else 21,
                         {"out": i}, None, 200.0 + i)
    store.create_run(RunRecord("r9", "w.aether", "d" * 64, {}, started_at=50.0))
    assert [r.run_id for r in store.list_runs()] == ["r2", "r1", "r0", "r9"]
    assert [r.run_id for r in store.list_runs(status="succeeded")] == ["r2", "r0"]
    assert [r.run_id for r in store.list_runs(limit=2)] == ["r2", "r1"]
    assert store.list_runs(status="running")[0].run_id == "r9"
    r1 = store.get_run("r1")
    assert (r1.inputs, r1.outputs, r1.exit_status, r1.ended_at) == ({"n": 1}, {"out": 1},
                                                                     21, 201.0)
    assert store.get_run("nope") is None
    with pytest.raises(StoreError, match="already"):
        store.create_run(RunRecord("r0", "w", "d"))


def test_events_and_call_journal(store):
    store.create_run(RunRecord("r", "w", "d"))
    for i in range(3):
        store.append_event("r", {"event": "e", "i": i})
    assert [e["i"] for e in store.list_events("r")] == [0, 1, 2]
    store.record_call_started("r", "1:think:ab", {"tool": "think", "args": ["x"]})
    store.record_call_started("r", "2:publish:cd", {"tool": "publish"})
    store.record_call_result("r", "1:think:ab", {"answer": [1, None]})
    assert store.completed_calls("r") == {"1:think:ab": {"answer": [1, None]}}
    assert store.started_calls("r") == {"2:publish:cd": {"tool": "publish"}}
    store.record_call_result("r", "2:publish:cd", None)  # a null result is a result
    assert store.completed_calls("r")["2:publish:cd"] is None
    with pytest.raises(StoreError, match="never recorded"):
        store.record_call_result("r", "3:x:ef", 1)


def test_memory_primitives_keep_order_and_namespaces(store):
    a = store.memory_add("p1", {"k": [1]}, "t", {"ttl": None})
    b = store.memory_add("p1", "second", None, {})
    store.memory_add("p2", "other project", None, {})
    assert [r["id"] for r in store.memory_list("p1")] == [b, a]
    store.memory_put("p1", a, "changed", "t", {})
    assert [r["value"] for r in store.memory_list("p1")] == ["second", "changed"]
    assert store.memory_get("p1", a)["value"] == "changed"
    assert store.memory_delete("p1", [a, "missing"]) == 1
    assert len(store.memory_list("p2")) == 1


def test_schema_is_versioned_and_reopening_keeps_data(state_db):
    s = state_db.store()
    migrations = MIGRATIONS if state_db.kind == "sqlite" else PG_MIGRATIONS
    assert s.schema_version() == max(v for v, _, _ in migrations)
    s.create_run(RunRecord("r", "w", "d"))
    s.close()
    s = state_db.store()
    assert s.get_run("r") is not None
    s.close()
    state_db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)")
    with pytest.raises(StoreError, match="newer than this aether knows"):
        state_db.store()


def test_state_file_is_0600_in_a_folder_aether_makes(tmp_path):
    s = open_state_store(str(tmp_path))
    s.close()
    path = state_path(str(tmp_path))
    assert path == str(tmp_path / ".aether" / "state.db")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as fh:
        assert fh.read(16) == b"SQLite format 3\x00"


def test_state_is_never_opened_through_a_link(tmp_path):
    target = tmp_path / "elsewhere.db"
    target.write_bytes(b"")
    proj = tmp_path / "p"
    (proj / ".aether").mkdir(parents=True)
    os.symlink(target, proj / ".aether" / "state.db")
    with pytest.raises(StoreError, match="symbolic link"):
        open_state_store(str(proj))
    assert target.read_bytes() == b""  # untouched
    proj2 = tmp_path / "q"
    proj2.mkdir()
    (tmp_path / "realdir").mkdir()
    os.symlink(tmp_path / "realdir", proj2 / ".aether")
    with pytest.raises(StoreError, match="symbolic link"):
        open_state_store(str(proj2))
    assert not os.listdir(tmp_path / "realdir")
    os.symlink(target, tmp_path / "link.db")
    with pytest.raises(StoreError, match="symbolic link"):
        open_state_store(str(proj2), str(tmp_path / "link.db"))


@pytest.mark.parametrize("sql,kind", [
    # a view in place of a table: what aether reads would be the file's own query (an
    # endless recursive one hung `aether runs`; this one makes up a run)
    ("DROP TABLE runs; CREATE VIEW runs AS SELECT 'fake' AS run_id, 'w' AS workflow, "
     "'d' AS digest, '{}' AS inputs, 'succeeded' AS status, 0 AS exit_status, NULL AS "
     "outputs, NULL AS error, 1.0 AS started_at, 2.0 AS ended_at, 0 AS simulated", "view"),
    # a trigger runs on aether's own writes (this one erases every memory record)
    ("CREATE TRIGGER wipe AFTER INSERT ON events BEGIN DELETE FROM memory; END", "trigger"),
])
def test_a_state_database_with_a_view_or_trigger_is_refused(tmp_path, sql, kind):
    """aether creates neither: a state database from a repository (a committed
    .aether/state.db) that holds one is refused before any of its SQL runs."""
    import sqlite3
    import subprocess
    import sys

    proj = tmp_path / "p"
    proj.mkdir()
    (proj / "aether.toml").write_text("")
    open_state_store(str(proj)).close()
    db = sqlite3.connect(state_path(str(proj)))
    db.executescript(sql)
    db.close()
    with pytest.raises(StoreError, match=kind):
        open_state_store(str(proj))
    for args in (["runs"], ["audit", "verify"]):
        proc = subprocess.run([sys.executable, "-m", "aether", *args], cwd=proj,
                              capture_output=True, text=True)
        assert proc.returncode == 26, (args, proc.stdout, proc.stderr)
        assert kind in proc.stderr and "fake" not in proc.stdout


def test_concurrent_writers_from_threads(state_db):
    s = state_db.store()
    s.create_run(RunRecord("r", "w", "d"))

    def write(n):
        for i in range(50):
            s.append_event("r", {"t": n, "i": i})
            s.memory_add("ns", i, n, {})
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(s.list_events("r")) == 200 and len(s.memory_list("ns")) == 200
    s.close()


def test_memory_builtins_persist_across_runs_and_runs_are_recorded(state_db, tmp_path):
    text = 'goal: "m"\nmemory: remember("deploy done", tag="notes")\nr: recall(tag="notes")\n'
    with state_db.store() as s:
        first = run_source(text, "m.aether", store=s, root=str(tmp_path),
                           inputs={"who": "ops"})
        second = run_source(text, "m.aether", store=s, root=str(tmp_path))
        assert first.outputs["r"] == ["deploy done"]
        assert second.outputs["r"] == ["deploy done", "deploy done"]
        rec = s.get_run(first.run_id)
        assert rec.status == "succeeded" and rec.exit_status == 0
        assert rec.inputs == {"who": "ops"} and rec.outputs == first.outputs
        assert rec.digest == first.digest and len(rec.digest) == 64
        assert rec.ended_at >= rec.started_at
        events = s.list_events(first.run_id)
        assert events[0]["event"] == "run_start" and events[-1]["event"] == "run_end"
        # a simulated run is recorded but its memory is its own (in memory)
        sim = run_source(text, "m.aether", store=s, root=str(tmp_path), simulate=True)
        assert sim.outputs["r"] == ["deploy done"] and s.get_run(sim.run_id).simulated
        failed = run_source('goal: "m"\nx: 1 / 0\n', "f.aether", store=s,
                            options=RunOptions(run_id="fixed-id"))
        rec = s.get_run("fixed-id")
        assert rec.status == "failed" and rec.exit_status == 21
        assert rec.error["rule"] == "AE402" and failed.status == 21


def test_two_connections_adding_and_putting_memory_at_once(state_db):
    # two processes (here: two stores on one database, one thread each) add and put memory
    # records at once: the add's placeholder row and a put's update-then-insert each let
    # the other connection hit UNIQUE (namespace, id) (two concurrent `aether run`s failed
    # with AE410 "UNIQUE constraint failed: memory.namespace, memory.id")
    stores = [state_db.store() for _ in range(2)]
    errors = []

    def write(s, n):
        try:
            for i in range(150):
                s.memory_add("ns", i, n, {})
                s.memory_put("ns", f"shared-{i}", n, None, {})
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(stores[0].memory_list("ns")) == 300 + 150
    for s in stores:
        s.close()


@pytest.mark.parametrize("table", ["ledger", "ledger_heads"])
def test_a_damaged_ledger_is_the_same_ledger_error_on_every_backend(state_db, table):
    """A ledger read that the database refuses is a LedgerError (status 26) with the
    store's one-line message, on SQLite as on PostgreSQL (SQLite raised StoreError)."""
    from aether.governance.ledger import Ledger, LedgerError

    s = state_db.store()
    try:
        Ledger(s).append("R", "run", {"x": 1})
        state_db.execute(f"DROP TABLE {table}")
        reads = {"ledger": [lambda: s.entries("R")],
                 "ledger_heads": [lambda: s.head("R"), s.runs, s.waiting_runs]}[table]
        for read in reads:
            with pytest.raises(LedgerError) as info:
                read()
            assert info.value.status == 26
            assert type(info.value) is LedgerError  # not a conflict: nothing to retry
            message = str(info.value)
            where = s.where if state_db.kind == "postgres" else s.path
            assert message.startswith(f"{where}: state database error: ")
            assert table in message and "\n" not in message
    finally:
        s.close()


def test_a_run_on_a_damaged_ledger_is_refused_not_an_internal_error(tmp_path, monkeypatch,
                                                                   capsys):
    import sqlite3

    from aether.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.aether").write_text('goal: "g"\nstore("k", 1)\n')
    assert main(["run", "w.aether"]) == 0
    db = sqlite3.connect(str(tmp_path / ".aether" / "state.db"))
    db.execute("DROP TABLE ledger_heads")
    db.commit()
    db.close()
    capsys.readouterr()
    assert main(["run", "w.aether"]) == 21  # was 27: AE999 internal error: StoreError
    err = capsys.readouterr().err
    assert "AE601" in err and "[ledger-unavailable]" in err and "internal error" not in err
    assert main(["runs", "--waiting"]) == 26
    assert "no such table: ledger_heads" in capsys.readouterr().err


def test_claim_checkpoint_compares_canonical_json_not_text(state_db):
    """A checkpoint stored with other spacing, key order and escapes than the store's own
    writer is still the one ``load_checkpoint`` returned: it can be claimed (once)."""
    s = state_db.store()
    try:
        s.save_checkpoint("C", {"x": 1})  # the row exists; its text is rewritten below
        state_db.execute("UPDATE checkpoints SET body = ? WHERE run_id = ?",
                         ('{ "state" : "waiting", "actor": "zo\\u00eb", "seed": 7 }', "C"))
        seen = s.load_checkpoint("C")
        assert seen == {"state": "waiting", "actor": "zoë", "seed": 7}
        assert s.claim_checkpoint("C", seen, {**seen, "state": "running", "pid": 1})
        assert not s.claim_checkpoint("C", seen, {**seen, "state": "running", "pid": 2})
        assert s.load_checkpoint("C")["pid"] == 1
        assert not s.claim_checkpoint("nope", seen, seen)  # no checkpoint: nothing claimed
    finally:
        s.close()


def _open_state_database(path, results):
    try:
        SQLiteStore(path)
        results.put(None)
    except Exception as exc:  # noqa: BLE001 - the test reports what failed
        results.put(str(exc))


def test_processes_opening_one_new_state_database_at_once_all_open_it(tmp_path):
    # Two processes switching a new database to WAL at once can get "database is locked"
    # without SQLite calling the busy handler (each holds a shared lock and wants the
    # exclusive one): two `aether run` starting together failed one of them (seen in CI,
    # about one round in thirty here before the open was retried while busy).
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    failures = []
    for round_ in range(30):
        path = str(tmp_path / f"state{round_}.db")
        results = ctx.Queue()
        procs = [ctx.Process(target=_open_state_database, args=(path, results))
                 for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        failures += [e for e in (results.get(timeout=10) for _ in procs) if e is not None]
    assert failures == []


def test_a_state_database_that_cannot_be_opened_leaves_no_connection_open(tmp_path,
                                                                         monkeypatch):
    import sqlite3

    path = str(tmp_path / "state.db")
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)")
    db.commit()
    db.close()
    opened = []
    real_connect = sqlite3.connect

    def connect(*a, **k):
        opened.append(real_connect(*a, **k))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    with pytest.raises(StoreError, match="newer than this aether knows"):
        SQLiteStore(path)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


def test_sqlite_memory_delete_is_one_transaction(tmp_path):
    import sqlite3

    path = str(tmp_path / "state.db")
    s = SQLiteStore(path)
    ids = [s.memory_add("p", i, None, {}) for i in range(5)]
    other = s.memory_add("q", "other", None, {})
    # a row whose delete fails, in the middle of the list: the rows before it stay too
    db = sqlite3.connect(path)
    db.execute(f"CREATE TRIGGER no_delete BEFORE DELETE ON memory WHEN old.id = '{ids[3]}' "
               "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    db.commit()
    with pytest.raises(StoreError, match="refused"):
        s.memory_delete("p", ids)
    assert [r["id"] for r in s.memory_list("p")] == ids[::-1]
    db.execute("DROP TRIGGER no_delete")
    db.commit()
    db.close()
    # as PostgreSQL's `id = ANY(...)`: each row once, missing ids and other namespaces
    # not counted, nothing for no ids
    assert s.memory_delete("p", []) == 0
    assert s.memory_delete("p", [ids[0], ids[0], "missing", other, ids[2]]) == 2
    assert [r["id"] for r in s.memory_list("p")] == [ids[4], ids[3], ids[1]]
    assert [r["id"] for r in s.memory_list("q")] == [other]
    assert s.memory_delete("p", iter(ids)) == 3 and s.memory_list("p") == []
    s.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("pq"), max_size=8),
       st.lists(st.integers(0, 10), max_size=12))
def test_sqlite_memory_delete_counts_as_postgres_any(namespaces, picks):
    # PostgresStore deletes `WHERE namespace = %s AND id = ANY(%s)`: the rows of the
    # namespace whose id is listed, each once; the SQLite store must count the same
    s = SQLiteStore(":memory:")
    rows = [(ns, s.memory_add(ns, i, None, {})) for i, ns in enumerate(namespaces)]
    pool = [rid for _, rid in rows] + ["missing", "mem-999"]
    ids = [pool[k % len(pool)] for k in picks]
    listed_in_p = {rid for ns, rid in rows if ns == "p" and rid in ids}
    assert s.memory_delete("p", ids) == len(listed_in_p)
    assert {r["id"] for r in s.memory_list("p")} == \
        {rid for ns, rid in rows if ns == "p"} - listed_in_p
    assert {r["id"] for r in s.memory_list("q")} == {rid for ns, rid in rows if ns == "q"}
    s.close()
