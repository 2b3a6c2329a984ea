"""The suppression list file: format, matching, expiry, `aether suppressions list|prune`."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from click.testing import CliRunner

from aether.checker import check_text
from aether.cli.main import cli
from aether.suppressions import (SuppressionList, SuppressionListError, discover, load,
                                 parse_text, plan_prune, prune_text, suppressed_category)

REFERENCE_EXAMPLE = """\
# Experimental quantum workflows under redesign
a1b2c3d4e5f67890  # deprecated goal syntax
deadbeefcafe1234  # awaiting plugin migration
"""


def test_reference_example_parses():
    entries = parse_text(REFERENCE_EXAMPLE, "s.txt")
    assert [e.fingerprint for e in entries] == ["a1b2c3d4e5f67890", "deadbeefcafe1234"]
    assert [e.line for e in entries] == [2, 3]
    assert entries[0].comment == "deprecated goal syntax"
    assert entries[0].owner is None and entries[0].expires is None


def test_owner_expiry_and_free_comment():
    (e,) = parse_text("  A1B2C3D4E5F67890 owner=data-team expires=2026-03-31 legacy   # why\n")
    assert e.fingerprint == "a1b2c3d4e5f67890"
    assert e.owner == "data-team" and e.expires == date(2026, 3, 31)
    assert e.comment == "legacy why"
    (e,) = parse_text("a1b2c3d4e5f67890 owner=a#b\n")
    assert e.owner == "a#b"  # '#' only starts a comment at the start or after whitespace


@pytest.mark.parametrize("line, message", [
    ("xyz", "not a fingerprint"),
    ("a1b2c3d4e5f6789", "not a fingerprint"),
    ("a1b2c3d4e5f67890 expire=2026-01-01", "unknown key 'expire'"),
    ("a1b2c3d4e5f67890 expires=31/12/2026", "not a YYYY-MM-DD date"),
    ("a1b2c3d4e5f67890 expires=2026-02-30", "not a real date"),
    ("a1b2c3d4e5f67890 owner=", "owner= needs a name"),
])
def test_malformed_entries_name_file_and_line(line, message):
    with pytest.raises(SuppressionListError, match=message) as info:
        parse_text(f"# ok\n{line}\n", "list.txt")
    assert "list.txt:2" in str(info.value)


def test_matching_by_either_formula_and_expiry():
    slist = SuppressionList(parse_text(
        "1111111111111111 expires=2026-01-31\n2222222222222222\n", "s.txt"), ["s.txt"])
    assert slist.match("1111111111111111", "", date(2026, 1, 31)).line == 1
    assert slist.match("ffffffffffffffff", "2222222222222222", date(2026, 1, 31)).line == 2
    assert slist.match("1111111111111111", "", date(2026, 2, 1)) is None  # expired
    assert [e.line for e in slist.expired(date(2026, 2, 1))] == [1]
    assert slist.match("3333333333333333", "4444444444444444") is None


def test_suppressed_category_names():
    assert suppressed_category("PARSE_ERROR") == "Suppressed-ParseError"
    assert suppressed_category("VALIDATION_ERROR") == "Suppressed-ValidationError"
    assert suppressed_category("INTERNAL_ERROR") == "Suppressed-Other"


def test_discover_both_locations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert discover(str(tmp_path)) == []
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text("1111111111111111\n")
    (tmp_path / ".aetherra").mkdir()
    (tmp_path / ".aetherra" / "workflow_suppressions.txt").write_text("2222222222222222\n")
    found = discover(str(tmp_path))
    assert found == [".aether/suppressions.txt", ".aetherra/workflow_suppressions.txt"]
    assert [e.fingerprint[0] for e in load(found).entries] == ["1", "2"]


def test_load_errors(tmp_path):
    with pytest.raises(SuppressionListError, match="cannot read"):
        load([str(tmp_path / "missing.txt")])
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SuppressionListError, match="not UTF-8"):
        load([str(tmp_path / "bin.txt")])


def test_prune_plan_and_text():
    text = "# header\n1111111111111111  # keep\n\n2222222222222222 owner=x\n# trailing\n"
    slist = SuppressionList(parse_text(text, "s.txt"), ["s.txt"])
    plan = plan_prune(slist, {"1111111111111111"})
    assert [e.line for e in plan["s.txt"]] == [4]
    assert prune_text(text, {4}) == "# header\n1111111111111111  # keep\n\n# trailing\n"


@pytest.mark.parametrize("sep", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
                                 "\u2029"])
def test_only_line_ends_end_an_entry(sep):
    """Lines end where git, a diff and an editor end them (LF, CRLF, CR), not at the other
    characters str.splitlines also breaks at: a form feed or U+2028 in a comment must not
    start an entry a reviewer reads as part of that comment, nor shift the line numbers of
    the entries and errors after it."""
    fp = "0123456789abcdef"
    assert parse_text(f"# see the ticket{sep}{fp} owner=me\n", "s.txt") == []
    with pytest.raises(SuppressionListError, match=r"s\.txt:3: 'zz'"):
        parse_text(f"# a{sep}b\n{fp}\nzz\n", "s.txt")
    entries = parse_text(f"# a{sep}b\n{fp}\r\n{fp}\r{fp}\n", "s.txt")
    assert [e.line for e in entries] == [2, 3, 4]
    assert prune_text(f"# a{sep}b\n{fp}\r\n{fp}\r{fp}\n", {3}) == f"# a{sep}b\n{fp}\r\n{fp}\n"
    # remap renames the entries the list holds, not a fingerprint inside a comment
    from aether.migrate.remap import Remap, remap_suppression_text

    remap = Remap({fp: "fedcba9876543210"})
    text = f"# see the ticket{sep}{fp} owner=me\n{fp}\n"
    assert remap_suppression_text(text, remap) == (
        f"# see the ticket{sep}{fp} owner=me\nfedcba9876543210\n", 1)


# --------------------------------------------------------------------------- CLI

BAD = 'goal: "x"\nunk(1)\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "a.aether").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    finding = check_text(BAD, "a.aether").findings[0]
    (tmp_path / ".aether").mkdir()
    lst = tmp_path / ".aether" / "suppressions.txt"
    lst.write_text(
        "# owned suppressions\n"
        f"{finding.fingerprint}  owner=ops expires=2001-01-01  # expired but still live\n"
        "ffffffffffffffff  # dead: matches nothing\n"
        f"{finding.legacy_fingerprint}  # legacy formula, live\n")
    return tmp_path, lst


def test_list_command(project):
    _, lst = project
    result = CliRunner().invoke(cli, ["suppressions", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert "[EXPIRED]" in lines[0] and "owner=ops" in lines[0]
    assert "1 expired" in result.stderr
    result = CliRunner().invoke(cli, ["suppressions", "list", "--json", "."])
    data = json.loads(result.stdout)
    assert [r["matches"] for r in data["entries"]] == [True, False, True]
    assert data["entries"][0]["expired"] is True


def test_prune_drops_only_dead_entries(project):
    _, lst = project
    before = lst.read_text()
    result = CliRunner().invoke(cli, ["suppressions", "prune", "--dry-run"])
    assert result.exit_code == 0 and "would drop" in result.stdout
    assert lst.read_text() == before
    result = CliRunner().invoke(cli, ["suppressions", "prune"])
    assert result.exit_code == 0 and "1 of 3 entries dropped" in result.stderr
    after = lst.read_text()
    assert "ffffffffffffffff" not in after
    assert after == before.replace("ffffffffffffffff  # dead: matches nothing\n", "")
    result = CliRunner().invoke(cli, ["suppressions", "prune"])
    assert "0 of 2 entries dropped" in result.stderr and lst.read_text() == after


@pytest.mark.parametrize("edit,status", [
    (lambda text: ("# a note added above\n" + text).encode("utf-8"), 26),  # lines move
    (lambda text: text.encode("utf-8") + b"\xff\n", 2),  # not UTF-8 any more: was exit 27
])
def test_prune_of_a_list_edited_while_the_check_runs_drops_nothing(project, monkeypatch,
                                                                    edit, status):
    """The dead entries are found by line before PATHS are checked; a list edited in the
    meantime keeps every line (it deleted a live entry, found at the dead one's old line)."""
    import aether.cli.suppressions as command

    _, lst = project
    gather = command._present

    def present_while_someone_edits(paths, config):
        found = gather(paths, config)
        lst.write_bytes(edit(lst.read_text()))
        return found

    monkeypatch.setattr(command, "_present", present_while_someone_edits)
    result = CliRunner().invoke(cli, ["suppressions", "prune"])
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "ffffffffffffffff  # dead" in lst.read_text(errors="replace")  # nothing dropped
    assert lst.read_bytes().count(b"\n") == 5


def test_prune_never_adds(project):
    tmp_path, lst = project
    (tmp_path / "b.aether").write_text('goal: "x"\nother(1)\n')
    CliRunner().invoke(cli, ["suppressions", "prune"])
    assert len(parse_text(lst.read_text())) == 2


def test_no_list_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["suppressions", "prune"]).exit_code == 0
    result = CliRunner().invoke(cli, ["suppressions", "list"])
    assert result.exit_code == 0 and "no suppression file" in result.stderr


def test_malformed_list_is_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text("nope\n")
    result = CliRunner().invoke(cli, ["suppressions", "list"])
    assert result.exit_code == 2 and "suppressions.txt:1" in result.stderr


def test_prune_keeps_newline_style_and_mode(project):
    _, lst = project
    lst.write_bytes(lst.read_text().replace("\n", "\r\n").encode())
    lst.chmod(0o640)
    assert CliRunner().invoke(cli, ["suppressions", "prune"]).exit_code == 0
    data = lst.read_bytes()
    assert b"ffffffffffffffff" not in data and data.count(b"\r\n") == 3
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert lst.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("command", ["prune", "list"])
def test_missing_path_is_an_error_and_nothing_is_pruned(project, command):
    _, lst = project
    before = lst.read_bytes()
    result = CliRunner().invoke(cli, ["suppressions", command, "nosuchdir"])
    assert result.exit_code == 26  # IO_ERROR, like `aether check nosuchdir`
    assert "nosuchdir" in result.stderr and "AE001" in result.stderr
    assert "nothing was changed" in result.stderr
    assert lst.read_bytes() == before
    assert "dropped" not in result.stdout


def test_unreadable_file_is_an_error_and_nothing_is_pruned(project):
    import os

    tmp_path, lst = project
    before = lst.read_bytes()
    (tmp_path / "a.aether").chmod(0)
    try:
        if os.access(tmp_path / "a.aether", os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        result = CliRunner().invoke(cli, ["suppressions", "prune", "."])
    finally:
        (tmp_path / "a.aether").chmod(0o644)
    assert result.exit_code == 26 and "AE003" in result.stderr
    assert lst.read_bytes() == before


@pytest.mark.parametrize("kind", ["fifo", "dangling", "folder"])
def test_a_default_list_that_is_not_a_file_is_an_error_not_ignored(tmp_path, kind):
    # skipping it as if absent would unsuppress every listed finding in silence
    import subprocess
    import sys

    (tmp_path / "a.aether").write_text('goal: "g"\nx: nope\n')
    (tmp_path / ".aether").mkdir()
    target = tmp_path / ".aether" / "suppressions.txt"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dangling":
        os.symlink(tmp_path / "missing.txt", target)
    else:
        target.mkdir()
    proc = subprocess.run([sys.executable, "-m", "aether", "check", "a.aether"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 26, proc.stdout + proc.stderr
    assert "suppressions.txt" in proc.stderr and "Traceback" not in proc.stderr


def test_prune_does_not_write_through_a_named_list_link_out_of_the_project(
        project, tmp_path_factory):
    # `--suppressions list.txt` may be a link a pull request made to any file the runner
    # may write: prune stops (exit 2, like any list it cannot rewrite) and leaves it
    tmp_path, lst = project
    (tmp_path / "aether.toml").write_text("[aether]\n")  # the project: this folder
    outside = tmp_path_factory.mktemp("outside") / "list.txt"
    outside.write_bytes(lst.read_bytes())
    os.symlink(outside, tmp_path / "named.txt")
    result = CliRunner().invoke(cli, ["suppressions", "prune", "--suppressions", "named.txt"])
    assert result.exit_code == 2, result.output
    assert f"a symbolic link to {outside.resolve()}, outside the project" in result.stderr
    assert outside.read_bytes() == lst.read_bytes()
    os.symlink(".aether/suppressions.txt", tmp_path / "inner.txt")
    result = CliRunner().invoke(cli, ["suppressions", "prune", "--suppressions", "inner.txt"])
    assert result.exit_code == 0, result.output
    assert "ffffffffffffffff" not in lst.read_text()
    assert (tmp_path / "inner.txt").is_symlink()


def test_prune_names_an_edited_list_without_its_control_characters(project, monkeypatch):
    """The 'changed while the findings were gathered' message shows the list's name with
    invisible characters as placeholders, as every other message of the command does."""
    import aether.cli.suppressions as command

    tmp_path, lst = project
    odd = tmp_path / "list\x1b]0;owned\x07.txt"
    odd.write_bytes(lst.read_bytes())
    gather = command._present

    def present_while_someone_edits(paths, config):
        found = gather(paths, config)
        odd.write_text("# a note added above\n" + odd.read_text())
        return found

    monkeypatch.setattr(command, "_present", present_while_someone_edits)
    result = CliRunner().invoke(cli, ["suppressions", "prune", "--suppressions", str(odd)])
    assert result.exit_code == 26, result.output
    assert "changed while the findings were gathered" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
