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

from devserve.home import DATA_DIR_VARIABLE
from devserve.mocks.openapi import parsecache
from devserve.mocks.openapi.parsecache import yaml_value
from devserve.mocks.openapi.yamlload import load_yaml
from tests.mocks.openapi.conftest import PAYMENTS, SCHEMAS, SPECS

ODD = [
    "base: &b {a: 1, list: [1, 2]}\nfirst: *b\nsecond: *b\n",  # aliases: one shared value
    "base: &b {a: 1}\nmerged: {<<: *b, c: 2}\n",  # a merge key
    "when: 2024-01-02\nat: 2024-01-02T03:04:05Z\nyes: no\noctal: 0o17\nhex: 0x1F\nnull: ~\n",
    "1: one\n1.5: x\ntrue: t\n~: n\n",  # keys that are not strings
    "set: !!set {a, b}\nbinary: !!binary aGk=\nstr: !!str 12\nfloat: .inf\n",
    "? [a, b]\n: x\n",  # a sequence as a key: refused, as safe_load refuses it
    "a: &a [*a]\n",  # a sequence that contains itself
    "",
    "just a string\n",
    "- 1\n- [2, {3: 4}]\n",
    "unknown: !thing 1\n",  # a tag safe_load does not know: refused
    # Quoted and block scalars are strings whatever they hold; plain ones are typed.
    "q: \"123\"\ns: 'true'\np: 123\nb: |\n  12\ne:\nf: >\n  yes\nw: yes\nn: -1.5e3\nd: .5\n",
    "seq: [~, null, Null, 0x1F, +1, 1_000, 2001-12-14, =, <<]\nt: !!str 1\nu: !!int '7'\n",
]


def _either(load: Callable[[bytes], Any], text: str) -> tuple[str, Any]:
    try:
        return ("value", load(text.encode()))
    except yaml.YAMLError as exc:
        return ("error", type(exc).__name__)


@pytest.mark.parametrize("text", [PAYMENTS, SCHEMAS, *ODD])
def test_values_are_those_of_safe_load(text: str) -> None:
    mine, theirs = _either(load_yaml, text), _either(yaml.safe_load, text)
    if text.startswith("a: &a"):  # a value that contains itself: compare its shape
        assert mine[1]["a"][0] is mine[1]["a"]
        assert theirs[1]["a"][0] is theirs[1]["a"]
    else:
        assert mine == theirs
    if text.startswith("base: &b {a: 1, list"):
        assert mine[1]["first"] is mine[1]["second"]


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
