"""A file swapped for a FIFO between a check by name and the open does not hang a reader.

Each case runs in a subprocess where ``os.stat`` (by name) reports the FIFO as a regular
file, as if a racing process swapped it in just after the check: a reader that checks by
name and then calls plain ``open`` waits forever for a writer (the subprocess times out);
one that opens without blocking and checks the open descriptor refuses it at once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")

# os.stat by name of the FIFO answers with the stat of a regular file (the race lost);
# os.fstat of an open descriptor is untouched and tells the truth
_SWAPPED = r"""
import os, sys
fifo, regular = sys.argv[1], sys.argv[2]
real_stat = os.stat
def lying_stat(path, *args, **kwargs):
    if isinstance(path, (str, bytes, os.PathLike)) and os.fspath(path) == fifo:
        return real_stat(regular, *args, **kwargs)
    return real_stat(path, *args, **kwargs)
os.stat = lying_stat
"""

_CLI = _SWAPPED + r"""
from aether.cli.main import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture()
def swapped(tmp_path):
    """``(fifo, regular)``: a FIFO named like a workflow and a regular file to lie with."""
    fifo = tmp_path / "swapped.aether"
    os.mkfifo(fifo)
    regular = tmp_path / "regular.aether"
    regular.write_text('goal: "g"\n')
    return str(fifo), str(regular)


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                              env=dict(os.environ, NO_COLOR="1"), timeout=60,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail("hung opening a FIFO that a check by name took for a regular file")


@pytest.mark.parametrize("command", [["check", "--isolated", "--no-cache"],
                                     ["fmt", "--isolated", "--check"],
                                     ["migrate", "--isolated"]])
def test_file_swapped_for_a_fifo_is_one_io_error(swapped, command):
    fifo, regular = swapped
    proc = _run(_CLI, fifo, regular, *command, fifo)
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 26, out
    assert "Traceback" not in out
    assert out.count("is not a regular file") == 1, out


def test_rewrite_reread_of_a_file_swapped_for_a_fifo_is_refused(swapped):
    # write_atomic re-reads the file it replaces (to keep a concurrent edit): that re-read
    # came after its checks by name, so a FIFO swapped in then made it wait forever
    fifo, regular = swapped
    script = _SWAPPED + r"""
from aether import fileio
fileio.check_writable = lambda *a, **k: None  # the checks by name passed before the swap
try:
    fileio.write_atomic(fifo, b"new\n", expect=b"old\n")
except fileio.WriteError as exc:
    print(exc.reason)
    sys.exit(3)
"""
    proc = _run(script, fifo, regular)
    assert proc.returncode == 3, proc.stderr.decode()
    assert "a FIFO (named pipe), not a regular file" in proc.stdout.decode()
    assert os.path.exists(fifo) and not os.path.isfile(fifo)  # left as it is


def test_signature_head_of_a_fifo_is_no_block(swapped):
    # fmt and migrate ask whether a file they rewrote starts with a signature block: a
    # FIFO put at that name made the plain open there wait forever
    fifo, regular = swapped
    proc = _run(_SWAPPED + r"""
from aether.signing.block import file_starts_with_block
print(file_starts_with_block(fifo))
""", fifo, regular)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == "False"


def test_read_source_takes_type_and_size_from_the_open_file(tmp_path, monkeypatch):
    # in process: a name-based stat that lies about size is not trusted either
    p = tmp_path / "w.aether"
    p.write_text('goal: "g"\n')
    from aether.source import read_source

    real = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: (_ for _ in ()).throw(
        AssertionError("stat by name")) if os.fspath(path) == str(p) else real(path, *a, **k))
    read = read_source(str(p), max_size=5)
    assert read.error is not None and read.error.rule == "AE006"
    assert read_source(str(p)).text == 'goal: "g"\n'
