"""Memory a check needs (issue 15, item 4): shared strings, no line list, no second copy.

Memory is counted with tracemalloc (exact allocation sizes, independent of the machine's
load), never timed. bench/bench_memory.py prints the figures for large files.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aether import ast as A
from aether.checker import CheckOptions, check_text
from aether.syntax import parse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from gen_corpus import build  # noqa: E402


def _clean_text(min_lines: int) -> str:
    """Generated files (no injected errors) joined into one file that checks clean."""
    import re

    numbered = re.compile(r"\b([A-Za-z]\w*?_\d+)\b")
    parts, n, i = [], 0, 0
    while n < min_lines:
        i += 1
        text, _ = build(i, 3, 0.0)
        if i > 1:
            text = "\n".join(x for x in text.split("\n") if not x.startswith("goal:"))
        parts.append(numbered.sub(lambda m: f"{m.group(1)}_f{i}", text))
        n += parts[-1].count("\n")
    return "".join(parts)


class _NoCopies(str):
    """Source text that refuses to be split into lines or lowered as a whole."""

    def split(self, *a, **k):
        raise AssertionError("the whole text was split into lines")

    def splitlines(self, *a, **k):
        raise AssertionError("the whole text was split into lines")

    def lower(self):
        raise AssertionError("the whole text was lowered")


def test_repeated_names_and_literals_share_one_string():
    src = 'goal: "g"\n' + "".join(
        f'total: total_{i % 3} + count\nlog(label="same text", n=42, t=5s, f=1.5)\n'
        for i in range(50))
    module = parse(src).module
    ids = [n.id for n in A.walk(module) if isinstance(n, A.Name) and n.id == "count"]
    assert len(ids) == 50 and len({id(x) for x in ids}) == 1
    kws = [k.name for k in A.walk(module) if isinstance(k, A.Keyword) and k.name == "label"]
    assert len({id(x) for x in kws}) == 1
    strs = [n for n in A.walk(module) if isinstance(n, A.Str) and n.value == "same text"]
    assert len(strs) == 50
    assert len({id(n.raw) for n in strs}) == 1 and len({id(n.value) for n in strs}) == 1
    for kind in (A.Int, A.Duration, A.Float):
        raws = [n.raw for n in A.walk(module) if isinstance(n, kind)]
        assert len(raws) == 50 and len({id(x) for x in raws}) == 1, kind
    binds = [s.name for s in module.body if isinstance(s, A.Binding) and s.name == "total"]
    assert len({id(x) for x in binds}) == 1


def test_check_text_makes_no_list_of_lines_nor_lowered_copy():
    # a list of every line cost more than the file itself (a string object per line)
    text = _clean_text(2_000)
    plain = check_text(text, "big.aether")
    assert plain.findings == []
    assert check_text(_NoCopies(text), "big.aether").findings == []
    # findings are still located (anchor and content) without one
    bad = text + "fn late_fn():\n    for q in [1]:\n        log(nope_here)\n"
    expected = check_text(bad, "bad.aether").findings
    got = check_text(_NoCopies(bad), "bad.aether").findings
    assert [(f.rule, f.line, f.anchor, f.content, f.fingerprint) for f in got] == \
        [(f.rule, f.line, f.anchor, f.content, f.fingerprint) for f in expected]
    assert [f.anchor for f in got] == ["fn:late_fn/for"]


def _held_when_the_check_starts(tmp_path, monkeypatch, module, run) -> tuple[int, int]:
    """(bytes traced as allocated when ``module.check_text`` is called by ``run(path)``,
    the text's size): what a file check holds beside the tree it is about to build."""
    text = _clean_text(20_000)
    path = tmp_path / "big.aether"
    path.write_text(text, encoding="utf-8")
    seen = []
    real = module.check_text

    def probe(text, display, options):
        seen.append(tracemalloc.get_traced_memory()[0])
        return real(text, display, options)

    monkeypatch.setattr(module, "check_text", probe)
    check_text('goal: "warm"\n', "warm.aether")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = run(str(path))
    finally:
        tracemalloc.stop()
    assert result.findings == []
    return seen[0] - before, len(text)


def test_check_file_holds_the_source_once_while_checking(tmp_path, monkeypatch):
    # the bytes read, the text decoded to test them and the text decoded again were all
    # alive while the tree was built: three copies of a large file
    from aether import runner
    from aether.walk import SourceFile

    held, size = _held_when_the_check_starts(
        tmp_path, monkeypatch, runner,
        lambda path: runner.check_files([SourceFile(path, "big.aether")],
                                        CheckOptions(max_file_size=1 << 30))[0])
    assert held < 1.3 * size, (held, size)


def test_check_file_lets_the_bytes_go_before_checking(tmp_path, monkeypatch):
    # check_file held the ReadResult, and so the bytes read beside the decoded text,
    # through the whole check
    from aether import checker

    held, size = _held_when_the_check_starts(
        tmp_path, monkeypatch, checker,
        lambda path: checker.check_file(path, "big.aether",
                                        CheckOptions(max_file_size=1 << 30)))
    assert held < 1.3 * size, (held, size)


def test_a_clean_check_needs_less_than_fourteen_and_a_half_times_the_text():
    # tracemalloc's peak over the text itself, on a clean file of about 20,000 lines:
    # 21 times before names and literals were shared and the line list dropped (15 after;
    # 13.1 once a node's span end took one slot and the logical-line table only the
    # continuation lines)
    text = _clean_text(20_000)
    peak = _check_peak(text)
    assert peak < 14.5 * len(text), peak / len(text)


def _check_peak(text: str) -> int:
    """tracemalloc's peak over what was allocated before, while ``text`` is checked."""
    from aether.syntax import parser as P

    # warm every cache a check fills once per process (parser, catalogue index), and leave
    # no garbage of earlier tests to be freed inside the measure: the peak then measures
    # this check alone, whatever ran before it in the process
    check_text(_clean_text(200), "warm.aether", CheckOptions())
    # the file's names are interned (one string per name): held by a tree parsed before,
    # the check finds them in the process's table of interned strings, which otherwise
    # grew inside the measure by a size set by whatever ran before (it took a table of
    # 1.8 MiB, 3.4 times this file, after other test files had run). Parsed past the
    # memo of the last parse, so that the check parses again.
    held = P._parse(text, True)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        assert check_text(text, "big.aether", CheckOptions()).findings == []
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del held
    return peak


def test_a_large_file_is_checked_without_its_whole_tree(monkeypatch):
    # A file of STREAM_ABOVE characters or more (4 MiB; lowered to this file's size here)
    # is checked one top-level statement at a time (tests/test_streaming_check.py): what
    # stays is what the validator needs of the whole file (its names, its fns without
    # their bodies). 1.8 times the text, where the whole tree took 13.
    from aether import checker

    text = _clean_text(20_000)
    monkeypatch.setattr(checker, "STREAM_ABOVE", len(text))
    peak = _check_peak(text)
    assert peak < 3.5 * len(text), peak / len(text)
    monkeypatch.setattr(checker, "STREAM_ABOVE", len(text) + 1)
    assert _check_peak(text) > 10 * len(text)  # the whole tree, below the threshold


def test_logical_line_table_lists_only_continuation_lines():
    # an entry for every line with a token cost about 1.5 times the file; error recovery
    # reads the table as `.get(line, line)`, so lines that start their own need none
    from aether.syntax.parser import get_parser

    _, scanner = get_parser()
    list(scanner.scan('goal: "g"\nx: f(1,\n  2,\n    3)\nlog(x)\n'))
    assert scanner.logical_start == {3: 2, 4: 2}
    text = _clean_text(2_000)
    list(scanner.scan(text))
    table = scanner.logical_start
    assert all(start < line for line, start in table.items())
    assert len(table) < text.count("\n") // 10, (len(table), text.count("\n"))


def test_the_last_tree_is_let_go_before_the_next_parse(monkeypatch):
    # the memo of the last parse held the previous file's tree while the next was built
    from aether.syntax import parser as P

    parse('goal: "a"\n')
    held = []
    real = P._parse

    def probe(text, incremental):
        held.append(P._LAST)
        return real(text, incremental)

    monkeypatch.setattr(P, "_parse", probe)
    parse('goal: "b"\n')
    assert held == [None]


class _NoWholeCopies(str):
    """Source text that refuses to be split into lines or case-mapped as a whole."""

    def split(self, *a, **k):
        raise AssertionError("the whole text was split into lines")

    def upper(self):
        raise AssertionError("the whole text was upper-cased")

    def lower(self):
        raise AssertionError("the whole text was lowered")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["aether", "AeThEr", "aeth", "er", "\n", "#", ": ",
                                 "ignore", "[AE302]", " -- why", "x", "'", "é"]),
                max_size=40))
def test_suppression_lines_are_found_without_splitting_the_text(parts):
    from aether.suppress import _lines_naming_aether, find_suppressions

    text = "".join(parts)
    expected = [(n, line) for n, line in enumerate(text.split("\n"), start=1)
                if "aether" in line.lower()]
    assert list(_lines_naming_aether(text)) == expected
    assert find_suppressions(_NoWholeCopies(text)) == find_suppressions(text)


def test_a_check_with_suppressions_copies_no_whole_text():
    text = _clean_text(2_000) + "log(nope_here)  # aether: ignore[AE302] -- known\n"
    plain = check_text(text, "big.aether")
    assert plain.findings == [] and [f.rule for f in plain.suppressed] == ["AE302"]
    got = check_text(_NoWholeCopies(text), "big.aether")
    assert [f.fingerprint for f in got.suppressed] == [f.fingerprint for f in plain.suppressed]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab\n\x0c\u2028", max_size=40),
       st.lists(st.integers(-2, 45), max_size=12), st.integers(0, 9000))
def test_source_lines_are_numbered_as_split_numbers_them(text, asked, pad):
    from aether.diagnostics import SourceLines

    text = "x" * pad + text  # lines longer than the window the newlines are counted in
    lines = text.split("\n")
    reader = SourceLines(text)
    for n in asked + sorted(asked):
        assert reader.get(n) == (lines[n - 1] if 0 < n <= len(lines) else None)


def test_the_text_report_of_a_large_file_makes_no_list_of_its_lines():
    # the report split the whole source into lines for every file it printed, clean or
    # not, while the parse of the file was still held: about three times the file
    from aether.diagnostics import FileResult, Finding
    from aether.output.text import render_text

    text = _clean_text(2_000)
    bad = text + "log(nope_here)\n"
    plain = check_text(bad, "big.aether", CheckOptions(keep_source=True))
    assert [f.rule for f in plain.findings] == ["AE302"]
    shown = render_text([plain])
    guarded = FileResult(plain.path, plain.findings, plain.suppressed, _NoWholeCopies(bad))
    assert render_text([guarded]) == shown and "log(nope_here)" in shown
    clean = FileResult("c.aether", [], [], _NoWholeCopies(text))
    assert render_text([clean]) == "1 file passed.\n"
    assert guarded.source_line(plain.findings[0].line) == "log(nope_here)"
    assert FileResult("f", [Finding("AE302", "m", 2, 1)], [], "a\nb").source_line(3) == ""


def test_looking_for_aether_lowers_small_windows_only():
    from aether.checker import _mentions_aether

    for at in range(65_528, 65_540):  # across the end of the first window
        text = "x" * at + "AeThEr" + "y" * 10
        assert _mentions_aether(text) and not _mentions_aether(text.replace("h", "-"))
    text = _clean_text(20_000)
    assert not _mentions_aether(text)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        _mentions_aether(text)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < len(text) / 4, (peak, len(text))


def test_the_validator_holds_no_name_set_per_fn_for_suggestions():
    # the did-you-mean index is filed only when a suggestion needs it; until then its
    # sources were queued: a generator per fn over its parameters and the set of each
    # fn's own names, all held for the whole check
    from aether.semantics import validator as V

    def queue(n_fns: int) -> list:
        src = 'goal: "g"\n' + "".join(f"fn f{i}(a{i}, b):\n    c{i}: a{i}\n    return c{i}\n"
                                      for i in range(n_fns))
        v = V.Validator()
        v.validate(parse(src).module)
        return v.names._queued

    assert len(queue(50)) - len(queue(3)) == 47  # one source per fn, not two
    assert not any(isinstance(q, (set, frozenset, list, dict)) and len(q) and
                   next(iter(q)).startswith(("a", "c")) for q in queue(50))
    # and the names are filed as before: a later fn's parameter and local are suggested
    src = 'goal: "g"\nfn f(alpha_one):\n    return alpha_one\nfn g(beta_two):\n' \
          '    gamma_three: beta_two\n    return beta_tow + gamma_thre\n'
    hints = sorted(f.hint or "" for f in check_text(src, "x.aether").findings
                   if f.rule == "AE302")
    assert len(hints) == 2 and "beta_two" in hints[0] and "gamma_three" in hints[1]
