"""The ledger and approvals in SQLite (``.aether/state.db``): the embedded state of governance.

Until the shared state store (``aether/store``) lands, governance keeps its own two tables
in the project's state database; they move behind the Store interface unchanged::

    ledger(run_id TEXT, seq INTEGER, prev_hash TEXT, hash TEXT, body TEXT,
           PRIMARY KEY (run_id, seq))
    ledger_heads(run_id TEXT PRIMARY KEY, count INTEGER, hash TEXT, closed INTEGER,
                 status INTEGER, created REAL)
    approvals(id TEXT PRIMARY KEY, run_id TEXT, request_id TEXT, body TEXT, time REAL)

An append is one transaction (``BEGIN IMMEDIATE``: insert the entry, move the head), so a
crash leaves either both or neither; the primary key makes a second writer of the same run
fail (LedgerConflict) instead of forking its chain. WAL journal mode lets readers work
while a run writes; ``synchronous=NORMAL`` (the default here) survives a killed process,
``durable=True`` (``synchronous=FULL``) also a power loss.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Optional

from .approvals import Approval
from .ledger import Entry, Head, LedgerConflict, LedgerError

__all__ = ["SqliteLedgerBackend", "SqliteApprovalStore", "open_state", "state_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS ledger_heads (
    run_id TEXT PRIMARY KEY, count INTEGER NOT NULL, hash TEXT NOT NULL,
    closed INTEGER NOT NULL, status INTEGER, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, request_id TEXT NOT NULL,
    body TEXT NOT NULL, time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS approvals_run ON approvals (run_id);
"""


def state_path(project_root: str) -> str:
    """Where the state database of the project at ``project_root`` lives."""
    return os.path.join(project_root, ".aether", "state.db")


class _Db:
    """One connection shared by the threads of a process, behind a lock."""

    def __init__(self, path: str, durable: bool = False):
        self.path = path
        try:
            if path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.conn = sqlite3.connect(path, timeout=30.0, isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=" + ("FULL" if durable else "NORMAL"))
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"{path}: cannot open the state database: {exc}", 26)
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class SqliteLedgerBackend:
    """A LedgerBackend on SQLite (see the module docstring for the tables)."""

    def __init__(self, path: str, durable: bool = False, db: Optional[_Db] = None):
        self.db = db or _Db(path, durable)

    def append(self, entry: Entry, closed: bool = False,
               status: Optional[int] = None) -> None:
        self.append_many([entry], closed, status)

    def append_many(self, entries: list[Entry], closed: bool = False,
                    status: Optional[int] = None) -> None:
        """Append consecutive entries of one run in one transaction (``closed`` and
        ``status`` describe the head after the last one)."""
        first, last = entries[0], entries[-1]
        c = self.db.conn
        with self.db.lock:
            try:
                c.execute("BEGIN IMMEDIATE")
                if first.seq == 1:
                    c.execute("INSERT INTO ledger_heads VALUES (?, ?, ?, ?, ?, ?)",
                              (first.run_id, last.seq, last.hash, int(closed), status,
                               time.time()))
                else:
                    moved = c.execute(
                        "UPDATE ledger_heads SET count=?, hash=?, closed=?, status=? WHERE "
                        "run_id=? AND count=? AND hash=? AND closed=0",
                        (last.seq, last.hash, int(closed), status, first.run_id,
                         first.seq - 1, first.prev_hash)).rowcount
                    if moved != 1:
                        c.execute("ROLLBACK")
                        raise LedgerConflict(f"run {first.run_id}: entry {first.seq} does not "
                                             "follow the head (another writer holds this "
                                             "run, or it is closed)")
                c.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?)",
                              [(e.run_id, e.seq, e.prev_hash, e.hash, e.body)
                               for e in entries])
                c.execute("COMMIT")
            except sqlite3.IntegrityError:
                c.execute("ROLLBACK")
                raise LedgerConflict(f"run {first.run_id}: entry {first.seq} exists already")
            except sqlite3.Error as exc:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise LedgerError(f"{self.db.path}: cannot append to the ledger: {exc}", 26)

    def entries(self, run_id: str) -> list[Entry]:
        with self.db.lock:
            rows = self.db.conn.execute(
                "SELECT run_id, seq, prev_hash, hash, body FROM ledger WHERE run_id=? "
                "ORDER BY seq", (run_id,)).fetchall()
        return [Entry(*r) for r in rows]

    def head(self, run_id: str) -> Optional[Head]:
        with self.db.lock:
            row = self.db.conn.execute(
                "SELECT count, hash, closed, status FROM ledger_heads WHERE run_id=?",
                (run_id,)).fetchone()
        return Head(row[0], row[1], bool(row[2]), row[3]) if row else None

    def runs(self) -> list[str]:
        with self.db.lock:
            rows = self.db.conn.execute(
                "SELECT run_id FROM ledger_heads ORDER BY created, run_id").fetchall()
        return [r[0] for r in rows]

    def waiting_runs(self) -> list[str]:
        """Runs whose chain is open (no closing entry yet)."""
        with self.db.lock:
            rows = self.db.conn.execute(
                "SELECT run_id FROM ledger_heads WHERE closed=0 ORDER BY created").fetchall()
        return [r[0] for r in rows]


class SqliteApprovalStore:
    """An ApprovalStore on the same SQLite database (table ``approvals``)."""

    def __init__(self, path: str, db: Optional[_Db] = None):
        self.db = db or _Db(path)

    def add(self, approval: Approval) -> None:
        with self.db.lock:
            try:
                self.db.conn.execute("INSERT OR REPLACE INTO approvals VALUES (?, ?, ?, ?, ?)",
                                     (approval.id, approval.run_id, approval.request_id,
                                      json.dumps(approval.to_json(), sort_keys=True),
                                      approval.time))
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.db.path}: cannot record the approval: {exc}", 26)

    def for_run(self, run_id: str) -> list[Approval]:
        with self.db.lock:
            rows = self.db.conn.execute("SELECT body FROM approvals WHERE run_id=? ORDER BY "
                                        "time", (run_id,)).fetchall()
        return [Approval.from_json(json.loads(r[0])) for r in rows]


def open_state(project_root: str = ".", durable: bool = False
               ) -> tuple[SqliteLedgerBackend, SqliteApprovalStore]:
    """The ledger backend and approval store of the project at ``project_root`` (one
    connection to ``.aether/state.db``). Raises LedgerError (status 26) when it cannot be
    opened."""
    db = _Db(state_path(project_root), durable)
    return SqliteLedgerBackend("", db=db), SqliteApprovalStore("", db=db)
