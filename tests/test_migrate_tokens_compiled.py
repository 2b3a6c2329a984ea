"""The compiled legacy tokenizer (``legacy_tokenize`` in aether/syntax/_speedups.c) and the
pure-Python one (aether.migrate.tokens._tokenize_python) give the same tokens, every field
and class alike, and the same LexError (message, line, column): on every .aether file under
workflows/ and tests/, on hypothesis-generated texts over a wide alphabet (non-ASCII words,
digits and blanks among them) and on edge cases. The compiled one's steps handed to the
regex are checked by running it with every step handed over. AETHER_PURE_PYTHON=1 selects
the Python tokenizer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from aether.migrate import tokens as T
from aether.syntax import lalr
from test_migrate_speed_tokens import _CHARS

ROOT = Path(__file__).resolve().parent.parent


def _compiler_present() -> bool:
    return any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))


# as tests/test_compiled_parser.py: where a C compiler is present the install builds the
# extension, and its absence is then a broken build rather than a reason to skip
if T._COMPILED is None and (os.environ.get("AETHER_NO_COMPILE", "") not in ("", "0")
                            or os.environ.get("AETHER_PURE_PYTHON", "") not in ("", "0")
                            or not _compiler_present()):
    pytest.skip("the compiled tokenizer is not built or not selected (AETHER_PURE_PYTHON)",
                allow_module_level=True)


def _compiled(text: str, regex_only: bool = False):
    return T._COMPILED(text, T.Tok, T._Scanned, T._MATCH, T._KIND_NAMES, T._bad_string,
                       regex_only)


def _outcome(tokenize, text: str):
    try:
        toks = tokenize(text)
    except T.LexError as exc:
        return ("LexError", exc.message, str(exc), exc.line, exc.column)
    return [(type(t), t.kind, t.text, t.line, t.col, t.start, t.end, t.bol, t.indent)
            for t in toks]


def _same(text: str) -> None:
    want = _outcome(T._tokenize_python, text)
    assert _outcome(_compiled, text) == want
    assert _outcome(lambda s: _compiled(s, regex_only=True), text) == want


def test_tokenize_is_the_compiled_one_when_built():
    assert T._COMPILED is lalr._speedups.legacy_tokenize
    text = "x = 1\n"
    assert _outcome(T.tokenize, text) == _outcome(_compiled, text)


def test_aether_pure_python_selects_the_python_tokenizer():
    code = "import aether.migrate.tokens as t; print(t._COMPILED is None)"
    for value, want in (("1", "True"), ("0", "False")):
        env = dict(os.environ, AETHER_PURE_PYTHON=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        assert out == [want]


_FILES = sorted(p for folder in ("workflows", "tests") for p in (ROOT / folder).rglob("*.aether"))


def test_every_aether_file_of_the_project():
    assert len(_FILES) > 50
    for path in _FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        _same(text)
        _same(text.rstrip("\n"))  # no final newline


_EDGES = [
    "", "\n", "   ", "\t", "x", "x\n", "\n\n  \n", "a//b", "a////b", "a //b", "a// b//c",
    "a//b//c\nx//y", "//c", "  // c  \n", "x = 1 // c", "\tif x:\n\t\ty\n  \tz\n",
    "\t \t x", " \t\f\vx", '"unclosed', "'unclosed", "f\"unclosed", "`tpl`", "x = `",
    '"a\\"b" c', '"a\\\n"', "'it''s'", 'f"x" F\'y\' f', "fx", "$v $ $1", "80% 80%x 80%( 8%%",
    "1ms 1msx 1m 1ms5 1s 1h 1hx 1.5m 1.5mx 1_000ms", "3e5 3e5x 3e 1e+5 1e- 1E-5x 1_e5",
    "0x 0x1F 0X 0x1g 0xg", "1_ 1__ 1_2 12_ab 1a 1.5.6 4. .5", "10_seconds 2sx",
    "a\rb\r\n", "\x00 \x1c\x1d # c \x1c\x1f", "# c \u3000\u00a0\x85", "\u00a0x\u3000y",
    "café naïve ß é1 _é", "\u0663 1\u0663 \u0663s 1.\u0663 1\u0663% 2\u00b2 \u00b2x",
    "1é 1sé 1%é 1e5é 1_é 1.5é", "x\u2028y", "\U0001F600 = 1", "ǅa", "a\u0300b",
    "=== !== ... **= => == != <= >= += -= *= /= %= ++ -- && || ?. ?? -> << >> ** :: ..",
    "= ! * < > + - / % & | ? : . ~ ^ @ ; \\", "x\n  y\n\n    # c\n  z",
]


def test_a_line_of_many_slash_pairs():
    _same("x = " + "a//" * 3000 + "b  // note\n")


@pytest.mark.parametrize("text", _EDGES)
def test_edge_cases(text):
    _same(text)
    _same(text + "\n")
    _same("  " + text)


_WIDE = st.one_of(
    _CHARS,
    st.sampled_from(["\u0663", "1\u0663", "\u00b2", "\u3000", "\x85", "\x1c", "\u2028",
                     "\x00", "\r\n", "\U0001F600", "ǅ", "\u0300", "é1", "1é", "1_", "1_é",
                     "é_", "1.", "e", "E", "+", "e5", "1e+5", "ms", "%", "x//y", "////"]),
    st.characters(max_codepoint=0x3000),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_WIDE, max_size=40).map("".join))
def test_generated_texts(text):
    _same(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_any_text(text):
    _same(text)


def test_other_classes_are_refused():
    class Plain:
        pass

    with pytest.raises(TypeError):
        T._COMPILED("x", Plain, Plain, T._MATCH, T._KIND_NAMES, T._bad_string, False)
    with pytest.raises(TypeError):
        T._COMPILED("x", T.Tok, int, T._MATCH, T._KIND_NAMES, T._bad_string, False)
    with pytest.raises(TypeError):
        T._COMPILED(b"x", T.Tok, T._Scanned, T._MATCH, T._KIND_NAMES, T._bad_string, False)
