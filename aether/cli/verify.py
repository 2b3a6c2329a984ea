"""`aether verify PATH...`: check the signatures of workflow files (aether.signing.verify).

Exit status: 0 when every file verifies (or, without --strict, is unsigned); otherwise the
most fundamental status among the files: 26 for a file that cannot be read, 22
SIGNATURE_ERROR for a signature problem (each with its AE5xx rule).
"""

from __future__ import annotations

import sys

import click

from .common import atomic_output, path_param, project_options, setting_range
from .sigopts import trust_options

FORMAT_CHOICES = ("text", "json", "sarif")


@click.command()
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("--strict", is_flag=True, default=None,
              help="Unsigned files and unverifiable legacy headers fail (also: "
              "strict-signatures = true in the configuration).")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", "output_file", type=path_param(dir_okay=False),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("-j", "--jobs", type=setting_range("jobs"), default=None,
              help="Worker processes (default: CPU count).")
@trust_options
@project_options
@click.option("-v", "--verbose", is_flag=True, help="Also name every verified file and its "
              "signer (text format).")
@click.option("-q", "--quiet", is_flag=True, help="No notes or summary on stderr.")
@click.pass_context
def verify(ctx, paths, strict=None, fmt="text", output_file=None, jobs=None,
           allowed_signers=None, revoked_keys=None, legacy_env=None, exclude=(),
           config_file=None, isolated=False, verbose=False, quiet=False):
    """Verify the signatures of .aether files (directories are searched).

    Without --strict an unsigned file passes with a note; a signature that does not
    verify fails always. See docs/signing.md.
    """
    from ..config import ConfigError, load_config
    from ..diagnostics import aggregate_status
    from ..runner import resolve_jobs
    from ..signing.verify import verify_files
    from ..walk import iter_files
    from .sigopts import load_verify_options
    from ..output.text import PrintableLines

    err = PrintableLines(sys.stderr)  # file names and quoted source from the repository
    paths = paths or (".",)
    try:
        config = load_config(paths[0], config_file, isolated)
    except ConfigError as exc:
        err.write(f"aether verify: {exc}\n")
        ctx.exit(26)
    if strict is None:
        strict = config.strict_signatures
    options = load_verify_options(config, allowed=allowed_signers, revoked=revoked_keys,
                                  legacy_env=legacy_env, strict=strict,
                                  command="aether verify")
    files = list(iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root))
    n_jobs, warning = resolve_jobs(jobs, config.jobs, len(files) or 1)
    if warning and not quiet:
        err.write(f"warning: {warning}\n")
    verdicts = verify_files(files, options, n_jobs)
    results = [v.result() for v in verdicts]
    try:
        with atomic_output(output_file) as out:
            if fmt == "json":
                _write_json(results, verdicts, strict, out)
            elif fmt == "sarif":
                from ..output import write_report

                write_report("sarif", results, out)
            else:
                _write_text(results, verdicts, out, verbose)
    except OSError as exc:
        err.write(f"aether verify: cannot write the report: {exc}\n")
        ctx.exit(26)
    if not quiet:
        for v in verdicts:
            if v.note and v.ok:
                err.write(f"note: {v.path}: {v.note}\n")
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v.state] = counts.get(v.state, 0) + 1
        shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        err.write(f"{len(verdicts)} file{'s' if len(verdicts) != 1 else ''}"
                  f"{': ' + shown if shown else ''}"
                  f"{' (strict)' if strict else ''}\n")
        if not files:
            err.write("warning: no .aether files found\n")
    ctx.exit(int(aggregate_status(r.status for r in results)))


def _write_text(results, verdicts, out, verbose: bool) -> None:
    from ..output import write_report
    from ..output.text import printable

    failed = [r for r in results if r.findings]
    if failed:
        write_report("text", failed, out, show_source=False)
    if verbose:
        for v in verdicts:
            if v.state == "verified":
                out.write(printable(f"{v.path}: verified: key {v.keyid} ({v.principal}), "
                                    f"signed {v.signed_at}") + "\n")


def _write_json(results, verdicts, strict: bool, out) -> None:
    """The report document of --format json, each file with its ``signature`` object."""
    from ..output.json_report import report_document
    from ..output.jsontext import json_text

    document = report_document(results)
    document["strict"] = strict
    for record, verdict in zip(document["files"], verdicts):
        record["signature"] = verdict.to_json()
    out.write(json_text(document) + "\n")
