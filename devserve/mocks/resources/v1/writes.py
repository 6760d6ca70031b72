"""Changing resources as json-server 1.0 does (service.js, normalized-adapter.js).

Ids are strings: numeric ids become strings when the file is read, an item without one gets a
random id, and POST always makes a new random id (an id in the body is replaced). PUT and PATCH
keep the id of the URL. DELETE answers the removed item, sets the foreign keys that named it to
null, and with ``?_dependent=comments`` removes the comments whose foreign key is null.
"""

from __future__ import annotations

import secrets
from typing import Any

from devserve.mocks.resources.byid import first_index, ids_of
from devserve.mocks.resources.dotprop import prop
from devserve.mocks.resources.jsvalue import UNDEFINED, is_number, number_string, strict_equal
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.v1.query import resource


def random_id() -> str:
    """random-id.js: 8 random bytes, base64url without padding (11 characters)."""
    return secrets.token_urlsafe(8)


def normalize(data: dict[str, Any], id_field: str = "id") -> None:
    """normalized-adapter.js ``read``: every item of a collection gets a string id."""
    for value in data.values():
        if not isinstance(value, list):
            continue
        for item in value:
            if not isinstance(item, dict):
                continue
            if is_number(item.get(id_field)):
                item[id_field] = number_string(item[id_field])
            elif id_field not in item:
                item[id_field] = random_id()


def create(
    data: dict[str, Any], name: str, body: dict[str, Any], id_field: str = "id"
) -> dict[str, Any] | None:
    """POST /name: None when ``name`` is not a collection."""
    items = resource(data, name)
    if not isinstance(items, list):
        return None
    item = {**body, id_field: random_id()}
    items.append(item)
    return item


def change_singular(
    data: dict[str, Any], name: str, body: dict[str, Any], *, patch: bool
) -> dict[str, Any] | None:
    """PUT or PATCH /name on an object resource: None when ``name`` is not one."""
    current = resource(data, name)
    if not isinstance(current, dict):
        return None
    data[name] = {**current, **body} if patch else body
    return data[name]  # type: ignore[no-any-return]


def _index(items: list[Any], wanted: str, id_field: str) -> int | None:
    ids = ids_of(items, id_field)
    if ids is not None:  # every item has an id: a string equals only the same string
        return first_index(ids, wanted)
    for index, item in enumerate(items):
        if isinstance(item, dict) and strict_equal(item.get(id_field, UNDEFINED), wanted):
            return index
    return None


def change_item(
    data: dict[str, Any],
    name: str,
    wanted: str,
    body: dict[str, Any],
    *,
    patch: bool,
    id_field: str = "id",
) -> dict[str, Any] | None:
    """PUT or PATCH /name/id: the id stays that of the URL; None when there is no such item."""
    items = resource(data, name)
    index = _index(items, wanted, id_field) if isinstance(items, list) else None
    if index is None:
        return None
    item = {**items[index], **body, id_field: wanted} if patch else {**body, id_field: wanted}
    items[index] = item
    return item


def destroy(
    data: dict[str, Any],
    name: str,
    wanted: str,
    dependents: list[str],
    keys: Keys = DEFAULT_KEYS,
) -> dict[str, Any] | None:
    """DELETE /name/id: the removed item, or None when there is no such item."""
    items = resource(data, name)
    index = _index(items, wanted, keys.id) if isinstance(items, list) else None
    if index is None:
        return None
    removed: dict[str, Any] = items.pop(index)
    key = keys.of(name)
    for other, rows in data.items():
        if other != name and isinstance(rows, list):
            for index, row in enumerate(rows):
                if isinstance(row, dict) and strict_equal(row.get(key, UNDEFINED), wanted):
                    rows[index] = {**row, key: None}  # a new object: see Store.change
    # As in 1.0, every dependent whose key is null goes, also one that was null before.
    for other in dependents:
        rows = data.get(other)
        if other != name and isinstance(rows, list):
            data[other] = [row for row in rows if prop(row, key) is not None]
    return removed
