"""Inline suppressions: ``# aether: ignore[RULE, ...] -- reason`` on the line of a finding.

A suppression names rule ids (or rule names); a bare ``# aether: ignore`` covers every
rule on its line. Suppressed findings are kept (reported as suppressed, still in
artifacts); a suppression that matches nothing is itself a finding (AE319).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .codes import RULES, rule as lookup_rule
from .diagnostics import Finding

__all__ = ["Suppression", "find_suppressions", "apply_suppressions"]

_MARK = re.compile(r"#\s*aether:\s*ignore(?:\[([^\]]*)\])?(?:\s*--\s*(.*))?", re.I)


@dataclass(frozen=True)
class Suppression:
    line: int
    column: int
    end_column: int
    rules: Optional[frozenset[str]]  # None: every rule
    reason: str


def _comment_start(line: str) -> int:
    """Index of the ``#`` that starts a comment on ``line`` (quotes respected), or -1."""
    quote = ""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
        i += 1
    return -1


_WORD = re.compile("aether", re.I)


def _lines_naming_aether(text: str) -> Iterator[tuple[int, str]]:
    """``(number, line)`` of each line of ``text`` that holds "aether" in any case, in
    order, without a list of every line or an upper-cased copy of the text (for a large
    file either cost more memory than the file itself, while its tree was held)."""
    number, at = 1, 0  # line `number` starts at or before offset `at`
    for m in _WORD.finditer(text):
        pos = m.start()
        if pos < at:
            continue  # the line was yielded already
        number += text.count("\n", at, pos)
        end = text.find("\n", pos)
        if end < 0:
            end = len(text)
        yield number, text[text.rfind("\n", 0, pos) + 1:end]
        at = end


def find_suppressions(text: str) -> list[Suppression]:
    """Every suppression comment in ``text`` (normalised newlines)."""
    out: list[Suppression] = []
    for number, line in _lines_naming_aether(text):
        start = _comment_start(line)
        if start < 0:
            continue
        m = _MARK.search(line, start)
        if not m or line[start:m.start()].strip("# \t"):
            continue
        rules: Optional[frozenset[str]] = None
        if m.group(1) is not None:
            ids = set()
            for part in m.group(1).split(","):
                part = part.strip()
                if not part:
                    continue
                try:
                    ids.add(lookup_rule(part).id)
                except KeyError:
                    ids.add(part.upper())  # unknown ids never match; reported as unused
            rules = frozenset(ids)
        out.append(Suppression(number, m.start() + 1, m.end() + 1, rules,
                               (m.group(2) or "").strip()))
    return out


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression],
                       report_unused: bool = True) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (active, suppressed); add AE319 for unused suppressions."""
    if not suppressions:
        return findings, []
    by_line: dict[int, list[Suppression]] = {}
    for s in suppressions:
        by_line.setdefault(s.line, []).append(s)
    used: set[tuple[int, Optional[str]]] = set()
    blocked: dict[int, set[str]] = {}  # unsuppressible rules a comment tried to silence
    active: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        if f.line in by_line and f.rule.startswith(("AE0", "AE1", "AE9")) and any(
                s.rules is None or f.rule in s.rules for s in by_line[f.line]):
            blocked.setdefault(f.line, set()).add(f.rule)
        hit = None
        # A file that cannot be read or parsed is not silenced by a comment in it
        # (AE0xx, AE1xx, AE999); legacy-dialect rules (AE2xx) can be, deliberately.
        if f.line is not None and not f.rule.startswith(("AE0", "AE1", "AE9")):
            for s in by_line.get(f.line, ()):
                if s.rules is None or f.rule in s.rules:
                    hit = s
                    break
        if hit is None:
            active.append(f)
        else:
            suppressed.append(f)
            used.add((hit.line, None if hit.rules is None else f.rule))
    if report_unused:
        for s in suppressions:
            if s.line in blocked and not any(line == s.line for line, _ in used):
                rules = ", ".join(sorted(blocked[s.line]))
                active.append(Finding("AE319", f"{rules} cannot be suppressed: reading and "
                                      "syntax errors always count", s.line, s.column, s.line,
                                      s.end_column))
                continue
            if s.rules is None:
                if (s.line, None) not in used:
                    active.append(Finding("AE319", "this suppression matches no finding",
                                          s.line, s.column, s.line, s.end_column))
                continue
            for r in sorted(s.rules):
                if (s.line, r) not in used:
                    label = r if r in RULES else f"{r} (not a rule id)"
                    active.append(Finding("AE319", f"suppression of {label} matches no finding",
                                          s.line, s.column, s.line, s.end_column))
    return active, suppressed
