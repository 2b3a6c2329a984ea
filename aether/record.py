"""Plain slotted record classes: what a dataclass gives, without making one at import.

``aether check FILE`` runs once per file from editors and hooks, so start-up time counts:
creating a dataclass costs about half a millisecond to a millisecond (it compiles
``__init__``, ``__eq__`` and ``__repr__`` with ``exec``), and ``import dataclasses`` imports
``inspect`` (about 7 ms). The record classes of the one-file path (findings, results,
options, configuration, catalogue entries) therefore write out ``__slots__``, ``_fields``
and ``__init__`` and inherit equality, hashing, ``repr`` and pickling from :class:`Record`
or :class:`FrozenRecord` here. They behave as the dataclasses they replace did: equality is
by type and fields, frozen records refuse assignment with
``dataclasses.FrozenInstanceError``, and ``dataclasses.fields`` / ``replace`` / ``asdict`` /
``is_dataclass`` still work (their field table is made on first use). Records also have
:meth:`Record.replace` and :meth:`Record.as_dict`, which need no dataclasses import.
tests/test_record.py checks every record class against its ``_fields``.
"""

from __future__ import annotations

__all__ = ["Record", "FrozenRecord", "frozen_error", "SET"]

SET = object.__setattr__  # how a frozen record's __init__ sets its fields


def frozen_error(message: str) -> Exception:
    """``dataclasses.FrozenInstanceError(message)``; dataclasses imported only now."""
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(message)


class DataclassFields:
    """``__dataclass_fields__`` of a record (or AST node) class, made when first asked for
    (by ``dataclasses.fields``, ``replace``, ``asdict`` or ``is_dataclass``), then kept.
    Frozen when the class is a FrozenRecord or says ``_frozen = True`` (the AST nodes)."""

    def __get__(self, obj, cls: type) -> dict:
        import dataclasses
        from typing import Any

        code = cls.__init__.__code__
        params = code.co_varnames[1:code.co_argcount]
        if params != cls._fields:
            raise TypeError(f"{cls.__name__}: __init__ parameters {params} "
                            f"are not its fields {cls._fields}")
        defaults = cls.__init__.__defaults__ or ()
        first_default = len(params) - len(defaults)
        specs: list = []
        for i, name in enumerate(params):
            if i < first_default:
                specs.append((name, Any))
            else:
                specs.append((name, Any, dataclasses.field(default=defaults[i - first_default])))
        made = dataclasses.make_dataclass(cls.__name__, specs,
                                          frozen=issubclass(cls, FrozenRecord)
                                          or getattr(cls, "_frozen", False))
        table = made.__dataclass_fields__
        type.__setattr__(cls, "__dataclass_fields__", table)
        return table


class Record:
    """A mutable record: ``_fields`` in ``__init__`` order; equality by type and fields,
    unhashable (as a dataclass with ``eq=True``), ``repr`` like a dataclass's."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    __dataclass_fields__ = DataclassFields()
    __hash__ = None  # type: ignore[assignment]

    def _values(self) -> tuple:
        return tuple([getattr(self, f) for f in self._fields])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        args = ", ".join([f"{f}={getattr(self, f)!r}" for f in self._fields])
        return f"{type(self).__name__}({args})"

    def __reduce__(self):
        # pickling (--jobs workers send results back) and copy: by the fields, through
        # __init__, since a frozen record refuses pickle's usual attribute setting
        return (type(self), self._values())

    def replace(self, **changes):
        """A copy with ``changes`` applied (``dataclasses.replace``). Raises TypeError for
        a name that is not a field."""
        unknown = set(changes).difference(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(*[changes[f] if f in changes else getattr(self, f)
                            for f in self._fields])

    def as_dict(self) -> dict:
        """The fields as a dict (shallow: values are not converted)."""
        return {f: getattr(self, f) for f in self._fields}


class FrozenRecord(Record):
    """An immutable record: assignment and deletion raise FrozenInstanceError; hashable by
    its fields (as a frozen dataclass)."""

    __slots__ = ()

    def __setattr__(self, name: str, value) -> None:
        raise frozen_error(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise frozen_error(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())
