"""`aether check`: check files and directories, print a report, exit with the status code."""

from __future__ import annotations

import click

from .common import COLOR_CHOICES, path_param, project_options, setting_range
from .fast import FORMAT_CHOICES  # one list for click and the fast path
from .sigopts import trust_options


@click.command()
@click.argument("paths", nargs=-1, type=path_param(dir_okay=True, file_okay=True,
                                                   allow_dash=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", "output_file", type=path_param(dir_okay=False),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--select", multiple=True, metavar="RULES",
              help="Only these rules (ids, prefixes like AE3, or names; comma-separated).")
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules.")
@project_options
@click.option("-j", "--jobs", type=setting_range("jobs"), default=None,
              help="Worker processes (default: CPU count).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=path_param(file_okay=False), default=None,
              help="Where the cache lives (default: .aether_cache beside the config).")
@click.option("--no-suppress", is_flag=True,
              help="Ignore inline `# aether: ignore[...]` comments (audit mode).")
@click.option("--stdin-filename", default=None, metavar="PATH",
              help="The path to report for input read from `-`.")
@click.option("--emit-error-code", is_flag=True,
              help="Also print AETHER_ERROR_CODE:<int> on stderr.")
@click.option("--json-status", is_flag=True,
              help="Print one JSON status object per file on stdout (instead of the report).")
@click.option("--show-source/--no-show-source", default=True,
              help="Show source lines under findings (text format).")
@click.option("--show-suppressed", is_flag=True, help="Also list suppressed findings.")
@click.option("--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True,
              help="Colour in text output (auto: only on a terminal without NO_COLOR).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or hints on stderr.")
@click.option("--max-file-size", type=setting_range("max-file-size"), default=None, metavar="BYTES",
              help="Skip (with AE006) files larger than this.")
@click.option("--strict-signatures", "strict_signatures", is_flag=True, default=None,
              help="Also verify signatures; unsigned files fail with AE501 (also: "
              "strict-signatures = true in the configuration; docs/signing.md).")
@trust_options
@click.pass_context
def check(ctx, paths, fmt="text", output_file=None, select=(), ignore=(), exclude=(),
          jobs=None, no_cache=False, cache_dir=None, no_suppress=False, stdin_filename=None,
          emit_error_code=False, json_status=False, config_file=None, isolated=False,
          show_source=True, show_suppressed=False, color="auto", exit_zero=False,
          quiet=False, max_file_size=None, single_file=False, strict_signatures=None,
          allowed_signers=None, revoked_keys=None, legacy_env=None):
    """Check .aether files (directories are searched for *.aether).

    Exit status: for one file, its status code (0, 20 PARSE_ERROR, 25 VALIDATION_ERROR,
    26 IO_ERROR...); for several, 0 when all pass, else the most fundamental status among
    them (see docs/cli.md).
    """
    from .check_run import run_check

    status = run_check(paths, fmt=fmt, output_file=output_file, select=select, ignore=ignore,
                       exclude=exclude, jobs=jobs, no_cache=no_cache, cache_dir=cache_dir,
                       no_suppress=no_suppress, stdin_filename=stdin_filename,
                       emit_error_code=emit_error_code, json_status=json_status,
                       config_file=config_file, isolated=isolated, show_source=show_source,
                       show_suppressed=show_suppressed, color=color, exit_zero=exit_zero,
                       quiet=quiet, max_file_size=max_file_size, single_file=single_file,
                       strict_signatures=strict_signatures, allowed_signers=allowed_signers,
                       revoked_keys=revoked_keys, legacy_env=legacy_env)
    ctx.exit(status)
