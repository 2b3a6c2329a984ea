"""The reasons `bench/bench_fleet_clean.py` gives for a file that does not check clean.

The figure's reader must see which remaining files are real findings (a likely typo, a
file that is not Aether, one that states no purpose) and which are gaps to look at; the
classification reads only the findings, the migration report and the source, so it works
on any folder of legacy files.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_fleet_clean.py"
_spec = importlib.util.spec_from_file_location("bench_fleet_clean", BENCH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def finding(rule, message, hint=None):
    return {"rule": rule, "message": message, "hint": hint, "line": 1}


def test_a_did_you_mean_is_a_likely_typo_and_nothing_else():
    found = [finding("AE301", "unknown function 'serch'", "did you mean 'search'?")] * 2
    assert bench.reasons(found, {"state": "transformed"}, "") == [
        "likely typo: serch (did you mean search)"]


def test_a_typo_next_to_other_findings_lists_both():
    found = [finding("AE301", "unknown function 'serch'", "did you mean 'search'?"),
             finding("AE303", "analyze() takes 1 to 2 arguments but 3 were given"),
             finding("AE301", "unknown function 'frobnicate'")]
    assert bench.reasons(found, None, "") == [
        "likely typo: serch (did you mean search)",
        "call does not fit its signature (AE303/AE304)",
        "undeclared name (AE301/AE302)"]


@pytest.mark.parametrize("migration, source, expected", [
    ({"state": "failed", "line": 9, "reason": "JavaScript `new` has no Aether 1.2 form"},
     "x = new Set()\n", "not Aether: JavaScript constructs"),
    ({"state": "failed", "line": 3, "reason": "unexpected ';'"},
     "#!/bin/bash\necho hi\n", "not Aether: shell script"),
    ({"state": "failed", "line": 3, "reason": "unexpected ';'"},
     "if [[ -f x ]]; then\n  echo\nfi\n", "not Aether: shell script"),
    ({"state": "failed", "line": 4, "reason": "'}' closes a block that was never opened"},
     "goal: \"g\"\n}\n", "not converted: 4: '}' closes a block that was never opened"),
])
def test_a_file_migrate_left_untouched_says_why(migration, source, expected):
    got = bench.reasons([finding("AE209", "brace-delimited block")], migration, source)
    assert len(got) == 1 and got[0].startswith(expected), got


def test_no_stated_purpose_and_leftovers():
    assert bench.reasons([finding("AE312", "the file has no top-level goal")], None, "") == [
        "no stated purpose (AE312)"]
    got = bench.reasons([finding("AE204", "x"), finding("AE100", "y"), finding("AE315", "s"),
                         finding("AE321", "z")], {"state": "unchanged"}, "")
    assert got == ["legacy construct left (AE2xx)", "does not parse (AE1xx)",
                   "unknown section left (AE315)", "other findings: AE321"]
    assert [bench.reason_kind(r) for r in (
        "likely typo: a (did you mean b)", "not converted: 3: x",
        "not Aether: shell script", "no stated purpose (AE312)")] == [
        "likely typo", "not converted", "not Aether: shell script", "no stated purpose"]


def test_the_copy_is_its_own_project_whatever_is_above_it(tmp_path, monkeypatch):
    # a configuration file above the temporary folder was the copy's: its settings applied
    # (here: every file excluded) and `tools infer --write` wrote beside it
    above = tmp_path / "tmp"
    above.mkdir()
    (above / "aether.toml").write_text('[aether]\nexclude = ["*.aether"]\n')
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "a.aether").write_text('goal: "g"\nfetch_report("x")\n')
    monkeypatch.setattr(bench.tempfile, "tempdir", str(above))
    fig = bench.measure(fleet)
    assert (fig["files"], fig["checked"], fig["clean"]) == (1, 1, 1)
    assert sorted(p.name for p in above.iterdir()) == ["aether.toml"]
    assert (fleet / "a.aether").read_text() == 'goal: "g"\nfetch_report("x")\n'


def test_a_file_check_skips_counts_and_is_listed_and_no_files_is_no_share(tmp_path):
    # the share was taken over the files `aether check .` reported: one in a hidden or
    # dependency folder vanished from the figure, and an empty folder showed 0.0%
    fleet = tmp_path / "fleet"
    for sub in (".hidden", "node_modules", "."):
        (fleet / sub).mkdir(parents=True, exist_ok=True)
        (fleet / sub / "a.aether").write_text('goal: "g"\nlog("x")\n')
    fig = bench.measure(fleet)
    assert (fig["files"], fig["checked"], fig["clean"]) == (3, 1, 1)
    assert fig["share_clean"] == round(1 / 3, 4)
    assert sorted(r["file"] for r in fig["remaining"]) == [".hidden/a.aether",
                                                          "node_modules/a.aether"]
    assert all(r["reasons"][0].startswith("not checked") for r in fig["remaining"])
    (tmp_path / "empty").mkdir()
    assert bench.measure(tmp_path / "empty")["share_clean"] is None


def test_an_unreadable_file_is_listed_not_a_traceback(tmp_path, monkeypatch):
    # (root reads any file: the refusal is simulated) shutil.copyfile raised out of measure
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "a.aether").write_text('goal: "g"\nlog("x")\n')
    (fleet / "secret.aether").write_text('goal: "g"\nlog("y")\n')
    real = bench.shutil.copyfile

    def copyfile(src, dst, *args, **kwargs):
        if Path(src).name == "secret.aether":
            raise PermissionError(13, "Permission denied", str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(bench.shutil, "copyfile", copyfile)
    fig = bench.measure(fleet)
    assert (fig["files"], fig["clean"], fig["share_clean"]) == (2, 1, 0.5)
    assert fig["remaining"][-1]["file"] == "secret.aether"
    assert fig["remaining"][-1]["reasons"] == ["not read: Permission denied"]


# The shell test's old single regex: the reference the linear test must agree with.
_OLD_SHELL = re.compile(r"\A#!.*\b(ba|da|z|k)?sh\b|^\s*(fi|done|esac)\s*$|\[\[ .* \]\]\s*;\s*then",
                        re.M)
_FAILED = {"state": "failed", "line": 1, "reason": "unexpected ';'"}


def _says_shell(source: str) -> bool:
    return bench.reasons([], _FAILED, source) == ["not Aether: shell script"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["[[ ", " ]]", "]]", "[[", ";", " then", "then", "\n", " ",
                                 "\t", "fi", "done", "esac", "#!", "/bin/", "bash", "sh",
                                 "x", "\u2028", "\r"]), max_size=25).map("".join))
def test_the_shell_test_says_what_the_old_regex_said(source):
    assert _says_shell(source) == bool(_OLD_SHELL.search(source))


def _cpu(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


@pytest.mark.parametrize("unit", ["[[ a ]] ", "[[ ", "\n", " \n"],
                         ids=["brackets", "openers", "blank-lines", "space-lines"])
def test_the_shell_test_is_linear_in_a_long_line_or_run(unit):
    # The old regex tried `[[ .* ]]` from every `[[` of a line (and `^\s*` from every
    # line of a blank run): 8 times the text cost 64 times the time. Linear: about 8;
    # the bound is generous for a loaded machine (a ratio of CPU times, best of 5).
    small, large = unit * 1500 + "x", unit * 12000 + "x"
    assert not _says_shell(small) and not _says_shell(large)
    ratio = _cpu(lambda: _says_shell(large)) / max(_cpu(lambda: _says_shell(small)), 1e-6)
    assert ratio < 24, ratio
