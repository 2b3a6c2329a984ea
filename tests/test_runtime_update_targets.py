"""Update targets at run time (a.b: v, a["k"]: v, a[i] += n): value semantics, the same
result as the merge form, and coded errors for paths that cannot be updated."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime_support import outputs, run


def test_member_and_index_update_rebinds_the_root_only():
    out = outputs('cfg: {"a": {"b": 1}, "xs": [1, 2]}\nalias: cfg\ninner: cfg.a\n'
                  'cfg.a.b: 5\ncfg["xs"][1] += 10\ncfg.new: "n"\nk: "a"\n'
                  'cfg[k]["c"]: true\ncfg.xs[0] -= 1\n')
    assert out["cfg"] == {"a": {"b": 5, "c": True}, "xs": [0, 12], "new": "n"}
    # an alias of the root, or of a part of it, never sees the change
    assert out["alias"] == {"a": {"b": 1}, "xs": [1, 2]}
    assert out["inner"] == {"b": 1}


def test_update_equals_the_merge_form():
    a = outputs('m: {"a": {"b": 1}, "c": 2}\nm.a.b: 7\nm.d: [1]\n')["m"]
    b = outputs('m: {"a": {"b": 1}, "c": 2}\nm: merge(m, {"a": merge(m.a, {"b": 7})})\n'
                'm: merge(m, {"d": [1]})\n')["m"]
    assert a == b == {"a": {"b": 7}, "c": 2, "d": [1]}


def test_update_inside_fn_is_local_and_string_add():
    out = outputs('fn f(x):\n    x.y: 2\n    x.s += "!"\n    return x\n'
                  'orig: {"y": 1, "s": "hi"}\nout: f(orig)\n')
    assert out["out"] == {"y": 2, "s": "hi!"} and out["orig"] == {"y": 1, "s": "hi"}


def test_update_errors_are_coded():
    assert run('xs: [1]\nxs[3]: 2\n').error["rule"] == "AE404"
    assert run('m: {}\nm["k"] += 1\n').error["rule"] == "AE403"
    assert run('s: "abc"\ns.x: 1\n').error["rule"] == "AE401"
    assert run('xs: [1]\nxs["k"]: 2\n').error["rule"] == "AE401"
    err = run('m: {"a": 1}\nm.a += "x"\n').error
    assert err["rule"] == "AE401" and err["line"] == 3


_keys = st.sampled_from(["a", "b", "c"])
_leaf = st.one_of(st.integers(-5, 5), st.text("xy", max_size=2))


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(_keys, st.dictionaries(_keys, _leaf, max_size=3), max_size=3),
       _keys, _keys, _leaf)
def test_property_update_is_merge(start, k1, k2, v):
    """For any nested map, ``m[k1][k2]: v`` and the merge form give the same map, and a
    copy taken before is unchanged."""
    lit = json.dumps(start)
    val = json.dumps(v)
    upd = outputs(f'm: {lit}\nbefore: m\nm["{k1}"]["{k2}"]: {val}\n')
    mrg = outputs(f'm: {lit}\nm: merge(m, {{"{k1}": merge(get(m, "{k1}", {{}}), '
                  f'{{"{k2}": {val}}})}})\n')
    assert upd["m"] == mrg["m"]
    assert upd["before"] == start
