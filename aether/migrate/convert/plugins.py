"""Plugin files (brace and YAML dialects): ``plugin NAME { }`` / ``plugin "name":`` unwrapped.

Their metadata becomes a ``meta:`` block (printed by :func:`~.whole_file.convert`),
everything else moves to the top level.

Rules: M014 brace-plugin, M015 yaml-plugin.
Also: M004 (`plugin NAME` without its colon), M006 (`workflow NAME { }`).
"""

from __future__ import annotations

from .. import ir
from .context import Row, _Ctx


_META_KEYS = {"description", "version", "author", "memory_access", "schedule", "tags",
              "category", "name", "type", "priority", "enabled", "license", "homepage",
              "keywords", "dependencies", "permissions", "trigger_on", "interval"}


def _unwrap_plugins(ctx: _Ctx, stmts: list) -> tuple[list, list[Row]]:
    """Top-level ``plugin NAME { }`` / ``plugin "name":`` blocks: their metadata becomes a
    ``meta:`` block, everything else moves to the top level (M014 / M015)."""
    out: list = []
    for s in stmts:
        if isinstance(s, ir.Block) and s.kind == "plugin":
            rule = "M014" if s.style == "brace" else "M015"
            ctx.hit(rule, s.first)
            if s.style == "colonless":  # `plugin NAME` over an indented body
                ctx.hit("M004", s.first)
            meta: list[ir.Simple] = []
            body: list = []
            for inner in s.body:
                if isinstance(inner, ir.Simple) and inner.kind == "bind" and (
                        not isinstance(inner.value, (ir.DictE, ir.Call)) or
                        inner.target.id in _META_KEYS and not isinstance(inner.value, ir.DictE)):
                    meta.append(inner)
                else:
                    body.append(inner)
            holder = _PluginMeta(s, meta)
            out.append(holder)
            out.extend(body)
            # the comment of its `end` line (`end  # plugin`): kept, as any block's is
            out.extend(ir.Comment(c, s.last, 0) for c in s.closer_comments)
        elif isinstance(s, ir.Block) and s.kind == "header" and len(s.words) == 2 and \
                s.words[0].text == "workflow" and s.style == "brace":
            # `workflow NAME { ... }`: a workflow section named by a meta entry
            ctx.hit("M006", s.first)
            out.append(s)
        else:
            out.append(s)
    return out, []


class _PluginMeta(ir.Stmt):
    """Placeholder for a plugin's ``meta:`` block (printed by :func:`convert`)."""

    __slots__ = ("plugin", "entries")

    def __init__(self, plugin: ir.Block, entries: list):
        super().__init__(plugin.first, plugin.head_last)
        self.plugin = plugin
        self.entries = entries
