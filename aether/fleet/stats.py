"""Fleet run statistics from the state database: runs and events (aether/store), and the
governance ledger's decisions and approvals when there are any.

Per workflow and for the fleet: runs, success rate, policy denials, approvals asked and
the time they waited for a human, tool latency (median and 95th percentile, from
``tool_call`` events), retries (``retry`` events) and time per run (from the run rows).
A figure nothing records is ``None`` ("unavailable"), never 0: a fleet without
governance has no denial count, which is not the same as no denials.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional, Sequence

__all__ = ["compute_stats", "collect", "parse_since", "format_text", "percentile"]


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation; None when empty."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def parse_since(text: str) -> float:
    """Seconds since the epoch of ``--since`` (``2024-05-01`` or an ISO-8601 time; UTC
    when no zone is given). Raises ValueError."""
    when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _iso_seconds(text: Any) -> Optional[float]:
    if not isinstance(text, str):
        return None
    try:
        return parse_since(text)
    except ValueError:
        return None


def collect(root: str, state: Optional[str] = None, since: Optional[float] = None
            ) -> tuple[list, dict, Optional[list]]:
    """(run records, {run_id: events}, ledger entry bodies or None when no ledger)
    from the project's state database (read only when it exists). Raises StoreError."""
    from ..store import open_state_store, state_exists

    if not state_exists(root, state):
        return [], {}, None
    from ..governance.ledger import LedgerError, iter_bodies

    store = open_state_store(root, state)
    bodies = None
    try:
        runs = [r for r in store.list_runs() if since is None or r.started_at >= since]
        events = {r.run_id: store.list_events(r.run_id) for r in runs}
        try:  # the store is also the ledger backend
            if store.runs():
                bodies = list(iter_bodies(store))
        except (LedgerError, OSError, ValueError):
            bodies = None
    finally:
        store.close()
    return runs, events, bodies


def _ledger_by_run(bodies: Optional[list]) -> dict[str, dict]:
    """Per run id: denials, approvals asked, approval waits (seconds), its digest."""
    out: dict[str, dict] = {}
    if bodies is None:
        return out
    requested: dict[tuple[str, str], Optional[float]] = {}
    for run_id, body in bodies:
        if not isinstance(body, dict):
            continue
        row = out.setdefault(run_id, {"denials": 0, "asked": 0, "waits": []})
        kind, data = body.get("kind"), body.get("data") or {}
        if kind == "request":
            requested[(run_id, f"r{body.get('seq')}")] = _iso_seconds(body.get("time"))
        elif kind == "decision":
            if data.get("effect") == "deny":
                row["denials"] += 1
            elif data.get("effect") == "require_approval":
                row["asked"] += 1
        elif kind == "approval" and data.get("human"):
            asked = requested.get((run_id, str(data.get("request_id"))))
            answered = data.get("time")
            if asked is not None and isinstance(answered, (int, float)):
                row["waits"].append(max(0.0, float(answered) - asked))
    return out


def compute_stats(runs: Sequence, events: dict, bodies: Optional[list],
                  since: Optional[str] = None) -> dict:
    """The stats document: ``fleet`` figures, ``workflows`` rows (sorted), ``notes``."""
    ledger = _ledger_by_run(bodies)
    groups: dict[str, list] = {}
    for r in runs:
        groups.setdefault(r.workflow, []).append(r)

    def figures(rs: Sequence) -> dict:
        latencies, retries, times = [], 0, []
        denials = asked = 0
        waits: list[float] = []
        for r in rs:
            for e in events.get(r.run_id, ()):
                if e.get("event") == "tool_call" and isinstance(e.get("duration"),
                                                                (int, float)):
                    latencies.append(float(e["duration"]))
                elif e.get("event") == "retry":
                    retries += 1
            if r.ended_at is not None:
                times.append(max(0.0, r.ended_at - r.started_at))
            g = ledger.get(r.run_id)
            if g:
                denials += g["denials"]
                asked += g["asked"]
                waits += g["waits"]
        ended = [r for r in rs if r.status in ("succeeded", "failed")]
        governed = bodies is not None
        return {
            "runs": len(rs),
            "succeeded": sum(1 for r in rs if r.status == "succeeded"),
            "success_rate": round(sum(1 for r in ended if r.status == "succeeded")
                                  / len(ended), 4) if ended else None,
            "policy_denials": denials if governed else None,
            "approvals_asked": asked if governed else None,
            "approval_wait_median": percentile(waits, 0.5),
            "approval_wait_p95": percentile(waits, 0.95),
            "tool_calls": len(latencies),
            "tool_latency_median": percentile(latencies, 0.5),
            "tool_latency_p95": percentile(latencies, 0.95),
            "retries": retries,
            "run_time_median": percentile(times, 0.5),
            "run_time_p95": percentile(times, 0.95),
        }

    rows = [{"workflow": w, **figures(rs)} for w, rs in sorted(groups.items())]
    notes = []
    if bodies is None:
        notes.append("policy denials and approvals: unavailable (no governance ledger in "
                     "the state database: no governed run recorded)")
    elif not any(ledger[r]["waits"] for r in ledger):
        notes.append("approval wait: unavailable (no human approval recorded)")
    if not runs:
        notes.append("no run recorded (`aether run` records runs in .aether/state.db)")
    return {"since": since, "source": "runs and events of the state database"
            + (" and the governance ledger" if bodies is not None else ""),
            "fleet": figures(runs), "workflows": rows, "notes": notes}


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_text(doc: dict) -> str:
    """The stats as a plain table (n/a: not recorded), then the notes."""
    head = ("workflow", "runs", "ok rate", "denials", "approvals", "wait p50", "tool p50",
            "tool p95", "retries", "run p50")
    rows = [(r["workflow"], r["runs"], r["success_rate"], r["policy_denials"],
             r["approvals_asked"], r["approval_wait_median"], r["tool_latency_median"],
             r["tool_latency_p95"], r["retries"], r["run_time_median"])
            for r in doc["workflows"]]
    f = doc["fleet"]
    rows.append(("(fleet)", f["runs"], f["success_rate"], f["policy_denials"],
                 f["approvals_asked"], f["approval_wait_median"], f["tool_latency_median"],
                 f["tool_latency_p95"], f["retries"], f["run_time_median"]))
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(head, widths)))]
    for r in cells:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))))
    out += [f"note: {n}" for n in doc["notes"]]
    out.append("times in seconds; n/a: not recorded")
    return "\n".join(out) + "\n"
