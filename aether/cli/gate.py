"""`aether gate`: fail a pull request whose baseline is worse than the reference baseline."""

from __future__ import annotations

import sys

import click

from ..gcpause import gc_paused
from .common import atomic_output, finite_float, path_param, split_csv


def _bad(message: str) -> None:
    from ..output.text import printable_message  # the message may name the repository's files

    click.echo(printable_message(f"aether gate: {message}"), err=True)
    raise SystemExit(2)


def _remapped(ref_file, remap_file):
    """The reference baseline with a migration's fingerprint remap applied."""
    import json

    from ..baseline import BaselineError, parse_baseline
    from ..jsondoc import read_json
    from ..migrate.remap import load_remap, remap_baseline

    try:
        remap = load_remap(remap_file)
        doc = read_json(ref_file, f"baseline {ref_file}")
    except (OSError, ValueError) as exc:
        raise BaselineError(f"cannot apply remap {remap_file}: {exc}") from None
    doc, _ = remap_baseline(doc, remap)
    return parse_baseline(json.dumps(doc), ref_file)


@click.command()
@click.option("--new", "new_file", required=True, type=path_param(dir_okay=False),
              help="The baseline of the change (e.g. the pull request).")
@click.option("--ref", "ref_file", required=True, type=path_param(dir_okay=False),
              help="The reference baseline (e.g. the target branch).")
@click.option("--abs-threshold", type=finite_float(min=0), default=5, show_default=True,
              help="A count regresses only when it grows by more than this many files ...")
@click.option("--rel-threshold", type=finite_float(min=0), default=0.10,
              show_default=True, help="... and by more than this fraction.")
@click.option("--codes", multiple=True, metavar="NAMES",
              help="Status names whose counts are gated (comma-separated; default "
              "PARSE_ERROR,VALIDATION_ERROR).")
@click.option("--mode", type=click.Choice(("counts", "fingerprints", "both")), default="both",
              show_default=True, help="Gate on counts (reference rule), on new fingerprints, "
              "or both.")
@click.option("--suppressions", "suppression_files", multiple=True,
              type=path_param(dir_okay=False), metavar="FILE",
              help="Suppression list(s) (default: the project's, when present).")
@click.option("--no-suppressions", is_flag=True, help="Apply no suppression list.")
@click.option("-o", "--output", "output_file", type=path_param(dir_okay=False), default=None,
              help="Write the JSON result here instead of stdout.")
@click.option("--markdown", "markdown_file", type=path_param(dir_okay=False), default=None,
              help="Also write a Markdown summary (for a PR comment) to this file.")
@click.option("--remap", "remap_file", type=path_param(dir_okay=False), default=None,
              help="A migration report (`aether migrate --json FILE`): rename the reference "
              "baseline's fingerprints old -> new first, so migrated findings are not new.")
@gc_paused  # hundreds of thousands of small objects, no cycles worth collecting: the
# collector's repeated passes would cost a third of the time (restored at the end, so a
# caller running the command in process keeps its collector)
def gate(new_file, ref_file, abs_threshold, rel_threshold, codes, mode, suppression_files,
         no_suppressions, output_file, markdown_file, remap_file=None):
    """Compare two baselines. Exit 0 pass, 1 regression, 2 usage or input error."""
    from ..baseline import BaselineError, load_baseline
    from ..config import ConfigError, load_config
    from ..gate import DEFAULT_CODES, GateInputError, GateOptions, dumps, run_gate, to_markdown
    from ..suppressions import SuppressionListError, discover, load

    if abs_threshold == int(abs_threshold):
        abs_threshold = int(abs_threshold)
    names = tuple(c.upper() for c in split_csv(codes)) or DEFAULT_CODES
    try:
        new = load_baseline(new_file)
        ref = load_baseline(ref_file)
        if remap_file is not None:
            ref = _remapped(ref_file, remap_file)
    except BaselineError as exc:
        _bad(str(exc))
    slist = None
    if not no_suppressions:
        try:
            files = list(suppression_files) or discover(load_config(".").root)
            slist = load(files)
        except (SuppressionListError, ConfigError) as exc:
            _bad(str(exc))
    try:
        result = run_gate(new, ref, GateOptions(abs_threshold, rel_threshold, names, mode),
                          slist)
    except GateInputError as exc:
        _bad(str(exc))
    try:
        with atomic_output(output_file) as out:
            out.write(dumps(result))
        if markdown_file:
            with atomic_output(markdown_file) as out:
                out.write(to_markdown(result))
    except OSError as exc:
        _bad(f"cannot write output: {exc.strerror or exc}")
    verdict = "passed" if result.ok else "FAILED: " + "; ".join(result.reasons)
    click.echo(f"aether gate: {verdict}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    sys.exit(0 if result.ok else 1)
