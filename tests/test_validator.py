"""Semantic checks (LANGUAGE.md section 4): names, calls, arity, sections, policy, require."""

from __future__ import annotations

import pytest

from aether.checker import CheckOptions, RuleFilter, check_text
from aether.semantics.catalogue import Signature, load_catalogue

G = 'goal: "test"\n'


def rules(src: str, with_goal: bool = True) -> list[tuple[str, int]]:
    result = check_text((G if with_goal else "") + src, "t.aether")
    return [(f.rule, f.line) for f in result.findings]


def only(src: str) -> set[str]:
    return {r for r, _ in rules(src)}


def test_reference_example_checks_clean():
    from pathlib import Path

    text = Path(__file__).resolve().parent.parent.joinpath("..", "shared", "LANGUAGE.md")
    if not text.exists():
        pytest.skip("shared/LANGUAGE.md not beside the checkout")
    doc = text.read_text(encoding="utf-8")
    example = doc.split("```aether\n", 1)[1].split("```", 1)[0]
    assert check_text(example, "ref.aether").findings == []


@pytest.mark.parametrize("src", [
    "summarise(1)\n",             # standalone call
    "x: summarise(1)\n",          # in a binding
    "memory: summarise(1)\n",     # memory call
    "workflow:\n    steps:\n        - summarise(1)\n",   # workflow step
    "on_error:\n    - when: Timeout\n      do: summarise(1)\n",  # on_error action
])
def test_unknown_function_everywhere(src):
    result = check_text(G + src, "t.aether")
    (f,) = [f for f in result.findings if f.rule == "AE301"]
    assert "summarise" in f.message and f.hint == "did you mean 'summarize'?"


def test_fn_and_plugin_members_resolve():
    src = ('require:\n    plugins:\n        - "detector>=1,<2"\n'
           "fn helper(x):\n    return x\n"
           "a: helper(1)\nb: detector.scan(a)\n")
    assert rules(src) == []


def test_unlisted_plugin_member_is_unknown():
    assert ("AE301", 2) in rules("x: detector.scan(1)\n")


def test_unbound_names_and_order():
    assert ("AE302", 2) in rules("log(total)\ntotal: 1\n")
    assert rules("total: 1\nlog(total)\n") == []
    assert rules("for i in [1]:\n    log(i)\n") == []
    assert rules("try:\n    log(1)\ncatch e:\n    log(e)\n") == []


def test_fn_body_sees_later_globals_and_params():
    assert rules("fn f(a):\n    return a + later\nlater: 1\n") == []


def test_arity_and_keywords():
    assert only("len(1, 2)\n") == {"AE303"}
    assert only("len()\n") == {"AE303"}
    assert only('store("x", label="y")\n') == {"AE304"}
    assert only('store("x", value="y")\n') == {"AE304"}
    assert only("fn f(a, b=1):\n    return a\nf()\n") == {"AE303"}
    assert rules("fn f(a, b=1):\n    return a\nf(1, b=2)\n") == []


def test_signature_rules():
    sig = Signature.parse(["a", "b?", "*rest"])
    assert sig.check(5, []) is None
    assert sig.check(0, [])[0] == "AE303"
    assert Signature.parse(["a", "**kw"]).check(1, ["anything"]) is None


def test_loop_control_return_await():
    assert only("break\n") == {"AE305"}
    assert only("fn f():\n    while true:\n        break\n    return 1\n") == set()
    assert only("while true:\n    fn g():\n        break\n") == {"AE305"}
    assert only("return 1\n") == {"AE306"}
    assert only("x: 1\nawait x\n") == {"AE307"}
    assert only("parallel:\n    a: summarize(\"x\")\nawait a\n") == set()


def test_policy_keys_and_values():
    assert only("policy:\n    risk_budjet: 0.1\n") == {"AE308"}
    assert only("policy:\n    risk_budget: 1.5\n") == {"AE309"}
    assert only("policy:\n    risk_budget: -0.1\n") == {"AE309"}
    assert only("policy:\n    deterministic: \"yes\"\n") == {"AE309"}
    assert only('policy:\n    request_timeout: "30 seconds"\n') == {"AE310"}
    assert only('policy:\n    request_timeout: "30s"\n    seed = 3\n') == set()
    assert only('policy:\n    data_class: "secret"\n') == {"AE309"}


def test_require_entries():
    assert only('require:\n    plugins:\n        - "x>>1"\n') == {"AE311"}
    assert only('require:\n    capabilities: ["Storage Write"]\n') == {"AE311"}
    assert only('require:\n    plugins: ["a==1.2.1", "b"]\n    capabilities: ["a.b"]\n') == set()


def test_missing_goal_and_goal_shape():
    assert ("AE312", 1) in rules("log(1)\n", with_goal=False)
    assert only_no_goal("goal: 42\n") == {"AE318"}


def only_no_goal(src):
    return {r for r, _ in rules(src, with_goal=False)}


def test_duplicate_fn_type_hint_sections():
    assert only("fn a():\n    return 1\nfn a():\n    return 2\n") == {"AE313"}
    assert only("x: 1 + 2 = 3\n") == {"AE314"}
    assert only("x: Dict[Str, Int] = {}\n") == set()
    assert only("schedule:\n    every: 5\n") == {"AE315"}


def test_steps_options_and_on_error():
    base = "workflow:\n    steps:\n        - summarize(\"a\") "
    assert only(base + "retry=-1\n") == {"AE316"}
    assert only(base + "retry=1 retry=2\n") == {"AE316"}
    assert only(base + "timeout=\"soon\"\n") == {"AE310"}
    assert only(base + "as s timeout=\"30s\" requires=[\"a.b\"]\nlog(s)\n") == set()
    assert only("on_error:\n    - when: Timeout\n") == {"AE317"}
    assert only("on_error:\n    - when: Timout\n      do: log(1)\n") == {"AE320"}


def test_config_blocks_take_literals_and_no_duplicates():
    assert only("meta:\n    owner: ops\n") == {"AE318"}
    assert only('meta:\n    a: "x"\n    a: "y"\n') == {"AE321"}
    assert only('x: {a: 1, a: 2}\n') == {"AE321"}
    assert only("total = 5\n") == {"AE204"}


def test_methods_on_bound_values():
    assert only("xs: [1]\nxs.append(2)\n") == set()
    assert only("xs: [1]\nxs.explode(2)\n") == {"AE301"}


def test_all_findings_of_a_file_come_together():
    found = rules("summarise(1)\nlog(nope)\nbreak\nreturn 1\n")
    assert {r for r, _ in found} == {"AE301", "AE302", "AE305", "AE306"}


def test_unbound_names_not_reported_after_a_syntax_error():
    found = only("x: (\nlog(after_error)\n")
    assert "AE302" not in found and found & {"AE100", "AE102", "AE111"}


def test_select_and_ignore():
    src = G + "summarise(1)\nlog(nope)\n"
    opts = CheckOptions(rules=RuleFilter.make(["AE301"]))
    assert {f.rule for f in check_text(src, "t", opts).findings} == {"AE301"}
    opts = CheckOptions(rules=RuleFilter.make(None, ["AE3"]))
    assert check_text(src, "t", opts).findings == []
    opts = CheckOptions(rules=RuleFilter.make(["AE301"], ["AE3"]))
    assert {f.rule for f in check_text(src, "t", opts).findings} == {"AE301"}
    opts = CheckOptions(rules=RuleFilter.make(None, ["unknown-function"]))
    assert {f.rule for f in check_text(src, "t", opts).findings} == {"AE302"}
    # syntax errors cannot be ignored away
    opts = CheckOptions(rules=RuleFilter.make(None, ["AE1"]))
    assert check_text(G + "x: (\n", "t", opts).findings


def test_catalogue_has_the_reference_builtins():
    names = set(load_catalogue().builtins)
    for required in ("reflect summarize load_logs store detect_anomalies escalate_to run_plugin "
                     "evaluate_confidence self_heal narrate load_feature_index available_plugins "
                     "check_confidence trace log metrics recall len").split():
        assert required in names


def test_parameters_after_varargs_are_keyword_only():
    sig = Signature.parse(["message", "*rest", "level?"])
    assert sig.check(3, ["level"]) is None  # extra positionals go to *rest
    assert only('log("a", 1, 2, level="warn")\n') == set()
    assert only('log()\n') == {"AE303"}


# ---------------------------------------------------------------- on_error rules, recovery
ON_ERROR_LINES = ["do: log(1)", "when: Timeout", "when: Timout", "do: 1", "log(1)",
                  "seed = 1", "note: Str = 1", "do: log(1 +)", "when: $", "sub:\n          a: 1",
                  "fn f():\n          return 1"]


def test_on_error_rule_shapes():
    rule = "on_error:\n    - when: Timeout\n"
    assert only(rule + "      log(1)\n") == {"AE317"}
    assert only(rule + "      do: log(1)\n      do: log(2)\n") == {"AE317"}
    assert only(rule + "      do: Call = log(1)\n") == {"AE317"}
    assert only(rule + "      sub:\n          a: 1\n") == {"AE317"}
    # a syntax error in place of the `do:` line: the rule is not also "missing its do"
    assert only(rule + "      do: log(1 +)\n") == {"AE100"}
    # ... but what is left of the rule is still checked
    assert only("on_error:\n    - when: Timout\n      do: log(1 +)\n") == {"AE100", "AE320"}
    assert only(rule + "      do: log(1 +)\n      do: log(2)\n") == {"AE100"}
    assert only(rule + "      do: log(1 +)\n      when: Timeout\n") == {"AE100", "AE317"}


@pytest.mark.parametrize("src", [
    "meta:\n    owner:\n        team: 1 $ 2\n",
    "meta:\n    owner:\n        deep:\n            team: 1 $ 2\n",
    'meta:\n    people:\n        - name: "a"\n          team: 1 $ 2\n',
    "require:\n    plugins:\n        - \"a>=1\" $\n",
    "workflow:\n    steps:\n        - summarize(1 +)\n",
    "transaction:\n    - store(1 +)\n",
    "parallel:\n    a: summarize(1 +)\n",
    "on_error:\n    - when: Timeout\n      do: log(1 +)\n",
    "fn f():\n    return (1 +)\n",
])
def test_recovery_placeholder_is_no_entry_at_any_depth(src):
    found = only(src)
    assert found and all(r < "AE200" for r in found), found


def test_on_error_content_never_crashes():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=150, deadline=None, database=None)
    @hypothesis.given(st.lists(st.sampled_from(ON_ERROR_LINES), max_size=4),
                      st.sampled_from(["when: Timeout", "do: log(1)", "x: 1"]))
    def prop(lines, first):
        src = "on_error:\n    - " + first + "\n" + "".join(f"      {x}\n" for x in lines)
        found = rules(src)
        assert not any(r == "AE999" for r, _ in found), (src, found)
        if lines and first == "when: Timeout" and lines[0] == "do: log(1)" and len(lines) == 1:
            assert found == []

    prop()


def test_config_dash_list_entries_are_checked_like_blocks():
    base = 'meta:\n    people:\n        - name: "a"\n'
    assert rules(base + "          team: 3\n") == []
    assert rules(base + "          team: load_logs()\n") == [("AE318", 5)]
    assert rules(base + "          log(1)\n") == [("AE318", 5)]
    assert rules(base + "          note: Str = 1\n") == [("AE318", 5)]
    assert rules(base + '          name: "b"\n') == [("AE321", 5)]
    assert rules(base + "          limits:\n              daily: log(1)\n") == [("AE318", 6)]
    assert rules(base + "          limits:\n              - log(1)\n") == [("AE318", 6)]
    assert rules(base + "        - name: load_logs()\n") == [("AE318", 5)]
    # the same key in two entries of the list is no duplicate
    assert rules(base + '        - name: "b"\n') == []
    msg = [f.message for f in check_text(G + base + '          name: "b"\n', "t").findings]
    assert msg == ["'name' is given twice in this `- name: ...` entry of `people:` "
                   "(first at line 4)"]


def test_fn_body_sees_names_sections_bind_and_not_their_keys():
    sections = ("workflow:\n    input: \"q\"\n    steps:\n        - parse_input as parsed\n"
                "parallel:\n    task: summarize(\"a\")\n"
                "on_error:\n    - when: Timeout\n      do: log(1)\n"
                "meta:\n    owner: \"ops\"\n")
    fn = "fn f():\n    log({})\n    return 1\n"
    for name in ("parsed", "task"):
        assert rules(fn.format(name) + sections) == [], name
    for name in ("input", "steps", "when", "do", "owner", "meta", "workflow"):
        assert rules(fn.format(name) + sections) == [("AE302", 3)], name
    # a typed `parallel:` entry is AE318 and binds nothing, in a fn as at the top level
    assert rules("parallel:\n    t: Int = summarize(\"a\")\nfn g():\n    return t\n") == [
        ("AE318", 3), ("AE302", 5)]


def test_keyword_given_twice_is_ae304_on_the_second_keyword():
    assert rules('store("x", tag="a", tag="b")\n') == [("AE304", 2)]
    assert rules('store("x",\n      tag="a",\n      tag="b")\n') == [("AE304", 4)]
    assert rules("fn f(a, b=1):\n    return a\nf(1, b=2, b=3)\n") == [("AE304", 4)]
    src = 'require:\n    plugins: ["det"]\ndet.scan(1, k=1, k=2, k=3)\n'
    assert rules(src) == [("AE304", 4), ("AE304", 4)]
    # not a syntax error: the rest of the file is still checked, unbound names included
    assert rules('store("x", tag="a", tag="b")\nlog(nope)\n') == [("AE304", 2), ("AE302", 3)]
    (f,) = check_text(G + 'store("x", tag="a", tag="b")\n', "t").findings
    assert f.message == "keyword argument 'tag' is given twice" and f.column == 21


@pytest.mark.parametrize("text, ok", [
    ("30s", True), ("1_500ms", True), ("1.5h", True), (" 30s", False), ("30s ", False),
    ("30s\\n", False), ("\\t2m", False), ("30 s", False), ("30S", False), ("1m30s", False),
])
def test_quoted_durations_are_one_token(text, ok):
    expected = set() if ok else {"AE310"}
    assert only(f'policy:\n    request_timeout: "{text}"\n') == expected
    assert only(f'workflow:\n    steps:\n        - summarize(1) timeout="{text}"\n') == expected


def test_unknown_keyword_points_at_the_argument_with_a_suggestion():
    (f,) = check_text('goal: "g"\nstore(1, tga="x")\n', "w.aether").findings
    assert (f.rule, f.line, f.column, f.end_column) == ("AE304", 2, 10, 17)
    assert f.hint == "did you mean 'tag'?"
    (f,) = check_text('goal: "g"\nstore(1, colour="x")\n', "w.aether").findings
    assert f.rule == "AE304" and f.hint is None  # nothing close: no guess


@pytest.mark.parametrize("name, candidates, expected", [
    ("X", ["x", "y"], "x"),  # another case: difflib scores single letters 0
    ("tga", ["tag", "ttl", "value"], "tag"),  # neighbours swapped
    ("summarise", ["summarize"], "summarize"),  # difflib
    ("zzz", ["tag", "x"], None),
    ("tag", ["tag"], None),  # the name itself is no suggestion
])
def test_suggestions(name, candidates, expected):
    from aether.semantics.validator import _suggest

    assert _suggest(name, candidates) == (f"did you mean '{expected}'?" if expected else "")


def test_suggest_takes_a_topic_and_context_values():
    # widened on the evidence of the real corpus: the legacy `suggest fix for "x"` command
    # form passes 2-3 values; a call without a topic is still wrong
    rules = lambda t: [f.rule for f in check_text(t, "x.aether").findings]  # noqa: E731
    assert rules('goal: "g"\nc: "db"\nsuggest("fix for", c + " errors", "now")\n') == []
    assert rules('goal: "g"\nsuggest()\n') == ["AE303"]


# ---------------------------------------------------------------- update targets

def test_update_targets_of_bound_names_check_clean():
    assert rules('s: {results: {}}\nd: 1\ns.results["discovery"]: d\ns.count: 0\n'
                 's.count += 1\ns["count"] -= 1\n') == []


@pytest.mark.parametrize("src, expected", [
    ('s.results["k"]: 1\n', [("AE302", 2)]),          # the root must be bound
    ('counts["k"] += 1\n', [("AE302", 2)]),
    ("log.level: 1\n", [("AE302", 2)]),               # a function is not a value
    ("m: {}\nm[key]: 1\n", [("AE302", 3)]),           # index expressions are checked
    ("m: {}\nm[summarise(1)]: 1\n", [("AE301", 3)]),
    ("m: {}\nm.x: nope\n", [("AE302", 3)]),           # and so is the value
    ("m: {}\nm.x: Int = 1\n", [("AE314", 3)]),        # no type hint on an update target
])
def test_update_target_findings(src, expected):
    assert rules(src) == expected


def test_unbound_root_points_at_the_root_with_a_suggestion():
    result = check_text(G + "counts: {}\ncount[\"k\"] += 1\n", "t.aether")
    (f,) = result.findings
    assert (f.rule, f.line, f.column, f.end_column) == ("AE302", 3, 1, 6)
    assert "counts" in (f.hint or "")


def test_update_target_binds_no_new_name():
    # a plain binding later in the block does not make an earlier update's root bound
    assert rules("a.b: 1\na: {}\n") == [("AE302", 2)]
    # in a fn, the root must be a parameter, a global or bound in the body
    assert rules("fn f():\n    q.x: 1\n    return q\n") == [("AE302", 3), ("AE302", 4)]
    assert rules("q: {}\nfn f(p):\n    q.x: 1\n    p.y: 2\n    return p\n") == []
    # `goal.x: ...` is not the goal
    assert ("AE312", 1) in rules('goal.x: "a"\n', with_goal=False)


def test_update_target_is_no_entry_of_a_section():
    assert rules("policy:\n    risk.budget: 0.1\n") == [("AE318", 3)]
    assert rules('meta:\n    owner: "a"\n    tags:\n        t.x: 1\n') == [("AE318", 5)]
    assert rules("parallel:\n    t.x: summarize(\"a\")\n") == [("AE318", 3)]


def test_generated_builtin_catalogue_is_fresh():
    """aether/semantics/_builtins.py was made from the current stdlib/*.json (after editing
    or merging builtins.json, run tools/build_catalogue.py)."""
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "build_catalogue.py"
    proc = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_builtin_catalogue_holds_what_the_json_says():
    from aether.semantics import _builtins
    from aether.semantics.catalogue import catalogue_data_from_json

    digest, data = catalogue_data_from_json()
    assert (_builtins.DIGEST, _builtins.BUILTINS, _builtins.METHODS, _builtins.ERROR_KINDS,
            _builtins.POLICY) == (digest, data["builtins"], data["methods"],
                                  data["error_kinds"], data["policy"])


def test_stale_generated_catalogue_is_not_used(monkeypatch):
    """When the JSON changed after generation the JSON wins (same catalogue as before)."""
    from aether.semantics import _builtins

    fresh = load_catalogue()
    monkeypatch.setattr(_builtins, "DIGEST", "0" * 64)
    monkeypatch.setattr(_builtins, "BUILTINS", {})
    from_json = load_catalogue.__wrapped__()
    assert from_json == fresh and "log" in from_json.builtins


@pytest.mark.parametrize("src, flagged", [
    ('xs: [1, 2]\nxs.explode(2)\n', True),                     # a list: value methods only
    ('s: "a"\ns.shout()\n', True),
    ('fn f(p):\n    p.health_check()\nf(1)\n', False),          # a parameter: any object
    ('for a in [1]:\n    a.ping()\n', False),                   # a loop variable
    ('r: run_plugin("x.y")\nr.status()\n', False),              # a tool's result
    ('x: [1]\nx: run_plugin("x.y")\nx.status()\n', False),      # bound to both
    ('try:\n    log(1)\ncatch e:\n    e.retry()\n', False),     # a catch name
])
def test_unknown_methods_only_on_values_of_a_known_type(src, flagged):
    # the value methods are all a string, number, list or map has; a value of unknown
    # type (a parameter, loop variable, catch name, a call's result) may be a host object
    found = rules(G + src)
    assert (any(r == "AE301" for r, _ in found)) == flagged, found


def test_reflect_takes_a_topic_or_a_tag():
    # widened on the evidence of the real corpus: every keyword use of the legacy `reflect`
    # command names the tags of the memories to reflect on (`reflect on tags="ai"`)
    rules = lambda t: [f.rule for f in check_text(t, "x.aether").findings]  # noqa: E731
    assert rules('goal: "g"\nreflect(tag="ai,programming")\nreflect("week")\nreflect()\n') == []
    assert rules('goal: "g"\nreflect(tags="ai")\n') == ["AE304"]


# ---------------------------------------------------------------- validator cost (issue 15)

def _many_names_program(n: int, extra: str = "") -> str:
    lines = [f"value_{i}: {i}" for i in range(n)]
    lines += ["fn helper(a, b=2):", "    total: a + b", "    return total",
              "log(helper(value_0))"]
    return G + "\n".join(lines) + "\n" + extra


def test_clean_file_builds_no_suggestion_index(monkeypatch):
    # the did-you-mean index was filed for every file, even when no finding needs it
    import aether.semantics.validator as V
    from aether.syntax import parse

    built = []

    class Spy(V.NameIndex):
        def __init__(self, *a, **k):
            built.append(1)
            super().__init__(*a, **k)

    monkeypatch.setattr(V, "NameIndex", Spy)
    assert V.validate(parse(_many_names_program(300)).module) == []
    assert built == []
    findings = V.validate(parse(_many_names_program(300, "log(value_299x)\n")).module)
    # (which near name a pool this large offers depends on the order of a set of names:
    # test_lazy_index_suggests_as_an_index_filed_up_front compares with an eager index)
    assert [f.hint[:20] for f in findings] == ["did you mean 'value_"]
    assert built == [1]


def test_lazy_index_suggests_as_an_index_filed_up_front():
    # the index is filed when a suggestion needs it, with the names queued until then:
    # every suggestion must be the one an index filled at each update would give
    import aether.semantics.validator as V
    from aether.semantics.suggest import NameIndex
    from aether.syntax import parse

    src = _many_names_program(400, "".join(
        f"fn f{k}(p{k}):\n    q_{k}: p{k}\n    log(q_{k + 1}, value_{k}9x, valeu_{k})\n"
        for k in range(30)))
    module = parse(src).module

    class EagerIndex(NameIndex):
        # filed at each update, a set (or a fn's names) in sorted order as the lazy
        # index files it (a set's own order follows the hash seed)
        def update(self, names):
            super().update(sorted(names) if isinstance(names, (set, frozenset, V._FnNames))
                           else names)

    class Eager(V.Validator):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.names = EagerIndex(self.cat.functions)

    lazy = [(f.message, f.hint) for f in V.Validator().validate(module)]
    eager = [(f.message, f.hint) for f in Eager().validate(module)]
    assert lazy == eager
    assert sum(1 for _, h in lazy if h) >= 30


def test_validator_does_not_walk_expressions_for_binding_kinds(monkeypatch):
    # the names bound only to literals were found by a second walk over every node of
    # the tree; the statements the validator visits anyway are enough
    import aether.ast as A
    import aether.semantics.validator as V
    from aether.syntax import parse

    def no_walk(node):
        raise AssertionError("a whole-tree walk")

    monkeypatch.setattr(A, "walk", no_walk)
    src = G + 'text: "a"\nfor x in [1]:\n    n: x\nlog(text.lower(), n.lower())\n' \
        'fn f(p):\n    return p.frob()\nnum: 1\nlog(num.frob())\n'
    findings = V.validate(parse(src).module)
    assert [f.message for f in findings] == ["unknown method 'frob' on 'num'"]


def test_nested_fn_reads_the_enclosing_fns_names():
    """A nested fn is a closure (docs/runtime.md): a name the enclosing fn binds (its
    parameters or bindings, at any depth of fns) is bound in the nested fn, as the runtime
    reads it; a name nobody binds, or a local of an unrelated fn, is still AE302."""
    nested = ("fn a(x):\n    y: 1\n    fn b(z):\n        fn c():\n            return x + y + z\n"
              "        return c()\n    return b(2)\nr: a(1)\n")
    assert rules(nested) == []
    assert rules("fn a(x):\n    fn b():\n        return w\n    return b()\nr: a(1)\n") == [
        ("AE302", 4)]
    assert rules("fn a(x):\n    return x\nfn b():\n    return x\nr: b()\n") == [("AE302", 5)]
