#!/usr/bin/env python3
"""Benchmark `aether check`: cold bulk speed, --jobs scaling, warm cache, memory, start-up.

Prints each figure with the target of issue 2; paste the output into docs/benchmarks.md.
Figures, not assertions: nothing here fails a build.

    python bench/bench_check.py [--files 10000] [--runs 15] [--corpus ../shared/corpus]

Generated inputs go to bench/out/ (ignored by git). Modules are byte-compiled first, as a
regular `pip install` does, so start-up is measured as users see it even where
PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AETHER = [sys.executable, "-m", "aether"]


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def timed_with_rss(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB of the process tree's largest process, exit code)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL).returncode\n"
        "dt = time.perf_counter() - t\n"
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
    )
    out = sh([sys.executable, "-c", probe, *cmd]).stdout.split()
    return float(out[0]), int(out[1]) / 1024.0, int(out[2])


def interleaved_medians(commands: dict[str, list[str]], runs: int,
                        env: dict | None = None, cpu: dict | None = None) -> dict[str, float]:
    """Median wall time of each command, the commands taking turns so load drift hits all.

    When ``cpu`` is a dict it receives each command's median CPU time (user + system of
    the child), which a machine loaded by other processes disturbs less than wall time.
    """
    import resource

    for cmd in commands.values():  # warm the file cache once
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            times[name].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime - before.ru_utime
                              + after.ru_stime - before.ru_stime)
    if cpu is not None:
        cpu.update({name: statistics.median(ts) for name, ts in cpus.items()})
    return {name: statistics.median(ts) for name, ts in times.items()}


def count_lines(folder: Path) -> tuple[int, int]:
    files = lines = 0
    for p in folder.rglob("*.aether"):
        files += 1
        with open(p, "rb") as fh:
            lines += fh.read().count(b"\n")
    return files, lines


def corpus_speed(corpus: Path) -> dict:
    from aether.checker import check_text
    from aether.source import decode_source

    texts = []
    for p in sorted((corpus / "files").glob("*.aether")):
        decoded = decode_source(p.read_bytes())
        if decoded.text is not None:
            texts.append(decoded.text)
    parsing = [t for t in texts if not any(
        f.status == 20 for f in check_text(t, "x.aether").findings)]
    lines = sum(t.count("\n") + 1 for t in parsing)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for t in parsing:
            check_text(t, "x.aether")
        best = min(best, time.perf_counter() - t0)
    return {"files": len(texts), "parse_clean": len(parsing), "lines": lines,
            "lines_per_s": lines / best if best else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--startup-only", action="store_true",
                    help="measure only the one-file start-up figure")
    ap.add_argument("--in-process-only", action="store_true",
                    help="measure only check_text (clean and broken files) and ast.parse")
    ap.add_argument("--lines", type=int, default=300_000,
                    help="lines of generated files for the in-process figures")
    ap.add_argument("--no-pure", action="store_true",
                    help="with --in-process-only: do not also measure the pure-Python parser "
                         "when the compiled one is built")
    ap.add_argument("--json-out", help=argparse.SUPPRESS)  # the pure-Python child's figures
    ap.add_argument("--warm-only", action="store_true",
                    help="measure only the warm re-check (medians of --runs in turns with "
                         "the console script and `python -c pass` / `import json`)")
    ap.add_argument("--compare-to", metavar="DIR",
                    help="with --warm-only: also time the checkout in DIR (another version) "
                         "in the same turns")
    ap.add_argument("--unclosed-only", action="store_true",
                    help="measure only files whose every line leaves a bracket open, against "
                         "a clean file and a file of ordinary syntax errors (us/line)")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = ap.parse_args()

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "aether")], check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))  # the package of this checkout, as the subprocesses use
    from corpus import generated

    gen = generated(args.files)
    n_files, n_lines = count_lines(gen)
    results: dict = {"files": n_files, "lines": n_lines}
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.platform()}")
    print(f"generated corpus: {n_files} files, {n_lines} lines ({gen.relative_to(ROOT)})")
    if args.in_process_only:
        in_process(gen, args.lines, results)
        if not args.no_pure:
            in_process_pure(args, results)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")
        return 0
    if args.warm_only:
        warm_recheck(gen, args.runs, results, args.compare_to)
        return 0
    if args.unclosed_only:
        unclosed_lines(results)
        return 0
    if not args.startup_only:
        bulk(gen, n_lines, results)
        large_files(gen, results)
        unclosed_lines(results)
        in_process(gen, args.lines, results)
        in_process_pure(args, results)
    startup(gen, args.runs, results)
    corpus = Path(args.corpus)
    if not args.startup_only and (corpus / "files").is_dir():
        c = corpus_speed(corpus)
        results["corpus"] = c
        print(f"../shared/corpus: {c['parse_clean']} of {c['files']} files parse; on those, "
              f"{c['lines_per_s']:,.0f} lines/s in-process (check_text, best of 5)")
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


def bulk(gen: Path, n_lines: int, results: dict) -> None:
    """Cold check at -j 1 and -j 2, warm re-check from the cache, peak memory."""
    cold = {}
    for jobs in (1, 2):
        wall, rss, rc = timed_with_rss(AETHER + ["check", str(gen), "--isolated", "--no-cache",
                                                 "-q", "--format", "json", "-j", str(jobs)])
        cold[jobs] = wall
        results[f"cold_j{jobs}_s"] = wall
        results[f"cold_j{jobs}_rss_mib"] = rss
        print(f"cold check -j {jobs}: {wall:.2f} s, {n_lines / wall:,.0f} lines/s "
              f"({n_lines / wall / jobs:,.0f} per core), peak RSS {rss:.0f} MiB (exit {rc})")
    speedup = cold[1] / cold[2]
    results["speedup_j2"] = speedup
    print(f"  target >= 25,000 lines/s per core: "
          f"{'met' if n_lines / cold[1] >= 25000 else 'NOT met'}")
    print(f"-j 2 speed-up over -j 1: {speedup:.2f}x (target >= 1.7x)")

    warm, rss = warm_recheck(gen, 1, results)
    peak = max(results["cold_j1_rss_mib"], results["cold_j2_rss_mib"], rss)
    print(f"peak memory of any run: {peak:.0f} MiB (target < 300 MiB)")



def in_process(gen: Path, max_lines: int, results: dict) -> None:
    """One core, in this process: `check_text` over generated files that parse, over those
    with syntax errors (issue 15 item 2: at least 0.8x the clean speed), and CPython's
    `ast.parse` over as many lines of the standard library (item 1: at least 0.4x), timed
    in turns (best of three) so that load on the machine hits all alike."""
    import ast as pyast

    from corpus import best_cpu_in_turns, stdlib_python

    from aether.checker import check_text
    from aether.syntax import parse

    clean, broken, n = [], [], 0
    for p in sorted(gen.rglob("*.aether")):
        text = p.read_text(encoding="utf-8")
        (broken if parse(text).errors else clean).append(text)
        n += text.count("\n")
        if n >= max_lines:
            break
    lines = sum(t.count("\n") for t in clean)
    pys = stdlib_python(lines)
    sets = {"aether check, clean files": (clean, lambda t: check_text(t, "x.aether")),
            "aether check, files with syntax errors": (broken,
                                                       lambda t: check_text(t, "x.aether")),
            "ast.parse, Python stdlib files": (pys, pyast.parse)}
    best = best_cpu_in_turns(sets, 3)
    rate = {name: sum(x.count("\n") for x in sets[name][0]) / best[name] for name in sets}
    print("in-process, one core (CPU time, best of 3 in turns):")
    for name, (texts, _) in sets.items():
        print(f"  {name:40} {len(texts):5} files {sum(x.count(chr(10)) for x in texts):9,} "
              f"lines  {rate[name]:10,.0f} lines/s")
    errors = rate["aether check, files with syntax errors"] / rate["aether check, clean files"]
    vs_ast = rate["aether check, clean files"] / rate["ast.parse, Python stdlib files"]
    from aether.syntax.parser import get_parser

    path = "compiled" if get_parser()[0].compiled else "pure Python"
    print(f"  parser path measured: {path} (AETHER_PURE_PYTHON="
          f"{os.environ.get('AETHER_PURE_PYTHON', '')!r})")
    print(f"  files with syntax errors / clean files: {errors:.2f}x (target >= 0.8x)")
    print(f"  aether check / ast.parse: {vs_ast:.2f}x (target >= 0.4x; 100,000 lines/s)")
    results["in_process"] = {"lines_per_s": rate, "errors_vs_clean": errors,
                             "check_vs_ast_parse": vs_ast, "parser": path}


def in_process_pure(args, results: dict) -> None:
    """The in-process figures again with the pure-Python parser (AETHER_PURE_PYTHON=1, in
    a child process: the choice is made at import), when the compiled one was measured."""
    from aether.syntax import lalr

    if not lalr.COMPILED:
        return
    print("the same with the pure-Python parser (AETHER_PURE_PYTHON=1, its own ast.parse "
          "peer):")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pure.json"
        env = dict(os.environ, AETHER_PURE_PYTHON="1")
        done = subprocess.run([sys.executable, __file__, "--in-process-only", "--no-pure",
                               "--files", str(args.files), "--lines", str(args.lines),
                               "--json-out", str(out)], env=env, capture_output=True,
                              text=True)
        for line in done.stdout.splitlines():
            if line.startswith("  "):
                print("  " + line)
        if out.is_file():
            results["in_process_pure"] = json.loads(out.read_text())["in_process"]


def warm_recheck(gen: Path, runs: int, results: dict,
                 compare_to: str | None = None) -> tuple[float, float]:
    """`check --format json` of unchanged files from the cache: the median of ``runs``,
    with `python -c pass` (interpreter start-up, the floor) timed in turns as its peer.

    With more than one run, also the `aether` console script (as a user runs it, when it is
    installed beside this Python), `python -c "import json"`, and, with ``compare_to`` (a
    checkout of another version, e.g. exported with `git archive`), that version run the
    way the console script runs this one; all in turns, wall and CPU medians.
    """
    args = ["check", str(gen), "--isolated", "-q", "--format", "json"]
    cmd = AETHER + args
    with tempfile.TemporaryDirectory() as cache_dir:
        cmd += ["--cache-dir", cache_dir]
        timed_with_rss(cmd)  # fills the cache
        if runs == 1:
            time.sleep(2.1)  # older than the racy-timestamp margin: trusted by stat alone
            wall, rss, _ = timed_with_rss(cmd)
            floor = timed_with_rss([sys.executable, "-c", "pass"])[0]
            results["warm_s"] = wall
            print(f"warm re-check (cache, unchanged files, --format json): {wall:.3f} s, "
                  f"peak RSS {rss:.0f} MiB (target < 0.2 s); `python -c pass` {floor:.3f} s")
            return wall, rss
        # what the console script pip writes does, with the package found on sys.path
        # (aether.__main__:main since 2026-12-01, which installs the start-up interrupt
        # handling first; in older checkouts, for --compare-to, importing aether.__main__
        # runs the command itself, as their console script's aether.cli.main:main did)
        script = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import re\n"
                  "try:\n    from aether.__main__ import main\n"
                  "except ImportError:\n    from aether.cli.main import main\n"
                  "sys.exit(main())")
        commands = {"python -m aether": cmd}
        console = Path(sys.executable).parent / "aether"
        if console.is_file():
            commands["aether (console script)"] = [str(console)] + cmd[len(AETHER):]
        commands["this checkout, console form"] = [sys.executable, "-c", script,
                                                   str(ROOT)] + cmd[len(AETHER):]
        if compare_to:
            other = [sys.executable, "-c", script, str(Path(compare_to).resolve())] \
                + cmd[len(AETHER):]
            subprocess.run(other, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            commands["--compare-to checkout, console form"] = other
        commands["python -c pass"] = [sys.executable, "-c", "pass"]
        commands['python -c "import json"'] = [sys.executable, "-c", "import json"]
        time.sleep(2.1)  # older than the racy-timestamp margin: trusted by stat alone
        rss = timed_with_rss(cmd)[1]
        cpu: dict = {}
        walls = interleaved_medians(commands, runs, cpu=cpu)
    floor = walls["python -c pass"]
    warm = walls.get("aether (console script)", walls["python -m aether"])
    results["warm_s"] = warm
    results["warm"] = {name: {"wall_s": walls[name], "cpu_s": cpu[name]} for name in walls}
    print(f"warm re-check (cache, unchanged files, --format json), medians of {runs} "
          f"in turns (target < 0.2 s), peak RSS {rss:.0f} MiB:")
    for name in walls:
        print(f"  {name:38s} wall {walls[name]:.3f} s ({walls[name] / floor:5.1f}x "
              f"`python -c pass`), CPU {cpu[name]:.3f} s")
    return warm, rss


def large_files(gen: Path, results: dict) -> None:
    """One big file: the checker must stay linear (lines/s of 20k and 200k lines alike),
    error recovery must not re-parse the file per error, and thousands of findings on one
    long line must not repeat the line in the report."""
    from aether.syntax import parse

    files = sorted(gen.rglob("*.aether"))
    rates = {}
    for target, clean in ((20_000, True), (200_000, True), (200_000, False)):
        parts, n = [], 0
        for p in files:
            text = p.read_text()
            if clean and parse(text).errors:
                continue  # syntax errors would stop validation at the 25th: not comparable
            parts.append(text)
            n += text.count("\n")
            if n >= target:
                break
        kind = "without" if clean else "with"
        big = OUT / f"one_{target // 1000}k_lines_{kind}_syntax_errors.aether"
        big.write_text("".join(parts))
        wall, rss, rc = timed_with_rss(AETHER + ["check", str(big), "--isolated", "--no-cache",
                                                 "-q", "--format", "json"])
        errors = len(parse(big.read_text()).errors)
        if clean:
            rates[target] = n / wall
        results[f"one_file_{target}_{kind}_errors_lines_per_s"] = n / wall
        results[f"one_file_{target}_{kind}_errors_rss_mib"] = rss
        print(f"one file of {n:,} lines, {errors} syntax errors: {wall:.2f} s, "
              f"{n / wall:,.0f} lines/s, peak RSS {rss:.0f} MiB (exit {rc})")
    print(f"  200k-line file speed / 20k-line file speed: "
          f"{rates[200_000] / rates[20_000]:.2f} (1.0 or more: no worse than linear)")
    line = OUT / "one_long_line.aether"
    line.write_text('goal: "g"\nawait ' + ", ".join(f"t{i}" for i in range(20_000)) + "\n")
    t = time.perf_counter()
    proc = subprocess.run(AETHER + ["check", str(line), "--isolated", "--no-cache"],
                          capture_output=True)
    wall = time.perf_counter() - t
    results["long_line_text_s"] = wall
    results["long_line_text_bytes"] = len(proc.stdout)
    print(f"20,000 findings on one {line.stat().st_size:,}-byte line, text report: "
          f"{wall:.2f} s, {len(proc.stdout) / 1e6:.1f} MB of output")


# One line, repeated 20,000 times (with its number): a clean line, an ordinary syntax error,
# and lines that open a bracket they never close (error recovery used to scan to the end of
# the file from each of the 25 errors it reports), then other shapes looked at with them.
UNCLOSED_SHAPES = [
    ("clean", "x{i}: foo({i}, 2)"), ("syntax error", "log({i} {i})"),
    ("unclosed (", "x{i}: foo({i},"), ("unclosed [", "log([1, 2"),
    ("'{' at line end", "x{i}: foo() {{"), ("fn ... {", "fn f{i}() {{"),
    ("if f(x:", "if f(x{i}:\n    log(1)"), ("unclosed string", 'x{i}: "abc'),
    ("indent up", "{pad}x{i}: 1"),
]


def unclosed_lines(results: dict, n: int = 20_000, runs: int = 5) -> None:
    """CPU us per line of check_text on files of one repeated line, timed in turns."""
    from aether.checker import check_text
    from corpus import best_cpu_in_turns

    sets = {}
    for name, shape in UNCLOSED_SHAPES:
        text = 'goal: "g"\n' + "".join(shape.format(i=i, pad=" " * (i % 40)) + "\n"
                                       for i in range(n))
        sets[name] = ([text], lambda t: check_text(t, "bench.aether"))
    best = best_cpu_in_turns(sets, runs)
    base = best["syntax error"] / n * 1e6
    print(f"check_text, {n:,} lines of one shape (CPU us/line, best of {runs}; "
          f"x: against the ordinary syntax-error file):")
    for name, _ in UNCLOSED_SHAPES:
        us = best[name] / n * 1e6
        results[f"unclosed_us_per_line_{name}"] = us
        print(f"  {name:18s} {us:6.1f} us/line  {us / base:5.1f}x")


def _console_script() -> list[str]:
    """The `aether` console script of the venv this bench runs in (beside sys.executable)."""
    candidate = Path(sys.executable).parent / "aether"
    if candidate.exists():
        return [str(candidate)]
    entry = shutil.which("aether")
    return [entry] if entry else AETHER


def startup(gen: Path, runs: int, results: dict) -> None:
    """`aether check FILE` and `aether --check FILE` on one 100-line file, clean and with
    one finding, against `python -c "import lark"` of the same venv.

    The venv's console script is timed (what a user or a pre-commit hook runs). Every
    child runs without PYTHONDONTWRITEBYTECODE and a first untimed run writes the bytecode
    caches, as they exist after a normal `pip install` and a first run.
    """
    clean = OUT / "one_100_lines.aether"
    finding = OUT / "one_100_lines_one_finding.aether"
    sample = _clean_100_lines(gen)
    clean.write_text(sample)
    # one unknown name in the last line: one AE3xx finding (exit 25)
    finding.write_text(sample.rstrip("\n").rsplit("\n", 1)[0] + "\nlog(undefined_value)\n")
    script = _console_script()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("FORCE_COLOR", None)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import lark'": [sys.executable, "-c", "import lark"],
        "aether check FILE (clean)": script + ["check", str(clean)],
        "aether check FILE (1 finding)": script + ["check", str(finding)],
        "aether --check FILE (clean)": script + ["--check", str(clean)],
        "aether --check FILE (1 finding)": script + ["--check", str(finding)],
    }
    statuses = {name: subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=env).returncode for name, cmd in commands.items()}
    cpus: dict = {}
    walls = interleaved_medians(commands, runs, env, cpus)
    lark_t = walls["python -c 'import lark'"]
    lark_cpu = cpus["python -c 'import lark'"] or 1e-9
    results["startup"] = {name: {"ms": t * 1000, "ratio": t / lark_t, "exit": statuses[name],
                                 "cpu_ms": cpus[name] * 1000,
                                 "cpu_ratio": cpus[name] / lark_cpu}
                          for name, t in walls.items()}
    results.update(import_lark_s=lark_t, entry_one_s=walls["aether check FILE (clean)"])
    print(f"one 100-line file, console script {script[0]}, medians of {runs} interleaved runs"
          " (wall; CPU = user + system of the child):")
    for name, t in walls.items():
        print(f"  {name:34} {t * 1000:6.1f} ms  {t / lark_t:4.2f}x import lark"
              f"  | CPU {cpus[name] * 1000:6.1f} ms  {cpus[name] / lark_cpu:4.2f}x"
              f"  (exit {statuses[name]})")
    worst = max(t for name, t in walls.items() if name.startswith("aether"))
    print(f"  worst aether form: {worst / lark_t:.2f}x `import lark` (target <= 1.0, aim 0.7)")


def _clean_100_lines(gen: Path) -> str:
    """The first 100 lines of a generated file that checks clean, cut at a top-level line."""
    from aether.checker import check_text

    for p in sorted(gen.rglob("*.aether")):
        text = p.read_text()
        if check_text(text, "x").findings:
            continue
        lines = text.split("\n")
        cut = 100
        while cut < len(lines) and lines[cut][:1] in (" ", "-"):
            cut += 1
        candidate = "\n".join(lines[:cut]) + "\n"
        if not check_text(candidate, "x").findings:
            return candidate
    return 'goal: "bench"\n' + 'log("x")\n' * 99


if __name__ == "__main__":
    raise SystemExit(main())
