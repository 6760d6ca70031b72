"""Paths into JSON values as json-server 1.0 reads them (the dot-prop package): ``author.name``.

1.0 builds its filters with dot-prop's ``setProperty`` and sorts with its ``getProperty``; this
follows both for dotted paths with backslash escapes (``a\\.b`` is the key ``a.b``). dot-prop's
bracket indexes (``tags[0]``) are not read: a bracket is an ordinary character here.
"""

from __future__ import annotations

import re
from typing import Any

from devserve.mocks.resources.jsvalue import UNDEFINED, array_index

# dot-prop refuses these keys (prototype pollution): a path holding one reads and sets nothing.
_DISALLOWED = frozenset({"__proto__", "prototype", "constructor"})
# dot-prop turns such a segment into an array index (and creates an array for it).
_INDEX = re.compile(r"0|[1-9]\d{0,6}")
_MAX_INDEX = 1_000_000


def segments(path: str) -> list[str]:
    """``a.b\\.c`` → ``["a", "b.c"]``; empty when a segment is a disallowed key."""
    parts: list[str] = []
    current = ""
    escaping = False
    for character in path:
        if escaping:
            current += character
            escaping = False
        elif character == "\\":
            escaping = True
        elif character == ".":
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    return [] if any(part in _DISALLOWED for part in parts) else parts


def is_index(segment: str) -> bool:
    return _INDEX.fullmatch(segment) is not None and int(segment) <= _MAX_INDEX


def prop(value: Any, key: str) -> Any:
    """``value[key]`` for a JSON value: own keys, array items, ``length``; else undefined."""
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if isinstance(value, list | str):
        if key == "length":
            return len(value)
        index = array_index(key, len(value))
        if index is not None and str(index) == key:
            return value[index]
    return UNDEFINED


def get_property(value: Any, path: str) -> Any:
    """dot-prop ``getProperty``: undefined as soon as a step finds nothing."""
    if not isinstance(value, dict | list):
        return value  # dot-prop hands a non-object back as it is
    parts = segments(path)
    if not parts:
        return UNDEFINED
    for position, part in enumerate(parts):
        value = prop(value, part)
        if value is None or value is UNDEFINED:
            return value if position == len(parts) - 1 else UNDEFINED
    return value


def set_property(root: dict[str, Any], path: str, value: Any) -> None:
    """dot-prop ``setProperty``: missing or primitive steps become objects (arrays before an
    index), as in JavaScript; setting a named key on an array is lost, as it is in JSON."""
    parts = segments(path)
    target: Any = root
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if not last:
            child = _read(target, part)
            if not isinstance(child, dict | list):
                child = [] if is_index(parts[position + 1]) else {}
                _write(target, part, child)
            target = child
        else:
            _write(target, part, value)


def _read(target: Any, key: str) -> Any:
    return prop(target, key) if isinstance(target, dict | list) else UNDEFINED


def _write(target: Any, key: str, value: Any) -> None:
    if isinstance(target, dict):
        target[key] = value
    elif isinstance(target, list) and is_index(key):
        index = int(key)
        target.extend([None] * (index + 1 - len(target)))  # a JavaScript array's holes
        target[index] = value
