"""`aether migrate` and the result cache `aether check` writes.

The check before a migration is the result ``aether check`` stores for the file's bytes
(same options: every rule, inline suppressions, the project root and catalogue), so a
migrate after a check takes it from the cache; migrate stores what it computes (the check
before, and after ``--apply`` the check of the new bytes). Outcomes and the JSON report
must be the same with and without the cache, whatever the cache holds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import aether.checker as checker
from aether.config import load_config
from aether.migrate.engine import MigrateOptions, check_options
from aether.migrate.run import iter_pairs, migrate_files, open_migrate_cache
from aether.runner import RunStats, check_files, open_cache
from aether.walk import list_files

GOLDEN = Path(__file__).resolve().parent / "migrate_golden"


def _project(tmp_path: Path) -> Path:
    """A project of legacy files (the golden inputs), a clean one, one that only needs
    whitespace, one with an inline suppression, one that cannot be converted, and one
    with CRLF line ends and a BOM."""
    root = tmp_path / "proj"
    (root / "wf").mkdir(parents=True)
    (root / "aether.toml").write_text("")
    for case in sorted(GOLDEN.iterdir()):
        if (case / "before.aether").exists():
            shutil.copy(case / "before.aether", root / "wf" / f"{case.name}.aether")
    (root / "clean.aether").write_text('goal: "fine"\nlog("x")\n')
    (root / "spaces.aether").write_text('goal: "fine"  \nlog("x")\t\n')
    (root / "sup.aether").write_text(
        'intent: "x"\nlog(undefined_name)  # aether: ignore[AE302]\nif a > 1\n    log(a)\nend\n')
    (root / "js.aether").write_text('intent: "x"\nlet d = new Date()\n')
    (root / "crlf.aether").write_bytes(b'\xef\xbb\xbfintent: "x"\r\nif a > 1\r\n'
                                       b'    log(a)\r\nend\r\n')
    return root


def _aether(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aether", *args], cwd=cwd,
                          capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))


def _report(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("timestamp", None)
    data.get("summary", {}).pop("timestamp", None)
    return data


def _without_timestamps(data):
    if isinstance(data, dict):
        return {k: _without_timestamps(v) for k, v in data.items() if k != "timestamp"}
    if isinstance(data, list):
        return [_without_timestamps(v) for v in data]
    return data


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_migrate_after_check_reports_exactly_what_a_cold_migrate_does(tmp_path, jobs):
    root = _project(tmp_path)
    cold = _aether(root, "migrate", ".", "--no-diff", "--no-cache", "-j", jobs,
                   "--json", str(tmp_path / "cold.json"))
    assert not (root / ".aether_cache").exists()  # --no-cache neither reads nor writes
    assert cold.returncode == 20, cold.stderr  # js.aether cannot be converted
    _aether(root, "check", ".", "-q")
    assert (root / ".aether_cache").is_dir()
    warm = _aether(root, "migrate", ".", "--no-diff", "-j", jobs,
                   "--json", str(tmp_path / "warm.json"))
    assert (warm.returncode, warm.stderr) == (cold.returncode, cold.stderr)
    assert _without_timestamps(json.loads((tmp_path / "warm.json").read_text())) == \
        _without_timestamps(json.loads((tmp_path / "cold.json").read_text()))
    # and once more with the cache migrate itself filled
    again = _aether(root, "migrate", ".", "--no-diff", "-j", jobs,
                    "--json", str(tmp_path / "again.json"))
    assert (again.returncode, again.stderr) == (cold.returncode, cold.stderr)
    assert _without_timestamps(json.loads((tmp_path / "again.json").read_text())) == \
        _without_timestamps(json.loads((tmp_path / "cold.json").read_text()))


def _setup(root: Path):
    cwd = os.getcwd()
    os.chdir(root)
    config = load_config(".", None, False)
    options = MigrateOptions(want_diff=False, root=config.root,
                             max_file_size=config.max_file_size)
    return cwd, config, options


def _check_options(config):
    """What `aether check .` checks with in a project with no select/ignore."""
    from aether.checker import CheckOptions, RuleFilter
    from aether.source import DEFAULT_MAX_FILE_SIZE

    return CheckOptions(root=config.root, rules=RuleFilter.make(config.select, config.ignore),
                        catalogue=None, max_file_size=config.max_file_size or
                        DEFAULT_MAX_FILE_SIZE)


def test_check_stores_what_migrate_computes_as_its_check_before(tmp_path):
    root = _project(tmp_path)
    cwd, config, options = _setup(root)
    try:
        files = list_files(["."], (), config.root)
        stored = check_files(files, _check_options(config))
        mine = check_options(None, config.root, config.max_file_size)
        for src, result in zip(files, stored):
            text = Path(src.path).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
            fresh = checker.check_text(text, src.display, mine)
            assert [f.to_dict() for f in fresh.findings] == \
                [f.to_dict() for f in result.findings], src.display
            assert [f.to_dict() for f in fresh.suppressed] == \
                [f.to_dict() for f in result.suppressed], src.display
        # the same options: the same cache file as check's
        assert open_migrate_cache(options, config).path == \
            open_cache(_check_options(config), config).path
    finally:
        os.chdir(cwd)


def _counting(monkeypatch) -> list:
    texts: list = []
    plain = checker.check_text

    def counted(text, path="<text>", *args, **kwargs):
        texts.append((path, text))
        return plain(text, path, *args, **kwargs)

    monkeypatch.setattr(checker, "check_text", counted)
    return texts


def test_migrate_takes_the_check_before_from_the_cache_check_filled(tmp_path, monkeypatch):
    root = _project(tmp_path)
    cwd, config, options = _setup(root)
    try:
        files = list_files(["."], (), config.root)
        cache = open_cache(_check_options(config), config)
        check_files(files, _check_options(config), cache=cache)
        assert cache.save() is None
        originals = {(src.display, Path(src.path).read_bytes().decode("utf-8-sig")
                      .replace("\r\n", "\n")) for src in files}
        pairs = list(iter_pairs(["."], (), config.root))
        texts = _counting(monkeypatch)
        cold = migrate_files(pairs, options)
        assert sum(t in originals for t in texts) > 30  # each legacy file checked before
        texts.clear()
        warm = migrate_files(pairs, options, cache=open_migrate_cache(options, config))
        assert not [t for t in texts if t in originals]  # no check before at all
        assert [o.to_dict() for o in warm] == [o.to_dict() for o in cold]
    finally:
        os.chdir(cwd)


def test_check_after_migrate_apply_is_answered_from_the_cache(tmp_path):
    root = _project(tmp_path)
    cwd, config, options = _setup(root)
    try:
        pairs = list(iter_pairs(["."], (), config.root))
        apply = MigrateOptions(apply=True, want_diff=False, root=config.root)
        cache = open_migrate_cache(apply, config)
        outcomes = migrate_files(pairs, apply, cache=cache)
        assert cache.save() is None
        assert sum(o.written for o in outcomes) > 30
        files = list_files(["."], (), config.root)
        stats = RunStats()
        warm = check_files(files, _check_options(config),
                           cache=open_cache(_check_options(config), config), stats=stats)
        # every file was checked by migrate (before, or after its rewrite) except the
        # clean one (nothing to check): all answered from the cache, and rightly
        assert stats.cached == len(files) - 1
        fresh = check_files(files, _check_options(config))
        assert [[f.to_dict() for f in r.findings + r.suppressed] for r in warm] == \
            [[f.to_dict() for f in r.findings + r.suppressed] for r in fresh]
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("content", [
    b"not json", b"{}", b'{"format": 3, "stamps": [], "results": {}}',
    b'\xff\xfe', b'[' * 5000,
])
def test_a_corrupt_cache_is_a_miss(tmp_path, content):
    root = _project(tmp_path)
    cwd, config, options = _setup(root)
    try:
        pairs = list(iter_pairs(["."], (), config.root))
        cold = migrate_files(pairs, options)
        cache = open_migrate_cache(options, config)
        os.makedirs(os.path.dirname(cache.path), exist_ok=True)
        Path(cache.path).write_bytes(content)
        warm = migrate_files(pairs, options, cache=open_migrate_cache(options, config))
        assert [o.to_dict() for o in warm] == [o.to_dict() for o in cold]
    finally:
        os.chdir(cwd)


def test_foreign_entries_are_misses_never_errors(tmp_path):
    """Entries of the right digest but not what this version writes (bad findings, wrong
    shapes) are ignored: the check before is computed."""
    from aether.cache import content_digest

    root = _project(tmp_path)
    cwd, config, options = _setup(root)
    try:
        pairs = list(iter_pairs(["."], (), config.root))
        cold = migrate_files(pairs, options)
        cache = open_migrate_cache(options, config)
        bad = [[{"rule": "NOPE", "message": 1}], []], [[1, 2]], "x", [[{"x": 1}], []], \
            [[{"rule": "AE302", "message": "m", "line": "1"}], []]
        for n, (path, display, _named) in enumerate(pairs):
            cache.stamps[display] = content_digest(Path(path).read_bytes()) + " "
            cache.results[display] = bad[n % len(bad)]
        warm = migrate_files(pairs, options, cache=cache)
        assert [o.to_dict() for o in warm] == [o.to_dict() for o in cold]
    finally:
        os.chdir(cwd)


def test_a_selection_in_the_configuration_keeps_check_results_apart(tmp_path):
    """check with `ignore` configured stores filtered results: another cache file than
    the one migrate (every rule) reads."""
    root = _project(tmp_path)
    (root / "aether.toml").write_text('ignore = ["AE302"]\n')
    cwd, config, options = _setup(root)
    try:
        from aether.checker import CheckOptions, RuleFilter

        check = CheckOptions(root=config.root, rules=RuleFilter.make(config.select,
                                                                     config.ignore))
        assert open_migrate_cache(options, config).path != open_cache(check, config).path
    finally:
        os.chdir(cwd)


def test_fingerprints_do_not_depend_on_the_working_directory(tmp_path):
    """The remap names files relative to the project root, as check's fingerprints (and
    so baselines) do: the same from the root and from a subfolder."""
    root = _project(tmp_path)
    top = _aether(root, "migrate", "wf", "--no-diff", "--no-cache",
                  "--json", str(tmp_path / "top.json"))
    sub = _aether(root / "wf", "migrate", ".", "--no-diff", "--no-cache",
                  "--json", str(tmp_path / "sub.json"))
    assert top.returncode == sub.returncode == 0, (top.stderr, sub.stderr)
    a = json.loads((tmp_path / "top.json").read_text())
    b = json.loads((tmp_path / "sub.json").read_text())
    assert a["fingerprint_remap"] and a["fingerprint_remap"] == b["fingerprint_remap"]
    assert a["resolved_fingerprints"] == b["resolved_fingerprints"]


def test_a_forged_cache_never_makes_migrate_raise(tmp_path):
    """Well-formed entries that lie (syntax errors on lines that do not exist, before the
    first line or far past the last, a whole-file finding, many findings) change what
    migrate compares with (docs/security.md), never whether it finishes."""
    from aether.cache import content_digest
    from aether.diagnostics import Finding

    root = _project(tmp_path)
    cwd, config, options = _setup(root)
    try:
        pairs = list(iter_pairs(["."], (), config.root))
        cache = open_migrate_cache(options, config)
        lies = [Finding("AE101", "forged", line, 1, fingerprint="f%d" % n).to_dict()
                for n, line in enumerate((-5, 0, 1, 3, 10 ** 9, None))]
        lies.append(Finding("AE209", "forged", 1).to_dict())
        lies.extend(Finding("AE302", "forged", 2, fingerprint="g%d" % n).to_dict()
                    for n in range(50))
        for path, display, _named in pairs:
            cache.stamps[display] = content_digest(Path(path).read_bytes()) + " "
            cache.results[display] = [lies, lies[:1]]
        outcomes = migrate_files(pairs, options, cache=cache)
        assert len(outcomes) == len(pairs)
        assert not [o for o in outcomes if "internal error" in o.reason]
        for o in outcomes:
            json.dumps(o.to_dict())
    finally:
        os.chdir(cwd)


def test_the_same_display_path_from_another_folder_is_another_file(tmp_path):
    """Display paths are relative to the working directory, fingerprints to the project
    root: `f.aether` checked from a/ must not answer for b/f.aether (same bytes) when
    checking or migrating from b/ (its fingerprints, and so migrate's remap, differ)."""
    root = _project(tmp_path)
    legacy = (GOLDEN / "M001-intent-to-goal" / "before.aether").read_bytes()
    for sub in ("a", "b"):
        (root / sub).mkdir()
        (root / sub / "f.aether").write_bytes(legacy)
        (root / sub / "clean.aether").write_text('goal: "fine"\nlog("x")\n')
    cold = _aether(root / "b", "migrate", ".", "--no-diff", "--no-cache",
                   "--json", str(tmp_path / "cold.json"))
    cold_check = _aether(root / "b", "check", ".", "--no-cache", "--format", "jsonl")
    _aether(root / "a", "check", ".", "-q")
    warm_check = _aether(root / "b", "check", ".", "--format", "jsonl")
    assert warm_check.stdout == cold_check.stdout
    _aether(root / "a", "migrate", ".", "--no-diff", "-q")
    warm = _aether(root / "b", "migrate", ".", "--no-diff",
                   "--json", str(tmp_path / "warm.json"))
    assert (warm.returncode, warm.stderr) == (cold.returncode, cold.stderr)
    assert _without_timestamps(json.loads((tmp_path / "warm.json").read_text())) == \
        _without_timestamps(json.loads((tmp_path / "cold.json").read_text()))


def test_a_forged_clean_entry_does_not_let_a_guess_at_a_broken_file_through(tmp_path):
    """A file whose only problem is a syntax error is left to the user ("nothing to
    convert"): a cache entry claiming it has no finding must not make migrate write the
    converter's re-layout of it (the entry is only a yardstick, docs/security.md)."""
    from aether.cache import content_digest

    root = _project(tmp_path)
    broken = 'goal: "x"\nfor i in [1, 2]:\n        log(i)\n    log(i)\n'
    (root / "broken.aether").write_text(broken)
    cwd, config, options = _setup(root)
    try:
        options = MigrateOptions(apply=True, want_diff=False, root=config.root,
                                 max_file_size=config.max_file_size)
        pairs = [p for p in iter_pairs(["."], (), config.root) if p[1] == "broken.aether"]
        pairs.append(next(p for p in iter_pairs(["."], (), config.root)
                          if p[1] == "clean.aether"))
        cold = migrate_files(pairs[:1], MigrateOptions(want_diff=False, root=config.root,
                                                       max_file_size=config.max_file_size))
        assert cold[0].state == "failed" and "nothing to convert" in cold[0].reason
        cache = open_migrate_cache(options, config)
        cache.stamps["broken.aether"] = content_digest(broken.encode()) + " "
        cache.results.pop("broken.aether", None)  # no stored result: a clean file
        outcomes = migrate_files(pairs, options, cache=cache)
        assert (outcomes[0].state, outcomes[0].reason) == (cold[0].state, cold[0].reason)
        assert outcomes[0].before == cold[0].before
        assert (root / "broken.aether").read_text() == broken
    finally:
        os.chdir(cwd)
