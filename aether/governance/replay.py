"""Policy replay: what a new policy would have decided for every request already recorded.

Every ``request`` entry of the ledger is paired with its ``decision`` entry and decided
again under the new policy, with what the run knew then: the workflow's own policy (from
the run's opening entry), the budgets spent before the call and any approval that was
recorded for it. Nothing is executed. A change is reported as ``OLD->NEW`` (``allow->deny``,
``deny->allow``, ``allow->require_approval`` = approval newly needed, ...), with counts per
tool and per actor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Optional

from .approvals import Approval
from .decide import Request, ScriptPolicy, Spent, decide
from .ledger import LedgerBackend
from .policy import Policy

__all__ = ["Change", "ReplayReport", "replay", "parse_since"]


@dataclass(frozen=True)
class Change:
    """One request whose decision would change."""

    run_id: str
    request_id: str
    time: str
    tool: str
    actor: str
    old: str
    new: str
    old_reasons: tuple[str, ...]
    new_reasons: tuple[str, ...]

    @property
    def kind(self) -> str:
        return f"{self.old}->{self.new}"

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "request": self.request_id, "time": self.time,
                "tool": self.tool, "actor": self.actor, "change": self.kind,
                "old": self.old, "new": self.new, "old_reasons": list(self.old_reasons),
                "new_reasons": list(self.new_reasons)}


@dataclass
class ReplayReport:
    policy_digest: str
    requests: int = 0
    changes: list[Change] = field(default_factory=list)
    skipped: int = 0  # ledger entries that are not well-formed (audit verify names them)

    def counts(self) -> dict:
        """Changes counted by kind, by tool and by actor."""
        return {"by_change": dict(sorted(Counter(c.kind for c in self.changes).items())),
                "by_tool": dict(sorted(Counter(c.tool for c in self.changes).items())),
                "by_actor": dict(sorted(Counter(c.actor for c in self.changes).items()))}

    def to_json(self) -> dict:
        return {"policy_digest": self.policy_digest, "requests": self.requests,
                "changed": len(self.changes), "skipped": self.skipped, **self.counts(),
                "changes": [c.to_json() for c in self.changes]}

    def text(self) -> str:
        lines = [f"replayed {self.requests} request(s) under policy "
                 f"{self.policy_digest[:16]}: {len(self.changes)} decision(s) would change"]
        if self.skipped:
            lines.append(f"  {self.skipped} ledger entr{'y' if self.skipped == 1 else 'ies'} "
                         "skipped: not well-formed (aether audit verify names them)")
        for c in self.changes:
            lines.append(f"  {c.run_id} {c.request_id} {c.tool} (actor {c.actor}): "
                         f"{c.kind}  [{', '.join(c.old_reasons)}] -> "
                         f"[{', '.join(c.new_reasons)}]")
        counts = self.counts()
        for title, key in (("by change", "by_change"), ("by tool", "by_tool"),
                           ("by actor", "by_actor")):
            if counts[key]:
                lines.append(f"{title}: " + ", ".join(f"{k} {v}" for k, v in
                                                     counts[key].items()))
        return "\n".join(lines)


def parse_since(text: str) -> str:
    """The ISO-8601 UTC instant (ledger time format) of a ``--since`` date or date-time;
    ValueError when it is neither."""
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def replay(backend: LedgerBackend, policy: Policy, since: Optional[str] = None,
           runs: Optional[Iterable[str]] = None) -> ReplayReport:
    """Re-decide every recorded request (at or after ``since``, an instant from
    :func:`parse_since`) under ``policy``. Entries that are not well-formed are skipped
    and counted in ``skipped`` (``aether audit verify`` is the tool that names them)."""
    report = ReplayReport(policy.digest)
    for run_id in (runs if runs is not None else backend.runs()):
        script = ScriptPolicy()
        requests: dict[str, tuple[dict, str]] = {}
        approvals: dict[str, Approval] = {}
        for entry in backend.entries(run_id):
            try:
                script = _replay_entry(report, policy, since, run_id, entry, requests,
                                       approvals, script)
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                # an edited database: data not an object, a spent budget not a number...
                report.skipped += 1
    return report


def _replay_entry(report: ReplayReport, policy: Policy, since: Optional[str], run_id: str,
                  entry, requests: dict, approvals: dict, script: ScriptPolicy
                  ) -> ScriptPolicy:
    """Replay one ledger entry (see :func:`replay`) into ``report``; returns the script
    policy in force after it (a ``run`` entry sets it). Raises ValueError, KeyError,
    TypeError or AttributeError for a malformed entry."""
    body = entry.parsed()
    kind, data = body["kind"], body["data"]
    if type(data) is not dict:
        raise TypeError("data is not an object")
    if kind == "run":
        return _script(data.get("script_policy") or {})
    if kind == "request":
        requests[f"r{body['seq']}"] = (data, body.get("time", ""))
    elif kind == "approval":
        try:
            approvals[data["request"]] = Approval.from_json(data)
        except (KeyError, TypeError, ValueError):
            pass
    elif kind == "decision" and data.get("request") in requests:
        req_data, when = requests.pop(data["request"])
        if since is not None and str(when) < since:
            return script
        request = Request.from_json(req_data)
        approval = approvals.get(data["request"])
        if approval is not None:
            from dataclasses import replace

            request = replace(request, approval=approval)
        spent = data.get("spent") or {}
        new = decide(policy, request, script, Spent(int(spent.get("risk", 0)),
                                                    int(spent.get("tokens", 0))))
        report.requests += 1
        old = data.get("effect")
        if new.effect != old:
            report.changes.append(Change(
                run_id, data["request"], when, request.tool, request.actor, str(old),
                new.effect, tuple(data.get("reasons") or ()), new.reasons))
    return script


def _script(d: dict) -> ScriptPolicy:
    def tup(v):
        return tuple(v) if isinstance(v, list) else v
    try:
        return ScriptPolicy(**{k: tup(v) for k, v in d.items()
                               if k in ScriptPolicy.__dataclass_fields__})
    except TypeError:
        return ScriptPolicy()
