"""Fixture files in workflows/fixtures: each states its expected findings, exactly.

Expectations are comments: ``# expect: AE301`` at the end of the line the finding is on,
``# expect-next-line: AE106`` on the line above it, or ``# expect-line: 7 AE108`` anywhere
(for findings whose line cannot carry a comment, such as an unterminated string).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aether.checker import check_text
from aether.codes import RULES

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "workflows" / "fixtures").glob("*.aether"))
EXAMPLES = sorted((ROOT / "workflows" / "examples").glob("*.aether"))
_EXPECT = re.compile(r"#\s*expect(?P<kind>-next-line|-line)?:\s*(?P<body>.+)$")


def expectations(text: str) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        m = _EXPECT.search(line)
        if not m:
            continue
        body = m.group("body").strip()
        if m.group("kind") == "-line":
            target, body = body.split(None, 1)
            line_no = int(target)
        elif m.group("kind") == "-next-line":
            line_no = number + 1
        else:
            line_no = number
        found.update((line_no, rule.strip()) for rule in body.split(",") if rule.strip())
    return found


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_findings_match_expectations(path):
    text = path.read_text(encoding="utf-8")
    got = {(f.line, f.rule) for f in check_text(text, path.name).findings}
    assert got == expectations(text)


def test_every_rule_has_a_fixture():
    covered = {rule for p in FIXTURES for _, rule in expectations(p.read_text(encoding="utf-8"))}
    missing = [r for r in RULES if "AE100" <= r <= "AE399" and r not in covered]
    assert not missing, f"rules without a fixture: {missing}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_check_clean(path):
    result = check_text(path.read_text(encoding="utf-8"), path.name)
    assert result.findings == [], [(f.line, f.rule, f.message) for f in result.findings]


def test_examples_are_in_canonical_layout():
    from aether.fmt import format_text

    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert not format_text(text).changed, f"{path.name}: run `aether fmt workflows/examples`"


def test_examples_cover_every_construct():
    """Every node type of the AST appears in the bundled examples, and so does each
    statement-level form the language has (config blocks, step options, ...)."""
    import inspect

    from aether import ast as A
    from aether.syntax import parse

    node_types = {c for _, c in inspect.getmembers(A, inspect.isclass)
                  if issubclass(c, A.Node) and c not in (A.Node, A.Expr, A.Stmt)}
    seen: set = set()
    text = ""
    for path in EXAMPLES:
        src = path.read_text(encoding="utf-8")
        text += src
        seen.update(type(n) for n in A.walk(parse(src).module))
    assert node_types - seen == set()
    for form in ("meta:", "policy:", "require:", "plugin_contract:", "workflow:", "steps:",
                 "parallel:", "await ", "transaction:", "on_error:", "memory:", " = ", "+=",
                 "-=", " as ", "retry=", "timeout=30s", 'timeout="', "requires=[", "ms",
                 "h)", "m\n", "'", "\\n", "_000", "elif ", " in ", "not ", " and ", " or "):
        assert form in text, form
