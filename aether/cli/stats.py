"""`aether stats`: run statistics per workflow and for the fleet, from the state database."""

from __future__ import annotations

import sys

import click

from .common import path_param, state_option


@click.command()
@click.option("--since", default=None, metavar="DATE",
              help="Only runs started at or after DATE (2024-05-01 or an ISO-8601 time).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
@click.option("--html", "html_file", type=path_param(dir_okay=False), default=None,
              help="Also write one self-contained HTML page (inline SVG).")
@state_option()
def stats(since, fmt, html_file, state):
    """Runs, success rate, policy denials, approvals and their wait, tool latency (median,
    p95), retries and time per run. A figure nothing records is shown as n/a (null in
    JSON), not as 0. Exit 0, or 26 when the database cannot be read."""
    from ..config import ConfigError, load_config
    from ..fileio import WriteError, write_output
    from ..fleet.stats import collect, compute_stats, format_text, parse_since
    from ..output.jsontext import json_text
    from ..store import StoreError

    since_ts = None
    if since is not None:
        try:
            since_ts = parse_since(since)
        except ValueError:
            raise click.BadParameter(f"'{since}' is not a date (2024-05-01) or ISO-8601 time",
                                     param_hint="--since")
    try:
        config = load_config(".")
        runs, events, bodies = collect(config.root, state or config.state, since_ts)
    except (ConfigError, StoreError) as exc:
        click.echo(f"aether stats: {exc}", err=True)
        sys.exit(26)
    doc = compute_stats(runs, events, bodies, since)
    if html_file:
        from ..fleet.html import stats_page

        try:
            write_output(html_file, stats_page(doc).encode("utf-8"))
        except WriteError as exc:
            click.echo(f"aether stats: {exc}", err=True)
            sys.exit(26)
    if fmt == "json":
        click.echo(json_text(doc))
    else:
        from ..output.text import printable

        # workflow names come from the state database (data, maybe a repository's)
        click.echo("\n".join(printable(line) for line in format_text(doc).split("\n")),
                   nl=False)
