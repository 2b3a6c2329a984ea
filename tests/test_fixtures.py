"""Fixtures and examples under workflows/: the checker reports exactly what they say.

Each fixture in ``workflows/fixtures`` writes its expected findings as comments:

* ``# expect: AE301`` (or ``# expect: AE301, AE302``) at the end of the line the finding
  is reported on;
* ``# expect-next-line: AE106`` on its own line, for a finding on the line below;
* ``# expect-line: 3 AE108`` anywhere, for a finding whose line cannot carry a comment
  without changing the result (an unterminated string, the end of the file).

The set of (line, rule) pairs of the findings must equal the expectations exactly.
Fixtures that show a checker bug live in ``workflows/fixtures/known_bugs``: they state the
*correct* findings and run as strict xfails (listed with their reason in KNOWN_BUGS), so
the day the checker is fixed they fail until moved up into ``workflows/fixtures``.
Every example in ``workflows/examples`` checks clean, every rule from AE100 to AE321 has
a fixture, and every rule's ``wrong`` / ``right`` example in ``aether.codes`` behaves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aether.checker import check_text
from aether.codes import RULES
from aether.source import normalise

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "workflows" / "fixtures").glob("*.aether"))
BUG_FIXTURES = sorted((ROOT / "workflows" / "fixtures" / "known_bugs").glob("*.aether"))
EXAMPLES = sorted((ROOT / "workflows" / "examples").glob("*.aether"))
CHECKED_RULES = sorted(r for r in RULES if "AE100" <= r <= "AE321")

_EXPECT = re.compile(r"#\s*expect(?P<kind>-next-line|-line)?:\s*(?P<body>.*)$")
_RULE_ID = re.compile(r"^AE\d{3}$")

# Known checker bugs: fixture in known_bugs/ -> reason (the test is a strict xfail).
KNOWN_BUGS: dict[str, str] = {
}
# Known checker bugs in a rule's documented examples: rule id -> reason.
EXAMPLE_BUGS: dict[str, str] = {}


def read(path: Path) -> str:
    return normalise(path.read_text(encoding="utf-8"))


def expectations(text: str) -> set[tuple[int, str]]:
    """The (line, rule) pairs a fixture's expect comments announce."""
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        m = _EXPECT.search(line)
        if not m:
            continue
        body = m.group("body").strip()
        kind = m.group("kind")
        if kind == "-line":
            target, _, body = body.partition(" ")
            line_no = int(target)
        elif kind == "-next-line":
            line_no = number + 1
        else:
            line_no = number
        rules = [r.strip() for r in body.split(",") if r.strip()]
        for r in rules:
            assert _RULE_ID.match(r), f"line {number}: malformed expectation {r!r}"
        found.update((line_no, r) for r in rules)
    return found


def findings(text: str, name: str) -> set[tuple[int, str]]:
    return {(f.line, f.rule) for f in check_text(text, name).findings}


def _param(path: Path, bugs: dict[str, str]):
    reason = bugs.get(path.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(path, id=path.name, marks=marks)


# ------------------------------------------------------------------ the parser of expectations
def test_expectation_comments_are_read():
    text = ("a  # expect: AE301\n"
            "# expect-next-line: AE106, AE302\n"
            "b\n"
            "# expect-line: 9 AE108\n")
    assert expectations(text) == {(1, "AE301"), (3, "AE106"), (3, "AE302"), (9, "AE108")}


# ------------------------------------------------------------------ fixtures
def test_there_are_fixtures_and_examples():
    assert FIXTURES and EXAMPLES


@pytest.mark.parametrize("path", [_param(p, {}) for p in FIXTURES]
                         + [_param(p, KNOWN_BUGS) for p in BUG_FIXTURES])
def test_fixture_findings_equal_expectations(path):
    text = read(path)
    expected = expectations(text)
    assert expected, f"{path.name} states no expectations"
    got = findings(text, path.name)
    assert sorted(got) == sorted(expected), (
        f"missing: {sorted(expected - got)}, unexpected: {sorted(got - expected)}")


def test_known_bugs_are_listed_with_a_reason():
    assert {p.name for p in BUG_FIXTURES} == set(KNOWN_BUGS)


def test_every_rule_has_a_fixture():
    """Only fixtures the checker passes count (not the known_bugs ones)."""
    covered = {rule for p in FIXTURES for _, rule in expectations(read(p))}
    missing = [r for r in CHECKED_RULES if r not in covered]
    assert not missing, f"rules without a fixture: {missing}"


def test_every_rule_has_a_fixture_named_after_it():
    named = {p.name[:5] for p in FIXTURES}
    missing = [r for r in CHECKED_RULES if r not in named]
    assert not missing, f"rules without a <RULE>_<slug>.aether fixture: {missing}"


def test_fixture_named_after_a_rule_expects_that_rule():
    for p in FIXTURES:
        rule_id = p.name[:5]
        if _RULE_ID.match(rule_id):
            assert rule_id in RULES, p.name
            assert rule_id in {r for _, r in expectations(read(p))}, p.name


# ------------------------------------------------------------------ examples
@pytest.mark.parametrize("path", [_param(p, {}) for p in EXAMPLES])
def test_example_checks_clean(path):
    result = check_text(read(path), path.name)
    assert result.findings == [], [(f.line, f.rule, f.message) for f in result.findings]


# ------------------------------------------------------------------ the registry's examples
@pytest.mark.parametrize("rule_id", [
    pytest.param(r, id=r, marks=[pytest.mark.xfail(strict=True, reason=EXAMPLE_BUGS[r])]
                 if r in EXAMPLE_BUGS else [])
    for r in CHECKED_RULES])
def test_rule_wrong_example_triggers_and_right_example_is_clean(rule_id):
    r = RULES[rule_id]
    wrong = check_text(normalise(r.wrong), "wrong.aether")
    assert rule_id in {f.rule for f in wrong.findings}, [(f.rule, f.message)
                                                        for f in wrong.findings]
    right = check_text(normalise(r.right), "right.aether")
    assert right.findings == [], [(f.rule, f.message) for f in right.findings]


# ------------------------------------------------------------------ the examples cover the language
def _example_features() -> set[str]:
    """The constructs of Aether 1.2 the examples use, by name (see test below)."""
    from aether import ast as A
    from aether.syntax import parse

    have: set[str] = set()
    plugins: set[str] = set()
    modules = []
    for path in EXAMPLES:
        text = read(path)
        module = parse(text).module
        modules.append(module)
        for line in text.split("\n"):
            code, hash_, _ = line.partition("#")
            if hash_ and code.strip() and '"' not in code and "'" not in code:
                have.add("comment:trailing")
            if hash_ and not code.strip() and line.startswith(" "):
                have.add("comment:in-block")
            if hash_ and not code.strip() and not line.startswith(" "):
                have.add("comment:top-level")
        depth = 0
        for line in text.split("\n"):
            code = re.sub(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", "", line)
            code, hash_, _ = code.partition("#")
            depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
            if hash_ and depth > 0:
                have.add("comment:in-brackets")
        if re.search(r"\{[A-Za-z_]\w*: ", text):
            have.add("dict:bare-key")
        if re.search(r"\{\"[^\"]*\": ", text):
            have.add("dict:quoted-key")
        for s in module.body:
            if isinstance(s, A.Section) and s.name == "require":
                for e in s.body:
                    if getattr(e, "name", None) == "plugins":
                        values = (e.value.items if isinstance(e, (A.Binding, A.Assign))
                                  else [d.value for d in e.body])
                        plugins.update(re.match(r"[\w\-.]+", v.value).group(0)
                                       for v in values)
    for module in modules:
        for s in module.body:
            if isinstance(s, A.Binding) and s.name == "goal":
                have.add("goal")
        for n in A.walk(module):
            kind = type(n).__name__
            have.add(kind)
            if isinstance(n, A.Section):
                have.add("section:" + n.name)
                if n.name in ("meta", "policy", "require", "plugin_contract"):
                    have.update(f"{n.name}:{type(e).__name__}" for e in A.walk(n)
                                if isinstance(e, A.Stmt) and e is not n)
                for e in n.body:
                    if n.name == "workflow" and isinstance(e, A.Binding):
                        have.add("workflow:" + e.name)
                if n.name in ("meta", "plugin_contract"):
                    for e in n.body:
                        if isinstance(e, A.Section):
                            have.update(f"config:nested-{type(x).__name__}" for x in e.body)
            elif isinstance(n, A.Binding):
                if n.name == "memory" and isinstance(n.value, A.Call):
                    have.add("memory:call")
                if isinstance(n.type_hint, A.Index):
                    have.add("typed:" + n.type_hint.value.id)
            elif isinstance(n, A.Call):
                if n.keywords:
                    have.add("call:keywords")
                if isinstance(n.func, A.Member) and A.dotted_name(n.func) and \
                        A.dotted_name(n.func).split(".")[0] in plugins:
                    have.add("call:plugin-member")
            elif isinstance(n, A.If):
                if n.orelse and isinstance(n.orelse[0], A.If) and n.orelse[0].is_elif:
                    have.add("if:elif")
                elif n.orelse:
                    have.add("if:else")
            elif isinstance(n, A.FnDef) and any(p.default is not None for p in n.params):
                have.add("fn:default")
            elif isinstance(n, A.Return):
                have.add("return:value" if n.value is not None else "return:bare")
            elif isinstance(n, A.Try) and n.catch_name:
                have.add("try:catch-name")
            elif isinstance(n, A.AugAssign):
                have.add("aug:" + n.op)
            elif isinstance(n, A.StepOption):
                have.add("step:" + n.name + (":" + type(n.value).__name__
                                             if n.name == "timeout" else ""))
            elif isinstance(n, A.Str):
                if "\\" in n.raw:
                    have.add("str:escapes" + n.raw[0])
            elif isinstance(n, A.Int) and "_" in n.raw:
                have.add("int:underscore")
            elif isinstance(n, (A.Int, A.Float)) and n.value < 0:
                have.add("negative-number")
            elif isinstance(n, A.Duration):
                have.add("duration:" + re.sub(r"[\d_.]", "", n.raw))
            elif isinstance(n, A.Bool):
                have.add(f"bool:{n.value}")
            elif isinstance(n, A.Unary):
                have.add("unary:" + n.op)
                if n.op == "-" and isinstance(n.operand, (A.Int, A.Float)):
                    have.add("negative-number")
            elif isinstance(n, A.BinOp):
                have.add("op:" + n.op)
                if any(isinstance(x, A.BinOp) and x.op in "*/%" for x in (n.left, n.right)) \
                        and n.op in "+-":
                    have.add("precedence:arith")
            elif isinstance(n, A.Compare):
                have.add("cmp:" + n.op)
            elif isinstance(n, A.BoolOp):
                have.add("bool-op:" + n.op)
                if n.op == "or" and any(isinstance(x, A.BoolOp) for x in n.values):
                    have.add("precedence:and-in-or")
    return have


LANGUAGE_FEATURES = """
    goal section:meta section:policy section:require section:plugin_contract
    meta:Assign policy:Assign require:Assign plugin_contract:Assign
    config:nested-Binding config:nested-DashItem config:nested-Assign meta:Section
    require:Section meta:DashMap Binding typed:List typed:Dict call:keywords
    call:plugin-member If if:elif if:else For While Break Continue FnDef fn:default
    return:value return:bare try:catch-name aug:+= aug:-= section:parallel Await
    section:workflow workflow:input workflow:output workflow:requires section:steps
    step:as step:retry step:timeout:Duration step:timeout:Str step:requires
    section:on_error DashMap section:transaction DashItem memory:call
    str:escapes" str:escapes' int:underscore Float negative-number
    duration:ms duration:s duration:m duration:h bool:True bool:False Null ListExpr
    DictExpr dict:bare-key dict:quoted-key comment:trailing comment:in-block
    comment:top-level comment:in-brackets precedence:arith precedence:and-in-or
    cmp:in cmp:== cmp:!= cmp:< cmp:<= cmp:> cmp:>= unary:not unary:- bool-op:and
    bool-op:or op:+ op:- op:* op:/ op:% Member Index
""".split()


def test_examples_cover_the_language():
    missing = [f for f in LANGUAGE_FEATURES if f not in _example_features()]
    assert not missing, f"no example uses: {missing}"
