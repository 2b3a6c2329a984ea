"""The failure classifier: file every workflow of a fleet under one failure category.

Each file is read, its signature verified, then checked and (only when the check passes)
run in simulate mode, in-process (:func:`aether.runtime.api.run_source`), under the
runtime's own time budget; workers of :mod:`aether.fleet.pool` enforce a hard deadline
on top (a file that hangs in C code, or kills its worker, is classified and the run goes
on). Categories (REFERENCE.md "Failure classifier"): the status of what failed, through
:func:`aether.codes.category_of`; a failure whose fingerprint is on the suppression list
is ``Suppressed-<Category>`` (:func:`aether.suppressions.suppressed_category`). Each
record also carries, from the capability manifest (:mod:`aether.tooling.manifest`), the
tools and capabilities the workflow can reach.

The document (``workflow_failures.json``) and its Markdown summary are built here;
:mod:`aether.fleet.history` keeps the snapshots and trends.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .. import __version__
from ..codes import Status, category_of
from ..diagnostics import FileResult, Finding, status_of
from ..fingerprint import assign_fingerprints, normalise_content
from ..source import DEFAULT_MAX_FILE_SIZE
from ..suppressions import SuppressionList, suppressed_category

if TYPE_CHECKING:
    from ..semantics.catalogue import Catalogue
    from ..signing.verify import VerifyOptions
    from ..walk import SourceFile

__all__ = ["CATEGORIES", "ClassifyOptions", "classify_one", "classify_files",
           "build_report", "to_markdown", "is_failure", "SCHEMA"]

SCHEMA = 1
# The reference categories, in the order reports list them.
CATEGORIES = ("ParseError", "ValidationError", "SignatureMissing", "RuntimeError",
              "Timeout", "NotImplemented", "IOError", "Other")
PASSED = "Passed"  # what reports call a file with no failure (its category is null)


@dataclass(frozen=True)
class ClassifyOptions:
    """How to classify. ``timeout`` is the run budget of one file (the runtime's own);
    past ``deadline()`` the worker working on it is killed and replaced."""

    timeout: float = 10.0
    max_steps: Optional[int] = None
    strict_signatures: bool = False
    verify: Optional["VerifyOptions"] = None  # trust files; None: no trusted signer
    catalogue: Optional["Catalogue"] = None  # None: the builtins
    root: Optional[str] = None  # the project root: fingerprint paths, tool bindings
    suppressions: Optional[SuppressionList] = None
    today: Optional[date] = None  # for the list's expiry (None: the UTC date)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Test hook: called in the worker with each file's display path before it is read
    # (the tests make a worker die or hang in C code with it).
    before_file: Optional[Callable[[str], None]] = None

    def deadline(self) -> float:
        """Seconds a worker may spend on one file before it is killed: the run budget
        twice over plus reading, checking and the manifest."""
        return self.timeout * 2 + 5.0


def is_failure(category: Optional[str]) -> bool:
    """True for a category that counts as failed (not passed, not suppressed)."""
    return category is not None and not category.startswith("Suppressed-")


def _runtime_finding(error: dict, text: str, fp_path: str) -> Finding:
    """The runtime error of a run as a fingerprinted finding (anchored like a check
    finding: by enclosing block and line content, so an unrelated edit keeps it)."""
    from ..checker import anchors_for

    line = error.get("line") or None
    finding = Finding(error.get("rule") or "AE999", str(error.get("message") or ""), line,
                      error.get("column") or None)
    lines = text.split("\n")
    if line and 0 < line <= len(lines):
        finding = finding.with_(anchor=anchors_for(lines, [line])[line],
                                content=normalise_content(lines[line - 1]))
    else:
        finding = finding.with_(content="<run>")
    return assign_fingerprints(fp_path, [finding])[0]


def _fingerprint_path(display: str, root: Optional[str]) -> str:
    from ..checker import CheckOptions

    return CheckOptions(root=root).fingerprint_path(display)


def _record(display: str, phase: str, status: int, findings: list[Finding],
            options: ClassifyOptions, **extra: Any) -> dict:
    """A file's record: its category from ``findings`` (all of one phase), after the
    suppression list."""
    from datetime import datetime, timezone

    from ..suppressions import split_findings

    today = options.today or datetime.now(timezone.utc).date()
    active, listed = split_findings(findings, options.suppressions, today)
    entry = None
    if active:
        status = int(status_of(active)) if phase != "run" else status
        shown = FileResult(display, active).primary
        category: Optional[str] = category_of(Status(status))
    elif listed:
        shown = FileResult(display, [f for f, _ in listed]).primary
        status = int(status_of([f for f, _ in listed])) if phase != "run" else status
        category = suppressed_category(Status(status).name)
        entry = listed[0][1].fingerprint
    else:
        shown, category, status = None, None, 0
    rec = {
        "path": display, "category": category, "status": status,
        "code_name": Status(status).name, "phase": phase if shown is not None else "run",
        "rule": shown.rule if shown else None, "line": shown.line if shown else None,
        "message": shown.message if shown else "",
        "fingerprint": shown.fingerprint if shown else None,
        "legacy_fingerprint": shown.legacy_fingerprint if shown else None,
        "findings": len(active), "suppressed_by": entry,
        "signature": None, "tools": None, "capabilities": None, "max_risk": None,
        "steps": None, "seconds": None,
    }
    rec.update(extra)
    return rec


def classify_one(path: str, display: str, options: ClassifyOptions) -> dict:
    """Read, verify, check and simulate the file at ``path``; its record (see
    docs/fleet.md). Never raises: a bug in the tool is category Other (status 27)."""
    started = time.perf_counter()
    try:
        rec = _classify(path, display, options)
    except Exception as exc:  # noqa: BLE001 - one file's bug is that file's record
        finding = assign_fingerprints(display, [Finding(
            "AE999", f"internal error while classifying: {type(exc).__name__}: {exc}",
            content="<internal>")])
        rec = _record(display, "internal", int(Status.INTERNAL_ERROR), finding, options)
    rec["seconds"] = round(time.perf_counter() - started, 4)
    return rec


def _classify(path: str, display: str, options: ClassifyOptions) -> dict:
    from ..runtime.api import RunOptions, run_source
    from ..semantics.catalogue import load_catalogue
    from ..signing.verify import VerifyOptions, verify_text
    from ..source import read_source
    from ..syntax import parse
    from ..tooling.manifest import workflow_manifest

    if options.before_file is not None:
        options.before_file(display)
    fp_path = _fingerprint_path(display, options.root)
    read = read_source(path, options.max_file_size)
    if read.error is not None:
        finding = assign_fingerprints(fp_path, [read.error.with_(content="<io>")])
        return _record(display, "read", int(read.error.status), finding, options)
    text = read.text or ""
    verify = options.verify or VerifyOptions()
    if verify.strict != options.strict_signatures:
        import dataclasses

        verify = dataclasses.replace(verify, strict=options.strict_signatures)
    verdict = verify_text(text, read.data or b"", fp_path, verify)
    signature = verdict.to_json()
    cat = options.catalogue or load_catalogue()
    # one parse, handed to the manifest and to the run (its check and its compiler)
    parsed = parse(text)
    manifest = workflow_manifest(text, display, cat, parsed=parsed)
    reach = {"signature": signature, "tools": [t["name"] for t in manifest["tools"]],
             "capabilities": manifest["capabilities"], "max_risk": manifest["max_risk"]}
    if not verdict.ok:
        return _record(display, "signature", int(Status.SIGNATURE_ERROR),
                       list(verdict.findings), options, **reach)
    result = run_source(text, fp_path, simulate=True,
                        options=RunOptions(timeout=options.timeout,
                                           max_steps=options.max_steps),
                        catalogue=cat, root=options.root, parsed=parsed)
    if result.findings:
        return _record(display, "check", result.status, list(result.findings), options,
                       **reach)
    if result.status == 0:
        return _record(display, "run", 0, [], options, steps=result.steps, **reach)
    error = result.error or {"rule": "AE999", "message": f"the run ended with status "
                             f"{result.status} and no error"}
    return _record(display, "run", result.status, [_runtime_finding(error, text, fp_path)],
                   options, steps=result.steps, **reach)


def _lost(options: ClassifyOptions):
    """The record of a file whose worker passed the deadline (Timeout) or died (Other)."""
    from .pool import LOST_DEADLINE

    def lost(item, why: str, detail: str) -> dict:
        _path, display = item
        if why == LOST_DEADLINE:
            rule, status = "AE409", Status.TIMEOUT_ERROR
            message = f"the file was still running at the classifier's deadline: {detail}"
        else:
            rule, status = "AE999", Status.INTERNAL_ERROR
            message = f"classifying this file ended its worker: {detail}"
        finding = assign_fingerprints(_fingerprint_path(display, options.root), [
            Finding(rule, message, content="<worker>")])
        return _record(display, "worker", int(status), finding, options,
                       seconds=options.deadline() if why == LOST_DEADLINE else None)
    return lost


def classify_files(files: Sequence["SourceFile"], options: ClassifyOptions, jobs: int,
                   progress: Optional[Callable[[int, int], None]] = None) -> list[dict]:
    """The record of every file, in order, from ``jobs`` worker processes (always at
    least one: only a separate process can be stopped at the deadline), or from this
    process where they cannot be forked (see :func:`aether.fleet.pool.run_pool`)."""
    from .pool import run_pool

    # Workers are forked warm: the parser and the catalogue are loaded once, here.
    from ..semantics.catalogue import load_catalogue
    from ..syntax.parser import get_parser

    get_parser()
    if options.catalogue is None:
        import dataclasses

        options = dataclasses.replace(options, catalogue=load_catalogue())

    def work(item) -> dict:
        return classify_one(item[0], item[1], options)

    return run_pool([(f.path, f.display) for f in files], work, jobs, options.deadline(),
                    _lost(options), progress)


def build_report(records: Sequence[dict], *, timestamp: Optional[str] = None,
                 meta: Optional[dict] = None) -> dict:
    """The ``workflow_failures.json`` document for ``records`` (files sorted by path)."""
    from ..baseline import utc_now

    files = sorted(records, key=lambda r: r["path"])
    counts = Counter(r["category"] for r in files)
    total = len(files)
    failed = sum(n for c, n in counts.items() if is_failure(c))
    suppressed = sum(n for c, n in counts.items() if c and c.startswith("Suppressed-"))
    order = list(CATEGORIES) + ["Suppressed-" + c for c in CATEGORIES]
    by_category = {c: counts[c] for c in order if counts.get(c)}
    meta_block = {"tool": "aether", "version": __version__, "schema": SCHEMA}
    meta_block.update(meta or {})
    return {
        "timestamp": timestamp or utc_now(),
        "total": total,
        "failed": failed,
        "passed": counts.get(None, 0),
        "failure_rate": round(failed / total, 4) if total else 0.0,
        "suppressed_failures": suppressed,
        "by_category": by_category,
        "_meta": meta_block,
        "files": files,
    }


def _cell(text: Any) -> str:
    from ..output.text import markdown_text

    return markdown_text(str(text if text is not None else ""))


def to_markdown(doc: dict, top: int = 10) -> str:
    """``workflow_failures.md``: counts per category, top fingerprints, worst files."""
    total = doc["total"]
    out = ["# Workflow failures", "",
           f"{doc['failed']} of {total} workflows fail ({doc['failure_rate']:.1%}); "
           f"{doc['passed']} pass; {doc['suppressed_failures']} failures are suppressed. "
           f"Classified {doc['timestamp']}.", "",
           "## By category", "", "| category | files | share |", "|---|---:|---:|"]
    for category, n in doc["by_category"].items():
        out.append(f"| {category} | {n} | {n / total:.1%} |")
    out.append(f"| {PASSED} | {doc['passed']} | "
               f"{(doc['passed'] / total if total else 0):.1%} |")
    failing = [r for r in doc["files"] if is_failure(r["category"])]
    groups: dict[str, list[dict]] = {}
    for r in failing:
        if r["fingerprint"]:
            groups.setdefault(r["fingerprint"], []).append(r)
    # A fingerprint names one finding in one file; the same rule and message across files
    # is what a fleet shares, so those are grouped too.
    shared: Counter = Counter((r["category"], r["rule"], r["message"]) for r in failing)
    out += ["", "## Top failures", "",
            "| files | category | rule | message |", "|---:|---|---|---|"]
    for (category, rule, message), n in shared.most_common(top):
        out.append(f"| {n} | {category} | {rule or ''} | {_cell(message)[:120]} |")
    out += ["", "## Top fingerprints", "",
            "| fingerprint | legacy | files | rule | first file |", "|---|---|---:|---|---|"]
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    for fp, recs in ranked:
        first = recs[0]
        out.append(f"| `{fp}` | `{first['legacy_fingerprint']}` | {len(recs)} | "
                   f"{first['rule']} | {_cell(first['path'])}:{first['line'] or ''} |")
    worst = sorted(failing, key=lambda r: (-(r["findings"] or 0), -(r["seconds"] or 0),
                                           r["path"]))[:top]
    out += ["", "## Worst files", "", "| file | category | findings | seconds | first "
            "problem |", "|---|---|---:|---:|---|"]
    for r in worst:
        out.append(f"| {_cell(r['path'])} | {r['category']} | {r['findings']} | "
                   f"{r['seconds'] if r['seconds'] is not None else ''} | "
                   f"{r['rule']} line {r['line'] or '-'}: {_cell(r['message'])[:100]} |")
    return "\n".join(out) + "\n"
