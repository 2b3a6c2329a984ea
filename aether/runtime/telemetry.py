"""The schema of the lifecycle events of a run (``aether run --events``, the state store).

One JSON object per event. Every event has the :data:`COMMON` fields; each kind adds its
own (:data:`EVENTS`). Field names are stable: new fields may be added, none is renamed or
removed. docs/runtime.md "Events" documents the same table (a test keeps them equal).
"""

from __future__ import annotations

__all__ = ["COMMON", "EVENTS", "check_event"]

# field -> (JSON type(s), meaning)
COMMON: dict[str, tuple[tuple[str, ...], str]] = {
    "event": (("string",), "the event kind (a key of EVENTS)"),
    "seq": (("integer",), "1, 2, 3 ... within the run"),
    "ts": (("number",), "seconds since the epoch, from the run's clock hook"),
    "run_id": (("string",), "the run"),
    "digest": (("string",), "sha256 of the workflow file's bytes"),
    "line": (("integer",), "the workflow line (0 when none)"),
}

EVENTS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "run_start": {"workflow": (("string",), "the workflow path as given"),
                  "simulated": (("boolean",), "effects simulated"),
                  "inputs": (("array",), "the names of the inputs")},
    "run_end": {"status": (("integer",), "the exit status"),
                "outcome": (("string",), "succeeded or failed"),
                "rule": (("string", "null"), "the rule of the error, if any"),
                "steps": (("integer",), "statements run"),
                "tool_calls": (("integer",), "effectful calls dispatched"),
                "duration": (("number",), "seconds of wall time")},
    "step_start": {"step": (("string",), "the step's name (its `as` name or its call)"),
                   "attempt": (("integer",), "1, then 2... on retries")},
    "step_end": {"step": (("string",), "the step"),
                 "attempt": (("integer",), "the attempt that ended"),
                 "outcome": (("string",), "ok or error"),
                 "duration": (("number",), "seconds"),
                 "rule": (("string",), "error only: its rule")},
    "retry": {"step": (("string",), "the step retried"),
              "attempt": (("integer",), "the attempt that failed"),
              "rule": (("string",), "why it failed"),
              "duration": (("number",), "seconds the failed attempt took")},
    "tool_call": {"tool": (("string",), "tool, builtin or plugin.member"),
                  "effect": (("string",), "tool, memory or observability"),
                  "step": (("string", "null"), "the workflow step, if any"),
                  "duration": (("number",), "seconds"),
                  "outcome": (("string",), "ok or error"),
                  "rule": (("string",), "error only: its rule"),
                  "compensation_of": (("string",), "an undo only: the tool it undoes")},
    "compensate": {"tool": (("string",), "the compensation"),
                   "undoes": (("string",), "the tool whose call it undoes")},
    "error": {"rule": (("string",), "AE4xx"), "kind": (("string",), "the error kind"),
              "message": (("string",), "the message"), "column": (("integer",), "column"),
              "stack": (("array",), "fn names, outermost first")},
    "on_error": {"kind": (("string",), "the handled kind"),
                 "rule": (("string",), "the error's rule")},
    "observe": {"tool": (("string",), "log, narrate, metrics or trace"),
                "text": (("string",), "its arguments as text")},
    "print": {"text": (("string",), "what print() wrote")},
    "reflect": {"topic": (("string",), "the reflect() topic"),
                "tag": (("string",), "the reflect() tag, when given")},
}

# fields an event kind has only sometimes
OPTIONAL = {("step_end", "rule"), ("tool_call", "rule"), ("tool_call", "compensation_of"),
            ("reflect", "tag")}

_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
          "array": list, "null": type(None), "object": dict}


def check_event(event: dict) -> list[str]:
    """What is wrong with ``event`` against the schema (an empty list when nothing)."""
    problems = []
    kind = event.get("event")
    own = EVENTS.get(kind)
    if own is None:
        return [f"unknown event kind {kind!r}"]
    fields = {**COMMON, **own}
    for name, (types, _) in fields.items():
        if name not in event:
            if (kind, name) not in OPTIONAL:
                problems.append(f"{kind}: missing '{name}'")
            continue
        value = event[name]
        ok = any(isinstance(value, _TYPES[t]) and not (t in ("integer", "number")
                 and isinstance(value, bool)) for t in types)
        if not ok:
            problems.append(f"{kind}: '{name}' is {type(value).__name__}, not {types}")
    for name in event:
        if name not in fields:
            problems.append(f"{kind}: unknown field '{name}'")
    return problems
