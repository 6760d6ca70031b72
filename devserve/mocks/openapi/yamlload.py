"""YAML specs read fast: PyYAML's C parser, its nodes turned into values by a plain walk, and
the cyclic garbage collector paused meanwhile. Values are those of ``yaml.safe_load``."""

from __future__ import annotations

import gc
import math
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_FLOAT = "tag:yaml.org,2002:float"


class _FastResolver(Resolver):
    """The safe loader's tags, the common cases decided without the general search: a quoted
    scalar, or a plain one whose first character starts no other type (a number, true, null,
    a date...), is a string; most scalars of a spec are."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        general = self.yaml_path_resolvers or None in self.yaml_implicit_resolvers
        if not general:
            if kind is ScalarNode and (
                not implicit[0] or (value and value[0] not in self.yaml_implicit_resolvers)
            ):
                return _STR
            if kind is MappingNode:
                return _MAP
            if kind is SequenceNode:
                return _SEQ
        found: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return found

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        if self.yaml_path_resolvers:
            super().descend_resolver(current_node, current_index)

    def ascend_resolver(self) -> None:
        if self.yaml_path_resolvers:
            super().ascend_resolver()


if hasattr(yaml, "CSafeLoader"):  # PyYAML built with libyaml: its C parser

    class _Loader(_FastResolver, yaml.CSafeLoader):
        pass

else:  # the same values, parsed in Python

    class _Loader(_FastResolver, yaml.SafeLoader):  # type: ignore[no-redef]
        pass


# Keys the walk builds itself; others (a merge key `<<`, a mapping as a key) go the long way.
_PLAIN_KEYS = {_STR, *(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null"))}
# Scalars whose constructor gives a value at once (those of !!map or !!set are generators).
_NOT_JSON = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_SCALARS = _PLAIN_KEYS | _NOT_JSON


class _Unusual(Exception):
    """Something the plain walk leaves to PyYAML's own constructor (it has its rules)."""


def load_yaml(raw: bytes) -> Any:
    """The value of a YAML document, as ``yaml.safe_load`` gives it; yaml.YAMLError if bad."""
    return read_yaml(raw)[0]


def read_yaml(raw: bytes) -> tuple[Any, bool]:
    """The value of a YAML document, and whether JSON holds it exactly: a tree (no value
    reached twice through an alias, so it is no larger written out), string keys, no dates,
    bytes, infinities or NaN.

    The collector is paused because the parse makes a few hundred thousand objects that all
    live on: each generation's collection walked every one made so far, two thirds of the
    time on a 5 MB spec (a collection after it finds nothing to free)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        loader = _Loader(raw)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, True
            walk = _Walk(loader)
            try:
                return walk.value(node), walk.as_json
            except (_Unusual, TypeError):
                return loader.construct_document(node), False
        finally:
            loader.dispose()
    finally:
        if paused:
            gc.enable()


class _Walk:
    """Builds values from nodes. An alias is the same node again: its value is built once and
    shared, as PyYAML does (a small file of aliases never grows into a huge value)."""

    def __init__(self, loader: SafeConstructor) -> None:
        self.loader = loader
        self.built: dict[int, Any] = {}
        self.as_json = True

    def value(self, node: Node) -> Any:
        if type(node) is ScalarNode:
            if node.tag == _STR:
                return node.value
            if node.tag not in _SCALARS:
                raise _Unusual
            scalar = self.loader.yaml_constructors[node.tag](self.loader, node)
            if node.tag in _NOT_JSON or (node.tag == _FLOAT and not math.isfinite(scalar)):
                self.as_json = False  # a date, bytes, .inf or .nan
            return scalar
        key = id(node)
        if key in self.built:
            if self.built[key] is None:  # a collection that contains itself
                raise _Unusual
            self.as_json = False
            return self.built[key]
        self.built[key] = None
        value: Any
        if type(node) is MappingNode and node.tag == _MAP:
            value = {}
            for key_node, value_node in node.value:
                if key_node.tag not in _PLAIN_KEYS:
                    raise _Unusual
                self.as_json = self.as_json and key_node.tag == _STR
                value[self.value(key_node)] = self.value(value_node)
        elif type(node) is SequenceNode and node.tag == _SEQ:
            value = [self.value(item) for item in node.value]
        else:
            raise _Unusual
        self.built[key] = value
        return value
