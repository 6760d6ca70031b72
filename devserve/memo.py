"""``per_object``: a function's answer kept per *object*, for arguments that cannot be hashed
(lists, dataclasses with list fields) but come back as the very same object many times — a
cached verdict on every response, a query's ``in`` list tested against every item.

Keyed by ``id``; each entry holds its object, so no other object can take that id while the
entry lives. Bounded: when full, the memo starts again empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class per_object(Generic[T, R]):
    def __init__(self, compute: Callable[[T], R], *, max_size: int) -> None:
        self.compute = compute
        self.max_size = max_size
        self._entries: dict[int, tuple[T, R]] = {}

    def __call__(self, value: T) -> R:
        hit = self._entries.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        result = self.compute(value)
        if len(self._entries) >= self.max_size:
            self._entries.clear()
        self._entries[id(value)] = (value, result)
        return result
