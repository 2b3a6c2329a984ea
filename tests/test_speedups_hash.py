"""A compiled parse loop built from other sources than the package's is not run: the build
embeds the hash of _speedups.c and _tables.py (aether/syntax/speedups_source.py), the
package carries its own (aether/syntax/_speedups_hash.py), and lalr compares them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aether.syntax import lalr
from aether.syntax._speedups_hash import SPEEDUPS_SOURCE
from aether.syntax.speedups_source import source_hash

ROOT = Path(__file__).resolve().parent.parent
SYNTAX = ROOT / "aether" / "syntax"


def test_the_package_carries_the_hash_of_its_own_sources():
    # fails after an edit of _speedups.c or new tables until tools/gen_speedups_hash.py
    # is run: the hash an extension built from them would carry
    assert SPEEDUPS_SOURCE == source_hash(str(SYNTAX))
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_speedups_hash.py"),
                           "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_the_hash_covers_the_c_source_and_the_tables(tmp_path):
    for name in ("_speedups.c", "_tables.py"):
        shutil.copy(SYNTAX / name, tmp_path / name)
    base = source_hash(str(tmp_path))
    assert base == SPEEDUPS_SOURCE
    for name in ("_speedups.c", "_tables.py"):
        original = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(original + b"\n")
        assert source_hash(str(tmp_path)) != base, name
        (tmp_path / name).write_bytes(original.replace(b"\n", b"\r\n"))  # a CRLF checkout
        assert source_hash(str(tmp_path)) == base, name
        (tmp_path / name).write_bytes(original)


def test_the_generator_writes_atomically_and_never_through_a_link(tmp_path, monkeypatch):
    # it wrote a fixed `.py.tmp` name and os.replace'd it, beside aether/fileio.py
    import importlib.util

    from aether.fileio import WriteError

    spec = importlib.util.spec_from_file_location(
        "gen_speedups_hash", ROOT / "tools" / "gen_speedups_hash.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    target = tmp_path / "real.py"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "_speedups_hash.py"
    link.symlink_to(target)
    monkeypatch.setattr(gen, "OUT", link)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    with pytest.raises(WriteError):
        gen.main([])
    assert target.read_text(encoding="utf-8") == "old\n"
    link.unlink()
    assert gen.main([]) == 0
    assert link.read_text(encoding="utf-8") == gen.render(source_hash(str(SYNTAX)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_speedups_hash.py", "real.py"]


_PROBE = """
import sys, types
fake = types.ModuleType("aether.syntax._speedups")
fake.SOURCE_HASH = {hash!r}
fake.Tok = type("Tok", (), {{}})
sys.modules["aether.syntax._speedups"] = fake
import aether.syntax.lalr as lalr
print(lalr.COMPILED, lalr._speedups is fake, lalr.Tok.__module__)
"""


def _import_with(hash_value):
    env = {k: v for k, v in os.environ.items() if k != "AETHER_PURE_PYTHON"}
    return subprocess.run([sys.executable, "-c", _PROBE.format(hash=hash_value)],
                          capture_output=True, text=True, env=env, check=True)


@pytest.mark.parametrize("stale", ["0" * 64, None, ""])
def test_a_stale_extension_falls_back_to_python_with_one_warning(stale):
    done = _import_with(stale)
    assert done.stdout.split() == ["False", "False", "aether.syntax.lalr"]
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "built from other sources" in lines[0], done.stderr
    assert "reinstall" in lines[0]


def test_an_extension_of_these_sources_is_used_without_a_word():
    done = _import_with(SPEEDUPS_SOURCE)
    assert done.stdout.split()[:2] == ["True", "True"] and done.stderr == ""


def test_the_installed_extension_if_any_is_of_these_sources():
    if lalr._speedups is None:
        pytest.skip("no compiled parser in this install")
    assert lalr._speedups.SOURCE_HASH == SPEEDUPS_SOURCE


def _load_build_hook(monkeypatch):
    """hatch_build.py loaded without hatchling (its hook interface: a plain object)."""
    import importlib.util
    import types

    # hatch_build imports hatchling's hook interface, which only the build has
    for name in ("hatchling", "hatchling.builders", "hatchling.builders.hooks",
                 "hatchling.builders.hooks.plugin"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    iface = types.ModuleType("hatchling.builders.hooks.plugin.interface")
    iface.BuildHookInterface = object
    monkeypatch.setitem(sys.modules, iface.__name__, iface)
    monkeypatch.delenv("AETHER_NO_COMPILE", raising=False)
    spec = importlib.util.spec_from_file_location("hatch_build_under_test",
                                                  ROOT / "hatch_build.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


@pytest.mark.skipif(not any(shutil.which(c) for c in ("cc", "gcc", "clang")),
                    reason="no C compiler")
def test_the_build_embeds_the_hash_of_the_sources_it_compiles(tmp_path, monkeypatch):
    hook = _load_build_hook(monkeypatch)
    built = hook.compile_speedups(ROOT, tmp_path)
    assert built is not None
    code = ("import importlib.util, sys; "
            f"s = importlib.util.spec_from_file_location('_speedups', {str(built)!r}); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); "
            "print(m.SOURCE_HASH)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == SPEEDUPS_SOURCE


@pytest.mark.skipif(not any(shutil.which(c) for c in ("cc", "gcc", "clang")),
                    reason="no C compiler")
def test_a_wheel_build_removes_its_compile_folder_when_done(monkeypatch):
    # the folder of the compiled extension was left in the temporary directory
    module = _load_build_hook(monkeypatch)
    hook = module.SpeedupsBuildHook()
    hook.target_name, hook.root = "wheel", str(ROOT)
    build_data = {"force_include": {}}
    hook.initialize("standard", build_data)
    [built] = build_data["force_include"]
    assert Path(built).is_file()
    hook.finalize("standard", build_data, "aether.whl")
    assert not Path(built).parent.exists()
