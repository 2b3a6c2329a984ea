"""`aether sign --key KEY PATH...`: sign workflow files in place (aether.signing.sign).

Exit status: 0 when every file was signed; otherwise the most fundamental error among the
files (27, 26 IO_ERROR, 22 SIGNATURE_ERROR for a signature line below the top).
"""

from __future__ import annotations

import sys

import click

from .common import path_param, project_options, setting_range, text_param

_PRECEDENCE = (27, 26, 22)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=path_param(path_type=str))
@click.option("--key", "key_file", required=True, type=path_param(dir_okay=False),
              metavar="KEY", help="The private key (from `aether keygen`).")
@click.option("--passphrase-env", "passphrase_env", default=None, metavar="VAR",
              help="The key's passphrase is in this environment variable.")
@click.option("--trusted-comment", "note", default="", metavar="TEXT", type=text_param(),
              help="A note added to the signed trusted comment (after time, file, signer).")
@click.option("-j", "--jobs", type=setting_range("jobs"), default=None,
              help="Worker processes (default: CPU count).")
@project_options
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def sign(ctx, paths, key_file, passphrase_env=None, note="", jobs=None, exclude=(),
         config_file=None, isolated=False, quiet=False):
    """Sign .aether files in place (directories are searched), replacing any signature
    header at the top with one fresh block. Keeps newline style and BOM."""
    from ..config import ConfigError, load_config
    from ..runner import resolve_jobs
    from ..signing.keys import KeyFileError, key_file_warning, load_signing_key
    from ..signing.sign import sign_files
    from ..walk import iter_files
    from ..workers import can_fork
    from .sigopts import env_secret
    from ..output.text import PrintableLines

    err = PrintableLines(sys.stderr)  # file names and quoted source from the repository
    passphrase = env_secret(passphrase_env, "--passphrase-env") if passphrase_env else None
    try:
        key = load_signing_key(key_file, passphrase)
    except KeyFileError as exc:
        err.write(f"aether sign: {exc}\n")
        ctx.exit(26)
    loose = key_file_warning(key_file)
    if loose:
        err.write(f"warning: {loose}\n")
    try:
        config = load_config(paths[0], config_file, isolated)
    except ConfigError as exc:
        err.write(f"aether sign: {exc}\n")
        ctx.exit(26)
    files = list(iter_files(paths, tuple(config.exclude) + tuple(exclude), config.root))
    n_jobs, warning = resolve_jobs(jobs, config.jobs, len(files) or 1)
    if warning and not quiet:
        err.write(f"warning: {warning}\n")
    if jobs and jobs > 1 and not can_fork() and not quiet:
        err.write("warning: --jobs: worker processes cannot be forked here (no fork start "
                  "method) and the key is never sent to a spawned one: signing in this "
                  "process\n")
    try:
        outcomes = sign_files(files, key, note=note, jobs=n_jobs,
                              max_size=config.max_file_size or 10 * 1024 * 1024)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--trusted-comment") from None
    codes = set()
    signed = 0
    for o in outcomes:
        if o.state == "error":
            where = f"{o.display}:{o.line}" if o.line else o.display
            err.write(f"error: {where}: {o.message}\n")
            codes.add(o.code)
        else:
            signed += 1
    if not quiet:
        parts = [f"{signed} file{'s' if signed != 1 else ''} signed with key {key.keyid}"]
        if codes:
            parts.append("some files could not be signed (see above)")
        if not files:
            parts = ["no .aether files found"]
        err.write(", ".join(parts) + "\n")
    for code in _PRECEDENCE:
        if code in codes:
            ctx.exit(code)
    ctx.exit(0)
