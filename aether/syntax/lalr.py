"""The LALR(1) parse loop: drive Lark's tables over our tokens, building AST nodes on reduce.

Lark's own loop (``ParserState.feed_token``) builds generic trees or calls transformer
callbacks through several wrappers, and looks rules up by hashing Python objects on every
reduce. This loop does the same shift/reduce work with integer-coded tables and one
pre-bound callable per rule, which is most of what makes the checker fast. Children are
passed exactly as Lark would pass them to an inline transformer: ``_``-rules are spliced
into their parent, filtered terminals dropped, ``?rules`` with one child passed through.

The same loop exists compiled (``_speedups.c``, built at install time when a C compiler is
present; docs/benchmarks.md): when it is importable it runs instead of the Python one,
unless the environment variable ``AETHER_PURE_PYTHON`` is set (to anything but ``0`` or
the empty string). Both give the same values and errors (tests/test_compiled_parser.py).
Both can hand each completed top-level statement to a callback instead of keeping it
(``Parser.parse(..., on_item=...)``), so that a large file is checked without its whole
tree (tests/test_streaming_check.py).
"""

from __future__ import annotations

import os

from ..outofmemory import spend
from .tables import KEEP, SPLICE, Tables

if os.environ.get("AETHER_PURE_PYTHON", "") in ("", "0"):
    try:
        from . import _speedups
    except ImportError:  # not built (no C compiler at install time): the Python loop
        _speedups = None
else:
    _speedups = None

if _speedups is not None:
    from ._speedups_hash import SPEEDUPS_SOURCE

    # Built from other sources than these (_speedups.c or the tables changed, no reinstall
    # since): its loop may not match this package's tables and Python loop. Two constant
    # strings compared: nothing is read or hashed at start-up.
    if getattr(_speedups, "SOURCE_HASH", None) != SPEEDUPS_SOURCE:
        import sys

        sys.stderr.write("aether: warning: the compiled parser was built from other sources "
                         "than these (reinstall aether to rebuild it); using the "
                         "pure-Python parser\n")
        _speedups = None

COMPILED = _speedups is not None  # whether parsers use the compiled loop by default


def compiled(name: str):
    """The compiled extension's attribute ``name`` (the legacy tokenizer's
    ``legacy_tokenize``) when the extension is built and selected, as :data:`COMPILED`
    says; None otherwise (not built, ``AETHER_PURE_PYTHON``, other sources): other layers
    choose their compiled code as the parser does."""
    return getattr(_speedups, name, None)

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Iterable, Optional

__all__ = ["Parser", "UnexpectedToken", "Tok", "compiled"]


class Tok:
    """A token a rule keeps: ``type`` (terminal name), ``value`` and its span (1-based, end
    exclusive). The scanner yields the same fields as a plain tuple, in this order."""

    __slots__ = ("type", "value", "line", "column", "end_line", "end_column", "pos")

    def __init__(self, type_, value, pos, line, column, end_line, end_column):
        self.type = type_
        self.value = value
        self.pos = pos
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column

    def __repr__(self) -> str:
        return f"Tok({self.type}, {self.value!r}, {self.line}:{self.column})"


if _speedups is not None:
    # The same fields as a C type: made by the compiled loop at a tenth of the cost (one
    # token type per process, so `isinstance(x, Tok)` holds whichever loop made x).
    Tok = _speedups.Tok  # type: ignore[misc]  # noqa: F811


class UnexpectedToken(Exception):
    """The parser cannot accept ``token`` here; ``expected`` names the terminals it could."""

    def __init__(self, token: Tok, expected: set[str], stack: tuple = ()):
        super().__init__(f"unexpected {token.type} at {token.line}:{token.column}")
        self.token = token
        self.expected = expected
        self.stack = stack  # the parser's state stack at the error (for accepts())


_UNIT, _INLINE, _CALL, _EXPAND1, _PYTHON, _TOKEN = range(6)  # the rule kinds of _speedups.c


def _rule_kind(origin: str, alias, expand1: bool, modes: tuple, builder) -> tuple:
    """``(kind, callback)``: how the compiled loop turns a rule's children into its value,
    the same way as :func:`_make_reducer`'s callable (which _PYTHON rules call)."""
    name = alias or origin
    if origin.startswith("_") and not alias:
        return _INLINE, None
    callback = getattr(builder, name, None)
    if callback is None:  # a pass-through `?rule` without a method: the reducer checks
        return _PYTHON, None
    if expand1 and not alias:
        return _EXPAND1, callback
    return _CALL, callback


def _make_reducer(origin: str, alias, expand1: bool, modes: tuple, builder) -> Callable:
    """A callable turning a rule's child values into its value (node, list to splice, ...)."""
    name = alias or origin
    inline = origin.startswith("_") and not alias
    callback = None if inline else getattr(builder, name, None)
    simple = all(m == KEEP for m in modes)

    keep = [i for i, m in enumerate(modes) if m == KEEP]
    splice = [i for i, m in enumerate(modes) if m == SPLICE]
    if simple:
        def collect(args):
            return args
    elif not splice and len(keep) == 1:
        only = keep[0]

        def collect(args):
            return [args[only]]
    elif not splice:
        def collect(args):
            return [args[i] for i in keep]
    elif not keep and len(splice) == 1:
        # e.g. `_stmt: _simple _NL`: the inlined rule's list is passed on as it is (each
        # reduction makes a fresh list, so sharing it is safe).
        only = splice[0]

        def collect(args):
            return args[only]
    elif modes[0] == SPLICE:
        # e.g. the expansion of `_stmt*`: `__star: __star _stmt`. The list so far is
        # extended in place, as Lark's child filter does, so a run of n items costs O(n),
        # not O(n^2) (a fresh list per item made a 100,000-line file take minutes).
        # Safe because a spliced list is fresh from its reduction and used only here.
        tail = tuple((i, m) for i, m in enumerate(modes) if i and m in (KEEP, SPLICE))

        def collect(args):
            out = args[0]
            for i, mode in tail:
                if mode == KEEP:
                    out.append(args[i])
                else:
                    out.extend(args[i])
            return out
    else:
        def collect(args):
            out = []
            for mode, value in zip(modes, args):
                if mode == KEEP:
                    out.append(value)
                elif mode == SPLICE:
                    out.extend(value)
            return out

    if inline:
        return collect
    if callback is None and not (expand1 and not alias):
        raise LookupError(f"the AST builder has no method for grammar rule '{name}'")
    if expand1 and not alias:
        if callback is None:  # a pure pass-through rule such as `?expr: or_expr`
            def passthrough(args):
                children = collect(args)
                if len(children) != 1:
                    raise LookupError(f"the AST builder has no method for '{name}'")
                return children[0]
            return passthrough
        def reduce_expand1(args):
            children = collect(args)
            if len(children) == 1:
                return children[0]
            return callback(children)
        return reduce_expand1
    if simple:
        return callback

    def reduce(args):
        return callback(collect(args))
    return reduce


class Parser:
    """An LALR parser for the tables, building values with ``builder``'s methods."""

    def __init__(self, tables: Tables, builder, compiled: Optional[bool] = None):
        """``compiled``: use the compiled loop (None: when it is available, see
        ``COMPILED``; True raises ImportError when it is not built)."""
        self.tables = tables
        self.states = tables.states
        self.start = tables.start
        self.end = tables.end
        self.kept = tables.kept
        self.builder = builder
        # A unit rule (``?expr: or_expr`` with its one child kept) leaves the value as it
        # is: its reducer is None and the loop only swaps the state. Expression chains
        # are mostly such rules, so this saves a call and two list edits per level.
        self.reducers = tuple(
            (len(modes),
             None if (expand1 and not alias and modes == (KEEP,)) else
             _make_reducer(origin, alias, expand1, modes, builder),
             origin)
            for origin, alias, expand1, modes in tables.rules)
        self._chains: dict[tuple, int] = {}  # (state below, top state, token) -> state
        self._expected: dict[int, frozenset] = {}  # state -> its terminals (see expected)
        self._top: Optional[tuple] = None  # see top_states (worked out on first use)
        if compiled is None:
            compiled = COMPILED
        if compiled and _speedups is None:
            raise ImportError("the compiled parser (aether.syntax._speedups) is not built")
        self._engine = self._make_engine() if compiled else None
        self.compiled = bool(compiled)

    def _make_engine(self):
        """The compiled loop over these tables (it numbers the symbols and lays the actions
        out in one array itself: done here in Python it cost milliseconds at start-up)."""
        rules = []
        for (size, reducer, origin), rule in zip(self.reducers, self.tables.rules):
            kind, callback = _rule_kind(*rule, self.builder)
            if reducer is None:
                kind, callback = _UNIT, None
            elif kind == _PYTHON:
                callback = reducer
            elif kind == _CALL and rule[3] == (KEEP,):
                kind, callback = self._token_rule(callback)
            rules.append((size, callback, origin, kind, bytes(rule[3])))

        def on_error(tok: tuple, stack: tuple):
            raise UnexpectedToken(Tok(*tok), self.expected(stack[-1]), stack)

        return _speedups.Engine(tuple(self.states), tuple(rules), self.kept, self.start,
                                self.end, on_error)

    def _token_rule(self, callback) -> tuple:
        """``(kind, callback)`` for the compiled loop of a rule of one kept token whose
        method says it makes a node from the token alone (``token_node``, see
        builder.py): the loop makes it with the builder's compiled maker, calling no
        Python (``callback`` still, should the child not be a token). Otherwise
        ``(_CALL, callback)``, as before."""
        spec = getattr(callback, "token_node", None)
        if spec is not None:
            maker = getattr(self.builder, spec[0], None)
            if type(maker) is getattr(_speedups, "Maker", None):
                return _TOKEN, (callback, maker, spec[1])
        return _CALL, callback

    def parse(self, tokens: Iterable[tuple], values: Optional[list] = None,
              on_item: Optional[Callable] = None):
        """The start rule's value for ``tokens`` (the scanner's tuples, ending with
        ``$END``). Raises UnexpectedToken (and whatever ``tokens`` or ``on_item`` raises).

        ``values`` (an empty list) becomes the value stack, so that after an error the
        caller can take what was complete before it (error recovery keeps the top-level
        statements before the error instead of parsing them again). A token a rule keeps
        is a :class:`Tok` there; one every rule drops (``_NL``...) stays a plain tuple.

        ``on_item``: called with each top-level statement as soon as it is complete (in
        order), which is then not kept: the start rule's value has no statements, and a
        large file's tree is never whole in memory (see ``top_states``).
        """
        if on_item is not None and not self.top_states()[0]:
            # a grammar whose start rule is not `_stmt*` repeated: nothing would be handed
            raise LookupError("the grammar's start rule has no repetition to hand on")
        if self._engine is not None:
            if on_item is None:
                return self._engine.parse(tokens, [] if values is None else values)
            return self._engine.parse(tokens, [] if values is None else values, on_item,
                                      self.top_states()[0])
        states = self.states
        end_state = self.end
        kept = self.kept
        Token = Tok
        state_stack = [self.start]
        reducers = self.reducers if on_item is None else self._handing(on_item, state_stack)
        value_stack: list = [] if values is None else values
        push_state = state_stack.append
        push_value = value_stack.append
        chains = self._chains
        row = states[self.start]
        try:
            for tok in tokens:
                ttype = tok[0]
                while True:
                    code = row.get(ttype)
                    if code is None:
                        raise UnexpectedToken(Token(*tok), self.expected(state_stack[-1]),
                                              tuple(state_stack))
                    if code >= 0:
                        push_state(code)
                        push_value(Token(*tok) if ttype in kept else tok)
                        row = states[code]
                        break
                    size, reducer, origin = reducers[~code]
                    if reducer is None:
                        # A chain of unit rules (`?expr: or_expr`, `?or_expr: and_expr`...)
                        # keeps the state below and ends where this token's action is not a
                        # unit reduction: that state depends only on (below, top, token), so
                        # it is worked out once and looked up after that.
                        below = state_stack[-2]
                        key = (below, state_stack[-1], ttype)
                        top = chains.get(key)
                        if top is None:
                            top = states[below][origin]
                            while top != end_state:
                                step = states[top].get(ttype)
                                if (step is None or step >= 0
                                        or reducers[~step][1] is not None):
                                    break
                                top = states[below][reducers[~step][2]]
                            chains[key] = top
                        state_stack[-1] = top
                    else:
                        if size:
                            args = value_stack[-size:]
                            del value_stack[-size:]
                            del state_stack[-size:]
                        else:
                            args = []
                        push_value(reducer(args))
                        top = states[state_stack[-1]][origin]
                        push_state(top)
                    if top == end_state:  # only reached by reducing at $END
                        return value_stack[-1]
                    row = states[top]
        except MemoryError:
            # What the loop built goes before anything else is done (outofmemory.py): the
            # token generator is closed here, with memory free again, not when its frame
            # is freed (closing it allocates: with memory still full, "Exception ignored
            # in generator" went to stderr).
            spend()
            value_stack.clear()
            close = getattr(tokens, "close", None)
            if close is not None:
                close()
            raise
        raise AssertionError("the token stream ended without $END")  # pragma: no cover

    def top_states(self) -> tuple[tuple[int, ...], frozenset]:
        """``(states, rules)``: the states the parser is in right after a reduction by one
        of the start rule's repetitions, and those rules' names. Lark expands
        `start: _NL* _stmt*` into `__start_star_0` and `__start_star_1`; the list value of
        the latter holds the completed top-level statements. The same rules also make the
        statement list of a block (Lark shares one expansion between `_stmt*` and
        `_stmt+`): those reductions go to other states (an LALR state is entered on one
        symbol, from its items' context), so the state after the reduction, not the rule,
        says a list is the top level's. Worked out on first use (not at start-up)."""
        if self._top is None:
            origins = sorted({origin for origin, _, _, _ in self.tables.rules
                              if origin.startswith(("__start_star_", "__start_plus_"))})
            seen = [self.start]  # the states `start` reaches through its repetitions
            for state in seen:  # grows while it is walked
                for origin in origins:
                    goto = self.states[state].get(origin)
                    if goto is not None and goto >= 0 and goto not in seen:
                        seen.append(goto)
            self._top = (tuple(sorted(seen[1:])), frozenset(origins))
        return self._top

    def _handing(self, on_item: Callable, state_stack: list) -> tuple:
        """``reducers`` with those of the start rule's repetitions (see ``top_states``)
        handing their list's items to ``on_item`` and emptying it, when the reduction is
        the top level's (the state below it, left on ``state_stack`` when the reducer is
        called, goes to one of the top states), as the compiled loop does: the normal
        loop pays nothing for it."""
        top_states, origins = self.top_states()
        top = frozenset(top_states)
        states = self.states

        def handing(reducer, origin):
            def reduce(args):
                items = reducer(args)
                if states[state_stack[-1]].get(origin) in top:
                    for item in items:
                        on_item(item)
                    items.clear()  # a fresh list from its reduction, used only here
                return items
            return reduce

        return tuple((size, handing(reducer, origin), origin)
                     if reducer is not None and origin in origins
                     else (size, reducer, origin)
                     for size, reducer, origin in self.reducers)

    def expected(self, state: int) -> set[str]:
        """The terminals with an action in ``state`` (LALR merges lookaheads, so a
        reduction on some of them may still end in an error; see ``accepts``): a new set
        each time, made from the state's terminals found once (every syntax error and each
        probe of error recovery asks, and a row holds the nonterminals too)."""
        found = self._expected.get(state)
        if found is None:
            found = self._expected[state] = frozenset(
                s for s in self.states[state] if s.isupper() or s == "$END")
        return set(found)

    def accepted(self, stack: tuple, types) -> set[str]:
        """The members of ``types`` that :meth:`accepts` holds for from ``stack``: the same
        walk, made once for the types whose actions agree so far (the terminals a state
        reduces on alike share its reductions), not once per type."""
        out: set[str] = set()
        if not stack:
            return out
        states = self.states
        reducers = self.reducers
        end = self.end
        work = [(list(stack), list(types))]
        while work:
            walk, group = work.pop()
            row = states[walk[-1]]
            reductions: dict[int, list[str]] = {}
            for ttype in group:
                code = row.get(ttype)
                if code is None:
                    continue
                if code >= 0:
                    out.add(ttype)
                else:
                    reductions.setdefault(code, []).append(ttype)
            shared = len(reductions) > 1
            for code, alike in reductions.items():
                after = list(walk) if shared else walk  # each reduction on its own copy
                size, reducer, origin = reducers[~code]
                if reducer is None:
                    after[-1] = states[after[-2]][origin]
                else:
                    if size:
                        del after[-size:]
                    after.append(states[after[-1]][origin])
                if after[-1] == end:
                    out.update(alike)
                else:
                    work.append((after, alike))
        return out

    def accepts(self, stack: tuple, ttype: str) -> bool:
        """Whether a token of type ``ttype`` would be shifted from the state ``stack``."""
        states = self.states
        stack = list(stack)
        if not stack:
            return False
        while True:
            code = states[stack[-1]].get(ttype)
            if code is None:
                return False
            if code >= 0:
                return True
            size, reducer, origin = self.reducers[~code]
            if reducer is None:
                stack[-1] = states[stack[-2]][origin]
            else:
                if size:
                    del stack[-size:]
                stack.append(states[stack[-1]][origin])
            if stack[-1] == self.end:
                return True
