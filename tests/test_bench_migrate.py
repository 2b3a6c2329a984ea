"""`bench/bench_migrate.py --breakdown` (a figure, not a gate) undoes what it changes in
its process when a migration raises (the parser hook, the paused collector), and counts
the texts a migration parses besides its file once each, whatever the number of files."""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from aether.migrate import engine
from aether.migrate.engine import migrate_text
from aether.syntax import parser as P

TESTS = Path(__file__).resolve().parent
BENCH = TESTS.parent / "bench" / "bench_migrate.py"
_spec = importlib.util.spec_from_file_location("bench_migrate", BENCH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

CLEAN = 'goal: "g"\nlog("x")\n'
LEGACY = (TESTS / "migrate_golden" / "M001-intent-to-goal" / "before.aether").read_text(
    encoding="utf-8")


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "_parse_last", P._parse_last)  # restored whatever happens
    monkeypatch.setattr(sys, "path", list(sys.path))
    limit, collecting = sys.getrecursionlimit(), gc.isenabled()
    (tmp_path / "files").mkdir()
    gc.enable()  # as a benchmark's process starts (an earlier test may have paused it)
    yield tmp_path
    sys.setrecursionlimit(limit)
    (gc.enable if collecting else gc.disable)()


def _write(corpus: Path, texts: list[str]) -> None:
    for i, text in enumerate(texts):
        (corpus / "files" / f"f{i}.aether").write_text(text, encoding="utf-8")


def test_a_migration_that_raises_leaves_the_parser_and_the_collector_as_they_were(
        corpus, monkeypatch):
    _write(corpus, [CLEAN, LEGACY])
    plain = P._parse_last

    def broken(text, path):
        P.parse(text)
        raise RuntimeError("a converter bug")

    monkeypatch.setattr(engine, "migrate_text", broken)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        bench.breakdown(corpus, 1)
    assert P._parse_last is plain
    assert gc.isenabled()


def test_the_converted_texts_are_counted_without_each_files_own_parse(corpus, capsys):
    # the same clean file three times: its own parse is dropped for each of them
    _write(corpus, [CLEAN, CLEAN, CLEAN, LEGACY])
    seen: list[str] = []
    plain = P._parse_last
    P._parse_last = lambda text, inc: seen.append(text) or plain(text, inc)
    try:
        migrate_text(LEGACY, "x.aether")
    finally:
        P._parse_last = plain
    besides = sum((Counter(seen) - Counter([LEGACY])).values())
    assert besides >= 1
    bench.breakdown(corpus, 1)
    assert f"Aether parses of the {besides} converted texts" in capsys.readouterr().out
    assert P._parse_last is plain and gc.isenabled()
