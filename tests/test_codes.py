"""The rule registry: fixed status table, unique ids, and every rule's examples behave."""

from __future__ import annotations

import pytest

from aether.checker import check_text
from aether.codes import RULES, Status, rule
from aether.source import normalise

CHECKABLE = [r for r in RULES.values() if "AE100" <= r.id <= "AE399"]


def test_status_table_is_fixed():
    assert {s.name: int(s) for s in Status} == {
        "SUCCESS": 0, "GENERIC_FAILURE": 1, "PARSE_ERROR": 20, "RUNTIME_ERROR": 21,
        "SIGNATURE_ERROR": 22, "TIMEOUT_ERROR": 23, "UNSUPPORTED_FEATURE": 24,
        "VALIDATION_ERROR": 25, "IO_ERROR": 26, "INTERNAL_ERROR": 27}


def test_ids_and_names_unique_and_documented():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))
    for r in RULES.values():
        assert r.summary and r.explanation and r.wrong, r.id
        assert rule(r.id) is r and rule(r.name) is r
    for r in CHECKABLE:
        if r.id.startswith("AE2"):
            assert r.migrate_hint and r.status == Status.PARSE_ERROR


@pytest.mark.parametrize("r", CHECKABLE, ids=lambda r: r.id)
def test_wrong_example_triggers_and_right_example_is_clean(r):
    wrong = check_text(normalise(r.wrong), "wrong.aether")
    assert r.id in {f.rule for f in wrong.findings}
    assert all(f.status == RULES[f.rule].status for f in wrong.findings)
    right = check_text(normalise(r.right), "right.aether")
    assert right.findings == [], [(f.rule, f.message) for f in right.findings]
