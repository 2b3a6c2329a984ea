"""`aether trends`: the classifier's failure trend as a table, a small chart, or a page."""

from __future__ import annotations

import os
import sys

import click

from .common import path_param


@click.command()
@click.option("--history-dir", type=path_param(file_okay=False), default=None,
              help="Where the snapshots and trends.json are (default .aether/history in "
              "the project root).")
@click.option("--html", "html_file", type=path_param(dir_okay=False), default=None,
              help="Also write one self-contained HTML page (inline SVG) to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the trend entries as JSON.")
def trends(history_dir, html_file, as_json):
    """Show the failure rate of the last 20 classifier runs (exit 26 when there is no
    usable trends.json or the page cannot be written)."""
    from ..config import ConfigError, load_config
    from ..fileio import WriteError, write_output
    from ..fleet.history import DEFAULT_DIR, KEEP, HistoryError, load_trends
    from ..output.jsontext import json_text

    try:
        root = load_config(".").root
    except ConfigError as exc:
        click.echo(f"aether trends: {exc}", err=True)
        sys.exit(26)
    directory = history_dir or os.path.join(root, DEFAULT_DIR)
    try:
        entries = load_trends(directory)
    except HistoryError as exc:
        click.echo(f"aether trends: {exc}", err=True)
        sys.exit(26)
    if not entries:
        click.echo(f"aether trends: no classifier history in {directory} (run `aether "
                   "classify` first)", err=True)
        sys.exit(26)
    # classify keeps the last KEEP; a longer file was edited by hand (or forged), and a
    # table of 300,000 rows took minutes
    entries = entries[-KEEP:]
    if html_file:
        from ..fleet.html import trends_page

        try:
            write_output(html_file, trends_page(entries).encode("utf-8"))
        except WriteError as exc:
            click.echo(f"aether trends: {exc}", err=True)
            sys.exit(26)
    if as_json:
        click.echo(json_text(entries))
        sys.exit(0)
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..output.text import printable

    console = Console(highlight=False)
    table = Table(title="classifier trend (oldest first)")
    for col in ("snapshot", "failed", "total", "rate", "chart"):
        table.add_column(col, justify="left" if col in ("snapshot", "chart") else "right")
    for e in entries:
        rate = e["failed"] / e["total"] if e["total"] else 0.0
        # the timestamp is the file's text (a repository may commit trends.json): a Text,
        # not markup ('[/x]' would be a markup error), with its escapes as placeholders
        stamp = Text(printable(e["timestamp"][:19].replace("T", " ")))
        table.add_row(stamp, str(e["failed"]),
                      str(e["total"]), f"{rate:.1%}", "█" * round(rate * 30))
    console.print(table)
    if html_file:
        click.echo(f"aether trends: wrote {html_file}", err=True)
