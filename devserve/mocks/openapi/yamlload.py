"""YAML specs read fast and safely: PyYAML's C parser's events turned into values in a loop,
however deep the document, the cyclic garbage collector paused meanwhile; ``yaml.safe_load``'s
values, and Refused past ``MAX_DEPTH`` levels or when aliases repeat past ``MAX_EXPANDED``."""

from __future__ import annotations

import gc
import math
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
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


# PyYAML's composer (and its constructor, the fallback for unusual documents) recurses once per
# level, on the C stack with libyaml: 100,000 levels crash the process. No spec needs 256.
MAX_DEPTH = 256
# An alias repeats a value without copying it, but what reads a spec (the schema check, a JSON
# answer) meets every repetition: a few lines of aliases of aliases expand past any memory.
# A document holds fewer values than bytes without them: the bound is the larger of the two.
MAX_EXPANDED = 2_000_000

# Keys built here; others (a merge key `<<`, a mapping as a key) go the long way.
_PLAIN_KEYS = {_STR, *(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null"))}
# Scalars whose constructor gives a value at once (those of !!map or !!set are generators).
_NOT_JSON = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_SCALARS = _PLAIN_KEYS | _NOT_JSON
_KEY = object()  # in place of a mapping's pending key: a key comes next


class Refused(MarkedYAMLError):
    """A document safe_load reads, refused: ``problem`` says why."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class NestedTooDeep(Refused):
    """Collections nested deeper than ``MAX_DEPTH``."""

    def __init__(self, mark: Any) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels", mark)


class _Unusual(Exception):
    """Something left to PyYAML's own constructor (it has its rules)."""


def load_yaml(raw: bytes) -> Any:
    """The value of a YAML document, as ``yaml.safe_load`` gives it; yaml.YAMLError if bad,
    Refused past ``MAX_DEPTH`` levels, or past ``MAX_EXPANDED`` values with its aliases repeated,
    or with a value that contains itself."""
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
            build = _Build(loader)
            try:
                value = build.document()
                if build.shared:
                    _check_expansion(value, max(MAX_EXPANDED, len(raw)))
                return value, build.as_json
            except _Unusual:
                build.skip()  # the rest of the document read: is it shallow enough for PyYAML?
        finally:
            loader.dispose()
        value = _constructed(raw)
        _check_expansion(value, max(MAX_EXPANDED, len(raw)))
        return value, False
    finally:
        if paused:
            gc.enable()


def _constructed(raw: bytes) -> Any:
    """The value as PyYAML's composer and constructor make it: only for documents known to be
    at most ``MAX_DEPTH`` deep."""
    loader = _Loader(raw)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _check_expansion(root: Any, limit: int) -> None:
    """Refused if ``root``, each alias repeated, holds more than ``limit`` values, or contains
    itself; a walk of each collection once, however often it is repeated."""
    sizes: dict[int, int] = {}  # by id: the values in a collection, repetitions counted
    open_ids: set[int] = set()  # the collections around the one being walked
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        value, walked = stack.pop()
        if not isinstance(value, dict | list) or id(value) in sizes:
            continue
        items = list(value.values()) if isinstance(value, dict) else value
        if walked:
            open_ids.discard(id(value))
            sizes[id(value)] = 1 + sum(sizes.get(id(item), 1) for item in items)  # a scalar: 1
            if sizes[id(value)] > limit:
                raise Refused(f"its aliases repeat values into more than {limit:,} of them")
        elif id(value) in open_ids:
            raise Refused("an alias inside the value it names: the value contains itself")
        else:
            open_ids.add(id(value))
            stack.append((value, True))
            stack.extend((item, False) for item in items)


class _Build:
    """Builds a document's value from the parser's events, the open collections on a stack.
    An alias is the anchored value again, shared, as PyYAML does (a small file of aliases never
    grows into a huge value; read_yaml bounds what the repetitions add up to)."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.anchors: dict[str, Any] = {}
        self.marks: dict[str, Any] = {}
        self.as_json = True
        self.shared = False  # an alias of a collection was met
        self.depth = 0

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # the stream's start
        if loader.check_event(StreamEndEvent):
            return None
        start: Any = loader.get_event()
        value = self._node()
        loader.get_event()  # the document's end
        if not loader.check_event(StreamEndEvent):
            second: Any = loader.get_event()
            raise ComposerError(
                "expected a single document in the stream",
                start.start_mark,
                "but found another document",
                second.start_mark,
            )
        return value

    def _node(self) -> Any:
        """The value of the node whose events come next."""
        get_event = self.loader.get_event
        # The open collections, innermost last, and beside each mapping its pending key.
        stack: list[Any] = []
        keys: list[Any] = []
        while True:
            event = get_event()
            kind = type(event)
            awaiting_key = bool(stack) and keys[-1] is _KEY and type(stack[-1]) is dict
            if kind is ScalarEvent:
                value = self._scalar(event, awaiting_key)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                stack.append(self._start(event, kind is MappingStartEvent, awaiting_key))
                keys.append(_KEY)  # unused by a sequence
                continue
            elif kind is AliasEvent:
                value = self._alias(event, awaiting_key)
            else:  # the end of the innermost collection
                self.depth -= 1
                value = stack.pop()
                keys.pop()
            if not stack:
                return value
            if type(stack[-1]) is list:
                stack[-1].append(value)
            elif keys[-1] is _KEY:
                keys[-1] = value
            else:
                stack[-1][keys[-1]] = value
                keys[-1] = _KEY

    def _scalar(self, event: Any, key: bool) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        if tag == _STR:
            value = event.value
        elif tag in (_PLAIN_KEYS if key else _SCALARS):
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                value = self.loader.yaml_constructors[tag](self.loader, node)
            except Exception:  # PyYAML's own constructor raises what safe_load raises
                raise self._unusual(event) from None
            if key or tag in _NOT_JSON or (tag == _FLOAT and not math.isfinite(value)):
                self.as_json = False  # a key not a string, a date, bytes, .inf or .nan
        else:
            raise self._unusual(event)
        self._anchor(event, value)
        return value

    def _start(self, event: Any, mapping: bool, key: bool) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise NestedTooDeep(event.start_mark)
        tag = event.tag
        if tag is None or tag == "!":
            kind = MappingNode if mapping else SequenceNode
            tag = self.loader.resolve(kind, None, event.implicit)
        if key or tag != (_MAP if mapping else _SEQ):
            # A collection as a key; a set, an ordered map, a tag of the application's.
            raise self._unusual(event)
        value: Any = {} if mapping else []
        self._anchor(event, value)
        return value

    def _anchor(self, event: Any, value: Any) -> None:
        # PyYAML's composer refuses these as soon as it meets them, before any later error.
        if event.anchor is not None:
            if event.anchor in self.anchors:
                raise ComposerError(
                    f"found duplicate anchor {event.anchor!r}; first occurrence",
                    self.marks[event.anchor],
                    "second occurrence",
                    event.start_mark,
                )
            self.anchors[event.anchor] = value
            self.marks[event.anchor] = event.start_mark

    def _unusual(self, event: Any) -> _Unusual:
        self._anchor(event, None)  # for skip() to know it
        return _Unusual()

    def _alias(self, event: Any, key: bool) -> Any:
        if event.anchor not in self.anchors:
            where = event.start_mark
            raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", where)
        if key:
            raise _Unusual  # an alias as a key
        value = self.anchors[event.anchor]
        if isinstance(value, dict | list):
            self.as_json = False
            self.shared = True
        return value

    def skip(self) -> None:
        """Reads the rest of the document after something unusual, for its depth and for the
        errors PyYAML's composer would report before its constructor's."""
        while self.depth > 0:
            event: Any = self.loader.get_event()
            if isinstance(event, AliasEvent):
                self._alias(event, False)
            elif isinstance(event, ScalarEvent):
                self._anchor(event, None)
            elif isinstance(event, MappingStartEvent | SequenceStartEvent):
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise NestedTooDeep(event.start_mark)
                self._anchor(event, None)
            else:  # the end of a collection
                self.depth -= 1
