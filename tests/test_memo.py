"""The one memo shape behind ``memo_parses`` and ``memo_validations`` (aether/syntax/memo.py):
a table only while a block is open, shared by nested blocks, dropped when the outermost
block ends (by an exception too); the two memos are independent of each other."""

from __future__ import annotations

import pytest

from aether.semantics import validator as V
from aether.syntax import memo as M
from aether.syntax import parser as P


def test_a_memo_has_a_table_only_within_its_blocks():
    memo = M.Memo()
    assert not memo.open() and memo.table is None
    with memo.block():
        assert memo.open()
        memo.table["k"] = 1
        with memo.block():  # nested: the outer table, not a new one
            assert memo.table == {"k": 1}
            memo.table["j"] = 2
        assert memo.table == {"k": 1, "j": 2}  # the inner block's end keeps it
    assert not memo.open() and memo.table is None


def test_a_memo_ends_when_its_block_ends_by_an_exception():
    memo = M.Memo()
    with pytest.raises(KeyError):
        with memo.block():
            memo.table["k"] = 1
            raise KeyError("k")
    assert memo.table is None
    with memo.block():  # a fresh table afterwards
        assert memo.table == {}


def test_parse_and_validation_memos_are_that_one_memo():
    assert type(P._PARSES) is M.Memo and type(V._VALIDATIONS) is M.Memo
    assert P._PARSES is not V._VALIDATIONS


def test_memo_parses_and_memo_validations_are_independent_and_nest():
    text = 'goal: "g"\nlog(nope)\n'
    with P.memo_parses():
        assert P.memoising() and not V.memoising()
        first = P.parse(text)
        with P.memo_parses():
            assert P.parse(text) is first
        assert P.memoising()
        with V.memo_validations():
            assert V.memoising()
            findings = V.validate(first.module)
            assert V.validate(first.module) is findings
        assert not V.memoising()
    assert not P.memoising()
    with pytest.raises(RuntimeError):
        with P.memo_parses(), V.memo_validations():
            raise RuntimeError("a stage failed")
    assert not P.memoising() and not V.memoising()
