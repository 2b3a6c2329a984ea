"""Properties of the parser and checker: no input crashes them, valid programs parse cleanly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether import ast as A
from aether.checker import check_text
from aether.source import decode_source
from aether.syntax import parse

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Text that looks like Aether often enough to reach deep parser states.
FRAGMENTS = ["goal", ":", " ", "\n", "    ", "\t", "(", ")", "[", "]", "{", "}", ",", "=",
             "-", "+=", '"x"', "'y'", "1", "2.5", "30s", "if", "else", "elif", "for", "in",
             "while", "fn", "return", "try", "catch", "await", "not", "and", "or", "true",
             "null", "as", "workflow", "steps", "policy", "meta", "#c", "log", "x", ".", "\r\n",
             "\ufeff", "\0", "end", "intent", "plugin", "{{", "$", "é", "\u2028"]


@SETTINGS
@given(st.text())
def test_arbitrary_text_never_crashes(text):
    result = parse(text)
    assert isinstance(result.module, A.Module)
    checked = check_text(text, "fuzz.aether")
    assert not any(f.rule == "AE999" for f in checked.findings)


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_aether_like_text_never_crashes(text):
    checked = check_text(text, "fuzz.aether")
    assert not any(f.rule == "AE999" for f in checked.findings)
    for f in checked.findings:
        assert f.line is None or f.line >= 1
        assert f.fingerprint and f.legacy_fingerprint


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_end_in_a_coded_result(data):
    decoded = decode_source(data)
    if decoded.error is not None:
        assert decoded.error.rule in {"AE004", "AE005", "AE006"}
    else:
        assert not any(f.rule == "AE999" for f in check_text(decoded.text, "b").findings)


# ---------------------------------------------------------------- valid programs

NAMES = st.sampled_from(["alpha", "beta", "gamma", "delta", "items", "report"])
LITERALS = st.one_of(
    st.integers(-10_000, 10_000).map(str),
    st.floats(0, 1000, allow_nan=False).map(lambda f: f"{f:.3f}"),
    st.sampled_from(['"text"', "'quoted \\n'", "250ms", "1.5s", "2m", "1h", "true", "false",
                     "null", "[1, 2]", '{key: 1, "other": 2}', "1_000"]),
)


@st.composite
def expressions(draw, bound, depth=0):
    choice = draw(st.integers(0, 6 if depth < 3 else 1))
    if choice == 0 or not bound:
        return draw(LITERALS)
    if choice == 1:
        return draw(st.sampled_from(sorted(bound)))
    sub = expressions(bound, depth + 1)
    if choice == 2:
        op = draw(st.sampled_from(["+", "-", "*", "/", "%"]))
        return f"({draw(sub)} {op} {draw(sub)})"
    if choice == 3:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in"]))
        return f"({draw(sub)} {op} {draw(sub)})"
    if choice == 4:
        return f"(not {draw(sub)} {draw(st.sampled_from(['and', 'or']))} {draw(sub)})"
    if choice == 5:
        return f"len({draw(sub)})"
    return f'summarize({draw(sub)}, max_words={draw(st.integers(1, 99))})'


@st.composite
def programs(draw):
    bound: set[str] = set()
    lines = ['goal: "generated"']
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.integers(0, 6))
        if kind == 0:
            name = draw(NAMES)
            lines.append(f"{name}: {draw(expressions(bound))}")
            bound.add(name)
        elif kind == 1:
            lines.append(f"if {draw(expressions(bound))}:")
            lines.append(f"    log({draw(expressions(bound))})")
            lines.append("else:")
            lines.append("    narrate(\"no\")")
        elif kind == 2:
            lines.append("for row in [1, 2, 3]:")
            lines.append("    if row > 1:")
            lines.append("        break")
            lines.append("    log(row)")
            bound.add("row")
        elif kind == 3 and "total" not in bound:
            lines.append("fn twice(v, times=2):")
            lines.append("    return v * times")
            lines.append(f"total: twice({draw(expressions(bound))})")
            bound.add("total")
        elif kind == 4:
            lines.append("policy:")
            lines.append(f"    risk_budget: {draw(st.floats(0, 1)):.2f}")
            timeout = draw(st.sampled_from(["30s", '"2m"']))
            lines.append(f"    request_timeout: {timeout}")
        elif kind == 5:
            lines.append("workflow:")
            lines.append("    steps:")
            lines.append("        - parse_input as parsed retry=1 timeout=5s")
            lines.append("        - publish(parsed, target=\"wiki\") requires=[\"net.write\"]")
        elif kind == 6:
            lines.append("try:")
            lines.append(f"    store({draw(expressions(bound))}, tag=\"t\")")
            lines.append("catch problem:")
            lines.append("    escalate_to(\"ops\", message=\"failed\")")
        if draw(st.booleans()):
            lines.append(f"# comment {draw(st.integers(0, 9))}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@SETTINGS
@given(programs())
def test_generated_programs_parse_and_check_clean(src):
    result = parse(src)
    assert result.errors == []
    n_lines = src.count("\n") + 1
    for node in A.walk(result.module):
        assert 1 <= node.line <= node.end_line <= n_lines
        if node.line == node.end_line:
            assert node.column <= node.end_column
    assert check_text(src, "gen.aether").findings == []


@SETTINGS
@given(programs(), st.sampled_from(["\r\n", "\n"]), st.booleans())
def test_newline_style_and_bom_do_not_change_the_tree(src, newline, bom):
    variant = ("\ufeff" if bom else "") + src.replace("\n", newline)
    assert parse(variant).module == parse(src).module


def test_deep_nesting_is_a_parse_error_not_a_crash():
    for text in ("x: " + "[" * 10000 + "]" * 10000 + "\n",
                 "x: " + "(" * 10000 + "1" + ")" * 10000 + "\n",
                 "".join(" " * i + "if x:\n" for i in range(10000))):
        found = {f.rule for f in check_text('goal: "g"\n' + text, "deep").findings}
        assert "AE110" in found
