"""The docs stay true: generated files current, every rule documented, examples check clean."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aether.checker import check_text
from aether.cli.main import cli
from aether.codes import RULES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(`{3,})([\w-]*)[ \t]*\n(.*?)^\1[ \t]*$", re.S | re.M)
_GOAL = re.compile(r"^goal\s*:", re.M)


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blocks(path: Path, lang: str) -> list[tuple[int, str]]:
    """``(line, body)`` of every fenced block of ``lang`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(3))
            for m in _FENCE.finditer(text) if m.group(2) == lang]


def _with_goal(body: str) -> str:
    return body if _GOAL.search(body) else 'goal: "doc"\n' + body


# ---------------------------------------------------------------- generated files
def test_codes_md_is_up_to_date():
    assert _gen_docs().main(["--check"]) == 0, "run `python tools/gen_docs.py`"


def test_generator_is_deterministic():
    gen = _gen_docs()
    assert gen.render_codes() == gen.render_codes()
    assert gen.render_builtins_table() == gen.render_builtins_table()


def test_every_rule_has_a_section():
    text = (DOCS / "codes.md").read_text(encoding="utf-8")
    for r in RULES.values():
        assert f'<a id="{r.id.lower()}"></a>' in text, r.id
        assert f"\n## {r.id} {r.name}\n" in text, r.id


def test_status_table_lists_every_status():
    from aether.codes import Status

    text = (DOCS / "codes.md").read_text(encoding="utf-8")
    for status in Status:
        assert f"| {int(status)} | `{status.name}` | {status.meaning} |" in text


def test_language_tables_are_generated():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    for marker in ("builtins", "policy"):
        start = text.index(f"<!-- {marker}:start -->")
        end = text.index(f"<!-- {marker}:end -->")
        assert "| --- |" in text[start:end], marker


# ---------------------------------------------------------------- rule ids
@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_rule_ids_mentioned_exist(path):
    mentioned = set(re.findall(r"\bAE\d{3}\b", path.read_text(encoding="utf-8")))
    unknown = sorted(mentioned - set(RULES))
    assert not unknown, f"{path.name} mentions unknown rules {unknown}"


# ---------------------------------------------------------------- examples
def _example_cases():
    cases = []
    for name in ("language.md", "cli.md"):
        for line, body in _blocks(DOCS / name, "aether"):
            cases.append(pytest.param(body, id=f"{name}:{line}"))
    return cases


@pytest.mark.parametrize("body", _example_cases())
def test_aether_examples_check_clean(body):
    result = check_text(_with_goal(body), "doc.aether")
    assert [(f.rule, f.line, f.message) for f in result.findings] == []


def _wrong_cases():
    return [pytest.param(body, id=f"language.md:{line}")
            for line, body in _blocks(DOCS / "language.md", "aether-wrong")]


@pytest.mark.parametrize("body", _wrong_cases())
def test_wrong_examples_are_wrong(body):
    assert check_text(_with_goal(body), "doc.aether").findings


def test_there_are_examples():
    assert len(_example_cases()) >= 10
    assert _wrong_cases()


# ---------------------------------------------------------------- commands
def _commands_named_in_cli_md() -> set[tuple[str, ...]]:
    """``aether WORD [SUBWORD]`` in code spans and fenced blocks of docs/cli.md."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    code = [m.group(3) for m in _FENCE.finditer(text)]
    prose = _FENCE.sub("", text)
    code += re.findall(r"`([^`\n]+)`", prose)
    found = set()
    for snippet in code:
        for m in re.finditer(r"(?<![\w./-])aether ([a-z][a-z_-]*)(?: ([a-z][a-z_-]*))?",
                             snippet):
            found.add(tuple(w for w in m.groups() if w))
    return found


def test_cli_md_names_commands():
    names = {c[0] for c in _commands_named_in_cli_md()}
    assert {"check", "explain", "rules", "fmt", "migrate", "baseline", "gate",
            "suppressions"} <= names


@pytest.mark.parametrize("words", sorted(_commands_named_in_cli_md()), ids=" ".join)
def test_commands_named_in_cli_md_exist(words):
    ctx = click.Context(cli)
    command = cli.get_command(ctx, words[0])
    assert command is not None, f"`aether {words[0]}` does not exist"
    args = [words[0]]
    if len(words) > 1 and isinstance(command, click.Group):
        assert command.get_command(ctx, words[1]) is not None, " ".join(words)
        args.append(words[1])
    result = CliRunner().invoke(cli, args + ["--help"])
    assert result.exit_code == 0, result.output
