"""`aether migrate` on hostile and unusual legacy shapes (task S6-5).

Work that grew faster than the file (a long run of comments before a command with notes in
its brackets; notes placed by slices of their source lines), a legacy `plugin NAME` line,
`goal(name) { ... }`, and a command whose map argument spans lines with nested maps. Work
is counted, never timed.
"""

from __future__ import annotations

import pytest

from aether.migrate import migrate_text
from aether.migrate import ir
# LINEAR: growth from 2n to 4n over growth from n to 2n (linear 2, quadratic 4)
from test_scaling import LINEAR, calls


def _growth(measure, make, n: int) -> float:
    measure(make(n))  # warm: caches, lazy imports
    c1, c2, c4 = (measure(make(k)) for k in (n, 2 * n, 4 * n))
    return (c4 - c2) / max(1, c2 - c1)


# ------------------------------------------------------------------ item 1: linear time

def _comments_then_noted_command(n: int) -> str:
    # n comment lines, then a command whose brackets hold n lines each with a note
    return ('goal: "g"\n' + "".join(f"# c{k}\n" for k in range(n)) + "setup config: {\n" +
            "".join(f"    a{k}: {k}, // note {k}\n" for k in range(n)) + "    z: 0\n}\n")


def test_a_long_run_of_comments_before_a_noted_command_is_read_once(monkeypatch):
    # each comment of the run was looked for among the command's inner comments (a list
    # search, no call a profile sees): 8,000 + 8,000 lines took 1.5 s of CPU, 4x per
    # doubling. A comparison that calls Python code makes each look-up count.
    def eq(self, other):
        return self is other

    monkeypatch.setattr(ir.Comment, "__eq__", eq)

    def work(text: str) -> int:
        return calls(lambda: migrate_text(text, "a.aether"))

    out = migrate_text(_comments_then_noted_command(3), "a.aether")
    assert out.state == "transformed"
    assert out.text == ('goal: "g"\n# c0\n# c1\n# c2\nsetup(config={\n'
                        '    a0: 0,  # note 0\n    a1: 1,  # note 1\n    a2: 2,  # note 2\n'
                        '    z: 0\n})\n')
    assert _growth(work, _comments_then_noted_command, 300) <= LINEAR


class _CountingText(str):
    """A token's text that counts how often it is hashed or compared."""

    used = 0

    def __hash__(self):
        _CountingText.used += 1
        return str.__hash__(self)

    def __eq__(self, other):
        _CountingText.used += 1
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)


def _many_lengths(s: int) -> str:
    # s entries of s different lengths, then s long entries each with a note
    body = "".join(f"    k{m}: [" + ", ".join("1" for _ in range(m)) + "],\n"
                   for m in range(1, s + 1))
    body += "".join(f"    c{j}: [" + ", ".join("2" for _ in range(s)) + f"], // note {j}\n"
                    for j in range(s))
    return 'goal: "g"\nsetup config: {\n' + body + "    z: 0\n}\n"


def _uses_per_source_token(monkeypatch, s: int) -> float:
    from types import SimpleNamespace

    from aether.migrate.convert import layout as L
    real = L.Layout.place_inner_comments

    def counted(self, stmt, rows, comments):
        kept = self.ctx.code_by_line
        self.ctx.code_by_line = {
            line: [SimpleNamespace(kind=t.kind, text=_CountingText(t.text)) for t in toks]
            for line, toks in kept.items()}
        try:
            return real(self, stmt, rows, comments)
        finally:
            self.ctx.code_by_line = kept

    monkeypatch.setattr(L.Layout, "place_inner_comments", counted)
    _CountingText.used = 0
    text = _many_lengths(s)
    out = migrate_text(text, "a.aether")
    assert out.state == "transformed" and out.text.count("# note") == s
    return _CountingText.used / len(text)


def test_placing_notes_costs_the_same_per_token_whatever_the_line_lengths(monkeypatch):
    # each comment looked up every ending of its source line of a length some line of the
    # call has, each by a slice hashed anew: s lengths and s notes on lines of s values
    # cost s^3 for s^2 tokens (T^1.5). Walking the line back once costs its tokens.
    small = _uses_per_source_token(monkeypatch, 40)
    large = _uses_per_source_token(monkeypatch, 160)
    assert large <= 1.5 * small, (small, large)


# ------------------------------------- item 4: a map argument with nested maps over lines

@pytest.mark.parametrize("legacy, expected", [
    # the entry's map closes on a later line, a comma and the next entry after it: the
    # `{` was read as a block and `, c: 2` as a line of its own ("starts with ','")
    ('setup {\n    b: {\n        c: 1}, c: 2}\n',
     'setup({\n    b: {\n        c: 1\n    },\n    c: 2\n})\n'),
    ('setup config: {\n    b: {\n        c: 1}, c: 2}\n',
     'setup(config={\n    b: {\n        c: 1\n    },\n    c: 2\n})\n'),
    # the comma on the next line
    ('setup {\n    b: {\n        c: 1}\n    , c: 2}\n',
     'setup({\n    b: {\n        c: 1\n    },\n    c: 2\n})\n'),
    # a list value (it became the text "[ 1], c: 2" of a section entry)
    ('setup {\n    b: [\n        1], c: 2}\n',
     'setup({\n    b: [\n        1\n    ],\n    c: 2\n})\n'),
    ('setup "t" {\n    a: {\n        b: {\n            c: 1}}, d: 2}\n',
     'setup("t", {\n    a: {b: {\n        c: 1\n    }},\n    d: 2\n})\n'),
], ids=["command", "keyword", "comma-next-line", "list", "nested"])
def test_a_map_entry_spanning_lines_with_a_comma_after_it_is_a_map(legacy, expected):
    out = migrate_text('goal: "g"\n' + legacy, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == 'goal: "g"\n' + expected
    assert migrate_text(out.text, "a.aether").state == "unchanged"


def test_a_block_whose_first_binding_spans_lines_stays_a_block():
    # no comma after the value: statements, as before
    out = migrate_text('goal: "g"\nwhen ready {\n    x: {\n        a: 1\n    }\n'
                       '    log(x)\n}\n', "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == 'goal: "g"\nfn on_ready():\n    x: {\n        a: 1\n    }\n    log(x)\n'


def test_a_line_starting_with_a_comma_that_continues_nothing_says_so():
    out = migrate_text('goal: "g"\nrun {\n    log("x")\n    , c: 2\n}\n', "a.aether")
    assert out.state == "failed" and out.line == 4
    assert "starts with ','" in out.reason and "continues nothing" in out.reason


def test_nested_map_entries_over_lines_are_read_in_linear_work():
    def make(n: int) -> str:
        return ('goal: "g"\nsetup {\n' + "".join(f"k{i}: {{\n" for i in range(n)) +
                "v: 1" + "}, w: 1" * n + "}\n")

    def work(text: str) -> int:
        return calls(lambda: migrate_text(text, "a.aether"))

    assert migrate_text(make(3), "a.aether").state == "transformed"
    assert _growth(work, make, 20) <= LINEAR


# ------------------------------------------------ item 3: `goal(name) { ... }` is no fn

@pytest.mark.parametrize("legacy", [
    'goal(name) {\n    log "x"\n}\n',
    'let name = "ship"\ngoal(name) {\n    log "x"\n}\n',
    'goal(name):\n    log "x"\n',
    'intent(name) {\n    log "x"\n}\n',
])
def test_a_goal_block_named_by_a_variable_is_refused_not_made_a_fn(legacy):
    # it became `fn goal(name):`, a fn nothing calls: its block never ran, and the goal
    # was lost. A goal is a string in Aether 1.2 (AE318), and the name's value is not
    # known before the file runs.
    out = migrate_text(legacy, "a.aether")
    assert out.state == "failed", out.text
    assert out.line == legacy.split("\n").index(next(
        x for x in legacy.split("\n") if x.startswith(("goal(", "intent(")))) + 1
    assert "legacy goal block" in out.reason and "`name`" in out.reason


def test_a_goal_block_with_its_text_and_an_explicit_fn_goal_are_as_before():
    out = migrate_text('goal("ship") {\n    log "x"\n}\n', "a.aether")
    assert out.text == 'goal: "ship"\nlog("x")\n'
    out = migrate_text('goal: "g"\nfn goal_of(name) {\n    log "x"\n}\n', "a.aether")
    assert out.text == 'goal: "g"\nfn goal_of(name):\n    log("x")\n'


# ------------------------------------------- item 2: `plugin NAME` alone on its line

def _checks_clean(text: str) -> None:
    from aether.checker import check_text
    assert not check_text(text, "a.aether").findings


@pytest.mark.parametrize("legacy, expected", [
    ('plugin tidy\nlog("x")\n',
     'require:\n    plugins:\n        - "tidy"\ngoal: "g"\nlog("x")\n'),
    ('plugin "tidy"\n', 'require:\n    plugins:\n        - "tidy"\ngoal: "g"\n'),
    # its comment goes with the requirement; its calls are then checked as the plugin's
    ('plugin tidy  # the tidier\ntidy.run()\n',
     'require:\n    plugins:\n        - "tidy"  # the tidier\ngoal: "g"\ntidy.run()\n'),
    # a `plugin:` command in the file binds no variable `plugin`
    ('plugin tidy\nplugin: tidy run "x"\n',
     'require:\n    plugins:\n        - "tidy"\ngoal: "g"\ntidy.run("x")\n'),
    ('plugin tidy\nplugin tidy\n', 'require:\n    plugins:\n        - "tidy"\ngoal: "g"\n'),
], ids=["word", "string", "comment", "with-plugin-command", "twice"])
def test_a_plugin_line_alone_becomes_a_plugin_requirement(legacy, expected):
    # it became `plugin("tidy")`, a call of nothing (AE301)
    out = migrate_text('goal: "g"\n' + legacy, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == expected
    assert "M029" in out.rules and any("plugin requirement" in note for _, note in out.review)
    _checks_clean(out.text)
    assert migrate_text(out.text, "a.aether").state == "unchanged"


def test_a_plugin_line_joins_the_files_own_require_block():
    out = migrate_text('goal: "g"\nrequire:\n    plugins:\n        - "other"\nplugin tidy\n',
                       "a.aether")
    assert out.text == 'goal: "g"\nrequire:\n    plugins:\n        - "other"\n        - "tidy"\n'


@pytest.mark.parametrize("legacy, line, words", [
    ('if ready {\n    plugin tidy\n}\n', 3, "all its block holds"),
    ('plugin log\n', 2, "name of a builtin"),
    ('plugin tidy\nimport "lib/other" as tidy\n', 3, "one name and one source"),
    # not "all its block holds", which it is not
    ('x = 1\nplugin "a-b"\n', 3, "rename the plugin by hand"),
], ids=["alone-in-block", "builtin-name", "two-sources", "not-a-name"])
def test_a_plugin_line_that_cannot_be_a_requirement_is_refused_with_its_line(
        legacy, line, words):
    out = migrate_text('goal: "g"\n' + legacy, "a.aether")
    assert out.state == "failed" and out.line == line, (out.state, out.line, out.reason)
    assert words in out.reason


def test_a_plugin_line_calling_the_files_own_plugin_fn_stays_a_call():
    out = migrate_text('goal: "g"\nfn plugin(n) {\n    log(n)\n}\nplugin tidy\n', "a.aether")
    assert out.text == 'goal: "g"\nfn plugin(n):\n    log(n)\nplugin("tidy")\n'


def test_a_plugin_call_is_a_statement_that_lets_its_blocks_imports_be_hoisted():
    # with a fn `plugin`, `plugin tidy` is a call: its block holds more than imports, so
    # the `use` beside it becomes a requirement (it was left there, and refused as alone)
    out = migrate_text('goal: "g"\nfn plugin(n) {\n    log(n)\n}\nif ready {\n'
                       '    use lib/other\n    plugin tidy\n}\n', "a.aether")
    assert out.state != "failed", (out.line, out.reason)
    assert '- "other"' in out.text and 'plugin("tidy")' in out.text, out.text
