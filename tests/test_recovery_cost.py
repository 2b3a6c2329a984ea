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


# ------------------------------------------------- lines that leave a bracket open

# Each line opens a bracket it never closes (pairs closed on the line do not count), so
# every error's recovery asks where the bracket closes, or where its statement ends: the
# answer lay at the end of the file, and each of the 25 errors scanned there again.
UNCLOSED = ["x{i}: foo({i},", "log([1, 2", "x{i}: foo() {{", "fn f{i}() {{",
            "if f(x{i}:\n    log(1)", "x{i}: f(g({i}), \"(\", [2,", "y{i}: [1, # ]"]


def _unclosed(shape: str, n: int) -> str:
    return 'goal: "g"\n' + "".join(shape.format(i=i) + "\n" for i in range(n))


def _bracket_passes(text: str, monkeypatch) -> float:
    """How many times over the text error recovery's bracket scans went: each scan is
    counted from where it starts to the end of the text (an upper bound on what it read)."""
    from aether.syntax import parser as P

    read = 0
    real_close, real_end = P._close_line, P._statement_end

    def close_line(scanner, text, pos, *args, **kwargs):
        nonlocal read
        read += len(text) - pos
        return real_close(scanner, text, pos, *args, **kwargs)

    def statement_end(master, text, pos, *args, **kwargs):
        nonlocal read
        read += len(text) - pos
        return real_end(master, text, pos, *args, **kwargs)

    monkeypatch.setattr(P, "_close_line", close_line)
    monkeypatch.setattr(P, "_statement_end", statement_end)
    P._LAST = None
    try:
        result = parse(text)
    finally:
        monkeypatch.setattr(P, "_close_line", real_close)
        monkeypatch.setattr(P, "_statement_end", real_end)
        P._LAST = None
    assert len(result.errors) >= 25
    return read / len(text)


@pytest.mark.parametrize("shape", UNCLOSED)
def test_lines_that_leave_a_bracket_open_are_scanned_about_once(shape, monkeypatch):
    small = _bracket_passes(_unclosed(shape, 1000), monkeypatch)
    large = _bracket_passes(_unclosed(shape, 4000), monkeypatch)
    # what the first error's scans learnt serves the 24 after it (before: 25 to 50 passes)
    assert small <= 3 and large <= 3
    assert large <= small * 1.1  # and no more passes for a longer file


@pytest.mark.parametrize("shape", UNCLOSED)
def test_lines_that_leave_a_bracket_open_give_the_reference_errors(shape):
    text = _unclosed(shape, 60) + "x: 1\n)\n"
    for t in (_unclosed(shape, 60), text, text.replace("\n", "\n    ", 7)):
        fast, full = parse(t), parse(t, incremental=False)
        assert fast.errors == full.errors
        assert fast.masked == full.masked
        assert fast.module == full.module
