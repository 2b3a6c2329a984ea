"""Helpers shared by the signal tests of the worker pools: what a run left in its group."""

from __future__ import annotations

import os
import time

WAIT = 5.0  # seconds a process that has ended gets to be gone (reaped) or a zombie

# The parts of the pool signal tests' scripts (run with ``python -c``) both pools share:
# ``group()`` signals the run's whole process group with ``sig``; HOOKS opens the chain of
# ``moment`` tests with the events every pool has (a script goes on with ``elif``s of its
# own), DELAY ends it with a moment that is a delay in seconds.
HOOKS = r'''
def group():
    os.killpg(0, sig)

forks = []
if moment == "fork-child":  # in the first worker, just forked (its signals held)
    os.register_at_fork(after_in_child=lambda: forks or (forks.append(1), group()))
elif moment == "second-fork-parent":  # in the parent, after forking the second worker
    os.register_at_fork(after_in_parent=lambda: (forks.append(1), len(forks) == 2 and group()))
elif moment == "connection-drop":  # in the parent, as a pipe to a worker is freed
    # a Python __del__ is where a pending signal's exception is "ignored" (printed)
    from multiprocessing import connection
    parent, real_del, sent = os.getpid(), connection._ConnectionBase.__del__, []
    def drop(self):  # the first one freed in the parent
        if os.getpid() == parent and not sent:
            sent.append(1)
            group()
        real_del(self)
    connection._ConnectionBase.__del__ = drop
'''

DELAY = r'''else:  # a delay in seconds from here
    def later():
        # as from a terminal, the main thread alone takes the signal: sent to the process,
        # it goes to any thread not blocking it, so this one while the main thread holds
        # it (aether.interrupt.signals_held), whose handler then raises there all the same
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        group()
    timer = threading.Timer(float(moment), later)
    timer.daemon = True
    timer.start()
'''


def _members(pgid: int) -> list[tuple[str, str, str]]:
    """``(pid, state, ppid)`` of each process of group ``pgid``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except (OSError, ValueError):  # gone meanwhile
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ")"
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:
            found.append((entry, fields[0], fields[1]))
    return found


def live_members(pgid: int) -> list[str]:
    """The processes of group ``pgid`` still alive (``"pid state ppid N"`` lines), after
    waiting up to :data:`WAIT` seconds for them to end; [] when none is.

    A zombie (state Z) is no process left behind: a worker whose parent (the run) ended
    before reaping it, reparented to init, which reaps it a little later (under load,
    over a second: the run's pipes were closed, and ``os.killpg`` still found it, which
    failed the tests about 1 run in 100). Where there is no /proc, the group is signalled
    instead (a zombie then counts until init has reaped it)."""
    deadline = time.monotonic() + WAIT
    while True:
        if os.path.isdir("/proc"):
            left = [f"{pid} {state} ppid {ppid}" for pid, state, ppid in _members(pgid)
                    if state != "Z"]
        else:
            try:
                os.killpg(pgid, 0)
                left = [f"group {pgid}"]
            except ProcessLookupError:
                left = []
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_group(pgid: int) -> None:
    """SIGKILL whatever is left in group ``pgid`` (nothing, or zombies: no error)."""
    import signal

    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()
    except FileNotFoundError:
        return False


def left_alive(pids, wait: float = 60.0) -> list[int]:
    """Those of ``pids`` still alive after up to ``wait`` seconds (needs /proc); each of
    them is SIGKILLed, so that a failing test leaves nothing behind."""
    import signal

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    alive = [p for p in pids if _alive(p)]
    for p in alive:
        os.kill(p, signal.SIGKILL)
    return alive
