"""Changing a collection as json-server 0.17 (lodash-id and its mixins) does."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from itertools import chain
from typing import Any

from devserve.mocks.resources.byid import (
    distinct,
    id_texts,
    ids_of,
    kinds,
    largest_int,
    missing_keys,
    sliced,
)
from devserve.mocks.resources.inflect import plural
from devserve.mocks.resources.jsvalue import (
    UNDEFINED,
    is_number,
    js_double,
    js_less,
    js_string,
    truthy,
)
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.query import index_by_id

# nanoid's URL-safe alphabet: json-server's ids for collections whose ids are not numbers.
_NANOID_ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"


class Conflict(ValueError):
    """The item's id is taken (json-server answers 500 with a stack trace; devserve, 409)."""


def create_id(collection: list[Any], id_field: str = "id", ids: list[Any] | None = None) -> Any:
    """mixins.js ``createId``: the largest id plus one, or a 7-character nanoid for string ids.
    ``ids``: the collection's ``ids_of``, when the caller has them already."""
    ids = ids_of(collection, id_field) if ids is None else ids
    largest: Any = None if ids is None else largest_int(ids)
    if largest is None:
        largest = _largest(collection, id_field)
    if largest is UNDEFINED:
        return 1
    if is_number(largest):
        largest = js_double(largest)  # a hand-written file may hold an integer of 300 digits
        following = largest + 1
        # Past 2**53 a number has no exact successor: JavaScript's `largest + 1` is `largest`
        # again (json-server then fails, 500), so a random id is the one that is free.
        if not math.isinf(following) and following != largest:
            # JSON has one number type: 2.0 + 1 is written 3, as JavaScript would.
            integral = isinstance(following, float) and following.is_integer()
            return int(following) if integral else following
    return "".join(secrets.choice(_NANOID_ALPHABET) for _ in range(7))


def _largest(collection: list[Any], id_field: str) -> Any:
    """lodash ``maxBy``, item by item: JavaScript's ``<``; no id, null and NaN skipped."""
    largest: Any = UNDEFINED
    for item in collection:
        value = item.get(id_field) if isinstance(item, dict) else None
        if value is None or (isinstance(value, float) and value != value):
            continue
        if largest is UNDEFINED or js_less(largest, value):
            largest = value
    return largest


def insert(collection: list[Any], item: dict[str, Any], id_field: str = "id") -> dict[str, Any]:
    """lodash-id ``insert``: keep a truthy id (if free), else assign one."""
    ids = ids_of(collection, id_field)
    if not truthy(item.get(id_field)):
        item[id_field] = create_id(collection, id_field, ids)
    if index_by_id(collection, item[id_field], id_field, ids) is not None:
        raise Conflict(
            f"an item with {id_field} {js_string(item[id_field])} already exists; leave out "
            f'"{id_field}" to get a new one, or use PUT to replace that item'
        )
    collection.append(item)
    return item


# A changed item is a new object put in the old one's place, never the old one changed: the
# file's writer (filetext.py) knows an unchanged item by its identity.


def replace(item: dict[str, Any], body: dict[str, Any], id_field: str = "id") -> dict[str, Any]:
    """PUT: the body replaces every field; the id stays."""
    replaced = dict(body)
    replaced[id_field] = item[id_field]
    return replaced


def update(item: dict[str, Any], body: dict[str, Any], id_field: str = "id") -> dict[str, Any]:
    """PATCH: the body's fields are merged in (shallowly); the id stays."""
    updated = {**item, **body}
    updated[id_field] = item[id_field]
    return updated


def remove(
    data: dict[str, Any], name: str, wanted: str, keys: Keys = DEFAULT_KEYS
) -> tuple[bool, bool]:
    """DELETE: remove the item, then every item that points at something that no longer exists.

    Returns (found, changed). Like json-server, the clean-up runs even when the id is unknown.
    """
    collection = data[name]
    index = index_by_id(collection, wanted, keys.id)
    if index is not None:
        del collection[index]
    changed = index is not None
    for dependent_name, dependent_id in dangling(data, keys):
        dependents = data[dependent_name]
        orphan = index_by_id(dependents, dependent_id, keys.id)
        if orphan is not None:
            del dependents[orphan]
            changed = True
    return index is not None, changed


def dangling(data: dict[str, Any], keys: Keys = DEFAULT_KEYS) -> list[tuple[str, Any]]:
    """mixins.js ``getRemovable``: items whose ``xId`` names a missing item of collection ``xs``.

    Like json-server, this looks at the whole database, so a reference that was already broken
    before the DELETE is cleaned up too. Each collection's ids are read once, not once per key.
    """
    found: list[tuple[str, Any]] = []
    texts: dict[str, set[str]] = {}  # String(id) of each referenced collection's items
    for name, rows in data.items():
        if isinstance(rows, list):
            broken = _broken(data, rows, keys, texts)
            found += [(name, row.get(keys.id, UNDEFINED)) for row in broken]
    return found


def _broken(
    data: dict[str, Any], rows: list[Any], keys: Keys, texts: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """The items of ``rows`` with a foreign key that names no item, once per such key."""

    def known(table: str) -> set[str]:
        if table not in texts:
            texts[table] = id_texts(data[table], keys.id)
        return texts[table]

    columns = _broken_columns(data, rows, keys, known)
    if columns is not None:
        if not columns:
            return []  # the common case: nothing broken, told by a pass over each key's column
        return [
            row
            for row in rows
            for key, value in row.items()
            if key in columns and value is not None and value in columns[key]
        ]
    found = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        for key, value in row.items():
            table = None if value is None else _referenced(data, key, keys)
            if table is not None and js_string(value) not in known(table):
                found.append(row)
    return found


def _broken_columns(
    data: dict[str, Any], rows: list[Any], keys: Keys, known: Callable[[str], set[str]]
) -> dict[str, set[Any]] | None:
    """Foreign key -> the values of it that name no item; None unless every row is an object
    and every foreign key a number or string (the values a set can tell apart as JavaScript)."""
    if kinds(rows) - {dict}:
        return None
    columns: dict[str, set[Any]] = {}
    for key in distinct(chain.from_iterable(part) for part in sliced(rows)):
        table = _referenced(data, key, keys)
        if table is None:
            continue
        missing = missing_keys([row.get(key) for row in rows], known(table))
        if missing is None:
            return None
        if missing:
            columns[key] = missing
    return columns


def _referenced(data: dict[str, Any], key: str, keys: Keys) -> str | None:
    """The collection a foreign key ``key`` names (``posts`` for ``postId``), if there is one."""
    parent = keys.parent(key)
    if parent is None:
        return None
    table = plural(parent)
    return table if isinstance(data.get(table), list | dict) else None
