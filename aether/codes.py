"""The one registry of status codes and rule ids: what every finding and exit status means.

Status codes (0, 1, 20-27) are the fixed table of REFERENCE.md and never change. Rule ids
(``AE101`` ...) sit under them, one per kind of finding. A published rule id never changes
meaning; a retired rule keeps its number reserved. ``docs/codes.md`` is generated from this
module (``tools/gen_docs.py``) and a test fails when a rule lacks docs or a fixture.
"""

from __future__ import annotations

from enum import IntEnum

from .record import SET, FrozenRecord

__all__ = ["Status", "Rule", "RULES", "rule", "rules_by_status", "category_of"]


class Status(IntEnum):
    """Status codes: the exit status of a one-file check and ``code`` in JSON output."""

    SUCCESS = 0
    GENERIC_FAILURE = 1
    PARSE_ERROR = 20
    RUNTIME_ERROR = 21
    SIGNATURE_ERROR = 22
    TIMEOUT_ERROR = 23
    UNSUPPORTED_FEATURE = 24
    VALIDATION_ERROR = 25
    IO_ERROR = 26
    INTERNAL_ERROR = 27

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @property
    def phase(self) -> str:
        """The phase a finding of this status belongs to: parse, validate or execute."""
        return _PHASES.get(self, "parse")  # a table: every report asks once per finding


_PHASES = {
    Status.VALIDATION_ERROR: "validate",
    Status.RUNTIME_ERROR: "execute",
    Status.TIMEOUT_ERROR: "execute",
}

_MEANINGS = {
    Status.SUCCESS: "parsed / validated / executed",
    Status.GENERIC_FAILURE: "legacy catch-all",
    Status.PARSE_ERROR: "structural / syntax issue",
    Status.RUNTIME_ERROR: "execution failed",
    Status.SIGNATURE_ERROR: "signature missing (strict), invalid, untrusted or revoked",
    Status.TIMEOUT_ERROR: "time or step budget exceeded",
    Status.UNSUPPORTED_FEATURE: "recognised but not implemented construct",
    Status.VALIDATION_ERROR: "semantic check failed (e.g. unknown function)",
    Status.IO_ERROR: "file missing, unreadable, not text",
    Status.INTERNAL_ERROR: "the tool itself crashed (must never happen on any input)",
}

# Reference classifier categories, by status (REFERENCE.md "Failure classifier").
_CATEGORIES = {
    Status.PARSE_ERROR: "ParseError",
    Status.VALIDATION_ERROR: "ValidationError",
    Status.SIGNATURE_ERROR: "SignatureMissing",
    Status.RUNTIME_ERROR: "RuntimeError",
    Status.TIMEOUT_ERROR: "Timeout",
    Status.UNSUPPORTED_FEATURE: "NotImplemented",
    Status.IO_ERROR: "IOError",
}


def category_of(status: Status) -> str:
    """The reference failure category for ``status`` (``Other`` when it has none)."""
    # Status(x) is a slow call; a Status (what findings give) needs no conversion
    return _CATEGORIES.get(status if type(status) is Status else Status(status), "Other")


class Rule(FrozenRecord):
    """One kind of finding.

    ``wrong`` is a minimal file that triggers the rule, ``right`` the corrected file;
    both appear in the generated docs and ``wrong`` is run by the test-suite.
    """

    __slots__ = _fields = ("id", "name", "status", "summary", "explanation", "wrong", "right",
                           "migrate_hint")
    id: str
    name: str
    status: Status
    summary: str
    explanation: str
    wrong: str
    right: str
    migrate_hint: bool  # legacy-dialect rules point at `aether migrate`

    def __init__(self, id, name, status, summary, explanation, wrong, right,
                 migrate_hint=False):
        SET(self, "id", id)
        SET(self, "name", name)
        SET(self, "status", status)
        SET(self, "summary", summary)
        SET(self, "explanation", explanation)
        SET(self, "wrong", wrong)
        SET(self, "right", right)
        SET(self, "migrate_hint", migrate_hint)

    @property
    def phase(self) -> str:
        return self.status.phase


_P = Status.PARSE_ERROR
_V = Status.VALIDATION_ERROR
_IO = Status.IO_ERROR
_R = Status.RUNTIME_ERROR
_S = Status.SIGNATURE_ERROR

_G = 'goal: "demo"\n'  # most examples need a goal to be otherwise clean

_RULE_LIST = [
    # ------------------------------------------------------------ AE0xx: reading input
    Rule("AE001", "file-not-found", _IO, "The path does not exist.",
         "A path given on the command line (or named by --stdin-filename) does not exist.",
         "aether check missing.aether", "aether check workflows/"),
    Rule("AE002", "not-a-file", _IO, "The path is not a regular file.",
         "`--check` needs a file; a directory, socket or device cannot be checked as one. "
         "`aether check DIR` searches a directory for *.aether files instead.",
         "aether --check workflows/", "aether check workflows/"),
    Rule("AE003", "permission-denied", _IO, "The file cannot be read (permission denied).",
         "The operating system refused to open the file for reading.",
         "chmod 000 flow.aether && aether check flow.aether",
         "chmod 644 flow.aether && aether check flow.aether"),
    Rule("AE004", "binary-file", _IO, "The file is binary, not text (it contains NUL bytes).",
         "Aether files are UTF-8 text. A NUL byte means the file is binary or corrupt.",
         'goal: "x"\\0', 'goal: "x"\n'),
    Rule("AE005", "invalid-utf8", _IO, "The file is not valid UTF-8.",
         "Aether files are UTF-8. The message names the first bad byte's line and column. "
         "Re-save the file as UTF-8.",
         'goal: "caf\\xe9"   (Latin-1 bytes)', 'goal: "café"     (UTF-8)'),
    Rule("AE006", "file-too-large", _IO, "The file exceeds the size limit.",
         "Files larger than `max-file-size` (default 10 MiB) are not parsed, so one stray "
         "artifact cannot stall a check of a whole tree. Raise the limit in configuration "
         "if the file really is a workflow.",
         "a 50 MB generated file", "split it, or set max-file-size"),
    Rule("AE007", "read-error", _IO, "The file could not be read.",
         "Any other operating-system error while reading (I/O error, too many open files...).",
         "a file on a failing disk", "a readable file"),
    Rule("AE008", "input-not-given", _IO,
         "A declared input the workflow reads has no value, or one of the wrong type.",
         "`aether run` binds each `[inputs]` name of the tool catalogue that the workflow "
         "reads (before binding it itself) to the value of `--input NAME=VALUE` or "
         "`--inputs FILE.json`, before the first statement. A missing value, or one that "
         "is not of the declared type (`int`, `float`, `str`, `bool`, `list[T]`, "
         "`map[T]`, `null`, `any`; other names are not checked), refuses the run before "
         "anything runs or is recorded; the message names the input and the catalogue.",
         'aether run flow.aether               # [inputs] x = "int"; flow logs x',
         "aether run flow.aether --input x=5"),
    # ------------------------------------------------------------ AE1xx: syntax
    Rule("AE100", "unexpected-token", _P, "The parser found a token where it expected another.",
         "The message names what was expected in words and shows a caret under the spot.",
         _G + "x: (1 + )\n", _G + "x: (1 + 2)\n"),
    Rule("AE101", "unexpected-character", _P, "A character that cannot start any token.",
         "Only the characters of the language's tokens may appear outside strings and "
         "comments.",
         _G + "x: 1 $ 2\n", _G + "x: 1 + 2\n"),
    Rule("AE102", "unbalanced-bracket", _P, "A bracket is never closed, or closes the wrong one.",
         "Brackets ( [ { must be closed by their partner. The message names where the open "
         "bracket is.",
         _G + "x: [1, 2\n", _G + "x: [1, 2]\n"),
    Rule("AE103", "unexpected-indent", _P, "A line is indented where no block starts.",
         "Only the lines after a line ending in `:` (a block header) may be indented more.",
         _G + "x: 1\n    y: 2\n", _G + "x: 1\ny: 2\n"),
    Rule("AE104", "inconsistent-dedent", _P, "A dedent does not return to an enclosing level.",
         "When a block ends, the next line must line up with an enclosing block.",
         _G + "if true:\n        log(\"a\")\n    log(\"b\")\n",
         _G + "if true:\n    log(\"a\")\nlog(\"b\")\n"),
    Rule("AE105", "tab-indentation", _P, "Tabs are used in indentation.",
         "Indentation is spaces only; a tab's width is ambiguous. `aether fmt` converts them.",
         _G + "if true:\n\tlog(\"a\")\n", _G + "if true:\n    log(\"a\")\n"),
    Rule("AE106", "missing-block", _P, "A block header has no indented body.",
         "A line ending in `:` must be followed by at least one more-indented line. An empty "
         "block is an error.",
         _G + "policy:\nx: 1\n", _G + "policy:\n    risk_budget: 0.1\nx: 1\n"),
    Rule("AE107", "reserved-word", _P, "A reserved word is used as a name.",
         "These words cannot be names: if elif else for in while fn return try catch break "
         "continue await not and or true false null as.",
         _G + "for: 1\n", _G + "count: 1\n"),
    Rule("AE108", "unterminated-string", _P, "A string literal is not closed on its line.",
         "Strings end on the line they start on, with the same quote they open with.",
         _G + 'x: "open\n', _G + 'x: "closed"\n'),
    Rule("AE109", "bare-expression", _P, "A statement is a bare expression, not a call.",
         "A line that is only an expression must be a call such as `reflect()`; a stray word "
         "does nothing and is usually a typo or a legacy command.",
         _G + "x: 1\nx\n", _G + "x: 1\nlog(x)\n"),
    Rule("AE110", "nesting-too-deep", _P, "Brackets or blocks are nested too deeply.",
         "More than 100 nested brackets or 100 nested blocks, or an update target of more "
         "than 100 steps (`a.b.c...: v`), is refused: no real workflow needs it and it "
         "guards the tools against runaway input.",
         _G + "x: " + "[" * 101 + "]" * 101 + "\n", _G + "x: [[1]]\n"),
    Rule("AE111", "unexpected-eof", _P, "The file ends in the middle of a construct.",
         "The last statement is incomplete: something it needs is missing at the end of file.",
         _G + "x: 1 +", _G + "x: 1 + 2\n"),
    Rule("AE112", "number-out-of-range", _P, "A number literal is outside the range of numbers.",
         "Integers are 64-bit: a literal above 9223372036854775808 (2**63, which may only be "
         "negated) cannot be a value, and a float or duration literal so large that it is "
         "infinite (`1e999`) is not a number. Write a smaller number, or a string if it is "
         "an identifier.",
         _G + "x: 99999999999999999999\n", _G + 'x: "99999999999999999999"\n'),
    Rule("AE113", "surrogate-escape", _P,
         "A `\\uXXXX` escape names half of a UTF-16 surrogate pair alone.",
         "`\\ud800` to `\\udfff` are halves of a UTF-16 pair, not characters: two escapes "
         "of a pair, high then low (`\\ud83d\\ude00`), are one character, as in JSON, but "
         "one alone is no text (UTF-8 cannot hold it, so the string could be neither "
         "printed, recorded nor passed to a tool). Escape the whole character, or write it.",
         _G + 'x: "\\ud83d"\n', _G + 'x: "\\ud83d\\ude00"\n'),
    # ------------------------------------------------------------ AE2xx: legacy dialects
    Rule("AE201", "legacy-intent", _P, "`intent:` is the old name of `goal:`.",
         "Older scripts declare their objective with `intent:`. Aether 1.2 calls it `goal:`.",
         'intent: "summarise logs"\n', 'goal: "summarise logs"\n', True),
    Rule("AE202", "legacy-goal-no-colon", _P, "`goal \"...\"` without the colon.",
         "The goal is a binding and needs its colon.",
         'goal "summarise logs"\n', 'goal: "summarise logs"\n', True),
    Rule("AE203", "legacy-unquoted-goal", _P, "Goal text is not quoted.",
         "Goal text must be a string. Trailing `key: value` attributes (priority: high) "
         "become entries of a `meta:` block when migrated, not part of the text.",
         "goal: reduce memory usage by 25% priority: medium\n",
         'goal: "reduce memory usage by 25%"\nmeta:\n    priority: "medium"\n', True),
    Rule("AE204", "legacy-assignment", _P, "`name = value` outside a configuration block.",
         "The reference interpreter's `name = value` is written `name: value` in Aether 1.2. "
         "`key = value` stays valid inside meta, policy, require and plugin_contract.",
         _G + "limit = 5\n", _G + "limit: 5\n", True),
    Rule("AE205", "legacy-colonless-header", _P, "A block header without its colon.",
         "`if cond`, `for x in xs`, `workflow`, `meta`... must end in `:`.",
         _G + "x: 1\nif x > 0\n    log(\"pos\")\n", _G + "x: 1\nif x > 0:\n    log(\"pos\")\n",
         True),
    Rule("AE206", "legacy-end-block", _P, "A block closed with `end`.",
         "Blocks end by dedenting; the colon-and-`end` dialect's `end` lines go away.",
         _G + "x: 1\nif x > 0:\n    log(\"pos\")\nend\n",
         _G + "x: 1\nif x > 0:\n    log(\"pos\")\n", True),
    Rule("AE207", "legacy-event-handler", _P, "`when EVENT:` / `on event \"x\":` handlers.",
         "Event handlers of the colon-end dialect are not part of Aether 1.2; migrate turns "
         "them into `fn` definitions named after the event.",
         _G + "when startup:\n    log(\"hi\")\n",
         _G + "fn on_startup():\n    log(\"hi\")\n", True),
    Rule("AE208", "legacy-define", _P, "`define x as y`.",
         "Definitions are bindings in Aether 1.2: `x: y`.",
         _G + "define limit as 5\n", _G + "limit: 5\n", True),
    Rule("AE209", "legacy-brace-dialect", _P, "Brace-dialect code (`plugin NAME { ... }`, `let`, braces).",
         "The brace dialect (`plugin NAME { on_run { ... } }`, `let x = ...`, `if c { }`) is "
         "migrated to indented Aether 1.2 with a `meta:` block for the plugin's metadata.",
         "plugin greeter {\n    on_run {\n        log \"hi\"\n    }\n}\n",
         'goal: "greeter"\nmeta:\n    plugin: "greeter"\nlog("hi")\n', True),
    Rule("AE210", "legacy-yaml-plugin", _P, "YAML-style plugin (`plugin \"name\":`).",
         "YAML-like plugin files are migrated to Aether 1.2 sections.",
         'plugin "collector":\n    description: "x"\n',
         'goal: "x"\nmeta:\n    plugin: "collector"\n', True),
    Rule("AE211", "legacy-memory-sugar", _P, "Memory sugar (`remember(...) as \"tag\"`, `recall tag:`).",
         "Memory operations are written as calls in a `memory:` binding.",
         _G + 'remember("x") as "notes"\n', _G + 'memory: remember("x", tag="notes")\n', True),
    Rule("AE212", "legacy-bare-command", _P, "A bare command (`think \"...\"`, `reflect on x`, `plugin: name args`).",
         "Bare commands of older dialects are calls in Aether 1.2.",
         _G + 'think "about it"\n', _G + 'think("about it")\n', True),
    Rule("AE213", "legacy-colonless-rule", _P, "`- when X` / `do call()` without colons.",
         "on_error rules are `- when: Kind` then `do: call(...)`.",
         _G + "on_error:\n    - when Timeout\n      do escalate_to(\"ops\")\n",
         _G + "on_error:\n    - when: Timeout\n      do: escalate_to(\"ops\")\n", True),
    Rule("AE214", "legacy-call-tag-colon", _P, "A call argument written `tag: x` instead of `tag=x`.",
         "Keyword arguments use `=`.",
         _G + 'store("x", tag: "daily")\n', _G + 'store("x", tag="daily")\n', True),
    # ------------------------------------------------------------ AE3xx: validation
    Rule("AE301", "unknown-function", _V, "A call to a function that is not defined.",
         "A call must name a builtin (stdlib/), a `fn` declared in the file, or a member of a "
         "plugin listed in `require: plugins:`. The message suggests close names.",
         _G + "summarise(1)\n", _G + "summarize(1)\n"),
    Rule("AE302", "unbound-name", _V, "A name is used before it is bound.",
         "Names are bound by bindings, `for`, `catch`, `fn` parameters, `parallel:` entries and "
         "step aliases (`as NAME`), and must be bound before use.",
         _G + "log(total)\n", _G + "total: 3\nlog(total)\n"),
    Rule("AE303", "wrong-arity", _V, "A call passes the wrong number of arguments.",
         "Builtins and `fn` definitions declare their parameters; a call must give every "
         "required one and no more than all of them.",
         _G + "len(1, 2)\n", _G + "len([1, 2])\n"),
    Rule("AE304", "unknown-keyword", _V, "A call passes a keyword the function does not take.",
         "Keyword arguments must name a declared parameter, once.",
         _G + 'store("x", label="y")\n', _G + 'store("x", tag="y")\n'),
    Rule("AE305", "loop-control-outside-loop", _V, "`break` or `continue` outside a loop.",
         "`break` and `continue` only make sense inside `for` or `while` (and not across a "
         "`fn` boundary).",
         _G + "break\n", _G + "while true:\n    break\n"),
    Rule("AE306", "return-outside-fn", _V, "`return` outside a `fn`.",
         "Only a function body can return.",
         _G + "return 1\n", _G + "fn one():\n    return 1\n"),
    Rule("AE307", "await-unknown-task", _V, "`await` of a name not bound in a `parallel:` block.",
         "`await` waits for tasks started by a `parallel:` block.",
         _G + "x: 1\nawait x\n", _G + "parallel:\n    x: summarize(\"a\")\nawait x\n"),
    Rule("AE308", "unknown-policy-key", _V, "An unknown key in `policy:`.",
         "Policy keys are a fixed set (stdlib/policy.json); a misspelt key would silently "
         "not apply, so it is an error.",
         _G + "policy:\n    risk_budjet: 0.1\n", _G + "policy:\n    risk_budget: 0.1\n"),
    Rule("AE309", "invalid-policy-value", _V, "A policy value has the wrong type or range.",
         "For example risk_budget must be a number from 0 to 1, deterministic a boolean.",
         _G + "policy:\n    risk_budget: 1.5\n", _G + "policy:\n    risk_budget: 0.5\n"),
    Rule("AE310", "invalid-duration", _V, "A value that must be a duration is not one.",
         "Durations are one token such as 250ms, 1.5s, 2m, 1h (or the same in quotes).",
         _G + 'policy:\n    request_timeout: "30 seconds"\n',
         _G + 'policy:\n    request_timeout: "30s"\n'),
    Rule("AE311", "invalid-requirement", _V, "A `require:` entry is malformed.",
         "Plugins are `\"name\"` or `\"name>=1.0,<2\"` (PEP 440-style specifiers); "
         "capabilities are dotted strings such as \"storage.write\".",
         _G + 'require:\n    plugins:\n        - "detector>>1"\n',
         _G + 'require:\n    plugins:\n        - "detector>=1"\n'),
    Rule("AE312", "missing-goal", _V, "The file has no top-level `goal:`.",
         "Every workflow states its objective in a top-level `goal: \"...\"`; it is recorded "
         "as the intent of every governed call.",
         'log("hi")\n', 'goal: "greet"\nlog("hi")\n'),
    Rule("AE313", "duplicate-fn", _V, "A `fn` name is defined twice.",
         "The second definition would silently replace the first.",
         _G + "fn a():\n    return 1\nfn a():\n    return 2\n",
         _G + "fn a():\n    return 1\nfn b():\n    return 2\n"),
    Rule("AE314", "invalid-type-hint", _V, "A typed binding's type is not `Name` or `Name[...]`.",
         "Type hints are a name, optionally with bracketed type arguments. An update "
         "target (`a.b: value`, `a[\"k\"]: value`) takes no type hint at all.",
         _G + "x: 1 + 2 = 3\n", _G + "x: Int = 3\n"),
    Rule("AE315", "unknown-section", _V, "A block whose name is not a section of the language.",
         "Top-level sections are workflow, parallel, transaction, meta, policy, require, "
         "plugin_contract and on_error; each allows its own entries.",
         _G + "schedule:\n    interval: 5\n", _G + "meta:\n    interval: 5\n"),
    Rule("AE316", "invalid-step", _V, "A step or step option is malformed or misplaced.",
         "Step options (`as NAME`, `retry=N`, `timeout=D`, `requires=[...]`) appear only in "
         "`steps:`, each at most once, with values of the right type.",
         _G + "workflow:\n    steps:\n        - summarize(\"a\") retry=-1\n",
         _G + "workflow:\n    steps:\n        - summarize(\"a\") retry=2\n"),
    Rule("AE317", "invalid-on-error", _V, "An `on_error` rule is not one `when` and one `do`.",
         "Each rule is `- when: ErrorKind` with `do: call(...)` on the next line.",
         _G + "on_error:\n    - when: Timeout\n",
         _G + "on_error:\n    - when: Timeout\n      do: escalate_to(\"ops\")\n"),
    Rule("AE318", "invalid-value", _V, "A value has the wrong shape for where it is used.",
         "For example `goal:` needs a string, `memory:` a call, `meta:` entries literals.",
         "goal: 42\n", 'goal: "answer"\n'),
    Rule("AE319", "unused-suppression", _V, "An `# aether: ignore[...]` comment suppresses nothing.",
         "A suppression that matches no finding is stale; remove it (or run with "
         "--no-suppress to audit).",
         _G + 'log("ok")  # aether: ignore[AE301] -- old\n', _G + 'log("ok")\n'),
    Rule("AE320", "unknown-error-kind", _V, "An `on_error` rule names an unknown error kind.",
         "`when:` takes one of the error kinds of stdlib/builtins.json (Timeout, "
         "PermissionError, ...).",
         _G + "on_error:\n    - when: Timout\n      do: escalate_to(\"ops\")\n",
         _G + "on_error:\n    - when: Timeout\n      do: escalate_to(\"ops\")\n"),
    Rule("AE321", "duplicate-key", _V, "A key appears twice in one block or dict.",
         "The second value would silently win; keep one.",
         _G + "policy:\n    seed: 1\n    seed: 2\n", _G + "policy:\n    seed: 1\n"),
    # ------------------------------------------------------------ AE4xx: running (aether run)
    Rule("AE401", "type-error", _R, "An operation got a value of the wrong type.",
         "Aether does not convert between types: `\"a\" + 1`, `-\"x\"`, `1 < \"2\"`, "
         "calling a number or looping over a number are errors (kind RuntimeError). "
         "Convert explicitly with `str()`, `int()` or `float()`.",
         _G + 'label: "total: " + 3\n', _G + 'label: "total: " + str(3)\n'),
    Rule("AE402", "division-by-zero", _R, "Division or modulo by zero.",
         "`x / 0`, `x % 0` and `percent(x, 0)` have no value; test the divisor first.",
         _G + "n: 0\nratio: 10 / n\n", _G + "n: 0\nratio: 10 / (n + 1)\n"),
    Rule("AE403", "missing-key", _R, "A map has no such key (or an item is not found).",
         "`m.key` and `m[\"key\"]` need the key to exist; `get(m, \"key\", default)` "
         "and `m.get(\"key\")` give a default instead.",
         _G + "m: {a: 1}\nb: m.b\n", _G + "m: {a: 1}\nb: get(m, \"b\", 0)\n"),
    Rule("AE404", "index-out-of-range", _R, "A list or string index is out of range.",
         "Indexes run from 0 to len - 1 (negative ones count from the end).",
         _G + "xs: [1, 2]\nx: xs[2]\n", _G + "xs: [1, 2]\nx: xs[1]\n"),
    Rule("AE405", "bad-argument", _R, "A builtin got an argument it cannot use.",
         "For example `int(\"abc\")`, `range(1, 5, 0)`, `parse_json(\"{\")` or a "
         "template placeholder other than `{0}`, `{}` or `{name}`.",
         _G + 'n: int("abc")\n', _G + 'n: int("42")\n'),
    Rule("AE406", "call-depth-exceeded", _R, "Calls nested deeper than the limit.",
         "Each `fn` call nests one level; the run stops past the call-depth limit (200 by "
         "default) with kind BudgetExceeded, long before the host could run out of stack.",
         _G + "fn down(n):\n    return down(n + 1)\nx: down(0)\n",
         _G + "fn down(n):\n    if n > 10:\n        return n\n    return down(n + 1)\n"
         "x: down(0)\n"),
    Rule("AE407", "value-too-large", _R, "A value grew past the size limit.",
         "Strings, lists and maps have a size limit (characters or items, 10 million by "
         "default) and numbers are 64-bit integers or finite floats; doubling a value in a "
         "loop ends here (kind BudgetExceeded).",
         _G + "n: 1\nwhile true:\n    n: n * 2\n",
         _G + "n: 1\nwhile n < 1000:\n    n: n * 2\n"),
    Rule("AE408", "step-budget-exceeded", Status.TIMEOUT_ERROR,
         "The run took more steps than its budget.",
         "Every statement run is a step; `--max-steps N` or `policy: step_budget` bound "
         "them (10 million by default). The error cannot be caught by `try`; an `on_error` "
         "rule for BudgetExceeded still runs.",
         _G + "policy:\n    step_budget: 100\nwhile true:\n    log(\"again\")\n",
         _G + "policy:\n    step_budget: 100\nfor i in range(3):\n    log(i)\n"),
    Rule("AE409", "timeout", Status.TIMEOUT_ERROR, "The run or a step ran out of time.",
         "`--timeout` / `policy: run_timeout` bound the whole run and a step's `timeout=D` "
         "bounds one step (the step's timeout can be retried with `retry=N`). Time is read "
         "through the clock hook, so `sleep` counts.",
         _G + "policy:\n    deterministic: true\n    run_timeout: 1s\nsleep(2s)\n",
         _G + "policy:\n    deterministic: true\n    run_timeout: 1s\nsleep(500ms)\n"),
    Rule("AE410", "tool-error", _R, "A tool failed.",
         "The tool bound to a name raised an error, exited non-zero or answered something "
         "that is not JSON; the message names the tool (kind PluginError unless the tool "
         "says otherwise).",
         "(a tool whose binding fails)", ""),
    Rule("AE411", "unbound-tool", _R, "An effectful tool has no binding.",
         "Without `--simulate`, an effectful tool must be bound to an implementation in "
         "aether-tools.toml (`python`, `command` or `mcp`); the message names the tool.",
         "aether run flow.aether    # flow calls think(...) and nothing binds think",
         "aether run --simulate flow.aether"),
    Rule("AE412", "unsupported-feature", Status.UNSUPPORTED_FEATURE,
         "A construct the runtime recognises but does not run.",
         "The checker accepts it, but `aether run` has no implementation for it yet; the "
         "run stops rather than skip it silently.",
         "(a construct the checker accepts and the runtime does not run)", ""),
    Rule("AE413", "transaction-without-compensation", _R,
         "A tool without a compensation inside `transaction:`.",
         "A transaction is all or nothing: when a call fails, the calls already done are "
         "undone through each tool's declared compensation (`compensate = \"TOOL\"`), "
         "newest first. A tool with none cannot be undone, so the transaction does not start. "
         "Memory writes are undone by the store; log lines and metrics need no undo. Under "
         "--simulate this is a warning (simulated effects are discarded).",
         _G + "transaction:\n    - publish(\"notes\")\n",
         _G + "transaction:\n    - store(\"notes\", tag=\"x\")\n"),
    Rule("AE414", "verify-failed", _R, "`verify(condition)` found the condition false.",
         "`verify` fails the run (kind ValidationError, catchable) with its message.",
         _G + "verify(1 > 2, \"numbers are broken\")\n", _G + "verify(2 > 1)\n"),
    Rule("AE415", "unbound-at-run-time", _R, "A name has no value when it is read.",
         "The checker sees that a name is bound somewhere before its use; a binding in a "
         "branch that did not run leaves it unbound at run time.",
         _G + "if false:\n    x: 1\nlog(x)\n", _G + "x: 0\nif false:\n    x: 1\nlog(x)\n"),
    # ------------------------------------------------------------ AE5xx: signatures
    # (aether verify, and check/run with --strict-signatures; docs/signing.md)
    Rule("AE501", "unsigned", _S, "The file is not signed (strict signatures).",
         "Under `--strict` (verify) or `--strict-signatures` (check, run) every workflow must "
         "carry a signature block. Without strict mode an unsigned file passes with a note.",
         "aether verify --strict flow.aether      # flow.aether has no signature block",
         "aether sign --key KEY flow.aether && aether verify --strict flow.aether"),
    Rule("AE502", "malformed-signature", _S, "The signature block is malformed.",
         "A signature block is four comment lines at the top of the file, in order: "
         "`# @aether-signature v1 ns=... keyid=...`, `# @trusted-comment: ...`, "
         "`# @sig: BASE64`, `# @global-sig: BASE64` (canonical base64 of 64 bytes), and the "
         "trusted comment carries `time=`. A line missing, out of order, of an unknown "
         "version or with a stray character is this finding.",
         "# @aether-signature v1 ns=aether-workflow keyid=0123456789abcdef\n"
         "# @sig: (the trusted-comment line is missing)",
         "the four lines exactly as `aether sign` writes them"),
    Rule("AE503", "content-tampered", _S, "The content changed after it was signed.",
         "The signature does not match the file's content (the text after the block, with "
         "newlines and a BOM normalised as docs/signing.md says): someone edited the file "
         "after it was reviewed and signed. Review the change and sign it again.",
         "a signed file whose `goal:` line was edited afterwards",
         "aether sign --key KEY flow.aether   # after reviewing the edit"),
    Rule("AE504", "trusted-comment-edited", _S,
         "The trusted comment or a signature line was changed after signing.",
         "The global signature covers the content signature and the trusted comment (signer, "
         "time, file name, note); it does not match, so the block was edited (for example "
         "its signing time moved into the key's validity window).",
         "# @trusted-comment: time=2031-01-01T00:00:00Z ...   (time edited by hand)",
         "the block as `aether sign` wrote it"),
    Rule("AE505", "unknown-key", _S, "The signing key is not a trusted signer.",
         "The block's key id is in no line of the trusted-signers file "
         "(`.aether/allowed_signers`, `--allowed-signers FILE` or `allowed-signers` in the "
         "configuration), so the signature proves nothing about who reviewed the file.",
         "# @aether-signature v1 ns=aether-workflow keyid=<a key nobody listed>",
         "alice@example.com aether-ed25519 BASE64 KEYID   (a line of .aether/allowed_signers)"),
    Rule("AE506", "key-outside-validity", _S,
         "The key signed outside its validity window (or in the future).",
         "An allowed-signers line may bound its key with `valid-after=YYYY-MM-DD` "
         "(inclusive) and `valid-before=YYYY-MM-DD` (exclusive, both 00:00 UTC). The signing "
         "time in the (signed) trusted comment must fall inside, and may not be more than "
         "five minutes ahead of the verifying clock.",
         "alice aether-ed25519 BASE64 KEYID valid-before=2025-01-01   (file signed in 2026)",
         "alice aether-ed25519 BASE64 NEWKEYID valid-after=2025-01-01   (re-sign with it)"),
    Rule("AE507", "revoked-key", _S, "The signing key is revoked.",
         "The key id (or its public key line) is listed in `.aether/revoked_keys` "
         "(`--revoked-keys FILE`, `revoked-keys` in the configuration). A revoked key is "
         "refused whatever the trusted-signers file says and whenever it signed.",
         "0123456789abcdef   (a line of .aether/revoked_keys naming the file's key)",
         "aether sign --key NEW_KEY flow.aether"),
    Rule("AE508", "wrong-namespace", _S, "The signature was made for another namespace.",
         "Workflow signatures are made in the namespace `aether-workflow`; a signature of "
         "another kind (an approval, another tool) cannot be reused for a workflow file.",
         "# @aether-signature v1 ns=aether-approval keyid=0123456789abcdef",
         "# @aether-signature v1 ns=aether-workflow keyid=0123456789abcdef"),
    Rule("AE509", "signature-from-another-file", _S,
         "The signature block was copied from another file.",
         "The block is intact and was made for a file of another name (its trusted comment "
         "says which), and it does not cover this file's content: a block pasted from a "
         "reviewed file onto an unreviewed one.",
         "head -4 reviewed.aether > x && cat other.aether >> x && mv x other.aether",
         "aether sign --key KEY other.aether   # after reviewing it"),
    Rule("AE510", "duplicated-signature", _S, "More than one signature block at the top.",
         "A file carries exactly one block; two (or an old reference header beside a block) "
         "leave it unclear which one counts. `aether sign` always writes one block.",
         "two `# @aether-signature` blocks, one after the other, at the top",
         "aether sign --key KEY flow.aether   # replaces the header with one block"),
    Rule("AE511", "misplaced-signature", _S, "A signature line below the top of the file.",
         "Lines starting `# @aether-signature`, `# @trusted-comment`, `# @sig`, "
         "`# @global-sig` or `# @signature` are reserved for the block at the very top; "
         "found anywhere else they are a moved or pasted block, which covers nothing.",
         "goal: \"x\"\n# @aether-signature v1 ns=aether-workflow keyid=0123456789abcdef",
         "the block as the first four lines of the file"),
    Rule("AE512", "legacy-signature", _S, "A reference `# @signature:` HMAC header (strict).",
         "The reference signed with HMAC-SHA256 and a shared (and publicly known fallback) "
         "secret, which proves nothing. It is verified only against a secret you pass with "
         "`--legacy-hmac-secret-env VAR`; otherwise strict mode refuses it and a "
         "non-strict run notes it. `aether sign` replaces it with an Ed25519 block.",
         "# @signature: 3f7a... (first line, no secret given, --strict)",
         "aether sign --key KEY flow.aether"),
    Rule("AE513", "legacy-signature-mismatch", _S,
         "A reference HMAC header that does not match.",
         "With `--legacy-hmac-secret-env VAR` the reference header is checked: HMAC-SHA256 "
         "under that secret over the exact bytes after the first newline. It does not "
         "match: the file changed, or the secret is not the one it was signed with.",
         "# @signature: 3f7a... over bytes that were edited since",
         "aether sign --key KEY flow.aether"),
    # ------------------------------------------------------------ AE6xx: governance
    Rule("AE601", "policy-denied", _R, "The governance policy denied a call.",
         "Under governance (`aether run --policy FILE`, or the default policy) every "
         "effectful call is a request decided by policy; a denial stops the call with kind "
         "PolicyDenied and a message naming the rule that denied it (`tool-not-allowed`, "
         "`actor-not-allowed`, `evidence-missing`, `rules[2]`...). `try`/`catch` can "
         "handle it. See docs/governance.md.",
         "aether run --policy strict.toml flow.aether   # flow calls publish(...), "
         "not in allowed_tools",
         "add publish to allowed_tools, or an allow rule for it"),
    Rule("AE602", "approval-denied", _R, "A person refused the call's approval.",
         "`aether deny RUN REQUEST` recorded a refusal bound to this exact request; the "
         "call fails with kind ApprovalDenied (catchable).",
         "aether deny RUN r7 --approver alice --reason \"not on Friday\"",
         "aether approve RUN r7 --approver alice --reason \"checked\""),
    Rule("AE603", "approval-required", Status.GENERIC_FAILURE,
         "The run waits for a human approval.",
         "A call needs an approval (its risk tier is in `[approval] required_for`, or a "
         "`require_approval` rule matched). The run records the request, stops before the "
         "call and exits 1 with state `waiting` (never 0: a pipeline must not go green "
         "while a decision is pending); the message says what to run (`aether approve RUN "
         "REQUEST ...`, then `aether resume RUN`). `try`/`catch` and `on_error` do not "
         "see it: waiting is not an error of the program.",
         "aether run flow.aether   # flow calls escalate_to(...), a high-risk tool",
         "aether approve RUN r3 --approver alice --reason ok && aether resume RUN"),
    Rule("AE604", "invalid-policy-file", _IO, "The policy file cannot be used.",
         "The governance policy file is not readable TOML, or a key has a value of the "
         "wrong type or range; the message names the key. Unknown keys are warnings. "
         "`aether validate-config FILE` checks a file.",
         'mode = "stric"', 'mode = "strict"'),
    Rule("AE605", "ledger-broken", Status.SIGNATURE_ERROR,
         "The audit ledger's hash chain is broken.",
         "`aether audit verify` recomputed the chain and an entry was edited, reordered, "
         "inserted or deleted (or an evidence file was reformatted); the message names "
         "the first bad entry. Nothing after it is proven.",
         "aether audit verify evidence.json   # an entry was edited", ""),
    Rule("AE606", "ledger-incomplete", _V, "The audit ledger is sound but incomplete.",
         "The chain verifies, but entries are missing at its end (a truncated tail) or the "
         "closing entry of a finished run is gone.",
         "aether audit verify evidence.json   # the last entries were cut off", ""),
    Rule("AE607", "evidence-unreadable", _IO, "The evidence file is not one.",
         "`aether audit verify FILE.json` could not read the file as an aether evidence "
         "export (not UTF-8, not JSON, or the format header is missing).",
         "aether audit verify notes.txt", "aether audit verify evidence.json"),
    Rule("AE608", "invalid-approval", _V, "An approval cannot be recorded or does not count.",
         "An approval must name a waiting request of the run and an approver the policy "
         "lists, other than the actor who made the request (separation of duties); it "
         "stops counting when it expires or the parameters or workflow file change.",
         "aether approve RUN r3 --approver agent-ops   # agent-ops made the request",
         "aether approve RUN r3 --approver alice --reason checked"),
    Rule("AE609", "requirement-missing", _R, "The workflow requires what the run lacks.",
         "Before the first step, governance checks `require:`: every capability must be "
         "granted by the policy file's `capabilities` (all are granted when it has none) "
         "and every plugin must be declared with a version that satisfies the constraint.",
         _G + 'require:\n    capabilities:\n        - "payments.send"\n',
         _G + 'require:\n    capabilities:\n        - "memory.read"\n'),
    Rule("AE610", "call-in-doubt", Status.GENERIC_FAILURE,
         "A resumed run reached a call that may already have run.",
         "The run was killed after a call started and before its result was recorded, so "
         "nobody knows whether the effect happened. The resumed run stops there (state "
         "`waiting`, exit 1) instead of calling the tool a second time, unless the tool's "
         "catalogue entry says `idempotent = true`. `aether approve RUN REQUEST` (call it "
         "again), `aether deny RUN REQUEST` (do not: the call fails with AE602) or "
         "`aether resume RUN --retry-in-doubt` decide. See docs/governance.md.",
         "aether resume RUN   # killed while publish(...) was running",
         "aether approve RUN r9 --approver alice --reason \"publish did not happen\" "
         "&& aether resume RUN"),
    Rule("AE611", "resume-diverged", _R, "A resumed run does not repeat the recorded run.",
         "`aether resume` re-executes the workflow from its start and replays the recorded "
         "result of every completed call; a call whose tool or parameters differ from the "
         "recorded call at the same place means the workflow is not deterministic (it "
         "reads something outside the clock, random and tool hooks) or its inputs "
         "changed. The run stops rather than guess which effect happened.",
         "aether resume RUN   # the workflow reads an environment variable that changed",
         "aether run flow.aether   # start a new run"),
    # ------------------------------------------------------------ AE9xx: the tool itself
    Rule("AE999", "internal-error", Status.INTERNAL_ERROR, "The checker itself failed.",
         "A bug in aether; please report it with the file. This must never happen on any "
         "input, and the test-suite's properties hunt for it.",
         "(no example: any input that triggers this is a bug)", ""),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULE_LIST}
_BY_NAME = {r.name: r for r in _RULE_LIST}


def rule(key: str) -> Rule:
    """The rule with id ``key`` (``AE301``) or name (``unknown-function``).

    Raises KeyError for an unknown rule.
    """
    found = RULES.get(key.upper()) or _BY_NAME.get(key.lower())
    if found is None:
        raise KeyError(key)
    return found


def rules_by_status() -> dict[Status, list[Rule]]:
    """Rules grouped under their status, in id order."""
    out: dict[Status, list[Rule]] = {}
    for r in _RULE_LIST:
        out.setdefault(r.status, []).append(r)
    return out
