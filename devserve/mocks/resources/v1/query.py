"""Reading resources as json-server 1.0 does (app.js ``parseListParams``, service.js ``find``):
embed, then filter, then sort, then (with ``_page``) one page wrapped in its pagination object.

1.0 knows ``_sort``, ``_page``, ``_per_page``, ``_embed`` and ``_where``; every other parameter,
0.17's ``_limit``, ``_start``, ``_end``, ``_order``, ``q`` and ``_expand`` included, is a filter
on a field of that name, so on ordinary data it matches nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from devserve.mocks.resources.data import SCHEMA_KEY, deeper_than, reject_constant
from devserve.mocks.resources.dotprop import prop
from devserve.mocks.resources.inflect import plural, singular
from devserve.mocks.resources.jsvalue import UNDEFINED, parse_int, strict_equal, truthy
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.query import Params, QueryError
from devserve.mocks.resources.relations import Children
from devserve.mocks.resources.v1.sort import sort_fields, sort_on
from devserve.mocks.resources.v1.where import matches, parse_where

RESERVED = frozenset({"_sort", "_page", "_per_page", "_embed", "_where"})
DEFAULT_PER_PAGE = 10


@dataclass(frozen=True)
class ListQuery:
    where: Any
    sort: list[str] | None  # fields, `-` for descending; a field named again dropped
    page: int | None
    per_page: int | None
    embed: list[str]


def _json_where(text: str | None) -> Any:
    """``_where``'s JSON when it is an object (or array); None when absent or invalid."""
    if text is None:
        return None
    try:
        parsed = json.loads(text, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        return None  # as in 1.0: invalid JSON falls back to the other parameters
    return parsed if isinstance(parsed, dict | list) else None


# Matching recurses once per level of the where object ("or" inside "or" ..., from `_where` or
# from dotted keys like `or.0.or.0.title`): a request must not be able to exhaust the stack.
MAX_WHERE_DEPTH = 32
# Each sort field is compared in every comparison of the sort: thousands would hold the loop.
MAX_SORT_FIELDS = 32


class QueryTooLarge(QueryError):
    """A query past devserve's bounds (answered 400 like any QueryError, never run): no app
    needs it, and running it could hold every origin."""


def list_query(query_string: str, params: Params) -> ListQuery:
    """app.js ``parseListParams``. 1.0 reads the query up to a second ``?``, as ``url.split``."""
    pairs = parse_qsl(
        query_string.split("?")[0], keep_blank_values=True, encoding="utf-8", errors="replace"
    )
    where = _json_where(next((v for k, v in pairs if k == "_where"), None))
    if where is None:
        where = parse_where((k, v) for k, v in pairs if k not in RESERVED)
    if deeper_than(where, MAX_WHERE_DEPTH):
        raise QueryTooLarge(
            f"the filters nest deeper than {MAX_WHERE_DEPTH} levels (_where, or dotted keys)"
        )
    value = {key: next((v for k, v in pairs if k == key), None) for key in RESERVED}
    sort = sort_fields(value["_sort"]) if value["_sort"] else None
    if sort is not None and len(sort) > MAX_SORT_FIELDS:
        raise QueryTooLarge(f"_sort names {len(sort)} fields; at most {MAX_SORT_FIELDS}")
    return ListQuery(
        where=where,
        sort=sort,
        page=parse_int(value["_page"]),
        per_page=parse_int(value["_per_page"]),
        embed=params.get("_embed", []),
    )


def resource(data: dict[str, Any], name: str) -> Any:
    """``db.data[name]``; 1.0 drops ``$schema`` when it reads the file."""
    return UNDEFINED if name == SCHEMA_KEY else data.get(name, UNDEFINED)


def embed(
    data: dict[str, Any],
    name: str,
    item: Any,
    related: str,
    index: Children | None = None,
    keys: Keys = DEFAULT_KEYS,
) -> Any:
    """service.js ``embed``: a singular name is the parent (``post`` via ``postId``), a plural
    one the children (``comments`` whose ``postId`` is this id). Ids compare with ``===``.

    ``index``: ``related_index``'s answer, built once per request rather than once per item.
    """
    if not isinstance(item, dict):
        return item
    if singular(related) == related:
        parents = resource(data, plural(related))
        if not truthy(parents) or not isinstance(parents, list):
            return item
        own = prop(item, related + keys.suffix)
        by_id = index or Children(parents, lambda parent: prop(parent, keys.id))
        found = by_id.first_equal_to(own)
        copy = dict(item)
        if found is UNDEFINED:
            copy.pop(related, None)  # `{...item, post: undefined}` leaves it out of the JSON
        else:
            copy[related] = found
        return copy
    children = resource(data, related)
    if not truthy(children) or not isinstance(children, list):
        return item
    own = prop(item, keys.id)
    index = index or children_index(data, name, related, keys)
    found = index.equal_to(own)
    if found is None:  # an object id: `===` is identity, which no stored child shares
        found = [c for c in index.rows if strict_equal(prop(c, keys.of(name)), own)]
    return {**item, related: found}


def related_index(
    data: dict[str, Any], name: str, related: str, keys: Keys = DEFAULT_KEYS
) -> Children | None:
    """What ``embed`` looks ``related`` up in, built once per request: the parents by id (a
    singular name) or the children by foreign key; None when there is nothing to embed."""
    if singular(related) == related:
        parents = resource(data, plural(related))
        if not truthy(parents) or not isinstance(parents, list):
            return None
        return Children(parents, lambda parent: prop(parent, keys.id))
    children = resource(data, related)
    if not truthy(children) or not isinstance(children, list):
        return None
    return children_index(data, name, related, keys)


def children_index(
    data: dict[str, Any], name: str, related: str, keys: Keys = DEFAULT_KEYS
) -> Children:
    """The children ``related`` of collection ``name``, grouped by their foreign key."""
    children = resource(data, related)
    rows = children if isinstance(children, list) else []
    key = keys.of(name)
    return Children(rows, lambda child: prop(child, key))


def paginate(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """paginate.js: out-of-range values are clamped; an empty list still has one page."""
    size = per_page if per_page > 0 else 1
    pages = max(1, math.ceil(len(items) / size))
    current = max(1, min(page, pages))
    start = (current - 1) * size
    return {
        "first": 1,
        "prev": current - 1 if current > 1 else None,
        "next": current + 1 if current < pages else None,
        "last": pages,
        "pages": pages,
        "items": len(items),
        "data": items[start : start + size],
    }


def find(data: dict[str, Any], name: str, query: ListQuery, keys: Keys = DEFAULT_KEYS) -> Any:
    """service.js ``find``: a singular resource comes back as it is, whatever the query."""
    items = resource(data, name)
    if not isinstance(items, list):
        return items
    for related in query.embed:
        index = related_index(data, name, related, keys)
        items = [embed(data, name, item, related, index, keys) for item in items]
    items = [item for item in items if matches(item, query.where)]
    if query.sort:
        items = sort_on(items, query.sort)
    if query.page is not None:
        per_page = DEFAULT_PER_PAGE if query.per_page is None else query.per_page
        return paginate(items, query.page, per_page)
    return items


def find_by_id(
    data: dict[str, Any], name: str, wanted: str, params: Params, keys: Keys = DEFAULT_KEYS
) -> Any:
    """service.js ``findById``: ``===`` on the id, so only a string id is ever found."""
    items = resource(data, name)
    if not isinstance(items, list):
        return UNDEFINED
    found = next(
        (i for i in items if isinstance(i, dict) and strict_equal(i.get(keys.id), wanted)),
        UNDEFINED,
    )
    for related in params.get("_embed", []) if found is not UNDEFINED else []:
        found = embed(data, name, found, related, keys=keys)
    return found
