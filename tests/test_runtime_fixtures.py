"""Runtime fixtures and rule examples: each AE4xx rule is triggered where it says.

A file in ``workflows/fixtures/runtime`` checks clean and states its run outcome inline:
``# expect-run: AE402`` at the end of the line the error is reported on, or
``# expect-run: ok``. A ``# run: stub`` line runs it with a dispatcher whose tools answer
null (not a simulation, so transactions need compensations; ``fixture.fail`` raises) and
``# run: unbound`` with no tool bindings at all; the default is ``--simulate``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aether.checker import check_text
from aether.codes import RULES
from aether.runtime.api import run_source
from aether.runtime.dispatch import BindingDispatcher
from aether.source import normalise
from runtime_support import StubDispatcher

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "workflows" / "fixtures" / "runtime").glob("*.aether"))
RUNTIME_RULES = sorted(r for r in RULES if "AE400" < r < "AE500")
_EXPECT = re.compile(r"#\s*expect-run:\s*(\S+)")
_MODE = re.compile(r"^#\s*run:\s*(\w+)", re.M)


def expected(text: str):
    for number, line in enumerate(text.split("\n"), start=1):
        m = _EXPECT.search(line)
        if m:
            return None if m.group(1) == "ok" else (number, m.group(1))
    raise AssertionError("no expect-run comment")


def run_fixture(text: str, name: str):
    m = _MODE.search(text)
    mode = m.group(1) if m else "simulate"
    dispatcher = {"stub": StubDispatcher, "unbound": BindingDispatcher}.get(mode)
    return run_source(text, name, simulate=mode == "simulate",
                      dispatcher=dispatcher() if dispatcher else None)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_runtime_fixture_ends_as_stated(path):
    text = normalise(path.read_text(encoding="utf-8"))
    assert check_text(text, path.name).findings == []
    want = expected(text)
    result = run_fixture(text, path.name)
    if want is None:
        assert result.status == 0, result.error
    else:
        assert result.error is not None, f"ran clean; expected {want}"
        assert (result.error["line"], result.error["rule"]) == want, result.error
        assert result.status == int(RULES[want[1]].status)


def test_every_runtime_rule_has_a_fixture_named_after_it():
    named = {p.name[:5] for p in FIXTURES}
    assert [r for r in RUNTIME_RULES if r not in named] == []
    for p in FIXTURES:
        if p.name.startswith("AE"):
            want = expected(normalise(p.read_text(encoding="utf-8")))
            assert want and want[1] == p.name[:5], p.name


@pytest.mark.parametrize("rule_id", [r for r in RUNTIME_RULES
                                     if RULES[r].wrong.startswith("goal")])
def test_runtime_rule_examples(rule_id):
    r = RULES[rule_id]
    wrong = run_source(normalise(r.wrong), "wrong.aether", dispatcher=StubDispatcher())
    assert wrong.error and wrong.error["rule"] == rule_id, (wrong.error, wrong.findings)
    right = run_source(normalise(r.right), "right.aether", dispatcher=StubDispatcher())
    assert right.status == 0, (right.error, right.findings)


def test_explain_knows_runtime_rules():
    from click.testing import CliRunner

    from aether.cli.main import cli

    out = CliRunner().invoke(cli, ["explain", "AE402"])
    assert out.exit_code == 0 and "division-by-zero" in out.output and "21" in out.output
