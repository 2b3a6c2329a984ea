"""`check -j` (and the pool of aether.workers it shares with migrate) always ends after a
Ctrl-C or SIGTERM to the whole process group: one line, 130 or 143, no traceback.

With concurrent.futures.ProcessPoolExecutor, about 1 run in 25 hung for ever at exit
(a worker forked after the signal waited on the task queue, joined by the exit handler;
the manager thread had died with InvalidStateError, whose traceback was printed), and a
worker's "SystemExit: 143" or "EOFError: Ran out of input" traceback was printed.

The moments are events of the run (a fork, a file in a worker, the first answers in the
parent), not times, so that the signal lands where it should on a loaded machine; a few
timed moments are added, counted only when the signal reached a running process.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from process_group import DELAY, HOOKS, kill_group, live_members

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import os, signal, sys, threading, time
folder, sig, moment = sys.argv[1], getattr(signal, sys.argv[2]), sys.argv[3]
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal gives it
from aether.interrupt import handle_startup
handle_startup()  # as the entry point (aether.__main__) does first
from aether import runner, workers
from aether.cli.main import main
""" + HOOKS + r"""elif moment == "worker-file":  # in a worker, in the middle of a file
    real_check = runner._check_data
    def check(display, data, options):
        if display.endswith("f0100.aether"):
            group()
        return real_check(display, data, options)
    runner._check_data = check
elif moment == "parent-answers":  # in the parent, on the first answers
    real_run = workers.run_ranges
    def run(work, count, ranges, handle, consume, jobs, **kw):
        def first(start, answers):
            if start == 0:
                group()
            consume(start, answers)
        return real_run(work, count, ranges, handle, first, jobs, **kw)
    workers.run_ranges = run
""" + DELAY + r"""sys.exit(main([*sys.argv[4:], folder] if sys.argv[4:] else
              ["check", folder, "-q", "-j", "2", "--no-cache"]))
"""

_MESSAGES = {"SIGINT": (130, "aether: interrupted"),
             "SIGTERM": (143, "aether: terminated (SIGTERM)")}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many")
    for n in range(400):
        (folder / f"f{n:04d}.aether").write_text(f'goal: "g{n}"\nlog("x")\n')
    return folder


def _run(folder: Path, sig: str, moment: str, *command: str) -> subprocess.CompletedProcess:
    # its own process group (signalled whole, as a terminal's Ctrl-C is); a hang fails
    # the test instead of blocking the suite (the generous bound is for a loaded machine),
    # and the whole group is killed then (the hung run's workers too)
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, str(folder), sig, moment,
                             *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, start_new_session=True,
                            env=dict(os.environ, NO_COLOR="1"))
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _out, err = proc.communicate()
        pytest.fail(f"{command or 'check'} -j 2 hung after {sig} at {moment}: {err!r}")
    # the run's workers end with it; one it had no time to reap is a zombie (no leak)
    left = live_members(proc.pid)
    kill_group(proc.pid)
    if left:
        pytest.fail(f"{command or 'check'} -j 2 left a worker behind after {sig} at "
                    f"{moment}: {left}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", ["fork-child", "second-fork-parent", "worker-file",
                                    "parent-answers", "connection-drop"])
def test_check_jobs_signalled_at_any_event_ends_with_one_line(tree, sig, moment):
    for _ in range(3):
        proc = _run(tree, sig, moment)
        assert (proc.returncode, proc.stderr.strip()) == _MESSAGES[sig], proc.stderr
        assert proc.stdout == ""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_check_jobs_signalled_at_several_times_ends_with_one_line(tree, sig):
    landed = 0
    for delay in ("0", "0.02", "0.05", "0.1", "0.15", "0.2", "0.3", "0.5"):
        proc = _run(tree, sig, delay)
        if (proc.returncode, proc.stderr) == (0, ""):
            continue  # the check ended before the timer: nothing to see
        landed += 1
        assert (proc.returncode, proc.stderr.strip()) == _MESSAGES[sig], proc.stderr
    assert landed  # the first ones at least land while the check runs


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", ["fork-child", "second-fork-parent", "connection-drop"])
def test_verify_jobs_signalled_ends_with_one_line(tree, sig, moment):
    # aether verify -j forked its workers with ProcessPoolExecutor too, signals not held;
    # then a signal that came as the parent freed a pipe to a worker was raised in its
    # __del__: "Exception ignored in ... KeyboardInterrupt" before the one line
    proc = _run(tree, sig, moment, "verify", "--jobs", "2")
    assert (proc.returncode, proc.stderr.strip()) == _MESSAGES[sig], proc.stderr


_HELD_SCRIPT = r"""
import os, signal, sys
from aether.interrupt import HELD_SIGNALS, handle_signals
from aether.workers import run_ranges

def handle(work, index):
    return index

def consume(start, answers):
    print(start, answers, flush=True)

# a Ctrl-C reaches the first worker in the fork itself, before it takes the signals back
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGINT))
with handle_signals():
    try:
        run_ranges(list(range(4)), 4, [(0, 2), (2, 4)], handle, consume, 2, what="test",
                   doing="testing", label=str)
    except KeyboardInterrupt:
        print("interrupted")
"""


def test_a_worker_signalled_before_it_starts_ends_quietly_and_is_an_interrupt():
    proc = subprocess.run([sys.executable, "-c", _HELD_SCRIPT], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.stdout == "interrupted\n"
    assert proc.stderr == ""  # no worker traceback


_DEATH_SCRIPT = r"""
import os, signal
from aether.workers import WorkerError, run_ranges

def handle(work, index):
    if index == 3:  # the kernel's out-of-memory killer, mid-item
        os.kill(os.getpid(), signal.SIGKILL)
    return index

try:
    run_ranges(None, 8, [(0, 2), (2, 4), (4, 6), (6, 8)], handle, lambda s, a: None, 2,
               what="test", doing="testing", label=lambda n: f"item{n}")
except WorkerError as exc:
    print(exc, exc.status)
"""


def test_a_worker_that_dies_is_one_error_naming_its_item():
    proc = subprocess.run([sys.executable, "-c", _DEATH_SCRIPT], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.stdout.splitlines() == [
        "the worker process testing item3 was killed by SIGKILL (as the kernel's "
        "out-of-memory killer does: try fewer --jobs or more memory) 27"], proc.stderr
    assert "Traceback" not in proc.stderr


_CHECK_KILLED_SCRIPT = r"""
import os, signal, sys
from aether import runner
from aether.cli.main import main

real_check = runner._check_data

def check(display, data, options):  # the kernel's out-of-memory killer, mid-file
    if display.endswith("f0100.aether"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_check(display, data, options)

runner._check_data = check
sys.exit(main(["check", sys.argv[1], "-q", "-j", "2", "--no-cache"]))
"""


def test_a_check_worker_killed_is_one_line_naming_the_file_and_27(tree):
    # was "concurrent.futures.process.BrokenProcessPool: A process in the process pool
    # was terminated abruptly..." as an internal error, naming no file
    proc = subprocess.run([sys.executable, "-c", _CHECK_KILLED_SCRIPT, str(tree)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 27, proc.stderr
    assert proc.stderr.splitlines() == [
        f"aether: the worker process checking {tree / 'f0100.aether'} was killed by "
        "SIGKILL (as the kernel's out-of-memory killer does: try fewer --jobs or more "
        "memory)"]


_VERIFY_KILLED_SCRIPT = r"""
import os, signal, sys
from aether.signing import verify
from aether.cli.main import main

real_verify = verify.verify_path

def verify_path(path, display, options):  # the kernel's out-of-memory killer, mid-file
    if display.endswith("f0100.aether"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_verify(path, display, options)

verify.verify_path = verify_path
sys.exit(main(["verify", sys.argv[1], "-j", "2"]))
"""


def test_a_verify_worker_killed_is_one_line_naming_the_file_and_27(tree):
    # docs/signing.md: sign and verify run on the same pool, so a dead worker is exit 27
    proc = subprocess.run([sys.executable, "-c", _VERIFY_KILLED_SCRIPT, str(tree)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 27, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("aether: the worker process verifying "), lines
    assert lines[0].endswith("f0100.aether was killed by SIGKILL (as the kernel's "
                             "out-of-memory killer does: try fewer --jobs or more memory)")


_SIGN_KILLED_SCRIPT = r"""
import os, signal, sys
from aether.signing import sign
from aether.cli.main import main

real_sign = sign._sign_one

def sign_one(path, display, *args):  # the kernel's out-of-memory killer, mid-file
    if display.endswith("f0100.aether"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_sign(path, display, *args)

sign._sign_one = sign_one
os.chdir(sys.argv[1])
sys.exit(main(["sign", "--key", "k", "-j", "2", "many"]))
"""


def test_a_sign_worker_killed_is_one_line_naming_the_file_and_27(tmp_path):
    # no answer comes for the files of a dead worker: the run ends there, naming the file
    # (never a shorter report, or a count of signed files without the missing ones)
    many = tmp_path / "many"
    many.mkdir()
    for n in range(400):
        (many / f"f{n:04d}.aether").write_text(f'goal: "g{n}"\nlog("x")\n')
    (tmp_path / "aether.toml").write_text("[aether]\n")
    subprocess.run([sys.executable, "-m", "aether", "keygen", "-o", "k"], cwd=tmp_path,
                   capture_output=True, check=True, timeout=120)
    proc = subprocess.run([sys.executable, "-c", _SIGN_KILLED_SCRIPT, str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 27, proc.stderr
    assert proc.stderr.splitlines() == [
        f"aether: the worker process signing {os.path.join('many', 'f0100.aether')} was "
        "killed by SIGKILL (as the kernel's out-of-memory killer does: try fewer --jobs or "
        "more memory)"], proc.stderr
    assert "signed" not in proc.stdout
    assert "# @aether-signature" not in (many / "f0100.aether").read_text()


_ORPHAN_SEND_SCRIPT = r"""
import multiprocessing
from aether.workers import _serve

tasks_r, tasks_w = multiprocessing.Pipe(duplex=False)
results_r, results_w = multiprocessing.Pipe(duplex=False)
tasks_w.send((0, 2))
tasks_w.send(None)
results_r.close()  # the parent is gone (killed): nobody reads the answers
_serve(None, lambda work, index: index, tasks_r, results_w, [])
print("ended")
"""


def test_a_worker_whose_parent_is_gone_ends_without_a_traceback():
    # its answer could not be sent (BrokenPipeError), nor the error about it: that
    # escaped the worker and was printed as a traceback after the run had ended
    proc = subprocess.run([sys.executable, "-c", _ORPHAN_SEND_SCRIPT], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.stdout == "ended\n", proc.stderr
    assert proc.stderr == ""


_ORPHAN_UNPICKLABLE_SCRIPT = r"""
import multiprocessing, threading
from aether.workers import _serve

tasks_r, tasks_w = multiprocessing.Pipe(duplex=False)
results_r, results_w = multiprocessing.Pipe(duplex=False)
tasks_w.send((0, 2))
tasks_w.send(None)
results_r.close()  # the parent is gone (killed): nobody reads the answers
# an answer that cannot be pickled (a lock): the error about it cannot be sent either
_serve(None, lambda work, index: threading.Lock(), tasks_r, results_w, [])
print("ended")
"""


def test_a_worker_whose_parent_is_gone_ends_quietly_after_an_unpicklable_answer():
    # the send of the error about the answer was unguarded: BrokenPipeError escaped the
    # worker as a traceback
    proc = subprocess.run([sys.executable, "-c", _ORPHAN_UNPICKLABLE_SCRIPT],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.stdout == "ended\n", proc.stderr
    assert proc.stderr == ""


_UNPICKLABLE_SCRIPT = r"""
import threading
from aether.workers import WorkerError, run_ranges

def handle(work, index):
    return threading.Lock() if index == 5 else index

try:
    run_ranges(None, 8, [(0, 2), (2, 4), (4, 6), (6, 8)], handle, lambda s, a: None, 2,
               what="test", doing="testing", label=lambda n: f"item{n}")
except WorkerError as exc:
    print(exc, exc.status)
"""


def test_an_answer_that_cannot_be_pickled_is_one_error_naming_its_item():
    proc = subprocess.run([sys.executable, "-c", _UNPICKLABLE_SCRIPT], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.stdout.startswith("internal error while testing item5: "), proc.stderr
    assert proc.stdout.endswith(" 27\n")
    assert proc.stderr == ""


_CHECK_BUG_SCRIPT = r"""
import sys
from aether import runner
from aether.cli.main import main

real_check = runner._check_data

def buggy_check(display, data, options):  # a bug outside the checker's containment
    if display.endswith("f0100.aether"):
        raise ValueError("bug in a worker")
    return real_check(display, data, options)

runner._check_data = buggy_check
sys.exit(main(["check", sys.argv[1], "-q", "-j", "2", "--no-cache"]))
"""


def test_aether_debug_shows_a_workers_traceback(tree):
    # the message says "AETHER_DEBUG=1 shows the details": the run re-raised the
    # parent's WorkerError alone, whose traceback has no frame of the worker
    env = dict(os.environ, AETHER_DEBUG="1")
    proc = subprocess.run([sys.executable, "-c", _CHECK_BUG_SCRIPT, str(tree)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert "internal error while checking" in proc.stderr
    assert ", in buggy_check\n" in proc.stderr  # the worker's frame
    assert "ValueError: bug in a worker\n" in proc.stderr


# An answer that only multiprocessing's pickler can send (a reducer registered on it, as
# libraries do for their own types), before one that nothing can pickle (a lock).
class _Shared:
    def __reduce__(self):
        raise TypeError("only through multiprocessing")


_FORKING_ONLY_SCRIPT = r"""
import threading
from multiprocessing.reduction import ForkingPickler
from aether.workers import WorkerError, run_ranges

class Shared:
    def __reduce__(self):
        raise TypeError("only through multiprocessing")

ForkingPickler.register(Shared, lambda obj: (Shared, ()))

def handle(work, index):
    return threading.Lock() if index == 5 else Shared()

try:
    run_ranges(None, 8, [(0, 2), (2, 4), (4, 6), (6, 8)], handle, lambda s, a: None, 2,
               what="test", doing="testing", label=lambda n: f"item{n}")
except WorkerError as exc:
    print(exc, exc.status)
"""


def test_the_unpicklable_answer_is_found_with_the_pickler_that_sends_it(monkeypatch):
    # plain pickle refused item4 (sent fine by ForkingPickler) and named it
    from multiprocessing.reduction import ForkingPickler

    from aether.workers import _unpicklable

    monkeypatch.setitem(ForkingPickler._extra_reducers, _Shared, lambda obj: (_Shared, ()))
    shared, lock = _Shared(), threading.Lock()
    with pytest.raises(TypeError):
        pickle.dumps(shared)
    assert _unpicklable(4, [shared, lock]) == 5
    assert _unpicklable(4, [shared, shared]) == 4  # none: the range's first
    proc = subprocess.run([sys.executable, "-c", _FORKING_ONLY_SCRIPT], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.stdout.startswith("internal error while testing item5: "), proc.stderr
    assert proc.stdout.endswith(" 27\n")
