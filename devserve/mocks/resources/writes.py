"""Changing a collection as json-server 0.17 (lodash-id and its mixins) does."""

from __future__ import annotations

import math
import secrets
from typing import Any

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
from devserve.mocks.resources.query import find_by_id

# nanoid's URL-safe alphabet: json-server's ids for collections whose ids are not numbers.
_NANOID_ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"


class Conflict(ValueError):
    """The item's id is taken (json-server answers 500 with a stack trace; devserve, 409)."""


def create_id(collection: list[Any], id_field: str = "id") -> Any:
    """mixins.js ``createId``: the largest id plus one, or a 7-character nanoid for string ids."""
    largest: Any = UNDEFINED
    for item in collection:
        value = item.get(id_field) if isinstance(item, dict) else None
        if value is None or (isinstance(value, float) and value != value):
            continue
        if largest is UNDEFINED or js_less(largest, value):
            largest = value
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


def insert(collection: list[Any], item: dict[str, Any], id_field: str = "id") -> dict[str, Any]:
    """lodash-id ``insert``: keep a truthy id (if free), else assign one."""
    if not truthy(item.get(id_field)):
        item[id_field] = create_id(collection, id_field)
    if find_by_id(collection, item[id_field], id_field) is not UNDEFINED:
        raise Conflict(
            f"an item with {id_field} {js_string(item[id_field])} already exists; leave out "
            f'"{id_field}" to get a new one, or use PUT to replace that item'
        )
    collection.append(item)
    return item


def replace(item: dict[str, Any], body: dict[str, Any], id_field: str = "id") -> None:
    """PUT: the body replaces every field; the id stays."""
    own_id = item[id_field]
    item.clear()
    item.update(body)
    item[id_field] = own_id


def update(item: dict[str, Any], body: dict[str, Any], id_field: str = "id") -> None:
    """PATCH: the body's fields are merged in (shallowly); the id stays."""
    own_id = item[id_field]
    item.update(body)
    item[id_field] = own_id


def remove(
    data: dict[str, Any], name: str, wanted: str, keys: Keys = DEFAULT_KEYS
) -> tuple[bool, bool]:
    """DELETE: remove the item, then every item that points at something that no longer exists.

    Returns (found, changed). Like json-server, the clean-up runs even when the id is unknown.
    """
    collection = data[name]
    found = find_by_id(collection, wanted, keys.id)
    if found is not UNDEFINED:
        _discard(collection, found)
    changed = found is not UNDEFINED
    for dependent_name, dependent_id in dangling(data, keys):
        dependents = data[dependent_name]
        orphan = find_by_id(dependents, dependent_id, keys.id)
        if orphan is not UNDEFINED:
            _discard(dependents, orphan)
            changed = True
    return found is not UNDEFINED, changed


def _discard(collection: list[Any], item: Any) -> None:
    # By identity: `list.remove` would take the first *equal* item, maybe another one.
    for index, candidate in enumerate(collection):
        if candidate is item:
            del collection[index]
            return


def dangling(data: dict[str, Any], keys: Keys = DEFAULT_KEYS) -> list[tuple[str, Any]]:
    """mixins.js ``getRemovable``: items whose ``xId`` names a missing item of collection ``xs``.

    Like json-server, this looks at the whole database, so a reference that was already broken
    before the DELETE is cleaned up too.
    """
    found = []
    for name, collection in data.items():
        if not isinstance(collection, list):
            continue
        for item in collection:
            if not isinstance(item, dict):
                continue
            for key, value in item.items():
                parent = keys.parent(key)
                if parent is None or value is None:
                    continue
                table = data.get(plural(parent))
                if not isinstance(table, list | dict):
                    continue
                if find_by_id(table, value, keys.id) is UNDEFINED:
                    found.append((name, item.get(keys.id, UNDEFINED)))
    return found
