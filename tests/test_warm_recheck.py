"""A warm re-check (every file unchanged, results from the cache) reads no file whose
source the report never shows, and reports exactly what a cold run reports."""

from __future__ import annotations

import io
import sys

import pytest

from aether import cache as cache_mod, runner
from aether.cli.check_run import run_check


def _project(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "clean.aether").write_text('goal: "g"\nlog("x")\n')
    (src / "bad.aether").write_text('goal: "g"\nlog(undefined_value)\n')
    return src


def _run(monkeypatch, src, cache_dir, fmt, reads):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)

    def counting(path, *args, **kwargs):
        reads.append(path)
        return real(path, *args, **kwargs)

    real = runner.read_source
    monkeypatch.setattr(runner, "read_source", counting)
    status = run_check([str(src)], fmt=fmt, isolated=True, quiet=True,
                       cache_dir=str(cache_dir))
    monkeypatch.setattr(runner, "read_source", real)
    return status, out.getvalue()


@pytest.mark.parametrize("fmt,rereads", [("json", False), ("jsonl", False),
                                         ("github", False), ("text", True),
                                         ("sarif", True)])
def test_warm_run_reads_sources_only_for_reports_that_quote_them(tmp_path, monkeypatch,
                                                                 fmt, rereads):
    # trust the recorded stat at once (no 2-second wait for the racy-timestamp margin)
    monkeypatch.setattr(cache_mod, "RACY_MARGIN_NS", -10**15)
    src = _project(tmp_path)
    cold_reads: list = []
    cold = _run(monkeypatch, src, tmp_path / "cache", fmt, cold_reads)
    assert len(cold_reads) == 2
    warm_reads: list = []
    warm = _run(monkeypatch, src, tmp_path / "cache", fmt, warm_reads)
    assert warm == cold
    assert cold[0] == 25
    # the file with a finding is read again only when the report shows source lines
    assert [p.endswith("bad.aether") for p in warm_reads] == ([True] if rereads else [])


def test_walk_paths_are_those_of_os_path_join(tmp_path):
    """The walk joins each folder once and builds its records without ``__init__``: the
    files, paths and display paths are still those of os.path.join and SourceFile."""
    import os

    from aether.walk import SourceFile, iter_files, printable_path

    names = ["b.aether", "a.aether", "é.aether", "x.txt", "\udcff.aether"]
    for folder in ("", "sub", os.path.join("sub", "deeper"), ".hidden"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            try:
                (tmp_path / folder / name).write_text("")
            except (UnicodeEncodeError, OSError):  # a file system without raw bytes
                pass
    expected = []
    for folder in ("", "sub", os.path.join("sub", "deeper")):
        where = os.path.join(str(tmp_path), folder) if folder else str(tmp_path)
        for name in sorted(os.listdir(where)):
            if name.endswith(".aether"):
                shown = (folder.replace(os.sep, "/") + "/" if folder else "") + \
                    printable_path(name)
                expected.append(SourceFile(os.path.join(where, name), shown))
    got = list(iter_files([str(tmp_path)], cwd=str(tmp_path), root=str(tmp_path)))
    assert got == expected and all(type(f) is SourceFile for f in got)


def test_trusted_stamps_still_follow_files_config_and_catalogue(tmp_path, monkeypatch):
    """Stamps trusted by stat alone (no racy margin) skip reading only while nothing that
    decides a result changed: an edit of the same size, the configuration's rule selection
    and the project tool catalogue each bring the real findings back."""
    monkeypatch.setattr(cache_mod, "RACY_MARGIN_NS", -10**15)
    monkeypatch.chdir(tmp_path)
    src = _project(tmp_path)
    (src / "other.aether").write_text('goal: "g"\ndeploy()\n')  # not a known function
    cache_dir = tmp_path / "cache"

    def check(reads):
        return _run_in(monkeypatch, src, cache_dir, reads)

    cold: list = []
    assert check(cold)[0] == 25 and len(cold) == 3
    warm: list = []
    assert check(warm)[0] == 25 and warm == []  # every file trusted by its stat
    clean = src / "clean.aether"
    before = clean.read_text()
    clean.write_text(before.replace('log("x")', 'log(x12)'))  # same size, an AE301 now
    assert len(clean.read_text()) == len(before)
    reads: list = []
    status, out = check(reads)
    assert status == 25 and [p.endswith("clean.aether") for p in reads] == [True]
    assert '"file": "src/clean.aether",\n      "ok": false' in out
    clean.write_text(before)
    (tmp_path / "aether.toml").write_text('ignore = ["AE3"]\n')
    reads = []
    assert check(reads)[0] == 0 and len(reads) == 3  # another configuration: a new cache
    (tmp_path / "aether.toml").unlink()
    reads = []
    status, out = check(reads)
    # the first configuration's cache again: only the file written back since is read
    assert status == 25 and [p.endswith("clean.aether") for p in reads] == [True]
    assert '"file": "src/other.aether",\n      "ok": false' in out
    (tmp_path / "aether-tools.toml").write_text('[tools.deploy]\nparams = []\n')
    reads = []
    status, out = check(reads)
    assert len(reads) == 3  # a new catalogue: a new cache
    assert '"file": "src/other.aether",\n      "ok": true' in out


def _run_in(monkeypatch, src, cache_dir, reads):
    """run_check on ``src`` with its configuration (not isolated), counting file reads."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    real = runner.read_source

    def counting(path, *args, **kwargs):
        reads.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "read_source", counting)
    status = run_check([str(src)], fmt="json", quiet=True, cache_dir=str(cache_dir))
    monkeypatch.setattr(runner, "read_source", real)
    return status, out.getvalue()
