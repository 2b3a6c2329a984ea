"""`aether runs`: list the runs recorded in the project's state database."""

from __future__ import annotations

import sys
import time

import click

from ..output.jsontext import json_text
from .common import state_option, text_param


@click.command()
@state_option()
@click.option("--status", "status", default=None, metavar="STATUS", type=text_param(),
              help="Only runs of this status (running, waiting, succeeded, failed).")
@click.option("--limit", type=click.IntRange(min=1, max=1_000_000), default=20,
              show_default=True, help="At most this many runs, newest first.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--waiting", is_flag=True,
              help="Governed runs whose ledger is open (running or waiting for an approval) "
              "and the requests they wait on.")
@click.pass_context
def runs(ctx, state=None, status=None, limit=20, fmt="text", waiting=False):
    """List recorded runs, newest first (run id, status, exit status, start, workflow)."""
    import os

    if waiting:
        from .governance import waiting_runs

        ctx.invoke(waiting_runs, as_json=fmt == "json")
        return

    from ..config import ConfigError, load_config
    from ..store import StoreError, is_postgres_url, open_state_store, state_path

    try:
        config = load_config(".")
    except ConfigError as exc:
        click.echo(f"aether: {exc}", err=True)
        sys.exit(26)
    state = state or config.state
    records = []
    # a SQLite file that does not exist yet holds no runs (and is not created by listing)
    if is_postgres_url(state) or os.path.lexists(state_path(config.root, state)):
        try:
            with open_state_store(config.root, state) as store:
                records = store.list_runs(status=status, limit=limit)
        except StoreError as exc:
            click.echo(f"aether runs: {exc}", err=True)
            sys.exit(26)
    waiting = {}
    if any(r.status == "waiting" for r in records):
        from ..governance.service import waiting_requests

        with open_state_store(config.root, state) as store:
            for r in records:
                if r.status == "waiting":
                    waiting[r.run_id] = waiting_requests(store, r.run_id)
    if fmt == "json":
        out = [r.to_json() for r in records]
        for item in out:
            if item["run_id"] in waiting:
                item["waiting"] = waiting[item["run_id"]]
        click.echo(json_text(out))
        return
    if not records:
        click.echo("No runs recorded." if status is None else f"No {status} runs recorded.")
        return
    from ..output.text import printable  # a state database is data, maybe a repository's

    for r in records:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r.started_at))
        took = f"{r.ended_at - r.started_at:.2f}s" if r.ended_at is not None else "-"
        code = "-" if r.exit_status is None else str(r.exit_status)
        click.echo(printable(f"{r.run_id}  {r.status:<9} {code:>3}  {started}  {took:>8}  "
                             f"{r.workflow}"))
        for w in waiting.get(r.run_id, ()):
            click.echo(printable(f"    waiting on {w['request']} {w['tool']} "
                                 f"({', '.join(w['reasons'] or ())}): aether approve "
                                 f"{r.run_id} {w['request']} --approver NAME --reason TEXT"))
