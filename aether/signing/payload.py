"""Sign and verify one canonical payload with a key: the primitive every signature uses.

The message signed is ``aether-signature\\0v1\\0<namespace>\\0<key id>\\0`` followed by
the SHA-512 of the payload bytes, so a signature made for one namespace (a workflow, an
approval) never verifies for another and names the key that made it. Workflow files use
it for their content (:mod:`aether.signing.verify`); a governance ledger signs an
approval's canonical JSON (:func:`canonical_json`) with :func:`sign_payload` and checks
it with :func:`verify_payload`, which applies the trusted signers, their validity windows
and the revocation list exactly as for files, and returns the key id and principal.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from ..jsondoc import canonical_json  # noqa: F401 - part of this module's API
from .keys import SigningKey, b64, b64_strict
from .trust import Trust

__all__ = ["message", "canonical_json", "PayloadSignature", "PayloadVerdict", "sign_payload",
           "verify_payload", "CLOCK_SKEW", "parse_time", "format_time"]

CLOCK_SKEW = timedelta(minutes=5)  # a signing time this far ahead of now is accepted


def message(namespace: str, keyid: str, payload: bytes) -> bytes:
    """The exact bytes an Ed25519 signature of ``payload`` covers."""
    return (b"aether-signature\0v1\0" + namespace.encode("utf-8") + b"\0" +
            keyid.encode("ascii") + b"\0" + hashlib.sha512(payload).digest())


def format_time(when: datetime) -> str:
    """A signing time as written in trusted comments: ``2026-01-31T12:00:00Z``."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_TIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$", re.A)


def parse_time(text: str) -> Optional[datetime]:
    """The aware UTC time of ``2026-01-31T12:00:00Z``, or None when malformed."""
    m = _TIME.match(text or "")
    if m is None:
        return None
    try:
        return datetime(*(int(g) for g in m.groups()), tzinfo=timezone.utc)
    except ValueError:  # 2026-02-30, 25:00...
        return None


@dataclass(frozen=True)
class PayloadSignature:
    """A signature of a payload: who (key id), for what namespace, the base64 signature."""

    namespace: str
    keyid: str
    signature: str

    def to_json(self) -> dict:
        return {"namespace": self.namespace, "keyid": self.keyid, "signature": self.signature}


@dataclass(frozen=True)
class PayloadVerdict:
    """The outcome: ``rule`` None when the signature is good (then ``principal`` is the
    trusted signer's), else the AE5xx rule id and a one-line ``message``."""

    keyid: str
    rule: Optional[str] = None
    message: str = ""
    principal: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.rule is None


def sign_payload(key: SigningKey, namespace: str, payload: bytes) -> PayloadSignature:
    """Sign ``payload`` in ``namespace`` with ``key``."""
    return PayloadSignature(namespace, key.keyid,
                            b64(key.sign(message(namespace, key.keyid, payload))))


def check_key(trust: Trust, keyid: str, signed_at: datetime,
              now: Optional[datetime] = None) -> PayloadVerdict:
    """Whether ``keyid`` may sign at ``signed_at``: not revoked (AE507), listed (AE505),
    inside a validity window and not in the future (AE506). The signature itself is not
    looked at; the verdict carries the principal when the key may sign."""
    now = now or datetime.now(timezone.utc)
    if trust.is_revoked(keyid):
        return PayloadVerdict(keyid, "AE507", f"key {keyid} is revoked")
    entries = trust.candidates(keyid)
    if not entries:
        where = " or ".join(trust.sources) if trust.sources else "no trusted-signers file"
        return PayloadVerdict(keyid, "AE505", f"key {keyid} is not a trusted signer "
                              f"(trusted signers: {where})")
    if signed_at > now + CLOCK_SKEW:
        return PayloadVerdict(keyid, "AE506", f"signed at {format_time(signed_at)}, which "
                              "is in the future")
    for entry in entries:
        if entry.valid_at(signed_at):
            return PayloadVerdict(keyid, principal=entry.principal)
    windows = "; ".join(f"{e.principal}: {e.window()}" for e in entries)
    return PayloadVerdict(keyid, "AE506", f"key {keyid} signed at {format_time(signed_at)}, "
                          f"outside its validity ({windows})")


def verify_payload(trust: Trust, namespace: str, payload: bytes, signature: PayloadSignature,
                   signed_at: datetime, now: Optional[datetime] = None,
                   expect_namespace: Optional[str] = None) -> PayloadVerdict:
    """Check ``signature`` of ``payload``: namespace (AE508), the key's trust
    (:func:`check_key`), then the signature itself (AE503). Never raises."""
    keyid = signature.keyid
    wanted = expect_namespace or namespace
    if signature.namespace != wanted:
        return PayloadVerdict(keyid, "AE508", f"signature namespace '{signature.namespace}', "
                              f"expected '{wanted}'")
    verdict = check_key(trust, keyid, signed_at, now)
    if not verdict.ok:
        return verdict
    raw = b64_strict(signature.signature, 64)
    key = trust.candidates(keyid)[0].key
    if raw is None or not key.verify(raw, message(wanted, keyid, payload)):
        return PayloadVerdict(keyid, "AE503", "the signature does not match the signed data")
    return verdict
