"""The fast YAML reading of specs gives exactly what ``yaml.safe_load`` gives, odd documents
included, and leaves the garbage collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest
import yaml

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
