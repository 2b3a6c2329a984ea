"""Small helpers shared by the CLI commands: colour choice, CSV options, atomic report files."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, Optional, TextIO

COLOR_CHOICES = ("auto", "always", "never")


def project_options(func):
    """``--exclude``, ``--config`` and ``--isolated``: how a command finds its files and
    configuration (shared by every command that walks a tree)."""
    import click

    for option in reversed((
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Skip files matching GLOB when searching directories "
                     "(adds to config)."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     default=None, help="Use this configuration file."),
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


@contextlib.contextmanager
def atomic_output(path: Optional[str]) -> Iterator[TextIO]:
    """stdout, or a text file written beside ``path`` and moved into place when complete."""
    if path is None:
        yield sys.stdout
        return
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".aether-", suffix=".tmp", dir=folder)
    try:
        # mkstemp creates 0600; a report is an ordinary file, so honour the umask instead.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
