"""`aether tools manifest`: what each workflow can do, for the reviewer who approves it.

For each workflow: the tools it can reach (effectful callables: builtins whose effect is
not ``pure``, project tools, plugin members), directly or through its own ``fn``s
(transitively), with effect, risk tier and capabilities; the host inputs it reads; and
the names it calls that nobody declared. The tree is read with the checker's parser and
validator, never parsed here. JSON shape: docs/cli.md#aether-tools-manifest.
"""

from __future__ import annotations

from typing import Optional, Sequence

from .. import ast as A
from ..semantics.catalogue import RISKS, Catalogue
from ..source import read_source
from ..walk import SourceFile

__all__ = ["manifest", "workflow_manifest", "format_text", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1
_RISK_ORDER = {"low": 0, "medium": 1, "high": 2, "unreviewed": 3}


def _scopes(module: A.Module) -> tuple[list, dict[str, list]]:
    """The calls of the top level and of each ``fn`` body (a nested fn is a scope of its
    own, as the validator treats every fn as file-wide), and the names they mention
    otherwise, as ``(name,)`` tuples: a fn or tool passed as a value (`map(xs, f)`,
    `g: deploy`) is called by whoever receives it, so it is reached too."""
    top: list = []
    fns: dict[str, list] = {}
    stack: list[tuple[A.Node, list]] = [(s, top) for s in reversed(module.body)]
    called: set[int] = set()  # Name nodes that are a call's callee or a step
    while stack:
        node, calls = stack.pop()
        if isinstance(node, A.FnDef):
            own = fns.setdefault(node.name, [])
            stack.extend((c, own) for c in reversed(node.body))
            stack.extend((p, calls) for p in reversed(node.params))  # defaults run outside
            continue
        if isinstance(node, A.Call):
            calls.append(node)
            called.add(id(node.func))
        elif isinstance(node, A.Section) and node.name == "steps":
            # `- step_name` in `workflow: steps:` is a call without arguments
            steps = [d.value for d in node.body if isinstance(d, A.DashItem)
                     and isinstance(d.value, (A.Name, A.Member))]
            calls.extend(steps)
            called.update(id(v) for v in steps)
        elif isinstance(node, A.Name) and id(node) not in called:
            calls.append((node.id,))
        elif isinstance(node, A.Member) and id(node) not in called:
            calls.append(node)  # `map(xs, sysmon.status)`; a value's field is skipped below
        stack.extend((c, calls) for c in reversed(list(A.iter_children(node))))
    return top, fns


def workflow_manifest(text: str, display: str, cat: Catalogue,
                      without_inputs: Optional[Catalogue] = None, parsed=None) -> dict:
    """The manifest of one workflow (decoded ``text`` shown as ``display``).
    ``without_inputs``: ``cat`` with no inputs (made once for a fleet: the validator files
    a catalogue's names once per catalogue object, see suggest.catalogue_index).
    ``parsed``: ``parse(text)`` when the caller has it already (``classify`` runs the same
    tree after), else the text is parsed here."""
    from ..semantics.validator import RECOVERED, Validator, inputs_in
    from ..syntax import parse

    result = parsed if parsed is not None else parse(text)
    module = result.module
    v = Validator(without_inputs or cat.replace(inputs={}), report_unbound=True)
    inputs = inputs_in(v.validate(module), cat)
    top, fns = _scopes(module)
    # a name the file binds is a variable where it is used as a value (`log: "x"`), not
    # the builtin of that name
    from ..semantics.validator import bound_names

    variables = bound_names(module.body)
    for node in A.walk(module):
        if isinstance(node, A.FnDef):
            variables |= bound_names(node.body) | {p.name for p in node.params}
    reached: dict[str, dict] = {}
    unknown: dict[str, int] = {}
    visited: set[str] = set()
    todo: list[tuple[Optional[str], list]] = [(None, top)]
    while todo:
        via, calls = todo.pop()
        for c in calls:
            entry = None
            if isinstance(c, tuple):  # a name used as a value
                name = c[0]
                if name in fns:
                    if name not in visited:
                        visited.add(name)
                        todo.append((name, fns[name]))
                    continue
                b = cat.functions.get(name) if name not in variables else None
                if b is None:
                    continue  # a variable
                entry = (name, "tool" if name in cat.tools else "builtin", b)
                func = None
            else:
                func = c.func if isinstance(c, A.Call) else c
            if entry is not None:
                pass
            elif isinstance(func, A.Name):
                name = func.id
                if name in fns:
                    if name not in visited:
                        visited.add(name)
                        todo.append((name, fns[name]))
                    continue
                b = cat.functions.get(name)
                if b is None:
                    # RECOVERED: the parser's stand-in for code it could not read (no name
                    # the file uses; `check` reports the syntax error, not it)
                    if name not in v.fns and name != RECOVERED:
                        unknown[name] = unknown.get(name, 0) + 1
                    continue
                entry = (name, "tool" if name in cat.tools else "builtin", b)
            elif isinstance(func, A.Member):
                dotted = A.dotted_name(func)
                if dotted is None:
                    continue
                base = dotted.split(".", 1)[0]
                if base in v.plugins:
                    plugin = cat.plugins.get(base)
                    b = plugin.functions.get(func.attr) if plugin else None
                    entry = (dotted, "plugin", b)
                elif dotted in cat.builtins:
                    entry = (dotted, "builtin", cat.builtins[dotted])
                else:
                    continue  # a value's method, or an unknown reported by `check`
            else:
                continue
            name, kind, b = entry
            if b is not None and b.effect == "pure":
                continue
            row = reached.get(name)
            if row is None:
                row = reached[name] = {
                    "name": name, "kind": kind,
                    "effect": b.effect if b else "unknown",
                    "risk": b.risk if b else "unreviewed",
                    "capabilities": list(b.capabilities) if b else [],
                    "calls": 0, "direct": False, "via": []}
            row["calls"] += 1
            if via is None:
                row["direct"] = True
            elif via not in row["via"]:
                row["via"].append(via)
    tools = sorted(reached.values(), key=lambda r: r["name"])
    for row in tools:
        row["via"].sort()
    caps = sorted({c for r in tools for c in r["capabilities"]})
    risk = max((r["risk"] for r in tools), key=_RISK_ORDER.__getitem__, default=None)
    return {"file": display, "tools": tools,
            "inputs": [{"name": n, "type": cat.inputs[n]} for n in inputs],
            "capabilities": caps, "effects": sorted({r["effect"] for r in tools}),
            "max_risk": risk, "undeclared": sorted(unknown),
            "parse_errors": len(result.errors)}


def manifest(files: Sequence[SourceFile], cat: Catalogue, max_size: int) -> dict:
    """The manifest of every readable file of ``files`` and the fleet totals."""
    workflows = []
    unreadable = []
    without_inputs = cat.replace(inputs={})
    for src in files:
        read = read_source(src.path, max_size)
        if read.text is None:
            unreadable.append({"file": src.display, "error": read.error.message})
            continue
        workflows.append(workflow_manifest(read.text, src.display, cat, without_inputs))
    by_tool: dict[str, dict] = {}
    for w in workflows:
        for r in w["tools"]:
            t = by_tool.setdefault(r["name"], {k: r[k] for k in ("name", "kind", "effect",
                                                                  "risk", "capabilities")}
                                   | {"workflows": 0, "calls": 0})
            t["workflows"] += 1
            t["calls"] += r["calls"]
    tools = sorted(by_tool.values(), key=lambda t: t["name"])
    totals = {
        "workflows": len(workflows),
        "tools": tools,
        "by_risk": {r: sum(1 for w in workflows if w["max_risk"] == r) for r in RISKS},
        "capabilities": sorted({c for w in workflows for c in w["capabilities"]}),
        "inputs": sorted({i["name"] for w in workflows for i in w["inputs"]}),
        "undeclared": sorted({n for w in workflows for n in w["undeclared"]}),
    }
    return {"version": MANIFEST_VERSION, "catalogue": list(cat.files), "workflows": workflows,
            "unreadable": unreadable, "totals": totals}


def format_text(doc: dict) -> str:
    """The manifest for a reader: one block per workflow, then the fleet totals (file
    names with invisible characters shown as placeholders, as `check` shows them: a
    repository's file names must not drive the reviewer's terminal)."""
    from ..output.text import printable

    out = []
    for w in doc["workflows"]:
        out.append(f"{w['file']}  (highest risk: {w['max_risk'] or 'none'})")
        for r in w["tools"]:
            via = f"  via {', '.join(r['via'])}{' and directly' if r['direct'] else ''}" \
                if r["via"] else ""
            caps = f"  [{', '.join(r['capabilities'])}]" if r["capabilities"] else ""
            out.append(f"  {r['name']:<28} {r['effect']:<13} {r['risk']:<10} "
                       f"x{r['calls']}{caps}{via}")
        if not w["tools"]:
            out.append("  no tools (pure computation only)")
        if w["inputs"]:
            out.append("  inputs: " + ", ".join(f"{i['name']} ({i['type']})"
                                                for i in w["inputs"]))
        if w["undeclared"]:
            out.append("  undeclared: " + ", ".join(w["undeclared"]))
        if w["parse_errors"]:
            out.append(f"  note: {w['parse_errors']} syntax error(s): what is listed is "
                       "what could be read")
        out.append("")
    for u in doc["unreadable"]:
        out.append(f"{u['file']}: not read ({u['error']})")
    t = doc["totals"]
    risk = ", ".join(f"{n} {r}" for r, n in t["by_risk"].items() if n)
    out.append(f"{t['workflows']} workflows, {len(t['tools'])} distinct tools; highest risk "
               f"per workflow: {risk or 'none'}")
    if t["capabilities"]:
        out.append("capabilities: " + ", ".join(t["capabilities"]))
    if t["inputs"]:
        out.append("inputs: " + ", ".join(t["inputs"]))
    if t["undeclared"]:
        out.append(f"undeclared names: {len(t['undeclared'])} (`aether tools infer` "
                   "proposes entries)")
    return "".join(printable(line) + "\n" for line in out)
