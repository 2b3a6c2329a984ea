"""Options and loading shared by the commands that verify signatures (verify, check, run)."""

from __future__ import annotations

import os
import sys
from typing import Optional

import click

from .common import path_param


def trust_options(func):
    """``--allowed-signers``, ``--revoked-keys`` and ``--legacy-hmac-secret-env``."""
    for option in reversed((
        click.option("--allowed-signers", "allowed_signers", type=path_param(dir_okay=False),
                     default=None, metavar="FILE",
                     help="Trusted signers (default: .aether/allowed_signers in the project "
                     "root, or allowed-signers in the configuration)."),
        click.option("--revoked-keys", "revoked_keys", type=path_param(dir_okay=False),
                     default=None, metavar="FILE",
                     help="Revoked keys (default: .aether/revoked_keys)."),
        click.option("--legacy-hmac-secret-env", "legacy_env", default=None, metavar="VAR",
                     help="Check reference `# @signature:` headers with the HMAC secret in "
                     "this environment variable."),
    )):
        func = option(func)
    return func


def env_secret(var: str, option: str) -> bytes:
    """The value of environment variable ``var`` as bytes (exactly the environment's bytes,
    UTF-8 or not); a usage error (exit 2) naming ``option`` when it is unset or empty."""
    value = os.environ.get(var)
    if not value:
        raise click.UsageError(f"{option} {var}: the environment variable {var} is not set "
                               "or empty")
    return value.encode("utf-8", "surrogateescape")  # os.environ's form of other bytes


def load_verify_options(config, *, allowed: Optional[str], revoked: Optional[str],
                        legacy_env: Optional[str], strict: bool, max_file_size=None,
                        command: str = "aether"):
    """The VerifyOptions for a run; a broken trust file ends it with status 26 and one
    line naming the file and line."""
    from ..signing.trust import TrustError, load_trust, trust_paths
    from ..signing.verify import VerifyOptions
    from ..source import DEFAULT_MAX_FILE_SIZE

    secret = env_secret(legacy_env, "--legacy-hmac-secret-env") if legacy_env else None
    a, a_req, r, r_req = trust_paths(config.root, allowed, revoked,
                                     getattr(config, "allowed_signers", None),
                                     getattr(config, "revoked_keys", None))
    try:
        trust = load_trust(a, r, a_req, r_req)
    except TrustError as exc:
        sys.stderr.write(f"{command}: {exc}\n")
        raise SystemExit(26)
    return VerifyOptions(trust=trust, strict=strict, legacy_secret=secret,
                         max_file_size=max_file_size or config.max_file_size
                         or DEFAULT_MAX_FILE_SIZE)
