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

With a :class:`~.journal.CallJournal` (``aether run`` and ``aether resume`` over the state
store) each allowed call is journaled: its start before the effect, its result after; a
resumed run replays completed calls (no ledger entries, the tool is not called), stops at
an in-doubt call (AE610) unless the tool is idempotent, ``--retry-in-doubt`` is given or a
person decided, and saves a checkpoint (what ``aether resume`` needs) at the start and
when it waits.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from typing import Any, Callable, Optional

from ..runtime.context import VirtualClock
from ..runtime.dispatch import SimulateDispatcher, ToolCall
from ..runtime.errors import AetherRuntimeError, rt_error
from ..runtime.values import to_json
from .approvals import APPROVE, ApprovalStore, find_valid, params_hash, validate
from .journal import IN_DOUBT, REPLAYED
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

    def __init__(self, message: str, run_id: str, request_id: str, decision: Optional[Decision],
                 request: Request, rule: str = "AE603"):
        super().__init__("PolicyDenied", rule, message)
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
    """The call's parameters as JSON data (positional ones under ``_args``), exactly: the
    ledger records them and an approval is bound to their hash, so none is replaced by a
    cut-short text (two different values would then pass for one).

    Raises AetherRuntimeError AE407 for a parameter that cannot be recorded (nested more
    than 100 levels deep, or too large)."""
    try:
        out = {k: to_json(v) for k, v in tool_call.kwargs.items()}
        if tool_call.args:
            out["_args"] = [to_json(a) for a in tool_call.args]
    except AetherRuntimeError as exc:
        raise rt_error(exc.rule, f"the parameters of '{tool_call.tool}' cannot be recorded "
                       f"for its approval and audit: {exc.message}") from None
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
                 clock: Callable[[], float] = time.time, journal=None, store=None,
                 checkpoint: Optional[dict] = None, retry_in_doubt: bool = False,
                 previous: Optional[dict] = None):
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
        self._used: Optional[set] = None  # approvals that allowed a call (_used_approvals)
        self.decisions: list[Decision] = []
        self._lock = threading.Lock()
        self._begun = False
        self.journal = journal  # CallJournal: at-most-once calls, resume
        self.store = store  # where the checkpoint is saved (None: no checkpoint)
        self.checkpoint = dict(checkpoint or {})
        self.retry_in_doubt = retry_in_doubt
        self.previous = previous  # the checkpoint of the run being resumed
        self.replayed = 0

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

    @memory.setter
    def memory(self, store) -> None:  # run_source gives the inner dispatcher its store
        self.inner.memory = store

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

    def simulated(self) -> "GovernedDispatcher":
        """The same governance over a fresh SimulateDispatcher (effects are recorded,
        not performed)."""
        return GovernedDispatcher(SimulateDispatcher(), self.policy, self.ledger,
                                  self.approvals, self.actor, self.evidence,
                                  self.constraints, self.clock, store=self.store,
                                  checkpoint=self.checkpoint, previous=self.previous)

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
        if self.journal is not None and not self.simulate and \
                not getattr(ctx, "deterministic", False):
            ctx.clock_hook = self.journal.clock  # a virtual clock replays by itself
        try:
            self._open(ctx, digest, problems)
            self._save_checkpoint(ctx, "running")
        except LedgerError as exc:
            raise rt_error("AE601", f"the audit ledger cannot record the run "
                           f"[ledger-unavailable]: {exc.message}") from None
        if problems:
            raise rt_error("AE609", "; ".join(problems))

    def _open(self, ctx, digest: str, problems: list) -> None:
        signature = getattr(ctx, "signature", None) or None
        signer = None
        if isinstance(signature, dict):
            signer = {k: signature.get(k) for k in ("state", "keyid", "principal",
                                                     "signed_at")}
        data = {"workflow_digest": digest, "policy_digest": self.policy.digest,
                "policy_source": self.policy.source, "mode": self.policy.mode,
                "actor": self.actor, "intent": getattr(ctx, "intent", ""),
                "simulated": self.simulate, "requirements_missing": problems,
                "script_policy": _script_json(self.script), "signature": signer}
        if self.ledger.backend.head(ctx.run_id) is None:
            self.ledger.append(ctx.run_id, "run", data)
            return
        # A resumed run continues its chain: the entry names the policy and workflow in
        # force now and those the run started with; results the journal holds but the
        # ledger missed (killed between the two writes) are recorded first.
        prev = self.previous or {}
        self._recover_results(ctx.run_id)
        self.ledger.append(ctx.run_id, "resume", {
            **data, "previous_policy_digest": prev.get("policy_digest"),
            "previous_workflow_digest": prev.get("digest"),
            "retry_in_doubt": self.retry_in_doubt})

    def _recover_results(self, run_id: str) -> None:
        if self.journal is None:
            return
        seen = set()
        for e in self.ledger.backend.entries(run_id):
            body = e.parsed()
            if body.get("kind") in ("result", "error"):
                seen.add((body.get("data") or {}).get("request"))
        items = []
        for key, rec in sorted(self.journal.completed.items()):
            rid = rec.get("request") if isinstance(rec, dict) else None
            if rid and rid not in seen:
                kind = "error" if "error" in rec else "result"
                items.append((kind, {"request": rid, "call_key": key, "recovered": True,
                                     **({"error": rec["error"]} if kind == "error" else
                                        {"result": rec.get("value")})}))
        if items:
            self.ledger.append_many(run_id, items)

    def _save_checkpoint(self, ctx, state: str) -> None:
        """What ``aether resume`` needs, in the store: the run's workflow (path, digest),
        inputs, policy (path, digest), actor, seed, and who runs it (host, pid)."""
        if self.store is None or self.simulate:
            return
        from ..store import StoreError

        data = {**self.checkpoint, "run_id": ctx.run_id, "digest": self.digest,
                "policy_source": self.policy.source, "policy_digest": self.policy.digest,
                "actor": self.actor, "seed": getattr(ctx, "seed", None),
                "deterministic": bool(getattr(ctx, "deterministic", False)),
                "state": state, "host": socket.gethostname(), "pid": os.getpid(),
                "waiting": list(self.pending)}
        try:
            self.store.save_checkpoint(ctx.run_id, data)
        except StoreError as exc:
            raise LedgerError(f"cannot save the checkpoint: {exc}", 26)

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
            self._save_checkpoint(ctx, "waiting")
            return
        self.ledger.close(ctx.run_id, int(result.status), simulated=self.simulate,
                          calls=len(self.decisions), replayed=self.replayed)
        self._save_checkpoint(ctx, "ended")

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
        key = None
        if self.journal is not None and not self.simulate:
            key = self.journal.next_key(tool_call.tool)
            state, record = self.journal.lookup(key)
            if state == REPLAYED:
                return self._replay(key, record, tool_call, ctx)
            if state == IN_DOUBT:
                self._in_doubt(key, record, tool_call, ctx)
        request = Request(
            actor=self.actor or "anonymous", intent=getattr(ctx, "intent", "") or "",
            tool=tool_call.tool, params=_params(tool_call),
            evidence=self.evidence, constraints=self.constraints,
            risk=tool_call.risk, capabilities=tuple(tool_call.capabilities),
            workflow_digest=self.digest, run_id=run_id, simulated=self.simulate)
        now = self.clock()
        with self._lock:
            used = self._used_approvals(run_id)
            approval, rejected = find_valid(self.approvals, request, self.policy, now, used)
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
            if decision.effect == ALLOW and approval is not None:
                used.add(approval.id)
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
        phash = params_hash(request.params)
        if key is not None:
            self.journal.start(key, {"tool": tool_call.tool, "params_hash": phash,
                                     "request": request_id})
        try:
            result = self.inner.call(tool_call, ctx)
        except BaseException as exc:
            error = {"error": type(exc).__name__, "rule": getattr(exc, "rule", None),
                     "kind": getattr(exc, "kind", None), "message": str(exc)[:2000]}
            if key is not None and isinstance(exc, AetherRuntimeError):
                self.journal.finish(key, {"tool": tool_call.tool, "params_hash": phash,
                                          "request": request_id, "error": error,
                                          "risk": decision.risk_cost,
                                          "tokens": decision.token_cost})
            self.ledger.append(run_id, "error", {"request": request_id, **error})
            raise
        data = _json(result)
        if key is not None:
            self.journal.finish(key, {"tool": tool_call.tool, "params_hash": phash,
                                      "request": request_id, "value": data,
                                      "risk": decision.risk_cost,
                                      "tokens": decision.token_cost})
        self.ledger.append(run_id, "result", {"request": request_id, "result": data})
        if "model.invoke" in request.capabilities:
            tokens = math.ceil(len(canonical_json(data).decode("utf-8")) / 4)
            with self._lock:
                self.spent = Spent(self.spent.risk, self.spent.tokens + tokens)
        return result


    # -- resume
    def _replay(self, key: str, record: dict, tool_call: ToolCall, ctx) -> Any:
        """A completed call of the run being resumed: its recorded result (or error),
        without calling the tool. AE611 when the call differs from the recorded one."""
        phash = params_hash(_params(tool_call))
        if record.get("tool") != tool_call.tool or record.get("params_hash") != phash:
            raise rt_error("AE611", f"the resumed run diverged at '{tool_call.tool}' (call "
                           f"{key}): its parameters differ from the recorded call's; the "
                           "workflow is not deterministic or its inputs changed")
        with self._lock:
            self.replayed += 1
            self.spent = Spent(self.spent.risk + int(record.get("risk") or 0),
                               self.spent.tokens + int(record.get("tokens") or 0))
        if tool_call.tool == "sleep" and isinstance(ctx.clock, VirtualClock):
            seconds = tool_call.args[0] if tool_call.args else tool_call.kwargs.get(
                "duration")
            if isinstance(seconds, (int, float)) and seconds > 0:
                ctx.clock.advance(float(seconds))  # virtual time passes as it did
        if "error" in record:
            err = record["error"]
            raise AetherRuntimeError(err.get("kind") or "RuntimeError",
                                     err.get("rule") or "AE410", err.get("message", ""))
        return record.get("value")

    def _used_approvals(self, run_id: str) -> set:
        """Ids of the approvals that already allowed a call of ``run_id``: read once from
        the run's ledger (a resumed run's earlier calls), then kept up to date."""
        if self._used is None:
            self._used = set()
            if self.approvals is not None:
                for entry in self.ledger.backend.entries(run_id):
                    body = entry.parsed()
                    data = body.get("data")
                    if body.get("kind") == "decision" and isinstance(data, dict) \
                            and data.get("effect") == ALLOW \
                            and isinstance(data.get("approval"), str):
                        self._used.add(data["approval"])
        return self._used

    def _in_doubt(self, key: str, record: dict, tool_call: ToolCall, ctx) -> None:
        """A call that started before the crash and has no recorded result. Returns when
        it may be made again (idempotent tool, --retry-in-doubt, a person approved);
        raises AE602 after a refusal and AE610 (the run waits) otherwise."""
        run_id = ctx.run_id
        old = record.get("request") if isinstance(record, dict) else None
        entry = tool_call.entry
        why = None
        if getattr(entry, "idempotent", False) is True:
            why = "idempotent"
        elif self.retry_in_doubt:
            why = "retry-in-doubt"
        else:
            human = None
            if self.approvals is not None and old:
                for a in sorted(self.approvals.for_run(run_id), key=lambda a: a.time,
                                reverse=True):
                    if a.request_id == old:
                        human = a
                        break
            if human is not None:
                req = Request(actor=self.actor or "anonymous", intent="",
                              tool=tool_call.tool, params=_params(tool_call),
                              risk=tool_call.risk, workflow_digest=self.digest,
                              run_id=run_id)
                problem = validate(human, req, self.policy, self.clock())
                if problem is None and human.decision == APPROVE:
                    why = f"approved:{human.id}"
                elif problem is None:
                    self.ledger.append(run_id, "in_doubt", {
                        "request": old, "call_key": key, "tool": tool_call.tool,
                        "resolution": "denied", "approval": human.id})
                    raise rt_error("AE602", f"'{tool_call.tool}' was in doubt after a crash "
                                   f"and {human.approver} refused to call it again: "
                                   f"{human.reason}")
            if why is None:
                self.ledger.append(run_id, "in_doubt", {
                    "request": old, "call_key": key, "tool": tool_call.tool,
                    "waiting": True, "policy_digest": self.policy.digest})
                self.pending.append({"request_id": old, "tool": tool_call.tool,
                                     "reasons": ["in-doubt"]})
                raise ApprovalRequired(
                    f"'{tool_call.tool}' (call {key}) started before the run stopped and has "
                    "no recorded result: it may or may not have happened. Decide: aether "
                    f"approve {run_id} {old} --approver NAME --reason TEXT (call it again) "
                    f"or aether deny {run_id} {old} ... (do not), or aether resume {run_id} "
                    "--retry-in-doubt; then aether resume " + run_id,
                    run_id, old or key, None, Request(actor=self.actor or "anonymous",
                                                      intent="", tool=tool_call.tool,
                                                      params={}), rule="AE610")
        self.ledger.append(run_id, "in_doubt", {"request": old, "call_key": key,
                                                "tool": tool_call.tool, "resolution": why})


def _script_json(script: ScriptPolicy) -> dict:
    from dataclasses import asdict

    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(script).items()}


def _with(request: Request, approval) -> Request:
    if approval is None:
        return request
    from dataclasses import replace

    return replace(request, approval=approval)
