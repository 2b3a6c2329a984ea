"""`aether explain RULE` and `aether rules`: the rule registry, for people."""

from __future__ import annotations

import click


@click.command()
@click.argument("rule_id", metavar="RULE")
def explain(rule_id):
    """Explain a rule (by id like AE301 or name like unknown-function) or a status code."""
    from ..codes import Status, rule

    try:
        if rule_id.isdigit():
            status = Status(int(rule_id))
            click.echo(f"{int(status)} {status.name}: {status.meaning}")
            return
        r = rule(rule_id)
    except (KeyError, ValueError):
        raise click.BadParameter(f"no rule or status code '{rule_id}' "
                                 "(see `aether rules`)", param_hint="RULE") from None
    click.echo(f"{r.id} {r.name} [{int(r.status)} {r.status.name}]")
    click.echo()
    click.echo(r.summary)
    click.echo()
    click.echo(r.explanation)
    if r.wrong:
        click.echo()
        click.echo("Triggers it:")
        click.echo(_indent(r.wrong))
    if r.right:
        click.echo("Instead:")
        click.echo(_indent(r.right))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
def rules(as_json):
    """List every rule id with its status and summary."""
    from ..codes import RULES

    if as_json:
        from ..output.jsontext import json_text

        click.echo(json_text([{"id": r.id, "name": r.name, "code": int(r.status),
                                "code_name": r.status.name, "summary": r.summary}
                               for r in RULES.values()]))
        return
    for r in RULES.values():
        click.echo(f"{r.id}  {r.name:<28} {int(r.status):>2} {r.status.name:<17} {r.summary}")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").split("\n")) + "\n"
