"""`aether baseline`: the reference schema plus findings, determinism, --git-ref, reading back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime

import pytest
from click.testing import CliRunner

from aether import __version__
from aether.baseline import BaselineError, build_baseline, dumps, load_baseline, parse_baseline
from aether.checker import check_text
from aether.cli.main import cli
from aether.suppressions import parse_text, SuppressionList
from aether.syntax import grammar_hash

CLEAN = 'goal: "demo"\nlog("hi")\n'
BAD_CALL = 'goal: "demo"\nsummarise(1)\n'
TWIN = 'goal: "demo"\nif true:\n    unk(1)\n    unk(1)\n'
BAD_SYNTAX = 'goal: "demo"\nx: (1 + )\n'
INLINE = 'goal: "demo"\nunk(1)  # aether: ignore[AE301] -- tested\n'


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "ok.aether").write_text(CLEAN)
    (tmp_path / "call.aether").write_text(BAD_CALL)
    (tmp_path / "twin.aether").write_text(TWIN)
    (tmp_path / "inline.aether").write_text(INLINE)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "syntax.aether").write_text(BAD_SYNTAX)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def baseline_of(*args):
    result = invoke("baseline", "-q", "-j", "1", "--no-cache", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_reference_schema_and_additions(tree):
    doc = baseline_of(".")
    for key in ("timestamp", "total", "by_code", "failure_rate", "files"):
        assert key in doc
    assert doc["total"] == 5
    assert doc["by_code"] == {"SUCCESS": 2, "PARSE_ERROR": 1, "VALIDATION_ERROR": 2}
    assert doc["failure_rate"] == 0.6
    assert doc["suppressed_failures"] == 0
    assert datetime.fromisoformat(doc["timestamp"]).utcoffset().total_seconds() == 0
    meta = doc["_meta"]
    assert meta["version"] == __version__ and meta["grammar_hash"] == grammar_hash()
    assert meta["fingerprint"] == "aether/v1"
    paths = [f["path"] for f in doc["files"]]
    assert paths == sorted(paths) and "sub/syntax.aether" in paths
    by_path = {f["path"]: f for f in doc["files"]}
    call = by_path["call.aether"]
    assert (call["code_name"], call["line"]) == ("VALIDATION_ERROR", 2)
    assert "summarise" in call["message"]
    (finding,) = call["findings"]
    assert set(finding) == {"rule", "code_name", "line", "column", "message", "fingerprint",
                            "legacy_fingerprint"}
    assert finding["rule"] == "AE301" and finding["column"] == 1
    ok = by_path["ok.aether"]
    assert ok["code_name"] == "SUCCESS" and ok["findings"] == [] and ok["line"] is None


def test_ties_are_two_entries(tree):
    doc = baseline_of("twin.aether")
    findings = doc["files"][0]["findings"]
    assert len(findings) == 2
    assert findings[0]["fingerprint"] != findings[1]["fingerprint"]


def test_inline_suppressions_are_listed_not_failing(tree):
    entry = baseline_of("inline.aether")["files"][0]
    assert entry["code_name"] == "SUCCESS" and entry["findings"] == []
    (s,) = entry["suppressed"]
    assert s["by"] == "inline" and s["category"] == "Suppressed-ValidationError"


def test_deterministic_apart_from_timestamp(tree):
    first = invoke("baseline", "-q", "-o", "a.json").exit_code
    second = invoke("baseline", "-q", "-o", "b.json").exit_code  # from the cache this time
    assert first == second == 0
    a = (tree / "a.json").read_text().splitlines()
    b = (tree / "b.json").read_text().splitlines()
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    assert len(a) == len(b)
    assert all(x.startswith('"timestamp"') for x, _ in diff)


def test_suppression_list_recategorises_and_counts_separately(tree):
    fp = baseline_of("call.aether")["files"][0]["findings"][0]["fingerprint"]
    (tree / ".aether").mkdir()
    (tree / ".aether" / "suppressions.txt").write_text(
        f"# accepted for now\n{fp}  owner=ops expires=2999-01-01  # plugin coming\n")
    doc = baseline_of(".")
    assert doc["suppressed_failures"] == 1
    assert doc["by_code"] == {"SUCCESS": 2, "PARSE_ERROR": 1, "VALIDATION_ERROR": 1}
    assert sum(doc["by_code"].values()) + doc["suppressed_failures"] == doc["total"]
    call = next(f for f in doc["files"] if f["path"] == "call.aether")
    assert call["category"] == "Suppressed-ValidationError"
    assert call["findings"] == []
    assert call["suppressed"][0]["by"] == "list" and call["suppressed"][0]["entry"] == fp
    assert doc["_meta"]["suppression_files"] == [".aether/suppressions.txt"]
    assert baseline_of("--no-suppressions", ".")["suppressed_failures"] == 0


def test_legacy_fingerprint_and_reference_location_suppress(tree):
    legacy = baseline_of("call.aether")["files"][0]["findings"][0]["legacy_fingerprint"]
    (tree / ".aetherra").mkdir()
    (tree / ".aetherra" / "workflow_suppressions.txt").write_text(f"{legacy}  # old tool\n")
    assert baseline_of(".")["suppressed_failures"] == 1


def test_expired_entry_suppresses_nothing(tree):
    fp = baseline_of("call.aether")["files"][0]["findings"][0]["fingerprint"]
    (tree / ".aether").mkdir()
    (tree / ".aether" / "suppressions.txt").write_text(f"{fp} expires=2001-01-01\n")
    assert baseline_of(".")["suppressed_failures"] == 0


def test_bad_suppression_file_is_exit_2(tree):
    (tree / ".aether").mkdir()
    (tree / ".aether" / "suppressions.txt").write_text("not-a-fingerprint\n")
    result = invoke("baseline", "-q", ".")
    assert result.exit_code == 2
    assert "suppressions.txt:1" in result.stderr


def test_exit_0_even_when_files_fail_and_2_when_output_unwritable(tree):
    assert invoke("baseline", "-q", "-o", "out.json", "call.aether").exit_code == 0
    (tree / "blocker").write_text("a file, so no folder can be made under it\n")
    result = invoke("baseline", "-q", "-o", str(tree / "blocker" / "such" / "dir.json"), ".")
    assert result.exit_code == 2 and "cannot write" in result.stderr
    # a missing folder is created, as for `aether check -o`
    assert invoke("baseline", "-q", "-o", str(tree / "new" / "b.json"), ".").exit_code == 0
    assert json.loads((tree / "new" / "b.json").read_text())["files"]


def test_build_baseline_library():
    results = [check_text(BAD_CALL, "b.aether"), check_text(CLEAN, "a.aether")]
    fp = results[0].findings[0].fingerprint
    slist = SuppressionList(parse_text(f"{fp}\n", "s.txt"), ["s.txt"])
    doc = build_baseline(results, suppressions=slist, timestamp="T")
    assert [f["path"] for f in doc["files"]] == ["a.aether", "b.aether"]
    assert doc["by_code"] == {"SUCCESS": 1} and doc["suppressed_failures"] == 1
    assert json.loads(dumps(doc)) == doc
    assert parse_baseline(dumps(doc)).fingerprinted


# --------------------------------------------------------------------------- reading back

@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("   \n", "is empty"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"total": 3}', "no 'by_code'"),
    ('{"by_code": {"PARSE_ERROR": "many"}}', "must be a count"),
    ('{"by_code": {}, "files": {}}', "'files' must be a list"),
    ('{"by_code": {}, "_meta": {"fingerprint": "aether/v1"}, "files": [{"path": "a"}]}',
     "no 'findings'"),
    ('{"by_code": {}, "_meta": {"fingerprint": "aether/v1"}, '
     '"files": [{"path": "a", "findings": [{"line": 1}]}]}', "needs string 'fingerprint'"),
    ('{"by_code": {}, "_meta": {"schema": 99}}', "schema 99"),
])
def test_malformed_baselines_are_rejected(text, message):
    with pytest.raises(BaselineError, match=message):
        parse_baseline(text, "x.json")


def test_load_missing_file(tmp_path):
    with pytest.raises(BaselineError, match="does not exist"):
        load_baseline(str(tmp_path / "nope.json"))


def test_reference_style_baseline_loads_without_fingerprints():
    ref = parse_baseline(json.dumps({
        "timestamp": "2025-09-12T10:15:00Z", "total": 2,
        "by_code": {"SUCCESS": 1, "PARSE_ERROR": 1}, "failure_rate": 0.5,
        "files": [{"path": "a.aether", "code_name": "PARSE_ERROR", "line": 3,
                   "message": "Parse error"}]}))
    assert not ref.fingerprinted and ref.by_code["PARSE_ERROR"] == 1


# --------------------------------------------------------------------------- --git-ref

def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "a.aether").write_text(BAD_CALL)
    (tmp_path / "flows" / "b.aether").write_text(CLEAN)
    (tmp_path / "flows" / ".hidden").mkdir()
    (tmp_path / "flows" / ".hidden" / "h.aether").write_text(BAD_CALL)
    (tmp_path / "skipped").mkdir()
    (tmp_path / "skipped" / "s.aether").write_text(BAD_CALL)
    (tmp_path / "pyproject.toml").write_text('[tool.aether]\nexclude = ["skipped"]\n')
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(doc):
    return [{k: v for k, v in f.items()} for f in doc["files"]]


def test_git_ref_matches_working_tree_when_clean(repo):
    worktree = baseline_of(".")
    at_head = baseline_of("--git-ref", "HEAD", ".")
    assert _files(at_head) == _files(worktree)
    assert [f["path"] for f in at_head["files"]] == ["flows/a.aether", "flows/b.aether"]
    assert at_head["_meta"]["git_ref"] == "HEAD"
    assert len(at_head["_meta"]["git_commit"]) == 40


def test_git_ref_reads_the_revision_without_touching_the_tree(repo):
    (repo / "flows" / "b.aether").write_text(BAD_CALL)  # uncommitted change
    (repo / "flows" / "new.aether").write_text(BAD_CALL)  # untracked file
    before = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                            text=True).stdout
    at_head = baseline_of("--git-ref", "HEAD", ".")
    assert [f["path"] for f in at_head["files"]] == ["flows/a.aether", "flows/b.aether"]
    assert at_head["by_code"] == {"SUCCESS": 1, "VALIDATION_ERROR": 1}
    assert (repo / "flows" / "b.aether").read_text() == BAD_CALL
    after = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                           text=True).stdout
    assert before == after


def test_git_ref_from_a_subfolder_uses_working_tree_display_paths(repo, monkeypatch):
    monkeypatch.chdir(repo / "flows")
    at_head = baseline_of("--git-ref", "HEAD", ".")
    worktree = baseline_of(".")
    assert [f["path"] for f in at_head["files"]] == ["a.aether", "b.aether"]
    assert _files(at_head) == _files(worktree)


def test_git_ref_older_revision(repo):
    (repo / "flows" / "a.aether").write_text(CLEAN)
    git(repo, "commit", "-qam", "fix")
    assert baseline_of("--git-ref", "HEAD~1", ".")["by_code"].get("VALIDATION_ERROR") == 1
    assert "VALIDATION_ERROR" not in baseline_of("--git-ref", "HEAD", ".")["by_code"]


def test_git_ref_errors_exit_2(repo, tmp_path_factory, monkeypatch):
    result = invoke("baseline", "-q", "--git-ref", "no-such-branch", ".")
    assert result.exit_code == 2 and "unknown revision" in result.stderr
    monkeypatch.chdir(tmp_path_factory.mktemp("plain"))
    result = invoke("baseline", "-q", "--git-ref", "HEAD", ".")
    assert result.exit_code == 2 and "not inside a git repository" in result.stderr


def test_missing_path_is_exit_2(tree):
    result = invoke("baseline", "-q", "nope/", ".")
    assert result.exit_code == 2 and "no such file or directory: nope/" in result.stderr


def test_rule_selection_is_recorded(tree):
    meta = baseline_of("--ignore", "AE301", ".")["_meta"]
    assert meta["rules"] == {"select": None, "ignore": ["AE301"]}


def test_git_ref_with_worker_pool_and_cache(repo):
    for i in range(40):
        (repo / "flows" / f"gen_{i:02d}.aether").write_text(
            f'goal: "g"\nlog({i})\n' + ("unknown_call(1)\n" if i % 3 == 0 else ""))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "many")
    cold = invoke("baseline", "-q", "-j", "2", "--no-cache", "--git-ref", "HEAD", ".")
    first = invoke("baseline", "-q", "-j", "2", "--git-ref", "HEAD", ".")  # fills the cache
    second = invoke("baseline", "-q", "-j", "2", "--git-ref", "HEAD", ".")  # reads it
    tree = invoke("baseline", "-q", "-j", "2", ".")
    docs = [json.loads(r.stdout) for r in (cold, first, second, tree)]
    assert all(_files(d) == _files(docs[0]) for d in docs)
    assert len(docs[0]["files"]) == 42
    assert docs[0]["by_code"]["VALIDATION_ERROR"] == 15


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_ref_does_not_read_a_blob_over_the_size_limit(tmp_path):
    # a pull request committing a 2 GB `x.aether` must not be read into memory whole
    from aether.gitsource import read_blobs

    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "big.aether").write_text("x" * 5000)
    (tmp_path / "small.aether").write_text('goal: "x"\n')
    (tmp_path / "aether.toml").write_text("max-file-size = 1000\n")
    git("add", "-A")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x")
    big, small = git("rev-parse", "HEAD:big.aether"), git("rev-parse", "HEAD:small.aether")
    blobs = read_blobs([big, small], str(tmp_path), max_size=1000)
    assert blobs[big] == bytes(1001)  # stands for "over the limit"; never read
    assert blobs[small] == b'goal: "x"\n'
    proc = subprocess.run([sys.executable, "-m", "aether", "baseline", "--git-ref", "HEAD",
                           "."], cwd=tmp_path,
                          capture_output=True, text=True)
    doc = json.loads(proc.stdout)
    [bad] = [f for f in doc["files"] if f["path"] == "big.aether"]
    assert bad["findings"][0]["rule"] == "AE006"
    assert "over the 1000 bytes limit" in bad["findings"][0]["message"]
