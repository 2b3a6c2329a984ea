"""The run context (Starlark's Thread): budgets, deadlines, and the clock and random hooks.

One :class:`Context` per run carries everything a running program may consult besides its
own values: the step budget, the wall-time deadline, the call-depth and value-size limits,
the clock and random hooks (the only way time and randomness reach a program), the
dispatcher every effectful call goes through, the goal in force (``intent``) and the
current workflow step. ``policy: deterministic: true`` swaps in a virtual clock that starts
at a fixed instant and a random generator seeded with ``policy: seed`` (default 0).
"""

from __future__ import annotations

import random as _random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .errors import AetherRuntimeError, rt_error

__all__ = ["Limits", "Clock", "SystemClock", "VirtualClock", "RandomHook", "Context",
           "FIXED_EPOCH"]

FIXED_EPOCH = 1_700_000_000.0  # 2023-11-14T22:13:20Z: where deterministic clocks start


@dataclass(frozen=True)
class Limits:
    """The budgets of one run. ``timeout`` is seconds of wall time (None: no limit)."""

    max_steps: int = 10_000_000
    timeout: Optional[float] = 300.0
    max_depth: int = 200
    max_value_size: int = 10_000_000
    # characters print() may write in one run: the text is kept until the run ends (the
    # CLI shows it then), so a loop printing large strings would otherwise fill memory
    max_printed: int = 100_000_000
    request_timeout: Optional[float] = None  # one effectful call
    # bytes the process's resident memory may grow by during the run (None: no limit);
    # values within the size limit can still add up (a list of distinct 10 MB strings)
    max_memory: Optional[int] = 2 * 1024 ** 3


class Clock:
    """The clock hook: ``now()`` in seconds since the epoch, ``sleep(seconds)``."""

    def now(self) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SystemClock(Clock):
    """Real time."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock(Clock):
    """A clock that only moves when the program sleeps (or a test calls :meth:`advance`).

    Deterministic runs use it, and tests inject it so that no test ever really sleeps.
    ``tick`` seconds pass at every ``now()``, so a program polling the clock in a loop
    still reaches its deadline.
    """

    def __init__(self, start: float = FIXED_EPOCH, tick: float = 0.0):
        self._t = start
        self._tick = tick
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            self._t += self._tick
            return self._t

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += max(0.0, seconds)


class RandomHook:
    """The random hook: floats in [0, 1) and uuids, from a seed when one is given."""

    def __init__(self, seed: Optional[int] = None):
        self._rng = _random.Random(seed)
        self._lock = threading.Lock()

    def random(self) -> float:
        with self._lock:
            return self._rng.random()

    def uuid(self) -> str:
        import uuid

        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


# How many steps pass between two looks at the clock: reading it costs more than a step.
CLOCK_EVERY = 512


# Seconds between two pokes (Context.poke) of a running program by the thread waiting
# for it.
POKE_EVERY = 0.05

MEM_EVERY = 32 * 1024 ** 2  # bytes of large values between two memory checks


def resident_memory() -> int:
    """Bytes of this process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


try:
    import os as _os
    _PAGE = _os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
    _PAGE = 4096


class Context:
    """State shared by every frame of one run (and by the tasks of ``parallel:``)."""

    def __init__(self, limits: Limits = Limits(), clock: Optional[Clock] = None,
                 rng: Optional[RandomHook] = None, dispatcher: Any = None,
                 catalogue: Any = None, run_id: str = "", inputs: Optional[dict] = None,
                 simulate: bool = False, trace: Optional[Callable[[dict], None]] = None):
        self.limits = limits
        self.clock = clock or SystemClock()
        self.rng = rng or RandomHook()
        self.dispatcher = dispatcher
        self.catalogue = catalogue
        self.run_id = run_id
        self.inputs = inputs or {}
        self.simulate = simulate
        self.intent = ""  # the goal in force: the intent of every governed call
        self.config: dict[str, Any] = {}  # meta / policy / require / plugin_contract
        self.plugins: frozenset[str] = frozenset()
        self.tool_calls = 0
        self.warnings: list[str] = []
        self.printed: list[str] = []  # what print() wrote (the CLI shows it)
        self.printed_chars = 0  # their total length, against limits.max_printed
        self.trace = trace
        self.digest = ""  # sha256 of the workflow's bytes (events carry it)
        # The program's clock reads (now(), time_since) go through this hook when set: a
        # governed run journals them so that a resumed run replays the same times.
        self.clock_hook: Optional[Callable[[Callable[[], float]], float]] = None
        self._seq = 0
        self.mem_base = resident_memory() if limits.max_memory is not None else None
        self.cancelled: Optional[str] = None  # why the run must stop (a signal), or None
        self._alloc = 0  # bytes of large values made since the last memory check
        self._mem_next = 0.0  # monotonic time of the next periodic memory check
        self.steps = 0
        self.start = self.clock.now()
        self.deadline = (self.start + limits.timeout) if limits.timeout else None
        # The same limit in real time: the program's clock may be virtual (a deterministic
        # run's fixed now()), and the limit must still end the run on the wall clock.
        self.wall_deadline = (time.monotonic() + limits.timeout) if limits.timeout else None
        self._check_at = 0
        self._deadlines: list[tuple[float, str]] = []  # step timeouts, innermost last
        self._lock = threading.Lock()
        self.step_local = threading.local()  # the workflow step a thread is running
        self._reschedule()

    # ------------------------------------------------------------ steps and time
    def read_clock(self) -> float:
        """The time the *program* sees (``now()``): the clock, through ``clock_hook``."""
        hook = self.clock_hook
        return self.clock.now() if hook is None else hook(self.clock.now)

    def _reschedule(self) -> None:
        self._check_at = min(self.limits.max_steps, self.steps + CLOCK_EVERY)

    def count(self, n: int) -> None:
        """Count ``n`` steps; AE408 past the step budget, AE409 past a deadline."""
        self.steps += n
        if self.steps >= self._check_at:
            self.check()

    def poke(self) -> None:
        """Make the program's next step check the deadlines and the memory budget now.

        The thread waiting for the run calls it every :data:`POKE_EVERY` seconds: a few
        slow steps (each building a list of millions of items) would otherwise go
        CLOCK_EVERY steps, minutes, without a look at the clock."""
        self._check_at = 0

    def cancel(self, why: str) -> None:
        """Stop the program at its next block (an interrupted run: SIGINT, SIGTERM)."""
        self.cancelled = why
        self._check_at = 0

    def check(self) -> None:
        """Enforce the step budget and the deadlines now."""
        if self.cancelled is not None:
            raise rt_error("AE409", f"the run was interrupted ({self.cancelled})",
                           kind="Interrupted")
        if self.steps > self.limits.max_steps:
            raise rt_error("AE408", f"the run took more than {self.limits.max_steps} steps "
                           "(raise --max-steps or policy: step_budget)")
        self.check_time()
        if self.mem_base is not None:
            now = time.monotonic()
            if now >= self._mem_next:  # values made by paths that do not note_alloc
                self._mem_next = now + 0.01
                self.check_memory()
        self._reschedule()

    def note_alloc(self, nbytes: int) -> None:
        """A large value was made: check the memory budget every :data:`MEM_EVERY`
        bytes of them (AE407 past ``limits.max_memory``)."""
        self._alloc += nbytes
        if self._alloc >= MEM_EVERY:
            self._alloc = 0
            self.check_memory()

    def check_memory(self) -> None:
        """AE407 when the process's resident memory grew past ``limits.max_memory``."""
        if self.mem_base is None:
            return
        used = resident_memory() - self.mem_base
        if used > self.limits.max_memory:
            raise rt_error("AE407", f"the run uses more than "
                           f"{self.limits.max_memory // 1024 ** 2} MiB of memory "
                           "(RunOptions.max_memory)")

    def nearest_deadline(self) -> Optional[tuple[float, str]]:
        best = (self.deadline, "the run") if self.deadline is not None else None
        for d in self._deadlines:
            if best is None or d[0] < best[0]:
                best = d
        return best

    def check_time(self) -> None:
        if self.wall_deadline is not None and time.monotonic() >= self.wall_deadline:
            raise self._timeout("the run")
        nearest = self.nearest_deadline()
        if nearest is not None and self.clock.now() >= nearest[0]:
            raise self._timeout(nearest[1])

    def _timeout(self, what: str) -> AetherRuntimeError:
        if what == "the run":
            return rt_error("AE409", f"the run exceeded its time limit of "
                            f"{self.limits.timeout:g}s (--timeout or policy: run_timeout)")
        err = rt_error("AE409", f"{what} exceeded its timeout", kind="Timeout")
        err.catchable = True  # the step's retry (or a try around it) may handle it
        return err

    def push_deadline(self, seconds: float, what: str) -> tuple[float, str]:
        entry = (self.clock.now() + seconds, what)
        with self._lock:
            self._deadlines.append(entry)
        return entry

    def pop_deadline(self, entry: tuple[float, str]) -> None:
        with self._lock:
            if entry in self._deadlines:
                self._deadlines.remove(entry)

    def remaining(self) -> Optional[float]:
        """Seconds until the nearest deadline (None when there is none)."""
        nearest = self.nearest_deadline()
        return None if nearest is None else max(0.0, nearest[0] - self.clock.now())

    def sleep(self, seconds: float) -> None:
        """Sleep through the clock hook, never past the nearest deadline (AE409 there)."""
        nearest = self.nearest_deadline()
        if nearest is not None:
            left = nearest[0] - self.clock.now()
            if seconds >= left:
                self.clock.sleep(max(0.0, left))
                raise self._timeout(nearest[1])
        self.clock.sleep(seconds)

    def grace(self, steps: int = 10_000, seconds: float = 30.0) -> None:
        """A small fresh allowance for ``on_error`` handlers after a budget ran out."""
        self.limits = Limits(self.steps + steps, self.limits.timeout, self.limits.max_depth,
                             self.limits.max_value_size, self.limits.request_timeout)
        self.deadline = self.clock.now() + seconds
        self.wall_deadline = time.monotonic() + seconds
        self._deadlines = []
        self._reschedule()

    # ------------------------------------------------------------ steps of a workflow
    @property
    def step_name(self) -> Optional[str]:
        return getattr(self.step_local, "name", None)

    @property
    def step_requires(self) -> tuple[str, ...]:
        return getattr(self.step_local, "requires", ())

    def emit(self, event: str, **fields: Any) -> None:
        """A lifecycle event (docs/runtime.md "Events"): the common fields ``event``,
        ``seq``, ``ts`` (the clock hook), ``run_id``, ``digest`` and ``line``, then the
        event's own; handed to the trace hook, which the run's sinks hang on."""
        if self.trace is None:
            return
        with self._lock:
            self._seq += 1
            seq = self._seq
        record = {"event": event, "seq": seq, "ts": round(self.clock.now(), 6),
                  "run_id": self.run_id, "digest": self.digest,
                  "line": fields.pop("line", 0) or 0}
        record.update(fields)
        self.trace(record)
