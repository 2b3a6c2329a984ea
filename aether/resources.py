"""Locate the project's data files (grammar, builtin catalogue) in a checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = ["grammar_path", "stdlib_dir", "data_root"]

_PKG = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding ``grammar/`` and ``stdlib/``.

    A wheel carries them inside the package (``aether/_data``); a source checkout or an
    editable install has them at the repository root, beside ``aether/``.
    """
    bundled = _PKG / "_data"
    if (bundled / "grammar").is_dir():
        return bundled
    return _PKG.parent


def grammar_path() -> Path:
    return data_root() / "grammar" / "aether.lark"


def stdlib_dir() -> Path:
    return data_root() / "stdlib"
