"""Hostile legacy shapes for the migrator's fast paths (chained calls continued on the next
line, with comments between the links; interpolated strings with stray braces and
escapes; commands of one string with odd quotes; plugin receivers with and without a
``require:`` block; names quoted in messages; duplicate fns): a migration never raises,
is idempotent, and a validation it derives from the M031 probe's
(``validator.validate_required``) is exactly the validation of the converted module.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from aether.migrate.engine import migrate_text
from derivations import derivations_compared

_RECEIVERS = ["p", "q", "sysmon", "items", "x"]
_STRINGS = ['"hi"', '"a {x} b"', '"{"', '"}"', '"{{x}}"', '"un {closed"', '"a}b{c"',
            '"{x:.2f}"', '"{p.f()}"', '"\\{x\\}"', '"{ }"', '"\'p\' here"', "'it\\'s'",
            '"line 3"', 'f"{x} and {y}"', 'f"{a[0]}"', '""', "''", '"a\\\\"', "'{x}'",
            '"x\\"y"', 'f"{x"', '"{1+}"']


@st.composite
def _call(draw) -> str:
    text = draw(st.sampled_from(_RECEIVERS)) + "." + draw(st.sampled_from(["f", "get", "map"]))
    text += "(" + ", ".join(draw(st.lists(st.sampled_from(_STRINGS + ["x", "ok"]),
                                          max_size=2))) + ")"
    for _ in range(draw(st.integers(0, 2))):
        link = draw(st.sampled_from([".", ".", "?."]))
        text += link + draw(st.sampled_from(["x", "then"])) + "()"
    return text


@st.composite
def _chain(draw, indent: str) -> list[str]:
    lines = [indent + draw(st.sampled_from(["", "y = ", "let z = "])) + draw(_call())]
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(indent + "  " + draw(st.sampled_from(["// between", "# between", ""])))
        lines.append(indent + "  " + draw(st.sampled_from([".", ".", "?."]))
                     + draw(st.sampled_from(["filter", "map"])) + "("
                     + draw(st.sampled_from(["", "ok", '"s"', "x => x"])) + ")"
                     + draw(st.sampled_from(["", " // kept", " # kept"])))
    return lines


@st.composite
def _statement(draw, indent: str, depth: int) -> list[str]:
    kind = draw(st.integers(0, 11 if depth < 2 else 9))
    if kind == 0:
        return draw(_chain(indent))
    if kind == 1:
        return [indent + draw(st.sampled_from(["log", "say", "think", "remember", "emit"]))
                + " " + draw(st.sampled_from(_STRINGS + ['"a\'b"', "'a\"b'", '"a" "b"']))]
    if kind == 2:
        return [indent + draw(st.sampled_from(["x", "y", "p"])) + " = "
                + draw(st.sampled_from(_STRINGS + ["1", "p", "[1, 2]"]))]
    if kind == 3:
        return [indent + draw(_call())]
    if kind == 4:
        return [indent + "plugin: " + draw(st.sampled_from(["tool action", "sysmon.status",
                                                            "p.f"]))]
    if kind == 5:
        return [indent + draw(st.sampled_from(["# note", "// note p.f()", "# {x}"]))]
    if kind == 6:
        return [indent + "fn go(a):", indent + "    " + draw(st.sampled_from(
            ["return a", "log(a)", "p.f(a)", 'p = "s"', "lgo(a)"]))]
    if kind == 7:
        return [indent + draw(st.sampled_from(["lgo(1)", "sysmn.stauts()", "y = itemz",
                                                "log(mesage=1)", "x = {a: 1, a: 2}"]))]
    if kind == 8:
        return [indent + "import " + draw(st.sampled_from(["p", "q"]))] if indent == "" \
            else [indent + "x += 1"]
    if kind == 9:
        return ["require:", '    plugins: ["q"]'] if indent == "" else [indent + "x += 1"]
    body: list[str] = []
    inner = indent + "    "
    for _ in range(draw(st.integers(1, 3))):
        body += draw(_statement(inner, depth + 1))
    if kind == 10:
        return [indent + draw(st.sampled_from(["if x:", "for i in items:"]))] + body
    return [indent + draw(st.sampled_from(["if x {", "fn go(a) {"]))] + body + [indent + "}"]


@st.composite
def _files(draw) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        lines += draw(_statement("", 0))
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


@settings(max_examples=300, deadline=None)
@given(_files(), st.booleans())
def test_hostile_chains_strings_and_receivers(text, keep):
    with derivations_compared():
        out = migrate_text(text, "input.aether", checked={} if keep else None)
    assert "internal error" not in (out.reason or "")
    if out.state == "transformed":
        again = migrate_text(out.text, "input.aether")
        assert again.state == "unchanged", (again.state, again.reason)
