"""The fast ways of reading a big collection give exactly what json-server's rules give:
``_sort`` with plain keys (missing and null values included) and a slice at a time against
lodash's comparison, ``q`` with the common field types tested at once against ``deepQuery``
field by field, and a long answer encoded a slice at a time against one json.dumps."""

from __future__ import annotations

import json
from functools import cmp_to_key
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from devserve.mocks.resources import ordering, request
from devserve.mocks.resources.fulltext import _fields, deep_query, holds
from devserve.mocks.resources.jsvalue import UNDEFINED, compare_ascending
from devserve.mocks.resources.ordering import sort_items

NUMBERS = st.one_of(st.integers(-1000, 1000), st.floats(-1e3, 1e3, allow_nan=False), st.just(-0.0))
TEXTS = st.one_of(st.text(max_size=3), st.sampled_from(["a", "B", "é", "😀", "\uffff", "Z"]))
MISSING = st.sampled_from([None, UNDEFINED])  # UNDEFINED: the item has no such field


def items_of(values: list[Any]) -> list[dict[str, Any]]:
    return [{"n": i} if v is UNDEFINED else {"n": i, "v": v} for i, v in enumerate(values)]


def lodash_order(items: list[dict[str, Any]], descending: bool) -> list[dict[str, Any]]:
    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        result = compare_ascending(a.get("v", UNDEFINED), b.get("v", UNDEFINED))
        return -result if descending else result

    return sorted(items, key=cmp_to_key(compare))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.one_of(NUMBERS, MISSING), max_size=12)
    | st.lists(st.one_of(TEXTS, MISSING), max_size=12),
    descending=st.booleans(),
)
def test_sorting_with_plain_keys_is_lodash_order(values: list[Any], descending: bool) -> None:
    items = items_of(values)
    order = "desc" if descending else "asc"
    assert sort_items(items, "v", order) == lodash_order(items, descending)
    with mock.patch.object(ordering, "SLICE", 3):  # sorted a slice at a time, then merged
        assert sort_items(items, "v", order) == lodash_order(items, descending)


FIELDS = st.one_of(
    st.integers(-(2**60), 2**60),
    st.sampled_from([0, 1, -5, 2**53 + 1, 1.5, 0.0, True, False, None, "", "0", "Ab", "é"]),
    st.text(max_size=4),
    st.lists(st.sampled_from(["x", 0, 10, None, "Q"]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from([0, "Ab", 10]), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(answer=st.lists(st.one_of(FIELDS, st.dictionaries(st.text(max_size=2), FIELDS)), max_size=9))
def test_a_long_answer_is_encoded_a_slice_at_a_time_to_the_same_bytes(answer: list[Any]) -> None:
    whole = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
    with mock.patch.object(request, "ENCODE_SLICE", 2):
        assert request.encode(answer) == whole
        assert request.encode({"posts": answer, "n": 1}) == b'{"posts":' + whole + b',"n":1}'


@settings(max_examples=500, deadline=None)
@given(
    item=st.dictionaries(st.text(max_size=2), FIELDS, max_size=4) | FIELDS,
    needle=st.sampled_from(["0", "1", "-", "ab", "a", "é", "true", "10", "5", "[object"]),
)
def test_full_text_is_deep_query_on_each_field(item: Any, needle: str) -> None:
    assert holds(item, needle) == any(deep_query(value, needle) for value in _fields(item))
