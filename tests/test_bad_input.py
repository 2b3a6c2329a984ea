"""Every bad input ends in a status code from the table and one clear message, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from aether.checker import check_file

TABLE = {0, 1, 20, 21, 22, 23, 24, 25, 26, 27}


def aether(*args, input=None):
    return subprocess.run([sys.executable, "-m", "aether", *args], capture_output=True,
                          input=input, env=dict(os.environ, NO_COLOR="1"))


def assert_clean_failure(proc, code):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode in TABLE
    assert b"Traceback" not in proc.stdout + proc.stderr


def status_of(path):
    proc = aether("--check", str(path), "--json-status")
    assert b"Traceback" not in proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_missing_path(tmp_path):
    code, st = status_of(tmp_path / "nope.aether")
    assert code == 26 and st["rule"] == "AE001" and "no such file" in st["message"]


def test_directory_given_as_file(tmp_path):
    code, st = status_of(tmp_path)
    assert code == 26 and st["rule"] == "AE002"


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root can read any file")
def test_permission_denied_as_user(tmp_path):
    p = tmp_path / "locked.aether"
    p.write_text('goal: "x"\n')
    p.chmod(0)
    code, st = status_of(p)
    assert code == 26 and st["rule"] == "AE003"


def _deny_open(monkeypatch, p):
    """Make the file ``p`` unreadable, as chmod 0 would for a user other than root: both
    ``open`` by name and ``os.open`` (files are opened by descriptor, then checked) fail."""
    real_open, real_os_open = open, os.open

    def deny(path, *a, **k):
        if not isinstance(path, int) and os.fspath(path) == str(p):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    def os_deny(path, *a, **k):
        if os.fspath(path) == str(p):
            raise PermissionError(13, "Permission denied")
        return real_os_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", deny)
    monkeypatch.setattr(os, "open", os_deny)


def test_permission_denied_reported(tmp_path, monkeypatch):
    """Even as root (CI), an unreadable file is an AE003 finding, not a crash."""
    p = tmp_path / "locked.aether"
    p.write_text('goal: "x"\n')
    _deny_open(monkeypatch, p)
    result = check_file(str(p))
    assert [f.rule for f in result.findings] == ["AE003"]


def _deny_listing(monkeypatch, folder):
    """Make ``folder`` unlistable, as chmod 0 would for a user other than root."""
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.abspath(os.fspath(path)) == os.path.abspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_unlistable_folder_inside_a_tree_is_reported(tmp_path, monkeypatch):
    """os.walk skips folders it cannot list; the walk yields them so they are AE003."""
    from aether.cli.main import cli
    from click.testing import CliRunner

    (tmp_path / "ok.aether").write_text('goal: "x"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.aether").write_text('goal: "x"\n')
    _deny_listing(monkeypatch, tmp_path / "sub")
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", str(tmp_path)])
    assert result.exit_code == 26, result.output
    files = {os.path.basename(f["file"]): f for f in json.loads(result.output)["files"]}
    assert set(files) == {"ok.aether", "sub"}
    assert files["ok.aether"]["ok"] and files["sub"]["findings"][0]["rule"] == "AE003"
    assert "cannot list the folder" in files["sub"]["message"]


def test_unlistable_folder_given_directly_is_reported(tmp_path, monkeypatch):
    from aether.cli.main import cli
    from click.testing import CliRunner

    (tmp_path / "a.aether").write_text('goal: "x"\n')
    _deny_listing(monkeypatch, tmp_path)
    result = CliRunner().invoke(cli, ["check", "--no-cache", str(tmp_path)])
    assert result.exit_code == 26 and "AE003" in result.output, result.output
    assert "No files checked" not in result.output


@pytest.mark.parametrize("command", [["check"], ["--check"], ["fmt", "--check"], ["migrate"]])
def test_unreadable_path_is_status_26_not_a_usage_error(tmp_path, monkeypatch, command):
    """click's Path(readable=True) would turn an unreadable file into usage error 2."""
    from aether.cli.main import cli
    from click.testing import CliRunner

    p = tmp_path / "locked.aether"
    p.write_text('goal: "x"\n')
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k:
                        False if os.fspath(path) == str(p) else real_access(path, mode, *a, **k))
    _deny_open(monkeypatch, p)
    result = CliRunner().invoke(cli, [*command, str(p)])
    assert result.exit_code == 26, (result.exit_code, result.output)
    assert "permission denied" in result.output


def test_binary_and_nul_bytes(tmp_path):
    p = tmp_path / "bin.aether"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    code, st = status_of(p)
    assert code == 26 and st["rule"] == "AE004" and "NUL byte" in st["message"]
    p.write_bytes(b'goal: "x"\nlog("a\x00b")\n')
    code, st = status_of(p)
    assert code == 26 and st["line"] == 2


def test_invalid_utf8(tmp_path):
    p = tmp_path / "latin1.aether"
    p.write_bytes('goal: "café"\n'.encode("latin-1"))
    code, st = status_of(p)
    assert code == 26 and st["rule"] == "AE005" and "line 1" in st["message"]


def test_empty_file(tmp_path):
    p = tmp_path / "empty.aether"
    p.write_bytes(b"")
    code, st = status_of(p)
    assert code == 25 and st["rule"] == "AE312"


def test_huge_file_is_refused_quickly(tmp_path):
    p = tmp_path / "huge.aether"
    with open(p, "wb") as fh:
        fh.write(b'goal: "x"\n' + b"log(1)\n" * (50 * 1024 * 1024 // 7))
    code, st = status_of(p)
    assert code == 26 and st["rule"] == "AE006" and "MiB" in st["message"]


def test_deep_nesting(tmp_path):
    p = tmp_path / "deep.aether"
    p.write_text('goal: "x"\nx: ' + "[" * 10000 + "]" * 10000 + "\n")
    code, st = status_of(p)
    assert code == 20 and st["rule"] == "AE110"
    # 10,000 nested blocks cannot fit under the size limit (indentation alone is 50 MB),
    # so 2,000 one-space levels exercise the block-depth guard.
    p.write_text('goal: "x"\n' + "".join(" " * i + "if x:\n" for i in range(2000)))
    code, st = status_of(p)
    assert code == 20 and st["rule"] == "AE110"


def test_bom_and_crlf_do_not_change_meaning(tmp_path):
    p = tmp_path / "win.aether"
    p.write_bytes(b'\xef\xbb\xbfgoal: "x"\r\nif true:\r\n    log(1)\r\n')
    code, st = status_of(p)
    assert code == 0 and st["ok"] is True


def test_stdin_binary():
    proc = aether("check", "-", input=b"\x00\x01\x02")
    assert_clean_failure(proc, 26)


def test_bad_flag_is_a_usage_error_without_traceback():
    proc = aether("check", "--format", "xml")
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_internal_error_is_contained(tmp_path, monkeypatch):
    """A checker bug becomes AE999 / status 27 for that file, never a traceback."""
    from aether import runner
    from aether.checker import CheckOptions
    from aether.walk import SourceFile

    p = tmp_path / "a.aether"
    p.write_text('goal: "x"\n')

    def boom(*a, **k):
        raise ValueError("boom")

    monkeypatch.setattr(runner, "check_text", boom)
    (result,) = runner.check_files([SourceFile(str(p), "a.aether")], CheckOptions())
    assert [f.rule for f in result.findings] == ["AE999"] and int(result.status) == 27


def test_check_restores_the_garbage_collector_state():
    """check_text pauses the cyclic collector for one file and puts it back as it was."""
    import gc

    from aether.checker import check_text
    from aether.fmt import FormatError, format_text

    was = gc.isenabled()
    try:
        for state in (True, False):
            (gc.enable if state else gc.disable)()
            check_text('goal: "x"\nlog(\n', "a.aether")  # an error path too
            assert gc.isenabled() is state
            with pytest.raises(FormatError):
                format_text('goal: "x"\nlog(\n')
            assert gc.isenabled() is state
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that takes any bytes")
@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "github"])
def test_file_name_that_is_not_utf8(tmp_path, fmt):
    """Python gives such names as lone surrogates, which no report could encode (was 27)."""
    name = os.fsencode(tmp_path) + b"/\xffbad.aether"
    with open(name, "wb") as fh:
        fh.write(b'goal: "x"\nfoo()\n')
    proc = aether("check", "--no-cache", "--format", fmt, str(tmp_path))
    assert_clean_failure(proc, 25)
    # people see the byte escaped; the SARIF URI names the real file (%FF)
    assert (b"%FFbad.aether" if fmt == "sarif" else b"\\xffbad.aether") in proc.stdout
    proc = aether("--check", os.fsdecode(name), "--json-status")
    assert_clean_failure(proc, 25)
    assert json.loads(proc.stdout)["file"].endswith("\\xffbad.aether")


def test_printable_path():
    from aether.walk import printable_path

    assert printable_path("a/b é.aether") == "a/b é.aether"
    assert printable_path("a/\udcffb.aether") == "a/\\xffb.aether"
    assert printable_path("\ud800x") == "\\ud800x"
    assert printable_path("a\udcffb").encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\\", b"x", b"8", b"f", b"\x80", b"\xff", b"a", b"\xc3",
                                 b"\xa9", b"/"]), max_size=12).map(b"".join)
       | st.binary(max_size=40))
def test_path_bytes_undoes_printable_path(raw):
    """A file name's bytes survive the trip to a printable display path and back (what a
    SARIF URI percent-encodes and a diff names), backslashes included: the text `\\x80`
    and the byte 0x80 must not look alike."""
    from aether.walk import path_bytes, printable_path

    shown = printable_path(os.fsdecode(raw))
    shown.encode("utf-8")  # printable: no lone surrogates left
    assert path_bytes(shown) == raw


def test_a_backslash_name_is_not_shown_as_another_files_byte(tmp_path):
    """`a\\x80.aether` (a backslash, then `x80`) and `a<byte 0x80>.aether` are two files:
    they get two report paths, two fingerprints and two SARIF URIs, so a suppression or a
    baseline entry of one is not the other's."""
    if sys.platform == "darwin":
        pytest.skip("the file system refuses names that are not UTF-8")
    (tmp_path / "aether.toml").write_text("")
    for name in (b"a\\x80.aether", b"a\x80.aether"):
        with open(os.path.join(os.fsencode(tmp_path), name), "w") as fh:
            fh.write('goal: "x"\nfoo()\n')
    def run(fmt):
        return subprocess.run([sys.executable, "-m", "aether", "check", "--no-cache",
                               "--format", fmt, "."], capture_output=True, text=True,
                              cwd=tmp_path).stdout

    rows = [json.loads(line) for line in run("jsonl").splitlines()]
    assert len({r["file"] for r in rows}) == 2, rows
    assert len({r["fingerprint"] for r in rows}) == 2, rows
    sarif = json.loads(run("sarif"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert uris == {"a%5Cx80.aether", "a%80.aether"}, uris


def test_report_file_in_a_missing_folder_is_created(tmp_path):
    (tmp_path / "a.aether").write_text('goal: "x"\n')
    out = tmp_path / "reports" / "ci" / "aether.sarif"
    proc = aether("check", "--no-cache", "--format", "sarif", "-o", str(out), str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("command", [["check", "-o"], ["migrate", "--report"],
                                     ["migrate", "--json"]])
def test_report_file_that_cannot_be_written_is_status_26(tmp_path, command):
    """Was INTERNAL_ERROR ("this is a bug") for check and migrate."""
    (tmp_path / "a.aether").write_text('goal: "x"\n')
    (tmp_path / "blocker").write_text("a file, not a folder\n")
    proc = aether(*command, str(tmp_path / "blocker" / "out.txt"), str(tmp_path / "a.aether"))
    assert_clean_failure(proc, 26)
    assert b"cannot write the report" in proc.stderr
    assert (tmp_path / "blocker").read_text() == "a file, not a folder\n"


def test_cache_that_cannot_be_saved_warns_and_the_check_still_passes(tmp_path):
    for name in ("a.aether", "b.aether"):
        (tmp_path / name).write_text('goal: "x"\n')
    (tmp_path / "blocker").write_text("a file\n")
    proc = aether("check", "--cache-dir", str(tmp_path / "blocker" / "cache"), str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(b"warning: result cache not saved") == 1
    quiet = aether("check", "-q", "--cache-dir", str(tmp_path / "blocker" / "c"), str(tmp_path))
    assert quiet.returncode == 0 and b"warning" not in quiet.stderr


def test_reader_closing_the_pipe_early_is_no_traceback(tmp_path):
    """`aether check ... | head -1`: the report is larger than the pipe's buffer."""
    p = tmp_path / "many.aether"
    p.write_text('goal: "x"\n' + "nope()\n" * 5000)
    proc = subprocess.Popen([sys.executable, "-m", "aether", "check", "--no-cache", str(p)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, NO_COLOR="1"))
    assert proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode in TABLE
    assert b"Traceback" not in stderr and b"Exception ignored" not in stderr, stderr


@pytest.mark.parametrize("args", [["check", ""], ["--check", ""], ["check", "", "-q"]])
def test_empty_path_argument_is_not_the_working_directory(tmp_path, args):
    """os.path.abspath("") is the working directory: `check ""` checked all of it."""
    (tmp_path / "a.aether").write_text("not aether at all\n")
    proc = subprocess.run([sys.executable, "-m", "aether", *args, "--no-cache"]
                          if args[0] == "check" else [sys.executable, "-m", "aether", *args],
                          capture_output=True, cwd=tmp_path, env=dict(os.environ, NO_COLOR="1"))
    assert_clean_failure(proc, 26)
    assert b'empty path ("")' in proc.stdout and b"a.aether" not in proc.stdout


_OUT_OF_MEMORY = """
import resource, sys
from aether.cli.main import main
from aether.syntax.parser import get_parser
get_parser()
size = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize:"))
# room to start and read the file, not to hold its million tokens (about 350 MB)
limit = (size + 120 * 1024) * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(sys.argv[1:]))
"""


# What each command prints when the file does not fit: one message (check: the finding on
# stdout, nothing on stderr; fmt and migrate: the file's line and their summary on stderr).
_CHECK_OOM = ("{p}: AE999 [INTERNAL_ERROR] internal error while checking this file: "
              "MemoryError\n  = hint: please report this with the file (AETHER_DEBUG=1 shows "
              "details)\n\nFound 1 finding in 1 file.\n", "", 27)
_OUT_OF_MEMORY_OUTPUT = {
    "check": _CHECK_OOM,
    "--check": _CHECK_OOM,
    "fmt": ("", "error: {p}: internal error while formatting this file: MemoryError (this is "
                "a bug; AETHER_DEBUG=1 shows the details)\nsome files could not be formatted "
                "(see above)\n", 27),
    "migrate": ("", "[1/1] failed {p}: internal error while converting: MemoryError (this is "
                    "a bug in aether)\n0 to migrate, 0 unchanged, 1 failed, 0 skipped\n", 20),
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("pure", ["0", "1"], ids=["compiled", "pure"])
@pytest.mark.parametrize("command", [["check", "--isolated", "--no-cache"], ["--check"],
                                     ["fmt", "--isolated", "--diff"],
                                     ["migrate", "--isolated"]],
                         ids=["check", "--check", "fmt", "migrate"])
def test_running_out_of_memory_is_one_message(tmp_path, command, pure):
    # a MemoryError's traceback kept the frames holding what filled memory (the parser's
    # value stack): reporting it (an import, the message) failed too, and the second
    # MemoryError escaped as a traceback with status 1.
    # Then about one run in twelve (one in six on the pure-Python path) never ended:
    # Python 3.11 unwinding past the parse's `except` line allocates an int and retries
    # that forever while memory is full (SIGTERM ignored). And the pure-Python lexer's
    # generator, closed while memory was still full, printed "Exception ignored in
    # generator" and a MemoryError traceback to stderr. A hang fails this test (timeout).
    p = tmp_path / "many.aether"
    p.write_text('goal: "g"\nx: [' + "1," * 1_000_000 + "]\n")
    try:
        proc = subprocess.run([sys.executable, "-c", _OUT_OF_MEMORY, *command, str(p)],
                              capture_output=True, timeout=120,
                              env=dict(os.environ, NO_COLOR="1", AETHER_PURE_PYTHON=pure))
    except subprocess.TimeoutExpired:
        pytest.fail("running out of memory did not end in 120 s")
    if proc.returncode == 0:
        pytest.skip("the file fit in the address space given here")
    stdout, stderr, status = _OUT_OF_MEMORY_OUTPUT[command[0]]
    assert (proc.stdout.decode(), proc.stderr.decode(), proc.returncode) == \
        (stdout.format(p=p), stderr.format(p=p), status)


class _NoMemoryToHash:
    """A token type whose lookup in the parse tables fails as an allocation there would."""

    def __init__(self, seen):
        self.seen = seen

    def __hash__(self):
        self.seen()
        raise MemoryError


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "pure"])
def test_a_memory_error_in_a_parse_frees_what_it_built_before_unwinding(monkeypatch,
                                                                         compiled):
    # Python 3.11 unwinding a MemoryError past the parse's `except` line allocates an int
    # and retries forever when that fails: the handler must give memory back first (the
    # reserve, the value stack) and allocate nothing before. And the pure-Python loop's
    # token generator, closed when its frame was freed with memory still full, printed
    # "Exception ignored in generator": the loop closes it itself once memory is free.
    # Here the value stack holds the statements parsed so far when a table lookup fails.
    from aether import outofmemory
    from aether.syntax import lalr
    from aether.syntax import parser as P
    from aether.syntax.builder import AstBuilder
    from aether.syntax.tables import load_tables

    if compiled and not lalr.COMPILED:
        pytest.skip("the compiled parser is not built")
    builder = AstBuilder() if compiled else AstBuilder(compiled=False)
    engine = lalr.Parser(load_tables(), builder, compiled=compiled)
    events, stacks = [], []

    class Failing:
        def parse(self, tokens, values):
            stacks.append(values)

            def fail_midway():
                try:
                    for n, tok in enumerate(tokens):
                        if n == 600:
                            seen = lambda: events.append(("failed", len(values[0])))
                            tok = (_NoMemoryToHash(seen),) + tok[1:]
                        yield tok
                finally:
                    events.append(("closed", len(values)))
            return engine.parse(fail_midway(), values)

    monkeypatch.setattr(P, "_PARSER", (Failing(), P.get_parser()[1]))
    monkeypatch.setattr(P, "_LAST", None)
    outofmemory.arm()
    assert outofmemory.RESERVE
    try:
        P.parse('goal: "g"\n' + "x: 1\n" * 400)
    except MemoryError:
        # while its traceback still holds the parse's frames (and the generator in them)
        assert events[0][0] == "failed" and events[0][1] > 100  # what the parse built...
        assert stacks == [[]] and outofmemory.RESERVE == []  # ...was freed, the reserve too,
        if not compiled:  # and then the token generator was closed (values already empty)
            assert events[1:] == [("closed", 0)]
    else:
        pytest.fail("no MemoryError")
    monkeypatch.setattr(P, "_PARSER", (engine, P.get_parser()[1]))
    assert P.parse('goal: "g"\n').errors == []
    assert outofmemory.RESERVE  # the next parse holds it again


def test_reporting_a_memory_error_frees_the_reserve_first():
    from aether import outofmemory

    outofmemory.arm()
    assert len(outofmemory.RESERVE[0]) == outofmemory.RESERVE_SIZE
    outofmemory.release(ValueError())
    assert outofmemory.RESERVE
    outofmemory.release(MemoryError())
    assert outofmemory.RESERVE == []
    outofmemory.arm()


@pytest.mark.parametrize("exc, detail", [(MemoryError(), "MemoryError"),
                                         (ValueError("boom"), "ValueError: boom")])
def test_migrate_reports_a_conversion_error_in_one_clean_line(tmp_path, monkeypatch,
                                                               exc, detail):
    # migrate wrote "{name}: {exc}": a MemoryError has no message, so it read
    # "MemoryError:  (this is a bug in aether)"
    from aether.migrate import engine

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(engine, "migrate_text", fail)
    p = tmp_path / "w.aether"
    p.write_text('goal: "g"\n')
    out = engine.migrate_file(str(p))
    assert out.state == "failed"
    assert out.reason == f"internal error while converting: {detail} (this is a bug in aether)"


def test_a_named_fifo_document_is_read_in_chunks_not_byte_by_byte(tmp_path, monkeypatch):
    """A FIFO reports size 0: past that hint the reads were of one byte each (a system call
    per byte of a `--config <(...)` document)."""
    import os
    import threading

    from aether import readfile

    fifo = tmp_path / "doc.toml"
    os.mkfifo(fifo)
    data = b"x = 1\n" * 20000  # 120,000 bytes
    writer = threading.Thread(target=fifo.write_bytes, args=(data,))
    writer.start()
    calls = []
    real_read = os.read

    def counting_read(fd, n):
        calls.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(readfile.os, "read", counting_read)
    try:
        assert readfile.read_document(str(fifo), pipe_ok=True) == data
    finally:
        writer.join(10)
    assert len(calls) < 1000


def test_a_named_fifo_whose_writer_connected_at_the_probe_is_read_whole(tmp_path, monkeypatch):
    """The writer connects while the FIFO is open for the type check: reading must go on
    through that same descriptor. Closing it to open the name again left no reader for a
    moment: the writer died of EPIPE and the second open waited forever for another."""
    import os
    import threading

    from aether import readfile

    fifo = tmp_path / "doc.toml"
    os.mkfifo(fifo)
    data = b"x = 1\n" * 20000  # 120,000 bytes: more than a pipe holds, so the writer waits
    connected = threading.Event()
    failures = []

    def write():
        try:
            with open(fifo, "wb") as out:  # a reader is open: returns at once
                connected.set()
                out.write(data)
        except OSError as exc:
            failures.append(exc)
            connected.set()

    real_open = readfile._open_document

    def probe_then_writer(path):
        got = real_open(path)  # the non-blocking descriptor of the type check
        threading.Thread(target=write, daemon=True).start()
        assert connected.wait(10)
        return got

    monkeypatch.setattr(readfile, "_open_document", probe_then_writer)
    # a second, blocking open of the name is given time for the writer to see no reader
    # (the moment it hit under load, made certain)
    import time
    import types

    def slow_open(path, flags, *args):
        if not flags & os.O_NONBLOCK:
            time.sleep(0.5)
        return os.open(path, flags, *args)

    shim = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if k[:2] != "__"})
    shim.open = slow_open
    monkeypatch.setattr(readfile, "os", shim)
    result = []
    reader = threading.Thread(
        target=lambda: result.append(readfile.read_document(str(fifo), pipe_ok=True)),
        daemon=True)
    reader.start()
    reader.join(20)
    if reader.is_alive():
        # release the hung open (a writer that closes at once) before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(10)
    assert not failures, failures
    assert result == [data]
