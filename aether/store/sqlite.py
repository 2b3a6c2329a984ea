"""The embedded state store: :class:`SQLiteStore` over the standard library's sqlite3.

The database is ``.aether/state.db`` in the project root (:func:`state_path`; ``--state
PATH`` overrides it). It is created with mode 0600 in a folder aether creates, and never
opened through a symbolic link (the folder or the file; docs/security.md). WAL mode and a
busy timeout let several runs (processes) share it; inside a process one connection is
shared under a lock. ``":memory:"`` gives a private in-memory store (``--simulate``).

The schema is versioned: ``schema_migrations`` records each migration applied, and opening
a database applies the missing ones in one transaction. The SQL is kept portable (TEXT,
INTEGER, REAL columns; JSON as text) so a PostgreSQL store can implement the same
interface with the same statements.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Optional

from .base import RunRecord, StoreError
from .sql import SQLStore, dump as _dump

__all__ = ["SQLiteStore", "open_state_store", "state_path", "STATE_DIR", "STATE_FILE",
           "MIGRATIONS", "BUSY_TIMEOUT"]

STATE_DIR = ".aether"
STATE_FILE = "state.db"
BUSY_TIMEOUT = 10.0  # seconds a writer waits for another process's transaction
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

# (version, name, statements). Append only: a released migration never changes.
# Version 2 adds governance: the hash-chained ledger and its per-run heads, approvals and
# the checkpoints of runs waiting to be resumed. ``IF NOT EXISTS``: a database written by
# the first governance release (its own copy of the ledger tables, the same columns) is
# adopted as it is.
MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (1, "runs, events, memory, call journal", (
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            workflow TEXT NOT NULL,
            digest TEXT NOT NULL,
            inputs TEXT NOT NULL,
            status TEXT NOT NULL,
            exit_status INTEGER,
            outputs TEXT,
            error TEXT,
            started_at REAL NOT NULL,
            ended_at REAL,
            simulated INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX runs_by_start ON runs (started_at)",
        """CREATE TABLE events (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event TEXT NOT NULL,
            PRIMARY KEY (run_id, seq))""",
        """CREATE TABLE memory (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace TEXT NOT NULL,
            id TEXT NOT NULL,
            value TEXT NOT NULL,
            tag TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (namespace, id))""",
        """CREATE TABLE calls (
            run_id TEXT NOT NULL,
            call_key TEXT NOT NULL,
            request TEXT NOT NULL,
            result TEXT,
            started_at REAL NOT NULL,
            finished_at REAL,
            PRIMARY KEY (run_id, call_key))""",
    )),
    (2, "governance ledger, approvals, checkpoints", (
        """CREATE TABLE IF NOT EXISTS ledger (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (run_id, seq))""",
        """CREATE TABLE IF NOT EXISTS ledger_heads (
            run_id TEXT PRIMARY KEY,
            count INTEGER NOT NULL,
            hash TEXT NOT NULL,
            closed INTEGER NOT NULL,
            status INTEGER,
            created REAL NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS approvals (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            body TEXT NOT NULL,
            time REAL NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS approvals_run ON approvals (run_id)",
        """CREATE TABLE checkpoints (
            run_id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at REAL NOT NULL)""",
    )),
]



def state_path(root: str, override: Optional[str] = None) -> str:
    """Where the state database of the project at ``root`` is: ``override`` when given,
    else ``ROOT/.aether/state.db``."""
    return override if override else os.path.join(root, STATE_DIR, STATE_FILE)


def open_state_store(root: str, override: Optional[str] = None) -> "SQLiteStore":
    """Open (creating when needed) the state store of the project at ``root``.

    The default location's folder ``.aether`` is created if missing (never through a
    link). Raises StoreError when the folder or file is a link or not what it should be,
    or the database cannot be opened."""
    path = state_path(root, override)
    if not override:
        from ..fileio import WriteError, make_dir

        try:
            make_dir(os.path.dirname(path))
        except WriteError as exc:
            raise StoreError(f"{exc.path}: {exc.reason}") from None
    return SQLiteStore(path)


def _prepare_file(path: str) -> None:
    """Make sure ``path`` is a regular file that is not a link, creating it with 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    except FileExistsError:
        if os.path.islink(path):
            raise StoreError(f"{path}: is a symbolic link; aether does not open its state "
                             "database through a link") from None
        if not os.path.isfile(path):
            raise StoreError(f"{path}: is not a file") from None
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the state database: "
                         f"{exc.strerror or exc}") from None
    os.close(fd)


def _while_busy(step) -> None:
    """Run ``step`` again while SQLite answers "database is locked" at once; no new try
    starts after BUSY_TIMEOUT (a try may itself wait that long on SQLite's busy handler, so
    the worst case is about twice it): switching a database that another process is
    creating to WAL can fail without calling the busy handler (two runs starting on one
    new state database)."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SQLiteStore(SQLStore):
    """:class:`Store` in one SQLite database file (or ``":memory:"``)."""

    def __init__(self, path: str = ":memory:", durable: bool = False):
        self.path = path
        self._lock = threading.RLock()
        memory = path == ":memory:"
        if not memory:
            parent = os.path.dirname(os.path.abspath(path))
            if os.path.islink(parent) and os.path.basename(parent) == STATE_DIR:
                raise StoreError(f"{parent}: is a symbolic link; aether does not open its "
                                 "state database through a link")
            _prepare_file(path)
        db = None
        try:
            db = self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                            check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            _while_busy(lambda: self._open_schema(memory, durable))
        except (sqlite3.Error, StoreError) as exc:
            if db is not None:
                db.close()  # as PostgresStore does: no half-opened connection left behind
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{path}: cannot open the state database: {exc}") from None

    # ------------------------------------------------------------ plumbing
    def _open_schema(self, memory: bool, durable: bool) -> None:
        if not memory:
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL: a committed transaction survives the process being killed (the
            # WAL is in the OS's hands); FULL also fsyncs at each commit, for power
            # loss (docs/governance.md "Crash safety").
            self._db.execute("PRAGMA synchronous = " + ("FULL" if durable else "NORMAL"))
        self._refuse_foreign_code()
        self._migrate()

    def _refuse_foreign_code(self) -> None:
        """Raise StoreError when the file holds a trigger or a view: aether creates neither,
        and one from a repository (a committed ``.aether/state.db``) would run its own SQL
        each time aether reads or writes a table (a recursive query that never ends hung
        `aether runs`, `audit verify`, `gates` and `run`). Reading ``sqlite_master`` runs
        none of it."""
        found = self._db.execute("SELECT type, name FROM sqlite_master WHERE type IN "
                                 "('trigger', 'view') ORDER BY name LIMIT 1").fetchone()
        if found is not None:
            kind, name = found
            shown = name if str(name).isprintable() else repr(name)
            raise StoreError(f"{self.path}: the state database holds a {kind} ({shown}) that "
                             "aether never creates; it is refused, not run (move the file "
                             "away to start a new one)")

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                             "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                             "applied_at REAL NOT NULL)")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                done = {r[0] for r in self._db.execute(
                    "SELECT version FROM schema_migrations")}
                newest = max(done, default=0)
                known = max(v for v, _, _ in MIGRATIONS)
                if newest > known:
                    raise StoreError(f"{self.path}: the state database has schema version "
                                     f"{newest}, newer than this aether knows ({known}); "
                                     "upgrade aether")
                for version, name, statements in MIGRATIONS:
                    if version in done:
                        continue
                    for sql in statements:
                        self._db.execute(sql)
                    self._db.execute("INSERT INTO schema_migrations (version, name, "
                                     "applied_at) VALUES (?, ?, ?)",
                                     (version, name, time.time()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def schema_version(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def _write(self, work):
        """``work(connection)`` in one write transaction (``BEGIN IMMEDIATE``: other
        processes wait on the busy timeout), committed, or rolled back on any error;
        returns what ``work`` returns. StoreError on a database error."""
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: state database error: {exc}") from None
            return result

    def _run(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: state database error: {exc}") from None

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: state database error: {exc}") from None

    # ------------------------------------------------------------ runs
    def create_run(self, run: RunRecord) -> None:
        try:
            self._run(f"INSERT INTO runs ({self._RUN_COLUMNS}) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (run.run_id, run.workflow, run.digest, _dump(run.inputs), run.status,
                       run.exit_status, _dump(run.outputs), _dump(run.error),
                       run.started_at, run.ended_at, int(run.simulated)))
        except StoreError as exc:
            if "UNIQUE" in str(exc):
                raise StoreError(f"run id '{run.run_id}' is already in {self.path}") from None
            raise

    # ------------------------------------------------------------ events
    def append_event(self, run_id: str, event: dict) -> None:
        with self._lock:
            self._run("INSERT INTO events (run_id, seq, event) SELECT ?, "
                      "COALESCE(MAX(seq), 0) + 1, ? FROM events WHERE run_id = ?",
                      (run_id, _dump(event), run_id))

    # ------------------------------------------------------------ memory
    def memory_add(self, namespace, value, tag, fields) -> str:
        # one transaction: the row is inserted under a placeholder id and renamed to its
        # seq; two processes adding at once each saw the other's placeholder (UNIQUE
        # constraint failed) when the two statements were separate transactions
        def work(db):
            cur = db.execute("INSERT INTO memory (namespace, id, value, tag, fields, "
                             "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                             (namespace, "", _dump(value), _dump(tag), _dump(fields),
                              time.time()))
            rid = f"mem-{cur.lastrowid}"
            db.execute("UPDATE memory SET id = ? WHERE seq = ?", (rid, cur.lastrowid))
            return rid
        return self._write(work)

    def memory_delete(self, namespace, record_ids) -> int:
        # one transaction, as PostgresStore's one statement: a failure midway deletes
        # nothing (each DELETE was its own transaction before). An id listed twice or
        # missing counts once or not at all, as `id = ANY(...)` there; executemany and not
        # one `IN (?, ...)`, which would hit SQLite's limit on bound parameters.
        ids = [(namespace, rid) for rid in record_ids]
        if not ids:
            return 0
        return self._write(lambda db: db.executemany(
            "DELETE FROM memory WHERE namespace = ? AND id = ?", ids).rowcount)

    # ------------------------------------------------------------ ledger (LedgerBackend)
    def append_many(self, entries, closed: bool = False,
                    status: Optional[int] = None) -> None:
        """Append consecutive entries of one run and move its head, in one transaction
        (``BEGIN IMMEDIATE``); LedgerConflict when they do not follow the head."""
        from ..governance.ledger import LedgerConflict, LedgerError

        first, last = entries[0], entries[-1]
        c = self._db
        with self._lock:
            try:
                c.execute("BEGIN IMMEDIATE")
                if first.seq == 1:
                    c.execute("INSERT INTO ledger_heads (run_id, count, hash, closed, status, "
                              "created) VALUES (?, ?, ?, ?, ?, ?)",
                              (first.run_id, last.seq, last.hash, int(closed), status,
                               time.time()))
                else:
                    moved = c.execute(
                        "UPDATE ledger_heads SET count = ?, hash = ?, closed = ?, status = ? "
                        "WHERE run_id = ? AND count = ? AND hash = ? AND closed = 0",
                        (last.seq, last.hash, int(closed), status, first.run_id,
                         first.seq - 1, first.prev_hash)).rowcount
                    if moved != 1:
                        c.execute("ROLLBACK")
                        raise LedgerConflict(f"run {first.run_id}: entry {first.seq} does not "
                                             "follow the head (another writer holds this "
                                             "run, or it is closed)")
                c.executemany("INSERT INTO ledger (run_id, seq, prev_hash, hash, body) "
                              "VALUES (?, ?, ?, ?, ?)",
                              [(e.run_id, e.seq, e.prev_hash, e.hash, e.body)
                               for e in entries])
                c.execute("COMMIT")
            except sqlite3.IntegrityError:
                c.execute("ROLLBACK")
                raise LedgerConflict(f"run {first.run_id}: entry {first.seq} exists already")
            except sqlite3.Error as exc:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise LedgerError(f"{self.path}: cannot append to the ledger: {exc}", 26) \
                    from None

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass


