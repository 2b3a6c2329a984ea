"""The migration's comment safety net finds comments without the legacy tokenizer.

``engine._comments`` scans for what ``tokens.tokenize`` makes a COMMENT token (``#``
comments, ``//`` ones unless they read as two slashes after a token, never inside a
string) and gives up where the tokenizer raises LexError. It must agree with the
tokenizer on every text, so that ``_lost_comment`` decides exactly as before: checked on
random texts over the characters that matter, on hand-picked corner cases, and on every
``.aether`` file of the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether.migrate.engine import _comments, _lost_comment
from aether.migrate.tokens import LexError, tokenize

ROOT = Path(__file__).resolve().parent.parent


def _by_tokenizer(text: str):
    try:
        return [(t.line, t.text) for t in tokenize(text) if t.kind == "COMMENT"]
    except LexError:
        return None


# the characters that decide comments and strings, and a few that do not
_ALPHABET = list(" \t\f\v\n#/\"'`\\=af1_$:(\r\u00a0\u2028é")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_scan_equals_tokenizer_on_random_texts(text):
    assert _comments(text) == _by_tokenizer(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([
    "a", " ", "\t", "//", "#", "\n", '"x"', "'y'", '"#"', "'//'", '"', "'", "`", "/=", "/",
    "f", '"\\"', "\\", "=", "x//y", "  // z"]), max_size=25))
def test_scan_equals_tokenizer_on_token_soup(parts):
    text = "".join(parts)
    assert _comments(text) == _by_tokenizer(text)


@pytest.mark.parametrize("text", [
    "", "#", "//", "a//b # c\n", "a////b", "a ///b", " //x", "a /=//b", "x = 1//2//3",
    'x = "a#b" # c\n\n// d', "'\\", "`", "f'x' // y", '"a\\"b" # c', "#a\n  b//c//d # e",
    "a//'x' # y", "a//'x", "a//`", "  \t# lead  \t", "a\f//b", "a\v// b",
])
def test_scan_equals_tokenizer_on_corner_cases(text):
    assert _comments(text) == _by_tokenizer(text)


def test_scan_equals_tokenizer_on_repository_files():
    files = sorted(ROOT.glob("tests/**/*.aether")) + sorted(ROOT.glob("workflows/**/*.aether"))
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
        assert _comments(text) == _by_tokenizer(text), path


def test_lost_comment_names_the_dropped_comment():
    old = "a = 1  # one\nb = 2  // two\nc = 3  # three\n"
    assert _lost_comment(old, "a = 1  # one\nc = 3  # three\n") == 2
    assert _lost_comment(old, "a = 1  # one\nb = 2  # two\nc = 3  # three\n") is None
    assert _lost_comment('x = "unclosed\n', "x = 1\n") is None  # LexError: no verdict


def _cpu(text: str) -> float:
    import time

    best = float("inf")
    for _ in range(5):
        t = time.process_time()
        _comments(text)
        best = min(best, time.process_time() - t)
    return best


def test_scan_of_a_long_line_of_double_slashes_is_linear():
    """`a//a//a...` on one line: every `//` is two slashes, not a comment. The scan read
    the rest of the line for each of them (as a `//[^\\n]*` match, and back to the line's
    start): 8 times the text took 64 times as long (480 KB: 27 s). CPU time, best of 5,
    with a generous margin: linear gives about 8."""
    small, large = "a//" * 5000, "a//" * 40000
    assert _comments("a//" * 100) == _by_tokenizer("a//" * 100) == []
    assert _comments(large) == []
    assert _cpu(large) / max(_cpu(small), 1e-4) < 24
