"""per_object: computed once per object, never handed to an equal but different object, and
bounded."""

from __future__ import annotations

from devserve.memo import per_object


def test_once_per_object_and_never_for_an_equal_other() -> None:
    calls: list[list[int]] = []

    def total(values: list[int]) -> int:
        calls.append(values)
        return sum(values)

    memo = per_object(total, max_size=2)
    first, twin = [1, 2], [1, 2]
    assert memo(first) == memo(first) == 3 and len(calls) == 1
    assert memo(twin) == 3 and calls[-1] is twin  # equal is not the same object
    first.append(3)  # what the caller mutates is its own business: still the kept answer
    assert memo(first) == 3
    memo([9])  # a third object: the memo was full, so it starts again
    assert memo(first) == 6 and calls[-1] is first
