"""Sign workflow files in place: replace any header with one fresh block, write atomically.

Signing keeps the file's newline style and BOM (aether.fileio.encode_like) and writes
through aether.fileio.write_atomic, refusing a link met while searching a folder exactly
as ``aether fmt`` does (docs/security.md). A reference ``# @signature:`` header or an
older block at the top is replaced; a signature line anywhere else stops the file from
being signed (it would be a moved block), as does a file that cannot be read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional, Sequence

from ..fileio import WriteError, encode_like, write_atomic
from ..source import DEFAULT_MAX_FILE_SIZE, read_source
from . import NAMESPACE
from .block import Block, global_message, make_trusted_comment, parse_layout, render_block
from .keys import SigningKey
from .payload import format_time, message

__all__ = ["SignError", "SignOutcome", "sign_text", "sign_bytes", "sign_files"]


class SignError(Exception):
    """A file that cannot be signed: ``code`` is its status, ``message`` one line."""

    def __init__(self, code: int, message: str, line: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line


@dataclass
class SignOutcome:
    """What signing one file did: ``state`` ``signed``, ``unchanged`` or ``error``."""

    display: str
    state: str
    code: int = 0
    message: str = ""
    line: Optional[int] = None


def sign_text(text: str, key: SigningKey, file_name: str, *, note: str = "",
              now: Optional[datetime] = None, namespace: str = NAMESPACE) -> str:
    """``text`` (decoded, ``\\n`` newlines, no BOM) with one fresh signature block at the
    top in place of any header there. Raises SignError (22) when a signature line sits
    below the top, ValueError for a note that cannot be a trusted comment."""
    layout = parse_layout(text)
    for problem in layout.problems:
        if problem.rule == "AE511":
            raise SignError(22, "a signature line below the top of the file; delete it "
                            "before signing", problem.line)
    content = layout.content
    comment = make_trusted_comment(format_time(now or datetime.now(timezone.utc)),
                                   os.path.basename(file_name), key.public.comment, note)
    sig = key.sign(message(namespace, key.keyid, content.encode("utf-8")))
    gsig = key.sign(global_message(sig, comment))
    return render_block(Block("v1", namespace, key.keyid, comment, sig, gsig)) + content


def sign_bytes(data: bytes, key: SigningKey, file_name: str, *, note: str = "",
               now: Optional[datetime] = None, max_size: int = DEFAULT_MAX_FILE_SIZE,
               namespace: str = NAMESPACE) -> bytes:
    """The signed form of a file's raw ``data``, in its newline style and with its BOM.
    Raises SignError (26 for bytes that are not a readable text file)."""
    from ..source import decode_source

    decoded = decode_source(data, max_size)
    if decoded.error is not None:
        raise SignError(26, decoded.error.message, decoded.error.line)
    return encode_like(data, sign_text(decoded.text or "", key, file_name, note=note,
                                       now=now, namespace=namespace))


def _sign_one(path: str, display: str, explicit: bool, key: SigningKey, note: str,
              now: datetime, max_size: int) -> SignOutcome:
    read = read_source(path, max_size)
    if read.error is not None:
        return SignOutcome(display, "error", int(read.error.status), read.error.message,
                           read.error.line)
    data = read.data or b""
    try:
        new = sign_bytes(data, key, path, note=note, now=now, max_size=max_size)
    except SignError as exc:
        return SignOutcome(display, "error", exc.code, exc.message, exc.line)
    if new == data:
        return SignOutcome(display, "unchanged")
    try:
        write_atomic(path, new, expect=data, follow_links=explicit)
    except WriteError as exc:
        return SignOutcome(display, "error", 26, exc.reason)
    return SignOutcome(display, "signed")


_CHUNK = 32
_KEY: dict = {}  # the key of a bulk run, inherited by forked workers (never pickled)


def _sign_at(work: tuple, n: int) -> SignOutcome:
    """The outcome of signing file ``n`` of ``work`` (todo, note, now, max_size) with the
    key of :data:`_KEY` (in a worker: the one the fork inherited)."""
    todo, note, now, max_size = work
    path, display, explicit = todo[n]
    return _sign_one(path, display, explicit, _KEY["key"], note, now, max_size)


def sign_files(files: Sequence, key: SigningKey, *, note: str = "",
               now: Optional[datetime] = None, jobs: int = 1,
               max_size: int = DEFAULT_MAX_FILE_SIZE) -> list[SignOutcome]:
    """Sign ``files`` (aether.walk.SourceFile) in place, in ``jobs`` forked workers when
    there are enough; outcomes in input order. Every file gets the same signing time.
    Raises ValueError for a note that cannot be a trusted comment (before any write)."""
    now = now or datetime.now(timezone.utc)
    make_trusted_comment(format_time(now), "x", "", note)  # refuse a bad note up front
    todo = [(f.path, f.display, f.explicit) for f in files]
    _KEY["key"] = key
    work = (todo, note, now, max_size)
    try:
        if jobs <= 1 or len(todo) <= _CHUNK:
            return [_sign_at(work, n) for n in range(len(todo))]
        from ..workers import can_fork, run_ranges

        if not can_fork():  # the key is never pickled (to a spawned worker)
            return [_sign_at(work, n) for n in range(len(todo))]

        out: list = []

        # forked with the signals held, never hanging after a Ctrl-C (see aether.workers).
        # Ranges come back in order, each whole, or run_ranges raises (a dead worker: a
        # WorkerError naming the file): no outcome can be missing from the list
        ranges = [(k, min(k + _CHUNK, len(todo))) for k in range(0, len(todo), _CHUNK)]
        run_ranges(work, len(todo), ranges, _sign_at,
                   lambda _start, answers: out.extend(answers), jobs, what="signing",
                   doing="signing", label=lambda n: todo[n][1])
        return out
    finally:
        _KEY.clear()
