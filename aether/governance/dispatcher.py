"""The governed dispatcher: policy decisions and ledger entries around any Dispatcher.

:class:`GovernedDispatcher` wraps the runtime's one choke point (decorator pattern): each
:class:`~aether.runtime.dispatch.ToolCall` becomes a :class:`~.decide.Request` (actor,
intent = the goal in force, tool, parameters, evidence and constraints, risk tier,
capabilities, workflow digest, run id, simulated), is decided, and the ledger records the
request and the decision, then the call and its result (or error). A denial raises AE601
(kind PolicyDenied; AE602 ApprovalDenied for a person's refusal), which ``try``/``catch``
can handle. A call that needs an approval raises :class:`ApprovalRequired` (AE603): not
catchable, no ``on_error`` handler runs, the run stops with exit status 1 and state
``waiting`` and its ledger stays open (no closing entry) until it is resumed.

The runtime calls two optional hooks: ``begin_run(ctx, digest)`` once the workflow's
config sections are evaluated (it checks ``require:`` before the first step: AE609) and
``end_run(ctx, result)`` (the closing entry). ``simulated()`` gives the same governance
over a :class:`SimulateDispatcher` (``--simulate`` and ``policy: mock_io``): the decisions
still happen and every ledger entry is marked ``simulated``.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Optional

from ..runtime.dispatch import SimulateDispatcher, ToolCall
from ..runtime.errors import AetherRuntimeError, rt_error
from ..runtime.values import to_json
from .approvals import ApprovalStore, find_valid
from .decide import (ALLOW, DENY, Decision, Request, ScriptPolicy, Spent, decide,
                     script_policy)
from .ledger import Ledger, LedgerError, MemoryLedgerBackend
from .policy import Policy, canonical_json, default_policy
from .requirements import check_requirements

__all__ = ["GovernedDispatcher", "ApprovalRequired", "WAITING_STATUS"]

WAITING_STATUS = 1  # GENERIC_FAILURE: waiting is not success (see docs/governance.md)


class ApprovalRequired(AetherRuntimeError):
    """The run must stop and wait: ``request_id`` in ``run_id`` needs an approval."""

    suspends = True  # the runtime skips on_error handlers for it

    def __init__(self, message: str, run_id: str, request_id: str, decision: Decision,
                 request: Request):
        super().__init__("PolicyDenied", "AE603", message)
        self.run_id = run_id
        self.request_id = request_id
        self.decision = decision
        self.request = request

    @property
    def fatal(self) -> bool:  # neither try/catch nor retry may swallow a pending approval
        return True

    def to_json(self) -> dict:
        return {**super().to_json(), "state": "waiting", "run_id": self.run_id,
                "request": self.request_id}


def _json(value: Any) -> Any:
    try:
        data = to_json(value)
        canonical_json(data)
        return data
    except (AetherRuntimeError, TypeError, ValueError, RecursionError):
        return repr(value)[:2000]


def _params(tool_call: ToolCall) -> dict:
    """The call's parameters as JSON data (positional ones under ``_args``)."""
    out = {k: _json(v) for k, v in tool_call.kwargs.items()}
    if tool_call.args:
        out["_args"] = [_json(a) for a in tool_call.args]
    return out


class GovernedDispatcher:
    """A Dispatcher whose every call is decided by ``policy`` and recorded in ``ledger``.

    ``actor`` is who runs the workflow (``--actor``; else ``meta: actor``; else
    ``"anonymous"``). ``evidence`` and ``constraints`` are attached to every request (the
    workflow's ``meta: evidence`` / ``meta: constraints`` are added to them).
    """

    def __init__(self, inner, policy: Optional[Policy] = None, ledger: Optional[Ledger] = None,
                 approvals: Optional[ApprovalStore] = None, actor: Optional[str] = None,
                 evidence: tuple = (), constraints: Optional[dict] = None,
                 clock: Callable[[], float] = time.time):
        self.inner = inner
        self.policy = policy or default_policy()
        self.ledger = ledger if ledger is not None else Ledger(MemoryLedgerBackend())
        self.approvals = approvals
        self.actor = actor
        self.evidence = tuple(evidence)
        self.constraints = dict(constraints or {})
        self.clock = clock
        self.script = ScriptPolicy()
        self.spent = Spent()
        self.digest = ""
        self.simulate = isinstance(inner, SimulateDispatcher)
        self.pending: list[dict] = []  # requests waiting for an approval
        self.decisions: list[Decision] = []
        self._lock = threading.Lock()
        self._begun = False

    # -- what the runtime reads of a dispatcher
    @property
    def calls(self):
        return self.inner.calls

    @property
    def events(self):
        return self.inner.events

    @property
    def memory(self):
        return self.inner.memory

    def simulated(self) -> "GovernedDispatcher":
        """The same governance over a fresh SimulateDispatcher (effects are recorded,
        not performed)."""
        return GovernedDispatcher(SimulateDispatcher(), self.policy, self.ledger,
                                  self.approvals, self.actor, self.evidence,
                                  self.constraints, self.clock)

    # -- lifecycle
    def begin_run(self, ctx, digest: str = "") -> None:
        """Read the workflow's config, check ``require:`` (AE609 before step one) and
        record the run's opening entry."""
        self.digest = digest
        config = getattr(ctx, "config", {}) or {}
        meta = config.get("meta") if isinstance(config.get("meta"), dict) else {}
        block = config.get("policy") if isinstance(config.get("policy"), dict) else {}
        require = config.get("require") if isinstance(config.get("require"), dict) else {}
        if self.actor is None:
            self.actor = meta.get("actor") if isinstance(meta.get("actor"), str) else \
                "anonymous"
        ev = meta.get("evidence")
        if isinstance(ev, (list, tuple)):
            self.evidence += tuple(_json(ev))
        elif isinstance(ev, str) and ev:
            self.evidence += (ev,)
        cons = meta.get("constraints")
        if isinstance(cons, dict):
            self.constraints = {**_json(cons), **self.constraints}
        self.script = script_policy(block)
        self.simulate = self.simulate or bool(getattr(ctx, "simulate", False))
        problems = check_requirements(self.policy, require, getattr(ctx, "catalogue", None))
        self._begun = True
        try:
            self._open(ctx, digest, problems)
        except LedgerError as exc:
            raise rt_error("AE601", f"the audit ledger cannot record the run "
                           f"[ledger-unavailable]: {exc.message}") from None
        if problems:
            raise rt_error("AE609", "; ".join(problems))

    def _open(self, ctx, digest: str, problems: list) -> None:
        self.ledger.append(ctx.run_id, "run", {
            "workflow_digest": digest, "policy_digest": self.policy.digest,
            "policy_source": self.policy.source, "mode": self.policy.mode,
            "actor": self.actor, "intent": getattr(ctx, "intent", ""),
            "simulated": self.simulate, "requirements_missing": problems,
            "script_policy": _script_json(self.script)})

    def end_run(self, ctx, result) -> None:
        """Close the run's chain with its final status, unless it waits for an approval."""
        if not self._begun:
            return
        try:
            self._end(ctx, result)
        except LedgerError as exc:
            result.warnings.append(f"the audit ledger could not record the end of the run: "
                                   f"{exc.message}")

    def _end(self, ctx, result) -> None:
        if self.pending:
            self.ledger.append(ctx.run_id, "waiting", {
                "requests": [p["request_id"] for p in self.pending],
                "policy_digest": self.policy.digest})
            return
        self.ledger.close(ctx.run_id, int(result.status), simulated=self.simulate,
                          calls=len(self.decisions))

    # -- the choke point
    def call(self, tool_call: ToolCall, ctx) -> Any:
        """Decide ``tool_call`` (see :meth:`_call`); a ledger that cannot record refuses the
        call (AE601 ``ledger-unavailable``): no effect happens unrecorded."""
        try:
            return self._call(tool_call, ctx)
        except LedgerError as exc:
            raise rt_error("AE601", f"policy denied '{tool_call.tool}' [ledger-unavailable]: "
                           f"the audit ledger cannot record it: {exc.message}") from None

    def _call(self, tool_call: ToolCall, ctx) -> Any:
        """Decide ``tool_call``, record it, and delegate it when allowed.

        Raises AE601/AE602 (catchable) on a denial and ApprovalRequired on a pending
        approval; the inner dispatcher's own errors pass through after being recorded.
        """
        if not self._begun:
            self.begin_run(ctx, self.digest)
        run_id = ctx.run_id
        request = Request(
            actor=self.actor or "anonymous", intent=getattr(ctx, "intent", "") or "",
            tool=tool_call.tool, params=_params(tool_call),
            evidence=self.evidence, constraints=self.constraints,
            risk=tool_call.risk, capabilities=tuple(tool_call.capabilities),
            workflow_digest=self.digest, run_id=run_id, simulated=self.simulate)
        now = self.clock()
        with self._lock:
            approval, rejected = find_valid(self.approvals, request, self.policy, now)
            # request, approval, decision and (when allowed) call: one transaction,
            # written before the effect; the result is a second one, after it.
            request_id = f"r{self.ledger.next_seq(run_id)}"
            items = [("request", {**request.to_json(), "line": tool_call.line,
                                  "step": tool_call.step})]
            if approval is not None:
                items.append(("approval", {"request": request_id, **approval.to_json()}))
            decision = decide(self.policy, _with(request, approval), self.script,
                              self.spent)
            items.append(("decision", {
                "request": request_id, **decision.to_json(),
                "approval": approval.id if approval is not None else None,
                "rejected_approvals": rejected, "simulated": self.simulate,
                "spent": {"risk": self.spent.risk, "tokens": self.spent.tokens}}))
            if decision.effect == ALLOW:
                items.append(("call", {"request": request_id, "tool": tool_call.tool,
                                       "simulated": self.simulate}))
            self.ledger.append_many(run_id, items)
            self.decisions.append(decision)
            if decision.effect == ALLOW:
                self.spent = Spent(self.spent.risk + decision.risk_cost,
                                   self.spent.tokens + decision.token_cost)
        if decision.effect == DENY:
            rule = "AE602" if "approval-denied" in decision.reasons else "AE601"
            raise rt_error(rule, f"policy denied '{tool_call.tool}' "
                           f"[{', '.join(decision.reasons)}]: {decision.message}")
        if decision.effect != ALLOW:
            self.pending.append({"request_id": request_id, "tool": tool_call.tool,
                                 "reasons": list(decision.reasons)})
            raise ApprovalRequired(
                f"'{tool_call.tool}' needs an approval ({', '.join(decision.reasons)}); the "
                f"run waits: aether approve {run_id} {request_id} --approver NAME --reason "
                f"TEXT, then aether resume {run_id}" + (
                    f" (not counted: {'; '.join(rejected)})" if rejected else ""),
                run_id, request_id, decision, request)
        try:
            result = self.inner.call(tool_call, ctx)
        except BaseException as exc:
            self.ledger.append(run_id, "error", {
                "request": request_id, "error": type(exc).__name__,
                "rule": getattr(exc, "rule", None), "message": str(exc)[:2000]})
            raise
        data = _json(result)
        self.ledger.append(run_id, "result", {"request": request_id, "result": data})
        if "model.invoke" in request.capabilities:
            tokens = math.ceil(len(canonical_json(data).decode("utf-8")) / 4)
            with self._lock:
                self.spent = Spent(self.spent.risk, self.spent.tokens + tokens)
        return result


def _script_json(script: ScriptPolicy) -> dict:
    from dataclasses import asdict

    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(script).items()}


def _with(request: Request, approval) -> Request:
    if approval is None:
        return request
    from dataclasses import replace

    return replace(request, approval=approval)
