"""Helpers shared by the signal tests of the worker pools: what a run left in its group."""

from __future__ import annotations

import os
import time

WAIT = 5.0  # seconds a process that has ended gets to be gone (reaped) or a zombie


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
