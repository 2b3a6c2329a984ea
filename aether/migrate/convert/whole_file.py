"""The whole file: :func:`convert`, its entry point, and the rules that look at the whole file.

Parse, find the names the file binds, hoist imports and unwrap plugins, convert each
top-level statement, add a goal when the file states one in another form (a description,
a plugin name, a heading comment), lay the rows out.

Rules: M028 add-goal, M029 imports, M031 plugin-receivers.
Also: M016 (plugin metadata values), M026 (a `//` comment of an import line).
"""

from __future__ import annotations

import re
from typing import Optional

from .. import ir
from ..parser import KEYWORDS_12, Parser
from ..tokens import LexError, tokenize
from .context import (Row, Conversion, _Ctx, _quote, _root_name, _literal, expr_source,
    _as_text, _tokens_text, _has_bad_names, _NAME_RE)
from .layout import _insert_after_header, _layout
from .plugins import _unwrap_plugins, _PluginMeta
from .converter import Converter
from .sections import rewrite_sections
from .handlers import rename_handler_calls


def _source_names(stmts: list) -> tuple[set[str], set[str], set[str]]:
    """What the source binds and defines, before any of it is converted, in one walk of
    ``stmts`` (three walks were a tenth of the work outside the statements' conversion):

    - the names it binds: ``let``/``=``/``name: value`` targets (their root name), ``for``
      targets, parameters, ``catch`` names;
    - the names of its ``fn`` blocks;
    - the names it binds as variables (``let``, ``=``, ``for``, parameters, ``catch``;
      not ``name: value`` lines).
    """
    bound: set[str] = set()
    fns: set[str] = set()
    variables: set[str] = set()
    Simple, Block, Name = ir.Simple, ir.Block, ir.Name
    # every statement and those of the blocks nested in them (bodies, else branches,
    # handlers, match cases), in no particular order
    stack = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, Simple):
            if s.body:
                stack.extend(s.body)
            kind = s.kind
            if kind in ("bind", "assign", "bindblock") and s.target is not None:
                root = _root_name(s.target)
                if root:
                    bound.add(root.lstrip("$"))
            if kind == "assign" and isinstance(s.target, Name) or (
                    kind == "bind" and s.op == "let"):
                variables.add(s.target.id)
        elif isinstance(s, Block):
            stack.extend(s.body)
            stack.extend(s.orelse)
            stack.extend(s.handler)
            for case in s.cases:
                stack.extend(case[1])
            kind = s.kind
            if kind == "for":
                target = s.target
                if isinstance(target, list):
                    bound.update(target)
                    variables.update(target)
                else:
                    bound.add(target.lstrip("$"))
                    variables.add(target)
            if kind == "fn":
                bound.update(p for p, _ in s.params)
                variables.update(p for p, _ in s.params)
                name = getattr(s, "name", None)
                if isinstance(name, str):
                    fns.add(name)
            if s.catch_name:
                bound.add(s.catch_name)
                variables.add(s.catch_name)
    return bound, fns, variables


def _import(ctx: _Ctx, toks: list) -> Optional[tuple[str, str]]:
    """The plugin name an import line makes available and the path it imports, or None
    when the line is no import of a form M029 knows: ``import "path" as name`` gives
    ``name``; ``use a/b/c`` (a module path, at least one ``/``, written without spaces,
    each part a name) gives its last part, ``c``, the name the file then calls it by.
    ``use`` with anything else is a command (``use x to y``). ``plugin NAME`` (or
    ``plugin "NAME"``) alone on its line, with no body, names a plugin the file uses: the
    plugin declarations of the dialects (``plugin NAME { ... }``, ``plugin NAME`` over an
    indented body) without anything declared, and the legacy runtimes loaded plugins by
    name; it gives ``NAME`` (its path is that name), unless the file has a ``fn`` or a
    variable ``plugin`` (:func:`_calls_plugin`): then the line calls it."""
    if len(toks) == 2 and toks[0].text == "plugin" and toks[0].kind == "WORD":
        if _calls_plugin(ctx):
            return None
        name = toks[1].text[1:-1] if toks[1].kind == "STR" else \
            toks[1].text if toks[1].kind == "WORD" else ""
        return (name, name) if _NAME_RE.match(name) else None
    if len(toks) == 4 and toks[0].text == "import" and toks[1].kind == "STR" and \
            toks[2].text == "as" and toks[3].kind == "WORD" and _NAME_RE.match(toks[3].text):
        return toks[3].text, toks[1].text[1:-1]
    if len(toks) >= 4 and len(toks) % 2 == 0 and toks[0].text == "use" and \
            toks[0].kind == "WORD":
        path = toks[1:]
        if all(t.kind == "WORD" and _NAME_RE.match(t.text) for t in path[0::2]) and \
                all(t.kind == "OP" and t.text == "/" for t in path[1::2]) and \
                all(a.end == b.start for a, b in zip(path, path[1:])):
            return path[-1].text, "/".join(t.text for t in path[0::2])
    return None


def _import_name(ctx: _Ctx, toks: list) -> Optional[str]:
    """The plugin name of the import line ``toks`` (:func:`_import`), else None."""
    got = _import(ctx, toks)
    return got[0] if got else None


def _calls_plugin(ctx: _Ctx) -> bool:
    """Whether a ``plugin NAME`` line calls something of this file named ``plugin`` (a
    ``fn`` or a variable; a `plugin:` command binds nothing), not the legacy plugin
    declaration."""
    return "plugin" in ctx.defined_fns or "plugin" in ctx.variables


def _clash(ctx: _Ctx, name: str) -> Optional[str]:
    """What else the name ``name`` an import gives is in this file, or None: a plugin
    required by the whole file must not share its name with a ``fn``, a variable or
    parameter (a parameter of the block that imported it would hide the plugin in that
    block), a builtin (which would the calls mean?) or a reserved word (no name)."""
    from ...semantics.catalogue import load_catalogue

    if name in KEYWORDS_12:
        return "a reserved word of Aether 1.2"
    if name in ctx.defined_fns:
        return "the name of a `fn` of this file"
    if name in ctx.bound:
        return "a name this file binds (a variable, parameter or entry)"
    if name in load_catalogue().functions:
        return "the name of a builtin"
    return None


#: where the word ``import``, ``use`` or ``plugin`` could end a token of the text: an
#: import line (:func:`_import`, a bodiless ``plugin NAME`` line among them) opens with one
#: of these words, a token of its own, and a word token runs on over every ``\w`` and ``$``
#: after it (migrate.tokens), so a text without a match holds no import line (a pattern
#: per word: each opens with its word, which the regex engine finds by a fast scan; one
#: alternation was tried at every character, three times slower)
_IMPORT_WORDS = (re.compile(r"import(?![\w$])"), re.compile(r"use(?![\w$])"),
                 re.compile(r"plugin(?![\w$])"))


def _may_import(text: str) -> bool:
    """Whether ``text`` may hold an import line (see :data:`_IMPORT_WORDS`)."""
    return any(p.search(text) for p in _IMPORT_WORDS)


def _hoist_imports(ctx: _Ctx, stmts: list, top: bool = True,
                   seen: Optional[dict] = None) -> tuple[list, list[str]]:
    """``stmts`` without their import lines (kept as commands by the parser), and the
    plugin names those lines import (M029), in order.

    A top-level import becomes a ``require:`` entry; so does one inside a block (a ``fn``,
    a ``try``: Aether 1.2 has no import statement, a plugin is required by the whole file),
    listed for review, since the legacy runtime loaded it only when the block ran. An
    import that is the only statement of its block is left (an empty block has no form;
    the file fails with that line).

    Raises Unconvertible for an import whose name is also a fn, a bound name, a builtin or
    a reserved word of the file (:func:`_clash`), and for two imports that give one name
    to two paths or two names to one path (one plugin name cannot stand for both).
    """
    seen = {} if seen is None else seen  # name or path -> (path or name, line)
    out = []
    plugins: list[str] = []
    # whether the block holds more than imports (and comments), decided once for the block
    # (a block of thousands of imports is read once, not once per import) and only when
    # it holds an import: deciding it for every block was half of this walk
    hoist = True if top else None
    Simple, Block = ir.Simple, ir.Block
    for s in stmts:
        if type(s) is Simple and s.kind == "raw" and s.tokens:
            got = _import(ctx, s.tokens)
            toks = s.tokens
            if got is None and len(toks) == 2 and toks[0].text == "plugin" and \
                    toks[0].kind == "WORD" and toks[1].kind in ("WORD", "STR") and \
                    not _calls_plugin(ctx):
                # the shape of a plugin line, but no name a requirement can have (else
                # it reached Commands, which calls every such line one alone in its block)
                raise ir.Unconvertible(f"`{_tokens_text(ctx, toks)}` names a plugin the "
                                       "file uses, but a `require: plugins:` entry is a "
                                       "name (ASCII letters, digits and _, not first a digit): "
                                       "rename the plugin by hand", s.first)
            if got is not None and hoist is None:
                hoist = any(not isinstance(x, ir.Comment) and
                            _import_name(ctx, getattr(x, "tokens", None) or []) is None
                            for x in stmts)
            if got is not None and hoist:
                name, path = got
                what = _tokens_text(ctx, s.tokens)
                clash = _clash(ctx, name)
                if clash is not None:
                    raise ir.Unconvertible(f"`{what}`: '{name}' is also {clash}; a plugin "
                                           "required by the whole file cannot share it "
                                           "(rename the import by hand)", s.first)
                for key, other, kind in ((("name", name), path, "path"),
                                         (("path", path), name, "name")):
                    before = seen.setdefault(key, (other, s.first))
                    if before[0] != other:
                        raise ir.Unconvertible(
                            f"`{what}`: line {before[1]} imports " + (
                                f"'{name}' from another path" if kind == "path" else
                                f"the same path as '{before[0]}'") +
                            "; a plugin has one name and one source (rename by hand)",
                            s.first)
                ctx.hit("M029", s.first)
                ctx.import_lines.setdefault(name, s.first)
                plugins.append(name)
                where = "" if top else " (inside a block: the legacy runtime loaded it " \
                    "when the block ran; it is now required by the whole file)"
                ctx.review.append((s.first, f"`{what}` became the plugin requirement "
                                   f"\"{name}\"{where}"))
                if s.trailing:
                    # the line goes; its comment goes with the requirement it became
                    note = s.trailing
                    if note.startswith("//"):
                        ctx.hit("M026", s.first)
                        note = "#" + note[2:]
                    ctx.import_notes.setdefault(name, []).append(note)
                continue
        if type(s) is Block:
            for field in ("body", "orelse", "handler", "final"):
                inner = getattr(s, field)
                if inner:
                    kept, found = _hoist_imports(ctx, inner, False, seen)
                    setattr(s, field, kept)
                    plugins += found
            if s.cases:
                cases = []
                for patterns, body, *rest in s.cases:
                    kept, found = _hoist_imports(ctx, body, False, seen)
                    cases.append((patterns, kept, *rest))
                    plugins += found
                s.cases = cases
        out.append(s)
    return out, plugins


def convert(text: str, brace: Optional[bool] = None, name: Optional[str] = None,
            hints: bool = False) -> Conversion:
    """Convert legacy ``text`` (``\\n`` newlines) to Aether 1.2. ``hints``: whether the
    M031 probe's validation searches did-you-mean hints (only for a migration whose check
    of the result takes that validation from the memo and keeps its hints).

    Raises Unconvertible with the line and reason of the first construct that has no
    Aether 1.2 form.
    """
    try:
        toks = tokenize(text)
    except LexError as exc:
        raise ir.Unconvertible(exc.message, exc.line)
    ctx = _Ctx(text, toks)
    stmts = Parser(toks, text).module()
    ctx.brace = brace if brace is not None else _is_brace(stmts)
    ctx.bound, ctx.defined_fns, ctx.variables = _source_names(stmts)
    variables = ctx.variables
    for special in ("plugin", "intent", "goal"):
        # `plugin: f()`, `intent: x`, `goal: a + b` read as legacy constructs, so a
        # variable with one of these names is renamed everywhere it is used as one
        if special in variables:
            ctx.renamed[special] = special + "_"
    if _may_import(text):
        stmts, imports = _hoist_imports(ctx, stmts)
        imports = list(dict.fromkeys(imports))
    else:
        imports = []  # no import line: nothing to hoist (most files; the walk was 2% of this)
    stmts, _ = _unwrap_plugins(ctx, stmts)
    conv = Converter(ctx)
    rows: list[Row] = []
    goal_present = False
    description: Optional[str] = None
    plugin_name: Optional[str] = None
    workflow_name = _workflow_name(stmts)
    skip_to = 0  # past a command whose inner comments came before it (comments_and_command)
    for at, s in enumerate(stmts):
        if at < skip_to:
            continue
        if isinstance(s, ir.Comment):
            got, skip_to = conv.comments_and_command(stmts, at, 0, None, False)
            s = stmts[skip_to - 1]
            if isinstance(s, ir.Simple) and s.kind == "raw" and s.tokens and \
                    s.tokens[0].text in ("goal", "intent") and \
                    any(r.text.startswith("goal:") for r in got):
                goal_present = True  # (`goal "text"` after comments from inside it)
            rows.extend(got)
            continue
        if isinstance(s, _PluginMeta):
            plugin_name = s.plugin.name
            meta_rows = [Row(0, "meta:", s.first)]
            # the header's comment (`plugin x {  // note`) stays with what it became
            meta_rows.append(Row(1, f"plugin: {_quote(s.plugin.name)}" +
                                 conv.trailing(s.plugin.trailing, s.first), s.first))
            for e in s.entries:
                key = conv.fix_name(e.target.id, e.first)
                if e.value is None or _has_bad_names(e.value):
                    lit: ir.Expr = ir.Str(_quote(_as_text(ctx, e.tokens, e.first)))
                    ctx.hit("M016", e.first)
                else:
                    raw = _tokens_text(ctx, e.value_tokens) if e.value_tokens else \
                        expr_source(e.value)
                    lit = _literal(e.value, raw)
                    if lit is not e.value:
                        ctx.hit("M016", e.first)
                if key == "description" and isinstance(lit, ir.Str) and description is None:
                    description = lit.raw
                if key == "goal" and isinstance(lit, ir.Str):
                    goal_present = True
                meta_rows.append(Row(1, f"{key}: {conv.p.expr(lit)}" +
                                     conv.trailing(e.trailing, e.first), e.first))
            rows.extend(meta_rows)
            continue
        got = conv.stmt(s, 0, None, False)
        if isinstance(s, ir.Simple) and s.kind in ("bind",) and s.target is not None and \
                s.target.id in ("goal", "intent"):
            goal_present = True
        if isinstance(s, ir.Simple) and s.kind == "raw" and s.tokens and \
                s.tokens[0].text in ("goal", "intent") and any(r.text.startswith("goal:")
                                                               for r in got):
            goal_present = True
        if isinstance(s, ir.Block) and s.kind == "header" and s.words and \
                s.words[0].text in ("goal", "intent") and \
                any(r.depth == 0 and r.text.startswith("goal:") for r in got):
            goal_present = True  # `goal("text") { ... }`: the goal and its statements
        rows.extend(got)
    for name in imports:
        # a name the conversion itself gave a fn or a binding (a handler `on_x`, a recalled
        # `-> x`): the same clash as one the source had (_clash)
        if name in ctx.fn_names or name in ctx.bound:
            line = ctx.import_lines.get(name, 1)
            raise ir.Unconvertible(f"the import on line {line} names the plugin '{name}', "
                                   "and the converted file also defines or binds it "
                                   "(rename the import by hand)", line)
    goal = None
    if not goal_present:
        if description:
            goal = description
            source = "its description"
        elif plugin_name:
            goal = _quote(plugin_name)
            source = "its plugin name"
        elif workflow_name:
            # `workflow NAME { }` names its file's objective as a plugin's name does
            goal = _quote(workflow_name)
            source = "its workflow name"
        elif _heading(text):
            # the author's own statement of what the file is for; a file name is not
            # one (often an id), so a file with neither keeps its AE312 finding
            goal = _quote(_heading(text))
            source = "its heading comment"
    # The M031 probe reads the rows with the goal already in (it binds no name, so it
    # changes no AE301 finding): without plugins to require they are the final rows,
    # laid out and parsed once (_laid_out).
    goal_rows = [Row(0, f"goal: {goal}", 1)] if goal is not None else []
    with_goal = _insert_after_header(ctx, rows, goal_rows) if goal_rows else rows
    receivers = _plugin_receivers(ctx, with_goal, imports, hints)
    probed = ctx.laid_out  # the probe's text, when it was laid out (see _validated)
    merged = _merge_requirements(ctx, rows, imports) if imports else None
    if merged is not None:
        # the file has a `require:` block of its own: the imports join its plugins there
        # (a second block would split what the file requires; receivers are then none)
        rows = _insert_after_header(ctx, merged, goal_rows) if goal_rows else merged
    elif imports or receivers:
        req = [Row(0, "require:", 1), Row(1, "plugins:", 1)]
        req += _plugin_rows(ctx, imports + [r for r in receivers if r not in imports], [],
                            2, 1)
        rows = _insert_after_header(ctx, rows, req)
        if goal_rows:
            rows = _insert_after_header(ctx, rows, goal_rows)
    else:
        rows = with_goal
    if goal is not None:
        ctx.hit("M028", 1)
        ctx.review.append((1, f"goal taken from {source}; check it states the objective"))
    out_text, origins = _laid_out(ctx, rows)
    out_text = rename_handler_calls(ctx, out_text, origins)
    validated = None
    if merged is None and (imports or receivers) and probed is not None and \
            probed[0] is with_goal:
        validated = _validated(ctx, probed[1][0], out_text, hints)
    return Conversion(out_text, ctx.rules, sorted(set(ctx.review)), origins, validated)


def _validated(ctx: _Ctx, probe: str, final: str, hints: bool) -> Optional[list]:
    """Within a migration's memos: have the validation of ``final`` (the converted text)
    derived from the M031 probe's (:func:`validate_required`) when ``final`` is the
    ``probe`` text with a top-level block inserted (the ``require:`` of the plugins the
    probe found), each other line the same: the check of the result then takes it from
    the memo instead of validating the file a second time.

    When ``final`` is the text :func:`_spliced` showed to parse: its validation derived
    from the probe's and the block's statement alone (:func:`validate_spliced`),
    returned for that check, which then neither parses nor validates ``final``; else
    None."""
    from ...semantics.validator import memoising, validate_required, validate_spliced
    from ...syntax import parse

    if not memoising():
        return None
    spliced = ctx.spliced
    if spliced is not None and spliced[0] == final and spliced[1] == probe:
        _text, _probe, req, line, count = spliced
        return validate_spliced(parse(probe).module, req, line, count, hints)
    old, new = probe.split("\n"), final.split("\n")
    k = len(new) - len(old)
    if k <= 0:
        return None
    i = 0
    while i < len(old) and old[i] == new[i]:
        i += 1
    if not new[i].startswith("require:") or new[i + k:] != old[i:]:
        return None
    was, now = parse(probe), parse(final)  # (the probe's a memo hit; the check's parse)
    if not was.errors and not now.errors:
        validate_required(was.module, now.module, i + 1, k, hints)
    return None


def _is_require_key(r: Row, key: str) -> bool:
    """Whether row ``r`` opens the entry ``key:`` (or ``key =``), a comment after it aside."""
    return re.match(r"\s*" + key + r"\s*[:=]", r.text) is not None


def _code_row(r: Row) -> bool:
    """A row that is not a comment and not blank."""
    body = r.text.strip()
    return bool(body) and not body.startswith("#")


def _row_tokens(r: Row) -> list:
    """The tokens of row ``r`` without comments, newlines and EOF; raises LexError."""
    return [t for t in tokenize(r.text) if t.kind not in ("COMMENT", "NL", "EOF")]


def _requirement_name(toks: list) -> Optional[str]:
    """The plugin name a requirement written as ``toks`` lists (``"git>=1.0"`` and the bare
    word ``git`` list ``git``), else None."""
    if len(toks) != 1:
        return None
    t = toks[0]
    text = t.text[1:-1] if t.kind == "STR" and t.text[:1] in "\"'" else t.text
    if t.kind not in ("STR", "WORD"):
        return None
    m = re.match(r"\s*([A-Za-z_][\w.\-]*)", text)
    return m.group(1) if m else None


def _plugin_rows(ctx: _Ctx, names: list[str], listed: list[str], depth: float,
                 origin: int) -> list[Row]:
    """The ``- "name"`` rows of ``names``, each with the comments of the import lines it
    came from (M029), and the comments of the imports of ``listed`` plugins (listed already,
    not again): the import lines go, their comments stay."""
    rows = []
    for name in names:
        notes = ctx.import_notes.get(name, [])
        rows.append(Row(depth, f"- {_quote(name)}" + (f"  {notes[0]}" if notes else ""),
                        origin))
        rows += [Row(depth, note, origin, None, False) for note in notes[1:]]
    for name in listed:
        rows += [Row(depth, note, origin, None, False)
                 for note in ctx.import_notes.get(name, [])]
    return rows


_REQUIRE_MAP = re.compile(r"\s*require\s*[:=]\s*\{")


def _require_map(rows: list[Row]) -> Optional[Row]:
    """The top-level row ``require: {`` (a requirement map, as brace plugins write it), else
    None."""
    for r in rows:
        if r.depth == 0 and r.first and _REQUIRE_MAP.match(r.text):
            return r
    return None


def _requires(rows: list[Row]) -> bool:
    """Whether ``rows`` hold a top-level ``require:`` block or ``require: {...}`` map of
    their own (:func:`_require_map`), in one pass over them (the rows of every file are
    read here; most have neither, and two passes, a test per row each, cost twice this)."""
    for r in rows:
        if r.depth == 0:
            text = r.text
            if "require" in text and (
                    "require:" in text and text.split("#")[0].strip() == "require:" or
                    r.first and _REQUIRE_MAP.match(text)):
                return True
    return False


def _merge_requirements(ctx: _Ctx, rows: list[Row], names: list[str]) -> Optional[list[Row]]:
    """``rows`` with the plugin ``names`` (M029) added to the file's own top-level
    ``require:`` block, after the plugins it lists, each once (a name it lists already,
    with or without a version, is not added again); every other row, comments included,
    is kept as it is. A new list: rows are never changed in place (see :func:`_laid_out`).

    None when the file has no top-level ``require:`` block. Raises Unconvertible when its
    ``plugins`` entry has a form a name cannot be added to (not a list).
    """
    starts = [i for i, r in enumerate(rows) if r.depth == 0 and _code_row(r) and
              r.text.split("#")[0].strip() == "require:"]
    if not starts:
        r = _require_map(rows)
        if r is not None:
            # `require: { plugins: [...] }` (a brace plugin's): a map the checker does not
            # read as requirements; a second, real block would contradict it
            raise ir.Unconvertible("the file's `require: { ... }` is a map, not a block: "
                                   "the imported plugins (" + ", ".join(names) + ") cannot "
                                   "join it; write it as a `require:` block by hand", r.origin)
        return None
    blocks = []  # (index of `require:`, end of its block)
    for i in starts:
        end = i + 1
        while end < len(rows) and (rows[end].depth > 0 or not rows[end].first and
                                   not _code_row(rows[end])):
            end += 1
        # comments after the block's last code row belong to what follows
        while end > i + 1 and not _code_row(rows[end - 1]):
            end -= 1
        blocks.append((i, end))
    listed: set[str] = set()
    target = None  # (block, index of its `plugins` row, end of that entry)
    for i, end in blocks:
        code = [k for k in range(i + 1, end) if _code_row(rows[k]) and rows[k].first]
        key_depth = min((rows[k].depth for k in code), default=1)
        for k in code:
            if rows[k].depth != key_depth or not _is_require_key(rows[k], "plugins"):
                continue
            stop = k + 1
            while stop < end and (rows[stop].depth > key_depth or not rows[stop].first):
                stop += 1
            while stop > k + 1 and not _code_row(rows[stop - 1]):
                stop -= 1
            listed.update(_listed_plugins(rows, k, stop))
            if target is None:
                target = (i, end, k, stop, key_depth)
    new = [n for n in dict.fromkeys(names) if n not in listed]
    known = [n for n in dict.fromkeys(names) if n in listed]
    if not new and not any(ctx.import_notes.get(n) for n in known):
        return list(rows)
    if target is None:
        # no `plugins` entry: one at the end of the first block
        i, end = blocks[0]
        code = [k for k in range(i + 1, end) if _code_row(rows[k])]
        key_depth = min((rows[k].depth for k in code if rows[k].first), default=1)
        origin = rows[end - 1].origin
        added = [Row(key_depth, "plugins:", origin)] + \
            _plugin_rows(ctx, new, known, key_depth + 1, origin)
        return rows[:end] + added + rows[end:]
    i, end, k, stop, key_depth = target
    items = [j for j in range(k + 1, stop) if _code_row(rows[j]) and rows[j].first]
    if items and all(rows[j].text.strip().startswith("-") for j in items) or \
            not items and rows[k].text.split("#")[0].strip() == "plugins:" and \
            all(not _code_row(rows[j]) for j in range(k + 1, stop)):
        # `plugins:` and its `- "name"` items: the new items after the last one
        depth = rows[items[0]].depth if items else key_depth + 1
        at = items[-1] + 1 if items else k + 1
        while at < stop and _code_row(rows[at]) and not rows[at].first:
            at += 1
        origin = rows[at - 1].origin
        added = _plugin_rows(ctx, new, known, depth, origin)
        return rows[:at] + added + rows[at:]
    out = list(rows)
    if new:
        edit = _list_append(rows, k, stop, new)
        if edit is None:
            raise ir.Unconvertible("the file's `require:` block lists its plugins in a form "
                                   "the imported plugins cannot be added to (" +
                                   ", ".join(new) + "): list them there by hand",
                                   rows[k].origin)
        j, text = edit
        row = rows[j]
        if row.verbatim is not None:
            # a copied source line is laid out from the source: the changed one from its
            # text, indented by its depth (a continuation line keeps its extra indentation)
            lead = len(text) - len(text.lstrip(" "))
            base = len(rows[k].text) - len(rows[k].text.lstrip(" "))
            text = text.lstrip(" ") if row.first else \
                " " * max(0, lead - base) + text.lstrip(" ")
        out[j] = Row(row.depth, text, row.origin, None, row.first)
    # the comments of the imports, after the list
    notes = [Row(key_depth, note, rows[stop - 1].origin, None, False)
             for name in dict.fromkeys(names) for note in ctx.import_notes.get(name, [])]
    return out[:stop] + notes + out[stop:]


def _entry_tokens(rows: list[Row], k: int, stop: int):
    """``(index, tokens)`` of each code row of rows ``k`` to ``stop`` (:func:`_row_tokens`),
    the tokens None for a row that does not tokenize."""
    for j in range(k, stop):
        if not _code_row(rows[j]):
            continue
        try:
            toks = _row_tokens(rows[j])
        except LexError:
            toks = None
        yield j, toks


def _listed_plugins(rows: list[Row], k: int, stop: int) -> set[str]:
    """The plugin names the ``plugins`` entry of rows ``k`` to ``stop`` lists."""
    names: set[str] = set()
    for j, toks in _entry_tokens(rows, k, stop):
        if toks is None:
            continue
        if j == k:
            toks = toks[2:]  # `plugins` `:`
        elif toks and toks[0].text == "-":
            toks = toks[1:]
        for group in _split_items(toks):
            name = _requirement_name(group)
            if name:
                names.add(name)
    return names


def _split_items(toks: list) -> list[list]:
    """``toks`` split at commas, brackets dropped (the items of a written-out list)."""
    groups: list[list] = [[]]
    for t in toks:
        if t.kind == "OP" and t.text == ",":
            groups.append([])
        elif not (t.kind == "OP" and t.text in ("[", "]")):
            groups[-1].append(t)
    return groups


def _list_append(rows: list[Row], k: int, stop: int, names: list[str]):
    """Where and how the written-out list of the ``plugins = [...]`` / ``plugins: [...]``
    entry (rows ``k`` to ``stop``, one or several lines) takes ``names`` at its end:
    ``(index of the row to change, its new text)``, or None when the entry's value is no
    list of its own (a name, a string, ``[...] + x``) or cannot be read."""
    depth = 0
    last = None  # (row index, token) of the last token before the closing bracket
    close = None  # (row index, token) of the closing bracket
    closed = False
    for j, toks in _entry_tokens(rows, k, stop):
        if toks is None:
            return None
        if j == k:
            toks = toks[2:]
            if not toks or toks[0].kind != "OP" or toks[0].text != "[":
                return None
        for t in toks:
            if closed:
                return None  # something after the list: `[...] + x`
            if t.kind == "OP" and t.text in ("[", "(", "{"):
                depth += 1
            elif t.kind == "OP" and t.text in ("]", ")", "}"):
                depth -= 1
                if depth == 0:
                    closed = True
                    close = (j, t)
                    continue
            last = (j, t)
    if close is None or last is None:
        return None
    j, t = last
    entries = ", ".join(_quote(n) for n in names)
    if t.kind == "OP" and t.text == "[":
        insert = entries
        if close[0] == j:  # `[  ]`: the list is its names
            text = rows[j].text
            return j, text[:t.end] + entries + text[close[1].start:]
    elif t.kind == "OP" and t.text == ",":
        insert = " " + entries
    else:
        insert = ", " + entries
    text = rows[j].text
    return j, text[:t.end] + insert + text[t.end:]


def _workflow_name(stmts: list) -> Optional[str]:
    """The name of the first top-level named workflow block (``workflow NAME { }`` or
    ``workflow NAME:``), else None."""
    for s in stmts:
        if isinstance(s, ir.Block) and s.kind == "header" and len(s.words) == 2 and \
                s.words[0].text == "workflow" and s.words[1].kind == "WORD":
            return s.words[1].text
    return None


def _laid_out(ctx: _Ctx, rows: list[Row]) -> tuple[str, list[int]]:
    """The text of ``rows`` (:func:`_layout`) with its sections rewritten
    (:func:`rewrite_sections`), and the source line of each of its lines.

    Both are functions of the rows alone (their effects on ``ctx``, rule hits and review
    notes, come out the same each time), so the result for the last ``rows`` list is kept:
    the M031 probe and the final text are the same rows unless a ``require:`` or ``goal:``
    row was inserted (a new list), and laying out and parsing them twice cost a quarter
    of a migration. The rows are never changed in place after they are laid out.
    """
    last = ctx.laid_out
    if last is not None and last[0] is rows:
        text, origins = last[1]
        return text, list(origins)
    plain, plain_origins = _layout(ctx, rows)
    done = _require_inserted(ctx, last, plain, plain_origins) if last is not None else None
    if done is None:
        done = rewrite_sections(ctx, plain, plain_origins)
    text, origins = done
    ctx.laid_out = (rows, (text, list(origins)), (plain, list(plain_origins)))
    return text, origins


def _require_inserted(ctx: _Ctx, last, plain: str, plain_origins: list[int]
                      ) -> Optional[tuple[str, list[int]]]:
    """The section rewrite of ``plain`` derived from the last one, when ``plain`` is the
    last laid-out text with a top-level ``require:`` block inserted after its head (the
    M031 probe's rows, then the same rows with the plugins it found required); else None.

    The rewrite reads each top-level statement on its own and a ``require:`` section is
    neither rewritten nor a name any rewrite looks for, so it edits the same statements,
    each moved down by the block's lines: the block goes into the last rewritten text at
    the same place. Laying out, parsing and rewriting the whole text again cost a
    twentieth of a migration. The derived text must parse, shown by :func:`_spliced`
    without parsing it (``ctx.spliced``) or else by its parse; anything else takes the
    full rewrite.
    """
    from ...syntax import parse

    _, (done, done_origins), (before, before_origins) = last
    old = before.split("\n")
    new = plain.split("\n")
    k = len(new) - len(old)
    if k <= 0:
        return None
    i = 0
    while i < len(old) and old[i] == new[i]:
        i += 1
    if not new[i].startswith("require:") or new[i + k:] != old[i:] or \
            plain_origins[:i] != before_origins[:i] or \
            plain_origins[i + k:] != before_origins[i:]:
        return None
    rewritten = done.split("\n")
    if rewritten[:i] != old[:i] or done_origins[:i] != before_origins[:i]:
        return None  # the rewrite changed a line above the block: not a plain shift
    text = "\n".join(rewritten[:i] + new[i:i + k] + rewritten[i:])
    req = _spliced(done, new[i:i + k], i)
    if req is not None:
        ctx.spliced = (text, done, req, i + 1, k)
    elif parse(text).errors:
        return None
    return text, done_origins[:i] + plain_origins[i:i + k] + done_origins[i:]


def _spliced(probe: str, block: list[str], i: int):
    """The ``require:`` statement of the lines ``block`` (a ``require:`` block) inserted
    into the text ``probe`` after its first ``i`` lines, when that text is shown to parse
    without a syntax error as the top-level statements of ``probe`` with that statement
    between them (those below moved down by its lines); else None.

    Shown, within a migration's parse memo (the probe's parse is in it): ``probe`` parses
    clean, its top-level statements before the block end before it (those after start
    after it, at column 1, as every top-level statement does), and the block alone, at
    its lines, parses clean as one ``require:`` section within its lines. Top-level
    statements parse independently of each other (the parser's error recovery resumes
    on that); a parse of the converted text was a tenth of a migration after a check.
    tests/test_migrate_spliced.py holds the text's parse equal to that module."""
    from ... import ast as A
    from ...syntax import parse
    from ...syntax.parser import memoising

    if not memoising():
        return None
    was = parse(probe)  # the M031 probe's (a memo hit)
    if was.errors:
        return None
    line = i + 1
    alone = parse("\n" * i + "\n".join(block) + "\n")
    body = alone.module.body
    if alone.errors or len(body) != 1:
        return None
    req = body[0]
    if type(req) is not A.Section or req.name != "require" or req.line != line or \
            req.column != 1 or req.end_line >= line + len(block):
        return None
    before = [s for s in was.module.body if s.line < line]
    if before and before[-1].end_line >= line:
        return None
    return req


_PLUGIN_HINT = re.compile(r"^list plugin '([A-Za-z_]\w*)' under `require: plugins:`")


def _plugin_receivers(ctx: _Ctx, rows: list[Row], imports: list[str],
                      hints: bool = False) -> list[str]:
    """M031: the names the converted file calls functions on (``example.greet(x)``,
    ``sysmon.status()``) without binding them anywhere: in the legacy runtimes such a name
    is a plugin, loaded by name, so it becomes a ``require: plugins:`` entry (listed for
    review), in the order of first use. The validator decides what is unbound (the same
    judgement as its AE301 "list plugin ... under `require: plugins:`"). Nothing when the
    file has a ``require:`` block (or ``require: {...}`` map) of its own (the author listed
    its plugins; a missing one stays a finding) or the text does not parse. ``hints``: see
    :func:`convert` (the plugin hint it reads is no did-you-mean: it is there either way)."""
    from ...semantics.validator import validate
    from ...syntax import parse

    if _requires(rows):
        return []
    # what M035 makes of an action section is code too (`- memory.save(x)` in `actions:`)
    probe, origins = _laid_out(ctx, rows)
    try:
        result = parse(probe)
    except Exception:  # pragma: no cover - the engine reports the parse error itself
        return []
    if result.errors:
        return []
    names: list[str] = []
    taken = set(imports)  # and the names listed so far (a set: thousands may be)
    for f in sorted(validate(result.module, hints=hints), key=lambda f: (f.line, f.column)):
        m = _PLUGIN_HINT.match(f.hint or "") if f.rule == "AE301" else None
        if m and m.group(1) not in taken:
            taken.add(m.group(1))
            names.append(m.group(1))
            at = origins[f.line - 1] if 0 < f.line <= len(origins) else 1
            ctx.hit("M031", at)
            ctx.review.append((at, f"'{m.group(1)}' is called like a "
                               "plugin and nothing binds it: listed under `require: "
                               "plugins:`"))
    return names


_HEADING = re.compile(r"^\s*(?:#|//)\s*(.*?)\s*$")
_WORDS = re.compile(r"[A-Za-z]{2,}")


def _heading(text: str) -> Optional[str]:
    """The first comment line of the file's leading comment block (before any code) that
    reads as a title: at least two words, not a signature header; decoration (emoji,
    ``=`` rules) trimmed from its ends. None when the file opens with code."""
    for line in text.split("\n"):
        if not line.strip():
            continue
        m = _HEADING.match(line)
        if m is None:
            return None
        body = m.group(1)
        if body.startswith("@") or len(_WORDS.findall(body)) < 2:
            continue
        start = re.search(r"[\w\"'(]", body)
        end = re.search(r"[\w\"')!?.]\W*$", body)
        title = body[start.start():end.start() + 1] if start and end else body
        return title.rstrip(".").replace("\\", "/")
    return None


def _is_brace(stmts: list) -> bool:
    stack = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, ir.Block):
            if s.style == "brace":
                return True
            stack.extend(s.body)
    return False
