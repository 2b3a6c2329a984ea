"""Compile a checked module, once, into nested Python closures, and run them.

Each block becomes one generated Python function (:class:`_Gen`) with its statements
and their arithmetic written inline; what it does not inline is a closure: every
expression can be a closure ``ev(frame) -> value`` and every statement a closure
``ex(frame) -> None | BREAK | CONTINUE | RETURN``, as fast Python interpreters do: the
tree is walked once, at compile time, and a run only calls closures (no per-step dispatch
on node types). Names are resolved at compile time where the language allows it (calls
to builtins and ``fn`` definitions, plugin members, a ``fn``'s reads of top-level names).

Scopes: the top level binds into one map of globals; a ``fn`` call gets a map of locals
(its parameters and every name its body binds) and reads other names from the globals. A
``fn`` nested in another is a closure: its frame links (``Frame.parent``) the frame of the
enclosing ``fn``'s call, whose locals it reads by a hop count fixed at compile time.
Blocks (``if``, ``for``, ``while``, ``try``) open no scope.

Steps: entering a block counts its statements against the step budget (one check per
block run, not per statement); ``while`` also counts each test. The clock is read every
few hundred steps, after each effectful call and at each ``sleep``.

Binding targets go through :meth:`Compiler.place`: a name today, and the same code path
serves a member/index chain (``a.b``, ``a["k"]``) with a copy-on-write update of the root
(:func:`cow_set`), which is what an ``UpdateTarget`` node of the grammar will compile to.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Optional

from .. import ast as A
from .builtins import BIG, METHODS, MUTATING, PURE, method_impl
from .dispatch import MEMORY_COMPENSATIONS, ToolCall
from .errors import AetherRuntimeError, StackFrame, rt_error
from .values import (INT_MAX, BuiltinValue, ErrorValue, FnValue, check_sizes,
                     contains_equal, equal, from_host, repr_value, truthy, type_name)

__all__ = ["Compiler", "Program", "Frame", "cow_set", "BREAK", "CONTINUE", "RETURN"]

BREAK, CONTINUE, RETURN = 1, 2, 3
INT_MIN = -INT_MAX - 1
CONFIG_SECTIONS = ("meta", "policy", "require", "plugin_contract")
_STACK_SIZE = 256 * 1024 * 1024  # threads that run programs: deep but bounded recursion
_stack_lock = threading.Lock()


class Frame:
    """The variables of one ``fn`` call (or of the top level) and the run's context."""

    __slots__ = ("vars", "glob", "ctx", "depth", "ret", "tasks", "prog", "parent")

    def __init__(self, vars: dict, glob: dict, ctx, depth: int, prog: "Program",
                 parent: Optional["Frame"] = None):
        self.vars = vars
        self.parent = parent  # a nested fn's call: the enclosing fn's call (closures)
        self.glob = glob
        self.ctx = ctx
        self.depth = depth
        self.ret = None
        self.tasks: Optional[dict] = None
        self.prog = prog

    def call_value(self, fn: Any, args: tuple, kwargs: Optional[dict] = None) -> Any:
        """Call an Aether function value (used by map, filter, sorted)."""
        return self.prog.call_value(self, fn, args, kwargs or {}, None)


def start_thread(target: Callable[[], Any]) -> Future:
    """Run ``target`` in a new daemon thread with a large stack; its result as a Future.

    Raises AetherRuntimeError (AE407) when no thread can be started (``ulimit -v`` below
    the stack, ``ulimit -u``): a run out of resources, not a bug of aether."""
    fut: Future = Future()

    def body():
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(target())
        except BaseException as exc:  # noqa: BLE001 - handed to the joining thread
            fut.set_exception(exc)

    with _stack_lock:
        old = threading.stack_size()
        try:
            threading.stack_size(_STACK_SIZE)
            t = threading.Thread(target=body, daemon=True, name="aether-task")
            t.start()
        except RuntimeError as exc:  # "can't start new thread"
            raise rt_error("AE407", f"cannot start a thread to run the program ({exc}): "
                           "out of memory or of processes (see ulimit -v and -u)") from None
        finally:
            threading.stack_size(old)
    return fut


def cow_set(root: Any, keys: list, value: Any, node=None) -> Any:
    """A copy of ``root`` with the item at path ``keys`` replaced by ``value``.

    Only the containers along the path are copied; nothing is changed in place, so no
    other name bound to ``root`` (or to a part of it) sees the update.
    """
    if not keys:
        return value
    k = keys[0]
    t = type(root)
    if t is dict or root is None:
        if type(k) is int:
            k = str(k)
        if type(k) is not str:
            raise rt_error("AE401", f"a map key must be a string, not {type_name(k)}", node)
        out = dict(root or {})
        out[k] = cow_set(out.get(k), keys[1:], value, node)
        return out
    if t is tuple:
        if type(k) is not int:
            raise rt_error("AE401", "a list index must be an integer", node)
        if not -len(root) <= k < len(root):
            raise rt_error("AE404", f"index {k} out of range for a list of {len(root)}", node)
        lst = list(root)
        lst[k] = cow_set(lst[k], keys[1:], value, node)
        return tuple(lst)
    raise rt_error("AE401", f"cannot update inside a {type_name(root)}", node)


# ---------------------------------------------------------------- operators
def _overflow(node):
    return rt_error("AE407", "integer out of the 64-bit range", node)


def _num_result(v, node):
    if type(v) is int:
        if INT_MIN <= v <= INT_MAX:
            return v
        raise _overflow(node)
    if v != v or v in (float("inf"), float("-inf")):
        raise rt_error("AE407", "number out of range", node)
    return v


def _is_num(v) -> bool:
    t = type(v)
    return t is int or t is float


def _type_err(op, a, b, node):
    return rt_error("AE401", f"cannot apply '{op}' to {type_name(a)} and {type_name(b)}",
                    node)


def op_add(a, b, node, limit, ctx=None):
    if _is_num(a) and _is_num(b):
        return _num_result(a + b, node)
    ta = type(a)
    if ta is type(b) and ta in (str, tuple):
        if len(a) + len(b) > limit:
            raise rt_error("AE407", f"{type_name(a)} of size {len(a) + len(b)} exceeds the "
                           f"value size limit of {limit}", node)
        return _noted(a + b, ctx, node)
    raise _type_err("+", a, b, node)


def _noted(v, ctx, node):
    """``v``, counted against the run's memory budget when it is large."""
    n = len(v)
    if n >= BIG and ctx is not None:
        try:
            ctx.note_alloc(n if type(v) is str else n * 8)
        except AetherRuntimeError as e:
            raise e.place(getattr(node, "line", 0) or 0, getattr(node, "column", 0) or 0)
    return v


def op_sub(a, b, node, limit, ctx=None):
    if _is_num(a) and _is_num(b):
        return _num_result(a - b, node)
    raise _type_err("-", a, b, node)


def op_mul(a, b, node, limit, ctx=None):
    if _is_num(a) and _is_num(b):
        return _num_result(a * b, node)
    if type(a) is int and type(b) in (str, tuple):
        a, b = b, a
    if type(a) in (str, tuple) and type(b) is int:
        n = max(b, 0)
        if len(a) * n > limit:
            raise rt_error("AE407", f"{type_name(a)} of size {len(a) * n} exceeds the value "
                           f"size limit of {limit}", node)
        return _noted(a * n, ctx, node)
    raise _type_err("*", a, b, node)


def op_div(a, b, node, limit, ctx=None):
    if _is_num(a) and _is_num(b):
        if b == 0:
            raise rt_error("AE402", "division by zero", node)
        return _num_result(a / b, node)
    raise _type_err("/", a, b, node)


def op_mod(a, b, node, limit, ctx=None):
    if _is_num(a) and _is_num(b):
        if b == 0:
            raise rt_error("AE402", "modulo by zero", node)
        return _num_result(a % b, node)
    raise _type_err("%", a, b, node)


_ARITH = {"+": op_add, "-": op_sub, "*": op_mul, "/": op_div, "%": op_mod}


def op_order(op, a, b, node):
    if (_is_num(a) and _is_num(b)) or (type(a) is str and type(b) is str):
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b
    raise rt_error("AE401", f"cannot compare {type_name(a)} {op} {type_name(b)}", node)


def op_in(item, container, node):
    t = type(container)
    if container is None:
        return False
    if t is tuple:
        return contains_equal(container, item)
    if t is str:
        if type(item) is not str:
            raise rt_error("AE401", f"'in' on a string needs a string, not {type_name(item)}",
                           node)
        return item in container
    if t is dict:
        return type(item) is str and item in container
    raise rt_error("AE401", f"'in' needs a list, map or string, not {type_name(container)}",
                   node)


def get_member(v, attr, node):
    t = type(v)
    if t is dict:
        try:
            return v[attr]
        except KeyError:
            raise rt_error("AE403", f"map has no key '{attr}'", node) from None
    if t is ErrorValue:
        m = v.as_map()
        if attr in m:
            return m[attr]
        raise rt_error("AE403", f"an error has no field '{attr}' (kind, message, rule, "
                       "line, column)", node)
    raise rt_error("AE401", f"a {type_name(v)} has no member '{attr}'", node)


def get_index(v, i, node):
    t = type(v)
    if t is tuple or t is str:
        if type(i) is not int:
            raise rt_error("AE401", f"a {type_name(v)} index must be an integer, not "
                           f"{type_name(i)}", node)
        if -len(v) <= i < len(v):
            return v[i]
        raise rt_error("AE404", f"index {i} out of range for a {type_name(v)} of "
                       f"{len(v)}", node)
    if t is dict:
        if type(i) is int:
            i = str(i)
        if type(i) is not str:
            raise rt_error("AE401", f"a map key must be a string, not {type_name(i)}", node)
        try:
            return v[i]
        except KeyError:
            raise rt_error("AE403", f"map has no key {repr_value(i)[:80]}", node) from None
    raise rt_error("AE401", f"cannot index a {type_name(v)}", node)


def _duration(v, node) -> float:
    """Seconds of a step timeout written ``30s`` or ``"30s"``."""
    if type(v) in (int, float) and type(v) is not bool:
        return float(v)
    if type(v) is str:
        import re

        m = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*", v)
        if m:
            n = float(m.group(1).replace("_", ""))
            return n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    raise rt_error("AE405", f"not a duration: {repr_value(v)[:40]}", node)


# ---------------------------------------------------------------- fast paths
# Arithmetic and comparisons are the hot spots of a loop. Their closures are generated as
# source once per node (operands that are names or literals are read inline), which
# removes a Python call per operand; anything off the fast path goes to the op_* helpers
# above, which carry the full Aether semantics. Only literals and identifiers (checked
# with str.isidentifier and repr'd) are ever placed into the generated text.
_FAST_ARITH = {"+": "+", "-": "-", "*": "*"}


def _operand_code(var: str, kind: str, payload, env: dict) -> str:
    if kind == "const":
        env[var.upper() + "_C"] = payload
        return f"    {var} = {var.upper()}_C\n"
    if kind == "vars" or kind == "glob":
        env[var.upper() + "_R"] = payload[1]
        return (f"    try:\n        {var} = fr.{kind}[{payload[0]!r}]\n"
                f"    except KeyError:\n        {var} = {var.upper()}_R(fr)\n")
    env[var.upper() + "_F"] = payload
    return f"    {var} = {var.upper()}_F(fr)\n"


def gen_binary(op: str, left, right, node) -> Callable:
    """A closure for ``left op right``; ``left``/``right`` are ``(kind, payload)`` pairs."""
    env: dict = {"INT_MIN": INT_MIN, "INT_MAX": INT_MAX, "NODE": node, "equal": equal,
                 "op_order": op_order}
    code = "def binary(fr):\n"
    code += _operand_code("a", *left, env)
    code += _operand_code("b", *right, env)
    b_int = right[0] == "const" and type(right[1]) is int
    both_int = "type(a) is int" + ("" if b_int else " and type(b) is int")
    if op in _FAST_ARITH:
        env["SLOW"] = _ARITH[op]
        code += (f"    if {both_int}:\n        v = a {op} b\n"
                 "        if INT_MIN <= v <= INT_MAX:\n            return v\n"
                 "    ctx = fr.ctx\n    return SLOW(a, b, NODE, ctx.limits.max_value_size, ctx)\n")
    elif op in ("%", "/"):
        env["SLOW"] = _ARITH[op]
        code += (f"    if {both_int} and b:\n        return a {op} b\n"
                 "    return SLOW(a, b, NODE, 0)\n")
    elif op in ("==", "!="):
        want = op == "=="
        code += ("    ta = type(a)\n    if ta is type(b) and (ta is int or ta is str):\n"
                 f"        return a {op} b\n    return equal(a, b) is {want}\n")
    else:
        code += (f"    if {both_int}:\n        return a {op} b\n"
                 f"    return op_order({op!r}, a, b, NODE)\n")
    exec(code, env)  # noqa: S102 - generated from the fixed templates above
    return env["binary"]


# ---------------------------------------------------------------- the program
class Program:
    """A compiled module: the main block, the ``fn`` table, config and ``on_error`` rules."""

    def __init__(self):
        self.main: Callable = lambda fr: None
        self.fns: dict[str, FnValue] = {}
        self.config: dict[str, Callable] = {}  # section name -> evaluator
        self.on_error: list[tuple[str, Callable, A.Node]] = []
        self.outputs: Optional[Callable] = None  # workflow output declaration
        self.goal = ""  # the file's first top-level goal: the intent from the start
        self.compiler: Optional["Compiler"] = None

    # -------------------------------------------------------- calling functions
    def invoke(self, caller: Frame, fnv: FnValue, values: list, node) -> Any:
        """Run ``fnv`` with parameter values in order; its return value."""
        depth = caller.depth + 1
        ctx = caller.ctx
        if depth > ctx.limits.max_depth:
            raise rt_error("AE406", f"calls nested more than {ctx.limits.max_depth} deep "
                           f"(in '{fnv.name}')", node)
        body, params = fnv.code, fnv.params
        fr = Frame(dict(zip(params, values)), caller.glob, ctx, depth, self, fnv.env)
        try:
            if body(fr) == RETURN:
                return fr.ret
            return None
        except AetherRuntimeError as e:
            e.stack.append(StackFrame(fnv.name, getattr(node, "line", 0) or 0,
                                      getattr(node, "column", 0) or 0))
            raise
        finally:
            if fr.tasks:
                _join_all(fr)

    def bind_args(self, caller: Frame, fnv: FnValue, args: tuple, kwargs: dict, node) -> list:
        """Parameter values for a dynamic call (AE405 when the arguments do not fit)."""
        params = fnv.params
        if len(args) > len(params):
            raise rt_error("AE405", f"'{fnv.name}' takes {len(params)} arguments but "
                           f"{len(args)} were given", node)
        values = list(args)
        defaults = self.compiler.defaults[fnv.name]
        for i in range(len(args), len(params)):
            p = params[i]
            if p in kwargs:
                values.append(kwargs[p])
            elif defaults[i] is not None:
                values.append(defaults[i](Frame(caller.glob, caller.glob, caller.ctx,
                                                caller.depth, self, fnv.env)))
            else:
                raise rt_error("AE405", f"'{fnv.name}' is missing argument '{p}'", node)
        extra = set(kwargs) - set(params[len(args):])
        if extra:
            raise rt_error("AE405", f"'{fnv.name}' has no parameter '{sorted(extra)[0]}'",
                           node)
        return values

    def call_value(self, fr: Frame, fn: Any, args: tuple, kwargs: dict, node) -> Any:
        """Call any callable Aether value (AE401 when it is not a function)."""
        t = type(fn)
        if t is FnValue:
            return self.invoke(fr, fn, self.bind_args(fr, fn, args, kwargs, node), node)
        if t is BuiltinValue:
            impl = PURE.get(fn.name)
            if impl is not None:
                return _call_pure(impl, fn.name, fr, args, kwargs, node)
            return self.compiler.effect(fn.name, (), (), node).perform_values(
                fr, args, kwargs)
        raise rt_error("AE401", f"a {type_name(fn)} is not callable", node)


def _call_pure(impl, name, fr, args, kwargs, node):
    try:
        return impl(fr, *args, **kwargs)
    except AetherRuntimeError as e:
        raise e.place(getattr(node, "line", 0) or 0, getattr(node, "column", 0) or 0)
    except (TypeError, ValueError, OverflowError, IndexError, KeyError) as exc:
        raise rt_error("AE405", f"bad argument to '{name}': {exc}", node) from None


def _unrolled_block(compiled: list, n: int, first) -> Callable:
    """A block runner with its statements called one after another (no loop overhead)."""
    env: dict = {"_check": _check, "FIRST": first}
    code = "def run_block(fr):\n    ctx = fr.ctx\n    ctx.steps += N\n" \
           "    if ctx.steps >= ctx._check_at:\n        _check(ctx, FIRST)\n"
    env["N"] = n
    for i, c in enumerate(compiled):
        env[f"S{i}"] = c
        if i == len(compiled) - 1:
            code += f"    return S{i}(fr)\n"
        else:
            code += f"    r = S{i}(fr)\n    if r is not None:\n        return r\n"
    exec(code, env)  # noqa: S102 - generated from the fixed template above
    return env["run_block"]


def _check(ctx, node) -> None:
    """``ctx.check()``, placing a budget error at ``node`` (the block being entered)."""
    try:
        ctx.check()
    except AetherRuntimeError as e:
        raise e.place(getattr(node, "line", 0) or 0, getattr(node, "column", 0) or 0)


def _join(fr: Frame, name: str) -> Any:
    fut = fr.tasks.pop(name)
    return fut.result()


def _join_all(fr: Frame) -> None:
    for name in list(fr.tasks or ()):
        fr.vars[name] = _join(fr, name)


class EffectCall:
    """A compiled call of an effectful tool: builds the ToolCall, dispatches, converts."""

    __slots__ = ("name", "entry", "argfns", "kwfns", "node", "effect", "risk", "caps")

    def __init__(self, name, entry, argfns, kwfns, node):
        self.name, self.entry, self.argfns, self.kwfns, self.node = (
            name, entry, argfns, kwfns, node)
        self.effect = getattr(entry, "effect", "tool") if entry is not None else "tool"
        self.risk = getattr(entry, "risk", "medium") if entry is not None else "medium"
        self.caps = tuple(getattr(entry, "capabilities", ()) or ())

    def build(self, fr: Frame, args=None, kwargs=None) -> ToolCall:
        if args is None:
            args = tuple([a(fr) for a in self.argfns])
            kwargs = {k: f(fr) for k, f in self.kwfns}
        ctx = fr.ctx
        return ToolCall(self.name, args, kwargs, self.entry, self.effect, self.risk,
                        self.caps, self.node.line, self.node.column, ctx.step_name,
                        ctx.step_requires, ctx.run_id, ctx.intent)

    def perform(self, fr: Frame, tc: ToolCall) -> Any:
        return dispatch(fr.ctx, tc, self.node)

    def perform_values(self, fr, args, kwargs):
        return self.perform(fr, self.build(fr, tuple(args), dict(kwargs)))

    def __call__(self, fr: Frame) -> Any:
        return dispatch(fr.ctx, self.build(fr), self.node)


def dispatch(ctx, tc: ToolCall, node=None) -> Any:
    """Send ``tc`` through the run's dispatcher; the result as an Aether value.

    An exception of a tool other than an Aether error is AE410 naming the tool (its kind
    is the exception's ``aether_kind`` when that names an error kind, else PluginError);
    a result that is not JSON-shaped is AE405.
    """
    if ctx.trace is not None:
        return _dispatch_traced(ctx, tc, node)
    try:
        result = ctx.dispatcher.call(tc, ctx)
    except AetherRuntimeError as e:
        raise e.place(tc.line, tc.column)
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a tool's failure is an Aether error
        raise _tool_failure(ctx, tc, exc) from None
    return _tool_result(ctx, tc, result, node)


def _tool_failure(ctx, tc: ToolCall, exc: Exception) -> AetherRuntimeError:
    kinds = getattr(ctx.catalogue, "error_kinds", ()) or ()
    kind = getattr(exc, "aether_kind", None)
    return AetherRuntimeError(kind if kind in kinds else "PluginError", "AE410",
                              f"tool '{tc.tool}' failed: {type(exc).__name__}: {exc}",
                              tc.line, tc.column)


def _dispatch_traced(ctx, tc: ToolCall, node) -> Any:
    """:func:`dispatch` that also emits a ``tool_call`` event (duration, outcome)."""
    t0 = time.perf_counter()
    error: Optional[AetherRuntimeError] = None
    try:
        try:
            result = ctx.dispatcher.call(tc, ctx)
        except AetherRuntimeError as e:
            error = e.place(tc.line, tc.column)
            raise error
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a tool's failure is an Aether error
            error = _tool_failure(ctx, tc, exc)
            raise error from None
        try:
            return _tool_result(ctx, tc, result, node)
        except AetherRuntimeError as e:
            error = e
            raise
    finally:
        fields = {"tool": tc.tool, "effect": tc.effect, "step": tc.step,
                  "duration": round(time.perf_counter() - t0, 6),
                  "outcome": "ok" if error is None else "error"}
        if tc.compensation_of:
            fields["compensation_of"] = tc.compensation_of
        if error is not None:
            fields["rule"] = error.rule
        ctx.emit("tool_call", line=tc.line, **fields)


def _tool_result(ctx, tc: ToolCall, result, node) -> Any:
    ctx.tool_calls += 1
    try:
        value = check_sizes(from_host(result), ctx.limits.max_value_size)
    except AetherRuntimeError as e:
        raise rt_error(e.rule, f"tool '{tc.tool}' returned a bad value: {e.message}",
                       node) from None
    if type(value) in (str, tuple, dict):
        _noted(value, ctx, node)
    if ctx.deadline is not None or ctx._deadlines:
        ctx.check_time()
    return value


# ---------------------------------------------------------------- the compiler
def _add_bound(n, out: set[str], updates: bool) -> None:
    """Add to ``out`` the names node ``n`` binds; an update (``a.b: v``, ``a["k"] += 1``)
    counts only when ``updates``."""
    if isinstance(n, A.Binding | A.AugAssign):
        if updates or n.target is None:
            out.add(n.name)
    elif isinstance(n, A.For):
        out.add(n.target)
    elif isinstance(n, A.Try) and n.catch_name:
        out.add(n.catch_name)
    elif isinstance(n, A.StepOption) and n.name == "as" and isinstance(n.value, A.Name):
        out.add(n.value.id)
    elif isinstance(n, A.Await):
        out.update(x.id for x in n.names)


def _bound_names(stmts) -> set[str]:
    """Every name a list of statements binds, nested fns included (for a fn's locals)."""
    out: set[str] = set()
    for s in stmts:
        for n in A.walk(s):
            _add_bound(n, out, updates=True)
    return out


def _own_names(fd: A.FnDef) -> set[str]:
    """A fn's parameters and the names its body binds, not those of fns nested in it."""
    out = {p.name for p in fd.params}
    stack = list(fd.body)
    while stack:
        n = stack.pop()
        if isinstance(n, A.FnDef):
            continue
        _add_bound(n, out, updates=False)
        stack.extend(A.iter_children(n))
    return out


def _lexical_fns(stmts, outer: Optional[str], fndefs: dict, parent: dict, own: dict) -> None:
    """Record each fn's enclosing fn (None at the top level) and its own names."""
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, A.FnDef):
            if fndefs.get(n.name) is n:
                parent[n.name] = outer
                own[n.name] = _own_names(n)
            _lexical_fns(n.body, n.name, fndefs, parent, own)
            continue
        stack.extend(A.iter_children(n))


def _frame_at(fr: Optional["Frame"], hops: Optional[int]) -> Optional["Frame"]:
    """The frame ``hops`` enclosing calls out (None when -1, None or past the chain)."""
    if hops is None or hops < 0:
        return None
    for _ in range(hops):
        if fr is None:
            return None
        fr = fr.parent
    return fr


def _closure(fnv: FnValue, env: Optional["Frame"]) -> FnValue:
    """``fnv`` as a value linked to the call of its enclosing fn (``env``)."""
    return FnValue(fnv.name, fnv.params, fnv.code, env)


class Compiler:
    """Compiles one module against a catalogue (``builtins`` and optional ``tools``)."""

    def __init__(self, catalogue, inline: bool = True):
        self.catalogue = catalogue
        self.inline = inline  # False: closures only (the reference for tests)
        self.prog = Program()
        self.prog.compiler = self
        self.fndefs: dict[str, A.FnDef] = {}
        self.defaults: dict[str, list] = {}
        self.plugins: set[str] = set()
        self.locals: Optional[set[str]] = None  # None at the top level
        self.current_fn: Optional[str] = None  # the fn being compiled
        self.fn_parent: dict[str, Optional[str]] = {}  # fn -> the fn it is nested in
        self.fn_own: dict[str, set[str]] = {}  # fn -> its parameters and what it binds
        self.top_bound: set[str] = set()

    # -------------------------------------------------------- entry
    def compile(self, module: A.Module) -> Program:
        for n in A.walk(module):
            if isinstance(n, A.FnDef) and n.name not in self.fndefs:
                self.fndefs[n.name] = n
        self.plugins = self._plugins(module)
        self.top_bound = _bound_names([s for s in module.body if not isinstance(s, A.FnDef)])
        _lexical_fns(module.body, None, self.fndefs, self.fn_parent, self.fn_own)
        for name, fd in self.fndefs.items():
            self.prog.fns[name] = FnValue(name, tuple(p.name for p in fd.params))
        for name, fd in self.fndefs.items():
            self._compile_fn(fd)
        for s in module.body:
            if isinstance(s, A.Binding) and s.name == "goal" and isinstance(s.value, A.Str):
                self.prog.goal = s.value.value
                break
        self.prog.main = self.block(module.body, top=True)
        return self.prog

    def _plugins(self, module) -> set[str]:
        import re

        out = set()
        for s in module.body:
            if isinstance(s, A.Section) and s.name == "require":
                for e in s.body:
                    if getattr(e, "name", None) != "plugins":
                        continue
                    items = (e.value.items if isinstance(e, A.Binding | A.Assign)
                             and isinstance(e.value, A.ListExpr)
                             else [d.value for d in getattr(e, "body", ())
                                   if isinstance(d, A.DashItem)])
                    for v in items:
                        if isinstance(v, A.Str):
                            m = re.match(r"[A-Za-z_][\w\-.]*", v.value)
                            if m:
                                out.add(m.group(0).split(".")[0])
        return out

    def _compile_fn(self, fd: A.FnDef) -> None:
        saved, saved_fn = self.locals, self.current_fn
        self.current_fn = fd.name
        self.locals = {p.name for p in fd.params} | _bound_names(fd.body)
        try:
            self.defaults[fd.name] = [self.expr(p.default) if p.default is not None else None
                                      for p in fd.params]
            # the top-level scope evaluates defaults (a default sees only globals)
            body = self.block(fd.body)
        finally:
            self.locals, self.current_fn = saved, saved_fn
        fnv = self.prog.fns[fd.name]
        object.__setattr__(fnv, "code", body)

    def entry(self, name: str):
        """The catalogue record of a builtin or project tool (None when undescribed)."""
        b = self.catalogue.builtins.get(name)
        if b is not None:
            return b
        tools = getattr(self.catalogue, "tools", None)
        if isinstance(tools, dict):
            return tools.get(name)
        return None

    # -------------------------------------------------------- blocks and statements
    def block(self, stmts, top: bool = False) -> Callable:
        """The runner of a block: one generated Python function (see :class:`_Gen`)."""
        if not self.inline:
            return self.closure_block(stmts, top)
        return _Gen(self, top).build(stmts)

    def closure_block(self, stmts, top: bool = False) -> Callable:
        """The runner of a block as closures only (the reference the tests compare the
        generated functions with)."""
        compiled = [c for c in (self.stmt(s, top) for s in stmts) if c is not None]
        n = len(stmts)
        first = stmts[0] if stmts else None
        if not compiled:
            def run_empty(fr):
                ctx = fr.ctx
                ctx.steps += n
                if ctx.steps >= ctx._check_at:
                    _check(ctx, first)
            return run_empty
        if len(compiled) == 1:
            only = compiled[0]

            def run_one(fr):
                ctx = fr.ctx
                ctx.steps += n
                if ctx.steps >= ctx._check_at:
                    _check(ctx, first)
                return only(fr)
            return run_one
        if len(compiled) <= 12:
            return _unrolled_block(compiled, n, first)
        seq = tuple(compiled)

        def run_block(fr):
            ctx = fr.ctx
            ctx.steps += n
            if ctx.steps >= ctx._check_at:
                _check(ctx, first)
            for s in seq:
                r = s(fr)
                if r is not None:
                    return r
            return None
        return run_block

    def captures_fn(self, name: str) -> bool:
        """Whether ``fn name`` is nested in another (its calls link the enclosing call)."""
        return self.fn_parent.get(name) is not None

    def capture_depth(self, name: str) -> int:
        """How many ``fn`` scopes out the name read here is bound (0: own or global)."""
        cur = self.current_fn
        if cur is None or (self.locals is not None and name in self.locals):
            return 0
        hops, anc = 1, self.fn_parent.get(cur)
        while anc is not None:
            if name in self.fn_own[anc]:
                return hops
            hops, anc = hops + 1, self.fn_parent.get(anc)
        return 0

    def fn_ancestor(self, hops: int) -> Optional[str]:
        anc = self.current_fn
        for _ in range(hops):
            anc = self.fn_parent.get(anc) if anc is not None else None
        return anc

    def parent_hops(self, callee: str) -> Optional[int]:
        """For a call of nested ``fn callee`` from here: how many frames up the call of its
        enclosing fn is (0: this frame); -1 when this code is not inside that fn; None
        when ``callee`` is not nested."""
        outer = self.fn_parent.get(callee)
        if outer is None:
            return None
        hops, cur = 0, self.current_fn
        while cur is not None:
            if cur == outer:
                return hops
            hops, cur = hops + 1, self.fn_parent.get(cur)
        return -1

    def stmt(self, s: A.Stmt, top: bool = False) -> Optional[Callable]:
        method = getattr(self, "s_" + type(s).__name__, None)
        if method is None:
            return self.unsupported(s, f"statement {type(s).__name__}")
        return method(s, top)

    def unsupported(self, node, what: str) -> Callable:
        def raise_unsupported(fr):
            raise rt_error("AE412", f"{what} is not supported by `aether run`", node)
        return raise_unsupported

    def place(self, target) -> tuple[Callable, Callable]:
        """``(get, set)`` closures for a binding target.

        A name is stored in the current scope. A member/index chain rooted at a name
        (``a.b["k"]``: the UpdateTarget of the grammar) reads the root, rebuilds it with
        :func:`cow_set` and stores the new root, so aliases never see the change.
        """
        if isinstance(target, str):
            name = target
            getter = self.name_reader(name, None)

            def set_name(fr, value):
                fr.vars[name] = value
            return getter, set_name
        keys: list[Callable] = []
        node = target
        while isinstance(node, A.Member | A.Index):
            if isinstance(node, A.Member):
                attr = node.attr
                keys.append(lambda fr, attr=attr: attr)
            else:
                keys.append(self.expr(node.index))
            node = node.value
        if not isinstance(node, A.Name):
            raise ValueError("not a place")
        keys.reverse()
        root_get, root_set = self.place(node.id)
        whole_get = self.expr(target)

        def set_path(fr, value):
            root_set(fr, _noted(cow_set(root_get(fr), [k(fr) for k in keys], value, target),
                                fr.ctx, target))
        return whole_get, set_path

    def s_Binding(self, s: A.Binding, top: bool):
        value = self.expr(s.value)
        if getattr(s, "target", None) is not None:
            return self.update_target(s, value)
        if top and s.name == "goal":
            def set_goal(fr):
                v = value(fr)
                fr.ctx.intent = v if type(v) is str else repr_value(v)
            return set_goal
        if top and s.name == "memory":
            def memory_op(fr):
                value(fr)
            return memory_op
        _, store = self.place(s.name)
        name = s.name

        def bind(fr):
            fr.vars[name] = value(fr)
        return bind if store is not None else None

    s_Assign = s_Binding

    def update_target(self, s, value: Callable) -> Callable:
        """``a.b["k"]: v``: rebind the root ``a`` to a copy with the item at the path
        replaced (value semantics: an alias of ``a`` or of ``a.b`` never sees it). The value
        is evaluated first, then the keys of the path, left to right."""
        try:
            _, set_path = self.place(s.target)
        except ValueError:
            return self.unsupported(s, "this update target")

        def update(fr):
            set_path(fr, value(fr))
        return update

    def s_AugAssign(self, s: A.AugAssign, top: bool):
        if getattr(s, "target", None) is not None:
            # a["k"] += v reads the item (AE403 when it is missing), then updates the path
            current = self.expr(s.target)
            delta = self.expr(s.value)
            arith = op_add if s.op == "+=" else op_sub
            try:
                _, set_path = self.place(s.target)
            except ValueError:
                return self.unsupported(s, "this update target")

            def aug_path(fr):
                set_path(fr, arith(current(fr), delta(fr), s, fr.ctx.limits.max_value_size,
                                   fr.ctx))
            return aug_path
        binary = gen_binary("+" if s.op == "+=" else "-", self.operand(A.Name(
            s.line, s.column, s.line, s.column + len(s.name), s.name)),
            self.operand(s.value), s)
        name = s.name

        def aug(fr):
            fr.vars[name] = binary(fr)
        return aug

    def s_CallStmt(self, s: A.CallStmt, top: bool):
        call = self.expr(s.call)

        def call_stmt(fr):
            call(fr)
        return call_stmt

    def s_Return(self, s: A.Return, top: bool):
        if s.value is None:
            def ret_none(fr):
                fr.ret = None
                return RETURN
            return ret_none
        value = self.expr(s.value)

        def ret(fr):
            fr.ret = value(fr)
            return RETURN
        return ret

    def s_Break(self, s, top):
        return lambda fr: BREAK

    def s_Continue(self, s, top):
        return lambda fr: CONTINUE

    def s_FnDef(self, s, top):
        return None  # hoisted: every fn is compiled once, before the run

    def s_If(self, s: A.If, top: bool):
        test = self.expr(s.test)
        body = self.block(s.body, top)
        orelse = self.block(s.orelse, top) if s.orelse else None

        if orelse is None:
            def if_only(fr):
                v = test(fr)
                if v is True or (v is not False and truthy(v)):
                    return body(fr)
                return None
            return if_only

        def if_(fr):
            v = test(fr)
            if v is True or (v is not False and truthy(v)):
                return body(fr)
            return orelse(fr)
        return if_

    def s_For(self, s: A.For, top: bool):
        it = self.expr(s.iter)
        body = self.block(s.body, top)
        target = s.target
        node = s.iter

        def for_(fr):
            seq = it(fr)
            t = type(seq)
            if t is dict:
                seq = tuple(seq)
            elif seq is None:
                return None  # null is an empty collection where one is read
            elif t is not tuple and t is not str:
                raise rt_error("AE401", f"cannot loop over a {type_name(seq)}", node)
            vars = fr.vars
            for x in seq:
                vars[target] = x
                r = body(fr)
                if r is not None:
                    if r == BREAK:
                        break
                    if r == CONTINUE:
                        continue
                    return r
            return None
        return for_

    def s_While(self, s: A.While, top: bool):
        test = self.expr(s.test)
        body = self.block(s.body, top)

        def while_(fr):
            ctx = fr.ctx
            while True:
                ctx.steps += 1
                if ctx.steps >= ctx._check_at:
                    _check(ctx, s)
                v = test(fr)
                if not (v is True or (v is not False and truthy(v))):
                    return None
                r = body(fr)
                if r is not None:
                    if r == BREAK:
                        return None
                    if r == CONTINUE:
                        continue
                    return r
        return while_

    def s_Try(self, s: A.Try, top: bool):
        body = self.block(s.body, top)
        handler = self.block(s.handler, top)
        name = s.catch_name

        def try_(fr):
            try:
                return body(fr)
            except AetherRuntimeError as e:
                if e.fatal:
                    raise
                if name:
                    fr.vars[name] = ErrorValue.of(e)
            # the handler runs outside the except clause: an error it raises must not
            # chain the caught one as its __context__ (a retry by recursion grew that
            # chain by one per retry, and raising walks it: quadratic time)
            return handler(fr)
        return try_

    def s_Await(self, s: A.Await, top: bool):
        names = [(n.id, n) for n in s.names]

        def await_(fr):
            for name, node in names:
                if fr.tasks and name in fr.tasks:
                    try:
                        fr.vars[name] = _join(fr, name)
                    except AetherRuntimeError as e:
                        raise e.place(node.line, node.column)
                elif name not in fr.vars and name not in fr.glob:
                    raise rt_error("AE415", f"no task '{name}' to await", node)
            return None
        return await_

    def s_DashItem(self, s, top):
        return self.unsupported(s, "a dash item outside a section")

    def s_DashMap(self, s, top):
        return self.unsupported(s, "a dash map outside a section")

    def s_Section(self, s: A.Section, top: bool):
        name = s.name
        if name in CONFIG_SECTIONS:
            evaluator = self.config_value(s.body)
            if top and name not in self.prog.config:
                self.prog.config[name] = evaluator
                return None  # evaluated before the run starts (policy applies from line 1)

            def config(fr):
                fr.ctx.config[name] = evaluator(fr)
            return config
        if name == "parallel":
            return self.parallel(s)
        if name == "transaction":
            return self.transaction(s)
        if name == "workflow":
            return self.workflow(s)
        if name == "on_error":
            self.on_error(s)
            return None
        return self.unsupported(s, f"section '{name}:'")

    # -------------------------------------------------------- sections
    def config_value(self, body) -> Callable:
        """An evaluator of a config block: a map, or a list for a dash list."""
        if body and all(isinstance(e, A.DashItem | A.DashMap) for e in body):
            items = []
            for e in body:
                items.append(self.expr(e.value) if isinstance(e, A.DashItem)
                             else self.config_value(e.entries))
            return lambda fr: tuple(f(fr) for f in items)
        pairs = []
        for e in body:
            if isinstance(e, A.Binding | A.Assign):
                pairs.append((e.name, self.expr(e.value)))
            elif isinstance(e, A.Section):
                pairs.append((e.name, self.config_value(e.body)))
            else:
                return self.unsupported(e, "this entry of a config block")
        return lambda fr: {k: f(fr) for k, f in pairs}

    def on_error(self, s: A.Section) -> None:
        for rule in s.body:
            entries = rule.entries if isinstance(rule, A.DashMap) else ()
            kind = do = None
            for e in entries:
                if isinstance(e, A.Binding) and e.name == "when":
                    kind = A.dotted_name(e.value) or (
                        e.value.value if isinstance(e.value, A.Str) else None)
                elif isinstance(e, A.Binding) and e.name == "do":
                    do = self.expr(e.value)
                    where = e.value
            if kind and do is not None:
                self.prog.on_error.append((kind, do, where))

    def parallel(self, s: A.Section) -> Callable:
        tasks = []
        for e in s.body:
            if not isinstance(e, A.Binding):
                return self.unsupported(e, "this entry of parallel:")
            tasks.append((e.name, self.expr(e.value)))

        def parallel_(fr):
            if fr.tasks is None:
                fr.tasks = {}
            for name, ev in tasks:
                task_fr = Frame(fr.vars, fr.glob, fr.ctx, fr.depth, fr.prog, fr.parent)
                fr.tasks[name] = start_thread(lambda ev=ev, t=task_fr: ev(t))
            return None
        return parallel_

    def _call_of(self, value: A.Expr) -> A.Expr:
        """A step or transaction item: a bare name means a call with no arguments."""
        if isinstance(value, A.Name | A.Member):
            return A.Call(value.line, value.column, value.end_line, value.end_column,
                          value, (), ())
        return value

    def transaction(self, s: A.Section) -> Callable:
        items = []
        for e in s.body:
            if not isinstance(e, A.DashItem):
                return self.unsupported(e, "this entry of transaction:")
            call = self._call_of(e.value)
            ev = self.expr(call)
            items.append((ev if isinstance(ev, EffectCall) else None, ev, call))

        def needs_undo(eff: EffectCall) -> Optional[str]:
            if eff.effect in ("observability", "pure"):
                return None
            if getattr(eff.entry, "compensate", None):
                return None
            if eff.effect == "memory" and eff.name in MEMORY_COMPENSATIONS:
                return None
            return eff.name

        def transaction_(fr):
            ctx = fr.ctx
            missing = [(eff.name, call) for eff, _, call in items
                       if eff is not None and needs_undo(eff)]
            if missing:
                tool, call = missing[0]
                msg = (f"tool '{tool}' has no compensation, so it cannot run inside a "
                       "transaction (declare `compensate = \"UNDO_TOOL\"` for it)")
                if not ctx.simulate:
                    raise rt_error("AE413", msg, call)
                ctx.warnings.append(f"{call.line}: AE413 {msg} (simulated: effects are "
                                    "discarded)")
            done: list[tuple[EffectCall, ToolCall, Any]] = []
            try:
                for eff, ev, call in items:
                    if eff is None:
                        ev(fr)
                        continue
                    tc = eff.build(fr)
                    result = eff.perform(fr, tc)
                    done.append((eff, tc, result))
            except AetherRuntimeError as err:
                self._roll_back(fr, done, err)
                raise
            return None
        return transaction_

    def _roll_back(self, fr: Frame, done, err: AetherRuntimeError) -> None:
        """Undo the effects already done, newest first, through their compensations."""
        ctx = fr.ctx
        failures = []
        for eff, tc, result in reversed(done):
            comp = getattr(eff.entry, "compensate", None)
            if comp:
                entry = self.entry(comp)
                undo = ToolCall(comp, tc.args, tc.kwargs, entry,
                                getattr(entry, "effect", "tool"),
                                getattr(entry, "risk", "medium"),
                                tuple(getattr(entry, "capabilities", ()) or ()),
                                tc.line, tc.column, tc.step, tc.step_requires, tc.run_id,
                                tc.intent, tc.tool, result)
            elif eff.effect == "memory" and eff.name in MEMORY_COMPENSATIONS:
                comp = MEMORY_COMPENSATIONS[eff.name]
                entry = self.entry(comp)
                undo = ToolCall(comp, (result,), {}, entry, "memory",
                                getattr(entry, "risk", "medium"),
                                tuple(getattr(entry, "capabilities", ()) or ()),
                                tc.line, tc.column, tc.step, tc.step_requires, tc.run_id,
                                tc.intent, tc.tool, result)
            else:
                continue  # observability: a record, not an effect to undo
            ctx.emit("compensate", tool=comp, undoes=tc.tool, line=tc.line)
            try:
                dispatch(ctx, undo)
            except AetherRuntimeError as e:
                failures.append(f"{comp} (undoing {tc.tool}): {e.message}")
        if failures:
            err.message += "; compensation failed: " + "; ".join(failures)
            err.args = (err.message,)

    def workflow(self, s: A.Section) -> Callable:
        parts: list[Callable] = []
        wf_requires: Optional[Callable] = None
        for e in s.body:
            if isinstance(e, A.Binding) and e.name == "requires":
                wf_requires = self.expr(e.value)
            elif isinstance(e, A.Binding) and e.name == "output":
                out = self.expr(e.value)
                if self.prog.outputs is None:
                    self.prog.outputs = out
            elif isinstance(e, A.Binding):
                continue  # input, name, description, version: documentation
            elif isinstance(e, A.Section) and e.name == "steps":
                for item in e.body:
                    if not isinstance(item, A.DashItem):
                        parts.append(self.unsupported(item, "this entry of steps:"))
                        continue
                    parts.append(self.step(item, lambda fr: wf_requires(fr)
                                           if wf_requires else ()))
            else:
                parts.append(self.unsupported(e, "this entry of workflow:"))

        def workflow_(fr):
            for p in parts:
                p(fr)
            return None
        return workflow_

    def step(self, item: A.DashItem, wf_requires: Callable) -> Callable:
        call = self._call_of(item.value)
        ev = self.expr(call)
        alias = retry = timeout = requires = None
        for opt in item.options:
            if opt.name == "as" and isinstance(opt.value, A.Name):
                alias = opt.value.id
            elif opt.name == "retry":
                retry = self.expr(opt.value)
            elif opt.name == "timeout":
                timeout = self.expr(opt.value)
            elif opt.name == "requires":
                requires = self.expr(opt.value)
        func = call.func if isinstance(call, A.Call) else None
        label = alias or A.dotted_name(func) or f"step at line {item.line}"

        def step_(fr):
            ctx = fr.ctx
            ctx.count(1)
            tries = retry(fr) if retry is not None else 0
            if type(tries) is not int or tries < 0:
                raise rt_error("AE405", "retry must be a whole number", item)
            seconds = _duration(timeout(fr), item) if timeout is not None else None
            req = tuple(wf_requires(fr) or ()) + tuple((requires(fr) if requires else ()) or ())
            local = ctx.step_local
            saved = (getattr(local, "name", None), getattr(local, "requires", ()))
            local.name, local.requires = label, tuple(r for r in req if type(r) is str)
            try:
                for attempt in range(tries + 1):
                    ctx.emit("step_start", step=label, line=item.line, attempt=attempt + 1)
                    t0 = time.perf_counter()
                    entry = ctx.push_deadline(seconds, f"step '{label}'") if seconds else None
                    try:
                        value = ev(fr)
                        if entry is not None:
                            ctx.check_time()
                    except AetherRuntimeError as e:
                        if e.fatal or attempt == tries:
                            ctx.emit("step_end", step=label, line=item.line, outcome="error",
                                     rule=e.rule, attempt=attempt + 1,
                                     duration=round(time.perf_counter() - t0, 6))
                            raise e.place(item.line, item.column)
                        ctx.emit("retry", step=label, line=item.line, rule=e.rule,
                                 attempt=attempt + 1,
                                 duration=round(time.perf_counter() - t0, 6))
                        continue
                    finally:
                        if entry is not None:
                            ctx.pop_deadline(entry)
                    ctx.emit("step_end", step=label, line=item.line, outcome="ok",
                             attempt=attempt + 1, duration=round(time.perf_counter() - t0, 6))
                    if alias:
                        fr.vars[alias] = value
                    return None
            finally:
                local.name, local.requires = saved
            return None
        return step_

    # -------------------------------------------------------- expressions
    def expr(self, e: A.Expr) -> Callable:
        method = getattr(self, "e_" + type(e).__name__, None)
        if method is None:
            return self.unsupported(e, f"expression {type(e).__name__}")
        return method(e)

    def _const(self, v):
        return lambda fr: v

    def e_Str(self, e):
        return self._const(e.value)

    def e_Int(self, e):
        if not INT_MIN <= e.value <= INT_MAX:
            def too_big(fr):
                raise _overflow(e)
            return too_big
        return self._const(e.value)

    def e_Float(self, e):
        return self._const(float(e.value))

    def e_Duration(self, e):
        return self._const(float(e.seconds))

    def e_Bool(self, e):
        return self._const(bool(e.value))

    def e_Null(self, e):
        return self._const(None)

    def e_ListExpr(self, e):
        items = [self.expr(i) for i in e.items]
        if not items:
            return self._const(())
        return lambda fr: tuple([f(fr) for f in items])

    def e_DictExpr(self, e):
        pairs = [(k if isinstance(k, str) else str(k), self.expr(v))
                 for k, v in zip(e.keys, e.values)]
        return lambda fr: {k: f(fr) for k, f in pairs}

    def name_reader(self, name: str, node) -> Callable:
        prog = self

        def missing(fr):
            if fr.tasks and name in fr.tasks:
                v = _join(fr, name)
                fr.vars[name] = v
                return v
            if name in fr.glob:
                return fr.glob[name]
            fn = prog.prog.fns.get(name)
            if fn is not None:
                return fn
            if name in PURE or name in prog.catalogue.builtins or name in prog.plugins:
                return BuiltinValue(name)
            raise rt_error("AE415", f"name '{name}' is not bound", node)

        if self.locals is not None and name not in self.locals:
            def read_global(fr):
                try:
                    return fr.glob[name]
                except KeyError:
                    return missing(fr)
            return read_global

        def read(fr):
            try:
                return fr.vars[name]
            except KeyError:
                return missing(fr)
        return read

    def e_Name(self, e):
        hops = self.capture_depth(e.id)
        if hops:
            return self.captured_reader(e.id, hops, e)
        if e.id not in self.top_bound and (self.locals is None or e.id not in self.locals):
            if e.id in self.prog.fns:
                return self.fn_value(e.id)
        return self.name_reader(e.id, e)

    def fn_value(self, name: str) -> Callable:
        """The reader of ``fn name`` as a value: the fn itself, or for a nested fn a
        closure linked to the call of its enclosing fn."""
        fnv = self.prog.fns[name]
        where = self.parent_hops(name)
        if where is None:
            return self._const(fnv)
        return lambda fr: _closure(fnv, _frame_at(fr, where))

    def captured_reader(self, name: str, hops: int, node) -> Callable:
        """A read of ``name``, a local of the ``fn`` ``hops`` scopes out: in the frame of
        that fn's call the closure was made in, as it is now (late binding)."""
        inner, outer = self.current_fn, self.fn_ancestor(hops)

        def read_captured(fr):
            f = _frame_at(fr, hops)
            if f is None:
                raise rt_error("AE415", f"'{name}' is not bound: fn '{inner}' reads it from "
                               f"the enclosing fn '{outer}', and '{inner}' was not called "
                               f"from a call of '{outer}'", node)
            try:
                return f.vars[name]
            except KeyError:
                if f.tasks and name in f.tasks:
                    v = _join(f, name)
                    f.vars[name] = v
                    return v
                raise rt_error("AE415", f"name '{name}' is not bound (yet) in the enclosing "
                               f"fn '{outer}'", node) from None
        return read_captured

    def e_Unary(self, e):
        operand = self.expr(e.operand)
        if e.op == "not":
            return lambda fr: not truthy(operand(fr))

        def neg(fr):
            v = operand(fr)
            if type(v) is int:
                if v == INT_MIN:
                    raise _overflow(e)
                return -v
            if type(v) is float:
                return -v
            raise rt_error("AE401", f"cannot negate a {type_name(v)}", e)
        return neg

    def operand(self, e):
        """How a fast path reads an operand: a literal, a name (and where), or a closure."""
        if isinstance(e, A.Int) and INT_MIN <= e.value <= INT_MAX:
            return ("const", e.value)
        if isinstance(e, A.Float):
            return ("const", float(e.value))
        if isinstance(e, A.Str):
            return ("const", e.value)
        if isinstance(e, A.Name) and e.id.isidentifier() and not self.capture_depth(e.id):
            if e.id in self.top_bound or (self.locals is not None and e.id in self.locals) \
                    or e.id not in self.prog.fns:
                where = "glob" if self.locals is not None and e.id not in self.locals \
                    else "vars"
                return (where, (e.id, self.expr(e)))
        return ("expr", self.expr(e))

    def e_BinOp(self, e):
        if e.op in _ARITH:
            return gen_binary(e.op, self.operand(e.left), self.operand(e.right), e)
        left, right = self.expr(e.left), self.expr(e.right)
        op = _ARITH.get(e.op)
        if op is None:
            return self.unsupported(e, f"operator '{e.op}'")
        if e.op == "+":
            def add(fr):
                a = left(fr)
                b = right(fr)
                if type(a) is int and type(b) is int:
                    v = a + b
                    if INT_MIN <= v <= INT_MAX:
                        return v
                return op_add(a, b, e, fr.ctx.limits.max_value_size, fr.ctx)
            return add
        if e.op == "-":
            def sub(fr):
                a = left(fr)
                b = right(fr)
                if type(a) is int and type(b) is int:
                    v = a - b
                    if INT_MIN <= v <= INT_MAX:
                        return v
                return op_sub(a, b, e, 0)
            return sub
        if e.op == "*":
            def mul(fr):
                a = left(fr)
                b = right(fr)
                if type(a) is int and type(b) is int:
                    v = a * b
                    if INT_MIN <= v <= INT_MAX:
                        return v
                return op_mul(a, b, e, fr.ctx.limits.max_value_size, fr.ctx)
            return mul

        def arith(fr):
            return op(left(fr), right(fr), e, fr.ctx.limits.max_value_size, fr.ctx)
        return arith

    def e_Compare(self, e):
        if e.op in ("==", "!=", "<", "<=", ">", ">="):
            return gen_binary(e.op, self.operand(e.left), self.operand(e.right), e)
        left, right = self.expr(e.left), self.expr(e.right)
        op = e.op
        if op == "==" or op == "!=":
            want = op == "=="

            def eq(fr):
                a = left(fr)
                b = right(fr)
                ta = type(a)
                if ta is type(b) and (ta is int or ta is str):
                    return (a == b) is want
                return equal(a, b) is want
            return eq
        if op == "in":
            return lambda fr: op_in(left(fr), right(fr), e)
        if op not in ("<", "<=", ">", ">="):
            return self.unsupported(e, f"comparison '{op}'")

        def order(fr):
            a = left(fr)
            b = right(fr)
            if type(a) is int and type(b) is int:
                if op == "<":
                    return a < b
                if op == "<=":
                    return a <= b
                if op == ">":
                    return a > b
                return a >= b
            return op_order(op, a, b, e)
        return order

    def e_BoolOp(self, e):
        values = [self.expr(v) for v in e.values]
        if e.op == "and":
            def and_(fr):
                v = None
                for f in values:
                    v = f(fr)
                    if not truthy(v):
                        return v
                return v
            return and_

        def or_(fr):
            v = None
            for f in values:
                v = f(fr)
                if truthy(v):
                    return v
            return v
        return or_

    def e_Member(self, e):
        value = self.expr(e.value)
        attr = e.attr
        return lambda fr: get_member(value(fr), attr, e)

    def e_Index(self, e):
        value, index = self.expr(e.value), self.expr(e.index)
        return lambda fr: get_index(value(fr), index(fr), e)

    # -------------------------------------------------------- calls
    def effect(self, name, argfns, kwfns, node) -> EffectCall:
        return EffectCall(name, self.entry(name), tuple(argfns), tuple(kwfns), node)

    def e_Call(self, e: A.Call):
        argfns = [self.expr(a) for a in e.args]
        kwfns = [(k.name, self.expr(k.value)) for k in e.keywords]
        func = e.func
        if isinstance(func, A.Name):
            # A call by the name of a fn of the file, a builtin or a tool calls it, whatever
            # value a binding, parameter or enclosing local of that name holds: `check`
            # resolves calls among callables only, and the run must call what it checked
            # (docs/language.md, name resolution). Only another name is called as a value.
            name = func.id
            if name in self.prog.fns:
                return self._static_fn(name, argfns, kwfns, e)
            if name in PURE:
                return self._pure(name, argfns, kwfns, e)
            b = self.catalogue.builtins.get(name)
            if b is not None:
                if b.effect == "pure":
                    return self.unsupported(e, f"builtin '{name}'")
                return self.effect(name, argfns, kwfns, e)
            if self.entry(name) is not None:
                return self.effect(name, argfns, kwfns, e)
            return self._dynamic(self.expr(func), argfns, kwfns, e)
        if isinstance(func, A.Member):
            # A dotted call on a plugin listed in `require:` calls the plugin's member,
            # whatever value a binding, parameter or local of the plugin's name holds:
            # the same precedence as a call by name, and what `check` checked
            # (docs/language.md, name resolution). Any other dotted call is a method call.
            dotted = A.dotted_name(func)
            if dotted and dotted.split(".", 1)[0] in self.plugins:
                return self.effect(dotted, argfns, kwfns, e)
            return self._method(func, argfns, kwfns, e)
        return self._dynamic(self.expr(func), argfns, kwfns, e)

    def _pure(self, name, argfns, kwfns, e):
        impl = PURE[name]
        line, col = e.line, e.column
        if not kwfns and len(argfns) == 1:
            a0 = argfns[0]

            def call1(fr):
                try:
                    return impl(fr, a0(fr))
                except AetherRuntimeError as err:
                    raise err.place(line, col)
                except (TypeError, ValueError, OverflowError, IndexError, KeyError) as exc:
                    raise rt_error("AE405", f"bad argument to '{name}': {exc}", e) from None
            return call1

        if not kwfns and len(argfns) == 2:
            a0, a1 = argfns

            def call2(fr):
                try:
                    return impl(fr, a0(fr), a1(fr))
                except AetherRuntimeError as err:
                    raise err.place(line, col)
                except (TypeError, ValueError, OverflowError, IndexError, KeyError) as exc:
                    raise rt_error("AE405", f"bad argument to '{name}': {exc}", e) from None
            return call2

        def call(fr):
            args = [a(fr) for a in argfns]
            kw = {k: f(fr) for k, f in kwfns}
            return _call_pure(impl, name, fr, args, kw, e)
        return call

    def _static_fn(self, name, argfns, kwfns, e):
        fd = self.fndefs[name]
        params = [p.name for p in fd.params]
        kwmap = dict(kwfns)
        plan: list[Optional[Callable]] = []
        for i, p in enumerate(params):
            if i < len(argfns):
                plan.append(argfns[i])
            elif p in kwmap:
                plan.append(kwmap[p])
            else:
                plan.append(None)  # the default
        if len(argfns) > len(params) or set(kwmap) - set(params[len(argfns):]):
            return self._dynamic(self.fn_value(name), argfns, kwfns, e)
        prog = self.prog
        defaults = self.defaults
        fnv = prog.fns[name]
        hops = self.parent_hops(name)
        if all(p is not None for p in plan):
            return self._fast_invoke(fnv, tuple(plan), e, hops)

        def call_fn_defaults(fr):
            dfl = defaults[name]
            parent = _frame_at(fr, hops)
            values = []
            for i, f in enumerate(plan):
                if f is not None:
                    values.append(f(fr))
                elif dfl[i] is not None:
                    values.append(dfl[i](Frame(fr.glob, fr.glob, fr.ctx, fr.depth, prog,
                                               parent)))
                else:
                    raise rt_error("AE405", f"'{name}' is missing argument '{params[i]}'", e)
            return prog.invoke(fr, fnv if hops is None else _closure(fnv, parent), values, e)
        return call_fn_defaults

    def _fast_invoke(self, fnv: FnValue, srcs: tuple, e, hops: Optional[int] = None
                     ) -> Callable:
        """A call of a known ``fn`` with every argument given: no argument binding."""
        prog = self.prog
        params = fnv.params
        line, col, name = e.line, e.column, fnv.name
        n = len(srcs)
        a0 = srcs[0] if n > 0 else None
        a1 = srcs[1] if n > 1 else None

        def call_fn(fr):
            if n == 1:
                local = {params[0]: a0(fr)}
            elif n == 2:
                local = {params[0]: a0(fr), params[1]: a1(fr)}
            else:
                local = dict(zip(params, [f(fr) for f in srcs]))
            ctx = fr.ctx
            depth = fr.depth + 1
            if depth > ctx.limits.max_depth:
                raise rt_error("AE406", f"calls nested more than {ctx.limits.max_depth} deep "
                               f"(in '{name}')", e)
            nf = Frame(local, fr.glob, ctx, depth, prog,
                       None if hops is None else _frame_at(fr, hops))
            try:
                r = fnv.code(nf)
            except AetherRuntimeError as err:
                err.stack.append(StackFrame(name, line, col))
                raise
            if nf.tasks:
                _join_all(nf)
            return nf.ret if r == RETURN else None
        return call_fn

    def _dynamic(self, callee, argfns, kwfns, e):
        prog = self.prog

        def call_value(fr):
            fn = callee(fr)
            args = tuple(a(fr) for a in argfns)
            kw = {k: f(fr) for k, f in kwfns}
            return prog.call_value(fr, fn, args, kw, e)
        return call_value

    def _method(self, func: A.Member, argfns, kwfns, e):
        recv = self.expr(func.value)
        name = func.attr
        prog = self.prog
        setter = None
        if name in MUTATING:
            try:
                _, setter = self.place(func.value.id if isinstance(func.value, A.Name)
                                       else func.value)
            except ValueError:
                setter = None

        def method_call(fr):
            r = recv(fr)
            args = [a(fr) for a in argfns]
            kw = {k: f(fr) for k, f in kwfns}
            t = type(r)
            if t is dict and (t, name) not in METHODS:
                if name in r:
                    return prog.call_value(fr, r[name], tuple(args), kw, e)
            impl = METHODS.get((t, name))
            if impl is None:
                try:
                    method_impl(r, name)
                except AetherRuntimeError as err:
                    raise err.place(e.line, e.column)
            result = _call_pure(impl, name, fr, [r] + args, kw, e)
            if name in MUTATING:
                new_recv, result = result
                if setter is not None:
                    setter(fr, new_recv)
            return result
        return method_call


# ---------------------------------------------------------------- block code generation
# A block is compiled to the source of one Python function: the statements the generator
# knows (bindings, +=/-=, calls, return, break/continue, if, for, while) are written
# inline, with their expressions flattened into temporaries and the fast paths of
# arithmetic, comparisons, fn calls and a few hot builtins (append, len, str) written out;
# anything else is called as the closure the Compiler methods build. Only identifiers
# checked with str.isidentifier, reprs of str/int literals and names of the env dict are
# placed into the text; every other value goes through env.
_MAX_INDENT = 24      # Python allows 100 levels of indentation
_MAX_LOOPS = 8        # and 20 statically nested loop/try blocks
_MAX_EXPR_DEPTH = 40  # deeper expressions are closures (their own Python frames)


class _Gen:
    """The source of one block function; :meth:`build` returns the function."""

    def __init__(self, comp: "Compiler", top: bool):
        self.c = comp
        self.top = top
        self.lines: list[str] = []
        self.env: dict = {"_check": _check, "truthy": truthy, "equal": equal,
                          "op_order": op_order, "Frame": Frame, "_join_all": _join_all,
                          "AetherRuntimeError": AetherRuntimeError, "StackFrame": StackFrame,
                          "INT_MIN": INT_MIN, "INT_MAX": INT_MAX, "_bad_arg": _bad_arg,
                          "BIG": BIG,
                          "_for_error": _for_error, "_depth_error": _depth_error,
                          "PROG": comp.prog}
        self.n = 0
        self.indent = 1
        self.loops = 0
        self.edepth = 0

    # ---------------------------------------------------- helpers
    def name(self, prefix: str, value=None) -> str:
        self.n += 1
        key = f"{prefix}{self.n}"
        if value is not None:
            self.env[key] = value
        return key

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def build(self, stmts) -> Callable:
        self.block(stmts, in_loop=False)
        body = "\n".join(self.lines)
        # read only the frame's fields the body uses
        prologue = "".join(f"    {k} = fr.{f}\n" for k, f in (("V", "vars"), ("G", "glob"))
                           if f"{k}[" in body or f", {k}," in body)
        code = "def run_block(fr):\n    ctx = fr.ctx\n" + prologue + body + "\n    return None\n"
        exec(code, self.env)  # noqa: S102 - generated from the fixed templates of _Gen
        return self.env["run_block"]

    def closure_result(self, fn: Callable, in_loop: bool) -> None:
        s = self.name("S", fn)
        self.emit(f"r = {s}(fr)")
        self.emit("if r is not None:")
        if in_loop:
            self.emit("    if r == 1:")
            self.emit("        break")
            self.emit("    if r == 2:")
            self.emit("        continue")
        self.emit("    return r")

    def as_var(self, v: str) -> str:
        """``v`` held in a variable (a literal is never the operand of ``is``)."""
        if v.startswith("t"):
            return v
        t = self.name("t")
        self.emit(f"{t} = {v}")
        return t

    # ---------------------------------------------------- statements
    def block(self, stmts, in_loop: bool) -> None:
        first = self.name("N", stmts[0]) if stmts else "None"
        self.emit(f"ctx.steps += {len(stmts)}")
        self.emit("if ctx.steps >= ctx._check_at:")
        self.emit(f"    _check(ctx, {first})")
        for s in stmts:
            self.stmt(s, in_loop)

    def stmt(self, s, in_loop: bool) -> None:
        c = self.c
        top = self.top
        t = type(s)
        if t is A.Binding and getattr(s, "target", None) is None and s.name.isidentifier() \
                and not (top and s.name in ("goal", "memory")):
            v = self.value(s.value)
            self.emit(f"V[{s.name!r}] = {v}")
            return
        if t is A.AugAssign and getattr(s, "target", None) is None and s.name.isidentifier():
            name_node = A.Name(s.line, s.column, s.line, s.column + len(s.name), s.name)
            v = self.arith("+" if s.op == "+=" else "-", name_node, s.value, s)
            self.emit(f"V[{s.name!r}] = {v}")
            return
        if t is A.CallStmt:
            self.value(s.call)
            return
        if t is A.Return:
            v = self.value(s.value) if s.value is not None else "None"
            self.emit(f"fr.ret = {v}")
            self.emit("return 3")
            return
        if t is A.Break:
            self.emit("break" if in_loop else "return 1")
            return
        if t is A.Continue:
            self.emit("continue" if in_loop else "return 2")
            return
        if t is A.FnDef:
            return  # hoisted
        deep = self.indent >= _MAX_INDENT or self.loops >= _MAX_LOOPS
        if t is A.If and not deep:
            self.emit(f"if {self.test(s.test)}:")
            self.indent += 1
            self.block(s.body, in_loop)
            self.indent -= 1
            if s.orelse:
                self.emit("else:")
                self.indent += 1
                self.block(s.orelse, in_loop)
                self.indent -= 1
            return
        if t is A.For and not deep and s.target.isidentifier():
            seq = self.name("t")
            self.emit(f"{seq} = {self.value(s.iter)}")
            node = self.name("N", s.iter)
            self.emit(f"ts = type({seq})")
            self.emit(f"if ts is dict:\n{'    ' * self.indent}    {seq} = tuple({seq})")
            self.emit(f"elif {seq} is None:\n{'    ' * self.indent}    {seq} = ()")
            self.emit(f"elif ts is not tuple and ts is not str:\n{'    ' * self.indent}"
                      f"    _for_error({seq}, {node})")
            x = self.name("x")
            self.emit(f"for {x} in {seq}:")
            self.indent += 1
            self.loops += 1
            self.emit(f"V[{s.target!r}] = {x}")
            self.block(s.body, True)
            self.loops -= 1
            self.indent -= 1
            return
        if t is A.While and not deep:
            node = self.name("N", s)
            self.emit("while True:")
            self.indent += 1
            self.loops += 1
            self.emit("ctx.steps += 1")
            self.emit("if ctx.steps >= ctx._check_at:")
            self.emit(f"    _check(ctx, {node})")
            self.emit(f"if not ({self.test(s.test)}):")
            self.emit("    break")
            self.block(s.body, True)
            self.loops -= 1
            self.indent -= 1
            return
        fn = c.stmt(s, top)
        if fn is not None:
            self.closure_result(fn, in_loop)

    # ---------------------------------------------------- expressions
    def value(self, e) -> str:
        """Emit the code computing ``e``; the name (or literal) holding its value."""
        if self.edepth >= _MAX_EXPR_DEPTH:
            return self.closure(e)
        self.edepth += 1
        try:
            return self._value(e)
        finally:
            self.edepth -= 1

    def closure(self, e) -> str:
        f = self.name("F", self.c.expr(e))
        t = self.name("t")
        self.emit(f"{t} = {f}(fr)")
        return t

    def _value(self, e) -> str:
        c = self.c
        t = type(e)
        if t is A.Int and INT_MIN <= e.value <= INT_MAX:
            return f"({e.value!r})"
        if t is A.Float:
            return self.name("K", float(e.value))
        if t is A.Str:
            return self.name("K", e.value) if len(e.value) > 200 else f"({e.value!r})"
        if t is A.Bool:
            return "True" if e.value else "False"
        if t is A.Null:
            return "None"
        if t is A.Name and e.id.isidentifier():
            fn_name = e.id not in c.top_bound and e.id in c.prog.fns and (
                c.locals is None or e.id not in c.locals)
            if c.capture_depth(e.id) or (fn_name and c.captures_fn(e.id)):
                return self.closure(e)  # a closure's read, or a closure value
            if fn_name:
                return self.name("K", c.prog.fns[e.id])
            where = "G" if c.locals is not None and e.id not in c.locals else "V"
            r = self.name("R", c.name_reader(e.id, e))
            v = self.name("t")
            self.emit(f"try:\n{'    ' * self.indent}    {v} = {where}[{e.id!r}]")
            self.emit(f"except KeyError:\n{'    ' * self.indent}    {v} = {r}(fr)")
            return v
        if t is A.BinOp and e.op in _ARITH:
            return self.arith(e.op, e.left, e.right, e)
        if t is A.Compare and e.op in ("==", "!=", "<", "<=", ">", ">="):
            return self.compare(e)
        if t is A.Call and isinstance(e.func, A.Name) and e.func.id.isidentifier():
            done = self.call(e)
            if done is not None:
                return done
        return self.closure(e)

    def arith(self, op: str, left, right, node) -> str:
        a = self.value(left)
        b = self.value(right)
        nd = self.name("N", node)
        slow = self.name("OP", _ARITH[op])
        v = self.name("t")
        ind = "    " * self.indent
        both = self.both_int(a, b)
        if op in ("+", "-", "*"):
            # the walrus keeps the result of the range test; off the fast path the helper
            # computes again, with the full semantics
            self.emit(f"if {both} and {INT_MIN} <= ({v} := {a} {op} {b}) <= {INT_MAX}:")
            self.emit("    pass")
            if op == "+":
                # short strings only: a long one is counted against the memory budget
                self.emit(f"elif type({a}) is str and type({b}) is str and "
                          f"(n := len({a}) + len({b})) < BIG and "
                          f"n <= ctx.limits.max_value_size:\n{ind}    {v} = {a} + {b}")
            self.emit(f"else:\n{ind}    {v} = {slow}({a}, {b}, {nd}, "
                      "ctx.limits.max_value_size, ctx)")
        else:
            self.emit(f"if {both} and {b}:\n{ind}    {v} = {a} {op} {b}")
            self.emit(f"else:\n{ind}    {v} = {slow}({a}, {b}, {nd}, 0)")
        return v

    @staticmethod
    def both_int(a: str, b: str) -> str:
        """The test that two operands are ints (an int literal needs none)."""
        tests = [f"type({x}) is int" for x in (a, b) if not _int_literal(x)]
        return " and ".join(tests) or "True"

    def test(self, e) -> str:
        """The condition of ``if``/``while``: a comparison is already a bool."""
        if type(e) is A.Compare and e.op in ("==", "!=", "<", "<=", ">", ">=") \
                and self.edepth < _MAX_EXPR_DEPTH:
            return self.as_var(self.value(e))
        t = self.as_var(self.value(e))
        return f"{t} is True or ({t} is not False and truthy({t}))"

    def compare(self, e) -> str:
        a = self.value(e.left)
        b = self.value(e.right)
        v = self.name("t")
        ind = "    " * self.indent
        op = e.op
        if op in ("==", "!="):
            self.emit(f"if type({a}) is type({b}) and (type({a}) is int or type({a}) is str):"
                      f"\n{ind}    {v} = {a} {op} {b}")
            self.emit(f"else:\n{ind}    {v} = equal({a}, {b}) is {op == '=='}")
        else:
            nd = self.name("N", e)
            self.emit(f"if {self.both_int(a, b)}:\n{ind}    {v} = {a} {op} {b}")
            self.emit(f"else:\n{ind}    {v} = op_order({op!r}, {a}, {b}, {nd})")
        return v

    def call(self, e) -> Optional[str]:
        """A call of a known ``fn`` with every argument, or of a pure builtin without
        keywords; None when the call is another kind (compiled as a closure)."""
        c = self.c
        name = e.func.id
        # (a fn's or builtin's name is called whatever it is also bound to: see e_Call)
        if name in c.prog.fns:
            fd = c.fndefs[name]
            params = [p.name for p in fd.params]
            if e.keywords or len(e.args) != len(params) or c.captures_fn(name) \
                    or not all(p.isidentifier() for p in params):
                return None
            args = [self.value(a) for a in e.args]
            fnv = self.name("FN", c.prog.fns[name])
            nd = self.name("N", e)
            sf = self.name("SF", (name, e.line, e.column))
            ind = "    " * self.indent
            v = self.name("t")
            local_map = "{" + ", ".join(f"{p!r}: {a}" for p, a in zip(params, args)) + "}"
            self.emit("d = fr.depth + 1")
            self.emit(f"if d > ctx.limits.max_depth:\n{ind}    _depth_error(ctx, {fnv}, {nd})")
            self.emit(f"nf = Frame({local_map}, G, ctx, d, PROG)")
            self.emit(f"try:\n{ind}    r = {fnv}.code(nf)")
            self.emit(f"except AetherRuntimeError as err:\n"
                      f"{ind}    err.stack.append(StackFrame(*{sf}))\n{ind}    raise")
            self.emit(f"if nf.tasks:\n{ind}    _join_all(nf)")
            self.emit(f"{v} = nf.ret if r == 3 else None")
            return v
        impl = PURE.get(name)
        if impl is None or e.keywords:
            return None
        args = [self.value(a) for a in e.args]
        ind = "    " * self.indent
        v = self.name("t")
        if name == "len" and len(args) == 1:
            a = args[0]
            self.emit(f"if type({a}) is tuple or type({a}) is str:\n{ind}    {v} = len({a})")
            self.emit("else:")
            self.indent += 1
        elif name == "append" and len(args) == 2:
            a, b = args
            self.emit(f"if type({a}) is tuple and len({a}) < BIG and "
                      f"len({a}) < ctx.limits.max_value_size:\n"
                      f"{ind}    {v} = {a} + ({b},)")
            self.emit("else:")
            self.indent += 1
        elif name == "str" and len(args) == 1:
            a = args[0]
            self.emit(f"if type({a}) is int and ctx.limits.max_value_size >= 20:\n"
                      f"{ind}    {v} = str({a})")
            self.emit(f"elif type({a}) is str and len({a}) <= ctx.limits.max_value_size:\n"
                      f"{ind}    {v} = {a}")
            self.emit("else:")
            self.indent += 1
        else:
            ind = None
        f = self.name("B", impl)
        nd = self.name("N", e)
        i2 = "    " * self.indent
        self.emit(f"try:\n{i2}    {v} = {f}(fr, {', '.join(args)})")
        self.emit(f"except AetherRuntimeError as err:\n{i2}    raise err.place"
                  f"({e.line!r}, {e.column!r})")
        self.emit(f"except (TypeError, ValueError, OverflowError, IndexError, KeyError) "
                  f"as exc:\n{i2}    _bad_arg({name!r}, exc, {nd})")
        if ind is not None:
            self.indent -= 1
        return v


def _int_literal(code: str) -> bool:
    return code.startswith("(") and code[1:-1].lstrip("-").isdigit()


def _bad_arg(name, exc, node):
    raise rt_error("AE405", f"bad argument to '{name}': {exc}", node) from None


def _for_error(seq, node):
    raise rt_error("AE401", f"cannot loop over a {type_name(seq)}", node)


def _depth_error(ctx, fnv, node):
    raise rt_error("AE406", f"calls nested more than {ctx.limits.max_depth} deep "
                   f"(in '{fnv.name}')", node)
