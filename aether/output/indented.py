"""Indented JSON text, byte for byte what ``json.dumps(obj, indent=2, ensure_ascii=False,
allow_nan=False)`` gives, several times faster.

With ``indent`` the standard library falls back to its pure-Python encoder, one generator
per nesting level and per value; a warm re-check of 10,000 files spent most of its time
there (docs/benchmarks.md). Here a container holding only scalars (a finding, a clean
file's record) is one call of the C encoder, whose item separator carries the newline and
the indentation; other levels are one loop appending to a list, and anything outside the JSON-from-Python core types
(a key that is not a string, a non-finite number...) makes the whole document go to ``json.dumps`` instead, so the
result never differs from it.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring  # C implementations if present

__all__ = ["dumps_indented", "leaf_encoder"]


class _Unusual(Exception):
    """A value this encoder does not handle exactly like json.dumps: use json.dumps."""


_float_repr = float.__repr__
_int_repr = int.__repr__
_INF = float("inf")
_CONTAINERS = (dict, list, tuple)
_ENCODERS: dict = {}  # indentation -> encode function of a C-accelerated JSONEncoder


def _not_serialisable(value):
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def leaf_encoder(item_separator: str):
    """What json.dumps's C encoder is built as, with this item separator (no circularity
    check: a leaf container holds no container that could lead back to it). Call it as
    ``encode(value, 0)``; it returns an iterable of strings."""
    if c_make_encoder is None:  # pragma: no cover - interpreters without _json
        encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                                   separators=(item_separator, ": "))
        return lambda value, _level: encoder.encode(value)
    return c_make_encoder(None, _not_serialisable, encode_basestring, None, ": ",
                          item_separator, False, False, False)


def dumps_indented(obj) -> str:
    """``obj`` as indented JSON (2 spaces, non-ASCII kept). Raises ValueError for NaN or
    infinity and TypeError for values JSON cannot represent, as json.dumps does."""
    parts: list[str] = []
    append = parts.append

    def scalar(value) -> str:
        # json.dumps's own order of tests, subclasses (an IntEnum status) included
        if isinstance(value, str):
            return encode_basestring(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            return _int_repr(value)
        if isinstance(value, float):
            if value != value or value in (_INF, -_INF):
                raise _Unusual  # json.dumps raises the ValueError with its own wording
            return _float_repr(value)
        raise _Unusual

    def leaf(value, indent: str) -> str:
        # A container holding only scalars and empty containers: one call of the C
        # encoder, its item separator carrying the newline and indentation.
        inner = indent + "  "
        encode = _ENCODERS.get(inner)
        if encode is None:
            encode = _ENCODERS[inner] = leaf_encoder(",\n" + inner)
        text = "".join(encode(value, 0))
        return text[0] + "\n" + inner + text[1:-1] + "\n" + indent + text[-1]

    def dict_run(run: list, indent: str) -> str:
        # Dicts of scalars that follow each other in a list, at ``indent``: one call of the
        # C encoder for all of them, with the dicts' item separator. Where one dict ends
        # and the next begins, '}' + separator + '{', is then the one place to put the
        # list's own separator: inside a dict the separator is followed by a key ('"'),
        # and no encoded string holds the separator's raw newline.
        inner = indent + "  "
        encode = _ENCODERS.get(inner)
        if encode is None:
            encode = _ENCODERS[inner] = leaf_encoder(",\n" + inner)
        text = "".join(encode(run, 0))  # '[{' ... '}]'
        item_sep = ",\n" + inner
        body = text[2:-2].replace("}" + item_sep + "{",
                                  "\n" + indent + "}," + "\n" + indent + "{\n" + inner)
        return "{\n" + inner + body + "\n" + indent + "}"

    def emit(value, indent: str) -> None:
        if isinstance(value, dict):
            if not value:
                append("{}")
                return
            for item in value.values():
                if item and isinstance(item, _CONTAINERS):
                    break
            else:
                append(leaf(value, indent))
                return
            inner = "\n" + indent + "  "
            sep = "{" + inner
            for key, item in value.items():
                if type(key) is not str:
                    raise _Unusual  # json.dumps converts or sorts such keys its own way
                append(sep)
                append(encode_basestring(key))
                append(": ")
                if isinstance(item, _CONTAINERS):
                    emit(item, indent + "  ")
                else:
                    append(scalar(item))
                sep = "," + inner
            append("\n" + indent + "}")
        elif isinstance(value, (list, tuple)):
            if not value:
                append("[]")
                return
            for item in value:
                if item and isinstance(item, _CONTAINERS):
                    break
            else:
                append(leaf(value, indent))
                return
            inner = "\n" + indent + "  "
            sep = "[" + inner
            run: list = []  # consecutive non-empty dicts of scalars (the files of a report)
            for item in value:
                if type(item) is dict and item:
                    for v in item.values():
                        if v and isinstance(v, _CONTAINERS):
                            break
                    else:
                        run.append(item)
                        continue
                if run:
                    append(sep)
                    append(dict_run(run, indent + "  "))
                    sep = "," + inner
                    run = []
                append(sep)
                if isinstance(item, _CONTAINERS):
                    emit(item, indent + "  ")
                else:
                    append(scalar(item))
                sep = "," + inner
            if run:
                append(sep)
                append(dict_run(run, indent + "  "))
            append("\n" + indent + "]")
        else:
            append(scalar(value))

    try:
        emit(obj, "")
    except (_Unusual, RecursionError):
        return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)
    return "".join(parts)
