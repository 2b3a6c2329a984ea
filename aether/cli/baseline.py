"""`aether baseline`: write a parse baseline of a tree (or of a git revision) as JSON."""

from __future__ import annotations

import os
import sys

import click

from .common import atomic_output, path_param, project_options, setting_range, split_csv


def _bad(message: str) -> None:
    from ..output.text import printable_message  # the message may name the repository's files

    click.echo(printable_message(f"aether baseline: {message}"), err=True)
    raise SystemExit(2)


@click.command()
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("-o", "--output", "output_file", type=path_param(dir_okay=False),
              default=None, help="Write the baseline here (atomically); default stdout.")
@click.option("--git-ref", "git_ref", metavar="REV", default=None,
              help="Baseline the files as they are at this git revision, read from git (the "
              "working tree is not touched; configuration and suppression list are the "
              "working tree's).")
@click.option("--suppressions", "suppression_files", multiple=True,
              type=path_param(dir_okay=False), metavar="FILE",
              help="Suppression list(s) to apply (default: .aether/suppressions.txt and "
              ".aetherra/workflow_suppressions.txt under the project root, when present).")
@click.option("--no-suppressions", is_flag=True, help="Apply no suppression list.")
@click.option("--select", multiple=True, metavar="RULES", help="Only these rules.")
@click.option("--ignore", multiple=True, metavar="RULES", help="Skip these rules.")
@project_options
@click.option("-j", "--jobs", type=setting_range("jobs"), default=None,
              help="Worker processes (default: CPU count).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def baseline(paths, output_file, git_ref, suppression_files, no_suppressions, select, ignore,
             exclude, jobs, no_cache, config_file, isolated, quiet):
    """Write a parse baseline: per-status counts and every finding with its fingerprints.

    Exit status 0 when the baseline is written (files that fail are measured, not an
    error); 2 for a usage, configuration, git or output error.
    """
    from ..baseline import build_baseline, check_paths, dumps, run_checks_on_data
    from ..checker import CheckOptions, RuleFilter
    from ..config import ConfigError, load_config
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..suppressions import SuppressionListError, discover, load
    from ..walk import display_path

    paths = paths or (".",)
    if git_ref is None:
        # A mistyped path would otherwise be measured as an IO_ERROR file on both sides of
        # a gate and pass silently. (At a git revision a missing path is normal: new files.)
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            _bad(f"no such file or directory: {', '.join(missing)}")
    from ..semantics.project import load_project_catalogue

    try:
        config = load_config(paths[0], config_file, isolated)
        catalogue = load_project_catalogue(config, isolated)
    except ConfigError as exc:
        _bad(str(exc))
    if not quiet:
        for warning in config.warnings:
            click.echo(f"warning: {warning}", err=True)
    sel = split_csv(select) if select else config.select
    try:
        rules = RuleFilter.make(sel, tuple(config.ignore) + split_csv(ignore))
    except ValueError as exc:
        _bad(f"--select/--ignore: {exc}")
    options = CheckOptions(root=config.root, rules=rules, catalogue=catalogue,
                           max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE,
                           keep_source=False)
    slist = None
    if not no_suppressions:
        files = list(suppression_files) or discover(config.root)
        try:
            slist = load(files)
        except SuppressionListError as exc:
            _bad(str(exc))
        slist.files = [display_path(f) for f in slist.files]

    meta = {"paths": [display_path(p) for p in paths], "git_ref": git_ref, "git_commit": None,
            "rules": {"select": None if options.rules.select is None
                      else sorted(options.rules.select),
                      "ignore": sorted(options.rules.ignore)}}
    from ..runner import resolve_jobs

    jobs, warning = resolve_jobs(jobs, config.jobs)
    if warning and not quiet:
        sys.stderr.write(f"warning: {warning}\n")
    if git_ref is None:
        results = check_paths(paths, options, config, exclude, jobs, not no_cache)
    else:
        from ..gitsource import GitError, read_revision

        try:
            commit, blobs = read_revision(git_ref, paths, tuple(config.exclude) + tuple(exclude),
                                          config.root, max_size=options.max_file_size)
        except GitError as exc:
            _bad(str(exc))
        meta["git_commit"] = commit
        results = run_checks_on_data([(f.display, data) for f, data in blobs], options, config,
                                     jobs, not no_cache)
    doc = build_baseline(results, suppressions=slist, meta=meta)
    try:
        with atomic_output(output_file) as out:
            out.write(dumps(doc))
    except OSError as exc:
        _bad(f"cannot write {output_file}: {exc.strerror or exc}")
    if not quiet:
        failed = doc["total"] - doc["by_code"].get("SUCCESS", 0) - doc["suppressed_failures"]
        where = f" at {git_ref} ({meta['git_commit'][:12]})" if git_ref else ""
        target = f" -> {output_file}" if output_file else ""
        click.echo(f"baseline{where}: {doc['total']} files, {failed} failing, "
                   f"{doc['findings_total']} findings, {doc['suppressed_failures']} "
                   f"suppressed{target}", err=True)
    sys.exit(0)
