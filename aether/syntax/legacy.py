"""Recognise constructs of the older dialects (LANGUAGE.md section 6) in source text.

Each hit is a :class:`LegacyHit` with its own rule id (AE2xx, status PARSE_ERROR) and the
hint to run ``aether migrate``, reported even where the grammar could read the line as
something else (``intent: "x"`` as a binding, ``end`` as a name). The scan is one
multi-line regular expression over the text, so clean files cost almost nothing.
Whole-file dialects (brace, YAML-style plugins) are reported once, at their first line.
"""

from __future__ import annotations

import re

from ..record import SET, FrozenRecord

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Iterator

__all__ = ["LegacyHit", "scan_legacy", "MIGRATE_HINT"]

MIGRATE_HINT = "run `aether migrate` to convert this file to Aether 1.2"

# One alternative per construct; the group name picks the rule (see _RULES).
_PATTERNS = [
    ("intent", r"intent[ \t]*:"),
    ("goal_nocolon", r"goal[ \t]+[\"']"),
    # goal text of several bare words (a lone name, call or number is a validation matter)
    ("goal_unquoted", r"goal[ \t]*:[ \t]*(?![\"'#\s])(?=[A-Za-z][^\n#]*[ \t][^\s#])"
                      r"(?![A-Za-z_][\w.]*\(.*\)[ \t]*(?:#.*)?$)[^\n]*\S"),
    ("define", r"define[ \t]+[A-Za-z_]\w*[ \t]+as\b"),
    ("end", r"end[ \t]*(?:#.*)?$"),
    ("when_event", r"(?:when[ \t]+[^\s:\-][^:\n]*|on[ \t]+(?:event\b|[A-Za-z_]\w*[ \t]+)[^:\n]*):"
                   r"[ \t]*(?:#.*)?$"),
    ("brace_plugin", r"plugin[ \t]+[\w.\-]+[ \t]*\{"),
    # `return {` opens a map, not a block: `return` is a reserved word in every dialect
    ("brace_block", r"(?!return\b)[A-Za-z_]\w*[ \t]*\{[ \t]*(?:#.*)?$"),
    ("let", r"let[ \t]+[A-Za-z_]\w*[ \t]*="),
    ("yaml_plugin", r"plugin[ \t]+[\"'][^\"'\n]*[\"'][ \t]*:"),
    ("remember_as", r"(?:[A-Za-z_]\w*[ \t]*=[ \t]*)?remember\b[^\n]*\bas[ \t]+[\"']"),
    ("recall_tag", r"(?:[A-Za-z_]\w*[ \t]*=[ \t]*)?recall[ \t]+[A-Za-z_]\w*[ \t]*:"),
    ("bare_command", r"(?:think|suggest|reflect[ \t]+on|learn[ \t]+from|analyze|verify"
                     r"|optimize|adapt)[ \t]+[^\s=:(][^\n]*"),
    # (arguments, not the spaces before a comment: `plugin: name  # note` is a binding)
    ("plugin_command", r"plugin[ \t]*:[ \t]*[A-Za-z_][\w.]*(?:[ \t]+[^\s#][^\n#]*"
                       r"|[ \t]*\([^\n]*)"),
    ("agent_switch", r"agent[ \t]*:[ \t]*(?:on|off)\b"),
    # brace-dialect control flow (`if c {`, `for x in xs {`, `} else {`): AE209, not AE205
    ("brace_control", r"(?:\}[ \t]*)?(?:if|elif|else|while|for|try|catch|fn)\b[^\n#]*\{[ \t]*"
                      r"(?:#.*)?$"),
    ("colonless_header", r"(?:(?:if|elif|while)[ \t]+[^\n#]*[^:\s#]|for[ \t]+[A-Za-z_]\w*[ \t]+"
                         r"in[ \t]+[^\n#]*[^:\s#]|else|try|workflow|meta|policy|require"
                         r"|parallel|transaction|on_error|steps|plugin_contract)[ \t]*(?:#.*)?$"),
    ("dash_when", r"-[ \t]*when[ \t]+[A-Za-z_]"),
    ("do_nocolon", r"do[ \t]+[A-Za-z_][\w.]*[ \t]*\("),
]

_RULES = {
    "intent": ("AE201", "`intent:` is the old name of `goal:`"),
    "goal_nocolon": ("AE202", "`goal` needs a colon: `goal: \"...\"`"),
    "goal_unquoted": ("AE203", "goal text is not quoted"),
    "define": ("AE208", "`define x as y` is written `x: y` in Aether 1.2"),
    "end": ("AE206", "blocks end by dedenting; `end` is from the colon-and-end dialect"),
    "when_event": ("AE207", "event handlers (`when EVENT:`, `on event \"x\":`) are not Aether 1.2"),
    "brace_plugin": ("AE209", "brace-dialect plugin (`plugin NAME { ... }`)"),
    "brace_block": ("AE209", "brace-delimited block (`name { ... }`)"),
    "let": ("AE209", "`let x = ...` is brace-dialect; write `x: ...`"),
    "yaml_plugin": ("AE210", "YAML-style plugin (`plugin \"name\":`)"),
    "remember_as": ("AE211", "memory sugar `remember ... as \"tag\"`; write `memory: remember(...)`"),
    "recall_tag": ("AE211", "memory sugar `recall tag: ...`; write `memory: recall(...)`"),
    "bare_command": ("AE212", "bare command; commands are calls in Aether 1.2"),
    "plugin_command": ("AE212", "`plugin: name args` command; call the plugin function instead"),
    "agent_switch": ("AE212", "`agent: on|off` command is not Aether 1.2"),
    "brace_control": ("AE209", "brace-delimited block (`if c { ... }`)"),
    "colonless_header": ("AE205", "block header without its colon"),
    "dash_when": ("AE213", "`- when X` needs colons: `- when: X`"),
    "do_nocolon": ("AE213", "`do call()` needs a colon: `do: call()`"),
}

# Constructs the grammar accepts as canonical Aether 1.2 (a binding named `intent`, a
# `plugin:` binding...). Every other legacy construct is a syntax error too, so a file that
# parses cleanly needs only this small scan; the full one (costly to compile, a few
# milliseconds of start-up) runs only for files that have syntax errors.
_PARSEABLE = ("intent", "plugin_command", "agent_switch")
_SCAN_PARSEABLE = None
_SCAN_FULL = None
_CANDIDATES = None
_ELSEWHERE: dict[str, re.Pattern] = {}
# Where the full scan can match: a newline, then a line whose first word (or '}' / '-')
# and what follows it could start one of _PATTERNS. A necessary condition only (the full
# scan then matches each candidate line), but cheap to search for: it starts with a
# literal (which the regular expression engine finds fast, where `^` is tried at every
# character) and never backtracks over a line. The full scan alone tried ~20 alternatives
# at every line, some backtracking over the whole line: 1.2 us per line, most of what
# made files with syntax errors (which need it) check slower than clean ones.
# The words are laid out as a tree on their first letters: every alternative of the
# outer group opens with a literal character, which the engine compares before it enters
# the alternative, so a line costs about one comparison per letter (a flat list of
# words, and a last alternative matching any word, cost two and a half times as much).
# The two constructs that need not open with a known word, `name {` and `name = remember
# ...`, are found apart (_CANDIDATE_BRACE, _CANDIDATE_MEMORY). tests/test_error_path.py
# compares the candidates with the full scan on generated lines.


def _colonless(n: int) -> str:
    """A space, then a header's code (up to a comment) that does not end in ':' (+ up to
    2 blanks); the rest of the line is matched atomically (a lookahead capture ``_c<n>``,
    then a backreference)."""
    return rf"[ \t](?=(?P<_c{n}>[^\n#]*))(?P=_c{n})(?<!:)(?<!:[ \t])(?<!:[ \t][ \t])"


_ALONE = r"[ \t]*(?:#|$)"  # a word alone on its line (+ a comment): a colonless header
_CANDIDATE = (
    r"\n(?=(?P<_i>[ \t]*))(?P=_i)(?:"
    r"a(?:gent[ \t]*:|nalyze[ \t]|dapt[ \t])"
    r"|d(?:efine|o)[ \t]"
    rf"|e(?:nd{_ALONE}|lse{_ALONE}|lif{_colonless(0)})"
    rf"|for{_colonless(1)}"
    r"|goal[ \t]*(?:[\"']|:[ \t]*[^\"'#\s])"
    rf"|i(?:ntent[ \t]*:|f{_colonless(2)})"
    r"|le(?:t|arn)[ \t]"
    rf"|meta{_ALONE}"
    rf"|o(?:n[ \t]|ptimize[ \t]|n_error{_ALONE})"
    rf"|p(?:lugin\b|olicy{_ALONE}|arallel{_ALONE}|lugin_contract{_ALONE})"
    rf"|re(?:call[ \t]|flect[ \t]|member\b|quire{_ALONE})"
    rf"|s(?:uggest[ \t]|teps{_ALONE})"
    rf"|t(?:hink[ \t]|ry{_ALONE}|ransaction{_ALONE})"
    r"|verify[ \t]"
    rf"|w(?:hen[ \t]|hile{_colonless(3)}|orkflow{_ALONE})"
    r"|\}|-[ \t]*when[ \t])"
)
# The rest of the full scan's constructs, each found by what it must hold anywhere on its
# line: a '{' that ends it (before a comment: brace_block, brace_control) and the words of
# remember_as / recall_tag after `name =` (with the '=': the calls `remember(...)` of
# Aether 1.2 are no candidates). Their lines are candidates too. Two patterns, each
# opening with its own literal (an alternation of both stopped at every 'r').
_CANDIDATE_BRACE = r"\{[ \t]*(?:#|$)"
_CANDIDATE_MEMORY = r"=[ \t]*re(?:member|call)\b"
# Where the scan of a text that parses can match (its constructs, _PARSEABLE, each start a
# line with one of these words): a newline, then the line's indentation (atomically).
_CANDIDATE_PARSEABLE = r"\n(?=(?P<_i>[ \t]*))(?P=_i)(?:intent|plugin|agent)"
_CANDIDATES_PARSEABLE = None
# Words that make the full scan worthwhile; a file with none of them is skipped at once.
_TRIGGER_WORDS = (r"\b(?:intent|goal|define|end|when|on|plugin|let|remember|recall|think"
                  r"|suggest|reflect|learn|analyze|verify|optimize|adapt|agent|if|elif"
                  r"|while|for|else|try|workflow|meta|policy|require|parallel|transaction"
                  r"|on_error|steps|plugin_contract|do)\b|\{")


def _compile(names) -> re.Pattern:
    wanted = [(n, p) for n, p in _PATTERNS if n in names]
    # The indentation is matched atomically (a lookahead capture, then a backreference: a
    # possessive `[ \t]*+` that Python 3.10 can read). Plain `[ \t]*` would give back one
    # character at a time and retry every alternative, quadratic in the indentation.
    return re.compile(r"^(?=(?P<_indent>[ \t]*))(?P=_indent)(?:"
                      + "|".join(f"(?P<{n}>{p})" for n, p in wanted) + ")", re.M)


# A string, a comment or a bracket: enough to follow bracket depth (strings and comments
# hold no newline: the lines a bracket spans are the newlines between it and its close).
# Each bracket is an alternative of its own: alternatives that all start with a literal
# character let the regular expression engine skip to the next one of those characters
# (a class `[()\[\]]` among them made it try every alternative at every character).
_STRINGS = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\\\n]*(?:\\.[^\'\\\n]*)*\''  # as the lexer
# (pattern strings: re compiles and caches them on first use, not at start-up)
_BRACKET_TOKENS = _STRINGS + r"|#[^\n]*|\(|\)|\[|\]"


def _bracket_lines(text: str) -> tuple[set[int], set[int]]:
    """Lines that start inside ``(``/``[`` brackets, and lines that end with one still open.

    Line-based patterns mean nothing on a continuation line (``end`` as the last argument
    of a call), and a header whose condition continues in brackets has its colon later.
    Braces are not counted: in the brace dialect they delimit blocks.
    """
    inside: set[int] = set()
    open_at_end: set[int] = set()
    depth = 0
    line, counted = 1, 0  # `line` is the line of offset `counted`
    opened = 0  # where the outermost open bracket is
    # Only brackets change the depth, and the newlines between an outermost bracket and
    # its close are counted at once: a token per newline too was a third of the walk.
    count = text.count
    for m in re.finditer(_BRACKET_TOKENS, text):
        c = m.group()
        if c == "(" or c == "[":
            if not depth:
                opened = m.start()
            depth += 1
        elif (c == ")" or c == "]") and depth:
            depth -= 1
            if not depth:
                line = _spanned(count, opened, m.start(), line, counted, inside,
                                open_at_end)
                counted = opened
    if depth:
        _spanned(count, opened, len(text), line, counted, inside, open_at_end)
    return inside, open_at_end


def _spanned(count, start: int, end: int, line: int, counted: int, inside: set[int],
             open_at_end: set[int]) -> int:
    """File the lines ended by a newline in ``text[start:end]`` (``count`` is the text's
    ``count``; ``line`` is the line of offset ``counted``, at or before ``start``) under
    ``open_at_end`` and the lines after them under ``inside``; returns the line of
    ``start``."""
    line += count("\n", counted, start)
    k = count("\n", start, end)
    if k:
        open_at_end.update(range(line, line + k))
        inside.update(range(line + 1, line + k + 1))
    return line


def _scanner(parses: bool) -> re.Pattern:
    global _SCAN_PARSEABLE, _SCAN_FULL
    if parses:
        if _SCAN_PARSEABLE is None:
            _SCAN_PARSEABLE = _compile(_PARSEABLE)
        return _SCAN_PARSEABLE
    if _SCAN_FULL is None:
        _SCAN_FULL = _compile([n for n, _ in _PATTERNS])
    return _SCAN_FULL


def _matches(text: str, parses: bool) -> Iterator[re.Match]:
    """The matches of the scan for ``parses`` in ``text``, in order: those of
    ``_scanner(parses).finditer(text)``. No match spans a newline and each starts a line,
    so the scan is tried only at the first line and at each line of _CANDIDATE and of
    _CANDIDATE_BRACE and _CANDIDATE_MEMORY (of _CANDIDATE_PARSEABLE for a text that
    parses)."""
    global _CANDIDATES, _CANDIDATES_PARSEABLE
    scan = _scanner(parses)
    if parses:
        # every parseable construct starts its line with `intent`, `plugin` or `agent`:
        # `^` (re.M) was tried at every character of the text, a migrated file's check
        # after had to scan whole since it lists its plugins
        if _CANDIDATES_PARSEABLE is None:
            _CANDIDATES_PARSEABLE = re.compile(_CANDIDATE_PARSEABLE)
        candidates = _CANDIDATES_PARSEABLE
    else:
        if _CANDIDATES is None:
            _CANDIDATES = re.compile(_CANDIDATE, re.M)
        candidates = _CANDIDATES
    match = scan.match
    m = match(text)
    if m:
        yield m
    if not parses:
        extra = []
        if "{" in text:
            extra.append(_CANDIDATE_BRACE)
        if "remember" in text or "recall" in text:
            extra.append(_CANDIDATE_MEMORY)
        if extra:
            yield from _matches_merged(text, candidates, match, extra)
            return
    for c in candidates.finditer(text):
        m = match(text, c.start() + 1)
        if m:
            yield m


def _matches_merged(text: str, candidates: re.Pattern, match,
                    extra: list[str]) -> Iterator[re.Match]:
    """The full scan's matches at the lines of ``candidates`` and of the patterns
    ``extra`` (but the first line), in order, each line once."""
    rfind = text.rfind
    find = text.find
    starts = {c.start() + 1 for c in candidates.finditer(text)}
    for pattern in extra:
        found = _ELSEWHERE.get(pattern)
        if found is None:
            found = _ELSEWHERE[pattern] = re.compile(pattern, re.M)
        search = found.search
        # one hit a line, the search then going on at the next line: a search back to the
        # line's start for each hit was quadratic in a line holding thousands of them
        pos = 0
        while True:
            c = search(text, pos)
            if c is None:
                break
            starts.add(rfind("\n", pos, c.start()) + 1 or pos)  # (pos starts a line)
            pos = find("\n", c.end()) + 1
            if not pos:
                break
    starts.discard(0)  # the first line: matched already
    for start in sorted(starts):
        m = match(text, start)
        if m:
            yield m


_WHOLE_FILE = {"AE209", "AE210"}


class LegacyHit(FrozenRecord):
    """One legacy construct: rule, message, line, columns (end exclusive)."""

    __slots__ = _fields = ("rule", "message", "line", "column", "end_column")
    rule: str
    message: str
    line: int
    column: int
    end_column: int

    def __init__(self, rule, message, line, column, end_column):
        SET(self, "rule", rule)
        SET(self, "message", message)
        SET(self, "line", line)
        SET(self, "column", column)
        SET(self, "end_column", end_column)


def scan_legacy(text: str, parses: bool = False) -> list[LegacyHit]:
    """Every legacy construct in ``text`` (normalised newlines), in source order.

    ``parses=True`` says the text has no syntax errors, so only constructs that the
    grammar accepts need looking for (a faster scan with the same result).

    Brace-dialect and YAML-plugin files are reported once (their first hit): every line of
    such a file is foreign, and one finding with the migrate hint says all there is to say.
    """
    if parses:
        if "intent" not in text and "plugin" not in text and "agent" not in text:
            return []
    elif not re.search(_TRIGGER_WORDS, text):  # compiled on first use, then cached by re
        return []
    hits: list[LegacyHit] = []
    whole_file_seen: set[str] = set()
    line, counted = 1, 0
    for m in _matches(text, parses):
        kind = m.lastgroup
        rule, message = _RULES[kind]
        if rule in _WHOLE_FILE:
            if rule in whole_file_seen:
                continue
            whole_file_seen.add(rule)
        start = m.start(kind)
        line += text.count("\n", counted, start)  # incremental: linear in the text
        counted = start
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        if line_end == -1:
            line_end = len(text)
        hits.append(LegacyHit(rule, message, line, start - line_start + 1,
                              line_end - line_start + 1))
    if hits and not parses and ("(" in text or "[" in text):
        inside, open_at_end = _bracket_lines(text)
        hits = [h for h in hits if h.line not in inside
                and not (h.rule == "AE205" and h.line in open_at_end)]
    if any(h.rule == "AE205" for h in hits):
        # `if x: log(x)` has its colon: the body on the header's line is not the colonless
        # dialect (the parser explains where a body goes).
        lines = text.split("\n")
        hits = [h for h in hits if h.rule != "AE205"
                or not _colon_at_top(lines[h.line - 1][h.column - 1:])]
    return hits


def _colon_at_top(line: str) -> bool:
    """Whether ``line`` has a ':' outside strings and brackets (before any comment)."""
    depth = 0
    for m in re.finditer(_COLON_TOKENS, line):
        tok = m.group()
        if tok[0] == "#":
            return False
        if tok in ("(", "[", "{"):
            depth += 1
        elif tok in (")", "]", "}"):
            depth = max(depth - 1, 0)
        elif tok == ":" and depth == 0:
            return True
    return False


_COLON_TOKENS = _STRINGS + r"|#[^\n]*|[()\[\]{}:]"
