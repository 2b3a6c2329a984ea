"""Decisions: a pure function from (policy, request) to allow, deny or require_approval.

As in OPA and Cedar, a :class:`Request` is data in and a :class:`Decision` is data out:
the effect, the ids of the rules that determined it (``reasons``), a message and the
digest of the policy that decided. Nothing here performs an effect or reads a clock
(``now`` is passed in), so decisions replay exactly (see :mod:`aether.governance.replay`).

The order (deny beats everything, as Cedar's ``forbid``):

1. actor not in ``allowed_actors`` -> deny ``actor-not-allowed``;
2. intent longer than ``max_intent_length`` -> deny ``intent-too-long``;
3. mode ``evidence-first`` without evidence -> deny ``evidence-missing``; mode
   ``dual-channel`` without all of scope, non-goals and success criteria -> deny
   ``constraints-missing``;
4. a matching ``deny`` rule -> deny with the rule's id;
5. a capability of the tool outside the policy's grant -> deny ``capability-not-granted``;
6. strict (and evidence-first / dual-channel): a tool outside ``allowed_tools`` and no
   matching ``allow`` rule -> deny ``tool-not-allowed``;
7. the script's own ``policy:`` (it may only tighten): ``denied_tools``, ``allowed_tools``,
   ``network: false``, ``risk_budget``, ``token_budget`` -> deny ``script.*``;
8. the tool's risk tier in ``[approval] required_for``, a matching ``require_approval``
   rule, or the script's ``approval_required`` -> require_approval, unless the request
   carries a valid approval (allow, reason ``approved``) or a refusal (deny
   ``approval-denied``).

Mode ``permissive`` runs the same steps and then allows, recording what the strict
outcome would have been as ``would-deny:<reason>`` / ``would-require-approval:<reason>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Optional

from .policy import Policy, canonical_json, glob_match

__all__ = ["Request", "Decision", "ScriptPolicy", "Spent", "decide", "ALLOW", "DENY",
           "REQUIRE_APPROVAL", "RISK_COST", "token_cost", "script_policy",
           "CONSTRAINT_KEYS"]

ALLOW, DENY, REQUIRE_APPROVAL = "allow", "deny", "require_approval"
CONSTRAINT_KEYS = ("scope", "non_goals", "success_criteria")
# What a call of each risk tier costs of `policy: risk_budget`, in thousandths (integers,
# so that accounting is exact and the same on every machine).
RISK_COST = MappingProxyType({"low": 0, "medium": 50, "high": 250, "unreviewed": 250})


@dataclass(frozen=True)
class Request:
    """One effectful call as policy sees it (what the ledger records as a request)."""

    actor: str
    intent: str
    tool: str
    params: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple = ()
    constraints: Mapping[str, Any] = field(default_factory=dict)
    risk: str = "medium"
    capabilities: tuple[str, ...] = ()
    workflow_digest: str = ""
    run_id: str = ""
    simulated: bool = False
    approval: Any = None  # an approvals.Approval already validated for this request

    def to_json(self) -> dict:
        """The request as recorded in the ledger (the approval is recorded separately)."""
        return {"actor": self.actor, "intent": self.intent, "tool": self.tool,
                "params": dict(self.params), "evidence": list(self.evidence),
                "constraints": dict(self.constraints), "risk": self.risk,
                "capabilities": list(self.capabilities),
                "workflow_digest": self.workflow_digest, "run_id": self.run_id,
                "simulated": self.simulated}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Request":
        """The inverse of :meth:`to_json` (KeyError/TypeError for a malformed record)."""
        return cls(actor=data["actor"], intent=data["intent"], tool=data["tool"],
                   params=dict(data.get("params") or {}),
                   evidence=tuple(data.get("evidence") or ()),
                   constraints=dict(data.get("constraints") or {}),
                   risk=data.get("risk", "medium"),
                   capabilities=tuple(data.get("capabilities") or ()),
                   workflow_digest=data.get("workflow_digest", ""),
                   run_id=data.get("run_id", ""), simulated=bool(data.get("simulated")))


@dataclass(frozen=True)
class Decision:
    """The outcome: ``effect`` with the ``reasons`` (rule ids) that determined it."""

    effect: str
    reasons: tuple[str, ...]
    message: str
    policy_digest: str
    tier: str = "medium"
    risk_cost: int = 0
    token_cost: int = 0

    @property
    def allowed(self) -> bool:
        return self.effect == ALLOW

    def to_json(self) -> dict:
        return {"effect": self.effect, "reasons": list(self.reasons), "message": self.message,
                "policy_digest": self.policy_digest, "tier": self.tier,
                "risk_cost": self.risk_cost, "token_cost": self.token_cost}


@dataclass(frozen=True)
class ScriptPolicy:
    """The workflow's own ``policy:`` block, as far as governance enforces it.

    Budgets are integers: ``risk_budget`` in thousandths (0.1 -> 100), ``token_budget`` in
    tokens. None means "no limit".
    """

    risk_budget: Optional[int] = None
    token_budget: Optional[int] = None
    allowed_tools: Optional[tuple[str, ...]] = None
    denied_tools: tuple[str, ...] = ()
    approval_required: tuple[str, ...] = ()
    network: Optional[bool] = None
    jurisdiction: Optional[str] = None


@dataclass(frozen=True)
class Spent:
    """What the run has spent so far of its budgets (thousandths of risk, tokens)."""

    risk: int = 0
    tokens: int = 0


def script_policy(block: Mapping[str, Any]) -> ScriptPolicy:
    """The ScriptPolicy of a workflow's evaluated ``policy:`` block (the checker has
    validated its types already; a value of another type is ignored)."""
    def strings(key):
        v = block.get(key)
        if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
            return tuple(v)
        return None
    rb = block.get("risk_budget")
    tb = block.get("token_budget")
    net = block.get("network")
    jur = block.get("jurisdiction")
    return ScriptPolicy(
        risk_budget=int(round(rb * 1000)) if isinstance(rb, (int, float))
        and not isinstance(rb, bool) else None,
        token_budget=tb if type(tb) is int else None,
        allowed_tools=strings("allowed_tools"), denied_tools=strings("denied_tools") or (),
        approval_required=strings("approval_required") or (),
        network=net if isinstance(net, bool) else None,
        jurisdiction=jur if isinstance(jur, str) else None)


def token_cost(request: Request) -> int:
    """Tokens a model call is charged before it runs: its parameters' canonical JSON at
    four characters a token (0 for a tool without the ``model.invoke`` capability)."""
    if "model.invoke" not in request.capabilities:
        return 0
    try:
        size = len(canonical_json(dict(request.params)).decode("utf-8"))
    except (TypeError, ValueError):
        size = len(repr(dict(request.params)))
    return math.ceil(size / 4)


def _any_glob(patterns, name: str) -> bool:
    return any(glob_match(p, name) for p in patterns)


def _constraints_complete(c: Mapping[str, Any]) -> bool:
    return all(c.get(k) not in (None, "", [], (), {}) for k in CONSTRAINT_KEYS)


def decide(policy: Policy, request: Request, script: Optional[ScriptPolicy] = None,
           spent: Spent = Spent()) -> Decision:
    """Decide ``request`` under ``policy`` (and the workflow's ``script`` policy, with the
    budgets already ``spent``). Returns a Decision; never raises for any request."""
    script = script or ScriptPolicy()
    tier = policy.tier(request.tool, request.risk)
    rcost = RISK_COST.get(tier, RISK_COST["unreviewed"])
    tcost = token_cost(request)
    effect, reasons, message = _strict(policy, request, script, spent, tier, rcost, tcost)
    if policy.mode == "permissive" and effect != ALLOW:
        reasons = tuple(f"would-{effect.replace('_', '-')}:{r}" for r in reasons)
        message = f"permissive: allowed (strict would {effect.replace('_', ' ')}: {message})"
        effect = ALLOW
    return Decision(effect, tuple(reasons), message, policy.digest, tier,
                    rcost if effect == ALLOW else 0, tcost if effect == ALLOW else 0)


def _strict(policy, req: Request, script: ScriptPolicy, spent: Spent, tier, rcost, tcost):
    tool = req.tool
    if policy.allowed_actors is not None and req.actor not in policy.allowed_actors:
        return DENY, ("actor-not-allowed",), f"actor '{req.actor}' is not an allowed actor"
    if policy.max_intent_length is not None and len(req.intent) > policy.max_intent_length:
        return DENY, ("intent-too-long",), (
            f"the intent has {len(req.intent)} characters, more than max_intent_length "
            f"{policy.max_intent_length}")
    modes = {policy.mode}
    if script.jurisdiction in ("evidence-first", "dual-channel", "strict"):
        modes.add(script.jurisdiction)  # a workflow may ask for more scrutiny, never less
    if "evidence-first" in modes and not req.evidence:
        return DENY, ("evidence-missing",), (
            f"evidence-first: a call of '{tool}' must cite evidence")
    if "dual-channel" in modes and not _constraints_complete(req.constraints):
        missing = [k for k in CONSTRAINT_KEYS if req.constraints.get(k) in
                   (None, "", [], (), {})]
        return DENY, ("constraints-missing",), (
            f"dual-channel: a call of '{tool}' must carry constraints ({', '.join(missing)} "
            "missing)")
    matching = [r for r in policy.rules if r.matches(tool, req.params)]
    for r in matching:
        if r.effect == DENY:
            return DENY, (r.id,), r.reason or f"rule {r.id} denies '{tool}' here"
    if policy.capabilities is not None:
        for cap in req.capabilities:
            if not _any_glob(policy.capabilities, cap):
                return DENY, ("capability-not-granted",), (
                    f"'{tool}' uses capability '{cap}', which the policy does not grant")
    allowed_by_rule = [r for r in matching if r.effect == ALLOW]
    if policy.allowed_tools is not None and not allowed_by_rule \
            and not _any_glob(policy.allowed_tools, tool):
        return DENY, ("tool-not-allowed",), f"'{tool}' is not in allowed_tools"
    denied = _script(script, req, spent, rcost, tcost)
    if denied is not None:
        return (DENY,) + denied
    need: list[str] = []
    if tier in policy.approval.required_for:
        need.append(f"approval.tier:{tier}")
    need.extend(r.id for r in matching if r.effect == REQUIRE_APPROVAL)
    if any(glob_match(p, tool) or any(glob_match(p, c) for c in req.capabilities)
           for p in script.approval_required):
        need.append("script.approval_required")
    if need:
        approval = req.approval
        if approval is not None and getattr(approval, "decision", None) == "deny":
            return DENY, ("approval-denied",), (
                f"'{tool}' was refused by {approval.approver}: {approval.reason}")
        if approval is not None and getattr(approval, "decision", None) == "approve":
            return ALLOW, ("approved",) + tuple(need), (
                f"approved by {approval.approver}: {approval.reason}")
        return REQUIRE_APPROVAL, tuple(need), f"'{tool}' needs an approval ({need[0]})"
    reason = "rule:" + allowed_by_rule[0].id if allowed_by_rule else (
        "mode:" + policy.mode)
    return ALLOW, (reason,), "allowed"


def _script(script: ScriptPolicy, req: Request, spent: Spent, rcost: int, tcost: int):
    tool = req.tool
    if _any_glob(script.denied_tools, tool):
        return ("script.denied_tools",), f"the workflow's policy denies '{tool}'"
    if script.allowed_tools is not None and not _any_glob(script.allowed_tools, tool):
        return ("script.allowed_tools",), (
            f"'{tool}' is not in the workflow's policy: allowed_tools")
    if script.network is False and any(c.startswith("network.") for c in req.capabilities):
        return ("script.network",), f"'{tool}' uses the network and the workflow's policy " \
            "says network: false"
    if script.risk_budget is not None and spent.risk + rcost > script.risk_budget:
        return ("script.risk_budget",), (
            f"'{tool}' would take the run's risk to {(spent.risk + rcost) / 1000:g}, over "
            f"its risk_budget {script.risk_budget / 1000:g}")
    if script.token_budget is not None and spent.tokens + tcost > script.token_budget:
        return ("script.token_budget",), (
            f"'{tool}' would take the run to {spent.tokens + tcost} tokens, over its "
            f"token_budget {script.token_budget}")
    return None
