"""Top-level sections Aether 1.2 does not have: data becomes a map binding, actions a ``fn``.

Legacy files hold sections of their own (``identity:``, ``trigger:``, ``boot_sequence:``,
``memory:`` used for settings) that the language has no section for (AE315, AE318). This
pass runs on the converted text, read with the Aether 1.2 parser, and rewrites such a
section in place, line by line, so every comment and the layout of its values stay:

- **M033 memory-config**: a top-level ``memory:`` that is no memory call (``memory:
  persistent``, or a section of settings) is the agent's memory configuration: it becomes
  the binding ``memory_config:`` (a bare word as text, a section as a map), inside a
  ``fn`` too;
- **M034 data-sections**: a section of ``key: value`` entries, nested entries and
  ``- item`` lists whose values are literals or bare words (as YAML reads them: text)
  becomes a map binding of the same name (``identity: {name: "x", ...}``): the data keeps
  its name and stays usable; inside a ``fn`` its values may be expressions too, evaluated
  when the ``fn`` runs, as its other bindings are;
- **M035 action-sections**: a section of statements (calls, ``- call(...)`` items,
  ``if``/``for`` blocks, bindings) becomes ``fn NAME():`` holding them: the legacy
  runtime ran it when its trigger fired, which a reader now calls where it should run
  (listed for review);
- **M036 spec-sections**: a section of entries and items like M034's whose values also
  hold expressions (``using: agent.scan()``, ``if_: memory.has("x")``, ``- score > 0.8``)
  is a specification the legacy runtime consulted when it ran, not data to compute when
  the file is loaded: it becomes ``fn NAME():`` returning the same map (or list), so its
  calls run when it is called, never at load time (listed for review).

A block that gives the same keys again in the same order, record after record, is a
list of records (M034 and M036 alike): ``[{on_event: "a", trigger: f()}, ...]``.

- **M038 on-error-split**: an ``on_error:`` entry that holds several ``when``/``do``
  pairs (``- when: Timeout`` / ``do: a()`` / ``when: Any`` / ``do: b()``) is as many
  rules, one entry each, in the same order.

A section whose name is already bound, defined or read as a value in the file (or, for
M035 and M036, is a builtin's: a ``fn`` of that name would take the builtin's calls), whose
body holds statements next to entries or ``- call()`` steps next to values (a checklist
of actions and prose), or that gives a key twice at one level other than as records (a
map would keep only one of the values), is left as it is: its AE315 finding stays.

- **M040 on-error-steps**: an ``on_error:`` list of steps with no ``when``/``do`` rule in
  it (the legacy runtimes ran them on any error) becomes ``fn on_error_steps():`` holding
  them (as M035, or returning the step records as M036) and the one rule ``- when: Any`` /
  ``do: on_error_steps()``.

Rules: M033 memory-config, M034 data-sections, M035 action-sections, M036 spec-sections,
M038 on-error-split, M040 on-error-steps.
"""

from __future__ import annotations

from typing import Optional

from ... import ast as A
from ...semantics.catalogue import load_catalogue
from ..parser import KEYWORDS_12
from ..ir import Unconvertible
from .context import _Ctx, _quote

_KNOWN = frozenset({"workflow", "parallel", "transaction", "on_error", "meta", "policy",
                    "require", "plugin_contract"})
_LITERALS = (A.Str, A.Int, A.Float, A.Duration, A.Bool, A.Null)


def _datum(e: Optional[A.Expr]) -> bool:
    """A literal, a bare word, or a list or map of those."""
    if isinstance(e, _LITERALS) or isinstance(e, A.Name):
        return True
    if isinstance(e, A.Unary) and e.op == "-":
        return isinstance(e.operand, (A.Int, A.Float))
    if isinstance(e, A.ListExpr):
        return all(_datum(i) for i in e.items)
    if isinstance(e, A.DictExpr):
        return all(_datum(v) for v in e.values)
    return False


def _any(e: Optional[A.Expr]) -> bool:
    return e is not None


def _calls_alone(body: tuple) -> bool:
    """Whether a ``- call()`` item stands in ``body`` or a block under it: an action step
    (M035's form), which a specification of values does not hold."""
    for e in body:
        if isinstance(e, A.DashItem) and isinstance(e.value, A.Call):
            return True
        if isinstance(e, A.Section) and _calls_alone(e.body):
            return True
        if isinstance(e, A.DashMap) and _calls_alone(e.entries):
            return True
    return False


def _shape(body: tuple, datum=_datum) -> Optional[str]:
    """``"{"`` for a block of entries, ``"["`` for a list of items, None when it is no data
    (statements, options, update targets, entries mixed with items, or a key given twice
    at one level: a map would keep one of its values); ``datum`` says
    which values an entry may hold (M034: literals and bare words; M036: any expression)."""
    kinds = set()
    keys = [e.name for e in body if isinstance(e, (A.Binding, A.Section))]
    if len(set(keys)) < len(keys):
        return None  # a key given twice is no map: one of its values would be lost
    for e in body:
        if isinstance(e, A.Binding):
            if e.target is not None or e.type_hint is not None or not datum(e.value):
                return None
            kinds.add("{")
        elif isinstance(e, A.Section):
            if _shape(e.body, datum) is None:
                return None
            kinds.add("{")
        elif isinstance(e, A.DashItem):
            if e.options or not datum(e.value):
                return None
            kinds.add("[")
        elif isinstance(e, A.DashMap):
            if _shape(e.entries, datum) != "{":
                return None
            kinds.add("[")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def _actions(body: tuple) -> bool:
    """Whether ``body`` is statements a ``fn`` can hold, with at least one action."""
    acted = False
    for e in body:
        if isinstance(e, A.DashItem):
            if e.options or not isinstance(e.value, A.Call):
                return False
            acted = True
        elif isinstance(e, (A.CallStmt, A.If, A.For, A.While, A.Try)):
            acted = True
        elif isinstance(e, A.Binding):
            if e.name in ("goal", "memory") and e.target is None and not (
                    e.name == "memory" and isinstance(e.value, A.Call)):
                return False
        elif not isinstance(e, A.AugAssign):
            return False
    return acted


class _Edits:
    """Insertions into the lines of the text (0-based line, 0-based column), applied right
    to left, and new lines after a line (with the origin of the line they follow)."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.at: dict[int, list[tuple[int, int, str]]] = {}
        self.after: dict[int, list[str]] = {}
        self.shift: dict[int, int] = {}  # spaces put before a line (1-based) by M036

    def put(self, line: int, col: int, text: str, drop: int = 0) -> None:
        self.at.setdefault(line - 1, []).append((col - 1, drop, text))

    def add_line(self, line: int, text: str) -> None:
        self.after.setdefault(line - 1, []).append(text)

    def apply(self, origins: list[int]) -> tuple[list[str], list[int]]:
        lines, at, after = self.lines, self.at, self.after
        if not at and not after:
            # nothing rewritten (most files): the lines as they are, no pass over them
            where = origins[:len(lines)]
            where.extend([0] * (len(lines) - len(where)))
            return list(lines), where
        out: list[str] = []
        where = []
        n = len(origins)
        for i, line in enumerate(lines):
            edits = at.get(i)
            if edits:
                for col, drop, text in sorted(edits, key=_right_to_left):
                    line = line[:col] + text + line[col + drop:]
            out.append(line)
            origin = origins[i] if i < n else 0
            where.append(origin)
            extra = after.get(i)
            if extra:
                for new_line in extra:
                    out.append(new_line)
                    where.append(origin)
        return out, where


def _right_to_left(edit: tuple[int, int, str]) -> int:
    return -edit[0]


def _indent(lines: list[str], line: int) -> str:
    text = lines[line - 1]
    return text[:len(text) - len(text.lstrip(" "))]


def _dash(lines: list[str], e: A.Stmt) -> int:
    """The width of the ``- `` that opens a dash item (the dash and its spaces)."""
    text = lines[e.line - 1][e.column - 1:]
    return len(text) - len(text[1:].lstrip(" "))


def _colon_after(lines: list[str], node: A.Section) -> int:
    """1-based column just after the ``:`` of a section header."""
    text = lines[node.line - 1]
    return text.index(":", node.column - 1 + len(node.name)) + 2


def _value(ed: _Edits, e: A.Expr) -> None:
    """Bare words become text, as YAML reads them."""
    if isinstance(e, A.Name):
        ed.put(e.line, e.column, _quote(e.id), len(e.id))
    elif isinstance(e, A.ListExpr):
        for item in e.items:
            _value(ed, item)
    elif isinstance(e, A.DictExpr):
        for v in e.values:
            _value(ed, v)


def _entries(ed: _Edits, body: tuple, close: str = ",") -> None:
    """Commas after each entry of a block turned into a map or list; the last one gets
    ``close`` (a dash-map entry's ``}``)."""
    for k, e in enumerate(body):
        end = close if k == len(body) - 1 else ","
        if isinstance(e, A.Binding):
            _value(ed, e.value)
            ed.put(e.value.end_line, e.value.end_column, end)
        elif isinstance(e, A.DashItem):
            ed.put(e.line, e.column, "", _dash(ed.lines, e))
            _value(ed, e.value)
            ed.put(e.value.end_line, e.value.end_column, end)
        elif isinstance(e, A.DashMap):
            ed.put(e.line, e.column, "{", _dash(ed.lines, e))
            _entries(ed, e.entries, "}" + end)
        elif isinstance(e, A.Section):
            _section(ed, e, end)


def _section(ed: _Edits, s: A.Section, end: str) -> None:
    opener = _shape(s.body, _any)
    ed.put(s.line, _colon_after(ed.lines, s), " " + opener)
    _entries(ed, s.body)
    last = s.body[-1]
    ed.add_line(last.end_line, _indent(ed.lines, s.line) + " " * ed.shift.get(s.line, 0) +
                ("}" if opener == "{" else "]") + end)


def _records(body: tuple) -> Optional[list[tuple]]:
    """A block of entries that gives the same two or more keys again, in the same order,
    record after record (``on_event: "a"`` / ``trigger: f()`` / ``on_event: "b"`` /
    ``trigger: g()``): its records, each starting where a key comes again; None for any
    other block."""
    if not body or not all(isinstance(e, (A.Binding, A.Section)) for e in body):
        return None
    groups: list[list] = [[]]
    for e in body:
        if any(x.name == e.name for x in groups[-1]):
            groups.append([])
        groups[-1].append(e)
    keys = [[x.name for x in g] for g in groups]
    if len(groups) < 2 or len(keys[0]) < 2 or any(k != keys[0] for k in keys):
        return None  # one key given again and again is no record: a value would be lost
    return [tuple(g) for g in groups]


def _record_entries(ed: _Edits, groups: list[tuple]) -> None:
    """Each record a map, ``{`` before its first entry and ``},`` after its last."""
    for g in groups:
        ed.put(g[0].line, g[0].column, "{")
        _entries(ed, g, "},")


def _record_list(ed: _Edits, s: A.Section, groups: list[tuple]) -> None:
    """M034 for records: ``NAME:`` becomes ``NAME: [`` and each record a map."""
    ed.put(s.line, _colon_after(ed.lines, s), " [")
    _record_entries(ed, groups)
    ed.add_line(s.body[-1].end_line, _indent(ed.lines, s.line) + "]")


def _spec(ed: _Edits, s: A.Section, groups: Optional[list[tuple]] = None,
          name: Optional[str] = None) -> None:
    """M036: ``NAME:`` becomes ``fn NAME():`` (``fn name():`` when given) and its entries
    the map (or list, or list of records) it returns."""
    opener = "[" if groups else _shape(s.body, _any)
    inner = _indent(ed.lines, s.line) + "    "
    ed.put(s.line, s.column, f"fn {name or s.name}():", len(s.name) + 1)
    ed.add_line(s.line, inner + "return " + opener)
    for line in range(s.line + 1, s.body[-1].end_line + 1):
        if ed.lines[line - 1].strip():  # the entries now sit one level under `return`
            ed.put(line, 1, "    ")
            ed.shift[line] = 4
    if groups:
        _record_entries(ed, groups)
    else:
        _entries(ed, s.body)
    ed.add_line(s.body[-1].end_line, inner + ("}" if opener == "{" else "]"))


#: the fields of each statement class that hold statements (``tuple[Stmt, ...]``): the
#: only ones a ``fn`` definition can stand in
_BLOCK_FIELDS = {cls: tuple(f for f in cls._children
                            if "Stmt" in str(cls.__annotations__.get(f, "")))
                 for cls in A.Stmt.__subclasses__()}


def _fn_defs(module: A.Module) -> list[A.FnDef]:
    """The ``fn`` definitions of the file, nested ones too, in walk order (that of
    :func:`aether.ast.walk`). Only the blocks of statements are entered: no expression
    holds a statement, and walking every node of the file was a sixth of the section
    rewrite."""
    fns: list[A.FnDef] = []
    FnDef = A.FnDef
    fields_of = _BLOCK_FIELDS
    stack = list(reversed(module.body))
    while stack:
        node = stack.pop()
        cls = type(node)
        if cls is FnDef:
            fns.append(node)
        fields = fields_of.get(cls)
        if fields is None:  # a statement class of no known shape: every field read
            fields = tuple(f for f in cls._children if isinstance(getattr(node, f), tuple))
        for name in reversed(fields):
            value = getattr(node, name)
            if value:
                stack.extend(value[::-1])
    return fns


def _read_names(module: A.Module) -> set[str]:
    """The names the file reads as values (``trigger.schedule`` reads ``trigger``)."""
    return {node.id for node in A.walk(module) if isinstance(node, A.Name)}


def _top_names(module: A.Module, fn_defs: list[A.FnDef]) -> set[str]:
    names = {fn.name for fn in fn_defs}
    for s in module.body:
        if isinstance(s, (A.Binding, A.Assign, A.Section)):
            names.add(s.name)
    return names


def rewrite_sections(ctx: _Ctx, text: str, origins: list[int]) -> tuple[str, list[int]]:
    """``text`` (converted, Aether 1.2) with its unknown top-level sections rewritten (see
    the module docstring) and the origin of each line; unchanged when it does not parse."""
    from ...syntax import parse

    result = parse(text)
    if result.errors:
        return text, origins
    module = result.module
    fn_defs = _fn_defs(module)
    read: list[set[str]] = []  # _read_names, walked only when a section asks (rarely)

    def names_read() -> set[str]:
        if not read:
            read.append(_read_names(module))
        return read[0]

    taken = _top_names(module, fn_defs)
    fns = {n.name for n in fn_defs}
    counts: dict[str, int] = {}
    for s in module.body:
        if isinstance(s, (A.Binding, A.Section)):
            counts[s.name] = counts.get(s.name, 0) + 1
    builtins = load_catalogue().functions
    lines = text.split("\n")
    ed = _Edits(lines)
    for s in module.body:
        origin = origins[s.line - 1] if s.line - 1 < len(origins) else s.line
        if s.name == "memory" if isinstance(s, (A.Binding, A.Section)) else False:
            if "memory_config" in taken:
                continue
            if isinstance(s, A.Binding) and s.target is None and s.type_hint is None and \
                    not isinstance(s.value, A.Call) and _datum(s.value):
                ed.put(s.line, s.column, "memory_config", len("memory"))
                _value(ed, s.value)
            elif isinstance(s, A.Section) and _shape(s.body) is not None:
                ed.put(s.line, s.column, "memory_config", len("memory"))
                _section(ed, s, "")
            else:
                continue
            taken.add("memory_config")
            ctx.hit("M033", origin)
            continue
        if not isinstance(s, A.Section) or s.name in _KNOWN or s.name in KEYWORDS_12 or \
                counts.get(s.name, 0) > 1 or s.name in fns:
            continue
        if s.name in ("goal", "intent"):
            # a goal is one text: as a map it is no goal (AE318), as `fn goal()` nothing
            # calls its body and the file has no goal (AE312); LANGUAGE.md gives the
            # block no meaning to convert to
            raise Unconvertible(f"`{s.name}:` has no text and is followed by an indented "
                                "block, which Aether 1.2 has no form for (a goal is one "
                                f"text: `goal: \"...\"`): write the goal's text and move "
                                "the block out of it by hand", origin)
        groups = _records(s.body)
        if _shape(s.body) is not None:
            _section(ed, s, "")
            ctx.hit("M034", origin)
        elif groups and all(_shape(g) == "{" for g in groups):
            _record_list(ed, s, groups)
            ctx.hit("M034", origin)
        elif s.name in builtins:
            continue  # a `fn` of a builtin's name would take the builtin's calls
        elif _actions(s.body):
            ed.put(s.line, s.column, f"fn {s.name}():", len(s.name) + 1)
            for e in s.body:
                if isinstance(e, A.DashItem):
                    ed.put(e.line, e.column, "", _dash(ed.lines, e))
            ctx.hit("M035", origin)
            ctx.review.append((origin, f"section `{s.name}:` became `fn {s.name}()`: call "
                               "it where the legacy runtime ran it"))
        elif (_shape(s.body, _any) is not None or groups and all(
                _shape(g, _any) == "{" for g in groups)) and \
                s.name not in names_read() and \
                not _calls_alone(s.body):
            _spec(ed, s, None if _shape(s.body, _any) is not None else groups)
            ctx.hit("M036", origin)
            ctx.review.append((origin, f"section `{s.name}:` holds expressions: it became "
                               f"`fn {s.name}()` returning its entries, evaluated when it "
                               "is called"))
    for fn in fn_defs:
        _fn_sections(ctx, ed, fn, origins)
    for s in module.body:
        if isinstance(s, A.Section) and s.name == "on_error":
            if counts.get("on_error") == 1 and ON_ERROR_STEPS not in taken and \
                    ON_ERROR_STEPS not in builtins:
                _error_steps(ctx, ed, s, origins)
            _split_rules(ctx, ed, s, origins)
    new, where = ed.apply(origins)
    # unedited, the text is its own lines joined again (the same string for the memo)
    return ("\n".join(new) if ed.at or ed.after else text), where


def _fn_sections(ctx: _Ctx, ed: _Edits, fn: A.FnDef, origins: list[int]) -> None:
    """M034 inside a ``fn``: a section of entries among its statements (``personality:``
    in a legacy ``identity { }`` block M009 made a ``fn``) becomes a map binding of that
    ``fn``, its expressions evaluated when the ``fn`` runs, as its other bindings are."""
    names: dict[str, int] = {}
    for e in fn.body:
        if isinstance(e, (A.Binding, A.Section, A.Assign)):
            names[e.name] = names.get(e.name, 0) + 1
    for e in fn.body:
        if not isinstance(e, A.Section) or e.name in _KNOWN or e.name in KEYWORDS_12 or \
                e.name == "goal" or names.get(e.name, 0) > 1 or _calls_alone(e.body):
            continue
        origin = origins[e.line - 1] if e.line - 1 < len(origins) else e.line
        if e.name == "memory":
            # the agent's memory settings, as M033 at the top level
            if "memory_config" in names or _shape(e.body, _any) is None:
                continue
            ed.put(e.line, e.column, "memory_config", len("memory"))
            _section(ed, e, "")
            ctx.hit("M033", origin)
            continue
        groups = _records(e.body)
        if _shape(e.body, _any) is not None:
            _section(ed, e, "")
        elif groups and all(_shape(g, _any) == "{" for g in groups):
            _record_list(ed, e, groups)
        else:
            continue
        ctx.hit("M034", origin)


#: the ``fn`` M040 puts a legacy ``on_error:`` list of steps in
ON_ERROR_STEPS = "on_error_steps"


def _rule_keys(e: A.Stmt) -> bool:
    """Whether an item of an ``on_error:`` list names a ``when`` or a ``do`` (a rule of the
    language, however malformed: M038's, or AE317's to report)."""
    if not isinstance(e, A.DashMap):
        return False
    return any(isinstance(x, (A.Binding, A.Section)) and x.name in ("when", "do")
               for x in e.entries)


def _error_steps(ctx: _Ctx, ed: _Edits, s: A.Section, origins: list[int]) -> None:
    """M040: an ``on_error:`` list none of whose items is a rule (no ``when``, no ``do``)
    is the legacy runtimes' list of steps run on any error. The steps go into ``fn
    on_error_steps():`` (calls as its statements, as M035; step records such as ``- log:
    "x"`` / ``- action: "a"`` returned as a list, as M036) and the section becomes the one
    rule ``- when: Any`` / ``do: on_error_steps()``, so they still run on any error."""
    body = s.body
    if not body or not all(isinstance(e, (A.DashItem, A.DashMap)) for e in body) or \
            any(_rule_keys(e) for e in body):
        return
    origin = origins[s.line - 1] if s.line - 1 < len(origins) else s.line
    indent = _indent(ed.lines, s.line)
    if _actions(body):
        ed.put(s.line, s.column, f"fn {ON_ERROR_STEPS}():", len(s.name) + 1)
        for e in body:
            if isinstance(e, A.DashItem):
                ed.put(e.line, e.column, "", _dash(ed.lines, e))
        ctx.review.append((origin, f"the `on_error:` steps became `fn {ON_ERROR_STEPS}()`, "
                           "run by the rule `when: Any`"))
    elif _shape(body, _any) == "[" and not _calls_alone(body):
        _spec(ed, s, None, ON_ERROR_STEPS)
        ctx.review.append((origin, f"the `on_error:` steps are records the legacy runtime "
                           f"read (`- log:`, `- action:`): `fn {ON_ERROR_STEPS}()` returns "
                           "them when the rule `when: Any` runs; write the calls they stand "
                           "for"))
    else:
        return
    last = body[-1].end_line
    ed.add_line(last, "")
    ed.add_line(last, indent + "on_error:")
    ed.add_line(last, indent + "    - when: Any")
    ed.add_line(last, indent + f"      do: {ON_ERROR_STEPS}()")
    ctx.hit("M040", origin)


def _split_rules(ctx: _Ctx, ed: _Edits, s: A.Section, origins: list[int]) -> None:
    """M038: each further ``when:`` of an entry of ``when``/``do`` pairs opens an entry."""
    for e in s.body:
        if not isinstance(e, A.DashMap) or len(e.entries) < 4 or len(e.entries) % 2:
            continue
        keys = [x.name if isinstance(x, A.Binding) and x.target is None and
                x.type_hint is None else None for x in e.entries]
        if keys != ["when", "do"] * (len(keys) // 2):
            continue
        width = _dash(ed.lines, e)
        for x in e.entries[2::2]:
            lead = ed.lines[x.line - 1][:x.column - 1]
            if x.column - 1 != e.column - 1 + width or lead[e.column - 1:].strip():
                break  # not laid out under the dash: left as it is (AE317 stays)
        else:
            for x in e.entries[2::2]:
                ed.put(x.line, e.column, "-" + " " * (width - 1), width)
            ctx.hit("M038", origins[e.line - 1] if e.line - 1 < len(origins) else e.line)
