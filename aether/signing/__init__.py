"""Signing workflows with Ed25519: key pairs, signature blocks, trusted signers, verification.

The modules, one job each: :mod:`.keys` (key pairs and key files), :mod:`.block` (the
signature block in a file and the exact bytes it covers), :mod:`.payload` (signing and
verifying any canonical payload, for workflows and approvals alike), :mod:`.trust` (the
trusted-signers and revocation files), :mod:`.legacy` (the reference's HMAC header),
:mod:`.verify` (a file's verdict and its findings) and :mod:`.sign` (signing files in
place). docs/signing.md describes the format.
"""

from __future__ import annotations

NAMESPACE = "aether-workflow"

__all__ = ["NAMESPACE"]
