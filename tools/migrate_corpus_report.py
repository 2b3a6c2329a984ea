"""Measure `aether migrate` on the real legacy corpus (../shared/corpus), per dialect family.

For every file of MANIFEST.tsv: migrate it (in memory, nothing is written), and count per
family the files that convert to parse-clean Aether 1.2 (no PARSE_ERROR finding, never
worse on validation), the files left untouched and their reasons. Also checks the
properties the issue promises on real files: a second migration is a no-op, comments are
kept, and every failure carries a specific reason.

Usage: python tools/migrate_corpus_report.py [--corpus DIR] [--show-failures] [--json FILE]
The corpus files are GPL: they are read from where they are, never copied.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from aether.migrate.engine import migrate_text  # noqa: E402
from aether.migrate.tokens import count_comments  # noqa: E402
from aether.source import read_source  # noqa: E402

DEFAULT_CORPUS = os.path.join(os.path.dirname(HERE), "..", "shared", "corpus")
LEGACY = ("colon-end", "brace", "memory-sugar", "line", "yaml-plugin")


def measure(corpus: str) -> dict:
    rows = list(csv.DictReader(open(os.path.join(corpus, "MANIFEST.tsv"), encoding="utf-8"),
                               delimiter="\t"))
    per = defaultdict(Counter)
    failures = []
    problems = []
    began = time.perf_counter()
    for row in rows:
        fam = row["family"]
        path = os.path.join(corpus, "files", row["sha16"] + ".aether")
        read = read_source(path)
        per[fam]["files"] += 1
        if read.error is not None:
            per[fam]["skipped"] += 1
            failures.append((fam, row["sha16"], None, read.error.message))
            continue
        out = migrate_text(read.text, os.path.basename(row["path"]))
        per[fam][out.state] += 1
        if out.state == "transformed":
            per[fam]["clean"] += 1
            second = migrate_text(out.text, row["sha16"] + ".aether")
            if second.state != "unchanged":
                problems.append((row["sha16"], f"second run: {second.state} {second.reason}"))
            if count_comments(read.text) != count_comments(out.text):
                problems.append((row["sha16"], "comment count changed"))
        elif out.state == "unchanged":
            if out.before.get("parse_errors", 0) == 0:
                per[fam]["clean"] += 1
        else:
            if not out.reason:
                problems.append((row["sha16"], "failure without a reason"))
            failures.append((fam, row["sha16"], out.line, out.reason))
    elapsed = time.perf_counter() - began
    return {"per_family": {k: dict(v) for k, v in per.items()}, "failures": failures,
            "problems": problems, "seconds": elapsed, "files": len(rows)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--json", dest="json_file")
    args = ap.parse_args(argv)
    data = measure(args.corpus)
    fams = data["per_family"]
    print(f"{'family':<14}{'files':>6}{'clean':>7}{'left':>6}   (transformed / unchanged)")
    total = clean = 0
    for fam in sorted(fams, key=lambda f: -fams[f]["files"]):
        c = fams[fam]
        left = c.get("failed", 0) + c.get("skipped", 0)
        print(f"{fam:<14}{c['files']:>6}{c.get('clean', 0):>7}{left:>6}   "
              f"({c.get('transformed', 0)} / {c.get('unchanged', 0)})")
        if fam in LEGACY:
            total += c["files"]
            clean += c.get("clean", 0)
    pct = 100.0 * clean / total if total else 0.0
    print(f"\nlegacy families: {clean}/{total} files migrate to parse-clean Aether 1.2 "
          f"({pct:.1f}%; target 90%)")
    reasons = [f for f in data["failures"]]
    with_reason = sum(1 for f in reasons if f[3])
    print(f"files left untouched: {len(reasons)}, with a specific reason: {with_reason}")
    if args.show_failures or reasons:
        for fam, sha, line, reason in reasons:
            print(f"  {fam:<13} {sha}.aether:{line or '-'}: {reason}")
    if data["problems"]:
        print("PROPERTY PROBLEMS:")
        for sha, what in data["problems"]:
            print(f"  {sha}: {what}")
    print(f"\n{data['files']} files in {data['seconds']:.2f}s")
    if args.json_file:
        from aether.fileio import write_output  # atomic; never through a link

        write_output(args.json_file, json.dumps(data, indent=2).encode("utf-8"))
    return 0 if pct >= 90.0 and with_reason == len(reasons) and not data["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
