"""Apply a migration's fingerprint remap (old -> new) to suppression lists and baselines.

``aether migrate --json FILE`` records, for every finding that survives a migration, its
old and new fingerprints (default and reference formula). These functions rewrite the
artifacts that name findings by fingerprint, so a migration does not churn them: a
suppression list keeps every line byte for byte except the fingerprint word, and a
baseline document keeps its shape with the fingerprints replaced.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["Remap", "load_remap", "remap_suppression_text", "remap_baseline"]

_ENTRY = re.compile(r"^(\s*)([0-9a-fA-F]{16})(?=\s|$)")
_FINGERPRINT = re.compile(r"[0-9a-fA-F]{16}")


@dataclass(frozen=True)
class Remap:
    """Old -> new fingerprints (lower-case hex), default and reference formula together."""

    mapping: dict[str, str] = field(default_factory=dict)

    def get(self, fingerprint: str) -> str:
        return self.mapping.get(fingerprint.lower(), fingerprint)

    def __len__(self) -> int:
        return len(self.mapping)


def load_remap(source: Union[str, dict]) -> Remap:
    """The remap of a ``--json`` migration report (a path or the parsed document).

    Raises ValueError (:class:`aether.jsondoc.DocumentError` naming the file) for an
    unreadable or malformed report, naming the first entry that is not a fingerprint ->
    fingerprint pair (nothing is returned then).
    """
    if isinstance(source, str):
        from ..jsondoc import read_json

        source = read_json(source, f"migration report {source}")
    if not isinstance(source, dict) or "fingerprint_remap" not in source:
        raise ValueError("not an `aether migrate --json` report (no fingerprint_remap)")
    # Every entry is checked before any is used: a null or a list written into a
    # suppression list as `None` / `['x y']` would break every later run.
    mapping: dict[str, str] = {}
    for key in ("fingerprint_remap", "legacy_fingerprint_remap"):
        table = source.get(key)
        if table is None and key == "legacy_fingerprint_remap":
            continue  # optional
        if not isinstance(table, dict):
            raise ValueError(f"{key} must be an object of fingerprint -> fingerprint")
        for old, new in table.items():
            if not _FINGERPRINT.fullmatch(old):
                raise ValueError(f"{key}: key {_show(old)} is not a fingerprint "
                                 "(16 hex digits)")
            if not isinstance(new, str) or not _FINGERPRINT.fullmatch(new):
                raise ValueError(f"{key}[{old!r}]: {_show(new)} is not a fingerprint "
                                 "(16 hex digits)")
            mapping[old.lower()] = new.lower()
    return Remap(mapping)


def _show(value: Any) -> str:
    """A short JSON rendering of a bad value for a message."""
    text = json.dumps(value, ensure_ascii=True) if isinstance(
        value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def remap_suppression_text(text: str, remap: Remap) -> tuple[str, int]:
    """A suppression file's text with remapped fingerprints, and how many changed.

    Only the leading fingerprint word of an entry line changes; comments, owners,
    expiry dates, spacing and newlines are kept.
    """
    from ..suppressions import lines_of  # the lines the list's reader sees, no others

    changed = 0
    out = []
    for line in lines_of(text, keepends=True):
        m = _ENTRY.match(line)
        if m:
            new = remap.get(m.group(2))
            if new != m.group(2).lower():
                line = line[:m.start(2)] + new + line[m.end(2):]
                changed += 1
        out.append(line)
    return "".join(out), changed


def remap_baseline(doc: dict[str, Any], remap: Remap) -> tuple[dict[str, Any], int]:
    """A baseline document (``aether baseline``) with remapped fingerprints (a new dict)."""
    changed = 0

    def fix(item: Any) -> Any:
        nonlocal changed
        if isinstance(item, dict):
            out = {}
            for k, v in item.items():
                if k in ("fingerprint", "legacy_fingerprint", "entry") and isinstance(v, str):
                    new = remap.get(v)
                    if new != v.lower():
                        changed += 1
                        v = new
                    out[k] = v
                else:
                    out[k] = fix(v)
            return out
        if isinstance(item, list):
            return [fix(x) for x in item]
        return item

    return fix(doc), changed
