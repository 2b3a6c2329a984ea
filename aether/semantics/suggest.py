"""Did-you-mean suggestions: the closest known name to an unknown one, in bounded time.

:func:`closest` is the rule (the same answer as the validator has always given): a
candidate that differs only in case, or by two neighbouring letters swapped, wins (the
first in sorted order); else the candidate with the best :class:`difflib.SequenceMatcher`
ratio of at least :data:`CUTOFF` (ties to the greater name, as ``get_close_matches``).
It is exact and fast: the length and letter-bag bounds difflib uses to skip a candidate
are worked out with a set intersection instead of a Python loop per letter.

:class:`NameIndex` keeps every name a file may suggest, by length and first letter, so
that a lookup in a large pool (a file with 50,000 bound names) compares a bounded number
of candidates (:data:`NEAR_LIMIT`) instead of all of them: comparing with every name made
a file of n unknown names cost n**2. Pools up to :data:`EXACT_LIMIT` names, which is all
of them in ordinary files, are searched in full, so the answer there is :func:`closest`'s.
"""

from __future__ import annotations

from functools import lru_cache

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Collection, Iterable, Optional

__all__ = ["CUTOFF", "EXACT_LIMIT", "NEAR_LIMIT", "closest", "hint", "swapped", "NameIndex",
           "length_window", "catalogue_index"]

CUTOFF = 0.72
EXACT_LIMIT = 128  # a pool this small is searched in full
NEAR_LIMIT = 64  # at most this many names of a larger pool are compared per lookup
# no did-you-mean for a longer name: nobody mistypes a 300-character name, and comparing
# names costs their length squared (a 100,000-character name hung `check`)
MAX_SUGGEST_LENGTH = 256


def _ratio(matches: int, length: int) -> float:
    # difflib's own formula (its _calculate_ratio), so the cut-off compares alike
    return 2.0 * matches / length if length else 1.0


@lru_cache(maxsize=8192)
def _bag(name: str) -> frozenset:
    """The letters of ``name`` as a set of ``letter + occurrence`` ("o1", "o2"): the size
    of the intersection of two bags is the multiset intersection difflib's quick_ratio
    counts (strings, not tuples: a string caches its hash; not ``letter * occurrence``,
    whose total length grows with the square of a repeated letter)."""
    seen: dict[str, int] = {}
    out = []
    for ch in name:
        k = seen.get(ch, 0) + 1
        seen[ch] = k
        out.append(ch + str(k))
    return frozenset(out)


@lru_cache(maxsize=256)
def length_window(size: int) -> tuple[int, ...]:
    """The candidate lengths difflib's real_quick_ratio lets through for a ``size``-long
    name, nearest first: no other length can reach :data:`CUTOFF`."""
    hi = int(size * (2 - CUTOFF) / CUTOFF) + 2
    ok = [n for n in range(1, hi + 1) if _ratio(min(size, n), size + n) >= CUTOFF]
    return tuple(sorted(ok, key=lambda n: (abs(n - size), n)))


def swapped(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two neighbouring characters swapped."""
    if len(a) != len(b) or len(a) < 2:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
        and a[diff[1]] == b[diff[0]]


def closest(name: str, candidates: Iterable[str]) -> Optional[str]:
    """The candidate to suggest for ``name`` (never ``name`` itself), or None (always for
    a name over :data:`MAX_SUGGEST_LENGTH` characters)."""
    if len(name) > MAX_SUGGEST_LENGTH:
        return None
    pool = set(candidates)
    pool.discard(name)
    folded = name.lower()
    # Typos difflib scores low on short names: another case (`X` for `x`), or two
    # neighbouring letters swapped (`tga` for `tag`).
    size = len(name)
    bag = _bag(name)
    near = [c for c in pool if c.lower() == folded
            or (len(c) == size and _bag(c) == bag and swapped(c, name))]
    if near:
        return min(near)
    from difflib import SequenceMatcher  # only when a name is unknown (start-up time)

    matcher = SequenceMatcher()
    matcher.set_seq2(name)
    lengths = frozenset(length_window(size))
    best: Optional[tuple[float, str]] = None
    for c in pool:
        # difflib's real_quick_ratio (the length window) and quick_ratio (the bags), then
        # its ratio, in get_close_matches's order and with its formula
        if len(c) not in lengths or 2.0 * len(bag & _bag(c)) / (size + len(c)) < CUTOFF:
            continue
        matcher.set_seq1(c)
        score = matcher.ratio()
        if score >= CUTOFF and (best is None or (score, c) > best):
            best = (score, c)
    return best[1] if best else None


@lru_cache(maxsize=1024)
def _closest_cached(name: str, candidates: frozenset) -> Optional[str]:
    # a file repeating one unknown name thousands of times looks it up once
    return closest(name, candidates)


def hint(name: str, candidates: Iterable[str]) -> str:
    """``did you mean 'x'?`` for the closest of a small pool of ``candidates``, or ""."""
    best = _closest_cached(name, frozenset(candidates))
    return f"did you mean '{best}'?" if best else ""


class NameIndex:
    """Every name a file may suggest, filed by folded letters, by length, and by length and
    first or last letter, in the order they were added (see the module docstring).

    ``base``: an index this one extends (the names of a catalogue, filed once per
    catalogue by :func:`catalogue_index`): its names count as filed here, before this
    index's own, and are not copied, so a file's index costs what the file holds, not
    what the catalogue holds (10,000 files against a catalogue of 7,000 tools filed
    70 million names)."""

    def __init__(self, names: Iterable[str] = (), base: Optional[NameIndex] = None) -> None:
        self._base = base
        self._known: set[str] = set()
        # names added but not yet filed: filing is put off until a lookup needs it, as
        # most files (and every clean one) are validated without a single lookup, and
        # filing each name of the catalogue for every file was a tenth of a validation
        self._pending: list[str] = []
        self._by_fold: dict[str, list[str]] = {}
        self._by_len: dict[int, list[str]] = {}
        self._by_start: dict[tuple[int, str], list[str]] = {}
        self._by_end: dict[tuple[int, str], list[str]] = {}
        self.update(names)

    def __len__(self) -> int:
        return len(self._known) + (len(self._base) if self._base is not None else 0)

    def __contains__(self, name: str) -> bool:
        return name in self._known or (self._base is not None and name in self._base)

    def _count(self, table: str, key) -> int:
        """How many names are filed under ``key`` in ``table`` (the base's too)."""
        n = len(getattr(self, table).get(key, ()))
        return n + self._base._count(table, key) if self._base is not None else n

    def _head(self, table: str, key, limit: Optional[int] = None) -> list[str]:
        """The first ``limit`` (None: all) names filed under ``key`` in ``table``, the
        base's first; never more than that many are copied."""
        inherited = self._base._head(table, key, limit) if self._base is not None else []
        own = getattr(self, table).get(key, ())
        room = None if limit is None else limit - len(inherited)
        if room is not None and room <= 0:
            return inherited
        return inherited + list(own[:room] if room is not None else own)

    def add(self, name: str) -> None:
        """File ``name`` (once; adding it again does nothing)."""
        if name not in self:
            self._known.add(name)
            self._pending.append(name)

    def update(self, names: Iterable[str]) -> None:
        """File each of ``names``."""
        known = self._known
        pending = self._pending
        base = self._base
        for name in names:
            if name not in known and (base is None or name not in base):
                known.add(name)
                pending.append(name)

    def _file(self) -> None:
        """File the pending names, in the order they were added (the base's first)."""
        if self._base is not None and self._base._pending:
            self._base._file()
        by_fold, by_len = self._by_fold, self._by_len
        by_start, by_end = self._by_start, self._by_end
        for name in self._pending:
            by_fold.setdefault("".join(sorted(name.lower())), []).append(name)
            by_len.setdefault(len(name), []).append(name)
            if name:
                by_start.setdefault((len(name), name[0].lower()), []).append(name)
                by_end.setdefault((len(name), name[-1].lower()), []).append(name)
        self._pending = []

    def near(self, name: str, limit: int = NEAR_LIMIT) -> list[str]:
        """At most about ``2 * limit`` filed names that could be suggested for ``name``.

        Names that differ only in case or order of letters come first; then, when more
        than ``limit`` names have a length difflib could accept, those that start or end
        with the same letter, nearest length first; then the first filed of each length.
        All of them when there are no more than ``limit`` (the answer is then exact).
        """
        if self._pending or (self._base is not None and self._base._pending):
            self._file()
        head, count = self._head, self._count
        out = head("_by_fold", "".join(sorted(name.lower())), limit)
        lengths = length_window(len(name))
        if sum(count("_by_len", n) for n in lengths) <= limit:
            for n in lengths:
                out.extend(head("_by_len", n))
            return out
        room = limit
        start, end = name[:1].lower(), name[-1:].lower()
        for n in lengths:
            for key, table in (((n, start), "_by_start"), ((n, end), "_by_end")):
                found = head(table, key, room)
                out.extend(found)
                room -= len(found)
        for n in lengths:
            found = head("_by_len", n, room)
            out.extend(found)
            room -= len(found)
        return out

    def suggest(self, name: str, *pools: Collection[str]) -> str:
        """``did you mean 'x'?`` for the closest name in the union of ``pools``, or "".

        Pools of up to :data:`EXACT_LIMIT` names in all are searched in full (see
        :func:`closest`); in larger ones only the names :meth:`near` picks from this
        index are compared, so a name that was never filed here is not suggested.
        """
        if sum(len(p) for p in pools) <= EXACT_LIMIT:
            return hint(name, (c for p in pools for c in p))
        near = set(self.near(name))
        best = closest(name, {c for p in pools for c in near if c in p})
        return f"did you mean '{best}'?" if best else ""


_CATALOGUE_INDEXES: dict[int, tuple[object, NameIndex]] = {}


def catalogue_index(catalogue, names: Iterable[str]) -> NameIndex:
    """The index of ``names`` (a catalogue's functions and inputs), filed once per
    catalogue object and shared by the index of every file checked with it (its
    ``base``). A few catalogues are kept (a process checks with one, tests with several);
    the catalogue is held, so its ``id`` is not reused while it is kept."""
    hit = _CATALOGUE_INDEXES.get(id(catalogue))
    if hit is not None and hit[0] is catalogue:
        return hit[1]
    if len(_CATALOGUE_INDEXES) >= 8:
        _CATALOGUE_INDEXES.clear()
    index = NameIndex(names)
    _CATALOGUE_INDEXES[id(catalogue)] = (catalogue, index)
    return index
