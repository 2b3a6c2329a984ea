"""The project tool catalogue (aether-tools.toml) and `aether tools`: loading, merging,
shadowing, bad files, validation against project tools, infer, manifest goldens."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aether.checker import CheckOptions, check_text
from aether.config import ConfigError, load_config
from aether.semantics.catalogue import EFFECTS, load_catalogue
from aether.semantics.project import load_project_catalogue

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "manifest"

TOOLS = '''# the team's tools
[tools.analyze_project]
params = ["path", "depth?"]
effect = "tool"
risk = "medium"
capabilities = ["fs.read"]
summary = "Walk a project tree."

[plugins.sysmon.functions.status]
params = ["host?"]
effect = "observability"
risk = "low"

[inputs]
system_load = "float"
'''


def run(*args, cwd):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def project(tmp_path, tools=TOOLS, config=None):
    (tmp_path / "aether.toml").write_text(config or "")
    if tools is not None:
        (tmp_path / "aether-tools.toml").write_text(tools)
    return tmp_path


def catalogue_of(root):
    return load_project_catalogue(load_config(str(root)))


def rules_of(text, cat):
    return sorted((f.rule, f.line, f.hint) for f in
                  check_text(text, "t.aether", CheckOptions(catalogue=cat)).findings)


# ------------------------------------------------------------------ loading and merging

def test_loads_tools_plugins_inputs_with_source_lines(tmp_path):
    cat = catalogue_of(project(tmp_path))
    tool = cat.tools["analyze_project"]
    assert tool.signature.params == ("path", "depth") and tool.signature.required == 1
    assert (tool.effect, tool.risk, tool.capabilities) == ("tool", "medium", ("fs.read",))
    assert tool.source == "aether-tools.toml:2" or tool.source.endswith("aether-tools.toml:2")
    assert "status" in cat.plugins["sysmon"].functions
    assert cat.inputs == {"system_load": "float"}
    assert "analyze_project" in cat.functions and "log" in cat.functions
    assert cat.digest != load_catalogue().digest


def test_no_catalogue_file_means_the_builtins_alone(tmp_path):
    assert catalogue_of(project(tmp_path, tools=None)) is None
    assert load_project_catalogue(load_config(str(project(tmp_path))), isolated=True) is None


def test_catalogue_key_merges_several_files(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "ops.toml").write_text(
        '[tools.restart_service]\nparams = ["name"]\nrisk = "high"\n'
        '[inputs]\nsystem_load = "float"\nregion = "str"\n')
    project(tmp_path, config='catalogue = "shared/ops.toml"\n')
    cat = catalogue_of(tmp_path)
    assert set(cat.tools) == {"analyze_project", "restart_service"}
    assert cat.tools["restart_service"].effect == "tool"  # the default
    assert cat.inputs == {"system_load": "float", "region": "str"}
    assert "shared/ops.toml" in cat.files[0] and cat.files[1].endswith("aether-tools.toml")


def test_a_tool_declared_in_two_files_is_an_error_naming_both(tmp_path):
    (tmp_path / "more.toml").write_text('[tools.analyze_project]\nparams = []\n')
    project(tmp_path, config='catalogue = ["more.toml"]\n')
    with pytest.raises(ConfigError, match=r"aether-tools.toml:2.*already declared at .*"
                                          r"more.toml:1"):
        catalogue_of(tmp_path)


def test_a_tool_may_not_shadow_a_builtin(tmp_path):
    project(tmp_path, tools='[tools.search_memory]\nparams = ["q"]\n')
    with pytest.raises(ConfigError) as info:
        catalogue_of(tmp_path)
    msg = str(info.value)
    assert "aether-tools.toml:1" in msg and "[tools.search_memory]" in msg
    assert "shadows the builtin 'search_memory'" in msg


@pytest.mark.parametrize("text, key", [
    ("[tools.x\nparams = []\n", "not valid TOML"),
    ('[tools.x]\nparams = "path"\n', "'params'"),
    ('[tools.x]\nparams = ["a", "a?"]\n', "'params'"),
    ('[tools.x]\nrisk = "critical"\n', "'risk'"),
    ('[tools.x]\neffect = "network"\n', "'effect'"),
    ('[tools.x]\ncapabilities = ["Write Files"]\n', "'capabilities'"),
    ('[tools.x]\nidempotent = "yes"\n', "'idempotent'"),
    ('[tools.x]\nparms = []\n', "unknown key 'parms'"),
    ('[toolz.x]\nparams = []\n', "unknown key 'toolz'"),
    ("tools = 3\n", "'tools' must be a table"),
    ("[inputs]\nload = 3\n", "[inputs] 'load'"),
    ('[inputs]\nlog = "any"\n', "'log' is also a builtin"),
    ('[tools.if]\nparams = []\n', "[tools.if]"),
    ('[plugins.p]\nversion = "1"\n', "unknown key 'version'"),
    ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
    ("x = " + "9" * 5000 + "\n", "not valid TOML"),  # int() refuses it (was exit 27)
    ("\xff\xfe", "not UTF-8"),
])
def test_bad_catalogue_files_are_config_errors_with_file_and_key(tmp_path, text, key):
    project(tmp_path, tools=None)
    (tmp_path / "aether-tools.toml").write_bytes(text.encode("latin-1") if "\xff" in text
                                                 else text.encode("utf-8"))
    with pytest.raises(ConfigError) as info:
        catalogue_of(tmp_path)
    assert "aether-tools.toml" in str(info.value) and key in str(info.value)


@pytest.mark.parametrize("command", [["check"], ["fmt", "--check"], ["migrate"],
                                     ["tools", "list"]])
def test_commands_exit_26_on_a_bad_catalogue(tmp_path, command):
    project(tmp_path, tools='[tools.x]\nrisk = "critical"\n')
    (tmp_path / "a.aether").write_text('goal: "g"\nlog("x")\n')
    proc = run(*command, *(["a.aether"] if command[0] != "tools" else []), cwd=tmp_path)
    assert proc.returncode == 26, proc.stderr
    assert "aether-tools.toml:1" in proc.stderr and "'risk'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_named_by_the_catalogue_key(tmp_path):
    project(tmp_path, config='catalogue = ["nope.toml"]\n')
    with pytest.raises(ConfigError, match="nope.toml"):
        catalogue_of(tmp_path)


def test_every_builtin_effect_is_a_known_effect():
    assert {b.effect for b in load_catalogue().builtins.values()} <= set(EFFECTS)


# ------------------------------------------------------------------ validation

def test_declared_tools_check_clean_and_wrong_arity_is_ae303(tmp_path):
    cat = catalogue_of(project(tmp_path))
    ok = ('goal: "g"\nrequire:\n    plugins: ["sysmon"]\nr: analyze_project("/", 2)\n'
          's: sysmon.status()\nif system_load > 1:\n    log("busy")\n'
          'fn f():\n    return system_load\n')
    assert rules_of(ok, cat) == []
    bad = 'goal: "g"\nr: analyze_project("/", 2, 3)\nt: analyze_project()\n'
    assert [r[0] for r in rules_of(bad, cat)] == ["AE303", "AE303"]
    # without the catalogue the same names are unknown
    assert {r[0] for r in rules_of(ok, None)} == {"AE301", "AE302"}


def test_undeclared_near_miss_of_a_project_tool_gets_did_you_mean(tmp_path):
    cat = catalogue_of(project(tmp_path))
    found = rules_of('goal: "g"\nr: analyze_projct("/")\n', cat)
    assert found == [("AE301", 2, "did you mean 'analyze_project'?")]


def test_declared_plugin_offers_exactly_its_functions(tmp_path):
    cat = catalogue_of(project(tmp_path))
    text = ('goal: "g"\nrequire:\n    plugins: ["sysmon"]\na: sysmon.statu()\n'
            'b: sysmon.status(1, 2)\n')
    assert rules_of(text, cat) == [("AE301", 4, "did you mean 'sysmon.status'?"),
                                   ("AE303", 5, None)]
    # LANGUAGE.md section 4: a plugin member is callable only with the plugin in require:
    assert [r[0] for r in rules_of('goal: "g"\nb: sysmon.status()\n', cat)] == ["AE301"]


def test_cache_invalidates_when_the_catalogue_changes(tmp_path):
    project(tmp_path, tools='[tools.deploy]\nparams = []\n')
    for name in ("a", "b"):
        (tmp_path / f"{name}.aether").write_text('goal: "g"\ndeploy()\n')
    assert run("check", ".", cwd=tmp_path).returncode == 0
    (tmp_path / "aether-tools.toml").write_text('[tools.deploy]\nparams = ["target"]\n')
    proc = run("check", ".", cwd=tmp_path)
    assert proc.returncode == 25 and "AE303" in proc.stdout


# ------------------------------------------------------------------ infer

FLEET = {
    "flows/scan.aether": 'goal: "scan"\ns: discover_project_structure("/srv")\n'
                         't: discover_project_structure("/srv", depth=2)\n'
                         'expose_command("restart", "svc")\nif system_load > 0.5:\n'
                         '    log("busy")\n',
    "flows/more.aether": 'goal: "more"\nfn go(p):\n    return discover_project_structure(p)\n'
                         'x: go("/")\nz: analyze(confidence)\nexpose_command("a", "b")\n',
}
TYPOS = {
    "flows/typos.aether": 'goal: "typos"\ny: discover_project_structre("/")\n'
                          'r: search_memory_one("x")\nw: analyze_projct("/")\n',
}


def fleet(tmp_path, files):
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)


def test_infer_write_makes_the_fleet_check_clean_and_is_idempotent(tmp_path):
    project(tmp_path, tools=None)
    fleet(tmp_path, FLEET)
    assert run("check", "flows", cwd=tmp_path).returncode == 25
    dry = run("tools", "infer", "flows", cwd=tmp_path)
    assert dry.returncode == 0 and "[tools.discover_project_structure]" in dry.stdout
    assert not (tmp_path / "aether-tools.toml").exists()
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "aether-tools.toml").read_text()
    assert 'params = ["arg1", "depth?"]' in text and 'risk = "unreviewed"' in text
    assert "# 3 calls in 2 files; arity 1; keywords depth; first at flows/more.aether:3" \
        in text
    assert 'system_load = "any"' in text and 'confidence = "any"' in text
    check = run("check", "flows", cwd=tmp_path)
    assert check.returncode == 0, check.stdout
    before = (tmp_path / "aether-tools.toml").read_bytes()
    assert run("tools", "infer", "flows", "--write", cwd=tmp_path).returncode == 0
    assert (tmp_path / "aether-tools.toml").read_bytes() == before


def test_near_misses_stay_findings_with_did_you_mean(tmp_path):
    project(tmp_path, tools='[tools.analyze_project]\nparams = ["p"]\n')
    fleet(tmp_path, {**FLEET, **TYPOS})
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0
    for typo, near in (("discover_project_structre", "discover_project_structure"),
                       ("search_memory_one", "search_memory"),
                       ("analyze_projct", "analyze_project")):
        assert f"{typo} -> {near}?" in proc.stderr
        assert f"[tools.{typo}]" not in (tmp_path / "aether-tools.toml").read_text()
    check = run("check", "flows", "--format", "json", cwd=tmp_path)
    findings = [f for r in json.loads(check.stdout)["files"] for f in r["findings"]]
    assert sorted(f["rule"] for f in findings) == ["AE301"] * 3
    assert all("did you mean" in (f.get("hint") or "") for f in findings)


def test_opposites_and_the_fleets_own_words_are_no_typos():
    from aether.tooling.infer import near_miss

    # a prefix that makes a word its opposite: two names, not a slip
    assert not near_miss("get_inactive_plugins", "get_active_plugins")
    assert not near_miss("unlock_door", "lock_door")
    assert near_miss("get_actve_plugins", "get_active_plugins")
    # a word the fleet uses whole elsewhere is a word, not a slip
    assert near_miss("system_state", "system_status")
    assert not near_miss("system_state", "system_status", frozenset({"state"}))
    assert near_miss("analyze_projct", "analyze_project", frozenset({"analyze"}))
    # whole words of the fleet stuck to one end make a compound name, not a slip
    assert near_miss("start_background_reasoning", "background_reasoning")
    assert not near_miss("start_background_reasoning", "background_reasoning",
                         frozenset({"start", "background"}))
    assert not near_miss("background_reasoning_start", "background_reasoning",
                         frozenset({"start"}))
    assert near_miss("search_memory_one", "search_memory", frozenset({"search", "memory"}))


def test_infer_declares_a_fn_name_with_a_fleet_word_stuck_to_it(tmp_path):
    project(tmp_path, tools=None)
    fleet(tmp_path, {"flows/a.aether": 'goal: "a"\nfn background_reasoning():\n'
                                       '    return 1\nstart_background_reasoning()\n'
                                       'start_timer()\nsearch_memory_one("x")\n'})
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "aether-tools.toml").read_text()
    assert "[tools.start_background_reasoning]" in text
    assert "search_memory_one -> search_memory?" in proc.stderr
    assert "[tools.search_memory_one]" not in text


def test_infer_declares_a_name_whose_words_the_fleet_uses(tmp_path):
    project(tmp_path, tools='[tools.system_status]\nparams = []\n'
                            '[tools.get_active_plugins]\nparams = []\n')
    fleet(tmp_path, {"flows/a.aether": 'goal: "a"\nx: system_state(shadow=true)\n'
                                       'y: scan_system_state()\nz: get_inactive_plugins()\n'
                                       'w: system_statsu()\n'})
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "aether-tools.toml").read_text()
    for name in ("system_state", "scan_system_state", "get_inactive_plugins"):
        assert f"[tools.{name}]" in text
    assert "system_statsu -> system_status?" in proc.stderr
    assert "[tools.system_statsu]" not in text


def test_a_persons_comments_and_edits_survive(tmp_path):
    project(tmp_path, tools=None)
    fleet(tmp_path, FLEET)
    run("tools", "infer", "flows", "--write", cwd=tmp_path)
    path = tmp_path / "aether-tools.toml"
    edited = "# owned by the platform team\n" + path.read_text().replace(
        'risk = "unreviewed"', 'risk = "high"  # reviewed 2024-05', 1)
    path.write_text(edited)
    fleet(tmp_path, {"flows/new.aether": 'goal: "n"\nnotify_team(region)\n'})
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    assert text.startswith(edited.split("[inputs]")[0])  # everything before [inputs] kept
    assert 'risk = "high"  # reviewed 2024-05' in text
    assert "[tools.notify_team]" in text and text.count("[inputs]") == 1
    assert 'region = "any"' in text
    assert run("check", "flows", cwd=tmp_path).returncode == 0


def test_infer_refuses_a_layout_it_cannot_extend(tmp_path):
    project(tmp_path, tools='inputs = {old = "any"}\n')
    fleet(tmp_path, FLEET)
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 26 and "by hand" in proc.stderr
    assert (tmp_path / "aether-tools.toml").read_text() == 'inputs = {old = "any"}\n'


def test_inferred_params_accept_every_observed_call():
    from aether.tooling.infer import Evidence
    from aether.semantics.catalogue import Signature

    ev = Evidence("t", "tool", arities={1, 3}, keywords=["arg2", "mode"])
    sig = Signature.parse(ev.params())
    assert sig.check(1, []) is None and sig.check(3, ["mode"]) is None
    assert sig.check(1, ["arg2"]) is None


# ------------------------------------------------------------------ list / show

def test_list_filters_and_show(tmp_path):
    project(tmp_path)
    proc = run("tools", "list", "--risk", "medium", "--format", "json", cwd=tmp_path)
    rows = json.loads(proc.stdout)["entries"]
    assert "analyze_project" in {r["name"] for r in rows}
    assert all(r["risk"] == "medium" for r in rows)
    proc = run("tools", "list", "--effect", "observability", cwd=tmp_path)
    assert "sysmon.status" in proc.stdout and "analyze_project" not in proc.stdout
    show = run("tools", "show", "analyze_project", cwd=tmp_path)
    assert "declared in: aether-tools.toml:2" in show.stdout and "fs.read" in show.stdout
    missing = run("tools", "show", "analyze_projec", cwd=tmp_path)
    assert missing.returncode == 1 and "did you mean 'analyze_project'" in missing.stderr


# ------------------------------------------------------------------ manifest

def golden_outputs() -> dict[str, str]:
    """File name under tests/golden/manifest/ -> expected content (tools/update_golden.py)."""
    from click.testing import CliRunner

    from aether.cli.main import cli

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        out = {}
        for fmt, name in (("json", "examples.json"), ("text", "examples.txt")):
            result = CliRunner().invoke(cli, ["tools", "manifest", "workflows/examples",
                                              "--format", fmt])
            assert result.exit_code == 0, result.output
            out[name] = result.output
        return out
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("name", ["examples.json", "examples.txt"])
def test_manifest_golden(name):
    path = GOLDEN / name
    assert path.exists(), "missing golden: run tools/update_golden.py"
    assert golden_outputs()[name] == path.read_text(encoding="utf-8"), \
        "manifest changed: run tools/update_golden.py and review the diff"


def test_manifest_golden_shows_tools_reached_through_fns():
    doc = json.loads((GOLDEN / "examples.json").read_text(encoding="utf-8"))
    assert any(t["via"] for w in doc["workflows"] for t in w["tools"])


def test_manifest_follows_fns_transitively_and_lists_inputs(tmp_path):
    project(tmp_path)
    fleet(tmp_path, {"w.aether": 'goal: "g"\nfn outer():\n    return inner()\n'
                                 'fn inner():\n    return analyze_project(system_load)\n'
                                 'fn unused():\n    escalate_to("ops")\nx: outer()\n'})
    doc = json.loads(run("tools", "manifest", "w.aether", "--format", "json",
                         cwd=tmp_path).stdout)
    w = doc["workflows"][0]
    assert [(t["name"], t["via"]) for t in w["tools"]] == [("analyze_project", ["inner"])]
    assert w["inputs"] == [{"name": "system_load", "type": "float"}]
    assert w["max_risk"] == "medium" and w["capabilities"] == ["fs.read"]


def test_pool_workers_check_with_the_project_catalogue(tmp_path):
    project(tmp_path, tools='[tools.deploy]\nparams = ["target"]\n')
    for i in range(40):  # more than one batch of the runner, so workers do the checking
        (tmp_path / f"w{i}.aether").write_text('goal: "g"\ndeploy("prod")\n')
    proc = run("check", ".", "-j", "2", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_names_that_only_look_alike_are_declared_not_called_typos(tmp_path):
    # a loose did-you-mean (`agent` -> `get`, `create_file` -> `read_file`) or a sibling of
    # a more frequent name (`analyze_project_security` next to `analyze_project_files`,
    # `voice_2` next to `voice_1`) is a tool of its own: declared, so the fleet is clean
    project(tmp_path, tools=None)
    fleet(tmp_path, {"flows/a.aether": 'goal: "a"\nagent(true)\ncreate_file("x", "y")\n'
                                       'a: analyze_project_files("/")\n'
                                       'b: analyze_project_files("/")\n'
                                       'c: analyze_project_security("/")\n'
                                       'voice_1("x")\nvoice_1("y")\nvoice_2("z")\n'
                                       'filter_incomplete_tasks(1)\n'
                                       'filter_incomplete_tasks(2)\n'
                                       'filter_completed_tasks(3)\n'})
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "aether-tools.toml").read_text()
    for name in ("agent", "create_file", "analyze_project_security", "voice_2",
                 "filter_completed_tasks"):
        assert f"[tools.{name}]" in text
    assert run("check", "flows", cwd=tmp_path).returncode == 0


def test_typo_lookup_compares_a_bounded_number_of_names(monkeypatch):
    from aether.tooling import infer as I

    calls = []
    real = I.near_miss
    monkeypatch.setattr(I, "near_miss", lambda a, b, *w: calls.append(b) or real(a, b, *w))
    index = I.NameIndex()
    for i in range(3000):  # many names sharing their common parts
        index.add(f"analyze_project_part_{i:04d}")
    assert index.near("analyze_projetc_part_0017") == "analyze_project_part_0017"
    assert len(calls) <= 2 * I.NameIndex.LIMIT


def test_a_value_next_to_a_function_of_its_name_is_an_input_not_a_typo(tmp_path):
    # `when system_load > 0.8:` migrates to `fn on_system_load():` reading the host's
    # `system_load`: the checker's did-you-mean names the fn, but a value read is no slip
    # for a function's name; a value next to another value still is a typo
    project(tmp_path, tools=None)
    fleet(tmp_path, {"flows/a.aether": 'goal: "a"\nfn on_system_load():\n'
                                       '    if system_load > 0.8:\n        log("hot")\n'
                                       'threshold: 1\nlog(treshold)\n'})
    proc = run("tools", "infer", "flows", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "aether-tools.toml").read_text()
    assert 'system_load = "any"' in text
    assert "treshold" not in text.split("# Likely typos")[0]
    check = run("check", "flows", "--format", "json", cwd=tmp_path)
    findings = [f for r in json.loads(check.stdout)["files"] for f in r["findings"]]
    assert [(f["rule"], "treshold" in f["message"]) for f in findings] == [("AE302", True)]


def test_a_binding_only_table_binds_a_builtin_without_shadowing_it(tmp_path):
    project(tmp_path, tools='[tools.think]\npython = "mymodels:think"\nidempotent = true\n'
                            '[tools.notify]\ncompensate = "escalate_to"\n')
    cat = catalogue_of(tmp_path)
    think = cat.builtins["think"]
    assert think.bound("python") == "mymodels:think" and think.idempotent
    assert think.effect == "tool" and "think" not in cat.tools  # still the builtin
    assert cat.builtins["notify"].compensate == "escalate_to"


@pytest.mark.parametrize("tools, needle", [
    ('[tools.think]\npython = "m:f"\nrisk = "low"\n', "shadows the builtin 'think'"),
    ('[tools.think]\n', "shadows the builtin 'think'"),
    ('[tools.remember]\npython = "m:f"\n', 'effect "memory"'),
    ('[tools.log]\ncommand = ["x"]\n', 'effect "observability"'),
    ('[tools.x]\nmcp = "server/tool"\n', "'mcp' must be a table"),
    ('[tools.x]\nmcp = { tool = "t" }\n', "'mcp' must be a table"),
    ('[tools.x]\ncommand = "prog arg"\n', "'command' must be a non-empty list"),
    ('[tools.think]\npython = "a:b"\n[tools.think2]\nparams = []\n', None),
])
def test_binding_tables_for_builtins_are_checked(tmp_path, tools, needle):
    project(tmp_path, tools=tools)
    if needle is None:
        catalogue_of(tmp_path)
        return
    with pytest.raises(ConfigError, match=re.escape(needle)):
        catalogue_of(tmp_path)


@pytest.mark.parametrize("command", [("infer",), ("infer", "--write"), ("manifest",),
                                     ("manifest", "--format", "json")])
def test_infer_and_manifest_report_a_path_they_cannot_read(tmp_path, command):
    # a missing path or a FIFO used to give "0 files" and exit 0: a typo in CI passed
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / "a.aether").write_text('goal: "x"\nfetch_data(1)\n')
    os.mkfifo(tmp_path / "pipe.aether")
    proc = run("tools", *command, "a.aether", "nosuch.aether", "pipe.aether", cwd=tmp_path)
    assert proc.returncode == 26, proc.stderr
    assert "nosuch.aether: no such file" in proc.stderr
    assert "pipe.aether: pipe.aether is not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr
    if "--write" in command:  # what could be read is still added
        assert "fetch_data" in (tmp_path / "aether-tools.toml").read_text()
