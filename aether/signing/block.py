"""The signature block of a workflow file: where it is, how it is written, what it covers.

A signed file starts with four comment lines (docs/signing.md)::

    # @aether-signature v1 ns=aether-workflow keyid=<16 hex>
    # @trusted-comment: time=<UTC ISO-8601> file=<name> signer=<key comment>
    # @sig: <base64 Ed25519 signature of the content message>
    # @global-sig: <base64 Ed25519 signature of sig + trusted comment>

The *content* is the file's text after those lines, read as the checker reads it: UTF-8,
a leading BOM dropped, CRLF and CR newlines as LF. Nothing else is normalised (trailing
whitespace, a missing final newline, every other byte count). Lines that start like a
block line (``# @aether-signature``, ``# @trusted-comment``, ``# @sig``,
``# @global-sig``, the reference's ``# @signature``) are reserved: found anywhere but in
one block at the very top, they are a moved or duplicated block. This module only reads
and writes that layout; verifying is :mod:`aether.signing.verify`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import quote, unquote

from .keys import b64, b64_strict

__all__ = ["Block", "Layout", "Problem", "parse_layout", "render_block", "global_message",
           "parse_trusted_comment", "make_trusted_comment", "quote_field", "BLOCK_LINES",
           "starts_with_block", "file_starts_with_block", "MARK"]

BLOCK_LINES = 4
MARK = re.compile(r"^[ \t]*#[ \t]*@(aether-signature|trusted-comment|global-sig|signature|sig)"
                  r"(?![\w-])")
_MARK_ANYWHERE = re.compile(MARK.pattern, re.M)  # MARK at any line start
_HEAD = re.compile(r"^# @aether-signature (v\d+) ns=([A-Za-z0-9._-]{1,64}) keyid=([0-9a-f]{16})$")
_COMMENT = re.compile(r"^# @trusted-comment: (\S.*)$")
_SIG = re.compile(r"^# @sig: ([A-Za-z0-9+/=]+)$")
_GSIG = re.compile(r"^# @global-sig: ([A-Za-z0-9+/=]+)$")
_LEGACY = re.compile(r"^[ \t]*#[ \t]*@signature:(.*)$")
_SAFE = "@.-_+"  # kept as they are in a trusted-comment field; the rest is %-encoded


@dataclass(frozen=True)
class Problem:
    """Something wrong with the layout itself: a rule id, the 1-based line, a message."""

    rule: str
    line: int
    message: str


@dataclass(frozen=True)
class Block:
    """A well-formed signature block (the signatures are not checked here)."""

    version: str
    namespace: str
    keyid: str
    comment: str
    sig: bytes
    global_sig: bytes


@dataclass(frozen=True)
class Layout:
    """A file's text split into its header lines and the content the signature covers."""

    block: Optional[Block] = None
    legacy_hex: Optional[str] = None  # the reference's `# @signature: <hex>`
    header_lines: int = 0
    content: str = ""
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def signed(self) -> bool:
        return self.block is not None


def quote_field(text: str) -> str:
    """A trusted-comment field value: no whitespace, no ``#``, never ``aether:``."""
    # a file name of bytes that are not UTF-8 holds surrogates (os.fsdecode): quoted as
    # those bytes, and read back by parse_trusted_comment the same way
    return quote(text.encode("utf-8", "surrogateescape"), safe=_SAFE)


def make_trusted_comment(time: str, file_name: str, signer: str = "",
                         note: str = "") -> str:
    """The trusted comment: ``time=... file=...`` then ``signer=...`` and ``note=...``
    (the note, last, may contain spaces). Raises ValueError for a note that cannot sit
    in a comment line unchanged (a control character, or ``aether:``, which would read as
    a suppression comment and change the check result)."""
    parts = [f"time={time}", f"file={quote_field(file_name)}"]
    if signer:
        parts.append(f"signer={quote_field(signer)}")
    if note:
        if any(ord(c) < 0x20 or c == "\x7f" or c in "\u2028\u2029\x85" for c in note):
            raise ValueError("the trusted comment must be one line without control characters")
        if re.search(r"aether\s*:", note, re.I):
            raise ValueError("the trusted comment may not contain 'aether:' (it would read "
                             "as a suppression comment)")
        parts.append(f"note={note.strip()}")
    return " ".join(parts)


def parse_trusted_comment(comment: str) -> dict[str, str]:
    """The fields of a trusted comment (``note`` takes the rest of the line)."""
    out: dict[str, str] = {}
    rest = comment
    while rest:
        token, _, after = rest.partition(" ")
        key, eq, value = token.partition("=")
        if key == "note" and eq:
            out["note"] = rest[len("note="):]
            break
        if eq and key not in out:
            out[key] = unquote(value, errors="surrogateescape") if key != "time" else value
        rest = after
    return out


def render_block(block: Block) -> str:
    """The block's four lines, each ending in ``\\n``."""
    return (f"# @aether-signature {block.version} ns={block.namespace} keyid={block.keyid}\n"
            f"# @trusted-comment: {block.comment}\n"
            f"# @sig: {b64(block.sig)}\n"
            f"# @global-sig: {b64(block.global_sig)}\n")


def global_message(sig: bytes, comment: str) -> bytes:
    """What the global signature signs: the content signature and the trusted comment."""
    return b"aether-global-signature\0v1\0" + sig + comment.encode("utf-8")


def starts_with_block(text: str) -> bool:
    """Whether ``text`` (decoded) starts with a signature or legacy header line."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return bool(MARK.match(first))


def file_starts_with_block(path: str) -> bool:
    """Whether the file at ``path`` starts with a signature header (False when it cannot
    be read): how fmt and migrate know that a file they rewrote needs signing again."""
    from ..readfile import open_checked

    try:
        fd, st = open_checked(path)  # not open(): a FIFO put there must not block
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return False
        with open(fd, "rb") as fh:  # closes fd
            head = fh.read(256)
    except OSError:
        return False
    return starts_with_block(head.decode("utf-8", "replace"))


def _parse_block(lines: list[str], first: int) -> tuple[Optional[Block], Optional[Problem]]:
    """The block in ``lines`` (exactly four), whose first line is line ``first``."""
    head = _HEAD.match(lines[0])
    if head is None:
        if lines[0].startswith("# @aether-signature v") and \
                not lines[0].startswith("# @aether-signature v1 "):
            return None, Problem("AE502", first, "unknown signature block version "
                                 "(this aether reads v1)")
        return None, Problem("AE502", first, "malformed first line of the signature block")
    if head.group(1) != "v1":
        return None, Problem("AE502", first, f"unknown signature block version "
                             f"{head.group(1)} (this aether reads v1)")
    comment = _COMMENT.match(lines[1])
    if comment is None:
        return None, Problem("AE502", first + 1, "the second line of a signature block is "
                             "'# @trusted-comment: TEXT'")
    sig = _SIG.match(lines[2])
    raw_sig = b64_strict(sig.group(1), 64) if sig else None
    if raw_sig is None:
        return None, Problem("AE502", first + 2, "the third line of a signature block is "
                             "'# @sig: BASE64' (64 bytes, canonical base64)")
    gsig = _GSIG.match(lines[3])
    raw_gsig = b64_strict(gsig.group(1), 64) if gsig else None
    if raw_gsig is None:
        return None, Problem("AE502", first + 3, "the fourth line of a signature block is "
                             "'# @global-sig: BASE64' (64 bytes, canonical base64)")
    return Block(head.group(1), head.group(2), head.group(3), comment.group(1), raw_sig,
                 raw_gsig), None


def parse_layout(text: str) -> Layout:
    """Split decoded, newline-normalised ``text`` (no BOM) into header and content.

    The header is the run of reserved lines at the top; each must end in a newline (the
    file's last, unterminated line never belongs to it). One regular-expression scan finds
    reserved lines elsewhere, so a long file costs no per-line Python work. Never raises.
    """
    header: list[str] = []
    offset = 0
    while True:
        end = text.find("\n", offset)
        if end == -1 or not _MARK_ANYWHERE.match(text, offset, end):
            break
        header.append(text[offset:end])
        offset = end + 1
    run = len(header)
    content = text[offset:]
    problems: list[Problem] = []
    line, counted, last = run + 1, offset, -2  # line number at offset ``counted``
    scan = _MARK_ANYWHERE.finditer(text, offset) if text.find("@", offset) != -1 else ()
    for m in scan:
        line += text.count("\n", counted, m.start())
        counted = m.start()
        if line != last + 1:  # one finding per run of consecutive signature lines
            problems.append(Problem("AE511", line, "a signature line below the top of the "
                                    "file (a moved or pasted signature block)"))
        last = line
    if run == 0:
        return Layout(content=text, problems=tuple(problems))
    starts = [i for i, h in enumerate(header)
              if MARK.match(h).group(1) in ("aether-signature", "signature")]
    if len(starts) > 1:
        problems.insert(0, Problem("AE510", starts[1] + 1, "more than one signature block "
                                   "at the top of the file"))
        return Layout(header_lines=run, content=content, problems=tuple(problems))
    if run == 1:
        legacy = _LEGACY.match(header[0])
        if legacy is not None:
            return Layout(legacy_hex=legacy.group(1).strip().lower(), header_lines=1,
                          content=content,
                          problems=tuple(problems))
    if starts != [0] or run != BLOCK_LINES:
        where = starts[0] + 1 if starts and starts[0] else 1
        problems.insert(0, Problem("AE502", where, "the signature block is incomplete or "
                                   "its lines are out of order (it is four lines: "
                                   "@aether-signature, @trusted-comment, @sig, @global-sig)"))
        return Layout(header_lines=run, content=content, problems=tuple(problems))
    block, problem = _parse_block(header, 1)
    if problem is not None:
        problems.insert(0, problem)
    return Layout(block=block, header_lines=run, content=content, problems=tuple(problems))
