"""`aether tools`: the catalogue (builtins + the project's aether-tools.toml): list, show,
infer entries from a fleet, capability manifests. The logic is in :mod:`aether.tooling`."""

from __future__ import annotations

import sys

import click

from .common import path_param, project_options

_EFFECTS = ("pure", "memory", "tool", "observability")
_RISKS = ("low", "medium", "high", "unreviewed")


def _project(start, config_file=None, isolated=False):
    """(config, merged catalogue) for a run over ``start``; a bad configuration or
    catalogue file ends the command with its message and status 26."""
    from ..config import ConfigError, load_config
    from ..semantics.catalogue import load_catalogue
    from ..semantics.project import load_project_catalogue

    try:
        config = load_config(start, config_file, isolated)
        cat = load_project_catalogue(config, isolated) or load_catalogue()
    except ConfigError as exc:
        sys.stderr.write(f"aether tools: {exc}\n")
        raise SystemExit(26)
    return config, cat


def _files(paths, config, exclude):
    from ..walk import iter_files

    return list(iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root))


@click.group()
def tools():
    """The tool catalogue: builtins, and the project's tools, plugins and inputs."""


@tools.command("list")
@click.option("--effect", type=click.Choice(_EFFECTS), default=None, help="Only this effect.")
@click.option("--risk", type=click.Choice(_RISKS), default=None, help="Only this risk tier.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
@project_options
def list_(effect, risk, fmt, exclude=(), config_file=None, isolated=False):
    """List builtins, project tools and declared plugin functions."""
    from ..tooling.listing import entries, format_list

    _config, cat = _project(".", config_file, isolated)
    rows = entries(cat, effect, risk)
    if fmt == "json":
        from ..output.jsontext import json_text

        click.echo(json_text({"entries": rows, "inputs": cat.inputs}))
    else:
        click.echo(format_list(rows), nl=False)


@tools.command("show")
@click.argument("name")
@project_options
def show(name, exclude=(), config_file=None, isolated=False):
    """Everything the catalogue says about NAME (a tool, `plugin.fn` or an input)."""
    from ..semantics.suggest import hint
    from ..tooling.listing import entries, find, format_show, shown_name

    _config, cat = _project(".", config_file, isolated)
    row = find(cat, name)
    if row is None:
        near = hint(name, [r["name"] for r in entries(cat)] + list(cat.inputs))
        sys.stderr.write(f"aether tools: no tool or input '{shown_name(name)}' in the "
                         f"catalogue{'; ' + near if near else ''}\n")
        raise SystemExit(1)
    click.echo(format_show(row), nl=False)


@tools.command("infer")
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("--write", is_flag=True, help="Add the proposal to aether-tools.toml in the "
              "project root (what is there is kept, comments included).")
@project_options
def infer(paths, write, exclude=(), config_file=None, isolated=False):
    """Propose catalogue entries for the unknown functions and unbound names of PATHS.

    Near misses of known names stay undeclared (likely typos, reported by `check`).
    """
    from ..checker import CheckOptions, RuleFilter
    from ..config import ConfigError
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..tooling.infer import default_target, infer as run_infer, proposal_notes, \
        proposal_toml, write_proposal

    paths = paths or (".",)
    config, cat = _project(paths[0], config_file, isolated)
    try:
        rules = RuleFilter.make(config.select, config.ignore)
    except ValueError as exc:
        sys.stderr.write(f"aether tools: select/ignore in {config.path}: {exc}\n")
        raise SystemExit(26)
    options = CheckOptions(root=config.root, rules=rules, catalogue=cat, keep_source=False,
                           max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE)
    proposal = run_infer(_files(paths, config, exclude), options)
    err = sys.stderr
    for display, message in proposal.unreadable:
        err.write(f"aether tools: {display}: {message}\n")
    # what could be read is proposed (or written); a file that could not is exit 26
    status = 26 if proposal.unreadable else 0
    if not write:
        sys.stdout.write(proposal_toml(proposal))
        err.write(f"{proposal.files} files: {len(proposal.tools)} tools and "
                  f"{len(proposal.inputs)} inputs to declare, {len(proposal.typos)} likely "
                  "typos (`--write` adds them to aether-tools.toml)\n")
        raise SystemExit(status)
    target = default_target(config.root)
    if not proposal.empty:
        from ..fileio import WriteError

        try:
            # without what a run at the same time declared meanwhile
            proposal = write_proposal(target, proposal)
        except (ConfigError, WriteError) as exc:
            err.write(f"aether tools: {exc}\n")
            raise SystemExit(26)
    err.write(proposal_notes(proposal))
    err.write(f"{target}: {len(proposal.tools)} tools and {len(proposal.inputs)} inputs "
              f"added; {len(proposal.typos)} likely typos left for `aether check`\n")
    raise SystemExit(status)


@tools.command("manifest")
@click.argument("paths", nargs=-1, type=path_param(path_type=str))
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
@project_options
def manifest(paths, fmt, exclude=(), config_file=None, isolated=False):
    """For each workflow: the tools it can reach (through its fns too), their effects,
    risk tiers and capabilities, and the inputs it needs."""
    from ..source import DEFAULT_MAX_FILE_SIZE
    from ..tooling.manifest import format_text, manifest as build

    paths = paths or (".",)
    config, cat = _project(paths[0], config_file, isolated)
    doc = build(_files(paths, config, exclude), cat,
                config.max_file_size or DEFAULT_MAX_FILE_SIZE)
    if fmt == "json":
        from ..output.jsontext import json_text

        click.echo(json_text(doc))
    else:
        click.echo(format_text(doc), nl=False)
    for bad in doc["unreadable"]:
        sys.stderr.write(f"aether tools: {bad['file']}: {bad['error']}\n")
    if doc["unreadable"]:  # listed in the manifest too; the run is not a clean one
        raise SystemExit(26)
