#!/usr/bin/env python3
"""Benchmark `aether migrate` against `aether check`, and measure it on the real corpus.

1. Throughput on a generated corpus (tools/gen_corpus.py when it exists, else the small
   generator below: mostly Aether 1.2 files plus a share of legacy-dialect ones): a dry
   run of `aether migrate` (no diff) against `aether check --no-cache`, both `-j 1`.
   Target (issue 4): migration at least half the check throughput.
2. The real corpus (../shared/corpus), per dialect family: files, how many migrate to
   parse-clean Aether 1.2, how many are left and why (tools/migrate_corpus_report.py).

    python bench/bench_migrate.py [--files 2000] [--legacy-share 0.2] [--corpus DIR]
    python bench/bench_migrate.py --real-only [--copies 20] [--runs 3]   # issue 15's ratio
      (check cold, migrate cold, and migrate after a check filled the result cache)
    python bench/bench_migrate.py --breakdown [--runs 5]   # where migrate's time goes

3. ``--breakdown``: in this process, on the real files (read once, the collector paused as
   the CLI pauses it), the CPU time of the check ``aether check`` does per file against
   the stages of a migration, in units of that check (C): the whole migration, the check
   of its result, the conversion (legacy tokenizer, parser, converter and its own parses),
   and the ratio a migration would reach with a converter that cost nothing (it still
   checks the file before and the result after).

Figures, not assertions: nothing here fails a build. Generated files go to bench/out/.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AETHER = [sys.executable, "-m", "aether"]

_CLEAN_BLOCKS = [
    'summary: summarize(load_logs(tag="system"))\nif summary:\n    narrate("ok")\n',
    'parallel:\n    a: summarize(load_logs(tag="a"))\n    b: summarize(load_logs(tag="b"))\n'
    'await a, b\n',
    'for item in [1, 2, 3]:\n    log(item)  # each\n',
    'fn double(x):\n    return x * 2\nlog(double(4))\n',
    'workflow:\n    steps:\n        - parse_input as parsed\n'
    '        - generate_report(parsed) as report retry=2 timeout=30s\n',
    'policy:\n    risk_budget: 0.1\n    request_timeout: "30s"\n',
    'on_error:\n    - when: Timeout\n      do: escalate_to("ops")\n',
]
_LEGACY_BLOCKS = [
    'if level > 2\n    suggest fix for "memory leaks"\n    remember("x") as "notes"\nend\n',
    'when disk_full:\n    analyze root_cause\n    optimize for "space"\nend\n',
    'define check_{i}()\n    learn from "system.log"\n    reflect on "today"\nend\n',
    'plugin: tool_{i} run "fast"\nagent: on\nthink "about it"\n',
    'count = count + 1  // legacy comment\nitems.total = count\n',
    'recall tag: "notes"\nstore("digest", tag: "daily")\n',
]


def generate(folder: Path, n: int, legacy_share: float, seed: int = 7) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        legacy = rng.random() < legacy_share
        parts = ['# generated workflow %d\n' % i]
        parts.append('goal: speed up the nightly job priority: high\n' if legacy
                     else 'goal: "speed up the nightly job"\n')
        if legacy:
            parts.append("level: 3\ncount: 0\nitems: {total: 0}\n")
        while sum(p.count("\n") for p in parts) < 100:
            pool = _LEGACY_BLOCKS if legacy and rng.random() < 0.5 else _CLEAN_BLOCKS
            parts.append(rng.choice(pool).format(i=i))
        sub = folder / f"d{i % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"w{i:05d}.aether").write_text("".join(parts), encoding="utf-8")


def count_lines(folder: Path) -> tuple[int, int]:
    files = lines = 0
    for p in folder.rglob("*.aether"):
        files += 1
        lines += p.read_bytes().count(b"\n")
    return files, lines


def timed(cmd: list[str], runs: int = 3) -> float:
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def timed_cpu(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU time (user + sys of the child) of one run of ``cmd``: on a machine
    shared with other work the CPU time is the steadier figure."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def real_corpus_speed(corpus: Path, copies: int, runs: int) -> None:
    """Migrate against check on the real legacy files copied ``copies`` times, in a
    temporary folder outside the project (the corpus is never copied into it), the
    commands timed in turns so that load on the machine hits all alike; best wall and
    best CPU time of each.

    Three runs per turn: ``check --no-cache`` (cold), ``migrate --no-cache`` (cold: it
    checks every file before converting it), and ``migrate`` after a ``check`` filled a
    fresh result cache (the flow the docs recommend: the check before each migration is
    then read from the cache; that ``check`` is not timed, it is the user's own run)."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        for k in range(copies):
            shutil.copytree(corpus / "files", Path(tmp) / f"copy{k:02d}")
        n_files, n_lines = count_lines(Path(tmp))
        check_cmd = AETHER + ["check", tmp, "--isolated", "--no-cache", "-q", "--format",
                              "json", "-j", "1"]
        migrate_cmd = AETHER + ["migrate", tmp, "--isolated", "--no-diff", "-q", "-j", "1"]
        fill_cmd = AETHER + ["check", tmp, "--isolated", "--cache-dir", cache, "-q",
                             "--format", "json", "-j", "1"]
        inf = (float("inf"), float("inf"))
        check = migrate = warm = inf
        for _ in range(runs):
            c = timed_cpu(check_cmd)
            m = timed_cpu(migrate_cmd + ["--no-cache"])
            shutil.rmtree(cache)
            subprocess.run(fill_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            w = timed_cpu(migrate_cmd + ["--cache-dir", cache])
            check = (min(check[0], c[0]), min(check[1], c[1]))
            migrate = (min(migrate[0], m[0]), min(migrate[1], m[1]))
            warm = (min(warm[0], w[0]), min(warm[1], w[1]))
    print(f"\nreal corpus x{copies}: {n_files} files, {n_lines} lines (best of {runs}, "
          "in turns)")
    for what, k in (("wall", 0), ("CPU ", 1)):
        cold_ratio = check[k] / migrate[k]
        warm_ratio = check[k] / warm[k]
        print(f"{what} check   -j 1 (cold, --no-cache):  {check[k]:6.2f} s  "
              f"{n_lines / check[k]:10,.0f} lines/s")
        print(f"{what} migrate -j 1 (cold, --no-cache):  {migrate[k]:6.2f} s  "
              f"{n_lines / migrate[k]:10,.0f} lines/s  ({cold_ratio:.2f}x of check; "
              f"target >= 0.7x: {'met' if cold_ratio >= 0.7 else 'NOT met'})")
        print(f"{what} migrate -j 1 (after a check):     {warm[k]:6.2f} s  "
              f"{n_lines / warm[k]:10,.0f} lines/s  ({warm_ratio:.2f}x of the cold check; "
              "the check before read from its cache)")


def breakdown(corpus: Path, runs: int) -> None:
    """Print where a migration's time goes (see the module docstring, 3)."""
    import gc
    from collections import Counter

    sys.path.insert(0, str(ROOT))
    sys.setrecursionlimit(10000)
    from aether.checker import CheckOptions, check_text
    from aether.migrate.convert import convert
    from aether.migrate.engine import _stem, migrate_text
    from aether.migrate.parser import Parser
    from aether.migrate.tokens import tokenize
    from aether.semantics.validator import memo_validations
    from aether.source import read_source
    from aether.syntax.parser import memo_parses

    texts = []
    for p in sorted((corpus / "files").glob("*.aether")):
        read = read_source(str(p), 1 << 30)
        if read.error is None:
            texts.append((str(p), read.text))
    from aether.syntax import parser as syntax_parser

    gc.disable()
    try:
        # the texts each migration parses besides its file (converted, laid out, rewritten)
        parsed: list[str] = []
        plain = syntax_parser._parse_last
        syntax_parser._parse_last = lambda text, inc: parsed.append(text) or plain(text, inc)
        try:
            results = [migrate_text(text, path).text for path, text in texts]
        finally:
            syntax_parser._parse_last = plain
        # each file's own parse dropped once (a Counter: `in` and `remove` on the list
        # were a scan of it per file)
        own, kept = Counter(text for _path, text in texts), []
        for t in parsed:
            if own[t]:
                own[t] -= 1
            else:
                kept.append(t)
        parsed = kept
        migrated = [t for t in results if t]

        def best(fn) -> float:
            times = []
            for _ in range(runs):
                t0 = time.process_time()
                fn()
                times.append(time.process_time() - t0)
            return min(times)

        def converting(stage):
            def run():
                for path, text in texts:
                    with memo_parses(), memo_validations():
                        try:
                            stage(path, text)
                        except Exception:  # noqa: BLE001 - an unconvertible file ends early
                            pass
            return run

        check = best(lambda: [check_text(t, p, CheckOptions()) for p, t in texts])
        rows = [
            ("migrate_text (the whole migration)",
             best(lambda: [migrate_text(t, p) for p, t in texts])),
            ("check of the migrated text (the check after)",
             best(lambda: [check_text(t, "x.aether", CheckOptions()) for t in migrated])),
            ("convert (tokenizer, parser, converter, layout, its parses)",
             best(converting(lambda p, t: convert(t, name=_stem(p))))),
            ("  legacy tokenizer and parser", best(converting(
                lambda p, t: Parser(tokenize(t), t).module()))),
            ("  legacy tokenizer", best(converting(lambda p, t: tokenize(t)))),
            (f"  Aether parses of the {len(parsed)} converted texts",
             best(lambda: [syntax_parser.parse(t) for t in parsed])),
        ]
    finally:
        gc.enable()
    print(f"\nbreakdown, in process: {len(texts)} files, {len(migrated)} migrated, CPU best "
          f"of {runs}; C = the check of the file ({check:.3f} s)")
    for what, secs in rows:
        print(f"{what:60s} {secs:7.3f} s  {secs / check:5.2f} C")
    whole, after = rows[0][1], rows[1][1]
    print(f"migrate / check: {check / whole:.2f}x; with a converter that cost nothing (the "
          f"check before and the check after): {check / (check + after):.2f}x")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--legacy-share", type=float, default=0.2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--copies", type=int, default=20,
                    help="copies of the real corpus for the migrate/check ratio")
    ap.add_argument("--real-only", action="store_true",
                    help="only the migrate/check ratio on the real corpus copied --copies times")
    ap.add_argument("--breakdown", action="store_true",
                    help="only where migrate's time goes, in process, on the real files")
    args = ap.parse_args(argv)
    if args.breakdown:
        breakdown(Path(args.corpus), args.runs)
        return 0

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "aether")], check=True)
    if args.real_only:
        real_corpus_speed(Path(args.corpus), args.copies, args.runs)
        return 0
    gen_tool = ROOT / "tools" / "gen_corpus.py"
    if gen_tool.exists():
        sys.path.insert(0, str(ROOT / "bench"))
        from corpus import generated

        gen = generated(args.files)
        source = "tools/gen_corpus.py"
    else:
        gen = OUT / f"migrate{args.files}_{int(args.legacy_share * 100)}"
        source = f"bench generator, {args.legacy_share:.0%} legacy files"
        if not gen.exists():
            generate(gen, args.files, args.legacy_share)
    n_files, n_lines = count_lines(gen)
    print(f"generated corpus: {n_files} files, {n_lines} lines ({source})")

    check = timed(AETHER + ["check", str(gen), "--isolated", "--no-cache", "-q", "--format",
                            "json", "-j", "1"], args.runs)
    migrate = timed(AETHER + ["migrate", str(gen), "--isolated", "--no-diff", "--no-cache",
                              "-q", "-j", "1"],
                    args.runs)
    migrate2 = timed(AETHER + ["migrate", str(gen), "--isolated", "--no-diff", "--no-cache",
                              "-q", "-j", "2"],
                     args.runs)
    print(f"check   -j 1: {check:6.2f} s  {n_lines / check:10,.0f} lines/s")
    print(f"migrate -j 1: {migrate:6.2f} s  {n_lines / migrate:10,.0f} lines/s  "
          f"({check / migrate:.2f}x of check; target >= 0.5x: "
          f"{'met' if check / migrate >= 0.5 else 'NOT met'})")
    print(f"migrate -j 2: {migrate2:6.2f} s  {n_lines / migrate2:10,.0f} lines/s "
          f"(speed-up {migrate / migrate2:.2f}x)")

    corpus = Path(args.corpus)
    if (corpus / "files").is_dir():
        real_corpus_speed(corpus, args.copies, args.runs)
    if (corpus / "MANIFEST.tsv").exists():
        print("\nreal corpus (in memory, nothing written):")
        subprocess.run([sys.executable, str(ROOT / "tools" / "migrate_corpus_report.py"),
                        "--corpus", str(corpus)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
