"""The signing commands end to end: keygen, sign, verify, check/run --strict-signatures."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from aether.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
KEYS = ROOT / "tests" / "data" / "signing"
BODY = 'goal: "demo"\nlog("hi")\n'


def aether(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path, monkeypatch, capsys):
    """A project with a TEST key trusted in .aether/allowed_signers and two workflows."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aether.toml").write_text("[aether]\n")
    code, out, _ = aether(capsys, "keygen", "-o", "k", "--comment", "alice laptop")
    assert code == 0
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "allowed_signers").write_text(out.replace("PRINCIPAL", "alice"))
    (tmp_path / "a.aether").write_bytes(BODY.replace("\n", "\r\n").encode())
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.aether").write_bytes(b"\xef\xbb\xbf" + BODY.encode())
    return tmp_path


def test_keygen_files_and_refusal(project, capsys):
    assert stat.S_IMODE(os.stat(project / "k").st_mode) == 0o600
    before = (project / "k").read_bytes()
    code, _, err = aether(capsys, "keygen", "-o", "k")
    assert code == 26 and "already exists" in err
    assert (project / "k").read_bytes() == before


def test_keygen_passphrase_env(project, capsys, monkeypatch):
    code, _, err = aether(capsys, "keygen", "-o", "e", "--passphrase-env", "NOPE_UNSET")
    assert code == 2 and "NOPE_UNSET" in err and not (project / "e").exists()
    monkeypatch.setenv("PASS", "s3cret")
    assert aether(capsys, "keygen", "-o", "e", "--passphrase-env", "PASS")[0] == 0
    code, _, err = aether(capsys, "sign", "--key", "e", "a.aether")
    assert code == 26 and "encrypted" in err
    assert aether(capsys, "sign", "--key", "e", "--passphrase-env", "PASS", "a.aether")[0] == 0


def test_a_passphrase_that_is_not_utf8_is_the_environments_bytes(project, capsys,
                                                                   monkeypatch):
    """os.environ hands a byte that is not UTF-8 over as a lone surrogate: keygen, sign
    (and approve --key) ended in 27 'internal error: UnicodeEncodeError'."""
    monkeypatch.setenv("PASS", os.fsdecode(b"s3cr\xffet"))
    assert aether(capsys, "keygen", "-o", "e", "--passphrase-env", "PASS")[0] == 0
    assert aether(capsys, "sign", "--key", "e", "--passphrase-env", "PASS", "a.aether")[0] == 0
    monkeypatch.setenv("PASS", os.fsdecode(b"s3cr\xfeet"))  # another byte: another secret
    code, _, err = aether(capsys, "sign", "--key", "e", "--passphrase-env", "PASS", "a.aether")
    assert code == 26 and "wrong passphrase" in err


def test_key_comments_that_are_not_utf8(project, capsys, monkeypatch):
    bad = os.fsdecode(b"al\xffce")
    for args in (["keygen", "-o", "c", "--comment", bad],
                 ["sign", "--key", "k", "--trusted-comment", bad, "a.aether"]):
        code, _, err = aether(capsys, *args)
        assert code == 2 and "'al\\xffce' is not UTF-8 text" in err, err
        assert "Traceback" not in err and not (project / "c").exists()
    # the default comment, user@host, from a user name that is not UTF-8: its \xff escape
    monkeypatch.setenv("LOGNAME", bad)
    code, out, err = aether(capsys, "keygen", "-o", "c")
    assert code == 0, err
    assert out.split()[-1].startswith("al\\xffce@")


def test_sign_then_verify_a_tree(project, capsys):
    code, _, err = aether(capsys, "sign", "--key", "k", "--jobs", "2", ".")
    assert code == 0 and "2 files signed" in err
    a = (project / "a.aether").read_bytes()
    b = (project / "sub" / "b.aether").read_bytes()
    assert a.startswith(b"# @aether-signature") and a.endswith(BODY.replace("\n", "\r\n")
                                                                .encode())
    assert b.startswith(b"\xef\xbb\xbf# @aether-signature")
    code, out, err = aether(capsys, "verify", "--strict", "-v", ".")
    assert code == 0, out + err
    assert "a.aether: verified: key" in out and "(alice)" in out
    # signing again gives one block
    assert aether(capsys, "sign", "--key", "k", "a.aether")[0] == 0
    assert (project / "a.aether").read_bytes().count(b"@aether-signature") == 1


def test_verify_statuses_and_formats(project, capsys):
    aether(capsys, "sign", "--key", "k", "a.aether")
    code, out, err = aether(capsys, "verify", ".")
    assert code == 0 and "note: sub/b.aether: not signed" in err
    code, out, _ = aether(capsys, "verify", "--strict", "--format", "json", ".")
    assert code == 22
    doc = json.loads(out)
    by_file = {f["file"]: f for f in doc["files"]}
    assert by_file["a.aether"]["signature"]["state"] == "verified"
    assert by_file["a.aether"]["signature"]["principal"] == "alice"
    assert [x["rule"] for x in by_file["sub/b.aether"]["findings"]] == ["AE501"]
    code, out, _ = aether(capsys, "verify", "--strict", "--format", "sarif", ".")
    assert code == 22
    sarif = json.loads(out)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["AE501"]
    data = (project / "a.aether").read_bytes()
    # only the content: "hi" can also occur inside the block's base64 or its time
    (project / "a.aether").write_bytes(data.replace(b'"hi"', b'"ho"'))
    code, out, _ = aether(capsys, "verify", "a.aether")
    assert code == 22 and "AE503" in out


def test_strict_from_configuration(project, capsys):
    (project / "aether.toml").write_text("[aether]\nstrict-signatures = true\n")
    code, out, _ = aether(capsys, "verify", "sub/b.aether")
    assert code == 22 and "AE501" in out
    code, out, _ = aether(capsys, "check", "sub/b.aether")
    assert code == 22 and "AE501" in out


def test_check_strict_signatures(project, capsys):
    assert aether(capsys, "check", "--no-cache", ".")[0] == 0
    code, out, _ = aether(capsys, "check", "--no-cache", "--strict-signatures", ".")
    assert code == 22 and "AE501" in out
    aether(capsys, "sign", "--key", "k", ".")
    assert aether(capsys, "check", "--no-cache", "--strict-signatures", ".")[0] == 0


def test_bad_trust_file_is_26_naming_file_and_line(project, capsys):
    (project / ".aether" / "allowed_signers").write_text("# ok\nalice not-a-key\n")
    code, _, err = aether(capsys, "verify", ".")
    assert code == 26 and "allowed_signers:2:" in err
    code, _, err = aether(capsys, "check", "--strict-signatures", ".")
    assert code == 26 and "allowed_signers:2:" in err
    code, _, err = aether(capsys, "verify", "--revoked-keys", "missing", ".")
    assert code == 26


def test_revoked_key_and_explicit_allowed_signers(project, capsys):
    aether(capsys, "sign", "--key", "k", "a.aether")
    keyid = (project / "k.pub").read_text().split()[2]
    (project / ".aether" / "revoked_keys").write_text(keyid + "\n")
    code, out, _ = aether(capsys, "verify", "a.aether")
    assert code == 22 and "AE507" in out
    (project / ".aether" / "revoked_keys").unlink()
    (project / "other").write_text("")
    code, out, _ = aether(capsys, "verify", "--allowed-signers", "other", "a.aether")
    assert code == 22 and "AE505" in out


def test_legacy_header(project, capsys, monkeypatch):
    from aether.signing.legacy import legacy_hmac

    rest = BODY.encode()
    (project / "l.aether").write_bytes(b"# @signature: " + legacy_hmac(b"x\n" + rest, b"k1")
                                       .encode() + b"\n" + rest)
    code, _, err = aether(capsys, "verify", "l.aether")
    assert code == 0 and "legacy HMAC signature" in err
    assert aether(capsys, "verify", "--strict", "l.aether")[0] == 22
    monkeypatch.setenv("LEGACY", "k1")
    assert aether(capsys, "verify", "--strict", "--legacy-hmac-secret-env", "LEGACY",
                  "l.aether")[0] == 0
    monkeypatch.setenv("LEGACY", "k2")
    code, out, _ = aether(capsys, "verify", "--legacy-hmac-secret-env", "LEGACY", "l.aether")
    assert code == 22 and "AE513" in out
    assert aether(capsys, "sign", "--key", "k", "l.aether")[0] == 0
    assert b"@signature:" not in (project / "l.aether").read_bytes()


def test_sign_does_not_write_through_a_link_found_in_a_folder(project, capsys, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "x.aether"
    outside.write_text(BODY)
    os.symlink(outside, project / "sub" / "link.aether")
    code, _, err = aether(capsys, "sign", "--key", "k", "sub")
    assert code == 26 and "symbolic link" in err
    assert outside.read_text() == BODY


def test_sign_writes_through_a_named_link_only_into_the_project(project, capsys,
                                                                 tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "x.aether"
    outside.write_text(BODY)
    os.symlink(outside, project / "out.aether")
    code, _, err = aether(capsys, "sign", "--key", "k", "out.aether")
    assert code == 26 and "outside the project" in err
    assert outside.read_text() == BODY
    os.symlink("sub/b.aether", project / "in.aether")
    code, _, err = aether(capsys, "sign", "--key", "k", "in.aether")
    assert code == 0, err
    assert (project / "sub" / "b.aether").read_bytes() != b"\xef\xbb\xbf" + BODY.encode()
    assert (project / "in.aether").is_symlink()


def test_run_records_signer_and_refuses_bad_signatures(project, capsys):
    code, out, _ = aether(capsys, "run", "--simulate", "--json", "--strict-signatures",
                          "a.aether")
    assert code == 22 and json.loads(out)["findings"][0]["rule"] == "AE501"
    aether(capsys, "sign", "--key", "k", "a.aether")
    code, out, err = aether(capsys, "run", "--simulate", "--json", "--strict-signatures",
                            "a.aether")
    assert code == 0, err
    sig = json.loads(out)["signature"]
    keyid = (project / "k.pub").read_text().split()[2]
    assert sig["state"] == "verified" and sig["keyid"] == keyid and sig["principal"] == "alice"
    data = (project / "a.aether").read_bytes()
    # only the content: "hi" can also occur inside the block's base64 or its time
    (project / "a.aether").write_bytes(data.replace(b'"hi"', b'"ho"'))
    code, out, _ = aether(capsys, "run", "--simulate", "--json", "a.aether")  # not strict
    assert code == 22 and json.loads(out)["findings"][0]["rule"] == "AE503"


def test_fmt_keeps_the_block_and_says_to_sign_again(project, capsys):
    (project / "c.aether").write_text('goal:   "demo"\n')
    aether(capsys, "sign", "--key", "k", "c.aether")
    code, _, err = aether(capsys, "fmt", "c.aether")
    assert code == 0 and "sign it again" in err
    text = (project / "c.aether").read_text()
    assert text.startswith("# @aether-signature") and text.endswith('goal: "demo"\n')
    aether(capsys, "sign", "--key", "k", "c.aether")
    code, _, err = aether(capsys, "fmt", "c.aether")  # canonical: nothing changes
    assert "sign it again" not in err
    assert aether(capsys, "verify", "c.aether")[0] == 0


def test_explain_knows_signing_rules(capsys):
    code, out, _ = aether(capsys, "explain", "AE503")
    assert code == 0 and "content-tampered" in out and "22 SIGNATURE_ERROR" in out
    code, out, _ = aether(capsys, "explain", "revoked-key")
    assert code == 0 and "AE507" in out


def test_bulk_sign_and_verify_in_worker_processes(project, capsys):
    many = project / "many"
    many.mkdir()
    for i in range(80):
        (many / f"f{i:02}.aether").write_text(f'goal: "flow {i}"\nlog({i})\n')
    (many / "f05.aether").write_text('goal: "x"\n# @sig: pasted\n')  # cannot be signed
    code, _, err = aether(capsys, "sign", "--key", "k", "--jobs", "2", "many")
    assert code == 22 and "many/f05.aether:2:" in err and "79 files signed" in err
    (many / "f05.aether").unlink()
    code, out, _ = aether(capsys, "verify", "--strict", "--jobs", "2", "--format", "json",
                          "many")
    assert code == 0
    assert {f["signature"]["state"] for f in json.loads(out)["files"]} == {"verified"}
    (many / "f42.aether").write_text((many / "f42.aether").read_text().replace("42)", "43)"))
    code, out, _ = aether(capsys, "verify", "--jobs", "2", "--format", "json", "many")
    assert code == 22
    failed = [f["file"] for f in json.loads(out)["files"] if not f["ok"]]
    assert failed == ["many/f42.aether"]


def test_run_strict_from_configuration(project, capsys):
    (project / "aether.toml").write_text("[aether]\nstrict-signatures = true\n")
    code, out, _ = aether(capsys, "run", "--simulate", "--json", "a.aether")
    assert code == 22 and json.loads(out)["findings"][0]["rule"] == "AE501"


def test_migrate_keeps_the_block_and_says_to_sign_again(project, capsys):
    (project / "m.aether").write_text('goal: "demo"\nx: 1\nif x > 0\n    log("pos")\n')
    aether(capsys, "sign", "--key", "k", "m.aether")
    code, _, err = aether(capsys, "migrate", "--apply", "m.aether")
    assert code == 0 and "m.aether is signed and was migrated" in err
    text = (project / "m.aether").read_text()
    assert text.startswith("# @aether-signature") and "if x > 0:\n" in text
    code, out, _ = aether(capsys, "verify", "m.aether")
    assert code == 22 and "AE503" in out


# ------------------------------------------------------------------ hostile key and trust files
def test_a_key_file_that_is_a_fifo_is_refused_at_once(project, capsys):
    os.mkfifo(project / "kfifo")  # open() waited forever for a writer
    code, _, err = aether(capsys, "sign", "--key", "kfifo", "a.aether")
    assert code == 26 and "FIFO" in err


def test_a_revoked_keys_fifo_is_refused_and_a_link_is_read_as_its_target(project, capsys):
    assert aether(capsys, "sign", "--key", "k", "a.aether")[0] == 0
    revoked = project / ".aether" / "revoked_keys"
    os.mkfifo(revoked)
    code, _, err = aether(capsys, "verify", "--strict", "a.aether")
    assert code == 26 and "FIFO" in err
    revoked.unlink()
    keyid = (project / "k.pub").read_text().split()[2]
    (project / "elsewhere").write_text(keyid + "\n")
    revoked.symlink_to(project / "elsewhere")
    code, out, err = aether(capsys, "verify", "--strict", "a.aether")
    assert code == 22  # the key revoked by the file the link names
    revoked.unlink()
    revoked.symlink_to(project / "missing")
    code, _, err = aether(capsys, "verify", "--strict", "a.aether")
    assert code == 26 and "no such revoked-keys file" in err


def test_a_private_key_readable_by_others_warns(project, capsys):
    os.chmod(project / "k", 0o644)
    code, _, err = aether(capsys, "sign", "--key", "k", "a.aether")
    assert code == 0 and "can be read by other users (mode 0644)" in err
    os.chmod(project / "k", 0o600)
    code, _, err = aether(capsys, "sign", "--key", "k", "a.aether")
    assert code == 0 and "warning" not in err


def test_a_file_name_that_is_not_utf8_is_signed_and_verifies(project, capsys):
    # The trusted comment quotes the file's name: a name of bytes that are not UTF-8
    # (os.fsdecode gives surrogates) made `sign DIR` stop half way with "Invalid value
    # for --trusted-comment" (exit 2), the files before it already rewritten
    name = os.fsdecode(b"bad\xff\xfename.aether")
    try:
        (project / name).write_text(BODY)
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    (project / "z.aether").write_text(BODY)  # after it in sorted order
    code, _, err = aether(capsys, "sign", "--key", "k", "--jobs", "1", ".")
    assert code == 0, err
    assert (project / "z.aether").read_text().startswith("# @aether-signature")
    assert "file=bad%FF%FEname.aether" in (project / name).read_text()
    code, _, err = aether(capsys, "verify", "--strict", ".")
    assert code == 0, err
    # a block copied onto another file names the file it was made for: read back whole
    (project / "moved.aether").write_text((project / name).read_text() + "log(2)\n")
    code, out, _ = aether(capsys, "verify", "moved.aether")
    assert code == 22 and "AE509" in out and "bad%FF%FEname.aether" in out, (out, _)
