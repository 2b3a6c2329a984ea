"""Properties of the parser and checker: no input crashes them, valid programs parse cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from aether import ast as A
from aether.checker import _masked_lines, check_text
from aether.codes import Status
from aether.source import decode_source
from aether.syntax import parse

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Text that looks like Aether often enough to reach deep parser states.
FRAGMENTS = ["goal", ":", " ", "\n", "    ", "\t", "(", ")", "[", "]", "{", "}", ",", "=",
             "-", "+=", '"x"', "'y'", "1", "2.5", "30s", "if", "else", "elif", "for", "in",
             "while", "fn", "return", "try", "catch", "await", "not", "and", "or", "true",
             "null", "as", "workflow", "steps", "policy", "meta", "#c", "log", "x", ".", "\r\n",
             "\ufeff", "\0", "end", "intent", "plugin", "{{", "$", "é", "\u2028", "\r", "\x0b",
             "\x0c", "\x1b", "\x85", "\ud7ff", "😀", "'", '"', "\\", "30", "ms", "_"]


@SETTINGS
@given(st.text())
def test_arbitrary_text_never_crashes(text):
    result = parse(text)
    assert isinstance(result.module, A.Module)
    checked = check_text(text, "fuzz.aether")
    assert not any(f.rule == "AE999" for f in checked.findings)


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_aether_like_text_never_crashes(text):
    assert isinstance(parse(text).module, A.Module)
    checked = check_text(text, "fuzz.aether")
    assert not any(f.rule == "AE999" for f in checked.findings)
    for f in checked.findings:
        assert f.line is None or f.line >= 1
        assert f.fingerprint and f.legacy_fingerprint


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_end_in_a_coded_result(data):
    decoded = decode_source(data)
    if decoded.error is not None:
        assert decoded.error.rule in {"AE004", "AE005", "AE006"}
    else:
        assert not any(f.rule == "AE999" for f in check_text(decoded.text, "b").findings)


# ---------------------------------------------------------------- valid programs
# A strategy that builds random VALID Aether 1.2 programs from every construct: config
# blocks (both entry forms, nested blocks, dash lists, dash maps), bindings and typed
# bindings, calls with keywords, plugin member and method calls, if/elif/else, for, while,
# break/continue, fn with defaults and return, try/catch, += / -=, update targets
# (`a.b["k"]: v`, `a[i] += v`), parallel + await,
# workflow steps with every option, on_error, transaction, memory:, literals of every
# kind, multi-line brackets and comments everywhere. Names are used only once bound, so
# the programs must also check clean.

PLUGIN = "anomaly_detector"
NAME_POOL = ["alpha", "beta", "gamma", "delta", "items", "report", "flags", "total",
             "window", "score", "batch", "owner", "rows", "digest"]
TYPE_HINTS = ["List[Anomaly]", "Dict[Str, Int]", "Str", "List[List[Int]]", "Record"]
POLICY_VALUES = {
    "risk_budget": ["0.10", "0", "1", "0.5"], "token_budget": ["20_000", "0", "1_000_000"],
    "step_budget": ["1", "500"], "data_class": ['"internal"', "'public'", '"restricted"'],
    "deterministic": ["true", "false"], "mock_io": ["true", "false"], "seed": ["42", "-1"],
    "request_timeout": ["30s", '"30s"', "250ms", "'1.5s'", "2m", "1h"],
    "run_timeout": ["5m", '"1h"'], "approval_required": ['["storage.write"]', "[]"],
    "network": ["false"], "jurisdiction": ['"strict"', '"evidence-first"'],
}
STRINGS = ['"plain text"', "'single quoted'", '"tab\\tand\\nnewline"', '"say \\"hi\\""',
           "'it\\'s'", '"back\\\\slash"', '"unicode é ✓"', '""', "'#not a comment'"]
SCALARS = STRINGS + ["0", "42", "1_000", "-7", "3.14", "-0.5", "1_000.25", "250ms", "1.5s",
                     "2m", "1h", "30s", "true", "false", "null"]
KINDS = ["Timeout", "PolicyDenied", "NetworkError", "Any", "BudgetExceeded"]


class _Program:
    """Builds one program; ``draw`` is hypothesis's."""

    def __init__(self, draw):
        self.draw = draw
        self.lines: list[str] = []
        self.fns: dict[str, tuple[int, int]] = {}  # name -> (required, total) params
        self.tasks: list[str] = []
        self.counter = 0

    # ------------------------------------------------------------ helpers
    def pick(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def chance(self, p: float = 0.5) -> bool:
        return self.draw(st.integers(0, 99)) < p * 100

    def fresh(self) -> str:
        self.counter += 1
        return f"{self.pick(NAME_POOL)}_{self.counter}"

    def emit(self, indent: int, text: str) -> None:
        comment = f"  # note {self.counter}" if self.chance(0.1) else ""
        self.lines.append("    " * indent + text + comment)
        if self.chance(0.08):  # a blank line or a comment line between statements
            self.lines.append(self.pick(["", "    " * indent + "# between statements"]))

    def literal(self, depth: int = 0) -> str:
        k = self.draw(st.integers(0, 9 if depth < 2 else 7))
        if k <= 7:
            return self.pick(SCALARS)
        if k == 8:
            items = [self.literal(depth + 1) for _ in range(self.draw(st.integers(0, 3)))]
            return "[" + ", ".join(items) + ("," if items and self.chance(0.2) else "") + "]"
        keys = self.draw(st.lists(st.sampled_from(["warn", "crit", '"a b"', '"x-y"', "7"]),
                                  unique=True, max_size=3))
        return "{" + ", ".join(f"{k}: {self.literal(depth + 1)}" for k in keys) + "}"

    # ------------------------------------------------------------ expressions
    def atom(self, env: list[str], depth: int) -> str:
        """An operand that binds tighter than any operator."""
        k = self.draw(st.integers(0, 8 if depth < 2 else 1))
        if k == 0 or (k == 1 and not env):
            return self.literal(depth)
        if k == 1:
            return self.pick(env)
        if k == 2:
            return self.call(env, depth + 1)
        if k == 3:
            return f"({self.expr(env, depth + 1)})"
        if k == 4 and env:
            return f"{self.pick(env)}.{self.pick(['count', 'value', 'first'])}"
        if k == 5 and env:
            return f"{self.pick(env)}[{self.expr(env, depth + 1)}]"
        if k == 6:  # a multi-line list with a comment inside the brackets
            return (f"[\n    {self.expr(env, depth + 1)},  # inside brackets\n"
                    f"        {self.expr(env, depth + 1)}\n]")
        if k == 7:
            return f"{{level: {self.expr(env, depth + 1)}, \"quoted key\": {self.atom(env, depth + 1)}}}"
        return self.literal(depth)

    def expr(self, env: list[str], depth: int = 0) -> str:
        a = lambda: self.atom(env, depth + 1)  # noqa: E731
        k = self.draw(st.integers(0, 7 if depth < 2 else 0))
        if k <= 1:
            return a()
        if k == 2:
            return f"{a()} {self.pick(['+', '-', '*', '/', '%'])} {a()}"
        if k == 3:
            return f"{a()} {self.pick(['==', '!=', '<', '<=', '>', '>=', 'in'])} {a()}"
        if k == 4:
            return f"not {self.expr(env, depth + 1)}"
        if k == 5:
            return f"{self.expr(env, depth + 1)} {self.pick(['and', 'or'])} {self.expr(env, depth + 1)}"
        if k == 6:
            return f"-{a()}"
        # precedence without parentheses: (a + (b * c)) or ((not a) and (b in c))
        return f"{a()} + {a()} * {a()} or not {a()} and {a()} in {a()}"

    def call(self, env: list[str], depth: int = 0) -> str:
        sub = lambda: self.expr(env, depth + 1)  # noqa: E731
        k = self.draw(st.integers(0, 9))
        if k == 0 and self.fns:
            name = self.pick(sorted(self.fns))
            required, total = self.fns[name]
            n = self.draw(st.integers(required, total))
            return f"{name}({', '.join(sub() for _ in range(n))})"
        if k == 1:
            return f"{PLUGIN}.{self.pick(['scan', 'score', 'explain'])}({sub()})"
        if k == 2 and env:
            return f"{self.pick(env)}.{self.pick(['join', 'count', 'lower', 'get'])}({sub()})"
        if k == 3:
            return f'store({sub()}, tag="{self.pick(NAME_POOL)}", ttl={self.pick(["1h", "30m"])})'
        if k == 4:
            return f"log({sub()}, {sub()}, level=\"info\")"
        if k == 5:
            return f"summarize({sub()}, max_words={self.draw(st.integers(1, 500))})"
        if k == 6:
            return f'load_logs(tag="system", since={self.pick(["1h", "2m"])}, limit=10)'
        if k == 7:
            return f"max({', '.join(sub() for _ in range(self.draw(st.integers(0, 3))))})"
        if k == 8:
            return f"escalate_to(\n    \"oncall\",\n    message={sub()},  # why\n)"
        return f"len({sub()})"

    def target(self, env: list[str]) -> str:
        """An update target rooted at a bound name, with member and index steps."""
        text = self.pick(env)
        for _ in range(self.draw(st.integers(1, 3))):
            k = self.draw(st.integers(0, 3))
            if k == 0:
                text += f".{self.pick(['count', 'value', 'first', 'results'])}"
            elif k == 1:
                text += f"[{self.pick(STRINGS + ['0', '-1'])}]"
            elif k == 2:
                text += f"[{self.expr(env, 1)}]"
            else:  # an index broken over lines, with a comment inside the brackets
                text += f"[\n    {self.expr(env, 1)}  # key\n]"
        return text

    # ------------------------------------------------------------ statements
    def block(self, env: list[str], indent: int, depth: int, loop: bool, fn: bool) -> None:
        inner = list(env)  # names bound in a block are used only inside it
        for _ in range(self.draw(st.integers(1, 3))):
            self.stmt(inner, indent, depth, loop, fn)

    def stmt(self, env: list[str], indent: int, depth: int, loop: bool, fn: bool) -> None:
        k = self.draw(st.integers(0, 11 if depth < 3 else 3))
        if k == 0:
            name = self.fresh()
            self.emit(indent, f"{name}: {self.expr(env)}")
            env.append(name)
        elif k == 1:
            name = self.fresh()
            self.emit(indent, f"{name}: {self.pick(TYPE_HINTS)} = {self.expr(env)}")
            env.append(name)
        elif k == 2:
            self.emit(indent, self.call(env))
        elif k == 3:
            if env and self.chance(0.4):  # an update target: `a.b["k"]: v`, `a[i] += v`
                op = self.pick([":", ":", "+=", "-="])
                self.emit(indent, f"{self.target(env)}{'' if op == ':' else ' '}{op} "
                          f"{self.expr(env)}")
            elif env:
                self.emit(indent, f"{self.pick(env)} {self.pick(['+=', '-='])} {self.expr(env)}")
            elif loop:
                self.emit(indent, self.pick(["break", "continue"]))
            elif fn:
                self.emit(indent, "return" + (f" {self.expr(env)}" if self.chance() else ""))
            else:
                self.emit(indent, "reflect()")
        elif k == 4:
            self.emit(indent, f"if {self.expr(env)}:")
            self.block(env, indent + 1, depth + 1, loop, fn)
            for _ in range(self.draw(st.integers(0, 2))):
                self.emit(indent, f"elif {self.expr(env)}:")
                self.block(env, indent + 1, depth + 1, loop, fn)
            if self.chance():
                self.emit(indent, "else:")
                self.block(env, indent + 1, depth + 1, loop, fn)
        elif k == 5:
            var = self.fresh()
            self.emit(indent, f"for {var} in {self.expr(env)}:")
            self.block(env + [var], indent + 1, depth + 1, True, fn)
        elif k == 6:
            self.emit(indent, f"while {self.expr(env)}:")
            self.block(env, indent + 1, depth + 1, True, fn)
        elif k == 7:
            err = self.fresh()
            self.emit(indent, "try:")
            self.block(env, indent + 1, depth + 1, loop, fn)
            if self.chance(0.8):
                self.emit(indent, f"catch {err}:")
                self.block(env + [err], indent + 1, depth + 1, loop, fn)
            else:
                self.emit(indent, "catch:")
                self.block(env, indent + 1, depth + 1, loop, fn)
        elif k == 8 and loop:
            self.emit(indent, "if " + self.expr(env) + ":")
            self.emit(indent + 1, self.pick(["break", "continue"]))
        elif k == 9 and fn:
            self.emit(indent, "return" + (f" {self.expr(env)}" if self.chance() else ""))
        else:
            self.emit(indent, f"memory: {self.pick(['remember', 'store'])}({self.expr(env)})"
                      if indent == 0 else self.call(env))

    def fn_def(self, env: list[str]) -> None:
        name = f"helper_{self.counter}"
        self.counter += 1
        n_req, n_opt = self.draw(st.integers(0, 2)), self.draw(st.integers(0, 2))
        params = [f"p{i}" for i in range(n_req)]
        defaults = [f"opt{i}={self.literal()}" for i in range(n_opt)]
        self.fns[name] = (n_req, n_req + n_opt)  # recursive calls are allowed
        self.emit(0, f"fn {name}({', '.join(params + defaults)}):")
        self.block(env + params + [f"opt{i}" for i in range(n_opt)], 1, 1, False, True)
        self.emit(1, "return" + (f" {self.expr(env + params)}" if self.chance() else ""))

    def config(self, name: str) -> None:
        self.emit(0, f"{name}:")
        keys = self.draw(st.lists(st.sampled_from(["version", "author", "tags", "owner",
                                                   "limits", "reviewers", "notes"]),
                                  unique=True, min_size=1, max_size=5))
        for key in keys:
            form = self.draw(st.integers(0, 4))
            if form == 0:
                self.emit(1, f"{key}: {self.literal()}")
            elif form == 1:
                self.emit(1, f"{key} = {self.literal()}")
            elif form == 2:
                self.emit(1, f"{key}:")
                self.emit(2, f"team: {self.literal()}")
                self.emit(2, f"contact = {self.literal()}")
            elif form == 3:
                self.emit(1, f"{key}:")
                for _ in range(self.draw(st.integers(1, 3))):
                    self.emit(2, f"- {self.literal()}")
            else:
                self.emit(1, f"{key}:")
                for _ in range(self.draw(st.integers(1, 2))):
                    self.emit(2, f"- name: {self.literal()}")
                    self.emit(2, f"  limit: {self.literal()}")

    def policy(self) -> None:
        self.emit(0, "policy:")
        keys = self.draw(st.lists(st.sampled_from(sorted(POLICY_VALUES)), unique=True,
                                  min_size=1, max_size=6))
        for key in keys:
            self.emit(1, f"{key}{self.pick([': ', ' = '])}{self.pick(POLICY_VALUES[key])}")

    def require(self) -> None:
        self.emit(0, "require:")
        if self.chance():
            self.emit(1, "plugins:")
            self.emit(2, f'- "{PLUGIN}>=0.3,<0.5"')
            self.emit(2, '- "notifier"')
        else:
            self.emit(1, f'plugins = ["{PLUGIN}~=0.4"]')
        self.emit(1, 'capabilities: ["memory.read", "storage.*"]')

    def parallel(self, env: list[str]) -> None:
        names = [self.fresh() for _ in range(self.draw(st.integers(1, 3)))]
        self.emit(0, "parallel:")
        for n in names:
            self.emit(1, f"{n}: {self.call(env)}")
        env.extend(names)
        self.emit(0, "await " + ", ".join(self.draw(st.permutations(names))))

    def workflow(self, env: list[str]) -> None:
        self.emit(0, "workflow:")
        if self.chance():
            self.emit(1, f"input: {self.literal()}")
        if self.chance():
            self.emit(1, 'output: "report"')
        if self.chance():
            self.emit(1, 'requires: ["storage.write"]')
        self.emit(1, "steps:")
        aliases: list[str] = []
        for _ in range(self.draw(st.integers(1, 4))):
            step = self.pick(["parse_input", "reflect", f"{PLUGIN}.scan",
                              self.call(env + aliases)])
            opts = []
            if self.chance():
                alias = self.fresh()
                opts.append(f"as {alias}")
                aliases.append(alias)
            if self.chance():
                opts.append(f"retry={self.draw(st.integers(0, 5))}")
            if self.chance():
                opts.append("timeout=" + self.pick(["30s", '"30s"', "250ms", "1h"]))
            if self.chance(0.3):
                opts.append('requires=["network.write", "storage.write"]')
            self.emit(2, "- " + " ".join([step] + list(self.draw(st.permutations(opts)))))
        env.extend(aliases)

    def on_error(self, env: list[str]) -> None:
        self.emit(0, "on_error:")
        for kind in self.draw(st.lists(st.sampled_from(KINDS), unique=True, min_size=1,
                                       max_size=3)):
            if self.chance():
                self.emit(1, f"- when: {kind}")
                self.emit(1, f"  do: {self.call(env)}")
            else:
                self.emit(1, f"- do: {self.call(env)}")
                self.emit(1, f"  when: {kind}")

    def transaction(self, env: list[str]) -> None:
        self.emit(0, "transaction:")
        for _ in range(self.draw(st.integers(1, 3))):
            self.emit(1, f"- {self.call(env)}")

    def build(self) -> str:
        if self.chance(0.3):
            self.lines.append("# @signature: none")
        self.lines.append('goal: "generated workflow"')
        self.require()  # plugin members are callable anywhere in the file
        env: list[str] = []
        for _ in range(self.draw(st.integers(1, 10))):
            k = self.draw(st.integers(0, 11))
            if k <= 3:
                self.stmt(env, 0, 0, False, False)
            elif k == 4:
                self.fn_def(env)
            elif k == 5:
                self.config(self.pick(["meta", "plugin_contract"]))
            elif k == 6:
                self.policy()
            elif k == 7:
                self.parallel(env)
            elif k == 8:
                self.workflow(env)
            elif k == 9:
                self.on_error(env)
            elif k == 10:
                self.transaction(env)
            else:
                self.lines.append(self.pick(["", "# a top-level comment", "   ", "    # indented comment"]))
        return "\n".join(self.lines) + self.pick(["\n", "", "\n\n", "\n# trailing comment\n"])


@st.composite
def programs(draw):
    return _Program(draw).build()


def _check_spans(src: str, module: A.Module) -> None:
    """Every node's span lies in the file and inside its parent's; names and literals
    span exactly their text; a block ends where its last statement ends."""
    lines = src.lstrip("\ufeff").replace("\r\n", "\n").split("\n")

    def text_at(n: A.Node) -> str:
        if n.line != n.end_line:
            return ""
        return lines[n.line - 1][n.column - 1:n.end_column - 1]

    stack: list[tuple[A.Node, A.Node | None]] = [(module, None)]
    while stack:
        node, parent = stack.pop()
        assert 1 <= node.line <= node.end_line <= len(lines), node
        assert 1 <= node.column <= len(lines[node.line - 1]) + 1, node
        assert 1 <= node.end_column <= len(lines[node.end_line - 1]) + 1, node
        if node.line == node.end_line:
            assert node.column <= node.end_column, node
        if parent is not None and not isinstance(parent, A.Module):
            assert (parent.line, parent.column) <= (node.line, node.column), (parent, node)
            assert (node.end_line, node.end_column) <= (parent.end_line, parent.end_column), (
                parent, node)
        if isinstance(node, A.Name):
            assert text_at(node) == node.id, (node, text_at(node))
        elif isinstance(node, (A.Str, A.Duration)):
            assert text_at(node) == node.raw, (node, text_at(node))
        if isinstance(node, (A.If, A.For, A.While, A.FnDef, A.Try, A.Section)):
            last = max((c.end_line, c.end_column) for c in A.iter_children(node)
                       if isinstance(c, A.Stmt))
            assert (node.end_line, node.end_column) == last, node
        stack.extend((c, node) for c in A.iter_children(node))


@SETTINGS
@given(programs())
def test_generated_programs_parse_and_check_clean(src):
    result = parse(src)
    assert result.errors == []
    _check_spans(src, result.module)
    assert [(f.line, f.rule, f.message) for f in check_text(src, "gen.aether").findings] == []


@settings(SETTINGS, max_examples=100)
@given(programs(), st.sampled_from(["\r\n", "\n"]), st.booleans())
def test_newline_style_and_bom_do_not_change_the_tree(src, newline, bom):
    variant = ("\ufeff" if bom else "") + src.replace("\n", newline)
    assert parse(variant).module == parse(src).module


# Lines that break a program when inserted anywhere, at any indentation.
BREAKERS = ["x: $", 'x: "open', "for: 1", "1 + 2", "log(", ")", "]", "}", "end", "else:",
            "catch e:", "\tlog(1)", "- when: Timeout", "do: log(1)", "key = 1", "x += ",
            "return", "break", "await nope", "summarise(1)", "policy:", "if x", "let y = 1",
            "{", "steps:", "- parse_input as p retry=x", 'intent: "x"', "x: 1 < 2 < 3",
            "fn f(a, a):", "log(a=1, 2)", "  # comment", "\ufeffx: 1", "- 1", "x: [1,"]


def _known_on_error_crash(exc: BaseException) -> bool:
    """The validator bug of known_bugs/AE317_call-statement-in-on-error-rule.aether."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "_on_error":
            return True
        tb = tb.tb_next
    return False


@SETTINGS
@given(programs(), st.data())
def test_a_broken_line_in_a_valid_program_never_crashes(src, data):
    lines = src.split("\n")
    at = data.draw(st.integers(0, len(lines)), label="at")
    indent = data.draw(st.sampled_from(["", "  ", "    ", "      ", "        "]), label="indent")
    lines.insert(at, indent + data.draw(st.sampled_from(BREAKERS), label="line"))
    text = "\n".join(lines)
    assert isinstance(parse(text).module, A.Module)
    try:
        result = check_text(text, "broken.aether")
    except TypeError as exc:
        if _known_on_error_crash(exc):
            reject()  # a known bug with a strict-xfail fixture of its own
        raise
    assert not any(f.rule == "AE999" for f in result.findings)
    for f in result.findings:
        assert 1 <= f.line <= len(lines), (f.rule, f.line, f.message)


DEPTH = 10_000


@pytest.mark.parametrize("text", [
    pytest.param("x: " + "[" * DEPTH + "]" * DEPTH + "\n", id="brackets"),
    pytest.param("x: " + "(" * DEPTH + "1" + ")" * DEPTH + "\n", id="parentheses"),
    pytest.param("x: " + "{a: " * DEPTH + "1" + "}" * DEPTH + "\n", id="braces"),
    pytest.param("log(" + "[" * DEPTH + "\n", id="brackets-unclosed"),
    # each level one space deeper: the smallest text with 10,000 nested blocks (50 MB)
    pytest.param("".join(" " * i + "if x:\n" for i in range(DEPTH)) + " " * DEPTH + "log(x)\n",
                 id="blocks"),
])
def test_deep_nesting_is_a_parse_error_not_a_crash(text):
    result = check_text('goal: "g"\nx: 1\n' + text, "deep.aether")
    assert "AE110" in {f.rule for f in result.findings}
    assert result.status == Status.PARSE_ERROR


# ------------------------------------------- resuming after an error == parsing it all again


def _same_parse(text: str) -> None:
    fast, full = parse(text), parse(text, incremental=False)
    assert fast.errors == full.errors
    assert fast.masked == full.masked
    assert fast.module == full.module
    for result in (fast, full):
        # where the parser says the masked lines lie, they are what counting lines finds
        assert (result.spans is not None) == bool(result.errors and "\r" not in text
                                                  and not text.startswith("\ufeff"))
        if result.spans is not None:
            assert _masked_lines(text, result.masked, result.spans) == \
                _masked_lines(text, result.masked)


@SETTINGS
@given(programs(), st.data())
def test_resumed_parse_equals_whole_reparse_with_several_broken_lines(src, data):
    """Error recovery resumes one top-level statement before a masked one; the errors,
    masked ranges and tree must be those of re-parsing the whole file after each error."""
    lines = src.split("\n")
    for _ in range(data.draw(st.integers(1, 6), label="breaks")):
        at = data.draw(st.integers(0, len(lines)), label="at")
        indent = data.draw(st.sampled_from(["", "    ", "        "]), label="indent")
        lines.insert(at, indent + data.draw(st.sampled_from(BREAKERS), label="line"))
    _same_parse("\n".join(lines))


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join))
def test_resumed_parse_equals_whole_reparse_on_aether_like_text(text):
    _same_parse(text)


def test_resumed_parse_equals_whole_reparse_on_joined_fixtures():
    """Many errors in one file: fixtures joined in a fixed shuffled order."""
    import random

    root = Path(__file__).resolve().parent.parent / "workflows" / "fixtures"
    texts = [p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.aether"))]
    rnd = random.Random(7)
    for _ in range(150):
        _same_parse("".join(rnd.sample(texts, rnd.randint(2, 8))))


# ------------------------------------------- unit-rule chains looked up == walked each time


class _Forgetful(dict):
    """A chain memo that never keeps anything: the parser walks every chain again."""

    def __setitem__(self, key, value):
        pass


@SETTINGS
@given(programs(), st.data())
def test_memoised_unit_rule_chains_give_the_same_parse(src, data):
    """The parse loop remembers where a chain of unit reductions ends for (state below,
    top state, token); trees, spans and errors must be those of walking every chain."""
    from aether.syntax.parser import get_parser

    lines = src.split("\n")
    for _ in range(data.draw(st.integers(0, 3), label="breaks")):
        at = data.draw(st.integers(0, len(lines)), label="at")
        lines.insert(at, data.draw(st.sampled_from(BREAKERS), label="line"))
    text = "\n".join(lines)
    parser = get_parser()[0]
    remembered = parser._chains
    try:
        parser._chains = _Forgetful()
        walked = parse(text)
    finally:
        parser._chains = remembered
    memoised = parse(text)
    assert memoised.errors == walked.errors
    assert memoised.masked == walked.masked
    assert memoised.module == walked.module


_OPENERS = ["x: foo(1,", "log([1, 2", "x: foo() {", "if f(x:", "log(f(1), [2,", "y: (a) [",
            "z: {'a': (1, 2),", "log(\"(\" [", "w: [1, # ]", "v: (1]", ")", "]", "x: (1,)"]


@SETTINGS
@given(programs(), st.data())
def test_resumed_parse_equals_whole_reparse_with_lines_leaving_brackets_open(src, data):
    """What recovery learns past one error (brackets never closed, statements running to
    the end) gives the later errors what scanning the whole text again gives."""
    lines = src.split("\n")
    for _ in range(data.draw(st.integers(1, 30), label="opens")):
        at = data.draw(st.integers(0, len(lines)), label="at")
        indent = data.draw(st.sampled_from(["", "    "]), label="indent")
        lines.insert(at, indent + data.draw(st.sampled_from(_OPENERS), label="line"))
    _same_parse("\n".join(lines))
