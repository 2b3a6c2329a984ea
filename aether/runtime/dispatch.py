"""The dispatcher: the one place every effectful call of a run passes through.

Every call of a ``tool``, ``memory`` or ``observability`` builtin and every call of a
plugin or project tool becomes a frozen :class:`ToolCall` and goes to
``Dispatcher.call(tool_call, ctx)``. Nothing else in the runtime performs an effect, so a
governance layer wraps a dispatcher (decorator pattern: a ``Dispatcher`` whose ``call``
decides, records, then delegates) and sees every effect with the data a policy request
needs: tool, parameters, position, step, run id and the intent (the goal in force).

* :class:`SimulateDispatcher` records each call and answers with a deterministic
  placeholder (``null`` unless the catalogue entry declares ``returns``); memory builtins
  use an in-memory :class:`MemoryStore`, so a workflow that recalls what it remembered
  behaves plausibly.
* :class:`BindingDispatcher` calls the implementation registered for a tool name (the
  bindings of the project catalogue fill its registry); a tool without one is AE411.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .errors import AetherRuntimeError, rt_error
from .values import equal, from_host, to_json, to_string

__all__ = ["ToolCall", "Dispatcher", "SimulateDispatcher", "BindingDispatcher",
           "MemoryStore", "MEMORY_COMPENSATIONS", "OBSERVABILITY"]

OBSERVABILITY = frozenset({"log", "narrate", "metrics", "trace"})


@dataclass(frozen=True)
class ToolCall:
    """One effectful call, as governance and bindings see it.

    ``entry`` is the catalogue record (``Builtin`` or a project tool entry; None for a
    plugin member nobody described); ``effect``/``risk``/``capabilities`` are copied from
    it (``tool``/``medium``/``()`` for an undescribed plugin member). ``step`` names the
    workflow step being run and ``step_requires`` its capabilities. ``compensation_of``
    and ``original_result`` are set on the undo call of a ``transaction:``.
    """

    tool: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    entry: Any = None
    effect: str = "tool"
    risk: str = "medium"
    capabilities: tuple[str, ...] = ()
    line: int = 0
    column: int = 0
    step: Optional[str] = None
    step_requires: tuple[str, ...] = ()
    run_id: str = ""
    intent: str = ""
    compensation_of: Optional[str] = None
    original_result: Any = None

    @property
    def params(self) -> dict:
        """Positional and keyword arguments as one map (``args`` under ``"_args"``)."""
        out = dict(self.kwargs)
        if self.args:
            out["_args"] = list(self.args)
        return out


class MemoryStore:
    """The memory builtins over a :class:`aether.store.Store` (one namespace: the project).

    Every write returns the record id, so a ``transaction:`` can undo it with
    ``delete_memory(id)``. Reads return the newest records first. Values are kept as JSON
    (a function value is kept as its printed form). Without a store, a private in-memory
    SQLite store is used (``--simulate``).
    """

    def __init__(self, store=None, namespace: str = "default"):
        self._store = store
        self.namespace = namespace
        self._lock = threading.Lock()

    @property
    def store(self):
        """The store (a private in-memory one is made at the first memory call)."""
        if self._store is None:
            from ..store import SQLiteStore

            self._store = SQLiteStore(":memory:")
        return self._store

    def call(self, tool: str, args: tuple, kwargs: dict) -> Any:
        """Perform memory builtin ``tool``; AE405 for one this store does not know."""
        from ..store import StoreError

        method = getattr(self, "op_" + tool, None)
        if method is None:
            raise rt_error("AE405", f"memory operation '{tool}' is not supported by this store")
        try:
            with self._lock:
                return method(*args, **kwargs)
        except StoreError as exc:
            raise rt_error("AE410", f"memory operation '{tool}' failed: {exc}",
                           kind="PluginError") from None

    def _new(self, value: Any, tag: Any = None, **fields: Any) -> str:
        return self.store.memory_add(self.namespace, to_json(value), to_json(tag),
                                     to_json(fields))

    def _records(self) -> list[dict]:
        """Records newest first, as Aether values: {"id", "value", "tag", **fields}."""
        out = []
        for r in self.store.memory_list(self.namespace):
            fields = from_host(r["fields"] or {})
            out.append({**fields, "id": r["id"], "value": from_host(r["value"]),
                        "tag": from_host(r["tag"])})
        return out

    def op_remember(self, value, tag=None, ttl=None):
        return self._new(value, tag, ttl=ttl)

    op_store = op_remember

    def op_store_memory(self, value, tag=None, **fields):
        return self._new(value, tag, **fields)

    def op_learn(self, source):
        return self._new(source, "learned")

    def op_update_memory(self, id, value=None, **fields):
        if type(id) is not str:
            raise rt_error("AE405", "update_memory() takes a record id (a string)")
        rec = self.store.memory_get(self.namespace, id)
        if rec is None:
            self.store.memory_put(self.namespace, id, to_json(value), None, to_json(fields))
        else:
            merged = {**(rec["fields"] or {}), **to_json(fields)}
            self.store.memory_put(self.namespace, id,
                                  rec["value"] if value is None else to_json(value),
                                  rec["tag"], merged)
        return id

    def op_get_memory(self, id):
        rec = self.store.memory_get(self.namespace, id) if type(id) is str else None
        return None if rec is None else from_host(rec["value"])

    def op_delete_memory(self, id):
        return type(id) is str and self.store.memory_delete(self.namespace, [id]) > 0

    def op_forget(self, tag):
        gone = [r["id"] for r in self._records() if equal(r["tag"], tag)]
        return self.store.memory_delete(self.namespace, gone)

    def _select(self, query=None, tag=None, limit=None) -> list[dict]:
        out = []
        for rec in self._records():
            if tag is not None and not equal(rec["tag"], tag):
                continue
            if query is not None and to_string(query) not in to_string(rec["value"]):
                continue
            out.append(rec)
        if type(limit) is int and limit >= 0:
            out = out[:limit]
        return out

    def op_recall(self, query=None, tag=None, limit=None, since=None):
        return tuple(r["value"] for r in self._select(query, tag, limit))

    def op_search_memory(self, query=None, limit=None, tag=None, **filters):
        recs = [r for r in self._select(query, tag, None)
                if all(equal(r.get(k), v) for k, v in filters.items())]
        if type(limit) is int and limit >= 0:
            recs = recs[:limit]
        return tuple({k: v for k, v in r.items() if v is not None} for r in recs)

    def op_load_logs(self, tag=None, since=None, limit=None):
        return self.op_recall(None, tag, limit)

    def op_load_feature_index(self, name=None):
        for rec in self._select(None, name, None):
            if type(rec["value"]) is dict:
                return rec["value"]
        return {}


# Memory writes a transaction can undo without a declared compensation: the store deletes
# the record whose id the write returned.
MEMORY_COMPENSATIONS = {"remember": "delete_memory", "store": "delete_memory",
                        "store_memory": "delete_memory", "learn": "delete_memory"}


class Dispatcher:
    """Base dispatcher: routes memory, observability and ``sleep``; tools go to
    :meth:`call_tool`, which subclasses implement.

    ``call`` is the single choke point; a governance wrapper overrides it and delegates.
    """

    def __init__(self, memory: Optional[MemoryStore] = None):
        self.memory = memory if memory is not None else MemoryStore()
        self.calls: list[ToolCall] = []
        self.events: list[dict] = []
        self._lock = threading.Lock()

    def call(self, tool_call: ToolCall, ctx) -> Any:
        """Perform ``tool_call`` and return its (host) result; errors are
        AetherRuntimeError (any other exception is turned into AE410 by the caller)."""
        with self._lock:
            self.calls.append(tool_call)
        if tool_call.effect == "memory":
            return self.memory.call(tool_call.tool, tool_call.args, tool_call.kwargs)
        if tool_call.effect == "observability":
            return self.observe(tool_call, ctx)
        if tool_call.tool == "sleep" and tool_call.entry is not None:
            return self.sleep(tool_call, ctx)
        return self.call_tool(tool_call, ctx)

    def observe(self, tool_call: ToolCall, ctx) -> Any:
        """log / narrate / metrics / trace: an event, never stdout."""
        event = {"event": tool_call.tool, "line": tool_call.line,
                 "args": list(tool_call.args), "kwargs": dict(tool_call.kwargs)}
        with self._lock:
            self.events.append(event)
        ctx.emit("observe", tool=tool_call.tool, line=tool_call.line,
                 text=" ".join(to_string(a) for a in tool_call.args))
        return None

    def sleep(self, tool_call: ToolCall, ctx) -> Any:
        seconds = tool_call.args[0] if tool_call.args else tool_call.kwargs.get("duration")
        if type(seconds) not in (int, float) or seconds < 0:
            raise rt_error("AE405", "sleep() takes a non-negative duration")
        ctx.sleep(float(seconds))
        return None

    def call_tool(self, tool_call: ToolCall, ctx) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release what the dispatcher holds for the run (called once, at its end)."""


_PLACEHOLDERS = {"string": "", "str": "", "number": 0, "int": 0, "float": 0.0,
                 "bool": False, "list": (), "map": {}, "dict": {}, "null": None}


class SimulateDispatcher(Dispatcher):
    """Records every call; tools answer a placeholder of their declared ``returns`` type."""

    def call_tool(self, tool_call: ToolCall, ctx) -> Any:
        returns = getattr(tool_call.entry, "returns", None)
        if isinstance(returns, str):
            return _PLACEHOLDERS.get(returns.lower())
        return None


Binding = Callable[[ToolCall, Any], Any]


class BindingDispatcher(Dispatcher):
    """Calls the implementation bound to each tool name: ``registry[name](tool_call, ctx)``.

    The registry is filled from the project catalogue's bindings (python / command / mcp).
    A tool with no binding is AE411, naming the tool and how to bind it.
    """

    def __init__(self, registry: Optional[dict[str, Binding]] = None,
                 memory: Optional[MemoryStore] = None, bindings=None):
        super().__init__(memory)
        self.registry: dict[str, Binding] = dict(registry or {})
        self.bindings = bindings  # aether.runtime.bindings.Bindings: the catalogue's

    def bind(self, name: str, implementation: Binding) -> None:
        self.registry[name] = implementation

    def close(self) -> None:
        """End what the bindings started (MCP servers); the run calls it at its end."""
        if self.bindings is not None:
            self.bindings.close()

    def call_tool(self, tool_call: ToolCall, ctx) -> Any:
        impl = self.registry.get(tool_call.tool)
        if impl is None and self.bindings is not None:
            impl = self.bindings.get(tool_call.tool)
        if impl is None:
            raise rt_error(
                "AE411", f"tool '{tool_call.tool}' has no binding: add `python = "
                f"\"module:function\"`, `command = [...]` or `mcp = {{...}}` to "
                f"[tools.{tool_call.tool}] in aether-tools.toml, or run with --simulate")
        return impl(tool_call, ctx)


def is_runtime_error(exc: BaseException) -> bool:
    return isinstance(exc, AetherRuntimeError)
