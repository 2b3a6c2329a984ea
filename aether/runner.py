"""Check many files: the result cache, worker processes for ``--jobs``, results in input order.

Every tool that needs results for a tree (check, baseline, classify) calls
:func:`check_files`. Workers are forked after the parser and catalogue are loaded, so
each starts warm. A crash inside the checker becomes an AE999 finding for that file, never
a traceback (the checker must never crash; the test-suite hunts for it).
"""

from __future__ import annotations

import os
import sys

from .checker import CheckOptions, check_text
from .diagnostics import FileResult, Finding
from .fingerprint import assign_fingerprints
from .outofmemory import release
from .record import Record
from .source import decode_source, read_source
from .walk import SourceFile

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Optional, Sequence

    from .cache import ResultCache

__all__ = ["check_files", "check_blobs", "open_cache", "RunStats", "default_jobs",
           "resolve_jobs", "MAX_JOBS_PER_CPU", "attach_sources"]

_CHUNK = 32


def default_jobs() -> int:
    """The number of CPUs this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


MAX_JOBS_PER_CPU = 4  # the most workers --jobs may ask for, per CPU


def resolve_jobs(asked: Optional[int], configured: Optional[int] = None,
                 files: Optional[int] = None) -> tuple[int, Optional[str]]:
    """The number of worker processes to start, and a warning when a request was cut.

    ``asked`` (``--jobs`` on the command line) is honoured up to MAX_JOBS_PER_CPU times
    the CPU count; ``configured`` (``jobs`` in a configuration file, which anyone who
    can change the repository can set) only up to the CPU count; with neither, the CPU
    count. Never more than ``files`` when that is given, and at least 1. Never raises.
    """
    cpus = default_jobs()
    warning = None
    if asked:
        jobs = asked
        if asked > cpus * MAX_JOBS_PER_CPU:
            jobs = cpus * MAX_JOBS_PER_CPU
            warning = (f"--jobs {asked} is more than {MAX_JOBS_PER_CPU} x the {cpus} "
                       f"CPU{'s' if cpus != 1 else ''}; using {jobs} workers")
    elif configured:
        jobs = configured
        if configured > cpus:
            jobs = cpus
            warning = (f"jobs = {configured} in the configuration is more than the {cpus} "
                       f"CPU{'s' if cpus != 1 else ''}; using {jobs} workers (pass --jobs "
                       "to ask for more)")
    else:
        jobs = cpus
    if files is not None:
        jobs = min(jobs, files)
    return max(1, jobs), warning


class RunStats(Record):
    """Counts of a run: files checked, answered from the cache, lines."""

    __slots__ = _fields = ("files", "cached", "lines")

    def __init__(self, files=0, cached=0, lines=0):
        self.files = files
        self.cached = cached
        self.lines = lines


def _internal_error(display: str, exc: BaseException) -> FileResult:
    """The AE999 result of a checker bug on ``display``. Raises the KeyboardInterrupt or
    Terminated behind ``exc`` instead, if any (Ctrl-C wrapped in a RuntimeError: no bug)."""
    release(exc)  # a MemoryError's frames hold what filled memory: free it first
    from .interrupt import interrupt_behind

    interrupt = interrupt_behind(exc)
    if interrupt is not None:
        raise interrupt from None
    import traceback

    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if os.environ.get("AETHER_DEBUG"):
        sys.stderr.write(traceback.format_exc())
    finding = Finding("AE999", f"internal error while checking this file: {detail}",
                      hint="please report this with the file (AETHER_DEBUG=1 shows details)",
                      content="<internal>")
    return FileResult(display, assign_fingerprints(display, [finding]))


def _check_data(display: str, data: bytes, options: CheckOptions) -> FileResult:
    decoded = decode_source(data, options.max_file_size)
    if decoded.error is not None:
        return FileResult(display, assign_fingerprints(
            options.fingerprint_path(display), [decoded.error.with_(content="<io>")]))
    try:
        return check_text(decoded.text, display, options)
    except RecursionError as exc:  # defensive: nesting limits should prevent it
        return _internal_error(display, exc)
    except Exception as exc:  # noqa: BLE001 - the one place a checker bug is contained
        return _internal_error(display, exc)


def _check_taken(todo: list, n: int, options: CheckOptions) -> FileResult:
    """Check ``todo[n]`` (index, display, bytes), leaving it without its bytes: once they
    are decoded nothing holds them while the text is checked."""
    index, display, data = todo[n]
    todo[n] = (index, display, None)
    decoded = decode_source(data, options.max_file_size)
    del data
    if decoded.error is not None:
        return _check_data(display, decoded.data, options)  # the error finding, as before
    text = decoded.text
    del decoded
    try:
        return check_text(text, display, options)
    except RecursionError as exc:  # defensive: nesting limits should prevent it
        return _internal_error(display, exc)
    except Exception as exc:  # noqa: BLE001 - the one place a checker bug is contained
        return _internal_error(display, exc)


def _work_one(work: tuple, n: int) -> FileResult:
    """In a check worker: the result of the file ``todo[n]`` of ``work`` (todo, options),
    without its source text (it goes back to the parent)."""
    todo, options = work
    _index, display, data = todo[n]
    result = _check_data(display, data, options)
    result.source = None
    return result


def _warm() -> None:
    from .semantics.catalogue import load_catalogue
    from .syntax.parser import get_parser

    get_parser()
    load_catalogue()


def open_cache(options: CheckOptions, config, use_cache: bool = True,
               cache_dir: Optional[str] = None, n_files: int = 2) -> Optional["ResultCache"]:
    """The result cache for a run with these options, or None when caching is off.

    One file is never cached (parsing it is cheaper than loading the cache). Every tool
    opens the cache here, so `check` and `baseline` share entries.
    """
    if not use_cache or not getattr(config, "cache", True) or n_files < 2:
        return None
    from .cache import ResultCache, cache_key

    from .cache import DEFAULT_DIR

    root = getattr(config, "root", ".")
    directory = cache_dir or getattr(config, "cache_dir", None) or os.path.join(
        root, DEFAULT_DIR)
    # Entries are keyed by display path, which is relative to the working directory,
    # while fingerprints are relative to the project root: the same display from another
    # folder of the project (`f.aether` in a/ and in b/, same bytes) is another file with
    # other fingerprints, so each working directory has its own cache file.
    try:
        here = os.getcwd()
    except OSError:  # the working directory was removed: one key for every such run
        here = ""
    key = cache_key(repr(sorted(options.rules.select or ())),
                    repr(sorted(options.rules.ignore)), str(options.suppress),
                    str(options.max_file_size), str(options.root),
                    options.catalogue.digest if options.catalogue is not None else "",
                    here)
    # A folder from the repository (the default or its configuration) stays inside the
    # project; only --cache-dir, given by whoever runs aether, may point elsewhere.
    return ResultCache(directory, key, confine=None if cache_dir else root)


def check_files(files: Sequence[SourceFile], options: CheckOptions, jobs: int = 1,
                cache: Optional["ResultCache"] = None,
                progress: Optional[Callable[[int, int], None]] = None,
                stats: Optional[RunStats] = None) -> list[FileResult]:
    """Results for ``files``, in the same order.

    Files are read in this process (to consult the cache by content); only cache misses
    are parsed, in ``jobs`` worker processes when there are enough of them.
    """
    items: list = []
    stats_of: dict[int, os.stat_result] = {}
    if cache is not None:
        hits, to_read = cache.stat_hits(files)
        if not to_read:  # nothing changed: every result from the cache, nothing to check
            if stats is not None:
                stats.files, stats.cached = len(hits), 0
            return hits
        for i, src in enumerate(files):
            hit = hits[i]
            if hit is not None:
                items.append(hit)
                continue
            st = to_read[i]
            if st is not None:
                stats_of[i] = st
            items.append(_read(src, options))
    else:
        items = [_read(src, options) for src in files]
    return _check_items(items, options, jobs, cache, progress, stats, stats_of)


def _read(src: SourceFile, options: CheckOptions):
    """``(display, bytes)`` of a file to check, or its FileResult when it cannot be read."""
    read = read_source(src.path, options.max_file_size)
    if read.error is not None:
        return FileResult(src.display, assign_fingerprints(
            options.fingerprint_path(src.display), [read.error.with_(content="<io>")]))
    return (src.display, read.data)  # not its decoded text: the check decodes the bytes again


def check_blobs(items: Sequence, options: CheckOptions, jobs: int = 1,
                cache: Optional["ResultCache"] = None,
                progress: Optional[Callable[[int, int], None]] = None,
                stats: Optional[RunStats] = None,
                file_stats: Optional[dict] = None) -> list[FileResult]:
    """Results for contents already in memory, in order.

    Each item is ``(display path, bytes)``, or a ready FileResult (e.g. a file that could
    not be read), passed through. Used for files read from disk and from git alike.
    ``file_stats`` maps an item's index to its ``os.stat`` result, stored with the cache
    entry so that an unchanged file is not even read next time.
    """
    return _check_items(list(items), options, jobs, cache, progress, stats, file_stats)


def _check_items(items: list, options: CheckOptions, jobs: int,
                 cache: Optional["ResultCache"], progress: Optional[Callable[[int, int], None]],
                 stats: Optional[RunStats], file_stats: Optional[dict]) -> list[FileResult]:
    """:func:`check_blobs` on a list it may empty: the bytes of each file are let go
    before the file is checked, so a large file is not in memory twice (bytes and text)
    while its tree is built."""
    stats = stats if stats is not None else RunStats()
    results: list[Optional[FileResult]] = [None] * len(items)
    todo: list[tuple[int, str, bytes]] = []
    digests: dict[int, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, FileResult):
            results[i] = item
            continue
        display, data = item
        if cache is not None:
            from .cache import content_digest

            digests[i] = content_digest(data)
            hit = cache.get(display, digests[i], (file_stats or {}).get(i))
            if hit is not None:
                results[i] = hit
                stats.cached += 1
                continue
        todo.append((i, display, data))
    stats.files = len(items)
    items.clear()  # the bytes are in todo now
    item = data = None
    if jobs > 1 and len(todo) > _CHUNK:
        _warm()
        ranges = [(k, min(k + _CHUNK, len(todo))) for k in range(0, len(todo), _CHUNK)]
        done = 0

        def consume(start: int, answers: list) -> None:
            nonlocal done
            for n, result in enumerate(answers, start):
                results[todo[n][0]] = result
            done += len(answers)
            if progress:
                progress(done, len(todo))

        from .workers import run_ranges

        # never more workers than ranges (run_ranges), nor than --jobs may ask for; the
        # workers inherit todo and options by the fork. See aether.workers for why this
        # is no ProcessPoolExecutor (it hung after a Ctrl-C to the process group). Every
        # range comes back whole, or run_ranges raises (a dead worker: a WorkerError
        # naming the file): every result of todo is filled
        run_ranges((todo, options), len(todo), ranges, _work_one, consume,
                   min(jobs, default_jobs() * MAX_JOBS_PER_CPU), what="check",
                   doing="checking", label=lambda n: todo[n][1])
    else:
        for n in range(len(todo)):
            index = todo[n][0]
            results[index] = _check_taken(todo, n, options)
            if progress:
                progress(n + 1, len(todo))
    if cache is not None:
        for index, _display, _data in todo:
            result = results[index]
            if result is not None and not any(f.rule == "AE999" for f in result.findings):
                cache.put(digests[index], result, (file_stats or {}).get(index))
    return results  # type: ignore[return-value] - each one filled above


def attach_sources(results: Sequence[FileResult], files: Sequence[SourceFile],
                   max_size: int) -> None:
    """Fill ``source`` of results that have findings (for snippets in text output)."""
    for result, src in zip(results, files):
        if result.source is None and (result.findings or result.suppressed):
            read = read_source(src.path, max_size)
            if read.text is not None:
                result.source = read.text
