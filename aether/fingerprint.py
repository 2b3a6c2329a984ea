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

from .diagnostics import Finding
from .digest import sha256 as _sha256

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Iterable, Optional

_NOWHERE = ("", "")  # the anchor and content of a finding on no line of the text

__all__ = ["fingerprint", "legacy_fingerprint", "assign_fingerprints", "normalise_content"]


def normalise_content(line: str) -> str:
    """A source line as it takes part in fingerprints: comments kept, whitespace folded."""
    return " ".join(line.split())


def fingerprint(rule: str, path: str, anchor: str, content: str, occurrence: int) -> str:
    return _numbered(_prefix(rule, path, anchor, content), occurrence)


def _prefix(rule: str, path: str, anchor: str, content: str):
    """SHA-256 state after ``rule|path|anchor|content|``: the part occurrences share."""
    return _sha256(f"{rule}|{path}|{anchor}|{content}|".encode("utf-8"))


def _numbered(prefix, occurrence: int) -> str:
    h = prefix.copy()
    h.update(str(occurrence).encode("ascii"))
    return h.hexdigest()[:16]


def legacy_fingerprint(code_name: str, line, message: str) -> str:
    """The reference formula: ``sha256(code_name|line|first message line)[:16]``."""
    first = message.splitlines()[0] if message else ""
    key = f"{code_name}|{line if line is not None else ''}|{first}"
    return _sha256(key.encode("utf-8")).hexdigest()[:16]


def assign_fingerprints(path: str, findings: Iterable[Finding],
                        places: Optional[dict[int, tuple[str, str]]] = None) -> list[Finding]:
    """The findings (in source order) with both fingerprints filled in. ``places``: the
    ``(anchor, content)`` of each line (the checker's), given to every finding without a
    content (a finding on a line not in it gets neither); None: as they are."""
    out: list[Finding] = []
    seen: dict[tuple[str, str, str], int] = {}
    # The hash of the shared prefix is kept per key, so many findings on one very long line
    # hash that line once, not once each.
    prefixes: dict[tuple[str, str, str], object] = {}
    for f in sorted(findings, key=Finding.sort_key):
        anchor, content = f.anchor, f.content
        if places is not None and not content:
            anchor, content = places.get(f.line, _NOWHERE) if f.line else _NOWHERE
        key = (f.rule, anchor, content)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = _prefix(f.rule, path, anchor, content)
        # f.with_(fingerprint=..., legacy_fingerprint=...) written out: the generic copy
        # (changes by name, every field looked up by name) cost twice as much, for every
        # finding of every check (tests/test_migrate_speed_after.py holds them equal)
        out.append(Finding(f.rule, f.message, f.line, f.column, f.end_line, f.end_column,
                           f.hint, anchor, content, _numbered(prefix, occurrence),
                           legacy_fingerprint(f.code_name, f.line, f.message)))
    return out
