"""A test helper: every validation a migration derives from its M031 probe's
(``validator.validate_required``, and ``validator.validate_spliced`` for the module the
converted text parses to, :func:`spliced_module`) checked against a fresh validation of
the module."""

from __future__ import annotations

from contextlib import contextmanager

from aether import ast as A
from aether.semantics import validator as V


def shifted(node, count: int):
    """``node`` with every line of it and its descendants ``count`` lines further down."""
    cls = type(node)
    values = [getattr(node, f) for f in cls._fields]
    values[0] += count  # line
    values[2] += count  # end_line
    for name in cls._children:
        at = cls._fields.index(name)
        value = values[at]
        if isinstance(value, tuple):
            values[at] = tuple(shifted(c, count) for c in value)
        elif value is not None:
            values[at] = shifted(value, count)
    return cls(*values)


def spliced_module(probe: A.Module, req: A.Stmt, line: int, count: int) -> A.Module:
    """The module of ``probe``'s top-level statements with ``req`` before the first that
    starts at ``line`` or below, those moved down by ``count`` lines."""
    at = next((j for j, s in enumerate(probe.body) if s.line >= line), len(probe.body))
    body = probe.body[:at] + (req,) + tuple(shifted(s, count) for s in probe.body[at:])
    return A.Module(1, 1, body[-1].end_line, body[-1].end_column, body)


def compare_derivations(seen=None):
    """The wrappers of ``validate_required`` and ``validate_spliced`` that assert each
    derivation equal to ``Validator(None, True, hints).validate(final)``, counting
    ``"derived"`` and ``"refused"`` in ``seen`` (a Counter) when given."""
    real, real_spliced = V.validate_required, V.validate_spliced

    def compared(probe, final, line, count, hints=True):
        done = real(probe, final, line, count, hints)
        if seen is not None:
            seen["derived" if done else "refused"] += 1
        if done:
            derived = V._VALIDATIONS.table[(id(final), id(None), True, hints)][2]
            assert derived == V.Validator(None, True, hints).validate(final)
        return done

    def compared_spliced(probe, req, line, count, hints=True):
        derived = real_spliced(probe, req, line, count, hints)
        if seen is not None:
            seen["refused" if derived is None else "derived"] += 1
        if derived is not None:
            final = spliced_module(probe, req, line, count)
            assert derived == V.Validator(None, True, hints).validate(final)
        return derived

    return compared, compared_spliced


@contextmanager
def derivations_compared():
    """Within the block, each derivation ``validate_required`` and ``validate_spliced``
    make is asserted equal to ``Validator(None, True, hints).validate(final)``."""
    real, real_spliced = V.validate_required, V.validate_spliced
    V.validate_required, V.validate_spliced = compare_derivations()
    try:
        yield
    finally:
        V.validate_required, V.validate_spliced = real, real_spliced
