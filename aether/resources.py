"""Locate the project's data files (grammar, builtin catalogue) in a checkout or a wheel."""

from __future__ import annotations

import os

__all__ = ["grammar_path", "stdlib_dir", "data_root"]

# os.path rather than pathlib: this runs on every start-up and pathlib costs milliseconds.
_PKG = os.path.dirname(os.path.abspath(__file__))


def data_root() -> str:
    """The folder holding ``grammar/`` and ``stdlib/``.

    A wheel carries them inside the package (``aether/_data``); a source checkout or an
    editable install has them at the repository root, beside ``aether/``.
    """
    bundled = os.path.join(_PKG, "_data")
    if os.path.isdir(os.path.join(bundled, "grammar")):
        return bundled
    return os.path.dirname(_PKG)


def grammar_path() -> str:
    return os.path.join(data_root(), "grammar", "aether.lark")


def stdlib_dir() -> str:
    return os.path.join(data_root(), "stdlib")
