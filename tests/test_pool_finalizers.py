"""The worker pools (aether.workers, aether.fleet.pool) free their pipes and process
objects with the signals held.

A multiprocessing Connection's ``__del__`` and the Finalize callback of a process's Popen
are Python code: a Ctrl-C pending when one of them runs raises KeyboardInterrupt inside
it, which Python prints as "Exception ignored in ... KeyboardInterrupt" and drops (seen
about once in a few hundred interrupted ``verify --jobs`` runs under load). Every such
finalizer that runs in the parent during a pool's run, whether it ends normally, with a
replaced worker or interrupted, must run with SIGINT held.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aether.workers import can_fork

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import gc, os, signal, sys, traceback
from multiprocessing import connection, util

pool, how = sys.argv[1], sys.argv[2]
parent = os.getpid()
held, open_ = [], []

def note(kind):
    if os.getpid() != parent:
        return
    if signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []):
        held.append(kind)
    else:
        where = traceback.extract_stack(limit=4)[0]
        open_.append(f"{kind} from {os.path.basename(where.filename)}:{where.lineno}")

real_del, real_call = connection._ConnectionBase.__del__, util.Finalize.__call__

def conn_del(self):
    note("Connection.__del__")
    real_del(self)

def finalize(self, *args, **kwargs):
    note("Finalize")
    return real_call(self, *args, **kwargs)

connection._ConnectionBase.__del__ = conn_del
util.Finalize.__call__ = finalize

def run():
    if pool == "workers":
        from aether.workers import run_ranges

        def consume(start, answers):
            if how == "interrupted" and start == 4:
                raise KeyboardInterrupt
        run_ranges(list(range(12)), 12, [(n, n + 2) for n in range(0, 12, 2)],
                   lambda work, index: index, consume, 2, what="test", doing="testing",
                   label=str)
    else:
        from aether.fleet.pool import run_pool

        def work(item):
            if how == "replaced" and item == 3:
                os._exit(1)  # the worker dies: replaced
            return item

        def progress(done, total):
            if how == "interrupted" and done == 4:
                raise KeyboardInterrupt
        run_pool(list(range(12)), work, 2, None, lambda item, why, detail: None,
                 progress, chunk=2)

try:
    run()
except KeyboardInterrupt:
    pass
gc.collect()
print(len(held), sorted(set(open_)))
"""


@pytest.mark.skipif(not can_fork(), reason="forked pools only")
@pytest.mark.parametrize(("pool", "how"), [
    ("workers", "finished"), ("workers", "interrupted"),
    ("fleet", "finished"), ("fleet", "replaced"), ("fleet", "interrupted")])
def test_a_pool_frees_its_pipes_and_processes_with_the_signals_held(pool, how):
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, pool, how], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    held, _sep, open_ = proc.stdout.strip().partition(" ")
    assert open_ == "[]", proc.stdout  # where one ran with the signals open
    assert int(held) > 0  # they did run (here, held)


def test_stop_workers_skips_a_released_worker_of_either_pool():
    """stop_workers says one already released is only skipped: also when the workers are
    asked to end (``finished``), where asking a released one raised AttributeError."""
    import multiprocessing

    from aether.fleet import pool
    from aether.workers import _Worker, stop_workers

    tasks, results = multiprocessing.Pipe()
    ours = _Worker(None, tasks, results, 0, None)
    ours.release()
    theirs = pool._Worker.__new__(pool._Worker)
    conn, other = multiprocessing.Pipe()
    other.close()
    theirs.conn, theirs.proc = conn, None
    theirs.release()
    stop_workers([ours, theirs], 1.0, finished=True)
    assert ours.tasks is None and theirs.conn is None
