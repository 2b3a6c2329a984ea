"""The semantic checks of LANGUAGE.md section 4, over a parsed module, all reported together.

Names, calls and arity are resolved against the catalogue (the builtins of ``stdlib/`` and
the project's tools and ``[inputs]``), the file's ``fn`` definitions and the plugins listed
in ``require:`` (a plugin the catalogue declares offers exactly its declared functions).
Sections are checked for the entries they allow. The validator never mutates the tree and
never prints; it returns :class:`aether.diagnostics.Finding` objects (anchor and content
are filled in by the checker, which has the source text).
"""

from __future__ import annotations

import re

from .. import ast as A
from ..diagnostics import Finding
from ..record import Record
from ..syntax.builder import duration_seconds
from ..syntax.memo import Memo
from .catalogue import Catalogue, Signature, load_catalogue
from .suggest import NameIndex, catalogue_index, hint as _hint

TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Callable, Collection, Iterable, Iterator, Optional

__all__ = ["validate", "validate_required", "memo_validations", "memoising", "Validator",
           "bound_names", "inputs_read", "inputs_in", "CONFIG_SECTIONS", "TOP_SECTIONS"]

RECOVERED = "__aether_recovered__"
CONFIG_SECTIONS = frozenset({"meta", "policy", "require", "plugin_contract"})
TOP_SECTIONS = frozenset({"workflow", "parallel", "transaction", "on_error"}) | CONFIG_SECTIONS
WORKFLOW_KEYS = frozenset({"input", "output", "requires", "name", "description", "version"})
STEP_OPTIONS = frozenset({"as", "retry", "timeout", "requires"})
# `require:` notations, as pattern strings: re compiles them when a file first has a
# `require:` section, not at start-up.
_REQ_RE = (r"^[A-Za-z_][\w.\-]*\s*(?:(?:===|==|!=|~=|>=|<=|>|<)\s*[0-9][0-9A-Za-z.*+!\-]*"
           r"(?:\s*,\s*(?:===|==|!=|~=|>=|<=|>|<)\s*[0-9][0-9A-Za-z.*+!\-]*)*)?$")
_CAP_RE = r"^[a-z_][a-z0-9_]*(?:\.[a-z_*][a-z0-9_*]*)+$"
_LITERALS = (A.Str, A.Int, A.Float, A.Bool, A.Null, A.Duration)
_VALUE_LITERALS = (A.Str, A.Int, A.Float, A.Duration, A.Bool, A.ListExpr, A.DictExpr)


def _suggest(name: str, candidates: Iterable[str]) -> str:
    """``did you mean 'x'?`` for the closest of a small pool of candidates, or ""."""
    return _hint(name, candidates)


class _LazyNames:
    """The did-you-mean index (:class:`NameIndex`), filed only when a suggestion asks for
    it: most files need none, and filing every name of a file cost about a sixth of the
    validator's time. ``update`` queues the names (each source is iterated when the index
    is filed, so it must not change afterwards); ``suggest`` files what is queued, in the
    order it was queued (a set, or a fn's names, in sorted order: see ``suggest``), then
    asks the index. The index therefore holds exactly what an index filled at each
    ``update`` would hold at that moment, so suggestions are the same.
    """

    __slots__ = ("_queued", "_index", "_cat")

    def __init__(self, cat: Catalogue) -> None:
        self._queued: list = []
        self._index: Optional[NameIndex] = None
        self._cat = cat  # its names are the index's base, filed once per catalogue

    def update(self, names: Iterable[str]) -> None:
        self._queued.append(names)

    def suggest(self, name: str, *pools) -> str:
        index = self._index
        if index is None:
            cat = self._cat
            index = self._index = NameIndex(
                base=catalogue_index(cat, _catalogue_names(cat)))
        if self._queued:
            for names in self._queued:
                # a set's order follows the hash seed, and the order of filing decides
                # what a large pool offers: sorted, a file's hints are the same every run
                index.update(sorted(names) if isinstance(names, (set, frozenset, _FnNames))
                             else names)
            self._queued.clear()
        return index.suggest(name, *pools)


class _NoNames:
    """The did-you-mean index of a validation whose hints nobody reads (``hints=False``):
    nothing is queued or filed, and no name is suggested."""

    __slots__ = ()

    def update(self, names: Iterable[str]) -> None:
        pass

    def suggest(self, name: str, *pools) -> str:
        return ""


_NO_NAMES = _NoNames()


class _FnScope(set):
    """A fn body's names: its own (parameters and what it binds) in the set, then the
    file's global names, looked up rather than copied in: a copy per fn made a file with
    many global names and many fns cost their product. The same for the top level and
    the file's global names over the catalogue's inputs (a copy per file made a fleet
    cost files x inputs)."""

    __slots__ = ("globals",)

    def __init__(self, own: Iterable[str], global_names: Collection[str]) -> None:
        super().__init__(own)
        self.globals = global_names

    def __contains__(self, name: object) -> bool:
        return set.__contains__(self, name) or name in self.globals


def _is_literal(e: Optional[A.Expr]) -> bool:
    if isinstance(e, _LITERALS):
        return True
    if isinstance(e, A.ListExpr):
        return all(_is_literal(i) for i in e.items)
    if isinstance(e, A.DictExpr):
        return all(_is_literal(v) for v in e.values)
    return False


def _is_type_hint(e: Optional[A.Expr]) -> bool:
    if isinstance(e, A.Name):
        return True
    if isinstance(e, A.Index) and isinstance(e.value, A.Name):
        idx = e.index
        items = idx.items if isinstance(idx, A.ListExpr) else (idx,)
        return bool(items) and all(_is_type_hint(i) for i in items)
    return False


class _Ctx(Record):
    """Where a statement is: inside a loop, inside a fn."""

    __slots__ = _fields = ("in_loop", "in_fn")

    def __init__(self, in_loop=False, in_fn=False):
        self.in_loop = in_loop
        self.in_fn = in_fn


def _recovered(stmt: A.Stmt) -> bool:
    """Whether ``stmt`` is the placeholder error recovery put where a statement failed."""
    return (isinstance(stmt, A.CallStmt) and isinstance(stmt.call.func, A.Name)
            and stmt.call.func.id == RECOVERED)


def _live(entries: tuple) -> tuple:
    """``entries`` without error recovery's placeholders (which are not entries of a block)."""
    for e in entries:
        if _recovered(e):
            return tuple(x for x in entries if not _recovered(x))
    return entries


def _target_text(target: A.Expr) -> str:
    """``a.b[...]`` for an update target (index expressions elided, literals shown)."""
    root, steps = A.target_steps(target)
    parts = [root.id]
    for step in steps:
        if isinstance(step, A.Member):
            parts.append("." + step.attr)
        elif isinstance(step.index, (A.Str, A.Int)):
            parts.append(f"[{step.index.raw}]")
        else:
            parts.append("[...]")
    return "".join(parts)


def _fn_signature(fn: A.FnDef) -> Signature:
    required = 0
    for i, p in enumerate(fn.params):
        if p.default is None:
            required = i + 1
    return Signature(tuple(p.name for p in fn.params), required)


_BLOCK_FIELDS = {A.If: ("body", "orelse"), A.For: ("body",), A.While: ("body",),
                 A.FnDef: ("body",), A.Try: ("body", "handler"), A.Section: ("body",),
                 A.DashMap: ("entries",)}


def _statements(body: Iterable[A.Stmt]):
    """Every statement in ``body`` and the blocks under it (expressions are not visited)."""
    stack = list(reversed(tuple(body)))
    while stack:
        s = stack.pop()
        yield s
        fields = _BLOCK_FIELDS.get(type(s))
        if fields:
            for name in reversed(fields):
                stack.extend(reversed(getattr(s, name)))


_BINDS = frozenset({A.Binding, A.Assign, A.AugAssign})


def bound_names(body: Iterable[A.Stmt]) -> set[str]:
    """Every name a block binds, at any depth except inside nested ``fn`` bodies."""
    names: set[str] = set()
    _bind_names(body, names.add, names.update)
    return names


def _bind_names(body: Iterable[A.Stmt], add: Callable[[str], object],
                update: Callable[[Iterable[str]], object]) -> None:
    """Give each name ``body`` binds (see :func:`bound_names`) to ``add`` (several at once
    to ``update``), in the order :func:`bound_names` adds them to its set: the last
    statement of ``body`` first, each with the blocks under it (a set's order of iteration
    follows the order its names came in, and suggestions follow that order)."""
    stack = list(body)
    blocks = _BLOCK_FIELDS
    while stack:
        s = stack.pop()
        kind = type(s)
        if kind in _BINDS:
            if kind is A.Assign or s.target is None:  # an update binds no new name
                add(s.name)
            continue
        if kind is A.For:
            add(s.target)
        elif kind is A.Try:
            if s.catch_name:
                add(s.catch_name)
        elif kind is A.Section:
            # A section's keys are not names (`input:` in `workflow:`, `when:` in an
            # on_error rule); sections bind only what the validator binds for them:
            # the tasks of `parallel:` and the step aliases (`as NAME`) of `workflow: steps:`.
            if s.name == "parallel":
                update(e.name for e in s.body
                       if type(e) is A.Binding and e.type_hint is None)
            elif s.name == "workflow":
                for e in s.body:
                    if type(e) is A.Section and e.name == "steps":
                        for d in e.body:
                            if type(d) is A.DashItem:
                                update(o.value.id for o in d.options
                                       if o.name == "as" and type(o.value) is A.Name)
            continue
        elif kind is A.FnDef:
            continue
        fields = blocks.get(kind)
        if fields:
            for name in fields:
                stack.extend(getattr(s, name))


def _own_names(fn: A.FnDef) -> set[str]:
    """A fn's own names: its parameters and what its body binds."""
    return {p.name for p in fn.params} | bound_names(fn.body)


class _FnNames:
    """A fn's own names as a source for the did-you-mean queue, made again (the same set,
    in the same order) if the index is ever filed: the set of every fn, queued, was held
    until the end of the file's check, and most files never file the index."""

    __slots__ = ("fn",)

    def __init__(self, fn: A.FnDef) -> None:
        self.fn = fn

    def __iter__(self) -> Iterator[str]:
        return iter(_own_names(self.fn))


class Validator:
    """One validation run over one module (create a new one per file)."""

    def __init__(self, catalogue: Optional[Catalogue] = None, report_unbound: bool = True,
                 hints: bool = True):
        self.cat = catalogue or load_catalogue()
        self.report_unbound = report_unbound
        # hints=False: no did-you-mean search (a migration's checks whose results are
        # neither kept nor shown; those searches were a twelfth of a migration): a hint that
        # is only a suggestion is then None, one with other text has that text
        self.hints = hints
        self.findings: list[Finding] = []
        self.fns: dict[str, A.FnDef] = {}
        self.plugins: set[str] = set()
        self.tasks: set[str] = set()
        self.global_names: set[str] = _FnScope((), {})
        # the catalogue's names are filed once per catalogue, not once per file, and the
        # file's own only when a suggestion needs them
        self.names = _LazyNames(self.cat) if hints else _NO_NAMES
        self._noted: Optional[tuple] = None  # the first pass's sets while `note` is used
        self._top: Optional[tuple] = None  # the top level's names and context for `check`

    # ------------------------------------------------------------ entry
    def validate(self, module: A.Module) -> list[Finding]:
        self.builtin_typed = self._first_pass(module)
        self._begin(bound_names(module.body),
                    any(isinstance(s, A.Binding) and s.name == "goal" and s.target is None
                        for s in module.body))
        self._block(module.body, _FnScope((), self.cat.inputs), _Ctx())
        return self.findings

    def _begin(self, bound: set[str], has_goal: bool,
               global_names: Optional[_FnScope] = None) -> None:
        """What comes between the first pass and the statements: the file's global names
        (``bound``: what its top level binds; ``global_names``: those as the scope, when
        the caller made it of them already), the did-you-mean queue, AE312."""
        # values the host supplies (the catalogue's [inputs]) are bound from the start;
        # the catalogue's inputs are looked up, not copied: a copy per file made a fleet
        # checked against thousands of inputs cost files x inputs
        self.global_names = _FnScope(bound, self.cat.inputs) if global_names is None \
            else global_names
        # What a did-you-mean may offer in a large pool (fn bodies add their own names;
        # the catalogue's inputs are filed in the index's base)
        self.names.update(bound)
        self.names.update(self.fns)
        self.names.update(self.tasks)
        # one source for every fn's parameters, filed in the same order as one per fn
        # (a generator queued per fn was held until the end of the file's check)
        self.names.update(p.name for fn in self.fns.values() for p in fn.params)
        if not has_goal:
            self.findings.append(Finding(
                "AE312", "the file has no top-level goal", 1, 1, 1, 1,
                hint='add `goal: "what this workflow is for"` at the top', content="<file>"))

    # ------------------------------------------------------------ one statement at a time
    # A large file is validated without its whole tree (aether.checker): it is parsed
    # twice, each top-level statement handed on as soon as it is complete and dropped
    # after. The first parse gives each to `note` (what the checks need from the whole
    # module: fns, tasks, plugins, the names bound and how, the goal), `begin_checks`
    # comes between, and the second gives each to `check`. The findings are those (and
    # in the order) `validate` gives the module of the same statements.
    def note(self, stmt: A.Stmt) -> None:
        """The first pass over one top-level statement (the next in the file)."""
        if self._noted is None:
            # the names whose bindings are all literals / not, the names the top level
            # binds (in the order bound_names meets them, see _bind_names) and where each
            # statement's run of them ends, whether there is a goal
            self._noted = (set(), set(), [], [], [False])
        typed, other, bound, ends, goal = self._noted
        self._note(_statements((stmt,)), typed, other, light=True)
        kind = type(stmt)
        if kind is A.Section and stmt.name == "require":
            self._collect_plugins(stmt)
        elif kind is A.Binding and stmt.name == "goal" and stmt.target is None:
            goal[0] = True
        _bind_names((stmt,), bound.append, bound.extend)
        ends.append(len(bound))

    def begin_checks(self) -> None:
        """After every statement was noted, before the first is checked."""
        typed, other, bound, ends, goal = self._noted or (set(), set(), [], [], [False])
        self._noted = None
        typed -= other
        self.builtin_typed = typed
        # bound_names meets the last statement first: its set is filled in that order (the
        # scope itself: no second set of a large file's names), so it gives them in the
        # order bound_names' set does
        names = _FnScope((), self.cat.inputs)
        for k in range(len(ends) - 1, -1, -1):
            names.update(bound[ends[k - 1] if k else 0:ends[k]])
        del bound[:]
        self._begin(names, goal[0], names)
        self._top = (_FnScope((), self.cat.inputs), _Ctx())

    def check(self, stmt: A.Stmt) -> None:
        """Check one top-level statement (the next in the file); findings in ``findings``."""
        env, ctx = self._top
        self._stmt(stmt, env, ctx)

    def _first_pass(self, module: A.Module) -> set[str]:
        """One pass over the statements (expressions need not be visited): collect the
        fns (AE313 for a second definition), the parallel tasks and the plugins, and
        return the names whose every binding in the file is a literal string, number,
        list or map (a value whose methods are the value methods): never a parameter,
        loop variable, catch name, or bound to anything else (a call's result may be a
        host object). Its working sets end with it (a large file's names)."""
        typed: set[str] = set()
        other: set[str] = set()
        self._note(_statements(module.body), typed, other)
        for s in module.body:
            if type(s) is A.Section and s.name == "require":
                self._collect_plugins(s)
        typed -= other  # in place: no third set of a large file's names
        return typed

    def _note(self, nodes: Iterable[A.Stmt], typed: set[str], other: set[str],
              light: bool = False) -> None:
        """The first pass over ``nodes`` (every statement, nested ones too, in order):
        fns, tasks, and the names bound to literals (``typed``) or not (``other``).
        ``light``: a fn is kept without its body (only its position and parameters are
        read later), so that its tree can go."""
        fns = self.fns
        for node in nodes:
            kind = type(node)
            if kind is A.Binding:
                if node.target is None:
                    (typed if isinstance(node.value, _VALUE_LITERALS) else other).add(
                        node.name)
            elif kind is A.Section:
                if node.name == "parallel":
                    self.tasks.update(s.name for s in node.body if type(s) is A.Binding)
            elif kind is A.FnDef:
                if node.name in fns:
                    self._add("AE313", f"fn '{node.name}' is already defined at line "
                              f"{fns[node.name].line}", node)
                else:
                    fns[node.name] = A.replace(node, body=()) if light else node
                other.update(p.name for p in node.params)
            elif kind is A.Assign:
                (typed if isinstance(node.value, _VALUE_LITERALS) else other).add(node.name)
            elif kind is A.For:
                other.add(node.target)
            elif kind is A.Try:
                if node.catch_name:
                    other.add(node.catch_name)

    def _suggest(self, name: str, candidates: Iterable[str]) -> str:
        """``did you mean 'x'?`` for the closest of a small pool (see :func:`_suggest`), or
        "" (always without hints)."""
        return _hint(name, candidates) if self.hints else ""

    def _add(self, rule: str, message: str, node: A.Node, hint: Optional[str] = None) -> None:
        self.findings.append(Finding(rule, message, node.line, node.column, node.end_line,
                                     node.end_column, hint or None))

    def _collect_plugins(self, section: A.Section) -> None:
        for entry in section.body:
            if getattr(entry, "name", None) != "plugins":
                continue
            for value in self._list_values(entry):
                if isinstance(value, A.Str):
                    m = re.match(r"^\s*([A-Za-z_][\w.\-]*)", value.value)
                    if m:
                        self.plugins.add(m.group(1))

    @staticmethod
    def _list_values(entry: A.Stmt) -> list:
        """Values of a ``key: [...]`` binding or a ``key:`` section of dash items."""
        if isinstance(entry, (A.Binding, A.Assign)):
            if isinstance(entry.value, A.ListExpr):
                return list(entry.value.items)
            return [entry.value]
        if isinstance(entry, A.Section):
            return [d.value for d in entry.body if isinstance(d, A.DashItem)]
        return []

    # ------------------------------------------------------------ statements
    def _block(self, body: Iterable[A.Stmt], env: set[str], ctx: _Ctx):
        for s in body:
            self._stmt(s, env, ctx)

    def _stmt(self, s: A.Stmt, env: set[str], ctx: _Ctx) -> None:
        # one dict lookup by exact type instead of a chain of isinstance tests
        handler = _STMT_HANDLERS.get(type(s))
        if handler is not None:
            handler(self, s, env, ctx)

    def _binding_stmt(self, s: A.Binding, env: set[str], ctx: _Ctx) -> None:
        self._binding(s, env)

    def _call_stmt(self, s: A.CallStmt, env: set[str], ctx: _Ctx) -> None:
        self._run([s.call], env)

    def _if(self, s: A.If, env: set[str], ctx: _Ctx) -> None:
        self._expr(s.test, env)
        self._block(s.body, env, ctx)
        self._block(s.orelse, env, ctx)

    def _for(self, s: A.For, env: set[str], ctx: _Ctx) -> None:
        self._expr(s.iter, env)
        env.add(s.target)
        self._block(s.body, env, _Ctx(True, ctx.in_fn))

    def _while(self, s: A.While, env: set[str], ctx: _Ctx) -> None:
        self._expr(s.test, env)
        self._block(s.body, env, _Ctx(True, ctx.in_fn))

    def _fn_def(self, s: A.FnDef, env: set[str], ctx: _Ctx) -> None:
        for p in s.params:
            if p.default is not None:
                self._expr(p.default, env)
        own = _own_names(s)
        # _FnNames holds the fn and makes its set again when needed; checked one statement
        # at a time, the fn goes after it: its names are queued now, sorted (the same
        # names in the order _LazyNames files the set made again in)
        self.names.update(_FnNames(s) if self._top is None else sorted(own))
        # a fn nested in another reads the enclosing fn's names too (a closure: see
        # docs/runtime.md), then the globals
        local = _FnScope(own, env if ctx.in_fn else self.global_names)
        self._block(s.body, local, _Ctx(False, True))

    def _try(self, s: A.Try, env: set[str], ctx: _Ctx) -> None:
        self._block(s.body, env, ctx)
        if s.catch_name:
            env.add(s.catch_name)
        self._block(s.handler, env, ctx)

    def _assign(self, s: A.Assign, env: set[str], ctx: _Ctx) -> None:
        self._add("AE204", f"`{s.name} = ...` is the reference interpreter's form; write "
                  f"`{s.name}: ...`", s, "run `aether migrate` to convert this file to "
                  "Aether 1.2")
        self._expr(s.value, env)
        env.add(s.name)

    def _aug_assign(self, s: A.AugAssign, env: set[str], ctx: _Ctx) -> None:
        if s.target is not None:
            self._update_target(s.target, env)
        elif s.name not in env:
            self._unbound(s.name, s, env)
        self._expr(s.value, env)

    def _return(self, s: A.Return, env: set[str], ctx: _Ctx) -> None:
        if not ctx.in_fn:
            self._add("AE306", "`return` outside a fn", s)
        if s.value is not None:
            self._expr(s.value, env)

    def _break(self, s: A.Stmt, env: set[str], ctx: _Ctx) -> None:
        if not ctx.in_loop:
            word = "break" if type(s) is A.Break else "continue"
            self._add("AE305", f"`{word}` outside a loop", s)

    def _await(self, s: A.Await, env: set[str], ctx: _Ctx) -> None:
        for name in s.names:
            if name.id not in self.tasks:
                self._add("AE307", f"'{name.id}' is not a task of a `parallel:` block",
                          name, self.names.suggest(name.id, self.tasks) or None)

    def _binding(self, s: A.Binding, env: set[str]) -> None:
        if s.target is not None:
            if s.type_hint is not None:
                self._add("AE314", "an update target takes no type hint: the value it "
                          "replaces has no declared type", s.type_hint,
                          f"write `{_target_text(s.target)}: value`")
            self._update_target(s.target, env)
            self._expr(s.value, env)
            return
        if s.name == "goal":
            if not isinstance(s.value, A.Str):
                self._add("AE318", "goal must be a string", s.value,
                          'write `goal: "..."`')
            elif not s.value.value.strip():
                self._add("AE318", "goal must not be empty", s.value)
            return
        if s.name == "memory":
            if not isinstance(s.value, A.Call):
                self._add("AE318", "`memory:` takes a call such as `remember(...)`", s.value)
                self._expr(s.value, env)
            else:
                self._call(s.value, env)
            return
        if s.type_hint is not None and not _is_type_hint(s.type_hint):
            self._add("AE314", "a type hint is `Name` or `Name[Arg, ...]`", s.type_hint)
        self._expr(s.value, env)
        env.add(s.name)

    def _update_target(self, target: A.Expr, env: set[str]) -> None:
        """``a.b["k"]`` before ``:`` / ``+=``: ``a`` must be a bound value (a function or
        plugin name is not one), and the index expressions are checked like any other."""
        root, steps = A.target_steps(target)
        if root.id not in env:
            self._unbound(root.id, root, env)
        for step in steps:
            if isinstance(step, A.Index):
                self._expr(step.index, env)

    def _targets_in_section(self, s: A.Section) -> tuple:
        """Report the update targets among the entries of ``s`` (at any depth: a section's
        entries are keys, not statements) and return its body without them."""
        dropped: set[int] = set()
        stack: list = list(reversed(s.body))
        while stack:
            e = stack.pop()
            if isinstance(e, (A.Binding, A.AugAssign)) and e.target is not None:
                self._add("AE318", f"`{_target_text(e.target)}` updates a value; the entries "
                          f"of `{s.name}:` are `key: value`", e.target)
                dropped.add(id(e))
            elif isinstance(e, A.Section):
                stack.extend(reversed(e.body))
            elif isinstance(e, A.DashMap):
                stack.extend(reversed(e.entries))
        if not dropped:
            return s.body
        return tuple(e for e in s.body if id(e) not in dropped)

    # ------------------------------------------------------------ sections
    def _section(self, s: A.Section, env: set[str], ctx: _Ctx) -> None:
        body = self._targets_in_section(s)
        if body is not s.body:
            s = A.replace(s, body=body)
        body = _live(s.body)  # error recovery's placeholders are not entries
        if body is not s.body:
            s = A.replace(s, body=body)
        name = s.name
        if name == "policy":
            self._policy(s)
        elif name in ("meta", "plugin_contract"):
            self._literal_block(s)
        elif name == "require":
            self._require(s)
        elif name == "workflow":
            self._workflow(s, env)
        elif name == "parallel":
            for e in s.body:
                if isinstance(e, A.Binding) and e.type_hint is None:
                    self._expr(e.value, env)
                    env.add(e.name)
                else:
                    self._add("AE318", "`parallel:` entries are `name: call(...)`", e)
        elif name == "transaction":
            for e in s.body:
                if isinstance(e, A.DashItem) and isinstance(e.value, A.Call) and not e.options:
                    self._call(e.value, env)
                else:
                    self._add("AE318", "`transaction:` entries are `- call(...)`", e)
        elif name == "on_error":
            self._on_error(s, env)
        else:
            self._add("AE315", f"unknown section '{name}:'", s,
                      self._suggest(name, TOP_SECTIONS) or
                      "sections are " + ", ".join(sorted(TOP_SECTIONS)))

    def _dup_keys(self, entries: Iterable[A.Stmt], where: str) -> None:
        seen: dict[str, A.Stmt] = {}
        for e in entries:
            key = getattr(e, "name", None)
            if not isinstance(e, (A.Binding, A.Assign, A.Section)) or key is None:
                continue
            if key in seen:
                self._add("AE321", f"'{key}' is given twice in {where} (first at line "
                          f"{seen[key].line})", e)
            else:
                seen[key] = e

    def _literal_block(self, s: A.Section) -> None:
        self._literal_entries(_live(s.body), s.name, f"`{s.name}:`")

    def _literal_entries(self, entries: tuple, name: str, where: str) -> None:
        """The entries of config block ``name`` (or of one of its dash-list entries)."""
        self._dup_keys(entries, where)
        for e in entries:
            if isinstance(e, (A.Binding, A.Assign)):
                if e.type_hint if isinstance(e, A.Binding) else False:
                    self._add("AE318", f"`{name}:` entries are `key: literal`", e)
                elif not _is_literal(e.value):
                    self._add("AE318", f"`{name}:` values must be literals (quote text)",
                              e.value)
            elif isinstance(e, A.Section):
                self._literal_block(e)
            elif isinstance(e, A.DashItem):
                if e.options or not _is_literal(e.value):
                    self._add("AE318", f"`{name}:` list items must be literals", e)
            elif isinstance(e, A.DashMap):
                # `- key: value` with continuation lines: one entry, a block of its own
                self._literal_entries(_live(e.entries), name,
                                      f"this `- {e.entries[0].name}: ...` entry of `{name}:`")
            else:
                self._add("AE318", f"`{name}:` holds `key: literal` entries only", e)

    def _policy(self, s: A.Section) -> None:
        self._dup_keys(s.body, "`policy:`")
        keys = self.cat.policy
        for e in s.body:
            if not isinstance(e, (A.Binding, A.Assign)) or (
                    isinstance(e, A.Binding) and e.type_hint is not None):
                self._add("AE308", "`policy:` holds `key: value` entries only", e)
                continue
            spec = keys.get(e.name)
            if spec is None:
                self._add("AE308", f"unknown policy key '{e.name}'", e,
                          self._suggest(e.name, keys) or
                          "known keys: " + ", ".join(sorted(keys)))
                continue
            self._policy_value(e.name, spec, e.value)

    def _policy_value(self, key: str, spec: dict, v: Optional[A.Expr]) -> None:
        kind = spec["type"]
        if kind == "duration":
            ok = isinstance(v, A.Duration) or (
                isinstance(v, A.Str) and duration_seconds(v.value) is not None)
            if not ok:
                self._add("AE310", f"'{key}' must be a duration such as 30s, 250ms or 2m", v)
            return
        if kind in ("number", "int"):
            types = (A.Int,) if kind == "int" else (A.Int, A.Float)
            if not isinstance(v, types):
                self._add("AE309", f"'{key}' must be {'an integer' if kind == 'int' else 'a number'}",
                          v)
                return
            lo, hi = spec.get("min"), spec.get("max")
            if (lo is not None and v.value < lo) or (hi is not None and v.value > hi):
                rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
                self._add("AE309", f"'{key}' must be {rng}, not {v.raw}", v)
            return
        if kind == "bool":
            if not isinstance(v, A.Bool):
                self._add("AE309", f"'{key}' must be true or false", v)
            return
        if kind == "string":
            if not isinstance(v, A.Str):
                self._add("AE309", f"'{key}' must be a string", v)
            elif spec.get("choices") and v.value not in spec["choices"]:
                self._add("AE309", f"'{key}' must be one of " +
                          ", ".join(repr(c) for c in spec["choices"]), v,
                          self._suggest(v.value, spec["choices"]))
            return
        if kind == "list":
            if not isinstance(v, A.ListExpr) or not _is_literal(v):
                self._add("AE309", f"'{key}' must be a list of literals", v)

    def _require(self, s: A.Section) -> None:
        self._dup_keys(s.body, "`require:`")
        for e in s.body:
            key = getattr(e, "name", None)
            if key not in ("plugins", "capabilities") or not isinstance(
                    e, (A.Binding, A.Assign, A.Section)):
                self._add("AE311", "`require:` holds `plugins` and `capabilities`", e)
                continue
            if isinstance(e, A.Section) and any(not isinstance(d, A.DashItem) or d.options
                                                for d in _live(e.body)):
                self._add("AE311", f"`{key}:` holds `- \"...\"` items", e)
                continue
            if isinstance(e, (A.Binding, A.Assign)) and not isinstance(e.value, A.ListExpr):
                self._add("AE311", f"`{key}` takes a list of strings", e.value)
                continue
            for v in self._list_values(e):
                if not isinstance(v, A.Str):
                    self._add("AE311", f"`{key}` entries are strings", v)
                elif key == "plugins" and not re.match(_REQ_RE, v.value.strip()):
                    self._add("AE311", f"malformed plugin requirement {v.raw}", v,
                              'write "name" or "name>=1.0,<2" (PEP 440-style specifiers)')
                elif key == "capabilities" and not re.match(_CAP_RE, v.value):
                    self._add("AE311", f"malformed capability {v.raw}", v,
                              'capabilities are dotted names such as "storage.write"')

    def _workflow(self, s: A.Section, env: set[str]) -> None:
        self._dup_keys(s.body, "`workflow:`")
        for e in s.body:
            if isinstance(e, A.Section) and e.name == "steps":
                self._steps(e, env)
            elif isinstance(e, A.Binding) and e.name in WORKFLOW_KEYS:
                if e.name == "requires":
                    if not (isinstance(e.value, A.ListExpr) and
                            all(isinstance(i, A.Str) for i in e.value.items)):
                        self._add("AE318", "`requires` takes a list of capability strings",
                                  e.value)
                else:
                    self._expr(e.value, env)
            else:
                label = getattr(e, "name", None)
                self._add("AE315", f"unknown workflow entry '{label}'" if label else
                          "`workflow:` holds `steps:` and `input`/`output`/`requires` bindings",
                          e, self._suggest(label, WORKFLOW_KEYS | {"steps"}) if label else None)

    def _steps(self, s: A.Section, env: set[str]) -> None:
        for e in _live(s.body):
            if not isinstance(e, A.DashItem):
                self._add("AE316", "`steps:` holds `- step` items", e)
                continue
            v = e.value
            if isinstance(v, A.Call):
                self._call(v, env)
            elif isinstance(v, (A.Name, A.Member)):
                self._callee(v, 0, [], env, v)
            else:
                self._add("AE316", "a step is a call or a function name", v)
            seen: set[str] = set()
            for o in e.options:
                if o.name in seen:
                    self._add("AE316", f"step option '{o.name}' is given twice", o)
                    continue
                seen.add(o.name)
                self._step_option(o)
            for o in e.options:
                if o.name == "as" and isinstance(o.value, A.Name):
                    env.add(o.value.id)

    def _step_option(self, o: A.StepOption) -> None:
        v = o.value
        if o.name == "as":
            return
        if o.name == "retry":
            if not isinstance(v, A.Int) or v.value < 0:
                self._add("AE316", "retry must be a whole number of at least 0", v)
        elif o.name == "timeout":
            ok = isinstance(v, A.Duration) or (isinstance(v, A.Str) and
                                                duration_seconds(v.value) is not None)
            if not ok:
                self._add("AE310", "timeout must be a duration such as 30s or \"30s\"", v)
        elif o.name == "requires":
            if not (isinstance(v, A.ListExpr) and all(isinstance(i, A.Str) for i in v.items)):
                self._add("AE316", "requires takes a list of capability strings", v)
        else:
            self._add("AE316", f"unknown step option '{o.name}'", o,
                      self._suggest(o.name, STEP_OPTIONS) or
                      "options are as NAME, retry=N, timeout=D, requires=[...]")

    def _on_error(self, s: A.Section, env: set[str]) -> None:
        for e in s.body:
            if not isinstance(e, A.DashMap):
                self._add("AE317", "an on_error rule is `- when: Kind` then `do: call(...)`", e)
                continue
            entries = _live(e.entries)
            keys = [x.name if isinstance(x, A.Binding) and x.type_hint is None else None
                    for x in entries]
            if len(entries) < len(e.entries):
                # A syntax error took the place of a line of the rule (reported as such):
                # check what is left, but not for what is missing.
                ok = None not in keys and len(set(keys)) == len(keys) <= 2 \
                    and set(keys) <= {"when", "do"}
            else:
                ok = len(keys) == 2 and set(keys) == {"when", "do"}
            if not ok:
                self._add("AE317", "an on_error rule has exactly one `when` and one `do`", e)
                continue
            for x in entries:
                if x.name == "when":
                    kind = x.value
                    if not isinstance(kind, A.Name):
                        self._add("AE317", "`when:` takes an error kind such as Timeout", kind)
                    elif kind.id not in self.cat.error_kinds:
                        self._add("AE320", f"unknown error kind '{kind.id}'", kind,
                                  self._suggest(kind.id, self.cat.error_kinds) or "kinds: " +
                                  ", ".join(sorted(self.cat.error_kinds)))
                elif isinstance(x.value, A.Call):
                    self._call(x.value, env)
                else:
                    self._add("AE317", "`do:` takes a call such as escalate_to(\"ops\")",
                              x.value)

    # ------------------------------------------------------------ expressions
    # One explicit work stack walks an expression and every call in it: a chain such as
    # `f()()()...` or `x.f().g()...` is as deep as it is long, and recursion (a frame per
    # call) would exhaust the Python stack on a few hundred links. Work items are
    # expressions to visit, or (_KEYWORD, keyword, names) / (_CALLEE, call, names) steps
    # of a call, in the order a recursive walk would take them.
    def _expr(self, e: Optional[A.Expr], env: set[str]) -> None:
        if e is not None:
            self._run([e], env)

    def _call(self, c: A.Call, env: set[str]) -> None:
        self._run([c], env)

    def _run(self, stack: list, env: set[str]) -> None:
        # Dispatch on the exact type, the commonest first; children are pushed in the
        # order iter_children gives them (so the last is visited first), as before.
        fns = self.fns
        plugins = self.plugins
        functions = self.cat.functions
        pop = stack.pop
        push = stack.append
        extend = stack.extend
        while stack:
            n = pop()
            kind = type(n)
            if kind is A.Name:
                name = n.id
                if name not in env and name not in fns and name not in plugins \
                        and name not in functions:
                    self._unbound(name, n, env)
            elif kind in _NO_CHILDREN:
                continue
            elif kind is A.Call:
                # arguments first, then each keyword's value and its duplicate check, then
                # the callee (popped last, so pushed first)
                names: list[str] = []
                push((_CALLEE, n, names))
                for k in reversed(n.keywords):
                    push((_KEYWORD, k, names))
                    if k.value is not None:
                        push(k.value)
                extend(a for a in reversed(n.args) if a is not None)
            elif kind is tuple:
                step, node, names = n
                if step is _KEYWORD:
                    if node.name in names:
                        self._add("AE304", f"keyword argument '{node.name}' is given twice",
                                  node)
                    else:
                        names.append(node.name)
                else:
                    rest = self._check_callee(node.func, len(node.args), names, env, node)
                    if rest is not None:
                        push(rest)
            elif kind is A.BinOp or kind is A.Compare:
                push(n.left)
                push(n.right)
            elif kind is A.Member or kind is A.Unary:
                push(n.value if kind is A.Member else n.operand)
            elif kind is A.ListExpr:
                extend(n.items)
            elif kind is A.BoolOp:
                extend(n.values)
            elif kind is A.Index:
                push(n.value)
                push(n.index)
            elif kind is A.DictExpr:
                seen: set = set()
                for k in n.keys:
                    if k in seen:
                        self._add("AE321", f"key {k!r} is given twice in this dict", n)
                    seen.add(k)
                extend(n.values)
            elif n is not None:
                extend(A.iter_children(n))

    def _unbound(self, name: str, node: A.Node, env: set[str]) -> None:
        if not self.report_unbound:
            return
        self._add("AE302", f"'{name}' is not bound here", node,
                  self.names.suggest(name, env, getattr(env, "globals", ()), self.cat.inputs,
                                     self.fns)
                  or None)

    def _callee(self, func: Optional[A.Expr], n_args: int, keywords: list[str],
                env: set[str], at: A.Node) -> None:
        rest = self._check_callee(func, n_args, keywords, env, at)
        if rest is not None:
            self._run([rest], env)

    def _check_callee(self, func: Optional[A.Expr], n_args: int, keywords: list[str],
                      env: set[str], at: A.Node) -> Optional[A.Expr]:
        """Check what a call calls; return the expression still to visit (or None)."""
        if isinstance(func, A.Name):
            name = func.id
            if name == RECOVERED:
                return None
            if name in self.fns:
                sig = _fn_signature(self.fns[name])
            elif name in self.cat.functions:
                sig = self.cat.functions[name].signature
            else:
                if name in env:
                    self._add("AE301", f"'{name}' is a value, not a function", func)
                else:
                    self._add("AE301", f"unknown function '{name}'", func,
                              self.names.suggest(name, self.cat.functions, self.fns))
                return None
            problem = sig.check(n_args, keywords)
            if problem:
                where, hint = at, None
                if problem.keyword is not None and isinstance(at, A.Call):
                    # point at the keyword argument itself, with the closest parameter
                    where = next((k for k in at.keywords if k.name == problem.keyword), at)
                    if problem.keyword not in sig.params:
                        hint = self.names.suggest(problem.keyword, sig.params) or None
                self._add(problem.rule, f"{name}() {problem.message}", where, hint)
            return None
        if isinstance(func, A.Member):
            dotted = A.dotted_name(func)
            if dotted is None:  # a call on a computed value
                return func.value
            base = dotted.split(".", 1)[0]
            # a required plugin comes before any value bound to its name, as a callable
            # comes before a value in a call by name; the run calls the same member
            if base in self.plugins:
                self._plugin_member(base, dotted, func, n_args, keywords, at)
                return None
            if dotted in self.cat.builtins:
                return None
            if base in env or base in self.cat.builtins and base not in self.plugins:
                if base in env:
                    # only a value the checker knows to be a string, number, list or
                    # map has only the value methods; a parameter, a loop variable or
                    # a tool's result may be a host object with methods of its own
                    if func.attr not in self.cat.methods and base in self.builtin_typed:
                        self._add("AE301", f"unknown method '{func.attr}' on '{base}'", func,
                                  self._suggest(func.attr, self.cat.methods))
                    return None
            self._add("AE301", f"unknown function '{dotted}'", func, _plugin_hint(base))
            return None
        return func

    def _plugin_member(self, base: str, dotted: str, func: A.Member, n_args: int,
                       keywords: list[str], at: A.Node) -> None:
        """A call on a plugin listed in ``require:``: free when the catalogue does not
        declare the plugin, else checked against its declared functions."""
        declared = self.cat.plugins.get(base)
        if declared is None:
            return
        member = declared.functions.get(func.attr) if dotted == f"{base}.{func.attr}" else None
        if member is None:
            self._add("AE301", f"unknown function '{dotted}'", func,
                      self._suggest(dotted, [f"{base}.{f}" for f in declared.functions]) or
                      f"plugin '{base}' declares: " + (", ".join(sorted(declared.functions))
                                                       or "no functions"))
            return
        problem = member.signature.check(n_args, keywords)
        if problem:
            self._add(problem.rule, f"{dotted}() {problem.message}", at)


# statement type -> Validator method (see Validator._stmt)
_STMT_HANDLERS = {
    A.Binding: Validator._binding_stmt, A.CallStmt: Validator._call_stmt,
    A.Section: Validator._section, A.If: Validator._if, A.For: Validator._for,
    A.While: Validator._while, A.FnDef: Validator._fn_def, A.Try: Validator._try,
    A.Assign: Validator._assign, A.AugAssign: Validator._aug_assign,
    A.Return: Validator._return, A.Break: Validator._break, A.Continue: Validator._break,
    A.Await: Validator._await,
}

# expression types with no child to visit (None: an absent optional child)
_NO_CHILDREN = frozenset({A.Str, A.Int, A.Float, A.Duration, A.Bool, A.Null, type(None)})


def inputs_read(module: A.Module, cat: Catalogue,
                without_inputs: Optional[Catalogue] = None) -> list[str]:
    """The catalogue's ``[inputs]`` that ``module`` reads before (or without) binding them
    itself, sorted: the names `check` accepts only because the catalogue declares them.
    One definition for the manifest ("the inputs it needs") and `aether run` (the inputs
    it must be given). ``without_inputs``: ``cat`` with no inputs, when the caller made it
    once (the validator files a catalogue's names once per catalogue object)."""
    if not cat.inputs:
        return []
    v = Validator(without_inputs or cat.replace(inputs={}), report_unbound=True)
    return inputs_in(v.validate(module), cat)


def inputs_in(findings: Iterable[Finding], cat: Catalogue) -> list[str]:
    """The catalogue's inputs named by the AE302 (unbound name) ``findings`` of a module
    validated against ``cat`` without its inputs, sorted (see :func:`inputs_read`)."""
    found = set()
    for f in findings:
        if f.rule == "AE302":
            name = f.message.split("'")[1]
            if name in cat.inputs:
                found.add(name)
    return sorted(found)


def _catalogue_names(cat: Catalogue):
    """The names a catalogue offers every file: its functions, then its inputs."""
    yield from cat.functions
    yield from cat.inputs


_KEYWORD = "keyword"
_CALLEE = "callee"


# Within `memo_validations`: (id(module), id(catalogue), report_unbound, hints) -> (module,
# catalogue, findings). The module and catalogue are kept in the entry, so their ids
# cannot be reused while it stands.
_VALIDATIONS = Memo()


def memo_validations():
    """A context manager (``with memo_validations():``) within which :func:`validate`
    gives a module it has validated before (the same object, as the parse memo hands out)
    the findings it gave it then: a migration's plugin probe validates the converted
    module and the check of the result validates it again. The findings are read-only
    (frozen records), so both may hold the same list. The memo ends with the block."""
    return _VALIDATIONS.block()


def memoising() -> bool:
    """Whether a :func:`memo_validations` block is open."""
    return _VALIDATIONS.open()


def validate(module: A.Module, catalogue: Optional[Catalogue] = None,
             report_unbound: bool = True, hints: bool = True) -> list[Finding]:
    """All validation findings for ``module`` (see :class:`Validator`; ``hints=False``:
    without did-you-mean searches, for findings whose hints nobody reads); within
    :func:`memo_validations` a module validated before gets the same list (do not mutate
    it), and a request without hints also takes the list made with them."""
    memo = _VALIDATIONS.table
    if memo is None:
        return Validator(catalogue, report_unbound, hints).validate(module)
    seen = _memo_entry(memo, module, catalogue, report_unbound, hints)
    if seen is None:
        seen = memo[(id(module), id(catalogue), report_unbound, hints)] = (
            module, catalogue, Validator(catalogue, report_unbound, hints).validate(module))
    return seen[2]


def _memo_entry(memo, module: A.Module, catalogue, report_unbound: bool,
                hints: bool) -> Optional[tuple]:
    """The entry of ``memo`` (see :data:`_VALIDATIONS`) for ``module`` validated with
    those arguments, or None; a request without hints also takes the entry made with
    them."""
    for with_hints in ((hints,) if hints else (False, True)):
        seen = memo.get((id(module), id(catalogue), report_unbound, with_hints))
        if seen is not None and seen[0] is module and seen[1] is catalogue:
            return seen
    return None


def _plugin_hint(base: str) -> str:
    """The hint of AE301 for a call on ``base``, a name nothing binds (see _check_callee)."""
    return f"list plugin '{base}' under `require: plugins:` to call its functions"


# The most plugins a derived validation may require: each finding's message is searched
# for each of them (below), a time of findings x plugins; more are validated again, in a
# time linear in the file (4,000 of them took 5.5 s to derive, 0.1 s to validate).
_DERIVED_PLUGINS = 64


def validate_required(probe: A.Module, final: A.Module, line: int, count: int,
                      hints: bool = True) -> bool:
    """Within :func:`memo_validations`: give ``validate(final, None, True, hints)`` the
    findings derived from the memo's ``validate(probe, None, True, hints)`` (or with
    hints), without validating ``final``; returns whether it did.

    The text of ``final`` must be the text of ``probe`` with ``count`` lines inserted
    before its line ``line``, every other line the same (the caller compares the texts:
    a migration's converted file, whose M031 probe found the plugins it calls, then the
    same with a ``require:`` block of them). Validating it again was a twentieth of a
    migration after a check. Shown here, else nothing is derived (False):

    - the inserted lines hold one top-level statement, a ``require:`` section, and the
      other top-level statements are the probe's (their lines the same, moved down by
      ``count`` below it: the same text, so the same statements); the probe has no
      ``require:``;
    - the section adds nothing itself: no finding, no name, fn, task or typed value, and
      only plugins the catalogue does not declare (a declared one has its calls checked),
      at most ``_DERIVED_PLUGINS`` of them;
    - a plugin name reaches the validation only where a call on it (``p.f()``) was the
      AE301 finding with the plugin hint (it then goes: a call on a required plugin the
      catalogue does not declare is free), never where a name ``p`` was looked up in
      scope or found bound (no other finding quotes ``'p'``);
    - no message names a line (``first at line 3``), which a moved line would change.

    The findings are then the probe's without those AE301 findings, each below the
    section moved down by its lines (AE312, on no statement, stays), in the same order.
    """
    memo = _VALIDATIONS.table
    if memo is None:
        return False
    old, new = probe.body, final.body
    at = next((j for j, s in enumerate(new) if s.line >= line), len(new))
    if len(new) != len(old) + 1 or at == len(new):
        return False
    req = new[at]
    if at < len(old) and new[at + 1].line < line + count:
        return False
    for j, s in enumerate(old):
        t = new[j] if j < at else new[j + 1]
        move = count if j >= at else 0
        if type(t) is not type(s) or t.line != s.line + move or t.end_line != s.end_line + move:
            return False
    out = _derived(probe, req, line, count, hints)
    if out is None:
        return False
    memo[(id(final), id(None), True, hints)] = (final, None, out)
    return True


def validate_spliced(probe: A.Module, req: A.Stmt, line: int, count: int,
                     hints: bool = True) -> Optional[list[Finding]]:
    """Within :func:`memo_validations`: the findings of ``validate(final, None, True,
    hints)`` for the module ``final`` made of the top-level statements of ``probe`` with
    ``req`` between them, ``count`` lines from ``line`` on, the statements below it moved
    down by ``count`` (see :func:`validate_required`, which builds no module: a caller
    that shows the text ``final`` would parse to be that, a migration's converted file,
    needs neither its parse nor its tree); None when they are not derived (the
    conditions of :func:`validate_required`)."""
    return _derived(probe, req, line, count, hints)


def _derived(probe: A.Module, req: A.Stmt, line: int, count: int,
             hints: bool) -> Optional[list[Finding]]:
    """:func:`validate_spliced` (and the derivation of :func:`validate_required`)."""
    memo = _VALIDATIONS.table
    if memo is None:
        return None
    seen = _memo_entry(memo, probe, None, True, hints)
    if seen is None:
        return None
    old = probe.body
    at = next((j for j, s in enumerate(old) if s.line >= line), len(old))
    if type(req) is not A.Section or req.name != "require" or req.line != line or \
            req.end_line >= line + count or at and old[at - 1].end_line >= line:
        return None
    Section = A.Section
    for s in old:
        if type(s) is Section and s.name == "require":
            return None
    # what the section alone adds: its findings, plugins, and what the first pass notes
    cat = load_catalogue()
    alone = Validator(None, True, hints)
    alone._collect_plugins(req)
    alone._section(req, set(), _Ctx())
    typed: set[str] = set()
    other: set[str] = set()
    alone._note(_statements((req,)), typed, other)
    plugins = alone.plugins
    if alone.findings or typed or other or alone.fns or alone.tasks or \
            bound_names((req,)) or not plugins or len(plugins) > _DERIVED_PLUGINS or \
            any(cat.plugins.get(p) is not None for p in plugins):
        return None
    quoted = [f"'{p}{end}" for p in plugins for end in "'."]  # `'p'`, `'p.f'`
    hinted = {_plugin_hint(p) for p in plugins}
    out: list[Finding] = []
    for f in seen[2]:
        if f.rule == "AE301" and f.hint in hinted:
            continue
        message = f.message
        if any(q in message for q in quoted) or "line " in message and \
                re.search(r"\bline \d", message):
            return None
        if not f.content and f.line is not None and f.line >= line:
            # on a statement below the block (the validator's own findings are on a node:
            # no content; AE312 is on none)
            f = Finding(f.rule, f.message, f.line + count, f.column,
                        None if f.end_line is None else f.end_line + count, f.end_column,
                        f.hint, f.anchor, f.content, f.fingerprint, f.legacy_fingerprint)
        out.append(f)
    return out
