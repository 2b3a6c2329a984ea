"""`aether run FILE`: check, then run a workflow; print its outputs; exit with its status."""

from __future__ import annotations

import json
import sys

import click

from .common import path_param
from .sigopts import trust_options


def _duration(text: str) -> float:
    import re

    m = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*", text or "")
    if not m:
        raise click.BadParameter(f"'{text}' is not a duration (30s, 2m, 1h, 500ms)",
                                 param_hint="--timeout")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return float(m.group(1).replace("_", "")) * scale


@click.command()
@click.argument("file", type=path_param(dir_okay=False, path_type=str))
@click.option("--input", "input_pairs", multiple=True, metavar="NAME=VALUE",
              help="An input (JSON when VALUE parses as JSON, else a string). Repeatable.")
@click.option("--inputs", "inputs_file", type=path_param(dir_okay=False), default=None,
              metavar="FILE.json", help="Inputs from a JSON object file.")
@click.option("--simulate", is_flag=True,
              help="Replace every effectful tool by a recording stub (no outside effect).")
@click.option("--json", "as_json", is_flag=True, help="Print the run result as JSON.")
@click.option("--trace", is_flag=True, help="Print lifecycle events on stderr.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, metavar="N",
              help="Step budget (the smaller of this and policy: step_budget applies).")
@click.option("--timeout", "timeout", default=None, metavar="D",
              help="Wall-time limit of the run, e.g. 30s (default 300s).")
@click.option("--state", "state", type=path_param(dir_okay=False), default=None,
              metavar="PATH|URL", help="State store: a SQLite file or a postgresql:// URL "
              "(default: the configuration's state, else .aether/state.db in the "
              "project root; --simulate keeps its state in memory).")
@click.option("--events", "events", default=None, metavar="FILE",
              help="Write one JSON line per lifecycle event to FILE ('-': stderr).")
@click.option("--strict-signatures", "strict_signatures", is_flag=True, default=None,
              help="Run only a file whose signature verifies (also: strict-signatures = "
              "true in the configuration). A signed file is verified in any case.")
@trust_options
def run(file, input_pairs=(), inputs_file=None, simulate=False, as_json=False, trace=False,
        max_steps=None, timeout=None, state=None, events=None, strict_signatures=None,
        allowed_signers=None, revoked_keys=None, legacy_env=None):
    """Run a workflow after `check` passes. Exit status: 0, or the status of the failure
    (21 RUNTIME_ERROR, 23 TIMEOUT_ERROR, 24 UNSUPPORTED_FEATURE, 26 IO_ERROR for the
    configuration, catalogue or state database, or the check's)."""
    import os

    from ..config import ConfigError, load_config
    from ..fileio import WriteError, open_stream
    from ..runtime.api import RunOptions, parse_input_value, run_file
    from ..semantics.project import load_project_catalogue
    from ..store import StoreError, open_state_store

    try:
        config = load_config(os.path.dirname(os.path.abspath(file)))
        catalogue = load_project_catalogue(config)
    except ConfigError as exc:
        click.echo(f"aether: {exc}", err=True)
        sys.exit(26)

    inputs: dict = {}
    if inputs_file:
        try:
            with open(inputs_file, encoding="utf-8") as fh:
                loaded = json.load(fh)
        except (OSError, ValueError) as exc:
            click.echo(f"aether run: cannot read inputs from {inputs_file}: {exc}", err=True)
            sys.exit(26)
        if not isinstance(loaded, dict):
            click.echo(f"aether run: {inputs_file} must hold a JSON object", err=True)
            sys.exit(26)
        inputs.update(loaded)
    for pair in input_pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise click.BadParameter(f"'{pair}' is not NAME=VALUE", param_hint="--input")
        inputs[name.strip()] = parse_input_value(value)

    def show(event: dict) -> None:
        fields = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("event", "run_id"))
        click.echo(f"[trace] {event['event']} {fields}", err=True)

    stream = None
    if events == "-":
        stream = sys.stderr
    elif events:
        try:
            stream = open_stream(events)
        except WriteError as exc:
            click.echo(f"aether run: {exc}", err=True)
            sys.exit(26)

    def write_event(event: dict) -> None:
        stream.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
        stream.flush()

    store = None
    if not simulate:
        try:
            store = open_state_store(config.root, state or config.state)
        except StoreError as exc:
            click.echo(f"aether run: {exc}", err=True)
            sys.exit(26)
    options = RunOptions(max_steps=max_steps,
                         timeout=_duration(timeout) if timeout is not None else None,
                         trace=show if trace else None,
                         events=write_event if stream is not None else None)
    signatures = _signature_options(config, file, strict_signatures, allowed_signers,
                                    revoked_keys, legacy_env)
    try:
        result = run_file(file, inputs=inputs, simulate=simulate, options=options,
                          catalogue=catalogue, root=config.root, store=store,
                          signatures=signatures)
    finally:
        if store is not None:
            store.close()
        if stream is not None and stream is not sys.stderr:
            stream.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        sys.exit(result.status)
    for line in result.printed:
        click.echo(line)
    for finding in result.findings:
        where = f"{file}:{finding.line}:{finding.column}: " if finding.line else f"{file}: "
        click.echo(f"{where}{finding.rule} {finding.message}", err=True)
    if result.signature and result.signature.get("state") == "verified":
        sig = result.signature
        click.echo(f"aether run: signed by {sig['principal']} (key {sig['keyid']}, "
                   f"{sig['signed_at']})", err=True)
    for warning in result.warnings:
        click.echo(f"aether run: warning: {warning}", err=True)
    if result.error:
        e = result.error
        click.echo(f"{file}:{e['line']}:{e['column']}: {e['rule']} {e['kind']}: "
                   f"{e['message']}", err=True)
        for frame in e.get("stack", []):
            click.echo(f"  in fn {frame['fn']} called at line {frame['line']}", err=True)
        if result.handled_by:
            click.echo(f"  (on_error rule for {result.handled_by} ran)", err=True)
    elif not result.findings:
        for name, value in result.outputs.items():
            click.echo(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    sys.exit(result.status)


def _signature_options(config, file, strict, allowed, revoked, legacy_env):
    """The VerifyOptions for this run, or None when there is nothing to verify: not
    strict and the file does not start with a signature header."""
    if strict is None:
        strict = config.strict_signatures
    if not strict:
        from ..signing.block import starts_with_block

        try:
            with open(file, "rb") as fh:
                head = fh.read(4096).decode("utf-8", "replace")
        except OSError:
            return None  # the run reports the unreadable file
        if not starts_with_block(head):
            return None
    from .sigopts import load_verify_options

    return load_verify_options(config, allowed=allowed, revoked=revoked,
                               legacy_env=legacy_env, strict=strict, command="aether run")
