"""Hatch build hook: compile the optional C parse loop (aether/syntax/_speedups.c).

`pip install .` and `pip install -e .` call it. With a working C compiler (``$CC``, else
the one Python was built with) the extension is built in a few seconds: a wheel carries
it, an editable install leaves it beside the sources. Without one (or when it fails, or
with ``AETHER_NO_COMPILE=1``) the build says so and goes on: aether then runs its
pure-Python loop, which gives the same results more slowly (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("aether") / "syntax" / "_speedups.c"


def speedups_source_hash(root: Path) -> str:
    """aether.syntax.speedups_source.source_hash of the tree at ``root``, loaded by its
    path: the package itself is not importable while it is being built."""
    import importlib.util

    path = root / SOURCE.parent / "speedups_source.py"
    spec = importlib.util.spec_from_file_location("aether_speedups_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.source_hash(str(root / SOURCE.parent))


def compile_speedups(root: Path, out_dir: Path) -> Path | None:
    """Build the extension from ``root``/SOURCE into ``out_dir``; None when it cannot be."""
    if os.environ.get("AETHER_NO_COMPILE", "") not in ("", "0"):
        return None
    source = root / SOURCE
    target = out_dir / ("_speedups" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    include = sysconfig.get_paths()["include"]
    if sys.platform == "darwin":
        link = ["-bundle", "-undefined", "dynamic_lookup"]
    else:
        link = ["-shared"]
    # Built beside the target, then moved over it: a process that has the old one loaded
    # (an editable install rebuilt while tests run) keeps its mapping intact.
    partial = target.with_name(target.name + ".partial")
    # the hash of the sources it is built from, which aether compares with its own at
    # import: an extension left from older sources is then not run (speedups_source.py)
    define = f'-DAETHER_SOURCE_HASH="{speedups_source_hash(root)}"'
    cmd = [*cc, "-O2", "-fPIC", "-I", include, define, str(source), *link, "-o", str(partial)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"aether: no C compiler ({exc}); using the pure-Python parser", file=sys.stderr)
        return None
    if done.returncode != 0 or not partial.is_file():
        print("aether: compiling the C parser failed; using the pure-Python parser\n"
              + done.stderr[-2000:], file=sys.stderr)
        partial.unlink(missing_ok=True)
        return None
    os.replace(partial, target)
    return target


class SpeedupsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        if version == "editable":
            # The editable install imports the package from the sources: build it there
            # (ignored by git). When that fails, an earlier build (of older sources) is
            # removed, so the pure-Python path runs rather than a stale extension.
            if compile_speedups(root, root / SOURCE.parent) is None:
                suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
                (root / SOURCE.parent / ("_speedups" + suffix)).unlink(missing_ok=True)
            return
        out = Path(tempfile.mkdtemp(prefix="aether-build-"))
        self._build_dir = out  # removed by finalize, once the wheel holds the extension
        built = compile_speedups(root, out)
        if built is None:
            return
        build_data["force_include"][str(built)] = str(SOURCE.parent / built.name)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        """Remove the folder the extension was compiled in (a wheel build's; it was left
        in the temporary directory after every build)."""
        out = getattr(self, "_build_dir", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
            self._build_dir = None
