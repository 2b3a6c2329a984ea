"""The shape of the code (STYLE.md): module docstrings, Lark only in the syntax layer, thin CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aether"
GENERATED = {"aether/syntax/_tables.py", "aether/semantics/_builtins.py"}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_every_module_opens_with_a_docstring(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc and len(doc.strip()) > 10, f"{rel(path)} needs a docstring naming its one job"


def test_lark_is_imported_only_by_the_syntax_layer():
    users = {rel(p) for p in MODULES
             if any(m == "lark" or m.startswith("lark.") for m in imported_modules(p))}
    assert users <= {"aether/syntax/tables.py"}, users


def test_the_syntax_layer_does_not_reach_up():
    for p in (PACKAGE / "syntax").glob("*.py"):
        text = p.read_text(encoding="utf-8")
        for upper in ("semantics", "checker", "cli", "output", "runner", "migrate"):
            assert f"from ..{upper}" not in text and f"aether.{upper}" not in text, (rel(p), upper)


def test_library_never_imports_the_cli():
    for p in MODULES:
        if "/cli/" in rel(p) or rel(p) == "aether/__main__.py":
            continue
        assert not any(m.startswith("aether.cli") for m in imported_modules(p)), rel(p)
        assert "from .cli" not in p.read_text(encoding="utf-8") or rel(p) == "aether/__main__.py"


def test_cli_modules_stay_thin():
    for p in (PACKAGE / "cli").glob("*.py"):
        lines = len(p.read_text(encoding="utf-8").splitlines())
        assert lines < 400, f"{rel(p)} has {lines} lines: move logic into the library"


def _private_names_taken_across_packages(path: Path) -> list[str]:
    """``_name``s that ``path`` imports from a module of another aether package (a
    package's private helpers are its own; another package uses a public name)."""
    here = path.relative_to(PACKAGE).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = list(here[:len(here) - (node.level - 1)])
            target = base + (node.module.split(".") if node.module else [])
        elif node.module and node.module.split(".")[0] == "aether":
            target = node.module.split(".")[1:]
        else:
            continue
        if target[:1] == list(here[:1]) and (here or len(target) <= 1):
            continue  # the same package (or a top-level module from the top level)
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                # a module of the target package imported by name is not a helper of it
                if not (PACKAGE.joinpath(*target, alias.name + ".py").exists()
                        or PACKAGE.joinpath(*target, alias.name).is_dir()):
                    found.append(f"{'.'.join(target)}.{alias.name}")
    return found


def test_no_package_imports_another_packages_private_names():
    taken = {rel(p): names for p in MODULES
             if (names := _private_names_taken_across_packages(p))}
    assert taken == {}, taken
