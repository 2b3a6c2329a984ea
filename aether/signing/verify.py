"""A workflow file's signature verdict: verified, unsigned, legacy, or which rule it breaks.

:func:`verify_data` looks at one file's bytes; :func:`verify_files` at many, in worker
processes for ``--jobs``. The verdict's findings are AE5xx (status 22 SIGNATURE_ERROR)
or, for a file that cannot be read, the reader's AE0xx finding. Without ``strict`` an
unsigned file (or a legacy header nobody can check) passes with a note; a signature that
does not verify always fails. Rules and order of the checks: docs/signing.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional, Sequence
from urllib.parse import quote

from ..diagnostics import FileResult, Finding
from ..fingerprint import assign_fingerprints
from ..source import DEFAULT_MAX_FILE_SIZE, decode_source, read_source
from . import NAMESPACE
from .block import Layout, global_message, parse_layout, parse_trusted_comment
from .legacy import legacy_matches
from .payload import check_key, message, parse_time
from .trust import Trust

__all__ = ["VerifyOptions", "Verdict", "verify_data", "verify_text", "verify_files",
           "verify_path"]

_CONTENT = "<signature>"  # the fingerprint content of a signature finding


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify: whom to trust, strict or not, the legacy secret, the clock."""

    trust: Trust = field(default_factory=Trust)
    strict: bool = False
    legacy_secret: Optional[bytes] = None
    now: Optional[datetime] = None  # None: the time of verification
    max_file_size: int = DEFAULT_MAX_FILE_SIZE


@dataclass
class Verdict:
    """What verifying one file found.

    ``state``: ``verified``, ``legacy-verified``, ``unsigned``, ``legacy-unverified``,
    ``invalid`` (a signature problem: see ``findings``) or ``unreadable``.
    """

    path: str
    state: str
    findings: list[Finding] = field(default_factory=list)
    note: Optional[str] = None
    keyid: Optional[str] = None
    principal: Optional[str] = None
    signed_at: Optional[str] = None
    signer: Optional[str] = None  # the trusted comment's signer field

    @property
    def ok(self) -> bool:
        return not self.findings

    def result(self) -> FileResult:
        """The verdict as a FileResult, for the report formats."""
        return FileResult(self.path, list(self.findings))

    def to_json(self) -> dict:
        return {"state": self.state, "keyid": self.keyid, "principal": self.principal,
                "signed_at": self.signed_at, "signer": self.signer, "note": self.note}


def _shown(name: str) -> str:
    """A file name from a trusted comment, quoted for a message (bytes that are not UTF-8,
    read back as surrogates, as %XX)."""
    return quote(name.encode("utf-8", "surrogateescape"), safe="/@.-_+ ")


def _fail(path: str, problems: list[tuple[str, Optional[int], str, Optional[str]]],
          **kw) -> Verdict:
    findings = [Finding(rule, msg, line, hint=hint, content=_CONTENT)
                for rule, line, msg, hint in problems]
    return Verdict(path, "invalid", assign_fingerprints(path, findings), **kw)


_RESIGN = "sign the reviewed file again with `aether sign --key KEY FILE`"


def verify_text(text: str, data: bytes, path: str, options: VerifyOptions) -> Verdict:
    """The verdict for decoded, newline-normalised ``text`` whose raw bytes are ``data``
    (the legacy header is checked over raw bytes). ``path`` is the display path; its file
    name is compared with the one a failing block was made for. Never raises."""
    layout = parse_layout(text)
    extra = [(p.rule, p.line, p.message, "delete the stray signature lines, then sign "
              "the file again" if p.rule == "AE511" else _RESIGN) for p in layout.problems]
    if layout.block is None and layout.legacy_hex is None:
        if extra:
            return _fail(path, extra)
        if options.strict:
            return _fail(path, [("AE501", None, "the file is not signed (strict signatures)",
                                 "sign it with `aether sign --key KEY FILE`")],
                         note="not signed")
        return Verdict(path, "unsigned", note="not signed")
    if layout.legacy_hex is not None:
        return _legacy(layout, data, path, options, extra)
    return _check_block(layout, path, options, extra)


def _legacy(layout: Layout, data: bytes, path: str, options: VerifyOptions,
            extra: list) -> Verdict:
    hint = "replace it with an Ed25519 signature: `aether sign --key KEY FILE`"
    if options.legacy_secret is not None:
        if not legacy_matches(data, options.legacy_secret, layout.legacy_hex or ""):
            return _fail(path, [("AE513", 1, "the legacy HMAC signature does not match the "
                                 "file (or the secret is not the one it was made with)",
                                 hint)] + extra)
        if extra:
            return _fail(path, extra)
        return Verdict(path, "legacy-verified", note="legacy HMAC signature verified with "
                       "the given secret; " + hint[0].lower() + hint[1:])
    note = "legacy HMAC signature (`# @signature:`), not verified"
    if options.strict or extra:
        problems = [("AE512", 1, "a legacy HMAC signature header, which cannot be verified "
                     "without its secret (--legacy-hmac-secret-env VAR)", hint)] \
            if options.strict else []
        return _fail(path, problems + extra, note=note)
    return Verdict(path, "legacy-unverified", note=note + " (pass --legacy-hmac-secret-env "
                   "VAR to check it)")


def _check_block(layout: Layout, path: str, options: VerifyOptions, extra: list) -> Verdict:
    block = layout.block
    assert block is not None
    keyid = block.keyid
    fields = parse_trusted_comment(block.comment)
    known = {"keyid": keyid, "signed_at": fields.get("time"), "signer": fields.get("signer")}
    if block.namespace != NAMESPACE:
        return _fail(path, [("AE508", 1, f"the signature is for namespace "
                             f"'{block.namespace}', not '{NAMESPACE}'", _RESIGN)] + extra,
                     **known)
    trust = options.trust
    now = options.now or datetime.now(timezone.utc)
    if trust.is_revoked(keyid) or not trust.candidates(keyid):
        verdict = check_key(trust, keyid, now, now)
        hint = (_RESIGN + " with a key that is not revoked" if verdict.rule == "AE507" else
                "add the signer's public key line to the trusted signers "
                "(.aether/allowed_signers) if you trust it")
        return _fail(path, [(verdict.rule, 1, verdict.message, hint)] + extra, **known)
    key = trust.candidates(keyid)[0].key
    if not key.verify(block.global_sig, global_message(block.sig, block.comment)):
        return _fail(path, [("AE504", 2, "the trusted comment or the signature line was "
                             "changed after signing", _RESIGN)] + extra, **known)
    signed_at = parse_time(fields.get("time", ""))
    if signed_at is None:
        return _fail(path, [("AE502", 2, "the trusted comment has no signing time "
                             "(time=YYYY-MM-DDTHH:MM:SSZ)", _RESIGN)] + extra, **known)
    content = layout.content.encode("utf-8")
    if not key.verify(block.sig, message(block.namespace, keyid, content)):
        made_for = fields.get("file")
        here = os.path.basename(path)
        if made_for is not None and made_for != here:
            return _fail(path, [("AE509", 1, f"the signature block was made for another "
                                 f"file ('{_shown(made_for)}'): it does not "
                                 "cover this file's content", _RESIGN)] + extra, **known)
        return _fail(path, [("AE503", 1, "the content changed after it was signed (the "
                             "signature does not match)", _RESIGN)] + extra, **known)
    verdict = check_key(trust, keyid, signed_at, now)
    if not verdict.ok:
        return _fail(path, [(verdict.rule, 2, verdict.message, _RESIGN + " with a current "
                             "key")] + extra, **known)
    if extra:
        return _fail(path, extra, principal=verdict.principal, **known)
    return Verdict(path, "verified", principal=verdict.principal, **known)


def verify_data(data: bytes, path: str, options: VerifyOptions) -> Verdict:
    """The verdict for a file's raw bytes (an unreadable file: its AE0xx finding)."""
    decoded = decode_source(data, options.max_file_size)
    if decoded.error is not None:
        return Verdict(path, "unreadable", assign_fingerprints(
            path, [decoded.error.with_(content="<io>")]))
    return verify_text(decoded.text or "", data, path, options)


def verify_path(path: str, display: str, options: VerifyOptions) -> Verdict:
    """Read the file at ``path`` and verify it. Never raises."""
    read = read_source(path, options.max_file_size)
    if read.error is not None:
        return Verdict(display, "unreadable", assign_fingerprints(
            display, [read.error.with_(content="<io>")]))
    return verify_text(read.text or "", read.data or b"", display, options)


_CHUNK = 64


def _verify_at(work: tuple, n: int) -> Verdict:
    """The verdict of file ``n`` of ``work`` (todo, options)."""
    todo, options = work
    path, display = todo[n]
    return verify_path(path, display, options)


def verify_files(files: Sequence, options: VerifyOptions, jobs: int = 1) -> list[Verdict]:
    """Verdicts for ``files`` (aether.walk.SourceFile), in order; ``jobs`` worker
    processes when there are enough files to share (see aether.workers, which raises)."""
    todo = [(f.path, f.display) for f in files]
    if jobs <= 1 or len(todo) <= _CHUNK:
        return [_verify_at((todo, options), n) for n in range(len(todo))]
    from ..workers import run_ranges

    out: list = []

    # forked with the signals held, never hanging after a Ctrl-C (see aether.workers).
    # Ranges come back in order, each whole, or run_ranges raises (a dead worker: a
    # WorkerError naming the file): no verdict can be missing from the list
    ranges = [(k, min(k + _CHUNK, len(todo))) for k in range(0, len(todo), _CHUNK)]
    run_ranges((todo, options), len(todo), ranges, _verify_at,
               lambda _start, answers: out.extend(answers), jobs, what="verification",
               doing="verifying", label=lambda n: todo[n][1])
    return out
