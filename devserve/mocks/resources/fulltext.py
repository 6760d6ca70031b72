"""``q``, json-server 0.17's full-text search: a lower-cased substring in any field of an item
(mixins.js ``deepQuery``), the common field types (strings, integers) tested at once."""

from __future__ import annotations

from typing import Any

from devserve.mocks.resources.jsvalue import MAX_SAFE_INTEGER, js_string, truthy


def search(items: list[Any], needle: str) -> list[Any]:
    """The items with a field that holds ``needle`` (lower case, not empty)."""
    return [item for item in items if holds(item, needle)]


def holds(element: Any, needle: str) -> bool:
    """Whether a field of ``element`` holds ``needle`` (``deep_query`` on each field), the
    common field types tested here at once."""
    for value in element.values() if type(element) is dict else _fields(element):
        kind = type(value)
        if kind is str:
            if needle in value.lower():
                return True
        elif kind is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            if value and needle in str(value):  # 0 is falsy: never searched, as in JavaScript
                return True
        elif value is not None and deep_query(value, needle):
            return True
    return False


def deep_query(value: Any, needle: str) -> bool:
    """mixins.js ``deepQuery``: a lower-cased substring anywhere in a truthy value. A stack,
    not recursion: a hand-written file may nest hundreds of levels deep."""
    if not needle:
        return False
    stack = [value]
    while stack:
        current = stack.pop()
        if not truthy(current):
            continue
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif needle in js_string(current).lower():
            return True
    return False


def _fields(element: Any) -> list[Any]:
    # `for (const key in obj)`: an object's values, an array's items, a string's characters.
    if isinstance(element, dict):
        return list(element.values())
    if isinstance(element, list | str):
        return list(element)
    return []
