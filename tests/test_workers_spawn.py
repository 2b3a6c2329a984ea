"""The worker pools and the spawn start method (macOS's default since Python 3.8, the only
one on Windows).

The pools name the fork context wherever fork exists, so a default of spawn (macOS, or
``multiprocessing.set_start_method("spawn")``) changes nothing: workers are still forked.
Where fork is missing (Windows; simulated here by hiding it from
``multiprocessing.get_all_start_methods``), ``check``, ``verify`` and ``migrate`` spawn
their workers and give the same results as ``-j 1``; ``sign`` (the key is never pickled)
and ``classify`` (its work is a closure; the deadline needs a separate process) work in
one process and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import multiprocessing, sys
if sys.argv[1] == "no-fork":  # as on Windows
    multiprocessing.get_all_start_methods = lambda: ["spawn"]
elif sys.argv[1] == "spawn-default":  # as on macOS
    multiprocessing.set_start_method("spawn", force=True)
from aether.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _aether(mode: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", _SCRIPT, mode, *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """More files than one range of any pool (check 32, verify 64), some with findings,
    some in the legacy syntax (to migrate)."""
    folder = tmp_path_factory.mktemp("fleet")
    (folder / "aether.toml").write_text("[aether]\n")
    wf = folder / "wf"
    wf.mkdir()
    for n in range(150):
        body = (f'intent: "g{n}"\ndefine limit as {n}\n' if n % 3 == 0 else
                f'goal: "g{n}"\nno_such_call({n})\n' if n % 37 == 1 else
                f'goal: "g{n}"\nlog("x")\n')
        (wf / f"f{n:04d}.aether").write_text(body)
    return folder


@pytest.mark.parametrize("command", [
    ("check", "--no-cache", "--format", "json"),
    ("verify", "--format", "json"),
    ("migrate",),
])
def test_without_fork_the_pool_spawns_its_workers_with_the_same_results(fleet, command):
    serial = _aether("normal", fleet, *command, "-j", "1", "wf")
    spawned = _aether("no-fork", fleet, *command, "-j", "2", "wf")
    assert serial.stdout and "Traceback" not in serial.stderr, serial.stderr
    assert (spawned.returncode, spawned.stdout) == (serial.returncode, serial.stdout), \
        spawned.stderr
    assert spawned.stderr == serial.stderr
    assert "Traceback" not in spawned.stderr


_FORKED_SCRIPT = r"""
import multiprocessing, sys
multiprocessing.set_start_method("spawn", force=True)  # the default on macOS
from aether import runner
from aether.cli.main import main

real_check = runner._check_data

def check(display, data, options):  # a replacement that only a forked worker has
    if display.endswith("f0100.aether"):
        raise ValueError("forked")
    return real_check(display, data, options)

runner._check_data = check
sys.exit(main(["check", "--no-cache", "-q", "-j", "2", "wf"]))
"""


def test_a_default_start_method_of_spawn_still_forks_the_workers(fleet):
    proc = subprocess.run([sys.executable, "-c", _FORKED_SCRIPT], capture_output=True,
                          text=True, timeout=300, cwd=fleet,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    # the parent's replacement ran in the worker: it was forked, not spawned
    assert proc.returncode == 27, proc.stderr
    assert "internal error while checking" in proc.stderr and "forked" in proc.stderr


def test_classify_without_fork_classifies_here_and_says_so(fleet, tmp_path):
    report = tmp_path / "report.json"
    proc = _aether("no-fork", fleet, "classify", "-j", "2", "-o", str(report),
                   "--markdown", "", "--no-history", "wf")
    assert proc.returncode == 0, proc.stderr
    assert "warning: worker processes cannot be forked here (no fork start method): the " \
        "files are classified in this process" in proc.stderr
    doc = json.loads(report.read_text())
    assert doc["total"] == 150 and doc["failed"] >= 50
    forked = _aether("normal", fleet, "classify", "-j", "2", "-o", str(tmp_path / "f.json"),
                     "--markdown", "", "--no-history", "wf")
    assert "cannot be forked" not in forked.stderr
    first = json.loads((tmp_path / "f.json").read_text())
    assert [f["category"] for f in first["files"]] == [f["category"] for f in doc["files"]]


def test_sign_jobs_without_fork_signs_here_and_says_so(tmp_path):
    (tmp_path / "aether.toml").write_text("[aether]\n")
    keygen = _aether("normal", tmp_path, "keygen", "-o", "k")
    assert keygen.returncode == 0, keygen.stderr
    wf = tmp_path / "wf"
    wf.mkdir()
    for n in range(80):
        (wf / f"f{n:02d}.aether").write_text(f'goal: "g{n}"\nlog({n})\n')
    proc = _aether("no-fork", tmp_path, "sign", "--key", "k", "-j", "2", "wf")
    assert proc.returncode == 0, proc.stderr
    assert "warning: --jobs: worker processes cannot be forked here" in proc.stderr
    assert "80 files signed" in proc.stderr
    assert all((wf / f"f{n:02d}.aether").read_text().startswith("# @aether-signature")
               for n in range(80))
