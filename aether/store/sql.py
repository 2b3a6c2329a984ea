"""The part of a state store that is the same SQL on every database: the call journal,
checkpoints and approvals, written once over ``_run`` / ``_all`` of a concrete store.

Statements use ``?`` placeholders; a store whose driver wants another style sets
``PARAM`` (PostgreSQL's psycopg: ``%s``) and each statement is rewritten once. No
statement here has a ``?`` or ``%`` inside a literal.
"""

from __future__ import annotations

import json
import time
from typing import Any, Optional

from .base import Store, StoreError

__all__ = ["SQLStore", "dump", "load"]


def dump(value: Any) -> str:
    """A value as the JSON text the stores keep (UTF-8, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load(text: Optional[str], what: str = "a row") -> Any:
    """The JSON value a store kept; StoreError when the text is not JSON (a database
    edited by hand or damaged), naming ``what``."""
    try:
        return None if text is None else json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise StoreError(f"the state database is damaged: {what} is not JSON") from None


class SQLStore(Store):
    """Shared methods of the SQL stores (see the module docstring)."""

    PARAM = "?"

    def _q(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

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
        writer changed it first."""
        cur = self._run(self._q("UPDATE checkpoints SET body = ?, updated_at = ? WHERE "
                                "run_id = ? AND body = ?"),
                        (dump(checkpoint), time.time(), run_id, dump(seen)))
        return cur.rowcount == 1

    def load_checkpoint(self, run_id: str) -> Optional[dict]:
        rows = self._all(self._q("SELECT body FROM checkpoints WHERE run_id = ?"), (run_id,))
        if not rows:
            return None
        body = load(rows[0][0], f"the checkpoint of run '{run_id}'")
        if not isinstance(body, dict):
            raise StoreError(f"the state database is damaged: the checkpoint of run "
                             f"'{run_id}' is not a JSON object")
        return body
