"""``_sort`` and ``_order`` as json-server 0.17 sorts (lodash ``orderBy``): stable, one field
after another, null and undefined last; plain keys where the values allow it (fast)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key
from itertools import chain
from typing import Any

from devserve.mocks.resources.byid import SLICE, sliced
from devserve.mocks.resources.jsvalue import (
    UNDEFINED,
    compare_ascending,
    get_path,
    is_number,
    utf16,
)


def sort_items(items: list[Any], sort: str | None, order_by: str | None) -> list[Any]:
    """``_sort=a,b&_order=desc,asc`` with lodash ``orderBy`` (stable; missing values last)."""
    if not sort:
        return items
    fields = sort.split(",")
    orders = [o.lower() for o in (order_by or "").split(",")]
    order = list(range(len(items)))
    # One stable sort per field, the last field first, orders the same as one multi-key compare.
    for index in reversed(range(len(fields))):
        key = _sort_key([get_path(item, fields[index]) for item in items])
        descending = index < len(orders) and orders[index] == "desc"
        order = _stable_sort(order, key, descending)
    return [items[i] for i in order]


def _stable_sort(order: list[int], key: Callable[[int], Any], descending: bool) -> list[int]:
    """``sorted(order, key=key, reverse=descending)``. One sort in C holds the GIL until it is
    done (a big collection is sorted in a worker thread, and the event loop's thread waits for
    the GIL), so slices are sorted first, each quick, and their concatenation last: a sort of
    a few sorted runs is a quick merge. Both sorts are stable, so ties keep their order."""
    if len(order) <= SLICE:
        return sorted(order, key=key, reverse=descending)
    runs = [sorted(part, key=key, reverse=descending) for part in sliced(order)]
    return sorted(chain.from_iterable(runs), key=key, reverse=descending)


def _sort_key(values: list[Any]) -> Callable[[int], Any]:
    """A key for one field: plain values when they are all numbers or all strings, with
    null and then undefined after them (the common cases, and fast), else lodash's comparison
    (``compareAscending``: mixed types)."""
    present = [v for v in values if v is not None and v is not UNDEFINED]
    if all(is_number(v) and v == v for v in present):
        plain: list[Any] = present
    elif all(isinstance(v, str) for v in present):
        # JavaScript compares strings by UTF-16 code unit: big-endian UTF-16 bytes sort alike.
        ascii_only = all(v.isascii() for v in present)
        plain = present if ascii_only else [utf16(v) for v in present]
    else:
        keyed = cmp_to_key(compare_ascending)
        return lambda index: keyed(values[index])
    if len(plain) == len(values):
        return plain.__getitem__
    ranked = iter(plain)
    keys = [(0, next(ranked)) if v is not None and v is not UNDEFINED else _LAST[v] for v in values]
    return keys.__getitem__


_LAST: dict[Any, tuple[int, int]] = {None: (1, 0), UNDEFINED: (2, 0)}  # lodash: null, undefined



