"""The fast paths of the migration (issue 15 item 3) give exactly what the plain ones gave.

- the converted module is validated once per migration (the M031 probe and the check of
  the result share the findings), and the memo ends with the migration;
- the legacy scan of a file runs once per migration (the check before migration is given
  the scan that told the file is not clean), with the same result as its own scan;
- ``Layout.same_tokens`` rejects a statement whose characters differ, and accepts one
  printed as its source's own characters, without tokenizing it, and answers as the
  token comparison does;
- the rows with required plugins (M031) give what laying them out and rewriting their
  sections again gave.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from aether.checker import CheckOptions, check_text
from aether.migrate.convert import layout
from aether.migrate.convert.context import _Ctx
from aether.migrate.convert.converter import Converter
from aether.migrate.engine import migrate_text
from aether.migrate.tokens import LexError, tokenize
from aether.semantics import validator as V
from aether.syntax import legacy as LG
from test_migrate_parses_once import CASES, _no_memo


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_each_module_validated_once_and_outcome_unchanged(case, monkeypatch):
    text = (case / "before.aether").read_text(encoding="utf-8")
    reference = migrate_text(text, "input.aether")
    calls: Counter = Counter()
    real = V.Validator.validate

    def counting(self, module):
        calls[id(module)] += 1
        return real(self, module)

    monkeypatch.setattr(V.Validator, "validate", counting)
    outcome = migrate_text(text, "input.aether")
    assert calls and max(calls.values()) == 1
    assert not V.memoising()  # the memo ends with the migration
    monkeypatch.setattr(V, "memo_validations", _no_memo)
    plain = migrate_text(text, "input.aether")
    assert outcome.to_dict() == reference.to_dict() == plain.to_dict()
    assert outcome.text == plain.text


def test_validation_memo_keys_on_the_catalogue_and_unbound_switch():
    from aether.syntax import parse

    module = parse("goal: \"g\"\nlog(nope)\n").module
    with V.memo_validations():
        plain = V.validate(module)
        quiet = V.validate(module, report_unbound=False)
        assert V.validate(module) is plain
    assert [f.rule for f in plain] == ["AE302"] and quiet == []


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_the_legacy_file_is_scanned_once(case, monkeypatch):
    text = (case / "before.aether").read_text(encoding="utf-8")
    reference = migrate_text(text, "input.aether")
    calls: Counter = Counter()
    real = LG.scan_legacy

    def counting(t, parses=False):
        calls[t] += 1
        return real(t, parses)

    monkeypatch.setattr(LG, "scan_legacy", counting)
    outcome = migrate_text(text, "input.aether")
    assert calls[text] == 1
    assert outcome.to_dict() == reference.to_dict()


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_check_given_the_scan_is_the_check(case):
    text = (case / "before.aether").read_text(encoding="utf-8")
    given_scan = check_text(text, "x.aether", CheckOptions(), legacy=LG.scan_legacy(text))
    assert given_scan == check_text(text, "x.aether", CheckOptions())


def _converter(src: str) -> Converter:
    return Converter(_Ctx(src, tokenize(src)))


def _reference_same(conv: Converter, first: int, last: int, new_text: str) -> bool:
    src = conv.ctx.tokens(first, last)
    try:
        new = [t for t in tokenize(new_text) if t.kind not in ("NL", "COMMENT", "EOF")]
    except LexError:
        return False
    return [(t.kind, t.text) for t in src] == [(t.kind, t.text) for t in new]


def test_same_tokens_rejects_other_characters_without_tokenizing(monkeypatch):
    conv = _converter('analyze "logs" for errors\n')
    calls = []
    real = layout.tokenize
    monkeypatch.setattr(layout, "tokenize", lambda t: calls.append(t) or real(t))
    assert not conv.same_tokens(1, 1, 'analyze("logs", "errors")')
    assert calls == []
    assert conv.same_tokens(1, 1, 'analyze  "logs" for   errors')
    assert calls  # equal characters: the tokens decide


_PIECES = st.sampled_from(["a", "b", "1", "2s", "80%", "//", "/", "#", " ", "  ", '"x y"',
                           "'z'", "(", ")", ",", ":", ".", "=", "==", "ab", "$v", "\t",
                           "\u00a0", "-", "--", '"', "\\"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join), st.lists(_PIECES, max_size=8).map("".join))
def test_same_tokens_answers_as_the_token_comparison(src, new):
    try:
        conv = _converter(src.replace("\n", " ") + "\n")
    except LexError:
        return
    assert conv.same_tokens(1, 1, new) == _reference_same(conv, 1, 1, new)
    toks = conv.ctx.tokens(1, 1)
    if toks:  # the source's own characters, which are accepted without tokenizing
        own = conv.ctx.text[toks[0].start:toks[-1].end]
        assert conv.same_tokens(1, 1, own) == _reference_same(conv, 1, 1, own)
        assert conv.same_tokens(1, 1, own + new) == _reference_same(conv, 1, 1, own + new)


def test_same_tokens_accepts_the_source_text_without_tokenizing(monkeypatch):
    conv = _converter('x = [1,\n  2]  # two\nlog(x)\n')
    calls = []
    real = layout.tokenize
    monkeypatch.setattr(layout, "tokenize", lambda t: calls.append(t) or real(t))
    assert conv.same_tokens(1, 2, 'x = [1,\n  2]')
    assert conv.same_tokens(3, 3, 'log(x)')
    assert calls == []


_PLUGIN_FILE = '''# Nightly report
# (legacy agent)

identity:
    name: reporter
    level: 3

boot:
    - sysmon.status()
    - log("up")

define run()
    summary = sysmon.collect("disk")
    report.send(summary)
end
'''


@pytest.mark.parametrize("text", [_PLUGIN_FILE, _PLUGIN_FILE.replace("# Nightly", "goal: "
                                                                       "'x'\n# Nightly"),
                                  _PLUGIN_FILE.split("\n", 3)[3]] +
                         [(c / "before.aether").read_text(encoding="utf-8") for c in CASES],
                         ids=["comments", "goal", "bare"] + [c.name for c in CASES])
def test_required_plugins_shift_the_rewrite_as_rewriting_again(text, monkeypatch):
    from aether.migrate.convert import whole_file

    calls = []
    real = whole_file.rewrite_sections

    def counting(ctx, t, origins):
        calls.append(t)
        return real(ctx, t, origins)

    monkeypatch.setattr(whole_file, "rewrite_sections", counting)
    fast = migrate_text(text, "input.aether")
    derived = len(calls) == 1 and {"M031", "M029"} & set(fast.rules)
    monkeypatch.setattr(whole_file, "_require_inserted", lambda *a: None)
    full = migrate_text(text, "input.aether")
    assert fast.to_dict() == full.to_dict() and fast.text == full.text
    if text is _PLUGIN_FILE:
        assert derived and "M034" in fast.rules  # the shortcut ran on a rewritten file


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["x = 1", "// note", "a // b", "f(1) // why", "# hash",
                                 "a//b", "  // indented", "'//' + x", ""]), max_size=6))
def test_slash_comments_answers_as_the_token_scan(lines):
    src = "\n".join(lines) + "\n"
    try:
        conv = _converter(src)
    except LexError:
        return
    n = len(lines) or 1
    for first in range(1, n + 1):
        for last in range(first, n + 1):
            expected = any(t.kind == "COMMENT" and t.text.startswith("//")
                           for t in conv.ctx.tokens(first, last, comments=True))
            assert conv.slash_comments(first, last) == expected


_HEADS = ["", "# Title of the agent\n", "# Title of the agent\n\n", "// legacy title here\n#\n",
          "goal: \"watch\"\n", "# t one\ngoal: 'x'\n\n"]
_BLOCKS = ["identity:\n    name: scout\n    mode: fast\n",
           "boot:\n    - sysmon.status()\n    - log(\"up\")\n",
           "memory: persistent\n",
           "settings:\n  retries: 3\n  tags:\n    - a\n    - b\n",
           "checks:\n    using: agent.scan()\n    limit: 3\n",
           "on_error:\n    - notify.send(\"ops\")\n",
           "x = report.build(1)\nreport.send(x)\n",
           "define go()\n    store.save(\"k\")\nend\n",
           "if level > 2\n    alert.raise(\"hi\")\nend\n",
           "  weird:  indent\n", "import \"tools/x\" as helper\nhelper.run()\n",
           "\n", "# a comment\n"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_HEADS), st.lists(st.sampled_from(_BLOCKS), min_size=1, max_size=6))
def test_required_plugins_property(head, blocks):
    """Files with headers, sections and plugin calls: the rows with required plugins give
    what laying out and rewriting them again gives."""
    from aether.migrate.convert import whole_file

    text = head + "".join(blocks)
    fast = migrate_text(text, "input.aether")
    real = whole_file._require_inserted
    try:
        whole_file._require_inserted = lambda *a: None
        full = migrate_text(text, "input.aether")
    finally:
        whole_file._require_inserted = real
    assert fast.to_dict() == full.to_dict() and fast.text == full.text
