"""A pool of forked worker processes over a work list, read by the parent alone, never hanging.

Used by ``check -j`` (through aether.runner, so baseline too), ``migrate -j``, ``sign -j``
and ``verify -j``. :func:`run_ranges` starts a few processes (forked where possible, so
each inherits the work list and the loaded parser), feeds each ranges of indexes over its
own pipe, and hands the answers back in input order. Nothing in the
parent waits without a bound, and no helper thread exists:

- the parent waits in select() on the workers' result pipes, so a dead worker wakes it as
  an EOF; a worker ended by SIGINT or SIGTERM means the run was interrupted
  (KeyboardInterrupt or :class:`~aether.interrupt.Terminated`), any other death is a
  :class:`WorkerError` naming the item it was on;
- workers are forked with the signals of :data:`~aether.interrupt.HELD_SIGNALS` held, so
  a signal landing in an at-fork hook is not lost, and none is started that the parent
  does not know of; each takes them back first (one that came meanwhile ends it quietly);
- whatever ends the run early stops the workers: SIGTERM (a worker ends through its
  handler, so a file being replaced is finished first), then SIGKILL after a grace;
- the parent frees its pipes and process objects with those signals held too: a
  Connection's ``__del__`` and a process's Finalize callback are Python code, where a
  pending signal's KeyboardInterrupt would be printed as "Exception ignored in ..." and
  lost.

The classifier's own pool (:mod:`aether.fleet.pool`, which replaces a dead worker instead
of ending the run) shares the pieces of this one: :class:`worker_signals` in the worker,
:func:`stop_workers` (its workers have the same ``process``, ``ask_to_end`` and
``release``) and :func:`raise_if_interrupted` in the parent.

multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor both hung after a signal
to the whole process group (tasks lost with a dead worker; a manager thread that died
while a worker forked after the signal waited on the queue, joined at exit for ever).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, Sequence

__all__ = ["WorkerError", "run_ranges", "failure_text", "worker_signals", "stop_processes",
           "stop_workers", "raise_if_interrupted", "can_fork", "STOP_GRACE"]

STOP_GRACE = 10.0  # seconds the workers get to end after SIGTERM before SIGKILL


class WorkerError(RuntimeError):
    """The run cannot go on: an item's work raised in a worker (a bug of aether), or a
    worker process could not be started or died (killed by a signal, such as the SIGKILL
    of the kernel's out-of-memory killer). ``str()`` is the one-line message, naming the
    item being worked on when it is known; ``status`` the exit status (27 INTERNAL_ERROR:
    the table has no code for a lack of resources); ``details`` the worker's traceback,
    for AETHER_DEBUG, or ''."""

    status = 27

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def can_fork() -> bool:
    """Whether worker processes can be forked here: on every POSIX system, macOS
    included (the pools name the fork context, whatever multiprocessing's default start
    method, spawn on macOS, or one set by ``set_start_method``); not on Windows, where
    :func:`run_ranges` spawns its workers and the callers that cannot (``sign``: the key
    is never pickled; ``classify``) work in one process. Never raises."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def failure_text(exc: BaseException) -> tuple[str, str]:
    """``(one line, traceback)`` of an item's work that raised ``exc``: the line for the
    :class:`WorkerError` message, the traceback for its ``details`` ('' when it cannot be
    formatted). Never raises."""
    import traceback

    from .outofmemory import describe

    line = describe(exc)
    try:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # noqa: BLE001 - details only (a MemoryError, a broken __str__)
        details = ""
    return line, details


class _Failed:
    """What a worker sends back for work that raised: text only, so that it can always be
    pickled (the exception itself may not be)."""

    __slots__ = ("index", "error", "details")

    def __init__(self, index: int, exc: BaseException):
        self.index = index
        self.error, self.details = failure_text(exc)

    def __getstate__(self):
        return (self.index, self.error, self.details)

    def __setstate__(self, state):
        self.index, self.error, self.details = state


class _Slots:
    """One int per worker in an anonymous shared mapping (inherited by a fork): the index
    of the item the worker is on (-1: none)."""

    def __init__(self, count: int):
        import mmap

        self.map = mmap.mmap(-1, 8 * count)
        for n in range(count):
            self.set(n, -1)

    def set(self, n: int, value: int) -> None:
        self.map[8 * n:8 * n + 8] = value.to_bytes(8, "little", signed=True)

    def get(self, n: int) -> int:
        return int.from_bytes(self.map[8 * n:8 * n + 8], "little", signed=True)


class _Worker:
    __slots__ = ("process", "tasks", "results", "busy", "number", "slots", "fd")

    def __init__(self, process, tasks, results, number, slots):
        self.process, self.tasks, self.results, self.busy = process, tasks, results, 0
        self.number, self.slots = number, slots
        self.fd = results.fileno()

    def fileno(self) -> int:
        """The descriptor (handle on Windows) of the results pipe: the worker itself is
        waited on (multiprocessing.connection.wait), so that only its attributes hold
        the pipe's Connection (see :func:`stop_workers`)."""
        return self.fd

    def ask_to_end(self) -> None:
        """Tell the worker there is no more work (it then ends); nothing if it is gone
        or released."""
        if self.tasks is None:  # released
            return
        try:
            self.tasks.send(None)
        except (OSError, ValueError):  # already gone
            pass

    def release(self) -> None:
        """Close the pipes and drop them and the process object, with the signals held
        (see :func:`stop_workers`)."""
        if self.tasks is not None:  # not released yet
            self.tasks.close()
            self.results.close()
        self.tasks = self.results = self.process = None

    def current(self) -> int:
        """The index of the item this worker is (or was last) on, or -1."""
        return self.slots.get(self.number) if self.slots is not None else -1


class _Names:
    """How the messages name the work: ``what`` ("migration"), ``doing`` ("migrating"),
    ``label(index)`` the item (its display path); ``error`` the WorkerError class raised."""

    __slots__ = ("what", "doing", "label", "error")

    def __init__(self, what, doing, label, error):
        self.what, self.doing, self.label, self.error = what, doing, label, error

    def item(self, index: int, count: int) -> Optional[str]:
        if 0 <= index < count:
            try:
                return self.label(index)
            except Exception:  # noqa: BLE001 - a name for a message only
                return None
        return None


def run_ranges(work: Any, count: int, ranges: Sequence[tuple[int, int]],
               handle: Callable[[Any, int], Any], consume: Callable[[int, list], None],
               jobs: int, *, what: str, doing: str, label: Callable[[int], str],
               error: type = WorkerError, grace: Optional[float] = None) -> None:
    """Compute ``handle(work, index)`` for every index of ``ranges`` (``(start, end)``
    pairs covering ``range(count)`` in order) in ``jobs`` worker processes, and call
    ``consume(start, answers)`` in this process for each range, in the order of
    ``ranges`` (``answers``: the list of the range's answers, which must pickle). Each
    range is consumed once and whole (its ``end - start`` answers) unless this raises:
    when it returns, no answer is missing.

    ``work`` is inherited by the forked workers (pickled to them where fork is missing).
    ``handle`` runs in a worker; the names (``what`` "migration", ``doing`` "migrating",
    ``label(index)``) make the messages. ``grace``: seconds the workers get after
    SIGTERM before SIGKILL (default :data:`STOP_GRACE`).

    Whatever ends the run early (an exception of ``consume``, KeyboardInterrupt,
    :class:`~aether.interrupt.Terminated`) stops the workers and is re-raised; a worker
    ended by SIGINT or SIGTERM raises KeyboardInterrupt or Terminated here. Raises
    ``error`` (a :class:`WorkerError` class) naming the item when ``handle`` raised an
    Exception, or a worker could not be started or died otherwise.
    """
    import multiprocessing as mp

    # fork keeps start-up cheap (the parser tables are already loaded); spawn elsewhere
    # (then ``work`` and ``handle`` are pickled, and a dead worker's item is not known)
    method = "fork" if can_fork() else "spawn"
    ctx = mp.get_context(method)
    names = _Names(what, doing, label, error)
    grace = STOP_GRACE if grace is None else grace
    n_workers = max(1, min(jobs, len(ranges)))  # never more workers than ranges
    # which item each worker is on, written by the worker before each item, read when it
    # dies: shared memory a fork inherits
    slots = _Slots(n_workers) if method == "fork" else None
    workers = _start_workers(ctx, n_workers, work, handle, slots, names, grace)
    try:
        for start, answers in _in_order(workers, ranges, count, names, grace):
            consume(start, answers)
    except BaseException:
        stop_workers(workers, grace)
        raise
    stop_workers(workers, grace, finished=True)


def _serve(work, handle, tasks, results, parents_ends: list, number: int = 0,
           slots: Optional[_Slots] = None) -> None:
    """Worker loop: for each range ``(start, end)`` received on ``tasks`` send
    ``(start, answers)`` (or ``(start, _Failed)``) on ``results``, until ``None`` or the
    end of the pipe, noting in ``slots[number]`` the item it is on. ``parents_ends``: the
    parent's ends of the pipes, inherited by a fork; closed, so that the parent's death
    is an EOF here."""
    for conn in parents_ends:
        conn.close()
    with worker_signals():
        _serve_ranges(work, handle, tasks, results, number, slots)


def _serve_ranges(work, handle, tasks, results, number: int, slots: Optional[_Slots]) -> None:
    """The loop of :func:`_serve`, its signals taken back."""
    from multiprocessing.reduction import ForkingPickler

    while True:
        try:
            job = tasks.recv()
        except EOFError:
            job = None
        if job is None:
            break
        start, end = job
        answers: list = []
        answer: object = answers
        index = start
        try:
            for index in range(start, end):
                if slots is not None:
                    slots.set(number, index)
                answers.append(handle(work, index))
        except Exception as exc:  # noqa: BLE001 - reported by the parent, naming the item
            answer = _Failed(index, exc)
        # pickled here, sent below: the one send is then guarded, whether it carries the
        # answers or the error about answers that cannot be pickled
        try:
            payload = ForkingPickler.dumps((start, answer))
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled: a bug
            payload = ForkingPickler.dumps((start, _Failed(_unpicklable(start, answer), exc)))
        try:
            results.send_bytes(payload)
        except OSError:  # BrokenPipeError: the parent is gone, nobody reads the answers
            break


class worker_signals:
    """The signal set-up of a worker process, around its whole loop: for the workers of
    this module and of :mod:`aether.fleet.pool`, started (forked) inside
    :class:`~aether.interrupt.signals_held`, so with the :data:`HELD_SIGNALS` blocked.

    On entry, SIGINT and SIGTERM are made to end the process at once with the status
    the parent reads as an interrupt (130, 143), unless ignored (a background job), and
    the held signals are unblocked: one that came since the fork is delivered now and
    ends the worker. On exit they are blocked again: the parent asked for nothing more,
    and a signal would only interrupt the interpreter's exit (multiprocessing's clean-up)
    with a traceback. Raises nothing of its own."""

    def __enter__(self) -> None:
        import signal

        from .interrupt import HELD_SIGNALS, SIGINT_STATUS, SIGTERM_STATUS

        # an exception from the handler (KeyboardInterrupt, or aether.interrupt's
        # Terminated) could land in a weakref callback or __del__, be printed as
        # "Exception ignored ... Traceback" and lost, or end the worker with a traceback.
        # Nothing is left half done: a file is replaced with these signals held.
        for signum, status in ((signal.SIGINT, SIGINT_STATUS),
                               (signal.SIGTERM, SIGTERM_STATUS)):
            if signal.getsignal(signum) != signal.SIG_IGN:  # ignored: kept so
                signal.signal(signum, _ender(status))
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)

    def __exit__(self, *exc) -> None:
        import signal

        from .interrupt import HELD_SIGNALS

        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)


def _ender(status: int):
    """A signal handler that ends the process at once with ``status``."""

    def end(_signum, _frame) -> None:
        os._exit(status)

    return end


def _unpicklable(start: int, answer) -> int:
    """The index of the first answer in ``answer`` (those of ``start``, ``start + 1``...)
    that cannot be pickled, else ``start``. Tried with the pickler that sends them
    (multiprocessing's, with its own reducers and those registered on it): plain
    ``pickle`` refuses some answers it sends, and would name one of those."""
    from multiprocessing.reduction import ForkingPickler

    for n, out in enumerate(answer if isinstance(answer, list) else ()):
        try:
            ForkingPickler.dumps(out)
        except Exception:  # noqa: BLE001 - that one
            return start + n
    return start


def _start_workers(ctx, count: int, work, handle, slots: Optional[_Slots], names: _Names,
                   grace: float) -> list[_Worker]:
    """``count`` started worker processes of :func:`_serve`. Raises ``names.error`` when
    one cannot be started (fork failed: no memory or too many processes); those started
    are stopped first."""
    from .interrupt import signals_held

    workers: list[_Worker] = []
    try:
        for number in range(count):
            # the whole start, to the last reference dropped, with the signals held: the
            # child starts with them held (it takes them back in _serve), a signal between
            # the fork and the append would leave a worker nobody stops, and one pending
            # when a Connection is freed is raised in its __del__, printed as "Exception
            # ignored" and lost
            with signals_held():
                _start_one(ctx, count, number, work, handle, slots, names, workers)
    except BaseException:
        stop_workers(workers, grace)
        raise
    return workers


def _start_one(ctx, count: int, number: int, work, handle, slots: Optional[_Slots],
               names: _Names, workers: list[_Worker]) -> None:
    """Start worker ``number`` and append it to ``workers`` (see :func:`_start_workers`,
    which calls this with the signals held: every pipe end it makes is closed or owned
    by the new worker when it returns, and the ones freed are freed here)."""
    try:
        task_r, task_w = ctx.Pipe(duplex=False)
    except OSError as exc:  # too many open files
        raise _no_pipes(names, number, count, exc) from exc
    try:
        result_r, result_w = ctx.Pipe(duplex=False)
    except OSError as exc:
        task_r.close()
        task_w.close()
        raise _no_pipes(names, number, count, exc) from exc
    parents_ends = [task_w, result_r] + [c for w in workers for c in (w.tasks, w.results)]
    process = ctx.Process(target=_serve, args=(work, handle, task_r, result_w,
                                               parents_ends, number, slots),
                          daemon=True)
    try:
        process.start()
    except OSError as exc:  # fork failed: EAGAIN (process limit), ENOMEM
        for conn in (task_r, task_w, result_r, result_w):
            conn.close()
        raise names.error(f"cannot start {names.what} worker process "
                          f"{number + 1} of {count}: "
                          f"{exc.strerror or exc} (try fewer --jobs)") from exc
    workers.append(_Worker(process, task_w, result_r, number, slots))
    # the parent keeps only its ends: a worker's death is then an EOF here
    task_r.close()
    result_w.close()


def _no_pipes(names: _Names, number: int, count: int, exc: OSError) -> WorkerError:
    """The error for worker ``number``'s pipes that could not be created."""
    return names.error(f"cannot start {names.what} worker process {number + 1} of "
                       f"{count}: cannot create its pipes: {exc.strerror or exc} "
                       "(try fewer --jobs)")


def _in_order(workers: list[_Worker], ranges: Sequence[tuple[int, int]], count: int,
              names: _Names, grace: float):
    """Yield ``(start, answers)`` of all ``ranges`` in order, keeping each worker two
    ranges ahead. Raises as :func:`run_ranges` says."""
    from multiprocessing.connection import wait

    queue = iter(ranges)
    done: dict[int, list] = {}
    order = [start for start, _end in ranges]

    def feed(worker: _Worker) -> None:
        job = next(queue, None)
        if job is not None:
            worker.busy += 1  # even if it is dead: the EOF of its results then says so
            try:
                worker.tasks.send(job)
            except OSError:  # it ended (BrokenPipeError)
                pass

    for worker in workers:
        feed(worker)
        feed(worker)
    emitted = 0
    while emitted < len(order):
        # the workers are waited on, not their Connections: only the workers hold
        # those, so that stop_workers frees them with the signals held (see there)
        for worker in wait([w for w in workers if w.busy]):
            try:
                start, answer = worker.results.recv()
            except EOFError:
                _worker_lost(worker, count, names, grace)
            worker.busy -= 1
            if isinstance(answer, _Failed):
                item = names.item(answer.index, count) or f"item {answer.index}"
                raise names.error(f"internal error while {names.doing} {item}: "
                                  f"{answer.error} (this is a bug in aether; AETHER_DEBUG=1 "
                                  "shows the details)", answer.details)
            done[start] = answer
            feed(worker)
        while emitted < len(order) and order[emitted] in done:
            start = order[emitted]
            yield start, done.pop(start)
            emitted += 1


def _worker_lost(worker: _Worker, count: int, names: _Names, grace: float) -> None:
    """Raise for a worker that ended before answering (see :func:`run_ranges`)."""
    import signal

    worker.process.join(grace)
    code = worker.process.exitcode
    raise_if_interrupted(code)
    item = names.item(worker.current(), count)
    who = (f"the worker process {names.doing} {item}" if item is not None
           else f"a {names.what} worker process")
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = (" (as the kernel's out-of-memory killer does: try fewer --jobs or more "
                "memory)" if code == -getattr(signal, "SIGKILL", 9) else "")
        raise names.error(f"{who} was killed by {name}{hint}")
    raise names.error(f"{who} ended unexpectedly (exit status {code})")


def raise_if_interrupted(exitcode: Optional[int]) -> None:
    """Raise :class:`~aether.interrupt.Terminated` or KeyboardInterrupt when a worker's
    ``exitcode`` says SIGTERM or SIGINT ended it (through :class:`worker_signals`, or the
    signal itself): the run was interrupted. Otherwise return."""
    import signal

    from .interrupt import SIGINT_STATUS, SIGTERM_STATUS, Terminated

    if exitcode in (SIGTERM_STATUS, -signal.SIGTERM):
        raise Terminated()
    if exitcode in (SIGINT_STATUS, -signal.SIGINT):
        raise KeyboardInterrupt


def stop_workers(workers: Sequence, grace: float, finished: bool = False) -> None:
    """End the workers: when ``finished``, tell them to stop and wait; otherwise SIGTERM
    at once, then SIGKILL what has not ended within ``grace`` seconds. Never waits longer
    than that grace (plus the SIGKILL). The held signals wait meanwhile (a second Ctrl-C
    would leave workers behind, which the interpreter's exit then joins without bound).

    For the workers of this module and of :mod:`aether.fleet.pool`: each has
    ``process`` (its multiprocessing Process, None once released), ``ask_to_end()``
    (send the end of the work; nothing if it is gone) and ``release()`` (close its pipes
    and drop them and the process object). One already released is only skipped."""
    from .interrupt import signals_held

    with signals_held():
        if finished:
            for w in workers:
                w.ask_to_end()
        stop_processes([w.process for w in workers if w.process is not None], grace,
                       terminate=not finished)
        for w in workers:
            # freed here, not later with the signals open: a Connection's __del__ and
            # the Finalize (weakref callback) of a process's Popen are Python code, where
            # a pending signal's KeyboardInterrupt or Terminated would be raised, printed
            # as "Exception ignored in ..." and lost
            w.release()


def stop_processes(processes: Sequence, grace: float, terminate: bool = True) -> None:
    """End the worker ``processes`` (multiprocessing Process objects, started): SIGTERM
    to each still running (unless not ``terminate``: they were asked to end already),
    then SIGKILL to those not ended within ``grace`` seconds; all are joined. Never waits
    longer than that grace (plus the SIGKILL). The held signals wait meanwhile (a second
    Ctrl-C would leave workers behind, which the interpreter's exit then joins without
    bound). Never raises for a process already gone."""
    import time

    from .interrupt import signals_held

    with signals_held():
        if terminate:
            for process in processes:
                try:
                    if process.exitcode is None:
                        process.terminate()
                except (OSError, ValueError):  # already gone
                    pass
        deadline = time.monotonic() + grace
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.exitcode is None:
                process.kill()
                process.join()

