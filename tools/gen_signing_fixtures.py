"""Generate workflows/fixtures/signing/: one signed (or tampered) workflow per AE5xx rule.

    python tools/gen_signing_fixtures.py           # (re)write the fixtures
    python tools/gen_signing_fixtures.py --check   # exit 1 when a fixture on disk is stale

Every file is signed with a TEST key of tests/data/signing/ at the fixed time FIXED_TIME
(Ed25519 is deterministic, so the output is byte-for-byte reproducible), then changed the
way its rule describes. ``allowed_signers`` and ``revoked_keys`` beside them are the trust
the tests verify with (at VERIFY_TIME); the legacy fixtures use LEGACY_SECRET.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aether.signing.block import Block, global_message, render_block  # noqa: E402
from aether.signing.keys import load_signing_key  # noqa: E402
from aether.signing.legacy import legacy_hmac  # noqa: E402
from aether.signing.payload import message  # noqa: E402
from aether.signing.sign import sign_text  # noqa: E402

KEYS = ROOT / "tests" / "data" / "signing"
OUT = ROOT / "workflows" / "fixtures" / "signing"
FIXED_TIME = datetime(2026, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
VERIFY_TIME = datetime(2026, 6, 1, 0, 0, 0, tzinfo=timezone.utc)
LEGACY_SECRET = b"test-secret (not a real one)"

BODY = ('goal: "summarise the daily report"\n'
        "# a reviewed workflow\n"
        'notes: recall("daily")\n'
        'summary: summarize(notes)\n'
        'log(summary)\n')
OTHER = ('goal: "delete every record"\n'
         'log("not reviewed")\n')


def _key(name: str):
    return load_signing_key(str(KEYS / f"{name}.key"))


def _signed(name: str, body: str = BODY, key: str = "alice", **kw) -> str:
    return sign_text(body, _key(key), name, now=FIXED_TIME, **kw)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def fixtures() -> dict[str, bytes]:
    """File name -> exact bytes of every fixture, and the trust files."""
    out: dict[str, str] = {}
    out["ok_signed.aether"] = _signed("ok_signed.aether")
    out["ok_signed-crlf-bom.aether"] = "\ufeff" + _signed(
        "ok_signed-crlf-bom.aether").replace("\n", "\r\n")
    out["AE501_unsigned.aether"] = BODY
    lines = _lines(_signed("AE502_malformed-block.aether"))
    out["AE502_malformed-block.aether"] = "\n".join(lines[:1] + lines[2:])
    out["AE503_content-tampered.aether"] = _signed("AE503_content-tampered.aether").replace(
        'log(summary)', 'publish(summary)')
    signed = _signed("AE504_trusted-comment-edited.aether")
    out["AE504_trusted-comment-edited.aether"] = signed.replace("time=2026-01-15T12:00:00Z",
                                                                "time=2026-01-16T12:00:00Z")
    out["AE505_unknown-key.aether"] = _signed("AE505_unknown-key.aether", key="mallory")
    out["AE506_key-outside-validity.aether"] = _signed("AE506_key-outside-validity.aether",
                                                       key="retired")
    out["AE507_revoked-key.aether"] = _signed("AE507_revoked-key.aether", key="revoked")
    out["AE508_wrong-namespace.aether"] = _signed("AE508_wrong-namespace.aether",
                                                  namespace="aether-approval")
    reviewed = _signed("reviewed.aether")
    out["AE509_signature-from-another-file.aether"] = "\n".join(
        _lines(reviewed)[:4]) + "\n" + OTHER
    one = _signed("AE510_duplicated-signature.aether")
    out["AE510_duplicated-signature.aether"] = "\n".join(_lines(one)[:4]) + "\n" + one
    two = _signed("AE511_misplaced-signature.aether")
    out["AE511_misplaced-signature.aether"] = "\n".join(_lines(two)[4:]) + "\n".join(
        _lines(two)[:4]) + "\n"
    legacy_body = BODY.encode("utf-8")
    out["AE512_legacy-signature.aether"] = (
        f"# @signature: {legacy_hmac(b'x' + chr(10).encode() + legacy_body, LEGACY_SECRET)}\n"
        + BODY)
    out["AE513_legacy-signature-mismatch.aether"] = (
        f"# @signature: {legacy_hmac(b'x' + chr(10).encode() + legacy_body, b'another')}\n"
        + BODY)
    pub = {n: (KEYS / f"{n}.key.pub").read_text(encoding="utf-8").strip()
           for n in ("alice", "retired", "revoked")}
    out["allowed_signers"] = (
        "# TEST trust for the fixtures (tests/data/signing/README.md)\n"
        f"alice@test.invalid {pub['alice']}\n"
        f"retired@test.invalid {pub['retired']} valid-before=2025-01-01\n"
        f"revoked@test.invalid {pub['revoked']}\n")
    out["revoked_keys"] = ("# TEST revocation list\n"
                           f"{_key('revoked').keyid}\n")
    return {name: text.encode("utf-8") for name, text in out.items()}


# Unused imports kept available for hand-made cases in tests.
__all__ = ["fixtures", "FIXED_TIME", "VERIFY_TIME", "LEGACY_SECRET", "OUT", "KEYS",
           "Block", "render_block", "global_message", "message"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a fixture is stale")
    args = parser.parse_args(argv)
    from aether.fileio import write_output

    stale = []
    for name, data in fixtures().items():
        path = OUT / name
        current = path.read_bytes() if path.exists() else None
        if current == data:
            continue
        if args.check:
            stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            write_output(str(path), data)
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
