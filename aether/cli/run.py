"""`aether run FILE` and `aether resume RUN`: check, then run (or resume) a governed
workflow; print its outputs; exit with its status."""

from __future__ import annotations

import sys

import click

from ..output.jsontext import json_line, json_text
from .common import path_param, state_option, text_param
from .sigopts import trust_options


def _duration(text: str) -> float:
    import re

    m = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*", text or "")
    if not m:
        raise click.BadParameter(f"'{text}' is not a duration (30s, 2m, 1h, 500ms)",
                                 param_hint="--timeout")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    seconds = float(m.group(1).replace("_", "")) * scale
    # 0s was taken as "no option" (300 s) in silence; 400 digits are an infinite limit
    if not 0 < seconds < float("inf"):
        shown = text if len(text) <= 40 else text[:20] + "..." + text[-8:]
        raise click.BadParameter(f"'{shown}' must be a duration above zero and finite",
                                 param_hint="--timeout")
    return seconds


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
@state_option("--simulate keeps its state in memory")
@click.option("--events", "events", default=None, metavar="FILE",
              help="Write one JSON line per lifecycle event to FILE ('-': stderr).")
@click.option("--strict-signatures", "strict_signatures", is_flag=True, default=None,
              help="Run only a file whose signature verifies (also: strict-signatures = "
              "true in the configuration). A signed file is verified in any case.")
@click.option("--policy", "policy_file", type=path_param(dir_okay=False, path_type=str),
              default=None, metavar="FILE", help="Governance policy file (default: the "
              "configuration's `policy`, else the default policy: strict over the "
              "catalogue's risk tiers, high and unreviewed tools need an approval).")
@click.option("--actor", default=None, metavar="NAME", type=text_param(),
              help="Who runs the workflow (the actor of every request; default: the "
              "workflow's meta: actor, else anonymous).")
@click.option("--run-id", "run_id", default=None, metavar="ID", type=text_param(),
              help="The run's id (default: a new UUID); it must be new to the state "
              "database.")
@trust_options
def run(file, input_pairs=(), inputs_file=None, simulate=False, as_json=False, trace=False,
        max_steps=None, timeout=None, state=None, events=None, strict_signatures=None,
        allowed_signers=None, revoked_keys=None, legacy_env=None, policy_file=None,
        actor=None, run_id=None):
    """Run a workflow after `check` passes, every effectful call decided by the governance
    policy and recorded in the audit ledger. Exit status: 0, 1 when the run waits for an
    approval (AE603; resume with `aether resume RUN`), or the status of the failure
    (21 RUNTIME_ERROR, 23 TIMEOUT_ERROR, 24 UNSUPPORTED_FEATURE, 26 IO_ERROR for the
    configuration, catalogue, policy or state database, or a declared input the workflow
    reads that is missing or of the wrong type, AE008; or the check's)."""
    import os

    from ..config import ConfigError, load_config
    from ..fileio import WriteError, open_stream
    from ..governance.runner import start_governed_run
    from ..jsondoc import parse_json
    from ..readfile import DocumentReadError, read_document
    from ..runtime.api import RunOptions, parse_input_value
    from ..semantics.project import load_project_catalogue
    from ..store import StoreError, open_state_store

    try:
        config = load_config(os.path.dirname(os.path.abspath(file)))
        catalogue = load_project_catalogue(config)
    except ConfigError as exc:
        click.echo(f"aether: {exc}", err=True)
        sys.exit(26)
    policy = load_run_policy(policy_file or config.policy)
    install_approval_trust(policy, config)

    inputs: dict = {}
    if inputs_file:
        try:
            raw = read_document(inputs_file)
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValueError(f"inputs file {inputs_file} is not UTF-8 text (byte "
                                 f"{exc.start})") from None
            loaded = parse_json(text, f"inputs file {inputs_file}")
        except DocumentReadError as exc:
            click.echo(f"aether run: cannot read inputs from {inputs_file}: it {exc}", err=True)
            sys.exit(26)
        except ValueError as exc:  # names the file: "inputs file X is not valid JSON: ..."
            click.echo(f"aether run: {exc}", err=True)
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
        _say(f"[trace] {event['event']} {fields}")

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
        stream.write(json_line(event, sort_keys=True) + "\n")
        stream.flush()

    store = None
    if not simulate:
        try:
            store = open_state_store(config.root, state or config.state)
        except StoreError as exc:
            click.echo(f"aether run: {exc}", err=True)
            sys.exit(26)
    options = RunOptions(max_steps=max_steps, run_id=run_id,
                         timeout=_duration(timeout) if timeout is not None else None,
                         trace=show if trace else None,
                         events=write_event if stream is not None else None)
    signatures = _signature_options(config, file, strict_signatures, allowed_signers,
                                    revoked_keys, legacy_env)
    try:
        result = start_governed_run(file, store=store, policy=policy, actor=actor,
                                    inputs=inputs, simulate=simulate, options=options,
                                    catalogue=catalogue, root=config.root,
                                    signatures=signatures)
    finally:
        if store is not None:
            store.close()
        if stream is not None and stream is not sys.stderr:
            try:
                stream.close()
            except OSError:  # its last line unwritten: the sink failed, warned of already
                pass
    report(result, file, as_json)


def load_run_policy(path):
    """The policy of a run: the file at ``path`` (exit 26 naming the problem when it
    cannot be used; its warnings on stderr), or the default policy for None."""
    from ..governance.policy import PolicyError, default_policy, load_policy

    if not path:
        return default_policy()
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        click.echo(f"aether: {exc.rule} {exc.message}", err=True)
        sys.exit(exc.status)
    for w in policy.warnings:
        click.echo(f"aether: warning: {w}", err=True)
    return policy


def install_approval_trust(policy, config) -> None:
    """Under ``[approval] require_signed``, approvals count only when signed by a key the
    project's trusted-signers file lists for the approver: load it (exit 26 when broken)."""
    if not policy.approval.require_signed:
        return
    from ..governance.signed import install_verifier
    from ..signing.trust import TrustError, load_trust, trust_paths

    a, a_req, r, r_req = trust_paths(config.root, None, None, config.allowed_signers,
                                     config.revoked_keys)
    try:
        install_verifier(load_trust(a, r, a_req, r_req))
    except TrustError as exc:
        click.echo(f"aether: {exc}", err=True)
        sys.exit(26)


def _say(text: str) -> None:
    """One diagnostic line on stderr, its invisible characters as placeholders: an error
    message, a trace field or a warning can quote the workflow's own text (`verify(false,
    msg)`), and click passes an escape sequence through to a terminal."""
    from ..output.text import printable

    click.echo(printable(text), err=True)


def report(result, file, as_json: bool) -> None:
    """Print a run's result (text or JSON) and exit with its status."""
    from ..walk import printable_path

    file = printable_path(file)  # a name that is not UTF-8: its bytes as \xff escapes
    if as_json:
        click.echo(json_text(result.to_json()))
        sys.exit(result.status)
    for line in result.printed:
        click.echo(line)
    for finding in result.findings:
        where = f"{file}:{finding.line}:{finding.column}: " if finding.line else f"{file}: "
        _say(f"{where}{finding.rule} {finding.message}")
    if result.signature and result.signature.get("state") == "verified":
        sig = result.signature
        _say(f"aether run: signed by {sig['principal']} (key {sig['keyid']}, "
             f"{sig['signed_at']})")
    for warning in result.warnings:
        _say(f"aether run: warning: {warning}")
    if result.error:
        e = result.error
        _say(f"{file}:{e['line']}:{e['column']}: {e['rule']} {e['kind']}: {e['message']}")
        for text, times in _collapsed(e.get("stack", [])):
            _say(f"  {text}" + (f" ({times} times)" if times > 1 else ""))
        if result.handled_by:
            _say(f"  (on_error rule for {result.handled_by} ran)")
    elif not result.findings:
        for name, value in result.outputs.items():
            click.echo(f"{name}: {json_line(value)}")
    sys.exit(result.status)


def _signature_options(config, file, strict, allowed, revoked, legacy_env):
    """The VerifyOptions for this run, or None when there is nothing to verify: not
    strict and the file does not start with a signature header."""
    if strict is None:
        strict = config.strict_signatures
    if not strict:
        from ..signing.block import starts_with_block

        from ..readfile import DocumentReadError, read_head

        try:
            # read_head, not open(): a FIFO named as the workflow must not block here; and
            # only the first 4 KiB, not the whole file, to find a header line
            head = read_head(file, 4096).decode("utf-8", "replace")
        except DocumentReadError:
            return None  # the run reports the unreadable file
        if not starts_with_block(head):
            return None
    from .sigopts import load_verify_options

    return load_verify_options(config, allowed=allowed, revoked=revoked,
                               legacy_env=legacy_env, strict=strict, command="aether run")


@click.command("resume")
@click.argument("run_id", type=text_param())
@state_option()
@click.option("--policy", "policy_file", type=path_param(dir_okay=False, path_type=str),
              default=None, metavar="FILE", help="Policy in force from now on (default: "
              "the run's policy file as it is now, else the default policy).")
@click.option("--retry-in-doubt", is_flag=True,
              help="Call again the calls that were in progress when the run stopped (their "
              "effect may happen twice).")
@click.option("--force", is_flag=True,
              help="Resume a run whose process looks alive (another host, or a reused pid).")
@click.option("--json", "as_json", is_flag=True, help="Print the run result as JSON.")
@click.option("--strict-signatures", "strict_signatures", is_flag=True, default=None,
              help="Resume only when the workflow's signature verifies.")
@trust_options
def resume(run_id, state=None, policy_file=None, retry_in_doubt=False, force=False,
           as_json=False, strict_signatures=None, allowed_signers=None, revoked_keys=None,
           legacy_env=None):
    """Resume RUN from its checkpoint: re-execute the workflow from its start, replaying
    the recorded result of every completed call (no tool is called twice), and go on from
    the call it stopped at. Exit status as for `aether run`; 25 (AE608) for a run that
    cannot be resumed."""
    import os

    from ..config import ConfigError, load_config
    from ..governance.runner import resume_governed_run
    from ..governance.service import GovernanceError
    from ..semantics.project import load_project_catalogue
    from ..store import StoreError, describe_state, open_state_store, state_exists

    try:
        config = load_config(".")
    except ConfigError as exc:
        click.echo(f"aether: {exc}", err=True)
        sys.exit(26)
    state = state or config.state
    if not state_exists(config.root, state):
        click.echo(f"aether resume: AE608 no state database at "
                   f"{describe_state(config.root, state)}", err=True)
        sys.exit(26)
    try:
        store = open_state_store(config.root, state)
    except StoreError as exc:
        click.echo(f"aether resume: {exc}", err=True)
        sys.exit(26)
    try:
        cp = store.load_checkpoint(run_id) or {}
        workflow = cp.get("workflow") or ""
        try:
            wconfig = load_config(os.path.dirname(workflow) or ".") if workflow else config
            catalogue = load_project_catalogue(wconfig)
        except ConfigError as exc:
            click.echo(f"aether: {exc}", err=True)
            sys.exit(26)
        policy = load_run_policy(policy_file or cp.get("policy_source") or wconfig.policy)
        install_approval_trust(policy, wconfig)
        signatures = None
        if workflow and os.path.isfile(workflow):
            signatures = _signature_options(wconfig, workflow, strict_signatures,
                                            allowed_signers, revoked_keys, legacy_env)
        try:
            result = resume_governed_run(run_id, store=store, policy=policy,
                                         retry_in_doubt=retry_in_doubt, force=force,
                                         catalogue=catalogue, signatures=signatures)
        except GovernanceError as exc:
            click.echo(f"aether resume: {exc.rule} {exc.message}", err=True)
            sys.exit(exc.status)
    finally:
        store.close()
    report(result, workflow, as_json)


def _collapsed(stack):
    """The ``fn`` frames as (line of text, times in a row): a recursion 200 deep is one
    line, not 200."""
    out: list = []
    for frame in stack:
        text = f"in fn {frame['fn']} called at line {frame['line']}"
        if out and out[-1][0] == text:
            out[-1][1] += 1
        else:
            out.append([text, 1])
    return out
