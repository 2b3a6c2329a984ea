"""The catalogue as rows for `aether tools list` / `show`: builtins, project tools and
declared plugin members, filtered by effect and risk, as text or JSON-ready dicts."""

from __future__ import annotations

from typing import Optional

from ..semantics.catalogue import Builtin, Catalogue

__all__ = ["entries", "find", "entry_dict", "format_list", "format_show", "shown_name"]


def entry_dict(b: Builtin, kind: str) -> dict:
    """One callable as a JSON object (``kind``: builtin, tool or plugin)."""
    out = {"name": b.name, "kind": kind, "params": list(b.params), "effect": b.effect,
           "risk": b.risk, "capabilities": list(b.capabilities), "summary": b.summary,
           "source": b.source}
    if b.binding:
        out["runtime"] = {k: v for k, v in b.binding}
    return out


def entries(cat: Catalogue, effect: Optional[str] = None, risk: Optional[str] = None
            ) -> list[dict]:
    """Every callable of ``cat`` (builtins, tools, plugin members) with this effect and
    risk (None: any), sorted by name."""
    rows = [entry_dict(b, "builtin") for b in cat.builtins.values()]
    rows += [entry_dict(t, "tool") for t in cat.tools.values()]
    for p in cat.plugins.values():
        for fn in p.functions.values():
            row = entry_dict(fn, "plugin")
            row["name"] = f"{p.name}.{fn.name}"
            rows.append(row)
    return sorted((r for r in rows if (effect is None or r["effect"] == effect)
                   and (risk is None or r["risk"] == risk)), key=lambda r: r["name"])


def find(cat: Catalogue, name: str) -> Optional[dict]:
    """The entry called ``name`` (``plugin.fn`` for a plugin member), or an input as
    ``{"name", "kind": "input", "type", ...}``; None when the catalogue has neither."""
    for row in entries(cat):
        if row["name"] == name:
            return row
    if name in cat.inputs:
        return {"name": name, "kind": "input", "type": cat.inputs[name]}
    return None


def shown_name(name: str, limit: int = 80) -> str:
    """``name`` as asked for (`aether tools show NAME`) for a one-line message: invisible
    characters as placeholders, at most ``limit`` characters."""
    from ..output.text import printable

    cut = name if len(name) <= limit else name[:limit] + f"... ({len(name)} characters)"
    return printable(cut)


def format_list(rows: list[dict]) -> str:
    """Aligned text: name, kind, effect, risk, signature."""
    if not rows:
        return "no tools match\n"
    width = max(len(r["name"]) for r in rows)
    lines = [f"{r['name']:<{width}}  {r['kind']:<7}  {r['effect']:<13}  {r['risk']:<10}  "
             f"({', '.join(r['params'])})" for r in rows]
    counts = {k: sum(1 for r in rows if r["kind"] == k) for k in ("builtin", "tool", "plugin")}
    lines.append(f"{len(rows)} entries: {counts['builtin']} builtins, {counts['tool']} project "
                 f"tools, {counts['plugin']} plugin functions")
    return _printable_lines(lines)


def _printable_lines(lines: list[str]) -> str:
    """The lines as text that cannot drive a terminal: a catalogue's summary (or a
    binding's command) is free text from the repository, and an escape sequence in it
    would be obeyed by the terminal of whoever lists the catalogue."""
    from ..output.text import printable

    return "".join(printable(line) + "\n" for line in lines)


def format_show(row: dict) -> str:
    """Every field of one entry, one per line."""
    if row["kind"] == "input":
        return _printable_lines([row["name"], "  kind: input (supplied by the host)",
                                 f"  type: {row['type']}"])
    lines = [f"{row['name']}({', '.join(row['params'])})", f"  kind: {row['kind']}",
             f"  effect: {row['effect']}", f"  risk: {row['risk']}",
             f"  capabilities: {', '.join(row['capabilities']) or '-'}"]
    if row["summary"]:  # a multi-line summary keeps its lines, indented
        first, *rest = row["summary"].splitlines() or [""]
        lines.append(f"  summary: {first}")
        lines += [f"           {more}" for more in rest]
    lines.append(f"  declared in: {row['source'] or 'stdlib/builtins.json'}")
    for k, v in (row.get("runtime") or {}).items():
        lines.append(f"  {k}: {v}")
    return _printable_lines(lines)
