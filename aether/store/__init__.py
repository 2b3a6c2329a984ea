"""State of runs: one storage interface (:class:`Store`) and its SQLite implementation.

The runtime keeps its runs, their lifecycle events, the memory of ``remember`` /
``recall`` and the call journal of crash-safe resume behind :class:`Store`; governance
(issue 12) adds its append-only ledger to the same interface, and a PostgreSQL store
implements it for fleets of runners on several machines.
"""

from .base import RunRecord, Store, StoreError
from .sqlite import STATE_DIR, STATE_FILE, SQLiteStore, open_state_store, state_path

__all__ = ["Store", "StoreError", "RunRecord", "SQLiteStore", "open_state_store",
           "state_path", "STATE_DIR", "STATE_FILE"]
