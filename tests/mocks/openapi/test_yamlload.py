"""The fast YAML reading of specs gives exactly what ``yaml.safe_load`` gives, odd documents
included, and leaves the garbage collector as it found it; large specs are parsed once per
content (kept as JSON in the data folder)."""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from devserve.home import DATA_DIR_VARIABLE
from devserve.mocks.openapi import parsecache
from devserve.mocks.openapi.parsecache import yaml_value
from devserve.mocks.openapi.yamlload import (
    MAX_DEPTH,
    MAX_EXPANDED,
    NestedTooDeep,
    Refused,
    load_yaml,
    read_yaml,
)
from tests.mocks.openapi.conftest import PAYMENTS, SCHEMAS, SPECS

ODD = [
    "base: &b {a: 1, list: [1, 2]}\nfirst: *b\nsecond: *b\n",  # aliases: one shared value
    "base: &b {a: 1}\nmerged: {<<: *b, c: 2}\n",  # a merge key
    "when: 2024-01-02\nat: 2024-01-02T03:04:05Z\nyes: no\noctal: 0o17\nhex: 0x1F\nnull: ~\n",
    "1: one\n1.5: x\ntrue: t\n~: n\n",  # keys that are not strings
    "set: !!set {a, b}\nbinary: !!binary aGk=\nstr: !!str 12\nfloat: .inf\n",
    "? [a, b]\n: x\n",  # a sequence as a key: refused, as safe_load refuses it
    "",
    "just a string\n",
    "- 1\n- [2, {3: 4}]\n",
    "unknown: !thing 1\n",  # a tag safe_load does not know: refused
    # Quoted and block scalars are strings whatever they hold; plain ones are typed.
    "q: \"123\"\ns: 'true'\np: 123\nb: |\n  12\ne:\nf: >\n  yes\nw: yes\nn: -1.5e3\nd: .5\n",
    "seq: [~, null, Null, 0x1F, +1, 1_000, 2001-12-14, =, <<]\nt: !!str 1\nu: !!int '7'\n",
    "a:\nb: ''\nc: []\nd: {}\ne: [, ]\n",  # empty values
    "a: &x 1\nb: *x\nc: &y [*x]\nd: {k: *y}\n",  # aliases of scalars, and nested
    "base: &b {a: 1, b: 2}\nm: {<<: [*b, {c: 3}], a: 9}\n",  # merge of a list, overridden
    "- !!binary aGk=\n- !!timestamp 2001-12-14t21:59:43.10-05:00\n- -.INF\n- .NaN\n",
    "o: !!omap [a: 1, b: 2]\np: !!pairs [a: 1, a: 2]\nm: !!map {a: 1}\ns: !!seq [1]\n",
    "--- 1\n--- 2\n",  # more than one document: refused, as safe_load refuses it
    "--- !!str\n...\n",
    "---\n# only a comment\n",
    "a: *nothing\n",  # an undefined alias
    "a: &x 1\nb: &x 2\n",  # an anchor given twice
    "&k key: v\n*k : w\n",  # an alias as a key
    "? - a\n  - b\n: seq key\n",
    "a: !!int nope\n",  # a constructor's own error
    "a: !!float '1e3'\nb: !!bool 'yes'\nc: !!null ''\n",
    "a: [unclosed\n",
]


def _either(load: Callable[[bytes], Any], text: str) -> tuple[str, Any]:
    try:
        return ("value", load(text.encode()))
    except yaml.YAMLError as exc:
        return ("error", type(exc).__name__)
    except ValueError as exc:  # a constructor's own (int("nope"))
        return ("failed", type(exc).__name__)


@pytest.mark.parametrize("text", [PAYMENTS, SCHEMAS, *ODD])
def test_values_are_those_of_safe_load(text: str) -> None:
    mine, theirs = _either(load_yaml, text), _either(yaml.safe_load, text)
    assert mine == theirs
    if text.startswith("base: &b {a: 1, list"):
        assert mine[1]["first"] is mine[1]["second"]


# Pieces of YAML syntax, put together at random: most documents are broken somewhere.
_PIECES = [
    *"[]{}", ", ", ": ", "- ", "? ", "\n", "  ", "&a ", "&b ", "*a", "*b", "<<", "1", "x", "~",
    "'q'", '"7"', "---\n", "...\n", "!!str ", "!!set ", "!!binary ", "aGk=", "2024-01-02",
    ".inf", "0x1F", "yes", "=", "!x ", "|\n  t\n", "#c\n", "!!omap ", "1.5", "!!int ", "!",
]


def _parsed(load: Callable[[bytes], Any], raw: bytes) -> str:
    try:
        return "value " + repr(load(raw))
    except yaml.YAMLError as exc:
        return "refused " + type(exc).__name__
    except Exception as exc:  # what PyYAML's constructors raise besides (int("nope"))
        return "failed " + type(exc).__name__


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=16))
def test_any_document_reads_as_pyyaml_reads_it(pieces: list[str]) -> None:
    # The same parser (libyaml's) as devserve's, with PyYAML's composer and constructor: the
    # same value, or the same kind of refusal (a syntax error before a constructor's).
    raw = "".join(pieces).encode()
    safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    mine, theirs = _parsed(load_yaml, raw), _parsed(lambda r: yaml.load(r, Loader=safe), raw)
    if mine == "refused Refused":  # a value that contains itself: read, and refused after
        assert theirs.startswith("value ") and ("[...]" in theirs or "{...}" in theirs)
    else:
        assert mine == theirs


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: [*a]}\nm: {<<: {c: 1}}\n"])
def test_a_value_that_contains_itself_is_refused(text: str) -> None:
    with pytest.raises(Refused, match="an alias inside the value it names"):
        load_yaml(text.encode())


def test_aliases_that_repeat_past_the_bound_are_refused_small_ones_read() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, 7)]
    with pytest.raises(Refused, match=f"more than {MAX_EXPANDED:,} of them"):
        load_yaml("\n".join(lines).encode())  # 10 ** 7 values: a 400-byte bomb
    small = "\n".join(lines[:5]).encode()  # 10 ** 5: read, shared as safe_load shares them
    value = load_yaml(small)
    assert value == yaml.safe_load(small) and value["a4"][0] is value["a3"]


@pytest.mark.parametrize("tail", ["", "m: {<<: {a: 1}}\n"])  # read here, or by PyYAML
def test_deep_within_the_bound_reads_the_same_and_deeper_is_refused(tail: str) -> None:
    levels = MAX_DEPTH - 1  # inside the document's mapping
    for kind in (b"[", b"{a: "):
        close = b"]" if kind == b"[" else b"}"
        raw = tail.encode() + b"x: " + kind * levels + b"1" * (kind != b"[") + close * levels
        assert load_yaml(raw) == yaml.safe_load(raw)
        deeper = tail.encode() + b"x: " + kind * MAX_DEPTH + close * MAX_DEPTH
        with pytest.raises(NestedTooDeep) as refused:
            load_yaml(deeper)
        assert refused.value.problem == f"nested deeper than {MAX_DEPTH} levels"


def test_only_a_plain_tree_is_said_to_be_json() -> None:
    assert read_yaml(b"a: [1, {b: c}]\nd: 'e'\n") == ({"a": [1, {"b": "c"}], "d": "e"}, True)
    for text in ("a: &x [1]\nb: *x\n", "1: a\n", "a: .inf\n", "a: 2024-01-02\n", "<<: {}\n"):
        assert read_yaml(text.encode())[1] is False, text
    assert read_yaml(b"a: &x 1\nb: *x\n") == ({"a": 1, "b": 1}, True)  # a scalar, copied


def test_a_real_spec_reads_the_same() -> None:
    raw = (SPECS / "petstore.yaml").read_bytes()
    assert load_yaml(raw) == yaml.safe_load(raw)


def test_the_collector_is_left_as_it_was() -> None:
    assert gc.isenabled()
    load_yaml(PAYMENTS.encode())
    assert gc.isenabled()
    with pytest.raises(yaml.YAMLError):
        load_yaml(b"a: [unclosed\n")
    assert gc.isenabled()
    gc.disable()
    try:
        load_yaml(PAYMENTS.encode())
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of the test's own; every YAML document is large enough to be kept."""
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path))
    monkeypatch.setattr(parsecache, "SMALLEST", 0)
    return tmp_path / "openapi-cache"


def test_a_large_yaml_spec_is_parsed_once_per_content(cache: Path) -> None:
    raw = PAYMENTS.encode()
    assert yaml_value(raw) == yaml.safe_load(raw)
    (kept,) = cache.glob("*.json")
    assert kept.name == hashlib.sha256(b"devserve-openapi-yaml-1\n" + raw).hexdigest() + ".json"
    kept.write_text('{"read": "from the cache"}')
    assert yaml_value(raw) == {"read": "from the cache"}
    kept.write_text('{"damaged')
    assert yaml_value(raw) == yaml.safe_load(raw)  # parsed again, and kept again
    assert json.loads(kept.read_text()) == yaml.safe_load(raw)
    assert yaml_value(raw + b"\n# edited\n") == yaml.safe_load(raw)
    assert len(list(cache.glob("*.json"))) == 2


def test_only_what_json_holds_exactly_is_kept(cache: Path) -> None:
    beyond = ["a: .nan\nb: -.inf\n", "big: 123456789012345678901234567890\n"]
    for text in [*ODD[:5], *beyond]:  # aliases, a merge, dates, keys, binary, NaN, big ints
        assert repr(yaml_value(text.encode())) == repr(yaml.safe_load(text))
    assert list(cache.glob("*.json")) == []


def test_the_most_recently_used_are_kept(cache: Path) -> None:
    for number in range(12):
        yaml_value(f"n: {number}\n".encode())
    assert len(list(cache.glob("*.json"))) == 8
