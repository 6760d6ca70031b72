"""``_sort=-views,title`` as json-server 1.0 sorts (the sort-on package over dot-prop paths).

A leading ``-`` sorts that field descending. Per field, sort-on puts missing and falsy values
(undefined, null, false, "", NaN; not 0) after the others, or before them when descending,
compares two strings with ``localeCompare`` and anything else with JavaScript's ``<``.
Python's sort is the same TimSort as V8's, so even mixed types come out in the same order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cmp_to_key, lru_cache
from typing import Any

from devserve.mocks.resources.dotprop import get_property
from devserve.mocks.resources.jsvalue import is_number, js_less, strict_equal, truthy


def _nothing(value: Any) -> bool:
    # sort-on's `value !== 0 && !value`
    return not truthy(value) and not (is_number(value) and value == 0)


def _character_class(character: str) -> int:
    # The root collation orders spaces and punctuation, then digits, then letters.
    if character.isdigit():
        return 1
    return 2 if character.isalpha() else 0


@lru_cache(maxsize=4096)  # a sort compares each string many times: normalize it once
def _collation_key(text: str) -> tuple[Any, ...]:
    """An approximation of ICU's root collation (what ``localeCompare`` uses in Node): letters
    compare without case and accents first, then accents, then case (lower before upper)."""
    decomposed = unicodedata.normalize("NFD", text)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    primary = tuple((_character_class(c), c.lower()) for c in base)
    return primary, decomposed.lower(), text.swapcase()


def locale_compare(left: str, right: str) -> int:
    if left == right:
        return 0
    a, b = _collation_key(left), _collation_key(right)
    return 0 if a == b else (-1 if a < b else 1)


def _compare_field(left: Any, right: Any, descending: bool) -> int:
    if strict_equal(left, right):
        return 0
    if _nothing(right):
        return 1 if descending else -1
    if _nothing(left):
        return -1 if descending else 1
    if isinstance(left, str) and isinstance(right, str):
        return locale_compare(right, left) if descending else locale_compare(left, right)
    if descending:
        return 1 if js_less(left, right) else -1
    return -1 if js_less(left, right) else 1


def _comparator(fields: list[str]) -> Callable[[Any, Any], int]:
    keys = [(field[1:], True) if field.startswith("-") else (field, False) for field in fields]

    def compare(a: Any, b: Any) -> int:
        result = 0
        for path, descending in keys:
            result = _compare_field(get_property(a, path), get_property(b, path), descending)
            if result != 0:
                return result
        return result

    return compare


def sort_fields(sort: str) -> list[str]:
    """The fields of ``_sort=-views,title``. A field named again is dropped: it is compared only
    when every field before it, itself included, compared equal, so it would compare equal too."""
    seen: set[str] = set()
    fields = []
    for field in sort.split(","):
        path = field.removeprefix("-")
        if path not in seen:
            seen.add(path)
            fields.append(field)
    return fields


def sort_on(items: list[Any], fields: list[str]) -> list[Any]:
    return sorted(items, key=cmp_to_key(_comparator(fields)))
