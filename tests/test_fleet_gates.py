"""The go/no-go gates: golden results and sign-off page, manual sign-offs, declared gates,
exit statuses; and `aether stats` over a state database."""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aether.cli.main import cli
from aether.config import load_config
from aether.fleet.gates import (GateConfigError, GateContext, load_specs, record_sign_off,
                                results_doc, run_gates, select_gates, sign_off_markdown,
                                dumps)

GOLDEN = Path(__file__).parent / "golden" / "gates"
G = 'goal: "demo"\n'
TS = "2024-05-01T12:00:00+00:00"

CONFIG = f"""\
[gates.unit]
kind = "command"
argv = [{json.dumps(sys.executable)}, "-c", "import sys; sys.exit(0)"]
timeout = "30s"
[gates.lint]
kind = "command"
argv = [{json.dumps(sys.executable)}, "-c", "import sys; sys.exit(3)"]
mandatory = false
[gates.security-review]
kind = "manual"
description = "a person read the diff"
[gates.profiles]
release = ["no-legacy", "catalogue-reviewed", "unit", "security-review"]
"""


def _project(root: Path) -> None:
    (root / "wf").mkdir(parents=True, exist_ok=True)
    (root / "aether.toml").write_text(CONFIG, encoding="utf-8")
    (root / "wf" / "clean.aether").write_text(G + 'print("hi")\n', encoding="utf-8")
    (root / "wf" / "legacy.aether").write_text('intent: "old"\nprint("hi")\n',
                                               encoding="utf-8")
    (root / "aether-tools.toml").write_text(
        '[tools.deploy]\neffect = "tool"\nrisk = "unreviewed"\n', encoding="utf-8")


def _run(root: Path, strict_manual: bool, names=(), profile=None):
    config = load_config(str(root))
    from aether.semantics.project import load_project_catalogue

    specs, profiles = load_specs(config.gates)
    chosen = select_gates(specs, profiles, names, run_all=not names and profile is None,
                          profile=profile)
    ticks = itertools.count()
    ctx = GateContext(root=config.root, config=config, catalogue=load_project_catalogue(config),
                      strict_manual=strict_manual, clock=lambda: next(ticks) * 0.25)
    outcomes = run_gates(chosen, ctx)
    return results_doc(outcomes, profile or "default", TS)


def _normalise(doc: dict) -> dict:
    """Drop what depends on the machine (the interpreter path, command output)."""
    doc = json.loads(json.dumps(doc))
    for gate in doc.values():
        details = gate.get("details", {}) if isinstance(gate, dict) else {}
        if "argv" in details:
            details["argv"] = ["python"] + details["argv"][1:]
            details.pop("stdout_tail", None)
            details.pop("stderr_tail", None)
    return doc


def golden_outputs(tmp: Path = None) -> dict[str, str]:
    """File name under tests/golden/gates/ -> expected content (tools/update_golden.py)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _project(root)
        out = {}
        doc = _normalise(_run(root, strict_manual=True))
        out["all_strict.json"] = dumps(doc)
        out["all_strict.md"] = sign_off_markdown(doc)
        record_sign_off(str(root), "security-review", "Ann Reviewer", "read every line",
                        "2024-05-01T11:00:00+00:00")
        doc = _normalise(_run(root, strict_manual=True, profile="release"))
        out["release_signed.json"] = dumps(doc)
        out["release_signed.md"] = sign_off_markdown(doc)
        return out


@pytest.mark.parametrize("name", sorted(golden_outputs()))
def test_gate_results_and_sign_off_match_golden(name):
    assert golden_outputs()[name] == (GOLDEN / name).read_text(encoding="utf-8"), (
        f"tests/golden/gates/{name} differs: run tools/update_golden.py and review the diff")


def test_reference_shape_and_mandatory_failures(tmp_path):
    _project(tmp_path)
    doc = _run(tmp_path, strict_manual=False)
    assert set(doc["_meta"]) >= {"profile", "ts", "all_passed"}
    for name, gate in doc.items():
        if name != "_meta":
            assert set(gate) >= {"ok", "manual", "duration_sec", "details"}
    assert doc["security-review"]["ok"] and doc["security-review"]["manual"]
    assert not doc["no-legacy"]["ok"] and doc["no-legacy"]["details"]["files"][0]["file"] \
        == "wf/legacy.aether"
    assert not doc["catalogue-reviewed"]["ok"]
    assert doc["catalogue-reviewed"]["details"]["unreviewed"] == ["deploy"]
    assert doc["unit"]["ok"] and not doc["lint"]["ok"]
    assert doc["lint"]["details"]["exit_status"] == 3
    assert not doc["_meta"]["all_passed"]


def test_manual_gate_needs_a_sign_off_only_under_strict_manual(tmp_path):
    _project(tmp_path)
    assert not _run(tmp_path, True, ["security-review"])["security-review"]["ok"]
    assert _run(tmp_path, False, ["security-review"])["security-review"]["ok"]
    record_sign_off(str(tmp_path), "security-review", "bo", "fine", TS)
    doc = _run(tmp_path, True, ["security-review"])
    assert doc["security-review"]["ok"]
    assert doc["security-review"]["details"]["sign_off"]["by"] == "bo"


def test_cli_exit_status_and_sign_off(tmp_path, monkeypatch):
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["gates", "--gates", "unit,lint"])
    assert r.exit_code == 0, r.output  # lint fails but is optional
    assert json.loads((tmp_path / "gate_results.json").read_text())["_meta"]["all_passed"] \
        is False
    assert "| lint | FAIL | no |" in (tmp_path / "gate_sign_off.md").read_text()
    r = CliRunner().invoke(cli, ["gates", "--gates", "security-review", "--strict-manual"])
    assert r.exit_code == 1
    r = CliRunner().invoke(cli, ["gates", "sign-off", "security-review", "--by", "ann",
                                 "--reason", "checked"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / ".aether" / "gate_sign_offs.json").read_text())[0]["by"] \
        == "ann"
    r = CliRunner().invoke(cli, ["gates", "--gates", "security-review", "--strict-manual"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["gates", "sign-off", "unit", "--by", "a", "--reason", "b"])
    assert r.exit_code == 2 and "not a manual gate" in r.output
    assert CliRunner().invoke(cli, ["gates", "--gates", "nope"]).exit_code == 2
    assert CliRunner().invoke(cli, ["gates", "--profile", "nope"]).exit_code == 2


@pytest.mark.parametrize("table, message", [
    ({"x": {"kind": "shell", "argv": ["a"]}}, "kind must be"),
    ({"x": {"kind": "command", "argv": "make test"}}, "argv must be"),
    ({"x": {"kind": "command", "argv": ["a"], "timeout": "soon"}}, "not a duration"),
    ({"x": {"kind": "manual", "extra": 1}}, "unknown key"),
    ({"no-legacy": {"kind": "manual"}}, "built-in gate"),
    ({"profiles": {"p": ["missing"]}}, "unknown gate"),
    ({"parse-baseline": {"abs_threshold": float("nan")}}, "finite"),
])
def test_bad_gate_declarations_are_refused(table, message):
    with pytest.raises(GateConfigError, match=message):
        load_specs(table)


def test_command_gate_timeout_fails_the_gate(tmp_path):
    specs, _ = load_specs({"slow": {"kind": "command", "argv": [
        sys.executable, "-c", "import time; time.sleep(30)"], "timeout": 0.5}})
    ctx = GateContext(root=str(tmp_path), config=load_config(str(tmp_path), isolated=True))
    (outcome,) = run_gates([s for s in specs if s.name == "slow"], ctx)
    assert not outcome.ok and "did not finish" in outcome.details["summary"]


def test_parse_baseline_and_trend_gates(tmp_path, monkeypatch):
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["baseline", "wf", "-o", ".aether/baseline.json"])
    assert r.exit_code == 0, r.output
    assert _run(tmp_path, False, ["parse-baseline"])["parse-baseline"]["ok"]
    for i in range(6):  # six new parse errors: counts and fingerprints regress
        (tmp_path / "wf" / f"bad{i}.aether").write_text(G + 'print("x"\n')
    doc = _run(tmp_path, False, ["parse-baseline"])["parse-baseline"]
    assert not doc["ok"] and doc["details"]["regressions"][0]["code"] == "PARSE_ERROR"
    from aether.fleet.history import record_run

    hist = str(tmp_path / ".aether" / "history")
    for failed in (2, 5):
        record_run({"timestamp": f"2024-05-0{failed}T00:00:00+00:00", "total": 10,
                    "failed": failed, "by_category": {}, "files": []}, hist)
    doc = _run(tmp_path, False, ["classifier-trend"])["classifier-trend"]
    assert not doc["ok"] and "went up" in doc["details"]["summary"]


def test_stats_from_the_state_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.aether").write_text(G + 'print("hi")\n')
    (tmp_path / "bad.aether").write_text(G + 'x: "a" + 1\n')
    for name in ("ok.aether", "ok.aether", "bad.aether"):
        CliRunner().invoke(cli, ["run", name])
    r = CliRunner().invoke(cli, ["stats", "--format", "json", "--html", "s.html"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rows = {w["workflow"]: w for w in doc["workflows"]}
    assert rows["ok.aether"]["runs"] == 2 and rows["ok.aether"]["success_rate"] == 1.0
    assert rows["bad.aether"]["success_rate"] == 0.0
    assert doc["fleet"]["runs"] == 3 and doc["fleet"]["success_rate"] == round(2 / 3, 4)
    # every run is governed (the default policy): its ledger says no denial, no approval
    assert doc["fleet"]["policy_denials"] == 0 and doc["fleet"]["approvals_asked"] == 0
    page = (tmp_path / "s.html").read_text()
    assert "<svg" in page and "ok.aether" in page
    r = CliRunner().invoke(cli, ["stats", "--since", "2999-01-01"])
    assert r.exit_code == 0 and "no run recorded" in r.output
    assert CliRunner().invoke(cli, ["stats", "--since", "soon"]).exit_code == 2


def test_percentile():
    from aether.fleet.stats import percentile

    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile(list(map(float, range(101))), 0.95) == 95.0


def _run_one(tmp_path, argv, timeout=60):
    specs, _ = load_specs({"g": {"kind": "command", "argv": argv, "timeout": timeout}})
    ctx = GateContext(root=str(tmp_path), config=load_config(str(tmp_path), isolated=True))
    (outcome,) = run_gates([s for s in specs if s.name == "g"], ctx)
    return outcome


def test_a_command_gate_leaves_no_process_behind(tmp_path):
    # a background child kept the output pipes open: the gate waited for its timeout, then
    # killed the shell only, and the child lived on (orphaned)
    code = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(60)']); open('child.pid', 'w').write(str(p.pid)); "
            "print('started')")
    outcome = _run_one(tmp_path, [sys.executable, "-c", code], timeout=20)
    assert outcome.ok and "started" in outcome.details["stdout_tail"]
    pid = int((tmp_path / "child.pid").read_text())
    import time
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().split(") ")[-1].startswith("Z"):
                break  # killed, awaiting its reaper
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail("the gate's background child outlived the gate")


def test_a_command_gate_printing_megabytes_keeps_only_its_tail(tmp_path):
    from aether.fleet import gates
    code = "import sys; [sys.stdout.write('x' * 1023 + '\\n') for _ in range(20000)]; print('END')"
    outcome = _run_one(tmp_path, [sys.executable, "-c", code])
    assert outcome.ok and outcome.details["stdout_tail"].endswith("END\n")
    keep: list = []
    import io
    gates._drain(io.BytesIO(b"y" * (5 * gates.OUTPUT_TAIL) + b"tail"), keep)
    assert len(keep[0]) == gates.OUTPUT_TAIL and keep[0].endswith(b"tail")


def test_a_sign_off_by_an_empty_or_invisible_person_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aether.toml").write_text('[gates.review]\nkind = "manual"\n')
    for by in ("", "   ", "\u200b", "bob\u202e"):
        r = CliRunner().invoke(cli, ["gates", "sign-off", "review", "--by", by,
                                     "--reason", "read it"])
        assert r.exit_code == 2, (by, r.output)
    assert not (tmp_path / ".aether" / "gate_sign_offs.json").exists()
    r = CliRunner().invoke(cli, ["gates", "sign-off", "review", "--by", "bob",
                                 "--reason", "read it"])
    assert r.exit_code == 0


def test_a_dangling_link_at_the_sign_off_or_trends_file_is_an_error_not_none(tmp_path):
    # a link whose target is gone is not "no file": treating it as absent would drop the
    # recorded sign-offs or the trend in silence (as for suppression lists and catalogues)
    from aether.fleet import gates as G
    from aether.fleet.history import TRENDS_FILE, HistoryError, load_trends

    (tmp_path / ".aether").mkdir()
    (tmp_path / G.SIGN_OFF_FILE).symlink_to(tmp_path / "gone.json")
    with pytest.raises(GateConfigError):
        G.load_sign_offs(str(tmp_path))
    (tmp_path / TRENDS_FILE).symlink_to(tmp_path / "gone.json")
    with pytest.raises(HistoryError):
        load_trends(str(tmp_path))


def test_gates_help_states_the_exit_statuses_the_gates_give(tmp_path, monkeypatch):
    """The help named 2 for a configuration error; a gates file that cannot be used is 26."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.toml").write_text('[gates.x]\nkind = "nosuch"\n')
    r = CliRunner().invoke(cli, ["gates", "--all", "--gates-file", "g.toml"])
    assert r.exit_code == 26
    text = " ".join(CliRunner().invoke(cli, ["gates", "--help"]).output.split())
    assert "2 for a usage error, 26 for a configuration" in text


def test_the_sign_off_exit_status_comes_from_the_error_not_its_wording(tmp_path,
                                                                       monkeypatch):
    # a project folder whose name holds the words a usage message has: an unusable
    # sign-off file there is still 26 (IO_ERROR), and an empty person still 2 (usage)
    root = tmp_path / "review (--by) --reason"
    (root / ".aether").mkdir(parents=True)
    (root / "aether.toml").write_text('[gates.review]\nkind = "manual"\n')
    (root / ".aether" / "gate_sign_offs.json").write_text('{"not": "a list"}')
    monkeypatch.chdir(root)
    r = CliRunner().invoke(cli, ["gates", "sign-off", "review", "--by", "bob",
                                 "--reason", "read it"])
    assert r.exit_code == 26 and "--reason" in r.output, r.output
    r = CliRunner().invoke(cli, ["gates", "sign-off", "review", "--by", " ",
                                 "--reason", "read it"])
    assert r.exit_code == 2, r.output
    # the library says which it is
    with pytest.raises(GateConfigError) as bad_file:
        record_sign_off(str(root), "review", "bob", "read it", TS)
    with pytest.raises(GateConfigError) as no_person:
        record_sign_off(str(root), "review", "", "read it", TS)
    assert (bad_file.value.usage, no_person.value.usage) == (False, True)
    with pytest.raises(GateConfigError) as unknown:
        select_gates([], {}, ["nope"])
    assert unknown.value.usage
