"""Turn a legacy file's migration tree into Aether 1.2 text, rule by rule.

:func:`convert` parses the text (:mod:`aether.migrate.parser`), rewrites each statement
with the rules of :mod:`aether.migrate.rules`, and lays the result out. A statement whose
Aether 1.2 form has the same tokens as its source is copied byte for byte (with its
comments and spacing); only the lines that change are printed anew, in canonical layout.
When the file's indentation is consistent with its block structure it is kept; otherwise
(``end`` blocks, brace blocks, unwrapped plugins, mixed indentation) every line is
re-indented by 4 spaces per level.

Raises :class:`aether.migrate.ir.Unconvertible` (line + reason) for what has no Aether
1.2 form.

Where the code of a rule lives: each module of this package opens with a ``Rules:`` line
naming the rules it implements (each rule in exactly one module; the parser's docstring
names the two it implements) and an ``Also:`` line for the rules it only records in
passing; ``docs/migrate.md`` has the table and ``tests/test_migrate_layout.py`` keeps both
true. :mod:`.context` holds the shared state and printing, :mod:`.converter` the
:class:`Converter` that dispatches each statement to the rule modules (its mixins), and
:mod:`.whole_file` the :func:`convert` entry point.
"""

from __future__ import annotations

from .context import Conversion, Row, expr_source, expr_text
from .converter import Converter
from .whole_file import convert

__all__ = ["Conversion", "Converter", "Row", "convert", "expr_source", "expr_text"]
