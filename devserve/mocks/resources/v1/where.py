"""json-server 1.0's filters: ``field:op=value`` query parameters (parse-where.js) and the
``where`` object they build, tested against each item (matches-where.js).

The query is turned into a nested object first (``views:gt=1&author.name=x`` →
``{"views": {"gt": 1}, "author": {"name": {"eq": "x"}}}``), the same shape ``_where`` takes as
JSON, so both go through one matcher. Values are coerced (numbers, true, false, null) and then
compared as JavaScript does: ``===`` for eq/ne/in, ``<``/``<=`` for the order operators.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from typing import Any

from devserve.memo import per_object
from devserve.mocks.resources.dotprop import prop, set_property
from devserve.mocks.resources.jsvalue import (
    UNDEFINED,
    js_less,
    js_less_equal,
    js_number,
    js_string,
    js_trim,
    strict_equal,
)
from devserve.mocks.resources.relations import strict_key

OPERATORS = ("lt", "lte", "gt", "gte", "eq", "ne", "in", "contains", "startsWith", "endsWith")
# 0.17's `views_gte=` spelling, still read by 1.0 for the operators both know. JavaScript's `.`
# stops at line terminators, hence the class rather than `.`.
_LEGACY = re.compile(r"([^\n\r\u2028\u2029]*)_([a-z]+)")


def split_key(key: str) -> tuple[str, str | None]:
    """parse-where.js ``splitKey``: the path and the operator; None for an unknown operator."""
    colon = key.rfind(":")
    if colon != -1:
        path, operator = key[:colon], key[colon + 1 :]
        if not operator:
            return key, "eq"  # `views:=1` filters on a field named "views:"
        return (path, operator) if operator in OPERATORS else (path, None)
    legacy = _LEGACY.fullmatch(key)
    if legacy and legacy.group(1) and legacy.group(2) in OPERATORS:
        return legacy.group(1), legacy.group(2)
    return key, "eq"


def coerce(value: str) -> Any:
    """parse-where.js ``coerceValue``: "true", "false", "null" and finite numbers lose quotes."""
    if value == "true":
        return True
    if value == "false":
        return False
    if value == "null":
        return None
    if js_trim(value) == "":
        return value
    number = js_number(value)
    if number - number != 0:  # NaN or ±Infinity stay text
        return value
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def parse_where(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The where object for the filter parameters, in query order (a repeated key: last wins)."""
    where: dict[str, Any] = {}
    for key, text in pairs:
        path, operator = split_key(key)
        if operator is None:
            continue  # `views:foo=1`: an unknown operator is ignored
        value = (
            [coerce(js_trim(part)) for part in text.split(",")]
            if operator == "in"
            else coerce(text)
        )
        set_property(where, f"{path}.{operator}", value)
    return where


def _entries(where: Any) -> Iterable[tuple[str, Any]]:
    # `Object.entries`: a `_where` array's entries are its indexes.
    if isinstance(where, dict):
        return where.items()
    if isinstance(where, list):
        return ((str(index), value) for index, value in enumerate(where))
    return ()


def matches(item: Any, where: Any) -> bool:
    """matches-where.js ``matchesWhere``, quirks included: a non-object condition never matches,
    and a nested condition on a field that is not an object is passed over."""
    for key, condition in _entries(where):
        if key == "or":
            if not isinstance(condition, list) or not any(
                isinstance(sub, dict) and matches(item, sub) for sub in condition
            ):
                return False
            continue
        if not isinstance(condition, dict):
            return False
        field = prop(item, key)
        if any(operator in condition for operator in OPERATORS):
            if field is UNDEFINED or not _passes(field, condition):
                return False
        elif isinstance(field, dict) and not matches(field, condition):
            return False
    return True


def _key_choices(wanted: list[Any]) -> tuple[frozenset[Hashable], list[Any]]:
    """The ``===`` keys of ``wanted``'s values, and the objects only identity can match."""
    keyed = [(strict_key(choice), choice) for choice in wanted]
    keys = frozenset(key for key, _ in keyed if key is not None)
    return keys, [choice for key, choice in keyed if isinstance(choice, list | dict)]


# `in` is tested for every item against the same list: its values are keyed once (a query
# can carry thousands).
_choices = per_object(_key_choices, max_size=64)


def _passes(field: Any, condition: dict[str, Any]) -> bool:
    for operator in OPERATORS:
        if operator in condition and not _test(operator, field, condition[operator]):
            return False
    return True


def _test(operator: str, field: Any, wanted: Any) -> bool:
    if operator == "lt":
        return js_less(field, wanted)
    if operator == "lte":
        return js_less_equal(field, wanted)
    if operator == "gt":
        return js_less(wanted, field)
    if operator == "gte":
        return js_less_equal(wanted, field)
    if operator == "eq":
        return strict_equal(field, wanted)
    if operator == "ne":
        return not strict_equal(field, wanted)
    if operator == "in":
        if not isinstance(wanted, list):
            return strict_equal(field, wanted)
        keys, objects = _choices(wanted)
        key = strict_key(field)
        return (key is not None and key in keys) or any(field is choice for choice in objects)
    # contains, startsWith, endsWith: case-insensitive, on strings only
    if not isinstance(field, str):
        return False
    text, needle = field.lower(), js_string(wanted).lower()
    if operator == "contains":
        return needle in text
    return text.startswith(needle) if operator == "startsWith" else text.endswith(needle)
