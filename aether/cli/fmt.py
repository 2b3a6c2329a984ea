"""`aether fmt`: rewrite files in the canonical layout, or check / show what would change.

Exit status: 0 when nothing changed or files were rewritten; 1 with ``--check`` or
``--diff`` when a file would change; otherwise the most fundamental error among the
files (27 INTERNAL_ERROR, 26 IO_ERROR, 20 PARSE_ERROR). The logic is in :mod:`aether.fmt`.
"""

from __future__ import annotations

import sys

import click

from .common import path_param, project_options

_PRECEDENCE = (27, 26, 20)


@click.command()
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when a file would be reformatted.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print a unified diff of the changes (exit 1 if any).")
@project_options
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def fmt(ctx, paths, check=False, show_diff=False, exclude=(), config_file=None,
        isolated=False, quiet=False):
    """Format .aether files in the canonical Aether 1.2 layout (directories are searched).

    `-` formats standard input to standard output.
    """
    from ..config import ConfigError, load_config
    from ..fmt import format_file
    from ..output.text import PrintableLines, diff_stream

    err = PrintableLines(sys.stderr)  # file names and quoted source from the repository
    paths = paths or (".",)
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (stdin) cannot be combined with other paths")
        ctx.exit(_stdin(check or show_diff, show_diff, err))
    from ..semantics.project import load_project_catalogue

    try:
        config = load_config(next(iter(paths)), config_file, isolated)
        # Formatting does not resolve names, but a broken catalogue is a broken project
        # configuration: reported by every command that reads it, as for the config file.
        load_project_catalogue(config, isolated)
    except ConfigError as exc:
        err.write(f"aether fmt: {exc}\n")
        ctx.exit(26)
    from ..walk import iter_files

    write = not (check or show_diff)
    changed = unchanged = 0
    codes: set[int] = set()
    out = diff_stream(sys.stdout)
    for sf in iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root):
        outcome = format_file(sf.path, sf.display, write=write, want_diff=show_diff,
                              max_size=config.max_file_size, follow_links=sf.explicit)
        if outcome.state == "error":
            where = f"{outcome.display}:{outcome.line}" if outcome.line else outcome.display
            err.write(f"error: {where}: {outcome.message}\n")
            codes.add(outcome.code)
            continue
        if outcome.state == "changed":
            changed += 1
            if write and _signed(sf.path):
                err.write(f"note: {outcome.display} is signed and was reformatted: its "
                          "signature no longer matches; review it and sign it again "
                          "(aether sign)\n")
            if show_diff:
                out.write(outcome.diff)
            elif check and not quiet:
                err.write(f"would reformat {outcome.display}\n")
        else:
            unchanged += 1
    if not quiet:
        verb = "reformatted" if write else "would be reformatted"
        parts = []
        if changed:
            parts.append(f"{changed} file{'s' if changed != 1 else ''} {verb}")
        if unchanged:
            parts.append(f"{unchanged} file{'s' if unchanged != 1 else ''} left unchanged")
        if codes:
            parts.append("some files could not be formatted (see above)")
        if not parts:
            parts.append("no .aether files found")
        err.write(", ".join(parts) + "\n")
    for code in _PRECEDENCE:
        if code in codes:
            ctx.exit(code)
    ctx.exit(1 if changed and not write else 0)


def _signed(path: str) -> bool:
    from ..signing.block import file_starts_with_block

    return file_starts_with_block(path)


def _stdin(check: bool, show_diff: bool, err) -> int:
    """Format standard input to standard output: the bytes keep their newline style and
    BOM, exactly as a file rewritten in place does."""
    from ..fileio import encode_like, unified_diff
    from ..fmt import FormatError, format_text
    from ..source import read_stream

    decoded = read_stream(sys.stdin.buffer)
    data = decoded.data
    if decoded.error is not None:
        err.write(f"error: <stdin>: {decoded.error.message}\n")
        return 26
    try:
        result = format_text(decoded.text)
    except FormatError as exc:
        err.write(f"error: <stdin>: cannot format: {exc.message}\n")
        return 27 if exc.rule == "AE999" else 20
    new_bytes = encode_like(data, result.text)
    if show_diff:
        from ..output.text import diff_stream

        diff = unified_diff(data.decode("utf-8"), new_bytes.decode("utf-8"), "<stdin>")
        diff_stream(sys.stdout).write(diff)
    elif not check:
        sys.stdout.flush()
        sys.stdout.buffer.write(new_bytes)
        sys.stdout.buffer.flush()
    return 1 if check and new_bytes != data else 0
