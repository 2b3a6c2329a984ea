"""Where the code of a migration rule lives: the map in the module docstrings stays true.

Each module of the converter package (and the migration parser) names in its docstring
the rules it implements (``Rules:``) and the ones it only records in passing (``Also:``).
These tests check that every rule of the registry is implemented in exactly one module,
that the map matches the rule ids the code records, and that ``docs/migrate.md`` shows the
same map.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from aether.migrate.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
MIGRATE = ROOT / "aether" / "migrate"
MODULES = sorted((MIGRATE / "convert").glob("*.py")) + sorted(MIGRATE.glob("parser*.py"))
RULE_ID = re.compile(r"M\d{3}")


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def docstring_map(path: Path) -> tuple[set[str], set[str]]:
    """(ids on the ``Rules:`` paragraph, ids on the ``Also:`` paragraph) of the docstring."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    found = {"Rules:": set(), "Also:": set()}
    current = None
    for line in doc.splitlines():
        head = next((k for k in found if line.startswith(k)), None)
        if head:
            current = head
        elif not line.strip():
            current = None
        if current:
            found[current] |= set(RULE_ID.findall(line))
    return found["Rules:"], found["Also:"]


def recorded_ids(path: Path) -> set[str]:
    """Rule ids the module's code spells as string literals (docstrings aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value,
                                                                  ast.Constant):
            docs.add(id(node.body[0].value))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and
            isinstance(n.value, str) and RULE_ID.fullmatch(n.value) and id(n) not in docs}


def owners() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in MODULES:
        for rule_id in docstring_map(path)[0]:
            out.setdefault(rule_id, []).append(rel(path))
    return out


def test_every_rule_is_implemented_in_exactly_one_module():
    found = owners()
    unknown = set(found) - set(RULES)
    assert not unknown, f"unknown rule ids in docstrings: {unknown}"
    missing = sorted(set(RULES) - set(found))
    assert not missing, f"rules no module names on its `Rules:` line: {missing}"
    twice = {k: v for k, v in found.items() if len(v) > 1}
    assert not twice, f"rules named by more than one module: {twice}"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_the_docstring_map_matches_the_code(path):
    own, also = docstring_map(path)
    code = recorded_ids(path)
    assert own <= code, f"{rel(path)} claims {sorted(own - code)} but never records them"
    assert code <= own | also, (f"{rel(path)} records {sorted(code - own - also)}: name them "
                                "on its `Rules:` or `Also:` line")
    assert also <= code, f"{rel(path)}: {sorted(also - code)} on `Also:` but never recorded"
    assert not own & also, f"{rel(path)}: {sorted(own & also)} on both lines"


def test_docs_show_the_same_map():
    text = (ROOT / "docs" / "migrate.md").read_text(encoding="utf-8")
    section = text.split("### Where the code of a rule lives", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        m = re.match(r"^\| `(aether/migrate/[^`]+)` \|.*\| ([^|]*) \|$", line)
        if m:
            table[m.group(1)] = set(RULE_ID.findall(m.group(2)))
    assert table == {rel(p): docstring_map(p)[0] for p in MODULES}


def test_no_rule_family_overrides_another():
    # the Converter is the union of its mixins: a method defined in two of them would
    # silently shadow one (method resolution order), changing behaviour
    from aether.migrate.convert import Converter

    seen: dict[str, str] = {}
    for base in Converter.__mro__:
        if base is object:
            continue
        for name, value in vars(base).items():
            if callable(value) and not name.startswith("__"):
                assert name not in seen, f"{name} is in {seen[name]} and {base.__name__}"
                seen[name] = base.__name__
