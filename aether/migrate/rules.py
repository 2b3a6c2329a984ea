"""The migration's own rule registry: one named, documented transform per legacy construct.

These ids (``M001``...) name what ``aether migrate`` did to a file; they are separate from
the checker's rule ids (``AE2xx`` say what is wrong, ``M0xx`` how it was converted).
``--select`` / ``--ignore`` take ids, id prefixes or names. ``docs/migrate.md`` describes
each rule and ``tests/migrate_golden/<id>-<name>/`` holds a before/after pair for it.
A published id never changes meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

__all__ = ["MigrationRule", "RULES", "rule", "RuleSelection"]


@dataclass(frozen=True)
class MigrationRule:
    id: str
    name: str
    summary: str
    checker_rules: tuple[str, ...] = ()  # AE2xx findings this rule resolves


_LIST = [
    MigrationRule("M001", "intent-to-goal", "`intent:` becomes `goal:`.", ("AE201",)),
    MigrationRule("M002", "goal-colon", "`goal \"text\"` gets its colon.", ("AE202",)),
    MigrationRule("M003", "goal-quote", "Unquoted goal text is quoted; trailing `key: value` "
                  "attributes become entries of a `meta:` block.", ("AE203",)),
    MigrationRule("M004", "colon-headers", "Block headers written without their colon (`if x`, "
                  "`workflow`, `- when X`, `do call()`) get it.", ("AE205", "AE213")),
    MigrationRule("M005", "end-blocks", "`end` lines go; bodies are indented under their "
                  "header.", ("AE206",)),
    MigrationRule("M006", "brace-blocks", "`{ ... }` blocks become indented blocks.", ("AE209",)),
    MigrationRule("M007", "fn-definitions", "`function f(a):`, `def f():`, `define f()`, "
                  "`NAME() { }` become `fn f(a):`."),
    MigrationRule("M008", "define-as", "`define x as y` becomes `x: y`.", ("AE208",)),
    MigrationRule("M009", "event-handlers", "`when EVENT:`, `on event \"x\":`, `every 5m:` and "
                  "other legacy block headers become `fn on_EVENT():` (code) or a section "
                  "(data).", ("AE207",)),
    MigrationRule("M010", "memory-sugar", "`remember(x) as \"tag\"`, `recall tag: \"x\"`, "
                  "`store x in memory` become `memory:` calls.", ("AE211",)),
    MigrationRule("M011", "commands", "Bare commands (`think \"...\"`, `reflect on x`, "
                  "`plugin: name args`, `agent: on`) become calls.", ("AE212",)),
    MigrationRule("M012", "assignments", "`let x = v`, `x = v`, `$x = v` become `x: v`; "
                  "`x++` becomes `x += 1`.", ("AE204",)),
    MigrationRule("M013", "member-assignment", "`a.b = v` and `a[k] = v` become the update "
                  "targets `a.b: v` and `a[k]: v` (`a[k] += 1` stays as written)."),
    MigrationRule("M014", "brace-plugin", "`plugin NAME { ... }` is unwrapped: metadata into "
                  "`meta:`, functions and hooks to the top level.", ("AE209",)),
    MigrationRule("M015", "yaml-plugin", "`plugin \"name\":` files are unwrapped the same way.",
                  ("AE210",)),
    MigrationRule("M016", "bare-values", "Unquoted text values (`schedule: every 24h`) become "
                  "strings; `meta:` values become literals."),
    MigrationRule("M017", "dash-items", "Numbered items (`1. x`) and YAML text items become "
                  "`- ...` entries."),
    MigrationRule("M018", "kwarg-colon", "Call arguments `tag: x` become `tag=x`.", ("AE214",)),
    MigrationRule("M019", "js-expressions", "`&&` `||` `!` `===` `80%` `0x1F` `a..b` and "
                  "`Math.floor`-style calls get their Aether 1.2 spelling; `a?.b` becomes a "
                  "null check (see M021)."),
    MigrationRule("M020", "lambdas", "`x => expr` and `function (x) { }` become named `fn` "
                  "definitions placed before their use."),
    MigrationRule("M021", "conditional-expressions", "`c ? a : b` and `if c { a } else { b }` "
                  "used as values become an `if`/`else` that binds a temporary."),
    MigrationRule("M022", "string-interpolation", "`\"text {x}\"` (brace dialect) and "
                  "f-strings become `\"text \" + str(x)`."),
    MigrationRule("M023", "match-to-if", "`match v { case 1: ... default: ... }` becomes an "
                  "`if`/`elif`/`else` chain."),
    MigrationRule("M024", "loops", "`for k, v in d` becomes a loop over `keys(d)`; "
                  "`for i in 1..5` over `range(1, 6)`; comprehensions and generator arguments "
                  "become a loop that fills a list."),
    MigrationRule("M025", "reserved-names", "Names and keys that are Aether 1.2 reserved words "
                  "get a trailing underscore (`if:` becomes `if_:`)."),
    MigrationRule("M026", "comments", "`//` comments become `#` comments."),
    MigrationRule("M027", "whitespace", "Tabs in indentation, trailing whitespace and mixed "
                  "indentation are normalised.", ("AE105",)),
    MigrationRule("M028", "add-goal", "A file without a top-level goal gets one from its "
                  "description, plugin or workflow name or heading comment (marked for review); never "
                  "from its file name.", ("AE312",)),
    MigrationRule("M029", "imports", "`import \"path\" as name` and `use a/b` become `require:` "
                  "plugin entries, from inside blocks too (marked for review)."),
    MigrationRule("M030", "try-finally", "A `finally` body that no `return`/`break` can skip "
                  "is placed after its `try`/`catch`."),
    MigrationRule("M031", "plugin-receivers", "A name the file calls functions on "
                  "(`example.greet(x)`) and never binds is a legacy plugin: it is listed under "
                  "`require: plugins:` (marked for review)."),
    MigrationRule("M032", "legacy-builtins", "Builtins of the legacy runtimes get their "
                  "Aether 1.2 names: `plugin(\"x.y\")` becomes `run_plugin(\"x.y\")`; "
                  "`sleep(5, \"seconds\")` becomes `sleep(5s)`; the legacy keywords `tags=` "
                  "and `category=` of a builtin that takes `tag` become `tag=`."),
    MigrationRule("M033", "memory-config", "A top-level `memory:` that is no memory call "
                  "(`memory: persistent`, a section of settings) becomes the binding "
                  "`memory_config:`."),
    MigrationRule("M034", "data-sections", "A top-level section the language does not have, "
                  "holding only entries and items of literals or bare words, becomes a map "
                  "(or list) binding of the same name."),
    MigrationRule("M035", "action-sections", "A top-level section the language does not have, "
                  "holding statements and `- call()` items, becomes `fn NAME():`."),
    MigrationRule("M036", "spec-sections", "A top-level section the language does not have, "
                  "whose entries and items hold expressions (`using: agent.scan()`), becomes "
                  "`fn NAME():` returning them as a map (or list), evaluated when called."),
    MigrationRule("M037", "handler-calls", "A call of a legacy event by its name "
                  "(`run_requested(x)`, a bare `started` line) calls the `fn` its handler "
                  "became (`on_run_requested(x)`)."),
    MigrationRule("M038", "on-error-split", "An `on_error` entry holding several `when`/`do` "
                  "pairs becomes one rule per pair."),
    MigrationRule("M039", "in-place-sort", "A list sorted in place, `xs.sort(key=k)`, is "
                  "rebound to its sorted copy: `xs: sorted(xs, key=k)`."),
    MigrationRule("M040", "on-error-steps", "An `on_error:` list of steps without `when`/`do` "
                  "rules becomes `fn on_error_steps():` holding them and the rule "
                  "`- when: Any` / `do: on_error_steps()`.", ("AE317",)),
    MigrationRule("M041", "chained-commands", "A builtin verb between two values of a command "
                  "(`analyze \"a\" suggest \"b\"`) starts a second command: "
                  "`analyze(\"a\")` / `suggest(\"b\")`.", ("AE303",)),
    MigrationRule("M042", "command-fit", "A builtin command given more values than it takes "
                  "gets them as one list (`analyze a.x, a.y, a.z` becomes "
                  "`analyze([a.x, a.y, a.z])`) or, joined by prepositions, as one text "
                  "(`optimize \"x\" for \"y\"` becomes `optimize(\"x for y\")`).", ("AE303",)),    MigrationRule("M043", "memory-search-one", "The legacy single-record memory query "
                  "`search_memory_one({type: \"goal\", id: id})` becomes the first record of "
                  "the list query, or null: `first(search_memory(type=\"goal\", id=id, "
                  "limit=1))`.", ("AE301",)),
]

RULES: dict[str, MigrationRule] = {r.id: r for r in _LIST}
_BY_NAME = {r.name: r for r in _LIST}


def rule(key: str) -> MigrationRule:
    """The rule with id ``key`` (``M001``) or name (``intent-to-goal``); KeyError if none."""
    found = RULES.get(key.upper()) or _BY_NAME.get(key.lower())
    if found is None:
        raise KeyError(key)
    return found


@dataclass(frozen=True)
class RuleSelection:
    """Which rules may run (``--select`` / ``--ignore``, ids, prefixes such as ``M01`` or
    names, like ruff)."""

    select: Optional[frozenset[str]] = None
    ignore: frozenset[str] = frozenset()

    @classmethod
    def make(cls, select: Optional[Iterable[str]] = None,
             ignore: Iterable[str] = ()) -> "RuleSelection":
        """Raises KeyError (with the bad name) for a name or id no rule has."""
        return cls(None if select is None else frozenset(_norm(select)), frozenset(_norm(ignore)))

    def allows(self, rule_id: str) -> bool:
        def match(patterns) -> int:
            best = 0
            for p in patterns:
                if p == "ALL" or rule_id.startswith(p):
                    best = max(best, 1 if p == "ALL" else len(p))
            return best
        sel = 1 if self.select is None else match(self.select)
        ign = match(self.ignore)
        return sel > 0 and (ign == 0 or sel > ign)

    @property
    def everything(self) -> bool:
        return self.select is None and not self.ignore


def _norm(items: Iterable[str]) -> list[str]:
    out = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        if item.upper() == "ALL":
            out.append("ALL")
            continue
        try:
            out.append(rule(item).id)
        except KeyError:
            up = item.upper()
            if up.startswith("M") and up[1:].isdigit() and any(r.startswith(up) for r in RULES):
                out.append(up)
            else:
                raise
    return out
