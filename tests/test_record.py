"""The record classes written out instead of dataclasses (aether/record.py) keep the
dataclass behaviour their users rely on: fields in __init__ order, equality, frozenness,
pickling (--jobs workers), copy, dataclasses.fields/replace/asdict."""

import copy
import dataclasses
import pickle

import pytest

from aether.checker import CheckOptions, RuleFilter
from aether.codes import RULES, Rule
from aether.config import Config
from aether.diagnostics import FileResult, Finding
from aether.record import FrozenRecord, Record
from aether.runner import RunStats
from aether.semantics.catalogue import (Builtin, CallProblem, Catalogue, Plugin, Signature,
                                        load_catalogue)
from aether.semantics.validator import _Ctx
from aether.source import ReadResult
from aether.syntax.legacy import LegacyHit
from aether.syntax.parser import ParseResult, SyntaxIssue, parse
from aether.syntax.tables import Tables
from aether.walk import SourceFile

CLASSES = [Rule, Finding, FileResult, RuleFilter, CheckOptions, Config, ReadResult,
           SourceFile, RunStats, Signature, Builtin, Plugin, Catalogue, _Ctx, LegacyHit,
           SyntaxIssue, ParseResult, Tables]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_record_class_is_listed():
    found = {c for c in _subclasses(Record) if c is not FrozenRecord}
    assert found <= set(CLASSES) | {c for c in found if c.__module__.startswith("tests")}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_fields_slots_and_init_agree(cls):
    code = cls.__init__.__code__
    assert code.co_varnames[1:code.co_argcount] == cls._fields
    # a `__weakref__` slot (ParseResult: the parser's cache refers to it weakly) is no field
    assert tuple(s for s in cls.__slots__ if s != "__weakref__") == cls._fields
    assert [f.name for f in dataclasses.fields(cls)] == list(cls._fields)
    assert dataclasses.is_dataclass(cls)
    assert not hasattr(cls, "__dict__") or "__dict__" not in cls.__dict__


def _sample_finding():
    return Finding("AE301", "unknown function 'x'", 3, 5, 3, 6, "hint", "fn:f", "x()",
                   "abc", "def")


def test_frozen_record_behaves_as_a_frozen_dataclass():
    f = _sample_finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.line = 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        del f.line
    assert f == _sample_finding() and hash(f) == hash(_sample_finding())
    assert f != f.with_(line=4) and f.with_(line=4).line == 4
    assert dataclasses.replace(f, column=9) == f.with_(column=9)
    assert dataclasses.asdict(f) == f.to_dict() == f.as_dict()
    assert Finding.from_dict(f.to_dict()) == f
    assert repr(f).startswith("Finding(rule='AE301', message=")
    assert pickle.loads(pickle.dumps(f)) == f
    assert copy.deepcopy(f) == f and copy.copy(f) == f
    with pytest.raises(TypeError):
        f.replace(nope=1)
    assert f.__eq__(("AE301",)) is NotImplemented


def test_mutable_record_behaves_as_a_dataclass():
    r = FileResult("a.aether", [_sample_finding()], source="x")
    r.findings = []
    assert r == FileResult("a.aether", source="x")
    with pytest.raises(TypeError):
        hash(r)
    # defaults are fresh per instance (default_factory=list)
    a, b = FileResult("a"), FileResult("b")
    a.findings.append(1)
    assert b.findings == []
    assert pickle.loads(pickle.dumps(r)) == r
    assert RunStats(1, 2, 3) == RunStats(files=1, cached=2, lines=3)


def test_catalogue_records():
    cat = load_catalogue()
    assert cat.functions is cat.builtins
    assert pickle.loads(pickle.dumps(cat)) == cat
    narrowed = cat.replace(inputs={"x": "str"})
    assert narrowed.inputs == {"x": "str"} and narrowed != cat
    tool = Builtin("t", Signature.parse(["a"]), "tool", "low", (), "")
    with_tool = Catalogue(cat.builtins, cat.methods, cat.error_kinds, cat.policy, "d",
                          tools={"t": tool})
    assert with_tool.functions["t"] is tool and "log" in with_tool.functions
    assert Plugin("p", {}).summary == ""
    problem = Signature.parse(["a"]).check(0, [])
    assert isinstance(problem, tuple) and problem[0] == problem.rule == "AE303"
    assert problem.keyword is None and pickle.loads(pickle.dumps(problem)) == problem
    assert CallProblem("AE304", "m", "k") == ("AE304", "m", "k")


def test_parse_records():
    result = parse("goal: \"x\"\nlog(\n")
    assert isinstance(result, ParseResult) and result.errors
    assert isinstance(result.errors[0], SyntaxIssue)
    assert pickle.loads(pickle.dumps(result.errors[0])) == result.errors[0]
    assert RULES["AE301"].phase == "validate"
