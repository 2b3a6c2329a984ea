#!/usr/bin/env python3
"""Write N deterministic, varied Aether 1.2 workflow files for benchmarks and tests.

    python tools/gen_corpus.py N DIR [--seed S] [--error-share 0.1]

Same arguments, same bytes. Files are 50 to 500 lines and use every construct of the
language (config blocks, bindings, typed bindings, calls with keywords, plugin members,
if/elif/else, for, while, fn, try/catch, parallel/await, workflow steps with options,
on_error, transaction, memory, every kind of literal, comments). A share of the files
(``--error-share``) carries one or two injected errors, syntax or validation, so checkers
see both paths. Files go into sub-folders of 1,000: DIR/000/wf_00001.aether ...
"""

from __future__ import annotations

import argparse
import os
import random

WORDS = ("alpha beta gamma delta ops audit digest incident report sync metric signal queue "
         "ledger review triage vendor invoice cohort batch shard replica cache").split()
TOOLS = ("summarize load_logs detect_anomalies narrate store recall reflect metrics "
         "evaluate_confidence check_confidence generate_report publish remember "
         "search_memory analyze notify").split()
KINDS = ("Timeout", "PermissionError", "NetworkError", "PolicyDenied", "BudgetExceeded")


class Gen:
    """Builds one file; ``names`` are the values bound so far at top level."""

    def __init__(self, rng: random.Random, index: int):
        self.r = rng
        self.i = index
        self.lines: list[str] = []
        self.names: list[str] = ["seed_value"]
        self.tasks: list[str] = []
        self.fns: list[tuple[str, int]] = []
        self.plugin = f"{self.r.choice(WORDS)}_plugin"
        self.counter = 0

    def new(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def name(self) -> str:
        return self.r.choice(self.names)

    def lit(self) -> str:
        r = self.r
        return r.choice([
            f'"{r.choice(WORDS)} {r.choice(WORDS)}"', f"'{r.choice(WORDS)}\\n'",
            str(r.randint(-50, 5000)), f"{r.randint(1, 9)}_{r.randint(100, 999)}",
            f"{r.random():.3f}", f"{r.randint(1, 900)}ms", f"{r.randint(1, 59)}s",
            f"{r.randint(1, 30)}m", "true", "false", "null",
            f'[{r.randint(1, 9)}, {r.randint(1, 9)}, "{r.choice(WORDS)}"]',
            f'{{{r.choice(WORDS)}: {r.randint(0, 9)}, "{r.choice(WORDS)}-key": {r.random():.2f}}}',
        ])

    def operand(self, depth: int) -> str:
        """An operand of an operator: a literal, a name, a call or a parenthesised expr."""
        r = self.r
        k = r.randint(0, 4 if depth < 2 else 2)
        if k == 0:
            return self.lit()
        if k == 1:
            return self.name()
        if k == 2:
            return f"{self.name()}[{r.randint(0, 3)}]"
        if k == 3:
            return self.call(depth + 1)
        return f"({self.expr(depth + 1)})"

    def expr(self, depth: int = 0) -> str:
        r = self.r
        k = r.randint(0, 9 if depth < 2 else 3)
        if k <= 1:
            return self.lit()
        if k <= 3:
            return self.name()
        if k == 4:
            op = r.choice(["+", "-", "*", "/", "%"])
            return f"{self.operand(depth)} {op} {self.operand(depth)}"
        if k == 5:
            op = r.choice(["==", "!=", "<", "<=", ">", ">=", "in"])
            return f"{self.operand(depth)} {op} {self.operand(depth)}"
        if k == 6:
            return f"not {self.name()} {r.choice(['and', 'or'])} ({self.expr(depth + 1)})"
        if k == 7:
            return self.call(depth + 1)
        if k == 8:
            return f"-{self.name()}.{r.choice(WORDS)}"
        return f"len({self.name()}) > {r.randint(0, 9)}"

    def call(self, depth: int = 0) -> str:
        r = self.r
        k = r.randint(0, 6)
        if k == 0 and self.fns:
            fn, arity = r.choice(self.fns)
            return f"{fn}({', '.join(self.expr(depth + 1) for _ in range(arity))})"
        if k == 1:
            return f"{self.plugin}.{r.choice(WORDS)}({self.name()})"
        if k == 2:
            return f'store({self.name()}, tag="{r.choice(WORDS)}")'
        if k == 3:
            return f'log("{r.choice(WORDS)} {{x}}", {self.name()})'
        if k == 4:
            return f"summarize({self.name()})"
        if k == 5:
            return f'load_logs(tag="{r.choice(WORDS)}", limit={r.randint(1, 500)})'
        return f"max({self.expr(depth + 1)}, {self.expr(depth + 1)})"

    def emit(self, text: str, indent: int = 0) -> None:
        self.lines.append("    " * indent + text)

    # ------------------------------------------------------------ blocks
    def header(self) -> None:
        r = self.r
        self.emit(f"# Generated workflow {self.i}: {r.choice(WORDS)} {r.choice(WORDS)}")
        self.emit(f'goal: "Process the {r.choice(WORDS)} {r.choice(WORDS)} for run {self.i}"')
        self.emit("")
        self.emit("meta:")
        self.emit(f'version: "1.{r.randint(0, 9)}"', 1)
        self.emit(f'author = "team {r.choice(WORDS)}"', 1)
        self.emit("labels:", 1)
        for _ in range(r.randint(1, 3)):
            self.emit(f'- "{r.choice(WORDS)}"', 2)
        self.emit("")
        self.emit("policy:")
        self.emit(f"risk_budget: {r.random():.2f}", 1)
        self.emit(f"token_budget: {r.randint(1, 90)}_000", 1)
        self.emit(f'data_class: "{r.choice(["public", "internal", "confidential"])}"', 1)
        self.emit(f"deterministic: {r.choice(['true', 'false'])}", 1)
        self.emit(f'request_timeout: {r.choice(["30s", chr(34) + "45s" + chr(34), "2m"])}', 1)
        self.emit("")
        self.emit("require:")
        self.emit("plugins:", 1)
        self.emit(f'- "{self.plugin}>={r.randint(0, 2)}.{r.randint(0, 9)},<{r.randint(3, 5)}"', 2)
        self.emit('capabilities: ["memory.read", "storage.write"]', 1)
        self.emit("")
        self.emit(f"seed_value: {r.randint(1, 99)}")

    def binding(self, indent: int = 0) -> None:
        name = self.new(self.r.choice(WORDS))
        if self.r.random() < 0.2:
            self.emit(f"{name}: List[{self.r.choice(['Anomaly', 'Record', 'Int'])}] = "
                      f"{self.call()}", indent)
        else:
            self.emit(f"{name}: {self.expr()}  # {self.r.choice(WORDS)}", indent)
        if indent == 0:
            self.names.append(name)

    def if_block(self, indent: int = 0) -> None:
        self.emit(f"if {self.expr()}:", indent)
        self.emit(f"{self.call()}", indent + 1)
        if self.r.random() < 0.5:
            self.emit(f"elif {self.name()}:", indent)
            self.emit(f"narrate(\"{self.r.choice(WORDS)}\")", indent + 1)
        self.emit("else:", indent)
        self.emit(f"{self.call()}", indent + 1)

    def loops(self) -> None:
        var = self.new("item")
        self.emit(f"for {var} in {self.name()}:")
        self.emit(f"if {var} == null:", 1)
        self.emit("continue", 2)
        self.emit(f"log({var})", 1)
        counter = self.new("count")
        self.emit(f"{counter}: 0")
        self.names.append(counter)
        self.emit(f"while {counter} < {self.r.randint(2, 9)}:")
        self.emit(f"{counter} += 1", 1)
        self.emit(f"if {counter} > 100:", 1)
        self.emit("break", 2)

    def fn_def(self) -> None:
        name = self.new(self.r.choice(WORDS) + "_fn")
        params = ["a", "b"][: self.r.randint(1, 2)]
        self.emit(f"fn {name}({', '.join(params)}, limit={self.r.randint(1, 9)}):")
        self.emit(f"total: {params[0]} * limit", 1)
        self.emit(f"if total > {self.r.randint(1, 50)}:", 1)
        self.emit("return total", 2)
        self.emit(f"return {params[-1]}", 1)
        self.fns.append((name, len(params)))

    def try_block(self) -> None:
        self.emit("try:")
        self.emit(f"{self.call()}", 1)
        self.emit("catch err:")
        self.emit('escalate_to("oncall", message="failed")', 1)

    def parallel(self) -> None:
        a, b = self.new("task"), self.new("task")
        self.emit("parallel:")
        self.emit(f'{a}: summarize(load_logs(tag="{self.r.choice(WORDS)}"))', 1)
        self.emit(f"{b}: detect_anomalies({self.name()})", 1)
        self.emit(f"await {a}, {b}")
        self.names += [a, b]

    def workflow(self) -> None:
        self.emit("workflow:")
        self.emit('requires: ["storage.write"]', 1)
        self.emit("steps:", 1)
        self.emit("- parse_input as parsed", 2)
        self.emit(f"- generate_report(parsed) as report retry={self.r.randint(0, 3)} "
                  f"timeout={self.r.choice(['30s', chr(34) + '1m' + chr(34)])}", 2)
        self.emit('- publish(report, target="wiki") requires=["network.write"]', 2)

    def on_error(self) -> None:
        self.emit("on_error:")
        for kind in self.r.sample(KINDS, 2):
            self.emit(f"- when: {kind}", 1)
            self.emit(f'  do: escalate_to("{self.r.choice(WORDS)}")', 1)

    def transaction(self) -> None:
        self.emit("transaction:")
        self.emit(f'- store({self.name()}, tag="daily")', 1)
        self.emit(f'- metrics({{"coherence": {self.r.random():.2f}, "count": len({self.name()})}})', 1)

    def build(self, target: int) -> str:
        self.header()
        blocks = [self.binding, self.binding, self.binding, self.if_block, self.loops,
                  self.fn_def, self.try_block, self.parallel, self.workflow, self.on_error,
                  self.transaction, self.memory, self.call_line]
        while len(self.lines) < target:
            self.emit("")
            self.r.choice(blocks)()
        return "\n".join(self.lines) + "\n"

    def memory(self) -> None:
        self.emit(f'memory: remember({self.name()}, tag="{self.r.choice(WORDS)}")')

    def call_line(self) -> None:
        self.emit(self.call())


ERRORS = [
    ("syntax", "x_bad: (1 + "),          # unclosed bracket
    ("syntax", "if ready:"),             # missing block
    ("syntax", "total: 3 $ 4"),          # unexpected character
    ("syntax", "for: 1"),                # reserved word as a name
    ("validation", "summarise(seed_value)"),  # unknown function (did you mean)
    ("validation", "log(undefined_thing)"),   # unbound name
    ("validation", "len(1, 2, 3)"),           # wrong arity
    ("validation", "policy:\n    risk_budget: 7"),  # value out of range
]


def _inject(lines: list[str], r: random.Random) -> None:
    """Insert one error at a top-level statement boundary (not inside a block)."""
    spots = [i for i in range(5, len(lines) + 1)
             if i == len(lines) or (lines[i] and not lines[i][0].isspace())]
    lines.insert(r.choice(spots), r.choice(ERRORS)[1])


def generate(index: int, seed: int, error_share: float) -> str:
    """The text of file number ``index`` (deterministic in index and seed)."""
    r = random.Random(seed * 1_000_003 + index)
    target = r.randint(50, 480)
    text = Gen(r, index).build(target)
    if r.random() < error_share:
        lines = text.rstrip("\n").split("\n")
        for _ in range(r.randint(1, 2)):
            _inject(lines, r)
        text = "\n".join(lines) + "\n"
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--error-share", type=float, default=0.1)
    args = ap.parse_args(argv)
    for i in range(1, args.n + 1):
        folder = os.path.join(args.dir, f"{(i - 1) // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"wf_{i:05d}.aether"), "w", encoding="utf-8",
                  newline="\n") as fh:
            fh.write(generate(i, args.seed, args.error_share))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
