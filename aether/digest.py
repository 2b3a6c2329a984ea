"""SHA-256 for start-up-sensitive paths: CPython's built-in implementation when there is one.

``hashlib`` loads OpenSSL (about 3 ms of start-up); the built-in module is as fast for the
small inputs hashed here (the grammar, the catalogue files, finding keys). The module was
``_sha256`` up to Python 3.11 and is ``_sha2`` from 3.12; other interpreters use hashlib.
"""

from __future__ import annotations

__all__ = ["sha256"]

try:
    from _sha256 import sha256  # Python 3.11
except ImportError:  # pragma: no cover - other versions and interpreters
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        from hashlib import sha256
