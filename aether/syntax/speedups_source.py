"""The identity of the compiled parse loop's sources: one SHA-256 over ``_speedups.c`` and
the generated tables ``_tables.py`` it runs over.

The build (hatch_build.py) compiles it into the extension as ``_speedups.SOURCE_HASH``;
this package carries the hash of its own sources as a constant
(``_speedups_hash.SPEEDUPS_SOURCE``, written by tools/gen_speedups_hash.py; a test checks
it is current). :mod:`aether.syntax.lalr` compares the two strings at import, so an
extension built from other sources (``_speedups.c`` edited without a reinstall) is not
run. Standard library only: the build hook loads this file by its path, without the
package.
"""

from __future__ import annotations

import hashlib
import os

__all__ = ["SOURCES", "source_hash"]

SOURCES = ("_speedups.c", "_tables.py")


def source_hash(folder: str) -> str:
    """SHA-256 (hex) of the files :data:`SOURCES` in ``folder`` (aether/syntax), each
    named and sized in the hash, newlines read as ``\\n`` (a CRLF checkout is the same
    source). Raises OSError when one cannot be read."""
    h = hashlib.sha256()
    for name in SOURCES:
        with open(os.path.join(folder, name), "rb") as fh:
            data = fh.read().replace(b"\r\n", b"\n")
        h.update(b"%s\0%d\0" % (name.encode("ascii"), len(data)))
        h.update(data)
    return h.hexdigest()
