"""The audit ledger: chains verify; every kind of tampering, in the database and in an
export, is detected and named; concurrent runs keep both chains valid. The database cases
run on SQLite and, when AETHER_TEST_POSTGRES names a test database, on PostgreSQL (the
``state_db`` fixture of conftest.py)."""

from __future__ import annotations

import json
import multiprocessing
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether.governance.ledger import (Ledger, LedgerConflict, LedgerError,
                                      MemoryLedgerBackend, dump_export, export_run,
                                      load_export, verify_export, verify_run)
from state_backends import open_ledger_backend


def fill(backend, run="run-a", n=6, close=True):
    led = Ledger(backend, clock=lambda: 1_700_000_000.0)
    led.append(run, "run", {"workflow_digest": "w" * 64, "policy_digest": "p" * 64})
    for i in range(n - 1):
        led.append(run, "request", {"tool": "store", "params": {"i": i, "s": "é"}})
    if close:
        led.close(run, 0)
    return led


@pytest.fixture(params=["memory", "database"])
def backend(request, state_db):
    if request.param == "memory":
        if state_db.kind != "sqlite":
            pytest.skip("in memory once is enough")
        return MemoryLedgerBackend()
    return state_db.ledger_backend()


def test_a_closed_chain_verifies(backend):
    fill(backend)
    r = verify_run(backend, "run-a")
    assert (r.status, r.state, r.count, r.final_status) == (0, "verified", 7, 0)
    doc = export_run(backend, "run-a")
    raw = dump_export(doc)
    r2 = verify_export(load_export(raw), raw)
    assert (r2.status, r2.root_hash) == (0, r.root_hash)
    assert doc["workflow_digest"] == "w" * 64 and doc["policy_digests"] == ["p" * 64]


def test_nothing_follows_the_closing_entry_and_seq_conflicts_fail(backend):
    led = fill(backend)
    with pytest.raises(LedgerError):
        led.append("run-a", "request", {})
    other = Ledger(backend)
    fill(backend, "run-b", close=False)
    stale = Ledger(backend)
    stale.append("run-b", "request", {})
    with pytest.raises(LedgerConflict):
        other._heads["run-b"] = (1, backend.entries("run-b")[0].hash, False)
        other.append("run-b", "request", {})
    assert verify_run(backend, "run-b").status == 0


# ------------------------------------------------------------------ tampering in the database
def _db(state_db):
    backend = state_db.ledger_backend()
    fill(backend)
    return backend, state_db


def _body(c, seq):
    return json.loads(c.execute("SELECT body FROM ledger WHERE seq=?", (seq,))[0][0])


def test_db_edit_is_named(state_db):
    b, c = _db(state_db)
    body = _body(c, 3)
    body["data"]["params"]["i"] = 99
    c.execute("UPDATE ledger SET body=? WHERE seq=3", (json.dumps(body),))
    r = verify_run(b, "run-a")
    assert (r.status, r.integrity[0].kind, r.integrity[0].seq) == (22, "edited", 3)


def test_db_reorder_is_named(state_db):
    b, c = _db(state_db)
    c.execute("UPDATE ledger SET seq=-1 WHERE seq=3")
    c.execute("UPDATE ledger SET seq=3 WHERE seq=4")
    c.execute("UPDATE ledger SET seq=4 WHERE seq=-1")
    r = verify_run(b, "run-a")
    assert (r.status, r.integrity[0].kind, r.integrity[0].position) == (22, "reordered", 3)


def test_db_delete_middle_is_named(state_db):
    b, c = _db(state_db)
    c.execute("DELETE FROM ledger WHERE seq=4")
    r = verify_run(b, "run-a")
    assert (r.status, r.integrity[0].kind) == (22, "deleted")
    assert "seq 4" in r.integrity[0].message


def test_db_insert_is_named(state_db):
    b, c = _db(state_db)
    # a forged entry at seq 4 with a valid self-hash; the rest shifted up by one
    for seq in range(7, 3, -1):
        c.execute("UPDATE ledger SET seq=? WHERE seq=?", (seq + 1, seq))
    from aether.governance.ledger import entry_hash
    prev = c.execute("SELECT hash FROM ledger WHERE seq=3")[0][0]
    body = {"v": 1, "run": "run-a", "seq": 4, "prev": prev, "kind": "request",
            "time": "x", "data": {"forged": True}}
    text, digest = entry_hash(body)
    c.execute("INSERT INTO ledger VALUES ('run-a', 4, ?, ?, ?)", (prev, digest, text))
    r = verify_run(b, "run-a")
    assert (r.status, r.integrity[0].kind, r.integrity[0].position) == (22, "inserted", 5)


def test_db_truncated_tail_is_incomplete(state_db):
    b, c = _db(state_db)
    c.execute("DELETE FROM ledger WHERE seq>=5")
    r = verify_run(b, "run-a")
    assert (r.status, r.integrity, r.completeness[0].kind) == (25, [], "truncated")
    assert "5 to 7" in r.completeness[0].message


def test_db_dropped_closing_entry_is_incomplete(state_db):
    b, c = _db(state_db)
    c.execute("DELETE FROM ledger WHERE seq=7")
    r = verify_run(b, "run-a")
    assert (r.status, r.completeness[0].kind) == (25, "unclosed")
    assert "closing entry" in r.completeness[0].message


def test_an_open_run_is_not_a_failure(state_db):
    b = state_db.ledger_backend()
    fill(b, close=False)
    r = verify_run(b, "run-a")
    assert (r.status, r.state) == (0, "open")


# ------------------------------------------------------------------ tampering in an export
def _export():
    b = MemoryLedgerBackend()
    fill(b)
    return export_run(b, "run-a")


def _verify(doc):
    raw = dump_export(doc)
    return verify_export(load_export(raw), raw)


def test_export_edit_reorder_insert_delete_are_named():
    doc = _export()
    doc["entries"][2]["body"]["data"]["params"]["i"] = 7
    r = _verify(doc)
    assert (r.status, r.integrity[0].kind, r.integrity[0].seq) == (22, "edited", 3)
    doc = _export()
    doc["entries"][2], doc["entries"][3] = doc["entries"][3], doc["entries"][2]
    assert _verify(doc).integrity[0].kind == "reordered"
    doc = _export()
    del doc["entries"][3]
    r = _verify(doc)
    assert (r.integrity[0].kind, r.integrity[0].position) == ("deleted", 4)
    doc = _export()
    doc["entries"].insert(3, json.loads(json.dumps(doc["entries"][2])))
    r = _verify(doc)
    assert (r.integrity[0].kind, r.integrity[0].position) == ("inserted", 4)


def test_export_truncation_and_missing_close_are_incomplete():
    doc = _export()
    doc["entries"] = doc["entries"][:4]
    r = _verify(doc)
    assert (r.status, r.completeness[0].kind) == (25, "truncated")
    doc = _export()
    doc["entries"] = doc["entries"][:-1]
    r = _verify(doc)
    assert (r.status, r.completeness[0].kind) == (25, "unclosed")


def test_export_header_and_format_are_checked():
    doc = _export()
    doc["workflow_digest"] = "x" * 64
    assert _verify(doc).integrity[0].message.startswith("the header field 'workflow_digest'")
    doc = _export()
    raw = json.dumps(doc, indent=1).encode()
    assert verify_export(load_export(raw), raw).integrity[0].kind == "reformatted"
    with pytest.raises(LedgerError) as e:
        load_export(b'{"format": "other"}')
    assert e.value.status == 26


RAW = dump_export(_export())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(RAW) - 1), st.integers(1, 255))
def test_flipping_any_byte_of_an_export_is_detected(pos, xor):
    data = bytearray(RAW)
    data[pos] ^= xor
    try:
        doc = load_export(bytes(data))
    except LedgerError as exc:
        assert exc.status == 26  # no longer an evidence file: still a coded failure
        return
    assert verify_export(doc, bytes(data)).status in (22, 25)


# ------------------------------------------------------------------ concurrency
def test_two_runs_appending_from_threads_keep_both_chains_valid(state_db):
    b = state_db.ledger_backend()
    led = Ledger(b)

    def work(run):
        for i in range(200):
            led.append(run, "request", {"i": i})
        led.close(run, 0)

    threads = [threading.Thread(target=work, args=(r,)) for r in ("t1", "t2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in ("t1", "t2"):
        rep = verify_run(b, r)
        assert (rep.status, rep.count) == (0, 201)


def _proc(kind, state, run):
    led = Ledger(open_ledger_backend(kind, state))
    for i in range(150):
        led.append(run, "request", {"i": i})
    led.close(run, 0)


def test_two_runs_appending_from_processes_keep_both_chains_valid(state_db):
    # two processes stand for two hosts: each has its own connection to the database
    state_db.ledger_backend()  # create the schema first
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_proc, args=(state_db.kind, state_db.state, r))
             for r in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    b = state_db.ledger_backend()
    for r in ("p1", "p2"):
        rep = verify_run(b, r)
        assert (rep.status, rep.count) == (0, 151)
    assert sorted(b.runs()) == ["p1", "p2"]


def _contend(kind, state, run, tag, n, out):
    """Append ``n`` entries to ``run``, whose chain another process extends at the same
    time: each conflict (the head moved) re-reads the head and tries again."""
    led = Ledger(open_ledger_backend(kind, state))
    done = conflicts = 0
    while done < n:
        try:
            led.append(run, "request", {"by": tag, "i": done})
            done += 1
        except LedgerConflict:
            conflicts += 1
    out.put((tag, conflicts))


def test_two_processes_appending_to_one_run_never_fork_its_chain(state_db):
    # the head row is the lock: a writer whose head is stale fails whole, never forks
    led = Ledger(state_db.ledger_backend())
    led.append("shared", "run", {})
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(state_db.kind, state_db.state, "shared",
                                                tag, 80, out)) for tag in ("a", "b")]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    b = state_db.ledger_backend()
    rep = verify_run(b, "shared")
    assert (rep.status, rep.count) == (0, 161), rep.text()
    by = [e.parsed()["data"].get("by") for e in b.entries("shared")[1:]]
    assert by.count("a") == by.count("b") == 80
    assert set(results) == {"a", "b"}


# ------------------------------------------------------------------ hostile exports
def test_an_export_whose_header_commits_to_fewer_entries_is_broken():
    # count and root_hash lowered to entry 3: the four entries after it were not committed
    doc = _export()
    doc["count"], doc["root_hash"] = 3, doc["entries"][2]["hash"]
    r = _verify(doc)
    assert (r.status, r.integrity[0].kind) == (22, "inserted")
    assert "4 to 7" in r.integrity[0].message


def test_an_export_whose_header_says_open_while_the_close_is_present_is_broken():
    doc = _export()
    doc["closed"] = False  # status kept: the closing entry's status matches it
    r = _verify(doc)
    assert (r.status, r.integrity[0].kind) == (22, "edited")


def test_a_forged_root_hash_is_named():
    doc = _export()
    doc["root_hash"] = "f" * 64
    r = _verify(doc)
    assert (r.status, r.integrity[0].kind) == (22, "edited")


def _rechain(entries):
    """Re-hash a list of export entries so that the chain is sound (a forger's export)."""
    from aether.governance.ledger import GENESIS, entry_hash
    prev = GENESIS
    for item in entries:
        item["body"]["prev"] = prev
        _, item["hash"] = entry_hash(item["body"])
        prev = item["hash"]
    return prev


def test_a_closing_entry_whose_data_is_not_an_object_is_a_coded_failure():
    doc = _export()
    doc["entries"][-1]["body"]["data"] = [1, 2]
    doc["root_hash"] = _rechain(doc["entries"])
    r = _verify(doc)  # raised AttributeError ('list' object has no attribute 'get')
    assert (r.status, r.integrity[0].kind) == (22, "edited")


def test_an_entry_seq_that_is_a_boolean_or_float_is_refused():
    for value in (True, 1.0):
        doc = _export()
        doc["entries"][0]["seq"] = value  # equal to 1 in Python, not the same JSON
        r = _verify(doc)
        assert r.status == 22, value


def test_a_body_nested_past_the_recursion_limit_is_a_coded_failure():
    import sys
    doc = _export()
    deep: object = 1
    for _ in range(sys.getrecursionlimit() + 100):
        deep = [deep]
    doc["entries"][2]["body"]["data"] = deep
    r = verify_export(doc)  # raised RecursionError from the canonical encoder
    assert (r.status, r.integrity[0].kind, r.integrity[0].position) == (22, "malformed", 3)


def test_many_distinct_policy_digests_cost_linear_time():
    # the header's policy digests were collected with a list membership test: quadratic
    import statistics
    import time

    from aether.governance import ledger as L

    def cost(n):
        bodies = [{"kind": "request", "data": {"policy_digest": f"{i:064x}"}}
                  for i in range(n)]
        runs = []
        for _ in range(3):
            t = time.process_time()
            header = L._header("r", bodies, L.Head(1, "", True))
            runs.append(time.process_time() - t)
        assert len(header["policy_digests"]) == n
        return statistics.median(runs)
    small, large = cost(3000), cost(24000)  # 8x the entries: 8x linear, 64x quadratic
    assert large < 25 * max(small, 1e-4)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(JSON_VALUES, min_size=1, max_size=5), st.dictionaries(st.text(), JSON_VALUES,
                                                                      max_size=3))
def test_the_export_check_built_from_verified_entries_is_the_canonical_dump(datas, extra):
    # verification builds the file's canonical bytes from the entries it encoded once; they
    # must be exactly dump_export's, whatever the entries hold (unicode, floats, nesting)
    from aether.governance.ledger import _export_bytes, verify_entries
    b = MemoryLedgerBackend()
    led = Ledger(b, clock=lambda: 1_700_000_000.0)
    for data in datas:
        led.append("r", "request", {"x": data})
    led.close("r", 0, **{k: v for k, v in extra.items() if k not in ("count", "status")})
    doc = export_run(b, "r")
    raw = dump_export(doc)
    rows = [(i, e["seq"], e["hash"], e["body"]) for i, e in enumerate(doc["entries"], 1)]
    pieces: list = []
    assert verify_entries("r", rows, None, pieces).status == 0
    assert _export_bytes(doc, pieces) == raw
    assert verify_export(load_export(raw), raw).status == 0
