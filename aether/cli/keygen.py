"""`aether keygen -o KEY`: make an Ed25519 key pair for signing workflows (aether.signing.keys)."""

from __future__ import annotations

import getpass
import socket
import sys

import click

from .common import path_param, text_param


@click.command()
@click.option("-o", "--output", "output", required=True, type=path_param(dir_okay=False),
              metavar="KEY", help="The private key file (KEY.pub gets the public key). "
              "Neither may exist.")
@click.option("--passphrase-env", "passphrase_env", default=None, metavar="VAR",
              help="Encrypt the private key with the passphrase in this environment variable.")
@click.option("--comment", default=None, metavar="TEXT", type=text_param(),
              help="The key's comment (default: user@host); signed files name it as signer.")
def keygen(output, passphrase_env=None, comment=None):
    """Write a new Ed25519 key pair: KEY (mode 0600) and KEY.pub (one line with the key id).

    Exit status: 0, or 26 when a file exists or cannot be written.
    """
    from ..signing.keys import KeyFileError, clean_comment, generate, write_key_pair
    from ..walk import printable_path
    from .sigopts import env_secret

    passphrase = env_secret(passphrase_env, "--passphrase-env") if passphrase_env else None
    if comment is None:
        try:
            # a user or host name that is not UTF-8 is named by its \xff escapes
            comment = printable_path(f"{getpass.getuser()}@{socket.gethostname()}")
        except (OSError, KeyError):
            comment = ""
    key = generate(clean_comment(comment))
    try:
        pub = write_key_pair(output, key, passphrase)
    except KeyFileError as exc:
        click.echo(f"aether keygen: {exc}", err=True)
        sys.exit(26)
    click.echo(f"private key: {output} (mode 0600{', encrypted' if passphrase else ''})",
               err=True)
    click.echo(f"public key:  {pub}", err=True)
    click.echo(f"key id:      {key.keyid}", err=True)
    click.echo("trust it with this line in .aether/allowed_signers (PRINCIPAL first):",
               err=True)
    click.echo(f"PRINCIPAL {key.public.line()}")
