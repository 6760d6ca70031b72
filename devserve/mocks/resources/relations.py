"""Embedding children without a quadratic walk: ``_embed=comments`` on 500 posts used to test
every comment against every post (a second for a modest db.json, with every origin waiting).
The children are now grouped once per request by the key the match compares, with exactly the
equality json-server uses (``===``), so a lookup per item gives the same list in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from devserve.mocks.resources.jsvalue import UNDEFINED, is_number

_UNDEFINED_KEY = ("undefined",)


def strict_key(value: Any) -> Hashable | None:
    """A key two values share exactly when ``===`` (jsvalue.strict_equal) finds them equal;
    None for values only identity could match (objects, arrays) and for NaN (never equal)."""
    if is_number(value):
        return None if isinstance(value, float) and math.isnan(value) else ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, bool):
        return ("boolean", value)
    if value is None:
        return ("null",)
    if value is UNDEFINED:
        return _UNDEFINED_KEY
    return None


class Children:
    """``rows`` grouped by ``read(row)``: the rows whose key equals a wanted value, in order."""

    def __init__(
        self, rows: Iterable[Any], read: Callable[[Any], Any], values: list[Any] | None = None
    ) -> None:
        """``values``: ``read`` of each row, when the caller has them already."""
        self.rows = list(rows)
        self.read = read
        # Numbers and strings (nearly every key) in dicts of their own, by value: no tuple
        # key to build per row. 1 and 1.0 are one key, as 1 === 1.0; True is not a number.
        self.numbers: dict[Any, list[Any]] = {}
        self.strings: dict[str, list[Any]] = {}
        self.groups: dict[Hashable, list[Any]] = {}
        numbers, strings = self.numbers, self.strings
        read_all = map(read, self.rows) if values is None else values
        for row, value in zip(self.rows, read_all, strict=True):
            kind = type(value)
            if kind is int or (kind is float and value == value):
                group = numbers.get(value)
                if group is None:
                    numbers[value] = [row]
                else:
                    group.append(row)
            elif kind is str:
                group = strings.get(value)
                if group is None:
                    strings[value] = [row]
                else:
                    group.append(row)
            elif (key := strict_key(value)) is not None:
                self.groups.setdefault(key, []).append(row)

    def equal_to(self, wanted: Any) -> list[Any] | None:
        """The rows whose key is ``=== wanted``; None when ``wanted`` is an object or array
        (the caller compares those itself: identity or deep equality, per dialect)."""
        if isinstance(wanted, list | dict):
            return None
        kind = type(wanted)
        if kind is int or kind is float:
            return list(self.numbers.get(wanted, []))
        if kind is str:
            return list(self.strings.get(wanted, []))
        key = strict_key(wanted)
        return [] if key is None else list(self.groups.get(key, []))

    def first_equal_to(self, wanted: Any) -> Any:
        """The first row whose key is ``=== wanted``, or UNDEFINED (a parent by its id)."""
        found = self.equal_to(wanted)
        if found is None:  # an object: only identity, which no stored row shares
            return next((row for row in self.rows if self.read(row) is wanted), UNDEFINED)
        return found[0] if found else UNDEFINED
