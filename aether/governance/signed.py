"""Signed approvals: sign an approval with the approver's Ed25519 key, check it against
the trusted signers, and re-check every approval signature of a ledger (also offline).

The payload signed is the canonical JSON of :meth:`Approval.body` (run, request id, the
request's binding: tool, parameter hash and workflow digest; the decision, approver,
reason, time and expiry) in the namespace ``aether-approval``, with
:func:`aether.signing.payload.sign_payload`. The approval keeps the signature as
``{"namespace", "keyid", "signature", "signed_at", "public_key"}``: the public key line
rides along so that an evidence export can be checked without any trust file (the key id
is derived from the key, so a swapped key shows). Whether the key is *trusted* (a principal
of the allowed-signers file, inside its validity window, not revoked, and the approver
itself) is decided when the approval is recorded and when it is used, under the policy's
``[approval] require_signed = true``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from .approvals import SIGNATURE_VERIFIER, Approval
from .policy import Policy, canonical_json

__all__ = ["NAMESPACE", "sign_approval", "check_signature", "install_verifier",
           "signature_problems"]

NAMESPACE = "aether-approval"


def sign_approval(approval: Approval, key) -> Approval:
    """``approval`` with its signature by ``key`` (an aether.signing.keys.SigningKey)."""
    from dataclasses import replace

    from ..signing.payload import format_time, sign_payload

    sig = sign_payload(key, NAMESPACE, canonical_json(approval.body()))
    signed_at = format_time(datetime.fromtimestamp(approval.time, timezone.utc))
    return replace(approval, signature={**sig.to_json(), "signed_at": signed_at,
                                        "public_key": key.public.line()})


def _crypto_check(body: dict, signature: Any) -> Optional[str]:
    """Whether ``signature`` is a valid signature of ``body`` by the key it carries
    (None) or what is wrong with it; no trust decision."""
    from ..signing.keys import KeyFileError, b64_strict, parse_public_line
    from ..signing.payload import message

    if not isinstance(signature, dict):
        return "the signature is not a signature record"
    try:
        key = parse_public_line(str(signature.get("public_key", "")))
    except KeyFileError as exc:
        return f"the signature's public key is unusable: {exc}"
    if key.keyid != signature.get("keyid"):
        return f"key id {signature.get('keyid')} is not the id of the key it carries"
    if signature.get("namespace") != NAMESPACE:
        return f"signature namespace '{signature.get('namespace')}', expected '{NAMESPACE}'"
    raw = b64_strict(str(signature.get("signature", "")), 64)
    try:
        payload = canonical_json(body)
    except (TypeError, ValueError):
        return "the approval is not JSON"
    if raw is None or not key.verify(raw, message(NAMESPACE, key.keyid, payload)):
        return "the signature does not match the approval"
    return None


def check_signature(approval: Approval, trust, policy: Optional[Policy] = None,
                    now: Optional[datetime] = None) -> Optional[str]:
    """None when ``approval`` is signed by a trusted key of its approver (under ``trust``,
    an aether.signing.trust.Trust), else what is wrong."""
    from ..signing.payload import check_key

    sig = approval.signature
    if not sig:
        return "the approval is not signed"
    problem = _crypto_check(approval.body(), sig)
    if problem:
        return problem
    signed_at = datetime.fromtimestamp(approval.time, timezone.utc)
    verdict = check_key(trust, sig["keyid"], signed_at, now)
    if not verdict.ok:
        return f"{verdict.rule} {verdict.message}"
    # the key in allowed_signers must be the key carried (not only its id)
    entries = [e for e in trust.candidates(sig["keyid"]) if e.principal == approval.approver]
    if not entries:
        return (f"key {sig['keyid']} belongs to {verdict.principal}, not to the approver "
                f"'{approval.approver}'")
    if entries[0].key.line().split()[1] != str(sig["public_key"]).split()[1]:
        return f"key {sig['keyid']} is not the key allowed_signers lists"
    return None


def install_verifier(trust) -> None:
    """Make :func:`aether.governance.approvals.validate` check signatures against
    ``trust`` (the process's trusted signers) when a policy requires signed approvals."""
    SIGNATURE_VERIFIER[:] = [lambda approval, policy: check_signature(approval, trust,
                                                                      policy)]


def signature_problems(bodies) -> list[tuple[int, str]]:
    """(seq, problem) for each ledger ``approval`` entry among ``bodies`` (parsed entry
    bodies) whose signature is present and not a valid signature of the approval (the
    cryptographic check only: offline, no trust file needed)."""
    out = []
    for body in bodies:
        if not isinstance(body, dict) or body.get("kind") != "approval":
            continue
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("signature"):
            continue
        try:
            approval = Approval.from_json(data)
        except (KeyError, TypeError, ValueError):
            out.append((body.get("seq"), "the approval entry is malformed"))
            continue
        problem = _crypto_check(approval.body(), data["signature"])
        if problem is None and approval.id != data.get("id"):
            problem = "the approval's id does not match its content"
        if problem:
            out.append((body.get("seq"), problem))
    return out
