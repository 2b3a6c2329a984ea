"""Shapes the last review found `aether migrate` getting wrong: code made into something
that never runs, or a comment that broke the conversion.

Each test here failed before its fix: a comment between a brace `try` body and its `catch`
(the migration failed saying the `try` had no `catch`), a bare `goal:` block made an
uncalled `fn goal()`, `goal("text") { ... }` made an uncalled `fn`, `goal: "text" { ... }`
took the block's code as words of the goal, a colon-less `plugin NAME` block made a `fn`
instead of the plugin it declares, and a comment inside the brackets of a command over
several lines went before the statement where the call had a place for it.
"""

from __future__ import annotations

import pytest

from aether.checker import check_text
from aether.codes import Status
from aether.migrate import migrate_text
from aether.migrate.tokens import count_comments


def _parse_errors(text: str) -> list:
    return [f for f in check_text(text, "a.aether").findings
            if f.status == Status.PARSE_ERROR]


def _migrates_to(legacy: str, expected: str):
    """The migration of ``legacy``: transformed into ``expected``, every comment kept."""
    out = migrate_text(legacy, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == expected
    assert count_comments(legacy) == count_comments(out.text)
    return out


def _idempotent(text: str) -> None:
    again = migrate_text(text, "a.aether")
    assert again.state == "unchanged", (again.state, again.reason)


# ------------------------------------------------------------ comments around `catch`
@pytest.mark.parametrize("legacy, expected", [
    ('goal: "g"\ntry {\n    reflect("a")\n} # closing note\ncatch (e) {\n    log("b")\n}\n',
     'goal: "g"\ntry:\n    reflect("a")\n    # closing note\ncatch e:\n    log("b")\n'),
    ('goal: "g"\ntry { // opening\n    reflect("a")\n} // closing\n// own line\n'
     'catch (e) {\n    log("b")\n}\n',
     'goal: "g"\ntry:  # opening\n    reflect("a")\n    # closing\n    # own line\n'
     'catch e:\n    log("b")\n'),
    # and between the catch body and `finally`
    ('goal: "g"\ntry {\n    reflect("a")\n} catch (e) {\n    log("b")\n} // after catch\n'
     'finally {\n    log("c")\n}\n',
     'goal: "g"\ntry:\n    reflect("a")\ncatch e:\n    log("b")\n    # after catch\n'
     'log("c")\n'),
])
def test_a_comment_before_catch_stays_at_the_end_of_the_try_body(legacy, expected):
    out = _migrates_to(legacy, expected)
    assert not _parse_errors(out.text)
    _idempotent(out.text)


def test_a_try_without_catch_still_fails_with_its_reason_after_a_comment():
    out = migrate_text('goal: "g"\ntry {\n    reflect("a")\n} # note\nlog("d")\n', "a.aether")
    assert out.state == "failed"
    assert out.line == 2 and "without `catch`" in out.reason


# ------------------------------------------------------------ a bare `goal:` block
@pytest.mark.parametrize("legacy, word", [
    ('goal:\n    reflect("x")\n    log "y"\n', "goal"),          # was `fn goal()` (M035)
    ('intent:\n    reflect("x")\n    log "y"\n', "intent"),
    ('goal:\n    Reduce memory usage by 25%\nlog "x"\n', "goal"),  # was `fn goal(): Reduce(...)`
    ('goal:\n    text: "Reduce memory"\n    priority: high\nlog "x"\n', "goal"),  # a map goal
    ('goal:\n    - "Reduce memory"\nlog "x"\n', "goal"),
])
def test_a_bare_goal_block_is_refused_with_its_line(legacy, word):
    out = migrate_text(legacy, "a.aether")
    assert out.state == "failed", out.text
    assert out.line == 1
    assert f"`{word}:` has no text and is followed by an indented block" in out.reason


# ------------------------------------------------------------ `goal("text") { ... }`
@pytest.mark.parametrize("legacy, expected, rule", [
    ('goal("Tidy the logs") {\n    reflect("x")\n    log "done"\n}\n',
     'goal: "Tidy the logs"\nreflect("x")\nlog("done")\n', "M002"),
    ('intent("Tidy the logs") {\n    reflect("x")\n}\nlog "after"\n',
     'goal: "Tidy the logs"\nreflect("x")\nlog("after")\n', "M001"),
])
def test_a_goal_block_becomes_the_goal_and_its_statements(legacy, expected, rule):
    out = migrate_text(legacy, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == expected  # no uncalled `fn goal_tidy_the_logs()`
    assert rule in out.rules and "M009" not in out.rules
    assert [line for line, _ in out.review] == [1]
    assert "AE312" not in [f.rule for f in check_text(out.text, "a.aether").findings]
    _idempotent(out.text)


def test_a_goal_block_is_the_files_goal_none_is_added_from_its_heading():
    out = migrate_text('# Heading words here\nlog "a"\ngoal("The real goal") {\n'
                       '    log "b"\n}\n', "a.aether")
    assert out.state == "transformed", out.reason
    assert "M028" not in out.rules
    assert out.text.count("goal:") == 1


@pytest.mark.parametrize("legacy", ['goal("Tidy") { log "x" }\n',
                                    'intent("Tidy") { log "x" }\n'])
def test_a_goal_block_on_one_line_is_refused_not_made_the_text_of_a_call(legacy):
    out = migrate_text(legacy, "a.aether")  # was `goal('("Tidy") { log "x" }')`
    assert out.state == "failed", out.text
    assert out.line == 1 and "followed by a block on the same line" in out.reason


def test_a_goal_block_inside_a_block_is_refused_with_its_line():
    out = migrate_text('goal: "g"\nif ready {\n    goal("inner") {\n        log "x"\n'
                       '    }\n}\n', "a.aether")
    assert out.state == "failed"
    assert out.line == 3 and "inside another block" in out.reason


# ------------------------------------------------------------ `plugin NAME` without colon
@pytest.mark.parametrize("legacy, expected", [
    # code under it: the plugin's body, unwrapped as `plugin tidy:` is (was `fn plugin_tidy()`)
    ('goal: "g"\nplugin tidy\n    reflect("a")\n    log "b"\n',
     'goal: "g"\nmeta:\n    plugin: "tidy"\nreflect("a")\nlog("b")\n'),
    # metadata under it (was a map `plugin_tidy: {...}`); the header's comment stays with it
    ('goal: "g"\nplugin tidy  // the tidier\n    description: "tidy things"\n'
     '    version: "1.0"\n',
     'goal: "g"\nmeta:\n    plugin: "tidy"  # the tidier\n    description: "tidy things"\n'
     '    version: "1.0"\n'),
])
def test_a_colonless_plugin_block_is_a_plugin_declaration(legacy, expected):
    out = _migrates_to(legacy, expected)
    assert {"M004", "M015"} <= set(out.rules) and "M009" not in out.rules
    _idempotent(out.text)
    # the same as the declaration with its colon
    colon = legacy.replace("plugin tidy", "plugin tidy:", 1)
    assert migrate_text(colon, "a.aether").text == out.text


def test_a_plugin_line_with_no_body_is_a_plugin_requirement():
    # it was the command `plugin("tidy")`, which no builtin answers (AE301); the
    # declaration without a body names a plugin the file uses (M029, see
    # test_migrate_unusual_shapes.py)
    out = migrate_text('goal: "g"\nplugin tidy\nlog "x"\n', "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == 'require:\n    plugins:\n        - "tidy"\ngoal: "g"\nlog("x")\n'


@pytest.mark.parametrize("legacy", [
    'goal: "Tidy" {\n    log "x"\n}\n',      # was the goal text '"Tidy" { log "x" }'
    'goal: "Tidy" { log "x" }\n',
    'intent: "Tidy" {\n    log "x"\n}\n',
])
def test_a_goal_text_followed_by_a_brace_block_is_refused_not_made_its_text(legacy):
    out = migrate_text(legacy, "a.aether")
    assert out.state == "failed", out.text
    assert out.line == 1 and "followed by a block" in out.reason


def test_braces_inside_a_goals_words_stay_text():
    out = migrate_text('goal: render {{name}} report\nlog "x"\n', "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text.startswith('goal: "render {{name}} report"\n')


# ------------------------------------------------------------ a comment inside a command
@pytest.mark.parametrize("legacy, expected", [
    # in place: the call has a line that ends as the comment's line did
    ('goal "g"\nnotify "ops", {\n    a: 1, // one\n    b: 2\n}\n',
     'goal: "g"\nnotify("ops", {\n    a: 1,  # one\n    b: 2\n})\n'),
    ('goal "g"\nsetup config: { a: 5000, // five seconds\n    b: 2 }\n',
     'goal: "g"\nsetup(config={\n    a: 5000,  # five seconds\n    b: 2\n})\n'),
    # before the statement: two lines of the call could be the comment's ...
    ('goal "g"\nnotify "ops", [\n    "a", // first\n    "a",\n    "b"\n]\n',
     'goal: "g"\n# first\nnotify("ops", [\n    "a",\n    "a",\n    "b"\n])\n'),
    # ... or a comment has a line of its own (all of the command's comments go together)
    ('goal "g"\nnotify "ops", {\n    // own line\n    a: 1, // one\n    b: 2\n}\n',
     'goal: "g"\n# own line\n# one\nnotify("ops", {\n    a: 1,\n    b: 2\n})\n'),
])
def test_a_comment_inside_a_multiline_command_stays_in_place_where_the_call_allows(
        legacy, expected):
    out = _migrates_to(legacy, expected)
    assert not _parse_errors(out.text)
    _idempotent(out.text)


class _CountingText(str):
    """A token's text that counts the comparisons made with it."""
    compared = 0
    __hash__ = str.__hash__

    def __eq__(self, other):
        _CountingText.compared += 1
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)


def _comparisons_per_comment(monkeypatch, n: int) -> float:
    from types import SimpleNamespace

    from aether.migrate.convert import layout as L
    real = L.Layout.place_inner_comments

    def counted(self, s, rows, comments):
        kept = self.ctx.code_by_line
        self.ctx.code_by_line = {
            line: [SimpleNamespace(kind=t.kind, text=_CountingText(t.text)) for t in toks]
            for line, toks in kept.items()}
        try:
            return real(self, s, rows, comments)
        finally:
            self.ctx.code_by_line = kept

    monkeypatch.setattr(L.Layout, "place_inner_comments", counted)
    _CountingText.compared = 0
    body = "".join(f"    a{k}: {k}, // note {k}\n" for k in range(n))
    migrate_text('goal "g"\nsetup config: {\n' + body + "}\n", "a.aether")
    return _CountingText.compared / n


def test_placing_inner_comments_is_not_a_search_of_every_line_per_comment(monkeypatch):
    # each comment's line was found by comparing it with every line of the call: a
    # 4,000-line map with a note on each line took 2 s of CPU (quadratic)
    small = _comparisons_per_comment(monkeypatch, 100)
    large = _comparisons_per_comment(monkeypatch, 800)
    assert large <= 2 * small + 4, (small, large)
