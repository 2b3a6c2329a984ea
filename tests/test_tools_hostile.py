"""Hostile input to the project tool catalogue and `aether tools` (issue 10, items 1, 2, 4):
odd files where aether-tools.toml should be, names that only look valid, parameter lists
the checker would misread, and the like. Each ends in one message and a status of the
fixed table, never a traceback."""

from __future__ import annotations

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
