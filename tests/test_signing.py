"""Signing (docs/signing.md): keys, the block, the tamper corpus, byte-level properties,
zero false rejections, and that signing never changes what the checker sees."""

from __future__ import annotations

import os
import re
import stat
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether.checker import check_text
from aether.codes import RULES, Status
from aether.signing import NAMESPACE
from aether.signing.block import parse_layout
from aether.signing.keys import (KeyFileError, generate, load_signing_key, parse_public_line,
                                 write_key_pair)
from aether.signing.payload import (PayloadSignature, canonical_json, sign_payload,
                                    verify_payload)
from aether.signing.sign import SignError, sign_bytes, sign_text
from aether.signing.trust import AllowedSigner, Trust, TrustError, load_trust
from aether.signing.verify import VerifyOptions, verify_data
from aether.source import decode_source, normalise

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import gen_signing_fixtures as gen  # noqa: E402

FIXTURES = ROOT / "workflows" / "fixtures" / "signing"
SIGNING_RULES = sorted(r for r in RULES if "AE500" < r < "AE600")
NOW = gen.VERIFY_TIME
ALICE = load_signing_key(str(gen.KEYS / "alice.key"))
MALLORY = load_signing_key(str(gen.KEYS / "mallory.key"))
TRUST = Trust((AllowedSigner("alice@test.invalid", ALICE.public),))
BODY = 'goal: "demo"\n# reviewed\nlog("hi")\n'


def fixture_trust() -> Trust:
    return load_trust(str(FIXTURES / "allowed_signers"), str(FIXTURES / "revoked_keys"))


def verify(data: bytes, name: str = "flow.aether", trust: Trust = TRUST, **kw):
    return verify_data(data, name, VerifyOptions(trust=trust, now=NOW, **kw))


def signed(body: str = BODY, name: str = "flow.aether", **kw) -> bytes:
    return sign_text(body, ALICE, name, now=gen.FIXED_TIME, **kw).encode("utf-8")


# ------------------------------------------------------------------ keys
def test_keygen_writes_0600_private_and_one_line_public(tmp_path):
    key = generate("alice@example.com")
    pub = write_key_pair(str(tmp_path / "k"), key)
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o600
    line = Path(pub).read_text(encoding="utf-8")
    assert line.count("\n") == 1
    assert re.fullmatch(r"aether-ed25519 [A-Za-z0-9+/=]{44} [0-9a-f]{16} alice@example.com\n",
                        line)
    assert parse_public_line(line) == key.public
    assert load_signing_key(str(tmp_path / "k")).keyid == key.keyid


def test_keygen_never_overwrites_and_never_follows_a_link(tmp_path):
    (tmp_path / "k").write_text("precious")
    with pytest.raises(KeyFileError, match="already exists"):
        write_key_pair(str(tmp_path / "k"), generate())
    assert (tmp_path / "k").read_text() == "precious"
    (tmp_path / "j.pub").write_text("precious")
    with pytest.raises(KeyFileError, match="already exists"):
        write_key_pair(str(tmp_path / "j"), generate())
    assert not (tmp_path / "j").exists()
    os.symlink(tmp_path / "target", tmp_path / "link")  # dangling
    with pytest.raises(KeyFileError, match="already exists"):
        write_key_pair(str(tmp_path / "link"), generate())
    assert not (tmp_path / "target").exists()


@pytest.mark.parametrize("failing", [1, 2])  # the private key's write, the public one's
def test_keygen_that_cannot_write_leaves_no_key_file(tmp_path, monkeypatch, failing):
    import errno

    import aether.signing.keys as keys

    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(keys.os, "fsync", fsync)
    with pytest.raises(KeyFileError, match="No space left"):
        write_key_pair(str(tmp_path / "k"), generate())
    assert sorted(os.listdir(tmp_path)) == []
    monkeypatch.setattr(keys.os, "fsync", real_fsync)
    write_key_pair(str(tmp_path / "k"), generate())  # and it can simply be run again
    assert sorted(os.listdir(tmp_path)) == ["k", "k.pub"]


def test_encrypted_key_needs_its_passphrase(tmp_path):
    key = generate("x")
    write_key_pair(str(tmp_path / "k"), key, b"correct horse")
    assert b"ENCRYPTED" in (tmp_path / "k").read_bytes()
    with pytest.raises(KeyFileError, match="encrypted"):
        load_signing_key(str(tmp_path / "k"))
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(str(tmp_path / "k"), b"wrong")
    assert load_signing_key(str(tmp_path / "k"), b"correct horse").keyid == key.keyid


@pytest.mark.parametrize("line, message", [
    ("ssh-ed25519 AAAA 0123456789abcdef", "unknown key type"),
    ("aether-ed25519 !!!! 0123456789abcdef", "32 bytes"),
    ("aether-ed25519 IHuokriV6pGRhNkkUccL43xNmdApZ9luYz/sx0TfJ9Q= 0123456789abcdef",
     "does not belong"),
    ("aether-ed25519", "public key line"),
])
def test_bad_public_key_lines(line, message):
    with pytest.raises(KeyFileError, match=message):
        parse_public_line(line)


# ------------------------------------------------------------------ the block
def test_block_is_four_comment_lines_at_the_top():
    text = signed().decode()
    lines = text.split("\n")
    assert lines[0] == f"# @aether-signature v1 ns={NAMESPACE} keyid={ALICE.keyid}"
    assert lines[1].startswith("# @trusted-comment: time=2026-01-15T12:00:00Z "
                               "file=flow.aether signer=alice%40test.invalid") or \
        lines[1].startswith("# @trusted-comment: time=2026-01-15T12:00:00Z file=flow.aether")
    assert lines[2].startswith("# @sig: ") and lines[3].startswith("# @global-sig: ")
    assert "\n".join(lines[4:]) == BODY
    assert verify(text.encode()).state == "verified"


def test_signing_twice_gives_one_block_and_replaces_a_legacy_header():
    once = signed().decode()
    twice = sign_text(normalise(once), ALICE, "flow.aether",
                      now=gen.FIXED_TIME + timedelta(days=1))
    assert twice.count("# @aether-signature") == 1
    assert twice.endswith(BODY)
    legacy = "# @signature: " + "ab" * 32 + "\n" + BODY
    replaced = sign_text(legacy, ALICE, "flow.aether", now=gen.FIXED_TIME)
    assert "@signature:" not in replaced and replaced.endswith(BODY)
    assert verify(replaced.encode()).state == "verified"


def test_sign_refuses_a_signature_line_below_the_top():
    with pytest.raises(SignError) as info:
        sign_text(BODY + "# @sig: AAAA\n", ALICE, "flow.aether")
    assert info.value.code == 22 and info.value.line == 4


def test_sign_keeps_newline_style_and_bom():
    for original in (BODY.encode(), BODY.replace("\n", "\r\n").encode(),
                     b"\xef\xbb\xbf" + BODY.encode(), b"\xef\xbb\xbf" +
                     BODY.replace("\n", "\r\n").encode()):
        new = sign_bytes(original, ALICE, "flow.aether", now=gen.FIXED_TIME)
        assert new.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")
        assert (b"\r\n" in new) == (b"\r\n" in original)
        assert new.endswith(original.lstrip(b"\xef\xbb\xbf"))
        assert verify(new).state == "verified"


def test_trusted_comment_refuses_a_suppression_lookalike_and_control_characters():
    with pytest.raises(ValueError, match="aether:"):
        sign_text(BODY, ALICE, "f.aether", note="ok # aether: ignore[AE301]")
    with pytest.raises(ValueError, match="one line"):
        sign_text(BODY, ALICE, "f.aether", note="two\nlines")


# ------------------------------------------------------------------ the tamper corpus
def _fixture_verdict(path: Path):
    secret = gen.LEGACY_SECRET if path.name.startswith("AE513") else None
    if path.name.startswith("AE513"):
        secret = b"test-secret (not a real one)"
    return verify_data(path.read_bytes(), path.name,
                       VerifyOptions(trust=fixture_trust(), strict=True, now=NOW,
                                     legacy_secret=secret))


def test_fixtures_are_current():
    assert gen.main(["--check"]) == 0, "run python tools/gen_signing_fixtures.py"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.aether")), ids=lambda p: p.name)
def test_signing_fixture_gives_its_rule(path):
    verdict = _fixture_verdict(path)
    if path.name.startswith("ok_"):
        assert verdict.ok and verdict.state == "verified", verdict.findings
        assert verdict.principal == "alice@test.invalid"
        return
    rules = {f.rule for f in verdict.findings}
    assert rules == {path.name[:5]}, [(f.rule, f.message) for f in verdict.findings]
    assert verdict.result().status == Status.SIGNATURE_ERROR


def test_every_signing_rule_has_a_fixture():
    named = {p.name[:5] for p in FIXTURES.glob("AE*.aether")}
    assert [r for r in SIGNING_RULES if r not in named] == []
    assert all(RULES[r].status == Status.SIGNATURE_ERROR for r in SIGNING_RULES)


def test_legacy_header_verifies_with_its_secret_only():
    data = (FIXTURES / "AE512_legacy-signature.aether").read_bytes()
    assert verify(data).state == "legacy-unverified" and verify(data).ok
    assert verify(data, legacy_secret=gen.LEGACY_SECRET).state == "legacy-verified"
    wrong = verify(data, legacy_secret=b"guess")
    assert [f.rule for f in wrong.findings] == ["AE513"]
    assert [f.rule for f in verify(data, strict=True).findings] == ["AE512"]


def test_unsigned_passes_with_a_note_unless_strict():
    relaxed = verify(BODY.encode())
    assert relaxed.ok and relaxed.note == "not signed"
    assert [f.rule for f in verify(BODY.encode(), strict=True).findings] == ["AE501"]


def test_bad_signature_fails_without_strict_too():
    data = signed().replace(b'"hi"', b'"ho"')  # the content only
    assert [f.rule for f in verify(data).findings] == ["AE503"]


def test_validity_window_uses_the_signing_time():
    entry = AllowedSigner("alice", ALICE.public, valid_after=datetime(2026, 1, 1).date(),
                          valid_before=datetime(2026, 2, 1).date())
    trust = Trust((entry,))
    assert verify(signed(), trust=trust).ok  # signed 2026-01-15, verified in June
    late = sign_text(BODY, ALICE, "f.aether", now=datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert [f.rule for f in verify(late.encode(), trust=trust).findings] == ["AE506"]
    future = sign_text(BODY, ALICE, "f.aether", now=NOW + timedelta(days=1))
    assert [f.rule for f in verify(future.encode()).findings] == ["AE506"]


def test_rotation_two_keys_at_once():
    new = generate("alice 2026")
    trust = Trust((AllowedSigner("alice", ALICE.public,
                                 valid_before=datetime(2026, 3, 1).date()),
                   AllowedSigner("alice", new.public,
                                 valid_after=datetime(2026, 2, 1).date())))
    old_file = signed()
    new_file = sign_text(BODY, new, "f.aether", now=NOW).encode()
    assert verify(old_file, trust=trust).ok and verify(new_file, trust=trust).ok
    revoked = Trust(trust.signers, frozenset({ALICE.keyid}))
    assert [f.rule for f in verify(old_file, trust=revoked).findings] == ["AE507"]


def test_a_pasted_block_that_is_intact_is_still_caught_as_copied():
    other = b"goal: \"other\"\n"
    block = b"\n".join(signed(name="reviewed.aether").split(b"\n")[:4]) + b"\n"
    assert [f.rule for f in verify(block + other, "victim.aether").findings] == ["AE509"]


# ------------------------------------------------------------------ every byte counts
def _same_content(a: bytes, b: bytes) -> bool:
    da, db = decode_source(a), decode_source(b)
    return da.error is None and db.error is None and da.text == db.text


SIGNED = signed('goal: "café ☕"\nx: [1, 2]  # note\nlog(x)\n')


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_byte_change_is_caught_unless_it_is_documented_normalisation(data):
    base = data.draw(st.sampled_from([SIGNED, SIGNED.replace(b"\n", b"\r\n"),
                                      b"\xef\xbb\xbf" + SIGNED]))
    kind = data.draw(st.sampled_from(["flip", "insert", "delete"]))
    at = data.draw(st.integers(0, len(base) - (0 if kind == "insert" else 1)))
    if kind == "flip":
        bit = data.draw(st.integers(0, 7))
        mutated = base[:at] + bytes([base[at] ^ (1 << bit)]) + base[at + 1:]
    elif kind == "insert":
        byte = data.draw(st.integers(0, 255))
        mutated = base[:at] + bytes([byte]) + base[at:]
    else:
        mutated = base[:at] + base[at + 1:]
    verdict = verify(mutated)
    if _same_content(mutated, SIGNED):
        assert verdict.ok, (kind, at, verdict.findings)  # CR/LF or BOM: same text
    else:
        assert not verdict.ok, (kind, at, mutated)


def test_documented_normalisation_never_rejects():
    """Zero false rejections: newline style and BOM, whichever way round."""
    for body in (BODY, BODY.replace("\n", "\r\n"), "\ufeff" + BODY):
        original = sign_bytes(body.encode(), ALICE, "f.aether", now=gen.FIXED_TIME)
        text = original.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
        for variant in (text, text.replace("\n", "\r\n"), text.replace("\n", "\r"),
                        "\ufeff" + text, "\ufeff" + text.replace("\n", "\r\n")):
            assert verify(variant.encode("utf-8")).ok, repr(variant[:80])
    # ...while trailing whitespace is content
    text = signed().decode()
    assert not verify(text.replace("log(\"hi\")", "log(\"hi\") ").encode()).ok


# ------------------------------------------------------------------ the checker sees the same
def _ast_shape(node, shift: int):
    from aether import ast as A

    if isinstance(node, A.Node):
        out = [type(node).__name__]
        for name in node._fields:
            value = getattr(node, name)
            if name in ("line", "end_line") and isinstance(value, int):
                # the module spans the whole file, block included: only its end moves
                value -= 0 if isinstance(node, A.Module) and name == "line" else shift
            out.append((name, _ast_shape(value, shift)))
        return out
    if isinstance(node, (list, tuple)):
        return [_ast_shape(n, shift) for n in node]
    return node


def _corpus():
    paths = sorted((ROOT / "workflows" / "examples").glob("*.aether"))
    paths += sorted((ROOT / "workflows" / "fixtures").glob("*.aether"))
    return [pytest.param(p, id=p.name) for p in paths]


@pytest.mark.parametrize("path", _corpus())
def test_signing_changes_neither_ast_nor_fingerprints(path):
    from aether.syntax import parse

    text = normalise(path.read_text(encoding="utf-8"))
    layout = parse_layout(text)
    assert not layout.problems
    signed_text = sign_text(text, ALICE, path.name, now=gen.FIXED_TIME)
    shift = 4 - layout.header_lines  # a reference `# @signature:` header is replaced
    assert _ast_shape(parse(signed_text).module, shift) == _ast_shape(parse(text).module, 0)
    before = check_text(text, path.name).findings
    after = check_text(signed_text, path.name).findings
    assert [(f.rule, f.fingerprint, f.column, f.anchor, f.content) for f in after] == \
        [(f.rule, f.fingerprint, f.column, f.anchor, f.content) for f in before]
    from aether.fingerprint import normalise_content

    lines = text.split("\n")
    for b, a in zip(before, after):
        if b.line and normalise_content(lines[b.line - 1]) != b.content:
            assert a.line == b.line  # a whole-file finding (AE312) stays at line 1
        else:
            assert a.line == (b.line + shift if b.line else b.line)


# ------------------------------------------------------------------ trust files
@pytest.mark.parametrize("content, message", [
    ("alice\n", ":1: expected 'PRINCIPAL"),
    ("# c\n\nalice ssh-ed25519 AAAA 0123456789abcdef\n", ":3: expected"),
    ("alice aether-ed25519 IHuokriV6pGRhNkkUccL43xNmdApZ9luYz/sx0TfJ9Q= 2ab7ed14cf900d09 "
     "valid-after=2026-13-01\n", ":1: valid-after=2026-13-01 is not a calendar date"),
    ("alice aether-ed25519 IHuokriV6pGRhNkkUccL43xNmdApZ9luYz/sx0TfJ9Q= 2ab7ed14cf900d09 "
     "valid-after=2026-02-01 valid-before=2026-01-01\n", "is not before"),
    ("alice aether-ed25519 IHuokriV6pGRhNkkUccL43xNmdApZ9luYz/sx0TfJ9Q= 2ab7ed14cf900d09 "
     "valid-before=01/01/2026\n", "must be YYYY-MM-DD"),
    ("alice aether-ed25519 IHuokriV6pGRhNkkUccL43xNmdApZ9luYz/sx0TfJ9Q= ffffffffffffffff\n",
     "does not belong"),
    (b"\xff\xfe".decode("latin-1"), "not valid UTF-8"),
])
def test_bad_allowed_signers_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "allowed_signers"
    path.write_bytes(content.encode("latin-1") if "\xff" in content else content.encode())
    with pytest.raises(TrustError) as info:
        load_trust(str(path), None)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_revocation_list_takes_ids_and_public_key_lines(tmp_path):
    path = tmp_path / "revoked"
    path.write_text(f"# old laptop\n{ALICE.keyid}\n{MALLORY.public.line()}\n")
    trust = load_trust(None, str(path))
    assert trust.revoked == {ALICE.keyid, MALLORY.keyid}
    path.write_text("not a key\n")
    with pytest.raises(TrustError, match=":1: expected a key id"):
        load_trust(None, str(path))


def test_missing_default_trust_files_are_empty_but_named_ones_must_exist(tmp_path):
    assert load_trust(str(tmp_path / "none"), str(tmp_path / "none2"), False, False) == \
        Trust()
    with pytest.raises(TrustError, match="no such allowed-signers file"):
        load_trust(str(tmp_path / "none"), None)


# ------------------------------------------------------------------ payloads (approvals)
def test_payload_signatures_for_a_ledger():
    payload = canonical_json({"request": "abc", "decision": "approve", "approver": "alice",
                              "time": "2026-01-15T12:00:00Z"})
    sig = sign_payload(ALICE, "aether-approval", payload)
    assert sig.keyid == ALICE.keyid
    when = gen.FIXED_TIME
    good = verify_payload(TRUST, "aether-approval", payload, sig, when, NOW)
    assert good.ok and good.principal == "alice@test.invalid"
    assert verify_payload(TRUST, "aether-approval", payload + b" ", sig, when, NOW).rule == \
        "AE503"
    assert verify_payload(TRUST, "aether-approval", payload, sig, when, NOW,
                          expect_namespace=NAMESPACE).rule == "AE508"
    forged = PayloadSignature("aether-approval", ALICE.keyid,
                              sign_payload(MALLORY, "aether-approval", payload).signature)
    assert verify_payload(TRUST, "aether-approval", payload, forged, when, NOW).rule == "AE503"
    assert verify_payload(Trust(TRUST.signers, frozenset({ALICE.keyid})), "aether-approval",
                          payload, sig, when, NOW).rule == "AE507"
    assert verify_payload(Trust(), "aether-approval", payload, sig, when, NOW).rule == "AE505"
