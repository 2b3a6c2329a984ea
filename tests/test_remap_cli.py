"""A migration does not churn baselines or suppression lists: `gate --remap`, `suppressions remap`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def aether(*args, cwd):
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          text=True, cwd=cwd, env=dict(os.environ, NO_COLOR="1"))


def test_migration_remap_keeps_gate_and_list_stable(tmp_path):
    (tmp_path / "aether.toml").write_text("")
    flow = tmp_path / "flow.aether"
    # the unknown call survives migration, but its line is rewritten (`=` becomes `:`),
    # so its fingerprint changes and only the remap connects old and new
    flow.write_text('goal: "g"\ntotal = summarise(1)\n')
    assert aether("baseline", ".", "-o", "ref.json", cwd=tmp_path).returncode == 0
    ref = json.loads((tmp_path / "ref.json").read_text())
    old_fp = next(f["fingerprint"] for f in ref["files"][0]["findings"] if f["rule"] == "AE301")
    (tmp_path / ".aether").mkdir()
    (tmp_path / ".aether" / "suppressions.txt").write_text(f"{old_fp}  owner=ops\n")

    migrated = aether("migrate", ".", "--apply", "--json", "m.json", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "total: summarise(1)" in flow.read_text()

    assert aether("baseline", ".", "-o", "new.json", "--no-suppressions",
                  cwd=tmp_path).returncode == 0
    new = json.loads((tmp_path / "new.json").read_text())
    new_fp = next(f["fingerprint"] for f in new["files"][0]["findings"] if f["rule"] == "AE301")
    remap = json.loads((tmp_path / "m.json").read_text())["fingerprint_remap"]
    assert new_fp != old_fp and remap.get(old_fp) == new_fp
    # without the remap the migrated finding looks new; with it the gate passes
    plain = aether("gate", "--new", "new.json", "--ref", "ref.json", "--no-suppressions",
                   cwd=tmp_path)
    assert plain.returncode == 1
    remapped = aether("gate", "--new", "new.json", "--ref", "ref.json", "--no-suppressions",
                      "--remap", "m.json", cwd=tmp_path)
    assert remapped.returncode == 0, remapped.stdout
    # the suppression list follows the rename
    out = aether("suppressions", "remap", "m.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / ".aether" / "suppressions.txt").read_text()
    assert text == f"{new_fp}  owner=ops\n"



@pytest.mark.parametrize("table, named", [
    ({"1111111111111111": None}, "null"),
    ({"1111111111111111": ["x y"]}, "list"),
    ({"1111111111111111": "2222222222222222", "3333333333333333": 5}, "5"),
    ({"1111111111111111": "not hex at all!!"}, "not hex"),
    ({"nothex": "2222222222222222"}, "nothex"),
])
def test_remap_is_validated_before_anything_is_written(tmp_path, table, named):
    (tmp_path / "aether.toml").write_text("")
    (tmp_path / ".aether").mkdir()
    lst = tmp_path / ".aether" / "suppressions.txt"
    lst.write_text("1111111111111111  owner=ops\n3333333333333333\n")
    before = lst.read_bytes()
    (tmp_path / "m.json").write_text(json.dumps({"fingerprint_remap": table}))
    out = aether("suppressions", "remap", "m.json", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert "m.json" in out.stderr and named in out.stderr
    assert "nothing was changed" in out.stderr
    assert lst.read_bytes() == before
    # the list is still usable by every later command
    assert aether("suppressions", "list", cwd=tmp_path).returncode == 0
    # and the gate refuses the same remap
    assert aether("baseline", ".", "-o", "b.json", cwd=tmp_path).returncode == 0
    gate = aether("gate", "--new", "b.json", "--ref", "b.json", "--remap", "m.json",
                  cwd=tmp_path)
    assert gate.returncode == 2 and "m.json" in gate.stderr
