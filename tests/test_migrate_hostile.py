"""The newest migration rules under hostile input: M029 (imports into `require:`), M032
(`category=`), M041 (chained commands), M042 (command fit) and M010 (a remembered record).

Each input here broke a rule once: a second `require:` block, a module path read as a
division, an import whose name was also a parameter (the hoisted plugin hidden in its own
block), a variable called as a builtin, `tag=` given twice, and work that grew with the
square of a line's commands or of a block's imports. Work is counted, never timed; the
generated files (hypothesis) mix the new rules' shapes with an existing `require:` block
and check the usual promises: never worse, idempotent, every comment kept.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from aether.checker import check_text
from aether.codes import Status
from aether.migrate import migrate_text
from aether.migrate.convert.commands import Commands
from aether.migrate.tokens import count_comments
# LINEAR: growth from 2n to 4n over growth from n to 2n (linear 2, quadratic 4)
from test_scaling import LINEAR, calls


def _findings(text: str) -> list[str]:
    return [f.rule for f in check_text(text, "a.aether").findings]


def _growth(measure, make, n: int) -> float:
    measure(make(n))  # warm: caches, lazy imports
    c1, c2, c4 = (measure(make(k)) for k in (n, 2 * n, 4 * n))
    return (c4 - c2) / max(1, c2 - c1)


# ------------------------------------------------------------ time linear in the line

class _CountingTokens(list):
    """A command's tokens that count the tokens every slice of them copies (a copy is no
    call: a profile hook does not see it)."""

    copied = 0

    def __getitem__(self, i):
        got = list.__getitem__(self, i)
        if isinstance(i, slice):
            _CountingTokens.copied += len(got)
            return _CountingTokens(got)
        return got


def test_a_line_of_thousands_of_chained_commands_is_read_once(monkeypatch):
    # M041 cut the line's tokens after each command it found: n commands copied n^2 tokens
    real = Commands.command_stmt

    def counting(self, s, pre, section):
        s.tokens = _CountingTokens(s.tokens)
        return real(self, s, pre, section)

    monkeypatch.setattr(Commands, "command_stmt", counting)

    def copied(text: str) -> int:
        _CountingTokens.copied = 0
        out = migrate_text(text, "a.aether")
        assert out.state == "transformed" and "M041" in out.rules, out.reason
        return _CountingTokens.copied

    def make(n: int) -> str:
        return 'goal: "g"\nanalyze "a"' + ' suggest "b" think 2' * n + "\n"

    assert _growth(copied, make, 400) <= LINEAR
    out = migrate_text(make(3), "a.aether")
    assert out.text == ('goal: "g"\nanalyze("a")\n' + 'suggest("b")\nthink(2)\n' * 3)


@pytest.mark.parametrize("make", [
    # hundreds of imports in one block: each looked at the whole block again
    lambda n: 'goal: "g"\nfn f():\n' + "".join(f"    use lib/p{i}\n" for i in range(n)) +
    "    p0.go()\n",
    lambda n: 'goal: "g"\nrequire:\n    plugins:\n        - "z"\nfn f():\n    try:\n' +
    "".join(f'        import "lib/p{i}" as p{i}\n' for i in range(n)) +
    "        p0.go()\n    catch e:\n        log(e)\n",
    # values and commands on one line
    lambda n: 'goal: "g"\nanalyze ' + ", ".join(f"s.a{i}" for i in range(n)) + "\n",
    lambda n: 'goal: "g"\noptimize "x"' + ' for "y"' * n + "\n",
    lambda n: 'goal: "g"\nremember "x" as "t" {\n' + "".join(
        f"    k{i}: {i}\n" for i in range(n)) + "}\n",
], ids=["use-in-fn", "import-in-try-with-require", "commas", "prepositions", "details"])
def test_work_grows_linearly_with_the_new_rules_input(make):
    def work(text: str) -> int:
        return calls(lambda: migrate_text(text, "a.aether"))

    assert migrate_text(make(5), "a.aether").state == "transformed"
    assert _growth(work, make, 150) <= LINEAR


# ------------------------------------------------------------ M029: names and paths

@pytest.mark.parametrize("src, line, words", [
    # the name of the file's fn, a variable, a parameter of the very block, a builtin
    ('goal: "g"\nimport "lib/a" as helper\nfn helper():\n    return 1\nhelper.go()\n',
     2, "`fn`"),
    ('goal: "g"\nimport "lib/a" as helper\nhelper = 3\nhelper.go()\n', 2, "binds"),
    ('goal: "g"\nfn f(alpha):\n    import "lib/a" as alpha\n    alpha.go()\n', 3, "binds"),
    ('goal: "g"\nimport "lib/a" as log\nlog.go()\nlog("x")\n', 2, "builtin"),
    ('goal: "g"\nuse vendor/summarize\nsummarize.go()\n', 2, "builtin"),
    # a reserved word is no name
    ('goal: "g"\nimport "lib/a" as if\nlog(1)\n', 2, "reserved"),
    ('goal: "g"\nuse lib/null\nlog(1)\n', 2, "reserved"),
    # one path under two names, one name for two paths (also in two blocks)
    ('goal: "g"\nimport "lib/a" as alpha\nimport "lib/a" as beta\nalpha.go()\n', 3,
     "same path as 'alpha'"),
    # a fn or a binding the conversion makes: a handler, a recalled value
    ('goal: "g"\nimport "x" as on_ready\nwhen ready:\n    log(1)\non_ready.go()\n', 2,
     "defines or binds"),
    ('goal: "g"\nimport "x" as res\nrecall "t" -> res\nres.go()\n', 2, "defines or binds"),
    ('goal: "g"\nfn f():\n    use a/vault\n    vault.go()\nfn g():\n    use b/vault\n'
     '    vault.go()\n', 6, "'vault' from another path"),
])
def test_an_import_whose_name_cannot_be_a_plugin_fails_with_its_line(src, line, words):
    out = migrate_text(src, "a.aether")
    assert out.state == "failed" and out.line == line, (out.reason, out.text)
    assert words in out.reason


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "a//b", "a/b-c",
                                  "a/b.c", "a/9b", "a/$b", "ünï/cödé", "a/𝔘", "./a"])
@pytest.mark.parametrize("where", ["top", "block", "alone"])
def test_use_of_an_odd_module_path_fails_with_its_line(path, where):
    # a module path is never read as arithmetic (`use a/b-c` became `use(a / b - c)`)
    src = {"top": f'goal: "g"\nuse {path}\nlog(1)\n',
           "block": f'goal: "g"\nfn f():\n    use {path}\n    log(1)\n',
           "alone": f'goal: "g"\nfn f():\n    use {path}\n'}[where]
    out = migrate_text(src, "a.aether")
    assert out.state == "failed" and out.line == (2 if where == "top" else 3), \
        (out.reason, out.text)
    assert "`use`" in out.reason


def test_use_of_a_module_path_alone_in_its_block_fails_as_import_does():
    out = migrate_text('goal: "g"\nfn f():\n    use lib/alpha\n    # why\n', "a.aether")
    assert out.state == "failed" and out.line == 3, out.text


@pytest.mark.parametrize("src, plugins", [
    # the same import twice, in two blocks: one entry
    ('goal: "g"\nfn f():\n    use lib/a\n    a.go()\nfn g():\n    use lib/a\n    a.go()\n',
     ["a"]),
    # deep inside blocks
    ('goal: "g"\nfn f():\n    if true:\n        for x in [1]:\n            while false:\n'
     '                try:\n                    import "lib/a" as alpha\n'
     '                    alpha.go()\n                catch e:\n                    log(e)\n',
     ["alpha"]),
    # a path leaving the project is only a name: nothing is read or written there
    ('goal: "g"\nimport "../../etc/passwd" as pw\npw.read()\n', ["pw"]),
])
def test_imports_hoisted_once_from_anywhere(src, plugins):
    out = migrate_text(src, "a.aether")
    assert out.state == "transformed", out.reason
    listed = [line.strip()[3:-1] for line in out.text.split("\n") if line.startswith("        - ")]
    assert listed == plugins
    assert _findings(out.text) == []
    assert migrate_text(out.text, "a.aether").state == "unchanged"


_BRACE_REQUIRE = ('plugin tidy {{\n    description: "Tidy things"\n    require: {{\n'
                  '        plugins: ["git"]\n    }}\n    fn run() {{\n{line}'
                  '        alpha.go()\n    }}\n}}\n')


def test_a_require_map_gets_no_second_require_block():
    # a brace plugin's `require: { plugins: [...] }` is the file's own: an import cannot
    # join a map (the file fails with its line), and M031 adds no block beside it
    out = migrate_text(_BRACE_REQUIRE.format(line='        use lib/alpha\n'), "a.aether")
    assert out.state == "failed" and out.line == 3 and "map" in out.reason, out.text
    out = migrate_text(_BRACE_REQUIRE.format(line=""), "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text.count("require") == 1 and "M031" not in out.rules, out.text


@pytest.mark.parametrize("src, expected", [
    # the import line goes; its comment stays with the requirement it became
    ('goal: "g"\nimport "lib/a" as alpha  # the store\nalpha.go()\n',
     'require:\n    plugins:\n        - "alpha"  # the store\ngoal: "g"\nalpha.go()\n'),
    ('goal: "g"\nfn f():\n    use lib/beta // legacy note\n    beta.go()\n',
     'require:\n    plugins:\n        - "beta"  # legacy note\ngoal: "g"\nfn f():\n'
     '    beta.go()\n'),
    # into the file's own block; a plugin listed already keeps its import's comment too
    ('goal: "g"\nrequire:\n    plugins:\n        - "alpha"\nuse lib/alpha  # dup\n'
     'use lib/beta  # b\nalpha.go()\nbeta.go()\n',
     'goal: "g"\nrequire:\n    plugins:\n        - "alpha"\n        - "beta"  # b\n'
     '        # dup\nalpha.go()\nbeta.go()\n'),
    ('goal: "g"\nrequire:\n    plugins: ["alpha"]  # keep\nuse lib/alpha  # dup\n'
     'alpha.go()\n',
     'goal: "g"\nrequire:\n    plugins: ["alpha"]  # keep\n    # dup\nalpha.go()\n'),
])
def test_an_import_lines_comment_is_kept(src, expected):
    out = migrate_text(src, "a.aether")
    assert out.text == expected
    assert count_comments(out.text) == count_comments(src)
    assert migrate_text(out.text, "a.aether").state == "unchanged"


# ------------------------------------------------------------ M041, M032

@pytest.mark.parametrize("src", [
    'goal: "g"\nsuggest = "x"\nanalyze "a" suggest "b"\n',
    'goal: "g"\nfor suggest in [1]:\n    log(suggest)\nanalyze "a" suggest "b"\n',
    'goal: "g"\nfn f(suggest):\n    analyze "a" suggest "b"\n',
    'goal: "g"\ntry:\n    log(1)\ncatch suggest:\n    analyze "a" suggest "b"\n',
])
def test_a_variable_named_like_a_verb_is_passed_not_called(src):
    # M041 made `suggest("b")` of the variable `suggest`: the runtime calls its value
    out = migrate_text(src, "a.aether")
    assert "M041" not in out.rules, out.text
    assert "suggest(" not in out.text and 'analyze("a", suggest, "b")' in out.text


@pytest.mark.parametrize("src, expected", [
    ('remember "x" as "t" {\n    "k": 1\n}',
     'memory: remember({value: "x", details: {\n    "k": 1\n}}, tag="t")'),
    ('remember "x" as "t" { "k": 1, "j": [1] }',
     'memory: remember({value: "x", details: {"k": 1, "j": [1]}}, tag="t")'),
])
def test_details_written_as_a_dict_are_details_not_the_tag(src, expected):
    # M010: a block of `"key": value` entries became part of the tag's text
    out = migrate_text('goal: "g"\n' + src + "\n", "a.aether")
    assert out.text == 'goal: "g"\n' + expected + "\n"
    assert _findings(out.text) == []
    assert migrate_text(out.text, "a.aether").state == "unchanged"


def test_the_last_chained_command_binds_what_it_recalls():
    # M041 split the line, and the last command's `-> res` became part of a text
    out = migrate_text('goal: "g"\nanalyze "a" recall "t" -> res\nlog(res)\n', "a.aether")
    assert out.text == 'goal: "g"\nanalyze("a")\nres: recall("t")\nlog(res)\n'
    assert _findings(out.text) == []


@pytest.mark.parametrize("call", ['recall(tags="a", category="b")',
                                  'recall(category="a", category="b")'])
def test_two_legacy_keywords_are_not_both_renamed_to_tag(call):
    out = migrate_text(f'goal: "g"\nx = {call}\n', "a.aether")
    assert f"x: {call}" in out.text, out.text
    assert "M032" not in out.rules


# ------------------------------------------------------------ random combinations

_VALUE = st.sampled_from(['"a"', '"b c"', "3", "s.a", "[1, 2]", "'q'"])
_VERB = st.sampled_from(["analyze", "suggest", "think", "optimize", "learn", "summarize",
                         "remember", "helper", "count", "log"])
_JOIN = st.sampled_from([" ", ", ", " for ", " about ", " from "])
_COMMENT = st.sampled_from(["", "", "  # why", " // legacy"])
_IMPORT = st.sampled_from(['import "lib/alpha" as alpha', "use lib/beta", "use vendor/alpha",
                           'import "lib/gamma" as gamma', "use ../x/y", "use a/b-c",
                           'import "lib/a" as helper', "use lib/log"])


@st.composite
def _command(draw) -> str:
    parts = [draw(_VERB)]
    for _ in range(draw(st.integers(1, 5))):
        parts.append(draw(_JOIN) if len(parts) > 1 else " ")
        parts.append(draw(st.one_of(_VALUE, _VERB)))
    return "".join(parts)


@st.composite
def _new_rule_files(draw) -> str:
    lines = ['goal: "g"', "s = {a: 1}"]
    if draw(st.booleans()):
        lines += ["require:", "    # listed by hand", "    plugins:",
                  '        - "alpha>=1.0"  # pinned']
    if draw(st.booleans()):
        lines += ["fn helper(x):", "    return x"]
    if draw(st.booleans()):
        lines.append(f"{draw(_VERB)} = 2")
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["command", "import", "block", "category", "remember"]))
        if kind == "command":
            lines.append(draw(_command()) + draw(_COMMENT))
        elif kind == "import":
            lines.append(draw(_IMPORT) + draw(_COMMENT))
        elif kind == "block":
            lines += ["fn work():", "    try:", "        " + draw(_IMPORT),
                      "        " + draw(_command()), "    catch e:", "        log(e)"]
        elif kind == "category":
            lines.append(f'recall category: {draw(_VALUE)}' + draw(_COMMENT))
        else:
            lines += [f'remember {draw(_VALUE)} as "t" {{', "    k: 1" + draw(_COMMENT), "}"]
    return "\n".join(lines) + "\n"


@st.composite
def _brace_plugin_files(draw) -> str:
    lines = ["plugin tidy {", '    description: "Tidy things"']
    if draw(st.booleans()):
        lines += ["    require: {", '        plugins: ["git"]', "    }"]
    lines.append("    fn run() {")
    for _ in range(draw(st.integers(1, 4))):
        lines.append("        " + draw(st.one_of(_IMPORT, _command(), st.sampled_from(
            ['log("x")', "alpha.go()", 'remember "x" as "t" { "k": 1 }']))) + draw(_COMMENT))
    return "\n".join(lines + ["    }", "}"]) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_new_rule_files(), _brace_plugin_files()))
def test_new_rules_never_worse_idempotent_and_lossless(text):
    out = migrate_text(text, "gen.aether")
    assert out.state in ("transformed", "unchanged", "failed")
    if out.state == "failed":
        assert out.reason and out.line
        return
    if out.state == "unchanged":
        return
    after = check_text(out.text, "gen.aether")
    assert not [f for f in after.findings if f.status == Status.PARSE_ERROR]
    valid = sum(1 for f in after.findings if f.status == Status.VALIDATION_ERROR)
    assert valid - out.newly_visible <= out.before["validation_findings"]
    assert out.text.count("require:") <= 1
    assert count_comments(out.text) == count_comments(text)
    again = migrate_text(out.text, "gen.aether")
    assert again.state == "unchanged", (again.reason, again.text)


# ------------------------------------------------------------ --apply and the paths

@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symlinks")
def test_apply_writes_only_the_project_files_whatever_their_imports_name(tmp_path):
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    (project / "lib").mkdir(parents=True)
    outside.mkdir()
    legacy = 'import "lib/alpha.aether" as alpha\nintent: "x"\nalpha.go()\n'
    (outside / "alpha.aether").write_text(legacy)
    (project / "aether.toml").write_text("")
    # imports naming paths outside the project, and one named as a link into it
    (project / "main.aether").write_text(
        'import "../outside/alpha.aether" as alpha\nimport "/etc/hosts" as hosts\n'
        'intent: "x"\nfn f():\n    use lib/beta\n    beta.go()\nalpha.go()\nhosts.get()\n')
    (project / "odd.aether").write_text('intent: "x"\nuse ../outside/alpha\n')
    os.symlink("../../outside/alpha.aether", project / "lib" / "alpha.aether")
    proc = subprocess.run([sys.executable, "-m", "aether", "migrate", "--apply", "--no-report",
                           "."], cwd=project, capture_output=True, text=True,
                          env=dict(os.environ, NO_COLOR="1"))
    assert proc.returncode == 26, proc.stderr  # the link: skipped, and odd.aether failed
    assert "skipped lib/alpha.aether: a symbolic link found" in proc.stderr
    assert (outside / "alpha.aether").read_text() == legacy
    assert sorted(p.name for p in outside.iterdir()) == ["alpha.aether"]
    assert (project / "lib" / "alpha.aether").is_symlink()
    assert (project / "odd.aether").read_text() == 'intent: "x"\nuse ../outside/alpha\n'
    main = (project / "main.aether").read_text()
    assert '- "alpha"\n' in main and '- "hosts"\n' in main and '- "beta"\n' in main
    # besides the files, only the result cache `aether check` shares (docs/security.md)
    assert sorted(p.name for p in project.iterdir()) == [".aether_cache", "aether.toml", "lib",
                                                         "main.aether", "odd.aether"]


# ------------------------------------------------------------ nothing is dropped

@pytest.mark.parametrize("src, line", [
    ('goal: keep the disk tidy\n    think "x"\nlog("a")\n', 1),
    ('intent: keep it priority: high\n    think "x"\nlog("a")\n', 1),
    ('goal: "g"\n    think "x"\nlog("a")\n', 1),
    ('workflow w:\n    goal: keep it\n        think "x"\n    log("a")\n', 2),
])
def test_a_goal_with_an_indented_block_is_left_not_emptied(src, line):
    # the goal line became `goal: "..."` and the block under it vanished ("transformed")
    out = migrate_text(src, "gen.aether")
    if out.state == "transformed":
        assert "think(" in out.text, out.text
    else:
        assert out.state == "failed" and out.line == line and "indented block" in out.reason


@pytest.mark.parametrize("src, line", [
    ('for (let f of files) {\n    log(f)\n}\n', 1),
    ('goal: "g"\nfn scan(files) {\n    for (const f of files) {\n        log(f)\n    }\n}\n', 3),
    ('goal: "g"\nfor (f in files) {\n    log(f)\n}\n', 2),
])
def test_a_parenthesised_for_loop_is_left_not_turned_into_an_uncalled_fn(src, line):
    # read as a legacy `NAME {` header it became `fn for_let_f_of_files():`: the loop
    # body moved into a fn nothing calls
    out = migrate_text(src, "gen.aether")
    assert out.state == "failed" and out.line == line and "for (...)" in out.reason


@pytest.mark.parametrize("src, kept", [
    # a `#` comment after a closing brace was copied with its line: `}` and all (AE102)
    ('goal: "g"\nif x {\n    log(1)\n} else {\n    log(2)\n}  # c3\nlog(3)\n', "# c3"),
    ('goal: "g"\nwhile x {\n    log(1)\n}  # w\n', "# w"),
    # the comment of a plugin's header and of its `end` line were dropped
    ('plugin "feedback":  # the header\n  description: "Collects"\n  actions:\n'
     '    - log("x")\n', '  # the header'),
    ('plugin tidy {  // the header\n    description: "Tidy"\n    fn run() {\n'
     '        log("x")\n    }\n}  # closing\n', "# closing"),
    ('plugin "feedback":\n  description: "Collects"\n  actions:\n    - log("x")\n'
     'end  # closing\n', "# closing"),
])
def test_a_comment_on_a_closing_or_plugin_header_line_is_kept(src, kept):
    out = migrate_text(src, "gen.aether")
    assert out.state == "transformed", out.reason
    assert kept in out.text and count_comments(out.text) == count_comments(src), out.text
    assert not [f for f in check_text(out.text, "a.aether").findings
                if f.status == Status.PARSE_ERROR]


@pytest.mark.parametrize("src, kept", [
    # a comment inside a block header's brackets was taken by the first call of the body,
    # which, written on one line, dropped it
    ('goal: "g"\nfn work( // c\nx):\n    try:\n        log(1)\n    catch e:\n'
     '        log(e)\n    return x\n', "# c\nfn work(x):"),
    ('goal: "g"\nfn work( // c\nx):\n    log(1)\n    return x\n', "# c\nfn work(x):"),
    ('goal: "g"\nif (a && // c\n  b) {\n    log(1)\n}\n', "# c\nif "),
    # M043: the call's own comments around the filter map were dropped
    ('goal: "g"\nx = 1\nb = search_memory_one( // c\n{type: "goal"} // d\n)\n', "# c"),
])
def test_comments_in_header_brackets_and_around_m043_filters_are_kept(src, kept):
    out = migrate_text(src, "gen.aether")
    assert out.state == "transformed", out.reason
    assert kept in out.text and count_comments(out.text) == count_comments(src), out.text
    assert migrate_text(out.text, "gen.aether").state == "unchanged"


def test_a_conversion_that_drops_a_comment_is_refused(monkeypatch):
    # the safety net under M026 (the number of comments never changes): every comment
    # lost above was reported "transformed"; a rule without a place for a comment now
    # leaves the file as it is, with the comment's line
    import aether.migrate.convert as convert_pkg
    from aether.migrate.convert import Conversion

    real = convert_pkg.convert

    def dropping(text, name=None, **kw):
        conv = real(text, name=name, **kw)
        return Conversion(conv.text.replace("  # kept", ""), conv.rules, conv.review,
                          conv.origins)

    src = 'goal: "g"\nx = 1  // kept\ny = 2  // also\n'
    assert migrate_text(src, "gen.aether").state == "transformed"
    monkeypatch.setattr(convert_pkg, "convert", dropping)
    out = migrate_text(src, "gen.aether")
    assert (out.state, out.line) == ("failed", 2) and "comment" in out.reason


@pytest.mark.parametrize("src, line", [
    ('goal: "g"\nfn work(x):\n    x):\n    try:\n        log(1)\n    catch e:\n'
     '        log(e)\n    return x\nitems = [1]\nmatch y {\n    case 1: log("one")\n'
     '    default: log("other")\n}\n', 3),
    ('goal: "g"\nwork x] {\n    log(1)\n}\nif a {\n    log(2)\n}\n', 2),
])
def test_a_stray_closing_bracket_does_not_swallow_the_file_into_a_header(src, line):
    # `x):` read as a legacy header took every line up to the next `{` as its name:
    # `fn x_try_log_1_catch_e_log_e_return_x_items_1_match():`, the code gone
    out = migrate_text(src, "gen.aether")
    assert (out.state, out.line) == ("failed", line), out.text


@pytest.mark.parametrize("src", ['\t# heading\ngoal: "g"\nx = 1\n',
                                 'goal: "g"\nx = 1\n\t# inner\ny = 2\n',
                                 'goal: "g"\nx = 1\n  \t# inner\ny = 2\n'])
def test_a_tab_indented_comment_is_laid_out_once(src):
    # the comment line was copied with its tab; a second run replaced the tab (M027)
    out = migrate_text(src, "gen.aether")
    assert out.state == "transformed" and "\t" not in out.text
    assert migrate_text(out.text, "gen.aether").state == "unchanged"


@pytest.mark.parametrize("src, call", [
    ('goal: "g"\nif x\n    think "disk is filling"\n\t        suggest fix for "disk"\nend\n',
     'think("disk is filling")'),
    ('think "about goals"\n        traits: ["helpful", "curious"]\n', 'think("about goals")'),
    ('goal: "g"\nanalyze data\n    log("y")\n', 'analyze("data")'),
])
def test_a_builtins_command_before_a_deeper_line_stays_a_call(src, call):
    # read as a colonless legacy header, `think "x"` became `fn think_x():` (or a section
    # `think_about_goals:`): the call was gone
    out = migrate_text(src, "gen.aether")
    assert out.state == "transformed" and call in out.text, out.text


def test_a_handlers_parameter_is_a_name_in_its_commands():
    # `when cpu_high(level):` became `fn on_cpu_high(level):`, but its body's commands
    # passed the text "level" (a name stays a name only where the file binds it)
    out = migrate_text('goal: "g"\nwhen cpu_high(level):\n    remember level as "cpu"\n'
                       '    learn from level\n', "gen.aether")
    assert out.state == "transformed"
    assert 'remember(level, tag="cpu")' in out.text and "learn(level)" in out.text, out.text


@pytest.mark.parametrize("src", [
    'goal: "g"\nforeach x in xs {\n    log(x)\n}\n', 'goal: "g"\nunless ok {\n    log(1)\n}\n',
    'goal: "g"\nrepeat 3 times:\n    log(1)\n', 'goal: "g"\nwith open(x) as f:\n    log(f)\n',
    'goal: "g"\nloop {\n    log(1)\n}\n'])
def test_a_loop_of_another_language_is_left_not_made_an_uncalled_fn(src):
    # M009 made `fn foreach_x_in_xs():` (nothing calls it): the loop's body never ran
    out = migrate_text(src, "gen.aether")
    assert (out.state, out.line) == ("failed", 2) and "never run" in out.reason


@pytest.mark.parametrize("src, block", [('goal: "g"\nworkflow w {\n    log(1)\n}\n', "workflow w"),
                                        ('goal: "g"\nsimulate crash\n    log(1)\n',
                                         "simulate crash")])
def test_a_legacy_block_made_a_fn_is_listed_for_review(src, block):
    # it became a fn nothing calls, and the report said nothing (M035 lists its sections)
    out = migrate_text(src, "gen.aether")
    assert out.state == "transformed"
    assert any(block in message and "call it" in message for _, message in out.review)


# ------------------------------------------------------------ a forged check before

def _forged_before(lines):
    from aether.diagnostics import FileResult, Finding

    return FileResult("f", [Finding("AE101", "forged", line, 1) for line in lines], [],
                      None, True)


def test_lines_hidden_by_syntax_errors_are_linear_in_any_order_of_findings():
    """A result cache may list the check before's errors in any order (a forged one, last
    line first, each on a comment line the next one's walk crosses): the lines they hide
    are found in work linear in the file, as for the checker's own (line) order."""
    from aether.migrate.engine import _invisible_lines

    def make(n):
        return 'intent: "x"\n' + "# c\n" * n

    def work(text):
        n = text.count("\n")
        before = _forged_before(range(n, 1, -1))
        return calls(lambda: _invisible_lines(text, before))

    assert _growth(work, make, 300) <= LINEAR


def test_lines_hidden_by_syntax_errors_do_not_depend_on_the_order_of_findings():
    from aether.migrate.engine import _invisible_lines

    text = "  if a:\n# c\n y\nz\n"
    assert _invisible_lines(text, _forged_before([2, 1])) == \
        _invisible_lines(text, _forged_before([1, 2])) == ({1, 2}, False)
