"""`aether check`: check files and directories, print a report, exit with the status code."""

from __future__ import annotations

import os
import sys
import time

import click

from .common import (COLOR_CHOICES, atomic_output, path_param, project_options,
                     setting_range, split_csv, use_color)

FORMAT_CHOICES = ("text", "json", "jsonl", "sarif", "github")


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
@click.pass_context
def check(ctx, paths, fmt="text", output_file=None, select=(), ignore=(), exclude=(),
          jobs=None, no_cache=False, cache_dir=None, no_suppress=False, stdin_filename=None,
          emit_error_code=False, json_status=False, config_file=None, isolated=False,
          show_source=True, show_suppressed=False, color="auto", exit_zero=False,
          quiet=False, max_file_size=None, single_file=False):
    """Check .aether files (directories are searched for *.aether).

    Exit status: for one file, its status code (0, 20 PARSE_ERROR, 25 VALIDATION_ERROR,
    26 IO_ERROR...); for several, 0 when all pass, else the most fundamental status among
    them (see docs/cli.md).
    """
    from ..checker import CheckOptions, RuleFilter
    from ..codes import Status
    from ..config import ConfigError, load_config
    from ..diagnostics import FileResult, aggregate_status
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..walk import SourceFile, display_path, iter_files, printable_path

    err = sys.stderr
    paths = paths or (".",)
    start = next((p for p in paths if p != "-"), ".")
    from ..semantics.project import load_project_catalogue

    try:
        config = load_config(start, config_file, isolated)
        catalogue = load_project_catalogue(config, isolated)
    except ConfigError as exc:
        _fail(err, Status.IO_ERROR, f"aether: {exc}", emit_error_code)
    if not quiet:
        for warning in config.warnings:
            err.write(f"warning: {warning}\n")
    sel = split_csv(select) if select else config.select
    if select and not sel:
        # An empty selection would turn every check off in silence (a CI job passing
        # `--select "$RULES"` with the variable unset): refuse it.
        raise click.UsageError("--select names no rule (an empty selection would check "
                               "nothing; leave --select out to check every rule)")
    try:
        rules = RuleFilter.make(sel, tuple(config.ignore) + split_csv(ignore))
    except ValueError as exc:
        raise click.UsageError(f"--select/--ignore (or the config's select/ignore): {exc}")
    options = CheckOptions(root=config.root, rules=rules, suppress=not no_suppress,
                           catalogue=catalogue,
                           max_file_size=max_file_size or config.max_file_size
                           or DEFAULT_MAX_FILE_SIZE, keep_source=True)

    results: list[FileResult] = []
    began = time.perf_counter()
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (stdin) cannot be combined with other paths")
        results.append(_check_stdin(printable_path(stdin_filename or "<stdin>"), options))
        files = []
    else:
        if single_file:  # `aether --check FILE`: exactly those paths, never a directory walk
            files = [SourceFile(p, display_path(p), explicit=True)
                     for p in dict.fromkeys(paths)]
        else:
            files = list(iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root))
        results = _run(files, options, config, jobs, no_cache, cache_dir, quiet, err)

    if not no_suppress:
        _apply_suppression_list(results, config.root, emit_error_code, err)

    if not files and "-" not in paths and not results:
        if not quiet:
            err.write("warning: no .aether files found\n")

    try:
        with atomic_output(output_file) as out:  # -o applies to --json-status too
            if json_status:
                import json

                from ..output import json_status as status_obj
                for r in results:
                    out.write(json.dumps(status_obj(r), ensure_ascii=False,
                                         allow_nan=False) + "\n")
            else:
                from ..output import write_report

                # A report file never gets colour codes unless asked for with --color always.
                colour = use_color(color, sys.stdout.isatty()) if output_file is None \
                    else color == "always"
                write_report(fmt, results, out, color=colour and fmt == "text",
                             show_source=show_source, show_suppressed=show_suppressed)
    except OSError as exc:
        _fail(err, Status.IO_ERROR, f"aether check: cannot write the report: {exc}",
              emit_error_code)

    status = results[0].status if len(results) == 1 else aggregate_status(
        r.status for r in results)
    if not quiet and fmt == "text" and not json_status:
        _hints(results, time.perf_counter() - began, err)
    if emit_error_code:
        err.write(f"AETHER_ERROR_CODE:{int(status)}\n")
    ctx.exit(0 if exit_zero else int(status))


def _apply_suppression_list(results, root, emit_error_code, err):
    """Move findings listed in .aether/suppressions.txt (if present) to ``suppressed``."""
    if not (os.path.isdir(os.path.join(root, ".aether")) or
            os.path.isdir(os.path.join(root, ".aetherra"))):
        return  # no list can exist: skip loading the suppression-list module (start-up)
    from ..suppressions import SuppressionListError, discover, load, split_findings

    files = discover(root)
    if not files:
        return
    from datetime import date

    from ..codes import Status

    try:
        slist = load(files)
    except SuppressionListError as exc:
        _fail(err, Status.IO_ERROR, f"aether: {exc}", emit_error_code)
    today = date.today()
    for r in results:
        active, listed = split_findings(r.findings, slist, today)
        if listed:
            r.findings = active
            r.suppressed = sorted(r.suppressed + [f for f, _ in listed],
                                  key=lambda f: f.sort_key())


def _fail(err, status, message, emit_error_code):
    err.write(message + "\n")
    if emit_error_code:
        err.write(f"AETHER_ERROR_CODE:{int(status)}\n")
    raise SystemExit(int(status))


def _check_stdin(display, options):
    from ..checker import check_text
    from ..diagnostics import FileResult
    from ..fingerprint import assign_fingerprints
    from ..source import read_stream

    decoded = read_stream(sys.stdin.buffer, options.max_file_size)
    if decoded.error is not None:
        return FileResult(display, assign_fingerprints(display, [decoded.error.with_(
            content="<io>")]))
    return check_text(decoded.text, display, options)


def _run(files, options, config, jobs, no_cache, cache_dir, quiet, err):
    from ..runner import attach_sources, check_files, open_cache, resolve_jobs

    cache = open_cache(options, config, not no_cache, cache_dir, len(files))
    n_jobs, warning = resolve_jobs(jobs, config.jobs, len(files))
    if warning and not quiet:
        err.write(f"warning: {warning}\n")
    def progress(done, total):
        err.write(f"\rchecked {done}/{total} files")
        if done == total:
            err.write("\r\033[K")
        err.flush()

    show = not quiet and err.isatty() and len(files) > 200
    results = check_files(files, options, n_jobs, cache, progress if show else None)
    if cache is not None:
        problem = cache.save()
        if problem and not quiet:
            err.write(f"warning: result cache not saved ({problem}); "
                      "use --cache-dir or --no-cache\n")
    attach_sources(results, files, options.max_file_size)
    return results


def _hints(results, seconds, err):
    legacy = sum(1 for r in results if any(f.rule.startswith("AE2") for f in r.findings))
    if legacy:
        err.write(f"hint: {legacy} file{'s use' if legacy != 1 else ' uses'} legacy-dialect "
                  "constructs; `aether migrate PATH` shows the conversion as a diff\n")
