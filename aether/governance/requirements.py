"""The workflow's ``require:`` block checked against what a governed run has, before step one.

* ``capabilities``: each must be granted by the policy file's ``capabilities`` list (globs
  such as ``"memory.*"``). A policy without that key grants every capability, so without a
  policy file only plugins are checked. "Missing" therefore means "not granted to this
  run", decided before anything runs, not discovered at the first call that needs it.
* ``plugins``: each ``"name"`` or ``"name>=1.0,<2"`` must be a plugin the catalogue
  declares, and when a constraint is given the declared ``version`` must satisfy it
  (release numbers compared numerically; ``==1.*`` and ``~=1.2`` as in PEP 440). The
  checker has already validated the notation (AE311).
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from .policy import Policy, glob_match

__all__ = ["check_requirements", "satisfies", "parse_requirement"]

_REQ = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(.*)$")
_SPEC = re.compile(r"^\s*(===|==|!=|~=|>=|<=|>|<)\s*([0-9][0-9A-Za-z.*+!\-]*)\s*$")


def parse_requirement(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(name, [(operator, version)]) of a requirement; ValueError when malformed."""
    m = _REQ.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a requirement")
    specs = []
    rest = m.group(2).strip()
    if rest:
        for part in rest.split(","):
            s = _SPEC.match(part)
            if not s:
                raise ValueError(f"'{part.strip()}' is not a version constraint")
            specs.append((s.group(1), s.group(2)))
    return m.group(1), specs


def _release(version: str) -> tuple[int, ...]:
    nums = []
    for part in version.split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        nums.append(int(m.group(0)))
    return tuple(nums)


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    return (a > b) - (a < b)


def satisfies(version: str, op: str, spec: str) -> bool:
    """Whether ``version`` satisfies ``op spec`` (release segments only)."""
    v = _release(version)
    if spec.endswith(".*") and op in ("==", "!="):
        prefix = _release(spec[:-2])
        same = v[:len(prefix)] == prefix
        return same if op == "==" else not same
    s = _release(spec)
    if op == "===":
        return version == spec
    if op == "~=":
        return _cmp(v, s) >= 0 and v[:max(1, len(s) - 1)] == s[:max(1, len(s) - 1)]
    c = _cmp(v, s)
    return {"==": c == 0, "!=": c != 0, ">=": c >= 0, "<=": c <= 0, ">": c > 0,
            "<": c < 0}[op]


def check_requirements(policy: Policy, require: Mapping[str, Any], catalogue: Any
                       ) -> list[str]:
    """What the run lacks of ``require`` (one message each; empty when nothing is missing)."""
    problems: list[str] = []
    caps = require.get("capabilities") or ()
    if isinstance(caps, str):
        caps = (caps,)
    if policy.capabilities is not None:
        for cap in caps:
            if isinstance(cap, str) and not any(glob_match(p, cap) for p in
                                                policy.capabilities):
                problems.append(f"capability '{cap}' is required but the policy does not "
                                "grant it (policy file: capabilities)")
    plugins = require.get("plugins") or ()
    if isinstance(plugins, str):
        plugins = (plugins,)
    declared = getattr(catalogue, "plugins", {}) or {}
    for text in plugins:
        if not isinstance(text, str):
            continue
        try:
            name, specs = parse_requirement(text)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        plugin = declared.get(name)
        if plugin is None:
            problems.append(f"plugin '{name}' is required but the catalogue declares none "
                            "(aether-tools.toml [plugins])")
            continue
        version: Optional[str] = getattr(plugin, "version", None)
        if specs and not version:
            problems.append(f"plugin '{name}' must satisfy '{text}' but declares no version")
            continue
        for op, spec in specs:
            if not satisfies(version, op, spec):
                problems.append(f"plugin '{name}' {version} does not satisfy {op}{spec}")
    return problems
