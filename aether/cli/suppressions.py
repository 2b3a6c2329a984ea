"""`aether suppressions list|prune|remap`: inspect, clean and migrate the suppression lists."""

from __future__ import annotations

import sys

import click

from .common import path_param
from ..output.text import printable  # the lists' owners and comments are the repository's text
from ..readfile import read_document


def _bad(message: str) -> None:
    from ..output.text import printable_message  # the message may name the repository's files

    click.echo(printable_message(f"aether suppressions: {message}"), err=True)
    raise SystemExit(2)


_FILES_OPTION = click.option(
    "--suppressions", "suppression_files", multiple=True, type=path_param(dir_okay=False),
    metavar="FILE", help="Suppression list(s) (default: .aether/suppressions.txt and "
    ".aetherra/workflow_suppressions.txt under the project root, when present).")


def _load(suppression_files, start: str):
    from ..config import ConfigError, load_config
    from ..suppressions import SuppressionListError, discover, load

    try:
        config = load_config(start)
        slist = load(list(suppression_files) or discover(config.root))
    except (ConfigError, SuppressionListError) as exc:
        _bad(str(exc))
    return config, slist


def _present(paths, config) -> set:
    from ..baseline import check_paths
    from ..checker import CheckOptions, RuleFilter
    from ..config import ConfigError
    from ..semantics.project import load_project_catalogue
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..suppressions import fingerprints_of

    try:
        rules = RuleFilter.make(config.select, config.ignore)
        catalogue = load_project_catalogue(config)
    except ValueError as exc:
        _bad(f"select/ignore in {config.path}: {exc}")
    except ConfigError as exc:
        _bad(str(exc))
    options = CheckOptions(root=config.root, rules=rules, catalogue=catalogue,
                           max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE,
                           keep_source=False)
    results = check_paths(paths, options, config)
    # A path that is missing or could not be read has no known findings: judging the list
    # against it would call every entry for it dead (and prune would drop them all).
    unread = next(((r.path, f) for r in results for f in r.findings if f.rule in _UNREAD),
                  None)
    if unread is not None:
        path, finding = unread
        click.echo(printable(f"aether suppressions: {path}: {finding.message} "
                             f"({finding.rule}); nothing was changed"), err=True)
        raise SystemExit(26)  # IO_ERROR, as `aether check` would exit for that path
    return fingerprints_of(results)


# Reading errors that leave a file's findings unknown: not found, not a file, permission
# denied, too large, read error (a binary or non-UTF-8 file is fully judged: its finding).
_UNREAD = frozenset({"AE001", "AE002", "AE003", "AE006", "AE007"})


@click.group()
def suppressions():
    """The suppression list: fingerprints of findings accepted for now."""


@suppressions.command("list")
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@_FILES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(paths, suppression_files, as_json):
    """List entries with owner, expiry and state; with PATHS, whether each matches a finding."""
    from datetime import datetime, timezone

    from ..output.jsontext import json_text

    config, slist = _load(suppression_files, paths[0] if paths else ".")
    today = datetime.now(timezone.utc).date()
    present = _present(paths, config) if paths else None
    rows = []
    for e in slist.entries:
        row = e.to_dict()
        row["expired"] = e.expired(today)
        if present is not None:
            row["matches"] = e.fingerprint in present
        rows.append(row)
    if as_json:
        click.echo(json_text({"files": slist.files, "entries": rows}))
        return
    if not slist.files:
        click.echo("no suppression file (looked for .aether/suppressions.txt and "
                   ".aetherra/workflow_suppressions.txt)", err=True)
        return
    for row in rows:
        state = "EXPIRED" if row["expired"] else "active"
        if present is not None and not row["matches"]:
            state += ", matches nothing"
        extra = " ".join(x for x in (f"owner={row['owner']}" if row["owner"] else "",
                                     f"expires={row['expires']}" if row["expires"] else "")
                         if x)
        comment = f"  # {row['comment']}" if row["comment"] else ""
        click.echo(printable(f"{row['file']}:{row['line']}: {row['fingerprint']} [{state}] "
                             f"{extra}{comment}".rstrip()))
    expired = sum(r["expired"] for r in rows)
    click.echo(f"{len(rows)} entries in {len(slist.files)} file(s), {expired} expired",
               err=True)


@suppressions.command()
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@_FILES_OPTION
@click.option("--dry-run", is_flag=True, help="Show what would be dropped; change nothing.")
def prune(paths, suppression_files, dry_run):
    """Drop entries that match no current finding in PATHS (default: the whole project).

    Never adds entries; comments and other lines are kept as they are. Run it over every
    path the list covers, or entries for files left out are dropped too. A path that does
    not exist or cannot be read is an error (exit 26) and nothing is pruned.
    """
    from ..fileio import WriteError, encode_like, write_atomic
    from ..suppressions import SuppressionListError, parse_text, plan_prune, prune_text

    config, slist = _load(suppression_files, paths[0] if paths else ".")
    if not slist.files:
        click.echo("no suppression file to prune", err=True)
        sys.exit(0)
    plan = plan_prune(slist, _present(paths or (".",), config))
    dropped = 0
    for path, entries in plan.items():
        if not entries:
            continue
        dropped += len(entries)
        for e in entries:
            click.echo(printable(f"{'would drop' if dry_run else 'dropped'} {path}:{e.line}: "
                                 f"{e.fingerprint}" + (f"  # {e.comment}" if e.comment
                                                       else "")))
        if dry_run:
            continue
        try:
            original = read_document(path)
            text = original.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
            # The entries were found by line when the list was first read; the check of
            # PATHS since may have taken minutes. An edit meanwhile (a line added above)
            # would move them, and dropping by line would delete the wrong ones.
            now = {(e.line, e.fingerprint) for e in parse_text(text, path)}
            if any((e.line, e.fingerprint) not in now for e in entries):
                click.echo(printable(f"aether suppressions: {path} changed while the "
                                     "findings were gathered; nothing was dropped from it "
                                     "(run prune again)"), err=True)
                sys.exit(26)
            # A list found by default is never written through a link; one named with
            # --suppressions may be (docs/security.md).
            write_atomic(path, encode_like(original, prune_text(text, {e.line for e in entries})),
                         expect=original, follow_links=path in suppression_files)
        except (OSError, UnicodeDecodeError, SuppressionListError, WriteError) as exc:
            _bad(f"cannot rewrite {path}: {exc}")
    total = len(slist.entries)
    click.echo(f"{dropped} of {total} entries {'would be ' if dry_run else ''}dropped",
               err=True)
    sys.exit(0)


@suppressions.command()
@click.argument("report", type=path_param(dir_okay=False, exists=True))
@_FILES_OPTION
@click.option("--dry-run", is_flag=True, help="Show the renames; change nothing.")
def remap(report, suppression_files, dry_run):
    """Rename fingerprints after a migration, from its report (`aether migrate --json`).

    Only the fingerprint word of a matching line changes; everything else is kept.
    """
    from ..fileio import WriteError, encode_like, write_atomic
    from ..migrate.remap import load_remap, remap_suppression_text

    config, slist = _load(suppression_files, ".")
    try:
        mapping = load_remap(report)
    except (OSError, ValueError) as exc:  # validated whole before any file is written
        from ..jsondoc import DocumentError

        said = str(exc) if isinstance(exc, DocumentError) else \
            f"cannot read migration report {report}: {exc}"  # DocumentError names the file
        _bad(f"{said}; nothing was changed")
    changed = 0
    for path in slist.files:
        try:
            original = read_document(path)
            text = original.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
            new_text, n = remap_suppression_text(text, mapping)
            changed += n
            if n and not dry_run:
                write_atomic(path, encode_like(original, new_text), expect=original,
                             follow_links=path in suppression_files)
        except (OSError, UnicodeDecodeError, WriteError) as exc:
            _bad(f"cannot rewrite {path}: {exc}")
        if n:
            click.echo(f"{path}: {n} fingerprint{'s' if n != 1 else ''} "
                       f"{'would be ' if dry_run else ''}renamed")
    click.echo(f"{changed} entr{'ies' if changed != 1 else 'y'} renamed", err=True)
