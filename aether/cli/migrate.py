"""`aether migrate`: show (dry run) or apply the conversion of legacy files to Aether 1.2.

Exit status: 0 when every file is transformed or unchanged (the dry run prints the diff);
1 with ``--check`` when a file would change; 20 (PARSE_ERROR) when a file could not be
converted (it is left untouched); 26 (IO_ERROR) when a file could not be read or written;
27 (INTERNAL_ERROR) when the run stopped (a bug, or a worker process that died or could not
be started), with one line naming the file. The logic lives in :mod:`aether.migrate`.
"""

from __future__ import annotations

import sys

import click

from .common import path_param, project_options, setting_range


def _rules_list(ctx, param, value):
    if not value or ctx.resilient_parsing:
        return
    from ..migrate.rules import RULES

    for r in RULES.values():
        click.echo(f"{r.id}  {r.name:<24} {r.summary}")
    ctx.exit(0)


@click.command()
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("--apply", "apply_", is_flag=True, help="Rewrite the files (atomically).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when a file would change (like `ruff --check`).")
@click.option("--diff/--no-diff", "show_diff", default=None,
              help="Print the unified diff on stdout (default: on for a dry run).")
@click.option("--select", multiple=True, metavar="RULES",
              help="Only these migration rules (ids, prefixes like M01, or names; "
                   "comma-separated). A file that needs another rule is left untouched.")
@click.option("--ignore", multiple=True, metavar="RULES", help="Never these rules.")
@click.option("--report", "report_file", type=path_param(dir_okay=False), default=None,
              help="Write a Markdown report here (default with --apply on several files: "
                   "migration_report.md).")
@click.option("--no-report", is_flag=True, help="Write no Markdown report.")
@click.option("--json", "json_file", type=path_param(dir_okay=False), default=None,
              help="Write the report as JSON, with the fingerprint remap.")
@click.option("-j", "--jobs", type=setting_range("jobs"), default=1, show_default=True,
              help="Worker processes for big trees.")
@click.option("--no-cache", is_flag=True,
              help="Do not read or write the result cache (as `aether check --no-cache`).")
@click.option("--cache-dir", type=path_param(file_okay=False), default=None,
              help="Where the cache lives (default: .aether_cache beside the config).")
@project_options
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("--list-rules", is_flag=True, expose_value=False, is_eager=True,
              callback=_rules_list, help="List the migration rules and exit.")
@click.pass_context
def migrate(ctx, paths, apply_=False, check=False, show_diff=None, select=(), ignore=(),
            report_file=None, no_report=False, json_file=None, jobs=1, no_cache=False,
            cache_dir=None, exclude=(),
            config_file=None, isolated=False, quiet=False):
    """Convert legacy-dialect .aether files to Aether 1.2 (directories are searched).

    A dry run by default: the diff goes to stdout (`patch -p0` applies it) and progress
    to stderr. A file that cannot be converted completely, or whose conversion would have
    more problems than before, is left untouched and reported with the line and reason.
    With --apply on several files a migration_report.md is written (unless --no-report).
    """
    from ..cli.common import atomic_output, split_csv
    from ..config import ConfigError, load_config
    from ..interrupt import SIGINT_STATUS, SIGTERM_STATUS, Terminated
    from ..migrate.engine import MigrateOptions
    from ..migrate.report import write_json, write_markdown
    from ..migrate.rules import RuleSelection
    from ..migrate.run import MigrationAborted, iter_pairs, migrate_files, open_migrate_cache
    from ..runner import resolve_jobs
    from ..output.text import PrintableLines, diff_stream

    err = PrintableLines(sys.stderr)  # file names and quoted source from the repository
    if apply_ and check:
        raise click.UsageError("--apply and --check cannot be combined")
    try:
        selection = RuleSelection.make(split_csv(select) if select else None,
                                       split_csv(ignore))
    except KeyError as exc:
        raise click.UsageError(f"unknown migration rule {exc.args[0]!r} "
                               "(see `aether migrate --list-rules`)")
    paths = paths or (".",)
    from ..semantics.project import load_project_catalogue

    try:
        config = load_config(paths[0], config_file, isolated)
        catalogue = load_project_catalogue(config, isolated)
    except ConfigError as exc:
        err.write(f"aether migrate: {exc}\n")
        ctx.exit(26)
    if show_diff is None:
        show_diff = not apply_ and not check
    options = MigrateOptions(selection=selection, apply=apply_, want_diff=show_diff,
                             max_file_size=config.max_file_size, catalogue=catalogue,
                             root=config.root)
    files = list(iter_pairs(paths, tuple(config.exclude) + tuple(exclude), config.root))
    # the result cache `aether check` fills: its entry for a file's bytes is the check
    # before the migration (the workflow the docs recommend: check, then migrate)
    cache = open_migrate_cache(options, config, not no_cache, cache_dir, len(files))
    jobs, warning = resolve_jobs(jobs, None, len(files))
    if warning:
        err.write(f"warning: {warning}\n")
    out = diff_stream(sys.stdout)

    def progress(o, done, total):
        if show_diff and o.diff:
            out.write(o.diff)
            out.flush()
        if quiet and o.state not in ("failed", "skipped"):
            return
        where = f"{o.path}:{o.line}" if o.line and o.state in ("failed", "skipped") else o.path
        if o.state == "transformed":
            verb = "migrated" if o.written else "would migrate"
            rules = ", ".join(sorted(o.rules))
            err.write(f"[{done}/{total}] {verb} {where} ({rules})\n")
            if o.written:
                from ..signing.block import file_starts_with_block

                if file_starts_with_block(o.path):
                    err.write(f"note: {o.path} is signed and was migrated: its signature "
                              "no longer matches; review it and sign it again "
                              "(aether sign)\n")
        elif o.state in ("failed", "skipped"):
            err.write(f"[{done}/{total}] {o.state} {where}: {o.reason}\n")
        err.flush()

    try:
        outcomes = migrate_files(files, options, jobs, progress, cache)
    except (KeyboardInterrupt, Terminated) as exc:
        how = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        err.write(f"aether migrate: {how}; each file is either untouched or fully "
                  "migrated (run again to finish)\n")
        ctx.exit(SIGTERM_STATUS if isinstance(exc, Terminated) else SIGINT_STATUS)
    except MigrationAborted as exc:  # a bug, or a worker process that died or never started
        import os

        if os.environ.get("AETHER_DEBUG") and exc.details:
            err.write(exc.details)
        err.write(f"aether migrate: {exc}; each file is either untouched or fully migrated\n")
        ctx.exit(exc.status)
    if cache is not None:
        problem = cache.save()
        if problem and not quiet:  # the cache-dir comes from the repository's configuration
            from ..output.text import printable

            err.write(f"warning: result cache not saved ({printable(problem)}); "
                      "use --cache-dir or --no-cache\n")
    if report_file is None and apply_ and len(outcomes) > 1 and not no_report:
        report_file = "migration_report.md"  # the reference tool's contract
    try:
        if report_file and not no_report:
            with atomic_output(report_file) as fh:
                write_markdown(outcomes, fh, apply_)
        if json_file:
            with atomic_output(json_file) as fh:
                write_json(outcomes, fh, apply_)
    except OSError as exc:
        err.write(f"aether migrate: cannot write the report: {exc}\n")
        ctx.exit(26)  # IO_ERROR; the files themselves are migrated (or not) as reported
    counts = {s: sum(1 for o in outcomes if o.state == s)
              for s in ("transformed", "unchanged", "skipped", "failed")}
    if not quiet and report_file and not no_report:
        err.write(f"report: {report_file}\n")
    if not quiet:
        if not outcomes:
            err.write("warning: no .aether files found\n")
        else:
            done = "migrated" if apply_ else "to migrate"
            err.write(f"{counts['transformed']} {done}, {counts['unchanged']} unchanged, "
                      f"{counts['failed']} failed, {counts['skipped']} skipped\n")
    if counts["skipped"]:
        ctx.exit(26)
    if counts["failed"]:
        ctx.exit(20)
    ctx.exit(1 if check and counts["transformed"] else 0)
