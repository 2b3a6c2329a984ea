"""Properties of `aether migrate` on generated legacy files (hypothesis).

The generator mixes the legacy constructs of LANGUAGE.md section 6 (written for these
tests, not taken from the corpus) at random depths, with comments of both styles, tabs and
trailing whitespace. On every generated file: migration never raises, a failure always
has a reason, a transformed file parses as Aether 1.2 and is never worse, a second
migration changes nothing, and the number of comments is unchanged. Formatting the
result is possible and idempotent.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from aether.checker import check_text
from aether.codes import Status
from aether.fmt import format_text
from aether.migrate import migrate_text
from aether.migrate.tokens import count_comments

_NAMES = st.sampled_from(["count", "items", "report", "level", "entry"])
_TEXT = st.sampled_from(["tidy the queue", "reduce memory by 25%", "ship it", "check > 90%"])
_STR = st.sampled_from(['"alpha"', '"beta gamma"', "'delta'", '"x {count} y"'])
_COMMENT = st.sampled_from(["", "", "", "  # why", " // legacy note", "\t# tabbed"])
_TRAIL = st.sampled_from(["", "", "  ", "\t"])

# simple legacy statements: each a format string over {n} (a name) {s} (a string)
_SIMPLE = [
    "log({s})",
    "{n} = {s}",
    "let {n} = 3",
    "{n}: {s}",
    'remember({s}) as "notes"',
    'recall tag: "notes"',
    "think {s}",
    "reflect on {s}",
    "reflect on tags={s}",
    "suggest fix for {s}",
    "analyze {n} from {s}",
    "plugin: tool_{n} run {s}",
    "agent: on",
    "define {n} as 5",
    "{n}++",
    "{n}.field = {s}",
    "store({s}, tag: \"daily\")",
    "{n} = {n} > 1 ? {s} : \"none\"",
    "{n} = [1, 2].filter(x => x > 1)",
    "$var_{n} = {s}",
    "detect recurring patterns min_frequency=2",
    "wait 1s",
    "goal {s}",
    "analyze {s} suggest {s}",
    "analyze {n}.a, {n}.b, {n}.c",
    "optimize {s} for {s}",
    "learn from {s} about {s}",
    "recall category: {s}",
    "plugin tool_{n}",
    "setup {{\n  k_{n}: {{\n    v: {s}}}, w: 1}}",
]
_HEADERS = [
    ("if {n} > 1", "end"),
    ("if {n} > 1:", "end"),
    ("if {n} > 1:", None),
    ("for x in [1, 2]", "end"),
    ("while {n} < 3:", "end"),
    ("when {n}_ready:", "end"),
    ("define helper_{n}()", "end"),
    ("function work_{n}(a):", None),
    ("every 5m:", "end"),
    ("if {n} > 1 {{", "}}"),
    ("section_{n} {{", "}}"),
    ("checklist_{n}:", None),
    ("on_error:", None),
    ("workflow Flow_{n} {{", "}}"),
]
_ITEMS = ["1. step_{n}()", "- {s}", "- when Timeout", "- run {s} now"]
# a legacy on_error list of steps (M040) and, now and then, a rule among them
_ERROR_ITEMS = ["- log({s})", "- notify(team={s})", "- log: {s}", '- action: "page_{n}"',
                "- when: Timeout"]


@st.composite
def _simple(draw, indent: str) -> list[str]:
    tpl = draw(st.sampled_from(_SIMPLE))
    line = tpl.format(n=draw(_NAMES), s=draw(_STR))
    return [indent + line + draw(_COMMENT) + draw(_TRAIL)]


@st.composite
def _block(draw, indent: str, depth: int) -> list[str]:
    head, closer = draw(st.sampled_from(_HEADERS))
    n = draw(_NAMES)
    body_indent = indent + draw(st.sampled_from(["    ", "  ", "\t"]))
    lines = [indent + head.format(n=n) + draw(_COMMENT)]
    if head.startswith(("checklist", "on_error")):
        pool = _ERROR_ITEMS if head.startswith("on_error") else _ITEMS
        for _ in range(draw(st.integers(1, 3))):
            item = draw(st.sampled_from(pool)).format(n=draw(_NAMES), s=draw(_STR))
            lines.append(body_indent + item + draw(_COMMENT) + draw(_TRAIL))
        return lines
    for _ in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.booleans()) and not closer == "}":
            lines += draw(_block(body_indent, depth + 1))
        else:
            lines += draw(_simple(body_indent))
    if closer:
        lines.append(indent + closer.format())
    return lines


@st.composite
def legacy_files(draw) -> str:
    lines = []
    if draw(st.booleans()):
        lines.append("# generated legacy workflow")
    first = draw(st.sampled_from(["intent", "goal", "none"]))
    if first == "intent":
        lines.append(f'intent: "{draw(_TEXT)}"')
    elif first == "goal":
        lines.append(f"goal: {draw(_TEXT)} priority: high")
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            lines += draw(_block("", 0))
        else:
            lines += draw(_simple(""))
    return "\n".join(lines) + "\n"


@st.composite
def brace_plugins(draw) -> str:
    name = draw(_NAMES)
    body = ["    on_run {", "        let total = 0"]
    for _ in range(draw(st.integers(1, 4))):
        body.append("        " + draw(st.sampled_from([
            'log "total is {total}"',
            "total = total + 1  // count",
            "let xs = [1, 2].map(v => v * 2)",
            "if total > 2 { log(\"big\") } ",
            "call helpers/math.round(total)",
            "state.seen += 1",
        ])))
    body.append("    }")
    return "\n".join([f"plugin {name} {{", '    description: "generated plugin"',
                      "    tags: [a, b]", *body, "}"]) + "\n"


def _validation_visible(outcome) -> None:
    after = check_text(outcome.text, "f.aether")
    assert not [f for f in after.findings if f.status == Status.PARSE_ERROR]
    valid = sum(1 for f in after.findings if f.status == Status.VALIDATION_ERROR)
    assert valid - outcome.newly_visible <= outcome.before["validation_findings"]


def _check_properties(text: str) -> None:
    out = migrate_text(text, "gen.aether")
    assert out.state in ("transformed", "unchanged", "failed")
    if out.state == "failed":
        assert out.reason
        return
    if out.state == "unchanged":
        return
    _validation_visible(out)
    again = migrate_text(out.text, "gen.aether")
    assert again.state == "unchanged", again.reason
    assert count_comments(out.text) == count_comments(text)
    formatted = format_text(out.text).text
    assert format_text(formatted).text == formatted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(legacy_files())
def test_migrate_properties_on_line_dialects(text):
    _check_properties(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(brace_plugins())
def test_migrate_properties_on_brace_plugins(text):
    _check_properties(text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab :=(){}[]\"'#/\n\t-.,1>+!?|&$%_ife")),
               max_size=80))
def test_migrate_never_raises_on_noise(text):
    out = migrate_text(text, "noise.aether")
    assert out.state in ("transformed", "unchanged", "failed")
    if out.state == "failed":
        assert out.reason
    if out.state == "transformed":
        _validation_visible(out)
        assert migrate_text(out.text).state == "unchanged"
        assert count_comments(out.text) == count_comments(text)
