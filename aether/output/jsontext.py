"""The JSON text every command prints: one spelling (non-ASCII kept as is, two-space indent).

Each command used to call ``json.dumps`` with its own options, and some escaped non-ASCII
names (``"caf\\u00e9"``) where the others printed them (``"café"``). They all go through
:func:`json_text` (a document) or :func:`json_line` (one record per line) instead, which
write strict JSON: never ``NaN`` or ``Infinity``.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["json_text", "json_line"]


def json_text(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as an indented JSON document (no trailing newline), non-ASCII kept, and
    strict: a NaN or infinite float (not JSON) is written ``null``, never ``NaN`` or
    ``Infinity`` (as the runtime writes such a value of a run, see values.to_json).

    Raises TypeError for a value JSON cannot represent (a caller's bug: the commands print
    plain data), ValueError for a circular one."""
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys,
                          allow_nan=False)
    except ValueError:  # a non-finite float (or a cycle: _finite raises it again)
        return json.dumps(_finite(value, set()), indent=2, ensure_ascii=False,
                          sort_keys=sort_keys, allow_nan=False)


def json_line(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as JSON on one line (no trailing newline), non-ASCII kept, non-finite
    floats as ``null``; raises as :func:`json_text`."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value, set()), ensure_ascii=False, sort_keys=sort_keys,
                          allow_nan=False)


def _finite(value: Any, open_: set) -> Any:
    """A copy of ``value`` with every NaN or infinite float (a dict key too) as None: the
    rare document that has one, after the encoder refused it. ``open_``: the ids of the
    containers being copied (one met again inside itself is a cycle: ValueError, as
    json.dumps raises)."""
    import math  # only for such a document (an extension module: start-up time)

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dict, list, tuple)):
        key = id(value)
        if key in open_:
            raise ValueError("Circular reference detected")
        open_.add(key)
        if isinstance(value, dict):
            copy: Any = {_finite(k, open_) if isinstance(k, float) else k: _finite(v, open_)
                         for k, v in value.items()}
        else:
            copy = [_finite(v, open_) for v in value]
        open_.discard(key)
        return copy
    return value
