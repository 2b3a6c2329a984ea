"""The converted file is validated once (issue 15 item 3), also when the migration requires
the plugins it calls (M031, M029): the check of the result takes the validation of the
file with its new ``require:`` block derived from the M031 probe's
(``validator.validate_required``), and that is exactly what validating it gives.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether.checker import check_text
from aether.migrate.engine import check_options, migrate_text
from aether.semantics import validator as V
from derivations import compare_derivations, derivations_compared

GOLDEN = Path(__file__).resolve().parent / "migrate_golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "before.aether").exists())

PLUGINS = '''# Nightly report
# (legacy agent)

identity:
    name: reporter
    level: 3

boot:
    - sysmon.status()
    - log("up")

define run()
    summary = sysmon.collect("disk")
    count = 1
    print(cuont)
    report.send(summary)
end
'''


def _derivations(monkeypatch) -> Counter:
    """Count the validations derived, each compared with validating the module."""
    seen: Counter = Counter()
    compared, compared_spliced = compare_derivations(seen)
    monkeypatch.setattr(V, "validate_required", compared)
    monkeypatch.setattr(V, "validate_spliced", compared_spliced)
    return seen


def _validations(monkeypatch) -> list:
    runs: list = []
    real = V.Validator.validate

    def counting(self, module):
        runs.append(module)
        return real(self, module)

    monkeypatch.setattr(V.Validator, "validate", counting)
    return runs


def _reference(text: str, checked=None):
    """The migration with every module validated (no derivation)."""
    real, real_spliced = V.validate_required, V.validate_spliced
    try:
        V.validate_required = lambda *a, **k: False
        V.validate_spliced = lambda *a, **k: None
        return migrate_text(text, "input.aether", checked=checked)
    finally:
        V.validate_required, V.validate_spliced = real, real_spliced


@pytest.mark.parametrize("keep", [False, True], ids=["dry", "kept"])
def test_a_file_that_requires_its_plugins_is_validated_once(monkeypatch, keep):
    reference_checked: dict = {}
    reference = _reference(PLUGINS, reference_checked if keep else None)
    assert {"M031"} <= set(reference.rules)
    before = check_text(PLUGINS, "input.aether", check_options())
    seen = _derivations(monkeypatch)
    runs = _validations(monkeypatch)
    checked: dict = {}
    out = migrate_text(PLUGINS, "input.aether", before=before,
                       checked=checked if keep else None)
    assert seen == {"derived": 1}
    # the M031 probe, and the fresh validation the comparison makes; the check of the
    # result took it derived
    assert len(runs) == 2
    if keep:
        reference_checked.pop("before")
    assert out.to_dict() == reference.to_dict() and out.text == reference.text
    if keep:
        assert checked == reference_checked  # the results kept: findings and hints


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_derived_validations_are_the_validations(case, monkeypatch):
    text = (case / "before.aether").read_text(encoding="utf-8")
    reference_checked: dict = {}
    reference = _reference(text, reference_checked)
    _derivations(monkeypatch)
    checked: dict = {}
    out = migrate_text(text, "input.aether", checked=checked)
    assert out.to_dict() == reference.to_dict() and out.text == reference.text
    assert checked == reference_checked


@pytest.mark.parametrize("text, why", [
    # a message that names a line below the block: it would move with it
    (PLUGINS + "define run()\n    log(1)\nend\n", "AE313"),
    # the plugin's name is also looked up as a name (AE302 before, bound after)
    (PLUGINS.replace('print(cuont)', 'print(report)'), "AE302"),
])
def test_what_cannot_be_derived_is_validated_again(text, why, monkeypatch):
    reference = _reference(text)
    seen = _derivations(monkeypatch)
    runs = _validations(monkeypatch)
    out = migrate_text(text, "input.aether")
    assert seen == {"refused": 1}
    assert len(runs) == 3  # the check before, the probe, the check after
    assert out.to_dict() == reference.to_dict() and out.text == reference.text


_HEADS = ["", "# Title of the agent\n", "goal: \"watch\"\n", "# t one\ngoal: 'x'\n\n"]
_BLOCKS = ["identity:\n    name: scout\n    mode: fast\n",
           "boot:\n    - sysmon.status()\n    - log(\"up\")\n",
           "settings:\n  retries: 3\n",
           "x = report.build(1)\nreport.send(x)\n",
           "define go()\n    store.save(\"k\")\n    log(stroe)\nend\n",
           "define go()\n    log(1)\nend\n",
           "if level > 2\n    alert.raise(\"hi\")\nend\n",
           "y = alert\n", "z = report.items.size()\n", "report.x = 1\n",
           "import \"tools/x\" as helper\nhelper.run()\n",
           "policy:\n    run_timout: 30s\n", "\n", "# a comment\n"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_HEADS), st.lists(st.sampled_from(_BLOCKS), min_size=1, max_size=6),
       st.booleans())
def test_derived_validations_property(head, blocks, keep):
    """Files with headers, sections, plugin calls, plugin names used otherwise, typos:
    a derived validation is the validation, and the outcome and kept results are those
    of validating every module."""
    text = head + "".join(blocks)
    reference_checked: dict = {}
    reference = _reference(text, reference_checked if keep else None)
    checked: dict = {}
    with derivations_compared():
        out = migrate_text(text, "input.aether", checked=checked if keep else None)
    assert out.to_dict() == reference.to_dict() and out.text == reference.text
    assert checked == reference_checked


def test_a_file_requiring_very_many_plugins_is_validated_again(monkeypatch):
    # each finding's message is searched for each plugin: past V._DERIVED_PLUGINS that
    # would grow as findings x plugins, where a validation is linear in the file
    n = V._DERIVED_PLUGINS + 1
    text = "define main()\n" + "".join(f"    p{i}.run(1)\n    q{i}(2)\n"
                                       for i in range(n)) + "end\n"
    reference = _reference(text)
    assert "M031" in reference.rules
    seen = _derivations(monkeypatch)
    out = migrate_text(text, "input.aether")
    assert seen == {"refused": 1}
    assert out.to_dict() == reference.to_dict() and out.text == reference.text
