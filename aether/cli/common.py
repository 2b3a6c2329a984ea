"""Small helpers shared by the CLI commands: colour choice, CSV options, atomic report files."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Iterator, Optional, TextIO

COLOR_CHOICES = ("auto", "always", "never")


def path_param(**kwargs):
    """``click.Path`` for a path argument or option, with readability left to the command:
    an unreadable file is then a finding (AE003, status 26) or the command's own message,
    not click's usage error (exit 2, outside the status table)."""
    import click

    if kwargs.get("dir_okay") is False:
        return _FileName(readable=False, **kwargs)
    return click.Path(readable=False, **kwargs)


def _file_name_type():
    import click

    class FileName(click.Path):
        """A path that names one file: an empty value (an unset variable in a CI script)
        is a usage error saying so, not an OS error about the name ``''``."""

        def convert(self, value, param, ctx):
            if isinstance(value, str) and not value.strip():
                self.fail("no file name given (an empty value)", param, ctx)
            return super().convert(value, param, ctx)

    return FileName


def _FileName(**kwargs):  # noqa: N802 - a class made on first use (click at import time)
    return _file_name_type()(**kwargs)


def setting_range(key: str):
    """The click type of a whole-number setting (``jobs``, ``max-file-size``): the same
    range the configuration file accepts (aether.config.INT_RANGES), so an absurd value is
    a usage error naming it (exit 2), not a failure deep inside the run."""
    import click

    from ..config import INT_RANGES

    low, high = INT_RANGES[key]
    return click.IntRange(min=low, max=high)


def finite_float(min: float = 0):  # noqa: A002 - click's own parameter name
    """A click float type that refuses ``inf``, ``nan`` and overflowing values (``1e400``)
    with a usage error naming the value, besides the range check of ``FloatRange``."""
    import math

    import click

    class FiniteFloat(click.FloatRange):
        name = "finite float"

        def convert(self, value, param, ctx):
            number = super().convert(value, param, ctx)
            if not math.isfinite(number):
                self.fail(f"{value!r} is not a finite number", param, ctx)
            return number

    return FiniteFloat(min=min)


def text_param():
    """A click type for text that is recorded or looked up in the state database or the
    ledger (a run or request id, an actor, an approver, a reason, a status): an argument
    byte that is not UTF-8 (Python's lone surrogate) is a usage error naming it, since no
    database row, hash or JSON document can hold it."""
    import click

    from ..walk import printable_path

    class Utf8Text(click.ParamType):
        name = "text"

        def convert(self, value, param, ctx):
            if isinstance(value, str) and not value.isascii() and \
                    any("\ud800" <= ch <= "\udfff" for ch in value):
                self.fail(f"'{printable_path(value)}' is not UTF-8 text", param, ctx)
            return value

    return Utf8Text()


def project_options(func):
    """``--exclude``, ``--config`` and ``--isolated``: how a command finds its files and
    configuration (shared by every command that walks a tree)."""
    import click

    for option in reversed((
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Skip files matching GLOB when searching directories "
                     "(adds to config)."),
        # Not click's checks: a directory, device or missing file is the configuration
        # loader's error (status 26, saying what the path is), and /dev/null is empty.
        click.option("--config", "config_file", type=path_param(), default=None,
                     help="Use this configuration file."),
        click.option("--isolated", is_flag=True, help="Ignore configuration files."),
    )):
        func = option(func)
    return func


def use_color(choice: str, is_terminal: bool) -> bool:
    """Colour for ``--color``: auto means a terminal, NO_COLOR unset and TERM not dumb."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal and os.environ.get("TERM") != "dumb"


def split_csv(values) -> tuple[str, ...]:
    """``("AE1,AE2", "AE3")`` -> ``("AE1", "AE2", "AE3")``."""
    out: list[str] = []
    for v in values or ():
        out.extend(part.strip() for part in v.split(",") if part.strip())
    return tuple(out)


class atomic_output:
    """``with atomic_output(path) as out``: ``out`` is stdout, or a buffer written to
    ``path`` atomically once the block completes without an exception (fileio); a failed
    write raises OSError. (A class, not a contextlib generator: the one-file check does
    not import contextlib.)"""

    def __init__(self, path: Optional[str]):
        self.path = path

    def __enter__(self) -> TextIO:
        if self.path is None:
            return sys.stdout
        import io

        self.buffer = io.StringIO()
        return self.buffer

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path is None or exc_type is not None:
            return
        from ..fileio import WriteError, write_output

        try:
            write_output(self.path, self.buffer.getvalue().encode("utf-8"))
        except WriteError as err:
            raise OSError(str(err)) from None


def state_option(extra: str = ""):
    """The ``--state PATH|URL`` option of every command that reads or writes the state
    store (run, resume, runs, stats, the governance commands); ``extra`` ends its help."""
    import click

    return click.option("--state", "state", type=path_param(dir_okay=False, path_type=str),
                        default=None, metavar="PATH|URL",
                        help="State store: a SQLite file or a postgresql:// URL (default: "
                        "the configuration's `state`, else .aether/state.db in the project "
                        "root)" + (f"; {extra}" if extra else "") + ".")
