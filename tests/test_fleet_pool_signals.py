"""`classify -j` (the classifier's own pool, aether.fleet.pool) always ends after a Ctrl-C
or SIGTERM to the whole process group: one line, 130 or 143, no traceback, and no worker
left behind.

Its workers were forked with the signals open: one landing between the fork and the
worker's handlers (or in them: a worker's SIGTERM raised Terminated) printed a worker's
traceback. The moments are events of the run (a fork, a file in a worker, the first
answer in the parent) so that the signal lands where it should on a loaded machine; a
few timed moments are added, counted only when the signal reached a running process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from process_group import DELAY, HOOKS, kill_group, left_alive, live_members

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import os, signal, sys, threading
folder, out, sig, moment = sys.argv[1], sys.argv[2], getattr(signal, sys.argv[3]), sys.argv[4]
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal gives it
from aether.interrupt import handle_startup
handle_startup()  # as the entry point (aether.__main__) does first
from aether.fleet import classify, pool
from aether.cli.main import main
""" + HOOKS + r"""elif moment == "worker-file":  # in a worker, in the middle of a file
    real_one = classify.classify_one
    def one(path, display, options):
        if display.endswith("f0100.aether"):
            group()
        return real_one(path, display, options)
    classify.classify_one = one
elif moment == "parent-answers":  # in the parent, on the first answer
    real_pool = pool.run_pool
    def run(items, work, jobs, deadline, lost, progress=None, **kw):
        def first(done, total):
            if done == 1:
                group()
        return real_pool(items, work, jobs, deadline, lost, first, **kw)
    pool.run_pool = run
""" + DELAY + r"""sys.exit(main(["classify", folder, "-q", "-j", "2", "-o", out, "--markdown", "",
               "--no-history", "--isolated"]))
"""

_MESSAGES = {"SIGINT": (130, "aether: interrupted"),
             "SIGTERM": (143, "aether: terminated (SIGTERM)")}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet")
    for n in range(300):
        (folder / f"f{n:04d}.aether").write_text(f'goal: "g{n}"\nlog("x")\n')
    return folder


def _run(folder: Path, out: Path, sig: str, moment: str) -> subprocess.CompletedProcess:
    # its own process group (signalled whole, as a terminal's Ctrl-C is); a hang fails
    # the test, and the whole group is killed then (the hung run's workers too)
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, str(folder), str(out), sig,
                             moment], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, start_new_session=True,
                            env=dict(os.environ, NO_COLOR="1"))
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _out, stderr = proc.communicate()
        pytest.fail(f"classify -j 2 hung after {sig} at {moment}: {stderr!r}")
    # the run's workers end with it; one it had no time to reap is a zombie (no leak)
    left = live_members(proc.pid)
    kill_group(proc.pid)
    if left:
        pytest.fail(f"classify -j 2 left a worker behind after {sig} at {moment}: {left}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", ["fork-child", "second-fork-parent", "worker-file",
                                    "parent-answers", "connection-drop"])
def test_classify_jobs_signalled_at_any_event_ends_with_one_line(fleet, tmp_path, sig,
                                                                  moment):
    for n in range(3):
        out = tmp_path / f"report{n}.json"
        proc = _run(fleet, out, sig, moment)
        assert (proc.returncode, proc.stderr.strip()) == _MESSAGES[sig], proc.stderr
        assert proc.stdout == ""
        assert not out.exists()


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_classify_jobs_signalled_at_several_times_ends_with_one_line(fleet, tmp_path, sig):
    landed = 0
    for delay in ("0", "0.02", "0.05", "0.1", "0.15", "0.2", "0.3", "0.5", "0.8"):
        out = tmp_path / f"report{delay}.json"
        proc = _run(fleet, out, sig, delay)
        if (proc.returncode, proc.stderr) == (0, ""):
            assert out.exists()
            continue  # the run ended before the timer: nothing to see
        landed += 1
        assert (proc.returncode, proc.stderr.strip()) == _MESSAGES[sig], proc.stderr
    assert landed  # the first ones at least land while the run goes on


_ORPHAN_SCRIPT = r"""
import os, signal, sys, time
from aether.fleet.pool import run_pool

def work(item):  # each worker reports its pid (a file of its own); then the parent dies
    open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
    if item == 2:
        os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(0.2)
    return item

run_pool([0, 1, 2, 3], work, 2, None, lambda item, why, detail: None, chunk=1)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_classify_workers_end_when_their_parent_dies(tmp_path):
    # a worker inherited the parent's end of its own pipe (and the other workers'): once
    # the parent was killed it waited for work for ever. Output to files: a worker left
    # behind holds them open
    out, err = tmp_path / "out", tmp_path / "err"
    seen = tmp_path / "pids"  # a file per worker: lines two processes print may interleave
    seen.mkdir()
    with open(out, "w") as stdout, open(err, "w") as stderr:
        subprocess.run([sys.executable, "-c", _ORPHAN_SCRIPT, str(seen)], stdout=stdout,
                       stderr=stderr, timeout=120, cwd=ROOT)
    pids = {int(p.name) for p in seen.iterdir()}
    assert len(pids) == 2, err.read_text()
    assert not left_alive(pids)
    assert "Traceback" not in err.read_text()
