"""The go/no-go gate runner: named gates, each returning (ok, details), and the sign-off.

Built-in gates reuse the library: ``parse-baseline`` (:func:`aether.gate.run_gate` on a
baseline of the tree now against a reference), ``strict-signatures``
(:func:`aether.signing.verify.verify_files`, strict), ``audit-ledger``
(:func:`aether.governance.service.verify_target` over every run of the state database),
``no-legacy`` (no AE2xx finding left), ``catalogue-reviewed`` (no tool or plugin member of
the project catalogue with risk ``unreviewed``) and ``classifier-trend`` (the failure
rate of the last classifier snapshot is not above the one before it).

Declared gates (``[tool.aether.gates.NAME]`` or a gates file; docs/fleet.md) are
``kind = "command"`` (an argv list run without a shell, with a timeout; ok when it exits
0) and ``kind = "manual"`` (ok under ``strict_manual`` only with a recorded sign-off,
:func:`record_sign_off`). Any gate may say ``mandatory = false``; the run fails when a
mandatory gate fails. Documents: ``gate_results.json`` and ``gate_sign_off.md`` in the
reference shapes (REFERENCE.md "Go/no-go gates").
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

__all__ = ["BUILTIN", "GateSpec", "GateOutcome", "GateConfigError", "GateContext",
           "load_specs", "select_gates", "run_gates", "results_doc", "sign_off_markdown",
           "record_sign_off", "load_sign_offs", "SIGN_OFF_FILE", "dumps"]

SIGN_OFF_FILE = os.path.join(".aether", "gate_sign_offs.json")
_KINDS = ("builtin", "command", "manual")
_RESERVED = ("profiles",)


class GateConfigError(Exception):
    """The gate declarations or a sign-off file cannot be used (message says why).

    ``usage`` is true when the caller's own arguments are at fault (a gate or profile
    name that is not declared, an empty or invisible sign-off person or reason), false
    when a declaration or a file is: the CLI maps the one to a usage error and the other
    to IO_ERROR from this flag, never from the message's wording."""

    def __init__(self, message: str, *, usage: bool = False):
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class GateSpec:
    """One gate: its name, kind, whether it is mandatory and its settings."""

    name: str
    kind: str
    mandatory: bool = True
    description: str = ""
    settings: dict = field(default_factory=dict, compare=False)


@dataclass
class GateOutcome:
    """What one gate found: ``details`` has a one-line ``summary`` and the evidence."""

    name: str
    ok: bool
    manual: bool
    mandatory: bool
    duration_sec: float
    details: dict


@dataclass
class GateContext:
    """What the gates look at: the project root, its configuration and catalogue, the
    paths to check, trust, and the clock (injected by the tests, for golden files)."""

    root: str
    config: Any
    paths: tuple[str, ...] = (".",)
    catalogue: Any = None
    verify: Any = None  # VerifyOptions (trust) for strict-signatures
    history_dir: Optional[str] = None
    strict_manual: bool = False
    jobs: int = 1
    now: Callable[[], float] = time.time
    clock: Callable[[], float] = time.perf_counter
    _results: Optional[list] = None
    _files: Optional[list] = None

    def rel(self, path: str) -> str:
        """``path`` relative to the root, with ``/`` (stable across machines)."""
        rel = os.path.relpath(os.path.abspath(path), self.root)
        return (path if rel.startswith("..") else rel).replace(os.sep, "/")

    def files(self) -> list:
        """The workflow files of ``paths``, as `aether check` finds them."""
        if self._files is None:
            from ..walk import iter_files

            self._files = sorted(iter_files(
                [os.path.join(self.root, p) for p in self.paths],
                tuple(self.config.exclude), self.root), key=lambda f: self.rel(f.path))
        return self._files

    def check_results(self) -> list:
        """Check results of :meth:`files` (computed once, shared by the gates)."""
        if self._results is None:
            from ..baseline import run_checks
            from ..checker import CheckOptions
            from ..source import DEFAULT_MAX_FILE_SIZE
            from ..walk import SourceFile

            files = [SourceFile(f.path, self.rel(f.path)) for f in self.files()]
            options = CheckOptions(root=self.root, catalogue=self.catalogue,
                                   max_file_size=self.config.max_file_size
                                   or DEFAULT_MAX_FILE_SIZE, keep_source=False)
            self._results = run_checks(files, options, self.config, self.jobs,
                                       use_cache=False)
        return self._results


# ------------------------------------------------------------------ built-in gates

def _gate_parse_baseline(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    from ..baseline import BaselineError, build_baseline, load_baseline, parse_baseline
    from ..baseline import dumps as baseline_dumps
    from ..gate import GateInputError, GateOptions, run_gate

    ref_path = os.path.join(ctx.root, spec.settings.get("ref", ".aether/baseline.json"))
    if not os.path.exists(ref_path):
        return False, {"summary": f"no reference baseline at {ctx.rel(ref_path)} (write "
                       "one with `aether baseline -o FILE` on the reference branch)"}
    try:
        ref = load_baseline(ref_path)
        new = parse_baseline(baseline_dumps(build_baseline(ctx.check_results(),
                                                           timestamp="now")), "<tree>")
        result = run_gate(new, ref, GateOptions(
            abs_threshold=spec.settings.get("abs_threshold", 5),
            rel_threshold=spec.settings.get("rel_threshold", 0.10)), timestamp="now")
    except (BaselineError, GateInputError) as exc:
        return False, {"summary": str(exc)}
    summary = "no regression" if result.ok else "; ".join(result.reasons)
    return result.ok, {"summary": summary, "ref": ctx.rel(ref_path),
                       "new_counts": result.new_counts, "ref_counts": result.ref_counts,
                       "regressions": result.regressions,
                       "new_findings": len(result.new_findings),
                       "fixed_findings": len(result.fixed_findings)}


def _gate_strict_signatures(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    import dataclasses

    from ..signing.verify import VerifyOptions, verify_files

    verify = dataclasses.replace(ctx.verify or VerifyOptions(), strict=True)
    files = ctx.files()
    verdicts = verify_files(files, verify, ctx.jobs)
    states: dict[str, int] = {}
    failing = []
    for f, v in zip(files, verdicts):
        states[v.state] = states.get(v.state, 0) + 1
        if not v.ok:
            first = v.findings[0]
            failing.append({"file": ctx.rel(f.path), "state": v.state, "rule": first.rule,
                            "message": first.message})
    ok = not failing
    summary = (f"all {len(files)} files verified" if ok else
               f"{len(failing)} of {len(files)} files fail strict verification")
    return ok, {"summary": summary, "states": dict(sorted(states.items())),
                "failing": failing[:50]}


def _gate_audit_ledger(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    from ..governance.ledger import LedgerError
    from ..governance.service import GovernanceError, verify_target
    from ..store import StoreError, open_state_store, state_exists

    state = getattr(ctx.config, "state", None)  # a file or a postgresql:// URL
    if not state_exists(ctx.root, state):
        return True, {"summary": "no state database: no governed run to verify", "runs": 0}
    try:
        store = open_state_store(ctx.root, state)  # the store is the ledger backend
        try:
            reports = verify_target("", store)
        finally:
            store.close()
    except (LedgerError, GovernanceError, StoreError) as exc:
        return False, {"summary": f"cannot verify the ledger: {exc}"}
    states: dict[str, int] = {}
    for r in reports:
        states[r.state] = states.get(r.state, 0) + 1
    bad = [r.to_json() for r in reports if r.status != 0]
    ok = not bad
    summary = (f"{len(reports)} run chains verify" if ok else
               f"{len(bad)} of {len(reports)} run chains are broken or incomplete")
    return ok, {"summary": summary, "runs": len(reports), "states": states,
                "problems": [{"run_id": b["run_id"], "state": b["state"],
                              "first": (b["integrity"] + b["completeness"])[0]["message"]}
                             for b in bad[:20]]}


def _gate_no_legacy(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    legacy = []
    for r in ctx.check_results():
        rules = sorted({f.rule for f in r.findings if f.rule.startswith("AE2")})
        if rules:
            legacy.append({"file": r.path, "rules": rules})
    ok = not legacy
    n = len(legacy)
    summary = ("no legacy-dialect file" if ok else f"{n} file{'s' if n != 1 else ''} still "
               f"use{'s' if n == 1 else ''} legacy-dialect constructs (`aether migrate`)")
    return ok, {"summary": summary, "files": legacy[:50], "count": len(legacy)}


def _gate_catalogue_reviewed(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    cat = ctx.catalogue
    if cat is None:
        from ..semantics.catalogue import load_catalogue

        cat = load_catalogue()
    unreviewed = sorted(name for name, b in cat.tools.items() if b.risk == "unreviewed")
    for pname, plugin in cat.plugins.items():
        unreviewed += sorted(f"{pname}.{m}" for m, b in plugin.functions.items()
                             if b.risk == "unreviewed")
    ok = not unreviewed
    summary = (f"every one of {len(cat.tools)} tools has a reviewed risk" if ok else
               f"unreviewed: {', '.join(unreviewed[:5])}"
               + (f" and {len(unreviewed) - 5} more" if len(unreviewed) > 5 else ""))
    return ok, {"summary": summary, "unreviewed": unreviewed}


def _gate_classifier_trend(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    from .history import DEFAULT_DIR, HistoryError, load_trends

    directory = ctx.history_dir or os.path.join(ctx.root, DEFAULT_DIR)
    try:
        entries = load_trends(directory)
    except HistoryError as exc:
        return False, {"summary": str(exc)}
    if len(entries) < 2:
        return True, {"summary": f"{len(entries)} classifier snapshot(s): nothing to compare",
                      "snapshots": len(entries)}
    last, before = entries[-1], entries[-2]

    def rate(e):
        return e["failed"] / e["total"] if e["total"] else 0.0
    ok = rate(last) <= rate(before)
    summary = (f"failure rate {rate(last):.1%} (was {rate(before):.1%})"
               + ("" if ok else ": it went up"))
    return ok, {"summary": summary, "last": {k: last[k] for k in ("file", "failed", "total")},
                "before": {k: before[k] for k in ("file", "failed", "total")}}


BUILTIN: dict[str, tuple[str, Callable[[GateSpec, GateContext], tuple[bool, dict]]]] = {
    "parse-baseline": ("the parse baseline does not regress against the reference",
                       _gate_parse_baseline),
    "strict-signatures": ("every workflow carries a trusted, valid signature",
                          _gate_strict_signatures),
    "audit-ledger": ("every run's audit chain verifies", _gate_audit_ledger),
    "no-legacy": ("no legacy-dialect file is left", _gate_no_legacy),
    "catalogue-reviewed": ("no tool in the catalogue is unreviewed",
                           _gate_catalogue_reviewed),
    "classifier-trend": ("the classifier's failure rate is not above the last snapshot",
                         _gate_classifier_trend),
}


# ------------------------------------------------------------------ declared gates

def _duration(value: Any, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        import re

        m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*", value)
        if not m:
            raise GateConfigError(f"{where}: timeout {value!r} is not a duration (30s, 5m)")
        seconds = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600,
                                       None: 1}[m.group(2)]
    else:
        raise GateConfigError(f"{where}: timeout must be a number of seconds or a duration")
    if not 0 < seconds <= 86400:
        raise GateConfigError(f"{where}: timeout must be more than 0 and at most 24h")
    return seconds


#: How much of a command gate's stdout and stderr is kept (the end of each): a command that
#: prints gigabytes is read to its end, but never held in memory.
OUTPUT_TAIL = 64 * 1024


def _drain(stream, keep: list) -> None:
    """Read ``stream`` to its end, keeping only its last OUTPUT_TAIL bytes in ``keep``."""
    tail = b""
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            break
        tail = (tail + chunk)[-OUTPUT_TAIL:]
    keep.append(tail)


def _gate_command(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    """Run the gate's argv in its own session (process group) with its timeout. When it
    ends or times out, the whole group is killed: a background child it left (``sleep &``)
    neither outlives the gate nor keeps its output pipes open. Output is read as it comes
    and only its tail kept."""
    import signal
    import subprocess
    import threading
    import time

    argv = spec.settings["argv"]
    timeout = spec.settings.get("timeout_sec", 600.0)
    cwd = os.path.join(ctx.root, spec.settings.get("cwd", "."))
    try:
        proc = subprocess.Popen(argv, cwd=cwd, shell=False, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        return False, {"summary": f"cannot run {argv[0]}: {exc.strerror or exc}",
                       "argv": argv, "exit_status": None}
    out: list = []
    err: list = []
    readers = [threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)]
    for t in readers:
        t.start()
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group: leftovers too
        except OSError:
            pass
        proc.wait()
    for t in readers:
        t.join(max(0.0, deadline - time.monotonic()) + 5.0)
    proc.stdout.close()
    proc.stderr.close()
    if timed_out:
        return False, {"summary": f"the command did not finish within {timeout:g}s (killed)",
                       "argv": argv, "exit_status": None}

    def tail(parts: list) -> str:
        return (parts[0] if parts else b"").decode("utf-8", "replace")[-2000:]
    ok = proc.returncode == 0
    return ok, {"summary": f"the command exited with status {proc.returncode}", "argv": argv,
                "exit_status": proc.returncode, "stdout_tail": tail(out),
                "stderr_tail": tail(err)}


def _gate_manual(spec: GateSpec, ctx: GateContext) -> tuple[bool, dict]:
    sign_offs = [s for s in load_sign_offs(ctx.root) if s["gate"] == spec.name]
    last = sign_offs[-1] if sign_offs else None
    if last is not None:
        return True, {"summary": f"signed off by {last['by']} ({last['time']}): "
                      f"{last['reason']}", "sign_off": last}
    if ctx.strict_manual:
        return False, {"summary": "no recorded sign-off (`aether gates sign-off "
                       f"{spec.name} --by NAME --reason TEXT`)", "sign_off": None}
    return True, {"summary": "not signed off; passes because --strict-manual is not given",
                  "sign_off": None}


def load_specs(table: Optional[dict], where: str = "[tool.aether.gates]"
               ) -> tuple[list[GateSpec], dict[str, list[str]]]:
    """Every gate (the built-ins, then the declared ones, in order) and the profiles of a
    gates table. Raises GateConfigError naming the entry that is wrong."""
    table = dict(table or {})
    profiles_raw = table.pop("profiles", {})
    if not isinstance(profiles_raw, dict) or not all(
            isinstance(v, list) and all(isinstance(n, str) for n in v)
            for v in profiles_raw.values()):
        raise GateConfigError(f"{where}: profiles must map a name to a list of gate names")
    specs: dict[str, GateSpec] = {}
    for name, (description, _) in BUILTIN.items():
        specs[name] = GateSpec(name, "builtin", True, description, {})
    for name, entry in table.items():
        at = f"{where}.{name}"
        if not isinstance(entry, dict):
            raise GateConfigError(f"{at} must be a table")
        entry = {k.replace("-", "_"): v for k, v in entry.items()}
        kind = entry.pop("kind", "builtin" if name in BUILTIN else None)
        if kind not in _KINDS:
            raise GateConfigError(f"{at}: kind must be one of command, manual (or the "
                                  f"settings of a built-in gate: {', '.join(BUILTIN)})")
        if kind == "builtin" and name not in BUILTIN:
            raise GateConfigError(f"{at}: there is no built-in gate '{name}'")
        if kind != "builtin" and name in BUILTIN:
            raise GateConfigError(f"{at}: '{name}' is a built-in gate; choose another name")
        mandatory = entry.pop("mandatory", True)
        description = entry.pop("description", "")
        if not isinstance(mandatory, bool) or not isinstance(description, str):
            raise GateConfigError(f"{at}: mandatory must be true or false and description "
                                  "a string")
        settings: dict[str, Any] = {}
        if kind == "command":
            argv = entry.pop("argv", None)
            if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
                raise GateConfigError(f"{at}: argv must be a non-empty list of strings (the "
                                      "command is run without a shell)")
            settings["argv"] = argv
            settings["timeout_sec"] = _duration(entry.pop("timeout", 600), at)
            cwd = entry.pop("cwd", ".")
            if not isinstance(cwd, str):
                raise GateConfigError(f"{at}: cwd must be a string")
            settings["cwd"] = cwd
        elif kind == "builtin":
            settings.update(entry)
            entry = {}
            for key in ("abs_threshold", "rel_threshold"):
                v = settings.get(key, 0)
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 \
                        or v != v or v == float("inf"):
                    raise GateConfigError(f"{at}: {key} must be a finite number >= 0")
            if not isinstance(settings.get("ref", ""), str):
                raise GateConfigError(f"{at}: ref must be a path")
        if entry:
            raise GateConfigError(f"{at}: unknown key(s) {', '.join(sorted(entry))}")
        specs[name] = GateSpec(name, kind, mandatory,
                               description or specs.get(name, GateSpec(name, kind)).description
                               or ("manual sign-off" if kind == "manual" else
                                   " ".join(settings.get("argv", []))), settings)
    profiles = {p: list(v) for p, v in profiles_raw.items()}
    for p, names in profiles.items():
        unknown = [n for n in names if n not in specs]
        if unknown:
            raise GateConfigError(f"{where}.profiles.{p}: unknown gate(s) {', '.join(unknown)}")
    return list(specs.values()), profiles


def select_gates(specs: Sequence[GateSpec], profiles: dict[str, list[str]],
                 names: Sequence[str] = (), run_all: bool = False,
                 profile: Optional[str] = None) -> list[GateSpec]:
    """The gates to run: ``names`` when given, else every gate with ``run_all``, else the
    ``profile``'s gates (the profile ``default`` when declared, else every gate).
    Raises GateConfigError (``usage`` true) for an unknown gate or profile."""
    by_name = {s.name: s for s in specs}
    if names:
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise GateConfigError(f"unknown gate(s): {', '.join(unknown)} (known: "
                                  f"{', '.join(by_name)})", usage=True)
        return [by_name[n] for n in dict.fromkeys(names)]
    if run_all:
        return list(specs)
    if profile is not None and profile != "default" and profile not in profiles:
        raise GateConfigError(f"unknown profile '{profile}' (declared: "
                              f"{', '.join(profiles) or 'none'})", usage=True)
    chosen = profiles.get(profile or "default")
    return [by_name[n] for n in chosen] if chosen is not None else list(specs)


_RUNNERS = {"command": _gate_command, "manual": _gate_manual}


def run_gates(specs: Sequence[GateSpec], ctx: GateContext) -> list[GateOutcome]:
    """Run ``specs`` in order; one outcome each. A gate that raises fails (its details
    say why) and the others still run."""
    out = []
    for spec in specs:
        func = BUILTIN[spec.name][1] if spec.kind == "builtin" else _RUNNERS[spec.kind]
        started = ctx.clock()
        try:
            ok, details = func(spec, ctx)
        except Exception as exc:  # noqa: BLE001 - one gate's failure is that gate's result
            ok, details = False, {"summary": f"the gate failed to run: "
                                  f"{type(exc).__name__}: {exc}"}
        out.append(GateOutcome(spec.name, bool(ok), spec.kind == "manual", spec.mandatory,
                               round(ctx.clock() - started, 3), details))
    return out


def results_doc(outcomes: Sequence[GateOutcome], profile: str, ts: str) -> dict:
    """``gate_results.json``: ``_meta`` (profile, ts, all_passed), then one entry per gate
    (ok, manual, duration_sec, details; plus mandatory)."""
    doc: dict[str, Any] = {"_meta": {
        "profile": profile, "ts": ts, "all_passed": all(o.ok for o in outcomes),
        "mandatory_passed": all(o.ok for o in outcomes if o.mandatory)}}
    for o in outcomes:
        doc[o.name] = {"ok": o.ok, "manual": o.manual, "duration_sec": o.duration_sec,
                       "details": o.details, "mandatory": o.mandatory}
    return doc


def dumps(doc: dict) -> str:
    """The results document as JSON text (two-space indent, keys in run order)."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def sign_off_markdown(doc: dict) -> str:
    """``gate_sign_off.md``: a table of the gates and summary lines for a pull request."""
    from ..output.text import markdown_text

    meta = doc["_meta"]
    gates = [(name, g) for name, g in doc.items() if name != "_meta"]
    lines = ["# Go/no-go sign-off", "",
             "| gate | result | mandatory | manual | seconds | details |",
             "|---|---|---|---|---:|---|"]
    for name, g in gates:
        summary = markdown_text(str(g["details"].get("summary", "")))
        lines.append(f"| {markdown_text(name)} | {'PASS' if g['ok'] else 'FAIL'} | "
                     f"{'yes' if g['mandatory'] else 'no'} | {'yes' if g['manual'] else 'no'}"
                     f" | {g['duration_sec']:.3f} | {summary} |")
    passed = sum(1 for _, g in gates if g["ok"])
    failed_mandatory = [markdown_text(n) for n, g in gates if g["mandatory"] and not g["ok"]]
    failed_optional = [markdown_text(n) for n, g in gates if not g["mandatory"] and not g["ok"]]
    verdict = "GO" if not failed_mandatory else "NO-GO"
    lines += ["", f"**Decision: {verdict}**: {passed} of {len(gates)} gates passed.",
              f"- Mandatory gates failed: {', '.join(failed_mandatory) or 'none'}",
              f"- Optional gates failed: {', '.join(failed_optional) or 'none'}",
              f"- Profile: {markdown_text(str(meta['profile']))}; run at {meta['ts']}."]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ sign-offs

def load_sign_offs(root: str) -> list[dict]:
    """The recorded sign-offs of the project at ``root``, oldest first. Raises
    GateConfigError for a file that is not a list of sign-offs."""
    from ..jsondoc import DocumentError, read_json

    path = os.path.join(root, SIGN_OFF_FILE)
    if not os.path.lexists(path):  # a dangling link is an error, not "none"
        return []
    try:
        data = read_json(path, path)
    except DocumentError as exc:
        raise GateConfigError(str(exc)) from None
    if not isinstance(data, list) or not all(
            isinstance(s, dict) and all(isinstance(s.get(k), str)
                                        for k in ("gate", "by", "reason", "time"))
            for s in data):
        raise GateConfigError(f"{path} is not a sign-off list")
    return data


def record_sign_off(root: str, gate: str, by: str, reason: str, when: str) -> dict:
    """Append a sign-off of ``gate`` to ``.aether/gate_sign_offs.json`` (atomically,
    never through a link); the record. Raises GateConfigError (bad file, empty person or
    reason, the last two with ``usage`` true) and aether.fileio.WriteError."""
    from ..fileio import make_dir, write_output

    from ..governance.approvals import name_problem

    if not by.strip() or not reason.strip():
        raise GateConfigError("a sign-off needs a person (--by) and a reason (--reason)",
                              usage=True)
    problem = name_problem(by, "the person signing off")
    if problem:
        raise GateConfigError(f"{problem} (--by)", usage=True)
    records = load_sign_offs(root)
    record = {"gate": gate, "by": by.strip(), "reason": reason.strip(), "time": when}
    records.append(record)
    make_dir(os.path.join(root, ".aether"))
    write_output(os.path.join(root, SIGN_OFF_FILE),
                 (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return record
