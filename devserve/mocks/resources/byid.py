"""Items by id on a big collection: passes of C over the ids where their types allow it
(integers and strings, as nearly every file has), the item-by-item JavaScript rules otherwise.

A pass of C holds the GIL until it returns, so each one takes a slice of SLICE items: a write
runs in a worker thread, and the event loop's thread must get the GIL between slices.
Each function gives exactly what its item-by-item twin gives (query.find_by_id,
writes.create_id, writes.dangling); tests/mocks/resources/test_byid.py checks them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any, TypeVar

from devserve.mocks.resources.jsvalue import MAX_SAFE_INTEGER, js_string

T = TypeVar("T")
SLICE = 8192  # items per pass of C: about a millisecond
# A string String(number) can give: ids compared as strings may then match a number.
_NUMBER_TEXT = re.compile(r"-?(?:[0-9.]+(?:e[-+][0-9]+)?|Infinity)|NaN")
_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]{0,15}")
# Types whose == agrees with String()'s equality here (True == 1; None prints "null": slow).
_PLAIN = frozenset({int, str, float})
SLOW = -1  # index_by_text: only the item-by-item rules can tell


def sliced(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), SLICE):
        yield values[start : start + SLICE]


def mapped(function: Callable[[Any], T], values: list[Any]) -> list[T]:
    """``list(map(function, values))``, a slice at a time."""
    result: list[T] = []
    for part in sliced(values):
        result += map(function, part)
    return result


def kinds(values: list[Any]) -> set[type]:
    """The types of ``values``."""
    found: set[type] = set()
    for part in sliced(values):
        found.update(map(type, part))
    return found


def distinct(values: Iterable[Any]) -> dict[Any, None]:
    """``values`` once each, in order (hashable values only)."""
    found: dict[Any, None] = {}
    for part in values:
        found.update(dict.fromkeys(part))
    return found


def ids_of(collection: list[Any], id_field: str) -> list[Any] | None:
    """Every item's id, in order; None when an item is not an object or has no id."""
    try:
        return mapped(itemgetter(id_field), collection)
    except (KeyError, TypeError, IndexError):
        return None


def index_by_text(ids: list[Any], text: str) -> int | None:
    """The position of the first id whose ``String(id)`` is ``text``, None when there is
    none, or SLOW when only the item-by-item rules can tell (an id of another type)."""
    if not kinds(ids) <= _PLAIN:
        return SLOW
    if _CANONICAL_INT.fullmatch(text) and abs(number := int(text)) <= MAX_SAFE_INTEGER:
        # A number prints as `text` exactly when it equals `number`; a string when it is it.
        return first_index(ids, number, text)
    if _NUMBER_TEXT.fullmatch(text):
        return SLOW  # "1.5", "1e+21": the floats' own rules
    return first_index(ids, text)


def first_index(ids: list[Any], *wanted: Any) -> int | None:
    """The position of the first id ``==`` one of ``wanted``, or None."""
    for start in range(0, len(ids), SLICE):
        part = ids[start : start + SLICE]
        found = [part.index(value) for value in wanted if value in part]
        if found:
            return start + min(found)
    return None


def largest_int(ids: list[Any]) -> int | None:
    """The largest id when every id is an integer (no boolean, no None), else None."""
    if not ids or kinds(ids) != {int}:
        return None
    largest: int = max(max(part) for part in sliced(ids))
    return largest


def id_texts(table: Any, id_field: str) -> set[str]:
    """``String(id)`` of every item of a collection (or singular resource) that has an id."""
    ids = ids_of(table, id_field) if isinstance(table, list) else None
    if ids is not None and kinds(ids) <= {int, str}:
        numbers = [value for value in ids if type(value) is int] if str in kinds(ids) else ids
        if all(-MAX_SAFE_INTEGER <= min(p) <= max(p) <= MAX_SAFE_INTEGER for p in sliced(numbers)):
            texts: set[str] = set()
            for part in sliced(ids):
                texts.update(map(str, part))
            return texts
    items = table.values() if isinstance(table, dict) else table
    return {
        js_string(item[id_field]) for item in items if isinstance(item, dict) and id_field in item
    }


def missing_keys(values: list[Any], texts: set[str]) -> set[Any] | None:
    """The values (foreign keys, None aside) whose ``String(value)`` is not in ``texts``;
    None when the values are not all numbers and strings (then the slow rules apply)."""
    if not kinds(values) <= {*_PLAIN, type(None)}:
        return None  # True and 1 are one in a set, and print differently
    found = distinct(sliced(values))
    found.pop(None, None)
    return {value for value in found if _text(value) not in texts}


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value)
    return js_string(value)
