"""The reference's legacy signature header, ``# @signature: <hex>``, recognised and checked.

The reference signs with HMAC-SHA256 over the exact bytes after the file's first newline,
with a shared secret (and a fallback secret in its source that every published signature
verifies with, so such a header proves nothing by itself). It is verified only against a
secret the user hands over (``--legacy-hmac-secret-env VAR``); ``aether sign`` replaces it
with an Ed25519 block.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["legacy_hmac", "legacy_matches"]


def legacy_hmac(data: bytes, secret: bytes) -> str:
    """The reference's signature of a file's raw ``data``: HMAC-SHA256 in hex over the
    bytes after the first newline (all of them when there is none)."""
    _, newline, rest = data.partition(b"\n")
    return hmac.new(secret, rest if newline else b"", hashlib.sha256).hexdigest()


def legacy_matches(data: bytes, secret: bytes, claimed_hex: str) -> bool:
    """Whether the header's ``claimed_hex`` is the HMAC of ``data`` under ``secret``."""
    # bytes, not str: compare_digest refuses a str with non-ASCII characters
    return hmac.compare_digest(legacy_hmac(data, secret).encode("ascii"),
                               claimed_hex.strip().lower().encode("utf-8"))
