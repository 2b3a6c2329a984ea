"""Migrate many files: in input order, optionally in a process pool (``--jobs``).

Each file is read, converted, checked and (with ``apply``) rewritten by one worker, so
an interrupted run leaves every file either fully old or fully new (the rewrite is one
``os.replace``). A file that cannot be read or written is reported and the run goes on.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence

from ..gcpause import gc_paused
from .engine import MigrateOptions, Outcome, migrate_file

__all__ = ["migrate_files"]


@gc_paused
def _one(args: tuple[str, str, MigrateOptions, bool]) -> Outcome:
    path, display, options, named = args
    out = migrate_file(path, display, options, follow_links=named)
    out.text = None  # not needed by the parent; keeps pickling small
    return out


def migrate_files(files: Sequence[tuple], options: MigrateOptions, jobs: int = 1,
                  progress: Optional[Callable[[Outcome, int, int], None]] = None
                  ) -> list[Outcome]:
    """Outcomes for ``files`` ((path, display) pairs, or (path, display, named) where
    ``named`` says the user named the path, so a link there may be written through), in
    the same order.

    ``progress(outcome, done, total)`` is called as each file finishes (in order).
    """
    total = len(files)
    work = [(f[0], f[1], options, len(f) > 2 and bool(f[2])) for f in files]
    results: list[Outcome] = []
    if jobs <= 1 or total < 2:
        for n, item in enumerate(work, start=1):
            out = _one(item)
            results.append(out)
            if progress:
                progress(out, n, total)
        return results
    import multiprocessing as mp

    # fork keeps start-up cheap (the parser tables are already loaded); spawn elsewhere
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    _warm()
    chunk = max(1, min(16, total // (jobs * 4) or 1))
    pool = ctx.Pool(min(jobs, total))  # never more workers than files
    try:
        for n, out in enumerate(pool.imap(_one, work, chunksize=chunk), start=1):
            results.append(out)
            if progress:
                progress(out, n, total)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return results


def _warm() -> None:
    """Load the parser and catalogue before forking, so workers start warm."""
    from ..checker import check_text

    check_text('goal: "warm"\n', "<warm>")
    from .convert import convert

    try:
        convert("x = 1\n")
    except Exception:  # noqa: BLE001 - warming only
        pass


def iter_pairs(paths: Iterable[str], exclude: Sequence[str] = (), root: Optional[str] = None):
    """``(path, display, named)`` for every file to migrate (directories searched
    recursively; ``named``: given on the command line, see :func:`migrate_files`)."""
    from ..walk import iter_files

    for sf in iter_files(paths, exclude, root):
        yield sf.path, sf.display, sf.explicit


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)
