"""Human approvals bound to one exact request, and the checks that make them count.

An :class:`Approval` answers one request (approve or deny) and is *bound* to it: the tool,
the SHA-256 of its canonical parameters and the digest of the workflow file. It counts for
a request only when :func:`validate` finds nothing wrong: same tool, same parameters, same
workflow, not expired, an approver the policy lists for the request's risk tier, and not
the actor who made the request (separation of duties). A ``signature`` field is kept for
signed approvals (issue 13); :data:`SIGNATURE_VERIFIER` is the hook that checks it when the
policy says ``require_signed``.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping, Optional, Protocol

from .decide import Request
from .policy import Policy, canonical_json

__all__ = ["Approval", "Binding", "ApprovalStore", "MemoryApprovalStore", "binding_of",
           "params_hash", "ParamsError", "MAX_PARAMS_DEPTH", "validate", "find_valid",
           "SIGNATURE_VERIFIER", "APPROVE", "DENY",
           "StoreApprovals", "identity", "name_problem"]

APPROVE, DENY = "approve", "deny"

# Cyrillic and Greek letters drawn like Latin ones (after NFKC and case folding): enough
# for a name such as "аgent-ops" (Cyrillic а) to be the same person as "agent-ops". Not
# Unicode's whole confusables table: names that differ otherwise are different people.
_LOOK_ALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "һ": "h", "ո": "n", "ս": "u",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "_": "-",
})


def identity(name: str) -> str:
    """The form in which an approver and a requester are compared for separation of
    duties: Unicode NFKC (fullwidth and other compatibility forms become plain letters),
    case-folded, whitespace trimmed and collapsed, Cyrillic and Greek look-alikes of Latin
    letters and the dashes mapped to their Latin and ASCII forms, so that "Agent-Ops",
    " agent-ops ", "ａｇｅｎｔ-ops" and "аgent-ops" (Cyrillic а) are all "agent-ops"."""
    import unicodedata

    text = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(text.split()).translate(_LOOK_ALIKES)


def name_problem(name: str, who: str = "the approver") -> Optional[str]:
    """Why ``name`` cannot name a person (``who``: "the approver"...; None if it can):
    empty, or holding a control, format (zero-width space, joiner, direction mark),
    private-use or unassigned character, which would make two names that look the same
    compare different."""
    import unicodedata

    if not name.strip():
        return f"{who}'s name is empty"
    for ch in name:
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"):
            return (f"{who}'s name holds the invisible or control character "
                    f"U+{ord(ch):04X}")
    return None


#: How deep a call's parameters may nest: far above what a run records (its values nest
#: at most 100 levels, aether.runtime.values.MAX_DEPTH) and far below what the JSON
#: encoder's recursion can take.
MAX_PARAMS_DEPTH = 256

_SCALARS = (str, int, bool, type(None))


class ParamsError(ValueError):
    """Parameters that have no canonical JSON form; the message says why, in one line."""


def _check_json_data(value: Any) -> None:
    """Raise ParamsError unless ``value`` is plain JSON data (maps with string keys, lists,
    strings, numbers, booleans, null) nested at most MAX_PARAMS_DEPTH levels. Iterative:
    a value nested a million levels deep is refused in time linear in its size, not by
    exhausting the stack; a cycle is refused as too deep."""
    import math

    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, _SCALARS):
            continue
        if isinstance(v, float):
            if not math.isfinite(v):
                raise ParamsError(f"the parameters hold the number {v}, which JSON cannot")
            continue
        if depth >= MAX_PARAMS_DEPTH:
            raise ParamsError(f"the parameters nest more than {MAX_PARAMS_DEPTH} levels deep")
        if isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise ParamsError(f"the parameters hold a map key that is not a string "
                                      f"({type(k).__name__})")
                stack.append((x, depth + 1))
        elif isinstance(v, (list, tuple)):
            stack.extend((x, depth + 1) for x in v)
        else:
            raise ParamsError(f"the parameters hold a {type(v).__name__}, which is not JSON "
                              "data")


def params_hash(params: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a call's parameters (sorted keys, UTF-8,
    :func:`aether.jsondoc.canonical_json`): equal parameters, and only they, hash alike.

    Raises ParamsError for parameters that are not plain JSON data (an object, NaN, a key
    that is not a string) or nest more than MAX_PARAMS_DEPTH levels.
    """
    data = dict(params)
    _check_json_data(data)
    try:
        return hashlib.sha256(canonical_json(data)).hexdigest()
    except (TypeError, ValueError, RecursionError) as exc:  # not expected after the check
        raise ParamsError(f"the parameters have no canonical JSON form: {exc}") from None


@dataclass(frozen=True)
class Binding:
    """What an approval is bound to."""

    tool: str
    params_hash: str
    workflow_digest: str


def binding_of(request: Request) -> Binding:
    return Binding(request.tool, params_hash(request.params), request.workflow_digest)


@dataclass(frozen=True)
class Approval:
    """A recorded human decision on one request. Times are seconds since the epoch."""

    run_id: str
    request_id: str
    binding: Binding
    decision: str  # approve | deny
    approver: str
    reason: str
    time: float
    expires: float
    requester: str = ""
    signature: Optional[str] = None  # signed approvals: issue 13
    id: str = field(default="")

    def __post_init__(self):
        if not self.id:
            object.__setattr__(self, "id", hashlib.sha256(canonical_json(
                self.body())).hexdigest()[:16])

    def body(self) -> dict:
        """The approval as recorded (and as a signature would cover it)."""
        return {"run_id": self.run_id, "request_id": self.request_id,
                "tool": self.binding.tool, "params_hash": self.binding.params_hash,
                "workflow_digest": self.binding.workflow_digest, "decision": self.decision,
                "approver": self.approver, "reason": self.reason, "time": self.time,
                "expires": self.expires, "requester": self.requester}

    def to_json(self) -> dict:
        return {**self.body(), "id": self.id, "signature": self.signature}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Approval":
        return cls(d["run_id"], d["request_id"],
                   Binding(d["tool"], d["params_hash"], d["workflow_digest"]),
                   d["decision"], d["approver"], d["reason"], float(d["time"]),
                   float(d["expires"]), d.get("requester", ""), d.get("signature"),
                   d.get("id", ""))


# (approval, policy) -> None when the signature is good, else what is wrong with it.
# Issue 13 installs the real verifier; until then a signature cannot be checked, so a
# policy with `require_signed = true` accepts no approval.
SIGNATURE_VERIFIER: list[Callable[[Approval, Policy], Optional[str]]] = []


def validate(approval: Approval, request: Request, policy: Policy, now: float
             ) -> Optional[str]:
    """Why ``approval`` does not count for ``request`` under ``policy`` at time ``now``
    (a short reason id with a message after ``: ``), or None when it counts."""
    want = binding_of(request)
    if approval.binding.tool != want.tool:
        return f"tool-changed: the approval is for '{approval.binding.tool}', not " \
            f"'{want.tool}'"
    if approval.binding.params_hash != want.params_hash:
        return "params-changed: the call's parameters differ from the approved ones"
    if approval.binding.workflow_digest != want.workflow_digest:
        return "workflow-changed: the workflow file changed since the approval"
    if now >= approval.expires:
        return "expired: the approval has expired"
    who = identity(approval.approver)
    if who == identity(request.actor) or (approval.requester and
                                          who == identity(approval.requester)):
        return f"self-approval: '{approval.approver}' made the request and cannot approve " \
            "it (separation of duties)"
    allowed = policy.approval.approvers_for(policy.tier(request.tool, request.risk))
    if allowed is not None and approval.approver not in allowed:
        return f"approver-not-allowed: '{approval.approver}' is not an approver of " \
            f"{policy.tier(request.tool, request.risk)}-risk requests"
    if policy.approval.require_signed:
        if not approval.signature:
            return "unsigned: the policy requires signed approvals"
        if not SIGNATURE_VERIFIER:
            return "unsigned: no signature verifier is installed"
        problem = SIGNATURE_VERIFIER[0](approval, policy)
        if problem:
            return f"bad-signature: {problem}"
    return None


class ApprovalStore(Protocol):
    """Where approvals live (SQL: one ``approvals`` row per approval)."""

    def add(self, approval: Approval) -> None: ...

    def for_run(self, run_id: str) -> list[Approval]: ...


class StoreApprovals:
    """An ApprovalStore over the state :class:`aether.store.Store` (its ``approvals``
    table, the same database and connection as the run's ledger)."""

    def __init__(self, store):
        self.store = store

    def add(self, approval: Approval) -> None:
        self.store.add_approval(approval.to_json())

    def for_run(self, run_id: str) -> list[Approval]:
        return [Approval.from_json(d) for d in self.store.approvals(run_id)]


class MemoryApprovalStore:
    """An ApprovalStore in memory."""

    def __init__(self):
        self._items: list[Approval] = []
        self._lock = threading.Lock()

    def add(self, approval: Approval) -> None:
        with self._lock:
            self._items.append(approval)

    def for_run(self, run_id: str) -> list[Approval]:
        with self._lock:
            return [a for a in self._items if a.run_id == run_id]


def find_valid(store: Optional[ApprovalStore], request: Request, policy: Policy,
               now: float, used: Collection[str] = ()) -> tuple[Optional[Approval], list[str]]:
    """The newest approval in ``store`` that counts for ``request`` (None if none), and
    why each other approval bound to the same tool did not count.

    ``used``: ids of approvals that already allowed a call of this run. An approval allows
    one call: a second call with the same tool and parameters is another request and asks
    again (a refusal keeps refusing)."""
    if store is None:
        return None, []
    rejected = []
    for a in sorted(store.for_run(request.run_id), key=lambda a: a.time, reverse=True):
        if a.binding.tool != request.tool:
            continue
        if a.decision == APPROVE and a.id in used:
            rejected.append(f"{a.id}: used: the approval already allowed an earlier call")
            continue
        problem = validate(a, request, policy, now)
        if problem is None:
            return a, rejected
        rejected.append(f"{a.id}: {problem}")
    return None, rejected
