"""The audit ledger: append-only, SHA-256 hash-chained entries per run, and their verification.

Each run has its own chain (decision: per-run chains, so concurrent runs never contend for
one head and each run's chain verifies on its own; a global order is not needed for
audit). Entry ``seq`` counts from 1; its body is the JSON object::

    {"v": 1, "run": RUN_ID, "seq": N, "prev": HASH_OF_N-1 (64 zeros for N=1),
     "kind": "run" | "request" | "decision" | "approval" | "call" | "result" | "error" | "close",
     "time": "2024-05-01T12:00:00.000000Z", "data": {...}}

and its hash is ``sha256(canonical_json(body))`` in lower-case hex, where canonical JSON is
sorted keys, UTF-8 (no ASCII escaping), separators ``,`` and ``:``, no NaN or Infinity.
A run ends with one ``close`` entry whose data commits to the number of entries before it
and the run's final status. Backends also keep a *head* per run (count, last hash, closed,
status), written in the same transaction as each entry: the anchor that lets verification
see a truncated tail or a dropped closing entry, which a chain alone cannot show.

Verification reports *integrity* (the first entry edited, reordered, inserted, deleted or
malformed; exit status 22) and *completeness* (a truncated tail, a missing closing entry;
exit status 25) separately. An export (``export_run``) is a JSON evidence file that
:func:`verify_export` checks offline, without any database.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Optional, Protocol, Sequence

from ..gcpause import gc_paused
from ..jsondoc import canonical_text_of_parsed
from .policy import canonical_json

__all__ = ["Entry", "Head", "LedgerBackend", "MemoryLedgerBackend", "Ledger", "LedgerError",
           "LedgerConflict", "Problem", "Report", "verify_run", "verify_entries",
           "export_run", "verify_export", "load_export", "dump_export", "GENESIS", "EXPORT_FORMAT",
           "INTEGRITY_STATUS", "COMPLETENESS_STATUS", "UNREADABLE_STATUS", "entry_hash"]

GENESIS = "0" * 64
EXPORT_FORMAT = "aether-evidence"
INTEGRITY_STATUS = 22  # SIGNATURE_ERROR: the chain's cryptographic commitment fails
COMPLETENESS_STATUS = 25  # VALIDATION_ERROR: a sound chain that is not the whole run
UNREADABLE_STATUS = 26  # IO_ERROR: the evidence file cannot be read as evidence


class LedgerError(Exception):
    """A ledger that cannot be written or read (``status`` is the exit status)."""

    status = 26

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class LedgerConflict(LedgerError):
    """An append whose (run, seq) is already taken: another writer holds this run."""


@dataclass(frozen=True)
class Entry:
    """One stored entry: ``body`` is the canonical JSON text that ``hash`` commits to."""

    run_id: str
    seq: int
    prev_hash: str
    hash: str
    body: str

    def parsed(self) -> dict:
        """The body as a JSON object. Raises LedgerError (26) when it is not one (a
        database edited by hand): `aether audit verify` names such an entry."""
        try:
            body = json.loads(self.body)
        except (TypeError, ValueError, RecursionError):
            body = None
        if type(body) is not dict:
            raise LedgerError(f"the state database is damaged: ledger entry {self.seq} of "
                              f"run '{self.run_id}' is not a JSON object (aether audit "
                              "verify names the damage)", 26)
        return body


@dataclass(frozen=True)
class Head:
    """What a backend knows of a run's chain independently of the entries themselves."""

    count: int
    hash: str
    closed: bool = False
    status: Optional[int] = None


class LedgerBackend(Protocol):
    """Storage of ledger entries (SQL: one ``ledger`` row per entry, one ``ledger_heads``
    row per run, both written in one transaction)."""

    def append(self, entry: Entry, closed: bool = False,
               status: Optional[int] = None) -> None:
        """Store ``entry`` and move the run's head to it, atomically; LedgerConflict when
        ``(entry.run_id, entry.seq)`` exists or ``entry.prev_hash`` is not the head."""

    def append_many(self, entries: list[Entry], closed: bool = False,
                    status: Optional[int] = None) -> None:
        """Store consecutive entries of one run in one transaction (as :meth:`append`)."""

    def entries(self, run_id: str) -> list[Entry]:
        """The run's entries in ``seq`` order."""

    def head(self, run_id: str) -> Optional[Head]:
        """The run's head, or None for a run with no entries."""

    def runs(self) -> list[str]:
        """Every run id with entries, oldest first."""


class MemoryLedgerBackend:
    """A LedgerBackend in memory (tests, and runs that keep no state)."""

    def __init__(self):
        self._entries: dict[str, list[Entry]] = {}
        self._heads: dict[str, Head] = {}
        self._lock = threading.Lock()

    def append(self, entry: Entry, closed: bool = False,
               status: Optional[int] = None) -> None:
        self.append_many([entry], closed, status)

    def append_many(self, entries: list[Entry], closed: bool = False,
                    status: Optional[int] = None) -> None:
        with self._lock:
            head = self._heads.get(entries[0].run_id)
            want = (head.count + 1, head.hash) if head else (1, GENESIS)
            if (entries[0].seq, entries[0].prev_hash) != want or (head and head.closed):
                raise LedgerConflict(f"run {entries[0].run_id}: entry {entries[0].seq} does "
                                     "not follow the head (another writer holds this run?)")
            self._entries.setdefault(entries[0].run_id, []).extend(entries)
            self._heads[entries[0].run_id] = Head(entries[-1].seq, entries[-1].hash, closed,
                                                  status)

    def entries(self, run_id: str) -> list[Entry]:
        with self._lock:
            return sorted(self._entries.get(run_id, ()), key=lambda e: e.seq)

    def head(self, run_id: str) -> Optional[Head]:
        with self._lock:
            return self._heads.get(run_id)

    def runs(self) -> list[str]:
        with self._lock:
            return list(self._entries)


def _now_iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(body: dict) -> tuple[str, str]:
    """(canonical text, sha256 hex) of an entry body. Raises ValueError/TypeError for a
    body JSON cannot hold exactly (NaN, a set...)."""
    raw = canonical_json(body)
    return raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()


class Ledger:
    """Appends chained entries through a backend; safe for the threads of one process.

    Each run's head is cached after its first append, so an append costs one hash and one
    backend write. ``clock`` gives seconds since the epoch (injected by tests).
    """

    def __init__(self, backend: LedgerBackend, clock: Callable[[], float] = time.time):
        self.backend = backend
        self.clock = clock
        self._heads: dict[str, tuple[int, str, bool]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, run_id: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(run_id)
            if lock is None:
                lock = self._locks[run_id] = threading.Lock()
            return lock

    def append(self, run_id: str, kind: str, data: dict) -> Entry:
        """Append one entry of ``kind`` to ``run_id``'s chain and return it.

        Raises LedgerError when the run is closed or the data is not JSON (a bug of the
        caller), LedgerConflict when another writer appended to this run meanwhile.
        """
        with self._lock(run_id):
            return self._append(run_id, kind, data)

    def next_seq(self, run_id: str) -> int:
        """The ``seq`` the next entry of ``run_id`` will get (for one writer per run)."""
        with self._lock(run_id):
            state = self._heads.get(run_id)
            if state is not None:
                return state[0] + 1
            head = self.backend.head(run_id)
            return (head.count if head else 0) + 1

    def append_many(self, run_id: str, items: list[tuple[str, dict]]) -> list[Entry]:
        """Append several ``(kind, data)`` entries to ``run_id``'s chain in one backend
        transaction (all or none); returns them."""
        with self._lock(run_id):
            return self._append_many(run_id, items)

    def _append(self, run_id: str, kind: str, data: dict,
                status: Optional[int] = None) -> Entry:
        return self._append_many(run_id, [(kind, data)], status)[0]

    def _append_many(self, run_id: str, items: list[tuple[str, dict]],
                     status: Optional[int] = None) -> list[Entry]:
        state = self._heads.get(run_id)
        if state is None:
            head = self.backend.head(run_id)
            state = (head.count, head.hash, head.closed) if head else (0, GENESIS, False)
        count, prev, closed = state
        if closed:
            raise LedgerError(f"run {run_id}: the ledger is closed; nothing may follow the "
                              "closing entry")
        stamp = _now_iso(self.clock())
        entries = []
        for kind, data in items:
            count += 1
            body = {"v": 1, "run": run_id, "seq": count, "prev": prev, "kind": kind,
                    "time": stamp, "data": data}
            try:
                text, digest = entry_hash(body)
            except (TypeError, ValueError) as exc:
                raise LedgerError(f"run {run_id}: a {kind} entry is not JSON: {exc}", 27)
            entries.append(Entry(run_id, count, prev, digest, text))
            prev = digest
        is_close = items[-1][0] == "close"
        try:
            self.backend.append_many(entries, closed=is_close, status=status)
        except LedgerConflict:
            self._heads.pop(run_id, None)  # re-read the head next time
            raise
        self._heads[run_id] = (count, prev, is_close)
        return entries

    def close(self, run_id: str, status: int, **extra: Any) -> Entry:
        """Append the closing entry: it commits to the count of entries before it and the
        run's final ``status``; nothing may be appended to the run afterwards."""
        with self._lock(run_id):
            state = self._heads.get(run_id)
            if state is None:
                head = self.backend.head(run_id)
                state = (head.count, head.hash, head.closed) if head else (0, GENESIS, False)
            data = {"count": state[0], "status": status, **extra}
            return self._append(run_id, "close", data, status=status)

    def head(self, run_id: str) -> Optional[Head]:
        return self.backend.head(run_id)


# ---------------------------------------------------------------------------- verification
@dataclass(frozen=True)
class Problem:
    """One finding of verification: ``kind`` and the entry (``seq``/position) it names."""

    kind: str
    message: str
    seq: Optional[int] = None
    position: Optional[int] = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "message": self.message, "seq": self.seq,
                "position": self.position}


@dataclass
class Report:
    """The result of verifying one run's chain (or one export)."""

    run_id: str
    count: int = 0  # entries present
    root_hash: str = GENESIS
    closed: bool = False
    final_status: Optional[int] = None
    integrity: list[Problem] = field(default_factory=list)
    completeness: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> int:
        """0 when sound and complete (or open: a run still going), 22 for a broken chain,
        25 for a sound chain that is incomplete."""
        if self.integrity:
            return INTEGRITY_STATUS
        if self.completeness:
            return COMPLETENESS_STATUS
        return 0

    @property
    def state(self) -> str:
        if self.integrity:
            return "broken"
        if self.completeness:
            return "incomplete"
        return "verified" if self.closed else "open"

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "state": self.state, "status": self.status,
                "count": self.count, "root_hash": self.root_hash, "closed": self.closed,
                "final_status": self.final_status,
                "integrity": [p.to_json() for p in self.integrity],
                "completeness": [p.to_json() for p in self.completeness]}

    def text(self) -> str:
        """Human-readable lines: the state, then the first integrity and any completeness
        problem."""
        lines = [f"run {self.run_id}: {self.state} ({self.count} entries, root "
                 f"{self.root_hash[:16]})"]
        lines += [f"  integrity: {p.message}" for p in self.integrity]
        lines += [f"  completeness: {p.message}" for p in self.completeness]
        if not self.integrity:
            lines.append("  integrity: ok")
        if not self.completeness:
            lines.append("  completeness: " + ("ok (closed, status "
                                               f"{self.final_status})" if self.closed
                                               else "open (no closing entry yet)"))
        return "\n".join(lines)


# (position, seq column, hash column, body) where body is text (stored) or a dict (export)
Row = tuple[int, Any, Any, Any]


def verify_entries(run_id: str, rows: Sequence[Row], head: Optional[Head],
                   items: Optional[list] = None) -> Report:
    """Verify a run's rows in stored order against its ``head`` (None: not known).

    Stops at the first integrity problem (everything after it is unproven); completeness
    compares what verified with what the head commits to. ``items``, when given, receives
    for each object body (an export's) the canonical text of its export item
    ``{"body":...,"hash":...,"seq":...}`` as its row gave it, so that the caller can check
    the file's canonical form without encoding the bodies again (the text is right only
    for an entry that verified: then its hash is the digest and its seq an int).
    """
    report = Report(run_id)
    prev = GENESIS
    later = None  # seq -> position, built only when a reorder must be told from a gap
    closed_at = None
    approvals: list = []  # approval bodies: their signatures are re-checked at the end
    sha = hashlib.sha256
    loads = json.loads
    encode = canonical_text_of_parsed
    keep = items.append if items is not None else None
    done = 0
    for i, (pos, col_seq, col_hash, body) in enumerate(rows):
        expected = i + 1
        try:
            if type(body) is str:
                digest = sha(body.encode("utf-8")).hexdigest()
                parsed = loads(body)
            else:
                if type(body) is not dict:
                    raise TypeError("not an object")
                parsed = body
                text = encode(body)
                if keep is not None:
                    keep(f'{{"body":{text},"hash":"{col_hash}","seq":{col_seq}}}')
                digest = sha(text.encode("utf-8")).hexdigest()
            seq, link, kind = parsed["seq"], parsed["prev"], parsed["kind"]
            run = parsed["run"]
            if type(seq) is not int or not isinstance(link, str) or not isinstance(kind, str):
                raise TypeError("bad field types")
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeError, RecursionError):
            report.integrity.append(Problem("malformed", f"entry at position {pos} is not a "
                                            "well-formed ledger entry", col_seq, pos))
            break
        if closed_at is not None:
            report.integrity.append(Problem(
                "inserted", f"entry seq {seq} (position {pos}) follows the closing entry "
                f"seq {closed_at}: entries were added after the run closed", seq, pos))
            break
        if digest != col_hash:
            report.integrity.append(Problem(
                "edited", f"entry seq {seq} (position {pos}) was edited: its content hashes to "
                f"{digest[:16]}, not the recorded {str(col_hash)[:16]}", seq, pos))
            break
        if run != run_id:
            report.integrity.append(Problem(
                "inserted", f"entry seq {seq} (position {pos}) belongs to run {run!r}: it was "
                "inserted from another run", seq, pos))
            break
        if seq != expected or (col_seq is not None and (col_seq != seq
                                                        or type(col_seq) is not int)):
            if 0 < seq < expected:  # entries 1 to expected - 1 verified in order
                kind_, what = "inserted", (f"seq {seq} appears twice: an entry was inserted "
                                           f"at position {pos}")
            else:
                if later is None:
                    later = {}
                    for _, _, _, b in rows[i:]:
                        s = _seq_of(b)
                        if s is not None:
                            later.setdefault(s, True)
                if seq > expected and expected not in later:
                    kind_, what = "deleted", (f"entry seq {expected} is missing (position "
                                              f"{pos} holds seq {seq}): it was deleted")
                else:
                    kind_, what = "reordered", (f"position {pos} holds seq {seq} where seq "
                                                f"{expected} belongs: entries were reordered")
            report.integrity.append(Problem(kind_, what, seq, pos))
            break
        if link != prev:
            report.integrity.append(Problem(
                "inserted", f"entry seq {seq} (position {pos}) does not link to the entry "
                "before it: an entry was inserted or replaced here", seq, pos))
            break
        prev = digest
        done = seq
        if kind == "approval":
            approvals.append(parsed)
        elif kind == "close":
            data = parsed.get("data")
            if type(data) is not dict:  # a forged export: no count, so not the closing one
                data = {}
            if data.get("count") != seq - 1:
                report.integrity.append(Problem(
                    "edited", f"the closing entry seq {seq} commits to {data.get('count')} "
                    f"entries, but {seq - 1} precede it", seq, pos))
                break
            closed_at = seq
            report.closed = True
            report.final_status = data.get("status")
    report.count, report.root_hash = done, prev  # what verified (the last sound entry)
    if approvals and not report.integrity:
        from .signed import signature_problems

        for seq, problem in signature_problems(approvals)[:1]:
            report.integrity.append(Problem(
                "bad-signature", f"the approval in entry seq {seq} has a bad signature: "
                f"{problem}", seq, seq))
    if head is not None and not report.integrity:
        if report.count < head.count:
            if head.closed and not report.closed and report.count == head.count - 1:
                report.completeness.append(Problem(
                    "unclosed", f"the closing entry (seq {head.count}) is missing: the run "
                    "closed but its closing entry is gone", head.count))
            else:
                report.completeness.append(Problem(
                    "truncated", f"the tail is truncated: entries {report.count + 1} to "
                    f"{head.count} are missing (the head commits to {head.count} entries)",
                    report.count + 1))
        elif head.closed and not report.closed:
            report.completeness.append(Problem(
                "unclosed", "the run closed but its ledger has no closing entry",
                report.count + 1))
        elif report.count > head.count:
            # a sound chain longer than the head: entries appended without the head (an
            # export whose header was lowered, or rows written around the backend)
            report.integrity.append(Problem(
                "inserted", f"entries {head.count + 1} to {report.count} follow the last "
                f"entry the head commits to (seq {head.count}): they were added", head.count + 1))
        elif report.root_hash != head.hash:
            report.integrity.append(Problem(
                "edited", f"the last entry (seq {report.count}) is not the one the head "
                "commits to", report.count))
        elif report.closed and not head.closed:
            report.integrity.append(Problem(
                "edited", "the head says the run is open, but its closing entry is present",
                report.count))
    elif head is None and not report.integrity and rows:
        if not report.closed:
            report.completeness.append(Problem(
                "unclosed", "no closing entry and no head to tell an open run from a "
                "truncated one", report.count + 1))
    return report


def _seq_of(body) -> Optional[int]:
    try:
        parsed = json.loads(body) if isinstance(body, str) else body
        s = parsed["seq"]
        return s if type(s) is int else None
    except (ValueError, TypeError, KeyError):
        return None


def verify_run(backend: LedgerBackend, run_id: str) -> Report:
    """Verify ``run_id``'s chain in ``backend`` against the backend's head for it."""
    rows = [(i + 1, e.seq, e.hash, e.body) for i, e in enumerate(backend.entries(run_id))]
    return verify_entries(run_id, rows, backend.head(run_id))


# ---------------------------------------------------------------------------- export
def _header(run_id: str, bodies: list, head: Head) -> dict:
    """The header of an export of ``bodies``: policy digests are the distinct strings in
    first-seen order (a set beside the list: linear in the entries, however many)."""
    workflow, policies, seen = "", [], set()
    for b in bodies:
        data = b.get("data") if type(b) is dict else None
        if type(data) is not dict:
            continue
        if not workflow and b.get("kind") == "run":
            workflow = data.get("workflow_digest", "")
        digest = data.get("policy_digest")
        if digest and type(digest) is str and digest not in seen:
            seen.add(digest)
            policies.append(digest)
    return {"format": EXPORT_FORMAT, "version": 1, "run_id": run_id,
            "workflow_digest": workflow, "policy_digests": policies,
            "count": head.count, "root_hash": head.hash, "closed": head.closed,
            "status": head.status, "hash": "sha256", "canonical_json": CANONICAL_NOTE}


CANONICAL_NOTE = "sorted keys, UTF-8, separators (',', ':'), no NaN"


def export_run(backend: LedgerBackend, run_id: str) -> dict:
    """The evidence document of ``run_id``: header (run, workflow digest, policy digests,
    count, root hash, closed, final status) and every entry with its body as an object.

    Raises LedgerError when the run has no entries.
    """
    entries = backend.entries(run_id)
    head = backend.head(run_id)
    if not entries or head is None:
        raise LedgerError(f"no ledger entries for run '{run_id}'", 26)
    bodies = [e.parsed() for e in entries]
    doc = _header(run_id, bodies, head)
    doc["entries"] = [{"seq": e.seq, "hash": e.hash, "body": b}
                      for e, b in zip(entries, bodies)]
    return doc


def dump_export(doc: dict) -> bytes:
    """The bytes of an evidence file: canonical JSON and a newline (every byte counts:
    verification refuses a file that is not exactly this form of its content)."""
    return canonical_json(doc) + b"\n"


@gc_paused
def load_export(data: bytes) -> dict:
    """Parse an evidence file's bytes; LedgerError (status 26) when it is not one.

    The cyclic collector pauses while the parse builds a million small acyclic objects
    (it made a large export's verification twice as slow)."""
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LedgerError(f"not an evidence file: {exc}", UNREADABLE_STATUS)
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT \
            or not isinstance(doc.get("entries"), list) or not isinstance(doc.get("run_id"), str):
        raise LedgerError("not an evidence file (format, run_id or entries missing)",
                          UNREADABLE_STATUS)
    return doc


def _no_constant(name):
    raise ValueError(f"{name} is not valid in an evidence file")


_ITEM_KEYS = frozenset(("seq", "hash", "body"))


@gc_paused
def verify_export(doc: dict, raw: Optional[bytes] = None) -> Report:
    """Verify an evidence document offline (no database): the chain of its entries against
    the count, root hash and closed flag its header declares, every header field against
    the entries, and (given the file's ``raw`` bytes) that the file is canonical."""
    entries = doc["entries"]
    rows = [(i, item.get("seq"), item.get("hash"), item.get("body")) if type(item) is dict
            else (i, None, None, None) for i, item in enumerate(entries, 1)]
    # position of the first entry whose keys are not seq, hash and body
    bad_keys = next((i for i, item in enumerate(entries, 1)
                     if type(item) is not dict or item.keys() != _ITEM_KEYS), None)
    count, root, closed = doc.get("count"), doc.get("root_hash"), doc.get("closed")
    head = None
    if type(count) is int and isinstance(root, str) and isinstance(closed, bool):
        head = Head(count, root, closed, doc.get("status"))
    pieces: list[str] = []
    report = verify_entries(doc["run_id"], rows, head, pieces)
    if report.integrity:
        return report
    if head is None:
        report.integrity.append(Problem("malformed", "the header's count, root_hash or "
                                        "closed is missing or of the wrong type"))
        return report
    if bad_keys is not None:
        report.integrity.append(Problem("malformed", f"entry at position {bad_keys} has "
                                        "keys other than seq, hash and body", None, bad_keys))
        return report
    if report.closed and report.final_status != head.status:
        report.integrity.append(Problem("edited", "the header's status is not the one the "
                                        "closing entry commits to", report.count))
        return report
    want = _header(doc["run_id"], [item["body"] for item in entries], head)
    got = {k: v for k, v in doc.items() if k != "entries"}
    for key in sorted(set(want) | set(got)):
        if key not in got or key not in want or got[key] != want[key] \
                or type(got[key]) is not type(want[key]):
            report.integrity.append(Problem("edited", f"the header field {key!r} does not "
                                            "match the entries"))
            return report
    if raw is not None and raw != _export_bytes(doc, pieces):
        report.integrity.append(Problem("reformatted", "the evidence file is not in the "
                                        "canonical form it was exported in (reformatted or "
                                        "edited outside any value)"))
    return report


def _export_bytes(doc: dict, pieces: list[str]) -> bytes:
    """``dump_export(doc)``, built from the canonical ``pieces`` of its entries that
    verification has already encoded (one encoding of each body, not two)."""
    if len(pieces) != len(doc["entries"]):
        return dump_export(doc)
    # the header's fields and the entries, in key order as sort_keys puts them
    fields = sorted([(k, v) for k, v in doc.items() if k != "entries"] + [("entries", None)],
                    key=lambda kv: kv[0])
    text = ",".join(f'"entries":[{",".join(pieces)}]' if k == "entries" else
                    f"{canonical_json(k).decode()}:{canonical_json(v).decode()}"
                    for k, v in fields)
    return ("{" + text + "}\n").encode("utf-8")


def iter_bodies(backend: LedgerBackend, run_ids: Optional[Iterable[str]] = None):
    """(run id, entry body) for every entry of ``run_ids`` (default: every run)."""
    for run_id in (run_ids if run_ids is not None else backend.runs()):
        for e in backend.entries(run_id):
            yield run_id, e.parsed()
