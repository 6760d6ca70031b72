"""The file's bytes: FileText (orjson, each chunk's bytes kept until its items change) makes
exactly what ``data.dump`` makes, through any sequence of writes; and ``data.dump`` makes
exactly what json-server writes, ``JSON.stringify(db, null, 2)``, checked against Node."""

from __future__ import annotations

import json
import subprocess
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from devserve.mocks.resources import filetext
from devserve.mocks.resources.data import dump
from devserve.mocks.resources.filetext import FileText, javascript_numbers
from tests.mocks.resources import suite_017, test_parity_v1, test_suite_v1
from tests.mocks.resources.helpers import SAMPLE
from tests.support.peers import node

# Numbers JavaScript prints otherwise than Python or orjson do, and lone surrogates, which
# orjson refuses (the chunk then goes the slow way).
ODD_FLOATS = [1e21, 1.5e21, 1e16, 1e20, 123456789012345680000.0, 5e-7, 1e-7, 1e-6, 9.9e-6,
              1e-5, 0.000015, -0.0, 0.1, 1.0, 100.0, -3.0, 2.0**53, 1e308, 5e-324,
              1.7976931348623157e308]  # fmt: skip
ODD_TEXT = ["\ud800", "a\udfffb", "\x00\x1f\x7f\u2028\u2029", "é😀", 'q"\\/\b\f\n\r\t', ""]
SAFE = 2**53 - 1
TEXT = st.one_of(st.text(st.characters(codec=None, exclude_categories=()), max_size=6),
                 st.sampled_from(ODD_TEXT))  # fmt: skip
# Keys JavaScript lists first (array indexes), and some it does not ("01", "-1", 2**32 - 1).
KEYS = TEXT | st.sampled_from(["0", "1", "2", "10", "01", "-1", "4294967294", "4294967295"])


def scalars(big_integers: bool) -> st.SearchStrategy[Any]:
    limit = 2**70 if big_integers else SAFE
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-limit, limit),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(ODD_FLOATS),
        TEXT,
    )


def values(big_integers: bool = True) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(big_integers),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
        max_leaves=10,
    )


def databases(big_integers: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    item = values(big_integers)
    resource = st.one_of(
        st.lists(st.dictionaries(KEYS, item, max_size=4) | item, max_size=8),
        st.dictionaries(KEYS, item, max_size=4),
        item,  # "$schema" may hold anything
    )
    return st.dictionaries(KEYS, resource, max_size=4)


def rendered(text: FileText, data: dict[str, Any]) -> bytes:
    return b"".join(text.render(data))


@settings(max_examples=300, deadline=None)
@given(data=databases())
def test_filetext_makes_exactly_the_bytes_of_dump(data: dict[str, Any]) -> None:
    assert rendered(FileText(), data) == dump(data)


ACTIONS = st.sampled_from(["append", "delete", "replace", "set"])
EDIT = st.tuples(ACTIONS, st.integers(0, 40), values())


@settings(max_examples=200, deadline=None)
@given(data=databases(), edits=st.lists(EDIT, max_size=12))
def test_after_any_writes_only_changed_chunks_are_new_and_the_bytes_stay_exact(
    data: dict[str, Any], edits: list[tuple[str, int, Any]]
) -> None:
    """Writes as the routes make them: a changed item is a new object in the old one's place."""
    with mock.patch.object(filetext, "CHUNK_ITEMS", 3):  # many chunks out of a few items
        text = FileText()
        assert rendered(text, data) == dump(data)
        for action, where, value in edits:
            names = [name for name, v in data.items() if isinstance(v, list)]
            if action == "set" or not names:
                data[f"r{where % 3}"] = value
            else:
                rows = data[names[where % len(names)]]
                if action == "append" or not rows:
                    rows.append(value)
                elif action == "delete":
                    del rows[where % len(rows)]
                else:
                    rows[where % len(rows)] = value
            assert rendered(text, data) == dump(data)


def test_a_long_collection_keeps_the_chunks_no_write_touched() -> None:
    rows: list[Any] = [{"id": i, "price": i + 0.5} for i in range(2000)]
    data = {"posts": rows, "profile": {"name": "x"}}
    text = FileText()
    assert rendered(text, data) == dump(data)
    with mock.patch.object(filetext, "_items_text", wraps=filetext._items_text) as encoded:
        rows[1234] = {**rows[1234], "price": 3.0}
        del rows[10]
        rows.append({"id": 2000, "price": 1e21})
        assert rendered(text, data) == dump(data)
    assert sum(len(call.args[0]) for call in encoded.call_args_list) < 3 * filetext.CHUNK_ITEMS


def test_orjson_floats_are_rewritten_as_javascript_prints_them() -> None:
    orjson_wrote = b"[\n  1.0,\n  -0.0,\n  1e21,\n  1e16,\n  1e+16,\n  5e-7,\n  1e-6\n]"
    assert javascript_numbers(orjson_wrote) == (  # (orjson 3.8 writes 1e16; 3.13, 1e+16)
        b"[\n  1,\n  0,\n  1e+21,\n  10000000000000000,\n  10000000000000000,\n  5e-7,\n"
        b"  0.000001\n]"
    )
    text = b'{\n  "a.0": "x e5",\n  "b": "1.0"\n}'  # strings end their line with a quote
    assert javascript_numbers(text) == text


def test_integers_past_what_javascript_holds_are_written_as_the_file_had_them() -> None:
    data = {"posts": [{"id": 2**64 + 1, "n": -(10**300), "x": 2**53 + 1}]}
    assert rendered(FileText(), data) == dump(data)
    assert b'"id": 18446744073709551617,' in dump(data) and b"\n      -1000" in dump(
        {"a": [[-(10**3)]]}
    )


def stringified(documents: list[Any]) -> list[bytes]:
    """``JSON.stringify(doc, null, 2)`` of each document, as Node writes it, plus a newline."""
    script = (
        "const docs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(docs.map(d => JSON.stringify(d, null, 2))));"
    )
    done = subprocess.run(
        [node(), "-e", script], input=json.dumps(documents).encode(), capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    return [text.encode() + b"\n" for text in json.loads(done.stdout)]


PARITY = [SAMPLE, suite_017.PLURAL, suite_017.CUSTOM_KEY, test_parity_v1.DATA, test_suite_v1.DATA]
HOSTILE = {
    "floats": [{"id": i, "value": value} for i, value in enumerate(ODD_FLOATS)],
    "text": [{"id": i, text: text} for i, text in enumerate(ODD_TEXT)],
    "nested": [{"a": [[], {}, [[{"b": [1.0, None, True]}]]]}],
    "keys": [{"b": 1, "2": 2, "1": 3, "01": 4, "-1": 5, "4294967295": 6, "4294967294": 7}],
    "7": {"z": 1, "3": 2},
    "$schema": "./schema.json",
    "empty": [],
    "profile": {},
}


def test_the_parity_data_and_hostile_data_are_written_as_json_server_writes_them() -> None:
    documents = [*PARITY, HOSTILE]
    expected = stringified(documents)
    for document, javascript in zip(documents, expected, strict=True):
        assert dump(document) == javascript
        assert rendered(FileText(), document) == javascript


@settings(max_examples=25, deadline=None)
@given(documents=st.lists(databases(big_integers=False), min_size=1, max_size=8))
def test_dump_is_json_stringify_for_any_data(documents: list[dict[str, Any]]) -> None:
    for document, javascript in zip(documents, stringified(documents), strict=True):
        assert dump(document) == javascript
