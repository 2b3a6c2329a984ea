"""Commands do what they say: no empty selection, every --check, the valid suppression entry
wins, no NaN in JSON, -o for every output, a cache that is never stale, and the file names,
newlines and configs that used to come out wrong (issue 9, "Wrong results")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date

import pytest

from aether.checker import RuleFilter, check_text
from aether.suppressions import SuppressionList, parse_text

CLEAN = 'goal: "demo"\nlog("hi")\n'
BAD_CALL = 'goal: "demo"\nsummarise(1)\n'
BAD_SYNTAX = 'goal: "demo"\nx: (1 + )\n'


def aether(*args, cwd, input=None):
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          cwd=cwd, input=input, env=dict(os.environ, NO_COLOR="1"))


# --------------------------------------------------------------------------- selection

@pytest.mark.parametrize("flag", [["--select", ""], ["--select", ","], ["--select", " "]])
def test_empty_select_flag_is_a_usage_error(tmp_path, flag):
    (tmp_path / "a.aether").write_text(BAD_CALL)
    for command in (["check"], ["baseline"]):
        proc = aether(*command, "a.aether", *flag, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert b"select" in proc.stderr


@pytest.mark.parametrize("value", ["[]", '[""]', '""'])
def test_empty_select_in_config_is_a_config_error(tmp_path, value):
    (tmp_path / "a.aether").write_text(BAD_CALL)
    (tmp_path / "aether.toml").write_text(f"select = {value}\n")
    proc = aether("check", "a.aether", cwd=tmp_path)
    assert proc.returncode == 26
    assert b"aether.toml" in proc.stderr and b"'select' is empty" in proc.stderr


def test_empty_selection_is_refused_by_the_library():
    with pytest.raises(ValueError, match="names no rule"):
        RuleFilter.make([])
    assert RuleFilter.make(None).allows("AE301")


def test_repeated_check_option_checks_every_file(tmp_path):
    (tmp_path / "a.aether").write_text(BAD_SYNTAX)
    (tmp_path / "b.aether").write_text(CLEAN)
    proc = aether("--check", "a.aether", "--check", "b.aether", "--json-status", cwd=tmp_path)
    lines = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [x["file"] for x in lines] == ["a.aether", "b.aether"]
    assert proc.returncode == 20  # the worst of the two, not b's 0
    proc = aether("--check", "b.aether", "--check", "a.aether", cwd=tmp_path)
    assert proc.returncode == 20


# --------------------------------------------------------------------------- suppressions

def test_expired_duplicate_does_not_shadow_a_valid_entry():
    slist = SuppressionList(parse_text(
        "1111111111111111 expires=2001-01-01  # old\n"
        "1111111111111111 expires=2999-12-31  # renewed\n"), ["s.txt"])
    entry = slist.match("1111111111111111", "", date(2026, 1, 1))
    assert entry is not None and entry.line == 2
    legacy = SuppressionList(parse_text(
        "2222222222222222 expires=2001-01-01\n2222222222222222\n"), ["s.txt"])
    assert legacy.match("ffffffffffffffff", "2222222222222222", date(2026, 1, 1)).line == 2


def test_expired_duplicate_does_not_shadow_in_check(tmp_path):
    (tmp_path / "a.aether").write_text(BAD_CALL)
    fp = check_text(BAD_CALL, "a.aether").findings[0].fingerprint
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text(
        f"{fp} expires=2001-01-01\n{fp} expires=2999-12-31\n")
    (tmp_path / "aether.toml").write_text("")
    assert aether("check", "a.aether", cwd=tmp_path).returncode == 0


# --------------------------------------------------------------------------- JSON output

@pytest.mark.parametrize("value", ["nan", "inf"])
def test_gate_never_writes_nan(tmp_path, value, option="--rel-threshold"):
    (tmp_path / "a.aether").write_text(BAD_CALL)
    assert aether("baseline", ".", "-o", "b.json", cwd=tmp_path).returncode == 0
    proc = aether("gate", "--new", "b.json", "--ref", "b.json", option, value,
                  "-o", "g.json", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert not (tmp_path / "g.json").exists()


def test_gate_json_has_no_nan_even_from_the_library(tmp_path):
    from aether.baseline import build_baseline, parse_baseline, dumps as baseline_dumps
    from aether.gate import GateInputError, GateOptions, run_gate

    doc = baseline_dumps(build_baseline([check_text(BAD_CALL, "a.aether")], meta={}))
    b = parse_baseline(doc, "b.json")
    with pytest.raises(GateInputError, match="nan"):
        run_gate(b, b, GateOptions(rel_threshold=float("nan")))
    with pytest.raises(ValueError):
        baseline_dumps({"failure_rate": float("nan")})


def test_json_status_honours_output_file(tmp_path):
    (tmp_path / "a.aether").write_text(BAD_CALL)
    proc = aether("check", "a.aether", "--json-status", "-o", "out.json", cwd=tmp_path)
    assert proc.returncode == 25
    assert proc.stdout == b""
    (line,) = (tmp_path / "out.json").read_text().splitlines()
    assert json.loads(line)["code"] == 25


# --------------------------------------------------------------------------- the cache

SAME_SIZE_BAD = 'goal: "demo"\nlgg("hi")\n'  # as long as CLEAN, an unknown function


def _restore_mtime_edit(path, text):
    """Rewrite ``path`` with ``text`` of the same size and put its mtime back."""
    st = path.stat()
    assert len(text.encode()) == st.st_size
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size


def test_same_size_edit_with_restored_mtime_is_reported(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    flow = tmp_path / "a.aether"
    flow.write_text(CLEAN)
    (tmp_path / "b.aether").write_text(CLEAN)
    assert aether("check", ".", cwd=tmp_path).returncode == 0  # fills the cache
    _restore_mtime_edit(flow, SAME_SIZE_BAD)
    proc = aether("check", ".", cwd=tmp_path)
    assert proc.returncode == 25 and b"lgg" in proc.stdout


def _check_with_cache(tmp_path, clock_ns, monkeypatch):
    from aether.checker import CheckOptions
    from aether.runner import check_files, open_cache
    from aether.walk import iter_files

    monkeypatch.setattr("aether.cache.time.time_ns", lambda: clock_ns)
    options = CheckOptions(root=str(tmp_path))
    files = list(iter_files([str(tmp_path)], root=str(tmp_path)))
    cache = open_cache(options, None, True, str(tmp_path / "cache"), len(files))
    results = check_files(files, options, 1, cache)
    cache.save()
    return {os.path.basename(r.path): r for r in results}


def test_restored_mtime_is_caught_by_ctime_even_when_the_entry_is_old(tmp_path, monkeypatch):
    """The racy rule alone would not do once the entry is old enough: ctime does."""
    import time

    import aether.runner

    flow = tmp_path / "a.aether"
    flow.write_text(CLEAN)
    (tmp_path / "b.aether").write_text(CLEAN)
    later = time.time_ns() + 3600 * 10**9  # runs an hour after the files were written
    assert not _check_with_cache(tmp_path, later, monkeypatch)["a.aether"].findings
    reads = []
    real = aether.runner.read_source
    monkeypatch.setattr("aether.runner.read_source",
                        lambda path, *a: reads.append(path) or real(path, *a))
    # unchanged files written long before the run are trusted unread
    results = _check_with_cache(tmp_path, later + 10**9, monkeypatch)
    assert reads == [] and all(r.cached for r in results.values())
    _restore_mtime_edit(flow, SAME_SIZE_BAD)
    results = _check_with_cache(tmp_path, later + 2 * 10**9, monkeypatch)
    assert [f.rule for f in results["a.aether"].findings] == ["AE301"]
    assert reads == [str(flow)]


def test_a_write_in_the_same_tick_as_the_read_is_not_trusted(tmp_path, monkeypatch):
    """Racy git: a file changed less than the timestamp resolution before the run is
    hashed, even when size, mtime, ctime and inode all match (a coarse clock)."""
    from aether.cache import ResultCache
    from aether.diagnostics import FileResult

    flow = tmp_path / "a.aether"
    flow.write_text(CLEAN)
    st = flow.stat()
    monkeypatch.setattr("aether.cache.time.time_ns", lambda: st.st_mtime_ns + 10**9)
    cache = ResultCache(str(tmp_path / "c"), "k")
    cache.put("digest", FileResult("a.aether", []), st)
    assert cache.get_by_stat("a.aether", st) is None  # 1 s after the write: hashed
    assert cache.get("a.aether", "digest", st) is not None
    monkeypatch.setattr("aether.cache.time.time_ns", lambda: st.st_ctime_ns + 3 * 10**9)
    assert cache.save() is None
    fresh = ResultCache(str(tmp_path / "c"), "k")  # a later run, reading what was saved
    assert fresh.get_by_stat("a.aether", st) is None  # still the racy record
    assert fresh.get("a.aether", "digest", st) is not None  # refreshes the record
    assert fresh.get_by_stat("a.aether", st) is not None


# --------------------------------------------------------------------------- git selection

def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t",
                    "-c", "protocol.file.allow=always", *args],
                   cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo_with_submodule(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    _git(lib, "init", "-q")
    (lib / "vendored.aether").write_text(BAD_CALL)
    _git(lib, "add", "-A")
    _git(lib, "commit", "-qm", "lib")
    top = tmp_path / "top"
    top.mkdir()
    _git(top, "init", "-q")
    (top / "aether.toml").write_text("")
    (top / "flow.aether").write_text(BAD_CALL)
    (top / ".gitignore").write_text("build/\n*.gen.aether\n")
    (top / "forced.gen.aether").write_text(BAD_SYNTAX)  # tracked although ignored
    _git(top, "add", "-A")
    _git(top, "add", "-f", "forced.gen.aether")
    _git(top, "submodule", "add", "-q", str(lib), "sub")
    _git(top, "commit", "-qm", "top")
    # in the working tree only: ignored output and a nested repository
    (top / "build").mkdir()
    (top / "build" / "out.aether").write_text(BAD_SYNTAX)
    (top / "local.gen.aether").write_text(BAD_SYNTAX)
    nested = top / "nested"
    nested.mkdir()
    _git(nested, "init", "-q")
    (nested / "other.aether").write_text(BAD_SYNTAX)
    assert (top / "sub" / "vendored.aether").exists()
    return top


def test_working_tree_and_git_ref_baselines_select_the_same_files(repo_with_submodule):
    top = repo_with_submodule
    assert aether("baseline", "-o", "new.json", cwd=top).returncode == 0
    assert aether("baseline", "--git-ref", "HEAD", "-o", "ref.json", cwd=top).returncode == 0
    new = json.loads((top / "new.json").read_text())
    ref = json.loads((top / "ref.json").read_text())
    paths = [f["path"] for f in new["files"]]
    assert paths == ["flow.aether", "forced.gen.aether"]
    assert [f["path"] for f in ref["files"]] == paths
    # the documented CI recipe passes an unchanged change
    gate = aether("gate", "--new", "new.json", "--ref", "ref.json", cwd=top)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    # a new, untracked (not ignored) file is part of the change
    (top / "added.aether").write_text(BAD_CALL)
    assert aether("baseline", "-o", "new.json", cwd=top).returncode == 0
    new = json.loads((top / "new.json").read_text())
    assert "added.aether" in [f["path"] for f in new["files"]]
    # named explicitly, an ignored file is still measured (as `aether check` would)
    assert aether("baseline", "build/out.aether", "-o", "one.json", cwd=top).returncode == 0
    assert json.loads((top / "one.json").read_text())["total"] == 1


def test_prune_judges_the_same_files_as_the_baseline(repo_with_submodule):
    top = repo_with_submodule
    from aether.checker import check_text as ct

    # an entry for a finding in an ignored file is dead for the gate, and for prune too
    ignored_fp = ct(BAD_SYNTAX, "local.gen.aether").findings[0].fingerprint
    (top / ".aether").mkdir()
    (top / ".aether" / "suppressions.txt").write_text(f"{ignored_fp}\n")
    proc = aether("suppressions", "prune", "--dry-run", cwd=top)
    assert proc.returncode == 0 and b"would drop" in proc.stdout


def test_outside_git_the_walk_is_unchanged(tmp_path):
    from aether.gitsource import as_git_sees
    from aether.walk import iter_files

    (tmp_path / "a.aether").write_text(CLEAN)
    files = list(iter_files([str(tmp_path)]))
    assert as_git_sees(files, [str(tmp_path)], str(tmp_path)) == files


# --------------------------------------------------------------------------- item 13

MESSY = 'goal:  "x"\r\nx:  1\r\n'

ODD_NAMES = ["sp ace.aether", "back\\slash.aether", "tab\tname.aether", 'q"uote.aether',
             " lead.aether", "new\nline.aether", "café.aether"]


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_fmt_diff_applies_with_patch_for_any_file_name(tmp_path):
    names = ODD_NAMES + ([os.fsdecode(b"caf\xe9.aether")] if sys.platform != "darwin" else [])
    for name in names:
        (tmp_path / name).write_bytes(MESSY.encode())
    diff = aether("fmt", "--diff", ".", cwd=tmp_path)
    assert diff.returncode == 1
    (tmp_path / "all.patch").write_bytes(diff.stdout)
    applied = subprocess.run(["patch", "-p0", "--batch", "-i", "all.patch"], cwd=tmp_path,
                             capture_output=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for name in names:
        assert (tmp_path / name).read_bytes() == b'goal: "x"\r\nx: 1\r\n', name
    assert aether("fmt", "--check", ".", cwd=tmp_path).returncode == 0


def test_diff_names_follow_git():
    from aether.fileio import diff_name

    assert diff_name("a/b.aether") == "a/b.aether"
    assert diff_name("sp ace.aether") == "sp ace.aether\t"
    assert diff_name("back\\slash.aether") == '"back\\\\slash.aether"'
    assert diff_name("tab\tname.aether") == '"tab\\tname.aether"'
    assert diff_name("caf\\xe9.aether") == '"caf\\351.aether"'  # printable_path's form
    assert diff_name("café.aether") == "café.aether"


def test_sarif_keeps_a_backslash_in_a_posix_file_name(tmp_path):
    if os.sep != "/":
        pytest.skip("a backslash is a separator here")
    (tmp_path / "back\\slash.aether").write_text(BAD_CALL)
    (tmp_path / "back").mkdir()
    (tmp_path / "back" / "slash.aether").write_text(BAD_CALL)
    proc = aether("check", "--format", "sarif", ".", cwd=tmp_path)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in json.loads(proc.stdout)["runs"][0]["results"])
    assert uris == ["back%5Cslash.aether", "back/slash.aether"]


@pytest.mark.parametrize("data", [b'\xef\xbb\xbfgoal:  "x"\r\nx:  1\r\n',
                                  b'goal:  "x"\r\nx:  1\r\n', b'goal:  "x"\rx:  1\r',
                                  b'\xef\xbb\xbfgoal:  "x"\nx:  1\n'])
def test_fmt_stdin_keeps_newlines_and_bom_like_a_file(tmp_path, data):
    (tmp_path / "f.aether").write_bytes(data)
    assert aether("fmt", "f.aether", cwd=tmp_path).returncode == 0
    as_file = (tmp_path / "f.aether").read_bytes()
    proc = aether("fmt", "-", cwd=tmp_path, input=data)
    assert proc.returncode == 0 and proc.stdout == as_file
    assert aether("fmt", "--check", "-", cwd=tmp_path, input=as_file).returncode == 0
    assert aether("fmt", "--check", "-", cwd=tmp_path, input=data).returncode == 1


@pytest.mark.parametrize("text, rule", [
    ('goal: "x"\nx: 1\n\x0b', "AE101"),       # check: unexpected character
    ('goal: "x"\nx:  1\n \x0c\x0b\n', "AE1"),   # whitespace fmt would have stripped
    ('goal: "x"\nx:  1\nlimit = 5\n', "AE204"),  # legacy: check says PARSE_ERROR
    ('intent: "x"\nx:  1\n', "AE201"),
    ('goal: "x"\nif x:\n\tlog(x)\ny:  (1 +\n', "AE1"),
])
def test_fmt_leaves_a_file_check_calls_a_parse_error(tmp_path, text, rule):
    flow = tmp_path / "f.aether"
    flow.write_bytes(text.encode())
    checked = aether("check", "f.aether", cwd=tmp_path)
    assert checked.returncode == 20
    for args in (["f.aether"], ["--check", "f.aether"], ["--diff", "f.aether"]):
        proc = aether("fmt", *args, cwd=tmp_path)
        assert proc.returncode == 20, (args, proc.stderr)
        assert rule.encode() in proc.stderr
        assert proc.stdout == b""
    assert flow.read_bytes() == text.encode()
    assert aether("fmt", "-", cwd=tmp_path, input=text.encode()).returncode == 20


def test_fmt_still_repairs_tab_indentation(tmp_path):
    flow = tmp_path / "f.aether"
    flow.write_text('goal: "x"\nif true:\n\tlog("a")\n')
    assert aether("check", "f.aether", cwd=tmp_path).returncode == 20  # AE105
    assert aether("fmt", "f.aether", cwd=tmp_path).returncode == 0
    assert flow.read_text() == 'goal: "x"\nif true:\n    log("a")\n'


def test_config_dev_null_is_an_empty_configuration(tmp_path):
    (tmp_path / "a.aether").write_text(BAD_CALL)
    (tmp_path / "aether.toml").write_text('ignore = ["AE301"]\n')
    assert aether("check", "a.aether", cwd=tmp_path).returncode == 0
    proc = aether("check", "a.aether", "--config", os.devnull, cwd=tmp_path)
    assert proc.returncode == 25 and b"not found" not in proc.stderr
    (tmp_path / "empty.toml").write_text("")
    assert aether("check", "a.aether", "--config", "empty.toml", cwd=tmp_path).returncode == 25


@pytest.mark.parametrize("target, what", [(".", b"is a directory"),
                                          ("nope.toml", b"not found"),
                                          ("/dev/zero", b"is a character device")])
def test_config_that_is_not_a_file_says_what_it_is(tmp_path, target, what):
    if target.startswith("/dev/") and not os.path.exists(target):
        pytest.skip(f"no {target}")
    (tmp_path / "a.aether").write_text(CLEAN)
    for command in (["check", "a.aether"], ["fmt", "a.aether"]):
        proc = aether(*command, "--config", target, cwd=tmp_path)
        assert proc.returncode == 26, proc.stderr
        assert what in proc.stderr and target.encode() in proc.stderr
