"""Every command that prints JSON keeps non-ASCII text as is (one helper writes it:
aether.output.jsontext), rather than some escaping it (``"caf\\u00e9"``) and some not."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aether.cli.main import cli
from aether.governance.approvals import StoreApprovals
from aether.governance.dispatcher import GovernedDispatcher
from aether.governance.ledger import Ledger
from aether.governance.policy import load_policy
from aether.output.jsontext import json_line, json_text
from aether.runtime.api import RunOptions, run_source
from aether.runtime.dispatch import SimulateDispatcher
from aether.store import open_state_store

NAME = "zoë-ŝ☕"  # Latin-1, beyond Latin-1 and beyond the BMP's common ranges
G = 'goal: "g"\n'


def invoke(*args):
    r = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"})
    return r


def kept(text: str) -> bool:
    """``NAME`` is in ``text`` as itself, and no character of it is escaped."""
    return NAME in text and "\\u" not in text


def assert_kept(*commands):
    """Each command (a tuple of arguments) ends with status 0 and keeps ``NAME``."""
    for args in commands:
        r = invoke(*args)
        assert r.exit_code == 0, r.output
        assert kept(r.output), (args, r.output)


def test_the_helpers_keep_non_ascii_and_sort_when_asked():
    assert json_text({"b": NAME, "a": 1}, sort_keys=True) == \
        '{\n  "a": 1,\n  "b": "' + NAME + '"\n}'
    assert json_line([NAME, {"k": 1}]) == '["' + NAME + '", {"k": 1}]'


@pytest.fixture
def governed_project(tmp_path, monkeypatch):
    """A project whose state database holds a finished run and a waiting one, both by an
    actor and with run ids spelt in non-ASCII, under a policy naming a non-ASCII approver."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.toml").write_text(
        'allowed_tools = ["think", "log", "escalate_to"]\n'
        f'[approval]\napprovers = ["{NAME}"]\n', encoding="utf-8")
    backend = open_state_store(str(tmp_path))
    for run_id, source in ((f"done-{NAME}", G + f'think("{NAME}")\n'),
                           (f"wait-{NAME}", G + f'escalate_to("{NAME}")\n')):
        dispatcher = GovernedDispatcher(SimulateDispatcher(), load_policy("p.toml"),
                                        Ledger(backend), StoreApprovals(backend), NAME)
        run_source(source, "f.aether", dispatcher=dispatcher,
                   options=RunOptions(run_id=run_id))
    (tmp_path / "strict.toml").write_text('allowed_tools = ["log"]\n')
    return tmp_path


@pytest.mark.parametrize("args", [
    ("validate-config", "p.toml", "--json"),
    ("audit", "verify", "--json"),
    ("policy", "replay", "strict.toml", "--format", "json"),
    ("runs", "--waiting", "--format", "json"),
])
def test_governance_commands_keep_non_ascii(governed_project, args):
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert kept(r.output), r.output
    json.loads(r.output)


def test_runs_run_and_stats_keep_non_ascii(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    flow = f"{NAME}.aether"
    (tmp_path / flow).write_text(G + f'x: "{NAME}"\nprint(x)\n', encoding="utf-8")
    assert_kept(("run", flow, "--json"), ("run", flow), ("runs", "--format", "json"),
                ("stats", "--format", "json"))


def test_tools_commands_keep_non_ascii(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "aether-tools.toml").write_text(
        f'[tools.brew]\nparams = ["what"]\neffect = "tool"\nrisk = "low"\n'
        f'summary = "{NAME}"\n', encoding="utf-8")
    (tmp_path / f"{NAME}.aether").write_text(G + 'brew("tea")\n', encoding="utf-8")
    assert_kept(("tools", "list", "--format", "json"),
                ("tools", "manifest", "--format", "json"))


def test_suppressions_list_and_verify_keep_non_ascii(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text(
        f"a1b2c3d4e5f67890 owner={NAME}\n", encoding="utf-8")
    (tmp_path / f"{NAME}.aether").write_text(G + 'print("x")\n', encoding="utf-8")
    r = invoke("suppressions", "list", "--json")
    assert r.exit_code == 0, r.output
    assert kept(r.output), r.output
    r = invoke("verify", f"{NAME}.aether", "--format", "json")
    assert NAME in r.output and "\\u" not in r.output, r.output
