"""Stable identities for findings: the default line-free fingerprint and the reference one.

Default (``aether/v1``): the first 16 hex digits of SHA-256 over
``rule | path | anchor | normalised content | occurrence``, where ``anchor`` names the
enclosing block, ``content`` is the finding's source line with whitespace collapsed, and
``occurrence`` numbers identical (rule, path, anchor, content) findings in source order.
No line number takes part, so inserting lines above, re-indenting or moving a block leaves
it unchanged, while two identical findings in one file stay two entries.

Legacy (reference scripts): the first 16 hex digits of SHA-256 over
``code_name | line | first line of message``; kept so old suppression files still match.
"""

from __future__ import annotations

from typing import Iterable

from .diagnostics import Finding

__all__ = ["fingerprint", "legacy_fingerprint", "assign_fingerprints", "normalise_content"]


def normalise_content(line: str) -> str:
    """A source line as it takes part in fingerprints: comments kept, whitespace folded."""
    return " ".join(line.split())


def fingerprint(rule: str, path: str, anchor: str, content: str, occurrence: int) -> str:
    import hashlib  # imported on first use: a clean file never needs it (start-up time)

    key = f"{rule}|{path}|{anchor}|{content}|{occurrence}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def legacy_fingerprint(code_name: str, line, message: str) -> str:
    """The reference formula: ``sha256(code_name|line|first message line)[:16]``."""
    import hashlib

    first = message.splitlines()[0] if message else ""
    key = f"{code_name}|{line if line is not None else ''}|{first}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def assign_fingerprints(path: str, findings: Iterable[Finding]) -> list[Finding]:
    """The findings (in source order) with both fingerprints filled in."""
    out: list[Finding] = []
    seen: dict[tuple[str, str, str], int] = {}
    prefixes: dict[tuple[str, str, str], object] = {}
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.rule, f.anchor, f.content)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        if occurrence == 0:
            value = fingerprint(f.rule, path, f.anchor, f.content, 0)
        else:
            # The same as fingerprint(...): the hash of the shared prefix is kept, so many
            # findings on one very long line hash that line once, not once each.
            base = prefixes.get(key)
            if base is None:
                import hashlib

                base = prefixes[key] = hashlib.sha256(
                    f"{f.rule}|{path}|{f.anchor}|{f.content}|".encode("utf-8"))
            h = base.copy()  # type: ignore[attr-defined]
            h.update(str(occurrence).encode("ascii"))
            value = h.hexdigest()[:16]
        out.append(f.with_(fingerprint=value,
                           legacy_fingerprint=legacy_fingerprint(f.code_name, f.line, f.message)))
    return out
