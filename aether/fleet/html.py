"""Self-contained HTML pages for people who would rather look than read: trends and stats.

One file each, inline CSS and inline SVG only: no script, no font, nothing fetched. Every
number drawn is also written as text (a table under each chart), so the page reads
without the pictures and the tests can find the numbers.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

__all__ = ["trends_page", "stats_page", "line_chart", "stacked_bars"]

_PALETTE = ("#d62728", "#ff7f0e", "#9467bd", "#1f77b4", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf", "#2ca02c")
_STYLE = ("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
          "padding:2px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
          "svg{background:#fafafa;border:1px solid #ddd}")


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
            f"<h1>{escape(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n")


def line_chart(values: Sequence[float], labels: Sequence[str], title: str,
               width: int = 640, height: int = 220, percent: bool = True) -> str:
    """An inline SVG line chart of ``values`` (a point and a label per value)."""
    pad = 40
    top = max(max(values, default=0.0), 1e-9)
    n = len(values)
    step = (width - 2 * pad) / max(n - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + i * step, height - pad - (v / top) * (height - 2 * pad)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
    shown = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:g}")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
             'stroke="#999"/>',
             f'<text x="4" y="{pad}" font-size="11">{shown(top)}</text>']
    if n:
        parts.append(f'<polyline fill="none" stroke="#d62728" stroke-width="2" '
                     f'points="{points}"/>')
    for i, v in enumerate(values):
        x, y = xy(i, v)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#d62728">'
                     f'<title>{escape(labels[i])}: {shown(v)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(rows: Sequence[dict], keys: Sequence[str], labels: Sequence[str],
                 title: str, width: int = 640, height: int = 220) -> str:
    """An inline SVG stacked bar chart: one bar per row, one colour per key."""
    pad = 40
    top = max((sum(r.get(k, 0) for k in keys) for r in rows), default=0) or 1
    n = max(len(rows), 1)
    slot = (width - 2 * pad) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20 * ((len(keys) + 3) // 4)}" '
             f'role="img" aria-label="{escape(title)}">', f'<title>{escape(title)}</title>']
    for i, row in enumerate(rows):
        base = height - pad
        for k_i, key in enumerate(keys):
            v = row.get(key, 0)
            if not v:
                continue
            h = v / top * (height - 2 * pad)
            base -= h
            parts.append(f'<rect x="{pad + i * slot + 1:.1f}" y="{base:.1f}" '
                         f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}" '
                         f'fill="{_PALETTE[k_i % len(_PALETTE)]}"><title>{escape(labels[i])} '
                         f'{escape(key)}: {v}</title></rect>')
    for k_i, key in enumerate(keys):  # legend
        x = pad + (k_i % 4) * 150
        y = height + 20 * (k_i // 4)
        parts.append(f'<rect x="{x}" y="{y - 10}" width="10" height="10" '
                     f'fill="{_PALETTE[k_i % len(_PALETTE)]}"/><text x="{x + 14}" y="{y}" '
                     f'font-size="11">{escape(key)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(head: Sequence[str], rows: Sequence[Sequence]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(str(h))}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>")
    return "\n".join(out) + "</table>"


def trends_page(entries: Sequence[dict]) -> str:
    """The trend page: the failure rate over time and the categories of each snapshot."""
    labels = [e["timestamp"][:19].replace("T", " ") for e in entries]
    rates = [e["failed"] / e["total"] if e["total"] else 0.0 for e in entries]
    keys: list[str] = []
    for e in entries:
        for k in e.get("by_category") or {}:
            if k not in keys:
                keys.append(k)
    rows = [e.get("by_category") or {} for e in entries]
    body = [f"<p>{len(entries)} classifier snapshots, oldest first.</p>",
            "<h2>Failure rate</h2>", line_chart(rates, labels, "failure rate over time"),
            "<h2>Categories</h2>", stacked_bars(rows, keys, labels, "failures by category"),
            "<h2>Numbers</h2>",
            _table(["snapshot", "failed", "total", "failure rate"] + keys,
                   [[labels[i], e["failed"], e["total"], f"{rates[i]:.1%}"]
                    + [(e.get("by_category") or {}).get(k, 0) for k in keys]
                    for i, e in enumerate(entries)])]
    return _page("aether classify: trends", body)


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "unavailable"
    if isinstance(value, float):
        return f"{value:.3f}{unit}"
    return f"{value}{unit}"


def stats_page(doc: dict) -> str:
    """The stats page: fleet figures, then per-workflow rows with a success-rate chart."""
    fleet = doc["fleet"]
    rows = doc["workflows"]
    body = [f"<p>Runs since {escape(str(doc.get('since') or 'the beginning'))}; "
            f"{escape(doc['source'])}.</p>", "<h2>Fleet</h2>",
            _table(["figure", "value"], [[k, _fmt(v)] for k, v in fleet.items()
                                         if not isinstance(v, dict)]),
            "<h2>Success rate per workflow</h2>",
            line_chart([r["success_rate"] or 0.0 for r in rows],
                       [r["workflow"] for r in rows], "success rate per workflow"),
            "<h2>Per workflow</h2>",
            _table(["workflow", "runs", "success rate", "denials", "approvals asked",
                    "approval wait p50 s", "tool p50 s", "tool p95 s", "retries",
                    "run p50 s"],
                   [[r["workflow"], r["runs"], _fmt(r["success_rate"]),
                     _fmt(r["policy_denials"]), _fmt(r["approvals_asked"]),
                     _fmt(r["approval_wait_median"]), _fmt(r["tool_latency_median"]),
                     _fmt(r["tool_latency_p95"]), r["retries"], _fmt(r["run_time_median"])]
                    for r in rows])]
    for note in doc.get("notes", []):
        body.append(f"<p><em>{escape(note)}</em></p>")
    return _page("aether stats", body)
