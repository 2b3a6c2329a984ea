"""Tool bindings: turn the catalogue's ``python`` / ``command`` / ``mcp`` keys into callables.

A :class:`Bindings` object belongs to one run. It resolves a tool name to an
implementation ``impl(tool_call, ctx) -> JSON-like value`` the first time the tool is
called (so a run only imports, starts or spawns what it uses), and :meth:`Bindings.close`
ends what the run started (the MCP server processes), also after an error.

* ``python = "package.module:function"``: ``function(*args, **kwargs)`` with the call's
  arguments as plain JSON-like Python values (lists, dicts, str, int, float, bool, None);
  it returns a JSON-like value. The module is imported from the installed packages, or
  from the project root. A tool with no binding key is looked up in the ``aether.tools``
  entry-point group (entry point name = tool name), so tools ship as pip packages.
* ``command = ["prog", "arg", ...]``: a subprocess in the project root, no shell, a minimal
  environment (:data:`COMMAND_ENV`); it reads the call as one JSON object on stdin
  (``{"tool", "args", "kwargs", "run_id", "call_id"}``) and writes its result as JSON on
  stdout. Exit status not 0, output that is not JSON or larger than
  :data:`MAX_OUTPUT` bytes is AE410 naming the tool; past its deadline it is killed (AE409).
* ``mcp = { command = [...], tool = "name" }``: a tool of a Model Context Protocol server
  over stdio (the optional ``mcp`` SDK: ``pip install aether[mcp]``). One server process
  per distinct command per run, started at its first call and reused.

Every call has a deadline (:func:`call_timeout`): the policy's ``request_timeout``, else
what is left of the step or run time limit, else :data:`DEFAULT_CALL_TIMEOUT`. Past it the
call is abandoned with AE409 (kind Timeout) naming the tool: a command is killed, an MCP
request is cancelled, a Python function keeps running in its worker thread (Python cannot
stop a thread) but its result is ignored.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Optional

from .errors import AetherRuntimeError, rt_error
from .values import to_json

__all__ = ["Bindings", "call_timeout", "COMMAND_ENV", "MAX_OUTPUT", "DEFAULT_CALL_TIMEOUT",
           "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "aether.tools"
DEFAULT_CALL_TIMEOUT = 300.0
# seconds a command's pipes may stay open after it exited (a child it forked holds them);
# then that child's process group is killed and the command's own output is its answer
EXIT_GRACE = 0.5
MCP_START_TIMEOUT = 60.0  # seconds an MCP server may take to answer its handshake
MAX_OUTPUT = 16 * 1024 * 1024  # bytes of a command's stdout (its stderr: the last 4 KiB)
# The only variables of aether's environment a command or MCP server inherits.
COMMAND_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")

Impl = Callable[[Any, Any], Any]


def call_timeout(ctx) -> float:
    """Seconds one tool call may take: the smaller of ``policy: request_timeout`` and the
    time left before the nearest step or run deadline; :data:`DEFAULT_CALL_TIMEOUT`
    when neither is set."""
    limits = [t for t in (getattr(ctx.limits, "request_timeout", None), ctx.remaining())
              if t is not None]
    return max(0.0, min(limits)) if limits else DEFAULT_CALL_TIMEOUT


def _timeout_error(tool: str, seconds: float) -> AetherRuntimeError:
    err = rt_error("AE409", f"tool '{tool}' did not answer within {seconds:g}s "
                   "(policy: request_timeout, the step's timeout or the run's)", kind="Timeout")
    err.catchable = True  # like a step timeout: retry=N and try/catch may handle it
    return err


def _failed(tool: str, message: str) -> AetherRuntimeError:
    return rt_error("AE410", f"tool '{tool}' failed: {message}", kind="PluginError")


def _plain(tc) -> tuple[list, dict]:
    """The call's arguments as JSON-like Python values (AE405 for a function value)."""
    return [to_json(a) for a in tc.args], {k: to_json(v) for k, v in tc.kwargs.items()}


class Bindings:
    """The implementations the catalogue binds, resolved lazily, for one run."""

    def __init__(self, catalogue, root: Optional[str] = None,
                 entry_points: Optional[dict[str, str]] = None):
        self.catalogue = catalogue
        self.root = os.path.abspath(root or os.getcwd())
        self._entry_points = entry_points  # name -> "module:function"; None: installed ones
        self._impls: dict[str, Optional[Impl]] = {}
        self._servers: dict[tuple, "_McpServer"] = {}
        self._lock = threading.Lock()
        self._call_ids = itertools.count(1)
        self._closed = False

    # ------------------------------------------------------------ lookup
    def entry(self, name: str):
        """The catalogue record of ``name`` (a builtin, tool or ``plugin.member``)."""
        cat = self.catalogue
        if name in cat.builtins:
            return cat.builtins[name]
        if name in (getattr(cat, "tools", None) or {}):
            return cat.tools[name]
        plugin, _, member = name.partition(".")
        p = (getattr(cat, "plugins", None) or {}).get(plugin)
        if member and p is not None:
            return p.functions.get(member)
        return None

    def get(self, name: str) -> Optional[Impl]:
        """The implementation of tool ``name``, or None when nothing binds it."""
        with self._lock:
            if name in self._impls:
                return self._impls[name]
        impl = self._resolve(name)
        with self._lock:
            self._impls.setdefault(name, impl)
            return self._impls[name]

    def _resolve(self, name: str) -> Optional[Impl]:
        entry = self.entry(name)
        bound = getattr(entry, "bound", None)
        if bound is not None:
            if bound("python") is not None:
                return self._python(name, bound("python"))
            if bound("command") is not None:
                return self._command(name, list(bound("command")))
            if bound("mcp") is not None:
                spec = bound("mcp")
                return self._mcp(name, list(spec["command"]), spec.get("tool") or name)
        target = self._entry_point(name)
        if target is not None:
            return self._python(name, target)
        return None

    def _entry_point(self, name: str) -> Optional[str]:
        if self._entry_points is None:
            from importlib.metadata import entry_points

            try:
                found = entry_points(group=ENTRY_POINT_GROUP)
            except Exception:  # noqa: BLE001 - broken metadata must not break a run
                found = ()
            self._entry_points = {ep.name: ep.value for ep in found}
        return self._entry_points.get(name)

    # ------------------------------------------------------------ python
    def _python(self, name: str, target: str) -> Impl:
        module_name, _, attr = target.partition(":")
        state: dict[str, Any] = {}

        def load() -> Callable:
            if "fn" in state:
                return state["fn"]
            if not module_name or not attr:
                raise _failed(name, f"python = \"{target}\" is not \"module:function\"")
            try:
                module = _import_from(module_name, self.root)
                fn = module
                for part in attr.split("."):
                    fn = getattr(fn, part)
            except AetherRuntimeError:
                raise
            except BaseException as exc:  # noqa: BLE001 - any import failure names the tool
                # (a module that calls sys.exit() when imported included: never the run's)
                raise _failed(name, f"cannot load python = \"{target}\": "
                              f"{type(exc).__name__}: {exc}") from None
            if not callable(fn):
                raise _failed(name, f"python = \"{target}\" is not a function")
            state["fn"] = fn
            return fn

        def call_python(tc, ctx):
            fn = load()
            args, kwargs = _plain(tc)
            return _with_deadline(name, call_timeout(ctx), lambda: fn(*args, **kwargs))
        return call_python

    # ------------------------------------------------------------ command
    def _command(self, name: str, argv: list[str]) -> Impl:
        def call_command(tc, ctx):
            args, kwargs = _plain(tc)
            call_id = f"{tc.run_id or 'run'}:{next(self._call_ids)}"
            request = json.dumps({"tool": name, "args": args, "kwargs": kwargs,
                                  "run_id": tc.run_id, "call_id": call_id},
                                 ensure_ascii=False).encode("utf-8")
            env = _command_env(name, tc.run_id, call_id)
            seconds = call_timeout(ctx)
            rc, out, err = run_capped(name, argv, request, self.root, env, seconds,
                                      MAX_OUTPUT)
            if rc != 0:
                tail = err.decode("utf-8", "replace").strip().splitlines()
                why = f": {tail[-1][:300]}" if tail else ""
                how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
                raise _failed(name, f"command {argv[0]!r} {how}{why}")
            try:
                return json.loads(out.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise _failed(name, f"command {argv[0]!r} did not write one JSON value on "
                              f"stdout ({exc})") from None
        return call_command

    # ------------------------------------------------------------ mcp
    def _mcp(self, name: str, argv: list[str], remote: str) -> Impl:
        def call_mcp(tc, ctx):
            args, kwargs = _plain(tc)
            if args:
                raise rt_error("AE405", f"tool '{name}' is an MCP tool: pass its arguments "
                               "by keyword (MCP tools take named arguments)")
            server = self._server(name, argv)
            seconds = call_timeout(ctx)
            server.start(name, seconds)
            return server.call(name, remote, kwargs, seconds)
        return call_mcp

    def _server(self, name: str, argv: list[str]) -> "_McpServer":
        key = tuple(argv)
        with self._lock:
            if self._closed:
                raise _failed(name, "the run has ended")
            server = self._servers.get(key)
            if server is None:
                server = _McpServer(argv, self.root)
                self._servers[key] = server
        return server

    # ------------------------------------------------------------ end of run
    def close(self) -> None:
        """Stop every MCP server this run started (idempotent)."""
        with self._lock:
            self._closed = True
            servers = list(self._servers.values())
            self._servers.clear()
        for s in servers:
            s.stop()


_import_lock = threading.Lock()


def _import_from(module_name: str, root: str):
    """Import ``module_name`` from the installed packages or, failing that, from ``root``
    (the project root is on the search path only during this import)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not (module_name == missing or module_name.startswith(missing + ".")):
            raise  # the module was found; something it imports is missing
    with _import_lock:
        sys.path.insert(0, root)
        try:
            importlib.invalidate_caches()
            return importlib.import_module(module_name)
        finally:
            try:
                sys.path.remove(root)
            except ValueError:
                pass


def _with_deadline(name: str, seconds: float, work: Callable[[], Any]) -> Any:
    """Run ``work`` in a worker thread; its result, or AE409 past ``seconds``."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def body():
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=body, daemon=True, name=f"aether-tool-{name}").start()
    if not done.wait(seconds):
        raise _timeout_error(name, seconds)
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, (RecursionError, MemoryError)) or not isinstance(exc, Exception):
            # the tool's own runaway recursion, memory or sys.exit(): its failure, not the
            # program's depth or memory, and never the end of aether itself
            raise _failed(name, f"{type(exc).__name__}: {exc}")
        raise exc
    return box.get("value")


def _command_env(tool: str, run_id: str, call_id: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in COMMAND_ENV if k in os.environ}
    env.update(AETHER_TOOL=tool, AETHER_RUN_ID=run_id or "", AETHER_CALL_ID=call_id)
    return env


def run_capped(tool: str, argv: list[str], stdin: bytes, cwd: str, env: dict,
               seconds: float, cap: int = MAX_OUTPUT) -> tuple[int, bytes, bytes]:
    """Run ``argv`` (no shell) with ``stdin``; (exit status, stdout, stderr tail).

    AE409 when it runs past ``seconds`` and AE410 when stdout passes ``cap`` bytes or the
    program cannot be started; either way the process is killed first.
    """
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd, env=env,
                                start_new_session=True)
    except OSError as exc:
        raise _failed(tool, f"cannot start command {argv[0]!r}: "
                      f"{exc.strerror or exc}") from None
    deadline = time.monotonic() + seconds
    out, err = bytearray(), bytearray()
    problem: Optional[AetherRuntimeError] = None

    def feed():
        try:
            proc.stdin.write(stdin)
        except OSError:
            pass  # the program does not read its input: its exit status says the rest
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    exited_at: Optional[float] = None
    leftovers = False  # the command exited but something it started holds its pipes
    try:
        while sel.get_map():
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                problem = _timeout_error(tool, seconds)
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > EXIT_GRACE:
                leftovers = True  # its answer is complete: it exited
                break
            for key, _ in sel.select(min(left, 0.1 if exited_at is None else EXIT_GRACE)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = key.data
                buf += chunk
                if buf is err and len(err) > 4096:
                    del err[:-4096]
                if buf is out and len(out) > cap:
                    problem = _failed(tool, f"command {argv[0]!r} wrote more than {cap} "
                                      "bytes on stdout")
                    break
            if problem is not None:
                break
        if problem is None:
            left = max(0.0, deadline - time.monotonic())
            try:
                proc.wait(left)
            except subprocess.TimeoutExpired:
                problem = _timeout_error(tool, seconds)
    finally:
        sel.close()
        if problem is not None or leftovers or proc.poll() is None:
            _kill(proc)
        for stream in (proc.stdout, proc.stderr):
            stream.close()
        writer.join(1.0)
    if problem is not None:
        raise problem
    return proc.returncode, bytes(out), bytes(err)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the command and anything it started (its own process group)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        try:
            proc.kill()
        except OSError:
            pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


class _McpServer:
    """One MCP server process over stdio, driven from its own event-loop thread.

    The SDK is asynchronous: a background thread runs an asyncio loop holding the stdio
    transport and the ``ClientSession``; calls are submitted to it and awaited with a
    deadline (past it, the request is cancelled). :meth:`stop` ends the session, which
    closes the server's stdin and stops the process.
    """

    def __init__(self, argv: list[str], root: str):
        self.argv = argv
        self.root = root
        self._loop = None
        self._task = None  # the task holding the transport and session (cancel: kill)
        self._session = None
        self._stop_event = None
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self._lock = threading.Lock()

    def start(self, tool: str, seconds: float = MCP_START_TIMEOUT) -> None:
        """Start the server (once) and wait for its handshake, at most ``seconds`` (the
        call's deadline) and :data:`MCP_START_TIMEOUT`; past it the server is killed."""
        with self._lock:
            if self._thread is None:
                try:
                    import mcp  # noqa: F401
                except ImportError:
                    raise _failed(tool, "binding 'mcp' needs the MCP SDK: pip install "
                                  "'aether[mcp]'") from None
                # the SDK logs a server's bad output with a Python traceback on stderr
                # (logging's last resort): the call's error says what went wrong instead
                import logging

                for logger in ("mcp", "client"):  # "client": the SDK's ClientSession
                    logging.getLogger(logger).addHandler(logging.NullHandler())
                self._thread = threading.Thread(target=self._main, daemon=True,
                                                name="aether-mcp")
                self._thread.start()
        wait = min(seconds, MCP_START_TIMEOUT)
        if not self._ready.wait(wait):
            self._abort()  # a server stuck in its handshake is killed, not left behind
            if seconds <= MCP_START_TIMEOUT:
                raise _timeout_error(tool, seconds)
            raise _failed(tool, f"MCP server {self.argv[0]!r} did not start within "
                          f"{MCP_START_TIMEOUT:g}s")
        if self._error is not None:
            raise _failed(tool, f"MCP server {self.argv[0]!r} could not be started: "
                          f"{type(self._error).__name__}: {self._error}")

    def _main(self) -> None:
        import asyncio

        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(self._serve())
            loop.run_until_complete(self._task)
        except BaseException as exc:  # noqa: BLE001 - reported to the callers
            if self._error is None:
                self._error = exc
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        import asyncio

        from mcp import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        self._stop_event = asyncio.Event()
        params = StdioServerParameters(command=self.argv[0], args=self.argv[1:],
                                       env=_command_env("mcp", "", ""), cwd=self.root)
        with open(os.devnull, "w") as errlog:
            try:
                async with stdio_client(params, errlog=errlog) as (read, write):
                    async with ClientSession(read, write) as session:
                        await session.initialize()
                        self._session = session
                        self._ready.set()
                        await self._stop_event.wait()
            except BaseException as exc:
                if self._session is None or self._error is None:
                    self._error = exc
                raise

    def call(self, tool: str, remote: str, kwargs: dict, seconds: float) -> Any:
        import asyncio
        import concurrent.futures

        if self._session is None or self._loop is None or self._loop.is_closed():
            raise _failed(tool, f"MCP server {self.argv[0]!r} is not running")
        fut = asyncio.run_coroutine_threadsafe(self._session.call_tool(remote, kwargs),
                                               self._loop)
        try:
            result = fut.result(timeout=seconds)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise _timeout_error(tool, seconds) from None
        except AetherRuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001 - protocol errors name the tool
            raise _failed(tool, f"MCP tool '{remote}': {type(exc).__name__}: {exc}") from None
        return _mcp_value(tool, remote, result)

    def stop(self) -> None:
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(15)
            if self._thread.is_alive():  # stuck (in its handshake): cancel, which kills it
                self._abort()

    def _abort(self) -> None:
        """Cancel the session task: the SDK's transport then kills the server process."""
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(15)


def _mcp_value(tool: str, remote: str, result) -> Any:
    """An MCP CallToolResult as a JSON-like value: its structured content when the server
    gave one, else its text (parsed as JSON when it is JSON; several texts: a list)."""
    if getattr(result, "is_error", getattr(result, "isError", False)):
        texts = [getattr(c, "text", "") for c in getattr(result, "content", ()) or ()]
        raise _failed(tool, f"MCP tool '{remote}' reported an error: "
                      f"{' '.join(t for t in texts if t)[:300]}")
    structured = getattr(result, "structured_content",
                         getattr(result, "structuredContent", None))
    if structured is not None:
        if isinstance(structured, dict) and set(structured) == {"result"}:
            return structured["result"]  # how SDK servers wrap a non-object return value
        return structured
    values = []
    for c in getattr(result, "content", ()) or ():
        text = getattr(c, "text", None)
        if text is None:
            continue
        try:
            values.append(json.loads(text))
        except ValueError:
            values.append(text)
    if not values:
        return None
    return values[0] if len(values) == 1 else values
