"""Recognise the one-path command lines that can run without click (start-up time).

``aether check FILE`` and ``aether --check FILE`` with a few flags are what editors,
pre-commit hooks and the reference scripts run once per file; importing click costs about
as much as checking the file. ``check DIR --format json --cache-dir D`` (a warm re-check
in CI) takes the same path: click was a sixth of a warm re-check of 10,000 files.
:func:`fast_check_arguments` returns the keyword arguments of
:func:`aether.cli.check_run.run_check` for exactly those command lines, the same values
click would pass, and None for everything else (help, version, other commands, option
values, several paths, ``-``, anything it does not know), which click then handles as
always. tests/test_cli_fast.py compares both paths.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Mapping, Optional

__all__ = ["fast_check_arguments"]

# `aether check` flags the fast path takes: option -> (parameter, value).
_CHECK_FLAGS = {
    "--emit-error-code": ("emit_error_code", True),
    "--json-status": ("json_status", True),
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "--isolated": ("isolated", True),
    "--no-cache": ("no_cache", True),
    "--exit-zero": ("exit_zero", True),
    "--no-suppress": ("no_suppress", True),
    "--show-suppressed": ("show_suppressed", True),
    "--show-source": ("show_source", True),
    "--no-show-source": ("show_source", False),
}
_COLOR_CHOICES = ("auto", "always", "never")
FORMAT_CHOICES = ("text", "json", "jsonl", "sarif", "github")  # `check --format` (click too)
# `aether --check FILE`: the group's own flags.
_GROUP_FLAGS = {
    "--emit-error-code": ("emit_error_code", True),
    "--json-status": ("json_status", True),
}


def _is_path(token: str) -> bool:
    """A token click would take as a path argument and that needs no special handling
    (``-`` is stdin, ``--`` ends the options, anything else with a dash is an option)."""
    return bool(token) and not token.startswith("-")


def _cache_dir(token: str) -> bool:
    """A ``--cache-dir`` value click's ``Path(file_okay=False)`` takes as it is: not an
    option, not empty, not an existing file (click rejects that with a usage error)."""
    import os

    return _is_path(token) and not os.path.isfile(token)


def fast_check_arguments(argv: list[str], environ: Mapping[str, str]) -> Optional[dict]:
    """``run_check`` keyword arguments for a one-file check command line, or None.

    ``argv`` is the command line without the program name. None means: let click parse it
    (it is not one of the forms recognised here, or shell completion is asked for).
    """
    if "_AETHER_COMPLETE" in environ:  # click's shell-completion protocol
        return None
    if argv and argv[0] == "check":
        return _check_form(argv[1:])
    return _group_form(argv)


def _check_form(tokens: list[str]) -> Optional[dict]:
    """``check [FLAGS] FILE [FLAGS]``: one path, flags from _CHECK_FLAGS, ``--color X``,
    ``--format X``, ``--cache-dir DIR``."""
    kwargs: dict = {}
    paths: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _CHECK_FLAGS:
            name, value = _CHECK_FLAGS[token]
            kwargs[name] = value  # a repeated or contradicting flag: the last wins, as in click
        elif token == "--color" and i + 1 < len(tokens) and tokens[i + 1] in _COLOR_CHOICES:
            kwargs["color"] = tokens[i + 1]
            i += 1
        elif token == "--format" and i + 1 < len(tokens) and tokens[i + 1] in FORMAT_CHOICES:
            kwargs["fmt"] = tokens[i + 1]
            i += 1
        elif token == "--cache-dir" and i + 1 < len(tokens) and _cache_dir(tokens[i + 1]):
            kwargs["cache_dir"] = tokens[i + 1]
            i += 1
        elif _is_path(token):
            paths.append(token)
        else:
            return None
        i += 1
    if len(paths) != 1:
        return None
    kwargs["paths"] = tuple(paths)
    return kwargs


def _group_form(tokens: list[str]) -> Optional[dict]:
    """``--check FILE`` once, with ``--emit-error-code`` / ``--json-status``."""
    kwargs: dict = {}
    paths: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _GROUP_FLAGS:
            name, value = _GROUP_FLAGS[token]
            kwargs[name] = value
        elif token == "--check" and i + 1 < len(tokens) and _is_path(tokens[i + 1]):
            paths.append(tokens[i + 1])
            i += 1
        else:
            return None
        i += 1
    if len(paths) != 1:
        return None
    kwargs["paths"] = tuple(paths)
    kwargs["single_file"] = True
    return kwargs
