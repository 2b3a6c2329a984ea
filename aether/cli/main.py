"""The `aether` command's entry point: the one-file fast path, else the click group.

``aether check FILE`` and ``aether --check FILE`` with the common flags are run without
importing click (:mod:`aether.cli.fast`; start-up time matters for a checker run once per
file); every other command line goes to the click group of :mod:`aether.cli.group`.
Either way nothing ends in a traceback, Ctrl-C exits 130 and SIGTERM 143.
"""

from __future__ import annotations

import os
import sys

from ..outofmemory import release
from ..stdstreams import OutputError, flush_stdout, prepare

__all__ = ["main", "cli"]


def __getattr__(name: str):
    """``cli`` (the click group) is imported from aether.cli.group when first asked for."""
    if name in ("cli", "COMMANDS", "LazyGroup"):
        from . import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _run_click(argv) -> int:
    """Run the click group outside its standalone mode; return the exit status.

    Outside standalone mode click neither prints "Aborted!" (Ctrl-C must exit 130) nor
    calls sys.exit; its exceptions are turned into statuses here.
    """
    import click

    from .group import cli

    try:
        rv = cli.main(args=argv, prog_name="aether", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # usage errors and the like: exit 2
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    return rv if isinstance(rv, int) else 0


def _discard_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's final flush
    cannot fail again (the recipe of the Python docs on SIGPIPE)."""
    import contextlib

    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv=None) -> int:
    """Console-script entry point; returns the exit status.

    SIGTERM raises an exception too (aether.interrupt), so a killed run cleans up its
    temporary files and exits 143 with one line on stderr.
    """
    from ..interrupt import (SIGINT_STATUS, SIGTERM_STATUS, Terminated, handle_signals,
                             interrupt_behind)

    try:
        with handle_signals():
            from .fast import fast_check_arguments

            prepare()
            args = sys.argv[1:] if argv is None else list(argv)
            fast = fast_check_arguments(args, os.environ)
            if fast is None:
                status = _run_click(argv)
            else:
                from .check_run import run_check

                try:
                    status = run_check(**fast)
                except Exception as exc:
                    import click  # only now: the fast path never imports it otherwise

                    if not isinstance(exc, click.UsageError):
                        raise
                    # a usage error (a configured rule that matches nothing) comes before
                    # any output: click reports it, with its usage line, as for any
                    # other command line
                    status = _run_click(argv)
            flush_stdout()  # here, not at exit, where a failure would pass unreported
            return status
    except KeyboardInterrupt:
        sys.stderr.write("aether: interrupted\n")
        return SIGINT_STATUS
    except Terminated:
        sys.stderr.write("aether: terminated (SIGTERM)\n")
        return SIGTERM_STATUS
    except OutputError as exc:  # `aether rules > /dev/full`: the output's fault, not a bug
        _discard_stdout()
        sys.stderr.write(f"aether: cannot write to standard output: "
                         f"{exc.strerror or exc}\n")
        return 26
    except BrokenPipeError:  # e.g. `aether check | head`
        _discard_stdout()
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        interrupt = interrupt_behind(exc)
        if interrupt is not None:  # e.g. Ctrl-C in a __set_name__, wrapped in RuntimeError
            if isinstance(interrupt, Terminated):
                sys.stderr.write("aether: terminated (SIGTERM)\n")
                return SIGTERM_STATUS
            sys.stderr.write("aether: interrupted\n")
            return SIGINT_STATUS
        if os.environ.get("AETHER_DEBUG"):
            from ..workers import WorkerError

            if isinstance(exc, WorkerError) and exc.details:
                sys.stderr.write(exc.details)  # the worker's own traceback
            raise
        # A MemoryError's frames hold what filled memory: freed before anything else (the
        # import below failed too, and escaped as a traceback).
        release(exc)
        from ..workers import WorkerError

        if isinstance(exc, WorkerError):  # a --jobs worker died or could not be started
            sys.stderr.write(f"aether: {exc}\n")
            return exc.status
        from ..governance.ledger import LedgerError
        from ..store.base import StoreError

        if isinstance(exc, (StoreError, LedgerError)):
            # a state database that a command did not expect to fail (a table dropped, a
            # row rewritten by hand): an I/O error about that file, not a bug of aether
            # (its ledger reads fail as LedgerError, its other reads as StoreError)
            sys.stderr.write(f"aether: {exc}\n")
            return 26
        sys.stderr.write(f"aether: internal error: {type(exc).__name__}: {exc}\n"
                         "(this is a bug; AETHER_DEBUG=1 shows the details)\n")
        return 27
