"""The fast indented JSON encoder gives exactly json.dumps(indent=2, ensure_ascii=False)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from aether.output.indented import dumps_indented

_scalars = (st.none() | st.booleans() | st.integers() | st.text()
            | st.floats(allow_nan=False, allow_infinity=False))
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=40)


def _reference(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_same_text_as_json_dumps(obj):
    assert dumps_indented(obj) == _reference(obj)


@pytest.mark.parametrize("obj", [
    {"a": (1, 2)}, {1: "int key"}, {"t": True, None: 1}, [1.5, {"x": []}, {}],
    {"s": "é\u2028\x00\"\\"}, [1e300, -0.0, 10**30],
])
def test_other_types_and_keys_as_json_dumps(obj):
    assert dumps_indented(obj) == _reference(obj)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_raise_value_error(bad):
    with pytest.raises(ValueError):
        dumps_indented({"x": [bad]})


def test_unserialisable_raises_type_error():
    with pytest.raises(TypeError):
        dumps_indented({"x": object()})


def test_circular_raises_value_error():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError):
        dumps_indented(loop)


def test_int_enum_values_need_no_fallback(monkeypatch):
    """Statuses are IntEnums: they must take the fast path, not json.dumps."""
    from aether.codes import Status

    def refuse(*args, **kwargs):
        raise AssertionError("fell back to json.dumps")

    monkeypatch.setattr(json, "dumps", refuse)
    assert dumps_indented({"code": Status.SUCCESS, "x": (1,)}) == \
        '{\n  "code": 0,\n  "x": [\n    1\n  ]\n}'
