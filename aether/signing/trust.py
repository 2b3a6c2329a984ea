"""Who is trusted to sign: the allowed-signers file and the revocation list.

``.aether/allowed_signers`` (in the project root, or ``--allowed-signers FILE``, or the
``allowed-signers`` configuration key) has one key a line, as git's SSH signing has it::

    PRINCIPAL aether-ed25519 BASE64 KEYID [comment] [valid-after=YYYY-MM-DD] [valid-before=YYYY-MM-DD]

``#`` starts a comment line. ``valid-after`` is inclusive and ``valid-before`` exclusive,
both at 00:00 UTC; the time a signature was made (from its signed trusted comment) must
fall inside. ``.aether/revoked_keys`` (or ``--revoked-keys`` / ``revoked-keys``) lists key
ids or public key lines; a revoked key is refused whatever allowed_signers says. A file
that cannot be used is a :class:`TrustError` naming the file and line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Optional

from .keys import KEY_TYPE, KeyFileError, PublicKey, parse_public_line

__all__ = ["TrustError", "AllowedSigner", "Trust", "load_trust", "trust_paths",
           "DEFAULT_ALLOWED", "DEFAULT_REVOKED"]

DEFAULT_ALLOWED = os.path.join(".aether", "allowed_signers")
DEFAULT_REVOKED = os.path.join(".aether", "revoked_keys")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYID = re.compile(r"^[0-9a-f]{16}$")
_PRINCIPAL = re.compile(r"^[^\s#\"'=]{1,200}$")
_MAX_BYTES = 16 * 1024 * 1024


class TrustError(Exception):
    """A trusted-signers or revocation file that cannot be used (message: file:line: why)."""


@dataclass(frozen=True)
class AllowedSigner:
    """One line of allowed_signers."""

    principal: str
    key: PublicKey
    valid_after: Optional[date] = None
    valid_before: Optional[date] = None
    source: str = ""
    line: int = 0

    def valid_at(self, when: datetime) -> bool:
        """Whether a signature made at ``when`` (aware) falls inside the validity window."""
        if self.valid_after is not None and when < _midnight(self.valid_after):
            return False
        if self.valid_before is not None and when >= _midnight(self.valid_before):
            return False
        return True

    def window(self) -> str:
        after = self.valid_after.isoformat() if self.valid_after else "any time"
        before = self.valid_before.isoformat() if self.valid_before else "no end"
        return f"valid from {after} until {before}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


@dataclass(frozen=True)
class Trust:
    """The trusted signers and revoked key ids in force for one run."""

    signers: tuple[AllowedSigner, ...] = ()
    revoked: frozenset[str] = frozenset()
    sources: tuple[str, ...] = field(default_factory=tuple)  # the files read

    def candidates(self, keyid: str) -> list[AllowedSigner]:
        """The allowed-signers entries for ``keyid`` (several windows may share a key)."""
        return [s for s in self.signers if s.key.keyid == keyid]

    def is_revoked(self, keyid: str) -> bool:
        return keyid in self.revoked


def _read_lines(path: str, what: str) -> list[str]:
    from ..readfile import DocumentReadError, read_document

    try:  # a link is read as its target; a FIFO (which waited forever) or device refused
        data = read_document(path, _MAX_BYTES)
    except DocumentReadError as exc:
        if exc.missing:
            raise TrustError(f"{path}: no such {what} file") from None
        if "limit" in exc.reason:
            raise TrustError(f"{path}: larger than 16 MiB; not a {what} file") from None
        raise TrustError(f"{path}: cannot read the {what} file: it {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TrustError(f"{path}:{line}: not valid UTF-8") from None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _parse_date(value: str, where: str, option: str) -> date:
    if not _DATE.match(value):
        raise TrustError(f"{where}: {option} must be YYYY-MM-DD, found '{value[:40]}'")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TrustError(f"{where}: {option}={value} is not a calendar date") from None


def parse_allowed_signers(path: str) -> list[AllowedSigner]:
    """The entries of the allowed-signers file ``path``. Raises TrustError."""
    out = []
    for number, raw in enumerate(_read_lines(path, "allowed-signers"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        parts = line.split()
        if len(parts) < 4 or parts[1] != KEY_TYPE:
            raise TrustError(f"{where}: expected 'PRINCIPAL {KEY_TYPE} BASE64 KEYID [comment] "
                             "[valid-after=YYYY-MM-DD] [valid-before=YYYY-MM-DD]'")
        principal = parts[0]
        if not _PRINCIPAL.match(principal):
            raise TrustError(f"{where}: '{principal[:40]}' is not a principal "
                             "(one word, such as alice@example.com)")
        options: dict[str, date] = {}
        comment = []
        for token in parts[4:]:
            name, eq, value = token.partition("=")
            if eq and name in ("valid-after", "valid-before"):
                if name in options:
                    raise TrustError(f"{where}: {name} given twice")
                options[name] = _parse_date(value, where, name)
            elif eq and re.match(r"^[a-z-]+$", name) and name.startswith("valid"):
                raise TrustError(f"{where}: unknown option '{name}' (valid-after, "
                                 "valid-before)")
            else:
                comment.append(token)
        try:
            key = parse_public_line(" ".join(parts[1:4] + comment))
        except KeyFileError as exc:
            raise TrustError(f"{where}: {exc}") from None
        after, before = options.get("valid-after"), options.get("valid-before")
        if after is not None and before is not None and after >= before:
            raise TrustError(f"{where}: valid-after {after} is not before valid-before "
                             f"{before}")
        out.append(AllowedSigner(principal, key, after, before, path, number))
    return out


def parse_revoked(path: str) -> set[str]:
    """The key ids the revocation file ``path`` lists. Raises TrustError."""
    out = set()
    for number, raw in enumerate(_read_lines(path, "revoked-keys"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if _KEYID.match(line):
            out.add(line)
            continue
        if line.startswith(KEY_TYPE + " "):
            try:
                out.add(parse_public_line(line).keyid)
            except KeyFileError as exc:
                raise TrustError(f"{path}:{number}: {exc}") from None
            continue
        raise TrustError(f"{path}:{number}: expected a key id (16 hex digits) or a public "
                         f"key line '{KEY_TYPE} BASE64 KEYID [comment]'")
    return out


def trust_paths(root: str, allowed: Optional[str] = None, revoked: Optional[str] = None,
                configured_allowed: Optional[str] = None,
                configured_revoked: Optional[str] = None
                ) -> tuple[str, bool, str, bool]:
    """``(allowed path, required, revoked path, required)``: the command line's files
    first, then the configuration's (relative to ``root``), then the defaults under
    ``root/.aether``. A file named on the command line or in the configuration must
    exist; a default one may be missing (no trusted signers, nothing revoked)."""
    def pick(given, configured, default):
        if given:
            return given, True
        if configured:
            return (configured if os.path.isabs(configured)
                    else os.path.join(root, configured)), True
        return os.path.join(root, default), False

    a, a_req = pick(allowed, configured_allowed, DEFAULT_ALLOWED)
    r, r_req = pick(revoked, configured_revoked, DEFAULT_REVOKED)
    return a, a_req, r, r_req


def load_trust(allowed_path: Optional[str], revoked_path: Optional[str] = None,
               allowed_required: bool = True, revoked_required: bool = True) -> Trust:
    """The trust in force: the signers of ``allowed_path`` and the key ids revoked by
    ``revoked_path``. A path that is None, or missing while not required, contributes
    nothing. Raises TrustError."""
    signers: list[AllowedSigner] = []
    revoked: set[str] = set()
    sources = []
    if allowed_path and (allowed_required or os.path.lexists(allowed_path)):
        signers = parse_allowed_signers(allowed_path)
        sources.append(allowed_path)
    if revoked_path and (revoked_required or os.path.lexists(revoked_path)):
        revoked = parse_revoked(revoked_path)
        sources.append(revoked_path)
    return Trust(tuple(signers), frozenset(revoked), tuple(sources))
