"""Fingerprint survival: baselined findings keep their fingerprint across unrelated edits.

Files are generated here (random top-level blocks: ``fn``, ``if/elif/else``, ``for``,
``while``, ``try/catch`` and plain statements, with findings of several rules among benign
lines) and perturbed four ways: 1-50 lines inserted above a finding, re-indentation, a
top-level block moved elsewhere, an unrelated line edited. The survival ratio over all
baselined findings must be at least 99%; each perturbation must leave the set of findings
itself unchanged (same rules and messages), or the generator, not the fingerprint, is at
fault.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from aether.checker import CheckOptions, check_text

OPTIONS = CheckOptions(keep_source=False)
INDENT = "    "

# (template, rule) for lines that produce a finding; {k} is a per-file counter.
BAD = [
    ("unk_{k}(1)", "AE301"),
    ("summarize(nobody_{k})", "AE302"),
    ("len(1, {k})", "AE303"),
    ('summarize("x{k}", bogus=1)', "AE304"),
    ("stray words {k}", "AE109"),
    ('summarize("unterminated {k}', "AE108"),
    ("for = {k}", "AE107"),
    ("x_{k} = 1", "AE204"),
]
# Benign lines: calls of builtins with varying literals.
GOOD = ['log("step {k}")', 'narrate("note {k}")', 'x_{k}: summarize("t{k}")',
        'metrics({{"n": {k}}})']


class Gen:
    """A random but valid file: a list of (indent level, text) lines in top-level blocks."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.k = 0

    def _next(self) -> int:
        self.k += 1
        return self.k

    def stmt(self, bad_rate: float) -> str:
        if self.rng.random() < bad_rate:
            template, _ = self.rng.choice(BAD)
            # Repeat an earlier counter now and then so identical findings (ties) occur.
            k = self.rng.randint(1, max(1, self.k)) if self.rng.random() < 0.15 else self._next()
            return template.format(k=k)
        return self.rng.choice(GOOD).format(k=self._next())

    def body(self, level: int, n: int, bad_rate: float = 0.3) -> list[tuple[int, str]]:
        return [(level, self.stmt(bad_rate)) for _ in range(n)]

    def block(self) -> list[tuple[int, str]]:
        kind = self.rng.choice(["fn", "if", "for", "while", "try", "stmt", "stmt"])
        n = lambda: self.rng.randint(1, 5)  # noqa: E731
        if kind == "fn":
            out = [(0, f"fn helper_{self._next()}(a):")] + self.body(1, n())
            return out + [(1, "return a")]
        if kind == "if":
            out = [(0, f"if {self._next()} > 2:")] + self.body(1, n())
            if self.rng.random() < 0.5:
                out += [(0, f"elif {self._next()} > 3:")] + self.body(1, n())
            if self.rng.random() < 0.5:
                out += [(0, "else:")] + self.body(1, n())
            if self.rng.random() < 0.3:  # a nested block
                out += [(1, "for item in [1, 2]:")] + self.body(2, n())
            return out
        if kind == "for":
            return [(0, f"for i_{self._next()} in [1, 2]:")] + self.body(1, n())
        if kind == "while":
            return [(0, "while true:")] + self.body(1, n()) + [(1, "break")]
        if kind == "try":
            return ([(0, "try:")] + self.body(1, n()) + [(0, "catch err:")]
                    + self.body(1, n()))
        return self.body(0, n(), bad_rate=0.4)

    def file(self, blocks: int) -> list[list[tuple[int, str]]]:
        return [self.block() for _ in range(blocks)]


def render(blocks, unit: str = INDENT) -> str:
    lines = ['goal: "generated"', ""]
    for block in blocks:
        lines += [unit * level + text for level, text in block]
        lines.append("")
    return "\n".join(lines) + "\n"


def findings(text: str, path: str = "flows/gen.aether"):
    return check_text(text, path, OPTIONS).findings


def signature(fs) -> Counter:
    """What the findings are, regardless of where: rule and message."""
    return Counter((f.rule, f.message) for f in fs)


# --------------------------------------------------------------------------- perturbations

_NO_INSERT_BEFORE = ("elif", "else:", "catch")


def insert_above(rng: random.Random, text: str, finding_line: int) -> str:
    """1-50 benign lines inserted somewhere above ``finding_line``, at that spot's indent."""
    lines = text.split("\n")
    spots = [i for i in range(2, finding_line)
             if lines[i].strip() and not lines[i].lstrip().startswith(_NO_INSERT_BEFORE)]
    spot = rng.choice(spots) if spots else finding_line - 1
    indent = lines[spot][:len(lines[spot]) - len(lines[spot].lstrip())]
    count = rng.randint(1, 50)
    pad = [f'{indent}log("inserted {n}")' for n in range(count)]
    return "\n".join(lines[:spot] + pad + lines[spot:])


def reindent(blocks) -> str:
    return render(blocks, unit="  ")


def move_block(rng: random.Random, blocks) -> str:
    if len(blocks) < 2:
        return render(blocks)
    moved = list(blocks)
    block = moved.pop(rng.randrange(len(moved)))
    moved.insert(rng.randrange(len(moved) + 1), block)
    return render(moved)


def edit_unrelated(rng: random.Random, text: str, bad_lines: set[int]) -> str:
    """Change a benign line's text, or the condition of an ``if``/``elif`` header."""
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines)
                  if i + 1 not in bad_lines and ('log("' in line or 'narrate("' in line
                                                  or line.lstrip().startswith(("if ", "elif ")))]
    if not candidates:
        return text
    i = rng.choice(candidates)
    if " > " in lines[i]:
        lines[i] = lines[i].replace(" > ", " >= ", 1)
    else:
        lines[i] = lines[i].replace('("', '("edited ', 1)
    return "\n".join(lines)


PERTURBATIONS = ("insert", "reindent", "move", "edit")


def _run_suite(seed: int, files: int):
    """Per perturbation kind: [kept, total, list of lost (kind, before, after) examples]."""
    rng = random.Random(seed)
    stats = {p: [0, 0, []] for p in PERTURBATIONS}
    for _ in range(files):
        gen = Gen(rng)
        blocks = gen.file(rng.randint(3, 9))
        text = render(blocks)
        before = findings(text)
        if not before:
            continue
        bad_lines = {f.line for f in before}
        for kind in PERTURBATIONS:
            if kind == "insert":
                target = rng.choice(before)
                changed = insert_above(rng, text, target.line)
            elif kind == "reindent":
                changed = reindent(blocks)
            elif kind == "move":
                changed = move_block(rng, blocks)
            else:
                changed = edit_unrelated(rng, text, bad_lines)
            after = findings(changed)
            assert signature(after) == signature(before), (
                f"perturbation {kind} changed the findings themselves (generator bug):\n"
                f"{text}\n----\n{changed}")
            kept = Counter(f.fingerprint for f in before) & Counter(f.fingerprint for f in after)
            n_kept = sum(kept.values())
            stats[kind][0] += n_kept
            stats[kind][1] += len(before)
            if n_kept < len(before) and len(stats[kind][2]) < 3:
                stats[kind][2].append((text, changed))
    return stats


def test_fingerprints_survive_unrelated_edits():
    stats = _run_suite(seed=20261122, files=250)
    kept = sum(s[0] for s in stats.values())
    total = sum(s[1] for s in stats.values())
    assert total > 2000, "the suite should exercise thousands of findings"
    ratio = kept / total
    detail = {k: f"{s[0]}/{s[1]}" for k, s in stats.items()}
    assert ratio >= 0.99, f"survival {ratio:.4f} < 0.99: {detail}"
    for kind, (k, t, _) in stats.items():
        assert k / t >= 0.99, f"{kind}: survival {k}/{t}"


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_each_perturbation_is_exercised(kind):
    stats = _run_suite(seed=7, files=30)
    assert stats[kind][1] > 50


def test_ties_are_two_fingerprints():
    text = 'goal: "t"\nif true:\n    unk(1)\n    unk(1)\n'
    fs = findings(text)
    assert [f.rule for f in fs] == ["AE301", "AE301"]
    assert fs[0].fingerprint != fs[1].fingerprint


def test_fingerprint_depends_on_path_and_content_not_line():
    a = findings('goal: "t"\nunk(1)\n', "a.aether")[0]
    b = findings('goal: "t"\n\n\nunk(1)\n', "a.aether")[0]
    c = findings('goal: "t"\nunk(1)\n', "b.aether")[0]
    d = findings('goal: "t"\nunk(2)\n', "a.aether")[0]
    assert a.fingerprint == b.fingerprint
    assert a.legacy_fingerprint != b.legacy_fingerprint  # the reference formula has the line
    assert a.fingerprint != c.fingerprint
    assert a.fingerprint != d.fingerprint


# ---------------------------------------------------------- the one-pass anchors and hashing

from hypothesis import given, settings, strategies as st  # noqa: E402

_LINE = st.one_of(
    st.sampled_from(["", "# note", "x: 1", "log(x)", "- item", "else:", "try:"]),
    st.builds(lambda kw, n: f"{kw} {n}:", st.sampled_from(["fn", "if", "for", "while", "elif"]),
              st.sampled_from(["a", "b()", "c in d"])),
    st.sampled_from(["meta:", "catch err:", "steps:", "parallel:", "x: 1  # c:", "\tlog(1)"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), _LINE), max_size=40), st.data())
def test_one_pass_anchors_equal_the_backward_scan(rows, data):
    from aether.checker import _header_key, anchors_for

    def anchor_for(lines, line):
        """The reference: walk back from ``line`` to each less-indented enclosing line."""
        text = lines[line - 1]
        indent = len(text) - len(text.lstrip())
        parts = []
        for s in reversed(lines[:line - 1]):
            stripped = s.strip()
            if indent == 0:
                break
            if stripped and not stripped.startswith("#"):
                ind = len(s) - len(s.lstrip())
                if ind < indent:
                    key = _header_key(stripped)
                    if key is not None:
                        parts.append(key)
                    indent = ind
        return "/".join(reversed(parts))

    lines = [" " * (2 * depth) + text for depth, text in rows]
    wanted = data.draw(st.lists(st.integers(-1, len(lines) + 2), max_size=20)) + [None]
    got = anchors_for(lines, wanted)
    for n in wanted:
        if n and 0 < n <= len(lines):
            assert got[n] == anchor_for(lines, n), (lines, n)
        else:
            assert n not in got


def test_repeated_findings_hash_like_the_formula():
    from aether.diagnostics import Finding
    from aether.fingerprint import assign_fingerprints, fingerprint

    same = [Finding("AE307", f"'a{i}' is not a task", 1, 7 + i, anchor="fn:f",
                    content="await " + "x" * 5000) for i in range(5)]
    done = assign_fingerprints("p.aether", same)
    assert [f.fingerprint for f in done] == [
        fingerprint("AE307", "p.aether", "fn:f", "await " + "x" * 5000, i) for i in range(5)]
    assert len({f.fingerprint for f in done}) == 5
    # the documented formula (aether/fingerprint.py), computed independently
    import hashlib

    for i, f in enumerate(done):
        key = f"AE307|p.aether|fn:f|await {'x' * 5000}|{i}"
        assert f.fingerprint == hashlib.sha256(key.encode()).hexdigest()[:16]
