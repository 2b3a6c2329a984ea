"""`aether fmt`: the canonical layout, comments kept, same AST, idempotent; CLI and files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from aether.fmt import FormatError, ast_shape, format_file, format_text
from aether.migrate.tokens import count_comments
from aether.syntax import parse

MESSY = '''

# header comment
goal:   'Generate the daily digest'
meta:
  version : "1.2"


  author: 'ops'   # trailing
require:
    plugins:
        - "anomaly_detector>=0.3,<0.5"
    capabilities: ["memory.read",   "storage.write"]
trace( level = "debug" )
parallel:
    sys_sum: summarize(load_logs(tag="system"))
await sys_sum
flags: List[Anomaly] = detect_anomalies(sys_sum)
if flags:

    escalate_to("oncall")
    # inside if
elif sys_sum and not (x>-1):
        narrate('say "hi"' )
else:
    store(sys_sum, tag="normal_day")
workflow:
    steps:
        - parse_input as parsed
        - generate_report(parsed) as report retry = 2 timeout=30s
on_error:
  - when: Timeout
    do: escalate_to("Lyrixa")
transaction:
    - metrics({"coherence": 0.97,
        # comment in dict
        "contradictions": len(flags)   # trailing in dict
      })
x: -1 - -2
fn f(a, b=1):
    return a*b
# end comment
'''

EXPECTED = '''# header comment
goal: "Generate the daily digest"
meta:
    version: "1.2"

    author: "ops"  # trailing
require:
    plugins:
        - "anomaly_detector>=0.3,<0.5"
    capabilities: ["memory.read", "storage.write"]
trace(level="debug")
parallel:
    sys_sum: summarize(load_logs(tag="system"))
await sys_sum
flags: List[Anomaly] = detect_anomalies(sys_sum)
if flags:
    escalate_to("oncall")
    # inside if
elif sys_sum and not (x > -1):
    narrate('say "hi"')
else:
    store(sys_sum, tag="normal_day")
workflow:
    steps:
        - parse_input as parsed
        - generate_report(parsed) as report retry=2 timeout=30s
on_error:
    - when: Timeout
      do: escalate_to("Lyrixa")
transaction:
    - metrics({"coherence": 0.97,
        # comment in dict
        "contradictions": len(flags)  # trailing in dict
    })
x: -1 - -2
fn f(a, b=1):
    return a * b
# end comment
'''


def test_canonical_layout():
    out = format_text(MESSY)
    assert out.text == EXPECTED
    assert out.changed
    assert format_text(EXPECTED).text == EXPECTED
    assert not format_text(EXPECTED).changed


def test_same_ast_and_comments():
    out = format_text(MESSY).text
    assert ast_shape(parse(out).module) == ast_shape(parse(MESSY).module)
    assert count_comments(out) == count_comments(MESSY)


def test_tabs_are_expanded():
    assert format_text('goal: "x"\nif true:\n\tlog("a")\n').text == \
        'goal: "x"\nif true:\n    log("a")\n'


def test_comment_levels_follow_blocks():
    text = 'if a:\n    if b:\n        log(1)\n        # deep\n    # middle\n# top\nlog(2)\n'
    assert format_text(text).text == text
    shifted = 'if a:\n  if b:\n    log(1)\n    # deep\n  # middle\n# top\nlog(2)\n'
    assert format_text(shifted).text == text


def test_single_quotes_only_when_needed():
    text = "goal: 'it\\'s'\nx: 'say \"hi\"'\n"
    out = format_text(text).text
    assert out == 'goal: "it\'s"\nx: \'say "hi"\'\n'


def test_unparseable_text_is_refused():
    with pytest.raises(FormatError) as info:
        format_text('goal: "x"\nx: (1 +\n')
    assert info.value.line is not None and info.value.rule.startswith("AE1")


def test_format_file_keeps_crlf_and_mode(tmp_path):
    p = tmp_path / "f.aether"
    p.write_bytes(b'goal:  "x"\r\nlog( 1 )\r\n')
    os.chmod(p, 0o600)
    out = format_file(str(p), "f.aether", write=True, want_diff=True)
    assert out.state == "changed" and out.diff
    assert p.read_bytes() == b'goal: "x"\r\nlog(1)\r\n'
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert format_file(str(p), "f.aether", write=True).state == "unchanged"


def run(*args, cwd=None, input=None):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "aether", "fmt", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, input=input)


def test_cli_check_diff_write_and_errors(tmp_path):
    good = tmp_path / "good.aether"
    good.write_text(EXPECTED)
    messy = tmp_path / "messy.aether"
    messy.write_text(MESSY)
    r = run("--check", str(tmp_path))
    assert r.returncode == 1 and "would reformat" in r.stderr and "messy.aether" in r.stderr
    r = run("--diff", str(messy))
    assert r.returncode == 1 and r.stdout.startswith("--- ")
    assert messy.read_text() == MESSY
    r = run(str(tmp_path))
    assert r.returncode == 0 and messy.read_text() == EXPECTED
    assert run("--check", str(tmp_path)).returncode == 0
    (tmp_path / "broken.aether").write_text('goal: "x"\nx: (\n')
    r = run(str(tmp_path))
    assert r.returncode == 20 and "broken.aether:2" in r.stderr
    assert run(str(tmp_path / "missing.aether")).returncode == 26
    (tmp_path / "bin.aether").write_bytes(b"\x00\x01")
    r = run(str(tmp_path / "bin.aether"))
    assert r.returncode == 26 and "binary" in r.stderr and "Traceback" not in r.stderr


def test_cli_stdin():
    r = run("-", input="goal:   'x'\n")
    assert r.returncode == 0 and r.stdout == 'goal: "x"\n'
    assert run("--check", "-", input='goal: "x"\n').returncode == 0
    assert run("--check", "-", input="goal:   'x'\n").returncode == 1


def test_read_only_file_is_an_io_error(tmp_path):
    p = tmp_path / "ro.aether"
    p.write_text(MESSY)
    os.chmod(p, 0o444)
    r = run(str(p))
    assert r.returncode == 26 and "read-only" in r.stderr
    assert p.read_text() == MESSY


# ---------------------------------------------------------------- properties

_NAMES = st.sampled_from(["x", "total", "flags", "item", "data", "n"])
_CALLS = st.sampled_from(["log", "summarize", "store", "len", "narrate"])
_STR = st.sampled_from(['"a"', "'b'", '"c d"', "'say \"hi\"'", '"x#y"'])
_WS = st.sampled_from(["", " ", "  "])
_COMMENT = st.sampled_from(["", "", "  # note", " #x", "   # a: b"])


@st.composite
def _expr(draw, depth=0):
    kind = draw(st.integers(0, 5 if depth < 2 else 2))
    w = draw(_WS)
    if kind == 0:
        return draw(_NAMES)
    if kind == 1:
        return draw(_STR)
    if kind == 2:
        return str(draw(st.integers(-5, 500)))
    if kind == 3:
        return f"{draw(_expr(depth + 1))}{w}{draw(st.sampled_from(['+', '*', '==', 'and']))}" \
               f"{w}{draw(_expr(depth + 1))}"
    if kind == 4:
        items = draw(st.lists(_expr(depth + 1), max_size=3))
        sep = draw(st.sampled_from([",", ", ", " ,"]))
        return "[" + w + sep.join(items) + "]"
    args = draw(st.lists(_expr(depth + 1), max_size=2))
    return f"{draw(_CALLS)}({w}{', '.join(args)}{w})"


@st.composite
def programs(draw):
    lines = ['goal: "generated"']
    indent = ""
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 6))
        w = draw(_WS)
        c = draw(_COMMENT)
        if kind == 0:
            lines.append(f"{indent}{draw(_NAMES)}:{w} {draw(_expr())}{c}")
        elif kind == 1:
            lines.append(f"{indent}{draw(_CALLS)}({draw(_expr())}){c}")
        elif kind == 2 and len(indent) < 8:
            lines.append(f"{indent}if {draw(_expr())}:{c}")
            indent += draw(st.sampled_from(["  ", "    ", "\t"])) if not indent else "    "
            lines.append(f"{indent}log({draw(_STR)})")
        elif kind == 3:
            lines.append(f"{indent}# own line{draw(_WS)}")
        elif kind == 4:
            lines.append("")
        elif kind == 6:
            op = draw(st.sampled_from([":", " +=", "-=", " :"]))
            lines.append(f"{indent}{draw(_target())}{op}{w} {draw(_expr())}{c}")
        else:
            if indent:
                indent = ""
            lines.append(f"metrics({{{w}\"k\":{w}{draw(_expr())},\n    \"j\": 1}}){c}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@st.composite
def _target(draw):
    """An update target with random spacing: `x . item [ 0 ]["k"]`."""
    text = draw(_NAMES)
    for _ in range(draw(st.integers(1, 3))):
        w = draw(_WS)
        if draw(st.booleans()):
            text += f"{w}.{w}{draw(_NAMES)}"
        else:
            text += f"{w}[{w}{draw(_expr(1))}{w}]"
    return text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_fmt_is_idempotent_and_keeps_program_and_comments(text):
    before = parse(text.replace("\t", "    "))
    if before.errors:
        return
    out = format_text(text).text
    assert format_text(out).text == out
    assert ast_shape(parse(out).module) == ast_shape(before.module)
    assert count_comments(out) == count_comments(text)


UPDATES = '''goal: "g"
s: {results: {}}   # state
s . results [ "discovery" ]  :d  # keep me
s.results["n"]+=  1
s["count"]  -=1
m[ -1 ][ s.results["n"] ]:   [1,2]
s.results[
    "multi"  # inside
]: 3
'''
UPDATES_CANONICAL = '''goal: "g"
s: {results: {}}  # state
s.results["discovery"]: d  # keep me
s.results["n"] += 1
s["count"] -= 1
m[-1][s.results["n"]]: [1, 2]
s.results[
    "multi"  # inside
]: 3
'''


def test_update_targets_canonical_layout_idempotent_comments_kept():
    out = format_text(UPDATES)
    assert out.text == UPDATES_CANONICAL and out.changed
    assert not format_text(UPDATES_CANONICAL).changed
    assert ast_shape(parse(out.text).module) == ast_shape(parse(UPDATES).module)
    assert count_comments(out.text) == count_comments(UPDATES) == 3
