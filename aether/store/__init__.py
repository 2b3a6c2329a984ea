"""State of runs: one storage interface (:class:`Store`), its implementations, and the
choice between them (:func:`open_state_store`).

The runtime keeps its runs, their lifecycle events, the memory of ``remember`` /
``recall`` and the call journal of crash-safe resume behind :class:`Store`; governance
(issue 12) adds its append-only ledger to the same interface. :class:`SQLiteStore` is the
embedded default (one file per project); :class:`~aether.store.postgres.PostgresStore`
(psycopg, the optional ``postgres`` extra) serves a fleet of runners on several hosts.
"""

from typing import Optional

from .base import RunRecord, Store, StoreError
from .postgres import is_postgres_url, redact_url
from .sqlite import STATE_DIR, STATE_FILE, SQLiteStore, state_path
from .sqlite import open_state_store as _open_sqlite

__all__ = ["Store", "StoreError", "RunRecord", "SQLiteStore", "open_state_store", "state_exists",
           "state_path", "is_postgres_url", "redact_url", "describe_state", "STATE_DIR",
           "STATE_FILE"]


def open_state_store(root: str, state: Optional[str] = None) -> Store:
    """Open the state store of the project at ``root``: ``state`` is ``--state`` or the
    configuration's ``state``: a ``postgresql://`` (or ``postgres://``) URL opens
    :class:`~aether.store.postgres.PostgresStore`, a path (or None: the project's
    ``.aether/state.db``) a :class:`SQLiteStore`, created when missing.

    Raises StoreError when the store cannot be opened (its message never holds a
    password)."""
    if is_postgres_url(state):
        from .postgres import PostgresStore

        return PostgresStore(state)
    return _open_sqlite(root, state)


def describe_state(root: str, state: Optional[str] = None) -> str:
    """Where the state store is, fit to show (a URL without its password, or the path)."""
    return redact_url(state) if is_postgres_url(state) else state_path(root, state)


def state_exists(root: str, state: Optional[str] = None) -> bool:
    """Whether there may be a state store to read: always for a PostgreSQL URL (the server
    says), else whether the SQLite file (or a link at its name) exists, so that a command
    that only reads never creates one."""
    import os

    return is_postgres_url(state) or os.path.lexists(state_path(root, state))
