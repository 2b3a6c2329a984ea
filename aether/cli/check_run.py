"""What `aether check` does once its arguments are known: config, catalogue, check, report.

Shared by the click command (:mod:`aether.cli.check`) and the one-file fast path
(:mod:`aether.cli.fast`), so both give the same output and exit status by construction.
Nothing here imports click unless a usage error must be reported.
"""

from __future__ import annotations

import os
import sys

from .common import atomic_output, split_csv, use_color


def _usage_error(message: str):
    """Raise click's UsageError (exit 2, with the usage line when click runs the command)."""
    import click

    raise click.UsageError(message)


def run_check(paths, *, fmt="text", output_file=None, select=(), ignore=(), exclude=(),
              jobs=None, no_cache=False, cache_dir=None, no_suppress=False,
              stdin_filename=None, emit_error_code=False, json_status=False,
              config_file=None, isolated=False, show_source=True, show_suppressed=False,
              color="auto", exit_zero=False, quiet=False, max_file_size=None,
              single_file=False, strict_signatures=None, allowed_signers=None,
              revoked_keys=None, legacy_env=None) -> int:
    """Check ``paths`` and write the report; return the exit status.

    Raises click's UsageError for contradictory arguments and SystemExit (with the status)
    when the configuration, the catalogue or the report file cannot be used.
    """
    from ..checker import CheckOptions, RuleFilter
    from ..codes import Status
    from ..config import ConfigError, load_config
    from ..diagnostics import FileResult, aggregate_status
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..walk import SourceFile, display_path, list_files, printable_path

    err = sys.stderr
    paths = paths or (".",)
    start = next((p for p in paths if p != "-"), ".")
    from ..semantics.project import load_project_catalogue

    try:
        config = load_config(start, config_file, isolated)
        catalogue = load_project_catalogue(config, isolated)
    except ConfigError as exc:
        _fail(err, Status.IO_ERROR, f"aether: {exc}", emit_error_code)
    sel = split_csv(select) if select else config.select
    if select and not sel:
        # An empty selection would turn every check off in silence (a CI job passing
        # `--select "$RULES"` with the variable unset): refuse it.
        _usage_error("--select names no rule (an empty selection would check "
                     "nothing; leave --select out to check every rule)")
    try:
        rules = RuleFilter.make(sel, tuple(config.ignore) + split_csv(ignore))
    except ValueError as exc:
        _usage_error(f"--select/--ignore (or the config's select/ignore): {exc}")
    # after the usage errors, which come before any output: the fast path (main) then
    # hands the command line to click, which reports them
    if not quiet:
        for warning in config.warnings:
            err.write(f"warning: {warning}\n")
    options = CheckOptions(root=config.root, rules=rules, suppress=not no_suppress,
                           catalogue=catalogue,
                           max_file_size=max_file_size or config.max_file_size
                           or DEFAULT_MAX_FILE_SIZE, keep_source=True)

    if strict_signatures is None:
        strict_signatures = config.strict_signatures
    verify_options = None
    if strict_signatures:
        from .sigopts import load_verify_options

        verify_options = load_verify_options(
            config, allowed=allowed_signers, revoked=revoked_keys, legacy_env=legacy_env,
            strict=True, max_file_size=options.max_file_size, command="aether")
    results: list[FileResult] = []
    if "-" in paths:
        if len(paths) > 1:
            _usage_error("`-` (stdin) cannot be combined with other paths")
        from ..source import read_stream

        decoded = read_stream(sys.stdin.buffer, options.max_file_size)
        data = decoded.data or b""
        display = printable_path(stdin_filename or "<stdin>")
        results.append(_check_stdin(display, options, decoded))
        if verify_options is not None:
            from ..signing.verify import verify_data

            _add_signature_findings(results, [verify_data(data, display, verify_options)])
        files = []
    else:
        if single_file:  # `aether --check FILE`: exactly those paths, never a directory walk
            files = [SourceFile(p, display_path(p), explicit=True)
                     for p in dict.fromkeys(paths)]
        else:
            files = list_files(paths, tuple(config.exclude) + tuple(exclude), config.root)
        from ..output import shows_source

        results = _run(files, options, config, jobs, no_cache, cache_dir, quiet, err,
                       not json_status and shows_source(fmt, show_source))
        if verify_options is not None:
            from ..runner import resolve_jobs
            from ..signing.verify import verify_files

            n_jobs, _ = resolve_jobs(jobs, config.jobs, len(files) or 1)
            _add_signature_findings(results, verify_files(files, verify_options, n_jobs))

    if not no_suppress:
        _apply_suppression_list(results, config.root, emit_error_code, err)

    if not files and "-" not in paths and not results:
        if not quiet:
            err.write("warning: no .aether files found\n")

    try:
        with atomic_output(output_file) as out:  # -o applies to --json-status too
            if json_status:
                from ..output.json_report import write_json_status

                write_json_status(results, out)
            else:
                from ..output import write_report

                # A report file never gets colour codes unless asked for with --color always.
                colour = use_color(color, sys.stdout.isatty()) if output_file is None \
                    else color == "always"
                write_report(fmt, results, out, color=colour and fmt == "text",
                             show_source=show_source, show_suppressed=show_suppressed)
            out.flush()  # a full standard output fails here, before the status is emitted
    except OSError as exc:
        _fail(err, Status.IO_ERROR, f"aether check: cannot write the report: {exc}",
              emit_error_code)

    # a clean file's status (SUCCESS) decides nothing when there are others: skip them
    status = results[0].status if len(results) == 1 else aggregate_status(
        r.status for r in results if r.findings)
    if not quiet and fmt == "text" and not json_status:
        _hints(results, err)
    if emit_error_code:
        err.write(f"AETHER_ERROR_CODE:{int(status)}\n")
    return 0 if exit_zero else int(status)


# aether.suppressions.DEFAULT_FILES, written here so that a one-file check need not import
# that module to learn there is no list (tests/test_cli_fast.py checks they are equal)
SUPPRESSION_FILES = (".aether/suppressions.txt", ".aetherra/workflow_suppressions.txt")


def _apply_suppression_list(results, root, emit_error_code, err):
    """Move findings listed in .aether/suppressions.txt (if present) to ``suppressed``."""
    if not any(os.path.lexists(os.path.join(root, rel)) for rel in SUPPRESSION_FILES):
        # no list: skip loading the suppression-list module (start-up; a project that
        # runs workflows has a .aether folder, so testing the folder was not enough)
        return
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
    from ..output.text import printable_message  # the message may name the repository's files

    err.write(printable_message(message) + "\n")
    if emit_error_code:
        err.write(f"AETHER_ERROR_CODE:{int(status)}\n")
    raise SystemExit(int(status))


def _add_signature_findings(results, verdicts):
    """Add each verdict's AE5xx findings to its file's result (a file that cannot be read
    already has its reading finding). They are not subject to select/ignore or
    suppressions: strict signatures is a security setting, not a style rule."""
    for result, verdict in zip(results, verdicts):
        extra = [f for f in verdict.findings if f.rule.startswith("AE5")]
        if extra:
            result.findings = sorted(result.findings + extra, key=lambda f: f.sort_key())


def _check_stdin(display, options, decoded):
    from ..checker import check_text
    from ..diagnostics import FileResult
    from ..fingerprint import assign_fingerprints

    if decoded.error is not None:
        return FileResult(display, assign_fingerprints(display, [decoded.error.with_(
            content="<io>")]))
    return check_text(decoded.text, display, options)


def _run(files, options, config, jobs, no_cache, cache_dir, quiet, err, need_source=True):
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
        if problem and not quiet:  # the cache-dir comes from the repository's configuration
            from ..output.text import printable

            err.write(f"warning: result cache not saved ({printable(problem)}); "
                      "use --cache-dir or --no-cache\n")
    if need_source:  # a JSON report never quotes source: do not read cached files again
        attach_sources(results, files, options.max_file_size)
    return results


def _hints(results, err):
    legacy = sum(1 for r in results if any(f.rule.startswith("AE2") for f in r.findings))
    if legacy:
        err.write(f"hint: {legacy} file{'s use' if legacy != 1 else ' uses'} legacy-dialect "
                  "constructs; `aether migrate PATH` shows the conversion as a diff\n")
