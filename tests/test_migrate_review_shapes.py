"""Shapes the last review found `aether migrate` getting wrong: code made into something
that never runs, or a comment that broke the conversion.

Each test here failed before its fix: a comment between a brace `try` body and its `catch`
(the migration failed saying the `try` had no `catch`), a bare `goal:` block made an
uncalled `fn goal()`, `goal("text") { ... }` made an uncalled `fn`, and a colon-less
`plugin NAME` block made a `fn` instead of the plugin it declares.
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
    out = migrate_text(legacy, "a.aether")
    assert out.state == "transformed", out.reason
    assert out.text == expected
    assert count_comments(legacy) == count_comments(out.text)
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
