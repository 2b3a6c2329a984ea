"""Did-you-mean suggestions (aether/semantics/suggest.py): the same answers as before,
in bounded work per lookup however many names the file has (issue 9, item 4)."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings, strategies as st

from aether.checker import check_text
from aether.semantics import suggest
from aether.semantics.suggest import EXACT_LIMIT, NEAR_LIMIT, NameIndex, closest


def reference(name: str, candidates) -> str | None:
    """The validator's suggestion as it was written before (a full difflib scan)."""
    ordered = sorted(c for c in set(candidates) if c != name)
    for c in ordered:
        if c.lower() == name.lower() or suggest.swapped(c, name):
            return c
    best = difflib.get_close_matches(name, ordered, n=1, cutoff=0.72)
    return best[0] if best else None


names = st.text(alphabet="abcdeABxyz_01", min_size=1, max_size=9)


@settings(max_examples=400, deadline=None)
@given(names, st.lists(names, max_size=30))
def test_closest_gives_the_full_difflib_answer(name, candidates):
    assert closest(name, candidates) == reference(name, candidates)


@pytest.mark.parametrize("name, candidates, expected", [
    ("X", ["x", "y"], "x"),
    ("tga", ["tag", "ttl", "value"], "tag"),
    ("summarise", ["summarize", "summary", "sum"], "summarize"),
    ("zzz", ["tag", "x"], None),
    ("tag", ["tag"], None),
])
def test_small_and_large_pools_agree_on_ordinary_typos(name, candidates, expected):
    """A pool far larger than EXACT_LIMIT still finds the typo's target through the index."""
    filler = [f"unrelated_{i}" for i in range(EXACT_LIMIT * 4)]
    index = NameIndex(candidates + filler)
    pool = set(candidates + filler)
    want = f"did you mean '{expected}'?" if expected else ""
    assert index.suggest(name, set(candidates)) == want
    assert index.suggest(name, pool) == want


def _compared(monkeypatch) -> list[int]:
    """Record how many candidates each lookup hands to the comparison."""
    sizes: list[int] = []
    real = suggest.closest

    def counting(name, candidates):
        candidates = list(candidates)
        sizes.append(len(candidates))
        return real(name, candidates)

    monkeypatch.setattr(suggest, "closest", counting)
    suggest._closest_cached.cache_clear()
    return sizes


@pytest.mark.parametrize("make", [
    lambda n: "".join(f"y{i}: z{i}\n" for i in range(n)),  # n unknown names, n bound
    lambda n: "".join(f"fn f{i}():\n    return g{i}()\n" for i in range(n)),  # n unknown fns
    lambda n: "".join(f"x{i}: 1\n" for i in range(n)) + "".join(
        f"fn f{i}():\n    return w{i}\n" for i in range(n)),  # globals seen from n fns
])
def test_candidates_compared_per_lookup_are_bounded(monkeypatch, make):
    sizes = _compared(monkeypatch)
    n = 3000
    result = check_text('goal: "g"\n' + make(n), "big.aether")
    assert len(result.findings) >= n
    assert len(sizes) >= n
    # before: the k-th lookup compared about k names (n**2 / 2 in all)
    assert max(sizes) <= max(EXACT_LIMIT, 3 * NEAR_LIMIT)


def test_fn_bodies_see_globals_without_copying_them():
    from aether.semantics.validator import Validator
    from aether.syntax import parse

    src = 'goal: "g"\n' + "".join(f"x{i}: 1\n" for i in range(50)) + \
        "fn f(a):\n    b: a + x49\n    return b + x0 + nope\n"
    module = parse(src).module
    validator = Validator()
    scopes = []
    real = validator._block

    def spy(body, env, ctx):
        scopes.append(env)
        return real(body, env, ctx)

    validator._block = spy
    findings = validator.validate(module)
    assert [(f.rule, f.message) for f in findings] == [("AE302", "'nope' is not bound here")]
    fn_scope = next(e for e in scopes if "a" in e and "b" in e)
    assert set(fn_scope) == {"a", "b"}  # its own names only; the globals are looked up
    assert "x49" in fn_scope and "nope" not in fn_scope


def test_a_very_long_name_costs_linear_work_and_gets_no_suggestion():
    # _bag of a 100,000-letter name built strings of every length up to 100,000 (5 GB) and
    # difflib compared it with its neighbours: `check` and `tools show` hung
    from aether.semantics.suggest import MAX_SUGGEST_LENGTH, _bag, closest
    from aether.tooling.infer import near_miss

    long_name = "y" * 100_000
    assert sum(len(x) for x in _bag(long_name)) < 1_000_000
    assert closest(long_name, [long_name[:-1] + "q", "y" * 99_999]) is None
    assert not near_miss("y" * 50_000 + "a", "y" * 50_000 + "b")
    short = "y" * MAX_SUGGEST_LENGTH
    assert closest(short, [short[:-1] + "q"]) == short[:-1] + "q"  # up to the limit: as before


def test_a_large_pool_suggests_the_same_names_whatever_the_hash_seed(tmp_path):
    """Names reach the index from sets, whose order follows the hash seed; which names a
    large pool offers followed the order of filing, so two runs of one file could give
    different hints. Each run of the same file must print the same report."""
    import random
    import subprocess
    import sys

    rng = random.Random(3)
    names: set[str] = set()
    while len(names) < 400:
        names.add("v" + "".join(rng.choice("abcdefghij") for _ in range(5)))
    lines = ['goal: "x"'] + [f"{n}: 1" for n in sorted(names)]
    lines += ["log(v" + "".join(rng.choice("abcdefghij") for _ in range(5)) + "x)"
              for _ in range(30)]
    path = tmp_path / "many.aether"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        env = dict(__import__("os").environ, PYTHONHASHSEED=seed)
        done = subprocess.run(
            [sys.executable, "-m", "aether", "check", "--no-cache", "--isolated",
             "--format", "json", str(path)], capture_output=True, text=True, env=env,
            timeout=120)
        assert done.returncode == 25, done.stderr
        assert "did you mean" in done.stdout
        outputs.add(done.stdout)
    assert len(outputs) == 1
