"""`aether gates`: run the go/no-go gates; `aether gates sign-off`: record a manual one."""

from __future__ import annotations

import os
import sys

import click

from .common import path_param, split_csv
from .sigopts import trust_options


def _bad(message: str, status: int = 26) -> None:
    """Stop with ``message``: 26 (IO_ERROR) for a configuration, sign-off or output file
    that cannot be used, as for every unusable configuration file; 2 for a usage error."""
    from ..output.text import printable_message  # the message may name the repository's files

    click.echo(printable_message(f"aether gates: {message}"), err=True)
    raise SystemExit(status)


def _status(exc) -> int:
    """The exit status of a GateConfigError: 2 when the caller's arguments are at fault
    (the library says so in ``usage``), else 26."""
    return 2 if exc.usage else 26


def _load(config_file, gates_file):
    """(config, specs, profiles) of the project in the working folder."""
    from ..config import ConfigError, load_config, read_toml
    from ..fleet.gates import GateConfigError, load_specs

    try:
        config = load_config(".", config_file)
        table, where = config.gates, "[tool.aether.gates]"
        if gates_file:
            table, where = read_toml(gates_file), gates_file
        specs, profiles = load_specs(table, where)
    except (ConfigError, GateConfigError) as exc:
        _bad(str(exc))
    return config, specs, profiles


@click.group(invoke_without_command=True)
@click.option("--all", "run_all", is_flag=True, help="Run every gate.")
@click.option("--gates", "names", multiple=True, metavar="NAMES",
              help="Run these gates (comma-separated or repeated).")
@click.option("--strict-manual", is_flag=True,
              help="A manual gate fails unless it has a recorded sign-off.")
@click.option("--profile", default=None, metavar="NAME",
              help="Run the gates of this profile ([tool.aether.gates.profiles]).")
@click.option("--paths", "paths", multiple=True, metavar="PATH",
              help="Workflows the gates check (default: the project root).")
@click.option("--gates-file", type=path_param(dir_okay=False), default=None,
              help="Declare gates in this TOML file instead of [tool.aether.gates].")
@click.option("--config", "config_file", type=path_param(), default=None,
              help="Use this configuration file.")
@click.option("--history-dir", type=path_param(file_okay=False), default=None,
              help="Classifier history for classifier-trend (default .aether/history).")
@trust_options
@click.option("-o", "--output", "output_file", type=path_param(dir_okay=False),
              default="gate_results.json", show_default=True, help="The results JSON.")
@click.option("--markdown", "markdown_file", type=path_param(dir_okay=False),
              default="gate_sign_off.md", show_default=True, help="The sign-off page.")
@click.option("-j", "--jobs", type=click.IntRange(1, 1024), default=None,
              help="Worker processes for checks and signatures.")
@click.pass_context
def gates(ctx, run_all, names, strict_manual, profile, paths, gates_file, config_file,
          history_dir, allowed_signers, revoked_keys, legacy_env, output_file,
          markdown_file, jobs):
    """Run the go/no-go gates and write gate_results.json and gate_sign_off.md.

    Exit status 0 when every mandatory gate passes, 1 when one fails, 2 for a usage error,
    26 for a configuration, sign-off or results file that cannot be used (docs/fleet.md).
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..baseline import utc_now
    from ..fileio import WriteError, write_output
    from ..fleet.gates import (GateConfigError, GateContext, dumps, results_doc, run_gates,
                               select_gates, sign_off_markdown)
    from ..runner import resolve_jobs
    from ..semantics.project import load_project_catalogue
    from .sigopts import load_verify_options

    config, specs, profiles = _load(config_file, gates_file)
    try:
        chosen = select_gates(specs, profiles, split_csv(names), run_all, profile)
    except GateConfigError as exc:  # an unknown gate or profile named: usage
        _bad(str(exc), _status(exc))
    from ..config import ConfigError

    try:
        catalogue = load_project_catalogue(config)
    except ConfigError as exc:
        _bad(str(exc))
    verify = load_verify_options(config, allowed=allowed_signers, revoked=revoked_keys,
                                 legacy_env=legacy_env, strict=True, command="aether gates")
    context = GateContext(root=config.root, config=config, paths=tuple(paths) or (".",),
                          catalogue=catalogue, verify=verify, history_dir=history_dir,
                          strict_manual=strict_manual, jobs=resolve_jobs(jobs, config.jobs)[0])
    outcomes = run_gates(chosen, context)
    doc = results_doc(outcomes, profile or "default", utc_now())
    try:
        write_output(output_file, dumps(doc).encode("utf-8"))
        if markdown_file:
            write_output(markdown_file, sign_off_markdown(doc).encode("utf-8"))
    except WriteError as exc:
        _bad(f"cannot write the results: {exc}")
    from ..output.text import printable

    for o in outcomes:
        mark = "PASS" if o.ok else ("FAIL" if o.mandatory else "fail (optional)")
        # a declared gate's name is a TOML key of the repository: shown, not obeyed
        click.echo(printable(f"{mark:<16} {o.name}: {o.details.get('summary', '')}"),
                   err=True)
    go = doc["_meta"]["mandatory_passed"]
    click.echo(f"aether gates: {'GO' if go else 'NO-GO'}", err=True)
    sys.exit(0 if go else 1)


@gates.command("sign-off")
@click.argument("name")
@click.option("--by", "by", required=True, metavar="PERSON", help="Who signs off.")
@click.option("--reason", required=True, metavar="TEXT", help="Why the gate passes.")
@click.option("--gates-file", type=path_param(dir_okay=False), default=None,
              help="Gates declared in this TOML file instead of [tool.aether.gates].")
@click.option("--config", "config_file", type=path_param(), default=None,
              help="Use this configuration file.")
def sign_off(name, by, reason, gates_file, config_file):
    """Record a sign-off of the manual gate NAME in .aether/gate_sign_offs.json."""
    from ..baseline import utc_now
    from ..fileio import WriteError
    from ..fleet.gates import GateConfigError, record_sign_off

    config, specs, _ = _load(config_file, gates_file)
    spec = next((s for s in specs if s.name == name), None)
    if spec is None or spec.kind != "manual":
        manual = [s.name for s in specs if s.kind == "manual"]
        _bad(f"'{name}' is not a manual gate (manual gates: {', '.join(manual) or 'none'})",
             2)
    try:
        record = record_sign_off(config.root, name, by, reason, utc_now())
    except GateConfigError as exc:  # an empty or invisible --by / --reason, or a bad file
        _bad(str(exc), _status(exc))
    except WriteError as exc:
        _bad(str(exc))
    click.echo(f"aether gates: {name} signed off by {record['by']} at {record['time']} "
               f"({os.path.join('.aether', 'gate_sign_offs.json')})", err=True)
