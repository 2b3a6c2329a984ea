"""Error recovery costs about one parse: the statements before an error are kept from the
attempt that met it, not parsed again (counted in tokens, not timed)."""

from __future__ import annotations

import pytest

from aether.syntax import parse
from aether.syntax.lexer import Scanner


def _tokens_parsed(text: str, monkeypatch) -> int:
    count = 0
    real = Scanner.scan

    def counting(self, *args, **kwargs):
        nonlocal count
        for tok in real(self, *args, **kwargs):
            count += 1
            yield tok

    monkeypatch.setattr(Scanner, "scan", counting)
    try:
        parse(text)
    finally:
        monkeypatch.setattr(Scanner, "scan", real)
    return count


def _program(n: int, broken: set[int]) -> str:
    lines = ['goal: "g"']
    for i in range(n):
        if i in broken:
            lines.append(f"log({i} {i})")  # a missing comma: AE100
        elif i % 10 == 0:
            lines += [f"if x{i}:", f"    log({i})", "else:", f"    y{i}: [{i}, {i + 1}]"]
        else:
            lines.append(f"n{i}: {i} + {i} * 2")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("broken", [{150}, {5}, {295}, {40, 120, 200, 260}])
def test_a_file_with_errors_costs_about_one_parse(broken, monkeypatch):
    clean = _tokens_parsed(_program(300, set()), monkeypatch)
    text = _program(300, broken)
    result = parse(text)
    assert len(result.errors) == len(broken)
    assert result.module == parse(text, incremental=False).module
    # a few statements around each error are parsed twice; the rest once
    assert _tokens_parsed(text, monkeypatch) <= clean * 1.1
