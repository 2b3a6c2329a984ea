#!/usr/bin/env python3
"""Acceptance figure for a migrated fleet: the share of files that check clean.

What a new user does on a folder of legacy ``.aether`` files, run with the ``aether``
console script (or ``python -m aether``) on a temporary copy of the folder:

1. ``aether migrate --apply .``
2. ``aether tools infer . --write`` (declares the project's own tools and inputs)
3. ``aether check . --format json --no-cache``

It prints the share of files with no finding (target: at least 90% on ../shared/corpus),
and for every remaining file its first rule and message, the reason where the findings
(and the migration report) tell it, plus the counts per rule and per reason. Works on
any folder of legacy files; the folder itself is never written (the copy is).

Reasons, so that a reader sees which failures are real findings:

- ``likely typo: NAME (did you mean X)``: an unknown function or name the checker has a
  did-you-mean for, which ``tools infer`` leaves undeclared on purpose;
- ``not Aether: JavaScript constructs`` / ``not Aether: shell script``: ``migrate`` left
  the file untouched and its reason names JavaScript, or the file reads as a shell script
  (a ``#!`` line naming a shell, ``fi``/``done``/``esac`` lines, ``[[ ... ]]; then``);
- ``not converted: LINE: REASON``: ``migrate`` left the file untouched for another reason;
- ``no stated purpose (AE312)``: the file says nowhere what it is for (M028 takes no goal
  from a file name);
- ``call does not fit its signature (AE303/AE304)``, ``undeclared name (AE301/AE302)``,
  ``unknown section left (AE315)``, ``legacy construct left (AE2xx)``, ``does not parse
  (AE1xx)``, ``other findings: RULES``: a migration gap or a real mistake, to look at;
- ``not read: REASON``: the file could not be copied (unreadable); it counts as not clean;
- ``not checked``: the file lies in a folder ``aether check .`` skips (hidden, virtual
  environment or dependency folders); it counts in the share as a file that is not clean.

An empty folder has no share (``no .aether files``), not 0%.

    python bench/bench_fleet_clean.py [FOLDER] [--json OUT] [--keep]

The default folder is ../shared/corpus/files; those files are GPL and are only read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aether.source import read_source  # noqa: E402  (after the path, for a plain checkout)

DEFAULT = ROOT.parent / "shared" / "corpus" / "files"


def _aether() -> list[str]:
    """The console script beside this interpreter when installed, else ``-m aether``."""
    script = Path(sys.executable).with_name("aether")
    return [str(script)] if script.exists() else [sys.executable, "-m", "aether"]


def _run(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run(_aether() + args, cwd=cwd, capture_output=True, text=True,
                          errors="replace")


_SHEBANG = re.compile(r"#!.*\b(ba|da|z|k)?sh\b")
_BLOCK_ENDS = frozenset(("fi", "done", "esac"))
_THEN = re.compile(r"\s*;\s*then")


def _shell_script(source: str) -> bool:
    """Whether ``source`` reads as a shell script: a first line ``#!`` naming a shell, a
    line that is only ``fi``, ``done`` or ``esac``, or a line with ``[[ ... ]]; then``.

    In time linear in its size: one regex of the three took a ``[[ .* ]]`` from every
    ``[[`` of a line (quadratic in a line of many) and a ``^\\s*`` from every line of a
    run of blank ones (quadratic in the run). Here a line's first ``[[ `` is enough (a
    ``]]`` after a later one is after it too), and each `` ]]`` after it is tried once."""
    if _SHEBANG.match(source):
        return True
    at = 0  # the offset of `line` in source
    for line in source.split("\n"):
        if line.strip() in _BLOCK_ENDS:
            return True
        first = line.find("[[ ")
        if first >= 0:
            close = line.find(" ]]", first + 3)
            while close >= 0:
                # `\s*;\s*then` may run past the line, as the regex's did; each try
                # stops at the first character that is not a space, `;` or `then`
                if _THEN.match(source, at + close + 3):
                    return True
                close = line.find(" ]]", close + 1)
        at += len(line) + 1
    return False


_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'")
_NAMED = re.compile(r"'([^']+)'")


def reasons(findings: list[dict], migration: dict | None, source: str) -> list[str]:
    """Why a file is not clean, one short category per kind of finding (see the module
    docstring): ``findings`` from ``aether check --format json``, ``migration`` the file's
    entry of the ``aether migrate --json`` report (None if absent), ``source`` the file as
    it was before the migration."""
    out: list[str] = []
    if migration and migration.get("state") == "failed":
        reason = migration.get("reason") or ""
        if "JavaScript" in reason:
            out.append("not Aether: JavaScript constructs "
                       f"(migrate stopped at line {migration.get('line')}: {reason})")
        elif _shell_script(source):
            out.append("not Aether: shell script")
        else:
            out.append(f"not converted: {migration.get('line')}: {reason}")
        return out
    typos: dict[str, str] = {}
    undeclared: list[str | None] = []  # the name of each AE301/AE302 finding, if it gives one
    rules = {f["rule"] for f in findings}
    for f in findings:
        if f["rule"] not in ("AE301", "AE302"):
            continue
        named = _NAMED.search(f.get("message") or "")
        undeclared.append(named.group(1) if named else None)
        hint = _DID_YOU_MEAN.search(f.get("hint") or "")
        if hint and named:
            typos.setdefault(named.group(1), hint.group(1))
    for name, near in typos.items():
        out.append(f"likely typo: {name} (did you mean {near})")
    if typos and len(undeclared) == len(findings) and all(n in typos for n in undeclared):
        return out
    if "AE312" in rules:
        out.append("no stated purpose (AE312)")
    if rules & {"AE303", "AE304"}:
        out.append("call does not fit its signature (AE303/AE304)")
    if any(n is not None and n not in typos for n in undeclared):
        out.append("undeclared name (AE301/AE302)")
    if any(r.startswith("AE2") for r in rules):
        out.append("legacy construct left (AE2xx)")
    if any(r.startswith("AE1") for r in rules):
        out.append("does not parse (AE1xx)")
    if "AE315" in rules:
        out.append("unknown section left (AE315)")
    known = {"AE301", "AE302", "AE303", "AE304", "AE312", "AE315"}
    other = sorted(r for r in rules - known if not r.startswith(("AE1", "AE2")))
    if other:
        out.append("other findings: " + ", ".join(other))
    return out


def reason_kind(reason: str) -> str:
    """The kind of a reason of :func:`reasons`, for the counts: the reason without its
    particulars (names, lines)."""
    for kind in ("likely typo", "not converted"):
        if reason.startswith(kind):
            return kind
    return reason.split(" (")[0]


def measure(folder: Path, keep: bool = False) -> dict:
    """Copy ``folder`` (its .aether files, tree kept) to a temporary project and run the
    three steps there; return the figures as a dict."""
    work = tempfile.mkdtemp(prefix="aether-fleet-")
    try:
        # the copy is its own project: without a configuration file of its own, one in a
        # folder above the temporary folder would be the project's (its settings would
        # apply, and `tools infer --write` would write aether-tools.toml beside it)
        Path(work, "aether.toml").write_text("# the fleet's copy: its own project root\n",
                                             encoding="utf-8")
        copied: list[str] = []  # posix paths relative to the folder
        unread: list[tuple[str, str]] = []  # (path, why): files that could not be copied
        for src in sorted(folder.rglob("*.aether")):
            if not src.is_file() or src.is_symlink():
                continue
            dst = Path(work) / src.relative_to(folder)
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src, dst)
            except OSError as exc:  # unreadable: listed, counted, never a traceback
                unread.append((src.relative_to(folder).as_posix(), exc.strerror or str(exc)))
                continue
            os.chmod(dst, 0o644)
            copied.append(src.relative_to(folder).as_posix())
        timings = {}
        report_dir = tempfile.mkdtemp(prefix="aether-fleet-report-")
        migrate_json = os.path.join(report_dir, "migrate.json")
        steps = {"migrate": ["migrate", "--apply", ".", "--no-report", "--json", migrate_json],
                 "infer": ["tools", "infer", ".", "--write"],
                 "check": ["check", ".", "--format", "json", "--no-cache"]}
        results = {}
        for name, args in steps.items():
            began = time.perf_counter()
            results[name] = _run(args, work)
            timings[name] = time.perf_counter() - began
        try:
            with open(migrate_json, encoding="utf-8") as fh:
                migrated = {Path(m["path"]).as_posix(): m
                            for m in json.load(fh).get("files", [])}
        except (OSError, ValueError):
            migrated = {}
        finally:
            shutil.rmtree(report_dir, ignore_errors=True)
        report = json.loads(results["check"].stdout or "{}")
        files = report.get("files", [])
        clean = [f for f in files if not f.get("findings")]
        remaining = []
        per_rule: Counter = Counter()
        per_reason: Counter = Counter()
        for f in files:
            findings = f.get("findings") or []
            for x in findings:
                per_rule[x["rule"]] += 1
            if findings:
                first = findings[0]
                source = read_source(str(folder / f["file"])).text or ""
                why = reasons(findings, migrated.get(Path(f["file"]).as_posix()), source)
                for r in why:
                    per_reason[reason_kind(r)] += 1
                remaining.append({"file": f["file"], "findings": len(findings),
                                  "rule": first["rule"], "line": first.get("line"),
                                  "message": first["message"],
                                  "rules": sorted({x["rule"] for x in findings}),
                                  "reasons": why})
        # a copied file `aether check .` did not check (one under a folder the walk skips:
        # hidden, `node_modules`, ...) is not clean: it is listed, and counts in the share
        checked = {Path(f["file"]).as_posix() for f in files}
        skipped = ("not checked: `aether check .` skips the folder it is in (hidden, "
                   "virtual environment or dependency folders)")
        unlisted = [(name, "not checked", skipped) for name in copied if name not in checked]
        unlisted += [(name, f"not read: {why}", f"not read: {why}") for name, why in unread]
        for name, message, why in unlisted:
            per_reason[reason_kind(why)] += 1
            remaining.append({"file": name, "findings": 0, "rule": "-", "line": None,
                              "message": message, "rules": [], "reasons": [why]})
        total = len(copied) + len(unread)
        return {"folder": str(folder), "files": total, "checked": len(files),
                "clean": len(clean),
                "share_clean": round(len(clean) / total, 4) if total else None,
                "per_rule": dict(per_rule.most_common()),
                "per_reason": dict(per_reason.most_common()), "remaining": remaining,
                "seconds": {k: round(v, 3) for k, v in timings.items()},
                "exit": {k: r.returncode for k, r in results.items()},
                "infer_stderr": results["infer"].stderr.strip().splitlines()[-3:],
                "workdir": work if keep else None}
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"no such folder: {folder}", file=sys.stderr)
        return 2
    fig = measure(folder, keep=args.keep)
    print(f"folder: {fig['folder']}")
    print(f"files: {fig['files']}  checked: {fig['checked']}  clean: {fig['clean']}  "
          + (f"share clean: {fig['share_clean']:.1%} (target 90%)"
             if fig["share_clean"] is not None else "no .aether files in the folder"))
    print("steps: " + ", ".join(f"{k} {v:.2f} s (exit {fig['exit'][k]})"
                                for k, v in fig["seconds"].items()))
    if fig["per_rule"]:
        print("findings per rule: " + ", ".join(f"{k} {v}" for k, v in fig["per_rule"].items()))
    if fig["per_reason"]:
        print("files per reason: " + ", ".join(f"{k} {v}" for k, v in
                                               fig["per_reason"].items()))
    for row in fig["remaining"]:
        if not row["findings"]:  # not checked
            print(f"  {row['file']}: {row['message']}")
        else:
            print(f"  {row['file']}:{row['line']}: {row['rule']} {row['message']} "
                  f"({row['findings']} finding{'s' if row['findings'] != 1 else ''}: "
                  f"{', '.join(row['rules'])})")
        for why in row["reasons"]:
            print(f"      reason: {why}")
    if fig["workdir"]:
        print(f"kept: {fig['workdir']}")
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
