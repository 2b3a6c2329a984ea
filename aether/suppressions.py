"""The suppression list: a file of finding fingerprints that are accepted for now.

Distinct from inline ``# aether: ignore`` comments (:mod:`aether.suppress`): the list lives
beside the code, in ``.aether/suppressions.txt`` and/or the reference location
``.aetherra/workflow_suppressions.txt``. Format, one entry per line (a line ends at LF,
CRLF or CR only)::

    # comment line
    3f9a0c1d2e4b5a67  owner=ops expires=2026-03-31  # awaiting plugin migration
    a1b2c3d4e5f67890  deprecated goal syntax

The first word is a fingerprint (16 hex digits, the default formula or the reference one);
then optional ``owner=NAME`` and ``expires=YYYY-MM-DD`` words; everything else, and
everything after a ``#`` that follows whitespace, is a comment. An entry is valid through
its ``expires`` day; an expired entry suppresses nothing (and fails the gate). A finding
matched by an entry is reported as ``Suppressed-<Category>`` and counted separately.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

if TYPE_CHECKING:  # datetime is imported where used: `aether check` loads this module
    from datetime import date

from .codes import Status, category_of
from .readfile import DocumentReadError, read_document

__all__ = ["DEFAULT_FILES", "Entry", "SuppressionList", "SuppressionListError",
           "lines_of", "parse_text", "load", "discover", "suppressed_category", "prune_text",
           "fingerprints_of", "plan_prune", "split_findings"]

# Searched in this order under the project root; every one present is read.
DEFAULT_FILES = (".aether/suppressions.txt", ".aetherra/workflow_suppressions.txt")

_FINGERPRINT = re.compile(r"^[0-9a-fA-F]{16}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KNOWN_KEYS = ("owner", "expires")


class SuppressionListError(Exception):
    """A suppression file that cannot be used (unreadable, or a malformed entry)."""


@dataclass(frozen=True)
class Entry:
    """One line of a suppression file that names a fingerprint."""

    fingerprint: str  # lower-case hex
    file: str
    line: int
    owner: Optional[str] = None
    expires: Optional[date] = None
    comment: str = ""

    def expired(self, today: date) -> bool:
        """True once ``today`` is after the ``expires`` day (an entry is valid through it)."""
        return self.expires is not None and today > self.expires

    def to_dict(self) -> dict:
        return {"fingerprint": self.fingerprint, "file": self.file, "line": self.line,
                "owner": self.owner,
                "expires": self.expires.isoformat() if self.expires else None,
                "comment": self.comment}


# A line with its end: LF, CRLF or CR, where git, diffs and editors end a line. Not
# str.splitlines, which also breaks at a form feed, \x1c-\x1e, NEL, U+2028 and U+2029: an
# entry after one of those in a comment would be read, while a reviewer sees a comment.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def lines_of(text: str, keepends: bool = False) -> list[str]:
    """The lines of ``text`` (see :data:`_LINE`), with their ends or without."""
    found = _LINE.findall(text)
    return found if keepends else [line.rstrip("\r\n") for line in found]


def _strip_comment(text: str) -> str:
    """``text`` without an inline comment (a ``#`` at the start or after whitespace)."""
    for i, ch in enumerate(text):
        if ch == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i]
    return text


def parse_text(text: str, file: str = "<suppressions>") -> list[Entry]:
    """The entries of one suppression file's text.

    Raises SuppressionListError naming ``file:line`` for a first word that is not a
    fingerprint, an unknown ``key=value`` word or a bad ``expires`` date.
    """
    entries: list[Entry] = []
    for number, raw in enumerate(lines_of(text), start=1):
        body = _strip_comment(raw).strip()
        if not body:
            continue
        comment = raw[len(_strip_comment(raw)):].lstrip("#").strip()
        words = body.split()
        fp = words[0]
        if not _FINGERPRINT.match(fp):
            # repr: the word is the repository's text, and may hold escape sequences
            raise SuppressionListError(
                f"{file}:{number}: {fp!r} is not a fingerprint (16 hex digits)")
        owner: Optional[str] = None
        expires: Optional[date] = None
        extra: list[str] = []
        for word in words[1:]:
            key, sep, value = word.partition("=")
            if not sep or not re.fullmatch(r"[A-Za-z_]+", key):
                extra.append(word)
                continue
            if key not in _KNOWN_KEYS:
                raise SuppressionListError(
                    f"{file}:{number}: unknown key '{key}' (known: owner=NAME, "
                    "expires=YYYY-MM-DD)")
            if key == "owner":
                if not value:
                    raise SuppressionListError(f"{file}:{number}: owner= needs a name")
                owner = value
            else:
                if not _DATE.match(value):
                    raise SuppressionListError(
                        f"{file}:{number}: expires={value!r} is not a YYYY-MM-DD date")
                try:
                    from datetime import date

                    expires = date.fromisoformat(value)
                except ValueError:
                    raise SuppressionListError(
                        f"{file}:{number}: expires={value} is not a real date") from None
        text_comment = " ".join(extra + ([comment] if comment else []))
        entries.append(Entry(fp.lower(), file, number, owner, expires, text_comment))
    return entries


@dataclass
class SuppressionList:
    """Entries from every suppression file read, with fast lookup by fingerprint."""

    entries: list[Entry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Every entry per fingerprint, in file order: a duplicate that has expired must
        # not hide a later one that is still valid.
        self._by_fp: dict[str, list[Entry]] = {}
        for e in self.entries:
            self._by_fp.setdefault(e.fingerprint, []).append(e)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def match(self, fingerprint: str, legacy_fingerprint: str = "",
              today: Optional[date] = None) -> Optional[Entry]:
        """The entry suppressing a finding with these fingerprints, or None.

        The default fingerprint is tried first; of several entries for one fingerprint the
        first valid one in file order is returned. Expired entries (when ``today`` is
        given) suppress nothing.
        """
        if not self._by_fp:
            return None
        for fp in (fingerprint, legacy_fingerprint):
            for entry in self._by_fp.get(fp, ()) if fp else ():
                if today is None or not entry.expired(today):
                    return entry
        return None

    def expired(self, today: date) -> list[Entry]:
        """Entries past their ``expires`` day, in file order."""
        return [e for e in self.entries if e.expired(today)]

    def unmatched(self, fingerprints: Iterable[str]) -> list[Entry]:
        """Entries whose fingerprint is not among ``fingerprints`` (either formula)."""
        present = set(fingerprints)
        return [e for e in self.entries if e.fingerprint not in present]


def split_findings(findings: Iterable, slist: Optional[SuppressionList], today: date):
    """``(active, listed)``: findings the list does not match, and ``(finding, entry)`` pairs.

    For any tool that applies the list to check results (baseline, gate, check output).
    """
    if not slist:
        return list(findings), []
    active, listed = [], []
    for f in findings:
        entry = slist.match(f.fingerprint, f.legacy_fingerprint, today)
        if entry is None:
            active.append(f)
        else:
            listed.append((f, entry))
    return active, listed


def discover(root: str) -> list[str]:
    """The suppression files present under ``root`` (see DEFAULT_FILES), as display paths.

    Anything at one of those names counts, not only a regular file: a FIFO, a folder or a
    dangling link there is then reported by :func:`load` (one clear error) instead of being
    skipped as if no list existed, which would unsuppress findings in silence."""
    from .walk import display_path

    return [display_path(os.path.join(root, rel)) for rel in DEFAULT_FILES
            if os.path.lexists(os.path.join(root, rel))]


def load(paths: Sequence[str]) -> SuppressionList:
    """Read the suppression files ``paths``.

    Raises SuppressionListError when one cannot be read or has a malformed entry.
    """
    entries: list[Entry] = []
    for path in paths:
        try:
            text = read_document(path).decode("utf-8-sig")
        except DocumentReadError as exc:
            raise SuppressionListError(
                f"cannot read suppression file {path}: it {exc}") from None
        except UnicodeDecodeError:
            raise SuppressionListError(f"suppression file {path} is not UTF-8 text") from None
        entries.extend(parse_text(text, path))
    return SuppressionList(entries, list(paths))


def suppressed_category(code_name: str) -> str:
    """``Suppressed-<Category>`` for a status name (``Suppressed-ParseError``...)."""
    try:
        return "Suppressed-" + category_of(Status[code_name])
    except KeyError:
        return "Suppressed-Other"


def prune_text(text: str, drop_lines: Iterable[int]) -> str:
    """``text`` without the (1-based) lines ``drop_lines``; everything else kept byte for byte."""
    drop = set(drop_lines)
    lines = lines_of(text, keepends=True)
    return "".join(line for n, line in enumerate(lines, start=1) if n not in drop)


def fingerprints_of(results) -> set[str]:
    """Both fingerprints of every finding (active or inline-suppressed) in FileResults."""
    out: set[str] = set()
    for r in results:
        for f in (*r.findings, *r.suppressed):
            out.add(f.fingerprint)
            out.add(f.legacy_fingerprint)
    return out


def plan_prune(slist: SuppressionList, present: set[str]) -> dict[str, list[Entry]]:
    """Per suppression file, the entries to drop: those matching no fingerprint in ``present``.

    Expired entries that still match something are kept (pruning only removes dead
    entries; expiry is the gate's business).
    """
    plan: dict[str, list[Entry]] = {f: [] for f in slist.files}
    for e in slist.unmatched(present):
        plan.setdefault(e.file, []).append(e)
    return plan
