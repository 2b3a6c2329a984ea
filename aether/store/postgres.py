"""The shared state store: :class:`PostgresStore`, run state and the ledger in PostgreSQL.

For a fleet of runners on several hosts, every runner opens the same database by URL
(``--state postgresql://USER@HOST/DB`` or ``state = "postgresql://..."`` in the
configuration; libpq's own variables and ``~/.pgpass`` supply what the URL leaves out).
The store implements the :class:`~aether.store.base.Store` interface (runs, events,
memory, call journal) and the governance :class:`~aether.governance.ledger.LedgerBackend`
protocol (``ledger``, ``ledger_heads``) plus its approvals, over the same tables as the
SQLite store, with portable SQL and JSON kept as text (a ledger body must stay byte-exact:
``jsonb`` would re-serialise it and break its hash).

Several hosts append at once. Each run has its own chain, so two runs never touch the same
head row. An append is one READ COMMITTED transaction that inserts the entries and moves
the head with ``UPDATE ledger_heads ... WHERE count = N AND hash = H AND closed = 0``:
PostgreSQL locks the head row, and a concurrent writer of the *same* run waits for it and
then re-checks the condition against the committed row, finds it moved and gets
LedgerConflict (nothing written), exactly as in SQLite; the primary keys ``(run_id, seq)``
and ``ledger_heads.run_id`` catch the remaining races (two first entries). Connection
strings are never shown with their password (:func:`redact_url`).

psycopg 3 is an optional dependency (``pip install 'aether[postgres]'``).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from .base import RunRecord, StoreError
from .sql import SQLStore, dump as _dump

__all__ = ["PostgresStore", "MIGRATIONS", "is_postgres_url",
           "redact_url", "URL_SCHEMES"]

URL_SCHEMES = ("postgresql", "postgres")

# Serialises schema migrations across hosts (any constant; "aether" in ASCII).
_MIGRATION_LOCK = 0x616574686572

# The SQLite schema (aether/store/sqlite.py) in PostgreSQL's words: DOUBLE PRECISION for
# REAL (PostgreSQL's REAL is 4 bytes: a timestamp would lose its seconds), BIGSERIAL for an
# autoincrement key, and an insertion counter on runs (SQLite's rowid) to order ties.
# Version 2 is the governance ledger (the version SQLite reserves for it).
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
            started_at DOUBLE PRECISION NOT NULL,
            ended_at DOUBLE PRECISION,
            simulated INTEGER NOT NULL DEFAULT 0,
            n BIGSERIAL NOT NULL)""",
        "CREATE INDEX runs_by_start ON runs (started_at)",
        """CREATE TABLE events (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event TEXT NOT NULL,
            PRIMARY KEY (run_id, seq))""",
        """CREATE TABLE memory (
            seq BIGSERIAL PRIMARY KEY,
            namespace TEXT NOT NULL,
            id TEXT NOT NULL,
            value TEXT NOT NULL,
            tag TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            UNIQUE (namespace, id))""",
        """CREATE TABLE calls (
            run_id TEXT NOT NULL,
            call_key TEXT NOT NULL,
            request TEXT NOT NULL,
            result TEXT,
            started_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            PRIMARY KEY (run_id, call_key))""",
    )),
    (2, "governance ledger, heads and approvals", (
        """CREATE TABLE ledger (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (run_id, seq))""",
        """CREATE TABLE ledger_heads (
            run_id TEXT PRIMARY KEY,
            count INTEGER NOT NULL,
            hash TEXT NOT NULL,
            closed INTEGER NOT NULL,
            status INTEGER,
            created DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE approvals (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            body TEXT NOT NULL,
            time DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX approvals_run ON approvals (run_id)",
    )),
    (3, "checkpoints of waiting runs", (
        """CREATE TABLE checkpoints (
            run_id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL)""",
    )),
]

# How often an append of the events (MAX(seq) + 1) is retried when another connection took
# the same number meanwhile.
_RETRIES = 5


def is_postgres_url(state: Optional[str]) -> bool:
    """Whether ``state`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)
    rather than a SQLite file."""
    if not state or "://" not in state:
        return False
    return state.split("://", 1)[0].lower() in URL_SCHEMES


def redact_url(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` parameter) replaced
    by ``***``: the form every message and log shows."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    cut = min([i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0],
              default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        userinfo, _, hostport = authority.rpartition("@")
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        authority = f"{userinfo}@{hostport}"
    tail = re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", tail)
    return f"{scheme}://{authority}{tail}"


def _secrets(url: str) -> list[str]:
    """The password(s) written in ``url``, raw and percent-decoded, to scrub from messages."""
    from urllib.parse import parse_qsl, unquote

    found = []
    try:
        parts = urlsplit(url)
        if parts.password:
            found += [parts.password, unquote(parts.password)]
        found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
    except ValueError:
        pass
    return [s for s in found if s]



def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise StoreError("a postgresql:// state store needs psycopg 3: "
                         "pip install 'aether[postgres]'") from None
    return psycopg


class PostgresStore(SQLStore):
    """:class:`Store` and LedgerBackend in a PostgreSQL database named by a URL.

    One connection per store, shared by the threads of a process under a lock (as
    SQLiteStore); every statement runs in its own transaction (autocommit) except the
    multi-statement writes, which take an explicit one.
    """

    PARAM = "%s"  # psycopg's placeholder (the shared statements of .sql are written with ?)
    RUN_ORDER = "n"

    def __init__(self, url: str, connect_timeout: int = 10):
        self.url = url
        self.where = redact_url(url)
        self._secrets = _secrets(url)
        self._lock = threading.RLock()
        psycopg = _psycopg()
        self._pg = psycopg
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout,
                                       client_encoding="UTF8",
                                       application_name="aether")
        except (psycopg.Error, ValueError) as exc:
            raise StoreError(f"{self.where}: cannot open the state database: "
                             f"{self._clean(exc)}") from None
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(f"{self.where}: cannot open the state database: "
                             f"{self._clean(exc)}") from None
        except StoreError:
            self._db.close()
            raise

    # ------------------------------------------------------------ plumbing
    def _clean(self, exc: BaseException) -> str:
        """The first line of a driver error, with any password of the URL scrubbed."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _migrate(self) -> None:
        with self._lock, self._db.transaction():
            # Two hosts opening a fresh database at once: one migrates, the other waits and
            # then finds the work done (CREATE TABLE IF NOT EXISTS alone races in PostgreSQL).
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                             "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                             "applied_at DOUBLE PRECISION NOT NULL)")
            done = {r[0] for r in self._db.execute("SELECT version FROM schema_migrations")}
            newest = max(done, default=0)
            known = max(v for v, _, _ in MIGRATIONS)
            if newest > known:
                raise StoreError(f"{self.where}: the state database has schema version "
                                 f"{newest}, newer than this aether knows ({known}); "
                                 "upgrade aether")
            for version, name, statements in MIGRATIONS:
                if version in done:
                    continue
                for sql in statements:
                    self._db.execute(sql)
                self._db.execute("INSERT INTO schema_migrations (version, name, applied_at) "
                                 "VALUES (%s, %s, %s)", (version, name, time.time()))

    def schema_version(self) -> int:
        rows = self._all("SELECT MAX(version) FROM schema_migrations")
        return int(rows[0][0] or 0)

    def _error(self, exc: BaseException) -> StoreError:
        return StoreError(f"{self.where}: state database error: {self._clean(exc)}")

    def _run(self, sql: str, params: tuple = ()):
        with self._lock:
            try:
                return self._db.execute(sql, params)
            except (self._pg.Error, UnicodeError) as exc:
                raise self._error(exc) from None

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except (self._pg.Error, UnicodeError) as exc:
                raise self._error(exc) from None

    def _in_transaction(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(connection)`` in one transaction (all or nothing)."""
        with self._lock:
            try:
                with self._db.transaction():
                    return work(self._db)
            except (self._pg.Error, UnicodeError) as exc:
                raise self._error(exc) from None

    # ------------------------------------------------------------ runs
    def create_run(self, run: RunRecord) -> None:
        try:
            self._run(f"INSERT INTO runs ({self._RUN_COLUMNS}) VALUES "
                      "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                      (run.run_id, run.workflow, run.digest, _dump(run.inputs), run.status,
                       run.exit_status, _dump(run.outputs), _dump(run.error),
                       run.started_at, run.ended_at, int(run.simulated)))
        except StoreError as exc:
            if "duplicate key" in str(exc):
                raise StoreError(f"run id '{run.run_id}' is already in {self.where}") from None
            raise

    # ------------------------------------------------------------ events
    def append_event(self, run_id: str, event: dict) -> None:
        text = _dump(event)
        for attempt in range(_RETRIES):
            try:
                self._run("INSERT INTO events (run_id, seq, event) SELECT %s, "
                          "COALESCE(MAX(seq), 0) + 1, %s FROM events WHERE run_id = %s",
                          (run_id, text, run_id))
                return
            except StoreError as exc:
                # another connection (host) took the same seq for this run: take the next
                if "duplicate key" not in str(exc) or attempt == _RETRIES - 1:
                    raise

    # ------------------------------------------------------------ memory
    def memory_add(self, namespace, value, tag, fields) -> str:
        def work(db):
            seq = db.execute("INSERT INTO memory (namespace, id, value, tag, fields, "
                             "created_at) VALUES (%s, '', %s, %s, %s, %s) RETURNING seq",
                             (namespace, _dump(value), _dump(tag), _dump(fields),
                              time.time())).fetchone()[0]
            rid = f"mem-{seq}"
            db.execute("UPDATE memory SET id = %s WHERE seq = %s", (rid, seq))
            return rid
        return self._in_transaction(work)

    def memory_delete(self, namespace, record_ids) -> int:
        if not record_ids:
            return 0
        cur = self._run("DELETE FROM memory WHERE namespace = %s AND id = ANY(%s)",
                        (namespace, list(record_ids)))
        return cur.rowcount

    # ------------------------------------------------------------ ledger (LedgerBackend)
    def append_many(self, entries, closed: bool = False,
                    status: Optional[int] = None) -> None:
        """Append consecutive entries of one run in one transaction and move the head;
        LedgerConflict when they do not follow the head (another writer, a closed run, a
        taken seq), LedgerError (status 26) when the database fails. Nothing is written
        unless everything is."""
        from ..governance.ledger import LedgerConflict, LedgerError

        first, last = entries[0], entries[-1]
        pg = self._pg
        conflict = (f"run {first.run_id}: entry {first.seq} does not follow the head "
                    "(another writer holds this run, or it is closed)")
        with self._lock:
            try:
                with self._db.transaction():
                    if first.seq == 1:
                        self._db.execute(
                            "INSERT INTO ledger_heads (run_id, count, hash, closed, status, "
                            "created) VALUES (%s, %s, %s, %s, %s, %s)",
                            (first.run_id, last.seq, last.hash, int(closed), status,
                             time.time()))
                    else:
                        moved = self._db.execute(
                            "UPDATE ledger_heads SET count = %s, hash = %s, closed = %s, "
                            "status = %s WHERE run_id = %s AND count = %s AND hash = %s "
                            "AND closed = 0",
                            (last.seq, last.hash, int(closed), status, first.run_id,
                             first.seq - 1, first.prev_hash)).rowcount
                        if moved != 1:
                            raise LedgerConflict(conflict)
                    with self._db.cursor() as cur:
                        cur.executemany(
                            "INSERT INTO ledger (run_id, seq, prev_hash, hash, body) "
                            "VALUES (%s, %s, %s, %s, %s)",
                            [(e.run_id, e.seq, e.prev_hash, e.hash, e.body) for e in entries])
            except pg.errors.UniqueViolation:
                raise LedgerConflict(f"run {first.run_id}: entry {first.seq} exists "
                                     "already") from None
            except (pg.errors.SerializationFailure, pg.errors.DeadlockDetected):
                raise LedgerConflict(conflict) from None
            except (pg.Error, UnicodeError) as exc:
                raise LedgerError(f"{self.where}: cannot append to the ledger: "
                                  f"{self._clean(exc)}", 26) from None

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except self._pg.Error:
                pass

