"""Read the workflow files of a git revision without touching the working tree.

``git ls-tree`` lists the blobs under the given paths at the revision and one
``git cat-file --batch`` process reads them all. The files are selected as
:func:`aether.walk.iter_files` selects them in the working tree (``*.aether`` under a
directory, skipping hidden and tool folders and exclude globs; a file named explicitly is
always taken), and each gets the display path it would have in the working tree, so the
fingerprints of a baseline built at a revision match those of one built from checked-out
files. Nothing is written to disk: the contents are handed to the checker in memory
(:func:`aether.baseline.run_checks_on_data`).

The other way round, :func:`as_git_sees` narrows a working-tree walk to the files git
would commit: not ignored, not inside a submodule or a nested repository, which a
revision can never contain. A working-tree baseline and a ``--git-ref`` one of the same
commit then cover the same files.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from .walk import EXTENSION, SKIP_DIRS, display_path, is_excluded

if TYPE_CHECKING:
    from .walk import SourceFile

__all__ = ["GitError", "GitFile", "toplevel", "repository_for", "resolve_commit",
           "list_files", "read_blobs", "read_revision", "as_git_sees"]

_SYMLINK = "120000"
_MAX_LINK_HOPS = 8


class GitError(Exception):
    """git is missing, the folder is not a repository, or the revision does not exist."""


@dataclass(frozen=True)
class GitFile:
    """A blob to check: where it is in the repository and how it is shown."""

    repo_path: str  # posix, relative to the repository's top level
    display: str  # as aether.walk would show the working-tree file
    blob: str  # object id
    explicit: bool = False


def _git(args: Sequence[str], cwd: str, data: Optional[bytes] = None) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed for --git-ref)") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def toplevel(folder: str) -> str:
    """The top-level folder of the repository holding ``folder``.

    Raises GitError outside a repository.
    """
    try:
        out = _git(["rev-parse", "--show-toplevel"], folder)
    except GitError:
        raise GitError(f"{folder} is not inside a git repository") from None
    return os.path.realpath(out.decode().strip())


def repository_for(paths: Sequence[str], cwd: str) -> str:
    """The top level of the repository holding the first of ``paths``.

    Raises GitError when it is not in a repository.
    """
    first = os.path.normpath(os.path.join(cwd, paths[0])) if paths else cwd
    while not os.path.isdir(first) and first != os.path.dirname(first):
        first = os.path.dirname(first)  # a file, or a path deleted in the working tree
    return toplevel(first)


def resolve_commit(rev: str, cwd: str) -> str:
    """The full commit id ``rev`` names. Raises GitError when it names none."""
    if not rev or rev.startswith("-"):
        raise GitError(f"not a revision: {rev!r}")
    try:
        return _git(["rev-parse", "--verify", "--quiet", "--end-of-options",
                     f"{rev}^{{commit}}"], cwd).decode().strip()
    except GitError:
        raise GitError(f"unknown revision {rev!r} (in a shallow CI clone, fetch it first: "
                       f"git fetch --depth=1 origin {rev})") from None


def _ls_tree(commit: str, top: str) -> dict[str, tuple[str, str]]:
    """Every blob at ``commit``: repo path -> (mode, object id)."""
    out: dict[str, tuple[str, str]] = {}
    raw = _git(["ls-tree", "-r", "-z", "--full-tree", commit], top)
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        if kind == "blob":
            out[name.decode("utf-8", "surrogateescape")] = (mode, oid)
    return out


def _walk_dirs_selected(rel_parts: Sequence[str], root_rel_dirs: Sequence[str],
                        exclude: Sequence[str]) -> bool:
    """Whether aether.walk.iter_files would descend through these folders.

    ``rel_parts``: the folder names between a given directory and a file;
    ``root_rel_dirs``: those folders as paths relative to the configuration root.
    """
    return not any(name in SKIP_DIRS or name.startswith(".") or is_excluded(rel, exclude)
                   for name, rel in zip(rel_parts, root_rel_dirs))


def _resolve_link(path: str, blobs: dict[str, tuple[str, str]],
                  targets: dict[str, str]) -> Optional[str]:
    """The object id a symlink at ``path`` finally points to inside the tree, else None."""
    for _ in range(_MAX_LINK_HOPS):
        mode, oid = blobs[path]
        if mode != _SYMLINK:
            return oid
        target = targets.get(oid)
        if target is None or target.startswith("/"):
            return None
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if path.startswith("../") or path not in blobs:
            return None
    return None


def list_files(commit: str, paths: Sequence[str], exclude: Sequence[str] = (),
               root: Optional[str] = None, cwd: Optional[str] = None) -> list[GitFile]:
    """The files `aether check PATHS` would check if the tree were at ``commit``.

    Paths are relative to ``cwd`` as on the command line. A path absent at the revision is
    skipped (the file did not exist then); symlinks are followed inside the tree.
    Raises GitError when git fails.
    """
    # Real paths throughout: git reports the top level resolved.
    cwd = os.path.realpath(cwd or os.getcwd())
    top = repository_for(paths, cwd)
    root_abs = os.path.realpath(root or cwd)
    blobs = _ls_tree(commit, top)
    links = {oid for mode, oid in blobs.values() if mode == _SYMLINK}
    targets = {oid: data.decode("utf-8", "surrogateescape")
               for oid, data in read_blobs(sorted(links), top).items()} if links else {}

    def rel_to_root(abs_path: str) -> str:
        return Path(os.path.relpath(abs_path, root_abs)).as_posix()

    verdicts: dict[str, bool] = {}  # folder -> may be descended into (per given path)
    chosen: dict[str, GitFile] = {}
    for given in paths:
        verdicts.clear()
        # Not realpath: like aether.walk, a symlink named on the command line is its own file.
        absolute = os.path.normpath(os.path.join(cwd, given))
        rel = os.path.relpath(absolute, top)
        if rel.startswith(".."):
            raise GitError(f"{given} is outside the repository {top}")
        rel = "" if rel == "." else Path(rel).as_posix()
        if rel in blobs:
            oid = _resolve_link(rel, blobs, targets)
            if oid is not None and rel not in chosen:
                chosen[rel] = GitFile(rel, display_path(os.path.join(top, rel), cwd), oid, True)
            continue
        prefix = rel + "/" if rel else ""
        given_abs = os.path.join(top, rel)
        for repo_path in blobs:
            if not repo_path.startswith(prefix) or not repo_path.endswith(EXTENSION):
                continue
            if repo_path in chosen:
                continue
            folder = posixpath.dirname(repo_path)
            ok = verdicts.get(folder)
            if ok is None:
                parts = repo_path[len(prefix):].split("/")[:-1]
                dirs, current = [], given_abs
                for name in parts:
                    current = os.path.join(current, name)
                    dirs.append(rel_to_root(current))
                ok = verdicts[folder] = _walk_dirs_selected(parts, dirs, exclude)
            file_abs = os.path.join(top, repo_path)
            if not ok or is_excluded(rel_to_root(file_abs), exclude):
                continue
            oid = _resolve_link(repo_path, blobs, targets)
            if oid is None:
                continue
            chosen[repo_path] = GitFile(repo_path, display_path(file_abs, cwd), oid)
    return sorted(chosen.values(), key=lambda f: f.display)


def read_blobs(oids: Sequence[str], cwd: str,
               max_size: Optional[int] = None) -> dict[str, bytes]:
    """The contents of the objects ``oids``, read by one ``git cat-file --batch``.

    ``max_size``: an object larger than this is not read (a 2 GB blob named ``x.aether``
    in a pull request would be held in memory whole); it stands as ``max_size + 1`` zero
    bytes, which the size check reports (AE006) before anything looks at the content.
    Raises GitError when git fails or an object is missing.
    """
    unique = list(dict.fromkeys(oids))
    if not unique:
        return {}
    out: dict[str, bytes] = {}
    if max_size is not None:
        sizes = _git(["cat-file", "--batch-check=%(objectname) %(objectsize)"], cwd,
                     ("\n".join(unique) + "\n").encode()).split(b"\n")
        for oid, line in zip(unique, sizes):
            fields = line.decode().split(" ")
            if len(fields) == 2 and fields[1].isdigit() and int(fields[1]) > max_size:
                out[oid] = bytes(max_size + 1)  # calloc'd: no memory touched
        unique = [oid for oid in unique if oid not in out]
        if not unique:
            return out
    raw = _git(["cat-file", "--batch"], cwd, ("\n".join(unique) + "\n").encode())
    pos = 0
    for oid in unique:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].decode().split(" ")
        if len(header) != 3:
            raise GitError(f"git cat-file: object {oid} is missing")
        size = int(header[2])
        out[oid] = raw[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
    return out


def read_revision(rev: str, paths: Sequence[str], exclude: Sequence[str] = (),
                  root: Optional[str] = None, cwd: Optional[str] = None,
                  max_size: Optional[int] = None) -> tuple[str, list[tuple[GitFile, bytes]]]:
    """``(commit, [(file, bytes), ...])``: the files `aether check PATHS` would check at ``rev``.

    Everything stays in memory: nothing is checked out or written. Raises GitError when
    git fails or ``rev`` names no commit.
    """
    cwd = os.path.realpath(cwd or os.getcwd())
    top = repository_for(paths, cwd)
    commit = resolve_commit(rev, top)
    selected = list_files(commit, paths, exclude, root, cwd)
    contents = read_blobs([f.blob for f in selected], top, max_size)
    return commit, [(f, contents[f.blob]) for f in selected]


def as_git_sees(files: Sequence["SourceFile"], paths: Sequence[str],
                cwd: Optional[str] = None) -> list["SourceFile"]:
    """``files`` (an :func:`aether.walk.iter_files` walk of ``paths``) without those a git
    revision of this work tree could not hold: files git ignores and files inside a
    submodule or a nested repository (git lists those as one entry, never their files).

    Tracked files (even ones matching an ignore pattern) and untracked files that are not
    ignored stay, as do files named explicitly and folders the walk could not list (the
    reader reports them). Outside a git work tree, or without git, ``files`` is returned
    as it is. Raises nothing.
    """
    cwd = os.path.realpath(cwd or os.getcwd())
    try:
        top = repository_for(paths, cwd)
        raw = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], top)
    except (GitError, OSError):
        return list(files)
    visible = {name for name in raw.decode("utf-8", "surrogateescape").split("\0") if name}
    kept = []
    for src in files:
        absolute = os.path.join(cwd, src.path)
        if src.explicit or os.path.isdir(absolute):
            kept.append(src)
            continue
        # The folder resolved as git reports its top level; the file itself not (a
        # tracked symlink is its own entry).
        folder = os.path.realpath(os.path.dirname(absolute))
        rel = os.path.relpath(os.path.join(folder, os.path.basename(absolute)), top)
        if Path(rel).as_posix() in visible:
            kept.append(src)
    return kept
