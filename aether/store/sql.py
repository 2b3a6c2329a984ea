"""The part of a state store that is the same SQL on every database: run records, event
and memory reads, the call journal, checkpoints, approvals and ledger reads, written once
over ``_run`` / ``_all`` of a concrete store.

Statements use ``?`` placeholders; a store whose driver wants another style sets
``PARAM`` (PostgreSQL's psycopg: ``%s``) and each statement is rewritten once. No
statement here has a ``?`` or ``%`` inside a literal.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Optional

from .base import RunRecord, Store, StoreError

__all__ = ["SQLStore", "dump", "load"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def dump(value: Any) -> str:
    """A value as the JSON text the stores keep (UTF-8, no spaces; ``\\u`` escapes when
    it holds a lone surrogate, as a file name that is not UTF-8 does, which no UTF-8
    column can take)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return json.dumps(value, separators=(",", ":"))


def _canonical_ascii(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def load(text: Optional[str], what: str = "a row") -> Any:
    """The JSON value a store kept; StoreError when the text is not JSON (a database
    edited by hand or damaged), naming ``what``."""
    try:
        return None if text is None else json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise StoreError(f"the state database is damaged: {what} is not JSON") from None


# A time a run can have: seconds since the epoch up to the year 9999 (what datetime and
# the platform's time_t can show); a row edited to 1e309 or "abc" is damage.
_MAX_TIME = 253402300799.0


def _is_time(v: Any) -> bool:
    return type(v) in (int, float) and 0 <= v <= _MAX_TIME


def _row_fields(row: tuple) -> None:
    """Raise StoreError when a runs row (``_RUN_COLUMNS``) holds a value of the wrong type
    or range: the commands that show runs compute with these columns."""
    run_id, workflow, digest, _, status, exit_status, _, _, started, ended, _ = row
    bad = None
    if type(run_id) is not str or type(workflow) is not str or type(digest) is not str \
            or type(status) is not str:
        bad = "a name, path or status that is not text"
    elif exit_status is not None and (type(exit_status) is not int
                                      or not 0 <= exit_status <= 255):
        bad = f"an exit status of {exit_status!r}"
    elif not _is_time(started) or (ended is not None and not _is_time(ended)):
        bad = "a time that is not one (seconds since 1970, before the year 10000)"
    if bad is not None:
        name = run_id if type(run_id) is str else repr(run_id)
        raise StoreError(f"the state database is damaged: run '{name}' has {bad}")


def _optional(*types: type) -> Callable[[Any], bool]:
    return lambda v: v is None or type(v) in types


# The checkpoint fields a resume uses, and what each must be when present. A pid is a
# process id: positive and below 2**31 (os.kill raised OverflowError past a C long).
_CHECKPOINT_FIELDS: dict[str, Callable[[Any], bool]] = {
    "workflow": lambda v: type(v) is str and v != "",
    "root": _optional(str),
    "inputs": _optional(dict),
    "seed": _optional(int),
    "simulated": _optional(bool),
    "run_id": _optional(str),
    "digest": _optional(str),
    "policy_source": _optional(str),
    "policy_digest": _optional(str),
    "actor": _optional(str),
    "deterministic": _optional(bool),
    "state": _optional(str),
    "host": _optional(str),
    "pid": lambda v: v is None or (type(v) is int and 0 <= v < 2 ** 31),
    "waiting": _optional(list),
}


class SQLStore(Store):
    """Shared methods of the SQL stores (see the module docstring)."""

    PARAM = "?"

    # the column that breaks ties between runs started at the same time, in insert order
    # (SQLite's rowid; PostgreSQL has an identity column ``n``)
    RUN_ORDER = "rowid"

    def _q(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    # ------------------------------------------------------------ runs
    _RUN_COLUMNS = ("run_id, workflow, digest, inputs, status, exit_status, outputs, error, "
                    "started_at, ended_at, simulated")

    def finish_run(self, run_id, status, exit_status, outputs, error, ended_at) -> None:
        self._run(self._q("UPDATE runs SET status = ?, exit_status = ?, outputs = ?, "
                          "error = ?, ended_at = ? WHERE run_id = ?"),
                  (status, exit_status, dump(outputs), dump(error), ended_at, run_id))

    @staticmethod
    def _record(row: tuple) -> RunRecord:
        _row_fields(row)
        return RunRecord(row[0], row[1], row[2], load(row[3]), row[4], row[5],
                         load(row[6]), load(row[7]), row[8], row[9], bool(row[10]))

    def get_run(self, run_id: str) -> Optional[RunRecord]:
        rows = self._all(self._q(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE run_id = ?"),
                         (run_id,))
        return self._record(rows[0]) if rows else None

    def list_runs(self, status=None, limit=None) -> list[RunRecord]:
        sql = f"SELECT {self._RUN_COLUMNS} FROM runs"
        params: tuple = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (status,)
        sql += f" ORDER BY started_at DESC, {self.RUN_ORDER} DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params += (int(limit),)
        return [self._record(r) for r in self._all(self._q(sql), params)]

    def list_events(self, run_id: str) -> list[dict]:
        return [load(r[0]) for r in self._all(self._q(
            "SELECT event FROM events WHERE run_id = ? ORDER BY seq"), (run_id,))]

    # ------------------------------------------------------------ memory
    def memory_put(self, namespace, record_id, value, tag, fields) -> None:
        # an upsert (one statement): a replaced record keeps its seq, hence its place in
        # the list; an update-then-insert let two processes both insert a new id
        self._run(self._q("INSERT INTO memory (namespace, id, value, tag, fields, "
                          "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, id) "
                          "DO UPDATE SET value = excluded.value, tag = excluded.tag, "
                          "fields = excluded.fields"),
                  (namespace, record_id, dump(value), dump(tag), dump(fields), time.time()))

    @staticmethod
    def _mem(row) -> dict:
        return {"id": row[0], "value": load(row[1]), "tag": load(row[2]),
                "fields": load(row[3])}

    def memory_get(self, namespace, record_id) -> Optional[dict]:
        rows = self._all(self._q("SELECT id, value, tag, fields FROM memory WHERE "
                                 "namespace = ? AND id = ?"), (namespace, record_id))
        return self._mem(rows[0]) if rows else None

    def memory_list(self, namespace) -> list[dict]:
        return [self._mem(r) for r in self._all(self._q(
            "SELECT id, value, tag, fields FROM memory WHERE namespace = ? "
            "ORDER BY seq DESC"), (namespace,))]

    # ------------------------------------------------------------ call journal
    def record_call_started(self, run_id, call_key, request) -> None:
        self._run(self._q("INSERT INTO calls (run_id, call_key, request, started_at) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT (run_id, call_key) DO UPDATE SET "
                          "request = excluded.request, started_at = excluded.started_at"),
                  (run_id, call_key, dump(request), time.time()))

    def record_call_result(self, run_id, call_key, result) -> None:
        cur = self._run(self._q("UPDATE calls SET result = ?, finished_at = ? WHERE "
                                "run_id = ? AND call_key = ?"),
                        (dump({"value": result}), time.time(), run_id, call_key))
        if cur.rowcount == 0:
            raise StoreError(f"call '{call_key}' of run '{run_id}' was never recorded as "
                             "started")

    def completed_calls(self, run_id) -> dict[str, Any]:
        return {k: load(r)["value"] for k, r in self._all(self._q(
            "SELECT call_key, result FROM calls WHERE run_id = ? AND result IS NOT NULL"),
            (run_id,))}

    def started_calls(self, run_id) -> dict[str, Any]:
        return {k: load(r) for k, r in self._all(self._q(
            "SELECT call_key, request FROM calls WHERE run_id = ? AND result IS NULL"),
            (run_id,))}

    # ------------------------------------------------------------ approvals, checkpoints
    def add_approval(self, record: dict) -> None:
        """Record (or replace, by id) an approval given as its JSON record."""
        self._run(self._q("INSERT INTO approvals (id, run_id, request_id, body, time) "
                          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                          "run_id = excluded.run_id, request_id = excluded.request_id, "
                          "body = excluded.body, time = excluded.time"),
                  (record["id"], record["run_id"], record["request_id"], dump(record),
                   float(record["time"])))

    def approvals(self, run_id: str) -> list[dict]:
        """The run's approvals as JSON records, oldest first."""
        return [load(r[0], f"an approval of run '{run_id}'") for r in self._all(self._q(
            "SELECT body FROM approvals WHERE run_id = ? ORDER BY time, id"), (run_id,))]

    def save_checkpoint(self, run_id: str, checkpoint: dict) -> None:
        self._run(self._q("INSERT INTO checkpoints (run_id, body, updated_at) VALUES "
                          "(?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET body = excluded.body, "
                          "updated_at = excluded.updated_at"),
                  (run_id, dump(checkpoint), time.time()))

    def claim_checkpoint(self, run_id: str, seen: dict, checkpoint: dict) -> bool:
        """Replace the checkpoint of ``run_id`` by ``checkpoint`` only if it is still
        ``seen`` (as :meth:`load_checkpoint` returned it), in one statement: of two resumes
        that read the same checkpoint, exactly one claims the run. False when another
        writer changed it first.

        ``seen`` is compared as JSON, in canonical form, with what is stored (a checkpoint
        written with other spacing, key order or escapes is the same checkpoint); the
        update then matches the exact text that was read, so a change in between still
        makes it claim nothing."""
        rows = self._all(self._q("SELECT body FROM checkpoints WHERE run_id = ?"), (run_id,))
        if not rows:
            return False
        stored = rows[0][0]
        try:  # sorted keys, \u escapes: a lone surrogate (a workflow path that is not
            # UTF-8) has this form too, where UTF-8 canonical JSON has none
            same = _canonical_ascii(load(stored, f"the checkpoint of run '{run_id}'")) == \
                _canonical_ascii(seen)
        except (TypeError, ValueError):  # NaN or a non-JSON value: no canonical form
            same = False
        if not same:
            return False
        cur = self._run(self._q("UPDATE checkpoints SET body = ?, updated_at = ? WHERE "
                                "run_id = ? AND body = ?"),
                        (dump(checkpoint), time.time(), run_id, stored))
        return cur.rowcount == 1

    def load_checkpoint(self, run_id: str) -> Optional[dict]:
        rows = self._all(self._q("SELECT body FROM checkpoints WHERE run_id = ?"), (run_id,))
        if not rows:
            return None
        body = load(rows[0][0], f"the checkpoint of run '{run_id}'")
        if not isinstance(body, dict):
            raise StoreError(f"the state database is damaged: the checkpoint of run "
                             f"'{run_id}' is not a JSON object")
        for key, ok in _CHECKPOINT_FIELDS.items():
            if key in body and not ok(body[key]):
                raise StoreError(f"the state database is damaged: the checkpoint of run "
                                 f"'{run_id}' has a bad '{key}'")
        return body

    # ------------------------------------------------------------ ledger reads
    def append(self, entry, closed: bool = False, status: Optional[int] = None) -> None:
        """Store ``entry`` and move its run's head (LedgerBackend.append)."""
        self.append_many([entry], closed, status)

    def _ledger_rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a ledger read. Raises LedgerError (status 26, the store's message) when
        the database fails: a ledger backend's error, on every database alike, so a run
        refuses its next call as ``ledger-unavailable`` rather than ending on a store
        error that the governed path does not expect."""
        from ..governance.ledger import LedgerError

        try:
            return self._all(self._q(sql), params)
        except StoreError as exc:
            raise LedgerError(str(exc), 26) from None

    def entries(self, run_id: str) -> list:
        """The run's ledger entries in ``seq`` order (LedgerBackend.entries)."""
        from ..governance.ledger import Entry

        return [Entry(*r) for r in self._ledger_rows(
            "SELECT run_id, seq, prev_hash, hash, body FROM ledger WHERE run_id = ? "
            "ORDER BY seq", (run_id,))]

    def head(self, run_id: str):
        """The run's head, or None (LedgerBackend.head)."""
        from ..governance.ledger import Head, LedgerError

        rows = self._ledger_rows("SELECT count, hash, closed, status FROM ledger_heads "
                                 "WHERE run_id = ?", (run_id,))
        if not rows:
            return None
        count, digest, closed, status = rows[0]
        # a count the next append cannot add one to (a 64-bit column) is damage
        if type(count) is not int or not 0 <= count < 2 ** 62 or type(digest) is not str \
                or (status is not None and type(status) is not int):
            raise LedgerError(f"the state database is damaged: the ledger head of run "
                              f"'{run_id}' is not one (count {count!r})", 26)
        return Head(count, digest, bool(closed), status)

    def runs(self) -> list[str]:
        """Every run id with ledger entries, oldest first (LedgerBackend.runs)."""
        return [r[0] for r in self._ledger_rows(
            "SELECT run_id FROM ledger_heads ORDER BY created, run_id")]

    def waiting_runs(self) -> list[str]:
        """Runs whose chain is open (no closing entry yet)."""
        return [r[0] for r in self._ledger_rows(
            "SELECT run_id FROM ledger_heads WHERE closed = 0 ORDER BY created, run_id")]
