"""The migration report: Markdown for people (``--report``), JSON for tools (``--json``).

Both carry the same data: per file its state (transformed, unchanged, skipped, failed),
the reason and line for the last two, the rules applied (id, name, first line), notes for
review, parse/validation counts before and after, and the fingerprint remap (old -> new)
that ``aether baseline`` and suppression lists apply so a migration does not churn them.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional, Sequence, TextIO

from .engine import STATES, Outcome
from .rules import RULES

__all__ = ["summary", "write_json", "write_markdown", "REPORT_VERSION"]

REPORT_VERSION = 1


def summary(outcomes: Sequence[Outcome]) -> dict:
    counts = {s: 0 for s in STATES}
    rules: dict[str, int] = {}
    for o in outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
        if o.state == "transformed":
            for r in o.rules:
                rules[r] = rules.get(r, 0) + 1
    return {"files": len(outcomes), **counts,
            "rules": {r: {"name": RULES[r].name, "files": n} for r, n in sorted(rules.items())}}


def _remaps(outcomes: Sequence[Outcome]) -> tuple[dict, dict, list]:
    fp: dict[str, str] = {}
    legacy: dict[str, str] = {}
    resolved: list[str] = []
    for o in outcomes:
        if o.state != "transformed":
            continue
        fp.update(o.fingerprint_remap)
        legacy.update(o.legacy_fingerprint_remap)
        resolved.extend(o.resolved)
    return fp, legacy, sorted(set(resolved))


def to_json(outcomes: Sequence[Outcome], applied: bool, now: Optional[datetime] = None) -> dict:
    fp, legacy, resolved = _remaps(outcomes)
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return {
        "version": REPORT_VERSION,
        "timestamp": stamp,
        "applied": applied,
        "summary": summary(outcomes),
        "files": [o.to_dict() for o in outcomes],
        "fingerprint_remap": fp,
        "legacy_fingerprint_remap": legacy,
        "resolved_fingerprints": resolved,
    }


def write_json(outcomes: Sequence[Outcome], out: TextIO, applied: bool,
               now: Optional[datetime] = None) -> None:
    json.dump(to_json(outcomes, applied, now), out, indent=2, ensure_ascii=False,
              allow_nan=False)
    out.write("\n")


def _md(text: str) -> str:
    from ..output.text import markdown_text

    return markdown_text(text)


def write_markdown(outcomes: Sequence[Outcome], out: TextIO, applied: bool,
                   now: Optional[datetime] = None) -> None:
    s = summary(outcomes)
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    w = out.write
    w("# Migration report\n\n")
    w(f"- generated: {stamp}\n")
    w(f"- mode: {'applied (files rewritten)' if applied else 'dry run (nothing written)'}\n")
    w(f"- files: {s['files']}: {s['transformed']} transformed, {s['unchanged']} unchanged, "
      f"{s['skipped']} skipped, {s['failed']} failed\n\n")
    if s["rules"]:
        w("## Rules applied\n\n| rule | name | files |\n|---|---|---|\n")
        for r, info in s["rules"].items():
            w(f"| {r} | {info['name']} | {info['files']} |\n")
        w("\n")
    for state, title in (("failed", "Failed (left untouched)"),
                         ("skipped", "Skipped (not read or not written)"),
                         ("transformed", "Transformed"), ("unchanged", "Unchanged")):
        group = [o for o in outcomes if o.state == state]
        if not group:
            continue
        w(f"## {title}\n\n")
        if state in ("failed", "skipped"):
            w("| file | line | reason |\n|---|---|---|\n")
            for o in group:
                w(f"| {_md(o.path)} | {o.line or ''} | {_md(o.reason)} |\n")
            w("\n")
        elif state == "transformed":
            w("| file | rules | parse errors before → after | validation before → after "
              "(newly visible) | review |\n|---|---|---|---|---|\n")
            for o in group:
                rules = ", ".join(f"{r} (line {line})" for r, line in sorted(o.rules.items()))
                review = "; ".join(f"line {line}: {m}" for line, m in o.review)
                w(f"| {_md(o.path)} | {rules} | {o.before.get('parse_errors', 0)} → "
                  f"{o.after.get('parse_errors', 0)} | "
                  f"{o.before.get('validation_findings', 0)} → "
                  f"{o.after.get('validation_findings', 0)} ({o.newly_visible}) | "
                  f"{_md(review)} |\n")
            w("\n")
        else:
            for o in group:
                w(f"- {_md(o.path)}\n")
            w("\n")
    fp, legacy, resolved = _remaps(outcomes)
    w("## Fingerprint remap\n\n")
    w(f"{len(fp)} fingerprints change (and {len(legacy)} reference-style ones); "
      f"{len(resolved)} findings are resolved by the migration. The JSON report "
      "(`--json`) holds the old → new map for `aether baseline` and suppression lists.\n")
