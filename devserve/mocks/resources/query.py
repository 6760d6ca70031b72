"""Reading a collection as json-server 0.17 does: filters, full text, sort, pages, relations.

Pure functions over the in-memory data; each one mirrors a step of json-server's
``router/plural.js`` (named in the comments) so a difference can be traced to its line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devserve.mocks.resources.byid import SLOW, ids_of, index_by_text
from devserve.mocks.resources.fulltext import search
from devserve.mocks.resources.inflect import plural
from devserve.mocks.resources.jsvalue import (
    UNDEFINED,
    get_path,
    has_path,
    js_less,
    js_number,
    js_string,
    parse_int,
)
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.likeregex import PatternError, compile_like
from devserve.mocks.resources.ordering import sort_items
from devserve.mocks.resources.relations import Children

Params = dict[str, list[str]]
# Parameters json-server takes out of the query before filtering (plural.js `list`).
RESERVED = ("q", "_start", "_end", "_sort", "_order", "_limit", "_embed", "_expand", "_delay")
_OPERATORS = ("_lte", "_gte", "_ne", "_like")
_IGNORED = ("callback", "_")  # JSONP and jQuery's cache buster: never filters
# A `_like` pattern is the client's regex, matched in linear time (likeregex.py); a request's
# matching stops after this long all the same, so a big collection cannot hold a worker.
LIKE_BUDGET_SECONDS = 1.0
# Collections larger than this are queried in a worker thread, off the event loop.
INLINE_ITEMS = 1000


class QueryError(ValueError):
    """A query the client must fix (a bad or too costly `_like` pattern): a 400 answer."""


@dataclass
class Listing:
    items: list[Any]
    headers: dict[str, str] = field(default_factory=dict)


def first(params: Params, key: str) -> str | None:
    values = params.get(key)
    return values[0] if values else None


class _Like:
    """``new RegExp(value, 'i').test(text)``, in RE2 (linear time), within a time budget for
    the whole request: a pattern runs once per item, and a collection may be large."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + LIKE_BUDGET_SECONDS

    def test(self, pattern: str, text: str) -> bool:
        try:
            compiled = compile_like(pattern)
        except PatternError as exc:
            raise QueryError(str(exc)) from None
        if time.monotonic() > self.deadline:
            raise QueryError(
                f"_like pattern {pattern!r} takes longer than {LIKE_BUDGET_SECONDS:g} s on this "
                "collection; narrow the query with other filters, or simplify the pattern"
            )
        # Bytes: a file may hold lone surrogates ("\ud800"), which UTF-8 cannot encode.
        return compiled.search(text.encode("utf-8", "surrogatepass")) is not None


def _matcher(key: str, values: list[str], like: _Like) -> Callable[[Any], bool]:
    """The test one filter puts to each item, worked out once per request, not per item."""
    operator = next((op for op in _OPERATORS if key.endswith(op)), "")
    path = key[: len(key) - len(operator)]
    wanted_set = frozenset(values)

    # json-server skips undefined and null values ("prevent toString() failing on undefined
    # or null values"): no filter matches them.
    def equals(element: Any) -> bool:  # the common case, kept short: it runs once per item
        value = get_path(element, path)
        return value is not None and value is not UNDEFINED and js_string(value) in wanted_set

    def compares(element: Any) -> bool:
        value = get_path(element, path)
        if value is None or value is UNDEFINED:
            return False
        if operator == "_ne":
            text = js_string(value)
            return all(wanted != text for wanted in values)
        if operator == "_gte":
            return any(not js_less(value, w) and _comparable(w, value) for w in values)
        if operator == "_lte":
            return any(not js_less(w, value) and _comparable(w, value) for w in values)
        text = js_string(value)  # _like
        return any(like.test(wanted, text) for wanted in values)

    return compares if operator else equals


def _comparable(wanted: str, value: Any) -> bool:
    # `a <= b` in JavaScript is `!(b < a)` except that NaN on either side makes it false.
    if isinstance(value, str | list | dict):
        return True
    return not math.isnan(js_number(wanted)) and not math.isnan(js_number(value))


def filter_items(items: list[Any], params: Params) -> list[Any]:
    """Full text (``q``) then every field filter; unknown fields are ignored, as in 0.17."""
    # A field no item has is dropped before filtering (json-server: "automatically delete query
    # parameters that can't be found in the database"), so `?nope=1` lists everything.
    filters = [
        (key, values)
        for key, values in params.items()
        if key not in RESERVED
        and key not in _IGNORED
        and (key.endswith(_OPERATORS) or _anyone_has(items, key))
    ]
    q = first(params, "q")
    if q:
        items = search(items, q.lower())
    if filters:
        like = _Like()
        tests = [_matcher(key, values, like) for key, values in filters]
        if len(tests) == 1:
            (test,) = tests
            items = [e for e in items if test(e)]
        else:
            items = [e for e in items if all(test(e) for test in tests)]
    return items


def _anyone_has(items: list[Any], key: str) -> bool:
    if any(isinstance(item, dict) and key in item for item in items):
        return True  # the common case, without walking paths
    return ("." in key or "[" in key) and any(has_path(item, key) for item in items)


def _start_index(items: list[Any], start: int | None) -> int:
    start = start or 0
    return max(len(items) + start, 0) if start < 0 else min(start, len(items))


def _end_index(items: list[Any], end: int | None) -> int:
    end = end or 0
    return max(len(items) + end, 0) if end < 0 else min(end, len(items))


def js_slice(items: list[Any], start: int | None, end: int | None) -> list[Any]:
    begin, stop = _start_index(items, start), _end_index(items, end)
    return items[begin:stop] if stop > begin else []


def paginate(items: list[Any], params: Params, url: str) -> Listing:
    """``_page``/``_limit`` with a ``Link`` header, or ``_start``/``_end``/``_limit`` slices."""
    page_text, end_text = first(params, "_page"), first(params, "_end")
    limit_text, start_text = first(params, "_limit"), first(params, "_start")
    listing = Listing(items)
    if not (end_text or limit_text or page_text):
        return listing
    listing.headers["X-Total-Count"] = str(len(items))
    if page_text:
        page = parse_int(page_text)
        page = page if page is not None and page >= 1 else 1
        limit = parse_int(limit_text) or 10
        listing.items, links = _page(items, page, limit)
        current = js_string(links.pop("current", UNDEFINED))
        listing.headers["Link"] = ", ".join(
            f'<{url.replace(f"page={current}", f"page={js_string(number)}", 1)}>; rel="{rel}"'
            for rel, number in links.items()
        )
    elif end_text:
        start = parse_int(start_text) or 0
        listing.items = js_slice(items, start, parse_int(end_text))
    else:
        start = parse_int(start_text) or 0
        count = parse_int(limit_text)
        listing.items = js_slice(items, start, None if count is None else start + count)
    return listing


def _page(items: list[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    """utils.js ``getPage``; the links come back in json-server's order: first prev next last."""
    start, end = (page - 1) * per_page, page * per_page
    chunk = js_slice(items, start, end)
    if not chunk:
        return chunk, {}
    found: dict[str, int] = {}
    if len(chunk) != len(items):
        found["current"] = page
        found["first"] = 1
    if page > 1:
        found["prev"] = page - 1
    if end < len(items):
        found["next"] = page + 1
    if len(chunk) != len(items):
        found["last"] = math.ceil(len(items) / per_page)
    return chunk, found


def may_take_long(items: list[Any], params: Params) -> bool:
    """Whether listing ``items`` with this query is worth a worker thread (Store.read)."""
    return len(items) > INLINE_ITEMS or any(key.endswith("_like") for key in params)


def list_collection(
    data: dict[str, Any],
    name: str,
    params: Params,
    url: str,
    keys: Keys = DEFAULT_KEYS,
    indexes: dict[str, Children] | None = None,
) -> Listing:
    """GET /name with every 0.17 query feature, in json-server's order. ``indexes``: the
    child collections of ``name`` already grouped (Store.derived), filled as they are."""
    items = filter_items(data[name], params)
    items = sort_items(items, first(params, "_sort"), first(params, "_order"))
    listing = paginate(items, params, url)
    embed, expand = params.get("_embed", []), params.get("_expand", [])
    if embed or expand:
        indexes = {} if indexes is None else indexes  # each child grouped once, not per item
        listing.items = [
            relate(item, data, name, embed, expand, indexes, keys) for item in listing.items
        ]
    return listing


def find_by_id(collection: Any, wanted: Any, id_field: str = "id") -> Any:
    """lodash-id ``getById``: ids compare as strings, so ``/posts/1`` finds ``"id": 1``."""
    if isinstance(collection, list):
        index = index_by_id(collection, wanted, id_field)
        return UNDEFINED if index is None else collection[index]
    if wanted is None or wanted is UNDEFINED:
        return UNDEFINED
    text = js_string(wanted)
    for item in collection.values():
        if isinstance(item, dict) and id_field in item and js_string(item[id_field]) == text:
            return item
    return UNDEFINED


def index_by_id(
    collection: list[Any], wanted: Any, id_field: str = "id", ids: list[Any] | None = None
) -> int | None:
    """Where ``find_by_id`` finds its item in a collection, or None. ``ids``: the
    collection's ``ids_of``, when the caller has them already."""
    if wanted is None or wanted is UNDEFINED:
        return None
    text = js_string(wanted)
    ids = ids_of(collection, id_field) if ids is None else ids
    if ids is not None and (found := index_by_text(ids, text)) != SLOW:
        return found
    for index, item in enumerate(collection):
        if isinstance(item, dict) and id_field in item and js_string(item[id_field]) == text:
            return index
    return None


def relate(
    item: Any,
    data: dict[str, Any],
    name: str,
    embed: list[str],
    expand: list[str],
    indexes: dict[str, Children] | None = None,
    keys: Keys = DEFAULT_KEYS,
) -> Any:
    """A copy of ``item`` with ``_embed`` children and ``_expand`` parents added.

    ``indexes``: the child collections already grouped by this request (shared by its items).
    """
    if not isinstance(item, dict):
        return item
    item = dict(item)  # only top-level keys are added; the answer is serialized at once
    key = keys.of(name)
    indexes = {} if indexes is None else indexes
    for child in embed:
        if child not in indexes:
            collection = data.get(child, [])
            rows = list(collection.values() if isinstance(collection, dict) else collection)
            values = [row.get(key, UNDEFINED) if type(row) is dict else _NOT_A_ROW for row in rows]
            indexes[child] = Children(rows, lambda row: _foreign_key(row, key), values)
        own_id = item.get(keys.id, UNDEFINED)
        found = [] if own_id is UNDEFINED else indexes[child].equal_to(own_id)
        if found is None:  # an object or array id: lodash `_.filter` compares it deeply
            rows = indexes[child].rows
            found = [row for row in rows if _foreign_key(row, key) == own_id]
        item[child] = found
    for parent in expand:
        table = data.get(plural(parent))
        if not isinstance(table, list | dict):
            continue
        found = find_by_id(table, item.get(parent + keys.suffix, UNDEFINED), keys.id)
        if found is UNDEFINED:
            item.pop(parent, None)  # `resource[inner] = undefined` drops the key from the JSON
        else:
            item[parent] = found
    return item


_NOT_A_ROW = object()  # what a non-object row offers as its key: equal to nothing


def _foreign_key(row: Any, key: str) -> Any:
    # lodash `_.filter(rows, {postId: id})`: only objects have the key; strict equality for
    # primitives (Children's grouping), deep equality for objects and arrays (the caller).
    return row.get(key, UNDEFINED) if isinstance(row, dict) else _NOT_A_ROW
