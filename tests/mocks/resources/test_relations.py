"""Grouped children and keyed `in` choices give exactly what testing every pair gave
(json-server's definitions), for values of every JSON type, in both dialects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devserve.mocks.resources.jsvalue import UNDEFINED, strict_equal
from devserve.mocks.resources.query import relate
from devserve.mocks.resources.v1.query import children_index, embed, related_index
from devserve.mocks.resources.v1.where import matches
from tests.mocks.resources.helpers import client, write_db

# Ids that are equal, nearly equal, or equal only in JavaScript's loose sense.
IDS = st.sampled_from([1, 1.0, "1", True, 0, False, None, "", 2, "2", float("inf"), [1], {"a": 1}])
ROW = st.one_of(
    st.builds(lambda fk, id_: {"postId": fk, "id": id_}, IDS, IDS),
    st.just({"id": 9}),  # no foreign key
    st.sampled_from([["not", "an", "object"], "text", 7]),
)
ITEM = st.one_of(st.builds(lambda id_: {"id": id_}, IDS), st.just({"title": "no id"}))


def _prop(value: Any, key: str) -> Any:
    return value.get(key, UNDEFINED) if isinstance(value, dict) else UNDEFINED


@settings(max_examples=200, deadline=None)
@given(items=st.lists(ITEM, max_size=6), rows=st.lists(ROW, max_size=12))
def test_0_17_embed_is_lodash_filter(items: list[Any], rows: list[Any]) -> None:
    data = {"posts": items, "comments": rows}
    indexes: dict[str, Any] = {}
    for item in items:
        own = item.get("id", UNDEFINED)
        expected = [
            row
            for row in rows
            if own is not UNDEFINED
            and isinstance(row, dict)
            and (
                row.get("postId", UNDEFINED) == own
                if isinstance(own, list | dict)
                else strict_equal(row.get("postId", UNDEFINED), own)
            )
        ]
        got = relate(item, data, "posts", ["comments"], [], indexes)["comments"]
        assert [id(row) for row in got] == [id(row) for row in expected]


@settings(max_examples=200, deadline=None)
@given(items=st.lists(ITEM, max_size=6), rows=st.lists(ROW, min_size=1, max_size=12))
def test_v1_embed_is_strict_equality(items: list[Any], rows: list[Any]) -> None:
    data = {"posts": items, "comments": rows}
    index = children_index(data, "posts", "comments")
    for item in items:
        own = _prop(item, "id")
        expected = [row for row in rows if strict_equal(_prop(row, "postId"), own)]
        for got in (
            embed(data, "posts", item, "comments", index),
            embed(data, "posts", item, "comments"),
        ):
            assert [id(row) for row in got["comments"]] == [id(row) for row in expected]


@pytest.mark.parametrize("dialect", ["0.17", "v1"])
def test_a_relation_named_again_is_embedded_once_and_at_most_32_are_walked(
    tmp_path: Path, dialect: str
) -> None:
    write_db(tmp_path, {"posts": [{"id": 1}], "comments": [{"id": 1, "postId": 1}]})
    api = client(tmp_path, dialect=dialect)
    once = api.get("/posts?_embed=comments")
    again = api.get("/posts?" + "&".join(["_embed=comments"] * 1000))
    assert once.status_code == again.status_code == 200 and once.json() == again.json()
    many = api.get("/posts?" + "&".join(f"_embed=c{n}" for n in range(33)))
    assert many.status_code == 400
    assert many.json() == {"error": "the query names 33 relations (_embed, _expand); at most 32"}


@settings(max_examples=300, deadline=None)
@given(field=IDS, choices=st.lists(IDS, max_size=8))
def test_v1_in_is_any_strict_equality(field: Any, choices: list[Any]) -> None:
    """`field:in=` keys its choices once per query: the same answer as `===` against each."""
    expected = any(strict_equal(field, choice) for choice in choices)
    assert matches({"f": field}, {"f": {"in": choices}}) == expected
    shared = {"f": choices[0]} if choices and isinstance(choices[0], list | dict) else None
    if shared is not None:  # an object is `===` only to itself
        assert matches(shared, {"f": {"in": choices}})


@settings(max_examples=200, deadline=None)
@given(items=st.lists(ROW, max_size=8), parents=st.lists(ITEM, min_size=1, max_size=8))
def test_v1_embed_of_a_parent_is_the_first_strictly_equal_id(
    items: list[Any], parents: list[Any]
) -> None:
    data = {"comments": items, "posts": parents}
    index = related_index(data, "comments", "post")
    for item in items:
        if not isinstance(item, dict):
            continue
        own = _prop(item, "postId")
        expected = next((p for p in parents if strict_equal(_prop(p, "id"), own)), UNDEFINED)
        for got in (
            embed(data, "comments", item, "post", index),
            embed(data, "comments", item, "post"),
        ):
            assert (got.get("post", UNDEFINED) is expected) or (
                expected is UNDEFINED and "post" not in got
            )
