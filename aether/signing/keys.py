"""Ed25519 key pairs: generation, the one-line public key format, and the private key file.

A public key is one line ``aether-ed25519 <base64 raw key> <key id> <comment>``; the key
id is the first 16 hex digits of SHA-256 over the 32 raw public-key bytes, so it names a
key in messages, signature blocks and the revocation list. The private key file is PKCS#8
PEM (encrypted with the passphrase when one is given), after one line
``aether-ed25519-private <key id> <comment>`` that names it. Key files are created with
mode 0600 and never overwrite anything (:func:`aether.fileio.create_new`: O_CREAT | O_EXCL |
O_NOFOLLOW).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Optional

__all__ = ["KEY_TYPE", "PRIVATE_TYPE", "KeyFileError", "PublicKey", "SigningKey", "key_id",
           "generate", "parse_public_line", "load_signing_key", "write_key_pair",
           "key_file_warning", "MAX_KEY_FILE",
           "private_key_bytes", "clean_comment"]

KEY_TYPE = "aether-ed25519"
PRIVATE_TYPE = "aether-ed25519-private"
_KEYID = re.compile(r"^[0-9a-f]{16}$")


class KeyFileError(Exception):
    """A key file or public key line that cannot be used; the message is one line."""


def key_id(raw_public: bytes) -> str:
    """The key id of a raw 32-byte public key: 16 lowercase hex digits."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def clean_comment(text: str) -> str:
    """A key comment made safe for one line: control characters become spaces, runs of
    whitespace one space."""
    return " ".join("".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in text).split())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64_strict(text: str, size: int) -> Optional[bytes]:
    """The bytes of canonical base64 ``text`` that decode to exactly ``size`` bytes, else
    None. Canonical: re-encoding gives the same text, so no two texts mean one value (a
    flipped unused bit of the last character would otherwise go unnoticed)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != size or b64(raw) != text:
        return None
    return raw


@dataclass(frozen=True)
class PublicKey:
    """A public key with its id and comment."""

    raw: bytes
    comment: str = ""

    @property
    def keyid(self) -> str:
        return key_id(self.raw)

    def line(self) -> str:
        """The one-line form written to ``KEY.pub`` and read from allowed_signers."""
        tail = f" {self.comment}" if self.comment else ""
        return f"{KEY_TYPE} {b64(self.raw)} {self.keyid}{tail}"

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``data``."""
        from cryptography.exceptions import InvalidSignature

        try:
            _loaded(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@functools.lru_cache(maxsize=256)
def _loaded(raw: bytes):
    """The ``cryptography`` object of a raw public key, made once per key (verifying
    thousands of files with one key would otherwise rebuild it twice per file)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw)


def parse_public_line(text: str) -> PublicKey:
    """The key of a public key line (``aether-ed25519 BASE64 KEYID [comment]``).

    Raises KeyFileError saying what is wrong (another key type, bad base64, a key id
    that does not belong to the key).
    """
    parts = text.strip().split(None, 3)
    if len(parts) < 3:
        raise KeyFileError(f"a public key line is '{KEY_TYPE} BASE64 KEYID [comment]'")
    kind, encoded, kid = parts[:3]
    if kind != KEY_TYPE:
        raise KeyFileError(f"unknown key type '{kind[:40]}' (expected {KEY_TYPE})")
    raw = b64_strict(encoded, 32)
    if raw is None:
        raise KeyFileError("the public key is not 32 bytes of base64")
    if not _KEYID.match(kid) or kid != key_id(raw):
        raise KeyFileError(f"key id '{kid[:40]}' does not belong to this key "
                           f"(its id is {key_id(raw)})")
    return PublicKey(raw, parts[3].strip() if len(parts) > 3 else "")


class SigningKey:
    """A private key (held by ``cryptography``) and its public key."""

    def __init__(self, private, comment: str = "") -> None:
        from cryptography.hazmat.primitives import serialization

        self._private = private
        raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
        self.public = PublicKey(raw, clean_comment(comment))

    @property
    def keyid(self) -> str:
        return self.public.keyid

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self._private.sign(data)

    def raw_private(self) -> bytes:
        """The 32 private bytes (to hand the key to worker processes, never to disk)."""
        return private_key_bytes(self._private)

    @classmethod
    def from_raw(cls, raw: bytes, comment: str = "") -> "SigningKey":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(Ed25519PrivateKey.from_private_bytes(raw), comment)


def private_key_bytes(private) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())


def generate(comment: str = "") -> SigningKey:
    """A new random key pair."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return SigningKey(Ed25519PrivateKey.generate(), comment)


def _private_file_bytes(key: SigningKey, passphrase: Optional[bytes]) -> bytes:
    from cryptography.hazmat.primitives import serialization

    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    pem = key._private.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8, encryption)
    head = f"{PRIVATE_TYPE} {key.keyid} {key.public.comment}".rstrip() + "\n"
    return head.encode("utf-8") + pem


def _create_key_file(path: str, data: bytes, mode: int) -> None:
    """Create ``path`` with exactly ``mode`` holding ``data``, fsynced; never an existing
    name, never through a link, no cut-short file left on failure (a part-written key
    would be refused as "already exists" by the next keygen and fail to load). Raises
    KeyFileError."""
    from ..fileio import WriteError, create_new

    try:
        created = create_new(path, data, mode, fsync=True)
    except WriteError as exc:
        raise KeyFileError(str(exc)) from None
    if not created:
        raise KeyFileError(f"{path} already exists; a key file is never overwritten")


def write_key_pair(path: str, key: SigningKey, passphrase: Optional[bytes] = None) -> str:
    """Write the private key to ``path`` (mode 0600) and the public line to ``path.pub``;
    returns the public key file's path. Neither may exist (both are checked before either
    is written). Raises KeyFileError."""
    pub_path = path + ".pub"
    for name in (path, pub_path):
        if os.path.lexists(name):
            raise KeyFileError(f"{name} already exists; a key file is never overwritten")
    _create_key_file(path, _private_file_bytes(key, passphrase), 0o600)
    try:
        _create_key_file(pub_path, (key.public.line() + "\n").encode("utf-8"), 0o644)
    except KeyFileError:
        os.unlink(path)  # a private key without its public half helps nobody
        raise
    return pub_path


#: A private key file is about 200 bytes; anything over 64 KiB is not one.
MAX_KEY_FILE = 1 << 16


def key_file_warning(path: str) -> Optional[str]:
    """A warning when the private key file ``path`` may be read by other users (group or
    other permission bits set, as ssh refuses), else None. A warning, not a refusal: the
    key may be encrypted, and the signature it makes is as good either way."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if mode & 0o077:
        return (f"{path} can be read by other users (mode {mode & 0o777:04o}); a private key "
                f"should be 0600: chmod 600 {path}")
    return None


def load_signing_key(path: str, passphrase: Optional[bytes] = None) -> SigningKey:
    """The key in the private key file ``path``.

    Raises KeyFileError for a missing or unreadable file, a file that is not an aether
    Ed25519 private key, an encrypted key without ``passphrase`` or a wrong passphrase.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ..readfile import DocumentReadError, read_document

    try:  # a regular file only: a FIFO waited forever for a writer
        data = read_document(path, MAX_KEY_FILE)
    except DocumentReadError as exc:
        raise KeyFileError(f"cannot read the key {path}: it {exc}") from None
    head, _, pem = data.partition(b"\n")
    try:
        head_text = head.decode("utf-8")
    except UnicodeDecodeError:
        head_text = ""
    parts = head_text.split(None, 2)
    if len(parts) < 2 or parts[0] != PRIVATE_TYPE:
        raise KeyFileError(f"{path} is not an aether private key (made by `aether keygen`)")
    comment = parts[2] if len(parts) > 2 else ""
    encrypted = b"ENCRYPTED PRIVATE KEY" in pem
    if encrypted and not passphrase:
        raise KeyFileError(f"{path} is encrypted: pass --passphrase-env VAR")
    try:
        private = serialization.load_pem_private_key(pem, passphrase if encrypted else None)
    except (ValueError, TypeError):
        if encrypted:
            raise KeyFileError(f"cannot decrypt {path}: wrong passphrase") from None
        raise KeyFileError(f"{path} holds no readable private key") from None
    except Exception as exc:  # noqa: BLE001 - the backend's own errors: one line, no trace
        raise KeyFileError(f"cannot read the key {path}: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key")
    key = SigningKey(private, comment)
    if parts[1] != key.keyid:
        raise KeyFileError(f"{path} names key id {parts[1][:40]}, but its key's id is "
                           f"{key.keyid}")
    return key
