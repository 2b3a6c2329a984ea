"""aether.digest: the one SHA-256 constructor for start-up paths (no OpenSSL load)."""

import hashlib
import subprocess
import sys

from aether.digest import sha256


def test_same_digest_as_hashlib():
    for data in (b"", b"abc", bytes(range(256)) * 40):
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()


def test_grammar_and_catalogue_digests_do_not_load_hashlib():
    # Each module used to carry its own copy of the import fallback; they now share one.
    code = ("import sys\n"
            "from aether.syntax.tables import grammar_hash, load_tables\n"
            "from aether.semantics.catalogue import json_digest\n"
            "from aether.fingerprint import fingerprint\n"
            "grammar_hash(); load_tables(); json_digest(); fingerprint('r', 'p', 'a', 'c', 0)\n"
            "print('_hashlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
