"""The governance policy file: read a TOML policy once into an immutable :class:`Policy`.

A policy is data (as in OPA and Cedar): who may act, which tools, how risky each tool is,
what needs a human approval and declarative rules on parameters. :func:`load_policy` reads
and checks a file (unknown keys warn, a wrong type is a :class:`PolicyError` naming the
key, status IO_ERROR 26 like every unusable configuration file); :func:`default_policy` is
what applies without a file (strict over the catalogue's risk tiers: ``high`` and
``unreviewed`` tools need an approval). Every policy carries ``digest``: the SHA-256 of
its canonical content (comments and key order do not change it), recorded with every
decision it makes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Optional

from ..jsondoc import canonical_json  # noqa: F401 - re-exported: governance imports it here

__all__ = ["Policy", "PolicyRule", "ApprovalPolicy", "PolicyError", "load_policy",
           "parse_policy", "default_policy", "MODES", "EFFECTS", "RISKS", "canonical_json",
           "parse_duration", "glob_match"]

MODES = ("strict", "permissive", "evidence-first", "dual-channel")
EFFECTS = ("deny", "require_approval", "allow")
RISKS = ("low", "medium", "high", "unreviewed")
DEFAULT_EXPIRY = 24 * 3600.0




def glob_match(pattern: str, name: str) -> bool:
    """Shell-style glob match (``*``, ``?``, ``[...]``), case-sensitive."""
    return fnmatch.fnmatchcase(name, pattern)


_DURATION = re.compile(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*")


#: The longest approval validity a policy may set (ten years): longer is surely a typo, and
#: every expiry stays a finite time that JSON and dates can hold ("999999999999h" and
#: TOML's ``inf`` were accepted, and an infinite one crashed the policy digest).
MAX_EXPIRY = 3650 * 86400.0


def parse_duration(value: Any) -> Optional[float]:
    """Seconds in ``value`` (a number of seconds or text such as ``24h``); None if not one
    (negative, not finite, or not a number or duration text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value) if abs(value) < 1e300 else float("inf")
    elif isinstance(value, str):
        m = _DURATION.fullmatch(value)
        if not m:
            return None
        scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}[m.group(2)]
        seconds = float(m.group(1).replace("_", "")) * scale
    else:
        return None
    return seconds if 0 <= seconds < float("inf") else None


class PolicyError(Exception):
    """A policy file that cannot be used; ``key`` names the offending key (dotted)."""

    status = 26
    rule = "AE604"

    def __init__(self, message: str, key: Optional[str] = None):
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass(frozen=True)
class PolicyRule:
    """One ``[[rules]]`` entry: on ``tool`` (a glob) whose parameters match every ``when``
    pair (a string value is a glob over the parameter's text form, any other value must be
    equal), the ``effect`` applies. ``id`` names it in decisions (``rules[N]`` by default).
    """

    id: str
    tool: str
    when: tuple[tuple[str, Any], ...]
    effect: str
    reason: str = ""

    def matches(self, tool: str, params: Mapping[str, Any]) -> bool:
        """Whether this rule applies to a call of ``tool`` with ``params``."""
        if not glob_match(self.tool, tool):
            return False
        for key, want in self.when:
            if key not in params:
                return False
            got = params[key]
            if isinstance(want, str):
                text = got if isinstance(got, str) else json.dumps(got, sort_keys=True)
                if not glob_match(want, text):
                    return False
            elif got != want or type(got) is not type(want):
                return False
        return True

    def to_json(self) -> dict:
        return {"id": self.id, "tool": self.tool, "when": dict(self.when),
                "effect": self.effect, "reason": self.reason}


@dataclass(frozen=True)
class ApprovalPolicy:
    """The ``[approval]`` table.

    ``approvers`` None means anyone but the requester may approve; ``per_tier`` maps a risk
    tier to its own approver list (it wins over ``approvers`` for that tier).
    """

    required_for: tuple[str, ...] = ("high", "unreviewed")
    expires_after: float = DEFAULT_EXPIRY
    approvers: Optional[tuple[str, ...]] = None
    per_tier: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    require_signed: bool = False

    def approvers_for(self, tier: str) -> Optional[tuple[str, ...]]:
        """Who may approve a request of risk ``tier`` (None: anyone but the requester)."""
        if tier in self.per_tier:
            return self.per_tier[tier]
        return self.approvers

    def to_json(self) -> dict:
        return {"required_for": list(self.required_for), "expires_after": self.expires_after,
                "approvers": None if self.approvers is None else list(self.approvers),
                "per_tier": {k: list(v) for k, v in sorted(self.per_tier.items())},
                "require_signed": self.require_signed}


@dataclass(frozen=True)
class Policy:
    """An immutable policy. ``None`` for a list means "no restriction" (``[]`` allows none).

    ``capabilities`` is the run's grant: the capabilities a workflow may ``require:`` and
    its tools may use (globs such as ``"memory.*"``; None grants every capability).
    """

    mode: str = "strict"
    allowed_actors: Optional[tuple[str, ...]] = None
    allowed_tools: Optional[tuple[str, ...]] = None
    max_intent_length: Optional[int] = None
    risk: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    approval: ApprovalPolicy = ApprovalPolicy()
    rules: tuple[PolicyRule, ...] = ()
    capabilities: Optional[tuple[str, ...]] = None
    source: Optional[str] = None
    warnings: tuple[str, ...] = field(default=(), compare=False)
    digest: str = field(default="", compare=False)

    def __post_init__(self):
        if not self.digest:
            object.__setattr__(self, "digest", hashlib.sha256(
                canonical_json(self.content())).hexdigest())

    def content(self) -> dict:
        """What the policy decides with, as JSON (the digest is taken over this)."""
        def opt(v):
            return None if v is None else list(v)
        return {"mode": self.mode, "allowed_actors": opt(self.allowed_actors),
                "allowed_tools": opt(self.allowed_tools),
                "max_intent_length": self.max_intent_length,
                "risk": dict(sorted(self.risk.items())), "approval": self.approval.to_json(),
                "rules": [r.to_json() for r in self.rules],
                "capabilities": opt(self.capabilities)}

    def tier(self, tool: str, catalogue_risk: str) -> str:
        """The risk tier of ``tool``: the policy's ``[risk]`` entry, else the catalogue's."""
        return self.risk.get(tool, catalogue_risk)


def default_policy() -> Policy:
    """The policy without a file: strict, every tool allowed, ``high`` and ``unreviewed``
    tools wait for an approval (anyone but the requester may give it, valid 24h)."""
    return Policy(source=None)


# ---------------------------------------------------------------------------- loading
_TOP = {"mode", "allowed_actors", "allowed_tools", "max_intent_length", "risk", "approval",
        "rules", "capabilities"}
_APPROVAL = {"required_for", "expires_after", "approvers", "require_signed"}
_RULE = {"id", "tool", "when", "effect", "reason"}


def load_policy(path: str) -> Policy:
    """Read and check the policy file at ``path``.

    Returns the Policy (its ``warnings`` name unknown keys). Raises PolicyError for an
    unreadable file, bad TOML or a value of the wrong type or range (naming the key).
    """
    from ..config import toml_reader
    from ..readfile import DocumentReadError, read_document

    try:  # a regular file only: a FIFO would wait forever, /dev/zero never end
        raw = read_document(path)
    except DocumentReadError as exc:
        raise PolicyError(f"{path}: cannot read the policy file: it {exc}")
    try:
        data = toml_reader().loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text (byte {exc.start})")
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise PolicyError(f"{path}: not valid TOML: {exc}")
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise PolicyError(f"{path}: nested too deeply to be a policy file")
    return parse_policy(data, path)


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{key} must be a list of strings", key)
    return tuple(value)


def _choices(value: Any, key: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise PolicyError(f"{key} must be one of {', '.join(choices)} (got {value!r})", key)
    return value


def parse_policy(data: Mapping[str, Any], source: Optional[str] = None) -> Policy:
    """A Policy from the parsed TOML ``data`` (see :func:`load_policy`)."""
    where = f"{source}: " if source else ""
    warnings: list[str] = []

    def unknown(keys, known, prefix):
        for k in sorted(set(keys) - known):
            warnings.append(f"{where}unknown key {prefix}{k} (ignored)")

    try:
        unknown(data, _TOP, "")
        mode = _choices(data.get("mode", "strict"), "mode", MODES)
        actors = _strings(data["allowed_actors"], "allowed_actors") \
            if "allowed_actors" in data else None
        tools = _strings(data["allowed_tools"], "allowed_tools") \
            if "allowed_tools" in data else None
        caps = _strings(data["capabilities"], "capabilities") \
            if "capabilities" in data else None
        max_len = data.get("max_intent_length")
        if max_len is not None and (type(max_len) is not int or max_len < 1):
            raise PolicyError("max_intent_length must be a whole number of at least 1",
                              "max_intent_length")
        risk_raw = data.get("risk", {})
        if not isinstance(risk_raw, dict):
            raise PolicyError("[risk] must be a table of tool = tier", "risk")
        risk = {t: _choices(v, f"risk.{t}", RISKS) for t, v in risk_raw.items()}
        approval = _approval(data.get("approval", {}), unknown)
        rules_raw = data.get("rules", [])
        if not isinstance(rules_raw, list):
            raise PolicyError("rules must be an array of tables ([[rules]])", "rules")
        rules = tuple(_rule(i, r, unknown) for i, r in enumerate(rules_raw))
        seen: set[str] = set()  # a set: 200,000 rules took minutes with a list
        for i, rule in enumerate(rules):
            if rule.id in seen:
                raise PolicyError(f"rules[{i}].id {rule.id!r} is used twice",
                                  f"rules[{i}].id")
            seen.add(rule.id)
    except PolicyError as exc:
        raise PolicyError(where + exc.message, exc.key) from None
    return Policy(mode=mode, allowed_actors=actors, allowed_tools=tools,
                  max_intent_length=max_len, risk=MappingProxyType(risk), approval=approval,
                  rules=rules, capabilities=caps, source=source, warnings=tuple(warnings))


def _approval(raw: Any, unknown) -> ApprovalPolicy:
    if not isinstance(raw, dict):
        raise PolicyError("[approval] must be a table", "approval")
    unknown(raw, _APPROVAL, "approval.")
    required = tuple(_choices(v, "approval.required_for", RISKS) for v in _strings(
        raw["required_for"], "approval.required_for")) if "required_for" in raw \
        else ("high", "unreviewed")
    expires = DEFAULT_EXPIRY
    if "expires_after" in raw:
        expires = parse_duration(raw["expires_after"])
        if expires is None or expires <= 0:
            raise PolicyError("approval.expires_after must be a duration such as \"24h\"",
                              "approval.expires_after")
        if expires > MAX_EXPIRY:
            raise PolicyError("approval.expires_after must be at most 3650d (ten years)",
                              "approval.expires_after")
    approvers, per_tier = None, {}
    if "approvers" in raw:
        value = raw["approvers"]
        if isinstance(value, dict):
            for tier, names in value.items():
                _choices(tier, "approval.approvers (tier)", RISKS + ("default",))
                per_tier[tier] = _strings(names, f"approval.approvers.{tier}")
            approvers = per_tier.pop("default", None)
        else:
            approvers = _strings(value, "approval.approvers")
    signed = raw.get("require_signed", False)
    if not isinstance(signed, bool):
        raise PolicyError("approval.require_signed must be true or false",
                          "approval.require_signed")
    return ApprovalPolicy(required, expires, approvers, MappingProxyType(per_tier), signed)


def _rule(i: int, raw: Any, unknown) -> PolicyRule:
    key = f"rules[{i}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"{key} must be a table", key)
    unknown(raw, _RULE, key + ".")
    tool = raw.get("tool", "*")
    if not isinstance(tool, str) or not tool:
        raise PolicyError(f"{key}.tool must be a tool name or glob", key + ".tool")
    if "effect" not in raw:
        raise PolicyError(f"{key}.effect is missing (deny, require_approval or allow)",
                          key + ".effect")
    effect = _choices(raw["effect"], key + ".effect", EFFECTS)
    when = raw.get("when", {})
    if not isinstance(when, dict):
        raise PolicyError(f"{key}.when must be an inline table {{param = value}}", key + ".when")
    for param, value in when.items():
        # a float that JSON cannot hold (nan, inf) would crash the policy's digest
        if isinstance(value, (dict, list)) or (isinstance(value, float)
                                               and not math.isfinite(value)):
            raise PolicyError(f"{key}.when.{param} must be a glob string, number or boolean",
                              f"{key}.when.{param}")
        if not isinstance(value, (str, int, float, bool)):
            raise PolicyError(f"{key}.when.{param} must be a glob string, number or boolean",
                              f"{key}.when.{param}")
    rid = raw.get("id", key)
    if not isinstance(rid, str) or not rid:
        raise PolicyError(f"{key}.id must be a non-empty string", key + ".id")
    reason = raw.get("reason", "")
    if not isinstance(reason, str):
        raise PolicyError(f"{key}.reason must be a string", key + ".reason")
    return PolicyRule(rid, tool, tuple(sorted(when.items())), effect, reason)
