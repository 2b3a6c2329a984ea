"""Library entry points of ``aether run``: check, compile, run, and return a RunResult.

``run_source`` / ``run_file`` are what the CLI and the failure classifier call
(in-process). A file runs only when ``check`` passes; otherwise its findings and status
come back and nothing runs. Whatever happens, the result is a :class:`RunResult` with a
status code of the fixed table: no Python exception escapes (a genuine bug is
INTERNAL_ERROR, 27, with a message).
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import threading
import time
import uuid
from concurrent.futures import TimeoutError as _WaitTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..codes import Status
from ..interrupt import Terminated
from .compiler import Compiler, Frame, Program, _join_all, start_thread
from .context import (FIXED_EPOCH, POKE_EVERY, Clock, Context, Limits, RandomHook,
                      VirtualClock)
from .dispatch import BindingDispatcher, Dispatcher, MemoryStore, SimulateDispatcher
from .errors import AetherRuntimeError, rt_error
from .values import BuiltinValue, FnValue, check_sizes, from_host, to_json

__all__ = ["RunOptions", "RunResult", "run_source", "run_file", "parse_input_value"]

_RECURSION_LIMIT = 60_000  # Python frames a run may use; the Aether depth limit comes first


@dataclass(frozen=True)
class RunOptions:
    """How to run. ``None`` means "the default, or what the script's policy says"."""

    max_steps: Optional[int] = None
    timeout: Optional[float] = None  # seconds of wall time for the whole run
    max_depth: int = 200
    max_value_size: int = 10_000_000
    # bytes the process's resident memory may grow by during the run (None: no limit)
    max_memory: Optional[int] = 2 * 1024 ** 3
    clock: Optional[Clock] = None  # injected clock (tests); deterministic runs fix one
    seed: Optional[int] = None
    trace: Optional[Callable[[dict], None]] = None  # receives every lifecycle event
    run_id: Optional[str] = None
    events: Optional[Callable[[dict], None]] = None  # also receives every event (--events)
    # The seed of the random hook when neither ``seed`` nor ``policy: seed`` gives one
    # (a governed run draws one and records it, so that a resumed run replays it).
    fallback_seed: Optional[int] = None
    resume: bool = False  # the run id exists in the store: reopen it instead of creating


DEFAULT_MAX_STEPS = 10_000_000
DEFAULT_TIMEOUT = 300.0


@dataclass
class RunResult:
    """The outcome of one run (``status`` is the exit status of ``aether run``)."""

    status: int
    outputs: dict = field(default_factory=dict)
    error: Optional[dict] = None  # rule, kind, message, line, column, stack
    steps: int = 0
    tool_calls: list = field(default_factory=list)  # one summary per dispatched call
    run_id: str = ""
    findings: list = field(default_factory=list)  # check findings when the check failed
    warnings: list = field(default_factory=list)
    printed: list = field(default_factory=list)
    handled_by: Optional[str] = None  # the on_error kind whose handler ran
    digest: str = ""
    # The verified signature (state, keyid, principal, signed_at, signer, note) when the
    # file's signature was checked (run_file with ``signatures``); None otherwise.
    signature: Optional[dict] = None

    @property
    def ok(self) -> bool:
        return self.status == 0

    def to_json(self) -> dict:
        return {"status": self.status, "code_name": Status(self.status).name,
                "run_id": self.run_id, "digest": self.digest, "outputs": self.outputs,
                "error": self.error, "steps": self.steps, "tool_calls": self.tool_calls,
                "warnings": self.warnings, "printed": self.printed,
                "handled_by": self.handled_by, "signature": self.signature,
                "findings": [f.to_dict() for f in self.findings]}


def parse_input_value(text: str) -> Any:
    """A ``--input NAME=VALUE`` value: JSON when it parses as JSON, else the string."""
    import json

    try:
        return from_host(json.loads(text))
    except (ValueError, RecursionError, AetherRuntimeError):
        return text


def run_file(path: str, *, inputs: Optional[dict] = None, simulate: bool = False,
             options: RunOptions = RunOptions(), dispatcher: Optional[Dispatcher] = None,
             catalogue=None, root: Optional[str] = None, store=None,
             signatures=None) -> RunResult:
    """Read ``path`` and run it (see :func:`run_source`); an unreadable file is IO_ERROR.

    ``signatures`` (an :class:`aether.signing.verify.VerifyOptions`): verify the file's
    signature first; a failing verdict is SIGNATURE_ERROR (22) with its AE5xx findings
    and nothing runs. The verdict (key id, principal...) is the result's ``signature``.
    """
    from ..source import read_source

    read = read_source(path)
    if read.error is not None:
        return RunResult(int(read.error.status), findings=[read.error])
    signature = None
    if signatures is not None:
        from ..signing.verify import verify_text

        verdict = verify_text(read.text or "", read.data or b"", path, signatures)
        signature = verdict.to_json()
        if not verdict.ok:
            return RunResult(int(Status.SIGNATURE_ERROR), findings=list(verdict.findings),
                             signature=signature)
    result = run_source(read.text, path, inputs=inputs, simulate=simulate, options=options,
                        dispatcher=dispatcher, catalogue=catalogue, root=root,
                        store=store, signature=signature)
    result.signature = signature
    return result


def run_source(text: str, path: str = "<string>", *, inputs: Optional[dict] = None,
               simulate: bool = False, options: RunOptions = RunOptions(),
               dispatcher: Optional[Dispatcher] = None, catalogue=None,
               root: Optional[str] = None, store=None,
               signature: Optional[dict] = None, parsed=None) -> RunResult:
    """Check ``text`` against ``catalogue`` (default: the builtins) and, when the check
    passes, run it.

    ``inputs`` are what ``parse_input()`` returns (values are converted to Aether values;
    a value that is not JSON-shaped is AE405). ``simulate`` replaces every effectful tool
    by the recording :class:`SimulateDispatcher`, as does ``policy: mock_io: true``; else
    ``dispatcher``, or by default a :class:`BindingDispatcher` over the catalogue's
    bindings (python / command / mcp, run in the project ``root``, default the current
    folder), closed when the run ends (a caller's own dispatcher is the caller's to close).

    ``store`` (an :class:`aether.store.Store`) records the run (a row, its events) and,
    unless simulated, keeps the memory builtins' records (namespace: the project root).
    ``signature`` (the file's verified signature, from :func:`run_file`) is handed to the
    dispatcher's ``begin_run`` (governance records the signer in the ledger).
    ``parsed``: ``parse(text)`` when the caller has it already (``classify`` reads the
    manifest from it), else the text is parsed here; it is checked and compiled.
    Returns a RunResult; never raises.
    """
    try:
        return _run(text, path, inputs, simulate, options, dispatcher, catalogue, root, store,
                    signature, parsed)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, coded 27
        return RunResult(int(Status.INTERNAL_ERROR), error={
            "rule": "AE999", "kind": "RuntimeError", "line": 0, "column": 0, "stack": [],
            "message": f"internal error: {type(exc).__name__}: {exc} (this is a bug)"})


def _run(text, path, inputs, simulate, options, dispatcher, catalogue, root,
         store, signature=None, parsed=None) -> RunResult:
    import os

    from ..checker import CheckOptions, check_text
    from ..semantics.catalogue import load_catalogue
    from ..syntax import parse

    # one parse: the check is handed the tree that is compiled after it
    if parsed is None:
        parsed = parse(text)
    checked = check_text(text, path, CheckOptions(catalogue=catalogue), parsed=parsed)
    if checked.findings:
        return RunResult(int(checked.status), findings=list(checked.findings))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    catalogue = catalogue or load_catalogue()
    root = os.path.abspath(root or os.getcwd())
    module = parsed.module
    del parsed
    try:
        # compiled with the deep stack the program runs with: compiling recurses once per
        # level of an expression (`a.b.c...`, `1 + 1 + ...` thousands long pass `check`)
        with deep_recursion():
            program = start_thread(lambda: Compiler(catalogue).compile(module)).result()
    except AetherRuntimeError as e:  # no thread to compile in
        return _error_result(e, digest=digest)
    except (RecursionError, MemoryError):
        return _error_result(rt_error("AE406", "the program nests too deeply to compile "
                                      "(an expression thousands of levels deep)"),
                             digest=digest)

    try:
        inputs_value = check_sizes(from_host(dict(inputs or {})), options.max_value_size)
    except AetherRuntimeError as e:
        return _error_result(e, digest=digest)
    # The catalogue's [inputs] the workflow reads: given and of their type, or the run is
    # refused here, before anything is recorded or run (the one place inputs are bound:
    # `aether run`, governed runs and their resumption, classify's simulate runs)
    from .inputs import InputError, inputs_to_bind

    try:
        bound_inputs = inputs_to_bind(module, catalogue, inputs_value)
    except InputError as exc:
        from ..diagnostics import Finding

        return RunResult(int(Status.IO_ERROR), digest=digest,
                         findings=[Finding("AE008", exc.message, content="<inputs>")])
    # Config sections are data: evaluate them first, with no tools, so that the policy
    # applies from the first statement on.
    boot = Context(Limits(max_steps=100_000, timeout=None), clock=VirtualClock(),
                   catalogue=catalogue, dispatcher=SimulateDispatcher())
    boot_frame = Frame({}, {}, boot, 0, program)
    config: dict[str, Any] = {}
    try:
        for name, evaluator in program.config.items():
            config[name] = evaluator(boot_frame)
    except AetherRuntimeError as e:
        return _error_result(e, digest=digest)
    policy = config.get("policy") if isinstance(config.get("policy"), dict) else {}

    deterministic = policy.get("deterministic") is True
    seed = options.seed if options.seed is not None else policy.get("seed")
    if type(seed) is not int:
        seed = 0 if deterministic else options.fallback_seed
    clock = options.clock or (VirtualClock(FIXED_EPOCH) if deterministic else None)
    rng = RandomHook(seed)
    # A deterministic run draws its id from the random hook; a resumed one (its id given)
    # still draws it, so that the program's random values are the original run's.
    drawn = rng.uuid() if deterministic else None
    run_id = options.run_id or drawn or str(uuid.uuid4())
    limits = _limits(options, policy)
    owned = None  # a dispatcher this run made, and closes
    if simulate or policy.get("mock_io") is True:
        simulate = True
        # A wrapping dispatcher (governance) keeps wrapping, around a simulation.
        wrap = getattr(dispatcher, "simulated", None)
        dispatcher = wrap() if wrap is not None else SimulateDispatcher()
    elif dispatcher is None:
        from .bindings import Bindings

        dispatcher = owned = BindingDispatcher(bindings=Bindings(catalogue, root))
    if store is not None and not simulate:
        from ..walk import printable_path

        # a root that is not UTF-8 is named by its \xff escapes (no UTF-8 column holds it)
        dispatcher.memory = MemoryStore(store, namespace=printable_path(root))
    recorder = _Recorder(store, run_id, options)
    ctx = Context(limits, clock=clock, rng=rng, dispatcher=dispatcher, catalogue=catalogue,
                  run_id=run_id, inputs=inputs_value, simulate=simulate,
                  trace=recorder.emit if recorder.active else None)
    ctx.digest = digest
    ctx.signature = signature
    ctx.seed = seed
    ctx.deterministic = deterministic
    ctx.config = config
    ctx.intent = program.goal
    ctx.plugins = frozenset(Compiler(catalogue)._plugins(module))
    for key in sorted(set(policy) & _NOT_ENFORCED):
        ctx.warnings.append(f"policy: {key} is read but not enforced by this runtime yet "
                            "(governance enforces it)")
    started = time.time()
    try:
        if store is not None:
            from ..store import RunRecord, StoreError
            from ..walk import printable_path

            try:
                if options.resume and store.get_run(run_id) is not None:
                    store.reopen_run(run_id)
                else:
                    # the row shows the path (a name that is not UTF-8 as \xff escapes:
                    # a lone surrogate cannot be stored); the checkpoint keeps the real one
                    store.create_run(RunRecord(run_id, printable_path(path), digest,
                                               to_json(inputs_value),
                                               started_at=started, simulated=simulate))
            except StoreError as exc:
                return RunResult(int(Status.IO_ERROR), run_id=run_id, digest=digest, error={
                    "rule": "AE410", "kind": "PluginError", "line": 0, "column": 0,
                    "stack": [], "message": f"cannot record the run: {exc}"})
        ctx.emit("run_start", workflow=path, simulated=simulate,
                 inputs=sorted(inputs_value))
        t0 = time.perf_counter()
        begin = getattr(dispatcher, "begin_run", None)  # governance: require: before step one
        try:
            if begin is not None:
                begin(ctx, digest)
        except AetherRuntimeError as e:
            result = _error_result(e, digest=digest, run_id=run_id)
        else:
            with deep_recursion():  # the program and its on_error handler
                try:
                    result = _execute(program, ctx, bound_inputs)
                except (KeyboardInterrupt, SystemExit, Terminated) as exc:
                    _record_interrupt(store, recorder, run_id, digest, exc)
                    raise
        result.digest = digest
        end = getattr(dispatcher, "end_run", None)  # governance: the ledger's closing entry
        if end is not None:
            end(ctx, result)
        result.tool_calls = [{"tool": c.tool, "effect": c.effect, "line": c.line,
                              "step": c.step, "args": _json_or_note(c.args),
                              "kwargs": _json_or_note(c.kwargs)}
                             for c in getattr(dispatcher, "calls", ())]
        if result.error:
            e = result.error
            ctx.emit("error", line=e["line"], rule=e["rule"], kind=e["kind"],
                     message=e["message"], column=e["column"],
                     stack=[f["fn"] for f in e["stack"]])
        ctx.emit("run_end", status=result.status,
                 outcome="succeeded" if result.status == 0 else "failed",
                 rule=result.error["rule"] if result.error else None,
                 steps=result.steps, tool_calls=len(result.tool_calls),
                 duration=round(time.perf_counter() - t0, 6))
    finally:
        if owned is not None:
            owned.close()
    if store is not None:
        recorder.finish(result, time.time())
    result.warnings.extend(recorder.warnings)
    return result


def _record_interrupt(store, recorder, run_id: str, digest: str, exc: BaseException) -> None:
    """A run ended by a signal is recorded as failed (130 for SIGINT, 143 for SIGTERM), so
    that no row says "running" for a dead process. A governed run keeps its state: its
    checkpoint makes it resumable, like a run that crashed."""
    if store is None:
        return
    try:
        if getattr(store, "load_checkpoint", None) and store.load_checkpoint(run_id):
            return
    except Exception:  # noqa: BLE001 - recording the end must not hide the signal
        return
    status = 130 if isinstance(exc, KeyboardInterrupt) or (
        isinstance(exc, SystemExit) and exc.code == 130) else 143
    why = "SIGINT" if status == 130 else "SIGTERM"
    recorder.finish(RunResult(status, run_id=run_id, digest=digest, error={
        "rule": "AE409", "kind": "Interrupted", "message": f"the run was interrupted ({why})",
        "line": 0, "column": 0, "stack": []}), time.time())


class _Recorder:
    """Hands each event to the trace hook, the ``--events`` sink and the store; records
    how the run ended. A failing sink stops being written to, with one warning."""

    def __init__(self, store, run_id: str, options: RunOptions):
        self.store = store
        self.run_id = run_id
        self.sinks = [s for s in (options.trace, options.events) if s is not None]
        self.warnings: list[str] = []
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self.sinks) or self.store is not None

    def emit(self, record: dict) -> None:
        with self._lock:
            for sink in list(self.sinks):
                try:
                    sink(record)
                except Exception as exc:  # noqa: BLE001 - telemetry never fails a run
                    self.sinks.remove(sink)
                    self.warnings.append(f"events are no longer written: {exc}")
            if self.store is not None:
                try:
                    self.store.append_event(self.run_id, record)
                except Exception as exc:  # noqa: BLE001
                    self.warnings.append(f"the state store stopped recording events: {exc}")
                    self.store = None

    def finish(self, result: "RunResult", ended: float) -> None:
        store = self.store
        if store is None:
            return
        state = "succeeded" if result.status == 0 else "failed"
        if result.error and result.error.get("state") == "waiting":
            state = "waiting"  # resumable: aether resume RUN
        try:
            store.finish_run(self.run_id, state, result.status, result.outputs, result.error,
                             ended)
        except Exception as exc:  # noqa: BLE001
            result.warnings.append(f"the state store could not record the run's end: {exc}")


# Policy keys the core runtime reads but leaves to governance (issue 12); a run says so.
_NOT_ENFORCED = frozenset({"risk_budget", "token_budget", "approval_required",
                           "allowed_tools", "denied_tools", "network", "jurisdiction",
                           "data_class"})


def _limits(options: RunOptions, policy: dict) -> Limits:
    steps = [s for s in (options.max_steps, policy.get("step_budget"),
                         policy.get("max_steps")) if type(s) is int and s > 0]
    timeouts = [t for t in (options.timeout, policy.get("run_timeout"))
                if isinstance(t, (int, float)) and not isinstance(t, bool) and t > 0]
    request = policy.get("request_timeout")
    return Limits(max_steps=min(steps) if steps else DEFAULT_MAX_STEPS,
                  timeout=float(min(timeouts)) if timeouts else DEFAULT_TIMEOUT,
                  max_depth=options.max_depth, max_value_size=options.max_value_size,
                  max_memory=options.max_memory,
                  request_timeout=float(request) if isinstance(request, (int, float))
                  and not isinstance(request, bool) else None)


def _error_result(e: AetherRuntimeError, **kw) -> RunResult:
    e.stack.reverse()
    return RunResult(e.status, error=e.to_json(), **kw)


def _execute(program: Program, ctx: Context, inputs: Optional[dict] = None) -> RunResult:
    """Run the main block in a thread with a deep stack; map every outcome to a result.
    ``inputs``: the catalogue's inputs the program starts with, bound at its top level."""
    inputs = inputs or {}
    glob: dict = dict(inputs)
    frame = Frame(glob, glob, ctx, 0, program)
    box: dict[str, Any] = {}

    def body():
        try:
            program.main(frame)
            if frame.tasks:
                _join_all(frame)
        except AetherRuntimeError as e:
            box["error"] = e
        except RecursionError:
            box["error"] = rt_error("AE406", "the program nests too deeply (expression or "
                                    "call depth)")
        except MemoryError:
            box["error"] = rt_error("AE407", "the program ran out of memory building a "
                                    "value")

    try:
        fut = start_thread(body)
    except AetherRuntimeError as e:  # no thread to run in: the run fails, coded
        fut = None
        box["error"] = e
    try:
        if fut is not None:
            _wait(fut, ctx)
    except BaseException as exc:  # a signal in this thread: KeyboardInterrupt, Terminated
        # stop the program at its next block so that it writes nothing more while the
        # process ends (a tool call in progress is given two seconds)
        ctx.cancel(type(exc).__name__)
        try:
            fut.result(timeout=2)
        except BaseException:  # noqa: BLE001 - the first signal is what is reported
            pass
        raise
    err: Optional[AetherRuntimeError] = box.get("error")
    handled = None
    if err is not None:
        # A run that waits for an approval has not failed: no on_error handler runs.
        if not getattr(err, "suspends", False):
            handled = _on_error(program, ctx, frame, err)
        err.stack.reverse()
        result = RunResult(err.status, error=err.to_json())
    else:
        result = RunResult(0, outputs=_outputs(program, frame, inputs))
    result.steps = ctx.steps
    result.run_id = ctx.run_id
    result.warnings = list(ctx.warnings)
    result.printed = list(ctx.printed)
    result.handled_by = handled
    return result


def _wait(fut, ctx: Context) -> Any:
    """The result of the program thread ``fut``, poking ``ctx`` every POKE_EVERY
    seconds meanwhile so that its time limit and memory budget hold between its steps."""
    while True:
        try:
            return fut.result(timeout=POKE_EVERY)
        except _WaitTimeout:  # not the builtin TimeoutError before Python 3.11
            if fut.done():  # the program's own exception, not the wait's
                raise
            ctx.poke()  # still running: its next step looks at the clock


_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_saved: Optional[int] = None


@contextlib.contextmanager
def deep_recursion():
    """Raise the host's recursion limit for the duration of a run, then restore it.

    The limit is process-wide, and the classifier runs workflows in-process, several at a
    time: the first run to enter raises it, the last one to leave puts back what it was
    (a count under a lock), so a host program never keeps the high limit after its runs.
    """
    global _recursion_users, _recursion_saved
    with _recursion_lock:
        if _recursion_users == 0:
            current = sys.getrecursionlimit()
            _recursion_saved = current
            if current < _RECURSION_LIMIT:
                sys.setrecursionlimit(_RECURSION_LIMIT)
        _recursion_users += 1
    try:
        yield
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if _recursion_users == 0 and _recursion_saved is not None:
                sys.setrecursionlimit(_recursion_saved)
                _recursion_saved = None


def _on_error(program: Program, ctx: Context, frame: Frame,
              err: AetherRuntimeError) -> Optional[str]:
    """Run the first ``on_error`` rule whose kind matches ``err`` (or ``Any``)."""
    for kind, do, node in program.on_error:
        if kind != err.kind and kind != "Any":
            continue
        ctx.grace()
        ctx.emit("on_error", kind=err.kind, rule=err.rule, line=node.line)
        box: dict[str, Any] = {}

        def handler():
            try:
                do(frame)
            except AetherRuntimeError as e:
                box["error"] = e
            except (RecursionError, MemoryError) as e:
                box["error"] = rt_error("AE406", f"on_error handler failed: {e}")

        try:
            _wait(start_thread(handler), ctx)
        except AetherRuntimeError as e:  # no thread for the handler
            box["error"] = e
        if "error" in box:
            ctx.warnings.append(f"{node.line}: the on_error handler for {kind} failed: "
                                f"{box['error'].rule} {box['error'].message}")
        return kind
    return None


def _outputs(program: Program, frame: Frame, inputs: Optional[dict] = None) -> dict:
    """The declared outputs that are bound, else every top-level binding but functions
    and the inputs the run was given (unless the program bound the name again)."""
    glob = frame.glob
    names: list[str] = []
    if program.outputs is not None:
        try:
            declared = program.outputs(frame)
        except AetherRuntimeError:
            declared = None
        if type(declared) is str:
            declared = (declared,)
        if type(declared) is tuple:
            names = [n for n in declared if type(n) is str and n in glob]
    if not names:
        given = inputs or {}
        names = [n for n, v in glob.items() if type(v) not in (FnValue, BuiltinValue)
                 and not (n in given and v is given[n])]
    out = {}
    for n in names:
        out[n] = _json_or_note(glob[n])
    return out


def _json_or_note(value: Any) -> Any:
    """``value`` as JSON data, or ``"<why not>"`` for one too deep or too large to show
    (a run that passed a 1,000-deep list to a tool is not an internal error)."""
    try:
        return to_json(value)
    except AetherRuntimeError as e:
        return f"<{e.message}>"

