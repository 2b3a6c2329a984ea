"""A test helper: every validation a migration derives from its M031 probe's
(``validator.validate_required``) checked against a fresh validation of the module."""

from __future__ import annotations

from contextlib import contextmanager

from aether.semantics import validator as V


@contextmanager
def derivations_compared():
    """Within the block, each derivation ``validate_required`` makes is asserted equal to
    ``Validator(None, True, hints).validate(final)``."""
    real = V.validate_required

    def compared(probe, final, line, count, hints=True):
        done = real(probe, final, line, count, hints)
        if done:
            derived = V._VALIDATIONS.table[(id(final), id(None), True, hints)][2]
            assert derived == V.Validator(None, True, hints).validate(final)
        return done

    V.validate_required = compared
    try:
        yield
    finally:
        V.validate_required = real
