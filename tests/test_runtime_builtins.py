"""Every pure builtin and value method of the catalogue has an implementation that fits its
declared parameters; effectful builtins never run in-process; every example runs."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from aether.runtime.api import run_file
from aether.runtime.builtins import METHODS, PURE
from aether.semantics.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
CAT = load_catalogue()
PURE_NAMES = sorted(n for n, b in CAT.builtins.items() if b.effect == "pure")


@pytest.mark.parametrize("name", PURE_NAMES)
def test_pure_builtin_has_an_implementation_with_the_catalogue_arity(name):
    assert name in PURE, f"no implementation for pure builtin '{name}'"
    sig = CAT.builtins[name].signature
    params = list(inspect.signature(PURE[name]).parameters.values())[1:]  # after the frame
    positional = [p for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    n_params = len(sig.params) if sig.positional < 0 else sig.positional
    assert [p.name for p in positional][:n_params] or n_params == 0
    assert len(positional) == n_params, (name, [p.name for p in positional], sig)
    required = [p for p in positional if p.default is p.empty]
    assert len(required) == min(sig.required, n_params), name
    assert any(p.kind == p.VAR_POSITIONAL for p in params) == sig.varargs, name
    assert any(p.kind == p.VAR_KEYWORD for p in params) == sig.any_keywords, name


def test_no_effectful_builtin_runs_in_process():
    effectful = {n for n, b in CAT.builtins.items() if b.effect != "pure"}
    assert not effectful & set(PURE)


@pytest.mark.parametrize("method", sorted(CAT.methods))
def test_every_method_has_an_implementation(method):
    assert any(name == method for _, name in METHODS), method


EXAMPLES = sorted((ROOT / "workflows" / "examples").glob("*.aether"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs_under_simulate(path):
    result = run_file(str(path), simulate=True)
    assert result.status == 0, (result.error, result.findings)
    assert result.tool_calls and result.run_id
