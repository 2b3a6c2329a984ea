"""Governance operations the commands perform: approve or deny a waiting request, list
waiting runs, verify a run or an evidence file, export a run.

Each function returns data (or a status and text) and raises :class:`GovernanceError`
with a rule id and exit status; the CLI only prints.
"""

from __future__ import annotations

import os
import time
from typing import Optional

from .approvals import (APPROVE, Approval, ApprovalStore, ParamsError, binding_of, identity,
                        name_problem)
from .decide import REQUIRE_APPROVAL, Request
from .ledger import (Ledger, LedgerBackend, LedgerError, Report, export_run, load_export,
                     verify_export, verify_run)
from .policy import Policy

__all__ = ["GovernanceError", "record_approval", "waiting_requests", "verify_target"]


class GovernanceError(Exception):
    """A governance command that cannot do what it was asked (``rule``, ``status``)."""

    def __init__(self, rule: str, status: int, message: str):
        super().__init__(message)
        self.rule, self.status, self.message = rule, status, message


def run_policy(backend: LedgerBackend, run_id: str) -> Policy:
    """The policy ``run_id`` was decided with: its recorded file, re-read, when the digest
    still matches (the default policy for a run without a file). Raises GovernanceError
    AE608 when the file is gone or changed (pass ``--policy`` to choose one)."""
    from .policy import PolicyError, default_policy, load_policy

    for entry in backend.entries(run_id):
        body = entry.parsed()
        if body.get("kind") != "run":
            continue
        data = body.get("data") or {}
        source, digest = data.get("policy_source"), data.get("policy_digest")
        try:
            policy = load_policy(source) if source else default_policy()
        except PolicyError as exc:
            raise GovernanceError("AE608", 25, f"the run's policy cannot be read "
                                  f"({exc.message}); pass --policy FILE")
        if policy.digest != digest:
            raise GovernanceError("AE608", 25, f"the run's policy {source or '(default)'} "
                                  "changed since the run; pass --policy FILE")
        return policy
    raise GovernanceError("AE608", 25, f"no ledger entries for run '{run_id}'")


def waiting_requests(backend: LedgerBackend, run_id: str) -> list[dict]:
    """The requests of ``run_id`` whose decision was require_approval and that no human
    decision has answered yet: ``{"request", "tool", "actor", "reasons", "time"}``."""
    requests, waiting = {}, {}
    for entry in backend.entries(run_id):
        try:
            body = entry.parsed()
            kind, data = body["kind"], body["data"]
        except (ValueError, KeyError, TypeError):
            continue
        if kind == "request":
            requests[f"r{body['seq']}"] = (data, body.get("time"))
        elif kind == "decision" and data.get("effect") == REQUIRE_APPROVAL:
            req, when = requests.get(data.get("request"), ({}, None))
            waiting[data["request"]] = {"request": data["request"], "tool": req.get("tool"),
                                        "actor": req.get("actor"),
                                        "reasons": data.get("reasons"), "time": when}
        elif kind == "approval" and data.get("human"):
            waiting.pop(data.get("request_id"), None)
        elif kind == "in_doubt" and data.get("request"):
            if data.get("waiting"):  # a call that may have run before a crash
                req, when = requests.get(data["request"], ({}, None))
                waiting[data["request"]] = {"request": data["request"],
                                            "tool": data.get("tool"),
                                            "actor": req.get("actor"),
                                            "reasons": ["in-doubt"], "time": when}
            else:
                waiting.pop(data["request"], None)
    return list(waiting.values())


def record_approval(backend: LedgerBackend, store: ApprovalStore, policy: Policy, run_id: str,
                    request_id: str, approver: str, reason: str, decision: str = APPROVE,
                    now: Optional[float] = None, key=None, trust=None) -> Approval:
    """Record ``approver``'s ``decision`` on the waiting request ``request_id`` of
    ``run_id``, bound to that request (tool, parameter hash, workflow digest) and expiring
    after the policy's ``expires_after``; it is appended to the run's ledger too.

    ``key`` (an aether.signing.keys.SigningKey) signs the approval; under the policy's
    ``require_signed`` an approval must be signed by a key ``trust`` (the trusted
    signers) lists for the approver.

    Raises GovernanceError AE608 (status 25) for an unknown or not-waiting request, an
    approver the policy does not list, the requester approving its own request, or an
    unsigned or untrusted signature when signatures are required.
    """
    now = time.time() if now is None else now
    found = None
    for entry in backend.entries(run_id):
        if f"r{entry.seq}" == request_id:
            body = entry.parsed()
            if body.get("kind") == "request":
                found = body["data"]
            break
    if found is None:
        raise GovernanceError("AE608", 25, f"run {run_id} has no request {request_id}")
    if request_id not in {w["request"] for w in waiting_requests(backend, run_id)}:
        raise GovernanceError("AE608", 25, f"request {request_id} of run {run_id} is not "
                              "waiting for an approval")
    request = Request.from_json(found)
    problem = name_problem(approver)
    if problem:
        raise GovernanceError("AE608", 25, f"{problem}: give the approver's name as the "
                              "policy lists it (--approver NAME)")
    if identity(approver) == identity(request.actor):
        raise GovernanceError("AE608", 25, f"'{approver}' made request {request_id} and "
                              "cannot approve it (separation of duties)")
    tier = policy.tier(request.tool, request.risk)
    allowed = policy.approval.approvers_for(tier)
    if allowed is not None and approver not in allowed:
        raise GovernanceError("AE608", 25, f"'{approver}' is not an approver of {tier}-risk "
                              f"requests (policy [approval] approvers: {', '.join(allowed)})")
    if not reason.strip():
        raise GovernanceError("AE608", 25, "an approval needs a reason (--reason TEXT)")
    try:
        binding = binding_of(request)
    except ParamsError as exc:  # a ledger entry changed by hand: nothing to bind to
        raise GovernanceError("AE607", 26, f"request {request_id} of run {run_id} cannot be "
                              f"approved: {exc}") from None
    approval = Approval(run_id, request_id, binding, decision, approver, reason,
                        now, now + policy.approval.expires_after, requester=request.actor)
    if key is not None:
        from .signed import sign_approval

        approval = sign_approval(approval, key)
    if policy.approval.require_signed:
        from .signed import check_signature

        if trust is None:
            problem = "no trusted signers to check it against"
        else:
            problem = check_signature(approval, trust, policy)
        if problem:
            raise GovernanceError("AE608", 25, f"the policy requires signed approvals "
                                  f"(require_signed): {problem}; sign with --key KEY, a key "
                                  f"allowed_signers lists for '{approver}'")
    store.add(approval)
    keyid = approval.signature.get("keyid") if isinstance(approval.signature, dict) else None
    try:
        Ledger(backend).append(run_id, "approval", {**approval.to_json(), "human": True,
                                                    "keyid": keyid,
                                                    "policy_digest": policy.digest})
    except LedgerError as exc:
        raise GovernanceError("AE608", exc.status, exc.message)
    return approval


#: The largest evidence file ``audit verify`` reads (an export of about three million
#: entries); it is read whole, so a larger one would exhaust memory rather than verify.
MAX_EVIDENCE_SIZE = 1 << 30


def verify_target(target: str, backend: Optional[LedgerBackend]) -> list[Report]:
    """Verify an evidence file (``target`` is an existing ``*.json`` path), one run of
    ``backend`` (``target`` is its id) or, for an empty target, every run of ``backend``.

    Raises GovernanceError AE607 (26) for an unreadable evidence file and for an unknown
    run.
    """
    if target and (target.endswith(".json") or os.path.isfile(target)):
        from ..readfile import DocumentReadError, read_document

        try:  # a regular file only (a FIFO waited forever), of a bounded size
            raw = read_document(target, MAX_EVIDENCE_SIZE)
            doc = load_export(raw)
        except DocumentReadError as exc:
            raise GovernanceError("AE607", 26, f"{target}: cannot read: it {exc}")
        except LedgerError as exc:
            raise GovernanceError("AE607", 26, f"{target}: {exc.message}")
        return [verify_export(doc, raw)]
    if backend is None:
        raise GovernanceError("AE607", 26, "no state database (.aether/state.db) to verify")
    runs = [target] if target else backend.runs()
    if target and backend.head(target) is None:
        raise GovernanceError("AE607", 26, f"no ledger entries for run '{target}'")
    return [verify_run(backend, r) for r in runs]


def export_evidence(backend: LedgerBackend, run_id: str) -> dict:
    """The evidence document of ``run_id`` (GovernanceError AE607 for an unknown run)."""
    try:
        return export_run(backend, run_id)
    except LedgerError as exc:
        raise GovernanceError("AE607", 26, exc.message)
