"""`aether gate`: the reference count rule, new-fingerprint detection, exit codes, inputs."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st
from click.testing import CliRunner

from aether.baseline import build_baseline, dumps, parse_baseline
from aether.checker import check_text
from aether.cli.main import cli
from aether.gate import GateInputError, GateOptions, run_gate, to_markdown
from aether.suppressions import SuppressionList, parse_text

REFERENCE_KEYS = ["ok", "timestamp", "new_counts", "ref_counts", "abs_threshold",
                  "rel_threshold", "regressions"]


def baseline(files: dict[str, str], suppressions=None):
    """A parsed baseline of ``{path: text}`` checked in memory."""
    results = [check_text(text, path) for path, text in files.items()]
    return parse_baseline(dumps(build_baseline(results, suppressions=suppressions)))


def reference_style(**by_code):
    """A baseline as the reference script wrote it: counts and one finding per file."""
    files = [{"path": f"f{i}.aether", "code_name": code, "line": 1, "message": "x"}
             for code, n in by_code.items() if code != "SUCCESS" for i in range(n)]
    return {"timestamp": "2025-09-12T10:15:00Z", "total": sum(by_code.values()),
            "by_code": by_code, "failure_rate": 0.5, "files": files}


def gate_cli(tmp_path, new, ref, *args):
    """Run `aether gate` on two documents (dicts, Baselines or raw text)."""
    paths = []
    for name, doc in (("new.json", new), ("ref.json", ref)):
        p = tmp_path / name
        if isinstance(doc, str):
            p.write_text(doc)
        else:
            p.write_text(json.dumps(doc.data if hasattr(doc, "data") else doc))
        paths.append(str(p))
    result = CliRunner().invoke(cli, ["gate", "--new", paths[0], "--ref", paths[1],
                                      "--no-suppressions", *args], catch_exceptions=False)
    return result


def _json(result):
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- reference rule

@pytest.mark.parametrize("old, new, regressed", [
    (100, 106, False),  # +6 > 5 but +6% is not > 10%
    (50, 56, True),  # +6 > 5 and +12% > 10%
    (10, 15, False),  # +5 is not > 5
    (0, 6, True),  # from nothing: infinitely relative
    (0, 5, False),
    (40, 30, False),
])
def test_count_rule(tmp_path, old, new, regressed):
    result = gate_cli(tmp_path, reference_style(SUCCESS=10, PARSE_ERROR=new),
                      reference_style(SUCCESS=10, PARSE_ERROR=old))
    out = _json(result)
    assert list(out)[:7] == REFERENCE_KEYS
    assert result.exit_code == (1 if regressed else 0)
    assert out["ok"] is not regressed
    assert out["new_counts"]["PARSE_ERROR"] == new and out["ref_counts"]["PARSE_ERROR"] == old
    if regressed:
        (r,) = out["regressions"]
        assert (r["code"], r["old"], r["new"], r["delta"]) == ("PARSE_ERROR", old, new,
                                                                new - old)
        assert r["relative_increase"] == (None if old == 0 else round((new - old) / old, 4))


def test_thresholds_and_codes_options(tmp_path):
    new, ref = reference_style(PARSE_ERROR=12, IO_ERROR=9), reference_style(PARSE_ERROR=10)
    assert gate_cli(tmp_path, new, ref).exit_code == 0  # +2 is not > 5
    assert gate_cli(tmp_path, new, ref, "--abs-threshold", "1").exit_code == 1  # +2, +20%
    assert gate_cli(tmp_path, new, ref, "--abs-threshold", "1",
                    "--rel-threshold", "0.25").exit_code == 0
    assert gate_cli(tmp_path, new, ref, "--codes", "IO_ERROR").exit_code == 1
    assert gate_cli(tmp_path, new, ref, "--codes", "io_error,parse_error").exit_code == 1
    assert gate_cli(tmp_path, new, ref, "--codes", "VALIDATION_ERROR").exit_code == 0
    result = gate_cli(tmp_path, new, ref, "--codes", "NOPE")
    assert result.exit_code == 2 and "unknown status code" in result.stderr


def test_reference_style_baselines_gate_by_counts(tmp_path):
    ours = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    result = gate_cli(tmp_path, ours, reference_style(SUCCESS=3, VALIDATION_ERROR=1))
    out = _json(result)
    assert result.exit_code == 0 and out["fingerprints_compared"] is False
    assert any("counts only" in n for n in out["notes"])
    result = gate_cli(tmp_path, reference_style(PARSE_ERROR=9), reference_style(PARSE_ERROR=1))
    assert result.exit_code == 1
    result = gate_cli(tmp_path, ours, reference_style(VALIDATION_ERROR=1),
                      "--mode", "fingerprints")
    assert result.exit_code == 2 and "no fingerprints" in result.stderr


# --------------------------------------------------------------------------- fingerprints

def test_fix_one_file_break_another_fails(tmp_path):
    ref = baseline({"a.aether": 'goal: "x"\nunk(1)\n', "b.aether": 'goal: "x"\nlog(1)\n'})
    new = baseline({"a.aether": 'goal: "x"\nlog(1)\n', "b.aether": 'goal: "x"\nunk(1)\n'})
    result = gate_cli(tmp_path, new, ref)
    out = _json(result)
    assert result.exit_code == 1 and out["regressions"] == []
    assert out["new_counts"] == out["ref_counts"]
    (nf,) = out["new_findings"]
    assert (nf["path"], nf["line"], nf["rule"]) == ("b.aether", 2, "AE301")
    assert "unk" in nf["message"]
    (ff,) = out["fixed_findings"]
    assert ff["path"] == "a.aether"
    assert gate_cli(tmp_path, new, ref, "--mode", "counts").exit_code == 0


SWAP_BODY = ['log("a")', 'narrate("b")', 'x: summarize("c")', 'metrics({"n": 1})']
HEADERS = {"if true:": "if", "for i in [1]:": "for", "while true:": "while"}


def _anchor(block: list[str]) -> str:
    """The anchor aether.checker.anchor_for gives the lines of a generated block."""
    header = block[0]
    if not header.endswith(":"):
        return ""
    return HEADERS.get(header) or "fn:" + header.split()[1].split("(")[0]


def _swap_case(rng: random.Random):
    """(before, after) texts: one AE301 finding fixed, another AE301 added, same file.

    The added finding is a new unknown name, a known unknown name with another argument,
    or the fixed call itself re-appearing in a block with another anchor.
    """
    names = [f"tool_{i}" for i in range(rng.randint(2, 6))]
    blocks = []
    for name in names:
        header = rng.choice(["if true:", "for i in [1]:", "while true:", f"fn f_{name}(a):",
                             None])
        lines = [rng.choice(SWAP_BODY) for _ in range(rng.randint(0, 3))]
        lines.insert(rng.randint(0, len(lines)), f"{name}({rng.randint(0, 9)})")
        if header == "while true:":
            lines.append("break")
        blocks.append([header] + ["    " + line for line in lines] if header else lines)
    before = ['goal: "swap"'] + [line for b in blocks for line in b]
    fixed = rng.randrange(len(names))
    after_blocks = [list(b) for b in blocks]
    b = after_blocks[fixed]
    fixed_call = next(line.strip() for line in b if line.strip().startswith(names[fixed] + "("))
    for i, line in enumerate(b):
        if line.strip() == fixed_call:
            b[i] = line.replace(f"{names[fixed]}(", "log(")
    variant = rng.choice(["new-name", "new-arg", "other-block"])
    others = [blk for blk in after_blocks if _anchor(blk) != _anchor(b)]
    if variant == "other-block" and others:
        target, added = rng.choice(others), fixed_call
    else:
        target = after_blocks[rng.randrange(len(after_blocks))]
        added = "brand_new_tool(1)" if variant == "new-name" else \
            f"{names[rng.randrange(len(names))]}(10)"
    nested = target[0].endswith(":")
    target.insert(rng.randint(1 if nested else 0, len(target) - (target[-1].strip() == "break")),
                  ("    " if nested else "") + added)
    after = ['goal: "swap"'] + [line for blk in after_blocks for line in blk]
    return "\n".join(before) + "\n", "\n".join(after) + "\n"


def test_swap_detection_every_time():
    rng = random.Random(1122)
    for trial in range(300):
        before_text, after_text = _swap_case(rng)
        before = check_text(before_text, "flows/swap.aether")
        after = check_text(after_text, "flows/swap.aether")
        rules = lambda r: sorted(f.rule for f in r.findings)  # noqa: E731
        assert rules(before) == rules(after), (before_text, after_text)
        ref = baseline({"flows/swap.aether": before_text})
        new = baseline({"flows/swap.aether": after_text})
        result = run_gate(new, ref)
        assert not result.ok, f"trial {trial}: swap not detected\n{before_text}\n{after_text}"
        assert len(result.new_findings) == 1 and len(result.fixed_findings) == 1
        assert result.regressions == []
        counts_only = run_gate(new, ref, GateOptions(mode="counts"))
        assert counts_only.ok  # the reference rule alone misses every swap


@pytest.mark.xfail(strict=True, reason=(
    "fingerprint design (aether/fingerprint.py + checker.anchor_for): the anchor names only "
    "the block kind, so the same line fixed in one `for` loop and re-added in a sibling "
    "`for` loop has the same fingerprint; indistinguishable from moving the line"))
def test_swap_of_identical_line_between_sibling_blocks_of_one_kind():
    before = 'goal: "x"\nfor i in [1]:\n    tool(1)\nfor j in [2]:\n    log(1)\n'
    after = 'goal: "x"\nfor i in [1]:\n    log(1)\nfor j in [2]:\n    tool(1)\n'
    result = run_gate(baseline({"a.aether": after}), baseline({"a.aether": before}))
    assert not result.ok


def test_ties_are_counted_as_a_multiset():
    one = baseline({"a.aether": 'goal: "x"\nif true:\n    unk(1)\n'})
    two = baseline({"a.aether": 'goal: "x"\nif true:\n    unk(1)\n    unk(1)\n'})
    grew = run_gate(two, one)
    assert not grew.ok and len(grew.new_findings) == 1
    shrank = run_gate(one, two)
    assert shrank.ok and len(shrank.fixed_findings) == 1


def test_unrelated_edit_passes():
    ref = baseline({"a.aether": 'goal: "x"\nif true:\n    unk(1)\n'})
    new = baseline({"a.aether": 'goal: "x"\nlog("new")\nlog("more")\n\nif 1 > 0:\n  unk(1)\n'})
    result = run_gate(new, ref)
    assert result.ok and result.new_findings == [] and result.fixed_findings == []


def test_fingerprint_scheme_mismatch():
    new = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    ref = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    ref.scheme = "aether/v0"
    result = run_gate(new, ref)
    assert result.ok and not result.fingerprints_compared and "schemes differ" in result.notes[0]
    with pytest.raises(GateInputError):
        run_gate(new, ref, GateOptions(mode="fingerprints"))


# --------------------------------------------------------------------------- suppression list

def test_suppressed_new_finding_passes_and_is_not_counted():
    ref = baseline({"a.aether": 'goal: "x"\nlog(1)\n'})
    new = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    fp = new.files[0]["findings"][0]["fingerprint"]
    slist = SuppressionList(parse_text(f"{fp}  owner=me expires=2030-01-01\n", "s.txt"),
                            ["s.txt"])
    result = run_gate(new, ref, suppressions=slist, today=date(2029, 12, 31))
    assert result.ok and result.suppressed["list"] == 1
    assert result.new_counts["VALIDATION_ERROR"] == 0


def test_expired_entry_fails_the_gate():
    doc = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    fp = doc.files[0]["findings"][0]["fingerprint"]
    slist = SuppressionList(parse_text(f"{fp}  owner=me expires=2030-01-01\n", "s.txt"),
                            ["s.txt"])
    assert run_gate(doc, doc, suppressions=slist, today=date(2030, 1, 1)).ok
    late = run_gate(doc, doc, suppressions=slist, today=date(2030, 1, 2))
    assert not late.ok and late.expired_suppressions[0].owner == "me"
    assert "expired" in late.reasons[0]
    assert "Expired suppressions" in to_markdown(late)


def test_gate_discovers_the_project_list(tmp_path, monkeypatch):
    ref = baseline({"a.aether": 'goal: "x"\nlog(1)\n'})
    new = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    (tmp_path / "new.json").write_text(json.dumps(new.data))
    (tmp_path / "ref.json").write_text(json.dumps(ref.data))
    monkeypatch.chdir(tmp_path)
    args = ["gate", "--new", "new.json", "--ref", "ref.json"]
    assert CliRunner().invoke(cli, args).exit_code == 1
    (tmp_path / ".aether").mkdir()
    fp = new.files[0]["findings"][0]["legacy_fingerprint"]
    (tmp_path / ".aether" / "suppressions.txt").write_text(f"{fp}  # legacy formula\n")
    assert CliRunner().invoke(cli, args).exit_code == 0
    (tmp_path / ".aether" / "suppressions.txt").write_text(f"{fp} expires=2001-02-03\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "expired" in result.stderr
    (tmp_path / ".aether" / "suppressions.txt").write_text("zzz\n")
    assert CliRunner().invoke(cli, args).exit_code == 2


# --------------------------------------------------------------------------- inputs and outputs

@pytest.mark.parametrize("bad, message", [
    ("", "is empty"),
    ("{oops", "not valid JSON"),
    ('"a string"', "expected a JSON object"),
    ('{"files": []}', "no 'by_code'"),
])
def test_bad_input_is_exit_2(tmp_path, bad, message):
    good = reference_style(PARSE_ERROR=1)
    for new, ref in ((bad, good), (good, bad)):
        result = gate_cli(tmp_path, new, ref)
        assert result.exit_code == 2
        assert message in result.stderr and "aether gate:" in result.stderr
        assert result.stdout == ""


def test_missing_file_and_usage_errors_are_exit_2(tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps(reference_style(SUCCESS=1)))
    runner = CliRunner()
    result = runner.invoke(cli, ["gate", "--new", str(tmp_path / "ok.json"), "--ref",
                                 str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert runner.invoke(cli, ["gate", "--new", str(tmp_path / "ok.json")]).exit_code == 2
    assert runner.invoke(cli, ["gate", "--new", "x", "--ref", "y", "--mode", "odd"]).exit_code == 2


def test_markdown_and_output_files(tmp_path):
    ref = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    new = baseline({"a.aether": 'goal: "x"\nlog(1)\n', "b.aether": 'goal: "x"\nnope(1)\n'})
    md, out = tmp_path / "gate.md", tmp_path / "gate.json"
    result = gate_cli(tmp_path, new, ref, "--markdown", str(md), "-o", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    text = md.read_text()
    assert text.startswith("## aether gate: FAILED")
    assert "`b.aether:2` AE301" in text and "### Fixed findings (1)" in text
    assert "| VALIDATION_ERROR | 1 | 1 | +0 | no |" in text
    data = json.loads(out.read_text())
    assert data["new_findings"][0]["path"] == "b.aether"
    assert data["fixed_findings"][0]["path"] == "a.aether"


# --------------------------------------------------------------------------- docs/ci.md

def _ci_script() -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "ci.md").read_text()
    start = text.index("<!-- aether-gate.sh")
    start = text.index("```sh\n", start) + len("```sh\n")
    return text[start:text.index("```", start)]


def test_documented_shell_ci_script_gates(tmp_path):
    """The plain-shell script of docs/ci.md, run in a repository with a target branch."""
    import os
    import stat
    import subprocess
    import sys

    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "aether"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m aether "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    script = tmp_path / "aether-gate.sh"
    script.write_text(_ci_script())
    repo = tmp_path / "repo"
    repo.mkdir()
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}",
               BASE_REF="main", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")

    def sh(*cmd):
        return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)

    sh("git", "init", "-q", "-b", "main")
    (repo / "a.aether").write_text('goal: "x"\nunk(1)\n')
    (repo / "b.aether").write_text('goal: "x"\nlog(1)\n')
    sh("git", "add", "-A")
    sh("git", "commit", "-qm", "base")
    sh("git", "checkout", "-q", "-b", "change")
    (repo / "c.aether").write_text('goal: "x"\nlog(2)\n')  # harmless change
    proc = sh("bash", str(script))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "## aether gate: passed" in proc.stdout
    (repo / "a.aether").write_text('goal: "x"\nlog(1)\n')  # fix one file ...
    (repo / "b.aether").write_text('goal: "x"\nunk(1)\n')  # ... break another
    proc = sh("bash", str(script))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "`b.aether:2` AE301" in proc.stdout
    assert (repo / "aether-gate" / "gate.json").exists()


def test_different_build_settings_are_noted():
    new = baseline({"a.aether": 'goal: "x"\nlog(1)\n'})
    ref = baseline({"a.aether": 'goal: "x"\nlog(1)\n'})
    ref.data["_meta"]["version"] = "0.0.1"
    result = run_gate(new, ref)
    assert result.ok and "different aether version" in result.notes[0]


# --------------------------------------------------------------------------- properties

def _synthetic(files: list[list[str]]):
    doc = build_baseline([], timestamp="T")
    doc["files"] = [{"path": f"f{i}.aether", "code_name": "SUCCESS", "line": None,
                     "message": "", "category": None, "suppressed": [],
                     "findings": [{"rule": "AE301", "code_name": "VALIDATION_ERROR",
                                   "line": j + 1, "column": 1, "message": "m",
                                   "fingerprint": fp, "legacy_fingerprint": ""}
                                  for j, fp in enumerate(fps)]}
                    for i, fps in enumerate(files)]
    return parse_baseline(dumps(doc))


_FILES = st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=5), max_size=4)


@settings(max_examples=150, deadline=None)
@given(new=_FILES, ref=_FILES)
def test_new_and_fixed_are_the_multiset_differences(new, ref):
    result = run_gate(_synthetic(new), _synthetic(ref), GateOptions(mode="fingerprints"))
    n, r = Counter(fp for fs in new for fp in fs), Counter(fp for fs in ref for fp in fs)
    assert Counter(f["fingerprint"] for f in result.new_findings) == n - r
    assert Counter(f["fingerprint"] for f in result.fixed_findings) == r - n
    assert result.ok == (not (n - r))


@settings(max_examples=50, deadline=None)
@given(files=_FILES)
def test_a_baseline_always_passes_against_itself(files):
    doc = _synthetic(files)
    assert run_gate(doc, doc).ok


def test_the_gate_list_decides_over_the_baseline_list():
    fp_doc = baseline({"a.aether": 'goal: "x"\nunk(1)\n'})
    fp = fp_doc.files[0]["findings"][0]["fingerprint"]
    slist = SuppressionList(parse_text(f"{fp}\n", "s.txt"), ["s.txt"])
    ref = baseline({"a.aether": 'goal: "x"\nlog(1)\n'})
    new = baseline({"a.aether": 'goal: "x"\nunk(1)\n'}, suppressions=slist)
    assert new.files[0]["findings"] == [] and new.files[0]["suppressed"][0]["by"] == "list"
    kept = run_gate(new, ref, suppressions=slist)
    assert kept.ok and kept.suppressed["list"] == 1
    dropped = run_gate(new, ref)  # the entry is gone from today's list
    assert not dropped.ok and dropped.new_findings[0]["fingerprint"] == fp
    assert dropped.new_counts["VALIDATION_ERROR"] == 1


@pytest.mark.parametrize("docs", [({"files": {}}, {"files": {}}), ("not json", {"files": {}})])
def test_gate_run_in_process_gives_the_collector_back(tmp_path, docs):
    # the gate pauses the cyclic collector for its run; a caller running the command in
    # process (a test, a tool) must get it back, whether the gate passed or refused
    import gc

    assert gc.isenabled()
    try:
        gate_cli(tmp_path, *docs)
        assert gc.isenabled()
    finally:
        gc.enable()
