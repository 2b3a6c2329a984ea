"""Migrate many files: in input order, optionally in worker processes (``--jobs``).

Each file is read, converted, checked and (with ``apply``) rewritten by one worker, so
an interrupted run leaves every file either fully old or fully new (the rewrite is one
``os.replace``). A file that cannot be read or written is reported and the run goes on.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional, Sequence

from ..gcpause import gc_paused
from ..workers import STOP_GRACE, WorkerError
from .engine import MigrateOptions, Outcome, migrate_file

__all__ = ["migrate_files", "open_migrate_cache", "MigrationAborted"]


# The result cache of this run (see migrate_files): set in the parent before the workers
# are forked, so each looks up the entries the parent loaded, read only; what a worker
# computes goes back to the parent with the outcome, and the parent alone stores and saves.
_CACHE = None


class MigrationAborted(WorkerError):
    """The :class:`~aether.workers.WorkerError` of a migration run, raised by the serial
    run too: a file's migration raised (a bug of aether: outcomes are how a bad file is
    reported), or a worker process could not be started or died. Its message names the
    file when it is known."""


def _internal(display: str, error: str, details: str) -> MigrationAborted:
    return MigrationAborted(f"internal error while migrating {display}: {error} (this is a "
                            "bug in aether; AETHER_DEBUG=1 shows the details)", details)


@gc_paused
def _one(args: tuple[str, str, MigrateOptions, bool]) -> tuple[Outcome, Optional[list]]:
    """The outcome of one file, and the ``(digest, FileResult)`` pairs for the cache
    (None when there is no cache)."""
    path, display, options, named = args
    store = [] if _CACHE is not None else None
    out = migrate_file(path, display, options, follow_links=named, cache=_CACHE,
                       store=store)
    out.text = None  # not needed by the parent; keeps pickling small
    for _digest, result in store or ():
        result.source = None  # the cache keeps findings, not text
    return out, store


def _stored(cache, entries: Optional[list]) -> None:
    """Put a file's ``(digest, FileResult)`` pairs into ``cache`` (in the parent)."""
    for digest, result in entries or ():
        cache.put(digest, result)


def open_migrate_cache(options: MigrateOptions, config, use_cache: bool = True,
                       cache_dir: Optional[str] = None, n_files: int = 2):
    """The result cache ``aether check`` uses for the options migrate checks with, or None
    (off, or one file). Its key (aether.runner.open_cache) names every option that changes
    a result, so an entry is only ever read with the options it was made with: when the
    configuration selects or ignores rules, check's results (filtered) are in another
    file than migrate's (every rule), and migrate neither reads nor overwrites them."""
    from ..runner import open_cache
    from .engine import check_options

    check = check_options(options.catalogue, options.root, options.max_file_size)
    return open_cache(check, config, use_cache, cache_dir, n_files)


def migrate_files(files: Sequence[tuple], options: MigrateOptions, jobs: int = 1,
                  progress: Optional[Callable[[Outcome, int, int], None]] = None,
                  cache=None) -> list[Outcome]:
    """Outcomes for ``files`` ((path, display) pairs, or (path, display, named) where
    ``named`` says the user named the path, so a link there may be written through), in
    the same order.

    ``progress(outcome, done, total)`` is called as each file finishes (in order).

    ``cache``: the result cache from :func:`open_migrate_cache`: the check before each
    file is taken from it when its bytes match, and the results computed are put into it
    (the caller saves it). Workers look it up read only (inherited by the fork).

    With ``jobs`` > 1 the files are migrated by worker processes; whatever ends the run
    early (an exception, KeyboardInterrupt, :class:`~aether.interrupt.Terminated`) ends
    them at once and is re-raised, and a worker ended by SIGINT or SIGTERM raises
    KeyboardInterrupt or Terminated here. Raises :class:`MigrationAborted` (naming the
    file) when a file's migration raised, or a worker process could not be started or
    died otherwise.
    """
    global _CACHE
    _CACHE = cache
    try:
        return _migrate_files(files, options, jobs, progress, cache)
    finally:
        _CACHE = None


def _migrate_files(files, options, jobs, progress, cache) -> list[Outcome]:
    total = len(files)
    work = [(f[0], f[1], options, len(f) > 2 and bool(f[2])) for f in files]
    results: list[Outcome] = []
    if jobs <= 1 or total < 2:
        for n, item in enumerate(work, start=1):
            try:
                out, entries = _one(item)
            except Exception as exc:  # noqa: BLE001 - a bug: reported naming the file
                from ..interrupt import interrupt_behind
                from ..workers import failure_text

                if interrupt_behind(exc) is not None:
                    raise
                # the one line and the traceback, as a worker's
                raise _internal(item[1], *failure_text(exc)) from exc
            if cache is not None:
                _stored(cache, entries)
            results.append(out)
            if progress:
                progress(out, n, total)
        return results
    _warm()
    chunk = min(16, total // (jobs * 4) or 1)
    chunks = [(k, min(k + chunk, total)) for k in range(0, total, chunk)]

    def consume(start: int, answers: list) -> None:
        for out, entries in answers:
            if cache is not None:
                _stored(cache, entries)
            results.append(out)
            if progress:
                progress(out, len(results), total)

    from ..workers import run_ranges

    # never more workers than files; see aether.workers for why this pool never hangs
    run_ranges(work, total, chunks, _one_of, consume, min(jobs, total), what="migration",
               doing="migrating", label=lambda index: work[index][1],
               error=MigrationAborted, grace=_STOP_GRACE)
    return results


# seconds the workers get to end after SIGTERM before SIGKILL: the pool's, read at each
# run (a test shortens it here)
_STOP_GRACE = STOP_GRACE


def _one_of(work: list, index: int):
    """In a worker: :func:`_one` of ``work[index]`` (looked up when called, so that a
    test's replacement, inherited by the fork, is the one run)."""
    return _one(work[index])


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
