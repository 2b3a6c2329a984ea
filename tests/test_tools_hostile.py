"""Hostile input to the project tool catalogue and `aether tools` (issue 10, items 1, 2, 4):
odd files where aether-tools.toml should be, names that only look valid, parameter lists
the checker would misread, and the like. Each ends in one message and a status of the
fixed table, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aether.config import ConfigError, load_config
from aether.semantics.catalogue import load_catalogue
from aether.semantics.project import load_project_catalogue


def run(*args, cwd):
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def project(tmp_path, tools=None, config=""):
    (tmp_path / "aether.toml").write_text(config)
    if tools is not None:
        (tmp_path / "aether-tools.toml").write_text(tools)
    return tmp_path


def load(root):
    return load_project_catalogue(load_config(str(root)))


def error_of(root) -> str:
    with pytest.raises(ConfigError) as info:
        load(root)
    return str(info.value)


# ------------------------------------------------------------------ what is at the name

@pytest.mark.parametrize("kind, needle", [
    ("fifo", "FIFO"), ("dir", "directory"), ("dangling", "symbolic link to"),
    ("loop", "symbolic link loop"),
])
def test_anything_named_aether_tools_toml_is_read_or_refused_never_skipped(tmp_path, kind,
                                                                            needle):
    # skipping it would check the fleet against the builtins alone, in silence
    project(tmp_path)
    target = tmp_path / "aether-tools.toml"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dir":
        target.mkdir()
    elif kind == "dangling":
        target.symlink_to(tmp_path / "gone.toml")
    else:
        target.symlink_to(target)
    msg = error_of(tmp_path)
    assert "aether-tools.toml" in msg and needle in msg


@pytest.mark.parametrize("form", [["check"], ["--check"]])
def test_a_fifo_catalogue_is_status_26_on_both_check_paths(tmp_path, form):
    project(tmp_path)
    os.mkfifo(tmp_path / "aether-tools.toml")
    (tmp_path / "a.aether").write_text('goal: "g"\nlog("x")\n')
    proc = run(*form, "a.aether", cwd=tmp_path)
    assert proc.returncode == 26 and "FIFO" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("entry, needle", [
    ('"a\\u0000b"', "NUL"), ('""', "empty file name"), ('"  "', "empty file name"),
    ('"nope.toml"', "does not exist"),
])
def test_a_bad_catalogue_key_entry_names_the_configuration_and_the_key(tmp_path, entry,
                                                                       needle):
    project(tmp_path, config=f"catalogue = [{entry}]\n")
    msg = error_of(tmp_path)
    assert "aether.toml" in msg and "'catalogue'" in msg and needle in msg


def test_a_file_named_twice_or_also_the_default_is_read_once(tmp_path):
    project(tmp_path, tools='[tools.deploy]\n',
            config='catalogue = ["aether-tools.toml", "./aether-tools.toml"]\n')
    assert "deploy" in load(tmp_path).tools


# ------------------------------------------------------------------ names

@pytest.mark.parametrize("text, needle", [
    ('[tools."deploy\\n"]\n', "'deploy\\n'"),  # `$` matches before a final newline
    ('[tools.x]\nparams = ["a\\n"]\n', "'params'"),
    ('[tools.x]\ncapabilities = ["fs.read\\n"]\n', "'capabilities'"),
    ('[inputs]\n"load\\n" = "any"\n', "'load\\n'"),
    ('[inputs]\nload = "str\\n"\n', "[inputs] 'load'"),
    ('[plugins."p\\n".functions.f]\n', "'p\\n'"),
    ('[tools."lоg"]\n', "U+043E"),  # Cyrillic o: a look-alike of the builtin log
    ('[tools."9x"]\n', "starts with a letter"),
    ('[plugins.if]\n', "reserved word"),
])
def test_names_that_only_look_valid_are_refused_on_one_line(tmp_path, text, needle):
    project(tmp_path, tools=text)
    msg = error_of(tmp_path)
    assert needle in msg and "\n" not in msg, msg


@pytest.mark.parametrize("text, needle", [
    ("[tools.Log]\n", "the builtin 'log'"),
    ("[tools.SEARCH_MEMORY]\n", "the builtin 'search_memory'"),
    ("[tools.Deploy]\n[tools.deploy]\n", "the tool 'Deploy'"),
    ('[tools.deploy]\n[inputs]\nDeploy = "any"\n', "the tool 'deploy'"),
    ('[inputs]\nLoad = "any"\nload = "any"\n', "the input 'Load'"),
])
def test_names_differing_only_in_case_from_another_are_refused(tmp_path, text, needle):
    project(tmp_path, tools=text)
    msg = error_of(tmp_path)
    assert "differs only in case" in msg and needle in msg


def test_an_input_may_not_share_a_plugins_name(tmp_path):
    project(tmp_path, tools='[plugins.sysmon.functions.status]\n[inputs]\nsysmon = "any"\n')
    assert "'sysmon' is also a plugin" in error_of(tmp_path)


# ------------------------------------------------------------------ params and types

@pytest.mark.parametrize("params, needle", [
    ('["a?", "b"]', "required parameter 'b' follows the optional 'a?'"),
    ('["*a", "k?", "k2"]', "required parameter 'k2'"),
    ('["*a", "*b"]', "at most one"),
    ('["**kw", "x"]', "must be the last"),
    ('["**a", "**b"]', "must be the last"),
])
def test_parameter_lists_the_checker_would_misread_are_refused(tmp_path, params, needle):
    # ["a?", "b"] was read as two required parameters: the declared optional one was not
    project(tmp_path, tools=f"[tools.x]\nparams = {params}\n")
    msg = error_of(tmp_path)
    assert "[tools.x] 'params'" in msg and needle in msg


def test_every_builtin_signature_keeps_the_parameter_rules():
    from aether.semantics.project import _params_order

    for b in load_catalogue().builtins.values():
        assert _params_order(list(b.params)) is None, b.name


def test_absurd_arities_load_and_check(tmp_path):
    params = ", ".join(f'"p{i}"' for i in range(5000))
    project(tmp_path, tools=f"[tools.wide]\nparams = [{params}]\n")
    cat = load(tmp_path)
    assert cat.tools["wide"].signature.required == 5000
    assert cat.tools["wide"].signature.check(1, []).rule == "AE303"


@pytest.mark.parametrize("kind, ok", [
    ("any", True), ("list[str]", True), ("Dict[Str, List[Int]]", True), (" a [ b ] ", True),
    ("list[]", False), ("list[,]", False), ("a[b", False), ("a]", False), ("[a]", False),
    ("List[a][b]", False), ("a b", False), ("a[b,]", False), ("", False), ("a\n", False),
    ("x" + "[x" * 50_000 + "]" * 50_000, True), ("x" + "[x" * 50_000, False),
])
def test_input_types_have_the_shape_of_a_type_hint(kind, ok):
    from aether.semantics.project import _is_type

    assert _is_type(kind) is ok


# ------------------------------------------------------------------ infer --write

FLEET = {"a.aether": 'goal: "a"\ns: discover_structure("/srv")\nexpose_command("x", "y")\n'
                     'if system_load > 0.5:\n    log("busy")\n'}


def fleet(tmp_path, files=FLEET):
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)


def test_write_keeps_crlf_and_a_bom_and_stays_idempotent(tmp_path):
    project(tmp_path)
    fleet(tmp_path)
    path = tmp_path / "aether-tools.toml"
    path.write_bytes(b"\xef\xbb\xbf# ours\r\n[tools.keep]\r\nparams = []\r\n\r\n[inputs]\r\n"
                     b"old = \"any\"\r\n")
    proc = run("tools", "infer", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# ours\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")  # no bare LF mixed in
    assert b'system_load = "any"' in data and b"[tools.discover_structure]" in data
    assert run("check", ".", cwd=tmp_path).returncode == 0  # a BOM is no TOML error
    assert run("tools", "infer", ".", "--write", cwd=tmp_path).returncode == 0
    assert path.read_bytes() == data


def test_names_differing_only_in_case_are_not_both_proposed(tmp_path):
    # the catalogue refuses such a pair: writing both made the whole --write fail
    project(tmp_path)
    fleet(tmp_path, {"a.aether": 'goal: "g"\ndeploy_now(1)\ndeploy_now(2)\n'
                                 'x: Deploy_now\nLOG("x")\n'})
    proc = run("tools", "infer", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Deploy_now -> deploy_now?" in proc.stderr and "LOG -> log?" in proc.stderr
    assert "Deploy_now" not in (tmp_path / "aether-tools.toml").read_text()


def _proposal(tmp_path):
    from aether.checker import CheckOptions
    from aether.tooling.infer import infer
    from aether.walk import iter_files

    return infer(list(iter_files([str(tmp_path)], (), str(tmp_path))), CheckOptions())


def test_a_change_on_disk_between_read_and_write_is_merged_not_lost(tmp_path, monkeypatch):
    from aether.tooling import infer as mod

    project(tmp_path, tools="[tools.seed]\n")
    fleet(tmp_path)
    proposal = _proposal(tmp_path)
    path = tmp_path / "aether-tools.toml"
    real = mod.merge_into
    edits = []

    def merge_while_someone_edits(existing, p, target):
        if not edits:  # an editor (or another run) saves the file meanwhile, once
            edits.append(1)
            path.write_text(path.read_text() + "\n[tools.added_meanwhile]\n")
        return real(existing, p, target)

    monkeypatch.setattr(mod, "merge_into", merge_while_someone_edits)
    added = mod.write_proposal(str(path), proposal)
    text = path.read_text()
    assert "[tools.added_meanwhile]" in text and "[tools.discover_structure]" in text
    assert [e.name for e in added.tools] == ["discover_structure", "expose_command"]


def test_what_another_run_declared_meanwhile_is_not_declared_twice(tmp_path):
    from aether.tooling.infer import write_proposal

    project(tmp_path)
    fleet(tmp_path)
    proposal = _proposal(tmp_path)  # both runs computed this before either wrote
    path = str(tmp_path / "aether-tools.toml")
    first = write_proposal(path, proposal)
    second = write_proposal(path, proposal)
    assert first.tools and not second.tools and not second.inputs
    assert load(tmp_path).tools.keys() == {"discover_structure", "expose_command"}


def test_runs_at_the_same_time_take_turns_on_the_file(tmp_path):
    import threading

    from aether.fileio import lock_file
    from aether.tooling.infer import write_proposal

    project(tmp_path, tools="[tools.seed]\n")
    fleet(tmp_path)
    proposal = _proposal(tmp_path)
    path = tmp_path / "aether-tools.toml"
    held = lock_file(str(path))  # another run is between its read and its write
    assert held is not None
    done = threading.Thread(target=write_proposal, args=(str(path), proposal))
    done.start()
    done.join(1.0)
    try:
        assert done.is_alive()  # it waits for the lock instead of writing over the file
        tmp = tmp_path / "other.tmp"
        tmp.write_text(path.read_text() + "\n[tools.other_run]\n")
        os.replace(tmp, path)  # the other run's write: a new file at the name
    finally:
        os.close(held)
    done.join()
    text = path.read_text()
    assert "[tools.other_run]" in text and "[tools.discover_structure]" in text


@pytest.mark.parametrize("jobs", [6])
def test_concurrent_infer_write_runs_lose_no_entry(tmp_path, jobs):
    project(tmp_path, tools="[tools.seed]\n")
    for i in range(jobs):
        (tmp_path / f"f{i}.aether").write_text(
            f'goal: "g"\nx: tool_{"abcdefgh"[i] * 4}_made(1)\n')
    env = dict(os.environ, NO_COLOR="1")
    procs = [subprocess.Popen([sys.executable, "-m", "aether", "tools", "infer", f"f{i}.aether",
                               "--write"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for i in range(jobs)]
    assert all(p.wait() == 0 for p in procs), [p.stderr.read() for p in procs]
    assert run("check", ".", cwd=tmp_path).returncode == 0
    assert len(load(tmp_path).tools) == jobs + 1


# ------------------------------------------------------------------ scale

def test_a_files_check_costs_what_it_holds_not_what_the_catalogue_holds(tmp_path,
                                                                         monkeypatch):
    # each file filed every catalogue name for its did-you-mean: 10,000 files against a
    # catalogue of 7,000 names took 160 s instead of 5
    from aether.checker import CheckOptions, check_text
    from aether.semantics import suggest

    tools = "".join(f"[tools.tool_number_{i}]\n" for i in range(2000))
    inputs = "".join(f'value_number_{i} = "any"\n' for i in range(1000))
    project(tmp_path, tools=tools + "[inputs]\n" + inputs)
    options = CheckOptions(catalogue=load(tmp_path))
    filed = []
    real_add = suggest.NameIndex.add
    monkeypatch.setattr(suggest.NameIndex, "add", lambda self, n: filed.append(n) or
                        real_add(self, n))
    for i in range(20):
        result = check_text(f'goal: "g"\nx: tool_numbr_{i}(value_number_{i})\ny: valu_number_1\n',
                            f"f{i}.aether", options)
        assert {f.rule for f in result.findings} == {"AE301", "AE302"}
    hints = [f.hint for f in result.findings]
    assert "did you mean 'tool_number_19'?" in hints and "did you mean 'value_number_1'?" in hints
    assert len(filed) < 3000 + 20 * 10


@pytest.mark.parametrize("header", ['["inputs"]', "[ 'inputs' ]", "[inputs]   # host values",
                                    "  [inputs]"])
def test_new_inputs_go_into_the_real_inputs_table_however_written(tmp_path, header):
    # a summary holding the line "[inputs]" is text, not the table (the inputs went into
    # the string's table, and the write failed); a quoted header was not found at all
    project(tmp_path, tools=f'[tools.keep]\nsummary = """\n[inputs]\n"""\n{header}\n'
                            'confidence = "float"\n\n# the end\n')
    fleet(tmp_path)
    proc = run("tools", "infer", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cat = load(tmp_path)
    assert set(cat.inputs) == {"confidence", "system_load"}
    assert cat.tools["keep"].summary == "[inputs]\n"
    text = (tmp_path / "aether-tools.toml").read_text()
    assert text.index("system_load") < text.index("# the end")


def test_lines_inside_multi_line_strings_are_no_headers():
    from aether.semantics.project import code_lines

    text = ('a = """\n[inputs]\nx"""\n[t]\nb = "q\\" \\"\\"\\"" # """\n[u]\n'
            "c = '''\n[x]\n''''\n[v]\nf = \"\"\"a\\\n\"\"\"\n[z]\n")
    import tomllib

    tomllib.loads(text)  # the sample is TOML
    headers = [line for line, code in zip(text.split("\n"), code_lines(text))
               if code and line.startswith("[")]
    assert headers == ["[t]", "[u]", "[v]", "[z]"]


# ------------------------------------------------------------------ manifest

def _manifest(tmp_path, text, tools='[tools.deploy]\nrisk = "high"\n'):
    from aether.tooling.manifest import workflow_manifest

    project(tmp_path, tools=tools)
    return workflow_manifest(text, "w.aether", load(tmp_path))


def test_a_fn_or_tool_passed_as_a_value_is_reached(tmp_path):
    # map(xs, f) calls f, which deploys: the manifest said "no tools (pure computation)"
    doc = _manifest(tmp_path, 'goal: "g"\nfn f(x):\n    deploy()\n    return x\n'
                              'ys: map([1, 2], f)\nzs: map([1], notify)\n')
    rows = {r["name"]: r for r in doc["tools"]}
    assert rows["deploy"]["via"] == ["f"] and doc["max_risk"] == "high"
    assert "notify" in rows and rows["notify"]["direct"]


def test_a_variable_named_like_a_builtin_is_not_the_builtin(tmp_path):
    doc = _manifest(tmp_path, 'goal: "g"\nlog: "x"\nys: map([1], log)\n'
                              'fn q(store):\n    return store\nz: q(1)\n')
    assert doc["tools"] == []


def test_recursion_terminates_and_reaches_through_every_fn(tmp_path):
    doc = _manifest(tmp_path, 'goal: "g"\nfn a(n):\n    if n > 0:\n        return a(n - 1)\n'
                              '    return b(n)\nfn b(n):\n    deploy()\n    return a(n)\n'
                              'fn c():\n    return c()\nx: a(3)\ny: c()\n')
    assert [(r["name"], r["via"], r["direct"]) for r in doc["tools"]] == [
        ("deploy", ["b"], False)]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_chain_of_thousands_of_fns_is_followed_to_its_end(tmp_path, fmt):
    n = 5000
    body = "".join(f"fn f{i}():\n    return f{i + 1}()\n" for i in range(n))
    (tmp_path / "chain.aether").write_text(f'goal: "g"\n{body}fn f{n}():\n    deploy()\n'
                                           "x: f0()\n")
    project(tmp_path, tools='[tools.deploy]\nrisk = "high"\n')
    proc = run("tools", "manifest", "chain.aether", "--format", fmt, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert f"via f{n}" in proc.stdout if fmt == "text" else \
        json.loads(proc.stdout)["workflows"][0]["tools"][0]["via"] == [f"f{n}"]


def test_a_plugin_function_passed_as_a_value_is_reached(tmp_path):
    doc = _manifest(tmp_path, 'goal: "g"\nrequire:\n    plugins: ["sysmon"]\n'
                              'cfg: {"a": 1}\nys: map([1], sysmon.restart)\nz: cfg.a\n',
                    tools='[plugins.sysmon.functions.restart]\nrisk = "high"\n')
    assert [(r["name"], r["risk"]) for r in doc["tools"]] == [("sysmon.restart", "high")]


# ------------------------------------------------------------------ what is printed

def test_a_file_name_with_control_characters_keeps_the_written_catalogue_toml(tmp_path):
    # the evidence comment quoted the name raw: an escape or CR in a comment is no TOML,
    # so --write failed ("add them by hand")
    project(tmp_path)
    (tmp_path / "a\x1b[31m\rb.aether").write_text('goal: "g"\nnew_tool(1)\n')
    proc = run("tools", "infer", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "new_tool" in load(tmp_path).tools
    assert "\x1b" not in proc.stderr


def test_show_and_manifest_do_not_hand_escape_sequences_to_the_terminal(tmp_path):
    project(tmp_path, tools='[tools.deploy]\nsummary = "two\\nlines \\u001b[2J"\n')
    (tmp_path / "x\x1b[2J.aether").write_text('goal: "g"\ndeploy()\n')
    shown = run("tools", "show", "deploy", cwd=tmp_path)
    assert "\x1b" not in shown.stdout and "           lines \u241b[2J" in shown.stdout
    manifest = run("tools", "manifest", ".", cwd=tmp_path)
    assert manifest.returncode == 0 and "\x1b" not in manifest.stdout
    unknown = run("tools", "show", "a\nb\x1b" + "x" * 500, cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert "\x1b" not in unknown.stderr and "(504 characters)" in unknown.stderr


def test_cache_key_follows_a_catalogue_named_by_the_configuration(tmp_path):
    project(tmp_path, config='catalogue = ["shared/tools.toml"]\n')
    (tmp_path / "shared").mkdir()
    shared = tmp_path / "shared" / "tools.toml"
    shared.write_text('[tools.deploy]\nparams = ["target"]\n')
    for name in ("a", "b"):  # two files: one file is never cached
        (tmp_path / f"{name}.aether").write_text('goal: "g"\ndeploy("x")\n')
    assert run("check", ".", cwd=tmp_path).returncode == 0
    shared.write_text("[tools.deploy]\nparams = []\n")
    proc = run("check", ".", cwd=tmp_path)
    assert proc.returncode == 25 and proc.stdout.count("AE303") == 2


def test_a_catalogue_file_includes_no_other(tmp_path):
    # no include mechanism, hence no cycle: `catalogue` belongs to the configuration
    project(tmp_path, tools='catalogue = ["aether-tools.toml"]\n')
    assert "unknown key 'catalogue'" in error_of(tmp_path)


def test_a_declared_plugin_read_as_a_value_is_not_proposed_as_an_input(tmp_path):
    # the catalogue refuses an input named like a plugin: proposing it failed the write
    project(tmp_path, tools="[plugins.sysmon.functions.status]\n")
    fleet(tmp_path, {"a.aether": 'goal: "g"\nx: sysmon\ny: other_value\n'})
    proc = run("tools", "infer", ".", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert set(load(tmp_path).inputs) == {"other_value"}


@pytest.mark.parametrize("src", ['goal: "g"\nfn a(:\n', 'goal: "g"\nx: (1 + )\nlog(x)\n',
                                 'goal: "g"\nif x >\n    log(1)\n'])
def test_a_syntax_error_is_no_undeclared_name_of_the_manifest(tmp_path, src):
    # the parser's stand-in for what it could not read was listed as undeclared (and
    # counted in "undeclared names: N (`aether tools infer` proposes entries)")
    doc = _manifest(tmp_path, src)
    assert doc["parse_errors"] and not any("recovered" in n for n in doc["undeclared"])


@pytest.mark.parametrize("text", [
    '[tools.foo]\nparams = ["x"]\n[plugins.foo.functions.f]\nparams = []\n',
    '[plugins.foo.functions.f]\nparams = []\n[tools.foo]\nparams = ["x"]\n',
])
def test_a_plugin_may_not_share_a_tools_name(tmp_path, text):
    # `z: foo` was the tool to the manifest and the plugin at run time
    project(tmp_path, tools=text)
    message = error_of(tmp_path)
    assert "aether-tools.toml:" in message and "[plugins.foo]" in message and \
        "tool 'foo'" in message
