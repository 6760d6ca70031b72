"""Items by id in passes of C (byid.py) give exactly what json-server's item-by-item rules give
(kept here as they were written before): which item an id finds, the next id, and the items
a DELETE leaves pointing at nothing, for ids of every JSON type and mixes of them."""

from __future__ import annotations

import math
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from devserve.mocks.resources import byid
from devserve.mocks.resources.jsvalue import UNDEFINED, is_number, js_double, js_less, js_string
from devserve.mocks.resources.keys import DEFAULT_KEYS, Keys
from devserve.mocks.resources.query import find_by_id, index_by_id
from devserve.mocks.resources.writes import create_id, dangling, remove

# Ids equal as strings in JavaScript but not in Python, or the other way round.
IDS = st.sampled_from([
    1, 1.0, "1", True, False, None, 0, -0.0, "0", "-0", 2, "2", 1.5, "1.5", 2**53 + 1, 2**53,
    2**60, "9007199254740992", 1e21, "1e+21", "01", "", "abc", "null", "true", [1], [], {"a": 1},
    "[object Object]", -7, "-7",
])  # fmt: skip
ROW = st.one_of(
    st.builds(lambda id_, fk: {"id": id_, "postId": fk}, IDS, IDS),
    st.builds(lambda id_: {"id": id_}, IDS),
    st.just({"title": "no id"}),
    st.sampled_from([["not", "an", "object"], "text", 7, None]),
)
ALL_INTS = st.lists(st.integers(-(2**60), 2**60).map(lambda i: {"id": i, "postId": i % 5}))


def find_each(collection: list[Any], wanted: Any) -> Any:
    if wanted is None or wanted is UNDEFINED:
        return UNDEFINED
    text = js_string(wanted)
    for item in collection:
        if isinstance(item, dict) and "id" in item and js_string(item["id"]) == text:
            return item
    return UNDEFINED


def largest_each(collection: list[Any]) -> Any:
    largest: Any = UNDEFINED
    for item in collection:
        value = item.get("id") if isinstance(item, dict) else None
        if value is None or (isinstance(value, float) and value != value):
            continue
        if largest is UNDEFINED or js_less(largest, value):
            largest = value
    return largest


def dangling_each(data: dict[str, Any], keys: Keys = DEFAULT_KEYS) -> list[tuple[str, Any]]:
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
                table = data.get(parent + "s")
                if isinstance(table, list | dict) and find_each_in(table, value) is UNDEFINED:
                    found.append((name, item.get("id", UNDEFINED)))
    return found


def find_each_in(table: Any, value: Any) -> Any:
    return find_each(list(table.values()) if isinstance(table, dict) else table, value)


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(ROW, max_size=10) | ALL_INTS, wanted=IDS)
def test_an_id_finds_the_item_json_server_finds(rows: list[Any], wanted: Any) -> None:
    assert find_by_id(rows, wanted) is find_each(rows, wanted)
    found = index_by_id(rows, wanted)
    assert (UNDEFINED if found is None else rows[found]) is find_each(rows, wanted)


def next_id_each(collection: list[Any]) -> Any:
    """createId as it was: None where json-server makes a random string."""
    largest = largest_each(collection)
    if largest is UNDEFINED:
        return 1
    if is_number(largest):
        largest = js_double(largest)
        following = largest + 1
        if not math.isinf(following) and following != largest:
            integral = isinstance(following, float) and following.is_integer()
            return int(following) if integral else following
    return None


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(ROW, max_size=10) | ALL_INTS)
def test_the_next_id_is_json_servers(rows: list[Any]) -> None:
    made, expected = create_id(rows), next_id_each(rows)
    if expected is None:
        assert isinstance(made, str) and len(made) == 7
    else:
        assert made == expected and type(made) is type(expected)


@settings(max_examples=400, deadline=None)
@given(posts=st.lists(ROW, max_size=8) | ALL_INTS, comments=st.lists(ROW, max_size=8) | ALL_INTS)
def test_a_delete_cleans_up_what_json_servers_cleans_up(
    posts: list[Any], comments: list[Any]
) -> None:
    data = {"posts": posts, "comments": comments, "profile": {"id": 1, "postId": 3}}
    assert dangling(data) == dangling_each(data)


def test_the_passes_of_c_take_a_slice_at_a_time() -> None:
    """The GIL goes back to the event loop between slices; results are the same."""
    rows = [{"id": i, "postId": i % 7 + 1} for i in range(1, 60)]
    data = {"posts": rows[:6], "comments": rows}
    with mock.patch.object(byid, "SLICE", 4):
        assert create_id(rows) == 60
        assert index_by_id(rows, "33") == 32
        assert dangling(data) == dangling_each(data)
        assert remove(data, "posts", "3") == (True, True)
    assert [row["id"] for row in data["comments"] if row["postId"] == 3] == []
