"""Read the JSON documents aether is handed (baselines, migration reports, its result cache),
and write the one canonical form that aether hashes and signs (:func:`canonical_json`).

One place turns every malformed document into a :class:`DocumentError` whose message names
the file and the fault: unreadable, not UTF-8, not JSON, ``NaN`` / ``Infinity`` (not JSON,
although Python's reader takes them), or nested more than :data:`MAX_DEPTH` levels. The
depth limit is what lets every consumer walk a document with ordinary recursion: Python's
reader itself fails with RecursionError on about a thousand levels, and so would any
recursive walk of what it returns. aether's own documents nest six levels at most.
"""

from __future__ import annotations

import json
TYPE_CHECKING = False  # typing is not imported at run time (start-up time)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_DEPTH", "DocumentError", "parse_json", "read_json", "check_depth",
           "type_name", "canonical_json", "canonical_text_of_parsed"]

MAX_DEPTH = 100


class DocumentError(ValueError):
    """A JSON document that cannot be used; the message names the document and the fault."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def type_name(value: Any) -> str:
    """The JSON name of ``value``'s type (for messages: "found a string")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def check_depth(value: Any, where: str, limit: int = MAX_DEPTH) -> None:
    """Raise DocumentError when ``value`` (parsed JSON) nests more than ``limit`` levels
    (less than MAX_DEPTH for a part of a document that itself lies that deep).

    Iterative, and linear in the number of values.
    """
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > limit:
            raise DocumentError(f"{where} is nested too deeply (a document may nest at "
                                f"most {MAX_DEPTH} levels)")
        for child in (item.values() if type(item) is dict else item):
            kind = type(child)
            if kind is dict or kind is list:
                push((child, depth + 1))


def parse_json(text: str, where: str, depth_checked: bool = False) -> Any:
    """The value of the JSON ``text``; ``where`` names it in messages (``baseline x.json``).

    ``depth_checked``: the caller checks the nesting of the parts it does not validate
    itself (a large baseline is validated field by field anyway). Raises DocumentError.
    """
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise DocumentError(f"{where} is nested too deeply (a document may nest at most "
                            f"{MAX_DEPTH} levels)") from None
    except ValueError as exc:
        raise DocumentError(f"{where} is not valid JSON: {exc}") from None
    if not depth_checked and type(value) in (dict, list):
        check_depth(value, where)
    return value


def read_json(path: str, where: str, depth_checked: bool = False) -> Any:
    """Read and parse the JSON file at ``path`` (UTF-8, a BOM allowed).

    Raises DocumentError when it is missing, unreadable, not UTF-8 or not usable JSON.
    """
    from .readfile import DocumentReadError, read_document

    try:
        raw = read_document(path)
    except DocumentReadError as exc:
        if exc.missing:
            raise DocumentError(f"{where} does not exist") from None
        raise DocumentError(f"cannot read {where}: it {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{where} is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise DocumentError(f"{where} is empty")
    return parse_json(text, where, depth_checked)


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value, the form every hash and signature covers (the
    audit ledger, approvals, signed payloads): sorted keys, UTF-8, fixed separators.

    Raises ValueError for NaN/Infinity and TypeError for a value JSON cannot hold.
    """
    return _CANONICAL(value).encode("utf-8")


# One encoder for every call: building a JSONEncoder per call costs more than encoding a
# small ledger entry.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=False).encode


def _parsed_encoder():
    """The C encoder of :func:`canonical_json`'s form built once, without the circular-reference
    bookkeeping (a parsed document has no cycles), or the ordinary encoder's ``encode``
    where this Python has no C encoder or it does not produce exactly the canonical form.

    Why: ``JSONEncoder.encode`` builds a new C encoder on every call, which costs more than
    encoding a small ledger entry; offline audit verification encodes every entry.
    """
    try:
        from json.encoder import c_encode_basestring, c_make_encoder

        if c_make_encoder is None or c_encode_basestring is None:
            raise ImportError
        encoder = c_make_encoder(None, None, c_encode_basestring, None, ":", ",", True,
                                 False, False)

        join = "".join

        def encode(value: Any) -> str:
            return join(encoder(value, 0))

        sample = {"b": [1, 2.5, -0.0, 1e300, True, None, "\u00e9\n\"\u2028"], "a": {"z": {}, "é": []}}
        if encode(sample) != _CANONICAL(sample):
            raise ImportError
        return encode
    except (ImportError, TypeError, ValueError):  # another signature or no C encoder
        return _CANONICAL


_ENCODE_PARSED = _parsed_encoder()


def canonical_text_of_parsed(value: Any) -> str:
    """The canonical form (as :func:`canonical_json`, but text) of ``value``, a value as
    ``json.loads`` returns it: acyclic, only JSON types. Faster than canonical_json for
    many small values.

    Raises ValueError for NaN/Infinity, TypeError for a non-JSON value and RecursionError
    for a value nested deeper than the interpreter's recursion limit.
    """
    return _ENCODE_PARSED(value)
