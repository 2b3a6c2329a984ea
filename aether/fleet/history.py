"""Classifier history: one timestamped snapshot per run, and the rolling ``trends.json``.

A history folder (default ``.aether/history`` in the project root) holds
``workflow_failures-<UTC time>.json`` snapshots (the classifier's document as written)
and ``trends.json``: the last :data:`KEEP` snapshots in the reference shape
``[{"file", "timestamp", "failed", "total"}]``, oldest first, each entry with
``failure_rate`` and ``by_category`` added (what the trend chart draws). ``trends.json``
is updated from its previous content; when it is missing or unusable it is rebuilt from
the snapshots themselves. Everything is written through :mod:`aether.fileio` (atomic,
never through a link).
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

__all__ = ["KEEP", "TRENDS_FILE", "DEFAULT_DIR", "HistoryError", "save_snapshot",
           "load_trends", "update_trends", "trend_entry", "record_run"]

KEEP = 20
TRENDS_FILE = "trends.json"
DEFAULT_DIR = os.path.join(".aether", "history")
_PREFIX = "workflow_failures-"


class HistoryError(Exception):
    """The history folder or trends file cannot be read or written (message says why)."""


def _snapshot_name(timestamp: str) -> str:
    """A file name that sorts in time order: ``workflow_failures-20240501T120000.123456Z``."""
    from datetime import datetime, timezone

    when = datetime.fromisoformat(timestamp).astimezone(timezone.utc)
    return f"{_PREFIX}{when.strftime('%Y%m%dT%H%M%S.%fZ')}.json"


def _make_dirs(path: str) -> None:
    """Create ``path`` and its missing parents, none of them through a link."""
    from ..fileio import WriteError, make_dir

    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current) or os.path.islink(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    try:
        for folder in reversed(missing):
            make_dir(folder)
    except WriteError as exc:
        raise HistoryError(str(exc)) from None


def _write(path: str, text: str) -> None:
    from ..fileio import WriteError, write_output

    try:
        write_output(path, text.encode("utf-8"))
    except WriteError as exc:
        raise HistoryError(str(exc)) from None


def trend_entry(doc: dict, file: str) -> dict:
    """The trends.json entry of one classifier document saved as ``file``."""
    return {"file": file, "timestamp": doc["timestamp"], "failed": doc["failed"],
            "total": doc["total"], "failure_rate": doc.get("failure_rate", 0.0),
            "by_category": dict(doc.get("by_category") or {})}


def save_snapshot(doc: dict, directory: str, text: Optional[str] = None) -> str:
    """Save ``doc`` (its JSON ``text`` when already made) as a new snapshot in
    ``directory``; the snapshot's file name. Raises HistoryError."""
    from ..baseline import dumps

    _make_dirs(directory)
    name = _snapshot_name(doc["timestamp"])
    _write(os.path.join(directory, name), text if text is not None else dumps(doc))
    return name


def _valid_entry(e: Any) -> bool:
    # everything the table and the HTML page read is checked here, so that a hand-edited
    # trends.json ends in a HistoryError (exit 26), not in a TypeError while drawing
    if not (isinstance(e, dict) and isinstance(e.get("file"), str)
            and isinstance(e.get("timestamp"), str)
            and all(type(e.get(k)) is int and e[k] >= 0 for k in ("failed", "total"))
            and e["failed"] <= e["total"]):
        return False
    rate = e.get("failure_rate", 0.0)
    if type(rate) not in (int, float) or not 0 <= rate <= 1:
        return False
    cats = e.get("by_category")
    return cats is None or (isinstance(cats, dict) and all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in cats.items()))


def load_trends(directory: str) -> list[dict]:
    """The entries of ``directory``/trends.json, oldest first ([] when there is none).
    Raises HistoryError for a file that is not a list of trend entries."""
    from ..jsondoc import DocumentError, read_json

    path = os.path.join(directory, TRENDS_FILE)
    if not os.path.lexists(path):  # a dangling link is an error, not "none"
        return []
    try:
        data = read_json(path, path)
    except DocumentError as exc:
        raise HistoryError(str(exc)) from None
    if not isinstance(data, list) or not all(_valid_entry(e) for e in data):
        raise HistoryError(f"{path} is not a trends file: expected a list of "
                           '{"file", "timestamp", "failed", "total"} objects')
    return data


def _rebuild(directory: str) -> list[dict]:
    """Trend entries read back from the snapshots in ``directory`` (unreadable ones are
    skipped: a trend is a view, not the record)."""
    from ..jsondoc import DocumentError, read_json

    names = sorted(n for n in os.listdir(directory)
                   if n.startswith(_PREFIX) and n.endswith(".json"))[-KEEP:]
    out = []
    for name in names:
        try:
            doc = read_json(os.path.join(directory, name), name)
            out.append(trend_entry(doc, name))
        except (DocumentError, KeyError, TypeError, AttributeError):
            continue
    return [e for e in out if _valid_entry(e)]


def update_trends(directory: str, entry: dict) -> list[dict]:
    """Append ``entry`` to ``directory``/trends.json, keep the last KEEP entries, write it
    atomically; the entries written. A missing or unusable trends file is rebuilt from the
    snapshots (which include the new one). Raises HistoryError when it cannot write."""
    try:
        entries = load_trends(directory)
        if not entries:
            raise HistoryError("empty")
        entries = [e for e in entries if e["file"] != entry["file"]] + [entry]
    except HistoryError:
        entries = _rebuild(directory)
        if not entries or entries[-1]["file"] != entry["file"]:
            entries = [e for e in entries if e["file"] != entry["file"]] + [entry]
    entries = entries[-KEEP:]
    _write(os.path.join(directory, TRENDS_FILE),
           "[\n" + ",\n".join(json.dumps(e, ensure_ascii=False, allow_nan=False)
                              for e in entries) + "\n]\n")
    return entries


def record_run(doc: dict, directory: str, text: Optional[str] = None) -> list[dict]:
    """Save ``doc`` as a snapshot and update trends.json; the trend entries."""
    name = save_snapshot(doc, directory, text)
    return update_trends(directory, trend_entry(doc, name))
