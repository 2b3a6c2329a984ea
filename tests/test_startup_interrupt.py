"""Ctrl-C at any moment of a command, start-up included: one line and status 130.

A ``sitecustomize`` module put on PYTHONPATH (Python imports it at start-up, before the
entry point) watches the imports of the real entry point (``python -m aether`` or the
console script's code) and, at the chosen one, sends the process SIGINT or raises
KeyboardInterrupt where Python handles it oddly (a string ``exec``, a ``__set_name__``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_SITECUSTOMIZE = '''
import os, sys

_at = os.environ.get("HOOK_AT")
_how = os.environ.get("HOOK_HOW")
_log = os.environ.get("HOOK_LOG")


class _Hook:
    @staticmethod
    def find_spec(name, path=None, target=None):
        global _at
        if _log:
            with open(_log, "a") as fh:
                fh.write(name + "\\n")
        if _at and name == _at:
            _at = None
            if _how == "signal":  # the handler runs within this import
                import signal
                os.kill(os.getpid(), signal.SIGINT)
            elif _how == "exec":  # as in namedtuple's or a dataclass's generated methods
                exec("raise KeyboardInterrupt", {})
            elif _how == "set_name":  # Python wraps it in a RuntimeError (3.11)
                exec("class D:\\n def __set_name__(self, owner, name):\\n"
                     "  raise KeyboardInterrupt\\nclass C:\\n d = D()\\n", {})
        return None


sys.meta_path.insert(0, _Hook)
'''


def _console_script_code() -> str:
    """What the console script pip writes for pyproject's [project.scripts] runs."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    with open(ROOT / "pyproject.toml", "rb") as fh:
        target = tomllib.load(fh)["project"]["scripts"]["aether"]
    module, func = target.split(":")
    return f"import re\nimport sys\nfrom {module} import {func}\nsys.exit({func}())\n"


ENTRIES = {
    "python -m aether": ["-m", "aether"],
    "console script": ["-c", _console_script_code()],
}


def _run(tmp_path: Path, entry: str, args: list[str], **hook) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOK_")}
    env.update({f"HOOK_{k.upper()}": v for k, v in hook.items()}, NO_COLOR="1",
               PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    return subprocess.run([sys.executable, *ENTRIES[entry], *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def _project(tmp_path: Path) -> None:
    (tmp_path / "a.aether").write_text('goal: "x"\nlog("hi")\n')


_COMMANDS = [["check", "a.aether"], ["fmt", "--check", "a.aether"]]


def _startup_imports(tmp_path: Path, entry: str, args: list[str]) -> list[str]:
    """The modules the command imports once its entry point runs, in order."""
    log = tmp_path / "imports.log"
    log.unlink(missing_ok=True)
    proc = _run(tmp_path, entry, args, log=str(log))
    assert proc.returncode == 0, proc.stderr
    names = log.read_text().split()
    # everything after the entry point's first import of the command line's modules
    return names[names.index("aether.cli"):]


@pytest.mark.parametrize("entry", ENTRIES)
def test_sigint_during_any_start_up_import_is_one_line_and_130(tmp_path, entry):
    _project(tmp_path)
    for args in _COMMANDS:
        names = _startup_imports(tmp_path, entry, args)
        assert len(names) > 20, names
        step = max(1, len(names) // 12)  # a spread of them: each run is a process
        for name in names[::step] + names[-3:]:
            proc = _run(tmp_path, entry, args, at=name, how="signal")
            # (click writes an empty line before it gives the interrupt back)
            assert (proc.returncode, proc.stderr.strip()) == (130, "aether: interrupted"), \
                (args, name, proc.stderr)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("how", ["exec", "set_name"])
def test_an_interrupt_that_python_handles_oddly_is_still_130(tmp_path, entry, how):
    # "exec": under `python -m` CPython ended by SIGINT (-2) after the command had
    # reported the interrupt; "set_name": it arrived as a RuntimeError, an internal error
    _project(tmp_path)
    for at in ("aether.fmt", "aether.cli.fmt", "aether.walk"):
        proc = _run(tmp_path, entry, ["fmt", "--check", "a.aether"], at=at, how=how)
        assert (proc.returncode, proc.stderr.strip()) == (130, "aether: interrupted"), \
            (at, proc)


def _wrapped_interrupt(*_args, **_kwargs):
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        raise RuntimeError("Error calling __set_name__ on 'D' instance 'd' in 'C'") from exc


def test_a_wrapped_interrupt_in_one_file_ends_the_run_and_is_no_internal_error(
        tmp_path, monkeypatch):
    # fmt and check contain a bug to the file it hit (27, AE999); an interrupt that Python
    # wrapped in a RuntimeError went that way and the run went on
    from aether import fmt, runner
    from aether.checker import CheckOptions

    path = tmp_path / "a.aether"
    path.write_text('goal:  "x"\n')
    monkeypatch.setattr(fmt, "format_text", _wrapped_interrupt)
    with pytest.raises(KeyboardInterrupt):
        fmt.format_file(str(path), write=True)
    monkeypatch.setattr(runner, "check_text", _wrapped_interrupt)
    with pytest.raises(KeyboardInterrupt):
        runner._check_data("a.aether", b'goal: "x"\n', CheckOptions())
    # a RuntimeError of its own is still a bug of that file alone
    monkeypatch.setattr(fmt, "format_text", lambda *_a: 1 / 0)
    assert fmt.format_file(str(path)).code == 27
    assert path.read_text() == 'goal:  "x"\n'


_SIGINT_AT_FORK = r"""
import os, signal, sys
os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
sys.argv = ["aether", "check", sys.argv[1], "-j", "2", "--no-cache", "-q"]
from aether.cli.main import main
sys.exit(main())
"""


def test_sigint_while_check_forks_its_workers_is_one_line_and_130(tmp_path):
    """A Ctrl-C that lands in an at-fork hook (logging's, which concurrent.futures
    imports) was printed as "Exception ignored ... KeyboardInterrupt" and lost: the check
    went on to its end. The forks are made with the signals held."""
    for n in range(200):
        (tmp_path / f"f{n}.aether").write_text(f'goal: "g{n}"\nlog("x")\n')
    proc = subprocess.run([sys.executable, "-c", _SIGINT_AT_FORK, str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    # (click ends the line a terminal's ^C was echoed on first)
    assert (proc.returncode, proc.stderr.strip()) == (130, "aether: interrupted")
