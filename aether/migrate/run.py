"""Migrate many files: in input order, optionally in a process pool (``--jobs``).

Each file is read, converted, checked and (with ``apply``) rewritten by one worker, so
an interrupted run leaves every file either fully old or fully new (the rewrite is one
``os.replace``). A file that cannot be read or written is reported and the run goes on.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence

from ..gcpause import gc_paused
from .engine import MigrateOptions, Outcome, migrate_file

__all__ = ["migrate_files", "open_migrate_cache", "MigrationAborted"]


# The result cache of this run (see migrate_files): set in the parent before the workers
# are forked, so each looks up the entries the parent loaded, read only; what a worker
# computes goes back to the parent with the outcome, and the parent alone stores and saves.
_CACHE = None


class MigrationAborted(RuntimeError):
    """The run cannot go on: a file's migration raised (a bug of aether: outcomes are how
    a bad file is reported), or a worker process could not be started or died (killed by
    a signal, such as the SIGKILL of the kernel's out-of-memory killer). ``str()`` is the
    one-line message, naming the file being migrated when it is known; ``status`` the
    exit status (27 INTERNAL_ERROR: the table has no code for a lack of resources);
    ``details`` the worker's traceback, for AETHER_DEBUG, or ''."""

    status = 27

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class _Failed:
    """What a worker sends back for a migration that raised: text only, so that it can
    always be pickled (the exception itself may not be)."""

    __slots__ = ("display", "error", "details")

    def __init__(self, display: str, exc: BaseException):
        import traceback

        from ..outofmemory import describe

        self.display, self.error = display, describe(exc)
        try:
            self.details = "".join(traceback.format_exception(type(exc), exc,
                                                              exc.__traceback__))
        except Exception:  # noqa: BLE001 - details only (a MemoryError, a broken __str__)
            self.details = ""

    def __getstate__(self):
        return (self.display, self.error, self.details)

    def __setstate__(self, state):
        self.display, self.error, self.details = state

    def aborted(self) -> MigrationAborted:
        return _internal(self.display, self.error, self.details)


def _internal(display: str, error: str, details: str = "") -> MigrationAborted:
    return MigrationAborted(f"internal error while migrating {display}: {error} (this is a "
                            "bug in aether; AETHER_DEBUG=1 shows the details)", details)


@gc_paused
def _one(args: tuple[str, str, MigrateOptions, bool]) -> tuple[Outcome, Optional[list]]:
    """The outcome of one file, and the ``(digest, FileResult)`` pairs for the cache
    (None when there is no cache)."""
    path, display, options, named = args
    store = [] if _CACHE is not None else None
    out = migrate_file(path, display, options, follow_links=named, cache=_CACHE,
                       store=store)
    out.text = None  # not needed by the parent; keeps pickling small
    for _digest, result in store or ():
        result.source = None  # the cache keeps findings, not text
    return out, store


def _stored(cache, entries: Optional[list]) -> None:
    """Put a file's ``(digest, FileResult)`` pairs into ``cache`` (in the parent)."""
    for digest, result in entries or ():
        cache.put(digest, result)


def open_migrate_cache(options: MigrateOptions, config, use_cache: bool = True,
                       cache_dir: Optional[str] = None, n_files: int = 2):
    """The result cache ``aether check`` uses for the options migrate checks with, or None
    (off, or one file). Its key (aether.runner.open_cache) names every option that changes
    a result, so an entry is only ever read with the options it was made with: when the
    configuration selects or ignores rules, check's results (filtered) are in another
    file than migrate's (every rule), and migrate neither reads nor overwrites them."""
    from ..runner import open_cache
    from .engine import check_options

    check = check_options(options.catalogue, options.root, options.max_file_size)
    return open_cache(check, config, use_cache, cache_dir, n_files)


def migrate_files(files: Sequence[tuple], options: MigrateOptions, jobs: int = 1,
                  progress: Optional[Callable[[Outcome, int, int], None]] = None,
                  cache=None) -> list[Outcome]:
    """Outcomes for ``files`` ((path, display) pairs, or (path, display, named) where
    ``named`` says the user named the path, so a link there may be written through), in
    the same order.

    ``progress(outcome, done, total)`` is called as each file finishes (in order).

    ``cache``: the result cache from :func:`open_migrate_cache`: the check before each
    file is taken from it when its bytes match, and the results computed are put into it
    (the caller saves it). Workers look it up read only (inherited by the fork).

    With ``jobs`` > 1 the files are migrated by worker processes; whatever ends the run
    early (an exception, KeyboardInterrupt, :class:`~aether.interrupt.Terminated`) ends
    them at once and is re-raised, and a worker ended by SIGINT or SIGTERM raises
    KeyboardInterrupt or Terminated here. Raises :class:`MigrationAborted` (naming the
    file) when a file's migration raised, or a worker process could not be started or
    died otherwise.
    """
    global _CACHE
    _CACHE = cache
    try:
        return _migrate_files(files, options, jobs, progress, cache)
    finally:
        _CACHE = None


def _migrate_files(files, options, jobs, progress, cache) -> list[Outcome]:
    total = len(files)
    work = [(f[0], f[1], options, len(f) > 2 and bool(f[2])) for f in files]
    results: list[Outcome] = []
    if jobs <= 1 or total < 2:
        for n, item in enumerate(work, start=1):
            try:
                out, entries = _one(item)
            except Exception as exc:  # noqa: BLE001 - a bug: reported naming the file
                from ..interrupt import interrupt_behind
                from ..outofmemory import describe

                if interrupt_behind(exc) is not None:
                    raise
                raise _internal(item[1], describe(exc)) from exc
            if cache is not None:
                _stored(cache, entries)
            results.append(out)
            if progress:
                progress(out, n, total)
        return results
    import multiprocessing as mp

    # fork keeps start-up cheap (the parser tables are already loaded); spawn elsewhere
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    _warm()
    chunk = min(16, total // (jobs * 4) or 1)
    chunks = [(k, min(k + chunk, total)) for k in range(0, total, chunk)]
    count = min(jobs, total)  # never more workers than files
    # which file each worker is on (an index into ``work``; -1: none), written by the
    # worker before each file, read when it dies: shared memory a fork inherits
    slots = _Slots(count) if method == "fork" else None
    workers = _start_workers(ctx, count, work, slots)
    try:
        for out, entries in _in_order(workers, chunks, work):
            if cache is not None:
                _stored(cache, entries)
            results.append(out)
            if progress:
                progress(out, len(results), total)
    except BaseException:
        _stop_workers(workers)
        raise
    _stop_workers(workers, finished=True)
    return results


# The pool is a few forked processes, each fed ranges of ``work`` over its own pipe, and
# read by the parent's main thread alone. multiprocessing.Pool was used before and hung
# after a signal to the whole process group: the workers died holding tasks, Pool started
# new ones but the tasks taken were lost, and the parent's main thread stayed blocked in
# imap's lock wait for ever; the parent's own signal had been received (its C-level flag
# was set) but its Python handler runs only when the main thread wakes, which nothing did.
# Its terminate() may also wait without bound (it joins helper threads and workers).
# Here nothing waits without a bound: the parent waits in select() on the workers' result
# pipes, so a dead worker wakes it as an EOF (a worker ended by SIGINT or SIGTERM means
# the run was interrupted), and the shutdown is SIGTERM (the worker ends through its
# handler, so a file being replaced is finished first), then SIGKILL after a grace.

_STOP_GRACE = 10.0  # seconds the workers get to end after SIGTERM before SIGKILL


class _Worker:
    __slots__ = ("process", "tasks", "results", "busy", "number", "slots")

    def __init__(self, process, tasks, results, number, slots):
        self.process, self.tasks, self.results, self.busy = process, tasks, results, 0
        self.number, self.slots = number, slots

    def current(self) -> int:
        """The index in ``work`` of the file this worker is (or was last) on, or -1."""
        return self.slots.get(self.number) if self.slots is not None else -1


class _Slots:
    """One int per worker in an anonymous shared mapping (inherited by a fork): the
    index of the file the worker is on."""

    def __init__(self, count: int):
        import mmap

        self.map = mmap.mmap(-1, 8 * count)
        for n in range(count):
            self.set(n, -1)

    def set(self, n: int, value: int) -> None:
        self.map[8 * n:8 * n + 8] = value.to_bytes(8, "little", signed=True)

    def get(self, n: int) -> int:
        return int.from_bytes(self.map[8 * n:8 * n + 8], "little", signed=True)


def _serve(work: list, tasks, results, parents_ends: list, number: int = 0,
           slots: Optional[_Slots] = None) -> None:
    """Worker loop: migrate each range ``(start, end)`` of ``work`` received on ``tasks``
    and send ``(start, outcomes)`` (or ``(start, _Failed)``) on ``results``, until
    ``None`` or the end of the pipe, noting in ``slots[number]`` the file it is on.
    ``parents_ends``: the parent's ends of the pipes, inherited by a fork; closed, so
    that the parent's death is an EOF here."""
    for conn in parents_ends:
        conn.close()
    # started with SIGINT/SIGTERM (and the other held signals) blocked (see
    # _start_workers); one that came meanwhile is delivered now and ends the worker
    import signal

    from ..interrupt import HELD_SIGNALS

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)
    while True:
        try:
            job = tasks.recv()
        except EOFError:
            return
        if job is None:
            return
        start, end = job
        outcomes: list[Outcome] = []
        answer: object = outcomes
        index = start
        try:
            for index in range(start, end):
                if slots is not None:
                    slots.set(number, index)
                outcomes.append(_one(work[index]))
        except Exception as exc:  # noqa: BLE001 - reported by the parent, naming the file
            answer = _Failed(work[index][1], exc)
        try:
            results.send((start, answer))
        except Exception as exc:  # noqa: BLE001 - an outcome that cannot be pickled: a bug
            results.send((start, _Failed(_unpicklable(work, start, answer), exc)))


def _unpicklable(work: list, start: int, answer) -> str:
    """The file of the first outcome in ``answer`` (the outcomes of ``work[start:]``)
    that cannot be pickled, else the first file."""
    import pickle

    for n, out in enumerate(answer if isinstance(answer, list) else ()):
        try:
            pickle.dumps(out)
        except Exception:  # noqa: BLE001 - that one
            return work[start + n][1]
    return work[start][1]


def _start_workers(ctx, count: int, work: list, slots: Optional[_Slots] = None
                   ) -> list[_Worker]:
    """``count`` started worker processes of :func:`_serve` over ``work``. Raises
    :class:`MigrationAborted` when one cannot be started (fork failed: no memory or
    too many processes); those started are stopped first."""
    from ..interrupt import signals_held

    workers: list[_Worker] = []
    try:
        for number in range(count):
            try:
                task_r, task_w = ctx.Pipe(duplex=False)
                result_r, result_w = ctx.Pipe(duplex=False)
            except OSError as exc:  # too many open files
                raise MigrationAborted(f"cannot start migration worker process "
                                       f"{number + 1} of {count}: cannot create its pipes: "
                                       f"{exc.strerror or exc} (try fewer --jobs)") from exc
            parents_ends = [task_w, result_r] + [c for w in workers for c in (w.tasks, w.results)]
            process = ctx.Process(target=_serve, args=(work, task_r, result_w, parents_ends,
                                                       number, slots), daemon=True)
            # a signal between the fork and the append would leave a worker nobody stops
            with signals_held():
                try:
                    process.start()
                except OSError as exc:  # fork failed: EAGAIN (process limit), ENOMEM
                    for conn in (task_r, task_w, result_r, result_w):
                        conn.close()
                    raise MigrationAborted(f"cannot start migration worker process "
                                           f"{number + 1} of {count}: "
                                           f"{exc.strerror or exc} (try fewer --jobs)") from exc
                workers.append(_Worker(process, task_w, result_r, number, slots))
            # the parent keeps only its ends: a worker's death is then an EOF here
            task_r.close()
            result_w.close()
    except BaseException:
        _stop_workers(workers)
        raise
    return workers


def _in_order(workers: list[_Worker], chunks: list[tuple[int, int]], work: list):
    """Yield the ``(outcome, cache entries)`` of all ``chunks`` of ``work`` in input order, keeping each worker
    two ranges ahead. Raises KeyboardInterrupt or :class:`~aether.interrupt.Terminated`
    if a worker was ended by SIGINT or SIGTERM (the run was interrupted),
    :class:`MigrationAborted` if a worker's migration raised or it ended otherwise."""
    from multiprocessing.connection import wait

    queue = iter(chunks)
    done: dict[int, list[Outcome]] = {}
    order = [start for start, _end in chunks]
    by_conn = {w.results: w for w in workers}

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
        busy = [w.results for w in workers if w.busy]
        for conn in wait(busy):
            worker = by_conn[conn]
            try:
                start, answer = conn.recv()
            except EOFError:
                _worker_lost(worker, work)
            worker.busy -= 1
            if isinstance(answer, _Failed):
                raise answer.aborted()
            done[start] = answer
            feed(worker)
        while emitted < len(order) and order[emitted] in done:
            yield from done.pop(order[emitted])
            emitted += 1


def _worker_lost(worker: _Worker, work: list) -> None:
    """Raise for a worker that ended before answering (see :func:`_in_order`)."""
    import signal

    from ..interrupt import SIGINT_STATUS, SIGTERM_STATUS, Terminated

    worker.process.join(_STOP_GRACE)
    code = worker.process.exitcode
    if code in (SIGTERM_STATUS, -signal.SIGTERM):
        raise Terminated()
    if code in (SIGINT_STATUS, -signal.SIGINT):
        raise KeyboardInterrupt
    index = worker.current()
    who = (f"the worker process migrating {work[index][1]}" if 0 <= index < len(work)
           else "a migration worker process")
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = (" (as the kernel's out-of-memory killer does: try fewer --jobs or more "
                "memory)" if code == -getattr(signal, "SIGKILL", 9) else "")
        raise MigrationAborted(f"{who} was killed by {name}{hint}")
    raise MigrationAborted(f"{who} ended unexpectedly (exit status {code})")


def _stop_workers(workers: list[_Worker], finished: bool = False) -> None:
    """End the workers: when ``finished``, tell them to stop and wait; otherwise SIGTERM
    at once, then SIGKILL what has not ended within :data:`_STOP_GRACE` seconds. Never
    waits longer than that grace (plus the SIGKILL)."""
    import time

    for w in workers:
        try:
            if finished:
                w.tasks.send(None)
            elif w.process.exitcode is None:
                w.process.terminate()
        except (OSError, ValueError):  # already gone
            pass
    deadline = time.monotonic() + _STOP_GRACE
    for w in workers:
        w.process.join(max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.process.exitcode is None:
            w.process.kill()
            w.process.join()
        w.tasks.close()
        w.results.close()


def _warm() -> None:
    """Load the parser and catalogue before forking, so workers start warm."""
    from ..checker import check_text

    check_text('goal: "warm"\n', "<warm>")
    from .convert import convert

    try:
        convert("x = 1\n")
    except Exception:  # noqa: BLE001 - warming only
        pass


def iter_pairs(paths: Iterable[str], exclude: Sequence[str] = (), root: Optional[str] = None):
    """``(path, display, named)`` for every file to migrate (directories searched
    recursively; ``named``: given on the command line, see :func:`migrate_files`)."""
    from ..walk import iter_files

    for sf in iter_files(paths, exclude, root):
        yield sf.path, sf.display, sf.explicit


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)
