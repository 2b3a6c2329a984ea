"""The click group of the `aether` command, whose subcommands are imported only when run.

Start-up time matters for a checker run once per file, so each subcommand lives in its own
module (``aether/cli/<name>.py``) and is imported lazily (and the commonest one-file forms
do not import click at all: :mod:`aether.cli.fast`). The legacy form ``aether --check
FILE`` of the reference scripts is kept and runs ``aether check FILE``.
"""

from __future__ import annotations

import importlib

import click

from .. import __version__

__all__ = ["cli", "COMMANDS", "LazyGroup"]

# command name -> "module:attribute" (module under aether.cli)
COMMANDS = {
    "check": "check:check",
    "explain": "explain:explain",
    "rules": "explain:rules",
    "fmt": "fmt:fmt",
    "migrate": "migrate:migrate",
    "baseline": "baseline:baseline",
    "gate": "gate:gate",
    "suppressions": "suppressions:suppressions",
    "tools": "tools:tools",
    "run": "run:run",
    "resume": "run:resume",
    "keygen": "keygen:keygen",
    "sign": "sign:sign",
    "verify": "verify:verify",
    "validate-config": "governance:validate_config",
    "audit": "governance:audit",
    "policy": "governance:policy_group",
    "approve": "governance:approve",
    "deny": "governance:deny",
    "runs": "runs:runs",
    "classify": "classify:classify",
    "trends": "trends:trends",
    "stats": "stats:stats",
    "gates": "gates:gates",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module the first time it is needed."""

    def list_commands(self, ctx):
        return sorted(name for name in COMMANDS if self._available(name))

    @staticmethod
    def _available(name: str) -> bool:
        import importlib.util  # only for --help listings: costs start-up time

        module = COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(f"aether.cli.{module}") is not None

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            loaded = importlib.import_module(f"aether.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"aether.cli.{module}":
                raise
            return None
        return getattr(loaded, attr)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--check", "check_files", metavar="FILE", multiple=True,
              help="Check this file (the reference scripts' form of `aether check FILE`); "
              "may be repeated.")
@click.option("--emit-error-code", is_flag=True, help="With --check: also print "
              "AETHER_ERROR_CODE:<int> on stderr.")
@click.option("--json-status", is_flag=True, help="With --check: print one JSON status "
              "object on stdout.")
@click.version_option(__version__, "-V", "--version", prog_name="aether")
@click.pass_context
def cli(ctx: click.Context, check_files, emit_error_code, json_status):
    """Check, format, migrate and gate .aether workflows."""
    if ctx.invoked_subcommand is not None:
        if check_files:
            raise click.UsageError("--check FILE cannot be combined with a subcommand")
        return
    if not check_files:
        click.echo(ctx.get_help())
        ctx.exit(0)
    command = ctx.command.get_command(ctx, "check")
    # Every --check FILE is checked (click would otherwise keep only the last one).
    ctx.invoke(command, paths=tuple(check_files), emit_error_code=emit_error_code,
               json_status=json_status, single_file=True)
