"""Governance commands: validate-config, audit verify/export, policy replay, approve, deny,
runs. Thin: the work is in aether.governance; this prints and exits with its status."""

from __future__ import annotations

import sys

import click

from ..output.jsontext import json_text
from .common import path_param, state_option, text_param


def _fail(status: int, rule: str, message: str):
    sys.stderr.write(f"aether: {rule} {message}\n")
    raise SystemExit(status)


def _state(root: str, state=None):
    """(store, approvals) of the state database at ``state`` (default
    ROOT/.aether/state.db): the ledger backend is the store itself."""
    from ..config import ConfigError, load_config
    from ..governance.approvals import StoreApprovals
    from ..store import StoreError, describe_state, open_state_store, state_exists

    if state is None:  # the configuration's `state` (a file or a postgresql:// URL)
        try:
            state = load_config(root).state
        except ConfigError as exc:
            _fail(26, "AE607", str(exc))
    if not state_exists(root, state):
        _fail(26, "AE607", f"no state database at {describe_state(root, state)} "
                           "(no governed run yet)")
    try:
        store = open_state_store(root, state)
    except StoreError as exc:
        _fail(26, "AE607", str(exc))
    return store, StoreApprovals(store)


def _policy(path):
    from ..governance.policy import PolicyError, default_policy, load_policy

    if path is None:
        return default_policy()
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        _fail(exc.status, exc.rule, exc.message)
    for w in policy.warnings:
        sys.stderr.write(f"aether: warning: {w}\n")
    return policy


_root_option = click.option("--root", default=".", show_default=True, metavar="DIR",
                            help="Project folder whose .aether/state.db holds the ledger.")
_state_option = state_option()


def _root(fn):
    return _root_option(_state_option(fn))


@click.command("validate-config")
@click.argument("file", type=path_param(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the checked policy as JSON.")
def validate_config(file, as_json=False):
    """Check a governance policy file. Exit 0 (warnings for unknown keys) or 26 naming the
    bad key."""
    policy = _policy(file)
    if as_json:
        click.echo(json_text({"digest": policy.digest, "warnings": list(policy.warnings),
                               **policy.content()}, sort_keys=True))
    else:
        click.echo(f"{file}: ok (mode {policy.mode}, {len(policy.rules)} rule(s), digest "
                   f"{policy.digest[:16]})")


@click.group("audit")
def audit():
    """Verify and export the hash-chained audit ledger."""


@audit.command("verify")
@click.argument("target", required=False, default="")
@_root
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def audit_verify(target="", root=".", as_json=False, state=None):
    """Verify RUN (or every run) in the state database, or an EVIDENCE.json export offline.
    Exit 0 verified (or open), 22 broken chain, 25 incomplete, 26 unreadable."""
    from ..governance.service import GovernanceError, verify_target

    backend = None
    is_file = target.endswith(".json")
    if not is_file:
        import os

        is_file = bool(target) and os.path.isfile(target)
    if not is_file:  # a run id: text (an export's file name need not be UTF-8)
        text_param().convert(target, click.get_current_context().command.params[0],
                             click.get_current_context())
        backend = _state(root, state)[0]
    try:
        reports = verify_target(target, backend)
    except GovernanceError as exc:
        _fail(exc.status, exc.rule, exc.message)
    if as_json:
        click.echo(json_text([r.to_json() for r in reports]))
    elif not reports:  # an empty ledger: say so rather than print nothing
        click.echo("no governed run in the state database: nothing to verify")
    else:
        for r in reports:
            click.echo(r.text())
    worst = max((r.status for r in reports), key=lambda s: (s == 22, s == 25), default=0)
    raise SystemExit(worst)


@audit.command("export")
@click.argument("run_id", type=text_param())
@click.option("-o", "--output", required=True, type=path_param(dir_okay=False, path_type=str),
              help="Evidence file to write (JSON).")
@_root
def audit_export(run_id, output, root=".", state=None):
    """Write RUN's entries, root hash and workflow digest to an evidence file."""
    from ..fileio import WriteError, write_output
    from ..governance.ledger import dump_export
    from ..governance.service import GovernanceError, export_evidence

    backend = _state(root, state)[0]
    try:
        doc = export_evidence(backend, run_id)
        write_output(output, dump_export(doc))
    except GovernanceError as exc:
        _fail(exc.status, exc.rule, exc.message)
    except WriteError as exc:
        _fail(26, "AE607", str(exc))
    click.echo(f"{output}: {doc['count']} entries, root {doc['root_hash']}")


@click.group("policy")
def policy_group():
    """Policy tools."""


@policy_group.command("replay")
@click.argument("new_policy", type=path_param(dir_okay=False, path_type=str))
@click.option("--since", default=None, metavar="DATE", help="Only requests at or after "
              "DATE (ISO 8601, e.g. 2024-05-01 or 2024-05-01T12:00Z).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_root
def policy_replay(new_policy, since=None, fmt="text", root=".", state=None):
    """Re-decide every recorded request under NEW_POLICY; report the decisions that would
    change. Nothing is executed. Exit 0."""
    from ..governance.replay import parse_since, replay

    policy = _policy(new_policy)
    if since is not None:
        try:
            since = parse_since(since)
        except ValueError:
            raise click.BadParameter(f"'{since}' is not a date", param_hint="--since")
    report = replay(_state(root, state)[0], policy, since)
    click.echo(json_text(report.to_json()) if fmt == "json" else report.text())


def _decide(decision, run_id, request_id, approver, reason, policy_file, root, state=None,
            key_path=None, passphrase_env=None):
    from ..governance.service import GovernanceError, record_approval, run_policy

    backend, store = _state(root, state)
    try:
        policy = _policy(policy_file) if policy_file else run_policy(backend, run_id)
        key = _signing_key(key_path, passphrase_env) if key_path else None
        trust = _trust(root) if policy.approval.require_signed else None
        a = record_approval(backend, store, policy, run_id, request_id, approver, reason,
                            decision, key=key, trust=trust)
    except GovernanceError as exc:
        _fail(exc.status, exc.rule, exc.message)
    verb = "approved" if decision == "approve" else "denied"
    signed = f", signed by key {a.signature['keyid']}" if a.signature else ""
    click.echo(f"{run_id} {request_id}: {verb} by {approver} (approval {a.id}{signed}); "
               f"continue with: aether resume {run_id}")


def _signing_key(path, passphrase_env):
    from ..signing.keys import KeyFileError, key_file_warning, load_signing_key
    from .sigopts import env_secret

    passphrase = env_secret(passphrase_env, "--passphrase-env") if passphrase_env else None
    try:
        key = load_signing_key(path, passphrase)
    except KeyFileError as exc:
        _fail(26, "AE608", f"{path}: {exc}")
    loose = key_file_warning(path)
    if loose:
        sys.stderr.write(f"warning: {loose}\n")
    return key


def _trust(root):
    """The trusted signers of the project at ``root`` (its configuration's files, else
    .aether/allowed_signers and .aether/revoked_keys)."""
    from ..config import ConfigError, load_config
    from ..signing.trust import TrustError, load_trust, trust_paths

    try:
        config = load_config(root)
        a, a_req, r, r_req = trust_paths(config.root, None, None, config.allowed_signers,
                                         config.revoked_keys)
        return load_trust(a, r, a_req, r_req)
    except (ConfigError, TrustError) as exc:
        _fail(26, "AE608", str(exc))


def _approval_command(name, decision, doc):
    @click.command(name, help=doc)
    @click.argument("run_id", type=text_param())
    @click.argument("request_id", type=text_param())
    @click.option("--approver", required=True, metavar="NAME", type=text_param())
    @click.option("--reason", required=True, metavar="TEXT", type=text_param())
    @click.option("--policy", "policy_file", default=None,
                  type=path_param(dir_okay=False, path_type=str),
                  help="Policy file naming the approvers (default: the run's own policy).")
    @click.option("--key", "key_path", default=None, metavar="KEY",
                  type=path_param(dir_okay=False, path_type=str),
                  help="Sign the decision with this private key (aether keygen); required "
                  "when the policy says require_signed.")
    @click.option("--passphrase-env", "passphrase_env", default=None, metavar="VAR",
                  help="The key's passphrase is in this environment variable.")
    @_root
    def command(run_id, request_id, approver, reason, policy_file=None, root=".",
                state=None, key_path=None, passphrase_env=None):
        _decide(decision, run_id, request_id, approver, reason, policy_file, root, state,
                key_path, passphrase_env)
    return command


approve = _approval_command("approve", "approve", "Approve a waiting REQUEST of RUN "
                            "(bound to its tool, parameters and workflow digest).")
deny = _approval_command("deny", "deny", "Refuse a waiting REQUEST of RUN.")


@click.command("runs")
@_root
@click.option("--json", "as_json", is_flag=True)
def waiting_runs(root=".", as_json=False, state=None):
    """List runs whose ledger is open (running or waiting) and their waiting requests."""
    from ..governance.service import waiting_requests

    backend = _state(root, state)[0]
    out = [{"run_id": r, "waiting": waiting_requests(backend, r)}
           for r in backend.waiting_runs()]
    if as_json:
        click.echo(json_text(out))
        return
    for item in out:
        click.echo(f"{item['run_id']}: " + (", ".join(
            f"{w['request']} {w['tool']} ({', '.join(w['reasons'] or ())})"
            for w in item["waiting"]) or "open"))
