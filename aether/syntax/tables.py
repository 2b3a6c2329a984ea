"""The LALR(1) tables of ``grammar/aether.lark``, computed by Lark, as plain data.

Lark analyses the grammar (conflicts are errors: ``strict=True``) and we keep only what
the parse loop in :mod:`aether.syntax.lalr` needs: the action/goto table, the rules with
how their children are passed on (kept, dropped, or spliced from an inlined rule), and the
terminal patterns for the lexer. ``tools/build_parser_tables.py`` stores the result in
``_tables.py`` so a normal run never imports Lark or analyses the grammar; when the
grammar has changed since, the tables are computed here at start-up instead.
"""

from __future__ import annotations

from ..record import SET, FrozenRecord
from ..resources import grammar_path

__all__ = ["Tables", "load_tables", "compute_tables", "grammar_text", "grammar_hash"]

KEEP, DROP, SPLICE = 0, 1, 2

_GRAMMAR: str | None = None


def grammar_text() -> str:
    """The text of ``grammar/aether.lark``."""
    global _GRAMMAR
    if _GRAMMAR is None:
        with open(grammar_path(), encoding="utf-8") as fh:
            _GRAMMAR = fh.read()
    return _GRAMMAR


def grammar_hash() -> str:
    """SHA-256 (hex) of the grammar file: part of cache keys and baseline metadata."""
    from ..digest import sha256  # not hashlib: avoids loading OpenSSL at start-up

    return sha256(grammar_text().encode("utf-8")).hexdigest()


class Tables(FrozenRecord):
    """``states[s][symbol]``: >= 0 shift/goto to that state, < 0 reduce by rule ``~code``.

    ``rules[i]`` is ``(origin, alias, expand1, modes)`` where ``modes`` says for each
    symbol of the expansion whether its value is kept, dropped or spliced.
    ``terminals`` is ``[(name, kind, pattern)]`` with kind "str" or "re"; ``kept`` names
    the terminals whose token some rule keeps as a child (the others, punctuation and
    keywords, are dropped by every rule, so the parser never builds a token object for them).
    """

    __slots__ = _fields = ("grammar_sha256", "states", "rules", "start", "end", "terminals",
                           "kept")
    grammar_sha256: str
    states: tuple[dict, ...]
    rules: tuple[tuple, ...]
    start: int
    end: int
    terminals: tuple[tuple[str, str, str], ...]
    kept: frozenset

    def __init__(self, grammar_sha256, states, rules, start, end, terminals, kept):
        SET(self, "grammar_sha256", grammar_sha256)
        SET(self, "states", states)
        SET(self, "rules", rules)
        SET(self, "start", start)
        SET(self, "end", end)
        SET(self, "terminals", terminals)
        SET(self, "kept", kept)


def compute_tables() -> Tables:
    """Run Lark's LALR analysis on the grammar (imports Lark; tens of milliseconds)."""
    from lark import Lark
    from lark.lexer import Lexer
    from lark.parsers.lalr_analysis import Shift

    class _NoLexer(Lexer):  # the analysis needs a lexer class; ours is not Lark-based
        __future_interface__ = 2

        def __init__(self, conf):
            pass

        def lex(self, state, parser_state):  # pragma: no cover - never lexes
            return iter(())

    lark = Lark(grammar_text(), parser="lalr", lexer=_NoLexer, strict=True,
                maybe_placeholders=False, keep_all_tokens=False)
    table = lark.parser.parser.parser.parse_table
    rules: list[tuple] = []
    kept = frozenset(str(sym.name) for rule in lark.rules for sym in rule.expansion
                     if sym.is_term and not sym.filter_out)

    # Lark numbers states and rules in the order it meets them in sets (which varies from
    # run to run); both are renumbered here in an order fixed by the grammar alone, so the
    # generated file changes only when the grammar does: rules sorted by their text,
    # states by a breadth-first walk from the start state, symbols in name order.
    used = {id(arg): arg for actions in table.states.values()
            for action, arg in actions.values() if action is not Shift}
    ordered = sorted(used.values(), key=lambda r: (
        str(r.origin.name), tuple(str(sym.name) for sym in r.expansion), str(r.alias or "")))
    rule_index = {id(rule): i for i, rule in enumerate(ordered)}
    for rule in ordered:
        modes = tuple(
            DROP if (sym.is_term and sym.filter_out) else
            SPLICE if (not sym.is_term and sym.name.startswith("_")) else KEEP
            for sym in rule.expansion)
        alias = str(rule.alias) if rule.alias else None
        rules.append((str(rule.origin.name), alias, bool(rule.options.expand1), modes))

    start = table.start_states["start"]
    number = {start: 0}
    queue = [start]
    for state in queue:  # grows while it is walked: breadth first
        for symbol, (action, arg) in sorted(table.states[state].items(),
                                            key=lambda item: str(item[0])):
            if action is Shift and arg not in number:
                number[arg] = len(number)
                queue.append(arg)
    end = table.end_states["start"]
    if end not in number:  # pragma: no cover - the end state is reached by a goto
        number[end] = len(number)
    states: list[dict] = [dict() for _ in range(len(number))]
    for state, actions in table.states.items():
        if state not in number:  # pragma: no cover - unreachable states
            continue
        row = states[number[state]]
        for symbol, (action, arg) in sorted(actions.items(), key=lambda item: str(item[0])):
            row[str(symbol)] = number[arg] if action is Shift else ~rule_index[id(arg)]
    terminals = tuple(
        (t.name, t.pattern.type, t.pattern.value if t.pattern.type == "str"
         else t.pattern.to_regexp())
        for t in lark.terminals)
    return Tables(grammar_hash(), tuple(states), tuple(rules), 0, number[end], terminals, kept)


def load_tables() -> Tables:
    """The stored tables when they match the grammar, else freshly computed ones."""
    try:
        from . import _tables
    except ImportError:  # not generated yet
        _tables = None
    if _tables is not None and _tables.GRAMMAR_SHA256 == grammar_hash():
        return Tables(_tables.GRAMMAR_SHA256, _tables.STATES, _tables.RULES, _tables.START,
                      _tables.END, _tables.TERMINALS, _tables.KEPT)
    return compute_tables()
