"""A process pool whose workers can be killed and replaced: a hard deadline per item.

:mod:`aether.runner`'s pool (``concurrent.futures``) cannot stop one item: a worker stuck
in C code, or killed by the kernel, breaks the whole pool. The classifier runs arbitrary
workflows, so here the parent owns each worker (a forked process and a pipe) and knows
which item it is working on: the items a worker was sent are answered in order, so the
oldest unanswered one is the one in progress, started when the previous answer came.

- An item still in progress after ``deadline`` seconds: the worker is killed (SIGKILL),
  the item gets ``lost(item, "deadline", detail)`` as its result, a new worker is forked
  and the worker's other unanswered items are sent again.
- A worker that dies (a signal, ``os._exit``, the OOM killer): the same, with
  ``lost(item, "died", detail)``.

Workers are forked once (warm: what the parent imported they have) and reused for every
item; never one interpreter per item. Results come back in input order.

Signals are handled as in :mod:`aether.workers`, whose pieces this pool shares: workers
are forked with the held signals blocked and registered before they are let through (a
Ctrl-C between the fork and the worker's handlers is not lost, and no worker is left
that the parent does not know of); SIGINT or SIGTERM ends a worker at once (130, 143,
no traceback) and a worker so ended means the run was interrupted (KeyboardInterrupt or
:class:`~aether.interrupt.Terminated` here, not a lost item); whatever ends the run early
stops the workers (SIGTERM, then SIGKILL after a grace); the parent closes and frees its
pipes and process objects with the signals held (a pending signal would be raised in
their Python finalizers, printed as "Exception ignored" and lost). A worker closes the
parent's ends of the pipes, so that the parent's death is an EOF that ends it.
"""

from __future__ import annotations

import collections
import signal
import time
from typing import Any, Callable, Optional, Sequence

__all__ = ["run_pool", "LOST_DEADLINE", "LOST_DIED"]

LOST_DEADLINE = "deadline"
LOST_DIED = "died"


def _worker_main(conn, work: Callable[[Any], Any], parents_ends: list) -> None:
    """Worker loop: receive lists of (index, item), answer (index, result) for each, until
    ``None`` or the end of the pipe. ``parents_ends``: the parent's ends of the pipes,
    inherited by the fork; closed, so that the parent's death is an EOF here."""
    from ..workers import worker_signals

    for end in parents_ends:
        end.close()
    with worker_signals():  # started with the signals held (see run_pool)
        while True:
            try:
                batch = conn.recv()
            except (EOFError, OSError):  # the parent is gone
                return
            if batch is None:
                return
            for index, item in batch:
                answer = work(item)  # its own OSError is no lost parent: not caught here
                try:
                    conn.send((index, answer))
                except OSError:  # BrokenPipeError: the parent is gone, nobody reads it
                    return


class _Worker:
    def __init__(self, ctx, work, others: list):
        """A started worker; ``others``: the parent's ends of the other workers' pipes.
        Raises OSError when it cannot be started (its pipe closed then)."""
        parent, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, work, [parent] + others),
                                daemon=True)
        try:
            self.proc.start()
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.conn = parent
        self.fd = parent.fileno()  # waited on, so that only this object holds the pipe
        self.pending: collections.deque = collections.deque()  # indices sent, unanswered
        self.started = time.monotonic()  # when the head of ``pending`` started

    @property
    def process(self):
        """The worker's Process, None once released (for
        :func:`aether.workers.stop_workers`)."""
        return self.proc

    def ask_to_end(self) -> None:
        """Tell the worker there is no more work (it then ends); nothing if it is gone
        or released."""
        if self.conn is None:  # released
            return
        try:
            self.conn.send(None)
        except OSError:  # already gone
            pass

    def send(self, batch: list) -> None:
        if not self.pending:
            self.started = time.monotonic()
        self.pending.extend(i for i, _ in batch)
        self.conn.send(batch)

    def kill(self) -> None:
        """SIGKILL unless it has ended (and been reaped: its pid may be another's now),
        wait for it, close the pipe and let both go (:meth:`release`)."""
        from ..interrupt import signals_held

        with signals_held():
            if self.proc.exitcode is None:
                self.proc.kill()
            self.proc.join(5)
            self.release()

    def release(self) -> None:
        """Close the pipe and drop it and the process object; to be called with the
        signals held (:class:`aether.interrupt.signals_held`): a Connection's
        ``__del__`` and the Finalize callback of a process's Popen are Python code, where
        a pending signal's KeyboardInterrupt would be printed as "Exception ignored in
        ..." and lost."""
        if self.conn is not None:  # not released yet
            self.conn.close()
        self.conn = self.proc = None


def _describe_death(proc) -> str:
    code = proc.exitcode
    if code is None:
        return "the worker process stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process was killed by {name}"
    return f"the worker process exited with status {code}"


def run_pool(items: Sequence[Any], work: Callable[[Any], Any], jobs: int,
             deadline: Optional[float],
             lost: Callable[[Any, str, str], Any],
             progress: Optional[Callable[[int, int], None]] = None,
             chunk: int = 4) -> list:
    """``[work(item) for item in items]``, computed in ``jobs`` forked worker processes.

    ``deadline``: seconds one item may take (None: no limit). An item whose worker passed
    its deadline or died gets ``lost(item, LOST_DEADLINE | LOST_DIED, detail)`` instead.
    ``work`` must return picklable values and must not raise (an exception in it ends the
    worker, and the item is lost as ``died``). ``progress(done, total)`` after each item.

    Workers are forked (``work`` is a closure: it cannot be pickled to a spawned one).
    Where fork is missing (Windows: :func:`aether.workers.can_fork`), the items are worked
    in this process, in order, with no deadline (a ``work`` that dies ends the run); the
    caller says so.

    Raises :class:`aether.workers.WorkerError` when a worker cannot be started (fork or
    pipe failed: a process or memory limit), the workers started stopped first; and
    KeyboardInterrupt or :class:`~aether.interrupt.Terminated` when the run is interrupted.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    from ..interrupt import signals_held
    from ..workers import (STOP_GRACE, WorkerError, can_fork, raise_if_interrupted,
                           stop_workers)

    total = len(items)
    if not can_fork():
        return _run_here(items, work, progress)
    ctx = multiprocessing.get_context("fork")
    if not total:
        return []
    results: list = [None] * total
    todo: collections.deque = collections.deque(range(total))
    done = 0
    workers: list[_Worker] = []
    jobs = max(1, min(jobs, total))
    chunk = max(1, chunk)

    def feed(w: _Worker) -> None:
        if len(w.pending) >= chunk or not todo:
            return
        batch = []
        while todo and len(batch) < chunk:
            i = todo.popleft()
            batch.append((i, items[i]))
        try:
            w.send(batch)
        except OSError:  # the worker is gone: its death is noticed by the loop
            pass

    def start() -> _Worker:
        # forked with the signals held, and known (appended) before they are let through:
        # a signal in between would leave a worker that nobody stops
        with signals_held():
            try:
                fresh = _Worker(ctx, work, [x.conn for x in workers])
            except OSError as exc:  # fork failed (EAGAIN: process limit, ENOMEM), no pipe
                raise WorkerError(f"cannot start a classify worker process: "
                                  f"{exc.strerror or exc} (try fewer --jobs)") from exc
            workers.append(fresh)
        return fresh

    def died(w: _Worker) -> None:
        w.proc.join(STOP_GRACE)  # its end of the pipe is closed: it is ending
        raise_if_interrupted(w.proc.exitcode)  # SIGINT/SIGTERM: the run is interrupted
        detail = _describe_death(w.proc)
        w.kill()  # reaped, its pipe closed (killed first if it has not ended after all)
        replace(w, LOST_DIED, detail)

    def replace(w: _Worker, why: str, detail: str) -> None:
        nonlocal done
        head = w.pending.popleft() if w.pending else None
        todo.extendleft(reversed(w.pending))  # the rest go out again, first
        w.pending.clear()
        workers.remove(w)
        if head is not None:
            results[head] = lost(items[head], why, detail)
            done += 1
            if progress:
                progress(done, total)
        if todo or any(x.pending for x in workers):
            feed(start())

    try:
        for _ in range(jobs):
            feed(start())
        while done < total:
            now = time.monotonic()
            timeout = None
            if deadline is not None:
                busy = [w.started + deadline - now for w in workers if w.pending]
                timeout = max(0.0, min(busy)) if busy else None
            ready = wait([w.fd for w in workers] + [w.proc.sentinel for w in workers],
                         timeout)
            for w in list(workers):
                if w.fd in ready:
                    ended = False
                    try:
                        while w.conn.poll():
                            index, result = w.conn.recv()
                            if w.pending and w.pending[0] == index:
                                w.pending.popleft()
                            results[index] = result
                            done += 1
                            w.started = time.monotonic()
                            if progress:
                                progress(done, total)
                    except (EOFError, OSError):
                        ended = True
                    if ended:  # not in the except: its traceback holds the pipe (a frame
                        died(w)  # of recv), which died() must be the last to let go
                        continue
                    feed(w)
                if w in workers and w.proc.sentinel in ready and not w.conn.poll():
                    died(w)
            if deadline is not None:
                now = time.monotonic()
                for w in list(workers):
                    if w.pending and now - w.started > deadline:
                        w.kill()
                        replace(w, LOST_DEADLINE, f"no result after {deadline:g}s (the "
                                "worker process was killed and replaced)")
    except BaseException:  # an interrupt, or a bug: the workers are stopped at once
        # (one killed by the loop, released, may not have been removed yet: skipped)
        stop_workers(workers, STOP_GRACE)
        raise
    stop_workers(workers, STOP_GRACE, finished=True)  # all answered: asked to end
    return results


def _run_here(items: Sequence[Any], work: Callable[[Any], Any],
              progress: Optional[Callable[[int, int], None]]) -> list:
    """:func:`run_pool` where workers cannot be forked: ``work`` of each item here."""
    results = []
    for done, item in enumerate(items, start=1):
        results.append(work(item))
        if progress:
            progress(done, len(items))
    return results
