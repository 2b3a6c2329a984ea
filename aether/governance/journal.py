"""The call journal of one governed run: durable records that make resume at-most-once.

Temporal's idea, on the state store's ``calls`` table: before a tool is called its
*start* is recorded (the tool, the hash of its parameters, the ledger request id), and
after it returns its *result* is recorded, durably, before the run goes on. A resumed run
re-executes the workflow from its start; each call it reaches is looked up by its key:

* a completed call is **replayed**: its recorded result is returned and the tool is not
  called again;
* a started call without a result is **in doubt** (the process died while it ran);
* any other call is new and runs normally.

The key of a call is ``TOOL#N``: the N-th call of that tool in the run (counted from 1).
Keyed per tool rather than by a global counter so that the calls of ``parallel:`` tasks,
whose interleaving differs between runs, still find their records as long as each tool's
own calls come in the same order. A key whose recorded parameter hash differs from the
replayed call's means the run diverged (AE611).

The program's reads of the clock (``now()``, ``time_since``) are journaled the same way
(``clock#N``), so a replayed part sees the times the original run saw; the random hook is
seeded with the seed recorded in the checkpoint.
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["CallJournal", "REPLAYED", "IN_DOUBT", "NEW"]

REPLAYED, IN_DOUBT, NEW = "replayed", "in-doubt", "new"


class CallJournal:
    """The journal of ``run_id`` in ``store`` (an :class:`aether.store.Store`)."""

    def __init__(self, store, run_id: str):
        self.store = store
        self.run_id = run_id
        self.completed: dict[str, Any] = store.completed_calls(run_id)
        self.started: dict[str, Any] = store.started_calls(run_id)
        self.replayed = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def resuming(self) -> bool:
        """Whether anything was recorded before (this run is a resumed one)."""
        return bool(self.completed or self.started)

    def next_key(self, tool: str) -> str:
        """The key of the next call of ``tool`` in this run."""
        with self._lock:
            n = self._counts.get(tool, 0) + 1
            self._counts[tool] = n
        return f"{tool}#{n}"

    def lookup(self, key: str) -> tuple[str, Any]:
        """(REPLAYED, recorded result record) / (IN_DOUBT, start record) / (NEW, None)."""
        if key in self.completed:
            return REPLAYED, self.completed[key]
        if key in self.started:
            return IN_DOUBT, self.started[key]
        return NEW, None

    def start(self, key: str, record: dict) -> None:
        """Record that the call ``key`` is about to be made (before the effect)."""
        self.store.record_call_started(self.run_id, key, record)
        self.started[key] = record

    def finish(self, key: str, record: dict) -> None:
        """Record the call's result (durably, before the run goes on)."""
        self.store.record_call_result(self.run_id, key, record)
        self.completed[key] = record
        self.started.pop(key, None)

    def clock(self, read) -> float:
        """The program's next clock read: the recorded one when replaying, else ``read()``
        recorded before it is returned."""
        key = self.next_key("clock")
        with self._lock:
            recorded = self.completed.get(key)
        if recorded is not None:
            return float(recorded["value"])
        value = float(read())
        self.store.record_call_started(self.run_id, key, {"tool": "clock"})
        self.store.record_call_result(self.run_id, key, {"value": value, "at": time.time()})
        self.completed[key] = {"value": value}
        return value
