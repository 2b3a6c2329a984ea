"""A link to a folder on the way to a file that is rewritten in place stays in the project.

docs/security.md: every symbolic link on a written path below the project root, the
file's own name or a folder on the way (``sub -> /etc``, then ``aether fmt sub/passwd``),
must lead to a real file inside the project holding the path and outside its ``.git``;
the real file is resolved once, at the check, and the temporary file is made in its
real folder. Each command that rewrites a file is tried: ``fmt``, ``migrate --apply``,
``sign`` and ``suppressions prune``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aether import fileio
from aether.cli.main import main
from aether.fileio import WriteError, check_writable, link_boundary, write_atomic

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                reason="needs POSIX symbolic links")

UGLY = 'goal:   "demo"\nlog( "hi" )\n'  # fmt rewrites it
LEGACY = 'intent: "Tidy"\ndefine limit as 3\n'  # migrate rewrites it
BODY = 'goal: "demo"\nlog("hi")\n'  # sign adds a signature
DEAD_LIST = "ffffffffffffffff  # dead: matches nothing\n"  # prune removes the entry

# command line before the file, the file's text, the exit status when refused
COMMANDS = {
    "fmt": (["fmt"], UGLY, 26),
    "migrate": (["migrate", "--apply", "--no-report"], LEGACY, 26),
    "sign": (["sign", "--key", "k"], BODY, 26),
    # a list it cannot rewrite stops prune with a usage-like exit (docs/suppressions.md)
    "prune": (["suppressions", "prune", "--suppressions"], DEAD_LIST, 2),
}


@pytest.fixture
def project(tmp_path, monkeypatch, capsys):
    """``tmp/project`` (an aether.toml, a key ``k``) and ``tmp/outside`` beside it."""
    project = tmp_path / "project"
    outside = tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "aether.toml").write_text("[aether]\n")
    monkeypatch.chdir(project)
    assert main(["keygen", "-o", "k"]) == 0
    capsys.readouterr()
    return project, outside


def run(capsys, command: str, name: str) -> tuple[int, str]:
    code = main(COMMANDS[command][0] + [name])
    return code, capsys.readouterr().err


def files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_under_a_folder_link_out_of_the_project_is_not_written(project, capsys,
                                                                      command):
    project, outside = project
    _, text, refused = COMMANDS[command]
    (outside / "f.aether").write_text(text)
    os.symlink("../outside", project / "sub")
    before = files(outside)
    code, err = run(capsys, command, "sub/f.aether")
    assert code == refused, err
    real = (outside / "f.aether").resolve()
    assert (f"sub/f.aether: reached through a symbolic link to a folder: the real file "
            f"{real} lies outside the project ({project.resolve()}): not written "
            "through") in err
    assert "Traceback" not in err
    assert files(outside) == before  # nothing written there, no temporary file left


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_under_a_folder_link_inside_the_project_is_written(project, capsys, command):
    project, _ = project
    _, text, _ = COMMANDS[command]
    (project / "real").mkdir()
    (project / "real" / "f.aether").write_text(text)
    os.symlink("real", project / "inner")
    code, err = run(capsys, command, "inner/f.aether")
    assert code == 0, err
    assert (project / "real" / "f.aether").read_text() != text
    assert os.readlink(project / "inner") == "real"
    assert sorted(os.listdir(project / "real")) == ["f.aether"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_link_into_git_s_own_folder_is_not_written_through(project, capsys,
                                                                     command):
    project, _ = project
    _, text, refused = COMMANDS[command]
    hooks = project / ".git" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "f.aether").write_text(text)
    os.symlink(".git/hooks", project / "h")
    code, err = run(capsys, command, "h/f.aether")
    assert code == refused, err
    assert "inside git's own folder: not written through" in err
    assert (hooks / "f.aether").read_text() == text


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_link_changed_after_the_check_does_not_move_the_write(project, capsys,
                                                                        monkeypatch, command):
    # The real file is resolved once, at the check: a link swapped between the check
    # and the rename (here: just before the temporary file is made) cannot send the
    # write out of the project. The swap is made by a wrapped step, so it is certain.
    project, outside = project
    _, text, _ = COMMANDS[command]
    (project / "real").mkdir()
    (project / "real" / "f.aether").write_text(text)
    (outside / "f.aether").write_text(text)
    os.symlink("real", project / "sub")
    original = fileio._replace_with
    swapped = []

    def swap_then_write(*args, **kwargs):
        os.unlink(project / "sub")
        os.symlink("../outside", project / "sub")
        swapped.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(fileio, "_replace_with", swap_then_write)
    before = files(outside)
    code, err = run(capsys, command, "sub/f.aether")
    assert code == 0, err
    assert swapped == [str((project / "real" / "f.aether").resolve())]
    assert (project / "real" / "f.aether").read_text() != text
    assert files(outside) == before


def test_a_folder_named_on_the_command_line_that_leads_out_is_read_not_written(project,
                                                                              capsys):
    # `aether fmt src` searches src even when it is a link; its files are then checked
    # like any other: a pull request's `src -> /etc` rewrites nothing there
    project, outside = project
    (outside / "f.aether").write_text(UGLY)
    os.symlink("../outside", project / "src")
    assert main(["fmt", "src"]) == 26
    assert "outside the project" in capsys.readouterr().err
    assert (outside / "f.aether").read_text() == UGLY
    assert main(["fmt", "--check", "src"]) == 1  # reading through it is fine
    capsys.readouterr()


def test_a_marker_seen_through_a_link_does_not_make_a_project(tmp_path):
    # `sub -> ../other` where other is a git work tree: its .git, seen through the link,
    # does not make `sub` the project; the outermost one on the named path is
    project = tmp_path / "project"
    other = tmp_path / "other"
    project.mkdir()
    (project / "aether.toml").write_text("")
    (other / ".git").mkdir(parents=True)
    (other / "f.aether").write_text(UGLY)
    os.symlink("../other", project / "sub")
    named = str(project / "sub" / "f.aether")
    assert link_boundary(named) == str(project.resolve())
    reason = check_writable(named, follow_links=True)
    assert reason is not None and "outside the project" in reason
    with pytest.raises(WriteError):
        write_atomic(named, b"x", follow_links=True)
    assert (other / "f.aether").read_text() == UGLY
    # named through its own path, that work tree is the project: written
    assert check_writable(str(other / "f.aether")) is None


def test_a_link_above_the_project_root_changes_nothing(tmp_path):
    # a project reached through a link above its root (`/tmp -> /private/tmp`, a home
    # folder link): its files, and its inner links, are written as when named directly
    real = tmp_path / "disk" / "project"
    (real / "pkg").mkdir(parents=True)
    (real / ".git").mkdir()
    (real / "pkg" / "f.aether").write_text(UGLY)
    (real / "shared").mkdir()
    (real / "shared" / "g.aether").write_text(UGLY)
    os.symlink("../shared", real / "pkg" / "up")
    os.symlink("disk", tmp_path / "alias")
    via = tmp_path / "alias" / "project"
    assert check_writable(str(via / "pkg" / "f.aether")) is None
    assert check_writable(str(via / "pkg" / "up" / "g.aether")) is None
    write_atomic(str(via / "pkg" / "up" / "g.aether"), b"new\n")
    assert (real / "shared" / "g.aether").read_bytes() == b"new\n"
    # the project reached through a link that is its root itself
    os.symlink(str(real), tmp_path / "root-link")
    assert check_writable(str(tmp_path / "root-link" / "pkg" / "f.aether")) is None


def test_an_output_file_may_lie_behind_a_folder_link(tmp_path):
    # a file the tool produces (`-o FILE`, a report) is written where the user names it,
    # folder links on the way included (docs/security.md): only its last part is checked
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "aether.toml").write_text("")
    (tmp_path / "reports").mkdir()
    os.symlink("../reports", tmp_path / "project" / "out")
    for _ in range(2):  # created, then replaced
        fileio.write_output(str(tmp_path / "project" / "out" / "r.sarif"), b"{}\n")
    assert (tmp_path / "reports" / "r.sarif").read_bytes() == b"{}\n"


def test_a_dot_dot_after_a_folder_link_is_resolved_as_the_system_does(project):
    # `sub/../x.aether` with `sub -> ../outside/inner` opens outside/x.aether; the write
    # went to project/x.aether (`..` dropped before the link was resolved): the file
    # read was not the file written. The real file is outside the project: refused.
    root, outside = project
    (outside / "inner").mkdir()
    os.symlink("../outside/inner", root / "sub")
    (outside / "x.aether").write_text(UGLY)
    (root / "x.aether").write_text(BODY)
    named = os.path.join("sub", "..", "x.aether")
    reason = check_writable(named)
    assert reason is not None and "outside the project" in reason
    with pytest.raises(WriteError):
        write_atomic(named, b"new\n")
    assert (outside / "x.aether").read_text() == UGLY
    assert (root / "x.aether").read_text() == BODY
