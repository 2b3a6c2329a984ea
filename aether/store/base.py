"""The storage interface of run state: runs, events, memory records and the call journal.

:class:`Store` is deliberately narrow: rows in, rows out, JSON-like values only (each
implementation serialises them as canonical JSON text), so that SQLite today and
PostgreSQL next implement it with the same portable SQL. What the memory builtins *mean*
(``recall`` by tag and text, ``forget`` a tag, ...) lives in the runtime
(:class:`aether.runtime.dispatch.MemoryStore`), above these primitives.

Methods raise :class:`StoreError` (one line for the user) when the storage fails.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["Store", "StoreError", "RunRecord", "RUN_STATUSES"]

# What a run row's `status` can be: running until it ends; `succeeded` (exit status 0) or
# `failed` (any other); `waiting` when a governed run stopped for an approval (or an
# in-doubt call) and can be resumed (`aether resume RUN`), running again meanwhile.
RUN_STATUSES = ("running", "succeeded", "failed", "waiting")


class StoreError(Exception):
    """The state store cannot be opened, read or written; the message says why."""


@dataclass
class RunRecord:
    """One run: what ran (workflow path and sha256 of its bytes), with what, and how it
    ended. Times are seconds since the epoch (``ended_at`` None while running)."""

    run_id: str
    workflow: str
    digest: str
    inputs: Any = field(default_factory=dict)
    status: str = "running"
    exit_status: Optional[int] = None
    outputs: Any = None
    error: Any = None
    started_at: float = 0.0
    ended_at: Optional[float] = None
    simulated: bool = False

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "workflow": self.workflow, "digest": self.digest,
                "inputs": self.inputs, "status": self.status,
                "exit_status": self.exit_status, "outputs": self.outputs,
                "error": self.error, "started_at": self.started_at,
                "ended_at": self.ended_at, "simulated": self.simulated}


class Store(abc.ABC):
    """Run state, behind one interface (SQLite now; PostgreSQL for several hosts).

    Thread-safe: the tasks of ``parallel:`` call it from several threads.
    """

    # ------------------------------------------------------------ runs
    @abc.abstractmethod
    def create_run(self, run: RunRecord) -> None:
        """Record a run that starts (StoreError when the id is taken)."""

    @abc.abstractmethod
    def finish_run(self, run_id: str, status: str, exit_status: int, outputs: Any,
                   error: Any, ended_at: float) -> None:
        """Record how run ``run_id`` ended."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Optional[RunRecord]:
        """The run ``run_id``, or None."""

    @abc.abstractmethod
    def list_runs(self, status: Optional[str] = None, limit: Optional[int] = None
                  ) -> list[RunRecord]:
        """Runs newest first (by start time), only those of ``status`` when given."""

    # ------------------------------------------------------------ events
    @abc.abstractmethod
    def append_event(self, run_id: str, event: dict) -> None:
        """Append one lifecycle event (a JSON object) to the run's events."""

    @abc.abstractmethod
    def list_events(self, run_id: str) -> list[dict]:
        """The run's events in the order they were appended."""

    # ------------------------------------------------------------ memory
    @abc.abstractmethod
    def memory_add(self, namespace: str, value: Any, tag: Any, fields: dict) -> str:
        """Store a new record in ``namespace``; its new id."""

    @abc.abstractmethod
    def memory_put(self, namespace: str, record_id: str, value: Any, tag: Any,
                   fields: dict) -> None:
        """Create or replace record ``record_id`` (a replaced one keeps its place)."""

    @abc.abstractmethod
    def memory_get(self, namespace: str, record_id: str) -> Optional[dict]:
        """Record ``record_id`` as ``{"id", "value", "tag", "fields"}``, or None."""

    @abc.abstractmethod
    def memory_list(self, namespace: str) -> list[dict]:
        """Every record of ``namespace``, newest first."""

    @abc.abstractmethod
    def memory_delete(self, namespace: str, record_ids: list[str]) -> int:
        """Delete these records; how many there were."""

    # ------------------------------------------------------------ call journal
    # Crash-safe resume (issue 12): a call is recorded as started before it is made and
    # its result durably after; a resumed run replays completed calls from here instead of
    # calling the tool again. `call_key` identifies a call within its run deterministically
    # (the n-th effectful call of the run, with its tool and a hash of its arguments).
    @abc.abstractmethod
    def record_call_started(self, run_id: str, call_key: str, request: Any) -> None:
        """Record that call ``call_key`` of run ``run_id`` is about to be made."""

    @abc.abstractmethod
    def record_call_result(self, run_id: str, call_key: str, result: Any) -> None:
        """Record the result of call ``call_key`` (durably, before the run goes on)."""

    @abc.abstractmethod
    def completed_calls(self, run_id: str) -> dict[str, Any]:
        """``{call_key: result}`` of every call of the run that has a recorded result."""

    @abc.abstractmethod
    def started_calls(self, run_id: str) -> dict[str, Any]:
        """``{call_key: request}`` of calls started with no recorded result ("in doubt")."""

    # ------------------------------------------------------------ ledger (issue 12)
    # The governance ledger is an append-only table of this store (schema migration 2 of
    # each implementation): a Store is a LedgerBackend (aether.governance.ledger), so the
    # ledger, the approvals and the checkpoints share the run rows' database and
    # connection. Not abstract, so that a store without governance still instantiates;
    # every implementation shipped with aether implements them.
    def append(self, entry, closed: bool = False, status: Optional[int] = None) -> None:
        """LedgerBackend.append: store ``entry`` and move its run's head, atomically."""
        self.append_many([entry], closed, status)

    def append_many(self, entries, closed: bool = False,
                    status: Optional[int] = None) -> None:
        """LedgerBackend.append_many: consecutive entries of one run in one transaction;
        LedgerConflict when they do not follow the head."""
        raise NotImplementedError

    def entries(self, run_id: str) -> list:
        """LedgerBackend.entries: the run's ledger entries in ``seq`` order."""
        raise NotImplementedError

    def head(self, run_id: str):
        """LedgerBackend.head: the run's ledger head, or None."""
        raise NotImplementedError

    def runs(self) -> list[str]:
        """LedgerBackend.runs: every run id with ledger entries, oldest first."""
        raise NotImplementedError

    def waiting_runs(self) -> list[str]:
        """Run ids whose ledger is open (no closing entry), oldest first."""
        raise NotImplementedError

    def add_approval(self, record: dict) -> None:
        """Store an approval (a JSON object with ``id``, ``run_id``, ``request_id``,
        ``time``); an approval with the same id is replaced."""
        raise NotImplementedError

    def approvals(self, run_id: str) -> list[dict]:
        """The approvals of ``run_id`` (JSON objects), oldest first."""
        raise NotImplementedError

    def save_checkpoint(self, run_id: str, checkpoint: dict) -> None:
        """Create or replace the checkpoint of ``run_id`` (what ``aether resume`` needs)."""
        raise NotImplementedError

    def claim_checkpoint(self, run_id: str, seen: dict, checkpoint: dict) -> bool:
        """Atomically replace the checkpoint of ``run_id`` by ``checkpoint`` if it is still
        ``seen``; False when another writer changed it first (a concurrent resume)."""
        raise NotImplementedError

    def load_checkpoint(self, run_id: str) -> Optional[dict]:
        """The checkpoint of ``run_id``, or None."""
        raise NotImplementedError

    def reopen_run(self, run_id: str) -> None:
        """Mark a waiting run as running again (it is being resumed)."""
        self.finish_run(run_id, "running", None, None, None, None)

    # ------------------------------------------------------------ lifetime
    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection(s)."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
