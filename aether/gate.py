"""The regression gate: compare a new baseline with a reference one and decide pass or fail.

Two checks, chosen by ``mode`` (default ``both``):

- counts (the reference rule): for each targeted status (PARSE_ERROR, VALIDATION_ERROR by
  default) the number of failing files may not grow by more than ``abs_threshold`` AND
  ``rel_threshold``;
- fingerprints: no finding may be new, i.e. no fingerprint may occur more often in the new
  baseline than in the reference (a multiset comparison, so two identical findings are two
  and a PR that fixes one finding and adds another fails even if counts are unchanged).

Findings matched by the suppression list are left out of both checks; an expired list
entry fails the gate. A reference-style baseline (no fingerprints) is compared by counts
only. The result object renders the reference JSON (plus new and fixed findings) and a
Markdown summary for a pull-request comment.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterator, Optional, Sequence

from .baseline import Baseline, utc_now
from .codes import Status
from .diagnostics import STATUS_PRECEDENCE
from .suppressions import Entry, SuppressionList

__all__ = ["DEFAULT_CODES", "MODES", "GateOptions", "GateResult", "GateInputError",
           "run_gate", "to_markdown", "dumps"]

DEFAULT_CODES = ("PARSE_ERROR", "VALIDATION_ERROR")
MODES = ("counts", "fingerprints", "both")

_RANK = {s.name: i for i, s in enumerate(STATUS_PRECEDENCE)}


class GateInputError(Exception):
    """The inputs cannot be compared as asked (e.g. fingerprints of a counts-only baseline)."""


@dataclass(frozen=True)
class GateOptions:
    abs_threshold: float = 5
    rel_threshold: float = 0.10
    codes: tuple[str, ...] = DEFAULT_CODES
    mode: str = "both"


@dataclass
class GateResult:
    ok: bool
    timestamp: str
    new_counts: dict[str, int]
    ref_counts: dict[str, int]
    options: GateOptions
    regressions: list[dict[str, Any]]
    fingerprints_compared: bool
    new_findings: list[dict[str, Any]] = field(default_factory=list)
    fixed_findings: list[dict[str, Any]] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)
    expired_suppressions: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Why the gate failed, one short line each (empty when it passed)."""
        out = []
        if self.regressions:
            out.append("counts regressed: " + ", ".join(
                f"{r['code']} {r['old']} -> {r['new']}" for r in self.regressions))
        if self.new_findings:
            n = len(self.new_findings)
            out.append(f"{n} new finding{'s' if n != 1 else ''}")
        if self.expired_suppressions:
            n = len(self.expired_suppressions)
            out.append(f"{n} expired suppression{'s' if n != 1 else ''}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The reference gate JSON (first seven keys) followed by this tool's additions."""
        return {
            "ok": self.ok,
            "timestamp": self.timestamp,
            "new_counts": self.new_counts,
            "ref_counts": self.ref_counts,
            "abs_threshold": self.options.abs_threshold,
            "rel_threshold": self.options.rel_threshold,
            "regressions": self.regressions,
            "mode": self.options.mode,
            "codes": list(self.options.codes),
            "fingerprints_compared": self.fingerprints_compared,
            "reasons": self.reasons,
            "new_findings": self.new_findings,
            "fixed_findings": self.fixed_findings,
            "suppressed": self.suppressed,
            "expired_suppressions": [e.to_dict() for e in self.expired_suppressions],
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- helpers

def _file_status(findings: Sequence[dict[str, Any]]) -> str:
    """The status name a file's active findings give it (as diagnostics.status_of does)."""
    best = None
    best_rank = len(_RANK)
    for f in findings:
        rank = _RANK.get(f["code_name"], len(_RANK) - 1)
        if rank < best_rank:
            best, best_rank = f["code_name"], rank
    return best or Status.SUCCESS.name


def _active(baseline: Baseline, suppressions: Optional[SuppressionList],
            today: date, tally: Counter) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(path, active findings) per file, as the gate's suppression list decides.

    Findings a baseline recorded as suppressed by a list are judged again: the list the
    gate reads today is the authority (an entry removed or expired since the baseline was
    built suppresses nothing). Inline ``# aether: ignore`` suppressions stand.
    """
    for entry in baseline.files:
        findings = entry["findings"]
        relisted = [f for f in entry.get("suppressed", ()) if f.get("by") == "list"]
        if relisted:
            findings = sorted(findings + relisted,
                              key=lambda f: (f.get("line") or 0, f.get("column") or 0))
        if suppressions and findings:
            kept = []
            for f in findings:
                if suppressions.match(f["fingerprint"], f.get("legacy_fingerprint", ""), today):
                    tally["list"] += 1
                else:
                    kept.append(f)
            findings = kept
        yield entry["path"], findings


def _counts(baseline: Baseline, files: Optional[list[tuple[str, list]]],
            codes: Sequence[str]) -> dict[str, int]:
    if files is None:  # reference-style: trust by_code
        return {c: int(baseline.by_code.get(c, 0)) for c in codes}
    counts = Counter(_file_status(findings) for _, findings in files if findings)
    return {c: counts.get(c, 0) for c in codes}


def _regressions(new: dict[str, int], ref: dict[str, int],
                 options: GateOptions) -> list[dict[str, Any]]:
    out = []
    for code in options.codes:
        old, now = ref.get(code, 0), new.get(code, 0)
        delta = now - old
        if delta <= 0:
            continue
        # Growth from zero is infinitely relative; JSON has no infinity, so null.
        relative = delta / old if old else None
        if delta > options.abs_threshold and (relative is None
                                              or relative > options.rel_threshold):
            out.append({"code": code, "old": old, "new": now, "delta": delta,
                        "relative_increase": round(relative, 4) if relative is not None
                        else None})
    return out


def _shown(path: str, f: dict[str, Any]) -> dict[str, Any]:
    return {"path": path, "line": f.get("line"), "column": f.get("column"),
            "rule": f.get("rule"), "code_name": f["code_name"], "message": f.get("message", ""),
            "fingerprint": f["fingerprint"]}


def _difference(a: list[tuple[str, list]], b_counts: Counter) -> list[dict[str, Any]]:
    """Findings of ``a`` left over once each fingerprint of ``b`` has cancelled one of them."""
    remaining = Counter(b_counts)
    out = []
    for path, findings in a:
        for f in findings:
            fp = f["fingerprint"]
            if remaining[fp] > 0:
                remaining[fp] -= 1
            else:
                out.append(_shown(path, f))
    return out


# --------------------------------------------------------------------------- the gate

def run_gate(new: Baseline, ref: Baseline, options: GateOptions = GateOptions(),
             suppressions: Optional[SuppressionList] = None, today: Optional[date] = None,
             timestamp: Optional[str] = None) -> GateResult:
    """Compare ``new`` with ``ref``.

    Raises GateInputError when ``options.mode`` is ``fingerprints`` but either baseline has
    no (comparable) fingerprints, the mode or codes are not known, or a threshold is not a
    finite number >= 0.
    """
    if options.mode not in MODES:
        raise GateInputError(f"unknown mode {options.mode!r} (choose from {', '.join(MODES)})")
    for name, value in (("abs-threshold", options.abs_threshold),
                        ("rel-threshold", options.rel_threshold)):
        # NaN compares false with everything (the gate would pass whatever grew) and has
        # no JSON spelling; infinity would disable the rule in silence.
        if not math.isfinite(value) or value < 0:
            raise GateInputError(f"--{name} {value!r} is not a finite number >= 0")
    unknown = [c for c in options.codes if c not in Status.__members__]
    if unknown:
        raise GateInputError(f"unknown status code name(s): {', '.join(unknown)} (known: "
                             f"{', '.join(s.name for s in Status if s is not Status.SUCCESS)})")
    today = today or datetime.now(timezone.utc).date()
    notes: list[str] = []
    comparable = new.fingerprinted and ref.fingerprinted and new.scheme == ref.scheme
    if not comparable:
        if not (new.fingerprinted and ref.fingerprinted):
            plain = [b.path for b in (new, ref) if not b.fingerprinted]
            why = f"{' and '.join(plain)} has no fingerprints (reference-style baseline)"
        else:
            why = (f"fingerprint schemes differ ({new.scheme} vs {ref.scheme}); rebuild the "
                   "reference with this aether, e.g. `aether baseline --git-ref`")
        if options.mode == "fingerprints":
            raise GateInputError(f"cannot compare fingerprints: {why}")
        if options.mode == "both":
            notes.append(f"compared by counts only: {why}")

    for key, what in (("rules", "rule selection"), ("version", "aether version"),
                      ("grammar_hash", "grammar")):
        a, b = new.data.get("_meta", {}).get(key), ref.data.get("_meta", {}).get(key)
        if a is not None and b is not None and a != b:
            notes.append(f"the baselines were built with a different {what}; differences "
                         "may come from that rather than from the change")

    tally: Counter = Counter()
    new_files = list(_active(new, suppressions, today, tally)) if new.fingerprinted else None
    ref_tally: Counter = Counter()
    ref_files = list(_active(ref, suppressions, today, ref_tally)) if ref.fingerprinted \
        else None

    new_counts = _counts(new, new_files, options.codes)
    ref_counts = _counts(ref, ref_files, options.codes)
    regressions = _regressions(new_counts, ref_counts, options) \
        if options.mode in ("counts", "both") else []

    new_findings: list[dict[str, Any]] = []
    fixed_findings: list[dict[str, Any]] = []
    use_fps = comparable and options.mode in ("fingerprints", "both")
    if use_fps:
        assert new_files is not None and ref_files is not None
        ref_fps = Counter(f["fingerprint"] for _, fs in ref_files for f in fs)
        new_findings = _difference(new_files, ref_fps)
        # Fixed means gone: a finding that is merely suppressed now is still present.
        present = Counter(f["fingerprint"] for e in new.files
                          for key in ("findings", "suppressed") for f in e.get(key, ()))
        fixed_findings = _difference(ref_files, present)

    expired = suppressions.expired(today) if suppressions else []
    suppressed = {"list": tally["list"],
                  "inline": sum(1 for e in new.files for f in e.get("suppressed", ())
                                if f.get("by") == "inline")} if new.fingerprinted else {}
    ok = not regressions and not new_findings and not expired
    return GateResult(ok, timestamp or utc_now(), new_counts, ref_counts, options,
                      regressions, use_fps, new_findings, fixed_findings, suppressed,
                      expired, notes)


_SHOWN_KEYS = ("path", "line", "column", "rule", "code_name", "message", "fingerprint")


def _encode_shown(f: dict[str, Any], encode) -> str:
    """One listed finding as JSON; a direct layout for the usual shape (3x the encoder)."""
    if len(f) == len(_SHOWN_KEYS):
        try:
            path, line, column, rule, code, message, fp = (f[k] for k in _SHOWN_KEYS)
        except KeyError:
            return encode(f)
        if (type(line) is int or line is None) and (type(column) is int or column is None) \
                and all(type(v) is str for v in (path, rule, code, message, fp)):
            es = json.encoder.encode_basestring
            return (f'{{"path": {es(path)}, "line": {"null" if line is None else line}, '
                    f'"column": {"null" if column is None else column}, "rule": {es(rule)}, '
                    f'"code_name": {es(code)}, "message": {es(message)}, '
                    f'"fingerprint": {es(fp)}}}')
    return encode(f)


def dumps(result: GateResult) -> str:
    """The gate JSON: one key per line, each listed finding on one line.

    Laid out by hand rather than with ``indent=2`` so that a gate listing 200,000 findings
    stays well inside its time budget (bench/bench_gate.py).
    """
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    parts = []
    for key, value in result.to_dict().items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            text = "[\n    " + ",\n    ".join(
                _encode_shown(v, encode) if key.endswith("_findings") else encode(v)
                for v in value) + "\n  ]"
        else:
            text = encode(value)
        parts.append(f"  {encode(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


# --------------------------------------------------------------------------- markdown

_MD_LIMIT = 50


def _md_escape(text: str) -> str:
    from .output.text import markdown_text

    return markdown_text(text or "").replace("`", "'")


def _md_findings(title: str, items: list[dict[str, Any]]) -> list[str]:
    lines = [f"### {title} ({len(items)})", ""]
    for f in items[:_MD_LIMIT]:
        where = f"{f['path']}:{f['line']}" if f.get("line") else f["path"]
        # the rule, like the path and message, is the baseline's text: a pull request's
        lines.append(f"- `{_md_escape(where)}` {_md_escape(f.get('rule') or f['code_name'])}: "
                     f"{_md_escape(f.get('message', ''))}")
    if len(items) > _MD_LIMIT:
        lines.append(f"- ... and {len(items) - _MD_LIMIT} more (see the JSON output)")
    lines.append("")
    return lines


def to_markdown(result: GateResult) -> str:
    """A summary of the gate for a pull-request comment."""
    verdict = "passed" if result.ok else "FAILED"
    lines = [f"## aether gate: {verdict}", ""]
    if result.reasons:
        lines += [f"- {r}" for r in result.reasons] + [""]
    regressed = {r["code"] for r in result.regressions}
    lines += ["| code | reference | new | change | regressed |",
              "|---|---:|---:|---:|:---:|"]
    for code in result.options.codes:
        old, new = result.ref_counts.get(code, 0), result.new_counts.get(code, 0)
        lines.append(f"| {code} | {old} | {new} | {new - old:+d} | "
                     f"{'yes' if code in regressed else 'no'} |")
    lines.append("")
    lines.append(f"Thresholds: a count regresses when it grows by more than "
                 f"{result.options.abs_threshold:g} files and more than "
                 f"{result.options.rel_threshold:.0%}. Mode: {result.options.mode}.")
    lines.append("")
    if result.fingerprints_compared:
        lines += _md_findings("New findings", result.new_findings)
        lines += _md_findings("Fixed findings", result.fixed_findings)
    if result.expired_suppressions:
        lines += [f"### Expired suppressions ({len(result.expired_suppressions)})", ""]
        for e in result.expired_suppressions:
            owner = f" (owner {_md_escape(e.owner)})" if e.owner else ""  # the list's text
            lines.append(f"- `{e.fingerprint}` expired {e.expires}{owner}, "
                         f"{_md_escape(e.file)}:{e.line}")
        lines.append("")
    if result.suppressed.get("list"):
        lines += [f"{result.suppressed['list']} finding(s) suppressed by the suppression "
                  "list are not counted.", ""]
    for note in result.notes:
        lines += [f"> {note}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
