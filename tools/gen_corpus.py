#!/usr/bin/env python3
"""Write N deterministic, varied Aether 1.2 workflow files for benchmarks and tests.

    python tools/gen_corpus.py N DIR [--seed S] [--error-share 0.1]

Same arguments, same bytes (only ``random.Random(seed)``; no clock, no hash order). Files
are 50 to 500 lines and use every construct of the language: goal; meta/policy/require/
plugin_contract with ``key: value`` and ``key = value`` entries, nested blocks, dash lists
and dash maps; bindings and typed bindings; calls with keywords, plugin members and
methods; if/elif/else, for, while, break, continue; fn with defaults and return; try/catch;
``+=``/``-=``; parallel + await; workflow with input/output/requires and steps with every
option; on_error; transaction; memory; every kind of literal; comments at the top level,
in blocks, at line ends and inside brackets. A share of the files (``--error-share``)
carries one or two injected errors, syntax or validation (see ERRORS), so checkers see
both paths. Files go into sub-folders of 1,000: DIR/000/wf_00001.aether ...

``build(index, seed, error_share)`` returns a file's text and the errors injected into it
(tests use it to know which files must check clean).
"""

from __future__ import annotations

import argparse
import os
import random

WORDS = ("alpha beta gamma delta ops audit digest incident report sync metric signal queue "
         "ledger review triage vendor invoice cohort batch shard replica cache").split()
KINDS = ("Timeout", "PermissionError", "NetworkError", "PolicyDenied", "BudgetExceeded",
         "PluginError", "Any")
METHODS = ("join", "count", "lower", "get", "keys", "first", "strip")
MIN_LINES, MAX_LINES = 50, 500
BIGGEST_BLOCK = 40  # lines one top-level block can take at most (see Gen.block_*)


class Gen:
    """Builds one valid file. ``names`` are the names bound so far at the top level."""

    def __init__(self, rng: random.Random, index: int):
        self.r = rng
        self.i = index
        self.lines: list[str] = []
        self.names: list[str] = ["seed_value"]
        self.fns: list[tuple[str, int, int]] = []  # name, required params, all params
        self.plugin = f"{self.r.choice(WORDS)}_plugin"
        self.counter = 0

    # ------------------------------------------------------------ helpers
    def new(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def emit(self, text: str, indent: int = 0) -> None:
        if self.r.random() < 0.06:
            text += f"  # {self.r.choice(WORDS)} note"
        self.lines.append("    " * indent + text)

    def comment(self, indent: int = 0) -> None:
        self.lines.append("    " * indent + f"# {self.r.choice(WORDS)} {self.r.choice(WORDS)}")

    def word(self) -> str:
        return self.r.choice(WORDS)

    # ------------------------------------------------------------ expressions
    def lit(self, depth: int = 0) -> str:
        r = self.r
        k = r.randint(0, 16 if depth < 2 else 14)
        if k == 0:
            return f'"{self.word()} {self.word()}"'
        if k == 1:
            return f"'{self.word()}\\n'"
        if k == 2:
            return r.choice(['"tab\\there"', '"say \\"{}\\""'.format(self.word()),
                             "'it\\'s {}'".format(self.word()), '"C:\\\\{}"'.format(self.word())])
        if k == 3:
            return str(r.randint(0, 5000))
        if k == 4:
            return f"-{r.randint(1, 50)}"
        if k == 5:
            return f"{r.randint(1, 9)}_{r.randint(100, 999)}"
        if k == 6:
            return f"{r.random():.3f}"
        if k == 7:
            return f"-{r.randint(0, 9)}.{r.randint(1, 99)}"
        if k == 8:
            return f"{r.randint(1, 900)}ms"
        if k == 9:
            return r.choice([f"{r.randint(1, 59)}s", f"{r.randint(1, 9)}.5s"])
        if k == 10:
            return f"{r.randint(1, 30)}m"
        if k == 11:
            return f"{r.randint(1, 24)}h"
        if k == 12:
            return r.choice(["true", "false"])
        if k == 13:
            return "null"
        if k == 14:
            return f'"{self.word()}-{r.randint(1, 99)}"'
        if k == 15:
            return "[" + ", ".join(self.lit(depth + 1) for _ in range(r.randint(0, 3))) + "]"
        # a bare key, a quoted key and a number key never collide
        keys = r.sample([self.word(), f'"{self.word()} key"', str(r.randint(0, 9))], 2)
        return "{" + ", ".join(f"{k}: {self.lit(depth + 1)}" for k in keys) + "}"

    def atom(self, env: list[str], depth: int) -> str:
        """An operand that binds tighter than every operator."""
        r = self.r
        k = r.randint(0, 7 if depth < 2 else 2)
        if k == 0:
            return self.lit(depth)
        if k in (1, 2):
            return r.choice(env)
        if k == 3:
            return self.call(env, depth + 1)
        if k == 4:
            return f"({self.expr(env, depth + 1)})"
        if k == 5:
            return f"{r.choice(env)}.{self.word()}"
        if k == 6:
            return f"{r.choice(env)}[{r.choice([str(r.randint(0, 3)), '-1', r.choice(env)])}]"
        return f"{r.choice(env)}.{r.choice(METHODS)}()"

    def expr(self, env: list[str], depth: int = 0) -> str:
        r = self.r
        a = lambda: self.atom(env, depth + 1)  # noqa: E731
        k = r.randint(0, 9 if depth < 2 else 1)
        if k <= 1:
            return a()
        if k == 2:
            return f"{a()} {r.choice(['+', '-', '*', '/', '%'])} {a()}"
        if k == 3:
            return f"{a()} {r.choice(['==', '!=', '<', '<=', '>', '>=', 'in'])} {a()}"
        if k == 4:
            return f"not {a()} {r.choice(['and', 'or'])} {self.expr(env, depth + 1)}"
        if k == 5:
            return f"{a()} + {a()} * {a()}"
        if k == 6:
            return f"-{a()}"
        if k == 7:
            return f"len({r.choice(env)}) > {r.randint(0, 9)} and {a()} in {a()} or {a()}"
        if k == 8:
            return self.call(env, depth + 1)
        return f"not ({a()} == {a()})"

    def call(self, env: list[str], depth: int = 0) -> str:
        r = self.r
        e = lambda: self.expr(env, depth + 1)  # noqa: E731
        k = r.randint(0, 11)
        if k == 0 and self.fns:
            fn, required, total = r.choice(self.fns)
            return f"{fn}({', '.join(e() for _ in range(r.randint(required, total)))})"
        if k == 1:
            return f"{self.plugin}.{self.word()}({r.choice(env)})"
        if k == 2:
            return f'store({r.choice(env)}, tag="{self.word()}", ttl={r.randint(1, 48)}h)'
        if k == 3:
            return f'log("{self.word()} {{x}}", {r.choice(env)}, level="info")'
        if k == 4:
            return f"summarize({r.choice(env)}, max_words={r.randint(20, 400)})"
        if k == 5:
            return f'load_logs(tag="{self.word()}", limit={r.randint(1, 500)})'
        if k == 6:
            return f"max({e()}, {e()})"
        if k == 7 and depth < 2:  # a call over several lines with a comment inside
            return (f'escalate_to(\n    "{self.word()}",  # who\n    message={e()},\n'
                    f'    severity="{r.choice(["low", "high"])}",\n)')
        if k == 8:
            return f"{r.choice(env)}.{r.choice(METHODS)}({e()})"
        if k == 9:
            return f'detect_anomalies({r.choice(env)}, threshold={r.random():.2f})'
        if k == 10:
            return f'metrics({{"{self.word()}": {e()}, {self.word()}_count: len({r.choice(env)})}})'
        return f"narrate({e()})"

    # ------------------------------------------------------------ statements in blocks
    def body(self, env: list[str], indent: int, depth: int, loop: bool, fn: bool,
             size: int) -> None:
        """``size`` statements at ``indent``; names bound here stay in this block."""
        env = list(env)
        for _ in range(size):
            self.statement(env, indent, depth, loop, fn)

    def statement(self, env: list[str], indent: int, depth: int, loop: bool,
                  fn: bool) -> None:
        r = self.r
        k = r.randint(0, 10 if depth < 2 else 4)
        if k == 0:
            name = self.new(self.word())
            self.emit(f"{name}: {self.expr(env)}", indent)
            env.append(name)
        elif k == 1:
            name = self.new(self.word())
            hint = r.choice(["List[Anomaly]", "Dict[Str, Int]", "Str", "List[List[Int]]"])
            self.emit(f"{name}: {hint} = {self.expr(env)}", indent)
            env.append(name)
        elif k == 2:
            self.emit(self.call(env), indent)
        elif k == 3:
            self.emit(f"{r.choice(env)} {r.choice(['+=', '-='])} {self.expr(env)}", indent)
        elif k == 4:
            if loop and r.random() < 0.5:
                self.emit(f"if {self.expr(env)}:", indent)
                self.emit(r.choice(["break", "continue"]), indent + 1)
            elif fn and r.random() < 0.5:
                self.emit("return" + (f" {self.expr(env)}" if r.random() < 0.7 else ""), indent)
            else:
                self.comment(indent)
                self.emit(self.call(env), indent)
        elif k == 5:
            self.emit(f"if {self.expr(env)}:", indent)
            self.body(env, indent + 1, depth + 1, loop, fn, r.randint(1, 2))
            for _ in range(r.randint(0, 2)):
                self.emit(f"elif {self.expr(env)}:", indent)
                self.body(env, indent + 1, depth + 1, loop, fn, 1)
            if r.random() < 0.6:
                self.emit("else:", indent)
                self.body(env, indent + 1, depth + 1, loop, fn, 1)
        elif k == 6:
            var = self.new("item")
            self.emit(f"for {var} in {r.choice(env)}:", indent)
            self.body(env + [var], indent + 1, depth + 1, True, fn, r.randint(1, 3))
        elif k == 7:
            counter = self.new("count")
            self.emit(f"{counter}: 0", indent)
            env.append(counter)
            self.emit(f"while {counter} < {r.randint(2, 9)} and not {r.choice(env)} == null:",
                      indent)
            self.emit(f"{counter} += 1", indent + 1)
            self.body(env, indent + 1, depth + 1, True, fn, r.randint(0, 2))
        elif k == 8:
            err = self.new("err")
            self.emit("try:", indent)
            self.body(env, indent + 1, depth + 1, loop, fn, r.randint(1, 2))
            self.emit(f"catch {err}:", indent)
            self.emit(f'escalate_to("oncall", message="failed")', indent + 1)
            self.body(env + [err], indent + 1, depth + 1, loop, fn, r.randint(0, 1))
        elif k == 9:
            self.comment(indent)
            self.emit(f"{r.choice(env)} -= {r.randint(1, 9)}", indent)
        else:
            name = self.new(self.word())
            self.emit(f"{name}: [", indent)
            self.emit(f"{self.expr(env)},  # first", indent + 1)
            self.emit(f"{self.lit()},", indent + 1)
            self.emit("]", indent)
            env.append(name)

    # ------------------------------------------------------------ top-level blocks
    def header(self) -> None:
        r = self.r
        if r.random() < 0.2:
            self.emit("# @signature: unsigned")
        self.emit(f"# Generated workflow {self.i}: {self.word()} {self.word()}")
        self.emit(f'goal: "Process the {self.word()} {self.word()} for run {self.i}"')
        self.emit("")
        self.emit("meta:")
        self.emit(f'version: "1.{r.randint(0, 9)}"', 1)
        self.emit(f'author = "team {self.word()}"', 1)
        self.emit("labels:", 1)
        for w in r.sample(WORDS, r.randint(1, 3)):
            self.emit(f'- "{w}"', 2)
        if r.random() < 0.5:
            self.emit("owner:", 1)
            self.emit(f'team: "{self.word()}"', 2)
            self.emit(f'pager = "{self.word()}@example.org"', 2)
        if r.random() < 0.5:
            self.emit("reviewers:", 1)
            for w in r.sample(WORDS, 2):
                self.emit(f'- name: "{w}"', 2)
                self.emit(f"  limit: {r.randint(1, 9)}_000", 2)
        self.emit("")
        self.emit("policy:")
        self.emit(f"risk_budget: {r.random():.2f}", 1)
        self.emit(f"token_budget = {r.randint(1, 90)}_000", 1)
        self.emit(f'data_class: "{r.choice(["public", "internal", "confidential"])}"', 1)
        self.emit(f"deterministic: {r.choice(['true', 'false'])}", 1)
        self.emit(f"request_timeout: {r.choice(['30s', chr(34) + '45s' + chr(34), '2m', '500ms'])}", 1)
        if r.random() < 0.5:
            self.emit(f"run_timeout: {r.choice(['1h', chr(39) + '90m' + chr(39)])}", 1)
            self.emit('approval_required: ["storage.write"]', 1)
        self.emit("")
        self.emit("require:")
        self.emit("plugins:", 1)
        self.emit(f'- "{self.plugin}>={r.randint(0, 2)}.{r.randint(0, 9)},<{r.randint(3, 5)}"', 2)
        self.emit('capabilities: ["memory.read", "storage.write"]', 1)
        self.emit("")
        self.emit(f"seed_value: {r.randint(1, 99)}")
        self.emit(f'rows: [{r.randint(1, 9)}, {r.randint(1, 9)}, "{self.word()}"]')
        self.names.append("rows")

    def block_binding(self) -> None:
        self.statement(self.names, 0, 1, False, False)

    def block_nested(self) -> None:
        self.statement(self.names, 0, 0, False, False)

    def block_fn(self) -> None:
        r = self.r
        name = self.new(self.word() + "_fn")
        params = ["a", "b"][: r.randint(1, 2)]
        self.fns.append((name, len(params), len(params) + 1))  # may call itself
        self.emit(f"fn {name}({', '.join(params)}, limit={r.choice(['3', '0.5', '30s'])}):")
        self.emit(f"total: {params[0]} * limit", 1)
        self.body(self.names + params + ["limit", "total"], 1, 1, False, True, r.randint(0, 3))
        self.emit(f"if total > {r.randint(1, 50)}:", 1)
        self.emit("return total", 2)
        self.emit(f"return {params[-1]}", 1)

    def block_parallel(self) -> None:
        tasks = [self.new("task") for _ in range(self.r.randint(2, 3))]
        self.emit("parallel:")
        for t in tasks:
            self.emit(f"{t}: {self.call(self.names, 1)}", 1)
        self.emit("await " + ", ".join(self.r.sample(tasks, len(tasks))))
        self.names += tasks

    def block_workflow(self) -> None:
        r = self.r
        self.emit("workflow:")
        self.emit(f'input: "{self.word()}"', 1)
        if r.random() < 0.5:
            self.emit('output: "report"', 1)
        self.emit('requires: ["storage.write"]', 1)
        self.emit("steps:", 1)
        parsed, report = self.new("parsed"), self.new("report")
        self.emit(f"- parse_input as {parsed}", 2)
        timeout = r.choice(["30s", '"1m"', "1.5s", "'250ms'"])
        self.emit(f"- generate_report({parsed}) as {report} retry={r.randint(0, 3)} "
                  f"timeout={timeout}", 2)
        if r.random() < 0.5:
            self.emit(f"- {self.plugin}.{self.word()} timeout={r.randint(1, 9)}m", 2)
        self.emit(f'- publish({report}, target="wiki") requires=["network.write"]', 2)
        self.names += [parsed, report]

    def block_on_error(self) -> None:
        self.emit("on_error:")
        for kind in self.r.sample(KINDS, 2):
            self.emit(f"- when: {kind}", 1)
            self.emit(f'  do: escalate_to("{self.word()}")', 1)

    def block_transaction(self) -> None:
        self.emit("transaction:")
        self.emit(f'- store({self.r.choice(self.names)}, tag="daily")', 1)
        self.emit(f'- metrics({{"coherence": {self.r.random():.2f}, '
                  f'"count": len({self.r.choice(self.names)})}})', 1)

    def block_plugin_contract(self) -> None:
        r = self.r
        self.emit("plugin_contract:")
        self.emit(f'name: "{self.plugin}"', 1)
        self.emit(f'inputs = ["{self.word()}", "{self.word()}"]', 1)
        self.emit("outputs:", 1)
        self.emit(f'- "{self.word()}"', 2)
        self.emit("limits:", 1)
        self.emit(f"max_items: {r.randint(1, 9)}_000", 2)
        self.emit(f"timeout: {r.randint(1, 60)}s", 2)

    def block_memory(self) -> None:
        self.emit(f'memory: {self.r.choice(["remember", "store"])}({self.r.choice(self.names)}, '
                  f'tag="{self.word()}")')

    def block_comment(self) -> None:
        self.comment()

    def build(self, target: int) -> str:
        self.header()
        blocks = [self.block_binding, self.block_binding, self.block_nested,
                  self.block_nested, self.block_nested, self.block_fn, self.block_parallel,
                  self.block_workflow, self.block_on_error, self.block_transaction,
                  self.block_memory, self.block_plugin_contract, self.block_comment]
        while len(self.lines) < target:
            self.emit("")
            self.r.choice(blocks)()
        return "\n".join(self.lines) + "\n"


# (kind, text, what it breaks). The text replaces nothing: it is inserted before a
# top-level statement, so the file stays otherwise valid.
ERRORS = [
    ("syntax", "x_bad: (1 + ", "unclosed bracket"),
    ("syntax", "checks: [len(rows), 2", "unclosed bracket"),
    ("syntax", "if seed_value > 1:", "missing block"),
    ("syntax", "total: 3 $ 4", "unexpected character"),
    ("syntax", "for: 1", "reserved word as a name"),
    ("syntax", 'label: "never closed', "unterminated string"),
    ("syntax", "if seed_value:\n\tlog(seed_value)", "tab indentation"),
    ("syntax", "seed_value", "bare expression"),
    ("syntax", "x_bad: 1 < 2 < 3", "chained comparison"),
    ("validation", "summarise(seed_value)", "unknown function"),
    ("validation", "log(undefined_thing)", "unbound name"),
    ("validation", "len(1, 2, 3)", "wrong number of arguments"),
    ("validation", 'store(seed_value, label="x")', "unknown keyword"),
    ("validation", "policy:\n    risk_budget: 7", "bad policy value"),
    ("validation", "policy:\n    risk_budgt: 0.5", "unknown policy key"),
    ("validation", 'policy:\n    request_timeout: "30 seconds"', "bad duration"),
    ("validation", "break", "break outside a loop"),
    ("validation", "await nothing_started", "await of a name not started in parallel"),
    ("validation", "on_error:\n    - when: Timeout\n      do: narate(\"x\")", "unknown function"),
    ("validation", "workflow:\n    steps:\n        - parse_input retry=-1", "bad step option"),
    ("validation", "missing goal", "missing goal"),
]


# Top-level lines that continue something (a clause, a bracket): nothing goes before them.
_NOT_A_STATEMENT = ("elif", "else", "catch", "]", ")", "}")


def _inject(lines: list[str], r: random.Random) -> str:
    """Insert one error at a top-level statement boundary; return what it breaks."""
    kind, text, what = r.choice(ERRORS)
    if text == "missing goal":
        at = next((i for i, line in enumerate(lines) if line.startswith("goal:")), None)
        if at is None:  # the goal is already gone: inject something else
            return _inject(lines, r)
        lines[at] = "# (the goal line was removed here)"
        return what
    spots = [i for i in range(5, len(lines) + 1)
             if i == len(lines) or (lines[i] and not lines[i][0].isspace()
                                    and not lines[i].startswith(_NOT_A_STATEMENT))]
    lines.insert(r.choice(spots), text)
    return what


def build(index: int, seed: int, error_share: float) -> tuple[str, list[str]]:
    """The text of file number ``index`` and the errors injected into it (deterministic)."""
    r = random.Random(seed * 1_000_003 + index)
    target = r.randint(MIN_LINES, MAX_LINES - BIGGEST_BLOCK - 10)
    text = Gen(r, index).build(target)
    injected: list[str] = []
    if r.random() < error_share:
        lines = text.rstrip("\n").split("\n")
        for _ in range(r.randint(1, 2)):
            injected.append(_inject(lines, r))
        text = "\n".join(lines) + "\n"
    n = text.count("\n")
    assert MIN_LINES <= n <= MAX_LINES, (index, n)
    return text, injected


def generate(index: int, seed: int, error_share: float) -> str:
    """The text of file number ``index`` (deterministic in index, seed and share)."""
    return build(index, seed, error_share)[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="how many files")
    ap.add_argument("dir", help="output folder (created)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--error-share", type=float, default=0.1,
                    help="share of files with injected errors, 0 to 1 (default 0.1)")
    args = ap.parse_args(argv)
    if args.n < 0 or not 0 <= args.error_share <= 1:
        ap.error("N must be >= 0 and --error-share between 0 and 1")
    for i in range(1, args.n + 1):
        folder = os.path.join(args.dir, f"{(i - 1) // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"wf_{i:05d}.aether"), "w", encoding="utf-8",
                  newline="\n") as fh:
            fh.write(generate(i, args.seed, args.error_share))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
