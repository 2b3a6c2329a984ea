"""Governed runs over the state store: start one (``aether run``) and resume one
(``aether resume``).

Both build the same stack around the run: a :class:`~.dispatcher.GovernedDispatcher`
(policy, ledger and approvals in the :class:`aether.store.Store`) over the bindings, with
the run's :class:`~.journal.CallJournal`. A fresh run draws a random seed and records it
in its checkpoint with the workflow (path, digest), inputs, policy (path, digest) and
actor; a resumed run reads the checkpoint back, re-executes the workflow from its start
with the same run id and seed, replays every completed call from the journal and goes on
from the first call that has no result. The policy in force at resume decides (its file
as it is now, or ``--policy``); the ledger's ``resume`` entry names both digests.

Functions return a :class:`aether.runtime.api.RunResult` and raise
:class:`~.service.GovernanceError` for a run that cannot be resumed.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import replace
from typing import Optional

from .approvals import StoreApprovals
from .dispatcher import GovernedDispatcher
from .journal import CallJournal
from .ledger import Ledger, MemoryLedgerBackend
from .policy import Policy, default_policy
from .service import GovernanceError

__all__ = ["start_governed_run", "resume_governed_run", "pid_alive"]


def _dispatcher(store, policy: Policy, actor: Optional[str], run_id: str, simulate: bool,
                catalogue, root: str, checkpoint: dict, retry_in_doubt: bool = False,
                previous: Optional[dict] = None) -> GovernedDispatcher:
    from ..runtime.bindings import Bindings
    from ..runtime.dispatch import BindingDispatcher, SimulateDispatcher
    from ..semantics.catalogue import load_catalogue

    catalogue = catalogue or load_catalogue()  # a project without aether-tools.toml
    if simulate or store is None:
        inner = SimulateDispatcher() if simulate else BindingDispatcher(
            bindings=Bindings(catalogue, root))
        return GovernedDispatcher(inner, policy, Ledger(MemoryLedgerBackend()), None, actor)
    inner = BindingDispatcher(bindings=Bindings(catalogue, root))
    return GovernedDispatcher(inner, policy, Ledger(store), StoreApprovals(store), actor,
                              journal=CallJournal(store, run_id), store=store,
                              checkpoint=checkpoint, retry_in_doubt=retry_in_doubt,
                              previous=previous)


def start_governed_run(path: str, *, store, policy: Optional[Policy] = None,
                       actor: Optional[str] = None, inputs: Optional[dict] = None,
                       simulate: bool = False, options=None, catalogue=None,
                       root: Optional[str] = None, signatures=None):
    """Run the workflow at ``path`` under ``policy`` (default: :func:`default_policy`),
    recording the run, its ledger, journal and checkpoint in ``store`` (None or
    ``simulate``: a dry run of the policy, its ledger in memory)."""
    import uuid

    from ..runtime.api import RunOptions, RunResult, run_file
    from ..runtime.errors import AetherRuntimeError
    from ..runtime.values import from_host

    options = options or RunOptions()
    root = os.path.abspath(root or os.getcwd())
    run_id = options.run_id or str(uuid.uuid4())
    seed = options.fallback_seed if options.fallback_seed is not None else \
        secrets.randbits(63)
    options = replace(options, run_id=run_id, fallback_seed=seed)
    try:  # inputs a program may not hold (a lone surrogate: no UTF-8) are refused before
        from_host(dict(inputs or {}))  # the checkpoint records them, as run_file would
    except AetherRuntimeError as exc:
        return RunResult(exc.status, error=exc.to_json(), run_id=run_id)
    checkpoint = {"workflow": os.path.abspath(path), "inputs": _jsonable(inputs),
                  "root": root, "seed": seed, "simulated": simulate}
    policy = policy or default_policy()
    gov = _dispatcher(store, policy, actor, run_id, simulate, catalogue, root, checkpoint)
    if store is not None and not simulate:
        # Saved before anything else of the run: a run killed at any later point can be
        # resumed (begin_run completes it with the workflow digest and the actor).
        store.save_checkpoint(run_id, {**checkpoint, "run_id": run_id, "state": "running",
                                       "policy_source": policy.source,
                                       "policy_digest": policy.digest, "actor": actor,
                                       "host": socket.gethostname(), "pid": os.getpid()})
    try:
        return run_file(path, inputs=inputs, simulate=simulate, options=options,
                        dispatcher=gov, catalogue=catalogue, root=root,
                        store=None if simulate else store, signatures=signatures)
    finally:
        gov.close()


def pid_alive(host: str, pid: int) -> bool:
    """Whether process ``pid`` on ``host`` may still be running (True when the host is
    another machine: it cannot be checked from here)."""
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (killed, not yet reaped by its parent) is not running
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b") ")[-1][:1] != b"Z"
    except OSError:
        return True


def resume_governed_run(run_id: str, *, store, policy: Optional[Policy] = None,
                        retry_in_doubt: bool = False, force: bool = False, options=None,
                        catalogue=None, signatures=None, load_policy_file=None):
    """Resume run ``run_id`` from its checkpoint in ``store`` (see the module docstring).

    ``policy`` overrides the policy in force (default: the run's policy file re-read as
    it is now, or the default policy). Raises GovernanceError AE608 (status 25) for a run
    without a checkpoint, one that has ended, or one whose process still runs (unless
    ``force``); 26 when the workflow file is gone.
    """
    from ..runtime.api import RunOptions, run_file

    cp = store.load_checkpoint(run_id)
    if cp is None:
        raise GovernanceError("AE608", 25, f"run '{run_id}' has no checkpoint: it is not a "
                              "governed run of this state database")
    record = store.get_run(run_id)
    if cp.get("state") == "ended" or (record is not None and record.status in
                                      ("succeeded", "failed")):
        status = record.exit_status if record is not None else "?"
        raise GovernanceError("AE608", 25, f"run '{run_id}' has ended (status {status}); "
                              "there is nothing to resume")
    if cp.get("state") == "running" and not force and \
            pid_alive(str(cp.get("host")), int(cp.get("pid") or 0)):
        raise GovernanceError("AE608", 25, f"run '{run_id}' is still running (process "
                              f"{cp.get('pid')} on {cp.get('host')}); pass --force if it "
                              "is not")
    path = cp["workflow"]
    if not os.path.isfile(path):
        raise GovernanceError("AE608", 26, f"{path}: the run's workflow file is gone")
    # claim the run before doing anything: of two resumes started at once, both read the
    # same checkpoint and both passed the checks above; only one may go on (the other
    # failed half-way on the ledger, after the winner's call, and could close the run)
    if not store.claim_checkpoint(run_id, cp, {**cp, "state": "running",
                                               "host": socket.gethostname(),
                                               "pid": os.getpid()}):
        raise GovernanceError("AE608", 25, f"run '{run_id}' is being resumed by another "
                              "process (its checkpoint changed meanwhile); see aether runs")
    if policy is None:
        source = cp.get("policy_source")
        policy = load_policy_file(source) if source and load_policy_file else \
            default_policy()
    options = replace(options or RunOptions(), run_id=run_id, fallback_seed=cp.get("seed"),
                      resume=True)
    root = cp.get("root") or os.path.dirname(path)
    checkpoint = {k: cp.get(k) for k in ("workflow", "inputs", "root", "seed", "simulated")}
    gov = _dispatcher(store, policy, cp.get("actor"), run_id, False, catalogue, root,
                      checkpoint, retry_in_doubt, previous=cp)
    try:
        result = run_file(path, inputs=cp.get("inputs") or {}, options=options,
                          dispatcher=gov, catalogue=catalogue, root=root, store=store,
                          signatures=signatures)
    finally:
        gov.close()
    if result.digest and cp.get("digest") and result.digest != cp.get("digest"):
        result.warnings.append("the workflow file changed since the run started: approvals "
                               "given for the old file do not count, completed calls are "
                               "still replayed")
    return result


def _jsonable(inputs):
    import json

    try:
        json.dumps(inputs or {})
        return dict(inputs or {})
    except (TypeError, ValueError):
        return {k: repr(v) for k, v in (inputs or {}).items()}
