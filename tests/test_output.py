"""Report formats: golden outputs for every format, SARIF schema validity, escaping, carets.

The goldens in tests/golden/output/ are rendered from :func:`fixture_results` by
``tools/update_golden.py`` (which imports this module); run it after an intended change to
a format and review the diff.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether import __version__
from aether.checker import check_text
from aether.diagnostics import FileResult, Finding
from aether.fingerprint import assign_fingerprints
from aether.output import FORMATS, json_status, summary, write_report

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "output"
SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"

# A fixed instant, so json-status goldens do not change with the clock.
FIXED_NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

SOURCES = {
    "examples/clean.aether": 'goal: "demo"\nlog("hi")\n',
    # a syntax error after a tab inside the line: the caret must follow the expanded tab
    "examples/syntax.aether": 'goal: "demo"\nx:\t(1 + )\n',
    # several validation findings with hints; a path that needs percent-encoding; wide text
    "examples/my flow é.aether": ('goal: "démo — 日本"\nif true:\n    summarise(1)\n'
                                  'log(total)\nlen(1, 2)\nstore("x", label="y")\n'),
    # one suppressed finding, one active one; an escape sequence on the finding's line
    "examples/suppressed.aether": ('goal: "demo"\n'
                                   'summarise(1)  # aether: ignore[AE301] -- known\n'
                                   'foo("\x1b[2J")\n'),
    # a legacy-dialect file (its hint points at `aether migrate`)
    "examples/legacy.aether": 'intent: "x"\nlog("a")\n',
}

IO_PATH = "missing/gone.aether"


def fixture_results() -> list[FileResult]:
    """The fixed run every golden renders: checked sources plus one unreadable file."""
    results = [check_text(text, path) for path, text in SOURCES.items()]
    io_error = Finding("AE001", f"no such file: {IO_PATH}", content="<io>")
    results.append(FileResult(IO_PATH, assign_fingerprints(IO_PATH, [io_error])))
    return results


def render(fmt: str, results=None, **options) -> str:
    out = io.StringIO()
    write_report(fmt, fixture_results() if results is None else results, out, **options)
    return out.getvalue()


def golden_outputs() -> dict[str, str]:
    """File name under tests/golden/output/ -> expected content."""
    results = fixture_results()
    statuses = "".join(json.dumps(json_status(r, now=FIXED_NOW), ensure_ascii=False) + "\n"
                       for r in results)
    return {
        "text.txt": render("text", results),
        "text-brief.txt": render("text", results, show_source=False, show_suppressed=True),
        "json.json": render("json", results),
        "jsonl.jsonl": render("jsonl", results, show_suppressed=True),
        "sarif.sarif": render("sarif", results),
        "github.txt": render("github", results),
        "json-status.jsonl": statuses,
    }


# ------------------------------------------------------------------------ goldens


GOLDEN_NAMES = ("github.txt", "json-status.jsonl", "json.json", "jsonl.jsonl", "sarif.sarif",
                "text-brief.txt", "text.txt")


def test_golden_names():
    assert sorted(golden_outputs()) == sorted(GOLDEN_NAMES)


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden(name):
    path = GOLDEN / name
    assert path.exists(), f"missing golden {name}: run tools/update_golden.py"
    expected = path.read_text(encoding="utf-8")
    assert golden_outputs()[name] == expected, (
        f"{name} differs from its golden; if the change is intended run "
        "`python tools/update_golden.py` and review the diff")


def test_no_stale_goldens():
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(golden_outputs())


def test_goldens_hold_no_machine_paths():
    for name, text in golden_outputs().items():
        assert str(ROOT) not in text, name
        assert "file://" not in text, name


def test_every_format_renders_and_is_deterministic():
    for fmt in FORMATS:
        assert render(fmt) == render(fmt), fmt


def test_determinism_across_hash_seeds():
    code = ("import io, sys; sys.path.insert(0, 'tests'); import test_output as t;"
            "print(t.render('json') + t.render('sarif') + t.render('text'))")
    outputs = set()
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                              capture_output=True, text=True, encoding="utf-8", check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_unknown_format():
    with pytest.raises(ValueError):
        render("xml")


# ------------------------------------------------------------------------ text


def test_text_lines_and_summary():
    text = render("text")
    assert text.splitlines()[0] == \
        "examples/syntax.aether:2:9: AE100 [PARSE_ERROR] expected an expression, found ')'"
    assert "  = hint: did you mean 'summarize'?" in text
    assert text.endswith("Found 8 findings in 5 of 6 files (1 suppressed).\n")
    assert "(suppressed)" not in text
    assert "(suppressed)" in render("text", show_suppressed=True)


def test_text_summary_wording():
    clean = [check_text('goal: "x"\n', f"f{i}.aether") for i in range(5)]
    assert render("text", clean) == "All 5 files passed.\n"
    assert render("text", clean[:1]) == "1 file passed.\n"
    assert render("text", []) == "No files checked.\n"
    one = [check_text('goal: "x"\nfoo(1)\n', "a.aether")]
    assert render("text", one).endswith("\nFound 1 finding in 1 file.\n")


def test_text_findings_in_source_order_files_as_given():
    results = list(reversed(fixture_results()))
    headers = [line for line in render("text", results, show_source=False).splitlines()
               if ": AE" in line]
    files = [h.split(":")[0] for h in headers]
    runs = [name for name, _ in itertools.groupby(files)]
    assert len(runs) == len(set(runs))  # each file's findings together
    assert files[0] == IO_PATH  # the order given, not sorted
    lines = [int(h.split(":")[1]) for h in headers if h.startswith("examples/my flow")]
    assert lines == sorted(lines)


def test_text_never_prints_control_characters():
    text = render("text", show_suppressed=True)
    assert "\x1b" not in text
    assert "\u241b[2J" in text  # the escape is shown as its control picture


def test_text_shows_invisible_characters_visibly():
    line = 'x: "\u202eevil\u200b" + foo(1)'
    text = render("text", [check_text('goal: "x"\n' + line + "\n", "b.aether")])
    assert "\u202e" not in text and "\u200b" not in text
    source, carets = _caret_row(text, "b.aether:2:")
    assert source == 'x: "<U+202E>evil<U+200B>" + foo(1)'
    assert source[len(carets) - 3:len(carets)] == "foo"


def test_text_multi_line_message_and_hint():
    finding = Finding("AE100", "first\nsecond", 1, 1, 1, 2, hint="one\ntwo")
    text = render("text", [FileResult("m.aether", [finding], source="abc\n")])
    assert text.splitlines()[:7] == [
        "m.aether:1:1: AE100 [PARSE_ERROR] first", "    second", "  |", "1 | abc", "  | ^",
        "  = hint: one", "          two"]


def _caret_row(text: str, header_prefix: str) -> tuple[str, str]:
    """(source row, caret row) after the gutter, for the finding whose header starts so."""
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(header_prefix))
    source, carets = lines[i + 2], lines[i + 3]
    cut = source.index("|") + 2
    return source[cut:], carets[cut:]


def test_caret_after_tab_and_wide_characters():
    source, carets = _caret_row(render("text"), "examples/syntax.aether:2:9:")
    assert source == "x:  (1 + )"  # the tab expanded to the next multiple of 4
    assert carets == " " * 9 + "^"
    assert source[len(carets) - 1] == ")"
    text = render("text", [check_text('goal: "x"\ns: "日本" + foo(1)\n', "w.aether")])
    source, carets = _caret_row(text, "w.aether:2:11:")
    assert source == 's: "日本" + foo(1)'
    assert carets == " " * 12 + "^^^"  # "日本" takes four cells, not two


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \t", max_size=20), st.data())
def test_carets_under_span_with_tabs(line, data):
    from aether.output.text import TAB_SIZE, caret_span, display_line

    column = data.draw(st.integers(1, len(line) + 1))
    end = data.draw(st.integers(column, len(line) + 1))
    first, count = caret_span(line, column, 1, end, 1)
    # str.expandtabs is an independent oracle for ASCII and tabs
    assert display_line(line)[0] == line.expandtabs(TAB_SIZE)
    assert first == len(line[:column - 1].expandtabs(TAB_SIZE))
    if end > column:
        assert first + count == len(line[:end - 1].expandtabs(TAB_SIZE))
    assert count >= 1


def test_caret_edge_cases():
    from aether.output.text import caret_span

    assert caret_span("abc", 4, 1, 4, 1) == (3, 1)  # end of line: one caret after it
    assert caret_span("abc", 9, 1, None, 1) == (8, 1)  # past the end: still shown
    assert caret_span("abcdef", 2, 3, 2, 1) == (1, 5)  # continues on a later line
    assert caret_span("  abc  ", None, None, None, 1) == (2, 3)  # no column: the text
    assert caret_span("", None, None, None, 1) == (0, 1)
    assert caret_span("e\u0301x", 2, 1, 3, 1) == (1, 1)  # combining mark: its base's cell


def test_text_without_source():
    text = render("text", show_source=False, show_suppressed=True)
    assert "|" not in text
    assert "  = hint: did you mean 'floor'?" in text


def test_color_has_same_layout_as_plain():
    plain = render("text", show_suppressed=True)
    coloured = render("text", color=True, show_suppressed=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_color_survives_no_color_env(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")  # the CLI decides; the writer obeys `color`
    assert "\x1b[" in render("text", color=True)


def test_plain_text_does_not_import_rich():
    code = ("import io, sys\n"
            "from aether.checker import check_text\n"
            "from aether.output import write_report\n"
            "r = [check_text('goal: \"x\"\\nfoo(1)\\n', 'a.aether')]\n"
            "for fmt in ('text', 'json', 'jsonl', 'sarif', 'github'):\n"
            "    write_report(fmt, r, io.StringIO())\n"
            "assert 'rich' not in sys.modules, sorted(m for m in sys.modules if 'rich' in m)\n"
            "write_report('text', r, io.StringIO(), color=True)\n"
            "assert 'rich' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ------------------------------------------------------------------------ json, jsonl


def test_json_document():
    doc = json.loads(render("json"))
    assert list(doc) == ["tool", "version", "summary", "files"]
    assert doc["version"] == __version__
    s = doc["summary"]
    assert (s["files"], s["passed"], s["failed"], s["findings"], s["suppressed"]) == \
        (6, 1, 5, 8, 1)
    assert s["by_code"] == {"SUCCESS": 1, "PARSE_ERROR": 2, "VALIDATION_ERROR": 2,
                            "IO_ERROR": 1}
    assert (s["status"], s["status_name"]) == (26, "IO_ERROR")
    assert s == summary(fixture_results())
    first = doc["files"][0]
    assert list(first) == ["file", "ok", "code", "code_name", "phase", "message", "line",
                           "findings", "suppressed"]
    assert (first["ok"], first["code"], first["phase"], first["message"], first["line"]) == \
        (True, 0, "validate", "ok", None)
    supp = next(f for f in doc["files"] if f["suppressed"])
    assert supp["suppressed"][0]["category"] == "Suppressed-ValidationError"
    assert supp["findings"][0]["category"] == "ValidationError"
    finding = supp["findings"][0]
    assert list(finding) == ["rule", "rule_name", "code", "code_name", "phase", "category",
                             "message", "hint", "line", "column", "end_line", "end_column",
                             "fingerprint", "legacy_fingerprint"]
    assert "my flow é" in render("json")  # ensure_ascii=False


def test_jsonl_lines():
    lines = render("jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 8
    assert all(list(r)[0] == "file" and r["suppressed"] is False for r in records)
    with_supp = [json.loads(line) for line in render("jsonl", show_suppressed=True).splitlines()]
    assert [r for r in with_supp if r["suppressed"]][0]["category"].startswith("Suppressed-")
    assert render("jsonl", [check_text('goal: "x"\n', "a.aether")]) == ""


def test_json_status_object():
    clean, syntax = fixture_results()[:2]
    status = json_status(clean)
    assert list(status) == ["ok", "code", "code_name", "file", "phase", "message", "line",
                            "column", "rule", "findings", "timestamp"]
    assert {k: status[k] for k in list(status)[:7]} == {
        "ok": True, "code": 0, "code_name": "SUCCESS", "file": "examples/clean.aether",
        "phase": "validate", "message": "ok", "line": None}
    stamp = datetime.fromisoformat(status["timestamp"])
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
    bad = json_status(syntax)
    assert (bad["ok"], bad["code"], bad["code_name"], bad["phase"], bad["line"],
            bad["column"], bad["rule"], bad["findings"]) == \
        (False, 20, "PARSE_ERROR", "parse", 2, 9, "AE100", 1)


def test_write_json_status_one_object_per_file_in_order():
    from aether.output.json_report import write_json_status

    results = fixture_results()
    out = io.StringIO()
    write_json_status(results, out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) == len(results) + 1
    for line, result in zip(lines, results):
        got, want = json.loads(line), json_status(result)
        assert got.pop("timestamp") and want.pop("timestamp")
        assert got == want


# ------------------------------------------------------------------------ sarif


def _validator():
    from jsonschema.validators import validator_for

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_schema_file_is_the_official_one():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
                            "schemas/sarif-schema-2.1.0.json")
    assert "runs" in schema["properties"] and "result" in schema["definitions"]


@pytest.mark.parametrize("case", ["fixtures", "empty", "odd-positions"])
def test_sarif_validates_against_official_schema(case):
    if case == "fixtures":
        results = fixture_results()
    elif case == "empty":
        results = []
    else:
        odd = [Finding("AE100", "no column", line=1),
               Finding("AE100", "multi-line", 1, 3, 2, 2),
               Finding("AE101", "past the end", 2, 9, 2, 10),
               Finding("AE999", "crash, no position")]
        results = [FileResult("/abs/dir/x y.aether", assign_fingerprints("x", odd),
                              source="abc\nde"),
                   FileResult("C:\\w\\z.aether", [Finding("AE004", "binary", 1, 3)])]
    log = json.loads(render("sarif", results))
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_sarif_contents():
    log = json.loads(render("sarif"))
    run = log["runs"][0]
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
    by_uri = {}
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_uri.setdefault(uri, []).append(result)
    assert "examples/my%20flow%20%C3%A9.aether" in by_uri
    for uri in by_uri:  # RFC 3986 characters only (the schema's format is not checked)
        assert re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", uri), uri
    io_result = by_uri["missing/gone.aether"][0]
    assert "region" not in io_result["locations"][0]["physicalLocation"]
    supp = [r for r in run["results"] if "suppressions" in r]
    assert len(supp) == 1 and supp[0]["suppressions"] == [{"kind": "inSource"}]
    summarise = by_uri["examples/my%20flow%20%C3%A9.aether"][0]
    region = summarise["locations"][0]["physicalLocation"]["region"]
    assert region["snippet"]["text"] == "summarise"
    assert summarise["message"]["text"].endswith("\nhint: did you mean 'summarize'?")
    assert set(summarise["partialFingerprints"]) == {"aether/v1", "aether-legacy/v1"}


def test_sarif_uris():
    from aether.output.sarif import artifact_uri

    assert artifact_uri("./a/b c.aether") == ("a/b%20c.aether", "%SRCROOT%")
    assert artifact_uri("a\\b#1.aether", "\\") == ("a/b%231.aether", "%SRCROOT%")
    assert artifact_uri("/abs/x.aether") == ("file:///abs/x.aether", None)
    assert artifact_uri("C:\\w\\x.aether", "\\") == ("file:///C:/w/x.aether", None)
    # on POSIX a backslash is a character of the name, not a separator
    assert artifact_uri("a\\b#1.aether", "/") == ("a%5Cb%231.aether", "%SRCROOT%")
    # ... and a folder named `C:` is a relative path, not a drive (its colon encoded, so
    # the reference is not read as having the scheme `C`)
    assert artifact_uri("C:/x.aether", "/") == ("C%3A/x.aether", "%SRCROOT%")
    # a file name byte that is not UTF-8, as aether.walk.printable_path shows it
    assert artifact_uri("a/\\xffb.aether") == ("a/%FFb.aether", "%SRCROOT%")
    assert artifact_uri("/d/\\xc3\\xa9.aether") == ("file:///d/%C3%A9.aether", None)


# ------------------------------------------------------------------------ github


def test_github_escaping():
    from aether.output.github import command, escape_data, escape_property

    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\n") == "a%3Ab%2Cc%25d%0A"
    finding = Finding("AE301", "bad: 100%, really\nyes", 3, 5, 3, 9, hint="h")
    line = command("dir,1/a:b.aether", finding)
    assert line == ("::error file=dir%2C1/a%3Ab.aether,line=3,col=5,endLine=3,endColumn=9,"
                    "title=AE301 unknown-function::bad: 100%25, really%0Ayes%0Ahint: h")
    assert "\n" not in line


def test_github_commands():
    lines = render("github").splitlines()
    assert len(lines) == 8 and all(line.startswith("::error file=") for line in lines)
    assert "::error file=missing/gone.aether,title=AE001 file-not-found::" \
        "no such file: missing/gone.aether" in lines
    notices = [line for line in render("github", show_suppressed=True).splitlines()
               if line.startswith("::notice")]
    assert len(notices) == 1


# ------------------------------------------------------------------------ long lines


def _long_line_results():
    """A long line with findings in its middle and end, and one line of 3,000 findings."""
    middle = "x: [" + ", ".join(["1"] * 100) + ", nope(1)" + ", 2" * 300 + "]"
    tail = 'y: "' + "b" * 300 + '" + zz'
    awaits = "await " + ", ".join(f"a{i}" for i in range(3000))
    return [check_text(f'goal: "g"\n{middle}\n{tail}\n{awaits}\n', "long.aether")]


def test_text_clips_long_lines_around_the_span():
    from aether.output.text import SNIPPET_MAX

    text = render("text", _long_line_results())
    source, carets = _caret_row(text, "long.aether:2:305:")
    assert source.startswith("...") and source.endswith("...")
    assert len(source) <= SNIPPET_MAX + 6
    assert source[len(carets) - 4:len(carets)] == "nope" and carets.strip() == "^^^^"
    source, carets = _caret_row(text, "long.aether:3:309:")
    assert source.startswith("...") and source.endswith('" + zz')
    assert source[len(carets) - 2:len(carets)] == "zz" and carets.strip() == "^^"
    # 3,000 findings on one 24,000-character line: each shows a window, not the line
    assert len(text) < 3000 * 700


def test_clip_line_keeps_short_lines_and_moves_columns():
    from aether.output.text import clip_line

    assert clip_line("abc", 2, 1, 3, 1) == ("abc", 2, 1, 3, False, False)
    line = "a" * 500 + "XYZ" + "b" * 500
    text, column, end_line, end_column, left, right = clip_line(line, 501, 1, 504, 1)
    assert left and right and text[column - 1:end_column - 1] == "XYZ"
    text, column, end_line, end_column, left, right = clip_line(line, 501, 3, 1, 1)
    assert end_line == 1 and end_column == len(text) + 1  # continues: carets to the cut
    text, column, _, end_column, left, right = clip_line(" " * 300 + "q" * 10, None, None,
                                                         None, 1)
    assert left and not right and text[column - 1:end_column - 1] == "q" * 10


def test_sarif_long_lines_carry_windows_and_validate():
    from aether.output.sarif import SNIPPET_LIMIT

    results = _long_line_results()
    raw = render("sarif", results)
    log = json.loads(raw)
    errors = list(_validator().iter_errors(log))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    lines = results[0].source.split("\n")
    for result in log["runs"][0]["results"]:
        loc = result["locations"][0]["physicalLocation"]
        region, context = loc["region"], loc.get("contextRegion")
        row = lines[region["startLine"] - 1]
        assert region["snippet"]["text"] == row[region["startColumn"] - 1:region["endColumn"] - 1]
        if context is not None and "startColumn" in context:  # a window of a long line
            assert context["startColumn"] <= region["startColumn"]
            assert context["endColumn"] >= region["endColumn"]
            assert context["snippet"]["text"] == \
                row[context["startColumn"] - 1:context["endColumn"] - 1]
        if context is not None:
            assert len(context["snippet"]["text"]) <= SNIPPET_LIMIT
    assert len(raw) < 3002 * 3000


def test_await_finding_points_at_the_name_with_a_suggestion():
    result = check_text('goal: "g"\nparallel:\n    alpha: now()\nawait alpah, beta\n', "w.aether")
    found = [(f.rule, f.line, f.column, f.end_column, f.hint) for f in result.findings]
    assert found == [("AE307", 4, 7, 12, "did you mean 'alpha'?"),
                     ("AE307", 4, 14, 18, None)]
