"""The JSON text every command prints: one spelling (non-ASCII kept as is, two-space indent).

Each command used to call ``json.dumps`` with its own options, and some escaped non-ASCII
names (``"caf\\u00e9"``) where the others printed them (``"café"``). They all go through
:func:`json_text` (a document) or :func:`json_line` (one record per line) instead.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["json_text", "json_line"]


def json_text(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as an indented JSON document (no trailing newline), non-ASCII kept.

    Raises TypeError for a value JSON cannot represent (a caller's bug: the commands print
    plain data), ValueError for a circular one."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys)


def json_line(value: Any, *, sort_keys: bool = False) -> str:
    """``value`` as JSON on one line (no trailing newline), non-ASCII kept; raises as
    :func:`json_text`."""
    return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)
