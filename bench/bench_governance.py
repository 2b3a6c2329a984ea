#!/usr/bin/env python3
"""Benchmark governance: governed calls per second (decision plus durable ledger entries on
SQLite), `audit verify` entries per second, and the overhead of governance over
`--simulate` alone. Figures, not assertions; paste the output into docs/benchmarks.md.

    python bench/bench_governance.py [--calls 5000] [--entries 200000]

Targets (issue 12): at least 2,000 governed calls/s; verify at least 100,000 entries/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aether.governance.dispatcher import GovernedDispatcher  # noqa: E402
from aether.governance.journal import CallJournal  # noqa: E402
from aether.governance.ledger import (Ledger, dump_export, export_run,  # noqa: E402
                                      load_export, verify_export, verify_run)
from aether.governance.policy import parse_policy  # noqa: E402
from aether.store import SQLiteStore as SqliteLedgerBackend  # noqa: E402
from aether.runtime.api import RunOptions, run_source  # noqa: E402
from aether.runtime.dispatch import SimulateDispatcher  # noqa: E402

POLICY = parse_policy({"allowed_tools": ["store", "think", "log"],
                       "rules": [{"tool": "publish", "when": {"target": "prod*"},
                                  "effect": "require_approval"}]})


def flow(calls: int) -> str:
    return (f'goal: "bench"\nfor i in range({calls}):\n'
            '    store("note " + str(i), tag="bench")\n')


def best(fn, runs: int = 3) -> float:
    return min(fn() for _ in range(runs))


def bench_calls(calls: int, folder: str) -> tuple[float, float, float]:
    """(governed calls/s on SQLite, simulate-only calls/s, ledger entries per call)."""
    src = flow(calls)
    counter = iter(range(1_000_000))

    def governed():
        backend = SqliteLedgerBackend(os.path.join(folder, f"g{next(counter)}.db"))
        # as `aether run` does: ledger and call journal in the one state store
        g = GovernedDispatcher(SimulateDispatcher(), POLICY, Ledger(backend), actor="bench",
                               journal=CallJournal(backend, "b"))
        g.simulate = False  # journal the calls (a SimulateDispatcher performs them)
        t = time.perf_counter()
        r = run_source(src, "b.aether", dispatcher=g, options=RunOptions(run_id="b"))
        dt = time.perf_counter() - t
        assert r.status == 0, r.error
        return dt

    def simulate():
        t = time.perf_counter()
        r = run_source(src, "b.aether", simulate=True)
        dt = time.perf_counter() - t
        assert r.status == 0, r.error
        return dt

    g_time, s_time = best(governed), best(simulate)
    return calls / g_time, calls / s_time, g_time / s_time


def bench_verify(entries: int, folder: str) -> tuple[float, float]:
    """(entries/s verifying from SQLite, entries/s verifying an export offline)."""
    backend = SqliteLedgerBackend(os.path.join(folder, "v.db"))
    led = Ledger(backend)
    backend._db.execute("PRAGMA synchronous=OFF")  # filling is not what is measured
    for i in range(entries - 1):
        led.append("v", "request", {"tool": "store", "params": {"_args": [f"note {i}"]},
                                    "actor": "bench", "risk": "medium"})
    led.close("v", 0)

    def from_db():
        t = time.perf_counter()
        rep = verify_run(backend, "v")
        assert rep.status == 0
        return time.perf_counter() - t

    raw = dump_export(export_run(backend, "v"))

    def from_export():
        t = time.perf_counter()
        rep = verify_export(load_export(raw), raw)
        assert rep.status == 0
        return time.perf_counter() - t

    return entries / best(from_db), entries / best(from_export)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--entries", type=int, default=200_000)
    a = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs, sqlite WAL synchronous=NORMAL")
    with tempfile.TemporaryDirectory() as folder:
        gov, sim, ratio = bench_calls(a.calls, folder)
        print(f"governed calls/s (decision + 4 ledger entries + call journal, SQLite): {gov:,.0f}  "
              f"(target >= 2,000)")
        print(f"simulate-only calls/s: {sim:,.0f}; governed run takes {ratio:.1f}x the "
              f"simulate-only run ({(1 / gov - 1 / sim) * 1e6:.0f} us per call of overhead)")
        db, ex = bench_verify(a.entries, folder)
        print(f"audit verify, SQLite: {db:,.0f} entries/s; export offline: {ex:,.0f} "
              f"entries/s  (target >= 100,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
