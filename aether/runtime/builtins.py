"""Implementations of the pure builtins and value methods of ``stdlib/builtins.json``.

Each pure builtin is ``impl(frame, *args, **kwargs)`` with the parameters the catalogue
declares (a test holds every pure builtin and method to having one). They take and return
Aether values only, never change their arguments (value semantics) and raise
AetherRuntimeError: AE401 for a value of the wrong type, AE405 for a bad argument, AE407
past the value-size limit. Builtins whose effect is ``tool``, ``memory`` or
``observability`` are not here: they go through the dispatcher (see ``dispatch.py``), so
governance records every effect, including log lines and metrics.

Methods (``text.upper()``) are ``impl(frame, receiver, *args, **kwargs)``. The methods in
:data:`MUTATING` (append, push, extend, pop) also return the receiver's new value; when the
receiver is a variable the compiler rebinds it (``xs.append(1)`` makes ``xs`` a new list;
another name bound to the old list does not change).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, Callable

from .errors import rt_error
from .values import (INT_MAX, MAX_DEPTH, BuiltinValue, ErrorValue, FnValue, _Budget,
                     compare_key, contains_equal, count_equal, index_equal,
                     parse_json_text, repr_value, to_json, to_string, truthy, type_name)

__all__ = ["PURE", "METHODS", "MUTATING", "method_impl", "format_template"]


def _lim(fr) -> int:
    return fr.ctx.limits.max_value_size


def _sized(fr, v):
    n = len(v)
    if n > _lim(fr):
        raise rt_error("AE407", f"{type_name(v)} of size {n} exceeds the value size "
                       f"limit of {_lim(fr)}")
    if n >= BIG:
        fr.ctx.note_alloc(n if type(v) is str else n * 8)
    return v


BIG = 4096  # a value this long counts against the run's memory budget (note_alloc)


def _need(v, *types: type, what: str = "argument"):
    if type(v) not in types:
        names = sorted({type_name(t()) if t is not type(None) else "null" for t in types})
        raise rt_error("AE401", f"{what} must be {' or '.join(names)}, not {type_name(v)}")
    return v


def _num(v, what="argument"):
    if type(v) not in (int, float):
        raise rt_error("AE401", f"{what} must be a number, not {type_name(v)}")
    return v


def _int(v, what="argument"):
    if type(v) is not int:
        raise rt_error("AE401", f"{what} must be an integer, not {type_name(v)}")
    return v


def _seq(v, what="argument"):
    if type(v) is tuple:
        return v
    if v is None:
        return ()  # null is an empty collection where one is read (see docs/runtime.md)
    raise rt_error("AE401", f"{what} must be a list, not {type_name(v)}")


def _checked_int(n):
    if -INT_MAX - 1 <= n <= INT_MAX:
        return n
    raise rt_error("AE407", "integer out of the 64-bit range")


def _finite(x):
    if type(x) is float and not math.isfinite(x):
        raise rt_error("AE407", "number out of range")
    return x


# ---------------------------------------------------------------- format
def format_template(fr, template: str, values: tuple, fields: dict) -> str:
    """``{0}``, ``{}`` and ``{name}`` filled with text of values; ``{{``/``}}`` escape.

    Any other placeholder (``{0.attr}``, ``{0!r}``, ``{:>9}``) is AE405: templates reach no
    attribute and no Python format machinery.
    """
    _need(template, str, what="template")
    out: list[str] = []
    i, n, auto = 0, len(template), 0
    total = 0
    while i < n:
        c = template[i]
        if c == "{":
            if template.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            j = template.find("}", i)
            if j < 0:
                raise rt_error("AE405", "unclosed '{' in template")
            key = template[i + 1:j]
            if key == "":
                key = str(auto)
                auto += 1
            if key.isdigit() and key.isascii():
                k = int(key)
                if k >= len(values):
                    raise rt_error("AE404", f"template refers to value {k} but "
                                   f"{len(values)} were given")
                piece = to_string(values[k])
            elif key.isidentifier() and key.isascii():
                if key not in fields:
                    raise rt_error("AE403", f"template refers to missing field '{key}'")
                piece = to_string(fields[key])
            else:
                raise rt_error("AE405", f"unsupported placeholder '{{{key}}}' (use {{0}} or "
                               "{name})")
            out.append(piece)
            total += len(piece)
            if total > _lim(fr):
                raise rt_error("AE407", "formatted text exceeds the value size limit")
            i = j + 1
        elif c == "}":
            if template.startswith("}}", i):
                out.append("}")
                i += 2
                continue
            raise rt_error("AE405", "single '}' in template")
        else:
            j = i
            while j < n and template[j] not in "{}":
                j += 1
            out.append(template[i:j])
            i = j
    return _sized(fr, "".join(out))


# ---------------------------------------------------------------- pure builtins
def b_abs(fr, value):
    return _checked_int(abs(_num(value))) if type(value) is int else abs(_num(value))


def b_all(fr, values):
    return all(truthy(v) for v in _seq(values))


def b_any(fr, values):
    return any(truthy(v) for v in _seq(values))


def b_append(fr, values, value):
    return _sized(fr, _seq(values) + (value,))


def b_available_plugins(fr):
    return tuple(sorted(fr.ctx.plugins))


def b_average(fr, values):
    vals = _seq(values)
    if not vals:
        return None
    return _finite(sum(_num(v, "item") for v in vals) / len(vals))


def b_bool(fr, value):
    return truthy(value)


def b_ceil(fr, value):
    return _checked_int(math.ceil(_finite(_num(value))))


def _confidence(value) -> float:
    t = type(value)
    if t is bool:
        return 1.0 if value else 0.0
    if t in (int, float):
        return float(min(1.0, max(0.0, value)))
    if t is dict and type(value.get("confidence")) in (int, float):
        return float(min(1.0, max(0.0, value["confidence"])))
    return 1.0 if truthy(value) else 0.0


def b_evaluate_confidence(fr, value, threshold=None):
    return _confidence(value)


def b_check_confidence(fr, value, threshold=0.5):
    return _confidence(value) >= _num(threshold, "threshold")


def b_contains(fr, container, value):
    t = type(container)
    if container is None:
        return False
    if t is str:
        return _need(value, str, what="substring") in container
    if t is tuple:
        return contains_equal(container, value)
    if t is dict:
        return type(value) is str and value in container
    raise rt_error("AE401", f"cannot look inside a {type_name(container)}")


def b_count(fr, values, value=None):
    if type(values) is str:
        return len(values) if value is None else values.count(_need(value, str))
    vals = _coll(values)
    if value is None:
        return len(vals)
    return count_equal(vals, value)


def _coll(v):
    if type(v) in (tuple, str):
        return v
    if type(v) is dict:
        return tuple(v)
    if v is None:
        return ()
    raise rt_error("AE401", f"expected a list, map or string, not {type_name(v)}")


def b_exists(fr, value):
    return value is not None


def b_filter(fr, values, predicate=None):
    vals = _seq(values)
    if predicate is None:
        return tuple(v for v in vals if truthy(v))
    return tuple(v for v in vals if truthy(fr.call_value(predicate, (v,))))


def b_first(fr, values):
    vals = _coll(values)
    return vals[0] if vals else None


def b_last(fr, values):
    vals = _coll(values)
    return vals[-1] if vals else None


def b_float(fr, value):
    t = type(value)
    if t is bool:
        return 1.0 if value else 0.0
    if t in (int, float):
        return float(value)
    if t is str:
        try:
            return _finite(float(value.strip().replace("_", "")))
        except ValueError:
            raise rt_error("AE405", f"'{value[:40]}' is not a number") from None
    raise rt_error("AE401", f"cannot make a number of a {type_name(value)}")


def b_int(fr, value):
    t = type(value)
    if t is bool:
        return 1 if value else 0
    if t is int:
        return value
    if t is float:
        if not math.isfinite(value):
            raise rt_error("AE407", "number out of range")
        return _checked_int(int(value))
    if t is str:
        text = value.strip()
        if len(text) > 30:
            raise rt_error("AE407", "integer text too long")
        try:
            return _checked_int(int(text))
        except ValueError:
            try:
                return _checked_int(int(float(text)))
            except (ValueError, OverflowError):
                raise rt_error("AE405", f"'{text[:40]}' is not an integer") from None
    raise rt_error("AE401", f"cannot make an integer of a {type_name(value)}")


def b_floor(fr, value):
    return _checked_int(math.floor(_finite(_num(value))))


def b_format(fr, template, *values, **fields):
    return format_template(fr, template, values, fields)


def b_uuid(fr):
    return fr.ctx.rng.uuid()


def b_get(fr, mapping, key, default=None):
    t = type(mapping)
    if mapping is None:
        return default
    if t is dict:
        return mapping.get(key, default) if type(key) is str else default
    if t is tuple or t is str:
        if type(key) is not int:
            raise rt_error("AE401", f"a {type_name(mapping)} index must be an integer")
        return mapping[key] if -len(mapping) <= key < len(mapping) else default
    raise rt_error("AE401", f"cannot get from a {type_name(mapping)}")


def b_get_session_id(fr):
    return fr.ctx.run_id


def b_items(fr, mapping):
    if mapping is None:
        return ()
    return tuple((k, v) for k, v in _need(mapping, dict).items())


def b_keys(fr, mapping):
    if mapping is None:
        return ()
    return tuple(_need(mapping, dict))


def b_values(fr, mapping):
    if mapping is None:
        return ()
    return tuple(_need(mapping, dict).values())


def b_join(fr, values, sep=""):
    _need(sep, str, what="separator")
    # the length is known before the text is built: joining 1,000 copies of a string at
    # the size limit must not build 10 GB first
    lim = _lim(fr)
    pieces, total = [], -len(sep)
    for v in _seq(values):
        piece = v if type(v) is str else to_string(v, _Budget(chars=lim + 1))
        total += len(piece) + len(sep)
        if total > lim:
            raise rt_error("AE407", f"joined text exceeds the value size limit of {lim}")
        pieces.append(piece)
    return sep.join(pieces)


def b_len(fr, value):
    t = type(value)
    if t is str or t is tuple or t is dict:
        return len(value)
    if value is None:
        return 0
    raise rt_error("AE401", f"a {type_name(value)} has no length")


def _case_sized(fr, text: str, changed: str) -> str:
    # a case mapping can lengthen text ("ß" -> "SS", "ΐ" -> 3 code points): the result
    # obeys the value-size limit like any text a builtin builds
    if len(changed) > len(text) and len(changed) > _lim(fr):
        raise rt_error("AE407", "text exceeds the value size limit")
    return changed


def b_lower(fr, text):
    return _case_sized(fr, text, _need(text, str).lower())


def b_upper(fr, text):
    return _case_sized(fr, text, _need(text, str).upper())


def b_strip(fr, text):
    return _need(text, str).strip()


def b_map(fr, values, fn):
    return tuple(fr.call_value(fn, (v,)) for v in _seq(values))


def _extreme(values, pick):
    vals = values[0] if len(values) == 1 and type(values[0]) is tuple else values
    if not vals:
        raise rt_error("AE405", "needs at least one value")
    return pick(vals, key=compare_key)


def b_max(fr, *values):
    return _extreme(values, max)


def b_min(fr, *values):
    return _extreme(values, min)


def b_merge(fr, *mappings):
    out: dict = {}
    for m in mappings:
        if m is None:
            continue
        out.update(_need(m, dict, what="merge argument"))
    return _sized(fr, out)


def b_now(fr):
    return datetime.fromtimestamp(fr.ctx.read_clock(), timezone.utc).isoformat().replace(
        "+00:00", "Z")


def b_parse_input(fr, data=None):
    if data is None:
        return fr.ctx.inputs
    if type(data) is str:
        try:
            return parse_json_text(data)
        except Exception:  # noqa: BLE001 - not JSON: the text itself is the input
            return data
    return data


def b_parse_json(fr, text):
    return parse_json_text(_need(text, str))


def b_percent(fr, part, whole):
    if _num(whole) == 0:
        raise rt_error("AE402", "percent of a whole of 0")
    return _finite(_num(part) / whole * 100)


def b_pow(fr, base, exp):
    _num(base)
    _num(exp)
    if type(base) is int and type(exp) is int:
        if exp < 0:
            if base == 0:
                raise rt_error("AE402", "0 to a negative power")
            return base ** exp
        if abs(base) > 1 and exp * max(1, abs(base).bit_length() - 1) > 64:
            raise rt_error("AE407", "integer out of the 64-bit range")
        return _checked_int(base ** exp)
    try:
        r = float(base) ** float(exp)
    except (OverflowError, ZeroDivisionError):
        raise rt_error("AE407", "number out of range") from None
    if isinstance(r, complex):
        raise rt_error("AE405", "a negative number to a fractional power")
    return _finite(r)


def b_print(fr, *values):
    text = " ".join(to_string(v) for v in values)
    ctx = fr.ctx
    ctx.printed_chars += len(text)
    if ctx.printed_chars > ctx.limits.max_printed:
        raise rt_error("AE407", f"print() wrote more than {ctx.limits.max_printed} "
                       "characters in this run")
    ctx.emit("print", text=text)
    ctx.printed.append(text)
    return None


def b_put(fr, mapping, key, value):
    t = type(mapping)
    if mapping is None or t is dict:
        out = dict(mapping or {})
        out[_need(key, str, what="map key")] = value
        return _sized(fr, out)
    if t is tuple:
        if type(key) is not int or not -len(mapping) <= key < len(mapping):
            raise rt_error("AE404", f"index {repr_value(key)} out of range")
        lst = list(mapping)
        lst[key] = value
        return tuple(lst)
    raise rt_error("AE401", f"cannot put into a {type_name(mapping)}")


def b_random(fr):
    return fr.ctx.rng.random()


def b_range(fr, start, stop=None, step=1):
    if stop is None:
        start, stop = 0, start
    _int(start), _int(stop), _int(step)
    if step == 0:
        raise rt_error("AE405", "range() step must not be 0")
    r = range(start, stop, step)
    if len(r) > _lim(fr):
        raise rt_error("AE407", f"range of {len(r)} items exceeds the value size limit")
    return tuple(r)


def b_reflect(fr, topic=None, tag=None):
    if tag is None:
        fr.ctx.emit("reflect", topic=to_string(topic))
    else:
        fr.ctx.emit("reflect", topic=to_string(topic), tag=to_string(tag))
    return None


def b_replace(fr, text, old, new):
    _need(text, str), _need(old, str), _need(new, str)
    if old and len(new) > len(old) and len(text) + text.count(old) * (
            len(new) - len(old)) > _lim(fr):
        raise rt_error("AE407", "text exceeds the value size limit")
    if not old and (len(text) + 1) * len(new) + len(text) > _lim(fr):
        raise rt_error("AE407", "text exceeds the value size limit")
    return text.replace(old, new)


def b_reverse(fr, values):
    if type(values) is str:
        return values[::-1]
    return tuple(reversed(_seq(values)))


def b_round(fr, value, digits=None):
    _finite(_num(value))
    if digits is None:
        return _checked_int(round(value))
    return round(value, _int(digits, "digits"))


def b_slice(fr, values, start, stop=None):
    if type(values) is not str:
        values = _seq(values)
    _int(start, "start")
    if stop is not None:
        _int(stop, "stop")
    return values[start:stop]


def b_sorted(fr, values, key=None, reverse=False):
    vals = _seq(values)
    if key is None:
        kinds = set(map(type, vals))
        if kinds <= _TEXT or kinds <= _NUMBERS:
            # compare_key is (0, number) or (1, text): among one kind the values order
            # as their keys do, so Python sorts them itself (stable, as below)
            return tuple(sorted(vals, reverse=truthy(reverse)))
        keyf: Callable = compare_key
    elif type(key) is str:
        def keyf(item):
            if type(item) is not dict or key not in item:
                raise rt_error("AE403", f"sort key '{key}' missing in an item")
            return compare_key(item[key])
    else:
        def keyf(item):
            return compare_key(fr.call_value(key, (item,)))
    keys = [keyf(v) for v in vals]
    if len({k[0] for k in keys}) > 1:
        raise rt_error("AE401", "cannot order numbers and strings together")
    order = sorted(range(len(vals)), key=keys.__getitem__, reverse=truthy(reverse))
    return tuple(vals[i] for i in order)


def b_split(fr, text, sep=None):
    _need(text, str)
    if sep is None:
        return tuple(text.split())
    if _need(sep, str, what="separator") == "":
        raise rt_error("AE405", "empty separator")
    return tuple(text.split(sep))


def b_str(fr, value):
    return _sized(fr, to_string(value, _Budget(chars=_lim(fr) + 1)))


def b_stringify(fr, value):
    return _sized(fr, json.dumps(to_json(value, _Budget(chars=_lim(fr) + 1)),
                                 ensure_ascii=False))


def b_sum(fr, values):
    total: Any = 0
    for v in _seq(values):
        total += _num(v, "item")
    return _checked_int(total) if type(total) is int else _finite(total)


def b_time_since(fr, timestamp):
    now = fr.ctx.read_clock()
    if type(timestamp) in (int, float):
        return now - timestamp
    _need(timestamp, str, what="timestamp")
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise rt_error("AE405", f"'{timestamp[:40]}' is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return now - moment.timestamp()


def b_typeof(fr, value):
    return type_name(value)


def b_unique(fr, values):
    # one hashable key per value, equal exactly when the values are equal (1 and 1.0 are
    # one number, true is no number): linear time (an `equal` scan of the kept values
    # made unique() of 100,000 numbers take hours, past any deadline)
    vals = _seq(values)
    if set(map(type, vals)) <= _PLAIN:
        # strings, numbers and nulls: Python's == and hash are Aether's equality there
        # (1 and 1.0 one key, a string never a number), and dict.fromkeys keeps the first
        # of each in order, in C
        return tuple(dict.fromkeys(vals))
    out: list = []
    seen: set = set()
    memo: dict = {}
    for v in vals:
        k = _unique_key(v, memo, 0)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return tuple(out)


_PLAIN = frozenset({str, int, float, type(None)})  # no bool: True == 1 in Python
_TEXT = frozenset({str})
_NUMBERS = frozenset({int, float})


def _unique_key(v, memo: dict, depth: int):
    t = type(v)
    if t is str:
        return ("s", v)
    if t is bool:
        return ("b", v)
    if t is int or t is float:
        return ("n", v)
    if v is None:
        return ("z",)
    if t is tuple or t is dict:
        key = memo.get(id(v))
        if key is not None:
            return key
        if depth > MAX_DEPTH:
            raise rt_error("AE407", f"value nested more than {MAX_DEPTH} levels deep")
        if t is tuple:
            shape = ("l", tuple(_unique_key(x, memo, depth + 1) for x in v))
        else:
            shape = ("m", frozenset((k, _unique_key(x, memo, depth + 1)) for k, x in v.items()))
        # Hash-consed: equal shapes get one small key ("c", n), so a key never nests its
        # children's shapes. Nested keys made `xs: [xs, xs]` forty times a key of 2**40
        # leaves, which hashing walked in C, past any deadline. (The memo's keys: ids are
        # ints, shapes are tuples, "keep" a str: they never collide.)
        key = memo.get(shape)
        if key is None:
            key = memo[shape] = ("c", len(memo))
        memo[id(v)] = key
        return key
    if t is BuiltinValue:
        return ("f", v.name)
    if t is ErrorValue:
        fields = v.as_map()  # a new map: kept alive, so that no later map reuses its id
        memo.setdefault("keep", []).append(fields)
        return ("e", _unique_key(fields, memo, depth + 1))
    if t is FnValue:  # one fn, and for a closure the same enclosing call
        return ("o", id(v.code), id(v.env))
    return ("o", id(v))


def b_verify(fr, condition, message=None):
    if not truthy(condition):
        raise rt_error("AE414", to_string(message) if message is not None
                       else "verify() failed: the condition is false")
    return True


PURE: dict[str, Callable] = {
    "abs": b_abs, "all": b_all, "any": b_any, "append": b_append,
    "available_plugins": b_available_plugins, "average": b_average, "bool": b_bool,
    "ceil": b_ceil, "check_confidence": b_check_confidence, "contains": b_contains,
    "count": b_count, "evaluate_confidence": b_evaluate_confidence, "exists": b_exists,
    "filter": b_filter, "first": b_first, "float": b_float, "floor": b_floor,
    "format": b_format, "generate_uuid": b_uuid, "get": b_get,
    "get_session_id": b_get_session_id, "int": b_int, "items": b_items, "join": b_join,
    "keys": b_keys, "last": b_last, "len": b_len, "lower": b_lower, "map": b_map,
    "max": b_max, "merge": b_merge, "min": b_min, "now": b_now, "parse_input": b_parse_input,
    "parse_json": b_parse_json, "percent": b_percent, "pow": b_pow, "print": b_print,
    "put": b_put, "random": b_random, "range": b_range, "reflect": b_reflect,
    "replace": b_replace, "reverse": b_reverse, "round": b_round, "slice": b_slice,
    "sorted": b_sorted, "split": b_split, "str": b_str, "stringify": b_stringify,
    "strip": b_strip, "sum": b_sum, "time_since": b_time_since, "to_json": b_stringify,
    "typeof": b_typeof, "unique": b_unique, "upper": b_upper, "uuid": b_uuid,
    "values": b_values, "verify": b_verify,
}



def _counted(impl: Callable) -> Callable:
    """``impl`` whose large results count against the run's memory budget: these
    builtins copy a value without :func:`_sized` (keys of a big map, a sorted list)."""
    import functools

    @functools.wraps(impl)
    def counted(fr, *args, **kwargs):
        v = impl(fr, *args, **kwargs)
        t = type(v)
        if (t is tuple or t is str or t is dict) and len(v) >= BIG:
            fr.ctx.note_alloc(len(v) if t is str else len(v) * 8)
        return v
    return counted


for _name in ("range", "filter", "items", "keys", "values", "map", "merge", "reverse", "slice",
              "sorted", "split", "unique", "put", "parse_json", "parse_input", "replace",
              "lower", "upper", "strip"):
    PURE[_name] = _counted(PURE[_name])

# ---------------------------------------------------------------- methods
def _m_index(fr, recv, value):
    if type(recv) is str:
        i = recv.find(_need(value, str))
    else:
        i = index_equal(recv, value)
    if i < 0:
        raise rt_error("AE403", f"{repr_value(value)[:60]} not found")
    return i


def _m_find(fr, recv, value):
    if type(recv) is str:
        return recv.find(_need(value, str))
    return index_equal(recv, value)


def _m_sort_by(fr, recv, key=None, reverse=False):
    return PURE["sorted"](fr, recv, key, reverse)


def _m_pop(fr, recv, index=None):
    if type(recv) is dict:
        if type(index) is not str or index not in recv:
            raise rt_error("AE403", f"key {repr_value(index)[:60]} not found")
        out = dict(recv)
        value = out.pop(index)
        return out, value
    if not recv:
        raise rt_error("AE404", "pop from an empty list")
    i = len(recv) - 1 if index is None else _int(index, "index")
    if not -len(recv) <= i < len(recv):
        raise rt_error("AE404", f"index {i} out of range")
    i %= len(recv)
    return recv[:i] + recv[i + 1:], recv[i]


def _m_append(fr, recv, value):
    new = b_append(fr, recv, value)
    return new, new


def _m_extend(fr, recv, values):
    new = _sized(fr, recv + _seq(values))
    return new, new


# (receiver type, method) -> impl(frame, receiver, *args, **kwargs)
_S, _L, _M = str, tuple, dict
METHODS: dict[tuple[type, str], Callable] = {}


def _reg(types, name, impl):
    for t in types:
        METHODS[(t, name)] = impl


_reg((_L,), "average", b_average)
_reg((_S, _L, _M), "contains", b_contains)
_reg((_S, _L, _M), "copy", lambda fr, r: r)
_reg((_S, _L, _M), "count", b_count)
_reg((_S,), "endswith", lambda fr, r, s: r.endswith(_need(s, str)))
_reg((_S,), "startswith", lambda fr, r, s: r.startswith(_need(s, str)))
_reg((_L,), "filter", PURE["filter"])
_reg((_S, _L), "find", _m_find)
_reg((_S, _L, _M), "first", b_first)
_reg((_S, _L, _M), "last", b_last)
_reg((_S,), "format", lambda fr, r, *v, **f: format_template(fr, r, v, f))
_reg((_L, _M), "get", b_get)
_reg((_S, _L), "index", _m_index)
_reg((_M,), "items", PURE["items"])
_reg((_M,), "keys", PURE["keys"])
_reg((_M,), "values", PURE["values"])
_reg((_L,), "join", b_join)
_reg((_S,), "join", lambda fr, sep, values: b_join(fr, values, sep))
_reg((_S, _L, _M), "length", b_len)
_reg((_S,), "lower", PURE["lower"])
_reg((_S,), "upper", PURE["upper"])
_reg((_S,), "strip", PURE["strip"])
_reg((_S,), "trim", PURE["strip"])
_reg((_L,), "map", PURE["map"])
_reg((_L,), "max", lambda fr, r: b_max(fr, r))
_reg((_L,), "min", lambda fr, r: b_min(fr, r))
_reg((_L,), "sum", b_sum)
_reg((_M,), "merge", PURE["merge"])
_reg((_S,), "replace", PURE["replace"])
_reg((_S, _L), "reverse", PURE["reverse"])
_reg((_S, _L), "slice", PURE["slice"])
_reg((_L,), "sort_by", _m_sort_by)
_reg((_S,), "split", PURE["split"])
_reg((_S, _L, _M, int, float, bool, type(None)), "to_string", b_str)
_reg((_L,), "append", _m_append)
_reg((_L,), "push", _m_append)
_reg((_L,), "extend", _m_extend)
_reg((_L, _M), "pop", _m_pop)

MUTATING = frozenset({"append", "push", "extend", "pop"})


def method_impl(receiver: Any, name: str) -> Callable:
    """The implementation of method ``name`` on ``receiver`` (AE401 when it has none)."""
    impl = METHODS.get((type(receiver), name))
    if impl is None:
        raise rt_error("AE401", f"a {type_name(receiver)} has no method '{name}'")
    return impl
