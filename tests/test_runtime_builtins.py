"""Every pure builtin and value method of the catalogue has an implementation that fits its
declared parameters; effectful builtins never run in-process; every example runs."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _unique_by_scan(values):
    """The definition of unique(): keep each value not equal to one kept before."""
    from aether.runtime.values import equal

    out = []
    for v in values:
        if not any(equal(v, o) for o in out):
            out.append(v)
    return tuple(out)


_atoms = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                   st.sampled_from([0.0, 1.0, 2.5, -1.0]), st.sampled_from(["", "a", "1"]))
_values = st.recursive(_atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)), max_leaves=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(_values, max_size=8))
def test_unique_keeps_exactly_the_values_not_equal_to_an_earlier_one(values):
    from aether.runtime.builtins import PURE

    assert PURE["unique"](None, tuple(values)) == _unique_by_scan(values)


def test_unique_takes_linear_time(monkeypatch):
    """unique() compared each new value with every kept one: 100,000 distinct numbers took
    hours, and no deadline can stop a builtin. It now makes no comparison at all."""
    import aether.runtime.builtins as B
    import aether.runtime.values as V
    from aether.runtime.values import equal

    calls = []
    # builtins no longer imports equal (raising=False); values' own is counted too
    for module in (B, V):
        monkeypatch.setattr(module, "equal", lambda *a: calls.append(1) or equal(*a),
                            raising=False)
    assert len(B.PURE["unique"](None, tuple(range(3000)) + ((1,), (1.0,)))) == 3001
    assert len(calls) < 3000


# ------------------------------------------------------------------ membership of scalars
@pytest.mark.parametrize("expr, expected", [
    ('"z" in xs', False), ('contains(xs, "z")', False), ('count(xs, "z")', 0),
    ("count(xs, 7)", 1), ("7 in xs", True), ("xs.find(null)", -1), ("xs.index(99999)", 99999),
    ("1 in ys", True), ("count(ys, 1)", 2), ("true in ys", True), ("ys.find(1.0)", 2),
])
def test_membership_of_a_scalar_does_not_compare_item_by_item(expr, expected, monkeypatch):
    """`in`, contains, count, find and index of a string, number, bool or null search the
    list in C: a call of `equal` per item made one such step over ten million items take
    seconds, which the run's time limit cannot interrupt. Only a bool met by a number
    (true == 1 in Python, not in Aether) is compared again."""
    import aether.runtime.builtins as builtins_module
    import aether.runtime.compiler as compiler_module
    import aether.runtime.values as values_module
    from runtime_support import outputs

    calls = []
    real = values_module.equal

    def counting(a, b, *rest):
        calls.append(1)
        return real(a, b, *rest)

    for module in (values_module, compiler_module, builtins_module):
        # raising=False: builtins no longer imports equal (its searches go through
        # values), but one that did again would be counted too
        monkeypatch.setattr(module, "equal", counting, raising=False)
    got = outputs(f"xs: range(100000)\nys: [true, true, 1, 1.0]\nr: {expr}\n")["r"]
    assert got == expected and type(got) is type(expected)
    assert len(calls) <= 4, len(calls)


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                    st.sampled_from([0.0, -0.0, 1.0, 2.5, float("nan")]),
                    st.sampled_from(["", "a", "1"]))
_item = st.one_of(_scalar, st.lists(_scalar, max_size=2).map(tuple))


@settings(max_examples=300, deadline=None)
@given(st.lists(_item, max_size=12).map(tuple), _item)
def test_membership_agrees_with_a_scan_by_equal(container, item):
    from aether.runtime.values import contains_equal, count_equal, equal, index_equal

    hits = [n for n, x in enumerate(container) if equal(x, item)]
    assert contains_equal(container, item) is bool(hits)
    assert count_equal(container, item) == len(hits)
    assert index_equal(container, item) == (hits[0] if hits else -1)


def test_unique_of_plain_scalars_builds_no_key_per_item(monkeypatch):
    """unique() of strings, numbers and nulls (no bool, no list or map) keeps the first of
    each as dict.fromkeys does, without a Python key per item: unique() of ten million
    numbers took 25 s, one step the run's time limit could not interrupt."""
    import aether.runtime.builtins as builtins_module
    from runtime_support import outputs

    calls = []
    real = builtins_module._unique_key

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(builtins_module, "_unique_key", counting)
    got = outputs('xs: range(100000) + range(50000) + ["a", "a", null, 1.0, 0.5]\n'
                  "r: len(unique(xs))\n")["r"]
    assert got == 100000 + 3  # "a", null, 0.5; 1.0 is 1
    assert len(calls) == 0, len(calls)


def _tree_size(key, limit: int = 10_000) -> int:
    """Nodes of ``key`` walked as a tree (as hash and == walk a tuple), at most ``limit``."""
    seen, stack = 0, [key]
    while stack and seen < limit:
        k = stack.pop()
        seen += 1
        if isinstance(k, (tuple, frozenset)):
            stack.extend(k)
    return seen


def test_unique_of_a_value_sharing_its_parts_costs_its_distinct_parts():
    """`xs: [xs, xs]` forty times is a list of 2**40 leaves in 40 distinct lists. unique()
    built each value's key as a nested tuple of its children's keys: hashing the key (in
    C, which no deadline can interrupt) walked all 2**40 leaves, and a run with --timeout
    10s was still hashing hours later. Each distinct list or map now gets a key of its
    own size (its children's keys are small), so a key is hashed in time of one part."""
    import aether.runtime.builtins as builtins_module

    xs, ys = (1,), (1,)
    for _ in range(60):
        xs, ys = (xs, xs), (ys, ys)  # ys equal to xs, not the same objects
    memo: dict = {}
    kx, ky = (builtins_module._unique_key(v, memo, 0) for v in (xs, ys))
    assert _tree_size(kx) < 100 and _tree_size(ky) < 100  # before anything hashes them
    got = builtins_module.PURE["unique"](None, (xs, ys, (xs, ys), (ys, xs), {"a": xs},
                                                {"a": ys}))
    assert len(got) == 3 and got[0] is xs and got[1] == (xs, ys) and got[2] == {"a": xs}


@settings(max_examples=300, deadline=None)
@given(st.lists(_item, max_size=12).map(tuple))
def test_unique_agrees_with_keys_by_equal(values):
    from aether.runtime.builtins import PURE
    from aether.runtime.values import equal

    got = PURE["unique"](None, values)
    kept: list = []
    for v in values:  # the first of each class of equal values, in order
        if not any(equal(v, k) for k in kept):
            kept.append(v)
    assert len(got) == len(kept) and all(a is b for a, b in zip(got, kept))


@pytest.mark.parametrize("body, expected", [
    ("r: sorted(reverse(range(50000)))[0]", 0),
    ('r: sorted(split("b a c " * 20000, " "))[-1]', "c"),
    ("r: sorted([2, 1.5, 1, 3], reverse=true)", [3, 2, 1.5, 1]),
])
def test_sorted_of_plain_strings_or_numbers_builds_no_key_per_item(body, expected,
                                                                   monkeypatch):
    """sorted() of only strings or only numbers sorts the values themselves, in C: a sort
    key per item made sorted() of ten million strings one step of 13 s."""
    import aether.runtime.builtins as builtins_module
    from runtime_support import outputs

    calls = []
    real = builtins_module.compare_key

    def counting(v):
        calls.append(1)
        return real(v)

    monkeypatch.setattr(builtins_module, "compare_key", counting)
    assert outputs(body + "\n")["r"] == expected
    assert len(calls) == 0, len(calls)


_sortable = st.one_of(st.lists(st.one_of(st.integers(-3, 3),
                                         st.sampled_from([0.0, -0.0, 1.0, 2.5, float("nan")])),
                               max_size=12),
                      st.lists(st.sampled_from(["", "a", "B", "ab", "1"]), max_size=12))


@settings(max_examples=300, deadline=None)
@given(_sortable, st.booleans())
def test_sorted_agrees_with_sorting_by_compare_key(values, rev):
    from aether.runtime.builtins import PURE
    from aether.runtime.values import compare_key

    values = tuple(values)
    got = PURE["sorted"](None, values, None, rev)
    keys = [compare_key(v) for v in values]
    order = sorted(range(len(values)), key=keys.__getitem__, reverse=rev)
    want = tuple(values[i] for i in order)
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want))
