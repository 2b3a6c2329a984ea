"""Test support: the state backends the store and ledger tests run against.

SQLite always; PostgreSQL when ``AETHER_TEST_POSTGRES`` holds the URL of a database the
tests may write to (``.ci/run`` starts a throwaway server and sets it). Each PostgreSQL test
gets a schema of its own (``search_path`` in the URL), dropped afterwards, so tests never
see each other's rows and the database is left as it was found.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Optional
from urllib.parse import quote

POSTGRES_ENV = "AETHER_TEST_POSTGRES"
SKIP_REASON = (f"{POSTGRES_ENV} is not set (the postgresql:// URL of a test database; "
               ".ci/run starts one)")


def postgres_base_url() -> Optional[str]:
    """The URL of the test server's database, or None when there is none."""
    return os.environ.get(POSTGRES_ENV) or None


def with_schema(url: str, schema: str) -> str:
    """``url`` with libpq ``options`` that put ``schema`` first on the search path."""
    options = quote(f"-c search_path={schema}", safe="")
    return url + ("&" if "?" in url else "?") + f"options={options}"


class StateDb:
    """One database of one backend for one test: where it is (``state``: a SQLite path
    or a PostgreSQL URL, as ``--state`` takes it), stores and ledgers on it, and raw SQL
    on the same tables (``?`` placeholders for both) to tamper with them."""

    def __init__(self, kind: str, state: str, admin_url: Optional[str] = None,
                 schema: Optional[str] = None):
        self.kind = kind
        self.state = state
        self._admin_url = admin_url
        self._schema = schema
        self._raw: Any = None

    def store(self):
        """A new store on this database (the caller closes it)."""
        return open_store(self.kind, self.state)

    def ledger_backend(self):
        """A new LedgerBackend on this database."""
        return open_ledger_backend(self.kind, self.state)

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement (autocommit); its rows, or [] when it returns none."""
        if self._raw is None:
            if self.kind == "sqlite":
                import sqlite3

                self._raw = sqlite3.connect(self.state, isolation_level=None)
            else:
                import psycopg

                self._raw = psycopg.connect(self.state, autocommit=True)
        if self.kind == "sqlite":
            return self._raw.execute(sql, params).fetchall()
        cur = self._raw.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    def cleanup(self) -> None:
        if self._raw is not None:
            self._raw.close()
        if self._schema is not None:
            import psycopg

            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self._schema}" CASCADE')


def make_state_db(kind: str, tmp_path) -> StateDb:
    """A fresh, empty database of ``kind`` ("sqlite" or "postgres") for one test; the
    caller must have checked that PostgreSQL is available."""
    if kind == "sqlite":
        return StateDb("sqlite", str(tmp_path / "state.db"))
    import psycopg

    base = postgres_base_url()
    schema = "aether_test_" + uuid.uuid4().hex[:16]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return StateDb("postgres", with_schema(base, schema), base, schema)


def open_store(kind: str, state: str):
    from aether.store import open_state_store

    return open_state_store(os.path.dirname(state) if kind == "sqlite" else ".", state)


def open_ledger_backend(kind: str, state: str):
    """The ledger backend of a database: the store itself where it implements the ledger,
    else (SQLite until the ledger moves into SQLiteStore) governance's SQLite backend."""
    from aether.store import SQLiteStore

    if kind == "sqlite" and not hasattr(SQLiteStore, "append_many"):
        from aether.governance.sqlite_ledger import SqliteLedgerBackend

        return SqliteLedgerBackend(state)
    return open_store(kind, state)
