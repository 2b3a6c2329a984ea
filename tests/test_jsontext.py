"""The commands' JSON text (aether/output/jsontext.py) is strict JSON: a NaN or infinite
float, which JSON cannot hold, is written ``null`` (never ``NaN``/``Infinity``), wherever
it sits; everything else is written as json.dumps writes it."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from aether.output.jsontext import json_line, json_text


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in machine output")
    return json.loads(text, parse_constant=refuse)


def _nulled(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _nulled(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nulled(v) for v in value]
    return value


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats()
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=20)


@pytest.mark.parametrize("dump", [json_text, json_line])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_float_is_null(dump, bad):
    doc = {"ratio": bad, "rows": [1.5, bad, {"x": (bad, "café")}]}
    text = dump(doc)
    assert "NaN" not in text and "Infinity" not in text
    assert _strict(text) == {"ratio": None, "rows": [1.5, None, {"x": [None, "café"]}]}
    assert dump(bad) == "null"


@pytest.mark.parametrize("dump", [json_text, json_line])
def test_a_cycle_or_an_object_is_still_refused(dump):
    loop: list = [float("nan")]
    loop.append(loop)
    with pytest.raises(ValueError):
        dump({"a": loop})
    with pytest.raises(TypeError):
        dump({"a": float("nan"), "b": object()})


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_output_is_strict_json_of_the_value_with_non_finite_floats_null(value):
    expected = _nulled(value)
    assert _strict(json_text(value)) == expected == _strict(json_line(value))
    if expected == value:  # nothing to replace: the text json.dumps writes
        assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False)
        assert json_line(value) == json.dumps(value, ensure_ascii=False)
