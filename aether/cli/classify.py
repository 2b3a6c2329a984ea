"""`aether classify`: file every workflow of a fleet under one failure category."""

from __future__ import annotations

import os
import sys

import click

from .common import path_param, project_options, setting_range
from .sigopts import trust_options


def _bad(message: str, status: int = 2) -> None:
    from ..output.text import printable_message  # the message may name the repository's files

    click.echo(printable_message(f"aether classify: {message}"), err=True)
    raise SystemExit(status)


def _progress_bar(total: int):
    """A rich progress bar on stderr, and the callback that advances it."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("classifying"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("classify", total=total)

    def advance(done: int, _total: int) -> None:
        bar.update(task, completed=done)
    return bar, advance


@click.command()
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("-j", "--jobs", type=setting_range("jobs"), default=None,
              help="Worker processes (default: CPU count).")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Classify only the first N files found.")
@click.option("--timeout", "timeout", default="10s", show_default=True, metavar="D",
              help="Run budget of one file (30s, 500ms); a worker still on a file after "
              "twice this plus 5s is killed and the file classified Timeout.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, metavar="N",
              help="Step budget of one file's run (default: the runtime's, 10 million).")
@click.option("--strict-signatures", "strict_signatures", is_flag=True, default=None,
              help="An unsigned file is a failure (SignatureMissing); also "
              "strict-signatures = true in the configuration.")
@trust_options
@click.option("-o", "--output", "output_file", type=path_param(dir_okay=False),
              default="workflow_failures.json", show_default=True,
              help="The JSON document ('-': stdout).")
# '' is this option's documented "skip" (path_param refuses an empty file name)
@click.option("--markdown", "markdown_file", type=click.Path(dir_okay=False, readable=False),
              default="workflow_failures.md", show_default=True,
              help="The Markdown summary ('' to skip).")
@click.option("--history-dir", "history_dir", type=path_param(file_okay=False),
              default=None, help="Snapshots and trends.json (default: .aether/history in "
              "the project root).")
@click.option("--no-history", is_flag=True, help="Save no snapshot, leave trends alone.")
@click.option("--suppressions", "suppression_files", multiple=True,
              type=path_param(dir_okay=False), metavar="FILE",
              help="Suppression list(s) (default: the project's, when present).")
@click.option("--no-suppressions", is_flag=True, help="Apply no suppression list.")
@project_options
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
def classify(paths, jobs, limit, timeout, max_steps, strict_signatures, allowed_signers,
             revoked_keys, legacy_env, output_file, markdown_file, history_dir, no_history,
             suppression_files, no_suppressions, exclude, config_file, isolated, quiet):
    """Check each workflow, run those that pass in simulate mode (in-process, one worker
    pool) and file each under one failure category (docs/fleet.md).

    Exit status 0 when the reports are written (failing workflows are measured, not an
    error); 2 for a usage error; 26 for a configuration, catalogue or suppression file
    that cannot be used, or a report or the history that cannot be written.
    """
    from ..baseline import dumps
    from ..config import ConfigError, load_config
    from ..fleet.classify import ClassifyOptions, build_report, classify_files, to_markdown
    from ..fleet.history import DEFAULT_DIR, HistoryError, record_run
    from ..runner import resolve_jobs
    from ..semantics.project import load_project_catalogue
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..suppressions import SuppressionListError, discover, load
    from ..walk import display_path, iter_files
    from ..workers import can_fork
    from .run import _duration
    from .sigopts import load_verify_options

    paths = paths or (".",)
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        _bad(f"no such file or directory: {', '.join(missing)}")
    try:
        budget = _duration(timeout)
    except click.BadParameter as exc:
        _bad(exc.format_message())
    if not 0 < budget <= 86400:
        _bad(f"--timeout {timeout}: must be more than 0 and at most 24h")
    try:
        config = load_config(paths[0], config_file, isolated)
        catalogue = load_project_catalogue(config, isolated)
    except ConfigError as exc:  # an unusable configuration or catalogue file
        _bad(str(exc), 26)
    if not quiet:
        for warning in config.warnings:
            click.echo(f"warning: {warning}", err=True)
    strict = config.strict_signatures if strict_signatures is None else strict_signatures
    verify = load_verify_options(config, allowed=allowed_signers, revoked=revoked_keys,
                                 legacy_env=legacy_env, strict=strict,
                                 command="aether classify")
    slist = None
    if not no_suppressions:
        try:
            slist = load(list(suppression_files) or discover(config.root))
        except SuppressionListError as exc:
            _bad(str(exc), 26)
    files = list(iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root))
    if limit is not None:
        files = files[:limit]
    n_jobs, warning = resolve_jobs(jobs, config.jobs, len(files) or 1)
    if warning and not quiet:
        click.echo(f"warning: {warning}", err=True)
    if not can_fork() and not quiet:
        click.echo("warning: worker processes cannot be forked here (no fork start "
                   "method): the files are classified in this process, without the hard "
                   "deadline (--timeout still bounds each run)", err=True)
    options = ClassifyOptions(timeout=budget, max_steps=max_steps, strict_signatures=strict,
                              verify=verify, catalogue=catalogue, root=config.root,
                              suppressions=slist,
                              max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE)
    bar = None
    progress = None
    if not quiet and sys.stderr.isatty() and files:
        bar, progress = _progress_bar(len(files))
        bar.start()
    try:
        records = classify_files(files, options, n_jobs, progress)
    finally:
        if bar is not None:
            bar.stop()
    meta = {"paths": [display_path(p) for p in paths], "jobs": n_jobs, "timeout": budget,
            "strict_signatures": strict,
            "suppression_files": [display_path(f) for f in slist.files] if slist else []}
    doc = build_report(records, meta=meta)
    text = dumps(doc)
    from ..fileio import WriteError, write_output

    try:
        if output_file == "-":
            sys.stdout.write(text)
        else:
            write_output(output_file, text.encode("utf-8"))
        if markdown_file:
            write_output(markdown_file, to_markdown(doc).encode("utf-8"))
    except WriteError as exc:
        _bad(f"cannot write the report: {exc}", 26)
    trend_note = ""
    if not no_history:
        directory = history_dir or os.path.join(config.root, DEFAULT_DIR)
        try:
            entries = record_run(doc, directory, text)
        except HistoryError as exc:
            _bad(f"cannot record the history: {exc}", 26)
        if len(entries) > 1:
            before = entries[-2]
            rate = before["failed"] / before["total"] if before["total"] else 0.0
            trend_note = f" (previous run: {rate:.1%})"
    if not quiet:
        parts = ", ".join(f"{n} {c}" for c, n in doc["by_category"].items())
        click.echo(f"classified {doc['total']} workflows: {doc['failed']} failing "
                   f"({doc['failure_rate']:.1%}){trend_note}; {doc['passed']} passed"
                   + (f"; {parts}" if parts else ""), err=True)
    sys.exit(0)
