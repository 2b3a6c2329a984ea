"""No write escapes the project through a link, and a signal leaves no temporary file.

docs/security.md states the rules tested here: a link met while searching a folder, a
default output name and every file of the cache are never written through; a path named
on the command line (a file to rewrite) may be; SIGINT / SIGTERM end a run with a coded
exit, one line on stderr and no ``.NAME.aether-tmp-*`` left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_group import left_alive

from aether.fileio import (LINK_NOT_FOLLOWED, OUTPUT_IS_LINK, WriteError, create_new, make_dir,
                           write_atomic, write_output)

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                reason="needs POSIX symbolic links and signals")

CLEAN = 'goal: "demo"\nlog("hi")\n'
UGLY = 'goal:   "demo"\nlog( "hi" )\n'  # fmt rewrites it
PRETTY = 'goal: "demo"\nlog("hi")\n'
LEGACY = 'intent: "Tidy"\ndefine limit as 3\n'  # migrate rewrites it
CALL = 'goal: "x"\nunknown_fn(1)\n'


def aether(*args, cwd):
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=dict(os.environ, NO_COLOR="1"))


def snapshot(top: Path, skip: Path = None) -> dict:
    """Every entry under ``top`` (links not followed, ``skip`` left out): kind, bytes or
    link text, mode and mtime. Equal snapshots mean nothing there was written."""
    out = {}
    for folder, dirs, files in os.walk(top):
        if skip is not None:
            dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in dirs + files:
            p = Path(folder, name)
            st = os.lstat(p)
            if p.is_symlink():
                out[str(p)] = ("link", os.readlink(p))
            elif p.is_dir():
                out[str(p)] = ("dir", st.st_mtime_ns, st.st_mode)
            else:
                out[str(p)] = ("file", p.read_bytes(), st.st_mtime_ns, st.st_mode)
    st = os.stat(top)
    out[str(top)] = ("dir", st.st_mtime_ns)
    return out


def links_in(top: Path) -> dict:
    """Every symbolic link under ``top`` and its text (links not followed)."""
    out = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            p = Path(folder, name)
            if p.is_symlink():
                out[str(p)] = os.readlink(p)
    return out


# ---------------------------------------------------------------- the whole tree

def hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A project full of links into and out of it, dangling ones and loops, with every
    default output name and the cache's files taken by links to an outside folder."""
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    (outside / "dir").mkdir(parents=True)
    project.mkdir()
    (outside / "x.aether").write_text(UGLY)
    (outside / "legacy.aether").write_text(LEGACY)
    (outside / "dir" / "y.aether").write_text(UGLY)
    (outside / "report.md").write_text("outside report\n")
    (outside / "base.json").write_text("{}\n")
    (outside / "victim").write_text("do not touch\n")
    (outside / "supp.txt").write_text("ffffffffffffffff  # dead entry\n")
    (outside / "cache").mkdir()

    (project / "aether.toml").write_text("")
    (project / "ok.aether").write_text(CLEAN)
    (project / "ugly.aether").write_text(UGLY)
    (project / "legacy.aether").write_text(LEGACY)
    (project / "call.aether").write_text(CALL)
    hidden = project / ".hidden"
    hidden.mkdir()
    (hidden / "target.aether").write_text(UGLY)
    links = {
        "out.aether": "../outside/x.aether",            # a file outside
        "outlegacy.aether": "../outside/legacy.aether",  # outside, needs migrating
        "into.aether": ".hidden/target.aether",        # inside, in a folder never searched
        "dangling.aether": "../outside/missing.aether",
        "loop.aether": "loop.aether",                  # a link to itself
        "loopdir": ".",                                # a folder loop
        "outdir": "../outside/dir",                    # a folder outside
        "migration_report.md": "../outside/report.md",
        "base.json": "../outside/base.json",
        "gate.json": "../outside/gate.json",           # dangling: would create it
        ".aether_cache": "../outside/cache",
    }
    for name, target in links.items():
        os.symlink(target, project / name)
    (project / ".aether").mkdir()
    os.symlink("../../outside/supp.txt", project / ".aether" / "suppressions.txt")
    (project / "m.json").write_text(json.dumps(
        {"fingerprint_remap": {"ffffffffffffffff": "eeeeeeeeeeeeeeee"}}))
    return project, outside


def test_no_writing_command_writes_through_a_link(tmp_path):
    project, outside = hostile_tree(tmp_path)
    before = snapshot(tmp_path, skip=project)
    links = links_in(project)
    hidden_before = (project / ".hidden" / "target.aether").read_bytes()

    runs = {
        "check": aether("check", ".", cwd=project),
        "check -o": aether("check", ".", "--format", "json", "-o", "base.json", cwd=project),
        "baseline": aether("baseline", ".", "-o", "base.json", cwd=project),
        "baseline ok": aether("baseline", ".", "-o", "fresh.json", cwd=project),
        "gate": aether("gate", "--new", "fresh.json", "--ref", "fresh.json", "-o", "gate.json",
                       cwd=project),
        "gate md": aether("gate", "--new", "fresh.json", "--ref", "fresh.json",
                          "--markdown", "migration_report.md", cwd=project),
        "fmt": aether("fmt", ".", cwd=project),
        "migrate": aether("migrate", "--apply", ".", cwd=project),
        "migrate report": aether("migrate", "--apply", ".", "--report", "base.json",
                                 cwd=project),
        # prune refuses a tree with an unreadable (dangling) file before it reads the list;
        # over readable files it reaches the linked default list and refuses that
        "prune tree": aether("suppressions", "prune", ".", cwd=project),
        "prune": aether("suppressions", "prune", "ok.aether", "ugly.aether", cwd=project),
        "remap": aether("suppressions", "remap", "m.json", cwd=project),
    }
    for name, proc in runs.items():
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, name

    assert snapshot(tmp_path, skip=project) == before  # nothing outside changed
    assert links_in(project) == links                  # every link still there, unchanged
    assert (project / ".hidden" / "target.aether").read_bytes() == hidden_before
    assert not any(".aether-tmp-" in p.name for p in tmp_path.rglob("*"))

    # each refusal is a coded exit with one clear line
    assert "warning: result cache not saved" in runs["check"].stderr
    assert runs["check -o"].returncode == 26 and "symbolic link" in runs["check -o"].stderr
    assert runs["baseline"].returncode == 2 and "symbolic link" in runs["baseline"].stderr
    assert runs["baseline ok"].returncode == 0, runs["baseline ok"].stderr
    assert runs["gate"].returncode == 2 and "symbolic link" in runs["gate"].stderr
    assert runs["gate md"].returncode == 2 and "symbolic link" in runs["gate md"].stderr
    assert runs["fmt"].returncode == 26
    assert "out.aether: a symbolic link found while searching a folder: not followed" in runs["fmt"].stderr
    assert runs["migrate"].returncode == 26
    assert "skipped outlegacy.aether: a symbolic link" in runs["migrate"].stderr
    assert "cannot write the report" in runs["migrate"].stderr
    assert runs["migrate report"].returncode == 26
    assert runs["prune tree"].returncode == 26
    assert "dangling.aether" in runs["prune tree"].stdout + runs["prune tree"].stderr
    assert runs["prune"].returncode == 2 and "symbolic link" in runs["prune"].stderr
    assert runs["remap"].returncode == 2 and "symbolic link" in runs["remap"].stderr
    # ...while the project's own files were processed
    assert (project / "ugly.aether").read_text() == PRETTY
    assert "limit: 3" in (project / "legacy.aether").read_text()


@pytest.mark.parametrize("variant", ["folder", "gitignore", "gitignore-dangling", "tag", "v1",
                                     "cache-file"])
def test_cache_files_are_never_written_through_a_link(tmp_path, variant):
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    outside.mkdir()
    project.mkdir()
    (outside / "victim").write_text("do not touch\n")
    (outside / "folder").mkdir()
    (project / "aether.toml").write_text("")
    (project / "a.aether").write_text(CLEAN)
    (project / "b.aether").write_text(CALL)
    cache = project / ".aether_cache"
    if variant == "folder":
        os.symlink("../outside/folder", cache)
    else:
        cache.mkdir()
        link = {"gitignore": ".gitignore", "gitignore-dangling": ".gitignore",
                "tag": "CACHEDIR.TAG", "v1": "v1", "cache-file": None}[variant]
        target = {"gitignore-dangling": "../../outside/created", "v1": "../../outside/folder"
                  }.get(variant, "../../outside/victim")
        if link is None:  # the cache file itself: saved once, then swapped for a link
            assert aether("check", ".", cwd=project).returncode == 25
            (saved,) = (cache / "v1").iterdir()
            saved.unlink()
            os.symlink("../../../outside/victim", saved)
            (project / "a.aether").write_text(CLEAN + "# changed, so the cache is saved\n")
        else:
            os.symlink(target, cache / link)
    before = snapshot(tmp_path, skip=project)
    for args in (("check", "."), ("baseline", ".")):
        proc = aether(*args, cwd=project)
        assert proc.returncode in (0, 25), proc.stderr
        assert "Traceback" not in proc.stderr
        if args[0] == "check":
            assert "warning: result cache not saved" in proc.stderr
            assert "symbolic link" in proc.stderr
            assert len([ln for ln in proc.stderr.splitlines() if "cache" in ln]) == 1
    assert snapshot(tmp_path, skip=project) == before
    assert not (outside / "created").exists()


def test_cache_dir_dot_keeps_the_projects_gitignore(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text(CLEAN)
    (tmp_path / "b.aether").write_text(CLEAN)
    (tmp_path / ".gitignore").write_text("build/\n")
    proc = aether("check", ".", "--cache-dir", ".", cwd=tmp_path)
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    assert (tmp_path / ".gitignore").read_text() == "build/\n"
    assert not (tmp_path / "CACHEDIR.TAG").exists()  # a project folder is not a cache
    assert list((tmp_path / "v1").iterdir())          # the cache itself was saved
    # nor does a folder that exists already get a .gitignore of `*`
    (tmp_path / ".gitignore").unlink()
    (tmp_path / "build").mkdir()
    (tmp_path / "b.aether").write_text(CALL)
    aether("check", ".", "--cache-dir", "build", cwd=tmp_path)
    assert not (tmp_path / "build" / ".gitignore").exists()
    assert not (tmp_path / ".gitignore").exists()


def test_a_fresh_cache_folder_is_marked_as_a_cache(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text(CLEAN)
    (tmp_path / "b.aether").write_text(CLEAN)
    assert aether("check", ".", cwd=tmp_path).returncode == 0
    cache = tmp_path / ".aether_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    assert (cache / ".gitignore").read_text().endswith("*\n")
    (cache / ".gitignore").write_text("mine\n")  # an edited marker is never overwritten
    (tmp_path / "b.aether").write_text(CALL)
    aether("check", ".", cwd=tmp_path)
    assert (cache / ".gitignore").read_text() == "mine\n"


def test_configured_cache_folder_stays_inside_the_project(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "aether.toml").write_text('cache-dir = "../elsewhere"\n')
    (project / "a.aether").write_text(CLEAN)
    (project / "b.aether").write_text(CLEAN)
    proc = aether("check", ".", cwd=project)
    assert proc.returncode == 0
    assert "outside the project" in proc.stderr
    assert not (tmp_path / "elsewhere").exists()
    # a folder link on the way out is caught the same way
    (tmp_path / "away").mkdir()
    os.symlink("../away", project / "build")
    (project / "aether.toml").write_text('cache-dir = "build/cache"\n')
    proc = aether("check", ".", cwd=project)
    assert "outside the project" in proc.stderr
    assert list((tmp_path / "away").iterdir()) == []
    # --cache-dir, given by whoever runs aether, may point anywhere
    proc = aether("check", ".", "--cache-dir", str(tmp_path / "mine"), cwd=project)
    assert proc.returncode == 0 and "warning" not in proc.stderr
    assert (tmp_path / "mine" / "v1").is_dir()


def test_configured_state_database_stays_inside_the_project(tmp_path):
    """A repository's configuration cannot move the state database out of the project
    (`state = "../elsewhere/state.db"`, or through a committed folder link): `run` wrote
    it there. Only `--state`, given by whoever runs aether, may point anywhere."""
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (project / "a.aether").write_text(CLEAN)
    (project / "aether.toml").write_text('state = "../elsewhere/state.db"\n')
    proc = aether("run", "a.aether", cwd=project)
    assert proc.returncode == 26, proc.stderr
    assert "outside the project" in proc.stderr and "Traceback" not in proc.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []
    os.symlink("../elsewhere", project / "build")
    (project / "aether.toml").write_text('state = "build/state.db"\n')
    proc = aether("run", "a.aether", cwd=project)
    assert proc.returncode == 26 and "outside the project" in proc.stderr, proc.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []
    # a "://" that is no database URL is a file path ("a:" a folder) and is checked too
    (project / "a:").mkdir()
    (project / "aether.toml").write_text('state = "a://../../elsewhere/state.db"\n')
    proc = aether("run", "a.aether", cwd=project)
    assert proc.returncode == 26 and "outside the project" in proc.stderr, proc.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []
    # nor into git's own folder (what git runs or reads next)
    (project / ".git" / "hooks").mkdir(parents=True)
    (project / "aether.toml").write_text('state = ".git/hooks/pre-commit"\n')
    proc = aether("run", "a.aether", cwd=project)
    assert proc.returncode == 26 and ".git" in proc.stderr, proc.stderr
    assert list((project / ".git" / "hooks").iterdir()) == []
    shutil.rmtree(project / ".git")
    # inside the project it is used; --state may point anywhere
    (project / "aether.toml").write_text('state = "runs/state.db"\n')
    (project / "runs").mkdir()
    assert aether("run", "a.aether", cwd=project).returncode == 0
    assert (project / "runs" / "state.db").is_file()
    proc = aether("run", "a.aether", "--state", str(tmp_path / "mine.db"), cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mine.db").is_file()


# ---------------------------------------------------------------- fmt and migrate

@pytest.fixture
def linked(tmp_path):
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    outside.mkdir()
    project.mkdir()
    (project / "aether.toml").write_text("")
    (outside / "x.aether").write_text(UGLY)
    (outside / "l.aether").write_text(LEGACY)
    (project / "ugly.aether").write_text(UGLY)
    (project / "old.aether").write_text(LEGACY)
    os.symlink("../outside/x.aether", project / "link.aether")
    os.symlink("../outside/l.aether", project / "llink.aether")
    return project, outside


def test_fmt_skips_a_link_found_in_a_folder(linked):
    project, outside = linked
    proc = aether("fmt", ".", cwd=project)
    assert proc.returncode == 26
    assert ("error: link.aether: a symbolic link found while searching a folder: not "
            "followed for writing, skipped") in proc.stderr
    assert (outside / "x.aether").read_text() == UGLY
    assert (project / "link.aether").is_symlink()
    assert (project / "ugly.aether").read_text() == PRETTY
    # reading through it is fine: --check reports it like any other file
    proc = aether("fmt", "--check", ".", cwd=project)
    assert "would reformat link.aether" in proc.stderr


def test_fmt_rewrites_the_target_of_a_link_named_explicitly(linked):
    # a link named on the command line is followed when its target is in the project
    project, outside = linked
    (project / "shared").mkdir()
    (project / "shared" / "x.aether").write_text(UGLY)
    os.symlink("shared/x.aether", project / "inner.aether")
    proc = aether("fmt", "inner.aether", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (project / "shared" / "x.aether").read_text() == PRETTY
    assert os.readlink(project / "inner.aether") == "shared/x.aether"


@pytest.mark.parametrize("command", [("fmt",), ("migrate", "--apply", "--no-report")])
def test_a_named_link_out_of_the_project_is_not_written_through(linked, command):
    # A pull request can turn a file CI names (`aether fmt $(git diff --name-only)`) into a
    # link to any file the runner may write: its target outside the project is refused.
    project, outside = linked
    name = "link.aether" if command[0] == "fmt" else "llink.aether"
    target = outside / ("x.aether" if command[0] == "fmt" else "l.aether")
    before = target.read_text()
    proc = aether(*command, name, cwd=project)
    assert proc.returncode == 26, proc.stderr
    assert f"a symbolic link to {target.resolve()}, outside the project" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert target.read_text() == before
    assert (project / name).is_symlink()


def test_a_named_link_into_git_s_own_folder_is_not_written_through(tmp_path):
    # a pull request's `x.aether -> .git/hooks/pre-commit`: inside the work tree, but what
    # git runs next
    repo = tmp_path / "repo"
    (repo / ".git" / "hooks").mkdir(parents=True)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(UGLY)
    os.symlink(".git/hooks/pre-commit", repo / "x.aether")
    proc = aether("fmt", "x.aether", cwd=repo)
    assert proc.returncode == 26, proc.stderr
    assert "inside git's own folder: not written through" in proc.stderr
    assert hook.read_text() == UGLY


def test_the_link_boundary_is_the_git_work_tree_above_any_configuration(tmp_path):
    from aether.fileio import check_writable, link_boundary

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "pkg").mkdir()
    (repo / "pkg" / "pyproject.toml").write_text("")  # a nested config does not narrow it
    (repo / "common.aether").write_text(CLEAN)
    os.symlink("../common.aether", repo / "pkg" / "w.aether")
    assert link_boundary(str(repo / "pkg" / "w.aether")) == str(repo.resolve())
    assert check_writable(str(repo / "pkg" / "w.aether"), follow_links=True) is None
    # without a work tree or configuration above it: the folder holding the link
    loose = tmp_path / "loose"
    loose.mkdir()
    os.symlink(str(repo / "common.aether"), loose / "l.aether")
    if link_boundary(str(loose / "l.aether")) != str(loose.resolve()):
        pytest.skip("a .git, aether.toml or pyproject.toml lies above the temporary folder")
    reason = check_writable(str(loose / "l.aether"), follow_links=True)
    assert reason is not None and "outside the project" in reason


def test_migrate_skips_a_link_found_in_a_folder_and_follows_a_named_one(linked):
    project, outside = linked
    proc = aether("migrate", "--apply", "--no-report", ".", cwd=project)
    assert proc.returncode == 26
    assert "skipped llink.aether: a symbolic link found" in proc.stderr
    assert (outside / "l.aether").read_text() == LEGACY
    assert "limit: 3" in (project / "old.aether").read_text()
    (project / "shared").mkdir()
    (project / "shared" / "l.aether").write_text(LEGACY)
    os.symlink("shared/l.aether", project / "inner.aether")
    proc = aether("migrate", "--apply", "--no-report", "inner.aether", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "limit: 3" in (project / "shared" / "l.aether").read_text()
    assert (project / "inner.aether").is_symlink()


def test_default_migration_report_is_not_written_through_a_link(tmp_path):
    (tmp_path / "a.aether").write_text(LEGACY)
    (tmp_path / "b.aether").write_text(LEGACY)
    os.symlink("victim.md", tmp_path / "migration_report.md")  # dangling: would create it
    proc = aether("migrate", "--apply", ".", cwd=tmp_path)
    assert proc.returncode == 26
    assert ("cannot write the report: migration_report.md: is a symbolic link"
            in proc.stderr)
    assert not (tmp_path / "victim.md").exists()
    assert (tmp_path / "migration_report.md").is_symlink()


def test_a_suppression_list_named_explicitly_may_be_a_link(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text(CLEAN)
    (tmp_path / "real.txt").write_text("ffffffffffffffff\n")
    os.symlink("real.txt", tmp_path / "list.txt")
    proc = aether("suppressions", "prune", "--suppressions", "list.txt", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "real.txt").read_text() == ""
    assert (tmp_path / "list.txt").is_symlink()


# ---------------------------------------------------------------- fileio primitives

def test_write_atomic_refuses_a_link_unless_told_to_follow(tmp_path):
    (tmp_path / "t").write_bytes(b"old")
    os.symlink("t", tmp_path / "l")
    with pytest.raises(WriteError) as info:
        write_atomic(str(tmp_path / "l"), b"new")
    assert info.value.reason == LINK_NOT_FOLLOWED
    assert (tmp_path / "t").read_bytes() == b"old"
    write_atomic(str(tmp_path / "l"), b"new", follow_links=True)
    assert (tmp_path / "t").read_bytes() == b"new" and (tmp_path / "l").is_symlink()


def test_write_output_refuses_any_link(tmp_path):
    os.symlink("nowhere", tmp_path / "dangling")
    (tmp_path / "t").write_bytes(b"old")
    os.symlink("t", tmp_path / "l")
    for name in ("dangling", "l"):
        with pytest.raises(WriteError) as info:
            write_output(str(tmp_path / name), b"new")
        assert info.value.reason == OUTPUT_IS_LINK
    assert not (tmp_path / "nowhere").exists() and (tmp_path / "t").read_bytes() == b"old"
    write_output(str(tmp_path / "fresh"), b"x")
    assert (tmp_path / "fresh").read_bytes() == b"x"


def test_create_new_never_overwrites_nor_follows(tmp_path):
    os.symlink("target", tmp_path / "dangling")
    (tmp_path / "there").write_bytes(b"mine")
    assert create_new(str(tmp_path / "dangling"), b"x") is False
    assert create_new(str(tmp_path / "there"), b"x") is False
    assert not (tmp_path / "target").exists()
    assert (tmp_path / "there").read_bytes() == b"mine"
    assert create_new(str(tmp_path / "new"), b"x") is True
    assert (tmp_path / "new").read_bytes() == b"x"


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_create_new_gives_exactly_the_mode_asked(tmp_path, umask):
    old = os.umask(umask)
    try:
        assert create_new(str(tmp_path / "key"), b"k", 0o600, fsync=True) is True
        assert create_new(str(tmp_path / "pub"), b"p", 0o644) is True
        assert create_new(str(tmp_path / "plain"), b"x") is True
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "pub").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "plain").st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("fails", ["write", "fsync", "interrupt"])
def test_create_new_that_fails_part_way_leaves_no_file(tmp_path, monkeypatch, fails):
    import errno

    def broken(*_args):
        if fails == "interrupt":
            raise KeyboardInterrupt
        raise OSError(errno.ENOSPC, "No space left on device")

    if fails == "fsync":
        monkeypatch.setattr(os, "fsync", broken)
    else:
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _Broken(fd, broken))
    expected = KeyboardInterrupt if fails == "interrupt" else WriteError
    with pytest.raises(expected, match=None if fails == "interrupt" else "No space left"):
        create_new(str(tmp_path / "f"), b"data", 0o600, fsync=True)
    assert os.listdir(tmp_path) == []


class _Broken:
    """A file object over ``fd`` whose write fails as ``broken`` says."""

    def __init__(self, fd, broken):
        self.fd, self.write = fd, broken

    def fileno(self):
        return self.fd

    def flush(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def test_make_dir_refuses_links(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink("real", tmp_path / "link")
    os.symlink("missing", tmp_path / "dangling")
    for name in ("link", "dangling"):
        with pytest.raises(WriteError):
            make_dir(str(tmp_path / name))
    assert not (tmp_path / "missing").exists()
    assert make_dir(str(tmp_path / "real")) is False
    assert make_dir(str(tmp_path / "new")) is True


# ---------------------------------------------------------------- signals

def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _signal_mid_run(tmp_path: Path, sig: int, args: tuple, body: str, new_marker: str,
                    group: bool = False):
    """Start ``aether ARGS`` over many files holding ``body``, send ``sig`` once some file
    was rewritten (shows ``new_marker``), and return (process, files, stderr). ``group``:
    signal the whole process group, workers included, as Ctrl-C in a terminal does."""
    files = []
    for i in range(1500):
        p = tmp_path / f"f{i:04d}.aether"
        p.write_text(body)
        files.append(p)
    # SIGINT as a terminal gives it: a suite run as a background job of a script has it
    # ignored, which the command keeps (and so every SIGINT case failed, exit 0)
    proc = subprocess.Popen([sys.executable, "-m", "aether", *args, str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NO_COLOR="1"), start_new_session=group,
                            preexec_fn=_default_sigint)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(new_marker in files[i].read_text() for i in (0, 1, 2)):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before the signal: make the tree larger"
    time.sleep(0.05)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc, files, err


@pytest.mark.parametrize("sig, status, message", [
    (signal.SIGTERM, 143, "aether: terminated (SIGTERM)"),
    (signal.SIGINT, 130, "aether: interrupted"),
])
def test_fmt_interrupted_leaves_no_temporary_file(tmp_path, sig, status, message):
    ugly = UGLY + "".join(f'step{i}:   log( "hi" )\n' for i in range(40))
    pretty = PRETTY + "".join(f'step{i}: log("hi")\n' for i in range(40))
    proc, files, err = _signal_mid_run(tmp_path, sig, ("fmt",), ugly, 'log("hi")')
    assert proc.returncode == status, err
    assert err.strip().splitlines() == [message]
    assert not [p for p in tmp_path.iterdir() if ".aether-tmp-" in p.name]
    states = [p.read_text() for p in files]
    assert set(states) == {ugly, pretty}  # each file fully old or fully new; some of each


@pytest.mark.parametrize("jobs", [(), ("-j", "2")])
def test_migrate_terminated_leaves_no_temporary_file(tmp_path, jobs):
    legacy = 'intent: "Tidy"\n' + "".join(f"define limit{i} as {i}\n" for i in range(40))
    proc, files, err = _signal_mid_run(tmp_path, signal.SIGTERM, ("migrate", "--apply", *jobs),
                                       legacy, "limit0: 0")
    # the signal reached the parent alone: its workers must not go on rewriting files
    before = [p.read_text() for p in files]
    time.sleep(1)
    assert [p.read_text() for p in files] == before
    assert proc.returncode == 143, err
    assert "aether migrate: terminated (SIGTERM); each file is either untouched or fully " \
           "migrated" in err
    assert not [p for p in tmp_path.iterdir() if ".aether-tmp-" in p.name]
    assert not (tmp_path / "migration_report.md").exists()
    texts = {p.read_text() for p in files}
    assert legacy in texts and len(texts) == 2


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_workers_end_quietly_when_the_whole_group_is_signalled(tmp_path, sig, status):
    legacy = 'intent: "Tidy"\n' + "".join(f"define limit{i} as {i}\n" for i in range(40))
    proc, files, err = _signal_mid_run(tmp_path, sig, ("migrate", "--apply", "-j", "2"),
                                       legacy, "limit0: 0", group=True)
    assert proc.returncode == status, err
    assert "Traceback" not in err  # the workers say nothing; the parent reports once
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("[")]
    assert len(lines) == 1 and lines[0].startswith("aether migrate: ")
    assert not [p for p in tmp_path.iterdir() if ".aether-tmp-" in p.name]


# --- documents that are FIFOs, devices or huge (links a repository planted) ---------------

def aether_bounded(*args, cwd, stdin=None, timeout=60):
    """Like :func:`aether`, but a hang fails the test instead of blocking the suite."""
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=dict(os.environ, NO_COLOR="1"),
                          stdin=stdin, timeout=timeout)


def _fifo_project(tmp_path):
    (tmp_path / "a.aether").write_text(CLEAN)
    os.mkfifo(tmp_path / "pipe")
    return tmp_path


@pytest.mark.parametrize("setup, args, status", [
    # the catalogue key of the configuration names a FIFO
    (lambda p: (p / "aether.toml").write_text('catalogue = ["pipe"]\n'), ("check", "a.aether"), 26),
    (lambda p: (p / "aether.toml").write_text('catalogue = ["pipe"]\n'), ("tools", "list"), 26),
    (lambda p: (p / "aether.toml").write_text('catalogue = ["pipe"]\n'), ("fmt", "a.aether"), 26),
    # the suppression list, a baseline, a remap report, run inputs
    (lambda p: None, ("suppressions", "prune", "--suppressions", "pipe", "a.aether"), 2),
    (lambda p: None, ("suppressions", "list", "--suppressions", "pipe"), 2),
    (lambda p: None, ("gate", "--ref", "pipe", "--new", "pipe"), 2),
    (lambda p: None, ("run", "--inputs", "pipe", "a.aether"), 26),
])
def test_a_fifo_where_a_document_is_read_does_not_block(tmp_path, setup, args, status):
    project = _fifo_project(tmp_path)
    setup(project)
    proc = aether_bounded(*args, cwd=project)
    assert proc.returncode == status, proc.stderr
    assert "FIFO" in proc.stderr and "Traceback" not in proc.stderr


def test_a_document_over_the_limit_is_refused_without_reading_it(tmp_path):
    from aether.readfile import MAX_DOCUMENT_SIZE, DocumentReadError, read_document

    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as fh:  # sparse: no disk, and no memory unless it is read
        fh.truncate(MAX_DOCUMENT_SIZE + 1)
    with pytest.raises(DocumentReadError, match="over the"):
        read_document(str(huge))
    small = tmp_path / "small.toml"
    small.write_bytes(b"x" * 100)
    with pytest.raises(DocumentReadError, match="over the 10-byte limit"):
        read_document(str(small), limit=10)
    with pytest.raises(DocumentReadError, match="character device"):
        read_document("/dev/zero")
    assert read_document(str(small), limit=100) == b"x" * 100


def test_read_head_reads_the_start_of_a_regular_file_and_refuses_the_rest(tmp_path):
    from aether.readfile import DocumentReadError, read_head

    small = tmp_path / "small.aether"
    small.write_bytes(b"abc")
    assert read_head(str(small), 4096) == b"abc" and read_head(str(small), 2) == b"ab"
    os.mkfifo(tmp_path / "pipe")  # opened without waiting for a writer, then refused
    with pytest.raises(DocumentReadError, match="FIFO"):
        read_head(str(tmp_path / "pipe"), 4096)
    with pytest.raises(DocumentReadError, match="character device"):
        read_head("/dev/zero", 4096)
    with pytest.raises(DocumentReadError, match="does not exist"):
        read_head(str(tmp_path / "gone"), 4096)


def test_a_linked_catalogue_is_refused_by_tools_infer_write_before_it_is_read(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text(CALL)
    os.mkfifo(tmp_path / "pipe")  # a link to it: reading the old catalogue would block
    os.symlink("pipe", tmp_path / "aether-tools.toml")
    proc = aether_bounded("tools", "infer", "--write", ".", cwd=tmp_path)
    assert proc.returncode == 26, proc.stderr
    assert "FIFO" in proc.stderr or "symbolic link" in proc.stderr


def test_standard_input_is_read_up_to_the_size_limit():
    with open("/dev/zero", "rb") as zero:  # endless: must stop at the limit, not eat memory
        proc = aether_bounded("fmt", "-", cwd=".", stdin=zero)
    assert proc.returncode == 26 and "over the" in proc.stderr, proc.stderr
    # a 1 TiB limit allocates nothing up front
    proc = subprocess.run([sys.executable, "-m", "aether", "check", "--max-file-size",
                           str(1 << 40), "-"], input=CLEAN, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_remap_names_an_unreadable_report_once(tmp_path):
    proc = aether_bounded("suppressions", "remap", "nosuch.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("nosuch.json") == 1, proc.stderr


def test_a_file_another_run_already_rewrote_the_same_way_is_no_error(tmp_path):
    # two `aether fmt .` on one tree: the second finds the bytes it would write
    path = tmp_path / "a.aether"
    path.write_bytes(PRETTY.encode())
    write_atomic(str(path), PRETTY.encode(), expect=UGLY.encode())
    assert path.read_bytes() == PRETTY.encode()
    path.write_bytes(b"goal: \"someone else\"\n")  # a different edit is still never lost
    with pytest.raises(WriteError, match="changed on disk"):
        write_atomic(str(path), PRETTY.encode(), expect=UGLY.encode())
    assert path.read_bytes() == b"goal: \"someone else\"\n"


# --- the migration pool's shutdown is bounded (no wait on a worker or a helper thread) ----

_POOL_SCRIPT = r'''
import multiprocessing, os, signal, sys, time
from aether.migrate import run
from aether.migrate.engine import MigrateOptions

folder, how = sys.argv[1], sys.argv[2]
real = run._one

def odd(item):
    if item[1] == "f1":
        if how == "stubborn":  # a worker that does not end on SIGTERM
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(120)  # longer than the test waits
        os._exit(9)  # a worker that dies mid-task (the OOM killer, a crash)
    return real(item)

def stop(outcome, done, total):
    if how == "stubborn":
        raise KeyboardInterrupt

run._one = odd
run._STOP_GRACE = 1.0
files = [(os.path.join(folder, f"f{i}.aether"), f"f{i}") for i in range(6)]
try:
    run.migrate_files(files, MigrateOptions(apply=True), jobs=2, progress=stop)
    print("finished")
except KeyboardInterrupt:
    print("interrupted")
except RuntimeError as exc:
    print("error:", exc)
print("left:", len(multiprocessing.active_children()))
'''


@pytest.mark.parametrize("how, expected", [
    # before: Pool.terminate() joined the worker that ignored SIGTERM, for ever
    ("stubborn", "interrupted"),
    # before: Pool replaced the dead worker and imap waited for the lost task, for ever
    ("dies", "error: the worker process migrating f1 ended unexpectedly (exit status 9)"),
])
def test_the_migration_pool_never_waits_for_ever_on_a_worker(tmp_path, how, expected):
    legacy = 'intent: "Tidy"\n' + "".join(f"define limit{i} as {i}\n" for i in range(5))
    for i in range(6):
        (tmp_path / f"f{i}.aether").write_text(legacy)
    proc = subprocess.run([sys.executable, "-c", _POOL_SCRIPT, str(tmp_path), how],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == [expected, "left: 0"], proc.stderr
    assert "Traceback" not in proc.stderr


_ORPHAN_SCRIPT = r'''
import multiprocessing, os, sys
from aether.migrate import run
from aether.migrate.engine import MigrateOptions

def die(outcome, done, total):  # the parent dies at once (SIGKILL, a crash)
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    os._exit(0)

files = [(os.path.join(sys.argv[1], f"f{i}.aether"), f"f{i}") for i in range(400)]
run.migrate_files(files, MigrateOptions(apply=False, want_diff=False), jobs=2, progress=die)
'''


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_migration_workers_end_when_their_parent_dies(tmp_path):
    # a forked worker inherits the parent's end of its own task pipe; unless it closes it,
    # it waits for tasks for ever once the parent is gone (and holds the parent's stderr)
    legacy = 'intent: "Tidy"\n' + "".join(f"define limit{i} as {i}\n" for i in range(40))
    for i in range(400):
        (tmp_path / f"f{i}.aether").write_text(legacy)
    proc = subprocess.run([sys.executable, "-c", _ORPHAN_SCRIPT, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2, proc.stderr
    assert not left_alive(pids)


_SIGNAL_DURING_FSYNC = """
import os, signal, sys
import aether.fileio as fileio
from aether.interrupt import handle_signals

real = os.fsync
def fsync(fd):  # the signal arrives while the temporary file exists
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))
    return real(fd)
os.fsync = fsync
with handle_signals():
    fileio.write_output(sys.argv[1], b"new" * 1000)
"""


@pytest.mark.parametrize("name", [n for n in ("SIGHUP", "SIGQUIT", "SIGUSR1", "SIGALRM",
                                              "SIGXCPU") if hasattr(signal, n)])
def test_a_signal_that_ends_the_process_waits_until_the_file_is_replaced(tmp_path, name):
    """SIGHUP (the terminal closed), SIGQUIT... have no handler: their default action ends
    the process. Held off like SIGINT/SIGTERM while a temporary file exists, they end it
    just after the rename: the file is whole and no `.NAME.aether-tmp-*` is left."""
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    proc = subprocess.run([sys.executable, "-c", _SIGNAL_DURING_FSYNC, str(target), name],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONFAULTHANDLER=""))
    assert proc.returncode == -getattr(signal, name), proc.stderr
    assert target.read_bytes() == b"new" * 1000
    assert not [p for p in tmp_path.iterdir() if ".aether-tmp-" in p.name]


def test_a_link_to_another_drive_is_outside_the_project(tmp_path, monkeypatch):
    # os.path.commonpath raises ValueError for paths on two drives (Windows): outside, not
    # an internal error
    from aether.fileio import check_writable

    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "x.aether").write_text(CLEAN)
    os.symlink("x.aether", tmp_path / "l.aether")

    def two_drives(paths):
        raise ValueError("Paths don't have the same drive")

    monkeypatch.setattr(os.path, "commonpath", two_drives)
    reason = check_writable(str(tmp_path / "l.aether"), follow_links=True)
    assert reason is not None and "outside the project" in reason


@pytest.mark.parametrize("key", ["state", "policy", "cache-dir"])
def test_a_configured_path_with_a_nul_is_a_configuration_error(tmp_path, key):
    """`state = "a\\u0000"` (valid TOML) reached os.path.realpath, whose ValueError was an
    internal error (27); `policy` likewise when `run` opened it. A configuration error
    (exit 26) names the key."""
    from aether.config import ConfigError, load_config

    (tmp_path / "aether.toml").write_text(f'{key} = "a\\u0000"\n')
    with pytest.raises(ConfigError, match=f"'{key}' is not a file name"):
        load_config(str(tmp_path))
